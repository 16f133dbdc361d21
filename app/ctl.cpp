// SPDX-License-Identifier: MIT
#include "app/ctl.h"

#include "app/unixsignals.h"
#include "server/configloader.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QDateTime>
#include <QtCore/QDeadlineTimer>
#include <QtCore/QDir>
#include <QtCore/QEventLoop>
#include <QtCore/QFile>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QSettings>
#include <QtCore/QUrl>
#include <QtCore/QUrlQuery>
#include <QtNetwork/QNetworkRequest>
#include <QtNetwork/QSslCertificate>
#include <QtNetwork/QSslSocket>
#include <QtNetwork/QTcpSocket>
#include <QtWebSockets/QWebSocket>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>

#include <pwd.h>
#include <unistd.h>

namespace {
constexpr int RequestTimeoutMs = 10000;

struct UsageError
{
    QString message;
};

void out(const QString &text)
{
    const QByteArray b = text.toUtf8();
    std::fwrite(b.constData(), 1, size_t(b.size()), stdout);
    std::fflush(stdout);
}

int fail(const QString &line)
{
    std::fprintf(stderr, "warden ctl: %s\n", qPrintable(line));
    return 1;
}

int usageError(const QString &line)
{
    std::fprintf(stderr, "warden ctl: %s (see warden ctl --help)\n", qPrintable(line));
    return 2;
}

QString osUser()
{
    if (const passwd *pw = ::getpwuid(::geteuid()))
        return QString::fromLocal8Bit(pw->pw_name);
    return qEnvironmentVariable("USER", QStringLiteral("unknown"));
}

// Parsed arguments: options with values, flags, and positionals.
struct Args
{
    QString command;
    QMap<QString, QString> options;
    QSet<QString> flags;
    QStringList positional;

    QString value(const char *name) const { return options.value(QLatin1String(name)); }
    bool has(const char *name) const
    {
        return options.contains(QLatin1String(name)) || flags.contains(QLatin1String(name));
    }
};

const QStringList &flagNames()
{
    static const QStringList f
        = {QStringLiteral("--json"), QStringLiteral("--dry-run"),  QStringLiteral("--follow"),
           QStringLiteral("--help"), QStringLiteral("--insecure"), QStringLiteral("--cluster")};
    return f;
}

const QStringList &valueNames()
{
    static const QStringList v = {QStringLiteral("--data-dir"),     QStringLiteral("--config"),
                                  QStringLiteral("--admin"),        QStringLiteral("--token-file"),
                                  QStringLiteral("--user"),         QStringLiteral("--session"),
                                  QStringLiteral("--reason"),       QStringLiteral("--name"),
                                  QStringLiteral("--idle-timeout"), QStringLiteral("--max-age"),
                                  QStringLiteral("--limit"),        QStringLiteral("--peer"),
                                  QStringLiteral("--state"),        QStringLiteral("--mode"),
                                  QStringLiteral("--cacert"),       QStringLiteral("--node")};
    return v;
}

Args parseArgs(const QStringList &args)
{
    Args a;
    for (qsizetype i = 0; i < args.size(); ++i) {
        const QString arg = args.at(i);
        if (arg.startsWith(QLatin1String("--"))) {
            const QString name = arg.section(QLatin1Char('='), 0, 0);
            if (flagNames().contains(name)) {
                a.flags.insert(name);
            } else if (valueNames().contains(name)) {
                QString v;
                if (arg.contains(QLatin1Char('=')))
                    v = arg.section(QLatin1Char('='), 1);
                else if (i + 1 < args.size() && !args.at(i + 1).startsWith(QLatin1String("--")))
                    v = args.at(++i);
                else
                    throw UsageError{QStringLiteral("option %1 needs a value").arg(name)};
                a.options.insert(name, v);
            } else {
                throw UsageError{QStringLiteral("unknown option %1").arg(arg)};
            }
        } else if (a.command.isEmpty()) {
            a.command = arg;
        } else {
            a.positional.append(arg);
        }
    }
    return a;
}

// Which options each command accepts, besides the global ones.
void checkOptions(const Args &a, const QStringList &allowed, int maxPositional)
{
    static const QStringList global
        = {QStringLiteral("--data-dir"),   QStringLiteral("--config"),  QStringLiteral("--admin"),
           QStringLiteral("--token-file"), QStringLiteral("--json"),    QStringLiteral("--help"),
           QStringLiteral("--cacert"),     QStringLiteral("--insecure")};
    QStringList given = a.options.keys();
    for (const QString &f : a.flags)
        given.append(f);
    for (const QString &o : std::as_const(given)) {
        if (!global.contains(o) && !allowed.contains(o))
            throw UsageError{QStringLiteral("%1 does not take %2").arg(a.command, o)};
    }
    if (a.positional.size() > maxPositional)
        throw UsageError{QStringLiteral("unexpected argument '%1'").arg(a.positional.last())};
}

struct Target
{
    QUrl url;
    QByteArray token;
    QSslConfiguration tls; // for https:// (--cacert, --insecure)
};

// --admin URL --token-file F, else the data dir (--data-dir, or the config's data_dir, or the
// default): admin.url written by the running server, else the configured admin address.
std::optional<Target> findTarget(const Args &a, QString *error)
{
    QString dataDir = a.value("--data-dir");
    QString configured;
    bool configuredTls = false;
    const QString config = a.value("--config");
    if (!config.isEmpty()) {
        if (!QFile::exists(config)) {
            *error = config + QStringLiteral(": cannot read the file");
            return std::nullopt;
        }
        QSettings s(config, QSettings::IniFormat);
        if (dataDir.isEmpty())
            dataDir = s.value(QStringLiteral("server/data_dir")).toString().trimmed();
        configured = s.value(QStringLiteral("admin/listen")).toString().trimmed();
        configuredTls = !s.value(QStringLiteral("admin/tls_cert")).toString().trimmed().isEmpty();
    }
    if (dataDir.isEmpty())
        dataDir = ConfigLoader::defaultDataDir();
    const QDir dir(dataDir);

    Target t;
    QString url = a.value("--admin");
    if (url.isEmpty()) {
        QFile f(dir.filePath(QStringLiteral("admin.url")));
        if (f.open(QIODevice::ReadOnly))
            url = QString::fromUtf8(f.readAll().trimmed());
    }
    if (url.isEmpty())
        url = QLatin1String(configuredTls ? "https://" : "http://")
              + (configured.isEmpty() ? QStringLiteral("127.0.0.1:1216") : configured);
    if (!url.contains(QLatin1String("://")))
        url.prepend(QStringLiteral("http://"));
    t.url = QUrl(url);
    if (!t.url.isValid() || t.url.host().isEmpty()) {
        *error = QStringLiteral("'%1' is not an admin URL").arg(url);
        return std::nullopt;
    }
    QString tokenFile = a.value("--token-file");
    if (tokenFile.isEmpty())
        tokenFile = dir.filePath(QStringLiteral("admin.token"));
    QFile f(tokenFile);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read the admin token %1: %2 (is Warden running with this "
                                "--data-dir?)")
                     .arg(tokenFile, f.errorString());
        return std::nullopt;
    }
    t.token = f.readAll().trimmed();

