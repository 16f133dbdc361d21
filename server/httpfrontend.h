// SPDX-License-Identifier: MIT
#pragma once

#include "server/deadlineindex.h"
#include "server/httprequest.h"
#include "server/nativewebsocket.h"

#include <QtCore/QHash>
#include <QtCore/QObject>
#include <QtCore/QTimer>
#include <QtNetwork/QHostAddress>
#include <QtNetwork/QSslConfiguration>

#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>

class IoThreads;
class QTcpServer;
class QTcpSocket;
class QtUpgrader;
class TcpListener;
class WebSocketConnection;

// The main port: accepts TCP with a deep backlog, reads each request head (bounded in size and
// time), answers plain HTTP itself and accepts WebSocket upgrades. With I/O threads, TLS
// handshakes and upgraded connections run on those (IoThreads). On plain TCP with the native
// transport everything up to the 101 happens on raw descriptors (TcpListener, then recv() into a
// small buffer per connection) and the descriptor goes to a NativeWebSocket: no QTcpSocket is
// made for a WebSocket connection, only for a plain HTTP answer. With TLS, or with
// `[server] transport = qt`, a QTcpServer accepts, and upgrades go to a QWebSocketServer through
// handleConnection() (QtUpgrader: this thread's, or an I/O thread's). Lives in the server worker
// thread.
class HttpFrontend final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpFrontend)

public:
    // Answers a plain (non-upgrade) request.
    using HttpHandler = std::function<HttpResponse(const HttpRequest &, const QHostAddress &peer)>;
    // May refuse an upgrade before the handshake is answered (a response), or let it pass
    // (nullopt).
    using UpgradeFilter
        = std::function<std::optional<HttpResponse>(const HttpRequest &, const QHostAddress &peer)>;

    explicit HttpFrontend(QObject *parent = nullptr);
    ~HttpFrontend() override;

    // Binds the new address first; the previous listener is closed only once the new one works,
    // so a failed rebind leaves everything as it was. Connections already handed over stay.
    bool listen(const QHostAddress &address, quint16 port, QString *error);
    // TLS for the main port (wss://, https://). Set before listen(); changing it later swaps the
    // certificate for new handshakes without touching live connections, or, when TLS is switched
    // on or off, rebinds the same address.
    bool setTls(const std::optional<QSslConfiguration> &tls, QString *error);
    bool isTls() const { return m_tls.has_value(); }
    void close();
    bool isListening() const;
    QHostAddress address() const;
    quint16 port() const;

    void setHandshakeTimeout(int ms) { m_handshakeTimeoutMs = ms; }
    // Upgraded connections go to these I/O threads (nullptr: they run in this thread): native
    // ones as descriptors, QtWebSockets ones (TLS, `transport = qt`) as sockets that an I/O
    // thread's own QWebSocketServer upgrades; TLS handshakes run there too. Set before listen().
    void setIoThreads(IoThreads *io);
    // The message-size limit a QtWebSockets connection on an I/O thread starts with, before
    // the receiver of webSocketAccepted() sets its own (0: QtWebSockets' default).
    void setMaxMessageBytes(quint64 bytes) { m_maxMessageBytes = bytes; }
    void setHttpHandler(HttpHandler handler) { m_httpHandler = std::move(handler); }
    void setUpgradeFilter(UpgradeFilter filter) { m_upgradeFilter = std::move(filter); }
    // Runs before the upgrade filter: origin and connection-limit checks.
    void setAdmissionCheck(UpgradeFilter check) { m_admissionCheck = std::move(check); }
    qsizetype pendingCount() const { return m_pending.size() + qsizetype(m_rawPending.size()); }
    // Plain ws:// upgrades on NativeWebSocket (true) or QWebSocket; applies to new upgrades.
    // TLS connections always use QWebSocket.
    // Switching while listening on plain TCP rebinds the same address (like setTls()); a failed
    // rebind restores the previous listener and returns false.
    bool setNativeTransport(bool native, QString *error);
    bool nativeTransport() const { return m_native; }

Q_SIGNALS:
    // A finished WebSocket handshake. The receiver owns the connection (it has no parent).
    void webSocketAccepted(WebSocketConnection *connection);
    // A request answered with an error status or dropped before the upgrade, or a QtWebSockets
    // connection failed for a protocol violation (status is then the close code), for the log.
    // A native connection reports its own (WebSocketConnection::protocolViolation).
    void requestRefused(const QString &peer, int status, const QString &reason);

private:
    // What a request that has (partly) arrived asks for.
    struct Route
    {
        enum class Kind { Wait, Respond, Upgrade } kind = Kind::Wait;
        HttpResponse response;
        bool headOnly = false;
    };
    // A connection accepted on a raw descriptor whose request head is still being read.
    struct RawPending
    {
        int fd = -1;
        NativeWebSocket::Endpoint endpoint;
        QByteArray received;
        std::unique_ptr<QSocketNotifier> notifier; // only once a read found the head incomplete
    };
    class HeadNotifier;

    // Raw descriptors for the native transport, and for TLS with I/O threads (which run the
    // TLS handshakes); else a QTcpServer or QSslServer.
    bool usesRawListener() const { return m_tls ? m_io != nullptr : m_native; }
    // Closes the listener and listens again on the same address with the current mode.
    bool rebind(QString *error);
    // data: every byte received so far. Parses, checks and, for a plain request, answers.
    Route route(const QByteArray &data, HttpRequest *request, const QHostAddress &peer);
    void onNewTcpConnection();
    // A connected socket (encrypted, for TLS) whose request head is to be read.
    void takePending(QTcpSocket *socket);
    void onReadyRead(QTcpSocket *socket);
    void onRawAccepted(int fd, const NativeWebSocket::Endpoint &endpoint);
    void onRawReadable(DeadlineIndex::Key key);
    // Ends a raw pending connection: closes its descriptor, or (respond) answers through a
    // QTcpSocket made from it.
    void dropRaw(DeadlineIndex::Key key);
    void respondRaw(DeadlineIndex::Key key, const HttpResponse &response, bool headOnly);
    // Answers a plain-TCP upgrade itself and moves the connection to a NativeWebSocket.
    // The checks and the 101 of a native upgrade; an empty answer means refused (response set).
    static QByteArray nativeUpgradeAnswer(const HttpRequest &request, HttpResponse *refusal);
    void respond(QTcpSocket *socket, const HttpResponse &response, bool headOnly = false);
    void forget(QTcpSocket *socket);
    void armTimer();
    void onTimer();

    std::unique_ptr<QTcpServer> m_tcp;
    std::unique_ptr<TcpListener> m_raw;
    std::unordered_map<DeadlineIndex::Key, RawPending> m_rawPending;
    QtUpgrader *m_qt;
    HttpHandler m_httpHandler;
    UpgradeFilter m_upgradeFilter;
    UpgradeFilter m_admissionCheck;
    int m_handshakeTimeoutMs = 10000;
    IoThreads *m_io = nullptr;
    quint64 m_maxMessageBytes = 0;
    std::optional<QSslConfiguration> m_tls;
    bool m_native = true;

    DeadlineIndex::Key m_nextKey = 1;
    QHash<QTcpSocket *, DeadlineIndex::Key> m_pending;
    QHash<DeadlineIndex::Key, QTcpSocket *> m_pendingByKey;
    DeadlineIndex m_deadlines;
    QTimer m_timer;
};
