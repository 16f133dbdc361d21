// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QMap>
#include <QtCore/QMetaType>
#include <QtCore/QString>
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

    qint64 maxMessageBytes = 64 * 1024;
    int handshakeTimeoutMs = 10 * 1000;

    int tcpPollIntervalMs = 1000; // 0 = kernel TCP monitor off
    qint64 closeWaitAlarmMs = 10 * 1000;

    QString logFormat = QStringLiteral("text");
    int eventRingSize = 20000;

    // Admin API: "ADDR:PORT", empty = off. Applied at start only (a reload reports the change).
    QString adminListen = QStringLiteral("127.0.0.1:1216");
    bool adminAllowInsecureRemote = false;
    bool adminMetricsAuth = false; // require a token for /metrics even from loopback

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
