// SPDX-License-Identifier: MIT
// The dashboard driven like an operator: a real server thread on 127.0.0.1, real QWebSocket
// clients, key presses and actions on the real main window.
#include "server/closecodes.h"
#include "server/serverhost.h"
#include "tests/common/childwarden.h"
#include "tests/common/redisserver.h"
#include "tests/common/serverfixture.h"
#include "tests/common/testclient.h"
#include "ui/confirmdialog.h"
#include "ui/connectionfilterproxy.h"
#include "ui/connectiongroupmodel.h"
#include "ui/connectiontablemodel.h"
#include "ui/connectiontreeview.h"
#include "ui/eventfilterproxy.h"
#include "ui/eventlogmodel.h"
#include "ui/language.h"
#include "ui/mainwindow.h"
#include "ui/settingsdialog.h"
#include "ui/tcphistorychart.h"
#include "ui/tcpsocketlistmodel.h"
#include "ui/tcpstatemodel.h"

#include <QtCore/QFile>
#include <QtCore/QJsonDocument>
#include <QtCore/QRandomGenerator>
#include <QtCore/QRegularExpression>
#include <QtCore/QSettings>
#include <QtCore/QTemporaryDir>
#include <QtCore/QTranslator>
#include <QtGui/QAction>
#include <QtNetwork/QTcpSocket>
#include <QtTest/QAbstractItemModelTester>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>
#include <QtWidgets/QApplication>
#include <QtWidgets/QCheckBox>
#include <QtWidgets/QComboBox>
#include <QtWidgets/QDoubleSpinBox>
#include <QtWidgets/QHeaderView>
#include <QtWidgets/QLabel>
#include <QtWidgets/QLineEdit>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QStatusBar>
#include <QtWidgets/QTableView>
#include <QtWidgets/QTreeView>

#include <csignal>
#include <memory>
#include <vector>

using Column = ConnectionTableModel::Column;

class tst_Dashboard : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void deleteEnterKicksSelectedClient();
    void escapeCancelsForceLogout();
    void disconnectClosesWith4002();
    void logoutUserEverywhereConfirmsDryRunCounts();
    void extendMovesDeadline();
    void countdownMoves();
    void filtersNarrowTheTable();
    void userFilterShowsOneUser();
    void eventLogShowsAuditAndFilters();
    void exportWritesVisibleEvents();
    void tcpPanelShowsKernelData();
    void tcpPanelSaysWhenUnavailable();
    void stopAndResumeListening();
    void loadOlderEventsFromStore();
    void backlogRespectsCapacity();
    void restartClosesWith4000AndClientsComeBack();
    void settingsDialogWritesFileAndReloads();
    void settingsDialogRefusesBadValue();
    void updateIniKeepsCommentsAndAddsKeys();
    void chineseTranslationOnActions();
    void modelAppliesMixedBatches();
    void largeBatchSignalsChangedRuns_data();
    void largeBatchSignalsChangedRuns();
    void groupModelFollowsRandomBatches();
    void groupTreeRepaintsWideSpansWithoutWalkingThem();
    void modelKeepsSortOrderThroughBatches_data();
    void modelKeepsSortOrderThroughBatches();
    void filterProxyMatchesItsFilterThroughBatches();
    void headerClickSortsAndSelectionFollows();
    void groupBySessionActsOnSessions();
    void clusterIndicatorScopeAndRemoteRows();

private:
    bool startServer(const ServerConfig &config);
    bool startServer() { return startServer(m_server->defaultConfig()); }
    std::unique_ptr<TestClient> loggedIn(const QString &user, const QString &sid = {});
    // Waits until the table shows a logged-in row of the user, then selects it like a click.
    int selectUser(const QString &user);
    QString cell(int proxyRow, Column column) const;
    QDialog *waitForDialog();
    void clickHeader(Column column);
    ConnectionId idAt(int proxyRow) const;

    std::unique_ptr<ServerFixture> m_server;
    std::unique_ptr<MainWindow> m_window;
    std::vector<std::unique_ptr<QAbstractItemModelTester>> m_testers;
};

void tst_Dashboard::init()
{
    m_server = std::make_unique<ServerFixture>();
}

void tst_Dashboard::cleanup()
{
    m_testers.clear();
    m_window.reset();
    m_server.reset();
}

bool tst_Dashboard::startServer(const ServerConfig &config)
{
    if (!m_server->start(config))
        return false;
    m_window = std::make_unique<MainWindow>(m_server->host());
    const auto mode = QAbstractItemModelTester::FailureReportingMode::QtTest;
    for (QAbstractItemModel *m : std::initializer_list<QAbstractItemModel *>{
             m_window->connectionsModel(), m_window->connectionsProxy(), m_window->eventsModel(),
             m_window->eventsProxy(), m_window->tcpStateModel(), m_window->tcpSocketsModel(),
             m_window->groupModel()})
        m_testers.push_back(std::make_unique<QAbstractItemModelTester>(m, mode));
    m_window->show();
    m_window->activateWindow();
    return QTest::qWaitForWindowActive(m_window.get());
}

std::unique_ptr<TestClient> tst_Dashboard::loggedIn(const QString &user, const QString &sid)
{
    auto c = std::make_unique<TestClient>();
    if (!c->open(m_server->url()))
        return nullptr;
    c->loginCheck(m_server->token(user, sid));
    const int i = c->waitForEvent(QStringLiteral("message"));
    if (i < 0 || c->frames().at(i).data.toObject().value(QStringLiteral("code")).toInt() != 200)
        return nullptr;
    return c;
}

namespace {
// What the random model tests draw their rows from.
struct RandomRows
{
    int anonymousOneIn; // not logged in: one row in this many
    QString userFormat; // %1: a number below users
    int users;
    int sessions;
    int warnedOneIn; // 0: never warned
    int ports;
};

ConnectionInfo randomConnection(QRandomGenerator &rng, ConnectionId id, const RandomRows &r)
{
    ConnectionInfo c;
    c.id = id;
    c.authenticated = rng.bounded(r.anonymousOneIn) != 0;
    if (c.authenticated) {
        c.user = r.userFormat.arg(rng.bounded(r.users));
        c.sessionId = QStringLiteral("s-%1").arg(rng.bounded(r.sessions));
        c.expiresAtMs = 1000000 + rng.bounded(50) * 1000;
        if (r.warnedOneIn > 0)
            c.warned = rng.bounded(r.warnedOneIn) == 0;
    }
    c.peer = QStringLiteral("127.0.0.%1:%2").arg(rng.bounded(3) + 1).arg(rng.bounded(r.ports));
    c.msgsIn = rng.bounded(30);
    c.socketState = 3;
    return c;
}
} // namespace

QString tst_Dashboard::cell(int proxyRow, Column column) const
{
    const QAbstractItemModel *proxy = m_window->connectionsProxy();
    return proxy->index(proxyRow, int(column)).data().toString();
}

int tst_Dashboard::selectUser(const QString &user)
{
    QAbstractItemModel *proxy = m_window->connectionsProxy();
    auto find = [&] {
        for (int row = 0; row < proxy->rowCount(); ++row) {
            const QModelIndex i = proxy->index(row, 0);
            if (i.data(ConnectionTableModel::UserRole).toString() == user
                && !i.data(ConnectionTableModel::SessionIdRole).toString().isEmpty())
                return row;
        }
        return -1;
    };
    int row = -1;
    if (!QTest::qWaitFor([&] { return (row = find()) >= 0; }, 5000))
        return -1;
    QTableView *view = m_window->connectionsView();
    view->setFocus();
    view->selectRow(row);
    return row;
}

QDialog *tst_Dashboard::waitForDialog()
{
    // The dialog is what the operator sees in front: the application's modal widget.
    const bool shown = QTest::qWaitFor(
        [&] {
            return m_window->openDialog() && m_window->openDialog()->isVisible()
                   && QApplication::activeModalWidget() == m_window->openDialog();
        },
        5000);
    return shown ? m_window->openDialog() : nullptr;
}

void tst_Dashboard::deleteEnterKicksSelectedClient()
{
    QVERIFY(startServer());
    auto alice = loggedIn(QStringLiteral("alice"), QStringLiteral("s-alice"));
    auto bob = loggedIn(QStringLiteral("bob"), QStringLiteral("s-bob"));
    QVERIFY(alice && bob);
    QVERIFY(selectUser(QStringLiteral("alice")) >= 0);
    QVERIFY(m_window->forceLogoutAction()->isEnabled());

    QTest::keyClick(m_window->connectionsView(), Qt::Key_Delete);
    auto *dialog = qobject_cast<ConfirmDialog *>(waitForDialog());
    QVERIFY(dialog);
    QVERIFY(dialog->message().contains(QStringLiteral("s-alice")));
    QVERIFY(dialog->confirmButton()->isDefault());
    QTest::keyClicks(dialog->reasonEdit(), QStringLiteral("shared account"));
    QTest::keyClick(dialog->reasonEdit(), Qt::Key_Return);
    QVERIFY(alice->waitForDisconnected());

    QCOMPARE(alice->closeCode(), int(CloseCode::Kicked));
    QCOMPARE(alice->framesOf(QStringLiteral("message"))
                 .last()
                 .data.toObject()
                 .value(QStringLiteral("reason"))
                 .toString(),
             QStringLiteral("kicked"));
    QVERIFY(bob->roundTrip() && bob->isConnected());
    QVERIFY(m_server->waitForEvent(ServerEvent::Type::Kicked));
    const ServerEvent kicked = m_server->eventsOf(ServerEvent::Type::Kicked).first();
    QCOMPARE(kicked.details.value(QStringLiteral("actor")).toString(), MainWindow::operatorName());
    QCOMPARE(kicked.details.value(QStringLiteral("reason")).toString(),
             QStringLiteral("shared account"));
    QTRY_VERIFY(m_window->statusBar()->currentMessage().contains(QStringLiteral("s-alice")));
}

