// SPDX-License-Identifier: Apache-2.0
//
// Per-lcore exact-match flow cache: PacketKey -> Action. 4-way set
// associative, one cache line per entry. An entry carries the snapshot cache
// tag it was filled (or last re-validated) under; the forwarder checks it
// against the current snapshot's tags (Snapshot::struct_tag, fdb_epoch), so
// a published change reaches every cached flow it can alter on the next
// packet, and leaves the others cached.
#pragma once

#include <cstdint>
#include <memory>

#include <rte_prefetch.h>

#include "vswitch/dataplane/drop_reasons.h"
#include "vswitch/dataplane/packet_key.h"

namespace vswitch::dataplane {

// kRemote: VXLAN to VTEP `out_port` (an index into Snapshot::vteps).
// kArpReply: the switch answers the ARP request (ARP suppression); never
// cached. A frame decapsulated from the overlay is only ever unicast to a
// local port, flooded to local ports or dropped.
enum class ActionKind : uint8_t { kDrop = 0, kUnicast, kFlood, kRemote, kArpReply };

struct Action {
  ActionKind kind = ActionKind::kDrop;
  DropReason drop_reason = DropReason::kUnknownPort;
  uint16_t out_port = 0;
  // A frame from the overlay: the VTEP its source MAC is bound to (kNoVtep:
  // none), since its key already names the VNet.
  uint16_t vnet_index = 0;
  // The source MAC is not a static entry of the in-port: keep telling the
  // main lcore it is alive (learning and aging).
  bool learn_src = false;
  // TAP sessions (bit = index in Snapshot::sessions) that take a TX copy
  // (frame sent by the in-port's VM) of this flow.
  uint32_t tx_sessions = 0;
  // Sessions whose filters accept this flow as an RX copy; ANDed at output
  // with each output port's RX sessions (one entry serves a whole flood).
  uint32_t rx_match = 0;
};

// One cache line. The learn time is kept in 32 bits to fit. An IPv6 key's
// addresses are in FlowCache's cold array beside it.
struct alignas(64) FlowEntry {
  PacketKey key;
  uint64_t generation;  // Snapshot cache tag it is valid for; 0 = empty.
  uint32_t learn_time;  // TSC >> kLearnTimeShift of the last learn event sent.
  uint32_t hash;
  Action action;
};

// Learn times are stored as TSC >> 16: 32 bits then cover ~30 hours at
// 2.6 GHz, far more than any refresh interval, and wrap-safe differences.
inline constexpr int kLearnTimeShift = 16;
static_assert(sizeof(FlowEntry) == 64);

// Thread: owning worker only; hot path. Lifetime: the worker's.
class FlowCache {
 public:
  static constexpr uint32_t kWays = 4;

  // `entries` is rounded up to a power of two, at least kWays.
  explicit FlowCache(uint32_t entries);

  // Hot path. Starts loading the bucket of `hash` (its first way, where a
  // lightly loaded bucket keeps its entry): issued a burst ahead of Find,
  // it hides the cache-miss of a table larger than L1 (5-tuple keys, 1M flows).
  // An IPv6 key also starts loading the first way's addresses.
  void Prefetch(const PacketKey& key, uint32_t hash) const {
    const uint32_t first = (hash & bucket_mask_) * kWays;
    rte_prefetch0(&entries_[first]);
    if ((key.flags & kKeyIpv6) != 0) {
      rte_prefetch0(&addrs6_[first]);
    }
  }

  // Hot path. Returns the entry for `key` (of whatever tag), or null. Empty
  // entries never match: their key is all zero, a parsed key never is.
  // `addrs` are the key's IPv6 addresses, read only if it has kKeyIpv6.
  FlowEntry* Find(const PacketKey& key, const Ipv6Addrs& addrs, uint32_t hash) {
    const uint32_t first = (hash & bucket_mask_) * kWays;
    FlowEntry* bucket = &entries_[first];
    // One loop per kind: a test of the flag inside the loop cost IPv4 and
    // L2 hits 10 % (BM_FlowCacheHit).
    if ((key.flags & kKeyIpv6) == 0) {
      for (uint32_t w = 0; w < kWays; ++w) {
        if (bucket[w].hash == hash && bucket[w].key.Equals(key)) {
          return &bucket[w];
        }
      }
      return nullptr;
    }
    for (uint32_t w = 0; w < kWays; ++w) {
      if (bucket[w].hash == hash && bucket[w].key.Equals(key) && addrs6_[first + w].Equals(addrs)) {
        return &bucket[w];
      }
    }
    return nullptr;
  }

  // Hot path. The entry for `key` if it carries exactly tag `generation`.
  FlowEntry* Lookup(uint64_t generation, const PacketKey& key, const Ipv6Addrs& addrs,
                    uint32_t hash) {
    FlowEntry* e = Find(key, addrs, hash);
    return e != nullptr && e->generation == generation ? e : nullptr;
  }

  // Hot path. Stores an entry under tag `generation`: over the entry of the
  // same key if any (so there is at most one per key), else over one older
  // than `stale_before` (default: any older tag) or empty, else over the
  // next way in round-robin order.
  FlowEntry* Insert(uint64_t generation, const PacketKey& key, const Ipv6Addrs& addrs,
                    uint32_t hash, const Action& action, uint64_t now_tsc) {
    return Insert(generation, key, addrs, hash, action, now_tsc, generation);
  }
  FlowEntry* Insert(uint64_t generation, const PacketKey& key, const Ipv6Addrs& addrs,
                    uint32_t hash, const Action& action, uint64_t now_tsc,
                    uint64_t stale_before) {
    const uint32_t first = (hash & bucket_mask_) * kWays;
    FlowEntry* bucket = &entries_[first];
    uint32_t v = kWays;
    for (uint32_t w = 0; w < kWays && v == kWays; ++w) {
      if (bucket[w].hash == hash && bucket[w].key.Equals(key) && AddrsMatch(first + w, key, addrs)) {
        v = w;
      }
    }
    for (uint32_t w = 0; w < kWays && v == kWays; ++w) {
      if (bucket[w].generation < stale_before) {
        v = w;
      }
    }
    if (v == kWays) {
      v = next_victim_++ % kWays;
    }
    FlowEntry* victim = &bucket[v];
    if ((key.flags & kKeyIpv6) != 0) {
      addrs6_[first + v] = addrs;
    }
    victim->key = key;
    victim->generation = generation;
    victim->learn_time = static_cast<uint32_t>(now_tsc >> kLearnTimeShift);
    victim->hash = hash;
    victim->action = action;
    return victim;
  }

  uint32_t capacity() const { return (bucket_mask_ + 1) * kWays; }

 private:
  // After the hash and key matched: IPv4 and L2 keys pay one flag test,
  // IPv6 ones a 32-byte compare in a second line.
  bool AddrsMatch(uint32_t i, const PacketKey& key, const Ipv6Addrs& addrs) const {
    return (key.flags & kKeyIpv6) == 0 || addrs6_[i].Equals(addrs);
  }

  std::unique_ptr<FlowEntry[]> entries_;
  std::unique_ptr<Ipv6Addrs[]> addrs6_;  // Parallel to entries_; cold.
  uint32_t bucket_mask_;
  uint32_t next_victim_ = 0;
};

}  // namespace vswitch::dataplane
