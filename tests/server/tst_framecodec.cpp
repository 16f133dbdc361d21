// SPDX-License-Identifier: MIT
#include "server/framecodec.h"
#include "server/jsonwriter.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QRandomGenerator>
#include <QtTest/QTest>

#include <limits>

class tst_FrameCodec : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void decodesEvents_data();
    void decodesEvents();
    void rejectsMalformed_data();
    void rejectsMalformed();
    void pingAndPong();
    void shortcutAnswersWhatTheParserAnswers_data();
    void shortcutAnswersWhatTheParserAnswers();
    void shortcutAgreesOnRandomFrames();
    void encodeIsSeedReadable_data();
    void encodeIsSeedReadable();
    void jsonWriterMatchesQtByteForByte();
    void loginOkDataIsTheObjectItReplaces();
};

void tst_FrameCodec::decodesEvents_data()
{
    QTest::addColumn<QString>("frame");
    QTest::addColumn<QString>("event");
    QTest::addColumn<QString>("dataJson");

    QTest::addRow("seed loginCheck") << R"(["loginCheck",{"holding":"abc"}])"
                                     << "loginCheck"
                                     << R"({"holding":"abc"})";
    QTest::addRow("socket.io prefix 42") << R"(42["loginCheck",{"holding":"abc"}])"
                                         << "loginCheck"
                                         << R"({"holding":"abc"})";
    QTest::addRow("prefix 4") << R"(4["activity",{}])"
                              << "activity"
                              << "{}";
    QTest::addRow("no data defaults to {}") << R"(["logout"])"
                                            << "logout"
                                            << "{}";
    QTest::addRow("data may be a string") << R"(["activity","x"])"
                                          << "activity"
                                          << R"("x")";
    QTest::addRow("extra args ignored") << R"(["activity",{},1,2])"
                                        << "activity"
                                        << "{}";
    QTest::addRow("unicode event")
        << QString::fromUtf8(R"(["活动",{}])") << QString::fromUtf8("活动") << "{}";
    QTest::addRow("whitespace") << " [ \"activity\" , { } ] "
                                << "activity"
                                << "{}";
}

void tst_FrameCodec::decodesEvents()
{
    QFETCH(QString, frame);
    QFETCH(QString, event);
    QFETCH(QString, dataJson);
    const DecodedFrame f = FrameCodec::decode(frame);
    QCOMPARE(f.kind, DecodedFrame::Kind::Event);
    QCOMPARE(f.event, event);
    const QJsonValue expected
        = QJsonDocument::fromJson("[" + dataJson.toUtf8() + "]").array().at(0);
    QCOMPARE(f.data, expected);
}

void tst_FrameCodec::rejectsMalformed_data()
{
    QTest::addColumn<QString>("frame");
    QTest::addRow("empty") << "";
    QTest::addRow("digits only") << "42";
    QTest::addRow("bare 0") << "0";
    QTest::addRow("not json") << "hello";
    QTest::addRow("truncated json") << R"(["loginCheck",{"holding":)";
    QTest::addRow("object not array") << R"({"event":"loginCheck"})";
    QTest::addRow("empty array") << "[]";
    QTest::addRow("number as name") << "[1,{}]";
    QTest::addRow("null name") << "[null,{}]";
    QTest::addRow("empty name") << R"(["",{}])";
    QTest::addRow("long name") << QStringLiteral("[\"%1\",{}]").arg(QString(200, QLatin1Char('a')));
    QTest::addRow("json string") << R"("loginCheck")";
    QTest::addRow("long prefix") << R"(4242["a",{}])";
    QTest::addRow("namespace") << R"(42/chat,["a",{}])";
    QTest::addRow("trailing garbage") << R"(["a",{}]x)";
    QTest::addRow("non-ascii digit prefix") << QString::fromUtf8("٤٢[\"a\",{}]");
}

void tst_FrameCodec::rejectsMalformed()
{
    QFETCH(QString, frame);
    const DecodedFrame f = FrameCodec::decode(frame);
    QCOMPARE(f.kind, DecodedFrame::Kind::Invalid);
    QVERIFY(!f.error.isEmpty());
}

