// SPDX-License-Identifier: MIT
// The admin API against a real server thread on 127.0.0.1 (main and admin ports 0), raw HTTP
// requests, real WebSocket clients for kick / touch / DELETE, and a strict parser of the
// Prometheus text exposition format.
#include "server/adminserver.h"
#include "server/closecodes.h"
#include "server/configloader.h"
#include "server/epolleventdispatcher.h"
#include "tests/common/serverfixture.h"
#include "tests/common/testclient.h"

#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QRegularExpression>
#include <QtCore/QTemporaryDir>
#include <QtCore/QTimer>
#include <QtNetwork/QNetworkRequest>
#include <QtNetwork/QTcpSocket>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

namespace {
struct Http
{
    int status = 0;
    QByteArray head;
    QByteArray body;
    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
};

// A strict reader of the Prometheus text format 0.0.4: returns an empty string when the text
// is valid, else the first problem. Samples are collected as "name{labels}" -> value.
QString parsePrometheus(const QByteArray &text, QMap<QString, double> *samples)
{
    static const QRegularExpression nameRe(QStringLiteral("^[a-zA-Z_:][a-zA-Z0-9_:]*$"));
    static const QRegularExpression sampleRe(QStringLiteral(
        R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*)?\})? (\S+)(?: (-?[0-9]+))?$)"));
    static const QStringList types
        = {QStringLiteral("counter"), QStringLiteral("gauge"), QStringLiteral("histogram"),
           QStringLiteral("summary"), QStringLiteral("untyped")};
    if (!text.endsWith('\n'))
        return QStringLiteral("the exposition must end with a newline");
    QMap<QString, QString> typeOf;
    QSet<QString> helped;
    QSet<QString> closedFamilies;
    QString current;
    QMap<QString, QList<double>> buckets; // histogram -> cumulative bucket values, in order
    const QList<QByteArray> lines = text.chopped(1).split('\n');
    for (const QByteArray &raw : lines) {
        const QString line = QString::fromUtf8(raw);
        if (line.isEmpty())
            return QStringLiteral("empty line");
        if (line.startsWith(QLatin1Char('#'))) {
            const QStringList parts = line.split(QLatin1Char(' '));
            if (parts.size() < 3 || parts.at(0) != QLatin1String("#"))
                return QStringLiteral("bad comment: ") + line;
            const QString &name = parts.at(2);
            if (!nameRe.match(name).hasMatch())
                return QStringLiteral("bad metric name: ") + line;
            if (parts.at(1) == QLatin1String("TYPE")) {
                if (parts.size() != 4 || !types.contains(parts.at(3)))
                    return QStringLiteral("bad TYPE: ") + line;
                if (typeOf.contains(name))
                    return QStringLiteral("second TYPE for ") + name;
                typeOf.insert(name, parts.at(3));
            } else if (parts.at(1) == QLatin1String("HELP")) {
                if (helped.contains(name))
                    return QStringLiteral("second HELP for ") + name;
                helped.insert(name);
            }
            if (current != name && !current.isEmpty())
                closedFamilies.insert(current);
            current = name;
            continue;
        }
        const QRegularExpressionMatch m = sampleRe.match(line);
        if (!m.hasMatch())
            return QStringLiteral("bad sample line: ") + line;
        const QString name = m.captured(1);
        QString family = name;
        for (const char *suffix : {"_bucket", "_sum", "_count"}) {
            const QString base = name.chopped(qMin(name.size(), qsizetype(strlen(suffix))));
            if (name.endsWith(QLatin1String(suffix))
                && typeOf.value(base) == QLatin1String("histogram"))
                family = base;
        }
        if (!typeOf.contains(family))
            return QStringLiteral("sample before its TYPE: ") + line;
        if (family != current || closedFamilies.contains(family))
            return QStringLiteral("samples of %1 are not grouped").arg(family);
        const QString valueText = m.captured(4);
        bool ok = false;
        double value = valueText.toDouble(&ok);
        if (valueText == QLatin1String("+Inf"))
            value = INFINITY, ok = true;
        else if (valueText == QLatin1String("-Inf"))
            value = -INFINITY, ok = true;
        else if (valueText == QLatin1String("NaN"))
            value = NAN, ok = true;
        if (!ok)
            return QStringLiteral("bad value: ") + line;
        if (typeOf.value(family) == QLatin1String("counter") && !(value >= 0))
            return QStringLiteral("negative counter: ") + line;
        const QString key = name + m.captured(2);
        if (samples->contains(key))
            return QStringLiteral("duplicate sample: ") + line;
        samples->insert(key, value);
        if (name.endsWith(QLatin1String("_bucket"))) {
            if (!m.captured(3).contains(QLatin1String("le=\"")))
                return QStringLiteral("bucket without le: ") + line;
            QList<double> &b = buckets[family];
            if (!b.isEmpty() && value < b.last())
                return QStringLiteral("buckets are not cumulative: ") + line;
            b.append(value);
        }
    }
    for (auto it = typeOf.cbegin(); it != typeOf.cend(); ++it) {
        if (it.value() != QLatin1String("histogram"))
            continue;
        const QString inf = it.key() + QStringLiteral("_bucket{le=\"+Inf\"}");
        if (!samples->contains(inf) || !samples->contains(it.key() + QStringLiteral("_count"))
            || !samples->contains(it.key() + QStringLiteral("_sum")))
            return QStringLiteral("histogram %1 lacks +Inf, _sum or _count").arg(it.key());
        if (samples->value(inf) != samples->value(it.key() + QStringLiteral("_count")))
            return QStringLiteral("histogram %1: +Inf bucket != _count").arg(it.key());
    }
    return {};
}
} // namespace

class tst_AdminApi : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void tokenFilesAndUrlFile();
    void authentication_data();
    void authentication();
    void malformedBodiesAre400_data();
    void malformedBodiesAre400();
    void unknownIdsAre404_data();
    void unknownIdsAre404();
    void kickReachesClientWithKicked4502();
    void apiSessionWorksTouchKeepsItDeleteEndsEveryTab();
    void listsHaveFieldsFiltersAndPaging();
    void logoutUserDryRunBroadcastExtend();
    void eventsAndAuditEntries();
    void infoAndTcp();
    void ioThreadsInInfoAndMetrics();
    void tcpReadersPollOnDemand();
    void reloadDryRunInvalidAndApplied();
    void metricsParseAsPrometheusText();
    void metricsAuthOption();
    void streamDeliversEvents();
    void idleServerArmsNoTimer();
    void stopAnswersThenStops();
    void nonLoopbackAdminAddressIsRefused();

