// SPDX-License-Identifier: MIT
#include "ui/tcpsocketlistmodel.h"

TcpSocketListModel::TcpSocketListModel(QObject *parent)
    : QAbstractTableModel(parent)
{ }

int TcpSocketListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_sockets.size());
}

int TcpSocketListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(Column::Count);
}

QVariant TcpSocketListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const TcpSocketInfo &s = m_sockets.at(index.row());
    const auto column = Column(index.column());
    switch (role) {
    case StateRole:
        return s.state;
    case Qt::DisplayRole:
        switch (column) {
        case Column::State:
            return TcpSnapshot::stateName(s.state);
        case Column::Peer:
            return s.peerEndpoint();
        case Column::SendQueue:
            return QString::number(s.sendQueue);
        case Column::RecvQueue:
            return QString::number(s.recvQueue);
        case Column::Count:
            break;
        }
        return {};
    case Qt::TextAlignmentRole:
        if (column == Column::SendQueue || column == Column::RecvQueue)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    default:
        return {};
    }
}

QVariant TcpSocketListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (Column(section)) {
    case Column::State:
        return tr("State");
    case Column::Peer:
        return tr("Peer");
    case Column::SendQueue:
        return tr("Send-Q");
    case Column::RecvQueue:
        return tr("Recv-Q");
    case Column::Count:
        break;
    }
    return {};
}

QList<TcpSocketInfo> TcpSocketListModel::withoutSession(const TcpSnapshot &snapshot)
{
    QList<TcpSocketInfo> out;
    for (const TcpSocketInfo &s : snapshot.sockets) {
        if (s.connectionId == 0 && s.state != TcpSocketInfo::Listen)
            out.append(s);
    }
    return out;
}

void TcpSocketListModel::setSnapshot(const TcpSnapshot &snapshot)
{
    QList<TcpSocketInfo> sockets = withoutSession(snapshot);
    if (sockets.isEmpty() && m_sockets.isEmpty())
        return;
    // A handful of rows that all may change: a reset is simpler than a diff and costs nothing.
    beginResetModel();
    m_sockets = std::move(sockets);
    endResetModel();
}
