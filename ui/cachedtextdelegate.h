// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QHash>
#include <QtGui/QFont>
#include <QtGui/QStaticText>
#include <QtWidgets/QStyledItemDelegate>

// The item delegate of the dashboard's connection views (GUI thread). It paints what
// QStyledItemDelegate paints, but a plain one-line text cell draws its text from a cache of
// laid-out text (QStaticText) instead of shaping it again on every repaint: after each update
// batch every visible cell is repainted, and shaping was most of that repaint. Cells with an
// icon, a check box, several lines or word wrap take QStyledItemDelegate's path; an empty cell
// is its panel and focus frame only.
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
    static constexpr qsizetype MaxEntries = 8192;

private:
    struct Key
    {
        QString text;
        int elideWidth; // -1: the whole text
        QFont font;
        bool operator==(const Key &o) const
        {
            return elideWidth == o.elideWidth && text == o.text && font == o.font;
        }
    };
    friend size_t qHash(const Key &k, size_t seed) noexcept
    {
        return qHashMulti(seed, k.text, k.elideWidth, k.font);
    }
    void drawText(QPainter *painter, const QStyleOptionViewItem &opt, const QString &text,
                  const QRect &rect) const;
    const QStaticText &laidOut(const QString &text, int elideWidth, const QFont &font,
                               Qt::TextElideMode mode) const;

    mutable QHash<Key, QStaticText> m_cache;
};
