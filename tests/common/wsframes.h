// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QByteArray>

// A WebSocket frame as a client sends it (RFC 6455 5.2): masked unless told otherwise, with
// the reserved bits and FIN as the test wants them.
inline QByteArray wsFrame(int opcode, const QByteArray &payload, bool fin = true, int rsv = 0,
                          bool masked = true)
{
    QByteArray out;
    out.append(char((fin ? 0x80 : 0) | (rsv << 4) | opcode));
    const char maskBit = masked ? char(0x80) : char(0);
    const qsizetype n = payload.size();
    if (n < 126) {
        out.append(char(maskBit | char(n)));
    } else if (n <= 0xffff) {
        out.append(char(maskBit | 126));
        out.append(char(n >> 8));
        out.append(char(n & 0xff));
    } else {
        out.append(char(maskBit | 127));
        for (int i = 7; i >= 0; --i)
            out.append(char((quint64(n) >> (8 * i)) & 0xff));
    }
    if (!masked)
        return out + payload;
    const char key[4] = {0x12, 0x34, 0x56, 0x78};
    out.append(key, 4);
    for (qsizetype i = 0; i < n; ++i)
        out.append(char(payload.at(i) ^ key[i & 3]));
    return out;
}
