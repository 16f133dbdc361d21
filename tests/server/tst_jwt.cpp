// SPDX-License-Identifier: MIT
#include "server/digest.h"
#include "server/jwt.h"

#include <QtCore/QCryptographicHash>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QMessageAuthenticationCode>
#include <QtTest/QTest>

namespace {
constexpr auto B64 = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;

const QByteArray Secret = QByteArrayLiteral("0123456789abcdef-test-secret");
const QByteArray HeaderHs256 = QByteArrayLiteral(R"({"alg":"HS256","typ":"JWT"})");
// 2024-01-01T00:00:00Z, in ms.
constexpr qint64 NowMs = Q_INT64_C(1704067200000);
constexpr qint64 NowSecs = NowMs / 1000;

QByteArray b64(const QByteArray &raw)
{
    return raw.toBase64(B64);
}

// Builds a token by hand so the negative cases do not depend on Jwt::sign.
QByteArray craft(const QByteArray &header, const QByteArray &payload, const QByteArray &secret,
                 QCryptographicHash::Algorithm alg = QCryptographicHash::Sha256)
{
    const QByteArray input = b64(header) + '.' + b64(payload);
    return input + '.' + b64(QMessageAuthenticationCode::hash(input, secret, alg));
}

QByteArray craft(const QByteArray &payload)
{
    return craft(HeaderHs256, payload, Secret);
}

QByteArray withSignature(const QByteArray &token, const QByteArray &signature)
{
    return token.left(token.lastIndexOf('.') + 1) + signature;
}

QByteArray signatureOf(const QByteArray &token)
{
    return token.mid(token.lastIndexOf('.') + 1);
}

QByteArray exp(qint64 secs)
{
    return QByteArray::number(secs);
}
} // namespace

class tst_Jwt : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void knownAnswer();
    void goodToken();
    void mintLeavesOutEmptyClaims();
    void defaultSessionId();
    void forged_data();
    void forged();
    void unsupportedAlg_data();
    void unsupportedAlg();
    void timeClaims_data();
    void timeClaims();
    void malformed_data();
    void malformed();
    void sizeLimit();
    void emptySecretRefusesEverything();
    void constantTimeEquals_data();
    void constantTimeEquals();
    void digestsMatchRfc4231AndQt();
    void headerSpellings_data();
    void headerSpellings();
};

void tst_Jwt::knownAnswer()
{
    // Computed once, independently, with Python's hmac/hashlib/base64 for this header, payload and
    // secret.
    const QByteArray secret = QByteArrayLiteral("warden-known-answer-secret");
    const QByteArray payload
        = QByteArrayLiteral(R"({"sub":"alice","sid":"s-1","name":"Alice","exp":4102444800})");
    const QByteArray expected = QByteArrayLiteral(
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
        "eyJzdWIiOiJhbGljZSIsInNpZCI6InMtMSIsIm5hbWUiOiJBbGljZSIsImV4cCI6NDEwMjQ0NDgwMH0."
        "oiLxMxKZMs2LSS30dVlh4fueN3iapKcrArkY4LdnNNQ");

    QCOMPARE(Jwt::sign(payload, secret), expected);

    const TokenCheck c = Jwt::verify(expected, secret, NowMs);
    QVERIFY2(c.ok, qPrintable(c.error));
    QCOMPARE(c.claims.user, QStringLiteral("alice"));
    QCOMPARE(c.claims.sessionId, QStringLiteral("s-1"));
    QCOMPARE(c.claims.name, QStringLiteral("Alice"));
    QCOMPARE(c.claims.expiresAtMs, Q_INT64_C(4102444800000));
}

