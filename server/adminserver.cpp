// SPDX-License-Identifier: MIT
#include "server/adminserver.h"

#include "server/configloader.h"
#include "server/serverworker.h"
#include "server/tlsfiles.h"

#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QJsonDocument>
#include <QtCore/QPointer>
#include <QtCore/QRandomGenerator>
#include <QtCore/QSaveFile>
#include <QtCore/QUrlQuery>
#include <QtNetwork/QSslServer>
#include <QtNetwork/QTcpServer>
#include <QtNetwork/QTcpSocket>
#include <QtWebSockets/QWebSocket>
#include <QtWebSockets/QWebSocketServer>

namespace {
QString hostText(const QHostAddress &a)
{
    return a.protocol() == QAbstractSocket::IPv6Protocol
               ? QLatin1Char('[') + a.toString() + QLatin1Char(']')
               : a.toString();
}
} // namespace

std::unique_ptr<AdminServer> AdminServer::create(ServerWorker &worker)
{
    if (worker.config().adminListen.isEmpty())
        return nullptr;
    auto server = std::make_unique<AdminServer>(worker);
    QString error;
    if (!server->start(&error)) {
        worker.logEvent(
            ServerEvent::Type::Error,
            {{QLatin1String("service"), QLatin1String("admin")}, {QLatin1String("reason"), error}});
        return nullptr;
    }
    return server;
}

AdminServer::AdminServer(ServerWorker &worker)
    : m_worker(worker)
    , m_api(worker)
    , m_ws(new QWebSocketServer(QStringLiteral("Warden admin"), QWebSocketServer::NonSecureMode,
                                this))
    , m_counters(this)
{
    connect(m_ws, &QWebSocketServer::newConnection, this, &AdminServer::onStreamReady);
    connect(&worker, &ServerWorker::eventsReady, this, &AdminServer::pushEvents);
    connect(&worker, &ServerWorker::stopped, this, &AdminServer::close);
    connect(&worker, &ServerWorker::reloaded, this, &AdminServer::onReloaded);
    m_counters.setInterval(CounterIntervalMs);
    connect(&m_counters, &QTimer::timeout, this, &AdminServer::pushCounters);
}

AdminServer::~AdminServer()
{
    close();
}

QString AdminServer::tokenFile() const
{
    return QDir(m_dataDir).filePath(QStringLiteral("admin.token"));
}

QString AdminServer::readOnlyTokenFile() const
{
    return QDir(m_dataDir).filePath(QStringLiteral("admin-readonly.token"));
}

QString AdminServer::urlFile() const
{
    return QDir(m_dataDir).filePath(QStringLiteral("admin.url"));
}

quint16 AdminServer::port() const
{
    return m_tcp ? m_tcp->serverPort() : 0;
}

QString AdminServer::url() const
{
    if (!m_tcp)
        return {};
    return QLatin1String(m_tlsCertPem.isEmpty() ? "http://" : "https://")
           + hostText(m_tcp->serverAddress()) + QLatin1Char(':') + QString::number(port());
}

bool AdminServer::loadToken(const QString &path, QByteArray *token, bool *created, QString *error)
{
    QFile f(path);
    *created = false;
    if (f.exists()) {
        if (!f.open(QIODevice::ReadOnly)) {
            *error = path + QStringLiteral(": ") + f.errorString();
            return false;
        }
        *token = f.readAll().trimmed();
        if (token->size() < 16) {
            *error = path + QStringLiteral(": the token file holds fewer than 16 bytes");
            return false;
        }
        return true;
    }
    QByteArray raw(32, '\0');
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(raw.data()), raw.size() / 4);
    *token = raw.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
    if (!f.open(QIODevice::WriteOnly | QIODevice::NewOnly)) {
        *error = path + QStringLiteral(": ") + f.errorString();
        return false;
    }
    f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    if (f.write(*token + '\n') < 0 || !f.flush()) {
        *error = path + QStringLiteral(": ") + f.errorString();
        return false;
    }
    *created = true;
    return true;
}

