// SPDX-License-Identifier: MIT
#include "server/tcpmonitor.h"

#include <QtCore/QDateTime>
#include <QtCore/QDir>
#include <QtCore/QElapsedTimer>
#include <QtCore/QFile>
#include <QtCore/QJsonArray>
#include <QtCore/QProcess>
#include <QtCore/QRandomGenerator>
#include <QtCore/QSet>
#include <QtCore/QStandardPaths>
#include <QtCore/QSysInfo>
#include <QtCore/QTemporaryDir>
#include <QtNetwork/QTcpServer>
#include <QtNetwork/QTcpSocket>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <vector>

using Source = TcpSnapshot::Source;

namespace {

// A listener that keeps the accepted descriptors raw: a QTcpSocket would read the peer's FIN and
// close its side at once, and the CLOSE_WAIT test needs a server that does not.
class FdServer final : public QTcpServer
{
public:
    ~FdServer() override
    {
        for (int fd : std::as_const(fds))
            ::close(fd);
    }
    // The accepted descriptor whose peer is the client's local port, or -1.
    int fdForPeerPort(quint16 port) const
    {
        for (int fd : fds) {
            sockaddr_storage peer{};
            socklen_t length = sizeof peer;
            if (::getpeername(fd, reinterpret_cast<sockaddr *>(&peer), &length) != 0)
                continue;
            quint16 peerPort = 0;
            if (peer.ss_family == AF_INET)
                peerPort = ntohs(reinterpret_cast<const sockaddr_in *>(&peer)->sin_port);
            else if (peer.ss_family == AF_INET6)
                peerPort = ntohs(reinterpret_cast<const sockaddr_in6 *>(&peer)->sin6_port);
            if (peerPort == port)
                return fd;
        }
        return -1;
    }
    void closeFd(int fd)
    {
        fds.removeOne(fd);
        ::close(fd);
    }

    QList<int> fds;

protected:
    void incomingConnection(qintptr handle) override { fds.append(int(handle)); }
};

using Clients = std::vector<std::unique_ptr<QTcpSocket>>;

// Opens n clients to server and waits until all are connected and accepted.
void connectClients(FdServer *server, int n, Clients *clients)
{
    const qsizetype acceptedBefore = server->fds.size();
    for (int i = 0; i < n; ++i) {
        auto client = std::make_unique<QTcpSocket>();
        client->connectToHost(server->serverAddress(), server->serverPort());
        clients->push_back(std::move(client));
    }
    for (const auto &client : *clients)
        QTRY_COMPARE(client->state(), QAbstractSocket::ConnectedState);
    QTRY_COMPARE(server->fds.size(), acceptedBefore + n);
}

QString sourceTag(Source s)
{
    return TcpSnapshot::sourceName(s);
}

TcpSocketInfo closeWaitSocket(quint16 peerPort)
{
    TcpSocketInfo s;
    s.state = TcpSocketInfo::CloseWait;
    s.localAddress = QHostAddress(QHostAddress::LocalHost);
    s.localPort = 8080;
    s.peerAddress = QHostAddress(QHostAddress::LocalHost);
    s.peerPort = peerPort;
    return s;
}

// Maps ss's state column to the kernel state, 0 when unknown.
int ssState(const QString &name)
{
    static const QHash<QString, int> names = {
        {QStringLiteral("ESTAB"), TcpSocketInfo::Established},
        {QStringLiteral("SYN-SENT"), TcpSocketInfo::SynSent},
        {QStringLiteral("SYN-RECV"), TcpSocketInfo::SynRecv},
        {QStringLiteral("FIN-WAIT-1"), TcpSocketInfo::FinWait1},
        {QStringLiteral("FIN-WAIT-2"), TcpSocketInfo::FinWait2},
        {QStringLiteral("TIME-WAIT"), TcpSocketInfo::TimeWait},
        {QStringLiteral("UNCONN"), TcpSocketInfo::Close},
        {QStringLiteral("CLOSE-WAIT"), TcpSocketInfo::CloseWait},
        {QStringLiteral("LAST-ACK"), TcpSocketInfo::LastAck},
        {QStringLiteral("LISTEN"), TcpSocketInfo::Listen},
        {QStringLiteral("CLOSING"), TcpSocketInfo::Closing},
    };
    return names.value(name, 0);
}

const QByteArray ProcHeader = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
                              "retrnsmt   uid  timeout inode\n";

bool writeFile(const QString &path, const QByteArray &content)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(content) == content.size();
}

} // namespace

class tst_TcpMonitor : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void stateNames_data();
    void stateNames();
    void established_data();
    void established();
    void kernelFilterSelectsPorts_data();
    void kernelFilterSelectsPorts();
    void timeWait_data();
    void timeWait();
    void closeWaitAlarmFiresOnce_data();
    void closeWaitAlarmFiresOnce();
    void closeWaitBookkeeping_data();
    void closeWaitBookkeeping();
    void partialScopes_data();
    void partialScopes();
    void addressFamilies_data();
    void addressFamilies();
    void matchesSs_data();
    void matchesSs();
    void rttOnNetlink();
    void unavailable_data();
    void unavailable();
    void procParser_data();
    void procParser();
    void keyFor_data();
    void keyFor();
    void tupleOf();
    void endpointTextIsQtsText();
    void matchConnections();
    void json();
};

void tst_TcpMonitor::stateNames_data()
{
    QTest::addColumn<int>("state");
    QTest::addColumn<QString>("name");
    QTest::addRow("0 is not a state") << 0 << "";
    QTest::addRow("1") << 1 << "ESTABLISHED";
    QTest::addRow("2") << 2 << "SYN_SENT";
    QTest::addRow("3") << 3 << "SYN_RECV";
    QTest::addRow("4") << 4 << "FIN_WAIT1";
    QTest::addRow("5") << 5 << "FIN_WAIT2";
    QTest::addRow("6") << 6 << "TIME_WAIT";
    QTest::addRow("7") << 7 << "CLOSE";
    QTest::addRow("8") << 8 << "CLOSE_WAIT";
    QTest::addRow("9") << 9 << "LAST_ACK";
    QTest::addRow("10") << 10 << "LISTEN";
    QTest::addRow("11") << 11 << "CLOSING";
    QTest::addRow("12 (NEW_SYN_RECV) is internal") << 12 << "";
    QTest::addRow("negative") << -1 << "";
}

void tst_TcpMonitor::stateNames()
{
    QFETCH(int, state);
    QFETCH(QString, name);
    QCOMPARE(TcpSnapshot::stateName(state), name);
}

