// SPDX-License-Identifier: Apache-2.0
#include "vswitch/fleet/fleet_state.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/net/ipv4.h"
#include "vswitch/control/validator.h"
#include "vswitch/control/validator_fields.h"
#include "vswitch/fleet/keyspace.h"

namespace vswitch::fleet {
namespace {

using control::validator_internal::CheckInsideVnet;
using control::validator_internal::ParseUnicastMac;

constexpr int kMaxVmMacs = 8;
constexpr int kMaxVmIps = 8;
constexpr uint32_t kMaxQueues = 16;

absl::Status ParseJson(std::string_view value, google::protobuf::Message* msg) {
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = false;
  const auto st = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(value.data(), value.size()), msg, opts);
  if (!st.ok()) {
    // One line: the parser's message points at the token on a second line.
    std::string why(st.message());
    std::replace(why.begin(), why.end(), '\n', ' ');
    return absl::InvalidArgumentError(
        absl::StrCat("not a ", msg->GetDescriptor()->name(), " in protobuf JSON: ", why));
  }
  return absl::OkStatus();
}

absl::Status NameMatches(const std::string& name, const std::string& key_name) {
  if (name != key_name) {
    return absl::InvalidArgumentError(
        absl::StrFormat("name: \"%s\" differs from the key's \"%s\"", name, key_name));
  }
  return absl::OkStatus();
}

absl::Status CheckVm(const v1::Vm& vm) {
  if (absl::Status s = control::ValidateName("vnet", vm.vnet()); !s.ok()) return s;
  if (absl::Status s = control::ValidateName("host", vm.host()); !s.ok()) return s;
  if (vm.macs_size() < 1 || vm.macs_size() > kMaxVmMacs) {
    return absl::InvalidArgumentError(
        absl::StrFormat("macs: a VM has 1..%d MACs, not %d", kMaxVmMacs, vm.macs_size()));
  }
  for (int i = 0; i < vm.macs_size(); ++i) {
    auto mac = ParseUnicastMac(absl::StrCat("macs[", i, "]"), vm.macs(i));
    if (!mac.ok()) return mac.status();
  }
  if (vm.ips_size() > kMaxVmIps) {
    return absl::InvalidArgumentError(absl::StrFormat("ips: at most %d", kMaxVmIps));
  }
  for (int i = 0; i < vm.ips_size(); ++i) {
    auto ip = net::ParseIpv4(vm.ips(i));
    if (!ip.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("ips[", i, "]: ", std::string(ip.status().message())));
    }
  }
  if (vm.driver().empty()) {
    return absl::InvalidArgumentError("driver: empty (e.g. \"vhost\")");
  }
  if (vm.queues() > kMaxQueues) {
    return absl::InvalidArgumentError(absl::StrFormat("queues: at most %u", kMaxQueues));
  }
  return absl::OkStatus();
}

// A config in which `vnet` exists, so that the daemon's validators can
// check an object alone (what it references is checked by ValidateFleet
// and, finally, by vswitchd).
vswitch::v1::Config StubConfig(const std::string& vnet) {
  vswitch::v1::Config c;
  vswitch::v1::VNet* v = c.add_vnets();
  v->set_name(vnet.empty() ? "stub" : vnet);
  v->set_tenant("stub");
  v->set_vni(1);
  return c;
}

template <typename M>
void EraseFrom(absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>>* index,
               const std::string& bucket, const M& member) {
  auto it = index->find(bucket);
  if (it != index->end()) {
    it->second.erase(member);
    if (it->second.empty()) index->erase(it);
  }
}

}  // namespace

