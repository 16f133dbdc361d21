// SPDX-License-Identifier: MIT
#include "server/sessionregistry.h"

SessionRegistry::SessionRegistry(qint64 idleTimeoutMs, qint64 warningMs, qint64 revocationTtlMs)
    : m_idleMs(idleTimeoutMs)
    , m_warningMs(warningMs)
    , m_revocationTtlMs(revocationTtlMs)
{ }

qint64 SessionRegistry::deadlineOf(const Session &s) const
{
    const qint64 idle = s.lastActivityMs + idleTimeoutOf(s);
    return s.hardEndMs > 0 ? qMin(idle, s.hardEndMs) : idle;
}

void SessionRegistry::reschedule(Session &s)
{
    const qint64 deadline = deadlineOf(s);
    m_wakes.schedule(s.key, s.warned || m_warningMs <= 0 ? deadline : deadline - m_warningMs);
}

QList<QString> SessionRegistry::setTimeouts(qint64 idleTimeoutMs, qint64 warningMs, qint64 nowMs)
{
    m_idleMs = idleTimeoutMs;
    m_warningMs = warningMs;
    QList<QString> withdrawn;
    for (auto it = m_sessions.begin(); it != m_sessions.end(); ++it) {
        Session &s = it.value();
        if (withdrawWarning(s, nowMs))
            withdrawn.append(s.id);
        reschedule(s);
    }
    return withdrawn;
}

SessionRegistry::JoinResult SessionRegistry::join(const TokenClaims &claims, ConnectionId conn,
                                                  qint64 nowMs)
{
    if (const auto t = tombstone(claims.sessionId))
        return {JoinOutcome::Refused, t->reason};

    auto it = m_sessions.find(claims.sessionId);
    if (it != m_sessions.end()) {
        if (!it->connections.contains(conn))
            it->connections.append(conn);
        return {JoinOutcome::Joined};
    }

    if (!create(claims, 0, nowMs)) // only an empty id gets here; verified tokens always carry one
        return {JoinOutcome::Refused, EndReason::LoggedOut};
    m_sessions[claims.sessionId].connections.append(conn);
    return {JoinOutcome::Created};
}

bool SessionRegistry::create(const TokenClaims &claims, qint64 idleTimeoutMs, qint64 nowMs)
{
    if (claims.sessionId.isEmpty() || m_sessions.contains(claims.sessionId)
        || tombstone(claims.sessionId))
        return false;
    Session s;
    s.id = claims.sessionId;
    s.user = claims.user;
    s.name = claims.name;
    s.createdMs = nowMs;
    s.lastActivityMs = nowMs;
    s.hardEndMs = claims.expiresAtMs;
    s.idleMs = qMax<qint64>(0, idleTimeoutMs);
    s.key = m_nextKey++;
    m_sessionByKey.insert(s.key, s.id);
    reschedule(*m_sessions.insert(s.id, s));
    return true;
}

void SessionRegistry::leave(const QString &sessionId, ConnectionId conn)
{
    auto it = m_sessions.find(sessionId);
    if (it != m_sessions.end())
        it->connections.removeOne(conn);
}

bool SessionRegistry::touch(const QString &sessionId, qint64 nowMs)
{
    auto it = m_sessions.find(sessionId);
    if (it == m_sessions.end())
        return false;
    Session &s = *it;
    if (nowMs > s.lastActivityMs)
        s.lastActivityMs = nowMs;
    const bool withdrawn = withdrawWarning(s, nowMs);
    reschedule(s);
    return withdrawn;
}

bool SessionRegistry::adoptActivity(const QString &sessionId, qint64 lastActivityMs, qint64 nowMs)
{
    auto it = m_sessions.find(sessionId);
    if (it == m_sessions.end())
        return false;
    Session &s = *it;
    s.lastActivityMs = qMax(s.lastActivityMs, lastActivityMs);
    const bool withdrawn = withdrawWarning(s, nowMs);
    reschedule(s);
    return withdrawn;
}

QList<std::pair<QString, SessionRegistry::Tombstone>> SessionRegistry::tombstones() const
{
    QList<std::pair<QString, Tombstone>> out;
    out.reserve(m_tombstones.size());
    for (auto it = m_tombstones.cbegin(); it != m_tombstones.cend(); ++it)
        out.append({it.key(), it.value()});
    return out;
}

bool SessionRegistry::withdrawWarning(Session &s, qint64 nowMs) const
{
    // A warning stays if the deadline (e.g. a hard end) keeps the session inside the window.
    if (!s.warned || deadlineOf(s) - m_warningMs <= nowMs)
        return false;
    s.warned = false;
    return true;
}

bool SessionRegistry::extend(const QString &sessionId, qint64 nowMs)
{
    auto it = m_sessions.find(sessionId);
    if (it == m_sessions.end())
        return false;
    Session &s = *it;
    // deadline = lastActivity + idle, so moving lastActivity by one idle timeout past
    // max(deadline, now) - idle extends by exactly one idle timeout.
    const qint64 idle = idleTimeoutOf(s);
    s.lastActivityMs = qMax(s.lastActivityMs, nowMs - idle) + idle;
    const bool withdrawn = withdrawWarning(s, nowMs);
    reschedule(s);
    return withdrawn;
}

