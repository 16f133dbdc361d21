// SPDX-License-Identifier: MIT
#pragma once

#include "server/serverevent.h"

#include <QtCore/QList>

// Bounded in-memory event log: the newest `capacity` events, ids increasing from 1.
// Not thread-safe; lives in the server worker thread.
class EventRing final
{
public:
    explicit EventRing(int capacity);

    // Assigns the next id and stores a copy; returns the stored event.
    const ServerEvent &append(ServerEvent event);
    // Events with id > sinceId, oldest first, at most limit of them.
    QList<ServerEvent> since(quint64 sinceId, int limit) const;
    void setCapacity(int capacity);
    // Continues the id sequence of an earlier run (ids stay unique in the persistent log).
    // Only moves forward.
    void setNextId(quint64 nextId) { m_nextId = qMax(m_nextId, nextId); }
    int capacity() const { return m_capacity; }
    qsizetype size() const { return m_items.size(); }
    quint64 lastId() const { return m_nextId - 1; }

private:
    int m_capacity;
    qsizetype m_head = 0; // index of the oldest event once the ring is full
    quint64 m_nextId = 1;
    QList<ServerEvent> m_items;
};