void tst_Dashboard::escapeCancelsForceLogout()
{
    QVERIFY(startServer());
    auto alice = loggedIn(QStringLiteral("alice"));
    QVERIFY(alice);
    QVERIFY(selectUser(QStringLiteral("alice")) >= 0);
    QTest::keyClick(m_window->connectionsView(), Qt::Key_Delete);
    QDialog *dialog = waitForDialog();
    QTest::keyClick(dialog, Qt::Key_Escape);
    QTRY_VERIFY(!m_window->openDialog());
    QVERIFY(alice->roundTrip() && alice->isConnected());
    QVERIFY(m_server->eventsOf(ServerEvent::Type::Kicked).isEmpty());
}

void tst_Dashboard::disconnectClosesWith4002()
{
    QVERIFY(startServer());
    auto alice = loggedIn(QStringLiteral("alice"), QStringLiteral("d1"));
    QVERIFY(alice);
    QVERIFY(selectUser(QStringLiteral("alice")) >= 0);
    QTest::keySequence(m_window->connectionsView(), m_window->disconnectAction()->shortcut());
    QVERIFY(alice->waitForDisconnected());
    QCOMPARE(alice->closeCode(), int(CloseCode::Disconnected));
    // Alone (no [cluster]): no Node column, no "Whole cluster" choice, no cluster indicator.
    QVERIFY(m_window->connectionsView()->isColumnHidden(int(Column::Node)));
    QVERIFY(!m_window->clusterScopeAction()->isVisible());
    QVERIFY(!m_window->clusterLabel()->isVisible());
    // The session lives on: the same token logs in again.
    QVERIFY(loggedIn(QStringLiteral("alice"), QStringLiteral("d1")));
}

void tst_Dashboard::logoutUserEverywhereConfirmsDryRunCounts()
{
    QVERIFY(startServer());
    auto a1 = loggedIn(QStringLiteral("alice"), QStringLiteral("a1"));
    auto a1b = loggedIn(QStringLiteral("alice"), QStringLiteral("a1"));
    auto a2 = loggedIn(QStringLiteral("alice"), QStringLiteral("a2"));
    auto bob = loggedIn(QStringLiteral("bob"));
    QVERIFY(a1 && a1b && a2 && bob);
    QVERIFY(selectUser(QStringLiteral("alice")) >= 0);

    m_window->logoutUserAction()->trigger();
    auto *dialog = qobject_cast<ConfirmDialog *>(waitForDialog());
    QVERIFY(dialog);
    QVERIFY2(dialog->message().contains(QStringLiteral("Sessions to end: 2")),
             qPrintable(dialog->message()));
    QVERIFY2(dialog->message().contains(QStringLiteral("Connections to close: 3")),
             qPrintable(dialog->message()));
    // Nothing closed yet: the counts came from a dry run.
    QVERIFY(a1->roundTrip() && a1->isConnected());

    QTest::keyClick(dialog->reasonEdit(), Qt::Key_Enter);
    for (TestClient *c : {a1.get(), a1b.get(), a2.get()}) {
        QVERIFY(c->waitForDisconnected());
        QCOMPARE(c->closeCode(), int(CloseCode::Kicked));
    }
    QVERIFY(bob->roundTrip() && bob->isConnected());
}

void tst_Dashboard::extendMovesDeadline()
{
    ServerConfig config = m_server->defaultConfig();
    config.idleTimeoutMs = 2000;
    config.warningMs = 1500;
    QVERIFY(startServer(config));
    auto alice = loggedIn(QStringLiteral("alice"), QStringLiteral("ext"));
    QVERIFY(alice);
    QVERIFY(alice->waitForEvent(QStringLiteral("expiring"), 3000) >= 0);
    const int row = selectUser(QStringLiteral("alice"));
    QVERIFY(row >= 0);
    const ConnectionInfo *before
        = m_window->connectionsModel()->byId(m_window->connectionsProxy()
                                                 ->index(row, 0)
                                                 .data(ConnectionTableModel::ConnectionIdRole)
                                                 .value<quint64>());
    QVERIFY(before);
    const ConnectionId id = before->id;
    const qint64 oldDeadline = before->expiresAtMs;

    QTest::keySequence(m_window->connectionsView(), m_window->extendAction()->shortcut());
    QVERIFY(alice->waitForEvent(QStringLiteral("extended"), 3000) >= 0);
    QTRY_VERIFY(m_window->connectionsModel()->byId(id)
                && m_window->connectionsModel()->byId(id)->expiresAtMs > oldDeadline);
    QTRY_VERIFY(m_window->statusBar()->currentMessage().contains(QStringLiteral("ext")));
    QVERIFY(m_server->waitForEvent(ServerEvent::Type::Audit));
    QCOMPARE(m_server->eventsOf(ServerEvent::Type::Audit)
                 .last()
                 .details.value(QStringLiteral("action"))
                 .toString(),
             QStringLiteral("extend"));
}

void tst_Dashboard::countdownMoves()
{
    QVERIFY(startServer());
    auto alice = loggedIn(QStringLiteral("alice"));
    QVERIFY(alice);
    const int row = selectUser(QStringLiteral("alice"));
    QVERIFY(row >= 0);
    const QString first = cell(row, Column::ExpiresIn);
    QVERIFY2(first.endsWith(QLatin1Char('s')), qPrintable(first));
    QTRY_VERIFY_WITH_TIMEOUT(cell(row, Column::ExpiresIn) != first, 3000);
}

void tst_Dashboard::filtersNarrowTheTable()
{
    QVERIFY(startServer());
    auto alice = loggedIn(QStringLiteral("alice"));
    auto bob = loggedIn(QStringLiteral("bob"));
    auto carol = loggedIn(QStringLiteral("carol"));
    TestClient anonymous;
    QVERIFY(alice && bob && carol && anonymous.open(m_server->url()));
    QAbstractItemModel *proxy = m_window->connectionsProxy();
    QTRY_COMPARE(proxy->rowCount(), 4);

    QTest::keyClicks(m_window->connectionFilter(), QStringLiteral("BOB"));
    QCOMPARE(proxy->rowCount(), 1);
    QCOMPARE(cell(0, Column::User), QStringLiteral("bob"));
    m_window->connectionFilter()->clear();
    QCOMPARE(proxy->rowCount(), 4);

    m_window->loggedInOnlyBox()->click();
    QCOMPARE(proxy->rowCount(), 3);
    m_window->expiringOnlyBox()->click();
    QCOMPARE(proxy->rowCount(), 0);
    m_window->expiringOnlyBox()->click();
    m_window->loggedInOnlyBox()->click();
    QCOMPARE(proxy->rowCount(), 4);

    // Sorting by user puts the anonymous row ("" user) first, then alice, bob, carol.
    m_window->connectionsView()->sortByColumn(int(Column::User), Qt::AscendingOrder);
    QCOMPARE(cell(1, Column::User), QStringLiteral("alice"));
    QCOMPARE(cell(3, Column::User), QStringLiteral("carol"));
}

void tst_Dashboard::userFilterShowsOneUser()
{
    QVERIFY(startServer());
    auto alice1 = loggedIn(QStringLiteral("alice"), QStringLiteral("a1"));
    auto alice2 = loggedIn(QStringLiteral("alice"), QStringLiteral("a2"));
    auto bob = loggedIn(QStringLiteral("bob"));
    TestClient anonymous;
    QVERIFY(alice1 && alice2 && bob && anonymous.open(m_server->url()));
    QAbstractItemModel *proxy = m_window->connectionsProxy();
    QComboBox *users = m_window->userFilter();
    QTRY_COMPARE(users->count(), 3);
    QCOMPARE(users->itemText(0), QStringLiteral("All users"));
    QCOMPARE(users->itemText(1), QStringLiteral("alice"));
    QCOMPARE(users->itemText(2), QStringLiteral("bob"));
    QTRY_COMPARE(proxy->rowCount(), 4);
    // The status bar: address, uptime, counts and the event rate.
    QTRY_VERIFY2(m_window->countsLabel()->text().contains(QStringLiteral("Connections: 4")),
                 qPrintable(m_window->countsLabel()->text()));
    QVERIFY(m_window->countsLabel()->text().contains(QStringLiteral("Sessions: 3")));
    QVERIFY(m_window->countsLabel()->text().contains(QStringLiteral("Up: ")));
    QVERIFY(m_window->countsLabel()->text().contains(QStringLiteral("Events/s: ")));
    const QString address = QStringLiteral("127.0.0.1:%1").arg(m_server->port());
    QVERIFY2(m_window->windowTitle().contains(address), qPrintable(m_window->windowTitle()));

    users->setCurrentIndex(1);
    QCOMPARE(proxy->rowCount(), 2);
    for (int row = 0; row < proxy->rowCount(); ++row)
        QCOMPARE(cell(row, Column::User), QStringLiteral("alice"));
    // Bob leaves: his entry goes, alice stays chosen.
    bob.reset();
    QTRY_COMPARE(users->count(), 2);
    QCOMPARE(users->currentText(), QStringLiteral("alice"));
    QCOMPARE(proxy->rowCount(), 2);
    users->setCurrentIndex(0);
    QTRY_COMPARE(proxy->rowCount(), 3);
}

void tst_Dashboard::eventLogShowsAuditAndFilters()
{
    QVERIFY(startServer());
    auto alice = loggedIn(QStringLiteral("alice"));
    QVERIFY(alice);
    QVERIFY(selectUser(QStringLiteral("alice")) >= 0);
    m_window->disconnectAction()->trigger();
    QVERIFY(alice->waitForDisconnected());

    const EventLogModel *log = m_window->eventsModel();
    auto auditRow = [&] {
        for (int row = 0; row < log->rowCount(); ++row) {
            const ServerEvent &e = log->eventAt(row);
            if (e.type == ServerEvent::Type::Audit
                && e.details.value(QStringLiteral("action")).toString()
                       == QLatin1String("disconnect"))
                return row;
        }
        return -1;
    };
    QTRY_VERIFY(auditRow() >= 0);
    const QString details
        = log->index(auditRow(), int(EventLogModel::Column::Details)).data().toString();
    QVERIFY2(details.contains(QStringLiteral("actor=") + MainWindow::operatorName()),
             qPrintable(details));

    // "Operator actions" keeps only audit and kick entries.
    QAbstractItemModel *proxy = m_window->eventsProxy();
    const int all = proxy->rowCount();
    m_window->eventTypeFilter()->setCurrentIndex(1);
    QVERIFY(proxy->rowCount() >= 1 && proxy->rowCount() < all);
    for (int row = 0; row < proxy->rowCount(); ++row) {
        const QString type = proxy->index(row, 0).data(EventLogModel::TypeNameRole).toString();
        QVERIFY2(type == QLatin1String("audit") || type == QLatin1String("kicked"),
                 qPrintable(type));
    }
    m_window->eventTypeFilter()->setCurrentIndex(0);
    QCOMPARE(proxy->rowCount(), all);
    QTest::keyClicks(m_window->eventTextFilter(), QStringLiteral("nobody-has-this-name"));
    QCOMPARE(proxy->rowCount(), 0);
}

