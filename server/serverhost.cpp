// SPDX-License-Identifier: MIT
#include "server/serverhost.h"

#include "server/epolleventdispatcher.h"

#include <QtCore/QThread>

void ServerHost::ThreadStopper::operator()(QThread *thread) const
{
    thread->quit();
    thread->wait();
    // QThread's threads are detached: TSan sees no join. wait() returns once the thread has
    // deleted the worker (see the constructor); say so, so that what the worker did last is
    // ordered before what this thread frees next.
    TsanSync::acquire(thread);
    delete thread;
}

void ServerHost::registerMetaTypes()
{
    qRegisterMetaType<ServerConfig>();
    qRegisterMetaType<ServerEvent>();
    qRegisterMetaType<ServerEventList>();
    qRegisterMetaType<ConnectionInfo>();
    qRegisterMetaType<ConnectionDelta>();
    qRegisterMetaType<ServerStats>();
    qRegisterMetaType<OperatorResult>();
    qRegisterMetaType<TcpSnapshot>();
    qRegisterMetaType<SessionInfo>();
    qRegisterMetaType<ConnectionId>("ConnectionId");
}

ServerHost::ServerHost(QObject *parent, ServerWorker::Clock clock)
    : QObject(parent)
    , m_thread(new QThread)
{
    registerMetaTypes();
    m_thread->setObjectName(QStringLiteral("warden-server"));
    // Qt's own dispatchers poll every socket on every wakeup; the epoll one costs O(ready
    // sockets) (docs/performance.md). WARDEN_EVENT_DISPATCHER=qt keeps Qt's.
    if (EpollEventDispatcher::wanted()) {
        auto dispatcher = std::make_unique<EpollEventDispatcher>();
        if (dispatcher->isValid())
            m_thread->setEventDispatcher(dispatcher.release());
    }
    m_worker = new ServerWorker(std::move(clock));
    m_worker->moveToThread(m_thread.get());
    connect(m_thread.get(), &QThread::finished, m_worker, &QObject::deleteLater);
    m_mailbox = new TsanSync::Mailbox;
    m_mailbox->moveToThread(m_thread.get());
    connect(m_thread.get(), &QThread::finished, m_mailbox, &QObject::deleteLater);
    // The worker's last act in its thread, after all its members are gone (deleteLater above
    // runs while the thread finishes, before wait() returns): pairs with ThreadStopper.
    connect(
        m_worker, &QObject::destroyed, m_worker,
        [thread = m_thread.get()] { TsanSync::release(thread); }, Qt::DirectConnection);

    forward(&ServerWorker::started, &ServerHost::started);
    forward(&ServerWorker::eventsReady, &ServerHost::eventsReady);
    forward(&ServerWorker::connectionsChanged, &ServerHost::connectionsChanged);
    forward(&ServerWorker::statsChanged, &ServerHost::statsChanged);
    forward(&ServerWorker::reloaded, &ServerHost::reloaded);
    forward(&ServerWorker::reloadApplied, &ServerHost::reloadApplied);
    forward(&ServerWorker::stopped, &ServerHost::stopped);
    forward(&ServerWorker::tcpSnapshotReady, &ServerHost::tcpSnapshotReady);
    // POST /api/v1/stop: the worker cannot stop the process; the host stops, `stopped` follows.
    // POST /api/v1/restart: the same stop, clients get 4000, then a start on the same port.
    forward(&ServerWorker::stopRequested, &ServerHost::stopFromWorker);
    forward(&ServerWorker::restartRequested, &ServerHost::restartFromWorker);
    m_thread->start();
}

ServerHost::~ServerHost() = default;

bool ServerHost::event(QEvent *e)
{
    return TsanSync::deliver(e) || QObject::event(e);
}

void ServerHost::setConfigSource(const QString &file, const QMap<QString, QString> &overrides)
{
    m_configFile = file;
    m_overrides = overrides;
}

void ServerHost::start(const ServerConfig &config)
{
    m_config = config;
    post([w = m_worker, config] { w->start(config); });
}

void ServerHost::reloadFromSource(const QString &source)
{
    const ConfigResult r = ConfigLoader::load(m_configFile, m_overrides);
    if (!r.ok()) {
        post([w = m_worker, e = r.error, source] {
            w->reportReloadFailure(e.file, e.key, e.reason, source);
        });
        return;
    }
    reload(r.config, source);
}

void ServerHost::reload(const ServerConfig &config, const QString &source)
{
    m_config = config;
    post([w = m_worker, config, source] { w->applyConfig(config, source); });
}

void ServerHost::stop(int timeoutMs)
{
    if (m_stopping)
        return;
    m_stopping = true;
    post([w = m_worker, timeoutMs] { w->stop(timeoutMs); });
}

void ServerHost::restart(int timeoutMs)
{
    if (m_stopping)
        return;
    post([w = m_worker, timeoutMs] { w->restart(timeoutMs); });
}

void ServerHost::disconnectConnection(ConnectionId id, const QString &reason, const QString &actor,
                                      QObject *context, ResultHandler done)
{
    call<OperatorResult>(
        context, [=](ServerWorker &w) { return w.disconnectConnection(id, reason, actor); },
        std::move(done));
}

void ServerHost::forceLogout(const QString &sessionId, const QString &reason, const QString &actor,
                             QObject *context, ResultHandler done)
{
    callAsync<OperatorResult>(
        context,
        [=](ServerWorker &w, ResultHandler reply) {
            w.awaitCluster(w.forceLogout(sessionId, reason, actor), std::move(reply));
        },
        std::move(done));
}

void ServerHost::logoutUser(const QString &user, const QString &reason, const QString &actor,
                            bool dryRun, QObject *context, ResultHandler done)
{
    callAsync<OperatorResult>(
        context,
        [=](ServerWorker &w, ResultHandler reply) {
            w.awaitCluster(w.logoutUser(user, reason, actor, dryRun), std::move(reply));
        },
        std::move(done));
}

void ServerHost::extendSession(const QString &sessionId, const QString &actor, QObject *context,
                               ResultHandler done)
{
    callAsync<OperatorResult>(
        context,
        [=](ServerWorker &w, ResultHandler reply) {
            w.awaitCluster(w.extendSession(sessionId, actor), std::move(reply));
        },
        std::move(done));
}

void ServerHost::setListening(bool listening, const QString &actor, QObject *context,
                              ResultHandler done)
{
    call<OperatorResult>(
        context, [=](ServerWorker &w) { return w.setListening(listening, actor); },
        std::move(done));
}

void ServerHost::disconnectRemote(const QString &node, ConnectionId id, const QString &reason,
                                  const QString &actor, QObject *context, ResultHandler done)
{
    callAsync<OperatorResult>(
        context,
        [=](ServerWorker &w, ResultHandler reply) {
            w.awaitCluster(w.disconnectRemote(node, id, reason, actor), std::move(reply));
        },
        std::move(done));
}

void ServerHost::fetchClusterConnections(QObject *context, ClusterRowsHandler done)
{
    callAsync<ServerWorker::ClusterRows>(
        context, [](ServerWorker &w, ClusterRowsHandler reply) { w.clusterRows(std::move(reply)); },
        std::move(done));
}

void ServerHost::setSnapshotsEnabled(bool enabled)
{
    post([w = m_worker, enabled] { w->setSnapshotsEnabled(enabled); });
}

void ServerHost::setTcpObserved(bool observed)
{
    post([w = m_worker, observed] { w->setTcpObserved(observed); });
}
