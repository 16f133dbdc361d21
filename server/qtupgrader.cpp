// SPDX-License-Identifier: MIT
#include "server/qtupgrader.h"

#include "server/clientframeguard.h"
#include "server/tcpsocketinfo.h"

#include <QtNetwork/QTcpSocket>
#include <QtWebSockets/QWebSocket>
#include <QtWebSockets/QWebSocketServer>

namespace {
// QWebSocket does not expose its TCP socket; the address pair names the connection.
QString upgradeKey(const QHostAddress &peer, quint16 peerPort, const QHostAddress &local,
                   quint16 localPort)
{
    return peer.toString() + QLatin1Char(' ') + QString::number(peerPort) + QLatin1Char(' ')
           + local.toString() + QLatin1Char(' ') + QString::number(localPort);
}
} // namespace

QtUpgrader::QtUpgrader(QObject *parent)
    : QObject(parent)
    , m_ws(new QWebSocketServer(QStringLiteral("Warden"), QWebSocketServer::NonSecureMode, this))
{
    // Upgrades are handed over one by one and drained at once; the queue never grows.
    m_ws->setMaxPendingConnections(1 << 20);
    connect(m_ws, &QWebSocketServer::newConnection, this, &QtUpgrader::onNewConnection);
}

void QtUpgrader::handOver(QTcpSocket *socket, qint64 headBytes)
{
    auto *guard = new ClientFrameGuard(socket, headBytes);
    const QString peerText = TcpSocketInfo::endpoint(socket->peerAddress(), socket->peerPort());
    connect(guard, &ClientFrameGuard::violation, this,
            [this, peerText](int code, const QString &reason) {
                Q_EMIT refused(peerText, code, reason);
            });
    const QString key = upgradeKey(socket->peerAddress(), socket->peerPort(),
                                   socket->localAddress(), socket->localPort());
    m_upgrading.insert(key, guard);
    connect(guard, &QObject::destroyed, this, [this, key, guard] {
        const auto it = m_upgrading.constFind(key);
        if (it != m_upgrading.cend() && it.value() == guard)
            m_upgrading.erase(it);
    });
    // Freed when it goes away, whenever that is: QWebSocketServer frees only the sockets that
    // go after handleConnection() returned, and the guard may fail one inside it.
    connect(socket, &QAbstractSocket::disconnected, socket, &QObject::deleteLater);
    m_ws->handleConnection(socket);
}

void QtUpgrader::onNewConnection()
{
    while (m_ws->hasPendingConnections()) {
        QWebSocket *ws = m_ws->nextPendingConnection();
        ws->setParent(nullptr);
        // The guard of this socket starts reading frames now that QtWebSockets has taken the
        // request head and connected its reader.
        QTcpSocket *socket = nullptr;
        if (ClientFrameGuard *guard = m_upgrading.take(upgradeKey(
                ws->peerAddress(), ws->peerPort(), ws->localAddress(), ws->localPort()))) {
            guard->upgraded(ws);
            socket = guard->socket();
            releaseFromServer(socket);
        }
        Q_EMIT upgraded(ws, socket);
    }
}

void QtUpgrader::releaseFromServer(QTcpSocket *socket)
{
    // QWebSocketServer keeps a connection from each accepted socket's disconnected() to a slot
    // that finds the socket with QObject::sender(), which walks the server's list of every
    // sender: O(connections) per close, so a mass close was quadratic (84% of a 10,000-session
    // expiry in one Qt function, docs/performance.md). Once upgraded, the socket is cut from the
    // server; it frees itself (handOver()) with no walk.
    disconnect(socket, &QAbstractSocket::disconnected, m_ws, nullptr);
}
