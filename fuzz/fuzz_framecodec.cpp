// SPDX-License-Identifier: MIT
// libFuzzer target: the raw endpoint's frame codec. Decoding must never crash, must answer what
// the JSON parser's path answers (decode() reads the commonest frames itself), and whatever
// decodes as an event must survive an encode/decode round trip.
#include "server/framecodec.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QString text = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    const DecodedFrame f = FrameCodec::decode(text);
    const DecodedFrame general = FrameCodec::decodeGeneral(text);
    if (f.kind != general.kind || f.event != general.event || f.data != general.data
        || f.error != general.error)
        __builtin_trap();
    if (f.kind == DecodedFrame::Kind::Event) {
        const DecodedFrame back = FrameCodec::decode(FrameCodec::encode(f.event, f.data));
        if (back.kind != DecodedFrame::Kind::Event || back.event != f.event)
            __builtin_trap();
    }
    return 0;
}
