// SPDX-License-Identifier: MIT
#include "server/iothreads.h"

#include "server/epolleventdispatcher.h"
#include "server/qtupgrader.h"
#include "server/qtwebsocketconnection.h"
#include "server/tsansync.h"

#include <QtCore/QEvent>
#include <QtCore/QMetaMethod>
#include <QtCore/QSocketNotifier>
#include <QtCore/QThread>
#include <QtCore/QTimer>
#include <QtNetwork/QSslSocket>
#include <QtNetwork/QTcpSocket>
#include <QtWebSockets/QWebSocket>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <utility>

#include <sys/eventfd.h>
#include <unistd.h>

namespace {
// Moves a socket (no parent) to another thread with its notifiers off: moved while on, each
// would switch itself on in the new thread through a call Qt posts, at a moment of Qt's choosing
// (and invisible to TSan). Returns the notifiers that the receiving thread switches on again
// (resumeNotifiers()) once it has taken the socket.
std::vector<QSocketNotifier *> moveSocket(QObject *socket, QThread *to)
{
    std::vector<QSocketNotifier *> paused;
    const QList<QSocketNotifier *> notifiers = socket->findChildren<QSocketNotifier *>();
    for (QSocketNotifier *n : notifiers) {
        if (n->isEnabled()) {
            n->setEnabled(false);
            paused.push_back(n);
        }
    }
    socket->moveToThread(to);
    return paused;
}

void resumeNotifiers(const std::vector<QSocketNotifier *> &paused)
{
    for (QSocketNotifier *n : paused)
        n->setEnabled(true);
}
} // namespace

// A wake-up across threads: an eventfd that the other side's event loop watches. Not a posted
// event: a thread's posted-event list is shared with everything else that posts to it, and a
// write to an eventfd costs no allocation. The queues it announces are read under their mutex.
class IoThreads::Waker final : public QSocketNotifier
{
public:
    // The eventfd exists from here on; the notifier watches it from the thread it is made in
    // (or moved to before that thread starts).
    Waker(int fd, std::function<void()> onWake)
        : QSocketNotifier(qintptr(fd), Read)
        , m_onWake(std::move(onWake))
    { }

    static int makeFd() { return ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }
    static void wake(int fd)
    {
        const quint64 one = 1;
        while (::write(fd, &one, sizeof one) < 0 && errno == EINTR) { }
    }

protected:
    bool event(QEvent *e) override
    {
        if (e->type() != QEvent::SockAct)
            return QSocketNotifier::event(e);
        quint64 count = 0;
        while (::read(int(socket()), &count, sizeof count) < 0 && errno == EINTR) { }
        m_onWake();
        return true;
    }

private:
    std::function<void()> m_onWake;
};

// What the server thread reads of a connection that an I/O thread writes.
struct IoThreads::Shared
{
    // Sent by the server thread, not yet handed to the socket (counted in UTF-16 characters for
    // text, bytes for binary: both sides count the same way).
    std::atomic<qint64> inFlight{0};
    // Handed to the socket and refused by the kernel so far (NativeWebSocket::bytesToWrite()).
    std::atomic<qint64> queued{0};
};

