// SPDX-License-Identifier: MIT
// Who may open a WebSocket: origin allowlist, limits, login-failure brake. The policy alone, then
// the real server refusing before the upgrade while everyone else keeps working.
#include "server/admissionpolicy.h"
#include "server/closecodes.h"
#include "tests/common/serverfixture.h"
#include "tests/common/testclient.h"

#include <QtCore/QDeadlineTimer>
#include <QtCore/QElapsedTimer>
#include <QtCore/QJsonDocument>
#include <QtNetwork/QTcpSocket>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

#include <algorithm>
#include <memory>
#include <vector>

class tst_Admission : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void origins_data();
    void origins();
    void loginFailureBan();
    void foreignOriginRefused403();
    void requireOrigin();
    void maxConnections503();
    void maxConnectionsPerIp();
    void loginFailuresGet429();
    void halfOpenFloodDoesNotDelayLogins();
    void perUserLimitReplacesOldest();
    void perUserLimitRefuses();
    void slowConsumerIsClosed();

private:
    QByteArray rawUpgrade(quint16 port, const QByteArray &origin);
    static std::unique_ptr<TestClient> loggedIn(const QUrl &url, const QByteArray &token);
};

void tst_Admission::origins_data()
{
    QTest::addColumn<QStringList>("allowed");
    QTest::addColumn<QByteArray>("origin");
    QTest::addColumn<bool>("ok");
    const QStringList none;
    QTest::addRow("default localhost") << none << QByteArray("http://localhost:3000") << true;
    QTest::addRow("default 127.0.0.1") << none << QByteArray("http://127.0.0.1:1215") << true;
    QTest::addRow("default ::1") << none << QByteArray("http://[::1]:8080") << true;
    QTest::addRow("default foreign") << none << QByteArray("https://evil.example") << false;
    QTest::addRow("default lookalike")
        << none << QByteArray("http://localhost.evil.example") << false;
    QTest::addRow("garbage") << none << QByteArray("not an origin") << false;
    QTest::addRow("null origin") << none << QByteArray("null") << false;
    const QStringList exact{QStringLiteral("https://app.example.com")};
    QTest::addRow("exact") << exact << QByteArray("https://app.example.com") << true;
    QTest::addRow("exact default port")
        << exact << QByteArray("https://app.example.com:443") << true;
    QTest::addRow("exact other port")
        << exact << QByteArray("https://app.example.com:8443") << false;
    QTest::addRow("exact other scheme") << exact << QByteArray("http://app.example.com") << false;
    QTest::addRow("exact case") << exact << QByteArray("https://APP.example.com") << true;
    QTest::addRow("exact, localhost no longer implied")
        << exact << QByteArray("http://localhost") << false;
    const QStringList wild{QStringLiteral("*.example.com")};
    QTest::addRow("wildcard sub") << wild << QByteArray("https://a.example.com") << true;
    QTest::addRow("wildcard deep") << wild << QByteArray("http://a.b.example.com:81") << true;
    QTest::addRow("wildcard apex") << wild << QByteArray("https://example.com") << false;
    QTest::addRow("wildcard suffix trick") << wild << QByteArray("https://badexample.com") << false;
    QTest::addRow("wildcard other domain")
        << wild << QByteArray("https://example.com.evil.io") << false;
    const QStringList schemeWild{QStringLiteral("https://*.example.com")};
    QTest::addRow("scheme wildcard ok")
        << schemeWild << QByteArray("https://a.example.com") << true;
    QTest::addRow("scheme wildcard http")
        << schemeWild << QByteArray("http://a.example.com") << false;
    QTest::addRow("star") << QStringList{QStringLiteral("*")} << QByteArray("https://anything.io")
                          << true;
}

void tst_Admission::origins()
{
    QFETCH(QStringList, allowed);
    QFETCH(QByteArray, origin);
    QFETCH(bool, ok);
    AdmissionPolicy p;
    AdmissionPolicy::Settings s;
    s.allowedOrigins = allowed;
    s.listenHost = QStringLiteral("127.0.0.1");
    p.setSettings(s);
    QCOMPARE(p.originAllowed(origin), ok);
}