    // Like curl: --cacert trusts exactly the certificates in FILE, --insecure checks nothing.
    t.tls = QSslConfiguration::defaultConfiguration();
    const QString caFile = a.value("--cacert");
    if (!caFile.isEmpty()) {
        const QList<QSslCertificate> ca = QSslCertificate::fromPath(caFile);
        if (ca.isEmpty()) {
            *error = caFile + QStringLiteral(": no PEM certificate in this file");
            return std::nullopt;
        }
        t.tls.setCaCertificates(ca);
    }
    if (a.has("--insecure"))
        t.tls.setPeerVerifyMode(QSslSocket::VerifyNone);
    return t;
}

struct Reply
{
    int status = 0;
    QByteArray body;
    QJsonObject json;
};

// One blocking HTTP/1.1 exchange; the server always answers with Connection: close.
std::optional<Reply> request(const Target &t, const QByteArray &method, const QString &path,
                             const QJsonObject *body, QString *error)
{
    const quint16 port = quint16(t.url.port(1216));
    std::unique_ptr<QTcpSocket> socket;
    if (t.url.scheme() == QLatin1String("https")) {
        auto ssl = std::make_unique<QSslSocket>();
        ssl->setSslConfiguration(t.tls);
        ssl->connectToHostEncrypted(t.url.host(), port);
        if (!ssl->waitForEncrypted(RequestTimeoutMs)) {
            *error = QStringLiteral("cannot reach Warden at %1: %2%3")
                         .arg(t.url.toString(), ssl->errorString(),
                              ssl->state() == QAbstractSocket::ConnectedState
                                      || !ssl->sslHandshakeErrors().isEmpty()
                                  ? QStringLiteral(" (trust its certificate with --cacert FILE)")
                                  : QString());
            return std::nullopt;
        }
        socket = std::move(ssl);
    } else {
        socket = std::make_unique<QTcpSocket>();
        socket->connectToHost(t.url.host(), port);
        if (!socket->waitForConnected(RequestTimeoutMs)) {
            *error = QStringLiteral("cannot reach Warden at %1: %2")
                         .arg(t.url.toString(), socket->errorString());
            return std::nullopt;
        }
    }
    QTcpSocket &s = *socket;
    const QByteArray payload
        = body ? QJsonDocument(*body).toJson(QJsonDocument::Compact) : QByteArray();
    QByteArray req = method + ' ' + path.toUtf8() + " HTTP/1.1\r\n";
    req += "Host: " + t.url.host().toUtf8() + ':' + QByteArray::number(port) + "\r\n";
    req += "Authorization: Bearer " + t.token + "\r\n";
    req += "X-Warden-Actor: " + osUser().toUtf8() + "@ctl\r\n";
    req += "Connection: close\r\n";
    if (body)
        req += "Content-Type: application/json\r\nContent-Length: "
               + QByteArray::number(payload.size()) + "\r\n";
    req += "\r\n" + payload;
    s.write(req);
    QByteArray raw;
    QDeadlineTimer deadline(RequestTimeoutMs);
    while (s.state() == QAbstractSocket::ConnectedState && !deadline.hasExpired()) {
        if (s.waitForReadyRead(int(qMax<qint64>(1, deadline.remainingTime()))))
            raw += s.readAll();
    }
    raw += s.readAll();
    const qsizetype split = raw.indexOf("\r\n\r\n");
    const QList<QByteArray> statusLine = raw.left(raw.indexOf("\r\n")).split(' ');
    if (split < 0 || statusLine.size() < 2) {
        *error = QStringLiteral("no valid HTTP answer from %1").arg(t.url.toString());
        return std::nullopt;
    }
    Reply r;
    r.status = statusLine.at(1).toInt();
    r.body = raw.mid(split + 4);
    r.json = QJsonDocument::fromJson(r.body).object();
    return r;
}

