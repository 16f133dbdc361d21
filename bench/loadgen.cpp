// SPDX-License-Identifier: MIT
// warden_loadgen: a load generator for Warden and its peers (bench/run-scenarios drives it).
// A real RFC 6455 client on one epoll loop: non-blocking connects from several 127.0.0.x source
// addresses, the upgrade with a checked Sec-WebSocket-Accept, masked frames, the Warden login with
// HS256 tokens it signs itself. Qt is used only before the hot loop (hashes, base64). Loopback
// only; every phase is bounded in count and time. Figures go to stdout as `RESULT {json}` lines.

#include <QtCore/QByteArray>
#include <QtCore/QCryptographicHash>
#include <QtCore/QMessageAuthenticationCode>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

struct Options
{
    std::string host = "127.0.0.1";
    int port = 1215;
    std::string path = "/";
    int connections = 100;
    int sources = 4; // 127.0.0.1 .. 127.0.0.<sources>
    int inflight = 2000; // connects + handshakes + logins in progress at once
    bool login = true; // send loginCheck and wait for the 200 answer
    std::string secret;
    long long exp = 0; // token exp (NumericDate); 0 = now + 3600
    std::string label = "run";
    double connectTimeout = 60; // seconds for the whole storm
    double hold = 0; // seconds to hold after the storm (ends early on a line or EOF on stdin)
    bool expectExpiry = false; // wait for the session_expired push at `exp`
    std::string admin; // host:port of Warden's admin API (broadcast, kicks)
    std::string adminToken;
    bool broadcast = false; // through the admin API, or over a socket with --broadcast-peer
    bool broadcastPeer = false;
    double throughput = 0; // seconds of back-to-back traffic
    int active = 1000; // connections sending during the throughput phase
    int window = 16; // messages in flight per active connection
    bool echo = false; // peers echo every message; Warden answers only the ping closing a batch
    double kickRate = 0; // kicks per second during the throughput phase (admin API)
    bool socketIo = false; // speak Engine.IO 4 / Socket.IO 5 framing (the socket.io peer)
};

using Clock = std::chrono::steady_clock;

double nowMs()
{
    return std::chrono::duration<double, std::milli>(Clock::now().time_since_epoch()).count();
}

double wallMs()
{
    return std::chrono::duration<double, std::milli>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

[[noreturn]] void usage(const char *why)
{
    std::fprintf(
        stderr,
        "warden_loadgen: %s\n"
        "usage: warden_loadgen [--host 127.0.0.1] [--port N] [--path /] [--connections N]\n"
        "  [--sources K] [--inflight C] [--no-login] [--secret S] [--exp EPOCH_S]\n"
        "  [--label L] [--connect-timeout S] [--hold S] [--expect-expiry]\n"
        "  [--broadcast HOST:PORT|peer] [--admin-token T] [--throughput S] [--active M]\n"
        "  [--window W] [--echo] [--kick-rate R] [--socketio]\n",
        why);
    std::exit(2);
}

Options parseOptions(int argc, char **argv)
{
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                usage((a + " needs a value").c_str());
            return argv[++i];
        };
        if (a == "--host")
            o.host = value();
        else if (a == "--port")
            o.port = std::atoi(value().c_str());
        else if (a == "--path")
            o.path = value();
        else if (a == "--connections")
            o.connections = std::atoi(value().c_str());
        else if (a == "--sources")
            o.sources = std::atoi(value().c_str());
        else if (a == "--inflight")
            o.inflight = std::atoi(value().c_str());
        else if (a == "--no-login")
            o.login = false;
        else if (a == "--secret")
            o.secret = value();
        else if (a == "--exp")
            o.exp = std::atoll(value().c_str());
        else if (a == "--label")
            o.label = value();
        else if (a == "--connect-timeout")
            o.connectTimeout = std::atof(value().c_str());
        else if (a == "--hold")
            o.hold = std::atof(value().c_str());
        else if (a == "--expect-expiry")
            o.expectExpiry = true;
        else if (a == "--admin")
            o.admin = value();
        else if (a == "--broadcast")
            o.broadcast = true;
        else if (a == "--broadcast-peer")
            o.broadcast = o.broadcastPeer = true;
        else if (a == "--admin-token")
            o.adminToken = value();
        else if (a == "--throughput")
            o.throughput = std::atof(value().c_str());
        else if (a == "--active")
            o.active = std::atoi(value().c_str());
        else if (a == "--window")
            o.window = std::atoi(value().c_str());
        else if (a == "--echo")
            o.echo = true;
        else if (a == "--kick-rate")
            o.kickRate = std::atof(value().c_str());
        else if (a == "--socketio")
            o.socketIo = true;
        else
            usage(("unknown option " + a).c_str());
    }
    in_addr dst{};
    if (inet_pton(AF_INET, o.host.c_str(), &dst) != 1 || (ntohl(dst.s_addr) >> 24) != 127)
        usage("--host must be an IPv4 loopback address (127.0.0.0/8)");
    if (o.connections < 1 || o.connections > 100000)
        usage("--connections must be 1..100000");
    if (o.sources < 1 || o.sources > 250)
        usage("--sources must be 1..250");
    if (o.inflight < 1)
        usage("--inflight must be at least 1");
    if (o.window < 2)
        usage("--window must be at least 2");
    if (o.login && o.secret.empty())
        usage("--secret is needed to sign login tokens (or --no-login)");
    const double bounds[] = {o.connectTimeout, o.hold, o.throughput};
    for (double b : bounds)
        if (b < 0 || b > 600)
            usage("times must be 0..600 seconds");
    if (o.kickRate < 0 || o.kickRate > 1000)
        usage("--kick-rate must be 0..1000");
    if ((o.kickRate > 0 || (o.broadcast && !o.broadcastPeer)) && o.admin.empty())
        usage("--kick-rate and --broadcast need --admin HOST:PORT and --admin-token");
    if (!o.admin.empty()) {
        in_addr a{};
        const size_t colon = o.admin.rfind(':');
        if (colon == std::string::npos
            || inet_pton(AF_INET, o.admin.substr(0, colon).c_str(), &a) != 1
            || (ntohl(a.s_addr) >> 24) != 127)
            usage("--admin must be a loopback IPv4 HOST:PORT");
    }
    return o;
}

