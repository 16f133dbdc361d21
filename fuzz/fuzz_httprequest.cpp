// SPDX-License-Identifier: MIT
// libFuzzer target: the HTTP request-head parser of the main port.
#include "server/httprequest.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    HttpRequest r;
    QByteArray why;
    if (HttpRequest::parse(bytes, &r, &why) == HttpRequest::Parse::Ok) {
        (void)r.isWebSocketUpgrade();
        (void)r.queryValue("EIO");
        if (r.headBytes > bytes.size() || !r.path.startsWith('/'))
            __builtin_trap();
    }
    return 0;
}
