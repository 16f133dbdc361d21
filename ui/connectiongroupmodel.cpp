// SPDX-License-Identifier: MIT
#include "ui/connectiongroupmodel.h"

#include "ui/connectionfilterproxy.h"
#include "ui/connectiontablemodel.h"
#include "ui/reserveahead.h"

#include <QtCore/QDateTime>
#include <QtGui/QBrush>
#include <QtGui/QColor>
#include <QtGui/QFont>

#include <algorithm>

namespace {
// internalId of a session row; a connection row carries its group's position + 1.
constexpr quintptr GroupRow = 0;
using Column = ConnectionTableModel::Column;
} // namespace

ConnectionGroupModel::ConnectionGroupModel(QObject *parent)
    : QAbstractItemModel(parent)
{
    // One update per batch: the table's signals of one batch arrive in one go.
    m_update.setSingleShot(true);
    m_update.setInterval(0);
    QFont bold;
    bold.setBold(true);
    m_boldFont = bold;
    connect(&m_update, &QTimer::timeout, this, &ConnectionGroupModel::update);
}

void ConnectionGroupModel::setSourceModel(ConnectionFilterProxy *proxy)
{
    m_proxy = proxy;
    m_table = proxy->connectionModel();
    for (auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved})
        connect(proxy, signal, this, &ConnectionGroupModel::scheduleUpdate);
    connect(proxy, &QAbstractItemModel::dataChanged, this, &ConnectionGroupModel::scheduleUpdate);
    connect(proxy, &QAbstractItemModel::layoutChanged, this, &ConnectionGroupModel::scheduleUpdate);
    connect(proxy, &QAbstractItemModel::modelReset, this, &ConnectionGroupModel::scheduleUpdate);
}

void ConnectionGroupModel::setEnabled(bool on)
{
    if (on == m_enabled)
        return;
    beginResetModel();
    m_enabled = on;
    clear();
    if (on && m_proxy) {
        m_table->forgetGroupHints(); // numbers of an earlier life of this model
        collect();
        commit();
    }
    endResetModel();
}

void ConnectionGroupModel::clear()
{
    m_update.stop();
    m_nodes.clear();
    m_freeNodes.clear();
    m_nodeBySession.clear();
    m_walk.clear();
    m_nodeRow.clear();
    m_top.clear();
    m_offset.assign(1, 0);
    m_children.clear();
}

void ConnectionGroupModel::scheduleUpdate()
{
    if (m_enabled && !m_update.isActive())
        m_update.start();
}

void ConnectionGroupModel::refresh()
{
    update();
}

void ConnectionGroupModel::update()
{
    m_update.stop();
    if (!m_enabled || !m_proxy)
        return;
    collect();
    if (m_nextTop == m_top && m_nextOffset == m_offset && m_nextChildren == m_children) {
        commit();
        if (!m_top.empty()) // one span: the views repaint what they show, children included
            Q_EMIT dataChanged(index(0, 0), index(int(m_top.size()) - 1, columnCount() - 1));
        return;
    }
    // One layout change: expanded sessions, the selection and the current row are persistent
    // indexes, moved here to where their rows went (or dropped with their rows).
    Q_EMIT layoutAboutToBeChanged();
    const QModelIndexList from = persistentIndexList();
    QModelIndexList to;
    to.reserve(from.size());
    for (const QModelIndex &p : from) {
        if (p.internalId() == GroupRow) {
            const int node = m_top[size_t(p.row())];
            const NodeWalk &w = m_walk[size_t(node)];
            const int row = w.pass == m_pass ? w.nextRow : -1;
            to.append(row < 0 ? QModelIndex() : createIndex(row, p.column(), GroupRow));
        } else {
            // A connection row follows its connection, into another session if it moved.
            const size_t at = size_t(m_offset[p.internalId() - 1] + p.row());
            to.append(nextIndexOf(m_children[at], p.column()));
        }
    }
    changePersistentIndexList(from, to);
    commit();
    Q_EMIT layoutChanged();
}

