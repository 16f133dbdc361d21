// SPDX-License-Identifier: MIT
#include "tests/common/redisserver.h"

#include <QtCore/QDeadlineTimer>
#include <QtNetwork/QTcpServer>
#include <QtTest/QSignalSpy>

#include <csignal>

RedisServer::RedisServer(QObject *parent)
    : QObject(parent)
{
    m_process.setProcessChannelMode(QProcess::MergedChannels);
    connect(&m_process, &QProcess::readyRead, this, [this] { m_output += m_process.readAll(); });
}

RedisServer::~RedisServer()
{
    if (m_process.state() != QProcess::NotRunning) {
        m_process.kill();
        m_process.waitForFinished(3000);
    }
}

bool RedisServer::start(quint16 port, int timeoutMs, const QStringList &extraArgs)
{
    m_extra = extraArgs;
    if (!port) {
        QTcpServer probe; // the kernel picks a free port; redis-server takes it right after
        if (!probe.listen(QHostAddress::LocalHost, 0))
            return false;
        port = probe.serverPort();
    }
    m_port = port;
    m_output.clear();
    m_process.start(QStringLiteral("redis-server"),
                    QStringList{QStringLiteral("--port"), QString::number(port),
                                QStringLiteral("--bind"), QStringLiteral("127.0.0.1"),
                                QStringLiteral("--save"), QString(), QStringLiteral("--appendonly"),
                                QStringLiteral("no"), QStringLiteral("--daemonize"),
                                QStringLiteral("no")}
                        + extraArgs);
    QDeadlineTimer deadline(timeoutMs);
    while (!m_output.contains("Ready to accept connections")) {
        if (deadline.hasExpired()
            || (m_process.state() == QProcess::NotRunning && !m_process.waitForStarted(0)))
            return false;
        QSignalSpy spy(&m_process, &QProcess::readyRead);
        spy.wait(int(qMax<qint64>(1, deadline.remainingTime())));
    }
    return true;
}

bool RedisServer::stop(int timeoutMs)
{
    if (m_process.state() == QProcess::NotRunning)
        return true;
    m_process.terminate();
    return m_process.waitForFinished(timeoutMs);
}

void RedisServer::signal(int sig)
{
    ::kill(pid_t(m_process.processId()), sig);
}

QString RedisServer::url() const
{
    return QStringLiteral("redis://127.0.0.1:%1/0").arg(m_port);
}

QByteArrayList RedisServer::cli(const QStringList &args) const
{
    QStringList auth;
    const qsizetype pass = m_extra.indexOf(QStringLiteral("--requirepass"));
    if (pass >= 0 && pass + 1 < m_extra.size())
        auth = {QStringLiteral("-a"), m_extra.at(pass + 1), QStringLiteral("--no-auth-warning")};
    QProcess p;
    p.start(QStringLiteral("redis-cli"),
            QStringList{QStringLiteral("-p"), QString::number(m_port), QStringLiteral("--raw")}
                + auth + args);
    p.waitForFinished(5000);
    QByteArrayList lines = p.readAllStandardOutput().split('\n');
    if (!lines.isEmpty() && lines.last().isEmpty())
        lines.removeLast();
    return lines;
}
