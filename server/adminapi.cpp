// SPDX-License-Identifier: MIT
#include "server/adminapi.h"

#include "server/configloader.h"
#include "server/iothreads.h"
#include "server/jwt.h"
#include "server/serverworker.h"
#include "server/tcpsocketinfo.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QDateTime>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QUrlQuery>

#include <algorithm>
#include <limits>

namespace {
constexpr int DefaultPageSize = 100;
constexpr int MaxPageSize = 1000;

HttpResponse jsonResponse(int status, const QJsonObject &o)
{
    return HttpResponse::json(status, QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n');
}

QString queryValue(const AdminRequest &r, const char *key)
{
    const QUrlQuery q(QString::fromUtf8(r.query));
    return q.queryItemValue(QLatin1String(key), QUrl::FullyDecoded);
}

// Paging parameters; false with *error on bad values.
// ?scope=node (default) or cluster; false with *error otherwise.
bool clusterScope(const AdminRequest &r, bool *cluster, QString *error)
{
    const QString scope = queryValue(r, "scope");
    *cluster = scope == QLatin1String("cluster");
    if (!scope.isEmpty() && !*cluster && scope != QLatin1String("node")) {
        *error = QStringLiteral("scope must be node or cluster");
        return false;
    }
    return true;
}

bool paging(const AdminRequest &r, int *offset, int *limit, QString *error)
{
    const QString o = queryValue(r, "offset");
    const QString l = queryValue(r, "limit");
    bool ok = true;
    *offset = o.isEmpty() ? 0 : o.toInt(&ok);
    if (!ok || *offset < 0) {
        *error = QStringLiteral("offset must be a whole number >= 0");
        return false;
    }
    *limit = l.isEmpty() ? DefaultPageSize : l.toInt(&ok);
    if (!ok || *limit < 1 || *limit > MaxPageSize) {
        *error = QStringLiteral("limit must be a whole number in [1, %1]").arg(MaxPageSize);
        return false;
    }
    return true;
}

QJsonObject page(const char *key, const QJsonArray &all, int offset, int limit)
{
    QJsonArray items;
    for (int i = offset; i < all.size() && i < offset + limit; ++i)
        items.append(all.at(i));
    return {{QLatin1String(key), items},
            {QLatin1String("total"), all.size()},
            {QLatin1String("offset"), offset},
            {QLatin1String("limit"), limit}};
}

QJsonValue nullIfNegative(qint64 v)
{
    return v < 0 ? QJsonValue() : QJsonValue(double(v));
}

QString decodeSegment(const QByteArray &segment)
{
    return QString::fromUtf8(QByteArray::fromPercentEncoding(segment));
}

HttpResponse resultResponse(const OperatorResult &r, QJsonObject extra = {})
{
    if (!r.ok())
        return AdminApi::error(r.status, r.error);
    QJsonObject o = r.data;
    for (auto it = extra.constBegin(); it != extra.constEnd(); ++it)
        o.insert(it.key(), it.value());
    o.insert(QLatin1String("ok"), true);
    o.insert(QLatin1String("sessions"), r.sessions);
    o.insert(QLatin1String("connections"), r.connections);
    return jsonResponse(r.status, o);
}

HttpResponse redisDown()
{
    return AdminApi::error(503, QStringLiteral("[cluster] Redis is unreachable"));
}

// Seconds from a JSON number; -1 when absent, -2 when not a positive number.
qint64 millisFrom(const QJsonObject &o, const char *key)
{
    const QJsonValue v = o.value(QLatin1String(key));
    if (v.isUndefined() || v.isNull())
        return -1;
    if (!v.isDouble() || !(v.toDouble() > 0) || v.toDouble() > 366.0 * 86400)
        return -2;
    return qint64(v.toDouble() * 1000.0 + 0.5);
}
} // namespace

AdminApi::AdminApi(ServerWorker &worker)
    : m_worker(worker)
{ }

void AdminApi::setTokens(const QByteArray &adminToken, const QByteArray &readOnlyToken)
{
    m_adminToken = adminToken;
    m_readOnlyToken = readOnlyToken;
}

AdminApi::Access AdminApi::authenticate(const QByteArray &authorization) const
{
    const QByteArray prefix = "Bearer ";
    if (!authorization.startsWith(prefix))
        return Access::None;
    const QByteArray token = authorization.mid(prefix.size()).trimmed();
    if (token.isEmpty())
        return Access::None;
    // Compare with both, always, so timing does not tell which one was close.
    const bool admin = !m_adminToken.isEmpty() && Jwt::constantTimeEquals(token, m_adminToken);
    const bool readOnly
        = !m_readOnlyToken.isEmpty() && Jwt::constantTimeEquals(token, m_readOnlyToken);
    return admin ? Access::Admin : readOnly ? Access::ReadOnly : Access::None;
}

QString AdminApi::accessName(Access a)
{
    switch (a) {
    case Access::Admin:
        return QStringLiteral("admin");
    case Access::ReadOnly:
        return QStringLiteral("readonly");
    case Access::None:
        break;
    }
    return QStringLiteral("anonymous");
}

HttpResponse AdminApi::error(int status, const QString &message)
{
    return jsonResponse(status, {{QLatin1String("error"), message}});
}

QJsonValue AdminApi::isoTime(qint64 ms)
{
    if (ms <= 0)
        return QJsonValue();
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs);
}

