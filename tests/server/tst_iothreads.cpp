// SPDX-License-Identifier: MIT
// IoThreads (`[server] io_threads`): native connections run on I/O threads while this thread,
// standing in for the server thread, sees only WebSocketConnection stand-ins. The client side is
// the other end of a socketpair (or, for QtWebSockets upgrades, a TCP connection to a QTcpServer
// on 127.0.0.1), written and read by hand with raw frames; every wait spins this thread's event
// loop (spies, QTRY_*), as the server thread's would. tst_server_io, tst_server_qt_io and
// tst_tls_io run the whole server and TLS suites on two I/O threads.
#include "server/iothreads.h"
#include "tests/common/wsframes.h"

#include <QtCore/QThread>
#include <QtNetwork/QSslCertificate>
#include <QtNetwork/QSslConfiguration>
#include <QtNetwork/QSslKey>
#include <QtNetwork/QSslSocket>
#include <QtNetwork/QTcpServer>
#include <QtNetwork/QTcpSocket>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

#include <memory>
#include <vector>

#include <arpa/inet.h>
#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

constexpr int WaitMs = 5000;
const QByteArray Greeting = QByteArrayLiteral("HTTP/1.1 101 Switching Protocols\r\n\r\n");

// The client's end of one connection: a blocking descriptor read with poll() timeouts.
class Peer
{
public:
    Peer() = default;
    Peer(const Peer &) = delete;
    Peer &operator=(const Peer &) = delete;
    ~Peer()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }

    // Makes the pair; *serverFd is the non-blocking end that IoThreads takes.
    bool open(int *serverFd)
    {
        int fds[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
            return false;
        ::fcntl(fds[1], F_SETFL, ::fcntl(fds[1], F_GETFL) | O_NONBLOCK);
        m_fd = fds[0];
        *serverFd = fds[1];
        return true;
    }
    // A blocking TCP connection to 127.0.0.1:port.
    bool connectTo(quint16 port)
    {
        m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return m_fd >= 0 && ::connect(m_fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0;
    }
    quint16 localPort() const
    {
        sockaddr_in a{};
        socklen_t n = sizeof a;
        ::getsockname(m_fd, reinterpret_cast<sockaddr *>(&a), &n);
        return ntohs(a.sin_port);
    }
    int fd() const { return m_fd; }

    bool write(const QByteArray &bytes)
    {
        qsizetype done = 0;
        while (done < bytes.size()) {
            const ssize_t n
                = ::send(m_fd, bytes.constData() + done, size_t(bytes.size() - done), MSG_NOSIGNAL);
            if (n <= 0)
                return false;
            done += n;
        }
        return true;
    }

    // Exactly n bytes, or false on EOF or after WaitMs without progress.
    bool read(qsizetype n, QByteArray *out)
    {
        while (m_in.size() < n) {
            if (!receive())
                return false;
        }
        *out = m_in.left(n);
        m_in.remove(0, n);
        return true;
    }

    // Everything up to and including end, or false on EOF or after WaitMs without progress.
    bool readUntil(const QByteArray &end, QByteArray *out)
    {
        qsizetype at;
        while ((at = m_in.indexOf(end)) < 0) {
            if (!receive())
                return false;
        }
        *out = m_in.left(at + end.size());
        m_in.remove(0, at + end.size());
        return true;
    }

    // The next server frame (never masked): opcode and payload.
    bool frame(int *opcode, QByteArray *payload)
    {
        QByteArray head;
        if (!read(2, &head))
            return false;
        *opcode = uchar(head.at(0)) & 0x0f;
        quint64 n = uchar(head.at(1)) & 0x7f;
        if (n >= 126) {
            QByteArray ext;
            if (!read(n == 126 ? 2 : 8, &ext))
                return false;
            n = 0;
            for (char c : std::as_const(ext))
                n = (n << 8) | uchar(c);
        }
        return read(qsizetype(n), payload);
    }

    // True once the server closed its end (EOF), with anything before it skipped.
    bool waitForEof()
    {
        for (;;) {
            pollfd p{m_fd, POLLIN, 0};
            if (::poll(&p, 1, WaitMs) <= 0)
                return false;
            char buffer[4096];
            const ssize_t got = ::recv(m_fd, buffer, sizeof buffer, 0);
            if (got == 0)
                return true;
            if (got < 0)
                return false;
        }
    }

private:
    // What arrives next, appended to m_in; false on EOF or after WaitMs without any.
    bool receive()
    {
        pollfd p{m_fd, POLLIN, 0};
        if (::poll(&p, 1, WaitMs) <= 0)
            return false;
        char buffer[65536];
        const ssize_t got = ::recv(m_fd, buffer, sizeof buffer, 0);
        if (got <= 0)
            return false;
        m_in.append(buffer, got);
        return true;
    }

    int m_fd = -1;
    QByteArray m_in;
};

QByteArray closePayload(quint16 code, const QByteArray &reason)
{
    QByteArray p;
    p.append(char(code >> 8));
    p.append(char(code & 0xff));
    return p + reason;
}

const QByteArray UpgradeRequest
    = QByteArrayLiteral("GET /chat HTTP/1.1\r\n"
                        "Host: 127.0.0.1\r\n"
                        "Upgrade: websocket\r\n"
                        "Connection: Upgrade\r\n"
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        "Sec-WebSocket-Version: 13\r\n\r\n");

// A self-signed test certificate for 127.0.0.1 (P-256, valid until 2126), made once with
// `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 36500
// -subj /CN=warden-test -addext subjectAltName=IP:127.0.0.1,DNS:localhost`. Test use only;
// embedded because openssl cannot be started from a TSan build once threads run.
const char TestCertificate[] = R"(-----BEGIN CERTIFICATE-----
MIIBnjCCAUWgAwIBAgIUdykB9boLGBhGafT1+55O52azCIowCgYIKoZIzj0EAwIw
FjEUMBIGA1UEAwwLd2FyZGVuLXRlc3QwIBcNMjYxMTMwMDAyMjA1WhgPMjEyNjEx
MDYwMDIyMDVaMBYxFDASBgNVBAMMC3dhcmRlbi10ZXN0MFkwEwYHKoZIzj0CAQYI
KoZIzj0DAQcDQgAEj/T/hCJ2/feoH0qopYGN+fwz6uanUVow3yi35pLB/l0ZqWfT
Ges/h6tIIUHyuwnbKox/GESdPZlxBfO6VvZvN6NvMG0wHQYDVR0OBBYEFAyroL6P
7mH7L2BmMxu93nVHfKbfMB8GA1UdIwQYMBaAFAyroL6P7mH7L2BmMxu93nVHfKbf
MA8GA1UdEwEB/wQFMAMBAf8wGgYDVR0RBBMwEYcEfwAAAYIJbG9jYWxob3N0MAoG
CCqGSM49BAMCA0cAMEQCIHU8R1QiR1DU4mL00h7YRijej3hGM+hyeC0seu4WPXzf
AiB9etva7OIZLeb8UAPEUaVusaViOFio2mNMlR/YUlmItw==
-----END CERTIFICATE-----)";
const char TestKey[] = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgAv8KlBHSb+sCRW77
b/Sl0Q4xJOP9O2gFounPNViVITahRANCAASP9P+EInb996gfSqilgY35/DPq5qdR
WjDfKLfmksH+XRmpZ9MZ6z+Hq0ghQfK7CdsqjH8YRJ09mXEF87pW9m83
-----END PRIVATE KEY-----)";

