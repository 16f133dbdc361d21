// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QString>

// Claims Warden reads from a login token. A value type.
struct TokenClaims
{
    QString user; // sub
    QString sessionId; // sid, or "t-" + a hash of the token when absent
    QString name; // optional display name
    qint64 expiresAtMs = 0; // exp in ms since the epoch; 0 = no hard end
};

struct TokenCheck
{
    bool ok = false;
    QString error; // stable reason: malformed, unsupported_alg, bad_signature, expired, ...
    TokenClaims claims;
};

// HS256 JSON Web Tokens: verification for logins and signing for tests, the demo and the CLI.
// Pure functions; safe from any thread.
namespace Jwt {
constexpr qsizetype MaxTokenBytes = 8192;

TokenCheck verify(const QByteArray &token, const QByteArray &secret, qint64 nowMs);
QByteArray sign(const QByteArray &payloadJson, const QByteArray &secret);
// Convenience for callers that mint tokens: exp/sid/name are left out when empty or 0.
QByteArray mint(const QByteArray &secret, const QString &user, const QString &sessionId = {},
                qint64 expiresAtSecs = 0, const QString &name = {});
QString defaultSessionId(const QByteArray &token);
bool constantTimeEquals(const QByteArray &a, const QByteArray &b);
} // namespace Jwt