bool AdminServer::start(QString *error)
{
    const ServerConfig &cfg = m_worker.config();
    QHostAddress address;
    quint16 port = 0;
    if (!ConfigLoader::parseListen(cfg.adminListen, &address, &port, error))
        return false;
    m_dataDir = cfg.dataDir;
    if (!QDir().mkpath(m_dataDir)) {
        *error = m_dataDir + QStringLiteral(": cannot create the data directory");
        return false;
    }
    QByteArray admin;
    QByteArray readOnly;
    bool createdAdmin = false;
    bool createdReadOnly = false;
    if (!loadToken(tokenFile(), &admin, &createdAdmin, error)
        || !loadToken(readOnlyTokenFile(), &readOnly, &createdReadOnly, error))
        return false;
    m_api.setTokens(admin, readOnly);

    m_tlsCertPem = cfg.adminTlsCertPem;
    m_tlsKeyPem = cfg.adminTlsKeyPem;
    if (!listen(address, port, error)) {
        *error = QStringLiteral("admin API: cannot listen on %1: %2").arg(cfg.adminListen, *error);
        return false;
    }
    m_worker.addMonitoredPort(m_tcp->serverPort(), m_tcp->serverAddress());

    QSaveFile urlOut(urlFile());
    if (urlOut.open(QIODevice::WriteOnly)) {
        urlOut.write(url().toUtf8() + '\n');
        m_wroteUrl = urlOut.commit();
    }
    m_worker.logEvent(ServerEvent::Type::Listening,
                      {{QLatin1String("service"), QLatin1String("admin")},
                       {QLatin1String("address"), url()},
                       {QLatin1String("token_file"), tokenFile()},
                       {QLatin1String("tls"), !m_tlsCertPem.isEmpty()},
                       {QLatin1String("token_created"), createdAdmin}});
    // The counters timer runs only while a stream listens (onStreamReady): an idle server
    // has no periodic wakeup of its own.
    return true;
}

bool AdminServer::listen(const QHostAddress &address, quint16 port, QString *error)
{
    std::unique_ptr<QTcpServer> server;
    if (!m_tlsCertPem.isEmpty()) {
        auto ssl = std::make_unique<QSslServer>();
        ssl->setSslConfiguration(TlsFiles::serverConfiguration(m_tlsCertPem, m_tlsKeyPem));
        ssl->setHandshakeTimeout(m_worker.config().handshakeTimeoutMs);
        server = std::move(ssl);
    } else {
        server = std::make_unique<QTcpServer>();
    }
    if (!server->listen(address, port)) {
        *error = server->errorString();
        return false;
    }
    connect(server.get(), &QTcpServer::pendingConnectionAvailable, this,
            &AdminServer::onNewConnection);
    m_tcp = std::move(server); // accepted sockets are ours (parented here), not the listener's
    return true;
}

// [admin] tls_cert/tls_key after a reload: a renewed certificate goes to new handshakes and
// every open request or stream stays; switching TLS on or off rebinds the same address.
void AdminServer::onReloaded(bool ok)
{
    const ServerConfig &cfg = m_worker.config();
    if (!ok || !m_tcp || (cfg.adminTlsCertPem == m_tlsCertPem && cfg.adminTlsKeyPem == m_tlsKeyPem))
        return;
    const bool modeChanges = cfg.adminTlsCertPem.isEmpty() != m_tlsCertPem.isEmpty();
    const QByteArray oldCert = m_tlsCertPem;
    const QByteArray oldKey = m_tlsKeyPem;
    m_tlsCertPem = cfg.adminTlsCertPem;
    m_tlsKeyPem = cfg.adminTlsKeyPem;
    if (!modeChanges) {
        static_cast<QSslServer *>(m_tcp.get())
            ->setSslConfiguration(TlsFiles::serverConfiguration(m_tlsCertPem, m_tlsKeyPem));
        return;
    }
    const QHostAddress address = m_tcp->serverAddress();
    const quint16 port = m_tcp->serverPort();
    m_tcp.reset();
    QString error;
    if (!listen(address, port, &error)) {
        m_tlsCertPem = oldCert;
        m_tlsKeyPem = oldKey;
        QString ignored;
        listen(address, port, &ignored);
        m_worker.logEvent(
            ServerEvent::Type::Error,
            {{QLatin1String("service"), QLatin1String("admin")},
             {QLatin1String("reason"),
              QString(QStringLiteral("cannot switch TLS on the admin port: ") + error)}});
        return;
    }
    QSaveFile urlOut(urlFile());
    if (urlOut.open(QIODevice::WriteOnly)) {
        urlOut.write(url().toUtf8() + '\n');
        m_wroteUrl = urlOut.commit();
    }
}

