// SPDX-License-Identifier: MIT
#pragma once

#include "server/nativewebsocket.h"

#include <QtCore/QHash>
#include <QtCore/QList>
#include <QtCore/QObject>

#include <memory>
#include <vector>

class QSslConfiguration;
class QTcpSocket;
class QThread;

// `[server] io_threads` (docs/performance.md, "I/O threads"): native ws:// connections whose
// socket work runs on threads of their own, while the server thread keeps every session,
// deadline and decision, as Redis' I/O threads do. An I/O thread reads, parses frames, checks
// UTF-8, answers pings, writes, queues what the kernel refuses and runs the closing handshake;
// the server thread gets whole messages and sends whole messages. Sessions need no agreement
// between threads: one thread owns them all.
//
// Lives in the server thread. adopt() gives an upgraded descriptor to the I/O thread with the
// fewest connections and returns the WebSocketConnection the server thread uses, a stand-in
// that forwards calls to the I/O thread and delivers what the I/O thread reports. Both
// directions go through a locked queue per I/O thread and one wake-up per batch, not per
// message: a server-thread pass that sends 10,000 frames wakes each I/O thread once (an eventfd
// that the other side's event loop watches).
//
// QtWebSockets connections (TLS, `[server] transport = qt`) go over as sockets whose request head
// has been read and routed: each I/O thread has a QWebSocketServer of its own (QtUpgrader) that
// upgrades them with handleConnection(), and its QWebSocket then runs there behind the same kind
// of stand-in (upgraded()). A TLS connection goes over once before that, as a descriptor, for
// its TLS handshake (handshake()), and comes back encrypted for the server thread to read and
// route its request head.
//
// Back-pressure: an I/O thread that has MaxQueuedEvents messages (or MaxQueuedBytes) waiting for
// the server thread stops reading until the server thread takes them, so a fast sender fills
// its kernel buffers and its TCP window, as with one thread, instead of Warden's memory.
class IoThreads final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(IoThreads)

public:
    static constexpr int MaxThreads = 64;
    static constexpr qsizetype MaxQueuedEvents = 65536;
    static constexpr qint64 MaxQueuedBytes = 32 * 1024 * 1024;

    // Starts count threads (1..MaxThreads), each with Warden's epoll event dispatcher unless
    // WARDEN_EVENT_DISPATCHER=qt.
    explicit IoThreads(int count, QObject *parent = nullptr);
    // Drops every connection still open on the I/O threads (as abort() would) and joins them.
    // Stand-ins still alive turn closed and forward nothing.
    ~IoThreads() override;

    // `io_threads = auto`: none on a machine with 2 cores or fewer (the server thread and the
    // clients' side already fill them), else one fewer than the cores, at most 16.
    static int autoCount(int cores);

    int count() const { return int(m_loops.size()); }
    // Takes ownership of fd as NativeWebSocket's constructor does. The I/O thread starts reading
    // once the server thread first calls the connection (setMaxAllowedIncomingMessageSize(),
    // which ServerWorker calls first, or anything else), so no message slips past the limit.
    WebSocketConnection *adopt(int fd, const NativeWebSocket::Endpoint &endpoint,
                               const QString &path, const QByteArray &initialOutput);
    // Takes socket (connected, no parent, in this thread, its request head of headBytes unread
    // and routed as an upgrade) to the I/O thread with the fewest connections, whose
    // QWebSocketServer answers the upgrade. The connection arrives through upgraded(), with
    // maxMessageBytes as its limit from the first frame (0: QtWebSockets' default), or never,
    // when the upgrade fails (refused() may tell why).
    void adoptUpgrade(QTcpSocket *socket, qint64 headBytes, quint64 maxMessageBytes);
    // Takes fd (an accepted TCP connection, non-blocking) to the I/O thread with the fewest
    // connections, which runs its TLS handshake as a server with tls, within timeoutMs. The
    // socket comes back to this thread through encrypted(), or is dropped (a failed, late or
    // abandoned handshake), as QSslServer would.
    void handshake(int fd, const QSslConfiguration &tls, int timeoutMs);
    // Open connections per I/O thread (stand-ins not yet deleted; upgrades and TLS handshakes
    // under way included).
    QList<int> load() const;
    // Connections that exist on the I/O threads right now, closed ones not yet freed
    // included (tests: nothing may be left behind).
    int socketsAlive() const;
    // The QtWebSockets connections among them.
    int qtSocketsAlive() const;

Q_SIGNALS:
    // An upgrade handed over by adoptUpgrade() succeeded: the stand-in, which the receiver owns
    // (no parent). Nobody connected: the connection is dropped.
    void upgraded(WebSocketConnection *connection);
    // An upgrade handed over by adoptUpgrade() or its connection failed for a protocol
    // violation (status: a close code, or 400 before the upgrade), for the log.
    void refused(const QString &peer, int status, const QString &reason);
    // A TLS handshake started by handshake() is done: the socket (a QSslSocket, encrypted, in
    // this thread, no parent) is the receiver's. Nobody connected: it is dropped.
    void encrypted(QTcpSocket *socket);

private:
    class Loop;
    class Waker;
    class Connection;
    struct Shared;
    friend class Connection;

    int leastLoaded() const;
    void drain();
    void forget(Connection *connection);
    // Emits signal with object for its receiver to own, or drops object when nobody listens.
    template<typename T>
    void handOut(void (IoThreads::*signal)(T *), T *object);

    struct Slot
    {
        QThread *thread = nullptr;
        Loop *loop = nullptr;
        int open = 0;
    };
    const int m_wakeFd; // the I/O threads' reports are waiting
    std::unique_ptr<Waker> m_waker;
    std::vector<Slot> m_loops;
    QHash<quint64, Connection *> m_connections;
    quint64 m_nextKey = 1;
};
