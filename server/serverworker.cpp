// SPDX-License-Identifier: MIT
#include "server/serverworker.h"

#include "server/adminserver.h"
#include "server/clientmessages.h"
#include "server/clusterlink.h"
#include "server/framecodec.h"
#include "server/httpfrontend.h"
#include "server/httproutes.h"
#include "server/iothreads.h"
#include "server/jwt.h"
#include "server/nativewebsocket.h"
#include "server/parallelsender.h"
#include "server/socketiocodec.h"
#include "server/sqlitesessionstore.h"
#include "server/tlsfiles.h"
#include "server/websocketconnection.h"

#include <QtCore/QDateTime>
#include <QtCore/QDir>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QRandomGenerator>
#include <QtCore/QThread>

#include <algorithm>

namespace {
constexpr int CloseGraceMs = 3000; // how long a peer may take to answer our close frame
constexpr int EventFlushMs = 100;
constexpr int SnapshotFlushMs = 250;
// Batched store writes; also bounds how much activity a crash can lose.
constexpr int StoreFlushMs = 500;
constexpr qint64 RetentionEveryMs = 60 * 1000;

QString peerOf(const WebSocketConnection *s)
{
    return TcpSocketInfo::endpoint(s->peerAddress(), s->peerPort());
}

QString reasonText(EndReason r)
{
    return QString::fromLatin1(endReasonInfo(r).reason);
}

qint64 secondsLeft(qint64 deadlineMs, qint64 nowMs)
{
    return qMax<qint64>(0, (deadlineMs - nowMs + 999) / 1000);
}

// Engine.IO and Socket.IO ids: 120 random bits, base64url (20 characters).
QString randomId()
{
    QByteArray raw(15, '\0');
    for (char &c : raw)
        c = char(QRandomGenerator::system()->bounded(256));
    return QString::fromLatin1(raw.toBase64(QByteArray::Base64UrlEncoding));
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
    , m_memoryTrim(this)
    , m_storeFlush(this)
    , m_storeCommitSoon(this)
    , m_closeDrain(this)
    , m_stopStep(this)
{
    m_tcpSnapshot.source = TcpSnapshot::Source::Unavailable;
    m_tcpSnapshot.stateCounts = TcpSnapshot::unknownCounts();
    connect(&m_tcpPoll, &QTimer::timeout, this, [this] {
        pollTcp(m_tcpObserved ? TcpSnapshot::Scope::Full : TcpSnapshot::Scope::CloseWait);
    });

    m_timer.setSingleShot(true);
    m_timer.setTimerType(Qt::PreciseTimer);
    connect(&m_timer, &QTimer::timeout, this, &ServerWorker::onTimer);

    m_eventFlush.setSingleShot(true);
    m_eventFlush.setInterval(EventFlushMs);
    connect(&m_eventFlush, &QTimer::timeout, this, &ServerWorker::flushEvents);

    m_snapshotFlush.setSingleShot(true);
    m_snapshotFlush.setInterval(SnapshotFlushMs);
    connect(&m_snapshotFlush, &QTimer::timeout, this, &ServerWorker::flushSnapshot);

    m_storeFlush.setSingleShot(true);
    m_storeFlush.setInterval(StoreFlushMs);
    connect(&m_storeFlush, &QTimer::timeout, this, &ServerWorker::flushStore);
    // Group commit: new sessions are written once the event loop has handled the batch of sockets
    // it woke up for (up to 512), in one transaction, instead of one transaction per login.
    m_storeCommitSoon.setSingleShot(true);
    m_storeCommitSoon.setInterval(0);
    connect(&m_storeCommitSoon, &QTimer::timeout, this, &ServerWorker::flushStore);
    m_stopStep.setSingleShot(true);
    connect(&m_stopStep, &QTimer::timeout, this, &ServerWorker::stepStop);
    m_closeDrain.setSingleShot(true);
    m_closeDrain.setInterval(0);
    connect(&m_closeDrain, &QTimer::timeout, this, &ServerWorker::closeDrain);

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
        c.socket->setListener(nullptr, 0);
        c.socket->disconnect(this);
        c.socket->abort();
        delete c.socket;
    }
    if (m_store && m_store->isOpen()) {
        m_store->flush(nullptr);
        m_store->close();
    }
}

void ServerWorker::start(const ServerConfig &config)
{
    m_config = config;
    m_sessions.setTimeouts(config.idleTimeoutMs, config.warningMs, now());
    m_sessions.setRevocationTtl(config.revocationTtlMs);
    m_ring.setCapacity(config.eventRingSize);

    // The store is opened and read back before listening: a client that reconnects at once finds
    // its session, and a store Warden cannot vouch for stops the start (exit code 1).
    QString storeError;
    if (!openStore(&storeError)) {
        ServerEvent e = makeEvent(ServerEvent::Type::Error);
        e.details.insert(QLatin1String("reason"), storeError);
        log(e);
        flushEvents();
        Q_EMIT started(false, QString(), storeError);
        return;
    }
    restoreFromStore();

    m_frontend = std::make_unique<HttpFrontend>();
    m_frontend->setHandshakeTimeout(config.handshakeTimeoutMs);
    // A restart keeps the threads when their number stays; every connection is gone by now.
    const int ioThreads = config.effectiveIoThreads(QThread::idealThreadCount());
    if (!m_io || m_io->count() != ioThreads)
        m_io.reset();
    if (ioThreads > 0 && !m_io)
        m_io = std::make_unique<IoThreads>(ioThreads);
    m_frontend->setIoThreads(m_io.get());
    m_frontend->setMaxMessageBytes(quint64(config.maxMessageBytes));
    QString unused; // not listening yet: nothing to rebind
    m_frontend->setNativeTransport(config.transport == ServerConfig::Transport::Native, &unused);
    if (config.tlsEnabled()) {
        QString ignored;
        m_frontend->setTls(TlsFiles::serverConfiguration(config.tlsCertPem, config.tlsKeyPem),
                           &ignored);
    }
    m_frontend->setHttpHandler([this](const HttpRequest &req, const QHostAddress &) {
        HttpRouteContext ctx;
        ctx.config = m_config;
        ctx.stopping = m_stopping;
        ctx.connections = int(m_connections.size());
        ctx.sessions = int(m_sessions.sessionCount());
        ctx.nowMs = now();
        return HttpRoutes::answer(req, ctx);
    });
    applyAdmissionSettings();
    m_frontend->setAdmissionCheck(
        [this](const HttpRequest &req, const QHostAddress &peer) -> std::optional<HttpResponse> {
            const auto refusal
                = m_admission.check(req, peer, int(m_connections.size()),
                                    m_connectionsPerIp.value(AddressKey::of(peer)), now());
            if (!refusal)
                return std::nullopt;
            ServerEvent e = makeEvent(ServerEvent::Type::Rejected);
            e.peer = peer.toString();
            e.details.insert(QLatin1String("status"), refusal->status);
            e.details.insert(QLatin1String("reason"), refusal->reason);
            e.details.insert(QLatin1String("detail"), refusal->detail);
            if (!req.header("origin").isEmpty())
                e.details.insert(QLatin1String("origin"),
                                 QString::fromUtf8(req.header("origin").left(200)));
            log(e);
            HttpResponse r = AdmissionPolicy::toResponse(*refusal);
            r.alreadyLogged = true;
            return r;
        });
    m_frontend->setUpgradeFilter(
        [](const HttpRequest &req, const QHostAddress &) { return HttpRoutes::checkUpgrade(req); });
    connect(m_frontend.get(), &HttpFrontend::webSocketAccepted, this, &ServerWorker::onWebSocket);
    connect(m_frontend.get(), &HttpFrontend::requestRefused, this, &ServerWorker::logViolation);

    QString error;
    if (!m_frontend->listen(config.listenAddress, config.listenPort, &error)) {
        const QString why
            = QStringLiteral("cannot listen on %1: %2").arg(config.listenString(), error);
        ServerEvent e = makeEvent(ServerEvent::Type::Error);
        e.details.insert(QLatin1String("reason"), why);
        log(e);
        flushEvents();
        flushStore();
        Q_EMIT started(false, QString(), why);
        return;
    }
    m_config.listenPort = m_frontend->port();
    m_startedAtMs = now();
    ServerEvent e = makeEvent(ServerEvent::Type::Listening);
    e.details.insert(QLatin1String("address"), m_config.listenString());
    e.details.insert(QLatin1String("tls"), m_frontend->isTls());
    e.details.insert(QLatin1String("io_threads"), m_io ? m_io->count() : 0);
    if (m_store) {
        e.details.insert(QLatin1String("store"), m_store->location());
        e.details.insert(QLatin1String("sessions_restored"), m_restoredSessions);
        e.details.insert(QLatin1String("revocations_restored"), m_restoredRevocations);
    }
    log(e);
    // nullptr when [admin] listen is empty or unusable. A restart keeps the running one: its
    // address is read at start only, and an operator's ctl keeps reaching it.
    if (!m_admin)
        m_admin = AdminServer::create(*this);
    startCluster();
    flushEvents();
    Q_EMIT started(true, m_config.listenString(), QString());
    Q_EMIT statsChanged(stats());
    applyTcpInterval();
}

void ServerWorker::applyAdmissionSettings()
{
    AdmissionPolicy::Settings s;
    s.allowedOrigins = m_config.allowedOrigins;
    s.requireOrigin = m_config.requireOrigin;
    s.maxConnections = m_config.maxConnections;
    s.maxConnectionsPerIp = m_config.maxConnectionsPerIp;
    s.loginFailuresPerMinute = m_config.loginFailuresPerMinute;
    s.loginBanMs = m_config.loginBanMs;
    s.listenHost = m_config.listenAddress.toString();
    m_admission.setSettings(s);
}

int ServerWorker::tcpPollIntervalMs() const
{
    constexpr qint64 MaxUnobservedMs = 5000;
    const int interval = m_config.tcpPollIntervalMs;
    if (interval <= 0 || m_tcpObserved)
        return qMax(0, interval);
    // The alarm fires at the first poll more than close_wait_alarm after the socket was first
    // seen: half of it keeps an unobserved alarm within about 2 x close_wait_alarm.
    const qint64 forAlarm = qMin(m_config.closeWaitAlarmMs / 2, MaxUnobservedMs);
    return int(qMax<qint64>(interval, forAlarm));
}

void ServerWorker::applyTcpInterval(bool pollNow)
{
    if (m_config.tcpPollIntervalMs <= 0 || m_stopping) {
        m_tcpPoll.stop();
        return;
    }
    m_tcpPoll.start(tcpPollIntervalMs());
    if (pollNow)
        pollTcp(m_tcpObserved ? TcpSnapshot::Scope::Full : TcpSnapshot::Scope::CloseWait);
}

void ServerWorker::setTcpObserved(bool observed)
{
    if (observed == m_tcpObserved)
        return;
    m_tcpObserved = observed;
    // Before start (the dashboard exists first) start() arms it; while stopping nothing does.
    // Attaching polls at once, so the dashboard has full data without waiting an interval.
    if (m_tcpPoll.isActive())
        applyTcpInterval(observed);
}

const TcpSnapshot &ServerWorker::freshTcpSnapshot(TcpSnapshot::Scope wanted, qint64 maxAgeMs)
{
    if (!m_tcpPoll.isActive())
        return m_tcpSnapshot;
    // While the dashboard is attached every poll is full, so that it never sees a partial one.
    if (m_tcpObserved)
        wanted = TcpSnapshot::Scope::Full;
    const bool fresh = m_tcpPolledAt.isValid() && m_tcpPolledAt.elapsed() < maxAgeMs;
    if (!fresh || !m_tcpSnapshot.isAvailable() || !m_tcpSnapshot.covers(wanted))
        pollTcp(wanted);
    return m_tcpSnapshot;
}

namespace {
// Which families the sockets of a listener on this address can have. An IPv6 listener (also a
// dual-stack "::") accepts AF_INET6 sockets only; "Any" may fall back to IPv4.
void addFamilies(const QHostAddress &listener, bool *ipv4, bool *ipv6)
{
    const auto protocol = listener.protocol();
    if (protocol != QAbstractSocket::IPv6Protocol)
        *ipv4 = true;
    if (protocol != QAbstractSocket::IPv4Protocol)
        *ipv6 = true;
}
} // namespace

void ServerWorker::addMonitoredPort(quint16 port, const QHostAddress &listener)
{
    if (!port)
        return;
    if (!m_extraTcpPorts.contains(port))
        m_extraTcpPorts.append(port);
    addFamilies(listener, &m_extraTcpIpv4, &m_extraTcpIpv6);
}

void ServerWorker::pollTcp(TcpSnapshot::Scope scope)
{
    QList<quint16> ports = m_extraTcpPorts;
    if (m_config.listenPort)
        ports.prepend(m_config.listenPort);
    // Each family is a walk of the kernel's whole socket table: only those our listeners have.
    bool ipv4 = m_extraTcpIpv4;
    bool ipv6 = m_extraTcpIpv6;
    addFamilies(m_config.listenAddress, &ipv4, &ipv6);
    m_tcpMonitor.setAddressFamilies(ipv4, ipv6);
    TcpSnapshot snap = m_tcpMonitor.poll(ports, scope);
    TcpMonitor::matchConnections(&snap, m_connectionByTcpTuple);
    // Only a full snapshot says something about every connection; after a partial one the
    // connections keep the state of the last full poll (readers ask for a fresh one).
    const bool full = snap.isAvailable() && snap.scope == TcpSnapshot::Scope::Full;
    QSet<ConnectionId> seen;
    for (const TcpSocketInfo &s : std::as_const(snap.sockets)) {
        if (!full || !s.connectionId)
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
    if (full) {
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
    m_tcpPolledAt.start();
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
    // The store stays where it was opened until the next start.
    static const QStringList restartKeys
        = {QStringLiteral("server/data_dir"), QStringLiteral("server/io_threads"),
           QStringLiteral("cluster/redis"),   QStringLiteral("cluster/node_id"),
           QStringLiteral("cluster/prefix"),  QStringLiteral("cluster/on_redis_down")};
    QStringList appliedLive;
    QStringList restartRequired;
    for (const QString &key : changed)
        (restartKeys.contains(key) ? restartRequired : appliedLive).append(key);
    next.dataDir = m_config.dataDir;
    next.ioThreads = m_config.ioThreads;
    next.clusterRedis = m_config.clusterRedis;
    next.clusterNodeId = m_config.clusterNodeId;
    next.clusterPrefix = m_config.clusterPrefix;
    next.clusterRefuseLoginsWhenDown = m_config.clusterRefuseLoginsWhenDown;

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

    const bool tlsChanged
        = next.tlsCertPem != m_config.tlsCertPem || next.tlsKeyPem != m_config.tlsKeyPem;
    if (tlsChanged && m_frontend && !m_stopping) {
        QString error;
        const auto tls = next.tlsEnabled() ? std::optional<QSslConfiguration>(
                             TlsFiles::serverConfiguration(next.tlsCertPem, next.tlsKeyPem))
                                           : std::nullopt;
        if (!m_frontend->setTls(tls, &error)) {
            reportReloadFailure(
                QString(), QStringLiteral("tls/cert"),
                QStringLiteral("cannot switch TLS on %1: %2").arg(m_config.listenString(), error),
                source);
            return;
        }
    }

    if (next.transport != m_config.transport && m_frontend && !m_stopping) {
        // Plain ws:// on the native transport has its own accept path: the listener is rebound
        // on the same address (established connections stay on the transport they started on).
        QString error;
        if (!m_frontend->setNativeTransport(next.transport == ServerConfig::Transport::Native,
                                            &error)) {
            reportReloadFailure(QString(), QStringLiteral("server/transport"),
                                QStringLiteral("cannot switch the transport on %1: %2")
                                    .arg(m_config.listenString(), error),
                                source);
            return;
        }
    }

    const ServerConfig old = m_config;
    m_config = next;
    if (old.idleTimeoutMs != next.idleTimeoutMs || old.warningMs != next.warningMs) {
        const QList<QString> withdrawn
            = m_sessions.setTimeouts(next.idleTimeoutMs, next.warningMs, now());
        for (const QString &sid : withdrawn)
            sendExtended(sid);
        const QList<QString> all = m_sessions.sessionIds();
        for (const QString &sid : all) {
            updateSessionFields(sid);
            storeSession(sid); // the idle timeout column
        }
        armTimer();
    }
    if (m_store && (old.logKeepDays != next.logKeepDays || old.logMaxRows != next.logMaxRows))
        m_lastRetentionMs = 0; // applied at the next flush
    m_sessions.setRevocationTtl(next.revocationTtlMs);
    m_ring.setCapacity(next.eventRingSize);
    applyAdmissionSettings();
    if (old.tcpPollIntervalMs != next.tcpPollIntervalMs || old.listenPort != next.listenPort) {
        m_tcpMonitor.resetCloseWaitAlarms();
        applyTcpInterval();
    } else if (old.closeWaitAlarmMs != next.closeWaitAlarmMs) {
        applyTcpInterval(false); // the unobserved interval follows the alarm
    }
    if (m_frontend)
        m_frontend->setHandshakeTimeout(next.handshakeTimeoutMs);
    if (old.maxMessageBytes != next.maxMessageBytes) {
        if (m_frontend)
            m_frontend->setMaxMessageBytes(quint64(next.maxMessageBytes));
        for (auto &c : m_connections)
            c.socket->setMaxAllowedIncomingMessageSize(quint64(next.maxMessageBytes));
    }

    ServerEvent e = makeEvent(ServerEvent::Type::Reload);
    e.details.insert(QLatin1String("changed"), QJsonArray::fromStringList(changed));
    e.details.insert(QLatin1String("applied"), QJsonArray::fromStringList(appliedLive));
    e.details.insert(QLatin1String("restart_required"),
                     QJsonArray::fromStringList(restartRequired));
    e.details.insert(QLatin1String("source"), source);
    if (listenChanged)
        e.details.insert(QLatin1String("address"), m_config.listenString());
    log(e);
    flushEvents();
    m_metrics.reloaded(true);
    Q_EMIT reloaded(true, changed, QString());
    Q_EMIT reloadApplied(appliedLive, restartRequired);
    scheduleStoreFlush();
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
    flushStore();
    m_stopQueue = m_connections.keys();
    m_stopClosed = 0;
    // Leave the clients at least half of the hard deadline to answer their close frames.
    m_stopSpreadMs = int(qMin<qint64>(m_config.shutdownSpreadMs, qMax(0, timeoutMs) / 2));
    m_stopClock.start();
    stepStop();
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
    m_stopStep.stop();
    m_timer.stop();
    log(makeEvent(ServerEvent::Type::Stopped));
    flushEvents();
    flushSnapshot();
    flushStore();
    if (m_store)
        m_store->close();
    if (m_restarting) {
        // Not from inside the close or disconnect call that got us here: the old listener and
        // sockets must be gone before the new run starts.
        QMetaObject::invokeMethod(this, &ServerWorker::restartNow, Qt::QueuedConnection);
        return;
    }
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
    return counted([&] { return forceLogoutNow(sessionId, reason, actor); });
}

OperatorResult ServerWorker::forceLogoutNow(const QString &sessionId, const QString &reason,
                                            const QString &actor)
{
    const auto ended = m_sessions.end(sessionId, EndReason::Kicked, now());
    OperatorResult r;
    if (!ended && m_cluster)
        return clusterForwardLogout(sessionId, reason, actor);
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
    QString storeError;
    if (!storeRevocations({sessionId}, &storeError)) {
        r.status = 500;
        r.error
            = QStringLiteral("the session ended but its revocation was not saved: ") + storeError;
    }
    closeSessionConnections(ended->connections, EndReason::Kicked);
    return r;
}

OperatorResult ServerWorker::logoutUser(const QString &user, const QString &reason,
                                        const QString &actor, bool dryRun)
{
    if (dryRun)
        return logoutUserNow(user, reason, actor, dryRun);
    return counted([&] { return logoutUserNow(user, reason, actor, dryRun); });
}

OperatorResult ServerWorker::logoutUserNow(const QString &user, const QString &reason,
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
    QList<ConnectionId> toClose;
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
        toClose += ended->connections;
    }
    // On disk before any tab is told: a crash from here on cannot bring these tokens back.
    QString storeError;
    if (!storeRevocations(sids, &storeError)) {
        r.status = 500;
        r.error = QStringLiteral("the sessions ended but their revocations were not saved: ")
                  + storeError;
    }
    closeSessionConnections(toClose, EndReason::Kicked);
    if (m_cluster)
        clusterLogoutUser(user, r);
    return r;
}

OperatorResult ServerWorker::extendSession(const QString &sessionId, const QString &actor)
{
    return counted([&] { return extendSessionNow(sessionId, actor); });
}

OperatorResult ServerWorker::extendSessionNow(const QString &sessionId, const QString &actor)
{
    const qint64 t = now();
    const SessionRegistry::Session *s = m_sessions.find(sessionId);
    OperatorResult r;
    if (!s && m_cluster)
        return clusterForwardExtend(sessionId, actor);
    if (!s) {
        r = OperatorResult::failure(404, QStringLiteral("no such session"));
        audit(QStringLiteral("extend"), sessionId, actor, QString(), r);
        return r;
    }
    m_sessions.extend(sessionId, t);
    clusterExtended(sessionId);
    storeSession(sessionId);
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
    clusterActivity(sessionId);
    updateSessionFields(sessionId);
    storeSession(sessionId);
    OperatorResult r;
    r.sessions = 1;
    r.connections = int(s->connections.size());
    r.data.insert(QLatin1String("expires_at"), double(m_sessions.deadlineOf(*s)));
    return r; // activity, not an operator action: no audit entry
}

OperatorResult ServerWorker::broadcast(const QString &event, const QJsonValue &data,
                                       const QString &user, const QString &actor)
{
    return counted([&] { return broadcastNow(event, data, user, actor); });
}

OperatorResult ServerWorker::broadcastNow(const QString &event, const QJsonValue &data,
                                          const QString &user, const QString &actor)
{
    static const QStringList reserved
        = {QStringLiteral("message"), QStringLiteral("expiring"), QStringLiteral("extended"),
           QStringLiteral("error"), QStringLiteral("pong")};
    if (event.isEmpty() || event.size() > FrameCodec::MaxEventNameLength)
        return OperatorResult::failure(400, QStringLiteral("event must be 1-128 characters"));
    if (reserved.contains(event) || SocketIoCodec::isReservedEvent(event))
        return OperatorResult::failure(
            400, QStringLiteral("'%1' is reserved by the protocol").arg(event));
    OperatorResult r;
    QSet<QString> sessions;
    // One encoding per endpoint kind; sendDirect() writes the raw-endpoint ones, those of them
    // with nothing queued through the ParallelSender, all at once.
    QString raw;
    QString socketIo;
    std::vector<ConnectionId> direct;
    for (auto &c : m_connections) {
        if (!c.info.authenticated || c.closeCode || (!user.isEmpty() && c.info.user != user))
            continue;
        ++r.connections;
        sessions.insert(c.info.sessionId);
        if (c.info.endpoint == ConnectionInfo::Endpoint::SocketIo) {
            if (socketIo.isEmpty())
                socketIo = SocketIoCodec::encodeEvent(event, data);
            sendRaw(c, socketIo);
            continue;
        }
        if (raw.isEmpty())
            raw = FrameCodec::encode(event, data);
        direct.push_back(c.info.id);
    }
    sendDirect(direct, raw);
    r.sessions = int(sessions.size());
    if (m_cluster)
        clusterBroadcast(event, data, user, r);
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

void ServerWorker::onWebSocket(WebSocketConnection *socket)
{
    if (m_stopping) {
        socket->close(CloseCode::ShuttingDown, QStringLiteral("shutting_down"));
        connect(socket, &WebSocketConnection::disconnected, socket, &QObject::deleteLater);
        return;
    }
    if (!m_config.echoPath.isEmpty() && socket->requestPath() == m_config.echoPath) {
        startEcho(socket);
        return;
    }
    const ConnectionId id = m_nextConnectionId++;
    socket->setParent(this);
    socket->setMaxAllowedIncomingMessageSize(quint64(m_config.maxMessageBytes));

    Connection c;
    c.socket = socket;
    c.info.id = id;
    const QHostAddress peerAddress = socket->peerAddress();
    const QHostAddress localAddress = socket->localAddress();
    c.info.peer = TcpSocketInfo::endpoint(peerAddress, socket->peerPort());
    c.info.localAddress = TcpSocketInfo::endpoint(localAddress, socket->localPort());
    c.info.path = socket->requestPath();
    c.info.endpoint = HttpRoutes::isSocketIoPath(c.info.path.toUtf8())
                          ? ConnectionInfo::Endpoint::SocketIo
                          : ConnectionInfo::Endpoint::Raw;
    c.info.connectedAtMs = now();
    c.info.socketState = int(socket->state());
    c.tcpTuple = TcpTuple::of(localAddress, socket->localPort(), peerAddress, socket->peerPort());
    m_connectionByTcpTuple.insert(c.tcpTuple, id);
    ++m_connectionsPerIp[AddressKey::of(peerAddress)];
    m_connections.insert(id, c);
    ++m_accepted;

    // Calls, not signal connections: three connections per socket cost more memory than an idle
    // native connection itself.
    socket->setListener(this, id);

    m_connectionDeadlines.schedule(id, now() + m_config.loginTimeoutMs);
    if (c.info.endpoint == ConnectionInfo::Endpoint::SocketIo) {
        // Engine.IO's open packet goes out at once; the CONNECT that follows is the login.
        sendRaw(m_connections[id],
                SocketIoCodec::encodeOpen(randomId(), m_config.pingIntervalMs,
                                          m_config.pingTimeoutMs, m_config.maxMessageBytes));
        m_pingDeadlines.schedule(id, now() + m_config.pingIntervalMs);
    }
    armTimer();

    ServerEvent e = makeEvent(ServerEvent::Type::Connected, &m_connections[id]);
    e.details = connectedDetails(c.info.path, c.info.endpoint);
    log(e);
    markDirty(id);
}

void ServerWorker::startEcho(WebSocketConnection *socket)
{
    // Conformance endpoint: the normal stack (front end, admission, size limits), no protocol.
    socket->setParent(this);
    socket->setMaxAllowedIncomingMessageSize(quint64(m_config.maxMessageBytes));
    connect(socket, &WebSocketConnection::textMessageReceived, socket,
            [socket](const QString &t) { socket->sendTextMessage(t); });
    connect(socket, &WebSocketConnection::binaryMessageReceived, socket,
            [socket](const QByteArray &b) { socket->sendBinaryMessage(b); });
    connect(socket, &WebSocketConnection::disconnected, socket, &QObject::deleteLater);
    connect(socket, &WebSocketConnection::protocolViolation, this,
            [this, socket](int code, const QString &reason) {
                logViolation(peerOf(socket), code, reason);
            });
    connect(this, &ServerWorker::stopped, socket, [socket] { socket->abort(); });
}

void ServerWorker::connectionViolation(quint64 tag, int closeCode, const QString &reason)
{
    const auto it = m_connections.constFind(tag);
    if (it != m_connections.cend())
        logViolation(it->info.peer, closeCode, reason);
}

// A refused request (an HTTP status) or a connection's protocol violation (a close code), from
// HttpFrontend::requestRefused or a WebSocketConnection's listener.
void ServerWorker::logViolation(const QString &peer, int closeCode, const QString &reason)
{
    ServerEvent e = makeEvent(ServerEvent::Type::Rejected);
    e.peer = peer;
    e.details.insert(QLatin1String("status"), closeCode);
    e.details.insert(QLatin1String("reason"), reason);
    log(e);
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
    if (c.info.endpoint == ConnectionInfo::Endpoint::SocketIo) {
        onSocketIoText(c, text);
        return;
    }

    const DecodedFrame f = FrameCodec::decode(text);
    switch (f.kind) {
    case DecodedFrame::Kind::Ping:
        sendRaw(c, QStringLiteral("3"));
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
    handleEvent(c, f.event, f.data, -1);
}

void ServerWorker::onSocketIoText(Connection &c, const QString &text)
{
    const SocketIoPacket p = SocketIoCodec::decode(text);
    switch (p.kind) {
    case SocketIoPacket::Kind::Ping:
        sendRaw(c, SocketIoCodec::encodePong());
        return;
    case SocketIoPacket::Kind::Pong:
        if (c.awaitingPong) {
            c.awaitingPong = false;
            m_pingDeadlines.schedule(c.info.id,
                                     qMax(now(), c.pingSentMs + m_config.pingIntervalMs));
            armTimer();
        }
        return;
    case SocketIoPacket::Kind::Noop:
    case SocketIoPacket::Kind::Ack: // Warden never asks the client for an ack
        return;
    case SocketIoPacket::Kind::Close:
        closeConnection(c, CloseCode::Normal, QStringLiteral("client_close"));
        return;
    case SocketIoPacket::Kind::Disconnect:
        if (p.nsp == QLatin1String("/")) {
            c.sioConnected = false;
            closeConnection(c, CloseCode::Normal, QStringLiteral("client_disconnect"));
        }
        return;
    case SocketIoPacket::Kind::BinaryEvent:
        // The attachments follow as binary frames: skip them instead of closing with 1003.
        c.binaryToSkip += p.attachments;
        send(c, QStringLiteral("error"),
             QJsonObject{{QLatin1String("code"), 400},
                         {QLatin1String("reason"), QLatin1String("binary_not_supported")},
                         {QLatin1String("message"),
                          QLatin1String("binary events are not supported; send JSON")}});
        return;
    case SocketIoPacket::Kind::Invalid:
        send(c, QStringLiteral("error"),
             QJsonObject{{QLatin1String("code"), 400},
                         {QLatin1String("reason"), QLatin1String("bad_frame")},
                         {QLatin1String("message"), p.error}});
        return;
    case SocketIoPacket::Kind::Connect:
        if (p.nsp != QLatin1String("/")) {
            sendRaw(c, SocketIoCodec::encodeConnectError(QStringLiteral("Invalid namespace"), {},
                                                         p.nsp));
            return;
        }
        if (!c.sioConnected)
            handleLogin(c, p.auth.value(QLatin1String("token")));
        return;
    case SocketIoPacket::Kind::Event:
        break;
    }
    if (p.nsp != QLatin1String("/"))
        return; // a namespace this connection never joined: Socket.IO drops such packets
    if (!c.sioConnected) {
        refuseLogin(c, 401, QStringLiteral("login_required"), 0);
        return;
    }
    handleEvent(c, p.event, p.data, p.ackId);
}

void ServerWorker::handleEvent(Connection &c, const QString &event, const QJsonValue &data,
                               qint64 ackId)
{
    const auto ack = [&](const QJsonValue &value) {
        sendRaw(c, SocketIoCodec::encodeAck(ackId, QJsonArray{value}));
    };
    if (event == QLatin1String("loginCheck")) {
        handleLogin(c, data.toObject().value(QLatin1String("holding")));
        return;
    }
    if (event == QLatin1String("login")) {
        handleLogin(c, data.toObject().value(QLatin1String("token")));
        return;
    }
    if (event == QLatin1String("ping")) {
        if (ackId >= 0)
            ack(data);
        else
            send(c, QStringLiteral("pong"), data);
        return;
    }
    if (!c.info.authenticated) {
        sendMessage(c, 401, QStringLiteral("login_required"));
        return;
    }
    if (event == QLatin1String("logout")) {
        if (ackId >= 0)
            ack(QJsonObject{{QLatin1String("ok"), true}});
        handleLogout(c);
        return;
    }

    // "activity" and any other application event show a user at work.
    const qint64 t = now();
    c.info.lastActivityMs = t;
    const QString sid = c.info.sessionId;
    if (m_sessions.touch(sid, t))
        sendExtended(sid);
    clusterActivity(sid);
    updateSessionFields(sid);
    // Most events of a busy tab come while its row waits for the next flush: then only the
    // pending row's time moves.
    if (!m_store || !m_store->isOpen() || !m_store->touchPendingSession(sid, t))
        storeSession(sid);
    if (ackId >= 0) {
        // The ack answers the event: the session's new deadline.
        const SessionRegistry::Session *s = m_sessions.find(sid);
        const qint64 deadline = s ? m_sessions.deadlineOf(*s) : t;
        ack(QJsonObject{{QLatin1String("ok"), true},
                        {QLatin1String("event"), event},
                        {QLatin1String("session_id"), sid},
                        {QLatin1String("expires_in"), double(secondsLeft(deadline, t))},
                        {QLatin1String("deadline"), double(deadline)}});
        return;
    }
    if (event != QLatin1String("activity")) {
        send(c, QStringLiteral("error"),
             QJsonObject{{QLatin1String("code"), 400},
                         {QLatin1String("reason"), QLatin1String("unknown_event")},
                         {QLatin1String("event"), event},
                         {QLatin1String("message"),
                          ClientMessages::text(QStringLiteral("unknown_event"), m_config.locale)}});
    }
}

void ServerWorker::refuseLogin(Connection &c, int code, const QString &reason, quint16 closeCode,
                               const QJsonObject &extra)
{
    QJsonObject data = extra;
    data.insert(QLatin1String("code"), code);
    data.insert(QLatin1String("reason"), reason);
    const QString text = ClientMessages::text(reason, m_config.locale);
    if (c.info.endpoint == ConnectionInfo::Endpoint::SocketIo) {
        // socket.io-client reports this as connect_error(err) with err.message and err.data.
        sendRaw(c, SocketIoCodec::encodeConnectError(text, data));
    } else {
        data.insert(QLatin1String("message"), text);
        send(c, QStringLiteral("message"), data);
    }
    if (closeCode)
        closeConnection(c, closeCode, reason);
}

void ServerWorker::refuseInvalidToken(Connection &c, const QString &detail)
{
    m_metrics.authFailed();
    ServerEvent e = makeEvent(ServerEvent::Type::AuthFailed, &c);
    e.details.insert(QLatin1String("reason"), QLatin1String("invalid_token"));
    e.details.insert(QLatin1String("detail"), detail);
    log(e);
    m_admission.recordLoginFailure(c.socket->peerAddress(), now());
    refuseLogin(c, 401, QStringLiteral("invalid_token"), CloseCode::InvalidToken,
                QJsonObject{{QLatin1String("detail"), detail}});
}

QJsonObject ServerWorker::connectedDetails(const QString &path, ConnectionInfo::Endpoint endpoint)
{
    if (m_connectedDetails.isEmpty() || path != m_connectedPath
        || endpoint != m_connectedEndpoint) {
        m_connectedPath = path;
        m_connectedEndpoint = endpoint;
        m_connectedDetails
            = QJsonObject{{QLatin1String("path"), path},
                          {QLatin1String("endpoint"), ConnectionInfo::endpointName(endpoint)}};
    }
    return m_connectedDetails;
}

QJsonObject ServerWorker::authenticatedDetails(bool newSession, int tabs, const QString &name)
{
    const auto build = [&] {
        QJsonObject d{{QLatin1String("new_session"), newSession}, {QLatin1String("tabs"), tabs}};
        if (!name.isEmpty())
            d.insert(QLatin1String("name"), name);
        return d;
    };
    const size_t slot = size_t(tabs) * 2 + (newSession ? 1 : 0);
    if (!name.isEmpty() || tabs < 0 || slot >= m_authenticatedDetails.size())
        return build();
    QJsonObject &cached = m_authenticatedDetails[slot];
    if (cached.isEmpty())
        cached = build();
    return cached;
}

void ServerWorker::handleLogin(Connection &c, const QJsonValue &tokenValue)
{
    const QByteArray token = tokenValue.toString().toUtf8();
    if (token.isEmpty()) {
        if (!c.info.authenticated)
            refuseLogin(c, 422, QStringLiteral("missing_token"), 0);
        return;
    }
    // What tells this token from another: an issued token's SHA-256 (what the store and the
    // cluster know it by), a JWT's signature segment (it binds the header and payload; no hashing
    // per login, nor per repeated loginCheck).
    const bool opaque = IssuedTokens::looksIssued(token);
    const QByteArray hash
        = opaque ? IssuedTokens::hashOf(token) : token.sliced(token.lastIndexOf('.') + 1);
    if (c.info.authenticated) {
        // The seed polls loginCheck every 50 ms: same token -> silence, and no activity.
        if (hash != c.tokenHash)
            sendMessage(c, 409, QStringLiteral("already_logged_in"));
        return;
    }

    const qint64 t = now();
    // A JWT has dots, an issued token none: only the latter is looked up.
    const bool issuedHere = opaque && m_issuedTokens.contains(hash);
    if (m_cluster && !issuedHere && opaque) {
        // An opaque token another node may have issued: Redis knows it by its hash.
        clusterLookupToken(c, tokenValue, hash);
        return;
    }
    const TokenCheck check
        = issuedHere ? m_issuedTokens.verify(hash, t) : Jwt::verify(token, m_config.jwtSecret, t);
    if (!check.ok) {
        refuseInvalidToken(c, check.error);
        return;
    }

    if (m_cluster && clusterHoldsLogin(c, tokenValue, check.claims))
        return;

    // The user's other logged-in connections, oldest first (ids grow with connection time).
    QList<ConnectionId> userConnections;
    const int perUserLimit = m_config.maxConnectionsPerUser;
    if (perUserLimit > 0) {
        for (auto it = m_connections.cbegin(); it != m_connections.cend(); ++it) {
            if (it->info.authenticated && !it->closeCode && it.key() != c.info.id
                && it->info.user == check.claims.user)
                userConnections.append(it.key());
        }
        std::sort(userConnections.begin(), userConnections.end());
    }
    // An ended session is refused for the reason it ended (by join below), not for the limit.
    if (perUserLimit > 0 && userConnections.size() >= perUserLimit
        && m_config.perUserPolicy == ServerConfig::PerUserPolicy::Refuse
        && !m_sessions.tombstone(check.claims.sessionId)) {
        ServerEvent e = makeEvent(ServerEvent::Type::Rejected, &c);
        e.sessionId = check.claims.sessionId;
        e.user = check.claims.user;
        e.details.insert(QLatin1String("status"), 401);
        e.details.insert(QLatin1String("reason"), QLatin1String("too_many_connections"));
        e.details.insert(QLatin1String("limit"), perUserLimit);
        e.details.insert(QLatin1String("policy"), QLatin1String("refuse"));
        log(e);
        refuseLogin(c, 401, QStringLiteral("too_many_connections"), CloseCode::TooManyConnections,
                    QJsonObject{{QLatin1String("limit"), perUserLimit}});
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
        refuseLogin(c, 401, QLatin1String(why.reason), why.closeCode);
        return;
    }

    m_connectionDeadlines.remove(c.info.id);
    c.tokenHash = hash;
    c.info.authenticated = true;
    c.info.user = check.claims.user;
    c.info.sessionId = check.claims.sessionId;
    const SessionRegistry::Session *s = m_sessions.find(c.info.sessionId);
    const qint64 deadline = m_sessions.deadlineOf(*s);

    if (c.info.endpoint == ConnectionInfo::Endpoint::SocketIo) {
        c.sioConnected = true;
        sendRaw(c, SocketIoCodec::encodeConnect(randomId()));
    }
    // Both endpoints frame an event as 42[event, data]; "message" is no reserved Socket.IO name.
    sendRaw(c, FrameCodec::encodeJson(
                   QStringLiteral("message"),
                   FrameCodec::loginOkData(c.info.user, c.info.sessionId,
                                           double(secondsLeft(deadline, t)),
                                           double(m_sessions.idleTimeoutOf(*s)) / 1000.0)));

    ServerEvent e = makeEvent(ServerEvent::Type::Authenticated, &c);
    e.details = authenticatedDetails(joined.outcome == SessionRegistry::JoinOutcome::Created,
                                     int(s->connections.size()), s->name);
    log(e);
    if (joined.outcome == SessionRegistry::JoinOutcome::Created) {
        // Written at once (one row per session, not per message): a session lost in a crash would
        // come back with a fresh idle clock, i.e. expire later than it should. "At once" is the
        // end of this event-loop pass: the logins of one storm batch share a transaction.
        storeSession(c.info.sessionId);
        if (m_store && m_store->isOpen())
            m_storeCommitSoon.start();
    }

    updateSessionFields(c.info.sessionId);
    if (s->warned)
        sendExpiring(c.info.sessionId, deadline, {c.info.id});
    if (perUserLimit > 0)
        replaceOldest(userConnections, perUserLimit - 1, c.info.id);
    clusterLoggedIn(c);
    armTimer();
}

void ServerWorker::replaceOldest(const QList<ConnectionId> &oldestFirst, int keep,
                                 ConnectionId newcomer)
{
    const qsizetype excess = oldestFirst.size() - keep;
    for (qsizetype i = 0; i < excess; ++i) {
        auto it = m_connections.find(oldestFirst.at(i));
        if (it == m_connections.end() || it->closeCode)
            continue;
        // Only this connection goes; its session lives on in the user's newer tabs.
        ServerEvent e = makeEvent(ServerEvent::Type::Kicked, &*it);
        e.details.insert(QLatin1String("reason"), QLatin1String("replaced"));
        e.details.insert(QLatin1String("actor"), QLatin1String("limits/max_connections_per_user"));
        e.details.insert(QLatin1String("limit"), m_config.maxConnectionsPerUser);
        e.details.insert(QLatin1String("replaced_by"), double(newcomer));
        e.details.insert(QLatin1String("connections"), 1);
        log(e);
        sendMessage(*it, 401, QStringLiteral("replaced"));
        closeConnection(*it, CloseCode::Replaced, QStringLiteral("replaced"));
    }
}

void ServerWorker::handleLogout(Connection &c)
{
    const auto ended = m_sessions.end(c.info.sessionId, EndReason::LoggedOut, now());
    if (!ended)
        return;
    ServerEvent e = makeEvent(ServerEvent::Type::LoggedOut, &c);
    e.details.insert(QLatin1String("connections"), int(ended->connections.size()));
    log(e);
    QString storeError;
    storeRevocations({c.info.sessionId},
                     &storeError); // a failure is logged; the tab is told anyway
    closeSessionConnections(ended->connections, EndReason::LoggedOut);
}

void ServerWorker::onBinary(ConnectionId id)
{
    auto it = m_connections.find(id);
    if (it == m_connections.end() || it->closeCode)
        return;
    ++it->info.msgsIn;
    if (it->binaryToSkip > 0) {
        --it->binaryToSkip; // an attachment of a binary event already refused
        return;
    }
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
    m_connectionByTcpTuple.remove(c.tcpTuple);
    const AddressKey ip = AddressKey::of(c.socket->peerAddress());
    if (--m_connectionsPerIp[ip] <= 0)
        m_connectionsPerIp.remove(ip);
    m_connectionDeadlines.remove(id);
    m_pingDeadlines.remove(id);
    if (c.info.authenticated)
        m_sessions.leave(c.info.sessionId, id);
    clusterDisconnected(c);

    ServerEvent e = makeEvent(ServerEvent::Type::Disconnected, &c);
    const bool byServer = c.closeCode != 0;
    // The transport says 1006 when the TCP connection went away without a close frame, and
    // 1009 "message too big" for its size limit.
    const int code = byServer ? c.closeCode : int(c.socket->closeCode());
    const QString reason = byServer ? c.closeReason : c.socket->closeReason();
    m_metrics.disconnected(code);
    e.details.insert(QLatin1String("code"), code);
    e.details.insert(QLatin1String("reason"), reason);
    e.details.insert(QLatin1String("initiator"), QLatin1String(byServer ? "server" : "client"));
    e.details.insert(QLatin1String("duration_ms"), double(now() - c.info.connectedAtMs));
    if (c.slowConsumerBytes > 0)
        e.details.insert(QLatin1String("unsent_bytes"), double(c.slowConsumerBytes));
    log(e);

    c.socket->setListener(nullptr, 0);
    c.socket->disconnect(this);
    c.socket->deleteLater();
    m_memoryTrim.released();
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
    if (c.info.endpoint == ConnectionInfo::Endpoint::SocketIo) {
        // socket.io-client would take a reserved name for its own lifecycle event.
        if (SocketIoCodec::isReservedEvent(event))
            return;
        sendRaw(c, SocketIoCodec::encodeEvent(event, data));
        return;
    }
    sendRaw(c, FrameCodec::encode(event, data));
}

void ServerWorker::sendRaw(Connection &c, const QString &frame)
{
    if (c.closeCode == CloseCode::SlowConsumer)
        return; // it already holds more than it reads; piling on only costs memory
    c.socket->sendTextMessage(frame);
    noteSent(c, frame.size());
}

void ServerWorker::noteSent(Connection &c, qsizetype textSize)
{
    ++c.info.msgsOut;
    c.info.bytesOut += quint64(textSize);
    m_metrics.messageOut(textSize);
    markDirty(c.info.id);
    const qint64 queued = c.socket->bytesToWrite();
    if (m_config.maxSendBufferBytes > 0 && queued > m_config.maxSendBufferBytes) {
        // The peer stopped reading (or cannot keep up): the socket buffers everything in our
        // memory. The close frame will hardly get through, so the socket is cut at the next timer
        // run: never here, where a caller may be iterating the connections.
        c.slowConsumerBytes = queued;
        closeConnection(c, CloseCode::SlowConsumer, QStringLiteral("slow_consumer"));
        m_connectionDeadlines.schedule(c.info.id, now());
        armTimer();
    }
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
    if (beginClose(c, code, reason))
        sendClose(c);
}

bool ServerWorker::beginClose(Connection &c, quint16 code, const QString &reason)
{
    if (c.closeCode)
        return false;
    // Socket.IO: "41" before a do-not-reconnect close, so socket.io-client ends with
    // "io server disconnect" and does not reconnect; 4000-4499 closes go without it.
    if (c.info.endpoint == ConnectionInfo::Endpoint::SocketIo && c.sioConnected && code >= 4500
        && code <= 4999)
        sendRaw(c, SocketIoCodec::encodeDisconnect());
    c.sioConnected = false;
    m_pingDeadlines.remove(c.info.id);
    if (c.closeCode)
        return false; // sendRaw above found a slow consumer and closed it already
    c.closeCode = code;
    c.closeReason = reason;
    return true;
}

void ServerWorker::sendClose(Connection &c)
{
    c.socket->close(c.closeCode, c.closeReason);
    // A peer that never answers the close frame is cut off after a grace period.
    m_connectionDeadlines.schedule(c.info.id, now() + CloseGraceMs);
    armTimer();
}

void ServerWorker::closeSessionConnections(const QList<ConnectionId> &ids, EndReason reason)
{
    endConnections({SessionRegistry::Expired{reason, ids}});
}

const QString &ServerWorker::endedPushFrame(EndedPush &push, EndReason reason, bool socketIo) const
{
    QString &frame = socketIo ? push.socketIo : push.raw;
    if (frame.isEmpty()) {
        const QString text = reasonText(reason);
        const QJsonObject data{
            {QLatin1String("code"), 401},
            {QLatin1String("reason"), text},
            {QLatin1String("message"), ClientMessages::text(text, m_config.locale)}};
        frame = socketIo ? SocketIoCodec::encodeEvent(QStringLiteral("message"), data)
                         : FrameCodec::encode(QStringLiteral("message"), data);
    }
    return frame;
}

void ServerWorker::queueEndClose(Connection &c, EndReason reason)
{
    const EndReasonInfo info = endReasonInfo(reason);
    if (!beginClose(c, info.closeCode, QLatin1String(info.reason)))
        return; // closed as a slow consumer while sending: its own path ends it
    // Into the kernel now (one write): the push does not wait for the closes of the others,
    // and the close frame, written later to the same stream, can only follow it.
    c.socket->flush();
    m_closeQueue.append(c.info.id);
}

void ServerWorker::sendDirect(const std::vector<ConnectionId> &ids, const QString &text)
{
    if (ids.empty())
        return;
    const QByteArray frame = NativeWebSocket::textFrame(text.toUtf8());
    // A connection with output queued (or not native) takes the usual path, behind it.
    std::vector<ConnectionId> direct;
    std::vector<ParallelSender::Target> targets;
    direct.reserve(ids.size());
    targets.reserve(ids.size());
    for (ConnectionId id : ids) {
        auto it = m_connections.find(id);
        if (it == m_connections.end())
            continue;
        const int fd = it->socket->directWriteFd();
        if (fd < 0) {
            sendRaw(*it, text);
            continue;
        }
        direct.push_back(id);
        targets.push_back({fd});
    }
    if (!m_sender)
        m_sender = std::make_unique<ParallelSender>(ParallelSender::defaultHelpers());
    m_sender->sendToAll(frame, targets);
    for (std::size_t i = 0; i < direct.size(); ++i) {
        auto it = m_connections.find(direct[i]);
        it->socket->directWriteDone(frame, targets[i].sent, targets[i].error);
        noteSent(*it, text.size());
    }
}

void ServerWorker::endConnections(const QList<SessionRegistry::Expired> &ended)
{
    // The same push for every tab: encoded once per reason and endpoint kind, not once per
    // connection.
    std::map<EndReason, EndedPush> pushes;
    std::map<EndReason, std::vector<ConnectionId>> raw; // sendDirect() picks the path of each
    for (const SessionRegistry::Expired &e : ended) {
        for (ConnectionId id : e.connections) {
            auto it = m_connections.find(id);
            if (it == m_connections.end() || it->closeCode)
                continue;
            if (it->info.endpoint != ConnectionInfo::Endpoint::SocketIo) {
                raw[e.reason].push_back(id);
                continue;
            }
            sendRaw(*it, endedPushFrame(pushes[e.reason], e.reason, true));
            queueEndClose(*it, e.reason);
        }
    }
    for (const auto &[reason, ids] : raw) {
        sendDirect(ids, endedPushFrame(pushes[reason], reason, false));
        for (ConnectionId id : ids) {
            auto it = m_connections.find(id);
            if (it != m_connections.end())
                queueEndClose(*it, reason);
        }
    }
    if (m_closeQueueHead < m_closeQueue.size() && !m_closeDrain.isActive())
        m_closeDrain.start();
}

void ServerWorker::closeDrain()
{
    // A bounded batch per turn, so that the peers' answers and other clients are served in
    // between when thousands of sessions end at once.
    constexpr qsizetype Batch = 512;
    const qsizetype end = qMin(m_closeQueue.size(), m_closeQueueHead + Batch);
    while (m_closeQueueHead < end) {
        auto it = m_connections.find(m_closeQueue.at(m_closeQueueHead++));
        if (it != m_connections.end())
            sendClose(*it);
    }
    if (m_closeQueueHead < m_closeQueue.size()) {
        m_closeDrain.start();
        return;
    }
    m_closeQueue.clear();
    m_closeQueueHead = 0;
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
    if (const auto p = m_pingDeadlines.nearest())
        next = next ? qMin(*next, *p) : *p;
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
    // The logout pushes of every session that ends now go out first, all of them, then the
    // bookkeeping (registry, event log, store, metrics): when thousands of sessions share a
    // deadline the last tab is told as early as the sends allow. A cluster node holds its
    // expiries for the cluster-wide claim and pushes once that is answered.
    const bool hold = clusterHoldsExpiries();
    if (!hold)
        endConnections(m_sessions.expiredAt(t));
    const QList<SessionRegistry::Due> due = m_sessions.takeDue(t, hold);
    for (const SessionRegistry::Due &d : due) {
        if (d.held) {
            clusterExpire(d); // the cluster-wide claim decides; see serverworkercluster.cpp
            continue;
        }
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
            storeEnded(d.sessionId);
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
        refuseLogin(*it, 401, QStringLiteral("login_timeout"), CloseCode::LoginTimeout);
    }

    // Socket.IO heartbeats: a due key is either the next ping or an unanswered one.
    const QList<DeadlineIndex::Key> pings = m_pingDeadlines.takeDue(t);
    for (DeadlineIndex::Key id : pings) {
        auto it = m_connections.find(id);
        if (it == m_connections.end() || it->closeCode)
            continue;
        if (it->awaitingPong) {
            closeConnection(*it, CloseCode::PingTimeout, QStringLiteral("ping_timeout"));
            continue;
        }
        sendRaw(*it, SocketIoCodec::encodePing());
        it->awaitingPong = true;
        it->pingSentMs = t;
        m_pingDeadlines.schedule(id, t + m_config.pingTimeoutMs);
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
    const ServerEvent &stored = m_ring.append(std::move(event));
    m_pendingEvents.append(stored);
    if (m_store && m_store->isOpen()) {
        m_store->appendEvent(stored);
        scheduleStoreFlush();
    }
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
    clusterStats(s);
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
    const QByteArray token = m_issuedTokens.issue(claims);
    // On disk (with its session) before the backend holds the token: it survives a restart or
    // a crash like a JWT session does.
    storeSession(claims.sessionId);
    if (m_store && m_store->isOpen()) {
        QString storeError;
        const SessionStore::IssuedToken row{
            IssuedTokens::hashOf(token), claims.sessionId, claims.user, claims.name,
            claims.expiresAtMs,          idleTimeoutMs};
        m_storeFlush.stop();
        if (!m_store->saveIssuedToken(row, &storeError)) {
            reportStoreError(storeError);
            scheduleStoreFlush(); // the token stays pending and is written by a later flush
        } else {
            m_storeFailing = false;
        }
    }
    r.data.insert(QLatin1String("token"), QString::fromLatin1(token));
    r.data.insert(QLatin1String("session_id"), claims.sessionId);
    r.data.insert(QLatin1String("user"), user);
    r.data.insert(QLatin1String("expires_at_ms"), double(m_sessions.deadlineOf(*s)));
    r.data.insert(QLatin1String("idle_timeout_s"), double(m_sessions.idleTimeoutOf(*s)) / 1000.0);
    OperatorResult logged = r;
    logged.data = {}; // the token never reaches the event log
    audit(QStringLiteral("create_session"), claims.sessionId, actor, QString(), logged);
    clusterSessionCreated(claims.sessionId);
    clusterTokenIssued(IssuedTokens::hashOf(token), claims);
    armTimer();
    return r;
}

void ServerWorker::stopForRestart(int timeoutMs)
{
    if (!m_stopping)
        m_stopCode = CloseCode::Restarting;
    stop(timeoutMs);
}

void ServerWorker::restart(int timeoutMs)
{
    if (m_stopping)
        return;
    m_restarting = true;
    stopForRestart(timeoutMs);
}

void ServerWorker::restartNow()
{
    // Whatever did not close in time was aborted; nothing of the old run's sockets remains.
    for (auto &c : m_connections) {
        if (c.info.authenticated)
            m_sessions.leave(c.info.sessionId, c.info.id);
        c.socket->setListener(nullptr, 0);
        c.socket->disconnect(this);
        c.socket->abort();
        c.socket->deleteLater();
    }
    m_connections.clear();
    m_connectionByTcpTuple.clear();
    m_connectionDeadlines.clear();
    m_dirty.clear();
    m_frontend.reset();
    if (m_store) { // read back from disk, exactly as a new process would
        m_sessions
            = SessionRegistry(m_config.idleTimeoutMs, m_config.warningMs, m_config.revocationTtlMs);
        m_issuedTokens = IssuedTokens();
    }
    m_restarting = false;
    m_stopping = false;
    m_stopped = false;
    m_stopCode = CloseCode::ShuttingDown;
    m_stopQueue.clear();
    m_stopClosed = 0;
    m_armedAtMs = 0;
    m_restoredSessions = 0;
    m_restoredRevocations = 0;
    m_storeSetAsideTo.clear();
    m_storeSetAsideWhy.clear();
    ServerConfig config = m_config; // the port actually bound, so clients come back to it
    config.resetStore = false;
    start(config);
}

void ServerWorker::stepStop()
{
    // Connection i of n closes at i * spread / n: the first at once, none after the spread.
    const qsizetype n = m_stopQueue.size();
    qsizetype due = n;
    if (m_stopSpreadMs > 0 && n > 1)
        due = qMin<qsizetype>(n, qsizetype(m_stopClock.elapsed() * n / m_stopSpreadMs) + 1);
    const QString reason = m_stopCode == CloseCode::Restarting ? QStringLiteral("restarting")
                                                               : QStringLiteral("shutting_down");
    while (m_stopClosed < due) {
        auto it = m_connections.find(m_stopQueue.at(m_stopClosed++));
        if (it != m_connections.end())
            closeConnection(*it, m_stopCode, reason);
    }
    if (m_stopClosed < n)
        m_stopStep.start(qBound(1, m_stopSpreadMs / int(n), 50));
}

bool ServerWorker::openStore(QString *error)
{
    m_store.reset();
    if (m_config.dataDir.isEmpty())
        return true; // no data dir: sessions live in memory only (benchmarks, embedding)
    if (!QDir().mkpath(m_config.dataDir)) {
        *error = QStringLiteral("%1: cannot create the data directory").arg(m_config.dataDir);
        return false;
    }
    const QString path = QDir(m_config.dataDir).filePath(QStringLiteral("warden.db"));
    auto store = std::make_unique<SqliteSessionStore>(path);
    QString why;
    if (!store->open(&why)) {
        if (!m_config.resetStore) {
            *error = QStringLiteral("session store %1: %2 (nothing was changed; start with "
                                    "--reset-store to move it aside and start empty)")
                         .arg(path, why);
            return false;
        }
        QString moveError;
        const QString aside = SqliteSessionStore::setAside(path, &moveError);
        if (aside.isEmpty()) {
            *error = QStringLiteral("session store %1: %2; --reset-store: %3")
                         .arg(path, why, moveError);
            return false;
        }
        QString again;
        if (!store->open(&again)) {
            *error = QStringLiteral("session store %1: %2").arg(path, again);
            return false;
        }
        m_storeSetAsideTo = aside;
        m_storeSetAsideWhy = why;
    }
    m_store = std::move(store);
    return true;
}

void ServerWorker::restoreFromStore()
{
    if (!m_store)
        return;
    const qint64 t = now();
    const SessionStore::Snapshot snap = m_store->load(t);
    m_ring.setNextId(snap.lastEventId + 1);
    if (!m_storeSetAsideTo.isEmpty()) {
        ServerEvent e = makeEvent(ServerEvent::Type::Audit);
        e.details.insert(QLatin1String("action"), QLatin1String("reset_store"));
        e.details.insert(QLatin1String("target"), m_store->location());
        e.details.insert(QLatin1String("actor"), QLatin1String("--reset-store"));
        e.details.insert(QLatin1String("reason"), m_storeSetAsideWhy);
        e.details.insert(QLatin1String("moved_to"), m_storeSetAsideTo);
        e.details.insert(QLatin1String("result"), QLatin1String("ok"));
        log(e);
    }
    for (const SessionStore::Revocation &r : snap.revocations) {
        if (m_sessions.restoreTombstone(r.sessionId, r.reason, r.untilMs))
            ++m_restoredRevocations;
    }
    QHash<QString, qint64> ownIdleTimeouts; // issued sessions with their own idle timeout
    for (const SessionStore::IssuedToken &t : snap.issuedTokens) {
        m_issuedTokens.restore(t.hash, TokenClaims{t.user, t.sessionId, t.name, t.expiresAtMs});
        if (t.idleTimeoutMs > 0)
            ownIdleTimeouts.insert(t.sessionId, t.idleTimeoutMs);
    }
    // A cluster node takes its sessions from Redis (a login looks them up), not from its own
    // file, which may be older than what another node continued meanwhile.
    const QList<SessionStore::StoredSession> ownSessions
        = m_config.clusterRedis.isEmpty() ? snap.sessions : QList<SessionStore::StoredSession>();
    for (const SessionStore::StoredSession &s : ownSessions) {
        SessionRegistry::Session rs;
        rs.idleMs = ownIdleTimeouts.value(s.id);
        rs.id = s.id;
        rs.user = s.user;
        rs.name = s.name;
        rs.createdMs = s.createdMs;
        rs.lastActivityMs = s.lastActivityMs;
        rs.hardEndMs = s.hardEndMs;
        if (m_sessions.restore(rs))
            ++m_restoredSessions;
    }
    // The idle clock ran while Warden was down: deadlines that passed meanwhile end now. Sessions
    // now inside their warning window are marked warned; a tab that rejoins is warned at once.
    const QList<SessionRegistry::Due> due = m_sessions.takeDue(t);
    for (const SessionRegistry::Due &d : due) {
        if (!d.expired)
            continue;
        --m_restoredSessions;
        ServerEvent e = makeEvent(ServerEvent::Type::Expired);
        e.sessionId = d.sessionId;
        e.user = d.user;
        e.details.insert(QLatin1String("connections"), 0);
        e.details.insert(QLatin1String("reason"), reasonText(d.reason));
        e.details.insert(QLatin1String("deadline"), double(d.deadlineMs));
        e.details.insert(QLatin1String("lateness_ms"), double(t - d.deadlineMs));
        e.details.insert(QLatin1String("while_down"), true);
        log(e);
        storeEnded(d.sessionId);
    }
    m_store->applyRetention(m_config.logKeepDays, m_config.logMaxRows, t);
    m_lastRetentionMs = t;
    armTimer();
}

void ServerWorker::storeSession(const QString &sessionId)
{
    if (!m_store || !m_store->isOpen())
        return;
    const SessionRegistry::Session *s = m_sessions.find(sessionId);
    if (!s)
        return;
    SessionStore::StoredSession row;
    row.id = s->id;
    row.user = s->user;
    row.name = s->name;
    row.createdMs = s->createdMs;
    row.lastActivityMs = s->lastActivityMs;
    row.idleTimeoutMs = m_sessions.idleTimeoutMs();
    row.hardEndMs = s->hardEndMs;
    m_store->saveSession(row);
    scheduleStoreFlush();
}

void ServerWorker::storeEnded(const QString &sessionId)
{
    if (!m_store || !m_store->isOpen())
        return;
    const auto t = m_sessions.tombstone(sessionId);
    if (!t)
        return;
    m_store->endSession({sessionId, t->reason, now(), t->untilMs});
    scheduleStoreFlush();
}

bool ServerWorker::storeRevocations(const QList<QString> &sessionIds, QString *error)
{
    clusterRevoked(sessionIds);
    if (!m_store || !m_store->isOpen() || sessionIds.isEmpty())
        return true;
    QList<SessionStore::Revocation> list;
    const qint64 t = now();
    for (const QString &sid : sessionIds) {
        if (const auto tomb = m_sessions.tombstone(sid))
            list.append({sid, tomb->reason, t, tomb->untilMs});
    }
    m_storeFlush.stop();
    if (m_store->revoke(list, error)) {
        m_storeFailing = false;
        return true;
    }
    // Keep them pending: the next flush that works writes them.
    for (const SessionStore::Revocation &r : std::as_const(list))
        m_store->endSession(r);
    reportStoreError(*error);
    scheduleStoreFlush();
    return false;
}

void ServerWorker::scheduleStoreFlush()
{
    if (m_store && m_store->isOpen() && !m_storeFlush.isActive())
        m_storeFlush.start();
}

void ServerWorker::flushStore()
{
    m_storeFlush.stop();
    m_storeCommitSoon.stop();
    if (!m_store || !m_store->isOpen())
        return;
    QString error;
    if (!m_store->flush(&error)) {
        reportStoreError(error);
        scheduleStoreFlush();
        return;
    }
    m_storeFailing = false;
    const qint64 t = now();
    if (t - m_lastRetentionMs >= RetentionEveryMs) {
        m_lastRetentionMs = t;
        m_store->applyRetention(m_config.logKeepDays, m_config.logMaxRows, t);
    }
}

void ServerWorker::reportStoreError(const QString &error)
{
    if (m_storeFailing)
        return; // once per failure streak, not once per retry
    m_storeFailing = true;
    ServerEvent e = makeEvent(ServerEvent::Type::Error);
    e.details.insert(QLatin1String("reason"), QString(QStringLiteral("session store: ") + error));
    log(e);
}

StoreInfo ServerWorker::storeInfo() const
{
    StoreInfo i;
    if (m_store) {
        i.location = m_store->location();
        i.sizeBytes = m_store->sizeBytes();
        i.open = m_store->isOpen();
    }
    return i;
}

ServerEventList ServerWorker::storedEvents(quint64 beforeId, int limit, const QString &type)
{
    if (!m_store || !m_store->isOpen())
        return {};
    flushStore(); // so the pages join up with what the ring holds
    return m_store->eventsBefore(beforeId, qBound(1, limit, 10000), type);
}
