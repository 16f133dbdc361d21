// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QJsonObject>
#include <QtCore/QJsonValue>
#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QStringList>
#include <QtCore/QUrl>
#include <QtWebSockets/QWebSocket>

#include <memory>

// A real QWebSocket client speaking the raw protocol, recording what it receives. Test-thread only.
class TestClient final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TestClient)

public:
    struct Frame
    {
        QString raw;
        QString event; // empty for frames that are not 42[...]
        QJsonValue data;
    };

    explicit TestClient(QObject *parent = nullptr, const QString &origin = {});
    ~TestClient() override;

    // A connected client that logged in with token and got the 200 answer; null otherwise.
    static std::unique_ptr<TestClient> loggedIn(const QUrl &url, const QByteArray &token);

    // Connects and waits for the handshake; returns false on failure or timeout.
    bool open(const QUrl &url, int timeoutMs = 5000);
    void sendEvent(const QString &event, const QJsonValue &data = QJsonObject());
    void sendRaw(const QString &text);
    void sendBinary(const QByteArray &bytes);
    void loginCheck(const QByteArray &token);

    // Waits until a frame with this event arrives (counting from `from`), returns its index or -1.
    int waitForEvent(const QString &event, int timeoutMs = 5000, int from = 0);
    // Waits until a frame starting with this prefix arrives (from `from`), returns its index or -1.
    int waitForRaw(const QString &prefix, int timeoutMs = 5000, int from = 0);
    bool waitForDisconnected(int timeoutMs = 5000);
    // Sends ["ping",{"n":k}] and waits for the matching pong: everything the server sent before
    // it has arrived by then, which lets a test prove that something was NOT sent.
    bool roundTrip(int timeoutMs = 5000);

    const QList<Frame> &frames() const { return m_frames; }
    QList<Frame> framesOf(const QString &event) const;
    // The `data` of the first frame with this event at or after `from`.
    QJsonObject firstData(const QString &event, int from = 0) const;
    bool isConnected() const { return m_socket.state() == QAbstractSocket::ConnectedState; }
    bool hasDisconnected() const { return m_disconnected; }
    int closeCode() const { return m_closeCode; }
    QString closeReason() const { return m_closeReason; }
    QWebSocket &socket() { return m_socket; }

private:
    QWebSocket m_socket;
    QList<Frame> m_frames;
    bool m_disconnected = false;
    int m_closeCode = -1;
    QString m_closeReason;
    int m_pingCounter = 0;
};
