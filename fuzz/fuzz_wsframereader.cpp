// SPDX-License-Identifier: MIT
// libFuzzer target: the native transport's frame reader (server/wsframereader.h). Reading must
// never crash or read out of bounds, and must not depend on how the stream is cut into reads:
// the input fed whole and fed in pieces (cut where the first byte says) yields the same messages,
// control frames and close code. Text delivered is valid UTF-8 and no message exceeds the limit.
#include "server/wsframereader.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace {

constexpr quint64 MaxMessage = 4096;

class Recorder final : public WsFrameReader::Sink
{
public:
    QByteArray log;

    bool onText(const QString &text) override
    {
        const QByteArray utf8 = text.toUtf8();
        quint32 state = 0;
        if (!WsFrameReader::checkUtf8(utf8.constData(), utf8.size(), &state) || state != 0
            || quint64(utf8.size()) > MaxMessage)
            __builtin_trap();
        log += "T" + QByteArray::number(utf8.size()) + ':' + utf8;
        return true;
    }
    bool onBinary(const QByteArray &data) override
    {
        if (quint64(data.size()) > MaxMessage)
            __builtin_trap();
        log += "B" + QByteArray::number(data.size()) + ':' + data;
        return true;
    }
    bool onPing(const QByteArray &payload) override
    {
        if (payload.size() > 125)
            __builtin_trap();
        log += "P" + QByteArray::number(payload.size()) + ':' + payload;
        return true;
    }
    bool onPong() override
    {
        log += "O";
        return true;
    }
    void onClose(quint16 code, const QString &reason) override
    {
        if (code != 1005 && !WsFrameReader::isValidCloseCode(code))
            __builtin_trap();
        log += "C" + QByteArray::number(code) + ':' + reason.toUtf8();
    }
};

QByteArray run(const uint8_t *data, size_t size, unsigned cut)
{
    WsFrameReader reader;
    reader.setMaxMessageSize(MaxMessage);
    Recorder sink;
    size_t at = 0;
    unsigned seed = cut | 1;
    while (at < size && !reader.isFinished()) {
        size_t n = size - at;
        if (cut != 0) {
            seed = seed * 1103515245u + 12345u;
            n = std::min<size_t>(n, 1 + (seed >> 16) % (cut * 3));
        }
        // A copy per read, as from the socket: the reader unmasks in place.
        std::vector<char> chunk(data + at, data + at + n);
        const WsFrameReader::Error e = reader.feed(chunk.data(), qsizetype(n), sink);
        at += n;
        if (e.code != 0) {
            if (!reader.isFinished() || e.reason.isEmpty())
                __builtin_trap();
            sink.log += "E" + QByteArray::number(e.code);
        }
    }
    if (reader.isFinished() && reader.bufferedBytes() != 0)
        __builtin_trap(); // a finished reader keeps nothing
    return sink.log;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const unsigned cut = data[0] % 16; // 0: one read; else reads of 1..3*cut bytes
    const QByteArray whole = run(data + 1, size - 1, 0);
    if (cut != 0 && run(data + 1, size - 1, cut) != whole)
        __builtin_trap();
    return 0;
}
