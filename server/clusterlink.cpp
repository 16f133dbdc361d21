// SPDX-License-Identifier: MIT
#include "server/clusterlink.h"

#include <QtCore/QCryptographicHash>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QScopeGuard>
#include <QtCore/QUrl>

namespace {
constexpr int HeartbeatMs = 1000;
constexpr qint64 NodeTtlMs = 5000; // a node (and its connection list) vanishes 5 s after its end
constexpr int ActivityFlushMs = 1000; // activity reaches Redis at most once a second per session
constexpr qint64 SweepGraceMs = 1500; // nodes holding a session claim it first, at its deadline
constexpr int SweepLimit = 500;
constexpr qint64 StallMs = 3000; // a Redis that does not answer for this long counts as down
constexpr int FirstBackoffMs = 250;
constexpr int MaxBackoffMs = 5000;
constexpr int ConnFlushMs = 200; // registry writes of opened / closed connections, batched

// Every script takes the key prefix as ARGV[1] and builds its keys from it: one Redis (with or
// without replicas), not Redis Cluster. Times are ms since the epoch. A revocation key lives until
// the session's natural end (its token's exp, or the end + [session] revocation_ttl), and at least
// 5 minutes: a session ending at its hard end must still read as ended to the nodes that come to
// claim it a moment later.
// The shared part: claim the expiry of a session whose deadline passed, exactly once.
const char *const ClaimFunction = R"lua(
local function claim(p, sid, now, node, ch, ttl)
  local sc = redis.call('ZSCORE', p .. 'deadlines', sid)
  if not sc then
    local r = redis.call('GET', p .. 'rev:' .. sid)
    if r then return {'ended', r} end
    return {'unknown'}
  end
  sc = tonumber(sc)
  local h = redis.call('HMGET', p .. 's:' .. sid, 'user', 'last', 'idle', 'hard')
  if sc > now then return {'later', h[2] or '0', string.format('%d', sc)} end
  local last = tonumber(h[2] or '0')
  local idle = tonumber(h[3] or '0')
  local hard = tonumber(h[4] or '0')
  local reason = 'idle_timeout'
  if hard > 0 and hard <= last + idle then reason = 'session_expired' end
  local untilMs = now + ttl
  if hard > 0 then untilMs = math.max(hard, now) end
  local user = h[1] or ''
  local tok = redis.call('HGET', p .. 's:' .. sid, 'tok')
  if tok then redis.call('DEL', p .. 'tok:' .. tok) end
  redis.call('ZREM', p .. 'deadlines', sid)
  redis.call('DEL', p .. 's:' .. sid)
  if user ~= '' then redis.call('SREM', p .. 'u:' .. user, sid) end
  redis.call('SET', p .. 'rev:' .. sid, reason .. '|' .. string.format('%d', untilMs),
             'PX', math.max(300000, untilMs - now))
  redis.call('PUBLISH', ch, cjson.encode({t = 'end', sid = sid, user = user, reason = reason,
             ['until'] = untilMs, node = node, expired = 1}))
  return {'claimed', reason, string.format('%d', untilMs), user, string.format('%d', sc)}
end
)lua";

// ARGV: prefix sid now node channel ttl
const char *const ClaimScript = R"lua(
return claim(ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5], tonumber(ARGV[6]))
)lua";

// ARGV: prefix cutoff now limit node channel ttl -> {{sid, reason, until, user, deadline}...}
const char *const SweepScript = R"lua(
local due = redis.call('ZRANGEBYSCORE', ARGV[1] .. 'deadlines', '-inf', ARGV[2],
                       'LIMIT', 0, tonumber(ARGV[4]))
local out = {}
for _, sid in ipairs(due) do
  local r = claim(ARGV[1], sid, tonumber(ARGV[3]), ARGV[5], ARGV[6], tonumber(ARGV[7]))
  if r[1] == 'claimed' then table.insert(out, {sid, r[2], r[3], r[4], r[5]}) end
end
return out
)lua";

// ARGV: prefix sid user name created last idle hard node now
const char *const RegisterScript = R"lua(
local p, sid = ARGV[1], ARGV[2]
local r = redis.call('GET', p .. 'rev:' .. sid)
if r then return {'revoked', r} end
local k = p .. 's:' .. sid
local h = redis.call('HMGET', k, 'user', 'created', 'last', 'idle', 'hard', 'name')
local now = tonumber(ARGV[10])
if h[1] then
  local last = tonumber(h[3])
  local a = tonumber(ARGV[6])
  if a > last then
    last = a
    redis.call('HSET', k, 'last', string.format('%d', a))
    if redis.call('ZSCORE', p .. 'deadlines', sid) then
      local d = last + tonumber(h[4])
      local hard = tonumber(h[5])
      if hard > 0 and hard < d then d = hard end
      redis.call('ZADD', p .. 'deadlines', d, sid)
    end
  end
  return {'live', h[1], h[2], string.format('%d', last), h[4], h[5], h[6] or ''}
end
local created = tonumber(ARGV[5])
if created <= 0 then created = now end
local last = tonumber(ARGV[6])
if last <= 0 then last = now end
local idle = tonumber(ARGV[7])
local hard = tonumber(ARGV[8])
local d = last + idle
if hard > 0 and hard < d then d = hard end
redis.call('HSET', k, 'user', ARGV[3], 'name', ARGV[4], 'created', string.format('%d', created),
           'last', string.format('%d', last), 'idle', ARGV[7], 'hard', ARGV[8],
           'node', ARGV[9], 'state', 'live')
redis.call('ZADD', p .. 'deadlines', d, sid)
redis.call('SADD', p .. 'u:' .. ARGV[3], sid)
return {'created', ARGV[3], string.format('%d', created), string.format('%d', last), ARGV[7],
        ARGV[8], ARGV[4]}
)lua";

