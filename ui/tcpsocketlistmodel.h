// SPDX-License-Identifier: MIT
#pragma once

#include "server/tcpsocketinfo.h"

#include <QtCore/QAbstractTableModel>
#include <QtCore/QList>

// The kernel's sockets on Warden's port that belong to no session: not LISTEN and matched to no
// connection (connectionId 0), e.g. TIME_WAIT leftovers, CLOSE_WAIT leaks, half-open handshakes.
// Replaced wholesale by each TCP snapshot. GUI thread.
class TcpSocketListModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TcpSocketListModel)

public:
    enum class Column { State, Peer, SendQueue, RecvQueue, Count };
    enum Role { StateRole = Qt::UserRole + 1 };

    explicit TcpSocketListModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    void setSnapshot(const TcpSnapshot &snapshot);
    const TcpSocketInfo &at(int row) const { return m_sockets.at(row); }
    // The sockets of a snapshot that the list shows.
    static QList<TcpSocketInfo> withoutSession(const TcpSnapshot &snapshot);

private:
    QList<TcpSocketInfo> m_sockets;
};
