// SPDX-License-Identifier: MIT
#include "server/configloader.h"

#include "server/clusterlink.h"
#include "server/inifile.h"
#include "server/iothreads.h"
#include "server/tlsfiles.h"

#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QFileInfo>
#include <QtCore/QRandomGenerator>
#include <QtCore/QStandardPaths>

#include <functional>

namespace {
using Setter = std::function<QString(const QString &value, ServerConfig &cfg)>;

struct KeySpec
{
    const char *key;
    Setter set; // returns an empty string on success, else the reason
};

QString parseSeconds(const QString &v, double min, double max, qint64 *outMs)
{
    bool ok = false;
    const double s = v.trimmed().toDouble(&ok);
    // toDouble() accepts "nan" and "inf"; NaN slips past the range check below.
    if (!ok || !qIsFinite(s))
        return QStringLiteral("'%1' is not a number of seconds").arg(v);
    if (s < min || s > max)
        return QStringLiteral("%1 is out of range [%2, %3] seconds").arg(v).arg(min).arg(max);
    *outMs = qint64(s * 1000.0 + 0.5);
    return {};
}

QString parseBool(const QString &v, bool *out)
{
    const QString t = v.trimmed().toLower();
    if (t == QLatin1String("true") || t == QLatin1String("yes") || t == QLatin1String("1")
        || t == QLatin1String("on"))
        *out = true;
    else if (t == QLatin1String("false") || t == QLatin1String("no") || t == QLatin1String("0")
             || t == QLatin1String("off"))
        *out = false;
    else
        return QStringLiteral("'%1' is not true or false").arg(v);
    return {};
}

QString parseInt(const QString &v, qint64 min, qint64 max, qint64 *out)
{
    bool ok = false;
    const qint64 n = v.trimmed().toLongLong(&ok);
    if (!ok)
        return QStringLiteral("'%1' is not a whole number").arg(v);
    if (n < min || n > max)
        return QStringLiteral("%1 is out of range [%2, %3]").arg(v).arg(min).arg(max);
    *out = n;
    return {};
}

QString parseCount(const QString &v, int *out)
{
    qint64 n = 0;
    const QString err = parseInt(v, 0, 10000000, &n);
    *out = int(n);
    return err;
}

const QList<KeySpec> &specs()
{
    static const QList<KeySpec> table = {
        {"server/listen",
         [](const QString &v, ServerConfig &c) {
             QString why;
             return ConfigLoader::parseListen(v, &c.listenAddress, &c.listenPort, &why) ? QString()
                                                                                        : why;
         }},
        {"server/locale",
         [](const QString &v, ServerConfig &c) {
             const QString t = v.trimmed();
             if (t != QLatin1String("en") && t != QLatin1String("zh_CN"))
                 return QStringLiteral("'%1' is not a supported locale (en, zh_CN)").arg(v);
             c.locale = t;
             return QString();
         }},
        {"server/transport",
         [](const QString &v, ServerConfig &c) {
             const QString t = v.trimmed();
             if (t == QLatin1String("native"))
                 c.transport = ServerConfig::Transport::Native;
             else if (t == QLatin1String("qt"))
                 c.transport = ServerConfig::Transport::Qt;
             else
                 return QStringLiteral("'%1' is not a transport (native, qt)").arg(v);
             return QString();
         }},
        {"server/io_threads",
         [](const QString &v, ServerConfig &c) {
             const QString t = v.trimmed();
             if (t == QLatin1String("auto")) {
                 c.ioThreads = ServerConfig::AutoIoThreads;
                 return QString();
             }
             qint64 n = 0;
             const QString err = parseInt(t, 0, IoThreads::MaxThreads, &n);
             if (!err.isEmpty())
                 return QStringLiteral("'%1' is not auto or a number of threads from 0 to %2")
                     .arg(v)
                     .arg(IoThreads::MaxThreads);
             c.ioThreads = int(n);
             return QString();
         }},
        {"server/data_dir",
         [](const QString &v, ServerConfig &c) {
             c.dataDir = v.trimmed();
             return QString();
         }},
        {"auth/jwt_secret",
         [](const QString &v, ServerConfig &c) {
             if (!v.isEmpty() && v.size() < 16)
                 return QStringLiteral(
                     "must be at least 16 characters (or empty for a generated one)");
             c.jwtSecret = v.toUtf8();
             return QString();
         }},
        {"session/idle_timeout",
         [](const QString &v, ServerConfig &c) {
             return parseSeconds(v, 0.05, 31 * 86400, &c.idleTimeoutMs);
         }},
        {"session/warning",
         [](const QString &v, ServerConfig &c) {
             return parseSeconds(v, 0, 86400, &c.warningMs);
         }},
        {"session/login_timeout",
         [](const QString &v, ServerConfig &c) {
             return parseSeconds(v, 0.05, 3600, &c.loginTimeoutMs);
         }},
        {"session/revocation_ttl",
         [](const QString &v, ServerConfig &c) {
             return parseSeconds(v, 1, 366.0 * 86400, &c.revocationTtlMs);
         }},
        {"limits/max_message_bytes",
         [](const QString &v, ServerConfig &c) {
             return parseInt(v, 128, 64 * 1024 * 1024, &c.maxMessageBytes);
         }},
        {"limits/handshake_timeout_ms",
         [](const QString &v, ServerConfig &c) {
             qint64 n = 0;
             const QString err = parseInt(v, 50, 600000, &n);
             c.handshakeTimeoutMs = int(n);
             return err;
         }},
        {"socketio/ping_interval",
         [](const QString &v, ServerConfig &c) {
             return parseSeconds(v, 0.05, 3600, &c.pingIntervalMs);
         }},
        {"socketio/ping_timeout",
         [](const QString &v, ServerConfig &c) {
             return parseSeconds(v, 0.05, 3600, &c.pingTimeoutMs);
         }},
        {"http/demo",
         [](const QString &v, ServerConfig &c) {
             const QString t = v.trimmed().toLower();
             if (t == QLatin1String("auto"))
                 c.demo = ServerConfig::Demo::Auto;
             else if (t == QLatin1String("true") || t == QLatin1String("on")
                      || t == QLatin1String("1"))
                 c.demo = ServerConfig::Demo::On;
             else if (t == QLatin1String("false") || t == QLatin1String("off")
                      || t == QLatin1String("0"))
                 c.demo = ServerConfig::Demo::Off;
             else
                 return QStringLiteral("'%1' is not true, false or auto").arg(v);
             return QString();
         }},
        {"tcp/poll_interval_ms",
         [](const QString &v, ServerConfig &c) {
             qint64 n = 0;
             const QString err = parseInt(v, 0, 3600000, &n);
             c.tcpPollIntervalMs = int(n);
             return err;
         }},
        {"tcp/close_wait_alarm",
         [](const QString &v, ServerConfig &c) {
             return parseSeconds(v, 0.01, 86400, &c.closeWaitAlarmMs);
         }},
        {"limits/max_connections",
         [](const QString &v, ServerConfig &c) {
             return parseCount(v, &c.maxConnections);
         }},
        {"limits/max_connections_per_ip",
         [](const QString &v, ServerConfig &c) {
             return parseCount(v, &c.maxConnectionsPerIp);
         }},
        {"limits/max_connections_per_user",
         [](const QString &v, ServerConfig &c) {
             return parseCount(v, &c.maxConnectionsPerUser);
         }},
        {"limits/max_send_buffer_bytes",
         [](const QString &v, ServerConfig &c) {
             return parseInt(v, 0, qint64(1024) * 1024 * 1024, &c.maxSendBufferBytes);
         }},
        {"limits/per_user_policy",
         [](const QString &v, ServerConfig &c) {
             const QString t = v.trimmed().toLower();
             if (t == QLatin1String("replace_oldest"))
                 c.perUserPolicy = ServerConfig::PerUserPolicy::ReplaceOldest;
             else if (t == QLatin1String("refuse"))
                 c.perUserPolicy = ServerConfig::PerUserPolicy::Refuse;
             else
                 return QStringLiteral("'%1' is not replace_oldest or refuse").arg(v);
             return QString();
         }},
        {"limits/login_failures_per_minute",
         [](const QString &v, ServerConfig &c) {
             return parseCount(v, &c.loginFailuresPerMinute);
         }},
        {"limits/login_ban",
         [](const QString &v, ServerConfig &c) {
             return parseSeconds(v, 0, 86400, &c.loginBanMs);
         }},
        {"security/allowed_origins",
         [](const QString &v, ServerConfig &c) {
             QStringList list;
             const QStringList parts = v.split(QLatin1Char(','), Qt::SkipEmptyParts);
             for (const QString &p : parts) {
                 const QString t = p.trimmed();
                 if (t.isEmpty())
                     continue;
                 const bool ok = t == QLatin1String("*") || t.startsWith(QLatin1String("*."))
                                 || t.startsWith(QLatin1String("http://"))
                                 || t.startsWith(QLatin1String("https://"));
                 if (!ok || t.contains(QLatin1Char(' ')) || t.endsWith(QLatin1Char('/')))
                     return QStringLiteral(
                                "'%1' is not an origin (scheme://host[:port]), *.domain or *")
                         .arg(t);
                 list.append(t);
             }
             c.allowedOrigins = list;
             return QString();
         }},
        {"security/require_origin",
         [](const QString &v, ServerConfig &c) {
             return parseBool(v, &c.requireOrigin);
         }},
        {"tls/cert",
         [](const QString &v, ServerConfig &c) {
             c.tlsCertFile = v.trimmed();
             return QString();
         }},
        {"tls/key",
         [](const QString &v, ServerConfig &c) {
             c.tlsKeyFile = v.trimmed();
             return QString();
         }},
        {"testing/echo_path",
         [](const QString &v, ServerConfig &c) {
             const QString t = v.trimmed();
             if (!t.isEmpty()
                 && (!t.startsWith(QLatin1Char('/')) || t == QLatin1String("/")
                     || t.startsWith(QLatin1String("/socket.io"))))
                 return QStringLiteral("'%1' must be a path like /echo (not / or /socket.io)")
                     .arg(v);
             c.echoPath = t;
             return QString();
         }},
        {"log/format",
         [](const QString &v, ServerConfig &c) {
             const QString t = v.trimmed();
             if (t != QLatin1String("text") && t != QLatin1String("json"))
                 return QStringLiteral("'%1' is not text or json").arg(v);
             c.logFormat = t;
             return QString();
         }},
        {"log/ring_size",
         [](const QString &v, ServerConfig &c) {
             qint64 n = 0;
             const QString err = parseInt(v, 100, 10000000, &n);
             c.eventRingSize = int(n);
             return err;
         }},
        {"admin/listen",
         [](const QString &v, ServerConfig &c) {
             const QString t = v.trimmed();
             if (!t.isEmpty()) {
                 QHostAddress a;
                 quint16 p = 0;
                 QString why;
                 if (!ConfigLoader::parseListen(t, &a, &p, &why))
                     return why;
             }
             c.adminListen = t;
             return QString();
         }},
        {"admin/allow_insecure_remote",
         [](const QString &v, ServerConfig &c) {
             return parseBool(v, &c.adminAllowInsecureRemote);
         }},
        {"admin/metrics_auth",
         [](const QString &v, ServerConfig &c) {
             return parseBool(v, &c.adminMetricsAuth);
         }},
        {"admin/tls_cert",
         [](const QString &v, ServerConfig &c) {
             c.adminTlsCertFile = v.trimmed();
             return QString();
         }},
        {"admin/tls_key",
         [](const QString &v, ServerConfig &c) {
             c.adminTlsKeyFile = v.trimmed();
             return QString();
         }},
        {"log/keep_days",
         [](const QString &v, ServerConfig &c) {
             qint64 n = 0;
             const QString err = parseInt(v, 1, 36500, &n);
             c.logKeepDays = int(n);
             return err;
         }},
        {"log/max_rows",
         [](const QString &v, ServerConfig &c) {
             return parseInt(v, 1000, qint64(1000) * 1000 * 1000, &c.logMaxRows);
         }},
        {"cluster/redis",
         [](const QString &v, ServerConfig &c) {
             const QString t = v.trimmed();
             if (!t.isEmpty()) {
                 ClusterSettings parsed;
                 QString why;
                 if (!ClusterSettings::parseUrl(t, &parsed, &why))
                     return why;
             }
             c.clusterRedis = t;
             return QString();
         }},
        {"cluster/node_id",
         [](const QString &v, ServerConfig &c) {
             const QString t = v.trimmed();
             if (t.size() > 128 || t.contains(QLatin1Char(' ')))
                 return QStringLiteral("'%1' must be at most 128 characters without spaces").arg(v);
             c.clusterNodeId = t;
             return QString();
         }},
        {"cluster/prefix",
         [](const QString &v, ServerConfig &c) {
             const QString t = v.trimmed();
             if (t.isEmpty() || t.size() > 64 || t.contains(QLatin1Char(' ')))
                 return QStringLiteral("'%1' must be 1-64 characters without spaces").arg(v);
             c.clusterPrefix = t;
             return QString();
         }},
        {"cluster/on_redis_down",
         [](const QString &v, ServerConfig &c) {
             const QString t = v.trimmed().toLower();
             if (t == QLatin1String("serve_local"))
                 c.clusterRefuseLoginsWhenDown = false;
             else if (t == QLatin1String("refuse_logins"))
                 c.clusterRefuseLoginsWhenDown = true;
             else
                 return QStringLiteral("'%1' is not serve_local or refuse_logins").arg(v);
             return QString();
         }},
        {"shutdown/spread_ms",
         [](const QString &v, ServerConfig &c) {
             qint64 n = 0;
             const QString err = parseInt(v, 0, 600000, &n);
             c.shutdownSpreadMs = int(n);
             return err;
         }},
    };
    return table;
}

const KeySpec *findSpec(const QString &key)
{
    for (const KeySpec &s : specs()) {
        if (key == QLatin1String(s.key))
            return &s;
    }
    return nullptr;
}

ConfigError loadSecret(ServerConfig &cfg)
{
    const QString path = QDir(cfg.dataDir).filePath(QStringLiteral("jwt.secret"));
    QFile f(path);
    if (f.exists()) {
        if (!f.open(QIODevice::ReadOnly))
            return {path, QStringLiteral("auth/jwt_secret"), f.errorString()};
        cfg.jwtSecret = f.readAll().trimmed();
        if (cfg.jwtSecret.size() < 16)
            return {path, QStringLiteral("auth/jwt_secret"),
                    QStringLiteral("secret file holds fewer than 16 bytes")};
        return {};
    }
    if (!QDir().mkpath(cfg.dataDir))
        return {cfg.dataDir, QStringLiteral("server/data_dir"),
                QStringLiteral("cannot create the data directory")};
    QByteArray raw(32, '\0');
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(raw.data()), raw.size() / 4);
    const QByteArray secret
        = raw.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
    if (!f.open(QIODevice::WriteOnly | QIODevice::NewOnly))
        return {path, QStringLiteral("auth/jwt_secret"), f.errorString()};
    f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    if (f.write(secret + '\n') < 0 || !f.flush())
        return {path, QStringLiteral("auth/jwt_secret"), f.errorString()};
    cfg.jwtSecret = secret;
    return {};
}
} // namespace

