// SPDX-License-Identifier: Apache-2.0
//
// vswitch-fleet's commands: the fleet's desired state in etcd, written
// with optimistic transactions (read at R, check the fleet's rules on the
// result, write if nothing changed since R) and shown per host.
#pragma once

#include <ostream>
#include <span>
#include <string>

#include "lib/etcd/etcd_client.h"
#include "vswitch/shell/command_table.h"

namespace vswitch::fleettool {

// The grammar and help of every command (vsctl's for vnet, destination
// and tap-session, so both take the same arguments).
shell::CommandTable FleetCommands();

class FleetTool {
 public:
  FleetTool(etcd::Client* etcd, std::ostream& out, std::ostream& err, bool json);

  // One command line: `help [WORDS]` or a command. Exit codes as vsctl's:
  // 0 done, 1 refused or etcd failed, 2 bad command line.
  int Execute(std::span<const std::string> words);

 private:
  etcd::Client* etcd_;
  std::ostream& out_;
  std::ostream& err_;
  bool json_;
  shell::CommandTable table_;
};

}  // namespace vswitch::fleettool
