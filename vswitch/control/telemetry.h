// SPDX-License-Identifier: Apache-2.0
//
// DPDK telemetry commands of the switch: /vswitch/ports, /vswitch/sessions,
// /vswitch/destinations, /vswitch/drops and /vswitch/lcores, each a dict built
// from ConfigStore::GetStats() (the same numbers, clear baselines included,
// as the GetStats RPC). Clients: dpdk-telemetry.py -f <file_prefix>, or the
// socket /var/run/dpdk/<file_prefix>/dpdk_telemetry.v2 directly. The EAL must
// run without --no-telemetry.
//
// DPDK 22.11 cannot unregister a command, so the callbacks read the store
// through a pointer guarded by a mutex: after UnregisterTelemetry() they
// answer null (the callback returns -1).
// Thread: Register/Unregister from the main lcore; the callbacks run on
// DPDK's telemetry thread. Lifetime: the store must outlive the interval
// between RegisterTelemetry() and UnregisterTelemetry().
#pragma once

namespace vswitch::control {

class ConfigStore;

// Points the telemetry commands at `store` (registering them with DPDK on
// the first call; later calls only swap the pointer). Call after
// rte_eal_init() and ConfigStore::Start(). Returns false (and logs) when
// DPDK refused a command, e.g. telemetry is disabled.
bool RegisterTelemetry(ConfigStore* store);

// The commands answer null from now on. Waits for a callback in progress, so
// the store may be shut down and destroyed once this returns.
void UnregisterTelemetry();

}  // namespace vswitch::control
