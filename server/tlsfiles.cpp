// SPDX-License-Identifier: MIT
#include "server/tlsfiles.h"

#include <QtCore/QFile>
#include <QtNetwork/QSslCertificate>
#include <QtNetwork/QSslKey>
#include <QtNetwork/QSslSocket>

namespace {
QSslKey parseKey(const QByteArray &pem)
{
    for (QSsl::KeyAlgorithm alg : {QSsl::Rsa, QSsl::Ec, QSsl::Dsa}) {
        QSslKey k(pem, alg, QSsl::Pem, QSsl::PrivateKey);
        if (!k.isNull())
            return k;
    }
    return {};
}
} // namespace

QString TlsFiles::load(const QString &certFile, const QString &keyFile, QByteArray *certPem,
                       QByteArray *keyPem, QString *key)
{
    if (!QSslSocket::supportsSsl()) {
        *key = QStringLiteral("tls/cert");
        return QStringLiteral("this Qt has no TLS backend");
    }
    QFile c(certFile);
    if (!c.open(QIODevice::ReadOnly)) {
        *key = QStringLiteral("tls/cert");
        return QStringLiteral("%1: %2").arg(certFile, c.errorString());
    }
    *certPem = c.read(1024 * 1024);
    const QList<QSslCertificate> chain = QSslCertificate::fromData(*certPem, QSsl::Pem);
    if (chain.isEmpty() || chain.first().isNull()) {
        *key = QStringLiteral("tls/cert");
        return QStringLiteral("%1 holds no PEM certificate").arg(certFile);
    }
    QFile k(keyFile);
    if (!k.open(QIODevice::ReadOnly)) {
        *key = QStringLiteral("tls/key");
        return QStringLiteral("%1: %2").arg(keyFile, k.errorString());
    }
    *keyPem = k.read(1024 * 1024);
    const QSslKey privateKey = parseKey(*keyPem);
    if (privateKey.isNull()) {
        *key = QStringLiteral("tls/key");
        return QStringLiteral("%1 holds no unencrypted PEM private key").arg(keyFile);
    }
    // Qt cannot derive the public key from a private one; a differing algorithm at least catches
    // the common mix-up of files. A mismatched pair of the same kind fails every handshake.
    if (chain.first().publicKey().algorithm() != privateKey.algorithm()) {
        *key = QStringLiteral("tls/key");
        return QStringLiteral("the key's algorithm does not match the certificate's");
    }
    return {};
}

QSslConfiguration TlsFiles::serverConfiguration(const QByteArray &certPem, const QByteArray &keyPem)
{
    QSslConfiguration conf = QSslConfiguration::defaultConfiguration();
    const QList<QSslCertificate> chain = QSslCertificate::fromData(certPem, QSsl::Pem);
    conf.setLocalCertificateChain(chain);
    conf.setPrivateKey(parseKey(keyPem));
    conf.setPeerVerifyMode(QSslSocket::VerifyNone);
    conf.setProtocol(QSsl::TlsV1_2OrLater);
    return conf;
}