private:
    bool startServer(ServerConfig config = {});
    Http request(const QByteArray &method, const QByteArray &path, const QByteArray &body = {},
                 const QByteArray &token = QByteArray("admin"), const QByteArray &extra = {});
    std::unique_ptr<TestClient> loggedIn(const QByteArray &token);
    QList<QJsonObject> connectionsOf(const QString &user);

    std::unique_ptr<ServerFixture> m_server;
    QTemporaryDir m_dir;
    QString m_dataDir;
    quint16 m_adminPort = 0;
    QByteArray m_adminToken;
    QByteArray m_readOnlyToken;
};

void tst_AdminApi::init()
{
    m_server = std::make_unique<ServerFixture>();
    m_adminPort = 0;
}

void tst_AdminApi::cleanup()
{
    m_server.reset();
}

bool tst_AdminApi::startServer(ServerConfig config)
{
    if (config.jwtSecret.isEmpty())
        config = m_server->defaultConfig();
    config.adminListen = QStringLiteral("127.0.0.1:0");
    m_dataDir = config.dataDir;
    if (!m_server->start(config))
        return false;
    QSignalSpy done(this, &QObject::objectNameChanged);
    m_server->host()->call<int>(
        this, [](ServerWorker &w) { return w.adminServer() ? int(w.adminServer()->port()) : 0; },
        [this](const int &port) {
            m_adminPort = quint16(port);
            setObjectName(QString::number(port));
        });
    if (!done.wait(5000) || !m_adminPort)
        return false;
    auto read = [this](const char *name) {
        QFile f(QDir(m_dataDir).filePath(QLatin1String(name)));
        return f.open(QIODevice::ReadOnly) ? f.readAll().trimmed() : QByteArray();
    };
    m_adminToken = read("admin.token");
    m_readOnlyToken = read("admin-readonly.token");
    return !m_adminToken.isEmpty() && !m_readOnlyToken.isEmpty();
}

Http tst_AdminApi::request(const QByteArray &method, const QByteArray &path, const QByteArray &body,
                           const QByteArray &token, const QByteArray &extra)
{
    QTcpSocket s;
    s.connectToHost(QHostAddress::LocalHost, m_adminPort);
    if (!s.waitForConnected(3000))
        return {};
    QByteArray req = method + ' ' + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    const QByteArray bearer = token == "admin"      ? m_adminToken
                              : token == "readonly" ? m_readOnlyToken
                                                    : token;
    if (!bearer.isEmpty())
        req += "Authorization: Bearer " + bearer + "\r\n";
    req += extra;
    if (!body.isNull())
        req += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    req += "\r\n" + body;
    s.write(req);
    QByteArray raw;
    while (s.state() == QAbstractSocket::ConnectedState
           && (s.waitForReadyRead(5000) || s.bytesAvailable()))
        raw += s.readAll();
    raw += s.readAll();
    Http h;
    const qsizetype split = raw.indexOf("\r\n\r\n");
    h.head = raw.left(split);
    h.body = raw.mid(split + 4);
    h.status = raw.split(' ').value(1).toInt();
    return h;
}

std::unique_ptr<TestClient> tst_AdminApi::loggedIn(const QByteArray &token)
{
    return TestClient::loggedIn(m_server->url(), token);
}

QList<QJsonObject> tst_AdminApi::connectionsOf(const QString &user)
{
    QList<QJsonObject> out;
    const QJsonArray list = request("GET", "/api/v1/connections?user=" + user.toUtf8())
                                .json()
                                .value(QStringLiteral("connections"))
                                .toArray();
    for (const QJsonValue &v : list)
        out.append(v.toObject());
    return out;
}

void tst_AdminApi::tokenFilesAndUrlFile()
{
    QVERIFY(startServer());
    for (const char *name : {"admin.token", "admin-readonly.token"}) {
        const QFile f(QDir(m_dataDir).filePath(QLatin1String(name)));
        QCOMPARE(f.permissions() & ~(QFileDevice::ReadUser | QFileDevice::WriteUser),
                 QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    }
    QVERIFY(m_adminToken != m_readOnlyToken);
    QFile url(QDir(m_dataDir).filePath(QStringLiteral("admin.url")));
    QVERIFY(url.open(QIODevice::ReadOnly));
    QCOMPARE(url.readAll().trimmed(), "http://127.0.0.1:" + QByteArray::number(m_adminPort));
    QVERIFY(m_server->waitForEvent(ServerEvent::Type::Listening, 2));
    const ServerEvent admin = m_server->eventsOf(ServerEvent::Type::Listening).at(1);
    QCOMPARE(admin.details.value(QStringLiteral("service")).toString(), QStringLiteral("admin"));
    QCOMPARE(admin.details.value(QStringLiteral("token_file")).toString(),
             QDir(m_dataDir).filePath(QStringLiteral("admin.token")));
    // A clean stop removes the live address; the tokens stay for the next start.
    QVERIFY(m_server->stop());
    QVERIFY(!QFile::exists(url.fileName()));
    QVERIFY(QFile::exists(QDir(m_dataDir).filePath(QStringLiteral("admin.token"))));
}

void tst_AdminApi::authentication_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<int>("status");
    QTest::addRow("no token") << QByteArray("GET") << QByteArray("/api/v1/info") << QByteArray()
                              << 401;
    QTest::addRow("wrong token") << QByteArray("GET") << QByteArray("/api/v1/info")
                                 << QByteArray("not-the-token-0123456789") << 401;
    QTest::addRow("admin GET") << QByteArray("GET") << QByteArray("/api/v1/info")
                               << QByteArray("admin") << 200;
    QTest::addRow("readonly GET") << QByteArray("GET") << QByteArray("/api/v1/sessions")
                                  << QByteArray("readonly") << 200;
    QTest::addRow("readonly POST")
        << QByteArray("POST") << QByteArray("/api/v1/broadcast") << QByteArray("readonly") << 403;
    QTest::addRow("readonly DELETE") << QByteArray("DELETE") << QByteArray("/api/v1/sessions/x")
                                     << QByteArray("readonly") << 403;
    QTest::addRow("no token on a write")
        << QByteArray("POST") << QByteArray("/api/v1/stop") << QByteArray() << 401;
    QTest::addRow("healthz needs none")
        << QByteArray("GET") << QByteArray("/healthz") << QByteArray() << 200;
}

