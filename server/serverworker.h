// SPDX-License-Identifier: MIT
#pragma once

#include "server/admissionpolicy.h"
#include "server/closecodes.h"
#include "server/connectioninfo.h"
#include "server/eventring.h"
#include "server/issuedtokens.h"
#include "server/memorytrim.h"
#include "server/metrics.h"
#include "server/operatorresult.h"
#include "server/serverconfig.h"
#include "server/serverevent.h"
#include "server/sessionregistry.h"
#include "server/sessionstore.h"
#include "server/tcpmonitor.h"
#include "server/websocketconnection.h"

#include <QtCore/QElapsedTimer>
#include <QtCore/QHash>
#include <QtCore/QJsonObject>
#include <QtCore/QObject>
#include <QtCore/QSet>
#include <QtCore/QTimer>
#include <QtNetwork/QHostAddress>

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <optional>

class AdminServer;
class ClusterLink;
class HttpFrontend;
class IoThreads;
class ParallelSender;

// The whole server: the main port, its connections, the sessions and their deadlines, the expiry
// timer and the event log. A parentless QObject that ServerHost moves into the server thread; its
// slots are only ever invoked through queued calls and only values cross the thread boundary.
class ServerWorker final : public QObject, private WebSocketConnection::Listener
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ServerWorker)

public:
    using Clock = std::function<qint64()>; // wall clock, ms since the epoch

    explicit ServerWorker(Clock clock = {});
    ~ServerWorker() override;

public Q_SLOTS:
    void start(const ServerConfig &config);
    // Applies an already validated configuration; changes take effect without dropping anyone.
    void applyConfig(const ServerConfig &config, const QString &source);
    void reportReloadFailure(const QString &file, const QString &key, const QString &reason,
                             const QString &source);
    // Graceful stop: stop listening, close every client with 4001, wait for them up to timeoutMs.
    void stop(int timeoutMs);
    // The stop half of a restart: like stop(), but clients get 4000 `restarting`. The sessions
    // are in the store; a new worker started on the same data dir continues them.
    void stopForRestart(int timeoutMs);
    // Restart in place: stopForRestart(), then start again with the same configuration and port;
    // sessions and revocations come back from the store (kept in memory when there is none).
    // Emits started() again instead of stopped().
    void restart(int timeoutMs);

    void setSnapshotsEnabled(bool enabled);
    // Whether someone shows the full per-socket TCP snapshot (the dashboard does while it
    // exists). Observed: full polls every [tcp] poll_interval_ms, the first one at once.
    // Unobserved: only what the CLOSE_WAIT alarm needs, every tcpPollIntervalMs() (longer);
    // readers of the full data (admin API) poll on demand, see freshTcpSnapshot().
    void setTcpObserved(bool observed);

