// SPDX-License-Identifier: MIT
#pragma once

#include "server/connectioninfo.h"
#include "server/operatorresult.h"
#include "server/sessionstore.h"

#include <QtCore/QElapsedTimer>
#include <QtCore/QHash>
#include <QtCore/QPointer>
#include <QtCore/QSet>
#include <QtCore/QTimer>
#include <QtWidgets/QDialog>
#include <QtWidgets/QMainWindow>

#include <functional>

class ConnectionFilterProxy;
class ConnectionGroupModel;
class ConnectionTableModel;
class EventFilterProxy;
class EventLogModel;
class QAction;
class QCheckBox;
class QComboBox;

class QLabel;
class QLineEdit;
class QStackedWidget;
class QSystemTrayIcon;
class QTableView;
class QTreeView;
class ServerHost;
class TcpHistoryChart;
class TcpSocketListModel;
class TcpStateModel;
struct TcpSnapshot;

// The operator's window: live connections with their countdowns, the event log, the TCP state
// panel, and the actions. Talks to the server only through ServerHost (queued calls with result
// callbacks, batched values). GUI thread.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    explicit MainWindow(ServerHost *host, QWidget *parent = nullptr);
    ~MainWindow() override;

    // Who is written into audit entries: the OS user running the console.
    static QString operatorName();

    QTableView *connectionsView() const { return m_connectionsView; }
    QTableView *eventsView() const { return m_eventsView; }
    QTreeView *groupView() const { return m_groupView; }
    ConnectionGroupModel *groupModel() const { return m_groups; }
    ConnectionTableModel *connectionsModel() const { return m_connections; }
    ConnectionFilterProxy *connectionsProxy() const { return m_connectionsProxy; }
    EventLogModel *eventsModel() const { return m_events; }
    EventFilterProxy *eventsProxy() const { return m_eventsProxy; }
    TcpStateModel *tcpStateModel() const { return m_tcpStates; }
    TcpSocketListModel *tcpSocketsModel() const { return m_tcpSockets; }
    TcpHistoryChart *tcpChart() const { return m_tcpChart; }
    QLabel *tcpSourceLabel() const { return m_tcpSource; }
    QLineEdit *connectionFilter() const { return m_filter; }
    QCheckBox *loggedInOnlyBox() const { return m_loggedInOnly; }
    QCheckBox *expiringOnlyBox() const { return m_expiringOnly; }
    QComboBox *userFilter() const { return m_userFilter; }
    // [cluster]: "This node" / "Whole cluster" (hidden when Warden runs alone).
    QComboBox *clusterScope() const { return m_scope; }
    QAction *clusterScopeAction() const { return m_scopeAction; }
    QComboBox *eventTypeFilter() const { return m_eventType; }
    QLineEdit *eventTextFilter() const { return m_eventText; }

    QAction *disconnectAction() const { return m_disconnect; }
    QAction *forceLogoutAction() const { return m_forceLogout; }
    QAction *logoutUserAction() const { return m_logoutUser; }
    QAction *extendAction() const { return m_extend; }
    QAction *groupBySessionAction() const { return m_groupBySession; }
    QAction *listeningAction() const { return m_listening; }
    QAction *reloadAction() const { return m_reload; }
    QAction *settingsAction() const { return m_settings; }
    QAction *exportEventsAction() const { return m_exportEvents; }
    QAction *clearEventsAction() const { return m_clearEvents; }
    QAction *loadOlderEventsAction() const { return m_loadOlder; }
    QAction *restartAction() const { return m_restart; }
    QLabel *storeLabel() const { return m_statusStore; }
    QLabel *clusterLabel() const { return m_statusCluster; }
    QLabel *countsLabel() const { return m_statusCounts; }
    QAction *quitAction() const { return m_quit; }

    // The confirmation or settings dialog currently open, if any.
    QDialog *openDialog() const { return m_dialog; }
    // Writes the events the log currently shows: CSV for *.csv, else one JSON object per line.
    bool exportEvents(const QString &path, QString *error = nullptr);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createActions();
    void createMenus();
    QWidget *createEventPanel();
    void createTcpPanel();
    void createTray();
    void onStats(const ServerStats &stats);
    void onEvents(const ServerEventList &events);
    void onReloaded(bool ok, const QStringList &changed, const QString &error);
    void onReloadApplied(const QStringList &appliedLive, const QStringList &restartRequired);
    void refreshStoreInfo();
    void updateCounts();
    void updateUserFilter();
    void loadOlderEvents();
    void restartServer();
    void onEventTypeChosen(int index);
    // [cluster] "Whole cluster": other nodes' rows join the table, refreshed every 2 s.
    void setClusterScope(int index);
    void refreshCluster();
    void applyRemoteRows(const QList<ConnectionInfo> &rows);
    void disconnectOne(ConnectionId key, std::function<void(const OperatorResult &)> done);
    // What the connection actions apply to: the selected connection, or in the grouped view
    // possibly a whole session (all its connections).
    struct Target
    {
        QList<ConnectionId> connections;
        QString sessionId; // empty when not logged in
        QString user;
        bool group = false;
        QString node; // [cluster] a single row of another node; empty for this node's
    };
    bool selectedTarget(Target *target) const;
    bool selectedIn(bool grouped, Target *target) const; // in the grouped or the table view
    void setGrouped(bool grouped);
    void saveGroupViewState();
    void restoreGroupViewState();
    void disconnectSelected();
    void forceLogoutSelected();
    void logoutUserSelected();
    void extendSelected();
    void toggleListening(bool listen);
    void showSettings();
    void exportEventsInteractive();
    void updateActions();
    void onTcpSnapshot(const TcpSnapshot &snapshot);
    void showResult(const QString &what, const OperatorResult &r);
    void showDialog(QDialog *dialog);

    ServerHost *m_host;
    ConnectionTableModel *m_connections;
    ConnectionFilterProxy *m_connectionsProxy;
    EventLogModel *m_events;
    EventFilterProxy *m_eventsProxy;
    TcpStateModel *m_tcpStates;
    TcpSocketListModel *m_tcpSockets;
    TcpHistoryChart *m_tcpChart = nullptr;
    QTableView *m_connectionsView;
    QTableView *m_eventsView;
    ConnectionGroupModel *m_groups;
    QTreeView *m_groupView;
    QStackedWidget *m_connectionsStack;
    // Across a rebuild of the grouped view: which sessions were open and what was selected.
    QSet<QString> m_expandedSessions;
    int m_groupScroll = 0;
    QString m_selectedSession;
    bool m_selectedIsGroup = false;
    ConnectionId m_selectedConnection = 0;
    QLineEdit *m_filter;
    QCheckBox *m_loggedInOnly;
    QCheckBox *m_expiringOnly;
    QComboBox *m_userFilter;
    QComboBox *m_scope;
    QAction *m_scopeAction = nullptr;
    QTimer m_clusterRefresh;
    QHash<QString, int> m_nodeIndex; // node id -> its part of a remote row's key
    QSet<ConnectionId> m_remoteKeys; // the rows of other nodes now in the table
    bool m_inCluster = false;
    QComboBox *m_eventType = nullptr;
    QLineEdit *m_eventText = nullptr;
    QLabel *m_tcpSource = nullptr;
    QLabel *m_tcpOrphansTitle = nullptr;
    QAction *m_disconnect = nullptr;
    QAction *m_forceLogout = nullptr;
    QAction *m_logoutUser = nullptr;
    QAction *m_extend = nullptr;
    QAction *m_groupBySession = nullptr;
    QAction *m_listening = nullptr;
    QAction *m_reload = nullptr;
    QAction *m_settings = nullptr;
    QAction *m_exportEvents = nullptr;
    QAction *m_clearEvents = nullptr;
    QAction *m_loadOlder = nullptr;
    QAction *m_restart = nullptr;
    QAction *m_quit = nullptr;
    QAction *m_showTcp = nullptr;
    QLabel *m_statusListen;
    QLabel *m_statusCounts;
    QLabel *m_statusStore;
    QLabel *m_statusCluster; // [cluster] only: Redis reachable or not, and the live nodes
    ServerStats m_stats;
    StoreInfo m_store;
    QElapsedTimer m_rateClock; // events per second: eventsTotal between two ticks
    quint64 m_rateEvents = 0;
    double m_eventsPerSecond = 0;
    QTimer m_storeRefresh;
    QSystemTrayIcon *m_tray = nullptr;
    QPointer<QDialog> m_dialog;
    QTimer m_tick;
    bool m_closing = false;
};
