// SPDX-License-Identifier: Apache-2.0
//
// ConfigStore: static neighbors and the ARP entry points of the main loop
// (the neighbor table and frames are ArpEngine's).
#include <glog/logging.h>

#include "absl/strings/str_format.h"
#include "lib/net/mac_address.h"
#include "lib/status/status_macros.h"
#include "vswitch/control/config_store.h"
#include "vswitch/control/validator.h"

namespace vswitch::control {

absl::StatusOr<v1::Neighbor> ConfigStore::SetNeighbor(const v1::Neighbor& req) {
  absl::ReleasableMutexLock lock(&mu_);
  v1::Neighbor n = req;
  n.clear_state();
  v1::Config candidate = config_;
  // Setting an existing static neighbor replaces it.
  candidate.clear_neighbors();
  for (const auto& old : config_.neighbors()) {
    if (old.ip() != n.ip()) {
      *candidate.add_neighbors() = old;
    }
  }
  VS_RETURN_IF_ERROR(ValidateNeighbor(n, candidate, "neighbor."));
  n.set_mac(net::FormatMac(*net::ParseMac(n.mac())));
  *candidate.add_neighbors() = n;
  VS_RETURN_IF_ERROR(Commit(std::move(candidate)));
  n.set_state("STATIC");
  VS_RETURN_IF_ERROR(ReleaseAndWaitDurable(lock));
  return n;
}

absl::Status ConfigStore::DeleteNeighbor(const std::string& ip) {
  absl::ReleasableMutexLock lock(&mu_);
  v1::Config candidate = config_;
  candidate.clear_neighbors();
  bool found = false;
  for (const auto& n : config_.neighbors()) {
    if (n.ip() == ip) {
      found = true;
    } else {
      *candidate.add_neighbors() = n;
    }
  }
  if (!found) {
    return absl::NotFoundError(absl::StrFormat("ip: no static neighbor %s", ip));
  }
  VS_RETURN_IF_ERROR(Commit(std::move(candidate)));
  return ReleaseAndWaitDurable(lock);
}

v1::ListNeighborsResponse ConfigStore::ListNeighbors() const {
  absl::MutexLock lock(&mu_);
  return arp_.List(config_);
}

// ------------------------------------------------------------------- ARP

void ConfigStore::HandleArpFrames(rte_mbuf** frames, unsigned n, absl::Time now) {
  absl::MutexLock lock(&mu_);
  if (arp_.HandleFrames(config_, runtime_, frames, n, now)) {
    LOG(INFO) << "next hops resolved or changed; republishing";
    absl::Status st = Commit(config_);
    LOG_IF(WARNING, !st.ok()) << "publishing next hops failed: " << st;
  }
}

void ConfigStore::TickArp(absl::Time now) {
  absl::MutexLock lock(&mu_);
  if (arp_.Expire(now)) {
    LOG(WARNING) << "a next hop stopped answering ARP; its mirror copies are dropped (no_next_hop)";
    absl::Status st = Commit(config_);
    LOG_IF(WARNING, !st.ok()) << "publishing expired next hops failed: " << st;
  }
  arp_.SendDue(config_, runtime_, now);
}

}  // namespace vswitch::control
