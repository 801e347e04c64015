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

#include "vswitch/dataplane/encap_worker.h"
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
// daemon start to stop; everything passed in outlives it.
class ForwardingLoop {
 public:
  // `encap`, when set, runs interleaved on this lcore after each round of
  // forwarding (single-core mode); it must use this loop's stats.
  ForwardingLoop(const ForwardingLoopOptions& opts, const ForwarderContext& ctx,
                 const SnapshotSlot* slot, rte_rcu_qsbr* qsbr, EncapWorker* encap);

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
  EncapWorker* encap_;
  std::atomic<bool> stop_{false};
};

struct EncapLoopOptions {
  uint16_t qsbr_thread = 0;  // Its RCU thread id (after the forwarding workers').
  uint32_t idle_sleep_us = 0;
  uint32_t idle_polls_before_sleep = 256;
};

// The encap worker on a dedicated lcore. Thread and lifetime as ForwardingLoop.
class EncapLoop {
 public:
  EncapLoop(const EncapLoopOptions& opts, EncapWorker* encap, const SnapshotSlot* slot,
            rte_rcu_qsbr* qsbr, LcoreStats* stats)
      : opts_(opts), encap_(encap), slot_(slot), qsbr_(qsbr), stats_(stats) {}

  void Run();
  void RequestStop() { stop_.store(true, std::memory_order_relaxed); }
  static int Launch(void* arg);

 private:
  EncapLoopOptions opts_;
  EncapWorker* encap_;
  const SnapshotSlot* slot_;
  rte_rcu_qsbr* qsbr_;
  LcoreStats* stats_;
  std::atomic<bool> stop_{false};
};

}  // namespace vswitch::dataplane
