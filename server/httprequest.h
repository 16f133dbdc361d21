// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QList>
#include <QtCore/QPair>

// The head of one HTTP/1.x request, as read from the main port before deciding between a plain
// HTTP answer and a WebSocket upgrade. A value type; parse() is pure and safe from any thread.
struct HttpRequest
{
    enum class Parse : quint8 { Incomplete, Ok, Bad, TooLarge };

    static constexpr qsizetype MaxHeadBytes = 16 * 1024;
    static constexpr int MaxHeaders = 100;

    QByteArray method;
    QByteArray target; // as sent: path plus query
    QByteArray path; // percent-decoding is left to the handlers
    QByteArray query;
    QByteArray version; // "HTTP/1.1"
    QList<QPair<QByteArray, QByteArray>> headers; // names lower-cased, values trimmed
    qsizetype headBytes = 0; // bytes up to and including the blank line
    QByteArray body; // filled by the front end when Content-Length announces one

    static constexpr qsizetype MaxBodyBytes = 16 * 1024;

    QByteArray header(const QByteArray &lowerName) const;
    bool isWebSocketUpgrade() const;
    // Query parameter value (no percent-decoding; absent -> null QByteArray).
    QByteArray queryValue(const QByteArray &key) const;

    // Parses a request head from the start of data. On Bad, *error says why.
    static Parse parse(const QByteArray &data, HttpRequest *out, QByteArray *error);
};

// A small plain-HTTP answer written by the front end; always Connection: close.
struct HttpResponse
{
    int status = 200;
    QByteArray contentType = "text/plain; charset=utf-8";
    QByteArray cacheControl = "no-store";
    QByteArray body;
    QList<QPair<QByteArray, QByteArray>> extraHeaders;
    bool alreadyLogged = false; // the caller wrote its own event; the front end stays quiet

    static HttpResponse text(int status, const QByteArray &body);
    static HttpResponse json(int status, const QByteArray &body);
    static QByteArray reasonPhrase(int status);
    QByteArray serialize(bool headOnly = false) const;
};
