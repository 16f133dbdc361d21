// SPDX-License-Identifier: MIT
#pragma once

#include "server/serverevent.h"

#include <QtCore/QHashFunctions>
#include <QtCore/QJsonObject>
#include <QtCore/QList>
#include <QtCore/QMetaType>
#include <QtCore/QString>
#include <QtNetwork/QHostAddress>

#include <array>

// An IP address as 16 bytes of IPv6, IPv4 (and IPv4-mapped IPv6) as ::ffff:a.b.c.d: a hash key
// for per-address bookkeeping that does not write the address out as text. A copyable value.
struct AddressKey
{
    std::array<quint8, 16> bytes{};

    static AddressKey of(const QHostAddress &address);
    bool operator==(const AddressKey &o) const { return bytes == o.bytes; }
    bool operator!=(const AddressKey &o) const { return bytes != o.bytes; }
    friend size_t qHash(const AddressKey &k, size_t seed = 0) noexcept
    {
        return qHashBits(k.bytes.data(), k.bytes.size(), seed);
    }
};

// A TCP 4-tuple as bytes, to match kernel sockets to connections without writing addresses out:
// every address as 16 bytes of IPv6, IPv4 (and IPv4-mapped IPv6) as ::ffff:a.b.c.d, so both
// spellings of a dual-stack connection are one tuple. A copyable value.
struct TcpTuple
{
    std::array<quint8, 16> local{};
    std::array<quint8, 16> peer{};
    quint16 localPort = 0;
    quint16 peerPort = 0;

    static TcpTuple of(const QHostAddress &localAddress, quint16 localPort,
                       const QHostAddress &peerAddress, quint16 peerPort);
    bool operator==(const TcpTuple &o) const
    {
        return localPort == o.localPort && peerPort == o.peerPort && local == o.local
               && peer == o.peer;
    }
    bool operator!=(const TcpTuple &o) const { return !(*this == o); }
    friend size_t qHash(const TcpTuple &t, size_t seed = 0) noexcept
    {
        return qHashBits(&t, sizeof t, seed); // no padding: 16 + 16 + 2 + 2 bytes
    }
};
static_assert(sizeof(TcpTuple) == 36, "TcpTuple is hashed as raw bytes");

// One kernel TCP socket on one of Warden's ports, as read by TcpMonitor; a copyable value.
struct TcpSocketInfo
{
    // The kernel's TCP states (include/net/tcp_states.h); the values are what the kernel reports.
    enum State : int {
        Established = 1,
        SynSent = 2,
        SynRecv = 3,
        FinWait1 = 4,
        FinWait2 = 5,
        TimeWait = 6,
        Close = 7,
        CloseWait = 8,
        LastAck = 9,
        Listen = 10,
        Closing = 11,
    };

    int state = 0; // a State, 1..11
    QHostAddress localAddress; // Warden's side
    quint16 localPort = 0;
    QHostAddress peerAddress;
    quint16 peerPort = 0;
    quint32 sendQueue = 0; // bytes not yet acknowledged by the peer (LISTEN: max backlog)
    quint32 recvQueue = 0; // bytes not yet read by Warden (LISTEN: current backlog)

    // From struct tcp_info: only the netlink source has them, and not for every state (TIME_WAIT
    // and request sockets carry none). When hasTcpInfo is false they are unknown, not zero.
    bool hasTcpInfo = false;
    quint32 rttUs = 0; // smoothed round-trip time
    quint32 rttVarUs = 0;
    quint32 retransmits = 0; // tcpi_total_retrans: segments retransmitted over the lifetime
    quint32 unacked = 0; // segments in flight
    quint32 lost = 0; // segments the kernel considers lost
    quint32 lastDataRecvMs = 0; // ms since data was last received
    quint32 lastDataSentMs = 0; // ms since data was last sent

    quint64 inode = 0; // 0 for TIME_WAIT and request sockets (they have no file)

    // LISTEN only. maxBacklog is unknown (0) on the /proc source.
    quint32 backlog = 0; // connections waiting in the accept queue
    quint32 maxBacklog = 0; // the listen() backlog

    ConnectionId connectionId = 0; // set by TcpMonitor::matchConnections(); 0 = no match

    // "addr:port", or "[addr]:port" for IPv6, exactly as the kernel reports the address.
    QString localEndpoint() const { return endpoint(localAddress, localPort); }
    QString peerEndpoint() const { return endpoint(peerAddress, peerPort); }
    static QString endpoint(const QHostAddress &address, quint16 port);

