// SPDX-License-Identifier: MIT
#include "ui/connectionfilterproxy.h"

#include "ui/connectiontablemodel.h"

#include <algorithm>

ConnectionFilterProxy::ConnectionFilterProxy(QObject *parent)
    : QAbstractProxyModel(parent)
{ }

void ConnectionFilterProxy::setConnectionModel(ConnectionTableModel *model)
{
    setSourceModel(model);
}

void ConnectionFilterProxy::setSourceModel(QAbstractItemModel *model)
{
    auto *table = qobject_cast<ConnectionTableModel *>(model);
    if (model && !table) {
        qWarning("ConnectionFilterProxy: the source must be a ConnectionTableModel");
        return;
    }
    beginResetModel();
    if (m_model)
        disconnect(m_model, nullptr, this, nullptr);
    m_model = table;
    QAbstractProxyModel::setSourceModel(table);
    if (table) {
        using M = QAbstractItemModel;
        connect(table, &M::rowsAboutToBeInserted, this,
                &ConnectionFilterProxy::onRowsAboutToBeInserted);
        connect(table, &M::rowsInserted, this, &ConnectionFilterProxy::onRowsInserted);
        connect(table, &M::rowsAboutToBeRemoved, this,
                &ConnectionFilterProxy::onRowsAboutToBeRemoved);
        connect(table, &M::rowsRemoved, this, &ConnectionFilterProxy::onRowsRemoved);
        connect(table, &M::dataChanged, this, &ConnectionFilterProxy::onDataChanged);
        connect(table, &M::layoutAboutToBeChanged, this,
                [this](const QList<QPersistentModelIndex> &, M::LayoutChangeHint hint) {
                    beginLayout(hint);
                });
        connect(table, &M::layoutChanged, this,
                [this](const QList<QPersistentModelIndex> &, M::LayoutChangeHint hint) {
                    endLayout(hint);
                });
        // The table never moves rows nor changes its columns; were it to, these keep the
        // mapping right (a move is a layout change, a column change a reset).
        connect(table, &M::rowsAboutToBeMoved, this,
                [this] { beginLayout(M::NoLayoutChangeHint); });
        connect(table, &M::rowsMoved, this, [this] { endLayout(M::NoLayoutChangeHint); });
        const auto beginReset = [this] {
            beginResetModel();
        };
        const auto endReset = [this] {
            rebuild();
            endResetModel();
        };
        connect(table, &M::modelAboutToBeReset, this, beginReset);
        connect(table, &M::modelReset, this, endReset);
        connect(table, &M::columnsAboutToBeInserted, this, beginReset);
        connect(table, &M::columnsInserted, this, endReset);
        connect(table, &M::columnsAboutToBeRemoved, this, beginReset);
        connect(table, &M::columnsRemoved, this, endReset);
        connect(table, &M::columnsAboutToBeMoved, this, beginReset);
        connect(table, &M::columnsMoved, this, endReset);
        connect(table, &M::headerDataChanged, this,
                [this](Qt::Orientation orientation, int first, int last) {
                    if (orientation == Qt::Horizontal)
                        Q_EMIT headerDataChanged(orientation, first, last);
                });
        connect(table, &QObject::destroyed, this, [this] {
            beginResetModel();
            m_model = nullptr;
            rebuild();
            endResetModel();
        });
    }
    rebuild();
    endResetModel();
}

void ConnectionFilterProxy::refilter()
{
    if (m_model)
        m_model->forgetVerdicts();
    // One layout change, not a signal per run of rows that comes or goes: every signal costs
    // the views O(rows), and with the rows sorted by anything but id the matches are scattered.
    beginLayout(QAbstractItemModel::NoLayoutChangeHint);
    endLayout(QAbstractItemModel::NoLayoutChangeHint);
}

void ConnectionFilterProxy::setText(const QString &text)
{
    const QString t = text.trimmed();
    if (t == m_text)
        return;
    m_text = t;
    m_matcher.setPattern(t.toLower());
    bool isNumber = false;
    m_textId = t.toULongLong(&isNumber);
    if (!isNumber)
        m_textId = 0;
    refilter();
}

void ConnectionFilterProxy::setLoggedInOnly(bool on)
{
    if (on == m_loggedInOnly)
        return;
    m_loggedInOnly = on;
    refilter();
}

void ConnectionFilterProxy::setExpiringOnly(bool on)
{
    if (on == m_expiringOnly)
        return;
    m_expiringOnly = on;
    refilter();
}

void ConnectionFilterProxy::setUser(const QString &user)
{
    if (user == m_user)
        return;
    m_user = user;
    refilter();
}

bool ConnectionFilterProxy::showsSourceRow(int sourceRow) const
{
    if (sourceRow < 0)
        return false;
    if (m_identity)
        return sourceRow < m_count;
    return size_t(sourceRow) < m_proxyRowOf.size() && m_proxyRowOf[size_t(sourceRow)] >= 0;
}

