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

namespace {

// The end of every poll-loop iteration, shared by the forwarding and encap
// loops: report quiescence, sleep offline after a run of empty polls (so
// grace periods do not wait for a sleeper), account busy/idle cycles.
// Thread: the loop's own lcore.
class LoopPacer {
 public:
  LoopPacer(rte_rcu_qsbr* qsbr, unsigned tid, uint32_t sleep_us, uint32_t polls_before_sleep,
            LcoreStats* stats)
      : qsbr_(qsbr), tid_(tid), sleep_us_(sleep_us), polls_(polls_before_sleep), stats_(stats) {
    rte_rcu_qsbr_thread_register(qsbr_, tid_);
    rte_rcu_qsbr_thread_online(qsbr_, tid_);
    last_tsc_ = rte_rdtsc();
  }
  ~LoopPacer() {
    rte_rcu_qsbr_thread_offline(qsbr_, tid_);
    rte_rcu_qsbr_thread_unregister(qsbr_, tid_);
  }

  // TSC at the start of the current iteration.
  uint64_t last_tsc() const { return last_tsc_; }

  // `work`: packets or copies handled in the iteration. Returns its cycles.
  // No pointer into the snapshot may be held across this call.
  // `before_sleep` runs when the loop is about to sleep idle.
  template <typename BeforeSleep>
  uint64_t EndIteration(uint32_t work, BeforeSleep&& before_sleep) {
    rte_rcu_qsbr_quiescent(qsbr_, tid_);
    if (work != 0) {
      empty_polls_ = 0;
    } else if (sleep_us_ > 0 && ++empty_polls_ >= polls_) {
      before_sleep();
      rte_rcu_qsbr_thread_offline(qsbr_, tid_);
      usleep(sleep_us_);
      rte_rcu_qsbr_thread_online(qsbr_, tid_);
      empty_polls_ = 0;
    }
    const uint64_t now = rte_rdtsc();
    const uint64_t cycles = now - last_tsc_;
    (work != 0 ? stats_->busy_cycles : stats_->idle_cycles).Add(cycles);
    last_tsc_ = now;
    return cycles;
  }

 private:
  rte_rcu_qsbr* qsbr_;
  unsigned tid_;
  uint32_t sleep_us_;
  uint32_t polls_;
  LcoreStats* stats_;
  uint32_t empty_polls_ = 0;
  uint64_t last_tsc_ = 0;
};

}  // namespace

void ForwardingLoop::Run() {
  LoopPacer pacer(qsbr_, opts_.worker, opts_.idle_sleep_us, opts_.idle_polls_before_sleep,
                  stats_);
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
        forwarder_.HandleBurst(*snap, q.port, pkts, n, pacer.last_tsc());
        forwarder_.Flush();
      }
      got += forwarder_.SendLocalCopies(*snap);
      if (encap_ != nullptr) {
        const uint64_t t0 = rte_rdtsc();
        const uint32_t copies = encap_->Poll(*snap, t0);
        if (copies != 0) {
          got += copies;
          stats_->encap_cycles.Add(rte_rdtsc() - t0);
        }
      }
    }
    // An idle lcore holds no clone mbufs (its mirror stash).
    pacer.EndIteration(got, [this] { forwarder_.ReleaseIdle(); });
  }
}

int EncapLoop::Launch(void* arg) {
  static_cast<EncapLoop*>(arg)->Run();
  return 0;
}

void EncapLoop::Run() {
  LoopPacer pacer(qsbr_, opts_.qsbr_thread, opts_.idle_sleep_us, opts_.idle_polls_before_sleep,
                  stats_);
  while (!stop_.load(std::memory_order_relaxed)) {
    const Snapshot* snap = slot_->Current();
    const uint32_t got = snap != nullptr ? encap_->Poll(*snap, pacer.last_tsc()) : 0;
    const uint64_t cycles = pacer.EndIteration(got, [] {});
    if (got != 0) {
      stats_->encap_cycles.Add(cycles);
    }
  }
}

}  // namespace vswitch::dataplane
