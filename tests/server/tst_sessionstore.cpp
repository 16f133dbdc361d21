// SPDX-License-Identifier: MIT
// The SQLite session store on real files in a temporary directory: schema and migrations,
// batching, durable revocations, retention, paging, and refusing files it cannot vouch for.
#include "server/sqlitesessionstore.h"

#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QTemporaryDir>
#include <QtSql/QSqlDatabase>
#include <QtSql/QSqlError>
#include <QtSql/QSqlQuery>
#include <QtTest/QTest>

#include <algorithm>

#include <unistd.h>

namespace {
// Reads the file through a connection of its own, as another process would.
class Reader
{
public:
    explicit Reader(const QString &path)
        : m_name(QStringLiteral("reader-%1").arg(++s_count))
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_name);
        db.setDatabaseName(path);
        db.open();
    }
    ~Reader()
    {
        QSqlDatabase::database(m_name, false).close();
        QSqlDatabase::removeDatabase(m_name);
    }
    QVariant value(const QString &sql) const
    {
        QSqlQuery q(QSqlDatabase::database(m_name, false));
        if (!q.exec(sql) || !q.next())
            return {};
        return q.value(0);
    }
    bool exec(const QString &sql) const
    {
        QSqlQuery q(QSqlDatabase::database(m_name, false));
        return q.exec(sql);
    }

private:
    static inline int s_count = 0;
    QString m_name;
};

SessionStore::StoredSession session(const QString &id, qint64 lastActivityMs)
{
    SessionStore::StoredSession s;
    s.id = id;
    s.user = QStringLiteral("user-") + id;
    s.name = QStringLiteral("Name ") + id;
    s.createdMs = 1000;
    s.lastActivityMs = lastActivityMs;
    s.idleTimeoutMs = 900000;
    s.hardEndMs = 0;
    return s;
}

ServerEvent storedEvent(quint64 id, qint64 tsMs,
                        ServerEvent::Type type = ServerEvent::Type::Connected)
{
    ServerEvent e;
    e.id = id;
    e.tsMs = tsMs;
    e.type = type;
    e.connectionId = id;
    e.sessionId = QStringLiteral("s");
    e.user = QStringLiteral("alice");
    e.peer = QStringLiteral("127.0.0.1:5000");
    e.details.insert(QStringLiteral("n"), double(id));
    return e;
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

bool writeFile(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(bytes) == bytes.size();
}
} // namespace

class tst_SessionStore : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void freshStoreHasCurrentSchemaInWalMode();
    void migratesFromVersion1();
    void migratesFromVersion2();
    void issuedTokensAreDurableAndGoWithTheirSession();
    void batchedWritesWaitForFlushAndLastValueWins();
    void revocationIsDurableBeforeReturning();
    void endedAndExpiredSessionsAreNotLoaded();
    void eventsAreKeptAcrossReopenAndPaged();
    void textsAreUtf8AndComeBackExactly();
    void retentionByAgeAndRows();
    void refusesFilesItCannotVouchFor_data();
    void refusesFilesItCannotVouchFor();
    void unreadableFileIsRefused();
    void setAsideMovesFileAndWal();

private:
    QString dbPath() const { return m_dir->filePath(QStringLiteral("warden.db")); }
    std::unique_ptr<QTemporaryDir> m_dir;
};

