// SPDX-License-Identifier: MIT
// ServerWorker's cluster hooks (docs/cluster.md), kept apart from the hot path in
// serverworker.cpp: each hook is a no-op when [cluster] redis is empty.
#include "server/clusterlink.h"
#include "server/serverworker.h"

#include <QtCore/QJsonArray>
#include <QtNetwork/QHostInfo>
#include <QtWebSockets/QWebSocket>

namespace {
QString reasonText(EndReason r)
{
    return QString::fromLatin1(endReasonInfo(r).reason);
}
} // namespace

void ServerWorker::startCluster()
{
    if (m_cluster || m_config.clusterRedis.isEmpty())
        return;
    ClusterSettings settings;
    QString error;
    ClusterSettings::parseUrl(m_config.clusterRedis, &settings, &error); // validated at load
    settings.prefix = m_config.clusterPrefix;
    settings.refuseLoginsWhenDown = m_config.clusterRefuseLoginsWhenDown;
    settings.nodeId
        = m_config.clusterNodeId.isEmpty()
              ? QHostInfo::localHostName() + QLatin1Char(':') + QString::number(m_config.listenPort)
              : m_config.clusterNodeId;
    m_cluster = std::make_unique<ClusterLink>(settings, m_clock);
    m_cluster->setRevocationTtl(m_config.revocationTtlMs);
    m_cluster->setNodeInfoSource([this] {
        return ClusterLink::NodeInfo{m_config.listenString(), int(m_connections.size()),
                                     int(m_sessions.sessionCount())};
    });
    connect(m_cluster.get(), &ClusterLink::stateChanged, this, &ServerWorker::onClusterState);
    connect(m_cluster.get(), &ClusterLink::remoteActivity, this, &ServerWorker::onClusterActivity);
    connect(m_cluster.get(), &ClusterLink::remoteEnded, this, &ServerWorker::onClusterEnded);
    connect(m_cluster.get(), &ClusterLink::remoteBroadcast, this,
            &ServerWorker::onClusterBroadcast);
    connect(m_cluster.get(), &ClusterLink::remoteDisconnect, this,
            &ServerWorker::onClusterDisconnect);
    // The dashboard's indicator counts the nodes: tell it when they change, not only with events.
    connect(m_cluster.get(), &ClusterLink::nodesChanged, this,
            [this] { Q_EMIT statsChanged(stats()); });
    connect(m_cluster.get(), &ClusterLink::sweptExpired, this,
            [this](const QString &sid, const QString &user, EndReason reason, qint64,
                   qint64 deadlineMs) {
                expireClaimed(sid, user, reason, deadlineMs,
                              QJsonObject{{QLatin1String("swept"), true}});
            });
    m_cluster->start();
}

bool ServerWorker::clusterHoldsLogin(Connection &c, const QJsonValue &token,
                                     const TokenClaims &claims)
{
    if (m_clusterPendingLogins.contains(c.info.id))
        return true; // a repeated loginCheck waits for the answer to the first
    const QString sid = claims.sessionId;
    if (m_clusterBypass.contains(sid))
        return false;
    if (!m_cluster->isUp()) {
        if (!m_config.clusterRefuseLoginsWhenDown)
            return false; // serve_local: reconciled when Redis is back
        ServerEvent e = makeEvent(ServerEvent::Type::Rejected, &c);
        e.sessionId = sid;
        e.user = claims.user;
        e.details.insert(QLatin1String("status"), 503);
        e.details.insert(QLatin1String("reason"), QLatin1String("cluster_unavailable"));
        log(e);
        refuseLogin(c, 503, QStringLiteral("cluster_unavailable"), CloseCode::ClusterUnavailable);
        return true;
    }
    if (m_sessions.find(sid) || m_sessions.tombstone(sid))
        return false; // this node already knows (and hears about) the session
    const ConnectionId id = c.info.id;
    m_clusterPendingLogins.insert(id);
    ClusterLink::SessionFields f;
    f.id = sid;
    f.user = claims.user;
    f.name = claims.name;
    f.idleMs = m_sessions.idleTimeoutMs();
    f.hardEndMs = claims.expiresAtMs;
    m_cluster->registerSession(f, [this, id, token, sid](const ClusterLink::Answer &a) {
        m_clusterPendingLogins.remove(id);
        using O = ClusterLink::Outcome;
        if (a.outcome == O::Live && !m_sessions.find(sid) && !m_sessions.tombstone(sid)) {
            // Continue the session where the cluster has it: same last activity, same deadline.
            SessionRegistry::Session s;
            s.id = sid;
            s.user = a.fields.user;
            s.name = a.fields.name;
            s.createdMs = a.fields.createdMs;
            s.lastActivityMs = a.fields.lastActivityMs;
            s.hardEndMs = a.fields.hardEndMs;
            s.idleMs = a.fields.idleMs == m_sessions.idleTimeoutMs() ? 0 : a.fields.idleMs;
            m_sessions.restore(s);
        } else if (a.outcome == O::Revoked && !m_sessions.find(sid)) {
            m_sessions.restoreTombstone(sid, a.reason, a.untilMs);
        }
        // Created: the join below creates it here too. Unavailable: as on_redis_down says.
        auto it = m_connections.find(id);
        if (it == m_connections.end() || it->closeCode || it->info.authenticated)
            return;
        if (a.outcome == O::Unavailable && m_config.clusterRefuseLoginsWhenDown) {
            refuseLogin(*it, 503, QStringLiteral("cluster_unavailable"),
                        CloseCode::ClusterUnavailable);
            return;
        }
        m_clusterBypass.insert(sid);
        handleLogin(*it, token);
        m_clusterBypass.remove(sid);
    });
    return true;
}

