// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QList>
#include <QtCore/QtGlobal>

#include <optional>
#include <set>
#include <unordered_map>
#include <utility>

// Ordered index of (deadline, key): O(log n) schedule/remove, O(1) nearest deadline, and
// due keys taken in deadline order. Not thread-safe; lives with its owner.
class DeadlineIndex final
{
public:
    using Key = quint64;

    // Inserts the key or moves it to a new deadline.
    void schedule(Key key, qint64 deadlineMs);
    bool remove(Key key);
    bool contains(Key key) const { return m_byKey.count(key) != 0; }
    std::optional<qint64> deadlineOf(Key key) const;
    std::optional<qint64> nearest() const;
    // Removes and returns every key whose deadline is <= nowMs, earliest first.
    QList<Key> takeDue(qint64 nowMs);
    // The keys takeDue(nowMs) would return, earliest first, without removing them.
    QList<Key> due(qint64 nowMs) const;
    qsizetype size() const { return qsizetype(m_byKey.size()); }
    bool isEmpty() const { return m_byKey.empty(); }
    void clear();

private:
    std::set<std::pair<qint64, Key>> m_order;
    std::unordered_map<Key, qint64> m_byKey;
};
