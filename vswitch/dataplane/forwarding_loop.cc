// SPDX-License-Identifier: Apache-2.0
#include "vswitch/dataplane/forwarding_loop.h"

#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>

namespace vswitch::dataplane {

ForwardingLoop::ForwardingLoop(const ForwardingLoopOptions& opts, const ForwarderContext& ctx,
                               const SnapshotSlot* slot, rte_rcu_qsbr* qsbr, EncapWorker* encap)
    : opts_(opts), slot_(slot), qsbr_(qsbr), stats_(ctx.stats), forwarder_(ctx), encap_(encap) {}

int ForwardingLoop::Launch(void* arg) {
  static_cast<ForwardingLoop*>(arg)->Run();
  return 0;
}

void ForwardingLoop::Run() {
  const unsigned tid = opts_.worker;
  rte_rcu_qsbr_thread_register(qsbr_, tid);
  rte_rcu_qsbr_thread_online(qsbr_, tid);
  uint32_t empty_polls = 0;
  uint64_t last_tsc = rte_rdtsc();
  rte_mbuf* pkts[kMaxBurst];

  while (!stop_.load(std::memory_order_relaxed)) {
    const Snapshot* snap = slot_->Current();
    uint32_t got = 0;
    if (snap != nullptr && opts_.worker < snap->rx_queues.size()) {
      for (const RxQueue& q : snap->rx_queues[opts_.worker]) {
        const uint16_t n = rte_eth_rx_burst(q.port, q.queue, pkts, kMaxBurst);
        if (n == 0) {
          continue;
        }
        got += n;
        stats_->bursts.Add(1);
        forwarder_.HandleBurst(*snap, q.port, pkts, n, last_tsc);
        forwarder_.Flush();
      }
      if (encap_ != nullptr) {
        const uint64_t t0 = rte_rdtsc();
        const uint32_t copies = encap_->Poll(*snap, t0);
        if (copies != 0) {
          got += copies;
          stats_->encap_cycles.Add(rte_rdtsc() - t0);
        }
      }
    }
    // No pointer into the snapshot survives this point.
    rte_rcu_qsbr_quiescent(qsbr_, tid);

    if (got == 0 && opts_.idle_sleep_us > 0 && ++empty_polls >= opts_.idle_polls_before_sleep) {
      // Offline while asleep, so grace periods do not wait for us.
      rte_rcu_qsbr_thread_offline(qsbr_, tid);
      usleep(opts_.idle_sleep_us);
      rte_rcu_qsbr_thread_online(qsbr_, tid);
      empty_polls = 0;
    } else if (got != 0) {
      empty_polls = 0;
    }
    const uint64_t now = rte_rdtsc();
    (got != 0 ? stats_->busy_cycles : stats_->idle_cycles).Add(now - last_tsc);
    last_tsc = now;
  }
  rte_rcu_qsbr_thread_offline(qsbr_, tid);
  rte_rcu_qsbr_thread_unregister(qsbr_, tid);
}

int EncapLoop::Launch(void* arg) {
  static_cast<EncapLoop*>(arg)->Run();
  return 0;
}

void EncapLoop::Run() {
  const unsigned tid = opts_.qsbr_thread;
  rte_rcu_qsbr_thread_register(qsbr_, tid);
  rte_rcu_qsbr_thread_online(qsbr_, tid);
  uint32_t empty_polls = 0;
  uint64_t last_tsc = rte_rdtsc();
  while (!stop_.load(std::memory_order_relaxed)) {
    const Snapshot* snap = slot_->Current();
    const uint32_t got = snap != nullptr ? encap_->Poll(*snap, last_tsc) : 0;
    rte_rcu_qsbr_quiescent(qsbr_, tid);
    if (got == 0 && opts_.idle_sleep_us > 0 && ++empty_polls >= opts_.idle_polls_before_sleep) {
      rte_rcu_qsbr_thread_offline(qsbr_, tid);
      usleep(opts_.idle_sleep_us);
      rte_rcu_qsbr_thread_online(qsbr_, tid);
      empty_polls = 0;
    } else if (got != 0) {
      empty_polls = 0;
    }
    const uint64_t now = rte_rdtsc();
    (got != 0 ? stats_->busy_cycles : stats_->idle_cycles).Add(now - last_tsc);
    if (got != 0) {
      stats_->encap_cycles.Add(now - last_tsc);
    }
    last_tsc = now;
  }
  rte_rcu_qsbr_thread_offline(qsbr_, tid);
  rte_rcu_qsbr_thread_unregister(qsbr_, tid);
}

}  // namespace vswitch::dataplane