void ServerWorker::clusterLookupToken(Connection &c, const QJsonValue &token,
                                      const QByteArray &hash)
{
    const ConnectionId id = c.info.id;
    if (m_clusterPendingLogins.contains(id))
        return; // a repeated loginCheck waits for the answer to the first
    const auto refuseUnknown = [this](Connection &conn, bool unavailable) {
        if (unavailable && m_config.clusterRefuseLoginsWhenDown) {
            ServerEvent e = makeEvent(ServerEvent::Type::Rejected, &conn);
            e.details.insert(QLatin1String("status"), 503);
            e.details.insert(QLatin1String("reason"), QLatin1String("cluster_unavailable"));
            log(e);
            refuseLogin(conn, 503, QStringLiteral("cluster_unavailable"),
                        CloseCode::ClusterUnavailable);
        } else {
            // serve_local: only the tokens this node issued or already learned log in.
            refuseInvalidToken(conn, QStringLiteral("unknown_token"));
        }
    };
    if (!m_cluster->isUp()) {
        refuseUnknown(c, true);
        return;
    }
    m_clusterPendingLogins.insert(id);
    m_cluster->lookupToken(hash, [this, id, token, hash,
                                  refuseUnknown](const ClusterLink::TokenAnswer &a) {
        m_clusterPendingLogins.remove(id);
        using O = ClusterLink::Outcome;
        if (a.outcome == O::Live)
            m_issuedTokens.restore(hash, a.claims); // verified here from now on, like its issuer
        auto it = m_connections.find(id);
        if (it == m_connections.end() || it->closeCode || it->info.authenticated)
            return; // closed meanwhile (by the client, or the login timeout)
        if (a.outcome == O::Live)
            handleLogin(*it, token); // continues with the session as Redis holds it
        else
            refuseUnknown(*it, a.outcome == O::Unavailable);
    });
}

void ServerWorker::clusterTokenIssued(const QByteArray &hash, const TokenClaims &claims)
{
    if (m_cluster)
        m_cluster->saveToken(hash, claims); // dropped while Redis is down: replayed when back
}

void ServerWorker::clusterLoggedIn(const Connection &c)
{
    if (m_cluster)
        m_cluster->connectionOpened(c.info);
}

void ServerWorker::clusterDisconnected(const Connection &c)
{
    if (!m_cluster)
        return;
    m_clusterPendingLogins.remove(c.info.id);
    if (c.info.authenticated)
        m_cluster->connectionClosed(c.info.id);
}

void ServerWorker::clusterActivity(const QString &sessionId)
{
    if (!m_cluster)
        return;
    if (const SessionRegistry::Session *s = m_sessions.find(sessionId))
        m_cluster->noteActivity(sessionId, s->lastActivityMs);
}

void ServerWorker::clusterExtended(const QString &sessionId)
{
    if (!m_cluster)
        return;
    if (const SessionRegistry::Session *s = m_sessions.find(sessionId))
        m_cluster->extend(sessionId, s->lastActivityMs);
}

