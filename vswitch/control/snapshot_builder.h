// SPDX-License-Identifier: Apache-2.0
//
// Compiles a validated configuration plus run-time state (DPDK ports of the
// vports, learned MACs) into an immutable dataplane::Snapshot.
// Thread: control side. Pure apart from allocating DPDK tables.
#pragma once

#include <array>
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
  uint32_t max_frame = UINT32_MAX;  // PortInfoOut::max_frame.
};

// MAC of an underlay next hop, by IPv4 address (host order): static
// neighbors and ARP results, merged by the caller.
using NeighborMap = absl::flat_hash_map<uint32_t, std::array<uint8_t, 6>>;

// The SPSC rings of one destination, one per forwarding worker, and for a
// pcapng destination its file writer (owned by ConfigStore, freed with the
// rings).
struct DestRings : std::array<rte_ring*, dataplane::kMaxWorkers> {
  dataplane::PcapngWriter* pcapng = nullptr;
};

// Stable VTEP counter slots (indexes into Snapshot::vteps) by VTEP IPv4
// address (host order).
using VtepSlotMap = absl::flat_hash_map<uint32_t, uint16_t>;

// The slots of the VTEPs of `config`'s remote ports: those in `previous`
// keep theirs, new ones take the lowest free slots (appended to
// `new_slots`, whose counters must restart from zero). ResourceExhausted
// beyond kMaxVteps (the validator refuses that first).
absl::StatusOr<VtepSlotMap> AssignVtepSlots(const v1::Config& config, const VtepSlotMap& previous,
                                            std::vector<uint16_t>* new_slots);

struct SnapshotInputs {
  const v1::Config* config = nullptr;
  // Keyed by vport name; every vport of `config` has one.
  const absl::flat_hash_map<std::string, VportRuntime>* runtime = nullptr;
  const MacTable* learned = nullptr;
  uint64_t generation = 1;
  uint16_t n_workers = 1;
  bool mac_learning = true;
  uint64_t learn_refresh_cycles = 0;
  // TAP: stable counter slots by session / destination id, rings by
  // destination id, resolved next hops.
  const absl::flat_hash_map<uint32_t, uint16_t>* session_slots = nullptr;
  const absl::flat_hash_map<uint32_t, uint16_t>* dest_slots = nullptr;
  const absl::flat_hash_map<uint32_t, DestRings>* dest_rings = nullptr;
  const NeighborMap* neighbors = nullptr;
  // Overlay: every VTEP of the remote ports has a slot here. Null: slots are
  // assigned as by AssignVtepSlots with no previous ones (tests, benches).
  const VtepSlotMap* vtep_slots = nullptr;
  // The snapshot in use (null at start): parts unchanged since it keep their
  // flow-cache tags.
  const dataplane::Snapshot* previous = nullptr;
};

// The underlay next hop for `collector` (host order): the collector itself
// when it is inside the uplink's prefix, else the gateway (0 if none).
uint32_t NextHopFor(const v1::UplinkConfig& uplink, uint32_t collector);

// Returns ResourceExhausted when DPDK cannot allocate the tables.
absl::StatusOr<std::unique_ptr<const dataplane::Snapshot>> BuildSnapshot(
    const SnapshotInputs& in);

}  // namespace vswitch::control
