// SPDX-License-Identifier: Apache-2.0
#include "vswitch/control/config_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include <glog/logging.h>
#include <google/protobuf/util/message_differencer.h>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_format.h"
#include "drivers/vport_driver.h"
#include "lib/net/ipv4.h"
#include "lib/net/mac_address.h"
#include "lib/status/status_macros.h"
#include "vswitch/control/config_file.h"
#include "vswitch/control/validator.h"
#include "vswitch/dataplane/pcapng_writer.h"

namespace vswitch::control {
namespace {

uint64_t MacToU64(const uint8_t* b) {
  uint64_t v = 0;
  for (int i = 0; i < 6; ++i) {
    v = (v << 8) | b[i];
  }
  return v;
}

std::string MacFromU64(uint64_t v) {
  uint8_t b[6];
  for (int i = 0; i < 6; ++i) {
    b[i] = static_cast<uint8_t>(v >> (8 * (5 - i)));
  }
  return net::FormatMac(b);
}

bool SameMac(const std::string& a, const net::MacAddress& b) {
  auto m = net::ParseMac(a);
  return m.ok() && *m == b;
}

// Index of the element named `name` in a repeated field, or -1.
template <typename Repeated>
int IndexByName(const Repeated& items, const std::string& name) {
  for (int i = 0; i < items.size(); ++i) {
    if (items.Get(i).name() == name) {
      return i;
    }
  }
  return -1;
}

// The smallest slot (0..31) no entry of `slots` uses, or -1.
int FreeSlot(const absl::flat_hash_map<uint32_t, uint16_t>& slots) {
  uint32_t used = 0;
  for (const auto& [id, slot] : slots) {
    used |= 1u << slot;
  }
  return used == ~0u ? -1 : __builtin_ctz(~used);
}

}  // namespace

ConfigStore::ConfigStore(const ConfigStoreOptions& opts, SnapshotPublisher* publisher,
                         PortManager* ports, StatsCollector* stats)
    : opts_(opts),
      publisher_(publisher),
      ports_(ports),
      stats_(stats),
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
  in.session_slots = &session_slots_;
  in.dest_slots = &dest_slots_;
  in.dest_rings = &dest_rings_;
  const NeighborMap neighbors = Neighbors(candidate);
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
  UpdateArpTargets();
  return absl::OkStatus();
}

NeighborMap ConfigStore::Neighbors(const v1::Config& config) const {
  NeighborMap out;
  for (const auto& [ip, e] : arp_.entries()) {
    if (e.resolved) {
      out[ip] = e.mac;
    }
  }
  for (const auto& n : config.neighbors()) {  // Static ones win.
    auto ip = net::ParseIpv4(n.ip());
    auto mac = net::ParseMac(n.mac());
    if (ip.ok() && mac.ok()) {
      out[*ip] = mac->bytes;
    }
  }
  return out;
}

const v1::VPort* ConfigStore::Uplink() const {
  for (const auto& vp : config_.vports()) {
    if (vp.kind() == v1::VPORT_KIND_UPLINK) {
      return &vp;
    }
  }
  return nullptr;
}

void ConfigStore::UpdateArpTargets() {
  std::vector<uint32_t> targets;
  const v1::VPort* up = Uplink();
  if (up != nullptr) {
    absl::flat_hash_map<uint32_t, bool> statics;
    for (const auto& n : config_.neighbors()) {
      statics[*net::ParseIpv4(n.ip())] = true;
    }
    for (const auto& d : config_.destinations()) {
      for (const auto& c : d.collectors()) {
        const uint32_t hop = NextHopFor(up->uplink(), *net::ParseIpv4(c));
        if (hop != 0 && !statics.contains(hop)) {
          targets.push_back(hop);
        }
      }
    }
  }
  arp_.SetTargets(targets);
}

std::string ConfigStore::SessionUsing(const std::string& field, const std::string& name) const {
  for (const auto& s : config_.tap_sessions()) {
    const auto& list = field == "sources" ? s.sources() : s.destinations();
    for (const auto& n : list) {
      if (n == name) {
        return s.name();
      }
    }
  }
  return "";
}

const v1::VNet* ConfigStore::FindVNet(const std::string& name) const {
  for (const auto& v : config_.vnets()) {
    if (v.name() == name) {
      return &v;
    }
  }
  return nullptr;
}

int ConfigStore::FindVPortIndex(const std::string& name) const {
  return IndexByName(config_.vports(), name);
}

// ------------------------------------------------------------------- VNets

absl::StatusOr<v1::VNet> ConfigStore::CreateVNet(const v1::VNet& req) {
  absl::ReleasableMutexLock lock(&mu_);
  v1::VNet vnet = req;
  vnet.clear_id();
  if (vnet.peers_size() > 0) {
    return absl::InvalidArgumentError("vnet.peers: set peerings with PeerVNets");
  }
  VS_RETURN_IF_ERROR(ValidateVNet(vnet, config_, "vnet."));
  vnet.set_id(next_vnet_id_);
  v1::Config candidate = config_;
  *candidate.add_vnets() = vnet;
  VS_RETURN_IF_ERROR(Commit(std::move(candidate)));
  ++next_vnet_id_;
  LOG(INFO) << "vnet " << vnet.name() << " created (id " << vnet.id() << ", vni " << vnet.vni()
            << ")";
  VS_RETURN_IF_ERROR(ReleaseAndWaitDurable(lock));
  return vnet;
}

