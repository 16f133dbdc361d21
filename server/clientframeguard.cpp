// SPDX-License-Identifier: MIT
#include "server/clientframeguard.h"

#include <QtNetwork/QTcpSocket>
#include <QtWebSockets/QWebSocket>

#include <algorithm>

ClientFrameGuard::ClientFrameGuard(QTcpSocket *socket, qint64 headBytes)
    : QObject(socket)
    , m_socket(socket)
    , m_headBytes(headBytes)
{
    // Connected before QWebSocketServer and QWebSocket connect theirs, so it runs first.
    connect(socket, &QTcpSocket::readyRead, this, &ClientFrameGuard::beforeRead);
}

void ClientFrameGuard::upgraded(QWebSocket *ws)
{
    if (m_phase != Phase::Handshake)
        return;
    m_ws = ws;
    m_phase = Phase::Frames;
    m_seen = m_socket->bytesAvailable();
    connect(m_socket, &QTcpSocket::readyRead, this, &ClientFrameGuard::afterRead);
}

void ClientFrameGuard::beforeRead()
{
    if (m_phase == Phase::Done)
        return;
    const qint64 available = m_socket->bytesAvailable();
    if (m_phase == Phase::Handshake) {
        // QWebSocketServer answers the head in a queued call; anything beyond it now was sent
        // before the client could have seen a 101.
        if (available > m_headBytes)
            fail(400, QStringLiteral("data sent before the handshake response"));
        return;
    }
    if (available < m_seen) {
        // Someone read outside a readyRead emission; the frame boundaries are lost. Stop
        // checking rather than misread payload as headers.
        m_phase = Phase::Done;
        return;
    }

    qint64 pos = m_seen;
    qint64 peeked = 0;
    while (pos < available) {
        if (m_skip > 0) {
            const qint64 step = qint64(std::min<quint64>(m_skip, quint64(available - pos)));
            pos += step;
            m_skip -= quint64(step);
            continue;
        }
        if (peeked == 0) {
            // One copy per read that carries a header; reads that are all payload copy nothing.
            m_peek.resize(size_t(available));
            peeked = m_socket->peek(m_peek.data(), available);
            if (peeked < available) {
                m_phase = Phase::Done;
                return;
            }
        }
        m_header[m_headerHave++] = static_cast<unsigned char>(m_peek[size_t(pos++)]);
        if (m_headerHave == 2) {
            if ((m_header[1] & 0x80) == 0) {
                fail(1002, QStringLiteral("client frames must be masked"));
                return;
            }
            const int length7 = m_header[1] & 0x7f;
            m_headerNeed = 2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0) + 4;
        }
        if (m_headerHave == m_headerNeed) {
            const int length7 = m_header[1] & 0x7f;
            quint64 length = quint64(length7);
            if (length7 >= 126) {
                const int bytes = length7 == 126 ? 2 : 8;
                length = 0;
                for (int i = 0; i < bytes; ++i)
                    length = (length << 8) | m_header[2 + i];
            }
            m_skip = length;
            m_headerHave = 0;
            m_headerNeed = 2;
            ++m_frames;
        }
    }
    m_seen = available;
}

void ClientFrameGuard::afterRead()
{
    if (m_phase == Phase::Frames)
        m_seen = m_socket->bytesAvailable();
}

void ClientFrameGuard::fail(int closeCode, const QString &reason)
{
    m_phase = Phase::Done;
    Q_EMIT violation(closeCode, reason);
    if (m_ws) {
        // Sends the close frame and closes the socket, which empties its buffer: QtWebSockets'
        // reader, next on this readyRead, finds nothing to deliver.
        m_ws->close(QWebSocketProtocol::CloseCodeProtocolError, reason);
    } else {
        m_socket->abort();
    }
}
