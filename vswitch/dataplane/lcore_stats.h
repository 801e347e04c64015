// SPDX-License-Identifier: Apache-2.0
//
// Per-lcore counters. Each LcoreStats has exactly one writer (its lcore); the
// main lcore reads them with relaxed loads and sums. A writer adds with a
// relaxed load + store: race-free for the reader, and no locked instruction.
#pragma once

#include <atomic>
#include <cstdint>

#include <rte_config.h>

#include "vswitch/dataplane/drop_reasons.h"

namespace vswitch::dataplane {

// Thread: one writer (owning lcore), any reader.
class Counter {
 public:
  void Add(uint64_t n) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  uint64_t Load() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

// Counters of one DPDK port as seen by one lcore.
struct alignas(64) PortCounters {
  Counter rx_packets;
  Counter rx_bytes;
  Counter tx_packets;
  Counter tx_bytes;
  Counter drops[kNumDropReasons];
};

// Mirror counters of one TAP session or destination slot, as one lcore saw
// them. Forwarding lcores write the first four, the encap worker the rest.
struct MirrorSlotCounters {
  Counter matched;
  Counter cloned;
  Counter ring_full;
  Counter clone_failed;
  Counter rate_limited;
  Counter no_next_hop;
  Counter truncated;
  Counter tx_dropped;
  Counter sent_packets;
  Counter sent_bytes;
};

inline constexpr int kMirrorSlots = 32;  // = kMaxSessions = kMaxDestinations.

// Overlay counters of one remote VTEP (slot = its index in Snapshot::vteps).
struct VtepCounters {
  Counter rx_packets;  // Frames decapsulated from it (also those then dropped).
  Counter rx_bytes;    // Their inner bytes.
  Counter tx_packets;  // Encapsulated frames sent to it (replicas included).
  Counter tx_bytes;    // Their outer bytes.
  Counter replicated;  // Of tx_packets: head-end replicas of BUM frames.
};

inline constexpr int kVtepSlots = 4096;  // = kMaxVteps.

// Counters of one lcore. Lifetime: the whole process (allocated at start,
// indexed by worker).
struct alignas(64) LcoreStats {
  PortCounters ports[RTE_MAX_ETHPORTS];
  alignas(64) Counter busy_cycles;  // TSC cycles of loop iterations that got packets.
  Counter idle_cycles;              // TSC cycles of empty iterations (sleep included).
  Counter bursts;                   // Non-empty RX bursts.
  Counter rx_packets;
  Counter learn_events;     // MAC learn/refresh events sent to the main lcore.
  Counter learn_ring_full;  // Events lost because the ring was full (retried later).
  Counter encap_cycles;     // TSC cycles spent in the encap worker (when it runs here).
  alignas(64) MirrorSlotCounters sessions[kMirrorSlots];
  alignas(64) MirrorSlotCounters dests[kMirrorSlots];
  alignas(64) VtepCounters vteps[kVtepSlots];
};

}  // namespace vswitch::dataplane
