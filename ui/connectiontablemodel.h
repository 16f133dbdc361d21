// SPDX-License-Identifier: MIT
#pragma once

#include "server/connectioninfo.h"

#include <QtCore/QAbstractTableModel>
#include <QtCore/QHash>
#include <QtCore/QList>
#include <QtCore/QMap>
#include <QtCore/QStringList>

// Source model of live connections, fed by batched ConnectionDelta values. Row order is arrival
// order with O(1) updates and removals (the last row fills the hole); sorting and filtering live in
// proxy models. The time columns are computed from the clock in data(): views refresh countdowns
// by repainting, not through dataChanged, which would make a proxy sorted by a time column
// re-sort every row each second. Lives in the GUI thread.
class ConnectionTableModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConnectionTableModel)

public:
    enum class Column {
        Id,
        User,
        Session,
        Peer,
        Endpoint,
        ConnectedFor,
        LastActivity,
        ExpiresIn,
        TcpState,
        Rtt,
        MsgsIn,
        MsgsOut,
        BytesIn,
        BytesOut,
        Count
    };
    enum Role {
        ConnectionIdRole = Qt::UserRole + 1,
        SessionIdRole,
        UserRole,
        SortRole, // numeric value for sorting time and counter columns
        WarnedRole,
        FilterRole, // never has data: the proxy filters on the row values themselves
    };

    explicit ConnectionTableModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    void applyDelta(const ConnectionDelta &delta);
    const ConnectionInfo *byId(ConnectionId id) const;
    const ConnectionInfo &at(int row) const { return m_rows.at(row); }
    int rowOf(ConnectionId id) const { return m_rowById.value(id, -1); }
    // Live connections per QAbstractSocket::SocketState, kept up to date by applyDelta().
    const QMap<int, int> &socketStateCounts() const { return m_stateCounts; }
    // The logged-in users with at least one live connection, sorted.
    QStringList users() const;

    // Orders two rows by a column the way the view sorts it (numbers as numbers).
    static bool lessThan(const ConnectionInfo &a, const ConnectionInfo &b, Column column);
    static QString durationText(qint64 ms);

Q_SIGNALS:
    void socketStateCountsChanged();
    // A user got a first connection or lost the last one.
    void usersChanged();

private:
    static constexpr qsizetype MaxChangeRuns = 2048;

    qint64 nowMs() const;
    void emitChanged(QList<int> &rows, int minRow, int maxRow, int minColumn);
    void countState(int state, int delta);
    void countUser(const ConnectionInfo &c, int delta);

    QList<ConnectionInfo> m_rows;
    QHash<ConnectionId, int> m_rowById;
    QMap<int, int> m_stateCounts;
    QHash<QString, int> m_userCounts; // connections per logged-in user
    bool m_usersChanged = false;
};