// One I/O thread's side: its connections (NativeWebSockets, QtWebSocketConnections), the queue of
// calls from the server thread and the queue of what it reports back. Lives in its I/O thread;
// post(), takeEvents() and beginShutdown() are the server thread's, under m_mutex.
class IoThreads::Loop final : public QObject, private WebSocketConnection::Listener
{
public:
    struct Adoption
    {
        int fd = -1; // Adopt
        QTcpSocket *socket = nullptr; // Upgrade
        std::vector<QSocketNotifier *> paused; // Upgrade: the socket's, to switch on again
        QSslConfiguration tls; // Handshake
        int timeoutMs = 0; // Handshake
        NativeWebSocket::Endpoint endpoint;
        quint64 maxMessageBytes = 0; // 0: the transport's default
        std::shared_ptr<Shared> shared;
    };
    struct Command
    {
        enum class Kind : quint8 {
            Adopt,
            Upgrade,
            Handshake,
            Text,
            Binary,
            Close,
            Abort,
            MaxSize,
            Shutdown
        };
        Kind kind = Kind::Text;
        quint16 code = 0;
        quint64 key = 0;
        // Text/Binary: what it added to Shared::inFlight; MaxSize: the limit; Upgrade: the bytes
        // of the request head
        qint64 number = 0;
        QString text; // Text; Close: the reason; Adopt: the request path
        QByteArray data; // Binary; Adopt: the 101 answer
        std::unique_ptr<Adoption> adoption;
    };
    // What an Upgraded or Refused event carries besides the common fields.
    struct Arrival
    {
        NativeWebSocket::Endpoint endpoint; // Upgraded
        QString path; // Upgraded
        std::shared_ptr<Shared> shared; // Upgraded
        QString peer; // Refused
        QTcpSocket *socket = nullptr; // Encrypted: moved to the server thread
        std::vector<QSocketNotifier *> paused; // Encrypted: the socket's, to switch on again
    };
    struct Event
    {
        // Upgraded: an Upgrade command's connection is open; Gone: it (or a Handshake
        // command's) ended before that; Refused: a protocol violation of one, for the log;
        // Encrypted: a Handshake command's TLS handshake is done, the socket goes back.
        enum class Kind : quint8 {
            Text,
            Binary,
            Violation,
            Disconnected,
            Upgraded,
            Gone,
            Refused,
            Encrypted
        };
        Kind kind = Kind::Text;
        quint16 code = 0; // Violation, Disconnected; Refused: the status
        quint64 key = 0;
        QString text; // Text; Violation, Disconnected, Refused: the reason
        QByteArray data; // Binary
        std::unique_ptr<Arrival> arrival; // Upgraded, Refused
    };

    explicit Loop(IoThreads *owner)
        : m_owner(owner)
        , m_wakeFd(Waker::makeFd())
    { }
    ~Loop() override
    {
        // The waker went with its thread (deleteLater() at Shutdown), before its descriptor.
        if (m_wakeFd >= 0)
            ::close(m_wakeFd);
    }
    bool isValid() const { return m_wakeFd >= 0; }

    // I/O thread, first thing: watch for the server thread's calls.
    void begin()
    {
        m_waker = new Waker(m_wakeFd, [this] { process(); });
    }

    // Server thread.
    void post(Command &&command)
    {
        bool wake;
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            wake = m_in.empty();
            m_in.push_back(std::move(command));
        }
        if (wake)
            Waker::wake(m_wakeFd);
    }

    // Server thread: what was reported since the last call (valid until the next one).
    std::vector<Event> &takeEvents()
    {
        m_taken.clear();
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_taken.swap(m_out);
            m_outBytes = 0;
        }
        m_room.notify_one();
        return m_taken;
    }

    // Any thread.
    int alive() const { return m_alive.load(std::memory_order_relaxed); }
    int qtAlive() const { return m_qtAlive.load(std::memory_order_relaxed); }

    // Server thread: nothing is reported from now on (the owner is going away), the thread drops
    // its connections and ends.
    void beginShutdown()
    {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_shutdown = true;
        }
        m_room.notify_one();
        Command c;
        c.kind = Command::Kind::Shutdown;
        post(std::move(c));
    }

