// SPDX-License-Identifier: MIT
#include "server/nativewebsocket.h"

#include <QtCore/QSocketNotifier>
#include <QtCore/QTimerEvent>

#include <cerrno>
#include <memory>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace {
constexpr qsizetype ScratchSize = 64 * 1024;
// Queued output is moved to the front of its buffer once this much of it has been sent.
constexpr qsizetype CompactAfter = 256 * 1024;
// Set by tests before connections exist; read by every thread that runs connections.
std::atomic<int> g_closeTimeoutMs{3000};

// One receive buffer for every connection of the thread: a read is parsed before the next one.
struct Scratch
{
    std::unique_ptr<char[]> data;
    bool busy = false;
};
thread_local Scratch t_scratch;
} // namespace

class NativeWebSocket::Notifier final : public QSocketNotifier
{
public:
    Notifier(int fd, Type type, NativeWebSocket *owner)
        : QSocketNotifier(qintptr(fd), type, owner)
        , m_owner(owner)
    { }

protected:
    bool event(QEvent *e) override
    {
        if (e->type() != QEvent::SockAct && e->type() != QEvent::SockClose)
            return QSocketNotifier::event(e);
        if (type() == Read)
            m_owner->onReadable();
        else
            m_owner->onWritable();
        return true;
    }

private:
    NativeWebSocket *m_owner;
};

NativeWebSocket::NativeWebSocket(int fd, const Endpoint &endpoint, const QString &path,
                                 const QByteArray &initialOutput, QObject *parent)
    : WebSocketConnection(parent)
    , m_fd(fd)
    , m_readNotifier(new Notifier(fd, QSocketNotifier::Read, this))
    , m_endpoint(endpoint)
    , m_path(path)
{
    // Frames are written whole, one send() each: the descriptor comes from TcpListener with
    // TCP_NODELAY already set (inherited from the listening socket).
    if (!initialOutput.isEmpty())
        write(initialOutput.constData(), initialOutput.size(), nullptr, 0);
}

NativeWebSocket::~NativeWebSocket()
{
    if (m_fd >= 0) {
        // Unregistered before the fd number can be reused by another connection.
        m_readNotifier->setEnabled(false);
        if (m_writeNotifier)
            m_writeNotifier->setEnabled(false);
        ::close(m_fd);
    }
}

void NativeWebSocket::setCloseTimeoutMs(int ms)
{
    g_closeTimeoutMs.store(ms, std::memory_order_relaxed);
}

void NativeWebSocket::setOutputCounter(std::atomic<qint64> *counter)
{
    m_outputCounter = counter;
    publishQueued();
}

qsizetype NativeWebSocket::bufferedBytes() const
{
    return m_out.capacity() + m_reader.bufferedBytes();
}

void NativeWebSocket::sendTextMessage(const QString &text)
{
    const QByteArray utf8 = text.toUtf8();
    sendFrame(0x1, utf8.constData(), utf8.size());
}

void NativeWebSocket::sendBinaryMessage(const QByteArray &data)
{
    sendFrame(0x2, data.constData(), data.size());
}

void NativeWebSocket::close(quint16 code, const QString &reason)
{
    if (m_state != State::Open)
        return;
    m_closeCode = code;
    m_closeReason = reason;
    sendCloseFrame(code, reason);
    m_state = State::Closing;
    startCloseTimer();
}

void NativeWebSocket::abort()
{
    finish();
}

bool NativeWebSocket::flush()
{
    if (m_state == State::Closed || m_outHead >= m_out.size())
        return false;
    const qsizetype before = m_outHead;
    writeQueued();
    const bool wrote = m_outHead != before || m_out.isEmpty();
    // Never from inside a caller's loop over the connections: the end follows on the next turn.
    if (m_writeBroken || (m_closeWhenWritten && m_out.isEmpty()))
        QMetaObject::invokeMethod(
            this, [this] { finish(); }, Qt::QueuedConnection);
    return wrote;
}

qint64 NativeWebSocket::bytesToWrite() const
{
    return m_out.size() - m_outHead;
}

QAbstractSocket::SocketState NativeWebSocket::state() const
{
    switch (m_state) {
    case State::Open:
        return QAbstractSocket::ConnectedState;
    case State::Closing:
        return QAbstractSocket::ClosingState;
    case State::Closed:
        break;
    }
    return QAbstractSocket::UnconnectedState;
}

void NativeWebSocket::setMaxAllowedIncomingMessageSize(quint64 bytes)
{
    m_reader.setMaxMessageSize(bytes);
}

