// SPDX-License-Identifier: MIT
// Several Warden nodes sharing sessions through Redis (docs/cluster.md): a private redis-server
// and 2-3 headless Warden child processes on loopback, real WebSocket clients.
#include "server/closecodes.h"
#include "server/jwt.h"
#include "tests/common/childwarden.h"
#include "tests/common/redisserver.h"
#include "tests/common/testclient.h"

#include <QtCore/QCryptographicHash>
#include <QtCore/QDateTime>
#include <QtCore/QDir>
#include <QtCore/QElapsedTimer>
#include <QtCore/QFile>
#include <QtCore/QHash>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QProcess>
#include <QtCore/QTemporaryDir>
#include <QtCore/QTimer>
#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkReply>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

#include <algorithm>
#include <csignal>
#include <memory>

namespace {
const QByteArray kSecret = QByteArrayLiteral("cluster-secret-0123456789");

QJsonObject loginReply(TestClient &c, const QByteArray &token, int timeoutMs = 5000)
{
    const int from = int(c.frames().size());
    c.loginCheck(token);
    const int i = c.waitForEvent(QStringLiteral("message"), timeoutMs, from);
    return i < 0 ? QJsonObject() : c.frames().at(i).data.toObject();
}

int messageCode(const TestClient &c)
{
    for (const TestClient::Frame &f : c.frames()) {
        if (f.event == QLatin1String("message"))
            return f.data.toObject().value(QStringLiteral("code")).toInt();
    }
    return 0;
}
} // namespace

class tst_Cluster : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void tabsOnTwoNodesShareActivity();
    void kickLogoutAndBroadcastFromAnotherNode();
    void thousandSessionsExpireExactlyOnce();
    void killedNodesClientsContinueElsewhere();
    void redisRestartUnderLoadLosesNoRevocation();
    void hungRedisDoesNotHoldTheNode();
    void clusterWideListsAndCounts();
    void passwordDatabaseAndRefusedTls();
    void issuedTokensWorkOnEveryNode();
    void issuedTokensWhileRedisIsDown();
    void tokenLookupDoesNotHoldTheNode();

private:
    struct Node
    {
        std::unique_ptr<ChildWarden> process;
        QString dataDir;
        QUrl url;
    };
    // A node of the cluster `prefix` on redis; waits until it reports the cluster up.
    Node startNode(const RedisServer &redis, const QString &prefix, const QString &name,
                   const QByteArray &extra = {});
    // Any [cluster] redis URL; waits for the first `cluster` event, whatever its state.
    Node startNodeAt(const QString &redisUrl, const QString &prefix, const QString &name,
                     const QByteArray &extra = {});
    int ctl(const Node &node, const QStringList &args, QByteArray *out = nullptr);
    // GET on the node's admin API (its data dir's admin.url and admin.token); the status code.
    static int apiGet(const Node &node, const QString &path, QJsonObject *json);
    // A request with a JSON body (POST, DELETE...) on the node's admin API; the status code.
    static int apiSend(const Node &node, const QByteArray &method, const QString &path,
                       const QJsonObject &body, QJsonObject *json);
    static int countOf(const Node &node, const QString &type, const QString &sessionId);

    QTemporaryDir m_dir;
    RedisServer m_redis;
};

void tst_Cluster::initTestCase()
{
    QVERIFY2(!ChildWarden::binary().isEmpty() && QFile::exists(ChildWarden::binary()),
             "WARDEN_BIN must point at the built warden");
    QVERIFY(m_dir.isValid());
    QVERIFY2(m_redis.start(), "redis-server did not start (bash .ci/setup installs it)");
}

tst_Cluster::Node tst_Cluster::startNode(const RedisServer &redis, const QString &prefix,
                                         const QString &name, const QByteArray &extra)
{
    Node n = startNodeAt(redis.url(), prefix, name, extra);
    if (n.process
        && n.process->waitFor(QStringLiteral("cluster")).value(QStringLiteral("state")).toString()
               != QLatin1String("up"))
        n.process.reset();
    return n;
}

tst_Cluster::Node tst_Cluster::startNodeAt(const QString &redisUrl, const QString &prefix,
                                           const QString &name, const QByteArray &extra)
{
    Node n;
    n.dataDir = m_dir.filePath(prefix + name);
    const QString config = m_dir.filePath(prefix + name + QStringLiteral(".ini"));
    QFile f(config);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return n;
    f.write("[server]\nlisten = 127.0.0.1:0\n[auth]\njwt_secret = " + kSecret
            + "\n[admin]\nlisten = 127.0.0.1:0\n[shutdown]\nspread_ms = 0\n[cluster]\nredis = "
            + redisUrl.toUtf8() + "\nnode_id = " + name.toUtf8() + "\nprefix = " + prefix.toUtf8()
            + ":\n" + extra);
    f.close();
    n.process = std::make_unique<ChildWarden>(
        QStringList{QStringLiteral("--no-gui"), QStringLiteral("--config"), config,
                    QStringLiteral("--data-dir"), n.dataDir, QStringLiteral("--log-format"),
                    QStringLiteral("json")});
    const quint16 port = n.process->port();
    n.url = QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(port));
    if (!port || n.process->waitFor(QStringLiteral("cluster"), 1, 10000).isEmpty())
        n.process.reset();
    return n;
}

int tst_Cluster::ctl(const Node &node, const QStringList &args, QByteArray *out)
{
    QProcess p;
    p.start(ChildWarden::binary(), QStringList{QStringLiteral("ctl")} + args
                                       + QStringList{QStringLiteral("--data-dir"), node.dataDir});
    if (!p.waitForFinished(10000))
        return -1;
    if (out)
        *out = p.readAllStandardOutput() + p.readAllStandardError();
    return p.exitCode();
}

int tst_Cluster::apiGet(const Node &node, const QString &path, QJsonObject *json)
{
    QFile urlFile(node.dataDir + QStringLiteral("/admin.url"));
    QFile tokenFile(node.dataDir + QStringLiteral("/admin.token"));
    if (!urlFile.open(QIODevice::ReadOnly) || !tokenFile.open(QIODevice::ReadOnly))
        return -1;
    QNetworkAccessManager nam;
    QNetworkRequest request(QUrl(QString::fromUtf8(urlFile.readAll().trimmed()) + path));
    request.setRawHeader("Authorization", "Bearer " + tokenFile.readAll().trimmed());
    QNetworkReply *reply = nam.get(request);
    QSignalSpy done(reply, &QNetworkReply::finished);
    if (!done.wait(10000))
        return -1;
    *json = QJsonDocument::fromJson(reply->readAll()).object();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    reply->deleteLater();
    return status;
}

int tst_Cluster::apiSend(const Node &node, const QByteArray &method, const QString &path,
                         const QJsonObject &body, QJsonObject *json)
{
    QFile urlFile(node.dataDir + QStringLiteral("/admin.url"));
    QFile tokenFile(node.dataDir + QStringLiteral("/admin.token"));
    if (!urlFile.open(QIODevice::ReadOnly) || !tokenFile.open(QIODevice::ReadOnly))
        return -1;
    QNetworkAccessManager nam;
    QNetworkRequest request(QUrl(QString::fromUtf8(urlFile.readAll().trimmed()) + path));
    request.setRawHeader("Authorization", "Bearer " + tokenFile.readAll().trimmed());
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    QNetworkReply *reply = nam.sendCustomRequest(
        request, method, QJsonDocument(body).toJson(QJsonDocument::Compact));
    QSignalSpy done(reply, &QNetworkReply::finished);
    if (!done.wait(10000))
        return -1;
    *json = QJsonDocument::fromJson(reply->readAll()).object();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    reply->deleteLater();
    return status;
}

