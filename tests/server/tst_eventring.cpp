// SPDX-License-Identifier: MIT
#include "server/eventring.h"

#include <QtCore/QRandomGenerator>
#include <QtTest/QTest>

#include <deque>

namespace {
ServerEvent makeEvent(const QString &user)
{
    ServerEvent e;
    e.type = ServerEvent::Type::Audit;
    e.user = user;
    return e;
}

QList<quint64> ids(const QList<ServerEvent> &events)
{
    QList<quint64> out;
    for (const ServerEvent &e : events)
        out.append(e.id);
    return out;
}

void appendN(EventRing &ring, int n)
{
    for (int i = 0; i < n; ++i)
        ring.append(makeEvent(QString::number(ring.lastId() + 1)));
}
} // namespace

class tst_EventRing : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void idsIncreaseFromOne();
    void capacityKeepsNewest();
    void since_data();
    void since();
    void shrinkKeepsNewestInOrder();
    void growKeepsOrder();
    void capacityAtLeastOne();
    void randomizedAgainstReference();
};

void tst_EventRing::idsIncreaseFromOne()
{
    EventRing ring(10);
    QCOMPARE(ring.size(), qsizetype(0));
    QCOMPARE(ring.lastId(), quint64(0));
    QVERIFY(ring.since(0, 100).isEmpty());

    ServerEvent in = makeEvent(QStringLiteral("alice"));
    in.id = 777; // ignored: the ring assigns ids
    const ServerEvent &first = ring.append(in);
    QCOMPARE(first.id, quint64(1));
    QCOMPARE(first.user, QStringLiteral("alice"));
    QCOMPARE(first.type, ServerEvent::Type::Audit);
    QCOMPARE(ring.append(makeEvent(QStringLiteral("bob"))).id, quint64(2));
    QCOMPARE(ring.append(makeEvent(QStringLiteral("carol"))).id, quint64(3));
    QCOMPARE(ring.lastId(), quint64(3));
    QCOMPARE(ring.size(), qsizetype(3));

    const QList<ServerEvent> all = ring.since(0, 100);
    QCOMPARE(ids(all), (QList<quint64>{1, 2, 3}));
    QCOMPARE(all.at(1).user, QStringLiteral("bob"));
}

void tst_EventRing::capacityKeepsNewest()
{
    EventRing ring(3);
    QCOMPARE(ring.capacity(), 3);
    appendN(ring, 7);
    QCOMPARE(ring.size(), qsizetype(3));
    QCOMPARE(ring.lastId(), quint64(7));
    const QList<ServerEvent> all = ring.since(0, 100);
    QCOMPARE(ids(all), (QList<quint64>{5, 6, 7}));
    // The stored copies are the events that were appended with those ids.
    QCOMPARE(all.at(0).user, QStringLiteral("5"));
    QCOMPARE(all.at(2).user, QStringLiteral("7"));
    // append() returns the stored event even when it overwrote a slot.
    const ServerEvent &e = ring.append(makeEvent(QStringLiteral("8")));
    QCOMPARE(e.id, quint64(8));
    QCOMPARE(e.user, QStringLiteral("8"));
    QCOMPARE(ids(ring.since(0, 100)), (QList<quint64>{6, 7, 8}));
}

void tst_EventRing::since_data()
{
    QTest::addColumn<quint64>("sinceId");
    QTest::addColumn<int>("limit");
    QTest::addColumn<QList<quint64>>("expected");

    // Ring of 5 holding ids 4..8 (wrapped).
    QTest::addRow("all") << quint64(0) << 100 << QList<quint64>{4, 5, 6, 7, 8};
    QTest::addRow("limit takes the oldest") << quint64(0) << 2 << QList<quint64>{4, 5};
    QTest::addRow("since an evicted id") << quint64(2) << 100 << QList<quint64>{4, 5, 6, 7, 8};
    QTest::addRow("since the oldest") << quint64(4) << 100 << QList<quint64>{5, 6, 7, 8};
    QTest::addRow("since a middle id") << quint64(6) << 100 << QList<quint64>{7, 8};
    QTest::addRow("since a middle id, limit 1") << quint64(5) << 1 << QList<quint64>{6};
    QTest::addRow("since the newest") << quint64(8) << 100 << QList<quint64>{};
    QTest::addRow("since a future id") << quint64(100) << 100 << QList<quint64>{};
    QTest::addRow("limit 0") << quint64(0) << 0 << QList<quint64>{};
    QTest::addRow("negative limit") << quint64(0) << -1 << QList<quint64>{};
}