bool ConnectionFilterProxy::accepts(int sourceRow) const
{
    if (!filtering())
        return true;
    const auto cached = m_model->cachedVerdict(sourceRow);
    if (cached != ConnectionTableModel::FilterVerdict::Unknown)
        return cached == ConnectionTableModel::FilterVerdict::Accepted;
    const ConnectionInfo &c = m_model->at(sourceRow);
    bool accepted = true;
    if (m_loggedInOnly && !c.authenticated)
        accepted = false;
    else if (m_expiringOnly && !c.warned)
        accepted = false;
    else if (!m_user.isEmpty() && (!c.authenticated || c.user != m_user))
        accepted = false;
    else if (!m_text.isEmpty())
        accepted = (m_textId != 0 && c.id == m_textId)
                   || m_matcher.indexIn(m_model->searchTextAt(sourceRow)) >= 0;
    m_model->cacheVerdict(sourceRow, accepted);
    return accepted;
}

void ConnectionFilterProxy::sort(int column, Qt::SortOrder order)
{
    // The proxy keeps the source's order; the source sorts itself.
    if (m_model)
        m_model->sort(column, order);
}

QModelIndex ConnectionFilterProxy::index(int row, int column, const QModelIndex &parent) const
{
    if (parent.isValid() || row < 0 || column < 0 || row >= m_count || column >= columnCount())
        return {};
    return createIndex(row, column);
}

QModelIndex ConnectionFilterProxy::parent(const QModelIndex &) const
{
    return {};
}

QModelIndex ConnectionFilterProxy::sibling(int row, int column, const QModelIndex &idx) const
{
    return idx.isValid() ? index(row, column) : QModelIndex();
}

int ConnectionFilterProxy::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : m_count;
}

int ConnectionFilterProxy::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() || !m_model ? 0 : m_model->columnCount();
}

bool ConnectionFilterProxy::hasChildren(const QModelIndex &parent) const
{
    return !parent.isValid() && m_count > 0 && columnCount() > 0;
}

QVariant ConnectionFilterProxy::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (!m_model)
        return {};
    // QAbstractProxyModel maps a column through index(0, section): nothing while no row shows.
    if (orientation == Qt::Horizontal)
        return m_model->headerData(section, orientation, role);
    if (section < 0 || section >= m_count)
        return {};
    return m_model->headerData(sourceRowOf(section), orientation, role);
}

QVariant ConnectionFilterProxy::data(const QModelIndex &index, int role) const
{
    const QModelIndex source = mapToSource(index);
    return source.isValid() ? m_model->data(source, role) : QVariant();
}

Qt::ItemFlags ConnectionFilterProxy::flags(const QModelIndex &index) const
{
    const QModelIndex source = mapToSource(index);
    return source.isValid() ? m_model->flags(source) : Qt::NoItemFlags;
}

QModelIndex ConnectionFilterProxy::mapToSource(const QModelIndex &proxyIndex) const
{
    // QAbstractProxyModel's own handlers of the source's row signals (a vertical
    // headerDataChanged) run before this proxy maps the change: a row that is gone from the
    // source maps to nothing meanwhile.
    if (!m_model || !proxyIndex.isValid() || proxyIndex.row() >= m_count)
        return {};
    return m_model->index(sourceRowOf(proxyIndex.row()), proxyIndex.column());
}

QModelIndex ConnectionFilterProxy::mapFromSource(const QModelIndex &sourceIndex) const
{
    if (!m_model || !sourceIndex.isValid() || sourceIndex.model() != m_model)
        return {};
    const int row = sourceIndex.row();
    if (!showsSourceRow(row))
        return {};
    return createIndex(m_identity ? row : m_proxyRowOf[size_t(row)], sourceIndex.column());
}

void ConnectionFilterProxy::proxyRange(int first, int last, int *from, int *to) const
{
    if (m_identity) {
        *from = std::min(first, m_count);
        *to = std::min(last + 1, m_count);
        return;
    }
    *from = int(std::lower_bound(m_rows.cbegin(), m_rows.cend(), first) - m_rows.cbegin());
    *to = int(std::lower_bound(m_rows.cbegin() + *from, m_rows.cend(), last + 1) - m_rows.cbegin());
}

void ConnectionFilterProxy::rebuild()
{
    const int rows = m_model ? m_model->rowCount() : 0;
    m_identity = !m_model || !filtering();
    m_rows.clear();
    if (m_identity) {
        m_proxyRowOf.clear();
        m_count = rows;
        return;
    }
    m_proxyRowOf.assign(size_t(rows), -1);
    for (int row = 0; row < rows; ++row) {
        if (accepts(row)) {
            m_proxyRowOf[size_t(row)] = int(m_rows.size());
            m_rows.push_back(row);
        }
    }
    m_count = int(m_rows.size());
}

