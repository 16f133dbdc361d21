// SPDX-License-Identifier: MIT
// libFuzzer target: the JWT verifier. Arbitrary tokens must never crash it.
#include "server/jwt.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray token(reinterpret_cast<const char *>(data), qsizetype(size));
    const TokenCheck c
        = Jwt::verify(token, QByteArrayLiteral("fuzz-secret-0123456789"), 1700000000000);
    if (c.ok && (c.claims.user.isEmpty() || c.claims.sessionId.isEmpty()))
        __builtin_trap(); // a verified token always names a user and a session
    return 0;
}
