// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QJsonArray>
#include <QtCore/QJsonObject>
#include <QtCore/QJsonValue>
#include <QtCore/QString>

// One decoded text frame of the Socket.IO endpoint: an Engine.IO v4 packet and, for Engine.IO
// messages, the Socket.IO v5 packet inside it. A value type; used in the server worker thread.
struct SocketIoPacket
{
    enum class Kind : quint8 {
        Ping, // Engine.IO "2": answered "3"
        Pong, // Engine.IO "3": the answer to the server's ping
        Close, // Engine.IO "1": the client closes the transport
        Noop, // Engine.IO "6" (and "5", an upgrade, which the websocket transport never needs)
        Connect, // Socket.IO "40[{auth}]": the login of this endpoint
        Disconnect, // Socket.IO "41": the client leaves the namespace
        Event, // Socket.IO "42[ackId][event, args...]"
        Ack, // Socket.IO "43ackId[args...]": an answer to a server ack (Warden asks none)
        BinaryEvent, // Socket.IO "45"/"46": binary attachments are refused
        Invalid, // error says why
    };

    Kind kind = Kind::Invalid;
    QString nsp = QStringLiteral("/"); // namespace; Warden serves only "/"
    qint64 ackId = -1; // -1 = no ack asked
    QString event;
    QJsonValue data; // the first argument after the event name ({} when absent)
    QJsonObject auth; // Connect: the client's auth payload
    int attachments = 0; // BinaryEvent: binary frames that follow
    QString error;
};

// Encodes and decodes the Engine.IO v4 / Socket.IO v5 text packets that socket.io-client 4.x
// speaks over the websocket transport. Pure functions; safe from any thread.
namespace SocketIoCodec {
constexpr int MaxEventNameLength = 128;
constexpr qint64 MaxAckId = 9007199254740991; // Number.MAX_SAFE_INTEGER

SocketIoPacket decode(const QString &text);

QString encodeOpen(const QString &sid, qint64 pingIntervalMs, qint64 pingTimeoutMs,
                   qint64 maxPayload);
QString encodePing();
QString encodePong();
QString encodeConnect(const QString &socketId);
QString encodeConnectError(const QString &message, const QJsonObject &data,
                           const QString &nsp = QStringLiteral("/"));
QString encodeEvent(const QString &event, const QJsonValue &data);
QString encodeAck(qint64 ackId, const QJsonArray &args);
QString encodeDisconnect();

// Names socket.io-client keeps for itself; the server never emits them as events.
bool isReservedEvent(const QString &name);
} // namespace SocketIoCodec
