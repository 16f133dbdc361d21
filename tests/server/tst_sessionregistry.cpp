// SPDX-License-Identifier: MIT
#include "server/sessionregistry.h"

#include <QtTest/QTest>

#include <algorithm>

Q_DECLARE_METATYPE(EndReason)

namespace {
constexpr qint64 IdleMs = 1000;
constexpr qint64 WarningMs = 200;
constexpr qint64 TtlMs = 5000;

using Outcome = SessionRegistry::JoinOutcome;

TokenClaims claims(const QString &sid, const QString &user = QStringLiteral("alice"),
                   qint64 expiresAtMs = 0)
{
    TokenClaims c;
    c.user = user;
    c.sessionId = sid;
    c.name = user.toUpper();
    c.expiresAtMs = expiresAtMs;
    return c;
}

QString sid(const char *s)
{
    return QString::fromLatin1(s);
}

QList<QString> sorted(QList<QString> list)
{
    std::sort(list.begin(), list.end());
    return list;
}
} // namespace

class tst_SessionRegistry : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void emptyRegistry();
    void createThenJoinDoesNotMoveDeadline();
    void touchMovesDeadline();
    void warningThenExpiry();
    void touchAfterWarningWithdrawsIt();
    void lateTakeDueExpiresWithoutWarning();
    void noWarningWindow();
    void end_data();
    void end();
    void hardEndBeforeIdleDeadline();
    void hardEndKeepsWarning();
    void idleDeadlineBeforeHardEnd();
    void shorterTimeoutsMakeSessionsDue();
    void longerTimeoutsWithdrawWarnings();
    void tombstonePurgedAfterTtl();
    void tombstoneLastsUntilTokenExp();
    void leaveKeepsSession();
    void sessionsOfUser();
    void createWithoutConnection();
    void createRefusesLiveAndEndedIds();
    void perSessionIdleTimeout();
    void perSessionIdleTimeoutSurvivesSetTimeouts();
    void perSessionIdleTimeoutExtendAndHardEnd();
    void restoreKeepsTimestampsAndDeadline();
    void restoredSessionPastDeadlineExpiresAtOnce();
    void restoredSessionInsideWarningWindowIsWarned();
    void restoreTombstoneRefusesUntilItsEnd();
    void restoreRefusesKnownIds();
    void heldExpiryWaitsForTheCaller();
    void adoptActivityOnlyMovesForward();
    void tombstonesListsRefusals();
};

void tst_SessionRegistry::emptyRegistry()
{
    SessionRegistry reg(IdleMs, WarningMs, TtlMs);
    QCOMPARE(reg.idleTimeoutMs(), IdleMs);
    QCOMPARE(reg.warningMs(), WarningMs);
    QVERIFY(!reg.nextWakeMs().has_value());
    QVERIFY(reg.takeDue(1000000).isEmpty());
    QCOMPARE(reg.sessionCount(), qsizetype(0));
    QVERIFY(!reg.find(sid("x")));
    QVERIFY(!reg.touch(sid("x"), 10));
    QVERIFY(!reg.end(sid("x"), EndReason::Kicked, 10).has_value());
    QCOMPARE(reg.tombstoneCount(), qsizetype(0)); // ending nothing buries nothing
    reg.leave(sid("x"), 1); // harmless
}

void tst_SessionRegistry::createThenJoinDoesNotMoveDeadline()
{
    SessionRegistry reg(IdleMs, WarningMs, TtlMs);
    const auto r = reg.join(claims(sid("s1")), 1, 100);
    QCOMPARE(r.outcome, Outcome::Created);
    const SessionRegistry::Session *s = reg.find(sid("s1"));
    QVERIFY(s);
    QCOMPARE(s->user, QStringLiteral("alice"));
    QCOMPARE(s->name, QStringLiteral("ALICE"));
    QCOMPARE(s->createdMs, qint64(100));
    QCOMPARE(s->lastActivityMs, qint64(100));
    QCOMPARE(s->connections, QList<ConnectionId>{1});
    QCOMPARE(reg.deadlineOf(*s), qint64(1100));
    QCOMPARE(reg.nextWakeMs(), std::optional<qint64>(900));

    // A second tab logs in later: joined, and logging in is not activity.
    QCOMPARE(reg.join(claims(sid("s1")), 2, 700).outcome, Outcome::Joined);
    s = reg.find(sid("s1"));
    QVERIFY(s);
    QCOMPARE(s->connections, (QList<ConnectionId>{1, 2}));
    QCOMPARE(s->lastActivityMs, qint64(100));
    QCOMPARE(reg.deadlineOf(*s), qint64(1100));
    QCOMPARE(reg.nextWakeMs(), std::optional<qint64>(900));

    // The same connection joining twice is not listed twice.
    QCOMPARE(reg.join(claims(sid("s1")), 2, 800).outcome, Outcome::Joined);
    QCOMPARE(reg.find(sid("s1"))->connections, (QList<ConnectionId>{1, 2}));
    QCOMPARE(reg.sessionCount(), qsizetype(1));
}

