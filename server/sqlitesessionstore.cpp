// SPDX-License-Identifier: MIT
#include "server/sqlitesessionstore.h"

#include "server/jsonwriter.h"

#include <QtCore/QDateTime>
#include <QtCore/QFile>
#include <QtCore/QFileInfo>
#include <QtCore/QJsonDocument>
#include <QtSql/QSqlDriver>
#include <QtSql/QSqlError>
#include <QtSql/QSqlQuery>

#include <sqlite3.h>

#include <algorithm>
#include <limits>

namespace {
// Pending events kept while the disk refuses writes; beyond this the oldest are dropped.
constexpr qsizetype MaxPendingEvents = 100000;

// Each step takes the schema from version i to i + 1; never edit a step once released.
const char *const Migrations[] = {
    // 0 -> 1: sessions and revocations.
    "CREATE TABLE schema_version (version INTEGER NOT NULL);"
    "INSERT INTO schema_version (version) VALUES (0);"
    "CREATE TABLE sessions (id TEXT PRIMARY KEY, user TEXT NOT NULL,"
    " name TEXT NOT NULL DEFAULT '', created_ms INTEGER NOT NULL,"
    " last_activity_ms INTEGER NOT NULL, idle_timeout_ms INTEGER NOT NULL,"
    " hard_end_ms INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE revocations (session_id TEXT PRIMARY KEY, reason TEXT NOT NULL,"
    " ended_ms INTEGER NOT NULL, until_ms INTEGER NOT NULL);",
    // 1 -> 2: session state, the event log (the audit log is its `audit` entries).
    "ALTER TABLE sessions ADD COLUMN state TEXT NOT NULL DEFAULT 'active';"
    "CREATE TABLE events (id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, type TEXT NOT NULL,"
    " connection_id INTEGER NOT NULL DEFAULT 0, session_id TEXT NOT NULL DEFAULT '',"
    " user TEXT NOT NULL DEFAULT '', peer TEXT NOT NULL DEFAULT '',"
    " details TEXT NOT NULL DEFAULT '{}');"
    "CREATE INDEX events_ts ON events (ts_ms);"
    "CREATE INDEX revocations_until ON revocations (until_ms);"
    "CREATE VIEW audit_log AS SELECT id, ts_ms, session_id, user, peer, details FROM events"
    " WHERE type = 'audit';",
    // 2 -> 3: opaque tokens issued through the admin API (their SHA-256 and claims).
    "CREATE TABLE issued_tokens (token_hash BLOB PRIMARY KEY, session_id TEXT NOT NULL,"
    " user TEXT NOT NULL, name TEXT NOT NULL DEFAULT '', expires_ms INTEGER NOT NULL DEFAULT 0,"
    " idle_timeout_ms INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX issued_tokens_session ON issued_tokens (session_id);",
};
static_assert(sizeof(Migrations) / sizeof(Migrations[0]) == SqliteSessionStore::SchemaVersion,
              "one migration per schema version");

QString reasonName(EndReason r)
{
    return QString::fromLatin1(endReasonInfo(r).reason);
}

bool reasonFromName(const QString &name, EndReason *out)
{
    for (EndReason r : {EndReason::IdleTimeout, EndReason::SessionExpired, EndReason::Kicked,
                        EndReason::LoggedOut}) {
        if (name == reasonName(r)) {
            *out = r;
            return true;
        }
    }
    return false;
}

// Binds a QString as UTF-16 text; the string must outlive the step (it is not copied).
// Steps a bound statement once and resets it for the next use.
bool stepOnce(sqlite3 *db, sqlite3_stmt *st, QString *error)
{
    const int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc == SQLITE_DONE)
        return true;
    *error = QString::fromUtf8(sqlite3_errmsg(db));
    return false;
}

QString sqlError(const QSqlError &e)
{
    const QString t = e.databaseText().isEmpty() ? e.text() : e.databaseText();
    return t.isEmpty() ? QStringLiteral("unknown SQLite error") : t;
}
} // namespace