void tst_Dashboard::exportWritesVisibleEvents()
{
    QVERIFY(startServer());
    auto alice = loggedIn(QStringLiteral("alice"));
    QVERIFY(alice);
    QTRY_VERIFY(m_window->eventsModel()->rowCount() >= 3); // listening, connected, authenticated
    const int authIndex = m_window->eventTypeFilter()->findText(QStringLiteral("authenticated"));
    QVERIFY(authIndex > 0);
    m_window->eventTypeFilter()->setCurrentIndex(authIndex);
    QCOMPARE(m_window->eventsProxy()->rowCount(), 1);

    QTemporaryDir dir;
    const QString jsonl = dir.filePath(QStringLiteral("events.jsonl"));
    QVERIFY(m_window->exportEvents(jsonl));
    QFile f(jsonl);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = f.readAll().trimmed().split('\n');
    QCOMPARE(lines.size(), 1);
    const QJsonObject o = QJsonDocument::fromJson(lines.first()).object();
    QCOMPARE(o.value(QStringLiteral("type")).toString(), QStringLiteral("authenticated"));
    QCOMPARE(o.value(QStringLiteral("user")).toString(), QStringLiteral("alice"));

    const QString csv = dir.filePath(QStringLiteral("events.csv"));
    QVERIFY(m_window->exportEvents(csv));
    QFile c(csv);
    QVERIFY(c.open(QIODevice::ReadOnly));
    const QList<QByteArray> rows = c.readAll().trimmed().split('\n');
    QCOMPARE(rows.size(), 2);
    QVERIFY(rows.first().startsWith("time,type,user"));
    QVERIFY(rows.last().contains(",authenticated,\"alice\""));
}

void tst_Dashboard::tcpPanelShowsKernelData()
{
    ServerConfig config = m_server->defaultConfig();
    config.tcpPollIntervalMs = 50;
    QVERIFY(startServer(config));
    auto alice = loggedIn(QStringLiteral("alice"));
    QVERIFY(alice);
    QTRY_COMPARE(m_window->connectionsProxy()->rowCount(), 1);

    const TcpStateModel *tcp = m_window->tcpStateModel();
    QTRY_VERIFY(tcp->countOf(QStringLiteral("ESTABLISHED")) >= 1);
    QCOMPARE(tcp->rowCount(), 11);
    QCOMPARE(tcp->countOf(QStringLiteral("LISTEN")), 1);
    const QString source = m_window->tcpSourceLabel()->text();
    const bool netlink = source.contains(QStringLiteral("netlink"));
    QVERIFY2(netlink || source.contains(QStringLiteral("/proc")), qPrintable(source));
    QTRY_VERIFY(m_window->tcpChart()->latest(TcpSocketInfo::Established) >= 1);

    // The row shows the kernel's view of its own socket.
    QTRY_COMPARE(cell(0, Column::TcpState), QStringLiteral("ESTABLISHED"));
    if (netlink) {
        QTRY_VERIFY2(QRegularExpression(QStringLiteral("^\\d+\\.\\d ms$"))
                         .match(cell(0, Column::Rtt))
                         .hasMatch(),
                     qPrintable(cell(0, Column::Rtt)));
    } else {
        QCOMPARE(cell(0, Column::Rtt), QStringLiteral("-")); // /proc has no tcp_info
    }

    // A TCP connection that never upgrades belongs to no session: it is listed with its peer.
    const TcpSocketListModel *orphans = m_window->tcpSocketsModel();
    QCOMPARE(orphans->rowCount(), 0);
    QTcpSocket raw;
    raw.connectToHost(QHostAddress::LocalHost, m_server->port());
    QVERIFY(raw.waitForConnected(5000));
    const QString peer = QStringLiteral("127.0.0.1:%1").arg(raw.localPort());
    auto listed = [&] {
        for (int row = 0; row < orphans->rowCount(); ++row) {
            if (orphans->index(row, int(TcpSocketListModel::Column::Peer)).data().toString()
                == peer)
                return orphans->index(row, 0).data().toString();
        }
        return QString();
    };
    QTRY_COMPARE(listed(), QStringLiteral("ESTABLISHED"));
    // Alice's own socket is matched to her connection, so it is not in the list.
    for (int row = 0; row < orphans->rowCount(); ++row)
        QVERIFY(orphans->at(row).connectionId == 0);
}

void tst_Dashboard::tcpPanelSaysWhenUnavailable()
{
    ServerConfig config = m_server->defaultConfig();
    config.tcpPollIntervalMs = 0; // monitor off: the only snapshot is the one sent below
    QVERIFY(startServer(config));
    QVERIFY(m_window->tcpSourceLabel()->text().contains(QStringLiteral("off")));
    TcpSnapshot unavailable;
    unavailable.takenAtMs = QDateTime::currentMSecsSinceEpoch();
    unavailable.error = QStringLiteral("netlink: permission denied; /proc: not mounted");
    Q_EMIT m_server->host()->tcpSnapshotReady(unavailable);
    QTRY_VERIFY(m_window->tcpSourceLabel()->text().contains(QStringLiteral("unavailable")));
    QVERIFY(m_window->tcpSourceLabel()->text().contains(unavailable.error));
    const TcpStateModel *tcp = m_window->tcpStateModel();
    QCOMPARE(tcp->rowCount(), 11);
    for (int row = 0; row < tcp->rowCount(); ++row) {
        // Unknown, not zero.
        QCOMPARE(tcp->index(row, 1).data(TcpStateModel::CountRole).toInt(), -1);
        QCOMPARE(tcp->index(row, 1).data().toString(), QStringLiteral("-"));
    }
    QCOMPARE(m_window->tcpChart()->latest(TcpSocketInfo::Established), -1);
}

void tst_Dashboard::stopAndResumeListening()
{
    QVERIFY(startServer());
    QAction *listening = m_window->listeningAction();
    QTRY_VERIFY(listening->isChecked());
    listening->trigger(); // unchecks: stop listening
    TestClient refused;
    QTRY_VERIFY(m_window->windowTitle().contains(QStringLiteral("not listening")));
    QVERIFY(!refused.open(m_server->url(), 1000));
    listening->trigger();
    QTRY_VERIFY(listening->isChecked() && !m_window->windowTitle().contains(QStringLiteral("not")));
    TestClient accepted;
    QVERIFY(accepted.open(m_server->url()));
}

void tst_Dashboard::loadOlderEventsFromStore()
{
    QVERIFY(startServer());
    // The store: its size in the status bar, its path in the tooltip.
    QTRY_VERIFY(m_window->storeLabel()->text().startsWith(QStringLiteral("Store: ")));
    QVERIFY2(QFile::exists(m_window->storeLabel()->toolTip()),
             qPrintable(m_window->storeLabel()->toolTip()));
    auto alice = loggedIn(QStringLiteral("alice"));
    QVERIFY(alice);
    EventLogModel *log = m_window->eventsModel();
    QTRY_VERIFY(log->rowCount() >= 3); // listening, connected, authenticated
    m_window->clearEventsAction()->trigger();
    QCOMPARE(log->rowCount(), 0);
    alice.reset(); // `disconnected`: the only row, the newest event
    QTRY_COMPARE(log->rowCount(), 1);
    const quint64 newest = log->eventAt(0).id;

    m_window->loadOlderEventsAction()->trigger();
    QTRY_VERIFY(log->rowCount() >= 4);
    QVERIFY2(
        m_window->statusBar()->currentMessage().contains(QStringLiteral("Older events loaded")),
        qPrintable(m_window->statusBar()->currentMessage()));
    QCOMPARE(log->eventAt(log->rowCount() - 1).id, newest);
    QStringList types;
    for (int row = 0; row < log->rowCount(); ++row) {
        if (row > 0)
            QVERIFY(log->eventAt(row - 1).id < log->eventAt(row).id);
        types.append(log->index(row, 0).data(EventLogModel::TypeNameRole).toString());
    }
    QVERIFY2(types.contains(QStringLiteral("listening"))
                 && types.contains(QStringLiteral("authenticated")),
             qPrintable(types.join(QLatin1Char(' '))));
    // Everything is shown now: a second load finds nothing older.
    const int rows = log->rowCount();
    m_window->statusBar()->clearMessage();
    QTest::mouseClick(m_window->findChild<QPushButton *>(QStringLiteral("loadOlder")),
                      Qt::LeftButton);
    QTRY_VERIFY(m_window->statusBar()->currentMessage().contains(QStringLiteral("No older")));
    QCOMPARE(log->rowCount(), rows);
}

void tst_Dashboard::backlogRespectsCapacity()
{
    EventLogModel model(5);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    auto events = [](quint64 from, quint64 to) {
        ServerEventList list;
        for (quint64 id = from; id <= to; ++id) {
            ServerEvent e;
            e.id = id;
            e.type = ServerEvent::Type::Connected;
            list.append(e);
        }
        return list;
    };
    model.append(events(20, 22));
    model.insertBacklog(events(1, 19)); // room for two: the newest two of the older page
    QCOMPARE(model.rowCount(), 5);
    QCOMPARE(model.eventAt(0).id, quint64(18));
    QCOMPARE(model.eventAt(4).id, quint64(22));
    model.insertBacklog(events(1, 17)); // full: nothing more goes in
    QCOMPARE(model.rowCount(), 5);
    QCOMPARE(model.eventAt(0).id, quint64(18));
}

