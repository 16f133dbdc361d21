// SPDX-License-Identifier: MIT
#pragma once

#include "server/serverevent.h"
#include "server/tcpsocketinfo.h"

#include <QtCore/QHash>
#include <QtCore/QList>
#include <QtCore/QString>

#include <optional>

// Reads the kernel's TCP sockets on Warden's listening ports (netlink inet_diag with a kernel-side
// port filter, else /proc/net/tcp{,6}). A plain object, not a QObject: it lives in the thread that
// calls it (meant for the server worker's thread) and is not thread-safe; poll() blocks for the
// duration of one kernel query (~ms), so keep it off the GUI thread.
//
// Typical use, on a timer in the worker:
//     TcpSnapshot snap = m_tcpMonitor.poll({m_mainPort});
//     QHash<TcpTuple, ConnectionId> ids; // TcpTuple::of(local, localPort, peer, peerPort) -> id
//     TcpMonitor::matchConnections(&snap, ids);
//     for (const TcpSocketInfo &s : m_tcpMonitor.closeWaitAlarms(snap, nowMs, 30000)) { ... }
//     emit the snapshot (a copyable metatype) to the host / admin API.
class TcpMonitor final
{
public:
    TcpMonitor() = default;

    // Tests pin the source: Netlink or Proc use only that source (a failure then yields
    // Unavailable with the reason in TcpSnapshot::error), Unavailable simulates a machine with
    // neither. std::nullopt (the default) tries netlink, then /proc, then reports Unavailable.
    void setForcedSource(std::optional<TcpSnapshot::Source> source) { m_forced = source; }
    std::optional<TcpSnapshot::Source> forcedSource() const { return m_forced; }

    // The directory that holds net/tcp and net/tcp6; "/proc" by default. Injectable for tests.
    void setProcRoot(const QString &root) { m_procRoot = root; }
    QString procRoot() const { return m_procRoot; }

    // The address families to ask for; both by default (at least one is always asked). Each is
    // one walk of the kernel's whole socket table (or one /proc file), so a caller whose
    // listeners are all IPv4 (or all IPv6: a dual-stack listener's IPv4 peers are IPv4-mapped
    // AF_INET6 sockets) asks for that family alone.
    void setAddressFamilies(bool ipv4, bool ipv6)
    {
        m_ipv4 = ipv4 || !ipv6;
        m_ipv6 = ipv6;
    }
    bool asksIpv4() const { return m_ipv4; }
    bool asksIpv6() const { return m_ipv6; }

    // The TCP sockets (IPv4 and IPv6) whose local port is one of ports, with per-state counts
    // and what the poll cost. Port 0 and duplicates are ignored; an empty list yields an empty
    // (but available) snapshot. Synchronous; touches no member state.
    // scope Full: every socket as a row, all states, with tcp_info (netlink). The cheaper scopes
    // are for when nobody looks at the rows: Counts asks the kernel for every state without
    // tcp_info and only counts them, building rows for CLOSE_WAIT alone; CloseWait asks the
    // kernel (an idiag_states filter) for CLOSE_WAIT sockets only. /proc has no state filter:
    // its rows are filtered here.
    TcpSnapshot poll(const QList<quint16> &ports,
                     TcpSnapshot::Scope scope = TcpSnapshot::Scope::Full) const;

    // Fills TcpSocketInfo::connectionId from idByTuple (TcpSocketInfo::tuple() -> id): one hash
    // lookup of 36 bytes per socket, no text. Sockets without an entry get 0.
    static void matchConnections(TcpSnapshot *snapshot,
                                 const QHash<TcpTuple, ConnectionId> &idByTuple);

    // The CLOSE_WAIT sockets (keyed by 4-tuple) seen in CLOSE_WAIT in every snapshot passed here
    // for longer than alarmAfterMs, each returned once. A socket that leaves CLOSE_WAIT (or
    // disappears) is forgotten, so it alarms again if it comes back. An unavailable snapshot
    // carries no news: it changes nothing and returns nothing.
    QList<TcpSocketInfo> closeWaitAlarms(const TcpSnapshot &snapshot, qint64 nowMs,
                                         qint64 alarmAfterMs);
    // Forgets every CLOSE_WAIT first-seen time (e.g. after the listening ports changed).
    void resetCloseWaitAlarms() { m_closeWait.clear(); }

private:
    struct CloseWaitEntry
    {
        qint64 firstSeenMs = 0;
        bool alarmed = false;
    };

    std::optional<TcpSnapshot::Source> m_forced;
    QString m_procRoot = QStringLiteral("/proc");
    bool m_ipv4 = true;
    bool m_ipv6 = true;
    QHash<QString, CloseWaitEntry> m_closeWait; // key() -> when it was first seen in CLOSE_WAIT
};
