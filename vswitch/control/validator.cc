// SPDX-License-Identifier: Apache-2.0
//
// Validation of VNets, vports and static FDB entries, and of the whole
// configuration (TAP objects and neighbors: validator_tap.cc).
#include "vswitch/control/validator.h"

#include <optional>
#include <set>

#include "absl/strings/str_format.h"
#include "drivers/vport_driver.h"
#include "lib/net/ipv4.h"
#include "lib/net/mac_address.h"
#include "lib/status/status_macros.h"
#include "vswitch/control/config_lookup.h"
#include "vswitch/control/validator_fields.h"
#include "vswitch/dataplane/snapshot.h"

namespace vswitch::control {
namespace {

using validator_internal::CheckInsideVnet;
using validator_internal::Invalid;
using validator_internal::kMaxVni;
using validator_internal::ParseUnicastMac;
using validator_internal::WithField;

constexpr int kMaxPortSecurityMacs = dataplane::kPortSecMaxMacs;
constexpr int kMaxPortSecurityIps = dataplane::kPortSecMaxIps;

const v1::VNet* FindVNet(const v1::Config& c, const std::string& name) {
  return FindByName(c.vnets(), name);
}

const v1::VPort* FindVPort(const v1::Config& c, const std::string& name) {
  return FindByName(c.vports(), name);
}

bool ValidNameChars(const std::string& s) {
  for (char c : s) {
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) {
      return false;
    }
  }
  return true;
}

// Is `mac` already a static FDB entry of VNet `vnet` (entry, a vport's
// vm_macs or a remote port)? Returns who has it ("vport 'x'"), or nullopt.
std::optional<std::string> StaticOwner(const v1::Config& c, const std::string& vnet,
                                       const net::MacAddress& mac) {
  for (const auto& e : c.fdb()) {
    auto m = net::ParseMac(e.mac());
    if (e.vnet() == vnet && m.ok() && *m == mac) {
      return absl::StrFormat("vport '%s'", e.vport());
    }
  }
  for (const auto& p : c.vports()) {
    if (p.vnet() != vnet) {
      continue;
    }
    for (const auto& s : p.vm_macs()) {
      auto m = net::ParseMac(s);
      if (m.ok() && *m == mac) {
        return absl::StrFormat("vport '%s'", p.name());
      }
    }
  }
  for (const auto& r : c.remote_ports()) {
    auto m = net::ParseMac(r.mac());
    if (r.vnet() == vnet && m.ok() && *m == mac) {
      return absl::StrFormat("remote port of VTEP %s", r.vtep());
    }
  }
  return std::nullopt;
}

}  // namespace

absl::Status ValidateName(const std::string& field, const std::string& name) {
  if (name.empty() || name.size() > 32 || !ValidNameChars(name)) {
    return Invalid(field, absl::StrFormat("'%s' must be 1..32 characters of [A-Za-z0-9_.-]", name));
  }
  return absl::OkStatus();
}

