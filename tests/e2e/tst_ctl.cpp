// SPDX-License-Identifier: MIT
// `warden ctl` as child processes against `warden --no-gui` as a child process: every command,
// tables and --json, the way ctl finds the server (--data-dir, --config, --admin/--token-file),
// exit codes 0/1/2, and `log --follow` until SIGINT.
#include "server/closecodes.h"
#include "server/jwt.h"
#include "tests/common/testclient.h"

#include <QtCore/QDeadlineTimer>
#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QProcess>
#include <QtCore/QRegularExpression>
#include <QtCore/QTemporaryDir>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

#include <csignal>
#include <memory>

namespace {
const QByteArray kSecret = QByteArrayLiteral("ctl-secret-0123456789abcdef");

QString wardenBin()
{
    return qEnvironmentVariable("WARDEN_BIN");
}

struct Run
{
    int code = -1;
    QByteArray out;
    QByteArray err;
    QJsonObject json() const { return QJsonDocument::fromJson(out).object(); }
};
} // namespace

class tst_Ctl : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void infosListSessionsTablesAndJson();
    void infosShowIoThreads();
    void kickAndLogoutReachRealClients();
    void sessionCreateExtendTouchBroadcast();
    void reloadWithDryRun();
    void tcpAndLog();
    void logFollowUntilSigint();
    void usageErrorsExit2_data();
    void usageErrorsExit2();
    void failuresExit1();
    void findsServerThroughConfigAndExplicitUrl();
    void stopEndsTheServer();
    void restartKeepsPortAndSessions();
    void httpsAdminWithCacertOrInsecure();

private:
    void startWarden(const QByteArray &adminIni, const QByteArray &serverIni = {});
    Run ctl(QStringList args);
    std::unique_ptr<TestClient> loggedIn(const QByteArray &token);
    QJsonObject waitForLine(const QString &type, int timeoutMs = 5000);

    QTemporaryDir m_dir;
    QString m_data;
    QString m_config;
    std::unique_ptr<QProcess> m_warden;
    QByteArray m_buffer;
    QList<QJsonObject> m_lines;
    quint16 m_port = 0;
};

void tst_Ctl::initTestCase()
{
    QVERIFY2(!wardenBin().isEmpty() && QFile::exists(wardenBin()),
             "WARDEN_BIN must point at the built warden");
    QVERIFY(m_dir.isValid());
}

void tst_Ctl::init()
{
    startWarden(QByteArray());
}

void tst_Ctl::startWarden(const QByteArray &adminIni, const QByteArray &serverIni)
{
    static int n = 0;
    m_data = m_dir.filePath(QStringLiteral("data%1").arg(++n));
    m_config = m_dir.filePath(QStringLiteral("warden%1.ini").arg(n));
    QFile f(m_config);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("[server]\nlisten = 127.0.0.1:0\ndata_dir = " + m_data.toUtf8() + "\n" + serverIni
            + "[auth]\njwt_secret = " + kSecret + "\n[admin]\nlisten = 127.0.0.1:0\n" + adminIni);
    f.close();
    m_lines.clear();
    m_buffer.clear();
    m_warden = std::make_unique<QProcess>();
    connect(m_warden.get(), &QProcess::readyReadStandardOutput, this, [this] {
        m_buffer += m_warden->readAllStandardOutput();
        qsizetype nl;
        while ((nl = m_buffer.indexOf('\n')) >= 0) {
            m_lines.append(QJsonDocument::fromJson(m_buffer.left(nl)).object());
            m_buffer.remove(0, nl + 1);
        }
    });
    m_warden->start(wardenBin(), {QStringLiteral("--no-gui"), QStringLiteral("--config"), m_config,
                                  QStringLiteral("--log-format"), QStringLiteral("json")});
    const QJsonObject listening = waitForLine(QStringLiteral("listening"));
    m_port = quint16(listening.value(QStringLiteral("address"))
                         .toString()
                         .section(QLatin1Char(':'), -1)
                         .toUInt());
    QVERIFY(m_port);
    QTRY_VERIFY(QFile::exists(QDir(m_data).filePath(QStringLiteral("admin.url"))));
}