absl::Status FleetState::Put(std::string_view key, std::string_view value) {
  const std::string k(key);
  const ParsedKey pk = ParseKey(key);
  absl::Status s;
  switch (pk.kind) {
    case KeyKind::kInvalid:
      s = absl::InvalidArgumentError("not a key of the fleet's keyspace (doc/fleet.md)");
      break;
    case KeyKind::kTenant: {
      v1::Tenant t;
      s = ParseJson(value, &t);
      if (s.ok()) s = NameMatches(t.name(), pk.name);
      if (s.ok()) tenants_[pk.name] = std::move(t);
      break;
    }
    case KeyKind::kVnet: {
      vswitch::v1::VNet v;
      s = ParseJson(value, &v);
      if (s.ok()) s = NameMatches(v.name(), pk.name);
      if (s.ok() && v.peers_size() > 0) {
        s = absl::InvalidArgumentError("peers: peerings are keys of their own (peerings/A:B)");
      }
      if (s.ok()) {
        v.clear_id();
        s = control::ValidateVNet(v, vswitch::v1::Config(), "");
      }
      if (s.ok()) vnets_[pk.name] = std::move(v);
      break;
    }
    case KeyKind::kVni: {
      v1::VniClaim c;
      s = ParseJson(value, &c);
      if (s.ok()) s = control::ValidateName("vnet", c.vnet());
      if (s.ok()) vni_claims_[static_cast<uint32_t>(std::stoul(pk.name))] = c.vnet();
      break;
    }
    case KeyKind::kVm: {
      v1::Vm vm;
      s = ParseJson(value, &vm);
      if (s.ok()) s = NameMatches(vm.name(), pk.name);
      if (s.ok()) s = CheckVm(vm);
      if (s.ok()) {
        if (auto it = vms_.find(pk.name); it != vms_.end()) {
          EraseFrom(&vms_by_vnet_, it->second.vnet(), pk.name);
          EraseFrom(&vms_by_host_, it->second.host(), pk.name);
        }
        vms_by_vnet_[vm.vnet()].insert(pk.name);
        vms_by_host_[vm.host()].insert(pk.name);
        vms_[pk.name] = std::move(vm);
      }
      break;
    }
    case KeyKind::kDestination: {
      vswitch::v1::MirrorDestination d;
      s = ParseJson(value, &d);
      if (s.ok()) s = NameMatches(d.name(), pk.name);
      if (s.ok()) {
        d.clear_id();
        if (d.udp_port() == 0 && !d.has_pcapng()) d.set_udp_port(4789);  // vswitchd's default.
        s = control::ValidateDestination(d, StubConfig(d.vnet()), "");
      }
      if (s.ok()) destinations_[pk.name] = std::move(d);
      break;
    }
    case KeyKind::kTap: {
      vswitch::v1::TapSession t;
      s = ParseJson(value, &t);
      if (s.ok()) s = NameMatches(t.name(), pk.name);
      if (s.ok()) {
        t.clear_id();
        // Sources and destinations as if all were of one VNet: what is
        // checked here is the session's own fields (rules, rates, names).
        vswitch::v1::Config stub = StubConfig("stub");
        for (const std::string& src : t.sources()) {
          vswitch::v1::VPort* p = stub.add_vports();
          p->set_name(src);
          p->set_kind(vswitch::v1::VPORT_KIND_VM);
          p->set_vnet("stub");
          p->set_driver("null");
        }
        for (const std::string& dst : t.destinations()) {
          vswitch::v1::MirrorDestination* d = stub.add_destinations();
          d->set_name(dst);
          d->set_vnet("stub");
          d->set_vni(1);
          d->add_collectors("192.0.2.1");
        }
        s = control::ValidateTapSession(t, stub, "");
      }
      if (s.ok()) {
        if (auto it = taps_.find(pk.name); it != taps_.end()) {
          for (const std::string& src : it->second.sources()) {
            EraseFrom(&taps_by_vm_, src, pk.name);
          }
        }
        for (const std::string& src : t.sources()) {
          taps_by_vm_[src].insert(pk.name);
        }
        taps_[pk.name] = std::move(t);
      }
      break;
    }
    case KeyKind::kPeering: {
      v1::Peering p;
      s = ParseJson(value, &p);
      const std::string a = pk.name.substr(0, pk.name.find(':'));
      const std::string b = pk.name.substr(pk.name.find(':') + 1);
      if (s.ok() && (p.vnet_a() != a || p.vnet_b() != b)) {
        s = absl::InvalidArgumentError(absl::StrFormat(
            "vnet_a, vnet_b: \"%s\", \"%s\" differ from the key's", p.vnet_a(), p.vnet_b()));
      }
      if (s.ok()) peerings_.insert({a, b});
      break;
    }
    case KeyKind::kHostVtep: {
      v1::HostVtep v;
      s = ParseJson(value, &v);
      if (s.ok()) {
        auto ip = net::ParseIpv4(v.ip());
        if (!ip.ok() || *ip == 0 || (*ip >> 28) >= 14) {
          s = absl::InvalidArgumentError(absl::StrFormat("ip: \"%s\" is not a unicast IPv4",
                                                         v.ip()));
        }
      }
      if (s.ok()) host_vteps_[pk.name] = v.ip();
      break;
    }
    case KeyKind::kHostStatus: {
      v1::HostStatus st;
      s = ParseJson(value, &st);
      if (s.ok()) host_status_[pk.name] = std::move(st);
      break;
    }
  }
  if (!s.ok()) {
    errors_[k] = std::string(s.message());
    return absl::InvalidArgumentError(absl::StrCat(k, ": ", s.message()));
  }
  errors_.erase(k);
  return absl::OkStatus();
}