void tst_Jwt::goodToken()
{
    const QByteArray token = craft(R"({"sub":"bob","sid":"sess-42","name":"Bob B.","exp":)"
                                   + exp(NowSecs + 3600) + '}');
    const TokenCheck c = Jwt::verify(token, Secret, NowMs);
    QVERIFY2(c.ok, qPrintable(c.error));
    QVERIFY(c.error.isEmpty());
    QCOMPARE(c.claims.user, QStringLiteral("bob"));
    QCOMPARE(c.claims.sessionId, QStringLiteral("sess-42"));
    QCOMPARE(c.claims.name, QStringLiteral("Bob B."));
    QCOMPARE(c.claims.expiresAtMs, (NowSecs + 3600) * 1000);

    // No exp: no hard end; no name: empty.
    const TokenCheck bare = Jwt::verify(craft(R"({"sub":"carol","sid":"x"})"), Secret, NowMs);
    QVERIFY2(bare.ok, qPrintable(bare.error));
    QCOMPARE(bare.claims.user, QStringLiteral("carol"));
    QCOMPARE(bare.claims.expiresAtMs, qint64(0));
    QVERIFY(bare.claims.name.isEmpty());

    // Unicode claims survive the round trip.
    const QString user = QString::fromUtf8("用户");
    const QByteArray minted
        = Jwt::mint(Secret, user, QStringLiteral("s"), NowSecs + 10, QString::fromUtf8("名字"));
    const TokenCheck u = Jwt::verify(minted, Secret, NowMs);
    QVERIFY2(u.ok, qPrintable(u.error));
    QCOMPARE(u.claims.user, user);
    QCOMPARE(u.claims.name, QString::fromUtf8("名字"));
    QCOMPARE(u.claims.expiresAtMs, (NowSecs + 10) * 1000);
}

void tst_Jwt::mintLeavesOutEmptyClaims()
{
    const QByteArray token = Jwt::mint(Secret, QStringLiteral("dave"));
    const QList<QByteArray> parts = token.split('.');
    QCOMPARE(parts.size(), 3);
    const QJsonObject header
        = QJsonDocument::fromJson(QByteArray::fromBase64(parts[0], B64)).object();
    QCOMPARE(header.value(QStringLiteral("alg")).toString(), QStringLiteral("HS256"));
    const QJsonObject payload
        = QJsonDocument::fromJson(QByteArray::fromBase64(parts[1], B64)).object();
    QCOMPARE(payload, (QJsonObject{{QStringLiteral("sub"), QStringLiteral("dave")}}));
    // And the signature is the HMAC of the first two parts, checked independently.
    QCOMPARE(parts[2], b64(QMessageAuthenticationCode::hash(parts[0] + '.' + parts[1], Secret,
                                                            QCryptographicHash::Sha256)));
}

void tst_Jwt::defaultSessionId()
{
    const QByteArray a = craft(R"({"sub":"erin"})");
    const QByteArray b = craft(R"({"sub":"erin","iat":1})");

    const QString expectedA
        = QStringLiteral("t-")
          + QString::fromLatin1(
              QCryptographicHash::hash(a, QCryptographicHash::Sha256).toHex().left(20));
    QCOMPARE(Jwt::defaultSessionId(a), expectedA);

    const TokenCheck ca = Jwt::verify(a, Secret, NowMs);
    QVERIFY2(ca.ok, qPrintable(ca.error));
    QCOMPARE(ca.claims.sessionId, expectedA);
    // Stable for the same token...
    QCOMPARE(Jwt::verify(a, Secret, NowMs + 5000).claims.sessionId, expectedA);
    // ...and different for a different token of the same user.
    const TokenCheck cb = Jwt::verify(b, Secret, NowMs);
    QVERIFY2(cb.ok, qPrintable(cb.error));
    QVERIFY(cb.claims.sessionId.startsWith(QLatin1String("t-")));
    QCOMPARE(cb.claims.sessionId.size(), qsizetype(22));
    QVERIFY(cb.claims.sessionId != ca.claims.sessionId);
}

