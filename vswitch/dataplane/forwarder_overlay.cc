// SPDX-License-Identifier: Apache-2.0
//
// The forwarder's overlay path: VXLAN to remote VTEPs (unicast and head-end
// replication), decapsulation of what the uplink receives, and ARP
// suppression. Mirror copies are taken of the VM's frame, before encap and
// after decap, so a TAP sees the same bytes whether the peer is local or
// remote.
#include <cstring>

#include <rte_arp.h>
#include <rte_hash.h>

#include "vswitch/dataplane/encap_worker.h"
#include "vswitch/dataplane/forwarder.h"
#include "vswitch/dataplane/forwarder_util.h"
#include "vswitch/dataplane/mirror_meta.h"
#include "vswitch/dataplane/tap_filter.h"
#include "vswitch/dataplane/vxlan.h"

namespace vswitch::dataplane {
namespace {

// Hot path. The outer header of a frame to `v` from this host's uplink.
OuterHeader OuterTo(const Snapshot& snap, const VtepInfo& v, uint32_t vni, uint16_t src_port) {
  return OuterHeader{.dst_mac = v.next_hop_mac,
                     .src_mac = snap.uplink.mac,
                     .src_ip_be = snap.uplink.ip_be,
                     .dst_ip_be = v.ip_be,
                     .udp_dst_port = snap.vxlan_port,
                     .udp_src_port = src_port,
                     .vni = vni,
                     .vx_flags = kVxlanFlagI};
}

// The tunnel takes frames up to the uplink MTU less the outer IPv4, UDP and
// VXLAN headers; a VM sending more must lower its MTU (doc/overlay.md).
bool FitsTunnel(const Snapshot& snap, uint32_t len) {
  return len + kVxlanIpOverhead <= snap.uplink.mtu;
}

}  // namespace

// Hot path.
void Forwarder::SendToVtep(const Snapshot& snap, uint16_t in_port, rte_mbuf* m, uint16_t vtep) {
  const uint32_t inner = m->pkt_len;
  if (!FitsTunnel(snap, inner)) {
    Count(in_port, DropReason::kOverlayMtu);
    rte_pktmbuf_free(m);
    return;
  }
  const VtepInfo& v = snap.vteps[vtep];
  if (!snap.uplink.present || !v.resolved) {
    Count(in_port, DropReason::kVtepUnresolved);
    rte_pktmbuf_free(m);
    return;
  }
  // RFC 7348 entropy: the source port follows the inner flow, so the
  // underlay's ECMP spreads flows and keeps each in order.
  const OuterHeader h = OuterTo(snap, v, snap.vnets[snap.ports[in_port].vnet_index].vni,
                                EncapSrcPort(InnerFlowHash(m)));
  rte_mbuf* out = m;
  // The frame's own headroom when it has it. A TAP clone of it shares the
  // data, never the headroom, so it is unaffected.
  if (RTE_MBUF_DIRECT(m) && rte_pktmbuf_headroom(m) >= kVxlanOverhead) {
    WriteOuterHeader(reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, kVxlanOverhead)), h, inner);
  } else {
    out = header_pool_ != nullptr ? rte_pktmbuf_alloc(header_pool_) : nullptr;
    if (out == nullptr) {
      Count(in_port, DropReason::kNoBuffer);
      rte_pktmbuf_free(m);
      return;
    }
    WriteOuterHeader(rte_pktmbuf_mtod(out, uint8_t*), h, inner);
    ChainHeader(out, m, inner);
  }
  VtepCounters& vc = stats_->vteps[vtep];
  vc.tx_packets.Add(1);
  vc.tx_bytes.Add(out->pkt_len);
  tx_.AddChecked(snap.uplink.port, out, stats_);
}

// Hot path (BUM frames of VNets with remote ports).
uint16_t Forwarder::ReplicasFor(const Snapshot& snap, uint16_t in_port, const VnetInfo& vnet,
                                uint32_t len) {
  if (header_pool_ == nullptr) {
    return 0;
  }
  if (!FitsTunnel(snap, len)) {
    Count(in_port, DropReason::kOverlayMtu);
    return 0;
  }
  uint16_t n = 0;
  uint16_t unresolved = 0;
  for (uint16_t v : vnet.flood_vteps) {
    if (snap.uplink.present && snap.vteps[v].resolved) {
      ++n;
    } else {
      ++unresolved;
    }
  }
  if (unresolved != 0) {
    Count(in_port, DropReason::kVtepUnresolved, unresolved);
  }
  return n;
}