void tst_Dashboard::restartClosesWith4000AndClientsComeBack()
{
    QVERIFY(startServer());
    auto alice = loggedIn(QStringLiteral("alice"), QStringLiteral("r1"));
    auto bob = loggedIn(QStringLiteral("bob"), QStringLiteral("r2"));
    QVERIFY(alice && bob);
    QTRY_COMPARE(m_window->connectionsModel()->rowCount(), 2);
    QSignalSpy started(m_server->host(), &ServerHost::started);

    m_window->restartAction()->trigger();
    auto *dialog = qobject_cast<ConfirmDialog *>(waitForDialog());
    QVERIFY(dialog);
    QVERIFY(dialog->message().contains(QStringLiteral("4000")));
    QTest::keyClick(dialog, Qt::Key_Return);
    for (TestClient *c : {alice.get(), bob.get()}) {
        QVERIFY(c->waitForDisconnected());
        QCOMPARE(c->closeCode(), int(CloseCode::Restarting));
    }
    QVERIFY(started.count() > 0 || started.wait(10000));
    QVERIFY(started.last().at(0).toBool());
    // Same port, same sessions: the old tokens log in again.
    auto alice2 = loggedIn(QStringLiteral("alice"), QStringLiteral("r1"));
    QVERIFY(alice2);
    QTRY_COMPARE(m_window->connectionsModel()->rowCount(), 1);
    QTRY_VERIFY(m_window->windowTitle().contains(QStringLiteral("127.0.0.1")));
}

void tst_Dashboard::settingsDialogWritesFileAndReloads()
{
    QVERIFY(startServer());
    auto alice = loggedIn(QStringLiteral("alice"));
    QVERIFY(alice);
    m_window->settingsAction()->trigger();
    auto *dialog = qobject_cast<SettingsDialog *>(waitForDialog());
    QVERIFY(dialog);
    // No --config in this server: the dialog writes <data-dir>/warden.ini and reloads from it.
    const QString file = dialog->targetFile();
    QVERIFY(file.endsWith(QStringLiteral("/warden.ini")));
    QVERIFY(m_server->host()->configFile().isEmpty());
    dialog->idleTimeoutEdit()->setValue(120);
    dialog->secretEdit()->setText(QString::fromLatin1(ServerFixture::secret()));
    QSignalSpy reloaded(m_server->host(), &ServerHost::reloaded);
    QTest::mouseClick(dialog->saveButton(), Qt::LeftButton);
    QVERIFY(reloaded.wait());
    QVERIFY(reloaded.first().at(0).toBool());
    QTRY_VERIFY2(dialog->resultText().contains(QStringLiteral("Applied live: "))
                     && dialog->resultText().contains(QStringLiteral("session/idle_timeout")),
                 qPrintable(dialog->resultText()));
    // The main window says the same split.
    QTRY_VERIFY2(m_window->statusBar()->currentMessage().contains(QStringLiteral("Applied live: "))
                     && m_window->statusBar()->currentMessage().contains(
                         QStringLiteral("session/idle_timeout")),
                 qPrintable(m_window->statusBar()->currentMessage()));
    QCOMPARE(m_server->host()->configFile(), file);
    QCOMPARE(m_server->host()->config().idleTimeoutMs, 120000);
    QSettings ini(file, QSettings::IniFormat);
    QCOMPARE(ini.value(QStringLiteral("session/idle_timeout")).toString(), QStringLiteral("120"));
    // The change is live: alice's countdown now starts from two minutes.
    QTRY_VERIFY(m_window->connectionsModel()->rowCount() == 1
                && m_window->connectionsModel()->at(0).expiresAtMs
                           - QDateTime::currentMSecsSinceEpoch()
                       > 60000);
    QVERIFY(alice->isConnected());
}

void tst_Dashboard::settingsDialogRefusesBadValue()
{
    QVERIFY(startServer());
    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("warden.ini"));
    {
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("; operator notes\n[session]\nidle_timeout = 60\n");
    }
    m_server->host()->setConfigSource(file, {});
    m_window->settingsAction()->trigger();
    auto *dialog = qobject_cast<SettingsDialog *>(waitForDialog());
    QVERIFY(dialog);
    dialog->listenEdit()->setText(QStringLiteral("not-an-address:99"));
    QSignalSpy reloaded(m_server->host(), &ServerHost::reloaded);
    dialog->save();
    QVERIFY2(dialog->resultText().contains(QStringLiteral("[server] listen")),
             qPrintable(dialog->resultText()));
    QVERIFY(dialog->resultText().contains(file));
    QVERIFY(!reloaded.wait(300)); // nothing was applied
    QFile f(file);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), QByteArray("; operator notes\n[session]\nidle_timeout = 60\n"));
}

void tst_Dashboard::updateIniKeepsCommentsAndAddsKeys()
{
    const QString in = QStringLiteral("; top comment\n[server]\n; the address\nlisten = 1.2.3.4:5\n"
                                      "locale = zh_CN\n\n[log]\nformat = json\n");
    const QString out = SettingsDialog::updateIni(
        in, {{QStringLiteral("server/listen"), QStringLiteral("127.0.0.1:1215")},
             {QStringLiteral("server/data_dir"), QStringLiteral("/tmp/w")},
             {QStringLiteral("session/idle_timeout"), QStringLiteral("90")},
             {QStringLiteral("auth/jwt_secret"), QStringLiteral("a;b\"c, d")}});
    QCOMPARE(out, QStringLiteral("; top comment\n[server]\n; the address\nlisten = 127.0.0.1:1215\n"
                                 "locale = zh_CN\ndata_dir = /tmp/w\n\n[log]\nformat = json\n\n"
                                 "[auth]\njwt_secret = \"a;b\\\"c, d\"\n\n[session]\n"
                                 "idle_timeout = 90\n"));
    // QSettings (what the loader uses) reads the quoted secret back verbatim.
    QTemporaryDir dir;
    QFile f(dir.filePath(QStringLiteral("t.ini")));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(out.toUtf8());
    f.close();
    QSettings ini(f.fileName(), QSettings::IniFormat);
    QCOMPARE(ini.value(QStringLiteral("auth/jwt_secret")).toString(), QStringLiteral("a;b\"c, d"));
    QCOMPARE(ini.value(QStringLiteral("server/locale")).toString(), QStringLiteral("zh_CN"));
}

void tst_Dashboard::chineseTranslationOnActions()
{
    QVERIFY(Language::install(qApp, QStringLiteral("zh_CN")));
    QVERIFY(startServer());
    const QString text = m_window->forceLogoutAction()->text();
    QVERIFY2(text.contains(QStringLiteral("强制")), qPrintable(text));
    QVERIFY2(m_window->disconnectAction()->text().contains(QStringLiteral("断开")),
             qPrintable(m_window->disconnectAction()->text()));
    QVERIFY(m_window->logoutUserAction()->text() != QStringLiteral("Log out &user everywhere"));
    QVERIFY(m_window->connectionsModel()
                ->headerData(int(Column::ExpiresIn), Qt::Horizontal)
                .toString()
                .contains(QStringLiteral("过期")));
    // Back to English for whatever runs next.
    const QList<QTranslator *> translators = qApp->findChildren<QTranslator *>();
    for (QTranslator *t : translators) {
        QCoreApplication::removeTranslator(t);
        delete t;
    }
    QCOMPARE(QCoreApplication::translate("MainWindow", "&Disconnect"),
             QStringLiteral("&Disconnect"));
}

void tst_Dashboard::modelAppliesMixedBatches()
{
    // Random batches of updates, arrivals and departures against a plain map, with the sorted
    // proxy attached: the batched removal (tail rows moved into holes) must keep every index right.
    ConnectionTableModel model;
    ConnectionFilterProxy proxy;
    proxy.setConnectionModel(&model);
    proxy.sort(int(Column::MsgsIn), Qt::DescendingOrder);
    const auto mode = QAbstractItemModelTester::FailureReportingMode::QtTest;
    QAbstractItemModelTester modelTester(&model, mode);
    QAbstractItemModelTester proxyTester(&proxy, mode);
    QRandomGenerator rng(7);
    QMap<ConnectionId, quint64> expected;
    ConnectionId next = 1;
    for (int round = 0; round < 60; ++round) {
        ConnectionDelta delta;
        const QList<ConnectionId> ids = expected.keys();
        QSet<ConnectionId> removed;
        for (int i = 0; i < int(rng.bounded(8)) && !ids.isEmpty(); ++i) {
            const ConnectionId id = ids.at(rng.bounded(int(ids.size())));
            if (!removed.contains(id)) {
                removed.insert(id);
                delta.removed.append(id);
                expected.remove(id);
            }
        }
        for (int i = 0; i < int(rng.bounded(10)); ++i) {
            ConnectionInfo c;
            c.id = (expected.isEmpty() || rng.bounded(2))
                       ? next++
                       : expected.keys().at(rng.bounded(int(expected.size())));
            c.msgsIn = rng.bounded(50);
            c.socketState = 3;
            expected.insert(c.id, c.msgsIn);
            delta.upserts.append(c);
        }
        model.applyDelta(delta);
        QCOMPARE(model.rowCount(), int(expected.size()));
        for (auto it = expected.cbegin(); it != expected.cend(); ++it) {
            QVERIFY(model.byId(it.key()));
            QCOMPARE(model.byId(it.key())->msgsIn, it.value());
            QCOMPARE(model.at(model.rowOf(it.key())).id, it.key());
        }
        QCOMPARE(proxy.rowCount(), int(expected.size()));
        for (int row = 1; row < proxy.rowCount(); ++row)
            QVERIFY(proxy.index(row - 1, int(Column::MsgsIn))
                        .data(ConnectionTableModel::SortRole)
                        .toULongLong()
                    >= proxy.index(row, int(Column::MsgsIn))
                           .data(ConnectionTableModel::SortRole)
                           .toULongLong());
        QCOMPARE(model.socketStateCounts().value(3), int(expected.size()));
    }
}

