// SPDX-License-Identifier: MIT
#include "server/socketiocodec.h"

#include "server/jsonwriter.h"

#include <QtCore/QJsonDocument>

namespace {
SocketIoPacket invalid(const QString &why)
{
    SocketIoPacket p;
    p.kind = SocketIoPacket::Kind::Invalid;
    p.error = why;
    return p;
}

SocketIoPacket simple(SocketIoPacket::Kind kind)
{
    SocketIoPacket p;
    p.kind = kind;
    return p;
}

bool isAsciiDigit(QChar c)
{
    return c.unicode() >= '0' && c.unicode() <= '9';
}

QString compact(const QJsonValue &v)
{
    if (v.isObject())
        return QString::fromUtf8(JsonWriter::compact(v.toObject()));
    return QString::fromUtf8(JsonWriter::compact(v.toArray()));
}

// Parses the JSON payload of a Socket.IO packet; an empty payload is allowed where noted.
bool parseJson(const QString &text, QJsonDocument *out, QString *error)
{
    QJsonParseError err{};
    *out = QJsonDocument::fromJson(text.toUtf8(), &err);
    if (err.error != QJsonParseError::NoError) {
        *error = QStringLiteral("malformed JSON at offset %1: %2")
                     .arg(err.offset)
                     .arg(err.errorString());
        return false;
    }
    return true;
}
} // namespace

SocketIoPacket SocketIoCodec::decode(const QString &text)
{
    if (text.isEmpty())
        return invalid(QStringLiteral("empty packet"));
    const QChar eio = text.at(0);
    const QString rest = text.mid(1);
    switch (eio.unicode()) {
    case '1':
        return rest.isEmpty() ? simple(SocketIoPacket::Kind::Close)
                              : invalid(QStringLiteral("close packet has a payload"));
    case '2':
        // Engine.IO v3 clients send "2probe" while upgrading; v4 websocket-only clients never do.
        return rest.isEmpty() ? simple(SocketIoPacket::Kind::Ping)
                              : invalid(QStringLiteral("ping packet has a payload"));
    case '3':
        return rest.isEmpty() ? simple(SocketIoPacket::Kind::Pong)
                              : invalid(QStringLiteral("pong packet has a payload"));
    case '5':
    case '6':
        return simple(SocketIoPacket::Kind::Noop);
    case '4':
        break;
    case '0':
        return invalid(QStringLiteral("open packets are sent by the server only"));
    default:
        return invalid(QStringLiteral("unknown Engine.IO packet type"));
    }

    // A Socket.IO packet: type [attachments-] [/nsp,] [ackId] [json]
    if (rest.isEmpty())
        return invalid(QStringLiteral("message packet without a Socket.IO packet"));
    const QChar sio = rest.at(0);
    qsizetype pos = 1;
    SocketIoPacket p;
    switch (sio.unicode()) {
    case '0':
        p.kind = SocketIoPacket::Kind::Connect;
        break;
    case '1':
        p.kind = SocketIoPacket::Kind::Disconnect;
        break;
    case '2':
        p.kind = SocketIoPacket::Kind::Event;
        break;
    case '3':
        p.kind = SocketIoPacket::Kind::Ack;
        break;
    case '5':
    case '6': {
        p.kind = SocketIoPacket::Kind::BinaryEvent;
        qsizetype dash = pos;
        while (dash < rest.size() && isAsciiDigit(rest.at(dash)) && dash - pos < 6)
            ++dash;
        if (dash == pos || dash >= rest.size() || rest.at(dash) != QLatin1Char('-'))
            return invalid(QStringLiteral("binary packet without an attachment count"));
        p.attachments = rest.mid(pos, dash - pos).toInt();
        return p; // the payload does not matter: the packet is refused
    }
    case '4':
        return invalid(QStringLiteral("connect errors are sent by the server only"));
    default:
        return invalid(QStringLiteral("unknown Socket.IO packet type"));
    }

    if (pos < rest.size() && rest.at(pos) == QLatin1Char('/')) {
        const qsizetype comma = rest.indexOf(QLatin1Char(','), pos);
        p.nsp = comma < 0 ? rest.mid(pos) : rest.mid(pos, comma - pos);
        pos = comma < 0 ? rest.size() : comma + 1;
    }

    const qsizetype idStart = pos;
    while (pos < rest.size() && isAsciiDigit(rest.at(pos)))
        ++pos;
    if (pos > idStart) {
        if (pos - idStart > 16)
            return invalid(QStringLiteral("ack id too long"));
        p.ackId = rest.mid(idStart, pos - idStart).toLongLong();
        if (p.ackId > MaxAckId)
            return invalid(QStringLiteral("ack id too large"));
    }
    const QString payload = rest.mid(pos);

    switch (p.kind) {
    case SocketIoPacket::Kind::Connect: {
        if (p.ackId >= 0)
            return invalid(QStringLiteral("connect packet with an ack id"));
        if (payload.isEmpty())
            return p;
        QJsonDocument doc;
        if (!parseJson(payload, &doc, &p.error))
            return invalid(p.error);
        if (!doc.isObject())
            return invalid(QStringLiteral("connect payload must be a JSON object"));
        p.auth = doc.object();
        return p;
    }
    case SocketIoPacket::Kind::Disconnect:
        if (p.ackId >= 0 || !payload.isEmpty())
            return invalid(QStringLiteral("disconnect packet has a payload"));
        return p;
    case SocketIoPacket::Kind::Event: {
        QJsonDocument doc;
        if (payload.isEmpty())
            return invalid(QStringLiteral("event packet without a payload"));
        if (!parseJson(payload, &doc, &p.error))
            return invalid(p.error);
        if (!doc.isArray())
            return invalid(QStringLiteral("event payload must be a JSON array [event, ...args]"));
        const QJsonArray arr = doc.array();
        if (arr.isEmpty() || !arr.at(0).isString())
            return invalid(QStringLiteral("first element must be the event name (a string)"));
        p.event = arr.at(0).toString();
        if (p.event.isEmpty())
            return invalid(QStringLiteral("event name is empty"));
        if (p.event.size() > MaxEventNameLength)
            return invalid(
                QStringLiteral("event name longer than %1 characters").arg(MaxEventNameLength));
        p.data = arr.size() > 1 ? arr.at(1) : QJsonValue(QJsonObject());
        return p;
    }
    case SocketIoPacket::Kind::Ack: {
        if (p.ackId < 0)
            return invalid(QStringLiteral("ack packet without an ack id"));
        QJsonDocument doc;
        if (!parseJson(payload, &doc, &p.error))
            return invalid(p.error);
        if (!doc.isArray())
            return invalid(QStringLiteral("ack payload must be a JSON array"));
        p.data = doc.array().isEmpty() ? QJsonValue() : doc.array().at(0);
        return p;
    }
    default:
        return p;
    }
}

