// SPDX-License-Identifier: MIT
#include "server/parallelsender.h"

#include <QtCore/QThread>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <sys/socket.h>

namespace {

// Targets taken at a time: large enough that the lock is not what costs, small enough that a
// helper woken late still finds work.
constexpr std::size_t Chunk = 64;

} // namespace

ParallelSender::ParallelSender(int helpers)
{
    m_threads.reserve(std::size_t(std::max(0, helpers)));
    for (int i = 0; i < helpers; ++i)
        m_threads.emplace_back([this] { helperLoop(); });
}

ParallelSender::~ParallelSender()
{
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_all();
    for (std::thread &t : m_threads)
        t.join();
}

int ParallelSender::defaultHelpers()
{
    if (const char *env = std::getenv("WARDEN_SEND_THREADS"); env && *env) {
        char *end = nullptr;
        const long n = std::strtol(env, &end, 10);
        if (end && *end == '\0' && n >= 0 && n <= 8)
            return int(n);
    }
    return std::clamp(QThread::idealThreadCount() - 1, 0, 3);
}

void ParallelSender::sendToAll(QByteArrayView bytes, std::vector<Target> &targets)
{
    if (targets.empty())
        return;
    bool wake = false;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_data = bytes.data();
        m_size = std::size_t(bytes.size());
        m_targets = targets.data();
        m_count = targets.size();
        m_next = 0;
        // Helpers only pay off when there is more than one chunk for them to take.
        if (targets.size() > Chunk && !m_threads.empty()) {
            ++m_generation;
            m_busy = int(m_threads.size());
            wake = true;
        }
    }
    if (wake)
        m_wake.notify_all();
    work();
    std::unique_lock<std::mutex> lock(m_mutex);
    m_idle.wait(lock, [this] { return m_busy == 0; });
    m_targets = nullptr;
    m_count = 0;
}

void ParallelSender::helperLoop()
{
    quint64 seen = 0;
    for (;;) {
        {
            std::unique_lock<std::mutex> lock(m_mutex);
            m_wake.wait(lock, [&] { return m_stop || m_generation != seen; });
            if (m_stop)
                return;
            seen = m_generation;
        }
        work();
        bool last = false;
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            last = --m_busy == 0;
        }
        if (last)
            m_idle.notify_one();
    }
}

void ParallelSender::work()
{
    for (;;) {
        std::size_t begin = 0;
        std::size_t end = 0;
        const char *data = nullptr;
        std::size_t size = 0;
        Target *targets = nullptr;
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            if (m_next >= m_count)
                return;
            begin = m_next;
            end = std::min(m_count, begin + Chunk);
            m_next = end;
            data = m_data;
            size = m_size;
            targets = m_targets;
        }
        for (std::size_t i = begin; i < end; ++i) {
            Target &t = targets[i];
            ssize_t r;
            do {
                r = ::send(t.fd, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
            } while (r < 0 && errno == EINTR);
            if (r >= 0) {
                t.sent = qsizetype(r);
                t.error = 0;
            } else {
                t.sent = 0;
                t.error = (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : errno;
            }
        }
    }
}
