// SPDX-License-Identifier: MIT
// End to end: a real server thread on 127.0.0.1, real QWebSocket clients, millisecond timeouts.
#include "server/clientmessages.h"
#include "server/closecodes.h"
#include "server/httpfrontend.h"
#include "server/iothreads.h"
#include "server/jwt.h"
#include "server/nativewebsocket.h"
#include "server/sqlitesessionstore.h"
#include "tests/common/serverfixture.h"
#include "tests/common/testclient.h"

#include <QtCore/QDateTime>
#include <QtCore/QDeadlineTimer>
#include <QtCore/QDir>
#include <QtCore/QElapsedTimer>
#include <QtCore/QFile>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QTemporaryDir>
#include <QtCore/QThread>
#include <QtCore/QTimer>
#include <QtNetwork/QTcpServer>
#include <QtNetwork/QTcpSocket>
#include <QtSql/QSqlDatabase>
#include <QtSql/QSqlQuery>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

#include <functional>
#include <memory>
#include <optional>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {
// Native connections that live on the worker's I/O threads (tst_server_io): their stand-ins.
int openOnIoThreads(const ServerWorker &w)
{
    int n = 0;
    if (w.ioThreads()) {
        for (int open : w.ioThreads()->load())
            n += open;
    }
    return n;
}
} // namespace

class tst_Server : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void loginWithSeedAndLoginForms_data();
    void loginWithSeedAndLoginForms();
    void repeatedLoginCheckIsSilentAndNotActivity();
    void anotherTokenOnALoggedInConnectionIs409();
    void loginEventsCarryTheirDetails();
    void missingTokenGets422AndStays();
    void invalidTokenIsRefused_data();
    void invalidTokenIsRefused();
    void warningThenIdleExpiry();
    void activityInOneTabKeepsTheOtherAlive();
    void reconnectIsNotActivity();
    void logoutClosesEveryTab();
    void refusedAfterExpiry();
    void operatorKickEndsSessionAndRefusesToken();
    void operatorDisconnectLetsClientBackIn();
    void hardEndFromExpClaim();
    void massExpiryPushesBeforeEveryClose();
    void closedConnectionsFreeTheirSockets();
    void newTabInsideWarningWindowIsWarned();
    void badInputKeepsConnection_data();
    void badInputKeepsConnection();
    void eventsBeforeLoginAreRefused();
    void binaryFrameCloses1003();
    void oversizedMessageCloses1009();
    void unmaskedFrameIsLoggedAsRejected();
    void loginTimeoutCloses4504();
    void engineIoPingIsAnsweredButNotActivity();
    void reloadRecomputesDeadlinesWithoutDropping();
    void reloadListenAddressKeepsClients();
    void reloadWithBusyAddressKeepsOldListener();
    void plainHttp_data();
    void plainHttp();
    void slowHandshakeIsCutOff();
    void refusalsNamePeersAsEventsDo_data();
    void refusalsNamePeersAsEventsDo();
    void socketIoUpgradeChecks_data();
    void socketIoUpgradeChecks();
    void socketIoOpenConnectEventsAndAcks();
    void socketIoBadTokenGetsConnectError();
    void socketIoMissingTokenAndEventsBeforeConnect();
    void socketIoIdleExpirySends41ThenCloses();
    void socketIoKickAndLogoutSend41();
    void socketIoPingsAreNotActivity();
    void socketIoSilentClientIsClosed();
    void socketIoBinaryEventIsRefusedCleanly();
    void socketIoStopClosesWithout41();
    void demoTokenEndpoint();
    void demoCanBeTurnedOff();
    void stopClosesClientsWith4001();
    void eventLogCarriesFields();
    void logoutUserEverywhereWithDryRun();
    void extendSessionMovesDeadline();
    void broadcastReachesLoggedInClients();
    void stopAndStartListening();
    void unknownIdsAre404();
    void kernelTcpStatePerConnection();
    void tcpPollsCloseWaitOnlyUntilObserved();
    void tcpObserverGetsFullPollAtOnce();
    void tcpMonitorAsksTheListenersFamilyOnly();
    void closeWaitAlarmReachesEventLog_data();
    void closeWaitAlarmReachesEventLog();

    void kickIsDurableBeforeOperatorSeesSuccess();
    void newSessionsAreOnDiskBeforeTheNextPass();
    void restartKeepsSessionsAndRevocations();
    void restartInPlaceKeepsPortAndSessions();
    void issuedTokensSurviveRestart();
    void storeInfoAndOlderHistory();
    void stopSpreadsClosesOverSpreadMs();
    void reloadAppliesEachLiveKey_data();
    void reloadAppliesEachLiveKey();
    void malformedConfigFileChangesNothing();

private:
    // Applies config through a reload and returns (ok, applied live, restart required).
    bool reloadWith(const ServerConfig &config, QStringList *live, QStringList *restart);
    template<typename R>
    R callWorker(std::function<R(ServerWorker &)> fn);
    ServerConfig fastConfig(qint64 idleMs, qint64 warningMs) const;
    std::unique_ptr<TestClient> loggedIn(const QByteArray &token);
    QByteArray httpGet(const QByteArray &request);
    QUrl socketIoUrl() const
    {
        return m_server->url(QStringLiteral("/socket.io/?EIO=4&transport=websocket"));
    }
    // Opens the Socket.IO endpoint, checks the open packet and connects with the token.
    std::unique_ptr<TestClient> socketIoConnected(const QByteArray &token);
    // Runs fn in the server thread and waits for its value.
    template<typename R>
    std::optional<R> callSync(std::function<R(ServerWorker &)> fn)
    {
        auto out = std::make_shared<std::optional<R>>();
        m_server->host()->call<R>(this, std::move(fn), [out](const R &r) { *out = r; });
        QDeadlineTimer deadline(3000);
        while (!*out && !deadline.hasExpired())
            QTest::qWait(5);
        return *out;
    }

    std::unique_ptr<ServerFixture> m_server;
};

void tst_Server::init()
{
    m_server = std::make_unique<ServerFixture>();
}

void tst_Server::cleanup()
{
    m_server.reset();
}

ServerConfig tst_Server::fastConfig(qint64 idleMs, qint64 warningMs) const
{
    ServerConfig c = m_server->defaultConfig();
    c.idleTimeoutMs = idleMs;
    c.warningMs = warningMs;
    return c;
}

std::unique_ptr<TestClient> tst_Server::loggedIn(const QByteArray &token)
{
    return TestClient::loggedIn(m_server->url(), token);
}

std::unique_ptr<TestClient> tst_Server::socketIoConnected(const QByteArray &token)
{
    auto c = std::make_unique<TestClient>();
    if (!c->open(socketIoUrl()) || c->waitForRaw(QStringLiteral("0{")) != 0)
        return nullptr;
    c->sendRaw(QStringLiteral(R"(40{"token":"%1"})").arg(QString::fromLatin1(token)));
    if (c->waitForRaw(QStringLiteral("40{")) < 0)
        return nullptr;
    const int i = c->waitForEvent(QStringLiteral("message"));
    if (i < 0 || c->frames().at(i).data.toObject().value(QStringLiteral("code")).toInt() != 200)
        return nullptr;
    return c;
}

QByteArray tst_Server::httpGet(const QByteArray &request)
{
    QTcpSocket s;
    s.connectToHost(QHostAddress::LocalHost, m_server->port());
    if (!s.waitForConnected(3000))
        return {};
    s.write(request);
    QByteArray reply;
    QSignalSpy closed(&s, &QTcpSocket::disconnected);
    while (s.state() == QAbstractSocket::ConnectedState
           && (s.waitForReadyRead(3000) || s.bytesAvailable()))
        reply += s.readAll();
    reply += s.readAll();
    return reply;
}

void tst_Server::loginWithSeedAndLoginForms_data()
{
    QTest::addColumn<QString>("frameTemplate");
    QTest::addRow("seed loginCheck") << R"(["loginCheck",{"holding":"%1"}])";
    QTest::addRow("seed with 42 prefix") << R"(42["loginCheck",{"holding":"%1"}])";
    QTest::addRow("login event") << R"(["login",{"token":"%1"}])";
}

void tst_Server::loginWithSeedAndLoginForms()
{
    QFETCH(QString, frameTemplate);
    QVERIFY(m_server->start(m_server->defaultConfig()));
    TestClient c;
    QVERIFY(c.open(m_server->url(QStringLiteral("/ws"))));
    c.sendRaw(frameTemplate.arg(
        QString::fromLatin1(m_server->token(QStringLiteral("alice"), QStringLiteral("s1")))));
    QVERIFY(c.waitForEvent(QStringLiteral("message")) >= 0);
    const TestClient::Frame f = c.frames().first();
    QVERIFY(f.raw.startsWith(QLatin1String("42[\"message\",")));
    QCOMPARE(f.data.toObject().value(QStringLiteral("code")).toInt(), 200);
    QCOMPARE(f.data.toObject().value(QStringLiteral("message")).toString(),
             QStringLiteral("success"));
    QCOMPARE(f.data.toObject().value(QStringLiteral("session_id")).toString(),
             QStringLiteral("s1"));
    QVERIFY(m_server->waitForEvent(ServerEvent::Type::Authenticated));
    QCOMPARE(m_server->eventsOf(ServerEvent::Type::Authenticated).first().user,
             QStringLiteral("alice"));
}

void tst_Server::repeatedLoginCheckIsSilentAndNotActivity()
{
    QVERIFY(m_server->start(fastConfig(1200, 300)));
    const QByteArray token = m_server->token(QStringLiteral("alice"));
    auto c = loggedIn(token);
    QVERIFY(c);
    QElapsedTimer t;
    t.start();
    // The seed polls every 50 ms; none of it may be answered or keep the session alive.
    QTimer poll;
    poll.setInterval(50);
    connect(&poll, &QTimer::timeout, c.get(), [&c, token] { c->loginCheck(token); });
    poll.start();
    QVERIFY(c->waitForEvent(QStringLiteral("expiring"), 5000) >= 0);
    QVERIFY(c->waitForDisconnected(5000));
    poll.stop();
    const qint64 elapsed = t.elapsed();
    QCOMPARE(c->closeCode(), int(CloseCode::IdleTimeout));
    QVERIFY2(elapsed >= 1100 && elapsed < 2500, qPrintable(QString::number(elapsed)));
    QCOMPARE(c->framesOf(QStringLiteral("message")).size(), 2); // success + the logout
    QCOMPARE(c->framesOf(QStringLiteral("message"))
                 .last()
                 .data.toObject()
                 .value(QStringLiteral("reason"))
                 .toString(),
             QStringLiteral("idle_timeout"));
}

void tst_Server::anotherTokenOnALoggedInConnectionIs409()
{
    // The same token again is silence; any other token (another user, or the same user with
    // another session) is 409 already_logged_in, and the connection stays as it was.
    QVERIFY(m_server->start(m_server->defaultConfig()));
    const QByteArray token = m_server->token(QStringLiteral("alice"));
    auto c = loggedIn(token);
    QVERIFY(c);
    c->loginCheck(token);
    QVERIFY(c->roundTrip());
    QCOMPARE(c->framesOf(QStringLiteral("message")).size(), 1); // the login's success only
    qsizetype answers = 1;
    for (const QByteArray &other :
         {m_server->token(QStringLiteral("bob")),
          m_server->token(QStringLiteral("alice"), QStringLiteral("another-session"))}) {
        QVERIFY(other != token);
        c->loginCheck(other);
        ++answers;
        QTRY_COMPARE(c->framesOf(QStringLiteral("message")).size(), answers);
        const QJsonObject answer = c->framesOf(QStringLiteral("message")).last().data.toObject();
        QCOMPARE(answer.value(QStringLiteral("code")).toInt(), 409);
        QCOMPARE(answer.value(QStringLiteral("reason")).toString(),
                 QStringLiteral("already_logged_in"));
        c->loginCheck(token);
        QVERIFY(c->roundTrip());
        QCOMPARE(c->framesOf(QStringLiteral("message")).size(), answers);
        QVERIFY(c->isConnected());
    }
}

void tst_Server::loginEventsCarryTheirDetails()
{
    // connected: path and endpoint; authenticated: new_session, tabs, and name when the token has
    // one. Built once and reused while they repeat: each event must still carry its own values.
    QVERIFY(m_server->start(m_server->defaultConfig()));
    const QByteArray alice = m_server->token(QStringLiteral("alice"), QStringLiteral("s1"));
    const QByteArray named
        = Jwt::sign(QByteArrayLiteral(R"({"sub":"carol","sid":"s2","name":"Carol \u5f20"})"),
                    ServerFixture::secret());
    std::vector<std::unique_ptr<TestClient>> clients;
    for (const QByteArray &token : {alice, alice, alice, named, named}) {
        clients.push_back(loggedIn(token));
        QVERIFY(clients.back());
    }
    QTRY_COMPARE(m_server->eventsOf(ServerEvent::Type::Authenticated).size(), qsizetype(5));
    const ServerEventList auth = m_server->eventsOf(ServerEvent::Type::Authenticated);
    const QList<std::tuple<bool, int, QString>> expected{
        {true, 1, QString()},
        {false, 2, QString()},
        {false, 3, QString()},
        {true, 1, QStringLiteral("Carol \u5f20")},
        {false, 2, QStringLiteral("Carol \u5f20")}};
    for (qsizetype i = 0; i < auth.size(); ++i) {
        const QJsonObject d = auth.at(i).details;
        QCOMPARE(d.value(QStringLiteral("new_session")).toBool(), std::get<0>(expected.at(i)));
        QCOMPARE(d.value(QStringLiteral("tabs")).toInt(), std::get<1>(expected.at(i)));
        QCOMPARE(d.value(QStringLiteral("name")).toString(), std::get<2>(expected.at(i)));
        QCOMPARE(d.contains(QStringLiteral("name")), !std::get<2>(expected.at(i)).isEmpty());
    }
    const ServerEventList connected = m_server->eventsOf(ServerEvent::Type::Connected);
    QCOMPARE(connected.size(), qsizetype(5));
    for (const ServerEvent &e : connected) {
        QCOMPARE(e.details.value(QStringLiteral("path")).toString(), QStringLiteral("/"));
        QCOMPARE(e.details.value(QStringLiteral("endpoint")).toString(), QStringLiteral("raw"));
    }
}

