// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QMap>
#include <QtCore/QMetaType>
#include <QtCore/QString>
#include <QtCore/QStringList>
#include <QtNetwork/QHostAddress>

// The effective configuration of one server: a copyable value that crosses threads.
// Durations are kept in milliseconds so tests can run with millisecond timeouts; the INI file
// takes seconds (fractions allowed) as documented in resources/warden.ini.
struct ServerConfig
{
    QHostAddress listenAddress = QHostAddress(QHostAddress::LocalHost);
    quint16 listenPort = 1215;
    QString locale = QStringLiteral("en");
    QString dataDir;

    QByteArray jwtSecret;

    qint64 idleTimeoutMs = 900 * 1000;
    qint64 warningMs = 60 * 1000;
    qint64 loginTimeoutMs = 30 * 1000;
    qint64 revocationTtlMs = qint64(7) * 24 * 3600 * 1000;

    // [server] transport: the WebSocket implementation of plain ws:// connections. Native is
    // Warden's own (server/nativewebsocket.h); Qt is QtWebSockets, which wss:// always uses.
    // Applies to connections accepted after a reload; open ones keep theirs.
    enum class Transport : quint8 { Native, Qt };
    Transport transport = Transport::Native;
    // [server] io_threads: threads that run the connections' socket work (reading, frames,
    // writing; QtWebSockets upgrades too; server/iothreads.h) while the server thread keeps the
    // sessions. 0 = none
    // (the server thread does it all), AutoIoThreads = IoThreads::autoCount(cores). Read at
    // start: a reload reports it as needing a restart.
    static constexpr int AutoIoThreads = -1;
    int ioThreads = AutoIoThreads;
    // What ioThreads comes to on a machine with `cores` cores.
    int effectiveIoThreads(int cores) const;

    qint64 maxMessageBytes = 64 * 1024;
    int maxConnections = 0; // 0 = no limit
    int maxConnectionsPerIp = 0;
    // Logged-in connections per user (0 = no limit) and what a login beyond it does.
    int maxConnectionsPerUser = 0;
    enum class PerUserPolicy : quint8 { ReplaceOldest, Refuse };
    PerUserPolicy perUserPolicy = PerUserPolicy::ReplaceOldest;
    // A connection whose unsent data exceeds this is closed with 4003 (0 = no limit).
    qint64 maxSendBufferBytes = 4 * 1024 * 1024;
    int loginFailuresPerMinute = 20; // per IP, then refused for loginBanMs
    qint64 loginBanMs = 60 * 1000;

    QStringList allowedOrigins; // empty = this server's address and localhost
    bool requireOrigin = false;
    int handshakeTimeoutMs = 10 * 1000;

    // Socket.IO endpoint: the server pings every interval; a client silent for the timeout after a
    // ping is closed.
    qint64 pingIntervalMs = 25 * 1000;
    qint64 pingTimeoutMs = 20 * 1000;

    // [http] demo: the demo page and its token endpoint. Auto = on when listening on loopback.
    enum class Demo : quint8 { Auto, On, Off };
    Demo demo = Demo::Auto;
    bool demoEnabled() const;

    int tcpPollIntervalMs = 1000; // 0 = kernel TCP monitor off
    qint64 closeWaitAlarmMs = 10 * 1000;

    // [tls] cert/key: PEM files; when both are set the main port speaks wss:// and https://.
    // The file contents are read at load time so a reload can tell a renewed certificate.
    QString tlsCertFile;
    QString tlsKeyFile;
    QByteArray tlsCertPem;
    QByteArray tlsKeyPem;
    bool tlsEnabled() const { return !tlsCertPem.isEmpty() && !tlsKeyPem.isEmpty(); }

    QString echoPath; // [testing] echo_path: RFC 6455 conformance echo, off when empty

    QString logFormat = QStringLiteral("text");
    int eventRingSize = 20000;
    int logKeepDays = 30; // events older than this leave the store
    qint64 logMaxRows = 1000000; // and the store keeps at most this many

    int shutdownSpreadMs = 2000; // a stop spreads its 4001 closes over this long

    // [cluster] (docs/cluster.md): several nodes share sessions through one Redis. Empty redis =
    // this node runs alone. Applied at start only.
    QString clusterRedis; // redis://[[user]:password@]host[:port][/db]
    QString clusterNodeId; // empty = host name + ":" + main port
    QString clusterPrefix = QStringLiteral("warden:");
    bool clusterRefuseLoginsWhenDown = false; // on_redis_down = refuse_logins

    // --reset-store (not a config key): set an unusable store aside instead of refusing to start.
    bool resetStore = false;

    // Admin API: "ADDR:PORT", empty = off. Applied at start only (a reload reports the change).
    QString adminListen = QStringLiteral("127.0.0.1:1216");
    bool adminAllowInsecureRemote = false;
    bool adminMetricsAuth = false; // require a token for /metrics even from loopback
    // [admin] tls_cert/tls_key: PEM files for https:// (and wss:// streams) on the admin port;
    // read at load time like [tls], so a reload can tell a renewed certificate.
    QString adminTlsCertFile;
    QString adminTlsKeyFile;
    QByteArray adminTlsCertPem;
    QByteArray adminTlsKeyPem;
    bool adminTlsEnabled() const { return !adminTlsCertPem.isEmpty() && !adminTlsKeyPem.isEmpty(); }

    // Where this configuration came from (set by ConfigLoader::load), so the server thread can
    // read it again for an admin API reload. Not configuration keys themselves.
    QString sourceFile;
    QMap<QString, QString> sourceOverrides;

    QString listenString() const;
    // "group/key" -> display value (secrets shown as a fingerprint), for diffs and `info` output.
    QMap<QString, QString> describe() const;
    QStringList changedKeys(const ServerConfig &newer) const;
};

Q_DECLARE_METATYPE(ServerConfig)
