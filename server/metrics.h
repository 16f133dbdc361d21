// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QList>
#include <QtCore/QMap>
#include <QtCore/QtGlobal>

#include <array>

// Monotonic counters and the expiry-lateness histogram of one server, rendered in the Prometheus
// text exposition format (version 0.0.4). Plain bookkeeping owned by the server worker; lives in
// the server thread.
class Metrics final
{
public:
    // Upper bounds (seconds) of the expiry lateness histogram buckets; +Inf is implicit.
    static constexpr std::array<double, 9> LatenessBuckets
        = {0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0};

    // Values that are not counters but read at render time.
    struct Gauges
    {
        int connections = 0;
        int sessions = 0;
        quint64 connectionsAccepted = 0;
        qint64 uptimeSeconds = 0;
        bool tcpAvailable = false;
        std::array<int, 12> tcpStates{}; // index = kernel state, 1..11
        quint64 eventsTotal = 0;
        QList<int> ioThreadConnections; // open connections per I/O thread (none: empty)
    };

    void messageIn(qint64 bytes)
    {
        ++m_messagesIn;
        m_bytesIn += quint64(qMax<qint64>(0, bytes));
    }
    void messageOut(qint64 bytes)
    {
        ++m_messagesOut;
        m_bytesOut += quint64(qMax<qint64>(0, bytes));
    }
    void disconnected(int closeCode) { ++m_disconnects[closeCode]; }
    void expired(qint64 latenessMs);
    void kicked(int sessions) { m_kicks += quint64(qMax(0, sessions)); }
    void authFailed() { ++m_authFailures; }
    void adminAuthFailed() { ++m_adminAuthFailures; }
    void reloaded(bool ok) { ++(ok ? m_reloads : m_reloadFailures); }
    void apiRequest() { ++m_apiRequests; }

    quint64 messagesIn() const { return m_messagesIn; }
    quint64 messagesOut() const { return m_messagesOut; }
    quint64 bytesIn() const { return m_bytesIn; }
    quint64 bytesOut() const { return m_bytesOut; }
    quint64 expiries() const { return m_expiries; }
    quint64 kicks() const { return m_kicks; }
    quint64 authFailures() const { return m_authFailures; }
    quint64 reloads() const { return m_reloads; }
    quint64 reloadFailures() const { return m_reloadFailures; }
    const QMap<int, quint64> &disconnectsByCode() const { return m_disconnects; }

    // The whole exposition, one family per metric, each with HELP and TYPE.
    QByteArray render(const Gauges &gauges) const;

private:
    quint64 m_messagesIn = 0;
    quint64 m_messagesOut = 0;
    quint64 m_bytesIn = 0;
    quint64 m_bytesOut = 0;
    quint64 m_expiries = 0;
    quint64 m_kicks = 0;
    quint64 m_authFailures = 0;
    quint64 m_adminAuthFailures = 0;
    quint64 m_reloads = 0;
    quint64 m_reloadFailures = 0;
    quint64 m_apiRequests = 0;
    QMap<int, quint64> m_disconnects;
    std::array<quint64, LatenessBuckets.size()> m_latenessBuckets{}; // not cumulative
    quint64 m_latenessCount = 0;
    double m_latenessSumSeconds = 0;
};