QJsonObject AdminApi::connectionJson(const ConnectionInfo &c, qint64 nowMs)
{
    const QString tcp = TcpSnapshot::stateName(c.tcpState);
    return {
        {QLatin1String("id"), double(c.id)},
        {QLatin1String("node"), c.node.isEmpty() ? QJsonValue() : QJsonValue(c.node)},
        {QLatin1String("user"), c.authenticated ? QJsonValue(c.user) : QJsonValue()},
        {QLatin1String("session_id"), c.authenticated ? QJsonValue(c.sessionId) : QJsonValue()},
        {QLatin1String("authenticated"), c.authenticated},
        {QLatin1String("peer"), c.peer},
        {QLatin1String("local"), c.localAddress},
        {QLatin1String("endpoint"), ConnectionInfo::endpointName(c.endpoint)},
        {QLatin1String("path"), c.path},
        {QLatin1String("connected_at"), isoTime(c.connectedAtMs)},
        {QLatin1String("last_activity"), isoTime(c.lastActivityMs)},
        {QLatin1String("expires_at"), isoTime(c.expiresAtMs)},
        {QLatin1String("expires_in_ms"),
         c.expiresAtMs > 0 ? QJsonValue(double(qMax<qint64>(0, c.expiresAtMs - nowMs)))
                           : QJsonValue()},
        {QLatin1String("warned"), c.warned},
        {QLatin1String("tcp_state"), tcp.isEmpty() ? QJsonValue() : QJsonValue(tcp)},
        {QLatin1String("rtt_us"), nullIfNegative(c.rttUs)},
        {QLatin1String("msgs_in"), double(c.msgsIn)},
        {QLatin1String("msgs_out"), double(c.msgsOut)},
        {QLatin1String("bytes_in"), double(c.bytesIn)},
        {QLatin1String("bytes_out"), double(c.bytesOut)},
    };
}

QJsonObject AdminApi::sessionJson(const SessionInfo &s, qint64 configuredIdleMs, qint64 nowMs)
{
    QJsonArray conns;
    for (quint64 id : s.connections)
        conns.append(double(id));
    const qint64 idle = s.idleTimeoutMs > 0 ? s.idleTimeoutMs : configuredIdleMs;
    return {
        {QLatin1String("id"), s.id},
        {QLatin1String("node"), s.node.isEmpty() ? QJsonValue() : QJsonValue(s.node)},
        {QLatin1String("user"), s.user},
        {QLatin1String("name"), s.name},
        {QLatin1String("created_at"), isoTime(s.createdAtMs)},
        {QLatin1String("last_activity"), isoTime(s.lastActivityMs)},
        {QLatin1String("expires_at"), isoTime(s.expiresAtMs)},
        {QLatin1String("expires_in_ms"), double(qMax<qint64>(0, s.expiresAtMs - nowMs))},
        {QLatin1String("hard_end"), isoTime(s.hardEndMs)},
        {QLatin1String("idle_timeout_s"), double(idle) / 1000.0},
        {QLatin1String("warned"), s.warned},
        {QLatin1String("connections"), conns},
    };
}

