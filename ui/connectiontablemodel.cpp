// SPDX-License-Identifier: MIT
#include "ui/connectiontablemodel.h"

#include "server/tcpsocketinfo.h"

#include <QtCore/QDateTime>
#include <QtGui/QBrush>
#include <QtGui/QColor>

#include <limits>

namespace {
QString duration(qint64 ms)
{
    return ConnectionTableModel::durationText(ms);
}

QString bytes(quint64 n)
{
    if (n < 10 * 1024)
        return QString::number(n);
    if (n < 10 * 1024 * 1024)
        return QStringLiteral("%1 KiB").arg(n / 1024);
    return QStringLiteral("%1 MiB").arg(n / (1024 * 1024));
}

// Sort keys: rows without a value (never active, not logged in) sort last in ascending order.
qint64 lastActivityKey(const ConnectionInfo &c)
{
    return c.lastActivityMs ? -c.lastActivityMs : std::numeric_limits<qint64>::max();
}

qint64 expiresKey(const ConnectionInfo &c)
{
    return c.expiresAtMs ? c.expiresAtMs : std::numeric_limits<qint64>::max();
}
} // namespace

QString ConnectionTableModel::durationText(qint64 ms)
{
    if (ms < 0)
        ms = 0;
    const qint64 s = ms / 1000;
    if (s < 60)
        return QStringLiteral("%1s").arg(s);
    if (s < 3600)
        return QStringLiteral("%1m %2s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1h %2m").arg(s / 3600).arg((s % 3600) / 60, 2, 10, QLatin1Char('0'));
}

bool ConnectionTableModel::lessThan(const ConnectionInfo &a, const ConnectionInfo &b, Column column)
{
    switch (column) {
    case Column::Id:
        return a.id < b.id;
    case Column::User:
        return a.user < b.user;
    case Column::Session:
        return a.sessionId < b.sessionId;
    case Column::Peer:
        return a.peer < b.peer;
    case Column::Endpoint:
        return a.endpoint < b.endpoint;
    case Column::ConnectedFor:
        return a.connectedAtMs > b.connectedAtMs; // connected longer = earlier
    case Column::LastActivity:
        return lastActivityKey(a) < lastActivityKey(b);
    case Column::ExpiresIn:
        return expiresKey(a) < expiresKey(b);
    case Column::TcpState:
        return a.tcpState < b.tcpState;
    case Column::Rtt:
        return a.rttUs < b.rttUs; // unknown (-1) first
    case Column::MsgsIn:
        return a.msgsIn < b.msgsIn;
    case Column::MsgsOut:
        return a.msgsOut < b.msgsOut;
    case Column::BytesIn:
        return a.bytesIn < b.bytesIn;
    case Column::BytesOut:
        return a.bytesOut < b.bytesOut;
    case Column::Count:
        break;
    }
    return a.id < b.id;
}

ConnectionTableModel::ConnectionTableModel(QObject *parent)
    : QAbstractTableModel(parent)
{ }

int ConnectionTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ConnectionTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(Column::Count);
}

qint64 ConnectionTableModel::nowMs() const
{
    return QDateTime::currentMSecsSinceEpoch();
}