QString cell(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        return QStringLiteral("-");
    case QJsonValue::Bool:
        return v.toBool() ? QStringLiteral("yes") : QStringLiteral("no");
    case QJsonValue::Double: {
        const double d = v.toDouble();
        return d == double(qint64(d)) ? QString::number(qint64(d)) : QString::number(d);
    }
    case QJsonValue::String:
        return v.toString().isEmpty() ? QStringLiteral("-") : v.toString();
    default:
        return QString::fromUtf8(
            QJsonDocument::fromVariant(v.toVariant()).toJson(QJsonDocument::Compact));
    }
}

QString seconds(const QJsonValue &ms)
{
    if (!ms.isDouble())
        return QStringLiteral("-");
    return QString::number(qint64(ms.toDouble() / 1000.0 + 0.999)) + QLatin1Char('s');
}

QString age(const QJsonValue &iso)
{
    const QDateTime t = QDateTime::fromString(iso.toString(), Qt::ISODateWithMs);
    if (!t.isValid())
        return QStringLiteral("-");
    return QString::number(t.secsTo(QDateTime::currentDateTimeUtc())) + QLatin1Char('s');
}

void printTable(const QStringList &headers, const QList<QStringList> &rows)
{
    QList<qsizetype> widths;
    for (const QString &h : headers)
        widths.append(h.size());
    for (const QStringList &r : rows) {
        for (qsizetype i = 0; i < r.size() && i < widths.size(); ++i)
            widths[i] = qMax(widths[i], r.at(i).size());
    }
    auto line = [&](const QStringList &cells) {
        QString l;
        for (qsizetype i = 0; i < cells.size(); ++i)
            l += i + 1 < cells.size() ? cells.at(i).leftJustified(widths.at(i) + 2) : cells.at(i);
        out(l + QLatin1Char('\n'));
    };
    line(headers);
    for (const QStringList &r : rows)
        line(r);
}

QString eventLine(const QJsonObject &e)
{
    QString l = e.value(QLatin1String("ts")).toString() + QLatin1Char(' ')
                + e.value(QLatin1String("type")).toString();
    static const QList<QPair<const char *, const char *>> first = {
        {"connection_id", "conn"}, {"user", "user"}, {"session_id", "session"}, {"peer", "peer"}};
    for (const auto &[key, label] : first) {
        if (e.contains(QLatin1String(key)))
            l += QLatin1Char(' ') + QLatin1String(label) + QLatin1Char('=')
                 + cell(e.value(QLatin1String(key)));
    }
    for (auto it = e.constBegin(); it != e.constEnd(); ++it) {
        const QString k = it.key();
        if (k == QLatin1String("ts") || k == QLatin1String("type") || k == QLatin1String("id")
            || k == QLatin1String("connection_id") || k == QLatin1String("user")
            || k == QLatin1String("session_id") || k == QLatin1String("peer"))
            continue;
        QString v = cell(it.value());
        if (v.contains(QLatin1Char(' ')))
            v = QLatin1Char('"') + v + QLatin1Char('"');
        l += QLatin1Char(' ') + k + QLatin1Char('=') + v;
    }
    return l;
}

QString withQuery(const QString &path, const QList<QPair<QString, QString>> &items)
{
    QUrlQuery q;
    for (const auto &[k, v] : items) {
        if (!v.isEmpty())
            q.addQueryItem(k, QString::fromUtf8(QUrl::toPercentEncoding(v)));
    }
    return q.isEmpty() ? path : path + QLatin1Char('?') + q.toString(QUrl::FullyEncoded);
}

