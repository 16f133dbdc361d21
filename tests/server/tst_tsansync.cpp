// SPDX-License-Identifier: MIT
// TsanSync's hand-offs. In a plain build these check delivery and order; in the TSan stage
// (.ci/tsan) they are also the proof that a hand-off is visible to ThreadSanitizer while the
// receiving thread posts to its own queue at the same time (Qt's queue lock is invisible to it).
#include "server/tsansync.h"

#include <QtCore/QThread>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

#include <atomic>
#include <memory>

namespace {
// Lives in the receiving thread: every hand-off it runs posts a burst of events to its own
// thread (what deleteLater() and queued self-calls do in the server thread), so that its posted-
// event list grows and shifts while the other thread keeps posting to it.
class Receiver final : public QObject
{
public:
    std::atomic<int> ran{0};
    std::atomic<int> selfPosted{0};
    QList<int> order; // receiving thread only, read after it finished

    void selfPost()
    {
        for (int i = 0; i < 8; ++i) {
            auto *o = new QObject;
            o->moveToThread(thread());
            o->deleteLater();
        }
        QCoreApplication::postEvent(this, new QEvent(QEvent::User));
    }

protected:
    bool event(QEvent *e) override
    {
        if (e->type() == QEvent::User) {
            selfPosted.fetch_add(1, std::memory_order_relaxed);
            return true;
        }
        return QObject::event(e);
    }
};
} // namespace

class tst_TsanSync : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void handOffsRunInOrderInTheReceivingThread();
    void postingWhileTheReceiverPostsToItself();
    void answersComeBackThroughTheSameMechanism();
};

void tst_TsanSync::handOffsRunInOrderInTheReceivingThread()
{
    QThread thread;
    auto box = std::make_unique<TsanSync::Mailbox>();
    box->moveToThread(&thread);
    thread.start();

    auto seen = std::make_shared<QList<int>>(); // written in the thread, read after it joined
    std::atomic<int> wrongThread{0};
    constexpr int count = 1000;
    for (int i = 0; i < count; ++i) {
        box->post([seen, i, &wrongThread, &thread] {
            if (QThread::currentThread() != &thread)
                wrongThread.fetch_add(1);
            seen->append(i);
        });
    }
    std::atomic<bool> done{false};
    box->post([&done] { done.store(true); });
    QTRY_VERIFY_WITH_TIMEOUT(done.load(), 10000);
    thread.quit();
    QVERIFY(thread.wait(10000));
    box.reset();

    QCOMPARE(wrongThread.load(), 0);
    QCOMPARE(seen->size(), count);
    for (int i = 0; i < count; ++i)
        QCOMPARE(seen->at(i), i);
}

// The pattern behind a report in the TSan stage at server stop: the main thread posted to the
// server thread's mailbox while the server thread posted deleteLater() to itself, and Qt's
// per-thread list (guarded by a futex TSan cannot see) moved its elements in both.
void tst_TsanSync::postingWhileTheReceiverPostsToItself()
{
    QThread thread;
    auto receiver = std::make_unique<Receiver>();
    auto box = std::make_unique<TsanSync::Mailbox>();
    receiver->moveToThread(&thread);
    box->moveToThread(&thread);
    thread.start();

    constexpr int rounds = 3000;
    Receiver *r = receiver.get();
    for (int i = 0; i < rounds; ++i) {
        box->post([r] {
            r->ran.fetch_add(1, std::memory_order_relaxed);
            r->selfPost();
        });
        if (i % 64 == 0)
            QThread::yieldCurrentThread();
    }
    QTRY_COMPARE_WITH_TIMEOUT(r->ran.load(), rounds, 30000);
    QTRY_COMPARE_WITH_TIMEOUT(r->selfPosted.load(), rounds, 30000);
    thread.quit();
    QVERIFY(thread.wait(10000));
    box.reset();
    receiver.reset();
}

// The other direction: the receiving thread hands results back to the main thread's mailbox
// while the main thread posts to itself.
void tst_TsanSync::answersComeBackThroughTheSameMechanism()
{
    QThread thread;
    auto worker = std::make_unique<TsanSync::Mailbox>();
    worker->moveToThread(&thread);
    TsanSync::Mailbox home; // main thread
    thread.start();

    constexpr int rounds = 2000;
    int answered = 0; // main thread only
    Receiver homeSelf; // main thread
    TsanSync::Mailbox *homeBox = &home;
    for (int i = 0; i < rounds; ++i) {
        worker->post([homeBox, &answered, i] {
            homeBox->post([&answered, i] {
                QCOMPARE(answered, i);
                ++answered;
            });
        });
        // The main thread's own posts meanwhile, as the dashboard's deleteLater()s and timers.
        homeSelf.selfPost();
        if (i % 32 == 0)
            QCoreApplication::processEvents();
    }
    QTRY_COMPARE_WITH_TIMEOUT(answered, rounds, 30000);
    QTRY_COMPARE_WITH_TIMEOUT(homeSelf.selfPosted.load(), rounds, 30000);
    thread.quit();
    QVERIFY(thread.wait(10000));
}

QTEST_GUILESS_MAIN(tst_TsanSync)
#include "tst_tsansync.moc"