// Hot path. `m` holds one reference for each replica ReplicasFor counted.
void Forwarder::Replicate(const Snapshot& snap, uint16_t in_port, rte_mbuf* m,
                          const VnetInfo& vnet) {
  const uint32_t inner = m->pkt_len;
  const uint16_t src_port = EncapSrcPort(InnerFlowHash(m));
  for (uint16_t v : vnet.flood_vteps) {
    const VtepInfo& vi = snap.vteps[v];
    if (!snap.uplink.present || !vi.resolved) {
      continue;
    }
    rte_mbuf* hdr = rte_pktmbuf_alloc(header_pool_);
    if (hdr == nullptr) {
      Count(in_port, DropReason::kNoBuffer);
      rte_pktmbuf_free(m);  // This replica's reference.
      continue;
    }
    WriteOuterHeader(rte_pktmbuf_mtod(hdr, uint8_t*), OuterTo(snap, vi, vnet.vni, src_port),
                     inner);
    ChainHeader(hdr, m, inner);
    VtepCounters& vc = stats_->vteps[v];
    vc.tx_packets.Add(1);
    vc.tx_bytes.Add(hdr->pkt_len);
    vc.replicated.Add(1);
    tx_.AddChecked(snap.uplink.port, hdr, stats_);
  }
}

// Hot path (ARP of VNets with suppression, misses only).
bool Forwarder::ArpTarget(const Snapshot& snap, uint16_t vnet_index, const rte_mbuf* m,
                          uint8_t* mac) const {
  if (snap.arp_table == nullptr) {
    return false;
  }
  const rte_arp_hdr* arp = ArpHeaderOf(const_cast<rte_mbuf*>(m));
  if (arp == nullptr || arp->arp_opcode != RTE_BE16(RTE_ARP_OP_REQUEST)) {
    return false;
  }
  // A gratuitous request announces the sender's own address: it is news
  // for the VNet, not a question.
  if (arp->arp_data.arp_tip == arp->arp_data.arp_sip) {
    return false;
  }
  const ArpKey key{.vnet_index = vnet_index, .pad = 0, .ip_be = arp->arp_data.arp_tip};
  void* data;
  if (rte_hash_lookup_data(snap.arp_table, &key, &data) < 0) {
    return false;
  }
  UnpackMac(reinterpret_cast<uintptr_t>(data), mac);
  // The asker's own address (a duplicate-address probe): only another
  // holder may answer.
  return std::memcmp(mac, arp->arp_data.arp_sha.addr_bytes, 6) != 0;
}

// Hot path. Turns the request into the reply in place and sends it back.
void Forwarder::ReplyArp(const Snapshot& snap, uint16_t in_port, uint16_t vnet_index, rte_mbuf* m,
                         const Action& a, uint64_t now_tsc) {
  uint8_t mac[6];
  rte_arp_hdr* arp = ArpHeaderOf(m);
  if (arp == nullptr || !ArpTarget(snap, vnet_index, m, mac)) {  // Decided on this frame.
    Count(in_port, DropReason::kUnknownPort);
    rte_pktmbuf_free(m);
    return;
  }
  auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
  std::memcpy(eth->dst_addr.addr_bytes, arp->arp_data.arp_sha.addr_bytes, 6);
  std::memcpy(eth->src_addr.addr_bytes, mac, 6);
  const uint32_t asker_ip = arp->arp_data.arp_sip;
  const uint32_t asked_ip = arp->arp_data.arp_tip;
  arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
  arp->arp_data.arp_tha = arp->arp_data.arp_sha;
  arp->arp_data.arp_tip = asker_ip;
  std::memcpy(arp->arp_data.arp_sha.addr_bytes, mac, 6);
  arp->arp_data.arp_sip = asked_ip;
  const uint32_t rx = a.rx_match & snap.port_rx_sessions[in_port];
  if (rx != 0) {
    mirror_.Stage(snap, m, rx, kDirToVm, snap.ports[in_port].vport_id, now_tsc);
  }
  tx_.Add(in_port, m);
}

// Hot path. (outer source, VNI) -> (VTEP, VNet index) through the memo.
bool Forwarder::ResolveOuter(const Snapshot& snap, uint32_t src_ip_be, uint32_t vni,
                             uint16_t* vtep, uint16_t* vnet_index, DropReason* why) {
  OuterMemo& e = outer_memo_[((src_ip_be ^ vni) * 0x9e3779b1u) >> 26];
  if (e.generation == snap.generation && e.src_ip_be == src_ip_be && e.vni == vni) {
    *vtep = e.vtep;
    *vnet_index = e.vnet_index;
    return true;
  }
  void* data;
  if (snap.vnet_by_vni == nullptr || rte_hash_lookup_data(snap.vnet_by_vni, &vni, &data) < 0) {
    *why = DropReason::kUnknownVni;
    return false;
  }
  const auto vnet = static_cast<uint16_t>(reinterpret_cast<uintptr_t>(data));
  if (snap.vtep_by_ip == nullptr ||
      rte_hash_lookup_data(snap.vtep_by_ip, &src_ip_be, &data) < 0) {
    *why = DropReason::kUnknownVtep;
    return false;
  }
  e = OuterMemo{.generation = snap.generation,
                .src_ip_be = src_ip_be,
                .vni = vni,
                .vtep = static_cast<uint16_t>(reinterpret_cast<uintptr_t>(data)),
                .vnet_index = vnet};
  *vtep = e.vtep;
  *vnet_index = e.vnet_index;
  return true;
}

