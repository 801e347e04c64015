// SPDX-License-Identifier: Apache-2.0
//
// Publishes snapshots to the workers and frees old ones after an RCU (QSBR)
// grace period. Workers register as QSBR threads 0..n_workers-1.
// Thread: Publish/Synchronize/Reclaim from the control side (serialised by
// the caller); Current() from any thread.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>

#include <rte_rcu_qsbr.h>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "vswitch/dataplane/snapshot.h"

namespace vswitch::control {

class SnapshotPublisher {
 public:
  // Allocates the QSBR variable for `n_workers` reader threads.
  static absl::StatusOr<std::unique_ptr<SnapshotPublisher>> Create(uint32_t n_workers);
  ~SnapshotPublisher();

  // O(1): swaps the pointer and queues the previous snapshot for reclaim.
  void Publish(std::unique_ptr<const dataplane::Snapshot> next);
  // Blocks until every online worker has passed a quiescent point, then
  // frees whatever is retired. For changes that must not return before no
  // worker can see the old state (port removal).
  void Synchronize();
  // Frees retired snapshots whose grace period is over. Non-blocking.
  void Reclaim();

  const dataplane::SnapshotSlot& slot() const { return slot_; }
  rte_rcu_qsbr* qsbr() const { return qsbr_; }
  size_t retired() const;

 private:
  explicit SnapshotPublisher(rte_rcu_qsbr* qsbr) : qsbr_(qsbr) {}

  struct Retired {
    std::unique_ptr<const dataplane::Snapshot> snap;
    uint64_t token;
  };

  rte_rcu_qsbr* qsbr_;
  dataplane::SnapshotSlot slot_;
  std::unique_ptr<const dataplane::Snapshot> current_;
  mutable absl::Mutex mu_;  // Guards retired_ (Reclaim runs on the main loop).
  std::deque<Retired> retired_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vswitch::control