absl::Status ConfigStore::DeleteVNet(const std::string& name) {
  absl::ReleasableMutexLock lock(&mu_);
  const v1::VNet* vnet = FindVNet(name);
  if (vnet == nullptr) {
    return absl::NotFoundError(absl::StrFormat("name: VNet '%s' does not exist", name));
  }
  for (const auto& vp : config_.vports()) {
    if (vp.vnet() == name) {
      return absl::FailedPreconditionError(
          absl::StrFormat("name: VNet '%s' still has vport '%s'", name, vp.name()));
    }
  }
  for (const auto& d : config_.destinations()) {
    if (d.vnet() == name) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "name: VNet '%s' is used by mirror destination '%s'", name, d.name()));
    }
  }
  const uint32_t id = vnet->id();
  v1::Config candidate = config_;
  candidate.clear_vnets();
  for (const auto& v : config_.vnets()) {
    if (v.name() == name) {
      continue;
    }
    v1::VNet* copy = candidate.add_vnets();
    *copy = v;
    copy->clear_peers();
    for (const auto& p : v.peers()) {
      if (p != name) {
        copy->add_peers(p);
      }
    }
  }
  VS_RETURN_IF_ERROR(Commit(std::move(candidate)));
  learned_.RemoveVNet(id);
  LOG(INFO) << "vnet " << name << " deleted";
  return ReleaseAndWaitDurable(lock);
}

v1::ListVNetsResponse ConfigStore::ListVNets() const {
  absl::MutexLock lock(&mu_);
  v1::ListVNetsResponse resp;
  *resp.mutable_vnets() = config_.vnets();
  return resp;
}

absl::Status ConfigStore::PeerVNets(const std::string& a, const std::string& b, bool peer) {
  absl::ReleasableMutexLock lock(&mu_);
  if (FindVNet(a) == nullptr) {
    return absl::NotFoundError(absl::StrFormat("vnet_a: VNet '%s' does not exist", a));
  }
  if (FindVNet(b) == nullptr) {
    return absl::NotFoundError(absl::StrFormat("vnet_b: VNet '%s' does not exist", b));
  }
  if (a == b) {
    return absl::InvalidArgumentError(
        absl::StrFormat("vnet_b: '%s' cannot peer with itself", b));
  }
  v1::Config candidate = config_;
  bool changed = false;
  for (auto& v : *candidate.mutable_vnets()) {
    if (v.name() != a && v.name() != b) {
      continue;
    }
    const std::string& other = v.name() == a ? b : a;
    auto* peers = v.mutable_peers();
    auto it = std::find(peers->begin(), peers->end(), other);
    if (peer && it == peers->end()) {
      v.add_peers(other);
      changed = true;
    } else if (!peer && it != peers->end()) {
      peers->erase(it);
      changed = true;
    }
  }
  if (!changed) {
    return peer ? absl::AlreadyExistsError(
                      absl::StrFormat("vnet_b: '%s' and '%s' are already peered", a, b))
                : absl::NotFoundError(
                      absl::StrFormat("vnet_b: '%s' and '%s' are not peered", a, b));
  }
  VS_RETURN_IF_ERROR(Commit(std::move(candidate)));
  LOG(INFO) << "vnets " << a << " and " << b << (peer ? " peered" : " unpeered");
  return ReleaseAndWaitDurable(lock);
}

// ------------------------------------------------------------------ vports

std::vector<uint16_t> ConfigStore::AssignQueues(uint16_t n_queues) const {
  std::vector<uint32_t> load(opts_.n_workers, 0);
  for (const auto& [name, rt] : runtime_) {
    for (uint16_t w : rt.queue_worker) {
      ++load[w];
    }
  }
  std::vector<uint16_t> out;
  for (uint16_t q = 0; q < n_queues; ++q) {
    auto w = static_cast<uint16_t>(std::min_element(load.begin(), load.end()) - load.begin());
    ++load[w];
    out.push_back(w);
  }
  return out;
}

v1::VPort ConfigStore::WithRuntime(const v1::VPort& vp) const {
  v1::VPort out = vp;
  auto it = runtime_.find(vp.name());
  if (it != runtime_.end()) {
    out.set_port_id(it->second.port_id);
    out.set_mac(it->second.mac);
    out.set_link_up(PortManager::LinkUp(it->second.port_id));
  }
  return out;
}

absl::StatusOr<v1::VPort> ConfigStore::AddVPort(const v1::VPort& req) {
  absl::ReleasableMutexLock lock(&mu_);
  v1::VPort vp = req;
  vp.clear_id();
  NormalizeVPort(&vp);
  VS_RETURN_IF_ERROR(ValidateVPort(vp, config_, "vport.", /*check_host=*/true));
  vp.set_id(next_vport_id_);
  v1::Config candidate = config_;
  *candidate.add_vports() = vp;
  VS_RETURN_IF_ERROR(ValidateConfig(candidate));

  const bool uplink = vp.kind() == v1::VPORT_KIND_UPLINK;
  PortSpec spec{
      .driver_spec = vp.driver(),
      .vport_name = vp.name(),
      .unique = vp.id(),
      .rx_queues = static_cast<uint16_t>(vp.queues()),
      // One TX queue per forwarding lcore; the uplink has two more: encap, main.
      .tx_queues = static_cast<uint16_t>(opts_.n_workers + (uplink ? 2 : 0)),
      .mtu = static_cast<uint16_t>(uplink ? vp.uplink().mtu() : 0),
  };
  absl::StatusOr<PortInfoOut> port = ports_->Create(spec);
  if (!port.ok()) {
    return absl::Status(port.status().code(),
                        absl::StrFormat("vport.driver: %s", port.status().message()));
  }
  VportRuntime rt{.port_id = port->port_id,
                  .vdev_name = port->vdev_name,
                  .mac = port->mac,
                  .queue_worker = AssignQueues(port->rx_queues),
                  .max_frame = port->max_frame};
  stats_->ResetPort(rt.port_id);
  runtime_[vp.name()] = rt;
  absl::Status st = Commit(std::move(candidate));
  if (!st.ok()) {
    runtime_.erase(vp.name());
    ports_->Destroy(rt.port_id, rt.vdev_name);
    return st;
  }
  ++next_vport_id_;
  LOG(INFO) << "vport " << vp.name() << " added (id " << vp.id() << ", port " << rt.port_id
            << ", " << vp.driver() << ")";
  v1::VPort out = WithRuntime(vp);
  VS_RETURN_IF_ERROR(ReleaseAndWaitDurable(lock));
  return out;
}