std::string base64Url(const QByteArray &data)
{
    return data.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals)
        .toStdString();
}

std::string signToken(const std::string &secret, int index, long long exp)
{
    const std::string header = base64Url(QByteArrayLiteral(R"({"alg":"HS256","typ":"JWT"})"));
    const std::string payload = "{\"sub\":\"u" + std::to_string(index) + "\",\"sid\":\"b-"
                                + std::to_string(index) + "\",\"exp\":" + std::to_string(exp) + "}";
    const std::string input = header + "." + base64Url(QByteArray::fromStdString(payload));
    const QByteArray mac = QMessageAuthenticationCode::hash(QByteArray::fromStdString(input),
                                                            QByteArray::fromStdString(secret),
                                                            QCryptographicHash::Sha256);
    return input + "." + base64Url(mac);
}

struct Percentiles
{
    double p50 = 0, p99 = 0, max = 0;
};

Percentiles percentiles(std::vector<double> v)
{
    Percentiles p;
    if (v.empty())
        return p;
    std::sort(v.begin(), v.end());
    auto at = [&](double q) {
        return v[std::min(v.size() - 1, size_t(q * double(v.size())))];
    };
    p.p50 = at(0.50);
    p.p99 = at(0.99);
    p.max = v.back();
    return p;
}

enum class State { Connecting, Upgrading, LoggingIn, Open, Closed };

struct Conn
{
    int fd = -1;
    int index = 0;
    State state = State::Closed;
    std::string in; // bytes not yet parsed
    std::string out; // bytes not yet written
    std::string message; // a fragmented message being assembled
    std::string acceptExpected;
    double startMs = 0;
    double connectedMs = 0; // TCP handshake done (connect() reported writable)
    double upgradedMs = 0; // 101 checked
    double readyMs = 0; // upgraded (and logged in)
    double pushWallMs = 0; // session_expired push received (wall clock)
    // --expect-expiry: when the kernel queued the last bytes read (SO_TIMESTAMPNS, wall clock),
    // and that time for the read that brought the push: its arrival, before this process (which
    // shares the cores with the server) got round to reading it.
    double lastRecvKernelMs = 0;
    double pushKernelMs = 0;
    double closedWallMs = 0;
    double kickSentMs = 0;
    bool gotNotice = false;
    int inFlight = 0; // throughput phase: answers still expected
    bool closeSent = false;
};

class LoadGen
{
public:
    explicit LoadGen(const Options &o)
        : m_o(o)
    { }

