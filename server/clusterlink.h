// SPDX-License-Identifier: MIT
#pragma once

#include "server/closecodes.h"
#include "server/connectioninfo.h"
#include "server/jwt.h"
#include "server/operatorresult.h"
#include "server/redisconnection.h"

#include <QtCore/QHash>
#include <QtCore/QJsonObject>
#include <QtCore/QJsonValue>
#include <QtCore/QObject>
#include <QtCore/QSet>
#include <QtCore/QStringList>
#include <QtCore/QTimer>

#include <functional>

// Where the shared Redis is and how this node joins it: parsed from [cluster] (a value).
struct ClusterSettings
{
    QByteArray host;
    int port = 6379;
    int db = 0;
    QByteArray user; // Redis 6 ACL user; empty = the default user
    QByteArray password;
    QString nodeId;
    QString prefix = QStringLiteral("warden:");
    bool refuseLoginsWhenDown = false;

    // redis://[[user]:password@]host[:port][/db]. false with *error saying why.
    static bool parseUrl(const QString &url, ClusterSettings *out, QString *error);
    QString redisDisplay() const; // the URL without the password
};

// This node's link to the other Warden nodes through one Redis (docs/cluster.md): the shared
// session records, the deadline sorted set, revocations, the node and connection registry and the
// pub/sub bus. Two non-blocking hiredis connections (commands, subscriber), reconnected with
// backoff. Lives in the server worker thread; the worker calls it and listens to its signals.
class ClusterLink final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ClusterLink)

public:
    using Clock = std::function<qint64()>;

    struct SessionFields
    {
        QString id;
        QString user;
        QString name;
        qint64 createdMs = 0;
        qint64 lastActivityMs = 0; // 0: a login (joining is not activity)
        qint64 idleMs = 0;
        qint64 hardEndMs = 0;
    };

    enum class Outcome : quint8 {
        Live, // the session exists (fields as Redis holds them)
        Created, // it did not exist and now does, with the fields sent
        Revoked, // it ended (reason, untilMs)
        Claimed, // this node won the expiry claim (reason, untilMs)
        Later, // not due yet cluster-wide (fields.lastActivityMs, deadlineMs)
        Unknown, // Redis does not know the session
        Unavailable, // no answer: Redis is down or the connection was lost
    };
    struct Answer
    {
        Outcome outcome = Outcome::Unavailable;
        SessionFields fields;
        EndReason reason = EndReason::IdleTimeout;
        qint64 untilMs = 0;
        qint64 deadlineMs = 0;
    };
    using AnswerFn = std::function<void(const Answer &)>;

    // A live node as its last heartbeat described it.
    struct Peer
    {
        QString id;
        QString listen;
        int connections = 0;
        int sessions = 0;
        qint64 heartbeatMs = 0;
    };
    struct Status
    {
        bool up = false;
        int nodes = 0; // live nodes seen at the last heartbeat (this one included)
        int sessions = 0; // live sessions in Redis (the deadline index)
        QList<Peer> peers;
        QString lastError;
    };

    ClusterLink(const ClusterSettings &settings, Clock clock, QObject *parent = nullptr);
    ~ClusterLink() override;

    void start();
    bool isUp() const { return m_up; }
    const ClusterSettings &settings() const { return m_settings; }
    const Status &status() const { return m_status; }
    // What the heartbeat advertises about this node, asked at each beat.
    struct NodeInfo
    {
        QString listen;
        int connections = 0;
        int sessions = 0;
    };
    void setNodeInfoSource(std::function<NodeInfo()> source) { m_nodeInfo = std::move(source); }

    // A session seen by this node: returns it as Redis holds it, or creates it there; a revoked
    // one comes back Revoked. sync (after a reconnect) also merges a newer last activity in.
    void registerSession(const SessionFields &fields, AnswerFn answer);
    // Activity; coalesced so each session is written at most about once a second.
    void noteActivity(const QString &sessionId, qint64 lastActivityMs);
    // An operator extension: written at once, and every node re-sends `extended`. lastActivityMs
    // 0 = this node does not hold the session: Redis computes the extension itself.
    void extend(const QString &sessionId, qint64 lastActivityMs, AnswerFn answer = {});
    // Asks to expire a session whose local deadline passed: exactly one node gets Claimed.
    void claimExpiry(const QString &sessionId, AnswerFn answer);
    // Ends a session cluster-wide (kick, logout, ...): the revocation lives until untilMs. Does
    // nothing when a revocation is already there (so a replay after a reconnect is harmless).
    void revoke(const QString &sessionId, const QString &user, EndReason reason, qint64 untilMs);
    // An opaque token issued here (IssuedTokens), shared by its SHA-256 so that any node can
    // verify it; it is deleted with its session (revoked, expired) or at its hard end.
    void saveToken(const QByteArray &hash, const TokenClaims &claims);
    // What Redis holds for a token hash: Live with its claims, Unknown, or Unavailable.
    struct TokenAnswer
    {
        Outcome outcome = Outcome::Unavailable;
        TokenClaims claims;
    };
    void lookupToken(const QByteArray &hash, std::function<void(const TokenAnswer &)> done);
    // Ends every session of the user that Redis knows; answers the number ended there.
    void revokeUser(const QString &user, EndReason reason, qint64 ttlMs,
                    std::function<void(int)> answer = {});
    void broadcast(const QString &event, const QJsonValue &data, const QString &user);
    // Connection registry of this node (a hash with the heartbeat's TTL); writes are coalesced
    // and sent in one HSET / HDEL every ConnFlushMs.
    void connectionOpened(const ConnectionInfo &c);
    void connectionClosed(quint64 id);
    // After a reconnect: drops this node's connection entries before the worker re-adds them.
    void resetConnections();

    // The other live nodes' logged-in connections and the sessions they hold, from the registry
    // (one script call). ok false when Redis is down or did not answer.
    struct ClusterView
    {
        bool ok = false;
        QList<ConnectionInfo> connections; // node set, authenticated
        QList<SessionInfo> sessions; // one per (node, session)
    };
    void fetchView(std::function<void(const ClusterView &)> done);

    // Cluster-wide counts of an operator action (docs/cluster.md, "Counts of forwarded
    // actions"): between beginRequest() and endRequest() every notice this node publishes
    // carries a request id; endRequest() publishes `fin`, and each other live node answers on
    // this node's reply channel with what it did for that id. The tally is complete when every
    // live node answered, or after ReplyWaitMs.
    struct Tally
    {
        int sessions = 0;
        int connections = 0;
        QJsonObject nodes; // node id -> {"sessions", "connections"}
        QStringList noAnswer; // live nodes that did not answer in time
    };
    QString beginRequest();
    void endRequest();
    // done runs once, with the tally of rid (at once when it is already complete or unknown).
    void awaitRequest(const QString &rid, std::function<void(const Tally &)> done);
    // Inside a handler of a notice with a request id: what this node did for it.
    void count(int sessions, int connections);
    // Asks `node` to close its connection id (4002); counted like the notices above.
    void disconnectRemote(const QString &node, quint64 id, const QString &reason);
    static constexpr int ReplyWaitMs = 1000;
    void setRevocationTtl(qint64 ms) { m_revocationTtlMs = ms; }

    static QString reasonName(EndReason r);
    static bool reasonFromName(const QByteArray &name, EndReason *out);

