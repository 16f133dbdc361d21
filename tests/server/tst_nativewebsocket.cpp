// SPDX-License-Identifier: MIT
// NativeWebSocket and HttpFrontend's native upgrade, with real sockets on 127.0.0.1: QWebSocket
// clients for the well-behaved side, raw QTcpSocket clients that craft frames for the rest. The
// front end runs in the test thread, so every wait spins its event loop (qWaitFor, spies).
#include "server/httpfrontend.h"
#include "server/nativewebsocket.h"
#include "server/parallelsender.h"
#include "server/wsframereader.h"
#include "tests/common/wsframes.h"

#include <QtNetwork/QTcpSocket>
#include <QtTest/QtTest>
#include <QtWebSockets/QWebSocket>

#include <memory>
#include <vector>

#include <sys/socket.h>

namespace {

constexpr int WaitMs = 5000;

QByteArray frame(int opcode, const QByteArray &payload, bool fin = true, int rsv = 0,
                 bool masked = true)
{
    return wsFrame(opcode, payload, fin, rsv, masked);
}

QByteArray closePayload(quint16 code, const QByteArray &reason = {})
{
    QByteArray p;
    p.append(char(code >> 8));
    p.append(char(code & 0xff));
    return p + reason;
}

// A client that speaks raw bytes: the handshake by hand, then frames as the test crafts them.
class RawClient
{
public:
    bool connectTo(quint16 port)
    {
        m_socket.connectToHost(QHostAddress::LocalHost, port);
        QObject::connect(&m_socket, &QTcpSocket::readyRead, &m_socket,
                         [this] { m_in += m_socket.readAll(); });
        return QTest::qWaitFor(
            [this] { return m_socket.state() == QAbstractSocket::ConnectedState; }, WaitMs);
    }

    // Sends the request head (plus extra) and waits for the whole answer head.
    QByteArray request(quint16 port, const QByteArray &headers, const QByteArray &extra = {})
    {
        if (!connectTo(port))
            return {};
        m_socket.write("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + "\r\n" + extra);
        if (!QTest::qWaitFor([this] { return m_in.contains("\r\n\r\n"); }, WaitMs))
            return {};
        const qsizetype end = m_in.indexOf("\r\n\r\n") + 4;
        const QByteArray head = m_in.left(end);
        m_in.remove(0, end);
        return head;
    }

    bool upgrade(quint16 port)
    {
        return request(port, "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                             "Sec-WebSocket-Version: 13\r\n")
            .startsWith("HTTP/1.1 101");
    }

    void send(const QByteArray &bytes)
    {
        m_socket.write(bytes);
        m_socket.flush();
    }

    // The next whole server frame: opcode and payload (server frames are never masked).
    bool nextFrame(int *opcode, QByteArray *payload)
    {
        const auto complete = [this] {
            if (m_in.size() < 2)
                return qsizetype(-1);
            const int length7 = uchar(m_in.at(1)) & 0x7f;
            const int extra = length7 == 126 ? 2 : length7 == 127 ? 8 : 0;
            if (m_in.size() < 2 + extra)
                return qsizetype(-1);
            quint64 n = quint64(length7);
            if (extra) {
                n = 0;
                for (int i = 0; i < extra; ++i)
                    n = (n << 8) | uchar(m_in.at(2 + i));
            }
            const qsizetype total = 2 + extra + qsizetype(n);
            return m_in.size() >= total ? total : qsizetype(-1);
        };
        if (!QTest::qWaitFor([&] { return complete() >= 0; }, WaitMs))
            return false;
        const qsizetype total = complete();
        *opcode = uchar(m_in.at(0)) & 0x0f;
        const int length7 = uchar(m_in.at(1)) & 0x7f;
        const int header = 2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0);
        *payload = m_in.mid(header, total - header);
        m_in.remove(0, total);
        return true;
    }

    // The close code of the server's next close frame (skipping other frames), or -1.
    int closeCode(QByteArray *reason = nullptr)
    {
        int opcode = 0;
        QByteArray payload;
        while (nextFrame(&opcode, &payload)) {
            if (opcode != 0x8)
                continue;
            if (reason)
                *reason = payload.mid(2);
            return payload.size() >= 2 ? (uchar(payload.at(0)) << 8) | uchar(payload.at(1)) : 1005;
        }
        return -1;
    }

    bool waitForEof()
    {
        return QTest::qWaitFor(
            [this] { return m_socket.state() == QAbstractSocket::UnconnectedState; }, WaitMs);
    }

    QTcpSocket &socket() { return m_socket; }
    QByteArray received() const { return m_in; }

private:
    QTcpSocket m_socket;
    QByteArray m_in;
};

} // namespace

class tst_NativeWebSocket final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void textAndBinaryRoundTrip();
    void messageFedByteByByte();
    void fragmentedMessageWithPingBetween();
    void utf8SplitAcrossFragments();
    void largeMessageUnderBackpressure();
    void directWriteQueuesWhatTheKernelLeft();
    void pingIsAnsweredWithPong();
    void violations_data();
    void violations();
    void serverCloseWaitsForThePeer();
    void serverCloseTimesOutWithoutAnswer();
    void clientCloseIsEchoed();
    void peerResetDisconnects();
    void handshakeRefusals_data();
    void handshakeRefusals();
    void dataBeforeHandshakeAnswerIsRefused();
    void utf8Checker_data();
    void utf8Checker();

private:
    // Echoes every message; the connections it accepted, newest last.
    bool startEcho(quint64 maxMessage = 1024 * 1024);
    QUrl url() const
    {
        return QUrl(QStringLiteral("ws://127.0.0.1:%1/ws").arg(m_frontend->port()));
    }
    // Upgrades c and waits until the front end has handed the new connection over (last()).
    bool upgradeAndAccept(RawClient &c)
    {
        const size_t before = m_accepted.size();
        return c.upgrade(m_frontend->port())
               && QTest::qWaitFor([&] { return m_accepted.size() > before && last(); }, WaitMs);
    }
    NativeWebSocket *last() const
    {
        return m_accepted.empty() ? nullptr : qobject_cast<NativeWebSocket *>(m_accepted.back());
    }

