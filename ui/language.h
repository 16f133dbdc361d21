// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QString>

class QCoreApplication;

// Picks the dashboard language and installs its translators (Warden's own and Qt's standard
// dialog texts). English is the source language and needs no translator.
namespace Language {
// "en" or "zh_CN": an explicit choice (--lang) wins, else the system locale.
QString resolve(const QString &requested);
// Installs the translators for lang into app (they live as its children). Returns false when
// Warden's catalogue for a non-English language cannot be loaded.
bool install(QCoreApplication *app, const QString &lang);
} // namespace Language