// ARGV: prefix sid last node channel mode now rid; mode 0 activity, 1 extension to `last`,
// 2 extension computed here (the caller does not hold the session). -> deadline, 0 gone, -1 stale
const char *const TouchScript = R"lua(
local p, sid = ARGV[1], ARGV[2]
local k = p .. 's:' .. sid
local h = redis.call('HMGET', k, 'last', 'idle', 'hard')
if not h[1] then return 0 end
if not redis.call('ZSCORE', p .. 'deadlines', sid) then return 0 end
local last, idle, hard = tonumber(h[1]), tonumber(h[2]), tonumber(h[3])
local a = tonumber(ARGV[3])
if ARGV[6] == '2' then
  local now = tonumber(ARGV[7])
  local base = last
  if now - idle > base then base = now - idle end
  a = base + idle
end
if a <= last and ARGV[6] == '0' then return -1 end
if a > last then
  last = a
  redis.call('HSET', k, 'last', string.format('%d', a))
end
local d = last + idle
if hard > 0 and hard < d then d = hard end
redis.call('ZADD', p .. 'deadlines', d, sid)
redis.call('PUBLISH', ARGV[5], cjson.encode({t = 'touch', sid = sid, last = last,
           ext = tonumber(ARGV[6]), node = ARGV[4], rid = ARGV[8]}))
return d
)lua";

// ARGV: prefix sid reason until now node channel user rid -> 1 revoked now, 0 already revoked
const char *const RevokeScript = R"lua(
local p, sid = ARGV[1], ARGV[2]
local now, untilMs = tonumber(ARGV[5]), tonumber(ARGV[4])
local ok = redis.call('SET', p .. 'rev:' .. sid, ARGV[3] .. '|' .. ARGV[4],
                     'PX', math.max(300000, untilMs - now), 'NX')
if not ok then return 0 end
local user = ARGV[8]
local u = redis.call('HGET', p .. 's:' .. sid, 'user')
if u then user = u end
local tok = redis.call('HGET', p .. 's:' .. sid, 'tok')
if tok then redis.call('DEL', p .. 'tok:' .. tok) end
redis.call('ZREM', p .. 'deadlines', sid)
redis.call('DEL', p .. 's:' .. sid)
if user ~= '' then redis.call('SREM', p .. 'u:' .. user, sid) end
redis.call('PUBLISH', ARGV[7], cjson.encode({t = 'end', sid = sid, user = user,
           reason = ARGV[3], ['until'] = untilMs, node = ARGV[6], rid = ARGV[9]}))
return 1
)lua";

// ARGV: prefix user reason now node channel ttl rid -> number of sessions ended
const char *const RevokeUserScript = R"lua(
local p, user = ARGV[1], ARGV[2]
local now, ttl = tonumber(ARGV[4]), tonumber(ARGV[7])
local n = 0
for _, sid in ipairs(redis.call('SMEMBERS', p .. 'u:' .. user)) do
  local hard = tonumber(redis.call('HGET', p .. 's:' .. sid, 'hard') or '0')
  local untilMs = now + ttl
  if hard > 0 then untilMs = math.max(hard, now) end
  local ok = redis.call('SET', p .. 'rev:' .. sid, ARGV[3] .. '|' .. string.format('%d', untilMs),
                        'PX', math.max(300000, untilMs - now), 'NX')
  if ok then
    local tok = redis.call('HGET', p .. 's:' .. sid, 'tok')
    if tok then redis.call('DEL', p .. 'tok:' .. tok) end
    redis.call('ZREM', p .. 'deadlines', sid)
    redis.call('DEL', p .. 's:' .. sid)
    redis.call('PUBLISH', ARGV[6], cjson.encode({t = 'end', sid = sid, user = user,
               reason = ARGV[3], ['until'] = untilMs, node = ARGV[5], rid = ARGV[8]}))
    n = n + 1
  end
end
redis.call('DEL', p .. 'u:' .. user)
return n
)lua";

// An opaque token issued through the admin API, keyed by its SHA-256 (hex), never the token
// itself. It goes with its session: the session record names it (field `tok`) so that the scripts
// ending a session delete it too, and a hard end gives it a TTL.
// ARGV: prefix hash sid user name exp now
const char *const TokenSaveScript = R"lua(
local p, h, sid = ARGV[1], ARGV[2], ARGV[3]
if redis.call('GET', p .. 'rev:' .. sid) then return 0 end
local k = p .. 'tok:' .. h
redis.call('HSET', k, 'sid', sid, 'user', ARGV[4], 'name', ARGV[5], 'exp', ARGV[6])
local exp, now = tonumber(ARGV[6]), tonumber(ARGV[7])
if exp > 0 then redis.call('PEXPIRE', k, math.max(1, exp - now)) end
if redis.call('EXISTS', p .. 's:' .. sid) == 1 then
  redis.call('HSET', p .. 's:' .. sid, 'tok', h)
end
return 1
)lua";

// ARGV: prefix hash -> {'unknown'} | {'live', sid, user, name, exp}
// A token whose session is gone (ended, or lost by Redis) is deleted and unknown.
const char *const TokenLookupScript = R"lua(
local p, h = ARGV[1], ARGV[2]
local k = p .. 'tok:' .. h
local t = redis.call('HMGET', k, 'sid', 'user', 'name', 'exp')
if not t[1] then return {'unknown'} end
if redis.call('GET', p .. 'rev:' .. t[1]) or redis.call('EXISTS', p .. 's:' .. t[1]) == 0 then
  redis.call('DEL', k)
  return {'unknown'}