absl::Status ValidateVNet(const v1::VNet& vnet, const v1::Config& config,
                          const std::string& prefix) {
  absl::Status st = ValidateName(prefix + "name", vnet.name());
  if (!st.ok()) {
    return st;
  }
  if (FindVNet(config, vnet.name()) != nullptr) {
    return absl::AlreadyExistsError(
        absl::StrFormat("%sname: VNet '%s' already exists", prefix, vnet.name()));
  }
  if (vnet.tenant().empty() || vnet.tenant().size() > 64 || !ValidNameChars(vnet.tenant())) {
    return Invalid(prefix + "tenant",
                   absl::StrFormat("'%s' must be 1..64 characters of [A-Za-z0-9_.-]", vnet.tenant()));
  }
  if (vnet.vni() == 0 || vnet.vni() > kMaxVni) {
    return Invalid(prefix + "vni", absl::StrFormat("%u is not in 1..%u", vnet.vni(), kMaxVni));
  }
  for (const auto& other : config.vnets()) {
    if (other.vni() == vnet.vni()) {
      return absl::AlreadyExistsError(absl::StrFormat("%svni: %u is already used by VNet '%s'",
                                                      prefix, vnet.vni(), other.name()));
    }
  }
  for (int i = 0; i < vnet.prefixes_size(); ++i) {
    const std::string field = absl::StrFormat("%sprefixes[%d]", prefix, i);
    auto p = net::ParseIpv4Prefix(vnet.prefixes(i));
    if (!p.ok()) {
      return WithField(field, p.status());
    }
    if ((p->addr & ~p->Mask()) != 0) {
      return Invalid(field, absl::StrFormat("'%s' has host bits set", vnet.prefixes(i)));
    }
  }
  std::set<std::string> seen;
  for (int i = 0; i < vnet.peers_size(); ++i) {
    const std::string field = absl::StrFormat("%speers[%d]", prefix, i);
    if (vnet.peers(i) == vnet.name()) {
      return Invalid(field, "a VNet cannot peer with itself");
    }
    if (!seen.insert(vnet.peers(i)).second) {
      return Invalid(field, absl::StrFormat("'%s' listed twice", vnet.peers(i)));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateVPort(const v1::VPort& vport, const v1::Config& config,
                           const std::string& prefix, bool check_host) {
  absl::Status st = ValidateName(prefix + "name", vport.name());
  if (!st.ok()) {
    return st;
  }
  if (FindVPort(config, vport.name()) != nullptr) {
    return absl::AlreadyExistsError(
        absl::StrFormat("%sname: vport '%s' already exists", prefix, vport.name()));
  }
  st = drivers::ValidateDriverSpec(vport.driver(), check_host);
  if (!st.ok()) {
    return WithField(prefix + "driver", st);
  }
  // Two vports on one kernel interface would steal each other's frames.
  const auto spec = drivers::ParseDriverSpec(vport.driver());
  const std::string* iface = spec->Find("iface");
  for (const auto& other : config.vports()) {
    const auto other_spec = drivers::ParseDriverSpec(other.driver());
    const std::string* other_iface = other_spec.ok() ? other_spec->Find("iface") : nullptr;
    if (iface != nullptr && other_iface != nullptr && *iface == *other_iface) {
      return absl::AlreadyExistsError(absl::StrFormat(
          "%sdriver: interface '%s' is already used by vport '%s'", prefix, *iface, other.name()));
    }
  }
  if (vport.queues() > 16) {
    return Invalid(prefix + "queues", absl::StrFormat("%u is not in 1..16", vport.queues()));
  }
  if (vport.admin_state() != v1::ADMIN_STATE_UNSPECIFIED &&
      vport.admin_state() != v1::ADMIN_STATE_UP && vport.admin_state() != v1::ADMIN_STATE_DOWN) {
    return Invalid(prefix + "admin_state", absl::StrFormat("unknown value %d", vport.admin_state()));
  }

  if (vport.kind() == v1::VPORT_KIND_UPLINK) {
    if (!vport.vnet().empty()) {
      return Invalid(prefix + "vnet", "the uplink belongs to no VNet; leave it empty");
    }
    if (vport.vm_macs_size() > 0) {
      return Invalid(prefix + "vm_macs", "the uplink has no VM MACs");
    }
    if (vport.ips_size() > 0) {
      return Invalid(prefix + "ips", "the uplink has no VM addresses");
    }
    for (const auto& other : config.vports()) {
      if (other.kind() == v1::VPORT_KIND_UPLINK) {
        return absl::FailedPreconditionError(absl::StrFormat(
            "%skind: uplink '%s' already exists; only one is allowed", prefix, other.name()));
      }
    }
    if (!vport.has_uplink()) {
      return Invalid(prefix + "uplink", "required for an uplink (ip_cidr, gateway, mtu)");
    }
    const auto& up = vport.uplink();
    auto ip = net::ParseIpv4Prefix(up.ip_cidr());
    if (!ip.ok()) {
      return WithField(prefix + "uplink.ip_cidr", ip.status());
    }
    const uint32_t host = ip->addr & ~ip->Mask();
    // A /31 has no network or broadcast address (RFC 3021).
    if (ip->len == 0 || ip->len > 31 || (ip->len < 31 && (host == 0 || host == ~ip->Mask()))) {
      return Invalid(prefix + "uplink.ip_cidr",
                     absl::StrFormat("'%s' is not a host address with a prefix length of 1..31",
                                     up.ip_cidr()));
    }
    if (!up.gateway().empty()) {
      auto gw = net::ParseIpv4(up.gateway());
      if (!gw.ok()) {
        return WithField(prefix + "uplink.gateway", gw.status());
      }
      if (!ip->Contains(*gw) || *gw == ip->addr) {
        return Invalid(prefix + "uplink.gateway",
                       absl::StrFormat("%s is not another address inside %s", up.gateway(),
                                       up.ip_cidr()));
      }
    }
    if (up.mtu() != 0 && (up.mtu() < 576 || up.mtu() > 9000)) {
      return Invalid(prefix + "uplink.mtu", absl::StrFormat("%u is not in 576..9000", up.mtu()));
    }
    return absl::OkStatus();
  }

  if (vport.kind() != v1::VPORT_KIND_VM) {
    return Invalid(prefix + "kind", absl::StrFormat("unknown value %d", vport.kind()));
  }
  if (vport.has_uplink()) {
    return Invalid(prefix + "uplink", "only an uplink vport takes uplink settings");
  }
  if (vport.vnet().empty()) {
    return Invalid(prefix + "vnet", "required for a VM vport");
  }
  if (FindVNet(config, vport.vnet()) == nullptr) {
    return absl::NotFoundError(
        absl::StrFormat("%svnet: VNet '%s' does not exist", prefix, vport.vnet()));
  }
  std::set<uint64_t> own;
  for (int i = 0; i < vport.vm_macs_size(); ++i) {
    const std::string field = absl::StrFormat("%svm_macs[%d]", prefix, i);
    auto mac = ParseUnicastMac(field, vport.vm_macs(i));
    if (!mac.ok()) {
      return mac.status();
    }
    if (!own.insert(mac->ToU64()).second) {
      return Invalid(field, absl::StrFormat("'%s' listed twice", vport.vm_macs(i)));
    }
    if (const auto owner = StaticOwner(config, vport.vnet(), *mac)) {
      return absl::AlreadyExistsError(
          absl::StrFormat("%s: '%s' is already a static entry of VNet '%s' (%s)", field,
                          vport.vm_macs(i), vport.vnet(), *owner));
    }
  }
  // The dataplane keeps a small allowed set per port (PortSecurity).
  if (!vport.port_security_disabled() && vport.vm_macs_size() > kMaxPortSecurityMacs) {
    return Invalid(prefix + "vm_macs",
                   absl::StrFormat("%d MACs; port security takes at most %d (or set "
                                   "port_security_disabled)",
                                   vport.vm_macs_size(), kMaxPortSecurityMacs));
  }
  if (vport.ips_size() > kMaxPortSecurityIps) {
    return Invalid(prefix + "ips", absl::StrFormat("%d addresses; at most %d", vport.ips_size(),
                                                   kMaxPortSecurityIps));
  }
  const v1::VNet* vnet = FindVNet(config, vport.vnet());
  std::set<uint32_t> own_ips;
  for (int i = 0; i < vport.ips_size(); ++i) {
    const std::string field = absl::StrFormat("%sips[%d]", prefix, i);
    auto ip = net::ParseIpv4(vport.ips(i));
    if (!ip.ok()) {
      return WithField(field, ip.status());
    }
    const uint8_t first = static_cast<uint8_t>(*ip >> 24);
    if (*ip == 0 || *ip == 0xffffffffu || first == 127 || (first >= 224)) {
      return Invalid(field, absl::StrFormat("'%s' is not a unicast host address", vport.ips(i)));
    }
    if (!own_ips.insert(*ip).second) {
      return Invalid(field, absl::StrFormat("'%s' listed twice", vport.ips(i)));
    }
    if (absl::Status st = CheckInsideVnet(field, *vnet, *ip, vport.ips(i)); !st.ok()) {
      return st;
    }
    for (const auto& other : config.vports()) {
      if (other.vnet() != vport.vnet() || other.name() == vport.name()) {
        continue;
      }
      for (const auto& s : other.ips()) {
        auto o = net::ParseIpv4(s);
        if (o.ok() && *o == *ip) {
          return absl::AlreadyExistsError(
              absl::StrFormat("%s: %s is already an address of vport '%s' in VNet '%s'", field,
                              vport.ips(i), other.name(), vport.vnet()));
        }
      }
    }
    for (const auto& r : config.remote_ports()) {
      if (r.vnet() != vport.vnet()) {
        continue;
      }
      for (const auto& s : r.ips()) {
        auto o = net::ParseIpv4(s);
        if (o.ok() && *o == *ip) {
          return absl::AlreadyExistsError(absl::StrFormat(
              "%s: %s is already an address of remote port %s (VTEP %s) in VNet '%s'", field,
              vport.ips(i), r.mac(), r.vtep(), vport.vnet()));
        }
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateFdbEntry(const v1::FdbEntry& entry, const v1::Config& config,
                              const std::string& prefix) {
  if (FindVNet(config, entry.vnet()) == nullptr) {
    return absl::NotFoundError(
        absl::StrFormat("%svnet: VNet '%s' does not exist", prefix, entry.vnet()));
  }
  auto mac = ParseUnicastMac(prefix + "mac", entry.mac());
  if (!mac.ok()) {
    return mac.status();
  }
  const v1::VPort* vport = FindVPort(config, entry.vport());
  if (vport == nullptr) {
    return absl::NotFoundError(
        absl::StrFormat("%svport: vport '%s' does not exist", prefix, entry.vport()));
  }
  if (vport->vnet() != entry.vnet()) {
    return absl::FailedPreconditionError(
        absl::StrFormat("%svport: '%s' is not in VNet '%s'", prefix, entry.vport(), entry.vnet()));
  }
  if (const auto owner = StaticOwner(config, entry.vnet(), *mac)) {
    return absl::AlreadyExistsError(
        absl::StrFormat("%smac: '%s' is already a static entry of VNet '%s' (%s)", prefix,
                        entry.mac(), entry.vnet(), *owner));
  }
  return absl::OkStatus();
}

absl::Status ValidateConfig(const v1::Config& config) {
  v1::Config seen;
  for (int i = 0; i < config.vnets_size(); ++i) {
    v1::VNet v = config.vnets(i);
    v.clear_peers();  // Peers may name VNets that come later; checked below.
    absl::Status st = ValidateVNet(v, seen, absl::StrFormat("vnets[%d].", i));
    if (!st.ok()) {
      return st;
    }
    *seen.add_vnets() = config.vnets(i);
  }
  for (int i = 0; i < config.vnets_size(); ++i) {
    absl::Status st = ValidateVNet(config.vnets(i), v1::Config(), absl::StrFormat("vnets[%d].", i));
    if (!st.ok()) {
      return st;
    }
    for (int j = 0; j < config.vnets(i).peers_size(); ++j) {
      const std::string& peer = config.vnets(i).peers(j);
      const v1::VNet* other = FindVNet(config, peer);
      if (other == nullptr) {
        return absl::NotFoundError(
            absl::StrFormat("vnets[%d].peers[%d]: VNet '%s' does not exist", i, j, peer));
      }
      bool back = false;
      for (const auto& p : other->peers()) {
        back |= p == config.vnets(i).name();
      }
      if (!back) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "vnets[%d].peers[%d]: '%s' does not list '%s' back (peering is symmetric)", i, j,
            peer, config.vnets(i).name()));
      }
    }
  }
  for (int i = 0; i < config.vports_size(); ++i) {
    absl::Status st =
        ValidateVPort(config.vports(i), seen, absl::StrFormat("vports[%d].", i), false);
    if (!st.ok()) {
      return st;
    }
    *seen.add_vports() = config.vports(i);
  }
  for (int i = 0; i < config.fdb_size(); ++i) {
    absl::Status st = ValidateFdbEntry(config.fdb(i), seen, absl::StrFormat("fdb[%d].", i));
    if (!st.ok()) {
      return st;
    }
    *seen.add_fdb() = config.fdb(i);
  }
  for (int i = 0; i < config.destinations_size(); ++i) {
    absl::Status st = ValidateDestination(config.destinations(i), seen,
                                          absl::StrFormat("destinations[%d].", i));
    if (!st.ok()) {
      return st;
    }
    *seen.add_destinations() = config.destinations(i);
  }
  for (int i = 0; i < config.tap_sessions_size(); ++i) {
    absl::Status st = ValidateTapSession(config.tap_sessions(i), seen,
                                         absl::StrFormat("tap_sessions[%d].", i));
    if (!st.ok()) {
      return st;
    }
    *seen.add_tap_sessions() = config.tap_sessions(i);
  }
  // After vports and FDB entries: a clash names the remote port.
  absl::Status rst = ValidateRemotePorts(config.remote_ports(), seen, "remote_ports");
  if (!rst.ok()) {
    return rst;
  }
  for (int i = 0; i < config.neighbors_size(); ++i) {
    absl::Status st =
        ValidateNeighbor(config.neighbors(i), seen, absl::StrFormat("neighbors[%d].", i));
    if (!st.ok()) {
      return st;
    }
    *seen.add_neighbors() = config.neighbors(i);
  }
  return absl::OkStatus();
}

}  // namespace vswitch::control
