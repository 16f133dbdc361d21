// SPDX-License-Identifier: MIT
#include "ui/connectiontablemodel.h"

#include "server/tcpsocketinfo.h"
#include "ui/reserveahead.h"

#include <QtCore/QDateTime>
#include <QtCore/QtAlgorithms>
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
    return ConnectionTableModel::bytesText(n);
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

QString ConnectionTableModel::bytesText(quint64 n)
{
    if (n < 10 * 1024)
        return QString::number(n);
    if (n < 10 * 1024 * 1024)
        return QStringLiteral("%1 KiB").arg(n / 1024);
    return QStringLiteral("%1 MiB").arg(n / (1024 * 1024));
}

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

namespace {
using Column = ConnectionTableModel::Column;

qint64 counterKey(quint64 n)
{
    return n > quint64(std::numeric_limits<qint64>::max()) ? std::numeric_limits<qint64>::max()
                                                           : qint64(n);
}

// The typed sort key of the numeric columns; the text columns sort by their strings.
qint64 numberOf(const ConnectionInfo &c, Column column)
{
    switch (column) {
    case Column::ConnectedFor:
        return -c.connectedAtMs; // connected longer = earlier
    case Column::LastActivity:
        return lastActivityKey(c);
    case Column::ExpiresIn:
        return expiresKey(c); // the deadline: countdowns never reorder rows
    case Column::Endpoint:
        return qint64(c.endpoint);
    case Column::TcpState:
        return c.tcpState;
    case Column::Rtt:
        return c.rttUs; // unknown (-1) first
    case Column::MsgsIn:
        return counterKey(c.msgsIn);
    case Column::MsgsOut:
        return counterKey(c.msgsOut);
    case Column::BytesIn:
        return counterKey(c.bytesIn);
    case Column::BytesOut:
        return counterKey(c.bytesOut);
    case Column::Id:
    case Column::User:
    case Column::Session:
    case Column::Peer:
    case Column::Node:
    case Column::Count:
        break;
    }
    return counterKey(c.id);
}

const QString *textOf(const ConnectionInfo &c, Column column)
{
    switch (column) {
    case Column::User:
        return &c.user;
    case Column::Session:
        return &c.sessionId;
    case Column::Peer:
        return &c.peer;
    case Column::Node:
        return &c.node;
    default:
        return nullptr;
    }
}

// Whether textOf() has a text for the column, without a row (rows are scattered in memory).
bool isTextColumn(Column column)
{
    return column == Column::User || column == Column::Session || column == Column::Peer
           || column == Column::Node;
}

bool same(const QString &a, const QString &b)
{
    return a.isSharedWith(b) || a == b;
}

void assignText(QString &to, const QString &from)
{
    if (!to.isSharedWith(from))
        to = from;
}

// A row's values, strings only where they differ.
void assign(ConnectionInfo &to, const ConnectionInfo &from)
{
    assignText(to.peer, from.peer);
    assignText(to.localAddress, from.localAddress);
    assignText(to.path, from.path);
    assignText(to.user, from.user);
    assignText(to.sessionId, from.sessionId);
    assignText(to.node, from.node);
    to.id = from.id;
    to.endpoint = from.endpoint;
    to.connectedAtMs = from.connectedAtMs;
    to.lastActivityMs = from.lastActivityMs;
    to.authenticated = from.authenticated;
    to.expiresAtMs = from.expiresAtMs;
    to.warned = from.warned;
    to.msgsIn = from.msgsIn;
    to.msgsOut = from.msgsOut;
    to.bytesIn = from.bytesIn;
    to.bytesOut = from.bytesOut;
    to.socketState = from.socketState;
    to.tcpState = from.tcpState;
    to.rttUs = from.rttUs;
}

// Per-slot marks during one batch.
constexpr quint8 Removed = 1;
constexpr quint8 Added = 2;
constexpr quint8 Moved = 4;
constexpr quint8 Changed = 8;
} // namespace

