// SPDX-License-Identifier: MIT
// What one TcpMonitor::poll() costs with ~10,000 live connections on the watched port, for the
// netlink and the /proc source and each poll scope (close_wait, counts, full). Loopback only;
// bounded to 60 s.
//
//   build/bench/bench_tcpmonitor [connections=10000] [rounds=20]
//
// The client side runs in a forked child (plain blocking sockets), so that neither process needs
// more than ~10,000 descriptors under a 20,000 RLIMIT_NOFILE.
#include "server/tcpmonitor.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QElapsedTimer>
#include <QtCore/QFile>
#include <QtCore/QJsonDocument>
#include <QtCore/QTimer>
#include <QtNetwork/QTcpServer>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

constexpr qint64 BudgetMs = 60000; // the whole run
constexpr qint64 ConnectBudgetMs = 30000; // opening the connections

// Keeps the accepted descriptors raw: 10,000 QTcpSockets would measure Qt, not the kernel query.
class FdServer final : public QTcpServer
{
public:
    ~FdServer() override
    {
        for (int fd : fds)
            ::close(fd);
    }
    std::vector<int> fds;

protected:
    void incomingConnection(qintptr handle) override { fds.push_back(int(handle)); }
};

bool readAll(int fd, void *data, size_t size)
{
    auto *p = static_cast<char *>(data);
    while (size > 0) {
        const ssize_t n = ::read(fd, p, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        size -= size_t(n);
    }
    return true;
}

// The child: connect n sockets to 127.0.0.1:port, report how many, hold them until the parent
// closes the control pipe (or dies).
[[noreturn]] void runClients(int control, int report, int n)
{
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    quint16 port = 0;
    if (!readAll(control, &port, sizeof port))
        ::_exit(1);
    const auto deadline
        = std::chrono::steady_clock::now() + std::chrono::milliseconds(ConnectBudgetMs);
    std::vector<int> fds;
    fds.reserve(size_t(n));
    sockaddr_in server{};
    server.sin_family = AF_INET;
    server.sin_port = htons(port);
    server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int error = 0;
    while (int(fds.size()) < n && std::chrono::steady_clock::now() < deadline) {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            error = errno;
            break;
        }
        if (::connect(fd, reinterpret_cast<const sockaddr *>(&server), sizeof server) != 0) {
            error = errno;
            ::close(fd);
            break;
        }
        fds.push_back(fd);
    }
    const int opened[2] = {int(fds.size()), error};
    if (::write(report, opened, sizeof opened) != sizeof opened)
        ::_exit(1);
    char byte;
    while (::read(control, &byte, 1) > 0) { } // EOF: the parent is done
    ::_exit(0);
}

struct Stats
{
    double medianMs = 0;
    double p95Ms = 0;
    double minMs = 0;
    double maxMs = 0;
};

Stats stats(std::vector<qint64> us)
{
    Stats s;
    if (us.empty())
        return s;
    std::sort(us.begin(), us.end());
    const auto at = [&](double q) {
        const size_t i = std::min(us.size() - 1, size_t(q * double(us.size() - 1) + 0.5));
        return double(us[i]) / 1000.0;
    };
    s.medianMs = at(0.5);
    s.p95Ms = at(0.95);
    s.minMs = double(us.front()) / 1000.0;
    s.maxMs = double(us.back()) / 1000.0;
    return s;
}

qsizetype procLines(const char *path)
{
    QFile f(QString::fromLatin1(path));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    return f.readAll().count('\n') - 1; // minus the header
}

} // namespace