QSslConfiguration serverTls()
{
    QSslConfiguration c = QSslConfiguration::defaultConfiguration();
    c.setLocalCertificate(QSslCertificate(QByteArray(TestCertificate)));
    c.setPrivateKey(QSslKey(QByteArray(TestKey), QSsl::Ec));
    c.setPeerVerifyMode(QSslSocket::VerifyNone);
    return c;
}

QSslConfiguration clientTls()
{
    QSslConfiguration c = QSslConfiguration::defaultConfiguration();
    c.setCaCertificates({QSslCertificate(QByteArray(TestCertificate))});
    return c;
}

// A listening socket on 127.0.0.1 whose connections are accepted by hand, as TcpListener does.
class RawListener
{
public:
    RawListener()
    {
        m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::bind(m_fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0
            || ::listen(m_fd, 16) != 0) {
            ::close(m_fd);
            m_fd = -1;
        }
    }
    ~RawListener()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    RawListener(const RawListener &) = delete;
    RawListener &operator=(const RawListener &) = delete;

    quint16 port() const
    {
        sockaddr_in a{};
        socklen_t n = sizeof a;
        ::getsockname(m_fd, reinterpret_cast<sockaddr *>(&a), &n);
        return ntohs(a.sin_port);
    }
    // The next connection (non-blocking), or -1 after WaitMs.
    int accept()
    {
        int fd = -1;
        const bool got = QTest::qWaitFor(
            [&] {
                fd = ::accept4(m_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                return fd >= 0;
            },
            WaitMs);
        return got ? fd : -1;
    }

private:
    int m_fd = -1;
};

// The server side of a TCP connection whose first bytes (what the peer wrote) have arrived.
QTcpSocket *accepted(QTcpServer &server, qint64 bytes)
{
    if (!QTest::qWaitFor([&] { return server.hasPendingConnections(); }, WaitMs))
        return nullptr;
    QTcpSocket *socket = server.nextPendingConnection();
    if (!QTest::qWaitFor([&] { return socket->bytesAvailable() >= bytes; }, WaitMs))
        return nullptr;
    return socket;
}

} // namespace

