// SPDX-License-Identifier: Apache-2.0
//
// Routes DPDK's log (rte_log) into glog, one glog line per DPDK message.
#pragma once

namespace vswitch::app {

// Call before rte_eal_init. Thread: main, once.
void RouteDpdkLogToGlog();

}  // namespace vswitch::app