QString SocketIoCodec::encodeOpen(const QString &sid, qint64 pingIntervalMs, qint64 pingTimeoutMs,
                                  qint64 maxPayload)
{
    const QJsonObject o{{QLatin1String("sid"), sid},
                        {QLatin1String("upgrades"), QJsonArray()},
                        {QLatin1String("pingInterval"), double(pingIntervalMs)},
                        {QLatin1String("pingTimeout"), double(pingTimeoutMs)},
                        {QLatin1String("maxPayload"), double(maxPayload)}};
    return QLatin1Char('0') + compact(o);
}

QString SocketIoCodec::encodePing()
{
    return QStringLiteral("2");
}

QString SocketIoCodec::encodePong()
{
    return QStringLiteral("3");
}

QString SocketIoCodec::encodeConnect(const QString &socketId)
{
    return QLatin1String("40") + compact(QJsonObject{{QLatin1String("sid"), socketId}});
}

QString SocketIoCodec::encodeConnectError(const QString &message, const QJsonObject &data,
                                          const QString &nsp)
{
    QJsonObject o{{QLatin1String("message"), message}};
    if (!data.isEmpty())
        o.insert(QLatin1String("data"), data);
    const QString prefix = nsp == QLatin1String("/") ? QString() : nsp + QLatin1Char(',');
    return QLatin1String("44") + prefix + compact(o);
}

QString SocketIoCodec::encodeEvent(const QString &event, const QJsonValue &data)
{
    return QLatin1String("42") + compact(QJsonArray{event, data});
}

QString SocketIoCodec::encodeAck(qint64 ackId, const QJsonArray &args)
{
    return QLatin1String("43") + QString::number(ackId) + compact(args);
}

QString SocketIoCodec::encodeDisconnect()
{
    return QStringLiteral("41");
}

bool SocketIoCodec::isReservedEvent(const QString &name)
{
    static const QStringList reserved
        = {QStringLiteral("connect"),     QStringLiteral("connect_error"),
           QStringLiteral("disconnect"),  QStringLiteral("disconnecting"),
           QStringLiteral("newListener"), QStringLiteral("removeListener")};
    return reserved.contains(name);
}
