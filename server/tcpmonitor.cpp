// SPDX-License-Identifier: MIT
#include "server/tcpmonitor.h"

#include <QtCore/QDateTime>
#include <QtCore/QElapsedTimer>
#include <QtCore/QFile>
#include <QtCore/QSet>
#include <QtCore/QStringList>
#include <QtCore/QtEndian>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace {

// Kernel-internal state of request sockets (half-open connections); reported as SYN_RECV.
constexpr int TcpNewSynRecv = 12;
// idiag_states: one bit per state, all of ESTABLISHED (bit 1) .. NEW_SYN_RECV (bit 12).
constexpr quint32 AllStates = ((1u << 13) - 1) & ~1u;
constexpr quint32 CloseWaitBit = 1u << TcpSocketInfo::CloseWait;

// What one poll collects, by state bit (SYN_RECV's bit stands for NEW_SYN_RECV too): the states
// whose sockets become rows and the states that are counted. The kernel is asked for their union.
struct Wanted
{
    quint32 rowStates = AllStates;
    quint32 countStates = AllStates;
    bool tcpInfo = true; // INET_DIAG_INFO: the kernel locks each socket to fill it in
    bool ipv4 = true;
    bool ipv6 = true;

    quint32 kernelStates() const
    {
        const quint32 states = rowStates | countStates;
        return states & (1u << TcpSocketInfo::SynRecv) ? states | (1u << TcpNewSynRecv) : states;
    }
};

Wanted wantedFor(TcpSnapshot::Scope scope)
{
    Wanted w;
    switch (scope) {
    case TcpSnapshot::Scope::Full:
        break;
    case TcpSnapshot::Scope::Counts:
        w.rowStates = CloseWaitBit;
        w.tcpInfo = false;
        break;
    case TcpSnapshot::Scope::CloseWait:
        w.rowStates = CloseWaitBit;
        w.countStates = CloseWaitBit;
        w.tcpInfo = false;
        break;
    }
    return w;
}

// The rows and counts of one poll, filled by either source.
struct Collected
{
    QList<TcpSocketInfo> sockets;
    std::array<int, 12> counts{};
};

constexpr int NetlinkTimeoutMs = 2000; // a dump that stalls this long is treated as a failure
constexpr size_t ReceiveBufferSize = 64 * 1024; // the kernel fills at most 32 KiB per dump part

QString errnoText(const char *what, int err)
{
    return QLatin1String(what) + QLatin1String(": ") + QString::fromLocal8Bit(std::strerror(err));
}

class FdGuard
{
public:
    explicit FdGuard(int fd)
        : m_fd(fd)
    { }
    ~FdGuard()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    FdGuard(const FdGuard &) = delete;
    FdGuard &operator=(const FdGuard &) = delete;
    int get() const { return m_fd; }

private:
    int m_fd;
};

void appendOp(QByteArray *bc, quint8 code, quint8 yes, quint16 no)
{
    inet_diag_bc_op op{};
    op.code = code;
    op.yes = yes;
    op.no = no;
    bc->append(reinterpret_cast<const char *>(&op), sizeof op);
}

// The inet_diag bytecode for "sport in ports", built the way ss builds `sport = :A or sport = :B`
// (an OR chain). Each port is a 20-byte block: S_GE p, S_LE p, then a JMP to the end (accept). A
// failed comparison jumps to the next block; past the last block means reject. The kernel's
// auditor walks the "yes" chain, so every block has to be reachable on it, which this layout is.
QByteArray portFilter(const QList<quint16> &ports)
{
    constexpr int Block = 20; // S_GE + port, S_LE + port, JMP (4 bytes each)
    constexpr int LastBlock = 16; // no JMP after the last port
    const int total = int(ports.size()) * Block - (Block - LastBlock);
    QByteArray bc;
    bc.reserve(total);
    for (qsizetype i = 0; i < ports.size(); ++i) {
        const quint16 port = ports.at(i);
        // On failure, "no" skips to the next block (or 4 past the end: reject).
        appendOp(&bc, INET_DIAG_BC_S_GE, 8, 20);
        appendOp(&bc, 0, 0, port);
        appendOp(&bc, INET_DIAG_BC_S_LE, 8, 12);
        appendOp(&bc, 0, 0, port);
        if (i + 1 < ports.size()) {
            const int rest = total - int(bc.size()) - 4;
            // JMP is never "yes"; "no" lands exactly on the end of the program: accept.
            appendOp(&bc, INET_DIAG_BC_JMP, 4, quint16(rest + 4));
        }
    }
    Q_ASSERT(bc.size() == total);
    return bc;
}