SqliteSessionStore::SqliteSessionStore(const QString &path)
    : m_path(path)
    , m_connection(QStringLiteral("warden-store-%1").arg(quintptr(this), 0, 16))
{ }

SqliteSessionStore::~SqliteSessionStore()
{
    close();
}

QString SqliteSessionStore::setAside(const QString &path, QString *error)
{
    const QString target
        = path + QStringLiteral(".corrupt-")
          + QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMdd-HHmmss"));
    if (QFile::exists(target) || !QFile::rename(path, target)) {
        *error = QStringLiteral("cannot move %1 aside to %2").arg(path, target);
        return {};
    }
    // The WAL belongs to the old file: never let it be replayed into the fresh one.
    for (const char *suffix : {"-wal", "-shm"}) {
        const QString side = path + QLatin1String(suffix);
        if (QFile::exists(side) && !QFile::rename(side, target + QLatin1String(suffix))) {
            *error = QStringLiteral("cannot move %1 aside").arg(side);
            return {};
        }
    }
    return target;
}

bool SqliteSessionStore::exec(const QString &sql, QString *error)
{
    QSqlQuery q(m_db);
    if (q.exec(sql))
        return true;
    if (error)
        *error = sqlError(q.lastError());
    return false;
}

bool SqliteSessionStore::open(QString *error)
{
    close();
    const QFileInfo fi(m_path);
    if (fi.exists()) {
        // Check what SQLite would silently accept or paper over before handing it the file.
        if (!fi.isFile()) {
            *error = QStringLiteral("not a regular file");
            return false;
        }
        QFile f(m_path);
        if (!f.open(QIODevice::ReadOnly)) {
            *error = QStringLiteral("cannot read the file: %1").arg(f.errorString());
            return false;
        }
        if (!fi.isWritable()) {
            *error = QStringLiteral("the file is not writable");
            return false;
        }
        const QByteArray head = f.read(16);
        if (!head.isEmpty() && head != QByteArray("SQLite format 3\0", 16)) {
            *error = QStringLiteral("not an SQLite database");
            return false;
        }
    }

    m_db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connection);
    m_db.setDatabaseName(m_path);
    if (!m_db.open()) {
        *error = QStringLiteral("cannot open: %1").arg(sqlError(m_db.lastError()));
        close();
        return false;
    }
    auto fail = [&](const QString &why) {
        *error = why;
        close();
        return false;
    };

    {
        QSqlQuery q(m_db);
        if (!q.exec(QStringLiteral("PRAGMA quick_check")))
            return fail(QStringLiteral("integrity check failed: %1").arg(sqlError(q.lastError())));
        QStringList problems;
        while (q.next())
            problems.append(q.value(0).toString());
        if (problems != QStringList{QStringLiteral("ok")})
            return fail(QStringLiteral("integrity check failed: %1")
                            .arg(problems.mid(0, 3).join(QLatin1String("; "))));
    }

    QString why;
    int version = 0;
    const QStringList tables = m_db.tables(QSql::Tables);
    if (tables.contains(QStringLiteral("schema_version"))) {
        QSqlQuery q(m_db);
        if (!q.exec(QStringLiteral("SELECT version FROM schema_version")) || !q.next())
            return fail(QStringLiteral("unreadable schema version"));
        version = q.value(0).toInt();
    } else if (!tables.isEmpty()) {
        return fail(QStringLiteral("not a Warden store (no schema_version table)"));
    }
    if (version > SchemaVersion)
        return fail(QStringLiteral("schema version %1 is newer than this build supports (%2)")
                        .arg(version)
                        .arg(SchemaVersion));
    // Only now that the file is known to be ours may anything be written to it.
    if (!exec(QStringLiteral("PRAGMA busy_timeout = 5000"), &why)
        || !exec(QStringLiteral("PRAGMA journal_mode = WAL"), &why)
        || !exec(QStringLiteral("PRAGMA synchronous = NORMAL"), &why))
        return fail(QStringLiteral("cannot set up: %1").arg(why));
    if (version < SchemaVersion && !migrate(version, &why))
        return fail(
            QStringLiteral("migration from schema version %1 failed: %2").arg(version).arg(why));
    m_open = true;
    return true;
}