int main(int argc, char **argv)
{
    QElapsedTimer total;
    total.start();
    const int wanted = argc > 1 ? std::atoi(argv[1]) : 10000;
    const int rounds = argc > 2 ? std::atoi(argv[2]) : 20;
    if (wanted <= 0 || rounds <= 0) {
        std::fprintf(stderr, "usage: %s [connections=10000] [rounds=20]\n", argv[0]);
        return 2;
    }

    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    const rlim_t soft = limit.rlim_cur;
    limit.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0)
        std::perror("setrlimit");
    ::getrlimit(RLIMIT_NOFILE, &limit);
    std::printf("RLIMIT_NOFILE: soft %llu -> %llu (hard %llu)\n", (unsigned long long)soft,
                (unsigned long long)limit.rlim_cur, (unsigned long long)limit.rlim_max);

    // Fork before Qt starts any thread.
    int control[2];
    int report[2];
    if (::pipe2(control, O_CLOEXEC) != 0 || ::pipe2(report, O_CLOEXEC) != 0) {
        std::perror("pipe");
        return 1;
    }
    const pid_t child = ::fork();
    if (child < 0) {
        std::perror("fork");
        return 1;
    }
    if (child == 0) {
        ::close(control[1]);
        ::close(report[0]);
        runClients(control[0], report[1], wanted);
    }
    ::close(control[0]);
    ::close(report[1]);

    QCoreApplication app(argc, argv);
    FdServer server;
    server.setListenBacklogSize(4096);
    if (!server.listen(QHostAddress::LocalHost, 0)) {
        std::fprintf(stderr, "listen: %s\n", qPrintable(server.errorString()));
        return 1;
    }
    server.fds.reserve(size_t(wanted));
    const quint16 port = server.serverPort();
    if (::write(control[1], &port, sizeof port) != sizeof port) {
        std::perror("write");
        return 1;
    }

    // Accept until the child has reported and everything it opened is accepted.
    ::fcntl(report[0], F_SETFL, O_NONBLOCK);
    QTimer wake; // WaitForMoreEvents needs something to wake it while the child reports
    wake.start(20);
    int opened[2] = {-1, 0};
    QElapsedTimer connecting;
    connecting.start();
    while (connecting.elapsed() < ConnectBudgetMs + 5000) {
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
        if (opened[0] < 0 && ::read(report[0], opened, sizeof opened) != sizeof opened)
            opened[0] = -1;
        if (opened[0] >= 0 && int(server.fds.size()) >= opened[0])
            break;
    }
    wake.stop();
    const int connections = int(server.fds.size());
    std::printf("port %u: %d of %d connections open (client side in child pid %d%s%s), took %lld "
                "ms\n",
                unsigned(port), connections, wanted, int(child), opened[1] ? ", stopped by: " : "",
                opened[1] ? std::strerror(opened[1]) : "", (long long)connecting.elapsed());
    std::printf("/proc/net/tcp rows: %lld, /proc/net/tcp6 rows: %lld (everything in this network "
                "namespace)\n",
                (long long)procLines("/proc/net/tcp"), (long long)procLines("/proc/net/tcp6"));

    TcpMonitor monitor;
    using Scope = TcpSnapshot::Scope;
    for (TcpSnapshot::Source source : {TcpSnapshot::Source::Netlink, TcpSnapshot::Source::Proc}) {
        monitor.setForcedSource(source);
        TcpSnapshot snap;
        // Netlink with IPv4 alone too (what the server asks for behind an IPv4 listener): each
        // family is a walk of the kernel's whole socket table. Both families last, full last:
        // its snapshot is the one served below.
        const bool netlink = source == TcpSnapshot::Source::Netlink;
        for (const bool ipv6 : netlink ? std::vector<bool>{false, true} : std::vector<bool>{true})
            for (Scope scope : {Scope::CloseWait, Scope::Counts, Scope::Full}) {
                monitor.setAddressFamilies(true, ipv6);
                snap = monitor.poll({port}, scope); // warm-up, not counted
                std::vector<qint64> costs;
                for (int i = 0; i < rounds && total.elapsed() < BudgetMs - 5000; ++i) {
                    snap = monitor.poll({port}, scope);
                    costs.push_back(snap.pollCostUs);
                }
                const Stats s = stats(costs);
                std::printf(
                    "%-7s %-10s %-4s rounds %2zu  median %7.2f ms  p95 %7.2f ms  min %7.2f  "
                    "max %7.2f  | rows %lld (ESTABLISHED %d, LISTEN %d, TIME_WAIT %d, "
                    "CLOSE_WAIT %d)%s%s\n",
                    qPrintable(TcpSnapshot::sourceName(snap.source)),
                    qPrintable(TcpSnapshot::scopeName(scope)), ipv6 ? "v4+6" : "v4", costs.size(),
                    s.medianMs, s.p95Ms, s.minMs, s.maxMs, (long long)snap.sockets.size(),
                    snap.count(TcpSocketInfo::Established), snap.count(TcpSocketInfo::Listen),
                    snap.count(TcpSocketInfo::TimeWait), snap.count(TcpSocketInfo::CloseWait),
                    snap.error.isEmpty() ? "" : "  error: ", qPrintable(snap.error));
            }

        // What serving it costs: match + JSON for the whole snapshot.
        if (source == TcpSnapshot::Source::Netlink) {
            QHash<TcpTuple, ConnectionId> ids;
            ConnectionId id = 1;
            for (const TcpSocketInfo &socket : std::as_const(snap.sockets))
                ids.insert(socket.tuple(), id++);
            std::vector<qint64> serve;
            for (int i = 0; i < 5 && total.elapsed() < BudgetMs - 5000; ++i) {
                QElapsedTimer t;
                t.start();
                TcpSnapshot copy = snap;
                TcpMonitor::matchConnections(&copy, ids);
                const QByteArray json = QJsonDocument(copy.toJson()).toJson(QJsonDocument::Compact);
                serve.push_back(t.nsecsElapsed() / 1000);
                if (i == 0)
                    std::printf("        matchConnections + toJson + serialise (%lld bytes): ",
                                (long long)json.size());
            }
            const Stats m = stats(serve);
            std::printf("median %.2f ms over %zu rounds\n", m.medianMs, serve.size());
        }
    }

    ::close(control[1]); // the child exits and its sockets close
    int status = 0;
    ::waitpid(child, &status, 0);
    std::printf("total %lld ms\n", (long long)total.elapsed());
    return 0;
}