QHostAddress addressFrom(int family, const __be32 words[4])
{
    if (family == AF_INET) {
        quint32 raw;
        std::memcpy(&raw, words, sizeof raw);
        return QHostAddress(qFromBigEndian(raw));
    }
    quint8 bytes[16];
    std::memcpy(bytes, words, sizeof bytes);
    return QHostAddress(bytes);
}

size_t align4(size_t n)
{
    return (n + 3) & ~size_t(3);
}

// Parses one SOCK_DIAG_BY_FAMILY message (inet_diag_msg + attributes): counts its state, and
// builds its row only when its state is wanted as a row.
void parseDiagMessage(const char *payload, size_t length, const Wanted &wanted, Collected *out)
{
    inet_diag_msg msg;
    if (length < sizeof msg)
        return;
    std::memcpy(&msg, payload, sizeof msg);
    const int state
        = msg.idiag_state == TcpNewSynRecv ? int(TcpSocketInfo::SynRecv) : msg.idiag_state;
    if (state < TcpSnapshot::FirstState || state > TcpSnapshot::LastState)
        return;
    const quint32 bit = 1u << state;
    if (wanted.countStates & bit)
        ++out->counts[size_t(state)];
    if (!(wanted.rowStates & bit))
        return;

    TcpSocketInfo s;
    s.state = state;
    s.localAddress = addressFrom(msg.idiag_family, msg.id.idiag_src);
    s.localPort = qFromBigEndian(msg.id.idiag_sport);
    s.peerAddress = addressFrom(msg.idiag_family, msg.id.idiag_dst);
    s.peerPort = qFromBigEndian(msg.id.idiag_dport);
    s.inode = msg.idiag_inode;
    if (s.state == TcpSocketInfo::Listen) {
        s.backlog = msg.idiag_rqueue;
        s.maxBacklog = msg.idiag_wqueue;
    }
    s.recvQueue = msg.idiag_rqueue;
    s.sendQueue = msg.idiag_wqueue;

    size_t offset = align4(sizeof msg);
    while (offset + sizeof(nlattr) <= length) {
        nlattr attr;
        std::memcpy(&attr, payload + offset, sizeof attr);
        if (attr.nla_len < sizeof attr || offset + attr.nla_len > length)
            break;
        if ((attr.nla_type & NLA_TYPE_MASK) == INET_DIAG_INFO) {
            // Older or newer kernels send a shorter or longer tcp_info: take what both know.
            tcp_info info{};
            std::memcpy(&info, payload + offset + sizeof attr,
                        std::min<size_t>(attr.nla_len - sizeof attr, sizeof info));
            s.hasTcpInfo = true;
            s.rttUs = info.tcpi_rtt;
            s.rttVarUs = info.tcpi_rttvar;
            s.retransmits = info.tcpi_total_retrans;
            s.unacked = info.tcpi_unacked;
            s.lost = info.tcpi_lost;
            s.lastDataRecvMs = info.tcpi_last_data_recv;
            s.lastDataSentMs = info.tcpi_last_data_sent;
        }
        offset += align4(attr.nla_len);
    }
    out->sockets.append(s);
}