bool SqliteSessionStore::migrate(int from, QString *error)
{
    if (!m_db.transaction()) {
        *error = sqlError(m_db.lastError());
        return false;
    }
    for (int v = from; v < SchemaVersion; ++v) {
        const QStringList statements
            = QString::fromLatin1(Migrations[v]).split(QLatin1Char(';'), Qt::SkipEmptyParts);
        for (const QString &sql : statements) {
            if (!exec(sql, error)) {
                m_db.rollback();
                return false;
            }
        }
    }
    if (!exec(QStringLiteral("UPDATE schema_version SET version = %1").arg(SchemaVersion), error)
        || !m_db.commit()) {
        if (error->isEmpty())
            *error = sqlError(m_db.lastError());
        m_db.rollback();
        return false;
    }
    return true;
}

sqlite3_stmt *SqliteSessionStore::statement(Write which, QString *error)
{
    sqlite3_stmt *&st = m_statements[size_t(which)];
    if (st)
        return st;
    if (!m_handle) {
        const QVariant h = m_db.driver() ? m_db.driver()->handle() : QVariant();
        if (h.isValid() && qstrcmp(h.typeName(), "sqlite3*") == 0)
            m_handle = *static_cast<sqlite3 *const *>(h.constData());
        if (!m_handle) {
            *error = QStringLiteral("no SQLite handle");
            return nullptr;
        }
    }
    const char *sql = nullptr;
    switch (which) {
    case Write::Session:
        sql = "INSERT OR REPLACE INTO sessions (id, user, name, created_ms, last_activity_ms,"
              " idle_timeout_ms, hard_end_ms, state) VALUES (?, ?, ?, ?, ?, ?, ?, 'active')";
        break;
    case Write::Token:
        sql = "INSERT OR REPLACE INTO issued_tokens (token_hash, session_id, user, name,"
              " expires_ms, idle_timeout_ms) VALUES (?, ?, ?, ?, ?, ?)";
        break;
    case Write::Event:
        // Only a duplicate id is skipped; anything else is an error, never silently dropped.
        sql = "INSERT INTO events (id, ts_ms, type, connection_id, session_id, user, peer,"
              " details) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING";
        break;
    case Write::SessionState:
        sql = "UPDATE sessions SET state = ? WHERE id = ?";
        break;
    case Write::Revocation:
        sql = "INSERT OR REPLACE INTO revocations (session_id, reason, ended_ms, until_ms)"
              " VALUES (?, ?, ?, ?)";
        break;
    case Write::TokensOfSession:
        sql = "DELETE FROM issued_tokens WHERE session_id = ?";
        break;
    case Write::Count:
        break;
    }
    if (sqlite3_prepare_v3(m_handle, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr)
        != SQLITE_OK) {
        *error = QString::fromUtf8(sqlite3_errmsg(m_handle));
        st = nullptr;
    }
    return st;
}

void SqliteSessionStore::finalizeStatements()
{
    // Before the connection closes: SQLite refuses to close a handle with live statements.
    for (sqlite3_stmt *&st : m_statements) {
        sqlite3_finalize(st);
        st = nullptr;
    }
    m_handle = nullptr;
}

void SqliteSessionStore::close()
{
    m_open = false;
    finalizeStatements();
    if (m_db.isValid()) {
        m_db.close();
        m_db = QSqlDatabase();
        QSqlDatabase::removeDatabase(m_connection);
    }
}

int SqliteSessionStore::schemaVersion() const
{
    QSqlQuery q(m_db);
    if (!m_open || !q.exec(QStringLiteral("SELECT version FROM schema_version")) || !q.next())
        return -1;
    return q.value(0).toInt();
}