void tst_SessionStore::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void tst_SessionStore::freshStoreHasCurrentSchemaInWalMode()
{
    SqliteSessionStore store(dbPath());
    QString error;
    QVERIFY2(store.open(&error), qPrintable(error));
    QVERIFY(store.isOpen());
    QCOMPARE(store.schemaVersion(), SqliteSessionStore::SchemaVersion);
    QCOMPARE(store.location(), dbPath());
    QVERIFY(store.sizeBytes() > 0);
    const SessionStore::Snapshot snap = store.load(0);
    QVERIFY(snap.sessions.isEmpty());
    QVERIFY(snap.revocations.isEmpty());
    QCOMPARE(snap.lastEventId, quint64(0));

    Reader r(dbPath());
    QCOMPARE(r.value(QStringLiteral("PRAGMA journal_mode")).toString(), QStringLiteral("wal"));
    QCOMPARE(r.value(QStringLiteral("SELECT version FROM schema_version")).toInt(),
             SqliteSessionStore::SchemaVersion);
    QVERIFY(r.exec(QStringLiteral("SELECT id, ts_ms, details FROM audit_log")));

    // Opening again is a no-op for the schema.
    store.close();
    QVERIFY(!store.isOpen());
    QVERIFY2(store.open(&error), qPrintable(error));
    QCOMPARE(store.schemaVersion(), SqliteSessionStore::SchemaVersion);
}

void tst_SessionStore::migratesFromVersion1()
{
    {
        // Version 1 as it was written: sessions without state, no event log.
        Reader old(dbPath());
        QVERIFY(old.exec(QStringLiteral("CREATE TABLE schema_version (version INTEGER NOT NULL)")));
        QVERIFY(old.exec(QStringLiteral("INSERT INTO schema_version (version) VALUES (1)")));
        QVERIFY(old.exec(QStringLiteral(
            "CREATE TABLE sessions (id TEXT PRIMARY KEY, user TEXT NOT NULL, name TEXT NOT NULL "
            "DEFAULT '', created_ms INTEGER NOT NULL, last_activity_ms INTEGER NOT NULL, "
            "idle_timeout_ms INTEGER NOT NULL, hard_end_ms INTEGER NOT NULL DEFAULT 0)")));
        QVERIFY(old.exec(QStringLiteral(
            "CREATE TABLE revocations (session_id TEXT PRIMARY KEY, reason TEXT NOT NULL, "
            "ended_ms INTEGER NOT NULL, until_ms INTEGER NOT NULL)")));
        QVERIFY(old.exec(QStringLiteral(
            "INSERT INTO sessions VALUES ('s1', 'alice', 'Alice', 100, 200, 900000, 0)")));
        QVERIFY(old.exec(
            QStringLiteral("INSERT INTO revocations VALUES ('k1', 'kicked', 300, 999999)")));
    }
    SqliteSessionStore store(dbPath());
    QString error;
    QVERIFY2(store.open(&error), qPrintable(error));
    QCOMPARE(store.schemaVersion(), SqliteSessionStore::SchemaVersion);
    const SessionStore::Snapshot snap = store.load(1000);
    QCOMPARE(snap.sessions.size(), qsizetype(1));
    QCOMPARE(snap.sessions[0].id, QStringLiteral("s1"));
    QCOMPARE(snap.sessions[0].name, QStringLiteral("Alice"));
    QCOMPARE(snap.sessions[0].lastActivityMs, qint64(200));
    QCOMPARE(snap.revocations.size(), qsizetype(1));
    QCOMPARE(snap.revocations[0].reason, EndReason::Kicked);
    QCOMPARE(snap.revocations[0].untilMs, qint64(999999));
    store.appendEvent(storedEvent(1, 5000));
    QVERIFY(store.flush(&error));
    QCOMPARE(store.eventsBefore(0, 10, {}).size(), qsizetype(1));
}

void tst_SessionStore::migratesFromVersion2()
{
    {
        // Version 2 as it was written: everything but issued_tokens.
        SqliteSessionStore fresh(dbPath());
        QString error;
        QVERIFY(fresh.open(&error));
        fresh.saveSession(session(QStringLiteral("s1"), 2000));
        QVERIFY(fresh.flush(&error));
        fresh.close();
        Reader old(dbPath());
        QVERIFY(old.exec(QStringLiteral("DROP TABLE issued_tokens")));
        QVERIFY(old.exec(QStringLiteral("UPDATE schema_version SET version = 2")));
    }
    SqliteSessionStore store(dbPath());
    QString error;
    QVERIFY2(store.open(&error), qPrintable(error));
    QCOMPARE(store.schemaVersion(), SqliteSessionStore::SchemaVersion);
    const SessionStore::Snapshot snap = store.load(3000);
    QCOMPARE(snap.sessions.size(), qsizetype(1));
    QVERIFY(snap.issuedTokens.isEmpty());
    QVERIFY(store.saveIssuedToken(
        {QByteArray(32, 'h'), QStringLiteral("s1"), QStringLiteral("alice"), QString(), 0, 0},
        &error));
    QCOMPARE(store.load(3000).issuedTokens.size(), qsizetype(1));
}

