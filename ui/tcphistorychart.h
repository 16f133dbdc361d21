// SPDX-License-Identifier: MIT
#pragma once

#include "server/tcpsocketinfo.h"

#include <QtCore/QList>
#include <QtWidgets/QWidget>

#include <array>

// A small line chart of the kernel's per-state socket counts over the last few minutes
// (ESTABLISHED, TIME_WAIT, CLOSE_WAIT, SYN_RECV), fed one TcpSnapshot at a time. Unavailable
// snapshots leave a gap instead of drawing zeros. GUI thread.
class TcpHistoryChart final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TcpHistoryChart)

public:
    explicit TcpHistoryChart(qint64 windowMs = 5 * 60 * 1000, QWidget *parent = nullptr);

    void addSnapshot(const TcpSnapshot &snapshot);
    void clear();
    qint64 windowMs() const { return m_windowMs; }
    int sampleCount() const { return int(m_samples.size()); }
    // The newest count of a state (-1 when there is no sample or it is unknown).
    int latest(int state) const;
    // The states drawn, in legend order.
    static QList<int> shownStates();

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    struct Sample
    {
        qint64 atMs = 0;
        bool available = false;
        std::array<int, 12> counts{};
    };
    qint64 m_windowMs;
    QList<Sample> m_samples; // oldest first
};
