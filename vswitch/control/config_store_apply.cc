// SPDX-License-Identifier: Apache-2.0
//
// ConfigStore: ApplyConfig and RestoreConfig, the whole configuration
// replaced as one change.
#include <algorithm>
#include <vector>

#include <glog/logging.h>
#include <google/protobuf/util/message_differencer.h>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_format.h"
#include "drivers/vport_driver.h"
#include "lib/net/mac_address.h"
#include "lib/status/status_macros.h"
#include "vswitch/control/config_file.h"
#include "vswitch/control/config_lookup.h"
#include "vswitch/control/config_store.h"
#include "vswitch/control/validator.h"
#include "vswitch/dataplane/pcapng_writer.h"

namespace vswitch::control {
namespace {

// Gives every object of `objs` an id. With `keep`, ids already set (and not
// taken by an earlier object) stay; else an object named like a running one
// gets its id. The rest get fresh ids from `*next`, which ends above every
// id in use.
template <typename T>
void AssignIds(google::protobuf::RepeatedPtrField<T>* objs,
               const google::protobuf::RepeatedPtrField<T>& running, bool keep, uint32_t* next) {
  absl::flat_hash_map<std::string, uint32_t> running_ids;
  for (const T& r : running) {
    running_ids[r.name()] = r.id();
  }
  absl::flat_hash_set<uint32_t> used;
  std::vector<T*> fresh;
  for (T& o : *objs) {
    uint32_t id = 0;
    if (keep) {
      id = o.id();
    } else if (auto it = running_ids.find(o.name()); it != running_ids.end()) {
      id = it->second;
    }
    if (id != 0 && used.insert(id).second) {
      o.set_id(id);
      *next = std::max(*next, id + 1);
    } else {
      fresh.push_back(&o);
    }
  }
  for (T* o : fresh) {
    while (used.contains(*next)) {
      ++*next;
    }
    o->set_id((*next)++);
  }
}

// True when `a` and `b` (same name) cannot share one DPDK device.
bool NeedsNewDevice(const v1::VPort& a, const v1::VPort& b) {
  return a.driver() != b.driver() || a.queues() != b.queues() || a.kind() != b.kind() ||
         a.uplink().mtu() != b.uplink().mtu();
}

}  // namespace

absl::StatusOr<uint64_t> ConfigStore::ApplyConfig(const v1::Config& config) {
  absl::ReleasableMutexLock lock(&mu_);
  absl::StatusOr<uint64_t> generation = ApplyConfigLocked(config, /*restore=*/false);
  if (generation.ok()) {
    VS_RETURN_IF_ERROR(ReleaseAndWaitDurable(lock));
  }
  return generation;
}

absl::Status ConfigStore::RestoreConfig(const v1::Config& config) {
  absl::MutexLock lock(&mu_);
  persist_ = false;
  absl::StatusOr<uint64_t> r = ApplyConfigLocked(config, /*restore=*/true);
  persist_ = true;
  if (r.ok()) {
    persister_.SetDurable(change_seq_, config_);  // What the file holds.
  }
  return r.status();
}

absl::StatusOr<uint64_t> ConfigStore::ApplyConfigLocked(const v1::Config& req, bool restore) {
  v1::Config candidate = req;
  NormalizeConfig(&candidate);
  MirrorResources::State& mirror = mirror_.state();
  uint32_t next_vnet = next_vnet_id_;
  uint32_t next_vport = next_vport_id_;
  uint32_t next_dest = next_dest_id_;
  uint32_t next_session = next_session_id_;
  AssignIds(candidate.mutable_vnets(), config_.vnets(), restore, &next_vnet);
  AssignIds(candidate.mutable_vports(), config_.vports(), restore, &next_vport);
  AssignIds(candidate.mutable_destinations(), config_.destinations(), restore, &next_dest);
  AssignIds(candidate.mutable_tap_sessions(), config_.tap_sessions(), restore, &next_session);
  VS_RETURN_IF_ERROR(ValidateConfig(candidate));

  // Which vports keep their device, which need a new one, which go.
  absl::flat_hash_map<std::string, VportRuntime> kept;
  std::vector<VportRuntime> retired;  // Destroyed after the publish.
  absl::flat_hash_set<uint16_t> forget_ports;  // Learned MACs on them go.
  for (const auto& vp : config_.vports()) {
    const v1::VPort* next = FindByName(candidate.vports(), vp.name());
    const VportRuntime& rt = runtime_.at(vp.name());
    if (next != nullptr && !NeedsNewDevice(vp, *next)) {
      kept[vp.name()] = rt;
      if (next->vnet() != vp.vnet()) {
        forget_ports.insert(rt.port_id);
      }
    } else {
      retired.push_back(rt);
      forget_ports.insert(rt.port_id);
    }
  }
  std::vector<int> to_create;
  for (int i = 0; i < candidate.vports_size(); ++i) {
    const v1::VPort& vp = candidate.vports(i);
    if (kept.contains(vp.name())) {
      continue;
    }
    if (absl::Status st = drivers::ValidateDriverSpec(vp.driver(), /*check_host=*/true);
        !st.ok()) {
      return absl::Status(st.code(),
                          absl::StrFormat("vports[%d].driver: %s", i, st.message()));
    }
    to_create.push_back(i);
  }

  // Destinations and sessions: kept ones (by name) keep id, slot and rings.
  absl::flat_hash_map<uint32_t, uint16_t> dest_slots;
  absl::flat_hash_map<uint32_t, DestRings> dest_rings;
  std::vector<DestRings> retired_rings;
  // A kept destination whose pcapng settings change gets a new writer (the
  // old one is closed after the publish, like retired rings).
  std::vector<dataplane::PcapngWriter*> retired_writers;
  std::vector<uint32_t> needs_writer;
  for (const auto& d : config_.destinations()) {
    const v1::MirrorDestination* next = FindByName(candidate.destinations(), d.name());
    if (next != nullptr) {
      dest_slots[d.id()] = mirror.dest_slots.at(d.id());
      DestRings r = mirror.dest_rings.at(d.id());
      if (!google::protobuf::util::MessageDifferencer::Equals(d.pcapng(), next->pcapng()) ||
          d.has_pcapng() != next->has_pcapng()) {
        if (r.pcapng != nullptr) {
          retired_writers.push_back(r.pcapng);
        }
        r.pcapng = nullptr;
        if (next->has_pcapng()) {
          needs_writer.push_back(d.id());
        }
      }
      dest_rings[d.id()] = r;
    } else {
      retired_rings.push_back(mirror.dest_rings.at(d.id()));
    }
  }
  absl::flat_hash_map<uint32_t, uint16_t> session_slots;
  for (const auto& s : config_.tap_sessions()) {
    if (FindByName(candidate.tap_sessions(), s.name()) != nullptr) {
      session_slots[s.id()] = mirror.session_slots.at(s.id());
    }
  }

  // Everything made from here on is undone on failure.
  const absl::flat_hash_map<std::string, VportRuntime> saved_runtime = runtime_;
  std::vector<VportRuntime> created;
  std::vector<DestRings> created_rings;
  std::vector<dataplane::PcapngWriter*> created_writers;
  auto undo = [&](absl::Status st) {
    for (dataplane::PcapngWriter* w : created_writers) {
      delete w;
    }
    for (const VportRuntime& rt : created) {
      ports_->Destroy(rt.port_id, rt.vdev_name);  // Never published.
    }
    for (const DestRings& r : created_rings) {
      MirrorResources::FreeRings(r);
    }
    runtime_ = saved_runtime;
    return st;
  };

  for (int index = 0; index < candidate.destinations_size(); ++index) {
    const v1::MirrorDestination& d = candidate.destinations(index);
    if (dest_rings.contains(d.id())) {
      continue;
    }
    const int slot = MirrorResources::FreeSlot(dest_slots);
    if (slot < 0) {
      return undo(absl::ResourceExhaustedError("destinations: every counter slot is in use"));
    }
    absl::StatusOr<DestRings> rings = mirror_.CreateRings(
        d, "destinations", /*name_dest=*/true, absl::StrFormat("destinations[%d].", index));
    if (!rings.ok()) {
      return undo(rings.status());
    }
    created_rings.push_back(*rings);
    dest_slots[d.id()] = static_cast<uint16_t>(slot);
    dest_rings[d.id()] = *rings;
  }
  for (uint32_t id : needs_writer) {
    for (int i = 0; i < candidate.destinations_size(); ++i) {
      if (candidate.destinations(i).id() != id) {
        continue;
      }
      DestRings& r = dest_rings[id];
      if (absl::Status st = mirror_.OpenPcapng(candidate.destinations(i),
                                               absl::StrFormat("destinations[%d].", i), &r);
          !st.ok()) {
        return undo(st);
      }
      created_writers.push_back(r.pcapng);
    }
  }
  std::vector<uint16_t> new_session_slots;
  for (const auto& s : candidate.tap_sessions()) {
    if (session_slots.contains(s.id())) {
      continue;
    }
    const int slot = MirrorResources::FreeSlot(session_slots);
    if (slot < 0) {
      return undo(absl::ResourceExhaustedError("tap_sessions: every counter slot is in use"));
    }
    session_slots[s.id()] = static_cast<uint16_t>(slot);
    new_session_slots.push_back(static_cast<uint16_t>(slot));
  }

  // New devices first (queues spread over the load of the kept ones).
  runtime_ = kept;
  for (int i : to_create) {
    const v1::VPort& vp = candidate.vports(i);
    const bool uplink = vp.kind() == v1::VPORT_KIND_UPLINK;
    PortSpec spec{
        .driver_spec = vp.driver(),
        .vport_name = vp.name(),
        .unique = next_device_unique_++,
        .rx_queues = static_cast<uint16_t>(vp.queues()),
        .tx_queues = static_cast<uint16_t>(opts_.n_workers + (uplink ? 2 : 0)),
        .mtu = static_cast<uint16_t>(uplink ? vp.uplink().mtu() : 0),
    };
    absl::StatusOr<PortInfoOut> port = ports_->Create(spec);
    if (!port.ok()) {
      return undo(absl::Status(port.status().code(), absl::StrFormat("vports[%d].driver: %s", i,
                                                                     port.status().message())));
    }
    VportRuntime rt{.port_id = port->port_id,
                    .vdev_name = port->vdev_name,
                    .mac = port->mac,
                    .queue_worker = AssignQueues(port->rx_queues),
                    .max_frame = port->max_frame};
    created.push_back(rt);
    runtime_[vp.name()] = rt;
  }

  // Learned MACs of ports that go or change VNet, of VNets that go, and
  // those a static entry now covers.
  const MacTable saved_learned = learned_;
  for (uint16_t port : forget_ports) {
    learned_.RemovePort(port);
  }
  for (const auto& v : config_.vnets()) {
    if (FindByName(candidate.vnets(), v.name()) == nullptr) {
      learned_.RemoveVNet(v.id());
    }
  }
  for (const auto& e : candidate.fdb()) {
    const v1::VNet* v = FindByName(candidate.vnets(), e.vnet());
    if (auto mac = net::ParseMac(e.mac()); mac.ok() && v != nullptr) {
      learned_.Remove(v->id(), mac->ToU64());
    }
  }
  if (!learned_.entries().empty()) {
    absl::flat_hash_map<std::string, uint32_t> vnet_ids;
    for (const auto& v : candidate.vnets()) {
      vnet_ids[v.name()] = v.id();
    }
    for (const auto& rp : candidate.remote_ports()) {
      auto v = vnet_ids.find(rp.vnet());
      if (auto mac = net::ParseMac(rp.mac()); mac.ok() && v != vnet_ids.end()) {
        learned_.Remove(v->second, mac->ToU64());
      }
    }
  }

  const MirrorResources::State saved_mirror = mirror;
  mirror.dest_slots = dest_slots;
  mirror.dest_rings = dest_rings;
  mirror.session_slots = session_slots;
  for (const auto& d : candidate.destinations()) {
    if (!saved_mirror.dest_slots.contains(d.id())) {  // New: its slot counts from zero.
      stats_->ResetDestinationSlot(mirror.dest_slots.at(d.id()));
    }
  }
  for (uint16_t slot : new_session_slots) {
    stats_->ResetSessionSlot(slot);
  }
  for (const VportRuntime& rt : created) {
    stats_->ResetPort(rt.port_id);
  }
  if (absl::Status st = Commit(candidate); !st.ok()) {
    mirror = saved_mirror;
    learned_ = saved_learned;
    return undo(st);
  }
  next_vnet_id_ = next_vnet;
  next_vport_id_ = next_vport;
  next_dest_id_ = next_dest;
  next_session_id_ = next_session;

  // No worker may still use what the old snapshot alone referenced.
  if (!retired.empty() || !retired_rings.empty() || !retired_writers.empty()) {
    publisher_->Synchronize();
  }
  for (dataplane::PcapngWriter* w : retired_writers) {
    delete w;
  }
  for (const VportRuntime& rt : retired) {
    ports_->Destroy(rt.port_id, rt.vdev_name);
  }
  for (const DestRings& r : retired_rings) {
    MirrorResources::FreeRings(r);
  }
  LOG(INFO) << (restore ? "configuration restored" : "configuration applied") << ": "
            << config_.vnets_size() << " vnets, " << config_.vports_size() << " vports ("
            << created.size() << " created, " << retired.size() << " removed), "
            << config_.fdb_size() << " static fdb entries, " << config_.remote_ports_size()
            << " remote ports, " << config_.destinations_size()
            << " destinations, " << config_.tap_sessions_size() << " TAP sessions; generation "
            << generation_;
  return generation_;
}

}  // namespace vswitch::control
