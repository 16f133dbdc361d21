// SPDX-License-Identifier: MIT
#include "ui/mainwindow.h"

#include "server/serverhost.h"
#include "ui/cachedtextdelegate.h"
#include "ui/confirmdialog.h"
#include "ui/connectionfilterproxy.h"
#include "ui/connectiongroupmodel.h"
#include "ui/connectiontablemodel.h"
#include "ui/connectiontreeview.h"
#include "ui/eventfilterproxy.h"
#include "ui/eventlogmodel.h"
#include "ui/settingsdialog.h"
#include "ui/tcphistorychart.h"
#include "ui/tcpsocketlistmodel.h"
#include "ui/tcpstatemodel.h"

#include <QtCore/QDateTime>
#include <QtCore/QJsonArray>
#include <QtCore/QLocale>
#include <QtCore/QSaveFile>
#include <QtGui/QAction>
#include <QtGui/QCloseEvent>
#include <QtGui/QIcon>
#include <QtWidgets/QApplication>
#include <QtWidgets/QCheckBox>
#include <QtWidgets/QComboBox>
#include <QtWidgets/QDockWidget>
#include <QtWidgets/QFileDialog>
#include <QtWidgets/QHBoxLayout>
#include <QtWidgets/QHeaderView>
#include <QtWidgets/QLabel>
#include <QtWidgets/QLineEdit>
#include <QtWidgets/QMenu>
#include <QtWidgets/QMenuBar>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QScrollBar>
#include <QtWidgets/QSplitter>
#include <QtWidgets/QStackedWidget>
#include <QtWidgets/QStatusBar>
#include <QtWidgets/QSystemTrayIcon>
#include <QtWidgets/QTableView>
#include <QtWidgets/QToolBar>
#include <QtWidgets/QTreeView>
#include <QtWidgets/QVBoxLayout>

#include <memory>

#include <pwd.h>
#include <unistd.h>

namespace {
constexpr int StatusMessageMs = 8000;

QVariant typeList(std::initializer_list<ServerEvent::Type> types)
{
    QVariantList list;
    for (ServerEvent::Type t : types)
        list.append(int(t));
    return list;
}
} // namespace