// One dump for one address family. Returns false with *error set when the kernel refuses.
bool dumpFamily(int fd, quint8 family, quint32 seq, const QByteArray &bytecode,
                const Wanted &wanted, Collected *out, QString *error)
{
    inet_diag_req_v2 req{};
    req.sdiag_family = family;
    req.sdiag_protocol = IPPROTO_TCP;
    req.idiag_ext = wanted.tcpInfo ? 1 << (INET_DIAG_INFO - 1) : 0;
    // The kernel checks the state before the port filter and before filling anything in.
    req.idiag_states = wanted.kernelStates();

    const size_t attrLength = sizeof(nlattr) + size_t(bytecode.size());
    const size_t messageLength = sizeof(nlmsghdr) + align4(sizeof req) + align4(attrLength);
    std::vector<char> message(messageLength, 0);

    nlmsghdr header{};
    header.nlmsg_len = quint32(messageLength);
    header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    header.nlmsg_seq = seq;
    nlattr attr{};
    attr.nla_len = quint16(attrLength);
    attr.nla_type = INET_DIAG_REQ_BYTECODE;

    char *p = message.data();
    std::memcpy(p, &header, sizeof header);
    p += sizeof header;
    std::memcpy(p, &req, sizeof req);
    p += align4(sizeof req);
    std::memcpy(p, &attr, sizeof attr);
    std::memcpy(p + sizeof attr, bytecode.constData(), size_t(bytecode.size()));

    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    ssize_t sent;
    do {
        sent = ::sendto(fd, message.data(), message.size(), 0,
                        reinterpret_cast<const sockaddr *>(&kernel), sizeof kernel);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0) {
        *error = errnoText("netlink send", errno);
        return false;
    }

    std::vector<quint64> storage(ReceiveBufferSize / sizeof(quint64)); // 8-byte aligned
    char *buffer = reinterpret_cast<char *>(storage.data());
    for (;;) {
        const ssize_t received = ::recv(fd, buffer, ReceiveBufferSize, 0);
        if (received < 0) {
            if (errno == EINTR)
                continue;
            *error = errnoText("netlink receive", errno);
            return false;
        }
        if (received == 0) {
            *error = QStringLiteral("netlink receive: socket closed");
            return false;
        }
        size_t offset = 0;
        const size_t total = size_t(received);
        while (offset + sizeof(nlmsghdr) <= total) {
            nlmsghdr h;
            std::memcpy(&h, buffer + offset, sizeof h);
            if (h.nlmsg_len < sizeof h || offset + h.nlmsg_len > total) {
                *error = QStringLiteral("netlink receive: truncated message");
                return false;
            }
            const char *payload = buffer + offset + sizeof h;
            const size_t payloadLength = h.nlmsg_len - sizeof h;
            offset += align4(h.nlmsg_len);
            if (h.nlmsg_seq != seq)
                continue; // a stray answer to an earlier, abandoned request
            if (h.nlmsg_type == NLMSG_DONE) {
                int status = 0;
                if (payloadLength >= sizeof status)
                    std::memcpy(&status, payload, sizeof status);
                if (status < 0) {
                    *error = errnoText("netlink dump", -status);
                    return false;
                }
                return true;
            }
            if (h.nlmsg_type == NLMSG_ERROR) {
                nlmsgerr err{};
                std::memcpy(&err, payload, std::min(payloadLength, sizeof err));
                if (err.error == 0)
                    continue; // an ACK
                *error = errnoText("netlink request", -err.error);
                return false;
            }
            if (h.nlmsg_type != SOCK_DIAG_BY_FAMILY)
                continue;
            parseDiagMessage(payload, payloadLength, wanted, out);
        }
    }
}