void tst_Server::missingTokenGets422AndStays()
{
    QVERIFY(m_server->start(m_server->defaultConfig()));
    TestClient c;
    QVERIFY(c.open(m_server->url()));
    c.sendEvent(QStringLiteral("loginCheck"), QJsonObject{});
    QVERIFY(c.waitForEvent(QStringLiteral("message")) >= 0);
    QCOMPARE(c.firstData(QStringLiteral("message")).value(QStringLiteral("code")).toInt(), 422);
    QVERIFY(c.roundTrip());
    QVERIFY(c.isConnected());
    // and can still log in afterwards
    c.loginCheck(m_server->token(QStringLiteral("bob")));
    QVERIFY(c.waitForEvent(QStringLiteral("message"), 5000, 1) >= 0);
    QCOMPARE(c.firstData(QStringLiteral("message"), 1).value(QStringLiteral("code")).toInt(), 200);
}

void tst_Server::invalidTokenIsRefused_data()
{
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<QString>("detail");
    const QByteArray good = Jwt::mint(ServerFixture::secret(), QStringLiteral("alice"));
    QTest::addRow("forged") << Jwt::mint(QByteArrayLiteral("another-secret-0123456789"),
                                         QStringLiteral("alice"))
                            << "bad_signature";
    QTest::addRow("garbage") << QByteArray("not.a.jwt") << "malformed";
    QTest::addRow("expired") << Jwt::mint(ServerFixture::secret(), QStringLiteral("alice"), {},
                                          QDateTime::currentSecsSinceEpoch() - 10)
                             << "expired";
    const QByteArray none
        = QByteArray(R"({"alg":"none"})")
              .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals)
          + '.' + good.split('.').at(1) + '.';
    QTest::addRow("alg none") << none << "unsupported_alg";
}

void tst_Server::invalidTokenIsRefused()
{
    QFETCH(QByteArray, token);
    QFETCH(QString, detail);
    QVERIFY(m_server->start(m_server->defaultConfig()));
    TestClient c;
    QVERIFY(c.open(m_server->url()));
    c.loginCheck(token);
    QVERIFY(c.waitForDisconnected());
    const QJsonObject m = c.firstData(QStringLiteral("message"));
    QCOMPARE(m.value(QStringLiteral("code")).toInt(), 401);
    QCOMPARE(m.value(QStringLiteral("reason")).toString(), QStringLiteral("invalid_token"));
    QCOMPARE(m.value(QStringLiteral("detail")).toString(), detail);
    QCOMPARE(c.closeCode(), int(CloseCode::InvalidToken));
    QVERIFY(m_server->waitForEvent(ServerEvent::Type::AuthFailed));
}

void tst_Server::warningThenIdleExpiry()
{
    QVERIFY(m_server->start(fastConfig(1000, 500)));
    QElapsedTimer t;
    t.start();
    auto c = loggedIn(m_server->token(QStringLiteral("alice"), QStringLiteral("sx")));
    QVERIFY(c);
    const int w = c->waitForEvent(QStringLiteral("expiring"), 3000);
    QVERIFY(w >= 0);
    const qint64 warnedAt = t.elapsed();
    QVERIFY2(warnedAt >= 450 && warnedAt < 900, qPrintable(QString::number(warnedAt)));
    QCOMPARE(c->frames().at(w).data.toObject().value(QStringLiteral("seconds")).toInt(), 1);
    QVERIFY(c->waitForDisconnected(3000));
    const qint64 closedAt = t.elapsed();
    QVERIFY2(closedAt >= 950 && closedAt < 1600, qPrintable(QString::number(closedAt)));
    const QJsonObject m = c->framesOf(QStringLiteral("message")).last().data.toObject();
    QCOMPARE(m.value(QStringLiteral("code")).toInt(), 401);
    QCOMPARE(m.value(QStringLiteral("reason")).toString(), QStringLiteral("idle_timeout"));
    QVERIFY(!m.value(QStringLiteral("message")).toString().isEmpty());
    QCOMPARE(c->closeCode(), int(CloseCode::IdleTimeout));
    QCOMPARE(c->closeReason(), QStringLiteral("idle_timeout"));
    QVERIFY(m_server->waitForEvent(ServerEvent::Type::Expired));
    const ServerEvent e = m_server->eventsOf(ServerEvent::Type::Expired).first();
    QCOMPARE(e.sessionId, QStringLiteral("sx"));
    QVERIFY(e.details.value(QStringLiteral("lateness_ms")).toDouble() < 200);
}

void tst_Server::activityInOneTabKeepsTheOtherAlive()
{
    QVERIFY(m_server->start(fastConfig(800, 300)));
    const QByteArray token = m_server->token(QStringLiteral("alice"), QStringLiteral("shared"));
    auto a = loggedIn(token);
    auto b = loggedIn(token);
    QVERIFY(a && b);
    int sent = 0;
    QTimer activity;
    activity.setInterval(200);
    connect(&activity, &QTimer::timeout, a.get(), [&] {
        a->sendEvent(QStringLiteral("activity"));
        ++sent;
    });
    activity.start();
    // Two idle timeouts' worth of activity in tab A.
    QTRY_VERIFY_WITH_TIMEOUT(sent >= 9, 5000);
    activity.stop();
    QVERIFY(b->isConnected());
    QVERIFY(b->roundTrip());
    QCOMPARE(b->framesOf(QStringLiteral("message")).size(), 1); // only the login success
    // Now idle: both tabs are logged out together.
    QVERIFY(a->waitForDisconnected(3000));
    QVERIFY(b->waitForDisconnected(3000));
    QCOMPARE(a->closeCode(), int(CloseCode::IdleTimeout));
    QCOMPARE(b->closeCode(), int(CloseCode::IdleTimeout));
    QVERIFY(m_server->waitForEvent(ServerEvent::Type::Expired));
    QVERIFY(m_server->waitForEvent(ServerEvent::Type::Disconnected, 2));
    QCOMPARE(m_server->eventsOf(ServerEvent::Type::Expired).size(), 1);
}

void tst_Server::reconnectIsNotActivity()
{
    QVERIFY(m_server->start(fastConfig(1000, 200)));
    const QByteArray token = m_server->token(QStringLiteral("alice"), QStringLiteral("rc"));
    QElapsedTimer t;
    t.start();
    auto first = loggedIn(token);
    QVERIFY(first);
    // A reconnect loop: new tabs keep logging in to the same session.
    std::vector<std::unique_ptr<TestClient>> tabs;
    QTimer again;
    again.setInterval(150);
    connect(&again, &QTimer::timeout, this, [&] {
        auto c = std::make_unique<TestClient>();
        if (c->open(m_server->url())) {
            c->loginCheck(token);
            tabs.push_back(std::move(c));
        }
    });
    again.start();
    QVERIFY(first->waitForDisconnected(4000));
    again.stop();
    QVERIFY2(t.elapsed() < 1600, qPrintable(QString::number(t.elapsed())));
    QCOMPARE(first->closeCode(), int(CloseCode::IdleTimeout));
}

void tst_Server::logoutClosesEveryTab()
{
    QVERIFY(m_server->start(m_server->defaultConfig()));
    const QByteArray token = m_server->token(QStringLiteral("alice"), QStringLiteral("lo"));
    auto a = loggedIn(token);
    auto b = loggedIn(token);
    auto other = loggedIn(m_server->token(QStringLiteral("alice"), QStringLiteral("other")));
    QVERIFY(a && b && other);
    a->sendEvent(QStringLiteral("logout"));
    QVERIFY(a->waitForDisconnected());
    QVERIFY(b->waitForDisconnected());
    for (TestClient *c : {a.get(), b.get()}) {
        QCOMPARE(c->closeCode(), int(CloseCode::LoggedOut));
        const QJsonObject m = c->framesOf(QStringLiteral("message")).last().data.toObject();
        QCOMPARE(m.value(QStringLiteral("code")).toInt(), 401);
        QCOMPARE(m.value(QStringLiteral("reason")).toString(), QStringLiteral("logged_out"));
    }
    QVERIFY(other->roundTrip());
    QVERIFY(other->isConnected());
    // The token is dead now.
    TestClient again;
    QVERIFY(again.open(m_server->url()));
    again.loginCheck(token);
    QVERIFY(again.waitForDisconnected());
    QCOMPARE(again.closeCode(), int(CloseCode::LoggedOut));
}

void tst_Server::refusedAfterExpiry()
{
    QVERIFY(m_server->start(fastConfig(300, 100)));
    const QByteArray token = m_server->token(QStringLiteral("alice"), QStringLiteral("dead"));
    auto c = loggedIn(token);
    QVERIFY(c);
    QVERIFY(c->waitForDisconnected(3000));
    QCOMPARE(c->closeCode(), int(CloseCode::IdleTimeout));
    TestClient again;
    QVERIFY(again.open(m_server->url()));
    again.loginCheck(token);
    QVERIFY(again.waitForDisconnected());
    QCOMPARE(again.firstData(QStringLiteral("message")).value(QStringLiteral("code")).toInt(), 401);
    QCOMPARE(again.firstData(QStringLiteral("message")).value(QStringLiteral("reason")).toString(),
             QStringLiteral("idle_timeout"));
    QCOMPARE(again.closeCode(), int(CloseCode::IdleTimeout));
    QVERIFY(m_server->eventsOf(ServerEvent::Type::Authenticated).size() == 1);
}

void tst_Server::operatorKickEndsSessionAndRefusesToken()
{
    QVERIFY(m_server->start(m_server->defaultConfig()));
    const QByteArray token = m_server->token(QStringLiteral("mallory"), QStringLiteral("k1"));
    auto a = loggedIn(token);
    auto b = loggedIn(token);
    QVERIFY(a && b);
    m_server->host()->forceLogout(QStringLiteral("k1"), QStringLiteral("suspicious"),
                                  QStringLiteral("ops"));
    QVERIFY(a->waitForDisconnected());
    QVERIFY(b->waitForDisconnected());
    QCOMPARE(a->closeCode(), int(CloseCode::Kicked));
    QCOMPARE(a->framesOf(QStringLiteral("message"))
                 .last()
                 .data.toObject()
                 .value(QStringLiteral("reason"))
                 .toString(),
             QStringLiteral("kicked"));
    QVERIFY(m_server->waitForEvent(ServerEvent::Type::Kicked));
    const ServerEvent k = m_server->eventsOf(ServerEvent::Type::Kicked).first();
    QCOMPARE(k.details.value(QStringLiteral("actor")).toString(), QStringLiteral("ops"));
    QCOMPARE(k.details.value(QStringLiteral("reason")).toString(), QStringLiteral("suspicious"));
    QCOMPARE(k.details.value(QStringLiteral("connections")).toInt(), 2);
    TestClient again;
    QVERIFY(again.open(m_server->url()));
    again.loginCheck(token);
    QVERIFY(again.waitForDisconnected());
    QCOMPARE(again.closeCode(), int(CloseCode::Kicked));
}

void tst_Server::operatorDisconnectLetsClientBackIn()
{
    QVERIFY(m_server->start(m_server->defaultConfig()));
    const QByteArray token = m_server->token(QStringLiteral("alice"), QStringLiteral("d1"));
    auto a = loggedIn(token);
    QVERIFY(a);
    QVERIFY(m_server->waitForEvent(ServerEvent::Type::Authenticated));
    const ConnectionId id
        = m_server->eventsOf(ServerEvent::Type::Authenticated).first().connectionId;
    m_server->host()->disconnectConnection(id, QStringLiteral("test"), QStringLiteral("ops"));
    QVERIFY(a->waitForDisconnected());
    QCOMPARE(a->closeCode(), int(CloseCode::Disconnected));
    QVERIFY(CloseCode::mayReconnect(a->closeCode()));
    auto back = loggedIn(token);
    QVERIFY(back);
    QVERIFY(m_server->waitForEvent(ServerEvent::Type::Audit));
}

void tst_Server::hardEndFromExpClaim()
{
    QVERIFY(m_server->start(fastConfig(60000, 500)));
    const qint64 exp = QDateTime::currentSecsSinceEpoch() + 2;
    auto c = loggedIn(m_server->token(QStringLiteral("alice"), QStringLiteral("hard"), exp));
    QVERIFY(c);
    QVERIFY(c->waitForEvent(QStringLiteral("expiring"), 4000) >= 0);
    QVERIFY(c->waitForDisconnected(4000));
    QCOMPARE(c->closeCode(), int(CloseCode::SessionExpired));
    QCOMPARE(c->framesOf(QStringLiteral("message"))
                 .last()
                 .data.toObject()
                 .value(QStringLiteral("reason"))
                 .toString(),
             QStringLiteral("session_expired"));
    QVERIFY(QDateTime::currentMSecsSinceEpoch() >= exp * 1000);
}

