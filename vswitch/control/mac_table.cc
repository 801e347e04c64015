// SPDX-License-Identifier: Apache-2.0
#include "vswitch/control/mac_table.h"

namespace vswitch::control {
namespace {

template <typename Map, typename Pred>
size_t EraseIf(Map& m, Pred pred) {
  size_t n = 0;
  for (auto it = m.begin(); it != m.end();) {
    if (pred(*it)) {
      m.erase(it++);
      ++n;
    } else {
      ++it;
    }
  }
  return n;
}

}  // namespace

bool MacTable::Learn(uint32_t vnet_id, uint64_t mac, uint16_t port, absl::Time now) {
  auto [it, inserted] = entries_.try_emplace(Key{vnet_id, mac}, Entry{port, now});
  if (inserted) {
    return true;
  }
  it->second.last_seen = now;
  if (it->second.port != port) {
    it->second.port = port;
    return true;
  }
  return false;
}

size_t MacTable::Age(absl::Time now, absl::Duration max_age) {
  return EraseIf(entries_, [&](const auto& kv) { return now - kv.second.last_seen > max_age; });
}

size_t MacTable::RemoveVNet(uint32_t vnet_id) {
  return EraseIf(entries_, [&](const auto& kv) { return kv.first.first == vnet_id; });
}

size_t MacTable::RemovePort(uint16_t port) {
  return EraseIf(entries_, [&](const auto& kv) { return kv.second.port == port; });
}

}  // namespace vswitch::control