AdminReply AdminApi::handle(const AdminRequest &r)
{
    m_worker.metrics().apiRequest();
    const bool read = r.method == "GET" || r.method == "HEAD";
    if (r.path == "/healthz") {
        if (!read)
            return {error(405, QStringLiteral("use GET"))};
        const ServerStats st = m_worker.stats();
        return {jsonResponse(200, {{QLatin1String("status"), QLatin1String("ok")},
                                   {QLatin1String("connections"), st.connections},
                                   {QLatin1String("sessions"), st.sessions}})};
    }

    const Access access = authenticate(r.authorization);
    if (r.path == "/metrics") {
        if (!read)
            return {error(405, QStringLiteral("use GET"))};
        const bool open = !m_worker.config().adminMetricsAuth && r.peer.isLoopback();
        if (!open && access == Access::None) {
            m_worker.metrics().adminAuthFailed();
            return {error(401, QStringLiteral("missing or wrong bearer token"))};
        }
        return {metrics()};
    }
    if (!r.path.startsWith("/api/v1/"))
        return {error(404, QStringLiteral("no such endpoint"))};
    if (access == Access::None) {
        m_worker.metrics().adminAuthFailed();
        HttpResponse resp = error(401, QStringLiteral("missing or wrong bearer token"));
        resp.extraHeaders.append(
            qMakePair(QByteArray("WWW-Authenticate"), QByteArray("Bearer realm=\"warden\"")));
        return {resp};
    }
    if (!read && access != Access::Admin)
        return {error(403, QStringLiteral("the read-only token may only GET"))};

    QString actor = accessName(access);
    const QByteArray who = r.actor.left(64);
    if (!who.isEmpty()) {
        QString clean;
        for (const QChar ch : QString::fromUtf8(who))
            clean += ch.isPrint() ? ch : QLatin1Char('?');
        actor += QStringLiteral(" (") + clean + QLatin1Char(')');
    }
    return route(r, access, actor);
}

