// SPDX-License-Identifier: MIT
#pragma once

#include "server/serverevent.h"

#include <QtCore/QAbstractTableModel>
#include <QtCore/QList>

class QIODevice;

// Source model of the event log: the newest `capacity` events (20,000 by default), appended in
// batches; the oldest rows fall off the front. Lives in the GUI thread.
class EventLogModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EventLogModel)

public:
    enum class Column { Time, Type, User, Session, Connection, Details, Count };
    enum Role {
        EventIdRole = Qt::UserRole + 1,
        TypeNameRole,
    };

    explicit EventLogModel(int capacity = 20000, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    // Appends a live batch; events already shown (by id) are skipped.
    void append(const ServerEventList &events);
    // Puts events from before the window existed (the server's ring) in front of the live ones.
    void insertBacklog(const ServerEventList &events);
    void clear();
    int capacity() const { return m_capacity; }
    const ServerEvent &eventAt(int row) const { return m_events.at(row); }

    static QString detailsText(const ServerEvent &e);
    // Export formats: one JSON object per line (the headless --log-format json shape), or CSV
    // with the table's columns. Return false with the device's error.
    static bool writeJsonLines(const ServerEventList &events, QIODevice *out);
    static bool writeCsv(const ServerEventList &events, QIODevice *out);

private:
    int m_capacity;
    QList<ServerEvent> m_events;
};
