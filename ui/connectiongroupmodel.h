// SPDX-License-Identifier: MIT
#pragma once

#include "server/connectioninfo.h"

#include <QtCore/QAbstractItemModel>
#include <QtCore/QHash>
#include <QtCore/QTimer>

#include <vector>

class ConnectionFilterProxy;
class ConnectionTableModel;

// The connections grouped under their session: one top-level row per session (with its user,
// number of connections, summed counters and the session's own "expires in"), its connections as
// children; connections that are not logged in share one group. Built from the filtered table
// (ConnectionFilterProxy), so the filters and the table's sort order apply; sort() forwards to the
// table. Rebuilt as a whole once per update batch (every 2 s above 10,000 rows) and only while
// enabled: a session can gain or lose many rows per batch, and operators switch to this view to
// look at sessions, not to watch 100,000 rows move. GUI thread.
class ConnectionGroupModel final : public QAbstractItemModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConnectionGroupModel)

public:
    enum Role {
        IsGroupRole = Qt::UserRole + 20, // true on session rows
        ConnectionCountRole, // connections in the group (session rows)
    };

    struct Group
    {
        QString sessionId; // empty: the group of connections that are not logged in
        QString user;
        qint64 expiresAtMs = 0;
        qint64 connectedAtMs = 0; // the oldest connection's
        qint64 lastActivityMs = 0; // the newest activity of any connection
        bool warned = false;
        quint64 msgsIn = 0;
        quint64 msgsOut = 0;
        quint64 bytesIn = 0;
        quint64 bytesOut = 0;
        std::vector<ConnectionId> connections;
        bool loggedIn() const { return !sessionId.isEmpty(); }
    };

    explicit ConnectionGroupModel(QObject *parent = nullptr);

    void setSourceModel(ConnectionFilterProxy *proxy);
    // While disabled the model is empty and ignores the table's changes.
    void setEnabled(bool on);
    bool isEnabled() const { return m_enabled; }
    // Rebuilds now instead of after the current batch.
    void refresh();

    const Group *groupAt(const QModelIndex &index) const; // session rows only
    ConnectionId connectionAt(const QModelIndex &index) const; // connection rows only, else 0
    QModelIndex indexOfSession(const QString &sessionId) const;
    QModelIndex indexOfConnection(ConnectionId id) const;

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

private:
    static constexpr int LargeTable = 10000; // rows; above, rebuilds are spaced out

    void scheduleRebuild();
    QVariant groupData(const Group &g, int column, int role) const;

    ConnectionFilterProxy *m_proxy = nullptr;
    ConnectionTableModel *m_table = nullptr;
    std::vector<Group> m_groups;
    QHash<QString, int> m_groupBySession;
    QTimer m_rebuild;
    bool m_enabled = false;
};