MainWindow::MainWindow(ServerHost *host, QWidget *parent)
    : QMainWindow(parent)
    , m_host(host)
    , m_connections(new ConnectionTableModel(this))
    , m_connectionsProxy(new ConnectionFilterProxy(this))
    , m_events(new EventLogModel(20000, this))
    , m_eventsProxy(new EventFilterProxy(this))
    , m_tcpStates(new TcpStateModel(this))
    , m_tcpSockets(new TcpSocketListModel(this))
    , m_connectionsView(new QTableView)
    , m_eventsView(new QTableView)
    , m_groups(new ConnectionGroupModel(this))
    , m_groupView(new ConnectionTreeView)
    , m_connectionsStack(new QStackedWidget)
    , m_filter(new QLineEdit)
    , m_loggedInOnly(new QCheckBox(tr("Logged in only")))
    , m_expiringOnly(new QCheckBox(tr("Expiring only")))
    , m_userFilter(new QComboBox)
    , m_scope(new QComboBox)
    , m_statusListen(new QLabel)
    , m_statusCounts(new QLabel)
    , m_statusStore(new QLabel)
    , m_statusCluster(new QLabel)
{
    setWindowTitle(tr("Warden"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/warden.svg")));
    resize(1300, 800);

    m_connectionsProxy->setConnectionModel(m_connections);
    m_connectionsView->setObjectName(QStringLiteral("connections"));
    m_connectionsView->setModel(m_connectionsProxy);
    m_connectionsView->setItemDelegate(new CachedTextDelegate(m_connectionsView));
    m_connectionsView->setSortingEnabled(true);
    m_connectionsView->sortByColumn(int(ConnectionTableModel::Column::Id), Qt::AscendingOrder);
    m_connectionsView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_connectionsView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_connectionsView->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_connectionsView->setAlternatingRowColors(true);
    m_connectionsView->setWordWrap(false);
    m_connectionsView->verticalHeader()->hide();
    m_connectionsView->verticalHeader()->setDefaultSectionSize(
        m_connectionsView->fontMetrics().height() + 8);
    m_connectionsView->horizontalHeader()->setStretchLastSection(true);
    using C = ConnectionTableModel::Column;
    for (const auto &[column, width] :
         std::initializer_list<std::pair<C, int>>{{C::Id, 45},
                                                  {C::User, 100},
                                                  {C::Session, 130},
                                                  {C::Peer, 130},
                                                  {C::Endpoint, 65},
                                                  {C::ConnectedFor, 95},
                                                  {C::LastActivity, 90},
                                                  {C::ExpiresIn, 85},
                                                  {C::TcpState, 100},
                                                  {C::Rtt, 60},
                                                  {C::MsgsIn, 65},
                                                  {C::MsgsOut, 70},
                                                  {C::BytesIn, 70}})
        m_connectionsView->setColumnWidth(int(column), width);

    // The grouped view: sessions with their connections. Its header sorts through the table's,
    // so both show the same order and a single sort serves both.
    m_groups->setSourceModel(m_connectionsProxy);
    m_groupView->setObjectName(QStringLiteral("connectionGroups"));
    m_groupView->setModel(m_groups);
    m_groupView->setItemDelegate(new CachedTextDelegate(m_groupView));
    m_groupView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_groupView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_groupView->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_groupView->setAlternatingRowColors(true);
    m_groupView->setUniformRowHeights(true);
    m_groupView->setAllColumnsShowFocus(true);
    m_groupView->setWordWrap(false);
    m_groupView->header()->setStretchLastSection(true);
    m_groupView->header()->setSectionsClickable(true);
    m_groupView->header()->setSortIndicatorShown(true);
    for (int column = 0; column < int(C::Count); ++column)
        m_groupView->setColumnWidth(column, m_connectionsView->columnWidth(column));
    m_groupView->setColumnWidth(int(C::Id), 150);
    m_groupView->header()->setSortIndicator(int(C::Id), Qt::AscendingOrder);
    connect(m_groupView->header(), &QHeaderView::sortIndicatorChanged, m_connectionsView,
            &QTableView::sortByColumn);
    connect(m_connectionsView->horizontalHeader(), &QHeaderView::sortIndicatorChanged, m_groupView,
            [this](int column, Qt::SortOrder order) {
                const QSignalBlocker block(m_groupView->header());
                m_groupView->header()->setSortIndicator(column, order);
            });
    // Which sessions the operator opened, by id: a rebuild of the groups keeps them open.
    connect(m_groupView, &QTreeView::expanded, this, [this](const QModelIndex &i) {
        if (const ConnectionGroupModel::Group *g = m_groups->groupAt(i))
            m_expandedSessions.insert(g->sessionId);
    });
    connect(m_groupView, &QTreeView::collapsed, this, [this](const QModelIndex &i) {
        if (const ConnectionGroupModel::Group *g = m_groups->groupAt(i))
            m_expandedSessions.remove(g->sessionId);
    });
    // A batch moves the groups with one layout change: the view keeps expanded rows and the
    // selection through persistent indexes; a session that vanished (filtered out, or all its
    // connections gone) and came back opens again.
    connect(m_groups, &QAbstractItemModel::layoutChanged, this, [this] {
        const QSet<QString> expanded = m_expandedSessions; // setExpanded() inserts into it
        for (const QString &sid : expanded) {
            const QModelIndex i = m_groups->indexOfSession(sid);
            if (i.isValid() && !m_groupView->isExpanded(i))
                m_groupView->setExpanded(i, true);
        }
    });
    connect(m_groups, &QAbstractItemModel::modelAboutToBeReset, this,
            &MainWindow::saveGroupViewState);
    connect(m_groups, &QAbstractItemModel::modelReset, this, &MainWindow::restoreGroupViewState);
    connect(m_groupView->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &MainWindow::updateActions);
    m_connectionsStack->addWidget(m_connectionsView);
    m_connectionsStack->addWidget(m_groupView);

    m_eventsProxy->setEventModel(m_events);
    m_eventsView->setObjectName(QStringLiteral("events"));
    m_eventsView->setModel(m_eventsProxy);
    m_eventsView->verticalHeader()->hide();
    m_eventsView->verticalHeader()->setDefaultSectionSize(m_eventsView->fontMetrics().height() + 6);
    m_eventsView->horizontalHeader()->setStretchLastSection(true);
    m_eventsView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_eventsView->setWordWrap(false);
    m_eventsView->setColumnWidth(int(EventLogModel::Column::Time), 100);
    m_eventsView->setColumnWidth(int(EventLogModel::Column::Type), 110);
    m_eventsView->setColumnWidth(int(EventLogModel::Column::Session), 150);

    createActions(); // before the panels: the event panel's Export button triggers an action
    createMenus();
    auto *splitter = new QSplitter(Qt::Vertical);
    splitter->addWidget(m_connectionsStack);
    splitter->addWidget(createEventPanel());
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    setCentralWidget(splitter);

    m_filter->setObjectName(QStringLiteral("connectionFilter"));
    m_filter->setPlaceholderText(tr("Filter by user, session, address or id"));
    m_filter->setClearButtonEnabled(true);
    m_filter->setMinimumWidth(260);
    connect(m_filter, &QLineEdit::textChanged, m_connectionsProxy, &ConnectionFilterProxy::setText);
    connect(m_loggedInOnly, &QCheckBox::toggled, m_connectionsProxy,
            &ConnectionFilterProxy::setLoggedInOnly);
    connect(m_expiringOnly, &QCheckBox::toggled, m_connectionsProxy,
            &ConnectionFilterProxy::setExpiringOnly);

    m_scope->setObjectName(QStringLiteral("clusterScope"));
    m_scope->addItem(tr("This node"));
    m_scope->addItem(tr("Whole cluster"));
    m_scope->setToolTip(tr("Show this node's connections, or every node's (read from Redis every "
                           "2 seconds; rows of other nodes can be disconnected and logged out)"));
    connect(m_scope, &QComboBox::currentIndexChanged, this, &MainWindow::setClusterScope);
    m_clusterRefresh.setInterval(2000);
    connect(&m_clusterRefresh, &QTimer::timeout, this, &MainWindow::refreshCluster);
    m_connectionsView->setColumnHidden(int(ConnectionTableModel::Column::Node), true);
    m_groupView->setColumnHidden(int(ConnectionTableModel::Column::Node), true);
    // Connection ids are per node: in the cluster view the node goes right after the id, so the
    // pair that names a connection is read together without scrolling.
    for (QHeaderView *header : {m_connectionsView->horizontalHeader(), m_groupView->header()})
        header->moveSection(header->visualIndex(int(ConnectionTableModel::Column::Node)), 1);

    m_userFilter->setObjectName(QStringLiteral("userFilter"));
    m_userFilter->setToolTip(tr("Show only the connections of one user"));
    m_userFilter->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_userFilter->addItem(tr("All users"), QString());
    connect(m_userFilter, &QComboBox::currentIndexChanged, m_connectionsProxy, [this](int index) {
        m_connectionsProxy->setUser(m_userFilter->itemData(index).toString());
    });
    connect(m_connections, &ConnectionTableModel::usersChanged, this,
            &MainWindow::updateUserFilter);

    createTcpPanel();
    createTray();
    statusBar()->addWidget(m_statusListen);
    statusBar()->addPermanentWidget(m_statusCluster);
    statusBar()->addPermanentWidget(m_statusStore);
    m_statusCluster->setObjectName(QStringLiteral("clusterStatus"));
    m_statusCluster->hide(); // shown when [cluster] redis is set
    statusBar()->addPermanentWidget(m_statusCounts);
    m_statusStore->setObjectName(QStringLiteral("storeStatus"));

    connect(m_host, &ServerHost::connectionsChanged, m_connections,
            &ConnectionTableModel::applyDelta);
    connect(m_host, &ServerHost::eventsReady, this, &MainWindow::onEvents);
    connect(m_host, &ServerHost::statsChanged, this, &MainWindow::onStats);
    connect(m_host, &ServerHost::reloaded, this, &MainWindow::onReloaded);
    connect(m_host, &ServerHost::reloadApplied, this, &MainWindow::onReloadApplied);
    connect(m_host, &ServerHost::tcpSnapshotReady, this, &MainWindow::onTcpSnapshot);
    connect(m_connectionsView->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &MainWindow::updateActions);
    // A selected row that changes (logs in, leaves) changes which actions apply.
    connect(m_connectionsProxy, &QAbstractItemModel::dataChanged, this, &MainWindow::updateActions);
    connect(m_connectionsProxy, &QAbstractItemModel::rowsRemoved, this, &MainWindow::updateActions);

    m_tick.setInterval(1000);
    // Countdowns: a repaint of the visible rows re-reads the clock; no model signal needed.
    connect(&m_tick, &QTimer::timeout, m_connectionsView->viewport(),
            qOverload<>(&QWidget::update));
    connect(&m_tick, &QTimer::timeout, m_groupView->viewport(), qOverload<>(&QWidget::update));
    connect(&m_tick, &QTimer::timeout, this, &MainWindow::updateCounts);
    m_tick.start();
    // The store's size changes slowly; a query every few seconds is plenty.
    m_storeRefresh.setInterval(5000);
    connect(&m_storeRefresh, &QTimer::timeout, this, &MainWindow::refreshStoreInfo);
    m_storeRefresh.start();
    refreshStoreInfo();
    m_host->setSnapshotsEnabled(true);
    // The TCP panel and the table's TCP columns need every socket: full polls while we exist.
    m_host->setTcpObserved(true);
    // What happened before this window existed (e.g. `listening`) comes from the server's ring.
    m_host->call<ServerEventList>(
        this, [](ServerWorker &w) { return w.eventRing().since(0, w.eventRing().capacity()); },
        [this](const ServerEventList &backlog) {
            m_events->insertBacklog(backlog);
            m_eventsView->scrollToBottom();
        });
    updateActions();
}

MainWindow::~MainWindow()
{
    // Back to the cheap polls that only look for CLOSE_WAIT; the host outlives its window.
    m_host->setTcpObserved(false);
    // ~QWidget hides the docks after this object's MainWindow part is gone: their signals must
    // not reach lambdas that use it (UBSan caught visibilityChanged doing so).
    const QList<QDockWidget *> docks = findChildren<QDockWidget *>();
    for (QDockWidget *d : docks)
        d->disconnect();
}

QString MainWindow::operatorName()
{
    QString user = qEnvironmentVariable("USER", qEnvironmentVariable("LOGNAME"));
    if (user.isEmpty()) {
        if (const passwd *pw = getpwuid(getuid()))
            user = QString::fromLocal8Bit(pw->pw_name);
    }
    return (user.isEmpty() ? QStringLiteral("unknown") : user) + QStringLiteral("@gui");
}

void MainWindow::createActions()
{
    m_disconnect = new QAction(QIcon::fromTheme(QStringLiteral("network-disconnect")),
                               tr("&Disconnect"), this);
    m_disconnect->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_D));
    m_disconnect->setStatusTip(
        tr("Close the selected connection (4002); the client may reconnect, the session lives on"));
    connect(m_disconnect, &QAction::triggered, this, &MainWindow::disconnectSelected);

    m_forceLogout = new QAction(QIcon::fromTheme(QStringLiteral("system-log-out")),
                                tr("&Force logout"), this);
    m_forceLogout->setShortcut(QKeySequence::Delete);
    m_forceLogout->setStatusTip(
        tr("End the selected session on every tab (401 kicked, close 4502); its token is refused"));
    connect(m_forceLogout, &QAction::triggered, this, &MainWindow::forceLogoutSelected);

    m_logoutUser = new QAction(tr("Log out &user everywhere"), this);
    m_logoutUser->setShortcut(QKeySequence(Qt::SHIFT | Qt::Key_Delete));
    m_logoutUser->setStatusTip(
        tr("End every session of the selected user (close 4502), after showing what would close"));
    connect(m_logoutUser, &QAction::triggered, this, &MainWindow::logoutUserSelected);

    m_extend = new QAction(tr("&Extend session"), this);
    m_extend->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    m_extend->setStatusTip(tr("Give the selected session one more idle timeout; its tabs get "
                              "\"extended\" and drop a warning"));
    connect(m_extend, &QAction::triggered, this, &MainWindow::extendSelected);

    m_groupBySession = new QAction(tr("&Group by session"), this);
    m_groupBySession->setCheckable(true);
    m_groupBySession->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_G));
    m_groupBySession->setStatusTip(
        tr("Show the connections grouped under their session, with its number of connections "
           "and expiry; actions on a session row apply to the whole session"));
    connect(m_groupBySession, &QAction::toggled, this, &MainWindow::setGrouped);

    m_listening = new QAction(tr("Accept new &connections"), this);
    m_listening->setCheckable(true);
    m_listening->setChecked(true);
    m_listening->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    m_listening->setStatusTip(
        tr("Stop or resume listening for new connections; live connections stay"));
    connect(m_listening, &QAction::triggered, this, &MainWindow::toggleListening);

    m_reload = new QAction(QIcon::fromTheme(QStringLiteral("view-refresh")),
                           tr("&Reload configuration"), this);
    m_reload->setShortcut(QKeySequence::Refresh);
    m_reload->setStatusTip(tr("Read the configuration file again and apply it without dropping "
                              "anyone; a bad file is refused"));
    connect(m_reload, &QAction::triggered, this,
            [this] { m_host->reloadFromSource(QStringLiteral("gui")); });

    m_settings = new QAction(QIcon::fromTheme(QStringLiteral("preferences-system")),
                             tr("&Settings..."), this);
    m_settings->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Comma));
    m_settings->setStatusTip(tr("Edit the listen address, timeouts, limits and secret"));
    connect(m_settings, &QAction::triggered, this, &MainWindow::showSettings);

    m_exportEvents = new QAction(QIcon::fromTheme(QStringLiteral("document-save-as")),
                                 tr("E&xport event log..."), this);
    m_exportEvents->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_S));
    m_exportEvents->setStatusTip(
        tr("Save the events the log shows (with its filters) as CSV or JSON lines"));
    connect(m_exportEvents, &QAction::triggered, this, &MainWindow::exportEventsInteractive);

    m_loadOlder = new QAction(tr("Load &older events"), this);
    m_loadOlder->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_O));
    m_loadOlder->setStatusTip(
        tr("Put older events from the server's store in front of the log (up to 20,000 rows)"));
    connect(m_loadOlder, &QAction::triggered, this, &MainWindow::loadOlderEvents);

    m_restart = new QAction(tr("Re&start server..."), this);
    m_restart->setStatusTip(tr("Stop and start the server on the same port: clients get 4000 "
                               "\"restarting\" and reconnect; sessions stay"));
    connect(m_restart, &QAction::triggered, this, &MainWindow::restartServer);

    m_clearEvents = new QAction(tr("C&lear event log"), this);
    m_clearEvents->setStatusTip(tr("Empty the event log view (the server keeps its own log)"));
    connect(m_clearEvents, &QAction::triggered, m_events, &EventLogModel::clear);

    m_quit = new QAction(QIcon::fromTheme(QStringLiteral("application-exit")), tr("&Quit"), this);
    m_quit->setShortcut(QKeySequence::Quit);
    m_quit->setStatusTip(tr("Stop the server gracefully (clients get 4001) and quit"));
    connect(m_quit, &QAction::triggered, this, &QWidget::close);

    auto *toolbar = addToolBar(tr("Actions"));
    toolbar->setObjectName(QStringLiteral("actions"));
    toolbar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    for (QAction *a : {m_disconnect, m_forceLogout, m_logoutUser, m_extend}) {
        toolbar->addAction(a);
        m_connectionsView->addAction(a);
        m_groupView->addAction(a);
    }
    toolbar->addSeparator();
    toolbar->addAction(m_groupBySession);
    toolbar->addWidget(m_filter);
    toolbar->addWidget(m_userFilter);
    toolbar->addWidget(m_loggedInOnly);
    toolbar->addWidget(m_expiringOnly);
    m_scopeAction = toolbar->addWidget(m_scope);
    m_scopeAction->setVisible(false); // shown when [cluster] redis is set
}