    std::unique_ptr<HttpFrontend> m_frontend;
    std::vector<QPointer<WebSocketConnection>> m_accepted;
    QList<QPair<int, QString>> m_refused;
};

void tst_NativeWebSocket::init()
{
    NativeWebSocket::setCloseTimeoutMs(3000);
    m_accepted.clear();
    m_refused.clear();
}

void tst_NativeWebSocket::cleanup()
{
    for (const auto &ws : m_accepted)
        delete ws.data();
    m_accepted.clear();
    m_frontend.reset();
}

bool tst_NativeWebSocket::startEcho(quint64 maxMessage)
{
    m_frontend = std::make_unique<HttpFrontend>();
    QObject::connect(m_frontend.get(), &HttpFrontend::webSocketAccepted, m_frontend.get(),
                     [this, maxMessage](WebSocketConnection *ws) {
                         ws->setMaxAllowedIncomingMessageSize(maxMessage);
                         QObject::connect(ws, &WebSocketConnection::textMessageReceived, ws,
                                          [ws](const QString &t) { ws->sendTextMessage(t); });
                         QObject::connect(ws, &WebSocketConnection::binaryMessageReceived, ws,
                                          [ws](const QByteArray &b) { ws->sendBinaryMessage(b); });
                         QObject::connect(ws, &WebSocketConnection::protocolViolation, ws,
                                          [this](int code, const QString &reason) {
                                              m_refused.append({code, reason});
                                          });
                         m_accepted.emplace_back(ws);
                     });
    QString error;
    return m_frontend->listen(QHostAddress::LocalHost, 0, &error);
}