void tst_Jwt::forged_data()
{
    QTest::addColumn<QByteArray>("token");

    const QByteArray good = craft(R"({"sub":"alice","sid":"s1"})");
    const QByteArray other = craft(R"({"sub":"mallory","sid":"s2"})");
    QVERIFY(Jwt::verify(good, Secret, NowMs).ok);
    QVERIFY(Jwt::verify(other, Secret, NowMs).ok);

    auto flipped = [](QByteArray sig, qsizetype at) {
        sig[at] = sig.at(at) == 'A' ? 'B' : 'A';
        return sig;
    };
    // The last character of a 32-byte signature carries 4 data bits and 2 unused bits; a change
    // there must still be refused, or one token has several spellings (and several default sids).
    auto lastCharSpareBits = [](QByteArray sig) {
        static const QByteArray alphabet
            = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        sig.back() = alphabet.at(alphabet.indexOf(sig.back()) ^ 1);
        return sig;
    };

    QTest::addRow("wrong secret") << craft(HeaderHs256, R"({"sub":"alice","sid":"s1"})",
                                           "another-secret-0123456789");
    QTest::addRow("flipped first sig char") << withSignature(good, flipped(signatureOf(good), 0));
    QTest::addRow("flipped middle sig char") << withSignature(good, flipped(signatureOf(good), 20));
    QTest::addRow("flipped spare bits of last sig char")
        << withSignature(good, lastCharSpareBits(signatureOf(good)));
    QTest::addRow("payload swapped from another token")
        << good.left(good.indexOf('.') + 1) + other.split('.').at(1) + '.' + signatureOf(good);
    QTest::addRow("signature of another token") << withSignature(good, signatureOf(other));
    QTest::addRow("empty signature") << withSignature(good, QByteArray());
    QTest::addRow("truncated signature") << withSignature(good, signatureOf(good).chopped(1));
    QTest::addRow("signature with extra char") << withSignature(good, signatureOf(good) + 'A');
    QTest::addRow("signature not base64") << withSignature(good, "!!!!");
    QTest::addRow("signature in std base64 alphabet")
        << withSignature(good, signatureOf(good).replace('-', '+').replace('_', '/') + "+/");
    QTest::addRow("sha256 of input, not hmac")
        << withSignature(good, b64(QCryptographicHash::hash(good.left(good.lastIndexOf('.')),
                                                            QCryptographicHash::Sha256)));
}

void tst_Jwt::forged()
{
    QFETCH(QByteArray, token);
    const TokenCheck c = Jwt::verify(token, Secret, NowMs);
    QVERIFY(!c.ok);
    QCOMPARE(c.error, QStringLiteral("bad_signature"));
    QVERIFY(c.claims.user.isEmpty());
}

void tst_Jwt::unsupportedAlg_data()
{
    QTest::addColumn<QByteArray>("token");
    const QByteArray payload = R"({"sub":"alice","sid":"s1"})";
    const QByteArray noneInput = b64(R"({"alg":"none","typ":"JWT"})") + '.' + b64(payload);

    QTest::addRow("none, empty signature") << noneInput + '.';
    QTest::addRow("none, hmac signature")
        << noneInput + '.'
               + b64(
                   QMessageAuthenticationCode::hash(noneInput, Secret, QCryptographicHash::Sha256));
    QTest::addRow("None capitalised") << craft(R"({"alg":"None"})", payload, Secret);
    QTest::addRow("HS512") << craft(R"({"alg":"HS512","typ":"JWT"})", payload, Secret,
                                    QCryptographicHash::Sha512);
    QTest::addRow("HS384") << craft(R"({"alg":"HS384","typ":"JWT"})", payload, Secret,
                                    QCryptographicHash::Sha384);
    QTest::addRow("RS256 with hmac signature")
        << craft(R"({"alg":"RS256","typ":"JWT"})", payload, Secret);
    QTest::addRow("lower-case hs256") << craft(R"({"alg":"hs256"})", payload, Secret);
    QTest::addRow("alg missing") << craft(R"({"typ":"JWT"})", payload, Secret);
    QTest::addRow("alg null") << craft(R"({"alg":null})", payload, Secret);
    QTest::addRow("alg array") << craft(R"({"alg":["HS256"]})", payload, Secret);
}

void tst_Jwt::unsupportedAlg()
{
    QFETCH(QByteArray, token);
    const TokenCheck c = Jwt::verify(token, Secret, NowMs);
    QVERIFY(!c.ok);
    QCOMPARE(c.error, QStringLiteral("unsupported_alg"));
}

