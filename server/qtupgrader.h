// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QHash>
#include <QtCore/QObject>

class ClientFrameGuard;
class QTcpSocket;
class QWebSocket;
class QWebSocketServer;

// The QtWebSockets side of an upgrade: a QWebSocketServer that answers upgrade requests handed
// to it with handleConnection(), for TLS connections and `[server] transport = qt`. Each socket
// gets a ClientFrameGuard (RFC 6455 checks that QtWebSockets 6.4 skips) and, once upgraded, is
// cut from QWebSocketServer's O(connections) disconnect handler. Lives in one thread: the
// server thread's HttpFrontend has one, and so does each I/O thread (IoThreads), which is
// "one QWebSocketServer per worker, fed by one acceptor".
class QtUpgrader final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(QtUpgrader)

public:
    explicit QtUpgrader(QObject *parent = nullptr);

    // socket: connected (and encrypted, for TLS), its request head of headBytes unread in its
    // buffer and already routed as an upgrade; it lives in this object's thread. It deletes
    // itself (deleteLater()) when it disconnects, before the upgrade or after.
    void handOver(QTcpSocket *socket, qint64 headBytes);

Q_SIGNALS:
    // A finished handshake: socket is the TCP (or TLS) socket the QWebSocket runs on. The
    // receiver owns ws (it has no parent).
    void upgraded(QWebSocket *ws, QTcpSocket *socket);
    // A connection failed for a protocol violation (status: a close code, or 400 before the
    // upgrade), for the log.
    void refused(const QString &peer, int status, const QString &reason);

private:
    void onNewConnection();
    // Cuts an upgraded socket from QWebSocketServer's O(connections) disconnect handler.
    void releaseFromServer(QTcpSocket *socket);

    QWebSocketServer *m_ws;
    // Guards of sockets handed over whose handshake is not answered yet.
    QHash<QString, ClientFrameGuard *> m_upgrading;
};
