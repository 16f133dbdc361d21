// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QJsonObject>
#include <QtCore/QList>
#include <QtCore/QMetaType>
#include <QtCore/QString>

using ConnectionId = quint64;

// One entry of the event log: a copyable value emitted by the server worker and read by every
// consumer (headless printer, dashboard, admin API). Type names are machine-stable.
struct ServerEvent
{
    enum class Type : quint8 {
        Listening,
        Connected,
        Authenticated,
        AuthFailed,
        Expiring,
        Expired,
        LoggedOut,
        Kicked,
        Disconnected,
        Reload,
        ReloadFailed,
        Stopping,
        Stopped,
        Rejected,
        Error,
        Audit,
        TcpAlarm,
        Cluster, // [cluster]: Redis reachable again or lost (docs/cluster.md)
    };

    quint64 id = 0; // assigned by the event ring; increasing
    qint64 tsMs = 0; // wall clock, ms since the epoch
    Type type = Type::Error;
    ConnectionId connectionId = 0;
    QString sessionId;
    QString user;
    QString peer; // address:port
    QJsonObject details;

    static QString typeName(Type t);
    static bool typeFromName(const QString &name, Type *out);
    static QList<Type> allTypes();

    // {"id","ts","type","connection_id"?,"session_id"?,"user"?,"peer"?, ...details}
    QJsonObject toJson() const;
    // One human-readable line, no trailing newline.
    QString toText() const;
};

using ServerEventList = QList<ServerEvent>;

Q_DECLARE_METATYPE(ServerEvent)
Q_DECLARE_METATYPE(ServerEventList)