void tst_Dashboard::largeBatchSignalsChangedRuns_data()
{
    QTest::addColumn<int>("runs");
    QTest::addColumn<int>("runLength");
    // Few runs: one dataChanged per run of adjacent rows. Many: one span over all of them.
    QTest::addRow("8 runs of 40 rows") << 8 << 40;
    QTest::addRow("300 scattered rows") << 300 << 1;
    QTest::addRow("64 runs of 5 rows") << 64 << 5;
}

void tst_Dashboard::largeBatchSignalsChangedRuns()
{
    // A batch that changes hundreds of rows, in random order: the model orders the changed rows
    // (a bitmap above 256) and signals them as runs, or as one span when there are too many runs.
    QFETCH(int, runs);
    QFETCH(int, runLength);
    ConnectionTableModel model;
    const int rows = 3000;
    ConnectionDelta fill;
    for (int i = 1; i <= rows; ++i) {
        ConnectionInfo c;
        c.id = ConnectionId(i);
        c.socketState = 3;
        fill.upserts.append(c);
    }
    model.applyDelta(fill);
    QRandomGenerator rng(quint32(runs * 1000 + runLength));
    QSet<int> changed; // rows, which are ids - 1 (sorted by id)
    while (changed.size() < runs * runLength) {
        const int start = int(rng.bounded(rows / runLength)) * runLength;
        bool free = true;
        for (int r = start - 1; r <= start + runLength; ++r)
            free = free && !changed.contains(r); // runs stay apart
        for (int r = start; r < start + runLength && free; ++r)
            changed.insert(r);
    }
    QList<int> order = changed.values();
    std::shuffle(order.begin(), order.end(), rng);
    ConnectionDelta delta;
    for (int row : std::as_const(order)) {
        ConnectionInfo c = model.at(row);
        c.msgsIn = 7; // not the sort key: nothing moves
        delta.upserts.append(c);
    }
    QSignalSpy spy(&model, &QAbstractItemModel::dataChanged);
    QSignalSpy layouts(&model, &QAbstractItemModel::layoutChanged);
    model.applyDelta(delta);
    QCOMPARE(layouts.count(), 0);
    QList<int> sorted = changed.values();
    std::sort(sorted.begin(), sorted.end());
    if (runs > 64) {
        QCOMPARE(spy.count(), 1);
        QCOMPARE(spy.at(0).at(0).toModelIndex().row(), sorted.first());
        QCOMPARE(spy.at(0).at(1).toModelIndex().row(), sorted.last());
    } else {
        QCOMPARE(spy.count(), runs);
        QList<int> signalled;
        for (const QList<QVariant> &args : std::as_const(spy)) {
            const int first = args.at(0).toModelIndex().row();
            const int last = args.at(1).toModelIndex().row();
            QCOMPARE(last - first + 1, runLength);
            for (int r = first; r <= last; ++r)
                signalled.append(r);
        }
        std::sort(signalled.begin(), signalled.end());
        QCOMPARE(signalled, sorted);
    }
    for (int row : std::as_const(sorted))
        QCOMPARE(model.at(row).msgsIn, quint64(7));
}

namespace {
// Rows of text that count the indexes a view asks for: what a walk over the rows costs.
class CountingModel final : public QAbstractTableModel
{
public:
    explicit CountingModel(int rows)
        : m_rows(rows)
    { }
    int rowCount(const QModelIndex &parent = {}) const override
    {
        return parent.isValid() ? 0 : m_rows;
    }
    int columnCount(const QModelIndex &parent = {}) const override
    {
        return parent.isValid() ? 0 : 3;
    }
    QVariant data(const QModelIndex &index, int role) const override
    {
        if (role != Qt::DisplayRole)
            return {};
        return QStringLiteral("r%1 c%2%3")
            .arg(index.row())
            .arg(index.column())
            .arg(index.row() == changedRow ? QStringLiteral(" changed") : QString());
    }
    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override
    {
        ++indexCalls;
        return QAbstractTableModel::index(row, column, parent);
    }
    void changeQuietly(int row) { changedRow = row; }
    mutable int indexCalls = 0;

private:
    int m_rows;
    int changedRow = -1;
};

// The regions of the paint events a widget gets.
class PaintRecorder final : public QObject
{
public:
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        if (event->type() == QEvent::Paint)
            painted += static_cast<QPaintEvent *>(event)->region();
        return QObject::eventFilter(watched, event);
    }
    QRegion painted;
    bool covers(const QRect &rect) const { return (QRegion(rect) - painted).isEmpty(); }
};
} // namespace

void tst_Dashboard::groupTreeRepaintsWideSpansWithoutWalkingThem()
{
    // A batch in which no session moved ends in one dataChanged over every session row. The
    // grouped tree must repaint what it shows without walking the rows above it.
    const int rows = 4000;
    CountingModel model(rows);
    ConnectionTreeView view;
    view.setUniformRowHeights(true);
    view.setModel(&model);
    view.resize(420, 300);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.scrollTo(model.index(rows / 2, 0), QAbstractItemView::PositionAtTop);
    PaintRecorder recorder;
    view.viewport()->installEventFilter(&recorder);
    QTRY_VERIFY(!recorder.painted.isEmpty()); // the scroll's repaint

    // A wide span: the whole viewport repainted, a handful of indexes asked for.
    recorder.painted = QRegion();
    model.indexCalls = 0;
    const QRect shownRow = view.visualRect(model.index(rows / 2 + 1, 0));
    model.changeQuietly(rows / 2 + 1);
    Q_EMIT model.dataChanged(model.index(0, 0), model.index(rows - 1, 2));
    const int asked = model.indexCalls;
    QTRY_VERIFY(recorder.covers(view.viewport()->rect()));
    QVERIFY2(asked < ConnectionTreeView::WideSpan,
             qPrintable(QStringLiteral("%1 indexes asked for").arg(asked)));

    // A narrow span keeps QTreeView's own handling: only the rows it covers.
    view.viewport()->repaint(); // nothing pending
    recorder.painted = QRegion();
    Q_EMIT model.dataChanged(model.index(rows / 2 + 1, 0), model.index(rows / 2 + 1, 2));
    QTRY_VERIFY(recorder.covers(shownRow));
    QVERIFY(!recorder.covers(view.viewport()->rect()));
}

void tst_Dashboard::groupModelFollowsRandomBatches()
{
    // The grouped view is updated in place (numbers per group kept across batches, one layout
    // change with persistent indexes moved): after every random batch of updates, arrivals,
    // departures, logins and session changes, under a changing sort and filter, it must equal a
    // grouping built from scratch out of the proxy, and persistent indexes must follow their
    // session or connection.
    ConnectionTableModel model;
    ConnectionFilterProxy proxy;
    proxy.setConnectionModel(&model);
    ConnectionGroupModel groups;
    groups.setSourceModel(&proxy);
    const auto mode = QAbstractItemModelTester::FailureReportingMode::QtTest;
    QAbstractItemModelTester tester(&groups, mode);
    QTreeView tree; // a real view on top: its relayout reads the moved structure
    tree.setModel(&groups);
    groups.setEnabled(true);
    QRandomGenerator rng(15);
    QMap<ConnectionId, ConnectionInfo> live;
    ConnectionId next = 1;
    int mostGroups = 0;
    const auto sessionOf = [](const ConnectionInfo &c) {
        return c.authenticated ? c.sessionId : QString();
    };
    for (int round = 0; round < 80; ++round) {
        // Persistent indexes as a view keeps them: a group and a connection inside one.
        QPersistentModelIndex keptGroup, keptChild;
        QString keptSession;
        ConnectionId keptId = 0;
        const bool haveGroup = groups.rowCount() > 0;
        if (haveGroup) {
            keptGroup = groups.index(int(rng.bounded(groups.rowCount())), 0);
            keptSession = groups.groupAt(keptGroup)->sessionId;
            tree.setExpanded(keptGroup, true);
            keptChild = groups.index(0, 1, keptGroup);
            keptId = groups.connectionAt(keptChild);
        }
        ConnectionDelta delta;
        const QList<ConnectionId> ids = live.keys();
        QSet<ConnectionId> gone;
        for (int i = 0; i < int(rng.bounded(6)) && !ids.isEmpty(); ++i) {
            const ConnectionId id = ids.at(rng.bounded(int(ids.size())));
            if (!gone.contains(id)) {
                gone.insert(id);
                delta.removed.append(id);
                live.remove(id);
            }
        }
        for (int i = 0; i < int(rng.bounded(12)); ++i) {
            ConnectionInfo c;
            if (live.isEmpty() || rng.bounded(3) == 0) {
                c.id = next++;
            } else {
                c = live.value(live.keys().at(rng.bounded(int(live.size()))));
                if (gone.contains(c.id))
                    continue;
            }
            c.msgsIn = rng.bounded(50);
            c.socketState = 3;
            if (rng.bounded(4) == 0) { // a login, a logout or another session
                c.authenticated = rng.bounded(5) != 0;
                c.user = c.authenticated ? QStringLiteral("u%1").arg(rng.bounded(4)) : QString();
                c.sessionId
                    = c.authenticated ? QStringLiteral("s%1").arg(rng.bounded(12)) : QString();
            }
            live.insert(c.id, c);
            delta.upserts.append(c);
        }
        model.applyDelta(delta);
        if (round % 10 == 3)
            proxy.sort(rng.bounded(2) ? int(Column::MsgsIn) : int(Column::Id),
                       rng.bounded(2) ? Qt::AscendingOrder : Qt::DescendingOrder);
        if (round % 10 == 6)
            proxy.setLoggedInOnly(!proxy.loggedInOnly());
        groups.refresh(); // what the zero timer after the batch does
        tree.doItemsLayout();

        // From scratch: groups in the order of their first shown connection.
        QStringList order;
        QHash<QString, QList<ConnectionId>> children;
        for (int row = 0; row < proxy.rowCount(); ++row) {
            const ConnectionId id
                = proxy.index(row, 0).data(ConnectionTableModel::ConnectionIdRole).toULongLong();
            const QString sid = sessionOf(live.value(id));
            if (!children.contains(sid))
                order.append(sid);
            children[sid].append(id);
        }
        QCOMPARE(groups.rowCount(), int(order.size()));
        mostGroups = qMax(mostGroups, groups.rowCount());
        for (int g = 0; g < order.size(); ++g) {
            const QModelIndex gi = groups.index(g, 0);
            const ConnectionGroupModel::Group *group = groups.groupAt(gi);
            QVERIFY(group);
            QCOMPARE(group->sessionId, order.at(g));
            QCOMPARE(groups.indexOfSession(order.at(g)), gi);
            const QList<ConnectionId> &ids = children.value(order.at(g));
            QCOMPARE(groups.rowCount(gi), int(ids.size()));
            quint64 msgs = 0;
            for (int c = 0; c < ids.size(); ++c) {
                QCOMPARE(groups.connectionAt(groups.index(c, 0, gi)), ids.at(c));
                QCOMPARE(groups.indexOfConnection(ids.at(c)), groups.index(c, 0, gi));
                msgs += live.value(ids.at(c)).msgsIn;
            }
            QCOMPARE(group->msgsIn, msgs);
            QCOMPARE(gi.siblingAtColumn(int(Column::MsgsIn)).data().toString(),
                     QString::number(msgs));
        }
        if (haveGroup) {
            const QModelIndex now = groups.indexOfSession(keptSession);
            QCOMPARE(QModelIndex(keptGroup), now);
            if (now.isValid())
                QVERIFY(tree.isExpanded(now));
        }
        if (keptId) {
            const QModelIndex now = groups.indexOfConnection(keptId);
            QCOMPARE(QModelIndex(keptChild).siblingAtColumn(0), now);
        }
    }
    QVERIFY(mostGroups >= 6); // the run grouped something
}

