// SPDX-License-Identifier: MIT
#include "server/epolleventdispatcher.h"
#include "server/serverhost.h"
#include "server/tsansync.h"

#include <QtCore/QElapsedTimer>
#include <QtCore/QSocketNotifier>
#include <QtCore/QThread>
#include <QtCore/QTimer>
#include <QtNetwork/QTcpServer>
#include <QtNetwork/QTcpSocket>
#include <QtTest/QtTest>

#include <atomic>
#include <functional>
#include <limits>
#include <memory>
#include <thread>
#include <vector>

#include <sys/socket.h>
#include <unistd.h>

namespace {

// The checks below run inside the dispatcher's thread, where QTest's macros must not be used:
// a failed check returns its line and condition, and the test slot QCOMPAREs that to empty.
#define CHECK(cond) \
    do { \
        if (!(cond)) \
            return QStringLiteral("line %1: %2").arg(__LINE__).arg(QLatin1String(#cond)); \
    } while (false)

constexpr qint64 kMs = 1000 * 1000;

// A thread whose event dispatcher is an EpollEventDispatcher, running body() instead of exec().
class EpollThread final : public QThread
{
public:
    explicit EpollThread(std::function<QString(EpollEventDispatcher *)> body)
        : m_body(std::move(body))
        , m_dispatcher(new EpollEventDispatcher)
    {
        setEventDispatcher(m_dispatcher);
    }
    QString result;

protected:
    void run() override
    {
        if (QAbstractEventDispatcher::instance() != m_dispatcher)
            result = QStringLiteral("the thread does not use the epoll dispatcher");
        else
            result = m_body(m_dispatcher);
        TsanSync::release(this);
    }

private:
    std::function<QString(EpollEventDispatcher *)> m_body;
    EpollEventDispatcher *m_dispatcher;
};

QString runInEpollThread(std::function<QString(EpollEventDispatcher *)> body)
{
    EpollThread thread(std::move(body));
    thread.start();
    if (!thread.wait(120 * 1000))
        return QStringLiteral("the thread did not finish");
    TsanSync::acquire(&thread);
    return thread.result;
}

// Turns this thread's event loop until done() or timeoutMs; the guard timer makes sure a wait
// with nothing else pending ends.
bool waitFor(const std::function<bool()> &done, int timeoutMs = 20000)
{
    QTimer guard;
    guard.setSingleShot(true);
    guard.start(timeoutMs);
    while (!done()) {
        if (!guard.isActive())
            return false;
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
    }
    return true;
}

// Turns the event loop for ms milliseconds (for "this must NOT happen" checks).
void spin(int ms)
{
    bool over = false;
    QObject ctx;
    QTimer::singleShot(ms, Qt::PreciseTimer, &ctx, [&over] { over = true; });
    waitFor([&over] { return over; });
}

struct SocketPair
{
    int fds[2] = {-1, -1};
    SocketPair() { ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds); }
    ~SocketPair()
    {
        for (int fd : fds)
            if (fd >= 0)
                ::close(fd);
    }
    Q_DISABLE_COPY_MOVE(SocketPair)
    bool poke() { return ::write(fds[1], "x", 1) == 1; }
};

// Counts its timer events; kills or restarts timers from inside them as told.
class TimerTarget final : public QObject
{
public:
    int fired = 0;
    int restarts = 0; // restart a 0 ms timer from inside the event this many times
    std::vector<TimerTarget *> alsoKill; // and kill these objects' timers
    int timerId = 0;

protected:
    void timerEvent(QTimerEvent *e) override
    {
        ++fired;
        killTimer(e->timerId());
        for (TimerTarget *other : alsoKill) {
            if (other->timerId) {
                other->killTimer(other->timerId);
                other->timerId = 0;
            }
        }
        timerId = 0;
        if (restarts > 0) {
            --restarts;
            timerId = startTimer(0);
        }
    }
};

// TCP echo between clients and server sockets in the calling thread.
QString echoRound(EpollEventDispatcher *d, int clients, int payloadBytes)
{
    const int baseline = d->registeredSocketCount();
    QTcpServer server;
    server.setListenBacklogSize(clients + 16);
    CHECK(server.listen(QHostAddress::LocalHost, 0));
    std::vector<QTcpSocket *> accepted;
    QObject::connect(&server, &QTcpServer::newConnection, &server, [&server, &accepted] {
        while (QTcpSocket *s = server.nextPendingConnection()) {
            accepted.push_back(s);
            QObject::connect(s, &QTcpSocket::readyRead, s, [s] { s->write(s->readAll()); });
        }
    });
    QByteArray payload(payloadBytes, Qt::Uninitialized);
    for (int i = 0; i < payloadBytes; ++i)
        payload[i] = char('a' + i % 26);

    std::vector<std::unique_ptr<QTcpSocket>> sockets;
    std::vector<QByteArray> received(static_cast<size_t>(clients));
    for (int i = 0; i < clients; ++i) {
        auto socket = std::make_unique<QTcpSocket>();
        QTcpSocket *s = socket.get();
        QObject::connect(s, &QTcpSocket::readyRead, s,
                         [s, &received, i] { received[size_t(i)] += s->readAll(); });
        s->connectToHost(QHostAddress::LocalHost, server.serverPort());
        sockets.push_back(std::move(socket));
    }
    CHECK(waitFor([&] {
        for (const auto &s : sockets)
            if (s->state() != QAbstractSocket::ConnectedState)
                return false;
        return int(accepted.size()) == clients;
    }));
    // One epoll registration per fd, whatever notifiers it has.
    CHECK(d->registeredSocketCount() == baseline + 1 + 2 * clients);
    for (auto &s : sockets)
        s->write(payload);
    CHECK(waitFor([&] {
        for (const QByteArray &r : received)
            if (r.size() < payload.size())
                return false;
        return true;
    }));
    for (const QByteArray &r : received)
        CHECK(r == payload);

    for (auto &s : sockets)
        s->disconnectFromHost();
    CHECK(waitFor([&] {
        for (QTcpSocket *s : accepted)
            if (s->state() != QAbstractSocket::UnconnectedState)
                return false;
        return true;
    }));
    sockets.clear();
    CHECK(waitFor([&] { return d->registeredSocketCount() == baseline + 1; }));
    server.close();
    CHECK(d->registeredSocketCount() == baseline);
    return {};
}

} // namespace

class TestEpollEventDispatcher : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void tcpEchoWithLargeWrites();
    void manyNotifiers();
    void timersFireInDeadlineOrder();
    void timerPrecision();
    void longWaitEndsOnTime();
    void zeroTimersFireEveryTurn();
    void killTimerInsideItsEvent();
    void registeredTimersAndRemainingTime();
    void unregisterNotifierInsideActivation();
    void readAndWriteNotifiersShareOneRegistration();
    void excludeSocketNotifiers();
    void awakeAndAboutToBlock();
    void wakeUpFromAnotherThread();
    void postedEventsFromManyThreads();
    void quitInterruptsExec();
    void serverThreadUsesIt();
};