void tst_NativeWebSocket::textAndBinaryRoundTrip()
{
    QVERIFY(startEcho());
    QWebSocket client;
    QSignalSpy connected(&client, &QWebSocket::connected);
    QSignalSpy text(&client, &QWebSocket::textMessageReceived);
    QSignalSpy binary(&client, &QWebSocket::binaryMessageReceived);
    client.open(url());
    QVERIFY(connected.wait(WaitMs));
    QVERIFY(last()); // the native transport took the connection
    QCOMPARE(last()->requestPath(), QStringLiteral("/ws"));
    QCOMPARE(last()->peerPort(), client.localPort());

    const QString hello = QStringLiteral("héllo \u263A \U0001F600");
    client.sendTextMessage(hello);
    QVERIFY(text.wait(WaitMs));
    QCOMPARE(text.first().first().toString(), hello);
    // 126..65535 bytes: the 16-bit length form both ways.
    const QByteArray bytes = QByteArray(300, '\0') + QByteArray("\x01\xff", 2);
    client.sendBinaryMessage(bytes);
    QVERIFY(binary.wait(WaitMs));
    QCOMPARE(binary.first().first().toByteArray(), bytes);
    QCOMPARE(last()->bufferedBytes(), qsizetype(0)); // idle: no buffer held
}

void tst_NativeWebSocket::messageFedByteByByte()
{
    QVERIFY(startEcho());
    RawClient c;
    QVERIFY(upgradeAndAccept(c));
    NativeWebSocket *ws = last();
    const QByteArray message = QByteArray("split ") + QByteArray(200, 'x');
    const QByteArray bytes = frame(0x1, message);
    c.socket().setSocketOption(QAbstractSocket::LowDelayOption, 1);
    for (qsizetype i = 0; i < bytes.size() - 1; ++i) {
        c.send(bytes.mid(i, 1));
        // The partial frame is held until the last byte.
        QTRY_VERIFY(ws->bufferedBytes() > 0);
    }
    c.send(bytes.right(1));
    int opcode = 0;
    QByteArray payload;
    QVERIFY(c.nextFrame(&opcode, &payload));
    QCOMPARE(opcode, 0x1);
    QCOMPARE(payload, message);
    QCOMPARE(ws->bufferedBytes(), qsizetype(0)); // the partial frame's buffer is gone
}

void tst_NativeWebSocket::fragmentedMessageWithPingBetween()
{
    QVERIFY(startEcho());
    RawClient c;
    QVERIFY(upgradeAndAccept(c));
    c.send(frame(0x1, "fr", false));
    QTRY_VERIFY(last()->bufferedBytes() > 0); // the message so far
    c.send(frame(0x9, "between") + frame(0x0, "ag", false) + frame(0x0, "ment"));
    int opcode = 0;
    QByteArray payload;
    QVERIFY(c.nextFrame(&opcode, &payload));
    QCOMPARE(opcode, 0xa); // the pong comes first: the message was not complete before it
    QCOMPARE(payload, QByteArray("between"));
    QVERIFY(c.nextFrame(&opcode, &payload));
    QCOMPARE(opcode, 0x1);
    QCOMPARE(payload, QByteArray("fragment"));
    QCOMPARE(last()->bufferedBytes(), qsizetype(0));
}

void tst_NativeWebSocket::utf8SplitAcrossFragments()
{
    QVERIFY(startEcho());
    const QByteArray smile = QStringLiteral("\U0001F600").toUtf8(); // 4 bytes
    {
        // A character split between fragments is fine.
        RawClient c;
        QVERIFY(c.upgrade(m_frontend->port()));
        c.send(frame(0x1, smile.left(1), false) + frame(0x0, smile.mid(1, 2), false)
               + frame(0x0, smile.mid(3)));
        int opcode = 0;
        QByteArray payload;
        QVERIFY(c.nextFrame(&opcode, &payload));
        QCOMPARE(payload, smile);
    }
    {
        // A character left unfinished at the end of the message is not.
        RawClient c;
        QVERIFY(c.upgrade(m_frontend->port()));
        c.send(frame(0x1, "ok", false) + frame(0x0, smile.left(3)));
        QCOMPARE(c.closeCode(), 1007);
    }
    {
        // A bad continuation byte in the second fragment fails before the message ends.
        RawClient c;
        QVERIFY(c.upgrade(m_frontend->port()));
        c.send(frame(0x1, smile.left(2), false) + frame(0x0, "x", false));
        QCOMPARE(c.closeCode(), 1007);
    }
}