private:
    void process()
    {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_work.swap(m_in);
        }
        for (Command &c : m_work)
            run(c);
        m_work.clear();
        if (m_finished) {
            // Its own call is on the stack: freed as the thread ends (deferred deletes run then).
            m_waker->setEnabled(false);
            m_waker->deleteLater();
            m_waker = nullptr;
            // Everything this thread did is done: the owner reads and frees after wait().
            TsanSync::release(this);
            QThread::currentThread()->quit();
        }
    }

    struct Entry
    {
        WebSocketConnection *socket = nullptr;
        std::shared_ptr<Shared> shared;
    };
    // A socket handed over for its upgrade, until QtWebSockets has answered it.
    struct Upgrading
    {
        quint64 key = 0;
        quint64 maxMessageBytes = 0;
        std::shared_ptr<Shared> shared;
    };

    // I/O thread: an Upgrade command. The socket was moved to this thread before it was posted.
    void upgrade(Command &c)
    {
        if (!m_upgrader) {
            m_upgrader = new QtUpgrader(this);
            connect(m_upgrader, &QtUpgrader::upgraded, this,
                    [this](QWebSocket *ws, QTcpSocket *socket) { upgraded(ws, socket); });
            connect(m_upgrader, &QtUpgrader::refused, this,
                    [this](const QString &peer, int status, const QString &reason) {
                        Event e;
                        e.kind = Event::Kind::Refused;
                        e.code = quint16(status);
                        e.text = reason;
                        e.arrival = std::make_unique<Arrival>();
                        e.arrival->peer = peer;
                        report(std::move(e));
                    });
        }
        Adoption &a = *c.adoption;
        QTcpSocket *socket = a.socket;
        m_upgrading.insert(socket, Upgrading{c.key, a.maxMessageBytes, std::move(a.shared)});
        // QtWebSockets deletes a socket that fails or goes away before the upgrade.
        connect(socket, &QObject::destroyed, this, [this, socket] {
            const Upgrading u = m_upgrading.take(socket);
            if (u.key)
                reportGone(u.key);
        });
        resumeNotifiers(a.paused);
        m_upgrader->handOver(socket, c.number);
    }

    // A TLS handshake under way: the socket, made here from the descriptor, and its deadline.
    struct Handshake
    {
        quint64 key = 0;
        QTimer *timer = nullptr;
    };

    // I/O thread: a Handshake command. Runs the TLS handshake of an accepted descriptor; once
    // encrypted, the socket goes back to the server thread, which reads its request head.
    void handshake(Command &c)
    {
        const Adoption &a = *c.adoption;
        auto *socket = new QSslSocket;
        if (!socket->setSocketDescriptor(qintptr(a.fd))) {
            ::close(a.fd);
            delete socket;
            reportGone(c.key);
            return;
        }
        socket->setSslConfiguration(a.tls);
        auto *timer = new QTimer(this);
        timer->setSingleShot(true);
        // The TLS handshake gets the same time as QSslServer gives it without I/O threads.
        connect(timer, &QTimer::timeout, this, [this, socket] { dropHandshake(socket); });
        m_handshakes.insert(socket, Handshake{c.key, timer});
        connect(socket, &QSslSocket::encrypted, this, [this, socket] {
            // Not from inside the emission: QSslSocket goes on with the records it has.
            QMetaObject::invokeMethod(
                this, [this, socket] { encrypted(socket); }, Qt::QueuedConnection);
        });
        connect(socket, &QAbstractSocket::disconnected, this,
                [this, socket] { dropHandshake(socket); });
        connect(socket, &QAbstractSocket::errorOccurred, this,
                [this, socket] { dropHandshake(socket); });
        timer->start(std::max(1, a.timeoutMs));
        socket->startServerEncryption();
    }

    void encrypted(QSslSocket *socket)
    {
        const auto it = m_handshakes.find(socket);
        if (it == m_handshakes.end())
            return; // dropped meanwhile
        const Handshake h = *it;
        m_handshakes.erase(it);
        delete h.timer;
        socket->disconnect(this);
        Event e;
        e.kind = Event::Kind::Encrypted;
        e.key = h.key;
        e.arrival = std::make_unique<Arrival>();
        e.arrival->paused = moveSocket(socket, m_owner->thread());
        e.arrival->socket = socket;
        report(std::move(e));
    }

    // A handshake that failed, timed out or lost its peer: gone, as QSslServer drops it.
    void dropHandshake(QSslSocket *socket)
    {
        const auto it = m_handshakes.find(socket);
        if (it == m_handshakes.end())
            return;
        const Handshake h = *it;
        m_handshakes.erase(it);
        h.timer->deleteLater();
        socket->disconnect(this);
        socket->abort();
        socket->deleteLater(); // its own signal may be on the stack
        reportGone(h.key);
    }

    void reportGone(quint64 key)
    {
        Event e;
        e.kind = Event::Kind::Gone;
        e.key = key;
        report(std::move(e));
    }

    void upgraded(QWebSocket *ws, QTcpSocket *socket)
    {
        const Upgrading u = socket ? m_upgrading.take(socket) : Upgrading();
        if (!u.key) {
            ws->abort(); // not one of ours: cannot happen
            ws->deleteLater();
            return;
        }
        disconnect(socket, &QObject::destroyed, this, nullptr);
        auto *connection = new QtWebSocketConnection(ws, this);
        // Before anything is read: frames are read on a later readyRead.
        if (u.maxMessageBytes > 0)
            connection->setMaxAllowedIncomingMessageSize(u.maxMessageBytes);
        connection->setOutputCounter(&u.shared->queued);
        connection->setListener(this, u.key);
        m_alive.fetch_add(1, std::memory_order_relaxed);
        m_qtAlive.fetch_add(1, std::memory_order_relaxed);
        m_sockets.insert(u.key, Entry{connection, u.shared});
        Event e;
        e.kind = Event::Kind::Upgraded;
        e.key = u.key;
        e.arrival = std::make_unique<Arrival>();
        e.arrival->endpoint
            = NativeWebSocket::Endpoint{connection->peerAddress(), connection->peerPort(),
                                        connection->localAddress(), connection->localPort()};
        e.arrival->path = connection->requestPath();
        e.arrival->shared = u.shared;
        report(std::move(e));
    }

    void run(Command &c)
    {
        if (c.kind == Command::Kind::Shutdown) {
            for (const Entry &entry : std::as_const(m_sockets)) {
                entry.socket->setListener(nullptr, 0);
                entry.socket->setOutputCounter(nullptr);
                entry.socket->abort();
                dispose(entry.socket);
            }
            m_sockets.clear();
            // Sockets still in their upgrade or TLS handshake: dropped, nobody is told.
            const auto drop = [this](QAbstractSocket *socket) {
                socket->disconnect(this);
                socket->abort();
                delete socket;
            };
            for (auto it = m_upgrading.cbegin(); it != m_upgrading.cend(); ++it)
                drop(it.key());
            m_upgrading.clear();
            for (auto it = m_handshakes.cbegin(); it != m_handshakes.cend(); ++it) {
                drop(it.key());
                delete it->timer;
            }
            m_handshakes.clear();
            delete std::exchange(m_upgrader, nullptr);
            bury();
            m_finished = true;
            return;
        }
        if (c.kind == Command::Kind::Upgrade) {
            upgrade(c);
            return;
        }
        if (c.kind == Command::Kind::Handshake) {
            handshake(c);
            return;
        }
        if (c.kind == Command::Kind::Adopt) {
            Adoption &a = *c.adoption;
            auto *socket = new NativeWebSocket(a.fd, a.endpoint, c.text, c.data, this);
            if (a.maxMessageBytes > 0)
                socket->setMaxAllowedIncomingMessageSize(a.maxMessageBytes);
            socket->setOutputCounter(&a.shared->queued);
            socket->setListener(this, c.key);
            m_alive.fetch_add(1, std::memory_order_relaxed);
            m_sockets.insert(c.key, Entry{socket, std::move(a.shared)});
            return;
        }
        const auto it = m_sockets.constFind(c.key);
        if (it == m_sockets.cend())
            return; // it ended here first; the server thread hears of that from its event
        WebSocketConnection *socket = it->socket;
        switch (c.kind) {
        case Command::Kind::Text:
            socket->sendTextMessage(c.text);
            it->shared->inFlight.fetch_sub(c.number, std::memory_order_relaxed);
            break;
        case Command::Kind::Binary:
            socket->sendBinaryMessage(c.data);
            it->shared->inFlight.fetch_sub(c.number, std::memory_order_relaxed);
            break;
        case Command::Kind::Close:
            socket->close(c.code, c.text);
            break;
        case Command::Kind::Abort:
            socket->abort(); // connectionDisconnected() removes it
            break;
        case Command::Kind::MaxSize:
            socket->setMaxAllowedIncomingMessageSize(quint64(c.number));
            break;
        case Command::Kind::Adopt:
        case Command::Kind::Upgrade:
        case Command::Kind::Handshake:
        case Command::Kind::Shutdown:
            break;
        }
    }

    void report(Event &&e)
    {
        std::unique_lock<std::mutex> lock(m_mutex);
        if (m_shutdown)
            return;
        const bool wake = m_out.empty();
        m_outBytes += e.text.size() * 2 + e.data.size();
        m_out.push_back(std::move(e));
        // Under the lock: beginShutdown() cannot slip in between, so nothing is ever posted to
        // an owner that is being destroyed.
        if (wake)
            Waker::wake(m_owner->m_wakeFd);
        m_room.wait(lock, [this] {
            return m_shutdown
                   || (qsizetype(m_out.size()) < MaxQueuedEvents && m_outBytes < MaxQueuedBytes);
        });
    }

    void report(Event::Kind kind, quint64 key, quint16 code, const QString &text,
                const QByteArray &data = {})
    {
        Event e;
        e.kind = kind;
        e.key = key;
        e.code = code;
        e.text = text;
        e.data = data;
        report(std::move(e));
    }
    void connectionText(quint64 tag, const QString &text) override
    {
        report(Event::Kind::Text, tag, 0, text);
    }
    void connectionBinary(quint64 tag, const QByteArray &data) override
    {
        report(Event::Kind::Binary, tag, 0, QString(), data);
    }
    void connectionViolation(quint64 tag, int closeCode, const QString &reason) override
    {
        report(Event::Kind::Violation, tag, quint16(closeCode), reason);
    }
    void connectionDisconnected(quint64 tag) override
    {
        const Entry entry = m_sockets.take(tag);
        if (!entry.socket)
            return;
        const quint16 code = entry.socket->closeCode();
        // A copy of its own: the socket's string may be freed here, inside Qt's library, after
        // the server thread dropped its reference (harmless, but invisible to TSan's view of
        // Qt's reference counts).
        const QString closeReason = entry.socket->closeReason();
        const QString reason(closeReason.constData(), closeReason.size());
        entry.socket->setOutputCounter(nullptr);
        entry.socket->setListener(nullptr, 0);
        // Freed on the next turn: its own call may be on the stack.
        if (m_graveyard.empty())
            QMetaObject::invokeMethod(
                this, [this] { bury(); }, Qt::QueuedConnection);
        m_graveyard.push_back(entry.socket);
        report(Event::Kind::Disconnected, tag, code, reason);
    }

    void dispose(WebSocketConnection *socket)
    {
        if (qobject_cast<QtWebSocketConnection *>(socket))
            m_qtAlive.fetch_sub(1, std::memory_order_relaxed);
        m_alive.fetch_sub(1, std::memory_order_relaxed);
        delete socket;
    }

    void bury()
    {
        for (WebSocketConnection *socket : m_graveyard)
            dispose(socket);
        m_graveyard.clear();
    }

    IoThreads *const m_owner;
    const int m_wakeFd;
    Waker *m_waker = nullptr; // I/O thread
    std::mutex m_mutex;
    std::condition_variable m_room;
    std::vector<Command> m_in; // m_mutex
    std::vector<Event> m_out; // m_mutex
    qint64 m_outBytes = 0; // m_mutex
    bool m_shutdown = false; // m_mutex
    std::vector<Command> m_work; // I/O thread
    bool m_finished = false; // I/O thread: Shutdown ran
    QHash<quint64, Entry> m_sockets; // I/O thread
    QtUpgrader *m_upgrader = nullptr; // I/O thread, made on the first Upgrade
    QHash<QTcpSocket *, Upgrading> m_upgrading; // I/O thread
    QHash<QSslSocket *, Handshake> m_handshakes; // I/O thread
    std::vector<WebSocketConnection *> m_graveyard; // I/O thread: disconnected, freed next turn
    std::atomic<int> m_alive{0}; // sockets of this thread not yet freed: any thread reads it
    std::atomic<int> m_qtAlive{0}; // the QtWebSocketConnections among them
    std::vector<Event> m_taken; // server thread
};