void NativeWebSocket::onReadable()
{
    if (m_state == State::Closed)
        return;
    // Something in a message handler could, in theory, run a nested event loop that reads
    // another connection: that one gets a buffer of its own.
    std::unique_ptr<char[]> own;
    char *buffer;
    if (t_scratch.busy) {
        own = std::make_unique<char[]>(size_t(ScratchSize));
        buffer = own.get();
    } else {
        if (!t_scratch.data)
            t_scratch.data = std::make_unique<char[]>(size_t(ScratchSize));
        buffer = t_scratch.data.get();
        t_scratch.busy = true;
    }
    const bool shared = !own;
    ssize_t r;
    do {
        r = ::recv(m_fd, buffer, size_t(ScratchSize), 0);
    } while (r < 0 && errno == EINTR);
    if (r <= 0) {
        if (shared)
            t_scratch.busy = false;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        finish(); // EOF or reset: 1006 unless a close frame came first
        return;
    }
    WsFrameReader::Error error;
    if (!m_reader.isFinished()) // after a close frame or a violation, input is dropped
        error = m_reader.feed(buffer, qsizetype(r), *this);
    if (shared)
        t_scratch.busy = false;
    if (m_state == State::Closed)
        return;
    if (error.code) {
        fail(error.code, error.reason);
        return;
    }
    if (m_closeWhenWritten && m_out.isEmpty())
        finish();
}

void NativeWebSocket::onWritable()
{
    writeQueued();
    if (m_writeBroken)
        finish();
    else if (m_closeWhenWritten && m_out.isEmpty())
        finish();
}

namespace {

// The header of an unmasked final frame (RFC 6455 5.2): 2, 4 or 10 bytes.
qsizetype frameHeader(unsigned char (&header)[10], quint8 opcode, qsizetype size)
{
    header[0] = 0x80 | opcode;
    if (size < 126) {
        header[1] = uchar(size);
        return 2;
    }
    if (size <= 0xffff) {
        header[1] = 126;
        header[2] = uchar(size >> 8);
        header[3] = uchar(size);
        return 4;
    }
    header[1] = 127;
    for (int i = 0; i < 8; ++i)
        header[2 + i] = uchar(quint64(size) >> (56 - 8 * i));
    return 10;
}

} // namespace

QByteArray NativeWebSocket::textFrame(QByteArrayView utf8)
{
    unsigned char header[10];
    const qsizetype headerSize = frameHeader(header, 0x1, utf8.size());
    QByteArray frame;
    frame.reserve(headerSize + utf8.size());
    frame.append(reinterpret_cast<const char *>(header), headerSize);
    frame.append(utf8.data(), utf8.size());
    return frame;
}

void NativeWebSocket::sendFrame(quint8 opcode, const char *payload, qsizetype size)
{
    if (m_state != State::Open || m_closeSent)
        return;
    unsigned char header[10];
    const qsizetype headerSize = frameHeader(header, opcode, size);
    write(reinterpret_cast<const char *>(header), headerSize, payload, size);
}

int NativeWebSocket::directWriteFd() const
{
    const bool writable = m_state == State::Open && !m_closeSent && !m_writeBroken && m_fd >= 0
                          && m_outHead >= m_out.size();
    return writable ? m_fd : -1;
}

void NativeWebSocket::directWriteDone(QByteArrayView frame, qsizetype sent, int error)
{
    written(frame.data(), frame.size(), nullptr, 0, sent, error);
}

void NativeWebSocket::write(const char *a, qsizetype aSize, const char *b, qsizetype bSize)
{
    if (m_writeBroken || m_fd < 0)
        return;
    if (m_outHead < m_out.size()) {
        // Output is queued already: this goes behind it, in order.
        m_out.append(a, aSize);
        if (bSize > 0)
            m_out.append(b, bSize);
        publishQueued();
        return;
    }
    iovec iov[2];
    iov[0].iov_base = const_cast<char *>(a);
    iov[0].iov_len = size_t(aSize);
    iov[1].iov_base = const_cast<char *>(b);
    iov[1].iov_len = size_t(bSize);
    msghdr msg = {};
    msg.msg_iov = iov;
    msg.msg_iovlen = bSize > 0 ? 2 : 1;
    ssize_t r;
    do {
        r = ::sendmsg(m_fd, &msg, MSG_NOSIGNAL);
    } while (r < 0 && errno == EINTR);
    int error = 0;
    if (r < 0) {
        error = (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : errno;
        r = 0;
    }
    written(a, aSize, b, bSize, qsizetype(r), error);
}

void NativeWebSocket::written(const char *a, qsizetype aSize, const char *b, qsizetype bSize,
                              qsizetype sent, int error)
{
    if (error != 0) {
        // The peer is gone. Not from here (callers iterate their connections): the read
        // notifier reports it, or at the latest this queued call.
        m_writeBroken = true;
        QMetaObject::invokeMethod(
            this, [this] { finish(); }, Qt::QueuedConnection);
        return;
    }
    const qsizetype total = aSize + bSize;
    if (sent == total)
        return;
    m_out.clear();
    m_outHead = 0;
    m_out.reserve(total - sent);
    if (sent < aSize) {
        m_out.append(a + sent, aSize - sent);
        if (bSize > 0)
            m_out.append(b, bSize);
    } else {
        m_out.append(b + (sent - aSize), total - sent);
    }
    if (!m_writeNotifier) {
        m_writeNotifier = new Notifier(m_fd, QSocketNotifier::Write, this);
    } else {
        m_writeNotifier->setEnabled(true);
    }
    publishQueued();
}

void NativeWebSocket::writeQueued()
{
    while (m_outHead < m_out.size()) {
        const ssize_t r = ::send(m_fd, m_out.constData() + m_outHead,
                                 size_t(m_out.size() - m_outHead), MSG_NOSIGNAL);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                m_writeBroken = true;
            break;
        }
        m_outHead += qsizetype(r);
    }
    if (m_outHead < m_out.size() && !m_writeBroken) {
        if (m_outHead >= CompactAfter && m_outHead * 2 >= m_out.size()) {
            m_out.remove(0, m_outHead);
            m_outHead = 0;
        }
        publishQueued();
        return;
    }
    // Drained: the buffer and the write notifier go until the kernel refuses something again.
    m_out = QByteArray();
    m_outHead = 0;
    publishQueued();
    if (m_writeNotifier)
        m_writeNotifier->setEnabled(false);
    if (m_shutdownWhenWritten && m_fd >= 0 && !m_writeBroken)
        ::shutdown(m_fd, SHUT_WR);
}