void tst_NativeWebSocket::largeMessageUnderBackpressure()
{
    QVERIFY(startEcho(8 * 1024 * 1024));
    QWebSocket client;
    QSignalSpy connected(&client, &QWebSocket::connected);
    QSignalSpy binary(&client, &QWebSocket::binaryMessageReceived);
    client.open(url());
    QVERIFY(connected.wait(WaitMs));
    QTRY_VERIFY(last());
    NativeWebSocket *ws = last();
    qint64 queuedMax = 0;
    connect(ws, &WebSocketConnection::binaryMessageReceived, this,
            [&] { queuedMax = std::max(queuedMax, ws->bytesToWrite()); });
    QByteArray big(4 * 1024 * 1024 + 7, Qt::Uninitialized);
    for (qsizetype i = 0; i < big.size(); ++i)
        big[i] = char((i * 7919) >> 3);
    client.sendBinaryMessage(big);
    QVERIFY(binary.wait(30000));
    QCOMPARE(binary.first().first().toByteArray(), big);
    // The echo did not fit into the kernel at once; what was queued went out in order.
    QVERIFY2(queuedMax > 0, "the echo never met backpressure");
    QCOMPARE(ws->bytesToWrite(), 0);
    QCOMPARE(ws->bufferedBytes(), qsizetype(0));
}

void tst_NativeWebSocket::directWriteQueuesWhatTheKernelLeft()
{
    // A ParallelSender write of a prepared frame that the kernel takes only in part: the rest is
    // queued, no further direct write is offered while it is, and later frames follow in order.
    QVERIFY(startEcho());
    QWebSocket client;
    client.setMaxAllowedIncomingMessageSize(16 * 1024 * 1024);
    QSignalSpy connected(&client, &QWebSocket::connected);
    QSignalSpy text(&client, &QWebSocket::textMessageReceived);
    client.open(url());
    QVERIFY(connected.wait(WaitMs));
    QTRY_VERIFY(last());
    NativeWebSocket *ws = last();
    const QString big(4 * 1024 * 1024, QLatin1Char('b'));
    const QByteArray frame = NativeWebSocket::textFrame(big.toUtf8());
    QCOMPARE(frame.size(), big.size() + 10); // the 64-bit length form
    std::vector<ParallelSender::Target> targets{{ws->directWriteFd()}};
    QVERIFY(targets.front().fd >= 0);
    ParallelSender sender(1);
    sender.sendToAll(frame, targets);
    QCOMPARE(targets.front().error, 0);
    QVERIFY2(targets.front().sent < frame.size(), "the kernel took 4 MiB at once");
    ws->directWriteDone(frame, targets.front().sent, targets.front().error);
    QCOMPARE(ws->bytesToWrite(), frame.size() - targets.front().sent);
    QCOMPARE(ws->directWriteFd(), -1);
    ws->sendTextMessage(QStringLiteral("after"));
    QTRY_COMPARE_WITH_TIMEOUT(text.size(), 2, 30000);
    QCOMPARE(text.at(0).first().toString(), big);
    QCOMPARE(text.at(1).first().toString(), QStringLiteral("after"));
    QCOMPARE(ws->bytesToWrite(), 0);
    QVERIFY(ws->directWriteFd() >= 0);
    QCOMPARE(ws->bufferedBytes(), qsizetype(0));
}

void tst_NativeWebSocket::pingIsAnsweredWithPong()
{
    QVERIFY(startEcho());
    RawClient c;
    QVERIFY(c.upgrade(m_frontend->port()));
    c.send(frame(0x9, "are you there"));
    int opcode = 0;
    QByteArray payload;
    QVERIFY(c.nextFrame(&opcode, &payload));
    QCOMPARE(opcode, 0xa);
    QCOMPARE(payload, QByteArray("are you there"));
}