void tst_Dashboard::clickHeader(Column column)
{
    QHeaderView *header = m_window->connectionsView()->horizontalHeader();
    const int section = int(column);
    QTest::mouseClick(
        header->viewport(), Qt::LeftButton, {},
        QPoint(header->sectionViewportPosition(section) + header->sectionSize(section) / 2,
               header->height() / 2));
}

ConnectionId tst_Dashboard::idAt(int proxyRow) const
{
    return m_window->connectionsProxy()
        ->index(proxyRow, 0)
        .data(ConnectionTableModel::ConnectionIdRole)
        .value<quint64>();
}

void tst_Dashboard::modelKeepsSortOrderThroughBatches_data()
{
    QTest::addColumn<int>("column");
    QTest::addColumn<Qt::SortOrder>("order");
    QTest::addColumn<QString>("filter");
    QTest::addRow("id ascending") << int(Column::Id) << Qt::AscendingOrder << QString();
    QTest::addRow("id descending") << int(Column::Id) << Qt::DescendingOrder << QString();
    QTest::addRow("expires in") << int(Column::ExpiresIn) << Qt::AscendingOrder << QString();
    QTest::addRow("expires in, filtered")
        << int(Column::ExpiresIn) << Qt::AscendingOrder << QStringLiteral("U1");
    QTest::addRow("user") << int(Column::User) << Qt::AscendingOrder << QString();
    QTest::addRow("user descending, filtered")
        << int(Column::User) << Qt::DescendingOrder << QStringLiteral("s-2");
    QTest::addRow("msgs in descending") << int(Column::MsgsIn) << Qt::DescendingOrder << QString();
    QTest::addRow("peer") << int(Column::Peer) << Qt::AscendingOrder << QString();
}

void tst_Dashboard::modelKeepsSortOrderThroughBatches()
{
    // Random batches that change sort keys, add and remove rows, against a plain map: the model
    // keeps its rows sorted itself (the proxy only filters), the filter sees changed rows, and a
    // persistent index (what a selection holds) follows its connection.
    QFETCH(int, column);
    QFETCH(Qt::SortOrder, order);
    QFETCH(QString, filter);
    ConnectionTableModel model;
    ConnectionFilterProxy proxy;
    proxy.setConnectionModel(&model);
    proxy.setText(filter);
    proxy.sort(column, order);
    QCOMPARE(model.sortColumn(), column); // the proxy itself does not sort
    const auto mode = QAbstractItemModelTester::FailureReportingMode::QtTest;
    QAbstractItemModelTester modelTester(&model, mode);
    QAbstractItemModelTester proxyTester(&proxy, mode);
    QRandomGenerator rng(1215 + quint32(column));
    QMap<ConnectionId, ConnectionInfo> expected;
    ConnectionId next = 1;
    auto randomRow = [&](ConnectionId id) {
        return randomConnection(rng, id, {4, QStringLiteral("u%1"), 6, 9, 0, 40000});
    };
    auto matches = [&](const ConnectionInfo &c) {
        const QString f = filter.toLower();
        return f.isEmpty() || c.user.toLower().contains(f) || c.sessionId.toLower().contains(f)
               || c.peer.contains(f);
    };
    ConnectionId tracked = 0;
    QPersistentModelIndex trackedIndex;
    for (int round = 0; round < 80; ++round) {
        ConnectionDelta delta;
        const QList<ConnectionId> ids = expected.keys();
        for (int i = 0; i < int(rng.bounded(6)) && !ids.isEmpty(); ++i) {
            const ConnectionId id = ids.at(rng.bounded(int(ids.size())));
            if (id != tracked && expected.remove(id))
                delta.removed.append(id);
        }
        for (int i = 0; i < int(rng.bounded(12)); ++i) {
            const bool update = !expected.isEmpty() && rng.bounded(3) != 0;
            ConnectionInfo c;
            if (update) {
                c = expected.value(expected.keys().at(rng.bounded(int(expected.size()))));
                switch (rng.bounded(4)) {
                case 0:
                    c.msgsIn += rng.bounded(5);
                    break;
                case 1:
                    if (c.authenticated)
                        c.expiresAtMs += 1000 * rng.bounded(20);
                    break;
                case 2:
                    c = randomRow(c.id); // logs in or out, another user, peer
                    break;
                default:
                    break; // unchanged
                }
            } else {
                c = randomRow(next++);
            }
            expected.insert(c.id, c);
            delta.upserts.append(c);
        }
        model.applyDelta(delta);

        QCOMPARE(model.rowCount(), int(expected.size()));
        for (int row = 0; row < model.rowCount(); ++row) {
            QCOMPARE(model.rowOf(model.at(row).id), row);
            QCOMPARE(model.at(row).msgsIn, expected.value(model.at(row).id).msgsIn);
        }
        for (int row = 1; row < model.rowCount(); ++row) {
            const ConnectionInfo &a = model.at(order == Qt::AscendingOrder ? row - 1 : row);
            const ConnectionInfo &b = model.at(order == Qt::AscendingOrder ? row : row - 1);
            const auto col = Column(column);
            QVERIFY2(ConnectionTableModel::lessThan(a, b, col)
                         || (!ConnectionTableModel::lessThan(b, a, col) && a.id < b.id),
                     qPrintable(QStringLiteral("round %1, row %2").arg(round).arg(row)));
        }
        int shown = 0;
        for (const ConnectionInfo &c : std::as_const(expected))
            shown += matches(c);
        QCOMPARE(proxy.rowCount(), shown);
        for (int row = 1; row < proxy.rowCount(); ++row) // the proxy keeps the source order
            QVERIFY(proxy.mapToSource(proxy.index(row - 1, 0)).row()
                    < proxy.mapToSource(proxy.index(row, 0)).row());

        if (tracked && trackedIndex.isValid()) {
            QCOMPARE(trackedIndex.data(ConnectionTableModel::ConnectionIdRole).value<quint64>(),
                     tracked);
        } else if (proxy.rowCount() > 0) {
            trackedIndex = proxy.index(int(rng.bounded(proxy.rowCount())), 0);
            tracked = trackedIndex.data(ConnectionTableModel::ConnectionIdRole).value<quint64>();
        }
        if (tracked && !trackedIndex.isValid())
            tracked = 0; // filtered out by its own change: choose another
    }
    QVERIFY(next > 60); // the rounds did add rows
}

