// SPDX-License-Identifier: MIT
// wss:// and https:// on the main port with certificates made at test time by openssl, and a
// certificate reload that keeps existing TLS clients connected; the frame guard on TLS sockets.
#include "server/configloader.h"
#include "server/httpfrontend.h"
#include "server/iothreads.h"
#include "server/serverworker.h"
#include "server/tlsfiles.h"
#include "tests/common/serverfixture.h"
#include "tests/common/testclient.h"

#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QProcess>
#include <QtCore/QTemporaryDir>
#include <QtNetwork/QNetworkRequest>
#include <QtNetwork/QSslCertificate>
#include <QtNetwork/QSslSocket>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>
#include <QtWebSockets/QWebSocket>

class tst_Tls : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void wssLogin();
    void httpsHealthz();
    void certificateReloadKeepsClients();
    void unmaskedFrameIsRefused();
    void handshakesRunOnIoThreads();
    void adminApiOverHttps();
    void badTlsConfigIsRefused_data();
    void badTlsConfigIsRefused();

private:
    bool makeCert(const QString &name);
    QString path(const QString &f) const { return m_dir.filePath(f); }
    ServerConfig tlsConfig(ServerFixture &s, const QString &name);
    QSslConfiguration trusting(const QString &name) const;
    // GET /healthz over https:// trusting the certificate name: the answer's head, or why not.
    QByteArray healthz(quint16 port, const QString &trust) const;
    void setAdminTls(ServerConfig &c, const QString &name);
    // One HTTPS request to the admin port; the status (0: no TLS session), and the certificate
    // the server presented.
    int adminGet(quint16 port, const QString &trust, const QByteArray &token,
                 QSslCertificate *presented = nullptr);

    QTemporaryDir m_dir;
};

bool tst_Tls::makeCert(const QString &name)
{
    QProcess p;
    p.start(QStringLiteral("openssl"),
            {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
             QStringLiteral("ec"), QStringLiteral("-pkeyopt"),
             QStringLiteral("ec_paramgen_curve:prime256v1"), QStringLiteral("-nodes"),
             QStringLiteral("-keyout"), path(name + QStringLiteral(".key")), QStringLiteral("-out"),
             path(name + QStringLiteral(".pem")), QStringLiteral("-days"), QStringLiteral("1"),
             QStringLiteral("-subj"), QStringLiteral("/CN=") + name, QStringLiteral("-addext"),
             QStringLiteral("subjectAltName=IP:127.0.0.1,DNS:localhost")});
    return p.waitForFinished(20000) && p.exitCode() == 0;
}

void tst_Tls::initTestCase()
{
    QVERIFY(QSslSocket::supportsSsl());
    QVERIFY(m_dir.isValid());
    QVERIFY2(makeCert(QStringLiteral("first")), "openssl req failed");
    QVERIFY2(makeCert(QStringLiteral("second")), "openssl req failed");
}

ServerConfig tst_Tls::tlsConfig(ServerFixture &s, const QString &name)
{
    ServerConfig c = s.defaultConfig();
    QString key;
    const QString why
        = TlsFiles::load(path(name + QStringLiteral(".pem")), path(name + QStringLiteral(".key")),
                         &c.tlsCertPem, &c.tlsKeyPem, &key);
    if (!why.isEmpty())
        qWarning("%s", qPrintable(why));
    c.tlsCertFile = path(name + QStringLiteral(".pem"));
    c.tlsKeyFile = path(name + QStringLiteral(".key"));
    return c;
}

QSslConfiguration tst_Tls::trusting(const QString &name) const
{
    QSslConfiguration conf = QSslConfiguration::defaultConfiguration();
    conf.setCaCertificates(QSslCertificate::fromPath(path(name + QStringLiteral(".pem"))));
    return conf;
}

void tst_Tls::wssLogin()
{
    ServerFixture server;
    QVERIFY(server.start(tlsConfig(server, QStringLiteral("first"))));
    TestClient c;
    c.socket().setSslConfiguration(trusting(QStringLiteral("first")));
    QVERIFY(c.open(QUrl(QStringLiteral("wss://127.0.0.1:%1/").arg(server.port()))));
    c.loginCheck(server.token(QStringLiteral("alice")));
    QVERIFY(c.waitForEvent(QStringLiteral("message")) >= 0);
    QCOMPARE(c.firstData(QStringLiteral("message")).value(QStringLiteral("code")).toInt(), 200);
    QVERIFY(server.eventsOf(ServerEvent::Type::Listening)
                .first()
                .details.value(QStringLiteral("tls"))
                .toBool());

    // A client that does not trust the certificate fails the handshake; the server stays up.
    TestClient untrusting;
    QVERIFY(!untrusting.open(QUrl(QStringLiteral("wss://127.0.0.1:%1/").arg(server.port())), 3000));
    QVERIFY(c.roundTrip());
}

