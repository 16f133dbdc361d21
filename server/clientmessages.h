// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QString>

// Human-readable `message` texts sent to browsers, chosen by [server] locale (en, zh_CN).
// The stable `reason` keys are what clients should branch on; these texts are for display.
namespace ClientMessages {
QString text(const QString &reason, const QString &locale);
} // namespace ClientMessages