bool pollNetlink(const QList<quint16> &ports, const Wanted &wanted, Collected *out, QString *error)
{
    FdGuard fd(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
    if (fd.get() < 0) {
        *error = errnoText("netlink socket", errno);
        return false;
    }
    timeval timeout{};
    timeout.tv_sec = NetlinkTimeoutMs / 1000;
    timeout.tv_usec = (NetlinkTimeoutMs % 1000) * 1000;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    if (ports.isEmpty())
        return true; // no bytecode would mean "every socket": ask nothing instead

    const QByteArray bytecode = portFilter(ports);
    Collected collected;
    if ((wanted.ipv4 && !dumpFamily(fd.get(), AF_INET, 1, bytecode, wanted, &collected, error))
        || (wanted.ipv6 && !dumpFamily(fd.get(), AF_INET6, 2, bytecode, wanted, &collected, error)))
        return false;
    *out = std::move(collected);
    return true;
}

// Hex digits [begin, end) as a number; false on any non-hex character or an empty range.
bool parseHex(const char *begin, const char *end, quint32 *value)
{
    if (begin == end || end - begin > 8)
        return false;
    quint32 v = 0;
    for (const char *c = begin; c != end; ++c) {
        int d;
        if (*c >= '0' && *c <= '9')
            d = *c - '0';
        else if (*c >= 'A' && *c <= 'F')
            d = *c - 'A' + 10;
        else if (*c >= 'a' && *c <= 'f')
            d = *c - 'a' + 10;
        else
            return false;
        v = (v << 4) | quint32(d);
    }
    *value = v;
    return true;
}

// "0100007F:1F90" (IPv4) or 32 hex digits + ":PORT" (IPv6). The kernel prints each 32-bit word of
// the address as the host reads it, so the word's bytes in host memory are in network order.
bool parseProcEndpoint(const QByteArray &field, bool v6, QHostAddress *address, quint16 *port)
{
    const int hexLength = v6 ? 32 : 8;
    if (field.size() != hexLength + 5 || field.at(hexLength) != ':')
        return false;
    const char *data = field.constData();
    quint8 bytes[16];
    for (int w = 0; w < hexLength / 8; ++w) {
        quint32 word;
        if (!parseHex(data + w * 8, data + w * 8 + 8, &word))
            return false;
        std::memcpy(bytes + w * 4, &word, 4);
    }
    quint32 p;
    if (!parseHex(data + hexLength + 1, data + hexLength + 5, &p))
        return false;
    if (v6) {
        *address = QHostAddress(bytes);
    } else {
        quint32 raw;
        std::memcpy(&raw, bytes, 4);
        *address = QHostAddress(qFromBigEndian(raw));
    }
    *port = quint16(p);
    return true;
}

// One row of /proc/net/tcp{,6}:
//   sl local rem st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
// Only the local endpoint is parsed before the port check: most rows are somebody else's. There
// is no kernel state filter on this path: the state is checked here, before the rest is parsed.
// Returns the row's state, or 0 when the row is not wanted or does not parse; *out is set only
// when the state is wanted as a row.
int parseProcLine(const QByteArray &line, bool v6, const QSet<quint16> &ports, const Wanted &wanted,
                  TcpSocketInfo *out)
{
    const QList<QByteArray> fields = line.simplified().split(' ');
    if (fields.size() < 10 || !fields.at(0).endsWith(':'))
        return 0;
    TcpSocketInfo s;
    if (!parseProcEndpoint(fields.at(1), v6, &s.localAddress, &s.localPort))
        return 0;
    if (!ports.contains(s.localPort))
        return 0;
    quint32 state;
    if (!parseHex(fields.at(3).cbegin(), fields.at(3).cend(), &state)
        || int(state) < TcpSnapshot::FirstState || int(state) > TcpSnapshot::LastState)
        return 0;
    const quint32 bit = 1u << state;
    if (!((wanted.rowStates | wanted.countStates) & bit))
        return 0;
    if (!(wanted.rowStates & bit))
        return int(state);
    if (!parseProcEndpoint(fields.at(2), v6, &s.peerAddress, &s.peerPort))
        return 0;
    s.state = int(state);
    const QByteArray &queues = fields.at(4);
    const qsizetype colon = queues.indexOf(':');
    if (colon < 0 || !parseHex(queues.cbegin(), queues.cbegin() + colon, &s.sendQueue)
        || !parseHex(queues.cbegin() + colon + 1, queues.cend(), &s.recvQueue))
        return 0;
    bool ok = false;
    s.inode = fields.at(9).toULongLong(&ok);
    if (!ok)
        return 0;
    if (s.state == TcpSocketInfo::Listen)
        s.backlog = s.recvQueue; // the max backlog is not in /proc
    *out = s;
    return s.state;
}

// Returns false when the file cannot be read; rows that do not parse are skipped.
bool readProcFile(const QString &path, bool v6, const QSet<quint16> &ports, const Wanted &wanted,
                  Collected *out)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return false;
    const QByteArray data = file.readAll(); // /proc files report size 0: readAll reads to EOF
    qsizetype start = data.indexOf('\n'); // skip the header row
    if (start < 0)
        return true;
    ++start;
    while (start < data.size()) {
        qsizetype end = data.indexOf('\n', start);
        if (end < 0)
            end = data.size();
        TcpSocketInfo s; // state stays 0 unless the row is wanted as a row
        const int state = parseProcLine(data.mid(start, end - start), v6, ports, wanted, &s);
        if (state && (wanted.countStates & (1u << state)))
            ++out->counts[size_t(state)];
        if (s.state)
            out->sockets.append(s);
        start = end + 1;
    }
    return true;
}

