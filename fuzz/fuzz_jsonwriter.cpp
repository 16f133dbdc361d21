// SPDX-License-Identifier: MIT
// libFuzzer target: JsonWriter against Qt. Whatever QJsonDocument parses must come out of
// JsonWriter as exactly the bytes QJsonDocument::toJson(Compact) writes.
#include "server/jsonwriter.h"

#include <QtCore/QJsonDocument>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(
        QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size)), &error);
    if (error.error != QJsonParseError::NoError)
        return 0;
    const QByteArray qt = doc.toJson(QJsonDocument::Compact);
    const QByteArray ours
        = doc.isArray() ? JsonWriter::compact(doc.array()) : JsonWriter::compact(doc.object());
    if (ours != qt)
        __builtin_trap();
    return 0;
}
