// SPDX-License-Identifier: MIT
#pragma once

#include "server/connectioninfo.h"

#include <QtCore/QAbstractTableModel>
#include <QtCore/QHash>
#include <QtCore/QList>
#include <QtCore/QMap>
#include <QtCore/QStringList>

#include <vector>

// Source model of live connections, fed by batched ConnectionDelta values. It keeps its rows in
// the sort order itself (sort() is what a header click reaches through ConnectionFilterProxy): a
// batch of changes is merged into the order in O(rows + changes log changes) and costs the views
// at most one insert, one layout change and one removal, where a sorting QSortFilterProxyModel
// re-sorted up to every row per batch (110-390 ms for 10k changes at 100k rows). Filtering stays
// in the proxy. The time columns are computed from the clock in data() and "Expires in" sorts by
// the fixed deadline, so countdowns never reorder rows: views refresh them by repainting.
// Lives in the GUI thread.
class ConnectionTableModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConnectionTableModel)

public:
    enum class Column {
        Id,
        User,
        Session,
        Peer,
        Endpoint,
        ConnectedFor,
        LastActivity,
        ExpiresIn,
        TcpState,
        Rtt,
        MsgsIn,
        MsgsOut,
        BytesIn,
        BytesOut,
        Node, // [cluster]: the node holding the connection (hidden when Warden runs alone)
        Count
    };
    enum Role {
        ConnectionIdRole = Qt::UserRole + 1,
        SessionIdRole,
        UserRole,
        SortRole, // numeric value for sorting time and counter columns
        WarnedRole,
        FilterRole, // never has data: the proxy filters on the row values themselves
        NodeRole, // [cluster]: the node of a row of another node; empty for this node's rows
    };

    // [cluster] rows of other nodes live in this model too, under a key of their own: their ids
    // are per node, so the key is RemoteBit | node index << 40 | id (ids below 2^40).
    static constexpr quint64 RemoteBit = quint64(1) << 63;
    static constexpr quint64 RemoteIdMask = (quint64(1) << 40) - 1;
    static ConnectionId remoteKey(int nodeIndex, ConnectionId id)
    {
        return RemoteBit | (quint64(nodeIndex) << 40) | (id & RemoteIdMask);
    }
    static bool isRemoteKey(ConnectionId key) { return (key & RemoteBit) != 0; }
    // The id a row shows: the node's own id for rows of other nodes.
    static ConnectionId shownId(const ConnectionInfo &c)
    {
        return c.node.isEmpty() ? c.id : (c.id & RemoteIdMask);
    }
    // What the Node column says for this node's rows.
    void setLocalNode(const QString &node);

    explicit ConnectionTableModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    // Sorts the rows by a column (numbers as numbers, deadlines rather than countdowns, ties by
    // id) with one layout change; later batches keep that order. A column of -1 sorts by id.
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;
    int sortColumn() const { return m_sortColumn; }
    Qt::SortOrder sortOrder() const { return m_sortOrder; }

    void applyDelta(const ConnectionDelta &delta);
    const ConnectionInfo *byId(ConnectionId id) const;
    const ConnectionInfo &at(int row) const { return m_slots[size_t(m_order[size_t(row)].slot)]; }
    int rowOf(ConnectionId id) const;
    // User, session and peer of a row in lower case, for the proxy's text filter: one search per
    // row instead of three case-insensitive ones, which made a filtered batch cost 40 ms.
    const QString &searchTextAt(int row) const
    {
        return m_search[size_t(m_order[size_t(row)].slot)];
    }
    static QString searchText(const ConnectionInfo &c);
    // A filter's verdict on a row, cached per row for ConnectionFilterProxy: the model forgets
    // it when a field a filter looks at changes (login, warning, text columns). A layout change
    // makes the proxy filter every row again; with the cache that is a walk over bytes instead
    // of 100k string searches over rows scattered in memory (20 ms per batch).
    enum class FilterVerdict : qint8 { Unknown = -1, Rejected = 0, Accepted = 1 };
    FilterVerdict cachedVerdict(int row) const
    {
        return m_verdicts[size_t(m_order[size_t(row)].slot)];
    }
    void cacheVerdict(int row, bool accepted) const
    {
        m_verdicts[size_t(m_order[size_t(row)].slot)]
            = accepted ? FilterVerdict::Accepted : FilterVerdict::Rejected;
    }
    // The filter changed: every verdict is unknown.
    void forgetVerdicts() const;
    // For a view that walks every row in order (the grouped view): the storage slot and the
    // id of a row, read from the compact order array instead of the rows scattered in memory.
    int slotAt(int row) const { return m_order[size_t(row)].slot; }
    ConnectionId idAt(int row) const { return m_order[size_t(row)].id; }
    // That view's own number for the group (session) of a slot's row, cached here so that a
    // walk over every row looks up only the rows that are new or changed their session: -1 for
    // a new row and after a change of login, user, session or peer. One grouping view per model.
    int groupHint(int slot) const { return m_groupHints[size_t(slot)]; }
    void setGroupHint(int slot, int group) const { m_groupHints[size_t(slot)] = group; }
    const int *groupHintAddress(int slot) const { return &m_groupHints[size_t(slot)]; }
    void forgetGroupHints() const;
    // Live connections per QAbstractSocket::SocketState, kept up to date by applyDelta().
    const QMap<int, int> &socketStateCounts() const { return m_stateCounts; }
    // The logged-in users with at least one live connection, sorted.
    QStringList users() const;

    // Orders two rows by a column the way the view sorts it (numbers as numbers).
    static bool lessThan(const ConnectionInfo &a, const ConnectionInfo &b, Column column);
    static QString durationText(qint64 ms);
    static QString bytesText(quint64 n);