void tst_Admission::loginFailureBan()
{
    AdmissionPolicy p;
    AdmissionPolicy::Settings s;
    s.loginFailuresPerMinute = 3;
    s.loginBanMs = 1000;
    p.setSettings(s);
    const QHostAddress a(QStringLiteral("127.0.0.5"));
    const QHostAddress b(QStringLiteral("127.0.0.6"));
    p.recordLoginFailure(a, 0);
    p.recordLoginFailure(a, 10);
    QVERIFY(!p.isBanned(a, 20));
    p.recordLoginFailure(a, 20);
    QVERIFY(p.isBanned(a, 30));
    QVERIFY(!p.isBanned(b, 30));
    QVERIFY(!p.isBanned(a, 1021));
    // Failures spread over more than a minute do not add up.
    p.recordLoginFailure(b, 0);
    p.recordLoginFailure(b, 30000);
    p.recordLoginFailure(b, 61000);
    QVERIFY(!p.isBanned(b, 61001));
}

QByteArray tst_Admission::rawUpgrade(quint16 port, const QByteArray &origin)
{
    QTcpSocket s;
    s.connectToHost(QHostAddress::LocalHost, port);
    if (!s.waitForConnected(3000))
        return {};
    QByteArray req
        = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    if (!origin.isEmpty())
        req += "Origin: " + origin + "\r\n";
    s.write(req + "\r\n");
    QByteArray reply;
    while (!reply.contains("\r\n\r\n") && s.waitForReadyRead(3000))
        reply += s.readAll();
    return reply;
}

void tst_Admission::foreignOriginRefused403()
{
    ServerFixture server;
    QVERIFY(server.start(server.defaultConfig()));
    QVERIFY(rawUpgrade(server.port(), "https://evil.example").startsWith("HTTP/1.1 403"));
    QVERIFY(rawUpgrade(server.port(), "http://localhost:3000").startsWith("HTTP/1.1 101"));
    QVERIFY(rawUpgrade(server.port(), QByteArray()).startsWith("HTTP/1.1 101"));
    QVERIFY(server.waitForEvent(ServerEvent::Type::Rejected));
    const ServerEvent e = server.eventsOf(ServerEvent::Type::Rejected).first();
    QCOMPARE(e.details.value(QStringLiteral("status")).toInt(), 403);
    QCOMPARE(e.details.value(QStringLiteral("origin")).toString(),
             QStringLiteral("https://evil.example"));
    QCOMPARE(e.details.value(QStringLiteral("reason")).toString(),
             QStringLiteral("origin_not_allowed"));

    // A real QWebSocket with an allowed origin logs in.
    TestClient ok(nullptr, QStringLiteral("http://localhost:8080"));
    QVERIFY(ok.open(server.url()));
    ok.loginCheck(server.token(QStringLiteral("alice")));
    QVERIFY(ok.waitForEvent(QStringLiteral("message")) >= 0);
    TestClient evil(nullptr, QStringLiteral("https://evil.example"));
    QVERIFY(!evil.open(server.url(), 2000));
}

void tst_Admission::requireOrigin()
{
    ServerFixture server;
    ServerConfig cfg = server.defaultConfig();
    cfg.requireOrigin = true;
    cfg.allowedOrigins = {QStringLiteral("https://app.example.com")};
    QVERIFY(server.start(cfg));
    QVERIFY(rawUpgrade(server.port(), QByteArray()).startsWith("HTTP/1.1 403"));
    QVERIFY(rawUpgrade(server.port(), "https://app.example.com").startsWith("HTTP/1.1 101"));
}

