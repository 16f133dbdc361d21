// SPDX-License-Identifier: MIT
#include "ui/tcphistorychart.h"

#include <QtGui/QPainter>
#include <QtGui/QPainterPath>

namespace {
QColor colorOf(int state)
{
    switch (state) {
    case TcpSocketInfo::Established:
        return QColor(0x27, 0xae, 0x60);
    case TcpSocketInfo::TimeWait:
        return QColor(0x29, 0x80, 0xb9);
    case TcpSocketInfo::CloseWait:
        return QColor(0xc0, 0x39, 0x2b);
    default:
        return QColor(0xe6, 0x7e, 0x22);
    }
}
} // namespace

TcpHistoryChart::TcpHistoryChart(qint64 windowMs, QWidget *parent)
    : QWidget(parent)
    , m_windowMs(windowMs)
{
    setObjectName(QStringLiteral("tcpHistory"));
    setToolTip(
        tr("Kernel sockets per TCP state on Warden's port, last %1 minutes").arg(windowMs / 60000));
}

QList<int> TcpHistoryChart::shownStates()
{
    return {TcpSocketInfo::Established, TcpSocketInfo::TimeWait, TcpSocketInfo::CloseWait,
            TcpSocketInfo::SynRecv};
}

void TcpHistoryChart::addSnapshot(const TcpSnapshot &snapshot)
{
    Sample s;
    s.atMs = snapshot.takenAtMs;
    s.available = snapshot.isAvailable();
    s.counts = snapshot.stateCounts;
    // The kernel's clock can step back; keep the series ordered by starting over.
    if (!m_samples.isEmpty() && s.atMs < m_samples.last().atMs)
        m_samples.clear();
    m_samples.append(s);
    qsizetype drop = 0;
    while (drop < m_samples.size() && m_samples.at(drop).atMs < s.atMs - m_windowMs)
        ++drop;
    m_samples.remove(0, drop);
    update();
}

void TcpHistoryChart::clear()
{
    m_samples.clear();
    update();
}

int TcpHistoryChart::latest(int state) const
{
    if (m_samples.isEmpty() || !m_samples.last().available || state < 1 || state > 11)
        return -1;
    return m_samples.last().counts.at(size_t(state));
}

QSize TcpHistoryChart::sizeHint() const
{
    return {280, 150};
}

QSize TcpHistoryChart::minimumSizeHint() const
{
    return {160, 100};
}

void TcpHistoryChart::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QPalette &pal = palette();
    p.fillRect(rect(), pal.base());

    const QFontMetrics fm = fontMetrics();
    // Legend: the kernel's names, like ss prints them; wrapped to the width.
    QList<QPointF> legendAt;
    qreal lx = 4;
    qreal ly = 2;
    for (int state : shownStates()) {
        const qreal w = 13 + fm.horizontalAdvance(TcpSnapshot::stateName(state));
        if (lx > 4 && lx + w > width() - 4) {
            lx = 4;
            ly += fm.height() + 2;
        }
        legendAt.append(QPointF(lx, ly));
        lx += w + 10;
    }
    const int legendHeight = int(ly) + fm.height() + 2;
    int maxCount = 1;
    for (const Sample &s : m_samples) {
        if (!s.available)
            continue;
        for (int state : shownStates())
            maxCount = qMax(maxCount, s.counts.at(size_t(state)));
    }
    const QString maxText = QString::number(maxCount);
    const QRectF plot(fm.horizontalAdvance(maxText) + 8, legendHeight + 4,
                      width() - fm.horizontalAdvance(maxText) - 14,
                      height() - legendHeight - fm.height() - 10);

    p.setPen(pal.color(QPalette::Mid));
    p.drawRect(plot);
    p.setPen(pal.color(QPalette::Text));
    p.drawText(QPointF(2, plot.top() + fm.ascent()), maxText);
    p.drawText(QPointF(2, plot.bottom()), QStringLiteral("0"));
    p.drawText(QRectF(plot.left(), plot.bottom() + 2, plot.width(), fm.height()), Qt::AlignLeft,
               tr("-%1 min").arg(m_windowMs / 60000));
    p.drawText(QRectF(plot.left(), plot.bottom() + 2, plot.width(), fm.height()), Qt::AlignRight,
               tr("now"));

    const QList<int> states = shownStates();
    for (qsizetype i = 0; i < states.size(); ++i) {
        const QPointF at = legendAt.at(i);
        p.fillRect(QRectF(at.x(), at.y() + fm.height() / 2 - 3, 10, 6), colorOf(states.at(i)));
        p.setPen(pal.color(QPalette::Text));
        p.drawText(QPointF(at.x() + 13, at.y() + fm.ascent()),
                   TcpSnapshot::stateName(states.at(i)));
    }

    if (m_samples.isEmpty())
        return;
    const qint64 end = m_samples.last().atMs;
    const qint64 start = end - m_windowMs;
    auto pointAt = [&](const Sample &s, int state) {
        const qreal fx = qreal(s.atMs - start) / qreal(m_windowMs);
        const qreal fy = qreal(s.counts.at(size_t(state))) / qreal(maxCount);
        return QPointF(plot.left() + fx * plot.width(), plot.bottom() - fy * plot.height());
    };
    for (int state : shownStates()) {
        QPainterPath path;
        bool inSegment = false;
        for (const Sample &s : m_samples) {
            if (!s.available) {
                inSegment = false;
                continue;
            }
            const QPointF pt = pointAt(s, state);
            if (inSegment)
                path.lineTo(pt);
            else
                path.moveTo(pt);
            inSegment = true;
        }
        p.setPen(QPen(colorOf(state), 1.5));
        p.drawPath(path);
    }
}
