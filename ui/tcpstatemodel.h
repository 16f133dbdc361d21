// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QAbstractTableModel>
#include <QtCore/QList>
#include <QtCore/QMap>
#include <QtCore/QString>

// What the TCP panel shows: how many connections are in each TCP state, and where the numbers
// come from. Today the source is Warden's own sockets (QAbstractSocket::SocketState); the kernel
// monitor (ss/netlink: ESTABLISHED, CLOSE_WAIT, ...) can fill the same value later.
struct TcpStateSummary
{
    struct Row
    {
        QString state; // machine name: "connected", "closing" or a kernel name "ESTABLISHED"
        QString label; // what the operator reads (translated)
        int count = 0;
    };
    QString source; // translated description of the data source
    QList<Row> rows; // display order

    static TcpStateSummary fromSocketStates(const QMap<int, int> &countsByState);
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
    int countOf(const QString &state) const;

Q_SIGNALS:
    void sourceChanged(const QString &source);

private:
    TcpStateSummary m_summary;
};
