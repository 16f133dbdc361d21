// SPDX-License-Identifier: MIT
#include "server/jwt.h"
#include "server/digest.h"

#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>

namespace {
constexpr auto B64 = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;

TokenCheck fail(const char *why)
{
    TokenCheck c;
    c.error = QString::fromLatin1(why);
    return c;
}

bool decodePart(const QByteArray &part, QJsonObject *out)
{
    const auto decoded
        = QByteArray::fromBase64Encoding(part, B64 | QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return false;
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(*decoded, &err);
    if (err.error != QJsonParseError::NoError || !doc.isObject())
        return false;
    *out = doc.object();
    return true;
}

// Seconds whose value in ms fits a qint64; converting a larger double is undefined behaviour.
bool isNumericDate(const QJsonValue &v)
{
    constexpr double LimitSecs = 9.0e15;
    return v.isDouble() && v.toDouble() > -LimitSecs && v.toDouble() < LimitSecs;
}

QByteArray hs256(QByteArrayView data, const QByteArray &secret)
{
    return Digest::hmacSha256(secret, data);
}
} // namespace

bool Jwt::constantTimeEquals(const QByteArray &a, const QByteArray &b)
{
    if (a.size() != b.size())
        return false;
    unsigned char diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

TokenCheck Jwt::verify(const QByteArray &token, const QByteArray &secret, qint64 nowMs)
{
    if (token.isEmpty() || token.size() > MaxTokenBytes)
        return fail("malformed");
    const QList<QByteArray> parts = token.split('.');
    if (parts.size() != 3 || parts[0].isEmpty() || parts[1].isEmpty())
        return fail("malformed");

    // The usual headers, {"alg":"HS256","typ":"JWT"} in either key order, are recognised by
    // their exact encoding; any other is decoded and checked.
    static const QByteArray usualHeaders[] = {
        QByteArrayLiteral(R"({"alg":"HS256","typ":"JWT"})").toBase64(B64),
        QByteArrayLiteral(R"({"typ":"JWT","alg":"HS256"})").toBase64(B64),
    };
    const bool usualHeader = parts[0] == usualHeaders[0] || parts[0] == usualHeaders[1];
    QJsonObject header;
    QJsonObject payload;
    if ((!usualHeader && !decodePart(parts[0], &header)) || !decodePart(parts[1], &payload))
        return fail("malformed");
    // Only HS256: "none" and every other algorithm are refused before the signature is looked at.
    if (!usualHeader && header.value(QLatin1String("alg")).toString() != QLatin1String("HS256"))
        return fail("unsupported_alg");

    // Compare the encoded form: decoding first would accept the spare low bits of the last
    // character, giving one token several spellings (and so several default session ids).
    if (secret.isEmpty())
        return fail("bad_signature");
    const QByteArray expected
        = hs256(QByteArrayView(token).first(parts[0].size() + 1 + parts[1].size()), secret)
              .toBase64(B64);
    if (!constantTimeEquals(parts[2], expected))
        return fail("bad_signature");

    const QJsonValue sub = payload.value(QLatin1String("sub"));
    if (!sub.isString() || sub.toString().isEmpty())
        return fail("missing_sub");
    const QJsonValue exp = payload.value(QLatin1String("exp"));
    if (!exp.isUndefined() && !isNumericDate(exp))
        return fail("malformed");
    const QJsonValue nbf = payload.value(QLatin1String("nbf"));
    if (!nbf.isUndefined() && !isNumericDate(nbf))
        return fail("malformed");
    const QJsonValue sid = payload.value(QLatin1String("sid"));
    if (!sid.isUndefined()
        && (!sid.isString() || sid.toString().isEmpty() || sid.toString().size() > 256))
        return fail("malformed");

    const qint64 expMs = exp.isDouble() ? qint64(exp.toDouble() * 1000.0) : 0;
    // Test presence, not expMs != 0: "exp": 0 is the epoch, long past, not "no exp".
    if (exp.isDouble() && expMs <= nowMs)
        return fail("expired");
    if (nbf.isDouble() && qint64(nbf.toDouble() * 1000.0) > nowMs)
        return fail("not_yet_valid");

    TokenCheck ok;
    ok.ok = true;
    ok.claims.user = sub.toString();
    ok.claims.sessionId = sid.isString() ? sid.toString() : defaultSessionId(token);
    ok.claims.name = payload.value(QLatin1String("name")).toString();
    ok.claims.expiresAtMs = expMs;
    return ok;
}

QByteArray Jwt::sign(const QByteArray &payloadJson, const QByteArray &secret)
{
    const QByteArray head = QByteArrayLiteral(R"({"alg":"HS256","typ":"JWT"})").toBase64(B64);
    const QByteArray body = payloadJson.toBase64(B64);
    const QByteArray input = head + '.' + body;
    return input + '.' + hs256(input, secret).toBase64(B64);
}

QByteArray Jwt::mint(const QByteArray &secret, const QString &user, const QString &sessionId,
                     qint64 expiresAtSecs, const QString &name)
{
    QJsonObject p{{QLatin1String("sub"), user}};
    if (!sessionId.isEmpty())
        p.insert(QLatin1String("sid"), sessionId);
    if (!name.isEmpty())
        p.insert(QLatin1String("name"), name);
    if (expiresAtSecs > 0)
        p.insert(QLatin1String("exp"), double(expiresAtSecs));
    return sign(QJsonDocument(p).toJson(QJsonDocument::Compact), secret);
}

QString Jwt::defaultSessionId(const QByteArray &token)
{
    return QLatin1String("t-") + QString::fromLatin1(Digest::sha256(token).toHex().left(20));
}