void tst_SessionStore::issuedTokensAreDurableAndGoWithTheirSession()
{
    const QByteArray hashA(32, '\x01');
    const QByteArray hashB(32, '\x02');
    {
        SqliteSessionStore store(dbPath());
        QString error;
        QVERIFY(store.open(&error));
        store.saveSession(session(QStringLiteral("a"), 2000));
        store.saveSession(session(QStringLiteral("b"), 2000));
        QVERIFY2(store.saveIssuedToken({hashA, QStringLiteral("a"), QStringLiteral("alice"),
                                        QStringLiteral("Alice"), 90000, 45000},
                                       &error),
                 qPrintable(error));
        QVERIFY(!store.hasPending()); // synced with its session rows, before it returns
        QVERIFY(store.saveIssuedToken(
            {hashB, QStringLiteral("b"), QStringLiteral("bob"), QString(), 0, 0}, &error));
        // No close(), no flush(): as if the process died here.
    }
    {
        SqliteSessionStore store(dbPath());
        QString error;
        QVERIFY(store.open(&error));
        const SessionStore::Snapshot snap = store.load(3000);
        QCOMPARE(snap.issuedTokens.size(), qsizetype(2));
        const auto a
            = std::find_if(snap.issuedTokens.cbegin(), snap.issuedTokens.cend(),
                           [](const auto &t) { return t.sessionId == QLatin1String("a"); });
        QVERIFY(a != snap.issuedTokens.cend());
        QCOMPARE(a->hash, hashA);
        QCOMPARE(a->user, QStringLiteral("alice"));
        QCOMPARE(a->name, QStringLiteral("Alice"));
        QCOMPARE(a->expiresAtMs, qint64(90000));
        QCOMPARE(a->idleTimeoutMs, qint64(45000));
        // A kicked session and one that expired take their tokens with them.
        QVERIFY(store.revoke({{QStringLiteral("a"), EndReason::Kicked, 2500, 10000}}, &error));
        store.endSession({QStringLiteral("b"), EndReason::IdleTimeout, 2600, 10000});
        QVERIFY(store.flush(&error));
    }
    SqliteSessionStore store(dbPath());
    QString error;
    QVERIFY(store.open(&error));
    QVERIFY(store.load(3000).issuedTokens.isEmpty());
    Reader r(dbPath());
    QCOMPARE(r.value(QStringLiteral("SELECT COUNT(*) FROM issued_tokens")).toInt(), 0);
}