end
return {'live', t[1], t[2] or '', t[3] or '', t[4] or '0'}
)lua";

// ARGV: prefix since -> {{id, listen, connections, sessions, heartbeat}...}
const char *const NodesScript = R"lua(
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', ARGV[1] .. 'nodes', ARGV[2], '+inf')) do
  local h = redis.call('HMGET', ARGV[1] .. 'node:' .. id, 'listen', 'connections', 'sessions',
                       'heartbeat')
  if h[4] then table.insert(out, {id, h[1] or '', h[2] or '0', h[3] or '0', h[4]}) end
end
return out
)lua";

// ARGV: prefix since -> {{node, {{id, entry, name, created, last, idle, hard, deadline}...}}...}
// The registry of every live node with what Redis holds about each connection's session.
const char *const ViewScript = R"lua(
local p = ARGV[1]
local out = {}
for _, node in ipairs(redis.call('ZRANGEBYSCORE', p .. 'nodes', ARGV[2], '+inf')) do
  local h = redis.call('HGETALL', p .. 'conns:' .. node)
  local rows = {}
  for i = 1, #h, 2 do
    local ok, c = pcall(cjson.decode, h[i + 1])
    local sid = ''
    if ok and type(c) == 'table' and type(c.session_id) == 'string' then sid = c.session_id end
    local s = redis.call('HMGET', p .. 's:' .. sid, 'name', 'created', 'last', 'idle', 'hard')
    local d = redis.call('ZSCORE', p .. 'deadlines', sid) or '0'
    table.insert(rows, {h[i], h[i + 1], s[1] or '', s[2] or '0', s[3] or '0', s[4] or '0',
                        s[5] or '0', d})
  end
  table.insert(out, {node, rows})
end
return out
)lua";

QByteArray num(qint64 v)
{
    return QByteArray::number(v);
}

const QByteArray &claimScript()
{
    static const QByteArray s = QByteArray(ClaimFunction) + ClaimScript;
    return s;
}

const QByteArray &sweepScript()
{
    static const QByteArray s = QByteArray(ClaimFunction) + SweepScript;
    return s;
}
} // namespace

bool ClusterSettings::parseUrl(const QString &text, ClusterSettings *out, QString *error)
{
    const QUrl url(text.trimmed(), QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty()) {
        *error = QStringLiteral("'%1' is not a URL like redis://127.0.0.1:6379/0").arg(text);
        return false;
    }
    if (url.scheme() == QLatin1String("rediss")) {
        *error = QStringLiteral("rediss:// (TLS) needs hiredis 1.0 or later; Debian 12 ships "
                                "0.14: use redis:// on a private network or a TLS tunnel");
        return false;
    }
    if (url.scheme() != QLatin1String("redis")) {
        *error = QStringLiteral("'%1': the scheme must be redis://").arg(text);
        return false;
    }
    const int port = url.port(6379);
    if (port <= 0 || port > 65535) {
        *error = QStringLiteral("'%1': the port must be 1-65535").arg(text);
        return false;
    }
    int db = 0;
    const QString path = url.path();
    if (!path.isEmpty() && path != QLatin1String("/")) {
        bool ok = false;
        db = path.mid(1).toInt(&ok);
        if (!ok || db < 0 || db > 65535) {
            *error = QStringLiteral("'%1': the path must be a database number (/0)").arg(text);
            return false;
        }
    }
    out->host = url.host().toUtf8();
    out->port = port;
    out->db = db;
    out->user = url.userName().toUtf8();
    out->password = url.password().toUtf8();
    return true;
}

QString ClusterSettings::redisDisplay() const
{
    return QStringLiteral("redis://%1:%2/%3").arg(QString::fromUtf8(host)).arg(port).arg(db);
}

QString ClusterLink::reasonName(EndReason r)
{
    return QString::fromLatin1(endReasonInfo(r).reason);
}

bool ClusterLink::reasonFromName(const QByteArray &name, EndReason *out)
{
    for (EndReason r : {EndReason::IdleTimeout, EndReason::SessionExpired, EndReason::Kicked,
                        EndReason::LoggedOut}) {
        if (name == endReasonInfo(r).reason) {
            *out = r;
            return true;
        }
    }
    return false;
}

ClusterLink::ClusterLink(const ClusterSettings &settings, Clock clock, QObject *parent)
    : QObject(parent)
    , m_settings(settings)
    , m_clock(std::move(clock))
    , m_cmd(this)
    , m_sub(this)
    , m_reconnect(this)
    , m_heartbeat(this)
    , m_activityFlush(this)
{
    m_reconnect.setSingleShot(true);
    connect(&m_reconnect, &QTimer::timeout, this, &ClusterLink::connectNow);
    m_heartbeat.setInterval(HeartbeatMs);
    connect(&m_heartbeat, &QTimer::timeout, this, &ClusterLink::heartbeat);
    m_activityFlush.setSingleShot(true);
    m_activityFlush.setInterval(ActivityFlushMs);
    connect(&m_activityFlush, &QTimer::timeout, this, &ClusterLink::flushActivity);
    connect(&m_cmd, &RedisConnection::disconnected, this, &ClusterLink::onLost);
    connect(&m_sub, &RedisConnection::disconnected, this, &ClusterLink::onLost);
    m_connFlush.setSingleShot(true);
    m_connFlush.setInterval(ConnFlushMs);
    connect(&m_connFlush, &QTimer::timeout, this, &ClusterLink::flushConnections);
}

ClusterLink::~ClusterLink()
{
    m_running = false;
    const QSignalBlocker a(&m_cmd);
    const QSignalBlocker b(&m_sub);
    m_cmd.abandon(); // the callbacks point into the worker, which is going away
    m_sub.abandon();
}