void tst_Tls::httpsHealthz()
{
    ServerFixture server;
    QVERIFY(server.start(tlsConfig(server, QStringLiteral("first"))));
    const QByteArray reply = healthz(server.port(), QStringLiteral("first"));
    QVERIFY2(reply.startsWith("HTTP/1.1 200"), reply.constData());
}

QByteArray tst_Tls::healthz(quint16 port, const QString &trust) const
{
    QSslSocket s;
    s.setSslConfiguration(trusting(trust));
    s.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    if (!s.waitForEncrypted(5000))
        return "no TLS session: " + s.errorString().toUtf8();
    s.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    QByteArray reply;
    while (!reply.contains("\r\n\r\n") && s.waitForReadyRead(3000))
        reply += s.readAll();
    return reply;
}

void tst_Tls::certificateReloadKeepsClients()
{
    ServerFixture server;
    QVERIFY(server.start(tlsConfig(server, QStringLiteral("first"))));
    const QUrl url(QStringLiteral("wss://127.0.0.1:%1/").arg(server.port()));
    TestClient before;
    before.socket().setSslConfiguration(trusting(QStringLiteral("first")));
    QVERIFY(before.open(url));
    before.loginCheck(server.token(QStringLiteral("alice")));
    QVERIFY(before.waitForEvent(QStringLiteral("message")) >= 0);

    QSignalSpy reloaded(server.host(), &ServerHost::reloaded);
    ServerConfig next = tlsConfig(server, QStringLiteral("second"));
    next.listenPort = server.port();
    server.host()->reload(next, QStringLiteral("test"));
    QVERIFY(reloaded.wait());
    QVERIFY2(reloaded.first().at(0).toBool(), qPrintable(reloaded.first().at(2).toString()));
    QVERIFY(reloaded.first().at(1).toStringList().contains(QStringLiteral("tls/cert")));

    QVERIFY(before.roundTrip());
    QVERIFY(before.isConnected());

    TestClient after;
    after.socket().setSslConfiguration(trusting(QStringLiteral("second")));
    QVERIFY(after.open(url));
    QCOMPARE(after.socket().sslConfiguration().peerCertificate(),
             QSslCertificate::fromPath(path(QStringLiteral("second.pem"))).first());
}

// With I/O threads, a TLS handshake runs on one of them: a connection whose handshake is under
// way is counted there and nowhere on the server thread, one that never finishes it is dropped
// at the handshake timeout, and a finished one comes back for its request head (https://
// answered, wss:// upgraded and run on an I/O thread again).
void tst_Tls::handshakesRunOnIoThreads()
{
    ServerFixture server;
    ServerConfig c = tlsConfig(server, QStringLiteral("first"));
    c.ioThreads = 2;
    c.handshakeTimeoutMs = 1000;
    QVERIFY(server.start(c));
    using Where = QPair<int, int>; // open on I/O threads, pending on the server thread
    const auto where = [&server] {
        std::optional<Where> out;
        server.host()->call<Where>(
            &server,
            [](ServerWorker &w) {
                int io = 0;
                for (int n : w.ioThreads()->load())
                    io += n;
                return Where(io, int(w.frontend()->pendingCount()));
            },
            [&out](const Where &r) { out = r; });
        if (!QTest::qWaitFor([&out] { return out.has_value(); }, 5000))
            return Where(-1, -1);
        return *out;
    };
    QCOMPARE(where(), Where(0, 0));

    QTcpSocket silent; // connects, never sends its ClientHello
    QSignalSpy dropped(&silent, &QTcpSocket::disconnected);
    silent.connectToHost(QHostAddress::LocalHost, server.port());
    QVERIFY(silent.waitForConnected(5000));
    QTRY_COMPARE(where(), Where(1, 0));
    QVERIFY(dropped.wait(5000));
    QTRY_COMPARE(where(), Where(0, 0));

    const QByteArray reply = healthz(server.port(), QStringLiteral("first"));
    QVERIFY2(reply.startsWith("HTTP/1.1 200"), reply.constData());

    TestClient client;
    client.socket().setSslConfiguration(trusting(QStringLiteral("first")));
    QVERIFY(client.open(QUrl(QStringLiteral("wss://127.0.0.1:%1/").arg(server.port()))));
    client.loginCheck(server.token(QStringLiteral("alice")));
    QVERIFY(client.waitForEvent(QStringLiteral("message")) >= 0);
    QCOMPARE(client.firstData(QStringLiteral("message")).value(QStringLiteral("code")).toInt(),
             200);
    QTRY_COMPARE(where(), Where(1, 0));
    QVERIFY(client.roundTrip());
}