void tst_TcpMonitor::established_data()
{
    QTest::addColumn<Source>("source");
    QTest::addColumn<QHostAddress>("address");
    QTest::addColumn<int>("clients");
    for (Source s : {Source::Netlink, Source::Proc}) {
        QTest::addRow("%s IPv4", qPrintable(sourceTag(s)))
            << s << QHostAddress(QHostAddress::LocalHost) << 5;
        QTest::addRow("%s IPv6", qPrintable(sourceTag(s)))
            << s << QHostAddress(QHostAddress::LocalHostIPv6) << 3;
    }
}

void tst_TcpMonitor::established()
{
    QFETCH(Source, source);
    QFETCH(QHostAddress, address);
    QFETCH(int, clients);

    FdServer server;
    server.setListenBacklogSize(37);
    if (!server.listen(address, 0))
        QSKIP(qPrintable(QLatin1String("cannot listen on ") + address.toString()));
    Clients sockets;
    connectClients(&server, clients, &sockets);
    if (QTest::currentTestFailed())
        return;

    TcpMonitor monitor;
    monitor.setForcedSource(source);
    const quint16 port = server.serverPort();
    QTRY_COMPARE(monitor.poll({port}).count(TcpSocketInfo::Established), clients);

    const TcpSnapshot snap = monitor.poll({port});
    QCOMPARE(snap.source, source);
    QCOMPARE(snap.count(TcpSocketInfo::Listen), 1);
    // Only this test's own states: another process's closed connection can sit in TIME_WAIT
    // with an ephemeral local port that has the listener's number (seen under ctest -j2).
    QCOMPARE(snap.count(TcpSocketInfo::Established) + snap.count(TcpSocketInfo::Listen),
             clients + 1);
    QSet<quint16> expectedPeers;
    for (const auto &c : sockets)
        expectedPeers.insert(c->localPort());
    QSet<quint16> peers;
    for (const TcpSocketInfo &s : snap.sockets) {
        QCOMPARE(s.localPort, port);
        if (s.state != TcpSocketInfo::Established && s.state != TcpSocketInfo::Listen)
            continue; // a stranger's (above)
        QCOMPARE(s.localAddress, address);
        if (s.state == TcpSocketInfo::Established) {
            QCOMPARE(s.peerAddress, address);
            peers.insert(s.peerPort);
            QVERIFY(s.inode != 0);
        } else {
            QCOMPARE(s.state, int(TcpSocketInfo::Listen));
            QCOMPARE(s.backlog, 0u); // all accepted
            if (source == Source::Netlink)
                QCOMPARE(s.maxBacklog, 37u);
        }
    }
    QCOMPARE(peers, expectedPeers);
    int total = 0;
    for (int st = TcpSnapshot::FirstState; st <= TcpSnapshot::LastState; ++st)
        total += snap.count(st);
    QCOMPARE(total, snap.sockets.size());
}

void tst_TcpMonitor::kernelFilterSelectsPorts_data()
{
    QTest::addColumn<Source>("source");
    QTest::addRow("netlink") << Source::Netlink;
    QTest::addRow("proc") << Source::Proc;
}

void tst_TcpMonitor::kernelFilterSelectsPorts()
{
    QFETCH(Source, source);
    FdServer a, b, c;
    QVERIFY(a.listen(QHostAddress::LocalHost, 0));
    QVERIFY(b.listen(QHostAddress::LocalHost, 0));
    QVERIFY(c.listen(QHostAddress::LocalHost, 0));
    Clients clients;
    connectClients(&a, 1, &clients);
    connectClients(&b, 2, &clients);
    connectClients(&c, 3, &clients);
    if (QTest::currentTestFailed())
        return;

    TcpMonitor monitor;
    monitor.setForcedSource(source);
    const auto portsOf = [](const TcpSnapshot &snap) {
        QSet<quint16> ports;
        for (const TcpSocketInfo &s : snap.sockets)
            ports.insert(s.localPort);
        return ports;
    };

    TcpSnapshot snap = monitor.poll({a.serverPort(), c.serverPort()});
    QCOMPARE(snap.source, source);
    QCOMPARE(snap.count(TcpSocketInfo::Listen), 2);
    QCOMPARE(snap.count(TcpSocketInfo::Established), 4);
    QCOMPARE(portsOf(snap), (QSet<quint16>{a.serverPort(), c.serverPort()}));

    snap = monitor.poll({b.serverPort(), b.serverPort(), 0}); // duplicates and 0 are ignored
    QCOMPARE(snap.count(TcpSocketInfo::Established), 2);
    QCOMPARE(portsOf(snap), QSet<quint16>{b.serverPort()});

    // A long filter: many ports that nobody uses around the one that is used.
    QList<quint16> many;
    for (quint16 p = 1; p <= 60; ++p)
        many.append(p);
    many.append(c.serverPort());
    snap = monitor.poll(many);
    QCOMPARE(snap.count(TcpSocketInfo::Established), 3);
    QCOMPARE(portsOf(snap), QSet<quint16>{c.serverPort()});

    snap = monitor.poll({});
    QCOMPARE(snap.source, source);
    QVERIFY(snap.sockets.isEmpty());
    QCOMPARE(snap.count(TcpSocketInfo::Listen), 0);
}

void tst_TcpMonitor::timeWait_data()
{
    kernelFilterSelectsPorts_data();
}

void tst_TcpMonitor::timeWait()
{
    QFETCH(Source, source);
    FdServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    Clients clients;
    connectClients(&server, 3, &clients);
    if (QTest::currentTestFailed())
        return;

    // The server closes first on two of them; each client sees the FIN and closes in turn, which
    // leaves the server side (the active closer) in TIME_WAIT on the server's port.
    QSet<quint16> closedPeers;
    for (int i = 0; i < 2; ++i) {
        QTcpSocket *client = clients[size_t(i)].get();
        QSignalSpy disconnected(client, &QTcpSocket::disconnected);
        const int fd = server.fdForPeerPort(client->localPort());
        QVERIFY(fd >= 0);
        closedPeers.insert(client->localPort());
        server.closeFd(fd);
        QVERIFY(disconnected.count() > 0 || disconnected.wait());
        client->close();
    }

    TcpMonitor monitor;
    monitor.setForcedSource(source);
    const quint16 port = server.serverPort();
    QTRY_COMPARE(monitor.poll({port}).count(TcpSocketInfo::TimeWait), 2);
    const TcpSnapshot snap = monitor.poll({port});
    QCOMPARE(snap.count(TcpSocketInfo::Established), 1);
    QCOMPARE(snap.count(TcpSocketInfo::Listen), 1);
    QSet<quint16> timeWaitPeers;
    for (const TcpSocketInfo &s : snap.sockets) {
        QCOMPARE(s.localPort, port);
        if (s.state == TcpSocketInfo::TimeWait)
            timeWaitPeers.insert(s.peerPort);
    }
    QCOMPARE(timeWaitPeers, closedPeers);
}

