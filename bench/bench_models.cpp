// SPDX-License-Identifier: MIT
// The dashboard's connection table at scale: 100,000 rows in ConnectionTableModel behind its
// sorting/filtering proxy and a QTableView, then bursts of 10,000 changes (updates plus some
// arrivals and departures, as the server's 250 ms snapshot deltas bring them). Prints the
// GUI-thread time per batch and per countdown tick, for several sort columns, with a text
// filter, with the grouped view, and with updates only (no arrivals, no departures). A
// benchmark, not a test. Usage: bench_models [rows] [changes] [bursts] [scenario] (all
// scenarios unless one index is given; runs offscreen unless a display is set; BENCH_EACH=1
// prints every batch's CPU times)
#include "ui/cachedtextdelegate.h"
#include "ui/connectionfilterproxy.h"
#include "ui/connectiongroupmodel.h"
#include "ui/connectiontablemodel.h"
#include "ui/connectiontreeview.h"

#include <QtCore/QElapsedTimer>
#include <QtCore/QRandomGenerator>
#include <QtNetwork/QAbstractSocket>
#include <QtWidgets/QApplication>
#include <QtWidgets/QHeaderView>
#include <QtWidgets/QTableView>
#include <QtWidgets/QTreeView>

#include <algorithm>
#include <cstdio>
#include <vector>

#include <time.h>

namespace {
// CPU time of this (the GUI) thread: on a loaded machine wall time also counts the waits for a
// core, which says more about the other processes than about the models.
double threadCpuMs()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

struct Figures
{
    double median = 0;
    double p95 = 0;
    double max = 0;
};

Figures figures(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    if (v.empty())
        return {};
    return {v[v.size() / 2], v[size_t(0.95 * double(v.size() - 1))], v.back()};
}

ConnectionInfo makeRow(ConnectionId id, qint64 now, QRandomGenerator &rng)
{
    ConnectionInfo c;
    c.id = id;
    c.peer = QStringLiteral("10.%1.%2.%3:%4")
                 .arg(id >> 16 & 255)
                 .arg(id >> 8 & 255)
                 .arg(id & 255)
                 .arg(40000 + id % 20000);
    c.localAddress = QStringLiteral("127.0.0.1:1215");
    c.path = QStringLiteral("/");
    c.connectedAtMs = now - rng.bounded(3600000);
    c.lastActivityMs = now - rng.bounded(600000);
    c.authenticated = id % 10 != 0;
    if (c.authenticated) {
        c.user = QStringLiteral("user%1").arg(id % 5000);
        c.sessionId = QStringLiteral("session-%1").arg(id / 2);
        c.expiresAtMs = now + rng.bounded(900000);
    }
    c.msgsIn = rng.bounded(1000);
    c.msgsOut = rng.bounded(1000);
    c.bytesIn = rng.bounded(1000000);
    c.bytesOut = rng.bounded(1000000);
    c.socketState = QAbstractSocket::ConnectedState;
    return c;
}

void print(const char *what, const Figures &f)
{
    std::printf("%-44s median %7.2f ms   p95 %7.2f ms   max %7.2f ms\n", what, f.median, f.p95,
                f.max);
}
} // namespace

struct Scenario
{
    const char *name;
    int column;
    Qt::SortOrder order;
    const char *filter;
    bool grouped = false; // "Group by session" shown instead of the table
    bool churn = true; // arrivals and departures in each batch (else updates only)
};

