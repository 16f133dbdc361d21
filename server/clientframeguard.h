// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QObject>
#include <QtCore/QPointer>

#include <vector>

class QTcpSocket;
class QWebSocket;

// Reads the frame headers of everything a client sends on an upgraded connection, ahead of
// QtWebSockets, and fails the connection on what QtWebSockets 6.4 accepts although RFC 6455
// forbids it: an unmasked client frame (close 1002, section 5.1), or data sent before the
// server's handshake response (section 4.1). A child of the TCP or TLS socket; lives in its
// thread.
//
// It never reads from the socket. Its first slot on readyRead runs before QtWebSockets' reader
// and looks (peek) only at the bytes that arrived since the last time; its last slot runs after
// that reader and records how many bytes the reader left in the buffer (a partial frame). Only
// header bytes are looked at; payload is skipped by its length, so the cost per frame is a few
// byte compares (plus one peek per read that contains a header).
class ClientFrameGuard final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ClientFrameGuard)

public:
    // Attach before QWebSocketServer::handleConnection(): headBytes is the request head waiting
    // in the socket's buffer, the only thing that may be there before the 101 answer.
    ClientFrameGuard(QTcpSocket *socket, qint64 headBytes);

    // QtWebSockets has consumed the head and connected its reader: from now on the buffer holds
    // frames. Connects the after-read slot, which must come after QtWebSockets' own.
    void upgraded(QWebSocket *ws);

    QTcpSocket *socket() const { return m_socket; }

    // Frames scanned (for tests and the benchmark).
    quint64 framesSeen() const { return m_frames; }

Q_SIGNALS:
    // The connection is being failed; closeCode is a WebSocket close code, or 400 when no
    // WebSocket exists yet.
    void violation(int closeCode, const QString &reason);

private:
    enum class Phase { Handshake, Frames, Done };

    void beforeRead();
    void afterRead();
    void fail(int closeCode, const QString &reason);

    QTcpSocket *m_socket;
    QPointer<QWebSocket> m_ws;
    Phase m_phase = Phase::Handshake;
    qint64 m_headBytes;
    qint64 m_seen = 0; // bytes at the front of the buffer already scanned
    quint64 m_skip = 0; // payload bytes of the current frame still to come
    unsigned char m_header[14] = {};
    int m_headerHave = 0;
    int m_headerNeed = 2;
    quint64 m_frames = 0;
    std::vector<char> m_peek;
};
