// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QCoreApplication>
#include <QtCore/QEvent>
#include <QtCore/QObject>

#include <functional>
#include <utility>

// Cross-thread hand-offs that ThreadSanitizer can see. Debian's Qt is not built with TSan: the
// QMutex (a raw futex) that orders posting an event before its delivery is invisible to it, and
// a queued call through QMetaObject::invokeMethod or a queued connection is read by template
// code compiled into Warden (instrumented) before any functor of ours could tell TSan about that
// ordering. So Warden hands a functor to another thread as its own posted event: the event's
// constructor ends with __tsan_release on the event's address, and the receiving mailbox's
// event() begins with __tsan_acquire on the same address, before it reads anything of the event.
// That is exactly the ordering Qt's event queue gives, for that one event.
// The queue itself is the other thing TSan cannot order: Qt's per-thread posted-event list, a
// QList under that same futex, is written by every thread that posts to it, the receiving thread
// included (deleteLater(), queued self-calls). So a hand-off's postEvent() runs with this
// thread's memory accesses unrecorded (postEvent below): inside it only Qt's own code and the
// receiving dispatcher's wakeUp() run (EpollEventDispatcher's: an atomic and an eventfd write,
// whose synchronisation TSan still sees), never a functor or data of Warden's.
// Without WARDEN_TSAN (-DWARDEN_SANITIZE=thread defines it) the annotations are empty and this is
// a plain posted event. Header-only; any thread.
#if defined(WARDEN_TSAN)
extern "C" void __tsan_acquire(void *addr);
extern "C" void __tsan_release(void *addr);
extern "C" void __tsan_ignore_thread_begin();
extern "C" void __tsan_ignore_thread_end();
#endif

namespace TsanSync {

inline void release(const void *address)
{
#if defined(WARDEN_TSAN)
    __tsan_release(const_cast<void *>(address));
#else
    Q_UNUSED(address);
#endif
}

inline void acquire(const void *address)
{
#if defined(WARDEN_TSAN)
    __tsan_acquire(const_cast<void *>(address));
#else
    Q_UNUSED(address);
#endif
}

// QCoreApplication::postEvent() for an event that crosses threads, with Qt's writes into the
// receiving thread's queue kept out of TSan's record (see above). Synchronisation (the event's
// release, the dispatcher's) is still seen.
inline void postEvent(QObject *receiver, QEvent *event)
{
#if defined(WARDEN_TSAN)
    __tsan_ignore_thread_begin();
    QCoreApplication::postEvent(receiver, event);
    __tsan_ignore_thread_end();
#else
    QCoreApplication::postEvent(receiver, event);
#endif
}

// A functor posted to a Mailbox (or any receiver that calls Mailbox::deliver in event()).
class HandOffEvent final : public QEvent
{
public:
    static QEvent::Type eventType()
    {
        static const auto type = QEvent::Type(QEvent::registerEventType());
        return type;
    }

    explicit HandOffEvent(std::function<void()> run)
        : QEvent(eventType())
        , m_run(std::move(run))
    {
        release(static_cast<QEvent *>(this)); // every member is written: publish them
    }
    ~HandOffEvent() override = default;
    Q_DISABLE_COPY_MOVE(HandOffEvent)

    void run() { m_run(); }

private:
    std::function<void()> m_run;
};

// Call first thing in event(): returns true when e was a hand-off (now run).
inline bool deliver(QEvent *e)
{
    acquire(e); // before any read of the event; for other events a no-op
    if (e->type() != HandOffEvent::eventType())
        return false;
    static_cast<HandOffEvent *>(e)->run();
    return true;
}

// Runs handed-off functors in the thread it lives in.
class Mailbox final : public QObject
{
public:
    Mailbox() = default;
    Q_DISABLE_COPY_MOVE(Mailbox)

    void post(std::function<void()> run)
    {
        TsanSync::postEvent(this, new HandOffEvent(std::move(run)));
    }

protected:
    bool event(QEvent *e) override { return deliver(e) || QObject::event(e); }
};

} // namespace TsanSync