QString clusterScope(const Args &a)
{
    return a.has("--cluster") ? QStringLiteral("cluster") : QString();
}

// [cluster]: list rows carry the node holding them (null when Warden runs alone).
QStringList withNode(QStringList headers, QList<QStringList> *rows)
{
    const bool any = std::any_of(rows->cbegin(), rows->cend(), [](const QStringList &r) {
        return r.value(0) != QLatin1String("-");
    });
    if (any) {
        headers.prepend(QStringLiteral("NODE"));
        return headers;
    }
    for (QStringList &r : *rows)
        r.removeFirst();
    return headers;
}

QString pathSegment(const QString &s)
{
    return QString::fromLatin1(QUrl::toPercentEncoding(s));
}

// Follows GET /api/v1/stream until SIGINT/SIGTERM or until the server goes away.
int follow(const Target &t, quint64 since, bool json)
{
    QUrl url = t.url;
    url.setScheme(url.scheme() == QLatin1String("https") ? QStringLiteral("wss")
                                                         : QStringLiteral("ws"));
    url.setPath(QStringLiteral("/api/v1/stream"));
    url.setQuery(QStringLiteral("since=%1").arg(since));
    QNetworkRequest req(url);
    req.setRawHeader("Authorization", "Bearer " + t.token);
    req.setRawHeader("X-Warden-Actor", osUser().toUtf8() + "@ctl");
    QWebSocket ws;
    ws.setSslConfiguration(t.tls);
    QEventLoop loop;
    int code = 0;
    bool opened = false;
    UnixSignals unixSignals;
    QObject::connect(&unixSignals, &UnixSignals::stopRequested, &loop, [&] { loop.exit(0); });
    QObject::connect(&ws, &QWebSocket::connected, &loop, [&] { opened = true; });
    QObject::connect(&ws, &QWebSocket::textMessageReceived, &loop, [&](const QString &text) {
        const QJsonObject o = QJsonDocument::fromJson(text.toUtf8()).object();
        if (o.value(QLatin1String("type")) == QLatin1String("counters"))
            return; // the live counters are for dashboards; the log shows events
        out((json ? text : eventLine(o)) + QLatin1Char('\n'));
    });
    QObject::connect(&ws, &QWebSocket::disconnected, &loop, [&] {
        if (!opened) {
            fail(QStringLiteral("cannot open the event stream at %1: %2")
                     .arg(url.toString(), ws.errorString()));
            code = 1;
        }
        loop.exit(code);
    });
    ws.open(req);
    return loop.exec();
}