// Hot path. ARP goes to the main lcore (next-hop resolution); VXLAN to this
// VTEP is decapsulated; nothing else received on the uplink is switched.
void Forwarder::FromUplink(const Snapshot& snap, uint16_t in_port, rte_mbuf** pkts, uint16_t n,
                           const PacketKey* keys, uint64_t now_tsc) {
  rte_mbuf* inner[kMaxBurst];
  uint16_t vteps[kMaxBurst];
  uint16_t vnets[kMaxBurst];
  uint16_t n_inner = 0;
  const uint16_t port_be = rte_cpu_to_be_16(snap.vxlan_port);
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    if (keys[i].flags == kKeyBadChain) {
      Count(in_port, DropReason::kBadChain);
      rte_pktmbuf_free(m);
      continue;
    }
    if (keys[i].ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP)) {
      if (rte_ring_sp_enqueue(arp_ring_, m) != 0) {
        Count(in_port, DropReason::kUplinkRx);
        rte_pktmbuf_free(m);
      }
      continue;
    }
    ParsedOuter o;
    const OuterVerdict verdict = snap.uplink.present
                                     ? ParseOuter(m, snap.uplink.ip_be, port_be, &o)
                                     : OuterVerdict::kNotForUs;
    DropReason why = DropReason::kUplinkRx;
    if (verdict == OuterVerdict::kBad) {
      why = DropReason::kBadVxlan;
    } else if (verdict == OuterVerdict::kOk &&
               ResolveOuter(snap, o.src_ip_be, o.vni, &vteps[n_inner], &vnets[n_inner], &why)) {
      // The inner frame ends where the outer IPv4 packet does (no padding).
      const auto* ip = rte_pktmbuf_mtod_offset(m, const rte_ipv4_hdr*, sizeof(rte_ether_hdr));
      const uint32_t inner_len =
          sizeof(rte_ether_hdr) + rte_be_to_cpu_16(ip->total_length) - o.inner_off;
      rte_pktmbuf_adj(m, o.inner_off);
      if (m->pkt_len > inner_len) {
        // Padding may span segments (a NIC that keeps the FCS in a segment
        // of its own), which rte_pktmbuf_trim cannot cut.
        TrimChain(m, inner_len);
      }
      VtepCounters& vc = stats_->vteps[vteps[n_inner]];
      vc.rx_packets.Add(1);
      vc.rx_bytes.Add(m->pkt_len);
      inner[n_inner++] = m;
      continue;
    }
    Count(in_port, why);
    rte_pktmbuf_free(m);
  }
  if (n_inner != 0) {
    SwitchDecapped(snap, in_port, inner, vteps, vnets, n_inner, now_tsc);
  }
}