    int run();

private:
    void startConnect(int index);
    void onEvent(Conn &c, uint32_t events);
    void onReadable(Conn &c);
    void onUpgradeData(Conn &c);
    void parseFrames(Conn &c);
    void onMessage(Conn &c, const std::string &text);
    void sendFrame(Conn &c, int opcode, const char *data, size_t size);
    // Events go out as `[name, data]`; Socket.IO wants the `42` packet prefix in front.
    void sendText(Conn &c, const std::string &text)
    {
        if (m_o.socketIo && !text.empty() && text[0] == '[') {
            const std::string framed = "42" + text;
            sendFrame(c, 1, framed.data(), framed.size());
        } else {
            sendFrame(c, 1, text.data(), text.size());
        }
    }
    std::string loginFrame(const Conn &c) const
    {
        return "[\"loginCheck\",{\"holding\":\"" + m_tokens[size_t(c.index)] + "\"}]";
    }
    void flush(Conn &c);
    void fail(Conn &c, const char *why);
    void closed(Conn &c);
    void setWantWrite(Conn &c, bool want);
    // Runs the loop until done() or the deadline; returns false on timeout.
    template<typename Done>
    bool loop(double deadlineMs, Done done);
    void sendBatch(Conn &c);
    int openCount() const;
    void printResult(const std::string &phase, const std::string &json);

    Options m_o;
    int m_epoll = -1;
    std::vector<Conn> m_conns;
    std::vector<std::string> m_tokens;
    int m_started = 0;
    int m_inProgress = 0;
    int m_ready = 0;
    int m_failed = 0;
    std::unordered_map<std::string, int> m_failReasons;
    uint64_t m_rng = 0x9E3779B97F4A7C15ull;
    bool m_stdinClosed = false;
    bool m_measuring = false;
    long long m_completed = 0; // throughput: messages answered (echo) or acknowledged (batch)
    std::vector<double> m_kickLatencies;
    std::mutex m_kickMutex;
    std::atomic<bool> m_stopKicker{false};
    int m_kicksSent = 0;
    double m_noticeSentMs = 0;
    int m_notices = 0;
    double m_lastNoticeMs = 0;

    uint32_t random32()
    {
        m_rng ^= m_rng << 13;
        m_rng ^= m_rng >> 7;
        m_rng ^= m_rng << 17;
        return uint32_t(m_rng);
    }
};

void LoadGen::printResult(const std::string &phase, const std::string &json)
{
    std::printf("RESULT {\"label\":\"%s\",\"phase\":\"%s\",%s}\n", m_o.label.c_str(), phase.c_str(),
                json.c_str());
    std::fflush(stdout);
}

void LoadGen::setWantWrite(Conn &c, bool want)
{
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (want ? EPOLLOUT : 0u);
    ev.data.u32 = uint32_t(c.index);
    epoll_ctl(m_epoll, EPOLL_CTL_MOD, c.fd, &ev);
}

