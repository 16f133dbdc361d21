// SPDX-License-Identifier: MIT
#include "server/memorytrim.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

MemoryTrim::MemoryTrim(QObject *parent)
    : QObject(parent)
    , m_timer(this) // moves with its owner into the server thread
{
    m_timer.setSingleShot(true);
    m_timer.setInterval(2000);
    connect(&m_timer, &QTimer::timeout, this, &MemoryTrim::trim);
}

void MemoryTrim::released()
{
    // Restarted on every release: the trim runs once the wave of disconnects is over.
    if (++m_pending >= m_threshold)
        m_timer.start();
}

void MemoryTrim::trim()
{
    m_pending = 0;
    ++m_trims;
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}
