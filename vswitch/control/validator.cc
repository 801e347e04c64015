// SPDX-License-Identifier: Apache-2.0
#include "vswitch/control/validator.h"

#include <set>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "drivers/vport_driver.h"
#include "lib/net/ipv4.h"
#include "lib/net/mac_address.h"
#include "lib/status/status_macros.h"

namespace vswitch::control {
namespace {

constexpr uint32_t kMaxVni = (1u << 24) - 1;

absl::Status Invalid(const std::string& field, const std::string& msg) {
  return absl::InvalidArgumentError(absl::StrFormat("%s: %s", field, msg));
}

// Re-wraps `st` (keeping its code) with the field in front.
absl::Status WithField(const std::string& field, const absl::Status& st) {
  return absl::Status(st.code(), absl::StrFormat("%s: %s", field, st.message()));
}

const v1::VNet* FindVNet(const v1::Config& c, const std::string& name) {
  for (const auto& v : c.vnets()) {
    if (v.name() == name) {
      return &v;
    }
  }
  return nullptr;
}

const v1::VPort* FindVPort(const v1::Config& c, const std::string& name) {
  for (const auto& p : c.vports()) {
    if (p.name() == name) {
      return &p;
    }
  }
  return nullptr;
}

bool ValidNameChars(const std::string& s) {
  for (char c : s) {
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) {
      return false;
    }
  }
  return true;
}

// A unicast, non-zero MAC, or InvalidArgument naming `field`.
absl::StatusOr<net::MacAddress> ParseUnicastMac(const std::string& field, const std::string& s) {
  auto mac = net::ParseMac(s);
  if (!mac.ok()) {
    return WithField(field, mac.status());
  }
  if (mac->IsMulticast() || mac->IsZero()) {
    return Invalid(field, absl::StrFormat("'%s' is not a unicast MAC", s));
  }
  return *mac;
}

// Is `mac` already a static FDB entry of VNet `vnet` (entry or a vport's vm_macs)?
const std::string* StaticOwner(const v1::Config& c, const std::string& vnet,
                               const net::MacAddress& mac) {
  for (const auto& e : c.fdb()) {
    auto m = net::ParseMac(e.mac());
    if (e.vnet() == vnet && m.ok() && *m == mac) {
      return &e.vport();
    }
  }
  for (const auto& p : c.vports()) {
    if (p.vnet() != vnet) {
      continue;
    }
    for (const auto& s : p.vm_macs()) {
      auto m = net::ParseMac(s);
      if (m.ok() && *m == mac) {
        return &p.name();
      }
    }
  }
  return nullptr;
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
    if (const std::string* owner = StaticOwner(config, vport.vnet(), *mac)) {
      return absl::AlreadyExistsError(
          absl::StrFormat("%s: '%s' is already a static entry of VNet '%s' (vport '%s')", field,
                          vport.vm_macs(i), vport.vnet(), *owner));
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
  if (const std::string* owner = StaticOwner(config, entry.vnet(), *mac)) {
    return absl::AlreadyExistsError(
        absl::StrFormat("%smac: '%s' is already a static entry of VNet '%s' (vport '%s')", prefix,
                        entry.mac(), entry.vnet(), *owner));
  }
  return absl::OkStatus();
}

namespace {

constexpr int kMaxSessionsCfg = 32;      // dataplane::kMaxSessions
constexpr int kMaxDestinationsCfg = 32;  // dataplane::kMaxDestinations

const v1::MirrorDestination* FindDestination(const v1::Config& c, const std::string& name) {
  for (const auto& d : c.destinations()) {
    if (d.name() == name) {
      return &d;
    }
  }
  return nullptr;
}

bool Peered(const v1::VNet& a, const std::string& b) {
  for (const auto& p : a.peers()) {
    if (p == b) {
      return true;
    }
  }
  return false;
}

absl::Status ValidateCidrField(const std::string& field, const std::string& text) {
  if (text.empty()) {
    return absl::OkStatus();
  }
  auto p = net::ParseIpv4Prefix(text);
  if (!p.ok()) {
    return WithField(field, p.status());
  }
  if ((p->addr & ~p->Mask()) != 0) {
    return Invalid(field, absl::StrFormat("'%s' has host bits set", text));
  }
  return absl::OkStatus();
}

absl::Status ValidatePortRange(const std::string& field, const v1::PortRange& r) {
  if (r.first() > 65535 || r.last() > 65535) {
    return Invalid(field, absl::StrFormat("%u-%u: ports are 0..65535", r.first(), r.last()));
  }
  if (r.first() > r.last()) {
    return Invalid(field, absl::StrFormat("%u-%u: first is after last", r.first(), r.last()));
  }
  return absl::OkStatus();
}

bool AnyPort(const v1::PortRange& r) { return r.first() == 0 && r.last() == 0; }

absl::Status ValidateRule(const v1::TapRule& rule, const std::string& prefix) {
  if (rule.priority() > 65535) {
    return Invalid(prefix + "priority", absl::StrFormat("%u is not in 0..65535", rule.priority()));
  }
  if (rule.action() != v1::TAP_ACTION_UNSPECIFIED && rule.action() != v1::TAP_ACTION_ACCEPT &&
      rule.action() != v1::TAP_ACTION_REJECT) {
    return Invalid(prefix + "action", absl::StrFormat("unknown value %d", rule.action()));
  }
  if (rule.protocol() > 255) {
    return Invalid(prefix + "protocol", absl::StrFormat("%u is not in 0..255", rule.protocol()));
  }
  absl::Status st = ValidateCidrField(prefix + "src_cidr", rule.src_cidr());
  if (!st.ok()) {
    return st;
  }
  st = ValidateCidrField(prefix + "dst_cidr", rule.dst_cidr());
  if (!st.ok()) {
    return st;
  }
  st = ValidatePortRange(prefix + "src_ports", rule.src_ports());
  if (!st.ok()) {
    return st;
  }
  st = ValidatePortRange(prefix + "dst_ports", rule.dst_ports());
  if (!st.ok()) {
    return st;
  }
  const bool l4 = rule.protocol() == 6 || rule.protocol() == 17 || rule.protocol() == 132;
  if (!l4 && (!AnyPort(rule.src_ports()) || !AnyPort(rule.dst_ports()))) {
    return Invalid(prefix + "protocol",
                   absl::StrFormat("port ranges need protocol 6, 17 or 132, not %u",
                                   rule.protocol()));
  }
  if (rule.direction() < v1::TAP_DIRECTION_UNSPECIFIED ||
      rule.direction() > v1::TAP_DIRECTION_BOTH) {
    return Invalid(prefix + "direction", absl::StrFormat("unknown value %d", rule.direction()));
  }
  return absl::OkStatus();
}

// An underlay unicast host address.
absl::Status ValidateUnderlayIp(const std::string& field, const std::string& text) {
  auto ip = net::ParseIpv4(text);
  if (!ip.ok()) {
    return WithField(field, ip.status());
  }
  const uint32_t v = *ip;
  if (v == 0 || v == 0xffffffffu || (v >> 28) == 0xe || (v >> 24) == 127) {
    return Invalid(field, absl::StrFormat("'%s' is not a unicast host address", text));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidatePcapngFileName(const std::string& field, const std::string& file) {
  if (file.empty() || file.size() > 255) {
    return Invalid(field, absl::StrFormat("'%s' is %d bytes; want a file name of 1..255 bytes",
                                          absl::CEscape(file), file.size()));
  }
  if (file.find('\0') != std::string::npos) {
    return Invalid(field, absl::StrFormat("'%s' contains a NUL byte", absl::CEscape(file)));
  }
  if (file.find('/') != std::string::npos) {
    return Invalid(field, absl::StrFormat("'%s' contains '/'; want a file name inside "
                                          "--capture_dir, not a path",
                                          absl::CEscape(file)));
  }
  if (file == "." || file == "..") {
    return Invalid(field, absl::StrFormat("'%s' is not a file name", file));
  }
  return absl::OkStatus();
}

namespace {

// A pcapng destination: a file in --capture_dir instead of collectors.
absl::Status ValidatePcapngDestination(const v1::MirrorDestination& dest,
                                       const std::string& prefix) {
  if (dest.collectors_size() != 0) {
    return Invalid(prefix + "collectors", "must be empty with pcapng (a destination is "
                                          "either collectors or a pcapng file)");
  }
  if (dest.vni() != 0) {
    return Invalid(prefix + "vni", absl::StrFormat("%u: must be unset with pcapng", dest.vni()));
  }
  if (dest.udp_port() != 0) {
    return Invalid(prefix + "udp_port",
                   absl::StrFormat("%u: must be unset with pcapng", dest.udp_port()));
  }
  if (dest.mark_copies()) {
    return Invalid(prefix + "mark_copies", "must be unset with pcapng");
  }
  VS_RETURN_IF_ERROR(ValidatePcapngFileName(prefix + "pcapng.file", dest.pcapng().file()));
  const uint64_t rotate = dest.pcapng().rotate_bytes();
  if (rotate != 0 && rotate < 1024) {
    return Invalid(prefix + "pcapng.rotate_bytes",
                   absl::StrFormat("%u is below 1024 (0 = never rotate)", rotate));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateDestination(const v1::MirrorDestination& dest, const v1::Config& config,
                                 const std::string& prefix) {
  absl::Status st = ValidateName(prefix + "name", dest.name());
  if (!st.ok()) {
    return st;
  }
  if (FindDestination(config, dest.name()) != nullptr) {
    return absl::AlreadyExistsError(
        absl::StrFormat("%sname: destination '%s' already exists", prefix, dest.name()));
  }
  if (config.destinations_size() >= kMaxDestinationsCfg) {
    return absl::ResourceExhaustedError(
        absl::StrFormat("%sname: at most %d destinations", prefix, kMaxDestinationsCfg));
  }
  if (FindVNet(config, dest.vnet()) == nullptr) {
    return absl::NotFoundError(
        absl::StrFormat("%svnet: VNet '%s' does not exist", prefix, dest.vnet()));
  }
  if (dest.has_pcapng()) {
    return ValidatePcapngDestination(dest, prefix);
  }
  if (dest.vni() == 0 || dest.vni() > kMaxVni) {
    return Invalid(prefix + "vni", absl::StrFormat("%u is not in 1..%u", dest.vni(), kMaxVni));
  }
  if (dest.udp_port() == 0 || dest.udp_port() > 65535) {
    return Invalid(prefix + "udp_port", absl::StrFormat("%u is not in 1..65535", dest.udp_port()));
  }
  if (dest.collectors_size() < 1 || dest.collectors_size() > 8) {
    return Invalid(prefix + "collectors",
                   absl::StrFormat("%d given; want 1..8 collector addresses",
                                   dest.collectors_size()));
  }
  std::set<std::string> seen;
  for (int i = 0; i < dest.collectors_size(); ++i) {
    const std::string field = absl::StrFormat("%scollectors[%d]", prefix, i);
    st = ValidateUnderlayIp(field, dest.collectors(i));
    if (!st.ok()) {
      return st;
    }
    if (!seen.insert(dest.collectors(i)).second) {
      return Invalid(field, absl::StrFormat("'%s' listed twice", dest.collectors(i)));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateTapSession(const v1::TapSession& session, const v1::Config& config,
                                const std::string& prefix) {
  absl::Status st = ValidateName(prefix + "name", session.name());
  if (!st.ok()) {
    return st;
  }
  for (const auto& s : config.tap_sessions()) {
    if (s.name() == session.name()) {
      return absl::AlreadyExistsError(
          absl::StrFormat("%sname: TAP session '%s' already exists", prefix, session.name()));
    }
  }
  if (config.tap_sessions_size() >= kMaxSessionsCfg) {
    return absl::ResourceExhaustedError(
        absl::StrFormat("%sname: at most %d TAP sessions", prefix, kMaxSessionsCfg));
  }
  if (session.direction() < v1::TAP_DIRECTION_UNSPECIFIED ||
      session.direction() > v1::TAP_DIRECTION_BOTH) {
    return Invalid(prefix + "direction", absl::StrFormat("unknown value %d", session.direction()));
  }
  if (session.truncate_bytes() != 0 &&
      (session.truncate_bytes() < 64 || session.truncate_bytes() > 65535)) {
    return Invalid(prefix + "truncate_bytes",
                   absl::StrFormat("%u: want 0 (whole frame) or 64..65535",
                                   session.truncate_bytes()));
  }
  if (session.destinations_size() < 1 || session.destinations_size() > 8) {
    return Invalid(prefix + "destinations",
                   absl::StrFormat("%d given; want 1..8", session.destinations_size()));
  }
  if (session.sources_size() < 1 || session.sources_size() > 64) {
    return Invalid(prefix + "sources",
                   absl::StrFormat("%d given; want 1..64 vports", session.sources_size()));
  }
  std::vector<const v1::MirrorDestination*> dests;
  std::set<std::string> seen;
  for (int i = 0; i < session.destinations_size(); ++i) {
    const std::string field = absl::StrFormat("%sdestinations[%d]", prefix, i);
    const v1::MirrorDestination* d = FindDestination(config, session.destinations(i));
    if (d == nullptr) {
      return absl::NotFoundError(absl::StrFormat("%s: destination '%s' does not exist", field,
                                                 session.destinations(i)));
    }
    if (!seen.insert(d->name()).second) {
      return Invalid(field, absl::StrFormat("'%s' listed twice", d->name()));
    }
    dests.push_back(d);
  }
  seen.clear();
  for (int i = 0; i < session.sources_size(); ++i) {
    const std::string field = absl::StrFormat("%ssources[%d]", prefix, i);
    const v1::VPort* vp = FindVPort(config, session.sources(i));
    if (vp == nullptr) {
      return absl::NotFoundError(
          absl::StrFormat("%s: vport '%s' does not exist", field, session.sources(i)));
    }
    if (vp->kind() != v1::VPORT_KIND_VM) {
      return Invalid(field, absl::StrFormat("'%s' is the uplink; only VM vports can be tapped",
                                            vp->name()));
    }
    if (!seen.insert(vp->name()).second) {
      return Invalid(field, absl::StrFormat("'%s' listed twice", vp->name()));
    }
    const v1::VNet* src_vnet = FindVNet(config, vp->vnet());
    for (const v1::MirrorDestination* d : dests) {
      const v1::VNet* dst_vnet = FindVNet(config, d->vnet());
      if (src_vnet->tenant() != dst_vnet->tenant()) {
        return absl::PermissionDeniedError(absl::StrFormat(
            "%s: vport '%s' belongs to tenant '%s'; destination '%s' to tenant '%s'", field,
            vp->name(), src_vnet->tenant(), d->name(), dst_vnet->tenant()));
      }
      if (src_vnet->name() != dst_vnet->name() && !Peered(*src_vnet, dst_vnet->name())) {
        return absl::FailedPreconditionError(absl::StrFormat(
            "%s: vport '%s' is in VNet '%s', which is neither destination '%s''s VNet '%s' nor "
            "peered with it",
            field, vp->name(), src_vnet->name(), d->name(), dst_vnet->name()));
      }
    }
  }
  std::set<uint32_t> priorities;
  for (int i = 0; i < session.rules_size(); ++i) {
    const std::string rp = absl::StrFormat("%srules[%d].", prefix, i);
    st = ValidateRule(session.rules(i), rp);
    if (!st.ok()) {
      return st;
    }
    if (!priorities.insert(session.rules(i).priority()).second) {
      return Invalid(rp + "priority", absl::StrFormat("%u is used by another rule of the session",
                                                      session.rules(i).priority()));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateNeighbor(const v1::Neighbor& neighbor, const v1::Config& config,
                              const std::string& prefix) {
  absl::Status st = ValidateUnderlayIp(prefix + "ip", neighbor.ip());
  if (!st.ok()) {
    return st;
  }
  auto mac = ParseUnicastMac(prefix + "mac", neighbor.mac());
  if (!mac.ok()) {
    return mac.status();
  }
  for (const auto& n : config.neighbors()) {
    if (n.ip() == neighbor.ip()) {
      return absl::AlreadyExistsError(
          absl::StrFormat("%sip: a static neighbor for %s exists", prefix, neighbor.ip()));
    }
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
