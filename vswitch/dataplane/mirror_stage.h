// SPDX-License-Identifier: Apache-2.0
//
// The mirror stage of a forwarding worker: for each selected (session,
// destination), make a copy of the packet, stamp MirrorMeta and enqueue it
// to this worker's SPSC ring of the destination. A frame of up to
// kCopyMaxLen bytes is copied into a copy mbuf of its own, with headroom
// for the VXLAN header the encap worker prepends in place; a larger frame
// (or a chain) is cloned: an indirect mbuf sharing the payload, never
// copied. A failed copy or a full ring drops the copy and counts it; the
// primary packet is never held or dropped here.
#pragma once

#include <cstdint>

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_ring.h>

#include "vswitch/dataplane/lcore_stats.h"
#include "vswitch/dataplane/mirror_meta.h"
#include "vswitch/dataplane/snapshot.h"
#include "vswitch/dataplane/tx_batch.h"

namespace vswitch::dataplane {

// Frames up to this length are copied rather than cloned, when the copy
// pool's mbufs have the data room (RTE_PKTMBUF_HEADROOM + this). Copying
// 256 bytes costs less than what a clone costs later: a header mbuf and a
// chain at encap, and refcount atomics on the original, whose header line
// then moves between the forwarding and encap CPUs.
inline constexpr uint16_t kCopyMaxLen = 256;
// The encap worker prepends the VXLAN header into a copy's headroom.
static_assert(RTE_PKTMBUF_HEADROOM >= 50, "copies need headroom for the VXLAN header");

// Thread: owning worker; hot path.
class MirrorStage {
 public:
  // `batch`: copies wait in this stage until FlushCopies(), which enqueues
  // them with one ring operation per destination run, so the ring's tail
  // cache line moves to the encap lcore once per burst, not once per copy.
  // Without it each copy is enqueued at once.
  // `clone_pool`: the copy mbufs. With a data room of at least
  // RTE_PKTMBUF_HEADROOM + n, frames up to min(n, kCopyMaxLen) bytes are
  // copied; with none (indirect mbufs only), every copy is a clone.
  MirrorStage(uint16_t worker, rte_mempool* clone_pool, LcoreStats* stats, bool batch = false)
      : worker_(worker), clone_pool_(clone_pool), stats_(stats), batch_(batch) {
    const uint16_t room = rte_pktmbuf_data_room_size(clone_pool);
    const uint16_t usable = room > RTE_PKTMBUF_HEADROOM ? room - RTE_PKTMBUF_HEADROOM : 0;
    copy_max_ = usable < kCopyMaxLen ? usable : kCopyMaxLen;
    data_in_elt_ = sizeof(rte_mbuf) + rte_pktmbuf_priv_size(clone_pool) + RTE_PKTMBUF_HEADROOM;
  }
  MirrorStage(const MirrorStage&) = delete;
  MirrorStage& operator=(const MirrorStage&) = delete;
  ~MirrorStage() {
    rte_pktmbuf_free_bulk(copies_, n_pending_);
    ReleaseStash();
  }

  // Returns the unused stash to the pool (an idle lcore holds none).
  void ReleaseStash() {
    if (n_stash_ > next_stash_) {
      rte_mempool_put_bulk(clone_pool_, reinterpret_cast<void* const*>(&stash_[next_stash_]),
                           n_stash_ - next_stash_);
    }
    next_stash_ = n_stash_ = 0;
  }

  // Hot path. Call at the start of a burst that may be mirrored: tops up a
  // stash of clone mbufs and starts loading them for write. Clones are
  // freed by the encap lcore, so a clone mbuf fresh from the pool sits in
  // the other CPU's cache: writing it in Stage stalled on that transfer
  // (a third of the forwarder's samples with TAP 100 % on an encap lcore
  // of its own). Prefetched here, the transfers overlap the burst's parse
  // and lookup. Without a stash (pool empty), Stage clones as before.
  void Reserve() {
    const uint16_t left = n_stash_ - next_stash_;
    if (left >= kMaxBurst) {
      return;
    }
    for (uint16_t i = 0; i < left; ++i) {
      stash_[i] = stash_[next_stash_ + i];
    }
    next_stash_ = 0;
    n_stash_ = left;
    if (rte_mempool_get_bulk(clone_pool_, reinterpret_cast<void**>(&stash_[left]),
                             kStash - left) != 0) {
      return;
    }
    for (uint16_t i = left; i < kStash; ++i) {
      const uint8_t* elt = reinterpret_cast<const uint8_t*>(stash_[i]);
      __builtin_prefetch(elt, 1, 3);
      __builtin_prefetch(elt + RTE_CACHE_LINE_SIZE, 1, 3);
      if (copy_max_ != 0) {  // Where a copied frame's first bytes go.
        __builtin_prefetch(elt + data_in_elt_, 1, 3);
      }
    }
    n_stash_ = kStash;
  }