void tst_SessionRegistry::touchMovesDeadline()
{
    SessionRegistry reg(IdleMs, WarningMs, TtlMs);
    reg.join(claims(sid("s1")), 1, 0);
    QVERIFY(!reg.touch(sid("s1"), 300));
    QCOMPARE(reg.find(sid("s1"))->lastActivityMs, qint64(300));
    QCOMPARE(reg.deadlineOf(*reg.find(sid("s1"))), qint64(1300));
    QCOMPARE(reg.nextWakeMs(), std::optional<qint64>(1100));
    // The old wake time is gone: nothing is due at 800 any more.
    QVERIFY(reg.takeDue(1099).isEmpty());
    // Time never runs backwards for a session.
    QVERIFY(!reg.touch(sid("s1"), 200));
    QCOMPARE(reg.deadlineOf(*reg.find(sid("s1"))), qint64(1300));
}

void tst_SessionRegistry::warningThenExpiry()
{
    SessionRegistry reg(IdleMs, WarningMs, TtlMs);
    reg.join(claims(sid("s1")), 1, 0);
    reg.join(claims(sid("s1")), 2, 10);
    reg.join(claims(sid("other"), QStringLiteral("bob")), 3, 500);

    QCOMPARE(reg.nextWakeMs(), std::optional<qint64>(IdleMs - WarningMs));
    QVERIFY(reg.takeDue(799).isEmpty());

    const QList<SessionRegistry::Due> warn = reg.takeDue(800);
    QCOMPARE(warn.size(), qsizetype(1));
    QCOMPARE(warn[0].expired, false);
    QCOMPARE(warn[0].sessionId, sid("s1"));
    QCOMPARE(warn[0].user, QStringLiteral("alice"));
    QCOMPARE(warn[0].deadlineMs, qint64(1000));
    QCOMPARE(warn[0].connections, (QList<ConnectionId>{1, 2}));
    QVERIFY(reg.find(sid("s1")));
    QVERIFY(reg.find(sid("s1"))->warned);
    // After the warning the next wake is the deadline, and the warning is not repeated.
    QCOMPARE(reg.nextWakeMs(), std::optional<qint64>(1000));
    QVERIFY(reg.takeDue(999).isEmpty());

    const QList<SessionRegistry::Due> expired = reg.takeDue(1000);
    QCOMPARE(expired.size(), qsizetype(1));
    QCOMPARE(expired[0].expired, true);
    QCOMPARE(expired[0].reason, EndReason::IdleTimeout);
    QCOMPARE(expired[0].sessionId, sid("s1"));
    QCOMPARE(expired[0].deadlineMs, qint64(1000));
    QCOMPARE(expired[0].connections, (QList<ConnectionId>{1, 2}));
    QVERIFY(!reg.find(sid("s1")));
    QCOMPARE(reg.sessionCount(), qsizetype(1));
    QVERIFY(!reg.touch(sid("s1"), 1001));

    // The sid is refused for the reason it ended.
    const auto t = reg.tombstone(sid("s1"));
    QVERIFY(t.has_value());
    QCOMPARE(t->reason, EndReason::IdleTimeout);
    const auto again = reg.join(claims(sid("s1")), 4, 1001);
    QCOMPARE(again.outcome, Outcome::Refused);
    QCOMPARE(again.refusedFor, EndReason::IdleTimeout);
    QVERIFY(!reg.find(sid("s1")));

    // The other session was untouched by all of this.
    QCOMPARE(reg.nextWakeMs(), std::optional<qint64>(1300));
}

