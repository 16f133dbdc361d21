// SPDX-License-Identifier: MIT
// Sessions survive restarts and crashes: a headless Warden child process with a data dir is
// killed (-9) or stopped (SIGTERM) and started again on the same store.
#include "server/closecodes.h"
#include "server/jwt.h"
#include "tests/common/childwarden.h"
#include "tests/common/testclient.h"

#include <QtCore/QDateTime>
#include <QtCore/QDeadlineTimer>
#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QProcess>
#include <QtCore/QTemporaryDir>
#include <QtSql/QSqlDatabase>
#include <QtSql/QSqlQuery>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

#include <algorithm>
#include <csignal>
#include <memory>

namespace {
const QByteArray kSecret = QByteArrayLiteral("restart-secret-0123456789");

QString wardenBin()
{
    return qEnvironmentVariable("WARDEN_BIN");
}

QJsonObject loginReply(TestClient &c, const QByteArray &token)
{
    c.loginCheck(token);
    const int i = c.waitForEvent(QStringLiteral("message"));
    return i < 0 ? QJsonObject() : c.frames().at(i).data.toObject();
}
} // namespace

class tst_Restart : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void sessionsSurviveRestart_data();
    void sessionsSurviveRestart();
    void corruptStoreRefusesToStartUnlessReset();

private:
    QStringList args(const QString &dataDir, const QString &config) const;
    QTemporaryDir m_dir;
};

void tst_Restart::initTestCase()
{
    QVERIFY2(!wardenBin().isEmpty() && QFile::exists(wardenBin()),
             "WARDEN_BIN must point at the built warden");
    QVERIFY(m_dir.isValid());
}

QStringList tst_Restart::args(const QString &dataDir, const QString &config) const
{
    return {QStringLiteral("--no-gui"),
            QStringLiteral("--config"),
            config,
            QStringLiteral("--data-dir"),
            dataDir,
            QStringLiteral("--log-format"),
            QStringLiteral("json")};
}

void tst_Restart::sessionsSurviveRestart_data()
{
    QTest::addColumn<bool>("crash");
    QTest::addRow("kill -9") << true;
    QTest::addRow("SIGTERM") << false;
}

