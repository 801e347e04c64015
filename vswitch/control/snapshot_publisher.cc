// SPDX-License-Identifier: Apache-2.0
#include "vswitch/control/snapshot_publisher.h"

#include <rte_malloc.h>

#include "lib/dpdk/dpdk_status.h"

namespace vswitch::control {

absl::StatusOr<std::unique_ptr<SnapshotPublisher>> SnapshotPublisher::Create(uint32_t n_workers) {
  const uint32_t threads = n_workers == 0 ? 1 : n_workers;
  const size_t sz = rte_rcu_qsbr_get_memsize(threads);
  auto* qsbr = static_cast<rte_rcu_qsbr*>(rte_zmalloc("vswitch_qsbr", sz, RTE_CACHE_LINE_SIZE));
  if (qsbr == nullptr) {
    return absl::ResourceExhaustedError("rte_zmalloc(qsbr): out of memory");
  }
  int ret = rte_rcu_qsbr_init(qsbr, threads);
  if (ret != 0) {
    rte_free(qsbr);
    return dpdk::DpdkError("rte_rcu_qsbr_init", ret);
  }
  return std::unique_ptr<SnapshotPublisher>(new SnapshotPublisher(qsbr));
}

SnapshotPublisher::~SnapshotPublisher() {
  // Workers are stopped before this runs.
  slot_.Exchange(nullptr);
  {
    absl::MutexLock lock(&mu_);
    retired_.clear();
  }
  current_.reset();
  rte_free(qsbr_);
}

void SnapshotPublisher::Publish(std::unique_ptr<const dataplane::Snapshot> next) {
  slot_.Exchange(next.get());
  std::unique_ptr<const dataplane::Snapshot> prev = std::move(current_);
  current_ = std::move(next);
  if (prev != nullptr) {
    const uint64_t token = rte_rcu_qsbr_start(qsbr_);
    absl::MutexLock lock(&mu_);
    retired_.push_back(Retired{std::move(prev), token});
  }
}

void SnapshotPublisher::Synchronize() {
  rte_rcu_qsbr_synchronize(qsbr_, RTE_QSBR_THRID_INVALID);
  absl::MutexLock lock(&mu_);
  retired_.clear();
}

void SnapshotPublisher::Reclaim() {
  absl::MutexLock lock(&mu_);
  while (!retired_.empty() && rte_rcu_qsbr_check(qsbr_, retired_.front().token, false) == 1) {
    retired_.pop_front();
  }
}

size_t SnapshotPublisher::retired() const {
  absl::MutexLock lock(&mu_);
  return retired_.size();
}

}  // namespace vswitch::control