QByteArray ClusterLink::key(const QString &suffix) const
{
    return (m_settings.prefix + suffix).toUtf8();
}

QByteArray ClusterLink::channel() const
{
    return key(QStringLiteral("bus"));
}

QByteArray ClusterLink::replyChannel(const QString &node) const
{
    return key(QStringLiteral("reply:") + node);
}

void ClusterLink::start()
{
    m_running = true;
    m_startedMs = m_clock();
    m_heartbeat.start();
    connectNow();
}

void ClusterLink::connectNow()
{
    if (!m_running)
        return;
    m_cmdReady = false;
    m_subscribed = false;
    m_firstError.clear();
    QString error;
    if (!m_cmd.open(m_settings.host, m_settings.port, &error)
        || !m_sub.open(m_settings.host, m_settings.port, &error)) {
        onLost(error);
        return;
    }
    // Queued by hiredis until the connect completes, and sent first.
    QList<QByteArray> auth;
    if (!m_settings.password.isEmpty()) {
        auth = {QByteArrayLiteral("AUTH")};
        if (!m_settings.user.isEmpty())
            auth.append(m_settings.user);
        auth.append(m_settings.password);
    }
    const auto failOn = [this](const char *what) {
        return [this, what](const RedisReply &r) {
            if (r.lost)
                return; // onLost reports it
            if (r.isError()) {
                const QString why
                    = QString::fromLatin1(what) + QStringLiteral(": ") + QString::fromUtf8(r.str);
                // The first cause wins: a refused AUTH also fails the SUBSCRIBE after it, and
                // hiredis drops a subscriber at once with that later, vaguer "NOAUTH".
                if (m_firstError.isEmpty())
                    m_firstError = why;
                // Not from inside the hiredis callback: the connection is dropped right after.
                QMetaObject::invokeMethod(
                    this, [this, why] { onLost(why); }, Qt::QueuedConnection);
            }
        };
    };
    if (!auth.isEmpty()) {
        m_cmd.command(auth, failOn("AUTH"));
        m_sub.command(auth, failOn("AUTH"));
    }
    if (m_settings.db)
        m_cmd.command({QByteArrayLiteral("SELECT"), num(m_settings.db)}, failOn("SELECT"));
    // Cached before anything runs them, so EVALSHA keeps the order commands were sent in.
    for (const QByteArray &script :
         {claimScript(), sweepScript(), QByteArray(RegisterScript), QByteArray(TouchScript),
          QByteArray(RevokeScript), QByteArray(RevokeUserScript), QByteArray(NodesScript),
          QByteArray(ViewScript), QByteArray(TokenSaveScript), QByteArray(TokenLookupScript)})
        m_cmd.command({QByteArrayLiteral("SCRIPT"), QByteArrayLiteral("LOAD"), script},
                      failOn("SCRIPT LOAD"));
    m_cmd.command({QByteArrayLiteral("PING")}, [this](const RedisReply &r) {
        if (r.isError())
            return;
        m_cmdReady = true;
        markUpIfReady();
    });
    // The bus, and this node's reply channel (answers to its requests, see endRequest()).
    const QByteArray mine = replyChannel(m_settings.nodeId);
    m_sub.command(
        {QByteArrayLiteral("SUBSCRIBE"), channel(), mine},
        [this, mine](const RedisReply &r) {
            if (r.isError() || r.elements.size() < 3)
                return;
            const QByteArray kind = r.at(0);
            if (kind == "subscribe") {
                if (r.elements.at(2).integer >= 2) {
                    m_subscribed = true;
                    markUpIfReady();
                }
            } else if (kind == "message") {
                if (r.at(1) == mine)
                    onReply(r.at(2));
                else
                    onMessage(r.at(2));
            }
        },
        true);
}

void ClusterLink::markUpIfReady()
{
    if (m_up || !m_cmdReady || !m_subscribed)
        return;
    m_up = true;
    m_downReported = false;
    m_backoffMs = 0;
    m_status.up = true;
    m_status.lastError.clear();
    heartbeat();
    Q_EMIT stateChanged(true, QString());
}

void ClusterLink::onLost(const QString &lost)
{
    const QString why = m_firstError.isEmpty() ? lost : m_firstError;
    const bool wasUp = m_up;
    m_up = false;
    m_cmdReady = false;
    m_subscribed = false;
    m_status.up = false;
    m_status.lastError = why;
    {
        // The other connection goes too; its own disconnected() must not come back here.
        const QSignalBlocker a(&m_cmd);
        const QSignalBlocker b(&m_sub);
        m_cmd.abort();
        m_sub.abort();
    }
    if (!m_running)
        return;
    if (wasUp || !m_downReported) {
        m_downReported = true;
        Q_EMIT stateChanged(false, why);
    }
    if (!m_reconnect.isActive()) {
        m_backoffMs = m_backoffMs ? qMin(m_backoffMs * 2, MaxBackoffMs) : FirstBackoffMs;
        m_reconnect.start(m_backoffMs);
    }
}

void ClusterLink::eval(const QByteArray &script, const QList<QByteArray> &args,
                       RedisConnection::Callback callback)
{
    if (!m_up) {
        if (callback) {
            RedisReply r;
            r.lost = true;
            callback(r);
        }
        return;
    }
    // EVALSHA with the digest computed here; Redis caches a script body after its first EVAL,
    // so the body is sent again only when Redis answers NOSCRIPT (a restart, SCRIPT FLUSH).
    QList<QByteArray> tail{QByteArrayLiteral("0"), key(QString())};
    tail += args;
    const QByteArray sha = QCryptographicHash::hash(script, QCryptographicHash::Sha1).toHex();
    m_cmd.command(QList<QByteArray>{QByteArrayLiteral("EVALSHA"), sha} + tail, [this, script, tail,
                                                                                callback
                                                                                = std::move(
                                                                                    callback)](
                                                                                   const RedisReply
                                                                                       &r) {
        if (r.kind == RedisReply::Kind::Error && r.str.startsWith("NOSCRIPT")) {
            m_cmd.command(QList<QByteArray>{QByteArrayLiteral("EVAL"), script} + tail, callback);
            return;
        }
        if (callback)
            callback(r);
    });
}

