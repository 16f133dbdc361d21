// SPDX-License-Identifier: MIT
#pragma once

#include "server/websocketconnection.h"

class QWebSocket;

// WebSocketConnection over a QWebSocket from QWebSocketServer: wss:// connections, and every
// connection with `[server] transport = qt`. Owns the QWebSocket. Lives in the server thread, or
// in an I/O thread (IoThreads) behind a stand-in.
class QtWebSocketConnection final : public WebSocketConnection
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(QtWebSocketConnection)

public:
    // Takes ownership of socket (re-parented to this).
    explicit QtWebSocketConnection(QWebSocket *socket, QObject *parent = nullptr);
    ~QtWebSocketConnection() override;

    void sendTextMessage(const QString &text) override;
    void sendBinaryMessage(const QByteArray &data) override;
    void close(quint16 code, const QString &reason) override;
    void abort() override;
    bool flush() override;
    qint64 bytesToWrite() const override;
    QAbstractSocket::SocketState state() const override;
    void setMaxAllowedIncomingMessageSize(quint64 bytes) override;
    void setOutputCounter(std::atomic<qint64> *counter) override;
    QHostAddress peerAddress() const override;
    quint16 peerPort() const override;
    QHostAddress localAddress() const override;
    quint16 localPort() const override;
    QString requestPath() const override;
    quint16 closeCode() const override;
    QString closeReason() const override;

    QWebSocket *socket() const { return m_socket; }

private:
    void publishQueued();

    QWebSocket *m_socket;
    std::atomic<qint64> *m_outputCounter = nullptr;
};
