// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QObject>
#include <QtCore/QString>
#include <QtNetwork/QAbstractSocket>
#include <QtNetwork/QHostAddress>

#include <atomic>

// One accepted WebSocket connection of the main port, whatever carries it: NativeWebSocket (plain
// ws://, `[server] transport = native`) or QtWebSocketConnection (a QWebSocket: wss://, or
// `transport = qt`). ServerWorker sees only this. Lives in the server thread; delete it with
// deleteLater() (its signals may be on the stack).
class WebSocketConnection : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WebSocketConnection)

public:
    ~WebSocketConnection() override;

    virtual void sendTextMessage(const QString &text) = 0;
    virtual void sendBinaryMessage(const QByteArray &data) = 0;
    // Starts the closing handshake: the close frame goes out, the connection ends when the peer
    // answers (or after a grace period). disconnected() follows, never from inside this call.
    virtual void close(quint16 code, const QString &reason) = 0;
    // Drops the TCP connection at once; emits disconnected() before it returns.
    virtual void abort() = 0;
    // Pushes queued output into the kernel now; true if anything was written.
    virtual bool flush() = 0;
    // Output accepted but not yet taken by the kernel.
    virtual qint64 bytesToWrite() const = 0;
    // Direct writes, for a sender that writes one prepared frame to many connections at once
    // (ParallelSender): the descriptor a whole frame may be written to right now, or -1 (output
    // queued, closing, or a transport that cannot), and afterwards what that write did (sent:
    // bytes the kernel took, error: its errno or 0), so the rest is queued or the end follows.
    virtual int directWriteFd() const { return -1; }
    virtual void directWriteDone(QByteArrayView frame, qsizetype sent, int error)
    {
        Q_UNUSED(frame)
        Q_UNUSED(sent)
        Q_UNUSED(error)
    }
    virtual QAbstractSocket::SocketState state() const = 0;
    virtual void setMaxAllowedIncomingMessageSize(quint64 bytes) = 0;
    // Keeps *counter equal to bytesToWrite() from now on, for a reader in another thread
    // (IoThreads: the server thread's slow-consumer check). nullptr stops it.
    virtual void setOutputCounter(std::atomic<qint64> *counter) = 0;

    virtual QHostAddress peerAddress() const = 0;
    virtual quint16 peerPort() const = 0;
    virtual QHostAddress localAddress() const = 0;
    virtual quint16 localPort() const = 0;
    // The request path (percent-decoded, like QUrl::path()).
    virtual QString requestPath() const = 0;

    // Valid after disconnected() when the connection was not closed by close(): the peer's close
    // code and reason, 1006 when the TCP connection went away without a close frame, or the code
    // the transport itself failed the connection with (1002, 1007, 1009 "message too big").
    virtual quint16 closeCode() const = 0;
    virtual QString closeReason() const = 0;

    // What a connection delivers, for a receiver that holds thousands of connections: a direct
    // call instead of a signal connection per connection and signal (those cost more memory
    // than the rest of an idle native connection). Calls arrive like direct-connected signals.
    class Listener
    {
    public:
        virtual void connectionText(quint64 tag, const QString &text) = 0;
        virtual void connectionBinary(quint64 tag, const QByteArray &data) = 0;
        virtual void connectionViolation(quint64 tag, int closeCode, const QString &reason) = 0;
        virtual void connectionDisconnected(quint64 tag) = 0;

    protected:
        ~Listener() = default;
    };
    // With a listener set, it gets every delivery (with tag) and the signals below stay silent.
    void setListener(Listener *listener, quint64 tag)
    {
        m_listener = listener;
        m_tag = tag;
    }

Q_SIGNALS:
    void textMessageReceived(const QString &text);
    void binaryMessageReceived(const QByteArray &data);
    void disconnected();
    // The transport is failing the connection for a protocol violation (close code, reason).
    void protocolViolation(int closeCode, const QString &reason);

protected:
    explicit WebSocketConnection(QObject *parent = nullptr);

    // To the listener, or as the signals above.
    void deliverText(const QString &text);
    void deliverBinary(const QByteArray &data);
    void deliverViolation(int closeCode, const QString &reason);
    void deliverDisconnected();

private:
    Listener *m_listener = nullptr;
    quint64 m_tag = 0;
};
