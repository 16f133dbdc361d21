// SPDX-License-Identifier: MIT
#include "server/redisconnection.h"

#include <QtCore/QSocketNotifier>
#include <QtCore/QVarLengthArray>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

namespace {
RedisReply convert(const redisReply *r)
{
    RedisReply out;
    switch (r->type) {
    case REDIS_REPLY_STRING:
        out.kind = RedisReply::Kind::String;
        out.str = QByteArray(r->str, qsizetype(r->len));
        break;
    case REDIS_REPLY_STATUS:
        out.kind = RedisReply::Kind::Status;
        out.str = QByteArray(r->str, qsizetype(r->len));
        break;
    case REDIS_REPLY_ERROR:
        out.kind = RedisReply::Kind::Error;
        out.str = QByteArray(r->str, qsizetype(r->len));
        break;
    case REDIS_REPLY_INTEGER:
        out.kind = RedisReply::Kind::Integer;
        out.integer = r->integer;
        out.str = QByteArray::number(r->integer);
        break;
    case REDIS_REPLY_ARRAY:
        out.kind = RedisReply::Kind::Array;
        out.elements.reserve(qsizetype(r->elements));
        for (size_t i = 0; i < r->elements; ++i)
            out.elements.append(convert(r->element[i]));
        break;
    default:
        out.kind = RedisReply::Kind::Nil;
        break;
    }
    return out;
}

RedisConnection *self(const redisAsyncContext *ac)
{
    return static_cast<RedisConnection *>(ac->data);
}
} // namespace

RedisConnection::RedisConnection(QObject *parent)
    : QObject(parent)
{
    m_progress.start();
}

RedisConnection::~RedisConnection()
{
    const QSignalBlocker quiet(this);
    abandon();
}

void RedisConnection::abandon()
{
    m_callbacks.clear();
    m_waiting = 0;
    abort();
}

bool RedisConnection::open(const QByteArray &host, int port, QString *error)
{
    abort();
    redisAsyncContext *ac = redisAsyncConnect(host.constData(), port);
    if (!ac) {
        *error = QStringLiteral("out of memory");
        return false;
    }
    if (ac->err) {
        *error = QString::fromLocal8Bit(ac->errstr);
        redisAsyncFree(ac);
        return false;
    }
    ac->data = this;
    ac->ev.data = this;
    ac->ev.addRead = &RedisConnection::addRead;
    ac->ev.delRead = &RedisConnection::delRead;
    ac->ev.addWrite = &RedisConnection::addWrite;
    ac->ev.delWrite = &RedisConnection::delWrite;
    ac->ev.cleanup = &RedisConnection::cleanup;
    redisAsyncSetConnectCallback(ac, &RedisConnection::onConnect);
    redisAsyncSetDisconnectCallback(ac, &RedisConnection::onDisconnect);
    m_ctx = ac;
    m_connected = false;
    m_progress.restart();
    // The connect completes when the socket becomes writable.
    addWrite(this);
    return true;
}

void RedisConnection::abort()
{
    if (!m_ctx)
        return;
    redisAsyncContext *ac = m_ctx;
    m_ctx = nullptr; // a deliberate end: onDisconnect stays quiet
    const bool wasConnected = m_connected;
    m_connected = false;
    redisAsyncFree(ac); // pending callbacks run now with a null reply
    if (wasConnected)
        Q_EMIT disconnected(QStringLiteral("connection dropped"));
}

void RedisConnection::command(const QList<QByteArray> &argv, Callback callback, bool persistent)
{
    if (!m_ctx) {
        if (callback) {
            RedisReply r;
            r.lost = true;
            callback(r);
        }
        return;
    }
    QVarLengthArray<const char *, 16> args;
    QVarLengthArray<size_t, 16> lens;
    for (const QByteArray &a : argv) {
        args.append(a.constData());
        lens.append(size_t(a.size()));
    }
    const quintptr id = m_nextId++;
    if (!persistent && m_waiting++ == 0)
        m_progress.restart();
    m_callbacks.insert(id, Pending{std::move(callback), persistent});
    if (redisAsyncCommandArgv(m_ctx, &RedisConnection::onReply, reinterpret_cast<void *>(id),
                              int(args.size()), args.data(), lens.data())
        != REDIS_OK) {
        const Pending p = m_callbacks.take(id);
        if (!persistent)
            --m_waiting;
        if (p.callback) {
            RedisReply r;
            r.lost = true;
            p.callback(r);
        }
    }
}

