// SPDX-License-Identifier: Apache-2.0
//
// The persisted configuration: a v1::Config in protobuf text format. Reading
// reports syntax errors with line:column and validation errors with the
// field path; writing is atomic (temp file in the same directory, fsync,
// rename, fsync of the directory), so a crash leaves the old or the new file,
// never a torn one.
// Thread: any (no shared state).
#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "vswitch/api/vswitch.pb.h"

namespace vswitch::control {

// Parses `text` (named `source` in messages). Errors: InvalidArgument
// "SOURCE:LINE:COLUMN: problem" (LINE and COLUMN 1-based).
absl::StatusOr<v1::Config> ParseConfigText(const std::string& text, const std::string& source);

// Applies the defaults the Create/Add functions apply (vport kind VM, 1
// queue, admin up, uplink MTU 1500; UDP port 4789; session direction BOTH,
// rule action ACCEPT), canonical MACs, and clears output-only fields, so a
// config equal to the running one compares equal.
void NormalizeConfig(v1::Config* config);
// The defaults of one vport / session, as their create RPCs apply them.
// Output-only fields of the vport are cleared.
void NormalizeVPort(v1::VPort* vport);
void NormalizeTapSession(v1::TapSession* session);
// Canonical MAC ("02:00:..", lower case) and addresses, where they parse.
void NormalizeRemotePort(v1::RemotePort* port);

// Reads, parses, normalises and validates (ValidateConfig) the file at `path`. nullopt
// when it does not exist. Errors name the file first: "PATH:3:7: ..." for
// syntax, "PATH: vports[1].vnet: ..." for validation (the validator's code),
// Unavailable for a file that exists but cannot be read.
absl::StatusOr<std::optional<v1::Config>> LoadConfigFile(const std::string& path);

// The text written for `config` (output-only fields are the caller's to
// clear).
std::string ConfigToText(const v1::Config& config);

// Replaces `path` atomically with `config` in text format, creating missing
// parent directories (mode 0755). Errors: Unavailable naming the path, the
// failed step and errno; the old file is then untouched and no temp file is
// left behind.
absl::Status WriteConfigFileAtomically(const v1::Config& config, const std::string& path);

}  // namespace vswitch::control
