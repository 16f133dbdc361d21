// SPDX-License-Identifier: MIT
#include "server/serverhost.h"

#include <QtCore/QThread>

void ServerHost::ThreadStopper::operator()(QThread *thread) const
{
    thread->quit();
    thread->wait();
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
    m_worker = new ServerWorker(std::move(clock));
    m_worker->moveToThread(m_thread.get());
    connect(m_thread.get(), &QThread::finished, m_worker, &QObject::deleteLater);

    connect(m_worker, &ServerWorker::started, this, &ServerHost::started);
    connect(m_worker, &ServerWorker::eventsReady, this, &ServerHost::eventsReady);
    connect(m_worker, &ServerWorker::connectionsChanged, this, &ServerHost::connectionsChanged);
    connect(m_worker, &ServerWorker::statsChanged, this, &ServerHost::statsChanged);
    connect(m_worker, &ServerWorker::reloaded, this, &ServerHost::reloaded);
    connect(m_worker, &ServerWorker::reloadApplied, this, &ServerHost::reloadApplied);
    connect(m_worker, &ServerWorker::stopped, this, &ServerHost::stopped);
    connect(m_worker, &ServerWorker::tcpSnapshotReady, this, &ServerHost::tcpSnapshotReady);
    // POST /api/v1/stop: the worker cannot stop the process; the host stops, `stopped` follows.
    connect(m_worker, &ServerWorker::stopRequested, this, [this] { stop(); });
    // POST /api/v1/restart: the same stop, clients get 4000, then a start on the same port.
    connect(m_worker, &ServerWorker::restartRequested, this, [this] { restart(); });
    m_thread->start();
}

ServerHost::~ServerHost() = default;

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
    call<OperatorResult>(
        context, [=](ServerWorker &w) { return w.forceLogout(sessionId, reason, actor); },
        std::move(done));
}

void ServerHost::logoutUser(const QString &user, const QString &reason, const QString &actor,
                            bool dryRun, QObject *context, ResultHandler done)
{
    call<OperatorResult>(
        context, [=](ServerWorker &w) { return w.logoutUser(user, reason, actor, dryRun); },
        std::move(done));
}

void ServerHost::extendSession(const QString &sessionId, const QString &actor, QObject *context,
                               ResultHandler done)
{
    call<OperatorResult>(
        context, [=](ServerWorker &w) { return w.extendSession(sessionId, actor); },
        std::move(done));
}

void ServerHost::setListening(bool listening, const QString &actor, QObject *context,
                              ResultHandler done)
{
    call<OperatorResult>(
        context, [=](ServerWorker &w) { return w.setListening(listening, actor); },
        std::move(done));
}

void ServerHost::setSnapshotsEnabled(bool enabled)
{
    post([w = m_worker, enabled] { w->setSnapshotsEnabled(enabled); });
}
