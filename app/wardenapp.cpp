// SPDX-License-Identifier: MIT
#include "app/wardenapp.h"

#include "app/headlessconsole.h"
#include "app/unixsignals.h"
#include "server/configloader.h"
#include "server/jwt.h"
#include "server/serverhost.h"
#include "ui/language.h"
#include "ui/mainwindow.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QDateTime>

#include <cstdio>
#include <memory>

namespace {
void printError(const QString &line)
{
    std::fprintf(stderr, "warden: %s\n", qPrintable(line));
}
} // namespace

int WardenApp::printToken(const CommandLine &cl)
{
    const ConfigResult r = ConfigLoader::load(cl.configFile, cl.overrides);
    if (!r.ok()) {
        printError(r.error.toString());
        return 1;
    }
    const qint64 exp
        = cl.tokenTtlSecs > 0 ? QDateTime::currentSecsSinceEpoch() + cl.tokenTtlSecs : 0;
    const QByteArray token
        = Jwt::mint(r.config.jwtSecret, cl.tokenUser, cl.tokenSession, exp, cl.tokenName);
    std::printf("%s\n", token.constData());
    return 0;
}

int WardenApp::run(const CommandLine &cl, bool gui)
{
    ConfigResult r = ConfigLoader::load(cl.configFile, cl.overrides);
    if (!r.ok()) {
        printError(r.error.toString());
        return 1;
    }
    r.config.resetStore = cl.resetStore;

    ServerHost host;
    host.setConfigSource(cl.configFile, cl.overrides);
    UnixSignals signalWatcher;
    QObject::connect(&signalWatcher, &UnixSignals::reloadRequested, &host,
                     [&host] { host.reloadFromSource(QStringLiteral("sighup")); });
    QObject::connect(&signalWatcher, &UnixSignals::stopRequested, &host,
                     [&host](int) { host.stop(); });
    QObject::connect(&host, &ServerHost::stopped, qApp, [] { QCoreApplication::exit(0); });

    int startFailure = 0;
    QObject::connect(&host, &ServerHost::started, qApp,
                     [&startFailure](bool ok, const QString &, const QString &error) {
                         if (ok)
                             return;
                         printError(error);
                         startFailure = 1;
                         QCoreApplication::exit(1);
                     });

    // Say once where the admin API and its token are (like qbittorrent-nox prints its password).
    QObject::connect(&host, &ServerHost::eventsReady, qApp, [](const ServerEventList &events) {
        for (const ServerEvent &e : events) {
            if (e.type != ServerEvent::Type::Listening
                || e.details.value(QLatin1String("service")).toString() != QLatin1String("admin"))
                continue;
            std::fprintf(stderr, "warden: admin API on %s; token in %s%s\n",
                         qPrintable(e.details.value(QLatin1String("address")).toString()),
                         qPrintable(e.details.value(QLatin1String("token_file")).toString()),
                         e.details.value(QLatin1String("token_created")).toBool() ? " (new)" : "");
        }
    });

    std::unique_ptr<HeadlessConsole> console;
    std::unique_ptr<MainWindow> window;
    if (gui) {
        // The translator must be in place before the first widget exists.
        const QString lang = Language::resolve(cl.lang);
        if (!Language::install(qApp, lang))
            printError(QStringLiteral("no translation for %1; using English").arg(lang));
        window = std::make_unique<MainWindow>(&host);
        window->show();
    } else {
        console
            = std::make_unique<HeadlessConsole>(&host, r.config.logFormat == QLatin1String("json"));
        // [log] format is live: a reload switches the output format of the next lines.
        QObject::connect(&host, &ServerHost::reloaded, console.get(),
                         [&host, c = console.get()](bool ok) {
                             if (ok)
                                 c->setJson(host.config().logFormat == QLatin1String("json"));
                         });
    }
    host.start(r.config);
    const int code = QCoreApplication::exec();
    return startFailure ? startFailure : code;
}