void tst_Server::massExpiryPushesBeforeEveryClose()
{
    // 150 sessions with two tabs each, one shared exp: every tab must get its 401 push, and get
    // it before the close frame (a QWebSocket delivers nothing after the close frame, so a
    // push that came after it, or never, is missing from the frames).
    QVERIFY(m_server->start(fastConfig(600000, 500)));
    const int sessions = 150;
    const qint64 exp = QDateTime::currentSecsSinceEpoch() + 5;
    std::vector<std::unique_ptr<TestClient>> tabs;
    for (int i = 0; i < sessions; ++i) {
        const QByteArray token = m_server->token(QStringLiteral("user%1").arg(i),
                                                 QStringLiteral("mass%1").arg(i), exp);
        for (int tab = 0; tab < 2; ++tab) {
            tabs.push_back(loggedIn(token));
            QVERIFY(tabs.back());
        }
    }
    QVERIFY2(QDateTime::currentMSecsSinceEpoch() < exp * 1000 - 200,
             "logging in took too long for the shared deadline");
    for (const auto &c : tabs)
        QVERIFY(c->waitForDisconnected(10000));
    for (const auto &c : tabs) {
        QCOMPARE(c->closeCode(), int(CloseCode::SessionExpired));
        const QList<TestClient::Frame> messages = c->framesOf(QStringLiteral("message"));
        QVERIFY(!messages.isEmpty());
        const QJsonObject m = messages.last().data.toObject();
        QCOMPARE(m.value(QStringLiteral("code")).toInt(), 401);
        QCOMPARE(m.value(QStringLiteral("reason")).toString(), QStringLiteral("session_expired"));
        QVERIFY(QDateTime::currentMSecsSinceEpoch() >= exp * 1000);
    }
    QTRY_COMPARE(m_server->eventsOf(ServerEvent::Type::Expired).size(), sessions);
}

void tst_Server::closedConnectionsFreeTheirSockets()
{
    // HttpFrontend takes upgraded sockets away from QWebSocketServer's disconnect handler (an
    // O(connections) walk per close) and frees them itself, and a native connection frees
    // itself too: none may be left behind, whether the client or the server closes.
    QVERIFY(m_server->start(m_server->defaultConfig()));
    const auto sockets = [this] {
        return callSync<int>([](ServerWorker &w) {
                   qsizetype n = w.findChildren<NativeWebSocket *>().size();
                   if (w.ioThreads()) // the stand-ins and what the I/O threads hold
                       n += w.ioThreads()->socketsAlive() + openOnIoThreads(w);
                   if (w.frontend())
                       n += w.frontend()->findChildren<QTcpSocket *>().size();
                   return int(n);
               })
            .value_or(-1);
    };
    const int base = sockets();
    QVERIFY(base >= 0);
    // On I/O threads a connection is its stand-in here and its socket there.
    const int perConnection
        = callSync<int>([](ServerWorker &w) { return w.ioThreads() ? 2 : 1; }).value_or(-1);
    std::vector<std::unique_ptr<TestClient>> clients;
    for (int i = 0; i < 20; ++i) {
        clients.push_back(loggedIn(
            m_server->token(QStringLiteral("u%1").arg(i), QStringLiteral("free%1").arg(i))));
        QVERIFY(clients.back());
    }
    QCOMPARE(sockets(), base + 20 * perConnection);
    // Half close themselves, half are logged out by the server.
    for (int i = 0; i < 10; ++i)
        clients[size_t(i)].reset();
    for (int i = 10; i < 20; ++i)
        clients[size_t(i)]->sendEvent(QStringLiteral("logout"));
    for (int i = 10; i < 20; ++i)
        QVERIFY(clients[size_t(i)]->waitForDisconnected());
    QTRY_COMPARE(sockets(), base);
}

void tst_Server::newTabInsideWarningWindowIsWarned()
{
    QVERIFY(m_server->start(fastConfig(1500, 1000)));
    const QByteArray token = m_server->token(QStringLiteral("alice"), QStringLiteral("w"));
    auto a = loggedIn(token);
    QVERIFY(a);
    QVERIFY(a->waitForEvent(QStringLiteral("expiring"), 3000) >= 0);
    auto b = loggedIn(token);
    QVERIFY(b);
    QVERIFY(b->waitForEvent(QStringLiteral("expiring"), 1000) >= 0);
    // Activity withdraws the warning on every tab.
    b->sendEvent(QStringLiteral("activity"));
    QVERIFY(a->waitForEvent(QStringLiteral("extended"), 2000) >= 0);
    QVERIFY(b->waitForEvent(QStringLiteral("extended"), 2000) >= 0);
}

void tst_Server::badInputKeepsConnection_data()
{
    QTest::addColumn<QString>("frame");
    QTest::addRow("not json") << "hello";
    QTest::addRow("truncated") << R"(["activity",{)";
    QTest::addRow("object") << R"({"a":1})";
    QTest::addRow("number name") << "[1]";
    QTest::addRow("empty") << "";
    QTest::addRow("unknown event") << R"(["launchMissiles",{}])";
}

void tst_Server::badInputKeepsConnection()
{
    QFETCH(QString, frame);
    QVERIFY(m_server->start(m_server->defaultConfig()));
    auto c = loggedIn(m_server->token(QStringLiteral("alice")));
    QVERIFY(c);
    c->sendRaw(frame);
    const int i = c->waitForEvent(QStringLiteral("error"));
    QVERIFY(i >= 0);
    QCOMPARE(c->frames().at(i).data.toObject().value(QStringLiteral("code")).toInt(), 400);
    QVERIFY(
        !c->frames().at(i).data.toObject().value(QStringLiteral("message")).toString().isEmpty());
    QVERIFY(c->roundTrip());
    QVERIFY(c->isConnected());
}

void tst_Server::eventsBeforeLoginAreRefused()
{
    QVERIFY(m_server->start(m_server->defaultConfig()));
    TestClient c;
    QVERIFY(c.open(m_server->url()));
    c.sendEvent(QStringLiteral("activity"));
    QVERIFY(c.waitForEvent(QStringLiteral("message")) >= 0);
    QCOMPARE(c.firstData(QStringLiteral("message")).value(QStringLiteral("code")).toInt(), 401);
    QCOMPARE(c.firstData(QStringLiteral("message")).value(QStringLiteral("reason")).toString(),
             QStringLiteral("login_required"));
    QVERIFY(c.roundTrip());
}

void tst_Server::binaryFrameCloses1003()
{
    QVERIFY(m_server->start(m_server->defaultConfig()));
    auto c = loggedIn(m_server->token(QStringLiteral("alice")));
    QVERIFY(c);
    c->sendBinary(QByteArray("\x01\x02", 2));
    QVERIFY(c->waitForDisconnected());
    QCOMPARE(c->closeCode(), 1003);
    // The server is still fine.
    QVERIFY(loggedIn(m_server->token(QStringLiteral("bob"))));
}

void tst_Server::oversizedMessageCloses1009()
{
    ServerConfig cfg = m_server->defaultConfig();
    cfg.maxMessageBytes = 1024;
    QVERIFY(m_server->start(cfg));
    auto c = loggedIn(m_server->token(QStringLiteral("alice")));
    QVERIFY(c);
    c->sendEvent(QStringLiteral("activity"),
                 QJsonObject{{QStringLiteral("pad"), QString(4000, QLatin1Char('x'))}});
    QVERIFY(c->waitForDisconnected());
    QCOMPARE(c->closeCode(), 1009);
    QVERIFY(loggedIn(m_server->token(QStringLiteral("bob"))));
}

