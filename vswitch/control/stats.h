// SPDX-License-Identifier: Apache-2.0
//
// Sums the workers' per-lcore counters into the RPC's Stats. "Clear" and
// a port id being reused are handled with baselines kept here: nobody but
// a counter's owning lcore ever writes it.
// Thread: control side (callers serialise).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <rte_mempool.h>

#include "vswitch/api/vswitch.pb.h"
#include "vswitch/dataplane/lcore_stats.h"
#include "vswitch/dataplane/snapshot.h"

namespace vswitch::control {

struct PortRef {
  std::string name;
  uint32_t vport_id;
  uint16_t port_id;
};

// A TAP session or destination and its counter slot.
struct SlotRef {
  std::string name;
  uint32_t id;
  uint16_t slot;
};

// A remote VTEP, its counter slot, and what GetStats shows beside them.
struct VtepRef {
  uint32_t ip;  // Host order.
  uint16_t slot;
  uint32_t remote_ports;
  std::string state;  // As Neighbor.state.
};

struct WorkerRef {
  uint32_t lcore_id;
  std::string role;
};

class StatsCollector {
 public:
  // `lcores[w]` is worker w's counters; they and `pools` outlive this object.
  StatsCollector(std::vector<const dataplane::LcoreStats*> lcores, std::vector<WorkerRef> workers,
                 std::vector<const rte_mempool*> pools = {});

  v1::Stats Collect(const std::vector<PortRef>& ports, const std::vector<SlotRef>& sessions,
                    const std::vector<SlotRef>& destinations,
                    const std::vector<VtepRef>& vteps = {}) const;
  // Everything reads zero afterwards.
  void Clear();
  // A new vport took `port_id`: its counters start from zero.
  void ResetPort(uint16_t port_id);
  // A new session / destination took a slot: its counters start from zero.
  void ResetSessionSlot(uint16_t slot);
  void ResetDestinationSlot(uint16_t slot);
  // A VTEP took a slot: its counters start from zero.
  void ResetVtepSlot(uint16_t slot);

 private:
  struct PortSums {
    uint64_t rx_packets = 0, rx_bytes = 0, tx_packets = 0, tx_bytes = 0;
    uint64_t drops[dataplane::kNumDropReasons] = {};
    // The ethdev's own counters (rte_eth_stats_get).
    uint64_t rx_nombuf = 0, rx_missed = 0, rx_errors = 0, tx_errors = 0;
  };
  struct LcoreSums {
    uint64_t busy = 0, idle = 0, bursts = 0, rx_packets = 0, learn_events = 0,
             learn_ring_full = 0;
  };
  using MirrorSums = std::array<uint64_t, 10>;
  PortSums SumPort(uint16_t port) const;
  // which: 0 = sessions, 1 = destinations.
  MirrorSums SumMirror(int which, uint16_t slot) const;
  static void FillMirror(const MirrorSums& now, const MirrorSums& base, v1::MirrorCounters* out);
  static LcoreSums SumLcore(const dataplane::LcoreStats& s);
  // rx_packets, rx_bytes, tx_packets, tx_bytes, replicated.
  using VtepSums = std::array<uint64_t, 5>;
  VtepSums SumVtep(uint16_t slot) const;

  std::vector<const dataplane::LcoreStats*> lcores_;
  std::vector<WorkerRef> workers_;
  std::vector<const rte_mempool*> pools_;
  std::array<PortSums, dataplane::kMaxPorts> port_base_{};
  std::vector<LcoreSums> lcore_base_;
  std::array<MirrorSums, dataplane::kMirrorSlots> session_base_{};
  std::array<MirrorSums, dataplane::kMirrorSlots> dest_base_{};
  std::vector<VtepSums> vtep_base_ = std::vector<VtepSums>(dataplane::kVtepSlots);
};

}  // namespace vswitch::control