int tst_Cluster::countOf(const Node &node, const QString &type, const QString &sessionId)
{
    int n = 0;
    for (const QJsonObject &o : node.process->linesOf(type)) {
        if (o.value(QStringLiteral("session_id")).toString() == sessionId)
            ++n;
    }
    return n;
}

void tst_Cluster::tabsOnTwoNodesShareActivity()
{
    const QByteArray idle = "[session]\nidle_timeout = 3\nwarning = 0\n";
    Node a = startNode(m_redis, QStringLiteral("share"), QStringLiteral("na"), idle);
    Node b = startNode(m_redis, QStringLiteral("share"), QStringLiteral("nb"), idle);
    QVERIFY(a.process && b.process);
    const QByteArray token = Jwt::mint(kSecret, QStringLiteral("ann"), QStringLiteral("s-ann"));
    TestClient onA;
    TestClient onB;
    QVERIFY(onA.open(a.url));
    QVERIFY(onB.open(b.url));
    QCOMPARE(loginReply(onA, token).value(QStringLiteral("code")).toInt(), 200);
    QCOMPARE(loginReply(onB, token).value(QStringLiteral("code")).toInt(), 200);

    // Activity on one node only, for longer than the idle timeout: the other node's tab lives.
    for (TestClient *active : {&onA, &onB}) {
        QTimer activity;
        connect(&activity, &QTimer::timeout, active,
                [active] { active->sendEvent(QStringLiteral("activity")); });
        activity.start(300);
        QElapsedTimer spent;
        spent.start();
        // A duration under test (the session must outlive its 3 s idle timeout), not a wait for
        // an outcome: either tab closing ends the wait and fails below.
        QTRY_VERIFY_WITH_TIMEOUT(
            spent.elapsed() > 4500 || onA.hasDisconnected() || onB.hasDisconnected(), 8000);
        QVERIFY2(
            !onA.hasDisconnected() && !onB.hasDisconnected(),
            qPrintable(
                QStringLiteral("closed with %1 / %2").arg(onA.closeCode()).arg(onB.closeCode())));
    }

    // No more activity: both tabs end with the idle timeout, and the session expires once.
    QVERIFY(onA.waitForDisconnected(8000));
    QVERIFY(onB.waitForDisconnected(8000));
    QCOMPARE(onA.closeCode(), int(CloseCode::IdleTimeout));
    QCOMPARE(onB.closeCode(), int(CloseCode::IdleTimeout));
    QTRY_COMPARE(countOf(a, QStringLiteral("expired"), QStringLiteral("s-ann"))
                     + countOf(b, QStringLiteral("expired"), QStringLiteral("s-ann")),
                 1);
}

void tst_Cluster::kickLogoutAndBroadcastFromAnotherNode()
{
    Node a = startNode(m_redis, QStringLiteral("ops"), QStringLiteral("na"));
    Node b = startNode(m_redis, QStringLiteral("ops"), QStringLiteral("nb"));
    QVERIFY(a.process && b.process);
    const QByteArray kim = Jwt::mint(kSecret, QStringLiteral("kim"), QStringLiteral("s-kim"));
    const QByteArray lee = Jwt::mint(kSecret, QStringLiteral("lee"), QStringLiteral("s-lee"));
    const QByteArray uma = Jwt::mint(kSecret, QStringLiteral("uma"), QStringLiteral("s-uma"));
    const QByteArray ned = Jwt::mint(kSecret, QStringLiteral("ned"), QStringLiteral("s-ned"));

    TestClient kimA;
    TestClient leeA;
    TestClient leeB;
    TestClient umaA;
    TestClient nedA;
    QVERIFY(kimA.open(a.url) && leeA.open(a.url) && leeB.open(b.url) && umaA.open(a.url)
            && nedA.open(a.url));
    QCOMPARE(loginReply(kimA, kim).value(QStringLiteral("code")).toInt(), 200);
    QCOMPARE(loginReply(leeA, lee).value(QStringLiteral("code")).toInt(), 200);
    QCOMPARE(loginReply(leeB, lee).value(QStringLiteral("code")).toInt(), 200);
    QCOMPARE(loginReply(umaA, uma).value(QStringLiteral("code")).toInt(), 200);
    QCOMPARE(loginReply(nedA, ned).value(QStringLiteral("code")).toInt(), 200);

    // A kick on node B (`warden ctl logout --session`), of a session only node A holds.
    QByteArray out;
    QCOMPARE(ctl(b,
                 {QStringLiteral("logout"), QStringLiteral("--session"), QStringLiteral("s-kim"),
                  QStringLiteral("--reason"), QStringLiteral("abuse")},
                 &out),
             0);
    QVERIFY(kimA.waitForDisconnected());
    QCOMPARE(kimA.closeCode(), int(CloseCode::Kicked));
    QCOMPARE(
        kimA.firstData(QStringLiteral("message"), 1).value(QStringLiteral("reason")).toString(),
        QStringLiteral("kicked"));

    // A tab logging out on node B logs out its sibling on node A.
    leeB.sendEvent(QStringLiteral("logout"));
    QVERIFY(leeA.waitForDisconnected());
    QCOMPARE(leeA.closeCode(), int(CloseCode::LoggedOut));
    QVERIFY(leeB.waitForDisconnected());
    QCOMPARE(leeB.closeCode(), int(CloseCode::LoggedOut));

    // Logout of a user everywhere, issued on node B.
    QCOMPARE(
        ctl(b, {QStringLiteral("logout"), QStringLiteral("--user"), QStringLiteral("uma")}, &out),
        0);
    QVERIFY(umaA.waitForDisconnected());
    QCOMPARE(umaA.closeCode(), int(CloseCode::Kicked));

    // A broadcast from node B reaches node A's tabs; Ned's session was never touched.
    QCOMPARE(ctl(b,
                 {QStringLiteral("broadcast"), QStringLiteral("news"), QStringLiteral("{\"n\":7}")},
                 &out),
             0);
    const int i = nedA.waitForEvent(QStringLiteral("news"));
    QVERIFY(i >= 0);
    QCOMPARE(nedA.frames().at(i).data.toObject().value(QStringLiteral("n")).toInt(), 7);
    QVERIFY(nedA.isConnected());

    // The revocations hold on both nodes, including for a tab that never saw the session.
    for (const Node *n : {&a, &b}) {
        for (const QByteArray &token : {kim, lee, uma}) {
            TestClient late;
            QVERIFY(late.open(n->url));
            const QJsonObject refused = loginReply(late, token);
            QCOMPARE(refused.value(QStringLiteral("code")).toInt(), 401);
            QVERIFY(late.waitForDisconnected());
            QVERIFY(late.closeCode() == int(CloseCode::Kicked)
                    || late.closeCode() == int(CloseCode::LoggedOut));
        }
    }
}

