// SPDX-License-Identifier: MIT
#include "app/commandline.h"
#include "app/ctl.h"
#include "app/wardenapp.h"

#include <QtCore/QCoreApplication>
#include <QtWidgets/QApplication>

#include <cstdio>
#include <memory>

namespace {
bool displayAvailable()
{
    return qEnvironmentVariableIsSet("DISPLAY") || qEnvironmentVariableIsSet("WAYLAND_DISPLAY")
           || qEnvironmentVariableIsSet("QT_QPA_PLATFORM");
}
} // namespace

int main(int argc, char **argv)
{
    QStringList args;
    for (int i = 1; i < argc; ++i)
        args.append(QString::fromLocal8Bit(argv[i]));

    if (!args.isEmpty() && args.first() == QLatin1String("ctl")) {
        QCoreApplication app(argc, argv);
        return Ctl::run(args.mid(1));
    }

    CommandLine cl;
    QString error;
    if (!CommandLine::parse(args, &cl, &error)) {
        std::fprintf(stderr, "warden: %s\n", qPrintable(error));
        return 2;
    }
    switch (cl.mode) {
    case CommandLine::Mode::Help:
        std::fputs(qPrintable(CommandLine::usage()), stdout);
        return 0;
    case CommandLine::Mode::Version:
        std::printf("warden %s\n", WARDEN_VERSION);
        return 0;
    default:
        break;
    }

    bool gui = cl.mode == CommandLine::Mode::Gui;
    if (gui && !displayAvailable()) {
        std::fprintf(stderr, "warden: no display found; running headless (same as --no-gui)\n");
        gui = false;
    }

    // Qt's glib event dispatcher walks a list as long as the number of sockets on every write
    // notifier toggle: with thousands of connections it costs about half the server's CPU
    // (docs/performance.md). Every thread's dispatcher is chosen from this variable, so it must be
    // set before the application object exists. `QT_NO_GLIB=` (set but empty) keeps glib.
    if (!qEnvironmentVariableIsSet("QT_NO_GLIB"))
        qputenv("QT_NO_GLIB", "1");

    // The mode is known before the application object exists: no GUI objects in headless mode.
    std::unique_ptr<QCoreApplication> app;
    if (gui)
        app = std::make_unique<QApplication>(argc, argv);
    else
        app = std::make_unique<QCoreApplication>(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("warden"));
    QCoreApplication::setApplicationVersion(QStringLiteral(WARDEN_VERSION));

    if (cl.mode == CommandLine::Mode::Token)
        return WardenApp::printToken(cl);
    return WardenApp::run(cl, gui);
}