void FleetState::Delete(std::string_view key) {
  const std::string k(key);
  errors_.erase(k);
  const ParsedKey pk = ParseKey(key);
  switch (pk.kind) {
    case KeyKind::kInvalid:
      break;
    case KeyKind::kTenant:
      tenants_.erase(pk.name);
      break;
    case KeyKind::kVnet:
      vnets_.erase(pk.name);
      break;
    case KeyKind::kVni:
      vni_claims_.erase(static_cast<uint32_t>(std::stoul(pk.name)));
      break;
    case KeyKind::kVm:
      if (auto it = vms_.find(pk.name); it != vms_.end()) {
        EraseFrom(&vms_by_vnet_, it->second.vnet(), pk.name);
        EraseFrom(&vms_by_host_, it->second.host(), pk.name);
        vms_.erase(it);
      }
      break;
    case KeyKind::kDestination:
      destinations_.erase(pk.name);
      break;
    case KeyKind::kTap:
      if (auto it = taps_.find(pk.name); it != taps_.end()) {
        for (const std::string& src : it->second.sources()) {
          EraseFrom(&taps_by_vm_, src, pk.name);
        }
        taps_.erase(it);
      }
      break;
    case KeyKind::kPeering:
      peerings_.erase({pk.name.substr(0, pk.name.find(':')),
                       pk.name.substr(pk.name.find(':') + 1)});
      break;
    case KeyKind::kHostVtep:
      host_vteps_.erase(pk.name);
      break;
    case KeyKind::kHostStatus:
      host_status_.erase(pk.name);
      break;
  }
}

void FleetState::Clear() { *this = FleetState(); }

