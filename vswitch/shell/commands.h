// SPDX-License-Identifier: Apache-2.0
//
// The vswitch command set: every vsctl command, its grammar, its help and
// the one RPC it makes. vsctl and `vswitchd --interactive` both run it.
#pragma once

#include "vswitch/shell/command_table.h"

namespace vswitch::shell {

// Builds the table. Cheap; call once per process.
CommandTable VSwitchCommands();

}  // namespace vswitch::shell