void ClusterLink::heartbeat()
{
    // Also while connecting: a Redis that accepts the connection but never answers (stopped,
    // overloaded) must not keep this node waiting forever.
    if (m_cmd.isOpen() && m_cmd.stalledMs() > StallMs) {
        onLost(QStringLiteral("Redis did not answer for %1 ms").arg(m_cmd.stalledMs()));
        return;
    }
    if (!m_up)
        return;
    if (m_counted.size() > 10000)
        m_counted.clear(); // counts for requests whose `fin` never came (their node died)
    const qint64 now = m_clock();
    const QByteArray node = m_settings.nodeId.toUtf8();
    const QByteArray nodeKey = key(QStringLiteral("node:") + m_settings.nodeId);
    const NodeInfo info = m_nodeInfo ? m_nodeInfo() : NodeInfo();
    m_cmd.command({QByteArrayLiteral("HSET"), nodeKey, QByteArrayLiteral("listen"),
                   info.listen.toUtf8(), QByteArrayLiteral("connections"), num(info.connections),
                   QByteArrayLiteral("sessions"), num(info.sessions),
                   QByteArrayLiteral("heartbeat"), num(now), QByteArrayLiteral("started"),
                   num(m_startedMs)});
    m_cmd.command({QByteArrayLiteral("PEXPIRE"), nodeKey, num(NodeTtlMs)});
    m_cmd.command({QByteArrayLiteral("PEXPIRE"), key(QStringLiteral("conns:") + m_settings.nodeId),
                   num(NodeTtlMs)});
    m_cmd.command({QByteArrayLiteral("ZADD"), key(QStringLiteral("nodes")), num(now), node});
    m_cmd.command({QByteArrayLiteral("ZCARD"), key(QStringLiteral("deadlines"))},
                  [this](const RedisReply &r) {
                      if (r.kind == RedisReply::Kind::Integer)
                          m_status.sessions = int(r.integer);
                  });
    m_cmd.command({QByteArrayLiteral("ZREMRANGEBYSCORE"), key(QStringLiteral("nodes")),
                   QByteArrayLiteral("-inf"), num(now - NodeTtlMs)});
    eval(QByteArray(NodesScript), {num(now - NodeTtlMs)}, [this](const RedisReply &r) {
        if (r.kind != RedisReply::Kind::Array)
            return;
        QList<Peer> peers;
        for (const RedisReply &e : r.elements)
            peers.append(Peer{QString::fromUtf8(e.at(0)), QString::fromUtf8(e.at(1)),
                              e.at(2).toInt(), e.at(3).toInt(), e.at(4).toLongLong()});
        const auto ids = [](const QList<Peer> &list) {
            QStringList out;
            for (const Peer &p : list)
                out.append(p.id);
            return out;
        };
        const bool changed = ids(peers) != ids(m_status.peers);
        m_status.nodes = int(peers.size());
        m_status.peers = peers;
        if (changed)
            Q_EMIT nodesChanged();
    });
    sweep();
}

void ClusterLink::sweep()
{
    const qint64 now = m_clock();
    eval(sweepScript(),
         {num(now - SweepGraceMs), num(now), num(SweepLimit), m_settings.nodeId.toUtf8(), channel(),
          num(m_revocationTtlMs)},
         [this](const RedisReply &r) {
             if (r.kind != RedisReply::Kind::Array)
                 return;
             for (const RedisReply &e : r.elements) {
                 EndReason reason = EndReason::IdleTimeout;
                 reasonFromName(e.at(1), &reason);
                 Q_EMIT sweptExpired(QString::fromUtf8(e.at(0)), QString::fromUtf8(e.at(3)), reason,
                                     e.at(2).toLongLong(), e.at(4).toLongLong());
             }
             if (r.elements.size() >= SweepLimit)
                 QMetaObject::invokeMethod(this, &ClusterLink::sweep, Qt::QueuedConnection);
         });
}

ClusterLink::Answer ClusterLink::sessionAnswer(const RedisReply &r, const QString &sessionId)
{
    Answer a;
    if (r.isError() || r.kind != RedisReply::Kind::Array || r.elements.isEmpty())
        return a; // Unavailable
    const QByteArray kind = r.at(0);
    if (kind == "revoked" || kind == "ended") {
        const QList<QByteArray> parts = r.at(1).split('|');
        a.outcome = Outcome::Revoked;
        reasonFromName(parts.value(0), &a.reason);
        a.untilMs = parts.value(1).toLongLong();
        return a;
    }
    if (kind == "live" || kind == "created") {
        a.outcome = kind == "live" ? Outcome::Live : Outcome::Created;
        a.fields.id = sessionId;
        a.fields.user = QString::fromUtf8(r.at(1));
        a.fields.createdMs = r.at(2).toLongLong();
        a.fields.lastActivityMs = r.at(3).toLongLong();
        a.fields.idleMs = r.at(4).toLongLong();
        a.fields.hardEndMs = r.at(5).toLongLong();
        a.fields.name = QString::fromUtf8(r.at(6));
        return a;
    }
    if (kind == "claimed") {
        a.outcome = Outcome::Claimed;
        reasonFromName(r.at(1), &a.reason);
        a.untilMs = r.at(2).toLongLong();
        a.fields.user = QString::fromUtf8(r.at(3));
        a.deadlineMs = r.at(4).toLongLong();
        return a;
    }
    if (kind == "later") {
        a.outcome = Outcome::Later;
        a.fields.lastActivityMs = r.at(1).toLongLong();
        a.deadlineMs = r.at(2).toLongLong();
        return a;
    }
    a.outcome = Outcome::Unknown;
    return a;
}

