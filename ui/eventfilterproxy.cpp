// SPDX-License-Identifier: MIT
#include "ui/eventfilterproxy.h"

#include "ui/eventlogmodel.h"

EventFilterProxy::EventFilterProxy(QObject *parent)
    : QSortFilterProxyModel(parent)
{ }

void EventFilterProxy::setEventModel(EventLogModel *model)
{
    m_model = model;
    setSourceModel(model);
}

void EventFilterProxy::setTypes(const QSet<ServerEvent::Type> &types)
{
    if (types == m_types)
        return;
    m_types = types;
    invalidateRowsFilter();
}

void EventFilterProxy::setText(const QString &text)
{
    const QString t = text.trimmed();
    if (t == m_text)
        return;
    m_text = t;
    invalidateRowsFilter();
}

ServerEventList EventFilterProxy::visibleEvents() const
{
    ServerEventList out;
    if (!m_model)
        return out;
    out.reserve(rowCount());
    for (int row = 0; row < rowCount(); ++row)
        out.append(m_model->eventAt(mapToSource(index(row, 0)).row()));
    return out;
}

bool EventFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    if (!m_model || sourceParent.isValid())
        return true;
    const ServerEvent &e = m_model->eventAt(sourceRow);
    if (!m_types.isEmpty() && !m_types.contains(e.type))
        return false;
    if (m_text.isEmpty())
        return true;
    return e.user.contains(m_text, Qt::CaseInsensitive)
           || e.sessionId.contains(m_text, Qt::CaseInsensitive)
           || QString::number(e.connectionId) == m_text
           || EventLogModel::detailsText(e).contains(m_text, Qt::CaseInsensitive);
}
