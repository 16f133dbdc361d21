// SPDX-License-Identifier: MIT
#include "server/qtwebsocketconnection.h"

#include <QtWebSockets/QWebSocket>

QtWebSocketConnection::QtWebSocketConnection(QWebSocket *socket, QObject *parent)
    : WebSocketConnection(parent)
    , m_socket(socket)
{
    socket->setParent(this);
    connect(socket, &QWebSocket::textMessageReceived, this,
            [this](const QString &text) { deliverText(text); });
    connect(socket, &QWebSocket::binaryMessageReceived, this,
            [this](const QByteArray &data) { deliverBinary(data); });
    connect(socket, &QWebSocket::disconnected, this, [this] { deliverDisconnected(); });
}

QtWebSocketConnection::~QtWebSocketConnection()
{
    // Our signals must not fire from the child's teardown.
    m_socket->disconnect(this);
}

void QtWebSocketConnection::sendTextMessage(const QString &text)
{
    m_socket->sendTextMessage(text);
    publishQueued();
}

void QtWebSocketConnection::sendBinaryMessage(const QByteArray &data)
{
    m_socket->sendBinaryMessage(data);
    publishQueued();
}

void QtWebSocketConnection::close(quint16 code, const QString &reason)
{
    m_socket->close(static_cast<QWebSocketProtocol::CloseCode>(code), reason);
}

void QtWebSocketConnection::abort()
{
    m_socket->abort();
}

bool QtWebSocketConnection::flush()
{
    return m_socket->flush();
}

qint64 QtWebSocketConnection::bytesToWrite() const
{
    return m_socket->bytesToWrite();
}

QAbstractSocket::SocketState QtWebSocketConnection::state() const
{
    return m_socket->state();
}

void QtWebSocketConnection::setMaxAllowedIncomingMessageSize(quint64 bytes)
{
    m_socket->setMaxAllowedIncomingMessageSize(bytes);
}

void QtWebSocketConnection::setOutputCounter(std::atomic<qint64> *counter)
{
    if (!m_outputCounter && counter)
        connect(m_socket, &QWebSocket::bytesWritten, this, &QtWebSocketConnection::publishQueued);
    else if (m_outputCounter && !counter)
        disconnect(m_socket, &QWebSocket::bytesWritten, this,
                   &QtWebSocketConnection::publishQueued);
    m_outputCounter = counter;
    publishQueued();
}

void QtWebSocketConnection::publishQueued()
{
    if (m_outputCounter)
        m_outputCounter->store(m_socket->bytesToWrite(), std::memory_order_relaxed);
}

QHostAddress QtWebSocketConnection::peerAddress() const
{
    return m_socket->peerAddress();
}

quint16 QtWebSocketConnection::peerPort() const
{
    return m_socket->peerPort();
}

QHostAddress QtWebSocketConnection::localAddress() const
{
    return m_socket->localAddress();
}

quint16 QtWebSocketConnection::localPort() const
{
    return m_socket->localPort();
}

QString QtWebSocketConnection::requestPath() const
{
    return m_socket->requestUrl().path();
}

quint16 QtWebSocketConnection::closeCode() const
{
    const quint16 code = quint16(m_socket->closeCode());
    if (code == 1000 && m_socket->error() == QAbstractSocket::RemoteHostClosedError
        && m_socket->closeReason().isEmpty())
        return 1006; // no close frame: the TCP connection just went away
    return code;
}

QString QtWebSocketConnection::closeReason() const
{
    // QtWebSockets reports its own size limit as 1009 with its own wording; Warden's log says
    // "message too big" whichever transport failed the connection.
    if (m_socket->closeCode() == QWebSocketProtocol::CloseCodeTooMuchData)
        return QStringLiteral("message too big");
    return m_socket->closeReason();
}
