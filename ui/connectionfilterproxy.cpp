// SPDX-License-Identifier: MIT
#include "ui/connectionfilterproxy.h"

#include "ui/connectiontablemodel.h"

ConnectionFilterProxy::ConnectionFilterProxy(QObject *parent)
    : QSortFilterProxyModel(parent)
{
    // Filtering reads the rows directly; a role nobody emits keeps the proxy from re-filtering
    // every row on each countdown repaint (those change only the display role).
    setFilterRole(ConnectionTableModel::FilterRole);
}

void ConnectionFilterProxy::setConnectionModel(ConnectionTableModel *model)
{
    m_model = model;
    setSourceModel(model);
}

void ConnectionFilterProxy::refilter()
{
    if (m_model)
        m_model->forgetVerdicts();
    // One layout change, not invalidateRowsFilter(): that one signals each run of rows that
    // comes or goes, and every signal costs the views O(rows); with the rows sorted by anything
    // but id the matches are scattered, and typing a filter took seconds at 100k rows.
    invalidate();
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

bool ConnectionFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    if (!m_model || sourceParent.isValid())
        return true;
    if (!m_loggedInOnly && !m_expiringOnly && m_user.isEmpty() && m_text.isEmpty())
        return true;
    const auto cached = m_model->cachedVerdict(sourceRow);
    if (cached != ConnectionTableModel::FilterVerdict::Unknown)
        return cached == ConnectionTableModel::FilterVerdict::Accepted;
    const bool accepted = accepts(sourceRow);
    m_model->cacheVerdict(sourceRow, accepted);
    return accepted;
}

bool ConnectionFilterProxy::accepts(int sourceRow) const
{
    const ConnectionInfo &c = m_model->at(sourceRow);
    if (m_loggedInOnly && !c.authenticated)
        return false;
    if (m_expiringOnly && !c.warned)
        return false;
    if (!m_user.isEmpty() && (!c.authenticated || c.user != m_user))
        return false;
    if (m_text.isEmpty())
        return true;
    return (m_textId != 0 && c.id == m_textId)
           || m_matcher.indexIn(m_model->searchTextAt(sourceRow)) >= 0;
}

void ConnectionFilterProxy::sort(int column, Qt::SortOrder order)
{
    // The proxy's own sort column stays -1: it only filters and keeps the source's order.
    if (m_model)
        m_model->sort(column, order);
}
