// SPDX-License-Identifier: MIT
#pragma once

#include "server/connectioninfo.h"

#include <QtCore/QTimer>
#include <QtWidgets/QMainWindow>

class ConnectionTableModel;
class EventLogModel;
class QAction;
class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QTableView;
class ServerHost;

// The operator's window: live connections with their countdowns, the event log, and the actions.
// Talks to the server only through ServerHost (queued calls, batched values). GUI thread.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    explicit MainWindow(ServerHost *host, QWidget *parent = nullptr);
    ~MainWindow() override;

    QTableView *connectionsView() const { return m_connectionsView; }
    QTableView *eventsView() const { return m_eventsView; }
    ConnectionTableModel *connectionsModel() const { return m_connections; }
    EventLogModel *eventsModel() const { return m_events; }
    QAction *disconnectAction() const { return m_disconnect; }
    QAction *forceLogoutAction() const { return m_forceLogout; }

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createActions();
    void onStats(const ServerStats &stats);
    ConnectionId selectedConnection() const;
    QString selectedSession() const;
    void disconnectSelected();
    void forceLogoutSelected();
    void updateActions();
    QString operatorName() const;

    ServerHost *m_host;
    ConnectionTableModel *m_connections;
    QSortFilterProxyModel *m_connectionsProxy;
    EventLogModel *m_events;
    QTableView *m_connectionsView;
    QTableView *m_eventsView;
    QLineEdit *m_filter;
    QAction *m_disconnect = nullptr;
    QAction *m_forceLogout = nullptr;
    QLabel *m_statusListen;
    QLabel *m_statusCounts;
    QTimer m_tick;
    bool m_closing = false;
};