void tst_SessionRegistry::touchAfterWarningWithdrawsIt()
{
    SessionRegistry reg(IdleMs, WarningMs, TtlMs);
    reg.join(claims(sid("s1")), 1, 0);
    QCOMPARE(reg.takeDue(800).size(), qsizetype(1));
    QVERIFY(reg.touch(sid("s1"), 900));
    QVERIFY(!reg.find(sid("s1"))->warned);
    QCOMPARE(reg.nextWakeMs(), std::optional<qint64>(1700));
    QVERIFY(reg.takeDue(1000).isEmpty()); // the old deadline no longer applies
    QVERIFY(!reg.touch(sid("s1"), 950)); // nothing left to withdraw

    // And the cycle repeats from the new activity.
    const auto warn = reg.takeDue(1750);
    QCOMPARE(warn.size(), qsizetype(1));
    QVERIFY(!warn[0].expired);
    QCOMPARE(warn[0].deadlineMs, qint64(1950));
}

void tst_SessionRegistry::lateTakeDueExpiresWithoutWarning()
{
    SessionRegistry reg(IdleMs, WarningMs, TtlMs);
    reg.join(claims(sid("s1")), 1, 0);
    const auto due = reg.takeDue(5000);
    QCOMPARE(due.size(), qsizetype(1));
    QVERIFY(due[0].expired);
    QCOMPARE(due[0].deadlineMs, qint64(1000));
    QVERIFY(!reg.find(sid("s1")));
}

void tst_SessionRegistry::noWarningWindow()
{
    SessionRegistry reg(IdleMs, 0, TtlMs);
    reg.join(claims(sid("s1")), 1, 0);
    QCOMPARE(reg.nextWakeMs(), std::optional<qint64>(1000));
    QVERIFY(reg.takeDue(999).isEmpty());
    const auto due = reg.takeDue(1000);
    QCOMPARE(due.size(), qsizetype(1));
    QVERIFY(due[0].expired);
}

void tst_SessionRegistry::end_data()
{
    QTest::addColumn<EndReason>("reason");
    QTest::addRow("kicked") << EndReason::Kicked;
    QTest::addRow("logged out") << EndReason::LoggedOut;
}

void tst_SessionRegistry::end()
{
    QFETCH(EndReason, reason);
    SessionRegistry reg(IdleMs, WarningMs, TtlMs);
    reg.join(claims(sid("s1")), 1, 0);
    reg.join(claims(sid("s1")), 2, 0);
    reg.join(claims(sid("s2")), 3, 0);

    const auto ended = reg.end(sid("s1"), reason, 100);
    QVERIFY(ended.has_value());
    QCOMPARE(ended->sessionId, sid("s1"));
    QCOMPARE(ended->user, QStringLiteral("alice"));
    QCOMPARE(ended->connections, (QList<ConnectionId>{1, 2}));
    QVERIFY(!reg.find(sid("s1")));
    QVERIFY(reg.find(sid("s2")));
    QCOMPARE(reg.tombstone(sid("s1"))->reason, reason);
    QCOMPARE(reg.tombstone(sid("s1"))->untilMs, 100 + TtlMs);

    const auto r = reg.join(claims(sid("s1")), 4, 200);
    QCOMPARE(r.outcome, Outcome::Refused);
    QCOMPARE(r.refusedFor, reason);
    // Ending twice finds nothing.
    QVERIFY(!reg.end(sid("s1"), reason, 300).has_value());

    // The ended session no longer comes due: only s2 does.
    const auto due = reg.takeDue(800);
    QCOMPARE(due.size(), qsizetype(1));
    QCOMPARE(due[0].sessionId, sid("s2"));
}

void tst_SessionRegistry::hardEndBeforeIdleDeadline()
{
    SessionRegistry reg(IdleMs, WarningMs, TtlMs);
    reg.join(claims(sid("s1"), QStringLiteral("alice"), 600), 1, 0);
    QCOMPARE(reg.deadlineOf(*reg.find(sid("s1"))), qint64(600));
    QCOMPARE(reg.nextWakeMs(), std::optional<qint64>(400));
    // Activity cannot push a session past its token's end.
    reg.touch(sid("s1"), 300);
    QCOMPARE(reg.deadlineOf(*reg.find(sid("s1"))), qint64(600));

    const auto warn = reg.takeDue(400);
    QCOMPARE(warn.size(), qsizetype(1));
    QVERIFY(!warn[0].expired);
    QCOMPARE(warn[0].deadlineMs, qint64(600));

    const auto due = reg.takeDue(600);
    QCOMPARE(due.size(), qsizetype(1));
    QVERIFY(due[0].expired);
    QCOMPARE(due[0].reason, EndReason::SessionExpired);
    QVERIFY(!reg.find(sid("s1")));
}