// The server thread's stand-in for a connection that an I/O thread runs.
class IoThreads::Connection final : public WebSocketConnection
{
public:
    // fd: a descriptor to hand over on the first call, or -1 (shared given: already running on
    // the I/O thread).
    Connection(IoThreads *pool, int slot, quint64 key, int fd,
               const NativeWebSocket::Endpoint &endpoint, const QString &path,
               const QByteArray &initialOutput, std::shared_ptr<Shared> shared = nullptr)
        : m_pool(pool)
        , m_slot(slot)
        , m_key(key)
        , m_shared(shared ? std::move(shared) : std::make_shared<Shared>())
        , m_endpoint(endpoint)
        , m_path(path)
        , m_initialOutput(initialOutput)
        , m_fd(fd)
    { }

    ~Connection() override
    {
        if (!m_pool)
            return;
        if (m_state != QAbstractSocket::UnconnectedState)
            drop(); // deleted while open: the I/O thread drops it, nobody is told
        m_pool->forget(this);
    }

    quint64 key() const { return m_key; }
    int slot() const { return m_slot; }

    void sendTextMessage(const QString &text) override
    {
        Loop::Command c;
        c.kind = Loop::Command::Kind::Text;
        c.number = text.size();
        c.text = text;
        send(std::move(c));
    }
    void sendBinaryMessage(const QByteArray &data) override
    {
        Loop::Command c;
        c.kind = Loop::Command::Kind::Binary;
        c.number = data.size();
        c.data = data;
        send(std::move(c));
    }
    void close(quint16 code, const QString &reason) override
    {
        if (m_state != QAbstractSocket::ConnectedState)
            return;
        m_state = QAbstractSocket::ClosingState;
        m_closeCode = code;
        m_closeReason = reason;
        Loop::Command c;
        c.kind = Loop::Command::Kind::Close;
        c.code = code;
        c.text = reason;
        post(std::move(c));
    }
    void abort() override
    {
        if (m_state == QAbstractSocket::UnconnectedState)
            return;
        drop();
        deliverDisconnected();
    }
    // The I/O thread writes at once; nothing waits here to be pushed.
    bool flush() override { return false; }
    qint64 bytesToWrite() const override
    {
        return m_shared->inFlight.load(std::memory_order_relaxed)
               + m_shared->queued.load(std::memory_order_relaxed);
    }
    QAbstractSocket::SocketState state() const override { return m_state; }
    void setMaxAllowedIncomingMessageSize(quint64 bytes) override
    {
        if (m_fd >= 0) {
            m_maxMessageBytes = bytes; // goes with the hand-over, before anything is read
            adopt();
            return;
        }
        Loop::Command c;
        c.kind = Loop::Command::Kind::MaxSize;
        c.number = qint64(bytes);
        post(std::move(c));
    }
    // The I/O thread keeps Shared::queued itself.
    void setOutputCounter(std::atomic<qint64> *) override { }
    QHostAddress peerAddress() const override { return m_endpoint.peerAddress; }
    quint16 peerPort() const override { return m_endpoint.peerPort; }
    QHostAddress localAddress() const override { return m_endpoint.localAddress; }
    quint16 localPort() const override { return m_endpoint.localPort; }
    QString requestPath() const override { return m_path; }
    quint16 closeCode() const override { return m_closeCode; }
    QString closeReason() const override { return m_closeReason; }