void tst_Ctl::cleanup()
{
    if (m_warden && m_warden->state() != QProcess::NotRunning) {
        m_warden->terminate();
        if (!m_warden->waitForFinished(5000))
            m_warden->kill();
    }
    m_warden.reset();
}

QJsonObject tst_Ctl::waitForLine(const QString &type, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    for (;;) {
        for (const QJsonObject &o : std::as_const(m_lines)) {
            if (o.value(QStringLiteral("type")).toString() == type)
                return o;
        }
        if (deadline.hasExpired() || m_warden->state() == QProcess::NotRunning)
            return {};
        QSignalSpy spy(m_warden.get(), &QProcess::readyReadStandardOutput);
        spy.wait(int(qMax<qint64>(1, deadline.remainingTime())));
    }
}

Run tst_Ctl::ctl(QStringList args)
{
    args.prepend(QStringLiteral("ctl"));
    if (!args.contains(QStringLiteral("--admin")) && !args.contains(QStringLiteral("--config"))
        && !args.contains(QStringLiteral("--data-dir"))) {
        args.append(QStringLiteral("--data-dir"));
        args.append(m_data);
    }
    QProcess p;
    p.start(wardenBin(), args);
    Run r;
    if (!p.waitForFinished(10000))
        return r;
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

std::unique_ptr<TestClient> tst_Ctl::loggedIn(const QByteArray &token)
{
    return TestClient::loggedIn(QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(m_port)), token);
}

void tst_Ctl::infosListSessionsTablesAndJson()
{
    auto a = loggedIn(Jwt::mint(kSecret, QStringLiteral("alice"), QStringLiteral("s-alice")));
    QVERIFY(a);
    const Run infos = ctl({QStringLiteral("infos")});
    QCOMPARE(infos.code, 0);
    QVERIFY(infos.out.startsWith("KEY"));
    QVERIFY(infos.out.contains("version"));
    QVERIFY(infos.out.contains("session/idle_timeout"));
    QVERIFY(!infos.out.contains(kSecret));

    const Run json = ctl({QStringLiteral("infos"), QStringLiteral("--json")});
    QCOMPARE(json.code, 0);
    QCOMPARE(json.json().value(QStringLiteral("connections")).toInt(), 1);
    QCOMPARE(json.json().value(QStringLiteral("listen")).toString(),
             QStringLiteral("127.0.0.1:%1").arg(m_port));

    const Run list = ctl({QStringLiteral("list")});
    QCOMPARE(list.code, 0);
    const QList<QByteArray> rows = list.out.trimmed().split('\n');
    QCOMPARE(rows.size(), 2);
    QVERIFY(rows.at(0).startsWith("ID"));
    QVERIFY(rows.at(1).contains("alice") && rows.at(1).contains("s-alice"));
    // Columns are aligned: every header starts where its cells start.
    QCOMPARE(rows.at(0).indexOf("USER"), rows.at(1).indexOf("alice"));

    const Run filtered = ctl({QStringLiteral("list"), QStringLiteral("--user"),
                              QStringLiteral("nobody"), QStringLiteral("--json")});
    QCOMPARE(filtered.code, 0);
    QCOMPARE(filtered.json().value(QStringLiteral("total")).toInt(), 0);

    const Run sessions = ctl({QStringLiteral("sessions")});
    QCOMPARE(sessions.code, 0);
    QVERIFY(sessions.out.contains("s-alice"));
}

