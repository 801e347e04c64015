// SPDX-License-Identifier: Apache-2.0
//
// The text file of `load remote-ports FILE`: one remote port a line,
//   VNET MAC VTEP [IP]...
// words separated by spaces or tabs, '#' to the end of a line a comment,
// blank lines ignored. Only the shape is checked here (enough words); MACs,
// addresses and limits are the daemon's to validate, once, for the whole
// file (ReplaceRemotePorts). Thread: any; pure functions.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "vswitch/api/vswitch.pb.h"

namespace vswitch::shell {

struct RemotePortsFile {
  // The request's ports, in file order.
  std::vector<v1::RemotePort> ports;
  // lines[i] is the 1-based line of ports[i], to point at it when the
  // daemon names `ports[i]` in an error.
  std::vector<int> lines;
  // Lines of other VNets left out because `vnet` was given.
  int skipped = 0;
};

// Parses `text`, the contents of `path` (named in errors as
// "PATH:LINE: ..."). With a non-empty `vnet`, only that VNet's lines are
// kept (the others are counted in `skipped`).
absl::StatusOr<RemotePortsFile> ParseRemotePorts(const std::string& text, const std::string& path,
                                                 const std::string& vnet);

// Reads and parses `path`. Errors: those of ParseRemotePorts, or
// "PATH: cannot read: ...".
absl::StatusOr<RemotePortsFile> ReadRemotePortsFile(const std::string& path,
                                                    const std::string& vnet);

// The daemon's error message for a ReplaceRemotePorts built from `file`,
// with " (PATH:LINE)" appended when it names the request's `ports[i]` of a
// port of the file; else `message` unchanged.
std::string WithFileLine(const std::string& message, const RemotePortsFile& file,
                         const std::string& path);

}  // namespace vswitch::shell
