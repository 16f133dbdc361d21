// SPDX-License-Identifier: MIT
#pragma once

#include "server/connectioninfo.h"
#include "server/httprequest.h"
#include "server/operatorresult.h"

#include <QtCore/QByteArray>
#include <QtCore/QJsonObject>
#include <QtCore/QString>
#include <QtNetwork/QHostAddress>

#include <functional>

class ServerWorker;

// One admin API request, as read by AdminServer: the head fields it needs and the whole body.
struct AdminRequest
{
    QByteArray method;
    QByteArray path;
    QByteArray query;
    QByteArray body;
    QByteArray authorization; // the Authorization header
    QByteArray actor; // the X-Warden-Actor header (who runs ctl), appended to the token name
    QHostAddress peer;
};

// The answer, and whether the process should stop (or restart) once it has been delivered.
struct AdminReply
{
    HttpResponse response;
    bool stopAfterReply = false;
    bool restartAfterReply = false;
    // Set when the answer needs other cluster nodes (docs/cluster.md): AdminServer calls it with
    // a function that sends the response, later, in the server thread; `response` is unused.
    using Respond = std::function<void(const HttpResponse &)>;
    std::function<void(Respond)> deferred = nullptr;
};

// The admin API's routing, authentication and JSON (docs/admin-api.md). It calls the operator
// facade of the worker directly, so it lives in the server thread next to it; it never touches
// a socket, which keeps it testable request by request.
class AdminApi final
{
public:
    enum class Access : quint8 { None, ReadOnly, Admin };

    explicit AdminApi(ServerWorker &worker);

    void setTokens(const QByteArray &adminToken, const QByteArray &readOnlyToken);
    // Who a bearer token belongs to (constant-time comparison).
    Access authenticate(const QByteArray &authorization) const;
    static QString accessName(Access a);

    AdminReply handle(const AdminRequest &request);

    static QJsonObject connectionJson(const ConnectionInfo &c, qint64 nowMs);
    static QJsonObject sessionJson(const SessionInfo &s, qint64 configuredIdleMs, qint64 nowMs);
    // ISO 8601 UTC with milliseconds, like event `ts`; null for 0.
    static QJsonValue isoTime(qint64 ms);
    static HttpResponse error(int status, const QString &message);

private:
    AdminReply route(const AdminRequest &r, Access access, const QString &actor);
    HttpResponse metrics() const;
    HttpResponse info() const;
    AdminReply listConnections(const AdminRequest &r) const;
    AdminReply listSessions(const AdminRequest &r) const;
    // An operator result, answered once the other cluster nodes' counts are in.
    AdminReply clusterResult(const OperatorResult &res, const QJsonObject &extra = {}) const;
    AdminReply kickRemote(const QString &node, ConnectionId id, const QString &mode,
                          const QString &reason, const QString &actor) const;
    HttpResponse events(const AdminRequest &r) const;
    HttpResponse reload(const QJsonObject &body, const QString &actor);

    ServerWorker &m_worker;
    QByteArray m_adminToken;
    QByteArray m_readOnlyToken;
};
