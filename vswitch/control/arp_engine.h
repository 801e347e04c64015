// SPDX-License-Identifier: Apache-2.0
//
// The uplink's neighbor table: what ARP resolved (ArpResolver, owned here)
// merged with the configuration's static neighbors, and the ARP frames the
// main lcore sends and receives on the uplink. ConfigStore decides when a
// change is republished; this class only says that one happened.
// Thread: control side, under ConfigStore's mutex.
#pragma once

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "vswitch/api/vswitch.pb.h"
#include "vswitch/control/arp_resolver.h"
#include "vswitch/control/snapshot_builder.h"

namespace vswitch::control {

class ArpEngine {
 public:
  using Runtime = absl::flat_hash_map<std::string, VportRuntime>;

  // Frames come from `pool` (null: none are sent) and leave on the uplink's
  // main queue, UplinkMainQueue(n_workers).
  ArpEngine(rte_mempool* pool, uint16_t n_workers) : pool_(pool), n_workers_(n_workers) {}

  // Static neighbors of `config` over what ARP resolved.
  NeighborMap Neighbors(const v1::Config& config) const;

  // Which next hops `config` needs resolved by ARP: those of its
  // collectors and of its remote ports' VTEPs (`vteps`, the distinct VTEP
  // addresses; null: taken from `config`) that no static neighbor covers.
  void UpdateTargets(const v1::Config& config, const VtepSlotMap* vteps = nullptr);

  // The state of the next hop of underlay address `ip` (host order), as
  // Neighbor.state: STATIC, RESOLVED, INCOMPLETE or NO_ROUTE.
  std::string NextHopState(const v1::Config& config, uint32_t ip) const;

  // ARP frames received on the uplink (all freed here): learns senders and
  // answers requests for the uplink's IP. True when a next hop was resolved
  // or moved (the snapshot needs republishing).
  bool HandleFrames(const v1::Config& config, const Runtime& runtime, rte_mbuf** frames,
                    unsigned n, absl::Time now);

  // Unresolves next hops silent too long. True if any changed.
  bool Expire(absl::Time now) { return arp_.Expire(now); }

  // Sends the requests due now and warns about next hops that do not answer.
  void SendDue(const v1::Config& config, const Runtime& runtime, absl::Time now);

  // Static neighbors, ARP entries (collectors' and VTEPs' next hops), and
  // collectors and VTEPs the uplink cannot reach.
  v1::ListNeighborsResponse List(const v1::Config& config) const;

 private:
  // Sends one ARP frame (request or reply) on the uplink's main queue.
  void Send(const v1::Config& config, const Runtime& runtime, uint16_t op, uint32_t target_ip,
            const uint8_t* target_mac);

  rte_mempool* const pool_;
  const uint16_t n_workers_;
  ArpResolver arp_;
};

}  // namespace vswitch::control