void tst_Dashboard::filterProxyMatchesItsFilterThroughBatches()
{
    // The filter proxy maps rows itself (identity without a filter, a row list with one). After
    // every random batch (updates, logins, warnings, arrivals, departures, re-sorts) and every
    // filter change, its rows must be exactly the matching rows in the table's order, each
    // mapped both ways; its signals must satisfy the model tester; and persistent indexes (what
    // selections hold) must follow their connection, or turn invalid exactly when it is hidden
    // or gone.
    ConnectionTableModel model;
    ConnectionFilterProxy proxy;
    proxy.setConnectionModel(&model);
    const auto mode = QAbstractItemModelTester::FailureReportingMode::QtTest;
    QAbstractItemModelTester tester(&proxy, mode);
    QSignalSpy layouts(&proxy, &QAbstractItemModel::layoutChanged);
    QRandomGenerator rng(2026);
    QMap<ConnectionId, ConnectionInfo> live;
    ConnectionId next = 1;
    auto randomRow = [&](ConnectionId id) {
        return randomConnection(rng, id, {3, QStringLiteral("User%1"), 5, 12, 4, 9000});
    };
    QString text;
    bool loggedInOnly = false;
    bool expiringOnly = false;
    QString user;
    auto shows = [&](const ConnectionInfo &c) {
        if (loggedInOnly && !c.authenticated)
            return false;
        if (expiringOnly && !c.warned)
            return false;
        if (!user.isEmpty() && (!c.authenticated || c.user != user))
            return false;
        const QString t = text.toLower();
        return t.isEmpty() || QString::number(c.id) == text
               || (c.user + QLatin1Char('\n') + c.sessionId + QLatin1Char('\n') + c.peer)
                      .toLower()
                      .contains(t);
    };
    struct Tracked
    {
        ConnectionId id = 0;
        QPersistentModelIndex index;
    };
    std::vector<Tracked> tracked;
    auto check = [&](const QString &when) {
        const QByteArray what = when.toUtf8();
        std::vector<ConnectionId> want;
        for (int row = 0; row < model.rowCount(); ++row) {
            const bool shown = shows(model.at(row));
            if (shown)
                want.push_back(model.at(row).id);
            QVERIFY2(proxy.showsSourceRow(row) == shown, what.constData());
            QVERIFY2(proxy.mapFromSource(model.index(row, 1)).isValid() == shown, what.constData());
        }
        QVERIFY2(proxy.rowCount() == int(want.size()), what.constData());
        for (int row = 0; row < proxy.rowCount(); ++row) {
            const QModelIndex i = proxy.index(row, 2);
            QVERIFY2(i.data(ConnectionTableModel::ConnectionIdRole).value<quint64>()
                         == want[size_t(row)],
                     what.constData());
            QVERIFY2(proxy.mapFromSource(proxy.mapToSource(i)) == i, what.constData());
        }
        for (Tracked &t : tracked) {
            const bool visible = live.contains(t.id) && shows(live.value(t.id));
            QVERIFY2(t.index.isValid() == visible, what.constData());
            if (visible)
                QVERIFY2(t.index.data(ConnectionTableModel::ConnectionIdRole).value<quint64>()
                             == t.id,
                         what.constData());
        }
        // Keep three tracked indexes: replace the ones that went.
        tracked.erase(std::remove_if(tracked.begin(), tracked.end(),
                                     [](const Tracked &t) { return !t.index.isValid(); }),
                      tracked.end());
        while (tracked.size() < 3 && proxy.rowCount() > 0) {
            const QModelIndex i = proxy.index(int(rng.bounded(proxy.rowCount())), 0);
            tracked.push_back({i.data(ConnectionTableModel::ConnectionIdRole).value<quint64>(),
                               QPersistentModelIndex(i)});
        }
    };

    const QStringList texts = {QString(),
                               QStringLiteral("user1"),
                               QStringLiteral("S-1"),
                               QStringLiteral("127.0.0.2"),
                               QStringLiteral("7"),
                               QStringLiteral("nomatch")};
    for (int round = 0; round < 150; ++round) {
        switch (rng.bounded(8)) { // a filter change in about half of the rounds
        case 0:
            text = texts.at(rng.bounded(int(texts.size())));
            proxy.setText(text);
            break;
        case 1:
            loggedInOnly = !loggedInOnly;
            proxy.setLoggedInOnly(loggedInOnly);
            break;
        case 2:
            expiringOnly = rng.bounded(3) == 0;
            proxy.setExpiringOnly(expiringOnly);
            break;
        case 3:
            user = rng.bounded(2) ? QString() : QStringLiteral("User%1").arg(rng.bounded(5));
            proxy.setUser(user);
            break;
        default:
            break;
        }
        check(QStringLiteral("round %1, filter changed").arg(round));
        if (rng.bounded(10) == 0) {
            const int column = rng.bounded(2) ? int(Column::MsgsIn) : int(Column::User);
            proxy.sort(column, rng.bounded(2) ? Qt::AscendingOrder : Qt::DescendingOrder);
            check(QStringLiteral("round %1, sorted").arg(round));
        }
        ConnectionDelta delta;
        const QList<ConnectionId> ids = live.keys();
        for (int i = 0; i < int(rng.bounded(6)) && !ids.isEmpty(); ++i) {
            const ConnectionId id = ids.at(rng.bounded(int(ids.size())));
            if (live.remove(id))
                delta.removed.append(id);
        }
        for (int i = 0; i < int(rng.bounded(14)); ++i) {
            ConnectionInfo c;
            if (!live.isEmpty() && rng.bounded(3) != 0) {
                c = live.value(live.keys().at(rng.bounded(int(live.size()))));
                switch (rng.bounded(4)) {
                case 0:
                    c.msgsIn += 1 + rng.bounded(5);
                    break;
                case 1:
                    c.warned = !c.warned && c.authenticated;
                    break;
                case 2:
                    c = randomRow(c.id); // logs in or out, another user, peer
                    break;
                default:
                    break;
                }
            } else {
                c = randomRow(next++);
            }
            live.insert(c.id, c);
            delta.upserts.append(c);
        }
        model.applyDelta(delta);
        check(QStringLiteral("round %1, batch").arg(round));
    }
    QVERIFY2(next > 150, qPrintable(QString::number(next))); // the rounds did add rows
    QVERIFY2(layouts.size() > 50,
             qPrintable(QString::number(
                 layouts.size()))); // filter changes and flips came as layout changes
}

void tst_Dashboard::headerClickSortsAndSelectionFollows()
{
    QVERIFY(startServer());
    auto alice = loggedIn(QStringLiteral("alice"), QStringLiteral("s-a"));
    auto bob = loggedIn(QStringLiteral("bob"), QStringLiteral("s-b"));
    auto carol = loggedIn(QStringLiteral("carol"), QStringLiteral("s-c"));
    QVERIFY(alice && bob && carol);
    QAbstractItemModel *proxy = m_window->connectionsProxy();
    ConnectionTableModel *model = m_window->connectionsModel();
    QTRY_COMPARE(proxy->rowCount(), 3);
    QVERIFY(idAt(0) < idAt(1) && idAt(1) < idAt(2)); // the default: by id

    clickHeader(Column::Id); // the same column again: descending
    QCOMPARE(m_window->connectionsView()->horizontalHeader()->sortIndicatorOrder(),
             Qt::DescendingOrder);
    QVERIFY(idAt(0) > idAt(1) && idAt(1) > idAt(2));

    clickHeader(Column::ExpiresIn);
    if (m_window->connectionsView()->horizontalHeader()->sortIndicatorOrder() != Qt::AscendingOrder)
        clickHeader(Column::ExpiresIn);
    QCOMPARE(model->sortColumn(), int(Column::ExpiresIn));
    QCOMPARE(model->sortOrder(), Qt::AscendingOrder);
    auto deadline = [&](int row) {
        return model->byId(idAt(row))->expiresAtMs;
    };
    QVERIFY(deadline(0) <= deadline(1) && deadline(1) <= deadline(2));

    // Select the first session, then move its deadline past the others: the row moves to the
    // end, and the selection (and what the actions act on) goes with it.
    QTableView *view = m_window->connectionsView();
    view->setFocus();
    view->selectRow(0);
    const ConnectionId first = idAt(0);
    const QString sid = model->byId(first)->sessionId;
    const QString user = model->byId(first)->user;
    QSignalSpy layout(proxy, &QAbstractItemModel::layoutChanged);
    m_server->host()->extendSession(sid, QStringLiteral("test"));
    QTRY_COMPARE(idAt(2), first);
    QVERIFY(!layout.isEmpty());
    QVERIFY(deadline(1) <= deadline(2));
    const QModelIndexList selected = view->selectionModel()->selectedRows();
    QCOMPARE(selected.size(), 1);
    QCOMPARE(selected.first().row(), 2);
    QCOMPARE(selected.first().data(ConnectionTableModel::ConnectionIdRole).value<quint64>(), first);

    QTest::keySequence(view, m_window->disconnectAction()->shortcut());
    TestClient *target = user == QStringLiteral("alice") ? alice.get()
                         : user == QStringLiteral("bob") ? bob.get()
                                                         : carol.get();
    QVERIFY(target->waitForDisconnected());
    QCOMPARE(target->closeCode(), int(CloseCode::Disconnected));
    for (TestClient *c : {alice.get(), bob.get(), carol.get()})
        if (c != target)
            QVERIFY(c->roundTrip() && c->isConnected());
    QTRY_COMPARE(proxy->rowCount(), 2);
}

