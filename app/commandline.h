// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QMap>
#include <QtCore/QString>
#include <QtCore/QStringList>

// What the command line asked for. Parsed before any server object exists; errors exit with 2.
struct CommandLine
{
    enum class Mode { Gui, Headless, Token, Help, Version };

    Mode mode = Mode::Gui;
    QString configFile;
    QMap<QString, QString> overrides; // "group/key" -> value, same names as the INI file
    QString logFormat; // empty = from config
    QString lang; // --lang; empty = system locale
    bool resetStore = false; // --reset-store: move an unusable session store aside

    // `warden token`
    QString tokenUser;
    QString tokenSession;
    QString tokenName;
    qint64 tokenTtlSecs = 0;

    static QString usage();
    // args excludes argv[0]. Returns false with a one-line *error on bad usage.
    static bool parse(const QStringList &args, CommandLine *out, QString *error);
};
