// SPDX-License-Identifier: MIT
#include "ui/cachedtextdelegate.h"

#include <QtGui/QStandardItemModel>
#include <QtGui/QTextLayout>
#include <QtTest/QtTest>
#include <QtWidgets/QApplication>
#include <QtWidgets/QHeaderView>
#include <QtWidgets/QStyledItemDelegate>
#include <QtWidgets/QTableView>
#include <QtWidgets/QTreeView>

// The dashboard's delegate must paint exactly what QStyledItemDelegate paints: the same view is
// grabbed with each and the images compared pixel for pixel.
class TestCachedTextDelegate final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void paintsWhatTheStyledDelegatePaints_data();
    void paintsWhatTheStyledDelegatePaints();
    void cacheKeepsEachTextOnce();
    void interactingGlyphsAreShaped();

private:
    QImage grab(QAbstractItemDelegate *delegate);
    void compareWithStyled(CachedTextDelegate *cached);

    // The grouped view is a tree, the connection list a table: both use the delegate.
    void showView(bool table);

    std::unique_ptr<QStandardItemModel> m_model;
    std::unique_ptr<QAbstractItemView> m_view;
};

void TestCachedTextDelegate::init()
{
    m_model = std::make_unique<QStandardItemModel>(0, 4);
    const auto row = [this](const QStringList &cells) {
        QList<QStandardItem *> items;
        for (const QString &c : cells)
            items.append(new QStandardItem(c));
        m_model->appendRow(items);
        return items;
    };
    row({QStringLiteral("alice"), QStringLiteral("12"), QStringLiteral("00:14:59"),
         QStringLiteral("ESTABLISHED")});
    // Right-aligned numbers, a colour, a bold font: what the connection models return.
    auto numbers = row({QStringLiteral("bob"), QStringLiteral("1,234,567"),
                        QStringLiteral("00:00:09"), QStringLiteral("CLOSE_WAIT")});
    numbers[1]->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    numbers[2]->setForeground(QColor(0xc0, 0x20, 0x20));
    QFont bold = QApplication::font();
    bold.setBold(true);
    numbers[0]->setFont(bold);
    // Too long for its column: elided.
    row({QStringLiteral("a-user-name-far-too-long-for-its-column@example.com"),
         QStringLiteral("9999999999999999999"), QStringLiteral("—"), QStringLiteral("-")});
    // Empty cells (a session row's connection columns), one with a background of its own.
    auto empty = row({QStringLiteral("carol"), QString(), QString(), QStringLiteral("SYN_SENT")});
    empty[2]->setBackground(QColor(0xff, 0xe0, 0x80));
    // Chinese, as the zh_CN dashboard shows it.
    row({QStringLiteral("张三"), QStringLiteral("已连接"), QStringLiteral("空闲超时"),
         QStringLiteral("会话")});
    // The fallbacks: an icon, two lines.
    auto icon = row({QStringLiteral("with icon"), QStringLiteral("two\nlines"), QString(),
                     QStringLiteral("x")});
    QPixmap px(12, 12);
    px.fill(Qt::darkGreen);
    icon[0]->setIcon(QIcon(px));
    // Children, as the grouped view has them.
    auto parent = m_model->item(0);
    parent->appendRow({new QStandardItem(QStringLiteral("#17")),
                       new QStandardItem(QStringLiteral("3")),
                       new QStandardItem(QStringLiteral("00:14:59")),
                       new QStandardItem(QStringLiteral("ESTABLISHED"))});

    showView(false);
}

void TestCachedTextDelegate::showView(bool table)
{
    m_view.reset();
    if (table) {
        auto *view = new QTableView;
        view->setWordWrap(false);
        view->setModel(m_model.get());
        view->setColumnWidth(0, 160);
        view->setColumnWidth(1, 80);
        view->setColumnWidth(2, 70);
        m_view.reset(view);
    } else {
        auto *view = new QTreeView;
        view->setModel(m_model.get());
        view->setUniformRowHeights(true);
        view->setAllColumnsShowFocus(true);
        view->setWordWrap(false);
        view->setColumnWidth(0, 160);
        view->setColumnWidth(1, 80);
        view->setColumnWidth(2, 70);
        view->expandAll();
        m_view.reset(view);
    }
    m_view->setAlternatingRowColors(true);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->resize(420, 220);
    m_view->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_view.get()));
}

void TestCachedTextDelegate::cleanup()
{
    m_view.reset();
    m_model.reset();
}

QImage TestCachedTextDelegate::grab(QAbstractItemDelegate *delegate)
{
    m_view->setItemDelegate(delegate);
    return m_view->viewport()->grab().toImage();
}

