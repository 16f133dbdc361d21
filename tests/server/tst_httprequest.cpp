// SPDX-License-Identifier: MIT
#include "server/httprequest.h"

#include <QtTest/QTest>

using Parse = HttpRequest::Parse;
Q_DECLARE_METATYPE(HttpRequest::Parse)

namespace {
QByteArray manyHeaders(int count)
{
    QByteArray head = "GET / HTTP/1.1\r\nHost: x\r\n";
    for (int i = 1; i < count; ++i)
        head += "X-H" + QByteArray::number(i) + ": v\r\n";
    return head + "\r\n";
}

// A request whose head is exactly `size` bytes long, padded with one header.
QByteArray headOfSize(qsizetype size)
{
    const QByteArray start = "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: ";
    const QByteArray end = "\r\n\r\n";
    return start + QByteArray(size - start.size() - end.size(), 'p') + end;
}
} // namespace

namespace {
// A literal with embedded NULs, its length taken from the array (not strlen, not a guess).
template<qsizetype N>
QByteArray withNul(const char (&s)[N])
{
    return QByteArray(s, N - 1);
}
} // namespace

class tst_HttpRequest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parsesGood_data();
    void parsesGood();
    void headersAreCaseInsensitive();
    void incomplete_data();
    void incomplete();
    void tooLarge_data();
    void tooLarge();
    void rejectsMalformed_data();
    void rejectsMalformed();
    void queryValue_data();
    void queryValue();
    void serializeResponse();
    void serializeHeadOnlyAndJson();
};

