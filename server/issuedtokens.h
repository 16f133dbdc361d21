// SPDX-License-Identifier: MIT
#pragma once

#include "server/jwt.h"

#include <QtCore/QByteArray>
#include <QtCore/QHash>

// Opaque login tokens issued through the admin API (for backends that do not sign JWTs). Only a
// SHA-256 of each token is kept. A token has no dots, so it can never be mistaken for a JWT.
// Lives in the server worker thread.
class IssuedTokens final
{
public:
    // A new random token (43 base64url characters) bound to the claims.
    QByteArray issue(const TokenClaims &claims);
    static bool looksIssued(const QByteArray &token) { return !token.contains('.'); }
    // What is kept of a token (and stored, see SessionStore::IssuedToken).
    static QByteArray hashOf(const QByteArray &token);
    // A token read back from the store after a restart.
    void restore(const QByteArray &hash, const TokenClaims &claims)
    {
        m_claims.insert(hash, claims);
    }
    // Both take hashOf(token): the login path has it already.
    bool contains(const QByteArray &tokenHash) const;
    // Like Jwt::verify: "unknown_token" for a token Warden never issued, "expired" past max age.
    TokenCheck verify(const QByteArray &tokenHash, qint64 nowMs) const;
    qsizetype size() const { return m_claims.size(); }
    // Every token hash with its claims (a cluster node shares them again after Redis came back).
    const QHash<QByteArray, TokenClaims> &all() const { return m_claims; }

private:
    QHash<QByteArray, TokenClaims> m_claims; // sha256(token) -> claims
};