SessionStore::Snapshot SqliteSessionStore::load(qint64 nowMs)
{
    Snapshot snap;
    if (!m_open)
        return snap;
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    if (q.exec(QStringLiteral("SELECT id, user, name, created_ms, last_activity_ms,"
                              " idle_timeout_ms, hard_end_ms FROM sessions"
                              " WHERE state = 'active'"))) {
        while (q.next()) {
            StoredSession s;
            s.id = q.value(0).toString();
            s.user = q.value(1).toString();
            s.name = q.value(2).toString();
            s.createdMs = q.value(3).toLongLong();
            s.lastActivityMs = q.value(4).toLongLong();
            s.idleTimeoutMs = q.value(5).toLongLong();
            s.hardEndMs = q.value(6).toLongLong();
            snap.sessions.append(s);
        }
    }
    q.prepare(QStringLiteral("SELECT session_id, reason, ended_ms, until_ms FROM revocations"
                             " WHERE until_ms > ?"));
    q.addBindValue(nowMs);
    if (q.exec()) {
        while (q.next()) {
            Revocation r;
            r.sessionId = q.value(0).toString();
            if (!reasonFromName(q.value(1).toString(), &r.reason))
                r.reason = EndReason::Kicked; // unknown reason: still refused
            r.endedMs = q.value(2).toLongLong();
            r.untilMs = q.value(3).toLongLong();
            snap.revocations.append(r);
        }
    }
    if (q.exec(QStringLiteral("SELECT t.token_hash, t.session_id, t.user, t.name, t.expires_ms,"
                              " t.idle_timeout_ms FROM issued_tokens t JOIN sessions s"
                              " ON s.id = t.session_id WHERE s.state = 'active'"))) {
        while (q.next()) {
            IssuedToken t;
            t.hash = q.value(0).toByteArray();
            t.sessionId = q.value(1).toString();
            t.user = q.value(2).toString();
            t.name = q.value(3).toString();
            t.expiresAtMs = q.value(4).toLongLong();
            t.idleTimeoutMs = q.value(5).toLongLong();
            snap.issuedTokens.append(t);
        }
    }
    if (q.exec(QStringLiteral("SELECT MAX(id) FROM events")) && q.next())
        snap.lastEventId = q.value(0).toULongLong();
    return snap;
}

void SqliteSessionStore::saveSession(const StoredSession &session)
{
    m_pendingEnds.remove(session.id);
    m_pendingSessions.insert(session.id, session);
}

bool SqliteSessionStore::touchPendingSession(const QString &sessionId, qint64 lastActivityMs)
{
    const auto it = m_pendingSessions.find(sessionId);
    if (it == m_pendingSessions.end())
        return false;
    it->lastActivityMs = qMax(it->lastActivityMs, lastActivityMs);
    return true;
}

void SqliteSessionStore::endSession(const Revocation &revocation)
{
    m_pendingSessions.remove(revocation.sessionId);
    m_pendingEnds.insert(revocation.sessionId, revocation);
}

void SqliteSessionStore::appendEvent(const ServerEvent &event)
{
    if (m_pendingEvents.size() >= MaxPendingEvents)
        m_pendingEvents.removeFirst();
    m_pendingEvents.append(event);
}

bool SqliteSessionStore::hasPending() const
{
    return !m_pendingSessions.isEmpty() || !m_pendingEnds.isEmpty() || !m_pendingEvents.isEmpty()
           || !m_pendingTokens.isEmpty();
}

void SqliteSessionStore::bindText(sqlite3_stmt *st, int column, const QString &s)
{
    Q_ASSERT(column >= 1 && size_t(column) < m_textBuffers.size());
    QByteArray &buffer = m_textBuffers[size_t(column)];
    buffer.resize(m_utf8.requiredSpace(s.size()));
    const char *end = m_utf8.appendToBuffer(buffer.data(), s);
    // Never SQL NULL: the columns are NOT NULL with '' meaning "none" (a null QString included);
    // data() of an empty buffer is a valid pointer to "".
    sqlite3_bind_text(st, column, buffer.constData(), int(end - buffer.constData()), SQLITE_STATIC);
}

