// SPDX-License-Identifier: MIT
#include "server/serverevent.h"

#include "server/jsonwriter.h"

#include <QtCore/QDateTime>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>

namespace {
struct TypeName
{
    ServerEvent::Type type;
    const char *name;
};

constexpr TypeName kNames[] = {
    {ServerEvent::Type::Listening, "listening"},
    {ServerEvent::Type::Connected, "connected"},
    {ServerEvent::Type::Authenticated, "authenticated"},
    {ServerEvent::Type::AuthFailed, "auth_failed"},
    {ServerEvent::Type::Expiring, "expiring"},
    {ServerEvent::Type::Expired, "expired"},
    {ServerEvent::Type::LoggedOut, "logged_out"},
    {ServerEvent::Type::Kicked, "kicked"},
    {ServerEvent::Type::Disconnected, "disconnected"},
    {ServerEvent::Type::Reload, "reload"},
    {ServerEvent::Type::ReloadFailed, "reload_failed"},
    {ServerEvent::Type::Stopping, "stopping"},
    {ServerEvent::Type::Stopped, "stopped"},
    {ServerEvent::Type::Rejected, "rejected"},
    {ServerEvent::Type::Error, "error"},
    {ServerEvent::Type::Audit, "audit"},
    {ServerEvent::Type::TcpAlarm, "tcp_alarm"},
    {ServerEvent::Type::Cluster, "cluster"},
};

QString isoTime(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs);
}

QString detailText(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::String: {
        const QString s = v.toString();
        const bool plain = !s.isEmpty() && !s.contains(QLatin1Char(' '))
                           && !s.contains(QLatin1Char('"')) && !s.contains(QLatin1Char('='));
        if (plain)
            return s;
        QByteArray quoted;
        JsonWriter::appendString(quoted, s);
        return QString::fromUtf8(quoted);
    }
    case QJsonValue::Double: {
        const double d = v.toDouble();
        return d == double(qint64(d)) ? QString::number(qint64(d)) : QString::number(d);
    }
    case QJsonValue::Bool:
        return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case QJsonValue::Array:
        return QString::fromUtf8(JsonWriter::compact(v.toArray()));
    case QJsonValue::Object:
        return QString::fromUtf8(JsonWriter::compact(v.toObject()));
    default:
        return QStringLiteral("null");
    }
}
} // namespace

QString ServerEvent::typeName(Type t)
{
    for (const TypeName &n : kNames) {
        if (n.type == t)
            return QLatin1String(n.name);
    }
    return QStringLiteral("error");
}

bool ServerEvent::typeFromName(const QString &name, Type *out)
{
    for (const TypeName &n : kNames) {
        if (name == QLatin1String(n.name)) {
            *out = n.type;
            return true;
        }
    }
    return false;
}

QList<ServerEvent::Type> ServerEvent::allTypes()
{
    QList<Type> all;
    for (const TypeName &n : kNames)
        all.append(n.type);
    return all;
}

QJsonObject ServerEvent::toJson() const
{
    QJsonObject o = details;
    o.insert(QLatin1String("id"), double(id));
    o.insert(QLatin1String("ts"), isoTime(tsMs));
    o.insert(QLatin1String("type"), typeName(type));
    if (connectionId)
        o.insert(QLatin1String("connection_id"), double(connectionId));
    if (!sessionId.isEmpty())
        o.insert(QLatin1String("session_id"), sessionId);
    if (!user.isEmpty())
        o.insert(QLatin1String("user"), user);
    if (!peer.isEmpty())
        o.insert(QLatin1String("peer"), peer);
    return o;
}

QString ServerEvent::toText() const
{
    QString line = isoTime(tsMs) + QLatin1Char(' ') + typeName(type);
    if (connectionId)
        line += QStringLiteral(" conn=") + QString::number(connectionId);
    if (!user.isEmpty())
        line += QStringLiteral(" user=") + detailText(user);
    if (!sessionId.isEmpty())
        line += QStringLiteral(" session=") + detailText(sessionId);
    if (!peer.isEmpty())
        line += QStringLiteral(" peer=") + peer;
    for (auto it = details.constBegin(); it != details.constEnd(); ++it)
        line += QLatin1Char(' ') + it.key() + QLatin1Char('=') + detailText(it.value());
    return line;
}
