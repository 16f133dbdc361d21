// SPDX-License-Identifier: MIT
// TcpListener: the raw accept path of the native transport, with real sockets on loopback.
#include "server/tcplistener.h"

#include <QtCore/QElapsedTimer>
#include <QtNetwork/QTcpSocket>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

class tst_TcpListener : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void cleanup();
    void acceptsWithAddressesAndFlags();
    void dualStackAnyTakesBothFamilies();
    void busyPortIsRefusedWithReason();
    void runningOutOfDescriptorsPausesThenResumes();
    void closingStopsListening();

private:
    // Records every accepted connection and closes its descriptor at cleanup.
    struct Recorder
    {
        std::vector<TcpListener::Accepted> accepted;
        QStringList errors;
        TcpListener::Handler handler()
        {
            return [this](const TcpListener::Accepted &a) {
                accepted.push_back(a);
            };
        }
        TcpListener::ErrorHandler errorHandler()
        {
            return [this](const QString &reason) {
                errors.append(reason);
            };
        }
        ~Recorder()
        {
            for (const auto &a : accepted)
                ::close(a.fd);
        }
    };
    rlimit m_savedLimit{};
    bool m_limitChanged = false;
};

void tst_TcpListener::cleanup()
{
    if (m_limitChanged) {
        ::setrlimit(RLIMIT_NOFILE, &m_savedLimit);
        m_limitChanged = false;
    }
}

void tst_TcpListener::acceptsWithAddressesAndFlags()
{
    Recorder r;
    TcpListener listener(r.handler(), r.errorHandler());
    QString error;
    QVERIFY2(listener.listen(QHostAddress::LocalHost, 0, 128, &error), qPrintable(error));
    QVERIFY(listener.port() != 0);
    QCOMPARE(listener.address(), QHostAddress(QHostAddress::LocalHost));

    QTcpSocket client;
    client.connectToHost(QHostAddress::LocalHost, listener.port());
    QVERIFY(client.waitForConnected(5000));
    QTRY_COMPARE(r.accepted.size(), size_t(1));
    const TcpListener::Accepted &a = r.accepted.front();
    QCOMPARE(a.peerAddress, QHostAddress(QHostAddress::LocalHost));
    QCOMPARE(a.peerPort, client.localPort());
    QCOMPARE(a.localAddress, QHostAddress(QHostAddress::LocalHost));
    QCOMPARE(a.localPort, listener.port());
    QVERIFY(::fcntl(a.fd, F_GETFL) & O_NONBLOCK);
    QVERIFY(::fcntl(a.fd, F_GETFD) & FD_CLOEXEC);
    int noDelay = 0;
    socklen_t len = sizeof noDelay;
    QVERIFY(::getsockopt(a.fd, IPPROTO_TCP, TCP_NODELAY, &noDelay, &len) == 0);
    QVERIFY(noDelay); // inherited from the listening socket

    // The descriptor is the connection: bytes go both ways.
    client.write("ping");
    QVERIFY(client.waitForBytesWritten(5000));
    QByteArray got;
    const auto readSome = [&got, fd = a.fd] { // keeps what it read: QTRY evaluates it again
        char buf[8];
        const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0)
            got.append(buf, qsizetype(n));
        return got;
    };
    QTRY_COMPARE(readSome(), QByteArray("ping"));
    QCOMPARE(::send(a.fd, "pong", 4, MSG_NOSIGNAL), ssize_t(4));
    QVERIFY(client.waitForReadyRead(5000));
    QCOMPARE(client.readAll(), QByteArray("pong"));
    QVERIFY(r.errors.isEmpty());
}

