// SPDX-License-Identifier: MIT
#include "ui/connectiongroupmodel.h"

#include "ui/connectionfilterproxy.h"
#include "ui/connectiontablemodel.h"

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
    // One rebuild per batch: the table's signals of one batch arrive in one go.
    m_rebuild.setSingleShot(true);
    m_rebuild.setInterval(0);
    connect(&m_rebuild, &QTimer::timeout, this, &ConnectionGroupModel::refresh);
}

void ConnectionGroupModel::setSourceModel(ConnectionFilterProxy *proxy)
{
    m_proxy = proxy;
    m_table = proxy->connectionModel();
    for (auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved})
        connect(proxy, signal, this, &ConnectionGroupModel::scheduleRebuild);
    connect(proxy, &QAbstractItemModel::dataChanged, this, &ConnectionGroupModel::scheduleRebuild);
    connect(proxy, &QAbstractItemModel::layoutChanged, this,
            &ConnectionGroupModel::scheduleRebuild);
    connect(proxy, &QAbstractItemModel::modelReset, this, &ConnectionGroupModel::scheduleRebuild);
}

void ConnectionGroupModel::setEnabled(bool on)
{
    if (on == m_enabled)
        return;
    m_enabled = on;
    refresh();
}

void ConnectionGroupModel::scheduleRebuild()
{
    if (!m_enabled || m_rebuild.isActive())
        return;
    // A rebuild is a pass over every row (40-250 ms at 100k rows, see docs/dashboard.md): with
    // big tables at most every 2 s instead of every batch.
    m_rebuild.start(m_table && m_table->rowCount() > LargeTable ? 2000 : 0);
}

void ConnectionGroupModel::refresh()
{
    m_rebuild.stop();
    beginResetModel();
    m_groups.clear();
    m_groupBySession.clear();
    if (m_enabled && m_proxy) {
        // Groups in the order their first connection has in the (sorted, filtered) table. The
        // proxy keeps the table's order: when it shows every row, its rows are the table's.
        const int rows = m_proxy->rowCount();
        const bool all = rows == m_table->rowCount();
        m_groupBySession.reserve(rows / 2);
        for (int row = 0; row < rows; ++row) {
            const int source = all ? row : m_proxy->mapToSource(m_proxy->index(row, 0)).row();
            const ConnectionInfo &c = m_table->at(source);
            const QString sid = c.authenticated ? c.sessionId : QString();
            auto it = m_groupBySession.find(sid);
            if (it == m_groupBySession.end()) {
                it = m_groupBySession.insert(sid, int(m_groups.size()));
                Group g;
                g.sessionId = sid;
                g.user = c.authenticated ? c.user : QString();
                g.connectedAtMs = c.connectedAtMs;
                m_groups.push_back(std::move(g));
            }
            Group &g = m_groups[size_t(*it)];
            if (c.expiresAtMs && (!g.expiresAtMs || c.expiresAtMs < g.expiresAtMs))
                g.expiresAtMs = c.expiresAtMs;
            g.warned = g.warned || c.warned;
            g.connectedAtMs = qMin(g.connectedAtMs, c.connectedAtMs);
            g.lastActivityMs = qMax(g.lastActivityMs, c.lastActivityMs);
            g.msgsIn += c.msgsIn;
            g.msgsOut += c.msgsOut;
            g.bytesIn += c.bytesIn;
            g.bytesOut += c.bytesOut;
            g.connections.push_back(c.id);
        }
    }
    endResetModel();
}

const ConnectionGroupModel::Group *ConnectionGroupModel::groupAt(const QModelIndex &index) const
{
    if (!index.isValid() || index.model() != this || index.internalId() != GroupRow)
        return nullptr;
    return &m_groups[size_t(index.row())];
}

ConnectionId ConnectionGroupModel::connectionAt(const QModelIndex &index) const
{
    if (!index.isValid() || index.model() != this || index.internalId() == GroupRow)
        return 0;
    return m_groups[size_t(index.internalId() - 1)].connections[size_t(index.row())];
}

QModelIndex ConnectionGroupModel::indexOfSession(const QString &sessionId) const
{
    const int group = m_groupBySession.value(sessionId, -1);
    return group < 0 ? QModelIndex() : createIndex(group, 0, GroupRow);
}

QModelIndex ConnectionGroupModel::indexOfConnection(ConnectionId id) const
{
    // Rare (restoring a selection): a walk through the connection's session, found by its id.
    const ConnectionInfo *c = m_table ? m_table->byId(id) : nullptr;
    if (!c)
        return {};
    const int group = m_groupBySession.value(c->authenticated ? c->sessionId : QString(), -1);
    if (group < 0)
        return {};
    const std::vector<ConnectionId> &ids = m_groups[size_t(group)].connections;
    const auto it = std::find(ids.cbegin(), ids.cend(), id);
    return it == ids.cend() ? QModelIndex()
                            : createIndex(int(it - ids.cbegin()), 0, quintptr(group) + 1);
}

QModelIndex ConnectionGroupModel::index(int row, int column, const QModelIndex &parent) const
{
    if (!hasIndex(row, column, parent))
        return {};
    if (!parent.isValid())
        return createIndex(row, column, GroupRow);
    return createIndex(row, column, quintptr(parent.row()) + 1);
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
        return int(m_groups.size());
    if (parent.column() != 0 || parent.internalId() != GroupRow)
        return 0;
    return int(m_groups[size_t(parent.row())].connections.size());
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
        return {}; // gone; the rebuild after this batch drops it
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
    case Qt::FontRole: {
        QFont bold;
        bold.setBold(true);
        return bold;
    }
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
