// SPDX-License-Identifier: MIT
#include "tests/common/testclient.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

TestClient::TestClient(QObject *parent, const QString &origin)
    : QObject(parent)
    , m_socket(origin, QWebSocketProtocol::VersionLatest, this)
{
    connect(&m_socket, &QWebSocket::textMessageReceived, this, [this](const QString &text) {
        Frame f;
        f.raw = text;
        if (text.startsWith(QLatin1String("42"))) {
            const QJsonArray arr = QJsonDocument::fromJson(text.mid(2).toUtf8()).array();
            f.event = arr.at(0).toString();
            f.data = arr.at(1);
        }
        m_frames.append(f);
    });
    connect(&m_socket, &QWebSocket::disconnected, this, [this] {
        m_disconnected = true;
        m_closeCode = int(m_socket.closeCode());
        m_closeReason = m_socket.closeReason();
    });
}

TestClient::~TestClient()
{
    m_socket.abort();
}

std::unique_ptr<TestClient> TestClient::loggedIn(const QUrl &url, const QByteArray &token)
{
    auto c = std::make_unique<TestClient>();
    if (!c->open(url))
        return nullptr;
    c->loginCheck(token);
    const int i = c->waitForEvent(QStringLiteral("message"));
    if (i < 0 || c->frames().at(i).data.toObject().value(QStringLiteral("code")).toInt() != 200)
        return nullptr;
    return c;
}

bool TestClient::open(const QUrl &url, int timeoutMs)
{
    QSignalSpy connected(&m_socket, &QWebSocket::connected);
    m_socket.open(url);
    return connected.count() > 0 || connected.wait(timeoutMs);
}

void TestClient::sendEvent(const QString &event, const QJsonValue &data)
{
    sendRaw(
        QString::fromUtf8(QJsonDocument(QJsonArray{event, data}).toJson(QJsonDocument::Compact)));
}

void TestClient::sendRaw(const QString &text)
{
    m_socket.sendTextMessage(text);
}

void TestClient::sendBinary(const QByteArray &bytes)
{
    m_socket.sendBinaryMessage(bytes);
}

void TestClient::loginCheck(const QByteArray &token)
{
    sendEvent(QStringLiteral("loginCheck"),
              QJsonObject{{QStringLiteral("holding"), QString::fromLatin1(token)}});
}

int TestClient::waitForEvent(const QString &event, int timeoutMs, int from)
{
    auto find = [&]() {
        for (int i = from; i < m_frames.size(); ++i) {
            if (m_frames.at(i).event == event)
                return i;
        }
        return -1;
    };
    int idx = find();
    QDeadlineTimer deadline(timeoutMs);
    while (idx < 0 && !deadline.hasExpired()) {
        QSignalSpy spy(&m_socket, &QWebSocket::textMessageReceived);
        if (!spy.wait(int(qMax<qint64>(1, deadline.remainingTime()))))
            break;
        idx = find();
    }
    return find();
}

int TestClient::waitForRaw(const QString &prefix, int timeoutMs, int from)
{
    auto find = [&]() {
        for (int i = from; i < m_frames.size(); ++i) {
            if (m_frames.at(i).raw.startsWith(prefix))
                return i;
        }
        return -1;
    };
    QDeadlineTimer deadline(timeoutMs);
    while (find() < 0 && !deadline.hasExpired() && !m_disconnected) {
        QSignalSpy spy(&m_socket, &QWebSocket::textMessageReceived);
        if (!spy.wait(int(qMax<qint64>(1, deadline.remainingTime()))))
            break;
    }
    return find();
}

bool TestClient::waitForDisconnected(int timeoutMs)
{
    if (m_disconnected)
        return true;
    QSignalSpy spy(&m_socket, &QWebSocket::disconnected);
    return spy.wait(timeoutMs) || m_disconnected;
}

bool TestClient::roundTrip(int timeoutMs)
{
    const int n = ++m_pingCounter;
    int from = int(m_frames.size());
    sendEvent(QStringLiteral("ping"), QJsonObject{{QStringLiteral("n"), n}});
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        const int idx = waitForEvent(QStringLiteral("pong"),
                                     int(qMax<qint64>(1, deadline.remainingTime())), from);
        if (idx < 0)
            return false;
        if (m_frames.at(idx).data.toObject().value(QStringLiteral("n")).toInt() == n)
            return true;
        from = idx + 1;
    }
    return false;
}

QList<TestClient::Frame> TestClient::framesOf(const QString &event) const
{
    QList<Frame> out;
    for (const Frame &f : m_frames) {
        if (f.event == event)
            out.append(f);
    }
    return out;
}

QJsonObject TestClient::firstData(const QString &event, int from) const
{
    for (int i = from; i < m_frames.size(); ++i) {
        if (m_frames.at(i).event == event)
            return m_frames.at(i).data.toObject();
    }
    return {};
}