Slice ComputeSlice(const FleetState& state, std::string_view host_view,
                   const vswitch::v1::Config& local) {
  const std::string host(host_view);
  Slice out;
  vswitch::v1::Config& c = out.config;
  std::set<std::string> vnets;        // Sorted: the output's order.
  std::set<std::string> local_vms;
  if (auto it = state.vms_by_host().find(host); it != state.vms_by_host().end()) {
    local_vms.insert(it->second.begin(), it->second.end());
  }
  // Sessions with a source here, and what they need.
  std::set<std::string> sessions;
  for (const std::string& vm : local_vms) {
    if (auto it = state.taps_by_vm().find(vm); it != state.taps_by_vm().end()) {
      sessions.insert(it->second.begin(), it->second.end());
    }
  }
  std::set<std::string> dests;
  std::vector<vswitch::v1::TapSession> kept_sessions;
  for (const std::string& name : sessions) {
    vswitch::v1::TapSession t = state.taps().at(name);
    bool ok = true;
    for (const std::string& d : t.destinations()) {
      auto it = state.destinations().find(d);
      if (it == state.destinations().end()) {
        out.errors[TapKey(name)] = absl::StrFormat("destination '%s' does not exist", d);
        ok = false;
      } else if (!state.vnets().contains(it->second.vnet())) {
        out.errors[DestinationKey(d)] =
            absl::StrFormat("vnet '%s' does not exist", it->second.vnet());
        ok = false;
      }
    }
    if (!ok) continue;
    google::protobuf::RepeatedPtrField<std::string> here;
    for (const std::string& src : t.sources()) {
      if (local_vms.contains(src)) *here.Add() = src;
    }
    *t.mutable_sources() = std::move(here);
    for (const std::string& d : t.destinations()) {
      dests.insert(d);
      vnets.insert(state.destinations().at(d).vnet());
    }
    kept_sessions.push_back(std::move(t));
  }
  // The local VMs as vports.
  std::vector<const v1::Vm*> vports;
  for (const std::string& name : local_vms) {
    const v1::Vm& vm = state.vms().at(name);
    if (!state.vnets().contains(vm.vnet())) {
      out.errors[VmKey(name)] = absl::StrFormat("vnet '%s' does not exist", vm.vnet());
      continue;
    }
    vnets.insert(vm.vnet());
    vports.push_back(&vm);
  }
  // Sessions whose local sources were all left out go too.
  for (vswitch::v1::TapSession& t : kept_sessions) {
    google::protobuf::RepeatedPtrField<std::string> valid;
    for (const std::string& src : t.sources()) {
      if (state.vnets().contains(state.vms().at(src).vnet())) *valid.Add() = src;
    }
    *t.mutable_sources() = std::move(valid);
  }
  for (const std::string& name : vnets) {
    vswitch::v1::VNet* v = c.add_vnets();
    *v = state.vnets().at(name);
    for (const std::string& other : vnets) {
      if (other != name && state.peerings().contains(std::minmax(name, other))) {
        v->add_peers(other);
      }
    }
  }
  for (const vswitch::v1::VPort& p : local.vports()) {
    if (p.kind() == vswitch::v1::VPORT_KIND_UPLINK) *c.add_vports() = p;
  }
  for (const v1::Vm* vm : vports) {
    vswitch::v1::VPort* p = c.add_vports();
    p->set_name(vm->name());
    p->set_kind(vswitch::v1::VPORT_KIND_VM);
    p->set_vnet(vm->vnet());
    p->set_driver(vm->driver());
    *p->mutable_vm_macs() = vm->macs();
    *p->mutable_ips() = vm->ips();
    p->set_queues(vm->queues());
    p->set_port_security_disabled(vm->port_security_disabled());
    ++out.vms;
  }
  // Every VM of the slice's VNets on another live host, sorted by
  // (VNet, VM name) for a deterministic order.
  for (const std::string& vnet : vnets) {
    auto it = state.vms_by_vnet().find(vnet);
    if (it == state.vms_by_vnet().end()) continue;
    std::vector<std::string> names(it->second.begin(), it->second.end());
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      const v1::Vm& vm = state.vms().at(name);
      if (vm.host() == host) continue;
      auto vtep = state.host_vteps().find(vm.host());
      if (vtep == state.host_vteps().end()) continue;  // Host down: no tunnel.
      for (int i = 0; i < vm.macs_size(); ++i) {
        vswitch::v1::RemotePort* r = c.add_remote_ports();
        r->set_vnet(vnet);
        r->set_mac(vm.macs(i));
        if (i == 0) *r->mutable_ips() = vm.ips();
        r->set_vtep(vtep->second);
        ++out.remote_ports;
      }
    }
  }
  for (const std::string& d : dests) {
    *c.add_destinations() = state.destinations().at(d);
  }
  for (vswitch::v1::TapSession& t : kept_sessions) {
    if (t.sources_size() == 0) continue;
    *c.add_tap_sessions() = std::move(t);
    ++out.tap_sessions;
  }
  *c.mutable_neighbors() = local.neighbors();
  return out;
}

namespace {

template <typename Map>
std::vector<std::string> SortedKeys(const Map& m) {
  std::vector<std::string> out;
  out.reserve(m.size());
  for (const auto& [k, v] : m) out.push_back(k);
  std::sort(out.begin(), out.end());
  return out;
}

absl::Status Violation(const std::string& key, const std::string& msg) {
  return absl::FailedPreconditionError(absl::StrCat(key, ": ", msg));
}

}  // namespace

