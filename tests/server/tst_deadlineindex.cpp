// SPDX-License-Identifier: MIT
#include "server/deadlineindex.h"

#include <QtCore/QRandomGenerator>
#include <QtTest/QTest>

#include <algorithm>
#include <limits>
#include <map>

using Key = DeadlineIndex::Key;

class tst_DeadlineIndex : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void emptyIndex();
    void scheduleAndQuery();
    void takeDueInDeadlineOrder();
    void takeDueBoundaryIsInclusive();
    void equalDeadlines();
    void moveEarlierAndLater();
    void rescheduleToSameDeadline();
    void removeMissingKey();
    void takeDueWithNothingDue();
    void clear();
    void randomizedAgainstReference();
};

void tst_DeadlineIndex::emptyIndex()
{
    DeadlineIndex idx;
    QVERIFY(idx.isEmpty());
    QCOMPARE(idx.size(), qsizetype(0));
    QVERIFY(!idx.nearest().has_value());
    QVERIFY(!idx.contains(1));
    QVERIFY(!idx.deadlineOf(1).has_value());
    QVERIFY(idx.takeDue(std::numeric_limits<qint64>::max()).isEmpty());
}

void tst_DeadlineIndex::scheduleAndQuery()
{
    DeadlineIndex idx;
    idx.schedule(10, 500);
    idx.schedule(20, 300);
    idx.schedule(30, 900);
    QCOMPARE(idx.size(), qsizetype(3));
    QVERIFY(!idx.isEmpty());
    QVERIFY(idx.contains(10));
    QVERIFY(idx.contains(20));
    QVERIFY(!idx.contains(40));
    QCOMPARE(idx.deadlineOf(10), std::optional<qint64>(500));
    QCOMPARE(idx.deadlineOf(30), std::optional<qint64>(900));
    QCOMPARE(idx.nearest(), std::optional<qint64>(300));

    QVERIFY(idx.remove(20));
    QVERIFY(!idx.contains(20));
    QVERIFY(!idx.deadlineOf(20).has_value());
    QCOMPARE(idx.nearest(), std::optional<qint64>(500));
    QCOMPARE(idx.size(), qsizetype(2));

    // Negative deadlines are ordinary values.
    idx.schedule(50, -7);
    QCOMPARE(idx.nearest(), std::optional<qint64>(-7));
}

void tst_DeadlineIndex::takeDueInDeadlineOrder()
{
    DeadlineIndex idx;
    idx.schedule(1, 400);
    idx.schedule(2, 100);
    idx.schedule(3, 300);
    idx.schedule(4, 200);
    idx.schedule(5, 1000);

    QCOMPARE(idx.takeDue(350), (QList<Key>{2, 4, 3}));
    QCOMPARE(idx.size(), qsizetype(2));
    QVERIFY(!idx.contains(2));
    QVERIFY(!idx.contains(3));
    QVERIFY(!idx.contains(4));
    QCOMPARE(idx.nearest(), std::optional<qint64>(400));
    // Taken keys are gone: a second call at the same time yields nothing.
    QVERIFY(idx.takeDue(350).isEmpty());
    QCOMPARE(idx.takeDue(5000), (QList<Key>{1, 5}));
    QVERIFY(idx.isEmpty());
    QVERIFY(!idx.nearest().has_value());
}

void tst_DeadlineIndex::takeDueBoundaryIsInclusive()
{
    DeadlineIndex idx;
    idx.schedule(7, 100);
    QVERIFY(idx.takeDue(99).isEmpty());
    QVERIFY(idx.contains(7));
    QCOMPARE(idx.takeDue(100), QList<Key>{7});
}

void tst_DeadlineIndex::equalDeadlines()
{
    DeadlineIndex idx;
    idx.schedule(3, 100);
    idx.schedule(1, 100);
    idx.schedule(2, 100);
    idx.schedule(9, 50);
    QCOMPARE(idx.size(), qsizetype(4));
    QCOMPARE(idx.nearest(), std::optional<qint64>(50));

    QVERIFY(idx.remove(1));
    QCOMPARE(idx.size(), qsizetype(3));
    QVERIFY(idx.contains(3));
    QVERIFY(idx.contains(2));

    QList<Key> due = idx.takeDue(100);
    QCOMPARE(due.size(), qsizetype(3));
    QCOMPARE(due.first(), Key(9));
    std::sort(due.begin() + 1, due.end());
    QCOMPARE(due, (QList<Key>{9, 2, 3}));
    QVERIFY(idx.isEmpty());
}

void tst_DeadlineIndex::moveEarlierAndLater()
{
    DeadlineIndex idx;
    idx.schedule(1, 100);
    idx.schedule(2, 200);
    idx.schedule(3, 300);

    idx.schedule(3, 50); // earlier: now the nearest
    QCOMPARE(idx.size(), qsizetype(3));
    QCOMPARE(idx.deadlineOf(3), std::optional<qint64>(50));
    QCOMPARE(idx.nearest(), std::optional<qint64>(50));

    idx.schedule(3, 1000); // later: the old slot must not linger
    QCOMPARE(idx.size(), qsizetype(3));
    QCOMPARE(idx.nearest(), std::optional<qint64>(100));
    QCOMPARE(idx.takeDue(999), (QList<Key>{1, 2}));
    QVERIFY(idx.contains(3));

    idx.schedule(3, 10); // back earlier than "now"
    QCOMPARE(idx.takeDue(999), QList<Key>{3});
    QVERIFY(idx.isEmpty());
}