void LoadGen::startConnect(int index)
{
    Conn &c = m_conns[size_t(index)];
    c.index = index;
    c.startMs = nowMs();
    c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) {
        ++m_failed;
        ++m_failReasons[std::string("socket: ") + std::strerror(errno)];
        return;
    }
    const int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (m_o.expectExpiry)
        setsockopt(c.fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    // Bind the source address only; connect() picks the port for the whole 4-tuple. A bind() to
    // port 0 would pick it alone, scanning past every earlier round's TIME_WAIT sockets on that
    // address (seconds of load-generator time once tens of thousands of them are around).
    setsockopt(c.fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    sockaddr_in src{};
    src.sin_family = AF_INET;
    src.sin_addr.s_addr = htonl((127u << 24) | uint32_t(1 + index % m_o.sources));
    if (bind(c.fd, reinterpret_cast<sockaddr *>(&src), sizeof src) != 0) {
        ++m_failed;
        ++m_failReasons[std::string("bind: ") + std::strerror(errno)];
        ::close(c.fd);
        c.fd = -1;
        return;
    }
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_port = htons(uint16_t(m_o.port));
    inet_pton(AF_INET, m_o.host.c_str(), &dst.sin_addr);
    c.state = State::Connecting;
    ++m_inProgress;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
    ev.data.u32 = uint32_t(index);
    epoll_ctl(m_epoll, EPOLL_CTL_ADD, c.fd, &ev);
    if (connect(c.fd, reinterpret_cast<sockaddr *>(&dst), sizeof dst) != 0 && errno != EINPROGRESS)
        fail(c, "connect");
}

void LoadGen::fail(Conn &c, const char *why)
{
    if (c.state == State::Closed)
        return;
    const bool pending = c.state != State::Open;
    if (pending) {
        ++m_failed;
        --m_inProgress;
        std::string reason = why;
        if (errno && (!std::strcmp(why, "connect") || !std::strcmp(why, "read")))
            reason += std::string(": ") + std::strerror(errno);
        ++m_failReasons[reason];
    }
    closed(c);
}

void LoadGen::closed(Conn &c)
{
    if (c.state == State::Open)
        --m_ready;
    c.state = State::Closed;
    c.closedWallMs = wallMs();
    {
        std::lock_guard<std::mutex> lock(m_kickMutex); // kickSentMs is set by the kicker thread
        if (c.kickSentMs > 0)
            m_kickLatencies.push_back(nowMs() - c.kickSentMs);
    }
    if (c.fd >= 0) {
        epoll_ctl(m_epoll, EPOLL_CTL_DEL, c.fd, nullptr);
        ::close(c.fd);
        c.fd = -1;
    }
    std::string().swap(c.in);
    std::string().swap(c.out);
}

void LoadGen::flush(Conn &c)
{
    while (!c.out.empty()) {
        const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
        if (n > 0) {
            c.out.erase(0, size_t(n));
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            setWantWrite(c, true);
            return;
        }
        fail(c, "write");
        return;
    }
}

void LoadGen::sendFrame(Conn &c, int opcode, const char *data, size_t size)
{
    const bool wasEmpty = c.out.empty();
    c.out.push_back(char(0x80 | opcode));
    if (size < 126) {
        c.out.push_back(char(0x80 | size));
    } else if (size < 65536) {
        c.out.push_back(char(0x80 | 126));
        c.out.push_back(char(size >> 8));
        c.out.push_back(char(size & 0xff));
    } else {
        c.out.push_back(char(0x80 | 127));
        for (int i = 7; i >= 0; --i)
            c.out.push_back(char((uint64_t(size) >> (8 * i)) & 0xff));
    }
    const uint32_t mask = random32();
    const char key[4] = {char(mask), char(mask >> 8), char(mask >> 16), char(mask >> 24)};
    c.out.append(key, 4);
    const size_t at = c.out.size();
    c.out.append(data, size);
    for (size_t i = 0; i < size; ++i)
        c.out[at + i] = char(c.out[at + i] ^ key[i & 3]);
    if (wasEmpty)
        flush(c);
}

void LoadGen::onEvent(Conn &c, uint32_t events)
{
    if (c.state == State::Connecting) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
            errno = err;
            fail(c, "connect");
            return;
        }
        if (!(events & EPOLLOUT))
            return;
        c.connectedMs = nowMs();
        unsigned char keyBytes[16];
        for (auto &b : keyBytes)
            b = static_cast<unsigned char>(random32());
        const QByteArray key = QByteArray(reinterpret_cast<const char *>(keyBytes), 16).toBase64();
        QByteArray accept = key;
        accept.append("258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
        c.acceptExpected
            = QCryptographicHash::hash(accept, QCryptographicHash::Sha1).toBase64().toStdString();
        c.state = State::Upgrading;
        setWantWrite(c, false);
        c.out = "GET " + m_o.path + " HTTP/1.1\r\nHost: " + m_o.host + ":"
                + std::to_string(m_o.port)
                + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
                + key.toStdString() + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
        flush(c);
        return;
    }
    if (events & EPOLLOUT) {
        if (c.out.empty())
            setWantWrite(c, false);
        else
            flush(c);
        if (c.state == State::Closed)
            return;
        if (c.out.empty())
            setWantWrite(c, false);
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        onReadable(c);
}

void LoadGen::onReadable(Conn &c)
{
    char buf[65536];
    for (;;) {
        ssize_t n;
        if (m_o.expectExpiry) {
            // The kernel's receive time of the data comes along (SO_TIMESTAMPNS, set at login).
            iovec iov{buf, sizeof buf};
            alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
            msghdr msg{};
            msg.msg_iov = &iov;
            msg.msg_iovlen = 1;
            msg.msg_control = control;
            msg.msg_controllen = sizeof control;
            n = ::recvmsg(c.fd, &msg, 0);
            for (cmsghdr *cm = CMSG_FIRSTHDR(&msg); n > 0 && cm; cm = CMSG_NXTHDR(&msg, cm)) {
                if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
                    timespec ts{};
                    std::memcpy(&ts, CMSG_DATA(cm), sizeof ts);
                    c.lastRecvKernelMs = double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
                }
            }
        } else {
            n = ::recv(c.fd, buf, sizeof buf, 0);
        }
        if (n > 0) {
            c.in.append(buf, size_t(n));
            if (size_t(n) < sizeof buf)
                break;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        // EOF or error: parse what came first (a close frame, a last message), then close.
        if (c.state == State::Upgrading)
            onUpgradeData(c);
        else if (c.state != State::Closed && !c.in.empty())
            parseFrames(c);
        if (c.state != State::Closed) {
            errno = n < 0 ? errno : 0;
            fail(c, n == 0 ? "eof" : "read");
        }
        return;
    }
    if (c.state == State::Upgrading)
        onUpgradeData(c);
    else if (c.state != State::Closed)
        parseFrames(c);
}

void LoadGen::onUpgradeData(Conn &c)
{
    const size_t end = c.in.find("\r\n\r\n");
    if (end == std::string::npos) {
        if (c.in.size() > 16384)
            fail(c, "upgrade head too large");
        return;
    }
    const std::string head = c.in.substr(0, end + 2);
    c.in.erase(0, end + 4);
    if (head.compare(0, 12, "HTTP/1.1 101") != 0) {
        errno = 0;
        fail(c, ("status " + head.substr(9, 3)).c_str());
        return;
    }
    // Header names are case-insensitive.
    std::string lower = head;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char ch) { return char(std::tolower(ch)); });
    const size_t at = lower.find("\r\nsec-websocket-accept:");
    if (at == std::string::npos) {
        errno = 0;
        fail(c, "no Sec-WebSocket-Accept");
        return;
    }
    size_t v = at + 23;
    while (v < head.size() && head[v] == ' ')
        ++v;
    const size_t e = head.find("\r\n", v);
    if (head.substr(v, e - v) != c.acceptExpected) {
        errno = 0;
        fail(c, "wrong Sec-WebSocket-Accept");
        return;
    }
    c.upgradedMs = nowMs();
    if (m_o.login) {
        c.state = State::LoggingIn;
        // Socket.IO: the login goes out once the namespace is connected (see onMessage).
        if (!m_o.socketIo)
            sendText(c, loginFrame(c));
    } else {
        c.state = State::Open;
        c.readyMs = nowMs();
        --m_inProgress;
        ++m_ready;
    }
    if (c.state != State::Closed && !c.in.empty())
        parseFrames(c);
}