void TestCachedTextDelegate::paintsWhatTheStyledDelegatePaints_data()
{
    QTest::addColumn<bool>("table");
    QTest::addColumn<int>("selectedRow");
    QTest::addColumn<bool>("focused");
    for (bool table : {false, true}) {
        const char *view = table ? "table" : "tree";
        QTest::addRow("%s, nothing selected", view) << table << -1 << false;
        QTest::addRow("%s, a row selected", view) << table << 1 << false;
        QTest::addRow("%s, a row selected, focus", view) << table << 1 << true;
        QTest::addRow("%s, the elided row selected, focus", view) << table << 2 << true;
        QTest::addRow("%s, the row with empty cells selected, focus", view) << table << 3 << true;
        QTest::addRow("%s, the row with empty cells selected", view) << table << 3 << false;
    }
}

void TestCachedTextDelegate::paintsWhatTheStyledDelegatePaints()
{
    QFETCH(bool, table);
    QFETCH(int, selectedRow);
    QFETCH(bool, focused);
    showView(table);
    if (focused) {
        m_view->activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(m_view.get()));
        m_view->setFocus();
        QTRY_VERIFY(m_view->hasFocus());
    }
    if (selectedRow >= 0)
        m_view->setCurrentIndex(m_model->index(selectedRow, 1));
    CachedTextDelegate cached;
    compareWithStyled(&cached);
    if (QTest::currentTestFailed())
        return;
    QVERIFY(cached.cachedTexts() > 0); // the cached path ran
    QVERIFY(cached.unshapedTexts() > 0); // and placed some texts without shaping
    m_view->setItemDelegate(nullptr);
}

void TestCachedTextDelegate::compareWithStyled(CachedTextDelegate *cached)
{
    QStyledItemDelegate styled;
    const QImage expected = grab(&styled);
    const QImage actual = grab(cached);
    QCOMPARE(actual.size(), expected.size());
    if (actual != expected) {
        int differing = 0;
        for (int y = 0; y < actual.height(); ++y)
            for (int x = 0; x < actual.width(); ++x)
                differing += actual.pixel(x, y) != expected.pixel(x, y) ? 1 : 0;
        expected.save(QDir::temp().filePath(QStringLiteral("warden-delegate-expected.png")));
        actual.save(QDir::temp().filePath(QStringLiteral("warden-delegate-actual.png")));
        QFAIL(qPrintable(QStringLiteral("%1 pixels differ (images in %2)")
                             .arg(differing)
                             .arg(QDir::tempPath())));
    }
}

void TestCachedTextDelegate::cacheKeepsEachTextOnce()
{
    CachedTextDelegate cached;
    grab(&cached);
    const qsizetype first = cached.cachedTexts();
    QVERIFY(first > 0);
    grab(&cached);
    QCOMPARE(cached.cachedTexts(), first); // a repaint of the same texts lays out nothing new
    m_model->item(0, 1)->setText(QStringLiteral("13"));
    grab(&cached);
    QCOMPARE(cached.cachedTexts(), first + 1);
    m_view->setItemDelegate(nullptr);
}

// Kerning pairs and ligatures change the glyphs or their places when shaped together: such texts
// must be shaped, not assembled from single characters. Which pairs interact depends on the font
// installed, so Qt's own layout decides here which texts interact.
void TestCachedTextDelegate::interactingGlyphsAreShaped()
{
    const QFont font = QApplication::font();
    const auto width = [&font](const QString &text) {
        QTextLayout layout(text, font);
        layout.beginLayout();
        const QTextLine line = layout.createLine();
        layout.endLayout();
        return line.naturalTextWidth();
    };
    const auto interacts = [&](const QString &text) {
        qreal sum = 0;
        for (QChar c : text)
            sum += width(QString(c));
        return !qFuzzyCompare(sum, width(text));
    };
    QStringList interacting;
    for (const char *candidate :
         {"AVATAR", "To Yo", "Te LT", "office", "12.5 KiB", "WAVE", "fly"}) {
        if (interacts(QString::fromLatin1(candidate)))
            interacting << QString::fromLatin1(candidate);
    }
    if (interacting.isEmpty())
        QSKIP("the installed font kerns none of the candidate pairs");
    const QStringList plain{QStringLiteral("54m 38s"), QStringLiteral("1,234,567"),
                            QStringLiteral("2m 41s ago")};
    for (const QString &text : plain)
        QVERIFY2(!interacts(text), qPrintable(text));

    m_model = std::make_unique<QStandardItemModel>(0, 1);
    for (const QString &text : interacting + plain)
        m_model->appendRow(new QStandardItem(text));
    showView(false);
    m_view->resize(420, 260);
    CachedTextDelegate cached;
    compareWithStyled(&cached);
    if (QTest::currentTestFailed())
        return;
    QCOMPARE(cached.cachedTexts(), interacting.size() + plain.size());
    QCOMPARE(cached.unshapedTexts(), plain.size());
    m_view->setItemDelegate(nullptr);
}

QTEST_MAIN(TestCachedTextDelegate)
#include "tst_cachedtextdelegate.moc"
