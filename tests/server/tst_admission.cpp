// SPDX-License-Identifier: MIT
// Who may open a WebSocket: origin allowlist, limits, login-failure brake. The policy alone, then
// the real server refusing before the upgrade while everyone else keeps working.
#include "server/admissionpolicy.h"
#include "server/closecodes.h"
#include "tests/common/serverfixture.h"
#include "tests/common/testclient.h"

#include <QtCore/QElapsedTimer>
#include <QtNetwork/QTcpSocket>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

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

private:
    QByteArray rawUpgrade(quint16 port, const QByteArray &origin);
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
    QTRY_VERIFY(rawUpgrade(server.port(), QByteArray()).startsWith("HTTP/1.1 101"));
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
    QVERIFY2(t.elapsed() < 1000, qPrintable(QString::number(t.elapsed())));
    QCOMPARE(c.firstData(QStringLiteral("message")).value(QStringLiteral("code")).toInt(), 200);
}

QTEST_GUILESS_MAIN(tst_Admission)
#include "tst_admission.moc"
