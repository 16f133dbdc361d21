// SPDX-License-Identifier: MIT
#include "server/admissionpolicy.h"

#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QUrl>

namespace {
struct Origin
{
    QString scheme;
    QString host;
    int port = -1;
    bool valid = false;
};

Origin parseOrigin(const QString &text)
{
    Origin o;
    const QUrl url(text, QUrl::StrictMode);
    if (!url.isValid() || url.scheme().isEmpty() || url.host().isEmpty() || !url.path().isEmpty())
        return o;
    o.scheme = url.scheme().toLower();
    o.host = url.host().toLower();
    o.port = url.port(o.scheme == QLatin1String("https") || o.scheme == QLatin1String("wss") ? 443
                                                                                             : 80);
    o.valid = true;
    return o;
}

bool isLoopbackHost(const QString &host)
{
    if (host == QLatin1String("localhost") || host.endsWith(QLatin1String(".localhost")))
        return true;
    const QHostAddress a(host);
    return !a.isNull() && a.isLoopback();
}

bool hostMatchesWildcard(const QString &host, const QString &suffix)
{
    // "*.example.com" matches a.example.com and a.b.example.com, not example.com itself.
    return host.endsWith(QLatin1Char('.') + suffix) && host.size() > suffix.size() + 1;
}
} // namespace

bool AdmissionPolicy::originAllowed(const QByteArray &originHeader) const
{
    const Origin o = parseOrigin(QString::fromUtf8(originHeader));
    if (!o.valid)
        return false;
    if (m_settings.allowedOrigins.isEmpty()) {
        // Default: the server's own address and localhost, any port.
        return isLoopbackHost(o.host)
               || (!m_settings.listenHost.isEmpty() && o.host == m_settings.listenHost.toLower());
    }
    for (const QString &entryRaw : m_settings.allowedOrigins) {
        const QString entry = entryRaw.trimmed().toLower();
        if (entry.isEmpty())
            continue;
        if (entry == QLatin1String("*"))
            return true;
        if (entry.startsWith(QLatin1String("*."))) {
            if (hostMatchesWildcard(o.host, entry.mid(2)))
                return true;
            continue;
        }
        const qsizetype star = entry.indexOf(QLatin1String("://*."));
        if (star > 0) {
            const QString scheme = entry.left(star);
            QString rest = entry.mid(star + 5);
            int port = -1;
            const qsizetype colon = rest.lastIndexOf(QLatin1Char(':'));
            if (colon > 0) {
                port = rest.mid(colon + 1).toInt();
                rest = rest.left(colon);
            }
            if (scheme == o.scheme && hostMatchesWildcard(o.host, rest)
                && (port < 0 || port == o.port))
                return true;
            continue;
        }
        const Origin allowed = parseOrigin(entry);
        if (allowed.valid && allowed.scheme == o.scheme && allowed.host == o.host
            && allowed.port == o.port)
            return true;
    }
    return false;
}

void AdmissionPolicy::recordLoginFailure(const QHostAddress &peer, qint64 nowMs)
{
    if (m_settings.loginFailuresPerMinute <= 0)
        return;
    Failures &f = m_failures[peer.toString()];
    f.times.append(nowMs);
    while (!f.times.isEmpty() && f.times.first() <= nowMs - 60000)
        f.times.removeFirst();
    if (f.times.size() >= m_settings.loginFailuresPerMinute) {
        f.bannedUntilMs = nowMs + m_settings.loginBanMs;
        f.times.clear();
    }
    // Keep the table small: drop entries that can no longer matter.
    if (m_failures.size() > 100000) {
        for (auto it = m_failures.begin(); it != m_failures.end();) {
            if (it->bannedUntilMs <= nowMs
                && (it->times.isEmpty() || it->times.last() <= nowMs - 60000))
                it = m_failures.erase(it);
            else
                ++it;
        }
    }
}

bool AdmissionPolicy::isBanned(const QHostAddress &peer, qint64 nowMs) const
{
    if (m_failures.isEmpty())
        return false; // the usual case: no address to write out and look up
    const auto it = m_failures.constFind(peer.toString());
    return it != m_failures.cend() && it->bannedUntilMs > nowMs;
}

std::optional<AdmissionPolicy::Refusal> AdmissionPolicy::check(const HttpRequest &request,
                                                               const QHostAddress &peer,
                                                               int liveConnections,
                                                               int ipConnections, qint64 nowMs)
{
    const QByteArray origin = request.header("origin");
    if (origin.isEmpty()) {
        if (m_settings.requireOrigin)
            return Refusal{403, QStringLiteral("origin_required"),
                           QStringLiteral("an Origin header is required")};
    } else if (!originAllowed(origin)) {
        return Refusal{
            403, QStringLiteral("origin_not_allowed"),
            QStringLiteral("origin %1 is not allowed").arg(QString::fromUtf8(origin.left(200)))};
    }
    if (isBanned(peer, nowMs))
        return Refusal{429, QStringLiteral("too_many_login_failures"),
                       QStringLiteral("too many failed logins from this address; try again later")};
    if (m_settings.maxConnections > 0 && liveConnections >= m_settings.maxConnections)
        return Refusal{503, QStringLiteral("max_connections"),
                       QStringLiteral("the server is at its connection limit (%1)")
                           .arg(m_settings.maxConnections)};
    if (m_settings.maxConnectionsPerIp > 0 && ipConnections >= m_settings.maxConnectionsPerIp)
        return Refusal{
            503, QStringLiteral("max_connections_per_ip"),
            QStringLiteral("this address has %1 connections, the limit").arg(ipConnections)};
    return std::nullopt;
}

HttpResponse AdmissionPolicy::toResponse(const Refusal &r)
{
    const QJsonObject o{{QLatin1String("error"), r.reason}, {QLatin1String("message"), r.detail}};
    HttpResponse resp
        = HttpResponse::json(r.status, QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n');
    if (r.status == 503 || r.status == 429)
        resp.extraHeaders.append(qMakePair(QByteArray("Retry-After"), QByteArray("5")));
    return resp;
}