void MainWindow::createMenus()
{
    QMenu *server = menuBar()->addMenu(tr("&Server"));
    server->addAction(m_settings);
    server->addAction(m_reload);
    server->addAction(m_listening);
    server->addAction(m_restart);
    server->addSeparator();
    server->addAction(m_quit);

    QMenu *connection = menuBar()->addMenu(tr("&Connection"));
    for (QAction *a : {m_disconnect, m_forceLogout, m_logoutUser, m_extend})
        connection->addAction(a);

    QMenu *events = menuBar()->addMenu(tr("&Events"));
    events->addAction(m_loadOlder);
    events->addAction(m_exportEvents);
    events->addAction(m_clearEvents);

    m_showTcp = new QAction(tr("&TCP states"), this);
    m_showTcp->setCheckable(true);
    m_showTcp->setChecked(true);
    m_showTcp->setStatusTip(tr("Show or hide the panel of connections per TCP state"));
    QMenu *view = menuBar()->addMenu(tr("&View"));
    view->addAction(m_groupBySession);
    view->addAction(m_showTcp);
}

QWidget *MainWindow::createEventPanel()
{
    m_eventType = new QComboBox;
    m_eventType->setObjectName(QStringLiteral("eventType"));
    using T = ServerEvent::Type;
    m_eventType->addItem(tr("All events"), QVariantList());
    m_eventType->addItem(tr("Operator actions"), typeList({T::Audit, T::Kicked}));
    m_eventType->addItem(tr("Logins and logouts"),
                         typeList({T::Authenticated, T::AuthFailed, T::Expiring, T::Expired,
                                   T::LoggedOut, T::Kicked}));
    m_eventType->addItem(tr("Connections"), typeList({T::Connected, T::Disconnected, T::Rejected}));
    m_eventType->addItem(tr("Server"), typeList({T::Listening, T::Reload, T::ReloadFailed,
                                                 T::Stopping, T::Stopped, T::Error, T::Cluster}));
    m_eventType->insertSeparator(m_eventType->count());
    const QList<ServerEvent::Type> all = ServerEvent::allTypes();
    for (ServerEvent::Type t : all)
        m_eventType->addItem(ServerEvent::typeName(t), typeList({t}));
    connect(m_eventType, &QComboBox::currentIndexChanged, this, &MainWindow::onEventTypeChosen);

    m_eventText = new QLineEdit;
    m_eventText->setObjectName(QStringLiteral("eventFilter"));
    m_eventText->setPlaceholderText(tr("Filter events by user, session, connection or details"));
    m_eventText->setClearButtonEnabled(true);
    connect(m_eventText, &QLineEdit::textChanged, m_eventsProxy, &EventFilterProxy::setText);

    auto *olderButton = new QPushButton(tr("Load older"));
    olderButton->setObjectName(QStringLiteral("loadOlder"));
    olderButton->setToolTip(m_loadOlder->statusTip());
    connect(olderButton, &QPushButton::clicked, m_loadOlder, &QAction::trigger);

    auto *exportButton = new QPushButton(tr("Export..."));
    exportButton->setToolTip(m_exportEvents->statusTip());
    connect(exportButton, &QPushButton::clicked, m_exportEvents, &QAction::trigger);

    auto *title = new QLabel(tr("Event log"));
    QFont bold = title->font();
    bold.setBold(true);
    title->setFont(bold);

    auto *bar = new QHBoxLayout;
    bar->addWidget(title);
    bar->addWidget(m_eventType);
    bar->addWidget(m_eventText, 1);
    bar->addWidget(olderButton);
    bar->addWidget(exportButton);

    auto *panel = new QWidget;
    auto *layout = new QVBoxLayout(panel);
    layout->setContentsMargins(0, 4, 0, 0);
    layout->addLayout(bar);
    layout->addWidget(m_eventsView);
    return panel;
}

