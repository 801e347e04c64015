// SPDX-License-Identifier: Apache-2.0
//
// Real ethdev ports for tests: net_ring vdevs. A net_ring port made without
// arguments has one rte_ring per queue pair, shared by RX and TX: what port
// X sends on queue 0 is what port X receives on queue 0.
#pragma once

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace vswitch::testing {

// Probes vdev `name` (e.g. "net_ring_fwd0"), configures 1 RX and 1 TX queue
// with `pool`, starts it and returns its port id.
absl::StatusOr<uint16_t> StartRingPort(const std::string& name, rte_mempool* pool);

// Stops, closes and removes the vdev.
void StopRingPort(uint16_t port_id, const std::string& name);

// Everything waiting on RX queue 0 of `port_id`. The caller frees the mbufs.
std::vector<rte_mbuf*> DrainPort(uint16_t port_id);

// Frees every mbuf of `pkts`.
void FreeAll(const std::vector<rte_mbuf*>& pkts);

}  // namespace vswitch::testing