    void deliver(Loop::Event &e)
    {
        switch (e.kind) {
        case Loop::Event::Kind::Text:
            // As NativeWebSocket: nothing more once Warden started the close.
            if (m_state == QAbstractSocket::ConnectedState)
                deliverText(e.text);
            break;
        case Loop::Event::Kind::Binary:
            if (m_state == QAbstractSocket::ConnectedState)
                deliverBinary(e.data);
            break;
        case Loop::Event::Kind::Violation:
            if (m_state != QAbstractSocket::UnconnectedState)
                deliverViolation(e.code, e.text);
            break;
        case Loop::Event::Kind::Disconnected:
            if (m_state == QAbstractSocket::UnconnectedState)
                break;
            m_state = QAbstractSocket::UnconnectedState;
            m_closeCode = e.code;
            m_closeReason = e.text;
            deliverDisconnected();
            break;
        case Loop::Event::Kind::Upgraded:
        case Loop::Event::Kind::Gone:
        case Loop::Event::Kind::Refused:
        case Loop::Event::Kind::Encrypted:
            break; // IoThreads' own
        }
    }

    // The pool goes away first (its owner's teardown): closed, and nothing more to forward.
    void detach()
    {
        m_pool = nullptr;
        if (m_fd >= 0) {
            ::close(m_fd);
            m_fd = -1;
        }
        m_state = QAbstractSocket::UnconnectedState;
    }

private:
    // A message: counted in flight until the I/O thread has handed it to the socket.
    void send(Loop::Command &&c)
    {
        if (m_state == QAbstractSocket::UnconnectedState)
            return;
        m_shared->inFlight.fetch_add(c.number, std::memory_order_relaxed);
        post(std::move(c));
    }
    void drop()
    {
        m_state = QAbstractSocket::UnconnectedState;
        if (m_fd >= 0) {
            // Never handed over: nothing runs on the I/O thread yet.
            ::close(m_fd);
            m_fd = -1;
        } else if (m_pool) {
            Loop::Command c;
            c.kind = Loop::Command::Kind::Abort;
            post(std::move(c));
        }
    }
    void adopt()
    {
        if (m_fd < 0 || !m_pool)
            return;
        Loop::Command c;
        c.kind = Loop::Command::Kind::Adopt;
        c.key = m_key;
        c.text = m_path;
        c.data = std::exchange(m_initialOutput, QByteArray());
        c.adoption = std::make_unique<Loop::Adoption>();
        c.adoption->fd = std::exchange(m_fd, -1);
        c.adoption->endpoint = m_endpoint;
        c.adoption->maxMessageBytes = m_maxMessageBytes;
        c.adoption->shared = m_shared;
        m_pool->m_loops[std::size_t(m_slot)].loop->post(std::move(c));
    }
    void post(Loop::Command &&c)
    {
        if (!m_pool)
            return;
        adopt();
        c.key = m_key;
        m_pool->m_loops[std::size_t(m_slot)].loop->post(std::move(c));
    }