void LoadGen::parseFrames(Conn &c)
{
    size_t pos = 0;
    while (c.state != State::Closed) {
        const size_t avail = c.in.size() - pos;
        if (avail < 2)
            break;
        const auto *p = reinterpret_cast<const unsigned char *>(c.in.data() + pos);
        const bool fin = p[0] & 0x80;
        const int opcode = p[0] & 0x0f;
        const bool masked = p[1] & 0x80;
        uint64_t len = p[1] & 0x7f;
        size_t hdr = 2;
        if (len == 126) {
            if (avail < 4)
                break;
            len = (uint64_t(p[2]) << 8) | p[3];
            hdr = 4;
        } else if (len == 127) {
            if (avail < 10)
                break;
            len = 0;
            for (int i = 0; i < 8; ++i)
                len = (len << 8) | p[2 + i];
            hdr = 10;
        }
        if (masked) {
            errno = 0;
            fail(c, "masked frame from server");
            return;
        }
        if (avail < hdr + len)
            break;
        const char *payload = c.in.data() + pos + hdr;
        pos += hdr + size_t(len);
        switch (opcode) {
        case 0x0:
        case 0x1:
        case 0x2:
            c.message.append(payload, size_t(len));
            if (fin) {
                std::string text;
                text.swap(c.message);
                onMessage(c, text);
            }
            break;
        case 0x8: // close: answer it and wait for the server to end TCP
            if (!c.closeSent) {
                c.closeSent = true;
                sendFrame(c, 0x8, payload, std::min<size_t>(size_t(len), 2));
            }
            if (c.state == State::Open || c.state == State::LoggingIn) {
                if (c.state == State::LoggingIn) {
                    errno = 0;
                    fail(c, "closed during login");
                    return;
                }
                closed(c);
                return;
            }
            break;
        case 0x9:
            sendFrame(c, 0xA, payload, size_t(len));
            break;
        default:
            break;
        }
    }
    if (c.state != State::Closed)
        c.in.erase(0, pos);
}

