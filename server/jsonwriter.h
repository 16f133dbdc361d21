// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonObject>
#include <QtCore/QJsonValue>
#include <QtCore/QStringView>

// Compact JSON text for the hot paths (every outgoing frame, every stored event): the same bytes
// as QJsonDocument::toJson(QJsonDocument::Compact), written straight from the values, without
// QJsonDocument's conversion of the whole tree to CBOR and back per call (11% of the server's
// instructions in a login storm). tst_framecodec checks it byte for byte against Qt.
namespace JsonWriter {
void append(QByteArray &out, const QJsonValue &value);
void appendString(QByteArray &out, QStringView text);
QByteArray compact(const QJsonObject &object);
QByteArray compact(const QJsonArray &array);
} // namespace JsonWriter