    IoThreads *m_pool;
    const int m_slot;
    const quint64 m_key;
    std::shared_ptr<Shared> m_shared;
    NativeWebSocket::Endpoint m_endpoint;
    QString m_path;
    QByteArray m_initialOutput;
    int m_fd; // until handed over
    quint64 m_maxMessageBytes = 0;
    QAbstractSocket::SocketState m_state = QAbstractSocket::ConnectedState;
    quint16 m_closeCode = 1006;
    QString m_closeReason;
};

IoThreads::IoThreads(int count, QObject *parent)
    : QObject(parent)
    , m_wakeFd(Waker::makeFd())
{
    if (m_wakeFd < 0)
        qFatal("IoThreads: eventfd: %s", strerror(errno));
    m_waker = std::make_unique<Waker>(m_wakeFd, [this] { drain(); });
    count = std::clamp(count, 1, MaxThreads);
    m_loops.resize(std::size_t(count));
    for (int i = 0; i < count; ++i) {
        Slot &s = m_loops[std::size_t(i)];
        s.thread = new QThread;
        s.thread->setObjectName(QStringLiteral("warden-io-%1").arg(i));
        if (EpollEventDispatcher::wanted()) {
            auto dispatcher = std::make_unique<EpollEventDispatcher>();
            if (dispatcher->isValid())
                s.thread->setEventDispatcher(dispatcher.release());
        }
        s.loop = new Loop(this);
        if (!s.loop->isValid())
            qFatal("IoThreads: eventfd: %s", strerror(errno));
        s.loop->moveToThread(s.thread);
        Loop *loop = s.loop;
        connect(
            s.thread, &QThread::started, loop, [loop] { loop->begin(); }, Qt::DirectConnection);
        s.thread->start();
    }
}