int runCommand(const Args &a)
{
    const bool json = a.has("--json");
    const QString c = a.command;
    QString error;

    // Validate usage before touching the network: usage errors exit 2 even with no server.
    QByteArray method = "GET";
    QString path;
    std::optional<QJsonObject> body;
    if (c == QLatin1String("infos") || c == QLatin1String("info")) {
        checkOptions(a, {}, 0);
        path = QStringLiteral("/api/v1/info");
    } else if (c == QLatin1String("list")) {
        checkOptions(a,
                     {QStringLiteral("--user"), QStringLiteral("--session"),
                      QStringLiteral("--peer"), QStringLiteral("--state"),
                      QStringLiteral("--limit"), QStringLiteral("--cluster"),
                      QStringLiteral("--node")},
                     0);
        path = withQuery(QStringLiteral("/api/v1/connections"),
                         {{QStringLiteral("scope"), clusterScope(a)},
                          {QStringLiteral("node"), a.value("--node")},
                          {QStringLiteral("user"), a.value("--user")},
                          {QStringLiteral("session"), a.value("--session")},
                          {QStringLiteral("peer"), a.value("--peer")},
                          {QStringLiteral("state"), a.value("--state")},
                          {QStringLiteral("limit"),
                           a.has("--limit") ? a.value("--limit") : QStringLiteral("1000")}});
    } else if (c == QLatin1String("sessions")) {
        checkOptions(a,
                     {QStringLiteral("--user"), QStringLiteral("--session"),
                      QStringLiteral("--state"), QStringLiteral("--limit"),
                      QStringLiteral("--cluster"), QStringLiteral("--node")},
                     0);
        path = withQuery(QStringLiteral("/api/v1/sessions"),
                         {{QStringLiteral("scope"), clusterScope(a)},
                          {QStringLiteral("node"), a.value("--node")},
                          {QStringLiteral("user"), a.value("--user")},
                          {QStringLiteral("session"), a.value("--session")},
                          {QStringLiteral("state"), a.value("--state")},
                          {QStringLiteral("limit"),
                           a.has("--limit") ? a.value("--limit") : QStringLiteral("1000")}});
    } else if (c == QLatin1String("kick")) {
        checkOptions(
            a, {QStringLiteral("--reason"), QStringLiteral("--mode"), QStringLiteral("--node")}, 1);
        bool ok = false;
        const quint64 id = a.positional.value(0).toULongLong(&ok);
        if (!ok)
            throw UsageError{QStringLiteral("kick needs a connection id")};
        method = "POST";
        path = QStringLiteral("/api/v1/connections/%1/kick").arg(id);
        body = QJsonObject{{QLatin1String("reason"), a.value("--reason")}};
        if (a.has("--mode"))
            body->insert(QLatin1String("mode"), a.value("--mode"));
        if (a.has("--node"))
            body->insert(QLatin1String("node"), a.value("--node"));
    } else if (c == QLatin1String("logout")) {
        checkOptions(a,
                     {QStringLiteral("--session"), QStringLiteral("--user"),
                      QStringLiteral("--dry-run"), QStringLiteral("--reason")},
                     0);
        if (a.has("--session") == a.has("--user"))
            throw UsageError{QStringLiteral("logout needs either --session S or --user U")};
        method = "POST";
        body = QJsonObject{{QLatin1String("reason"), a.value("--reason")}};
        if (a.has("--session")) {
            if (a.has("--dry-run"))
                throw UsageError{QStringLiteral("--dry-run goes with --user")};
            method = "DELETE";
            path = QStringLiteral("/api/v1/sessions/") + pathSegment(a.value("--session"));
        } else {
            path = QStringLiteral("/api/v1/users/") + pathSegment(a.value("--user"))
                   + QStringLiteral("/logout");
            body->insert(QLatin1String("dry_run"), a.has("--dry-run"));
        }
    } else if (c == QLatin1String("extend") || c == QLatin1String("touch")) {
        checkOptions(a, {QStringLiteral("--session")}, 1);
        const QString sid = a.has("--session") ? a.value("--session") : a.positional.value(0);
        if (sid.isEmpty())
            throw UsageError{QStringLiteral("%1 needs --session S").arg(c)};
        method = "POST";
        path = QStringLiteral("/api/v1/sessions/") + pathSegment(sid) + QLatin1Char('/') + c;
        body = QJsonObject{};
    } else if (c == QLatin1String("broadcast")) {
        checkOptions(a, {QStringLiteral("--user")}, 2);
        if (a.positional.isEmpty())
            throw UsageError{QStringLiteral("broadcast needs an EVENT [DATA-JSON]")};
        QJsonValue data = QJsonObject();
        if (a.positional.size() > 1) {
            QJsonParseError err{};
            const QJsonDocument d
                = QJsonDocument::fromJson("[" + a.positional.at(1).toUtf8() + "]", &err);
            if (err.error != QJsonParseError::NoError)
                throw UsageError{QStringLiteral("DATA is not JSON: %1").arg(err.errorString())};
            data = d.array().at(0);
        }
        method = "POST";
        path = QStringLiteral("/api/v1/broadcast");
        body = QJsonObject{{QLatin1String("event"), a.positional.at(0)},
                           {QLatin1String("data"), data}};
        if (a.has("--user"))
            body->insert(QLatin1String("user"), a.value("--user"));
    } else if (c == QLatin1String("reload")) {
        checkOptions(a, {QStringLiteral("--dry-run")}, 0);
        method = "POST";
        path = QStringLiteral("/api/v1/reload");
        body = QJsonObject{{QLatin1String("dry_run"), a.has("--dry-run")}};
    } else if (c == QLatin1String("stop")) {
        checkOptions(a, {QStringLiteral("--reason")}, 0);
        method = "POST";
        path = QStringLiteral("/api/v1/stop");
        body = QJsonObject{{QLatin1String("reason"), a.value("--reason")}};
    } else if (c == QLatin1String("restart")) {
        checkOptions(a, {QStringLiteral("--reason")}, 0);
        method = "POST";
        path = QStringLiteral("/api/v1/restart");
        body = QJsonObject{{QLatin1String("reason"), a.value("--reason")}};
    } else if (c == QLatin1String("tcp")) {
        checkOptions(a, {}, 0);
        path = QStringLiteral("/api/v1/tcp");
    } else if (c == QLatin1String("log")) {
        checkOptions(a, {QStringLiteral("--follow"), QStringLiteral("--limit")}, 0);
        path = withQuery(QStringLiteral("/api/v1/events"),
                         {{QStringLiteral("limit"), a.value("--limit")}});
    } else if (c == QLatin1String("session-create")) {
        checkOptions(a,
                     {QStringLiteral("--user"), QStringLiteral("--name"),
                      QStringLiteral("--idle-timeout"), QStringLiteral("--max-age")},
                     0);
        if (a.value("--user").isEmpty())
            throw UsageError{QStringLiteral("session-create needs --user U")};
        body = QJsonObject{{QLatin1String("user"), a.value("--user")}};
        if (a.has("--name"))
            body->insert(QLatin1String("name"), a.value("--name"));
        for (const auto &[opt, key] :
             {std::pair{"--idle-timeout", "idle_timeout_s"}, std::pair{"--max-age", "max_age_s"}}) {
            if (!a.has(opt))
                continue;
            bool ok = false;
            const double v = a.value(opt).toDouble(&ok);
            if (!ok || v <= 0)
                throw UsageError{QStringLiteral("%1: '%2' is not a positive number of seconds")
                                     .arg(QLatin1String(opt), a.value(opt))};
            body->insert(QLatin1String(key), v);
        }
        method = "POST";
        path = QStringLiteral("/api/v1/sessions");
    } else if (c.isEmpty()) {
        throw UsageError{QStringLiteral("missing command")};
    } else {
        throw UsageError{QStringLiteral("unknown command '%1'").arg(c)};
    }

    const std::optional<Target> target = findTarget(a, &error);
    if (!target)
        return fail(error);
    const std::optional<Reply> reply
        = request(*target, method, path, body ? &*body : nullptr, &error);
    if (!reply)
        return fail(error);
    if (reply->status >= 400 || reply->status < 200) {
        const QString why = reply->json.value(QLatin1String("error")).toString();
        return fail(QStringLiteral("%1 (HTTP %2)")
                        .arg(why.isEmpty() ? QString::fromUtf8(reply->body.trimmed()) : why)
                        .arg(reply->status));
    }
    const QJsonObject &o = reply->json;

    if (c == QLatin1String("log")) {
        const QJsonArray events = o.value(QLatin1String("events")).toArray();
        for (const QJsonValue &e : events)
            out((json
                     ? QString::fromUtf8(QJsonDocument(e.toObject()).toJson(QJsonDocument::Compact))
                     : eventLine(e.toObject()))
                + QLatin1Char('\n'));
        if (a.has("--follow"))
            return follow(*target, quint64(o.value(QLatin1String("last_id")).toDouble()), json);
        return 0;
    }
    if (json) {
        out(QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Indented)));
        return 0;
    }

    if (c == QLatin1String("infos") || c == QLatin1String("info")) {
        QList<QStringList> rows;
        for (const char *k : {"version", "pid", "uptime_s", "listen", "admin_listen", "connections",
                              "sessions", "connections_accepted", "config_file"})
            rows.append({QLatin1String(k), cell(o.value(QLatin1String(k)))});
        // [server] io_threads: how many run and the open connections on each.
        const QJsonArray io = o.value(QLatin1String("io_threads")).toArray();
        QStringList perThread;
        for (const QJsonValue &v : io)
            perThread.append(QString::number(v.toInt()));
        rows.append({QStringLiteral("io_threads"),
                     io.isEmpty() ? QStringLiteral("0")
                                  : QStringLiteral("%1 (connections: %2)")
                                        .arg(io.size())
                                        .arg(perThread.join(QLatin1String(", ")))});
        // [cluster]: this node, Redis, the cluster's counts and its live nodes.
        const QJsonObject cluster = o.value(QLatin1String("cluster")).toObject();
        if (!cluster.isEmpty()) {
            for (const char *k :
                 {"node_id", "redis", "state", "connections", "sessions", "last_error"}) {
                if (cluster.contains(QLatin1String(k)))
                    rows.append({QStringLiteral("cluster/") + QLatin1String(k),
                                 cell(cluster.value(QLatin1String(k)))});
            }
            QStringList nodes;
            for (const QJsonValue &n : cluster.value(QLatin1String("nodes")).toArray())
                nodes.append(QStringLiteral("%1 (%2 connections)")
                                 .arg(n[QLatin1String("node_id")].toString())
                                 .arg(n[QLatin1String("connections")].toInt()));
            rows.append({QStringLiteral("cluster/nodes"), nodes.join(QLatin1String(", "))});
        }
        const QJsonObject config = o.value(QLatin1String("config")).toObject();
        for (auto g = config.constBegin(); g != config.constEnd(); ++g) {
            const QJsonObject keys = g.value().toObject();
            for (auto k = keys.constBegin(); k != keys.constEnd(); ++k)
                rows.append({g.key() + QLatin1Char('/') + k.key(), cell(k.value())});
        }
        printTable({QStringLiteral("KEY"), QStringLiteral("VALUE")}, rows);
    } else if (c == QLatin1String("list")) {
        QList<QStringList> rows;
        const QJsonArray list = o.value(QLatin1String("connections")).toArray();
        for (const QJsonValue &v : list) {
            const QJsonObject x = v.toObject();
            const QJsonValue rtt = x.value(QLatin1String("rtt_us"));
            rows.append(
                {cell(x.value(QLatin1String("node"))), cell(x.value(QLatin1String("id"))),
                 cell(x.value(QLatin1String("user"))), cell(x.value(QLatin1String("session_id"))),
                 cell(x.value(QLatin1String("peer"))), cell(x.value(QLatin1String("endpoint"))),
                 age(x.value(QLatin1String("connected_at"))),
                 seconds(x.value(QLatin1String("expires_in_ms"))),
                 cell(x.value(QLatin1String("tcp_state"))),
                 rtt.isDouble() ? QString::number(rtt.toDouble() / 1000.0, 'f', 1)
                                : QStringLiteral("-"),
                 cell(x.value(QLatin1String("msgs_in"))),
                 cell(x.value(QLatin1String("msgs_out")))});
        }
        printTable(
            withNode({QStringLiteral("ID"), QStringLiteral("USER"), QStringLiteral("SESSION"),
                      QStringLiteral("PEER"), QStringLiteral("ENDPOINT"), QStringLiteral("AGE"),
                      QStringLiteral("EXPIRES_IN"), QStringLiteral("TCP"), QStringLiteral("RTT_MS"),
                      QStringLiteral("IN"), QStringLiteral("OUT")},
                     &rows),
            rows);
    } else if (c == QLatin1String("sessions")) {
        QList<QStringList> rows;
        const QJsonArray list = o.value(QLatin1String("sessions")).toArray();
        for (const QJsonValue &v : list) {
            const QJsonObject x = v.toObject();
            rows.append({cell(x.value(QLatin1String("node"))), cell(x.value(QLatin1String("id"))),
                         cell(x.value(QLatin1String("user"))), cell(x.value(QLatin1String("name"))),
                         QString::number(x.value(QLatin1String("connections")).toArray().size()),
                         age(x.value(QLatin1String("last_activity"))),
                         seconds(x.value(QLatin1String("expires_in_ms"))),
                         cell(x.value(QLatin1String("idle_timeout_s"))) + QLatin1Char('s'),
                         cell(x.value(QLatin1String("warned")))});
        }
        printTable(withNode({QStringLiteral("SESSION"), QStringLiteral("USER"),
                             QStringLiteral("NAME"), QStringLiteral("TABS"),
                             QStringLiteral("IDLE_FOR"), QStringLiteral("EXPIRES_IN"),
                             QStringLiteral("IDLE_TIMEOUT"), QStringLiteral("WARNED")},
                            &rows),
                   rows);
    } else if (c == QLatin1String("tcp")) {
        const QJsonObject states = o.value(QLatin1String("states")).toObject();
        out(QStringLiteral("source: %1\n").arg(cell(o.value(QLatin1String("source")))));
        QList<QStringList> rows;
        for (auto it = states.constBegin(); it != states.constEnd(); ++it)
            rows.append({it.key(), cell(it.value())});
        printTable({QStringLiteral("STATE"), QStringLiteral("COUNT")}, rows);
        rows.clear();
        const QJsonArray sockets = o.value(QLatin1String("sockets")).toArray();
        for (const QJsonValue &v : sockets) {
            const QJsonObject x = v.toObject();
            rows.append(
                {cell(x.value(QLatin1String("state"))), cell(x.value(QLatin1String("local"))),
                 cell(x.value(QLatin1String("peer"))), cell(x.value(QLatin1String("rtt_us"))),
                 cell(x.value(QLatin1String("send_q"))), cell(x.value(QLatin1String("recv_q"))),
                 cell(x.value(QLatin1String("connection_id")))});
        }
        if (!rows.isEmpty()) {
            out(QStringLiteral("\n"));
            printTable({QStringLiteral("STATE"), QStringLiteral("LOCAL"), QStringLiteral("PEER"),
                        QStringLiteral("RTT_US"), QStringLiteral("SEND_Q"),
                        QStringLiteral("RECV_Q"), QStringLiteral("CONN")},
                       rows);
        }
    } else if (c == QLatin1String("session-create")) {
        printTable(
            {QStringLiteral("SESSION"), QStringLiteral("USER"), QStringLiteral("EXPIRES_AT"),
             QStringLiteral("TOKEN")},
            {{cell(o.value(QLatin1String("session_id"))), cell(o.value(QLatin1String("user"))),
              cell(o.value(QLatin1String("expires_at"))), cell(o.value(QLatin1String("token")))}});
    } else if (c == QLatin1String("reload")) {
        const QStringList changed = o.value(QLatin1String("changed")).toVariant().toStringList();
        QString text = a.has("--dry-run") ? QStringLiteral("valid; would change: ")
                                          : QStringLiteral("reloaded; changed: ");
        text += changed.isEmpty() ? QStringLiteral("nothing") : changed.join(QLatin1String(", "));
        if (a.has("--dry-run"))
            text += QStringLiteral("; sessions that would expire at once: %1")
                        .arg(o.value(QLatin1String("would_expire_sessions")).toInt());
        out(text + QLatin1Char('\n'));
    } else if (c == QLatin1String("stop")) {
        out(QStringLiteral("stopping (%1 connections will be closed)\n")
                .arg(o.value(QLatin1String("connections")).toInt()));
    } else if (c == QLatin1String("restart")) {
        out(QStringLiteral("restarting (%1 connections will reconnect)\n")
                .arg(o.value(QLatin1String("connections")).toInt()));
    } else {
        // kick, logout, extend, touch, broadcast: what happened, in numbers.
        QString text
            = QStringLiteral("%1: %2 session(s), %3 connection(s)")
                  .arg(a.has("--dry-run") ? QStringLiteral("would affect") : QStringLiteral("ok"))
                  .arg(o.value(QLatin1String("sessions")).toInt())
                  .arg(o.value(QLatin1String("connections")).toInt());
        if (o.contains(QLatin1String("expires_at")))
            text += QStringLiteral("; expires at ") + cell(o.value(QLatin1String("expires_at")));
        // [cluster]: what each node did, and who did not answer in time.
        const QJsonObject nodes = o.value(QLatin1String("nodes")).toObject();
        QStringList per;
        for (auto it = nodes.constBegin(); it != nodes.constEnd(); ++it)
            per.append(QStringLiteral("%1 %2/%3")
                           .arg(it.key())
                           .arg(it.value().toObject().value(QLatin1String("sessions")).toInt())
                           .arg(it.value().toObject().value(QLatin1String("connections")).toInt()));
        if (!per.isEmpty())
            text += QStringLiteral(" [nodes: ") + per.join(QLatin1String(", ")) + QLatin1Char(']');
        const QStringList missing = o.value(QLatin1String("no_answer")).toVariant().toStringList();
        if (!missing.isEmpty())
            text += QStringLiteral(" [no answer: ") + missing.join(QLatin1String(", "))
                    + QLatin1Char(']');
        out(text + QLatin1Char('\n'));
    }
    return 0;
}
} // namespace

