// SPDX-License-Identifier: MIT
#pragma once

#include "server/serverevent.h"

#include <QtCore/QList>
#include <QtCore/QMetaType>
#include <QtCore/QString>

// A snapshot of one live connection, copied out of the server worker for views and the API.
struct ConnectionInfo
{
    enum class Endpoint : quint8 { Raw, SocketIo };

    ConnectionId id = 0;
    QString peer; // address:port
    QString localAddress; // address:port of Warden's side, for matching kernel sockets
    Endpoint endpoint = Endpoint::Raw;
    QString path;
    qint64 connectedAtMs = 0;
    qint64 lastActivityMs = 0; // this connection's own last activity; 0 = none yet
    bool authenticated = false;
    QString user;
    QString sessionId;
    qint64 expiresAtMs = 0; // the session's deadline (0 when not logged in)
    bool warned = false; // inside the warning window
    quint64 msgsIn = 0;
    quint64 msgsOut = 0;
    quint64 bytesIn = 0;
    quint64 bytesOut = 0;
    int socketState = 0; // QAbstractSocket::SocketState
    int tcpState = 0; // kernel TCP state (TcpSocketInfo::State), 0 = unknown
    qint64 rttUs = -1; // kernel smoothed RTT, -1 = unknown
    // [cluster]: the node holding the connection; empty = this node (or no cluster). Rows of
    // other nodes come from Redis and carry only what the registry keeps (docs/cluster.md).
    QString node;

    static QString endpointName(Endpoint e)
    {
        return e == Endpoint::SocketIo ? QStringLiteral("socket.io") : QStringLiteral("raw");
    }
};

// What changed since the last batch: rows to insert or update, and ids that went away.
struct ConnectionDelta
{
    QList<ConnectionInfo> upserts;
    QList<ConnectionId> removed;
    bool isEmpty() const { return upserts.isEmpty() && removed.isEmpty(); }
};

// Counters for status bars and the headless summary.
struct ServerStats
{
    QString listen; // empty while not listening
    qint64 startedAtMs = 0;
    int connections = 0;
    int sessions = 0;
    quint64 eventsTotal = 0;
    quint64 connectionsAccepted = 0;
    // [cluster]: empty when this node runs alone, else "up" or "down" (Redis reachable or not).
    QString cluster;
    int clusterNodes = 0; // live nodes at the last heartbeat
    int clusterConnections = 0; // over every live node, as their heartbeats said
    int clusterSessions = 0; // live sessions in Redis
    QString nodeId;
};

Q_DECLARE_METATYPE(ConnectionInfo)
Q_DECLARE_METATYPE(ConnectionDelta)
Q_DECLARE_METATYPE(ServerStats)