void tst_NativeWebSocket::violations_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("code");
    QTest::addRow("unmasked") << frame(0x1, "hi", true, 0, false) << 1002;
    QTest::addRow("RSV1") << frame(0x1, "hi", true, 4) << 1002;
    QTest::addRow("RSV2+RSV3") << frame(0x1, "hi", true, 3) << 1002;
    QTest::addRow("opcode 0x3") << frame(0x3, "x") << 1002;
    QTest::addRow("opcode 0xb") << frame(0xb, "x") << 1002;
    QTest::addRow("fragmented ping") << frame(0x9, "p", false) << 1002;
    QTest::addRow("ping over 125 bytes") << frame(0x9, QByteArray(126, 'p')) << 1002;
    QTest::addRow("continuation without start") << frame(0x0, "x") << 1002;
    QTest::addRow("text inside a fragmented message")
        << frame(0x1, "a", false) + frame(0x1, "b") << 1002;
    QByteArray msb = QByteArray::fromHex("82ff8000000000000001") + QByteArray(4, '\0');
    QTest::addRow("64-bit length with the MSB set") << msb << 1002;
    QTest::addRow("invalid UTF-8") << frame(0x1, "\xff\xfe") << 1007;
    QTest::addRow("overlong UTF-8") << frame(0x1, "\xc0\xaf") << 1007;
    QTest::addRow("UTF-8 surrogate") << frame(0x1, "\xed\xa0\x80") << 1007;
    QTest::addRow("oversize single frame") << frame(0x2, QByteArray(2000, 'x')) << 1009;
    QTest::addRow("oversize across fragments")
        << frame(0x2, QByteArray(600, 'x'), false) + frame(0x0, QByteArray(600, 'x')) << 1009;
    // The header alone is enough: the payload never comes.
    QTest::addRow("oversize header only") << QByteArray::fromHex("82fe1000") << 1009;
    QTest::addRow("close with 1 byte") << frame(0x8, "\x03") << 1002;
    QTest::addRow("close code 999") << frame(0x8, closePayload(999)) << 1002;
    QTest::addRow("close code 1005") << frame(0x8, closePayload(1005)) << 1002;
    QTest::addRow("close code 1006") << frame(0x8, closePayload(1006)) << 1002;
    QTest::addRow("close code 2000") << frame(0x8, closePayload(2000)) << 1002;
    QTest::addRow("close code 5000") << frame(0x8, closePayload(5000)) << 1002;
    QTest::addRow("close reason not UTF-8") << frame(0x8, closePayload(1000, "\xff")) << 1007;
}

void tst_NativeWebSocket::violations()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, code);
    QVERIFY(startEcho(1024));
    RawClient c;
    QVERIFY(upgradeAndAccept(c));
    QPointer<NativeWebSocket> ws = last();
    QSignalSpy gone(ws.data(), &WebSocketConnection::disconnected);
    c.send(bytes);
    QByteArray reason;
    QCOMPARE(c.closeCode(&reason), code);
    QVERIFY(!reason.isEmpty());
    // The server half-closes after its close frame; the client's close ends the connection.
    QVERIFY(c.waitForEof());
    QVERIFY(gone.size() == 1 || gone.wait(WaitMs));
    QCOMPARE(ws->closeCode(), quint16(code));
    QCOMPARE(m_refused.size(), 1); // reported once, with the close code
    QCOMPARE(m_refused.first().first, code);
}

void tst_NativeWebSocket::serverCloseWaitsForThePeer()
{
    QVERIFY(startEcho());
    RawClient c;
    QVERIFY(upgradeAndAccept(c));
    QPointer<NativeWebSocket> ws = last();
    QSignalSpy gone(ws.data(), &WebSocketConnection::disconnected);
    ws->close(4501, QStringLiteral("idle_timeout"));
    QCOMPARE(ws->state(), QAbstractSocket::ClosingState);
    QByteArray reason;
    QCOMPARE(c.closeCode(&reason), 4501);
    QCOMPARE(reason, QByteArray("idle_timeout"));
    // Still open: the server waits for the client's answer, and ignores data meanwhile.
    c.send(frame(0x1, "late"));
    QVERIFY(!gone.wait(200));
    c.send(frame(0x8, closePayload(4501)));
    QVERIFY(gone.wait(WaitMs));
    QVERIFY(c.waitForEof());
    QCOMPARE(ws->state(), QAbstractSocket::UnconnectedState);

    // And against QWebSocket, which reports the code and reason.
    QWebSocket client;
    QSignalSpy connected(&client, &QWebSocket::connected);
    QSignalSpy closed(&client, &QWebSocket::disconnected);
    client.open(url());
    QVERIFY(connected.wait(WaitMs));
    QTRY_VERIFY(last() && last() != ws);
    last()->close(4000, QStringLiteral("restarting"));
    QVERIFY(closed.wait(WaitMs));
    QCOMPARE(int(client.closeCode()), 4000);
    QCOMPARE(client.closeReason(), QStringLiteral("restarting"));
}

