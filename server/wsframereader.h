// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QString>

// The server side of RFC 6455 framing, input direction: takes the bytes a client sent, in pieces
// of any size, and yields whole messages and control frames, or the close code the connection
// must be failed with. A value type with no I/O (NativeWebSocket feeds it; fuzz_wsframereader
// fuzzes it).
//
// Complete frames are parsed (and unmasked) in place in the caller's buffer, so a connection
// whose client sends whole frames per read keeps no buffer at all. Only a partial frame, or the
// payload so far of a fragmented message, is kept on the heap, and its capacity is released as
// soon as the frame or message is complete. Text (also across fragments) and close reasons are
// checked for UTF-8 as they arrive.
class WsFrameReader
{
public:
    // What a piece of input produced; the reader calls it in stream order.
    class Sink
    {
    public:
        virtual ~Sink() = default;
        // Each returns false to stop reading (the connection was closed or dropped meanwhile).
        virtual bool onText(const QString &text) = 0;
        virtual bool onBinary(const QByteArray &data) = 0;
        virtual bool onPing(const QByteArray &payload) = 0;
        virtual bool onPong() { return true; }
        // code is 1005 when the close frame had no payload. The reader takes no more input.
        virtual void onClose(quint16 code, const QString &reason) = 0;
    };

    struct Error
    {
        quint16 code = 0; // 0: no error; else the close code to fail the connection with
        QString reason;
    };

    // data is modified in place (unmasked). Returns the first protocol violation, after which
    // the reader takes no more input; partial frames are kept for the next call.
    Error feed(char *data, qsizetype size, Sink &sink);

    void setMaxMessageSize(quint64 bytes) { m_maxMessage = bytes; }
    quint64 maxMessageSize() const { return m_maxMessage; }
    // True once a close frame was read or an error found.
    bool isFinished() const { return m_finished; }
    // Heap bytes held right now (a partial frame and a fragmented message), for tests.
    qsizetype bufferedBytes() const { return m_partial.capacity() + m_message.capacity(); }

    // Incremental UTF-8 check (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
    // state 0 = between characters; returns false on an invalid sequence.
    static bool checkUtf8(const char *data, qsizetype size, quint32 *state);
    static bool isValidCloseCode(quint16 code);

private:
    // Parses whole frames from data; returns the bytes consumed, or -1 after an error or a stop.
    qsizetype parse(char *data, qsizetype size, Sink &sink, Error *error);

    QByteArray m_partial; // an incomplete frame, only while one is pending
    QByteArray m_message; // payload so far of a fragmented message
    quint64 m_maxMessage = 64 * 1024 * 1024;
    quint64 m_messageSize = 0;
    qsizetype m_need = 0; // size of the partial frame being waited for, once its header is here
    quint32 m_utf8 = 0;
    bool m_inMessage = false;
    bool m_messageIsText = false;
    bool m_finished = false;
};