void tst_Ctl::infosShowIoThreads()
{
    // The default here (auto on a 2-core machine: none) and two I/O threads set in the file.
    const Run before = ctl({QStringLiteral("infos"), QStringLiteral("--json")});
    QCOMPARE(before.code, 0);
    QVERIFY(before.json().value(QStringLiteral("io_threads")).isArray());
    cleanup();
    startWarden(QByteArray(), "io_threads = 2\n");
    QCOMPARE(waitForLine(QStringLiteral("listening")).value(QStringLiteral("io_threads")).toInt(),
             2);
    auto a = loggedIn(Jwt::mint(kSecret, QStringLiteral("alice"), QStringLiteral("s-a")));
    QVERIFY(a);
    const Run infos = ctl({QStringLiteral("infos")});
    QCOMPARE(infos.code, 0);
    // One connection: on one of the two threads.
    const QRegularExpression row(QStringLiteral("io_threads +2 \\(connections: (1, 0|0, 1)\\)"));
    QVERIFY2(row.match(QString::fromUtf8(infos.out)).hasMatch(), infos.out.constData());
    QVERIFY(infos.out.contains("server/io_threads"));
}

void tst_Ctl::kickAndLogoutReachRealClients()
{
    auto a = loggedIn(Jwt::mint(kSecret, QStringLiteral("alice"), QStringLiteral("s-a")));
    auto b1 = loggedIn(Jwt::mint(kSecret, QStringLiteral("bob"), QStringLiteral("s-b1")));
    auto b2 = loggedIn(Jwt::mint(kSecret, QStringLiteral("bob"), QStringLiteral("s-b2")));
    auto c = loggedIn(Jwt::mint(kSecret, QStringLiteral("carol"), QStringLiteral("s-c")));
    QVERIFY(a && b1 && b2 && c);
    const Run list = ctl({QStringLiteral("list"), QStringLiteral("--user"), QStringLiteral("alice"),
                          QStringLiteral("--json")});
    const QString id = QString::number(list.json()
                                           .value(QStringLiteral("connections"))
                                           .toArray()
                                           .first()
                                           .toObject()
                                           .value(QStringLiteral("id"))
                                           .toInteger());
    const Run kick
        = ctl({QStringLiteral("kick"), id, QStringLiteral("--reason"), QStringLiteral("spam")});
    QCOMPARE(kick.code, 0);
    QVERIFY(a->waitForDisconnected());
    QCOMPARE(a->closeCode(), int(CloseCode::Kicked));
    const QJsonObject audit = waitForLine(QStringLiteral("audit"));
    QVERIFY(audit.value(QStringLiteral("actor")).toString().startsWith(QLatin1String("admin (")));
    QVERIFY(audit.value(QStringLiteral("actor")).toString().endsWith(QLatin1String("@ctl)")));
    QCOMPARE(audit.value(QStringLiteral("reason")).toString(), QStringLiteral("spam"));

    const Run dry = ctl({QStringLiteral("logout"), QStringLiteral("--user"), QStringLiteral("bob"),
                         QStringLiteral("--dry-run")});
    QCOMPARE(dry.code, 0);
    QVERIFY2(dry.out.contains("would affect: 2 session(s), 2 connection(s)"), dry.out);
    QVERIFY(b1->roundTrip() && b1->isConnected());
    QCOMPARE(ctl({QStringLiteral("logout"), QStringLiteral("--user"), QStringLiteral("bob")}).code,
             0);
    QVERIFY(b1->waitForDisconnected());
    QVERIFY(b2->waitForDisconnected());
    QCOMPARE(b2->closeCode(), int(CloseCode::Kicked));

    QCOMPARE(ctl({QStringLiteral("logout"), QStringLiteral("--session"), QStringLiteral("s-c"),
                  QStringLiteral("--reason"), QStringLiteral("bye")})
                 .code,
             0);
    QVERIFY(c->waitForDisconnected());
    QCOMPARE(c->closeCode(), int(CloseCode::Kicked));
}