void tst_AdminApi::authentication()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, token);
    QFETCH(int, status);
    QVERIFY(startServer());
    const Http h = request(method, path, method == "GET" ? QByteArray() : QByteArray("{}"), token);
    QCOMPARE(h.status, status);
    QVERIFY(h.head.contains("Content-Type: application/json"));
    if (status >= 400)
        QVERIFY(!h.json().value(QStringLiteral("error")).toString().isEmpty());
    if (status == 401)
        QVERIFY(h.head.contains("WWW-Authenticate: Bearer"));
}

void tst_AdminApi::malformedBodiesAre400_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("message");
    QTest::addRow("truncated") << QByteArray("/api/v1/sessions") << QByteArray("{\"user\":")
                               << "malformed JSON";
    QTest::addRow("garbage") << QByteArray("/api/v1/broadcast") << QByteArray("nope")
                             << "malformed JSON";
    QTest::addRow("array") << QByteArray("/api/v1/reload") << QByteArray("[1]") << "JSON object";
    QTest::addRow("user not a string")
        << QByteArray("/api/v1/sessions") << QByteArray("{\"user\":5}") << "user";
    QTest::addRow("no user") << QByteArray("/api/v1/sessions") << QByteArray("{}") << "user";
    QTest::addRow("negative idle")
        << QByteArray("/api/v1/sessions") << QByteArray(R"({"user":"a","idle_timeout_s":-1})")
        << "idle_timeout_s";
    QTest::addRow("no event") << QByteArray("/api/v1/broadcast") << QByteArray("{}") << "event";
    QTest::addRow("reserved event")
        << QByteArray("/api/v1/broadcast") << QByteArray(R"({"event":"message"})") << "reserved";
    QTest::addRow("bad kick mode") << QByteArray("/api/v1/connections/1/kick")
                                   << QByteArray(R"({"mode":"explode"})") << "mode";
}

void tst_AdminApi::malformedBodiesAre400()
{
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, body);
    QFETCH(QString, message);
    QVERIFY(startServer());
    const Http h = request("POST", path, body);
    QCOMPARE(h.status, 400);
    const QString error = h.json().value(QStringLiteral("error")).toString();
    QVERIFY2(error.contains(message), qPrintable(error));
}

void tst_AdminApi::unknownIdsAre404_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<int>("status");
    QTest::addRow("kick") << QByteArray("POST") << QByteArray("/api/v1/connections/999/kick")
                          << 404;
    QTest::addRow("connection") << QByteArray("GET") << QByteArray("/api/v1/connections/999")
                                << 404;
    QTest::addRow("session") << QByteArray("GET") << QByteArray("/api/v1/sessions/nope") << 404;
    QTest::addRow("delete") << QByteArray("DELETE") << QByteArray("/api/v1/sessions/nope") << 404;
    QTest::addRow("touch") << QByteArray("POST") << QByteArray("/api/v1/sessions/nope/touch")
                           << 404;
    QTest::addRow("extend") << QByteArray("POST") << QByteArray("/api/v1/sessions/nope/extend")
                            << 404;
    QTest::addRow("user logout") << QByteArray("POST") << QByteArray("/api/v1/users/nobody/logout")
                                 << 404;
    QTest::addRow("endpoint") << QByteArray("GET") << QByteArray("/api/v1/bogus") << 404;
    QTest::addRow("outside the API") << QByteArray("GET") << QByteArray("/") << 404;
    QTest::addRow("wrong method") << QByteArray("DELETE") << QByteArray("/api/v1/info") << 405;
    QTest::addRow("stream without upgrade")
        << QByteArray("GET") << QByteArray("/api/v1/stream") << 426;
}

void tst_AdminApi::unknownIdsAre404()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, path);
    QFETCH(int, status);
    QVERIFY(startServer());
    const Http h = request(method, path, method == "GET" ? QByteArray() : QByteArray("{}"));
    QCOMPARE(h.status, status);
    QVERIFY(!h.json().value(QStringLiteral("error")).toString().isEmpty());
}

void tst_AdminApi::kickReachesClientWithKicked4502()
{
    QVERIFY(startServer());
    auto a = loggedIn(m_server->token(QStringLiteral("mallory"), QStringLiteral("m1")));
    auto b = loggedIn(m_server->token(QStringLiteral("mallory"), QStringLiteral("m1")));
    QVERIFY(a && b);
    const QList<QJsonObject> conns = connectionsOf(QStringLiteral("mallory"));
    QCOMPARE(conns.size(), 2);
    const QByteArray id = QByteArray::number(conns.first().value(QStringLiteral("id")).toInteger());
    const Http h = request("POST", "/api/v1/connections/" + id + "/kick", R"({"reason":"abuse"})",
                           "admin", "X-Warden-Actor: tester@ctl\r\n");
    QCOMPARE(h.status, 200);
    QCOMPARE(h.json().value(QStringLiteral("connections")).toInt(), 2);
    QCOMPARE(h.json().value(QStringLiteral("session_id")).toString(), QStringLiteral("m1"));
    for (TestClient *c : {a.get(), b.get()}) {
        QVERIFY(c->waitForDisconnected());
        QCOMPARE(c->closeCode(), int(CloseCode::Kicked));
        const QJsonObject last = c->framesOf(QStringLiteral("message")).last().data.toObject();
        QCOMPARE(last.value(QStringLiteral("code")).toInt(), 401);
        QCOMPARE(last.value(QStringLiteral("reason")).toString(), QStringLiteral("kicked"));
    }
    QVERIFY(m_server->waitForEvent(ServerEvent::Type::Audit));
    const ServerEvent audit = m_server->eventsOf(ServerEvent::Type::Audit).last();
    QCOMPARE(audit.details.value(QStringLiteral("actor")).toString(),
             QStringLiteral("admin (tester@ctl)"));
    QCOMPARE(audit.details.value(QStringLiteral("reason")).toString(), QStringLiteral("abuse"));
    QCOMPARE(audit.details.value(QStringLiteral("connections")).toInt(), 2);

    // A connection that never logged in is only dropped (4002).
    TestClient anon;
    QVERIFY(anon.open(m_server->url()));
    QJsonObject pending;
    QTRY_VERIFY([&] {
        const QJsonArray all = request("GET", "/api/v1/connections?state=pending")
                                   .json()
                                   .value(QStringLiteral("connections"))
                                   .toArray();
        pending = all.isEmpty() ? QJsonObject() : all.first().toObject();
        return !all.isEmpty();
    }());
    const QByteArray anonId = QByteArray::number(pending.value(QStringLiteral("id")).toInteger());
    QCOMPARE(request("POST", "/api/v1/connections/" + anonId + "/kick", "{}").status, 200);
    QVERIFY(anon.waitForDisconnected());
    QCOMPARE(anon.closeCode(), int(CloseCode::Disconnected));
}

