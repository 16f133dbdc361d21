// SPDX-License-Identifier: MIT
#include "server/serverworker.h"

#include "server/adminserver.h"
#include "server/clientmessages.h"
#include "server/framecodec.h"
#include "server/httpfrontend.h"
#include "server/jwt.h"

#include <QtCore/QCryptographicHash>
#include <QtCore/QDateTime>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QRandomGenerator>
#include <QtWebSockets/QWebSocket>

#include <algorithm>

namespace {
constexpr int CloseGraceMs = 3000; // how long a peer may take to answer our close frame
constexpr int EventFlushMs = 100;
constexpr int SnapshotFlushMs = 250;

QString peerOf(const QWebSocket *s)
{
    const QHostAddress a = s->peerAddress();
    const QString host = a.protocol() == QAbstractSocket::IPv6Protocol
                             ? QLatin1Char('[') + a.toString() + QLatin1Char(']')
                             : a.toString();
    return host + QLatin1Char(':') + QString::number(s->peerPort());
}

QString localOf(const QWebSocket *s)
{
    const QHostAddress a = s->localAddress();
    const QString host = a.protocol() == QAbstractSocket::IPv6Protocol
                             ? QLatin1Char('[') + a.toString() + QLatin1Char(']')
                             : a.toString();
    return host + QLatin1Char(':') + QString::number(s->localPort());
}

QString reasonText(EndReason r)
{
    return QString::fromLatin1(endReasonInfo(r).reason);
}

qint64 secondsLeft(qint64 deadlineMs, qint64 nowMs)
{
    return qMax<qint64>(0, (deadlineMs - nowMs + 999) / 1000);
}
} // namespace

ServerWorker::ServerWorker(Clock clock)
    : m_clock(clock ? std::move(clock) : Clock([] { return QDateTime::currentMSecsSinceEpoch(); }))
    , m_sessions(m_config.idleTimeoutMs, m_config.warningMs, m_config.revocationTtlMs)
    , m_ring(m_config.eventRingSize)
    , m_timer(this)
    , m_eventFlush(this)
    , m_snapshotFlush(this)
    , m_tcpPoll(this)
    , m_stopDeadline(this)
{
    m_tcpSnapshot.source = TcpSnapshot::Source::Unavailable;
    m_tcpSnapshot.stateCounts = TcpSnapshot::unknownCounts();
    connect(&m_tcpPoll, &QTimer::timeout, this, &ServerWorker::pollTcp);

    m_timer.setSingleShot(true);
    m_timer.setTimerType(Qt::PreciseTimer);
    connect(&m_timer, &QTimer::timeout, this, &ServerWorker::onTimer);

    m_eventFlush.setSingleShot(true);
    m_eventFlush.setInterval(EventFlushMs);
    connect(&m_eventFlush, &QTimer::timeout, this, &ServerWorker::flushEvents);

    m_snapshotFlush.setSingleShot(true);
    m_snapshotFlush.setInterval(SnapshotFlushMs);
    connect(&m_snapshotFlush, &QTimer::timeout, this, &ServerWorker::flushSnapshot);

    m_stopDeadline.setSingleShot(true);
    connect(&m_stopDeadline, &QTimer::timeout, this, [this] {
        const QList<ConnectionId> ids = m_connections.keys();
        for (ConnectionId id : ids) {
            if (m_connections.contains(id))
                m_connections[id].socket->abort();
        }
        finishStop();
    });
}

ServerWorker::~ServerWorker()
{
    for (auto &c : m_connections) {
        c.socket->disconnect(this);
        c.socket->abort();
        delete c.socket;
    }
}

