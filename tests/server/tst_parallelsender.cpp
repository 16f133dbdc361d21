// SPDX-License-Identifier: MIT
#include "server/parallelsender.h"

#include <QtTest/QtTest>

#include <cerrno>
#include <memory>
#include <vector>

#include <sys/socket.h>
#include <unistd.h>

namespace {

// Connected non-blocking stream socket pairs: the sender writes to writer(i), the test reads
// reader(i).
class Pairs final
{
public:
    explicit Pairs(int count)
    {
        for (int i = 0; i < count; ++i) {
            int fds[2] = {-1, -1};
            if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0)
                break;
            m_fds.push_back(fds[0]);
            m_fds.push_back(fds[1]);
        }
    }
    ~Pairs()
    {
        for (int fd : m_fds)
            if (fd >= 0)
                ::close(fd);
    }
    Q_DISABLE_COPY_MOVE(Pairs)

    int count() const { return int(m_fds.size() / 2); }
    int writer(int i) const { return m_fds[2 * size_t(i)]; }
    int reader(int i) const { return m_fds[2 * size_t(i) + 1]; }
    void closeReader(int i)
    {
        ::close(m_fds[2 * size_t(i) + 1]);
        m_fds[2 * size_t(i) + 1] = -1;
    }
    std::vector<ParallelSender::Target> targets() const
    {
        std::vector<ParallelSender::Target> t;
        for (int i = 0; i < count(); ++i)
            t.push_back({writer(i), -1, -1});
        return t;
    }
    // Everything readable on reader(i) now.
    QByteArray drain(int i) const
    {
        QByteArray out;
        char buf[65536];
        for (;;) {
            const ssize_t r = ::read(reader(i), buf, sizeof buf);
            if (r <= 0)
                return out;
            out.append(buf, r);
        }
    }

private:
    std::vector<int> m_fds;
};

} // namespace

class TestParallelSender final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void everySocketGetsTheBytes_data();
    void everySocketGetsTheBytes();
    void manyCallsInARow();
    void fullSocketsReportWhatTheyTook();
    void closedPeerIsAnErrorNotASignal();
    void defaultHelpersFollowTheEnvironment();
};

void TestParallelSender::everySocketGetsTheBytes_data()
{
    QTest::addColumn<int>("helpers");
    QTest::addColumn<int>("sockets");
    for (int helpers : {0, 1, 3}) {
        for (int sockets : {1, 64, 65, 1500}) {
            QTest::addRow("%d helpers, %d sockets", helpers, sockets) << helpers << sockets;
        }
    }
}

void TestParallelSender::everySocketGetsTheBytes()
{
    QFETCH(int, helpers);
    QFETCH(int, sockets);
    ParallelSender sender(helpers);
    QCOMPARE(sender.helpers(), helpers);
    Pairs pairs(sockets);
    QCOMPARE(pairs.count(), sockets);
    const QByteArray bytes = QByteArrayLiteral("\x81\x05hello");
    std::vector<ParallelSender::Target> targets = pairs.targets();
    sender.sendToAll(bytes, targets);
    for (int i = 0; i < sockets; ++i) {
        QCOMPARE(targets[size_t(i)].error, 0);
        QCOMPARE(targets[size_t(i)].sent, bytes.size());
        QCOMPARE(pairs.drain(i), bytes);
    }
}

void TestParallelSender::manyCallsInARow()
{
    // The helpers are woken and waited for once per call: a call must never return while a
    // helper still writes, nor a helper miss a call (under TSan in CI).
    ParallelSender sender(2);
    Pairs pairs(300);
    for (int call = 0; call < 50; ++call) {
        const QByteArray bytes = QByteArray::number(call).append('|');
        std::vector<ParallelSender::Target> targets = pairs.targets();
        sender.sendToAll(bytes, targets);
        for (const ParallelSender::Target &t : targets)
            QCOMPARE(t.sent, bytes.size());
    }
    QByteArray expected;
    for (int call = 0; call < 50; ++call)
        expected.append(QByteArray::number(call)).append('|');
    for (int i = 0; i < pairs.count(); ++i)
        QCOMPARE(pairs.drain(i), expected);
}

void TestParallelSender::fullSocketsReportWhatTheyTook()
{
    ParallelSender sender(1);
    Pairs pairs(200);
    // Every even socket's buffer is full already: the kernel takes nothing (EAGAIN is not an
    // error). The odd ones take a part of a large write.
    for (int i = 0; i < pairs.count(); i += 2) {
        const QByteArray chunk(65536, 'x');
        while (::send(pairs.writer(i), chunk.constData(), size_t(chunk.size()), MSG_NOSIGNAL) > 0) {
        }
        QCOMPARE(errno, EAGAIN);
    }
    const QByteArray big(16 * 1024 * 1024, 'y');
    std::vector<ParallelSender::Target> targets = pairs.targets();
    sender.sendToAll(big, targets);
    for (int i = 0; i < pairs.count(); ++i) {
        const ParallelSender::Target &t = targets[size_t(i)];
        QCOMPARE(t.error, 0);
        if (i % 2 == 0) {
            QCOMPARE(t.sent, qsizetype(0));
        } else {
            QVERIFY2(t.sent > 0 && t.sent < big.size(), qPrintable(QString::number(t.sent)));
            QCOMPARE(pairs.drain(i), big.left(t.sent));
        }
    }
}

void TestParallelSender::closedPeerIsAnErrorNotASignal()
{
    // A peer that is gone: EPIPE in the target, and no SIGPIPE takes the process down.
    ParallelSender sender(1);
    Pairs pairs(100);
    for (int i = 0; i < pairs.count(); i += 3)
        pairs.closeReader(i);
    std::vector<ParallelSender::Target> targets = pairs.targets();
    sender.sendToAll(QByteArrayLiteral("bye"), targets);
    for (int i = 0; i < pairs.count(); ++i) {
        const ParallelSender::Target &t = targets[size_t(i)];
        if (i % 3 == 0) {
            QCOMPARE(t.error, EPIPE);
            QCOMPARE(t.sent, qsizetype(0));
        } else {
            QCOMPARE(t.error, 0);
            QCOMPARE(pairs.drain(i), QByteArrayLiteral("bye"));
        }
    }
}

void TestParallelSender::defaultHelpersFollowTheEnvironment()
{
    const QByteArray saved = qgetenv("WARDEN_SEND_THREADS");
    qputenv("WARDEN_SEND_THREADS", "0");
    QCOMPARE(ParallelSender::defaultHelpers(), 0);
    qputenv("WARDEN_SEND_THREADS", "5");
    QCOMPARE(ParallelSender::defaultHelpers(), 5);
    // Not a number, or out of range: the machine's default.
    qunsetenv("WARDEN_SEND_THREADS");
    const int machine = ParallelSender::defaultHelpers();
    QCOMPARE(machine, qBound(0, QThread::idealThreadCount() - 1, 3));
    qputenv("WARDEN_SEND_THREADS", "many");
    QCOMPARE(ParallelSender::defaultHelpers(), machine);
    qputenv("WARDEN_SEND_THREADS", "9");
    QCOMPARE(ParallelSender::defaultHelpers(), machine);
    if (saved.isNull())
        qunsetenv("WARDEN_SEND_THREADS");
    else
        qputenv("WARDEN_SEND_THREADS", saved);
}

QTEST_GUILESS_MAIN(TestParallelSender)
#include "tst_parallelsender.moc"