bool ConnectionTableModel::lessThan(const ConnectionInfo &a, const ConnectionInfo &b, Column column)
{
    if (const QString *ta = textOf(a, column))
        return *ta < *textOf(b, column);
    return numberOf(a, column) < numberOf(b, column);
}

ConnectionTableModel::ConnectionTableModel(QObject *parent)
    : QAbstractTableModel(parent)
{ }

int ConnectionTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_order.size());
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
    const ConnectionInfo &c = at(index.row());
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
    case NodeRole:
        return c.node;
    case Qt::TextAlignmentRole:
        if (col == Column::Id || (col >= Column::ConnectedFor && col != Column::Node))
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
            return QString::number(shownId(c));
        case Column::User:
            return c.authenticated ? c.user : tr("(not logged in)");
        case Column::Node:
            return c.node.isEmpty() ? m_localNode : c.node;
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
    case Column::Node:
        return tr("Node");
    case Column::Count:
        break;
    }
    return {};
}

void ConnectionTableModel::setLocalNode(const QString &node)
{
    if (node == m_localNode)
        return;
    m_localNode = node;
    if (!m_order.empty())
        Q_EMIT dataChanged(index(0, int(Column::Node)),
                           index(int(m_order.size()) - 1, int(Column::Node)), {Qt::DisplayRole});
}

