// SPDX-License-Identifier: Apache-2.0
//
// Next-hop resolution for the uplink: which underlay IPs need a MAC, what
// ARP said, when to ask again. Pure logic; ArpEngine sends and receives
// the frames. Thread: control side, under ConfigStore's mutex.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"

namespace vswitch::control {

class ArpResolver {
 public:
  using Mac = std::array<uint8_t, 6>;
  static constexpr absl::Duration kRetry = absl::Seconds(1);
  // A collector whose MAC changed (new NIC, failover) without a gratuitous
  // ARP is followed within this; one request per collector per period.
  static constexpr absl::Duration kRefresh = absl::Seconds(10);
  // A resolved next hop not heard from for this long (three unanswered
  // refreshes) is unresolved again.
  static constexpr absl::Duration kExpiry = absl::Seconds(35);
  // Unresolved this long after the first request: worth a warning.
  static constexpr absl::Duration kWarnAfter = absl::Seconds(3);

  // The IPs (host order) the current configuration needs. Others are
  // forgotten; new ones start unresolved.
  void SetTargets(const std::vector<uint32_t>& ips);

  // A reply (or any ARP frame) said `ip` is at `mac`. Returns true when a
  // target's resolution changed (new or moved MAC).
  bool Learn(uint32_t ip, const Mac& mac, absl::Time now);

  // Targets to ask for now; marks them asked.
  std::vector<uint32_t> Due(absl::Time now);

  // Unresolved targets that should be warned about now: unanswered for
  // kWarnAfter since the first request, then once a minute each.
  std::vector<uint32_t> WarnDue(absl::Time now);

  // Unresolves targets silent for kExpiry. Returns true if any changed.
  bool Expire(absl::Time now);

  struct Entry {
    bool resolved = false;
    Mac mac{};
    absl::Time first_request = absl::InfinitePast();
    absl::Time last_request = absl::InfinitePast();
    absl::Time last_seen = absl::InfinitePast();
    absl::Time last_warning = absl::InfinitePast();
  };
  const absl::flat_hash_map<uint32_t, Entry>& entries() const { return entries_; }

 private:
  absl::flat_hash_map<uint32_t, Entry> entries_;
};

}  // namespace vswitch::control
