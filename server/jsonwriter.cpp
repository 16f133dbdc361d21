// SPDX-License-Identifier: MIT
#include "server/jsonwriter.h"

#include <QtCore/QCborValue>
#include <QtCore/QLocale>
#include <QtCore/QString>

#include <cmath>

namespace {
constexpr char Hex[] = "0123456789abcdef";

// \uXXXX: control characters, and surrogates without their other half (as Qt writes them).
void appendEscape(QByteArray &out, char16_t c)
{
    const char esc[6]
        = {'\\', 'u', Hex[c >> 12], Hex[(c >> 8) & 0xf], Hex[(c >> 4) & 0xf], Hex[c & 0xf]};
    out.append(esc, 6);
}

void appendObject(QByteArray &out, const QJsonObject &o)
{
    out.append('{');
    bool first = true;
    for (auto it = o.constBegin(); it != o.constEnd(); ++it) {
        if (!first)
            out.append(',');
        first = false;
        JsonWriter::appendString(out, it.key());
        out.append(':');
        JsonWriter::append(out, it.value());
    }
    out.append('}');
}

void appendArray(QByteArray &out, const QJsonArray &a)
{
    out.append('[');
    bool first = true;
    for (const QJsonValue &v : a) {
        if (!first)
            out.append(',');
        first = false;
        JsonWriter::append(out, v);
    }
    out.append(']');
}
} // namespace

void JsonWriter::appendString(QByteArray &out, QStringView text)
{
    out.append('"');
    const char16_t *p = text.utf16();
    const char16_t *const end = p + text.size();
    while (p < end) {
        // Runs of plain ASCII are copied as they are.
        const char16_t *run = p;
        while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
            ++p;
        if (p > run) {
            const qsizetype n = p - run;
            const qsizetype at = out.size();
            out.resize(at + n);
            char *dst = out.data() + at;
            for (qsizetype i = 0; i < n; ++i)
                dst[i] = char(run[i]);
        }
        if (p == end)
            break;
        const char16_t c = *p;
        if (c >= 0x80) {
            // UTF-8; a surrogate without its other half as a \uXXXX escape, like Qt.
            ++p;
            char utf8[4];
            int n = 0;
            if (c < 0x800) {
                utf8[n++] = char(0xc0 | (c >> 6));
                utf8[n++] = char(0x80 | (c & 0x3f));
            } else if (QChar::isHighSurrogate(c) && p < end && QChar::isLowSurrogate(*p)) {
                const char32_t u = QChar::surrogateToUcs4(c, *p++);
                utf8[n++] = char(0xf0 | (u >> 18));
                utf8[n++] = char(0x80 | ((u >> 12) & 0x3f));
                utf8[n++] = char(0x80 | ((u >> 6) & 0x3f));
                utf8[n++] = char(0x80 | (u & 0x3f));
            } else if (QChar::isSurrogate(c)) {
                appendEscape(out, c);
                continue;
            } else {
                utf8[n++] = char(0xe0 | (c >> 12));
                utf8[n++] = char(0x80 | ((c >> 6) & 0x3f));
                utf8[n++] = char(0x80 | (c & 0x3f));
            }
            out.append(utf8, n);
            continue;
        }
        ++p;
        switch (c) {
        case '"':
            out.append("\\\"", 2);
            break;
        case '\\':
            out.append("\\\\", 2);
            break;
        case '\b':
            out.append("\\b", 2);
            break;
        case '\f':
            out.append("\\f", 2);
            break;
        case '\n':
            out.append("\\n", 2);
            break;
        case '\r':
            out.append("\\r", 2);
            break;
        case '\t':
            out.append("\\t", 2);
            break;
        default:
            appendEscape(out, c);
        }
    }
    out.append('"');
}

void JsonWriter::append(QByteArray &out, const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        out.append("null", 4);
        break;
    case QJsonValue::Bool:
        out.append(value.toBool() ? QByteArrayView("true") : QByteArrayView("false"));
        break;
    case QJsonValue::Double:
        // QJsonValue keeps integers and doubles apart (60000 and 6e+04 in Qt's text); its CBOR
        // form tells which, without a copy for a number.
        if (QCborValue::fromJsonValue(value).isInteger()) {
            out.append(QByteArray::number(value.toInteger()));
        } else {
            const double d = value.toDouble();
            if (std::isfinite(d))
                out.append(QByteArray::number(d, 'g', QLocale::FloatingPointShortest));
            else
                out.append("null", 4); // RFC 8259 has no infinities or NaN
        }
        break;
    case QJsonValue::String:
        appendString(out, value.toString());
        break;
    case QJsonValue::Array:
        appendArray(out, value.toArray());
        break;
    case QJsonValue::Object:
        appendObject(out, value.toObject());
        break;
    }
}

QByteArray JsonWriter::compact(const QJsonObject &object)
{
    QByteArray out;
    out.reserve(128);
    appendObject(out, object);
    return out;
}

QByteArray JsonWriter::compact(const QJsonArray &array)
{
    QByteArray out;
    out.reserve(128);
    appendArray(out, array);
    return out;
}
