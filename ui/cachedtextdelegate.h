// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QHash>
#include <QtCore/QPointer>
#include <QtGui/QFont>
#include <QtGui/QGlyphRun>
#include <QtGui/QRawFont>
#include <QtGui/QStaticText>
#include <QtWidgets/QStyledItemDelegate>

#include <array>
#include <memory>
#include <optional>
#include <vector>

// The item delegate of the dashboard's connection views (GUI thread). It paints what
// QStyledItemDelegate paints, but a plain one-line text cell draws its text from a cache of
// laid-out text instead of shaping it again on every repaint: after each update batch every
// visible cell is repainted, and shaping was most of that repaint. A new printable-ASCII text
// whose characters do not interact in the font (no kerning pair, no ligature: checked once per
// pair of characters against Qt's own shaping) is placed from per-character glyphs without
// shaping at all; any other text is shaped once into a QStaticText. Cells with an icon, a check
// box, several lines or word wrap take QStyledItemDelegate's path; an empty cell is its panel and
// focus frame only.
class CachedTextDelegate final : public QStyledItemDelegate
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CachedTextDelegate)

public:
    explicit CachedTextDelegate(QObject *parent = nullptr);
    ~CachedTextDelegate() override;

    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override;

    // Laid-out texts kept (tests); the cache starts over when it holds more than maxEntries.
    qsizetype cachedTexts() const { return m_cache.size(); }
    // Of those, the texts placed from per-character glyphs without shaping (tests).
    qsizetype unshapedTexts() const;
    static constexpr qsizetype MaxEntries = 8192;

private:
    struct Key
    {
        QString text;
        int elideWidth; // -1: the whole text
        int font; // index into m_fonts
        bool operator==(const Key &o) const
        {
            return elideWidth == o.elideWidth && font == o.font && text == o.text;
        }
    };
    friend size_t qHash(const Key &k, size_t seed) noexcept
    {
        return qHashMulti(seed, k.text, k.elideWidth, k.font);
    }
    // One laid-out text: glyphs placed without shaping, or a shaped static text.
    struct Laid
    {
        QSizeF size;
        std::optional<QGlyphRun> glyphs;
        std::optional<QStaticText> text;
    };
    // Per font: each printable ASCII character's glyph as Qt shapes it alone, and for each pair
    // of them whether Qt shapes the two side by side as the two glyphs one after the other.
    struct FontGlyphs
    {
        QFont font;
        static constexpr int First = 0x20;
        static constexpr int Count = 0x7f - First;
        enum : qint8 { Unknown, Independent, Interacting };
        QRawFont raw;
        qreal ascent = 0;
        qreal height = 0;
        std::array<qint64, Count> glyph; // glyph index << 32 | advance in 1/64 px; -1 unknown
        std::array<qint8, Count * Count> pairs{};
        explicit FontGlyphs(const QFont &f)
            : font(f)
        {
            glyph.fill(-1);
        }
    };
    static constexpr qint64 Unusable = -2;

    bool panelIsEmpty(QStyle *style, const QStyleOptionViewItem &opt) const;
    void drawText(QPainter *painter, const QStyleOptionViewItem &opt, const QString &text,
                  const QRect &rect) const;
    int fontIndex(const QFont &font) const;
    const Laid &laidOut(const QString &text, int elideWidth, int font,
                        Qt::TextElideMode mode) const;
    std::optional<QGlyphRun> placeWithoutShaping(const QString &text, FontGlyphs &fg,
                                                 QSizeF *size) const;
    static qint64 glyphOf(FontGlyphs &fg, char16_t c);
    static bool independent(FontGlyphs &fg, char16_t a, char16_t b);

    mutable QPointer<QStyle> m_checkedStyle;
    mutable bool m_styleHasEmptyPanels = false;
    mutable QHash<Key, Laid> m_cache;
    // The fonts seen, in the order seen: a cell's font is found by comparison (cheap when it is
    // the same font again), not by hashing a QFont for every cell painted.
    mutable std::vector<std::unique_ptr<FontGlyphs>> m_fonts;
};
