// SPDX-License-Identifier: MIT
// libFuzzer target: the configuration (INI) reader.
#include "server/inifile.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const IniFile::Result r
        = IniFile::parse(QByteArray(reinterpret_cast<const char *>(data), qsizetype(size)));
    if (r.error.isEmpty()) {
        for (auto it = r.values.cbegin(); it != r.values.cend(); ++it) {
            if (!it.key().contains(QLatin1Char('/')))
                __builtin_trap();
        }
    }
    return 0;
}