void tst_Jwt::timeClaims_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<QString>("error"); // empty = accepted
    QTest::addColumn<qint64>("expiresAtMs");

    const QByteArray sub = R"({"sub":"alice","sid":"s1")";
    QTest::addRow("exp an hour ago")
        << sub + R"(,"exp":)" + exp(NowSecs - 3600) + '}' << QStringLiteral("expired") << qint64(0);
    QTest::addRow("exp now") << sub + R"(,"exp":)" + exp(NowSecs) + '}' << QStringLiteral("expired")
                             << qint64(0);
    QTest::addRow("exp at the epoch")
        << sub + R"(,"exp":0})" << QStringLiteral("expired") << qint64(0);
    QTest::addRow("exp negative") << sub + R"(,"exp":-1})" << QStringLiteral("expired")
                                  << qint64(0);
    QTest::addRow("exp in one second")
        << sub + R"(,"exp":)" + exp(NowSecs + 1) + '}' << QString() << (NowSecs + 1) * 1000;
    QTest::addRow("exp fractional")
        << sub + R"(,"exp":)" + exp(NowSecs) + ".5}" << QString() << NowMs + 500;
    QTest::addRow("nbf in the future") << sub + R"(,"nbf":)" + exp(NowSecs + 60) + '}'
                                       << QStringLiteral("not_yet_valid") << qint64(0);
    QTest::addRow("nbf now") << sub + R"(,"nbf":)" + exp(NowSecs) + '}' << QString() << qint64(0);
    QTest::addRow("nbf in the past")
        << sub + R"(,"nbf":)" + exp(NowSecs - 60) + '}' << QString() << qint64(0);
    QTest::addRow("exp beyond the ms range")
        << sub + R"(,"exp":1e300})" << QStringLiteral("malformed") << qint64(0);
    QTest::addRow("exp far negative")
        << sub + R"(,"exp":-1e300})" << QStringLiteral("malformed") << qint64(0);
    QTest::addRow("nbf beyond the ms range")
        << sub + R"(,"nbf":1e300})" << QStringLiteral("malformed") << qint64(0);
    QTest::addRow("exp in 10^12 seconds")
        << sub + R"(,"exp":1e12})" << QString() << Q_INT64_C(1000000000000000);
    QTest::addRow("expired wins over nbf")
        << sub + R"(,"nbf":)" + exp(NowSecs + 60) + R"(,"exp":)" + exp(NowSecs - 60) + '}'
        << QStringLiteral("expired") << qint64(0);
}

void tst_Jwt::timeClaims()
{
    QFETCH(QByteArray, payload);
    QFETCH(QString, error);
    QFETCH(qint64, expiresAtMs);
    const TokenCheck c = Jwt::verify(craft(payload), Secret, NowMs);
    QCOMPARE(c.error, error);
    QCOMPARE(c.ok, error.isEmpty());
    if (c.ok)
        QCOMPARE(c.claims.expiresAtMs, expiresAtMs);
}

void tst_Jwt::malformed_data()
{
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<QString>("error");

    const QString malformed = QStringLiteral("malformed");
    const QByteArray good = craft(R"({"sub":"alice"})");
    const QList<QByteArray> parts = good.split('.');

    QTest::addRow("empty") << QByteArray() << malformed;
    QTest::addRow("one part") << parts[0] << malformed;
    QTest::addRow("two parts") << parts[0] + '.' + parts[1] << malformed;
    QTest::addRow("four parts") << good + ".AAAA" << malformed;
    QTest::addRow("trailing dot") << good + '.' << malformed;
    QTest::addRow("empty header") << '.' + parts[1] + '.' + parts[2] << malformed;
    QTest::addRow("empty payload") << parts[0] + ".." + parts[2] << malformed;
    QTest::addRow("only dots") << QByteArray("..") << malformed;
    QTest::addRow("bad base64 char in payload")
        << parts[0] + '.' + parts[1].left(4) + '*' + parts[1].mid(4) + '.' + parts[2] << malformed;
    QTest::addRow("std base64 '+' in header")
        << parts[0] + "+." + parts[1] + '.' + parts[2] << malformed;
    QTest::addRow("space in header")
        << parts[0].left(3) + ' ' + parts[0].mid(3) + '.' + parts[1] + '.' + parts[2] << malformed;
    QTest::addRow("header not JSON")
        << craft("alg=HS256", R"({"sub":"alice"})", Secret) << malformed;
    QTest::addRow("header a JSON array")
        << craft(R"(["HS256"])", R"({"sub":"alice"})", Secret) << malformed;
    QTest::addRow("payload not JSON") << craft("sub=alice") << malformed;
    QTest::addRow("payload truncated JSON") << craft(R"({"sub":"alice")") << malformed;
    QTest::addRow("payload a JSON array") << craft(R"(["alice"])") << malformed;
    QTest::addRow("payload a JSON string") << craft(R"("alice")") << malformed;
    QTest::addRow("sub missing") << craft(R"({"sid":"s1"})") << QStringLiteral("missing_sub");
    QTest::addRow("sub empty") << craft(R"({"sub":""})") << QStringLiteral("missing_sub");
    QTest::addRow("sub a number") << craft(R"({"sub":42})") << QStringLiteral("missing_sub");
    QTest::addRow("sub null") << craft(R"({"sub":null})") << QStringLiteral("missing_sub");
    QTest::addRow("exp a string") << craft(R"({"sub":"alice","exp":"4102444800"})") << malformed;
    QTest::addRow("exp null") << craft(R"({"sub":"alice","exp":null})") << malformed;
    QTest::addRow("nbf a string") << craft(R"({"sub":"alice","nbf":"0"})") << malformed;
    QTest::addRow("sid empty") << craft(R"({"sub":"alice","sid":""})") << malformed;
    QTest::addRow("sid a number") << craft(R"({"sub":"alice","sid":7})") << malformed;
    QTest::addRow("sid over 256 chars")
        << craft(R"({"sub":"alice","sid":")" + QByteArray(257, 's') + "\"}") << malformed;

    const QByteArray huge = craft(R"({"sub":"alice","name":")" + QByteArray(6200, 'n') + "\"}");
    QVERIFY(huge.size() > Jwt::MaxTokenBytes);
    QTest::addRow("token over 8 KiB") << huge << malformed;
}

