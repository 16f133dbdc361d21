// SPDX-License-Identifier: MIT
#include "ui/connectionfilterproxy.h"

#include "ui/connectiontablemodel.h"

ConnectionFilterProxy::ConnectionFilterProxy(QObject *parent)
    : QSortFilterProxyModel(parent)
{
    setSortRole(ConnectionTableModel::SortRole);
    // Filtering reads the rows directly; a role nobody emits keeps the proxy from re-filtering
    // every row on each countdown repaint (those change only the display role).
    setFilterRole(ConnectionTableModel::FilterRole);
}

void ConnectionFilterProxy::setConnectionModel(ConnectionTableModel *model)
{
    m_model = model;
    setSourceModel(model);
}

void ConnectionFilterProxy::setText(const QString &text)
{
    const QString t = text.trimmed();
    if (t == m_text)
        return;
    m_text = t;
    invalidateRowsFilter();
}

void ConnectionFilterProxy::setLoggedInOnly(bool on)
{
    if (on == m_loggedInOnly)
        return;
    m_loggedInOnly = on;
    invalidateRowsFilter();
}

void ConnectionFilterProxy::setExpiringOnly(bool on)
{
    if (on == m_expiringOnly)
        return;
    m_expiringOnly = on;
    invalidateRowsFilter();
}

void ConnectionFilterProxy::setUser(const QString &user)
{
    if (user == m_user)
        return;
    m_user = user;
    invalidateRowsFilter();
}

bool ConnectionFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    if (!m_model || sourceParent.isValid())
        return true;
    const ConnectionInfo &c = m_model->at(sourceRow);
    if (m_loggedInOnly && !c.authenticated)
        return false;
    if (m_expiringOnly && !c.warned)
        return false;
    if (!m_user.isEmpty() && (!c.authenticated || c.user != m_user))
        return false;
    if (m_text.isEmpty())
        return true;
    return c.user.contains(m_text, Qt::CaseInsensitive)
           || c.sessionId.contains(m_text, Qt::CaseInsensitive)
           || c.peer.contains(m_text, Qt::CaseInsensitive) || QString::number(c.id) == m_text;
}

bool ConnectionFilterProxy::lessThan(const QModelIndex &left, const QModelIndex &right) const
{
    if (!m_model)
        return QSortFilterProxyModel::lessThan(left, right);
    const ConnectionInfo &a = m_model->at(left.row());
    const ConnectionInfo &b = m_model->at(right.row());
    const auto column = ConnectionTableModel::Column(left.column());
    if (ConnectionTableModel::lessThan(a, b, column))
        return true;
    if (ConnectionTableModel::lessThan(b, a, column))
        return false;
    return a.id < b.id; // a stable order for equal keys, so rows do not jump on updates
}
