// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QAbstractEventDispatcher>
#include <QtCore/QHash>

#include <atomic>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

class QSocketNotifier;

// An event dispatcher for the server thread whose wakeup costs O(ready sockets) instead of
// O(registered sockets): socket notifiers are kept in one level-triggered epoll set (the read,
// write and exception notifiers of one fd share a registration), timers in an ordered index,
// cross-thread wakeups go through an eventfd. Qt 6.4's own dispatchers rebuild and poll the
// whole notifier list on every wakeup (docs/performance.md). Public Qt API only. Created in any
// thread, handed to QThread::setEventDispatcher() before the thread starts, then used only by
// that thread; wakeUp() and interrupt() may be called from any thread.
class EpollEventDispatcher final : public QAbstractEventDispatcher
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EpollEventDispatcher)

public:
    explicit EpollEventDispatcher(QObject *parent = nullptr);
    ~EpollEventDispatcher() override;

    // False when WARDEN_EVENT_DISPATCHER=qt asks for Qt's own dispatcher (the escape hatch).
    static bool wanted();
    // True once the epoll set and the eventfd exist; a dispatcher that is not valid must not
    // be installed (wanted() callers fall back to Qt's).
    bool isValid() const { return m_epoll >= 0 && m_wakeFd >= 0; }

    bool processEvents(QEventLoop::ProcessEventsFlags flags) override;

    void registerSocketNotifier(QSocketNotifier *notifier) override;
    void unregisterSocketNotifier(QSocketNotifier *notifier) override;

    void registerTimer(int timerId, qint64 interval, Qt::TimerType timerType,
                       QObject *object) override;
    bool unregisterTimer(int timerId) override;
    bool unregisterTimers(QObject *object) override;
    QList<TimerInfo> registeredTimers(QObject *object) const override;
    int remainingTime(int timerId) override;

    void wakeUp() override;
    void interrupt() override;

    // For tests: how many fds are in the epoll set, how many timers are armed.
    int registeredSocketCount() const { return int(m_fds.size()); }
    int registeredTimerCount() const { return int(m_timers.size()); }

private:
    struct FdEntry
    {
        QSocketNotifier *notifiers[3] = {nullptr, nullptr, nullptr}; // Read, Write, Exception
        quint32 events = 0; // what the epoll registration asks for
        quint8 pending = 0; // notifier types marked ready by this turn's epoll_wait
    };
    struct Timer
    {
        QObject *object = nullptr;
        qint64 interval = 0; // as registered, ms
        qint64 period = 0; // what it re-arms with, ms (VeryCoarse: whole seconds)
        qint64 slack = 0; // ns a coarse timer may fire early, so that wakeups coalesce
        qint64 deadline = 0; // ns, monotonic
        Qt::TimerType type = Qt::CoarseTimer; // as registered
        Qt::TimerType effective = Qt::CoarseTimer; // after Qt's rules for coarse intervals
        quint64 serial = 0; // tells a reused id from the timer a pass started with
        quint64 seq = 0; // its place among equal deadlines in the index (first armed, first out)
        bool active = false; // its event is being delivered: do not deliver it again
    };
    using TimerKey = std::pair<qint64, quint64>; // deadline, seq

    static qint64 nowNs();
    void updateEpoll(int fd, FdEntry &entry);
    void armTimer(int id, Timer &t, qint64 now, bool first);
    void unindexTimer(const Timer &t);
    // Deadline (ns) of the first timer the next wait must end for, or -1 when there is none.
    qint64 nextWaitDeadlineNs() const;
    int waitTimeoutMs(qint64 now) const;
    // A long wait ends on m_timerFd instead of epoll_wait()'s timeout (see processEvents()).
    void armTimerFd(qint64 deadlineNs);
    int activateSocketNotifiers();
    int activateTimers();
    bool consumeWakeUp();

    int m_epoll = -1;
    int m_wakeFd = -1;
    int m_timerFd = -1;
    qint64 m_timerFdArmedNs = 0; // what m_timerFd is armed for (0: disarmed)
    std::atomic<int> m_wakeUps{0};
    std::atomic<bool> m_interrupted{false};

    QHash<int, FdEntry> m_fds;
    std::vector<int> m_readyFds; // this turn's ready fds, activated in order

    QHash<int, Timer> m_timers;
    std::map<TimerKey, int> m_timerIndex; // -> timer id
    quint64 m_timerSerial = 0;
    quint64 m_timerSeq = 0;
};