AdminReply AdminApi::route(const AdminRequest &r, Access, const QString &actor)
{
    const QList<QByteArray> parts = r.path.mid(int(strlen("/api/v1/"))).split('/');
    const QByteArray m = r.method == "HEAD" ? QByteArray("GET") : r.method;
    const QByteArray top = parts.value(0);
    const qsizetype n = parts.size();

    QJsonObject body;
    if (m != "GET" && !r.body.trimmed().isEmpty()) {
        QJsonParseError err{};
        const QJsonDocument d = QJsonDocument::fromJson(r.body, &err);
        if (err.error != QJsonParseError::NoError)
            return {error(400, QStringLiteral("malformed JSON at offset %1: %2")
                                   .arg(err.offset)
                                   .arg(err.errorString()))};
        if (!d.isObject())
            return {error(400, QStringLiteral("the body must be a JSON object"))};
        body = d.object();
    }
    const QString reason = body.value(QLatin1String("reason")).toString();
    auto wrongMethod = [] {
        return AdminReply{error(405, QStringLiteral("method not allowed"))};
    };
    const qint64 t = m_worker.currentTimeMs();

    if (top == "info" && n == 1)
        return m == "GET" ? AdminReply{info()} : wrongMethod();
    // Without a dashboard the periodic poll only looks for CLOSE_WAIT: a request for the list
    // polls the kernel for all of it now.
    if (top == "tcp" && n == 1)
        return m == "GET" ? AdminReply{jsonResponse(
                   200, m_worker.freshTcpSnapshot(TcpSnapshot::Scope::Full, 0).toJson())}
                          : wrongMethod();
    if (top == "events" && n == 1)
        return m == "GET" ? AdminReply{events(r)} : wrongMethod();
    if (top == "connections") {
        // Their tcp_state and rtt_us: as fresh as the dashboard's, even when none is attached.
        if (m == "GET" && n <= 2)
            m_worker.freshTcpSnapshot(TcpSnapshot::Scope::Full,
                                      m_worker.config().tcpPollIntervalMs);
        if (n == 1)
            return m == "GET" ? listConnections(r) : wrongMethod();
        bool ok = false;
        const ConnectionId id = parts.at(1).toULongLong(&ok);
        if (!ok)
            return {error(404, QStringLiteral("no such connection"))};
        std::optional<ConnectionInfo> found;
        const QList<ConnectionInfo> all = m_worker.connections();
        for (const ConnectionInfo &c : all) {
            if (c.id == id)
                found = c;
        }
        if (n == 2) {
            if (m != "GET")
                return wrongMethod();
            const QString node = queryValue(r, "node");
            if (!node.isEmpty() && node != m_worker.nodeId()) {
                // [cluster] a connection of another node, from its registry.
                if (m_worker.nodeId().isEmpty())
                    return {error(404, QStringLiteral("no such connection (no cluster)"))};
                AdminReply reply;
                ServerWorker *w = &m_worker;
                reply.deferred = [w, node, id](const AdminReply::Respond &respond) {
                    w->clusterRows([w, node, id, respond](const ServerWorker::ClusterRows &rows) {
                        if (!rows.ok) {
                            respond(redisDown());
                            return;
                        }
                        for (const ConnectionInfo &c : rows.connections) {
                            if (c.node == node && c.id == id) {
                                respond(jsonResponse(200, connectionJson(c, w->currentTimeMs())));
                                return;
                            }
                        }
                        respond(error(404, QStringLiteral("no such connection")));
                    });
                };
                return reply;
            }
            if (!found)
                return {error(404, QStringLiteral("no such connection"))};
            ConnectionInfo c = *found;
            c.node = m_worker.nodeId();
            return {jsonResponse(200, connectionJson(c, t))};
        }
        if (n == 3 && parts.at(2) == "kick") {
            if (m != "POST")
                return wrongMethod();
            const QString mode = body.value(QLatin1String("mode")).toString();
            if (!mode.isEmpty() && mode != QLatin1String("logout")
                && mode != QLatin1String("disconnect"))
                return {error(400, QStringLiteral("mode must be logout or disconnect"))};
            // [cluster] a connection of another node: ids are per node, so the row names it.
            QString node = body.value(QLatin1String("node")).toString();
            if (node.isEmpty())
                node = queryValue(r, "node");
            if (!node.isEmpty() && node != m_worker.nodeId()) {
                if (m_worker.nodeId().isEmpty())
                    return {error(404, QStringLiteral("no such connection (no cluster)"))};
                return kickRemote(node, id, mode, reason, actor);
            }
            // A kick ends the connection's session on every tab (401 kicked, close 4502); a
            // connection that has not logged in, or mode "disconnect", is only dropped (4002).
            if (found && found->authenticated && mode != QLatin1String("disconnect")) {
                const OperatorResult res = m_worker.forceLogout(found->sessionId, reason, actor);
                return clusterResult(res, {{QLatin1String("session_id"), found->sessionId},
                                           {QLatin1String("close_code"), 4502}});
            }
            const OperatorResult res = m_worker.disconnectConnection(id, reason, actor);
            return {resultResponse(res, {{QLatin1String("close_code"), 4002}})};
        }
        return {error(404, QStringLiteral("no such endpoint"))};
    }
    if (top == "sessions") {
        if (n == 1) {
            if (m == "GET")
                return listSessions(r);
            if (m != "POST")
                return wrongMethod();
            const QJsonValue user = body.value(QLatin1String("user"));
            if (!user.isString() || user.toString().isEmpty())
                return {error(400, QStringLiteral("\"user\" (a non-empty string) is required"))};
            const qint64 idle = millisFrom(body, "idle_timeout_s");
            const qint64 maxAge = millisFrom(body, "max_age_s");
            if (idle == -2 || maxAge == -2)
                return {error(400, QStringLiteral("idle_timeout_s and max_age_s must be positive "
                                                  "numbers of seconds (at most a year)"))};
            if (body.contains(QLatin1String("name"))
                && !body.value(QLatin1String("name")).isString())
                return {error(400, QStringLiteral("\"name\" must be a string"))};
            OperatorResult res = m_worker.createSession(
                user.toString(), body.value(QLatin1String("name")).toString(),
                qMax<qint64>(0, idle), qMax<qint64>(0, maxAge), actor);
            if (res.ok()) {
                res.status = 201;
                res.data.insert(
                    QLatin1String("expires_at"),
                    isoTime(qint64(res.data.take(QLatin1String("expires_at_ms")).toDouble())));
            }
            return {resultResponse(res)};
        }
        const QString sid = decodeSegment(parts.at(1));
        if (n == 2) {
            if (m == "GET") {
                const auto s = m_worker.session(sid);
                if (!s)
                    return {error(404, QStringLiteral("no such session"))};
                return {jsonResponse(200, sessionJson(*s, m_worker.config().idleTimeoutMs, t))};
            }
            if (m == "DELETE")
                return clusterResult(m_worker.forceLogout(sid, reason, actor));
            return wrongMethod();
        }
        if (n == 3 && (parts.at(2) == "touch" || parts.at(2) == "extend")) {
            if (m != "POST")
                return wrongMethod();
            OperatorResult res = parts.at(2) == "touch" ? m_worker.touchSession(sid, actor)
                                                        : m_worker.extendSession(sid, actor);
            if (res.ok())
                res.data.insert(
                    QLatin1String("expires_at"),
                    isoTime(qint64(res.data.value(QLatin1String("expires_at")).toDouble())));
            return clusterResult(res);
        }
        return {error(404, QStringLiteral("no such endpoint"))};
    }
    if (top == "users" && n == 3 && parts.at(2) == "logout") {
        if (m != "POST")
            return wrongMethod();
        const QString user = decodeSegment(parts.at(1));
        const bool dry = body.value(QLatin1String("dry_run")).toBool();
        const OperatorResult res = m_worker.logoutUser(user, reason, actor, dry);
        if (res.ok() && res.sessions == 0 && !dry && !res.data.contains(QLatin1String("cluster")))
            return {error(404, QStringLiteral("no sessions of this user"))};
        return clusterResult(res, {{QLatin1String("dry_run"), dry}});
    }
    if (top == "broadcast" && n == 1) {
        if (m != "POST")
            return wrongMethod();
        const QJsonValue event = body.value(QLatin1String("event"));
        if (!event.isString())
            return {error(400, QStringLiteral("\"event\" (a string) is required"))};
        QJsonValue data = body.value(QLatin1String("data"));
        if (data.isUndefined() || data.isNull())
            data = QJsonObject();
        const OperatorResult res = m_worker.broadcast(
            event.toString(), data, body.value(QLatin1String("user")).toString(), actor);
        return clusterResult(res);
    }
    if (top == "reload" && n == 1)
        return m == "POST" ? AdminReply{reload(body, actor)} : wrongMethod();
    if (top == "stop" && n == 1) {
        if (m != "POST")
            return wrongMethod();
        OperatorResult res;
        res.connections = m_worker.stats().connections;
        m_worker.recordAudit(QStringLiteral("stop"), m_worker.config().listenString(), actor,
                             reason, res);
        return {jsonResponse(200, {{QLatin1String("ok"), true},
                                   {QLatin1String("stopping"), true},
                                   {QLatin1String("connections"), res.connections}}),
                true};
    }
    if (top == "restart" && n == 1) {
        if (m != "POST")
            return wrongMethod();
        OperatorResult res;
        res.connections = m_worker.stats().connections;
        m_worker.recordAudit(QStringLiteral("restart"), m_worker.config().listenString(), actor,
                             reason, res);
        AdminReply reply{jsonResponse(200, {{QLatin1String("ok"), true},
                                            {QLatin1String("restarting"), true},
                                            {QLatin1String("connections"), res.connections}})};
        reply.restartAfterReply = true;
        return reply;
    }
    if (top == "stream")
        return {error(426, QStringLiteral("GET /api/v1/stream is a WebSocket endpoint"))};
    return {error(404, QStringLiteral("no such endpoint"))};
}