class tst_IoThreads : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void roundTripsOnEveryThread();
    void limitHoldsFromTheFirstByte();
    void bytesToWriteFollowsTheKernel();
    void closesBothWaysAndAbort();
    void floodStopsReadingUntilTaken();
    void teardownWithConnectionsOpen();
    void qtUpgradesRunOnIoThreads();
    void qtUpgradeFailuresAreForgotten_data();
    void qtUpgradeFailuresAreForgotten();
    void teardownWithQtUpgradesUnderWay();
    void tlsHandshakesRunOnIoThreads();
    void tlsHandshakeTimesOut();

private:
    struct Link
    {
        std::unique_ptr<Peer> peer;
        std::unique_ptr<WebSocketConnection> socket;
    };
    static Link connect(IoThreads &io)
    {
        Link l;
        l.peer = std::make_unique<Peer>();
        int fd = -1;
        if (!l.peer->open(&fd))
            return {};
        l.socket.reset(io.adopt(fd, NativeWebSocket::Endpoint{}, QStringLiteral("/ws"), Greeting));
        return l;
    }
};

void tst_IoThreads::roundTripsOnEveryThread()
{
    IoThreads io(2);
    QCOMPARE(io.count(), 2);
    std::vector<Link> links;
    for (int i = 0; i < 4; ++i) {
        links.push_back(connect(io));
        QVERIFY(links.back().socket);
    }
    // The fewest connections first: two each.
    QCOMPARE(io.load(), QList<int>({2, 2}));
    for (int i = 0; i < 4; ++i) {
        Link &l = links[size_t(i)];
        QCOMPARE(l.socket->requestPath(), QStringLiteral("/ws"));
        QSignalSpy texts(l.socket.get(), &WebSocketConnection::textMessageReceived);
        l.socket->setMaxAllowedIncomingMessageSize(1024); // the hand-over
        QByteArray greeting;
        QVERIFY(l.peer->read(Greeting.size(), &greeting));
        QCOMPARE(greeting, Greeting);
        QVERIFY(l.peer->write(wsFrame(0x1, "hello " + QByteArray::number(i))));
        QVERIFY(texts.wait(WaitMs));
        QCOMPARE(texts.at(0).at(0).toString(), QStringLiteral("hello %1").arg(i));
        l.socket->sendTextMessage(QStringLiteral("echo %1 \u00e9").arg(i));
        int opcode = 0;
        QByteArray payload;
        QVERIFY(l.peer->frame(&opcode, &payload));
        QCOMPARE(opcode, 0x1);
        QCOMPARE(QString::fromUtf8(payload), QStringLiteral("echo %1 \u00e9").arg(i));
        // A ping is answered on the I/O thread, without this thread.
        QVERIFY(l.peer->write(wsFrame(0x9, "p" + QByteArray::number(i))));
        QVERIFY(l.peer->frame(&opcode, &payload));
        QCOMPARE(opcode, 0xa);
        QCOMPARE(payload, "p" + QByteArray::number(i));
    }
    QCOMPARE(io.socketsAlive(), 4);
    links.clear();
    QCOMPARE(io.load(), QList<int>({0, 0}));
    QTRY_COMPARE(io.socketsAlive(), 0);
}

