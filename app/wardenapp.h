// SPDX-License-Identifier: MIT
#pragma once

#include "app/commandline.h"

// The composition root: builds the server host, then the headless console or the main window,
// and wires signals, reload and stop. Returns the process exit code.
namespace WardenApp {
int run(const CommandLine &cl, bool gui);
int printToken(const CommandLine &cl);
} // namespace WardenApp