void tst_Jwt::malformed()
{
    QFETCH(QByteArray, token);
    QFETCH(QString, error);
    const TokenCheck c = Jwt::verify(token, Secret, NowMs);
    QVERIFY(!c.ok);
    QCOMPARE(c.error, error);
}

void tst_Jwt::sizeLimit()
{
    // Grow the name until the token reaches the limit; the last size at or under it is accepted and
    // the first size over it is refused.
    QByteArray atLimit;
    QByteArray overLimit;
    for (int n = 5900; n < 6300 && overLimit.isEmpty(); ++n) {
        const QByteArray t = craft(R"({"sub":"alice","name":")" + QByteArray(n, 'n') + "\"}");
        if (t.size() <= Jwt::MaxTokenBytes)
            atLimit = t;
        else
            overLimit = t;
    }
    QVERIFY(atLimit.size() >= Jwt::MaxTokenBytes - 2);
    QVERIFY(overLimit.size() > Jwt::MaxTokenBytes);
    const TokenCheck ok = Jwt::verify(atLimit, Secret, NowMs);
    QVERIFY2(ok.ok, qPrintable(ok.error));
    QCOMPARE(Jwt::verify(overLimit, Secret, NowMs).error, QStringLiteral("malformed"));
}

void tst_Jwt::emptySecretRefusesEverything()
{
    const QByteArray payload = R"({"sub":"alice","sid":"s1"})";
    // Signed with an empty HMAC key (valid HMAC, but an empty secret must never verify).
    const QByteArray emptyKeyed = craft(HeaderHs256, payload, QByteArray());
    QCOMPARE(Jwt::verify(emptyKeyed, QByteArray(), NowMs).error, QStringLiteral("bad_signature"));
    QCOMPARE(Jwt::verify(Jwt::sign(payload, QByteArray()), QByteArray(), NowMs).error,
             QStringLiteral("bad_signature"));
    const TokenCheck c = Jwt::verify(craft(payload), QByteArray(), NowMs);
    QVERIFY(!c.ok);
    QCOMPARE(c.error, QStringLiteral("bad_signature"));
    // Sanity: the same token verifies with its real secret.
    QVERIFY(Jwt::verify(craft(payload), Secret, NowMs).ok);
}

void tst_Jwt::constantTimeEquals_data()
{
    QTest::addColumn<QByteArray>("a");
    QTest::addColumn<QByteArray>("b");
    QTest::addColumn<bool>("equal");
    QTest::addRow("both empty") << QByteArray() << QByteArray() << true;
    QTest::addRow("same") << QByteArray("abcdef") << QByteArray("abcdef") << true;
    QTest::addRow("same with NULs") << QByteArray("a\0b", 3) << QByteArray("a\0b", 3) << true;
    QTest::addRow("last byte differs") << QByteArray("abcdef") << QByteArray("abcdeg") << false;
    QTest::addRow("first byte differs") << QByteArray("abcdef") << QByteArray("xbcdef") << false;
    QTest::addRow("high bit differs") << QByteArray("\x80") << QByteArray("\x00", 1) << false;
    QTest::addRow("prefix") << QByteArray("abc") << QByteArray("abcdef") << false;
    QTest::addRow("empty vs not") << QByteArray() << QByteArray("a") << false;
}

