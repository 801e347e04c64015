// SPDX-License-Identifier: Apache-2.0
//
// The mirror stage of a forwarding worker: for each selected (session,
// destination), clone the packet (indirect mbuf: payload shared, never
// copied), stamp MirrorMeta and enqueue to this worker's SPSC ring of the
// destination. A failed clone or a full ring drops the copy and counts it;
// the primary packet is never held or dropped here.
#pragma once

#include <cstdint>

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "vswitch/dataplane/lcore_stats.h"
#include "vswitch/dataplane/mirror_meta.h"
#include "vswitch/dataplane/snapshot.h"

namespace vswitch::dataplane {

// Thread: owning worker; hot path.
class MirrorStage {
 public:
  MirrorStage(uint16_t worker, rte_mempool* clone_pool, LcoreStats* stats)
      : worker_(worker), clone_pool_(clone_pool), stats_(stats) {}

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
        sc.matched.Add(1);
        dc.matched.Add(1);
        rte_mbuf* copy = rte_pktmbuf_clone(m, clone_pool_);
        if (copy == nullptr) {
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

 private:
  uint16_t worker_;
  rte_mempool* clone_pool_;
  LcoreStats* stats_;
};

}  // namespace vswitch::dataplane