void tst_AdminApi::apiSessionWorksTouchKeepsItDeleteEndsEveryTab()
{
    ServerConfig cfg = m_server->defaultConfig();
    cfg.warningMs = 100;
    QVERIFY(startServer(cfg));
    const Http created = request("POST", "/api/v1/sessions",
                                 R"({"user":"carol","name":"Carol","idle_timeout_s":0.8})");
    QCOMPARE(created.status, 201);
    const QByteArray token = created.json().value(QStringLiteral("token")).toString().toLatin1();
    const QString sid = created.json().value(QStringLiteral("session_id")).toString();
    QVERIFY(!token.isEmpty() && !token.contains('.'));
    QVERIFY(!sid.isEmpty());
    QCOMPARE(created.json().value(QStringLiteral("idle_timeout_s")).toDouble(), 0.8);

    auto tab1 = loggedIn(token);
    auto tab2 = loggedIn(token);
    QVERIFY(tab1 && tab2);
    const QJsonObject ok = tab1->firstData(QStringLiteral("message"));
    QCOMPARE(ok.value(QStringLiteral("session_id")).toString(), sid);
    QCOMPARE(ok.value(QStringLiteral("user")).toString(), QStringLiteral("carol"));
    QCOMPARE(ok.value(QStringLiteral("idle_timeout")).toDouble(), 0.8);

    // The backend reports activity over HTTP: the session outlives its 0.8 s idle timeout.
    QTimer touch;
    touch.setInterval(150);
    int touches = 0;
    connect(&touch, &QTimer::timeout, this, [&] {
        if (request("POST", "/api/v1/sessions/" + sid.toUtf8() + "/touch", "{}").status == 200)
            ++touches;
    });
    touch.start();
    QVERIFY(!tab1->waitForDisconnected(2000));
    touch.stop();
    QVERIFY(touches >= 5);
    QVERIFY(tab1->isConnected() && tab2->isConnected());

    const Http del
        = request("DELETE", "/api/v1/sessions/" + sid.toUtf8(), R"({"reason":"password changed"})");
    QCOMPARE(del.status, 200);
    QCOMPARE(del.json().value(QStringLiteral("connections")).toInt(), 2);
    for (TestClient *c : {tab1.get(), tab2.get()}) {
        QVERIFY(c->waitForDisconnected());
        QCOMPARE(c->closeCode(), int(CloseCode::Kicked));
    }
    // The token is refused afterwards, with the reason the session ended.
    TestClient again;
    QVERIFY(again.open(m_server->url()));
    again.loginCheck(token);
    QVERIFY(again.waitForDisconnected());
    QCOMPARE(again.closeCode(), int(CloseCode::Kicked));

    // Without touches an API session expires on its own idle timeout.
    const Http idle
        = request("POST", "/api/v1/sessions", R"({"user":"dave","idle_timeout_s":0.3})");
    auto lone = loggedIn(idle.json().value(QStringLiteral("token")).toString().toLatin1());
    QVERIFY(lone);
    QVERIFY(lone->waitForDisconnected(3000));
    QCOMPARE(lone->closeCode(), int(CloseCode::IdleTimeout));
}

void tst_AdminApi::listsHaveFieldsFiltersAndPaging()
{
    QVERIFY(startServer());
    auto a1 = loggedIn(m_server->token(QStringLiteral("ann"), QStringLiteral("s-a1")));
    auto a2 = loggedIn(m_server->token(QStringLiteral("ann"), QStringLiteral("s-a2")));
    auto b = loggedIn(m_server->token(QStringLiteral("ben"), QStringLiteral("s-b")));
    QVERIFY(a1 && a2 && b);

    const QJsonObject all = request("GET", "/api/v1/connections").json();
    QCOMPARE(all.value(QStringLiteral("total")).toInt(), 3);
    const QJsonObject c = all.value(QStringLiteral("connections")).toArray().first().toObject();
    for (const char *key :
         {"id", "user", "session_id", "peer", "endpoint", "connected_at", "last_activity",
          "expires_at", "tcp_state", "rtt_us", "msgs_in", "msgs_out"})
        QVERIFY2(c.contains(QLatin1String(key)), key);
    QCOMPARE(c.value(QStringLiteral("endpoint")).toString(), QStringLiteral("raw"));
    QVERIFY(c.value(QStringLiteral("peer")).toString().startsWith(QLatin1String("127.0.0.1:")));
    // Alone (no [cluster]): every row has a null node, and scope=cluster is this node's list.
    QVERIFY(c.contains(QLatin1String("node")) && c.value(QStringLiteral("node")).isNull());
    QCOMPARE(request("GET", "/api/v1/connections?scope=cluster")
                 .json()
                 .value(QStringLiteral("total"))
                 .toInt(),
             3);
    QCOMPARE(request("GET", "/api/v1/sessions?scope=cluster")
                 .json()
                 .value(QStringLiteral("total"))
                 .toInt(),
             3);
    for (const char *list : {"connections", "sessions"}) {
        const Http bad = request("GET", QByteArray("/api/v1/") + list + "?scope=galaxy");
        QCOMPARE(bad.status, 400);
        QVERIFY(
            bad.json().value(QStringLiteral("error")).toString().contains(QLatin1String("scope")));
    }
    // A connection of another node, without a cluster: unknown.
    QCOMPARE(request("POST", "/api/v1/connections/1/kick", R"({"node":"elsewhere"})").status, 404);

    const QJsonObject ann = request("GET", "/api/v1/connections?user=ann&limit=1").json();
    QCOMPARE(ann.value(QStringLiteral("total")).toInt(), 2);
    QCOMPARE(ann.value(QStringLiteral("limit")).toInt(), 1);
    QCOMPARE(ann.value(QStringLiteral("connections")).toArray().size(), 1);
    const QJsonObject second
        = request("GET", "/api/v1/connections?user=ann&limit=1&offset=1").json();
    QCOMPARE(second.value(QStringLiteral("offset")).toInt(), 1);
    QVERIFY(second.value(QStringLiteral("connections")).toArray().first()
            != ann.value(QStringLiteral("connections")).toArray().first());
    QCOMPARE(request("GET", "/api/v1/connections?session=s-b")
                 .json()
                 .value(QStringLiteral("total"))
                 .toInt(),
             1);
    QCOMPARE(request("GET", "/api/v1/connections?state=authenticated")
                 .json()
                 .value(QStringLiteral("total"))
                 .toInt(),
             3);
    QCOMPARE(request("GET", "/api/v1/connections?peer=127.0.0.1")
                 .json()
                 .value(QStringLiteral("total"))
                 .toInt(),
             3);
    QCOMPARE(request("GET", "/api/v1/connections?limit=0").status, 400);
    QCOMPARE(request("GET", "/api/v1/sessions?offset=-1").status, 400);

    const QJsonObject sessions = request("GET", "/api/v1/sessions?user=ann").json();
    QCOMPARE(sessions.value(QStringLiteral("total")).toInt(), 2);
    const QJsonObject s = sessions.value(QStringLiteral("sessions")).toArray().first().toObject();
    for (const char *key : {"id", "user", "created_at", "last_activity", "expires_at",
                            "idle_timeout_s", "connections"})
        QVERIFY2(s.contains(QLatin1String(key)), key);
    const Http one = request("GET", "/api/v1/sessions/s-b");
    QCOMPARE(one.status, 200);
    QCOMPARE(one.json().value(QStringLiteral("user")).toString(), QStringLiteral("ben"));
    QCOMPARE(request("GET", "/api/v1/sessions?state=active")
                 .json()
                 .value(QStringLiteral("total"))
                 .toInt(),
             3);
}

