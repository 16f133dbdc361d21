// SPDX-License-Identifier: MIT
#include "ui/tcpstatemodel.h"

#include <QtNetwork/QAbstractSocket>

TcpStateSummary TcpStateSummary::fromSocketStates(const QMap<int, int> &countsByState)
{
    TcpStateSummary s;
    s.source = TcpStateModel::tr("Warden's own sockets (Qt socket state)");
    for (auto it = countsByState.cbegin(); it != countsByState.cend(); ++it) {
        Row row;
        row.count = it.value();
        switch (QAbstractSocket::SocketState(it.key())) {
        case QAbstractSocket::UnconnectedState:
            row.state = QStringLiteral("unconnected");
            row.label = TcpStateModel::tr("Unconnected");
            break;
        case QAbstractSocket::HostLookupState:
            row.state = QStringLiteral("host_lookup");
            row.label = TcpStateModel::tr("Host lookup");
            break;
        case QAbstractSocket::ConnectingState:
            row.state = QStringLiteral("connecting");
            row.label = TcpStateModel::tr("Connecting");
            break;
        case QAbstractSocket::ConnectedState:
            row.state = QStringLiteral("connected");
            row.label = TcpStateModel::tr("Connected");
            break;
        case QAbstractSocket::BoundState:
            row.state = QStringLiteral("bound");
            row.label = TcpStateModel::tr("Bound");
            break;
        case QAbstractSocket::ListeningState:
            row.state = QStringLiteral("listening");
            row.label = TcpStateModel::tr("Listening");
            break;
        case QAbstractSocket::ClosingState:
            row.state = QStringLiteral("closing");
            row.label = TcpStateModel::tr("Closing");
            break;
        }
        s.rows.append(row);
    }
    return s;
}

int TcpStateSummary::total() const
{
    int n = 0;
    for (const Row &r : rows)
        n += r.count;
    return n;
}

TcpStateModel::TcpStateModel(QObject *parent)
    : QAbstractTableModel(parent)
{ }

int TcpStateModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_summary.rows.size());
}

int TcpStateModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(Column::ColumnCount);
}

QVariant TcpStateModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const TcpStateSummary::Row &r = m_summary.rows.at(index.row());
    switch (role) {
    case StateNameRole:
        return r.state;
    case CountRole:
        return r.count;
    case Qt::DisplayRole:
        return Column(index.column()) == Column::State ? r.label : QString::number(r.count);
    case Qt::TextAlignmentRole:
        if (Column(index.column()) == Column::Count)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    default:
        return {};
    }
}

QVariant TcpStateModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (Column(section)) {
    case Column::State:
        return tr("State");
    case Column::Count:
        return tr("Connections");
    case Column::ColumnCount:
        break;
    }
    return {};
}

void TcpStateModel::setSummary(const TcpStateSummary &summary)
{
    const bool sourceChanged = summary.source != m_summary.source;
    bool sameStates = summary.rows.size() == m_summary.rows.size();
    for (qsizetype i = 0; sameStates && i < summary.rows.size(); ++i)
        sameStates = summary.rows.at(i).state == m_summary.rows.at(i).state;
    if (sameStates) {
        // Only counts moved: repaint in place so the selection and scroll position stay.
        m_summary = summary;
        if (!m_summary.rows.isEmpty())
            Q_EMIT dataChanged(index(0, 0), index(int(m_summary.rows.size()) - 1, 1));
    } else {
        beginResetModel();
        m_summary = summary;
        endResetModel();
    }
    if (sourceChanged)
        Q_EMIT this->sourceChanged(m_summary.source);
}

int TcpStateModel::countOf(const QString &state) const
{
    for (const TcpStateSummary::Row &r : m_summary.rows) {
        if (r.state == state)
            return r.count;
    }
    return 0;
}
