// SPDX-License-Identifier: Apache-2.0
#include "vswitch/control/config_persister.h"

#include <algorithm>

#include <glog/logging.h>

namespace vswitch::control {
namespace {

// Failed writes remembered for waiters that have not looked yet.
constexpr size_t kMaxFailures = 1024;

}  // namespace

void ConfigPersister::SetDurable(uint64_t seq, v1::Config config) {
  absl::MutexLock lock(&mu_);
  CHECK(!writing_);
  decided_seq_ = seq;
  durable_config_ = std::move(config);
}

absl::Status ConfigPersister::Outcome(uint64_t seq) const {
  for (const Failure& f : failures_) {
    if (seq >= f.first && seq <= f.last) {
      return f.status;
    }
  }
  return absl::OkStatus();
}

absl::Status ConfigPersister::WaitDurable(uint64_t seq) {
  absl::MutexLock lock(&mu_);
  while (true) {
    auto decided_or_idle = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return seq <= decided_seq_ || !writing_;
    };
    mu_.Await(absl::Condition(&decided_or_idle));
    if (seq <= decided_seq_) {
      return Outcome(seq);
    }
    // Nobody is writing: this caller writes everything committed so far.
    writing_ = true;
    mu_.Unlock();
    auto [latest_seq, config] = hooks_.latest();
    absl::Status st = hooks_.write(config);
    uint64_t undone = 0;
    if (!st.ok()) {
      LOG(WARNING) << "changes refused (rolled back to the last written configuration): " << st;
      undone = hooks_.roll_back(durable_config_);
    } else {
      durable_config_ = std::move(config);
    }
    mu_.Lock();
    writing_ = false;
    if (st.ok()) {
      ++counters_.writes;
      counters_.changes += latest_seq - decided_seq_;
      decided_seq_ = latest_seq;
    } else {
      ++counters_.failed_writes;
      const uint64_t last = std::max(undone, latest_seq);
      failures_.push_back({.first = decided_seq_ + 1, .last = last, .status = st});
      if (failures_.size() > kMaxFailures) {
        failures_.pop_front();
      }
      decided_seq_ = last;
    }
  }
}

ConfigPersister::Counters ConfigPersister::counters() const {
  absl::MutexLock lock(&mu_);
  return counters_;
}

}  // namespace vswitch::control