QVariant ConnectionTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const ConnectionInfo &c = m_rows.at(index.row());
    const auto col = Column(index.column());
    const qint64 now = nowMs();

    switch (role) {
    case ConnectionIdRole:
        return QVariant::fromValue<quint64>(c.id);
    case SessionIdRole:
        return c.sessionId;
    case UserRole:
        return c.user;
    case WarnedRole:
        return c.warned;
    case Qt::TextAlignmentRole:
        if (col == Column::Id || col >= Column::ConnectedFor)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::ForegroundRole:
        if (col == Column::ExpiresIn && c.warned)
            return QBrush(QColor(0xc0, 0x39, 0x2b));
        return {};
    case SortRole:
        switch (col) {
        case Column::Id:
            return QVariant::fromValue<quint64>(c.id);
        case Column::ConnectedFor:
            return -c.connectedAtMs;
        case Column::LastActivity:
            return lastActivityKey(c);
        case Column::ExpiresIn:
            return expiresKey(c);
        case Column::TcpState:
            return c.tcpState;
        case Column::Rtt:
            return c.rttUs;
        case Column::MsgsIn:
            return QVariant::fromValue<quint64>(c.msgsIn);
        case Column::MsgsOut:
            return QVariant::fromValue<quint64>(c.msgsOut);
        case Column::BytesIn:
            return QVariant::fromValue<quint64>(c.bytesIn);
        case Column::BytesOut:
            return QVariant::fromValue<quint64>(c.bytesOut);
        default:
            return data(index, Qt::DisplayRole);
        }
    case Qt::DisplayRole:
        switch (col) {
        case Column::Id:
            return QString::number(c.id);
        case Column::User:
            return c.authenticated ? c.user : tr("(not logged in)");
        case Column::Session:
            return c.sessionId;
        case Column::Peer:
            return c.peer;
        case Column::Endpoint:
            return ConnectionInfo::endpointName(c.endpoint);
        case Column::ConnectedFor:
            return duration(now - c.connectedAtMs);
        case Column::LastActivity:
            return c.lastActivityMs ? tr("%1 ago").arg(duration(now - c.lastActivityMs))
                                    : QStringLiteral("-");
        case Column::ExpiresIn:
            return c.expiresAtMs ? duration(c.expiresAtMs - now) : QStringLiteral("-");
        case Column::TcpState:
            return c.tcpState ? TcpSnapshot::stateName(c.tcpState) : QStringLiteral("-");
        case Column::Rtt:
            return c.rttUs >= 0 ? tr("%1 ms").arg(double(c.rttUs) / 1000.0, 0, 'f', 1)
                                : QStringLiteral("-");
        case Column::MsgsIn:
            return QString::number(c.msgsIn);
        case Column::MsgsOut:
            return QString::number(c.msgsOut);
        case Column::BytesIn:
            return bytes(c.bytesIn);
        case Column::BytesOut:
            return bytes(c.bytesOut);
        case Column::Count:
            break;
        }
        return {};
    default:
        return {};
    }
}

QVariant ConnectionTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (Column(section)) {
    case Column::Id:
        return tr("ID");
    case Column::User:
        return tr("User");
    case Column::Session:
        return tr("Session");
    case Column::Peer:
        return tr("Peer");
    case Column::Endpoint:
        return tr("Endpoint");
    case Column::ConnectedFor:
        return tr("Connected for");
    case Column::LastActivity:
        return tr("Last activity");
    case Column::ExpiresIn:
        return tr("Expires in");
    case Column::TcpState:
        return tr("TCP state");
    case Column::Rtt:
        return tr("RTT");
    case Column::MsgsIn:
        return tr("Msgs in");
    case Column::MsgsOut:
        return tr("Msgs out");
    case Column::BytesIn:
        return tr("Bytes in");
    case Column::BytesOut:
        return tr("Bytes out");
    case Column::Count:
        break;
    }
    return {};
}

void ConnectionTableModel::countState(int state, int delta)
{
    int &n = m_stateCounts[state];
    n += delta;
    if (n == 0)
        m_stateCounts.remove(state);
}

void ConnectionTableModel::countUser(const ConnectionInfo &c, int delta)
{
    if (!c.authenticated || c.user.isEmpty())
        return;
    int &n = m_userCounts[c.user];
    n += delta;
    if (n == 0) {
        m_userCounts.remove(c.user);
        m_usersChanged = true;
    } else if (n == delta) {
        m_usersChanged = true; // a first connection
    }
}

QStringList ConnectionTableModel::users() const
{
    QStringList list = m_userCounts.keys();
    list.sort(Qt::CaseInsensitive);
    return list;
}

void ConnectionTableModel::emitChanged(QList<int> &rows, int minRow, int maxRow, int minColumn)
{
    // A sorting proxy re-sorts every row inside a dataChanged span, changed or not. Few scattered
    // rows: one signal per run of adjacent rows. Many: one span (a signal costs the proxy O(rows),
    // so thousands of signals cost more than one re-sort).
    const int lastColumn = int(Column::Count) - 1;
    if (rows.size() > MaxChangeRuns) {
        Q_EMIT dataChanged(index(minRow, minColumn), index(maxRow, lastColumn));
        return;
    }
    std::sort(rows.begin(), rows.end());
    qsizetype i = 0;
    while (i < rows.size()) {
        qsizetype j = i;
        while (j + 1 < rows.size() && rows.at(j + 1) <= rows.at(j) + 1)
            ++j;
        Q_EMIT dataChanged(index(rows.at(i), minColumn), index(rows.at(j), lastColumn));
        i = j + 1;
    }
}

