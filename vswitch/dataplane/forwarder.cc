// SPDX-License-Identifier: Apache-2.0
#include "vswitch/dataplane/forwarder.h"

#include <cstring>

#include <rte_arp.h>
#include <rte_prefetch.h>

#include "vswitch/dataplane/chain_check.h"
#include "vswitch/dataplane/forwarder_util.h"
#include "vswitch/dataplane/mirror_meta.h"
#include "vswitch/dataplane/parser.h"
#include "vswitch/dataplane/tap_filter.h"

namespace vswitch::dataplane {

namespace {

// Hot path (misses of secured ports, ARP only). The ARP sender of `m` (an
// Ethernet/IPv4 ARP packet) is the port's own MAC and address; 0.0.0.0 is
// an address probe (RFC 5227). Anything else, a short or non-IPv4 ARP
// included, cannot be shown to be the VM's and is refused.
bool ArpSenderAllowed(const PortInfo& pi, const PortSecurity& ps, rte_mbuf* m) {
  const rte_arp_hdr* arp = ArpHeaderOf(m);
  if (arp == nullptr) {
    return false;
  }
  if (pi.check_src_mac && !ps.HasMac(arp->arp_data.arp_sha.addr_bytes)) {
    return false;
  }
  uint32_t sip;
  std::memcpy(&sip, &arp->arp_data.arp_sip, 4);
  return !pi.check_src_ip || sip == 0 || ps.HasIp(sip);
}

// Hot path (misses of secured ports only). Is what `k` says about the
// sender the port's own? ARP is judged on its sender fields, which the key
// lacks: *per_packet is set, and the verdict must not be cached.
bool SourceAllowed(const Snapshot& snap, uint16_t in_port, const PacketKey& k, rte_mbuf* m,
                   bool* per_packet) {
  const PortInfo& pi = snap.ports[in_port];
  const PortSecurity& ps = snap.port_security[in_port];
  if (pi.check_src_mac && !ps.HasMac(k.src_mac)) {
    return false;
  }
  if (k.ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4)) {
    // The key keeps the IPv4 source on such a port (MaskToL2(keep_src_ip));
    // a header that did not parse cannot be shown to be the VM's. 0.0.0.0
    // is a DHCP client without an address yet.
    return !pi.check_src_ip || ((k.flags & kKeyIpv4) != 0 && (k.src_ip == 0 || ps.HasIp(k.src_ip)));
  }
  if (k.ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP)) {
    *per_packet = true;
    return ArpSenderAllowed(pi, ps, m);
  }
  return true;
}

}  // namespace

Forwarder::Forwarder(const ForwarderContext& ctx)
    : cache_(ctx.flow_cache_entries),
      tx_(ctx.worker),
      mirror_(ctx.worker, ctx.clone_pool, ctx.stats, /*batch=*/true),
      stats_(ctx.stats),
      learn_ring_(ctx.learn_ring),
      arp_ring_(ctx.arp_ring),
      header_pool_(ctx.header_pool),
      local_copies_(ctx.local_copies) {}

// Hot path.
uint32_t Forwarder::SendLocalCopies(const Snapshot& snap) {
  if (local_copies_ == nullptr) {
    return 0;
  }
  rte_mbuf* copies[kMaxBurst];
  const unsigned n = rte_ring_sc_dequeue_burst(local_copies_, reinterpret_cast<void**>(copies),
                                               kMaxBurst, nullptr);
  for (unsigned i = 0; i < n; ++i) {
    const uint16_t port = copies[i]->port;
    const PortInfo& pi = snap.ports[port < kMaxPorts ? port : 0];
    if (port >= kMaxPorts || !pi.present || !pi.admin_up || copies[i]->pkt_len > pi.max_frame) {
      rte_pktmbuf_free(copies[i]);  // The VM's port went away meanwhile.
      continue;
    }
    tx_.Add(port, copies[i]);
  }
  if (n != 0) {
    tx_.Flush(stats_);
  }
  return n;
}

void Forwarder::DropAll(uint16_t in_port, rte_mbuf** pkts, uint16_t n, DropReason reason) {
  stats_->ports[in_port].drops[static_cast<int>(reason)].Add(n);
  rte_pktmbuf_free_bulk(pkts, n);
}

// Hot path.
void Forwarder::SendLearn(const Snapshot& snap, uint16_t vnet_index, uint16_t port,
                          const uint8_t* mac) {
  LearnEvent ev{.vnet_id = snap.vnets[vnet_index].id, .port = port, .mac = {}, .pad = 0};
  std::memcpy(ev.mac, mac, 6);
  if (rte_ring_sp_enqueue_elem(learn_ring_, &ev, sizeof(ev)) == 0) {
    stats_->learn_events.Add(1);
  } else {
    stats_->learn_ring_full.Add(1);
  }
}

