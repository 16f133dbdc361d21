// SPDX-License-Identifier: MIT
#include "server/memorytrim.h"

#include <QtCore/QElapsedTimer>
#include <QtCore/QThread>
#include <QtTest/QtTest>

class TestMemoryTrim : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void belowThresholdNeverTrims();
    void trimsOnceAfterTheWave();
    void waitsUntilTheWaveIsOver();
    void worksInTheThreadOfItsOwner();
};

void TestMemoryTrim::belowThresholdNeverTrims()
{
    MemoryTrim trim;
    trim.setThreshold(10);
    trim.setQuietMs(5);
    for (int i = 0; i < 9; ++i)
        trim.released();
    // Far longer than the quiet period: nothing may happen.
    QTest::qWait(100);
    QCOMPARE(trim.trims(), 0);
}

void TestMemoryTrim::trimsOnceAfterTheWave()
{
    MemoryTrim trim;
    trim.setThreshold(10);
    trim.setQuietMs(5);
    for (int i = 0; i < 25; ++i)
        trim.released();
    QTRY_COMPARE(trim.trims(), 1);
    QTest::qWait(50);
    QCOMPARE(trim.trims(), 1); // one wave, one trim
    // The count starts again after a trim.
    for (int i = 0; i < 9; ++i)
        trim.released();
    QTest::qWait(50);
    QCOMPARE(trim.trims(), 1);
    trim.released();
    QTRY_COMPARE(trim.trims(), 2);
}

void TestMemoryTrim::waitsUntilTheWaveIsOver()
{
    MemoryTrim trim;
    trim.setThreshold(1);
    trim.setQuietMs(200);
    QElapsedTimer wave;
    wave.start();
    // Releases keep coming every 20 ms for 400 ms: the trim must not run in between.
    while (wave.elapsed() < 400) {
        trim.released();
        QTest::qWait(20);
        if (wave.elapsed() < 380)
            QCOMPARE(trim.trims(), 0);
    }
    QTRY_COMPARE_WITH_TIMEOUT(trim.trims(), 1, 2000);
}

void TestMemoryTrim::worksInTheThreadOfItsOwner()
{
    // As in ServerWorker: a member of an object that is moved into the server thread.
    QThread thread;
    QObject owner;
    auto *trim = new MemoryTrim(&owner);
    trim->setThreshold(3);
    trim->setQuietMs(5);
    owner.moveToThread(&thread);
    QCOMPARE(trim->thread(), &thread);
    thread.start();
    auto trimsSoFar = [trim] {
        int n = -1;
        QMetaObject::invokeMethod(
            trim, [trim, &n] { n = trim->trims(); }, Qt::BlockingQueuedConnection);
        return n;
    };
    for (int i = 0; i < 3; ++i)
        QMetaObject::invokeMethod(
            trim, [trim] { trim->released(); }, Qt::QueuedConnection);
    QTRY_COMPARE(trimsSoFar(), 1);
    QMetaObject::invokeMethod(
        &owner, [&owner] { owner.moveToThread(QCoreApplication::instance()->thread()); },
        Qt::BlockingQueuedConnection);
    thread.quit();
    QVERIFY(thread.wait(5000));
}

QTEST_GUILESS_MAIN(TestMemoryTrim)
#include "tst_memorytrim.moc"
