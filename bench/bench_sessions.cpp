// SPDX-License-Identifier: MIT
// Session registry and deadline index at scale: the cost of login, activity and expiry with
// 100,000 sessions, and how late one precise QTimer over the ordered index fires expiries.
// Prints figures; it is a benchmark, not a test. Usage: bench_sessions [sessions]
#include "server/sessionregistry.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QDateTime>
#include <QtCore/QElapsedTimer>
#include <QtCore/QFile>
#include <QtCore/QRandomGenerator>
#include <QtCore/QTimer>

#include <algorithm>
#include <cstdio>
#include <vector>

namespace {
long rssKiB()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QList<QByteArray> lines = f.readAll().split('\n');
    for (const QByteArray &l : lines) {
        if (l.startsWith("VmRSS:"))
            return l.mid(6).trimmed().split(' ').first().toLong();
    }
    return -1;
}

double pct(std::vector<qint64> v, double p)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return double(v[size_t(p * double(v.size() - 1))]);
}

TokenClaims claims(int i)
{
    TokenClaims c;
    c.user = QStringLiteral("user%1").arg(i % 5000);
    c.sessionId = QStringLiteral("session-%1").arg(i);
    return c;
}
} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int n = argc > 1 ? QByteArray(argv[1]).toInt() : 100000;
    std::printf("bench_sessions: %d sessions\n", n);

    // 1. Login and activity cost with n sessions armed.
    {
        const long rss0 = rssKiB();
        SessionRegistry reg(900000, 60000, 3600000);
        const qint64 t0 = QDateTime::currentMSecsSinceEpoch();
        QElapsedTimer timer;
        timer.start();
        for (int i = 0; i < n; ++i)
            reg.join(claims(i), ConnectionId(i + 1), t0 + i % 1000);
        const double joinNs = double(timer.nsecsElapsed()) / n;
        const long rss1 = rssKiB();

        QRandomGenerator rng(42);
        const int touches = 1000000;
        std::vector<QString> ids;
        ids.reserve(size_t(n));
        for (int i = 0; i < n; ++i)
            ids.push_back(QStringLiteral("session-%1").arg(i));
        timer.restart();
        for (int i = 0; i < touches; ++i)
            reg.touch(ids[size_t(rng.bounded(n))], t0 + 1000 + i / 1000);
        const double touchNs = double(timer.nsecsElapsed()) / touches;

        timer.restart();
        const auto due = reg.takeDue(t0 + 2000 + 900000);
        const double expireNs = double(timer.nsecsElapsed()) / qMax<qsizetype>(1, due.size());

        std::printf("  login (join, new session):   %8.0f ns/op\n", joinNs);
        std::printf("  activity (touch, re-index):  %8.0f ns/op over %d random touches\n", touchNs,
                    touches);
        std::printf("  expiry (takeDue, per session): %6.0f ns/op (%lld sessions due at once)\n",
                    expireNs, qlonglong(due.size()));
        std::printf("  memory: %.0f bytes/session (RSS %ld -> %ld KiB)\n",
                    double(rss1 - rss0) * 1024.0 / n, rss0, rss1);
    }

    // 2. Lateness: n sessions expiring over 2 s, driven by one precise QTimer armed at the
    //    nearest deadline, exactly as the server worker does it.
    {
        SessionRegistry reg(1000, 0, 3600000);
        const qint64 start = QDateTime::currentMSecsSinceEpoch();
        for (int i = 0; i < n; ++i)
            reg.join(claims(i), ConnectionId(i + 1), start + qint64(i) * 2000 / n);
        std::vector<qint64> lateness;
        lateness.reserve(size_t(n));
        QTimer timer;
        timer.setSingleShot(true);
        timer.setTimerType(Qt::PreciseTimer);
        int fires = 0;
        auto arm = [&] {
            const auto next = reg.nextWakeMs();
            if (!next || lateness.size() >= size_t(n)) {
                app.quit();
                return;
            }
            timer.start(int(std::max<qint64>(0, *next - QDateTime::currentMSecsSinceEpoch())));
        };
        QObject::connect(&timer, &QTimer::timeout, &app, [&] {
            ++fires;
            const qint64 now = QDateTime::currentMSecsSinceEpoch();
            const auto due = reg.takeDue(now);
            for (const auto &d : due)
                lateness.push_back(now - d.deadlineMs);
            arm();
        });
        QTimer::singleShot(10000, &app, &QCoreApplication::quit); // bounded
        arm();
        app.exec();
        std::printf("  expiry lateness over %zu expiries in %d timer fires: p50 %.0f ms, p99 %.0f "
                    "ms, max %.0f ms\n",
                    lateness.size(), fires, pct(lateness, 0.5), pct(lateness, 0.99),
                    pct(lateness, 1.0));
    }
    return 0;
}