// A protocol violation on the protocol endpoint: close 1002 with a reason, a `rejected` event
// with status and reason, and `disconnected` with the code (either transport).
void tst_Server::unmaskedFrameIsLoggedAsRejected()
{
    QVERIFY(m_server->start(m_server->defaultConfig()));
    QTcpSocket s;
    QByteArray in;
    connect(&s, &QTcpSocket::readyRead, &s, [&] { in += s.readAll(); });
    s.connectToHost(QHostAddress::LocalHost, m_server->port());
    QVERIFY(s.waitForConnected(5000));
    s.write("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
    QTRY_VERIFY(in.contains("\r\n\r\n"));
    QVERIFY2(in.startsWith("HTTP/1.1 101"), in.constData());
    QVERIFY(m_server->waitForEvent(ServerEvent::Type::Connected));
    in.clear();
    s.write(QByteArray::fromHex("8102") + "hi"); // unmasked text frame
    QTRY_VERIFY(in.size() >= 4);
    QCOMPARE(uchar(in.at(0)), uchar(0x88));
    QCOMPARE((uchar(in.at(2)) << 8) | uchar(in.at(3)), 1002);
    QVERIFY(in.contains("client frames must be masked"));
    QVERIFY(m_server->waitForEvent(ServerEvent::Type::Rejected));
    const ServerEvent r = m_server->eventsOf(ServerEvent::Type::Rejected).constLast();
    QCOMPARE(r.details.value(QStringLiteral("status")).toInt(), 1002);
    QCOMPARE(r.details.value(QStringLiteral("reason")).toString(),
             QStringLiteral("client frames must be masked"));
    s.abort();
    QVERIFY(m_server->waitForEvent(ServerEvent::Type::Disconnected));
    const ServerEvent d = m_server->eventsOf(ServerEvent::Type::Disconnected).constLast();
    QCOMPARE(d.details.value(QStringLiteral("code")).toInt(), 1002);
}

void tst_Server::loginTimeoutCloses4504()
{
    ServerConfig cfg = m_server->defaultConfig();
    cfg.loginTimeoutMs = 300;
    QVERIFY(m_server->start(cfg));
    TestClient c;
    QElapsedTimer t;
    t.start();
    QVERIFY(c.open(m_server->url()));
    QVERIFY(c.waitForDisconnected(3000));
    QVERIFY(t.elapsed() >= 250);
    QCOMPARE(c.closeCode(), int(CloseCode::LoginTimeout));
    QCOMPARE(c.firstData(QStringLiteral("message")).value(QStringLiteral("reason")).toString(),
             QStringLiteral("login_timeout"));
}

void tst_Server::engineIoPingIsAnsweredButNotActivity()
{
    QVERIFY(m_server->start(fastConfig(800, 200)));
    auto c = loggedIn(m_server->token(QStringLiteral("alice")));
    QVERIFY(c);
    QElapsedTimer t;
    t.start();
    QTimer ping;
    ping.setInterval(100);
    connect(&ping, &QTimer::timeout, c.get(), [&c] { c->sendRaw(QStringLiteral("2")); });
    ping.start();
    QVERIFY(c->waitForDisconnected(3000));
    QVERIFY2(t.elapsed() < 1300, qPrintable(QString::number(t.elapsed())));
    bool sawPong = false;
    for (const auto &f : c->frames())
        sawPong = sawPong || f.raw == QLatin1String("3");
    QVERIFY(sawPong);
}

void tst_Server::reloadRecomputesDeadlinesWithoutDropping()
{
    QVERIFY(m_server->start(fastConfig(60000, 1000)));
    auto c = loggedIn(m_server->token(QStringLiteral("alice")));
    QVERIFY(c);
    QSignalSpy reloaded(m_server->host(), &ServerHost::reloaded);
    ServerConfig shorter = fastConfig(1500, 500);
    shorter.listenPort = m_server->port();
    QElapsedTimer t;
    t.start();
    m_server->host()->reload(shorter, QStringLiteral("test"));
    QVERIFY(reloaded.wait());
    QVERIFY(reloaded.first().at(0).toBool());
    const QStringList changed = reloaded.first().at(1).toStringList();
    QVERIFY(changed.contains(QStringLiteral("session/idle_timeout")));
    QVERIFY(changed.contains(QStringLiteral("session/warning")));
    QVERIFY(!changed.contains(QStringLiteral("server/listen")));
    QVERIFY(c->isConnected());
    // The deadline now follows the new timeout, counted from the login (last activity).
    QVERIFY(c->waitForDisconnected(3000));
    QCOMPARE(c->closeCode(), int(CloseCode::IdleTimeout));
    QVERIFY2(t.elapsed() < 1600, qPrintable(QString::number(t.elapsed())));
}

void tst_Server::reloadListenAddressKeepsClients()
{
    QVERIFY(m_server->start(m_server->defaultConfig()));
    auto c = loggedIn(m_server->token(QStringLiteral("alice")));
    QVERIFY(c);
    const quint16 oldPort = m_server->port();
    QSignalSpy reloaded(m_server->host(), &ServerHost::reloaded);
    ServerConfig moved = m_server->defaultConfig();
    moved.listenAddress = QHostAddress(QStringLiteral("127.0.0.2"));
    moved.listenPort = 0;
    m_server->host()->reload(moved, QStringLiteral("test"));
    QVERIFY(reloaded.wait());
    QVERIFY2(reloaded.first().at(0).toBool(), qPrintable(reloaded.first().at(2).toString()));
    QVERIFY(reloaded.first().at(1).toStringList().contains(QStringLiteral("server/listen")));
    QVERIFY(c->roundTrip());
    QVERIFY(c->isConnected());
    QTcpSocket probe;
    probe.connectToHost(QHostAddress::LocalHost, oldPort);
    QVERIFY(!probe.waitForConnected(1000) || probe.state() != QAbstractSocket::ConnectedState);
}

void tst_Server::reloadWithBusyAddressKeepsOldListener()
{
    QVERIFY(m_server->start(m_server->defaultConfig()));
    QTcpServer squatter;
    QVERIFY(squatter.listen(QHostAddress::LocalHost, 0));
    QSignalSpy reloaded(m_server->host(), &ServerHost::reloaded);
    ServerConfig busy = m_server->defaultConfig();
    busy.listenPort = squatter.serverPort();
    m_server->host()->reload(busy, QStringLiteral("test"));
    QVERIFY(reloaded.wait());
    QVERIFY(!reloaded.first().at(0).toBool());
    QVERIFY(reloaded.first().at(2).toString().contains(QLatin1String("server/listen")));
    QVERIFY(m_server->waitForEvent(ServerEvent::Type::ReloadFailed));
    QVERIFY(loggedIn(m_server->token(QStringLiteral("alice")))); // old port still serves
}

void tst_Server::plainHttp_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<int>("status");
    QTest::addRow("healthz") << QByteArray("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n") << 200;
    QTest::addRow("unknown path") << QByteArray("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n") << 404;
    QTest::addRow("garbage") << QByteArray("\x16\x03\x01 hello\r\n\r\n") << 400;
    QTest::addRow("bare LF") << QByteArray("GET / HTTP/1.1\nHost: x\n\n\r\n\r\n") << 400;
    QTest::addRow("huge head") << QByteArray("GET / HTTP/1.1\r\nX: " + QByteArray(20000, 'a')
                                             + "\r\n\r\n")
                               << 431;
    QTest::addRow("warden.js") << QByteArray("GET /warden.js HTTP/1.1\r\nHost: x\r\n\r\n") << 200;
    QTest::addRow("demo") << QByteArray("GET /demo HTTP/1.1\r\nHost: x\r\n\r\n") << 200;
    QTest::addRow("demo token by GET")
        << QByteArray("GET /demo/token HTTP/1.1\r\nHost: x\r\n\r\n") << 405;
    QTest::addRow("demo token bad json")
        << QByteArray("POST /demo/token HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        << 400;
    QTest::addRow("demo token no user")
        << QByteArray("POST /demo/token HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}") << 400;
    QTest::addRow("demo token empty body")
        << QByteArray("POST /demo/token HTTP/1.1\r\nHost: x\r\n\r\n") << 400;
    QTest::addRow("body too large")
        << QByteArray("POST /demo/token HTTP/1.1\r\nHost: x\r\nContent-Length: 99999\r\n\r\n")
        << 413;
    QTest::addRow("bad content length")
        << QByteArray("POST /demo/token HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n") << 400;
    QTest::addRow("chunked") << QByteArray(
        "POST /demo/token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
                             << 411;
    QTest::addRow("socket.io polling")
        << QByteArray("GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n") << 400;
    QTest::addRow("socket.io no upgrade")
        << QByteArray("GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n\r\n")
        << 400;
    QTest::addRow("upgrade by POST") << QByteArray(
        "POST / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
                                     << 405;
}

void tst_Server::plainHttp()
{
    QFETCH(QByteArray, request);
    QFETCH(int, status);
    QVERIFY(m_server->start(m_server->defaultConfig()));
    const QByteArray reply = httpGet(request);
    const QByteArray expected = QByteArray("HTTP/1.1 ") + QByteArray::number(status) + " ";
    QVERIFY2(reply.startsWith(expected), reply.left(80).constData());
    QVERIFY(loggedIn(m_server->token(QStringLiteral("alice"))));
}

void tst_Server::slowHandshakeIsCutOff()
{
    ServerConfig cfg = m_server->defaultConfig();
    cfg.handshakeTimeoutMs = 300;
    QVERIFY(m_server->start(cfg));
    QTcpSocket slow;
    slow.connectToHost(QHostAddress::LocalHost, m_server->port());
    QVERIFY(slow.waitForConnected(3000));
    slow.write("GET / HTTP/1.1\r\nHost: x\r\n"); // never finished
    QSignalSpy gone(&slow, &QTcpSocket::disconnected);
    // Meanwhile others get in.
    QVERIFY(loggedIn(m_server->token(QStringLiteral("alice"))));
    QVERIFY(gone.wait(3000));
    QVERIFY(m_server->waitForEvent(ServerEvent::Type::Rejected));
}

void tst_Server::refusalsNamePeersAsEventsDo_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<int>("status");
    QTest::addRow("bad request") << QByteArray("garbage\r\n\r\n") << 400;
    QTest::addRow("head too slow") << QByteArray("GET / HTTP/1.1\r\n") << 408;
}

// A refused request names its peer as every other event does: [v6]:port, so that the log
// filters and the TCP monitor's keys match it.
void tst_Server::refusalsNamePeersAsEventsDo()
{
    QFETCH(QByteArray, request);
    QFETCH(int, status);
    ServerConfig cfg = m_server->defaultConfig();
    cfg.listenAddress = QHostAddress(QHostAddress::LocalHostIPv6);
    cfg.handshakeTimeoutMs = 300;
    if (!m_server->start(cfg))
        QSKIP("no IPv6 loopback");
    QTcpSocket s;
    s.connectToHost(QHostAddress::LocalHostIPv6, m_server->port());
    QVERIFY(s.waitForConnected(3000));
    const quint16 port = s.localPort(); // 0 once the server closed it
    s.write(request);
    QVERIFY(m_server->waitForEvent(ServerEvent::Type::Rejected));
    const ServerEvent r = m_server->eventsOf(ServerEvent::Type::Rejected).constLast();
    QCOMPARE(r.details.value(QStringLiteral("status")).toInt(), status);
    QCOMPARE(r.peer, QStringLiteral("[::1]:%1").arg(port));
}

void tst_Server::socketIoUpgradeChecks_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<int>("status");
    QTest::addRow("trailing slash") << QByteArray("/socket.io/?EIO=4&transport=websocket") << 101;
    QTest::addRow("no trailing slash") << QByteArray("/socket.io?EIO=4&transport=websocket") << 101;
    QTest::addRow("extra keys") << QByteArray("/socket.io/?EIO=4&transport=websocket&t=Nx1&b64=1")
                                << 101;
    QTest::addRow("keys reordered") << QByteArray("/socket.io/?transport=websocket&EIO=4") << 101;
    QTest::addRow("EIO 3") << QByteArray("/socket.io/?EIO=3&transport=websocket") << 400;
    QTest::addRow("EIO missing") << QByteArray("/socket.io/?transport=websocket") << 400;
    QTest::addRow("EIO garbage") << QByteArray("/socket.io/?EIO=x&transport=websocket") << 400;
    QTest::addRow("transport missing") << QByteArray("/socket.io/?EIO=4") << 400;
    QTest::addRow("transport polling") << QByteArray("/socket.io/?EIO=4&transport=polling") << 400;
    QTest::addRow("no query") << QByteArray("/socket.io/") << 400;
    QTest::addRow("sub path") << QByteArray("/socket.io/x?EIO=4&transport=websocket") << 404;
    QTest::addRow("raw path") << QByteArray("/anything") << 101;
}

void tst_Server::socketIoUpgradeChecks()
{
    QFETCH(QByteArray, target);
    QFETCH(int, status);
    QVERIFY(m_server->start(m_server->defaultConfig()));
    const QByteArray reply
        = httpGet("GET " + target
                  + " HTTP/1.1\r\nHost: x\r\n"
                    "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
    const QByteArray expected = QByteArray("HTTP/1.1 ") + QByteArray::number(status) + " ";
    QVERIFY2(reply.startsWith(expected), reply.left(200).constData());
}

void tst_Server::socketIoOpenConnectEventsAndAcks()
{
    ServerConfig cfg = m_server->defaultConfig();
    cfg.pingIntervalMs = 12345;
    cfg.pingTimeoutMs = 6789;
    QVERIFY(m_server->start(cfg));
    TestClient c;
    QVERIFY(c.open(socketIoUrl()));
    QCOMPARE(c.waitForRaw(QStringLiteral("0")), 0);
    const QJsonObject open = QJsonDocument::fromJson(c.frames().at(0).raw.mid(1).toUtf8()).object();
    QVERIFY(!open.value(QStringLiteral("sid")).toString().isEmpty());
    QCOMPARE(open.value(QStringLiteral("upgrades")).toArray(), QJsonArray());
    QCOMPARE(open.value(QStringLiteral("pingInterval")).toInt(), 12345);
    QCOMPARE(open.value(QStringLiteral("pingTimeout")).toInt(), 6789);
    QCOMPARE(open.value(QStringLiteral("maxPayload")).toInt(), int(cfg.maxMessageBytes));

    const QByteArray token = m_server->token(QStringLiteral("alice"), QStringLiteral("sio1"));
    c.sendRaw(QStringLiteral(R"(40{"token":"%1"})").arg(QString::fromLatin1(token)));
    const int connected = c.waitForRaw(QStringLiteral("40"));
    QCOMPARE(connected, 1);
    const QJsonObject sid = QJsonDocument::fromJson(c.frames().at(1).raw.mid(2).toUtf8()).object();
    QVERIFY(!sid.value(QStringLiteral("sid")).toString().isEmpty());
    const int ok = c.waitForEvent(QStringLiteral("message"));
    QVERIFY(ok > connected);
    QCOMPARE(c.frames().at(ok).data.toObject().value(QStringLiteral("code")).toInt(), 200);
    QVERIFY(m_server->waitForEvent(ServerEvent::Type::Authenticated));
    const auto conns
        = callSync<QList<ConnectionInfo>>([](ServerWorker &w) { return w.connections(); });
    QVERIFY(conns && conns->size() == 1);
    QCOMPARE(conns->first().endpoint, ConnectionInfo::Endpoint::SocketIo);
    QCOMPARE(m_server->eventsOf(ServerEvent::Type::Connected)
                 .first()
                 .details.value(QStringLiteral("endpoint"))
                 .toString(),
             QStringLiteral("socket.io"));

    // An event with an ack id is answered 43<id>[...] with the session's deadline.
    int from = int(c.frames().size());
    c.sendRaw(QStringLiteral(R"(4217["activity",{}])"));
    int a = c.waitForRaw(QStringLiteral("4317["), 3000, from);
    QVERIFY(a >= 0);
    const QJsonObject ack
        = QJsonDocument::fromJson(c.frames().at(a).raw.mid(4).toUtf8()).array().at(0).toObject();
    QCOMPARE(ack.value(QStringLiteral("ok")).toBool(), true);
    QCOMPARE(ack.value(QStringLiteral("session_id")).toString(), QStringLiteral("sio1"));
    QVERIFY(ack.value(QStringLiteral("deadline")).toDouble() > 0);
    // Unknown events with an ack are answered by the ack; without one, by an error event.
    from = int(c.frames().size());
    c.sendRaw(QStringLiteral(R"(428["whatever",1])"));
    QVERIFY(c.waitForRaw(QStringLiteral("438[{"), 3000, from) >= 0);
    c.sendRaw(QStringLiteral(R"(42["whatever",1])"));
    const int e = c.waitForEvent(QStringLiteral("error"), 3000, from);
    QVERIFY(e >= 0);
    QCOMPARE(c.frames().at(e).data.toObject().value(QStringLiteral("reason")).toString(),
             QStringLiteral("unknown_event"));
    // ping with an ack echoes its data; without an ack it is ["pong", data].
    from = int(c.frames().size());
    c.sendRaw(QStringLiteral(R"(429["ping",{"n":3}])"));
    QVERIFY(c.waitForRaw(QStringLiteral(R"(439[{"n":3}])"), 3000, from) >= 0);
    // Malformed packets get an error event; the connection stays.
    from = int(c.frames().size());
    c.sendRaw(QStringLiteral("42{nope"));
    const int bad = c.waitForEvent(QStringLiteral("error"), 3000, from);
    QVERIFY(bad >= 0);
    QCOMPARE(c.frames().at(bad).data.toObject().value(QStringLiteral("reason")).toString(),
             QStringLiteral("bad_frame"));
    // Another namespace is refused with a connect error for that namespace.
    c.sendRaw(QStringLiteral("40/admin,"));
    QVERIFY(c.waitForRaw(QStringLiteral("44/admin,"), 3000, from) >= 0);
    QVERIFY(c.isConnected());
    // The client leaving the namespace ends the connection, not the session.
    c.sendRaw(QStringLiteral("41"));
    QVERIFY(c.waitForDisconnected());
    QCOMPARE(c.closeCode(), 1000);
    QVERIFY(m_server->waitForEvent(ServerEvent::Type::Disconnected));
    const auto alive = callSync<bool>(
        [](ServerWorker &w) { return w.session(QStringLiteral("sio1")).has_value(); });
    QVERIFY(alive && *alive);
}

void tst_Server::socketIoBadTokenGetsConnectError()
{
    QVERIFY(m_server->start(m_server->defaultConfig()));
    TestClient c;
    QVERIFY(c.open(socketIoUrl()));
    c.sendRaw(QStringLiteral(R"(40{"token":"not.a.token"})"));
    const int i = c.waitForRaw(QStringLiteral("44{"));
    QVERIFY(i >= 0);
    const QJsonObject err = QJsonDocument::fromJson(c.frames().at(i).raw.mid(2).toUtf8()).object();
    QVERIFY(!err.value(QStringLiteral("message")).toString().isEmpty());
    const QJsonObject data = err.value(QStringLiteral("data")).toObject();
    QCOMPARE(data.value(QStringLiteral("code")).toInt(), 401);
    QCOMPARE(data.value(QStringLiteral("reason")).toString(), QStringLiteral("invalid_token"));
    QCOMPARE(data.value(QStringLiteral("detail")).toString(), QStringLiteral("malformed"));
    QVERIFY(c.waitForDisconnected());
    QCOMPARE(c.closeCode(), int(CloseCode::InvalidToken));
    for (const auto &f : c.frames())
        QVERIFY2(f.raw != QLatin1String("41"), "no 41 without a connected namespace");
}

void tst_Server::socketIoMissingTokenAndEventsBeforeConnect()
{
    QVERIFY(m_server->start(m_server->defaultConfig()));
    TestClient c;
    QVERIFY(c.open(socketIoUrl()));
    c.sendRaw(QStringLiteral(R"(42["activity",{}])"));
    int i = c.waitForRaw(QStringLiteral("44{"));
    QVERIFY(i >= 0);
    QVERIFY(c.frames().at(i).raw.contains(QLatin1String("login_required")));
    c.sendRaw(QStringLiteral("40"));
    i = c.waitForRaw(QStringLiteral("44{"), 3000, i + 1);
    QVERIFY(i >= 0);
    QVERIFY(c.frames().at(i).raw.contains(QLatin1String("missing_token")));
    QVERIFY(c.isConnected());
    // Still open: the real token works afterwards.
    c.sendRaw(QStringLiteral(R"(40{"token":"%1"})")
                  .arg(QString::fromLatin1(m_server->token(QStringLiteral("alice")))));
    QVERIFY(c.waitForRaw(QStringLiteral("40{"), 3000, i + 1) >= 0);
}

void tst_Server::socketIoIdleExpirySends41ThenCloses()
{
    QVERIFY(m_server->start(fastConfig(1000, 500)));
    QElapsedTimer t;
    t.start();
    auto c = socketIoConnected(m_server->token(QStringLiteral("alice"), QStringLiteral("sio-x")));
    QVERIFY(c);
    QVERIFY(c->waitForEvent(QStringLiteral("expiring"), 3000) >= 0);
    QVERIFY(c->waitForDisconnected(3000));
    const qint64 closedAt = t.elapsed();
    QVERIFY2(closedAt >= 950 && closedAt < 1600, qPrintable(QString::number(closedAt)));
    QCOMPARE(c->closeCode(), int(CloseCode::IdleTimeout));
    const auto &frames = c->frames();
    QVERIFY(frames.size() >= 2);
    QCOMPARE(frames.last().raw, QStringLiteral("41"));
    const TestClient::Frame &m = frames.at(frames.size() - 2);
    QCOMPARE(m.event, QStringLiteral("message"));
    QCOMPARE(m.data.toObject().value(QStringLiteral("code")).toInt(), 401);
    QCOMPARE(m.data.toObject().value(QStringLiteral("reason")).toString(),
             QStringLiteral("idle_timeout"));
}

void tst_Server::socketIoKickAndLogoutSend41()
{
    QVERIFY(m_server->start(m_server->defaultConfig()));
    const QByteArray token = m_server->token(QStringLiteral("bob"), QStringLiteral("sio-k"));
    auto sio = socketIoConnected(token);
    auto raw = loggedIn(token); // tabs on both endpoints share the session
    QVERIFY(sio && raw);
    m_server->host()->forceLogout(QStringLiteral("sio-k"), QString(), QStringLiteral("ops"));
    QVERIFY(sio->waitForDisconnected());
    QVERIFY(raw->waitForDisconnected());
    QCOMPARE(sio->closeCode(), int(CloseCode::Kicked));
    QCOMPARE(raw->closeCode(), int(CloseCode::Kicked));
    QCOMPARE(sio->frames().last().raw, QStringLiteral("41"));
    QVERIFY(raw->frames().last().raw != QLatin1String("41")); // the raw endpoint never sends it

    auto other = socketIoConnected(m_server->token(QStringLiteral("bob"), QStringLiteral("sio-l")));
    QVERIFY(other);
    other->sendRaw(QStringLiteral(R"(423["logout",{}])"));
    QVERIFY(other->waitForDisconnected());
    QCOMPARE(other->closeCode(), int(CloseCode::LoggedOut));
    QCOMPARE(other->frames().last().raw, QStringLiteral("41"));
    QVERIFY(other->waitForRaw(QStringLiteral("433[")) >= 0);
}

void tst_Server::socketIoPingsAreNotActivity()
{
    ServerConfig cfg = fastConfig(1200, 400);
    cfg.pingIntervalMs = 100;
    cfg.pingTimeoutMs = 300;
    QVERIFY(m_server->start(cfg));
    QElapsedTimer t;
    t.start();
    auto c = socketIoConnected(m_server->token(QStringLiteral("alice")));
    QVERIFY(c);
    // Answer every server ping, as socket.io-client does; the session still expires on time.
    int answered = 0;
    QObject::connect(&c->socket(), &QWebSocket::textMessageReceived, c.get(),
                     [&](const QString &text) {
                         if (text == QLatin1String("2")) {
                             c->sendRaw(QStringLiteral("3"));
                             ++answered;
                         }
                     });
    QVERIFY(c->waitForDisconnected(4000));
    QVERIFY2(answered >= 5, qPrintable(QString::number(answered)));
    QCOMPARE(c->closeCode(), int(CloseCode::IdleTimeout));
    QVERIFY2(t.elapsed() < 1900, qPrintable(QString::number(t.elapsed())));
}

void tst_Server::socketIoSilentClientIsClosed()
{
    ServerConfig cfg = m_server->defaultConfig();
    cfg.pingIntervalMs = 100;
    cfg.pingTimeoutMs = 200;
    QVERIFY(m_server->start(cfg));
    QElapsedTimer t;
    t.start();
    auto c = socketIoConnected(m_server->token(QStringLiteral("alice")));
    QVERIFY(c);
    QVERIFY(c->waitForDisconnected(3000));
    QCOMPARE(c->closeCode(), int(CloseCode::PingTimeout));
    QVERIFY(CloseCode::mayReconnect(c->closeCode()));
    QVERIFY2(t.elapsed() >= 250 && t.elapsed() < 1500, qPrintable(QString::number(t.elapsed())));
    QCOMPARE(c->frames().last().raw, QStringLiteral("2"));
}

void tst_Server::socketIoBinaryEventIsRefusedCleanly()
{
    QVERIFY(m_server->start(m_server->defaultConfig()));
    auto c = socketIoConnected(m_server->token(QStringLiteral("alice")));
    QVERIFY(c);
    const int from = int(c->frames().size());
    c->sendRaw(QStringLiteral(R"(451-["upload",{"_placeholder":true,"num":0}])"));
    c->sendBinary(QByteArray("\x01\x02\x03", 3));
    const int e = c->waitForEvent(QStringLiteral("error"), 3000, from);
    QVERIFY(e >= 0);
    QCOMPARE(c->frames().at(e).data.toObject().value(QStringLiteral("reason")).toString(),
             QStringLiteral("binary_not_supported"));
    c->sendRaw(QStringLiteral(R"(4211["ping",1])"));
    QVERIFY(c->waitForRaw(QStringLiteral("4311[1]"), 3000, from) >= 0);
    QVERIFY(c->isConnected());
    // A binary frame nobody announced is still a protocol error.
    c->sendBinary(QByteArray("\x01", 1));
    QVERIFY(c->waitForDisconnected());
    QCOMPARE(c->closeCode(), int(CloseCode::UnsupportedData));
}

void tst_Server::socketIoStopClosesWithout41()
{
    QVERIFY(m_server->start(m_server->defaultConfig()));
    auto c = socketIoConnected(m_server->token(QStringLiteral("alice")));
    QVERIFY(c);
    QVERIFY(m_server->stop(5000));
    QVERIFY(c->waitForDisconnected());
    QCOMPARE(c->closeCode(), int(CloseCode::ShuttingDown));
    for (const auto &f : c->frames())
        QVERIFY2(f.raw != QLatin1String("41"), "a restart must let socket.io-client reconnect");
}

void tst_Server::demoTokenEndpoint()
{
    QVERIFY(m_server->start(m_server->defaultConfig()));
    const QByteArray body = R"({"user":"dora"})";
    const QByteArray reply = httpGet("POST /demo/token HTTP/1.1\r\nHost: x\r\nContent-Length: "
                                     + QByteArray::number(body.size()) + "\r\n\r\n" + body);
    QVERIFY2(reply.startsWith("HTTP/1.1 200 "), reply.constData());
    const QJsonObject o
        = QJsonDocument::fromJson(reply.mid(reply.indexOf("\r\n\r\n") + 4)).object();
    QCOMPARE(o.value(QStringLiteral("user")).toString(), QStringLiteral("dora"));
    const QByteArray token = o.value(QStringLiteral("token")).toString().toLatin1();
    const TokenCheck check
        = Jwt::verify(token, ServerFixture::secret(), QDateTime::currentMSecsSinceEpoch());
    QVERIFY(check.ok);
    QCOMPARE(check.claims.user, QStringLiteral("dora"));
    QVERIFY(check.claims.sessionId.startsWith(QLatin1String("demo-")));
    QVERIFY(check.claims.expiresAtMs > QDateTime::currentMSecsSinceEpoch());
    QVERIFY(check.claims.expiresAtMs < QDateTime::currentMSecsSinceEpoch() + 3601 * 1000);
    QVERIFY(loggedIn(token));

    const QByteArray js = httpGet("GET /warden.js HTTP/1.1\r\nHost: x\r\n\r\n");
    QVERIFY(js.contains("Content-Type: text/javascript"));
    QVERIFY(js.contains("Cache-Control: public, max-age=300"));
    QVERIFY(js.contains("Warden"));
    const QByteArray demo = httpGet("GET /demo HTTP/1.1\r\nHost: x\r\n\r\n");
    QVERIFY(demo.contains("Content-Type: text/html"));
    QVERIFY(demo.contains("/warden.js"));
}

void tst_Server::demoCanBeTurnedOff()
{
    ServerConfig cfg = m_server->defaultConfig();
    cfg.demo = ServerConfig::Demo::Off;
    QVERIFY(m_server->start(cfg));
    QVERIFY(httpGet("GET /demo HTTP/1.1\r\nHost: x\r\n\r\n").startsWith("HTTP/1.1 404 "));
    QVERIFY(httpGet("POST /demo/token HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
                .startsWith("HTTP/1.1 404 "));
    QVERIFY(httpGet("GET /warden.js HTTP/1.1\r\nHost: x\r\n\r\n").startsWith("HTTP/1.1 200 "));
    // Auto: on for loopback only.
    cfg.demo = ServerConfig::Demo::Auto;
    QVERIFY(cfg.demoEnabled());
    cfg.listenAddress = QHostAddress(QHostAddress::Any);
    QVERIFY(!cfg.demoEnabled());
    cfg.demo = ServerConfig::Demo::On;
    QVERIFY(cfg.demoEnabled());
}

void tst_Server::stopClosesClientsWith4001()
{
    QVERIFY(m_server->start(m_server->defaultConfig()));
    auto a = loggedIn(m_server->token(QStringLiteral("alice")));
    TestClient anon;
    QVERIFY(a && anon.open(m_server->url()));
    QVERIFY(m_server->stop(5000));
    QVERIFY(a->waitForDisconnected());
    QVERIFY(anon.waitForDisconnected());
    QCOMPARE(a->closeCode(), int(CloseCode::ShuttingDown));
    QCOMPARE(anon.closeCode(), int(CloseCode::ShuttingDown));
    QVERIFY(CloseCode::mayReconnect(a->closeCode()));
}

void tst_Server::eventLogCarriesFields()
{
    QVERIFY(m_server->start(m_server->defaultConfig()));
    auto c = loggedIn(m_server->token(QStringLiteral("alice"), QStringLiteral("fields")));
    QVERIFY(c);
    c->socket().close();
    QVERIFY(m_server->waitForEvent(ServerEvent::Type::Disconnected));
    const ServerEvent auth = m_server->eventsOf(ServerEvent::Type::Authenticated).first();
    QVERIFY(auth.id > 0);
    QVERIFY(auth.tsMs > 0);
    QVERIFY(auth.connectionId > 0);
    QCOMPARE(auth.sessionId, QStringLiteral("fields"));
    QCOMPARE(auth.user, QStringLiteral("alice"));
    QVERIFY(auth.peer.startsWith(QLatin1String("127.0.0.1:")));
    const ServerEvent gone = m_server->eventsOf(ServerEvent::Type::Disconnected).first();
    QCOMPARE(gone.details.value(QStringLiteral("code")).toInt(), 1000);
    QCOMPARE(gone.details.value(QStringLiteral("initiator")).toString(), QStringLiteral("client"));
    const QJsonObject json = auth.toJson();
    for (const char *key : {"id", "ts", "type", "connection_id", "session_id", "user", "peer"})
        QVERIFY2(json.contains(QLatin1String(key)), key);
    QVERIFY(m_server->eventsOf(ServerEvent::Type::Listening).size() == 1);
}

void tst_Server::logoutUserEverywhereWithDryRun()
{
    QVERIFY(m_server->start(m_server->defaultConfig()));
    auto a1 = loggedIn(m_server->token(QStringLiteral("alice"), QStringLiteral("a1")));
    auto a1b = loggedIn(m_server->token(QStringLiteral("alice"), QStringLiteral("a1")));
    auto a2 = loggedIn(m_server->token(QStringLiteral("alice"), QStringLiteral("a2")));
    auto bob = loggedIn(m_server->token(QStringLiteral("bob")));
    QVERIFY(a1 && a1b && a2 && bob);

    OperatorResult dry;
    bool gotDry = false;
    m_server->host()->logoutUser(QStringLiteral("alice"), QStringLiteral("r"),
                                 QStringLiteral("ops"), true, this, [&](const OperatorResult &r) {
                                     dry = r;
                                     gotDry = true;
                                 });
    QTRY_VERIFY(gotDry);
    QCOMPARE(dry.sessions, 2);
    QCOMPARE(dry.connections, 3);
    QVERIFY(a1->roundTrip() && a1->isConnected());

    OperatorResult real;
    bool gotReal = false;
    m_server->host()->logoutUser(QStringLiteral("alice"), QStringLiteral("r"),
                                 QStringLiteral("ops"), false, this, [&](const OperatorResult &r) {
                                     real = r;
                                     gotReal = true;
                                 });
    QTRY_VERIFY(gotReal);
    QCOMPARE(real.connections, 3);
    for (TestClient *c : {a1.get(), a1b.get(), a2.get()}) {
        QVERIFY(c->waitForDisconnected());
        QCOMPARE(c->closeCode(), int(CloseCode::Kicked));
    }
    QVERIFY(bob->roundTrip() && bob->isConnected());
    QVERIFY(m_server->waitForEvent(ServerEvent::Type::Audit, 2));
    const ServerEvent audit = m_server->eventsOf(ServerEvent::Type::Audit).last();
    QCOMPARE(audit.details.value(QStringLiteral("action")).toString(),
             QStringLiteral("logout_user"));
    QCOMPARE(audit.details.value(QStringLiteral("target")).toString(), QStringLiteral("alice"));
    QCOMPARE(audit.details.value(QStringLiteral("actor")).toString(), QStringLiteral("ops"));
    QCOMPARE(audit.details.value(QStringLiteral("connections")).toInt(), 3);
}

void tst_Server::extendSessionMovesDeadline()
{
    QVERIFY(m_server->start(fastConfig(1000, 500)));
    auto c = loggedIn(m_server->token(QStringLiteral("alice"), QStringLiteral("ext")));
    QVERIFY(c);
    QVERIFY(c->waitForEvent(QStringLiteral("expiring"), 3000) >= 0);
    QElapsedTimer t;
    t.start();
    bool got = false;
    m_server->host()->extendSession(QStringLiteral("ext"), QStringLiteral("ops"), this,
                                    [&](const OperatorResult &r) { got = r.ok(); });
    QTRY_VERIFY(got);
    QVERIFY(c->waitForEvent(QStringLiteral("extended"), 2000) >= 0);
    // The deadline moved by one idle timeout: still connected after the old deadline.
    QVERIFY(c->waitForDisconnected(4000));
    QVERIFY2(t.elapsed() >= 900, qPrintable(QString::number(t.elapsed())));
    QCOMPARE(c->closeCode(), int(CloseCode::IdleTimeout));
}

void tst_Server::broadcastReachesLoggedInClients()
{
    QVERIFY(m_server->start(m_server->defaultConfig()));
    auto alice = loggedIn(m_server->token(QStringLiteral("alice")));
    auto bob = loggedIn(m_server->token(QStringLiteral("bob")));
    TestClient anon;
    QVERIFY(alice && bob && anon.open(m_server->url()));
    bool got = false;
    OperatorResult result;
    m_server->host()->call<OperatorResult>(
        this,
        [](ServerWorker &w) {
            return w.broadcast(QStringLiteral("notice"),
                               QJsonObject{{QStringLiteral("text"), QStringLiteral("hi")}},
                               QStringLiteral("bob"), QStringLiteral("ops"));
        },
        [&](const OperatorResult &r) {
            result = r;
            got = true;
        });
    QTRY_VERIFY(got);
    QCOMPARE(result.connections, 1);
    QVERIFY(bob->waitForEvent(QStringLiteral("notice")) >= 0);
    QCOMPARE(bob->firstData(QStringLiteral("notice")).value(QStringLiteral("text")).toString(),
             QStringLiteral("hi"));
    QVERIFY(alice->roundTrip());
    QVERIFY(alice->framesOf(QStringLiteral("notice")).isEmpty());

    got = false;
    m_server->host()->call<OperatorResult>(
        this,
        [](ServerWorker &w) {
            return w.broadcast(QStringLiteral("message"), {}, {}, QStringLiteral("ops"));
        },
        [&](const OperatorResult &r) {
            result = r;
            got = true;
        });
    QTRY_VERIFY(got);
    QCOMPARE(result.status, 400);
}

void tst_Server::stopAndStartListening()
{
    QVERIFY(m_server->start(m_server->defaultConfig()));
    auto c = loggedIn(m_server->token(QStringLiteral("alice")));
    QVERIFY(c);
    bool got = false;
    m_server->host()->setListening(false, QStringLiteral("ops"), this,
                                   [&](const OperatorResult &r) { got = r.ok(); });
    QTRY_VERIFY(got);
    TestClient refused;
    QVERIFY(!refused.open(m_server->url(), 1000));
    QVERIFY(c->roundTrip()); // existing connections are untouched
    got = false;
    m_server->host()->setListening(true, QStringLiteral("ops"), this,
                                   [&](const OperatorResult &r) { got = r.ok(); });
    QTRY_VERIFY(got);
    QVERIFY(loggedIn(m_server->token(QStringLiteral("bob"))));
}

void tst_Server::unknownIdsAre404()
{
    QVERIFY(m_server->start(m_server->defaultConfig()));
    QList<int> statuses;
    auto collect = [&](const OperatorResult &r) {
        statuses.append(r.status);
    };
    m_server->host()->disconnectConnection(999, {}, QStringLiteral("ops"), this, collect);
    m_server->host()->forceLogout(QStringLiteral("nope"), {}, QStringLiteral("ops"), this, collect);
    m_server->host()->extendSession(QStringLiteral("nope"), QStringLiteral("ops"), this, collect);
    QTRY_COMPARE(statuses.size(), 3);
    QCOMPARE(statuses, (QList<int>{404, 404, 404}));
}

void tst_Server::kernelTcpStatePerConnection()
{
    ServerConfig cfg = m_server->defaultConfig();
    cfg.tcpPollIntervalMs = 50;
    QVERIFY(m_server->start(cfg));
    m_server->host()->setSnapshotsEnabled(true);
    m_server->host()->setTcpObserved(true); // what the dashboard does
    ConnectionDelta last;
    QHash<quint64, ConnectionInfo> rows;
    TcpSnapshot snap;
    // The lambdas write to locals: their context must die with them, or a snapshot delivered
    // while cleanup() waits for the stop writes into a dead stack frame.
    QObject receiver;
    connect(m_server->host(), &ServerHost::connectionsChanged, &receiver,
            [&](const ConnectionDelta &d) {
                for (const ConnectionInfo &c : d.upserts)
                    rows.insert(c.id, c);
            });
    connect(m_server->host(), &ServerHost::tcpSnapshotReady, &receiver,
            [&](const TcpSnapshot &s) { snap = s; });
    auto c = loggedIn(m_server->token(QStringLiteral("alice")));
    QVERIFY(c);
    QTRY_VERIFY_WITH_TIMEOUT(
        !rows.isEmpty() && rows.begin()->tcpState == TcpSocketInfo::Established, 5000);
    QTRY_VERIFY(rows.begin()->rttUs > 0);
    QTRY_VERIFY(snap.isAvailable() && snap.count(TcpSocketInfo::Established) >= 1);
    QCOMPARE(snap.count(TcpSocketInfo::Listen), 1);
    bool matched = false;
    for (const TcpSocketInfo &s : std::as_const(snap.sockets))
        matched = matched
                  || (s.connectionId == rows.begin()->id && s.peerPort == c->socket().localPort());
    QVERIFY(matched);
}

// Without a dashboard the worker asks the kernel only for CLOSE_WAIT sockets, less often, and
// leaves every other socket alone; a dashboard attaching brings full polls at once.
void tst_Server::tcpPollsCloseWaitOnlyUntilObserved()
{
    using Scope = TcpSnapshot::Scope;
    ServerConfig cfg = m_server->defaultConfig();
    cfg.tcpPollIntervalMs = 50;
    cfg.closeWaitAlarmMs = 400; // unobserved: max(50, min(400 / 2, 5000)) = 200 ms
    QVERIFY(m_server->start(cfg));
    QCOMPARE(callWorker<int>([](ServerWorker &w) { return w.tcpPollIntervalMs(); }), 200);
    QCOMPARE(callWorker<bool>([](ServerWorker &w) { return w.isTcpObserved(); }), false);
    auto c = loggedIn(m_server->token(QStringLiteral("alice")));
    QVERIFY(c);
    const quint16 clientPort = c->socket().localPort();

    QList<TcpSnapshot> snaps;
    QObject receiver; // dies before the locals the lambda writes to
    connect(m_server->host(), &ServerHost::tcpSnapshotReady, &receiver,
            [&](const TcpSnapshot &s) { snaps.append(s); });
    // Three unobserved polls after the login: the connection's socket is in none of them.
    QTRY_VERIFY_WITH_TIMEOUT(snaps.size() >= 3, 5000);
    for (const TcpSnapshot &s : std::as_const(snaps)) {
        QVERIFY(s.isAvailable());
        QCOMPARE(s.scope, Scope::CloseWait);
        QVERIFY(s.sockets.isEmpty()); // nothing in CLOSE_WAIT, and no ESTABLISHED rows
        QCOMPARE(s.count(TcpSocketInfo::CloseWait), 0);
        QCOMPARE(s.count(TcpSocketInfo::Established), -1); // not asked for: unknown
    }
    for (qsizetype i = 1; i < snaps.size(); ++i) // the longer interval, not 50 ms
        QVERIFY2(snaps.at(i).takenAtMs - snaps.at(i - 1).takenAtMs >= 150,
                 qPrintable(QString::number(snaps.at(i).takenAtMs - snaps.at(i - 1).takenAtMs)));
    // No full poll happened: the connection never learnt its kernel state.
    const auto tcpStateOfAlice = [this] {
        return callWorker<int>([](ServerWorker &w) {
            const QList<ConnectionInfo> all = w.connections();
            return all.isEmpty() ? -1 : all.first().tcpState;
        });
    };
    QCOMPARE(tcpStateOfAlice(), 0);

    // The dashboard attaches: full polls every 50 ms.
    snaps.clear();
    m_server->host()->setTcpObserved(true);
    QTRY_VERIFY_WITH_TIMEOUT(!snaps.isEmpty(), 5000);
    const TcpSnapshot full = snaps.first();
    QCOMPARE(full.scope, Scope::Full);
    QVERIFY(full.count(TcpSocketInfo::Established) >= 1);
    QCOMPARE(full.count(TcpSocketInfo::Listen), 1);
    bool aliceRow = false;
    for (const TcpSocketInfo &s : full.sockets)
        aliceRow = aliceRow || (s.peerPort == clientPort && s.connectionId != 0);
    QVERIFY(aliceRow);
    QCOMPARE(tcpStateOfAlice(), int(TcpSocketInfo::Established));
    QCOMPARE(callWorker<int>([](ServerWorker &w) { return w.tcpPollIntervalMs(); }), 50);
    QTRY_VERIFY(snaps.size() >= 3);
    for (const TcpSnapshot &s : std::as_const(snaps))
        QCOMPARE(s.scope, Scope::Full);

    // And detaches: back to CLOSE_WAIT-only polls.
    m_server->host()->setTcpObserved(false);
    QTRY_COMPARE(callWorker<int>([](ServerWorker &w) { return w.tcpPollIntervalMs(); }), 200);
    snaps.clear();
    QTRY_VERIFY_WITH_TIMEOUT(!snaps.isEmpty(), 5000);
    QCOMPARE(snaps.last().scope, Scope::CloseWait);
}

// An interval far longer than the test: only the poll that attaching triggers can arrive.
void tst_Server::tcpObserverGetsFullPollAtOnce()
{
    ServerConfig cfg = m_server->defaultConfig();
    cfg.tcpPollIntervalMs = 600000;
    QVERIFY(m_server->start(cfg));
    auto c = loggedIn(m_server->token(QStringLiteral("alice")));
    QVERIFY(c);
    // The answer comes after the start's own poll has been delivered (one queue): not counted.
    QCOMPARE(callWorker<bool>([](ServerWorker &w) { return w.isTcpObserved(); }), false);
    QList<TcpSnapshot> snaps;
    QObject receiver;
    connect(m_server->host(), &ServerHost::tcpSnapshotReady, &receiver,
            [&](const TcpSnapshot &s) { snaps.append(s); });
    m_server->host()->setTcpObserved(true);
    QTRY_COMPARE_WITH_TIMEOUT(snaps.size(), 1, 5000);
    QCOMPARE(snaps.first().scope, TcpSnapshot::Scope::Full);
    QVERIFY(snaps.first().count(TcpSocketInfo::Established) >= 1);
    // Attaching again changes nothing; detaching polls nothing either.
    m_server->host()->setTcpObserved(true);
    m_server->host()->setTcpObserved(false);
    QCOMPARE(callWorker<bool>([](ServerWorker &w) { return w.isTcpObserved(); }), false);
    QCOMPARE(snaps.size(), 1);
}

// Warden on 127.0.0.1 asks the kernel for IPv4 sockets only: another process's IPv6 listener
// with the same port number (and its connection) is not Warden's and costs no walk.
void tst_Server::tcpMonitorAsksTheListenersFamilyOnly()
{
    ServerConfig cfg = m_server->defaultConfig();
    cfg.tcpPollIntervalMs = 50;
    QVERIFY(m_server->start(cfg));
    QVERIFY(cfg.listenAddress.protocol() == QAbstractSocket::IPv4Protocol);
    QTcpServer v6;
    if (!v6.listen(QHostAddress::LocalHostIPv6, m_server->port()))
        QSKIP("no IPv6 loopback, or [::1] with Warden's port number is taken");
    QTcpSocket v6Client;
    v6Client.connectToHost(QHostAddress::LocalHostIPv6, m_server->port());
    QVERIFY(v6Client.waitForConnected(5000));
    QTRY_VERIFY(v6.hasPendingConnections());
    std::unique_ptr<QTcpSocket> v6Accepted(v6.nextPendingConnection());
    auto c = loggedIn(m_server->token(QStringLiteral("alice")));
    QVERIFY(c);

    const qint64 before = QDateTime::currentMSecsSinceEpoch();
    TcpSnapshot snap;
    QObject receiver;
    connect(m_server->host(), &ServerHost::tcpSnapshotReady, &receiver,
            [&snap](const TcpSnapshot &s) { snap = s; });
    m_server->host()->setTcpObserved(true);
    QTRY_VERIFY(snap.scope == TcpSnapshot::Scope::Full && snap.takenAtMs >= before);
    QVERIFY(snap.count(TcpSocketInfo::Established) >= 1); // alice
    QCOMPARE(snap.count(TcpSocketInfo::Listen), 1); // Warden's, not the IPv6 one
    for (const TcpSocketInfo &s : std::as_const(snap.sockets))
        QVERIFY2(s.localAddress.protocol() == QAbstractSocket::IPv4Protocol,
                 qPrintable(s.localEndpoint()));
}

void tst_Server::closeWaitAlarmReachesEventLog_data()
{
    QTest::addColumn<bool>("observed");
    QTest::addRow("no dashboard") << false;
    QTest::addRow("dashboard attached") << true;
}

void tst_Server::closeWaitAlarmReachesEventLog()
{
    QFETCH(bool, observed);
    ServerConfig cfg = m_server->defaultConfig();
    cfg.tcpPollIntervalMs = 50;
    cfg.closeWaitAlarmMs = 150;
    QVERIFY(m_server->start(cfg));
    if (observed)
        m_server->host()->setTcpObserved(true);
    TcpSnapshot last;
    QObject receiver; // dies before `last`
    connect(m_server->host(), &ServerHost::tcpSnapshotReady, &receiver,
            [&last](const TcpSnapshot &s) { last = s; });
    // A listener that "forgets" to close: the peer closes, this side keeps its socket.
    const int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
    QVERIFY(lfd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    QCOMPARE(::bind(lfd, reinterpret_cast<sockaddr *>(&addr), sizeof addr), 0);
    QCOMPARE(::listen(lfd, 4), 0);
    socklen_t len = sizeof addr;
    ::getsockname(lfd, reinterpret_cast<sockaddr *>(&addr), &len);
    const quint16 port = ntohs(addr.sin_port);
    m_server->host()->call<bool>(this, [port](ServerWorker &w) {
        w.addMonitoredPort(port);
        return true;
    });
    QTcpSocket peer;
    peer.connectToHost(QHostAddress::LocalHost, port);
    QVERIFY(peer.waitForConnected(3000));
    const int fd = ::accept(lfd, nullptr, nullptr);
    QVERIFY(fd >= 0);
    const quint16 peerPort = peer.localPort();
    peer.disconnectFromHost();
    QVERIFY(m_server->waitForEvent(ServerEvent::Type::TcpAlarm, 1, 5000));
    const ServerEvent alarm = m_server->eventsOf(ServerEvent::Type::TcpAlarm).first();
    QCOMPARE(alarm.details.value(QStringLiteral("state")).toString(), QStringLiteral("CLOSE_WAIT"));
    QVERIFY(alarm.details.value(QStringLiteral("local"))
                .toString()
                .endsWith(QLatin1Char(':') + QString::number(port)));
    QCOMPARE(alarm.peer, QStringLiteral("127.0.0.1:%1").arg(peerPort));
    // What the alarm was raised from: the CLOSE_WAIT row in either kind of poll.
    QTRY_VERIFY(last.takenAtMs > 0);
    QCOMPARE(last.scope, observed ? TcpSnapshot::Scope::Full : TcpSnapshot::Scope::CloseWait);
    QCOMPARE(last.count(TcpSocketInfo::CloseWait), 1);
    if (observed)
        QVERIFY(last.count(TcpSocketInfo::Listen) >= 2); // Warden's and this one
    else
        QCOMPARE(last.count(TcpSocketInfo::Listen), -1); // not asked for
    ::close(fd);
    ::close(lfd);
}

template<typename R>
R tst_Server::callWorker(std::function<R(ServerWorker &)> fn)
{
    std::optional<R> out;
    m_server->host()->call<R>(this, std::move(fn), [&out](const R &r) { out = r; });
    if (!QTest::qWaitFor([&] { return out.has_value(); }, 5000))
        return R();
    return *out;
}

bool tst_Server::reloadWith(const ServerConfig &config, QStringList *live, QStringList *restart)
{
    QSignalSpy reloaded(m_server->host(), &ServerHost::reloaded);
    QSignalSpy applied(m_server->host(), &ServerHost::reloadApplied);
    m_server->host()->reload(config, QStringLiteral("test"));
    if (!reloaded.wait() || !reloaded.first().at(0).toBool())
        return false;
    if (applied.isEmpty() && !applied.wait())
        return false;
    *live = applied.first().at(0).toStringList();
    *restart = applied.first().at(1).toStringList();
    return true;
}

void tst_Server::kickIsDurableBeforeOperatorSeesSuccess()
{
    QVERIFY(m_server->start(m_server->defaultConfig()));
    auto a = loggedIn(m_server->token(QStringLiteral("mallory"), QStringLiteral("kd")));
    QVERIFY(a);
    const QString db
        = QDir(m_server->defaultConfig().dataDir).filePath(QStringLiteral("warden.db"));
    // The moment the operator gets the answer, another reader of the file sees the revocation
    // and the audit entry: no flush timer involved.
    bool answered = false;
    bool ok = false;
    SessionStore::Snapshot seen;
    QList<ServerEvent> audit;
    m_server->host()->forceLogout(QStringLiteral("kd"), QStringLiteral("fraud"),
                                  QStringLiteral("ops"), this, [&](const OperatorResult &r) {
                                      answered = true;
                                      ok = r.ok();
                                      SqliteSessionStore reader(db);
                                      QString error;
                                      if (!reader.open(&error))
                                          return;
                                      seen = reader.load(QDateTime::currentMSecsSinceEpoch());
                                      audit = reader.eventsBefore(0, 10, QStringLiteral("audit"));
                                  });
    QTRY_VERIFY(answered);
    QVERIFY(ok);
    QCOMPARE(seen.revocations.size(), qsizetype(1));
    QCOMPARE(seen.revocations[0].sessionId, QStringLiteral("kd"));
    QCOMPARE(seen.revocations[0].reason, EndReason::Kicked);
    QVERIFY(seen.sessions.isEmpty());
    QCOMPARE(audit.size(), qsizetype(1));
    QCOMPARE(audit[0].details.value(QStringLiteral("action")).toString(),
             QStringLiteral("force_logout"));
    QCOMPARE(audit[0].details.value(QStringLiteral("actor")).toString(), QStringLiteral("ops"));
}

void tst_Server::newSessionsAreOnDiskBeforeTheNextPass()
{
    // Logins that arrive together share one transaction (group commit), committed at the end of
    // the event-loop pass that handled them, not by the 500 ms batch: anything the server thread
    // does after the logins (here, a queued call) finds every new session in the file.
    QVERIFY(m_server->start(m_server->defaultConfig()));
    constexpr int Clients = 40;
    std::vector<std::unique_ptr<TestClient>> clients;
    for (int i = 0; i < Clients; ++i) {
        clients.push_back(std::make_unique<TestClient>());
        QVERIFY(clients.back()->open(m_server->url()));
    }
    for (int i = 0; i < Clients; ++i) {
        clients[size_t(i)]->loginCheck(
            m_server->token(QStringLiteral("u%1").arg(i), QStringLiteral("gc-%1").arg(i)));
    }
    for (const auto &c : clients) {
        const int i = c->waitForEvent(QStringLiteral("message"));
        QVERIFY(i >= 0);
        QCOMPARE(c->frames().at(i).data.toObject().value(QStringLiteral("code")).toInt(), 200);
    }
    const QString db
        = QDir(m_server->defaultConfig().dataDir).filePath(QStringLiteral("warden.db"));
    const QStringList onDisk = callWorker<QStringList>([db](ServerWorker &) {
        SqliteSessionStore reader(db);
        QString error;
        QStringList ids;
        if (!reader.open(&error))
            return QStringList{error};
        for (const SessionStore::StoredSession &s :
             reader.load(QDateTime::currentMSecsSinceEpoch()).sessions)
            ids.append(s.id);
        ids.sort();
        return ids;
    });
    QStringList expected;
    for (int i = 0; i < Clients; ++i)
        expected.append(QStringLiteral("gc-%1").arg(i));
    expected.sort();
    QCOMPARE(onDisk, expected);
}

void tst_Server::restartKeepsSessionsAndRevocations()
{
    ServerConfig cfg = m_server->defaultConfig();
    cfg.idleTimeoutMs = 20000;
    cfg.warningMs = 1000;
    QVERIFY(m_server->start(cfg));
    const QByteArray alice = m_server->token(QStringLiteral("alice"), QStringLiteral("keep"));
    const QByteArray mallory = m_server->token(QStringLiteral("mallory"), QStringLiteral("kick"));
    auto a = loggedIn(alice);
    auto m = loggedIn(mallory);
    QVERIFY(a && m);
    const qint64 deadline = callWorker<qint64>([](ServerWorker &w) {
        const auto s = w.session(QStringLiteral("keep"));
        return s ? s->expiresAtMs : 0;
    });
    QVERIFY(deadline > 0);
    m_server->host()->forceLogout(QStringLiteral("kick"), QString(), QStringLiteral("ops"));
    QVERIFY(m->waitForDisconnected());
    QVERIFY(m_server->stop(5000));
    QVERIFY(a->waitForDisconnected());

    QVERIFY(m_server->start(cfg));
    const qint64 restored = callWorker<qint64>([](ServerWorker &w) {
        const auto s = w.session(QStringLiteral("keep"));
        return s ? s->expiresAtMs : 0;
    });
    QCOMPARE(restored, deadline);
    auto again = loggedIn(alice);
    QVERIFY(again);
    TestClient refused;
    QVERIFY(refused.open(m_server->url()));
    refused.loginCheck(mallory);
    QVERIFY(refused.waitForDisconnected());
    QCOMPARE(refused.closeCode(), int(CloseCode::Kicked));
    const ServerEvent listening = m_server->eventsOf(ServerEvent::Type::Listening).last();
    QCOMPARE(listening.details.value(QStringLiteral("sessions_restored")).toInt(), 1);
    QCOMPARE(listening.details.value(QStringLiteral("revocations_restored")).toInt(), 1);
    // Ids continue where the last run stopped.
    const ServerEvent firstStopped = m_server->eventsOf(ServerEvent::Type::Stopped).first();
    QVERIFY(listening.id > firstStopped.id);
}

void tst_Server::restartInPlaceKeepsPortAndSessions()
{
    ServerConfig cfg = m_server->defaultConfig();
    cfg.shutdownSpreadMs = 100;
    QVERIFY(m_server->start(cfg));
    const QByteArray alice = m_server->token(QStringLiteral("alice"), QStringLiteral("stay"));
    const QByteArray mallory = m_server->token(QStringLiteral("mallory"), QStringLiteral("gone"));
    auto a = loggedIn(alice);
    auto m = loggedIn(mallory);
    QVERIFY(a && m);
    const qint64 deadline = callWorker<qint64>([](ServerWorker &w) {
        const auto s = w.session(QStringLiteral("stay"));
        return s ? s->expiresAtMs : 0;
    });
    m_server->host()->forceLogout(QStringLiteral("gone"), QString(), QStringLiteral("ops"));
    QVERIFY(m->waitForDisconnected());

    QSignalSpy started(m_server->host(), &ServerHost::started);
    QSignalSpy stopped(m_server->host(), &ServerHost::stopped);
    m_server->host()->restart(5000);
    QVERIFY(a->waitForDisconnected());
    QCOMPARE(a->closeCode(), int(CloseCode::Restarting));
    QVERIFY(started.wait());
    QVERIFY(started.first().at(0).toBool());
    QCOMPARE(started.first().at(1).toString(),
             QStringLiteral("127.0.0.1:%1").arg(m_server->port()));
    QVERIFY(stopped.isEmpty());

    auto back = loggedIn(alice); // the same URL: the same port
    QVERIFY(back);
    const qint64 after = callWorker<qint64>([](ServerWorker &w) {
        const auto s = w.session(QStringLiteral("stay"));
        return s ? s->expiresAtMs : 0;
    });
    QCOMPARE(after, deadline);
    TestClient refused;
    QVERIFY(refused.open(m_server->url()));
    refused.loginCheck(mallory);
    QVERIFY(refused.waitForDisconnected());
    QCOMPARE(refused.closeCode(), int(CloseCode::Kicked));
}

void tst_Server::issuedTokensSurviveRestart()
{
    ServerConfig cfg = m_server->defaultConfig();
    cfg.shutdownSpreadMs = 100;
    QVERIFY(m_server->start(cfg));
    // Two sessions issued through the facade (as POST /api/v1/sessions does), one with its own
    // idle timeout; neither has a connection yet.
    const auto create = [this](const QString &user, qint64 idleMs) {
        return callWorker<OperatorResult>([user, idleMs](ServerWorker &w) {
            return w.createSession(user, QString(), idleMs, 0, QStringLiteral("backend"));
        });
    };
    const OperatorResult keep = create(QStringLiteral("alice"), 45000);
    const OperatorResult gone = create(QStringLiteral("mallory"), 0);
    QVERIFY(keep.ok() && gone.ok());
    const QByteArray keepToken = keep.data.value(QStringLiteral("token")).toString().toLatin1();
    const QByteArray goneToken = gone.data.value(QStringLiteral("token")).toString().toLatin1();
    const QString keepSid = keep.data.value(QStringLiteral("session_id")).toString();
    const QString goneSid = gone.data.value(QStringLiteral("session_id")).toString();
    auto m = loggedIn(goneToken);
    QVERIFY(m);
    m_server->host()->forceLogout(goneSid, QString(), QStringLiteral("ops"));
    QVERIFY(m->waitForDisconnected());

    QSignalSpy started(m_server->host(), &ServerHost::started);
    m_server->host()->restart(5000); // in place: everything is read back from the store
    QVERIFY(started.wait());
    QVERIFY(started.first().at(0).toBool());

    auto a = loggedIn(keepToken);
    QVERIFY(a);
    const QJsonObject ok = a->firstData(QStringLiteral("message"));
    QCOMPARE(ok.value(QStringLiteral("session_id")).toString(), keepSid);
    QCOMPARE(ok.value(QStringLiteral("idle_timeout")).toDouble(), 45.0); // its own, kept
    TestClient refused;
    QVERIFY(refused.open(m_server->url()));
    refused.loginCheck(goneToken);
    QVERIFY(refused.waitForDisconnected());
    QVERIFY(!CloseCode::mayReconnect(refused.closeCode()));

    // The ended session's token left the store; the live one is there, as a hash only.
    QVERIFY(m_server->stop(5000));
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"),
                                                    QStringLiteral("issued-tokens-check"));
        db.setDatabaseName(QDir(cfg.dataDir).filePath(QStringLiteral("warden.db")));
        QVERIFY(db.open());
        QSqlQuery q(db);
        QVERIFY(q.exec(QStringLiteral("SELECT session_id, token_hash FROM issued_tokens")));
        QVERIFY(q.next());
        QCOMPARE(q.value(0).toString(), keepSid);
        QCOMPARE(q.value(1).toByteArray(), IssuedTokens::hashOf(keepToken));
        QVERIFY(!q.next());
    }
    QSqlDatabase::removeDatabase(QStringLiteral("issued-tokens-check"));
}

void tst_Server::storeInfoAndOlderHistory()
{
    ServerConfig cfg = m_server->defaultConfig();
    cfg.eventRingSize = 100;
    QVERIFY(m_server->start(cfg));
    for (int i = 0; i < 3; ++i)
        QVERIFY(loggedIn(m_server->token(QStringLiteral("u%1").arg(i))));
    const StoreInfo info = callWorker<StoreInfo>([](ServerWorker &w) { return w.storeInfo(); });
    QCOMPARE(info.location, QDir(cfg.dataDir).filePath(QStringLiteral("warden.db")));
    QVERIFY(info.open);
    QVERIFY(info.sizeBytes > 0);

    const ServerEventList newest
        = callWorker<ServerEventList>([](ServerWorker &w) { return w.storedEvents(0, 3); });
    QCOMPARE(newest.size(), qsizetype(3));
    QVERIFY(newest[0].id < newest[2].id);
    const ServerEventList older = callWorker<ServerEventList>(
        [before = newest.first().id](ServerWorker &w) { return w.storedEvents(before, 1000); });
    QVERIFY(!older.isEmpty());
    QCOMPARE(older.first().id, quint64(1));
    QCOMPARE(older.first().type, ServerEvent::Type::Listening);
    QCOMPARE(older.last().id + 1, newest.first().id);
}

void tst_Server::stopSpreadsClosesOverSpreadMs()
{
    ServerConfig cfg = m_server->defaultConfig();
    cfg.shutdownSpreadMs = 800;
    QVERIFY(m_server->start(cfg));
    QList<qint64> closedAt;
    QElapsedTimer t;
    std::vector<std::unique_ptr<TestClient>> clients; // destroyed before what its lambdas capture
    for (int i = 0; i < 5; ++i) {
        clients.push_back(std::make_unique<TestClient>());
        QVERIFY(clients.back()->open(m_server->url()));
        connect(&clients.back()->socket(), &QWebSocket::disconnected, this,
                [&] { closedAt.append(t.elapsed()); });
    }
    t.start();
    QVERIFY(m_server->stop(5000));
    QTRY_COMPARE(closedAt.size(), qsizetype(5));
    for (const auto &c : clients)
        QCOMPARE(c->closeCode(), int(CloseCode::ShuttingDown));
    std::sort(closedAt.begin(), closedAt.end());
    QVERIFY2(closedAt.first() < 400, qPrintable(QString::number(closedAt.first())));
    // Five closes due at 0, 160, 320, 480, 640 ms: spread out, and none long after the spread.
    QVERIFY2(closedAt.last() - closedAt.first() >= 450,
             qPrintable(QString::number(closedAt.last() - closedAt.first())));
    QVERIFY2(closedAt.last() < 2000, qPrintable(QString::number(closedAt.last())));
}

void tst_Server::reloadAppliesEachLiveKey_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<bool>("live");
    for (const char *k :
         {"session/idle_timeout", "session/login_timeout", "session/revocation_ttl",
          "limits/max_message_bytes", "limits/handshake_timeout_ms", "server/locale",
          "auth/jwt_secret", "log/ring_size", "log/keep_days", "log/max_rows", "log/format",
          "shutdown/spread_ms", "tcp/poll_interval_ms", "tcp/close_wait_alarm", "server/transport"})
        QTest::addRow("%s", k) << QString::fromLatin1(k) << true;
    QTest::addRow("server/data_dir") << QStringLiteral("server/data_dir") << false;
    QTest::addRow("server/io_threads") << QStringLiteral("server/io_threads") << false;
}

void tst_Server::reloadAppliesEachLiveKey()
{
    QFETCH(QString, key);
    QFETCH(bool, live);
    const ServerConfig base = m_server->defaultConfig();
    QVERIFY(m_server->start(base));
    auto c = loggedIn(m_server->token(QStringLiteral("alice")));
    QVERIFY(c);

    ServerConfig next = base;
    next.listenPort = m_server->port();
    QTemporaryDir otherDir;
    const QByteArray otherSecret = QByteArrayLiteral("another-secret-0123456789");
    if (key == QLatin1String("session/idle_timeout"))
        next.idleTimeoutMs = 45000;
    else if (key == QLatin1String("session/login_timeout"))
        next.loginTimeoutMs = 200;
    else if (key == QLatin1String("session/revocation_ttl"))
        next.revocationTtlMs = 5000;
    else if (key == QLatin1String("limits/max_message_bytes"))
        next.maxMessageBytes = 200;
    else if (key == QLatin1String("limits/handshake_timeout_ms"))
        next.handshakeTimeoutMs = 200;
    else if (key == QLatin1String("server/locale"))
        next.locale = QStringLiteral("zh_CN");
    else if (key == QLatin1String("auth/jwt_secret"))
        next.jwtSecret = otherSecret;
    else if (key == QLatin1String("log/ring_size"))
        next.eventRingSize = 123;
    else if (key == QLatin1String("log/keep_days"))
        next.logKeepDays = 7;
    else if (key == QLatin1String("log/max_rows"))
        next.logMaxRows = 5000;
    else if (key == QLatin1String("log/format"))
        next.logFormat = QStringLiteral("json");
    else if (key == QLatin1String("shutdown/spread_ms"))
        next.shutdownSpreadMs = 0;
    else if (key == QLatin1String("tcp/poll_interval_ms"))
        next.tcpPollIntervalMs = 0;
    else if (key == QLatin1String("tcp/close_wait_alarm"))
        next.closeWaitAlarmMs = 2000;
    else if (key == QLatin1String("server/data_dir"))
        next.dataDir = otherDir.path();
    else if (key == QLatin1String("server/io_threads"))
        next.ioThreads = base.ioThreads == 3 ? 1 : 3;
    else if (key == QLatin1String("server/transport"))
        next.transport = base.transport == ServerConfig::Transport::Native
                             ? ServerConfig::Transport::Qt
                             : ServerConfig::Transport::Native;

    QStringList applied;
    QStringList restart;
    QVERIFY(reloadWith(next, &applied, &restart));
    QCOMPARE(applied, live ? QStringList{key} : QStringList());
    QCOMPARE(restart, live ? QStringList() : QStringList{key});
    QVERIFY(c->roundTrip()); // a reload never drops anyone
    QVERIFY(c->isConnected());
    QVERIFY(m_server->waitForEvent(ServerEvent::Type::Reload));
    const ServerEvent reload = m_server->eventsOf(ServerEvent::Type::Reload).last();
    QCOMPARE(reload.details.value(QStringLiteral("applied")).toArray().size(), live ? 1 : 0);
    QCOMPARE(reload.details.value(QStringLiteral("restart_required")).toArray().size(),
             live ? 0 : 1);

    // And the running server behaves accordingly.
    const ServerConfig running
        = callWorker<ServerConfig>([](ServerWorker &w) { return w.config(); });
    if (key == QLatin1String("session/idle_timeout")) {
        const auto s = callWorker<QList<SessionInfo>>([](ServerWorker &w) { return w.sessions(); });
        QCOMPARE(s.size(), qsizetype(1));
        QCOMPARE(s[0].expiresAtMs - s[0].lastActivityMs, qint64(45000));
    } else if (key == QLatin1String("session/login_timeout")) {
        TestClient idle;
        QVERIFY(idle.open(m_server->url()));
        QVERIFY(idle.waitForDisconnected(2000));
        QCOMPARE(idle.closeCode(), int(CloseCode::LoginTimeout));
    } else if (key == QLatin1String("session/revocation_ttl")) {
        const qint64 before = QDateTime::currentMSecsSinceEpoch();
        auto k = loggedIn(m_server->token(QStringLiteral("k"), QStringLiteral("ttl")));
        QVERIFY(k);
        m_server->host()->forceLogout(QStringLiteral("ttl"), QString(), QStringLiteral("t"));
        QVERIFY(k->waitForDisconnected());
        SqliteSessionStore reader(QDir(base.dataDir).filePath(QStringLiteral("warden.db")));
        QString error;
        QVERIFY(reader.open(&error));
        const auto revs = reader.load(before).revocations;
        QCOMPARE(revs.size(), qsizetype(1));
        QVERIFY(revs[0].untilMs <= QDateTime::currentMSecsSinceEpoch() + 5000);
    } else if (key == QLatin1String("limits/max_message_bytes")) {
        c->sendEvent(QStringLiteral("activity"),
                     QJsonObject{{QStringLiteral("pad"), QString(400, QLatin1Char('x'))}});
        QVERIFY(c->waitForDisconnected());
        QCOMPARE(c->closeCode(), int(CloseCode::TooBig));
    } else if (key == QLatin1String("limits/handshake_timeout_ms")) {
        QTcpSocket slow;
        slow.connectToHost(QHostAddress::LocalHost, m_server->port());
        QVERIFY(slow.waitForConnected(3000));
        slow.write("GET / HTTP/1.1\r\n");
        QSignalSpy gone(&slow, &QTcpSocket::disconnected);
        QVERIFY(gone.wait(2000));
    } else if (key == QLatin1String("server/locale")) {
        TestClient zh;
        QVERIFY(zh.open(m_server->url()));
        zh.sendEvent(QStringLiteral("activity"));
        QVERIFY(zh.waitForEvent(QStringLiteral("message")) >= 0);
        const QString text
            = zh.firstData(QStringLiteral("message")).value(QStringLiteral("message")).toString();
        QCOMPARE(text,
                 ClientMessages::text(QStringLiteral("login_required"), QStringLiteral("zh_CN")));
    } else if (key == QLatin1String("auth/jwt_secret")) {
        QVERIFY(loggedIn(Jwt::mint(otherSecret, QStringLiteral("new"))));
        TestClient old;
        QVERIFY(old.open(m_server->url()));
        old.loginCheck(m_server->token(QStringLiteral("old")));
        QVERIFY(old.waitForDisconnected());
        QCOMPARE(old.closeCode(), int(CloseCode::InvalidToken));
    } else if (key == QLatin1String("log/ring_size")) {
        QCOMPARE(callWorker<int>([](ServerWorker &w) { return w.eventRing().capacity(); }), 123);
    } else if (key == QLatin1String("log/keep_days")) {
        QCOMPARE(running.logKeepDays, 7);
    } else if (key == QLatin1String("log/max_rows")) {
        QCOMPARE(running.logMaxRows, qint64(5000));
    } else if (key == QLatin1String("log/format")) {
        QCOMPARE(running.logFormat, QStringLiteral("json"));
    } else if (key == QLatin1String("shutdown/spread_ms")) {
        QCOMPARE(running.shutdownSpreadMs, 0);
    } else if (key == QLatin1String("tcp/poll_interval_ms")) {
        QCOMPARE(running.tcpPollIntervalMs, 0);
    } else if (key == QLatin1String("tcp/close_wait_alarm")) {
        QCOMPARE(running.closeWaitAlarmMs, qint64(2000));
    } else if (key == QLatin1String("server/transport")) {
        // New connections get the new transport; the open one kept its own (round trip above).
        const auto natives = [this] {
            return callWorker<int>([](ServerWorker &w) {
                const IoThreads *io = w.ioThreads();
                return int(w.findChildren<NativeWebSocket *>().size())
                       + (io ? io->socketsAlive() - io->qtSocketsAlive() : 0);
            });
        };
        const bool nativeBefore = base.transport == ServerConfig::Transport::Native;
        QCOMPARE(natives(), nativeBefore ? 1 : 0);
        auto d = loggedIn(m_server->token(QStringLiteral("bob")));
        QVERIFY(d);
        QCOMPARE(natives(), 1); // the old connection's when native was before, else the new one's
        QVERIFY(c->roundTrip());
        QVERIFY(d->roundTrip());
    } else if (key == QLatin1String("server/data_dir")) {
        // The store stays where it was opened until the next start.
        QCOMPARE(running.dataDir, base.dataDir);
        const StoreInfo info = callWorker<StoreInfo>([](ServerWorker &w) { return w.storeInfo(); });
        QVERIFY(info.location.startsWith(base.dataDir));
        QVERIFY(!QFile::exists(QDir(otherDir.path()).filePath(QStringLiteral("warden.db"))));
    } else if (key == QLatin1String("server/io_threads")) {
        // The threads stay as started until the next start.
        QCOMPARE(running.ioThreads, base.ioThreads);
        const int threads = callWorker<int>(
            [](ServerWorker &w) { return w.ioThreads() ? w.ioThreads()->count() : 0; });
        QCOMPARE(threads, base.effectiveIoThreads(QThread::idealThreadCount()));
    }
}

void tst_Server::malformedConfigFileChangesNothing()
{
    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("warden.ini"));
    auto write = [&](const QByteArray &body) {
        QFile f(file);
        return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(body) == body.size();
    };
    QVERIFY(m_server->start(m_server->defaultConfig()));
    auto c = loggedIn(m_server->token(QStringLiteral("alice")));
    QVERIFY(c);
    const auto before
        = callWorker<QMap<QString, QString>>([](ServerWorker &w) { return w.config().describe(); });
    const QList<SessionInfo> sessionsBefore
        = callWorker<QList<SessionInfo>>([](ServerWorker &w) { return w.sessions(); });

    m_server->host()->setConfigSource(file, {});
    // Several good keys and one bad one: none of it is applied.
    QVERIFY(write("[server]\nlisten = 127.0.0.2:0\n[session]\nidle_timeout = 5\n"
                  "[limits]\nmax_message_bytes = 200\n[log]\nkeep_days = banana\n"));
    QSignalSpy reloaded(m_server->host(), &ServerHost::reloaded);
    m_server->host()->reloadFromSource(QStringLiteral("test"));
    QVERIFY(reloaded.wait());
    QVERIFY(!reloaded.first().at(0).toBool());
    const QString error = reloaded.first().at(2).toString();
    QVERIFY2(error.contains(file) && error.contains(QLatin1String("log/keep_days")),
             qPrintable(error));
    const auto after
        = callWorker<QMap<QString, QString>>([](ServerWorker &w) { return w.config().describe(); });
    QCOMPARE(after, before);
    const QList<SessionInfo> sessionsAfter
        = callWorker<QList<SessionInfo>>([](ServerWorker &w) { return w.sessions(); });
    QCOMPARE(sessionsAfter.size(), sessionsBefore.size());
    QCOMPARE(sessionsAfter[0].expiresAtMs, sessionsBefore[0].expiresAtMs);
    QVERIFY(c->roundTrip());
    QVERIFY(c->isConnected());
    QVERIFY(loggedIn(m_server->token(QStringLiteral("bob")))); // same address still serves
}

QTEST_GUILESS_MAIN(tst_Server)
#include "tst_server.moc"