QModelIndex ConnectionGroupModel::nextIndexOf(ConnectionId id, int column) const
{
    const ConnectionInfo *c = m_table->byId(id);
    const int node
        = c ? m_nodeBySession.value(c->authenticated ? c->sessionId : QString(), -1) : -1;
    if (node < 0 || m_walk[size_t(node)].pass != m_pass || m_walk[size_t(node)].nextRow < 0)
        return {};
    const int row = m_walk[size_t(node)].nextRow;
    const auto first = m_nextChildren.cbegin() + m_nextOffset[size_t(row)];
    const auto last = m_nextChildren.cbegin() + m_nextOffset[size_t(row) + 1];
    const auto it = std::find(first, last, id);
    return it == last ? QModelIndex() : createIndex(int(it - first), column, quintptr(row) + 1);
}

void ConnectionGroupModel::collect()
{
    // Groups in the order their first shown connection has in the (sorted, filtered) table. The
    // proxy keeps the table's order, so the walk goes over the table and asks the proxy's cached
    // verdict per row. Per row it touches the table's compact order array and a few ints per
    // group; a row itself is read only when its group number is unknown (new or changed rows).
    ++m_pass;
    m_nextTop.clear();
    m_rowTop.clear();
    m_rowId.clear();
    const int rows = m_table->rowCount();
    const size_t shown = size_t(m_proxy->rowCount());
    reserveAhead(m_nextTop, shown);
    reserveAhead(m_rowTop, shown);
    reserveAhead(m_rowId, shown);
    reserveAhead(m_nextOffset, shown + 1);
    reserveAhead(m_nextChildren, shown);
    const bool all = m_proxy->rowCount() == rows;
    // Rows are sorted by anything, so their slots (and groups) are scattered in memory: the
    // hint of a row a few ahead, and its group's pass number, are fetched early.
    constexpr int Ahead = 16;
    for (int row = 0; row < rows; ++row) {
        if (row + Ahead < rows) {
            const int ahead = m_table->groupHint(m_table->slotAt(row + Ahead));
            if (ahead >= 0)
                __builtin_prefetch(&m_walk[size_t(ahead)].pass);
            if (row + 2 * Ahead < rows)
                __builtin_prefetch(m_table->groupHintAddress(m_table->slotAt(row + 2 * Ahead)));
        }
        const int slot = m_table->slotAt(row);
        int node = m_table->groupHint(slot);
        if (node < 0) {
            node = nodeFor(m_table->at(row));
            m_table->setGroupHint(slot, node);
        }
        NodeWalk &w = m_walk[size_t(node)];
        if (w.pass != m_pass) {
            w.pass = m_pass;
            w.nextRow = -1;
            w.count = 0;
        }
        if (!all && !m_proxy->showsSourceRow(row))
            continue;
        if (w.nextRow < 0) {
            w.nextRow = int(m_nextTop.size());
            m_nextTop.push_back(node);
        }
        ++w.count;
        m_rowTop.push_back(w.nextRow);
        m_rowId.push_back(m_table->idAt(row));
    }
    // The connections of each group together, in row order: a counting sort by group.
    m_nextOffset.assign(m_nextTop.size() + 1, 0);
    for (size_t t = 0; t < m_nextTop.size(); ++t)
        m_nextOffset[t + 1] = m_nextOffset[t] + m_walk[size_t(m_nextTop[t])].count;
    m_nextChildren.resize(m_rowId.size());
    for (size_t t = 0; t < m_nextTop.size(); ++t) // a cursor per group, reusing the counts
        m_walk[size_t(m_nextTop[t])].count = m_nextOffset[t];
    for (size_t i = 0; i < m_rowId.size(); ++i) {
        const size_t t = size_t(m_rowTop[i]);
        m_nextChildren[size_t(m_walk[size_t(m_nextTop[t])].count++)] = m_rowId[i];
    }
}

int ConnectionGroupModel::nodeFor(const ConnectionInfo &c)
{
    const QString sid = c.authenticated ? c.sessionId : QString();
    if (const auto it = m_nodeBySession.constFind(sid); it != m_nodeBySession.cend())
        return *it;
    int node;
    if (!m_freeNodes.empty()) {
        node = m_freeNodes.back();
        m_freeNodes.pop_back();
    } else {
        node = int(m_nodes.size());
        m_nodes.emplace_back();
        m_walk.push_back(NodeWalk());
        m_nodeRow.push_back(-1);
    }
    Node &n = m_nodes[size_t(node)];
    n.group.sessionId = sid;
    n.group.user = c.authenticated ? c.user : QString();
    n.summed = 0;
    m_walk[size_t(node)].pass = 0;
    m_nodeRow[size_t(node)] = -1;
    m_nodeBySession.insert(sid, node);
    return node;
}

