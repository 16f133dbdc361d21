// SPDX-License-Identifier: MIT
#include "server/httpfrontend.h"
#include "server/digest.h"

#include "server/iothreads.h"
#include "server/nativewebsocket.h"
#include "server/qtupgrader.h"
#include "server/qtwebsocketconnection.h"
#include "server/tcplistener.h"
#include "server/tcpsocketinfo.h"

#include <QtCore/QDeadlineTimer>
#include <QtCore/QEvent>
#include <QtCore/QPointer>
#include <QtCore/QSocketNotifier>
#include <QtCore/QUrl>

#include <QtNetwork/QSslServer>
#include <QtNetwork/QTcpServer>
#include <QtNetwork/QTcpSocket>
#include <QtWebSockets/QWebSocket>
#include <algorithm>
#include <cerrno>
#include <sys/socket.h>
#include <unistd.h>
#include <utility>

namespace {
constexpr int ListenBacklog = 4096;

qint64 monotonicMs()
{
    return QDeadlineTimer::current().deadline();
}

// As the server's events name peers: [v6]:port.
QString peerString(const QTcpSocket *s)
{
    return TcpSocketInfo::endpoint(s->peerAddress(), s->peerPort());
}
} // namespace

HttpFrontend::HttpFrontend(QObject *parent)
    : QObject(parent)
    , m_qt(new QtUpgrader(this))
    , m_timer(this)
{
    connect(m_qt, &QtUpgrader::upgraded, this, [this](QWebSocket *ws, QTcpSocket *) {
        Q_EMIT webSocketAccepted(new QtWebSocketConnection(ws));
    });
    connect(m_qt, &QtUpgrader::refused, this, &HttpFrontend::requestRefused);
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
    for (auto &entry : m_rawPending) {
        entry.second.notifier.reset();
        ::close(entry.second.fd);
    }
}

void HttpFrontend::setIoThreads(IoThreads *io)
{
    if (m_io == io)
        return;
    if (m_io)
        disconnect(m_io, nullptr, this, nullptr);
    m_io = io;
    if (!io)
        return;
    connect(io, &IoThreads::upgraded, this, &HttpFrontend::webSocketAccepted);
    connect(io, &IoThreads::refused, this, &HttpFrontend::requestRefused);
    connect(io, &IoThreads::encrypted, this, [this](QTcpSocket *socket) {
        takePending(socket);
        armTimer();
    });
}

bool HttpFrontend::listen(const QHostAddress &address, quint16 port, QString *error)
{
    if (usesRawListener()) {
        auto raw = std::make_unique<TcpListener>(
            [this](const TcpListener::Accepted &a) {
                onRawAccepted(a.fd, NativeWebSocket::Endpoint{a.peerAddress, a.peerPort,
                                                              a.localAddress, a.localPort});
            },
            [this](const QString &reason) {
                Q_EMIT requestRefused(QStringLiteral("-"), 503, reason);
            });
        if (!raw->listen(address, port, ListenBacklog, error))
            return false;
        m_tcp.reset();
        m_raw = std::move(raw); // the old listener (if any) closes here; accepted sockets stay
        return true;
    }
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
    m_raw.reset();
    m_tcp = std::move(server); // the old listener (if any) closes here; accepted sockets are ours
    return true;
}

bool HttpFrontend::rebind(QString *error)
{
    // A new kind of listener on the same address: free it first.
    const QHostAddress address = this->address();
    const quint16 port = this->port();
    m_tcp.reset();
    m_raw.reset();
    return listen(address, port, error);
}

bool HttpFrontend::setTls(const std::optional<QSslConfiguration> &tls, QString *error)
{
    const bool modeChanges = tls.has_value() != m_tls.has_value();
    const std::optional<QSslConfiguration> old = m_tls;
    m_tls = tls;
    if (!isListening())
        return true;
    if (!modeChanges) {
        // New handshakes get the new certificate: QSslServer's, or (I/O threads) each one
        // handed over with m_tls.
        if (tls && m_tcp)
            static_cast<QSslServer *>(m_tcp.get())->setSslConfiguration(*tls);
        return true;
    }
    // Plain <-> TLS needs a new listener on the same address; restore the old one on failure.
    const QHostAddress address = this->address();
    const quint16 port = this->port();
    if (rebind(error))
        return true;
    m_tls = old;
    QString ignored;
    listen(address, port, &ignored);
    return false;
}

