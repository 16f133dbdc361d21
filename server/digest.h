// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QByteArrayView>

// SHA-1, SHA-256 and HMAC-SHA256 through OpenSSL's libcrypto (hardware SHA extensions where the
// CPU has them): the hashes of every handshake and login (Sec-WebSocket-Accept, the token hash,
// the JWT signature). QCryptographicHash computes the same values in portable C, several times
// slower, with allocations per call. Thread-safe (one digest context per thread).
namespace Digest {
QByteArray sha1(QByteArrayView data);
QByteArray sha256(QByteArrayView data);
QByteArray hmacSha256(QByteArrayView key, QByteArrayView data);
} // namespace Digest