void tst_DeadlineIndex::rescheduleToSameDeadline()
{
    DeadlineIndex idx;
    idx.schedule(4, 100);
    idx.schedule(4, 100);
    QCOMPARE(idx.size(), qsizetype(1));
    QCOMPARE(idx.takeDue(100), QList<Key>{4});
    QVERIFY(idx.isEmpty());
}

void tst_DeadlineIndex::removeMissingKey()
{
    DeadlineIndex idx;
    QVERIFY(!idx.remove(1));
    idx.schedule(1, 100);
    QVERIFY(!idx.remove(2));
    QCOMPARE(idx.size(), qsizetype(1));
    QVERIFY(idx.remove(1));
    QVERIFY(!idx.remove(1)); // twice
    QVERIFY(idx.isEmpty());
    QVERIFY(!idx.nearest().has_value());
}

void tst_DeadlineIndex::takeDueWithNothingDue()
{
    DeadlineIndex idx;
    idx.schedule(1, 100);
    idx.schedule(2, 200);
    QVERIFY(idx.takeDue(0).isEmpty());
    QVERIFY(idx.takeDue(99).isEmpty());
    QCOMPARE(idx.size(), qsizetype(2));
    QCOMPARE(idx.nearest(), std::optional<qint64>(100));
}

void tst_DeadlineIndex::clear()
{
    DeadlineIndex idx;
    for (Key k = 0; k < 10; ++k)
        idx.schedule(k, qint64(k) * 10);
    idx.clear();
    QVERIFY(idx.isEmpty());
    QCOMPARE(idx.size(), qsizetype(0));
    QVERIFY(!idx.nearest().has_value());
    QVERIFY(!idx.contains(3));
    QVERIFY(idx.takeDue(1000).isEmpty());
    // Usable after clear.
    idx.schedule(3, 5);
    QCOMPARE(idx.takeDue(5), QList<Key>{3});
}

void tst_DeadlineIndex::randomizedAgainstReference()
{
    // Reference model: key -> deadline, and deadline -> key in a multimap.
    DeadlineIndex idx;
    std::map<Key, qint64> byKey;
    std::multimap<qint64, Key> byDeadline;
    auto refRemove = [&](Key k) {
        const auto it = byKey.find(k);
        if (it == byKey.end())
            return false;
        auto range = byDeadline.equal_range(it->second);
        for (auto d = range.first; d != range.second; ++d) {
            if (d->second == k) {
                byDeadline.erase(d);
                break;
            }
        }
        byKey.erase(it);
        return true;
    };

    QRandomGenerator rng(20240601);
    qint64 now = 0;
    int taken = 0;
    for (int op = 0; op < 20000; ++op) {
        const Key key = rng.bounded(400);
        const quint32 what = rng.bounded(100);
        if (what < 55) {
            const qint64 deadline = now + rng.bounded(-20, 1000);
            refRemove(key);
            byKey.emplace(key, deadline);
            byDeadline.emplace(deadline, key);
            idx.schedule(key, deadline);
        } else if (what < 75) {
            QCOMPARE(idx.remove(key), refRemove(key));
        } else if (what < 95) {
            now += rng.bounded(60);
            QList<Key> expected;
            std::map<Key, qint64> dueDeadline;
            while (!byDeadline.empty() && byDeadline.begin()->first <= now) {
                expected.append(byDeadline.begin()->second);
                dueDeadline.emplace(byDeadline.begin()->second, byDeadline.begin()->first);
                byKey.erase(byDeadline.begin()->second);
                byDeadline.erase(byDeadline.begin());
            }
            const QList<Key> due = idx.takeDue(now);
            // Deadline order; ties may come in any order, so check the order by deadline and the
            // keys as a set.
            for (qsizetype i = 1; i < due.size(); ++i)
                QVERIFY(dueDeadline[due.at(i - 1)] <= dueDeadline[due.at(i)]);
            QList<Key> sortedDue = due;
            std::sort(sortedDue.begin(), sortedDue.end());
            std::sort(expected.begin(), expected.end());
            QCOMPARE(sortedDue, expected);
            taken += int(due.size());
        } else {
            const auto it = byKey.find(key);
            QCOMPARE(idx.contains(key), it != byKey.end());
            QCOMPARE(idx.deadlineOf(key), it == byKey.end() ? std::optional<qint64>()
                                                            : std::optional<qint64>(it->second));
        }
        QCOMPARE(idx.size(), qsizetype(byKey.size()));
        QCOMPARE(idx.nearest(), byDeadline.empty()
                                    ? std::optional<qint64>()
                                    : std::optional<qint64>(byDeadline.begin()->first));
    }
    // The run exercised every path, not just scheduling.
    QVERIFY(taken > 1000);
    QVERIFY(!byKey.empty());
}

QTEST_APPLESS_MAIN(tst_DeadlineIndex)
#include "tst_deadlineindex.moc"
