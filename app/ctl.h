// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QString>
#include <QtCore/QStringList>

// `warden ctl COMMAND`: a small synchronous client of the admin API (docs/admin-api.md). Finds
// the server's address and token in the data dir, prints tables (or --json), and returns the
// exit code: 0 success, 1 failure (one line on stderr), 2 usage error. Main thread only; needs a
// QCoreApplication.
namespace Ctl {
QString usage();
int run(const QStringList &args); // args after "ctl"
} // namespace Ctl
