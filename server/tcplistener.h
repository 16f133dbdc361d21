// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QObject>
#include <QtCore/QTimer>
#include <QtNetwork/QHostAddress>

#include <functional>
#include <memory>

class QSocketNotifier;

// A listening TCP socket on a raw descriptor: the accept path of the native transport
// (HttpFrontend). Accepts with accept4() straight into non-blocking descriptors, with no
// QTcpSocket per connection, and hands each one over with its addresses. Lives in one thread.
//
// Accepted connections have TCP_NODELAY, inherited from the listening socket (one system call
// less per connection). Binding follows QTcpServer: SO_REUSEADDR; QHostAddress::Any is one
// dual-stack IPv6 socket, AnyIPv6 is IPv6 only. Running out of descriptors (EMFILE, ENFILE) pauses
// accepting for PauseMs instead of spinning on a listen queue it cannot drain, and reports it once
// per pause.
class TcpListener final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TcpListener)

public:
    struct Accepted
    {
        int fd = -1; // connected, non-blocking, close-on-exec; the receiver owns it
        QHostAddress peerAddress;
        quint16 peerPort = 0;
        QHostAddress localAddress;
        quint16 localPort = 0;
    };
    using Handler = std::function<void(const Accepted &)>;
    using ErrorHandler = std::function<void(const QString &reason)>;

    static constexpr int PauseMs = 100;
    // At most this many connections are accepted per readiness event, so that a storm of new
    // connections takes turns with the ones already accepted.
    static constexpr int AcceptBatch = 256;

    explicit TcpListener(Handler onAccepted, ErrorHandler onError, QObject *parent = nullptr);
    ~TcpListener() override;

    bool listen(const QHostAddress &address, quint16 port, int backlog, QString *error);
    QHostAddress address() const { return m_address; }
    quint16 port() const { return m_port; }

private:
    void acceptPending();

    Handler m_onAccepted;
    ErrorHandler m_onError;
    int m_fd = -1;
    QHostAddress m_address;
    quint16 m_port = 0;
    bool m_wildcard = false; // the local address of a connection must be asked for
    std::unique_ptr<QSocketNotifier> m_notifier;
    QTimer m_resume;
};