void tst_FrameCodec::pingAndPong()
{
    QCOMPARE(FrameCodec::decode(QStringLiteral("2")).kind, DecodedFrame::Kind::Ping);
    QCOMPARE(FrameCodec::decode(QStringLiteral("3")).kind, DecodedFrame::Kind::Pong);
}

namespace {
// decode() and decodeGeneral() must give the same answer, field by field.
bool sameAnswer(const QString &frame, QString *why)
{
    const DecodedFrame fast = FrameCodec::decode(frame);
    const DecodedFrame general = FrameCodec::decodeGeneral(frame);
    if (fast.kind != general.kind)
        *why = QStringLiteral("kind %1 vs %2").arg(int(fast.kind)).arg(int(general.kind));
    else if (fast.event != general.event)
        *why = QStringLiteral("event '%1' vs '%2'").arg(fast.event, general.event);
    else if (fast.data != general.data)
        *why = QStringLiteral("data differs");
    else if (fast.error != general.error)
        *why = QStringLiteral("error '%1' vs '%2'").arg(fast.error, general.error);
    else
        return true;
    return false;
}
} // namespace

void tst_FrameCodec::shortcutAnswersWhatTheParserAnswers_data()
{
    // decode() reads ["name"] and ["name",{}] with a plain ASCII name itself; everything near
    // that shape must come out as the JSON parser says, taken by the shortcut or not.
    QTest::addColumn<QString>("frame");
    const QString longest(FrameCodec::MaxEventNameLength, QLatin1Char('n'));
    const QStringList frames = {QStringLiteral("[\"activity\",{}]"),
                                QStringLiteral("[\"activity\"]"),
                                QStringLiteral("42[\"activity\",{}]"),
                                QStringLiteral("4[\"activity\"]"),
                                QStringLiteral("421[\"activity\"]"),
                                QStringLiteral("[\"a\"]"),
                                QStringLiteral("[\"\"]"),
                                QStringLiteral("[\"\",{}]"),
                                QStringLiteral("[\"") + longest + QStringLiteral("\"]"),
                                QStringLiteral("[\"") + longest + QStringLiteral("n\"]"),
                                QStringLiteral("[\"activity\", {}]"),
                                QStringLiteral(" [\"activity\"]"),
                                QStringLiteral("[\"activity\"] "),
                                QStringLiteral("[\"activity\",{ }]"),
                                QStringLiteral("[\"activity\",{}] "),
                                QStringLiteral("[\"activity\",{}]]"),
                                QStringLiteral("[\"activity\",{},1]"),
                                QStringLiteral("[\"activity\",[]]"),
                                QStringLiteral("[\"activity\",{\"a\":1}]"),
                                QStringLiteral("[\"activity\",null]"),
                                QStringLiteral("[\"activity\",{}"),
                                QStringLiteral("[\"activity\""),
                                QStringLiteral("[\"activity"),
                                QStringLiteral("[\"act\\\"ivity\"]"),
                                QStringLiteral("[\"act\\u0041\"]"),
                                QStringLiteral("[\"act\\\\\"]"),
                                QStringLiteral("[\"tab\there\"]"),
                                QStringLiteral("[\"new\nline\"]"),
                                QStringLiteral("[\"del\x7f\"]"),
                                QStringLiteral("[\"caf\u00e9\"]"),
                                QStringLiteral("[\"\u4f1a\u8bdd\",{}]"),
                                QStringLiteral("[\"with space\",{}]"),
                                QStringLiteral("[\"{}[],:'\"]"),
                                QStringLiteral("[\"logout\"]"),
                                QStringLiteral("[\"loginCheck\",{}]"),
                                QStringLiteral("[\"x\",{}]x"),
                                QStringLiteral("[\"x\"]x"),
                                QStringLiteral("[\"x\",{}"),
                                QStringLiteral("[\"x\",]"),
                                QStringLiteral("[\"x\",{]"),
                                QStringLiteral("[\"x\"}]"),
                                QStringLiteral("[1]"),
                                QStringLiteral("[]"),
                                QStringLiteral("[\""),
                                QStringLiteral("[\"\"")};
    for (const QString &f : frames)
        QTest::newRow(qPrintable(f.left(40))) << f;
}

void tst_FrameCodec::shortcutAnswersWhatTheParserAnswers()
{
    QFETCH(QString, frame);
    QString why;
    QVERIFY2(sameAnswer(frame, &why), qPrintable(why));
}

