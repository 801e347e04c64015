// SPDX-License-Identifier: Apache-2.0
//
// MAC addresses learned from traffic, with aging. Workers report sources
// through LearnEvents; the main lcore applies them here and republishes the
// snapshot only when a decision changes (a new or moved MAC).
// Thread: control side, under ConfigStore's mutex.
#pragma once

#include <cstdint>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"

namespace vswitch::control {

class MacTable {
 public:
  struct Entry {
    uint16_t port;
    absl::Time last_seen;
  };
  using Key = std::pair<uint32_t, uint64_t>;  // (VNet id, MAC as u64)

  // Records that `mac` was seen on `port`. Returns true when this changes a
  // forwarding decision (the MAC is new or moved).
  bool Learn(uint32_t vnet_id, uint64_t mac, uint16_t port, absl::Time now);
  // Drops entries not seen for `max_age`. Returns how many.
  size_t Age(absl::Time now, absl::Duration max_age);
  // Drops entries of a VNet (vnet_id) or a port; returns how many.
  size_t RemoveVNet(uint32_t vnet_id);
  size_t RemovePort(uint16_t port);
  void Clear() { entries_.clear(); }
  bool Remove(uint32_t vnet_id, uint64_t mac) { return entries_.erase(Key{vnet_id, mac}) > 0; }

  const absl::flat_hash_map<Key, Entry>& entries() const { return entries_; }

 private:
  absl::flat_hash_map<Key, Entry> entries_;
};

}  // namespace vswitch::control