void tst_Ctl::sessionCreateExtendTouchBroadcast()
{
    const Run created
        = ctl({QStringLiteral("session-create"), QStringLiteral("--user"), QStringLiteral("eve"),
               QStringLiteral("--idle-timeout"), QStringLiteral("120"), QStringLiteral("--json")});
    QCOMPARE(created.code, 0);
    const QByteArray token = created.json().value(QStringLiteral("token")).toString().toLatin1();
    const QString sid = created.json().value(QStringLiteral("session_id")).toString();
    QVERIFY(!token.isEmpty() && !sid.isEmpty());
    auto eve = loggedIn(token);
    QVERIFY(eve);
    QCOMPARE(
        eve->firstData(QStringLiteral("message")).value(QStringLiteral("session_id")).toString(),
        sid);

    const Run table = ctl(
        {QStringLiteral("session-create"), QStringLiteral("--user"), QStringLiteral("frank")});
    QCOMPARE(table.code, 0);
    QVERIFY(table.out.startsWith("SESSION") && table.out.contains("frank"));

    const Run extend = ctl({QStringLiteral("extend"), QStringLiteral("--session"), sid});
    QCOMPARE(extend.code, 0);
    QVERIFY(extend.out.contains("expires at"));
    QVERIFY(eve->waitForEvent(QStringLiteral("extended")) >= 0);
    QCOMPARE(ctl({QStringLiteral("touch"), QStringLiteral("--session"), sid}).code, 0);

    const Run bc = ctl({QStringLiteral("broadcast"), QStringLiteral("notice"),
                        QStringLiteral("{\"text\":\"hi\"}"), QStringLiteral("--user"),
                        QStringLiteral("eve")});
    QCOMPARE(bc.code, 0);
    QVERIFY(eve->waitForEvent(QStringLiteral("notice")) >= 0);
    QCOMPARE(eve->firstData(QStringLiteral("notice")).value(QStringLiteral("text")).toString(),
             QStringLiteral("hi"));
}

void tst_Ctl::reloadWithDryRun()
{
    QFile f(m_config);
    QVERIFY(f.open(QIODevice::Append));
    f.write("[session]\nidle_timeout = 42\n");
    f.close();
    const Run dry = ctl({QStringLiteral("reload"), QStringLiteral("--dry-run")});
    QCOMPARE(dry.code, 0);
    QVERIFY2(dry.out.contains("would change: session/idle_timeout"), dry.out);
    const Run real = ctl({QStringLiteral("reload")});
    QCOMPARE(real.code, 0);
    QVERIFY(real.out.contains("reloaded; changed: session/idle_timeout"));
    QVERIFY(!waitForLine(QStringLiteral("reload")).isEmpty());

    QVERIFY(f.open(QIODevice::Append));
    f.write("bogus_key = 1\n");
    f.close();
    const Run bad = ctl({QStringLiteral("reload")});
    QCOMPARE(bad.code, 1);
    QVERIFY2(bad.err.contains("unknown key") && bad.err.contains("HTTP 422"), bad.err);
    QCOMPARE(bad.err.count('\n'), 1);
}

void tst_Ctl::tcpAndLog()
{
    const Run tcp = ctl({QStringLiteral("tcp")});
    QCOMPARE(tcp.code, 0);
    QVERIFY(tcp.out.startsWith("source: "));
    const Run tcpJson = ctl({QStringLiteral("tcp"), QStringLiteral("--json")});
    QVERIFY(tcpJson.json().contains(QStringLiteral("states")));

    const Run log = ctl({QStringLiteral("log")});
    QCOMPARE(log.code, 0);
    QVERIFY(log.out.contains(" listening address=127.0.0.1:"));
    const Run logJson = ctl({QStringLiteral("log"), QStringLiteral("--json"),
                             QStringLiteral("--limit"), QStringLiteral("1")});
    QCOMPARE(logJson.code, 0);
    QCOMPARE(logJson.out.trimmed().count('\n'), 0);
    QVERIFY(QJsonDocument::fromJson(logJson.out).object().contains(QStringLiteral("type")));
}