// The frame guard sees the decrypted stream too: masked frames (split across TLS records) pass,
// an unmasked one gets close 1002 with a reason and a `rejected` event.
void tst_Tls::unmaskedFrameIsRefused()
{
    ServerFixture server;
    QVERIFY(server.start(tlsConfig(server, QStringLiteral("first"))));
    QSslSocket s;
    s.setSslConfiguration(trusting(QStringLiteral("first")));
    s.connectToHostEncrypted(QStringLiteral("127.0.0.1"), server.port());
    QVERIFY2(s.waitForEncrypted(5000), qPrintable(s.errorString()));
    s.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    QByteArray in;
    const auto readUntil = [&](const QByteArray &needle) {
        while (!in.contains(needle) && s.waitForReadyRead(5000))
            in += s.readAll();
        return in.contains(needle);
    };
    QVERIFY(readUntil("\r\n\r\n"));
    QVERIFY2(in.startsWith("HTTP/1.1 101"), in.constData());
    in = in.mid(in.indexOf("\r\n\r\n") + 4);

    // Masked ping "p" (key 01 02 03 04), header and payload in separate records: answered.
    const QByteArray ping = QByteArray::fromHex("898101020304") + char('p' ^ 0x01);
    s.write(ping.left(3));
    s.flush(); // two TLS records
    s.write(ping.mid(3));
    QVERIFY(readUntil(QByteArray::fromHex("8a0170")));
    in.clear();

    s.write(QByteArray::fromHex("8102") + "hi"); // unmasked text frame
    QVERIFY(readUntil(QByteArray::fromHex("88")));
    while (in.size() < 4 && s.waitForReadyRead(3000))
        in += s.readAll();
    const int at = in.indexOf(char(0x88));
    QVERIFY(in.size() >= at + 4);
    const int code = (uchar(in.at(at + 2)) << 8) | uchar(in.at(at + 3));
    QCOMPARE(code, 1002);
    QTRY_VERIFY(!server.eventsOf(ServerEvent::Type::Rejected).isEmpty());
    const ServerEvent e = server.eventsOf(ServerEvent::Type::Rejected).constLast();
    QCOMPARE(e.details.value(QStringLiteral("status")).toInt(), 1002);
    QCOMPARE(e.details.value(QStringLiteral("reason")).toString(),
             QStringLiteral("client frames must be masked"));
}

void tst_Tls::setAdminTls(ServerConfig &c, const QString &name)
{
    c.adminTlsCertFile = path(name + QStringLiteral(".pem"));
    c.adminTlsKeyFile = path(name + QStringLiteral(".key"));
    QString key;
    const QString why = TlsFiles::load(c.adminTlsCertFile, c.adminTlsKeyFile, &c.adminTlsCertPem,
                                       &c.adminTlsKeyPem, &key);
    if (!why.isEmpty())
        qWarning("%s", qPrintable(why));
}

int tst_Tls::adminGet(quint16 port, const QString &trust, const QByteArray &token,
                      QSslCertificate *presented)
{
    QSslSocket s;
    s.setSslConfiguration(trusting(trust));
    s.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    if (!s.waitForEncrypted(5000))
        return 0;
    if (presented)
        *presented = s.peerCertificate();
    s.write("GET /api/v1/info HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token
            + "\r\n\r\n");
    QByteArray reply;
    while (!reply.contains("\r\n\r\n") && s.waitForReadyRead(5000))
        reply += s.readAll();
    return reply.split(' ').value(1).toInt();
}