void tst_FrameCodec::shortcutAgreesOnRandomFrames()
{
    // Frames built from the characters that matter to either path, most of them close to the
    // shortcut's shape.
    QRandomGenerator rng(2911);
    const QString alphabet = QStringLiteral("[]{}\",:\\ ab4209u\u00e9\t\x7f");
    const QStringList pieces = {QStringLiteral("["),   QStringLiteral("\""), QStringLiteral("]"),
                                QStringLiteral(",{}"), QStringLiteral("42"), QStringLiteral("name"),
                                QStringLiteral("\\"),  QStringLiteral(" "),  QStringLiteral("{}")};
    int shortcutShape = 0;
    for (int round = 0; round < 20000; ++round) {
        QString frame;
        if (rng.bounded(2)) {
            const int prefix = int(rng.bounded(4));
            frame = QString(prefix, QLatin1Char('4')) + QStringLiteral("[\"");
            const int length = int(rng.bounded(FrameCodec::MaxEventNameLength + 3));
            for (int i = 0; i < length; ++i)
                frame += QChar(char16_t(0x20 + rng.bounded(0x60)));
            frame += rng.bounded(2) ? QStringLiteral("\"]") : QStringLiteral("\",{}]");
            ++shortcutShape;
        } else {
            const int parts = int(rng.bounded(1, 10));
            for (int i = 0; i < parts; ++i)
                frame += rng.bounded(2) ? pieces.at(rng.bounded(int(pieces.size())))
                                        : QString(alphabet.at(rng.bounded(int(alphabet.size()))));
        }
        QString why;
        QVERIFY2(sameAnswer(frame, &why), qPrintable(frame + QStringLiteral(": ") + why));
    }
    QVERIFY(shortcutShape > 5000);
}

void tst_FrameCodec::encodeIsSeedReadable_data()
{
    QTest::addColumn<QString>("text");
    QTest::addRow("plain") << "success";
    QTest::addRow("quotes and backslash") << R"(a "quoted" \ path)";
    QTest::addRow("control chars") << QStringLiteral("line\nbreak\ttab\u0001");
    QTest::addRow("chinese") << QString::fromUtf8("登录超时");
    QTest::addRow("script tag") << "</script><script>alert(1)</script>";
}

void tst_FrameCodec::encodeIsSeedReadable()
{
    QFETCH(QString, text);
    const QString frame = FrameCodec::encode(QStringLiteral("message"),
                                             QJsonObject{{QStringLiteral("message"), text}});
    QVERIFY(frame.startsWith(QLatin1String("42[")));
    // The seed's decoder: JSON.parse(s.substring(2))[1]
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(frame.mid(2).toUtf8(), &err);
    QCOMPARE(err.error, QJsonParseError::NoError);
    QCOMPARE(doc.array().at(0).toString(), QStringLiteral("message"));
    QCOMPARE(doc.array().at(1).toObject().value(QStringLiteral("message")).toString(), text);
    // And our own decoder reads it back.
    const DecodedFrame back = FrameCodec::decode(frame);
    QCOMPARE(back.kind, DecodedFrame::Kind::Event);
    QCOMPARE(back.data.toObject().value(QStringLiteral("message")).toString(), text);
}

