// SPDX-License-Identifier: MIT
#include "server/tcpsocketinfo.h"

#include <QtCore/QJsonArray>

#include <cstring>

namespace {

// IPv4-mapped IPv6 (what a dual-stack listener sees for an IPv4 peer) is written as plain IPv4 so
// that the same connection gets one key however the caller spelled it.
QString keyEndpoint(const QHostAddress &address, quint16 port)
{
    if (address.protocol() == QAbstractSocket::IPv6Protocol) {
        bool ok = false;
        const quint32 v4 = address.toIPv4Address(&ok);
        if (ok)
            return TcpSocketInfo::endpoint(QHostAddress(v4), port);
    }
    return TcpSocketInfo::endpoint(address, port);
}

bool parseEndpoint(const QString &text, QHostAddress *address, quint16 *port)
{
    QString host;
    QString portText;
    if (text.startsWith(QLatin1Char('['))) {
        const qsizetype close = text.indexOf(QLatin1String("]:"));
        if (close < 0)
            return false;
        host = text.mid(1, close - 1);
        portText = text.mid(close + 2);
    } else {
        const qsizetype colon = text.lastIndexOf(QLatin1Char(':'));
        if (colon < 0)
            return false;
        host = text.left(colon);
        portText = text.mid(colon + 1);
        if (host.contains(QLatin1Char(':'))) // bare IPv6 without brackets is ambiguous
            return false;
    }
    bool ok = false;
    const ushort p = portText.toUShort(&ok);
    if (!ok || !address->setAddress(host))
        return false;
    *port = p;
    return true;
}

QJsonValue optional(bool known, quint32 value)
{
    return known ? QJsonValue(qint64(value)) : QJsonValue(QJsonValue::Null);
}

} // namespace

AddressKey AddressKey::of(const QHostAddress &address)
{
    AddressKey k;
    if (address.protocol() == QAbstractSocket::IPv4Protocol) {
        const quint32 v4 = address.toIPv4Address();
        k.bytes[10] = 0xff;
        k.bytes[11] = 0xff;
        for (int i = 0; i < 4; ++i)
            k.bytes[size_t(12 + i)] = quint8(v4 >> (24 - 8 * i));
    } else if (address.protocol() == QAbstractSocket::IPv6Protocol) {
        const Q_IPV6ADDR v6 = address.toIPv6Address();
        std::memcpy(k.bytes.data(), v6.c, 16);
    }
    return k;
}

TcpTuple TcpTuple::of(const QHostAddress &localAddress, quint16 localPort,
                      const QHostAddress &peerAddress, quint16 peerPort)
{
    TcpTuple t;
    t.local = AddressKey::of(localAddress).bytes;
    t.peer = AddressKey::of(peerAddress).bytes;
    t.localPort = localPort;
    t.peerPort = peerPort;
    return t;
}

QString TcpSocketInfo::endpoint(const QHostAddress &address, quint16 port)
{
    if (address.protocol() == QAbstractSocket::IPv4Protocol) {
        // "a.b.c.d:port" written here: what QHostAddress::toString() gives, without its
        // general formatter (every connection has two of these).
        const quint32 v4 = address.toIPv4Address();
        char text[22];
        char *p = text;
        const auto number = [&p](unsigned n) {
            char digits[5];
            int count = 0;
            do {
                digits[count++] = char('0' + n % 10);
                n /= 10;
            } while (n);
            while (count)
                *p++ = digits[--count];
        };
        for (int i = 0; i < 4; ++i) {
            number((v4 >> (24 - 8 * i)) & 0xff);
            *p++ = i < 3 ? '.' : ':';
        }
        number(port);
        return QString::fromLatin1(text, p - text);
    }
    const QString host = address.protocol() == QAbstractSocket::IPv6Protocol
                             ? QLatin1Char('[') + address.toString() + QLatin1Char(']')
                             : address.toString();
    return host + QLatin1Char(':') + QString::number(port);
}

QString TcpSocketInfo::key() const
{
    return keyFor(localAddress, localPort, peerAddress, peerPort);
}

QString TcpSocketInfo::keyFor(const QHostAddress &localAddress, quint16 localPort,
                              const QHostAddress &peerAddress, quint16 peerPort)
{
    return keyEndpoint(localAddress, localPort) + QLatin1Char('|')
           + keyEndpoint(peerAddress, peerPort);
}

QString TcpSocketInfo::keyFor(const QHostAddress &localAddress, const QString &localEndpoint,
                              const QHostAddress &peerAddress, const QString &peerEndpoint)
{
    const auto mapped = [](const QHostAddress &a) {
        bool ok = false;
        if (a.protocol() == QAbstractSocket::IPv6Protocol)
            a.toIPv4Address(&ok);
        return ok;
    };
    if (mapped(localAddress) || mapped(peerAddress))
        return keyFor(localEndpoint, peerEndpoint);
    return localEndpoint + QLatin1Char('|') + peerEndpoint;
}