void tst_Ctl::logFollowUntilSigint()
{
    QProcess follow;
    follow.start(wardenBin(), {QStringLiteral("ctl"), QStringLiteral("log"),
                               QStringLiteral("--follow"), QStringLiteral("--data-dir"), m_data});
    QByteArray out;
    // The backlog comes first, then live events: a login made now must show up.
    QTRY_VERIFY_WITH_TIMEOUT((out += follow.readAllStandardOutput()).contains(" listening "), 5000);
    auto a = loggedIn(Jwt::mint(kSecret, QStringLiteral("live-user")));
    QVERIFY(a);
    QTRY_VERIFY_WITH_TIMEOUT(
        (out += follow.readAllStandardOutput()).contains("authenticated conn="), 5000);
    QVERIFY(out.contains("user=live-user"));
    ::kill(pid_t(follow.processId()), SIGINT);
    QVERIFY(follow.waitForFinished(5000));
    QCOMPARE(follow.exitStatus(), QProcess::NormalExit);
    QCOMPARE(follow.exitCode(), 0);

    // When the server goes away the follower ends by itself.
    QProcess second;
    second.start(wardenBin(), {QStringLiteral("ctl"), QStringLiteral("log"),
                               QStringLiteral("--follow"), QStringLiteral("--data-dir"), m_data});
    QByteArray out2;
    QTRY_VERIFY_WITH_TIMEOUT((out2 += second.readAllStandardOutput()).contains(" listening "),
                             5000);
    m_warden->terminate();
    QVERIFY(second.waitForFinished(8000));
    QCOMPARE(second.exitStatus(), QProcess::NormalExit);
}

void tst_Ctl::usageErrorsExit2_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    QTest::addRow("no command") << QStringList{} << "missing command";
    QTest::addRow("unknown command") << QStringList{QStringLiteral("explode")} << "unknown command";
    QTest::addRow("unknown option")
        << QStringList{QStringLiteral("list"), QStringLiteral("--bogus")} << "unknown option";
    QTest::addRow("kick without id") << QStringList{QStringLiteral("kick")} << "connection id";
    QTest::addRow("logout without target") << QStringList{QStringLiteral("logout")} << "--session";
    QTest::addRow("logout with both")
        << QStringList{QStringLiteral("logout"), QStringLiteral("--user"), QStringLiteral("a"),
                       QStringLiteral("--session"), QStringLiteral("b")}
        << "either";
    QTest::addRow("option of another command")
        << QStringList{QStringLiteral("stop"), QStringLiteral("--user"), QStringLiteral("x")}
        << "does not take";
    QTest::addRow("session-create without user")
        << QStringList{QStringLiteral("session-create")} << "--user";
    QTest::addRow("bad broadcast data")
        << QStringList{QStringLiteral("broadcast"), QStringLiteral("e"), QStringLiteral("{x")}
        << "not JSON";
    QTest::addRow("missing value")
        << QStringList{QStringLiteral("list"), QStringLiteral("--user")} << "needs a value";
}

void tst_Ctl::usageErrorsExit2()
{
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    const Run r = ctl(args);
    QCOMPARE(r.code, 2);
    QCOMPARE(r.err.count('\n'), 1);
    QVERIFY2(r.err.startsWith("warden ctl: ") && r.err.contains(message.toUtf8()), r.err);
    QVERIFY(r.out.isEmpty());
}

void tst_Ctl::failuresExit1()
{
    const Run unknown = ctl({QStringLiteral("kick"), QStringLiteral("9999")});
    QCOMPARE(unknown.code, 1);
    QCOMPARE(unknown.err, QByteArray("warden ctl: no such connection (HTTP 404)\n"));
    QCOMPARE(
        ctl({QStringLiteral("extend"), QStringLiteral("--session"), QStringLiteral("nope")}).code,
        1);

    // No server behind this data dir: one line, exit 1.
    const Run nothing = ctl({QStringLiteral("infos"), QStringLiteral("--data-dir"),
                             m_dir.filePath(QStringLiteral("empty"))});
    QCOMPARE(nothing.code, 1);
    QCOMPARE(nothing.err.count('\n'), 1);

    // A wrong token: 401 from the server.
    const QString wrong = m_dir.filePath(QStringLiteral("wrong.token"));
    QFile f(wrong);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("definitely-not-the-token\n");
    f.close();
    QFile url(QDir(m_data).filePath(QStringLiteral("admin.url")));
    QVERIFY(url.open(QIODevice::ReadOnly));
    const QString admin = QString::fromUtf8(url.readAll().trimmed());
    const Run denied = ctl({QStringLiteral("infos"), QStringLiteral("--admin"), admin,
                            QStringLiteral("--token-file"), wrong});
    QCOMPARE(denied.code, 1);
    QVERIFY(denied.err.contains("HTTP 401"));

    // The read-only token may look but not act.
    const QString readOnly = QDir(m_data).filePath(QStringLiteral("admin-readonly.token"));
    QCOMPARE(ctl({QStringLiteral("sessions"), QStringLiteral("--admin"), admin,
                  QStringLiteral("--token-file"), readOnly})
                 .code,
             0);
    const Run forbidden = ctl({QStringLiteral("stop"), QStringLiteral("--admin"), admin,
                               QStringLiteral("--token-file"), readOnly});
    QCOMPARE(forbidden.code, 1);
    QVERIFY(forbidden.err.contains("HTTP 403"));
    QCOMPARE(m_warden->state(), QProcess::Running);
}