void ConnectionTableModel::applyDelta(const ConnectionDelta &delta)
{
    if (delta.isEmpty())
        return;
    const QMap<int, int> statesBefore = m_stateCounts;
    int minRow = INT_MAX;
    int maxRow = -1;
    int minColumn = int(Column::Count);
    QList<int> touched;
    auto touch = [&](int row, Column from) {
        minRow = qMin(minRow, row);
        maxRow = qMax(maxRow, row);
        minColumn = qMin(minColumn, int(from));
        touched.append(row);
    };

    // Removals leave holes; the rows of the tail that stay move into them, so that one
    // contiguous block at the end goes away in one signal. A proxy pays O(rows) per signal, so a
    // batch costs three signals (changed, removed, inserted) however many rows it touches.
    const int oldCount = int(m_rows.size());
    QList<int> gone;
    gone.reserve(delta.removed.size());
    for (ConnectionId id : delta.removed) {
        const int row = m_rowById.value(id, -1);
        if (row < 0)
            continue;
        countState(m_rows.at(row).socketState, -1);
        countUser(m_rows.at(row), -1);
        m_rowById.remove(id);
        gone.append(row);
    }
    const int newCount = oldCount - int(gone.size());
    if (!gone.isEmpty()) {
        QList<int> holes;
        QList<bool> tailGone(oldCount - newCount, false);
        for (int row : std::as_const(gone)) {
            if (row < newCount)
                holes.append(row);
            else
                tailGone[row - newCount] = true;
        }
        qsizetype next = 0;
        for (int tail = newCount; tail < oldCount; ++tail) {
            if (tailGone.at(tail - newCount))
                continue;
            const int hole = holes.at(next++);
            m_rows[hole] = m_rows.at(tail);
            m_rowById.insert(m_rows.at(hole).id, hole);
            touch(hole, Column::Id);
        }
    }

    QList<ConnectionInfo> added;
    QHash<ConnectionId, qsizetype> addedIndex; // a new id twice in one batch: the last one wins
    for (const ConnectionInfo &c : delta.upserts) {
        const int row = m_rowById.value(c.id, -1);
        if (row < 0) {
            const auto it = addedIndex.constFind(c.id);
            if (it != addedIndex.cend()) {
                added[*it] = c;
            } else {
                addedIndex.insert(c.id, added.size());
                added.append(c);
            }
            continue;
        }
        const ConnectionInfo &old = m_rows.at(row);
        countState(old.socketState, -1);
        countState(c.socketState, +1);
        if (old.user != c.user || old.authenticated != c.authenticated) {
            countUser(old, -1);
            countUser(c, +1);
        }
        // Identity columns change only at login: a proxy sorted by them (the default sort by id)
        // then has nothing to re-sort for counter and deadline updates.
        Column from = Column::ConnectedFor;
        if (old.user != c.user || old.sessionId != c.sessionId
            || old.authenticated != c.authenticated)
            from = Column::User;
        else if (old.peer != c.peer || old.endpoint != c.endpoint)
            from = Column::Peer;
        m_rows[row] = c;
        touch(row, from);
    }
    // The tail rows still hold their old values here, so the views stay consistent until the
    // block is removed below.
    if (maxRow >= 0)
        emitChanged(touched, minRow, maxRow, minColumn);
    if (newCount < oldCount) {
        beginRemoveRows({}, newCount, oldCount - 1);
        m_rows.resize(newCount);
        endRemoveRows();
    }
    if (!added.isEmpty()) {
        const int first = int(m_rows.size());
        beginInsertRows({}, first, first + int(added.size()) - 1);
        for (const ConnectionInfo &c : std::as_const(added)) {
            m_rowById.insert(c.id, int(m_rows.size()));
            m_rows.append(c);
            countState(c.socketState, +1);
            countUser(c, +1);
        }
        endInsertRows();
    }
    if (m_stateCounts != statesBefore)
        Q_EMIT socketStateCountsChanged();
    if (m_usersChanged) {
        m_usersChanged = false;
        Q_EMIT usersChanged();
    }
}

const ConnectionInfo *ConnectionTableModel::byId(ConnectionId id) const
{
    const int row = m_rowById.value(id, -1);
    return row < 0 ? nullptr : &m_rows.at(row);
}