absl::Status ConfigStore::RemoveVPort(const std::string& name) {
  absl::ReleasableMutexLock lock(&mu_);
  VS_RETURN_IF_ERROR(RemoveVPortLocked(name));
  return ReleaseAndWaitDurable(lock);
}

absl::Status ConfigStore::RemoveVPortLocked(const std::string& name) {
  const int idx = FindVPortIndex(name);
  if (idx < 0) {
    return absl::NotFoundError(absl::StrFormat("name: vport '%s' does not exist", name));
  }
  if (std::string s = SessionUsing("sources", name); !s.empty()) {
    return absl::FailedPreconditionError(
        absl::StrFormat("name: vport '%s' is a source of TAP session '%s'", name, s));
  }
  v1::Config candidate = config_;
  candidate.mutable_vports()->DeleteSubrange(idx, 1);
  // Static FDB entries pointing at the vport go with it.
  candidate.clear_fdb();
  for (const auto& e : config_.fdb()) {
    if (e.vport() != name) {
      *candidate.add_fdb() = e;
    }
  }
  const VportRuntime rt = runtime_.at(name);
  learned_.RemovePort(rt.port_id);
  runtime_.erase(name);
  absl::Status st = Commit(std::move(candidate));
  if (!st.ok()) {
    runtime_[name] = rt;
    return st;
  }
  // No worker may still poll or send on the port when it is closed.
  publisher_->Synchronize();
  ports_->Destroy(rt.port_id, rt.vdev_name);
  LOG(INFO) << "vport " << name << " removed";
  return absl::OkStatus();
}

v1::ListVPortsResponse ConfigStore::ListVPorts() const {
  absl::MutexLock lock(&mu_);
  v1::ListVPortsResponse resp;
  for (const auto& vp : config_.vports()) {
    *resp.add_vports() = WithRuntime(vp);
  }
  return resp;
}

absl::StatusOr<v1::VPort> ConfigStore::SetVPortAdminState(const std::string& name,
                                                          v1::AdminState state) {
  absl::ReleasableMutexLock lock(&mu_);
  const int idx = FindVPortIndex(name);
  if (idx < 0) {
    return absl::NotFoundError(absl::StrFormat("name: vport '%s' does not exist", name));
  }
  if (state != v1::ADMIN_STATE_UP && state != v1::ADMIN_STATE_DOWN) {
    return absl::InvalidArgumentError(
        absl::StrFormat("admin_state: %d is not ADMIN_STATE_UP or ADMIN_STATE_DOWN", state));
  }
  v1::Config candidate = config_;
  candidate.mutable_vports(idx)->set_admin_state(state);
  VS_RETURN_IF_ERROR(Commit(std::move(candidate)));
  LOG(INFO) << "vport " << name << " admin " << (state == v1::ADMIN_STATE_UP ? "up" : "down");
  v1::VPort out = WithRuntime(config_.vports(idx));
  VS_RETURN_IF_ERROR(ReleaseAndWaitDurable(lock));
  return out;
}

// --------------------------------------------------------------------- FDB

absl::StatusOr<v1::FdbEntry> ConfigStore::AddFdbEntry(const v1::FdbEntry& req) {
  absl::ReleasableMutexLock lock(&mu_);
  v1::FdbEntry e = req;
  e.clear_type();
  e.clear_age_seconds();
  VS_RETURN_IF_ERROR(ValidateFdbEntry(e, config_, "entry."));
  auto mac = net::ParseMac(e.mac());
  e.set_mac(net::FormatMac(*mac));  // Canonical form: lower case, ':'.
  v1::Config candidate = config_;
  *candidate.add_fdb() = e;
  // A learned entry for the same MAC is superseded.
  const uint32_t vnet_id = FindVNet(e.vnet())->id();
  learned_.Remove(vnet_id, mac->ToU64());
  VS_RETURN_IF_ERROR(Commit(std::move(candidate)));
  e.set_type(v1::FDB_ENTRY_TYPE_STATIC);
  LOG(INFO) << "fdb " << e.vnet() << " " << e.mac() << " -> " << e.vport() << " added";
  VS_RETURN_IF_ERROR(ReleaseAndWaitDurable(lock));
  return e;
}