// Hot path.
void Forwarder::HandleBurst(const Snapshot& snap, uint16_t in_port, rte_mbuf** pkts, uint16_t n,
                            uint64_t now_tsc) {
  PortCounters& in = stats_->ports[in_port];
  in.rx_packets.Add(n);
  stats_->rx_packets.Add(n);
  // rx_bytes is summed in the parse loop: as a loop of its own, g++
  // vectorized it into an AVX-512 gather that was 7 % of this function.
  uint64_t rx_bytes = 0;

  const PortInfo& pi = snap.ports[in_port];
  if (!pi.present || !pi.admin_up) {
    for (uint16_t i = 0; i < n; ++i) {
      rx_bytes += pkts[i]->pkt_len;
    }
    in.rx_bytes.Add(rx_bytes);
    DropAll(in_port, pkts, n, pi.present ? DropReason::kPortAdminDown : DropReason::kUnknownPort);
    return;
  }

  PacketKey keys[kMaxBurst];
  Ipv6Addrs addrs6[kMaxBurst];  // Read only for keys with kKeyIpv6.
  uint32_t hashes[kMaxBurst];
  Action actions[kMaxBurst];
  uint16_t miss[kMaxBurst];
  uint16_t n_miss = 0;

  if (!pi.is_uplink && (snap.port_tx_sessions[in_port] | snap.rx_sessions) != 0) {
    mirror_.Reserve();  // First: its clone mbufs load while the burst is parsed.
  }
  for (uint16_t i = 0; i < n && i < kPrefetchAhead; ++i) {
    rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void*));
  }
  // Loaded once: the parse loop's byte stores could alias the snapshot.
  const bool keep_src_ip = pi.check_src_ip;
  // What the uplink receives is judged on its outer headers.
  const bool mask_l2 = !snap.key_l3l4 && !pi.is_uplink;
  for (uint16_t i = 0; i < n; ++i) {
    if (i + kPrefetchAhead < n) {
      rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchAhead], void*));
    }
    rx_bytes += pkts[i]->pkt_len;
    ParseKey(pkts[i], in_port, &keys[i], &addrs6[i]);
    if (mask_l2) {
      // No filter looks past L2: many flows share an entry. Port security
      // still needs the IPv4 source of a port whose addresses are checked.
      keys[i].MaskToL2(keep_src_ip);
    }
    // Nothing downstream (mirror copies, pcapng, TX) may walk a chain that
    // is not what its header says; a single segment costs one branch.
    if (BadChain(pkts[i])) {
      keys[i].flags = kKeyBadChain;
      keys[i].ether_type = 0;
    }
  }
  in.rx_bytes.Add(rx_bytes);
  if (pi.is_uplink) {
    FromUplink(snap, in_port, pkts, n, keys, now_tsc);
    return;
  }
  // 5-tuple keys can mean a table far larger than L1 (P8): start loading
  // every bucket a burst ahead of its lookup. L2 keys share a few hot
  // entries, where the early hash and prefetch cost 10 % of the hit path
  // (BM_ForwarderKnownUnicastBurst), so they hash at lookup.
  if (snap.key_l3l4) {
    for (uint16_t i = 0; i < n; ++i) {
      hashes[i] = keys[i].Hash();
      cache_.Prefetch(keys[i], hashes[i]);
    }
  }

  const uint64_t gen = snap.cache_tag;
  const uint32_t now_time = static_cast<uint32_t>(now_tsc >> kLearnTimeShift);
  const uint32_t refresh_time = static_cast<uint32_t>(snap.learn_refresh_cycles >> kLearnTimeShift);
  for (uint16_t i = 0; i < n; ++i) {
    if ((keys[i].flags & kKeyL2) == 0) {
      actions[i] = Drop(keys[i].flags == kKeyBadChain ? DropReason::kBadChain : DropReason::kRunt);
      continue;
    }
    if (!snap.key_l3l4) {
      hashes[i] = keys[i].Hash();
    }
    FlowEntry* e = cache_.Find(keys[i], addrs6[i], hashes[i]);
    if (e != nullptr && e->generation != gen && !StillValid(snap, pi.vnet_index, e)) {
      e = nullptr;
    }
    if (e == nullptr) {
      miss[n_miss++] = i;
      continue;
    }
    actions[i] = e->action;
    if (e->action.learn_src && snap.mac_learning && now_time - e->learn_time > refresh_time) {
      e->learn_time = now_time;
      SendLearn(snap, pi.vnet_index, in_port, keys[i].src_mac);
    }
  }
  if (n_miss > 0) {
    SlowPath(snap, in_port, pi.vnet_index, pkts, keys, addrs6, hashes, miss, n_miss, actions,
             now_tsc);
  }
  for (uint16_t i = 0; i < n; ++i) {
    Execute(snap, in_port, pkts[i], actions[i], now_tsc);
  }
}

