// SPDX-License-Identifier: MIT
#pragma once

#include "server/serverevent.h"

#include <QtCore/QSet>
#include <QtCore/QSortFilterProxyModel>

class EventLogModel;

// Filters EventLogModel by event type and by text (user, session, connection id or details).
// An empty type set shows every type. GUI thread.
class EventFilterProxy final : public QSortFilterProxyModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EventFilterProxy)

public:
    explicit EventFilterProxy(QObject *parent = nullptr);

    void setEventModel(EventLogModel *model);
    void setTypes(const QSet<ServerEvent::Type> &types);
    QSet<ServerEvent::Type> types() const { return m_types; }
    void setText(const QString &text);
    QString text() const { return m_text; }

    // The events currently shown, oldest first: what "Export" writes.
    ServerEventList visibleEvents() const;

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    EventLogModel *m_model = nullptr;
    QSet<ServerEvent::Type> m_types;
    QString m_text;
};
