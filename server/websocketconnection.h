// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QObject>
#include <QtCore/QString>
#include <QtNetwork/QAbstractSocket>
#include <QtNetwork/QHostAddress>

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
    virtual QAbstractSocket::SocketState state() const = 0;
    virtual void setMaxAllowedIncomingMessageSize(quint64 bytes) = 0;

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

Q_SIGNALS:
    void textMessageReceived(const QString &text);
    void binaryMessageReceived(const QByteArray &data);
    void disconnected();

protected:
    explicit WebSocketConnection(QObject *parent = nullptr);
};
