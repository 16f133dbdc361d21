// SPDX-License-Identifier: MIT
#include "server/wsframereader.h"

#include <algorithm>

namespace {
// A partial frame's header says how big the frame is; its buffer is reserved once, up to this.
constexpr qsizetype MaxReserve = 16 * 1024 * 1024;
} // namespace

bool WsFrameReader::checkUtf8(const char *data, qsizetype size, quint32 *state)
{
    // *state packs the continuation bytes still needed (bits 0-7) and the range the next one
    // must lie in (bits 8-15, 16-23): the first continuation after E0, ED, F0 and F4 is
    // narrower (overlongs, surrogates, above U+10FFFF).
    quint32 need = *state & 0xff;
    quint32 lo = (*state >> 8) & 0xff;
    quint32 hi = (*state >> 16) & 0xff;
    const auto *p = reinterpret_cast<const unsigned char *>(data);
    const auto *end = p + size;
    while (p < end) {
        const quint32 b = *p++;
        if (need == 0) {
            if (b < 0x80)
                continue;
            lo = 0x80;
            hi = 0xbf;
            if (b >= 0xc2 && b <= 0xdf) {
                need = 1;
            } else if (b >= 0xe0 && b <= 0xef) {
                need = 2;
                if (b == 0xe0)
                    lo = 0xa0;
                else if (b == 0xed)
                    hi = 0x9f;
            } else if (b >= 0xf0 && b <= 0xf4) {
                need = 3;
                if (b == 0xf0)
                    lo = 0x90;
                else if (b == 0xf4)
                    hi = 0x8f;
            } else {
                return false;
            }
        } else {
            if (b < lo || b > hi)
                return false;
            --need;
            lo = 0x80;
            hi = 0xbf;
        }
    }
    *state = need == 0 ? 0 : (need | (lo << 8) | (hi << 16));
    return true;
}

bool WsFrameReader::isValidCloseCode(quint16 code)
{
    // RFC 6455 7.4 and the IANA registry: 1004-1006 and 1015 are never sent on the wire.
    if (code >= 1000 && code <= 1003)
        return true;
    if (code >= 1007 && code <= 1014)
        return true;
    return code >= 3000 && code <= 4999;
}

WsFrameReader::Error WsFrameReader::feed(char *data, qsizetype size, Sink &sink)
{
    Error error;
    if (m_finished || size <= 0)
        return error;
    if (m_partial.isEmpty()) {
        const qsizetype used = parse(data, size, sink, &error);
        if (used >= 0 && used < size) {
            m_partial.reserve(std::max(size - used, std::min(m_need, MaxReserve)));
            m_partial.append(data + used, size - used);
        }
        return error;
    }
    m_partial.append(data, size);
    const qsizetype used = parse(m_partial.data(), m_partial.size(), sink, &error);
    if (used < 0 || used == m_partial.size()) {
        m_partial = QByteArray(); // gives the capacity back
    } else if (used > 0) {
        QByteArray rest;
        rest.reserve(std::max(m_partial.size() - used, std::min(m_need, MaxReserve)));
        rest.append(m_partial.constData() + used, m_partial.size() - used);
        m_partial.swap(rest);
    }
    return error;
}