QString ConfigError::toString() const
{
    QString where = file;
    if (!key.isEmpty())
        where += QStringLiteral(": [") + key.section(QLatin1Char('/'), 0, 0) + QStringLiteral("] ")
                 + key.section(QLatin1Char('/'), 1);
    return where + QStringLiteral(": ") + reason;
}

QStringList ConfigLoader::knownKeys()
{
    QStringList keys;
    for (const KeySpec &s : specs())
        keys.append(QLatin1String(s.key));
    return keys;
}

QString ConfigLoader::defaultDataDir()
{
    const QString base = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation);
    return QDir(base.isEmpty() ? QDir::homePath() : base).filePath(QStringLiteral("warden"));
}

bool ConfigLoader::parseListen(const QString &text, QHostAddress *address, quint16 *port,
                               QString *why)
{
    const QString t = text.trimmed();
    const qsizetype colon = t.lastIndexOf(QLatin1Char(':'));
    if (colon <= 0) {
        *why = QStringLiteral("'%1' is not ADDR:PORT").arg(text);
        return false;
    }
    QString host = t.left(colon);
    const QString portText = t.mid(colon + 1);
    if (host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']')))
        host = host.mid(1, host.size() - 2);
    bool ok = false;
    const uint p = portText.toUInt(&ok);
    if (!ok || p > 65535) {
        *why = QStringLiteral("'%1' is not a port number (0-65535)").arg(portText);
        return false;
    }
    QHostAddress addr;
    if (host == QLatin1String("localhost"))
        addr = QHostAddress(QHostAddress::LocalHost);
    else if (host == QLatin1String("*"))
        addr = QHostAddress(QHostAddress::Any);
    else if (!addr.setAddress(host)) {
        *why = QStringLiteral("'%1' is not an IP address").arg(host);
        return false;
    }
    *address = addr;
    *port = quint16(p);
    return true;
}