void MainWindow::createTcpPanel()
{
    auto *states = new QTableView;
    states->setObjectName(QStringLiteral("tcpStates"));
    states->setModel(m_tcpStates);
    states->verticalHeader()->hide();
    states->verticalHeader()->setDefaultSectionSize(states->fontMetrics().height() + 4);
    states->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    states->setSelectionMode(QAbstractItemView::NoSelection);
    states->setFocusPolicy(Qt::NoFocus);
    // All eleven states fit without a scroll bar.
    states->setMinimumHeight(states->horizontalHeader()->sizeHint().height()
                             + 11 * states->verticalHeader()->defaultSectionSize() + 4);

    m_tcpSource = new QLabel;
    m_tcpSource->setObjectName(QStringLiteral("tcpSource"));
    m_tcpSource->setWordWrap(true);
    m_tcpSource->setText(m_host->config().tcpPollIntervalMs > 0
                             ? tr("Source: waiting for the kernel's first report")
                             : tr("Source: none; the kernel TCP monitor is off "
                                  "([tcp] poll_interval_ms = 0)"));

    m_tcpChart = new TcpHistoryChart;

    m_tcpOrphansTitle = new QLabel(tr("Sockets without a session: %1").arg(0));
    m_tcpOrphansTitle->setToolTip(
        tr("Kernel sockets on Warden's port that no connection owns (not LISTEN): TIME_WAIT "
           "leftovers, CLOSE_WAIT leaks, handshakes in progress"));
    auto *orphans = new QTableView;
    orphans->setObjectName(QStringLiteral("tcpSockets"));
    orphans->setModel(m_tcpSockets);
    orphans->verticalHeader()->hide();
    orphans->verticalHeader()->setDefaultSectionSize(orphans->fontMetrics().height() + 4);
    orphans->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    orphans->horizontalHeader()->setSectionResizeMode(int(TcpSocketListModel::Column::Peer),
                                                      QHeaderView::Stretch);
    orphans->setSelectionBehavior(QAbstractItemView::SelectRows);
    orphans->setWordWrap(false);

    auto *panel = new QWidget;
    auto *layout = new QVBoxLayout(panel);
    layout->addWidget(states);
    layout->addWidget(m_tcpSource);
    layout->addWidget(m_tcpChart, 1);
    layout->addWidget(m_tcpOrphansTitle);
    layout->addWidget(orphans, 1);

    auto *dock = new QDockWidget(tr("TCP states"), this);
    dock->setObjectName(QStringLiteral("tcpDock"));
    dock->setFeatures(QDockWidget::DockWidgetClosable | QDockWidget::DockWidgetMovable);
    dock->setWidget(panel);
    addDockWidget(Qt::RightDockWidgetArea, dock);
    resizeDocks({dock}, {340}, Qt::Horizontal);
    connect(m_showTcp, &QAction::toggled, dock, &QDockWidget::setVisible);
    connect(dock, &QDockWidget::visibilityChanged, m_showTcp, [this, dock](bool) {
        if (!dock->isHidden() != m_showTcp->isChecked() && !isMinimized())
            m_showTcp->setChecked(!dock->isHidden());
    });
    m_tcpStates->setSummary(TcpStateSummary::fromSnapshot(TcpSnapshot()));
}

