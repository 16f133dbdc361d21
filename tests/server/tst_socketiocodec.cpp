// SPDX-License-Identifier: MIT
#include "server/socketiocodec.h"

#include <QtCore/QJsonDocument>
#include <QtTest/QTest>

class tst_SocketIoCodec : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void decodesPackets_data();
    void decodesPackets();
    void rejectsMalformed_data();
    void rejectsMalformed();
    void encodes();
    void reservedEvents();
};

Q_DECLARE_METATYPE(SocketIoPacket::Kind)

void tst_SocketIoCodec::decodesPackets_data()
{
    using K = SocketIoPacket::Kind;
    QTest::addColumn<QString>("packet");
    QTest::addColumn<K>("kind");
    QTest::addColumn<QString>("nsp");
    QTest::addColumn<qint64>("ackId");
    QTest::addColumn<QString>("event");
    QTest::addColumn<QString>("json"); // data (Event, Ack) or auth (Connect)
    QTest::addColumn<int>("attachments");

    QTest::addRow("eio ping") << "2" << K::Ping << "/" << qint64(-1) << ""
                              << "" << 0;
    QTest::addRow("eio pong") << "3" << K::Pong << "/" << qint64(-1) << ""
                              << "" << 0;
    QTest::addRow("eio close") << "1" << K::Close << "/" << qint64(-1) << ""
                               << "" << 0;
    QTest::addRow("eio noop") << "6" << K::Noop << "/" << qint64(-1) << ""
                              << "" << 0;
    QTest::addRow("eio upgrade") << "5" << K::Noop << "/" << qint64(-1) << ""
                                 << "" << 0;
    QTest::addRow("connect bare") << "40" << K::Connect << "/" << qint64(-1) << ""
                                  << "" << 0;
    QTest::addRow("connect with auth")
        << R"(40{"token":"abc"})" << K::Connect << "/" << qint64(-1) << ""
        << R"({"token":"abc"})" << 0;
    QTest::addRow("connect other nsp")
        << R"(40/admin,{"token":"x"})" << K::Connect << "/admin" << qint64(-1) << ""
        << R"({"token":"x"})" << 0;
    QTest::addRow("connect nsp no payload")
        << "40/admin," << K::Connect << "/admin" << qint64(-1) << ""
        << "" << 0;
    QTest::addRow("disconnect") << "41" << K::Disconnect << "/" << qint64(-1) << ""
                                << "" << 0;
    QTest::addRow("event") << R"(42["activity",{}])" << K::Event << "/" << qint64(-1) << "activity"
                           << "{}" << 0;
    QTest::addRow("event no args") << R"(42["logout"])" << K::Event << "/" << qint64(-1) << "logout"
                                   << "{}" << 0;
    QTest::addRow("event with ack")
        << R"(4217["activity",{"x":1}])" << K::Event << "/" << qint64(17) << "activity"
        << R"({"x":1})" << 0;
    QTest::addRow("event ack 0") << R"(420["ping","hi"])" << K::Event << "/" << qint64(0) << "ping"
                                 << R"("hi")" << 0;
    QTest::addRow("event nsp and ack")
        << R"(42/chat,5["a",1])" << K::Event << "/chat" << qint64(5) << "a"
        << "1" << 0;
    QTest::addRow("unicode event") << QString::fromUtf8(R"(42["活动",[1]])") << K::Event << "/"
                                   << qint64(-1) << QString::fromUtf8("活动") << "[1]" << 0;
    QTest::addRow("ack") << R"(433[{"ok":true}])" << K::Ack << "/" << qint64(3) << ""
                         << R"({"ok":true})" << 0;
    QTest::addRow("binary event") << R"(451-["upload",{"_placeholder":true,"num":0}])"
                                  << K::BinaryEvent << "/" << qint64(-1) << ""
                                  << "" << 1;
    QTest::addRow("binary ack") << R"(462-7[{"_placeholder":true,"num":0}])" << K::BinaryEvent
                                << "/" << qint64(-1) << ""
                                << "" << 2;
}

void tst_SocketIoCodec::decodesPackets()
{
    QFETCH(QString, packet);
    QFETCH(SocketIoPacket::Kind, kind);
    QFETCH(QString, nsp);
    QFETCH(qint64, ackId);
    QFETCH(QString, event);
    QFETCH(QString, json);
    QFETCH(int, attachments);
    const SocketIoPacket p = SocketIoCodec::decode(packet);
    QVERIFY2(p.error.isEmpty(), qPrintable(p.error));
    QCOMPARE(p.kind, kind);
    QCOMPARE(p.attachments, attachments);
    if (kind == SocketIoPacket::Kind::BinaryEvent)
        return;
    QCOMPARE(p.nsp, nsp);
    QCOMPARE(p.ackId, ackId);
    QCOMPARE(p.event, event);
    if (kind == SocketIoPacket::Kind::Connect) {
        QCOMPARE(p.auth, QJsonDocument::fromJson(json.isEmpty() ? "{}" : json.toUtf8()).object());
    } else if (!json.isEmpty()) {
        const QJsonValue expected
            = QJsonDocument::fromJson("[" + json.toUtf8() + "]").array().at(0);
        QCOMPARE(p.data, expected);
    }
}

