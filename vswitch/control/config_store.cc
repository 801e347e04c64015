// SPDX-License-Identifier: Apache-2.0
#include "vswitch/control/config_store.h"

#include <algorithm>
#include <optional>
#include <vector>

#include <rte_cycles.h>

#include <glog/logging.h>
#include <google/protobuf/util/message_differencer.h>

#include "absl/strings/str_format.h"
#include "lib/net/ipv4.h"
#include "lib/status/status_macros.h"
#include "vswitch/control/config_file.h"
#include "vswitch/control/config_lookup.h"
#include "vswitch/control/validator.h"

namespace vswitch::control {

ConfigStore::ConfigStore(const ConfigStoreOptions& opts, SnapshotPublisher* publisher,
                         PortManager* ports, StatsCollector* stats)
    : opts_(opts),
      publisher_(publisher),
      ports_(ports),
      stats_(stats),
      mirror_(opts.n_workers, opts.mirror_ring_size, opts.capture_dir),
      arp_(opts.pool, opts.n_workers),
      persister_(ConfigPersister::Hooks{
          .latest =
              [this] {
                absl::MutexLock lock(&mu_);
                return std::make_pair(change_seq_, config_);
              },
          .write =
              [path = opts.config_path](const v1::Config& c) {
                return WriteConfigFileAtomically(c, path);
              },
          .roll_back = [this](const v1::Config& durable) { return RollBack(durable); },
      }) {}

absl::Status ConfigStore::ReleaseAndWaitDurable(absl::ReleasableMutexLock& lock) {
  const uint64_t seq = change_seq_;
  lock.Release();
  return persister_.WaitDurable(seq);
}

uint64_t ConfigStore::RollBack(const v1::Config& durable) {
  absl::MutexLock lock(&mu_);
  persist_ = false;
  absl::StatusOr<uint64_t> r = ApplyConfigLocked(durable, /*restore=*/true);
  persist_ = true;
  LOG_IF(ERROR, !r.ok()) << "rolling back to the last written configuration failed; the "
                            "running configuration differs from the file: "
                         << r.status();
  return change_seq_;
}

absl::Status ConfigStore::Start() {
  absl::MutexLock lock(&mu_);
  return Commit(config_);
}

absl::Status ConfigStore::Commit(v1::Config candidate) {
  // Fields this schema does not know (a newer client's) have no meaning here,
  // and the text format cannot name them: kept, they would make the
  // persisted file unreadable at the next start.
  candidate.DiscardUnknownFields();
  VS_RETURN_IF_ERROR(ValidateConfig(candidate));
  SnapshotInputs in;
  in.config = &candidate;
  in.runtime = &runtime_;
  in.learned = &learned_;
  in.generation = generation_ + 1;
  in.n_workers = opts_.n_workers;
  in.mac_learning = opts_.mac_learning;
  in.learn_refresh_cycles =
      static_cast<uint64_t>(absl::ToDoubleSeconds(opts_.mac_aging) / 3 * rte_get_tsc_hz());
  const MirrorResources::State& mirror = mirror_.state();
  in.session_slots = &mirror.session_slots;
  in.dest_slots = &mirror.dest_slots;
  in.dest_rings = &mirror.dest_rings;
  std::vector<uint16_t> new_vtep_slots;
  VS_ASSIGN_OR_RETURN(VtepSlotMap vtep_slots,
                      AssignVtepSlots(candidate, vtep_slots_, &new_vtep_slots));
  // A reused slot's counters start from zero (taken before any worker can
  // count for the new VTEP).
  for (uint16_t slot : new_vtep_slots) {
    stats_->ResetVtepSlot(slot);
  }
  in.vtep_slots = &vtep_slots;
  const NeighborMap neighbors = arp_.Neighbors(candidate);
  in.neighbors = &neighbors;
  in.previous = publisher_->slot().Current();
  VS_ASSIGN_OR_RETURN(std::unique_ptr<const dataplane::Snapshot> snap, BuildSnapshot(in));
  publisher_->Publish(std::move(snap));
  ++generation_;
  // The change method writes the file after releasing mu_ (group commit).
  // Learned MACs and ARP results are not configuration: their commits leave
  // config_ as it is and write nothing.
  if (persist_ && !opts_.config_path.empty() &&
      !google::protobuf::util::MessageDifferencer::Equals(candidate, config_)) {
    ++change_seq_;
  }
  config_ = std::move(candidate);
  vtep_slots_ = std::move(vtep_slots);
  arp_.UpdateTargets(config_, &vtep_slots_);
  return absl::OkStatus();
}

// ------------------------------------------------------------------ stats

v1::Stats ConfigStore::GetStats() const {
  absl::MutexLock lock(&mu_);
  std::vector<PortRef> refs;
  for (const auto& vp : config_.vports()) {
    refs.push_back(PortRef{vp.name(), vp.id(), runtime_.at(vp.name()).port_id});
  }
  std::vector<SlotRef> sessions;
  for (const auto& s : config_.tap_sessions()) {
    sessions.push_back(SlotRef{s.name(), s.id(), mirror_.state().session_slots.at(s.id())});
  }
  std::vector<SlotRef> dests;
  for (const auto& d : config_.destinations()) {
    dests.push_back(SlotRef{d.name(), d.id(), mirror_.state().dest_slots.at(d.id())});
  }
  absl::flat_hash_map<uint32_t, uint32_t> vtep_ports;
  for (const auto& rp : config_.remote_ports()) {
    if (auto ip = net::ParseIpv4(rp.vtep()); ip.ok()) {
      ++vtep_ports[*ip];
    }
  }
  std::vector<VtepRef> vteps;
  for (const auto& [ip, slot] : vtep_slots_) {
    vteps.push_back(VtepRef{ip, slot, vtep_ports[ip], arp_.NextHopState(config_, ip)});
  }
  // Stable order for clients: by address.
  std::sort(vteps.begin(), vteps.end(),
            [](const VtepRef& a, const VtepRef& b) { return a.ip < b.ip; });
  v1::Stats stats = stats_->Collect(refs, sessions, dests, vteps);
  for (v1::DestinationStats& ds : *stats.mutable_destinations()) {
    const std::optional<uint32_t> index = mirror_.PcapngFileIndex(ds.id());
    const int idx = IndexByName(config_.destinations(), ds.name());
    if (index.has_value() && idx >= 0) {
      const std::string& file = config_.destinations(idx).pcapng().file();
      ds.set_pcapng_file(*index == 0 ? file : absl::StrFormat("%s.%u", file, *index));
    }
  }
  return stats;
}

void ConfigStore::ClearStats() {
  absl::MutexLock lock(&mu_);
  stats_->Clear();
}

uint64_t ConfigStore::generation() const {
  absl::MutexLock lock(&mu_);
  return generation_;
}

v1::Config ConfigStore::config() const {
  absl::MutexLock lock(&mu_);
  return config_;
}

void ConfigStore::Shutdown() {
  absl::MutexLock lock(&mu_);
  // Tearing down is not a configuration change: the file keeps the config.
  persist_ = false;
  // TAP first: sessions hold vports, destinations hold rings.
  v1::Config candidate = config_;
  candidate.clear_tap_sessions();
  candidate.clear_destinations();
  auto rings = std::move(mirror_.state().dest_rings);
  mirror_.state().dest_rings.clear();
  if (absl::Status st = Commit(std::move(candidate)); !st.ok()) {
    LOG(ERROR) << "dropping TAP configuration at shutdown: " << st;
  }
  publisher_->Synchronize();
  for (const auto& [id, r] : rings) {
    MirrorResources::FreeRings(r);
  }
  while (config_.vports_size() > 0) {
    const std::string name = config_.vports(config_.vports_size() - 1).name();
    absl::Status st = RemoveVPortLocked(name);
    if (!st.ok()) {
      LOG(ERROR) << "removing vport " << name << " at shutdown: " << st;
      break;
    }
  }
}

}  // namespace vswitch::control
