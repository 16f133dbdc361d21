// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QObject>

class QSocketNotifier;

// Turns SIGINT, SIGTERM and SIGHUP into a Qt signal in the main thread (self-pipe trick: the
// handler only writes a byte). One instance per process. Lives in the main thread.
class UnixSignals final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(UnixSignals)

public:
    explicit UnixSignals(QObject *parent = nullptr);
    ~UnixSignals() override;

Q_SIGNALS:
    void stopRequested(int signalNumber);
    void reloadRequested();

private:
    void onReadable();
    QSocketNotifier *m_notifier = nullptr;
};