void tst_Admission::maxConnections503()
{
    ServerFixture server;
    ServerConfig cfg = server.defaultConfig();
    cfg.maxConnections = 3;
    QVERIFY(server.start(cfg));
    std::vector<std::unique_ptr<TestClient>> clients;
    for (int i = 0; i < 3; ++i) {
        clients.push_back(std::make_unique<TestClient>());
        QVERIFY(clients.back()->open(server.url()));
    }
    QVERIFY(rawUpgrade(server.port(), QByteArray()).startsWith("HTTP/1.1 503"));
    for (auto &c : clients)
        QVERIFY(c->roundTrip());
    clients.back()->socket().close();
    QVERIFY(clients.back()->waitForDisconnected());
    // Once a slot is free one upgrade gets through; QTRY evaluates its expression again after
    // success, and a second upgrade would find the slot taken by the first.
    bool upgraded = false;
    QTRY_VERIFY(upgraded
                || (upgraded = rawUpgrade(server.port(), QByteArray()).startsWith("HTTP/1.1 101")));
}

void tst_Admission::maxConnectionsPerIp()
{
    ServerFixture server;
    ServerConfig cfg = server.defaultConfig();
    cfg.maxConnectionsPerIp = 2;
    QVERIFY(server.start(cfg));
    TestClient a;
    TestClient b;
    QVERIFY(a.open(server.url()) && b.open(server.url()));
    QVERIFY(rawUpgrade(server.port(), QByteArray()).startsWith("HTTP/1.1 503"));
    QVERIFY(server.waitForEvent(ServerEvent::Type::Rejected));
    QCOMPARE(server.eventsOf(ServerEvent::Type::Rejected)
                 .first()
                 .details.value(QStringLiteral("reason"))
                 .toString(),
             QStringLiteral("max_connections_per_ip"));
    QVERIFY(a.roundTrip());
}

void tst_Admission::loginFailuresGet429()
{
    ServerFixture server;
    ServerConfig cfg = server.defaultConfig();
    cfg.loginFailuresPerMinute = 3;
    cfg.loginBanMs = 60000;
    QVERIFY(server.start(cfg));
    for (int i = 0; i < 3; ++i) {
        TestClient c;
        QVERIFY(c.open(server.url()));
        c.loginCheck("forged.token.value");
        QVERIFY(c.waitForDisconnected());
        QCOMPARE(c.closeCode(), int(CloseCode::InvalidToken));
    }
    QVERIFY(rawUpgrade(server.port(), QByteArray()).startsWith("HTTP/1.1 429"));
}

void tst_Admission::halfOpenFloodDoesNotDelayLogins()
{
    ServerFixture server;
    ServerConfig cfg = server.defaultConfig();
    cfg.handshakeTimeoutMs = 5000;
    QVERIFY(server.start(cfg));
    // 500 sockets that open and send half a request head, then hang.
    std::vector<std::unique_ptr<QTcpSocket>> flood;
    for (int i = 0; i < 500; ++i) {
        auto s = std::make_unique<QTcpSocket>();
        s->connectToHost(QHostAddress::LocalHost, server.port());
        flood.push_back(std::move(s));
    }
    int connected = 0;
    for (auto &s : flood) {
        if (s->waitForConnected(3000)) {
            s->write("GET / HTTP/1.1\r\nHost: x\r\n");
            ++connected;
        }
    }
    QCOMPARE(connected, 500);
    QElapsedTimer t;
    t.start();
    TestClient c;
    QVERIFY(c.open(server.url()));
    c.loginCheck(server.token(QStringLiteral("alice")));
    QVERIFY(c.waitForEvent(QStringLiteral("message")) >= 0);
    // Sanitizer stages run several times slower: .ci/tsan scales the budget.
    const int scale = qMax(1, qEnvironmentVariableIntValue("WARDEN_TEST_TIME_SCALE"));
    QVERIFY2(t.elapsed() < 1000 * scale, qPrintable(QString::number(t.elapsed())));
    QCOMPARE(c.firstData(QStringLiteral("message")).value(QStringLiteral("code")).toInt(), 200);
}

