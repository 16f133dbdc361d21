// SPDX-License-Identifier: MIT
#include "server/epolleventdispatcher.h"

#include "server/tsansync.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QSocketNotifier>
#include <QtCore/QTimerEvent>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <limits>

#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

namespace {

constexpr qint64 kNsPerMs = 1000 * 1000;
constexpr qint64 kNsPerSec = 1000 * kNsPerMs;
// A coarse timer may fire up to 5% of its interval early (Qt's rule); intervals of 20 s and
// more are very coarse, so no coarse timer has more than 1 s of slack.
constexpr qint64 kMaxSlackNs = kNsPerSec;
constexpr int kMaxEventsPerWait = 512;
// The kernel lets a poll/epoll timeout run late by 0.1% of its length (select_estimate_accuracy():
// 5 ms for a 5 s wait, up to 100 ms), so a wait longer than this ends on a timerfd instead, which
// fires within the thread's timer slack (50 us by default).
constexpr qint64 kLongWaitNs = 20 * kNsPerMs;

// epoll flags that make each notifier type ready; a hang-up or an error wakes every type, as in
// Qt's poll-based dispatcher, so that the socket sees it whichever notifier it listens on.
constexpr quint32 kReadyFlags[3] = {
    EPOLLIN | EPOLLHUP | EPOLLERR, // QSocketNotifier::Read
    EPOLLOUT | EPOLLHUP | EPOLLERR, // QSocketNotifier::Write
    EPOLLPRI | EPOLLHUP | EPOLLERR, // QSocketNotifier::Exception
};
constexpr quint32 kWantFlags[3] = {EPOLLIN, EPOLLOUT, EPOLLPRI};

const char *typeName(int type)
{
    static const char *const names[3] = {"Read", "Write", "Exception"};
    return names[type];
}

} // namespace

EpollEventDispatcher::EpollEventDispatcher(QObject *parent)
    : QAbstractEventDispatcher(parent)
{
    m_epoll = epoll_create1(EPOLL_CLOEXEC);
    if (m_epoll < 0) {
        qErrnoWarning("EpollEventDispatcher: epoll_create1");
        return;
    }
    m_wakeFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (m_wakeFd < 0) {
        qErrnoWarning("EpollEventDispatcher: eventfd");
        return;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = m_wakeFd;
    if (epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_wakeFd, &ev) != 0) {
        qErrnoWarning("EpollEventDispatcher: epoll_ctl(eventfd)");
        ::close(m_wakeFd);
        m_wakeFd = -1;
        return;
    }
    // Optional: without it long waits keep the kernel's slack.
    m_timerFd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    ev.data.fd = m_timerFd;
    if (m_timerFd >= 0 && epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_timerFd, &ev) != 0) {
        ::close(m_timerFd);
        m_timerFd = -1;
    }
}

EpollEventDispatcher::~EpollEventDispatcher()
{
    // QThread deletes its dispatcher at the end of the thread, under the QThread's mutex that
    // QThread::exit() holds while it calls interrupt() from another thread: that ordering is a
    // futex TSan cannot see. Pairs with the release at the end of wakeUp() and interrupt().
    TsanSync::acquire(this);
    if (m_wakeFd >= 0)
        ::close(m_wakeFd);
    if (m_timerFd >= 0)
        ::close(m_timerFd);
    if (m_epoll >= 0)
        ::close(m_epoll);
}

bool EpollEventDispatcher::wanted()
{
    const QByteArray choice = qgetenv("WARDEN_EVENT_DISPATCHER");
    if (choice == "qt")
        return false;
    if (!choice.isEmpty() && choice != "epoll")
        qWarning("WARDEN_EVENT_DISPATCHER=%s: unknown (epoll or qt); using epoll",
                 choice.constData());
    return true;
}

qint64 EpollEventDispatcher::nowNs()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return qint64(ts.tv_sec) * kNsPerSec + ts.tv_nsec;
}

