// SPDX-License-Identifier: MIT
#pragma once

#include "server/tcpsocketinfo.h"

#include <QtCore/QAbstractTableModel>
#include <QtCore/QList>
#include <QtCore/QString>

// What the TCP panel shows: how many of the kernel's sockets on Warden's port are in each TCP
// state, and where the numbers come from (netlink, /proc, or nothing).
struct TcpStateSummary
{
    struct Row
    {
        QString state; // the kernel's name: "ESTABLISHED", "CLOSE_WAIT", ...
        QString label; // what the operator reads (the kernel's name too: it is what ss shows)
        int count = -1; // -1 = unknown
    };
    QString source; // translated description of the data source
    QList<Row> rows; // display order

    // All eleven states in the kernel's order, counts unknown when the snapshot is unavailable.
    static TcpStateSummary fromSnapshot(const TcpSnapshot &snapshot);
    // Sum of the known counts.
    int total() const;
};

// A two-column table (state, count) over a TcpStateSummary. GUI thread.
class TcpStateModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TcpStateModel)

public:
    enum class Column { State, Count, ColumnCount };
    enum Role { StateNameRole = Qt::UserRole + 1, CountRole };

    explicit TcpStateModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    void setSummary(const TcpStateSummary &summary);
    const TcpStateSummary &summary() const { return m_summary; }
    // The count of a state, -1 when unknown or not shown.
    int countOf(const QString &state) const;

Q_SIGNALS:
    void sourceChanged(const QString &source);

private:
    TcpStateSummary m_summary;
};
