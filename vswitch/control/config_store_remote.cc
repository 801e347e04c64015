// SPDX-License-Identifier: Apache-2.0
//
// ConfigStore: remote ports, the VMs of a VNet on other hosts (the overlay).
// Their VTEPs' counter slots are assigned by Commit.
#include <glog/logging.h>
#include <google/protobuf/util/message_differencer.h>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "lib/net/mac_address.h"
#include "lib/status/status_macros.h"
#include "vswitch/control/config_file.h"
#include "vswitch/control/config_store.h"
#include "vswitch/control/validator.h"

namespace vswitch::control {
namespace {

using RemoteKey = std::pair<std::string, uint64_t>;  // (VNet, MAC)

RemoteKey KeyOf(const v1::RemotePort& rp) {
  auto mac = net::ParseMac(rp.mac());
  return {rp.vnet(), mac.ok() ? mac->ToU64() : 0};
}

}  // namespace

absl::StatusOr<v1::RemotePort> ConfigStore::AddRemotePort(const v1::RemotePort& req) {
  absl::ReleasableMutexLock lock(&mu_);
  VS_RETURN_IF_ERROR(ValidateRemotePort(req, config_, "port."));
  v1::RemotePort rp = req;
  NormalizeRemotePort(&rp);
  v1::Config candidate = config_;
  *candidate.add_remote_ports() = rp;
  // A learned entry for the MAC (the VM was here before) is superseded.
  const uint32_t vnet_id = FindVNet(rp.vnet())->id();
  const uint64_t mac = net::ParseMac(rp.mac())->ToU64();
  MacTable saved = learned_;
  learned_.Remove(vnet_id, mac);
  if (absl::Status st = Commit(std::move(candidate)); !st.ok()) {
    learned_ = std::move(saved);
    return st;
  }
  VLOG(1) << "remote port " << rp.vnet() << " " << rp.mac() << " -> " << rp.vtep() << " added";
  VS_RETURN_IF_ERROR(ReleaseAndWaitDurable(lock));
  return rp;
}

absl::Status ConfigStore::RemoveRemotePort(const std::string& vnet, const std::string& mac_text) {
  absl::ReleasableMutexLock lock(&mu_);
  if (FindVNet(vnet) == nullptr) {
    return absl::NotFoundError(absl::StrFormat("vnet: VNet '%s' does not exist", vnet));
  }
  auto mac = net::ParseMac(mac_text);
  if (!mac.ok()) {
    return absl::InvalidArgumentError(absl::StrFormat("mac: %s", mac.status().message()));
  }
  v1::Config candidate = config_;
  auto* ports = candidate.mutable_remote_ports();
  int found = -1;
  for (int i = 0; i < ports->size(); ++i) {
    if (ports->Get(i).vnet() == vnet && KeyOf(ports->Get(i)).second == mac->ToU64()) {
      found = i;
      break;
    }
  }
  if (found < 0) {
    return absl::NotFoundError(
        absl::StrFormat("mac: no remote port '%s' in VNet '%s'", mac_text, vnet));
  }
  ports->DeleteSubrange(found, 1);
  VS_RETURN_IF_ERROR(Commit(std::move(candidate)));
  VLOG(1) << "remote port " << vnet << " " << mac_text << " removed";
  return ReleaseAndWaitDurable(lock);
}

absl::StatusOr<v1::ListRemotePortsResponse> ConfigStore::ListRemotePorts(
    const std::string& vnet) const {
  absl::MutexLock lock(&mu_);
  if (!vnet.empty() && FindVNet(vnet) == nullptr) {
    return absl::NotFoundError(absl::StrFormat("vnet: VNet '%s' does not exist", vnet));
  }
  v1::ListRemotePortsResponse resp;
  for (const auto& rp : config_.remote_ports()) {
    if (vnet.empty() || rp.vnet() == vnet) {
      *resp.add_ports() = rp;
    }
  }
  return resp;
}

absl::StatusOr<v1::ReplaceRemotePortsResponse> ConfigStore::ReplaceRemotePorts(
    const v1::ReplaceRemotePortsRequest& req) {
  absl::ReleasableMutexLock lock(&mu_);
  const std::string& vnet = req.vnet();
  if (!vnet.empty() && FindVNet(vnet) == nullptr) {
    return absl::NotFoundError(absl::StrFormat("vnet: VNet '%s' does not exist", vnet));
  }
  google::protobuf::RepeatedPtrField<v1::RemotePort> ports = req.ports();
  for (int i = 0; i < ports.size(); ++i) {
    v1::RemotePort& rp = ports[i];
    if (!vnet.empty() && rp.vnet().empty()) {
      rp.set_vnet(vnet);
    }
    if (!vnet.empty() && rp.vnet() != vnet) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "ports[%d].vnet: '%s' is not the VNet being replaced ('%s')", i, rp.vnet(), vnet));
    }
  }
  // The ports that stay (other VNets'), then the new set: validated against
  // the former, so errors name the request's "ports[i]".
  v1::Config candidate = config_;
  candidate.clear_remote_ports();
  absl::flat_hash_map<RemoteKey, const v1::RemotePort*> old;
  for (const auto& rp : config_.remote_ports()) {
    if (vnet.empty() || rp.vnet() == vnet) {
      old[KeyOf(rp)] = &rp;
    } else {
      *candidate.add_remote_ports() = rp;
    }
  }
  VS_RETURN_IF_ERROR(ValidateRemotePorts(ports, candidate, "ports"));
  v1::ReplaceRemotePortsResponse resp;
  MacTable saved = learned_;
  absl::flat_hash_map<std::string, uint32_t> vnet_ids;
  for (const auto& v : config_.vnets()) {
    vnet_ids[v.name()] = v.id();
  }
  for (v1::RemotePort& rp : ports) {
    NormalizeRemotePort(&rp);
    const RemoteKey key = KeyOf(rp);
    auto it = old.find(key);
    if (it == old.end()) {
      resp.set_added(resp.added() + 1);
      learned_.Remove(vnet_ids.at(rp.vnet()), key.second);
    } else {
      if (google::protobuf::util::MessageDifferencer::Equals(*it->second, rp)) {
        resp.set_unchanged(resp.unchanged() + 1);
      } else {
        resp.set_changed(resp.changed() + 1);
      }
      old.erase(it);
    }
  }
  resp.set_removed(static_cast<uint32_t>(old.size()));
  candidate.mutable_remote_ports()->Reserve(candidate.remote_ports_size() + ports.size());
  for (v1::RemotePort& rp : ports) {
    *candidate.add_remote_ports() = std::move(rp);
  }
  if (absl::Status st = Commit(std::move(candidate)); !st.ok()) {
    learned_ = std::move(saved);
    return st;
  }
  resp.set_snapshot_generation(generation_);
  LOG(INFO) << "remote ports of " << (vnet.empty() ? "every VNet" : "VNet " + vnet)
            << " replaced: " << resp.added() << " added, " << resp.removed() << " removed, "
            << resp.changed() << " changed, " << resp.unchanged() << " unchanged; generation "
            << generation_;
  VS_RETURN_IF_ERROR(ReleaseAndWaitDurable(lock));
  return resp;
}

}  // namespace vswitch::control