public:
    // The operator facade: everything an operator can do, for the GUI (through ServerHost), the
    // admin API and ctl alike. Call in the server thread. `actor` says who asked (an OS user, a
    // token name); every action is written to the event log as an `audit` entry.
    OperatorResult disconnectConnection(ConnectionId id, const QString &reason,
                                        const QString &actor);
    OperatorResult forceLogout(const QString &sessionId, const QString &reason,
                               const QString &actor);
    // Ends every session of the user. With dryRun nothing happens; the counts say what would close.
    OperatorResult logoutUser(const QString &user, const QString &reason, const QString &actor,
                              bool dryRun);
    // Moves the session's deadline by one idle timeout past max(deadline, now).
    OperatorResult extendSession(const QString &sessionId, const QString &actor);
    // Activity reported by the backend (not by a tab): resets the idle deadline like a tab would.
    OperatorResult touchSession(const QString &sessionId, const QString &actor);
    // [cluster]: closes a connection that lives on another node (through pub/sub; 4002 there).
    // The answer is 202 with a request whose tally (awaitCluster) says whether it was closed.
    OperatorResult disconnectRemote(const QString &node, ConnectionId id, const QString &reason,
                                    const QString &actor);
    // [cluster]: the result of an action with the other nodes' counts merged in (`nodes`,
    // `no_answer`), once every live node answered or after ClusterLink::ReplyWaitMs; at once
    // (unchanged) when the action did not go to other nodes. done runs in the server thread.
    void awaitCluster(const OperatorResult &result,
                      std::function<void(const OperatorResult &)> done);
    // [cluster]: this node's id; empty when it runs alone.
    QString nodeId() const;
    // [cluster]: the other live nodes' connections and sessions from Redis (ok false when Redis
    // is down). done runs in the server thread.
    struct ClusterRows
    {
        bool ok = false;
        QList<ConnectionInfo> connections;
        QList<SessionInfo> sessions;
    };
    void clusterRows(std::function<void(const ClusterRows &)> done);
    // Sends ["event", data] to every logged-in connection, or only to the user's.
    OperatorResult broadcast(const QString &event, const QJsonValue &data, const QString &user,
                             const QString &actor);
    // Stops or resumes accepting connections; live connections are untouched.
    OperatorResult setListening(bool listening, const QString &actor);

    QList<ConnectionInfo> connections() const;
    QList<SessionInfo> sessions() const;
    std::optional<SessionInfo> session(const QString &sessionId) const;
    ServerStats stats() const;
    const ServerConfig &config() const { return m_config; }
    const EventRing &eventRing() const { return m_ring; }
    // The latest kernel TCP snapshot (source Unavailable until the first poll). Its scope is
    // Full only while observed or after an on-demand full poll.
    const TcpSnapshot &tcpSnapshot() const { return m_tcpSnapshot; }
    // The latest snapshot, polled afresh first when it does not cover `wanted` or is at least
    // maxAgeMs old (0: always). The poll blocks this thread for the kernel query; it also updates
    // the connections' TCP state (Full) and feeds the CLOSE_WAIT alarm. No poll while the monitor
    // is off or the server is not running: the latest snapshot as it is.
    const TcpSnapshot &freshTcpSnapshot(TcpSnapshot::Scope wanted, qint64 maxAgeMs);
    bool isTcpObserved() const { return m_tcpObserved; }
    // The periodic poll's interval: [tcp] poll_interval_ms while observed, else
    // max(poll_interval_ms, min(close_wait_alarm / 2, 5 s)); 0 when the monitor is off.
    int tcpPollIntervalMs() const;
    // Ports whose sockets the TCP monitor reports: the main port (more may be added, e.g. admin).
    // The listener's address says which address families to ask the kernel for; a null one
    // (unknown) asks for both.
    void addMonitoredPort(quint16 port, const QHostAddress &listener = QHostAddress());
    // The persistent store (docs/persistence.md): its path and size, and older history than the
    // in-memory ring holds (events with id < beforeId, 0 = newest; oldest first; type optional).
    StoreInfo storeInfo() const;
    ServerEventList storedEvents(quint64 beforeId, int limit, const QString &type = QString());

    // Admin API support (server/adminserver.h, docs/admin-api.md).
    // A session issued to a backend: an opaque random login token bound to a new session whose
    // idle clock starts now. idleTimeoutMs/maxAgeMs 0 = the configured timeout / no hard end.
    OperatorResult createSession(const QString &user, const QString &name, qint64 idleTimeoutMs,
                                 qint64 maxAgeMs, const QString &actor);
    // An operator action carried out outside the facade (reload, stop...), for the audit log.
    void recordAudit(const QString &action, const QString &target, const QString &actor,
                     const QString &reason, const OperatorResult &result)
    {
        audit(action, target, actor, reason, result);
    }
    void logEvent(ServerEvent::Type type, const QJsonObject &details)
    {
        ServerEvent e = makeEvent(type);
        e.details = details;
        log(e);
    }
    Metrics &metrics() { return m_metrics; }
    const Metrics &metrics() const { return m_metrics; }
    AdminServer *adminServer() const { return m_admin.get(); }
    // The main port's acceptor (nullptr before start); its unupgraded sockets are its children.
    HttpFrontend *frontend() const { return m_frontend.get(); }
    // The I/O threads of [server] io_threads (nullptr when there are none).
    IoThreads *ioThreads() const { return m_io.get(); }
    qint64 currentTimeMs() const { return now(); }
    // [cluster]: this node, Redis' state and every live node as last seen (null when alone).
    QJsonValue clusterInfo() const;

Q_SIGNALS:
    void started(bool ok, const QString &listen, const QString &error);
    void eventsReady(const ServerEventList &events);
    void connectionsChanged(const ConnectionDelta &delta);
    void statsChanged(const ServerStats &stats);
    void reloaded(bool ok, const QStringList &changed, const QString &error);
    // After a successful reload: the changed keys split into applied live and needing a restart.
    void reloadApplied(const QStringList &appliedLive, const QStringList &restartRequired);
    void stopped();
    // The kernel's view of Warden's port after each poll (shared list: cheap to copy): full ones
    // every [tcp] poll_interval_ms while observed, CloseWait ones less often while not, and the
    // on-demand polls of freshTcpSnapshot().
    void tcpSnapshotReady(const TcpSnapshot &snapshot);
    // An operator asked to stop the whole process (admin API); the host stops, the app exits.
    void stopRequested();
    // An operator asked for a restart in place (admin API); the host restarts the worker.
    void restartRequested();

