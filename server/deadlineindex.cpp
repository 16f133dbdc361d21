// SPDX-License-Identifier: MIT
#include "server/deadlineindex.h"

void DeadlineIndex::schedule(Key key, qint64 deadlineMs)
{
    auto it = m_byKey.find(key);
    if (it != m_byKey.end()) {
        if (it->second == deadlineMs)
            return;
        m_order.erase({it->second, key});
        it->second = deadlineMs;
    } else {
        m_byKey.emplace(key, deadlineMs);
    }
    m_order.emplace(deadlineMs, key);
}

bool DeadlineIndex::remove(Key key)
{
    auto it = m_byKey.find(key);
    if (it == m_byKey.end())
        return false;
    m_order.erase({it->second, key});
    m_byKey.erase(it);
    return true;
}

std::optional<qint64> DeadlineIndex::deadlineOf(Key key) const
{
    auto it = m_byKey.find(key);
    if (it == m_byKey.end())
        return std::nullopt;
    return it->second;
}

std::optional<qint64> DeadlineIndex::nearest() const
{
    if (m_order.empty())
        return std::nullopt;
    return m_order.begin()->first;
}

QList<DeadlineIndex::Key> DeadlineIndex::takeDue(qint64 nowMs)
{
    QList<Key> due;
    auto it = m_order.begin();
    while (it != m_order.end() && it->first <= nowMs) {
        due.append(it->second);
        m_byKey.erase(it->second);
        it = m_order.erase(it);
    }
    return due;
}

QList<DeadlineIndex::Key> DeadlineIndex::due(qint64 nowMs) const
{
    QList<Key> keys;
    for (auto it = m_order.begin(); it != m_order.end() && it->first <= nowMs; ++it)
        keys.append(it->second);
    return keys;
}

void DeadlineIndex::clear()
{
    m_order.clear();
    m_byKey.clear();
}