void TestEpollEventDispatcher::tcpEchoWithLargeWrites()
{
    // 256 KiB each way is more than the socket buffers: the write notifiers come into play.
    QCOMPARE(runInEpollThread([](EpollEventDispatcher *d) { return echoRound(d, 20, 256 * 1024); }),
             QString());
}

void TestEpollEventDispatcher::manyNotifiers()
{
    // 1,201 fds in the epoll set, twice over, so that fd numbers are reused.
    QCOMPARE(runInEpollThread([](EpollEventDispatcher *d) {
                 for (int round = 0; round < 2; ++round) {
                     const QString error = echoRound(d, 600, 64);
                     if (!error.isEmpty())
                         return error;
                 }
                 return QString();
             }),
             QString());
}

void TestEpollEventDispatcher::timersFireInDeadlineOrder()
{
    QCOMPARE(runInEpollThread([](EpollEventDispatcher *) {
                 QObject ctx;
                 QList<int> order;
                 for (int ms : {50, 10, 30, 0, 20, 40})
                     QTimer::singleShot(ms, Qt::PreciseTimer, &ctx, [&order, ms] { order << ms; });
                 CHECK(waitFor([&] { return order.size() == 6; }));
                 CHECK((order == QList<int>{0, 10, 20, 30, 40, 50}));
                 return QString();
             }),
             QString());
}

