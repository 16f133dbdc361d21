// SPDX-License-Identifier: MIT
#include "ui/cachedtextdelegate.h"

#include <QtGui/QFontMetrics>
#include <QtGui/QPainter>
#include <QtWidgets/QApplication>
#include <QtWidgets/QStyle>

CachedTextDelegate::CachedTextDelegate(QObject *parent)
    : QStyledItemDelegate(parent)
{ }

CachedTextDelegate::~CachedTextDelegate() = default;

const QStaticText &CachedTextDelegate::laidOut(const QString &text, int elideWidth,
                                               const QFont &font, Qt::TextElideMode mode) const
{
    Key key{text, elideWidth, font};
    auto it = m_cache.find(key);
    if (it != m_cache.end())
        return *it;
    if (m_cache.size() >= MaxEntries)
        m_cache.clear(); // counters and countdowns make new texts all the time
    QStaticText st(elideWidth < 0 ? text : QFontMetrics(font).elidedText(text, mode, elideWidth));
    st.setTextFormat(Qt::PlainText);
    st.setPerformanceHint(QStaticText::AggressiveCaching);
    st.prepare(QTransform(), font);
    return *m_cache.insert(std::move(key), std::move(st));
}

void CachedTextDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option,
                               const QModelIndex &index) const
{
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    const QStyleOptionViewItem::ViewItemFeatures other = QStyleOptionViewItem::HasDecoration
                                                         | QStyleOptionViewItem::HasCheckIndicator
                                                         | QStyleOptionViewItem::WrapText;
    if ((opt.features & other) || opt.text.contains(QLatin1Char('\n'))
        || opt.text.contains(QChar::LineSeparator)) {
        QStyledItemDelegate::paint(painter, option, index);
        return;
    }
    const QWidget *widget = opt.widget;
    QStyle *style = widget ? widget->style() : QApplication::style();

    // What QCommonStyle's CE_ItemViewItem draws for a text-only cell, in its order: the panel
    // (background, selection), the text, the focus frame; the text from the cache.
    const QString text = opt.text;
    opt.text.clear(); // the layout below is that of the cell without its text: no shaping
    painter->save();
    painter->setClipRect(opt.rect);
    style->drawPrimitive(QStyle::PE_PanelItemViewItem, &opt, painter, widget);
    // An empty cell (a session row's connection columns) is its panel and focus frame only.
    if (!text.isEmpty()) {
        const int margin = style->pixelMetric(QStyle::PM_FocusFrameHMargin, nullptr, widget) + 1;
        const QRect rect = style->subElementRect(QStyle::SE_ItemViewItemText, &opt, widget)
                               .adjusted(margin, 0, -margin, 0);
        if (rect.width() > 0)
            drawText(painter, opt, text, rect);
    }
    if (opt.state & QStyle::State_HasFocus) {
        QStyleOptionFocusRect focus;
        focus.QStyleOption::operator=(opt);
        focus.rect = style->subElementRect(QStyle::SE_ItemViewItemFocusRect, &opt, widget);
        focus.state |= QStyle::State_KeyboardFocusChange;
        const QPalette::ColorGroup group
            = (opt.state & QStyle::State_Enabled) ? QPalette::Normal : QPalette::Disabled;
        focus.backgroundColor = opt.palette.color(
            group, (opt.state & QStyle::State_Selected) ? QPalette::Highlight : QPalette::Window);
        style->drawPrimitive(QStyle::PE_FrameFocusRect, &focus, painter, widget);
    }
    painter->restore();
}

void CachedTextDelegate::drawText(QPainter *painter, const QStyleOptionViewItem &opt,
                                  const QString &text, const QRect &rect) const
{
    const QStaticText *st = &laidOut(text, -1, opt.font, opt.textElideMode);
    if (st->size().width() > rect.width())
        st = &laidOut(text, rect.width(), opt.font, opt.textElideMode);
    QPalette::ColorGroup group
        = (opt.state & QStyle::State_Enabled) ? QPalette::Normal : QPalette::Disabled;
    if (group == QPalette::Normal && !(opt.state & QStyle::State_Active))
        group = QPalette::Inactive;
    const QPalette::ColorRole role
        = (opt.state & QStyle::State_Selected) ? QPalette::HighlightedText : QPalette::Text;
    const QSize size = st->size().toSize();
    const QRect at = QStyle::alignedRect(opt.direction, opt.displayAlignment, size, rect);
    painter->setPen(opt.palette.color(group, role));
    painter->setFont(opt.font);
    painter->drawStaticText(at.topLeft(), *st);
}
