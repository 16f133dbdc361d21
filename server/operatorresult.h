// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QJsonObject>
#include <QtCore/QList>
#include <QtCore/QMetaType>
#include <QtCore/QString>

// The outcome of one operator action (GUI, admin API, ctl), as a value. `status` follows HTTP so
// the admin API can pass it through: 200 ok, 400 bad request, 404 unknown id, 409 conflict.
struct OperatorResult
{
    int status = 200;
    QString error; // empty when ok
    int sessions = 0; // sessions ended / affected
    int connections = 0; // connections closed / reached
    QJsonObject data; // extra fields for the API (e.g. the new deadline)

    bool ok() const { return status >= 200 && status < 300; }
    static OperatorResult failure(int status, const QString &error)
    {
        OperatorResult r;
        r.status = status;
        r.error = error;
        return r;
    }
};

// A snapshot of one session, copied out of the server worker.
struct SessionInfo
{
    QString id;
    QString user;
    QString name;
    qint64 createdAtMs = 0;
    qint64 lastActivityMs = 0;
    qint64 expiresAtMs = 0; // the current deadline
    qint64 hardEndMs = 0; // 0 = none
    qint64 idleTimeoutMs = 0; // this session's own idle timeout; 0 = the configured one
    bool warned = false;
    QList<quint64> connections;
    QString node; // [cluster]: the node holding these connections; empty = this node
};

Q_DECLARE_METATYPE(OperatorResult)
Q_DECLARE_METATYPE(SessionInfo)