void TestEpollEventDispatcher::timerPrecision()
{
    QCOMPARE(runInEpollThread([](EpollEventDispatcher *) {
                 QObject ctx;
                 QElapsedTimer clock;
                 // Precise: never early; a shared machine may make it late, within reason.
                 clock.start();
                 qint64 preciseAt = -1;
                 QTimer::singleShot(100, Qt::PreciseTimer, &ctx,
                                    [&] { preciseAt = clock.nsecsElapsed(); });
                 CHECK(waitFor([&] { return preciseAt >= 0; }));
                 CHECK(preciseAt >= 100 * kMs);
                 CHECK(preciseAt < 400 * kMs);

                 // A repeating precise timer keeps its phase: tick k is due at k * interval.
                 QTimer repeating;
                 repeating.setTimerType(Qt::PreciseTimer);
                 repeating.setInterval(20);
                 std::vector<qint64> ticks;
                 QObject::connect(&repeating, &QTimer::timeout, &ctx,
                                  [&] { ticks.push_back(clock.nsecsElapsed()); });
                 clock.restart();
                 repeating.start();
                 CHECK(waitFor([&] { return ticks.size() >= 10; }));
                 repeating.stop();
                 for (size_t k = 0; k < ticks.size(); ++k)
                     CHECK(ticks[k] >= qint64(k + 1) * 20 * kMs);
                 CHECK(ticks[9] < 600 * kMs);

                 // Coarse: at most 5% early.
                 clock.restart();
                 qint64 coarseAt = -1;
                 QTimer::singleShot(200, Qt::CoarseTimer, &ctx,
                                    [&] { coarseAt = clock.nsecsElapsed(); });
                 CHECK(waitFor([&] { return coarseAt >= 0; }));
                 CHECK(coarseAt >= 190 * kMs);
                 CHECK(coarseAt < 600 * kMs);

                 // Very coarse: whole seconds, so 1 s fires between 0.5 and 1.5 s from now.
                 clock.restart();
                 qint64 veryCoarseAt = -1;
                 QTimer::singleShot(1000, Qt::VeryCoarseTimer, &ctx,
                                    [&] { veryCoarseAt = clock.nsecsElapsed(); });
                 CHECK(waitFor([&] { return veryCoarseAt >= 0; }));
                 CHECK(veryCoarseAt >= 490 * kMs);
                 CHECK(veryCoarseAt < 1900 * kMs);
                 return QString();
             }),
             QString());
}

void TestEpollEventDispatcher::longWaitEndsOnTime()
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    // Seen under ASan after the 1,200-socket test: the 3 s timerfd wake itself came 3-4 ms late
    // in every attempt (the same binary without ASan: 0.2 ms). A bound of a few ms says nothing
    // about an instrumented build; the plain build's run of this suite decides.
    QSKIP("timer precision is not measured in sanitizer builds");
#endif
    // A wait of seconds must not take the kernel's poll slack (0.1% of the timeout: 3 ms here,
    // up to 100 ms for the minutes a session deadline is away): it ends on a timerfd. Compared
    // with a 15 ms wait (slack 15 us), so that a loaded machine, which wakes both late, does not
    // decide; the best of three of each.
    QCOMPARE(runInEpollThread([](EpollEventDispatcher *) {
                 QObject ctx;
                 QElapsedTimer clock;
                 const auto lateness = [&](int ms, qint64 goodEnough) {
                     qint64 best = std::numeric_limits<qint64>::max();
                     for (int attempt = 0; attempt < 3 && best > goodEnough; ++attempt) {
                         qint64 firedAt = -1;
                         clock.start();
                         QTimer::singleShot(ms, Qt::PreciseTimer, &ctx,
                                            [&] { firedAt = clock.nsecsElapsed(); });
                         if (!waitFor([&] { return firedAt >= 0; }) || firedAt < ms * kMs)
                             return qint64(-1);
                         best = std::min(best, firedAt - ms * kMs);
                     }
                     return best;
                 };
                 const qint64 shortWait = lateness(15, 0);
                 CHECK(shortWait >= 0);
                 const qint64 longWait = lateness(3000, shortWait + kMs);
                 CHECK(longWait >= 0);
                 if (longWait > shortWait + 1500 * 1000)
                     return QStringLiteral("a 3 s precise timer fired %1 us late at best, a 15 ms "
                                           "one %2 us")
                         .arg(longWait / 1000)
                         .arg(shortWait / 1000);
                 return QString();
             }),
             QString());
}