Q_SIGNALS:
    void socketStateCountsChanged();
    // A user got a first connection or lost the last one.
    void usersChanged();

private:
    // More runs of changed rows than this are signalled as one span: every signal costs the
    // proxy and the views a pass of their own.
    static constexpr qsizetype MaxChangeRuns = 64;

    // One row of the display order: the typed sort key (numeric columns), the id for ties and
    // the storage slot. Merging and comparing walk this compact array, not the rows.
    struct OrderEntry
    {
        qint64 key;
        ConnectionId id;
        int slot;
    };

    qint64 nowMs() const;
    qint64 numericKey(const ConnectionInfo &c) const;
    const QString *stringKey(const ConnectionInfo &c) const;
    bool sameKey(const ConnectionInfo &a, const ConnectionInfo &b) const;
    bool entryLess(const OrderEntry &a, const OrderEntry &b) const;
    // Calls f with the order's comparison of two entries: for a numeric column a plain one on
    // (key, id) that the sort and the merge inline; a text column's reads the rows.
    template<typename F>
    void withEntryLess(F &&f) const;
    OrderEntry entryFor(int slot) const;
    int allocSlot();
    // Moves the rows into a new order in one layout change, keeping persistent indexes.
    // The old order is left in `order`.
    void relayout(std::vector<OrderEntry> &order);
    void emitChanged(QList<int> &rows, int minColumn);
    void countState(int state, int delta);
    void countUser(const ConnectionInfo &c, int delta);

    std::vector<ConnectionInfo> m_slots; // storage; a slot keeps its row until it leaves
    std::vector<int> m_freeSlots;
    std::vector<QString> m_search; // per slot: searchText() of its row
    std::vector<quint8> m_marks;
    mutable std::vector<FilterVerdict> m_verdicts; // per slot
    mutable std::vector<int> m_groupHints; // per slot
    std::vector<OrderEntry> m_order; // the rows in display order
    std::vector<int> m_rowOfSlot;
    std::vector<OrderEntry> m_scratchStay; // buffers reused by every batch
    std::vector<OrderEntry> m_scratchOrder;
    std::vector<int> m_scratchSlots;
    std::vector<quint64> m_scratchBits;
    QHash<ConnectionId, int> m_slotById;
    int m_sortColumn = 0;
    Qt::SortOrder m_sortOrder = Qt::AscendingOrder;
    QMap<int, int> m_stateCounts;
    QHash<QString, int> m_userCounts; // connections per logged-in user
    QString m_localNode;
    bool m_usersChanged = false;
};
