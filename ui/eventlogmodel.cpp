// SPDX-License-Identifier: MIT
#include "ui/eventlogmodel.h"

#include <QtCore/QDateTime>
#include <QtCore/QIODevice>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>

EventLogModel::EventLogModel(int capacity, QObject *parent)
    : QAbstractTableModel(parent)
    , m_capacity(qMax(1, capacity))
{ }

int EventLogModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_events.size());
}

int EventLogModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(Column::Count);
}

QString EventLogModel::detailsText(const ServerEvent &e)
{
    QStringList parts;
    for (auto it = e.details.constBegin(); it != e.details.constEnd(); ++it) {
        const QJsonValue v = it.value();
        QString text;
        if (v.isString())
            text = v.toString();
        else if (v.isDouble())
            text = QString::number(v.toDouble(), 'g', 15);
        else if (v.isBool())
            text = v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
        else if (v.isArray())
            text = QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact));
        else if (v.isObject())
            text = QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
        parts.append(it.key() + QLatin1Char('=') + text);
    }
    if (!e.peer.isEmpty())
        parts.prepend(QStringLiteral("peer=") + e.peer);
    return parts.join(QLatin1Char(' '));
}

QVariant EventLogModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const ServerEvent &e = m_events.at(index.row());
    if (role == EventIdRole)
        return QVariant::fromValue<quint64>(e.id);
    if (role == TypeNameRole)
        return ServerEvent::typeName(e.type);
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    switch (Column(index.column())) {
    case Column::Time:
        return QDateTime::fromMSecsSinceEpoch(e.tsMs).toString(QStringLiteral("HH:mm:ss.zzz"));
    case Column::Type:
        return ServerEvent::typeName(e.type);
    case Column::User:
        return e.user;
    case Column::Session:
        return e.sessionId;
    case Column::Connection:
        return e.connectionId ? QString::number(e.connectionId) : QString();
    case Column::Details:
        return detailsText(e);
    case Column::Count:
        break;
    }
    return {};
}

QVariant EventLogModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (Column(section)) {
    case Column::Time:
        return tr("Time");
    case Column::Type:
        return tr("Type");
    case Column::User:
        return tr("User");
    case Column::Session:
        return tr("Session");
    case Column::Connection:
        return tr("Connection");
    case Column::Details:
        return tr("Details");
    case Column::Count:
        break;
    }
    return {};
}

void EventLogModel::append(const ServerEventList &batch)
{
    ServerEventList events = batch;
    if (!m_events.isEmpty()) {
        const quint64 lastId = m_events.last().id;
        events.removeIf([lastId](const ServerEvent &e) { return e.id <= lastId; });
    }
    if (events.isEmpty())
        return;
    // Only the newest `capacity` of this batch can survive.
    const qsizetype keepFromBatch = qMin<qsizetype>(events.size(), m_capacity);
    const qsizetype overflow = m_events.size() + keepFromBatch - m_capacity;
    if (overflow > 0) {
        beginRemoveRows({}, 0, int(overflow) - 1);
        m_events.remove(0, overflow);
        endRemoveRows();
    }
    const int first = int(m_events.size());
    beginInsertRows({}, first, first + int(keepFromBatch) - 1);
    m_events.append(events.mid(events.size() - keepFromBatch));
    endInsertRows();
}

void EventLogModel::insertBacklog(const ServerEventList &backlog)
{
    ServerEventList events = backlog;
    if (!m_events.isEmpty()) {
        const quint64 firstId = m_events.first().id;
        events.removeIf([firstId](const ServerEvent &e) { return e.id >= firstId; });
    }
    const qsizetype room = m_capacity - m_events.size();
    if (room <= 0 || events.isEmpty())
        return;
    if (events.size() > room)
        events = events.mid(events.size() - room); // the newest of the backlog
    beginInsertRows({}, 0, int(events.size()) - 1);
    m_events = events + m_events;
    endInsertRows();
}

void EventLogModel::clear()
{
    beginResetModel();
    m_events.clear();
    endResetModel();
}

bool EventLogModel::writeJsonLines(const ServerEventList &events, QIODevice *out)
{
    for (const ServerEvent &e : events) {
        if (out->write(QJsonDocument(e.toJson()).toJson(QJsonDocument::Compact) + '\n') < 0)
            return false;
    }
    return true;
}

bool EventLogModel::writeCsv(const ServerEventList &events, QIODevice *out)
{
    const auto field = [](const QString &s) -> QString {
        QString q = s;
        q.replace(QLatin1Char('"'), QLatin1String("\"\""));
        return QLatin1Char('"') + q + QLatin1Char('"');
    };
    // Column names are machine-stable (not translated): spreadsheets and scripts read them.
    if (out->write("time,type,user,session,connection,details\n") < 0)
        return false;
    for (const ServerEvent &e : events) {
        const QString line
            = field(QDateTime::fromMSecsSinceEpoch(e.tsMs).toString(Qt::ISODateWithMs))
              + QLatin1Char(',') + ServerEvent::typeName(e.type) + QLatin1Char(',') + field(e.user)
              + QLatin1Char(',') + field(e.sessionId) + QLatin1Char(',')
              + (e.connectionId ? QString::number(e.connectionId) : QString()) + QLatin1Char(',')
              + field(detailsText(e)) + QLatin1Char('\n');
        if (out->write(line.toUtf8()) < 0)
            return false;
    }
    return true;
}
