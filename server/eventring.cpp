// SPDX-License-Identifier: MIT
#include "server/eventring.h"

EventRing::EventRing(int capacity)
    : m_capacity(qMax(1, capacity))
{ }

const ServerEvent &EventRing::append(ServerEvent event)
{
    event.id = m_nextId++;
    if (m_items.size() < m_capacity) {
        m_items.append(std::move(event));
        return m_items.last();
    }
    const qsizetype slot = m_head;
    m_items[slot] = std::move(event);
    m_head = (m_head + 1) % m_items.size();
    return m_items.at(slot);
}

QList<ServerEvent> EventRing::since(quint64 sinceId, int limit) const
{
    QList<ServerEvent> out;
    const qsizetype n = m_items.size();
    for (qsizetype i = 0; i < n && out.size() < limit; ++i) {
        const ServerEvent &e = m_items.at((m_head + i) % n);
        if (e.id > sinceId)
            out.append(e);
    }
    return out;
}

void EventRing::setCapacity(int capacity)
{
    capacity = qMax(1, capacity);
    if (capacity == m_capacity)
        return;
    QList<ServerEvent> ordered = since(0, int(m_items.size()));
    if (ordered.size() > capacity)
        ordered = ordered.mid(ordered.size() - capacity);
    m_items = std::move(ordered);
    m_head = 0;
    m_capacity = capacity;
}
