// SPDX-License-Identifier: MIT
#pragma once

#include "server/connectioninfo.h"

#include <QtCore/QSortFilterProxyModel>
#include <QtCore/QStringMatcher>

class ConnectionTableModel;

// Filters ConnectionTableModel: a text filter over user, session, peer and id, plus "logged in
// only", "expiring only" and one user. It does not sort: sort() (a header click) is forwarded to
// the source model, which keeps its rows sorted far cheaper than a sorting proxy can at 100k rows
// (see docs/dashboard.md), so the proxy keeps the source order. GUI thread.
class ConnectionFilterProxy final : public QSortFilterProxyModel
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
    bool showsSourceRow(int sourceRow) const { return filterAcceptsRow(sourceRow, {}); }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    void refilter();
    bool accepts(int sourceRow) const;

    ConnectionTableModel *m_model = nullptr;
    QString m_text;
    QStringMatcher m_matcher; // the text in lower case, over ConnectionTableModel::searchTextAt()
    ConnectionId m_textId = 0; // the text as a connection id, if it is one
    bool m_loggedInOnly = false;
    bool m_expiringOnly = false;
    QString m_user;
};
