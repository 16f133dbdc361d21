// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QByteArrayView>
#include <QtCore/QtGlobal>

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>
#include <vector>

// Writes one prepared byte string to many non-blocking sockets at once (a mass expiry's logout
// push, a broadcast), spread over the calling thread and a few helper threads. Owned and called
// by the server worker thread; the helpers only ever call send() on the descriptors of the
// current call, and the call returns once every descriptor has been tried, so the caller keeps
// sole ownership of its sockets. Idle helpers sleep on a condition variable.
class ParallelSender final
{
    Q_DISABLE_COPY_MOVE(ParallelSender)

public:
    struct Target
    {
        int fd = -1;
        qsizetype sent = 0; // bytes the kernel took: 0 when it took none (EAGAIN)
        int error = 0; // errno of a failed send(), else 0
    };

    // helpers: threads besides the caller's (0: everything on the caller's thread).
    explicit ParallelSender(int helpers);
    ~ParallelSender();

    int helpers() const { return int(m_threads.size()); }
    // The helpers for this machine: one fewer than its cores, at most 3; WARDEN_SEND_THREADS
    // (0-8) overrides.
    static int defaultHelpers();

    // Tries once to send bytes to every target (MSG_NOSIGNAL; the sockets must be non-blocking)
    // and fills in sent and error. Blocks until all are done.
    void sendToAll(QByteArrayView bytes, std::vector<Target> &targets);

private:
    void helperLoop();
    void work();

    std::vector<std::thread> m_threads;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::condition_variable m_idle;
    quint64 m_generation = 0; // a new call
    int m_busy = 0; // helpers still inside the current call
    bool m_stop = false;

    // The current call (written under m_mutex before the helpers are woken).
    const char *m_data = nullptr;
    std::size_t m_size = 0;
    Target *m_targets = nullptr;
    std::size_t m_count = 0;
    std::size_t m_next = 0; // next chunk of targets to take, under m_mutex
};
