// SPDX-License-Identifier: MIT
#pragma once

#include "server/websocketconnection.h"
#include "server/wsframereader.h"

#include <atomic>

class QSocketNotifier;

// The server side of RFC 6455 on a raw non-blocking TCP socket that HttpFrontend has already
// upgraded: Warden's own transport for plain ws:// (`[server] transport = native`). Lives in the
// server thread.
//
// It owns its buffers, and holds one only while there is something in it: input is read with
// recv() into one scratch buffer shared by every connection of the thread and parsed from there
// (WsFrameReader keeps a heap buffer only for a partial frame or a fragmented message); output is
// written with send() at once, and only what the kernel refused is queued, with a write notifier
// that exists only while something is queued. An idle connection is this object, one read
// notifier and its file descriptor.
class NativeWebSocket final : public WebSocketConnection, private WsFrameReader::Sink
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(NativeWebSocket)

public:
    struct Endpoint
    {
        QHostAddress peerAddress;
        quint16 peerPort = 0;
        QHostAddress localAddress;
        quint16 localPort = 0;
    };

    // Takes ownership of fd (connected, non-blocking). initialOutput (the 101 answer) is written
    // before anything else.
    NativeWebSocket(int fd, const Endpoint &endpoint, const QString &path,
                    const QByteArray &initialOutput, QObject *parent = nullptr);
    ~NativeWebSocket() override;

    void sendTextMessage(const QString &text) override;
    void sendBinaryMessage(const QByteArray &data) override;
    void close(quint16 code, const QString &reason) override;
    void abort() override;
    bool flush() override;
    qint64 bytesToWrite() const override;
    int directWriteFd() const override;
    void directWriteDone(QByteArrayView frame, qsizetype sent, int error) override;
    QAbstractSocket::SocketState state() const override;
    void setMaxAllowedIncomingMessageSize(quint64 bytes) override;
    QHostAddress peerAddress() const override { return m_endpoint.peerAddress; }
    quint16 peerPort() const override { return m_endpoint.peerPort; }
    QHostAddress localAddress() const override { return m_endpoint.localAddress; }
    quint16 localPort() const override { return m_endpoint.localPort; }
    QString requestPath() const override { return m_path; }
    quint16 closeCode() const override { return m_closeCode; }
    QString closeReason() const override { return m_closeReason; }

    // A whole unmasked text frame (header and payload) for directWriteFd().
    static QByteArray textFrame(QByteArrayView utf8);
    // How long a close frame waits for the peer's answer before the TCP connection is dropped.
    static void setCloseTimeoutMs(int ms);
    // Heap bytes this connection holds for input and output right now (tests, benchmarks).
    qsizetype bufferedBytes() const;
    void setOutputCounter(std::atomic<qint64> *counter) override;

private:
    enum class State : quint8 { Open, Closing, Closed };
    class Notifier; // calls onReadable()/onWritable() directly: no signal connection per socket

    void onReadable();
    void onWritable();
    // Sends a frame (server frames are not masked): straight to the kernel unless output is
    // already queued; queues what the kernel did not take.
    void sendFrame(quint8 opcode, const char *payload, qsizetype size);
    void write(const char *a, qsizetype aSize, const char *b, qsizetype bSize);
    // After a write of a then b: queues what the kernel did not take (sent of the total), or
    // ends the connection when the write failed with error.
    void written(const char *a, qsizetype aSize, const char *b, qsizetype bSize, qsizetype sent,
                 int error);
    void writeQueued();
    void publishQueued()
    {
        if (m_outputCounter)
            m_outputCounter->store(m_out.size() - m_outHead, std::memory_order_relaxed);
    }
    void sendCloseFrame(quint16 code, const QString &reason);
    // Fails the connection: close frame with code and reason, then wait for the peer.
    void fail(quint16 code, const QString &reason);
    void startCloseTimer();
    // Ends the connection: the fd is closed and disconnected() emitted.
    void finish();

    void timerEvent(QTimerEvent *event) override;

    bool onText(const QString &text) override;
    bool onBinary(const QByteArray &data) override;
    bool onPing(const QByteArray &payload) override;
    void onClose(quint16 code, const QString &reason) override;

    int m_fd;
    State m_state = State::Open;
    bool m_closeSent = false;
    bool m_closeWhenWritten = false; // the close handshake is done: drop TCP once output is out
    bool m_writeBroken = false;
    bool m_shutdownWhenWritten = false; // after failing the connection: FIN once it is out
    quint16 m_closeCode = 1006;
    int m_closeTimer = 0; // while a close frame waits for the peer's
    QSocketNotifier *m_readNotifier;
    QSocketNotifier *m_writeNotifier = nullptr; // only while output is queued
    QByteArray m_out; // what the kernel refused, from m_outHead on
    qsizetype m_outHead = 0;
    std::atomic<qint64> *m_outputCounter = nullptr;
    WsFrameReader m_reader;
    Endpoint m_endpoint;
    QString m_path;
    QString m_closeReason;
};
