// SPDX-License-Identifier: MIT
#include "ui/mainwindow.h"

#include "server/serverhost.h"
#include "ui/connectiontablemodel.h"
#include "ui/eventlogmodel.h"

#include <QtCore/QSortFilterProxyModel>
#include <QtGui/QAction>
#include <QtGui/QCloseEvent>
#include <QtWidgets/QHeaderView>
#include <QtWidgets/QInputDialog>
#include <QtWidgets/QLabel>
#include <QtWidgets/QLineEdit>
#include <QtWidgets/QMessageBox>
#include <QtWidgets/QScrollBar>
#include <QtWidgets/QSplitter>
#include <QtWidgets/QStatusBar>
#include <QtWidgets/QTableView>
#include <QtWidgets/QToolBar>

MainWindow::MainWindow(ServerHost *host, QWidget *parent)
    : QMainWindow(parent)
    , m_host(host)
    , m_connections(new ConnectionTableModel(this))
    , m_connectionsProxy(new QSortFilterProxyModel(this))
    , m_events(new EventLogModel(20000, this))
    , m_connectionsView(new QTableView)
    , m_eventsView(new QTableView)
    , m_filter(new QLineEdit)
    , m_statusListen(new QLabel)
    , m_statusCounts(new QLabel)
{
    setWindowTitle(tr("Warden"));
    resize(1100, 700);

    m_connectionsProxy->setSourceModel(m_connections);
    m_connectionsProxy->setSortRole(ConnectionTableModel::SortRole);
    m_connectionsProxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_connectionsProxy->setFilterKeyColumn(-1);

    m_connectionsView->setModel(m_connectionsProxy);
    m_connectionsView->setSortingEnabled(true);
    m_connectionsView->sortByColumn(int(ConnectionTableModel::Column::Id), Qt::AscendingOrder);
    m_connectionsView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_connectionsView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_connectionsView->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_connectionsView->verticalHeader()->hide();
    m_connectionsView->horizontalHeader()->setStretchLastSection(true);

    m_eventsView->setModel(m_events);
    m_eventsView->verticalHeader()->hide();
    m_eventsView->horizontalHeader()->setStretchLastSection(true);
    m_eventsView->setSelectionBehavior(QAbstractItemView::SelectRows);

    auto *splitter = new QSplitter(Qt::Vertical);
    splitter->addWidget(m_connectionsView);
    splitter->addWidget(m_eventsView);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    setCentralWidget(splitter);

    m_filter->setPlaceholderText(tr("Filter by user, session or address"));
    m_filter->setClearButtonEnabled(true);
    connect(m_filter, &QLineEdit::textChanged, m_connectionsProxy,
            &QSortFilterProxyModel::setFilterFixedString);

    createActions();
    statusBar()->addWidget(m_statusListen);
    statusBar()->addPermanentWidget(m_statusCounts);

    connect(m_host, &ServerHost::connectionsChanged, m_connections,
            &ConnectionTableModel::applyDelta);
    connect(m_host, &ServerHost::eventsReady, this, [this](const ServerEventList &events) {
        const bool atBottom = m_eventsView->verticalScrollBar()->value()
                              == m_eventsView->verticalScrollBar()->maximum();
        m_events->append(events);
        if (atBottom)
            m_eventsView->scrollToBottom();
    });
    connect(m_host, &ServerHost::statsChanged, this, &MainWindow::onStats);
    connect(m_connectionsView->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &MainWindow::updateActions);

    m_tick.setInterval(1000);
    connect(&m_tick, &QTimer::timeout, m_connections, &ConnectionTableModel::tick);
    m_tick.start();
    m_host->setSnapshotsEnabled(true);
    updateActions();
}

MainWindow::~MainWindow() = default;

void MainWindow::createActions()
{
    auto *toolbar = addToolBar(tr("Actions"));
    toolbar->setObjectName(QStringLiteral("actions"));

    m_disconnect = new QAction(tr("Disconnect"), this);
    m_disconnect->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_D));
    m_disconnect->setStatusTip(
        tr("Close the selected connection; the client may reconnect and its session lives on"));
    connect(m_disconnect, &QAction::triggered, this, &MainWindow::disconnectSelected);

    m_forceLogout = new QAction(tr("Force logout"), this);
    m_forceLogout->setShortcut(QKeySequence::Delete);
    m_forceLogout->setStatusTip(
        tr("End the selected session on every tab (close 4502); its token is refused afterwards"));
    connect(m_forceLogout, &QAction::triggered, this, &MainWindow::forceLogoutSelected);

    for (QAction *a : {m_disconnect, m_forceLogout}) {
        toolbar->addAction(a);
        m_connectionsView->addAction(a);
    }
    toolbar->addSeparator();
    toolbar->addWidget(m_filter);
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
    m_statusCounts->setText(tr("%n connection(s)", nullptr, stats.connections)
                            + QStringLiteral("  ") + tr("%n session(s)", nullptr, stats.sessions));
}

ConnectionId MainWindow::selectedConnection() const
{
    const QModelIndexList rows = m_connectionsView->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return 0;
    return m_connectionsProxy->mapToSource(rows.first())
        .data(ConnectionTableModel::ConnectionIdRole)
        .value<quint64>();
}

QString MainWindow::selectedSession() const
{
    const QModelIndexList rows = m_connectionsView->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return {};
    return m_connectionsProxy->mapToSource(rows.first())
        .data(ConnectionTableModel::SessionIdRole)
        .toString();
}

void MainWindow::updateActions()
{
    m_disconnect->setEnabled(selectedConnection() != 0);
    m_forceLogout->setEnabled(!selectedSession().isEmpty());
}

QString MainWindow::operatorName() const
{
    const QString user = qEnvironmentVariable("USER", qEnvironmentVariable("LOGNAME"));
    return (user.isEmpty() ? QStringLiteral("unknown") : user) + QStringLiteral("@gui");
}

void MainWindow::disconnectSelected()
{
    const ConnectionId id = selectedConnection();
    if (id)
        m_host->disconnectConnection(id, tr("disconnected by operator"), operatorName());
}

void MainWindow::forceLogoutSelected()
{
    const QString sid = selectedSession();
    if (sid.isEmpty())
        return;
    bool ok = false;
    const QString reason = QInputDialog::getText(
        this, tr("Force logout"), tr("End session %1 on every tab? Optional reason:").arg(sid),
        QLineEdit::Normal, QString(), &ok);
    if (ok)
        m_host->forceLogout(sid, reason, operatorName());
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (!m_closing) {
        m_closing = true;
        m_host->stop();
    }
    // The window goes when the server has stopped and the application quits.
    event->ignore();
}