void ConnectionFilterProxy::beginLayout(QAbstractItemModel::LayoutChangeHint hint)
{
    Q_EMIT layoutAboutToBeChanged({}, hint);
    // Our persistent indexes (selections, the current row) hold on to their source rows, which
    // the source moves for us if it is the one changing.
    m_layoutFrom = persistentIndexList();
    m_layoutSource.clear();
    m_layoutSource.reserve(m_layoutFrom.size());
    for (const QModelIndex &i : std::as_const(m_layoutFrom))
        m_layoutSource.append(QPersistentModelIndex(mapToSource(i)));
}

void ConnectionFilterProxy::endLayout(QAbstractItemModel::LayoutChangeHint hint)
{
    rebuild();
    QModelIndexList to;
    to.reserve(m_layoutFrom.size());
    for (const QPersistentModelIndex &source : std::as_const(m_layoutSource))
        to.append(mapFromSource(source));
    changePersistentIndexList(m_layoutFrom, to);
    m_layoutFrom.clear();
    m_layoutSource.clear();
    Q_EMIT layoutChanged({}, hint);
}

void ConnectionFilterProxy::onRowsAboutToBeInserted(const QModelIndex &parent, int first, int last)
{
    if (!parent.isValid() && m_identity)
        beginInsertRows({}, first, last);
}

void ConnectionFilterProxy::onRowsInserted(const QModelIndex &parent, int first, int last)
{
    if (parent.isValid())
        return;
    const int n = last - first + 1;
    if (m_identity) {
        m_count += n;
        endInsertRows();
        return;
    }
    // The source rows from `first` on moved down by n; the proxy rows stay what they are.
    const auto at = std::lower_bound(m_rows.begin(), m_rows.end(), first);
    const int from = int(at - m_rows.begin());
    for (auto it = at; it != m_rows.end(); ++it)
        *it += n;
    m_proxyRowOf.insert(m_proxyRowOf.begin() + first, size_t(n), -1);
    std::vector<int> shown;
    for (int row = first; row <= last; ++row)
        if (accepts(row))
            shown.push_back(row);
    if (shown.empty())
        return;
    beginInsertRows({}, from, from + int(shown.size()) - 1);
    m_rows.insert(m_rows.begin() + from, shown.cbegin(), shown.cend());
    for (size_t i = size_t(from); i < m_rows.size(); ++i)
        m_proxyRowOf[size_t(m_rows[i])] = int(i);
    m_count = int(m_rows.size());
    endInsertRows();
}

void ConnectionFilterProxy::onRowsAboutToBeRemoved(const QModelIndex &parent, int first, int last)
{
    if (parent.isValid())
        return;
    proxyRange(first, last, &m_removeFrom, &m_removeTo);
    if (m_removeFrom < m_removeTo)
        beginRemoveRows({}, m_removeFrom, m_removeTo - 1);
}

void ConnectionFilterProxy::onRowsRemoved(const QModelIndex &parent, int first, int last)
{
    if (parent.isValid())
        return;
    const int n = last - first + 1;
    if (m_identity) {
        m_count -= m_removeTo - m_removeFrom;
    } else {
        m_rows.erase(m_rows.begin() + m_removeFrom, m_rows.begin() + m_removeTo);
        m_proxyRowOf.erase(m_proxyRowOf.begin() + first, m_proxyRowOf.begin() + last + 1);
        for (size_t i = size_t(m_removeFrom); i < m_rows.size(); ++i) {
            m_rows[i] -= n;
            m_proxyRowOf[size_t(m_rows[i])] = int(i);
        }
        m_count = int(m_rows.size());
    }
    if (m_removeFrom < m_removeTo)
        endRemoveRows();
    m_removeFrom = m_removeTo = 0;
}

void ConnectionFilterProxy::onDataChanged(const QModelIndex &topLeft,
                                          const QModelIndex &bottomRight, const QList<int> &roles)
{
    if (!topLeft.isValid() || topLeft.parent().isValid())
        return;
    const int first = topLeft.row();
    const int last = bottomRight.row();
    // A change may show or hide rows (a login, the warning): the model forgot those rows'
    // verdicts. Any flip makes one layout change, as a filter change does.
    if (!m_identity && (roles.isEmpty() || roles.contains(int(ConnectionTableModel::FilterRole)))) {
        bool flipped = false;
        for (int row = first; row <= last && !flipped; ++row)
            flipped = (m_proxyRowOf[size_t(row)] >= 0) != accepts(row);
        if (flipped) {
            beginLayout(QAbstractItemModel::NoLayoutChangeHint);
            endLayout(QAbstractItemModel::NoLayoutChangeHint);
        }
    }
    int from = 0;
    int to = 0;
    proxyRange(first, last, &from, &to);
    if (from < to)
        Q_EMIT dataChanged(index(from, topLeft.column()), index(to - 1, bottomRight.column()),
                           roles);
}