bool SqliteSessionStore::writeRevocation(const Revocation &r, QString *error)
{
    const QString reason = reasonName(r.reason);
    sqlite3_stmt *st = statement(Write::SessionState, error);
    if (!st)
        return false;
    bindText(st, 1, reason);
    bindText(st, 2, r.sessionId);
    if (!stepOnce(m_handle, st, error))
        return false;
    if (!(st = statement(Write::Revocation, error)))
        return false;
    bindText(st, 1, r.sessionId);
    bindText(st, 2, reason);
    sqlite3_bind_int64(st, 3, r.endedMs);
    sqlite3_bind_int64(st, 4, r.untilMs);
    if (!stepOnce(m_handle, st, error))
        return false;
    // The session is over: its issued token has nothing left to log in to.
    if (!(st = statement(Write::TokensOfSession, error)))
        return false;
    bindText(st, 1, r.sessionId);
    return stepOnce(m_handle, st, error);
}

bool SqliteSessionStore::writePending(QString *error)
{
    sqlite3_stmt *st = nullptr;
    if (!m_pendingSessions.isEmpty()) {
        if (!(st = statement(Write::Session, error)))
            return false;
        for (const StoredSession &s : std::as_const(m_pendingSessions)) {
            bindText(st, 1, s.id);
            bindText(st, 2, s.user);
            bindText(st, 3, s.name);
            sqlite3_bind_int64(st, 4, s.createdMs);
            sqlite3_bind_int64(st, 5, s.lastActivityMs);
            sqlite3_bind_int64(st, 6, s.idleTimeoutMs);
            sqlite3_bind_int64(st, 7, s.hardEndMs);
            if (!stepOnce(m_handle, st, error))
                return false;
        }
    }
    if (!m_pendingTokens.isEmpty()) {
        if (!(st = statement(Write::Token, error)))
            return false;
        for (const IssuedToken &t : std::as_const(m_pendingTokens)) {
            sqlite3_bind_blob(st, 1, t.hash.constData(), int(t.hash.size()), SQLITE_STATIC);
            bindText(st, 2, t.sessionId);
            bindText(st, 3, t.user);
            bindText(st, 4, t.name);
            sqlite3_bind_int64(st, 5, t.expiresAtMs);
            sqlite3_bind_int64(st, 6, t.idleTimeoutMs);
            if (!stepOnce(m_handle, st, error))
                return false;
        }
    }
    for (const Revocation &r : std::as_const(m_pendingEnds)) {
        if (!writeRevocation(r, error))
            return false;
    }
    if (!m_pendingEvents.isEmpty()) {
        if (!(st = statement(Write::Event, error)))
            return false;
        for (const ServerEvent &e : std::as_const(m_pendingEvents)) {
            const QString type = ServerEvent::typeName(e.type);
            const QByteArray details = JsonWriter::compact(e.details);
            sqlite3_bind_int64(st, 1, qint64(e.id));
            sqlite3_bind_int64(st, 2, e.tsMs);
            bindText(st, 3, type);
            sqlite3_bind_int64(st, 4, qint64(e.connectionId));
            bindText(st, 5, e.sessionId);
            bindText(st, 6, e.user);
            bindText(st, 7, e.peer);
            sqlite3_bind_text(st, 8, details.constData(), int(details.size()), SQLITE_STATIC);
            if (!stepOnce(m_handle, st, error))
                return false;
        }
    }
    return true;
}

bool SqliteSessionStore::commitBatch(const QList<Revocation> &revocations, bool synced,
                                     QString *error)
{
    QString why;
    if (!m_open) {
        why = QStringLiteral("the store is not open");
    } else {
        // FULL makes this commit survive a power loss, not only a crash of Warden.
        if (synced)
            exec(QStringLiteral("PRAGMA synchronous = FULL"), nullptr);
        bool ok = m_db.transaction();
        if (!ok)
            why = sqlError(m_db.lastError());
        ok = ok && writePending(&why);
        for (const Revocation &r : revocations) {
            if (!ok)
                break;
            ok = writeRevocation(r, &why);
        }
        if (ok && !m_db.commit()) {
            ok = false;
            why = sqlError(m_db.lastError());
        }
        if (!ok)
            m_db.rollback();
        if (synced)
            exec(QStringLiteral("PRAGMA synchronous = NORMAL"), nullptr);
        if (ok) {
            m_pendingSessions.clear();
            m_pendingEnds.clear();
            m_pendingEvents.clear();
            m_pendingTokens.clear();
            return true;
        }
    }
    if (error)
        *error = QStringLiteral("%1: %2").arg(m_path, why);
    return false; // the batch stays pending for the next attempt
}