void ServerWorker::start(const ServerConfig &config)
{
    m_config = config;
    m_sessions.setTimeouts(config.idleTimeoutMs, config.warningMs, now());
    m_sessions.setRevocationTtl(config.revocationTtlMs);
    m_ring.setCapacity(config.eventRingSize);

    m_frontend = std::make_unique<HttpFrontend>();
    m_frontend->setHandshakeTimeout(config.handshakeTimeoutMs);
    m_frontend->setHttpHandler([this](const HttpRequest &req, const QHostAddress &) {
        if (req.path == "/healthz" && (req.method == "GET" || req.method == "HEAD")) {
            const QJsonObject o{
                {QLatin1String("status"), QLatin1String(m_stopping ? "stopping" : "ok")},
                {QLatin1String("connections"), int(m_connections.size())},
                {QLatin1String("sessions"), int(m_sessions.sessionCount())}};
            return HttpResponse::json(m_stopping ? 503 : 200,
                                      QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n');
        }
        return HttpResponse::text(404, "not found");
    });
    m_frontend->setUpgradeFilter([](const HttpRequest &req,
                                    const QHostAddress &) -> std::optional<HttpResponse> {
        if (req.path == "/socket.io" || req.path.startsWith("/socket.io/"))
            return HttpResponse::text(404, "the Socket.IO endpoint is not enabled in this build");
        return std::nullopt;
    });
    connect(m_frontend.get(), &HttpFrontend::webSocketAccepted, this, &ServerWorker::onWebSocket);
    connect(m_frontend.get(), &HttpFrontend::requestRefused, this,
            [this](const QString &peer, int status, const QString &reason) {
                ServerEvent e = makeEvent(ServerEvent::Type::Rejected);
                e.peer = peer;
                e.details.insert(QLatin1String("status"), status);
                e.details.insert(QLatin1String("reason"), reason);
                log(e);
            });

    QString error;
    if (!m_frontend->listen(config.listenAddress, config.listenPort, &error)) {
        const QString why
            = QStringLiteral("cannot listen on %1: %2").arg(config.listenString(), error);
        ServerEvent e = makeEvent(ServerEvent::Type::Error);
        e.details.insert(QLatin1String("reason"), why);
        log(e);
        flushEvents();
        Q_EMIT started(false, QString(), why);
        return;
    }
    m_config.listenPort = m_frontend->port();
    m_startedAtMs = now();
    ServerEvent e = makeEvent(ServerEvent::Type::Listening);
    e.details.insert(QLatin1String("address"), m_config.listenString());
    log(e);
    m_admin = AdminServer::create(*this); // nullptr when [admin] listen is empty or unusable
    flushEvents();
    Q_EMIT started(true, m_config.listenString(), QString());
    Q_EMIT statsChanged(stats());
    applyTcpInterval();
}

void ServerWorker::applyTcpInterval()
{
    if (m_config.tcpPollIntervalMs <= 0 || m_stopping) {
        m_tcpPoll.stop();
        return;
    }
    m_tcpPoll.start(m_config.tcpPollIntervalMs);
    pollTcp();
}

void ServerWorker::addMonitoredPort(quint16 port)
{
    if (port && !m_extraTcpPorts.contains(port))
        m_extraTcpPorts.append(port);
}

void ServerWorker::pollTcp()
{
    QList<quint16> ports = m_extraTcpPorts;
    if (m_config.listenPort)
        ports.prepend(m_config.listenPort);
    TcpSnapshot snap = m_tcpMonitor.poll(ports);
    TcpMonitor::matchConnections(&snap, m_connectionByTcpKey);
    const bool available = snap.isAvailable();
    QSet<ConnectionId> seen;
    for (const TcpSocketInfo &s : std::as_const(snap.sockets)) {
        if (!s.connectionId)
            continue;
        auto it = m_connections.find(s.connectionId);
        if (it == m_connections.end())
            continue;
        seen.insert(s.connectionId);
        const qint64 rtt = s.hasTcpInfo ? qint64(s.rttUs) : -1;
        if (it->info.tcpState != s.state || it->info.rttUs != rtt) {
            it->info.tcpState = s.state;
            it->info.rttUs = rtt;
            markDirty(s.connectionId);
        }
    }
    if (available) {
        for (auto it = m_connections.begin(); it != m_connections.end(); ++it) {
            if (!seen.contains(it.key()) && it->info.tcpState != 0) {
                it->info.tcpState = 0;
                it->info.rttUs = -1;
                markDirty(it.key());
            }
        }
    }
    const QList<TcpSocketInfo> alarms
        = m_tcpMonitor.closeWaitAlarms(snap, now(), m_config.closeWaitAlarmMs);
    for (const TcpSocketInfo &s : alarms) {
        ServerEvent e = makeEvent(ServerEvent::Type::TcpAlarm);
        e.connectionId = s.connectionId;
        e.peer = s.peerEndpoint();
        e.details.insert(QLatin1String("state"), TcpSnapshot::stateName(s.state));
        e.details.insert(QLatin1String("local"), s.localEndpoint());
        e.details.insert(
            QLatin1String("reason"),
            QStringLiteral("CLOSE_WAIT for more than %1 ms: Warden did not close this socket")
                .arg(m_config.closeWaitAlarmMs));
        log(e);
    }
    m_tcpSnapshot = snap;
    Q_EMIT tcpSnapshotReady(m_tcpSnapshot);
}

void ServerWorker::applyConfig(const ServerConfig &config, const QString &source)
{
    ServerConfig next = config;
    const bool listenChanged = next.listenAddress != m_config.listenAddress
                               || (next.listenPort != m_config.listenPort && next.listenPort != 0);
    if (next.listenPort == 0 && next.listenAddress == m_config.listenAddress)
        next.listenPort = m_config.listenPort; // port 0 means "any": keep the one we have
    const QStringList changed = m_config.changedKeys(next);

    if (listenChanged && m_frontend && !m_stopping) {
        QString error;
        if (!m_frontend->listen(next.listenAddress, next.listenPort, &error)) {
            reportReloadFailure(QString(), QStringLiteral("server/listen"),
                                QStringLiteral("cannot listen on %1: %2 (still listening on %3)")
                                    .arg(next.listenString(), error, m_config.listenString()),
                                source);
            return;
        }
        next.listenPort = m_frontend->port();
    }

    const ServerConfig old = m_config;
    m_config = next;
    if (old.idleTimeoutMs != next.idleTimeoutMs || old.warningMs != next.warningMs) {
        const QList<QString> withdrawn
            = m_sessions.setTimeouts(next.idleTimeoutMs, next.warningMs, now());
        for (const QString &sid : withdrawn)
            sendExtended(sid);
        const QList<QString> all = m_sessions.sessionIds();
        for (const QString &sid : all)
            updateSessionFields(sid);
        armTimer();
    }
    m_sessions.setRevocationTtl(next.revocationTtlMs);
    m_ring.setCapacity(next.eventRingSize);
    if (old.tcpPollIntervalMs != next.tcpPollIntervalMs || old.listenPort != next.listenPort) {
        m_tcpMonitor.resetCloseWaitAlarms();
        applyTcpInterval();
    }
    if (m_frontend)
        m_frontend->setHandshakeTimeout(next.handshakeTimeoutMs);
    if (old.maxMessageBytes != next.maxMessageBytes) {
        for (auto &c : m_connections)
            c.socket->setMaxAllowedIncomingMessageSize(quint64(next.maxMessageBytes));
    }

    ServerEvent e = makeEvent(ServerEvent::Type::Reload);
    e.details.insert(QLatin1String("changed"), QJsonArray::fromStringList(changed));
    e.details.insert(QLatin1String("source"), source);
    if (listenChanged)
        e.details.insert(QLatin1String("address"), m_config.listenString());
    log(e);
    flushEvents();
    m_metrics.reloaded(true);
    Q_EMIT reloaded(true, changed, QString());
    Q_EMIT statsChanged(stats());
}

void ServerWorker::reportReloadFailure(const QString &file, const QString &key,
                                       const QString &reason, const QString &source)
{
    ServerEvent e = makeEvent(ServerEvent::Type::ReloadFailed);
    if (!file.isEmpty())
        e.details.insert(QLatin1String("file"), file);
    if (!key.isEmpty())
        e.details.insert(QLatin1String("key"), key);
    e.details.insert(QLatin1String("reason"), reason);
    e.details.insert(QLatin1String("source"), source);
    log(e);
    flushEvents();
    m_metrics.reloaded(false);
    QString text = reason;
    if (!key.isEmpty())
        text = key + QStringLiteral(": ") + text;
    if (!file.isEmpty())
        text = file + QStringLiteral(": ") + text;
    Q_EMIT reloaded(false, {}, text);
}

void ServerWorker::stop(int timeoutMs)
{
    if (m_stopping)
        return;
    m_stopping = true;
    ServerEvent e = makeEvent(ServerEvent::Type::Stopping);
    e.details.insert(QLatin1String("connections"), int(m_connections.size()));
    log(e);
    if (m_frontend)
        m_frontend->close();
    m_tcpPoll.stop();
    for (auto &c : m_connections)
        closeConnection(c, CloseCode::ShuttingDown, QStringLiteral("shutting_down"));
    if (m_connections.isEmpty()) {
        finishStop();
        return;
    }
    m_stopDeadline.start(qMax(0, timeoutMs));
}

void ServerWorker::finishStop()
{
    if (m_stopped)
        return;
    m_stopped = true;
    m_stopDeadline.stop();
    m_timer.stop();
    log(makeEvent(ServerEvent::Type::Stopped));
    flushEvents();
    flushSnapshot();
    Q_EMIT stopped();
}

void ServerWorker::audit(const QString &action, const QString &target, const QString &actor,
                         const QString &reason, const OperatorResult &result, const Connection *c)
{
    ServerEvent e = makeEvent(ServerEvent::Type::Audit, c);
    e.details.insert(QLatin1String("action"), action);
    e.details.insert(QLatin1String("target"), target);
    e.details.insert(QLatin1String("actor"), actor);
    if (!reason.isEmpty())
        e.details.insert(QLatin1String("reason"), reason);
    e.details.insert(QLatin1String("result"), result.ok() ? QStringLiteral("ok") : result.error);
    e.details.insert(QLatin1String("sessions"), result.sessions);
    e.details.insert(QLatin1String("connections"), result.connections);
    if (result.data.contains(QLatin1String("dry_run")))
        e.details.insert(QLatin1String("dry_run"), true);
    log(e);
}

OperatorResult ServerWorker::disconnectConnection(ConnectionId id, const QString &reason,
                                                  const QString &actor)
{
    auto it = m_connections.find(id);
    OperatorResult r;
    if (it == m_connections.end() || it->closeCode) {
        r = OperatorResult::failure(404, QStringLiteral("no such connection"));
        audit(QStringLiteral("disconnect"), QString::number(id), actor, reason, r);
        return r;
    }
    r.connections = 1;
    audit(QStringLiteral("disconnect"), QString::number(id), actor, reason, r, &*it);
    closeConnection(*it, CloseCode::Disconnected, QStringLiteral("disconnected"));
    return r;
}

OperatorResult ServerWorker::forceLogout(const QString &sessionId, const QString &reason,
                                         const QString &actor)
{
    const auto ended = m_sessions.end(sessionId, EndReason::Kicked, now());
    OperatorResult r;
    if (!ended) {
        r = OperatorResult::failure(404, QStringLiteral("no such session"));
        audit(QStringLiteral("force_logout"), sessionId, actor, reason, r);
        return r;
    }
    r.sessions = 1;
    r.connections = int(ended->connections.size());
    m_metrics.kicked(1);
    ServerEvent e = makeEvent(ServerEvent::Type::Kicked);
    e.sessionId = sessionId;
    e.user = ended->user;
    e.details.insert(QLatin1String("actor"), actor);
    e.details.insert(QLatin1String("reason"), reason);
    e.details.insert(QLatin1String("connections"), r.connections);
    log(e);
    audit(QStringLiteral("force_logout"), sessionId, actor, reason, r);
    closeSessionConnections(ended->connections, EndReason::Kicked);
    return r;
}

OperatorResult ServerWorker::logoutUser(const QString &user, const QString &reason,
                                        const QString &actor, bool dryRun)
{
    const QList<QString> sids = m_sessions.sessionsOfUser(user);
    OperatorResult r;
    QJsonArray list;
    for (const QString &sid : sids) {
        const SessionRegistry::Session *s = m_sessions.find(sid);
        r.connections += int(s->connections.size());
        list.append(sid);
    }
    r.sessions = int(sids.size());
    r.data.insert(QLatin1String("session_ids"), list);
    if (dryRun) {
        r.data.insert(QLatin1String("dry_run"), true);
        audit(QStringLiteral("logout_user"), user, actor, reason, r);
        return r;
    }
    audit(QStringLiteral("logout_user"), user, actor, reason, r);
    for (const QString &sid : sids) {
        const auto ended = m_sessions.end(sid, EndReason::Kicked, now());
        if (!ended)
            continue;
        m_metrics.kicked(1);
        ServerEvent e = makeEvent(ServerEvent::Type::Kicked);
        e.sessionId = sid;
        e.user = user;
        e.details.insert(QLatin1String("actor"), actor);
        e.details.insert(QLatin1String("reason"), reason);
        e.details.insert(QLatin1String("connections"), int(ended->connections.size()));
        log(e);
        closeSessionConnections(ended->connections, EndReason::Kicked);
    }
    return r;
}

OperatorResult ServerWorker::extendSession(const QString &sessionId, const QString &actor)
{
    const qint64 t = now();
    const SessionRegistry::Session *s = m_sessions.find(sessionId);
    OperatorResult r;
    if (!s) {
        r = OperatorResult::failure(404, QStringLiteral("no such session"));
        audit(QStringLiteral("extend"), sessionId, actor, QString(), r);
        return r;
    }
    m_sessions.extend(sessionId, t);
    sendExtended(sessionId); // every tab learns the new deadline (and drops a warning dialog)
    updateSessionFields(sessionId);
    armTimer();
    r.sessions = 1;
    r.connections = int(s->connections.size());
    r.data.insert(QLatin1String("expires_at"), double(m_sessions.deadlineOf(*s)));
    audit(QStringLiteral("extend"), sessionId, actor, QString(), r);
    return r;
}

OperatorResult ServerWorker::touchSession(const QString &sessionId, const QString &actor)
{
    Q_UNUSED(actor)
    const qint64 t = now();
    const SessionRegistry::Session *s = m_sessions.find(sessionId);
    if (!s)
        return OperatorResult::failure(404, QStringLiteral("no such session"));
    if (m_sessions.touch(sessionId, t))
        sendExtended(sessionId);
    updateSessionFields(sessionId);
    OperatorResult r;
    r.sessions = 1;
    r.connections = int(s->connections.size());
    r.data.insert(QLatin1String("expires_at"), double(m_sessions.deadlineOf(*s)));
    return r; // activity, not an operator action: no audit entry
}

OperatorResult ServerWorker::broadcast(const QString &event, const QJsonValue &data,
                                       const QString &user, const QString &actor)
{
    static const QStringList reserved
        = {QStringLiteral("message"),   QStringLiteral("expiring"), QStringLiteral("extended"),
           QStringLiteral("error"),     QStringLiteral("pong"),     QStringLiteral("connect"),
           QStringLiteral("disconnect")};
    if (event.isEmpty() || event.size() > FrameCodec::MaxEventNameLength)
        return OperatorResult::failure(400, QStringLiteral("event must be 1-128 characters"));
    if (reserved.contains(event))
        return OperatorResult::failure(
            400, QStringLiteral("'%1' is reserved by the protocol").arg(event));
    OperatorResult r;
    QSet<QString> sessions;
    for (auto &c : m_connections) {
        if (!c.info.authenticated || c.closeCode || (!user.isEmpty() && c.info.user != user))
            continue;
        send(c, event, data);
        ++r.connections;
        sessions.insert(c.info.sessionId);
    }
    r.sessions = int(sessions.size());
    audit(QStringLiteral("broadcast"), user.isEmpty() ? QStringLiteral("*") : user, actor, event,
          r);
    return r;
}

OperatorResult ServerWorker::setListening(bool listening, const QString &actor)
{
    OperatorResult r;
    if (!m_frontend || m_stopping)
        return OperatorResult::failure(409, QStringLiteral("the server is not running"));
    if (listening && !m_frontend->isListening()) {
        QString error;
        if (!m_frontend->listen(m_config.listenAddress, m_config.listenPort, &error))
            r = OperatorResult::failure(
                409, QStringLiteral("cannot listen on %1: %2").arg(m_config.listenString(), error));
    } else if (!listening) {
        m_frontend->close();
    }
    audit(listening ? QStringLiteral("start_listening") : QStringLiteral("stop_listening"),
          m_config.listenString(), actor, QString(), r);
    if (r.ok()) {
        ServerEvent e
            = makeEvent(listening ? ServerEvent::Type::Listening : ServerEvent::Type::Stopping);
        e.details.insert(QLatin1String("address"), m_config.listenString());
        if (!listening)
            e.details.insert(QLatin1String("listener_only"), true);
        log(e);
    }
    Q_EMIT statsChanged(stats());
    return r;
}

SessionInfo ServerWorker::sessionInfo(const SessionRegistry::Session &s) const
{
    SessionInfo i;
    i.id = s.id;
    i.user = s.user;
    i.name = s.name;
    i.createdAtMs = s.createdMs;
    i.lastActivityMs = s.lastActivityMs;
    i.expiresAtMs = m_sessions.deadlineOf(s);
    i.hardEndMs = s.hardEndMs;
    i.idleTimeoutMs = s.idleMs;
    i.warned = s.warned;
    for (ConnectionId id : s.connections)
        i.connections.append(id);
    return i;
}

QList<ConnectionInfo> ServerWorker::connections() const
{
    QList<ConnectionInfo> out;
    out.reserve(m_connections.size());
    for (const auto &c : m_connections) {
        ConnectionInfo info = c.info;
        if (const SessionRegistry::Session *s
            = info.authenticated ? m_sessions.find(info.sessionId) : nullptr) {
            info.expiresAtMs = m_sessions.deadlineOf(*s);
            info.warned = s->warned;
        }
        info.socketState = int(c.socket->state());
        out.append(info);
    }
    return out;
}

QList<SessionInfo> ServerWorker::sessions() const
{
    QList<SessionInfo> out;
    const QList<QString> ids = m_sessions.sessionIds();
    out.reserve(ids.size());
    for (const QString &id : ids)
        out.append(sessionInfo(*m_sessions.find(id)));
    return out;
}

std::optional<SessionInfo> ServerWorker::session(const QString &sessionId) const
{
    const SessionRegistry::Session *s = m_sessions.find(sessionId);
    if (!s)
        return std::nullopt;
    return sessionInfo(*s);
}

void ServerWorker::setSnapshotsEnabled(bool enabled)
{
    m_snapshots = enabled;
    m_dirty.clear();
    m_removed.clear();
    if (enabled) {
        for (auto it = m_connections.cbegin(); it != m_connections.cend(); ++it)
            m_dirty.insert(it.key());
        flushSnapshot();
    }
}

void ServerWorker::onWebSocket(QWebSocket *socket)
{
    if (m_stopping) {
        socket->close(static_cast<QWebSocketProtocol::CloseCode>(CloseCode::ShuttingDown),
                      QStringLiteral("shutting_down"));
        connect(socket, &QWebSocket::disconnected, socket, &QObject::deleteLater);
        return;
    }
    const ConnectionId id = m_nextConnectionId++;
    socket->setParent(this);
    socket->setMaxAllowedIncomingMessageSize(quint64(m_config.maxMessageBytes));

    Connection c;
    c.socket = socket;
    c.info.id = id;
    c.info.peer = peerOf(socket);
    c.info.localAddress = localOf(socket);
    c.info.path = socket->requestUrl().path();
    c.info.connectedAtMs = now();
    c.info.socketState = int(socket->state());
    c.tcpKey = TcpSocketInfo::keyFor(c.info.localAddress, c.info.peer);
    m_connectionByTcpKey.insert(c.tcpKey, id);
    m_connections.insert(id, c);
    ++m_accepted;

    connect(socket, &QWebSocket::textMessageReceived, this,
            [this, id](const QString &t) { onText(id, t); });
    connect(socket, &QWebSocket::binaryMessageReceived, this,
            [this, id](const QByteArray &) { onBinary(id); });
    connect(socket, &QWebSocket::disconnected, this, [this, id] { onDisconnected(id); });

    m_connectionDeadlines.schedule(id, now() + m_config.loginTimeoutMs);
    armTimer();

    ServerEvent e = makeEvent(ServerEvent::Type::Connected, &m_connections[id]);
    e.details.insert(QLatin1String("path"), c.info.path);
    e.details.insert(QLatin1String("endpoint"), ConnectionInfo::endpointName(c.info.endpoint));
    log(e);
    markDirty(id);
}

void ServerWorker::onText(ConnectionId id, const QString &text)
{
    auto it = m_connections.find(id);
    if (it == m_connections.end())
        return;
    Connection &c = *it;
    ++c.info.msgsIn;
    c.info.bytesIn += quint64(text.size());
    m_metrics.messageIn(text.size());
    markDirty(id);
    if (c.closeCode)
        return; // closing: whatever still arrives is ignored

    const DecodedFrame f = FrameCodec::decode(text);
    switch (f.kind) {
    case DecodedFrame::Kind::Ping:
        c.socket->sendTextMessage(QStringLiteral("3"));
        ++c.info.msgsOut;
        return;
    case DecodedFrame::Kind::Pong:
        return;
    case DecodedFrame::Kind::Invalid:
        send(c, QStringLiteral("error"),
             QJsonObject{{QLatin1String("code"), 400},
                         {QLatin1String("reason"), QLatin1String("bad_frame")},
                         {QLatin1String("message"), f.error}});
        return;
    case DecodedFrame::Kind::Event:
        break;
    }

    if (f.event == QLatin1String("loginCheck")) {
        handleLogin(c, f.data.toObject().value(QLatin1String("holding")));
        return;
    }
    if (f.event == QLatin1String("login")) {
        handleLogin(c, f.data.toObject().value(QLatin1String("token")));
        return;
    }
    if (f.event == QLatin1String("ping")) {
        send(c, QStringLiteral("pong"), f.data);
        return;
    }
    if (!c.info.authenticated) {
        sendMessage(c, 401, QStringLiteral("login_required"));
        return;
    }
    if (f.event == QLatin1String("logout")) {
        handleLogout(c);
        return;
    }

    // "activity" and any other application event show a user at work.
    const qint64 t = now();
    c.info.lastActivityMs = t;
    const QString sid = c.info.sessionId;
    if (m_sessions.touch(sid, t))
        sendExtended(sid);
    updateSessionFields(sid);
    if (f.event != QLatin1String("activity")) {
        send(c, QStringLiteral("error"),
             QJsonObject{{QLatin1String("code"), 400},
                         {QLatin1String("reason"), QLatin1String("unknown_event")},
                         {QLatin1String("event"), f.event},
                         {QLatin1String("message"),
                          ClientMessages::text(QStringLiteral("unknown_event"), m_config.locale)}});
    }
}

void ServerWorker::handleLogin(Connection &c, const QJsonValue &tokenValue)
{
    const QByteArray token = tokenValue.toString().toUtf8();
    if (token.isEmpty()) {
        if (!c.info.authenticated)
            sendMessage(c, 422, QStringLiteral("missing_token"));
        return;
    }
    const QByteArray hash = QCryptographicHash::hash(token, QCryptographicHash::Sha256);
    if (c.info.authenticated) {
        // The seed polls loginCheck every 50 ms: same token -> silence, and no activity.
        if (hash != c.tokenHash)
            sendMessage(c, 409, QStringLiteral("already_logged_in"));
        return;
    }

    const qint64 t = now();
    const TokenCheck check = m_issuedTokens.contains(token)
                                 ? m_issuedTokens.verify(token, t)
                                 : Jwt::verify(token, m_config.jwtSecret, t);
    if (!check.ok) {
        m_metrics.authFailed();
        ServerEvent e = makeEvent(ServerEvent::Type::AuthFailed, &c);
        e.details.insert(QLatin1String("reason"), QLatin1String("invalid_token"));
        e.details.insert(QLatin1String("detail"), check.error);
        log(e);
        QJsonObject data{{QLatin1String("code"), 401},
                         {QLatin1String("reason"), QLatin1String("invalid_token")},
                         {QLatin1String("detail"), check.error},
                         {QLatin1String("message"),
                          ClientMessages::text(QStringLiteral("invalid_token"), m_config.locale)}};
        send(c, QStringLiteral("message"), data);
        closeConnection(c, CloseCode::InvalidToken, QStringLiteral("invalid_token"));
        return;
    }

    const SessionRegistry::JoinResult joined = m_sessions.join(check.claims, c.info.id, t);
    if (joined.outcome == SessionRegistry::JoinOutcome::Refused) {
        m_metrics.authFailed();
        const EndReasonInfo why = endReasonInfo(joined.refusedFor);
        ServerEvent e = makeEvent(ServerEvent::Type::AuthFailed, &c);
        e.sessionId = check.claims.sessionId;
        e.user = check.claims.user;
        e.details.insert(QLatin1String("reason"), QLatin1String(why.reason));
        e.details.insert(QLatin1String("detail"), QLatin1String("session already ended"));
        log(e);
        sendMessage(c, 401, QLatin1String(why.reason));
        closeConnection(c, why.closeCode, QLatin1String(why.reason));
        return;
    }

    m_connectionDeadlines.remove(c.info.id);
    c.tokenHash = hash;
    c.info.authenticated = true;
    c.info.user = check.claims.user;
    c.info.sessionId = check.claims.sessionId;
    const SessionRegistry::Session *s = m_sessions.find(c.info.sessionId);
    const qint64 deadline = m_sessions.deadlineOf(*s);

    QJsonObject ok{{QLatin1String("code"), 200},
                   {QLatin1String("message"), QLatin1String("success")},
                   {QLatin1String("user"), c.info.user},
                   {QLatin1String("session_id"), c.info.sessionId},
                   {QLatin1String("expires_in"), double(secondsLeft(deadline, t))},
                   {QLatin1String("idle_timeout"), double(m_sessions.idleTimeoutOf(*s)) / 1000.0}};
    send(c, QStringLiteral("message"), ok);

    ServerEvent e = makeEvent(ServerEvent::Type::Authenticated, &c);
    e.details.insert(QLatin1String("new_session"),
                     joined.outcome == SessionRegistry::JoinOutcome::Created);
    e.details.insert(QLatin1String("tabs"), int(s->connections.size()));
    if (!s->name.isEmpty())
        e.details.insert(QLatin1String("name"), s->name);
    log(e);

    updateSessionFields(c.info.sessionId);
    if (s->warned)
        sendExpiring(c.info.sessionId, deadline, {c.info.id});
    armTimer();
}

void ServerWorker::handleLogout(Connection &c)
{
    const auto ended = m_sessions.end(c.info.sessionId, EndReason::LoggedOut, now());
    if (!ended)
        return;
    ServerEvent e = makeEvent(ServerEvent::Type::LoggedOut, &c);
    e.details.insert(QLatin1String("connections"), int(ended->connections.size()));
    log(e);
    closeSessionConnections(ended->connections, EndReason::LoggedOut);
}

void ServerWorker::onBinary(ConnectionId id)
{
    auto it = m_connections.find(id);
    if (it == m_connections.end() || it->closeCode)
        return;
    ++it->info.msgsIn;
    closeConnection(*it, CloseCode::UnsupportedData,
                    QStringLiteral("binary frames are not supported"));
}

void ServerWorker::onDisconnected(ConnectionId id)
{
    auto it = m_connections.find(id);
    if (it == m_connections.end())
        return;
    Connection c = *it;
    m_connections.erase(it);
    m_connectionByTcpKey.remove(c.tcpKey);
    m_connectionDeadlines.remove(id);
    if (c.info.authenticated)
        m_sessions.leave(c.info.sessionId, id);

    ServerEvent e = makeEvent(ServerEvent::Type::Disconnected, &c);
    const bool byServer = c.closeCode != 0;
    int code = byServer ? c.closeCode : int(c.socket->closeCode());
    QString reason = byServer ? c.closeReason : c.socket->closeReason();
    if (!byServer && c.socket->error() == QAbstractSocket::RemoteHostClosedError && code == 1000
        && reason.isEmpty())
        code = 1006; // no close frame: the TCP connection just went away
    if (c.socket->closeCode() == QWebSocketProtocol::CloseCodeTooMuchData && !byServer) {
        code = CloseCode::TooBig;
        reason = QStringLiteral("message too big");
    }
    m_metrics.disconnected(code);
    e.details.insert(QLatin1String("code"), code);
    e.details.insert(QLatin1String("reason"), reason);
    e.details.insert(QLatin1String("initiator"), QLatin1String(byServer ? "server" : "client"));
    e.details.insert(QLatin1String("duration_ms"), double(now() - c.info.connectedAtMs));
    log(e);

    c.socket->disconnect(this);
    c.socket->deleteLater();
    if (m_snapshots) {
        m_dirty.remove(id);
        m_removed.append(id);
        if (!m_snapshotFlush.isActive())
            m_snapshotFlush.start();
    }
    if (m_stopping && m_connections.isEmpty())
        finishStop();
}

void ServerWorker::send(Connection &c, const QString &event, const QJsonValue &data)
{
    const QString frame = FrameCodec::encode(event, data);
    c.socket->sendTextMessage(frame);
    ++c.info.msgsOut;
    c.info.bytesOut += quint64(frame.size());
    m_metrics.messageOut(frame.size());
    markDirty(c.info.id);
}

void ServerWorker::sendMessage(Connection &c, int code, const QString &reason)
{
    send(c, QStringLiteral("message"),
         QJsonObject{{QLatin1String("code"), code},
                     {QLatin1String("reason"), reason},
                     {QLatin1String("message"), ClientMessages::text(reason, m_config.locale)}});
}

void ServerWorker::closeConnection(Connection &c, quint16 code, const QString &reason)
{
    if (c.closeCode)
        return;
    c.closeCode = code;
    c.closeReason = reason;
    c.socket->close(static_cast<QWebSocketProtocol::CloseCode>(code), reason);
    // A peer that never answers the close frame is cut off after a grace period.
    m_connectionDeadlines.schedule(c.info.id, now() + CloseGraceMs);
    armTimer();
}

void ServerWorker::closeSessionConnections(const QList<ConnectionId> &ids, EndReason reason)
{
    const EndReasonInfo info = endReasonInfo(reason);
    for (ConnectionId id : ids) {
        auto it = m_connections.find(id);
        if (it == m_connections.end())
            continue;
        sendMessage(*it, 401, reasonText(reason));
        closeConnection(*it, info.closeCode, QLatin1String(info.reason));
    }
}

void ServerWorker::sendExpiring(const QString &sessionId, qint64 deadlineMs,
                                const QList<ConnectionId> &ids)
{
    const qint64 t = now();
    const QJsonObject data{{QLatin1String("seconds"), double(secondsLeft(deadlineMs, t))},
                           {QLatin1String("ms"), double(qMax<qint64>(0, deadlineMs - t))},
                           {QLatin1String("deadline"), double(deadlineMs)},
                           {QLatin1String("session_id"), sessionId}};
    for (ConnectionId id : ids) {
        auto it = m_connections.find(id);
        if (it != m_connections.end() && !it->closeCode)
            send(*it, QStringLiteral("expiring"), data);
    }
}

void ServerWorker::sendExtended(const QString &sessionId)
{
    const SessionRegistry::Session *s = m_sessions.find(sessionId);
    if (!s)
        return;
    const qint64 t = now();
    const qint64 deadline = m_sessions.deadlineOf(*s);
    const QJsonObject data{{QLatin1String("seconds"), double(secondsLeft(deadline, t))},
                           {QLatin1String("deadline"), double(deadline)},
                           {QLatin1String("session_id"), sessionId}};
    for (ConnectionId id : s->connections) {
        auto it = m_connections.find(id);
        if (it != m_connections.end() && !it->closeCode)
            send(*it, QStringLiteral("extended"), data);
    }
}

void ServerWorker::updateSessionFields(const QString &sessionId)
{
    if (!m_snapshots)
        return;
    const SessionRegistry::Session *s = m_sessions.find(sessionId);
    if (!s)
        return;
    const qint64 deadline = m_sessions.deadlineOf(*s);
    for (ConnectionId id : s->connections) {
        auto it = m_connections.find(id);
        if (it == m_connections.end())
            continue;
        it->info.expiresAtMs = deadline;
        it->info.warned = s->warned;
        markDirty(id);
    }
}

void ServerWorker::armTimer()
{
    std::optional<qint64> next = m_sessions.nextWakeMs();
    if (const auto c = m_connectionDeadlines.nearest())
        next = next ? qMin(*next, *c) : *c;
    if (!next) {
        m_timer.stop();
        return;
    }
    // Firing early is harmless (nothing is due, we re-arm); restarting the timer on every
    // activity message is not, so only move it when the nearest deadline got nearer.
    if (m_timer.isActive() && m_armedAtMs <= *next)
        return;
    m_armedAtMs = *next;
    m_timer.start(int(std::clamp<qint64>(*next - now(), 0, 24 * 3600 * 1000)));
}

void ServerWorker::onTimer()
{
    const qint64 t = now();
    const QList<SessionRegistry::Due> due = m_sessions.takeDue(t);
    for (const SessionRegistry::Due &d : due) {
        ServerEvent e
            = makeEvent(d.expired ? ServerEvent::Type::Expired : ServerEvent::Type::Expiring);
        e.sessionId = d.sessionId;
        e.user = d.user;
        e.details.insert(QLatin1String("connections"), int(d.connections.size()));
        if (d.expired) {
            e.details.insert(QLatin1String("reason"), reasonText(d.reason));
            e.details.insert(QLatin1String("lateness_ms"), double(t - d.deadlineMs));
            m_metrics.expired(t - d.deadlineMs);
            log(e);
            closeSessionConnections(d.connections, d.reason);
        } else {
            e.details.insert(QLatin1String("seconds"), double(secondsLeft(d.deadlineMs, t)));
            log(e);
            sendExpiring(d.sessionId, d.deadlineMs, d.connections);
            updateSessionFields(d.sessionId);
        }
    }

    const QList<DeadlineIndex::Key> conns = m_connectionDeadlines.takeDue(t);
    for (DeadlineIndex::Key id : conns) {
        auto it = m_connections.find(id);
        if (it == m_connections.end())
            continue;
        if (it->closeCode) {
            it->socket->abort(); // emits disconnected; onDisconnected cleans up
            continue;
        }
        ServerEvent e = makeEvent(ServerEvent::Type::AuthFailed, &*it);
        e.details.insert(QLatin1String("reason"), QLatin1String("login_timeout"));
        m_metrics.authFailed();
        log(e);
        sendMessage(*it, 401, QStringLiteral("login_timeout"));
        closeConnection(*it, CloseCode::LoginTimeout, QStringLiteral("login_timeout"));
    }
    m_armedAtMs = 0;
    armTimer();
}

ServerEvent ServerWorker::makeEvent(ServerEvent::Type type, const Connection *c) const
{
    ServerEvent e;
    e.type = type;
    e.tsMs = now();
    if (c) {
        e.connectionId = c->info.id;
        e.sessionId = c->info.sessionId;
        e.user = c->info.user;
        e.peer = c->info.peer;
    }
    return e;
}

void ServerWorker::log(ServerEvent event)
{
    m_pendingEvents.append(m_ring.append(std::move(event)));
    if (!m_eventFlush.isActive())
        m_eventFlush.start();
}

void ServerWorker::markDirty(ConnectionId id)
{
    if (!m_snapshots)
        return;
    m_dirty.insert(id);
    if (!m_snapshotFlush.isActive())
        m_snapshotFlush.start();
}

void ServerWorker::flushEvents()
{
    m_eventFlush.stop();
    if (m_pendingEvents.isEmpty())
        return;
    Q_EMIT eventsReady(m_pendingEvents);
    m_pendingEvents.clear();
    Q_EMIT statsChanged(stats());
}

void ServerWorker::flushSnapshot()
{
    m_snapshotFlush.stop();
    if (!m_snapshots || (m_dirty.isEmpty() && m_removed.isEmpty()))
        return;
    ConnectionDelta delta;
    delta.removed = m_removed;
    delta.upserts.reserve(m_dirty.size());
    for (ConnectionId id : std::as_const(m_dirty)) {
        auto it = m_connections.find(id);
        if (it == m_connections.end())
            continue;
        it->info.socketState = int(it->socket->state());
        delta.upserts.append(it->info);
    }
    m_dirty.clear();
    m_removed.clear();
    Q_EMIT connectionsChanged(delta);
}

ServerStats ServerWorker::stats() const
{
    ServerStats s;
    s.listen = m_frontend && m_frontend->isListening() ? m_config.listenString() : QString();
    s.startedAtMs = m_startedAtMs;
    s.connections = int(m_connections.size());
    s.sessions = int(m_sessions.sessionCount());
    s.eventsTotal = m_ring.lastId();
    s.connectionsAccepted = m_accepted;
    return s;
}

OperatorResult ServerWorker::createSession(const QString &user, const QString &name,
                                           qint64 idleTimeoutMs, qint64 maxAgeMs,
                                           const QString &actor)
{
    const qint64 t = now();
    OperatorResult r;
    TokenClaims claims;
    claims.user = user;
    claims.name = name;
    claims.sessionId
        = QStringLiteral("a-") + QString::number(QRandomGenerator::system()->generate64(), 16);
    claims.expiresAtMs = maxAgeMs > 0 ? t + maxAgeMs : 0;
    if (user.isEmpty() || user.size() > 256)
        r = OperatorResult::failure(400, QStringLiteral("user must be 1-256 characters"));
    else if (idleTimeoutMs < 0 || maxAgeMs < 0)
        r = OperatorResult::failure(400, QStringLiteral("timeouts must be positive"));
    else if (m_stopping)
        r = OperatorResult::failure(409, QStringLiteral("the server is stopping"));
    else if (!m_sessions.create(claims, idleTimeoutMs, t))
        r = OperatorResult::failure(409, QStringLiteral("session id collision; try again"));
    if (!r.ok()) {
        audit(QStringLiteral("create_session"), user, actor, QString(), r);
        return r;
    }
    r.sessions = 1;
    const SessionRegistry::Session *s = m_sessions.find(claims.sessionId);
    r.data.insert(QLatin1String("token"), QString::fromLatin1(m_issuedTokens.issue(claims)));
    r.data.insert(QLatin1String("session_id"), claims.sessionId);
    r.data.insert(QLatin1String("user"), user);
    r.data.insert(QLatin1String("expires_at_ms"), double(m_sessions.deadlineOf(*s)));
    r.data.insert(QLatin1String("idle_timeout_s"), double(m_sessions.idleTimeoutOf(*s)) / 1000.0);
    OperatorResult logged = r;
    logged.data = {}; // the token never reaches the event log
    audit(QStringLiteral("create_session"), claims.sessionId, actor, QString(), logged);
    armTimer();
    return r;
}
