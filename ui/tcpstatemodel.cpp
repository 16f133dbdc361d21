// SPDX-License-Identifier: MIT
#include "ui/tcpstatemodel.h"

TcpStateSummary TcpStateSummary::fromSnapshot(const TcpSnapshot &snapshot)
{
    TcpStateSummary s;
    switch (snapshot.source) {
    case TcpSnapshot::Source::Netlink:
        s.source = TcpStateModel::tr("the kernel, via netlink (sock_diag)");
        break;
    case TcpSnapshot::Source::Proc:
        s.source = TcpStateModel::tr("the kernel, via /proc/net/tcp");
        break;
    case TcpSnapshot::Source::Unavailable:
        s.source = snapshot.error.isEmpty()
                       ? TcpStateModel::tr("unavailable: the kernel's TCP data could not be read")
                       : TcpStateModel::tr("unavailable: %1").arg(snapshot.error);
        break;
    }
    for (int state = TcpSnapshot::FirstState; state <= TcpSnapshot::LastState; ++state) {
        Row row;
        row.state = TcpSnapshot::stateName(state);
        row.label = row.state;
        row.count = snapshot.count(state);
        s.rows.append(row);
    }
    return s;
}

int TcpStateSummary::total() const
{
    int n = 0;
    for (const Row &r : rows)
        n += qMax(0, r.count);
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
        if (Column(index.column()) == Column::State)
            return r.label;
        return r.count < 0 ? QStringLiteral("-") : QString::number(r.count);
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
        return tr("Sockets");
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
    return -1;
}