// One run: a fresh model, proxy and view sorted as given, filled, then the bursts.
void run(QApplication &app, const Scenario &sc, int rows, int changes, int bursts)
{
    ConnectionTableModel model;
    ConnectionFilterProxy proxy;
    proxy.setConnectionModel(&model);
    // The dashboard's delegate; BENCH_STYLED_DELEGATE=1 measures QStyledItemDelegate instead.
    CachedTextDelegate delegate;
    const bool cachedText = !qEnvironmentVariableIsSet("BENCH_STYLED_DELEGATE");
    QTableView view;
    view.setModel(&proxy);
    if (cachedText)
        view.setItemDelegate(&delegate);
    view.setSortingEnabled(true);
    view.sortByColumn(sc.column, sc.order);
    // As MainWindow sets the table up (with word wrap on, every cell took Qt's own delegate path).
    view.setSelectionBehavior(QAbstractItemView::SelectRows);
    view.setSelectionMode(QAbstractItemView::SingleSelection);
    view.setAlternatingRowColors(true);
    view.setWordWrap(false);
    view.verticalHeader()->hide();
    view.verticalHeader()->setDefaultSectionSize(view.fontMetrics().height() + 8);
    view.horizontalHeader()->setStretchLastSection(true);
    view.resize(1200, 700);
    // The grouped view as the dashboard sets it up; shown instead of the table (a stack).
    ConnectionGroupModel groups;
    groups.setSourceModel(&proxy);
    ConnectionTreeView tree; // the dashboard's
    tree.setModel(&groups);
    if (cachedText)
        tree.setItemDelegate(&delegate);
    tree.setSelectionBehavior(QAbstractItemView::SelectRows);
    tree.setSelectionMode(QAbstractItemView::SingleSelection);
    tree.setAlternatingRowColors(true);
    tree.setUniformRowHeights(true);
    tree.setAllColumnsShowFocus(true);
    tree.setWordWrap(false);
    tree.header()->setStretchLastSection(true);
    tree.resize(1200, 700);
    if (sc.grouped)
        tree.show();
    else
        view.show();
    const QString filter = QString::fromLatin1(sc.filter);
    proxy.setText(filter);
    app.processEvents();

    QRandomGenerator rng(1215);
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    ConnectionId nextId = 1;
    std::vector<ConnectionId> live;
    live.reserve(size_t(rows) * 2);

    std::printf("\n== %ssorted by \"%s\" %s%s%s%s\n", sc.grouped ? "grouped view, " : "", sc.name,
                sc.order == Qt::AscendingOrder ? "ascending" : "descending",
                filter.isEmpty() ? "" : ", text filter ", sc.filter,
                sc.churn ? "" : ", updates only");
    QElapsedTimer t;
    {
        ConnectionDelta fill;
        fill.upserts.reserve(rows);
        for (int i = 0; i < rows; ++i) {
            fill.upserts.append(makeRow(nextId, now, rng));
            live.push_back(nextId++);
        }
        t.start();
        model.applyDelta(fill);
        app.processEvents();
        std::printf("initial fill: %d rows in %.1f ms, %d shown\n", rows,
                    double(t.nsecsElapsed()) / 1e6, proxy.rowCount());
    }
    // Something selected, as an operator would have: the selection follows its row.
    view.selectRow(proxy.rowCount() / 2);
    const ConnectionId selectedId = proxy.index(proxy.rowCount() / 2, 0)
                                        .data(ConnectionTableModel::ConnectionIdRole)
                                        .toULongLong();
    QString selectedSession;
    if (sc.grouped) {
        t.start();
        groups.setEnabled(true);
        app.processEvents();
        std::printf("grouped view built: %d sessions in %.1f ms\n", groups.rowCount(),
                    double(t.nsecsElapsed()) / 1e6);
        // A few sessions opened and one selected, as an operator would have.
        for (int g = 0; g < groups.rowCount(); g += groups.rowCount() / 8 + 1)
            tree.setExpanded(groups.index(g, 0), true);
        const QModelIndex sel = groups.index(groups.rowCount() / 2, 0);
        tree.selectionModel()->setCurrentIndex(sel, QItemSelectionModel::ClearAndSelect
                                                        | QItemSelectionModel::Rows);
        selectedSession = groups.groupAt(sel)->sessionId;
        app.processEvents();
    }

    // Each burst: 90% updates of random live rows, 5% new connections, 5% departures.
    std::vector<double> applyMs, applyCpuMs, paintMs, tickMs, groupMs, groupCpuMs, updateCpuMs,
        relayoutCpuMs, repaintCpuMs;
    for (int b = 0; b < bursts; ++b) {
        ConnectionDelta delta;
        const int arrivals = sc.churn ? changes / 20 : 0;
        const int departures = sc.churn ? changes / 20 : 0;
        for (int i = 0; i < changes - arrivals - departures; ++i) {
            const ConnectionId id = live[rng.bounded(quint32(live.size()))];
            ConnectionInfo c = *model.byId(id);
            c.msgsIn += 1;
            c.bytesIn += 120;
            c.lastActivityMs = now + b * 250;
            if (c.authenticated)
                c.expiresAtMs = now + 900000 + b * 250 + rng.bounded(1000);
            delta.upserts.append(c);
        }
        for (int i = 0; i < arrivals; ++i) {
            delta.upserts.append(makeRow(nextId, now, rng));
            live.push_back(nextId++);
        }
        for (int i = 0; i < departures; ++i) {
            const size_t k = rng.bounded(quint32(live.size()));
            if (live[k] == selectedId)
                continue;
            delta.removed.append(live[k]);
            live[k] = live.back();
            live.pop_back();
        }
        const double cpu = threadCpuMs();
        t.start();
        model.applyDelta(delta);
        applyMs.push_back(double(t.nsecsElapsed()) / 1e6);
        applyCpuMs.push_back(threadCpuMs() - cpu);
        if (qEnvironmentVariableIsSet("BENCH_EACH"))
            std::printf("batch %d: apply %.2f ms CPU\n", b, applyCpuMs.back());
        if (sc.grouped) {
            // What the batch costs the grouped view: its update (a zero timer after the batch)
            // with the layout change and the tree's relayout.
            const double groupCpu = threadCpuMs();
            t.start();
            groups.refresh();
            updateCpuMs.push_back(threadCpuMs() - groupCpu);
            const double relayoutCpu = threadCpuMs();
            app.processEvents(); // the tree's delayed relayout (a zero timer) ...
            relayoutCpuMs.push_back(threadCpuMs() - relayoutCpu);
            const double repaintCpu = threadCpuMs();
            app.processEvents(); // ... and the repaint it asks for
            repaintCpuMs.push_back(threadCpuMs() - repaintCpu);
            groupMs.push_back(double(t.nsecsElapsed()) / 1e6);
            groupCpuMs.push_back(threadCpuMs() - groupCpu);
            if (qEnvironmentVariableIsSet("BENCH_EACH"))
                std::printf("batch %d: grouped %.2f ms CPU (update %.2f, relayout %.2f, repaint "
                            "%.2f)\n",
                            b, groupCpuMs.back(), updateCpuMs.back(), relayoutCpuMs.back(),
                            repaintCpuMs.back());
        }
        t.start();
        app.processEvents(); // repaint of the visible rows
        paintMs.push_back(double(t.nsecsElapsed()) / 1e6);
        t.start();
        // What the dashboard's one-second countdown timer does.
        (sc.grouped ? tree.viewport() : view.viewport())->update();
        app.processEvents();
        tickMs.push_back(double(t.nsecsElapsed()) / 1e6);
    }
    const QModelIndexList sel = view.selectionModel()->selectedRows();
    bool selectionFollows
        = sel.size() == 1
          && sel.first().data(ConnectionTableModel::ConnectionIdRole).toULongLong() == selectedId;
    if (sc.grouped) {
        const QModelIndexList groupSel = tree.selectionModel()->selectedRows();
        selectionFollows = groupSel.size() == 1 && groups.groupAt(groupSel.first())
                           && groups.groupAt(groupSel.first())->sessionId == selectedSession;
    }

    std::vector<double> sortMs;
    for (int column : {int(ConnectionTableModel::Column::ExpiresIn),
                       int(ConnectionTableModel::Column::User), sc.column}) {
        t.start();
        view.sortByColumn(column, sc.order); // a header click
        app.processEvents();
        sortMs.push_back(double(t.nsecsElapsed()) / 1e6);
    }
    std::vector<double> filterMs;
    for (const QString &text :
         {QStringLiteral("user42"), QStringLiteral("session-1"), QStringLiteral("10.1."), filter}) {
        t.start();
        proxy.setText(text);
        app.processEvents();
        filterMs.push_back(double(t.nsecsElapsed()) / 1e6);
    }

    const int churn = sc.churn ? changes / 20 : 0;
    std::printf("%d bursts of %d changes (%d updates, %d arrivals, %d departures) over %zu rows, "
                "%d shown; selection followed its row: %s\n",
                bursts, changes, changes - 2 * churn, churn, churn, live.size(), proxy.rowCount(),
                selectionFollows ? "yes" : "NO");
    print("batch: applyDelta (model + proxy + view)", figures(applyMs));
    print("  the same, CPU time of the GUI thread", figures(applyCpuMs));
    if (sc.grouped) {
        print("batch: grouped update + tree relayout + paint", figures(groupMs));
        print("  the same, CPU time of the GUI thread", figures(groupCpuMs));
        print("  CPU: the model's update (signals included)", figures(updateCpuMs));
        print("  CPU: the tree's relayout", figures(relayoutCpuMs));
        print("  CPU: the repaint of the visible rows", figures(repaintCpuMs));
    }
    print("repaint after a batch", figures(paintMs));
    print("countdown tick (1/s) + repaint", figures(tickMs));
    print("header click (re-sort 3 columns)", figures(sortMs));
    print("typing a filter (4 changes)", figures(filterMs));
}