void tst_SessionStore::batchedWritesWaitForFlushAndLastValueWins()
{
    SqliteSessionStore store(dbPath());
    QString error;
    QVERIFY(store.open(&error));
    Reader r(dbPath());

    store.saveSession(session(QStringLiteral("a"), 2000));
    store.saveSession(session(QStringLiteral("a"), 3000));
    store.saveSession(session(QStringLiteral("a"), 4000));
    store.appendEvent(storedEvent(1, 2000));
    ServerEvent bare; // no session, user or peer (e.g. `listening`): null strings, not NULLs
    bare.id = 2;
    bare.tsMs = 2000;
    bare.type = ServerEvent::Type::Listening;
    store.appendEvent(bare);
    QVERIFY(store.hasPending());
    QCOMPARE(r.value(QStringLiteral("SELECT COUNT(*) FROM sessions")).toInt(), 0);
    QCOMPARE(r.value(QStringLiteral("SELECT COUNT(*) FROM events")).toInt(), 0);

    QVERIFY2(store.flush(&error), qPrintable(error));
    QVERIFY(!store.hasPending());
    QCOMPARE(r.value(QStringLiteral("SELECT COUNT(*) FROM sessions")).toInt(), 1);
    QCOMPARE(r.value(QStringLiteral("SELECT last_activity_ms FROM sessions")).toLongLong(),
             qint64(4000));
    QCOMPARE(r.value(QStringLiteral("SELECT COUNT(*) FROM events")).toInt(), 2);
    QCOMPARE(store.eventsBefore(0, 10, {}).size(), qsizetype(2));
    QVERIFY(store.flush(&error)); // nothing pending: fine

    // Activity on a pending row moves its time only (never back); with no pending row the
    // caller has to save the session.
    QVERIFY(!store.touchPendingSession(QStringLiteral("a"), 5000));
    store.saveSession(session(QStringLiteral("a"), 5000));
    QVERIFY(store.touchPendingSession(QStringLiteral("a"), 6000));
    QVERIFY(store.touchPendingSession(QStringLiteral("a"), 5500));
    QVERIFY(!store.touchPendingSession(QStringLiteral("b"), 6000));
    QCOMPARE(r.value(QStringLiteral("SELECT last_activity_ms FROM sessions")).toLongLong(),
             qint64(4000));
    QVERIFY2(store.flush(&error), qPrintable(error));
    QCOMPARE(r.value(QStringLiteral("SELECT COUNT(*) FROM sessions")).toInt(), 1);
    QCOMPARE(r.value(QStringLiteral("SELECT last_activity_ms FROM sessions")).toLongLong(),
             qint64(6000));
    QCOMPARE(r.value(QStringLiteral("SELECT user FROM sessions")).toString(),
             QStringLiteral("user-a"));
    QVERIFY(!store.touchPendingSession(QStringLiteral("a"), 7000)); // flushed: nothing pending
}

void tst_SessionStore::revocationIsDurableBeforeReturning()
{
    {
        SqliteSessionStore store(dbPath());
        QString error;
        QVERIFY(store.open(&error));
        store.saveSession(session(QStringLiteral("a"), 2000));
        store.saveSession(session(QStringLiteral("b"), 2000));
        QVERIFY(store.flush(&error));
        store.appendEvent(storedEvent(1, 2500, ServerEvent::Type::Kicked));
        store.appendEvent(storedEvent(2, 2500, ServerEvent::Type::Audit));

        QVERIFY2(store.revoke({{QStringLiteral("a"), EndReason::Kicked, 2500, 10000}}, &error),
                 qPrintable(error));
        QVERIFY(!store.hasPending()); // the batch went with it
        Reader r(dbPath());
        QCOMPARE(r.value(QStringLiteral("SELECT reason FROM revocations WHERE session_id = 'a'"))
                     .toString(),
                 QStringLiteral("kicked"));
        QCOMPARE(r.value(QStringLiteral("SELECT state FROM sessions WHERE id = 'a'")).toString(),
                 QStringLiteral("kicked"));
        QCOMPARE(r.value(QStringLiteral("SELECT COUNT(*) FROM audit_log")).toInt(), 1);
        // No close(), no flush(): as if the process died here.
    }
    SqliteSessionStore again(dbPath());
    QString error;
    QVERIFY(again.open(&error));
    const SessionStore::Snapshot snap = again.load(3000);
    QCOMPARE(snap.sessions.size(), qsizetype(1));
    QCOMPARE(snap.sessions[0].id, QStringLiteral("b"));
    QCOMPARE(snap.revocations.size(), qsizetype(1));
    QCOMPARE(snap.revocations[0].sessionId, QStringLiteral("a"));
    QCOMPARE(snap.revocations[0].endedMs, qint64(2500));
    QCOMPARE(snap.lastEventId, quint64(2));
}