void tst_FrameCodec::jsonWriterMatchesQtByteForByte()
{
    const auto qt = [](const QJsonArray &a) {
        return QJsonDocument(a).toJson(QJsonDocument::Compact);
    };
    // Where two texts part, for the failure message.
    const auto firstDifference = [](const QByteArray &a, const QByteArray &b) {
        qsizetype i = 0;
        while (i < a.size() && i < b.size() && a[i] == b[i])
            ++i;
        return QStringLiteral("at byte %1: ours %2, Qt's %3")
            .arg(i)
            .arg(QString::fromLatin1(a.mid(qMax<qsizetype>(0, i - 8), 24).toHex(' ')),
                 QString::fromLatin1(b.mid(qMax<qsizetype>(0, i - 8), 24).toHex(' ')));
    };
    // Numbers as integers and as doubles (Qt writes them differently: 60000 and 6e+04).
    QJsonArray numbers;
    for (double d : {0.0,
                     -0.0,
                     1.0,
                     -1.0,
                     0.1,
                     0.5,
                     1.5,
                     100.0,
                     60000.0,
                     1e6,
                     1e15,
                     1e16,
                     1e21,
                     1e-7,
                     123456.789,
                     1764412345678.0,
                     9007199254740993.0,
                     -2.5e-300,
                     std::numeric_limits<double>::max(),
                     std::numeric_limits<double>::min(),
                     std::numeric_limits<double>::infinity(),
                     std::numeric_limits<double>::quiet_NaN()})
        numbers.append(d);
    for (qint64 i : {qint64(0), qint64(-1), qint64(60000), qint64(1) << 53, (qint64(1) << 53) + 1,
                     std::numeric_limits<qint64>::max(), std::numeric_limits<qint64>::min()})
        numbers.append(i);
    numbers.append(int(42));
    QCOMPARE(JsonWriter::compact(numbers), qt(numbers));

    // Every code point below U+0200, the surrogate range's edges, a pair and lone halves.
    QJsonArray strings;
    QString all;
    for (char16_t c = 1; c < 0x200; ++c)
        all.append(QChar(c));
    strings.append(all);
    strings.append(QString());
    strings.append(QStringLiteral("\u4e2d\u6587 \"quoted\" back\\slash \u2028\u2029 \U0001F600"));
    strings.append(QString(QString(QChar(0xD800)) + QLatin1String("x") + QChar(0xDC00)));
    strings.append(QString(QChar(0)));
    QString bmp; // a sample of the whole BMP, surrogates (paired by chance or lone) included
    for (char32_t c = 0x200; c < 0x10000; c += 7)
        bmp.append(QChar(char16_t(c)));
    strings.append(bmp);
    QVERIFY2(JsonWriter::compact(strings) == qt(strings),
             qPrintable(firstDifference(JsonWriter::compact(strings), qt(strings))));

    // Nesting, key order, booleans, null.
    const QJsonObject nested{
        {QStringLiteral("z"), QJsonArray{true, false, QJsonValue(), QJsonObject()}},
        {QStringLiteral("a"),
         QJsonObject{{QStringLiteral("k\"ey"), QJsonArray{}}, {QStringLiteral("n"), 1.25}}},
        {QStringLiteral("\u4e2d"), QStringLiteral("v")}};
    QCOMPARE(JsonWriter::compact(nested), QJsonDocument(nested).toJson(QJsonDocument::Compact));
    QCOMPARE(JsonWriter::compact(QJsonArray{nested, numbers, strings}),
             qt(QJsonArray{nested, numbers, strings}));
}

void tst_FrameCodec::loginOkDataIsTheObjectItReplaces()
{
    struct Case
    {
        QString user;
        QString sessionId;
        double expiresIn;
        double idleTimeout;
    };
    const Case cases[] = {
        {QStringLiteral("alice"), QStringLiteral("s-1"), 900, 900},
        {QStringLiteral("\u674e\u96f7 \"q\"\\"), QStringLiteral("t-0123456789abcdef0123"), 1e6,
         0.25},
        {QString(), QString(), 0, 1.5},
        {QStringLiteral("x"), QStringLiteral("y"), 60000, 86400},
    };
    for (const Case &c : cases) {
        const QJsonObject ok{{QLatin1String("code"), 200},
                             {QLatin1String("message"), QLatin1String("success")},
                             {QLatin1String("user"), c.user},
                             {QLatin1String("session_id"), c.sessionId},
                             {QLatin1String("expires_in"), c.expiresIn},
                             {QLatin1String("idle_timeout"), c.idleTimeout}};
        QCOMPARE(FrameCodec::loginOkData(c.user, c.sessionId, c.expiresIn, c.idleTimeout),
                 QJsonDocument(ok).toJson(QJsonDocument::Compact));
        QCOMPARE(FrameCodec::encodeJson(
                     QStringLiteral("message"),
                     FrameCodec::loginOkData(c.user, c.sessionId, c.expiresIn, c.idleTimeout)),
                 FrameCodec::encode(QStringLiteral("message"), ok));
    }
}

QTEST_APPLESS_MAIN(tst_FrameCodec)
#include "tst_framecodec.moc"