IoThreads::~IoThreads()
{
    for (Connection *c : std::as_const(m_connections))
        c->detach();
    m_connections.clear();
    for (Slot &s : m_loops)
        s.loop->beginShutdown();
    for (Slot &s : m_loops) {
        s.thread->wait();
        TsanSync::acquire(s.loop); // pairs with the release at the end of its Shutdown
        delete s.loop;
        delete s.thread;
    }
    m_waker.reset(); // before its descriptor goes
    ::close(m_wakeFd);
}

int IoThreads::autoCount(int cores)
{
    if (cores <= 2)
        return 0;
    return std::min(cores - 1, 16);
}

WebSocketConnection *IoThreads::adopt(int fd, const NativeWebSocket::Endpoint &endpoint,
                                      const QString &path, const QByteArray &initialOutput)
{
    const int slot = leastLoaded();
    const quint64 key = m_nextKey++;
    auto *c = new Connection(this, slot, key, fd, endpoint, path, initialOutput);
    m_connections.insert(key, c);
    ++m_loops[std::size_t(slot)].open;
    return c;
}

void IoThreads::adoptUpgrade(QTcpSocket *socket, qint64 headBytes, quint64 maxMessageBytes)
{
    const int slot = leastLoaded();
    Slot &s = m_loops[std::size_t(slot)];
    ++s.open;
    socket->setParent(nullptr);
    std::vector<QSocketNotifier *> paused = moveSocket(socket, s.thread);
    Loop::Command c;
    c.kind = Loop::Command::Kind::Upgrade;
    c.key = m_nextKey++;
    c.number = headBytes;
    c.adoption = std::make_unique<Loop::Adoption>();
    c.adoption->socket = socket;
    c.adoption->paused = std::move(paused);
    c.adoption->maxMessageBytes = maxMessageBytes;
    c.adoption->shared = std::make_shared<Shared>();
    s.loop->post(std::move(c));
}