void tst_NativeWebSocket::serverCloseTimesOutWithoutAnswer()
{
    NativeWebSocket::setCloseTimeoutMs(300);
    QVERIFY(startEcho());
    RawClient c;
    QVERIFY(upgradeAndAccept(c));
    QPointer<NativeWebSocket> ws = last();
    QSignalSpy gone(ws.data(), &WebSocketConnection::disconnected);
    QElapsedTimer t;
    t.start();
    ws->close(1000, QString());
    QCOMPARE(c.closeCode(), 1000);
    QVERIFY(gone.wait(WaitMs));
    QVERIFY(t.elapsed() >= 250);
    QVERIFY(c.waitForEof());
}

void tst_NativeWebSocket::clientCloseIsEchoed()
{
    QVERIFY(startEcho());
    QWebSocket client;
    QSignalSpy connected(&client, &QWebSocket::connected);
    QSignalSpy closed(&client, &QWebSocket::disconnected);
    client.open(url());
    QVERIFY(connected.wait(WaitMs));
    QTRY_VERIFY(last());
    QPointer<NativeWebSocket> ws = last();
    QSignalSpy gone(ws.data(), &WebSocketConnection::disconnected);
    client.close(QWebSocketProtocol::CloseCodeGoingAway, QStringLiteral("bye"));
    QVERIFY(gone.wait(WaitMs));
    QCOMPARE(ws->closeCode(), quint16(1001));
    QCOMPARE(ws->closeReason(), QStringLiteral("bye"));
    QVERIFY(closed.size() == 1 || closed.wait(WaitMs));

    // A raw client sees its code echoed, then the server's FIN.
    RawClient c;
    QVERIFY(c.upgrade(m_frontend->port()));
    QTRY_VERIFY(last() && last() != ws);
    QPointer<NativeWebSocket> ws2 = last();
    QSignalSpy gone2(ws2.data(), &WebSocketConnection::disconnected);
    c.send(frame(0x8, closePayload(4100, "later")));
    QCOMPARE(c.closeCode(), 4100);
    QVERIFY(c.waitForEof());
    QVERIFY(gone2.size() == 1 || gone2.wait(WaitMs));
    QCOMPARE(ws2->closeCode(), quint16(4100));
    QCOMPARE(ws2->closeReason(), QStringLiteral("later"));
}

void tst_NativeWebSocket::peerResetDisconnects()
{
    QVERIFY(startEcho());
    RawClient c;
    QVERIFY(upgradeAndAccept(c));
    QPointer<NativeWebSocket> ws = last();
    QSignalSpy gone(ws.data(), &WebSocketConnection::disconnected);
    // SO_LINGER 0: close() sends a RST instead of a FIN.
    const linger hard{1, 0};
    QCOMPARE(
        ::setsockopt(int(c.socket().socketDescriptor()), SOL_SOCKET, SO_LINGER, &hard, sizeof hard),
        0);
    c.socket().abort();
    QVERIFY(gone.wait(WaitMs));
    QCOMPARE(ws->closeCode(), quint16(1006));
    QCOMPARE(ws->state(), QAbstractSocket::UnconnectedState);
    // Writing to it now is harmless.
    ws->sendTextMessage(QStringLiteral("nobody"));
    QCOMPARE(ws->bytesToWrite(), 0);
}