void tst_Restart::sessionsSurviveRestart()
{
    QFETCH(bool, crash);
    const QString dataDir
        = m_dir.filePath(crash ? QStringLiteral("crash") : QStringLiteral("term"));
    const QString config = m_dir.filePath(QStringLiteral("restart.ini"));
    {
        QFile f(config);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        // A warning 2 s after the last activity carries the exact deadline (ms) to compare.
        f.write("[server]\nlisten = 127.0.0.1:0\n[auth]\njwt_secret = " + kSecret
                + "\n[session]\nidle_timeout = 30\nwarning = 28\n[shutdown]\nspread_ms = 200\n"
                  "[admin]\nlisten = 127.0.0.1:0\n");
    }
    const QByteArray alice = Jwt::mint(kSecret, QStringLiteral("alice"), QStringLiteral("s-alice"));
    const QByteArray bob = Jwt::mint(kSecret, QStringLiteral("bob"), QStringLiteral("s-bob"));
    // Carol's token ends (exp) while Warden is down.
    const qint64 carolExp = QDateTime::currentSecsSinceEpoch() + 5;
    const QByteArray carol
        = Jwt::mint(kSecret, QStringLiteral("carol"), QStringLiteral("s-carol"), carolExp);

    // The first run starts on an unusable file with --reset-store: its audit entry must survive
    // too, next to the operator's kick.
    QVERIFY(QDir().mkpath(dataDir));
    {
        QFile junk(QDir(dataDir).filePath(QStringLiteral("warden.db")));
        QVERIFY(junk.open(QIODevice::WriteOnly));
        junk.write("not a database");
    }

    double deadlineBefore = 0;
    {
        ChildWarden w(args(dataDir, config) << QStringLiteral("--reset-store"));
        const quint16 port = w.port();
        QVERIFY(port);
        const QUrl url(QStringLiteral("ws://127.0.0.1:%1/").arg(port));
        TestClient a;
        TestClient b;
        TestClient c;
        QVERIFY(a.open(url));
        QVERIFY(b.open(url));
        QVERIFY(c.open(url));
        QCOMPARE(loginReply(a, alice).value(QStringLiteral("code")).toInt(), 200);
        QCOMPARE(loginReply(b, bob).value(QStringLiteral("code")).toInt(), 200);
        QCOMPARE(loginReply(c, carol).value(QStringLiteral("code")).toInt(), 200);

        // An operator kicks Bob's connection (`warden ctl kick`, through the admin API): a
        // revocation, durable before the operator is answered and his tabs are told.
        const auto bobConnection = [&w] {
            for (const QJsonObject &e : w.linesOf(QStringLiteral("authenticated"))) {
                if (e.value(QStringLiteral("session_id")).toString() == QLatin1String("s-bob"))
                    return QString::number(e.value(QStringLiteral("connection_id")).toInteger());
            }
            return QString();
        };
        QTRY_VERIFY(!bobConnection().isEmpty()); // the line is printed a moment after the login
        QTRY_VERIFY(QFile::exists(QDir(dataDir).filePath(QStringLiteral("admin.url"))));
        QProcess kick;
        kick.start(wardenBin(), {QStringLiteral("ctl"), QStringLiteral("kick"), bobConnection(),
                                 QStringLiteral("--reason"), QStringLiteral("abuse"),
                                 QStringLiteral("--data-dir"), dataDir});
        QVERIFY(kick.waitForFinished(10000));
        QVERIFY2(kick.exitCode() == 0, kick.readAllStandardError().constData());
        QVERIFY(b.waitForDisconnected());
        QCOMPARE(b.closeCode(), int(CloseCode::Kicked));

        const int i = a.waitForEvent(QStringLiteral("expiring"), 5000);
        QVERIFY(i >= 0);
        deadlineBefore
            = a.frames().at(i).data.toObject().value(QStringLiteral("deadline")).toDouble();
        QVERIFY(deadlineBefore > 0);

        QSignalSpy finished(&w.process(), &QProcess::finished);
        if (crash) {
            w.signal(SIGKILL);
            QVERIFY(finished.wait(5000));
            QCOMPARE(w.process().exitStatus(), QProcess::CrashExit);
        } else {
            w.signal(SIGTERM);
            QVERIFY(a.waitForDisconnected());
            QCOMPARE(a.closeCode(), int(CloseCode::ShuttingDown));
            QVERIFY(finished.wait(5000));
            QCOMPARE(w.process().exitCode(), 0);
        }
    }
    // Stay down until carol's hard end has passed.
    QTRY_VERIFY_WITH_TIMEOUT(QDateTime::currentMSecsSinceEpoch() > carolExp * 1000 + 100, 6000);

    ChildWarden w(args(dataDir, config));
    const quint16 port = w.port();
    QVERIFY(port);
    const QJsonObject listening = w.waitFor(QStringLiteral("listening"));
    QCOMPARE(listening.value(QStringLiteral("sessions_restored")).toInt(), 1);
    QVERIFY(listening.value(QStringLiteral("revocations_restored")).toInt() >= 1);
    const QUrl url(QStringLiteral("ws://127.0.0.1:%1/").arg(port));

    // Carol's session ended while Warden was down: expired at start, and logged as such.
    bool carolExpired = false;
    for (const QJsonObject &e : w.linesOf(QStringLiteral("expired"))) {
        if (e.value(QStringLiteral("session_id")).toString() == QLatin1String("s-carol")) {
            carolExpired = e.value(QStringLiteral("while_down")).toBool();
            QCOMPARE(e.value(QStringLiteral("reason")).toString(),
                     QStringLiteral("session_expired"));
        }
    }
    QVERIFY(carolExpired);

    // Alice continues her session; the deadline is where it was (time down counted as idle).
    TestClient a;
    QVERIFY(a.open(url));
    const QJsonObject ok = loginReply(a, alice);
    QCOMPARE(ok.value(QStringLiteral("code")).toInt(), 200);
    QCOMPARE(ok.value(QStringLiteral("session_id")).toString(), QStringLiteral("s-alice"));
    const int i = a.waitForEvent(QStringLiteral("expiring"), 3000);
    QVERIFY(i >= 0);
    const double deadlineAfter
        = a.frames().at(i).data.toObject().value(QStringLiteral("deadline")).toDouble();
    QVERIFY2(qAbs(deadlineAfter - deadlineBefore) < 1000,
             qPrintable(QStringLiteral("%1 vs %2").arg(deadlineAfter).arg(deadlineBefore)));
    QVERIFY(ok.value(QStringLiteral("expires_in")).toDouble() < 30);
    const QJsonObject joined = w.waitFor(QStringLiteral("authenticated"));
    QCOMPARE(joined.value(QStringLiteral("new_session")).toBool(), false);

    // Bob's kick holds: his token is refused.
    TestClient b;
    QVERIFY(b.open(url));
    const QJsonObject refused = loginReply(b, bob);
    QCOMPARE(refused.value(QStringLiteral("code")).toInt(), 401);
    QCOMPARE(refused.value(QStringLiteral("reason")).toString(), QStringLiteral("kicked"));
    QVERIFY(b.waitForDisconnected());
    QCOMPARE(b.closeCode(), int(CloseCode::Kicked));

    // The event log from before the restart is in the store, and ids continue after it.
    const quint64 firstIdNow = quint64(listening.value(QStringLiteral("id")).toDouble());
    {
        QSqlDatabase db
            = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("peek"));
        db.setDatabaseName(QDir(dataDir).filePath(QStringLiteral("warden.db")));
        QVERIFY(db.open());
        QSqlQuery q(db);
        QVERIFY(
            q.exec(QStringLiteral("SELECT type, session_id FROM events WHERE id < %1 ORDER BY id")
                       .arg(firstIdNow)));
        QStringList before;
        while (q.next())
            before.append(q.value(0).toString() + QLatin1Char('/') + q.value(1).toString());
        QVERIFY2(before.contains(QStringLiteral("authenticated/s-alice")),
                 qPrintable(before.join(u',')));
        QVERIFY2(before.contains(QStringLiteral("kicked/s-bob")), qPrintable(before.join(u',')));
        QVERIFY(q.exec(QStringLiteral("SELECT details FROM audit_log WHERE id < %1 ORDER BY id")
                           .arg(firstIdNow)));
        QStringList audit;
        while (q.next())
            audit.append(q.value(0).toString());
        QVERIFY2(audit.size() >= 2, qPrintable(audit.join(u',')));
        QVERIFY(audit.first().contains(QLatin1String("reset_store")));
        const auto kickAudit = std::find_if(audit.cbegin(), audit.cend(), [](const QString &d) {
            return d.contains(QLatin1String("\"force_logout\""))
                   && d.contains(QLatin1String("\"s-bob\""))
                   && d.contains(QLatin1String("\"abuse\"")) && d.contains(QLatin1String("@ctl)"));
        });
        QVERIFY2(kickAudit != audit.cend(), qPrintable(audit.join(u',')));
        QVERIFY(firstIdNow > 1);
        q.finish();
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("peek"));
}

