// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QString>
#include <QtNetwork/QSslConfiguration>

// Loading and checking the PEM certificate chain and private key of [tls], and turning them into
// a server QSslConfiguration. Pure functions; safe from any thread.
namespace TlsFiles {
// Reads both files and checks they parse and belong together. Returns an empty string on
// success, else the reason, with *key set to the config key at fault.
QString load(const QString &certFile, const QString &keyFile, QByteArray *certPem,
             QByteArray *keyPem, QString *key);
QSslConfiguration serverConfiguration(const QByteArray &certPem, const QByteArray &keyPem);
} // namespace TlsFiles