void NativeWebSocket::sendCloseFrame(quint16 code, const QString &reason)
{
    char payload[125];
    qsizetype size = 0;
    if (code != 0 && code != 1005) {
        payload[0] = char(code >> 8);
        payload[1] = char(code & 0xff);
        QByteArray text = reason.toUtf8();
        if (text.size() > 123) {
            // Cut at a character boundary: the peer checks the reason's UTF-8.
            qsizetype cut = 123;
            while (cut > 0 && (uchar(text.at(cut)) & 0xc0) == 0x80)
                --cut;
            text.truncate(cut);
        }
        memcpy(payload + 2, text.constData(), size_t(text.size()));
        size = 2 + text.size();
    }
    sendFrame(0x8, payload, size);
    m_closeSent = true;
}

void NativeWebSocket::fail(quint16 code, const QString &reason)
{
    if (m_state == State::Closed)
        return;
    deliverViolation(code, reason);
    if (m_state != State::Open)
        return;
    close(code, reason);
    // What follows in the stream cannot be trusted to be frames: no close frame will be
    // recognised in it. The end of our side tells the peer to close; EOF (or the timer) ends it.
    m_shutdownWhenWritten = true;
    if (m_out.isEmpty() && m_fd >= 0)
        ::shutdown(m_fd, SHUT_WR);
}

void NativeWebSocket::startCloseTimer()
{
    // A timer id on this object, not a QTimer: a mass close arms thousands of them at once.
    if (m_closeTimer == 0)
        m_closeTimer
            = startTimer(g_closeTimeoutMs.load(std::memory_order_relaxed), Qt::CoarseTimer);
}

void NativeWebSocket::timerEvent(QTimerEvent *event)
{
    if (event->timerId() != m_closeTimer) {
        WebSocketConnection::timerEvent(event);
        return;
    }
    finish(); // the peer did not complete the closing handshake in time
}

void NativeWebSocket::finish()
{
    if (m_state == State::Closed)
        return;
    m_state = State::Closed;
    if (m_closeTimer != 0) {
        killTimer(m_closeTimer);
        m_closeTimer = 0;
    }
    m_readNotifier->setEnabled(false);
    if (m_writeNotifier)
        m_writeNotifier->setEnabled(false);
    ::close(m_fd);
    m_fd = -1;
    m_out = QByteArray();
    m_outHead = 0;
    publishQueued();
    deliverDisconnected();
}

bool NativeWebSocket::onText(const QString &text)
{
    if (m_state == State::Open)
        deliverText(text);
    return m_state != State::Closed;
}

bool NativeWebSocket::onBinary(const QByteArray &data)
{
    if (m_state == State::Open)
        deliverBinary(data);
    return m_state != State::Closed;
}

bool NativeWebSocket::onPing(const QByteArray &payload)
{
    if (m_state == State::Open)
        sendFrame(0xa, payload.constData(), payload.size());
    return m_state != State::Closed;
}

void NativeWebSocket::onClose(quint16 code, const QString &reason)
{
    if (m_state == State::Open) {
        // The peer's close: answered with the same code, then the TCP connection goes.
        m_closeCode = code;
        m_closeReason = reason;
        sendCloseFrame(code, QString());
        m_state = State::Closing;
        if (!m_out.isEmpty())
            startCloseTimer(); // the echo waits behind unsent output: not forever
    }
    m_closeWhenWritten = true;
}