private:
    struct Connection
    {
        WebSocketConnection *socket = nullptr; // NativeWebSocket or QtWebSocketConnection
        ConnectionInfo info;
        QByteArray tokenHash; // tells its token from another on a repeated loginCheck
        quint16 closeCode = 0; // set when Warden starts the close
        QString closeReason;
        TcpTuple tcpTuple; // what the TCP monitor's sockets are matched by
        // Socket.IO endpoint only.
        bool sioConnected = false; // the namespace "/" is connected (CONNECT accepted)
        bool awaitingPong = false;
        qint64 pingSentMs = 0;
        int binaryToSkip = 0; // attachments of a refused binary event still to come
        qint64 slowConsumerBytes = 0; // unsent bytes when closed as a slow consumer
    };

    void onWebSocket(WebSocketConnection *socket);
    // WebSocketConnection::Listener: the tag is the ConnectionId.
    void connectionText(quint64 tag, const QString &text) override { onText(tag, text); }
    void connectionBinary(quint64 tag, const QByteArray &) override { onBinary(tag); }
    void connectionViolation(quint64 tag, int closeCode, const QString &reason) override;
    void connectionDisconnected(quint64 tag) override { onDisconnected(tag); }
    void logViolation(const QString &peer, int closeCode, const QString &reason);
    void startEcho(WebSocketConnection *socket);
    void onText(ConnectionId id, const QString &text);
    void onBinary(ConnectionId id);
    void onDisconnected(ConnectionId id);
    void onSocketIoText(Connection &c, const QString &text);
    // An application event from either endpoint; ackId >= 0 asks a Socket.IO ack.
    void handleEvent(Connection &c, const QString &event, const QJsonValue &data, qint64 ackId);
    void handleLogin(Connection &c, const QJsonValue &token);
    // A refused login: 42["message", data] (raw) or 44{message, data} (Socket.IO), then the close
    // code unless it is 0.
    void refuseLogin(Connection &c, int code, const QString &reason, quint16 closeCode,
                     const QJsonObject &extra = {});
    void handleLogout(Connection &c);
    // 401 invalid_token, close 4500 (detail: why the token was refused).
    void refuseInvalidToken(Connection &c, const QString &detail);
    // [limits] max_connections_per_user, replace_oldest: closes the oldest of the user's other
    // connections (4505 `replaced`) until `keep` of them remain.
    void replaceOldest(const QList<ConnectionId> &oldestFirst, int keep, ConnectionId newcomer);

    void send(Connection &c, const QString &event, const QJsonValue &data);
    void sendRaw(Connection &c, const QString &frame);
    // The bookkeeping of a frame of textSize characters sent to c: counters, the dashboard, and
    // the slow-consumer check.
    void noteSent(Connection &c, qsizetype textSize);
    // Writes text as one frame to each of ids (raw-endpoint connections): those that are native
    // with nothing queued (directWriteFd() >= 0) through the ParallelSender, all at once, the
    // others through sendRaw(); then each one's bookkeeping.
    void sendDirect(const std::vector<ConnectionId> &ids, const QString &text);
    void sendMessage(Connection &c, int code, const QString &reason);
    void closeConnection(Connection &c, quint16 code, const QString &reason);
    // The first half of closeConnection(): from here the connection is closing (input ignored,
    // nothing more sent) but no close frame is written yet. False if it was closing already.
    bool beginClose(Connection &c, quint16 code, const QString &reason);
    // The second half: the close frame, and the grace period for the peer's answer.
    void sendClose(Connection &c);
    // Sends the 401 message to each connection and flushes it to the kernel, then closes them on
    // the following event-loop turns (closeDrain): the push goes out before any teardown work,
    // so a mass expiry is as late as its pushes, not as its closes.
    void closeSessionConnections(const QList<ConnectionId> &ids, EndReason reason);
    // The same for the connections of many sessions at once (a mass expiry): the pushes to
    // native connections with nothing queued are written by the ParallelSender, one frame per
    // reason for all of them; the others take the usual path.
    void endConnections(const QList<SessionRegistry::Expired> &ended);
    // The session-ended push (401) of one reason, encoded once for every tab of a batch.
    struct EndedPush
    {
        QString raw;
        QString socketIo;
    };
    const QString &endedPushFrame(EndedPush &push, EndReason reason, bool socketIo) const;
    // After c's end push: closing from now on, its close frame queued for closeDrain().
    void queueEndClose(Connection &c, EndReason reason);
    void closeDrain();
    void sendExpiring(const QString &sessionId, qint64 deadlineMs, const QList<ConnectionId> &ids);
    void sendExtended(const QString &sessionId);
    void updateSessionFields(const QString &sessionId);

    void armTimer();
    void onTimer();

    ServerEvent makeEvent(ServerEvent::Type type, const Connection *c = nullptr) const;
    // The details of the two events of every login, which repeat from connection to connection:
    // built once and copied (one reference count), where each QJsonObject::insert() cost
    // thousands of instructions per login.
    QJsonObject connectedDetails(const QString &path, ConnectionInfo::Endpoint endpoint);
    QJsonObject authenticatedDetails(bool newSession, int tabs, const QString &name);
    void log(ServerEvent event);
    void markDirty(ConnectionId id);
    void flushEvents();
    void flushSnapshot();
    void audit(const QString &action, const QString &target, const QString &actor,
               const QString &reason, const OperatorResult &result, const Connection *c = nullptr);
    SessionInfo sessionInfo(const SessionRegistry::Session &s) const;
    void finishStop();
    qint64 now() const { return m_clock(); }

    Clock m_clock;
    ServerConfig m_config;
    // [server] io_threads (null with none); before m_frontend, which hands connections to it.
    std::unique_ptr<IoThreads> m_io;
    std::unique_ptr<HttpFrontend> m_frontend;
    SessionRegistry m_sessions;
    EventRing m_ring;

    ConnectionId m_nextConnectionId = 1;
    QHash<ConnectionId, Connection> m_connections;
    DeadlineIndex m_connectionDeadlines; // login timeout before login, close grace after a close
    DeadlineIndex m_pingDeadlines; // Socket.IO: next ping, or the pong timeout while awaiting one

    QTimer m_timer; // the one expiry timer, armed at the nearest deadline
    qint64 m_armedAtMs = 0;

    ServerEventList m_pendingEvents;
    QTimer m_eventFlush;
    bool m_snapshots = false;
    QSet<ConnectionId> m_dirty;
    QList<ConnectionId> m_removed;
    QTimer m_snapshotFlush;

    AdmissionPolicy m_admission;
    QHash<AddressKey, int> m_connectionsPerIp; // peer address -> open WebSockets
    void applyAdmissionSettings();

    TcpMonitor m_tcpMonitor;
    TcpSnapshot m_tcpSnapshot;
    QHash<TcpTuple, ConnectionId> m_connectionByTcpTuple;
    QList<quint16> m_extraTcpPorts;
    bool m_extraTcpIpv4 = false; // an extra port's listener can have IPv4 sockets
    bool m_extraTcpIpv6 = false;
    QTimer m_tcpPoll; // active exactly while the monitor runs
    bool m_tcpObserved = false;
    QElapsedTimer m_tcpPolledAt; // when m_tcpSnapshot was taken (monotonic)
    void pollTcp(TcpSnapshot::Scope scope);
    // (Re)arms the periodic poll for the current config and observer; pollNow polls at once.
    void applyTcpInterval(bool pollNow = true);

    qint64 m_startedAtMs = 0;
    quint64 m_accepted = 0;
    bool m_stopping = false;
    bool m_stopped = false;
    QTimer m_stopDeadline;

    Metrics m_metrics;
    MemoryTrim m_memoryTrim; // malloc_trim() after mass disconnects
    IssuedTokens m_issuedTokens;
    std::unique_ptr<AdminServer> m_admin; // declared last: goes first, while the rest still exists
    // Persistence: see docs/persistence.md for what is written when.
    std::unique_ptr<SessionStore> m_store;
    QTimer m_storeFlush;
    QTimer m_storeCommitSoon;
    qint64 m_lastRetentionMs = 0;
    bool m_storeFailing = false;
    int m_restoredSessions = 0;
    int m_restoredRevocations = 0;
    QString m_storeSetAsideTo; // --reset-store moved an unusable file here
    QString m_storeSetAsideWhy;
    bool openStore(QString *error);
    void restoreFromStore();
    void storeSession(const QString &sessionId);
    void storeEnded(const QString &sessionId);
    // Durable before it returns; false (and the error logged) when the disk refused.
    bool storeRevocations(const QList<QString> &sessionIds, QString *error);
    void scheduleStoreFlush();
    void flushStore();
    void reportStoreError(const QString &error);

    // Connections whose 401 push is out and whose close frame follows (closeSessionConnections).
    std::unique_ptr<ParallelSender> m_sender; // made on first use
    QString m_connectedPath;
    ConnectionInfo::Endpoint m_connectedEndpoint = ConnectionInfo::Endpoint::Raw;
    QJsonObject m_connectedDetails;
    std::array<QJsonObject, 16> m_authenticatedDetails; // by tabs * 2 + new_session
    QList<ConnectionId> m_closeQueue;
    qsizetype m_closeQueueHead = 0;
    QTimer m_closeDrain; // 0 ms: the next event-loop turn

    // A stop spreads its closes over [shutdown] spread_ms with one stepping timer.
    QTimer m_stopStep;
    QList<ConnectionId> m_stopQueue;
    qsizetype m_stopClosed = 0;
    int m_stopSpreadMs = 0;
    QElapsedTimer m_stopClock;
    quint16 m_stopCode = CloseCode::ShuttingDown;
    void stepStop();
    bool m_restarting = false;
    void restartNow();

    // Cluster (docs/cluster.md): the hooks below are the worker's only contact with ClusterLink;
    // they live in serverworkercluster.cpp. m_cluster is null when this node runs alone.
    std::unique_ptr<ClusterLink> m_cluster;
    QSet<ConnectionId> m_clusterPendingLogins; // logins waiting for Redis to answer
    QSet<QString> m_clusterBypass; // sessions re-entering handleLogin after that answer
    void startCluster();
    // True when the cluster took the login over (a lookup in Redis, or a refusal while down).
    bool clusterHoldsLogin(Connection &c, const QJsonValue &token, const TokenClaims &claims);
    // An opaque token this node does not know: asks Redis, then logs in or refuses.
    void clusterLookupToken(Connection &c, const QJsonValue &token, const QByteArray &hash);
    void clusterTokenIssued(const QByteArray &hash, const TokenClaims &claims);
    void clusterLoggedIn(const Connection &c);
    void clusterDisconnected(const Connection &c);
    void clusterActivity(const QString &sessionId);
    void clusterExtended(const QString &sessionId);
    void clusterSessionCreated(const QString &sessionId);
    void clusterRevoked(const QList<QString> &sessionIds);
    bool clusterHoldsExpiries() const;
    void clusterExpire(const SessionRegistry::Due &due);
    // Operator actions on sessions this node does not hold: carried out in Redis (202).
    OperatorResult clusterForwardLogout(const QString &sessionId, const QString &reason,
                                        const QString &actor);
    OperatorResult clusterForwardExtend(const QString &sessionId, const QString &actor);
    void clusterLogoutUser(const QString &user, OperatorResult &result);
    void clusterBroadcast(const QString &event, const QJsonValue &data, const QString &user,
                          OperatorResult &result);
    void clusterStats(ServerStats &s) const;
    void expireClaimed(const QString &sessionId, const QString &user, EndReason reason,
                       qint64 deadlineMs, const QJsonObject &extra);
    void onClusterState(bool up, const QString &reason);
    void onClusterActivity(const QString &sessionId, qint64 lastActivityMs, bool extended);
    void onClusterEnded(const QString &sessionId, const QString &user, EndReason reason,
                        qint64 untilMs);
    void onClusterBroadcast(const QString &event, const QJsonValue &data, const QString &user);
    void onClusterDisconnect(ConnectionId id, const QString &reason, const QString &fromNode);
    // Runs an operator action under a cluster request id, so that the other nodes count what
    // they do for it (ClusterLink::beginRequest).
    OperatorResult counted(const std::function<OperatorResult()> &action);
    OperatorResult forceLogoutNow(const QString &sessionId, const QString &reason,
                                  const QString &actor);
    OperatorResult logoutUserNow(const QString &user, const QString &reason, const QString &actor,
                                 bool dryRun);
    OperatorResult extendSessionNow(const QString &sessionId, const QString &actor);
    OperatorResult broadcastNow(const QString &event, const QJsonValue &data, const QString &user,
                                const QString &actor);
};