void tst_SessionRegistry::hardEndKeepsWarning()
{
    SessionRegistry reg(IdleMs, WarningMs, TtlMs);
    reg.join(claims(sid("s1"), QStringLiteral("alice"), 600), 1, 0);
    QCOMPARE(reg.takeDue(400).size(), qsizetype(1));
    // Activity inside the window does not withdraw the warning: the hard end is still 200 ms away.
    QVERIFY(!reg.touch(sid("s1"), 450));
    QVERIFY(reg.find(sid("s1"))->warned);
    QCOMPARE(reg.nextWakeMs(), std::optional<qint64>(600));
}

void tst_SessionRegistry::idleDeadlineBeforeHardEnd()
{
    SessionRegistry reg(IdleMs, WarningMs, TtlMs);
    reg.join(claims(sid("s1"), QStringLiteral("alice"), 8000), 1, 0);
    const auto due = reg.takeDue(1000);
    QCOMPARE(due.size(), qsizetype(1));
    QVERIFY(due[0].expired);
    QCOMPARE(due[0].reason, EndReason::IdleTimeout);
    // Refused until the token itself ends, not for the revocation TTL.
    QCOMPARE(reg.tombstone(sid("s1"))->untilMs, qint64(8000));
}

void tst_SessionRegistry::shorterTimeoutsMakeSessionsDue()
{
    SessionRegistry reg(IdleMs, WarningMs, TtlMs);
    reg.join(claims(sid("a")), 1, 0);
    reg.join(claims(sid("b")), 2, 0);
    reg.touch(sid("b"), 500);

    const QList<QString> withdrawn = reg.setTimeouts(400, 100, 600);
    QVERIFY(withdrawn.isEmpty());
    QCOMPARE(reg.idleTimeoutMs(), qint64(400));
    QCOMPARE(reg.warningMs(), qint64(100));
    // a: last activity 0 -> deadline 400, already past; b: deadline 900, warning at 800.
    QCOMPARE(reg.deadlineOf(*reg.find(sid("a"))), qint64(400));
    QCOMPARE(reg.deadlineOf(*reg.find(sid("b"))), qint64(900));
    QVERIFY(reg.nextWakeMs().has_value());
    QVERIFY(*reg.nextWakeMs() <= 600);

    const auto due = reg.takeDue(600);
    QCOMPARE(due.size(), qsizetype(1));
    QCOMPARE(due[0].sessionId, sid("a"));
    QVERIFY(due[0].expired);
    QCOMPARE(due[0].reason, EndReason::IdleTimeout);
    QCOMPARE(reg.nextWakeMs(), std::optional<qint64>(800));
}

void tst_SessionRegistry::longerTimeoutsWithdrawWarnings()
{
    SessionRegistry reg(IdleMs, WarningMs, TtlMs);
    reg.join(claims(sid("a")), 1, 0);
    reg.join(claims(sid("b")), 2, 0);
    reg.touch(sid("b"), 100);
    reg.join(claims(sid("c"), QStringLiteral("carol"), 950), 3, 0); // hard end inside the window
    QCOMPARE(reg.takeDue(850).size(), qsizetype(2)); // a (800) and c (750) warned
    QVERIFY(reg.find(sid("a"))->warned);
    QVERIFY(!reg.find(sid("b"))->warned);
    QVERIFY(reg.find(sid("c"))->warned);

    const QList<QString> withdrawn = reg.setTimeouts(5000, WarningMs, 860);
    QCOMPARE(withdrawn, QList<QString>{sid("a")}); // c's hard end keeps it in the window
    QVERIFY(!reg.find(sid("a"))->warned);
    QCOMPARE(reg.deadlineOf(*reg.find(sid("a"))), qint64(5000));
    QCOMPARE(reg.deadlineOf(*reg.find(sid("b"))), qint64(5100));
    QVERIFY(reg.find(sid("c"))->warned);
    QCOMPARE(reg.nextWakeMs(), std::optional<qint64>(950));

    const auto due = reg.takeDue(950);
    QCOMPARE(due.size(), qsizetype(1));
    QCOMPARE(due[0].sessionId, sid("c"));
    QCOMPARE(due[0].reason, EndReason::SessionExpired);
    QCOMPARE(reg.nextWakeMs(), std::optional<qint64>(4800));
}