void tst_IoThreads::limitHoldsFromTheFirstByte()
{
    // The client's oversized message is there before the server thread sets the limit: the I/O
    // thread must not read before it has the limit.
    IoThreads io(1);
    Link l = connect(io);
    QVERIFY(l.socket);
    QSignalSpy texts(l.socket.get(), &WebSocketConnection::textMessageReceived);
    QSignalSpy violations(l.socket.get(), &WebSocketConnection::protocolViolation);
    QSignalSpy gone(l.socket.get(), &WebSocketConnection::disconnected);
    QVERIFY(l.peer->write(wsFrame(0x1, QByteArray(2000, 'x'))));
    l.socket->setMaxAllowedIncomingMessageSize(1024);
    QVERIFY(violations.wait(WaitMs));
    QCOMPARE(violations.at(0).at(0).toInt(), 1009);
    QByteArray greeting;
    QVERIFY(l.peer->read(Greeting.size(), &greeting));
    int opcode = 0;
    QByteArray payload;
    QVERIFY(l.peer->frame(&opcode, &payload));
    QCOMPARE(opcode, 0x8);
    QCOMPARE(payload.left(2), closePayload(1009, {}));
    QVERIFY(l.peer->write(wsFrame(0x8, closePayload(1009, {}))));
    QVERIFY(gone.wait(WaitMs));
    QCOMPARE(texts.size(), 0);
    QCOMPARE(l.socket->closeCode(), 1009);
}

void tst_IoThreads::bytesToWriteFollowsTheKernel()
{
    // The server thread's slow-consumer check reads bytesToWrite(): what it handed over and the
    // I/O thread has not yet written, plus what the kernel refused so far.
    IoThreads io(1);
    Link l = connect(io);
    QVERIFY(l.socket);
    l.socket->setMaxAllowedIncomingMessageSize(1024);
    const QString chunk(64 * 1024, QLatin1Char('a'));
    constexpr int Chunks = 64; // 4 MiB: far more than a socketpair's buffers
    for (int i = 0; i < Chunks; ++i)
        l.socket->sendTextMessage(chunk);
    QVERIFY(l.socket->bytesToWrite() > 0);
    // The peer reads nothing yet: what the kernel refused stays counted.
    QTRY_VERIFY_WITH_TIMEOUT(l.socket->bytesToWrite() > 2 * 1024 * 1024, WaitMs);
    QByteArray greeting;
    QVERIFY(l.peer->read(Greeting.size(), &greeting));
    for (int i = 0; i < Chunks; ++i) {
        int opcode = 0;
        QByteArray payload;
        QVERIFY(l.peer->frame(&opcode, &payload));
        QCOMPARE(payload.size(), chunk.size());
    }
    QTRY_COMPARE_WITH_TIMEOUT(l.socket->bytesToWrite(), 0, WaitMs);
}

void tst_IoThreads::closesBothWaysAndAbort()
{
    IoThreads io(2);
    {
        // The peer closes: the code and reason come with disconnected().
        Link l = connect(io);
        QVERIFY(l.socket);
        QSignalSpy gone(l.socket.get(), &WebSocketConnection::disconnected);
        l.socket->setMaxAllowedIncomingMessageSize(1024);
        QVERIFY(l.peer->write(wsFrame(0x8, closePayload(1000, "bye"))));
        QVERIFY(gone.wait(WaitMs));
        QCOMPARE(l.socket->closeCode(), 1000);
        QCOMPARE(l.socket->closeReason(), QStringLiteral("bye"));
        QCOMPARE(l.socket->state(), QAbstractSocket::UnconnectedState);
        QVERIFY(l.peer->waitForEof());
    }
    {
        // Warden closes: closing at once, messages that were on their way are not delivered,
        // and the end comes with the peer's answer.
        Link l = connect(io);
        QVERIFY(l.socket);
        QSignalSpy texts(l.socket.get(), &WebSocketConnection::textMessageReceived);
        QSignalSpy gone(l.socket.get(), &WebSocketConnection::disconnected);
        l.socket->setMaxAllowedIncomingMessageSize(1024);
        l.socket->sendTextMessage(QStringLiteral("last words"));
        l.socket->close(4001, QStringLiteral("shutting_down"));
        QCOMPARE(l.socket->state(), QAbstractSocket::ClosingState);
        QCOMPARE(gone.size(), 0); // never from inside close()
        QByteArray greeting;
        QVERIFY(l.peer->read(Greeting.size(), &greeting));
        int opcode = 0;
        QByteArray payload;
        QVERIFY(l.peer->frame(&opcode, &payload));
        QCOMPARE(payload, QByteArray("last words"));
        QVERIFY(l.peer->frame(&opcode, &payload));
        QCOMPARE(opcode, 0x8);
        QCOMPARE(payload, closePayload(4001, "shutting_down"));
        QVERIFY(l.peer->write(wsFrame(0x1, "too late") + wsFrame(0x8, closePayload(4001, {}))));
        QVERIFY(gone.wait(WaitMs));
        QCOMPARE(texts.size(), 0);
        QCOMPARE(l.socket->closeCode(), 4001);
    }
    {
        // abort(): disconnected() before it returns, the descriptor closed on the I/O thread.
        Link l = connect(io);
        QVERIFY(l.socket);
        QSignalSpy gone(l.socket.get(), &WebSocketConnection::disconnected);
        l.socket->setMaxAllowedIncomingMessageSize(1024);
        l.socket->abort();
        QCOMPARE(gone.size(), 1);
        QVERIFY(l.peer->waitForEof());
        l.socket->sendTextMessage(QStringLiteral("nothing")); // ignored, no crash
        QTest::qWait(0);
        QCOMPARE(gone.size(), 1); // the I/O thread's own report of the end is not a second one
    }
    {
        // Never handed over (dropped before the first call): the descriptor is closed here.
        Link l = connect(io);
        QVERIFY(l.socket);
        l.socket.reset();
        QVERIFY(l.peer->waitForEof());
    }
    QTRY_COMPARE(io.socketsAlive(), 0);
    QCOMPARE(io.load(), QList<int>({0, 0}));
}