void ConnectionGroupModel::commit()
{
    ++m_generation; // the sums are computed again when asked for, from the new rows
    m_top.swap(m_nextTop);
    m_offset.swap(m_nextOffset);
    m_children.swap(m_nextChildren);
    // Over the compact per-node arrays: a Node (strings, sums, connections) is read only when its
    // session ends.
    for (size_t node = 0; node < m_walk.size(); ++node) {
        if (m_walk[node].pass == m_pass) {
            m_nodeRow[node] = m_walk[node].nextRow;
            continue;
        }
        if (m_nodeRow[node] == FreeNode)
            continue;
        // No row of the table belongs to this session any more, so none holds its number.
        Node &n = m_nodes[node];
        m_nodeBySession.remove(n.group.sessionId);
        n = Node();
        m_nodeRow[node] = FreeNode;
        m_freeNodes.push_back(int(node));
    }
}

const ConnectionGroupModel::Group &ConnectionGroupModel::summed(int node) const
{
    Node &n = m_nodes[size_t(node)];
    Group &g = n.group;
    if (n.summed == m_generation)
        return g;
    n.summed = m_generation;
    const int row = m_nodeRow[size_t(node)];
    g.connections.assign(m_children.cbegin() + m_offset[size_t(row)],
                         m_children.cbegin() + m_offset[size_t(row) + 1]);
    g.expiresAtMs = g.connectedAtMs = g.lastActivityMs = 0;
    g.warned = false;
    g.msgsIn = g.msgsOut = g.bytesIn = g.bytesOut = 0;
    bool first = true;
    for (ConnectionId cid : g.connections) {
        const ConnectionInfo *c = m_table->byId(cid);
        if (!c)
            continue;
        if (c->expiresAtMs && (!g.expiresAtMs || c->expiresAtMs < g.expiresAtMs))
            g.expiresAtMs = c->expiresAtMs;
        g.warned = g.warned || c->warned;
        g.connectedAtMs = first ? c->connectedAtMs : qMin(g.connectedAtMs, c->connectedAtMs);
        g.lastActivityMs = qMax(g.lastActivityMs, c->lastActivityMs);
        g.msgsIn += c->msgsIn;
        g.msgsOut += c->msgsOut;
        g.bytesIn += c->bytesIn;
        g.bytesOut += c->bytesOut;
        first = false;
    }
    return g;
}

const ConnectionGroupModel::Group *ConnectionGroupModel::groupAt(const QModelIndex &index) const
{
    if (!index.isValid() || index.model() != this || index.internalId() != GroupRow)
        return nullptr;
    return &summed(m_top[size_t(index.row())]);
}

ConnectionId ConnectionGroupModel::connectionAt(const QModelIndex &index) const
{
    if (!index.isValid() || index.model() != this || index.internalId() == GroupRow)
        return 0;
    return m_children[size_t(m_offset[index.internalId() - 1] + index.row())];
}

QModelIndex ConnectionGroupModel::indexOfSession(const QString &sessionId) const
{
    const int node = m_nodeBySession.value(sessionId, -1);
    const int row = node < 0 ? -1 : m_nodeRow[size_t(node)];
    return row < 0 ? QModelIndex() : createIndex(row, 0, GroupRow);
}

QModelIndex ConnectionGroupModel::indexOfConnection(ConnectionId id) const
{
    // Rare (restoring a selection): a walk through the connection's session, found by its id.
    const ConnectionInfo *c = m_table ? m_table->byId(id) : nullptr;
    if (!c)
        return {};
    const QModelIndex group = indexOfSession(c->authenticated ? c->sessionId : QString());
    if (!group.isValid())
        return {};
    const auto first = m_children.cbegin() + m_offset[size_t(group.row())];
    const auto last = m_children.cbegin() + m_offset[size_t(group.row()) + 1];
    const auto it = std::find(first, last, id);
    return it == last ? QModelIndex() : createIndex(int(it - first), 0, quintptr(group.row()) + 1);
}

// index(), hasChildren() and flags() are asked for every session row at each relayout of the
// tree: answered from the arrays, without the base class's virtual rowCount()/columnCount().
QModelIndex ConnectionGroupModel::index(int row, int column, const QModelIndex &parent) const
{
    if (row < 0 || column < 0 || column >= int(Column::Count))
        return {};
    if (!parent.isValid())
        return row < int(m_top.size()) ? createIndex(row, column, GroupRow) : QModelIndex();
    if (parent.model() != this || parent.internalId() != GroupRow || parent.column() != 0
        || row >= childCount(parent.row()))
        return {};
    return createIndex(row, column, quintptr(parent.row()) + 1);
}