void IoThreads::handshake(int fd, const QSslConfiguration &tls, int timeoutMs)
{
    const int slot = leastLoaded();
    Slot &s = m_loops[std::size_t(slot)];
    ++s.open;
    Loop::Command c;
    c.kind = Loop::Command::Kind::Handshake;
    c.key = m_nextKey++;
    c.adoption = std::make_unique<Loop::Adoption>();
    c.adoption->fd = fd;
    c.adoption->tls = tls;
    c.adoption->timeoutMs = timeoutMs;
    s.loop->post(std::move(c));
}

int IoThreads::leastLoaded() const
{
    int slot = 0;
    for (int i = 1; i < count(); ++i) {
        if (m_loops[std::size_t(i)].open < m_loops[std::size_t(slot)].open)
            slot = i;
    }
    return slot;
}

QList<int> IoThreads::load() const
{
    QList<int> open;
    open.reserve(count());
    for (const Slot &s : m_loops)
        open.append(s.open);
    return open;
}

int IoThreads::socketsAlive() const
{
    int n = 0;
    for (const Slot &s : m_loops)
        n += s.loop->alive();
    return n;
}

int IoThreads::qtSocketsAlive() const
{
    int n = 0;
    for (const Slot &s : m_loops)
        n += s.loop->qtAlive();
    return n;
}

void IoThreads::drain()
{
    for (int slot = 0; slot < count(); ++slot) {
        for (Loop::Event &e : m_loops[std::size_t(slot)].loop->takeEvents()) {
            switch (e.kind) {
            case Loop::Event::Kind::Upgraded: {
                const Loop::Arrival &a = *e.arrival;
                auto *c = new Connection(this, slot, e.key, -1, a.endpoint, a.path, QByteArray(),
                                         a.shared);
                m_connections.insert(e.key, c);
                handOut<WebSocketConnection>(&IoThreads::upgraded, c);
                continue;
            }
            case Loop::Event::Kind::Gone:
                --m_loops[std::size_t(slot)].open;
                continue;
            case Loop::Event::Kind::Refused:
                Q_EMIT refused(e.arrival->peer, e.code, e.text);
                continue;
            case Loop::Event::Kind::Encrypted: {
                --m_loops[std::size_t(slot)].open;
                resumeNotifiers(e.arrival->paused);
                handOut<QTcpSocket>(&IoThreads::encrypted, e.arrival->socket);
                continue;
            }
            default:
                break;
            }
            // Looked up per event: a delivery may end (and delete later) any connection.
            if (Connection *c = m_connections.value(e.key))
                c->deliver(e);
        }
    }
}

template<typename T>
void IoThreads::handOut(void (IoThreads::*signal)(T *), T *object)
{
    if (isSignalConnected(QMetaMethod::fromSignal(signal))) {
        Q_EMIT(this->*signal)(object);
        return;
    }
    object->abort(); // nobody takes it
    delete object;
}

void IoThreads::forget(Connection *connection)
{
    m_connections.remove(connection->key());
    --m_loops[std::size_t(connection->slot())].open;
}
