// SPDX-License-Identifier: MIT
#include "server/httpfrontend.h"

#include "server/clientframeguard.h"
#include "server/nativewebsocket.h"
#include "server/qtwebsocketconnection.h"

#include <QtCore/QCryptographicHash>
#include <QtCore/QDeadlineTimer>
#include <QtCore/QUrl>

#include <QtNetwork/QSslServer>
#include <QtNetwork/QTcpServer>
#include <QtNetwork/QTcpSocket>
#include <QtWebSockets/QWebSocket>
#include <QtWebSockets/QWebSocketServer>
#include <algorithm>
#include <fcntl.h>

namespace {
constexpr int ListenBacklog = 4096;

qint64 monotonicMs()
{
    return QDeadlineTimer::current().deadline();
}

// QWebSocket does not expose its TCP socket; the address pair names the connection.
QString upgradeKey(const QHostAddress &peer, quint16 peerPort, const QHostAddress &local,
                   quint16 localPort)
{
    return peer.toString() + QLatin1Char(' ') + QString::number(peerPort) + QLatin1Char(' ')
           + local.toString() + QLatin1Char(' ') + QString::number(localPort);
}

QString peerString(const QTcpSocket *s)
{
    return s->peerAddress().toString() + QLatin1Char(':') + QString::number(s->peerPort());
}
} // namespace

HttpFrontend::HttpFrontend(QObject *parent)
    : QObject(parent)
    , m_ws(new QWebSocketServer(QStringLiteral("Warden"), QWebSocketServer::NonSecureMode, this))
    , m_timer(this)
{
    // Upgrades are handed over one by one and drained at once; the queue never grows.
    m_ws->setMaxPendingConnections(1 << 20);
    connect(m_ws, &QWebSocketServer::newConnection, this, &HttpFrontend::onWebSocketReady);
    m_timer.setSingleShot(true);
    m_timer.setTimerType(Qt::PreciseTimer);
    connect(&m_timer, &QTimer::timeout, this, &HttpFrontend::onTimer);
}

HttpFrontend::~HttpFrontend()
{
    const QList<QTcpSocket *> sockets = m_pending.keys();
    for (QTcpSocket *s : sockets) {
        s->abort();
        delete s;
    }
}

bool HttpFrontend::listen(const QHostAddress &address, quint16 port, QString *error)
{
    std::unique_ptr<QTcpServer> server;
    if (m_tls) {
        auto ssl = std::make_unique<QSslServer>();
        ssl->setSslConfiguration(*m_tls);
        ssl->setHandshakeTimeout(m_handshakeTimeoutMs);
        server = std::move(ssl);
    } else {
        server = std::make_unique<QTcpServer>();
    }
    server->setListenBacklogSize(ListenBacklog);
    server->setMaxPendingConnections(1 << 20);
    if (!server->listen(address, port)) {
        *error = server->errorString();
        return false;
    }
    connect(server.get(), &QTcpServer::pendingConnectionAvailable, this,
            &HttpFrontend::onNewTcpConnection);
    m_tcp = std::move(server); // the old listener (if any) closes here; accepted sockets are ours
    return true;
}

bool HttpFrontend::setTls(const std::optional<QSslConfiguration> &tls, QString *error)
{
    const bool modeChanges = tls.has_value() != m_tls.has_value();
    const std::optional<QSslConfiguration> old = m_tls;
    m_tls = tls;
    if (!m_tcp)
        return true;
    if (!modeChanges) {
        if (tls)
            static_cast<QSslServer *>(m_tcp.get())->setSslConfiguration(*tls);
        return true;
    }
    // Plain <-> TLS needs a new listener on the same address: free it first, restore on failure.
    const QHostAddress address = m_tcp->serverAddress();
    const quint16 port = m_tcp->serverPort();
    m_tcp.reset();
    if (listen(address, port, error))
        return true;
    m_tls = old;
    QString ignored;
    listen(address, port, &ignored);
    return false;
}

void HttpFrontend::close()
{
    m_tcp.reset();
}

bool HttpFrontend::isListening() const
{
    return m_tcp && m_tcp->isListening();
}

QHostAddress HttpFrontend::address() const
{
    return m_tcp ? m_tcp->serverAddress() : QHostAddress();
}

quint16 HttpFrontend::port() const
{
    return m_tcp ? m_tcp->serverPort() : 0;
}