// Hot path (misses only).
void Forwarder::SlowPath(const Snapshot& snap, uint16_t in_port, uint16_t vnet_index,
                         rte_mbuf* const* pkts, const PacketKey* keys,
                         const Ipv6Addrs* addrs6, const uint32_t* hashes,
                         const uint16_t* miss, uint16_t n_miss, Action* actions,
                         uint64_t now_tsc) {
  const PortInfo& pi = snap.ports[in_port];
  const bool secured = pi.check_src_mac || pi.check_src_ip;
  FdbPairs fdb;
  fdb.Lookup(snap.fdb, keys, miss, n_miss, [vnet_index](uint16_t) { return vnet_index; });

  // TAP: which sessions copy each flow, decided once per flow here.
  uint32_t tx_sessions[kMaxBurst] = {};
  uint32_t rx_match[kMaxBurst] = {};
  const uint32_t tx_candidates = snap.port_tx_sessions[in_port];
  if ((tx_candidates | snap.rx_sessions) != 0) {
    const PacketKey* miss_keys[kMaxBurst];
    const Ipv6Addrs* miss_addrs[kMaxBurst];
    for (uint16_t j = 0; j < n_miss; ++j) {
      miss_keys[j] = &keys[miss[j]];
      miss_addrs[j] = &addrs6[miss[j]];
    }
    MatchTapSessions(snap, miss_keys, miss_addrs, n_miss, tx_candidates, tx_sessions, rx_match);
  }

  for (uint16_t j = 0; j < n_miss; ++j) {
    const uint16_t i = miss[j];
    const PacketKey& k = keys[i];
    // An earlier miss of this burst may have cached the same flow already.
    if (FlowEntry* e = cache_.Lookup(snap.cache_tag, k, addrs6[i], hashes[i])) {
      actions[i] = e->action;
      continue;
    }
    Action a;
    bool per_packet = false;
    const bool bad_src = IsMulticast(k.src_mac) || IsZero(k.src_mac);
    const bool spoofed =
        !bad_src && secured && !SourceAllowed(snap, in_port, k, pkts[i], &per_packet);
    uint8_t arp_mac[6];
    if (!bad_src && !spoofed && k.ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP) &&
        snap.vnets[vnet_index].arp_suppression) {
      per_packet = true;  // Decided on the ARP target, which the key lacks.
    }
    if (bad_src) {
      a = Drop(DropReason::kBadSrcMac);
    } else if (spoofed) {
      a = Drop(DropReason::kSpoofedSrc);
    } else if (per_packet && ArpTarget(snap, vnet_index, pkts[i], arp_mac)) {
      a = Action{.kind = ActionKind::kArpReply, .out_port = in_port, .vnet_index = vnet_index};
    } else if (IsMulticast(k.dst_mac)) {
      a = Action{.kind = ActionKind::kFlood, .vnet_index = vnet_index};
    } else if (fdb.DstHit(j) && FdbIsRemote(fdb.Dst(j))) {
      a = Action{
          .kind = ActionKind::kRemote, .out_port = FdbVtep(fdb.Dst(j)), .vnet_index = vnet_index};
    } else if (fdb.DstHit(j)) {
      const uint16_t out = FdbPort(fdb.Dst(j));
      const PortInfo& op = snap.ports[out];
      if (out == in_port) {
        a = Drop(DropReason::kSamePort);
      } else if (!op.present || op.vnet_index != vnet_index) {
        a = Drop(DropReason::kUnknownPort);
      } else if (!op.admin_up) {
        a = Drop(DropReason::kPortAdminDown);
      } else {
        a = Action{.kind = ActionKind::kUnicast, .out_port = out, .vnet_index = vnet_index};
      }
    } else {
      a = Action{.kind = ActionKind::kFlood, .vnet_index = vnet_index};
    }

    // Learning: a static entry always wins; a learned one moves with the MAC.
    // A port whose MACs are checked sends only from its static entries, and
    // a refused frame teaches nothing.
    bool learn_src = false;
    if (!bad_src && !spoofed && !pi.check_src_mac) {
      if (fdb.SrcHit(j)) {
        const uintptr_t v = fdb.Src(j);
        learn_src = !FdbIsStatic(v);
        if (learn_src && snap.mac_learning && FdbPort(v) != in_port) {
          SendLearn(snap, vnet_index, in_port, k.src_mac);
        }
      } else {
        learn_src = true;
        if (snap.mac_learning) {
          SendLearn(snap, vnet_index, in_port, k.src_mac);
        }
      }
    }
    a.learn_src = learn_src;
    if (a.kind != ActionKind::kDrop || a.drop_reason != DropReason::kBadSrcMac) {
      // A frame the switch drops was still sent by the VM: TX copies stand.
      a.tx_sessions = tx_sessions[j];
      a.rx_match = rx_match[j];
    }
    actions[i] = a;
    if (!per_packet) {
      cache_.Insert(snap.cache_tag, k, addrs6[i], hashes[i], a, now_tsc, snap.struct_tag);
    }
  }
}