namespace {
// TestClient::roundTrip() for either endpoint: a ping event answered by a pong event.
bool alive(TestClient &c)
{
    const int from = int(c.frames().size());
    c.sendRaw(QStringLiteral(R"(42["ping",{"n":%1}])").arg(from));
    return c.waitForEvent(QStringLiteral("pong"), 5000, from) >= 0;
}

QUrl socketIoUrl(const ServerFixture &server)
{
    return server.url(QStringLiteral("/socket.io/?EIO=4&transport=websocket"));
}

int codeOf(const QJsonValue &data)
{
    return data.toObject().value(QStringLiteral("code")).toInt();
}

QString reasonOf(const QJsonValue &data)
{
    return data.toObject().value(QStringLiteral("reason")).toString();
}
} // namespace

// Logs in on the raw endpoint or, for a /socket.io/ URL, with a Socket.IO CONNECT.
std::unique_ptr<TestClient> tst_Admission::loggedIn(const QUrl &url, const QByteArray &token)
{
    auto c = std::make_unique<TestClient>();
    if (!c->open(url))
        return nullptr;
    if (url.path().startsWith(QLatin1String("/socket.io"))) {
        if (c->waitForRaw(QStringLiteral("0{")) != 0)
            return nullptr;
        c->sendRaw(QStringLiteral(R"(40{"token":"%1"})").arg(QString::fromLatin1(token)));
    } else {
        c->loginCheck(token);
    }
    const int i = c->waitForEvent(QStringLiteral("message"));
    if (i < 0 || codeOf(c->frames().at(i).data) != 200)
        return nullptr;
    return c;
}

void tst_Admission::perUserLimitReplacesOldest()
{
    ServerFixture server;
    ServerConfig cfg = server.defaultConfig();
    cfg.maxConnectionsPerUser = 2;
    QVERIFY(server.start(cfg));
    const QByteArray alice = server.token(QStringLiteral("alice"), QStringLiteral("s-a"));
    // Oldest: a raw tab; then a Socket.IO tab; bob works throughout.
    auto a1 = loggedIn(server.url(), alice);
    QVERIFY(a1);
    auto a2 = loggedIn(socketIoUrl(server), alice);
    QVERIFY(a2);
    auto bob = loggedIn(server.url(), server.token(QStringLiteral("bob")));
    QVERIFY(bob);

    auto a3 = loggedIn(server.url(), alice); // the third: a1 goes
    QVERIFY(a3);
    QVERIFY(a1->waitForDisconnected());
    QCOMPARE(a1->closeCode(), int(CloseCode::Replaced));
    QCOMPARE(a1->closeReason(), QStringLiteral("replaced"));
    const QList<TestClient::Frame> messages = a1->framesOf(QStringLiteral("message"));
    QCOMPARE(codeOf(messages.last().data), 401);
    QCOMPARE(reasonOf(messages.last().data), QStringLiteral("replaced"));
    QVERIFY(!messages.last().data.toObject().value(QStringLiteral("message")).toString().isEmpty());
    QVERIFY(alive(*a2) && alive(*a3) && alive(*bob));

    // A Socket.IO tab that is replaced gets the 401, then "41" (do not reconnect), then 4505.
    auto a4 = loggedIn(socketIoUrl(server), alice);
    QVERIFY(a4);
    QVERIFY(a2->waitForDisconnected());
    QCOMPARE(a2->closeCode(), int(CloseCode::Replaced));
    QCOMPARE(reasonOf(a2->framesOf(QStringLiteral("message")).last().data),
             QStringLiteral("replaced"));
    QVERIFY(a2->waitForRaw(QStringLiteral("41")) >= 0);
    QVERIFY(alive(*a3) && alive(*a4) && alive(*bob));

    // The session lives on in the newer tabs; each replacement is logged as `kicked`, reason
    // `replaced`, on the connection that went.
    QVERIFY(server.waitForEvent(ServerEvent::Type::Kicked, 2));
    const ServerEvent kicked = server.eventsOf(ServerEvent::Type::Kicked).first();
    QCOMPARE(kicked.details.value(QStringLiteral("reason")).toString(), QStringLiteral("replaced"));
    QCOMPARE(kicked.user, QStringLiteral("alice"));
    QCOMPARE(kicked.sessionId, QStringLiteral("s-a"));
    QCOMPARE(kicked.details.value(QStringLiteral("limit")).toInt(), 2);
    const auto sessions = server.eventsOf(ServerEvent::Type::Expired);
    QVERIFY(sessions.isEmpty());
}