qint64 RedisConnection::stalledMs() const
{
    return m_waiting > 0 ? m_progress.elapsed() : 0;
}

void RedisConnection::onConnect(const redisAsyncContext *ac, int status)
{
    RedisConnection *c = self(ac);
    if (!c || c->m_ctx != ac)
        return;
    if (status != REDIS_OK) {
        c->m_ctx = nullptr; // hiredis frees the context after this callback
        c->m_connected = false;
        Q_EMIT c->disconnected(QString::fromLocal8Bit(ac->errstr));
        return;
    }
    c->m_connected = true;
    c->m_progress.restart();
    Q_EMIT c->connected();
}

void RedisConnection::onDisconnect(const redisAsyncContext *ac, int status)
{
    Q_UNUSED(status)
    RedisConnection *c = self(ac);
    if (!c || c->m_ctx != ac)
        return; // abort() asked for it
    c->m_ctx = nullptr;
    c->m_connected = false;
    Q_EMIT c->disconnected(ac->err ? QString::fromLocal8Bit(ac->errstr)
                                   : QStringLiteral("connection closed"));
}

void RedisConnection::onReply(redisAsyncContext *ac, void *reply, void *privdata)
{
    RedisConnection *c = self(ac);
    if (!c)
        return;
    const quintptr id = reinterpret_cast<quintptr>(privdata);
    auto it = c->m_callbacks.find(id);
    if (it == c->m_callbacks.end())
        return;
    c->m_progress.restart();
    RedisReply r;
    if (reply)
        r = convert(static_cast<redisReply *>(reply));
    else
        r.lost = true;
    Callback cb;
    if (!it->persistent || !reply) {
        if (!it->persistent)
            --c->m_waiting;
        cb = std::move(it->callback);
        c->m_callbacks.erase(it);
    } else {
        cb = it->callback;
    }
    if (cb)
        cb(r);
}

void RedisConnection::addRead(void *p)
{
    auto *c = static_cast<RedisConnection *>(p);
    if (c->m_read || !c->m_ctx)
        return;
    c->m_read = new QSocketNotifier(qintptr(c->m_ctx->c.fd), QSocketNotifier::Read, c);
    connect(c->m_read, &QSocketNotifier::activated, c, [c] {
        if (c->m_ctx)
            redisAsyncHandleRead(c->m_ctx);
    });
}

void RedisConnection::delRead(void *p)
{
    auto *c = static_cast<RedisConnection *>(p);
    c->dropNotifier(c->m_read);
}

void RedisConnection::addWrite(void *p)
{
    auto *c = static_cast<RedisConnection *>(p);
    if (c->m_write || !c->m_ctx)
        return;
    c->m_write = new QSocketNotifier(qintptr(c->m_ctx->c.fd), QSocketNotifier::Write, c);
    connect(c->m_write, &QSocketNotifier::activated, c, [c] {
        if (c->m_ctx)
            redisAsyncHandleWrite(c->m_ctx);
    });
}

void RedisConnection::delWrite(void *p)
{
    auto *c = static_cast<RedisConnection *>(p);
    c->dropNotifier(c->m_write);
}

void RedisConnection::cleanup(void *p)
{
    auto *c = static_cast<RedisConnection *>(p);
    c->dropNotifier(c->m_read);
    c->dropNotifier(c->m_write);
}

void RedisConnection::dropNotifier(QSocketNotifier *&n)
{
    // hiredis calls this from inside the notifier's own activation: never delete it there.
    if (!n)
        return;
    n->setEnabled(false);
    n->deleteLater();
    n = nullptr;
}