void tst_IoThreads::floodStopsReadingUntilTaken()
{
    // This thread does not take the I/O thread's reports while the peer floods: after
    // MaxQueuedEvents messages the I/O thread stops reading, the kernel buffers fill and the
    // peer's writes stall. Nothing is lost: once this thread takes them, every message arrives,
    // in order, and reading resumes.
    IoThreads io(1);
    Link l = connect(io);
    QVERIFY(l.socket);
    qsizetype received = 0;
    bool inOrder = true;
    QObject::connect(l.socket.get(), &WebSocketConnection::textMessageReceived, l.socket.get(),
                     [&](const QString &text) {
                         inOrder = inOrder && text == QString::number(received);
                         ++received;
                     });
    l.socket->setMaxAllowedIncomingMessageSize(1024);
    ::fcntl(l.peer->fd(), F_SETFL, ::fcntl(l.peer->fd(), F_GETFL) | O_NONBLOCK);
    constexpr qsizetype Bound = 4 * IoThreads::MaxQueuedEvents;
    qsizetype sent = 0;
    bool stalled = false;
    QByteArray pending;
    while (sent < Bound || !pending.isEmpty()) {
        if (pending.isEmpty()) {
            for (int i = 0; i < 256 && sent < Bound; ++i)
                pending += wsFrame(0x1, QByteArray::number(sent++));
        }
        const ssize_t n
            = ::send(l.peer->fd(), pending.constData(), size_t(pending.size()), MSG_NOSIGNAL);
        if (n > 0) {
            pending.remove(0, n);
            continue;
        }
        QVERIFY2(n < 0 && errno == EAGAIN, strerror(errno));
        // Stalled for good: no room for a whole second while the I/O thread would be reading.
        pollfd p{l.peer->fd(), POLLOUT, 0};
        if (::poll(&p, 1, 1000) == 0) {
            stalled = true;
            break;
        }
    }
    QVERIFY2(stalled, "the I/O thread kept reading with nobody taking its messages");
    QVERIFY(sent < Bound);
    QCOMPARE(received, 0);
    // Taken now: everything arrives, and the rest of the flood gets through.
    while (!pending.isEmpty()) {
        QCoreApplication::processEvents();
        const ssize_t n
            = ::send(l.peer->fd(), pending.constData(), size_t(pending.size()), MSG_NOSIGNAL);
        if (n > 0)
            pending.remove(0, n);
        else
            QVERIFY(QTest::qWaitFor(
                [&] {
                    pollfd p{l.peer->fd(), POLLOUT, 0};
                    return ::poll(&p, 1, 0) > 0;
                },
                WaitMs));
    }
    QTRY_COMPARE_WITH_TIMEOUT(received, sent, 4 * WaitMs);
    QVERIFY(inOrder);
}

