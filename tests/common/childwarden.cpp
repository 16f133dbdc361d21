// SPDX-License-Identifier: MIT
#include "tests/common/childwarden.h"

#include <QtCore/QDeadlineTimer>
#include <QtCore/QJsonDocument>
#include <QtTest/QSignalSpy>

#include <csignal>

ChildWarden::ChildWarden(const QStringList &args, QObject *parent)
    : QObject(parent)
{
    connect(&m_process, &QProcess::readyReadStandardOutput, this, [this] {
        m_buffer += m_process.readAllStandardOutput();
        qsizetype nl;
        while ((nl = m_buffer.indexOf('\n')) >= 0) {
            m_lines.append(QJsonDocument::fromJson(m_buffer.left(nl)).object());
            m_buffer.remove(0, nl + 1);
        }
    });
    m_process.start(binary(), args);
}

ChildWarden::~ChildWarden()
{
    if (m_process.state() != QProcess::NotRunning) {
        m_process.kill();
        m_process.waitForFinished(3000);
    }
}

QString ChildWarden::binary()
{
    return qEnvironmentVariable("WARDEN_BIN");
}

QJsonObject ChildWarden::waitFor(const QString &type, int n, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    for (;;) {
        int seen = 0;
        for (const QJsonObject &o : std::as_const(m_lines)) {
            if (o.value(QStringLiteral("type")).toString() == type && ++seen == n)
                return o;
        }
        if (deadline.hasExpired() || m_process.state() == QProcess::NotRunning)
            return {};
        QSignalSpy spy(&m_process, &QProcess::readyReadStandardOutput);
        spy.wait(int(qMax<qint64>(1, deadline.remainingTime())));
    }
}

QList<QJsonObject> ChildWarden::linesOf(const QString &type) const
{
    QList<QJsonObject> out;
    for (const QJsonObject &o : m_lines) {
        if (o.value(QStringLiteral("type")).toString() == type)
            out.append(o);
    }
    return out;
}

quint16 ChildWarden::port()
{
    const QString addr
        = waitFor(QStringLiteral("listening")).value(QStringLiteral("address")).toString();
    return quint16(addr.section(QLatin1Char(':'), -1).toUInt());
}

void ChildWarden::signal(int sig)
{
    ::kill(pid_t(m_process.processId()), sig);
}