void tst_Admission::perUserLimitRefuses()
{
    ServerFixture server;
    ServerConfig cfg = server.defaultConfig();
    cfg.maxConnectionsPerUser = 1;
    cfg.perUserPolicy = ServerConfig::PerUserPolicy::Refuse;
    QVERIFY(server.start(cfg));
    const QByteArray alice = server.token(QStringLiteral("alice"));
    auto a1 = loggedIn(server.url(), alice);
    QVERIFY(a1);
    auto bob = loggedIn(socketIoUrl(server), server.token(QStringLiteral("bob")));
    QVERIFY(bob);

    // Raw: 401 too_many_connections, then 4507.
    TestClient raw;
    QVERIFY(raw.open(server.url()));
    raw.loginCheck(alice);
    QVERIFY(raw.waitForDisconnected());
    QCOMPARE(raw.closeCode(), int(CloseCode::TooManyConnections));
    QCOMPARE(raw.closeReason(), QStringLiteral("too_many_connections"));
    const QJsonValue refused = raw.framesOf(QStringLiteral("message")).last().data;
    QCOMPARE(codeOf(refused), 401);
    QCOMPARE(reasonOf(refused), QStringLiteral("too_many_connections"));
    QCOMPARE(refused.toObject().value(QStringLiteral("limit")).toInt(), 1);
    QVERIFY(!CloseCode::mayReconnect(raw.closeCode()));

    // Socket.IO: the CONNECT is refused with 44{..., data: {code 401, reason}}, then 4507.
    TestClient sio;
    QVERIFY(sio.open(socketIoUrl(server)));
    QVERIFY(sio.waitForRaw(QStringLiteral("0{")) == 0);
    sio.sendRaw(QStringLiteral(R"(40{"token":"%1"})").arg(QString::fromLatin1(alice)));
    const int i = sio.waitForRaw(QStringLiteral("44"));
    QVERIFY(i >= 0);
    const QJsonObject err
        = QJsonDocument::fromJson(sio.frames().at(i).raw.mid(2).toUtf8()).object();
    QCOMPARE(codeOf(err.value(QStringLiteral("data"))), 401);
    QCOMPARE(reasonOf(err.value(QStringLiteral("data"))), QStringLiteral("too_many_connections"));
    QVERIFY(sio.waitForDisconnected());
    QCOMPARE(sio.closeCode(), int(CloseCode::TooManyConnections));

    // The first tab and other users are untouched; logged as `rejected`.
    QVERIFY(alive(*a1) && alive(*bob));
    QVERIFY(server.waitForEvent(ServerEvent::Type::Rejected, 2));
    const ServerEvent e = server.eventsOf(ServerEvent::Type::Rejected).first();
    QCOMPARE(e.details.value(QStringLiteral("reason")).toString(),
             QStringLiteral("too_many_connections"));
    QCOMPARE(e.details.value(QStringLiteral("status")).toInt(), 401);
    QCOMPARE(e.user, QStringLiteral("alice"));

    // Once the first tab has gone, alice may log in again.
    a1->socket().close();
    QVERIFY(a1->waitForDisconnected());
    QTRY_VERIFY(loggedIn(server.url(), alice) != nullptr);
}