// [admin] tls_cert/tls_key: the admin API and its event stream over https:// and wss://; a
// reload with another certificate keeps the open stream and serves the new one to new clients.
void tst_Tls::adminApiOverHttps()
{
    ServerFixture server;
    ServerConfig c = server.defaultConfig();
    c.adminListen = QStringLiteral("127.0.0.1:0");
    setAdminTls(c, QStringLiteral("first"));
    QVERIFY(server.start(c));
    const QDir data(c.dataDir);
    QByteArray url;
    QTRY_VERIFY([&] {
        QFile f(data.filePath(QStringLiteral("admin.url")));
        url = f.open(QIODevice::ReadOnly) ? f.readAll().trimmed() : QByteArray();
        return !url.isEmpty();
    }());
    QVERIFY2(url.startsWith("https://127.0.0.1:"), url.constData());
    const quint16 port = quint16(url.mid(url.lastIndexOf(':') + 1).toUInt());
    QFile tokenFile(data.filePath(QStringLiteral("admin.token")));
    QVERIFY(tokenFile.open(QIODevice::ReadOnly));
    const QByteArray token = tokenFile.readAll().trimmed();

    QCOMPARE(adminGet(port, QStringLiteral("first"), token), 200);
    QCOMPARE(adminGet(port, QStringLiteral("first"), "wrong-token-0123456789"), 401);
    QCOMPARE(adminGet(port, QStringLiteral("second"), token), 0); // not trusted: no session

    QWebSocket stream;
    stream.setSslConfiguration(trusting(QStringLiteral("first")));
    QStringList received;
    connect(&stream, &QWebSocket::textMessageReceived, this,
            [&](const QString &t) { received.append(t); });
    QNetworkRequest req(QUrl(QStringLiteral("wss://127.0.0.1:%1/api/v1/stream").arg(port)));
    req.setRawHeader("Authorization", "Bearer " + token);
    QSignalSpy opened(&stream, &QWebSocket::connected);
    QSignalSpy closed(&stream, &QWebSocket::disconnected);
    stream.open(req);
    QVERIFY(opened.wait(5000));

    QSignalSpy reloaded(server.host(), &ServerHost::reloaded);
    ServerConfig next = c;
    next.listenPort = server.port();
    setAdminTls(next, QStringLiteral("second"));
    server.host()->reload(next, QStringLiteral("test"));
    QVERIFY(reloaded.wait());
    QVERIFY2(reloaded.first().at(0).toBool(), qPrintable(reloaded.first().at(2).toString()));
    QVERIFY(reloaded.first().at(1).toStringList().contains(QStringLiteral("admin/tls_cert")));

    // The open stream stays and carries the reload event.
    QTRY_VERIFY([&] {
        for (const QString &t : std::as_const(received)) {
            if (t.contains(QLatin1String("\"type\":\"reload\"")))
                return true;
        }
        return false;
    }());
    QCOMPARE(closed.size(), 0);
    QCOMPARE(stream.state(), QAbstractSocket::ConnectedState);

    QSslCertificate presented;
    QCOMPARE(adminGet(port, QStringLiteral("second"), token, &presented), 200);
    QCOMPARE(presented, QSslCertificate::fromPath(path(QStringLiteral("second.pem"))).first());
    QCOMPARE(adminGet(port, QStringLiteral("first"), token), 0);
}

void tst_Tls::badTlsConfigIsRefused_data()
{
    QTest::addColumn<QByteArray>("tls");
    QTest::addColumn<QString>("key");
    QTest::addRow("cert without key") << QByteArray("cert = CERT\n") << "tls/key";
    QTest::addRow("key without cert") << QByteArray("key = KEY\n") << "tls/cert";
    QTest::addRow("missing cert file")
        << QByteArray("cert = /nonexistent.pem\nkey = KEY\n") << "tls/cert";
    QTest::addRow("not a certificate") << QByteArray("cert = KEY\nkey = KEY\n") << "tls/cert";
    QTest::addRow("not a key") << QByteArray("cert = CERT\nkey = CERT\n") << "tls/key";
    QTest::addRow("admin cert without key")
        << QByteArray("[admin]\ntls_cert = CERT\n") << "admin/tls_key";
    QTest::addRow("admin key not a key")
        << QByteArray("[admin]\ntls_cert = CERT\ntls_key = CERT\n") << "admin/tls_key";
}

void tst_Tls::badTlsConfigIsRefused()
{
    QFETCH(QByteArray, tls);
    QFETCH(QString, key);
    tls.replace("CERT", path(QStringLiteral("first.pem")).toUtf8())
        .replace("KEY", path(QStringLiteral("first.key")).toUtf8());
    const QString ini = path(QStringLiteral("bad.ini"));
    QFile f(ini);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write("[auth]\njwt_secret = tls-test-secret-0123456789\n[tls]\n" + tls);
    f.close();
    const ConfigResult r = ConfigLoader::load(ini);
    QVERIFY(!r.ok());
    QCOMPARE(r.error.key, key);
    QCOMPARE(r.error.file, ini);
}

QTEST_GUILESS_MAIN(tst_Tls)
#include "tst_tls.moc"