void HttpFrontend::onNewTcpConnection()
{
    while (m_tcp && m_tcp->hasPendingConnections()) {
        QTcpSocket *socket = m_tcp->nextPendingConnection();
        // Owned here, not by the listener, so a rebind never takes live sockets with it.
        socket->setParent(this);
        const DeadlineIndex::Key key = m_nextKey++;
        m_pending.insert(socket, key);
        m_pendingByKey.insert(key, socket);
        m_deadlines.schedule(key, monotonicMs() + m_handshakeTimeoutMs);
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
        connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
            if (m_pending.contains(socket)) {
                forget(socket);
                socket->deleteLater();
            }
        });
        if (socket->bytesAvailable() > 0)
            onReadyRead(socket);
    }
    armTimer();
}

void HttpFrontend::onReadyRead(QTcpSocket *socket)
{
    if (!m_pending.contains(socket))
        return;
    const QByteArray head = socket->peek(HttpRequest::MaxHeadBytes + 4);
    HttpRequest request;
    QByteArray why;
    switch (HttpRequest::parse(head, &request, &why)) {
    case HttpRequest::Parse::Incomplete:
        return;
    case HttpRequest::Parse::TooLarge:
        respond(socket, HttpResponse::text(431, "request head too large"));
        return;
    case HttpRequest::Parse::Bad:
        respond(socket, HttpResponse::text(400, why));
        return;
    case HttpRequest::Parse::Ok:
        break;
    }

    const QHostAddress peer = socket->peerAddress();
    if (request.isWebSocketUpgrade()) {
        if (request.method != "GET") {
            respond(socket, HttpResponse::text(405, "WebSocket upgrades use GET"));
            return;
        }
        if (m_admissionCheck) {
            if (const auto refusal = m_admissionCheck(request, peer)) {
                respond(socket, *refusal);
                return;
            }
        }
        if (m_upgradeFilter) {
            if (const auto refusal = m_upgradeFilter(request, peer)) {
                respond(socket, *refusal);
                return;
            }
        }
        if (socket->bytesAvailable() > request.headBytes) {
            // RFC 6455 4.1: the client waits for the 101 before it sends frames.
            respond(socket, HttpResponse::text(400, "data sent before the handshake response"));
            return;
        }
        if (m_native && !m_tls) {
            upgradeNative(socket, request);
            return;
        }
        forget(socket);
        socket->disconnect(this);
        auto *guard = new ClientFrameGuard(socket, request.headBytes);
        const QString peer = peerString(socket);
        connect(guard, &ClientFrameGuard::violation, this,
                [this, peer](int code, const QString &reason) {
                    Q_EMIT requestRefused(peer, code, reason);
                });
        const QString key = upgradeKey(socket->peerAddress(), socket->peerPort(),
                                       socket->localAddress(), socket->localPort());
        m_upgrading.insert(key, guard);
        connect(guard, &QObject::destroyed, this, [this, key, guard] {
            const auto it = m_upgrading.constFind(key);
            if (it != m_upgrading.cend() && it.value() == guard)
                m_upgrading.erase(it);
        });
        m_ws->handleConnection(socket);
        return;
    }

    // A plain request may carry a small body (the demo token form); wait until all of it is here.
    if (!request.header("transfer-encoding").isEmpty()) {
        respond(socket, HttpResponse::text(411, "send a Content-Length, not a chunked body"));
        return;
    }
    const QByteArray lengthText = request.header("content-length");
    if (!lengthText.isEmpty()) {
        bool ok = false;
        const qlonglong length = lengthText.toLongLong(&ok);
        if (!ok || length < 0) {
            respond(socket, HttpResponse::text(400, "bad Content-Length"));
            return;
        }
        if (length > HttpRequest::MaxBodyBytes) {
            respond(socket, HttpResponse::text(413, "request body too large"));
            return;
        }
        const QByteArray all = socket->peek(request.headBytes + length);
        if (all.size() < request.headBytes + length)
            return; // more is coming; the handshake deadline still applies
        request.body = all.mid(request.headBytes);
    }

    const bool head_ = request.method == "HEAD";
    HttpResponse response
        = m_httpHandler ? m_httpHandler(request, peer) : HttpResponse::text(404, "not found");
    respond(socket, response, head_);
}