void MainWindow::createTray()
{
    if (!QSystemTrayIcon::isSystemTrayAvailable())
        return;
    m_tray = new QSystemTrayIcon(windowIcon(), this);
    auto *menu = new QMenu(this);
    QAction *show = menu->addAction(tr("Show dashboard"));
    connect(show, &QAction::triggered, this, [this] {
        showNormal();
        raise();
        activateWindow();
    });
    menu->addAction(m_listening);
    menu->addSeparator();
    menu->addAction(m_quit);
    m_tray->setContextMenu(menu);
    connect(m_tray, &QSystemTrayIcon::activated, this,
            [this](QSystemTrayIcon::ActivationReason reason) {
                if (reason == QSystemTrayIcon::Trigger) {
                    showNormal();
                    raise();
                    activateWindow();
                }
            });
    m_tray->setToolTip(tr("Warden"));
    m_tray->show();
}

void MainWindow::onStats(const ServerStats &stats)
{
    if (stats.listen.isEmpty()) {
        setWindowTitle(tr("Warden - not listening"));
        m_statusListen->setText(tr("Not listening"));
    } else {
        setWindowTitle(tr("Warden - %1").arg(stats.listen));
        m_statusListen->setText(tr("Listening on %1").arg(stats.listen));
    }
    {
        const QSignalBlocker block(m_listening);
        m_listening->setChecked(!stats.listen.isEmpty());
    }
    if (stats.startedAtMs != m_stats.startedAtMs || stats.eventsTotal < m_rateEvents) {
        m_rateClock.invalidate(); // a (re)start: the rate starts over
        m_eventsPerSecond = 0;
    }
    m_stats = stats;
    updateCounts();
    m_statusCluster->setVisible(!stats.cluster.isEmpty());
    const bool inCluster = !stats.cluster.isEmpty();
    m_connections->setLocalNode(stats.nodeId);
    if (inCluster != m_inCluster) {
        m_inCluster = inCluster;
        m_scopeAction->setVisible(inCluster);
        m_connectionsView->setColumnHidden(int(ConnectionTableModel::Column::Node), !inCluster);
        m_groupView->setColumnHidden(int(ConnectionTableModel::Column::Node), !inCluster);
        if (!inCluster)
            m_scope->setCurrentIndex(0);
    }
    if (stats.cluster == QLatin1String("up")) {
        m_statusCluster->setText(tr("Cluster: %n node(s)", nullptr, stats.clusterNodes));
        m_statusCluster->setToolTip(tr("This node is %1; Redis is reachable").arg(stats.nodeId));
        m_statusCluster->setStyleSheet(QString());
    } else if (!stats.cluster.isEmpty()) {
        m_statusCluster->setText(tr("Cluster: Redis unreachable"));
        m_statusCluster->setToolTip(
            tr("This node is %1; it serves its own connections until Redis is back")
                .arg(stats.nodeId));
        m_statusCluster->setStyleSheet(QStringLiteral("color: #b00020; font-weight: bold"));
    }
}

void MainWindow::updateCounts()
{
    if (!m_rateClock.isValid()) {
        m_rateClock.start();
        m_rateEvents = m_stats.eventsTotal;
    } else if (m_rateClock.elapsed() >= 1000) {
        m_eventsPerSecond
            = double(m_stats.eventsTotal - m_rateEvents) * 1000.0 / double(m_rateClock.restart());
        m_rateEvents = m_stats.eventsTotal;
    }
    const QString uptime = m_stats.startedAtMs > 0 && !m_stats.listen.isEmpty()
                               ? ConnectionTableModel::durationText(
                                   QDateTime::currentMSecsSinceEpoch() - m_stats.startedAtMs)
                               : QStringLiteral("-");
    // "Label: number" reads right for any count, in English and in Chinese alike.
    const QString counts = tr("Up: %1   Connections: %2   Sessions: %3   Events/s: %4")
                               .arg(uptime)
                               .arg(m_stats.connections)
                               .arg(m_stats.sessions)
                               .arg(m_eventsPerSecond, 0, 'f', 1);
    m_statusCounts->setText(counts);
    if (m_tray)
        m_tray->setToolTip(windowTitle() + QLatin1Char('\n') + counts);
}

