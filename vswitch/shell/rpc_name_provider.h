// SPDX-License-Identifier: Apache-2.0
//
// The NameProvider of the interactive shell: asks the daemon for the names
// of live objects with its List RPCs (ListVNets, ListVPorts,
// ListMirrorDestinations, ListTapSessions), one call per completion, so the
// names are always current. Thread: the shell's. Lifetime: borrows `client`.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "vswitch/shell/client.h"
#include "vswitch/shell/completer.h"

namespace vswitch::shell {

class RpcNameProvider : public NameProvider {
 public:
  // A completion must not hang the prompt when the daemon is away.
  static constexpr std::chrono::milliseconds kDeadline{2000};

  explicit RpcNameProvider(Client& client) : client_(client) {}

  // Empty for other types and when the RPC fails.
  std::vector<std::string> Names(ValueType type) override;

 private:
  Client& client_;
};

}  // namespace vswitch::shell