void tst_SessionStore::endedAndExpiredSessionsAreNotLoaded()
{
    SqliteSessionStore store(dbPath());
    QString error;
    QVERIFY(store.open(&error));
    store.saveSession(session(QStringLiteral("idle"), 2000));
    store.saveSession(session(QStringLiteral("live"), 2000));
    QVERIFY(store.flush(&error));
    store.endSession({QStringLiteral("idle"), EndReason::IdleTimeout, 5000, 8000});
    QVERIFY(store.flush(&error));

    SessionStore::Snapshot snap = store.load(6000);
    QCOMPARE(snap.sessions.size(), qsizetype(1));
    QCOMPARE(snap.sessions[0].id, QStringLiteral("live"));
    QCOMPARE(snap.revocations.size(), qsizetype(1));
    QCOMPARE(snap.revocations[0].reason, EndReason::IdleTimeout);
    // A revocation past its end is not loaded, and retention removes it.
    snap = store.load(8000);
    QVERIFY(snap.revocations.isEmpty());
    store.applyRetention(30, 1000000, 8000);
    Reader r(dbPath());
    QCOMPARE(r.value(QStringLiteral("SELECT COUNT(*) FROM revocations")).toInt(), 0);
    QCOMPARE(r.value(QStringLiteral("SELECT COUNT(*) FROM sessions")).toInt(), 1);

    // A session saved again after it ended (same sid, new login) is live again.
    store.endSession({QStringLiteral("live"), EndReason::LoggedOut, 9000, 20000});
    store.saveSession(session(QStringLiteral("live"), 9500));
    QVERIFY(store.flush(&error));
    QCOMPARE(store.load(9600).sessions.size(), qsizetype(1));
}

void tst_SessionStore::eventsAreKeptAcrossReopenAndPaged()
{
    {
        SqliteSessionStore store(dbPath());
        QString error;
        QVERIFY(store.open(&error));
        for (quint64 id = 1; id <= 25; ++id)
            store.appendEvent(
                storedEvent(id, qint64(id) * 1000,
                            id % 5 == 0 ? ServerEvent::Type::Audit : ServerEvent::Type::Connected));
        QVERIFY(store.flush(&error));
        store.close();
    }
    SqliteSessionStore store(dbPath());
    QString error;
    QVERIFY(store.open(&error));
    QCOMPARE(store.load(0).lastEventId, quint64(25));

    const QList<ServerEvent> newest = store.eventsBefore(0, 10, {});
    QCOMPARE(newest.size(), qsizetype(10));
    QCOMPARE(newest.first().id, quint64(16));
    QCOMPARE(newest.last().id, quint64(25)); // oldest first
    QCOMPARE(newest.last().type, ServerEvent::Type::Audit);
    QCOMPARE(newest.last().user, QStringLiteral("alice"));
    QCOMPARE(newest.last().details.value(QStringLiteral("n")).toInt(), 25);

    const QList<ServerEvent> older = store.eventsBefore(newest.first().id, 10, {});
    QCOMPARE(older.first().id, quint64(6));
    QCOMPARE(older.last().id, quint64(15));
    QCOMPARE(store.eventsBefore(6, 10, {}).size(), qsizetype(5));
    QVERIFY(store.eventsBefore(1, 10, {}).isEmpty());

    const QList<ServerEvent> audit = store.eventsBefore(0, 100, QStringLiteral("audit"));
    QCOMPARE(audit.size(), qsizetype(5));
    for (const ServerEvent &e : audit)
        QCOMPARE(e.type, ServerEvent::Type::Audit);
}