void MainWindow::updateUserFilter()
{
    // The chosen user stays chosen (and filtered) while gone, so the view does not jump back to
    // everyone when their last tab reconnects.
    const QString chosen = m_connectionsProxy->user();
    QStringList users = m_connections->users();
    if (!chosen.isEmpty() && !users.contains(chosen))
        users.append(chosen);
    const QSignalBlocker block(m_userFilter);
    while (m_userFilter->count() > 1)
        m_userFilter->removeItem(1);
    for (const QString &user : std::as_const(users))
        m_userFilter->addItem(user, user);
    m_userFilter->setCurrentIndex(chosen.isEmpty() ? 0 : m_userFilter->findData(chosen));
}

void MainWindow::refreshStoreInfo()
{
    m_host->call<StoreInfo>(
        this, [](ServerWorker &w) { return w.storeInfo(); },
        [this](const StoreInfo &info) {
            m_store = info;
            if (info.location.isEmpty()) {
                m_statusStore->setText(tr("Store: none (sessions in memory only)"));
                m_statusStore->setToolTip(QString());
            } else {
                m_statusStore->setText(
                    tr("Store: %1").arg(QLocale().formattedDataSize(info.sizeBytes)));
                m_statusStore->setToolTip(info.open ? info.location
                                                    : tr("%1 (not open)").arg(info.location));
            }
        });
}

void MainWindow::loadOlderEvents()
{
    if (m_events->rowCount() >= m_events->capacity()) {
        statusBar()->showMessage(
            tr("The event log is full (%1 rows): clear it to load older events")
                .arg(m_events->capacity()),
            StatusMessageMs);
        return;
    }
    // Events older than the oldest row shown; with an empty log, the newest stored ones.
    const quint64 before = m_events->rowCount() > 0 ? m_events->eventAt(0).id : 0;
    const int limit = qMin(1000, m_events->capacity() - m_events->rowCount());
    m_loadOlder->setEnabled(false);
    m_host->call<ServerEventList>(
        this, [before, limit](ServerWorker &w) { return w.storedEvents(before, limit); },
        [this](const ServerEventList &older) {
            m_loadOlder->setEnabled(true);
            const int rowsBefore = m_events->rowCount();
            m_events->insertBacklog(older);
            const int added = m_events->rowCount() - rowsBefore;
            if (added > 0)
                m_eventsView->scrollToTop();
            statusBar()->showMessage(m_store.location.isEmpty() && older.isEmpty()
                                         ? tr("No store: the server keeps no older events")
                                     : added > 0 ? tr("Older events loaded: %1").arg(added)
                                                 : tr("No older events in the store"),
                                     StatusMessageMs);
        });
}

void MainWindow::restartServer()
{
    auto *dialog = new ConfirmDialog(
        tr("Restart server"),
        tr("Restart the server on %1? Every client is closed with 4000 \"restarting\" and "
           "reconnects; sessions and revocations stay.")
            .arg(m_stats.listen.isEmpty() ? tr("its port") : m_stats.listen),
        tr("Restart"), false, this);
    connect(dialog, &QDialog::accepted, this, [this] {
        statusBar()->showMessage(tr("Restarting the server..."), StatusMessageMs);
        m_host->restart();
    });
    showDialog(dialog);
}

void MainWindow::onEvents(const ServerEventList &events)
{
    const QScrollBar *bar = m_eventsView->verticalScrollBar();
    const bool atBottom = bar->value() == bar->maximum();
    m_events->append(events);
    if (atBottom)
        m_eventsView->scrollToBottom();
}

void MainWindow::onReloaded(bool ok, const QStringList &changed, const QString &error)
{
    if (!ok)
        statusBar()->showMessage(tr("Reload refused: %1").arg(error), StatusMessageMs);
    else if (changed.isEmpty())
        statusBar()->showMessage(tr("Configuration reloaded; nothing changed"), StatusMessageMs);
    else
        statusBar()->showMessage(
            tr("Configuration reloaded: %1").arg(changed.join(QStringLiteral(", "))),
            StatusMessageMs);
}

void MainWindow::onReloadApplied(const QStringList &appliedLive, const QStringList &restartRequired)
{
    if (appliedLive.isEmpty() && restartRequired.isEmpty())
        return; // "nothing changed" was already said
    const QString none = tr("none");
    const QString live = appliedLive.isEmpty() ? none : appliedLive.join(QStringLiteral(", "));
    const QString later
        = restartRequired.isEmpty() ? none : restartRequired.join(QStringLiteral(", "));
    statusBar()->showMessage(tr("Configuration reloaded. Applied live: %1. Needs a restart (Server "
                                "> Restart server): %2")
                                 .arg(live, later),
                             StatusMessageMs * 2);
}

void MainWindow::onEventTypeChosen(int index)
{
    QSet<ServerEvent::Type> types;
    const QVariantList list = m_eventType->itemData(index).toList();
    for (const QVariant &v : list)
        types.insert(ServerEvent::Type(v.toInt()));
    m_eventsProxy->setTypes(types);
}

bool MainWindow::selectedTarget(Target *target) const
{
    return selectedIn(m_groupBySession->isChecked(), target);
}

bool MainWindow::selectedIn(bool grouped, Target *target) const
{
    const ConnectionInfo *c = nullptr;
    if (grouped) {
        const QModelIndexList rows = m_groupView->selectionModel()->selectedRows();
        if (rows.isEmpty())
            return false;
        if (const ConnectionGroupModel::Group *g = m_groups->groupAt(rows.first())) {
            target->connections
                = QList<ConnectionId>(g->connections.cbegin(), g->connections.cend());
            target->sessionId = g->sessionId;
            target->user = g->user;
            target->group = true;
            return true;
        }
        c = m_connections->byId(m_groups->connectionAt(rows.first()));
    } else {
        const QModelIndexList rows = m_connectionsView->selectionModel()->selectedRows();
        if (rows.isEmpty())
            return false;
        const QModelIndex source = m_connectionsProxy->mapToSource(rows.first());
        if (source.isValid())
            c = &m_connections->at(source.row());
    }
    if (!c)
        return false;
    target->connections = {c->id};
    target->node = c->node;
    const bool loggedIn = c->authenticated && !c->sessionId.isEmpty();
    target->sessionId = loggedIn ? c->sessionId : QString();
    target->user = loggedIn ? c->user : QString();
    target->group = false;
    return true;
}