void tst_AdminApi::logoutUserDryRunBroadcastExtend()
{
    QVERIFY(startServer());
    auto a1 = loggedIn(m_server->token(QStringLiteral("ann"), QStringLiteral("s-a1")));
    auto a2 = loggedIn(m_server->token(QStringLiteral("ann"), QStringLiteral("s-a2")));
    auto b = loggedIn(m_server->token(QStringLiteral("ben"), QStringLiteral("s-b")));
    QVERIFY(a1 && a2 && b);

    const Http bc = request("POST", "/api/v1/broadcast",
                            R"({"event":"notice","data":{"text":"maintenance"},"user":"ben"})");
    QCOMPARE(bc.status, 200);
    QCOMPARE(bc.json().value(QStringLiteral("connections")).toInt(), 1);
    QVERIFY(b->waitForEvent(QStringLiteral("notice")) >= 0);
    QCOMPARE(b->firstData(QStringLiteral("notice")).value(QStringLiteral("text")).toString(),
             QStringLiteral("maintenance"));
    QVERIFY(a1->roundTrip());
    QVERIFY(a1->framesOf(QStringLiteral("notice")).isEmpty());

    const Http ext = request("POST", "/api/v1/sessions/s-b/extend", "{}");
    QCOMPARE(ext.status, 200);
    QVERIFY(!ext.json().value(QStringLiteral("expires_at")).toString().isEmpty());
    QVERIFY(b->waitForEvent(QStringLiteral("extended")) >= 0);

    const Http dry = request("POST", "/api/v1/users/ann/logout", R"({"dry_run":true})");
    QCOMPARE(dry.status, 200);
    QCOMPARE(dry.json().value(QStringLiteral("dry_run")).toBool(), true);
    QCOMPARE(dry.json().value(QStringLiteral("sessions")).toInt(), 2);
    QCOMPARE(dry.json().value(QStringLiteral("connections")).toInt(), 2);
    QVERIFY(a1->roundTrip());
    QVERIFY(a1->isConnected());

    const Http real = request("POST", "/api/v1/users/ann/logout", R"({"reason":"offboarding"})");
    QCOMPARE(real.status, 200);
    QVERIFY(a1->waitForDisconnected());
    QVERIFY(a2->waitForDisconnected());
    QCOMPARE(a2->closeCode(), int(CloseCode::Kicked));
    QVERIFY(b->roundTrip());
}

void tst_AdminApi::eventsAndAuditEntries()
{
    QVERIFY(startServer());
    auto a = loggedIn(m_server->token(QStringLiteral("ann"), QStringLiteral("s-a")));
    QVERIFY(a);
    QCOMPARE(request("POST", "/api/v1/sessions/s-a/extend", "{}", "admin",
                     "X-Warden-Actor: alice@ctl\r\n")
                 .status,
             200);
    QJsonArray events;
    QTRY_VERIFY([&] {
        events = request("GET", "/api/v1/events?since=0&limit=1000")
                     .json()
                     .value(QStringLiteral("events"))
                     .toArray();
        for (const QJsonValue &v : std::as_const(events)) {
            if (v.toObject().value(QStringLiteral("type")) == QLatin1String("audit"))
                return true;
        }
        return false;
    }());
    quint64 previous = 0;
    for (const QJsonValue &v : std::as_const(events)) {
        const QJsonObject e = v.toObject();
        QVERIFY(e.contains(QStringLiteral("id")) && e.contains(QStringLiteral("ts"))
                && e.contains(QStringLiteral("type")));
        QVERIFY(quint64(e.value(QStringLiteral("id")).toInteger()) > previous);
        previous = quint64(e.value(QStringLiteral("id")).toInteger());
    }
    const QJsonObject audits = request("GET", "/api/v1/events?since=0&type=audit").json();
    const QJsonObject audit = audits.value(QStringLiteral("events")).toArray().last().toObject();
    QCOMPARE(audit.value(QStringLiteral("action")).toString(), QStringLiteral("extend"));
    QCOMPARE(audit.value(QStringLiteral("actor")).toString(), QStringLiteral("admin (alice@ctl)"));
    QCOMPARE(audit.value(QStringLiteral("target")).toString(), QStringLiteral("s-a"));
    QCOMPARE(audit.value(QStringLiteral("result")).toString(), QStringLiteral("ok"));

    const QJsonObject paged = request("GET", "/api/v1/events?since=1&limit=2").json();
    QCOMPARE(paged.value(QStringLiteral("events")).toArray().size(), 2);
    QCOMPARE(paged.value(QStringLiteral("events"))
                 .toArray()
                 .first()
                 .toObject()
                 .value(QStringLiteral("id"))
                 .toInt(),
             2);
    QCOMPARE(paged.value(QStringLiteral("next_since")).toInt(), 3);
    QVERIFY(paged.contains(QStringLiteral("total")));
    QCOMPARE(request("GET", "/api/v1/events?since=abc").status, 400);
    QCOMPARE(request("GET", "/api/v1/events?type=nope").status, 400);
}

