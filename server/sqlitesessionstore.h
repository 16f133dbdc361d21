// SPDX-License-Identifier: MIT
#pragma once

#include "server/sessionstore.h"

#include <QtCore/QHash>
#include <QtCore/QStringEncoder>
#include <QtSql/QSqlDatabase>

#include <array>

struct sqlite3;
struct sqlite3_stmt;

// The local session store: one SQLite file (WAL, synchronous=NORMAL for batches, FULL for
// revocations), schema versioned with migrations. Refuses files it cannot vouch for (not SQLite,
// failing quick_check, a newer schema) rather than replacing them. Lives in the server thread:
// the connection is created and used only in the thread that calls open().
class SqliteSessionStore final : public SessionStore
{
public:
    static constexpr int SchemaVersion = 3;

    explicit SqliteSessionStore(const QString &path);
    ~SqliteSessionStore() override;
    SqliteSessionStore(const SqliteSessionStore &) = delete;
    SqliteSessionStore &operator=(const SqliteSessionStore &) = delete;

    // Moves path (and its -wal/-shm files) aside to path.corrupt-<UTC timestamp>.
    // Returns the new name of the main file, or an empty string with *error.
    static QString setAside(const QString &path, QString *error);

    bool open(QString *error) override;
    void close() override;
    bool isOpen() const override { return m_open; }
    Snapshot load(qint64 nowMs) override;

    void saveSession(const StoredSession &session) override;
    bool touchPendingSession(const QString &sessionId, qint64 lastActivityMs) override;
    void endSession(const Revocation &revocation) override;
    void appendEvent(const ServerEvent &event) override;
    bool hasPending() const override;

    bool revoke(const QList<Revocation> &revocations, QString *error) override;
    bool saveIssuedToken(const IssuedToken &token, QString *error) override;
    bool flush(QString *error) override;

    qint64 applyRetention(int keepDays, qint64 maxRows, qint64 nowMs) override;
    QList<ServerEvent> eventsBefore(quint64 beforeId, int limit, const QString &type) override;

    QString location() const override { return m_path; }
    qint64 sizeBytes() const override;
    int schemaVersion() const;

private:
    bool exec(const QString &sql, QString *error);
    bool migrate(int from, QString *error);
    bool writePending(QString *error);
    bool writeRevocation(const Revocation &r, QString *error);
    bool commitBatch(const QList<Revocation> &revocations, bool synced, QString *error);

    // The writes of every batch run as prepared statements on the connection's own sqlite3
    // handle, kept for the life of the connection: binding through QSqlQuery cost more than the
    // SQLite work itself (a QString key per bound value; docs/performance.md).
    enum class Write { Session, Token, Event, SessionState, Revocation, TokensOfSession, Count };
    sqlite3_stmt *statement(Write which, QString *error);
    void finalizeStatements();
    // Binds s to parameter column (1-8) of st as UTF-8, the file's encoding: SQLite converted
    // every UTF-16 text itself, slower than Qt's encoder. The bytes live in a buffer per column,
    // reused from row to row, until the statement is stepped.
    void bindText(sqlite3_stmt *st, int column, const QString &s);
    std::array<QByteArray, 9> m_textBuffers;
    QStringEncoder m_utf8{QStringEncoder::Utf8, QStringConverter::Flag::Stateless};
    sqlite3 *m_handle = nullptr;
    std::array<sqlite3_stmt *, size_t(Write::Count)> m_statements{};

    QString m_path;
    QString m_connection;
    QSqlDatabase m_db;
    bool m_open = false;

    QHash<QString, StoredSession> m_pendingSessions;
    QHash<QString, Revocation> m_pendingEnds;
    QList<ServerEvent> m_pendingEvents;
    QList<IssuedToken> m_pendingTokens;
};
