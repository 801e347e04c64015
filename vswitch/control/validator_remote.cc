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

using validator_internal::CheckInsideVnet;
using validator_internal::Invalid;
using validator_internal::ParseUnicastMac;
using validator_internal::WithField;

constexpr int kMaxRemotePortIps = dataplane::kPortSecMaxIps;

// Who already uses a MAC or an IP in a VNet: kind and index, formatted only
// for an error.
struct Owner {
  enum Kind : uint8_t { kVport, kFdb, kRemote } kind;
  int index;
};

// Keys: (VNet index << 48 | MAC) and (VNet index << 32 | IPv4).
struct Index {
  absl::flat_hash_map<std::string, int> vnet_index;
  absl::flat_hash_map<uint64_t, Owner> macs;
  absl::flat_hash_map<uint64_t, Owner> ips;
  absl::flat_hash_map<uint32_t, int> vteps;  // Distinct VTEPs -> remote ports.
  uint32_t own_vtep = 0;                     // The uplink's IP (0: none).
  int n_remote = 0;                          // Remote ports indexed so far.
};

uint64_t MacKey(int vnet, uint64_t mac) { return uint64_t(vnet) << 48 | mac; }
uint64_t IpKey(int vnet, uint32_t ip) { return uint64_t(vnet) << 32 | ip; }

std::string Describe(const Owner& o, const v1::Config& base,
                     const google::protobuf::RepeatedPtrField<v1::RemotePort>* added) {
  switch (o.kind) {
    case Owner::kVport:
      return absl::StrFormat("vport '%s'", base.vports(o.index).name());
    case Owner::kFdb:
      return absl::StrFormat("static FDB entry to vport '%s'", base.fdb(o.index).vport());
    case Owner::kRemote: {
      const int n = base.remote_ports_size();
      const v1::RemotePort& r =
          o.index < n ? base.remote_ports(o.index) : added->Get(o.index - n);
      return absl::StrFormat("remote port %s of VTEP %s", r.mac(), r.vtep());
    }
  }
  return "";
}

// What Check parsed, for AddRemote.
struct Parsed {
  int vnet = 0;
  uint64_t mac = 0;
  uint32_t ips[kMaxRemotePortIps] = {};
  int n_ips = 0;
  uint32_t vtep = 0;
};

void AddRemote(Index* idx, const Parsed& p) {
  const Owner owner{Owner::kRemote, idx->n_remote++};
  idx->macs.emplace(MacKey(p.vnet, p.mac), owner);
  for (int i = 0; i < p.n_ips; ++i) {
    idx->ips.emplace(IpKey(p.vnet, p.ips[i]), owner);
  }
  ++idx->vteps[p.vtep];
}

