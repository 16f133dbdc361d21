// SPDX-License-Identifier: MIT
#include "app/commandline.h"

#include "server/configloader.h"

#include <QtNetwork/QHostAddress>

QString CommandLine::usage()
{
    return QStringLiteral(
        "Usage: warden [options]\n"
        "       warden token --user USER [--session SID] [--name NAME] [--ttl SECONDS] [--config "
        "FILE] [--data-dir DIR]\n"
        "\n"
        "Warden: a WebSocket session server that owns idle deadlines and pushes logouts.\n"
        "\n"
        "Options:\n"
        "  --no-gui                 run headless (no display needed); one log line per event\n"
        "  --config FILE            INI configuration (see resources/warden.ini)\n"
        "  --listen ADDR:PORT       WebSocket/HTTP address (default 127.0.0.1:1215)\n"
        "  --admin-listen ADDR:PORT admin API address (default 127.0.0.1:1216; empty = off)\n"
        "  --data-dir DIR           state directory (default ~/.local/share/warden)\n"
        "  --idle-timeout SECONDS   idle timeout of sessions (default 900)\n"
        "  --log-format text|json   headless output format (default text)\n"
        "  --lang en|zh_CN          dashboard language (default: system locale)\n"
        "  --reset-store            if <data-dir>/warden.db is unreadable or corrupt, move it\n"
        "                           aside (warden.db.corrupt-<time>) and start with an empty one\n"
        "  --version                print the version and exit\n"
        "  --help                   print this help and exit\n"
        "\n"
        "Signals (headless): SIGINT/SIGTERM stop gracefully (clients get close 4001),\n"
        "SIGHUP reloads the config file; a bad file is refused and the old config kept.\n"
        "\n"
        "warden token prints an HS256 login token signed with the configured secret.\n"
        "warden ctl COMMAND drives a running Warden through its admin API (warden ctl --help).\n");
}

bool CommandLine::parse(const QStringList &args, CommandLine *out, QString *error)
{
    CommandLine cl;
    qsizetype i = 0;
    if (!args.isEmpty() && args.first() == QLatin1String("token")) {
        cl.mode = Mode::Token;
        i = 1;
    }

    auto takeValue = [&](const QString &opt, QString *value) {
        // Accept both "--opt value" and "--opt=value".
        const QString arg = args.at(i);
        const qsizetype eq = arg.indexOf(QLatin1Char('='));
        if (eq > 0) {
            *value = arg.mid(eq + 1);
        } else if (i + 1 < args.size()) {
            *value = args.at(++i);
        } else {
            *error = QStringLiteral("option %1 needs a value").arg(opt);
            return false;
        }
        if (value->isEmpty()) {
            *error = QStringLiteral("option %1 needs a non-empty value").arg(opt);
            return false;
        }
        return true;
    };

    for (; i < args.size(); ++i) {
        const QString arg = args.at(i);
        const QString name = arg.section(QLatin1Char('='), 0, 0);
        QString v;
        if (name == QLatin1String("--help") || name == QLatin1String("-h")) {
            cl.mode = Mode::Help;
        } else if (name == QLatin1String("--version")) {
            cl.mode = Mode::Version;
        } else if (name == QLatin1String("--no-gui")) {
            if (cl.mode == Mode::Gui)
                cl.mode = Mode::Headless;
        } else if (name == QLatin1String("--reset-store")) {
            cl.resetStore = true;
        } else if (name == QLatin1String("--config")) {
            if (!takeValue(name, &cl.configFile))
                return false;
        } else if (name == QLatin1String("--listen")) {
            if (!takeValue(name, &v))
                return false;
            QHostAddress a;
            quint16 p = 0;
            QString why;
            if (!ConfigLoader::parseListen(v, &a, &p, &why)) {
                *error = QStringLiteral("--listen: %1").arg(why);
                return false;
            }
            cl.overrides.insert(QStringLiteral("server/listen"), v);
        } else if (name == QLatin1String("--admin-listen")) {
            // An explicit empty value (--admin-listen=) turns the admin API off.
            if (arg.contains(QLatin1Char('='))) {
                v = arg.section(QLatin1Char('='), 1);
            } else if (!takeValue(name, &v)) {
                return false;
            }
            if (!v.isEmpty()) {
                QHostAddress a;
                quint16 p = 0;
                QString why;
                if (!ConfigLoader::parseListen(v, &a, &p, &why)) {
                    *error = QStringLiteral("--admin-listen: %1").arg(why);
                    return false;
                }
            }
            cl.overrides.insert(QStringLiteral("admin/listen"), v);
        } else if (name == QLatin1String("--data-dir")) {
            if (!takeValue(name, &v))
                return false;
            cl.overrides.insert(QStringLiteral("server/data_dir"), v);
        } else if (name == QLatin1String("--idle-timeout")) {
            if (!takeValue(name, &v))
                return false;
            bool ok = false;
            const double s = v.toDouble(&ok);
            if (!ok || s <= 0) {
                *error = QStringLiteral("--idle-timeout: '%1' is not a positive number of seconds")
                             .arg(v);
                return false;
            }
            cl.overrides.insert(QStringLiteral("session/idle_timeout"), v);
        } else if (name == QLatin1String("--log-format")) {
            if (!takeValue(name, &v))
                return false;
            if (v != QLatin1String("text") && v != QLatin1String("json")) {
                *error = QStringLiteral("--log-format: '%1' is not text or json").arg(v);
                return false;
            }
            cl.overrides.insert(QStringLiteral("log/format"), v);
        } else if (name == QLatin1String("--lang")) {
            if (!takeValue(name, &cl.lang))
                return false;
            if (cl.lang != QLatin1String("en") && cl.lang != QLatin1String("zh_CN")) {
                *error = QStringLiteral("--lang: '%1' is not en or zh_CN").arg(cl.lang);
                return false;
            }
        } else if (cl.mode == Mode::Token && name == QLatin1String("--user")) {
            if (!takeValue(name, &cl.tokenUser))
                return false;
        } else if (cl.mode == Mode::Token && name == QLatin1String("--session")) {
            if (!takeValue(name, &cl.tokenSession))
                return false;
        } else if (cl.mode == Mode::Token && name == QLatin1String("--name")) {
            if (!takeValue(name, &cl.tokenName))
                return false;
        } else if (cl.mode == Mode::Token && name == QLatin1String("--ttl")) {
            if (!takeValue(name, &v))
                return false;
            bool ok = false;
            cl.tokenTtlSecs = v.toLongLong(&ok);
            if (!ok || cl.tokenTtlSecs <= 0) {
                *error = QStringLiteral("--ttl: '%1' is not a positive number of seconds").arg(v);
                return false;
            }
        } else if (arg.startsWith(QLatin1Char('-'))) {
            *error = QStringLiteral("unknown option %1 (see --help)").arg(arg);
            return false;
        } else {
            *error = QStringLiteral("unexpected argument '%1' (see --help)").arg(arg);
            return false;
        }
    }
    if (cl.mode == Mode::Token && cl.tokenUser.isEmpty()) {
        *error = QStringLiteral("warden token needs --user USER");
        return false;
    }
    *out = cl;
    return true;
}