void LoadGen::onMessage(Conn &c, const std::string &text)
{
    if (m_o.socketIo) {
        if (text == "2") { // Engine.IO ping
            sendText(c, "3");
            return;
        }
        if (c.state == State::LoggingIn && !text.empty() && text[0] == '0') {
            sendText(c, "40"); // Engine.IO open: connect the main namespace
            return;
        }
        if (c.state == State::LoggingIn && text.compare(0, 2, "40") == 0) {
            sendText(c, loginFrame(c));
            return;
        }
    }
    if (c.state == State::LoggingIn) {
        if (text.find("\"code\":200") != std::string::npos) {
            c.state = State::Open;
            c.readyMs = nowMs();
            --m_inProgress;
            ++m_ready;
        } else if (text.find("\"code\":") != std::string::npos) {
            errno = 0;
            const size_t r = text.find("\"reason\":\"");
            fail(c, r == std::string::npos
                        ? "login refused"
                        : ("login refused: " + text.substr(r + 10, text.find('"', r + 10) - r - 10))
                              .c_str());
        }
        return;
    }
    if (c.state != State::Open)
        return;
    if (text.find("\"notice\"") != std::string::npos) {
        if (!c.gotNotice) {
            c.gotNotice = true;
            ++m_notices;
            m_lastNoticeMs = nowMs();
        }
        return;
    }
    if (text.find("\"session_expired\"") != std::string::npos
        || text.find("\"idle_timeout\"") != std::string::npos) {
        if (c.pushWallMs == 0) {
            c.pushWallMs = wallMs();
            c.pushKernelMs = c.lastRecvKernelMs;
        }
        return;
    }
    if (c.inFlight > 0) {
        // Echo: every message comes back. Warden: the pong ends a batch of activity events.
        if (m_o.echo) {
            --c.inFlight;
            if (m_measuring)
                ++m_completed;
            if (c.inFlight == 0)
                sendBatch(c);
        } else if (text.find("\"pong\"") != std::string::npos) {
            if (m_measuring)
                m_completed += c.inFlight;
            c.inFlight = 0;
            sendBatch(c);
        }
    }
}

void LoadGen::sendBatch(Conn &c)
{
    if (!m_measuring || c.state != State::Open)
        return;
    // One write for the whole batch keeps the client side cheap.
    const std::string prefix = m_o.socketIo ? "42" : "";
    const std::string activity = prefix + "[\"activity\",{}]";
    const std::string echoText = prefix + "[\"activity\",{\"echo\":1}]";
    const std::string ping = prefix + "[\"ping\",{}]";
    const bool wasEmpty = c.out.empty();
    std::string saved;
    saved.swap(c.out);
    for (int i = 0; i < m_o.window; ++i) {
        const std::string &t = m_o.echo ? echoText : (i + 1 == m_o.window ? ping : activity);
        c.out.push_back(char(0x81));
        c.out.push_back(char(0x80 | t.size()));
        const uint32_t mask = random32();
        const char key[4] = {char(mask), char(mask >> 8), char(mask >> 16), char(mask >> 24)};
        c.out.append(key, 4);
        for (size_t k = 0; k < t.size(); ++k)
            c.out.push_back(char(t[k] ^ key[k & 3]));
    }
    c.inFlight = m_o.window;
    saved.append(c.out);
    c.out.swap(saved);
    if (wasEmpty)
        flush(c);
}

int LoadGen::openCount() const
{
    int n = 0;
    for (const Conn &c : m_conns)
        n += c.state == State::Open;
    return n;
}

template<typename Done>
bool LoadGen::loop(double deadlineMs, Done done)
{
    std::vector<epoll_event> events(4096);
    while (!done()) {
        const double left = deadlineMs - nowMs();
        if (left <= 0)
            return false;
        // Keep the storm going: start more connections while in-flight slots are free.
        while (m_started < m_o.connections && m_inProgress < m_o.inflight && nowMs() < deadlineMs)
            startConnect(m_started++);
        const int n
            = epoll_wait(m_epoll, events.data(), int(events.size()), int(std::min(left, 50.0)) + 1);
        for (int i = 0; i < n; ++i) {
            const uint32_t id = events[size_t(i)].data.u32;
            if (id == UINT32_MAX) {
                // Any line or EOF on stdin ends the hold.
                char b[256];
                [[maybe_unused]] const ssize_t got = ::read(0, b, sizeof b);
                m_stdinClosed = true;
                epoll_ctl(m_epoll, EPOLL_CTL_DEL, 0, nullptr);
                continue;
            }
            Conn &c = m_conns[id];
            if (c.state != State::Closed)
                onEvent(c, events[size_t(i)].events);
        }
    }
    return true;
}

// A blocking HTTP/1.1 request to Warden's admin API (runs outside the epoll loop).
int adminRequest(const std::string &hostPort, const std::string &token, const std::string &method,
                 const std::string &path, const std::string &body)
{
    const size_t colon = hostPort.rfind(':');
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_port = htons(uint16_t(std::atoi(hostPort.substr(colon + 1).c_str())));
    inet_pton(AF_INET, hostPort.substr(0, colon).c_str(), &dst.sin_addr);
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, reinterpret_cast<sockaddr *>(&dst), sizeof dst) != 0) {
        if (fd >= 0)
            ::close(fd);
        return -1;
    }
    const std::string req
        = method + " " + path + " HTTP/1.1\r\nHost: " + hostPort + "\r\nAuthorization: Bearer "
          + token + "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: "
          + std::to_string(body.size()) + "\r\n\r\n" + body;
    ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
    char buf[4096];
    std::string answer;
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0 && answer.size() < 65536)
        answer.append(buf, size_t(n));
    ::close(fd);
    return answer.size() > 12 ? std::atoi(answer.c_str() + 9) : -1;
}