bool EpollEventDispatcher::processEvents(QEventLoop::ProcessEventsFlags flags)
{
    m_interrupted.store(false, std::memory_order_relaxed);
    Q_EMIT awake();
    // Every postEvent() calls wakeUp(), so an event posted from now on makes the wait below
    // return at once: nothing posted is left waiting for a timeout.
    QCoreApplication::sendPostedEvents();

    const bool includeTimers = !(flags & QEventLoop::X11ExcludeTimers);
    const bool includeNotifiers = !(flags & QEventLoop::ExcludeSocketNotifiers);
    const bool canWait
        = (flags & QEventLoop::WaitForMoreEvents) && !m_interrupted.load(std::memory_order_relaxed);
    if (canWait)
        Q_EMIT aboutToBlock();
    if (m_interrupted.load(std::memory_order_relaxed))
        return false;

    int timeoutMs = 0;
    if (canWait)
        timeoutMs = includeTimers ? waitTimeoutMs(nowNs()) : -1;

    int nevents = 0;
    if (includeNotifiers) {
        if (timeoutMs > 0 && qint64(timeoutMs) * kNsPerMs > kLongWaitNs && m_timerFd >= 0) {
            armTimerFd(nextWaitDeadlineNs());
            timeoutMs = -1;
        }
        epoll_event events[kMaxEventsPerWait];
        const int n = epoll_wait(m_epoll, events, kMaxEventsPerWait, timeoutMs);
        if (n < 0 && errno != EINTR)
            qErrnoWarning("EpollEventDispatcher: epoll_wait");
        for (int i = 0; i < n; ++i) {
            const int fd = events[i].data.fd;
            if (fd == m_wakeFd) {
                nevents += consumeWakeUp() ? 1 : 0;
                continue;
            }
            if (fd == m_timerFd) {
                // Expired (or armed for a deadline that has since moved): the timers below
                // decide what is due; a later long wait arms it again.
                quint64 expirations = 0;
                if (::read(m_timerFd, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
                    qErrnoWarning("EpollEventDispatcher: read(timerfd)");
                m_timerFdArmedNs = 0;
                continue;
            }
            const auto it = m_fds.find(fd);
            if (it == m_fds.end())
                continue;
            const quint8 wasPending = it->pending;
            for (int type = 0; type < 3; ++type) {
                if (it->notifiers[type] && (events[i].events & kReadyFlags[type])) {
                    it->pending |= quint8(1u << type);
                    ++nevents;
                }
            }
            if (!wasPending && it->pending)
                m_readyFds.push_back(fd);
        }
    } else {
        // Sockets are not to be activated: wait on the wakeup alone (and the timers).
        pollfd pfd{m_wakeFd, POLLIN, 0};
        if (::poll(&pfd, 1, timeoutMs) > 0)
            nevents += consumeWakeUp() ? 1 : 0;
    }

    if (includeNotifiers)
        nevents += activateSocketNotifiers();
    if (includeTimers)
        nevents += activateTimers();
    return nevents > 0;
}

bool EpollEventDispatcher::consumeWakeUp()
{
    eventfd_t value = 0;
    const bool read = eventfd_read(m_wakeFd, &value) == 0;
    // After the read: a wakeUp() from now on writes again, and one that saw the flag still set
    // posted its event before it looked, so the next sendPostedEvents() delivers it.
    m_wakeUps.store(0, std::memory_order_release);
    return read;
}

int EpollEventDispatcher::activateSocketNotifiers()
{
    if (m_readyFds.empty())
        return 0;
    // A notifier's slot may run a nested event loop: that loop marks and activates its own list.
    std::vector<int> ready;
    ready.swap(m_readyFds);
    int activated = 0;
    for (const int fd : ready) {
        for (int type = 0; type < 3; ++type) {
            // Look up again each time: the previous activation may have unregistered anything.
            const auto it = m_fds.find(fd);
            if (it == m_fds.end())
                break;
            const quint8 bit = quint8(1u << type);
            if (!(it->pending & bit))
                continue;
            it->pending &= quint8(~bit);
            QSocketNotifier *notifier = it->notifiers[type];
            if (!notifier)
                continue;
            QEvent event(QEvent::SockAct);
            QCoreApplication::sendEvent(notifier, &event);
            ++activated;
        }
    }
    ready.clear();
    if (m_readyFds.empty())
        m_readyFds.swap(ready); // keep the capacity
    return activated;
}

void EpollEventDispatcher::updateEpoll(int fd, FdEntry &entry)
{
    quint32 want = 0;
    for (int type = 0; type < 3; ++type) {
        if (entry.notifiers[type])
            want |= kWantFlags[type];
    }
    if (want == entry.events)
        return;
    epoll_event ev{};
    ev.events = want;
    ev.data.fd = fd;
    int op = entry.events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    int rc = epoll_ctl(m_epoll, op, fd, &ev);
    // The fd may have been closed and reused behind our back (the kernel drops a closed file
    // from the set by itself), or be known to epoll already: switch to the other operation.
    if (rc != 0 && op == EPOLL_CTL_MOD && errno == ENOENT)
        rc = epoll_ctl(m_epoll, op = EPOLL_CTL_ADD, fd, &ev);
    else if (rc != 0 && op == EPOLL_CTL_ADD && errno == EEXIST)
        rc = epoll_ctl(m_epoll, op = EPOLL_CTL_MOD, fd, &ev);
    if (rc != 0) {
        qWarning("EpollEventDispatcher: epoll_ctl(%d) for socket %d failed: %s", op, fd,
                 std::strerror(errno));
        return;
    }
    entry.events = want;
}

void EpollEventDispatcher::registerSocketNotifier(QSocketNotifier *notifier)
{
    Q_ASSERT(notifier);
    const int fd = int(notifier->socket());
    const int type = int(notifier->type());
    if (fd < 0 || type < 0 || type > 2)
        return;
    FdEntry &entry = m_fds[fd];
    if (entry.notifiers[type] && entry.notifiers[type] != notifier)
        qWarning("QSocketNotifier: Multiple socket notifiers for same socket %d and type %s", fd,
                 typeName(type));
    entry.notifiers[type] = notifier;
    entry.pending &= quint8(~(1u << type)); // readiness seen before belongs to no one
    updateEpoll(fd, entry);
}

void EpollEventDispatcher::unregisterSocketNotifier(QSocketNotifier *notifier)
{
    Q_ASSERT(notifier);
    const int fd = int(notifier->socket());
    const int type = int(notifier->type());
    const auto it = m_fds.find(fd);
    if (it == m_fds.end() || type < 0 || type > 2 || it->notifiers[type] != notifier)
        return;
    it->notifiers[type] = nullptr;
    it->pending &= quint8(~(1u << type));
    if (!it->notifiers[0] && !it->notifiers[1] && !it->notifiers[2]) {
        // The fd may be closed already (then the kernel has dropped it): ignore the answer.
        if (it->events)
            epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
        m_fds.erase(it);
        return;
    }
    updateEpoll(fd, *it);
}

void EpollEventDispatcher::registerTimer(int timerId, qint64 interval, Qt::TimerType timerType,
                                         QObject *object)
{
    if (timerId < 1 || interval < 0 || !object) {
        qWarning("EpollEventDispatcher::registerTimer: invalid arguments");
        return;
    }
    const auto old = m_timers.find(timerId);
    if (old != m_timers.end()) {
        unindexTimer(*old);
        m_timers.erase(old);
    }
    Timer t;
    t.object = object;
    t.interval = interval;
    t.type = timerType;
    t.period = interval;
    // Qt's rules: coarse timers under 20 ms are precise, from 20 s on very coarse (whole
    // seconds); the others may fire up to 5% early, so that wakeups coalesce.
    t.effective = timerType;
    if (timerType == Qt::CoarseTimer && interval <= 20)
        t.effective = Qt::PreciseTimer;
    else if (timerType == Qt::CoarseTimer && interval >= 20000)
        t.effective = Qt::VeryCoarseTimer;
    if (t.effective == Qt::CoarseTimer)
        t.slack = interval * kNsPerMs / 20;
    if (t.effective == Qt::VeryCoarseTimer)
        t.period = (interval + 500) / 1000 * 1000;
    t.serial = ++m_timerSerial;
    armTimer(timerId, m_timers.insert(timerId, t).value(), nowNs(), true);
}

void EpollEventDispatcher::unindexTimer(const Timer &t)
{
    m_timerIndex.erase(TimerKey(t.deadline, t.seq));
}

void EpollEventDispatcher::armTimer(int id, Timer &t, qint64 now, bool first)
{
    if (!first)
        unindexTimer(t);
    const bool veryCoarse = t.effective == Qt::VeryCoarseTimer;
    const qint64 period = t.period * kNsPerMs;
    if (veryCoarse) {
        if (first) {
            t.deadline = (now / kNsPerSec) * kNsPerSec + period;
            if (now % kNsPerSec > kNsPerSec / 2)
                t.deadline += kNsPerSec;
        } else {
            t.deadline += period;
            if (t.deadline <= now)
                t.deadline = (now / kNsPerSec) * kNsPerSec + period;
        }
    } else if (first) {
        t.deadline = now + period;
    } else {
        // Keep the phase (a precise timer fires at start + k * interval) unless it fell behind.
        t.deadline += period;
        if (t.deadline < now)
            t.deadline = now + period;
    }
    t.seq = ++m_timerSeq;
    m_timerIndex.emplace(TimerKey(t.deadline, t.seq), id);
}

bool EpollEventDispatcher::unregisterTimer(int timerId)
{
    const auto it = m_timers.find(timerId);
    if (it == m_timers.end())
        return false;
    unindexTimer(*it);
    m_timers.erase(it);
    return true;
}

bool EpollEventDispatcher::unregisterTimers(QObject *object)
{
    bool any = false;
    for (auto it = m_timers.begin(); it != m_timers.end();) {
        if (it->object == object) {
            unindexTimer(*it);
            it = m_timers.erase(it);
            any = true;
        } else {
            ++it;
        }
    }
    return any;
}

QList<QAbstractEventDispatcher::TimerInfo> EpollEventDispatcher::registeredTimers(
    QObject *object) const
{
    QList<TimerInfo> list;
    for (auto it = m_timers.cbegin(); it != m_timers.cend(); ++it) {
        if (it->object == object)
            list.append(TimerInfo(it.key(), int(it->interval), it->type));
    }
    return list;
}

int EpollEventDispatcher::remainingTime(int timerId)
{
    const auto it = m_timers.constFind(timerId);
    if (it == m_timers.cend())
        return -1;
    const qint64 left = it->deadline - nowNs();
    if (left <= 0)
        return 0;
    return int(std::min<qint64>((left + kNsPerMs - 1) / kNsPerMs, std::numeric_limits<int>::max()));
}

qint64 EpollEventDispatcher::nextWaitDeadlineNs() const
{
    // The first timer not being delivered right now (a slot that runs a nested loop must not
    // make that loop spin on its own timer).
    for (const auto &[key, id] : m_timerIndex) {
        const auto it = m_timers.constFind(id);
        if (it == m_timers.cend() || it->active)
            continue;
        return key.first;
    }
    return -1;
}

int EpollEventDispatcher::waitTimeoutMs(qint64 now) const
{
    const qint64 deadline = nextWaitDeadlineNs();
    if (deadline < 0)
        return -1;
    const qint64 left = deadline - now;
    if (left <= 0)
        return 0;
    return int(std::min<qint64>((left + kNsPerMs - 1) / kNsPerMs, std::numeric_limits<int>::max()));
}

void EpollEventDispatcher::armTimerFd(qint64 deadlineNs)
{
    if (deadlineNs <= 0 || deadlineNs == m_timerFdArmedNs)
        return;
    itimerspec spec{};
    spec.it_value.tv_sec = time_t(deadlineNs / kNsPerSec);
    spec.it_value.tv_nsec = long(deadlineNs % kNsPerSec);
    if (timerfd_settime(m_timerFd, TFD_TIMER_ABSTIME, &spec, nullptr) != 0) {
        qErrnoWarning("EpollEventDispatcher: timerfd_settime");
        return;
    }
    m_timerFdArmedNs = deadlineNs;
}

int EpollEventDispatcher::activateTimers()
{
    if (m_timerIndex.empty())
        return 0;
    const qint64 now = nowNs();
    // Collect first, then deliver: a timer re-armed to a deadline that is due again (an
    // interval of 0) fires once per pass, as do timers added by the slots.
    std::vector<std::pair<int, quint64>> due;
    for (auto it = m_timerIndex.cbegin(); it != m_timerIndex.cend(); ++it) {
        if (it->first.first > now + kMaxSlackNs)
            break;
        const auto t = m_timers.constFind(it->second);
        if (t != m_timers.cend() && t->deadline - t->slack <= now)
            due.emplace_back(it->second, t->serial);
    }
    int fired = 0;
    for (const auto &[id, serial] : due) {
        auto it = m_timers.find(id);
        if (it == m_timers.end() || it->serial != serial || it->deadline - it->slack > now)
            continue; // killed, replaced or re-armed meanwhile
        armTimer(id, *it, now, false);
        if (it->interval > 0)
            ++fired;
        if (it->active)
            continue; // its slot is still running (a nested loop): no recursion
        it->active = true;
        QTimerEvent event(id);
        QCoreApplication::sendEvent(it->object, &event);
        it = m_timers.find(id);
        if (it != m_timers.end() && it->serial == serial)
            it->active = false;
    }
    return fired;
}

void EpollEventDispatcher::wakeUp()
{
    int expected = 0;
    if (m_wakeUps.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) {
        while (eventfd_write(m_wakeFd, 1) != 0 && errno == EINTR) { }
    } // else a wakeup is pending already
    TsanSync::release(this); // see the destructor
}

void EpollEventDispatcher::interrupt()
{
    m_interrupted.store(true, std::memory_order_relaxed);
    wakeUp();
}
