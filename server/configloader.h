// SPDX-License-Identifier: MIT
#pragma once

#include "server/serverconfig.h"

#include <QtCore/QMap>
#include <QtCore/QString>
#include <QtCore/QStringList>

// Where and why a configuration was refused: the file, the key and the reason.
struct ConfigError
{
    QString file;
    QString key;
    QString reason;

    bool isNull() const { return reason.isEmpty(); }
    QString toString() const;
};

struct ConfigResult
{
    ServerConfig config;
    ConfigError error;
    bool ok() const { return error.isNull(); }
};

// Reads and validates the INI configuration (QSettings) plus command-line overrides given with the
// same "group/key" names. Nothing is partially applied: a result is either a whole valid config or
// an error. Safe from any thread.
namespace ConfigLoader {
// The name used in errors for values that came from the command line.
inline QString commandLineName()
{
    return QStringLiteral("<command line>");
}

// file may be empty (defaults + overrides). When [auth] jwt_secret is empty, the secret is read
// from <data_dir>/jwt.secret, which is created (0600, random) on first use.
ConfigResult load(const QString &file, const QMap<QString, QString> &overrides = {});
QStringList knownKeys();
// Parses "ADDR:PORT", "[v6]:PORT" or "localhost:PORT".
bool parseListen(const QString &text, QHostAddress *address, quint16 *port, QString *why);
QString defaultDataDir();
} // namespace ConfigLoader
