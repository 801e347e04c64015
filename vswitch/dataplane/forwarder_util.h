// SPDX-License-Identifier: Apache-2.0
//
// Small hot-path helpers shared by the forwarder's local path
// (forwarder.cc) and its overlay path (forwarder_overlay.cc).
#pragma once

#include <cstdint>
#include <cstring>

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_mbuf.h>

#include "vswitch/dataplane/flow_cache.h"
#include "vswitch/dataplane/parser.h"
#include "vswitch/dataplane/snapshot.h"
#include "vswitch/dataplane/tx_batch.h"

namespace vswitch::dataplane {

// Flow-cache keys of frames decapsulated from the overlay: in_port is this
// bit plus the VNet index, so they never collide with a local port's flows
// and each VNet has its own.
inline constexpr uint16_t kOverlayKeyPort = 0x8000;

inline bool IsMulticast(const uint8_t* mac) { return (mac[0] & 0x01) != 0; }

inline bool IsZero(const uint8_t* mac) {
  return (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0;
}

inline Action Drop(DropReason r) { return Action{.kind = ActionKind::kDrop, .drop_reason = r}; }

// The Ethernet/IPv4 ARP header of `m` (after up to kMaxVlanTags tags), or
// null when it is short or of another kind.
inline rte_arp_hdr* ArpHeaderOf(rte_mbuf* m) {
  uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
  const uint32_t len = m->data_len;
  uint32_t off = 12;
  for (int i = 0; i <= kMaxVlanTags && len >= off + 2; ++i) {
    uint16_t et;
    std::memcpy(&et, p + off, 2);
    off += 2;
    if (et != RTE_BE16(RTE_ETHER_TYPE_VLAN) && et != RTE_BE16(RTE_ETHER_TYPE_QINQ)) {
      break;
    }
    off += 2;
  }
  if (len < off + sizeof(rte_arp_hdr)) {
    return nullptr;
  }
  auto* arp = reinterpret_cast<rte_arp_hdr*>(p + off);
  if (arp->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
      arp->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) || arp->arp_hlen != 6 ||
      arp->arp_plen != 4) {
    return nullptr;
  }
  return arp;
}

// Hot path. An entry cached under an older snapshot is still right when
// nothing it was decided on changed since: no change outside the FDB, and
// none in the FDB buckets of its MACs. It then takes the current tag, so the
// next packets of the flow pay one compare again.
inline bool StillValid(const Snapshot& snap, uint16_t vnet_index, FlowEntry* e) {
  const uint64_t t = e->generation;
  if (t > snap.cache_tag || t < snap.struct_tag ||
      t < snap.fdb_epoch[FdbEpochBucket(vnet_index, e->key.dst_mac)] ||
      t < snap.fdb_epoch[FdbEpochBucket(vnet_index, e->key.src_mac)]) {
    return false;
  }
  e->generation = snap.cache_tag;
  return true;
}

// A frame held once per output (local ports, replicas): every segment
// takes the references, since freeing a chain walks all of its segments.
inline void AddReferences(rte_mbuf* m, int16_t n) {
  for (rte_mbuf* seg = m; seg != nullptr; seg = seg->next) {
    rte_mbuf_refcnt_update(seg, n);
  }
}

// Hot path (misses only). The FDB entries of the destination and source
// MACs of keys[miss[j]] for j < n, each in VNet vnet_of(j): two bulk
// lookups; bit j of dst_hits / src_hits says whether data[j] is set.
struct FdbPairs {
  uint64_t dst_hits = 0;
  uint64_t src_hits = 0;
  void* dst_data[kMaxBurst];
  void* src_data[kMaxBurst];

  template <typename VnetOf>
  void Lookup(const rte_hash* fdb, const PacketKey* keys, const uint16_t* miss, uint16_t n,
              VnetOf vnet_of) {
    FdbKey dst_keys[kMaxBurst];
    FdbKey src_keys[kMaxBurst];
    const void* dst_ptrs[kMaxBurst];
    const void* src_ptrs[kMaxBurst];
    for (uint16_t j = 0; j < n; ++j) {
      const PacketKey& k = keys[miss[j]];
      dst_keys[j].vnet_index = vnet_of(j);
      std::memcpy(dst_keys[j].mac, k.dst_mac, 6);
      src_keys[j].vnet_index = dst_keys[j].vnet_index;
      std::memcpy(src_keys[j].mac, k.src_mac, 6);
      dst_ptrs[j] = &dst_keys[j];
      src_ptrs[j] = &src_keys[j];
    }
    rte_hash_lookup_bulk_data(fdb, dst_ptrs, n, &dst_hits, dst_data);
    rte_hash_lookup_bulk_data(fdb, src_ptrs, n, &src_hits, src_data);
  }
  bool DstHit(uint16_t j) const { return (dst_hits >> j) & 1; }
  bool SrcHit(uint16_t j) const { return (src_hits >> j) & 1; }
  uintptr_t Dst(uint16_t j) const { return reinterpret_cast<uintptr_t>(dst_data[j]); }
  uintptr_t Src(uint16_t j) const { return reinterpret_cast<uintptr_t>(src_data[j]); }
};

}  // namespace vswitch::dataplane
