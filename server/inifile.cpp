// SPDX-License-Identifier: MIT
#include "server/inifile.h"

#include <QtCore/QList>
#include <QtCore/QStringDecoder>

namespace {
bool isKeyChar(QChar c)
{
    return (c >= QLatin1Char('a') && c <= QLatin1Char('z'))
           || (c >= QLatin1Char('A') && c <= QLatin1Char('Z'))
           || (c >= QLatin1Char('0') && c <= QLatin1Char('9')) || c == QLatin1Char('_')
           || c == QLatin1Char('-') || c == QLatin1Char('.');
}

bool isName(const QString &s)
{
    if (s.isEmpty() || s.size() > 128)
        return false;
    for (QChar c : s) {
        if (!isKeyChar(c))
            return false;
    }
    return true;
}

// Unquotes "..." with \" and \\ escapes. Returns false on a malformed quoted value.
bool unquote(const QString &raw, QString *out)
{
    if (!raw.startsWith(QLatin1Char('"'))) {
        *out = raw;
        return true;
    }
    QString v;
    for (qsizetype i = 1; i < raw.size(); ++i) {
        const QChar c = raw.at(i);
        if (c == QLatin1Char('\\')) {
            if (i + 1 >= raw.size())
                return false;
            const QChar n = raw.at(++i);
            if (n != QLatin1Char('"') && n != QLatin1Char('\\'))
                return false;
            v += n;
        } else if (c == QLatin1Char('"')) {
            if (i != raw.size() - 1)
                return false; // text after the closing quote
            *out = v;
            return true;
        } else {
            v += c;
        }
    }
    return false; // no closing quote
}
} // namespace

IniFile::Result IniFile::parse(const QByteArray &text)
{
    Result r;
    if (text.size() > MaxBytes) {
        r.error = QStringLiteral("file larger than 1 MiB");
        return r;
    }
    QStringDecoder utf8(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    QString decoded = utf8.decode(text);
    if (utf8.hasError()) {
        r.error = QStringLiteral("not valid UTF-8");
        return r;
    }
    if (decoded.startsWith(QChar(0xfeff)))
        decoded.remove(0, 1);

    QString group = QStringLiteral("General");
    const QList<QStringView> lines = QStringView(decoded).split(QLatin1Char('\n'));
    for (qsizetype n = 0; n < lines.size(); ++n) {
        r.line = int(n + 1);
        QString line = lines.at(n).toString();
        if (line.endsWith(QLatin1Char('\r')))
            line.chop(1);
        line = line.trimmed();
        if (line.isEmpty() || line.startsWith(QLatin1Char(';'))
            || line.startsWith(QLatin1Char('#')))
            continue;
        if (line.startsWith(QLatin1Char('['))) {
            if (!line.endsWith(QLatin1Char(']'))) {
                r.error = QStringLiteral("line %1: malformed group header").arg(r.line);
                return r;
            }
            group = line.mid(1, line.size() - 2).trimmed();
            if (!isName(group)) {
                r.error = QStringLiteral("line %1: malformed group name").arg(r.line);
                return r;
            }
            continue;
        }
        const qsizetype eq = line.indexOf(QLatin1Char('='));
        if (eq < 0) {
            r.error = QStringLiteral("line %1: expected key = value").arg(r.line);
            return r;
        }
        const QString key = line.left(eq).trimmed();
        if (!isName(key)) {
            r.error = QStringLiteral("line %1: malformed key").arg(r.line);
            return r;
        }
        const QString full = group + QLatin1Char('/') + key;
        QString value;
        if (!unquote(line.mid(eq + 1).trimmed(), &value)) {
            r.key = full;
            r.error = QStringLiteral("line %1: malformed quoted value").arg(r.line);
            return r;
        }
        if (r.values.contains(full)) {
            r.key = full;
            r.error = QStringLiteral("line %1: duplicate key").arg(r.line);
            return r;
        }
        r.values.insert(full, value);
    }
    r.line = 0;
    return r;
}