void MainWindow::updateActions()
{
    Target t;
    const bool any = selectedTarget(&t);
    const bool loggedIn = any && !t.sessionId.isEmpty();
    m_disconnect->setEnabled(any && !t.connections.isEmpty());
    m_forceLogout->setEnabled(loggedIn);
    m_logoutUser->setEnabled(loggedIn && !t.user.isEmpty());
    m_extend->setEnabled(loggedIn);
}

void MainWindow::setGrouped(bool grouped)
{
    // The selected connection stays selected across the switch.
    Target t;
    const bool any = selectedIn(!grouped, &t);
    if (grouped) {
        m_expandedSessions.clear();
        m_selectedSession.clear();
        m_selectedIsGroup = false;
        m_selectedConnection = 0;
        m_groupScroll = 0;
        if (any && !t.group && !t.connections.isEmpty())
            m_selectedConnection = t.connections.first();
        m_groups->setEnabled(true); // a reset: restoreGroupViewState() runs
        m_connectionsStack->setCurrentWidget(m_groupView);
        m_groupView->setFocus();
    } else {
        m_groups->setEnabled(false);
        m_connectionsStack->setCurrentWidget(m_connectionsView);
        m_connectionsView->clearSelection();
        if (any && !t.connections.isEmpty()) {
            const int row = m_connections->rowOf(t.connections.first());
            const QModelIndex i = m_connectionsProxy->mapFromSource(m_connections->index(row, 0));
            if (i.isValid()) {
                m_connectionsView->selectRow(i.row());
                m_connectionsView->scrollTo(i);
            }
        }
        m_connectionsView->setFocus();
    }
    updateActions();
}

void MainWindow::saveGroupViewState()
{
    if (!m_groups->isEnabled() || m_groups->rowCount() == 0)
        return; // a first build keeps what setGrouped() chose
    m_selectedSession.clear();
    m_selectedIsGroup = false;
    m_selectedConnection = 0;
    const QModelIndexList rows = m_groupView->selectionModel()->selectedRows();
    if (!rows.isEmpty()) {
        if (const ConnectionGroupModel::Group *g = m_groups->groupAt(rows.first())) {
            m_selectedSession = g->sessionId;
            m_selectedIsGroup = true;
        } else {
            m_selectedConnection = m_groups->connectionAt(rows.first());
        }
    }
    m_groupScroll = m_groupView->verticalScrollBar()->value();
}

void MainWindow::restoreGroupViewState()
{
    // setExpanded() emits expanded(), which inserts into the set: iterate a copy.
    const QSet<QString> expanded = m_expandedSessions;
    for (const QString &sid : expanded) {
        const QModelIndex i = m_groups->indexOfSession(sid);
        if (i.isValid())
            m_groupView->setExpanded(i, true);
    }
    QModelIndex selected;
    if (m_selectedConnection)
        selected = m_groups->indexOfConnection(m_selectedConnection);
    else if (m_selectedIsGroup)
        selected = m_groups->indexOfSession(m_selectedSession);
    if (selected.isValid()) {
        if (selected.parent().isValid())
            m_groupView->setExpanded(selected.parent(), true);
        m_groupView->selectionModel()->setCurrentIndex(selected, QItemSelectionModel::ClearAndSelect
                                                                     | QItemSelectionModel::Rows);
    }
    m_groupView->verticalScrollBar()->setValue(m_groupScroll);
    updateActions();
}

void MainWindow::onTcpSnapshot(const TcpSnapshot &snapshot)
{
    // A partial snapshot was polled before this window attached: it lacks the rows (and maybe
    // the counts) shown here. The full one follows at once.
    if (snapshot.scope != TcpSnapshot::Scope::Full)
        return;
    m_tcpStates->setSummary(TcpStateSummary::fromSnapshot(snapshot));
    m_tcpSource->setText(tr("Source: %1").arg(m_tcpStates->summary().source));
    m_tcpChart->addSnapshot(snapshot);
    m_tcpSockets->setSnapshot(snapshot);
    m_tcpOrphansTitle->setText(
        snapshot.isAvailable() ? tr("Sockets without a session: %1").arg(m_tcpSockets->rowCount())
                               : tr("Sockets without a session: unknown"));
}

void MainWindow::showResult(const QString &what, const OperatorResult &r)
{
    // [cluster] nodes that did not answer within a second: their share is not in the counts.
    QStringList silent;
    for (const QJsonValue &n : r.data.value(QLatin1String("no_answer")).toArray())
        silent.append(n.toString());
    if (r.ok() && !silent.isEmpty())
        statusBar()->showMessage(
            what + QLatin1String("  ")
                + tr("(no answer from %1: not counted)").arg(silent.join(QLatin1String(", "))),
            StatusMessageMs);
    else if (r.ok())
        statusBar()->showMessage(what, StatusMessageMs);
    else
        statusBar()->showMessage(tr("Failed: %1").arg(r.error), StatusMessageMs);
}

void MainWindow::showDialog(QDialog *dialog)
{
    if (m_dialog)
        m_dialog->close();
    m_dialog = dialog;
    dialog->open();
}

void MainWindow::disconnectSelected()
{
    Target t;
    if (!selectedTarget(&t) || t.connections.isEmpty())
        return;
    if (!t.group) {
        const ConnectionId key = t.connections.first();
        const ConnectionInfo *c = m_connections->byId(key);
        const ConnectionId id = c ? ConnectionTableModel::shownId(*c) : key;
        const QString node = t.node;
        disconnectOne(key, [this, id, node](const OperatorResult &r) {
            showResult(node.isEmpty() ? tr("Connection %1 disconnected").arg(id)
                                      : tr("Connection %1 on %2 disconnected").arg(id).arg(node),
                       r);
        });
        return;
    }
    // A session row: each of its connections (the session lives on, its tabs may reconnect).
    auto pending = std::make_shared<int>(int(t.connections.size()));
    auto closed = std::make_shared<int>(0);
    for (ConnectionId key : std::as_const(t.connections)) {
        disconnectOne(key, [this, pending, closed](const OperatorResult &r) {
            if (r.ok())
                ++*closed;
            if (--*pending == 0)
                showResult(tr("Connections disconnected: %1").arg(*closed), r);
        });
    }
}