void tst_SessionStore::textsAreUtf8AndComeBackExactly()
{
    // Texts are bound as UTF-8 (the file's encoding): Chinese, an emoji (a surrogate pair), a
    // long id, an empty name, in sessions, events and revocations alike.
    const QString id = QStringLiteral("会话-") + QString(300, QLatin1Char('x'));
    const QString user = QStringLiteral("张三");
    const QString name = QStringLiteral("Zoë \U0001F600");
    const QString ended = QStringLiteral("ended-ü");
    {
        SqliteSessionStore store(dbPath());
        QString error;
        QVERIFY(store.open(&error));
        SessionStore::StoredSession s = session(id, 2000);
        s.user = user;
        s.name = name;
        store.saveSession(s);
        SessionStore::StoredSession empty = session(QStringLiteral("plain"), 2000);
        empty.name = QString();
        store.saveSession(empty);
        store.saveSession(session(ended, 2000));
        ServerEvent e = storedEvent(1, 2000);
        e.sessionId = id;
        e.user = user;
        e.peer = QStringLiteral("[::1]:5000");
        store.appendEvent(e);
        QVERIFY2(store.flush(&error), qPrintable(error));
        QVERIFY2(store.revoke({{ended, EndReason::Kicked, 2500, 10'000'000}}, &error),
                 qPrintable(error));
        store.close();
    }
    Reader r(dbPath());
    QCOMPARE(r.value(QStringLiteral("SELECT hex(user) FROM sessions WHERE length(id) > 300"))
                 .toString()
                 .toLatin1(),
             user.toUtf8().toHex().toUpper());
    QCOMPARE(r.value(QStringLiteral("SELECT name FROM sessions WHERE id = 'plain'")).toString(),
             QString());
    QCOMPARE(
        r.value(QStringLiteral("SELECT typeof(name) FROM sessions WHERE id = 'plain'")).toString(),
        QStringLiteral("text"));

    SqliteSessionStore store(dbPath());
    QString error;
    QVERIFY(store.open(&error));
    const SessionStore::Snapshot snap = store.load(3000);
    bool found = false;
    for (const SessionStore::StoredSession &s : snap.sessions) {
        if (s.id == id) {
            found = true;
            QCOMPARE(s.user, user);
            QCOMPARE(s.name, name);
        }
    }
    QVERIFY(found);
    bool revoked = false;
    for (const SessionStore::Revocation &rv : snap.revocations)
        revoked = revoked || rv.sessionId == ended;
    QVERIFY(revoked);
    const QList<ServerEvent> events = store.eventsBefore(0, 10, {});
    QCOMPARE(events.size(), qsizetype(1));
    QCOMPARE(events.first().sessionId, id);
    QCOMPARE(events.first().user, user);
    QCOMPARE(events.first().peer, QStringLiteral("[::1]:5000"));
}

void tst_SessionStore::retentionByAgeAndRows()
{
    SqliteSessionStore store(dbPath());
    QString error;
    QVERIFY(store.open(&error));
    const qint64 day = qint64(24) * 3600 * 1000;
    const qint64 now = 100 * day;
    // 10 events 40 days old, 3000 from today.
    quint64 id = 1;
    for (; id <= 10; ++id)
        store.appendEvent(storedEvent(id, now - 40 * day));
    for (; id <= 3010; ++id)
        store.appendEvent(storedEvent(id, now - 1000));
    QVERIFY(store.flush(&error));

    QCOMPARE(store.applyRetention(30, 1000000, now), qint64(10));
    Reader r(dbPath());
    QCOMPARE(r.value(QStringLiteral("SELECT COUNT(*) FROM events")).toInt(), 3000);
    QCOMPARE(store.applyRetention(30, 1000, now), qint64(2000));
    QCOMPARE(r.value(QStringLiteral("SELECT COUNT(*) FROM events")).toInt(), 1000);
    QCOMPARE(r.value(QStringLiteral("SELECT MIN(id) FROM events")).toInt(), 2011); // newest kept
    QCOMPARE(store.applyRetention(30, 1000, now), qint64(0));
}

void tst_SessionStore::refusesFilesItCannotVouchFor_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("reason");
    QTest::addRow("not sqlite") << "text"
                                << "not an SQLite database";
    QTest::addRow("damaged pages") << "damaged"
                                   << "integrity check failed";
    QTest::addRow("newer schema") << "newer"
                                  << "schema version 99 is newer";
    QTest::addRow("foreign database") << "foreign"
                                      << "not a Warden store";
    QTest::addRow("directory") << "directory"
                               << "not a regular file";
}

