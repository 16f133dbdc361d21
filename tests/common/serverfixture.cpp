// SPDX-License-Identifier: MIT
#include "tests/common/serverfixture.h"

#include "server/jwt.h"

#include <QtCore/QDeadlineTimer>
#include <QtTest/QSignalSpy>

ServerFixture::ServerFixture(QObject *parent)
    : QObject(parent)
{ }

ServerFixture::~ServerFixture()
{
    stop();
}

ServerConfig ServerFixture::defaultConfig() const
{
    ServerConfig c;
    c.listenAddress = QHostAddress(QHostAddress::LocalHost);
    c.listenPort = 0;
    c.jwtSecret = secret();
    c.dataDir = m_dir.path();
    c.idleTimeoutMs = 60000;
    c.warningMs = 10000;
    c.loginTimeoutMs = 10000;
    c.adminListen.clear(); // tests that want the admin API set it (port 0)
    // ctest runs tst_server a second time on QtWebSockets (tst_server_qt).
    if (qEnvironmentVariable("WARDEN_TEST_TRANSPORT") == QLatin1String("qt"))
        c.transport = ServerConfig::Transport::Qt;
    // ... and with the native connections on I/O threads (tst_server_io); else as on this
    // machine (io_threads = auto).
    if (qEnvironmentVariableIsSet("WARDEN_TEST_IO_THREADS"))
        c.ioThreads = qEnvironmentVariableIntValue("WARDEN_TEST_IO_THREADS");
    return c;
}

bool ServerFixture::start(const ServerConfig &config)
{
    m_host = std::make_unique<ServerHost>();
    connect(m_host.get(), &ServerHost::eventsReady, this,
            [this](const ServerEventList &e) { m_events.append(e); });
    QSignalSpy started(m_host.get(), &ServerHost::started);
    m_host->start(config);
    if (!started.wait(5000) || !started.first().at(0).toBool())
        return false;
    const QString listen = started.first().at(1).toString();
    m_port = quint16(listen.section(QLatin1Char(':'), -1).toUInt());
    return m_port != 0;
}

bool ServerFixture::stop(int timeoutMs)
{
    if (!m_host)
        return true;
    QSignalSpy stopped(m_host.get(), &ServerHost::stopped);
    m_host->stop(timeoutMs);
    const bool ok = stopped.wait(timeoutMs + 2000);
    m_host.reset();
    return ok;
}

QUrl ServerFixture::url(const QString &path) const
{
    return QUrl(QStringLiteral("ws://127.0.0.1:%1%2").arg(m_port).arg(path));
}

QByteArray ServerFixture::token(const QString &user, const QString &sid, qint64 expSecs) const
{
    return Jwt::mint(secret(), user, sid, expSecs);
}

ServerEventList ServerFixture::eventsOf(ServerEvent::Type type) const
{
    ServerEventList out;
    for (const ServerEvent &e : m_events) {
        if (e.type == type)
            out.append(e);
    }
    return out;
}

bool ServerFixture::waitForEvent(ServerEvent::Type type, int count, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (eventsOf(type).size() < count) {
        if (deadline.hasExpired())
            return false;
        QSignalSpy spy(m_host.get(), &ServerHost::eventsReady);
        spy.wait(int(qMax<qint64>(1, deadline.remainingTime())));
    }
    return true;
}