absl::Status ValidateFleet(const FleetState& state) {
  for (const std::string& name : SortedKeys(state.vnets())) {
    const vswitch::v1::VNet& v = state.vnets().at(name);
    if (!state.tenants().contains(v.tenant())) {
      return Violation(VnetKey(name), absl::StrFormat("tenant '%s' does not exist", v.tenant()));
    }
    auto claim = state.vni_claims().find(v.vni());
    if (claim == state.vni_claims().end() || claim->second != name) {
      return Violation(VnetKey(name),
                       claim == state.vni_claims().end()
                           ? absl::StrFormat("vni %u has no claim (vnis/%u)", v.vni(), v.vni())
                           : absl::StrFormat("vni %u is taken by vnet '%s'", v.vni(),
                                             claim->second));
    }
  }
  std::map<std::pair<std::string, std::string>, std::string> macs, ips;
  for (const std::string& name : SortedKeys(state.vms())) {
    const v1::Vm& vm = state.vms().at(name);
    auto vnet = state.vnets().find(vm.vnet());
    if (vnet == state.vnets().end()) {
      return Violation(VmKey(name), absl::StrFormat("vnet '%s' does not exist", vm.vnet()));
    }
    for (int i = 0; i < vm.macs_size(); ++i) {
      auto [it, fresh] = macs.insert({{vm.vnet(), vm.macs(i)}, name});
      if (!fresh) {
        return Violation(VmKey(name), absl::StrFormat("macs[%d]: %s is vm '%s''s in vnet '%s'", i,
                                                      vm.macs(i), it->second, vm.vnet()));
      }
    }
    for (int i = 0; i < vm.ips_size(); ++i) {
      auto ip = net::ParseIpv4(vm.ips(i));
      if (absl::Status s = CheckInsideVnet(absl::StrCat("ips[", i, "]"), vnet->second,
                                           ip.ok() ? *ip : 0, vm.ips(i));
          !s.ok()) {
        return Violation(VmKey(name), std::string(s.message()));
      }
      auto [it, fresh] = ips.insert({{vm.vnet(), vm.ips(i)}, name});
      if (!fresh) {
        return Violation(VmKey(name), absl::StrFormat("ips[%d]: %s is vm '%s''s in vnet '%s'", i,
                                                      vm.ips(i), it->second, vm.vnet()));
      }
    }
  }
  for (const std::string& name : SortedKeys(state.destinations())) {
    const vswitch::v1::MirrorDestination& d = state.destinations().at(name);
    if (!state.vnets().contains(d.vnet())) {
      return Violation(DestinationKey(name), absl::StrFormat("vnet '%s' does not exist", d.vnet()));
    }
  }
  for (const std::string& name : SortedKeys(state.taps())) {
    const vswitch::v1::TapSession& t = state.taps().at(name);
    for (int i = 0; i < t.sources_size(); ++i) {
      auto vm = state.vms().find(t.sources(i));
      if (vm == state.vms().end()) {
        return Violation(TapKey(name),
                         absl::StrFormat("sources[%d]: vm '%s' does not exist", i, t.sources(i)));
      }
      const vswitch::v1::VNet& src = state.vnets().at(vm->second.vnet());
      for (int j = 0; j < t.destinations_size(); ++j) {
        auto d = state.destinations().find(t.destinations(j));
        if (d == state.destinations().end()) {
          return Violation(TapKey(name), absl::StrFormat("destinations[%d]: '%s' does not exist",
                                                         j, t.destinations(j)));
        }
        const vswitch::v1::VNet& dst = state.vnets().at(d->second.vnet());
        if (src.tenant() != dst.tenant()) {
          return Violation(TapKey(name),
                           absl::StrFormat("destinations[%d]: '%s' is of tenant '%s', source "
                                           "'%s' of tenant '%s'",
                                           j, d->first, dst.tenant(), vm->first, src.tenant()));
        }
        if (src.name() != dst.name() &&
            !state.peerings().contains(std::minmax(src.name(), dst.name()))) {
          return Violation(TapKey(name),
                           absl::StrFormat("destinations[%d]: '%s' is in vnet '%s', neither "
                                           "source '%s''s vnet '%s' nor peered with it",
                                           j, d->first, dst.name(), vm->first, src.name()));
        }
      }
    }
  }
  std::vector<std::pair<std::string, std::string>> peerings(state.peerings().begin(),
                                                            state.peerings().end());
  std::sort(peerings.begin(), peerings.end());
  for (const auto& [a, b] : peerings) {
    auto va = state.vnets().find(a);
    auto vb = state.vnets().find(b);
    if (va == state.vnets().end() || vb == state.vnets().end()) {
      return Violation(PeeringKey(a, b), absl::StrFormat("vnet '%s' does not exist",
                                                         va == state.vnets().end() ? a : b));
    }
    if (va->second.tenant() != vb->second.tenant()) {
      return Violation(PeeringKey(a, b), absl::StrFormat("vnets of tenants '%s' and '%s'",
                                                         va->second.tenant(), vb->second.tenant()));
    }
  }
  return absl::OkStatus();
}

}  // namespace vswitch::fleet