void tst_Cluster::thousandSessionsExpireExactlyOnce()
{
    constexpr int Sessions = 1000;
    const QByteArray idle = "[session]\nidle_timeout = 600\nwarning = 0\n";
    std::vector<Node> nodes;
    for (const char *name : {"n1", "n2", "n3"}) {
        nodes.push_back(
            startNode(m_redis, QStringLiteral("many"), QString::fromLatin1(name), idle));
        QVERIFY(nodes.back().process);
    }
    // One hard end for all of them (the token's exp), far enough for the logins to finish on a
    // busy machine.
    const qint64 exp = QDateTime::currentSecsSinceEpoch() + 40;
    std::vector<std::unique_ptr<TestClient>> tabs;
    tabs.reserve(2 * Sessions);
    QList<QByteArray> tokens;
    for (int s = 0; s < Sessions; ++s) {
        tokens.append(Jwt::mint(kSecret, QStringLiteral("u%1").arg(s % 50),
                                QStringLiteral("m-%1").arg(s), exp));
        // Two tabs of each session, on two different nodes; all handshakes at once.
        for (int k = 0; k < 2; ++k) {
            tabs.push_back(std::make_unique<TestClient>());
            tabs.back()->socket().open(nodes[size_t((s + k) % 3)].url);
        }
    }
    const auto connected = [&tabs] {
        int n = 0;
        for (const auto &c : tabs)
            n += c->isConnected() ? 1 : 0;
        return n;
    };
    QTRY_COMPARE_WITH_TIMEOUT(connected(), 2 * Sessions, 30000);
    for (size_t i = 0; i < tabs.size(); ++i)
        tabs[i]->loginCheck(tokens.at(int(i / 2)));
    const auto loggedIn = [&tabs] {
        int n = 0;
        for (const auto &c : tabs)
            n += messageCode(*c) == 200 ? 1 : 0;
        return n;
    };
    QTRY_COMPARE_WITH_TIMEOUT(loggedIn(), 2 * Sessions, 30000);
    QVERIFY2(QDateTime::currentSecsSinceEpoch() < exp - 1, "the logins took too long");

    const auto closed = [&tabs] {
        int n = 0;
        for (const auto &c : tabs)
            n += c->hasDisconnected() ? 1 : 0;
        return n;
    };
    QTRY_COMPARE_WITH_TIMEOUT(closed(), 2 * Sessions, 40000);
    for (const auto &c : tabs)
        QCOMPARE(c->closeCode(), int(CloseCode::SessionExpired));
    QCOMPARE(m_redis.cli({QStringLiteral("ZCARD"), QStringLiteral("many:deadlines")}).value(0),
             QByteArray("0"));

    // Stop the nodes so every line they printed is in; then count.
    for (Node &n : nodes) {
        QSignalSpy finished(&n.process->process(), &QProcess::finished);
        n.process->signal(SIGTERM);
        QVERIFY(finished.wait(10000));
    }
    QHash<QString, int> expired;
    int total = 0;
    for (const Node &n : nodes) {
        for (const QJsonObject &o : n.process->linesOf(QStringLiteral("expired"))) {
            ++expired[o.value(QStringLiteral("session_id")).toString()];
            ++total;
            QCOMPARE(o.value(QStringLiteral("reason")).toString(),
                     QStringLiteral("session_expired"));
            QVERIFY2(!o.contains(QStringLiteral("cluster")),
                     QJsonDocument(o).toJson(QJsonDocument::Compact).constData());
        }
    }
    QCOMPARE(expired.size(), Sessions);
    QCOMPARE(total, Sessions);
    for (int s = 0; s < Sessions; ++s)
        QCOMPARE(expired.value(QStringLiteral("m-%1").arg(s)), 1);
}