bool SqliteSessionStore::revoke(const QList<Revocation> &revocations, QString *error)
{
    return commitBatch(revocations, true, error);
}

bool SqliteSessionStore::saveIssuedToken(const IssuedToken &token, QString *error)
{
    m_pendingTokens.append(token);
    return commitBatch({}, true, error);
}

bool SqliteSessionStore::flush(QString *error)
{
    if (!hasPending())
        return true;
    return commitBatch({}, false, error);
}

qint64 SqliteSessionStore::applyRetention(int keepDays, qint64 maxRows, qint64 nowMs)
{
    if (!m_open)
        return 0;
    qint64 dropped = 0;
    QSqlQuery q(m_db);
    if (keepDays > 0) {
        q.prepare(QStringLiteral("DELETE FROM events WHERE ts_ms < ?"));
        q.addBindValue(nowMs - qint64(keepDays) * 24 * 3600 * 1000);
        if (q.exec())
            dropped += q.numRowsAffected();
    }
    if (maxRows > 0) {
        q.prepare(QStringLiteral("DELETE FROM events WHERE id <= (SELECT id FROM events"
                                 " ORDER BY id DESC LIMIT 1 OFFSET ?)"));
        q.addBindValue(maxRows);
        if (q.exec())
            dropped += q.numRowsAffected();
    }
    q.prepare(QStringLiteral("DELETE FROM revocations WHERE until_ms <= ?"));
    q.addBindValue(nowMs);
    q.exec();
    q.exec(QStringLiteral("DELETE FROM sessions WHERE state <> 'active' AND id NOT IN"
                          " (SELECT session_id FROM revocations)"));
    q.exec(QStringLiteral("DELETE FROM issued_tokens WHERE session_id NOT IN"
                          " (SELECT id FROM sessions WHERE state = 'active')"));
    return dropped;
}

QList<ServerEvent> SqliteSessionStore::eventsBefore(quint64 beforeId, int limit,
                                                    const QString &type)
{
    QList<ServerEvent> out;
    if (!m_open || limit <= 0)
        return out;
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    QString sql = QStringLiteral("SELECT id, ts_ms, type, connection_id, session_id, user, peer,"
                                 " details FROM events WHERE id < :before");
    if (!type.isEmpty())
        sql += QStringLiteral(" AND type = :type");
    q.prepare(sql + QStringLiteral(" ORDER BY id DESC LIMIT :limit"));
    q.bindValue(QStringLiteral(":before"),
                beforeId == 0 ? std::numeric_limits<qint64>::max() : qint64(beforeId));
    if (!type.isEmpty())
        q.bindValue(QStringLiteral(":type"), type);
    q.bindValue(QStringLiteral(":limit"), limit);
    if (!q.exec())
        return out;
    while (q.next()) {
        ServerEvent e;
        e.id = q.value(0).toULongLong();
        e.tsMs = q.value(1).toLongLong();
        if (!ServerEvent::typeFromName(q.value(2).toString(), &e.type))
            continue; // written by a newer build: skip rather than mislabel
        e.connectionId = q.value(3).toULongLong();
        e.sessionId = q.value(4).toString();
        e.user = q.value(5).toString();
        e.peer = q.value(6).toString();
        e.details = QJsonDocument::fromJson(q.value(7).toString().toUtf8()).object();
        out.append(e);
    }
    std::reverse(out.begin(), out.end());
    return out;
}

qint64 SqliteSessionStore::sizeBytes() const
{
    qint64 total = 0;
    for (const char *suffix : {"", "-wal"}) {
        const QFileInfo fi(m_path + QLatin1String(suffix));
        if (fi.exists())
            total += fi.size();
    }
    return total;
}