void tst_SessionRegistry::tombstonePurgedAfterTtl()
{
    SessionRegistry reg(IdleMs, WarningMs, TtlMs);
    reg.join(claims(sid("s1")), 1, 0);
    reg.end(sid("s1"), EndReason::LoggedOut, 100);
    QCOMPARE(reg.tombstoneCount(), qsizetype(1));
    QCOMPARE(reg.nextWakeMs(), std::optional<qint64>(5100));
    QVERIFY(reg.takeDue(5099).isEmpty());
    QVERIFY(reg.tombstone(sid("s1")).has_value());
    QCOMPARE(reg.join(claims(sid("s1")), 2, 5099).outcome, Outcome::Refused);

    QVERIFY(reg.takeDue(5100).isEmpty()); // purging yields no Due
    QVERIFY(!reg.tombstone(sid("s1")).has_value());
    QCOMPARE(reg.tombstoneCount(), qsizetype(0));
    QVERIFY(!reg.nextWakeMs().has_value());
    QCOMPARE(reg.join(claims(sid("s1")), 2, 5100).outcome, Outcome::Created);

    // The TTL is adjustable and applies to later burials.
    reg.setRevocationTtl(50);
    reg.end(sid("s1"), EndReason::Kicked, 6000);
    QCOMPARE(reg.tombstone(sid("s1"))->untilMs, qint64(6050));
    reg.takeDue(6050);
    QCOMPARE(reg.tombstoneCount(), qsizetype(0));
}

void tst_SessionRegistry::tombstoneLastsUntilTokenExp()
{
    SessionRegistry reg(IdleMs, WarningMs, TtlMs);
    reg.join(claims(sid("s1"), QStringLiteral("alice"), 3000), 1, 0);
    reg.end(sid("s1"), EndReason::Kicked, 100);
    QCOMPARE(reg.tombstone(sid("s1"))->untilMs, qint64(3000));
    reg.takeDue(2999);
    QCOMPARE(reg.join(claims(sid("s1")), 2, 2999).refusedFor, EndReason::Kicked);
    reg.takeDue(3000);
    QVERIFY(!reg.tombstone(sid("s1")).has_value());
}

void tst_SessionRegistry::leaveKeepsSession()
{
    SessionRegistry reg(IdleMs, WarningMs, TtlMs);
    reg.join(claims(sid("s1")), 1, 0);
    reg.join(claims(sid("s1")), 2, 0);
    reg.leave(sid("s1"), 1);
    QCOMPARE(reg.find(sid("s1"))->connections, QList<ConnectionId>{2});
    reg.leave(sid("s1"), 99); // not a member: nothing happens
    QCOMPARE(reg.find(sid("s1"))->connections, QList<ConnectionId>{2});
    reg.leave(sid("s1"), 2);
    QVERIFY(reg.find(sid("s1")));
    QVERIFY(reg.find(sid("s1"))->connections.isEmpty());
    QCOMPARE(reg.deadlineOf(*reg.find(sid("s1"))), qint64(1000));

    // A reconnect joins the still-live session.
    QCOMPARE(reg.join(claims(sid("s1")), 3, 500).outcome, Outcome::Joined);
    reg.leave(sid("s1"), 3);

    const auto due = reg.takeDue(1000);
    QCOMPARE(due.size(), qsizetype(1));
    QVERIFY(due[0].expired);
    QVERIFY(due[0].connections.isEmpty());
    QVERIFY(!reg.find(sid("s1")));
}

void tst_SessionRegistry::sessionsOfUser()
{
    SessionRegistry reg(IdleMs, WarningMs, TtlMs);
    reg.join(claims(sid("a1"), QStringLiteral("alice")), 1, 0);
    reg.join(claims(sid("b1"), QStringLiteral("bob")), 2, 0);
    reg.join(claims(sid("a2"), QStringLiteral("alice")), 3, 0);
    QCOMPARE(sorted(reg.sessionsOfUser(QStringLiteral("alice"))),
             (QList<QString>{sid("a1"), sid("a2")}));
    QCOMPARE(reg.sessionsOfUser(QStringLiteral("bob")), QList<QString>{sid("b1")});
    QVERIFY(reg.sessionsOfUser(QStringLiteral("carol")).isEmpty());
    QCOMPARE(sorted(reg.sessionIds()), (QList<QString>{sid("a1"), sid("a2"), sid("b1")}));

    reg.end(sid("a1"), EndReason::Kicked, 10);
    QCOMPARE(reg.sessionsOfUser(QStringLiteral("alice")), QList<QString>{sid("a2")});
}

