// SPDX-License-Identifier: Apache-2.0
//
// SnapshotPublisher with a real rte_rcu_qsbr and a real reader thread that
// registers as QSBR thread 0, the way a forwarding lcore does.
#include "vswitch/control/snapshot_publisher.h"

#include <gtest/gtest.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_pause.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "lib/status/testing/matchers.h"

namespace vswitch::control {
namespace {

using vswitch::testing::IsOk;

// A snapshot owning an rte_hash named `name`: the hash exists exactly as
// long as the snapshot, so rte_hash_find_existing tells whether it was freed.
std::unique_ptr<const dataplane::Snapshot> NamedSnapshot(uint64_t generation,
                                                         const std::string& name) {
  auto s = std::make_unique<dataplane::Snapshot>();
  s->generation = generation;
  rte_hash_parameters p{};
  p.name = name.c_str();
  p.entries = 64;
  p.key_len = sizeof(dataplane::FdbKey);
  p.hash_func = rte_hash_crc;
  p.socket_id = SOCKET_ID_ANY;
  s->fdb = rte_hash_create(&p);
  EXPECT_NE(s->fdb, nullptr) << name;
  return s;
}

bool HashExists(const std::string& name) { return rte_hash_find_existing(name.c_str()) != nullptr; }

std::string UniqueName(const char* tag) {
  static std::atomic<int> seq{0};
  return std::string("pub_") + tag + "_" + std::to_string(seq++);
}

// Reader controlled step by step by the test: it reports a quiescent state
// only when asked, so the test decides when the grace period may end.
class SteppedReader {
 public:
  explicit SteppedReader(rte_rcu_qsbr* qsbr, const dataplane::SnapshotSlot* slot)
      : qsbr_(qsbr), slot_(slot), thread_([this] { Run(); }) {
    while (!online_.load()) {
      rte_pause();
    }
  }
  ~SteppedReader() {
    stop_.store(true);
    thread_.join();
  }

  // Blocks until the reader has loaded the current snapshot and reported
  // one quiescent state after that.
  void PassQuiescentState() {
    const uint64_t want = requested_.fetch_add(1) + 1;
    while (done_.load() < want) {
      rte_pause();
    }
  }

  uint64_t last_generation() const { return last_generation_.load(); }

 private:
  void Run() {
    rte_rcu_qsbr_thread_register(qsbr_, 0);
    rte_rcu_qsbr_thread_online(qsbr_, 0);
    online_.store(true);
    uint64_t done = 0;
    while (!stop_.load()) {
      if (requested_.load() > done) {
        const dataplane::Snapshot* s = slot_->Current();
        last_generation_.store(s != nullptr ? s->generation : 0);
        rte_rcu_qsbr_quiescent(qsbr_, 0);
        done_.store(++done);
      } else {
        rte_pause();
      }
    }
    rte_rcu_qsbr_thread_offline(qsbr_, 0);
    rte_rcu_qsbr_thread_unregister(qsbr_, 0);
  }

  rte_rcu_qsbr* qsbr_;
  const dataplane::SnapshotSlot* slot_;
  std::atomic<bool> online_{false};
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> requested_{0};
  std::atomic<uint64_t> done_{0};
  std::atomic<uint64_t> last_generation_{0};
  std::thread thread_;
};

// Reader that loops like a forwarding lcore: load, use, report quiescence.
class LoopingReader {
 public:
  explicit LoopingReader(rte_rcu_qsbr* qsbr, const dataplane::SnapshotSlot* slot)
      : qsbr_(qsbr), slot_(slot), thread_([this] { Run(); }) {}
  ~LoopingReader() {
    stop_.store(true);
    thread_.join();
  }
  uint64_t max_generation_seen() const { return max_seen_.load(); }

 private:
  void Run() {
    rte_rcu_qsbr_thread_register(qsbr_, 0);
    rte_rcu_qsbr_thread_online(qsbr_, 0);
    while (!stop_.load(std::memory_order_relaxed)) {
      const dataplane::Snapshot* s = slot_->Current();
      if (s != nullptr && s->generation > max_seen_.load()) {
        max_seen_.store(s->generation);  // Touches the snapshot, like a worker.
      }
      rte_rcu_qsbr_quiescent(qsbr_, 0);
    }
    rte_rcu_qsbr_thread_offline(qsbr_, 0);
    rte_rcu_qsbr_thread_unregister(qsbr_, 0);
  }

  rte_rcu_qsbr* qsbr_;
  const dataplane::SnapshotSlot* slot_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> max_seen_{0};
  std::thread thread_;
};

class SnapshotPublisherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto p = SnapshotPublisher::Create(1);
    ASSERT_THAT(p, IsOk());
    publisher_ = std::move(*p);
  }
  std::unique_ptr<SnapshotPublisher> publisher_;
};

TEST_F(SnapshotPublisherTest, CurrentIsNullBeforeFirstPublish) {
  EXPECT_EQ(publisher_->slot().Current(), nullptr);
  EXPECT_EQ(publisher_->retired(), 0u);
}

TEST_F(SnapshotPublisherTest, PublishMakesSnapshotCurrent) {
  auto s = NamedSnapshot(1, UniqueName("cur"));
  const dataplane::Snapshot* raw = s.get();
  publisher_->Publish(std::move(s));
  EXPECT_EQ(publisher_->slot().Current(), raw);
}

TEST_F(SnapshotPublisherTest, FirstPublishRetiresNothing) {
  publisher_->Publish(NamedSnapshot(1, UniqueName("first")));
  EXPECT_EQ(publisher_->retired(), 0u);
}

