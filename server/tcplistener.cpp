// SPDX-License-Identifier: MIT
#include "server/tcplistener.h"

#include <QtCore/QSocketNotifier>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

QString errnoText(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}

// The socket address to bind for address (QTcpServer's choices for the wildcards).
bool toSockaddr(const QHostAddress &address, quint16 port, sockaddr_storage *out, socklen_t *len,
                int *v6only)
{
    std::memset(out, 0, sizeof *out);
    *v6only = -1; // leave the system default
    if (address == QHostAddress::Any || address == QHostAddress::AnyIPv6
        || address.protocol() == QAbstractSocket::IPv6Protocol) {
        auto *in6 = reinterpret_cast<sockaddr_in6 *>(out);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        if (address == QHostAddress::Any) {
            in6->sin6_addr = in6addr_any;
            *v6only = 0;
        } else if (address == QHostAddress::AnyIPv6) {
            in6->sin6_addr = in6addr_any;
            *v6only = 1;
        } else {
            const Q_IPV6ADDR bytes = address.toIPv6Address();
            std::memcpy(&in6->sin6_addr, bytes.c, 16);
            const QString scope = address.scopeId();
            if (!scope.isEmpty()) {
                bool numeric = false;
                const uint index = scope.toUInt(&numeric);
                in6->sin6_scope_id = numeric ? index : ::if_nametoindex(scope.toLocal8Bit());
            }
        }
        *len = sizeof(sockaddr_in6);
        return true;
    }
    if (address.protocol() == QAbstractSocket::IPv4Protocol || address == QHostAddress::AnyIPv4) {
        auto *in4 = reinterpret_cast<sockaddr_in *>(out);
        in4->sin_family = AF_INET;
        in4->sin_port = htons(port);
        in4->sin_addr.s_addr = htonl(address.toIPv4Address());
        *len = sizeof(sockaddr_in);
        return true;
    }
    return false;
}

quint16 portOf(const sockaddr_storage &a)
{
    if (a.ss_family == AF_INET6)
        return ntohs(reinterpret_cast<const sockaddr_in6 &>(a).sin6_port);
    return ntohs(reinterpret_cast<const sockaddr_in &>(a).sin_port);
}
} // namespace

TcpListener::TcpListener(Handler onAccepted, ErrorHandler onError, QObject *parent)
    : QObject(parent)
    , m_onAccepted(std::move(onAccepted))
    , m_onError(std::move(onError))
    , m_resume(this)
{
    m_resume.setSingleShot(true);
    m_resume.setInterval(PauseMs);
    connect(&m_resume, &QTimer::timeout, this, [this] {
        if (m_notifier)
            m_notifier->setEnabled(true);
    });
}

TcpListener::~TcpListener()
{
    m_notifier.reset(); // unregistered before the descriptor goes
    if (m_fd >= 0)
        ::close(m_fd);
}

bool TcpListener::listen(const QHostAddress &address, quint16 port, int backlog, QString *error)
{
    if (m_fd >= 0) {
        *error = QStringLiteral("already listening");
        return false;
    }
    sockaddr_storage addr;
    socklen_t len = 0;
    int v6only = -1;
    if (!toSockaddr(address, port, &addr, &len, &v6only)) {
        *error = QStringLiteral("unsupported address %1").arg(address.toString());
        return false;
    }
    const int fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *error = errnoText(errno);
        return false;
    }
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    // Accepted connections inherit it (Linux copies the listener's Nagle setting): WebSocket
    // frames are written whole, and Nagle would only hold back the next push.
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (v6only >= 0)
        ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
    if (::bind(fd, reinterpret_cast<const sockaddr *>(&addr), len) != 0
        || ::listen(fd, backlog) != 0) {
        *error = errnoText(errno);
        ::close(fd);
        return false;
    }
    sockaddr_storage bound;
    socklen_t boundLen = sizeof bound;
    ::getsockname(fd, reinterpret_cast<sockaddr *>(&bound), &boundLen);
    m_fd = fd;
    m_address = address;
    m_port = portOf(bound);
    m_wildcard = address == QHostAddress::Any || address == QHostAddress::AnyIPv4
                 || address == QHostAddress::AnyIPv6;
    m_notifier = std::make_unique<QSocketNotifier>(qintptr(fd), QSocketNotifier::Read);
    connect(m_notifier.get(), &QSocketNotifier::activated, this, &TcpListener::acceptPending);
    return true;
}

void TcpListener::acceptPending()
{
    for (int i = 0; i < AcceptBatch; ++i) {
        sockaddr_storage peer;
        socklen_t peerLen = sizeof peer;
        const int fd = ::accept4(m_fd, reinterpret_cast<sockaddr *>(&peer), &peerLen,
                                 SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            const int e = errno;
            if (e == EAGAIN || e == EWOULDBLOCK)
                return;
            if (e == EINTR || e == ECONNABORTED || e == EPROTO)
                continue; // that connection is gone; the next one may be fine
            if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
                // The connection stays in the listen queue; try again after a pause instead of
                // being woken for it in a loop.
                m_notifier->setEnabled(false);
                m_resume.start();
                if (m_onError)
                    m_onError(QStringLiteral("cannot accept: %1 (accepting paused for %2 ms)")
                                  .arg(errnoText(e))
                                  .arg(PauseMs));
                return;
            }
            if (m_onError)
                m_onError(QStringLiteral("cannot accept: %1").arg(errnoText(e)));
            return;
        }
        Accepted a;
        a.fd = fd;
        a.peerAddress = QHostAddress(reinterpret_cast<const sockaddr *>(&peer));
        a.peerPort = portOf(peer);
        if (m_wildcard) {
            sockaddr_storage local;
            socklen_t localLen = sizeof local;
            if (::getsockname(fd, reinterpret_cast<sockaddr *>(&local), &localLen) == 0)
                a.localAddress = QHostAddress(reinterpret_cast<const sockaddr *>(&local));
        } else {
            a.localAddress = m_address;
        }
        a.localPort = m_port;
        m_onAccepted(a);
    }
}