void tst_SessionRegistry::createWithoutConnection()
{
    SessionRegistry reg(IdleMs, WarningMs, TtlMs);
    QVERIFY(reg.create(claims(sid("api")), 0, 100));
    const SessionRegistry::Session *s = reg.find(sid("api"));
    QVERIFY(s);
    QVERIFY(s->connections.isEmpty());
    QCOMPARE(s->createdMs, qint64(100));
    QCOMPARE(reg.deadlineOf(*s), qint64(1100));
    QCOMPARE(reg.nextWakeMs(), std::optional<qint64>(900));
    // A tab joining later is not activity: the idle clock started at creation.
    QCOMPARE(reg.join(claims(sid("api")), 7, 500).outcome, Outcome::Joined);
    QCOMPARE(reg.deadlineOf(*reg.find(sid("api"))), qint64(1100));
    QCOMPARE(reg.find(sid("api"))->connections, QList<ConnectionId>{7});
    // It expires like any other session, connections or not.
    reg.leave(sid("api"), 7);
    reg.takeDue(900);
    const auto due = reg.takeDue(1100);
    QCOMPARE(due.size(), 1);
    QVERIFY(due.first().expired);
    QCOMPARE(reg.sessionCount(), 0);
}

void tst_SessionRegistry::createRefusesLiveAndEndedIds()
{
    SessionRegistry reg(IdleMs, WarningMs, TtlMs);
    QVERIFY(reg.create(claims(sid("a")), 0, 0));
    QVERIFY(!reg.create(claims(sid("a")), 0, 10));
    QVERIFY(!reg.create(claims(QString()), 0, 10));
    QVERIFY(reg.end(sid("a"), EndReason::Kicked, 20));
    QVERIFY(!reg.create(claims(sid("a")), 0, 30)); // tombstoned
    QCOMPARE(reg.join(claims(sid("a")), 1, 40).outcome, Outcome::Refused);
}

void tst_SessionRegistry::perSessionIdleTimeout()
{
    SessionRegistry reg(IdleMs, WarningMs, TtlMs);
    QVERIFY(reg.create(claims(sid("short")), 400, 0));
    reg.join(claims(sid("default")), 1, 0);
    QCOMPARE(reg.idleTimeoutOf(*reg.find(sid("short"))), qint64(400));
    QCOMPARE(reg.idleTimeoutOf(*reg.find(sid("default"))), IdleMs);
    QCOMPARE(reg.deadlineOf(*reg.find(sid("short"))), qint64(400));
    QVERIFY(!reg.touch(sid("short"), 100));
    QCOMPARE(reg.deadlineOf(*reg.find(sid("short"))), qint64(500));
    // Warning at 500 - 200, expiry at 500; the default session is untouched.
    auto due = reg.takeDue(300);
    QCOMPARE(due.size(), 1);
    QVERIFY(!due.first().expired);
    due = reg.takeDue(500);
    QCOMPARE(due.size(), 1);
    QVERIFY(due.first().expired);
    QCOMPARE(due.first().reason, EndReason::IdleTimeout);
    QVERIFY(reg.find(sid("default")));
}

void tst_SessionRegistry::perSessionIdleTimeoutSurvivesSetTimeouts()
{
    SessionRegistry reg(IdleMs, WarningMs, TtlMs);
    QVERIFY(reg.create(claims(sid("own")), 5000, 0));
    reg.join(claims(sid("default")), 1, 0);
    reg.setTimeouts(2000, 100, 10);
    QCOMPARE(reg.deadlineOf(*reg.find(sid("own"))), qint64(5000));
    QCOMPARE(reg.deadlineOf(*reg.find(sid("default"))), qint64(2000));
}

void tst_SessionRegistry::perSessionIdleTimeoutExtendAndHardEnd()
{
    SessionRegistry reg(IdleMs, WarningMs, TtlMs);
    QVERIFY(reg.create(claims(sid("e")), 300, 0));
    reg.extend(sid("e"), 100); // max(300, 100) + 300
    QCOMPARE(reg.deadlineOf(*reg.find(sid("e"))), qint64(600));
    // A hard end (max age) before the idle deadline ends it as session_expired.
    QVERIFY(reg.create(claims(sid("h"), QStringLiteral("alice"), 250), 300, 0));
    const auto due = reg.takeDue(250);
    bool found = false;
    for (const auto &d : due) {
        if (d.sessionId == sid("h") && d.expired) {
            found = true;
            QCOMPARE(d.reason, EndReason::SessionExpired);
        }
    }
    QVERIFY(found);
}

