// SPDX-License-Identifier: MIT
#include "server/framecodec.h"

#include "server/jsonwriter.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>

namespace {
DecodedFrame invalid(const QString &why)
{
    DecodedFrame f;
    f.kind = DecodedFrame::Kind::Invalid;
    f.error = why;
    return f;
}
} // namespace

DecodedFrame FrameCodec::decode(const QString &text)
{
    // The commonest frames, ["name"] and ["name",{}] with a plain ASCII name (activity, pings of
    // the application), optionally after up to two prefix digits, are read here without the
    // JSON parser (and its UTF-8 copy and containers); anything else, including any white space
    // or escape, goes to decodeGeneral(), whose answer this must equal (tst_framecodec,
    // fuzz_framecodec).
    const QChar *p = text.constData();
    const qsizetype n = text.size();
    qsizetype i = 0;
    while (i < 2 && i < n && p[i].unicode() >= '0' && p[i].unicode() <= '9')
        ++i;
    if (n - i >= 5 && p[i] == u'[' && p[i + 1] == u'"') {
        const qsizetype nameAt = i + 2;
        qsizetype e = nameAt;
        while (e < n && p[e].unicode() >= 0x20 && p[e].unicode() < 0x7f && p[e] != u'"'
               && p[e] != u'\\')
            ++e;
        const qsizetype nameLength = e - nameAt;
        if (nameLength > 0 && nameLength <= MaxEventNameLength && e < n && p[e] == u'"') {
            const QStringView rest = QStringView(text).sliced(e + 1);
            if (rest == u"]" || rest == u",{}]") {
                DecodedFrame f;
                f.kind = DecodedFrame::Kind::Event;
                // The name a busy tab sends all the time shares static data (no allocation).
                const QStringView name = QStringView(text).sliced(nameAt, nameLength);
                static const QString activity = QStringLiteral("activity");
                f.event = name == activity ? activity : name.toString();
                f.data = QJsonObject();
                return f;
            }
        }
    }
    return decodeGeneral(text);
}

DecodedFrame FrameCodec::decodeGeneral(const QString &text)
{
    qsizetype digits = 0;
    while (digits < text.size() && text.at(digits).isDigit() && text.at(digits).unicode() < 128)
        ++digits;

    if (digits == text.size()) {
        if (text == QLatin1String("2"))
            return DecodedFrame{DecodedFrame::Kind::Ping, {}, {}, {}};
        if (text == QLatin1String("3"))
            return DecodedFrame{DecodedFrame::Kind::Pong, {}, {}, {}};
        return invalid(text.isEmpty() ? QStringLiteral("empty frame")
                                      : QStringLiteral("frame has no JSON payload"));
    }
    if (digits > 2)
        return invalid(QStringLiteral("unknown packet prefix"));

    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(text.mid(digits).toUtf8(), &err);
    if (err.error != QJsonParseError::NoError)
        return invalid(QStringLiteral("malformed JSON at offset %1: %2")
                           .arg(err.offset)
                           .arg(err.errorString()));
    if (!doc.isArray())
        return invalid(QStringLiteral("frame must be a JSON array [event, data]"));
    const QJsonArray arr = doc.array();
    if (arr.isEmpty() || !arr.at(0).isString())
        return invalid(QStringLiteral("first element must be the event name (a string)"));
    const QString name = arr.at(0).toString();
    if (name.isEmpty())
        return invalid(QStringLiteral("event name is empty"));
    if (name.size() > MaxEventNameLength)
        return invalid(
            QStringLiteral("event name longer than %1 characters").arg(MaxEventNameLength));

    DecodedFrame f;
    f.kind = DecodedFrame::Kind::Event;
    f.event = name;
    f.data = arr.size() > 1 ? arr.at(1) : QJsonValue(QJsonObject());
    return f;
}

QString FrameCodec::encode(const QString &event, const QJsonValue &data)
{
    QByteArray json("42[", 3);
    JsonWriter::appendString(json, event);
    json.append(',');
    JsonWriter::append(json, data);
    json.append(']');
    return QString::fromUtf8(json);
}

QString FrameCodec::encodeJson(const QString &event, QByteArrayView dataJson)
{
    QByteArray json("42[", 3);
    JsonWriter::appendString(json, event);
    json.append(',');
    json.append(dataJson);
    json.append(']');
    return QString::fromUtf8(json);
}

QByteArray FrameCodec::loginOkData(const QString &user, const QString &sessionId,
                                   double expiresInSecs, double idleTimeoutSecs)
{
    // Keys in QJsonObject's order (sorted); numbers as the doubles the reply always carried.
    QByteArray json;
    json.reserve(128 + 3 * (user.size() + sessionId.size()));
    json.append(R"({"code":200,"expires_in":)");
    JsonWriter::append(json, QJsonValue(expiresInSecs));
    json.append(R"(,"idle_timeout":)");
    JsonWriter::append(json, QJsonValue(idleTimeoutSecs));
    json.append(R"(,"message":"success","session_id":)");
    JsonWriter::appendString(json, sessionId);
    json.append(R"(,"user":)");
    JsonWriter::appendString(json, user);
    json.append('}');
    return json;
}
