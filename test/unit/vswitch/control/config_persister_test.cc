// SPDX-License-Identifier: Apache-2.0
// Group commit: changes committed while a write is in flight share the next
// write; a waiter returns only after a write holding its change completed;
// a failed write rolls back and fails every change it undid. The file is a
// fake sink here (what was written, in order); the store is a counter.
#include "vswitch/control/config_persister.h"

#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "lib/status/testing/matchers.h"

namespace vswitch::control {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::vswitch::testing::IsOk;
using ::vswitch::testing::StatusIs;

// Change n adds VNet "c<n>"; a written config is recorded by its VNet count.
class FakeStore {
 public:
  uint64_t Commit() {
    absl::MutexLock lock(&mu_);
    ++seq_;
    config_.add_vnets()->set_name(absl::StrCat("c", seq_));
    return seq_;
  }
  std::pair<uint64_t, v1::Config> Latest() {
    absl::MutexLock lock(&mu_);
    return {seq_, config_};
  }
  uint64_t RollBack(const v1::Config& durable) {
    absl::MutexLock lock(&mu_);
    config_ = durable;
    rolled_back_to_.push_back(durable.vnets_size());
    return seq_;
  }
  std::vector<int> rolled_back_to() {
    absl::MutexLock lock(&mu_);
    return rolled_back_to_;
  }
  int vnets() {
    absl::MutexLock lock(&mu_);
    return config_.vnets_size();
  }

 private:
  absl::Mutex mu_;
  uint64_t seq_ = 0;
  v1::Config config_;
  std::vector<int> rolled_back_to_;
};

// The file: records each write; the first write can be held until released;
// writes fail while `fail` is set.
class FakeSink {
 public:
  // The persister never runs two writes at once.
  absl::Status Write(const v1::Config& c) {
    if (hold_first_ && !holding_.HasBeenNotified()) {
      holding_.Notify();
      release_.WaitForNotification();
    }
    absl::MutexLock lock(&mu_);
    if (fail_) {
      return absl::UnavailableError("cannot write config file /x: disk full");
    }
    written_.push_back(c.vnets_size());
    return absl::OkStatus();
  }
  void HoldFirstWrite() { hold_first_ = true; }
  void WaitHolding() { holding_.WaitForNotification(); }
  void Release() { release_.Notify(); }
  void SetFail(bool fail) {
    absl::MutexLock lock(&mu_);
    fail_ = fail;
  }
  std::vector<int> written() {
    absl::MutexLock lock(&mu_);
    return written_;
  }

 private:
  absl::Mutex mu_;
  bool hold_first_ = false;
  bool fail_ ABSL_GUARDED_BY(mu_) = false;
  absl::Notification holding_, release_;
  std::vector<int> written_ ABSL_GUARDED_BY(mu_);
};

class ConfigPersisterTest : public ::testing::Test {
 protected:
  ConfigPersisterTest()
      : persister_(ConfigPersister::Hooks{
            .latest = [this] { return store_.Latest(); },
            .write = [this](const v1::Config& c) { return sink_.Write(c); },
            .roll_back = [this](const v1::Config& d) { return store_.RollBack(d); },
        }) {}

  // Commits one change and waits for it on its own thread.
  std::thread CommitAndWait(absl::Status* out) {
    const uint64_t seq = store_.Commit();
    return std::thread([this, seq, out] { *out = persister_.WaitDurable(seq); });
  }

  FakeStore store_;
  FakeSink sink_;
  ConfigPersister persister_;
};

TEST_F(ConfigPersisterTest, ChangesCommittedDuringAWriteShareTheNextWrite) {
  sink_.HoldFirstWrite();
  absl::Status first;
  std::thread writer = CommitAndWait(&first);
  sink_.WaitHolding();  // Change 1 is being written.
  std::vector<absl::Status> rest(5);
  std::vector<std::thread> waiters;
  for (absl::Status& st : rest) {
    waiters.push_back(CommitAndWait(&st));
  }
  sink_.Release();
  writer.join();
  for (std::thread& t : waiters) {
    t.join();
  }
  EXPECT_THAT(first, IsOk());
  for (const absl::Status& st : rest) {
    EXPECT_THAT(st, IsOk());
  }
  // One write for change 1, one for changes 2..6 together.
  EXPECT_THAT(sink_.written(), ElementsAre(1, 6));
  const ConfigPersister::Counters c = persister_.counters();
  EXPECT_EQ(c.writes, 2u);
  EXPECT_EQ(c.changes, 6u);
  EXPECT_EQ(c.failed_writes, 0u);
}

TEST_F(ConfigPersisterTest, WaiterReturnsOnlyAfterItsWriteCompleted) {
  sink_.HoldFirstWrite();
  absl::Notification done;
  const uint64_t seq = store_.Commit();
  std::thread t([&] {
    EXPECT_THAT(persister_.WaitDurable(seq), IsOk());
    done.Notify();
  });
  sink_.WaitHolding();
  EXPECT_FALSE(done.WaitForNotificationWithTimeout(absl::Milliseconds(100)));
  EXPECT_TRUE(sink_.written().empty());
  sink_.Release();
  t.join();
  EXPECT_THAT(sink_.written(), ElementsAre(1));
}

TEST_F(ConfigPersisterTest, DecidedChangeReturnsWithoutWriting) {
  persister_.SetDurable(3, v1::Config());
  EXPECT_THAT(persister_.WaitDurable(2), IsOk());
  EXPECT_THAT(persister_.WaitDurable(3), IsOk());
  EXPECT_TRUE(sink_.written().empty());
}

TEST_F(ConfigPersisterTest, FailedWriteRollsBackEveryChangeItHeld) {
  absl::Status st;
  CommitAndWait(&st).join();
  ASSERT_THAT(st, IsOk());
  sink_.SetFail(true);
  absl::Status a, b;
  const uint64_t seq_a = store_.Commit();
  const uint64_t seq_b = store_.Commit();
  std::thread ta([&] { a = persister_.WaitDurable(seq_a); });
  std::thread tb([&] { b = persister_.WaitDurable(seq_b); });
  ta.join();
  tb.join();
  EXPECT_THAT(a, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("/x")));
  EXPECT_THAT(b, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("/x")));
  // Back to what the file holds: change 1 only, in one roll back.
  EXPECT_THAT(store_.rolled_back_to(), ElementsAre(1));
  EXPECT_EQ(store_.vnets(), 1);
  EXPECT_EQ(persister_.counters().failed_writes, 1u);

  // The next change is written (on top of the durable state) and succeeds.
  sink_.SetFail(false);
  CommitAndWait(&st).join();
  EXPECT_THAT(st, IsOk());
  EXPECT_THAT(sink_.written(), ElementsAre(1, 2));
}

}  // namespace
}  // namespace vswitch::control
