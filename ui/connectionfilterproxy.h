// SPDX-License-Identifier: MIT
#pragma once

#include "server/connectioninfo.h"

#include <QtCore/QAbstractProxyModel>
#include <QtCore/QPersistentModelIndex>
#include <QtCore/QStringMatcher>

#include <vector>

class ConnectionTableModel;

// Filters ConnectionTableModel: a text filter over user, session, peer and id, plus "logged in
// only", "expiring only" and one user. It does not sort: sort() (a header click) is forwarded to
// the source model, which keeps its rows sorted far cheaper than a sorting proxy can at 100k rows
// (see docs/dashboard.md), so the proxy keeps the source order.
//
// Its own proxy rather than a QSortFilterProxyModel: a filter that keeps the source order maps a
// contiguous source range to a contiguous proxy range, so every source signal becomes at most one
// signal here, and with no filter set the mapping is the identity (no per-row state at all).
// QSortFilterProxyModel rebuilt a hash-based mapping of every row after each of the table's
// layout changes, which was half of a 10,000-change batch at 100,000 rows. Filter changes and
// rows whose verdict flips in a batch come as one layout change (rows may come and go in it, as
// with QSortFilterProxyModel::invalidate()). GUI thread.
class ConnectionFilterProxy final : public QAbstractProxyModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConnectionFilterProxy)

public:
    explicit ConnectionFilterProxy(QObject *parent = nullptr);

    void setConnectionModel(ConnectionTableModel *model);
    ConnectionTableModel *connectionModel() const { return m_model; }

    QString text() const { return m_text; }
    void setText(const QString &text);
    bool loggedInOnly() const { return m_loggedInOnly; }
    void setLoggedInOnly(bool on);
    bool expiringOnly() const { return m_expiringOnly; }
    void setExpiringOnly(bool on);
    // Only the connections of this logged-in user (exact match); empty = everyone.
    QString user() const { return m_user; }
    void setUser(const QString &user);

    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

    // Whether a row of the source model is shown: the proxy's own verdict (cached per row), for
    // views that walk the source in order instead of mapping every row.
    bool showsSourceRow(int sourceRow) const;

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    QModelIndex sibling(int row, int column, const QModelIndex &idx) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    bool hasChildren(const QModelIndex &parent = {}) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    // Nothing for an index that maps to no source row (QAbstractProxyModel would ask the
    // source with an invalid index).
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    QModelIndex mapToSource(const QModelIndex &proxyIndex) const override;
    QModelIndex mapFromSource(const QModelIndex &sourceIndex) const override;
    // Only a ConnectionTableModel (or nullptr) is taken: the same as setConnectionModel().
    void setSourceModel(QAbstractItemModel *model) override;

private:
    bool filtering() const
    {
        return m_loggedInOnly || m_expiringOnly || !m_user.isEmpty() || !m_text.isEmpty();
    }
    bool accepts(int sourceRow) const;
    int sourceRowOf(int proxyRow) const { return m_identity ? proxyRow : m_rows[size_t(proxyRow)]; }
    // Proxy rows of the source rows [first, last]: [*from, *to), empty when none is shown.
    void proxyRange(int first, int last, int *from, int *to) const;
    // Rebuilds the mapping from the source's current rows and verdicts.
    void rebuild();
    // A layout change of our own (filter changed, verdicts flipped, the source's layout): the
    // persistent indexes follow their source rows, or become invalid when filtered out.
    void beginLayout(QAbstractItemModel::LayoutChangeHint hint);
    void endLayout(QAbstractItemModel::LayoutChangeHint hint);
    void refilter();

    void onRowsAboutToBeInserted(const QModelIndex &parent, int first, int last);
    void onRowsInserted(const QModelIndex &parent, int first, int last);
    void onRowsAboutToBeRemoved(const QModelIndex &parent, int first, int last);
    void onRowsRemoved(const QModelIndex &parent, int first, int last);
    void onDataChanged(const QModelIndex &topLeft, const QModelIndex &bottomRight,
                       const QList<int> &roles);

    ConnectionTableModel *m_model = nullptr;
    QString m_text;
    QStringMatcher m_matcher; // the text in lower case, over ConnectionTableModel::searchTextAt()
    ConnectionId m_textId = 0; // the text as a connection id, if it is one
    bool m_loggedInOnly = false;
    bool m_expiringOnly = false;
    QString m_user;

    // The mapping. Identity (no filter): proxy row = source row, m_count rows, kept by the
    // signals rather than read from the source, which changes before it tells. Otherwise m_rows
    // holds the shown source rows in order and m_proxyRowOf each source row's proxy row or -1.
    bool m_identity = true;
    int m_count = 0;
    std::vector<int> m_rows;
    std::vector<int> m_proxyRowOf;
    // Between a removal's two signals: the proxy rows going, [from, to).
    int m_removeFrom = 0;
    int m_removeTo = 0;
    QModelIndexList m_layoutFrom; // our persistent indexes at beginLayout()
    QList<QPersistentModelIndex> m_layoutSource; // their source indexes, moved by the source
};