void tst_TcpMonitor::closeWaitAlarmFiresOnce_data()
{
    kernelFilterSelectsPorts_data();
}

void tst_TcpMonitor::closeWaitAlarmFiresOnce()
{
    QFETCH(Source, source);
    FdServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    Clients clients;
    connectClients(&server, 2, &clients);
    if (QTest::currentTestFailed())
        return;

    // The client closes; the server holds its descriptor without reading: CLOSE_WAIT.
    const quint16 closedPeer = clients[0]->localPort();
    clients[0]->disconnectFromHost();

    TcpMonitor monitor;
    monitor.setForcedSource(source);
    const quint16 port = server.serverPort();
    QTRY_COMPARE(monitor.poll({port}).count(TcpSocketInfo::CloseWait), 1);
    QCOMPARE(monitor.poll({port}).count(TcpSocketInfo::Established), 1);

    constexpr qint64 AlarmAfterMs = 50;
    const qint64 firstSeenMs = QDateTime::currentMSecsSinceEpoch();
    QVERIFY(monitor.closeWaitAlarms(monitor.poll({port}), firstSeenMs, AlarmAfterMs).isEmpty());

    QList<TcpSocketInfo> fired;
    qint64 firedAtMs = 0;
    const auto pollAlarms = [&] {
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        const QList<TcpSocketInfo> alarms
            = monitor.closeWaitAlarms(monitor.poll({port}), now, AlarmAfterMs);
        if (!alarms.isEmpty() && fired.isEmpty())
            firedAtMs = now;
        fired += alarms;
        return fired.size();
    };
    QTRY_COMPARE(pollAlarms(), 1);
    QVERIFY(firedAtMs - firstSeenMs > AlarmAfterMs);
    QCOMPARE(fired.first().state, int(TcpSocketInfo::CloseWait));
    QCOMPARE(fired.first().localPort, port);
    QCOMPARE(fired.first().peerPort, closedPeer);

    // Keep polling for a few more alarm periods: it must not fire again.
    QElapsedTimer since;
    since.start();
    QTRY_VERIFY(pollAlarms() > 1 || since.elapsed() > 4 * AlarmAfterMs);
    QCOMPARE(fired.size(), 1);
}

void tst_TcpMonitor::closeWaitBookkeeping_data()
{
    // Each step: "<nowMs> <peer ports in CLOSE_WAIT, comma separated>", or "<nowMs> ?" for an
    // unavailable snapshot, or "<nowMs> last_ack:<port>" for a socket that moved on. expected:
    // the peer ports that alarm at each step. The threshold is 50 ms.
    QTest::addColumn<QStringList>("steps");
    QTest::addColumn<QStringList>("expected");
    QTest::addRow("fires once, strictly after the threshold")
        << QStringList{u"0 1"_qs, u"50 1"_qs, u"51 1"_qs, u"500 1"_qs}
        << QStringList{u""_qs, u""_qs, u"1"_qs, u""_qs};
    QTest::addRow("left and came back: a new alarm")
        << QStringList{u"0 1"_qs, u"100 1"_qs, u"150 "_qs, u"160 1"_qs, u"200 1"_qs, u"211 1"_qs}
        << QStringList{u""_qs, u"1"_qs, u""_qs, u""_qs, u""_qs, u"1"_qs};
    QTest::addRow("moved to another state resets")
        << QStringList{u"0 1"_qs, u"40 last_ack:1"_qs, u"60 1"_qs, u"100 1"_qs, u"111 1"_qs}
        << QStringList{u""_qs, u""_qs, u""_qs, u""_qs, u"1"_qs};
    QTest::addRow("sockets are independent")
        << QStringList{u"0 1"_qs, u"30 1,2"_qs, u"51 1,2"_qs, u"81 1,2"_qs, u"200 1,2"_qs}
        << QStringList{u""_qs, u""_qs, u"1"_qs, u"2"_qs, u""_qs};
    QTest::addRow("unavailable snapshot is no news")
        << QStringList{u"0 1"_qs, u"40 ?"_qs, u"60 1"_qs} << QStringList{u""_qs, u""_qs, u"1"_qs};
    QTest::addRow("nothing in CLOSE_WAIT")
        << QStringList{u"0 "_qs, u"1000 last_ack:3"_qs} << QStringList{u""_qs, u""_qs};
}

void tst_TcpMonitor::closeWaitBookkeeping()
{
    QFETCH(QStringList, steps);
    QFETCH(QStringList, expected);
    QCOMPARE(steps.size(), expected.size());

    TcpMonitor monitor;
    for (qsizetype i = 0; i < steps.size(); ++i) {
        const QString step = steps.at(i);
        const qsizetype space = step.indexOf(QLatin1Char(' '));
        const qint64 now = step.left(space).toLongLong();
        const QString rest = step.mid(space + 1);
        TcpSnapshot snap;
        snap.source = Source::Netlink;
        if (rest == QLatin1String("?")) {
            snap.source = Source::Unavailable;
        } else if (rest.startsWith(QLatin1String("last_ack:"))) {
            TcpSocketInfo s = closeWaitSocket(rest.mid(9).toUShort());
            s.state = TcpSocketInfo::LastAck;
            snap.sockets.append(s);
        } else {
            for (const QString &p : rest.split(QLatin1Char(','), Qt::SkipEmptyParts))
                snap.sockets.append(closeWaitSocket(p.toUShort()));
        }
        QStringList alarmed;
        for (const TcpSocketInfo &s : monitor.closeWaitAlarms(snap, now, 50))
            alarmed.append(QString::number(s.peerPort));
        QVERIFY2(alarmed.join(QLatin1Char(',')) == expected.at(i),
                 qPrintable(QLatin1String("step ") + step + QLatin1String(": got ")
                            + alarmed.join(QLatin1Char(',')) + QLatin1String(", expected ")
                            + expected.at(i)));
    }
}

void tst_TcpMonitor::partialScopes_data()
{
    QTest::addColumn<Source>("source");
    QTest::addColumn<TcpSnapshot::Scope>("scope");
    for (Source source : {Source::Netlink, Source::Proc}) {
        QTest::addRow("%s counts", qPrintable(sourceTag(source)))
            << source << TcpSnapshot::Scope::Counts;
        QTest::addRow("%s close_wait", qPrintable(sourceTag(source)))
            << source << TcpSnapshot::Scope::CloseWait;
    }
}