HttpResponse AdminApi::metrics() const
{
    const ServerStats st = m_worker.stats();
    Metrics::Gauges g;
    g.connections = st.connections;
    g.sessions = st.sessions;
    g.connectionsAccepted = st.connectionsAccepted;
    g.eventsTotal = st.eventsTotal;
    g.uptimeSeconds = st.startedAtMs > 0 ? (m_worker.currentTimeMs() - st.startedAtMs) / 1000 : 0;
    // Every state's count, though the periodic poll without a dashboard counts CLOSE_WAIT only.
    const TcpSnapshot &tcp = m_worker.freshTcpSnapshot(TcpSnapshot::Scope::Counts,
                                                       m_worker.config().tcpPollIntervalMs);
    g.tcpAvailable = tcp.isAvailable();
    g.tcpStates = tcp.stateCounts;
    if (const IoThreads *io = m_worker.ioThreads())
        g.ioThreadConnections = io->load();
    HttpResponse resp;
    resp.contentType = "text/plain; version=0.0.4; charset=utf-8";
    resp.body = m_worker.metrics().render(g);
    return resp;
}

HttpResponse AdminApi::info() const
{
    const ServerStats st = m_worker.stats();
    const ServerConfig &cfg = m_worker.config();
    const qint64 t = m_worker.currentTimeMs();
    QJsonObject config;
    const QMap<QString, QString> described = cfg.describe();
    for (auto it = described.cbegin(); it != described.cend(); ++it) {
        const QString group = it.key().section(QLatin1Char('/'), 0, 0);
        QJsonObject g = config.value(group).toObject();
        g.insert(it.key().section(QLatin1Char('/'), 1), it.value());
        config.insert(group, g);
    }
    QJsonObject o{
        {QLatin1String("version"), QLatin1String(WARDEN_VERSION)},
        {QLatin1String("pid"), double(QCoreApplication::applicationPid())},
        {QLatin1String("started_at"), isoTime(st.startedAtMs)},
        {QLatin1String("uptime_s"), double(st.startedAtMs > 0 ? (t - st.startedAtMs) / 1000 : 0)},
        {QLatin1String("listen"), st.listen.isEmpty() ? QJsonValue() : QJsonValue(st.listen)},
        {QLatin1String("admin_listen"), cfg.adminListen},
        {QLatin1String("connections"), st.connections},
        {QLatin1String("sessions"), st.sessions},
        {QLatin1String("connections_accepted"), double(st.connectionsAccepted)},
        {QLatin1String("events_total"), double(st.eventsTotal)},
        {QLatin1String("config_file"),
         cfg.sourceFile.isEmpty() ? QJsonValue() : QJsonValue(cfg.sourceFile)},
        {QLatin1String("config"), config},
        {QLatin1String("cluster"), m_worker.clusterInfo()},
    };
    // The I/O threads that run: open connections on each (empty when there are none).
    QJsonArray io;
    if (const IoThreads *threads = m_worker.ioThreads()) {
        for (int open : threads->load())
            io.append(open);
    }
    o.insert(QLatin1String("io_threads"), io);
    return jsonResponse(200, o);
}

