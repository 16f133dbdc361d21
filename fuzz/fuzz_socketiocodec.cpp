// SPDX-License-Identifier: MIT
// libFuzzer target: the Engine.IO v4 / Socket.IO v5 packet codec. Decoding must never crash;
// a decoded event re-encodes to a packet that decodes to the same event and ack id.
#include "server/socketiocodec.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QString text = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    const SocketIoPacket p = SocketIoCodec::decode(text);
    if (p.kind == SocketIoPacket::Kind::Event && p.ackId < 0) {
        const SocketIoPacket back
            = SocketIoCodec::decode(SocketIoCodec::encodeEvent(p.event, p.data));
        if (back.kind != SocketIoPacket::Kind::Event || back.event != p.event)
            __builtin_trap();
    }
    if (p.kind == SocketIoPacket::Kind::Invalid && p.error.isEmpty())
        __builtin_trap(); // every refusal says why
    return 0;
}