TEST_F(SnapshotPublisherTest, PublishRetiresPreviousSnapshot) {
  const std::string old_name = UniqueName("old");
  publisher_->Publish(NamedSnapshot(1, old_name));
  publisher_->Publish(NamedSnapshot(2, UniqueName("new")));
  EXPECT_EQ(publisher_->slot().Current()->generation, 2u);
  EXPECT_EQ(publisher_->retired(), 1u);
  EXPECT_TRUE(HashExists(old_name));
}

TEST_F(SnapshotPublisherTest, ReclaimKeepsSnapshotsUntilReaderPassesQuiescentState) {
  SteppedReader reader(publisher_->qsbr(), &publisher_->slot());
  const std::string g1 = UniqueName("g1");
  const std::string g2 = UniqueName("g2");
  publisher_->Publish(NamedSnapshot(1, g1));
  publisher_->Publish(NamedSnapshot(2, g2));
  publisher_->Publish(NamedSnapshot(3, UniqueName("g3")));
  ASSERT_EQ(publisher_->retired(), 2u);

  // The reader has not reported since the publishes: it may still hold 1 or 2.
  publisher_->Reclaim();
  EXPECT_EQ(publisher_->retired(), 2u);
  EXPECT_TRUE(HashExists(g1));
  EXPECT_TRUE(HashExists(g2));

  reader.PassQuiescentState();
  EXPECT_EQ(reader.last_generation(), 3u);
  publisher_->Reclaim();
  EXPECT_EQ(publisher_->retired(), 0u);
  EXPECT_FALSE(HashExists(g1));
  EXPECT_FALSE(HashExists(g2));
}

TEST_F(SnapshotPublisherTest, ReclaimFreesOnlySnapshotsRetiredBeforeQuiescentState) {
  SteppedReader reader(publisher_->qsbr(), &publisher_->slot());
  const std::string g1 = UniqueName("g1");
  const std::string g2 = UniqueName("g2");
  publisher_->Publish(NamedSnapshot(1, g1));
  publisher_->Publish(NamedSnapshot(2, g2));  // Retires 1.
  reader.PassQuiescentState();
  publisher_->Publish(NamedSnapshot(3, UniqueName("g3")));  // Retires 2 after it.

  publisher_->Reclaim();
  EXPECT_EQ(publisher_->retired(), 1u);
  EXPECT_FALSE(HashExists(g1));
  EXPECT_TRUE(HashExists(g2));
}

TEST_F(SnapshotPublisherTest, SynchronizeWithLoopingReaderReturnsAndEmptiesRetired) {
  LoopingReader reader(publisher_->qsbr(), &publisher_->slot());
  std::string names[5];
  for (uint64_t g = 1; g <= 5; ++g) {
    names[g - 1] = UniqueName("sync");
    publisher_->Publish(NamedSnapshot(g, names[g - 1]));
  }
  ASSERT_EQ(publisher_->retired(), 4u);
  publisher_->Synchronize();
  EXPECT_EQ(publisher_->retired(), 0u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_FALSE(HashExists(names[i])) << names[i];
  }
  EXPECT_TRUE(HashExists(names[4])) << "the current snapshot must stay";
}

TEST_F(SnapshotPublisherTest, ReclaimWithLoopingReaderEventuallyFreesEverything) {
  LoopingReader reader(publisher_->qsbr(), &publisher_->slot());
  for (uint64_t g = 1; g <= 8; ++g) {
    publisher_->Publish(NamedSnapshot(g, UniqueName("loop")));
    publisher_->Reclaim();
  }
  // A wait with a generous bound, not a timing assertion: the reader passes
  // a quiescent state on every iteration of its loop.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (publisher_->retired() > 0 && std::chrono::steady_clock::now() < deadline) {
    publisher_->Reclaim();
    std::this_thread::yield();
  }
  EXPECT_EQ(publisher_->retired(), 0u);
  while (reader.max_generation_seen() < 8 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_EQ(reader.max_generation_seen(), 8u);
}

TEST_F(SnapshotPublisherTest, SynchronizeDoesNotBlockOnOfflineReader) {
  rte_rcu_qsbr* qsbr = publisher_->qsbr();
  ASSERT_EQ(rte_rcu_qsbr_thread_register(qsbr, 0), 0);
  rte_rcu_qsbr_thread_online(qsbr, 0);
  rte_rcu_qsbr_thread_offline(qsbr, 0);  // Like a worker going to sleep.
  publisher_->Publish(NamedSnapshot(1, UniqueName("off")));
  publisher_->Publish(NamedSnapshot(2, UniqueName("off")));
  publisher_->Synchronize();  // Would hang forever if it waited for thread 0.
  EXPECT_EQ(publisher_->retired(), 0u);
  rte_rcu_qsbr_thread_unregister(qsbr, 0);
}

TEST_F(SnapshotPublisherTest, ReclaimWithOfflineReaderFreesRetired) {
  rte_rcu_qsbr* qsbr = publisher_->qsbr();
  ASSERT_EQ(rte_rcu_qsbr_thread_register(qsbr, 0), 0);
  publisher_->Publish(NamedSnapshot(1, UniqueName("off")));
  publisher_->Publish(NamedSnapshot(2, UniqueName("off")));
  publisher_->Reclaim();
  EXPECT_EQ(publisher_->retired(), 0u);
  rte_rcu_qsbr_thread_unregister(qsbr, 0);
}

TEST_F(SnapshotPublisherTest, DestructorFreesCurrentAndRetired) {
  const std::string a = UniqueName("dtor");
  const std::string b = UniqueName("dtor");
  publisher_->Publish(NamedSnapshot(1, a));
  publisher_->Publish(NamedSnapshot(2, b));
  publisher_.reset();
  EXPECT_FALSE(HashExists(a));
  EXPECT_FALSE(HashExists(b));
}

}  // namespace
}  // namespace vswitch::control
