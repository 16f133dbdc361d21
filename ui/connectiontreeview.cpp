// SPDX-License-Identifier: MIT
#include "ui/connectiontreeview.h"

#include <QtGui/QAccessible>

ConnectionTreeView::ConnectionTreeView(QWidget *parent)
    : QTreeView(parent)
{ }

ConnectionTreeView::~ConnectionTreeView() = default;

void ConnectionTreeView::dataChanged(const QModelIndex &topLeft, const QModelIndex &bottomRight,
                                     const QList<int> &roles)
{
    const bool wide = uniformRowHeights() && topLeft.isValid() && bottomRight.isValid()
                      && !topLeft.parent().isValid() && !bottomRight.parent().isValid()
                      && bottomRight.row() - topLeft.row() > WideSpan;
    if (!wide) {
        QTreeView::dataChanged(topLeft, bottomRight, roles);
        return;
    }
    viewport()->update();
#if QT_CONFIG(accessibility)
    if (QAccessible::isActive()) { // what QAbstractItemView::dataChanged() tells them
        QAccessibleTableModelChangeEvent event(this, QAccessibleTableModelChangeEvent::DataChanged);
        event.setFirstRow(topLeft.row());
        event.setFirstColumn(topLeft.column());
        event.setLastRow(bottomRight.row());
        event.setLastColumn(bottomRight.column());
        QAccessible::updateAccessibility(&event);
    }
#endif
}
