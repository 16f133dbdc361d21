// SPDX-License-Identifier: MIT
#pragma once

#include <QtWidgets/QTreeView>

// The dashboard's "Group by session" tree (GUI thread). A QTreeView that answers a dataChanged
// span over thousands of top-level rows (an update batch in which no session moved) with one
// repaint of what it shows: QTreeView walks every row of a span, from its first, to find the
// visible ones and resets each row's cached height on the way, which took 30-55 ms for 50,000
// sessions scrolled to the middle. With uniform row heights no row's height can have changed.
class ConnectionTreeView final : public QTreeView
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConnectionTreeView)

public:
    explicit ConnectionTreeView(QWidget *parent = nullptr);
    ~ConnectionTreeView() override;

    // Spans over more top-level rows than this repaint the viewport instead.
    static constexpr int WideSpan = 256;

    void dataChanged(const QModelIndex &topLeft, const QModelIndex &bottomRight,
                     const QList<int> &roles = QList<int>()) override;
};
