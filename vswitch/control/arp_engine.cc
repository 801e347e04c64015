// SPDX-License-Identifier: Apache-2.0
#include "vswitch/control/arp_engine.h"

#include <cstring>
#include <optional>
#include <vector>

#include <rte_arp.h>
#include <rte_ethdev.h>

#include <glog/logging.h>

#include "absl/container/flat_hash_set.h"
#include "lib/net/ipv4.h"
#include "lib/net/mac_address.h"
#include "vswitch/control/config_lookup.h"
#include "vswitch/control/config_store.h"

namespace vswitch::control {

NeighborMap ArpEngine::Neighbors(const v1::Config& config) const {
  NeighborMap out;
  for (const auto& [ip, e] : arp_.entries()) {
    if (e.resolved) {
      out[ip] = e.mac;
    }
  }
  for (const auto& n : config.neighbors()) {  // Static ones win.
    auto ip = net::ParseIpv4(n.ip());
    auto mac = net::ParseMac(n.mac());
    if (ip.ok() && mac.ok()) {
      out[*ip] = mac->bytes;
    }
  }
  return out;
}

void ArpEngine::UpdateTargets(const v1::Config& config, const VtepSlotMap* vteps) {
  VtepSlotMap own;
  if (vteps == nullptr) {
    for (const auto& rp : config.remote_ports()) {
      if (auto ip = net::ParseIpv4(rp.vtep()); ip.ok()) {
        own[*ip] = 0;
      }
    }
    vteps = &own;
  }
  std::vector<uint32_t> targets;
  const v1::VPort* up = FindUplink(config);
  if (up != nullptr) {
    absl::flat_hash_map<uint32_t, bool> statics;
    for (const auto& n : config.neighbors()) {
      statics[*net::ParseIpv4(n.ip())] = true;
    }
    for (const auto& d : config.destinations()) {
      if (d.collectors_in_vnet()) {
        continue;  // VM addresses: the VNet knows their MACs, not the underlay.
      }
      for (const auto& c : d.collectors()) {
        const uint32_t hop = NextHopFor(up->uplink(), *net::ParseIpv4(c));
        if (hop != 0 && !statics.contains(hop)) {
          targets.push_back(hop);
        }
      }
    }
    // Many VTEPs share one gateway: ask for it once.
    absl::flat_hash_set<uint32_t> hops;
    for (const auto& [ip, slot] : *vteps) {
      const uint32_t hop = NextHopFor(up->uplink(), ip);
      if (hop != 0 && !statics.contains(hop) && hops.insert(hop).second) {
        targets.push_back(hop);
      }
    }
  }
  arp_.SetTargets(targets);
}

std::string ArpEngine::NextHopState(const v1::Config& config, uint32_t ip) const {
  const v1::VPort* up = FindUplink(config);
  const uint32_t hop = up == nullptr ? 0 : NextHopFor(up->uplink(), ip);
  if (hop == 0) {
    return "NO_ROUTE";
  }
  for (const auto& n : config.neighbors()) {
    if (auto nip = net::ParseIpv4(n.ip()); nip.ok() && *nip == hop) {
      return "STATIC";
    }
  }
  auto it = arp_.entries().find(hop);
  return it != arp_.entries().end() && it->second.resolved ? "RESOLVED" : "INCOMPLETE";
}

v1::ListNeighborsResponse ArpEngine::List(const v1::Config& config) const {
  v1::ListNeighborsResponse resp;
  for (const auto& n : config.neighbors()) {
    v1::Neighbor* out = resp.add_neighbors();
    *out = n;
    out->set_state("STATIC");
  }
  for (const auto& [ip, e] : arp_.entries()) {
    v1::Neighbor* out = resp.add_neighbors();
    out->set_ip(net::FormatIpv4(ip));
    out->set_mac(e.resolved ? net::FormatMac(e.mac.data()) : "");
    out->set_state(e.resolved ? "RESOLVED" : "INCOMPLETE");
  }
  // Collectors the uplink cannot reach at all (no uplink, or outside its
  // prefix with no gateway): their copies count as no_next_hop, so show why.
  const v1::VPort* up = FindUplink(config);
  absl::flat_hash_set<std::string> listed;
  for (const auto& d : config.destinations()) {
    if (d.collectors_in_vnet()) {
      continue;
    }
    for (const auto& c : d.collectors()) {
      if ((up == nullptr || NextHopFor(up->uplink(), *net::ParseIpv4(c)) == 0) &&
          listed.insert(c).second) {
        v1::Neighbor* out = resp.add_neighbors();
        out->set_ip(c);
        out->set_state("NO_ROUTE");
      }
    }
  }
  for (const auto& rp : config.remote_ports()) {
    auto ip = net::ParseIpv4(rp.vtep());
    if (ip.ok() && (up == nullptr || NextHopFor(up->uplink(), *ip) == 0) &&
        listed.insert(rp.vtep()).second) {
      v1::Neighbor* out = resp.add_neighbors();
      out->set_ip(rp.vtep());
      out->set_state("NO_ROUTE");
    }
  }
  return resp;
}

void ArpEngine::Send(const v1::Config& config, const Runtime& runtime, uint16_t op,
                     uint32_t target_ip, const uint8_t* target_mac) {
  const v1::VPort* up = FindUplink(config);
  if (up == nullptr || pool_ == nullptr) {
    return;
  }
  const VportRuntime& rt = runtime.at(up->name());
  auto our_mac = net::ParseMac(rt.mac);
  auto our_ip = net::ParseIpv4Prefix(up->uplink().ip_cidr());
  rte_mbuf* m = rte_pktmbuf_alloc(pool_);
  if (m == nullptr || !our_mac.ok() || !our_ip.ok()) {
    rte_pktmbuf_free(m);
    return;
  }
  auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
  auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
  const bool request = op == RTE_ARP_OP_REQUEST;
  if (request) {
    memset(eth->dst_addr.addr_bytes, 0xff, 6);
  } else {
    memcpy(eth->dst_addr.addr_bytes, target_mac, 6);
  }
  memcpy(eth->src_addr.addr_bytes, our_mac->bytes.data(), 6);
  eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
  arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
  arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
  arp->arp_hlen = 6;
  arp->arp_plen = 4;
  arp->arp_opcode = rte_cpu_to_be_16(op);
  memcpy(arp->arp_data.arp_sha.addr_bytes, our_mac->bytes.data(), 6);
  arp->arp_data.arp_sip = rte_cpu_to_be_32(our_ip->addr);
  if (request) {
    memset(arp->arp_data.arp_tha.addr_bytes, 0, 6);
  } else {
    memcpy(arp->arp_data.arp_tha.addr_bytes, target_mac, 6);
  }
  arp->arp_data.arp_tip = rte_cpu_to_be_32(target_ip);
  m->data_len = m->pkt_len = sizeof(rte_ether_hdr) + sizeof(rte_arp_hdr);
  if (rte_eth_tx_burst(rt.port_id, UplinkMainQueue(n_workers_), &m, 1) != 1) {
    rte_pktmbuf_free(m);
  }
}

bool ArpEngine::HandleFrames(const v1::Config& config, const Runtime& runtime,
                             rte_mbuf** frames, unsigned n, absl::Time now) {
  const v1::VPort* up = FindUplink(config);
  std::optional<net::Ipv4Prefix> our_ip;
  if (up != nullptr) {
    auto p = net::ParseIpv4Prefix(up->uplink().ip_cidr());
    if (p.ok()) {
      our_ip = *p;
    }
  }
  bool changed = false;
  for (unsigned i = 0; i < n; ++i) {
    rte_mbuf* m = frames[i];
    if (m->data_len >= sizeof(rte_ether_hdr) + sizeof(rte_arp_hdr) && our_ip.has_value()) {
      const auto* eth = rte_pktmbuf_mtod(m, const rte_ether_hdr*);
      const auto* arp = reinterpret_cast<const rte_arp_hdr*>(eth + 1);
      if (arp->arp_hardware == RTE_BE16(RTE_ARP_HRD_ETHER) &&
          arp->arp_protocol == RTE_BE16(RTE_ETHER_TYPE_IPV4) && arp->arp_hlen == 6 &&
          arp->arp_plen == 4) {
        const uint32_t sip = rte_be_to_cpu_32(arp->arp_data.arp_sip);
        const uint32_t tip = rte_be_to_cpu_32(arp->arp_data.arp_tip);
        ArpResolver::Mac sha;
        memcpy(sha.data(), arp->arp_data.arp_sha.addr_bytes, 6);
        changed |= arp_.Learn(sip, sha, now);
        if (arp->arp_opcode == RTE_BE16(RTE_ARP_OP_REQUEST) && tip == our_ip->addr) {
          Send(config, runtime, RTE_ARP_OP_REPLY, sip, sha.data());
        }
      }
    }
    rte_pktmbuf_free(m);
  }
  return changed;
}

void ArpEngine::SendDue(const v1::Config& config, const Runtime& runtime, absl::Time now) {
  for (uint32_t ip : arp_.Due(now)) {
    Send(config, runtime, RTE_ARP_OP_REQUEST, ip, nullptr);
  }
  for (uint32_t ip : arp_.WarnDue(now)) {
    LOG(WARNING) << "next hop " << net::FormatIpv4(ip)
                 << " does not answer ARP; mirror copies (no_next_hop) and overlay frames "
                    "(vtep_unresolved) for it are dropped";
  }
}

}  // namespace vswitch::control