void tst_SessionStore::refusesFilesItCannotVouchFor()
{
    QFETCH(QString, kind);
    QFETCH(QString, reason);
    if (kind == QLatin1String("text")) {
        QVERIFY(writeFile(dbPath(), "this is not a database, it is a shopping list\n"));
    } else if (kind == QLatin1String("damaged")) {
        {
            SqliteSessionStore store(dbPath());
            QString error;
            QVERIFY(store.open(&error));
            for (int i = 1; i <= 400; ++i)
                store.saveSession(session(QStringLiteral("session-%1").arg(i), i));
            QVERIFY(store.flush(&error));
            store.close();
        }
        QFile::remove(dbPath() + QStringLiteral("-wal"));
        QByteArray bytes = readAll(dbPath());
        QVERIFY(bytes.size() > 4 * 4096);
        // Wipe pages 2 and 3 (the header on page 1 stays valid).
        bytes.replace(4096, 8192, QByteArray(8192, '\xA5'));
        QVERIFY(writeFile(dbPath(), bytes));
    } else if (kind == QLatin1String("newer")) {
        {
            SqliteSessionStore store(dbPath());
            QString error;
            QVERIFY(store.open(&error));
        }
        Reader r(dbPath());
        QVERIFY(r.exec(QStringLiteral("UPDATE schema_version SET version = 99")));
    } else if (kind == QLatin1String("foreign")) {
        Reader r(dbPath());
        QVERIFY(r.exec(QStringLiteral("CREATE TABLE photos (id INTEGER PRIMARY KEY, data BLOB)")));
    } else if (kind == QLatin1String("directory")) {
        QVERIFY(QDir().mkdir(dbPath()));
    }
    const QByteArray before = kind == QLatin1String("directory") ? QByteArray() : readAll(dbPath());

    SqliteSessionStore store(dbPath());
    QString error;
    QVERIFY(!store.open(&error));
    QVERIFY(!store.isOpen());
    QVERIFY2(error.contains(reason), qPrintable(error));
    if (kind != QLatin1String("directory"))
        QCOMPARE(readAll(dbPath()), before); // never silently replaced
}

void tst_SessionStore::unreadableFileIsRefused()
{
    {
        SqliteSessionStore store(dbPath());
        QString error;
        QVERIFY(store.open(&error));
    }
    QVERIFY(QFile::setPermissions(dbPath(), QFileDevice::Permissions()));
    if (::geteuid() == 0)
        QSKIP("root reads any file: permissions cannot make it unreadable");
    SqliteSessionStore store(dbPath());
    QString error;
    QVERIFY(!store.open(&error));
    QVERIFY2(error.contains(QLatin1String("cannot read")), qPrintable(error));
}

void tst_SessionStore::setAsideMovesFileAndWal()
{
    QVERIFY(writeFile(dbPath(), "garbage"));
    QVERIFY(writeFile(dbPath() + QStringLiteral("-wal"), "old wal"));
    QString error;
    const QString aside = SqliteSessionStore::setAside(dbPath(), &error);
    QVERIFY2(!aside.isEmpty(), qPrintable(error));
    QVERIFY(aside.startsWith(dbPath() + QStringLiteral(".corrupt-")));
    QCOMPARE(readAll(aside), QByteArray("garbage"));
    QCOMPARE(readAll(aside + QStringLiteral("-wal")), QByteArray("old wal"));
    QVERIFY(!QFile::exists(dbPath()));
    QVERIFY(!QFile::exists(dbPath() + QStringLiteral("-wal")));

    SqliteSessionStore store(dbPath());
    QVERIFY2(store.open(&error), qPrintable(error));
    QVERIFY(store.load(0).sessions.isEmpty());
}

QTEST_GUILESS_MAIN(tst_SessionStore)
#include "tst_sessionstore.moc"
