// SPDX-License-Identifier: Apache-2.0
//
// ConfigStore: the FDB (static entries, VM MACs and learned MACs) and MAC
// learning and aging.
#include <glog/logging.h>

#include "absl/strings/str_format.h"
#include "lib/net/mac_address.h"
#include "lib/status/status_macros.h"
#include "vswitch/control/config_store.h"
#include "vswitch/control/validator.h"

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

}  // namespace

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

}  // namespace vswitch::control