void tst_EventRing::since()
{
    QFETCH(quint64, sinceId);
    QFETCH(int, limit);
    QFETCH(QList<quint64>, expected);
    EventRing ring(5);
    appendN(ring, 8);
    QCOMPARE(ids(ring.since(sinceId, limit)), expected);
}

void tst_EventRing::shrinkKeepsNewestInOrder()
{
    EventRing ring(5);
    appendN(ring, 7); // wrapped: holds 3..7 with the head mid-list
    ring.setCapacity(3);
    QCOMPARE(ring.capacity(), 3);
    QCOMPARE(ring.size(), qsizetype(3));
    QCOMPARE(ids(ring.since(0, 100)), (QList<quint64>{5, 6, 7}));
    appendN(ring, 2);
    QCOMPARE(ids(ring.since(0, 100)), (QList<quint64>{7, 8, 9}));
    QCOMPARE(ring.since(0, 100).constLast().user, QStringLiteral("9"));

    // Shrinking a ring that is not full keeps everything.
    EventRing partial(10);
    appendN(partial, 2);
    partial.setCapacity(4);
    QCOMPARE(ids(partial.since(0, 100)), (QList<quint64>{1, 2}));
}

void tst_EventRing::growKeepsOrder()
{
    EventRing ring(4);
    appendN(ring, 6); // holds 3..6, wrapped
    ring.setCapacity(6);
    QCOMPARE(ring.capacity(), 6);
    QCOMPARE(ids(ring.since(0, 100)), (QList<quint64>{3, 4, 5, 6}));
    appendN(ring, 2); // fills the new room without evicting
    QCOMPARE(ids(ring.since(0, 100)), (QList<quint64>{3, 4, 5, 6, 7, 8}));
    appendN(ring, 1); // now full again: evicts the oldest
    QCOMPARE(ids(ring.since(0, 100)), (QList<quint64>{4, 5, 6, 7, 8, 9}));
    QCOMPARE(ring.lastId(), quint64(9));
}

void tst_EventRing::capacityAtLeastOne()
{
    EventRing ring(0);
    QCOMPARE(ring.capacity(), 1);
    appendN(ring, 3);
    QCOMPARE(ids(ring.since(0, 100)), QList<quint64>{3});
    ring.setCapacity(-5);
    QCOMPARE(ring.capacity(), 1);
    QCOMPARE(ids(ring.since(0, 100)), QList<quint64>{3});
}

void tst_EventRing::randomizedAgainstReference()
{
    EventRing ring(8);
    std::deque<quint64> model;
    int capacity = 8;
    QRandomGenerator rng(42);
    for (int op = 0; op < 5000; ++op) {
        if (rng.bounded(20) == 0) {
            capacity = int(rng.bounded(1, 16));
            ring.setCapacity(capacity);
        } else {
            model.push_back(ring.append(makeEvent(QString())).id);
        }
        while (model.size() > size_t(capacity))
            model.pop_front();
        const quint64 sinceId = ring.lastId() > 10 ? ring.lastId() - rng.bounded(10) : 0;
        const int limit = int(rng.bounded(12));
        QList<quint64> expected;
        for (quint64 id : model) {
            if (id > sinceId && expected.size() < limit)
                expected.append(id);
        }
        QCOMPARE(ids(ring.since(sinceId, limit)), expected);
        QCOMPARE(ring.size(), qsizetype(model.size()));
    }
}

QTEST_APPLESS_MAIN(tst_EventRing)
#include "tst_eventring.moc"