void AdminServer::close()
{
    m_counters.stop();
    m_tcp.reset();
    const QList<QWebSocket *> streams = m_streams.keys();
    m_streams.clear();
    for (QWebSocket *ws : streams) {
        ws->disconnect(this);
        ws->close(QWebSocketProtocol::CloseCodeGoingAway, QStringLiteral("stopped"));
        ws->deleteLater();
    }
    if (m_wroteUrl) {
        QFile::remove(urlFile());
        m_wroteUrl = false;
    }
}

void AdminServer::onNewConnection()
{
    while (m_tcp && m_tcp->hasPendingConnections()) {
        QTcpSocket *socket = m_tcp->nextPendingConnection();
        socket->setParent(this);
        m_pending.insert(socket);
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
        connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
            if (m_pending.remove(socket))
                socket->deleteLater();
        });
        // Head and body must arrive within the handshake timeout; then the socket is cut.
        QTimer::singleShot(m_worker.config().handshakeTimeoutMs, socket, [this, socket] {
            if (m_pending.remove(socket)) {
                socket->abort();
                socket->deleteLater();
            }
        });
        if (socket->bytesAvailable() > 0)
            onReadyRead(socket);
    }
}

void AdminServer::onReadyRead(QTcpSocket *socket)
{
    if (!m_pending.contains(socket))
        return;
    const QByteArray data = socket->peek(HttpRequest::MaxHeadBytes + MaxBodyBytes + 4);
    HttpRequest head;
    QByteArray why;
    switch (HttpRequest::parse(data, &head, &why)) {
    case HttpRequest::Parse::Incomplete:
        return;
    case HttpRequest::Parse::TooLarge:
        respond(socket, AdminApi::error(431, QStringLiteral("request head too large")));
        return;
    case HttpRequest::Parse::Bad:
        respond(socket, AdminApi::error(400, QString::fromUtf8(why)));
        return;
    case HttpRequest::Parse::Ok:
        break;
    }

    if (head.isWebSocketUpgrade()) {
        if (head.path != "/api/v1/stream" || head.method != "GET") {
            respond(socket, AdminApi::error(404, QStringLiteral("no such stream")));
            return;
        }
        if (m_api.authenticate(head.header("authorization")) == AdminApi::Access::None) {
            m_worker.metrics().adminAuthFailed();
            respond(socket, AdminApi::error(401, QStringLiteral("missing or wrong bearer token")));
            return;
        }
        bool ok = true;
        const QByteArray since = head.queryValue("since");
        if (!since.isEmpty())
            since.toULongLong(&ok);
        if (!ok) {
            respond(socket, AdminApi::error(400, QStringLiteral("since must be an event id")));
            return;
        }
        acceptStream(socket);
        return;
    }

    qsizetype length = 0;
    const QByteArray lengthText = head.header("content-length");
    if (!lengthText.isEmpty()) {
        bool ok = false;
        length = lengthText.toLongLong(&ok);
        if (!ok || length < 0) {
            respond(socket, AdminApi::error(400, QStringLiteral("bad Content-Length")));
            return;
        }
    } else if (!head.header("transfer-encoding").isEmpty()) {
        respond(socket, AdminApi::error(411, QStringLiteral("send a Content-Length")));
        return;
    }
    if (length > MaxBodyBytes) {
        respond(socket, AdminApi::error(413, QStringLiteral("body larger than 1 MiB")));
        return;
    }
    if (socket->bytesAvailable() < head.headBytes + length)
        return; // more body to come
    socket->read(head.headBytes);
    AdminRequest request;
    request.method = head.method;
    request.path = head.path;
    request.query = head.query;
    request.body = socket->read(length);
    request.authorization = head.header("authorization");
    request.actor = head.header("x-warden-actor");
    request.peer = socket->peerAddress();
    const AdminReply reply = m_api.handle(request);
    const bool headOnly = head.method == "HEAD";
    if (reply.deferred) {
        // Waits for other cluster nodes (bounded by ClusterLink::ReplyWaitMs): the socket leaves
        // the pending set (no handshake cut, no second parse) and is answered when they are in.
        m_pending.remove(socket);
        socket->disconnect(this);
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        reply.deferred([self = QPointer<AdminServer>(this), sock = QPointer<QTcpSocket>(socket),
                        headOnly](const HttpResponse &response) {
            if (self && sock && sock->state() == QAbstractSocket::ConnectedState)
                self->respond(sock, response, false, headOnly);
        });
        return;
    }
    respond(socket, reply.response, reply.stopAfterReply, headOnly);
    if (reply.restartAfterReply) {
        // Answer first, as for a stop; this admin server stays up across the restart.
        connect(socket, &QTcpSocket::disconnected, &m_worker, &ServerWorker::restartRequested);
    }
}