namespace {
// What the cluster keeps of a session, as ClusterLink writes it to Redis.
ClusterLink::SessionFields clusterFields(const SessionRegistry &sessions,
                                         const SessionRegistry::Session &s)
{
    ClusterLink::SessionFields f;
    f.id = s.id;
    f.user = s.user;
    f.name = s.name;
    f.createdMs = s.createdMs;
    f.lastActivityMs = s.lastActivityMs;
    f.idleMs = sessions.idleTimeoutOf(s);
    f.hardEndMs = s.hardEndMs;
    return f;
}
} // namespace

void ServerWorker::clusterSessionCreated(const QString &sessionId)
{
    const SessionRegistry::Session *s = m_cluster ? m_sessions.find(sessionId) : nullptr;
    if (!s)
        return;
    m_cluster->registerSession(clusterFields(m_sessions, *s), {});
}

void ServerWorker::clusterRevoked(const QList<QString> &sessionIds)
{
    if (!m_cluster)
        return;
    for (const QString &sid : sessionIds) {
        if (const auto t = m_sessions.tombstone(sid))
            m_cluster->revoke(sid, QString(), t->reason, t->untilMs);
    }
}

bool ServerWorker::clusterHoldsExpiries() const
{
    return m_cluster && m_cluster->isUp();
}

void ServerWorker::clusterExpire(const SessionRegistry::Due &due)
{
    const QString sid = due.sessionId;
    const QString user = due.user;
    const qint64 deadline = due.deadlineMs;
    const EndReason localReason = due.reason;
    m_cluster->claimExpiry(sid, [this, sid, user, deadline,
                                 localReason](const ClusterLink::Answer &a) {
        using O = ClusterLink::Outcome;
        const SessionRegistry::Session *s = m_sessions.find(sid);
        if (!s)
            return; // ended meanwhile (a kick, a notice from another node)
        switch (a.outcome) {
        case O::Claimed:
            expireClaimed(sid, user, a.reason, deadline, {});
            return;
        case O::Later:
            // Activity on another node this one has not heard of yet: follow it.
            if (m_sessions.adoptActivity(sid, a.fields.lastActivityMs, now()))
                sendExtended(sid);
            updateSessionFields(sid);
            armTimer();
            return;
        case O::Revoked: {
            // Another node ended it first; it logged the `expired` (or the kick).
            const auto ended = m_sessions.end(sid, a.reason, now());
            storeEnded(sid);
            if (ended)
                closeSessionConnections(ended->connections, a.reason);
            return;
        }
        case O::Unknown:
        case O::Unavailable:
        default: {
            // Redis does not know it (it lost its data, or the session began while it was down)
            // or did not answer: expire here, and tell the others if Redis is there.
            expireClaimed(sid, user, localReason, deadline,
                          QJsonObject{{QLatin1String("cluster"),
                                       a.outcome == O::Unknown ? QLatin1String("unknown")
                                                               : QLatin1String("unavailable")}});
            clusterRevoked({sid});
            return;
        }
        }
    });
}

void ServerWorker::expireClaimed(const QString &sessionId, const QString &user, EndReason reason,
                                 qint64 deadlineMs, const QJsonObject &extra)
{
    const qint64 t = now();
    const auto ended = m_sessions.end(sessionId, reason, t);
    if (!ended && !m_sessions.tombstone(sessionId))
        m_sessions.restoreTombstone(sessionId, reason,
                                    t + m_config.revocationTtlMs); // refused here too from now on
    ServerEvent e = makeEvent(ServerEvent::Type::Expired);
    e.sessionId = sessionId;
    e.user = ended ? ended->user : user;
    e.details = extra;
    e.details.insert(QLatin1String("connections"), ended ? int(ended->connections.size()) : 0);
    e.details.insert(QLatin1String("reason"), reasonText(reason));
    e.details.insert(QLatin1String("lateness_ms"), double(t - deadlineMs));
    e.details.insert(QLatin1String("node"), m_cluster->settings().nodeId);
    m_metrics.expired(t - deadlineMs);
    log(e);
    storeEnded(sessionId);
    if (ended)
        closeSessionConnections(ended->connections, reason);
    armTimer();
}