void SessionRegistry::bury(const Session &s, EndReason reason, qint64 nowMs)
{
    // Keep the refusal until the token could not be used anyway; tokens without exp for the TTL.
    const qint64 until = s.hardEndMs > 0 ? qMax(s.hardEndMs, nowMs) : nowMs + m_revocationTtlMs;
    insertTombstone(s.id, reason, until);
}

void SessionRegistry::insertTombstone(const QString &sessionId, EndReason reason, qint64 untilMs)
{
    m_tombstones.insert(sessionId, Tombstone{reason, untilMs});
    DeadlineIndex::Key key = m_tombstoneKeyBySid.value(sessionId);
    if (!key) {
        key = m_nextKey++;
        m_tombstoneKeyBySid.insert(sessionId, key);
        m_tombstoneByKey.insert(key, sessionId);
    }
    m_tombstoneEnds.schedule(key, untilMs);
}

bool SessionRegistry::restore(const Session &session)
{
    if (session.id.isEmpty() || m_sessions.contains(session.id)
        || m_tombstones.contains(session.id))
        return false;
    Session s = session;
    s.connections.clear();
    s.warned = false; // a warning sent before the restart reached tabs that are gone now
    s.key = m_nextKey++;
    m_sessionByKey.insert(s.key, s.id);
    reschedule(*m_sessions.insert(s.id, s));
    return true;
}

bool SessionRegistry::restoreTombstone(const QString &sessionId, EndReason reason, qint64 untilMs)
{
    if (sessionId.isEmpty() || m_sessions.contains(sessionId) || m_tombstones.contains(sessionId))
        return false;
    insertTombstone(sessionId, reason, untilMs);
    return true;
}

std::optional<SessionRegistry::Ended> SessionRegistry::end(const QString &sessionId,
                                                           EndReason reason, qint64 nowMs)
{
    auto it = m_sessions.find(sessionId);
    if (it == m_sessions.end())
        return std::nullopt;
    Ended e{it->id, it->user, it->connections};
    m_wakes.remove(it->key);
    m_sessionByKey.remove(it->key);
    bury(*it, reason, nowMs);
    m_sessions.erase(it);
    return e;
}

QList<SessionRegistry::Due> SessionRegistry::takeDue(qint64 nowMs, bool holdExpiries)
{
    QList<Due> out;
    const QList<DeadlineIndex::Key> keys = m_wakes.takeDue(nowMs);
    for (DeadlineIndex::Key key : keys) {
        const QString sid = m_sessionByKey.value(key);
        auto it = m_sessions.find(sid);
        if (it == m_sessions.end())
            continue;
        Session &s = *it;
        const qint64 deadline = deadlineOf(s);
        if (deadline <= nowMs) {
            const EndReason reason = endReasonOf(s);
            out.append(Due{true, reason, s.id, s.user, deadline, s.connections, holdExpiries});
            if (holdExpiries)
                continue; // its wake is gone; end() or adoptActivity() decides
            m_sessionByKey.remove(key);
            bury(s, reason, nowMs);
            m_sessions.erase(it);
        } else {
            s.warned = true;
            reschedule(s);
            out.append(
                Due{false, EndReason::IdleTimeout, s.id, s.user, deadline, s.connections, false});
        }
    }

    const QList<DeadlineIndex::Key> buried = m_tombstoneEnds.takeDue(nowMs);
    for (DeadlineIndex::Key key : buried) {
        const QString sid = m_tombstoneByKey.take(key);
        m_tombstoneKeyBySid.remove(sid);
        m_tombstones.remove(sid);
    }
    return out;
}

QList<SessionRegistry::Expired> SessionRegistry::expiredAt(qint64 nowMs) const
{
    QList<Expired> out;
    for (DeadlineIndex::Key key : m_wakes.due(nowMs)) {
        auto it = m_sessions.constFind(m_sessionByKey.value(key));
        if (it != m_sessions.cend() && deadlineOf(*it) <= nowMs)
            out.append(Expired{endReasonOf(*it), it->connections});
    }
    return out;
}

EndReason SessionRegistry::endReasonOf(const Session &s) const
{
    const bool hardEnd = s.hardEndMs > 0 && s.hardEndMs <= s.lastActivityMs + idleTimeoutOf(s);
    return hardEnd ? EndReason::SessionExpired : EndReason::IdleTimeout;
}

std::optional<qint64> SessionRegistry::nextWakeMs() const
{
    const auto a = m_wakes.nearest();
    const auto b = m_tombstoneEnds.nearest();
    if (a && b)
        return qMin(*a, *b);
    return a ? a : b;
}

const SessionRegistry::Session *SessionRegistry::find(const QString &sessionId) const
{
    auto it = m_sessions.constFind(sessionId);
    return it == m_sessions.cend() ? nullptr : &*it;
}

std::optional<SessionRegistry::Tombstone> SessionRegistry::tombstone(const QString &sessionId) const
{
    auto it = m_tombstones.constFind(sessionId);
    if (it == m_tombstones.cend())
        return std::nullopt;
    return *it;
}

QList<QString> SessionRegistry::sessionsOfUser(const QString &user) const
{
    QList<QString> out;
    for (auto it = m_sessions.cbegin(); it != m_sessions.cend(); ++it) {
        if (it->user == user)
            out.append(it.key());
    }
    return out;
}