void ClusterLink::registerSession(const SessionFields &f, AnswerFn answer)
{
    const QString sid = f.id;
    eval(QByteArray(RegisterScript),
         {sid.toUtf8(), f.user.toUtf8(), f.name.toUtf8(), num(f.createdMs), num(f.lastActivityMs),
          num(f.idleMs), num(f.hardEndMs), m_settings.nodeId.toUtf8(), num(m_clock())},
         [answer = std::move(answer), sid](const RedisReply &r) {
             if (answer)
                 answer(sessionAnswer(r, sid));
         });
}

void ClusterLink::noteActivity(const QString &sessionId, qint64 lastActivityMs)
{
    if (!m_up)
        return; // replayed from the registry when Redis is back
    qint64 &pending = m_pendingActivity[sessionId];
    pending = qMax(pending, lastActivityMs);
    if (!m_activityFlush.isActive())
        m_activityFlush.start();
}

void ClusterLink::flushActivity()
{
    const QHash<QString, qint64> batch = std::exchange(m_pendingActivity, {});
    const QByteArray node = m_settings.nodeId.toUtf8();
    for (auto it = batch.cbegin(); it != batch.cend(); ++it)
        eval(QByteArray(TouchScript), {it.key().toUtf8(), num(it.value()), node, channel(),
                                       QByteArrayLiteral("0"), num(m_clock()), QByteArray()});
}

void ClusterLink::extend(const QString &sessionId, qint64 lastActivityMs, AnswerFn answer)
{
    m_pendingActivity.remove(sessionId);
    eval(QByteArray(TouchScript),
         {sessionId.toUtf8(), num(lastActivityMs), m_settings.nodeId.toUtf8(), channel(),
          lastActivityMs > 0 ? QByteArrayLiteral("1") : QByteArrayLiteral("2"), num(m_clock()),
          m_rid.toUtf8()},
         [answer = std::move(answer)](const RedisReply &r) {
             if (!answer)
                 return;
             Answer a;
             if (!r.isError())
                 a.outcome = r.integer > 0 ? Outcome::Live : Outcome::Unknown;
             a.deadlineMs = r.integer;
             answer(a);
         });
}

void ClusterLink::claimExpiry(const QString &sessionId, AnswerFn answer)
{
    m_pendingActivity.remove(sessionId);
    eval(claimScript(),
         {sessionId.toUtf8(), num(m_clock()), m_settings.nodeId.toUtf8(), channel(),
          num(m_revocationTtlMs)},
         [answer = std::move(answer), sessionId](const RedisReply &r) {
             answer(sessionAnswer(r, sessionId));
         });
}

void ClusterLink::revoke(const QString &sessionId, const QString &user, EndReason reason,
                         qint64 untilMs)
{
    m_pendingActivity.remove(sessionId);
    eval(QByteArray(RevokeScript),
         {sessionId.toUtf8(), reasonName(reason).toUtf8(), num(untilMs), num(m_clock()),
          m_settings.nodeId.toUtf8(), channel(), user.toUtf8(), m_rid.toUtf8()});
}

void ClusterLink::saveToken(const QByteArray &hash, const TokenClaims &claims)
{
    eval(QByteArray(TokenSaveScript),
         {hash.toHex(), claims.sessionId.toUtf8(), claims.user.toUtf8(), claims.name.toUtf8(),
          num(claims.expiresAtMs), num(m_clock())});
}

void ClusterLink::lookupToken(const QByteArray &hash, std::function<void(const TokenAnswer &)> done)
{
    eval(QByteArray(TokenLookupScript), {hash.toHex()},
         [done = std::move(done)](const RedisReply &r) {
             TokenAnswer a;
             if (r.isError() || r.kind != RedisReply::Kind::Array || r.elements.isEmpty()) {
                 a.outcome = Outcome::Unavailable;
             } else if (r.at(0) == "live") {
                 a.outcome = Outcome::Live;
                 a.claims.sessionId = QString::fromUtf8(r.at(1));
                 a.claims.user = QString::fromUtf8(r.at(2));
                 a.claims.name = QString::fromUtf8(r.at(3));
                 a.claims.expiresAtMs = r.at(4).toLongLong();
             } else {
                 a.outcome = Outcome::Unknown;
             }
             done(a);
         });
}

void ClusterLink::revokeUser(const QString &user, EndReason reason, qint64 ttlMs,
                             std::function<void(int)> answer)
{
    eval(QByteArray(RevokeUserScript),
         {user.toUtf8(), reasonName(reason).toUtf8(), num(m_clock()), m_settings.nodeId.toUtf8(),
          channel(), num(ttlMs), m_rid.toUtf8()},
         [answer = std::move(answer)](const RedisReply &r) {
             if (answer)
                 answer(r.isError() ? -1 : int(r.integer));
         });
}

void ClusterLink::broadcast(const QString &event, const QJsonValue &data, const QString &user)
{
    publish({{QLatin1String("t"), QLatin1String("bcast")},
             {QLatin1String("event"), event},
             {QLatin1String("data"), data},
             {QLatin1String("user"), user}});
}