QString Ctl::usage()
{
    return QStringLiteral(
        "Usage: warden ctl COMMAND [options]\n"
        "\n"
        "Drives a running Warden through its admin API.\n"
        "\n"
        "Commands:\n"
        "  infos                                  version, uptime, addresses, counts, config\n"
        "  list [--user U] [--session S] [--peer P] [--state ST]   live connections\n"
        "       [--cluster] [--node N]            every node's (a NODE column), or one node's\n"
        "  sessions [--user U] [--state active|warned|detached]    live sessions\n"
        "       [--cluster] [--node N]\n"
        "  kick CONN-ID [--reason R] [--mode logout|disconnect]    end a connection's session\n"
        "       [--node N]                        a connection of another cluster node\n"
        "  logout --session S | --user U [--dry-run] [--reason R]  force logout\n"
        "  extend --session S                     move a session's deadline by one idle timeout\n"
        "  touch --session S                      activity seen by the backend\n"
        "  broadcast EVENT [DATA-JSON] [--user U] send [EVENT, DATA] to logged-in clients\n"
        "  reload [--dry-run]                     re-read the config file\n"
        "  stop                                   stop the server gracefully\n"
        "  restart                                restart in place: same port, same sessions\n"
        "  tcp                                    kernel TCP sockets of Warden's ports\n"
        "  log [--follow] [--limit N]             the event log (follow: live, until Ctrl+C)\n"
        "  session-create --user U [--name N] [--idle-timeout S] [--max-age S]\n"
        "                                         issue an opaque login token\n"
        "\n"
        "Where the server is:\n"
        "  --data-dir DIR      read DIR/admin.url and DIR/admin.token (default "
        "~/.local/share/warden)\n"
        "  --config FILE       take data_dir and [admin] listen from FILE\n"
        "  --admin URL         admin API address (e.g. http://127.0.0.1:1216, https://...)\n"
        "  --token-file FILE   bearer token file (default DIR/admin.token)\n"
        "  --cacert FILE       for https://: trust the PEM certificates in FILE (e.g. a\n"
        "                      self-signed [admin] tls_cert) instead of the system CAs\n"
        "  --insecure          for https://: do not verify the certificate\n"
        "  --json              print the API's JSON instead of a table\n"
        "\n"
        "Exit codes: 0 success, 1 failure, 2 usage error.\n");
}

int Ctl::run(const QStringList &args)
{
    try {
        const Args a = parseArgs(args);
        if (a.has("--help")) {
            out(usage());
            return 0;
        }
        return runCommand(a);
    } catch (const UsageError &e) {
        return usageError(e.message);
    }
}
