// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QMap>
#include <QtCore/QString>

// A strict INI reader for Warden's configuration: values are kept exactly as written (QSettings
// splits unquoted values at commas), duplicates and malformed lines are errors with a line number.
// Syntax: [group] headers, `key = value` lines, full-line comments starting with ; or #, values
// optionally in double quotes (with \" and \\ escapes). Keys before any header belong to "General".
// Pure; safe from any thread.
namespace IniFile {
struct Result
{
    QMap<QString, QString> values; // "group/key" -> value
    QString error; // empty when ok
    int line = 0; // where the error is (1-based)
    QString key; // the key concerned, when known
};

constexpr qsizetype MaxBytes = 1024 * 1024;

Result parse(const QByteArray &text);
} // namespace IniFile