absl::Status ConfigStore::RemoveFdbEntry(const std::string& vnet, const std::string& mac_text) {
  absl::ReleasableMutexLock lock(&mu_);
  const v1::VNet* v = FindVNet(vnet);
  if (v == nullptr) {
    return absl::NotFoundError(absl::StrFormat("vnet: VNet '%s' does not exist", vnet));
  }
  auto mac = net::ParseMac(mac_text);
  if (!mac.ok()) {
    return absl::InvalidArgumentError(absl::StrFormat("mac: %s", mac.status().message()));
  }
  for (const auto& vp : config_.vports()) {
    if (vp.vnet() != vnet) {
      continue;
    }
    for (const auto& m : vp.vm_macs()) {
      if (SameMac(m, *mac)) {
        return absl::FailedPreconditionError(absl::StrFormat(
            "mac: '%s' is a VM MAC of vport '%s'; remove the vport instead", mac_text, vp.name()));
      }
    }
  }
  v1::Config candidate = config_;
  candidate.clear_fdb();
  bool found = false;
  for (const auto& e : config_.fdb()) {
    if (e.vnet() == vnet && SameMac(e.mac(), *mac)) {
      found = true;
    } else {
      *candidate.add_fdb() = e;
    }
  }
  found |= learned_.Remove(v->id(), mac->ToU64());
  if (!found) {
    return absl::NotFoundError(
        absl::StrFormat("mac: no FDB entry for '%s' in VNet '%s'", mac_text, vnet));
  }
  VS_RETURN_IF_ERROR(Commit(std::move(candidate)));
  LOG(INFO) << "fdb " << vnet << " " << mac_text << " removed";
  return ReleaseAndWaitDurable(lock);
}

absl::StatusOr<v1::ListFdbResponse> ConfigStore::ListFdb(const std::string& vnet) const {
  absl::MutexLock lock(&mu_);
  if (!vnet.empty() && FindVNet(vnet) == nullptr) {
    return absl::NotFoundError(absl::StrFormat("vnet: VNet '%s' does not exist", vnet));
  }
  v1::ListFdbResponse resp;
  for (const auto& vp : config_.vports()) {
    if (vp.kind() != v1::VPORT_KIND_VM || (!vnet.empty() && vp.vnet() != vnet)) {
      continue;
    }
    for (const auto& m : vp.vm_macs()) {
      v1::FdbEntry* e = resp.add_entries();
      e->set_vnet(vp.vnet());
      e->set_mac(net::FormatMac(*net::ParseMac(m)));
      e->set_vport(vp.name());
      e->set_type(v1::FDB_ENTRY_TYPE_STATIC);
    }
  }
  for (const auto& f : config_.fdb()) {
    if (vnet.empty() || f.vnet() == vnet) {
      v1::FdbEntry* e = resp.add_entries();
      *e = f;
      e->set_type(v1::FDB_ENTRY_TYPE_STATIC);
    }
  }
  absl::flat_hash_map<uint32_t, std::string> vnet_names;
  for (const auto& v : config_.vnets()) {
    vnet_names[v.id()] = v.name();
  }
  absl::flat_hash_map<uint16_t, std::string> port_names;
  for (const auto& [name, rt] : runtime_) {
    port_names[rt.port_id] = name;
  }
  const absl::Time now = absl::Now();
  for (const auto& [key, entry] : learned_.entries()) {
    auto vn = vnet_names.find(key.first);
    auto pn = port_names.find(entry.port);
    if (vn == vnet_names.end() || pn == port_names.end() ||
        (!vnet.empty() && vn->second != vnet)) {
      continue;
    }
    v1::FdbEntry* e = resp.add_entries();
    e->set_vnet(vn->second);
    e->set_mac(MacFromU64(key.second));
    e->set_vport(pn->second);
    e->set_type(v1::FDB_ENTRY_TYPE_LEARNED);
    e->set_age_seconds(static_cast<uint32_t>(absl::ToInt64Seconds(now - entry.last_seen)));
  }
  return resp;
}

absl::StatusOr<uint32_t> ConfigStore::FlushFdb(const std::string& vnet, bool include_static) {
  absl::ReleasableMutexLock lock(&mu_);
  const v1::VNet* v = nullptr;
  if (!vnet.empty()) {
    v = FindVNet(vnet);
    if (v == nullptr) {
      return absl::NotFoundError(absl::StrFormat("vnet: VNet '%s' does not exist", vnet));
    }
  }
  uint32_t removed = 0;
  v1::Config candidate = config_;
  if (include_static) {
    candidate.clear_fdb();
    for (const auto& e : config_.fdb()) {
      if (vnet.empty() || e.vnet() == vnet) {
        ++removed;
      } else {
        *candidate.add_fdb() = e;
      }
    }
  }
  MacTable saved = learned_;
  if (v != nullptr) {
    removed += learned_.RemoveVNet(v->id());
  } else {
    removed += learned_.entries().size();
    learned_.Clear();
  }
  absl::Status st = Commit(std::move(candidate));
  if (!st.ok()) {
    learned_ = std::move(saved);
    return st;
  }
  VS_RETURN_IF_ERROR(ReleaseAndWaitDurable(lock));
  return removed;
}

// ------------------------------------------------------------ learning

void ConfigStore::HandleLearnEvents(const dataplane::LearnEvent* events, size_t n,
                                    absl::Time now) {
  absl::MutexLock lock(&mu_);
  absl::flat_hash_map<uint16_t, uint32_t> port_vnet;  // port -> VNet id of its vport
  for (const auto& vp : config_.vports()) {
    if (vp.kind() != v1::VPORT_KIND_VM) {
      continue;
    }
    port_vnet[runtime_.at(vp.name()).port_id] = FindVNet(vp.vnet())->id();
  }
  bool changed = false;
  for (size_t i = 0; i < n; ++i) {
    const dataplane::LearnEvent& ev = events[i];
    auto it = port_vnet.find(ev.port);
    if (it == port_vnet.end() || it->second != ev.vnet_id) {
      continue;  // The port left or changed VNet since the event was queued.
    }
    changed |= learned_.Learn(ev.vnet_id, MacToU64(ev.mac), ev.port, now);
  }
  if (changed) {
    absl::Status st = Commit(config_);
    LOG_IF(WARNING, !st.ok()) << "publishing learned MACs failed: " << st;
  }
}

