// SPDX-License-Identifier: MIT
#include "server/metrics.h"

#include "server/tcpsocketinfo.h"

namespace {
QByteArray number(double v)
{
    return QByteArray::number(v, 'g', 12);
}

QByteArray number(quint64 v)
{
    return QByteArray::number(v);
}

void family(QByteArray &out, const char *name, const char *type, const char *help)
{
    out += QByteArray("# HELP ") + name + ' ' + help + '\n';
    out += QByteArray("# TYPE ") + name + ' ' + type + '\n';
}

void sample(QByteArray &out, const char *name, const QByteArray &value,
            const QByteArray &labels = {})
{
    out += name;
    if (!labels.isEmpty())
        out += '{' + labels + '}';
    out += ' ' + value + '\n';
}
} // namespace

void Metrics::expired(qint64 latenessMs)
{
    ++m_expiries;
    const double s = double(qMax<qint64>(0, latenessMs)) / 1000.0;
    ++m_latenessCount;
    m_latenessSumSeconds += s;
    for (size_t i = 0; i < LatenessBuckets.size(); ++i) {
        if (s <= LatenessBuckets[i]) {
            ++m_latenessBuckets[i];
            break;
        }
    }
}

QByteArray Metrics::render(const Gauges &g) const
{
    QByteArray out;
    out.reserve(4096);
    family(out, "warden_up", "gauge", "1 while the server is running.");
    sample(out, "warden_up", "1");
    family(out, "warden_uptime_seconds", "gauge", "Seconds since the server started listening.");
    sample(out, "warden_uptime_seconds", number(quint64(qMax<qint64>(0, g.uptimeSeconds))));
    family(out, "warden_connections", "gauge", "Open WebSocket connections.");
    sample(out, "warden_connections", number(quint64(qMax(0, g.connections))));
    family(out, "warden_sessions", "gauge", "Live sessions.");
    sample(out, "warden_sessions", number(quint64(qMax(0, g.sessions))));
    family(out, "warden_connections_accepted_total", "counter",
           "WebSocket connections accepted since start.");
    sample(out, "warden_connections_accepted_total", number(g.connectionsAccepted));

    family(out, "warden_messages_total", "counter", "WebSocket text messages by direction.");
    sample(out, "warden_messages_total", number(m_messagesIn), "direction=\"in\"");
    sample(out, "warden_messages_total", number(m_messagesOut), "direction=\"out\"");
    family(out, "warden_bytes_total", "counter", "WebSocket payload bytes by direction.");
    sample(out, "warden_bytes_total", number(m_bytesIn), "direction=\"in\"");
    sample(out, "warden_bytes_total", number(m_bytesOut), "direction=\"out\"");

    family(out, "warden_disconnects_total", "counter",
           "Closed connections by WebSocket close code.");
    for (auto it = m_disconnects.cbegin(); it != m_disconnects.cend(); ++it)
        sample(out, "warden_disconnects_total", number(it.value()),
               "code=\"" + QByteArray::number(it.key()) + '"');

    family(out, "warden_session_expiries_total", "counter",
           "Sessions ended by their idle deadline or hard end.");
    sample(out, "warden_session_expiries_total", number(m_expiries));
    family(out, "warden_kicks_total", "counter", "Sessions ended by an operator (force logout).");
    sample(out, "warden_kicks_total", number(m_kicks));
    family(out, "warden_auth_failures_total", "counter",
           "Failed logins: WebSocket (invalid token, ended session, login timeout) and admin API "
           "(missing or wrong token).");
    sample(out, "warden_auth_failures_total", number(m_authFailures), "source=\"websocket\"");
    sample(out, "warden_auth_failures_total", number(m_adminAuthFailures), "source=\"admin\"");
    family(out, "warden_reloads_total", "counter", "Configuration reloads by result.");
    sample(out, "warden_reloads_total", number(m_reloads), "result=\"ok\"");
    sample(out, "warden_reloads_total", number(m_reloadFailures), "result=\"failed\"");
    family(out, "warden_events_total", "counter", "Entries written to the event log.");
    sample(out, "warden_events_total", number(g.eventsTotal));
    family(out, "warden_admin_requests_total", "counter", "Requests answered by the admin API.");
    sample(out, "warden_admin_requests_total", number(m_apiRequests));

    family(out, "warden_tcp_sockets", "gauge",
           "Kernel TCP sockets on Warden's ports by state (absent when the monitor is off).");
    if (g.tcpAvailable) {
        for (int s = 1; s < int(g.tcpStates.size()); ++s) {
            const QString name = TcpSnapshot::stateName(s);
            if (name.isEmpty())
                continue;
            sample(out, "warden_tcp_sockets", number(quint64(qMax(0, g.tcpStates[size_t(s)]))),
                   "state=\"" + name.toLatin1() + '"');
        }
    }

    family(out, "warden_io_thread_connections", "gauge",
           "Open connections per I/O thread ([server] io_threads; absent when there are none).");
    for (int i = 0; i < g.ioThreadConnections.size(); ++i)
        sample(out, "warden_io_thread_connections", number(quint64(g.ioThreadConnections[i])),
               "thread=\"" + number(quint64(i)) + '"');

    family(out, "warden_expiry_lateness_seconds", "histogram",
           "How late the expiry timer ended sessions after their deadline.");
    quint64 cumulative = 0;
    for (size_t i = 0; i < LatenessBuckets.size(); ++i) {
        cumulative += m_latenessBuckets[i];
        sample(out, "warden_expiry_lateness_seconds_bucket", number(cumulative),
               "le=\"" + number(LatenessBuckets[i]) + '"');
    }
    sample(out, "warden_expiry_lateness_seconds_bucket", number(m_latenessCount), "le=\"+Inf\"");
    sample(out, "warden_expiry_lateness_seconds_sum", number(m_latenessSumSeconds));
    sample(out, "warden_expiry_lateness_seconds_count", number(m_latenessCount));
    return out;
}
