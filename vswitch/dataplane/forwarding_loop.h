// SPDX-License-Identifier: Apache-2.0
//
// The poll loop of one forwarding lcore: load the snapshot once per
// iteration, poll the RX queues the snapshot assigns to this worker, forward,
// report quiescence. Sleeps (offline for RCU) after a run of empty polls when
// idle_sleep_us > 0.
#pragma once

#include <atomic>
#include <cstdint>

#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "vswitch/dataplane/forwarder.h"
#include "vswitch/dataplane/lcore_stats.h"
#include "vswitch/dataplane/snapshot.h"

namespace vswitch::dataplane {

struct ForwardingLoopOptions {
  uint16_t worker = 0;  // Index among forwarding lcores; also its RCU thread id and TX queue.
  uint32_t flow_cache_entries = 65536;
  uint32_t idle_sleep_us = 0;      // 0: never sleep (benchmarks).
  uint32_t idle_polls_before_sleep = 256;
};

// Thread: created on the main lcore, Run() on its own lcore. Lifetime: from
// daemon start to stop; `slot`, `qsbr`, `stats`, `learn_ring` outlive it.
class ForwardingLoop {
 public:
  ForwardingLoop(const ForwardingLoopOptions& opts, const SnapshotSlot* slot, rte_rcu_qsbr* qsbr,
                 LcoreStats* stats, rte_ring* learn_ring);

  // Runs until RequestStop(). Registers with and leaves `qsbr`.
  void Run();
  void RequestStop() { stop_.store(true, std::memory_order_relaxed); }

  // rte_eal_remote_launch entry point; `arg` is a ForwardingLoop*.
  static int Launch(void* arg);

 private:
  ForwardingLoopOptions opts_;
  const SnapshotSlot* slot_;
  rte_rcu_qsbr* qsbr_;
  LcoreStats* stats_;
  Forwarder forwarder_;
  std::atomic<bool> stop_{false};
};

}  // namespace vswitch::dataplane
