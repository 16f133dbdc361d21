// SPDX-License-Identifier: MIT
#pragma once

#include "server/connectioninfo.h"

#include <QtCore/QAbstractItemModel>
#include <QtCore/QHash>
#include <QtCore/QTimer>

#include <vector>

class ConnectionFilterProxy;
class ConnectionTableModel;

// The connections grouped under their session: one top-level row per session (with its user,
// number of connections, summed counters and the session's own "expires in"), its connections as
// children; connections that are not logged in share one group. Built from the filtered table
// (ConnectionFilterProxy), so the filters and the table's sort order apply: the groups come in
// the order of their first shown connection; sort() forwards to the table. GUI thread.
//
// Updated once per table batch, and only while enabled, without a model reset: groups keep a
// number of their own across batches (cached per row in the table, so a batch looks up only the
// rows that are new or changed their session), one pass over the table's compact order array
// regroups every row, and the views get one layout change with their persistent indexes
// (expanded sessions, selection, current row) moved to where their rows went, or only a
// dataChanged when no row moved. The summed columns are computed when a view asks for them.
// At 100,000 rows that is a few ms per batch (docs/dashboard.md), where a rebuild with a
// reset cost 40-260 ms.
class ConnectionGroupModel final : public QAbstractItemModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConnectionGroupModel)

public:
    enum Role {
        IsGroupRole = Qt::UserRole + 20, // true on session rows
        ConnectionCountRole, // connections in the group (session rows)
    };

    struct Group
    {
        QString sessionId; // empty: the group of connections that are not logged in
        QString user;
        // Summed over the shown connections; up to date in what groupAt() returns.
        qint64 expiresAtMs = 0;
        qint64 connectedAtMs = 0; // the oldest connection's
        qint64 lastActivityMs = 0; // the newest activity of any connection
        bool warned = false;
        quint64 msgsIn = 0;
        quint64 msgsOut = 0;
        quint64 bytesIn = 0;
        quint64 bytesOut = 0;
        std::vector<ConnectionId> connections; // shown, in the table's order
        bool loggedIn() const { return !sessionId.isEmpty(); }
    };

    explicit ConnectionGroupModel(QObject *parent = nullptr);

    void setSourceModel(ConnectionFilterProxy *proxy);
    // While disabled the model is empty and ignores the table's changes. Switching resets.
    void setEnabled(bool on);
    bool isEnabled() const { return m_enabled; }
    // Regroups now instead of after the current batch (a layout change, or nothing to do).
    void refresh();

    const Group *groupAt(const QModelIndex &index) const; // session rows only
    ConnectionId connectionAt(const QModelIndex &index) const; // connection rows only, else 0
    QModelIndex indexOfSession(const QString &sessionId) const;
    QModelIndex indexOfConnection(ConnectionId id) const;

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    bool hasChildren(const QModelIndex &parent = {}) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

private:
    // A group. Nodes are reused: a node lives as long as a row of the table (shown or not)
    // belongs to its session, because rows keep its number (ConnectionTableModel::groupHint).
    // What a pass over every row touches per row lives in the compact arrays below instead.
    struct Node
    {
        Group group; // connections and sums filled by summed()
        quint64 summed = 0; // the generation of the sums in `group`
    };

    void scheduleUpdate();
    void update();
    // Walks every row of the table into m_next*: the groups in row order and their connections.
    void collect();
    int nodeFor(const ConnectionInfo &c);
    // Where a connection row goes in the pass's results (during a layout change).
    QModelIndex nextIndexOf(ConnectionId id, int column) const;
    // Moves the pass's results in; frees the nodes no row belongs to any more.
    void commit();
    void clear();
    const Group &summed(int node) const;
    QVariant groupData(const Group &g, int column, int role) const;
    int childCount(int topRow) const
    {
        return m_offset[size_t(topRow) + 1] - m_offset[size_t(topRow)];
    }

    ConnectionFilterProxy *m_proxy = nullptr;
    ConnectionTableModel *m_table = nullptr;
    mutable std::vector<Node> m_nodes;
    std::vector<int> m_freeNodes;
    QHash<QString, int> m_nodeBySession;
    // Per node, what the walk over the table reads and writes for each row, side by side (one
    // cache line for the three): the last pass that found a row of it, its row in that pass
    // (-1: none shown) and its shown connections in that pass.
    struct NodeWalk
    {
        quint64 pass = 0;
        int nextRow = -1;
        int count = 0;
    };
    std::vector<NodeWalk> m_walk;
    // Per node: its current top-level row (-1: not shown; FreeNode: on the free list).
    static constexpr int FreeNode = -2;
    std::vector<int> m_nodeRow;
    // The tree: nodes in top-level row order; the connections of top-level row t are
    // m_children[m_offset[t] .. m_offset[t + 1]), in the table's order. m_next*: the pass's.
    std::vector<int> m_top;
    std::vector<int> m_offset{0};
    std::vector<ConnectionId> m_children;
    std::vector<int> m_nextTop;
    std::vector<int> m_nextOffset;
    std::vector<ConnectionId> m_nextChildren;
    std::vector<int> m_rowTop; // scratch: per shown row, its top-level row in the pass
    std::vector<ConnectionId> m_rowId; // scratch: per shown row, its connection
    quint64 m_pass = 0;
    quint64 m_generation = 1; // of the table's data, for the sums
    QTimer m_update;
    QVariant m_boldFont; // the session rows' font
    bool m_enabled = false;
};