void tst_AdminApi::infoAndTcp()
{
    QVERIFY(startServer());
    auto a = loggedIn(m_server->token(QStringLiteral("ann")));
    QVERIFY(a);
    const QJsonObject info = request("GET", "/api/v1/info").json();
    QCOMPARE(info.value(QStringLiteral("version")).toString(), QStringLiteral(WARDEN_VERSION));
    QCOMPARE(info.value(QStringLiteral("connections")).toInt(), 1);
    QCOMPARE(info.value(QStringLiteral("sessions")).toInt(), 1);
    QCOMPARE(info.value(QStringLiteral("listen")).toString(),
             QStringLiteral("127.0.0.1:%1").arg(m_server->port()));
    QVERIFY(info.value(QStringLiteral("uptime_s")).isDouble());
    QVERIFY(info.value(QStringLiteral("io_threads")).isArray());
    const QJsonObject cfg = info.value(QStringLiteral("config")).toObject();
    const QString secret = cfg.value(QStringLiteral("auth"))
                               .toObject()
                               .value(QStringLiteral("jwt_secret"))
                               .toString();
    QVERIFY(secret.startsWith(QLatin1String("sha256:")));
    QVERIFY(!request("GET", "/api/v1/info").body.contains(ServerFixture::secret()));
    QVERIFY(
        cfg.value(QStringLiteral("session")).toObject().contains(QStringLiteral("idle_timeout")));

    const QJsonObject tcp = request("GET", "/api/v1/tcp", {}, "readonly").json();
    QVERIFY(tcp.contains(QStringLiteral("source")));
    QVERIFY(tcp.contains(QStringLiteral("states")));
}

// [server] io_threads = 2: the operator sees how many run and how the connections spread.
void tst_AdminApi::ioThreadsInInfoAndMetrics()
{
    ServerConfig cfg = m_server->defaultConfig();
    cfg.ioThreads = 2;
    QVERIFY(startServer(cfg));
    std::vector<std::unique_ptr<TestClient>> clients;
    for (const char *user : {"ann", "bob", "cat"}) {
        clients.push_back(loggedIn(m_server->token(QLatin1String(user))));
        QVERIFY(clients.back());
    }
    const auto perThread = [this] {
        QList<int> open;
        for (const QJsonValue &v :
             request("GET", "/api/v1/info").json().value(QStringLiteral("io_threads")).toArray())
            open.append(v.toInt());
        return open;
    };
    QList<int> open = perThread();
    std::sort(open.begin(), open.end());
    QCOMPARE(open, QList<int>({1, 2})); // the fewest connections first
    QMap<QString, double> samples;
    QVERIFY(parsePrometheus(request("GET", "/metrics", {}, QByteArray()).body, &samples).isEmpty());
    QCOMPARE(samples.value(QStringLiteral("warden_io_thread_connections{thread=\"0\"}"))
                 + samples.value(QStringLiteral("warden_io_thread_connections{thread=\"1\"}")),
             3.0);
    clients.front().reset();
    QTRY_COMPARE(perThread().value(0) + perThread().value(1), 2);
}

// No dashboard: the periodic poll looks only for CLOSE_WAIT, so every reader of the rest has the
// kernel polled for it. The interval outlasts the test: only the start's poll is periodic.
void tst_AdminApi::tcpReadersPollOnDemand()
{
    ServerConfig cfg = m_server->defaultConfig();
    cfg.tcpPollIntervalMs = 600000;
    QVERIFY(startServer(cfg));
    auto a = loggedIn(m_server->token(QStringLiteral("ann")));
    QVERIFY(a);

    // Every state's count, though the last periodic poll counted CLOSE_WAIT only.
    QMap<QString, double> samples;
    const Http metrics = request("GET", "/metrics", {}, QByteArray());
    QCOMPARE(metrics.status, 200);
    QVERIFY(parsePrometheus(metrics.body, &samples).isEmpty());
    QVERIFY(samples.value(QStringLiteral("warden_tcp_sockets{state=\"ESTABLISHED\"}")) >= 1);
    QVERIFY(samples.value(QStringLiteral("warden_tcp_sockets{state=\"LISTEN\"}")) >= 1);
    QCOMPARE(samples.value(QStringLiteral("warden_tcp_sockets{state=\"CLOSE_WAIT\"}"), -1), 0.0);

    // The connection list carries the kernel's state of each connection.
    const QList<QJsonObject> ann = connectionsOf(QStringLiteral("ann"));
    QCOMPARE(ann.size(), 1);
    QCOMPARE(ann.first().value(QStringLiteral("tcp_state")).toString(),
             QStringLiteral("ESTABLISHED"));

    // The TCP list is a full poll made for this request.
    const QJsonObject tcp = request("GET", "/api/v1/tcp").json();
    QCOMPARE(tcp.value(QStringLiteral("scope")).toString(), QStringLiteral("full"));
    QVERIFY(
        tcp.value(QStringLiteral("states")).toObject().value(QStringLiteral("ESTABLISHED")).toInt()
        >= 1);
    const double annId = ann.first().value(QStringLiteral("id")).toDouble();
    bool annRow = false;
    for (const QJsonValue &v : tcp.value(QStringLiteral("sockets")).toArray()) {
        const QJsonObject o = v.toObject();
        annRow
            = annRow
              || (o.value(QStringLiteral("connection_id")).toDouble() == annId
                  && o.value(QStringLiteral("state")).toString() == QLatin1String("ESTABLISHED"));
    }
    QVERIFY(annRow);
}