void AdminServer::respond(QTcpSocket *socket, const HttpResponse &response, bool stopAfter,
                          bool headOnly)
{
    m_pending.remove(socket);
    socket->disconnect(this);
    socket->write(response.serialize(headOnly));
    connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    if (stopAfter) {
        // Answer first: the stop starts once the reply has left (the peer saw it or went away).
        connect(socket, &QTcpSocket::disconnected, &m_worker, &ServerWorker::stopRequested);
    }
    socket->disconnectFromHost();
}

void AdminServer::acceptStream(QTcpSocket *socket)
{
    m_pending.remove(socket);
    socket->disconnect(this);
    m_ws->handleConnection(socket);
}

void AdminServer::onStreamReady()
{
    while (m_ws->hasPendingConnections()) {
        QWebSocket *ws = m_ws->nextPendingConnection();
        ws->setParent(this);
        connect(ws, &QWebSocket::disconnected, this, [this, ws] {
            if (m_streams.remove(ws))
                ws->deleteLater();
            if (m_streams.isEmpty())
                m_counters.stop();
        });
        // Replay what the client asked for (since=, checked before the upgrade), then live
        // events follow in order; the last id sent keeps batches that overlap from repeating.
        const QString since = QUrlQuery(ws->requestUrl()).queryItemValue(QStringLiteral("since"));
        quint64 last = since.isEmpty() ? m_worker.eventRing().lastId() : since.toULongLong();
        const QList<ServerEvent> backlog = m_worker.eventRing().since(last, 1000000);
        for (const ServerEvent &e : backlog) {
            ws->sendTextMessage(
                QString::fromUtf8(QJsonDocument(e.toJson()).toJson(QJsonDocument::Compact)));
            last = e.id;
        }
        m_streams.insert(ws, last);
    }
    if (!m_streams.isEmpty() && !m_counters.isActive())
        m_counters.start();
}

void AdminServer::pushEvents(const ServerEventList &events)
{
    if (m_streams.isEmpty())
        return;
    QStringList lines;
    lines.reserve(events.size());
    for (const ServerEvent &e : events)
        lines.append(QString::fromUtf8(QJsonDocument(e.toJson()).toJson(QJsonDocument::Compact)));
    for (auto it = m_streams.begin(); it != m_streams.end(); ++it) {
        for (qsizetype i = 0; i < events.size(); ++i) {
            if (events.at(i).id <= it.value())
                continue;
            it.key()->sendTextMessage(lines.at(i));
            it.value() = events.at(i).id;
        }
    }
}

void AdminServer::pushCounters()
{
    if (m_streams.isEmpty())
        return;
    const ServerStats st = m_worker.stats();
    const Metrics &m = m_worker.metrics();
    const QJsonObject o{
        {QLatin1String("type"), QLatin1String("counters")},
        {QLatin1String("ts"), AdminApi::isoTime(m_worker.currentTimeMs())},
        {QLatin1String("connections"), st.connections},
        {QLatin1String("sessions"), st.sessions},
        {QLatin1String("connections_accepted"), double(st.connectionsAccepted)},
        {QLatin1String("msgs_in"), double(m.messagesIn())},
        {QLatin1String("msgs_out"), double(m.messagesOut())},
        {QLatin1String("bytes_in"), double(m.bytesIn())},
        {QLatin1String("bytes_out"), double(m.bytesOut())},
        {QLatin1String("expiries"), double(m.expiries())},
        {QLatin1String("kicks"), double(m.kicks())},
        {QLatin1String("last_event_id"), double(st.eventsTotal)},
    };
    const QString text = QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
    for (auto it = m_streams.cbegin(); it != m_streams.cend(); ++it)
        it.key()->sendTextMessage(text);
}
