// SPDX-License-Identifier: Apache-2.0
//
// `vsctl -f FILE`: runs a file of commands, one per line. Blank lines and
// lines starting with `#` are skipped; `quit`/`exit` end the script. The
// first failing command stops it. Thread: the caller's.
#pragma once

#include <ostream>
#include <string>

#include "vswitch/shell/client.h"
#include "vswitch/shell/command_table.h"

namespace vswitch::shell {

// Runs the commands of `path` in order, printing results to `out` (as JSON
// with `json`). At the first failing command it prints
// "PATH:LINE: <error>" to `err` and returns that command's exit code
// (kExitRpcError or kExitUsage); a file that cannot be read is kExitUsage.
// Returns kExitOk when every command succeeded.
int RunScript(const CommandTable& table, Client& client, const std::string& path, bool json,
              std::ostream& out, std::ostream& err);

}  // namespace vswitch::shell