void TestEpollEventDispatcher::zeroTimersFireEveryTurn()
{
    QCOMPARE(runInEpollThread([](EpollEventDispatcher *) {
                 QObject ctx;
                 int zeroTicks = 0;
                 QTimer zero;
                 zero.setInterval(0);
                 QObject::connect(&zero, &QTimer::timeout, &ctx, [&] { ++zeroTicks; });
                 zero.start();
                 // A busy zero timer starves neither posted events nor other timers.
                 bool posted = false;
                 QMetaObject::invokeMethod(
                     &ctx, [&] { posted = true; }, Qt::QueuedConnection);
                 bool later = false;
                 QTimer::singleShot(30, &ctx, [&] { later = true; });
                 CHECK(waitFor([&] { return posted && later; }));
                 CHECK(zeroTicks > 2);
                 // Exactly once per turn of the loop.
                 for (int turn = 0; turn < 5; ++turn) {
                     const int before = zeroTicks;
                     QCoreApplication::processEvents(QEventLoop::AllEvents);
                     CHECK(zeroTicks == before + 1);
                 }
                 return QString();
             }),
             QString());
}

void TestEpollEventDispatcher::killTimerInsideItsEvent()
{
    QCOMPARE(runInEpollThread([](EpollEventDispatcher *d) {
                 // Kills itself: one event, then nothing, and nothing left registered.
                 TimerTarget self;
                 self.timerId = self.startTimer(0);
                 spin(50);
                 CHECK(self.fired == 1);
                 CHECK(d->registeredTimers(&self).isEmpty());

                 // Two due together, each kills the other: exactly one of them fires.
                 TimerTarget a;
                 TimerTarget b;
                 a.alsoKill = {&b};
                 b.alsoKill = {&a};
                 a.timerId = a.startTimer(10, Qt::PreciseTimer);
                 b.timerId = b.startTimer(10, Qt::PreciseTimer);
                 spin(80);
                 CHECK(a.fired + b.fired == 1);
                 CHECK(d->registeredTimers(&a).isEmpty() && d->registeredTimers(&b).isEmpty());

                 // Kills itself and starts a new one (the id may be reused) from inside: each
                 // new timer fires once, on a later turn.
                 TimerTarget restarter;
                 restarter.restarts = 5;
                 restarter.timerId = restarter.startTimer(0);
                 CHECK(waitFor([&] { return restarter.fired == 6; }));
                 spin(30);
                 CHECK(restarter.fired == 6);
                 return QString();
             }),
             QString());
}

void TestEpollEventDispatcher::registeredTimersAndRemainingTime()
{
    QCOMPARE(runInEpollThread([](EpollEventDispatcher *d) {
                 QObject owner;
                 const int id = owner.startTimer(500, Qt::PreciseTimer);
                 const int other = owner.startTimer(30000, Qt::CoarseTimer);
                 const auto timers = d->registeredTimers(&owner);
                 CHECK(timers.size() == 2);
                 for (const auto &t : timers) {
                     CHECK(t.timerId == id || t.timerId == other);
                     CHECK(t.interval == (t.timerId == id ? 500 : 30000));
                     CHECK(t.timerType == (t.timerId == id ? Qt::PreciseTimer : Qt::CoarseTimer));
                 }
                 const int left = d->remainingTime(id);
                 CHECK(left > 300 && left <= 500);
                 owner.killTimer(id);
                 CHECK(d->remainingTime(id) == -1);
                 CHECK(d->registeredTimers(&owner).size() == 1);
                 owner.killTimer(other);
                 CHECK(d->registeredTimers(&owner).isEmpty());
                 return QString();
             }),
             QString());
}