namespace {
HttpResponse connectionsPage(QList<ConnectionInfo> all, const AdminRequest &r, int offset,
                             int limit, qint64 t)
{
    const QString user = queryValue(r, "user");
    const QString session = queryValue(r, "session");
    const QString peer = queryValue(r, "peer");
    const QString state = queryValue(r, "state");
    const QString node = queryValue(r, "node");
    std::sort(all.begin(), all.end(), [](const ConnectionInfo &a, const ConnectionInfo &b) {
        return a.node != b.node ? a.node < b.node : a.id < b.id;
    });
    QJsonArray out;
    for (const ConnectionInfo &c : std::as_const(all)) {
        if (!user.isEmpty() && c.user != user)
            continue;
        if (!session.isEmpty() && c.sessionId != session)
            continue;
        if (!peer.isEmpty() && !c.peer.contains(peer))
            continue;
        if (!node.isEmpty() && c.node != node)
            continue;
        if (!state.isEmpty()) {
            // "authenticated" / "pending" (not logged in yet) or a kernel TCP state name.
            const bool match
                = state == QLatin1String("authenticated") ? c.authenticated
                  : state == QLatin1String("pending")
                      ? !c.authenticated
                      : TcpSnapshot::stateName(c.tcpState).compare(state, Qt::CaseInsensitive) == 0;
            if (!match)
                continue;
        }
        out.append(AdminApi::connectionJson(c, t));
    }
    return jsonResponse(200, page("connections", out, offset, limit));
}

HttpResponse sessionsPage(QList<SessionInfo> all, const AdminRequest &r, int offset, int limit,
                          qint64 idle, qint64 t)
{
    const QString user = queryValue(r, "user");
    const QString session = queryValue(r, "session");
    const QString state = queryValue(r, "state");
    const QString node = queryValue(r, "node");
    std::sort(all.begin(), all.end(), [](const SessionInfo &a, const SessionInfo &b) {
        if (a.createdAtMs != b.createdAtMs)
            return a.createdAtMs < b.createdAtMs;
        return a.id != b.id ? a.id < b.id : a.node < b.node;
    });
    QJsonArray out;
    for (const SessionInfo &s : std::as_const(all)) {
        if (!user.isEmpty() && s.user != user)
            continue;
        if (!session.isEmpty() && s.id != session)
            continue;
        if (!node.isEmpty() && s.node != node)
            continue;
        if (state == QLatin1String("warned") && !s.warned)
            continue;
        if (state == QLatin1String("active") && s.connections.isEmpty())
            continue;
        if (state == QLatin1String("detached") && !s.connections.isEmpty())
            continue;
        out.append(AdminApi::sessionJson(s, idle, t));
    }
    return jsonResponse(200, page("sessions", out, offset, limit));
}

} // namespace

AdminReply AdminApi::listConnections(const AdminRequest &r) const
{
    int offset = 0;
    int limit = 0;
    bool cluster = false;
    QString why;
    if (!paging(r, &offset, &limit, &why) || !clusterScope(r, &cluster, &why))
        return {error(400, why)};
    QList<ConnectionInfo> local = m_worker.connections();
    const QString self = m_worker.nodeId();
    for (ConnectionInfo &c : local)
        c.node = self;
    if (!cluster || self.isEmpty())
        return {connectionsPage(local, r, offset, limit, m_worker.currentTimeMs())};
    AdminReply reply;
    ServerWorker *w = &m_worker;
    reply.deferred = [w, r, local, offset, limit](const AdminReply::Respond &respond) {
        w->clusterRows(
            [w, r, local, offset, limit, respond](const ServerWorker::ClusterRows &rows) {
                if (!rows.ok) {
                    respond(redisDown());
                    return;
                }
                respond(connectionsPage(local + rows.connections, r, offset, limit,
                                        w->currentTimeMs()));
            });
    };
    return reply;
}