void MainWindow::disconnectOne(ConnectionId key, std::function<void(const OperatorResult &)> done)
{
    const ConnectionInfo *c = m_connections->byId(key);
    if (c && !c->node.isEmpty()) {
        // A row of another node: that node closes it (4002), through Redis.
        m_host->disconnectRemote(c->node, ConnectionTableModel::shownId(*c),
                                 QStringLiteral("operator"), operatorName(), this, std::move(done));
        return;
    }
    m_host->disconnectConnection(key, QStringLiteral("operator"), operatorName(), this,
                                 std::move(done));
}

void MainWindow::setClusterScope(int index)
{
    if (index == 1) {
        m_clusterRefresh.start();
        refreshCluster();
        return;
    }
    m_clusterRefresh.stop();
    applyRemoteRows({});
}

void MainWindow::refreshCluster()
{
    m_host->fetchClusterConnections(this, [this](const ServerWorker::ClusterRows &rows) {
        if (m_scope->currentIndex() != 1)
            return; // switched back meanwhile
        if (!rows.ok)
            statusBar()->showMessage(tr("Whole cluster: Redis is unreachable; other nodes' "
                                        "connections are not shown"),
                                     StatusMessageMs);
        applyRemoteRows(rows.connections);
    });
}

void MainWindow::applyRemoteRows(const QList<ConnectionInfo> &rows)
{
    ConnectionDelta delta;
    QSet<ConnectionId> keys;
    keys.reserve(rows.size());
    for (ConnectionInfo c : rows) {
        int &index = m_nodeIndex[c.node];
        if (!index)
            index = int(m_nodeIndex.size());
        c.id = ConnectionTableModel::remoteKey(index, c.id);
        c.socketState = -1; // not a socket of this node: left out of its state counts
        keys.insert(c.id);
        delta.upserts.append(c);
    }
    for (ConnectionId k : std::as_const(m_remoteKeys)) {
        if (!keys.contains(k))
            delta.removed.append(k);
    }
    m_remoteKeys = keys;
    if (!delta.isEmpty())
        m_connections->applyDelta(delta);
}

void MainWindow::forceLogoutSelected()
{
    Target t;
    if (!selectedTarget(&t) || t.sessionId.isEmpty())
        return;
    const QString sid = t.sessionId;
    auto *dialog = new ConfirmDialog(
        tr("Force logout"),
        tr("End session %1 of %2 on every tab? Its tabs get 401 \"kicked\" and close 4502; its "
           "token is refused afterwards.")
            .arg(sid, t.user),
        tr("Force logout"), true, this);
    connect(dialog, &QDialog::accepted, this, [this, dialog, sid] {
        m_host->forceLogout(
            sid, dialog->reason(), operatorName(), this, [this, sid](const OperatorResult &r) {
                showResult(
                    tr("Session %1 ended; connections closed: %2").arg(sid).arg(r.connections), r);
            });
    });
    showDialog(dialog);
}

void MainWindow::logoutUserSelected()
{
    Target t;
    if (!selectedTarget(&t) || t.sessionId.isEmpty() || t.user.isEmpty())
        return;
    const QString user = t.user;
    // Ask the server what would close first, so the operator confirms real numbers.
    m_host->logoutUser(
        user, QString(), operatorName(), true, this, [this, user](const OperatorResult &dry) {
            if (!dry.ok()) {
                showResult(QString(), dry);
                return;
            }
            const QString message = tr("Log out %1 everywhere?").arg(user) + QLatin1Char('\n')
                                    + tr("Sessions to end: %1").arg(dry.sessions)
                                    + QLatin1Char('\n')
                                    + tr("Connections to close: %1").arg(dry.connections);
            auto *dialog = new ConfirmDialog(tr("Log out user everywhere"), message,
                                             tr("Log out everywhere"), true, this);
            connect(dialog, &QDialog::accepted, this, [this, dialog, user] {
                m_host->logoutUser(
                    user, dialog->reason(), operatorName(), false, this,
                    [this, user](const OperatorResult &r) {
                        showResult(
                            tr("%1 logged out; sessions ended: %2").arg(user).arg(r.sessions), r);
                    });
            });
            showDialog(dialog);
        });
}

void MainWindow::extendSelected()
{
    Target t;
    if (!selectedTarget(&t) || t.sessionId.isEmpty())
        return;
    const QString sid = t.sessionId;
    m_host->extendSession(sid, operatorName(), this, [this, sid](const OperatorResult &r) {
        const qint64 deadline = qint64(r.data.value(QStringLiteral("expires_at")).toDouble());
        showResult(tr("Session %1 extended until %2")
                       .arg(sid, QDateTime::fromMSecsSinceEpoch(deadline).toString(
                                     QStringLiteral("HH:mm:ss"))),
                   r);
    });
}

void MainWindow::toggleListening(bool listen)
{
    m_host->setListening(listen, operatorName(), this, [this, listen](const OperatorResult &r) {
        showResult(listen ? tr("Accepting new connections again")
                          : tr("Not accepting new connections; live connections stay"),
                   r);
    });
}

void MainWindow::showSettings()
{
    showDialog(new SettingsDialog(m_host, this));
    m_dialog->setAttribute(Qt::WA_DeleteOnClose);
}

bool MainWindow::exportEvents(const QString &path, QString *error)
{
    QSaveFile file(path);
    const ServerEventList events = m_eventsProxy->visibleEvents();
    const bool csv = path.endsWith(QLatin1String(".csv"), Qt::CaseInsensitive);
    const bool ok = file.open(QIODevice::WriteOnly)
                    && (csv ? EventLogModel::writeCsv(events, &file)
                            : EventLogModel::writeJsonLines(events, &file))
                    && file.commit();
    if (!ok && error)
        *error = file.errorString();
    return ok;
}

void MainWindow::exportEventsInteractive()
{
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export event log"),
        QStringLiteral("warden-events-%1.jsonl")
            .arg(QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"))),
        tr("JSON lines (*.jsonl);;CSV (*.csv)"));
    if (path.isEmpty())
        return;
    QString error;
    if (exportEvents(path, &error))
        statusBar()->showMessage(
            tr("Events exported: %1, to %2").arg(m_eventsProxy->rowCount()).arg(path),
            StatusMessageMs);
    else
        statusBar()->showMessage(tr("Export failed: %1").arg(error), StatusMessageMs);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (!m_closing) {
        m_closing = true;
        statusBar()->showMessage(tr("Stopping the server..."));
        m_host->stop();
    }
    // The window goes when the server has stopped and the application quits.
    event->ignore();
}