void TestEpollEventDispatcher::unregisterNotifierInsideActivation()
{
    QCOMPARE(runInEpollThread([](EpollEventDispatcher *d) {
                 const int baseline = d->registeredSocketCount();
                 SocketPair p1;
                 SocketPair p2;
                 QSocketNotifier n1(p1.fds[0], QSocketNotifier::Read);
                 QSocketNotifier n2(p2.fds[0], QSocketNotifier::Read);
                 int activations = 0;
                 auto both = [&] {
                     ++activations;
                     n1.setEnabled(false);
                     n2.setEnabled(false);
                 };
                 QObject::connect(&n1, &QSocketNotifier::activated, &n1, both);
                 QObject::connect(&n2, &QSocketNotifier::activated, &n2, both);
                 CHECK(p1.poke() && p2.poke()); // both ready in the same turn
                 spin(50);
                 CHECK(activations == 1);
                 CHECK(d->registeredSocketCount() == baseline);

                 // Deleted from inside its own activation.
                 SocketPair p3;
                 auto *n3 = new QSocketNotifier(p3.fds[0], QSocketNotifier::Read);
                 int n3Activations = 0;
                 QObject::connect(n3, &QSocketNotifier::activated, n3, [&n3Activations, n3] {
                     ++n3Activations;
                     n3->setEnabled(false);
                     n3->deleteLater();
                 });
                 CHECK(p3.poke());
                 QPointer<QSocketNotifier> guard(n3);
                 CHECK(waitFor([&] { return guard.isNull(); }));
                 CHECK(n3Activations == 1);
                 CHECK(d->registeredSocketCount() == baseline);
                 return QString();
             }),
             QString());
}

void TestEpollEventDispatcher::readAndWriteNotifiersShareOneRegistration()
{
    QCOMPARE(runInEpollThread([](EpollEventDispatcher *d) {
                 const int baseline = d->registeredSocketCount();
                 SocketPair p;
                 QSocketNotifier read(p.fds[0], QSocketNotifier::Read);
                 QSocketNotifier write(p.fds[0], QSocketNotifier::Write);
                 CHECK(d->registeredSocketCount() == baseline + 1);
                 int reads = 0;
                 int writes = 0;
                 QObject::connect(&write, &QSocketNotifier::activated, &write, [&] {
                     ++writes;
                     write.setEnabled(false);
                 });
                 QObject::connect(&read, &QSocketNotifier::activated, &read, [&] {
                     ++reads;
                     char c;
                     if (::read(p.fds[0], &c, 1) != 1)
                         reads = -1000; // fails the checks below
                 });
                 CHECK(waitFor([&] { return writes == 1; })); // a socket is writable at once
                 spin(20);
                 CHECK(writes == 1 && reads == 0);
                 CHECK(d->registeredSocketCount() == baseline + 1);
                 CHECK(p.poke());
                 CHECK(waitFor([&] { return reads == 1; }));
                 spin(20);
                 CHECK(reads == 1); // level-triggered, but the byte was read
                 CHECK(p.poke());
                 CHECK(waitFor([&] { return reads == 2; }));
                 read.setEnabled(false);
                 CHECK(d->registeredSocketCount() == baseline);
                 return QString();
             }),
             QString());
}

void TestEpollEventDispatcher::excludeSocketNotifiers()
{
    QCOMPARE(runInEpollThread([](EpollEventDispatcher *) {
                 SocketPair p;
                 QSocketNotifier n(p.fds[0], QSocketNotifier::Read);
                 int activations = 0;
                 QObject::connect(&n, &QSocketNotifier::activated, &n, [&] {
                     ++activations;
                     n.setEnabled(false);
                 });
                 CHECK(p.poke());
                 for (int i = 0; i < 5; ++i)
                     QCoreApplication::processEvents(QEventLoop::ExcludeSocketNotifiers);
                 CHECK(activations == 0);
                 CHECK(waitFor([&] { return activations == 1; }));
                 return QString();
             }),
             QString());
}

void TestEpollEventDispatcher::awakeAndAboutToBlock()
{
    QCOMPARE(runInEpollThread([](EpollEventDispatcher *d) {
                 int awake = 0;
                 int aboutToBlock = 0;
                 QObject ctx;
                 QObject::connect(d, &QAbstractEventDispatcher::awake, &ctx, [&] { ++awake; });
                 QObject::connect(d, &QAbstractEventDispatcher::aboutToBlock, &ctx,
                                  [&] { ++aboutToBlock; });
                 spin(30);
                 CHECK(awake > 0 && aboutToBlock > 0);
                 // A turn that may not wait does not announce that it blocks.
                 const int blocked = aboutToBlock;
                 QCoreApplication::processEvents(QEventLoop::AllEvents);
                 CHECK(aboutToBlock == blocked);
                 return QString();
             }),
             QString());
}