int LoadGen::run()
{
    // 19,000 sockets need more than the usual soft limit of 1024 descriptors.
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if (rlim_t(m_o.connections) + 64 > rl.rlim_cur) {
        std::fprintf(stderr,
                     "warden_loadgen: %d connections need more than the %llu open files"
                     " this process may have\n",
                     m_o.connections, static_cast<unsigned long long>(rl.rlim_cur));
        return 2;
    }
    m_epoll = epoll_create1(EPOLL_CLOEXEC);
    m_conns.resize(size_t(m_o.connections));
    if (m_o.login) {
        const long long exp = m_o.exp ? m_o.exp : (long long)(wallMs() / 1000) + 3600;
        m_tokens.reserve(size_t(m_o.connections));
        for (int i = 0; i < m_o.connections; ++i)
            m_tokens.push_back(signToken(m_o.secret, i, exp));
    }
    if (m_o.hold > 0) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u32 = UINT32_MAX;
        epoll_ctl(m_epoll, EPOLL_CTL_ADD, 0, &ev);
    }

    // Phase 1: the storm.
    const double t0 = nowMs();
    loop(t0 + m_o.connectTimeout * 1000,
         [&] { return m_started == m_o.connections && m_inProgress == 0; });
    const double storm = nowMs() - t0;
    std::vector<double> lat, upgrade, connected;
    for (const Conn &c : m_conns)
        if (c.readyMs > 0) {
            lat.push_back(c.readyMs - c.startMs);
            upgrade.push_back(c.upgradedMs - c.startMs);
            connected.push_back(c.connectedMs - c.startMs);
        }
    const Percentiles p = percentiles(lat);
    const Percentiles u = percentiles(upgrade);
    const Percentiles k = percentiles(connected);
    std::string reasons;
    for (const auto &r : m_failReasons)
        reasons += std::string(reasons.empty() ? "" : ",") + "\"" + r.first
                   + "\":" + std::to_string(r.second);
    char json[1024];
    std::snprintf(json, sizeof json,
                  "\"connections\":%d,\"ready\":%d,\"failed\":%d,\"unfinished\":%d,"
                  "\"seconds\":%.3f,\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"max_ms\":%.2f,"
                  "\"connect_p99_ms\":%.2f,\"connect_max_ms\":%.2f,"
                  "\"upgrade_p50_ms\":%.2f,\"upgrade_p99_ms\":%.2f,\"fail_reasons\":{%s}",
                  m_o.connections, openCount(), m_failed, m_inProgress, storm / 1000, p.p50, p.p99,
                  p.max, k.p99, k.max, u.p50, u.p99, reasons.c_str());
    printResult("storm", json);

    // Phase 2: hold the connections idle (answering pings) until told or the time is up.
    if (m_o.hold > 0) {
        std::printf("READY %d\n", openCount());
        std::fflush(stdout);
        const double h0 = nowMs();
        const int before = openCount();
        loop(h0 + m_o.hold * 1000, [&] { return m_stdinClosed; });
        std::snprintf(json, sizeof json, "\"held\":%d,\"still_open\":%d,\"seconds\":%.3f", before,
                      openCount(), (nowMs() - h0) / 1000);
        printResult("hold", json);
    }

    // Phase: a broadcast to every connection.
    if (m_o.broadcast) {
        const int targets = openCount();
        m_notices = 0;
        m_noticeSentMs = nowMs();
        int status = 0;
        if (m_o.broadcastPeer) {
            for (Conn &c : m_conns)
                if (c.state == State::Open) {
                    sendText(c, "[\"broadcast\",{\"event\":\"notice\"}]");
                    break;
                }
            status = 200;
        } else {
            std::thread t([&] {
                status = adminRequest(m_o.admin, m_o.adminToken, "POST", "/api/v1/broadcast",
                                      "{\"event\":\"notice\",\"data\":{\"text\":\"bench\"}}");
            });
            loop(nowMs() + 30000, [&] { return m_notices >= targets; });
            t.join();
        }
        loop(nowMs() + 30000, [&] { return m_notices >= targets; });
        std::snprintf(json, sizeof json,
                      "\"targets\":%d,\"received\":%d,\"status\":%d,\"seconds\":%.3f", targets,
                      m_notices, status, (m_lastNoticeMs - m_noticeSentMs) / 1000);
        printResult("broadcast", json);
    }

    // Phase: back-to-back traffic on the first `active` connections, with kicks on the others.
    if (m_o.throughput > 0) {
        m_measuring = true;
        int active = 0;
        for (Conn &c : m_conns)
            if (c.state == State::Open && active < m_o.active) {
                ++active;
                sendBatch(c);
            }
        std::thread kicker;
        if (m_o.kickRate > 0) {
            // The victims are the idle connections past the active ones.
            std::vector<int> victims;
            int seen = 0;
            for (Conn &c : m_conns)
                if (c.state == State::Open && ++seen > m_o.active)
                    victims.push_back(c.index);
            kicker = std::thread([this, victims] {
                const auto period = std::chrono::duration<double>(1.0 / m_o.kickRate);
                for (int v : victims) {
                    if (m_stopKicker)
                        break;
                    {
                        std::lock_guard<std::mutex> lock(m_kickMutex);
                        m_conns[size_t(v)].kickSentMs = nowMs();
                        ++m_kicksSent;
                    }
                    adminRequest(m_o.admin, m_o.adminToken, "DELETE",
                                 "/api/v1/sessions/b-" + std::to_string(v),
                                 "{\"reason\":\"bench\"}");
                    std::this_thread::sleep_for(period);
                }
            });
        }
        const double s0 = nowMs();
        loop(s0 + m_o.throughput * 1000, [] { return false; });
        const double secs = (nowMs() - s0) / 1000;
        m_measuring = false;
        m_stopKicker = true;
        if (kicker.joinable()) {
            loop(nowMs() + 2000, [] { return false; }); // let the last kicks land
            kicker.join();
        }
        std::vector<double> kicks;
        {
            std::lock_guard<std::mutex> lock(m_kickMutex);
            kicks = m_kickLatencies;
        }
        const Percentiles k = percentiles(kicks);
        std::snprintf(json, sizeof json,
                      "\"active\":%d,\"window\":%d,\"messages\":%lld,\"seconds\":%.3f,"
                      "\"msgs_per_s\":%.0f,\"kicks\":%d,\"kicks_closed\":%zu,"
                      "\"kick_p50_ms\":%.2f,\"kick_p99_ms\":%.2f,\"kick_max_ms\":%.2f",
                      active, m_o.window, m_completed, secs, double(m_completed) / secs,
                      m_kicksSent, kicks.size(), k.p50, k.p99, k.max);
        printResult("throughput", json);
    }

    // Phase: every session ends at the token's exp; measure how late the push comes.
    if (m_o.expectExpiry && m_o.exp > 0) {
        const double deadline = double(m_o.exp) * 1000;
        const int targets = openCount();
        const double waitUntil = nowMs() + (deadline - wallMs()) + 15000;
        loop(waitUntil, [&] { return openCount() == 0; });
        std::vector<double> late;
        std::vector<double> arrived;
        double lastClose = 0;
        int pushed = 0;
        for (const Conn &c : m_conns) {
            if (c.readyMs <= 0)
                continue;
            if (c.pushWallMs > 0) {
                ++pushed;
                late.push_back(c.pushWallMs - deadline);
                if (c.pushKernelMs > 0)
                    arrived.push_back(c.pushKernelMs - deadline);
            }
            if (c.closedWallMs > 0)
                lastClose = std::max(lastClose, c.closedWallMs);
        }
        const Percentiles l = percentiles(late);
        // late_*: when this process read the push; arrival_*: when the kernel had it for this
        // process (clients on other machines read theirs at once; here they wait for a core).
        const Percentiles a = percentiles(arrived);
        std::snprintf(json, sizeof json,
                      "\"targets\":%d,\"pushed\":%d,\"still_open\":%d,\"late_p50_ms\":%.2f,"
                      "\"late_p99_ms\":%.2f,\"late_max_ms\":%.2f,\"arrival_p50_ms\":%.2f,"
                      "\"arrival_p99_ms\":%.2f,\"arrival_max_ms\":%.2f,\"timestamped\":%zu,"
                      "\"all_closed_after_ms\":%.2f",
                      targets, pushed, openCount(), l.p50, l.p99, l.max, a.p50, a.p99, a.max,
                      arrived.size(), lastClose > 0 ? lastClose - deadline : -1.0);
        printResult("expiry", json);
    }

    for (Conn &c : m_conns)
        if (c.fd >= 0)
            ::close(c.fd);
    return m_failed > 0 ? 1 : 0;
}

} // namespace

int main(int argc, char **argv)
{
    const Options o = parseOptions(argc, argv);
    LoadGen gen(o);
    return gen.run();
}