void tst_IoThreads::teardownWithConnectionsOpen()
{
    // The pool goes before its stand-ins (a worker's teardown): every descriptor is closed, the
    // threads end, and the stand-ins turn closed and forward nothing.
    auto io = std::make_unique<IoThreads>(2);
    std::vector<Link> links;
    for (int i = 0; i < 6; ++i) {
        links.push_back(connect(*io));
        QVERIFY(links.back().socket);
        if (i % 2 == 0) // half handed over, half not yet
            links.back().socket->setMaxAllowedIncomingMessageSize(1024);
    }
    io.reset();
    for (Link &l : links) {
        QVERIFY(l.peer->waitForEof());
        QCOMPARE(l.socket->state(), QAbstractSocket::UnconnectedState);
        l.socket->sendTextMessage(QStringLiteral("after"));
        l.socket->close(1000, QString());
    }
}

void tst_IoThreads::qtUpgradesRunOnIoThreads()
{
    // A socket whose request head was read and routed in this thread goes to an I/O thread,
    // whose own QWebSocketServer answers it; the QWebSocket then runs there behind a stand-in.
    IoThreads io(2);
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    QSignalSpy upgraded(&io, &IoThreads::upgraded);
    std::vector<std::unique_ptr<Peer>> peers;
    std::vector<std::unique_ptr<WebSocketConnection>> sockets;
    for (int i = 0; i < 2; ++i) {
        peers.push_back(std::make_unique<Peer>());
        Peer &peer = *peers.back();
        QVERIFY(peer.connectTo(server.serverPort()));
        QVERIFY(peer.write(UpgradeRequest));
        QTcpSocket *socket = accepted(server, UpgradeRequest.size());
        QVERIFY(socket);
        io.adoptUpgrade(socket, UpgradeRequest.size(), 64);
        QTRY_COMPARE_WITH_TIMEOUT(upgraded.size(), i + 1, WaitMs);
        sockets.emplace_back(upgraded.last().at(0).value<WebSocketConnection *>());
        WebSocketConnection *ws = sockets.back().get();
        QVERIFY(ws);
        QCOMPARE(ws->requestPath(), QStringLiteral("/chat"));
        QCOMPARE(ws->peerPort(), peer.localPort());
        QCOMPARE(ws->localPort(), server.serverPort());
        QByteArray answer;
        QVERIFY(peer.readUntil("\r\n\r\n", &answer));
        QVERIFY2(answer.startsWith("HTTP/1.1 101"), answer.constData());
        QVERIFY(answer.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));

        QSignalSpy texts(ws, &WebSocketConnection::textMessageReceived);
        QVERIFY(peer.write(wsFrame(0x1, "hello " + QByteArray::number(i))));
        QVERIFY(texts.wait(WaitMs));
        QCOMPARE(texts.at(0).at(0).toString(), QStringLiteral("hello %1").arg(i));
        ws->sendTextMessage(QStringLiteral("echo %1 \u00e9").arg(i));
        int opcode = 0;
        QByteArray payload;
        QVERIFY(peer.frame(&opcode, &payload));
        QCOMPARE(opcode, 0x1);
        QCOMPARE(QString::fromUtf8(payload), QStringLiteral("echo %1 \u00e9").arg(i));
    }
    // One on each thread, both QtWebSockets connections.
    QCOMPARE(io.load(), QList<int>({1, 1}));
    QCOMPARE(io.qtSocketsAlive(), 2);
    QCOMPARE(io.socketsAlive(), 2);

    // The limit handed over with the socket holds from the first frame: 100 bytes > 64.
    WebSocketConnection *ws = sockets[0].get();
    QSignalSpy texts(ws, &WebSocketConnection::textMessageReceived);
    QSignalSpy gone(ws, &WebSocketConnection::disconnected);
    QVERIFY(peers[0]->write(wsFrame(0x1, QByteArray(100, 'x'))));
    int opcode = 0;
    QByteArray payload;
    QVERIFY(peers[0]->frame(&opcode, &payload));
    QCOMPARE(opcode, 0x8);
    QCOMPARE(payload.left(2), closePayload(1009, {}));
    QVERIFY(peers[0]->write(wsFrame(0x8, closePayload(1009, {}))));
    QVERIFY(gone.wait(WaitMs));
    QCOMPARE(texts.size(), 0);
    QCOMPARE(ws->closeCode(), 1009);
    QCOMPARE(ws->closeReason(), QStringLiteral("message too big"));

    // Closed from this side: the close frame goes out from the I/O thread.
    WebSocketConnection *other = sockets[1].get();
    QSignalSpy otherGone(other, &WebSocketConnection::disconnected);
    other->close(1000, QStringLiteral("bye"));
    QVERIFY(peers[1]->frame(&opcode, &payload));
    QCOMPARE(opcode, 0x8);
    QCOMPARE(payload, closePayload(1000, "bye"));
    QVERIFY(peers[1]->write(wsFrame(0x8, closePayload(1000, {}))));
    QVERIFY(otherGone.wait(WaitMs));
    sockets.clear();
    QCOMPARE(io.load(), QList<int>({0, 0}));
    QTRY_COMPARE_WITH_TIMEOUT(io.socketsAlive(), 0, WaitMs);
    QCOMPARE(io.qtSocketsAlive(), 0);
}