void ConfigStore::AgeMacs(absl::Time now) {
  absl::MutexLock lock(&mu_);
  if (learned_.Age(now, opts_.mac_aging) > 0) {
    absl::Status st = Commit(config_);
    LOG_IF(WARNING, !st.ok()) << "publishing aged MACs failed: " << st;
  }
}

// --------------------------------------------------------------- misc

v1::Stats ConfigStore::GetStats() const {
  absl::MutexLock lock(&mu_);
  std::vector<PortRef> refs;
  for (const auto& vp : config_.vports()) {
    refs.push_back(PortRef{vp.name(), vp.id(), runtime_.at(vp.name()).port_id});
  }
  std::vector<SlotRef> sessions;
  for (const auto& s : config_.tap_sessions()) {
    sessions.push_back(SlotRef{s.name(), s.id(), session_slots_.at(s.id())});
  }
  std::vector<SlotRef> dests;
  for (const auto& d : config_.destinations()) {
    dests.push_back(SlotRef{d.name(), d.id(), dest_slots_.at(d.id())});
  }
  v1::Stats stats = stats_->Collect(refs, sessions, dests);
  for (v1::DestinationStats& ds : *stats.mutable_destinations()) {
    auto it = dest_rings_.find(ds.id());
    if (it == dest_rings_.end() || it->second.pcapng == nullptr) {
      continue;
    }
    const int idx = IndexByName(config_.destinations(), ds.name());
    const uint32_t index = it->second.pcapng->file_index();
    if (idx >= 0) {
      const std::string& file = config_.destinations(idx).pcapng().file();
      ds.set_pcapng_file(index == 0 ? file : absl::StrFormat("%s.%u", file, index));
    }
  }
  return stats;
}

void ConfigStore::ClearStats() {
  absl::MutexLock lock(&mu_);
  stats_->Clear();
}

// ------------------------------------------------------------------- TAP