OperatorResult ServerWorker::clusterForwardLogout(const QString &sessionId, const QString &reason,
                                                  const QString &actor)
{
    OperatorResult r;
    if (!m_cluster->isUp()) {
        r = OperatorResult::failure(
            503, QStringLiteral("no such session on this node, and Redis is unreachable"));
        audit(QStringLiteral("force_logout"), sessionId, actor, reason, r);
        return r;
    }
    // Not held here: the revocation goes to Redis and the node holding it closes its tabs.
    r.status = 202;
    r.data.insert(QLatin1String("cluster"), QLatin1String("forwarded"));
    const qint64 t = now();
    m_sessions.restoreTombstone(sessionId, EndReason::Kicked, t + m_config.revocationTtlMs);
    ServerEvent e = makeEvent(ServerEvent::Type::Kicked);
    e.sessionId = sessionId;
    e.details.insert(QLatin1String("actor"), actor);
    e.details.insert(QLatin1String("reason"), reason);
    e.details.insert(QLatin1String("connections"), 0);
    e.details.insert(QLatin1String("cluster"), QLatin1String("forwarded"));
    log(e);
    audit(QStringLiteral("force_logout"), sessionId, actor, reason, r);
    QString storeError;
    storeRevocations({sessionId}, &storeError); // Redis (clusterRevoked) and the local file
    return r;
}

OperatorResult ServerWorker::clusterForwardExtend(const QString &sessionId, const QString &actor)
{
    OperatorResult r;
    if (!m_cluster->isUp()) {
        r = OperatorResult::failure(
            503, QStringLiteral("no such session on this node, and Redis is unreachable"));
    } else {
        r.status = 202;
        r.data.insert(QLatin1String("cluster"), QLatin1String("forwarded"));
        m_cluster->extend(sessionId, 0);
    }
    audit(QStringLiteral("extend"), sessionId, actor, QString(), r);
    return r;
}

void ServerWorker::clusterLogoutUser(const QString &user, OperatorResult &result)
{
    if (!m_cluster->isUp()) {
        result.data.insert(QLatin1String("cluster"), QLatin1String("unreachable"));
        return;
    }
    // Sessions held elsewhere end there; this node's own were revoked one by one already.
    result.data.insert(QLatin1String("cluster"), QLatin1String("forwarded"));
    if (result.sessions == 0 && result.ok())
        result.status = 202;
    m_cluster->revokeUser(user, EndReason::Kicked, m_config.revocationTtlMs);
}

void ServerWorker::clusterBroadcast(const QString &event, const QJsonValue &data,
                                    const QString &user, OperatorResult &result)
{
    m_cluster->broadcast(event, data, user);
    result.data.insert(QLatin1String("cluster"), m_cluster->isUp() ? QLatin1String("forwarded")
                                                                   : QLatin1String("unreachable"));
}

void ServerWorker::clusterStats(ServerStats &s) const
{
    if (!m_cluster)
        return;
    s.cluster = m_cluster->isUp() ? QStringLiteral("up") : QStringLiteral("down");
    s.clusterNodes = m_cluster->status().nodes;
    s.nodeId = m_cluster->settings().nodeId;
    for (const ClusterLink::Peer &p : m_cluster->status().peers)
        s.clusterConnections += p.id == s.nodeId ? int(m_connections.size()) : p.connections;
    s.clusterSessions = m_cluster->status().sessions;
}