void tst_IoThreads::qtUpgradeFailuresAreForgotten_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<qint64>("headBytes");
    QTest::addColumn<int>("refusedStatus"); // 0: none expected

    QByteArray noKey = UpgradeRequest;
    noKey.replace("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "");
    QTest::addRow("no key") << noKey << qint64(noKey.size()) << 0;
    // RFC 6455 4.1: nothing may come before the answer (QtWebSockets 6.4 would take it).
    QTest::addRow("data before the answer")
        << UpgradeRequest + wsFrame(0x1, "early") << qint64(UpgradeRequest.size()) << 400;
}

void tst_IoThreads::qtUpgradeFailuresAreForgotten()
{
    QFETCH(QByteArray, request);
    QFETCH(qint64, headBytes);
    QFETCH(int, refusedStatus);
    IoThreads io(1);
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    QSignalSpy upgraded(&io, &IoThreads::upgraded);
    QSignalSpy refused(&io, &IoThreads::refused);
    Peer peer;
    QVERIFY(peer.connectTo(server.serverPort()));
    QVERIFY(peer.write(request));
    QTcpSocket *socket = accepted(server, request.size());
    QVERIFY(socket);
    io.adoptUpgrade(socket, headBytes, 0);
    QCOMPARE(io.load(), QList<int>({1})); // counted while it is under way
    QVERIFY(peer.waitForEof());
    QTRY_COMPARE_WITH_TIMEOUT(io.load(), QList<int>({0}), WaitMs);
    QCOMPARE(upgraded.size(), 0);
    if (refusedStatus) {
        QTRY_COMPARE_WITH_TIMEOUT(refused.size(), 1, WaitMs);
        QCOMPARE(refused.at(0).at(0).toString(),
                 QStringLiteral("127.0.0.1:%1").arg(peer.localPort()));
        QCOMPARE(refused.at(0).at(1).toInt(), refusedStatus);
        QCOMPARE(refused.at(0).at(2).toString(),
                 QStringLiteral("data sent before the handshake response"));
    } else {
        QCOMPARE(refused.size(), 0);
    }
    QCOMPARE(io.socketsAlive(), 0);
}

void tst_IoThreads::teardownWithQtUpgradesUnderWay()
{
    // Sockets handed over and upgraded, or still in their upgrade, when the I/O threads end:
    // every one is dropped (the peers see EOF) and nothing is left behind (ASan, TSan runs).
    auto io = std::make_unique<IoThreads>(2);
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    std::vector<std::unique_ptr<Peer>> peers;
    std::vector<std::unique_ptr<WebSocketConnection>> sockets;
    QObject::connect(io.get(), &IoThreads::upgraded, this,
                     [&sockets](WebSocketConnection *ws) { sockets.emplace_back(ws); });
    for (int i = 0; i < 4; ++i) {
        peers.push_back(std::make_unique<Peer>());
        QVERIFY(peers.back()->connectTo(server.serverPort()));
        QVERIFY(peers.back()->write(UpgradeRequest));
        QTcpSocket *socket = accepted(server, UpgradeRequest.size());
        QVERIFY(socket);
        io->adoptUpgrade(socket, UpgradeRequest.size(), 0);
        if (i < 2) // the first two are open, the others may be anywhere in their upgrade
            QTRY_COMPARE_WITH_TIMEOUT(int(sockets.size()), i + 1, WaitMs);
    }
    io.reset();
    for (auto &peer : peers)
        QVERIFY(peer->waitForEof());
    for (auto &ws : sockets) {
        QCOMPARE(ws->state(), QAbstractSocket::UnconnectedState);
        ws->sendTextMessage(QStringLiteral("after"));
    }
}