absl::Status ConfigStore::OpenPcapng(const v1::MirrorDestination& d, const std::string& prefix,
                                     DestRings* rings) {
  const std::string field = prefix + "pcapng.file";
  const std::string& file = d.pcapng().file();
  if (capture_dir_fd_ < 0) {
    // mkdir -p; a failure shows in the open below.
    for (size_t pos = 1; pos != std::string::npos;) {
      pos = opts_.capture_dir.find('/', pos + 1);
      mkdir(opts_.capture_dir.substr(0, pos).c_str(), 0750);
    }
    capture_dir_fd_ = open(opts_.capture_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (capture_dir_fd_ < 0) {
      return absl::UnavailableError(absl::StrFormat("%s: cannot open --capture_dir %s: %s",
                                                    field, opts_.capture_dir, strerror(errno)));
    }
  }
  // The writer never follows a link (O_NOFOLLOW|O_EXCL), but a FILE that
  // is a link or a device is a mistake worth naming.
  struct stat st;
  if (fstatat(capture_dir_fd_, file.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
      !S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: '%s' in %s is %s; refused", field, file, opts_.capture_dir,
        S_ISLNK(st.st_mode) ? "a symbolic link" : "not a regular file"));
  }
  if (pcapng_pool_ == nullptr) {
    pcapng_pool_ = rte_pktmbuf_pool_create("vswitch_pcapng", 1023, 32, 0,
                                           RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    if (pcapng_pool_ == nullptr) {
      return absl::UnavailableError(absl::StrFormat("%s: cannot create mempool vswitch_pcapng: %s",
                                                    field, rte_strerror(rte_errno)));
    }
  }
  auto writer = std::make_unique<dataplane::PcapngWriter>(
      capture_dir_fd_, file.c_str(), d.pcapng().rotate_bytes(), pcapng_pool_);
  if (const int err = writer->Open(); err < 0) {
    return absl::UnavailableError(absl::StrFormat("%s: cannot create '%s' in %s: %s", field, file,
                                                  opts_.capture_dir, strerror(-err)));
  }
  rings->pcapng = writer.release();
  LOG(INFO) << "pcapng destination " << d.name() << " writes " << opts_.capture_dir << "/"
            << file;
  return absl::OkStatus();
}

void ConfigStore::FreeRings(const DestRings& rings) {
  delete rings.pcapng;
  for (rte_ring* r : rings) {
    if (r == nullptr) {
      continue;
    }
    void* m = nullptr;
    while (rte_ring_dequeue(r, &m) == 0) {
      rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
    }
    rte_ring_free(r);
  }
}

absl::StatusOr<v1::MirrorDestination> ConfigStore::CreateMirrorDestination(
    const v1::MirrorDestination& req) {
  absl::ReleasableMutexLock lock(&mu_);
  v1::MirrorDestination d = req;
  d.clear_id();
  if (d.udp_port() == 0 && !d.has_pcapng()) {
    d.set_udp_port(4789);
  }
  VS_RETURN_IF_ERROR(ValidateDestination(d, config_, "destination."));
  d.set_id(next_dest_id_);
  const int slot = FreeSlot(dest_slots_);
  if (slot < 0) {
    return absl::ResourceExhaustedError("destination: every counter slot is in use");
  }
  DestRings rings{};
  for (uint16_t w = 0; w < opts_.n_workers; ++w) {
    const std::string name = absl::StrFormat("mr_d%u_w%u", d.id(), w);
    rings[w] = rte_ring_create(name.c_str(), opts_.mirror_ring_size, SOCKET_ID_ANY,
                               RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (rings[w] == nullptr) {
      FreeRings(rings);
      return absl::ResourceExhaustedError(
          absl::StrFormat("destination: cannot create mirror ring %s: %s", name,
                          rte_strerror(rte_errno)));
    }
  }
  if (d.has_pcapng()) {
    if (absl::Status st = OpenPcapng(d, "destination.", &rings); !st.ok()) {
      FreeRings(rings);
      return st;
    }
  }
  v1::Config candidate = config_;
  *candidate.add_destinations() = d;
  dest_slots_[d.id()] = static_cast<uint16_t>(slot);
  dest_rings_[d.id()] = rings;
  stats_->ResetDestinationSlot(static_cast<uint16_t>(slot));
  absl::Status st = Commit(std::move(candidate));
  if (!st.ok()) {
    dest_slots_.erase(d.id());
    dest_rings_.erase(d.id());
    FreeRings(rings);
    return st;
  }
  ++next_dest_id_;
  LOG(INFO) << "mirror destination " << d.name() << " created (id " << d.id() << ")";
  VS_RETURN_IF_ERROR(ReleaseAndWaitDurable(lock));
  return d;
}

absl::Status ConfigStore::DeleteMirrorDestination(const std::string& name) {
  absl::ReleasableMutexLock lock(&mu_);
  const int idx = IndexByName(config_.destinations(), name);
  if (idx < 0) {
    return absl::NotFoundError(absl::StrFormat("name: destination '%s' does not exist", name));
  }
  if (std::string s = SessionUsing("destinations", name); !s.empty()) {
    return absl::FailedPreconditionError(
        absl::StrFormat("name: destination '%s' is used by TAP session '%s'", name, s));
  }
  const uint32_t id = config_.destinations(idx).id();
  v1::Config candidate = config_;
  candidate.mutable_destinations()->DeleteSubrange(idx, 1);
  const DestRings rings = dest_rings_.at(id);
  const uint16_t slot = dest_slots_.at(id);
  dest_rings_.erase(id);
  dest_slots_.erase(id);
  absl::Status st = Commit(std::move(candidate));
  if (!st.ok()) {
    dest_rings_[id] = rings;
    dest_slots_[id] = slot;
    return st;
  }
  // No worker may still enqueue to or dequeue from the rings.
  publisher_->Synchronize();
  FreeRings(rings);
  LOG(INFO) << "mirror destination " << name << " deleted";
  return ReleaseAndWaitDurable(lock);
}

v1::ListMirrorDestinationsResponse ConfigStore::ListMirrorDestinations() const {
  absl::MutexLock lock(&mu_);
  v1::ListMirrorDestinationsResponse resp;
  *resp.mutable_destinations() = config_.destinations();
  return resp;
}

v1::TapSession ConfigStore::NormalizedSession(const v1::TapSession& req, uint32_t id) {
  v1::TapSession s = req;
  s.set_id(id);
  NormalizeTapSession(&s);
  return s;
}

absl::StatusOr<v1::TapSession> ConfigStore::CreateTapSession(const v1::TapSession& req) {
  absl::ReleasableMutexLock lock(&mu_);
  v1::TapSession s = NormalizedSession(req, 0);
  VS_RETURN_IF_ERROR(ValidateTapSession(s, config_, "session."));
  const int slot = FreeSlot(session_slots_);
  if (slot < 0) {
    return absl::ResourceExhaustedError("session: every counter slot is in use");
  }
  s.set_id(next_session_id_);
  v1::Config candidate = config_;
  *candidate.add_tap_sessions() = s;
  session_slots_[s.id()] = static_cast<uint16_t>(slot);
  stats_->ResetSessionSlot(static_cast<uint16_t>(slot));
  absl::Status st = Commit(std::move(candidate));
  if (!st.ok()) {
    session_slots_.erase(s.id());
    return st;
  }
  ++next_session_id_;
  LOG(INFO) << "TAP session " << s.name() << " created (id " << s.id() << ")";
  VS_RETURN_IF_ERROR(ReleaseAndWaitDurable(lock));
  return s;
}

absl::StatusOr<v1::TapSession> ConfigStore::UpdateTapSession(const v1::TapSession& req) {
  absl::ReleasableMutexLock lock(&mu_);
  const int idx = IndexByName(config_.tap_sessions(), req.name());
  if (idx < 0) {
    return absl::NotFoundError(
        absl::StrFormat("session.name: TAP session '%s' does not exist", req.name()));
  }
  v1::TapSession s = NormalizedSession(req, config_.tap_sessions(idx).id());
  v1::Config others = config_;
  others.mutable_tap_sessions()->DeleteSubrange(idx, 1);
  VS_RETURN_IF_ERROR(ValidateTapSession(s, others, "session."));
  v1::Config candidate = config_;
  *candidate.mutable_tap_sessions(idx) = s;
  VS_RETURN_IF_ERROR(Commit(std::move(candidate)));
  VLOG(1) << "TAP session " << s.name() << " updated";
  VS_RETURN_IF_ERROR(ReleaseAndWaitDurable(lock));
  return s;
}

absl::Status ConfigStore::DeleteTapSession(const std::string& name) {
  absl::ReleasableMutexLock lock(&mu_);
  const int idx = IndexByName(config_.tap_sessions(), name);
  if (idx < 0) {
    return absl::NotFoundError(absl::StrFormat("name: TAP session '%s' does not exist", name));
  }
  const uint32_t id = config_.tap_sessions(idx).id();
  v1::Config candidate = config_;
  candidate.mutable_tap_sessions()->DeleteSubrange(idx, 1);
  VS_RETURN_IF_ERROR(Commit(std::move(candidate)));
  // Copies in flight may still carry the slot; a new session taking it
  // resets its counters' baseline.
  session_slots_.erase(id);
  LOG(INFO) << "TAP session " << name << " deleted";
  return ReleaseAndWaitDurable(lock);
}

v1::ListTapSessionsResponse ConfigStore::ListTapSessions() const {
  absl::MutexLock lock(&mu_);
  v1::ListTapSessionsResponse resp;
  *resp.mutable_sessions() = config_.tap_sessions();
  return resp;
}

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
  v1::ListNeighborsResponse resp;
  for (const auto& n : config_.neighbors()) {
    v1::Neighbor* out = resp.add_neighbors();
    *out = n;
    out->set_state("STATIC");
  }
  for (const auto& [ip, e] : arp_.entries()) {
    v1::Neighbor* out = resp.add_neighbors();
    out->set_ip(net::FormatIpv4(ip));
    out->set_mac(e.resolved ? net::FormatMac(e.mac.data()) : "");
    out->set_state(e.resolved ? "RESOLVED" : "INCOMPLETE");
  }
  // Collectors the uplink cannot reach at all (no uplink, or outside its
  // prefix with no gateway): their copies count as no_next_hop, so show why.
  const v1::VPort* up = Uplink();
  absl::flat_hash_set<std::string> listed;
  for (const auto& d : config_.destinations()) {
    for (const auto& c : d.collectors()) {
      if ((up == nullptr || NextHopFor(up->uplink(), *net::ParseIpv4(c)) == 0) &&
          listed.insert(c).second) {
        v1::Neighbor* out = resp.add_neighbors();
        out->set_ip(c);
        out->set_state("NO_ROUTE");
      }
    }
  }
  return resp;
}

// ------------------------------------------------------------------- ARP

void ConfigStore::SendArp(uint16_t op, uint32_t target_ip, const uint8_t* target_mac) {
  const v1::VPort* up = Uplink();
  if (up == nullptr || opts_.pool == nullptr) {
    return;
  }
  const VportRuntime& rt = runtime_.at(up->name());
  auto our_mac = net::ParseMac(rt.mac);
  auto our_ip = net::ParseIpv4Prefix(up->uplink().ip_cidr());
  rte_mbuf* m = rte_pktmbuf_alloc(opts_.pool);
  if (m == nullptr || !our_mac.ok() || !our_ip.ok()) {
    rte_pktmbuf_free(m);
    return;
  }
  auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
  auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
  const bool request = op == RTE_ARP_OP_REQUEST;
  if (request) {
    memset(eth->dst_addr.addr_bytes, 0xff, 6);
  } else {
    memcpy(eth->dst_addr.addr_bytes, target_mac, 6);
  }
  memcpy(eth->src_addr.addr_bytes, our_mac->bytes.data(), 6);
  eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
  arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
  arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
  arp->arp_hlen = 6;
  arp->arp_plen = 4;
  arp->arp_opcode = rte_cpu_to_be_16(op);
  memcpy(arp->arp_data.arp_sha.addr_bytes, our_mac->bytes.data(), 6);
  arp->arp_data.arp_sip = rte_cpu_to_be_32(our_ip->addr);
  if (request) {
    memset(arp->arp_data.arp_tha.addr_bytes, 0, 6);
  } else {
    memcpy(arp->arp_data.arp_tha.addr_bytes, target_mac, 6);
  }
  arp->arp_data.arp_tip = rte_cpu_to_be_32(target_ip);
  m->data_len = m->pkt_len = sizeof(rte_ether_hdr) + sizeof(rte_arp_hdr);
  if (rte_eth_tx_burst(rt.port_id, UplinkMainQueue(opts_.n_workers), &m, 1) != 1) {
    rte_pktmbuf_free(m);
  }
}

void ConfigStore::HandleArpFrames(rte_mbuf** frames, unsigned n, absl::Time now) {
  absl::MutexLock lock(&mu_);
  const v1::VPort* up = Uplink();
  std::optional<net::Ipv4Prefix> our_ip;
  if (up != nullptr) {
    auto p = net::ParseIpv4Prefix(up->uplink().ip_cidr());
    if (p.ok()) {
      our_ip = *p;
    }
  }
  bool changed = false;
  for (unsigned i = 0; i < n; ++i) {
    rte_mbuf* m = frames[i];
    if (m->data_len >= sizeof(rte_ether_hdr) + sizeof(rte_arp_hdr) && our_ip.has_value()) {
      const auto* eth = rte_pktmbuf_mtod(m, const rte_ether_hdr*);
      const auto* arp = reinterpret_cast<const rte_arp_hdr*>(eth + 1);
      if (arp->arp_hardware == RTE_BE16(RTE_ARP_HRD_ETHER) &&
          arp->arp_protocol == RTE_BE16(RTE_ETHER_TYPE_IPV4) && arp->arp_hlen == 6 &&
          arp->arp_plen == 4) {
        const uint32_t sip = rte_be_to_cpu_32(arp->arp_data.arp_sip);
        const uint32_t tip = rte_be_to_cpu_32(arp->arp_data.arp_tip);
        ArpResolver::Mac sha;
        memcpy(sha.data(), arp->arp_data.arp_sha.addr_bytes, 6);
        changed |= arp_.Learn(sip, sha, now);
        if (arp->arp_opcode == RTE_BE16(RTE_ARP_OP_REQUEST) && tip == our_ip->addr) {
          SendArp(RTE_ARP_OP_REPLY, sip, sha.data());
        }
      }
    }
    rte_pktmbuf_free(m);
  }
  if (changed) {
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
  for (uint32_t ip : arp_.Due(now)) {
    SendArp(RTE_ARP_OP_REQUEST, ip, nullptr);
  }
  for (uint32_t ip : arp_.WarnDue(now)) {
    LOG(WARNING) << "next hop " << net::FormatIpv4(ip)
                 << " does not answer ARP; mirror copies for it are dropped (no_next_hop)";
  }
}

// ----------------------------------------------------------- whole config

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

template <typename T>
const T* FindByName(const google::protobuf::RepeatedPtrField<T>& objs, const std::string& name) {
  for (const T& o : objs) {
    if (o.name() == name) {
      return &o;
    }
  }
  return nullptr;
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
      dest_slots[d.id()] = dest_slots_.at(d.id());
      DestRings r = dest_rings_.at(d.id());
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
      retired_rings.push_back(dest_rings_.at(d.id()));
    }
  }
  absl::flat_hash_map<uint32_t, uint16_t> session_slots;
  for (const auto& s : config_.tap_sessions()) {
    if (FindByName(candidate.tap_sessions(), s.name()) != nullptr) {
      session_slots[s.id()] = session_slots_.at(s.id());
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
      FreeRings(r);
    }
    runtime_ = saved_runtime;
    return st;
  };

  for (int index = 0; index < candidate.destinations_size(); ++index) {
    const v1::MirrorDestination& d = candidate.destinations(index);
    if (dest_rings.contains(d.id())) {
      continue;
    }
    const int slot = FreeSlot(dest_slots);
    if (slot < 0) {
      return undo(absl::ResourceExhaustedError("destinations: every counter slot is in use"));
    }
    DestRings rings{};
    for (uint16_t w = 0; w < opts_.n_workers; ++w) {
      const std::string name = absl::StrFormat("mr_d%u_w%u", d.id(), w);
      rings[w] = rte_ring_create(name.c_str(), opts_.mirror_ring_size, SOCKET_ID_ANY,
                                 RING_F_SP_ENQ | RING_F_SC_DEQ);
      if (rings[w] == nullptr) {
        const std::string err = rte_strerror(rte_errno);
        FreeRings(rings);
        return undo(absl::ResourceExhaustedError(absl::StrFormat(
            "destinations: cannot create mirror ring %s for '%s': %s", name, d.name(), err)));
      }
    }
    if (d.has_pcapng()) {
      if (absl::Status st =
              OpenPcapng(d, absl::StrFormat("destinations[%d].", index), &rings);
          !st.ok()) {
        FreeRings(rings);
        return undo(st);
      }
    }
    created_rings.push_back(rings);
    dest_slots[d.id()] = static_cast<uint16_t>(slot);
    dest_rings[d.id()] = rings;
  }
  for (uint32_t id : needs_writer) {
    for (int i = 0; i < candidate.destinations_size(); ++i) {
      if (candidate.destinations(i).id() != id) {
        continue;
      }
      DestRings& r = dest_rings[id];
      if (absl::Status st =
              OpenPcapng(candidate.destinations(i), absl::StrFormat("destinations[%d].", i), &r);
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
    const int slot = FreeSlot(session_slots);
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

  const auto saved_dest_slots = dest_slots_;
  const auto saved_dest_rings = dest_rings_;
  const auto saved_session_slots = session_slots_;
  dest_slots_ = dest_slots;
  dest_rings_ = dest_rings;
  session_slots_ = session_slots;
  for (const auto& d : candidate.destinations()) {
    if (!saved_dest_slots.contains(d.id())) {  // New: its slot counts from zero.
      stats_->ResetDestinationSlot(dest_slots_.at(d.id()));
    }
  }
  for (uint16_t slot : new_session_slots) {
    stats_->ResetSessionSlot(slot);
  }
  for (const VportRuntime& rt : created) {
    stats_->ResetPort(rt.port_id);
  }
  if (absl::Status st = Commit(candidate); !st.ok()) {
    dest_slots_ = saved_dest_slots;
    dest_rings_ = saved_dest_rings;
    session_slots_ = saved_session_slots;
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
    FreeRings(r);
  }
  LOG(INFO) << (restore ? "configuration restored" : "configuration applied") << ": "
            << config_.vnets_size() << " vnets, " << config_.vports_size() << " vports ("
            << created.size() << " created, " << retired.size() << " removed), "
            << config_.fdb_size() << " static fdb entries, " << config_.destinations_size()
            << " destinations, " << config_.tap_sessions_size() << " TAP sessions; generation "
            << generation_;
  return generation_;
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
  auto rings = std::move(dest_rings_);
  dest_rings_.clear();
  if (absl::Status st = Commit(std::move(candidate)); !st.ok()) {
    LOG(ERROR) << "dropping TAP configuration at shutdown: " << st;
  }
  publisher_->Synchronize();
  for (const auto& [id, r] : rings) {
    FreeRings(r);
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