void tst_Jwt::constantTimeEquals()
{
    QFETCH(QByteArray, a);
    QFETCH(QByteArray, b);
    QFETCH(bool, equal);
    QCOMPARE(Jwt::constantTimeEquals(a, b), equal);
    QCOMPARE(Jwt::constantTimeEquals(b, a), equal);
}

void tst_Jwt::digestsMatchRfc4231AndQt()
{
    // RFC 4231 4.2 (test case 1), 4.7 (a key longer than the block: hashed first) and 4.4 (a
    // 50-byte message of 0xdd).
    QCOMPARE(Digest::hmacSha256(QByteArray(20, '\x0b'), "Hi There").toHex(),
             QByteArray("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"));
    QCOMPARE(Digest::hmacSha256(QByteArray(131, '\xaa'),
                                "Test Using Larger Than Block-Size Key - Hash Key First")
                 .toHex(),
             QByteArray("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"));
    QCOMPARE(Digest::hmacSha256(QByteArray(20, '\xaa'), QByteArray(50, '\xdd')).toHex(),
             QByteArray("773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"));
    // FIPS 180 "abc".
    QCOMPARE(Digest::sha1("abc").toHex(), QByteArray("a9993e364706816aba3e25717850c26c9cd0d89d"));
    QCOMPARE(Digest::sha256("abc").toHex(),
             QByteArray("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    // Every length around the block size, against QCryptographicHash and
    // QMessageAuthenticationCode, with keys of every length around it too.
    for (int n = 0; n < 200; n += 7) {
        QByteArray data(n, Qt::Uninitialized);
        for (int i = 0; i < n; ++i)
            data[i] = char(i * 31 + n);
        QCOMPARE(Digest::sha1(data), QCryptographicHash::hash(data, QCryptographicHash::Sha1));
        QCOMPARE(Digest::sha256(data), QCryptographicHash::hash(data, QCryptographicHash::Sha256));
        const QByteArray key = data.left(n % 97);
        QCOMPARE(Digest::hmacSha256(key, data),
                 QMessageAuthenticationCode::hash(data, key, QCryptographicHash::Sha256));
    }
}

void tst_Jwt::headerSpellings_data()
{
    // The two usual spellings are recognised by their encoding; every other is parsed.
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<QString>("error"); // empty: accepted
    QTest::addRow("usual") << QByteArray(R"({"alg":"HS256","typ":"JWT"})") << QString();
    QTest::addRow("usual, keys swapped")
        << QByteArray(R"({"typ":"JWT","alg":"HS256"})") << QString();
    QTest::addRow("alg only") << QByteArray(R"({"alg":"HS256"})") << QString();
    QTest::addRow("spaces") << QByteArray(R"({ "alg": "HS256", "typ": "JWT" })") << QString();
    QTest::addRow("extra key") << QByteArray(R"({"alg":"HS256","typ":"JWT","kid":"k1"})")
                               << QString();
    QTest::addRow("HS512, usual shape")
        << QByteArray(R"({"alg":"HS512","typ":"JWT"})") << QStringLiteral("unsupported_alg");
    QTest::addRow("none, keys swapped")
        << QByteArray(R"({"typ":"JWT","alg":"none"})") << QStringLiteral("unsupported_alg");
    QTest::addRow("not JSON") << QByteArray(R"({"alg":"HS256","typ":"JWT")")
                              << QStringLiteral("malformed");
}

void tst_Jwt::headerSpellings()
{
    QFETCH(QByteArray, header);
    QFETCH(QString, error);
    const QByteArray token = craft(header, R"({"sub":"alice","sid":"s-1"})", Secret);
    const TokenCheck check = Jwt::verify(token, Secret, NowMs);
    QCOMPARE(check.ok, error.isEmpty());
    QCOMPARE(check.error, error);
    if (check.ok)
        QCOMPARE(check.claims.user, QStringLiteral("alice"));
}

QTEST_APPLESS_MAIN(tst_Jwt)
#include "tst_jwt.moc"