void tst_NativeWebSocket::handshakeRefusals_data()
{
    QTest::addColumn<QByteArray>("headers");
    QTest::addColumn<QByteArray>("status");
    QTest::addColumn<QByteArray>("mustContain");
    const QByteArray upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\n";
    QTest::addRow("version 8")
        << upgrade + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n"
        << QByteArray("426") << QByteArray("Sec-WebSocket-Version: 13");
    QTest::addRow("no version") << upgrade + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                << QByteArray("426") << QByteArray("Sec-WebSocket-Version: 13");
    QTest::addRow("no key") << upgrade + "Sec-WebSocket-Version: 13\r\n"
                            << QByteArray("400") << QByteArray("Sec-WebSocket-Key");
    QTest::addRow("key not base64")
        << upgrade + "Sec-WebSocket-Key: !!!!!!!!!!!!!!!!!!!!!!==\r\nSec-WebSocket-Version: 13\r\n"
        << QByteArray("400") << QByteArray("Sec-WebSocket-Key");
    QTest::addRow("key of 15 bytes")
        << upgrade + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25j\r\nSec-WebSocket-Version: 13\r\n"
        << QByteArray("400") << QByteArray("Sec-WebSocket-Key");
    // RFC 6455 1.3's example: the accept value is computed right.
    QTest::addRow("valid")
        << upgrade + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        << QByteArray("101") << QByteArray("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

void tst_NativeWebSocket::handshakeRefusals()
{
    QFETCH(QByteArray, headers);
    QFETCH(QByteArray, status);
    QFETCH(QByteArray, mustContain);
    QVERIFY(startEcho());
    RawClient c;
    const QByteArray head = c.request(m_frontend->port(), headers);
    QVERIFY2(head.startsWith(QByteArray(QByteArray("HTTP/1.1 ") + status)), head.constData());
    if (status != "101") {
        QVERIFY(c.waitForEof());
        QVERIFY(m_accepted.empty());
    }
    const QByteArray all = head + c.received(); // the head, and the body that says why
    QVERIFY2(all.contains(mustContain), all.constData());
}

void tst_NativeWebSocket::dataBeforeHandshakeAnswerIsRefused()
{
    QVERIFY(startEcho());
    RawClient c;
    const QByteArray head = c.request(m_frontend->port(),
                                      "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                      "Sec-WebSocket-Version: 13\r\n",
                                      frame(0x1, "early"));
    QVERIFY2(head.startsWith("HTTP/1.1 400"), head.constData());
    QVERIFY(c.waitForEof());
    QVERIFY(m_accepted.empty());
}

void tst_NativeWebSocket::utf8Checker_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<bool>("valid");
    QTest::addRow("ascii") << QByteArray("hello") << true;
    QTest::addRow("2-byte") << QByteArray("\xc3\xa9") << true;
    QTest::addRow("3-byte") << QByteArray("\xe2\x98\xba") << true;
    QTest::addRow("4-byte") << QByteArray("\xf0\x9f\x98\x80") << true;
    QTest::addRow("U+10FFFF") << QByteArray("\xf4\x8f\xbf\xbf") << true;
    QTest::addRow("above U+10FFFF") << QByteArray("\xf4\x90\x80\x80") << false;
    QTest::addRow("overlong 2-byte") << QByteArray("\xc1\xbf") << false;
    QTest::addRow("overlong 3-byte") << QByteArray("\xe0\x9f\xbf") << false;
    QTest::addRow("overlong 4-byte") << QByteArray("\xf0\x8f\xbf\xbf") << false;
    QTest::addRow("surrogate") << QByteArray("\xed\xbf\xbf") << false;
    QTest::addRow("lone continuation") << QByteArray("\x80") << false;
    QTest::addRow("0xff") << QByteArray("\xff") << false;
    QTest::addRow("truncated") << QByteArray("\xe2\x98") << false;
    QTest::addRow("ascii after lead") << QByteArray("\xc3\x41") << false;
}

void tst_NativeWebSocket::utf8Checker()
{
    QFETCH(QByteArray, bytes);
    QFETCH(bool, valid);
    // Whole, and fed one byte at a time: the same answer.
    quint32 state = 0;
    const bool whole
        = WsFrameReader::checkUtf8(bytes.constData(), bytes.size(), &state) && state == 0;
    QCOMPARE(whole, valid);
    state = 0;
    bool ok = true;
    for (qsizetype i = 0; i < bytes.size() && ok; ++i)
        ok = WsFrameReader::checkUtf8(bytes.constData() + i, 1, &state);
    QCOMPARE(ok && state == 0, valid);
}

QTEST_MAIN(tst_NativeWebSocket)
#include "tst_nativewebsocket.moc"
