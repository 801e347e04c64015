// SPDX-License-Identifier: Apache-2.0
//
// Validation of mirror destinations, TAP sessions (rules, tenancy, peering)
// and static neighbors (the next hops of collectors).
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "lib/net/ipv4.h"
#include "lib/net/ipv6.h"
#include "lib/net/mac_address.h"
#include "lib/status/status_macros.h"
#include "vswitch/control/config_lookup.h"
#include "vswitch/control/validator.h"
#include "vswitch/control/validator_fields.h"

namespace vswitch::control {
namespace {

using validator_internal::CheckInsideVnet;
using validator_internal::Invalid;
using validator_internal::kMaxVni;
using validator_internal::ParseUnicastMac;
using validator_internal::WithField;

const v1::VNet* FindVNet(const v1::Config& c, const std::string& name) {
  return FindByName(c.vnets(), name);
}

const v1::VPort* FindVPort(const v1::Config& c, const std::string& name) {
  return FindByName(c.vports(), name);
}

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

// An IPv4 or an IPv6 prefix (a ':' says which), without host bits.
absl::Status ValidateCidrField(const std::string& field, const std::string& text) {
  if (text.empty()) {
    return absl::OkStatus();
  }
  if (net::LooksLikeIpv6(text)) {
    auto p6 = net::ParseIpv6Prefix(text);
    if (!p6.ok()) {
      return WithField(field, p6.status());
    }
    if (p6->HasHostBits()) {
      return Invalid(field, absl::StrFormat("'%s' has host bits set (the prefix is %s/%u)", text,
                                            net::FormatIpv6(p6->Masked()), p6->len));
    }
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
  // A rule matches one family, or both when it names no prefix.
  const bool src6 = net::LooksLikeIpv6(rule.src_cidr());
  const bool dst6 = net::LooksLikeIpv6(rule.dst_cidr());
  if (!rule.src_cidr().empty() && !rule.dst_cidr().empty() && src6 != dst6) {
    return Invalid(prefix + "dst_cidr",
                   absl::StrFormat("'%s' is IPv%d but src_cidr '%s' is IPv%d: a rule's "
                                   "prefixes are of one family",
                                   rule.dst_cidr(), dst6 ? 6 : 4, rule.src_cidr(), src6 ? 6 : 4));
  }
  const bool v6 = src6 || dst6;
  const bool v4 = (!rule.src_cidr().empty() && !src6) || (!rule.dst_cidr().empty() && !dst6);
  if (v6 && rule.protocol() == 1) {
    return Invalid(prefix + "protocol", "1 (ICMP) never matches IPv6; ICMPv6 is 58");
  }
  if (v4 && rule.protocol() == 58) {
    return Invalid(prefix + "protocol", "58 (ICMPv6) never matches IPv4; ICMP is 1");
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
    if (dest.collectors_in_vnet()) {
      return Invalid(prefix + "collectors_in_vnet", "must be unset with pcapng");
    }
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
    if (dest.collectors_in_vnet()) {
      // A VM address: inside the VNet's prefixes when it has any. It need
      // not be known yet (its vport or remote port may come later; until
      // then its copies count as no_next_hop).
      st = CheckInsideVnet(field, *FindVNet(config, dest.vnet()),
                           *net::ParseIpv4(dest.collectors(i)), dest.collectors(i));
      if (!st.ok()) {
        return st;
      }
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

}  // namespace vswitch::control
