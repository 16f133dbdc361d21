// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QJsonObject>
#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QProcess>
#include <QtCore/QStringList>

// `warden --no-gui --log-format json` as a real child process ($WARDEN_BIN), with the JSON lines
// it printed. Killed on destruction if still running. Test-thread only.
class ChildWarden final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ChildWarden)

public:
    explicit ChildWarden(const QStringList &args, QObject *parent = nullptr);
    ~ChildWarden() override;

    static QString binary();

    // Waits for the n-th line of this type; an empty object on timeout or exit.
    QJsonObject waitFor(const QString &type, int n = 1, int timeoutMs = 5000);
    QList<QJsonObject> linesOf(const QString &type) const;
    // The port of the first `listening` line (0 if none came).
    quint16 port();
    void signal(int sig);
    QProcess &process() { return m_process; }
    const QList<QJsonObject> &lines() const { return m_lines; }

private:
    QProcess m_process;
    QByteArray m_buffer;
    QList<QJsonObject> m_lines;
};
