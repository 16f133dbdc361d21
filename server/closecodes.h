// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QString>

// WebSocket close codes Warden sends. 4000-4499: the client may reconnect; 4500-4999: it must not.
// docs/protocol.md is the reference for clients; keep the two in step.
namespace CloseCode {
enum : quint16 {
    // RFC 6455 codes Warden uses.
    Normal = 1000,
    GoingAway = 1001,
    UnsupportedData = 1003,
    TooBig = 1009,

    // Reconnect allowed.
    Restarting = 4000,
    ShuttingDown = 4001,
    Disconnected = 4002, // an operator dropped this connection; the session lives on
    SlowConsumer = 4003,
    PingTimeout = 4004, // Socket.IO endpoint: no pong within pingTimeout
    ClusterUnavailable = 4005, // [cluster] on_redis_down = refuse_logins while Redis is down

    // Do not reconnect.
    InvalidToken = 4500,
    IdleTimeout = 4501,
    Kicked = 4502,
    LoggedOut = 4503,
    LoginTimeout = 4504,
    Replaced = 4505, // a newer login of the same user took this connection's place
    SessionExpired = 4506, // the token's hard end (`exp`) passed
    TooManyConnections = 4507, // [limits] max_connections_per_user reached, policy refuse
};

inline bool mayReconnect(int code)
{
    return code >= 4000 && code < 4500;
}
} // namespace CloseCode

// Why a session ended. Each reason maps to one close code and one stable reason string.
enum class EndReason : quint8 { IdleTimeout, SessionExpired, Kicked, LoggedOut };

struct EndReasonInfo
{
    quint16 closeCode;
    const char *reason; // machine-stable: goes into message.reason and the close frame
};

inline EndReasonInfo endReasonInfo(EndReason r)
{
    switch (r) {
    case EndReason::IdleTimeout:
        return {CloseCode::IdleTimeout, "idle_timeout"};
    case EndReason::SessionExpired:
        return {CloseCode::SessionExpired, "session_expired"};
    case EndReason::Kicked:
        return {CloseCode::Kicked, "kicked"};
    case EndReason::LoggedOut:
        return {CloseCode::LoggedOut, "logged_out"};
    }
    return {CloseCode::IdleTimeout, "idle_timeout"};
}