void tst_Dashboard::groupBySessionActsOnSessions()
{
    QVERIFY(startServer());
    auto a1 = loggedIn(QStringLiteral("alice"), QStringLiteral("a1"));
    auto a1b = loggedIn(QStringLiteral("alice"), QStringLiteral("a1"));
    auto a2 = loggedIn(QStringLiteral("alice"), QStringLiteral("a2"));
    auto bob = loggedIn(QStringLiteral("bob"), QStringLiteral("b1"));
    TestClient anonymous;
    QVERIFY(a1 && a1b && a2 && bob && anonymous.open(m_server->url()));
    QTRY_COMPARE(m_window->connectionsProxy()->rowCount(), 5);

    ConnectionGroupModel *groups = m_window->groupModel();
    QTreeView *tree = m_window->groupView();
    QVERIFY(!tree->isVisible());
    QCOMPARE(groups->rowCount(), 0); // nothing is built while the table is shown
    QTest::keySequence(m_window.get(), m_window->groupBySessionAction()->shortcut());
    QVERIFY(m_window->groupBySessionAction()->isChecked());
    QVERIFY(tree->isVisible());
    QVERIFY(!m_window->connectionsView()->isVisible());
    QTRY_COMPARE(groups->rowCount(), 4); // a1, a2, b1 and the connection not logged in

    const QModelIndex g1 = groups->indexOfSession(QStringLiteral("a1"));
    QVERIFY(g1.isValid());
    QCOMPARE(groups->rowCount(g1), 2);
    QCOMPARE(g1.data(ConnectionGroupModel::ConnectionCountRole).toInt(), 2);
    QCOMPARE(g1.siblingAtColumn(int(Column::Id)).data().toString(),
             QStringLiteral("Connections: 2"));
    QCOMPARE(g1.siblingAtColumn(int(Column::User)).data().toString(), QStringLiteral("alice"));
    const QString expires = g1.siblingAtColumn(int(Column::ExpiresIn)).data().toString();
    QVERIFY2(expires.endsWith(QLatin1Char('s')), qPrintable(expires));
    QCOMPARE(groups->rowCount(groups->indexOfSession(QString())), 1);
    QCOMPARE(groups->indexOfSession(QString()).siblingAtColumn(int(Column::User)).data().toString(),
             QStringLiteral("(not logged in)"));

    // The tree's header sorts through the table: groups follow the table's order.
    QHeaderView *header = tree->header();
    const int userSection = int(Column::User);
    QTest::mouseClick(
        header->viewport(), Qt::LeftButton, {},
        QPoint(header->sectionViewportPosition(userSection) + header->sectionSize(userSection) / 2,
               header->height() / 2));
    QCOMPARE(m_window->connectionsModel()->sortColumn(), userSection);
    QCOMPARE(m_window->connectionsView()->horizontalHeader()->sortIndicatorSection(), userSection);
    const Qt::SortOrder order = header->sortIndicatorOrder();
    QTRY_COMPARE(groups->index(0, 0).data(ConnectionTableModel::UserRole).toString(),
                 order == Qt::AscendingOrder ? QString() : QStringLiteral("bob"));
    QCOMPARE(groups->index(3, 0).data(ConnectionTableModel::UserRole).toString(),
             order == Qt::AscendingOrder ? QStringLiteral("bob") : QString());

    // Extend on a session row.
    tree->setFocus();
    tree->setCurrentIndex(groups->indexOfSession(QStringLiteral("b1")));
    QVERIFY(m_window->extendAction()->isEnabled());
    QVERIFY(!m_window->disconnectAction()->text().isEmpty());
    const ConnectionInfo *bobRow = nullptr;
    for (int row = 0; row < m_window->connectionsModel()->rowCount(); ++row)
        if (m_window->connectionsModel()->at(row).sessionId == QStringLiteral("b1"))
            bobRow = &m_window->connectionsModel()->at(row);
    QVERIFY(bobRow);
    const ConnectionId bobId = bobRow->id;
    const qint64 bobDeadline = bobRow->expiresAtMs;
    QTest::keySequence(tree, m_window->extendAction()->shortcut());
    QVERIFY(bob->waitForEvent(QStringLiteral("extended"), 3000) >= 0);
    QTRY_VERIFY(m_window->connectionsModel()->byId(bobId)->expiresAtMs > bobDeadline);
    // The rebuilt groups keep the session selected.
    QTRY_VERIFY(groups->groupAt(tree->currentIndex())
                && groups->groupAt(tree->currentIndex())->sessionId == QStringLiteral("b1"));

    // Delete then Enter on a session row: both tabs of a1 are kicked, a2 stays.
    tree->setCurrentIndex(groups->indexOfSession(QStringLiteral("a1")));
    QTest::keyClick(tree, Qt::Key_Delete);
    auto *dialog = qobject_cast<ConfirmDialog *>(waitForDialog());
    QVERIFY(dialog);
    QVERIFY2(dialog->message().contains(QStringLiteral("a1")), qPrintable(dialog->message()));
    QTest::keyClick(dialog->reasonEdit(), Qt::Key_Return);
    for (TestClient *c : {a1.get(), a1b.get()}) {
        QVERIFY(c->waitForDisconnected());
        QCOMPARE(c->closeCode(), int(CloseCode::Kicked));
    }
    QVERIFY(a2->roundTrip() && a2->isConnected());
    QTRY_VERIFY(!groups->indexOfSession(QStringLiteral("a1")).isValid());

    // Disconnect on a session row closes each of its connections (4002); the session stays.
    auto a2b = loggedIn(QStringLiteral("alice"), QStringLiteral("a2"));
    QVERIFY(a2b);
    QTRY_COMPARE(groups->rowCount(groups->indexOfSession(QStringLiteral("a2"))), 2);
    // Window shortcuts need the window active again after the dialog.
    m_window->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    tree->setCurrentIndex(groups->indexOfSession(QStringLiteral("a2")));
    QTest::keySequence(tree, m_window->disconnectAction()->shortcut());
    for (TestClient *c : {a2.get(), a2b.get()}) {
        QVERIFY(c->waitForDisconnected());
        QCOMPARE(c->closeCode(), int(CloseCode::Disconnected));
    }
    QVERIFY(bob->roundTrip() && bob->isConnected());
    QTRY_VERIFY(m_window->statusBar()->currentMessage().contains(
        QStringLiteral("Connections disconnected: 2")));

    // A connection row inside a group acts on that connection only; back to the table keeps it
    // selected.
    const QModelIndex b1 = groups->indexOfSession(QStringLiteral("b1"));
    tree->expand(b1);
    tree->setCurrentIndex(groups->index(0, 0, b1));
    QCOMPARE(groups->connectionAt(tree->currentIndex()), bobId);
    QTest::keySequence(m_window.get(), m_window->groupBySessionAction()->shortcut());
    QVERIFY(m_window->connectionsView()->isVisible());
    QCOMPARE(groups->rowCount(), 0);
    const QModelIndexList selected = m_window->connectionsView()->selectionModel()->selectedRows();
    QCOMPARE(selected.size(), 1);
    QCOMPARE(selected.first().data(ConnectionTableModel::ConnectionIdRole).value<quint64>(), bobId);
}

void tst_Dashboard::clusterIndicatorScopeAndRemoteRows()
{
    RedisServer redis;
    QVERIFY2(redis.start(), "redis-server did not start (bash .ci/setup installs it)");
    ServerConfig config = m_server->defaultConfig();
    config.clusterRedis = redis.url();
    config.clusterNodeId = QStringLiteral("dash");
    config.clusterPrefix = QStringLiteral("dash:");
    QVERIFY(startServer(config));
    QLabel *indicator = m_window->clusterLabel();
    QTRY_VERIFY_WITH_TIMEOUT(
        indicator->isVisible() && indicator->text() == QLatin1String("Cluster: 1 node(s)"), 10000);
    QVERIFY(indicator->styleSheet().isEmpty());
    QVERIFY(m_window->clusterScopeAction()->isVisible());
    QVERIFY(!m_window->connectionsView()->isColumnHidden(int(Column::Node)));
    // Right after the id: ids are per node.
    QCOMPARE(m_window->connectionsView()->horizontalHeader()->visualIndex(int(Column::Node)), 1);

    // A second node: a headless Warden on the same Redis, with one logged-in tab.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString ini = dir.filePath(QStringLiteral("other.ini"));
    QFile f(ini);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("[server]\nlisten = 127.0.0.1:0\n[auth]\njwt_secret = " + ServerFixture::secret()
            + "\n[cluster]\nredis = " + redis.url().toUtf8()
            + "\nnode_id = other\nprefix = dash:\n");
    f.close();
    ChildWarden other({QStringLiteral("--no-gui"), QStringLiteral("--config"), ini,
                       QStringLiteral("--data-dir"), dir.filePath(QStringLiteral("data")),
                       QStringLiteral("--log-format"), QStringLiteral("json")});
    const quint16 otherPort = other.port();
    QVERIFY(otherPort);
    QCOMPARE(other.waitFor(QStringLiteral("cluster"), 1, 10000).value(QStringLiteral("state")),
             QJsonValue(QStringLiteral("up")));
    TestClient rhea;
    QVERIFY(rhea.open(QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(otherPort))));
    rhea.loginCheck(m_server->token(QStringLiteral("rhea"), QStringLiteral("s-rhea")));
    const int reply = rhea.waitForEvent(QStringLiteral("message"));
    QVERIFY(reply >= 0);
    QCOMPARE(rhea.frames().at(reply).data.toObject().value(QStringLiteral("code")).toInt(), 200);
    auto lou = loggedIn(QStringLiteral("lou"), QStringLiteral("s-lou"));
    QVERIFY(lou);
    QTRY_COMPARE_WITH_TIMEOUT(indicator->text(), QStringLiteral("Cluster: 2 node(s)"), 10000);

    // "This node" shows this node's rows only; "Whole cluster" adds the other node's, each row
    // naming its node.
    const auto rowOf = [this](const QString &user) {
        QAbstractItemModel *proxy = m_window->connectionsProxy();
        for (int row = 0; row < proxy->rowCount(); ++row) {
            if (proxy->index(row, 0).data(ConnectionTableModel::UserRole).toString() == user)
                return row;
        }
        return -1;
    };
    QTRY_VERIFY(rowOf(QStringLiteral("lou")) >= 0);
    QCOMPARE(rowOf(QStringLiteral("rhea")), -1);
    QCOMPARE(cell(rowOf(QStringLiteral("lou")), Column::Node), QStringLiteral("dash"));
    m_window->clusterScope()->setCurrentIndex(1);
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(QStringLiteral("rhea")) >= 0, 10000);
    QCOMPARE(cell(rowOf(QStringLiteral("rhea")), Column::Node), QStringLiteral("other"));
    QCOMPARE(cell(rowOf(QStringLiteral("rhea")), Column::Session), QStringLiteral("s-rhea"));
    QCOMPARE(cell(rowOf(QStringLiteral("lou")), Column::Node), QStringLiteral("dash"));

    // Disconnect on the other node's row: that node closes it with 4002.
    QVERIFY(selectUser(QStringLiteral("rhea")) >= 0);
    QVERIFY(m_window->disconnectAction()->isEnabled());
    m_window->disconnectAction()->trigger();
    QVERIFY(rhea.waitForDisconnected(10000));
    QCOMPARE(rhea.closeCode(), int(CloseCode::Disconnected));
    QVERIFY(lou->isConnected());
    // Its row leaves with the next refresh; back to "This node", no row of another node stays.
    QTRY_COMPARE_WITH_TIMEOUT(rowOf(QStringLiteral("rhea")), -1, 10000);
    m_window->clusterScope()->setCurrentIndex(0);
    for (int row = 0; row < m_window->connectionsProxy()->rowCount(); ++row)
        QVERIFY(m_window->connectionsProxy()
                    ->index(row, 0)
                    .data(ConnectionTableModel::NodeRole)
                    .toString()
                    .isEmpty());

    // An action while the other node cannot answer (stopped): the result names it.
    other.signal(SIGSTOP);
    QVERIFY(selectUser(QStringLiteral("lou")) >= 0);
    // Every message the status bar shows, so that a later one cannot hide the result.
    QSignalSpy messages(m_window->statusBar(), &QStatusBar::messageChanged);
    const auto resultShown = [&] {
        for (const QList<QVariant> &m : messages) {
            const QString text = m.at(0).toString();
            if (text.contains(QLatin1String("(no answer from other: not counted)")))
                return text.startsWith(QLatin1String("Session s-lou"));
        }
        return false;
    };
    m_window->extendAction()->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(resultShown(), 10000);
    other.signal(SIGCONT);

    // Redis gone: the indicator turns red and says so.
    QVERIFY(redis.stop());
    QTRY_COMPARE_WITH_TIMEOUT(indicator->text(), QStringLiteral("Cluster: Redis unreachable"),
                              10000);
    QVERIFY(indicator->styleSheet().contains(QLatin1String("#b00020")));
    QVERIFY(lou->isConnected());
}

QTEST_MAIN(tst_Dashboard)
#include "tst_dashboard.moc"
