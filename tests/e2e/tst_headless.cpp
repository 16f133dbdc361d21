// SPDX-License-Identifier: MIT
// `warden --no-gui` as a real child process: JSON log lines, SIGHUP reloads, SIGTERM stops,
// the command-line contract, and a client written like the seed's page.
#include "server/closecodes.h"
#include "server/jwt.h"
#include "tests/common/childwarden.h"
#include "tests/common/testclient.h"

#include <QtCore/QDeadlineTimer>
#include <QtCore/QElapsedTimer>
#include <QtCore/QFile>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QProcess>
#include <QtCore/QTemporaryDir>
#include <QtCore/QTimer>
#include <QtNetwork/QTcpServer>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

#include <csignal>

namespace {
const QByteArray kSecret = QByteArrayLiteral("headless-secret-0123456789");

QString wardenBin()
{
    return qEnvironmentVariable("WARDEN_BIN");
}
} // namespace

class tst_Headless : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void seedStyleClientIsLoggedOutOnTime();
    void sighupReloadsValidAndRefusesInvalid();
    void sigtermStopsGracefully();
    void textFormatByDefault();
    void commandLineErrorsExit2_data();
    void commandLineErrorsExit2();
    void badConfigFileExits1WithFileKeyReason();
    void busyPortExits1();
    void tokenCommandMintsAVerifiableToken();
    void shippedExampleConfigLoads();

private:
    QString writeConfig(const QString &name, const QByteArray &body);
    QStringList baseArgs(const QString &config) const;
    QTemporaryDir m_dir;
};

void tst_Headless::initTestCase()
{
    QVERIFY2(!wardenBin().isEmpty() && QFile::exists(wardenBin()),
             "WARDEN_BIN must point at the built warden");
    QVERIFY(m_dir.isValid());
}

QString tst_Headless::writeConfig(const QString &name, const QByteArray &body)
{
    const QString path = m_dir.filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return {};
    f.write(body);
    return path;
}

QStringList tst_Headless::baseArgs(const QString &config) const
{
    return {QStringLiteral("--no-gui"),
            QStringLiteral("--config"),
            config,
            QStringLiteral("--data-dir"),
            m_dir.filePath(QStringLiteral("data")),
            QStringLiteral("--log-format"),
            QStringLiteral("json")};
}

void tst_Headless::seedStyleClientIsLoggedOutOnTime()
{
    const QString cfg
        = writeConfig(QStringLiteral("seed.ini"),
                      "[server]\nlisten = 127.0.0.1:0\n[auth]\njwt_secret = " + kSecret
                          + "\n[session]\nidle_timeout = 1.5\nwarning = 0.5\n");
    ChildWarden w(baseArgs(cfg));
    const quint16 port = w.port();
    QVERIFY(port);

    // Exactly what the seed page does: open, then loginCheck every 50 ms, forever.
    TestClient seed;
    QVERIFY(seed.open(QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(port))));
    const QByteArray token = Jwt::mint(kSecret, QStringLiteral("seed-user"));
    QElapsedTimer t;
    t.start();
    QTimer poll;
    poll.setInterval(50);
    connect(&poll, &QTimer::timeout, &seed, [&] {
        if (seed.isConnected())
            seed.loginCheck(token);
    });
    seed.loginCheck(token);
    poll.start();
    QVERIFY(seed.waitForDisconnected(5000));
    const qint64 elapsed = t.elapsed();
    QVERIFY2(elapsed >= 1450 && elapsed < 2300, qPrintable(QString::number(elapsed)));
    QCOMPARE(seed.closeCode(), int(CloseCode::IdleTimeout));
    // The seed decodes JSON.parse(s.substring(2))[1]: every frame must survive that.
    for (const TestClient::Frame &f : seed.frames()) {
        QJsonParseError err{};
        const QJsonDocument d = QJsonDocument::fromJson(f.raw.mid(2).toUtf8(), &err);
        QCOMPARE(err.error, QJsonParseError::NoError);
        QVERIFY(d.array().at(1).isObject());
    }
    const auto messages = seed.framesOf(QStringLiteral("message"));
    QCOMPARE(messages.size(), 2);
    QCOMPARE(messages.first().data.toObject().value(QStringLiteral("code")).toInt(), 200);
    QCOMPARE(messages.last().data.toObject().value(QStringLiteral("code")).toInt(), 401);
    QVERIFY(!w.waitFor(QStringLiteral("expired")).isEmpty());
}

