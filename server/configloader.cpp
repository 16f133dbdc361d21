// SPDX-License-Identifier: MIT
#include "server/configloader.h"

#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QFileInfo>
#include <QtCore/QRandomGenerator>
#include <QtCore/QSettings>
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

QString settingText(const QVariant &v)
{
    // QSettings splits unquoted values at commas; the loader wants the text as written.
    if (v.metaType().id() == QMetaType::QStringList)
        return v.toStringList().join(QLatin1String(", "));
    return v.toString();
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
        QSettings s(file, QSettings::IniFormat);
        if (s.status() != QSettings::NoError) {
            r.error = {file, {}, QStringLiteral("not a valid INI file")};
            return r;
        }
        const QStringList keys = s.allKeys();
        for (const QString &k : keys) {
            if (!findSpec(k)) {
                const QString shown
                    = k.contains(QLatin1Char('/')) ? k : QStringLiteral("General/") + k;
                r.error = {file, shown, QStringLiteral("unknown key")};
                return r;
            }
            values.insert(k, settingText(s.value(k)));
        }
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
    if (cfg.dataDir.isEmpty())
        cfg.dataDir = defaultDataDir();
    if (cfg.jwtSecret.isEmpty()) {
        r.error = loadSecret(cfg);
        if (!r.ok())
            return r;
    }
    r.config = cfg;
    return r;
}