    // Its 4-tuple, what TcpMonitor::matchConnections() looks up.
    TcpTuple tuple() const { return TcpTuple::of(localAddress, localPort, peerAddress, peerPort); }

    // The 4-tuple key "local|peer" that tracks CLOSE_WAIT sockets (and readers' texts).
    // IPv4-mapped IPv6 addresses (a dual-stack listener) are written as plain IPv4, so a key built
    // from ConnectionInfo::localAddress / ::peer with keyFor() matches the kernel's view.
    QString key() const;
    // keyFor(ConnectionInfo::localAddress, ConnectionInfo::peer). Returns an empty string when an
    // endpoint is not "addr:port" / "[addr]:port".
    static QString keyFor(const QString &localEndpoint, const QString &peerEndpoint);
    static QString keyFor(const QHostAddress &localAddress, quint16 localPort,
                          const QHostAddress &peerAddress, quint16 peerPort);
    // The same key from endpoint() texts already written for these addresses: joined as they
    // are unless an address is IPv4-mapped (then rewritten as above). Saves writing each address
    // again per connection.
    static QString keyFor(const QHostAddress &localAddress, const QString &localEndpoint,
                          const QHostAddress &peerAddress, const QString &peerEndpoint);

    // {"state","local","peer","send_q","recv_q","rtt_us","rttvar_us","retrans","unacked","lost",
    //  "last_data_recv_ms","last_data_sent_ms","connection_id"} (+ "backlog","max_backlog" for
    // LISTEN). tcp_info fields are null when unknown, connection_id is null when unmatched.
    QJsonObject toJson() const;
};

// The TCP sockets on a set of local ports at one moment, with per-state counts; a copyable value
// produced by TcpMonitor::poll() and served (full) as GET /api/v1/tcp.
struct TcpSnapshot
{
    enum class Source : quint8 {
        Netlink, // NETLINK_SOCK_DIAG / inet_diag, filtered in the kernel, with tcp_info
        Proc, // /proc/net/tcp and /proc/net/tcp6, filtered here, no tcp_info
        Unavailable, // neither worked: no data at all
    };
    // What a poll asked for. Each scope holds every CLOSE_WAIT socket (what the alarm needs);
    // the cheaper ones leave out the rows nobody looks at.
    enum class Scope : quint8 {
        Full, // every socket as a row (with tcp_info on netlink) and every state's count
        Counts, // every state's count, rows only for CLOSE_WAIT sockets, no tcp_info
        CloseWait, // only CLOSE_WAIT (an inet_diag state filter): its rows and its count; every
                   // other count unknown (-1)
    };

    static constexpr int FirstState = TcpSocketInfo::Established;
    static constexpr int LastState = TcpSocketInfo::Closing;

    Source source = Source::Unavailable;
    Scope scope = Scope::Full;
    qint64 takenAtMs = 0; // wall clock, ms since the epoch
    QList<TcpSocketInfo> sockets; // every socket (Full), else only those in CLOSE_WAIT
    // Index = kernel state (1..11); index 0 is unused. All -1 (unknown) when Unavailable, so that
    // a missing source never shows up as "zero sockets"; -1 too for the states a CloseWait poll
    // did not ask for.
    std::array<int, 12> stateCounts = unknownCounts();
    qint64 pollCostUs = 0; // how long poll() took
    QString error; // why a preferred source was not used (informational; empty when none failed)

    bool isAvailable() const { return source != Source::Unavailable; }
    // Whether this snapshot has what a poll of scope `wanted` would have had (Full covers all,
    // Counts covers CloseWait).
    bool covers(Scope wanted) const { return int(scope) <= int(wanted); }
    // The count for one state, -1 when unknown or out of range.
    int count(int state) const;

    // "ESTABLISHED", "SYN_SENT", ... "CLOSING"; an empty string outside 1..11.
    static QString stateName(int state);
    // "netlink", "proc", "unavailable".
    static QString sourceName(Source source);
    // "full", "counts", "close_wait".
    static QString scopeName(Scope scope);
    static std::array<int, 12> unknownCounts();

    // {"source": "netlink"|"proc"|"unavailable", "scope": "full"|"counts"|"close_wait",
    //  "taken_at": ms, "poll_cost_us": us,
    //  "states": {all eleven names: count (-1 unknown)} or null when unavailable,
    //  "sockets": [TcpSocketInfo::toJson()...] or null when unavailable, "error"?: "..."}
    QJsonObject toJson() const;
};

Q_DECLARE_METATYPE(TcpSocketInfo)
Q_DECLARE_METATYPE(TcpSnapshot)
