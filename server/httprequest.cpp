// SPDX-License-Identifier: MIT
#include "server/httprequest.h"

namespace {
bool isTokenChar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
        return true;
    default:
        return false;
    }
}

bool isToken(QByteArrayView s)
{
    if (s.isEmpty())
        return false;
    for (char c : s) {
        if (!isTokenChar(c))
            return false;
    }
    return true;
}

bool hasControlChars(QByteArrayView s)
{
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && u != '\t') || u == 0x7f)
            return true;
    }
    return false;
}

bool listContainsToken(const QByteArray &value, const QByteArray &token)
{
    const QList<QByteArray> parts = value.split(',');
    for (const QByteArray &p : parts) {
        if (p.trimmed().compare(token, Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}
} // namespace

QByteArray HttpRequest::header(const QByteArray &lowerName) const
{
    for (const auto &h : headers) {
        if (h.first == lowerName)
            return h.second;
    }
    return {};
}

bool HttpRequest::isWebSocketUpgrade() const
{
    return listContainsToken(header("upgrade"), "websocket")
           && listContainsToken(header("connection"), "upgrade");
}

QByteArray HttpRequest::queryValue(const QByteArray &key) const
{
    const QList<QByteArray> pairs = query.split('&');
    for (const QByteArray &p : pairs) {
        const qsizetype eq = p.indexOf('=');
        const QByteArray k = eq < 0 ? p : p.left(eq);
        if (k == key)
            return eq < 0 ? QByteArray("") : p.mid(eq + 1);
    }
    return {};
}

HttpRequest::Parse HttpRequest::parse(const QByteArray &data, HttpRequest *out, QByteArray *error)
{
    const qsizetype end = data.indexOf("\r\n\r\n");
    if (end < 0 && data.size() > MaxHeadBytes)
        return Parse::TooLarge;
    if (end + 4 > MaxHeadBytes)
        return Parse::TooLarge;
    // Look for bare LFs before waiting for more: a head sent with LF only never contains CRLF CRLF,
    // so it would otherwise sit as Incomplete until the timeout instead of getting an answer.
    const qsizetype scanTo = end < 0 ? data.size() : end + 4;
    for (qsizetype i = data.indexOf('\n'); i >= 0 && i < scanTo; i = data.indexOf('\n', i + 1)) {
        if (i == 0 || data.at(i - 1) != '\r') {
            *error = "lines must end with CRLF";
            return Parse::Bad;
        }
    }
    if (end < 0)
        return Parse::Incomplete;

    HttpRequest r;
    r.headBytes = end + 4;
    // The head's lines are read in place (views), and only what is kept is copied: the storm of
    // a login rush parses one head per connection. Every '\n' up to here has its '\r' (above).
    const QByteArrayView head(data.constData(), end + 2); // every line with its CRLF
    auto bad = [error](const char *why) {
        *error = why;
        return Parse::Bad;
    };

    const qsizetype requestLineEnd = head.indexOf('\n');
    QByteArrayView requestLine = head.first(requestLineEnd);
    if (requestLine.endsWith('\r'))
        requestLine.chop(1);
    // Exactly three parts around exactly two spaces (a part may be empty: checked below).
    const qsizetype space1 = requestLine.indexOf(' ');
    const qsizetype space2 = space1 < 0 ? -1 : requestLine.indexOf(' ', space1 + 1);
    if (space2 < 0 || requestLine.indexOf(' ', space2 + 1) >= 0)
        return bad("malformed request line");
    r.method = requestLine.first(space1).toByteArray();
    r.target = requestLine.sliced(space1 + 1, space2 - space1 - 1).toByteArray();
    r.version = requestLine.sliced(space2 + 1).toByteArray();
    if (!isToken(r.method))
        return bad("malformed method");
    if (r.version != "HTTP/1.1" && r.version != "HTTP/1.0")
        return bad("unsupported HTTP version");
    // hasControlChars() lets tabs through (they are fine in header values), not in the target.
    if (!r.target.startsWith('/') || hasControlChars(r.target) || r.target.contains(' ')
        || r.target.contains('\t'))
        return bad("malformed request target");
    const qsizetype q = r.target.indexOf('?');
    r.path = q < 0 ? r.target : r.target.left(q);
    r.query = q < 0 ? QByteArray() : r.target.mid(q + 1);

    for (qsizetype at = requestLineEnd + 1; at < head.size();) {
        const qsizetype lineEnd = head.indexOf('\n', at);
        QByteArrayView line = head.sliced(at, lineEnd - at);
        at = lineEnd + 1;
        if (!line.endsWith('\r'))
            return bad("lines must end with CRLF");
        line.chop(1);
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            return bad("malformed header line");
        const QByteArrayView name = line.first(colon);
        if (!isToken(name))
            return bad("malformed header name");
        const QByteArrayView value = line.sliced(colon + 1).trimmed();
        if (hasControlChars(value))
            return bad("control character in header value");
        if (r.headers.size() >= MaxHeaders)
            return bad("too many headers");
        r.headers.append({name.toByteArray().toLower(), value.toByteArray()});
    }
    if (r.version == "HTTP/1.1" && r.header("host").isEmpty())
        return bad("missing Host header");
    *out = std::move(r);
    return Parse::Ok;
}

HttpResponse HttpResponse::text(int status, const QByteArray &body)
{
    HttpResponse r;
    r.status = status;
    r.body = body.endsWith('\n') ? body : body + '\n';
    return r;
}

HttpResponse HttpResponse::json(int status, const QByteArray &body)
{
    HttpResponse r;
    r.status = status;
    r.contentType = "application/json";
    r.body = body;
    return r;
}

QByteArray HttpResponse::reasonPhrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 422:
        return "Unprocessable Content";
    case 426:
        return "Upgrade Required";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Status";
    }
}

QByteArray HttpResponse::serialize(bool headOnly) const
{
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) + "\r\n";
    out += "Content-Type: " + contentType + "\r\n";
    out += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    out += "Cache-Control: " + cacheControl + "\r\n";
    for (const auto &h : extraHeaders)
        out += h.first + ": " + h.second + "\r\n";
    out += "Connection: close\r\n\r\n";
    if (!headOnly)
        out += body;
    return out;
}
