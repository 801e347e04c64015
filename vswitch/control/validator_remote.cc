// SPDX-License-Identifier: Apache-2.0
//
// Validation of remote ports (VMs of a VNet on other hosts). A config may
// hold 100k of them: they are checked against indexes built once, never
// against each other pairwise.
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "lib/net/ipv4.h"
#include "lib/net/mac_address.h"
#include "vswitch/control/config_lookup.h"
#include "vswitch/control/validator.h"
#include "vswitch/control/validator_fields.h"
#include "vswitch/dataplane/snapshot.h"

namespace vswitch::control {
namespace {

using validator_internal::Invalid;
using validator_internal::ParseUnicastMac;
using validator_internal::WithField;

constexpr int kMaxRemotePortIps = dataplane::kPortSecMaxIps;

// Who already uses a MAC or an IP in a VNet, for the error message.
using Owners = absl::flat_hash_map<std::pair<std::string, uint64_t>, std::string>;

struct Index {
  Owners macs;  // (vnet, mac) -> "vport 'x'", "remote port of VTEP y"...
  Owners ips;   // (vnet, ip)
  absl::flat_hash_map<uint32_t, int> vteps;  // Distinct VTEPs -> remote ports.
  uint32_t own_vtep = 0;                     // The uplink's IP (0: none).
};

void AddRemote(Index* idx, const v1::RemotePort& rp) {
  const std::string owner = absl::StrFormat("remote port of VTEP %s", rp.vtep());
  if (auto mac = net::ParseMac(rp.mac()); mac.ok()) {
    idx->macs.emplace(std::make_pair(rp.vnet(), mac->ToU64()), owner);
  }
  for (const auto& s : rp.ips()) {
    if (auto ip = net::ParseIpv4(s); ip.ok()) {
      idx->ips.emplace(std::make_pair(rp.vnet(), uint64_t{*ip}), owner);
    }
  }
  if (auto v = net::ParseIpv4(rp.vtep()); v.ok()) {
    ++idx->vteps[*v];
  }
}

Index BuildIndex(const v1::Config& c) {
  Index idx;
  for (const auto& vp : c.vports()) {
    const std::string owner = absl::StrFormat("vport '%s'", vp.name());
    for (const auto& s : vp.vm_macs()) {
      if (auto mac = net::ParseMac(s); mac.ok()) {
        idx.macs.emplace(std::make_pair(vp.vnet(), mac->ToU64()), owner);
      }
    }
    for (const auto& s : vp.ips()) {
      if (auto ip = net::ParseIpv4(s); ip.ok()) {
        idx.ips.emplace(std::make_pair(vp.vnet(), uint64_t{*ip}), owner);
      }
    }
  }
  for (const auto& e : c.fdb()) {
    if (auto mac = net::ParseMac(e.mac()); mac.ok()) {
      idx.macs.emplace(std::make_pair(e.vnet(), mac->ToU64()),
                       absl::StrFormat("static FDB entry to vport '%s'", e.vport()));
    }
  }
  for (const auto& rp : c.remote_ports()) {
    AddRemote(&idx, rp);
  }
  if (const v1::VPort* up = FindUplink(c); up != nullptr) {
    if (auto p = net::ParseIpv4Prefix(up->uplink().ip_cidr()); p.ok()) {
      idx.own_vtep = p->addr;
    }
  }
  return idx;
}

bool UnicastHost(uint32_t v) {
  const uint32_t first = v >> 24;
  return v != 0 && first != 0 && first != 127 && first < 224;
}

// `rp` against `config` (its VNets and uplink) and `idx` (what is taken).
absl::Status Check(const v1::RemotePort& rp, const v1::Config& config, const Index& idx,
                   const std::string& prefix) {
  const v1::VNet* vnet = FindByName(config.vnets(), rp.vnet());
  if (rp.vnet().empty()) {
    return Invalid(prefix + "vnet", "required");
  }
  if (vnet == nullptr) {
    return absl::NotFoundError(
        absl::StrFormat("%svnet: VNet '%s' does not exist", prefix, rp.vnet()));
  }
  auto mac = ParseUnicastMac(prefix + "mac", rp.mac());
  if (!mac.ok()) {
    return mac.status();
  }
  if (auto it = idx.macs.find(std::make_pair(rp.vnet(), mac->ToU64())); it != idx.macs.end()) {
    return absl::AlreadyExistsError(absl::StrFormat("%smac: '%s' is already used in VNet '%s' (%s)",
                                                    prefix, rp.mac(), rp.vnet(), it->second));
  }
  if (rp.ips_size() > kMaxRemotePortIps) {
    return Invalid(prefix + "ips",
                   absl::StrFormat("%d addresses; at most %d", rp.ips_size(), kMaxRemotePortIps));
  }
  for (int i = 0; i < rp.ips_size(); ++i) {
    const std::string field = absl::StrFormat("%sips[%d]", prefix, i);
    auto ip = net::ParseIpv4(rp.ips(i));
    if (!ip.ok()) {
      return WithField(field, ip.status());
    }
    if (!UnicastHost(*ip) || *ip == 0xffffffffu) {
      return Invalid(field, absl::StrFormat("'%s' is not a unicast host address", rp.ips(i)));
    }
    for (int j = 0; j < i; ++j) {
      if (rp.ips(j) == rp.ips(i) || net::ParseIpv4(rp.ips(j)).value_or(0) == *ip) {
        return Invalid(field, absl::StrFormat("'%s' listed twice", rp.ips(i)));
      }
    }
    bool inside = vnet->prefixes_size() == 0;
    for (const auto& pfx : vnet->prefixes()) {
      auto p = net::ParseIpv4Prefix(pfx);
      inside = inside || (p.ok() && p->Contains(*ip));
    }
    if (!inside) {
      return Invalid(field, absl::StrFormat("%s is outside every prefix of VNet '%s'", rp.ips(i),
                                            rp.vnet()));
    }
    if (auto it = idx.ips.find(std::make_pair(rp.vnet(), uint64_t{*ip})); it != idx.ips.end()) {
      return absl::AlreadyExistsError(absl::StrFormat(
          "%s: %s is already an address in VNet '%s' (%s)", field, rp.ips(i), rp.vnet(),
          it->second));
    }
  }
  const std::string vfield = prefix + "vtep";
  if (rp.vtep().empty()) {
    return Invalid(vfield, "required (the underlay IPv4 address of the VM's host)");
  }
  auto vtep = net::ParseIpv4(rp.vtep());
  if (!vtep.ok()) {
    return WithField(vfield, vtep.status());
  }
  if (!UnicastHost(*vtep)) {
    return Invalid(vfield, absl::StrFormat("'%s' is not a unicast host address", rp.vtep()));
  }
  if (idx.own_vtep != 0 && *vtep == idx.own_vtep) {
    return Invalid(vfield, absl::StrFormat("%s is this host's own VTEP (the uplink's address)",
                                           rp.vtep()));
  }
  if (!idx.vteps.contains(*vtep) && idx.vteps.size() >= static_cast<size_t>(dataplane::kMaxVteps)) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "%s: %s would be VTEP number %d; at most %d", vfield, rp.vtep(), dataplane::kMaxVteps + 1,
        dataplane::kMaxVteps));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateRemotePort(const v1::RemotePort& port, const v1::Config& config,
                                const std::string& prefix) {
  return Check(port, config, BuildIndex(config), prefix);
}

absl::Status ValidateRemotePorts(const google::protobuf::RepeatedPtrField<v1::RemotePort>& ports,
                                 const v1::Config& base, const std::string& field) {
  Index idx = BuildIndex(base);
  for (int i = 0; i < ports.size(); ++i) {
    absl::Status st = Check(ports.Get(i), base, idx, absl::StrFormat("%s[%d].", field, i));
    if (!st.ok()) {
      return st;
    }
    AddRemote(&idx, ports.Get(i));
  }
  return absl::OkStatus();
}

}  // namespace vswitch::control