QString TcpSocketInfo::keyFor(const QString &localEndpoint, const QString &peerEndpoint)
{
    QHostAddress local;
    QHostAddress peer;
    quint16 localPort = 0;
    quint16 peerPort = 0;
    if (!parseEndpoint(localEndpoint, &local, &localPort)
        || !parseEndpoint(peerEndpoint, &peer, &peerPort))
        return {};
    return keyFor(local, localPort, peer, peerPort);
}

QJsonObject TcpSocketInfo::toJson() const
{
    QJsonObject o;
    o.insert(QLatin1String("state"), TcpSnapshot::stateName(state));
    o.insert(QLatin1String("local"), localEndpoint());
    o.insert(QLatin1String("peer"), peerEndpoint());
    o.insert(QLatin1String("send_q"), qint64(sendQueue));
    o.insert(QLatin1String("recv_q"), qint64(recvQueue));
    o.insert(QLatin1String("rtt_us"), optional(hasTcpInfo, rttUs));
    o.insert(QLatin1String("rttvar_us"), optional(hasTcpInfo, rttVarUs));
    o.insert(QLatin1String("retrans"), optional(hasTcpInfo, retransmits));
    o.insert(QLatin1String("unacked"), optional(hasTcpInfo, unacked));
    o.insert(QLatin1String("lost"), optional(hasTcpInfo, lost));
    o.insert(QLatin1String("last_data_recv_ms"), optional(hasTcpInfo, lastDataRecvMs));
    o.insert(QLatin1String("last_data_sent_ms"), optional(hasTcpInfo, lastDataSentMs));
    o.insert(QLatin1String("connection_id"),
             connectionId ? QJsonValue(qint64(connectionId)) : QJsonValue(QJsonValue::Null));
    if (state == Listen) {
        o.insert(QLatin1String("backlog"), qint64(backlog));
        o.insert(QLatin1String("max_backlog"), qint64(maxBacklog));
    }
    return o;
}

int TcpSnapshot::count(int state) const
{
    if (state < FirstState || state > LastState)
        return -1;
    return stateCounts[size_t(state)];
}

QString TcpSnapshot::stateName(int state)
{
    switch (state) {
    case TcpSocketInfo::Established:
        return QStringLiteral("ESTABLISHED");
    case TcpSocketInfo::SynSent:
        return QStringLiteral("SYN_SENT");
    case TcpSocketInfo::SynRecv:
        return QStringLiteral("SYN_RECV");
    case TcpSocketInfo::FinWait1:
        return QStringLiteral("FIN_WAIT1");
    case TcpSocketInfo::FinWait2:
        return QStringLiteral("FIN_WAIT2");
    case TcpSocketInfo::TimeWait:
        return QStringLiteral("TIME_WAIT");
    case TcpSocketInfo::Close:
        return QStringLiteral("CLOSE");
    case TcpSocketInfo::CloseWait:
        return QStringLiteral("CLOSE_WAIT");
    case TcpSocketInfo::LastAck:
        return QStringLiteral("LAST_ACK");
    case TcpSocketInfo::Listen:
        return QStringLiteral("LISTEN");
    case TcpSocketInfo::Closing:
        return QStringLiteral("CLOSING");
    default:
        return {};
    }
}

QString TcpSnapshot::sourceName(Source source)
{
    switch (source) {
    case Source::Netlink:
        return QStringLiteral("netlink");
    case Source::Proc:
        return QStringLiteral("proc");
    case Source::Unavailable:
        break;
    }
    return QStringLiteral("unavailable");
}

QString TcpSnapshot::scopeName(Scope scope)
{
    switch (scope) {
    case Scope::Full:
        break;
    case Scope::Counts:
        return QStringLiteral("counts");
    case Scope::CloseWait:
        return QStringLiteral("close_wait");
    }
    return QStringLiteral("full");
}

std::array<int, 12> TcpSnapshot::unknownCounts()
{
    std::array<int, 12> counts{};
    for (int s = FirstState; s <= LastState; ++s)
        counts[size_t(s)] = -1;
    return counts;
}

QJsonObject TcpSnapshot::toJson() const
{
    QJsonObject o;
    o.insert(QLatin1String("source"), sourceName(source));
    o.insert(QLatin1String("scope"), scopeName(scope));
    o.insert(QLatin1String("taken_at"), takenAtMs);
    o.insert(QLatin1String("poll_cost_us"), pollCostUs);
    if (isAvailable()) {
        QJsonObject states;
        for (int s = FirstState; s <= LastState; ++s)
            states.insert(stateName(s), stateCounts[size_t(s)]);
        o.insert(QLatin1String("states"), states);
        QJsonArray list;
        for (const TcpSocketInfo &socket : sockets)
            list.append(socket.toJson());
        o.insert(QLatin1String("sockets"), list);
    } else {
        o.insert(QLatin1String("states"), QJsonValue(QJsonValue::Null));
        o.insert(QLatin1String("sockets"), QJsonValue(QJsonValue::Null));
    }
    if (!error.isEmpty())
        o.insert(QLatin1String("error"), error);
    return o;
}
