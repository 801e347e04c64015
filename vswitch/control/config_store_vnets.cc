// SPDX-License-Identifier: Apache-2.0
//
// ConfigStore: VNets, their peerings, and vports (the devices they make).
#include <algorithm>

#include <glog/logging.h>

#include "absl/strings/str_format.h"
#include "lib/status/status_macros.h"
#include "vswitch/control/config_file.h"
#include "vswitch/control/config_lookup.h"
#include "vswitch/control/config_store.h"
#include "vswitch/control/validator.h"

namespace vswitch::control {

const v1::VNet* ConfigStore::FindVNet(const std::string& name) const {
  return FindByName(config_.vnets(), name);
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
  for (const auto& rp : config_.remote_ports()) {
    if (rp.vnet() == name) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "name: VNet '%s' still has remote port %s (VTEP %s)", name, rp.mac(), rp.vtep()));
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

}  // namespace vswitch::control
