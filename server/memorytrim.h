// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QObject>
#include <QtCore/QTimer>

// Gives freed heap back to the system after mass disconnects. glibc keeps the memory of closed
// connections in its arenas (tens of KiB each): after 10,000 sessions end, RSS would stay where
// the peak was. Counts releases and calls malloc_trim() once things have been quiet for a moment,
// never on the hot path. Lives in the thread of its owner (the server worker).
class MemoryTrim final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MemoryTrim)

public:
    explicit MemoryTrim(QObject *parent = nullptr);

    // At least this many releases since the last trim make one worth doing.
    void setThreshold(int releases) { m_threshold = releases; }
    void setQuietMs(int ms) { m_timer.setInterval(ms); }
    // One connection (or anything of similar size) was freed.
    void released();
    int trims() const { return m_trims; }

private:
    void trim();

    QTimer m_timer;
    int m_pending = 0;
    int m_threshold = 1000;
    int m_trims = 0;
};
