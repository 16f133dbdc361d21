// SPDX-License-Identifier: MIT
#pragma once

#include "server/httprequest.h"

#include <QtCore/QHash>
#include <QtCore/QList>
#include <QtCore/QString>
#include <QtCore/QStringList>
#include <QtNetwork/QHostAddress>

#include <optional>

// Who may open a WebSocket, decided before the upgrade is answered: the Origin allowlist
// (cross-site WebSocket hijacking), connection limits (total and per IP) and a per-IP brake on
// failed logins. Pure bookkeeping with explicit time; lives in the server worker thread.
class AdmissionPolicy final
{
public:
    struct Settings
    {
        QStringList allowedOrigins; // exact origins, "*.example.com" or "https://*.example.com"
        bool requireOrigin = false;
        int maxConnections = 0; // 0 = no limit
        int maxConnectionsPerIp = 0;
        int loginFailuresPerMinute = 0; // per IP; 0 = no limit
        qint64 loginBanMs = 60 * 1000;
        QString listenHost; // the server's own address, allowed by default
    };

    struct Refusal
    {
        int status; // 403, 429, 503
        QString reason; // machine-stable
        QString detail;
    };

    void setSettings(const Settings &s) { m_settings = s; }
    const Settings &settings() const { return m_settings; }

    // nullopt = admit. liveConnections counts every open WebSocket; ipConnections those of peer.
    std::optional<Refusal> check(const HttpRequest &request, const QHostAddress &peer,
                                 int liveConnections, int ipConnections, qint64 nowMs);
    bool originAllowed(const QByteArray &origin) const;
    void recordLoginFailure(const QHostAddress &peer, qint64 nowMs);
    bool isBanned(const QHostAddress &peer, qint64 nowMs) const;

    static HttpResponse toResponse(const Refusal &r);

private:
    struct Failures
    {
        QList<qint64> times; // within the last minute
        qint64 bannedUntilMs = 0;
    };

    Settings m_settings;
    QHash<QString, Failures> m_failures; // by peer address
};
