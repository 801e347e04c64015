// SPDX-License-Identifier: Apache-2.0
//
// Replacing a file atomically: a temp file in the same directory, fsync,
// rename over the target, fsync of the directory. A crash leaves the old or
// the new file, never a torn one. Used by vswitchd for its persisted config
// and by `vsctl save`. Thread: any (no shared state).
#pragma once

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"

namespace vswitch::file {

// Replaces `path` with `data` (file mode `mode`), creating missing parent
// directories (mode 0755). `what` names the file in errors ("config file").
// Errors: Unavailable "cannot write WHAT PATH: STEP: strerror (errno N)";
// the old file is then untouched and no temp file is left behind.
absl::Status WriteFileAtomically(const std::string& path, const std::string& data, mode_t mode,
                                 const std::string& what);

}  // namespace vswitch::file
