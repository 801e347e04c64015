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
  // Outer headers of head-end replicas (chained in front of the shared
  // frame). Null: BUM frames are not replicated to VTEPs.
  rte_mempool* header_pool = nullptr;
  // Mirror copies for collector VMs on this host, from the encap worker
  // (EncapWorker's local_ring); set for one forwarding worker only.
  rte_ring* local_copies = nullptr;
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

  // Hot path. Sends the encap worker's copies for local collector VMs (each
  // to its mbuf->port) on this worker's queues. Returns how many it took.
  uint32_t SendLocalCopies(const Snapshot& snap);

  // Gives back what only a busy lcore needs to hold (the mirror stash).
  void ReleaseIdle() { mirror_.ReleaseStash(); }

  const FlowCache& cache() const { return cache_; }

 private:
  // Computes actions for the packets the cache missed, and caches them.
  void SlowPath(const Snapshot& snap, uint16_t in_port, uint16_t vnet_index,
                rte_mbuf* const* pkts, const PacketKey* keys, const Ipv6Addrs* addrs6,
                const uint32_t* hashes,
                const uint16_t* miss, uint16_t n_miss, Action* actions, uint64_t now_tsc);
  void DropAll(uint16_t in_port, rte_mbuf** pkts, uint16_t n, DropReason reason);
  void Count(uint16_t port, DropReason reason, uint64_t n = 1) {
    stats_->ports[port].drops[static_cast<int>(reason)].Add(n);
  }

  // Overlay (forwarder_overlay.cc). What the uplink receives: ARP to the
  // main lcore, VXLAN from known VTEPs decapsulated and switched.
  void FromUplink(const Snapshot& snap, uint16_t in_port, rte_mbuf** pkts, uint16_t n,
                  const PacketKey* keys, uint64_t now_tsc);
  // Resolves (outer source, VNI) to (VTEP, VNet index); false if unknown
  // (the reason in *why).
  bool ResolveOuter(const Snapshot& snap, uint32_t src_ip_be, uint32_t vni, uint16_t* vtep,
                    uint16_t* vnet_index, DropReason* why);
  void SwitchDecapped(const Snapshot& snap, uint16_t uplink, rte_mbuf** pkts,
                      const uint16_t* vteps, const uint16_t* vnets, uint16_t n,
                      uint64_t now_tsc);
  Action DecapDecide(const Snapshot& snap, uint16_t vnet_index, const PacketKey& k,
                     const void* dst_data, bool dst_hit, const void* src_data, bool src_hit);
  void ExecuteDecapped(const Snapshot& snap, uint16_t uplink, uint16_t vnet_index, rte_mbuf* m,
                       const Action& a, uint64_t now_tsc);
  // Encapsulates `m` (a local VM's frame) to VTEP `vtep` and stages it on
  // the uplink; frees and counts it against `in_port` when it cannot go.
  void SendToVtep(const Snapshot& snap, uint16_t in_port, rte_mbuf* m, uint16_t vtep);
  // How many of the VNet's VTEPs a BUM frame of `len` bytes can be
  // replicated to now (resolved, fits the tunnel). Counts the rest.
  uint16_t ReplicasFor(const Snapshot& snap, uint16_t in_port, const VnetInfo& vnet,
                       uint32_t len);
  // Sends the replicas ReplicasFor allowed; each holds a reference to `m`.
  void Replicate(const Snapshot& snap, uint16_t in_port, rte_mbuf* m, const VnetInfo& vnet);
  // ARP suppression: the MAC of the request's target if the switch answers
  // it (request, known address, not the asker's own).
  bool ArpTarget(const Snapshot& snap, uint16_t vnet_index, const rte_mbuf* m, uint8_t* mac) const;
  void ReplyArp(const Snapshot& snap, uint16_t in_port, uint16_t vnet_index, rte_mbuf* m,
                const Action& a, uint64_t now_tsc);
  void SendLearn(const Snapshot& snap, uint16_t vnet_index, uint16_t port, const uint8_t* mac);
  void Execute(const Snapshot& snap, uint16_t in_port, rte_mbuf* m, const Action& a,
               uint64_t now_tsc);
  void Deliver(const Snapshot& snap, uint16_t out, rte_mbuf* m, uint32_t rx_match,
               uint64_t now_tsc);
  void Flood(const Snapshot& snap, uint16_t in_port, rte_mbuf* m, uint32_t rx_match,
             const VnetInfo& vnet, bool replicate, uint64_t now_tsc);

  FlowCache cache_;
  TxBatch tx_;
  MirrorStage mirror_;
  LcoreStats* stats_;
  rte_ring* learn_ring_;
  rte_ring* arp_ring_;
  rte_mempool* header_pool_;
  rte_ring* local_copies_;

  // (outer source, VNI) -> (VTEP, VNet) of recent decaps, valid for one
  // snapshot generation: two hash lookups per burst instead of per frame.
  struct OuterMemo {
    uint64_t generation = 0;
    uint32_t src_ip_be = 0;
    uint32_t vni = 0;
    uint16_t vtep = 0;
    uint16_t vnet_index = 0;
  };
  static constexpr uint32_t kOuterMemoSize = 64;
  OuterMemo outer_memo_[kOuterMemoSize];
};

}  // namespace vswitch::dataplane