ConfigResult ConfigLoader::load(const QString &file, const QMap<QString, QString> &overrides)
{
    ConfigResult r;
    QMap<QString, QString> values;

    if (!file.isEmpty()) {
        const QFileInfo fi(file);
        if (!fi.exists() || !fi.isFile() || !fi.isReadable()) {
            r.error = {file, {}, QStringLiteral("cannot read the file")};
            return r;
        }
        QFile f(file);
        if (!f.open(QIODevice::ReadOnly)) {
            r.error = {file, {}, f.errorString()};
            return r;
        }
        const IniFile::Result ini = IniFile::parse(f.read(IniFile::MaxBytes + 1));
        if (!ini.error.isEmpty()) {
            r.error = {file, ini.key, ini.error};
            return r;
        }
        for (auto it = ini.values.cbegin(); it != ini.values.cend(); ++it) {
            if (!findSpec(it.key())) {
                r.error = {file, it.key(), QStringLiteral("unknown key")};
                return r;
            }
        }
        values = ini.values;
    }

    ServerConfig cfg;
    auto apply = [&](const QString &source, const QMap<QString, QString> &vals) {
        for (auto it = vals.cbegin(); it != vals.cend(); ++it) {
            const KeySpec *spec = findSpec(it.key());
            if (!spec) {
                r.error = {source, it.key(), QStringLiteral("unknown key")};
                return false;
            }
            const QString why = spec->set(it.value(), cfg);
            if (!why.isEmpty()) {
                r.error = {source, it.key(), why};
                return false;
            }
        }
        return true;
    };
    if (!apply(file, values) || !apply(commandLineName(), overrides))
        return r;

    const QString warningKey = QStringLiteral("session/warning");
    if (!values.contains(warningKey) && !overrides.contains(warningKey)) {
        // The default warning (60 s) shrinks to half of a short idle timeout instead of failing.
        cfg.warningMs = qMin(cfg.warningMs, cfg.idleTimeoutMs / 2);
    } else if (cfg.warningMs >= cfg.idleTimeoutMs) {
        r.error = {overrides.contains(warningKey) ? commandLineName() : file, warningKey,
                   QStringLiteral("must be shorter than session/idle_timeout")};
        return r;
    }
    if (cfg.tlsCertFile.isEmpty() != cfg.tlsKeyFile.isEmpty()) {
        const QString missing
            = cfg.tlsCertFile.isEmpty() ? QStringLiteral("tls/cert") : QStringLiteral("tls/key");
        r.error = {file, missing, QStringLiteral("tls/cert and tls/key go together")};
        return r;
    }
    if (!cfg.tlsCertFile.isEmpty()) {
        QString key;
        const QString why = TlsFiles::load(cfg.tlsCertFile, cfg.tlsKeyFile, &cfg.tlsCertPem,
                                           &cfg.tlsKeyPem, &key);
        if (!why.isEmpty()) {
            r.error = {file, key, why};
            return r;
        }
    }
    if (cfg.adminTlsCertFile.isEmpty() != cfg.adminTlsKeyFile.isEmpty()) {
        const QString missing = cfg.adminTlsCertFile.isEmpty() ? QStringLiteral("admin/tls_cert")
                                                               : QStringLiteral("admin/tls_key");
        r.error = {file, missing, QStringLiteral("admin/tls_cert and admin/tls_key go together")};
        return r;
    }
    if (!cfg.adminTlsCertFile.isEmpty()) {
        QString key;
        const QString why = TlsFiles::load(cfg.adminTlsCertFile, cfg.adminTlsKeyFile,
                                           &cfg.adminTlsCertPem, &cfg.adminTlsKeyPem, &key);
        if (!why.isEmpty()) {
            r.error = {file,
                       key == QLatin1String("tls/cert") ? QStringLiteral("admin/tls_cert")
                                                        : QStringLiteral("admin/tls_key"),
                       why};
            return r;
        }
    }
    if (!cfg.adminListen.isEmpty() && !cfg.adminAllowInsecureRemote && !cfg.adminTlsEnabled()) {
        QHostAddress a;
        quint16 p = 0;
        QString why;
        ConfigLoader::parseListen(cfg.adminListen, &a, &p, &why);
        if (!a.isLoopback()) {
            const QString key = QStringLiteral("admin/listen");
            r.error = {overrides.contains(key) ? commandLineName() : file, key,
                       QStringLiteral("refusing a non-loopback admin address without TLS; set "
                                      "[admin] allow_insecure_remote = true to allow it")};
            return r;
        }
    }
    if (cfg.dataDir.isEmpty())
        cfg.dataDir = defaultDataDir();
    if (cfg.jwtSecret.isEmpty()) {
        r.error = loadSecret(cfg);
        if (!r.ok())
            return r;
    }
    cfg.sourceFile = file;
    cfg.sourceOverrides = overrides;
    r.config = cfg;
    return r;
}
