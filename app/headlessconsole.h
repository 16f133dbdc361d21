// SPDX-License-Identifier: MIT
#pragma once

#include "server/serverevent.h"

#include <QtCore/QObject>

class ServerHost;

// Headless output: one line per server event on stdout, text or JSON lines. Lives in the main
// thread.
class HeadlessConsole final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HeadlessConsole)

public:
    HeadlessConsole(ServerHost *host, bool json, QObject *parent = nullptr);

    static void printLine(const QString &line);
    void setJson(bool json) { m_json = json; }

private:
    void print(const ServerEventList &events);
    bool m_json;
};
