// SPDX-License-Identifier: Apache-2.0
#include "vswitch/dataplane/encap_worker.h"

#include <cstring>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_prefetch.h>
#include <rte_ring.h>
#include <rte_udp.h>
#include <rte_vxlan.h>

#include "lib/hash/flow_hash.h"
#include "vswitch/dataplane/mirror_meta.h"
#include "vswitch/dataplane/parser.h"
#include "vswitch/dataplane/pcapng_writer.h"
#include "vswitch/dataplane/tx_batch.h"

namespace vswitch::dataplane {

void TrimChain(rte_mbuf* m, uint32_t len) {
  if (len >= m->pkt_len) {
    return;
  }
  m->pkt_len = len;
  uint32_t left = len;
  rte_mbuf* seg = m;
  uint16_t segs = 0;
  while (seg != nullptr) {
    ++segs;
    if (seg->data_len >= left || seg->next == nullptr) {
      seg->data_len = static_cast<uint16_t>(left);
      rte_mbuf* rest = seg->next;
      seg->next = nullptr;
      if (rest != nullptr) {
        rte_pktmbuf_free(rest);
      }
      break;
    }
    left -= seg->data_len;
    seg = seg->next;
  }
  m->nb_segs = segs;
}

void WriteVxlanHeader(uint8_t* out, const UplinkInfo& up, const DestInfo& dest,
                      const CollectorInfo& collector, uint16_t src_port, uint32_t inner_len,
                      uint16_t policy_id) {
  // G flag (VXLAN-GBP): the low 16 bits carry the group policy id, here the
  // copy's direction and source vport.
  const OuterHeader h{.dst_mac = collector.next_hop_mac,
                      .src_mac = dest.in_vnet ? up.copy_mac : up.mac,
                      .src_ip_be = up.ip_be,
                      .dst_ip_be = collector.ip_be,
                      .udp_dst_port = dest.udp_port,
                      .udp_src_port = src_port,
                      .vni = dest.vni,
                      .vx_flags = dest.mark_copies ? 0x88000000u | policy_id : kVxlanFlagI};
  WriteOuterHeader(out, h, inner_len);
}

uint32_t InnerFlowHash(const rte_mbuf* m) {
  PacketKey k;
  ParseKey(m, 0, &k);
  // IPv6 keys hold per-address digests: a pure function of each address,
  // so the hash stays symmetric.
  if (k.flags & (kKeyIpv4 | kKeyIpv6)) {
    return hash::SymmetricFlowHash(k.src_ip, k.dst_ip, k.src_port, k.dst_port, k.proto);
  }
  uint64_t a = 0;
  uint64_t b = 0;
  std::memcpy(&a, k.src_mac, 6);
  std::memcpy(&b, k.dst_mac, 6);
  const uint64_t lo = a < b ? a : b;
  const uint64_t hi = a < b ? b : a;
  return rte_hash_crc_8byte(hi, rte_hash_crc_8byte(lo, k.ether_type));
}

EncapWorker::EncapWorker(uint16_t n_fwd_workers, rte_mempool* header_pool, LcoreStats* stats,
                         rte_ring* local_ring)
    : n_fwd_workers_(n_fwd_workers),
      header_pool_(header_pool),
      stats_(stats),
      local_ring_(local_ring) {}

void EncapWorker::UpdateMeter(uint16_t slot, uint32_t session_id, uint64_t rate_pps) {
  if (meter_rate_[slot] == rate_pps && meter_session_[slot] == session_id) {
    return;
  }
  meter_rate_[slot] = rate_pps;
  meter_session_[slot] = session_id;
  if (rate_pps == 0) {
    return;
  }
  // The meter counts "bytes"; each copy is fed as length 1, so the rates
  // are packets. Burst: a tenth of a second, at least one RX burst.
  rte_meter_srtcm_params params{};
  params.cir = rate_pps;
  params.cbs = rate_pps / 10 > kMaxBurst ? rate_pps / 10 : kMaxBurst;
  params.ebs = 0;
  rte_meter_srtcm_profile_config(&profiles_[slot], &params);
  rte_meter_srtcm_config(&meters_[slot], &profiles_[slot]);
}

// Hot path.
bool EncapWorker::Admit(uint16_t slot, uint64_t now_tsc) {
  if (!limited_[slot]) {
    return true;
  }
  return rte_meter_srtcm_color_blind_check(&meters_[slot], &profiles_[slot], now_tsc, 1) ==
         RTE_COLOR_GREEN;
}

// Hot path. A pcapng destination: the rate limit, then the file (one
// writev per burst) instead of encapsulation.
void EncapWorker::WriteToPcapng(const Snapshot& snap, const DestInfo& d, rte_mbuf** copies,
                                uint16_t n, uint64_t now_tsc) {
  MirrorSlotCounters& dc = stats_->dests[d.slot];
  uint16_t n_ok = 0;
  for (uint16_t i = 0; i < n; ++i) {
    const uint16_t slot = MirrorMetaOf(copies[i])->session_slot;
    if (!Admit(slot, now_tsc)) {
      stats_->sessions[slot].rate_limited.Add(1);
      dc.rate_limited.Add(1);
      rte_pktmbuf_free(copies[i]);
      continue;
    }
    copies[n_ok++] = copies[i];
  }
  if (n_ok != 0) {
    d.pcapng->Write(snap, copies, n_ok, dc, stats_->sessions);
  }
}

// Hot path.
uint32_t EncapWorker::Poll(const Snapshot& snap, uint64_t now_tsc, uint32_t budget) {
  if (snap.generation != slot_map_generation_) {
    for (bool& l : limited_) {
      l = false;
    }
    for (const SessionInfo& si : snap.sessions) {
      limited_[si.slot] = si.rate_pps != 0;
      UpdateMeter(si.slot, si.id, si.rate_pps);
    }
    slot_map_generation_ = snap.generation;
  }
  if (budget > kMaxBurst) {
    budget = kMaxBurst;
  }
  const UplinkInfo& up = snap.uplink;
  uint32_t handled = 0;
  rte_mbuf* copies[kMaxBurst];
  rte_mbuf* out[kMaxBurst];
  uint16_t out_slot[kMaxBurst];
  uint32_t out_len[kMaxBurst];

  for (const DestInfo& d : snap.dests) {
    MirrorSlotCounters& dc = stats_->dests[d.slot];
    for (uint16_t w = 0; w < n_fwd_workers_; ++w) {
      if (d.rings[w] == nullptr) {
        continue;
      }
      const unsigned n = rte_ring_sc_dequeue_burst(d.rings[w], reinterpret_cast<void**>(copies),
                                                   budget, nullptr);
      if (n == 0) {
        continue;
      }
      handled += n;
      if (d.pcapng != nullptr) {
        WriteToPcapng(snap, d, copies, static_cast<uint16_t>(n), now_tsc);
        continue;
      }
      // The copies were written, and their frames received, on another CPU:
      // start every transfer at once instead of stalling on each in turn
      // (InnerFlowHash's read of the frame was half of this lcore's time).
      // Headers first: the frame's address is in them. Then the frames, and
      // the frames' own mbufs.
      for (unsigned i = 0; i < n; ++i) {
        rte_prefetch0(copies[i]);
        rte_prefetch0(reinterpret_cast<const uint8_t*>(copies[i]) + RTE_CACHE_LINE_SIZE);
      }
      for (unsigned i = 0; i < n; ++i) {
        const uint8_t* data = rte_pktmbuf_mtod(copies[i], const uint8_t*);
        rte_prefetch0(data);
        if (RTE_MBUF_CLONED(copies[i])) {  // Its TX free decrements the frame's refcnt.
          __builtin_prefetch(rte_mbuf_from_indirect(copies[i]), 1, 3);
        } else {  // A copy: the outer header goes into its headroom.
          __builtin_prefetch(data - kVxlanOverhead, 1, 3);
        }
      }
      uint16_t n_out = 0;
      for (unsigned i = 0; i < n; ++i) {
        rte_mbuf* m = copies[i];
        const MirrorMeta* meta = MirrorMetaOf(m);
        const uint16_t slot = meta->session_slot;
        MirrorSlotCounters& sc = stats_->sessions[slot];
        if (!Admit(slot, now_tsc)) {
          sc.rate_limited.Add(1);
          dc.rate_limited.Add(1);
          rte_pktmbuf_free(m);
          continue;
        }
        const uint32_t hash = InnerFlowHash(m);
        const CollectorInfo* pick = &d.collectors[HashToIndex(hash, d.n_collectors)];
        if (!pick->resolved && d.n_live != 0) {
          pick = &d.collectors[d.live[HashToIndex(hash, d.n_live)]];
        }
        const CollectorInfo& coll = *pick;
        if (!up.present || !coll.resolved) {
          sc.no_next_hop.Add(1);
          dc.no_next_hop.Add(1);
          rte_pktmbuf_free(m);
          continue;
        }
        // A collector VM behind the overlay gets the copy inside a second
        // tunnel; its VNet's MTU (uplink MTU - 50) bounds the copy either way.
        const bool wrap = d.in_vnet && coll.local_port == kNoPort;
        const uint16_t mtu = d.in_vnet ? static_cast<uint16_t>(up.mtu - kVxlanOverhead) : up.mtu;
        const uint32_t inner = InnerLenFor(m->pkt_len, meta->truncate, mtu);
        if (inner < m->pkt_len) {
          TrimChain(m, inner);
          sc.truncated.Add(1);
          dc.truncated.Add(1);
        }
        const uint16_t src_port = EncapSrcPort(hash);
        const uint16_t policy = CopyPolicyId(meta->direction, meta->vport_id);
        rte_mbuf* hdr;
        if (OwnsHeadroom(m) && rte_pktmbuf_headroom(m) >= (wrap ? 2 : 1) * kVxlanOverhead) {
          hdr = m;  // A copy (mirror_stage.h): prepend in place.
          WriteVxlanHeader(reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, kVxlanOverhead)), up,
                           d, coll, src_port, inner, policy);
        } else {  // A clone: its data is shared, so the header is an mbuf of its own.
          hdr = rte_pktmbuf_alloc(header_pool_);
          if (hdr == nullptr) {
            sc.clone_failed.Add(1);
            dc.clone_failed.Add(1);
            rte_pktmbuf_free(m);
            continue;
          }
          WriteVxlanHeader(rte_pktmbuf_mtod(hdr, uint8_t*), up, d, coll, src_port, inner, policy);
          ChainHeader(hdr, m, inner);
        }
        if (wrap) {
          const VtepInfo& v = snap.vteps[coll.vtep];
          const OuterHeader h{.dst_mac = v.next_hop_mac,
                              .src_mac = up.mac,
                              .src_ip_be = up.ip_be,
                              .dst_ip_be = v.ip_be,
                              .udp_dst_port = snap.vxlan_port,
                              .udp_src_port = src_port,
                              .vni = d.overlay_vni,
                              .vx_flags = kVxlanFlagI};
          const uint32_t copy_len = hdr->pkt_len;
          auto* outer = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(hdr, kVxlanOverhead));
          if (outer == nullptr) {  // Cannot happen: both kinds of header have the room.
            sc.clone_failed.Add(1);
            dc.clone_failed.Add(1);
            rte_pktmbuf_free(hdr);
            continue;
          }
          WriteOuterHeader(outer, h, copy_len);
          VtepCounters& vc = stats_->vteps[coll.vtep];
          vc.tx_packets.Add(1);
          vc.tx_bytes.Add(hdr->pkt_len);
        } else if (d.in_vnet) {
          // The VM is on this host: a forwarding lcore sends it out of the
          // VM's port (this lcore has no queue there).
          hdr->port = coll.local_port;
          if (local_ring_ == nullptr || rte_ring_sp_enqueue(local_ring_, hdr) != 0) {
            sc.tx_dropped.Add(1);
            dc.tx_dropped.Add(1);
            rte_pktmbuf_free(hdr);
            continue;
          }
          sc.sent_packets.Add(1);
          sc.sent_bytes.Add(hdr->pkt_len);
          dc.sent_packets.Add(1);
          dc.sent_bytes.Add(hdr->pkt_len);
          continue;
        }
        out[n_out] = hdr;
        out_slot[n_out] = slot;
        out_len[n_out] = hdr->pkt_len;
        ++n_out;
      }
      if (n_out == 0) {
        continue;
      }
      const uint16_t sent = rte_eth_tx_burst(up.port, up.encap_queue, out, n_out);
      // Session counters once per run of the same session.
      uint64_t bytes = 0;
      for (uint16_t i = 0; i < sent;) {
        uint16_t k = i;
        uint64_t run_bytes = 0;
        for (; k < sent && out_slot[k] == out_slot[i]; ++k) {
          run_bytes += out_len[k];
        }
        MirrorSlotCounters& sc = stats_->sessions[out_slot[i]];
        sc.sent_packets.Add(k - i);
        sc.sent_bytes.Add(run_bytes);
        bytes += run_bytes;
        i = k;
      }
      for (uint16_t i = sent; i < n_out; ++i) {
        stats_->sessions[out_slot[i]].tx_dropped.Add(1);
        dc.tx_dropped.Add(1);
        rte_pktmbuf_free(out[i]);
      }
      dc.sent_packets.Add(sent);
      dc.sent_bytes.Add(bytes);
      stats_->ports[up.port].tx_packets.Add(sent);
      stats_->ports[up.port].tx_bytes.Add(bytes);
    }
  }
  return handled;
}

}  // namespace vswitch::dataplane