void tst_HttpRequest::parsesGood_data()
{
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("query");
    QTest::addColumn<QByteArray>("version");
    QTest::addColumn<bool>("upgrade");
    QTest::addColumn<int>("headerCount");

    QTest::addRow("plain GET") << QByteArray("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
                               << QByteArray("GET") << QByteArray("/") << QByteArray()
                               << QByteArray("HTTP/1.1") << false << 1;
    QTest::addRow("GET with query")
        << QByteArray("GET /api/events?since=12&limit=50 HTTP/1.1\r\nHost: a:1215\r\n\r\n")
        << QByteArray("GET") << QByteArray("/api/events") << QByteArray("since=12&limit=50")
        << QByteArray("HTTP/1.1") << false << 1;
    QTest::addRow("empty query") << QByteArray("GET /x? HTTP/1.1\r\nHost: a\r\n\r\n")
                                 << QByteArray("GET") << QByteArray("/x") << QByteArray("")
                                 << QByteArray("HTTP/1.1") << false << 1;
    QTest::addRow("websocket upgrade, Firefox style")
        << QByteArray("GET /socket HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\n"
                      "Upgrade: WebSocket\r\nSec-WebSocket-Version: 13\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
        << QByteArray("GET") << QByteArray("/socket") << QByteArray() << QByteArray("HTTP/1.1")
        << true << 5;
    QTest::addRow("websocket upgrade, lower case")
        << QByteArray(
               "GET / HTTP/1.1\r\nhost: a\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n")
        << QByteArray("GET") << QByteArray("/") << QByteArray() << QByteArray("HTTP/1.1") << true
        << 3;
    QTest::addRow("upgrade to something else")
        << QByteArray("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
        << QByteArray("GET") << QByteArray("/") << QByteArray() << QByteArray("HTTP/1.1") << false
        << 3;
    QTest::addRow("upgrade header without Connection: upgrade")
        << QByteArray(
               "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nUpgrade: websocket\r\n\r\n")
        << QByteArray("GET") << QByteArray("/") << QByteArray() << QByteArray("HTTP/1.1") << false
        << 3;
    QTest::addRow("token is not a substring match")
        << QByteArray(
               "GET / HTTP/1.1\r\nHost: a\r\nConnection: upgraded\r\nUpgrade: websockets\r\n\r\n")
        << QByteArray("GET") << QByteArray("/") << QByteArray() << QByteArray("HTTP/1.1") << false
        << 3;
    QTest::addRow("HTTP/1.0 without Host")
        << QByteArray("HEAD /status HTTP/1.0\r\n\r\n") << QByteArray("HEAD")
        << QByteArray("/status") << QByteArray() << QByteArray("HTTP/1.0") << false << 0;
    QTest::addRow("POST with body after the head")
        << QByteArray("POST /api/kick HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}")
        << QByteArray("POST") << QByteArray("/api/kick") << QByteArray() << QByteArray("HTTP/1.1")
        << false << 2;
    QTest::addRow("token chars in method")
        << QByteArray("M-SEARCH_1 / HTTP/1.1\r\nHost: a\r\n\r\n") << QByteArray("M-SEARCH_1")
        << QByteArray("/") << QByteArray() << QByteArray("HTTP/1.1") << false << 1;
    QTest::addRow("tab and empty header values")
        << QByteArray("GET / HTTP/1.1\r\nHost: a\r\nX-Tab: a\tb\r\nX-Empty:\r\n\r\n")
        << QByteArray("GET") << QByteArray("/") << QByteArray() << QByteArray("HTTP/1.1") << false
        << 3;
    QTest::addRow("100 headers") << manyHeaders(100) << QByteArray("GET") << QByteArray("/")
                                 << QByteArray() << QByteArray("HTTP/1.1") << false << 100;
}

void tst_HttpRequest::parsesGood()
{
    QFETCH(QByteArray, data);
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, query);
    QFETCH(QByteArray, version);
    QFETCH(bool, upgrade);
    QFETCH(int, headerCount);

    HttpRequest r;
    QByteArray error;
    QCOMPARE(HttpRequest::parse(data, &r, &error), Parse::Ok);
    QVERIFY2(error.isEmpty(), error.constData());
    QCOMPARE(r.method, method);
    QCOMPARE(r.path, path);
    QCOMPARE(r.query, query);
    QCOMPARE(r.target, query.isNull() ? path : path + '?' + query);
    QCOMPARE(r.version, version);
    QCOMPARE(r.isWebSocketUpgrade(), upgrade);
    QCOMPARE(r.headers.size(), qsizetype(headerCount));
    QCOMPARE(r.headBytes, data.indexOf("\r\n\r\n") + 4);
    for (const auto &h : std::as_const(r.headers))
        QCOMPARE(h.first, h.first.toLower());
}

void tst_HttpRequest::headersAreCaseInsensitive()
{
    HttpRequest r;
    QByteArray error;
    const QByteArray data
        = "GET / HTTP/1.1\r\nHOST: example\r\nX-Custom-Thing:   spaced value \t\r\n"
          "Sec-WebSocket-Key: abc\r\n\r\n";
    QCOMPARE(HttpRequest::parse(data, &r, &error), Parse::Ok);
    QCOMPARE(r.header("host"), QByteArray("example"));
    QCOMPARE(r.header("x-custom-thing"), QByteArray("spaced value"));
    QCOMPARE(r.header("sec-websocket-key"), QByteArray("abc"));
    QVERIFY(r.header("missing").isNull());
    QCOMPARE(r.headers.at(1).first, QByteArray("x-custom-thing"));
}

void tst_HttpRequest::incomplete_data()
{
    QTest::addColumn<QByteArray>("data");
    QTest::addRow("nothing") << QByteArray();
    QTest::addRow("method only") << QByteArray("GET");
    QTest::addRow("request line") << QByteArray("GET / HTTP/1.1\r\n");
    QTest::addRow("one header") << QByteArray("GET / HTTP/1.1\r\nHost: x\r\n");
    QTest::addRow("blank line half sent") << QByteArray("GET / HTTP/1.1\r\nHost: x\r\n\r");
    QTest::addRow("just under the limit")
        << QByteArray("GET / HTTP/1.1\r\nX: ") + QByteArray(HttpRequest::MaxHeadBytes - 20, 'a');
}

void tst_HttpRequest::incomplete()
{
    QFETCH(QByteArray, data);
    HttpRequest r;
    QByteArray error;
    QCOMPARE(HttpRequest::parse(data, &r, &error), Parse::Incomplete);
}

void tst_HttpRequest::tooLarge_data()
{
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<HttpRequest::Parse>("expected");
    const qsizetype max = HttpRequest::MaxHeadBytes;
    QTest::addRow("no end within 16 KiB") << QByteArray(max + 1, 'a') << Parse::TooLarge;
    QTest::addRow("long header, no end")
        << QByteArray("GET / HTTP/1.1\r\nX: ") + QByteArray(max, 'a') << Parse::TooLarge;
    QTest::addRow("head of 16 KiB + 1") << headOfSize(max + 1) << Parse::TooLarge;
    QTest::addRow("head of exactly 16 KiB") << headOfSize(max) << Parse::Ok;
    QTest::addRow("16 KiB head plus a body") << headOfSize(max) + QByteArray(100, 'b') << Parse::Ok;
}

void tst_HttpRequest::tooLarge()
{
    QFETCH(QByteArray, data);
    QFETCH(HttpRequest::Parse, expected);
    HttpRequest r;
    QByteArray error;
    QCOMPARE(HttpRequest::parse(data, &r, &error), expected);
}

void tst_HttpRequest::rejectsMalformed_data()
{
    QTest::addColumn<QByteArray>("data");

    auto row = [](const char *name, const QByteArray &data) {
        QTest::addRow("%s", name) << data;
    };
    row("bare LF line endings", "GET / HTTP/1.1\nHost: x\n\n");
    row("bare LF after the request line", "GET / HTTP/1.1\nHost: x\r\n\r\n");
    row("bare LF inside the headers", "GET / HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n");
    row("bare LF before the blank line", "GET / HTTP/1.1\r\nHost: x\n\r\n");
    row("bare CR in a header value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: b\rc\r\n\r\n");
    row("empty request line", "\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
    row("request line is one word", "GET\r\nHost: x\r\n\r\n");
    row("request line with 2 parts", "GET /\r\nHost: x\r\n\r\n");
    row("request line with 4 parts", "GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n");
    row("double space in request line", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n");
    row("tab as separator", "GET\t/\tHTTP/1.1\r\nHost: x\r\n\r\n");
    row("bad method token", "G@T / HTTP/1.1\r\nHost: x\r\n\r\n");
    row("method with a colon", "GET: / HTTP/1.1\r\nHost: x\r\n\r\n");
    row("non-ASCII method", "G\xc3\x89T / HTTP/1.1\r\nHost: x\r\n\r\n");
    row("HTTP/2.0", "GET / HTTP/2.0\r\nHost: x\r\n\r\n");
    row("HTTP/1.2", "GET / HTTP/1.2\r\nHost: x\r\n\r\n");
    row("lower-case version", "GET / http/1.1\r\nHost: x\r\n\r\n");
    row("HTTP/0.9 style", "GET /\r\n\r\n");
    row("absolute-form target", "GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n");
    row("asterisk target", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n");
    row("relative target", "GET index.html HTTP/1.1\r\nHost: x\r\n\r\n");
    row("control char in target", "GET /a\x01z HTTP/1.1\r\nHost: x\r\n\r\n");
    row("tab in target", "GET /a\tz HTTP/1.1\r\nHost: x\r\n\r\n");
    row("DEL in target", "GET /a\x7fz HTTP/1.1\r\nHost: x\r\n\r\n");
    row("NUL in target", withNul("GET /a\0z HTTP/1.1\r\nHost: x\r\n\r\n"));
    row("control char in header value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01z\r\n\r\n");
    row("NUL in header value", withNul("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0z\r\n\r\n"));
    row("DEL in header value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x7fz\r\n\r\n");
    row("header without colon", "GET / HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n");
    row("empty header name", "GET / HTTP/1.1\r\nHost: x\r\n: value\r\n\r\n");
    row("space in header name", "GET / HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n");
    row("space before colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n");
    row("obsolete line folding", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n  folded\r\n\r\n");
    row("non-ASCII header name", "GET / HTTP/1.1\r\nHost: x\r\nX-\xc3\xa9: v\r\n\r\n");
    row("missing Host on HTTP/1.1", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n");
    row("empty Host on HTTP/1.1", "GET / HTTP/1.1\r\nHost:\r\n\r\n");
    row("101 headers", manyHeaders(101));
}

void tst_HttpRequest::rejectsMalformed()
{
    QFETCH(QByteArray, data);
    HttpRequest r;
    r.method = "UNTOUCHED";
    QByteArray error;
    QCOMPARE(HttpRequest::parse(data, &r, &error), Parse::Bad);
    QVERIFY(!error.isEmpty());
    QCOMPARE(r.method, QByteArray("UNTOUCHED")); // *out is only written on success
}

void tst_HttpRequest::queryValue_data()
{
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<QByteArray>("value"); // null = absent
    QTest::addRow("plain") << QByteArray("limit") << QByteArray("50");
    QTest::addRow("first of repeated") << QByteArray("a") << QByteArray("1");
    QTest::addRow("empty value") << QByteArray("empty") << QByteArray("");
    QTest::addRow("flag without =") << QByteArray("flag") << QByteArray("");
    QTest::addRow("not percent-decoded") << QByteArray("token") << QByteArray("a%2Eb.c");
    QTest::addRow("value with =") << QByteArray("eq") << QByteArray("x=y");
    QTest::addRow("absent") << QByteArray("missing") << QByteArray();
    QTest::addRow("prefix of a key") << QByteArray("lim") << QByteArray();
    QTest::addRow("case sensitive") << QByteArray("LIMIT") << QByteArray();
}

void tst_HttpRequest::queryValue()
{
    QFETCH(QByteArray, key);
    QFETCH(QByteArray, value);
    HttpRequest r;
    QByteArray error;
    QCOMPARE(HttpRequest::parse("GET /api?limit=50&a=1&empty=&flag&token=a%2Eb.c&eq=x=y&a=2 "
                                "HTTP/1.1\r\nHost: h\r\n\r\n",
                                &r, &error),
             Parse::Ok);
    const QByteArray got = r.queryValue(key);
    QCOMPARE(got.isNull(), value.isNull());
    QCOMPARE(got, value);
}

void tst_HttpRequest::serializeResponse()
{
    HttpResponse resp = HttpResponse::text(404, "no such page");
    resp.extraHeaders.append(qMakePair(QByteArray("X-Warden"), QByteArray("1")));
    const QByteArray out = resp.serialize();
    const qsizetype headEnd = out.indexOf("\r\n\r\n");
    QVERIFY(headEnd > 0);
    const QList<QByteArray> lines = out.left(headEnd).split('\n');
    QCOMPARE(lines.first(), QByteArray("HTTP/1.1 404 Not Found\r"));
    QVERIFY(lines.contains("Content-Type: text/plain; charset=utf-8\r"));
    QVERIFY(lines.contains("Content-Length: 13\r")); // text() adds the trailing newline
    QVERIFY(lines.contains("X-Warden: 1\r"));
    QCOMPARE(lines.last(), QByteArray("Connection: close"));
    QCOMPARE(out.mid(headEnd + 4), QByteArray("no such page\n"));

    // And the output is itself a well-formed head (same framing rules as requests).
    QCOMPARE(HttpResponse::reasonPhrase(200), QByteArray("OK"));
    QCOMPARE(HttpResponse::reasonPhrase(431), QByteArray("Request Header Fields Too Large"));
    QVERIFY(HttpResponse::text(299, "x").serialize().startsWith("HTTP/1.1 299 "));
}

void tst_HttpRequest::serializeHeadOnlyAndJson()
{
    const HttpResponse resp = HttpResponse::json(200, R"({"ok":true})");
    const QByteArray full = resp.serialize();
    QVERIFY(full.startsWith("HTTP/1.1 200 OK\r\n"));
    QVERIFY(full.contains("\r\nContent-Type: application/json\r\n"));
    QVERIFY(full.contains("\r\nContent-Length: 11\r\n"));
    QVERIFY(full.contains("\r\nConnection: close\r\n\r\n"));
    QVERIFY(full.endsWith(R"({"ok":true})"));

    // HEAD: the same head (Content-Length of the body that would be sent), no body.
    const QByteArray head = resp.serialize(true);
    QVERIFY(head.endsWith("\r\nConnection: close\r\n\r\n"));
    QCOMPARE(head, full.left(full.size() - resp.body.size()));
}

QTEST_APPLESS_MAIN(tst_HttpRequest)
#include "tst_httprequest.moc"
