// SPDX-License-Identifier: Apache-2.0
#include "vswitch/control/snapshot_builder.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include <rte_hash.h>
#include <rte_byteorder.h>
#include <rte_hash_crc.h>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lib/dpdk/dpdk_status.h"
#include "lib/net/ipv4.h"
#include "lib/net/mac_address.h"
#include "lib/status/status_macros.h"
#include "vswitch/control/config_lookup.h"
#include "vswitch/control/tap_filter_compiler.h"

namespace vswitch::control {
namespace {

using dataplane::FdbKey;
using dataplane::Snapshot;

absl::Status AddFdbValue(Snapshot* snap, uint16_t vnet_index, const uint8_t* mac,
                         uintptr_t value) {
  FdbKey key{.vnet_index = vnet_index, .mac = {}};
  std::memcpy(key.mac, mac, 6);
  int ret = rte_hash_add_key_data(snap->fdb, &key, reinterpret_cast<void*>(value));
  if (ret != 0) {
    return dpdk::DpdkError("rte_hash_add_key_data(fdb)", ret);
  }
  // Order-independent digest of the bucket's entries (see SetCacheTags).
  uint64_t k = 0;
  std::memcpy(&k, &key, sizeof(key));
  snap->fdb_digest[dataplane::FdbEpochBucket(vnet_index, mac)] += absl::HashOf(k, value);
  return absl::OkStatus();
}

absl::Status AddFdb(Snapshot* snap, uint16_t vnet_index, const uint8_t* mac, uint16_t port,
                    bool is_static) {
  return AddFdbValue(snap, vnet_index, mac, dataplane::PackFdbValue(port, is_static));
}

// An rte_hash of at least 2 * `n` entries (rte_hash wants headroom), at
// least `min_entries`, named `name` (unique in the process: the generation
// is part of it).
rte_hash* CreateHash(const std::string& name, size_t n, uint32_t min_entries, uint32_t key_len) {
  uint32_t capacity = min_entries;
  while (capacity < 2 * n) {
    capacity <<= 1;
  }
  rte_hash_parameters params{};
  params.name = name.c_str();
  params.entries = capacity;
  params.key_len = key_len;
  params.hash_func = rte_hash_crc;
  params.socket_id = SOCKET_ID_ANY;
  return rte_hash_create(&params);
}

// ARP suppression entries are decided on for frames to the broadcast MAC:
// they go into the digest of that VNet's broadcast bucket, so that a change
// invalidates that VNet's cached broadcast flows only.
absl::Status AddArp(Snapshot* snap, uint16_t vnet_index, uint32_t ip_be, const uint8_t* mac) {
  const dataplane::ArpKey key{.vnet_index = vnet_index, .pad = 0, .ip_be = ip_be};
  const uintptr_t value = dataplane::PackMac(mac);
  int ret = rte_hash_add_key_data(snap->arp_table, &key, reinterpret_cast<void*>(value));
  if (ret != 0) {
    return dpdk::DpdkError("rte_hash_add_key_data(arp_table)", ret);
  }
  static constexpr uint8_t kBroadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  snap->fdb_digest[dataplane::FdbEpochBucket(vnet_index, kBroadcast)] +=
      absl::HashOf(vnet_index, ip_be, value);
  return absl::OkStatus();
}

// What a cached flow decision depends on besides the FDB: the ports, the
// VNets, learning, and the TAP sessions (their bits, sources and rules).
uint64_t StructDigest(const Snapshot& snap, const std::vector<const v1::TapSession*>& sessions) {
  std::string sig;
  for (size_t p = 0; p < snap.ports.size(); ++p) {
    const dataplane::PortInfo& pi = snap.ports[p];
    if (pi.present) {
      absl::StrAppend(&sig, p, ",", pi.admin_up, ",", pi.is_uplink, ",", pi.vnet_index, ",",
                      snap.port_tx_sessions[p], ",", snap.port_rx_sessions[p], ",",
                      pi.check_src_mac, ",", pi.check_src_ip, ";");
      // The allowed sets decide spoofed_src verdicts of cached flows.
      const dataplane::PortSecurity& ps = snap.port_security[p];
      // (Field by field: the struct has padding.)
      absl::StrAppend(&sig, ps.n_macs, ",", ps.n_ips, ",");
      sig.append(reinterpret_cast<const char*>(ps.macs), sizeof(ps.macs));
      sig.append(reinterpret_cast<const char*>(ps.ips_be), sizeof(ps.ips_be));
    }
  }
  for (const auto& v : snap.vnets) {
    absl::StrAppend(&sig, "v", v.id, ",", v.vni, ",", v.arp_suppression, ",",
                    absl::StrJoin(v.flood_vteps, ","), ";");
  }
  // The overlay: where encapsulated frames go, and whether they can.
  for (size_t i = 0; i < snap.vteps.size(); ++i) {
    const dataplane::VtepInfo& t = snap.vteps[i];
    absl::StrAppend(&sig, "t", i, ",", t.ip_be, ",", t.resolved, ",");
    sig.append(reinterpret_cast<const char*>(t.next_hop_mac), 6);
  }
  const dataplane::UplinkInfo& u = snap.uplink;
  absl::StrAppend(&sig, "u", u.present, ",", u.port, ",", u.mtu, ",", u.ip_be, ",",
                  snap.vxlan_port, ",");
  sig.append(reinterpret_cast<const char*>(u.mac), 6);
  absl::StrAppend(&sig, snap.mac_learning, ",", snap.key_l3l4, ",", snap.rx_sessions, ",",
                  snap.rules_sessions, ";");
  for (const v1::TapSession* s : sessions) {
    sig += s->SerializeAsString();
  }
  return absl::HashOf(sig);
}

// Flow-cache tags: a part unchanged since `prev` keeps its tag, so cached
// flows decided on it stay valid (see Snapshot::struct_tag).
void SetCacheTags(const Snapshot* prev, Snapshot* snap) {
  const bool chain = prev != nullptr && prev->cache_tag < snap->cache_tag;
  snap->struct_tag = chain && prev->struct_digest == snap->struct_digest ? prev->struct_tag
                                                                          : snap->cache_tag;
  for (uint32_t b = 0; b < dataplane::kFdbEpochBuckets; ++b) {
    snap->fdb_epoch[b] = chain && prev->fdb_digest[b] == snap->fdb_digest[b] ? prev->fdb_epoch[b]
                                                                              : snap->cache_tag;
  }
}

// Fills the TAP part of the snapshot.
absl::Status BuildTap(const SnapshotInputs& in, Snapshot* snap,
                      std::vector<const v1::TapSession*>* active_out) {
  const v1::Config& config = *in.config;
  const v1::VPort* uplink = nullptr;
  for (const auto& vp : config.vports()) {
    if (vp.kind() == v1::VPORT_KIND_UPLINK) {
      uplink = &vp;
    }
  }
  if (uplink != nullptr) {
    const VportRuntime& rt = in.runtime->at(uplink->name());
    dataplane::UplinkInfo& u = snap->uplink;
    u.present = uplink->admin_state() != v1::ADMIN_STATE_DOWN;
    u.port = rt.port_id;
    u.encap_queue = in.n_workers;  // See ConfigStore::AddVPort: workers, encap, main.
    u.mtu = static_cast<uint16_t>(uplink->uplink().mtu());
    u.ip_be = rte_cpu_to_be_32(net::ParseIpv4Prefix(uplink->uplink().ip_cidr())->addr);
    dataplane::CopySourceMac(u.ip_be, u.copy_mac);
    auto mac = net::ParseMac(rt.mac);
    if (mac.ok()) {
      std::memcpy(u.mac, mac->bytes.data(), 6);
    }
  }

  absl::flat_hash_map<std::string, uint16_t> dest_index;
  for (const auto& d : config.destinations()) {
    dataplane::DestInfo di;
    di.id = d.id();
    di.slot = in.dest_slots->at(d.id());
    di.vni = d.vni();
    di.udp_port = static_cast<uint16_t>(d.udp_port());
    di.mark_copies = d.mark_copies();
    di.n_collectors = static_cast<uint8_t>(d.collectors_size());
    for (int c = 0; c < d.collectors_size(); ++c) {
      const uint32_t ip = *net::ParseIpv4(d.collectors(c));
      dataplane::CollectorInfo& ci = di.collectors[c];
      ci.ip_be = rte_cpu_to_be_32(ip);
      if (uplink != nullptr) {
        const uint32_t hop = NextHopFor(uplink->uplink(), ip);
        auto it = in.neighbors->find(hop);
        if (hop != 0 && it != in.neighbors->end()) {
          ci.resolved = true;
          std::memcpy(ci.next_hop_mac, it->second.data(), 6);
          di.live[di.n_live++] = static_cast<uint8_t>(c);
        }
      }
    }
    const DestRings& rings = in.dest_rings->at(d.id());
    std::copy(rings.begin(), rings.end(), di.rings);
    di.pcapng = rings.pcapng;
    dest_index[d.name()] = static_cast<uint16_t>(snap->dests.size());
    snap->dests.push_back(di);
  }

  std::vector<const v1::TapSession*> active;
  for (const auto& s : config.tap_sessions()) {
    if (!s.disabled()) {
      active.push_back(&s);
    }
  }
  std::vector<AclContexts> contexts;
  std::vector<int> session_ctx;
  std::vector<int> session_category;
  absl::Status st = CompileTapFilters(active, absl::StrFormat("tap_g%u", in.generation), &contexts,
                                      &session_ctx, &session_category);
  // The snapshot owns the contexts from here, also on error.
  for (const AclContexts& c : contexts) {
    snap->acl[snap->n_acl] = c.v4;
    snap->acl6[snap->n_acl++] = c.v6;
  }
  if (!st.ok()) {
    return st;
  }

  absl::flat_hash_map<std::string, uint16_t> port_of;
  for (const auto& vp : config.vports()) {
    port_of[vp.name()] = in.runtime->at(vp.name()).port_id;
  }
  for (size_t i = 0; i < active.size(); ++i) {
    const v1::TapSession& s = *active[i];
    dataplane::SessionInfo si;
    si.id = s.id();
    si.slot = in.session_slots->at(s.id());
    si.truncate = static_cast<uint16_t>(s.truncate_bytes());
    si.rate_pps = s.rate_limit_pps();
    for (const auto& d : s.destinations()) {
      si.dests[si.n_dests++] = static_cast<uint8_t>(dest_index.at(d));
    }
    si.has_rules = session_ctx[i] >= 0;
    if (si.has_rules) {
      si.acl_ctx = static_cast<uint8_t>(session_ctx[i]);
      si.acl_category = static_cast<uint8_t>(session_category[i]);
      snap->rules_sessions |= 1u << i;
    }
    const bool rx = s.direction() != v1::TAP_DIRECTION_TX;
    const bool tx = s.direction() != v1::TAP_DIRECTION_RX;
    for (const auto& src : s.sources()) {
      const uint16_t port = port_of.at(src);
      if (tx) {
        snap->port_tx_sessions[port] |= 1u << i;
      }
      if (rx) {
        snap->port_rx_sessions[port] |= 1u << i;
        snap->rx_sessions |= 1u << i;
      }
    }
    snap->sessions.push_back(si);
  }
  snap->key_l3l4 = snap->rules_sessions != 0;
  *active_out = std::move(active);
  return absl::OkStatus();
}


// The overlay: remote ports' FDB entries, the VTEPs, the lookup tables of
// decapsulation and ARP suppression. Runs after the static FDB entries of
// vports and before learned ones (remote ports are static).
absl::Status BuildOverlay(const SnapshotInputs& in, const VtepSlotMap* slots,
                          const absl::flat_hash_map<std::string, uint16_t>& vnet_index,
                          Snapshot* snap) {
  const v1::Config& config = *in.config;
  for (int i = 0; i < config.vnets_size(); ++i) {
    snap->vnets[i].arp_suppression = !config.vnets(i).arp_suppression_disabled();
  }

  // VTEPs: slot -> address and next hop.
  int max_slot = -1;
  for (const auto& [ip, slot] : *slots) {
    max_slot = std::max<int>(max_slot, slot);
  }
  snap->vteps.resize(max_slot + 1);
  const v1::VPort* uplink = FindUplink(config);
  for (const auto& [ip, slot] : *slots) {
    dataplane::VtepInfo& t = snap->vteps[slot];
    t.ip_be = rte_cpu_to_be_32(ip);
    if (uplink != nullptr && in.neighbors != nullptr) {
      const uint32_t hop = NextHopFor(uplink->uplink(), ip);
      auto it = in.neighbors->find(hop);
      if (hop != 0 && it != in.neighbors->end()) {
        t.resolved = true;
        std::memcpy(t.next_hop_mac, it->second.data(), 6);
      }
    }
  }
  const std::string gen = absl::StrFormat("%u", in.generation);
  if (!slots->empty()) {
    const std::string name = "vtep_g" + gen;
    snap->vtep_by_ip = CreateHash(name, slots->size(), 64, sizeof(uint32_t));
    if (snap->vtep_by_ip == nullptr) {
      return dpdk::DpdkError("rte_hash_create(" + name + ")", rte_errno);
    }
    for (const auto& [ip, slot] : *slots) {
      const uint32_t key = rte_cpu_to_be_32(ip);
      const int ret = rte_hash_add_key_data(snap->vtep_by_ip, &key,
                                            reinterpret_cast<void*>(uintptr_t{slot}));
      if (ret != 0) {
        return dpdk::DpdkError("rte_hash_add_key_data(vtep_by_ip)", ret);
      }
    }
  }
  if (config.vnets_size() > 0) {
    const std::string name = "vni_g" + gen;
    snap->vnet_by_vni = CreateHash(name, config.vnets_size(), 64, sizeof(uint32_t));
    if (snap->vnet_by_vni == nullptr) {
      return dpdk::DpdkError("rte_hash_create(" + name + ")", rte_errno);
    }
    for (int i = 0; i < config.vnets_size(); ++i) {
      const uint32_t key = config.vnets(i).vni();
      const int ret = rte_hash_add_key_data(snap->vnet_by_vni, &key,
                                            reinterpret_cast<void*>(static_cast<uintptr_t>(i)));
      if (ret != 0) {
        return dpdk::DpdkError("rte_hash_add_key_data(vnet_by_vni)", ret);
      }
    }
  }

  // ARP suppression: local VMs' addresses (with their first MAC) and remote
  // ports' addresses.
  size_t n_arp = 0;
  for (const auto& vp : config.vports()) {
    n_arp += vp.vm_macs_size() > 0 ? vp.ips_size() : 0;
  }
  for (const auto& rp : config.remote_ports()) {
    n_arp += rp.ips_size();
  }
  if (n_arp > 0) {
    const std::string name = "arp_g" + gen;
    snap->arp_table = CreateHash(name, n_arp, 64, sizeof(dataplane::ArpKey));
    if (snap->arp_table == nullptr) {
      return dpdk::DpdkError("rte_hash_create(" + name + ")", rte_errno);
    }
  }
  for (const auto& vp : config.vports()) {
    if (vp.kind() != v1::VPORT_KIND_VM || vp.vm_macs_size() == 0) {
      continue;
    }
    const uint16_t vi = vnet_index.at(vp.vnet());
    const auto mac = net::ParseMac(vp.vm_macs(0));  // Validated before.
    for (const auto& ip : vp.ips()) {
      VS_RETURN_IF_ERROR(
          AddArp(snap, vi, rte_cpu_to_be_32(*net::ParseIpv4(ip)), mac->bytes.data()));
    }
  }

  std::vector<std::vector<uint16_t>> flood(snap->vnets.size());
  for (const auto& rp : config.remote_ports()) {
    const uint16_t vi = vnet_index.at(rp.vnet());
    const auto mac = net::ParseMac(rp.mac());
    const uint16_t slot = slots->at(*net::ParseIpv4(rp.vtep()));
    VS_RETURN_IF_ERROR(AddFdbValue(snap, vi, mac->bytes.data(), dataplane::PackFdbRemote(slot)));
    for (const auto& ip : rp.ips()) {
      VS_RETURN_IF_ERROR(
          AddArp(snap, vi, rte_cpu_to_be_32(*net::ParseIpv4(ip)), mac->bytes.data()));
    }
    flood[vi].push_back(slot);
  }
  for (size_t v = 0; v < flood.size(); ++v) {
    std::vector<uint16_t>& f = flood[v];
    std::sort(f.begin(), f.end());
    f.erase(std::unique(f.begin(), f.end()), f.end());
    snap->vnets[v].flood_vteps = std::move(f);
  }
  return absl::OkStatus();
}

// TAP collectors that are VMs of a VNet: each address resolves to the MAC
// and local port of a vport, or to a remote port's MAC and VTEP. Runs after
// BuildTap and BuildOverlay (it needs the ports and the VTEPs).
void ResolveVnetCollectors(const SnapshotInputs& in, const VtepSlotMap* slots, Snapshot* snap) {
  const v1::Config& config = *in.config;
  // (VNet name, address) -> where it lives; only the addresses asked for.
  struct Where {
    uint16_t port = dataplane::kNoPort;
    uint16_t vtep = dataplane::kNoVtep;
    std::array<uint8_t, 6> mac{};
    bool found = false;
  };
  absl::flat_hash_map<std::pair<std::string, uint32_t>, Where> wanted;
  absl::flat_hash_map<uint32_t, const v1::MirrorDestination*> by_id;
  for (const auto& d : config.destinations()) {
    if (!d.collectors_in_vnet()) {
      continue;
    }
    by_id[d.id()] = &d;
    for (const auto& c : d.collectors()) {
      wanted[{d.vnet(), *net::ParseIpv4(c)}] = Where{};
    }
  }
  if (wanted.empty()) {
    return;
  }
  for (const auto& vp : config.vports()) {
    if (vp.kind() != v1::VPORT_KIND_VM || vp.vm_macs_size() == 0) {
      continue;
    }
    for (const auto& ip : vp.ips()) {
      auto it = wanted.find(std::make_pair(vp.vnet(), *net::ParseIpv4(ip)));
      if (it != wanted.end()) {
        it->second.found = true;
        it->second.port = in.runtime->at(vp.name()).port_id;
        std::memcpy(it->second.mac.data(), net::ParseMac(vp.vm_macs(0))->bytes.data(), 6);
      }
    }
  }
  for (const auto& rp : config.remote_ports()) {
    for (const auto& ip : rp.ips()) {
      auto it = wanted.find(std::make_pair(rp.vnet(), *net::ParseIpv4(ip)));
      auto slot = slots->find(*net::ParseIpv4(rp.vtep()));
      if (it != wanted.end() && !it->second.found && slot != slots->end()) {
        it->second.found = true;
        it->second.vtep = slot->second;
        std::memcpy(it->second.mac.data(), net::ParseMac(rp.mac())->bytes.data(), 6);
      }
    }
  }
  for (dataplane::DestInfo& di : snap->dests) {
    auto d = by_id.find(di.id);
    if (d == by_id.end()) {
      continue;
    }
    di.in_vnet = true;
    for (const auto& v : config.vnets()) {
      if (v.name() == d->second->vnet()) {
        di.overlay_vni = v.vni();
      }
    }
    di.n_live = 0;
    for (uint8_t c = 0; c < di.n_collectors; ++c) {
      dataplane::CollectorInfo& ci = di.collectors[c];
      const Where& w = wanted.at(
          std::make_pair(d->second->vnet(), *net::ParseIpv4(d->second->collectors(c))));
      ci.local_port = w.port;
      ci.vtep = w.vtep;
      std::memcpy(ci.next_hop_mac, w.mac.data(), 6);
      const bool port_up = w.port != dataplane::kNoPort && snap->ports[w.port].present &&
                           snap->ports[w.port].admin_up;
      const bool vtep_up = w.vtep != dataplane::kNoVtep && w.vtep < snap->vteps.size() &&
                           snap->vteps[w.vtep].resolved;
      ci.resolved = w.found && (port_up || vtep_up);
      if (ci.resolved) {
        di.live[di.n_live++] = c;
      }
    }
  }
}

}  // namespace

absl::StatusOr<VtepSlotMap> AssignVtepSlots(const v1::Config& config, const VtepSlotMap& previous,
                                            std::vector<uint16_t>* new_slots) {
  VtepSlotMap out;
  std::vector<uint32_t> fresh;
  for (const auto& rp : config.remote_ports()) {
    auto ip = net::ParseIpv4(rp.vtep());
    if (!ip.ok() || out.contains(*ip)) {
      continue;
    }
    if (auto it = previous.find(*ip); it != previous.end()) {
      out[*ip] = it->second;
    } else {
      out[*ip] = dataplane::kNoVtep;  // Placeholder: slot below.
      fresh.push_back(*ip);
    }
  }
  std::vector<bool> used(dataplane::kMaxVteps, false);
  for (const auto& [ip, slot] : out) {
    if (slot != dataplane::kNoVtep) {
      used[slot] = true;
    }
  }
  size_t next = 0;
  for (uint32_t ip : fresh) {
    while (next < used.size() && used[next]) {
      ++next;
    }
    if (next == used.size()) {
      return absl::ResourceExhaustedError(absl::StrFormat(
          "remote_ports: more than %d distinct VTEPs", dataplane::kMaxVteps));
    }
    used[next] = true;
    out[ip] = static_cast<uint16_t>(next);
    new_slots->push_back(static_cast<uint16_t>(next));
  }
  return out;
}

uint32_t NextHopFor(const v1::UplinkConfig& uplink, uint32_t collector) {
  auto prefix = net::ParseIpv4Prefix(uplink.ip_cidr());
  if (prefix.ok() && prefix->Contains(collector)) {
    return collector;
  }
  if (uplink.gateway().empty()) {
    return 0;
  }
  auto gw = net::ParseIpv4(uplink.gateway());
  return gw.ok() ? *gw : 0;
}

absl::StatusOr<std::unique_ptr<const Snapshot>> BuildSnapshot(const SnapshotInputs& in) {
  const v1::Config& config = *in.config;
  auto snap = std::make_unique<Snapshot>();
  snap->generation = in.generation;
  snap->cache_tag = in.generation != 0 ? in.generation : 1;
  snap->mac_learning = in.mac_learning;
  snap->learn_refresh_cycles = in.learn_refresh_cycles;
  snap->rx_queues.resize(in.n_workers);

  absl::flat_hash_map<std::string, uint16_t> vnet_index;
  absl::flat_hash_map<uint32_t, uint16_t> vnet_index_by_id;
  for (int i = 0; i < config.vnets_size(); ++i) {
    dataplane::VnetInfo v;
    v.id = config.vnets(i).id();
    v.vni = config.vnets(i).vni();
    snap->vnets.push_back(std::move(v));
    vnet_index[config.vnets(i).name()] = static_cast<uint16_t>(i);
    vnet_index_by_id[config.vnets(i).id()] = static_cast<uint16_t>(i);
  }

  size_t n_static = config.fdb_size();
  for (const auto& vp : config.vports()) {
    n_static += vp.vm_macs_size();
    const VportRuntime& rt = in.runtime->at(vp.name());
    dataplane::PortInfo& pi = snap->ports[rt.port_id];
    pi.present = true;
    pi.admin_up = vp.admin_state() != v1::ADMIN_STATE_DOWN;
    pi.is_uplink = vp.kind() == v1::VPORT_KIND_UPLINK;
    pi.vport_id = vp.id();
    pi.max_frame = rt.max_frame;
    std::snprintf(snap->vport_names[rt.port_id].data(), snap->vport_names[rt.port_id].size(),
                  "%s", vp.name().c_str());
    if (!pi.is_uplink) {
      pi.vnet_index = vnet_index.at(vp.vnet());
      if (!vp.port_security_disabled()) {
        // Validated before: at most kPortSecMax* of each, all parse.
        dataplane::PortSecurity& ps = snap->port_security[rt.port_id];
        for (const auto& m : vp.vm_macs()) {
          std::memcpy(ps.macs[ps.n_macs++], net::ParseMac(m)->bytes.data(), 6);
        }
        for (const auto& ip : vp.ips()) {
          ps.ips_be[ps.n_ips++] = rte_cpu_to_be_32(*net::ParseIpv4(ip));
        }
        pi.check_src_mac = ps.n_macs > 0;
        pi.check_src_ip = ps.n_ips > 0;
      }
      if (pi.admin_up) {
        snap->vnets[pi.vnet_index].flood_ports.push_back(rt.port_id);
      }
    }
    for (uint16_t q = 0; q < rt.queue_worker.size(); ++q) {
      snap->rx_queues[rt.queue_worker[q]].push_back(dataplane::RxQueue{rt.port_id, q});
    }
  }

  for (auto& v : snap->vnets) {
    std::sort(v.flood_ports.begin(), v.flood_ports.end());
  }

  const size_t n_remote = static_cast<size_t>(config.remote_ports_size());
  const std::string name = absl::StrFormat("fdb_g%u", in.generation);
  snap->fdb = CreateHash(name, n_static + n_remote + in.learned->entries().size(), 1024,
                         sizeof(FdbKey));
  if (snap->fdb == nullptr) {
    return dpdk::DpdkError("rte_hash_create(" + name + ")", rte_errno);
  }

  // Static entries first; learned ones never override them.
  for (const auto& vp : config.vports()) {
    if (vp.kind() == v1::VPORT_KIND_UPLINK) {
      continue;
    }
    const uint16_t port = in.runtime->at(vp.name()).port_id;
    for (const auto& m : vp.vm_macs()) {
      auto mac = net::ParseMac(m);  // Validated before.
      absl::Status st = AddFdb(snap.get(), vnet_index.at(vp.vnet()), mac->bytes.data(), port, true);
      if (!st.ok()) {
        return st;
      }
    }
  }
  for (const auto& e : config.fdb()) {
    auto mac = net::ParseMac(e.mac());
    const uint16_t port = in.runtime->at(e.vport()).port_id;
    absl::Status st = AddFdb(snap.get(), vnet_index.at(e.vnet()), mac->bytes.data(), port, true);
    if (!st.ok()) {
      return st;
    }
  }
  // VTEP slots: the store's stable ones, or (tests, benches) assigned here.
  VtepSlotMap local_slots;
  const VtepSlotMap* slots = in.vtep_slots;
  if (slots == nullptr) {
    std::vector<uint16_t> unused;
    absl::StatusOr<VtepSlotMap> assigned = AssignVtepSlots(config, {}, &unused);
    if (!assigned.ok()) {
      return assigned.status();
    }
    local_slots = *std::move(assigned);
    slots = &local_slots;
  }
  if (absl::Status st = BuildOverlay(in, slots, vnet_index, snap.get()); !st.ok()) {
    return st;
  }
  for (const auto& [key, entry] : in.learned->entries()) {
    auto vi = vnet_index_by_id.find(key.first);
    if (vi == vnet_index_by_id.end() || !snap->ports[entry.port].present ||
        snap->ports[entry.port].vnet_index != vi->second) {
      continue;  // Stale: the VNet or port went away.
    }
    uint8_t mac[6];
    for (int b = 0; b < 6; ++b) {
      mac[b] = static_cast<uint8_t>(key.second >> (8 * (5 - b)));
    }
    FdbKey fk{.vnet_index = vi->second, .mac = {}};
    std::memcpy(fk.mac, mac, 6);
    if (rte_hash_lookup(snap->fdb, &fk) >= 0) {
      continue;  // A static entry wins.
    }
    absl::Status st = AddFdb(snap.get(), vi->second, mac, entry.port, false);
    if (!st.ok()) {
      return st;
    }
  }
  std::vector<const v1::TapSession*> sessions;
  absl::Status st = BuildTap(in, snap.get(), &sessions);
  if (!st.ok()) {
    return st;
  }
  ResolveVnetCollectors(in, slots, snap.get());
  snap->struct_digest = StructDigest(*snap, sessions);
  SetCacheTags(in.previous, snap.get());
  return std::unique_ptr<const Snapshot>(std::move(snap));
}

}  // namespace vswitch::control