AdminReply AdminApi::listSessions(const AdminRequest &r) const
{
    int offset = 0;
    int limit = 0;
    bool cluster = false;
    QString why;
    if (!paging(r, &offset, &limit, &why) || !clusterScope(r, &cluster, &why))
        return {error(400, why)};
    const QString state = queryValue(r, "state");
    if (!state.isEmpty() && state != QLatin1String("active") && state != QLatin1String("warned")
        && state != QLatin1String("detached"))
        return {error(400, QStringLiteral("state must be active, warned or detached"))};
    QList<SessionInfo> local = m_worker.sessions();
    const QString self = m_worker.nodeId();
    for (SessionInfo &s : local)
        s.node = self;
    const qint64 idle = m_worker.config().idleTimeoutMs;
    if (!cluster || self.isEmpty())
        return {sessionsPage(local, r, offset, limit, idle, m_worker.currentTimeMs())};
    AdminReply reply;
    ServerWorker *w = &m_worker;
    reply.deferred = [w, r, local, offset, limit, idle](const AdminReply::Respond &respond) {
        w->clusterRows(
            [w, r, local, offset, limit, idle, respond](const ServerWorker::ClusterRows &rows) {
                if (!rows.ok) {
                    respond(redisDown());
                    return;
                }
                respond(sessionsPage(local + rows.sessions, r, offset, limit, idle,
                                     w->currentTimeMs()));
            });
    };
    return reply;
}

AdminReply AdminApi::clusterResult(const OperatorResult &res, const QJsonObject &extra) const
{
    if (!res.data.contains(QLatin1String("cluster_request")))
        return {resultResponse(res, extra)};
    AdminReply reply;
    ServerWorker *w = &m_worker;
    reply.deferred = [w, res, extra](const AdminReply::Respond &respond) {
        w->awaitCluster(res, [respond, extra](const OperatorResult &total) {
            respond(resultResponse(total, extra));
        });
    };
    return reply;
}

AdminReply AdminApi::kickRemote(const QString &node, ConnectionId id, const QString &mode,
                                const QString &reason, const QString &actor) const
{
    AdminReply reply;
    ServerWorker *w = &m_worker;
    reply.deferred = [w, node, id, mode, reason, actor](const AdminReply::Respond &respond) {
        w->clusterRows([=](const ServerWorker::ClusterRows &rows) {
            if (!rows.ok) {
                respond(redisDown());
                return;
            }
            const auto row = std::find_if(
                rows.connections.cbegin(), rows.connections.cend(),
                [&](const ConnectionInfo &c) { return c.node == node && c.id == id; });
            if (row == rows.connections.cend()) {
                respond(error(404, QStringLiteral("no such connection")));
                return;
            }
            // As for a local row: a kick ends the session everywhere unless mode is disconnect.
            const bool logout = mode != QLatin1String("disconnect") && !row->sessionId.isEmpty();
            const OperatorResult res = logout ? w->forceLogout(row->sessionId, reason, actor)
                                              : w->disconnectRemote(node, id, reason, actor);
            QJsonObject extra{{QLatin1String("node"), node},
                              {QLatin1String("close_code"), logout ? 4502 : 4002}};
            if (logout)
                extra.insert(QLatin1String("session_id"), row->sessionId);
            w->awaitCluster(res, [respond, extra](const OperatorResult &total) {
                respond(resultResponse(total, extra));
            });
        });
    };
    return reply;
}

HttpResponse AdminApi::events(const AdminRequest &r) const
{
    const QString sinceText = queryValue(r, "since");
    const QString limitText = queryValue(r, "limit");
    bool ok = true;
    const quint64 since = sinceText.isEmpty() ? 0 : sinceText.toULongLong(&ok);
    if (!ok)
        return error(400, QStringLiteral("since must be an event id"));
    const int limit = limitText.isEmpty() ? DefaultPageSize : limitText.toInt(&ok);
    if (!ok || limit < 1 || limit > MaxPageSize)
        return error(400,
                     QStringLiteral("limit must be a whole number in [1, %1]").arg(MaxPageSize));
    const QString type = queryValue(r, "type");
    ServerEvent::Type wanted{};
    if (!type.isEmpty() && !ServerEvent::typeFromName(type, &wanted))
        return error(400, QStringLiteral("unknown event type '%1'").arg(type));

    const EventRing &ring = m_worker.eventRing();
    // Without since: the newest events (what `ctl log` shows first).
    quint64 from = since;
    if (sinceText.isEmpty() && type.isEmpty())
        from = ring.lastId() > quint64(limit) ? ring.lastId() - quint64(limit) : 0;
    const QList<ServerEvent> list
        = ring.since(from, type.isEmpty() ? limit : std::numeric_limits<int>::max());
    QJsonArray out;
    quint64 last = from;
    for (const ServerEvent &e : list) {
        if (!type.isEmpty() && e.type != wanted)
            continue;
        out.append(e.toJson());
        last = e.id;
        if (out.size() >= limit)
            break;
    }
    return jsonResponse(200, {{QLatin1String("events"), out},
                              {QLatin1String("total"), double(ring.size())},
                              {QLatin1String("last_id"), double(ring.lastId())},
                              {QLatin1String("since"), double(from)},
                              {QLatin1String("limit"), limit},
                              {QLatin1String("next_since"), double(last)}});
}

