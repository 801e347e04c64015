// SPDX-License-Identifier: Apache-2.0
//
// Makes committed configuration changes durable by group commit. ConfigStore
// numbers every change it commits (1, 2, 3, ...) and, after releasing its
// lock, calls WaitDurable(n): the first caller finding no write in flight
// writes the newest committed configuration (which holds its own change and
// every earlier one) while the others wait; changes committed during that
// write ride in the next one. So one fsync covers many changes, and no lock
// of the store is held while the disk works.
// If a write fails, the store's roll-back hook re-applies the last durable
// configuration, and every change it undid gets the write's error.
// Thread: any. Lifetime: the store's.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <utility>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "vswitch/api/vswitch.pb.h"

namespace vswitch::control {

class ConfigPersister {
 public:
  struct Hooks {
    // The newest committed configuration and its change number. Called with
    // no lock of the persister held.
    std::function<std::pair<uint64_t, v1::Config>()> latest;
    // Writes `config` durably (WriteConfigFileAtomically in the daemon).
    std::function<absl::Status(const v1::Config&)> write;
    // After a failed write: makes `durable` (the last written configuration)
    // the running one again and returns the newest change number it undid.
    std::function<uint64_t(const v1::Config& durable)> roll_back;
  };
  struct Counters {
    uint64_t writes = 0;  // Successful writes.
    uint64_t changes = 0;  // Changes those writes made durable.
    uint64_t failed_writes = 0;
  };

  explicit ConfigPersister(Hooks hooks) : hooks_(std::move(hooks)) {}

  // Startup (before any change is committed): the file holds `config`, which
  // is change number `seq`.
  void SetDurable(uint64_t seq, v1::Config config);

  // Returns once change `seq` is in a write that completed: OK, or the
  // failed write's error (Unavailable naming the path) after the change was
  // rolled back. The caller holds no lock the hooks take.
  absl::Status WaitDurable(uint64_t seq);

  Counters counters() const;

 private:
  struct Failure {
    uint64_t first;  // Changes first..last were undone with `status`.
    uint64_t last;
    absl::Status status;
  };
  // The outcome of a decided change.
  absl::Status Outcome(uint64_t seq) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Hooks hooks_;
  mutable absl::Mutex mu_;
  // Every change up to here is durable or was undone.
  uint64_t decided_seq_ ABSL_GUARDED_BY(mu_) = 0;
  // A caller is writing; only it touches durable_config_.
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  v1::Config durable_config_;
  // Recent failed writes (failures are rare; a waiter looks its range up).
  std::deque<Failure> failures_ ABSL_GUARDED_BY(mu_);
  Counters counters_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vswitch::control