bool pollProc(const QString &root, const QList<quint16> &ports, const Wanted &wanted,
              Collected *out, QString *error)
{
    const QSet<quint16> portSet(ports.cbegin(), ports.cend());
    Collected collected;
    const QString tcp = root + QLatin1String("/net/tcp");
    const QString tcp6 = root + QLatin1String("/net/tcp6");
    const bool haveV4 = wanted.ipv4 && readProcFile(tcp, false, portSet, wanted, &collected);
    const bool haveV6 = wanted.ipv6 && readProcFile(tcp6, true, portSet, wanted, &collected);
    if (!haveV4 && !haveV6) { // one alone is fine: a kernel without IPv6 has no tcp6
        QStringList files;
        if (wanted.ipv4)
            files.append(tcp);
        if (wanted.ipv6)
            files.append(tcp6);
        *error = QLatin1String("proc: cannot read ") + files.join(QLatin1String(" or "));
        return false;
    }
    *out = std::move(collected);
    return true;
}

void appendError(QString *all, const QString &error)
{
    if (!all->isEmpty())
        all->append(QLatin1String("; "));
    all->append(error);
}

} // namespace

TcpSnapshot TcpMonitor::poll(const QList<quint16> &requested, TcpSnapshot::Scope scope) const
{
    QElapsedTimer timer;
    timer.start();
    TcpSnapshot snapshot;
    snapshot.scope = scope;
    snapshot.takenAtMs = QDateTime::currentMSecsSinceEpoch();
    Wanted wanted = wantedFor(scope);
    wanted.ipv4 = m_ipv4;
    wanted.ipv6 = m_ipv6;

    QList<quint16> ports;
    for (quint16 p : requested) {
        if (p != 0 && !ports.contains(p))
            ports.append(p);
    }
    std::sort(ports.begin(), ports.end());

    using Source = TcpSnapshot::Source;
    const bool tryNetlink = !m_forced || *m_forced == Source::Netlink;
    const bool tryProc = !m_forced || *m_forced == Source::Proc;
    QString error;
    Collected collected;
    if (tryNetlink && pollNetlink(ports, wanted, &collected, &error)) {
        snapshot.source = Source::Netlink;
    } else {
        if (tryNetlink)
            appendError(&snapshot.error, error);
        if (tryProc && pollProc(m_procRoot, ports, wanted, &collected, &error)) {
            snapshot.source = Source::Proc;
        } else {
            if (tryProc)
                appendError(&snapshot.error, error);
            if (m_forced && *m_forced == Source::Unavailable)
                appendError(&snapshot.error, QStringLiteral("source forced to unavailable"));
            snapshot.source = Source::Unavailable;
        }
    }

    if (snapshot.isAvailable()) {
        snapshot.sockets = std::move(collected.sockets);
        for (int s = TcpSnapshot::FirstState; s <= TcpSnapshot::LastState; ++s) {
            if (wanted.countStates & (1u << s))
                snapshot.stateCounts[size_t(s)] = collected.counts[size_t(s)];
        }
    }
    snapshot.pollCostUs = timer.nsecsElapsed() / 1000;
    return snapshot;
}

void TcpMonitor::matchConnections(TcpSnapshot *snapshot,
                                  const QHash<TcpTuple, ConnectionId> &idByTuple)
{
    for (TcpSocketInfo &s : snapshot->sockets)
        s.connectionId = idByTuple.value(s.tuple(), 0);
}

QList<TcpSocketInfo> TcpMonitor::closeWaitAlarms(const TcpSnapshot &snapshot, qint64 nowMs,
                                                 qint64 alarmAfterMs)
{
    QList<TcpSocketInfo> alarms;
    if (!snapshot.isAvailable())
        return alarms;

    QSet<QString> present;
    for (const TcpSocketInfo &s : snapshot.sockets) {
        if (s.state != TcpSocketInfo::CloseWait)
            continue;
        const QString key = s.key();
        present.insert(key);
        auto it = m_closeWait.find(key);
        if (it == m_closeWait.end())
            it = m_closeWait.insert(key, CloseWaitEntry{nowMs, false});
        if (!it->alarmed && nowMs - it->firstSeenMs > alarmAfterMs) {
            it->alarmed = true;
            alarms.append(s);
        }
    }

    // Collect first, then remove: the sockets that left CLOSE_WAIT start afresh if they return.
    QList<QString> gone;
    for (auto it = m_closeWait.cbegin(); it != m_closeWait.cend(); ++it) {
        if (!present.contains(it.key()))
            gone.append(it.key());
    }
    for (const QString &key : std::as_const(gone))
        m_closeWait.remove(key);
    return alarms;
}