void tst_IoThreads::tlsHandshakesRunOnIoThreads()
{
    // An accepted descriptor goes to an I/O thread for its TLS handshake; the socket comes back
    // to this thread encrypted, with whatever the client sent after the handshake.
    IoThreads io(2);
    RawListener listener;
    QVERIFY(listener.port() != 0);
    QSignalSpy encrypted(&io, &IoThreads::encrypted);
    std::vector<std::unique_ptr<QSslSocket>> clients;
    for (int i = 0; i < 2; ++i) {
        clients.push_back(std::make_unique<QSslSocket>());
        QSslSocket &client = *clients.back();
        client.setSslConfiguration(clientTls());
        client.connectToHostEncrypted(QStringLiteral("127.0.0.1"), listener.port());
        const int fd = listener.accept();
        QVERIFY(fd >= 0);
        io.handshake(fd, serverTls(), WaitMs);
        QCOMPARE(io.load().at(0) + io.load().at(1), 1); // counted while it is under way
        QVERIFY2(client.waitForEncrypted(WaitMs), qPrintable(client.errorString()));
        client.write("GET / HTTP/1.1\r\n\r\n");
        QTRY_COMPARE_WITH_TIMEOUT(encrypted.size(), i + 1, WaitMs);
        QCOMPARE(io.load(), QList<int>({0, 0}));
        std::unique_ptr<QTcpSocket> socket(encrypted.last().at(0).value<QTcpSocket *>());
        auto *ssl = qobject_cast<QSslSocket *>(socket.get());
        QVERIFY(ssl);
        QVERIFY(ssl->isEncrypted());
        QCOMPARE(ssl->thread(), QThread::currentThread());
        QCOMPARE(ssl->peerPort(), client.localPort());
        // Reading works here now: what came with or after the handshake, decrypted.
        QTRY_COMPARE_WITH_TIMEOUT(ssl->bytesAvailable(), qint64(18), WaitMs);
        QCOMPARE(ssl->readAll(), QByteArray("GET / HTTP/1.1\r\n\r\n"));
        ssl->write("HTTP/1.1 204 No Content\r\n\r\n");
        QTRY_VERIFY_WITH_TIMEOUT(client.bytesAvailable() >= 27, WaitMs);
        QCOMPARE(client.readAll(), QByteArray("HTTP/1.1 204 No Content\r\n\r\n"));
    }
}

void tst_IoThreads::tlsHandshakeTimesOut()
{
    // A client that never finishes its handshake (here: never starts it) is dropped by the I/O
    // thread after the timeout; one that goes away is forgotten; neither comes back.
    IoThreads io(1);
    RawListener listener;
    QSignalSpy encrypted(&io, &IoThreads::encrypted);
    QTcpSocket silent;
    QSignalSpy dropped(&silent, &QTcpSocket::disconnected);
    silent.connectToHost(QHostAddress::LocalHost, listener.port());
    int fd = listener.accept();
    QVERIFY(fd >= 0);
    io.handshake(fd, serverTls(), 300);
    QCOMPARE(io.load(), QList<int>({1}));
    QVERIFY(dropped.wait(WaitMs));
    QTRY_COMPARE_WITH_TIMEOUT(io.load(), QList<int>({0}), WaitMs);

    QTcpSocket leaving;
    leaving.connectToHost(QHostAddress::LocalHost, listener.port());
    fd = listener.accept();
    QVERIFY(fd >= 0);
    io.handshake(fd, serverTls(), 60000);
    leaving.abort();
    QTRY_COMPARE_WITH_TIMEOUT(io.load(), QList<int>({0}), WaitMs);

    // Under way when the threads end: dropped with them.
    auto ending = std::make_unique<IoThreads>(1);
    QTcpSocket waiting;
    QSignalSpy waitingDropped(&waiting, &QTcpSocket::disconnected);
    waiting.connectToHost(QHostAddress::LocalHost, listener.port());
    fd = listener.accept();
    QVERIFY(fd >= 0);
    ending->handshake(fd, serverTls(), 60000);
    ending.reset();
    QVERIFY(waitingDropped.wait(WaitMs));
    QCOMPARE(encrypted.size(), 0);
}

QTEST_GUILESS_MAIN(tst_IoThreads)
#include "tst_iothreads.moc"