void tst_Restart::corruptStoreRefusesToStartUnlessReset()
{
    const QString dataDir = m_dir.filePath(QStringLiteral("corrupt"));
    QVERIFY(QDir().mkpath(dataDir));
    const QString db = QDir(dataDir).filePath(QStringLiteral("warden.db"));
    {
        QFile f(db);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("definitely not SQLite\n");
    }
    const QString config = m_dir.filePath(QStringLiteral("corrupt.ini"));
    {
        QFile f(config);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write("[server]\nlisten = 127.0.0.1:0\n[auth]\njwt_secret = " + kSecret + "\n");
    }

    QProcess p;
    p.start(wardenBin(), args(dataDir, config));
    QVERIFY(p.waitForFinished(5000));
    QCOMPARE(p.exitCode(), 1);
    const QString err = QString::fromUtf8(p.readAllStandardError());
    QCOMPARE(err.count(QLatin1Char('\n')), 1);
    QVERIFY2(err.startsWith(QLatin1String("warden: ")) && err.contains(db)
                 && err.contains(QLatin1String("not an SQLite database"))
                 && err.contains(QLatin1String("--reset-store")),
             qPrintable(err));
    QFile kept(db);
    QVERIFY(kept.open(QIODevice::ReadOnly));
    QCOMPARE(kept.readAll(), QByteArray("definitely not SQLite\n")); // untouched

    ChildWarden w(args(dataDir, config) << QStringLiteral("--reset-store"));
    QVERIFY(w.port());
    const QJsonObject reset = w.waitFor(QStringLiteral("audit"));
    QCOMPARE(reset.value(QStringLiteral("action")).toString(), QStringLiteral("reset_store"));
    const QString aside = reset.value(QStringLiteral("moved_to")).toString();
    QVERIFY(aside.startsWith(db + QStringLiteral(".corrupt-")));
    QFile moved(aside);
    QVERIFY(moved.open(QIODevice::ReadOnly));
    QCOMPARE(moved.readAll(), QByteArray("definitely not SQLite\n"));
}

QTEST_GUILESS_MAIN(tst_Restart)
#include "tst_restart.moc"