void tst_AdminApi::reloadDryRunInvalidAndApplied()
{
    const QString file = m_dir.filePath(QStringLiteral("reload.ini"));
    ServerConfig cfg = m_server->defaultConfig();
    const QByteArray head = "[server]\nlisten = 127.0.0.1:0\ndata_dir = " + cfg.dataDir.toUtf8()
                            + "\n[auth]\njwt_secret = " + ServerFixture::secret()
                            + "\n[admin]\nlisten = 127.0.0.1:0\n";
    auto write = [&](const QByteArray &body) {
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(head + body);
    };
    write("[session]\nidle_timeout = 60\nwarning = 10\nlogin_timeout = 10\n");
    const ConfigResult loaded = ConfigLoader::load(file);
    QVERIFY2(loaded.ok(), qPrintable(loaded.error.toString()));
    QVERIFY(startServer(loaded.config));
    auto a = loggedIn(m_server->token(QStringLiteral("ann")));
    QVERIFY(a);

    // Dry run: the new idle timeout would end the (already idle) session at once.
    write("[session]\nidle_timeout = 0.05\nwarning = 0.01\nlogin_timeout = 10\n");
    QTRY_COMPARE(request("POST", "/api/v1/reload", R"({"dry_run":true})")
                     .json()
                     .value(QStringLiteral("would_expire_sessions"))
                     .toInt(),
                 1);
    const QJsonObject dry = request("POST", "/api/v1/reload", R"({"dry_run":true})").json();
    QVERIFY(dry.value(QStringLiteral("changed"))
                .toArray()
                .contains(QStringLiteral("session/idle_timeout")));
    QCOMPARE(dry.value(QStringLiteral("would_close_connections")).toInt(), 1);
    QVERIFY(a->roundTrip());
    QVERIFY(a->isConnected());

    // Invalid: 422 with file, key and reason; the running configuration stays.
    write("[session]\nidle_timeout = banana\n");
    const Http bad = request("POST", "/api/v1/reload", "{}");
    QCOMPARE(bad.status, 422);
    QVERIFY(bad.json().value(QStringLiteral("error")).toString().contains(QLatin1String("banana")));
    QCOMPARE(bad.json().value(QStringLiteral("key")).toString(),
             QStringLiteral("session/idle_timeout"));
    QVERIFY(m_server->waitForEvent(ServerEvent::Type::ReloadFailed));

    write("[session]\nidle_timeout = 30\nwarning = 10\nlogin_timeout = 10\n");
    const Http good = request("POST", "/api/v1/reload", "{}");
    QCOMPARE(good.status, 200);
    QCOMPARE(good.json().value(QStringLiteral("ok")).toBool(), true);
    QCOMPARE(good.json().value(QStringLiteral("changed")).toArray(),
             QJsonArray{QStringLiteral("session/idle_timeout")});
    QVERIFY(m_server->waitForEvent(ServerEvent::Type::Reload));
    QCOMPARE(m_server->eventsOf(ServerEvent::Type::Reload)
                 .first()
                 .details.value(QStringLiteral("source"))
                 .toString(),
             QStringLiteral("api"));
    QVERIFY(a->isConnected());
}

void tst_AdminApi::metricsParseAsPrometheusText()
{
    QVERIFY(startServer());
    auto a = loggedIn(m_server->token(QStringLiteral("ann"), QStringLiteral("s-a")));
    auto b = loggedIn(m_server->token(QStringLiteral("ben"), QStringLiteral("s-b")));
    QVERIFY(a && b);
    a->sendEvent(QStringLiteral("activity"));
    QVERIFY(a->roundTrip());
    QCOMPARE(request("DELETE", "/api/v1/sessions/s-a", "{}").status, 200);
    QVERIFY(a->waitForDisconnected());
    TestClient bad;
    QVERIFY(bad.open(m_server->url()));
    bad.loginCheck("not.a.token");
    QVERIFY(bad.waitForDisconnected());
    QCOMPARE(request("GET", "/api/v1/info", {}, "wrong-token-0123456789").status, 401);

    QMap<QString, double> samples;
    QTRY_VERIFY([&] {
        samples.clear();
        const Http h = request("GET", "/metrics", {}, QByteArray());
        return h.status == 200 && parsePrometheus(h.body, &samples).isEmpty()
               && samples.value(QStringLiteral("warden_connections")) == 1;
    }());
    const Http h = request("GET", "/metrics", {}, QByteArray());
    QVERIFY(h.head.contains("Content-Type: text/plain; version=0.0.4"));
    samples.clear();
    const QString problem = parsePrometheus(h.body, &samples);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    QCOMPARE(samples.value(QStringLiteral("warden_sessions")), 1.0);
    QCOMPARE(samples.value(QStringLiteral("warden_connections_accepted_total")), 3.0);
    QCOMPARE(samples.value(QStringLiteral("warden_kicks_total")), 1.0);
    QCOMPARE(samples.value(QStringLiteral("warden_disconnects_total{code=\"4502\"}")), 1.0);
    QCOMPARE(samples.value(QStringLiteral("warden_disconnects_total{code=\"4500\"}")), 1.0);
    QCOMPARE(samples.value(QStringLiteral("warden_auth_failures_total{source=\"websocket\"}")),
             1.0);
    QVERIFY(samples.value(QStringLiteral("warden_auth_failures_total{source=\"admin\"}")) >= 1.0);
    QVERIFY(samples.value(QStringLiteral("warden_messages_total{direction=\"in\"}")) >= 4.0);
    QVERIFY(samples.value(QStringLiteral("warden_bytes_total{direction=\"out\"}")) > 0.0);
    QVERIFY(samples.contains(QStringLiteral("warden_expiry_lateness_seconds_bucket{le=\"+Inf\"}")));
    QVERIFY(samples.contains(QStringLiteral("warden_reloads_total{result=\"ok\"}")));

    // The parser is strict: it must reject what Prometheus rejects.
    QMap<QString, double> scratch;
    QVERIFY(!parsePrometheus("# TYPE x counter\nx 1", &scratch).isEmpty());
    QVERIFY(!parsePrometheus("x 1\n", &scratch).isEmpty());
    QVERIFY(!parsePrometheus("# TYPE x counter\nx{a=b} 1\n", &scratch).isEmpty());
    QVERIFY(!parsePrometheus("# TYPE x counter\nx one\n", &scratch).isEmpty());
    QVERIFY(!parsePrometheus("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
                             "h_sum 1\nh_count 1\n",
                             &scratch)
                 .isEmpty());
}

void tst_AdminApi::metricsAuthOption()
{
    ServerConfig cfg = m_server->defaultConfig();
    cfg.adminMetricsAuth = true;
    QVERIFY(startServer(cfg));
    QCOMPARE(request("GET", "/metrics", {}, QByteArray()).status, 401);
    QCOMPARE(request("GET", "/metrics", {}, "readonly").status, 200);
    QCOMPARE(request("GET", "/healthz", {}, QByteArray()).status, 200);
}

