// SPDX-License-Identifier: MIT
#pragma once

#include "server/serverevent.h"
#include "server/serverhost.h"

#include <QtCore/QTemporaryDir>
#include <QtCore/QUrl>

#include <memory>

// An in-process Warden on 127.0.0.1, port 0, with millisecond timeouts; records every event.
class ServerFixture final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ServerFixture)

public:
    explicit ServerFixture(QObject *parent = nullptr);
    ~ServerFixture() override;

    static QByteArray secret() { return QByteArrayLiteral("test-secret-0123456789abcdef"); }
    // A test config: loopback, port 0, short timeouts, a temp data dir.
    ServerConfig defaultConfig() const;

    bool start(const ServerConfig &config);
    bool stop(int timeoutMs = 5000);
    ServerHost *host() const { return m_host.get(); }
    quint16 port() const { return m_port; }
    QUrl url(const QString &path = QStringLiteral("/")) const;
    QByteArray token(const QString &user, const QString &sid = {}, qint64 expSecs = 0) const;

    const ServerEventList &events() const { return m_events; }
    ServerEventList eventsOf(ServerEvent::Type type) const;
    // Waits until an event of this type has been seen (count > already), returns it.
    bool waitForEvent(ServerEvent::Type type, int count = 1, int timeoutMs = 5000);

private:
    QTemporaryDir m_dir;
    std::unique_ptr<ServerHost> m_host;
    quint16 m_port = 0;
    ServerEventList m_events;
};