qsizetype WsFrameReader::parse(char *data, qsizetype size, Sink &sink, Error *error)
{
    const auto fail = [this, error](quint16 code, const char *why) {
        m_finished = true;
        m_message = QByteArray();
        error->code = code;
        error->reason = QString::fromLatin1(why);
        return qsizetype(-1);
    };
    qsizetype pos = 0;
    m_need = 0;
    while (size - pos >= 2) {
        auto *p = reinterpret_cast<unsigned char *>(data + pos);
        const qsizetype avail = size - pos;
        const bool fin = p[0] & 0x80;
        const int opcode = p[0] & 0x0f;
        // Checked as soon as the first two bytes are here, so a bad frame fails at once.
        if (p[0] & 0x70)
            return fail(1002, "reserved bits set");
        if (!(p[1] & 0x80))
            return fail(1002, "client frames must be masked");
        switch (opcode) {
        case 0x0:
        case 0x1:
        case 0x2:
        case 0x8:
        case 0x9:
        case 0xa:
            break;
        default:
            return fail(1002, "unknown opcode");
        }
        const bool control = opcode >= 0x8;
        const int length7 = p[1] & 0x7f;
        if (control) {
            if (!fin)
                return fail(1002, "fragmented control frame");
            if (length7 > 125)
                return fail(1002, "control frame payload over 125 bytes");
        } else if (opcode == 0x0) {
            if (!m_inMessage)
                return fail(1002, "continuation frame without a message");
        } else if (m_inMessage) {
            return fail(1002, "new message inside a fragmented one");
        }
        const int lengthBytes = length7 == 126 ? 2 : length7 == 127 ? 8 : 0;
        if (avail < 2 + lengthBytes)
            break;
        quint64 length = length7 < 126 ? quint64(length7) : 0;
        for (int i = 0; i < lengthBytes; ++i)
            length = (length << 8) | p[2 + i];
        if (lengthBytes == 8 && (length >> 63))
            return fail(1002, "64-bit payload length with the most significant bit set");
        // Before the payload arrives: an oversize message is refused from its header.
        if (!control && (m_messageSize > m_maxMessage || length > m_maxMessage - m_messageSize))
            return fail(1009, "message too big");
        const qsizetype headerSize = 2 + lengthBytes + 4;
        if (avail < headerSize || quint64(avail - headerSize) < length) {
            m_need = headerSize + qsizetype(length);
            break;
        }
        const qsizetype n = qsizetype(length);
        const unsigned char *key = p + 2 + lengthBytes;
        char *payload = data + pos + headerSize;
        for (qsizetype i = 0; i < n; ++i)
            payload[i] = char(payload[i] ^ key[i & 3]);
        pos += headerSize + n;

        switch (opcode) {
        case 0x9:
            if (!sink.onPing(QByteArray(payload, n)))
                return -1;
            continue;
        case 0xa:
            if (!sink.onPong())
                return -1;
            continue;
        case 0x8: {
            if (n == 1)
                return fail(1002, "close frame with a 1-byte payload");
            quint16 code = 1005;
            QString reason;
            if (n >= 2) {
                code = quint16((quint8(payload[0]) << 8) | quint8(payload[1]));
                if (!isValidCloseCode(code))
                    return fail(1002, "invalid close code");
                quint32 state = 0;
                if (!checkUtf8(payload + 2, n - 2, &state) || state != 0)
                    return fail(1007, "close reason is not UTF-8");
                reason = QString::fromUtf8(payload + 2, n - 2);
            }
            m_finished = true;
            m_message = QByteArray();
            sink.onClose(code, reason);
            return -1;
        }
        default:
            break;
        }

        const bool text = opcode == 0x1 || (opcode == 0x0 && m_messageIsText);
        if (text && !checkUtf8(payload, n, &m_utf8))
            return fail(1007, "text is not UTF-8");
        if (opcode != 0x0 && fin) {
            // The common case: a whole message in one frame, delivered from the caller's buffer.
            if (text && m_utf8 != 0)
                return fail(1007, "text is not UTF-8");
            const bool go = text ? sink.onText(QString::fromUtf8(payload, n))
                                 : sink.onBinary(QByteArray(payload, n));
            if (!go)
                return -1;
            continue;
        }
        if (opcode != 0x0) {
            m_inMessage = true;
            m_messageIsText = text;
        }
        m_messageSize += quint64(n);
        m_message.append(payload, n);
        if (!fin)
            continue;
        if (text && m_utf8 != 0)
            return fail(1007, "text is not UTF-8");
        QByteArray message;
        message.swap(m_message); // the reader keeps no capacity once the message is out
        m_inMessage = false;
        m_messageSize = 0;
        const bool go = text ? sink.onText(QString::fromUtf8(message)) : sink.onBinary(message);
        if (!go)
            return -1;
    }
    return pos;
}
