// SPDX-License-Identifier: MIT
#pragma once

#include "server/httprequest.h"
#include "server/serverconfig.h"

#include <optional>

// What the plain-HTTP answers need to know about the running server. A value type.
struct HttpRouteContext
{
    ServerConfig config;
    bool stopping = false;
    int connections = 0;
    int sessions = 0;
    qint64 nowMs = 0; // wall clock, for the demo token's exp
};

// The main port's routes: plain-HTTP answers (/healthz, /warden.js, /demo, /demo/token, the
// Socket.IO handshake errors) and the check every WebSocket upgrade passes before its handshake
// is answered (the place where origin checks go). Pure functions of the request and a context;
// called in the server worker thread.
namespace HttpRoutes {
constexpr qint64 DemoTokenTtlSecs = 3600;

HttpResponse answer(const HttpRequest &request, const HttpRouteContext &context);
std::optional<HttpResponse> checkUpgrade(const HttpRequest &request);
// "/socket.io" and "/socket.io/": the Socket.IO endpoint; every other path is the raw one.
bool isSocketIoPath(const QByteArray &path);
} // namespace HttpRoutes