void HttpFrontend::upgradeNative(QTcpSocket *socket, const HttpRequest &request)
{
    // What QWebSocketServer checks before its 101, with the same answers.
    if (request.header("sec-websocket-version") != "13") {
        HttpResponse r = HttpResponse::text(426, "unsupported WebSocket version (13 is)");
        r.extraHeaders.append({QByteArray("Sec-WebSocket-Version"), QByteArray("13")});
        respond(socket, r);
        return;
    }
    const QByteArray key = request.header("sec-websocket-key");
    const auto decoded
        = QByteArray::fromBase64Encoding(key, QByteArray::AbortOnBase64DecodingErrors);
    if (key.size() != 24 || !decoded || decoded.decoded.size() != 16) {
        respond(socket, HttpResponse::text(400, "bad Sec-WebSocket-Key"));
        return;
    }
    // The descriptor outlives the QTcpSocket: Qt's socket engine closes its own descriptor
    // without a shutdown(), so the connection stays open on the duplicate.
    const int fd = ::fcntl(int(socket->socketDescriptor()), F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
        respond(socket, HttpResponse::text(503, "out of file descriptors"));
        return;
    }
    const QByteArray keyAndGuid = key + QByteArrayLiteral("258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    const QByteArray accept
        = QCryptographicHash::hash(keyAndGuid, QCryptographicHash::Sha1).toBase64();
    // No Sec-WebSocket-Protocol: like QWebSocketServer here, Warden selects no subprotocol.
    const QByteArray answer = QByteArrayLiteral("HTTP/1.1 101 Switching Protocols\r\n"
                                                "Upgrade: websocket\r\n"
                                                "Connection: Upgrade\r\n"
                                                "Sec-WebSocket-Accept: ")
                              + accept + QByteArrayLiteral("\r\n\r\n");
    const NativeWebSocket::Endpoint endpoint{socket->peerAddress(), socket->peerPort(),
                                             socket->localAddress(), socket->localPort()};
    forget(socket);
    socket->disconnect(this);
    socket->abort(); // its buffers go now, the object with the next event-loop turn
    socket->deleteLater();

    // Its protocol violations go to whoever takes it (WebSocketConnection::protocolViolation).
    Q_EMIT webSocketAccepted(
        new NativeWebSocket(fd, endpoint, QUrl::fromEncoded(request.target).path(), answer));
}

void HttpFrontend::onWebSocketReady()
{
    while (m_ws->hasPendingConnections()) {
        QWebSocket *ws = m_ws->nextPendingConnection();
        ws->setParent(nullptr);
        // The guard of this socket starts reading frames now that QtWebSockets has taken the
        // request head and connected its reader.
        if (ClientFrameGuard *guard = m_upgrading.take(upgradeKey(
                ws->peerAddress(), ws->peerPort(), ws->localAddress(), ws->localPort()))) {
            guard->upgraded(ws);
            releaseFromServer(guard->socket());
        }
        Q_EMIT webSocketAccepted(new QtWebSocketConnection(ws));
    }
}

void HttpFrontend::releaseFromServer(QTcpSocket *socket)
{
    // QWebSocketServer keeps a connection from each accepted socket's disconnected() to a slot
    // that finds the socket with QObject::sender(), which walks the server's list of every
    // sender: O(connections) per close, so a mass close was quadratic (84% of a 10,000-session
    // expiry in one Qt function, docs/performance.md). Once upgraded, the socket is cut from the
    // server and frees itself the same way, with no walk.
    if (!socket)
        return;
    disconnect(socket, &QAbstractSocket::disconnected, m_ws, nullptr);
    connect(socket, &QAbstractSocket::disconnected, socket, &QObject::deleteLater);
}

void HttpFrontend::respond(QTcpSocket *socket, const HttpResponse &response, bool headOnly)
{
    if (response.status >= 400 && !response.alreadyLogged)
        Q_EMIT requestRefused(peerString(socket), response.status,
                              QString::fromUtf8(response.body.trimmed()));
    forget(socket);
    socket->disconnect(this);
    // The request head stays unread; the answer ends the exchange.
    socket->write(response.serialize(headOnly));
    connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    socket->disconnectFromHost();
}

void HttpFrontend::forget(QTcpSocket *socket)
{
    const DeadlineIndex::Key key = m_pending.take(socket);
    if (key) {
        m_pendingByKey.remove(key);
        m_deadlines.remove(key);
    }
}

void HttpFrontend::armTimer()
{
    const auto next = m_deadlines.nearest();
    if (!next) {
        m_timer.stop();
        return;
    }
    m_timer.start(int(std::clamp<qint64>(*next - monotonicMs(), 0, 24 * 3600 * 1000)));
}

void HttpFrontend::onTimer()
{
    const QList<DeadlineIndex::Key> due = m_deadlines.takeDue(monotonicMs());
    for (DeadlineIndex::Key key : due) {
        QTcpSocket *socket = m_pendingByKey.take(key);
        if (!socket)
            continue;
        m_pending.remove(socket);
        socket->disconnect(this);
        Q_EMIT requestRefused(peerString(socket), 408,
                              QStringLiteral("no complete request head in time"));
        socket->abort();
        socket->deleteLater();
    }
    armTimer();
}