void ServerWorker::onClusterState(bool up, const QString &reason)
{
    ServerEvent e = makeEvent(ServerEvent::Type::Cluster);
    e.details.insert(QLatin1String("state"), up ? QLatin1String("up") : QLatin1String("down"));
    e.details.insert(QLatin1String("node"), m_cluster->settings().nodeId);
    e.details.insert(QLatin1String("redis"), m_cluster->settings().redisDisplay());
    if (!reason.isEmpty())
        e.details.insert(QLatin1String("reason"), reason);
    if (!up) {
        e.details.insert(QLatin1String("policy"), m_config.clusterRefuseLoginsWhenDown
                                                      ? QLatin1String("refuse_logins")
                                                      : QLatin1String("serve_local"));
        log(e);
        flushEvents();
        return;
    }
    // Notices may have been missed, and Redis may have lost its data: replay what this node
    // knows. Revocations first (a session revoked here while Redis was down ends everywhere),
    // then the sessions (merging activity, learning revocations made elsewhere), then the
    // connection registry.
    const auto tombs = m_sessions.tombstones();
    for (const auto &[sid, tomb] : tombs)
        m_cluster->revoke(sid, QString(), tomb.reason, tomb.untilMs);
    const QList<QString> sids = m_sessions.sessionIds();
    for (const QString &sid : sids) {
        const SessionRegistry::Session *s = m_sessions.find(sid);
        m_cluster->registerSession(
            clusterFields(m_sessions, *s), [this, sid](const ClusterLink::Answer &a) {
                if (!m_sessions.find(sid))
                    return;
                if (a.outcome == ClusterLink::Outcome::Revoked) {
                    const auto ended = m_sessions.end(sid, a.reason, now());
                    storeEnded(sid);
                    if (ended)
                        closeSessionConnections(ended->connections, a.reason);
                } else if (a.outcome == ClusterLink::Outcome::Live) {
                    onClusterActivity(sid, a.fields.lastActivityMs, false);
                }
            });
    }
    // Opaque tokens of live sessions (issued here while Redis was down, or lost by Redis).
    const QHash<QByteArray, TokenClaims> &tokens = m_issuedTokens.all();
    for (auto it = tokens.cbegin(); it != tokens.cend(); ++it) {
        if (m_sessions.find(it->sessionId))
            m_cluster->saveToken(it.key(), *it);
    }
    m_cluster->resetConnections();
    for (const Connection &c : std::as_const(m_connections)) {
        if (c.info.authenticated && !c.closeCode)
            clusterLoggedIn(c);
    }
    e.details.insert(QLatin1String("sessions"), int(sids.size()));
    e.details.insert(QLatin1String("revocations"), int(tombs.size()));
    log(e);
    flushEvents();
}

void ServerWorker::onClusterActivity(const QString &sessionId, qint64 lastActivityMs, bool extended)
{
    if (!m_sessions.find(sessionId))
        return;
    if (m_sessions.adoptActivity(sessionId, lastActivityMs, now()) || extended)
        sendExtended(sessionId);
    if (extended)
        m_cluster->count(1, int(m_sessions.find(sessionId)->connections.size()));
    updateSessionFields(sessionId);
    armTimer();
}

void ServerWorker::onClusterEnded(const QString &sessionId, const QString &user, EndReason reason,
                                  qint64 untilMs)
{
    Q_UNUSED(user)
    const auto ended = m_sessions.end(sessionId, reason, now());
    if (!ended) {
        m_sessions.restoreTombstone(sessionId, reason, untilMs);
        return;
    }
    storeEnded(sessionId);
    m_cluster->count(1, int(ended->connections.size()));
    closeSessionConnections(ended->connections, reason);
    armTimer();
}

void ServerWorker::onClusterBroadcast(const QString &event, const QJsonValue &data,
                                      const QString &user)
{
    QSet<QString> sessions;
    int connections = 0;
    for (auto &c : m_connections) {
        if (c.info.authenticated && !c.closeCode && (user.isEmpty() || c.info.user == user)) {
            send(c, event, data);
            ++connections;
            sessions.insert(c.info.sessionId);
        }
    }
    m_cluster->count(int(sessions.size()), connections);
}

void ServerWorker::onClusterDisconnect(ConnectionId id, const QString &reason,
                                       const QString &fromNode)
{
    auto it = m_connections.find(id);
    if (it == m_connections.end() || it->closeCode)
        return; // counted as nothing: the asking node answers 404
    OperatorResult r;
    r.connections = 1;
    audit(QStringLiteral("disconnect"), QString::number(id), QStringLiteral("node ") + fromNode,
          reason, r, &*it);
    m_cluster->count(0, 1);
    closeConnection(*it, CloseCode::Disconnected, QStringLiteral("disconnected"));
}

OperatorResult ServerWorker::counted(const std::function<OperatorResult()> &action)
{
    if (!m_cluster)
        return action();
    const QString rid = m_cluster->beginRequest();
    OperatorResult r = action();
    m_cluster->endRequest();
    if (!rid.isEmpty() && r.ok())
        r.data.insert(QLatin1String("cluster_request"), rid);
    return r;
}