void TestEpollEventDispatcher::wakeUpFromAnotherThread()
{
    // The thread waits with no timer and no socket: only wakeUp() can end each wait. A lost
    // wakeup leaves it blocked and QTRY_COMPARE fails.
    std::atomic<int> generation{0};
    std::atomic<int> seen{0};
    std::atomic<bool> stop{false};
    std::atomic<EpollEventDispatcher *> dispatcher{nullptr};
    EpollThread thread([&](EpollEventDispatcher *d) {
        dispatcher.store(d);
        while (!stop.load()) {
            d->processEvents(QEventLoop::WaitForMoreEvents);
            seen.store(generation.load());
        }
        return QString();
    });
    thread.start();
    QTRY_VERIFY(dispatcher.load() != nullptr);
    for (int i = 1; i <= 200; ++i) {
        generation.store(i);
        dispatcher.load()->wakeUp();
        QTRY_COMPARE(seen.load(), i);
    }
    stop.store(true);
    dispatcher.load()->wakeUp();
    QVERIFY(thread.wait(10000));
    TsanSync::acquire(&thread);
    QCOMPARE(thread.result, QString());
}

void TestEpollEventDispatcher::postedEventsFromManyThreads()
{
    // Four threads post 1,000 hand-offs each to a mailbox in the epoll thread; all arrive.
    QThread thread;
    thread.setEventDispatcher(new EpollEventDispatcher);
    auto *mailbox = new TsanSync::Mailbox;
    mailbox->moveToThread(&thread);
    connect(&thread, &QThread::finished, mailbox, &QObject::deleteLater);
    std::atomic<int> delivered{0};
    thread.start();
    std::vector<std::thread> posters;
    for (int t = 0; t < 4; ++t) {
        posters.emplace_back([mailbox, &delivered] {
            for (int i = 0; i < 1000; ++i)
                mailbox->post([&delivered] { delivered.fetch_add(1); });
        });
    }
    for (auto &p : posters)
        p.join();
    QTRY_COMPARE(delivered.load(), 4000);
    thread.quit();
    QVERIFY(thread.wait(10000));
}

void TestEpollEventDispatcher::quitInterruptsExec()
{
    // QThread::quit() from this thread ends exec() in the other one (interrupt()).
    QThread thread;
    auto *dispatcher = new EpollEventDispatcher;
    thread.setEventDispatcher(dispatcher);
    QCOMPARE(thread.eventDispatcher(), dispatcher);
    auto *mailbox = new TsanSync::Mailbox;
    mailbox->moveToThread(&thread);
    connect(&thread, &QThread::finished, mailbox, &QObject::deleteLater);
    std::atomic<bool> ran{false};
    thread.start();
    mailbox->post([&ran] { ran.store(true); });
    QTRY_VERIFY(ran.load());
    QElapsedTimer clock;
    clock.start();
    thread.quit();
    QVERIFY(thread.wait(5000));
    QVERIFY(clock.elapsed() < 5000);
}

void TestEpollEventDispatcher::serverThreadUsesIt()
{
    const QByteArray saved = qgetenv("WARDEN_EVENT_DISPATCHER");
    // Unset: the server thread runs on epoll; WARDEN_EVENT_DISPATCHER=qt keeps Qt's own.
    for (const bool escapeHatch : {false, true}) {
        if (escapeHatch)
            qputenv("WARDEN_EVENT_DISPATCHER", "qt");
        else
            qunsetenv("WARDEN_EVENT_DISPATCHER");
        ServerHost host;
        int kind = -1;
        host.call<int>(
            this,
            [](ServerWorker &) {
                return qobject_cast<EpollEventDispatcher *>(QAbstractEventDispatcher::instance())
                           ? 1
                           : 0;
            },
            [&kind](const int &k) { kind = k; });
        QTRY_VERIFY(kind != -1);
        QCOMPARE(kind, escapeHatch ? 0 : 1);
    }
    if (saved.isNull())
        qunsetenv("WARDEN_EVENT_DISPATCHER");
    else
        qputenv("WARDEN_EVENT_DISPATCHER", saved);
}

QTEST_GUILESS_MAIN(TestEpollEventDispatcher)
#include "tst_epolleventdispatcher.moc"