// What the server polls while nobody looks at the rows: the CLOSE_WAIT sockets of the port (for
// the alarm) and no ESTABLISHED rows, where a full poll of the same sockets has both.
void tst_TcpMonitor::partialScopes()
{
    QFETCH(Source, source);
    QFETCH(TcpSnapshot::Scope, scope);
    FdServer server;
    FdServer other; // a CLOSE_WAIT on another port: the port filter still applies
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    QVERIFY(other.listen(QHostAddress::LocalHost, 0));
    Clients clients;
    connectClients(&server, 3, &clients);
    Clients otherClients;
    connectClients(&other, 1, &otherClients);
    if (QTest::currentTestFailed())
        return;
    // The client closes; the server keeps its descriptor: CLOSE_WAIT on the server's port.
    const quint16 closedPeer = clients[0]->localPort();
    clients[0]->disconnectFromHost();
    otherClients[0]->disconnectFromHost();

    TcpMonitor monitor;
    monitor.setForcedSource(source);
    const quint16 port = server.serverPort();
    const auto countOf = [](const TcpSnapshot &snap, int state) {
        int n = 0;
        for (const TcpSocketInfo &s : snap.sockets)
            n += s.state == state ? 1 : 0;
        return n;
    };
    QTRY_COMPARE(monitor.poll({port, other.serverPort()}).count(TcpSocketInfo::CloseWait), 2);

    const TcpSnapshot full = monitor.poll({port});
    QCOMPARE(full.source, source);
    QCOMPARE(full.scope, TcpSnapshot::Scope::Full);
    QCOMPARE(countOf(full, TcpSocketInfo::CloseWait), 1);
    QCOMPARE(countOf(full, TcpSocketInfo::Established), 2);
    QCOMPARE(countOf(full, TcpSocketInfo::Listen), 1);
    QCOMPARE(full.count(TcpSocketInfo::Established), 2);

    const TcpSnapshot partial = monitor.poll({port}, scope);
    QCOMPARE(partial.source, source);
    QCOMPARE(partial.scope, scope);
    QVERIFY(partial.isAvailable());
    // The CLOSE_WAIT row alone: no ESTABLISHED, no LISTEN (and no stranger's TIME_WAIT socket
    // that happens to have this port number, which the kernel lists too).
    QList<TcpSocketInfo> own;
    for (const TcpSocketInfo &s : partial.sockets) {
        if (s.state != TcpSocketInfo::TimeWait)
            own.append(s);
    }
    QCOMPARE(own.size(), 1);
    const TcpSocketInfo &row = own.first();
    QCOMPARE(row.state, int(TcpSocketInfo::CloseWait));
    QCOMPARE(row.localPort, port);
    QCOMPARE(row.peerPort, closedPeer);
    QCOMPARE(row.localAddress, QHostAddress(QHostAddress::LocalHost));
    QVERIFY(!row.hasTcpInfo); // not asked for
    QString fullKey;
    for (const TcpSocketInfo &s : full.sockets) {
        if (s.state == TcpSocketInfo::CloseWait)
            fullKey = s.key();
    }
    QCOMPARE(row.key(), fullKey); // what the alarm tracks, the same in either scope
    QCOMPARE(partial.count(TcpSocketInfo::CloseWait), 1);
    if (scope == TcpSnapshot::Scope::Counts) {
        // Counted without rows: the same counts as the full poll.
        QCOMPARE(partial.stateCounts, full.stateCounts);
        QVERIFY(partial.covers(TcpSnapshot::Scope::CloseWait));
        QVERIFY(!partial.covers(TcpSnapshot::Scope::Full));
    } else {
        // Only CLOSE_WAIT was asked for: every other count is unknown, not zero.
        QCOMPARE(partial.count(TcpSocketInfo::Established), -1);
        QCOMPARE(partial.count(TcpSocketInfo::Listen), -1);
        QVERIFY(!partial.covers(TcpSnapshot::Scope::Counts));
        const QJsonObject states = partial.toJson().value(QLatin1String("states")).toObject();
        QCOMPARE(states.value(QLatin1String("ESTABLISHED")).toInt(), -1);
        QCOMPARE(states.value(QLatin1String("CLOSE_WAIT")).toInt(), 1);
    }
    QCOMPARE(partial.toJson().value(QLatin1String("scope")).toString(),
             TcpSnapshot::scopeName(scope));
    QVERIFY(full.covers(scope));

    // The alarm works on partial snapshots alone, as the server uses them while unobserved.
    constexpr qint64 AlarmAfterMs = 50;
    QVERIFY(monitor.closeWaitAlarms(partial, 0, AlarmAfterMs).isEmpty());
    const QList<TcpSocketInfo> alarms
        = monitor.closeWaitAlarms(monitor.poll({port}, scope), AlarmAfterMs + 1, AlarmAfterMs);
    QCOMPARE(alarms.size(), 1);
    QCOMPARE(alarms.first().peerPort, closedPeer);
}

void tst_TcpMonitor::addressFamilies_data()
{
    kernelFilterSelectsPorts_data();
}

// One port number, an IPv6 listener on ::1 and an IPv4 one on 127.0.0.1: asking for one family
// leaves the other's sockets out.
void tst_TcpMonitor::addressFamilies()
{
    QFETCH(Source, source);
    FdServer v6;
    if (!v6.listen(QHostAddress::LocalHostIPv6, 0))
        QSKIP("no IPv6 loopback");
    FdServer v4;
    QVERIFY(v4.listen(QHostAddress::LocalHost, v6.serverPort()));
    Clients clients;
    connectClients(&v4, 2, &clients);
    connectClients(&v6, 1, &clients);
    if (QTest::currentTestFailed())
        return;

    TcpMonitor monitor;
    monitor.setForcedSource(source);
    const quint16 port = v4.serverPort();
    // The test's own sockets: another connection on this machine can have the same local port
    // number (an ephemeral one, e.g. in TIME_WAIT) and is not the test's to count.
    const auto protocols = [](const TcpSnapshot &snap) {
        QMap<QAbstractSocket::NetworkLayerProtocol, int> n;
        for (const TcpSocketInfo &s : snap.sockets) {
            if (s.state == TcpSocketInfo::Established || s.state == TcpSocketInfo::Listen)
                ++n[s.localAddress.protocol()];
        }
        return n;
    };
    QTRY_COMPARE(monitor.poll({port}).count(TcpSocketInfo::Established), 3);
    QCOMPARE(monitor.asksIpv4() && monitor.asksIpv6(), true); // the default

    monitor.setAddressFamilies(true, false);
    TcpSnapshot snap = monitor.poll({port});
    QCOMPARE(snap.source, source);
    QCOMPARE(snap.count(TcpSocketInfo::Established), 2);
    QCOMPARE(snap.count(TcpSocketInfo::Listen), 1);
    QCOMPARE(protocols(snap), (QMap<QAbstractSocket::NetworkLayerProtocol, int>{
                                  {QAbstractSocket::IPv4Protocol, 3}}));

    monitor.setAddressFamilies(false, true);
    snap = monitor.poll({port}, TcpSnapshot::Scope::Counts);
    QCOMPARE(snap.count(TcpSocketInfo::Established), 1);
    QCOMPARE(snap.count(TcpSocketInfo::Listen), 1);
    QVERIFY(snap.sockets.isEmpty());

    monitor.setAddressFamilies(false, false); // nothing is not an option: IPv4
    QVERIFY(monitor.asksIpv4() && !monitor.asksIpv6());
    QCOMPARE(monitor.poll({port}).count(TcpSocketInfo::Established), 2);
}