Q_SIGNALS:
    // Redis became reachable (both connections ready) or was lost. After `up` the worker replays
    // its state (sessions, revocations, connections), since notices may have been missed.
    void stateChanged(bool up, const QString &reason);
    void remoteActivity(const QString &sessionId, qint64 lastActivityMs, bool extended);
    void remoteEnded(const QString &sessionId, const QString &user, EndReason reason,
                     qint64 untilMs);
    void remoteBroadcast(const QString &event, const QJsonValue &data, const QString &user);
    // The set of live nodes changed (a node joined or its heartbeat stopped).
    void nodesChanged();
    // Another node asks this one to close one of its connections.
    void remoteDisconnect(quint64 id, const QString &reason, const QString &fromNode);
    // The sweeper of this node claimed the expiry of a session no node expired in time.
    void sweptExpired(const QString &sessionId, const QString &user, EndReason reason,
                      qint64 untilMs, qint64 deadlineMs);

private:
    QByteArray key(const QString &suffix) const;
    QByteArray channel() const;
    void connectNow();
    void onLost(const QString &why);
    void markUpIfReady();
    void onMessage(const QByteArray &payload);
    void heartbeat();
    void sweep();
    void flushActivity();
    void eval(const QByteArray &script, const QList<QByteArray> &args,
              RedisConnection::Callback callback = {});
    static Answer sessionAnswer(const RedisReply &r, const QString &sessionId);
    void flushConnections();
    void publish(QJsonObject message);
    void onReply(const QByteArray &payload);
    void finishRequest(const QString &rid);
    QByteArray replyChannel(const QString &node) const;

    ClusterSettings m_settings;
    Clock m_clock;
    RedisConnection m_cmd;
    RedisConnection m_sub;
    bool m_running = false;
    bool m_up = false;
    bool m_cmdReady = false;
    bool m_subscribed = false;
    bool m_downReported = false;
    int m_backoffMs = 0;
    QTimer m_reconnect;
    QTimer m_heartbeat;
    QTimer m_activityFlush;
    QHash<QString, qint64> m_pendingActivity;
    qint64 m_revocationTtlMs = qint64(7) * 24 * 3600 * 1000;
    Status m_status;
    std::function<NodeInfo()> m_nodeInfo;
    qint64 m_startedMs = 0;
    QString m_firstError; // what Redis refused first since the last connect (AUTH, SELECT...)
    QTimer m_connFlush;
    QHash<quint64, QByteArray> m_connWrites; // id -> registry entry; empty = remove
    // Request ids: the one being published under, the one being handled, and those this node
    // waits on.
    QString m_rid;
    QString m_incomingRid;
    quint64 m_nextRid = 0;
    struct Counted
    {
        int sessions = 0;
        int connections = 0;
    };
    QHash<QString, Counted> m_counted; // incoming rid -> what this node did
    struct Waiting
    {
        Tally tally;
        QSet<QString> expected;
        bool done = false;
        std::function<void(const Tally &)> callback;
        QTimer *timer = nullptr;
    };
    QHash<QString, Waiting> m_waiting;
};
