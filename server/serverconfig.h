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
    int logKeepDays = 30; // events older than this leave the store
    qint64 logMaxRows = 1000000; // and the store keeps at most this many

    int shutdownSpreadMs = 2000; // a stop spreads its 4001 closes over this long

    // --reset-store (not a config key): set an unusable store aside instead of refusing to start.
    bool resetStore = false;

    QString listenString() const;
    // "group/key" -> display value (secrets shown as a fingerprint), for diffs and `info` output.
    QMap<QString, QString> describe() const;
    QStringList changedKeys(const ServerConfig &newer) const;
};

Q_DECLARE_METATYPE(ServerConfig)
