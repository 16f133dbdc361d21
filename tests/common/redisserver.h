// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QByteArrayList>
#include <QtCore/QObject>
#include <QtCore/QProcess>

// A private `redis-server` (Debian's package) on a free loopback port, as a child process with
// no persistence: never a system Redis. Queries go through `redis-cli`. Test-thread only.
class RedisServer final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RedisServer)

public:
    explicit RedisServer(QObject *parent = nullptr);
    ~RedisServer() override;

    // Starts on port (0 = a free one) and waits until it accepts connections. extraArgs go to
    // redis-server (e.g. --requirepass); a password there is used by cli() too.
    bool start(quint16 port = 0, int timeoutMs = 10000, const QStringList &extraArgs = {});
    // SIGTERM and wait: without persistence every key is gone afterwards.
    bool stop(int timeoutMs = 10000);
    // SIGSTOP / SIGCONT: a Redis that keeps its connections but answers nothing.
    void signal(int sig);
    quint16 port() const { return m_port; }
    QString url() const;
    // One command through redis-cli --raw; the reply lines.
    QByteArrayList cli(const QStringList &args) const;

private:
    QProcess m_process;
    QByteArray m_output;
    quint16 m_port = 0;
    QStringList m_extra;
};