void tst_Ctl::findsServerThroughConfigAndExplicitUrl()
{
    const Run viaConfig = ctl(
        {QStringLiteral("infos"), QStringLiteral("--config"), m_config, QStringLiteral("--json")});
    QCOMPARE(viaConfig.code, 0);
    QCOMPARE(viaConfig.json().value(QStringLiteral("config_file")).toString(), m_config);
}

void tst_Ctl::stopEndsTheServer()
{
    auto a = loggedIn(Jwt::mint(kSecret, QStringLiteral("alice")));
    QVERIFY(a);
    QSignalSpy finished(m_warden.get(), &QProcess::finished);
    const Run stop = ctl({QStringLiteral("stop")});
    QCOMPARE(stop.code, 0);
    QVERIFY(stop.out.contains("stopping"));
    QVERIFY(a->waitForDisconnected());
    QCOMPARE(a->closeCode(), int(CloseCode::ShuttingDown));
    QVERIFY(finished.wait(5000) || m_warden->state() == QProcess::NotRunning);
    QCOMPARE(m_warden->exitCode(), 0);
    QVERIFY(!QFile::exists(QDir(m_data).filePath(QStringLiteral("admin.url"))));
}

void tst_Ctl::restartKeepsPortAndSessions()
{
    auto a = loggedIn(Jwt::mint(kSecret, QStringLiteral("alice"), QStringLiteral("s-a")));
    QVERIFY(a);
    // A backend's opaque token comes back too.
    const Run created = ctl({QStringLiteral("session-create"), QStringLiteral("--user"),
                             QStringLiteral("bob"), QStringLiteral("--json")});
    QCOMPARE(created.code, 0);
    const QByteArray bobToken = created.json().value(QStringLiteral("token")).toString().toLatin1();
    QVERIFY(!bobToken.isEmpty());
    const auto mainListening = [this] {
        int n = 0;
        for (const QJsonObject &o : std::as_const(m_lines)) {
            if (o.value(QStringLiteral("type")).toString() == QLatin1String("listening")
                && !o.contains(QStringLiteral("service")))
                ++n;
        }
        return n;
    };
    QCOMPARE(mainListening(), 1);

    const Run restart
        = ctl({QStringLiteral("restart"), QStringLiteral("--reason"), QStringLiteral("deploy")});
    QCOMPARE(restart.code, 0);
    QVERIFY2(restart.out.contains("restarting (1 connections will reconnect)"), restart.out);
    QVERIFY(a->waitForDisconnected());
    QCOMPARE(a->closeCode(), int(CloseCode::Restarting));
    QTRY_COMPARE(mainListening(), 2);
    QCOMPARE(m_warden->state(), QProcess::Running);
    QJsonObject audit;
    for (const QJsonObject &o : std::as_const(m_lines)) {
        if (o.value(QStringLiteral("type")).toString() == QLatin1String("audit")
            && o.value(QStringLiteral("action")).toString() == QLatin1String("restart"))
            audit = o;
    }
    QCOMPARE(audit.value(QStringLiteral("reason")).toString(), QStringLiteral("deploy"));

    // The same port, the same sessions; the admin API kept its address.
    auto back = loggedIn(Jwt::mint(kSecret, QStringLiteral("alice"), QStringLiteral("s-a")));
    QVERIFY(back);
    QCOMPARE(back->firstData(QStringLiteral("message")).value(QStringLiteral("session_id")),
             QJsonValue(QStringLiteral("s-a")));
    auto bob = loggedIn(bobToken);
    QVERIFY(bob);
    const Run sessions = ctl({QStringLiteral("sessions"), QStringLiteral("--json")});
    QCOMPARE(sessions.code, 0);
    QCOMPARE(sessions.json().value(QStringLiteral("total")).toInt(), 2);
    QJsonObject listening;
    for (const QJsonObject &o : std::as_const(m_lines)) {
        if (o.value(QStringLiteral("type")).toString() == QLatin1String("listening")
            && !o.contains(QStringLiteral("service")))
            listening = o;
    }
    QCOMPARE(listening.value(QStringLiteral("sessions_restored")).toInt(), 2);
}

