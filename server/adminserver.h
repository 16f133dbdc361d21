// SPDX-License-Identifier: MIT
#pragma once

#include "server/adminapi.h"
#include "server/serverevent.h"

#include <QtCore/QHash>
#include <QtCore/QObject>
#include <QtCore/QSet>
#include <QtCore/QTimer>

#include <memory>

class QTcpServer;
class QTcpSocket;
class QWebSocket;
class QWebSocketServer;
class ServerWorker;

// The admin API's own port ([admin] listen): reads each request (head and body bounded in size
// and time), authenticates it and lets AdminApi answer; GET /api/v1/stream upgrades to a
// WebSocket of events and counters. With [admin] tls_cert/tls_key it speaks https:// and wss://;
// a reload with renewed files swaps the certificate for new handshakes only. Owns
// <data-dir>/admin.token, admin-readonly.token (created 0600 on first start) and admin.url (the
// live address, removed on a clean stop). Created and owned by the ServerWorker; lives in the
// server thread.
class AdminServer final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AdminServer)

public:
    static constexpr qsizetype MaxBodyBytes = 1024 * 1024;
    static constexpr int CounterIntervalMs = 1000;

    // Starts the admin API for worker's config; nullptr (with an `error` event) when it is off or
    // cannot start. The main port keeps running either way.
    static std::unique_ptr<AdminServer> create(ServerWorker &worker);

    explicit AdminServer(ServerWorker &worker);
    ~AdminServer() override;

    bool start(QString *error);
    void close();
    quint16 port() const;
    // The counters pushed to event streams tick only while a stream listens.
    bool countersRunning() const { return m_counters.isActive(); }
    QString url() const; // http://127.0.0.1:PORT, or https://
    QString tokenFile() const;
    QString readOnlyTokenFile() const;
    QString urlFile() const;
    AdminApi &api() { return m_api; }

private:
    bool listen(const QHostAddress &address, quint16 port, QString *error);
    void onReloaded(bool ok);
    void onNewConnection();
    void onReadyRead(QTcpSocket *socket);
    void respond(QTcpSocket *socket, const HttpResponse &response, bool stopAfter = false,
                 bool headOnly = false);
    void acceptStream(QTcpSocket *socket);
    void onStreamReady();
    void pushEvents(const ServerEventList &events);
    void pushCounters();
    bool loadToken(const QString &path, QByteArray *token, bool *created, QString *error);

    ServerWorker &m_worker;
    AdminApi m_api;
    std::unique_ptr<QTcpServer> m_tcp;
    QWebSocketServer *m_ws = nullptr;
    QSet<QTcpSocket *> m_pending;
    QHash<QWebSocket *, quint64> m_streams; // -> id of the last event sent to it
    QTimer m_counters;
    QString m_dataDir;
    QByteArray m_tlsCertPem; // what the listener was set up with
    QByteArray m_tlsKeyPem;
    bool m_wroteUrl = false;
};