void ConnectionTableModel::countState(int state, int delta)
{
    if (state < 0)
        return; // a row of another node: its socket is not this node's
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

qint64 ConnectionTableModel::numericKey(const ConnectionInfo &c) const
{
    return numberOf(c, Column(m_sortColumn));
}

const QString *ConnectionTableModel::stringKey(const ConnectionInfo &c) const
{
    return textOf(c, Column(m_sortColumn));
}

bool ConnectionTableModel::sameKey(const ConnectionInfo &a, const ConnectionInfo &b) const
{
    if (const QString *ta = stringKey(a))
        return *ta == *stringKey(b);
    return numericKey(a) == numericKey(b);
}

bool ConnectionTableModel::entryLess(const OrderEntry &a, const OrderEntry &b) const
{
    const OrderEntry &x = m_sortOrder == Qt::AscendingOrder ? a : b;
    const OrderEntry &y = m_sortOrder == Qt::AscendingOrder ? b : a;
    // Numeric keys are in the entries; only a text column reads the rows.
    if (isTextColumn(Column(m_sortColumn))) {
        const int c
            = stringKey(m_slots[size_t(x.slot)])->compare(*stringKey(m_slots[size_t(y.slot)]));
        if (c != 0)
            return c < 0;
    } else if (x.key != y.key) {
        return x.key < y.key;
    }
    return x.id < y.id; // a total order: equal keys never swap places between batches
}

template<typename F>
void ConnectionTableModel::withEntryLess(F &&f) const
{
    if (isTextColumn(Column(m_sortColumn))) {
        f([this](const OrderEntry &a, const OrderEntry &b) { return entryLess(a, b); });
    } else if (m_sortOrder == Qt::AscendingOrder) {
        f([](const OrderEntry &a, const OrderEntry &b) {
            return a.key != b.key ? a.key < b.key : a.id < b.id;
        });
    } else {
        f([](const OrderEntry &a, const OrderEntry &b) {
            return a.key != b.key ? b.key < a.key : b.id < a.id;
        });
    }
}

ConnectionTableModel::OrderEntry ConnectionTableModel::entryFor(int slot) const
{
    const ConnectionInfo &c = m_slots[size_t(slot)];
    return {stringKey(c) ? 0 : numericKey(c), c.id, slot};
}

void ConnectionTableModel::forgetVerdicts() const
{
    std::fill(m_verdicts.begin(), m_verdicts.end(), FilterVerdict::Unknown);
}

void ConnectionTableModel::forgetGroupHints() const
{
    std::fill(m_groupHints.begin(), m_groupHints.end(), -1);
}

QString ConnectionTableModel::searchText(const ConnectionInfo &c)
{
    return (c.user + QLatin1Char('\n') + c.sessionId + QLatin1Char('\n') + c.peer
            + QLatin1Char('\n') + c.node)
        .toLower();
}

int ConnectionTableModel::allocSlot()
{
    if (!m_freeSlots.empty()) {
        const int slot = m_freeSlots.back();
        m_freeSlots.pop_back();
        return slot;
    }
    m_slots.emplace_back();
    m_verdicts.push_back(FilterVerdict::Unknown);
    m_groupHints.push_back(-1);
    m_search.emplace_back();
    m_marks.push_back(0);
    m_rowOfSlot.push_back(-1);
    return int(m_slots.size()) - 1;
}

int ConnectionTableModel::rowOf(ConnectionId id) const
{
    const int slot = m_slotById.value(id, -1);
    return slot < 0 ? -1 : m_rowOfSlot[size_t(slot)];
}

const ConnectionInfo *ConnectionTableModel::byId(ConnectionId id) const
{
    const int slot = m_slotById.value(id, -1);
    return slot < 0 ? nullptr : &m_slots[size_t(slot)];
}

void ConnectionTableModel::relayout(std::vector<OrderEntry> &order)
{
    Q_EMIT layoutAboutToBeChanged({}, QAbstractItemModel::VerticalSortHint);
    // Persistent indexes (the proxy's, selections) follow their rows through their slots.
    const QModelIndexList from = persistentIndexList();
    std::vector<int> slots;
    slots.reserve(size_t(from.size()));
    for (const QModelIndex &i : from)
        slots.push_back(m_order[size_t(i.row())].slot);
    m_order.swap(order);
    for (size_t row = 0; row < m_order.size(); ++row)
        m_rowOfSlot[size_t(m_order[row].slot)] = int(row);
    QModelIndexList to;
    to.reserve(from.size());
    for (qsizetype i = 0; i < from.size(); ++i)
        to.append(index(m_rowOfSlot[slots[size_t(i)]], from.at(i).column()));
    changePersistentIndexList(from, to);
    Q_EMIT layoutChanged({}, QAbstractItemModel::VerticalSortHint);
}

void ConnectionTableModel::sort(int column, Qt::SortOrder order)
{
    if (column < 0 || column >= int(Column::Count))
        column = int(Column::Id);
    m_sortColumn = column;
    m_sortOrder = order;
    std::vector<OrderEntry> sorted;
    sorted.reserve(m_order.size());
    for (const OrderEntry &e : m_order)
        sorted.push_back(entryFor(e.slot));
    withEntryLess([&sorted](auto less) { std::sort(sorted.begin(), sorted.end(), less); });
    relayout(sorted);
}

void ConnectionTableModel::emitChanged(QList<int> &rows, int minColumn)
{
    // One signal per run of adjacent rows; many runs: one span (each signal costs the proxy and
    // the views a pass of their own, a span only a walk over its rows).
    const int lastColumn = int(Column::Count) - 1;
    if (rows.size() > 256) {
        // A batch changes thousands of rows: a bitmap over the rows sorts them in one pass.
        std::vector<quint64> &bits = m_scratchBits;
        bits.assign((m_order.size() + 63) / 64, 0);
        for (int row : std::as_const(rows))
            bits[size_t(row) / 64] |= quint64(1) << (row % 64);
        rows.clear();
        for (size_t w = 0; w < bits.size(); ++w) {
            for (quint64 word = bits[w]; word; word &= word - 1)
                rows.append(int(w * 64) + qCountTrailingZeroBits(word));
        }
    } else {
        std::sort(rows.begin(), rows.end());
    }
    qsizetype runs = 1;
    for (qsizetype i = 1; i < rows.size() && runs <= MaxChangeRuns; ++i)
        runs += rows.at(i) > rows.at(i - 1) + 1;
    if (runs > MaxChangeRuns) {
        Q_EMIT dataChanged(index(rows.first(), minColumn), index(rows.last(), lastColumn));
        return;
    }
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
    std::vector<int> touchedSlots; // every slot with a mark, to clear them at the end
    std::vector<int> addedSlots;
    QList<int> changedSlots;
    int minColumn = int(Column::Count);
    int removedCount = 0;

    for (ConnectionId id : delta.removed) {
        const auto it = m_slotById.constFind(id);
        if (it == m_slotById.cend())
            continue;
        const int slot = *it;
        m_slotById.erase(it);
        countState(m_slots[size_t(slot)].socketState, -1);
        countUser(m_slots[size_t(slot)], -1);
        m_marks[size_t(slot)] = Removed;
        touchedSlots.push_back(slot);
        ++removedCount;
    }

    // Updates touch rows scattered over memory: look all slots up first, then fetch each row a
    // few iterations ahead, so that the cache misses overlap instead of queueing.
    const qsizetype upserts = delta.upserts.size();
    std::vector<int> &slotOf = m_scratchSlots;
    slotOf.resize(size_t(upserts));
    for (qsizetype i = 0; i < upserts; ++i)
        slotOf[size_t(i)] = m_slotById.value(delta.upserts.at(i).id, -1);
    constexpr qsizetype Ahead = 8;
    for (qsizetype i = 0; i < upserts; ++i) {
        if (i + Ahead < upserts) {
            const int next = slotOf[size_t(i + Ahead)];
            if (next >= 0) {
                const char *row = reinterpret_cast<const char *>(&m_slots[size_t(next)]);
                __builtin_prefetch(row);
                __builtin_prefetch(row + sizeof(ConnectionInfo) - 1);
            }
        }
        const ConnectionInfo &c = delta.upserts.at(i);
        int slot = slotOf[size_t(i)];
        if (slot < 0) // new, or new earlier in this batch
            slot = m_slotById.value(c.id, -1);
        if (slot < 0) {
            slot = allocSlot();
            m_slots[size_t(slot)] = c;
            m_search[size_t(slot)] = searchText(c);
            m_verdicts[size_t(slot)] = FilterVerdict::Unknown;
            m_groupHints[size_t(slot)] = -1;
            m_slotById.insert(c.id, slot);
            m_marks[size_t(slot)] = Added;
            touchedSlots.push_back(slot);
            addedSlots.push_back(slot);
            countState(c.socketState, +1);
            countUser(c, +1);
            continue;
        }
        ConnectionInfo &old = m_slots[size_t(slot)];
        if (old.socketState != c.socketState) {
            countState(old.socketState, -1);
            countState(c.socketState, +1);
        }
        // Unchanged strings arrive shared with the stored ones (both are copies of the
        // worker's): comparing and assigning them by pointer spares 10k rows' string data.
        const bool sameUser = same(old.user, c.user) && old.authenticated == c.authenticated;
        if (!sameUser) {
            countUser(old, -1);
            countUser(c, +1);
        }
        quint8 &mark = m_marks[size_t(slot)];
        const bool identity
            = !sameUser || !same(old.sessionId, c.sessionId) || !same(old.peer, c.peer);
        if (!(mark & Added)) {
            // Identity columns change only at login: dataChanged covers only what can change.
            Column from = Column::ConnectedFor;
            if (!sameUser || !same(old.sessionId, c.sessionId))
                from = Column::User;
            else if (!same(old.peer, c.peer) || old.endpoint != c.endpoint)
                from = Column::Peer;
            minColumn = qMin(minColumn, int(from));
            if (mark == 0) {
                mark = Changed;
                touchedSlots.push_back(slot);
                changedSlots.append(slot);
            }
            if (!sameKey(old, c))
                mark |= Moved;
        }
        if (identity || old.warned != c.warned)
            m_verdicts[size_t(slot)] = FilterVerdict::Unknown;
        if (identity)
            m_groupHints[size_t(slot)] = -1;
        assign(old, c);
        if (identity)
            m_search[size_t(slot)] = searchText(c);
    }

    // Arrivals go to the end first (one insert), then into place with the moved rows.
    if (!addedSlots.empty()) {
        const int first = int(m_order.size());
        reserveAhead(m_order, m_order.size() + addedSlots.size());
        beginInsertRows({}, first, first + int(addedSlots.size()) - 1);
        for (int slot : addedSlots) {
            m_rowOfSlot[size_t(slot)] = int(m_order.size());
            m_order.push_back(entryFor(slot));
        }
        endInsertRows();
    }

    // The rows whose key did not change keep their relative order; the moved and new ones are
    // sorted and merged in; the departing ones gather at the end, to go in one removal.
    bool anyMoved = !addedSlots.empty() || removedCount > 0;
    for (int slot : std::as_const(changedSlots))
        anyMoved = anyMoved || (m_marks[size_t(slot)] & Moved);
    if (anyMoved) {
        std::vector<OrderEntry> &stay = m_scratchStay; // kept: no page faults per batch
        std::vector<OrderEntry> movers;
        std::vector<OrderEntry> leaving;
        // The moved rows' new entries, from the list of changed slots (each once), their rows
        // fetched a few ahead: the walk over the order below would meet them in random order.
        constexpr qsizetype MoverAhead = 8;
        for (qsizetype i = 0; i < changedSlots.size(); ++i) {
            if (i + MoverAhead < changedSlots.size())
                __builtin_prefetch(&m_slots[size_t(changedSlots.at(i + MoverAhead))]);
            const int slot = changedSlots.at(i);
            if ((m_marks[size_t(slot)] & (Moved | Removed)) == Moved)
                movers.push_back(entryFor(slot));
        }
        stay.clear();
        reserveAhead(stay, m_order.size());
        for (const OrderEntry &e : m_order) {
            const quint8 mark = m_marks[size_t(e.slot)];
            if (!(mark & (Removed | Added | Moved)))
                stay.push_back(e);
            else if (mark & Removed)
                leaving.push_back(e);
            else if (mark & Added)
                movers.push_back(e); // its entry was taken at its arrival, after every update
        }
        std::vector<OrderEntry> &order = m_scratchOrder;
        order.clear();
        reserveAhead(order, m_order.size());
        withEntryLess([&](auto less) {
            std::sort(movers.begin(), movers.end(), less);
            // A merge that binary-searches each mover's place and copies the rows in between:
            // the string columns compare k log n times instead of n times.
            auto from = stay.cbegin();
            for (const OrderEntry &m : movers) {
                const auto to = std::upper_bound(from, stay.cend(), m, less);
                order.insert(order.end(), from, to);
                order.push_back(m);
                from = to;
            }
            order.insert(order.end(), from, stay.cend());
        });
        order.insert(order.end(), leaving.begin(), leaving.end());
        bool same = true;
        for (size_t row = 0; row < order.size() && same; ++row)
            same = order[row].slot == m_order[row].slot;
        if (same)
            m_order.swap(order); // new keys of rows that stayed in place
        else
            relayout(order);
    }

    if (removedCount > 0) {
        const int newCount = int(m_order.size()) - removedCount;
        beginRemoveRows({}, newCount, int(m_order.size()) - 1);
        for (size_t row = size_t(newCount); row < m_order.size(); ++row) {
            const int slot = m_order[row].slot;
            m_slots[size_t(slot)] = ConnectionInfo();
            m_search[size_t(slot)].clear();
            m_rowOfSlot[size_t(slot)] = -1;
            m_freeSlots.push_back(slot);
        }
        m_order.resize(size_t(newCount));
        endRemoveRows();
    }

    if (!changedSlots.isEmpty()) {
        QList<int> rows;
        rows.reserve(changedSlots.size());
        for (int slot : std::as_const(changedSlots))
            if (!(m_marks[size_t(slot)] & Removed))
                rows.append(m_rowOfSlot[size_t(slot)]);
        if (!rows.isEmpty())
            emitChanged(rows, minColumn);
    }
    for (int slot : touchedSlots)
        m_marks[size_t(slot)] = 0;

    if (m_stateCounts != statesBefore)
        Q_EMIT socketStateCountsChanged();
    if (m_usersChanged) {
        m_usersChanged = false;
        Q_EMIT usersChanged();
    }
}
