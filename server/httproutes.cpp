// SPDX-License-Identifier: MIT
#include "server/httproutes.h"

#include "server/jwt.h"

#include <QtCore/QFile>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QRandomGenerator>

namespace {
constexpr int MaxDemoUserLength = 64;

QByteArray jsonBody(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n';
}

HttpResponse jsonError(int status, const QString &reason, const QString &message)
{
    return HttpResponse::json(status, jsonBody(QJsonObject{{QLatin1String("code"), status},
                                                           {QLatin1String("reason"), reason},
                                                           {QLatin1String("message"), message}}));
}

// Engine.IO's own error answers, so socket.io-client reports something recognisable.
HttpResponse engineIoError(int code, const char *message)
{
    return HttpResponse::json(
        400, jsonBody(QJsonObject{{QLatin1String("code"), code},
                                  {QLatin1String("message"), QLatin1String(message)}}));
}

std::optional<HttpResponse> checkSocketIoQuery(const HttpRequest &req)
{
    if (req.queryValue("EIO") != "4")
        return engineIoError(5, "Unsupported protocol version (Warden speaks EIO=4)");
    if (req.queryValue("transport") != "websocket")
        return engineIoError(0, "Transport unknown (Warden supports transport=websocket only)");
    return std::nullopt;
}

HttpResponse resource(const QString &path, const QByteArray &contentType,
                      const QByteArray &cacheControl)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return HttpResponse::text(500, "resource missing from this build");
    HttpResponse r;
    r.contentType = contentType;
    r.cacheControl = cacheControl;
    r.body = f.readAll();
    r.extraHeaders.append(qMakePair(QByteArray("X-Content-Type-Options"), QByteArray("nosniff")));
    return r;
}

QString randomHex(int bytes)
{
    QByteArray raw(bytes, '\0');
    for (char &c : raw)
        c = char(QRandomGenerator::system()->bounded(256));
    return QString::fromLatin1(raw.toHex());
}

HttpResponse demoToken(const HttpRequest &req, const HttpRouteContext &ctx)
{
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(req.body, &err);
    if (err.error != QJsonParseError::NoError || !doc.isObject())
        return jsonError(400, QStringLiteral("bad_request"),
                         QStringLiteral("send a JSON object {\"user\": NAME}"));
    const QJsonValue userValue = doc.object().value(QLatin1String("user"));
    const QString user = userValue.toString().trimmed();
    if (!userValue.isString() || user.isEmpty() || user.size() > MaxDemoUserLength)
        return jsonError(
            400, QStringLiteral("bad_request"),
            QStringLiteral("user must be a string of 1-%1 characters").arg(MaxDemoUserLength));
    for (const QChar ch : user) {
        if (ch.category() == QChar::Other_Control)
            return jsonError(400, QStringLiteral("bad_request"),
                             QStringLiteral("user must not contain control characters"));
    }
    const QString sid = QStringLiteral("demo-") + randomHex(6);
    const qint64 exp = ctx.nowMs / 1000 + HttpRoutes::DemoTokenTtlSecs;
    const QByteArray token = Jwt::mint(ctx.config.jwtSecret, user, sid, exp, user);
    const QJsonObject o{{QLatin1String("token"), QString::fromLatin1(token)},
                        {QLatin1String("user"), user},
                        {QLatin1String("session_id"), sid},
                        {QLatin1String("expires_in"), double(HttpRoutes::DemoTokenTtlSecs)},
                        {QLatin1String("idle_timeout"), double(ctx.config.idleTimeoutMs) / 1000.0},
                        {QLatin1String("warning"), double(ctx.config.warningMs) / 1000.0}};
    return HttpResponse::json(200, jsonBody(o));
}
} // namespace

bool HttpRoutes::isSocketIoPath(const QByteArray &path)
{
    return path == "/socket.io" || path == "/socket.io/";
}

std::optional<HttpResponse> HttpRoutes::checkUpgrade(const HttpRequest &req)
{
    // Origin checks (the security issue) belong here, before the handshake is answered.
    if (isSocketIoPath(req.path))
        return checkSocketIoQuery(req);
    if (req.path.startsWith("/socket.io/"))
        return HttpResponse::text(404, "the Socket.IO endpoint is /socket.io/");
    return std::nullopt;
}

HttpResponse HttpRoutes::answer(const HttpRequest &req, const HttpRouteContext &ctx)
{
    const bool get = req.method == "GET" || req.method == "HEAD";
    const QByteArray &path = req.path;

    if (path == "/healthz" && get) {
        const QJsonObject o{
            {QLatin1String("status"), QLatin1String(ctx.stopping ? "stopping" : "ok")},
            {QLatin1String("connections"), ctx.connections},
            {QLatin1String("sessions"), ctx.sessions}};
        return HttpResponse::json(ctx.stopping ? 503 : 200, jsonBody(o));
    }
    if (path == "/warden.js") {
        if (!get)
            return HttpResponse::text(405, "use GET");
        return resource(QStringLiteral(":/web/warden.js"), "text/javascript; charset=utf-8",
                        "public, max-age=300");
    }
    if (ctx.config.demoEnabled()) {
        if (path == "/demo" || path == "/demo/") {
            if (!get)
                return HttpResponse::text(405, "use GET");
            return resource(QStringLiteral(":/web/demo.html"), "text/html; charset=utf-8",
                            "no-store");
        }
        if (path == "/demo/token") {
            if (req.method != "POST")
                return jsonError(405, QStringLiteral("method_not_allowed"),
                                 QStringLiteral("POST {\"user\": NAME}"));
            return demoToken(req, ctx);
        }
    }
    if (isSocketIoPath(path)) {
        if (const auto error = checkSocketIoQuery(req))
            return *error;
        return engineIoError(3, "Bad request (the websocket transport needs an Upgrade)");
    }
    return HttpResponse::text(404, "not found");
}