bool HttpFrontend::setNativeTransport(bool native, QString *error)
{
    if (native == m_native)
        return true;
    const bool wasRaw = usesRawListener();
    m_native = native;
    if (!isListening() || wasRaw == usesRawListener())
        return true;
    const QHostAddress address = this->address();
    const quint16 port = this->port();
    if (rebind(error))
        return true;
    m_native = !native;
    QString ignored;
    listen(address, port, &ignored);
    return false;
}

void HttpFrontend::close()
{
    m_tcp.reset();
    m_raw.reset();
}

bool HttpFrontend::isListening() const
{
    return m_raw || (m_tcp && m_tcp->isListening());
}

QHostAddress HttpFrontend::address() const
{
    if (m_raw)
        return m_raw->address();
    return m_tcp ? m_tcp->serverAddress() : QHostAddress();
}

quint16 HttpFrontend::port() const
{
    if (m_raw)
        return m_raw->port();
    return m_tcp ? m_tcp->serverPort() : 0;
}

void HttpFrontend::onNewTcpConnection()
{
    while (m_tcp && m_tcp->hasPendingConnections())
        takePending(m_tcp->nextPendingConnection());
    armTimer();
}

void HttpFrontend::takePending(QTcpSocket *socket)
{
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

HttpFrontend::Route HttpFrontend::route(const QByteArray &data, HttpRequest *request,
                                        const QHostAddress &peer)
{
    Route r;
    r.kind = Route::Kind::Respond;
    QByteArray why;
    switch (HttpRequest::parse(data, request, &why)) {
    case HttpRequest::Parse::Incomplete:
        r.kind = Route::Kind::Wait;
        return r;
    case HttpRequest::Parse::TooLarge:
        r.response = HttpResponse::text(431, "request head too large");
        return r;
    case HttpRequest::Parse::Bad:
        r.response = HttpResponse::text(400, why);
        return r;
    case HttpRequest::Parse::Ok:
        break;
    }

    if (request->isWebSocketUpgrade()) {
        if (request->method != "GET") {
            r.response = HttpResponse::text(405, "WebSocket upgrades use GET");
            return r;
        }
        if (m_admissionCheck) {
            if (const auto refusal = m_admissionCheck(*request, peer)) {
                r.response = *refusal;
                return r;
            }
        }
        if (m_upgradeFilter) {
            if (const auto refusal = m_upgradeFilter(*request, peer)) {
                r.response = *refusal;
                return r;
            }
        }
        if (data.size() > request->headBytes) {
            // RFC 6455 4.1: the client waits for the 101 before it sends frames.
            r.response = HttpResponse::text(400, "data sent before the handshake response");
            return r;
        }
        r.kind = Route::Kind::Upgrade;
        return r;
    }

    // A plain request may carry a small body (the demo token form); wait until all of it is here.
    if (!request->header("transfer-encoding").isEmpty()) {
        r.response = HttpResponse::text(411, "send a Content-Length, not a chunked body");
        return r;
    }
    const QByteArray lengthText = request->header("content-length");
    if (!lengthText.isEmpty()) {
        bool ok = false;
        const qlonglong length = lengthText.toLongLong(&ok);
        if (!ok || length < 0) {
            r.response = HttpResponse::text(400, "bad Content-Length");
            return r;
        }
        if (length > HttpRequest::MaxBodyBytes) {
            r.response = HttpResponse::text(413, "request body too large");
            return r;
        }
        if (data.size() < request->headBytes + length) {
            r.kind = Route::Kind::Wait; // more is coming; the handshake deadline still applies
            return r;
        }
        request->body = data.mid(request->headBytes, length);
    }

    r.headOnly = request->method == "HEAD";
    r.response
        = m_httpHandler ? m_httpHandler(*request, peer) : HttpResponse::text(404, "not found");
    return r;
}

void HttpFrontend::onReadyRead(QTcpSocket *socket)
{
    if (!m_pending.contains(socket))
        return;
    HttpRequest request;
    const QHostAddress peer = socket->peerAddress();
    const Route r = route(socket->peek(HttpRequest::MaxHeadBytes + 4 + HttpRequest::MaxBodyBytes),
                          &request, peer);
    switch (r.kind) {
    case Route::Kind::Wait:
        return;
    case Route::Kind::Respond:
        respond(socket, r.response, r.headOnly);
        return;
    case Route::Kind::Upgrade:
        break;
    }
    // QTcpServer accepts for TLS and for `transport = qt`: QtWebSockets answers the upgrade,
    // on an I/O thread's QWebSocketServer when there are I/O threads, else on this thread's.
    forget(socket);
    socket->disconnect(this);
    if (m_io) {
        // QSslServer keeps connections to the sockets it made (its error signals); they must
        // not call into this thread once the socket runs on another.
        if (m_tcp)
            disconnect(socket, nullptr, m_tcp.get(), nullptr);
        // Not from inside its readyRead(): the socket goes on using itself in this thread after
        // the signal returns. On the next turn nothing of it is on the stack.
        const qint64 headBytes = request.headBytes;
        QMetaObject::invokeMethod(
            this,
            [this, socket = QPointer<QTcpSocket>(socket), headBytes] {
                if (!socket)
                    return;
                if (socket->state() != QAbstractSocket::ConnectedState || !m_io) {
                    socket->abort();
                    socket->deleteLater();
                    return;
                }
                m_io->adoptUpgrade(socket, headBytes, m_maxMessageBytes);
            },
            Qt::QueuedConnection);
        return;
    }
    m_qt->handOver(socket, request.headBytes);
}

QByteArray HttpFrontend::nativeUpgradeAnswer(const HttpRequest &request, HttpResponse *refusal)
{
    // What QWebSocketServer checks before its 101, with the same answers.
    if (request.header("sec-websocket-version") != "13") {
        *refusal = HttpResponse::text(426, "unsupported WebSocket version (13 is)");
        refusal->extraHeaders.append({QByteArray("Sec-WebSocket-Version"), QByteArray("13")});
        return {};
    }
    const QByteArray key = request.header("sec-websocket-key");
    const auto decoded
        = QByteArray::fromBase64Encoding(key, QByteArray::AbortOnBase64DecodingErrors);
    if (key.size() != 24 || !decoded || decoded.decoded.size() != 16) {
        *refusal = HttpResponse::text(400, "bad Sec-WebSocket-Key");
        return {};
    }
    const QByteArray keyAndGuid = key + QByteArrayLiteral("258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    const QByteArray accept = Digest::sha1(keyAndGuid).toBase64();
    // No Sec-WebSocket-Protocol: like QWebSocketServer here, Warden selects no subprotocol.
    return QByteArrayLiteral("HTTP/1.1 101 Switching Protocols\r\n"
                             "Upgrade: websocket\r\n"
                             "Connection: Upgrade\r\n"
                             "Sec-WebSocket-Accept: ")
           + accept + QByteArrayLiteral("\r\n\r\n");
}

void HttpFrontend::onRawAccepted(int fd, const NativeWebSocket::Endpoint &endpoint)
{
    if (m_tls) {
        // TLS with I/O threads: the handshake runs on one of them; the socket comes back
        // encrypted (takePending()) for its request head.
        m_io->handshake(fd, *m_tls, m_handshakeTimeoutMs);
        return;
    }
    const DeadlineIndex::Key key = m_nextKey++;
    RawPending &p = m_rawPending[key];
    p.fd = fd;
    p.endpoint = endpoint;
    m_deadlines.schedule(key, monotonicMs() + m_handshakeTimeoutMs);
    // In a storm the request head is usually here before the connection is accepted: read it
    // now, and make a notifier only for a head that is still on its way.
    onRawReadable(key);
    armTimer();
}

class HttpFrontend::HeadNotifier final : public QSocketNotifier
{
public:
    HeadNotifier(int fd, HttpFrontend *owner, DeadlineIndex::Key key)
        : QSocketNotifier(qintptr(fd), Read)
        , m_owner(owner)
        , m_key(key)
    { }

protected:
    bool event(QEvent *e) override
    {
        if (e->type() != QEvent::SockAct && e->type() != QEvent::SockClose)
            return QSocketNotifier::event(e);
        m_owner->onRawReadable(m_key);
        return true;
    }

private:
    HttpFrontend *m_owner;
    DeadlineIndex::Key m_key;
};

void HttpFrontend::onRawReadable(DeadlineIndex::Key key)
{
    const auto it = m_rawPending.find(key);
    if (it == m_rawPending.end())
        return;
    RawPending &p = it->second;
    // Enough for the largest head and body route() accepts, and one byte more to see excess.
    constexpr qsizetype Limit = HttpRequest::MaxHeadBytes + 4 + HttpRequest::MaxBodyBytes + 1;
    char buffer[4096];
    bool gotData = false;
    for (;;) {
        const qsizetype room
            = std::min<qsizetype>(qsizetype(sizeof buffer), Limit - p.received.size());
        if (room <= 0)
            break;
        const ssize_t n = ::recv(p.fd, buffer, size_t(room), 0);
        if (n > 0) {
            p.received.append(buffer, qsizetype(n));
            gotData = true;
            if (n < room)
                break;
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            dropRaw(key); // the client left (or the connection failed) before a complete head
            return;
        }
        if (errno == EINTR)
            continue;
        break;
    }
    if (!gotData && !p.received.isEmpty())
        return;

    HttpRequest request;
    const Route r = route(p.received, &request, p.endpoint.peerAddress);
    switch (r.kind) {
    case Route::Kind::Wait:
        if (p.received.size() >= Limit) {
            respondRaw(key, HttpResponse::text(413, "request body too large"), false);
            return;
        }
        if (!p.notifier)
            p.notifier = std::make_unique<HeadNotifier>(p.fd, this, key);
        return;
    case Route::Kind::Respond:
        respondRaw(key, r.response, r.headOnly);
        return;
    case Route::Kind::Upgrade:
        break;
    }
    HttpResponse refusal;
    const QByteArray answer = nativeUpgradeAnswer(request, &refusal);
    if (answer.isEmpty()) {
        respondRaw(key, refusal, false);
        return;
    }
    const int fd = p.fd;
    const NativeWebSocket::Endpoint endpoint = p.endpoint;
    p.fd = -1; // the connection takes it
    dropRaw(key);
    // Its protocol violations go to whoever takes it (WebSocketConnection::protocolViolation).
    const QString path = QUrl::fromEncoded(request.target).path();
    Q_EMIT webSocketAccepted(m_io ? m_io->adopt(fd, endpoint, path, answer)
                                  : new NativeWebSocket(fd, endpoint, path, answer));
}

void HttpFrontend::dropRaw(DeadlineIndex::Key key)
{
    const auto it = m_rawPending.find(key);
    if (it == m_rawPending.end())
        return;
    // The notifier is unregistered before the descriptor is closed or handed on.
    it->second.notifier.reset();
    if (it->second.fd >= 0)
        ::close(it->second.fd);
    m_rawPending.erase(it);
    m_deadlines.remove(key);
}

void HttpFrontend::respondRaw(DeadlineIndex::Key key, const HttpResponse &response, bool headOnly)
{
    const auto it = m_rawPending.find(key);
    if (it == m_rawPending.end())
        return;
    it->second.notifier.reset();
    const int fd = std::exchange(it->second.fd, -1);
    dropRaw(key);
    // Plain HTTP is rare on this port: a QTcpSocket writes the answer and closes gracefully.
    auto *socket = new QTcpSocket(this);
    if (!socket->setSocketDescriptor(qintptr(fd))) {
        ::close(fd);
        delete socket;
        return;
    }
    respond(socket, response, headOnly);
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
        if (const auto raw = m_rawPending.find(key); raw != m_rawPending.end()) {
            const NativeWebSocket::Endpoint &e = raw->second.endpoint;
            Q_EMIT requestRefused(TcpSocketInfo::endpoint(e.peerAddress, e.peerPort), 408,
                                  QStringLiteral("no complete request head in time"));
            dropRaw(key);
            continue;
        }
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