bool ConnectionGroupModel::hasChildren(const QModelIndex &parent) const
{
    if (!parent.isValid())
        return !m_top.empty();
    return parent.model() == this && parent.internalId() == GroupRow && parent.column() == 0
           && childCount(parent.row()) > 0;
}

Qt::ItemFlags ConnectionGroupModel::flags(const QModelIndex &index) const
{
    return index.isValid() ? Qt::ItemIsSelectable | Qt::ItemIsEnabled : Qt::NoItemFlags;
}

QModelIndex ConnectionGroupModel::parent(const QModelIndex &child) const
{
    if (!child.isValid() || child.internalId() == GroupRow)
        return {};
    return createIndex(int(child.internalId() - 1), 0, GroupRow);
}

int ConnectionGroupModel::rowCount(const QModelIndex &parent) const
{
    if (!parent.isValid())
        return int(m_top.size());
    if (parent.column() != 0 || parent.internalId() != GroupRow)
        return 0;
    return childCount(parent.row());
}

int ConnectionGroupModel::columnCount(const QModelIndex &) const
{
    return int(Column::Count);
}

QVariant ConnectionGroupModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    if (const Group *g = groupAt(index))
        return groupData(*g, index.column(), role);
    if (role == IsGroupRole)
        return false;
    const int row = m_table ? m_table->rowOf(connectionAt(index)) : -1;
    if (row < 0)
        return {}; // gone; the update after this batch drops it
    return m_table->index(row, index.column()).data(role);
}

QVariant ConnectionGroupModel::groupData(const Group &g, int column, int role) const
{
    const auto col = Column(column);
    switch (role) {
    case IsGroupRole:
        return true;
    case ConnectionCountRole:
        return int(g.connections.size());
    case ConnectionTableModel::ConnectionIdRole:
        return QVariant::fromValue<quint64>(0);
    case ConnectionTableModel::SessionIdRole:
        return g.sessionId;
    case ConnectionTableModel::UserRole:
        return g.user;
    case ConnectionTableModel::WarnedRole:
        return g.warned;
    case Qt::FontRole:
        return m_boldFont; // one QVariant built once: the view asks for every cell it paints
    case Qt::ForegroundRole:
        if (col == Column::ExpiresIn && g.warned)
            return QBrush(QColor(0xc0, 0x39, 0x2b));
        return {};
    case Qt::TextAlignmentRole:
        if (col >= Column::ConnectedFor && col != Column::Node)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::DisplayRole:
        break;
    default:
        return {};
    }
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    switch (col) {
    case Column::Id:
        return tr("Connections: %1").arg(g.connections.size());
    case Column::User:
        return g.loggedIn() ? g.user : tr("(not logged in)");
    case Column::Session:
        return g.loggedIn() ? g.sessionId : QStringLiteral("-");
    case Column::ConnectedFor:
        return ConnectionTableModel::durationText(now - g.connectedAtMs);
    case Column::LastActivity:
        return g.lastActivityMs
                   ? tr("%1 ago").arg(ConnectionTableModel::durationText(now - g.lastActivityMs))
                   : QStringLiteral("-");
    case Column::ExpiresIn:
        return g.expiresAtMs ? ConnectionTableModel::durationText(g.expiresAtMs - now)
                             : QStringLiteral("-");
    case Column::MsgsIn:
        return QString::number(g.msgsIn);
    case Column::MsgsOut:
        return QString::number(g.msgsOut);
    case Column::BytesIn:
        return ConnectionTableModel::bytesText(g.bytesIn);
    case Column::BytesOut:
        return ConnectionTableModel::bytesText(g.bytesOut);
    default:
        return {};
    }
}

QVariant ConnectionGroupModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    return m_table ? m_table->headerData(section, orientation, role)
                   : QAbstractItemModel::headerData(section, orientation, role);
}

void ConnectionGroupModel::sort(int column, Qt::SortOrder order)
{
    // The table's order is the groups' order: one sort for both views.
    if (m_proxy)
        m_proxy->sort(column, order);
}