void tst_Headless::sighupReloadsValidAndRefusesInvalid()
{
    const QByteArray head
        = "[server]\nlisten = 127.0.0.1:0\n[auth]\njwt_secret = " + kSecret + "\n";
    const QString cfg
        = writeConfig(QStringLiteral("reload.ini"), head + "[session]\nidle_timeout = 20\n");
    ChildWarden w(baseArgs(cfg));
    const quint16 port = w.port();
    QVERIFY(port);
    const QUrl url(QStringLiteral("ws://127.0.0.1:%1/").arg(port));

    TestClient before;
    QVERIFY(before.open(url));
    before.loginCheck(Jwt::mint(kSecret, QStringLiteral("alice")));
    QVERIFY(before.waitForEvent(QStringLiteral("message")) >= 0);

    // Valid: applied live, changed keys logged, nobody dropped.
    writeConfig(QStringLiteral("reload.ini"), head + "[session]\nidle_timeout = 30\nwarning = 5\n");
    w.signal(SIGHUP);
    const QJsonObject reload = w.waitFor(QStringLiteral("reload"));
    QVERIFY(!reload.isEmpty());
    const QJsonArray changed = reload.value(QStringLiteral("changed")).toArray();
    QVERIFY(changed.contains(QStringLiteral("session/idle_timeout")));
    QVERIFY(changed.contains(QStringLiteral("session/warning")));
    QCOMPARE(reload.value(QStringLiteral("source")).toString(), QStringLiteral("sighup"));
    QVERIFY(before.roundTrip());
    QVERIFY(before.isConnected());

    // Invalid: refused with file, key and reason; the old config keeps running.
    writeConfig(QStringLiteral("reload.ini"), head + "[session]\nidle_timeout = banana\n");
    w.signal(SIGHUP);
    const QJsonObject failed = w.waitFor(QStringLiteral("reload_failed"));
    QVERIFY(!failed.isEmpty());
    QCOMPARE(failed.value(QStringLiteral("file")).toString(), cfg);
    QCOMPARE(failed.value(QStringLiteral("key")).toString(),
             QStringLiteral("session/idle_timeout"));
    QVERIFY(failed.value(QStringLiteral("reason")).toString().contains(QLatin1String("banana")));
    QVERIFY(before.isConnected());

    TestClient after;
    QVERIFY(after.open(url));
    after.loginCheck(Jwt::mint(kSecret, QStringLiteral("bob")));
    QVERIFY(after.waitForEvent(QStringLiteral("message")) >= 0);
    const QJsonObject ok = after.firstData(QStringLiteral("message"));
    QCOMPARE(ok.value(QStringLiteral("code")).toInt(), 200);
    QCOMPARE(ok.value(QStringLiteral("idle_timeout")).toDouble(),
             30.0); // still the last good config
    QCOMPARE(w.process().state(), QProcess::Running);
}

void tst_Headless::sigtermStopsGracefully()
{
    const QString cfg
        = writeConfig(QStringLiteral("term.ini"),
                      "[server]\nlisten = 127.0.0.1:0\n[auth]\njwt_secret = " + kSecret + "\n");
    ChildWarden w(baseArgs(cfg));
    const quint16 port = w.port();
    QVERIFY(port);
    TestClient a;
    TestClient b;
    QVERIFY(a.open(QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(port))));
    QVERIFY(b.open(QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(port))));
    a.loginCheck(Jwt::mint(kSecret, QStringLiteral("alice")));
    QVERIFY(a.waitForEvent(QStringLiteral("message")) >= 0);

    QSignalSpy finished(&w.process(), &QProcess::finished);
    w.signal(SIGTERM);
    QVERIFY(a.waitForDisconnected());
    QVERIFY(b.waitForDisconnected());
    QCOMPARE(a.closeCode(), int(CloseCode::ShuttingDown));
    QCOMPARE(b.closeCode(), int(CloseCode::ShuttingDown));
    QVERIFY(finished.wait(5000));
    QCOMPARE(w.process().exitStatus(), QProcess::NormalExit);
    QCOMPARE(w.process().exitCode(), 0);
    QVERIFY(!w.waitFor(QStringLiteral("stopping")).isEmpty());
    QCOMPARE(w.lines().last().value(QStringLiteral("type")).toString(), QStringLiteral("stopped"));
}

void tst_Headless::textFormatByDefault()
{
    const QString cfg
        = writeConfig(QStringLiteral("text.ini"),
                      "[server]\nlisten = 127.0.0.1:0\n[auth]\njwt_secret = " + kSecret + "\n");
    QProcess p;
    p.start(wardenBin(), {QStringLiteral("--no-gui"), QStringLiteral("--config"), cfg,
                          QStringLiteral("--data-dir"), m_dir.filePath(QStringLiteral("data"))});
    QByteArray out;
    QTRY_VERIFY_WITH_TIMEOUT(
        (out += p.readAllStandardOutput()).contains(" listening address=127.0.0.1:"), 5000);
    ::kill(pid_t(p.processId()), SIGINT);
    QVERIFY(p.waitForFinished(5000));
    QCOMPARE(p.exitCode(), 0);
    out += p.readAllStandardOutput();
    QVERIFY(out.contains(" stopped"));
}

