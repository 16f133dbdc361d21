// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QElapsedTimer>
#include <QtCore/QHash>
#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QString>

#include <functional>

struct redisAsyncContext;
class QSocketNotifier;

// A Redis reply as a value, so callers never touch hiredis types.
struct RedisReply
{
    enum class Kind : quint8 { Nil, Status, String, Integer, Array, Error };
    Kind kind = Kind::Nil;
    QByteArray str; // Status, String, Error
    qint64 integer = 0;
    QList<RedisReply> elements;
    // No reply at all: the connection went away (or was dropped) before the answer came.
    bool lost = false;

    bool isError() const { return lost || kind == Kind::Error; }
    QByteArray at(int i) const { return i < elements.size() ? elements.at(i).str : QByteArray(); }
};

// One asynchronous hiredis connection driven by the event loop of the thread it lives in (two
// QSocketNotifiers instead of hiredis' own adapter, which uses string connects and `slots`).
// Never blocks: connecting, sending and reading all happen on socket notifications. Lives in the
// server worker thread, owned by ClusterLink.
class RedisConnection final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RedisConnection)

public:
    using Callback = std::function<void(const RedisReply &)>;

    explicit RedisConnection(QObject *parent = nullptr);
    ~RedisConnection() override;

    // Starts a non-blocking connect to an IP address (a host name is resolved by hiredis, which
    // may block briefly: configure an address). false with *error when it cannot even start.
    bool open(const QByteArray &host, int port, QString *error);
    // Drops the connection at once; pending callbacks get a `lost` reply.
    void abort();
    // Like abort(), but the pending callbacks are forgotten instead (their owner is going away).
    void abandon();
    bool isOpen() const { return m_ctx != nullptr; }
    bool isConnected() const { return m_ctx != nullptr && m_connected; }

    // Sends a command (pipelined behind earlier ones). The callback runs once with the reply, or
    // with a `lost` reply when the connection goes first; with persistent (SUBSCRIBE) it runs for
    // every message until the connection ends.
    void command(const QList<QByteArray> &argv, Callback callback = {}, bool persistent = false);
    int pending() const { return m_waiting; }
    // Milliseconds since the connection last made progress while commands were waiting; 0 when
    // nothing waits. A Redis that stopped answering shows here (hiredis 0.14 has no timeouts).
    qint64 stalledMs() const;

Q_SIGNALS:
    void connected();
    // After a failed connect or a lost connection; the object can open() again.
    void disconnected(const QString &why);

private:
    static void onConnect(const redisAsyncContext *ac, int status);
    static void onDisconnect(const redisAsyncContext *ac, int status);
    static void onReply(redisAsyncContext *ac, void *reply, void *privdata);
    static void addRead(void *self);
    static void delRead(void *self);
    static void addWrite(void *self);
    static void delWrite(void *self);
    static void cleanup(void *self);
    void dropNotifier(QSocketNotifier *&n);
    void lost(const QString &why);

    redisAsyncContext *m_ctx = nullptr;
    bool m_connected = false;
    QSocketNotifier *m_read = nullptr;
    QSocketNotifier *m_write = nullptr;
    struct Pending
    {
        Callback callback;
        bool persistent = false;
    };
    QHash<quintptr, Pending> m_callbacks;
    quintptr m_nextId = 1;
    int m_waiting = 0; // non-persistent callbacks still waiting
    QElapsedTimer m_progress;
};