void tst_SessionRegistry::restoreKeepsTimestampsAndDeadline()
{
    SessionRegistry reg(IdleMs, WarningMs, TtlMs);
    SessionRegistry::Session s;
    s.id = sid("r1");
    s.user = QStringLiteral("alice");
    s.name = QStringLiteral("Alice");
    s.createdMs = 100;
    s.lastActivityMs = 400;
    s.warned = true; // stale: must not survive
    s.connections = {7}; // stale: must not survive
    QVERIFY(reg.restore(s));
    const SessionRegistry::Session *r = reg.find(sid("r1"));
    QVERIFY(r);
    QCOMPARE(r->createdMs, qint64(100));
    QCOMPARE(r->lastActivityMs, qint64(400));
    QCOMPARE(r->name, QStringLiteral("Alice"));
    QVERIFY(!r->warned);
    QVERIFY(r->connections.isEmpty());
    QCOMPARE(reg.deadlineOf(*r), qint64(1400));
    QCOMPARE(reg.nextWakeMs(), std::optional<qint64>(1200));

    // A tab reconnecting joins it without moving the deadline.
    QCOMPARE(reg.join(claims(sid("r1")), 1, 600).outcome, Outcome::Joined);
    QCOMPARE(reg.deadlineOf(*reg.find(sid("r1"))), qint64(1400));
}

void tst_SessionRegistry::restoredSessionPastDeadlineExpiresAtOnce()
{
    SessionRegistry reg(IdleMs, WarningMs, TtlMs);
    SessionRegistry::Session idle;
    idle.id = sid("idle");
    idle.lastActivityMs = 0;
    SessionRegistry::Session hard;
    hard.id = sid("hard");
    hard.lastActivityMs = 900;
    hard.hardEndMs = 1500;
    QVERIFY(reg.restore(idle));
    QVERIFY(reg.restore(hard));
    // Warden was down from 0 to 5000: both deadlines passed while it was down.
    QList<SessionRegistry::Due> due = reg.takeDue(5000);
    std::sort(due.begin(), due.end(),
              [](const auto &a, const auto &b) { return a.sessionId < b.sessionId; });
    QCOMPARE(due.size(), qsizetype(2));
    QCOMPARE(due[0].sessionId, sid("hard"));
    QVERIFY(due[0].expired);
    QCOMPARE(due[0].reason, EndReason::SessionExpired);
    QCOMPARE(due[0].deadlineMs, qint64(1500));
    QCOMPARE(due[1].sessionId, sid("idle"));
    QVERIFY(due[1].expired);
    QCOMPARE(due[1].reason, EndReason::IdleTimeout);
    QCOMPARE(due[1].deadlineMs, qint64(1000));
    QCOMPARE(reg.sessionCount(), qsizetype(0));
    QCOMPARE(reg.join(claims(sid("idle")), 1, 5000).refusedFor, EndReason::IdleTimeout);
}

void tst_SessionRegistry::restoredSessionInsideWarningWindowIsWarned()
{
    SessionRegistry reg(IdleMs, WarningMs, TtlMs);
    SessionRegistry::Session s;
    s.id = sid("w");
    s.lastActivityMs = 0;
    QVERIFY(reg.restore(s));
    const auto due = reg.takeDue(900);
    QCOMPARE(due.size(), qsizetype(1));
    QVERIFY(!due[0].expired);
    QVERIFY(reg.find(sid("w"))->warned);
    QCOMPARE(reg.nextWakeMs(), std::optional<qint64>(1000));
}

void tst_SessionRegistry::restoreTombstoneRefusesUntilItsEnd()
{
    SessionRegistry reg(IdleMs, WarningMs, TtlMs);
    QVERIFY(reg.restoreTombstone(sid("k"), EndReason::Kicked, 2000));
    QCOMPARE(reg.tombstoneCount(), qsizetype(1));
    QCOMPARE(reg.tombstone(sid("k"))->untilMs, qint64(2000));
    const auto refused = reg.join(claims(sid("k")), 1, 1999);
    QCOMPARE(refused.outcome, Outcome::Refused);
    QCOMPARE(refused.refusedFor, EndReason::Kicked);
    QCOMPARE(reg.nextWakeMs(), std::optional<qint64>(2000));
    reg.takeDue(2000);
    QCOMPARE(reg.tombstoneCount(), qsizetype(0));
    QCOMPARE(reg.join(claims(sid("k")), 1, 2000).outcome, Outcome::Created);
}

