// SPDX-License-Identifier: MIT
#include "app/headlessconsole.h"

#include "server/serverhost.h"

#include <QtCore/QJsonDocument>

#include <cstdio>

HeadlessConsole::HeadlessConsole(ServerHost *host, bool json, QObject *parent)
    : QObject(parent)
    , m_json(json)
{
    connect(host, &ServerHost::eventsReady, this, &HeadlessConsole::print);
}

void HeadlessConsole::printLine(const QString &line)
{
    const QByteArray bytes = line.toUtf8() + '\n';
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stdout);
    std::fflush(stdout);
}

void HeadlessConsole::print(const ServerEventList &events)
{
    QByteArray out;
    for (const ServerEvent &e : events) {
        out += m_json ? QJsonDocument(e.toJson()).toJson(QJsonDocument::Compact)
                      : e.toText().toUtf8();
        out += '\n';
    }
    std::fwrite(out.constData(), 1, size_t(out.size()), stdout);
    std::fflush(stdout);
}
