// SPDX-License-Identifier: MIT
#include "ui/cachedtextdelegate.h"

#include <QtGui/QFontMetrics>
#include <QtGui/QPainter>
#include <QtGui/QTextLayout>
#include <QtWidgets/QApplication>
#include <QtWidgets/QStyle>

CachedTextDelegate::CachedTextDelegate(QObject *parent)
    : QStyledItemDelegate(parent)
{ }

CachedTextDelegate::~CachedTextDelegate() = default;

namespace {
// Qt's own layout of one line of text: the glyph runs, the line's width and height.
QList<QGlyphRun> shaped(const QString &text, const QFont &font, qreal *width, qreal *height)
{
    QTextLayout layout(text, font);
    layout.beginLayout();
    const QTextLine line = layout.createLine();
    layout.endLayout();
    *width = line.naturalTextWidth();
    *height = line.height();
    return layout.glyphRuns();
}

constexpr qint64 glyphEntry(quint32 index, int advance64)
{
    return qint64(index) << 32 | qint64(quint32(advance64));
}
constexpr quint32 glyphIndex(qint64 entry)
{
    return quint32(entry >> 32);
}
constexpr int glyphAdvance(qint64 entry)
{
    return int(quint32(entry & 0xffffffff));
}
} // namespace

qsizetype CachedTextDelegate::unshapedTexts() const
{
    qsizetype n = 0;
    for (const Laid &l : m_cache)
        n += l.glyphs ? 1 : 0;
    return n;
}

qint64 CachedTextDelegate::glyphOf(FontGlyphs &fg, char16_t c)
{
    qint64 &entry = fg.glyph[size_t(c - FontGlyphs::First)];
    if (entry != -1)
        return entry;
    qreal width = 0;
    qreal height = 0;
    const QList<QGlyphRun> runs = shaped(QString(QChar(c)), fg.font, &width, &height);
    entry = Unusable;
    if (runs.size() != 1 || runs.first().glyphIndexes().size() != 1)
        return entry; // several glyphs for one character, or none
    const QGlyphRun &run = runs.first();
    const qreal ascent = run.positions().first().y();
    if (!fg.raw.isValid()) {
        fg.raw = run.rawFont();
        fg.ascent = ascent;
        fg.height = height;
    } else if (run.rawFont() != fg.raw || ascent != fg.ascent || height != fg.height) {
        return entry; // a fallback font: leave it to shaping
    }
    // QFixed (1/64 px) is what Qt adds advances up in; qreal holds it exactly.
    entry = glyphEntry(run.glyphIndexes().first(), qRound(width * 64));
    return entry;
}

bool CachedTextDelegate::independent(FontGlyphs &fg, char16_t a, char16_t b)
{
    qint8 &pair = fg.pairs[size_t(a - FontGlyphs::First) * FontGlyphs::Count
                           + size_t(b - FontGlyphs::First)];
    if (pair != FontGlyphs::Unknown)
        return pair == FontGlyphs::Independent;
    const qint64 ga = glyphOf(fg, a);
    const qint64 gb = glyphOf(fg, b);
    qreal width = 0;
    qreal height = 0;
    const QChar chars[] = {QChar(a), QChar(b)};
    const QList<QGlyphRun> runs = shaped(QString(chars, 2), fg.font, &width, &height);
    // Shaped together, the pair must be the two glyphs, the second one advance after the first:
    // no kerning, no ligature, no contextual form.
    const bool same
        = ga >= 0 && gb >= 0 && runs.size() == 1 && runs.first().rawFont() == fg.raw
          && runs.first().glyphIndexes() == QList<quint32>{glyphIndex(ga), glyphIndex(gb)}
          && runs.first().positions()
                 == QList<QPointF>{QPointF(0, fg.ascent),
                                   QPointF(glyphAdvance(ga) / 64.0, fg.ascent)}
          && qRound(width * 64) == glyphAdvance(ga) + glyphAdvance(gb);
    pair = same ? FontGlyphs::Independent : FontGlyphs::Interacting;
    return same;
}

std::optional<QGlyphRun> CachedTextDelegate::placeWithoutShaping(const QString &text,
                                                                 FontGlyphs &fg, QSizeF *size) const
{
    constexpr qsizetype MaxLength = 64;
    if (text.isEmpty() || text.size() > MaxLength)
        return std::nullopt;
    for (QChar c : text) {
        if (c.unicode() < FontGlyphs::First || c.unicode() >= FontGlyphs::First + FontGlyphs::Count)
            return std::nullopt;
    }
    QList<quint32> indexes;
    QList<QPointF> positions;
    indexes.reserve(text.size());
    positions.reserve(text.size());
    int x = 0; // 1/64 px
    char16_t previous = 0;
    for (QChar ch : text) {
        const char16_t c = ch.unicode();
        const qint64 g = glyphOf(fg, c);
        if (g < 0 || (previous && !independent(fg, previous, c)))
            return std::nullopt;
        indexes.append(glyphIndex(g));
        positions.append(QPointF(x / 64.0, fg.ascent));
        x += glyphAdvance(g);
        previous = c;
    }
    QGlyphRun run;
    run.setRawFont(fg.raw);
    run.setGlyphIndexes(indexes);
    run.setPositions(positions);
    *size = QSizeF(x / 64.0, fg.height);
    return run;
}