void ClusterLink::publish(QJsonObject message)
{
    if (!m_up)
        return;
    message.insert(QLatin1String("node"), m_settings.nodeId);
    if (!m_rid.isEmpty() && !message.contains(QLatin1String("rid")))
        message.insert(QLatin1String("rid"), m_rid);
    m_cmd.command({QByteArrayLiteral("PUBLISH"), channel(),
                   QJsonDocument(message).toJson(QJsonDocument::Compact)});
}

void ClusterLink::connectionOpened(const ConnectionInfo &c)
{
    if (!m_up)
        return; // the worker re-adds every connection when Redis is back
    const QJsonObject v{{QLatin1String("session_id"), c.sessionId},
                        {QLatin1String("user"), c.user},
                        {QLatin1String("peer"), c.peer},
                        {QLatin1String("local"), c.localAddress},
                        {QLatin1String("endpoint"), ConnectionInfo::endpointName(c.endpoint)},
                        {QLatin1String("path"), c.path},
                        {QLatin1String("since"), double(c.connectedAtMs)}};
    m_connWrites.insert(c.id, QJsonDocument(v).toJson(QJsonDocument::Compact));
    if (!m_connFlush.isActive())
        m_connFlush.start();
}

void ClusterLink::connectionClosed(quint64 id)
{
    if (!m_up)
        return;
    m_connWrites.insert(id, QByteArray());
    if (!m_connFlush.isActive())
        m_connFlush.start();
}

void ClusterLink::flushConnections()
{
    if (!m_up || m_connWrites.isEmpty()) {
        m_connWrites.clear();
        return;
    }
    const QByteArray k = key(QStringLiteral("conns:") + m_settings.nodeId);
    QList<QByteArray> set{QByteArrayLiteral("HSET"), k};
    QList<QByteArray> del{QByteArrayLiteral("HDEL"), k};
    for (auto it = m_connWrites.cbegin(); it != m_connWrites.cend(); ++it) {
        if (it.value().isEmpty())
            del << num(qint64(it.key()));
        else
            set << num(qint64(it.key())) << it.value();
    }
    m_connWrites.clear();
    if (set.size() > 2)
        m_cmd.command(set);
    if (del.size() > 2)
        m_cmd.command(del);
    // The heartbeat renews the TTL; a first write must not wait up to a second for it.
    m_cmd.command({QByteArrayLiteral("PEXPIRE"), k, num(NodeTtlMs)});
}

void ClusterLink::resetConnections()
{
    m_connWrites.clear();
    if (m_up)
        m_cmd.command(
            {QByteArrayLiteral("DEL"), key(QStringLiteral("conns:") + m_settings.nodeId)});
}

void ClusterLink::fetchView(std::function<void(const ClusterView &)> done)
{
    const QString self = m_settings.nodeId;
    eval(QByteArray(ViewScript), {num(m_clock() - NodeTtlMs)},
         [done = std::move(done), self](const RedisReply &r) {
             ClusterView v;
             v.ok = !r.isError() && r.kind == RedisReply::Kind::Array;
             for (const RedisReply &n : r.elements) {
                 const QString node = QString::fromUtf8(n.at(0));
                 if (node == self || n.elements.size() < 2)
                     continue; // this node's rows come from the worker itself, fresher
                 QHash<QString, int> sessionRow;
                 for (const RedisReply &row : n.elements.at(1).elements) {
                     const QJsonObject e = QJsonDocument::fromJson(row.at(1)).object();
                     ConnectionInfo c;
                     c.node = node;
                     c.id = row.at(0).toULongLong();
                     c.authenticated = true;
                     c.sessionId = e.value(QLatin1String("session_id")).toString();
                     c.user = e.value(QLatin1String("user")).toString();
                     c.peer = e.value(QLatin1String("peer")).toString();
                     c.localAddress = e.value(QLatin1String("local")).toString();
                     c.endpoint = e.value(QLatin1String("endpoint")).toString()
                                          == QLatin1String("socket.io")
                                      ? ConnectionInfo::Endpoint::SocketIo
                                      : ConnectionInfo::Endpoint::Raw;
                     c.path = e.value(QLatin1String("path")).toString();
                     c.connectedAtMs = qint64(e.value(QLatin1String("since")).toDouble());
                     c.expiresAtMs = row.at(7).toLongLong();
                     c.socketState = 3; // QAbstractSocket::ConnectedState, as far as Redis knows
                     v.connections.append(c);
                     if (c.sessionId.isEmpty())
                         continue;
                     auto it = sessionRow.find(c.sessionId);
                     if (it == sessionRow.end()) {
                         SessionInfo s;
                         s.node = node;
                         s.id = c.sessionId;
                         s.user = c.user;
                         s.name = QString::fromUtf8(row.at(2));
                         s.createdAtMs = row.at(3).toLongLong();
                         s.lastActivityMs = row.at(4).toLongLong();
                         s.idleTimeoutMs = row.at(5).toLongLong();
                         s.hardEndMs = row.at(6).toLongLong();
                         s.expiresAtMs = c.expiresAtMs;
                         it = sessionRow.insert(c.sessionId, int(v.sessions.size()));
                         v.sessions.append(s);
                     }
                     v.sessions[*it].connections.append(c.id);
                 }
             }
             done(v);
         });
}

QString ClusterLink::beginRequest()
{
    if (!m_up)
        return QString();
    m_rid = m_settings.nodeId + QLatin1Char('#') + QString::number(++m_nextRid);
    Waiting &w = m_waiting[m_rid];
    for (const Peer &p : std::as_const(m_status.peers)) {
        if (p.id != m_settings.nodeId)
            w.expected.insert(p.id);
    }
    return m_rid;
}

