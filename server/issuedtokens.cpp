// SPDX-License-Identifier: MIT
#include "server/issuedtokens.h"
#include "server/digest.h"

#include <QtCore/QRandomGenerator>

QByteArray IssuedTokens::hashOf(const QByteArray &token)
{
    return Digest::sha256(token);
}

QByteArray IssuedTokens::issue(const TokenClaims &claims)
{
    QByteArray raw(32, '\0');
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(raw.data()), raw.size() / 4);
    const QByteArray token
        = raw.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
    m_claims.insert(hashOf(token), claims);
    return token;
}

bool IssuedTokens::contains(const QByteArray &tokenHash) const
{
    return m_claims.contains(tokenHash);
}

TokenCheck IssuedTokens::verify(const QByteArray &tokenHash, qint64 nowMs) const
{
    TokenCheck check;
    const auto it = m_claims.constFind(tokenHash);
    if (it == m_claims.cend()) {
        check.error = QStringLiteral("unknown_token");
        return check;
    }
    if (it->expiresAtMs > 0 && it->expiresAtMs <= nowMs) {
        check.error = QStringLiteral("expired");
        return check;
    }
    check.ok = true;
    check.claims = *it;
    return check;
}
