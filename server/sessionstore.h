// SPDX-License-Identifier: MIT
#pragma once

#include "server/closecodes.h"
#include "server/serverevent.h"

#include <QtCore/QList>
#include <QtCore/QString>

// Where the store is and how big it is, for the dashboard (a value: crosses threads).
struct StoreInfo
{
    QString location; // empty: no store (sessions live in memory only)
    qint64 sizeBytes = 0;
    bool open = false;
};

// What outlives the process: live sessions, revocations (ended sessions whose tokens stay refused)
// and the event/audit log. An interface so that a shared store (e.g. Redis for a cluster) can
// replace the local SQLite one; the server worker owns it and uses it only in the server thread.
//
// Two kinds of writes: batched ones (saveSession, endSession, appendEvent) are kept in memory and
// written by flush(), which the worker calls on a short timer and at stop; revoke() writes the
// pending batch and the revocations in one synced transaction before it returns.
class SessionStore
{
public:
    struct StoredSession
    {
        QString id;
        QString user;
        QString name;
        qint64 createdMs = 0;
        qint64 lastActivityMs = 0;
        qint64 idleTimeoutMs = 0; // the timeout in force when last written (informational)
        qint64 hardEndMs = 0; // 0 = none
    };

    struct Revocation
    {
        QString sessionId;
        EndReason reason = EndReason::Kicked;
        qint64 endedMs = 0;
        qint64 untilMs = 0; // refused until then (the token's exp, or end + revocation_ttl)
    };

    // An opaque login token issued through the admin API: only its SHA-256 is stored.
    struct IssuedToken
    {
        QByteArray hash; // sha256(token), raw bytes
        QString sessionId;
        QString user;
        QString name;
        qint64 expiresAtMs = 0; // 0 = no hard end
        qint64 idleTimeoutMs = 0; // the session's own idle timeout; 0 = the configured one
    };

    struct Snapshot
    {
        QList<StoredSession> sessions; // live when last written
        QList<IssuedToken> issuedTokens; // of the live sessions
        QList<Revocation> revocations; // still in force at the load time
        quint64 lastEventId = 0;
    };

    virtual ~SessionStore() = default;

    // Opens (creates, migrates) the store. False with *error saying why; nothing is replaced.
    virtual bool open(QString *error) = 0;
    virtual void close() = 0;
    virtual bool isOpen() const = 0;
    virtual Snapshot load(qint64 nowMs) = 0;

    // Batched; the last value written for a session wins.
    virtual void saveSession(const StoredSession &session) = 0;
    // Activity on a session whose row is in the pending batch already: only its last activity
    // moves (one lookup, where saveSession() takes a whole row; a busy tab sends many events
    // between two flushes). False when no row of it is pending: the caller saves the session.
    virtual bool touchPendingSession(const QString &sessionId, qint64 lastActivityMs) = 0;
    // Batched: a session that ended on its own (idle timeout, hard end).
    virtual void endSession(const Revocation &revocation) = 0;
    virtual void appendEvent(const ServerEvent &event) = 0;
    virtual bool hasPending() const = 0;

    // Durable before it returns (kick, logout): the pending batch plus these revocations, synced.
    virtual bool revoke(const QList<Revocation> &revocations, QString *error) = 0;
    // Durable before it returns, with the pending batch (so its session row goes with it): the
    // backend holds the token as soon as it is answered. A token goes when its session ends.
    virtual bool saveIssuedToken(const IssuedToken &token, QString *error) = 0;
    virtual bool flush(QString *error) = 0;

    // Drops events older than keepDays and beyond maxRows, and revocations past their end.
    // Returns the number of events dropped.
    virtual qint64 applyRetention(int keepDays, qint64 maxRows, qint64 nowMs) = 0;
    // Older history for the event log view: events with id < beforeId (0 = the newest), oldest
    // first, at most limit of them; only of this type when type is not empty.
    virtual QList<ServerEvent> eventsBefore(quint64 beforeId, int limit,
                                            const QString &type = QString())
        = 0;

    virtual QString location() const = 0; // a path or URL, for the operator
    virtual qint64 sizeBytes() const = 0;
};