void tst_Headless::commandLineErrorsExit2_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    QTest::addRow("unknown option")
        << QStringList{QStringLiteral("--bogus")} << "unknown option --bogus";
    QTest::addRow("bad listen") << QStringList{QStringLiteral("--no-gui"),
                                               QStringLiteral("--listen"),
                                               QStringLiteral("nowhere")}
                                << "--listen";
    QTest::addRow("missing value")
        << QStringList{QStringLiteral("--no-gui"), QStringLiteral("--config")} << "needs a value";
    QTest::addRow("bad idle timeout")
        << QStringList{QStringLiteral("--idle-timeout"), QStringLiteral("-3")} << "--idle-timeout";
    QTest::addRow("bad log format")
        << QStringList{QStringLiteral("--log-format"), QStringLiteral("xml")} << "--log-format";
    QTest::addRow("stray argument")
        << QStringList{QStringLiteral("start")} << "unexpected argument";
    QTest::addRow("token without user") << QStringList{QStringLiteral("token")} << "--user";
}

void tst_Headless::commandLineErrorsExit2()
{
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    QProcess p;
    p.start(wardenBin(), args);
    QVERIFY(p.waitForFinished(5000));
    QCOMPARE(p.exitCode(), 2);
    const QString err = QString::fromUtf8(p.readAllStandardError());
    QCOMPARE(err.count(QLatin1Char('\n')), 1);
    QVERIFY2(err.startsWith(QLatin1String("warden: ")) && err.contains(message), qPrintable(err));
}

void tst_Headless::badConfigFileExits1WithFileKeyReason()
{
    const QString cfg
        = writeConfig(QStringLiteral("bad.ini"), "[session]\nidle_timeout = 10\nwarning = 20\n");
    QProcess p;
    p.start(wardenBin(), {QStringLiteral("--no-gui"), QStringLiteral("--config"), cfg,
                          QStringLiteral("--data-dir"), m_dir.filePath(QStringLiteral("data"))});
    QVERIFY(p.waitForFinished(5000));
    QCOMPARE(p.exitCode(), 1);
    const QString err = QString::fromUtf8(p.readAllStandardError());
    QVERIFY2(err.contains(cfg) && err.contains(QLatin1String("[session] warning")),
             qPrintable(err));
}

void tst_Headless::busyPortExits1()
{
    QTcpServer squatter;
    QVERIFY(squatter.listen(QHostAddress::LocalHost, 0));
    QProcess p;
    p.start(wardenBin(), {QStringLiteral("--no-gui"), QStringLiteral("--listen"),
                          QStringLiteral("127.0.0.1:%1").arg(squatter.serverPort()),
                          QStringLiteral("--data-dir"), m_dir.filePath(QStringLiteral("data"))});
    QVERIFY(p.waitForFinished(5000));
    QCOMPARE(p.exitCode(), 1);
    QVERIFY(QString::fromUtf8(p.readAllStandardError()).contains(QLatin1String("cannot listen")));
}

void tst_Headless::tokenCommandMintsAVerifiableToken()
{
    const QString cfg
        = writeConfig(QStringLiteral("tok.ini"), "[auth]\njwt_secret = " + kSecret + "\n");
    QProcess p;
    p.start(wardenBin(),
            {QStringLiteral("token"), QStringLiteral("--user"), QStringLiteral("carol"),
             QStringLiteral("--session"), QStringLiteral("s-9"), QStringLiteral("--ttl"),
             QStringLiteral("600"), QStringLiteral("--config"), cfg});
    QVERIFY(p.waitForFinished(5000));
    QCOMPARE(p.exitCode(), 0);
    const QByteArray token = p.readAllStandardOutput().trimmed();
    const TokenCheck check = Jwt::verify(token, kSecret, QDateTime::currentMSecsSinceEpoch());
    QVERIFY2(check.ok, qPrintable(check.error));
    QCOMPARE(check.claims.user, QStringLiteral("carol"));
    QCOMPARE(check.claims.sessionId, QStringLiteral("s-9"));
    QVERIFY(check.claims.expiresAtMs > QDateTime::currentMSecsSinceEpoch());
}

void tst_Headless::shippedExampleConfigLoads()
{
    const QString example
        = qEnvironmentVariable("WARDEN_SOURCE_DIR") + QStringLiteral("/resources/warden.ini");
    QVERIFY(QFile::exists(example));
    QProcess p;
    p.start(wardenBin(), {QStringLiteral("token"), QStringLiteral("--user"), QStringLiteral("x"),
                          QStringLiteral("--config"), example, QStringLiteral("--data-dir"),
                          m_dir.filePath(QStringLiteral("example"))});
    QVERIFY(p.waitForFinished(5000));
    QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
    QVERIFY(QFile::exists(m_dir.filePath(QStringLiteral("example/jwt.secret"))));
}

QTEST_GUILESS_MAIN(tst_Headless)
#include "tst_headless.moc"
