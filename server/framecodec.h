// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QJsonValue>
#include <QtCore/QString>

// One decoded text frame of the raw endpoint. A value type; used in the server worker thread.
struct DecodedFrame
{
    enum class Kind : quint8 {
        Event, // ["name", data] with or without a Socket.IO numeric prefix
        Ping, // a bare Engine.IO ping "2": answered "3", never activity
        Pong, // a bare Engine.IO pong "3": ignored
        Invalid, // error says why; the connection stays
    };

    Kind kind = Kind::Invalid;
    QString event;
    QJsonValue data;
    QString error;
};

// Decodes client frames and encodes server frames of the seed-compatible protocol:
// client frames are JSON arrays [event, data], optionally prefixed with Socket.IO packet digits;
// server frames are always 42[event, data], which the seed's decoder reads as
// JSON.parse(s.substring(2))[1].
namespace FrameCodec {
constexpr int MaxEventNameLength = 128;

DecodedFrame decode(const QString &text);
// decode() through the JSON parser for every frame: what decode() must answer (it reads the
// commonest frames without the parser).
DecodedFrame decodeGeneral(const QString &text);
QString encode(const QString &event, const QJsonValue &data);
// The same frame with data already written as JSON text.
QString encodeJson(const QString &event, QByteArrayView dataJson);
// The data of a successful login's "message" reply, written straight to JSON (the login path of
// a storm spent more on building and walking a QJsonObject for it than on the JWT check): the
// bytes of QJsonObject{code, expires_in, idle_timeout, message, session_id, user} as
// QJsonDocument would write them.
QByteArray loginOkData(const QString &user, const QString &sessionId, double expiresInSecs,
                       double idleTimeoutSecs);
} // namespace FrameCodec
