// SPDX-License-Identifier: Apache-2.0
//
// The forwarding stage of one worker: parse -> flow cache -> (slow path on
// miss: FDB, learning) -> stage TX. Stages run over the whole burst.
#pragma once

#include <cstdint>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "vswitch/dataplane/flow_cache.h"
#include "vswitch/dataplane/lcore_stats.h"
#include "vswitch/dataplane/mirror_stage.h"
#include "vswitch/dataplane/packet_key.h"
#include "vswitch/dataplane/snapshot.h"
#include "vswitch/dataplane/tx_batch.h"

namespace vswitch::dataplane {

inline constexpr uint16_t kPrefetchAhead = 3;

// What a worker's forwarder works with. Everything outlives the forwarder.
struct ForwarderContext {
  uint16_t worker = 0;       // Index among forwarding workers = its TX queue on every port.
  LcoreStats* stats = nullptr;
  rte_ring* learn_ring = nullptr;  // SPSC LearnEvents to the main lcore.
  rte_ring* arp_ring = nullptr;    // SPSC ARP frames from the uplink to the main lcore.
  rte_mempool* clone_pool = nullptr;  // Indirect mbufs for mirror copies.
  uint32_t flow_cache_entries = 65536;
};

// Thread: owning worker; hot path. Lifetime: the worker's. Not copyable
// (large per-lcore tables).
class Forwarder {
 public:
  explicit Forwarder(const ForwarderContext& ctx);
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  // Hot path. Takes ownership of pkts[0..n): each is staged for TX or freed.
  // n <= kMaxBurst. Call Flush() before the next burst.
  void HandleBurst(const Snapshot& snap, uint16_t in_port, rte_mbuf** pkts, uint16_t n,
                   uint64_t now_tsc);

  // Hot path. Hands the burst's mirror copies to their rings, then sends
  // what HandleBurst staged.
  void Flush() {
    mirror_.FlushCopies();
    tx_.Flush(stats_);
  }

  // Gives back what only a busy lcore needs to hold (the mirror stash).
  void ReleaseIdle() { mirror_.ReleaseStash(); }

  const FlowCache& cache() const { return cache_; }

 private:
  // Computes actions for the packets the cache missed, and caches them.
  void SlowPath(const Snapshot& snap, uint16_t in_port, uint16_t vnet_index,
                rte_mbuf* const* pkts, const PacketKey* keys, const uint32_t* hashes,
                const uint16_t* miss, uint16_t n_miss, Action* actions, uint64_t now_tsc);
  void DropAll(uint16_t in_port, rte_mbuf** pkts, uint16_t n, DropReason reason);
  void FromUplink(uint16_t in_port, rte_mbuf** pkts, uint16_t n, const PacketKey* keys);
  void SendLearn(const Snapshot& snap, uint16_t vnet_index, uint16_t port, const uint8_t* mac);
  void Execute(const Snapshot& snap, uint16_t in_port, rte_mbuf* m, const Action& a,
               uint64_t now_tsc);

  FlowCache cache_;
  TxBatch tx_;
  MirrorStage mirror_;
  LcoreStats* stats_;
  rte_ring* learn_ring_;
  rte_ring* arp_ring_;
};

}  // namespace vswitch::dataplane