void ClusterLink::endRequest()
{
    const QString rid = std::exchange(m_rid, QString());
    if (rid.isEmpty())
        return;
    auto it = m_waiting.find(rid);
    if (it == m_waiting.end())
        return;
    if (it->expected.isEmpty() || !m_up) {
        finishRequest(rid);
        return;
    }
    // Published after the notices of the action, on the same connection: each node has handled
    // them when it sees this (Redis delivers one publisher's messages in order).
    publish({{QLatin1String("t"), QLatin1String("fin")}, {QLatin1String("rid"), rid}});
    it->timer = new QTimer(this);
    it->timer->setSingleShot(true);
    connect(it->timer, &QTimer::timeout, this, [this, rid] { finishRequest(rid); });
    it->timer->start(ReplyWaitMs);
}

void ClusterLink::awaitRequest(const QString &rid, std::function<void(const Tally &)> done)
{
    auto it = m_waiting.find(rid);
    if (it == m_waiting.end()) {
        done(Tally());
        return;
    }
    if (it->done) {
        const Tally t = it->tally;
        m_waiting.erase(it);
        done(t);
        return;
    }
    it->callback = std::move(done);
}

void ClusterLink::finishRequest(const QString &rid)
{
    auto it = m_waiting.find(rid);
    if (it == m_waiting.end() || it->done)
        return;
    it->done = true;
    if (it->timer) {
        it->timer->deleteLater();
        it->timer = nullptr;
    }
    QStringList missing(it->expected.cbegin(), it->expected.cend());
    missing.sort();
    it->tally.noAnswer = missing;
    if (it->callback) {
        const auto callback = std::move(it->callback);
        const Tally t = it->tally;
        m_waiting.erase(it);
        callback(t);
        return;
    }
    // Nobody asked yet (the caller does so right after the action): kept a little while.
    QTimer::singleShot(10 * ReplyWaitMs, this, [this, rid] {
        auto w = m_waiting.find(rid);
        if (w != m_waiting.end() && w->done && !w->callback)
            m_waiting.erase(w);
    });
}

void ClusterLink::count(int sessions, int connections)
{
    if (m_incomingRid.isEmpty())
        return;
    Counted &c = m_counted[m_incomingRid];
    c.sessions += sessions;
    c.connections += connections;
}

void ClusterLink::disconnectRemote(const QString &node, quint64 id, const QString &reason)
{
    publish({{QLatin1String("t"), QLatin1String("disc")},
             {QLatin1String("target"), node},
             {QLatin1String("id"), QString::number(id)},
             {QLatin1String("reason"), reason}});
}

void ClusterLink::onReply(const QByteArray &payload)
{
    const QJsonObject m = QJsonDocument::fromJson(payload).object();
    const QString rid = m.value(QLatin1String("rid")).toString();
    const QString node = m.value(QLatin1String("node")).toString();
    auto it = m_waiting.find(rid);
    if (it == m_waiting.end() || it->done || node.isEmpty())
        return;
    const int sessions = m.value(QLatin1String("sessions")).toInt();
    const int connections = m.value(QLatin1String("connections")).toInt();
    it->tally.sessions += sessions;
    it->tally.connections += connections;
    it->tally.nodes.insert(node, QJsonObject{{QLatin1String("sessions"), sessions},
                                             {QLatin1String("connections"), connections}});
    it->expected.remove(node);
    if (it->expected.isEmpty())
        finishRequest(rid);
}

void ClusterLink::onMessage(const QByteArray &payload)
{
    const QJsonObject m = QJsonDocument::fromJson(payload).object();
    if (m.value(QLatin1String("node")).toString() == m_settings.nodeId)
        return; // this node acted already
    const QString t = m.value(QLatin1String("t")).toString();
    const QString sid = m.value(QLatin1String("sid")).toString();
    // What this node does for a notice with a request id is counted (count()) and sent back to
    // the requesting node when its `fin` comes.
    const QString rid = m.value(QLatin1String("rid")).toString();
    m_incomingRid = rid;
    const auto clearRid = qScopeGuard([this] { m_incomingRid.clear(); });
    if (t == QLatin1String("fin")) {
        const Counted c = m_counted.take(rid);
        const QJsonObject reply{{QLatin1String("t"), QLatin1String("ack")},
                                {QLatin1String("rid"), rid},
                                {QLatin1String("node"), m_settings.nodeId},
                                {QLatin1String("sessions"), c.sessions},
                                {QLatin1String("connections"), c.connections}};
        m_cmd.command({QByteArrayLiteral("PUBLISH"),
                       replyChannel(m.value(QLatin1String("node")).toString()),
                       QJsonDocument(reply).toJson(QJsonDocument::Compact)});
    } else if (t == QLatin1String("disc")) {
        if (m.value(QLatin1String("target")).toString() == m_settings.nodeId)
            Q_EMIT remoteDisconnect(m.value(QLatin1String("id")).toString().toULongLong(),
                                    m.value(QLatin1String("reason")).toString(),
                                    m.value(QLatin1String("node")).toString());
    } else if (t == QLatin1String("touch")) {
        Q_EMIT remoteActivity(sid, qint64(m.value(QLatin1String("last")).toDouble()),
                              m.value(QLatin1String("ext")).toInt() != 0);
    } else if (t == QLatin1String("end")) {
        EndReason reason = EndReason::Kicked;
        if (!reasonFromName(m.value(QLatin1String("reason")).toString().toLatin1(), &reason))
            return;
        Q_EMIT remoteEnded(sid, m.value(QLatin1String("user")).toString(), reason,
                           qint64(m.value(QLatin1String("until")).toDouble()));
    } else if (t == QLatin1String("bcast")) {
        Q_EMIT remoteBroadcast(m.value(QLatin1String("event")).toString(),
                               m.value(QLatin1String("data")),
                               m.value(QLatin1String("user")).toString());
    }
}
