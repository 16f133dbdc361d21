// SPDX-License-Identifier: MIT
#pragma once

#include "server/closecodes.h"
#include "server/deadlineindex.h"
#include "server/jwt.h"
#include "server/serverevent.h"

#include <QtCore/QHash>
#include <QtCore/QList>
#include <QtCore/QString>

#include <optional>

// Sessions, the connections (tabs) that share them, their idle deadlines and the tombstones of
// ended sessions. Pure bookkeeping with time passed in, so it is cheap to test and to benchmark;
// it never touches a socket. Lives in the server worker thread.
class SessionRegistry final
{
public:
    struct Session
    {
        QString id;
        QString user;
        QString name;
        qint64 createdMs = 0;
        qint64 lastActivityMs = 0;
        qint64 hardEndMs = 0; // 0 = none
        qint64 idleMs = 0; // this session's own idle timeout; 0 = the registry's
        bool warned = false;
        QList<ConnectionId> connections;
        DeadlineIndex::Key key = 0;
    };

    struct Tombstone
    {
        EndReason reason;
        qint64 untilMs;
    };

    enum class JoinOutcome : quint8 { Created, Joined, Refused };
    struct JoinResult
    {
        JoinOutcome outcome;
        EndReason refusedFor = EndReason::IdleTimeout;
    };

    // A warning or an expiry that came due. For an expiry the session is already gone.
    struct Due
    {
        bool expired = false;
        EndReason reason = EndReason::IdleTimeout;
        QString sessionId;
        QString user;
        qint64 deadlineMs = 0;
        QList<ConnectionId> connections;
        // holdExpiries: the session is still there, waiting for the cluster-wide claim.
        bool held = false;
    };

    // A session whose deadline has passed, as takeDue() will report it (see expiredAt()).
    struct Expired
    {
        EndReason reason = EndReason::IdleTimeout;
        QList<ConnectionId> connections;
    };

    struct Ended
    {
        QString sessionId;
        QString user;
        QList<ConnectionId> connections;
    };

    SessionRegistry(qint64 idleTimeoutMs, qint64 warningMs, qint64 revocationTtlMs);

    qint64 idleTimeoutMs() const { return m_idleMs; }
    qint64 warningMs() const { return m_warningMs; }
    void setRevocationTtl(qint64 ms) { m_revocationTtlMs = ms; }
    // Recomputes every deadline from each session's last activity. Returns the sessions whose
    // warning no longer applies (their deadline moved out of the warning window).
    QList<QString> setTimeouts(qint64 idleTimeoutMs, qint64 warningMs, qint64 nowMs);

    // Login of a connection. A new sid creates the session (its idle clock starts now); a known one
    // is joined without counting as activity; an ended one is refused for the reason it ended.
    JoinResult join(const TokenClaims &claims, ConnectionId conn, qint64 nowMs);
    void leave(const QString &sessionId, ConnectionId conn);
    // A session without connections yet (issued by a backend through the admin API); its idle
    // clock starts now. idleTimeoutMs > 0 overrides the registry's timeout for this session only
    // (it then survives setTimeouts()). Returns false when the id is live or ended.
    bool create(const TokenClaims &claims, qint64 idleTimeoutMs, qint64 nowMs);
    // The idle timeout that applies to s.
    qint64 idleTimeoutOf(const Session &s) const { return s.idleMs > 0 ? s.idleMs : m_idleMs; }
    // Activity: moves the deadline. Returns true when a warning that had been sent is withdrawn.
    bool touch(const QString &sessionId, qint64 nowMs);
    // Operator extension: the deadline moves to max(deadline, now) + idle timeout (capped by the
    // hard end). Returns true when a warning that had been sent is withdrawn.
    bool extend(const QString &sessionId, qint64 nowMs);
    // Ends a session now (kick, logout): tombstones it and returns its connections.
    std::optional<Ended> end(const QString &sessionId, EndReason reason, qint64 nowMs);

    // Restores a session read back from the store, with its original timestamps and no
    // connections. Its deadline follows from lastActivityMs as usual, so time spent down counts
    // as idle; a deadline that already passed comes due at the next takeDue(). Returns false when
    // the id is already known (live or tombstoned).
    bool restore(const Session &session);
    // Restores the refusal of an ended session until untilMs. Returns false when the id is known.
    bool restoreTombstone(const QString &sessionId, EndReason reason, qint64 untilMs);

    // Collects warnings and expiries due at nowMs (and purges old tombstones). Expired sessions are
    // removed before this returns, so callers act on a stable list. With holdExpiries (a cluster
    // node, docs/cluster.md) an expired session stays, without a wake, until the caller ends it
    // with end() or moves it on with adoptActivity() once the cluster-wide claim is answered.
    QList<Due> takeDue(qint64 nowMs, bool holdExpiries = false);
    // The expiries takeDue(nowMs) is about to report, changing nothing: cheap enough to run
    // first, so that the logout pushes of a mass expiry leave before its bookkeeping.
    QList<Expired> expiredAt(qint64 nowMs) const;
    // Activity seen on another node: the last activity moves forward to lastActivityMs (never
    // back). Returns true when a warning that had been sent is withdrawn.
    bool adoptActivity(const QString &sessionId, qint64 lastActivityMs, qint64 nowMs);
    // Every refusal still in force (to replay them to a shared store).
    QList<std::pair<QString, Tombstone>> tombstones() const;
    std::optional<qint64> nextWakeMs() const;

    const Session *find(const QString &sessionId) const;
    qint64 deadlineOf(const Session &s) const;
    std::optional<Tombstone> tombstone(const QString &sessionId) const;
    QList<QString> sessionsOfUser(const QString &user) const;
    QList<QString> sessionIds() const { return m_sessions.keys(); }
    qsizetype sessionCount() const { return m_sessions.size(); }
    qsizetype tombstoneCount() const { return m_tombstones.size(); }

private:
    void reschedule(Session &s);
    // Clears a sent warning once the deadline is out of the warning window; true if it did.
    bool withdrawWarning(Session &s, qint64 nowMs) const;
    void bury(const Session &s, EndReason reason, qint64 nowMs);
    // Why s ends when its deadline passes: its hard end, or idleness.
    EndReason endReasonOf(const Session &s) const;
    void insertTombstone(const QString &sessionId, EndReason reason, qint64 untilMs);

    qint64 m_idleMs;
    qint64 m_warningMs;
    qint64 m_revocationTtlMs;
    DeadlineIndex::Key m_nextKey = 1;

    QHash<QString, Session> m_sessions;
    QHash<DeadlineIndex::Key, QString> m_sessionByKey;
    DeadlineIndex m_wakes; // next warning or expiry of each session

    QHash<QString, Tombstone> m_tombstones;
    QHash<DeadlineIndex::Key, QString> m_tombstoneByKey;
    QHash<QString, DeadlineIndex::Key> m_tombstoneKeyBySid;
    DeadlineIndex m_tombstoneEnds;
};