void tst_AdminApi::streamDeliversEvents()
{
    QVERIFY(startServer());
    QWebSocket ws;
    QStringList received;
    connect(&ws, &QWebSocket::textMessageReceived, this,
            [&](const QString &t) { received.append(t); });
    QNetworkRequest req(QUrl(QStringLiteral("ws://127.0.0.1:%1/api/v1/stream").arg(m_adminPort)));
    req.setRawHeader("Authorization", "Bearer " + m_readOnlyToken);
    QSignalSpy connected(&ws, &QWebSocket::connected);
    ws.open(req);
    QVERIFY(connected.wait(5000));

    auto a = loggedIn(m_server->token(QStringLiteral("ann")));
    QVERIFY(a);
    QTRY_VERIFY([&] {
        for (const QString &t : std::as_const(received)) {
            if (QJsonDocument::fromJson(t.toUtf8()).object().value(QStringLiteral("type"))
                == QLatin1String("authenticated"))
                return true;
        }
        return false;
    }());
    // Counters arrive about once a second.
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            for (const QString &t : std::as_const(received)) {
                const QJsonObject o = QJsonDocument::fromJson(t.toUtf8()).object();
                if (o.value(QStringLiteral("type")) == QLatin1String("counters"))
                    return o.value(QStringLiteral("connections")).toInt() == 1;
            }
            return false;
        }(),
        4000);

    // Without a token the upgrade is refused.
    QWebSocket anon;
    QSignalSpy anonGone(&anon, &QWebSocket::disconnected);
    QSignalSpy anonOpen(&anon, &QWebSocket::connected);
    anon.open(QUrl(QStringLiteral("ws://127.0.0.1:%1/api/v1/stream").arg(m_adminPort)));
    QVERIFY(anonGone.wait(5000));
    QCOMPARE(anonOpen.size(), 0);
}

void tst_AdminApi::idleServerArmsNoTimer()
{
    // An idle server with the admin port open has nothing due: no timer may tick in its thread
    // (the admin counters used to tick every second with no stream to push them to). A stream
    // brings the counters timer, its end takes it away again.
    ServerConfig config = m_server->defaultConfig();
    config.tcpPollIntervalMs = 0;
    QVERIFY(startServer(config));
    const auto inServer = [this](std::function<int(ServerWorker &)> fn) {
        auto out = std::make_shared<int>(-2);
        m_server->host()->call<int>(this, std::move(fn), [out](const int &n) { *out = n; });
        QDeadlineTimer deadline(5000);
        while (*out == -2 && !deadline.hasExpired())
            QTest::qWait(5);
        return *out;
    };
    const auto timers = [&inServer] {
        return inServer([](ServerWorker &) {
            const auto *d
                = qobject_cast<EpollEventDispatcher *>(QAbstractEventDispatcher::instance());
            return d ? d->registeredTimerCount() : -1;
        });
    };
    const auto counters = [&inServer] {
        return inServer([](ServerWorker &w) { return w.adminServer()->countersRunning() ? 1 : 0; });
    };
    if (timers() == -1)
        QSKIP("the server thread runs Qt's dispatcher (WARDEN_EVENT_DISPATCHER=qt)");
    QTRY_COMPARE_WITH_TIMEOUT(timers(), 0, 10000);

    auto ws = std::make_unique<QWebSocket>();
    QNetworkRequest req(QUrl(QStringLiteral("ws://127.0.0.1:%1/api/v1/stream").arg(m_adminPort)));
    req.setRawHeader("Authorization", "Bearer " + m_readOnlyToken);
    QSignalSpy connected(ws.get(), &QWebSocket::connected);
    QSignalSpy messages(ws.get(), &QWebSocket::textMessageReceived);
    ws->open(req);
    QVERIFY(connected.wait(5000));
    QTRY_COMPARE(counters(), 1);
    QVERIFY(messages.wait(4000)); // the counters, about once a second
    QSignalSpy closed(ws.get(), &QWebSocket::disconnected);
    ws->close();
    QTRY_COMPARE_WITH_TIMEOUT(closed.size(), 1, 5000);
    QTRY_COMPARE(counters(), 0);
}

void tst_AdminApi::stopAnswersThenStops()
{
    QVERIFY(startServer());
    auto a = loggedIn(m_server->token(QStringLiteral("ann")));
    QVERIFY(a);
    QSignalSpy stopped(m_server->host(), &ServerHost::stopped);
    const Http h = request("POST", "/api/v1/stop", R"({"reason":"maintenance"})");
    QCOMPARE(h.status, 200);
    QCOMPARE(h.json().value(QStringLiteral("stopping")).toBool(), true);
    QVERIFY(stopped.wait(5000));
    QVERIFY(a->waitForDisconnected());
    QCOMPARE(a->closeCode(), int(CloseCode::ShuttingDown));
    const ServerEventList audits = m_server->eventsOf(ServerEvent::Type::Audit);
    QVERIFY(!audits.isEmpty());
    QCOMPARE(audits.last().details.value(QStringLiteral("action")).toString(),
             QStringLiteral("stop"));
}

void tst_AdminApi::nonLoopbackAdminAddressIsRefused()
{
    QMap<QString, QString> o{{QStringLiteral("server/data_dir"), m_dir.path()},
                             {QStringLiteral("admin/listen"), QStringLiteral("0.0.0.0:1216")}};
    const ConfigResult refused = ConfigLoader::load(QString(), o);
    QVERIFY(!refused.ok());
    QCOMPARE(refused.error.key, QStringLiteral("admin/listen"));
    QVERIFY(refused.error.reason.contains(QLatin1String("allow_insecure_remote")));
    o.insert(QStringLiteral("admin/allow_insecure_remote"), QStringLiteral("true"));
    QVERIFY(ConfigLoader::load(QString(), o).ok());
    o.insert(QStringLiteral("admin/listen"), QString());
    o.remove(QStringLiteral("admin/allow_insecure_remote"));
    const ConfigResult off = ConfigLoader::load(QString(), o);
    QVERIFY(off.ok());
    QVERIFY(off.config.adminListen.isEmpty());
}

QTEST_GUILESS_MAIN(tst_AdminApi)
#include "tst_adminapi.moc"
