// SPDX-License-Identifier: Apache-2.0
#include "vswitch/control/arp_resolver.h"

#include "absl/container/flat_hash_set.h"

namespace vswitch::control {

void ArpResolver::SetTargets(const std::vector<uint32_t>& ips) {
  absl::flat_hash_set<uint32_t> want(ips.begin(), ips.end());
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (!want.contains(it->first)) {
      entries_.erase(it++);
    } else {
      ++it;
    }
  }
  for (uint32_t ip : ips) {
    entries_.try_emplace(ip);
  }
}

bool ArpResolver::Learn(uint32_t ip, const Mac& mac, absl::Time now) {
  auto it = entries_.find(ip);
  if (it == entries_.end()) {
    return false;
  }
  Entry& e = it->second;
  e.last_seen = now;
  const bool changed = !e.resolved || e.mac != mac;
  e.resolved = true;
  e.mac = mac;
  return changed;
}

std::vector<uint32_t> ArpResolver::Due(absl::Time now) {
  std::vector<uint32_t> out;
  for (auto& [ip, e] : entries_) {
    const absl::Duration every = e.resolved ? kRefresh : kRetry;
    if (now - e.last_request >= every) {
      if (e.first_request == absl::InfinitePast()) {
        e.first_request = now;
      }
      e.last_request = now;
      out.push_back(ip);
    }
  }
  return out;
}

std::vector<uint32_t> ArpResolver::WarnDue(absl::Time now) {
  std::vector<uint32_t> out;
  for (auto& [ip, e] : entries_) {
    if (!e.resolved && e.first_request != absl::InfinitePast() &&
        now - e.first_request >= kWarnAfter && now - e.last_warning >= absl::Minutes(1)) {
      e.last_warning = now;
      out.push_back(ip);
    }
  }
  return out;
}

bool ArpResolver::Expire(absl::Time now) {
  bool changed = false;
  for (auto& [ip, e] : entries_) {
    if (e.resolved && now - e.last_seen > kExpiry) {
      e.resolved = false;
      e.first_request = now;  // Warn again if it stays silent.
      changed = true;
    }
  }
  return changed;
}

}  // namespace vswitch::control