void tst_Cluster::killedNodesClientsContinueElsewhere()
{
    // The warning comes 2 s after the last activity and carries the exact deadline.
    const QByteArray idle = "[session]\nidle_timeout = 30\nwarning = 28\n";
    Node a = startNode(m_redis, QStringLiteral("kill"), QStringLiteral("na"), idle);
    Node b = startNode(m_redis, QStringLiteral("kill"), QStringLiteral("nb"), idle);
    QVERIFY(a.process && b.process);
    const QByteArray token = Jwt::mint(kSecret, QStringLiteral("kai"), QStringLiteral("s-kai"));

    TestClient tab;
    QVERIFY(tab.open(a.url));
    QCOMPARE(loginReply(tab, token).value(QStringLiteral("code")).toInt(), 200);
    tab.sendEvent(QStringLiteral("activity"));
    const int i = tab.waitForEvent(QStringLiteral("expiring"), 5000);
    QVERIFY(i >= 0);
    const double before
        = tab.frames().at(i).data.toObject().value(QStringLiteral("deadline")).toDouble();
    QVERIFY(before > 0);
    QCOMPARE(m_redis
                 .cli({QStringLiteral("ZSCORE"), QStringLiteral("kill:deadlines"),
                       QStringLiteral("s-kai")})
                 .value(0)
                 .toDouble(),
             before);
    QCOMPARE(m_redis.cli({QStringLiteral("HLEN"), QStringLiteral("kill:conns:na")}).value(0),
             QByteArray("1"));

    QSignalSpy finished(&a.process->process(), &QProcess::finished);
    a.process->signal(SIGKILL);
    QVERIFY(finished.wait(5000));
    QVERIFY(tab.waitForDisconnected());

    // The browser reconnects through the load balancer and lands on node B.
    TestClient again;
    QVERIFY(again.open(b.url));
    const QJsonObject ok = loginReply(again, token);
    QCOMPARE(ok.value(QStringLiteral("code")).toInt(), 200);
    QCOMPARE(ok.value(QStringLiteral("session_id")).toString(), QStringLiteral("s-kai"));
    const int j = again.waitForEvent(QStringLiteral("expiring"), 5000);
    QVERIFY(j >= 0);
    QCOMPARE(again.frames().at(j).data.toObject().value(QStringLiteral("deadline")).toDouble(),
             before);
    const QJsonObject joined = b.process->waitFor(QStringLiteral("authenticated"));
    QCOMPARE(joined.value(QStringLiteral("new_session")).toBool(), false);

    // The dead node's registry entries run out with their heartbeat TTL.
    QTRY_COMPARE_WITH_TIMEOUT(
        m_redis.cli({QStringLiteral("EXISTS"), QStringLiteral("kill:conns:na")}).value(0),
        QByteArray("0"), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(
        m_redis.cli({QStringLiteral("EXISTS"), QStringLiteral("kill:node:na")}).value(0),
        QByteArray("0"), 10000);
    QCOMPARE(m_redis.cli({QStringLiteral("HLEN"), QStringLiteral("kill:conns:nb")}).value(0),
             QByteArray("1"));

    // `warden ctl info` on node B shows the cluster as it is now: node B alone, one connection.
    const auto clusterInfo = [this, &b] {
        QByteArray out;
        ctl(b, {QStringLiteral("info"), QStringLiteral("--json")}, &out);
        return QJsonDocument::fromJson(out).object().value(QStringLiteral("cluster")).toObject();
    };
    QTRY_COMPARE_WITH_TIMEOUT(clusterInfo().value(QStringLiteral("nodes")).toArray().size(), 1,
                              10000);
    const QJsonObject info = clusterInfo();
    QCOMPARE(info.value(QStringLiteral("node_id")).toString(), QStringLiteral("nb"));
    QCOMPARE(info.value(QStringLiteral("state")).toString(), QStringLiteral("up"));
    const QJsonObject only = info.value(QStringLiteral("nodes")).toArray().at(0).toObject();
    QCOMPARE(only.value(QStringLiteral("node_id")).toString(), QStringLiteral("nb"));
    QCOMPARE(only.value(QStringLiteral("connections")).toInt(), 1);
}

void tst_Cluster::redisRestartUnderLoadLosesNoRevocation()
{
    constexpr int Sessions = 12;
    RedisServer redis;
    QVERIFY(redis.start());
    Node a = startNode(redis, QStringLiteral("rr"), QStringLiteral("na"),
                       "on_redis_down = refuse_logins\n");
    Node b = startNode(redis, QStringLiteral("rr"), QStringLiteral("nb"));
    QVERIFY(a.process && b.process);
    QList<QByteArray> tokens;
    std::vector<std::unique_ptr<TestClient>> onA;
    std::vector<std::unique_ptr<TestClient>> onB;
    for (int s = 0; s < Sessions; ++s) {
        tokens.append(
            Jwt::mint(kSecret, QStringLiteral("r%1").arg(s), QStringLiteral("r-%1").arg(s)));
        onA.push_back(TestClient::loggedIn(a.url, tokens.last()));
        onB.push_back(TestClient::loggedIn(b.url, tokens.last()));
        QVERIFY(onA.back() && onB.back());
    }
    // Load: every tab is busy all along.
    QTimer load;
    connect(&load, &QTimer::timeout, this, [&] {
        for (auto *side : {&onA, &onB}) {
            for (const auto &c : *side) {
                if (c->isConnected())
                    c->sendEvent(QStringLiteral("activity"));
            }
        }
    });
    load.start(50);

    // Sessions 0-3 are kicked before Redis goes away (on node B).
    for (int s = 0; s < 4; ++s)
        QCOMPARE(ctl(b, {QStringLiteral("logout"), QStringLiteral("--session"),
                         QStringLiteral("r-%1").arg(s)}),
                 0);
    for (int s = 0; s < 4; ++s) {
        QVERIFY(onA[size_t(s)]->waitForDisconnected());
        QCOMPARE(onA[size_t(s)]->closeCode(), int(CloseCode::Kicked));
    }

    QVERIFY(redis.stop()); // no persistence: every key is gone
    QVERIFY(!a.process->waitFor(QStringLiteral("cluster"), 2, 10000).isEmpty());
    QVERIFY(!b.process->waitFor(QStringLiteral("cluster"), 2, 10000).isEmpty());

    // Sessions 4-7 are kicked on node B while Redis is down: node A cannot hear of it yet.
    for (int s = 4; s < 8; ++s)
        QCOMPARE(ctl(b, {QStringLiteral("logout"), QStringLiteral("--session"),
                         QStringLiteral("r-%1").arg(s)}),
                 0);
    for (int s = 4; s < 8; ++s)
        QVERIFY(onB[size_t(s)]->waitForDisconnected());
    // on_redis_down: node A (refuse_logins) refuses a new login, node B (serve_local) takes it;
    // logged-in tabs keep working on both.
    const QByteArray fresh = Jwt::mint(kSecret, QStringLiteral("fay"), QStringLiteral("r-fresh"));
    TestClient refused;
    QVERIFY(refused.open(a.url));
    QCOMPARE(loginReply(refused, fresh).value(QStringLiteral("code")).toInt(), 503);
    QVERIFY(refused.waitForDisconnected());
    QCOMPARE(refused.closeCode(), int(CloseCode::ClusterUnavailable));
    auto freshOnB = TestClient::loggedIn(b.url, fresh);
    QVERIFY(freshOnB);
    QVERIFY(onA[8]->roundTrip());
    QVERIFY(onA[5]->isConnected());

    QVERIFY(redis.start(redis.port()));
    QVERIFY(!a.process->waitFor(QStringLiteral("cluster"), 3, 15000).isEmpty());
    QVERIFY(!b.process->waitFor(QStringLiteral("cluster"), 3, 15000).isEmpty());
    // Node B replays its revocations: node A closes its tabs of sessions 4-7.
    for (int s = 4; s < 8; ++s) {
        QVERIFY(onA[size_t(s)]->waitForDisconnected(10000));
        QCOMPARE(onA[size_t(s)]->closeCode(), int(CloseCode::Kicked));
    }
    load.stop();
    // Sessions 8-11 and the one begun while Redis was down live on.
    for (int s = 8; s < Sessions; ++s) {
        QVERIFY(onA[size_t(s)]->roundTrip());
        QVERIFY(onB[size_t(s)]->roundTrip());
    }
    QVERIFY(freshOnB->roundTrip());

    // A node that never saw any of it refuses every revoked token and accepts the others.
    Node c = startNode(redis, QStringLiteral("rr"), QStringLiteral("nc"));
    QVERIFY(c.process);
    for (int s = 0; s < Sessions; ++s) {
        TestClient late;
        QVERIFY(late.open(c.url));
        const int code = loginReply(late, tokens[s]).value(QStringLiteral("code")).toInt();
        QCOMPARE(code, s < 8 ? 401 : 200);
        if (s < 8) {
            QVERIFY(late.waitForDisconnected());
            QCOMPARE(late.closeCode(), int(CloseCode::Kicked));
        }
    }
    TestClient lateFresh;
    QVERIFY(lateFresh.open(c.url));
    QCOMPARE(loginReply(lateFresh, fresh).value(QStringLiteral("code")).toInt(), 200);
}

void tst_Cluster::hungRedisDoesNotHoldTheNode()
{
    RedisServer redis;
    QVERIFY(redis.start());
    Node a = startNode(redis, QStringLiteral("hang"), QStringLiteral("na"));
    QVERIFY(a.process);
    auto tab = TestClient::loggedIn(
        a.url, Jwt::mint(kSecret, QStringLiteral("hal"), QStringLiteral("h-hal")));
    QVERIFY(tab);

    // Redis keeps its sockets but answers nothing.
    redis.signal(SIGSTOP);
    tab->sendEvent(QStringLiteral("activity"));
    QVERIFY(tab->roundTrip()); // the worker is not waiting for Redis
    // A login that needs Redis is answered once the node gives up on it (serve_local).
    TestClient late;
    QVERIFY(late.open(a.url));
    QCOMPARE(
        loginReply(late, Jwt::mint(kSecret, QStringLiteral("ida"), QStringLiteral("h-ida")), 15000)
            .value(QStringLiteral("code"))
            .toInt(),
        200);
    const QJsonObject down = a.process->waitFor(QStringLiteral("cluster"), 2, 10000);
    QCOMPARE(down.value(QStringLiteral("state")).toString(), QStringLiteral("down"));
    QVERIFY2(down.value(QStringLiteral("reason")).toString().contains(QLatin1String("answer")),
             qPrintable(down.value(QStringLiteral("reason")).toString()));
    QVERIFY(tab->roundTrip());

    redis.signal(SIGCONT);
    const QJsonObject up = a.process->waitFor(QStringLiteral("cluster"), 3, 15000);
    QCOMPARE(up.value(QStringLiteral("state")).toString(), QStringLiteral("up"));
    // The session begun while Redis was away is in Redis now.
    QTRY_COMPARE_WITH_TIMEOUT(
        redis.cli({QStringLiteral("HGET"), QStringLiteral("hang:s:h-ida"), QStringLiteral("user")})
            .value(0),
        QByteArray("ida"), 5000);
}

void tst_Cluster::clusterWideListsAndCounts()
{
    Node a = startNode(m_redis, QStringLiteral("lists"), QStringLiteral("na"));
    Node b = startNode(m_redis, QStringLiteral("lists"), QStringLiteral("nb"));
    QVERIFY(a.process && b.process);
    const QByteArray ann = Jwt::mint(kSecret, QStringLiteral("ann"), QStringLiteral("s-ann"));
    const QByteArray bob = Jwt::mint(kSecret, QStringLiteral("bob"), QStringLiteral("s-bob"));
    const QByteArray cat = Jwt::mint(kSecret, QStringLiteral("cat"), QStringLiteral("s-cat"));
    TestClient annA;
    TestClient bobB;
    TestClient catA;
    TestClient catB;
    QVERIFY(annA.open(a.url) && bobB.open(b.url) && catA.open(a.url) && catB.open(b.url));
    QCOMPARE(loginReply(annA, ann).value(QStringLiteral("code")).toInt(), 200);
    QCOMPARE(loginReply(bobB, bob).value(QStringLiteral("code")).toInt(), 200);
    QCOMPARE(loginReply(catA, cat).value(QStringLiteral("code")).toInt(), 200);
    QCOMPARE(loginReply(catB, cat).value(QStringLiteral("code")).toInt(), 200);

    // The whole cluster from node A: its own rows and node B's (from B's registry in Redis),
    // each with its node. The registry is written in batches, so B's rows come within moments.
    const auto rows = [this, &a](const QStringList &args, const char *key) {
        QByteArray out;
        if (ctl(a, args + QStringList{QStringLiteral("--json")}, &out) != 0)
            return QJsonArray();
        return QJsonDocument::fromJson(out).object().value(QLatin1String(key)).toArray();
    };
    const auto nodesOf = [](const QJsonArray &list, const QString &user) {
        QStringList nodes;
        for (const QJsonValue &v : list) {
            if (v[QLatin1String("user")].toString() == user)
                nodes.append(v[QLatin1String("node")].toString());
        }
        nodes.sort();
        return nodes.join(QLatin1Char(','));
    };
    const QStringList listCluster{QStringLiteral("list"), QStringLiteral("--cluster")};
    QTRY_COMPARE_WITH_TIMEOUT(rows(listCluster, "connections").size(), 4, 10000);
    QJsonArray all = rows(listCluster, "connections");
    QCOMPARE(nodesOf(all, QStringLiteral("ann")), QStringLiteral("na"));
    QCOMPARE(nodesOf(all, QStringLiteral("bob")), QStringLiteral("nb"));
    QCOMPARE(nodesOf(all, QStringLiteral("cat")), QStringLiteral("na,nb"));
    qint64 bobId = 0;
    for (const QJsonValue &v : all) {
        if (v[QLatin1String("user")].toString() == QLatin1String("bob")) {
            bobId = qint64(v[QLatin1String("id")].toDouble());
            QVERIFY(v[QLatin1String("peer")].toString().startsWith(QLatin1String("127.0.0.1:")));
            QVERIFY(!v[QLatin1String("connected_at")].toString().isEmpty());
            QCOMPARE(v[QLatin1String("session_id")].toString(), QStringLiteral("s-bob"));
        }
    }
    QVERIFY(bobId > 0);
    // This node only (the default): A's rows, each naming A.
    const QJsonArray local = rows({QStringLiteral("list")}, "connections");
    QCOMPARE(local.size(), 2);
    QCOMPARE(nodesOf(local, QStringLiteral("ann")) + nodesOf(local, QStringLiteral("cat")),
             QStringLiteral("nana"));
    // Sessions: one row per node holding the session.
    const QJsonArray sessions
        = rows({QStringLiteral("sessions"), QStringLiteral("--cluster")}, "sessions");
    QCOMPARE(nodesOf(sessions, QStringLiteral("cat")), QStringLiteral("na,nb"));
    QCOMPARE(nodesOf(sessions, QStringLiteral("bob")), QStringLiteral("nb"));
    // One node's rows (--node), and the table form with its NODE column.
    const QJsonArray onlyB = rows({QStringLiteral("sessions"), QStringLiteral("--cluster"),
                                   QStringLiteral("--node"), QStringLiteral("nb")},
                                  "sessions");
    QCOMPARE(onlyB.size(), 2);
    QCOMPARE(nodesOf(onlyB, QStringLiteral("cat")) + nodesOf(onlyB, QStringLiteral("bob")),
             QStringLiteral("nbnb"));
    QByteArray out;
    QCOMPARE(ctl(a, listCluster, &out), 0);
    const QList<QByteArray> lines = out.split('\n');
    QVERIFY2(lines.value(0).startsWith("NODE"), out.constData());
    QCOMPARE(std::count_if(lines.cbegin(), lines.cend(),
                           [](const QByteArray &l) { return l.startsWith("nb "); }),
             2);
    // Counts in info: every live node's connections, as of their last heartbeats.
    const auto clusterInfo = [this, &a] {
        QByteArray text;
        ctl(a, {QStringLiteral("info"), QStringLiteral("--json")}, &text);
        return QJsonDocument::fromJson(text).object().value(QLatin1String("cluster")).toObject();
    };
    QTRY_COMPARE_WITH_TIMEOUT(clusterInfo().value(QLatin1String("connections")).toInt(), 4, 10000);
    QVERIFY(clusterInfo().value(QLatin1String("sessions")).toInt() >= 3);
    QCOMPARE(ctl(a, {QStringLiteral("info")}, &out), 0);
    QVERIFY2(out.contains("cluster/connections") && out.contains("cluster/nodes")
                 && out.contains("nb (2 connections)"),
             out.constData());

    // One connection of node B, looked up through node A's API; an unknown one is 404.
    QJsonObject one;
    QCOMPARE(apiGet(a, QStringLiteral("/api/v1/connections/%1?node=nb").arg(bobId), &one), 200);
    QCOMPARE(one.value(QLatin1String("user")).toString(), QStringLiteral("bob"));
    QCOMPARE(one.value(QLatin1String("node")).toString(), QStringLiteral("nb"));
    QCOMPARE(apiGet(a, QStringLiteral("/api/v1/connections/987654?node=nb"), &one), 404);
    QCOMPARE(apiGet(a, QStringLiteral("/api/v1/connections?scope=everywhere"), &one), 400);

    // A single connection of node B, disconnected from node A: closed there with 4002.
    QCOMPARE(ctl(a,
                 {QStringLiteral("kick"), QString::number(bobId), QStringLiteral("--node"),
                  QStringLiteral("nb"), QStringLiteral("--mode"), QStringLiteral("disconnect"),
                  QStringLiteral("--json")},
                 &out),
             0);
    QVERIFY(bobB.waitForDisconnected());
    QCOMPARE(bobB.closeCode(), int(CloseCode::Disconnected));
    QJsonObject o = QJsonDocument::fromJson(out).object();
    QCOMPARE(o[QLatin1String("connections")].toInt(), 1);
    QCOMPARE(o[QLatin1String("nodes")][QLatin1String("nb")][QLatin1String("connections")].toInt(),
             1);
    // Unknown there: 404, and a ctl error.
    QCOMPARE(ctl(a,
                 {QStringLiteral("kick"), QStringLiteral("987654"), QStringLiteral("--node"),
                  QStringLiteral("nb"), QStringLiteral("--mode"), QStringLiteral("disconnect")},
                 &out),
             1);
    QVERIFY2(out.contains("HTTP 404"), out.constData());

    // Counts of a forwarded kick: node B reports what node A closed, per node.
    QCOMPARE(ctl(b,
                 {QStringLiteral("logout"), QStringLiteral("--session"), QStringLiteral("s-cat"),
                  QStringLiteral("--json")},
                 &out),
             0);
    QVERIFY(catA.waitForDisconnected());
    QVERIFY(catB.waitForDisconnected());
    o = QJsonDocument::fromJson(out).object();
    QCOMPARE(o[QLatin1String("connections")].toInt(), 2);
    QCOMPARE(o[QLatin1String("nodes")][QLatin1String("na")][QLatin1String("connections")].toInt(),
             1);
    QCOMPARE(o[QLatin1String("nodes")][QLatin1String("nb")][QLatin1String("connections")].toInt(),
             1);
    QCOMPARE(o[QLatin1String("no_answer")].toArray().size(), 0);

    // A broadcast from B reaches Ann on A, and says so.
    QCOMPARE(ctl(b,
                 {QStringLiteral("broadcast"), QStringLiteral("news"), QStringLiteral("{}"),
                  QStringLiteral("--json")},
                 &out),
             0);
    QVERIFY(annA.waitForEvent(QStringLiteral("news")) >= 0);
    o = QJsonDocument::fromJson(out).object();
    QCOMPARE(o[QLatin1String("connections")].toInt(), 1);
    QCOMPARE(o[QLatin1String("nodes")][QLatin1String("na")][QLatin1String("connections")].toInt(),
             1);

    // A node that does not answer (stopped) is named, and the answer still comes within ~1 s.
    a.process->signal(SIGSTOP);
    QElapsedTimer took;
    took.start();
    QCOMPARE(ctl(b,
                 {QStringLiteral("broadcast"), QStringLiteral("news"), QStringLiteral("{}"),
                  QStringLiteral("--json")},
                 &out),
             0);
    const qint64 elapsed = took.elapsed();
    a.process->signal(SIGCONT);
    o = QJsonDocument::fromJson(out).object();
    QCOMPARE(o[QLatin1String("no_answer")].toArray(), QJsonArray{QStringLiteral("na")});
    QVERIFY2(elapsed < 5000, QByteArray::number(elapsed).constData());
}

void tst_Cluster::passwordDatabaseAndRefusedTls()
{
    RedisServer locked;
    QVERIFY(locked.start(0, 10000, {QStringLiteral("--requirepass"), QStringLiteral("secret")}));
    const QString good = QStringLiteral("redis://:secret@127.0.0.1:%1/3").arg(locked.port());
    Node a = startNodeAt(good, QStringLiteral("pw"), QStringLiteral("na"));
    QVERIFY(a.process);
    QCOMPARE(a.process->linesOf(QStringLiteral("cluster")).first().value(QStringLiteral("state")),
             QJsonValue(QStringLiteral("up")));
    // The password never shows: not in the event, not in info.
    QVERIFY(!a.process->linesOf(QStringLiteral("cluster"))
                 .first()
                 .value(QStringLiteral("redis"))
                 .toString()
                 .contains(QLatin1String("secret")));
    const QByteArray pia = Jwt::mint(kSecret, QStringLiteral("pia"), QStringLiteral("s-pia"));
    TestClient tab;
    QVERIFY(tab.open(a.url));
    QCOMPARE(loginReply(tab, pia).value(QStringLiteral("code")).toInt(), 200);
    // The session landed in database 3, and nothing in database 0.
    QTRY_COMPARE(locked.cli({QStringLiteral("-n"), QStringLiteral("3"), QStringLiteral("HGET"),
                             QStringLiteral("pw:s:s-pia"), QStringLiteral("user")}),
                 QByteArrayList{"pia"});
    QCOMPARE(locked.cli({QStringLiteral("-n"), QStringLiteral("0"), QStringLiteral("DBSIZE")}),
             QByteArrayList{"0"});

    // A wrong password: a `cluster` event says down and why, the node serves alone
    // (serve_local) or refuses logins with 4005 (refuse_logins), and keeps running.
    const QString wrong = QStringLiteral("redis://:nope@127.0.0.1:%1/3").arg(locked.port());
    Node b = startNodeAt(wrong, QStringLiteral("pw"), QStringLiteral("nb"));
    Node c = startNodeAt(wrong, QStringLiteral("pw"), QStringLiteral("nc"),
                         "on_redis_down = refuse_logins\n");
    QVERIFY(b.process && c.process);
    for (const Node *n : {&b, &c}) {
        const QJsonObject down = n->process->linesOf(QStringLiteral("cluster")).first();
        QCOMPARE(down.value(QStringLiteral("state")).toString(), QStringLiteral("down"));
        const QString reason = down.value(QStringLiteral("reason")).toString();
        QVERIFY2(reason.startsWith(QLatin1String("AUTH: "))
                     && reason.contains(QLatin1String("WRONGPASS")),
                 qPrintable(reason));
        QVERIFY(!down.value(QStringLiteral("redis")).toString().contains(QLatin1String("nope")));
    }
    const QByteArray ola = Jwt::mint(kSecret, QStringLiteral("ola"), QStringLiteral("s-ola"));
    TestClient onB;
    TestClient onC;
    QVERIFY(onB.open(b.url) && onC.open(c.url));
    QCOMPARE(loginReply(onB, ola).value(QStringLiteral("code")).toInt(), 200);
    QCOMPARE(loginReply(onC, ola).value(QStringLiteral("code")).toInt(), 503);
    QVERIFY(onC.waitForDisconnected());
    QCOMPARE(onC.closeCode(), int(CloseCode::ClusterUnavailable));
    // It keeps retrying with backoff (each refused again), reporting down only once, and runs.
    QVERIFY(onB.isConnected());
    QCOMPARE(b.process->process().state(), QProcess::Running);
    QCOMPARE(b.process->linesOf(QStringLiteral("cluster")).size(), 1);
    // Cluster-wide lists need Redis: 503; this node's list still answers.
    QJsonObject answer;
    QCOMPARE(apiGet(b, QStringLiteral("/api/v1/connections?scope=cluster"), &answer), 503);
    QCOMPARE(apiGet(b, QStringLiteral("/api/v1/connections"), &answer), 200);
    QCOMPARE(answer.value(QLatin1String("total")).toInt(), 1);

    // rediss:// is refused at load with the file, the key and the reason (exit code 1, as for
    // any bad configuration at start).
    const QString tlsConfig = m_dir.filePath(QStringLiteral("tls.ini"));
    QFile f(tlsConfig);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write("[server]\nlisten = 127.0.0.1:0\n[auth]\njwt_secret = " + kSecret
            + "\n[cluster]\nredis = rediss://127.0.0.1:6380/0\n");
    f.close();
    QProcess tls;
    tls.start(ChildWarden::binary(),
              {QStringLiteral("--no-gui"), QStringLiteral("--config"), tlsConfig,
               QStringLiteral("--data-dir"), m_dir.filePath(QStringLiteral("tls"))});
    QVERIFY(tls.waitForFinished(10000));
    QCOMPARE(tls.exitStatus(), QProcess::NormalExit);
    QCOMPARE(tls.exitCode(), 1);
    const QString err = QString::fromUtf8(tls.readAllStandardError());
    QVERIFY2(err.contains(tlsConfig) && err.contains(QLatin1String("[cluster] redis"))
                 && err.contains(QLatin1String("hiredis")) && err.contains(QLatin1String("TLS")),
             qPrintable(err));
}

void tst_Cluster::issuedTokensWorkOnEveryNode()
{
    // The warning comes 2 s after the last activity and carries the exact deadline.
    const QByteArray idle = "[session]\nidle_timeout = 30\nwarning = 28\n";
    Node a = startNode(m_redis, QStringLiteral("tok"), QStringLiteral("na"), idle);
    Node b = startNode(m_redis, QStringLiteral("tok"), QStringLiteral("nb"), idle);
    Node c = startNode(m_redis, QStringLiteral("tok"), QStringLiteral("nc"), idle);
    QVERIFY(a.process && b.process && c.process);
    const auto issue = [&a](const QString &user, int maxAgeS, QJsonObject *answer) {
        QJsonObject body{{QStringLiteral("user"), user}};
        if (maxAgeS > 0)
            body.insert(QStringLiteral("max_age_s"), maxAgeS);
        return apiSend(a, "POST", QStringLiteral("/api/v1/sessions"), body, answer);
    };
    const auto redisKey = [](const QByteArray &token) -> QString {
        return QStringLiteral("tok:tok:")
               + QString::fromLatin1(
                   QCryptographicHash::hash(token, QCryptographicHash::Sha256).toHex());
    };

    // A token nobody issued: the usual invalid-token answer, on a node that had to ask Redis.
    {
        TestClient stranger;
        QVERIFY(stranger.open(b.url));
        const QJsonObject refused
            = loginReply(stranger, "bm90LWEtdG9rZW4tbm9ib2R5LWlzc3VlZC10aGlz");
        QCOMPARE(refused.value(QStringLiteral("code")).toInt(), 401);
        QCOMPARE(refused.value(QStringLiteral("reason")).toString(),
                 QStringLiteral("invalid_token"));
        QCOMPARE(refused.value(QStringLiteral("detail")).toString(),
                 QStringLiteral("unknown_token"));
        QVERIFY(stranger.waitForDisconnected());
        QCOMPARE(stranger.closeCode(), int(CloseCode::InvalidToken));
    }

    // Kicked through node B: refused on the issuing node A and on B, and unknown to node C.
    QJsonObject kicked;
    QCOMPARE(issue(QStringLiteral("kit"), 600, &kicked), 201);
    const QByteArray kitToken = kicked.value(QStringLiteral("token")).toString().toLatin1();
    const QString kitSid = kicked.value(QStringLiteral("session_id")).toString();
    QVERIFY(!kitToken.isEmpty());
    // Redis holds the hash (never the token), with a TTL to the token's hard end.
    QCOMPARE(
        m_redis.cli({QStringLiteral("HGET"), redisKey(kitToken), QStringLiteral("sid")}).value(0),
        kitSid.toUtf8());
    const qint64 ttl
        = m_redis.cli({QStringLiteral("PTTL"), redisKey(kitToken)}).value(0).toLongLong();
    QVERIFY2(ttl > 590000 && ttl <= 600000, QByteArray::number(ttl).constData());
    QVERIFY(m_redis
                .cli({QStringLiteral("KEYS"),
                      QStringLiteral("*") + QString::fromLatin1(kitToken) + QStringLiteral("*")})
                .value(0)
                .isEmpty());
    TestClient kitB;
    QVERIFY(kitB.open(b.url));
    QCOMPARE(loginReply(kitB, kitToken).value(QStringLiteral("code")).toInt(), 200);
    QByteArray out;
    QCOMPARE(ctl(b, {QStringLiteral("logout"), QStringLiteral("--session"), kitSid}, &out), 0);
    QVERIFY(kitB.waitForDisconnected());
    QCOMPARE(kitB.closeCode(), int(CloseCode::Kicked));
    QTRY_COMPARE(m_redis.cli({QStringLiteral("EXISTS"), redisKey(kitToken)}).value(0),
                 QByteArray("0"));
    for (const Node *n : {&a, &b}) {
        TestClient late;
        QVERIFY(late.open(n->url));
        QCOMPARE(loginReply(late, kitToken).value(QStringLiteral("code")).toInt(), 401);
        QVERIFY(late.waitForDisconnected());
        QCOMPARE(late.closeCode(), int(CloseCode::Kicked));
    }
    {
        TestClient late;
        QVERIFY(late.open(c.url));
        QCOMPARE(loginReply(late, kitToken).value(QStringLiteral("reason")).toString(),
                 QStringLiteral("invalid_token"));
        QVERIFY(late.waitForDisconnected());
        QCOMPARE(late.closeCode(), int(CloseCode::InvalidToken));
    }

    // Issued on node A, used on A and B; A dies; node C, which never saw it, continues the
    // session with the same deadline (no activity: the deadline is the one A answered).
    QJsonObject issued;
    QCOMPARE(issue(QStringLiteral("tia"), 0, &issued), 201);
    const QByteArray token = issued.value(QStringLiteral("token")).toString().toLatin1();
    const QString sid = issued.value(QStringLiteral("session_id")).toString();
    const double deadline
        = double(QDateTime::fromString(issued.value(QStringLiteral("expires_at")).toString(),
                                       Qt::ISODateWithMs)
                     .toMSecsSinceEpoch());
    QVERIFY(deadline > 0);
    QCOMPARE(m_redis.cli({QStringLiteral("PTTL"), redisKey(token)}).value(0), QByteArray("-1"));
    TestClient onA;
    TestClient onB;
    QVERIFY(onA.open(a.url) && onB.open(b.url));
    QCOMPARE(loginReply(onA, token).value(QStringLiteral("code")).toInt(), 200);
    const QJsonObject okB = loginReply(onB, token);
    QCOMPARE(okB.value(QStringLiteral("code")).toInt(), 200);
    QCOMPARE(okB.value(QStringLiteral("session_id")).toString(), sid);
    QCOMPARE(okB.value(QStringLiteral("user")).toString(), QStringLiteral("tia"));
    const int i = onB.waitForEvent(QStringLiteral("expiring"), 5000);
    QVERIFY(i >= 0);
    QCOMPARE(onB.frames().at(i).data.toObject().value(QStringLiteral("deadline")).toDouble(),
             deadline);

    QSignalSpy finished(&a.process->process(), &QProcess::finished);
    a.process->signal(SIGKILL);
    QVERIFY(finished.wait(5000));
    QVERIFY(onA.waitForDisconnected());

    TestClient onC;
    QVERIFY(onC.open(c.url));
    const QJsonObject okC = loginReply(onC, token);
    QCOMPARE(okC.value(QStringLiteral("code")).toInt(), 200);
    QCOMPARE(okC.value(QStringLiteral("session_id")).toString(), sid);
    const int j = onC.waitForEvent(QStringLiteral("expiring"), 5000);
    QVERIFY(j >= 0);
    QCOMPARE(onC.frames().at(j).data.toObject().value(QStringLiteral("deadline")).toDouble(),
             deadline);
    const QJsonObject joined = c.process->waitFor(QStringLiteral("authenticated"));
    QCOMPARE(joined.value(QStringLiteral("new_session")).toBool(), false);
    TestClient againB;
    QVERIFY(againB.open(b.url));
    QCOMPARE(loginReply(againB, token).value(QStringLiteral("code")).toInt(), 200);
    QVERIFY(onB.isConnected());
}

void tst_Cluster::issuedTokensWhileRedisIsDown()
{
    RedisServer redis;
    QVERIFY(redis.start());
    Node a = startNode(redis, QStringLiteral("tokdown"), QStringLiteral("na"));
    Node b = startNode(redis, QStringLiteral("tokdown"), QStringLiteral("nb"),
                       "on_redis_down = refuse_logins\n");
    QVERIFY(a.process && b.process);
    const auto issue = [&a](const QString &user) {
        QJsonObject answer;
        if (apiSend(a, "POST", QStringLiteral("/api/v1/sessions"),
                    QJsonObject{{QStringLiteral("user"), user}}, &answer)
            != 201)
            return QByteArray();
        return answer.value(QStringLiteral("token")).toString().toLatin1();
    };
    const QByteArray before = issue(QStringLiteral("ada"));
    QVERIFY(!before.isEmpty());

    QVERIFY(redis.stop()); // no persistence: every key is gone
    QCOMPARE(a.process->waitFor(QStringLiteral("cluster"), 2, 10000)
                 .value(QStringLiteral("state"))
                 .toString(),
             QStringLiteral("down"));
    QCOMPARE(b.process->waitFor(QStringLiteral("cluster"), 2, 10000)
                 .value(QStringLiteral("state"))
                 .toString(),
             QStringLiteral("down"));

    // refuse_logins: a token this node cannot check is refused with 4005.
    {
        TestClient onB;
        QVERIFY(onB.open(b.url));
        const QJsonObject refused = loginReply(onB, before);
        QCOMPARE(refused.value(QStringLiteral("code")).toInt(), 503);
        QCOMPARE(refused.value(QStringLiteral("reason")).toString(),
                 QStringLiteral("cluster_unavailable"));
        QVERIFY(onB.waitForDisconnected());
        QCOMPARE(onB.closeCode(), int(CloseCode::ClusterUnavailable));
    }
    // serve_local: the issuing node still serves its own tokens; an unknown one is invalid.
    TestClient onA;
    QVERIFY(onA.open(a.url));
    QCOMPARE(loginReply(onA, before).value(QStringLiteral("code")).toInt(), 200);
    {
        TestClient stranger;
        QVERIFY(stranger.open(a.url));
        const QJsonObject refused
            = loginReply(stranger, "bm90LWEtdG9rZW4tbm9ib2R5LWlzc3VlZC10aGlz");
        QCOMPARE(refused.value(QStringLiteral("reason")).toString(),
                 QStringLiteral("invalid_token"));
        QCOMPARE(refused.value(QStringLiteral("detail")).toString(),
                 QStringLiteral("unknown_token"));
        QVERIFY(stranger.waitForDisconnected());
        QCOMPARE(stranger.closeCode(), int(CloseCode::InvalidToken));
    }
    // Issued while Redis is down: shared when it is back (Redis lost the first one too).
    const QByteArray during = issue(QStringLiteral("dan"));
    QVERIFY(!during.isEmpty());
    QVERIFY(redis.start(redis.port()));
    QCOMPARE(a.process->waitFor(QStringLiteral("cluster"), 3, 15000)
                 .value(QStringLiteral("state"))
                 .toString(),
             QStringLiteral("up"));
    QVERIFY(!b.process->waitFor(QStringLiteral("cluster"), 3, 15000).isEmpty());
    // Node A logs `up` once its replay is queued, not once Redis ran it: wait for the keys.
    for (const QByteArray &token : {before, during}) {
        const QString key
            = QStringLiteral("tokdown:tok:")
              + QString::fromLatin1(
                  QCryptographicHash::hash(token, QCryptographicHash::Sha256).toHex());
        QTRY_COMPARE(redis.cli({QStringLiteral("EXISTS"), key}).value(0), QByteArray("1"));
    }
    for (const QByteArray &token : {before, during}) {
        TestClient onB;
        QVERIFY(onB.open(b.url));
        QCOMPARE(loginReply(onB, token).value(QStringLiteral("code")).toInt(), 200);
    }
}

void tst_Cluster::tokenLookupDoesNotHoldTheNode()
{
    RedisServer redis;
    QVERIFY(redis.start());
    const QByteArray quick = "[session]\nlogin_timeout = 1\n";
    Node a = startNode(redis, QStringLiteral("toklate"), QStringLiteral("na"), quick);
    Node b = startNode(redis, QStringLiteral("toklate"), QStringLiteral("nb"), quick);
    QVERIFY(a.process && b.process);
    QJsonObject issued;
    QCOMPARE(apiSend(a, "POST", QStringLiteral("/api/v1/sessions"),
                     QJsonObject{{QStringLiteral("user"), QStringLiteral("lia")}}, &issued),
             201);
    const QByteArray token = issued.value(QStringLiteral("token")).toString().toLatin1();
    QVERIFY(!token.isEmpty());

    // Redis answers nothing: node B's lookup waits, the node does not (a ping is answered), and
    // the login timeout closes the waiting connection.
    redis.signal(SIGSTOP);
    TestClient waiting;
    QVERIFY(waiting.open(b.url));
    waiting.loginCheck(token);
    QVERIFY(waiting.roundTrip(2000));
    QVERIFY(waiting.framesOf(QStringLiteral("message")).isEmpty());
    QVERIFY(waiting.waitForDisconnected(5000));
    QCOMPARE(waiting.closeCode(), int(CloseCode::LoginTimeout));
    redis.signal(SIGCONT);

    // The late answer finds the connection gone; the node goes on and the token works.
    TestClient later;
    QVERIFY(later.open(b.url));
    QCOMPARE(loginReply(later, token, 10000).value(QStringLiteral("code")).toInt(), 200);
}

QTEST_GUILESS_MAIN(tst_Cluster)
#include "tst_cluster.moc"
