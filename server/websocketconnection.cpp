// SPDX-License-Identifier: MIT
#include "server/websocketconnection.h"

WebSocketConnection::WebSocketConnection(QObject *parent)
    : QObject(parent)
{ }

WebSocketConnection::~WebSocketConnection() = default;

void WebSocketConnection::deliverText(const QString &text)
{
    if (m_listener)
        m_listener->connectionText(m_tag, text);
    else
        Q_EMIT textMessageReceived(text);
}

void WebSocketConnection::deliverBinary(const QByteArray &data)
{
    if (m_listener)
        m_listener->connectionBinary(m_tag, data);
    else
        Q_EMIT binaryMessageReceived(data);
}

void WebSocketConnection::deliverViolation(int closeCode, const QString &reason)
{
    if (m_listener)
        m_listener->connectionViolation(m_tag, closeCode, reason);
    else
        Q_EMIT protocolViolation(closeCode, reason);
}

void WebSocketConnection::deliverDisconnected()
{
    if (m_listener)
        m_listener->connectionDisconnected(m_tag);
    else
        Q_EMIT disconnected();
}
