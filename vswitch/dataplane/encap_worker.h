// SPDX-License-Identifier: Apache-2.0
//
// The encap worker: dequeues mirror copies from every (worker, destination)
// ring, applies the session's rate limit (rte_meter), cuts the inner frame
// to the session's truncation and the uplink MTU, puts the outer header
// (Ethernet, IPv4 with DF, UDP, VXLAN) in front and sends on its own uplink
// queue. A copy (a direct mbuf only this worker holds) gets the header in
// its own headroom; a clone gets a freshly allocated header mbuf chained in
// front, since its payload is shared and never written.
#pragma once

#include <cstdint>

#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_meter.h>

#include "vswitch/dataplane/lcore_stats.h"
#include "vswitch/dataplane/mirror_meta.h"
#include "vswitch/dataplane/snapshot.h"
#include "vswitch/dataplane/vxlan.h"

namespace vswitch::dataplane {

inline constexpr uint16_t kEncapSrcPortBase = 49152;

// Largest inner frame that fits an uplink of `mtu` after VXLAN/IPv4.
inline uint32_t MaxInnerLen(uint16_t mtu) { return mtu > kVxlanIpOverhead ? mtu - kVxlanIpOverhead : 0; }

// Inner length to send: the frame cut to `truncate` (0 = no cut) and to
// what the MTU allows.
inline uint32_t InnerLenFor(uint32_t pkt_len, uint16_t truncate, uint16_t mtu) {
  uint32_t len = pkt_len;
  if (truncate != 0 && truncate < len) {
    len = truncate;
  }
  const uint32_t max = MaxInnerLen(mtu);
  return len < max ? len : max;
}

// Cuts the (possibly chained, possibly indirect) mbuf to `len` bytes by
// adjusting its own segment lengths and freeing whole trailing segments;
// the shared data is untouched.
void TrimChain(rte_mbuf* m, uint32_t len);

// A collector index in [0, n) for a flow hash: the high bits scaled
// (multiply-shift) instead of a division, whose latency was the largest
// single cost per copy. The source port uses the low bits.
inline uint32_t HashToIndex(uint32_t flow_hash, uint32_t n) {
  return static_cast<uint32_t>((uint64_t{flow_hash} * n) >> 32);
}

// UDP source port for a flow hash: 49152..65535.
inline uint16_t EncapSrcPort(uint32_t flow_hash) {
  return static_cast<uint16_t>(kEncapSrcPortBase + (flow_hash % (65536 - kEncapSrcPortBase)));
}

// VXLAN-GBP Group Policy ID of a copy: bit 15 = RX (to the VM), bits 0..14
// the tapped vport's id.
inline uint16_t CopyPolicyId(uint8_t direction, uint32_t vport_id) {
  return static_cast<uint16_t>((direction == kDirToVm ? 0x8000 : 0) | (vport_id & 0x7fff));
}

// Writes the 50-byte outer header for `inner_len` bytes of inner frame into
// `out`. With dest.mark_copies the VXLAN header carries the G flag and
// `policy_id`. Byte-exact; unit-tested against golden frames.
void WriteVxlanHeader(uint8_t* out, const UplinkInfo& up, const DestInfo& dest,
                      const CollectorInfo& collector, uint16_t src_port, uint32_t inner_len,
                      uint16_t policy_id = 0);

// True when the encap worker may prepend the outer header into `m` itself:
// a direct, unshared, single-segment mbuf with the headroom (a copy made by
// MirrorStage). A clone or anything shared is never written.
inline bool OwnsHeadroom(const rte_mbuf* m) {
  return RTE_MBUF_DIRECT(m) && m->nb_segs == 1 && rte_mbuf_refcnt_read(m) == 1 &&
         rte_pktmbuf_headroom(m) >= kVxlanOverhead;
}

// Symmetric hash of the inner frame's flow (IPv4 5-tuple, else the MAC pair).
uint32_t InnerFlowHash(const rte_mbuf* m);

// Thread: the encap lcore (or a forwarding lcore in interleaved mode); hot
// path. Lifetime: the daemon's.
class EncapWorker {
 public:
  // `local_ring` (SPSC, may be null): copies for collector VMs on this
  // host, each with its output port in mbuf->port, for the first
  // forwarding lcore to send (Forwarder::SendLocalCopies).
  EncapWorker(uint16_t n_fwd_workers, rte_mempool* header_pool, LcoreStats* stats,
              rte_ring* local_ring = nullptr);

  // Hot path. Drains up to `budget` copies per ring. Returns copies handled.
  uint32_t Poll(const Snapshot& snap, uint64_t now_tsc, uint32_t budget = 64);

 private:
  void UpdateMeter(uint16_t slot, uint32_t session_id, uint64_t rate_pps);
  // True when the copy may go (meter green or no limit).
  bool Admit(uint16_t slot, uint64_t now_tsc);
  // Copies of a pcapng destination (pcapng_writer.h).
  void WriteToPcapng(const Snapshot& snap, const DestInfo& d, rte_mbuf** copies, uint16_t n,
                     uint64_t now_tsc);

  uint16_t n_fwd_workers_;
  rte_mempool* header_pool_;
  LcoreStats* stats_;
  rte_ring* local_ring_;
  // Per session slot; rate 0 = unlimited. Reconfigured when a snapshot
  // changes a session's rate.
  uint64_t meter_rate_[kMirrorSlots] = {};
  uint32_t meter_session_[kMirrorSlots] = {};  // A new session in a slot starts a fresh meter.
  rte_meter_srtcm_profile profiles_[kMirrorSlots];
  rte_meter_srtcm meters_[kMirrorSlots];
  bool limited_[kMirrorSlots] = {};  // A session with a rate limit uses this slot.
  uint64_t slot_map_generation_ = 0;
};

}  // namespace vswitch::dataplane