  // Hot path. One copy of `m` per destination of every session in
  // `sessions`. Call before `m` is handed to TX.
  void Stage(const Snapshot& snap, rte_mbuf* m, uint32_t sessions, uint8_t direction,
             uint32_t vport_id, uint64_t now_tsc) {
    for (; sessions != 0; sessions &= sessions - 1) {
      const SessionInfo& si = snap.sessions[__builtin_ctz(sessions)];
      MirrorSlotCounters& sc = stats_->sessions[si.slot];
      for (uint8_t d = 0; d < si.n_dests; ++d) {
        const DestInfo& di = snap.dests[si.dests[d]];
        MirrorSlotCounters& dc = stats_->dests[di.slot];
        rte_mbuf* copy = Clone(m);
        if (copy == nullptr) {
          sc.matched.Add(1);
          dc.matched.Add(1);
          sc.clone_failed.Add(1);
          dc.clone_failed.Add(1);
          continue;
        }
        MirrorMeta* meta = MirrorMetaOf(copy);
        meta->session_id = si.id;
        meta->vport_id = vport_id;
        meta->session_slot = si.slot;
        meta->truncate = si.truncate;
        meta->direction = direction;
        meta->flags = kMetaIsCopy;
        meta->reserved = 0;
        meta->tsc = now_tsc;
        if (batch_) {  // FlushCopies counts matched with the outcome.
          if (n_pending_ == kMaxPending) {
            FlushCopies();
          }
          copies_[n_pending_] = copy;
          rings_[n_pending_] = di.rings[worker_];
          session_slots_[n_pending_] = si.slot;
          dest_slots_[n_pending_] = di.slot;
          ++n_pending_;
          continue;
        }
        sc.matched.Add(1);
        dc.matched.Add(1);
        if (rte_ring_sp_enqueue(di.rings[worker_], copy) != 0) {
          rte_pktmbuf_free(copy);
          sc.ring_full.Add(1);
          dc.ring_full.Add(1);
          continue;
        }
        sc.cloned.Add(1);
        dc.cloned.Add(1);
      }
    }
  }

  // Hot path. A copy of `m`, from the stash when it has one: a small
  // single-segment frame copied into a direct mbuf; else an indirect mbuf
  // sharing `m`'s data (rte_pktmbuf_clone's work; a chain needs a clone
  // per segment, so it always goes to rte_pktmbuf_clone).
  rte_mbuf* Clone(rte_mbuf* m) {
    if (m->nb_segs == 1 && m->data_len <= copy_max_) {
      rte_mbuf* c = next_stash_ != n_stash_ ? stash_[next_stash_++] : rte_mbuf_raw_alloc(clone_pool_);
      if (c == nullptr) {
        return nullptr;
      }
      rte_pktmbuf_reset(c);
      rte_memcpy(rte_pktmbuf_mtod(c, void*), rte_pktmbuf_mtod(m, const void*), m->data_len);
      c->data_len = m->data_len;
      c->pkt_len = m->data_len;
      // What a clone would carry over (pcapng reads the port and the VLAN
      // an RX offload stripped); not whether `m` itself is indirect.
      c->port = m->port;
      c->vlan_tci = m->vlan_tci;
      c->vlan_tci_outer = m->vlan_tci_outer;
      c->packet_type = m->packet_type;
      c->hash = m->hash;
      c->ol_flags = m->ol_flags & ~(RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL);
      return c;
    }
    if (next_stash_ == n_stash_ || m->nb_segs != 1) {
      return rte_pktmbuf_clone(m, clone_pool_);
    }
    rte_mbuf* c = stash_[next_stash_++];
    rte_pktmbuf_reset(c);  // What rte_pktmbuf_alloc does after the pool get.
    rte_pktmbuf_attach(c, m);
    return c;
  }

  // Largest frame copied rather than cloned (0: none).
  uint16_t copy_max() const { return copy_max_; }

  // Hot path. Enqueues the copies Stage kept (batch mode), in order, one
  // burst per run of the same ring; a copy the ring refuses is freed and
  // counted as ring_full. Counters (matched, cloned, ring_full) are added
  // once per run of the same (session, destination), not once per copy.
  // The pointers it holds come from the snapshot of the current burst: call
  // it before the next quiescent point.
  void FlushCopies() {
    uint16_t i = 0;
    while (i < n_pending_) {
      uint16_t end = i + 1;
      while (end < n_pending_ && rings_[end] == rings_[i]) {
        ++end;
      }
      const uint16_t sent = static_cast<uint16_t>(rte_ring_sp_enqueue_burst(
          rings_[i], reinterpret_cast<void* const*>(&copies_[i]), end - i, nullptr));
      const uint16_t ok_end = i + sent;  // copies_[i, ok_end) are queued.
      if (ok_end < end) {
        rte_pktmbuf_free_bulk(&copies_[ok_end], end - ok_end);
      }
      // A ring is one destination's: its slot is the same for the whole run.
      AddOutcome(stats_->dests[dest_slots_[i]], end - i, sent);
      for (uint16_t j = i; j < end;) {
        uint16_t k = j + 1;
        while (k < end && session_slots_[k] == session_slots_[j]) {
          ++k;
        }
        const uint16_t ok = ok_end <= j ? 0 : (ok_end >= k ? k - j : ok_end - j);
        AddOutcome(stats_->sessions[session_slots_[j]], k - j, ok);
        j = k;
      }
      i = end;
    }
    n_pending_ = 0;
  }

 private:
  static void AddOutcome(MirrorSlotCounters& c, uint16_t matched, uint16_t queued) {
    c.matched.Add(matched);
    c.cloned.Add(queued);
    if (queued != matched) {
      c.ring_full.Add(matched - queued);
    }
  }

  static constexpr uint16_t kMaxPending = 128;
  static constexpr uint16_t kStash = 2 * kMaxBurst;

  uint16_t worker_;
  rte_mempool* clone_pool_;
  LcoreStats* stats_;
  bool batch_;
  uint16_t copy_max_ = 0;
  uint32_t data_in_elt_ = 0;  // A copy's data offset from its mbuf's address.
  uint16_t n_pending_ = 0;
  rte_mbuf* copies_[kMaxPending];
  rte_ring* rings_[kMaxPending];
  uint16_t session_slots_[kMaxPending];
  uint16_t dest_slots_[kMaxPending];
  // Clone mbufs taken from the pool, not yet used: stash_[next_stash_, n_stash_).
  uint16_t next_stash_ = 0;
  uint16_t n_stash_ = 0;
  rte_mbuf* stash_[kStash];
};

}  // namespace vswitch::dataplane