void tst_TcpListener::dualStackAnyTakesBothFamilies()
{
    {
        QTcpSocket probe; // no IPv6 loopback here: nothing to test
        probe.bind(QHostAddress::LocalHostIPv6, 0);
        if (probe.state() != QAbstractSocket::BoundState)
            QSKIP("no IPv6 loopback on this machine");
    }
    Recorder r;
    TcpListener listener(r.handler(), r.errorHandler());
    QString error;
    QVERIFY2(listener.listen(QHostAddress::Any, 0, 128, &error), qPrintable(error));
    QTcpSocket v4;
    QTcpSocket v6;
    v4.connectToHost(QHostAddress::LocalHost, listener.port());
    v6.connectToHost(QHostAddress::LocalHostIPv6, listener.port());
    QVERIFY(v4.waitForConnected(5000));
    QVERIFY(v6.waitForConnected(5000));
    QTRY_COMPARE(r.accepted.size(), size_t(2));
    for (const TcpListener::Accepted &a : r.accepted) {
        // A wildcard listener asks the kernel which address the connection came in on.
        QVERIFY(!a.localAddress.isNull());
        QVERIFY(a.localAddress != QHostAddress(QHostAddress::Any));
        QVERIFY(a.localAddress.isLoopback());
        QCOMPARE(a.localPort, listener.port());
        QVERIFY(a.peerAddress.isLoopback());
    }
}

void tst_TcpListener::busyPortIsRefusedWithReason()
{
    Recorder r;
    TcpListener first(r.handler(), r.errorHandler());
    QString error;
    QVERIFY(first.listen(QHostAddress::LocalHost, 0, 16, &error));
    TcpListener second(r.handler(), r.errorHandler());
    QVERIFY(!second.listen(QHostAddress::LocalHost, first.port(), 16, &error));
    QCOMPARE(error, QStringLiteral("Address already in use"));
    QCOMPARE(second.port(), quint16(0));
}

void tst_TcpListener::runningOutOfDescriptorsPausesThenResumes()
{
    Recorder r;
    TcpListener listener(r.handler(), r.errorHandler());
    QString error;
    QVERIFY(listener.listen(QHostAddress::LocalHost, 0, 16, &error));
    QTcpSocket client;
    client.connectToHost(QHostAddress::LocalHost, listener.port());
    QVERIFY(client.waitForConnected(5000)); // in the listen queue, not accepted yet

    // No descriptor number is free below the limit: accept4() fails with EMFILE.
    QVERIFY(::getrlimit(RLIMIT_NOFILE, &m_savedLimit) == 0);
    const int lowestFree = ::dup(0);
    QVERIFY(lowestFree >= 0);
    ::close(lowestFree);
    rlimit tight = m_savedLimit;
    tight.rlim_cur = rlim_t(lowestFree);
    QVERIFY(::setrlimit(RLIMIT_NOFILE, &tight) == 0);
    m_limitChanged = true;
    QElapsedTimer tightFor;
    tightFor.start();

    QTRY_VERIFY(!r.errors.isEmpty());
    QVERIFY2(r.errors.first().contains(QLatin1String("Too many open files"))
                 && r.errors.first().contains(QLatin1String("paused for 100 ms")),
             qPrintable(r.errors.first()));
    QVERIFY(r.accepted.empty());

    cleanup(); // the limit back: the pause ends and the waiting connection is taken
    const qint64 tightMs = tightFor.elapsed();
    QTRY_COMPARE(r.accepted.size(), size_t(1));
    QCOMPARE(r.accepted.front().peerPort, client.localPort());
    // One report per pause, not one per wake-up: the pause is not a busy loop.
    QVERIFY2(r.errors.size() <= tightMs / TcpListener::PauseMs + 2,
             qPrintable(QStringLiteral("%1 reports in %2 ms").arg(r.errors.size()).arg(tightMs)));
}

void tst_TcpListener::closingStopsListening()
{
    Recorder r;
    quint16 port = 0;
    {
        TcpListener listener(r.handler(), r.errorHandler());
        QString error;
        QVERIFY(listener.listen(QHostAddress::LocalHost, 0, 16, &error));
        port = listener.port();
    }
    QTcpSocket client;
    client.connectToHost(QHostAddress::LocalHost, port);
    QVERIFY(!client.waitForConnected(5000));
    QCOMPARE(client.error(), QAbstractSocket::ConnectionRefusedError);
    // The port is free again at once (SO_REUSEADDR): a new listener takes it.
    TcpListener again(r.handler(), r.errorHandler());
    QString error;
    QVERIFY2(again.listen(QHostAddress::LocalHost, port, 16, &error), qPrintable(error));
}

QTEST_GUILESS_MAIN(tst_TcpListener)
#include "tst_tcplistener.moc"