void tst_SessionRegistry::restoreRefusesKnownIds()
{
    SessionRegistry reg(IdleMs, WarningMs, TtlMs);
    reg.join(claims(sid("live")), 1, 0);
    reg.join(claims(sid("dead")), 2, 0);
    reg.end(sid("dead"), EndReason::LoggedOut, 10);
    SessionRegistry::Session s;
    s.id = sid("live");
    QVERIFY(!reg.restore(s));
    s.id = sid("dead");
    QVERIFY(!reg.restore(s)); // a revoked session never comes back
    s.id = QString();
    QVERIFY(!reg.restore(s));
    QVERIFY(!reg.restoreTombstone(sid("live"), EndReason::Kicked, 100));
    QVERIFY(!reg.restoreTombstone(sid("dead"), EndReason::Kicked, 100));
    QCOMPARE(reg.tombstone(sid("dead"))->reason, EndReason::LoggedOut);
    QCOMPARE(reg.sessionCount(), qsizetype(1));
}

void tst_SessionRegistry::heldExpiryWaitsForTheCaller()
{
    // A cluster node holds an expired session until the cluster-wide claim is answered.
    SessionRegistry reg(IdleMs, 0, TtlMs);
    reg.join(claims(sid("s1")), 1, 0);
    const auto due = reg.takeDue(IdleMs, true);
    QCOMPARE(due.size(), 1);
    QVERIFY(due.first().expired);
    QVERIFY(due.first().held);
    QVERIFY(reg.find(sid("s1"))); // still there, and not due again
    QVERIFY(!reg.nextWakeMs());
    QVERIFY(reg.takeDue(IdleMs + 5000, true).isEmpty());
    // "Later": activity elsewhere moves it on and it is scheduled again.
    reg.adoptActivity(sid("s1"), 500, IdleMs);
    QCOMPARE(reg.deadlineOf(*reg.find(sid("s1"))), qint64(500 + IdleMs));
    QCOMPARE(reg.nextWakeMs(), std::optional<qint64>(500 + IdleMs));
    // "Claimed": the caller ends it.
    const auto again = reg.takeDue(500 + IdleMs, true);
    QCOMPARE(again.size(), 1);
    QVERIFY(reg.end(sid("s1"), EndReason::IdleTimeout, 500 + IdleMs));
    QVERIFY(!reg.find(sid("s1")));
    QVERIFY(reg.tombstone(sid("s1")));
}

void tst_SessionRegistry::adoptActivityOnlyMovesForward()
{
    SessionRegistry reg(IdleMs, WarningMs, TtlMs);
    reg.join(claims(sid("s1")), 1, 0);
    reg.touch(sid("s1"), 400);
    QVERIFY(!reg.adoptActivity(sid("s1"), 100, 400));
    QCOMPARE(reg.find(sid("s1"))->lastActivityMs, qint64(400));
    // A warning goes when activity elsewhere moves the deadline out of the window.
    QCOMPARE(reg.takeDue(400 + IdleMs - WarningMs).size(), 1);
    QVERIFY(reg.find(sid("s1"))->warned);
    QVERIFY(reg.adoptActivity(sid("s1"), 400 + IdleMs - WarningMs, 400 + IdleMs - WarningMs));
    QVERIFY(!reg.find(sid("s1"))->warned);
    QVERIFY(!reg.adoptActivity(sid("nope"), 1, 1));
}

void tst_SessionRegistry::tombstonesListsRefusals()
{
    SessionRegistry reg(IdleMs, WarningMs, TtlMs);
    reg.join(claims(sid("s1")), 1, 0);
    reg.join(claims(sid("s2")), 2, 0);
    reg.end(sid("s1"), EndReason::Kicked, 10);
    QVERIFY(reg.restoreTombstone(sid("s3"), EndReason::LoggedOut, 99));
    const auto list = reg.tombstones();
    QCOMPARE(list.size(), 2);
    for (const auto &[id, t] : list) {
        if (id == sid("s1")) {
            QCOMPARE(t.reason, EndReason::Kicked);
            QCOMPARE(t.untilMs, 10 + TtlMs);
        } else {
            QCOMPARE(id, sid("s3"));
            QCOMPARE(t.untilMs, qint64(99));
        }
    }
}

QTEST_APPLESS_MAIN(tst_SessionRegistry)
#include "tst_sessionregistry.moc"
