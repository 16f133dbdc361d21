// SPDX-License-Identifier: MIT
#include "server/serverconfig.h"

#include "server/iothreads.h"

#include <QtCore/QCryptographicHash>
#include <QtCore/QUrl>

namespace {
QString seconds(qint64 ms)
{
    return ms % 1000 == 0 ? QString::number(ms / 1000)
                          : QString::number(double(ms) / 1000.0, 'g', 12);
}

// A PEM file as the configuration shows it: its path and a short hash of what it held when
// loaded, so a renewed certificate at the same path counts as a change.
QString pemFingerprint(const QString &file, const QByteArray &pem)
{
    if (file.isEmpty())
        return QString();
    return file + QStringLiteral(" sha256:")
           + QString::fromLatin1(
               QCryptographicHash::hash(pem, QCryptographicHash::Sha256).toHex().left(12));
}

// The password never reaches diffs, logs or `info` output.
QString redisWithoutPassword(const QString &url)
{
    QUrl u(url);
    if (url.isEmpty() || !u.isValid() || u.password().isEmpty())
        return url;
    u.setPassword(QStringLiteral("***"));
    return u.toString();
}
} // namespace

QString ServerConfig::listenString() const
{
    const QString host = listenAddress.protocol() == QAbstractSocket::IPv6Protocol
                             ? QLatin1Char('[') + listenAddress.toString() + QLatin1Char(']')
                             : listenAddress.toString();
    return host + QLatin1Char(':') + QString::number(listenPort);
}

bool ServerConfig::demoEnabled() const
{
    return demo == Demo::On || (demo == Demo::Auto && listenAddress.isLoopback());
}

QMap<QString, QString> ServerConfig::describe() const
{
    const QString secret
        = jwtSecret.isEmpty() ? QString()
                              : QStringLiteral("sha256:")
                                    + QString::fromLatin1(QCryptographicHash::hash(
                                                              jwtSecret, QCryptographicHash::Sha256)
                                                              .toHex()
                                                              .left(12));
    return {
        {QStringLiteral("server/listen"), listenString()},
        {QStringLiteral("server/locale"), locale},
        {QStringLiteral("server/data_dir"), dataDir},
        {QStringLiteral("server/transport"),
         QLatin1String(transport == Transport::Qt ? "qt" : "native")},
        {QStringLiteral("server/io_threads"),
         ioThreads == AutoIoThreads ? QStringLiteral("auto") : QString::number(ioThreads)},
        {QStringLiteral("auth/jwt_secret"), secret},
        {QStringLiteral("session/idle_timeout"), seconds(idleTimeoutMs)},
        {QStringLiteral("session/warning"), seconds(warningMs)},
        {QStringLiteral("session/login_timeout"), seconds(loginTimeoutMs)},
        {QStringLiteral("session/revocation_ttl"), seconds(revocationTtlMs)},
        {QStringLiteral("limits/max_message_bytes"), QString::number(maxMessageBytes)},
        {QStringLiteral("limits/handshake_timeout_ms"), QString::number(handshakeTimeoutMs)},
        {QStringLiteral("limits/max_connections"), QString::number(maxConnections)},
        {QStringLiteral("limits/max_connections_per_ip"), QString::number(maxConnectionsPerIp)},
        {QStringLiteral("limits/max_connections_per_user"), QString::number(maxConnectionsPerUser)},
        {QStringLiteral("limits/max_send_buffer_bytes"), QString::number(maxSendBufferBytes)},
        {QStringLiteral("limits/per_user_policy"),
         QLatin1String(perUserPolicy == PerUserPolicy::Refuse ? "refuse" : "replace_oldest")},
        {QStringLiteral("limits/login_failures_per_minute"),
         QString::number(loginFailuresPerMinute)},
        {QStringLiteral("limits/login_ban"), seconds(loginBanMs)},
        {QStringLiteral("security/allowed_origins"), allowedOrigins.join(QLatin1String(", "))},
        {QStringLiteral("security/require_origin"),
         requireOrigin ? QStringLiteral("true") : QStringLiteral("false")},
        {QStringLiteral("socketio/ping_interval"), seconds(pingIntervalMs)},
        {QStringLiteral("socketio/ping_timeout"), seconds(pingTimeoutMs)},
        {QStringLiteral("http/demo"), demo == Demo::Auto
                                          ? QStringLiteral("auto")
                                          : QLatin1String(demo == Demo::On ? "true" : "false")},
        {QStringLiteral("tcp/poll_interval_ms"), QString::number(tcpPollIntervalMs)},
        {QStringLiteral("tcp/close_wait_alarm"), seconds(closeWaitAlarmMs)},
        {QStringLiteral("tls/cert"), pemFingerprint(tlsCertFile, tlsCertPem)},
        {QStringLiteral("tls/key"), pemFingerprint(tlsKeyFile, tlsKeyPem)},
        {QStringLiteral("testing/echo_path"), echoPath},
        {QStringLiteral("log/format"), logFormat},
        {QStringLiteral("log/ring_size"), QString::number(eventRingSize)},
        {QStringLiteral("admin/listen"), adminListen},
        {QStringLiteral("admin/allow_insecure_remote"),
         adminAllowInsecureRemote ? QStringLiteral("true") : QStringLiteral("false")},
        {QStringLiteral("admin/metrics_auth"),
         adminMetricsAuth ? QStringLiteral("true") : QStringLiteral("false")},
        {QStringLiteral("admin/tls_cert"), pemFingerprint(adminTlsCertFile, adminTlsCertPem)},
        {QStringLiteral("admin/tls_key"), pemFingerprint(adminTlsKeyFile, adminTlsKeyPem)},
        {QStringLiteral("log/keep_days"), QString::number(logKeepDays)},
        {QStringLiteral("log/max_rows"), QString::number(logMaxRows)},
        {QStringLiteral("shutdown/spread_ms"), QString::number(shutdownSpreadMs)},
        {QStringLiteral("cluster/redis"), redisWithoutPassword(clusterRedis)},
        {QStringLiteral("cluster/node_id"), clusterNodeId},
        {QStringLiteral("cluster/prefix"), clusterPrefix},
        {QStringLiteral("cluster/on_redis_down"), clusterRefuseLoginsWhenDown
                                                      ? QStringLiteral("refuse_logins")
                                                      : QStringLiteral("serve_local")},
    };
}

QStringList ServerConfig::changedKeys(const ServerConfig &newer) const
{
    const auto a = describe();
    const auto b = newer.describe();
    QStringList changed;
    for (auto it = a.cbegin(); it != a.cend(); ++it) {
        if (b.value(it.key()) != it.value())
            changed.append(it.key());
    }
    return changed;
}

int ServerConfig::effectiveIoThreads(int cores) const
{
    return ioThreads == AutoIoThreads ? IoThreads::autoCount(cores) : ioThreads;
}