// Hot path.
void Forwarder::Execute(const Snapshot& snap, uint16_t in_port, rte_mbuf* m, const Action& a,
                        uint64_t now_tsc) {
  if (a.tx_sessions != 0) {
    mirror_.Stage(snap, m, a.tx_sessions, kDirFromVm, snap.ports[in_port].vport_id, now_tsc);
  }
  switch (a.kind) {
    case ActionKind::kUnicast:
      Deliver(snap, a.out_port, m, a.rx_match, now_tsc);
      return;
    case ActionKind::kRemote:
      SendToVtep(snap, in_port, m, a.out_port);
      return;
    case ActionKind::kArpReply:
      ReplyArp(snap, in_port, a.vnet_index, m, a, now_tsc);
      return;
    case ActionKind::kFlood:
      Flood(snap, in_port, m, a.rx_match, snap.vnets[a.vnet_index], /*replicate=*/true, now_tsc);
      return;
    case ActionKind::kDrop:
      stats_->ports[in_port].drops[static_cast<int>(a.drop_reason)].Add(1);
      rte_pktmbuf_free(m);
      return;
  }
}

// Hot path. To one local port, with its RX copies.
void Forwarder::Deliver(const Snapshot& snap, uint16_t out, rte_mbuf* m, uint32_t rx_match,
                        uint64_t now_tsc) {
  if (m->pkt_len > snap.ports[out].max_frame) {
    Count(out, DropReason::kMtuExceeded);
    rte_pktmbuf_free(m);
    return;
  }
  const uint32_t rx = rx_match & snap.port_rx_sessions[out];
  if (rx != 0) {
    mirror_.Stage(snap, m, rx, kDirToVm, snap.ports[out].vport_id, now_tsc);
  }
  tx_.Add(out, m);
}

// Hot path. To every up port of `vnet` but `in_port`, and with `replicate`
// to each of its VTEPs (a frame from the overlay is not: split horizon).
void Forwarder::Flood(const Snapshot& snap, uint16_t in_port, rte_mbuf* m, uint32_t rx_match,
                      const VnetInfo& vnet, bool replicate, uint64_t now_tsc) {
  uint16_t outs[kMaxPorts];
  uint16_t copies = 0;
  bool other = false;
  for (uint16_t p : vnet.flood_ports) {
    if (p == in_port) {
      continue;
    }
    other = true;
    if (m->pkt_len > snap.ports[p].max_frame) {
      Count(p, DropReason::kMtuExceeded);
      continue;
    }
    outs[copies++] = p;
  }
  const bool vteps = replicate && !vnet.flood_vteps.empty();
  const uint16_t replicas = vteps ? ReplicasFor(snap, in_port, vnet, m->pkt_len) : 0;
  if (copies + replicas == 0) {
    if (!other && !vteps) {
      Count(in_port, DropReason::kNoOutputPort);
    }
    rte_pktmbuf_free(m);
    return;
  }
  // Every receiver's RX copy is cloned before any TX can free `m`.
  if (rx_match != 0) {
    for (uint16_t i = 0; i < copies; ++i) {
      const uint32_t rx = rx_match & snap.port_rx_sessions[outs[i]];
      if (rx != 0) {
        mirror_.Stage(snap, m, rx, kDirToVm, snap.ports[outs[i]].vport_id, now_tsc);
      }
    }
  }
  // One mbuf, one reference per output: no copy.
  if (copies + replicas > 1) {
    AddReferences(m, static_cast<int16_t>(copies + replicas - 1));
  }
  for (uint16_t i = 0; i < copies; ++i) {
    tx_.Add(outs[i], m);
  }
  if (replicas != 0) {
    Replicate(snap, in_port, m, vnet);
  }
}

}  // namespace vswitch::dataplane