int main(int argc, char **argv)
{
    if (!qEnvironmentVariableIsSet("DISPLAY") && !qEnvironmentVariableIsSet("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    const QStringList args = app.arguments();
    const int rows = args.size() > 1 ? args.at(1).toInt() : 100000;
    const int changes = args.size() > 2 ? args.at(2).toInt() : 10000;
    const int bursts = args.size() > 3 ? args.at(3).toInt() : 20;
    const int only = args.size() > 4 ? args.at(4).toInt() : -1;

    using C = ConnectionTableModel::Column;
    const Scenario scenarios[] = {
        {"ID", int(C::Id), Qt::AscendingOrder, ""},
        {"ID", int(C::Id), Qt::DescendingOrder, ""},
        {"Expires in", int(C::ExpiresIn), Qt::AscendingOrder, ""},
        {"User", int(C::User), Qt::AscendingOrder, ""},
        {"Msgs in", int(C::MsgsIn), Qt::DescendingOrder, ""},
        {"ID", int(C::Id), Qt::AscendingOrder, "user4"},
        {"Expires in", int(C::ExpiresIn), Qt::AscendingOrder, "user4"},
        {"Expires in", int(C::ExpiresIn), Qt::AscendingOrder, "10.1."},
        {"ID", int(C::Id), Qt::AscendingOrder, "", true},
        {"Expires in", int(C::ExpiresIn), Qt::AscendingOrder, "", true},
        {"Expires in", int(C::ExpiresIn), Qt::AscendingOrder, "user4", true},
        // A busy server whose connections stay: every change an update, nothing moves.
        {"ID", int(C::Id), Qt::AscendingOrder, "", true, false},
        {"ID", int(C::Id), Qt::AscendingOrder, "", false, false},
    };
    int i = 0;
    for (const Scenario &sc : scenarios) {
        if (only < 0 || only == i)
            run(app, sc, rows, changes, bursts);
        ++i;
    }
    return 0;
}