// [admin] tls_cert/tls_key with a certificate made now by openssl: ctl refuses an untrusted
// certificate (exit 1, pointing at --cacert), trusts it with --cacert, skips the check with
// --insecure; `log --follow` streams over wss:// with the same options.
void tst_Ctl::httpsAdminWithCacertOrInsecure()
{
    cleanup();
    const QString cert = m_dir.filePath(QStringLiteral("admin.pem"));
    const QString key = m_dir.filePath(QStringLiteral("admin.key"));
    QProcess openssl;
    openssl.start(QStringLiteral("openssl"),
                  {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                   QStringLiteral("ec"), QStringLiteral("-pkeyopt"),
                   QStringLiteral("ec_paramgen_curve:prime256v1"), QStringLiteral("-nodes"),
                   QStringLiteral("-keyout"), key, QStringLiteral("-out"), cert,
                   QStringLiteral("-days"), QStringLiteral("1"), QStringLiteral("-subj"),
                   QStringLiteral("/CN=warden-admin"), QStringLiteral("-addext"),
                   QStringLiteral("subjectAltName=IP:127.0.0.1")});
    QVERIFY(openssl.waitForFinished(20000) && openssl.exitCode() == 0);
    startWarden("tls_cert = " + cert.toUtf8() + "\ntls_key = " + key.toUtf8() + "\n");
    if (QTest::currentTestFailed())
        return;
    QFile url(QDir(m_data).filePath(QStringLiteral("admin.url")));
    QVERIFY(url.open(QIODevice::ReadOnly));
    QVERIFY(url.readAll().startsWith("https://127.0.0.1:"));

    const Run untrusted = ctl({QStringLiteral("infos")});
    QCOMPARE(untrusted.code, 1);
    QVERIFY2(untrusted.err.contains("--cacert"), untrusted.err.constData());

    const Run trusted = ctl(
        {QStringLiteral("infos"), QStringLiteral("--cacert"), cert, QStringLiteral("--json")});
    QCOMPARE(trusted.code, 0);
    QVERIFY(trusted.json().contains(QStringLiteral("version")));
    QCOMPARE(ctl({QStringLiteral("infos"), QStringLiteral("--insecure")}).code, 0);
    QCOMPARE(ctl({QStringLiteral("infos"), QStringLiteral("--cacert"), m_config}).code, 1);

    QProcess follow;
    follow.start(wardenBin(),
                 {QStringLiteral("ctl"), QStringLiteral("log"), QStringLiteral("--follow"),
                  QStringLiteral("--data-dir"), m_data, QStringLiteral("--cacert"), cert});
    QByteArray out;
    QTRY_VERIFY_WITH_TIMEOUT((out += follow.readAllStandardOutput()).contains(" listening "), 5000);
    ::kill(pid_t(follow.processId()), SIGINT);
    QVERIFY(follow.waitForFinished(5000));
    QCOMPARE(follow.exitCode(), 0);
}

QTEST_GUILESS_MAIN(tst_Ctl)
#include "tst_ctl.moc"
