// SPDX-License-Identifier: MIT
#pragma once

#include "server/configloader.h"
#include "server/connectioninfo.h"
#include "server/serverconfig.h"
#include "server/serverevent.h"
#include "server/serverworker.h"
#include "server/tsansync.h"

#include <QtCore/QMap>
#include <QtCore/QObject>
#include <QtCore/QPointer>
#include <QtCore/QString>

#include <functional>
#include <memory>

class QThread;

// Main-thread facade over the server: owns the server thread and its worker, forwards commands
// as queued calls and re-emits the worker's batched value signals. The GUI, the headless console
// and the admin layer all drive the server through this class only. Lives in the main thread.
class ServerHost final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ServerHost)

public:
    explicit ServerHost(QObject *parent = nullptr, ServerWorker::Clock clock = {});
    ~ServerHost() override;

    // Where the configuration comes from, so reloads can read it again.
    void setConfigSource(const QString &file, const QMap<QString, QString> &overrides);
    QString configFile() const { return m_configFile; }
    QMap<QString, QString> configOverrides() const { return m_overrides; }
    ServerConfig config() const { return m_config; }

    void start(const ServerConfig &config);
    // Re-reads the config file (plus the command-line overrides). A bad file is refused with the
    // file, key and reason; the running configuration stays. source: "sighup", "gui", "api"...
    void reloadFromSource(const QString &source);
    // Applies a given config (already validated), e.g. from the settings dialog.
    void reload(const ServerConfig &config, const QString &source);
    void stop(int timeoutMs = 5000);
    // Stop (clients get 4000 `restarting`) and start again on the same port with the same
    // sessions; started() is emitted again, stopped() is not.
    void restart(int timeoutMs = 5000);
    bool isStopping() const { return m_stopping; }

    void setSnapshotsEnabled(bool enabled);
    // The dashboard shows the full per-socket TCP snapshot: while observed the worker polls it
    // every [tcp] poll_interval_ms (and once at once); while not, it polls only what the
    // CLOSE_WAIT alarm needs, less often (ServerWorker::setTcpObserved). Off by default.
    void setTcpObserved(bool observed);

    // Runs fn on the worker in the server thread; its value result is handed to done() in the
    // thread of context (dropped if context is gone). Only values may be captured.
    template<typename R>
    void call(QObject *context, std::function<R(ServerWorker &)> fn,
              std::function<void(const R &)> done = {})
    {
        // The answer goes through the host's own mailbox (when context lives in the host's
        // thread, as it does for every caller so far), so that TSan sees the hand-off back.
        const bool viaHost = !context || context->thread() == thread();
        post([w = m_worker, fn = std::move(fn), ctx = QPointer<QObject>(context),
              done = std::move(done), host = QPointer<ServerHost>(this), viaHost] {
            const R result = fn(*w);
            if (!done || !ctx)
                return;
            if (viaHost && host) {
                TsanSync::postEvent(host.data(), new TsanSync::HandOffEvent([result, done, ctx] {
                                        if (ctx)
                                            done(result);
                                    }));
            } else {
                QMetaObject::invokeMethod(
                    ctx.data(), [result, done] { done(result); }, Qt::QueuedConnection);
            }
        });
    }

    // Like call(), for a worker function that answers later (e.g. after other cluster nodes):
    // fn gets a reply function to call once, in the server thread.
    template<typename R>
    void callAsync(QObject *context,
                   std::function<void(ServerWorker &, std::function<void(const R &)>)> fn,
                   std::function<void(const R &)> done)
    {
        const bool viaHost = !context || context->thread() == thread();
        post([w = m_worker, fn = std::move(fn), ctx = QPointer<QObject>(context),
              done = std::move(done), host = QPointer<ServerHost>(this), viaHost] {
            fn(*w, [ctx, done, host, viaHost](const R &result) {
                if (!done || !ctx)
                    return;
                if (viaHost && host) {
                    TsanSync::postEvent(host.data(),
                                        new TsanSync::HandOffEvent([result, done, ctx] {
                                            if (ctx)
                                                done(result);
                                        }));
                } else {
                    QMetaObject::invokeMethod(
                        ctx.data(), [result, done] { done(result); }, Qt::QueuedConnection);
                }
            });
        });
    }

    using ResultHandler = std::function<void(const OperatorResult &)>;
    // Operator actions (see ServerWorker's operator facade); done() runs in context's thread.
    void disconnectConnection(ConnectionId id, const QString &reason, const QString &actor,
                              QObject *context = nullptr, ResultHandler done = {});
    void forceLogout(const QString &sessionId, const QString &reason, const QString &actor,
                     QObject *context = nullptr, ResultHandler done = {});
    void logoutUser(const QString &user, const QString &reason, const QString &actor, bool dryRun,
                    QObject *context = nullptr, ResultHandler done = {});
    void extendSession(const QString &sessionId, const QString &actor, QObject *context = nullptr,
                       ResultHandler done = {});
    void setListening(bool listening, const QString &actor, QObject *context = nullptr,
                      ResultHandler done = {});
    // [cluster]: closes a connection of another node (4002 there); the result says 404 when that
    // node does not know it. Kicks, logouts and extensions above report every node's counts.
    void disconnectRemote(const QString &node, ConnectionId id, const QString &reason,
                          const QString &actor, QObject *context = nullptr,
                          ResultHandler done = {});
    // [cluster]: the other live nodes' logged-in connections, read from Redis (rows carry their
    // node); ok false when Redis is unreachable.
    using ClusterRowsHandler = std::function<void(const ServerWorker::ClusterRows &)>;
    void fetchClusterConnections(QObject *context, ClusterRowsHandler done);

    static void registerMetaTypes();

protected:
    bool event(QEvent *e) override;

Q_SIGNALS:
    void started(bool ok, const QString &listen, const QString &error);
    void eventsReady(const ServerEventList &events);
    void connectionsChanged(const ConnectionDelta &delta);
    void statsChanged(const ServerStats &stats);
    void reloaded(bool ok, const QStringList &changed, const QString &error);
    void reloadApplied(const QStringList &appliedLive, const QStringList &restartRequired);
    void stopped();
    void tcpSnapshotReady(const TcpSnapshot &snapshot);

private:
    // Runs f in the server thread. Captures must be values: nothing else may cross threads.
    template<typename F>
    void post(F &&f)
    {
        m_mailbox->post(std::forward<F>(f));
    }

    // Re-emits a worker signal from this thread: the arguments are copied in the server thread
    // and posted as one event to this object (what a queued connection does, but as a
    // TsanSync::HandOffEvent, so that a TSan build sees the hand-off).
    template<typename... Args>
    void forward(void (ServerWorker::*signal)(Args...), void (ServerHost::*mine)(Args...))
    {
        connect(
            m_worker, signal, this,
            [this, mine](Args... args) {
                TsanSync::postEvent(this, new TsanSync::HandOffEvent(
                                              [this, mine, args...] { (this->*mine)(args...); }));
            },
            Qt::DirectConnection);
    }

    void stopFromWorker() { stop(); }
    void restartFromWorker() { restart(); }

    struct ThreadStopper
    {
        void operator()(QThread *thread) const;
    };

    std::unique_ptr<QThread, ThreadStopper> m_thread;
    ServerWorker *m_worker = nullptr; // lives in m_thread; deleted when it finishes
    TsanSync::Mailbox *m_mailbox = nullptr; // runs post()ed functors in m_thread; likewise
    ServerConfig m_config;
    QString m_configFile;
    QMap<QString, QString> m_overrides;
    bool m_stopping = false;
};