// Hot path. The inner frames, through the same flow cache as local ones
// under keys of their own (kOverlayKeyPort | VNet).
void Forwarder::SwitchDecapped(const Snapshot& snap, uint16_t uplink, rte_mbuf** pkts,
                               const uint16_t* vteps, const uint16_t* vnets, uint16_t n,
                               uint64_t now_tsc) {
  PacketKey keys[kMaxBurst];
  Ipv6Addrs addrs6[kMaxBurst];  // Read only for keys with kKeyIpv6.
  uint32_t hashes[kMaxBurst];
  Action actions[kMaxBurst];
  uint16_t miss[kMaxBurst];
  uint16_t n_miss = 0;
  const bool mask_l2 = !snap.key_l3l4;
  for (uint16_t i = 0; i < n; ++i) {
    ParseKey(pkts[i], static_cast<uint16_t>(kOverlayKeyPort | vnets[i]), &keys[i], &addrs6[i]);
    if (mask_l2) {
      keys[i].MaskToL2();
    }
    hashes[i] = keys[i].Hash();
    // Inner flows are many (every remote VM's MAC is a key): start loading
    // every bucket a burst ahead of its lookup, as for 5-tuple keys. Looked
    // up one by one, the bucket load was 40 % of this function (P13).
    cache_.Prefetch(keys[i], hashes[i]);
  }
  for (uint16_t i = 0; i < n; ++i) {
    FlowEntry* e = cache_.Find(keys[i], addrs6[i], hashes[i]);
    if (e != nullptr && e->generation != snap.cache_tag && !StillValid(snap, vnets[i], e)) {
      e = nullptr;
    }
    if (e == nullptr) {
      miss[n_miss++] = i;
    } else {
      actions[i] = e->action;
    }
  }
  if (n_miss != 0) {
    FdbPairs fdb;
    fdb.Lookup(snap.fdb, keys, miss, n_miss, [&](uint16_t j) { return vnets[miss[j]]; });
    const PacketKey* miss_keys[kMaxBurst];
    const Ipv6Addrs* miss_addrs[kMaxBurst];
    for (uint16_t j = 0; j < n_miss; ++j) {
      miss_keys[j] = &keys[miss[j]];
      miss_addrs[j] = &addrs6[miss[j]];
    }
    uint32_t tx_unused[kMaxBurst] = {};
    uint32_t rx_match[kMaxBurst] = {};
    if (snap.rx_sessions != 0) {
      MatchTapSessions(snap, miss_keys, miss_addrs, n_miss, 0, tx_unused, rx_match);
    }
    for (uint16_t j = 0; j < n_miss; ++j) {
      const uint16_t i = miss[j];
      if (FlowEntry* e = cache_.Lookup(snap.cache_tag, keys[i], addrs6[i], hashes[i])) {
        actions[i] = e->action;
        continue;
      }
      Action a = DecapDecide(snap, vnets[i], keys[i], fdb.dst_data[j], fdb.DstHit(j),
                             fdb.src_data[j], fdb.SrcHit(j));
      a.rx_match = rx_match[j];
      actions[i] = a;
      cache_.Insert(snap.cache_tag, keys[i], addrs6[i], hashes[i], a, now_tsc, snap.struct_tag);
    }
  }
  for (uint16_t i = 0; i < n; ++i) {
    // The source MAC must be a remote port of the VTEP that sent it (no
    // host speaks for another's VMs), or that host's own TAP copy MAC.
    if (actions[i].vnet_index != vteps[i] &&
        !IsCopySourceMacOf(keys[i].src_mac, snap.vteps[vteps[i]].ip_be)) {
      Count(uplink, DropReason::kOverlaySpoofed);
      rte_pktmbuf_free(pkts[i]);
      continue;
    }
    ExecuteDecapped(snap, uplink, vnets[i], pkts[i], actions[i], now_tsc);
  }
}

// Hot path (misses only). The action's vnet_index is the VTEP the source
// MAC is bound to, checked per frame against the sender.
Action Forwarder::DecapDecide(const Snapshot& snap, uint16_t vnet_index, const PacketKey& k,
                              const void* dst_data, bool dst_hit, const void* src_data,
                              bool src_hit) {
  const auto src = reinterpret_cast<uintptr_t>(src_data);
  const uint16_t src_vtep = src_hit && FdbIsRemote(src) ? FdbVtep(src) : kNoVtep;
  Action a;
  if ((k.flags & kKeyL2) == 0) {
    a = Drop(DropReason::kRunt);
  } else if (IsMulticast(k.src_mac) || IsZero(k.src_mac)) {
    a = Drop(DropReason::kBadSrcMac);
  } else if (IsMulticast(k.dst_mac) || !dst_hit) {
    a = Action{.kind = ActionKind::kFlood};
  } else {
    const auto dst = reinterpret_cast<uintptr_t>(dst_data);
    const uint16_t out = FdbPort(dst);
    if (FdbIsRemote(dst)) {
      a = Drop(DropReason::kOverlayTransit);  // Split horizon: hosts do not relay.
    } else if (!snap.ports[out].present || snap.ports[out].vnet_index != vnet_index) {
      a = Drop(DropReason::kUnknownPort);
    } else if (!snap.ports[out].admin_up) {
      a = Drop(DropReason::kPortAdminDown);
    } else {
      a = Action{.kind = ActionKind::kUnicast, .out_port = out};
    }
  }
  a.vnet_index = src_vtep;
  return a;
}

// Hot path. Local delivery only.
void Forwarder::ExecuteDecapped(const Snapshot& snap, uint16_t uplink, uint16_t vnet_index,
                                rte_mbuf* m, const Action& a, uint64_t now_tsc) {
  switch (a.kind) {
    case ActionKind::kUnicast:
      Deliver(snap, a.out_port, m, a.rx_match, now_tsc);
      return;
    case ActionKind::kFlood:
      Flood(snap, uplink, m, a.rx_match, snap.vnets[vnet_index], /*replicate=*/false, now_tsc);
      return;
    default:
      Count(uplink, a.kind == ActionKind::kDrop ? a.drop_reason : DropReason::kUnknownPort);
      rte_pktmbuf_free(m);
      return;
  }
}

}  // namespace vswitch::dataplane