Index BuildIndex(const v1::Config& c) {
  Index idx;
  for (int i = 0; i < c.vnets_size(); ++i) {
    idx.vnet_index[c.vnets(i).name()] = i;
  }
  auto vnet_of = [&](const std::string& name) {
    auto it = idx.vnet_index.find(name);
    return it == idx.vnet_index.end() ? -1 : it->second;
  };
  for (int i = 0; i < c.vports_size(); ++i) {
    const v1::VPort& vp = c.vports(i);
    const int v = vnet_of(vp.vnet());
    for (const auto& s : vp.vm_macs()) {
      if (auto mac = net::ParseMac(s); mac.ok() && v >= 0) {
        idx.macs.emplace(MacKey(v, mac->ToU64()), Owner{Owner::kVport, i});
      }
    }
    for (const auto& s : vp.ips()) {
      if (auto ip = net::ParseIpv4(s); ip.ok() && v >= 0) {
        idx.ips.emplace(IpKey(v, *ip), Owner{Owner::kVport, i});
      }
    }
  }
  for (int i = 0; i < c.fdb_size(); ++i) {
    const int v = vnet_of(c.fdb(i).vnet());
    if (auto mac = net::ParseMac(c.fdb(i).mac()); mac.ok() && v >= 0) {
      idx.macs.emplace(MacKey(v, mac->ToU64()), Owner{Owner::kFdb, i});
    }
  }
  for (const auto& rp : c.remote_ports()) {
    Parsed p;
    p.vnet = vnet_of(rp.vnet());
    auto mac = net::ParseMac(rp.mac());
    auto vtep = net::ParseIpv4(rp.vtep());
    if (p.vnet < 0 || !mac.ok() || !vtep.ok()) {
      ++idx.n_remote;  // Not valid: takes nothing (the config is validated whole anyway).
      continue;
    }
    p.mac = mac->ToU64();
    p.vtep = *vtep;
    for (const auto& s : rp.ips()) {
      if (auto ip = net::ParseIpv4(s); ip.ok() && p.n_ips < kMaxRemotePortIps) {
        p.ips[p.n_ips++] = *ip;
      }
    }
    AddRemote(&idx, p);
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
// `prefix` makes the field prefix (only on error: 100k ports).
template <typename Prefix>
absl::Status Check(const v1::RemotePort& rp, const v1::Config& config, const Index& idx,
                   const google::protobuf::RepeatedPtrField<v1::RemotePort>* added,
                   const Prefix& prefix, Parsed* out) {
  if (rp.vnet().empty()) {
    return Invalid(prefix() + "vnet", "required");
  }
  auto vi = idx.vnet_index.find(rp.vnet());
  if (vi == idx.vnet_index.end()) {
    return absl::NotFoundError(
        absl::StrFormat("%svnet: VNet '%s' does not exist", prefix(), rp.vnet()));
  }
  const v1::VNet& vnet = config.vnets(vi->second);
  out->vnet = vi->second;
  auto mac = net::ParseMac(rp.mac());
  if (!mac.ok() || mac->IsMulticast() || mac->IsZero()) {
    return ParseUnicastMac(prefix() + "mac", rp.mac()).status();
  }
  out->mac = mac->ToU64();
  if (auto it = idx.macs.find(MacKey(out->vnet, out->mac)); it != idx.macs.end()) {
    return absl::AlreadyExistsError(absl::StrFormat("%smac: '%s' is already used in VNet '%s' (%s)",
                                                    prefix(), rp.mac(), rp.vnet(),
                                                    Describe(it->second, config, added)));
  }
  if (rp.ips_size() > kMaxRemotePortIps) {
    return Invalid(prefix() + "ips",
                   absl::StrFormat("%d addresses; at most %d", rp.ips_size(), kMaxRemotePortIps));
  }
  for (int i = 0; i < rp.ips_size(); ++i) {
    auto field = [&] { return absl::StrFormat("%sips[%d]", prefix(), i); };
    auto ip = net::ParseIpv4(rp.ips(i));
    if (!ip.ok()) {
      return WithField(field(), ip.status());
    }
    if (!UnicastHost(*ip)) {
      return Invalid(field(), absl::StrFormat("'%s' is not a unicast host address", rp.ips(i)));
    }
    for (int j = 0; j < i; ++j) {
      if (out->ips[j] == *ip) {
        return Invalid(field(), absl::StrFormat("'%s' listed twice", rp.ips(i)));
      }
    }
    if (absl::Status st = CheckInsideVnet(field(), vnet, *ip, rp.ips(i)); !st.ok()) {
      return st;
    }
    if (auto it = idx.ips.find(IpKey(out->vnet, *ip)); it != idx.ips.end()) {
      return absl::AlreadyExistsError(
          absl::StrFormat("%s: %s is already an address in VNet '%s' (%s)", field(), rp.ips(i),
                          rp.vnet(), Describe(it->second, config, added)));
    }
    out->ips[out->n_ips++] = *ip;
  }
  if (rp.vtep().empty()) {
    return Invalid(prefix() + "vtep", "required (the underlay IPv4 address of the VM's host)");
  }
  auto vtep = net::ParseIpv4(rp.vtep());
  if (!vtep.ok()) {
    return WithField(prefix() + "vtep", vtep.status());
  }
  if (!UnicastHost(*vtep)) {
    return Invalid(prefix() + "vtep",
                   absl::StrFormat("'%s' is not a unicast host address", rp.vtep()));
  }
  if (idx.own_vtep != 0 && *vtep == idx.own_vtep) {
    return Invalid(prefix() + "vtep",
                   absl::StrFormat("%s is this host's own VTEP (the uplink's address)", rp.vtep()));
  }
  if (!idx.vteps.contains(*vtep) && idx.vteps.size() >= static_cast<size_t>(dataplane::kMaxVteps)) {
    return absl::ResourceExhaustedError(
        absl::StrFormat("%svtep: %s would be VTEP number %d; at most %d", prefix(), rp.vtep(),
                        dataplane::kMaxVteps + 1, dataplane::kMaxVteps));
  }
  out->vtep = *vtep;
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateRemotePort(const v1::RemotePort& port, const v1::Config& config,
                                const std::string& prefix) {
  Parsed p;
  return Check(port, config, BuildIndex(config), nullptr, [&] { return prefix; }, &p);
}

absl::Status ValidateRemotePorts(const google::protobuf::RepeatedPtrField<v1::RemotePort>& ports,
                                 const v1::Config& base, const std::string& field) {
  Index idx = BuildIndex(base);
  idx.macs.reserve(idx.macs.size() + ports.size());
  idx.ips.reserve(idx.ips.size() + ports.size());
  for (int i = 0; i < ports.size(); ++i) {
    Parsed p;
    absl::Status st = Check(ports.Get(i), base, idx, &ports,
                            [&] { return absl::StrFormat("%s[%d].", field, i); }, &p);
    if (!st.ok()) {
      return st;
    }
    AddRemote(&idx, p);
  }
  return absl::OkStatus();
}

}  // namespace vswitch::control