void tst_SocketIoCodec::rejectsMalformed_data()
{
    QTest::addColumn<QString>("packet");
    QTest::addRow("empty") << "";
    QTest::addRow("unknown eio type") << "7";
    QTest::addRow("letter") << "x";
    QTest::addRow("open from client") << R"(0{"sid":"x"})";
    QTest::addRow("eio 3 probe ping") << "2probe";
    QTest::addRow("pong with payload") << "3probe";
    QTest::addRow("close with payload") << "1x";
    QTest::addRow("bare message") << "4";
    QTest::addRow("unknown sio type") << "47";
    QTest::addRow("sio letter") << "4x";
    QTest::addRow("connect error from client") << R"(44{"message":"x"})";
    QTest::addRow("connect auth not object") << R"(40["token"])";
    QTest::addRow("connect auth bad json") << R"(40{"token":)";
    QTest::addRow("connect with ack id") << R"(401{"token":"x"})";
    QTest::addRow("disconnect payload") << "41{}";
    QTest::addRow("event no payload") << "42";
    QTest::addRow("event not json") << "42hello";
    QTest::addRow("event truncated") << R"(42["activity",{)";
    QTest::addRow("event object") << R"(42{"event":"activity"})";
    QTest::addRow("event empty array") << "42[]";
    QTest::addRow("event name number") << "42[1,{}]";
    QTest::addRow("event name null") << "42[null]";
    QTest::addRow("event name empty") << R"(42["",{}])";
    QTest::addRow("event name long")
        << QStringLiteral("42[\"%1\",{}]").arg(QString(200, QLatin1Char('a')));
    QTest::addRow("ack id too long") << R"(4212345678901234567["a"])";
    QTest::addRow("ack id too large") << R"(429999999999999999["a"])";
    QTest::addRow("ack without id") << R"(43[{}])";
    QTest::addRow("ack not array") << R"(431{})";
    QTest::addRow("binary no count") << R"(45["upload"])";
    QTest::addRow("binary count no dash") << R"(451["upload"])";
    QTest::addRow("binary empty") << "45";
}

void tst_SocketIoCodec::rejectsMalformed()
{
    QFETCH(QString, packet);
    const SocketIoPacket p = SocketIoCodec::decode(packet);
    QCOMPARE(p.kind, SocketIoPacket::Kind::Invalid);
    QVERIFY(!p.error.isEmpty());
}

void tst_SocketIoCodec::encodes()
{
    const QString open = SocketIoCodec::encodeOpen(QStringLiteral("abc"), 25000, 20000, 65536);
    QVERIFY(open.startsWith(QLatin1Char('0')));
    const QJsonObject o = QJsonDocument::fromJson(open.mid(1).toUtf8()).object();
    QCOMPARE(o.value(QLatin1String("sid")).toString(), QStringLiteral("abc"));
    QCOMPARE(o.value(QLatin1String("upgrades")).toArray(), QJsonArray());
    QCOMPARE(o.value(QLatin1String("pingInterval")).toInt(), 25000);
    QCOMPARE(o.value(QLatin1String("pingTimeout")).toInt(), 20000);
    QCOMPARE(o.value(QLatin1String("maxPayload")).toInt(), 65536);

    QCOMPARE(SocketIoCodec::encodePing(), QStringLiteral("2"));
    QCOMPARE(SocketIoCodec::encodePong(), QStringLiteral("3"));
    QCOMPARE(SocketIoCodec::encodeConnect(QStringLiteral("s1")),
             QStringLiteral(R"(40{"sid":"s1"})"));
    QCOMPARE(SocketIoCodec::encodeDisconnect(), QStringLiteral("41"));
    QCOMPARE(SocketIoCodec::encodeEvent(QStringLiteral("expiring"),
                                        QJsonObject{{QLatin1String("seconds"), 5}}),
             QStringLiteral(R"(42["expiring",{"seconds":5}])"));
    QCOMPARE(SocketIoCodec::encodeAck(12, QJsonArray{QJsonObject{{QLatin1String("ok"), true}}}),
             QStringLiteral(R"(4312[{"ok":true}])"));
    QCOMPARE(SocketIoCodec::encodeConnectError(QStringLiteral("bad"),
                                               QJsonObject{{QLatin1String("code"), 401}}),
             QStringLiteral(R"(44{"data":{"code":401},"message":"bad"})"));
    QCOMPARE(SocketIoCodec::encodeConnectError(QStringLiteral("Invalid namespace"), {},
                                               QStringLiteral("/x")),
             QStringLiteral(R"(44/x,{"message":"Invalid namespace"})"));

    // What the server encodes, it decodes (as a client would send it).
    const SocketIoPacket back
        = SocketIoCodec::decode(SocketIoCodec::encodeEvent(QStringLiteral("a"), QJsonValue(1)));
    QCOMPARE(back.kind, SocketIoPacket::Kind::Event);
    QCOMPARE(back.event, QStringLiteral("a"));
    QCOMPARE(back.data, QJsonValue(1));
}

void tst_SocketIoCodec::reservedEvents()
{
    for (const char *name : {"connect", "connect_error", "disconnect", "disconnecting",
                             "newListener", "removeListener"})
        QVERIFY2(SocketIoCodec::isReservedEvent(QLatin1String(name)), name);
    for (const char *name : {"message", "expiring", "extended", "error", "Connect"})
        QVERIFY2(!SocketIoCodec::isReservedEvent(QLatin1String(name)), name);
}

QTEST_APPLESS_MAIN(tst_SocketIoCodec)
#include "tst_socketiocodec.moc"