int CachedTextDelegate::fontIndex(const QFont &font) const
{
    for (size_t i = 0; i < m_fonts.size(); ++i) {
        if (m_fonts[i]->font == font)
            return int(i);
    }
    constexpr size_t MaxFonts = 32; // the models use a handful
    if (m_fonts.size() >= MaxFonts) {
        m_fonts.clear();
        m_cache.clear();
    }
    m_fonts.push_back(std::make_unique<FontGlyphs>(font));
    return int(m_fonts.size() - 1);
}

const CachedTextDelegate::Laid &CachedTextDelegate::laidOut(const QString &text, int elideWidth,
                                                            int font, Qt::TextElideMode mode) const
{
    Key key{text, elideWidth, font};
    auto it = m_cache.find(key);
    if (it != m_cache.end())
        return *it;
    if (m_cache.size() >= MaxEntries)
        m_cache.clear(); // counters and countdowns make new texts all the time
    Laid laid;
    if (elideWidth < 0)
        laid.glyphs = placeWithoutShaping(text, *m_fonts[size_t(font)], &laid.size);
    if (!laid.glyphs) {
        const QFont &f = m_fonts[size_t(font)]->font;
        QStaticText st(elideWidth < 0 ? text : QFontMetrics(f).elidedText(text, mode, elideWidth));
        st.setTextFormat(Qt::PlainText);
        st.setPerformanceHint(QStaticText::AggressiveCaching);
        st.prepare(QTransform(), f);
        laid.size = st.size();
        laid.text = std::move(st);
    }
    return *m_cache.insert(std::move(key), std::move(laid));
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
    if (!panelIsEmpty(style, opt))
        style->drawPrimitive(QStyle::PE_PanelItemViewItem, &opt, painter, widget);
    // An empty cell (a session row's connection columns) is its panel and focus frame only.
    if (!text.isEmpty()) {
        // A cell with neither icon nor check box gives its text the whole cell (what
        // SE_ItemViewItemText computes for it, after laying the text out once more).
        const int margin = style->pixelMetric(QStyle::PM_FocusFrameHMargin, nullptr, widget) + 1;
        const QRect rect = opt.rect.adjusted(margin, 0, -margin, 0);
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

bool CachedTextDelegate::panelIsEmpty(QStyle *style, const QStyleOptionViewItem &opt) const
{
    if ((opt.state & QStyle::State_Selected) || opt.backgroundBrush.style() != Qt::NoBrush)
        return false;
    // Fusion leaves the panel to QCommonStyle, which draws nothing for a cell that is neither
    // selected nor has a background of its own; asking it still costs each cell Fusion's colour
    // computations. Other styles (and subclasses) may draw hover or other states: ask them.
    if (style != m_checkedStyle) {
        m_checkedStyle = style;
        m_styleHasEmptyPanels = qstrcmp(style->metaObject()->className(), "QFusionStyle") == 0;
    }
    return m_styleHasEmptyPanels;
}

void CachedTextDelegate::drawText(QPainter *painter, const QStyleOptionViewItem &opt,
                                  const QString &text, const QRect &rect) const
{
    const int font = fontIndex(opt.font);
    const Laid *laid = &laidOut(text, -1, font, opt.textElideMode);
    if (laid->size.width() > rect.width())
        laid = &laidOut(text, rect.width(), font, opt.textElideMode);
    QPalette::ColorGroup group
        = (opt.state & QStyle::State_Enabled) ? QPalette::Normal : QPalette::Disabled;
    if (group == QPalette::Normal && !(opt.state & QStyle::State_Active))
        group = QPalette::Inactive;
    const QPalette::ColorRole role
        = (opt.state & QStyle::State_Selected) ? QPalette::HighlightedText : QPalette::Text;
    const QRect at
        = QStyle::alignedRect(opt.direction, opt.displayAlignment, laid->size.toSize(), rect);
    painter->setPen(opt.palette.color(group, role));
    if (laid->glyphs) {
        painter->drawGlyphRun(at.topLeft(), *laid->glyphs);
    } else {
        painter->setFont(opt.font);
        painter->drawStaticText(at.topLeft(), *laid->text);
    }
}