OperatorResult ServerWorker::disconnectRemote(const QString &node, ConnectionId id,
                                              const QString &reason, const QString &actor)
{
    if (!m_cluster || node == m_cluster->settings().nodeId)
        return disconnectConnection(id, reason, actor);
    OperatorResult r;
    const QString target = node + QLatin1Char('/') + QString::number(id);
    bool live = false;
    for (const ClusterLink::Peer &p : m_cluster->status().peers)
        live = live || p.id == node;
    if (!m_cluster->isUp()) {
        r = OperatorResult::failure(503, QStringLiteral("Redis is unreachable"));
    } else if (!live) {
        r = OperatorResult::failure(
            404, QStringLiteral("no such connection (no live node '%1')").arg(node));
    } else {
        const QString rid = m_cluster->beginRequest();
        m_cluster->disconnectRemote(node, id, reason);
        m_cluster->endRequest();
        r.status = 202;
        r.data.insert(QLatin1String("cluster"), QLatin1String("forwarded"));
        r.data.insert(QLatin1String("cluster_request"), rid);
        r.data.insert(QLatin1String("node"), node);
    }
    audit(QStringLiteral("disconnect"), target, actor, reason, r);
    return r;
}

void ServerWorker::awaitCluster(const OperatorResult &result,
                                std::function<void(const OperatorResult &)> done)
{
    const QString rid = result.data.value(QLatin1String("cluster_request")).toString();
    if (!m_cluster || rid.isEmpty()) {
        done(result);
        return;
    }
    const QString self = m_cluster->settings().nodeId;
    m_cluster->awaitRequest(
        rid, [result, done = std::move(done), self](const ClusterLink::Tally &t) {
            OperatorResult r = result;
            r.data.remove(QLatin1String("cluster_request"));
            QJsonObject nodes = t.nodes;
            const QString target = r.data.value(QLatin1String("node")).toString();
            if (target.isEmpty()) {
                nodes.insert(self, QJsonObject{{QLatin1String("sessions"), r.sessions},
                                               {QLatin1String("connections"), r.connections}});
            } else if (t.noAnswer.contains(target)) {
                // A single connection on another node: that node's answer is the result.
                r = OperatorResult::failure(504,
                                            QStringLiteral("node '%1' did not answer").arg(target));
            } else if (nodes.value(target).toObject().value(QLatin1String("connections")).toInt()
                       == 0) {
                r = OperatorResult::failure(404, QStringLiteral("no such connection"));
            } else {
                r.status = 200;
            }
            r.sessions += t.sessions;
            r.connections += t.connections;
            r.data.insert(QLatin1String("nodes"), nodes);
            r.data.insert(QLatin1String("no_answer"), QJsonArray::fromStringList(t.noAnswer));
            done(r);
        });
}

QString ServerWorker::nodeId() const
{
    return m_cluster ? m_cluster->settings().nodeId : QString();
}

void ServerWorker::clusterRows(std::function<void(const ClusterRows &)> done)
{
    if (!m_cluster) {
        done(ClusterRows{true, {}, {}});
        return;
    }
    m_cluster->fetchView([done = std::move(done)](const ClusterLink::ClusterView &v) {
        done(ClusterRows{v.ok, v.connections, v.sessions});
    });
}

QJsonValue ServerWorker::clusterInfo() const
{
    if (!m_cluster)
        return QJsonValue();
    const qint64 t = now();
    QJsonArray nodes;
    for (const ClusterLink::Peer &p : m_cluster->status().peers) {
        nodes.append(QJsonObject{{QLatin1String("node_id"), p.id},
                                 {QLatin1String("listen"), p.listen},
                                 {QLatin1String("connections"), p.connections},
                                 {QLatin1String("sessions"), p.sessions},
                                 {QLatin1String("heartbeat_age_ms"), double(t - p.heartbeatMs)}});
    }
    const ServerStats st = stats();
    QJsonObject o{
        {QLatin1String("node_id"), m_cluster->settings().nodeId},
        {QLatin1String("connections"), st.clusterConnections},
        {QLatin1String("sessions"), st.clusterSessions},
        {QLatin1String("redis"), m_cluster->settings().redisDisplay()},
        {QLatin1String("state"), m_cluster->isUp() ? QLatin1String("up") : QLatin1String("down")},
        {QLatin1String("nodes"), nodes}};
    if (!m_cluster->status().lastError.isEmpty())
        o.insert(QLatin1String("last_error"), m_cluster->status().lastError);
    return o;
}