HttpResponse AdminApi::reload(const QJsonObject &body, const QString &actor)
{
    const bool dry = body.value(QLatin1String("dry_run")).toBool();
    const ServerConfig &current = m_worker.config();
    const QString file = current.sourceFile;
    const ConfigResult loaded = ConfigLoader::load(file, current.sourceOverrides);
    OperatorResult res;
    if (!loaded.ok()) {
        res = OperatorResult::failure(422, loaded.error.toString());
        if (!dry)
            m_worker.reportReloadFailure(loaded.error.file, loaded.error.key, loaded.error.reason,
                                         QStringLiteral("api"));
        m_worker.recordAudit(QStringLiteral("reload"), file, actor,
                             dry ? QStringLiteral("dry run") : QString(), res);
        QJsonObject o{{QLatin1String("error"), res.error}};
        if (!loaded.error.file.isEmpty())
            o.insert(QLatin1String("file"), loaded.error.file);
        if (!loaded.error.key.isEmpty())
            o.insert(QLatin1String("key"), loaded.error.key);
        o.insert(QLatin1String("reason"), loaded.error.reason);
        return jsonResponse(422, o);
    }
    ServerConfig next = loaded.config;
    if (next.listenPort == 0 && next.listenAddress == current.listenAddress)
        next.listenPort = current.listenPort; // as applyConfig: port 0 keeps the bound port
    const QStringList changed = current.changedKeys(next);
    QJsonArray restart;
    for (const QString &k : changed) {
        if (k.startsWith(QLatin1String("admin/")))
            restart.append(k);
    }

    if (dry) {
        // Sessions whose deadline under the new idle timeout (from their last activity) has
        // already passed: they would all expire the moment the reload is applied.
        const qint64 t = m_worker.currentTimeMs();
        int wouldExpire = 0;
        int connections = 0;
        const QList<SessionInfo> sessions = m_worker.sessions();
        for (const SessionInfo &s : sessions) {
            const qint64 idle = s.idleTimeoutMs > 0 ? s.idleTimeoutMs : next.idleTimeoutMs;
            qint64 deadline = s.lastActivityMs + idle;
            if (s.hardEndMs > 0)
                deadline = qMin(deadline, s.hardEndMs);
            if (deadline <= t) {
                ++wouldExpire;
                connections += int(s.connections.size());
            }
        }
        res.sessions = wouldExpire;
        res.connections = connections;
        res.data.insert(QLatin1String("dry_run"), true);
        m_worker.recordAudit(QStringLiteral("reload"), file, actor, QStringLiteral("dry run"), res);
        return jsonResponse(200, {{QLatin1String("ok"), true},
                                  {QLatin1String("dry_run"), true},
                                  {QLatin1String("changed"), QJsonArray::fromStringList(changed)},
                                  {QLatin1String("restart_required"), restart},
                                  {QLatin1String("would_expire_sessions"), wouldExpire},
                                  {QLatin1String("would_close_connections"), connections}});
    }

    bool ok = false;
    QStringList applied;
    QString failure;
    QObject guard;
    QObject::connect(&m_worker, &ServerWorker::reloaded, &guard,
                     [&](bool success, const QStringList &keys, const QString &error) {
                         ok = success;
                         applied = keys;
                         failure = error;
                     });
    m_worker.applyConfig(loaded.config, QStringLiteral("api"));
    res = ok ? OperatorResult() : OperatorResult::failure(422, failure);
    m_worker.recordAudit(QStringLiteral("reload"), file, actor, QString(), res);
    if (!ok)
        return error(422, failure);
    return jsonResponse(200, {{QLatin1String("ok"), true},
                              {QLatin1String("changed"), QJsonArray::fromStringList(applied)},
                              {QLatin1String("restart_required"), restart}});
}
