// SPDX-License-Identifier: Apache-2.0
//
// Compiles a validated configuration plus run-time state (DPDK ports of the
// vports, learned MACs) into an immutable dataplane::Snapshot.
// Thread: control side. Pure apart from allocating DPDK tables.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "vswitch/api/vswitch.pb.h"
#include "vswitch/control/mac_table.h"
#include "vswitch/dataplane/snapshot.h"

namespace vswitch::control {

// What the daemon made for one vport.
struct VportRuntime {
  uint16_t port_id = 0;
  std::string vdev_name;
  std::string mac;
  // queue_worker[q]: the forwarding worker that polls receive queue q.
  std::vector<uint16_t> queue_worker;
};

struct SnapshotInputs {
  const v1::Config* config = nullptr;
  // Keyed by vport name; every vport of `config` has one.
  const absl::flat_hash_map<std::string, VportRuntime>* runtime = nullptr;
  const MacTable* learned = nullptr;
  uint64_t generation = 1;
  uint16_t n_workers = 1;
  bool mac_learning = true;
  uint64_t learn_refresh_cycles = 0;
};

// Returns ResourceExhausted when DPDK cannot allocate the tables.
absl::StatusOr<std::unique_ptr<const dataplane::Snapshot>> BuildSnapshot(
    const SnapshotInputs& in);

}  // namespace vswitch::control