void tst_Admission::slowConsumerIsClosed()
{
    ServerFixture server;
    ServerConfig cfg = server.defaultConfig();
    cfg.maxSendBufferBytes = 256 * 1024;
    QVERIFY(server.start(cfg));
    auto healthy = loggedIn(server.url(), server.token(QStringLiteral("bob")));
    QVERIFY(healthy);

    // A client that completes the handshake by hand, logs in, then never reads again.
    QTcpSocket slow;
    slow.connectToHost(QHostAddress::LocalHost, server.port());
    QVERIFY(slow.waitForConnected(3000));
    slow.setSocketOption(QAbstractSocket::ReceiveBufferSizeSocketOption, 4096);
    slow.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
    QByteArray head;
    while (!head.contains("\r\n\r\n") && slow.waitForReadyRead(3000))
        head += slow.readAll(); // the server sends nothing more before the login
    QVERIFY2(head.startsWith("HTTP/1.1 101"), head.constData());
    // A masked text frame (RFC 6455 5.3), short enough for a 7-bit length.
    const QByteArray login = QByteArrayLiteral("[\"loginCheck\",{\"holding\":\"")
                             + server.token(QStringLiteral("carol")) + QByteArrayLiteral("\"}]");
    QVERIFY(login.size() < 65536);
    QByteArray frame;
    frame.append(char(0x81));
    const QByteArray mask = QByteArrayLiteral("\x11\x22\x33\x44");
    if (login.size() < 126) {
        frame.append(char(0x80 | login.size()));
    } else {
        frame.append(char(0x80 | 126));
        frame.append(char((login.size() >> 8) & 0xff));
        frame.append(char(login.size() & 0xff));
    }
    frame.append(mask);
    for (qsizetype i = 0; i < login.size(); ++i)
        frame.append(char(login.at(i) ^ mask.at(i % 4)));
    slow.write(frame);
    QVERIFY(slow.waitForBytesWritten(3000));
    slow.setReadBufferSize(1); // from now on it reads nothing more
    const auto carolIn = [&server] {
        const ServerEventList list = server.eventsOf(ServerEvent::Type::Authenticated);
        return std::any_of(list.cbegin(), list.cend(),
                           [](const ServerEvent &e) { return e.user == QLatin1String("carol"); });
    };
    QTRY_VERIFY(carolIn());

    // Large broadcasts, one at a time: the healthy client drains each one, the slow one cannot.
    const QString blob(128 * 1024, QLatin1Char('x'));
    const auto slowClosed = [&server] {
        for (const ServerEvent &e : server.eventsOf(ServerEvent::Type::Disconnected)) {
            if (e.user == QLatin1String("carol"))
                return true;
        }
        return false;
    };
    int sent = 0;
    for (; sent < 400 && !slowClosed(); ++sent) {
        bool done = false;
        const qsizetype before = healthy->framesOf(QStringLiteral("news")).size();
        server.host()->call<int>(
            this,
            [blob](ServerWorker &w) {
                return w
                    .broadcast(QStringLiteral("news"), QJsonObject{{QLatin1String("blob"), blob}},
                               QString(), QStringLiteral("test"))
                    .connections;
            },
            [&done](const int &) { done = true; });
        QTRY_VERIFY(done);
        QTRY_COMPARE(healthy->framesOf(QStringLiteral("news")).size(), before + 1);
    }
    QTRY_VERIFY(slowClosed());
    ServerEvent closed;
    for (const ServerEvent &e : server.eventsOf(ServerEvent::Type::Disconnected)) {
        if (e.user == QLatin1String("carol"))
            closed = e;
    }
    QCOMPARE(closed.details.value(QStringLiteral("code")).toInt(), int(CloseCode::SlowConsumer));
    QCOMPARE(closed.details.value(QStringLiteral("reason")).toString(),
             QStringLiteral("slow_consumer"));
    QVERIFY(closed.details.value(QStringLiteral("unsent_bytes")).toDouble()
            > double(cfg.maxSendBufferBytes));
    QVERIFY(healthy->isConnected());
    QVERIFY(healthy->roundTrip());
    QCOMPARE(healthy->framesOf(QStringLiteral("news")).size(), qsizetype(sent));
}

QTEST_GUILESS_MAIN(tst_Admission)
#include "tst_admission.moc"
