// SPDX-License-Identifier: MIT
#include "server/websocketconnection.h"

WebSocketConnection::WebSocketConnection(QObject *parent)
    : QObject(parent)
{ }

WebSocketConnection::~WebSocketConnection() = default;