void tst_TcpMonitor::matchesSs_data()
{
    kernelFilterSelectsPorts_data();
}

void tst_TcpMonitor::matchesSs()
{
    QFETCH(Source, source);
    const QString ss = QStandardPaths::findExecutable(QStringLiteral("ss"));
    if (ss.isEmpty())
        QSKIP("ss (iproute2) is not installed");

    FdServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    Clients clients;
    connectClients(&server, 5, &clients);
    if (QTest::currentTestFailed())
        return;
    // A stable mix: LISTEN, 3 ESTABLISHED, 1 CLOSE_WAIT, 1 TIME_WAIT.
    clients[0]->disconnectFromHost();
    QSignalSpy disconnected(clients[1].get(), &QTcpSocket::disconnected);
    server.closeFd(server.fdForPeerPort(clients[1]->localPort()));
    QVERIFY(disconnected.wait());
    clients[1]->close();

    TcpMonitor monitor;
    monitor.setForcedSource(source);
    const quint16 port = server.serverPort();
    QTRY_VERIFY(monitor.poll({port}).count(TcpSocketInfo::CloseWait) == 1
                && monitor.poll({port}).count(TcpSocketInfo::TimeWait) == 1);

    const TcpSnapshot before = monitor.poll({port});
    QProcess process;
    process.start(ss,
                  {QStringLiteral("-Htan"), QLatin1String("sport = :") + QString::number(port)});
    QVERIFY(process.waitForFinished(10000));
    QCOMPARE(process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(process.exitCode(), 0);
    const TcpSnapshot after = monitor.poll({port});

    std::array<int, 12> ssCounts{};
    const QStringList lines = QString::fromLocal8Bit(process.readAllStandardOutput())
                                  .split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    for (const QString &line : lines) {
        const QString name = line.simplified().section(QLatin1Char(' '), 0, 0);
        const int state = ssState(name);
        QVERIFY2(state != 0, qPrintable(QLatin1String("unknown ss state in: ") + line));
        ++ssCounts[size_t(state)];
    }
    QCOMPARE(before.stateCounts, after.stateCounts); // nothing moved while ss ran
    for (int st = TcpSnapshot::FirstState; st <= TcpSnapshot::LastState; ++st)
        QVERIFY2(before.count(st) == ssCounts[size_t(st)],
                 qPrintable(TcpSnapshot::stateName(st) + QLatin1String(": monitor ")
                            + QString::number(before.count(st)) + QLatin1String(", ss ")
                            + QString::number(ssCounts[size_t(st)])));
    QCOMPARE(ssCounts[TcpSocketInfo::Established], 3);
    QCOMPARE(ssCounts[TcpSocketInfo::Listen], 1);
}

void tst_TcpMonitor::rttOnNetlink()
{
    FdServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    Clients clients;
    connectClients(&server, 2, &clients);
    if (QTest::currentTestFailed())
        return;

    TcpMonitor monitor;
    monitor.setForcedSource(Source::Netlink);
    const TcpSnapshot snap = monitor.poll({server.serverPort()});
    QCOMPARE(snap.source, Source::Netlink);
    QCOMPARE(snap.count(TcpSocketInfo::Established), 2);
    for (const TcpSocketInfo &s : snap.sockets) {
        if (s.state != TcpSocketInfo::Established)
            continue;
        QVERIFY(s.hasTcpInfo);
        QVERIFY2(s.rttUs > 0, qPrintable(QString::number(s.rttUs)));
        QCOMPARE(s.toJson().value(QLatin1String("rtt_us")).toInteger(), qint64(s.rttUs));
    }

    // The /proc source has no tcp_info: unknown, shown as null rather than a fake 0.
    monitor.setForcedSource(Source::Proc);
    const TcpSnapshot proc = monitor.poll({server.serverPort()});
    QCOMPARE(proc.count(TcpSocketInfo::Established), 2);
    for (const TcpSocketInfo &s : proc.sockets) {
        QVERIFY(!s.hasTcpInfo);
        QVERIFY(s.toJson().value(QLatin1String("rtt_us")).isNull());
    }
}

void tst_TcpMonitor::unavailable_data()
{
    QTest::addColumn<std::optional<Source>>("forced");
    QTest::addColumn<QStringList>("files"); // created under the fake /proc root
    QTest::addColumn<Source>("expected");
    QTest::addRow("forced unavailable")
        << std::optional<Source>(Source::Unavailable) << QStringList{u"tcp"_qs, u"tcp6"_qs}
        << Source::Unavailable;
    QTest::addRow("proc: both files missing")
        << std::optional<Source>(Source::Proc) << QStringList{} << Source::Unavailable;
    QTest::addRow("proc: no tcp6 (IPv6 off) is still proc")
        << std::optional<Source>(Source::Proc) << QStringList{u"tcp"_qs} << Source::Proc;
    QTest::addRow("proc: no tcp (odd) is still proc")
        << std::optional<Source>(Source::Proc) << QStringList{u"tcp6"_qs} << Source::Proc;
    QTest::addRow("auto prefers netlink")
        << std::optional<Source>() << QStringList{} << Source::Netlink;
}

void tst_TcpMonitor::unavailable()
{
    QFETCH(std::optional<Source>, forced);
    QFETCH(QStringList, files);
    QFETCH(Source, expected);

    QTemporaryDir root;
    QVERIFY(root.isValid());
    QVERIFY(QDir(root.path()).mkpath(QStringLiteral("net")));
    for (const QString &f : files)
        QVERIFY(writeFile(root.filePath(QLatin1String("net/") + f), ProcHeader));

    TcpMonitor monitor;
    monitor.setForcedSource(forced);
    monitor.setProcRoot(root.path());
    const TcpSnapshot snap = monitor.poll({8080});
    QCOMPARE(snap.source, expected);
    const QJsonObject json = snap.toJson();
    QCOMPARE(json.value(QLatin1String("source")).toString(), TcpSnapshot::sourceName(expected));
    if (expected == Source::Unavailable) {
        QVERIFY(!snap.isAvailable());
        QVERIFY(snap.sockets.isEmpty());
        QVERIFY(!snap.error.isEmpty());
        for (int st = TcpSnapshot::FirstState; st <= TcpSnapshot::LastState; ++st)
            QCOMPARE(snap.count(st), -1); // unknown, never a fake 0
        QVERIFY(json.value(QLatin1String("states")).isNull());
        QVERIFY(json.value(QLatin1String("sockets")).isNull());
    } else {
        QVERIFY(snap.isAvailable());
        QVERIFY(json.value(QLatin1String("states")).isObject());
    }
}

void tst_TcpMonitor::procParser_data()
{
    QTest::addColumn<bool>("v6");
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<bool>("accepted");
    QTest::addColumn<int>("state");
    QTest::addColumn<QString>("local");
    QTest::addColumn<QString>("peer");
    QTest::addColumn<quint32>("sendQ");
    QTest::addColumn<quint32>("recvQ");
    QTest::addColumn<quint64>("inode");

    // Port 8080 = 1F90, 54321 = D431. Addresses are 32-bit words as a little-endian host prints
    // them, so 127.0.0.1 reads 0100007F (see procParser: skipped on big-endian hosts).
    // QByteArray(...) + tail would be a QStringBuilder, which QTestData does not accept.
    const auto withTail = [](const char *head) -> QByteArray {
        return QByteArray(head)
               + " 00:00000000 00000000  1000        0 12345 1 0000000000000000 20 4 30 10 -1";
    };
    QTest::addRow("v4 established")
        << false << withTail("   0: 0100007F:1F90 0200007F:D431 01 00000010:00000020") << true << 1
        << u"127.0.0.1:8080"_qs << u"127.0.0.2:54321"_qs << 16u << 32u << quint64(12345);
    QTest::addRow("v4 listen, backlog 3")
        << false << withTail("   1: 00000000:1F90 00000000:0000 0A 00000000:00000003") << true << 10
        << u"0.0.0.0:8080"_qs << u"0.0.0.0:0"_qs << 0u << 3u << quint64(12345);
    QTest::addRow("v4 lower-case hex")
        << false << withTail("   2: 0100007f:1f90 0200007f:d431 06 00000000:00000000") << true << 6
        << u"127.0.0.1:8080"_qs << u"127.0.0.2:54321"_qs << 0u << 0u << quint64(12345);
    QTest::addRow("v6 loopback close_wait")
        << true
        << withTail("   0: 00000000000000000000000001000000:1F90 "
                    "00000000000000000000000001000000:D431 08 "
                    "00000000:00000001")
        << true << 8 << u"[::1]:8080"_qs << u"[::1]:54321"_qs << 0u << 1u << quint64(12345);
    QTest::addRow("v6 v4-mapped") << true
                                  << withTail("   0: 0000000000000000FFFF00000100007F:1F90 "
                                              "0000000000000000FFFF00000200007F:D431 01 "
                                              "00000000:00000000")
                                  << true << 1 << u"[::ffff:127.0.0.1]:8080"_qs
                                  << u"[::ffff:127.0.0.2]:54321"_qs << 0u << 0u << quint64(12345);
    QTest::addRow("other port is filtered out")
        << false << withTail("   0: 0100007F:0050 0200007F:D431 01 00000000:00000000") << false << 0
        << QString() << QString() << 0u << 0u << quint64(0);

    const auto bad = [](const char *name, bool v6, const QByteArray &line) {
        QTest::addRow("malformed: %s", name)
            << v6 << line << false << 0 << QString() << QString() << 0u << 0u << quint64(0);
    };
    bad("empty line", false, "");
    bad("blank line", false, "      ");
    bad("too few fields", false, "   0: 0100007F:1F90 0200007F:D431 01 00000000:00000000");
    bad("no slot colon", false, withTail("   0 0100007F:1F90 0200007F:D431 01 00000000:00000000"));
    bad("bad hex in address", false,
        withTail("   0: 01G0007F:1F90 0200007F:D431 01 00000000:00000000"));
    bad("short address", false, withTail("   0: 100007F:1F90 0200007F:D431 01 00000000:00000000"));
    bad("address without port", false,
        withTail("   0: 0100007F1F90 0200007F:D431 01 00000000:00000000"));
    bad("v6 address in the v4 file", false,
        withTail("   0: 00000000000000000000000001000000:1F90 0200007F:D431 01 00000000:00000000"));
    bad("v4 address in the v6 file", true,
        withTail("   0: 0100007F:1F90 0200007F:D431 01 00000000:00000000"));
    bad("bad peer", false, withTail("   0: 0100007F:1F90 0200007F:D4 01 00000000:00000000"));
    bad("state 0", false, withTail("   0: 0100007F:1F90 0200007F:D431 00 00000000:00000000"));
    bad("state 0C out of range", false,
        withTail("   0: 0100007F:1F90 0200007F:D431 0C 00000000:00000000"));
    bad("state not hex", false, withTail("   0: 0100007F:1F90 0200007F:D431 ZZ 00000000:00000000"));
    bad("queues without colon", false,
        withTail("   0: 0100007F:1F90 0200007F:D431 01 0000000000000000"));
    bad("queue too long", false,
        withTail("   0: 0100007F:1F90 0200007F:D431 01 000000000:00000000"));
    bad("inode not a number", false,
        "   0: 0100007F:1F90 0200007F:D431 01 00000000:00000000 00:00000000 00000000  1000  0 x1 "
        "1");
}

void tst_TcpMonitor::procParser()
{
    if (QSysInfo::ByteOrder != QSysInfo::LittleEndian)
        QSKIP("the fixture rows are written as a little-endian kernel prints them");
    QFETCH(bool, v6);
    QFETCH(QByteArray, line);
    QFETCH(bool, accepted);

    QTemporaryDir root;
    QVERIFY(root.isValid());
    QVERIFY(QDir(root.path()).mkpath(QStringLiteral("net")));
    // A valid row on another port around the one under test: a bad row must not stop the parse.
    const QByteArray neighbour = v6 ? QByteArray("   9: 00000000000000000000000001000000:0051 "
                                                 "00000000000000000000000001000000:D431 01 "
                                                 "00000000:00000000 00:00000000 00000000 0 0 7 1")
                                    : QByteArray("   9: 0100007F:0051 0200007F:D431 01 "
                                                 "00000000:00000000 00:00000000 00000000 0 0 7 1");
    const QByteArray content = ProcHeader + neighbour + '\n' + line + '\n' + neighbour + '\n';
    QVERIFY(writeFile(root.filePath(v6 ? u"net/tcp6"_qs : u"net/tcp"_qs), content));
    QVERIFY(writeFile(root.filePath(v6 ? u"net/tcp"_qs : u"net/tcp6"_qs), ProcHeader));

    TcpMonitor monitor;
    monitor.setForcedSource(Source::Proc);
    monitor.setProcRoot(root.path());
    const TcpSnapshot snap = monitor.poll({8080});
    QCOMPARE(snap.source, Source::Proc);
    QCOMPARE(monitor.poll({0x51}).sockets.size(), 2); // both neighbours parse
    if (!accepted) {
        QCOMPARE(snap.sockets.size(), 0);
        return;
    }
    QFETCH(int, state);
    QFETCH(QString, local);
    QFETCH(QString, peer);
    QFETCH(quint32, sendQ);
    QFETCH(quint32, recvQ);
    QFETCH(quint64, inode);
    QCOMPARE(snap.sockets.size(), 1);
    const TcpSocketInfo &s = snap.sockets.first();
    QCOMPARE(s.state, state);
    QCOMPARE(s.localEndpoint(), local);
    QCOMPARE(s.peerEndpoint(), peer);
    QCOMPARE(s.sendQueue, sendQ);
    QCOMPARE(s.recvQueue, recvQ);
    QCOMPARE(s.inode, inode);
    QCOMPARE(s.backlog, state == TcpSocketInfo::Listen ? recvQ : 0u);
    QCOMPARE(snap.count(state), 1);
}

void tst_TcpMonitor::keyFor_data()
{
    QTest::addColumn<QString>("local");
    QTest::addColumn<QString>("peer");
    QTest::addColumn<QString>("key");
    QTest::addRow("ipv4") << "127.0.0.1:8080"
                          << "10.0.0.2:5000"
                          << "127.0.0.1:8080|10.0.0.2:5000";
    QTest::addRow("ipv6") << "[::1]:8080"
                          << "[2001:db8::2]:5000"
                          << "[::1]:8080|[2001:db8::2]:5000";
    QTest::addRow("v4-mapped becomes ipv4") << "[::ffff:127.0.0.1]:8080"
                                            << "[::ffff:10.0.0.2]:5000"
                                            << "127.0.0.1:8080|10.0.0.2:5000";
    QTest::addRow("ipv6 spelled long") << "[0:0:0:0:0:0:0:1]:8080"
                                       << "[::1]:1"
                                       << "[::1]:8080|[::1]:1";
    QTest::addRow("malformed: no port") << "127.0.0.1"
                                        << "10.0.0.2:5000"
                                        << "";
    QTest::addRow("malformed: bare ipv6") << "::1:8080"
                                          << "10.0.0.2:5000"
                                          << "";
    QTest::addRow("malformed: port too big") << "127.0.0.1:70000"
                                             << "10.0.0.2:5000"
                                             << "";
    QTest::addRow("malformed: not an address") << "example:80"
                                               << "10.0.0.2:5000"
                                               << "";
    QTest::addRow("malformed: empty") << ""
                                      << ""
                                      << "";
}

void tst_TcpMonitor::keyFor()
{
    QFETCH(QString, local);
    QFETCH(QString, peer);
    QFETCH(QString, key);
    QCOMPARE(TcpSocketInfo::keyFor(local, peer), key);
    // The shortcut from addresses and their endpoint() texts gives the same key.
    if (!key.isEmpty()) {
        const auto address = [](const QString &endpoint) {
            QString host = endpoint.left(endpoint.lastIndexOf(QLatin1Char(':')));
            if (host.startsWith(QLatin1Char('[')))
                host = host.mid(1, host.size() - 2);
            return QHostAddress(host);
        };
        const QHostAddress l = address(local);
        const QHostAddress p = address(peer);
        const quint16 lp = quint16(local.section(QLatin1Char(':'), -1).toUInt());
        const quint16 pp = quint16(peer.section(QLatin1Char(':'), -1).toUInt());
        QCOMPARE(TcpSocketInfo::keyFor(l, TcpSocketInfo::endpoint(l, lp), p,
                                       TcpSocketInfo::endpoint(p, pp)),
                 key);
    }
}

void tst_TcpMonitor::endpointTextIsQtsText()
{
    // IPv4 endpoints are written without QHostAddress::toString(): the same text for the edge
    // cases and for 20,000 random addresses and ports.
    const auto expected = [](const QHostAddress &a, quint16 port) -> QString {
        const QString host = a.protocol() == QAbstractSocket::IPv6Protocol
                                 ? QLatin1Char('[') + a.toString() + QLatin1Char(']')
                                 : a.toString();
        return host + QLatin1Char(':') + QString::number(port);
    };
    const QList<QHostAddress> fixed{
        QHostAddress(QStringLiteral("0.0.0.0")),    QHostAddress(QStringLiteral("255.255.255.255")),
        QHostAddress(QStringLiteral("10.0.0.1")),   QHostAddress(QStringLiteral("127.0.0.1")),
        QHostAddress(QStringLiteral("::1")),        QHostAddress(QStringLiteral("::ffff:10.0.0.2")),
        QHostAddress(QStringLiteral("2001:db8::2"))};
    for (const QHostAddress &a : fixed) {
        for (quint16 port : {quint16(0), quint16(9), quint16(80), quint16(65535)})
            QCOMPARE(TcpSocketInfo::endpoint(a, port), expected(a, port));
    }
    QRandomGenerator rng(20261129);
    for (int i = 0; i < 20000; ++i) {
        const QHostAddress a(rng.generate());
        const quint16 port = quint16(rng.bounded(65536));
        QCOMPARE(TcpSocketInfo::endpoint(a, port), expected(a, port));
    }
}

void tst_TcpMonitor::tupleOf()
{
    const QHostAddress v4(QStringLiteral("127.0.0.1"));
    const QHostAddress mapped(QStringLiteral("::ffff:127.0.0.1"));
    const QHostAddress peer(QStringLiteral("10.0.0.2"));
    const QHostAddress peerMapped(QStringLiteral("::ffff:10.0.0.2"));
    const TcpTuple t = TcpTuple::of(v4, 8080, peer, 5000);
    // A dual-stack listener's spelling of the same connection is the same tuple.
    QCOMPARE(TcpTuple::of(mapped, 8080, peerMapped, 5000), t);
    QCOMPARE(qHash(TcpTuple::of(mapped, 8080, peerMapped, 5000)), qHash(t));
    QCOMPARE(t.local[10], quint8(0xff));
    QCOMPARE(t.local[12], quint8(127));
    QCOMPARE(t.local[15], quint8(1));
    // Every part counts.
    QVERIFY(TcpTuple::of(v4, 8081, peer, 5000) != t);
    QVERIFY(TcpTuple::of(v4, 8080, peer, 5001) != t);
    QVERIFY(TcpTuple::of(peer, 8080, v4, 5000) != t);
    QVERIFY(TcpTuple::of(QHostAddress(QStringLiteral("127.0.0.2")), 8080, peer, 5000) != t);
    // IPv6 as it is; ::1 is not 127.0.0.1.
    const QHostAddress v6(QStringLiteral("2001:db8::2"));
    const TcpTuple t6 = TcpTuple::of(QHostAddress::LocalHostIPv6, 8080, v6, 5000);
    QCOMPARE(t6.local[15], quint8(1));
    QCOMPARE(t6.local[10], quint8(0));
    QCOMPARE(TcpTuple::of(QHostAddress(QStringLiteral("0:0:0:0:0:0:0:1")), 8080, v6, 5000), t6);
    QVERIFY(TcpTuple::of(QHostAddress::LocalHost, 8080, v6, 5000) != t6);
    // The socket's own tuple is built the same way.
    TcpSocketInfo s;
    s.localAddress = mapped;
    s.localPort = 8080;
    s.peerAddress = peer;
    s.peerPort = 5000;
    QCOMPARE(s.tuple(), t);
}

void tst_TcpMonitor::matchConnections()
{
    FdServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    Clients clients;
    connectClients(&server, 3, &clients);
    if (QTest::currentTestFailed())
        return;

    // What the worker builds from each accepted socket's addresses.
    QHash<TcpTuple, ConnectionId> ids;
    QHash<quint16, ConnectionId> idByPeerPort;
    ConnectionId next = 100;
    for (const auto &c : clients) {
        ids.insert(TcpTuple::of(QHostAddress::LocalHost, server.serverPort(),
                                QHostAddress::LocalHost, c->localPort()),
                   next);
        idByPeerPort.insert(c->localPort(), next);
        ++next;
    }

    TcpMonitor monitor;
    TcpSnapshot snap = monitor.poll({server.serverPort()});
    QVERIFY(snap.isAvailable());
    TcpMonitor::matchConnections(&snap, ids);
    int matched = 0;
    for (const TcpSocketInfo &s : snap.sockets) {
        if (s.state == TcpSocketInfo::Listen) {
            QCOMPARE(s.connectionId, ConnectionId(0));
            QVERIFY(s.toJson().value(QLatin1String("connection_id")).isNull());
        } else {
            QCOMPARE(s.connectionId, idByPeerPort.value(s.peerPort));
            QCOMPARE(s.toJson().value(QLatin1String("connection_id")).toInteger(),
                     qint64(s.connectionId));
            ++matched;
        }
    }
    QCOMPARE(matched, 3);
}

void tst_TcpMonitor::json()
{
    FdServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    Clients clients;
    connectClients(&server, 1, &clients);
    if (QTest::currentTestFailed())
        return;

    TcpMonitor monitor;
    const TcpSnapshot snap = monitor.poll({server.serverPort()});
    const QJsonObject json = snap.toJson();
    QCOMPARE(json.value(QLatin1String("source")).toString(), u"netlink"_qs);

    const QJsonObject states = json.value(QLatin1String("states")).toObject();
    const QStringList names = {u"ESTABLISHED"_qs, u"SYN_SENT"_qs,  u"SYN_RECV"_qs, u"FIN_WAIT1"_qs,
                               u"FIN_WAIT2"_qs,   u"TIME_WAIT"_qs, u"CLOSE"_qs,    u"CLOSE_WAIT"_qs,
                               u"LAST_ACK"_qs,    u"LISTEN"_qs,    u"CLOSING"_qs};
    QCOMPARE(states.size(), names.size());
    for (const QString &name : names)
        QVERIFY2(states.value(name).isDouble(), qPrintable(name)); // zeros included
    QCOMPARE(states.value(QLatin1String("ESTABLISHED")).toInt(), 1);
    QCOMPARE(states.value(QLatin1String("LISTEN")).toInt(), 1);
    // A stranger's TIME_WAIT socket can have this port number: the JSON says what was seen.
    QCOMPARE(states.value(QLatin1String("TIME_WAIT")).toInt(), snap.count(TcpSocketInfo::TimeWait));

    const QJsonArray sockets = json.value(QLatin1String("sockets")).toArray();
    QCOMPARE(sockets.size(), snap.sockets.size());
    QCOMPARE(sockets.size(), 2 + snap.count(TcpSocketInfo::TimeWait));
    const QStringList keys = {u"state"_qs,
                              u"local"_qs,
                              u"peer"_qs,
                              u"send_q"_qs,
                              u"recv_q"_qs,
                              u"rtt_us"_qs,
                              u"rttvar_us"_qs,
                              u"retrans"_qs,
                              u"unacked"_qs,
                              u"lost"_qs,
                              u"last_data_recv_ms"_qs,
                              u"last_data_sent_ms"_qs,
                              u"connection_id"_qs};
    for (const QJsonValue &v : sockets) {
        const QJsonObject o = v.toObject();
        for (const QString &key : keys)
            QVERIFY2(o.contains(key), qPrintable(key));
        QCOMPARE(o.value(QLatin1String("local")).toString(),
                 QLatin1String("127.0.0.1:") + QString::number(server.serverPort()));
        if (o.value(QLatin1String("state")).toString() == QLatin1String("ESTABLISHED")) {
            QCOMPARE(o.value(QLatin1String("peer")).toString(),
                     QLatin1String("127.0.0.1:") + QString::number(clients[0]->localPort()));
        } else {
            QCOMPARE(o.value(QLatin1String("state")).toString(), u"LISTEN"_qs);
            QVERIFY(o.contains(QLatin1String("backlog")));
            QVERIFY(o.value(QLatin1String("max_backlog")).toInt() > 0);
        }
    }

    // IPv6 endpoints are bracketed.
    TcpSocketInfo v6;
    v6.state = TcpSocketInfo::Established;
    v6.localAddress = QHostAddress(QHostAddress::LocalHostIPv6);
    v6.localPort = 8080;
    v6.peerAddress = QHostAddress(QStringLiteral("2001:db8::2"));
    v6.peerPort = 5000;
    QCOMPARE(v6.toJson().value(QLatin1String("local")).toString(), u"[::1]:8080"_qs);
    QCOMPARE(v6.toJson().value(QLatin1String("peer")).toString(), u"[2001:db8::2]:5000"_qs);
}

QTEST_GUILESS_MAIN(tst_TcpMonitor)
#include "tst_tcpmonitor.moc"
