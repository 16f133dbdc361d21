// SPDX-License-Identifier: MIT
#include "server/inifile.h"

#include <QtTest/QTest>

class tst_IniFile : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parsesValues_data();
    void parsesValues();
    void rejectsMalformed_data();
    void rejectsMalformed();
};

void tst_IniFile::parsesValues_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");
    QTest::addRow("plain") << QByteArray("[server]\nlisten = 127.0.0.1:1\n") << "server/listen"
                           << "127.0.0.1:1";
    QTest::addRow("no spaces") << QByteArray("[a]\nb=c\n") << "a/b"
                               << "c";
    QTest::addRow("commas kept") << QByteArray("[s]\nallowed = a, b,c\n") << "s/allowed"
                                 << "a, b,c";
    QTest::addRow("quoted") << QByteArray("[s]\nk = \"  padded; not a comment \"\n") << "s/k"
                            << "  padded; not a comment ";
    QTest::addRow("escapes") << QByteArray("[s]\nk = \"a\\\"b\\\\c\"\n") << "s/k"
                             << "a\"b\\c";
    QTest::addRow("empty value") << QByteArray("[auth]\njwt_secret =\n") << "auth/jwt_secret"
                                 << "";
    QTest::addRow("crlf") << QByteArray("[s]\r\nk = v\r\n") << "s/k"
                          << "v";
    QTest::addRow("bom") << QByteArray("\xef\xbb\xbf[s]\nk = v\n") << "s/k"
                         << "v";
    QTest::addRow("comments") << QByteArray("; c\n# c\n[s]\n  ; indented\nk = v\n") << "s/k"
                              << "v";
    QTest::addRow("equals in value") << QByteArray("[s]\nk = a=b\n") << "s/k"
                                     << "a=b";
    QTest::addRow("general") << QByteArray("k = v\n") << "General/k"
                             << "v";
    QTest::addRow("utf-8") << QByteArray("[s]\nk = 登录\n") << "s/k" << QString::fromUtf8("登录");
}

void tst_IniFile::parsesValues()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, key);
    QFETCH(QString, value);
    const IniFile::Result r = IniFile::parse(text);
    QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
    QCOMPARE(r.values.value(key), value);
    QCOMPARE(r.values.size(), 1);
}

void tst_IniFile::rejectsMalformed_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<int>("line");
    QTest::addRow("no equals") << QByteArray("[s]\njust words\n") << 2;
    QTest::addRow("unclosed header") << QByteArray("[s\nk=v\n") << 1;
    QTest::addRow("empty header") << QByteArray("[]\n") << 1;
    QTest::addRow("header with slash") << QByteArray("[a/b]\n") << 1;
    QTest::addRow("empty key") << QByteArray("[s]\n= v\n") << 2;
    QTest::addRow("key with space") << QByteArray("[s]\na b = v\n") << 2;
    QTest::addRow("key with slash") << QByteArray("[s]\na/b = v\n") << 2;
    QTest::addRow("duplicate") << QByteArray("[s]\nk = 1\nk = 2\n") << 3;
    QTest::addRow("unterminated quote") << QByteArray("[s]\nk = \"abc\n") << 2;
    QTest::addRow("text after quote") << QByteArray("[s]\nk = \"abc\" def\n") << 2;
    QTest::addRow("bad escape") << QByteArray("[s]\nk = \"a\\nb\"\n") << 2;
    QTest::addRow("trailing backslash") << QByteArray("[s]\nk = \"a\\\n") << 2;
    QTest::addRow("invalid utf-8") << QByteArray("[s]\nk = \xff\xfe\n") << 0;
    QTest::addRow("too large") << QByteArray(IniFile::MaxBytes + 1, ';') << 0;
}

void tst_IniFile::rejectsMalformed()
{
    QFETCH(QByteArray, text);
    QFETCH(int, line);
    const IniFile::Result r = IniFile::parse(text);
    QVERIFY(!r.error.isEmpty());
    if (line > 0) {
        QCOMPARE(r.line, line);
        QVERIFY2(r.error.startsWith(QStringLiteral("line %1:").arg(line)), qPrintable(r.error));
    }
}

QTEST_APPLESS_MAIN(tst_IniFile)
#include "tst_inifile.moc"
