// SPDX-License-Identifier: Apache-2.0
//
// MirrorStage on real mbufs, a real clone pool and real SPSC rings: copies
// are indirect mbufs (payload shared), stamped with MirrorMeta, one per
// destination of every selected session; a failed clone or a full ring is
// counted and never touches the primary.
#include "vswitch/dataplane/mirror_stage.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rte_ring.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "test/testing/frame_builder.h"
#include "test/testing/mbuf_util.h"
#include "test/testing/ring_port.h"
#include "vswitch/dataplane/encap_worker.h"
#include "vswitch/dataplane/mirror_meta.h"
#include "vswitch/dataplane/snapshot.h"

namespace vswitch::dataplane {
namespace {

using ::testing::SizeIs;
using vswitch::testing::MbufBytes;
using vswitch::testing::MbufFromBytes;
using vswitch::testing::TestMac;
using vswitch::testing::UdpFrame;

// Session i has id 100 + i and counter slot kSessionSlots[i]; destination j
// has slot kDestSlots[j]. Slots differ from indexes so a mix-up shows.
constexpr uint16_t kSessionSlots[] = {9, 4};
constexpr uint16_t kDestSlots[] = {20, 7, 13};
constexpr uint32_t kVport = 77;
constexpr uint64_t kTsc = 123456789;

class MirrorStageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_GE(RegisterMirrorMeta(), 0); }

  void SetUp() override {
    pool_ = vswitch::testing::MakeTestPool("ms", 255);
    // vswitchd's copy pool: data room for frames up to kCopyMaxLen.
    clones_ = vswitch::testing::MakeTestPool("ms_cl", 255, RTE_PKTMBUF_HEADROOM + kCopyMaxLen);
    ASSERT_NE(pool_, nullptr);
    ASSERT_NE(clones_, nullptr);
    stats_ = std::make_unique<LcoreStats>();
    // Session 0 -> destinations 0 and 1, truncate 96; session 1 -> destination 2.
    snap_ = std::make_unique<Snapshot>();
    snap_->generation = 1;
    for (int j = 0; j < 3; ++j) {
      DestInfo d;
      d.id = 200 + j;
      d.slot = kDestSlots[j];
      d.rings[0] = NewRing(64);
      d.rings[1] = NewRing(64);
      snap_->dests.push_back(d);
    }
    SessionInfo s0;
    s0.id = 100;
    s0.slot = kSessionSlots[0];
    s0.truncate = 96;
    s0.n_dests = 2;
    s0.dests[0] = 0;
    s0.dests[1] = 1;
    snap_->sessions.push_back(s0);
    SessionInfo s1;
    s1.id = 101;
    s1.slot = kSessionSlots[1];
    s1.n_dests = 1;
    s1.dests[0] = 2;
    snap_->sessions.push_back(s1);
    frame_ = UdpFrame(TestMac(2), TestMac(1), 1000, 2000, 100);  // Copied.
    big_ = UdpFrame(TestMac(2), TestMac(1), 1000, 2000, 600);     // Cloned.
  }

  void TearDown() override {
    for (rte_ring* r : rings_) {
      for (rte_mbuf* m : Drain(r)) {
        rte_pktmbuf_free(m);
      }
      rte_ring_free(r);
    }
    EXPECT_EQ(rte_mempool_in_use_count(pool_.get()), 0u);
    EXPECT_EQ(rte_mempool_in_use_count(clones_.get()), 0u);
  }

  rte_ring* NewRing(unsigned size) {
    const std::string name = "ms_r" + std::to_string(ring_seq_++);
    rte_ring* r = rte_ring_create(name.c_str(), size, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    EXPECT_NE(r, nullptr);
    rings_.push_back(r);
    return r;
  }

  static std::vector<rte_mbuf*> Drain(rte_ring* r) {
    std::vector<rte_mbuf*> out;
    void* obj;
    while (rte_ring_sc_dequeue(r, &obj) == 0) {
      out.push_back(static_cast<rte_mbuf*>(obj));
    }
    return out;
  }

  // Copies waiting in destination j's ring of worker w (dequeued).
  std::vector<rte_mbuf*> Copies(int j, int w = 0) { return Drain(snap_->dests[j].rings[w]); }

  static void FreeAll(const std::vector<rte_mbuf*>& v) { vswitch::testing::FreeAll(v); }

  const MirrorSlotCounters& S(int i) const { return stats_->sessions[kSessionSlots[i]]; }
  const MirrorSlotCounters& D(int j) const { return stats_->dests[kDestSlots[j]]; }

  static int ring_seq_;
  dpdk::MempoolPtr pool_;
  dpdk::MempoolPtr clones_;
  std::unique_ptr<LcoreStats> stats_;
  std::unique_ptr<Snapshot> snap_;
  std::vector<rte_ring*> rings_;
  std::vector<uint8_t> frame_;
  std::vector<uint8_t> big_;
};
int MirrorStageTest::ring_seq_ = 0;

TEST_F(MirrorStageTest, OneCopyPerDestinationOfEachSelectedSession) {
  rte_mbuf* m = MbufFromBytes(pool_.get(), big_);
  ASSERT_NE(m, nullptr);
  MirrorStage stage(0, clones_.get(), stats_.get());
  stage.Stage(*snap_, m, 0b11, kDirFromVm, kVport, kTsc);
  EXPECT_EQ(rte_mbuf_refcnt_read(m), 4) << "primary + three clones";
  for (int j = 0; j < 3; ++j) {
    const auto copies = Copies(j);
    ASSERT_THAT(copies, SizeIs(1)) << "destination " << j;
    EXPECT_EQ(MbufBytes(copies[0]), big_);
    FreeAll(copies);
    EXPECT_THAT(Copies(j, 1), SizeIs(0)) << "worker 1's ring is not this worker's";
  }
  EXPECT_EQ(rte_mbuf_refcnt_read(m), 1);
  rte_pktmbuf_free(m);
}

TEST_F(MirrorStageTest, UnselectedSessionGetsNoCopy) {
  rte_mbuf* m = MbufFromBytes(pool_.get(), frame_);
  ASSERT_NE(m, nullptr);
  MirrorStage stage(0, clones_.get(), stats_.get());
  stage.Stage(*snap_, m, 0b10, kDirToVm, kVport, kTsc);
  EXPECT_THAT(Copies(0), SizeIs(0));
  EXPECT_THAT(Copies(1), SizeIs(0));
  const auto copies = Copies(2);
  EXPECT_THAT(copies, SizeIs(1));
  FreeAll(copies);
  EXPECT_EQ(S(0).matched.Load(), 0u);
  EXPECT_EQ(S(1).matched.Load(), 1u);
  rte_pktmbuf_free(m);
}

TEST_F(MirrorStageTest, NoSessionsMakesNoCopy) {
  rte_mbuf* m = MbufFromBytes(pool_.get(), frame_);
  ASSERT_NE(m, nullptr);
  MirrorStage stage(0, clones_.get(), stats_.get());
  stage.Stage(*snap_, m, 0, kDirFromVm, kVport, kTsc);
  EXPECT_EQ(rte_mbuf_refcnt_read(m), 1);
  EXPECT_EQ(rte_mempool_in_use_count(clones_.get()), 0u);
  rte_pktmbuf_free(m);
}

TEST_F(MirrorStageTest, CopyCarriesMirrorMeta) {
  rte_mbuf* m = MbufFromBytes(pool_.get(), frame_);
  ASSERT_NE(m, nullptr);
  MirrorStage stage(0, clones_.get(), stats_.get());
  stage.Stage(*snap_, m, 0b11, kDirToVm, kVport, kTsc);
  const auto c0 = Copies(1);
  const auto c1 = Copies(2);
  ASSERT_THAT(c0, SizeIs(1));
  ASSERT_THAT(c1, SizeIs(1));
  const MirrorMeta* a = MirrorMetaOf(c0[0]);
  EXPECT_EQ(a->session_id, 100u);
  EXPECT_EQ(a->session_slot, kSessionSlots[0]);
  EXPECT_EQ(a->vport_id, kVport);
  EXPECT_EQ(a->direction, kDirToVm);
  EXPECT_EQ(a->truncate, 96);
  EXPECT_EQ(a->flags, kMetaIsCopy);
  EXPECT_EQ(a->reserved, 0);
  EXPECT_EQ(a->tsc, kTsc);
  const MirrorMeta* b = MirrorMetaOf(c1[0]);
  EXPECT_EQ(b->session_id, 101u);
  EXPECT_EQ(b->session_slot, kSessionSlots[1]);
  EXPECT_EQ(b->truncate, 0);
  EXPECT_EQ(b->flags, kMetaIsCopy);
  FreeAll(c0);
  FreeAll(c1);
  FreeAll(Copies(0));
  rte_pktmbuf_free(m);
}

TEST_F(MirrorStageTest, MetaIsWrittenOnTheCopyOnly) {
  rte_mbuf* m = MbufFromBytes(pool_.get(), frame_);
  ASSERT_NE(m, nullptr);
  MirrorMeta* orig = MirrorMetaOf(m);
  *orig = MirrorMeta{.session_id = 1,
                     .vport_id = 2,
                     .session_slot = 3,
                     .truncate = 4,
                     .direction = 0,
                     .flags = 0,
                     .reserved = 0,
                     .tsc = 5};
  MirrorStage stage(0, clones_.get(), stats_.get());
  stage.Stage(*snap_, m, 0b10, kDirFromVm, kVport, kTsc);
  EXPECT_EQ(orig->session_id, 1u);
  EXPECT_EQ(orig->flags, 0) << "the primary must not be marked as a copy";
  EXPECT_EQ(orig->tsc, 5u);
  const auto copies = Copies(2);
  ASSERT_THAT(copies, SizeIs(1));
  EXPECT_EQ(MirrorMetaOf(copies[0])->flags, kMetaIsCopy);
  FreeAll(copies);
  rte_pktmbuf_free(m);
}

TEST_F(MirrorStageTest, LargeFrameCopySharesThePrimaryPayload) {
  rte_mbuf* m = MbufFromBytes(pool_.get(), big_);
  ASSERT_NE(m, nullptr);
  MirrorStage stage(0, clones_.get(), stats_.get());
  stage.Stage(*snap_, m, 0b10, kDirFromVm, kVport, kTsc);
  const auto copies = Copies(2);
  ASSERT_THAT(copies, SizeIs(1));
  EXPECT_TRUE(RTE_MBUF_CLONED(copies[0])) << "an indirect mbuf, not a deep copy";
  EXPECT_EQ(rte_pktmbuf_mtod(copies[0], uint8_t*), rte_pktmbuf_mtod(m, uint8_t*));
  EXPECT_EQ(copies[0]->pool, clones_.get());
  EXPECT_EQ(rte_mempool_in_use_count(pool_.get()), 1u) << "no payload mbuf was taken";
  FreeAll(copies);
  rte_pktmbuf_free(m);
}

// A frame up to kCopyMaxLen is copied into a direct mbuf of the copy pool,
// with headroom for the outer header; the primary keeps no extra reference
// and what a clone would carry over (port, stripped VLAN, RX flags) is kept.
TEST_F(MirrorStageTest, SmallFrameIsCopiedWithHeadroomForTheOuterHeader) {
  for (const size_t len : {size_t{60}, size_t{kCopyMaxLen}}) {
    std::vector<uint8_t> frame = UdpFrame(TestMac(2), TestMac(1), 1000, 2000, 0);
    frame.resize(len, 0x5a);
    rte_mbuf* m = MbufFromBytes(pool_.get(), frame);
    ASSERT_NE(m, nullptr);
    m->port = 3;
    m->vlan_tci = 42;
    m->ol_flags |= RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
    MirrorStage stage(0, clones_.get(), stats_.get());
    EXPECT_EQ(stage.copy_max(), kCopyMaxLen);
    stage.Stage(*snap_, m, 0b10, kDirFromVm, kVport, kTsc);
    EXPECT_EQ(rte_mbuf_refcnt_read(m), 1) << "a copy holds no reference to the primary";
    const auto copies = Copies(2);
    ASSERT_THAT(copies, SizeIs(1));
    rte_mbuf* c = copies[0];
    EXPECT_TRUE(RTE_MBUF_DIRECT(c)) << len;
    EXPECT_EQ(c->pool, clones_.get());
    EXPECT_NE(rte_pktmbuf_mtod(c, uint8_t*), rte_pktmbuf_mtod(m, uint8_t*));
    EXPECT_EQ(c->nb_segs, 1);
    EXPECT_EQ(MbufBytes(c), frame);
    EXPECT_GE(rte_pktmbuf_headroom(c), 50u);
    EXPECT_TRUE(OwnsHeadroom(c));
    EXPECT_EQ(c->port, 3);
    EXPECT_EQ(c->vlan_tci, 42);
    EXPECT_EQ(c->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED, RTE_MBUF_F_RX_VLAN_STRIPPED);
    EXPECT_EQ(MirrorMetaOf(c)->session_id, 101u);
    // Writing the copy's headroom (as encap does) leaves the primary alone.
    std::memset(rte_pktmbuf_prepend(c, 50), 0xee, 50);
    EXPECT_EQ(MbufBytes(m), frame);
    FreeAll(copies);
    rte_pktmbuf_free(m);
  }
}

TEST_F(MirrorStageTest, FrameOverCopyMaxOrPoolWithoutRoomIsCloned) {
  std::vector<uint8_t> frame = UdpFrame(TestMac(2), TestMac(1), 1000, 2000, 0);
  frame.resize(kCopyMaxLen + 1, 0x5a);
  rte_mbuf* m = MbufFromBytes(pool_.get(), frame);
  ASSERT_NE(m, nullptr);
  {
    MirrorStage stage(0, clones_.get(), stats_.get());
    stage.Stage(*snap_, m, 0b10, kDirFromVm, kVport, kTsc);
    const auto copies = Copies(2);
    ASSERT_THAT(copies, SizeIs(1));
    EXPECT_TRUE(RTE_MBUF_CLONED(copies[0]));
    EXPECT_FALSE(OwnsHeadroom(copies[0]));
    FreeAll(copies);
  }
  // Indirect mbufs only (no data room): even a small frame is cloned.
  auto bare = vswitch::testing::MakeTestPool("ms_bare", 63, 0);
  ASSERT_NE(bare, nullptr);
  rte_mbuf* small = MbufFromBytes(pool_.get(), frame_);
  ASSERT_NE(small, nullptr);
  {
    MirrorStage stage(0, bare.get(), stats_.get());
    EXPECT_EQ(stage.copy_max(), 0);
    stage.Stage(*snap_, small, 0b10, kDirFromVm, kVport, kTsc);
    const auto copies = Copies(2);
    ASSERT_THAT(copies, SizeIs(1));
    EXPECT_TRUE(RTE_MBUF_CLONED(copies[0]));
    EXPECT_EQ(MbufBytes(copies[0]), frame_);
    FreeAll(copies);
  }
  EXPECT_EQ(rte_mempool_in_use_count(bare.get()), 0u);
  rte_pktmbuf_free(small);
  rte_pktmbuf_free(m);
}

// Reserve() takes clone mbufs ahead of the burst; copies made from them
// are the same as rte_pktmbuf_clone's, and the rest goes back to the pool.
TEST_F(MirrorStageTest, StashedClonesAreFullCopiesAndGoBackWhenReleased) {
  rte_mbuf* m = MbufFromBytes(pool_.get(), big_);
  rte_mbuf* small = MbufFromBytes(pool_.get(), frame_);
  ASSERT_NE(m, nullptr);
  ASSERT_NE(small, nullptr);
  {
    MirrorStage stage(0, clones_.get(), stats_.get());
    stage.Reserve();
    const unsigned stashed = rte_mempool_in_use_count(clones_.get());
    EXPECT_GT(stashed, 0u);
    stage.Stage(*snap_, m, 0b11, kDirFromVm, kVport, kTsc);  // 3 copies
    EXPECT_EQ(rte_mempool_in_use_count(clones_.get()), stashed) << "copies came from the stash";
    EXPECT_EQ(rte_mbuf_refcnt_read(m), 4);
    for (int j = 0; j < 3; ++j) {
      const auto copies = Copies(j);
      ASSERT_THAT(copies, SizeIs(1));
      EXPECT_TRUE(RTE_MBUF_CLONED(copies[0]));
      EXPECT_EQ(copies[0]->pool, clones_.get());
      EXPECT_EQ(copies[0]->next, nullptr);
      EXPECT_EQ(copies[0]->nb_segs, 1);
      EXPECT_EQ(MbufBytes(copies[0]), big_);
      EXPECT_EQ(MirrorMetaOf(copies[0])->session_id, j < 2 ? 100u : 101u);
      FreeAll(copies);
    }
    const unsigned before_small = rte_mempool_in_use_count(clones_.get());
    stage.Stage(*snap_, small, 0b10, kDirFromVm, kVport, kTsc);
    EXPECT_EQ(rte_mempool_in_use_count(clones_.get()), before_small) << "a small copy from the stash";
    const auto copied = Copies(2);
    ASSERT_THAT(copied, SizeIs(1));
    EXPECT_TRUE(RTE_MBUF_DIRECT(copied[0]));
    EXPECT_EQ(MbufBytes(copied[0]), frame_);
    FreeAll(copied);
    stage.ReleaseStash();
    EXPECT_EQ(rte_mempool_in_use_count(clones_.get()), 0u);
    stage.Reserve();  // The destructor gives this one back.
  }
  EXPECT_EQ(rte_mempool_in_use_count(clones_.get()), 0u);
  EXPECT_EQ(rte_mbuf_refcnt_read(m), 1);
  rte_pktmbuf_free(small);
  rte_pktmbuf_free(m);
}

TEST_F(MirrorStageTest, ChainedPrimaryGivesChainedCopy) {
  rte_mbuf* m = MbufFromBytes(pool_.get(), frame_);
  rte_mbuf* tail = MbufFromBytes(pool_.get(), std::vector<uint8_t>(50, 0x33));
  ASSERT_NE(m, nullptr);
  ASSERT_NE(tail, nullptr);
  ASSERT_EQ(rte_pktmbuf_chain(m, tail), 0);
  MirrorStage stage(0, clones_.get(), stats_.get());
  stage.Stage(*snap_, m, 0b10, kDirFromVm, kVport, kTsc);
  const auto copies = Copies(2);
  ASSERT_THAT(copies, SizeIs(1));
  EXPECT_EQ(copies[0]->nb_segs, 2);
  EXPECT_EQ(copies[0]->pkt_len, frame_.size() + 50);
  FreeAll(copies);
  rte_pktmbuf_free(m);
}

TEST_F(MirrorStageTest, CountsMatchedAndClonedPerSessionAndDestination) {
  MirrorStage stage(0, clones_.get(), stats_.get());
  for (int i = 0; i < 3; ++i) {
    rte_mbuf* m = MbufFromBytes(pool_.get(), frame_);
    ASSERT_NE(m, nullptr);
    stage.Stage(*snap_, m, 0b11, kDirFromVm, kVport, kTsc);
    rte_pktmbuf_free(m);
  }
  EXPECT_EQ(S(0).matched.Load(), 6u) << "3 packets x 2 destinations";
  EXPECT_EQ(S(0).cloned.Load(), 6u);
  EXPECT_EQ(S(1).matched.Load(), 3u);
  EXPECT_EQ(S(1).cloned.Load(), 3u);
  for (int j = 0; j < 3; ++j) {
    EXPECT_EQ(D(j).matched.Load(), 3u);
    EXPECT_EQ(D(j).cloned.Load(), 3u);
    EXPECT_EQ(D(j).ring_full.Load(), 0u);
    EXPECT_EQ(D(j).clone_failed.Load(), 0u);
  }
}

TEST_F(MirrorStageTest, WorkerEnqueuesToItsOwnRing) {
  rte_mbuf* m = MbufFromBytes(pool_.get(), frame_);
  ASSERT_NE(m, nullptr);
  MirrorStage stage(1, clones_.get(), stats_.get());
  stage.Stage(*snap_, m, 0b10, kDirFromVm, kVport, kTsc);
  EXPECT_THAT(Copies(2, 0), SizeIs(0));
  const auto copies = Copies(2, 1);
  EXPECT_THAT(copies, SizeIs(1));
  FreeAll(copies);
  rte_pktmbuf_free(m);
}

TEST_F(MirrorStageTest, FullRingDropsAndCountsCopies) {
  // A ring of size 4 holds 3. Session 1 -> destination 2 only.
  rte_ring* tiny = NewRing(4);
  snap_->dests[2].rings[0] = tiny;
  rte_mbuf* m = MbufFromBytes(pool_.get(), big_);
  ASSERT_NE(m, nullptr);
  const unsigned clones_before = rte_mempool_in_use_count(clones_.get());
  MirrorStage stage(0, clones_.get(), stats_.get());
  for (int i = 0; i < 5; ++i) {
    stage.Stage(*snap_, m, 0b10, kDirFromVm, kVport, kTsc);
  }
  EXPECT_EQ(rte_ring_count(tiny), 3u);
  EXPECT_EQ(S(1).matched.Load(), 5u);
  EXPECT_EQ(S(1).cloned.Load(), 3u);
  EXPECT_EQ(S(1).ring_full.Load(), 2u);
  EXPECT_EQ(D(2).matched.Load(), 5u);
  EXPECT_EQ(D(2).cloned.Load(), 3u);
  EXPECT_EQ(D(2).ring_full.Load(), 2u);
  EXPECT_EQ(rte_mempool_in_use_count(clones_.get()), clones_before + 3) << "dropped copies freed";
  EXPECT_EQ(rte_mbuf_refcnt_read(m), 4) << "primary + the 3 queued copies";
  FreeAll(Drain(tiny));
  EXPECT_EQ(rte_mempool_in_use_count(clones_.get()), clones_before);
  EXPECT_EQ(rte_mbuf_refcnt_read(m), 1);
  EXPECT_EQ(MbufBytes(m), big_);
  rte_pktmbuf_free(m);
}

// Batch mode (the forwarder's): copies reach the rings only at FlushCopies,
// in order, and what a full ring refuses is freed and counted the same way.
TEST_F(MirrorStageTest, BatchedCopiesWaitForFlushAndFullRingIsCounted) {
  rte_ring* tiny = NewRing(4);
  snap_->dests[2].rings[0] = tiny;
  rte_mbuf* m = MbufFromBytes(pool_.get(), frame_);
  ASSERT_NE(m, nullptr);
  const unsigned clones_before = rte_mempool_in_use_count(clones_.get());
  MirrorStage stage(0, clones_.get(), stats_.get(), /*batch=*/true);
  for (int i = 0; i < 5; ++i) {
    stage.Stage(*snap_, m, 0b10, kDirFromVm, kVport, kTsc + i);
  }
  EXPECT_EQ(rte_ring_count(tiny), 0u) << "nothing enqueued before FlushCopies";
  stage.FlushCopies();
  EXPECT_EQ(S(1).matched.Load(), 5u);
  EXPECT_EQ(S(1).cloned.Load(), 3u);
  EXPECT_EQ(S(1).ring_full.Load(), 2u);
  EXPECT_EQ(D(2).cloned.Load(), 3u);
  EXPECT_EQ(D(2).ring_full.Load(), 2u);
  EXPECT_EQ(rte_mempool_in_use_count(clones_.get()), clones_before + 3) << "dropped copies freed";
  const auto copies = Drain(tiny);
  ASSERT_THAT(copies, SizeIs(3));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(MirrorMetaOf(copies[i])->tsc, kTsc + i) << "copies keep their order";
  }
  FreeAll(copies);
  EXPECT_EQ(rte_mbuf_refcnt_read(m), 1);
  rte_pktmbuf_free(m);
}

// FlushCopies counts per run of the same (session, destination): with two
// sessions interleaved on one destination and the ring taking only the
// first three copies, each session is charged exactly its own outcomes.
TEST_F(MirrorStageTest, BatchedCountsSplitARingRunBetweenSessions) {
  rte_ring* tiny = NewRing(4);  // Holds 3.
  snap_->dests[2].rings[0] = tiny;
  snap_->sessions[0].n_dests = 1;
  snap_->sessions[0].dests[0] = 2;  // Both sessions -> destination 2.
  MirrorStage stage(0, clones_.get(), stats_.get(), /*batch=*/true);
  for (int i = 0; i < 3; ++i) {  // Pending: s0 s1 s0 s1 s0 s1.
    rte_mbuf* m = MbufFromBytes(pool_.get(), frame_);
    ASSERT_NE(m, nullptr);
    stage.Stage(*snap_, m, 0b11, kDirFromVm, kVport, kTsc);
    rte_pktmbuf_free(m);
  }
  stage.FlushCopies();
  EXPECT_EQ(S(0).matched.Load(), 3u);
  EXPECT_EQ(S(0).cloned.Load(), 2u) << "copies 0 and 2";
  EXPECT_EQ(S(0).ring_full.Load(), 1u);
  EXPECT_EQ(S(1).matched.Load(), 3u);
  EXPECT_EQ(S(1).cloned.Load(), 1u) << "copy 1";
  EXPECT_EQ(S(1).ring_full.Load(), 2u);
  EXPECT_EQ(D(2).matched.Load(), 6u);
  EXPECT_EQ(D(2).cloned.Load(), 3u);
  EXPECT_EQ(D(2).ring_full.Load(), 3u);
  const auto queued = Drain(tiny);
  ASSERT_THAT(queued, SizeIs(3));
  EXPECT_EQ(MirrorMetaOf(queued[0])->session_id, 100u);
  EXPECT_EQ(MirrorMetaOf(queued[1])->session_id, 101u);
  EXPECT_EQ(MirrorMetaOf(queued[2])->session_id, 100u);
  FreeAll(queued);
}

TEST_F(MirrorStageTest, FullRingOfOneDestinationDoesNotStopTheOther) {
  rte_ring* tiny = NewRing(4);
  snap_->dests[0].rings[0] = tiny;
  MirrorStage stage(0, clones_.get(), stats_.get());
  for (int i = 0; i < 5; ++i) {
    rte_mbuf* m = MbufFromBytes(pool_.get(), frame_);
    ASSERT_NE(m, nullptr);
    stage.Stage(*snap_, m, 0b01, kDirFromVm, kVport, kTsc);
    rte_pktmbuf_free(m);
  }
  EXPECT_EQ(D(0).ring_full.Load(), 2u);
  EXPECT_EQ(D(1).ring_full.Load(), 0u);
  EXPECT_EQ(D(1).cloned.Load(), 5u);
  EXPECT_EQ(S(0).ring_full.Load(), 2u);
  EXPECT_EQ(S(0).cloned.Load(), 8u);
}

TEST_F(MirrorStageTest, CloneFailureIsCounted) {
  // Session 0 has two destinations; only one clone mbuf is left.
  std::vector<rte_mbuf*> taken;
  while (rte_mempool_avail_count(clones_.get()) > 1) {
    rte_mbuf* t = rte_pktmbuf_alloc(clones_.get());
    ASSERT_NE(t, nullptr);
    taken.push_back(t);
  }
  rte_mbuf* m = MbufFromBytes(pool_.get(), frame_);
  ASSERT_NE(m, nullptr);
  MirrorStage stage(0, clones_.get(), stats_.get());
  stage.Stage(*snap_, m, 0b01, kDirFromVm, kVport, kTsc);
  EXPECT_EQ(S(0).matched.Load(), 2u);
  EXPECT_EQ(S(0).cloned.Load(), 1u);
  EXPECT_EQ(S(0).clone_failed.Load(), 1u);
  EXPECT_EQ(D(0).cloned.Load(), 1u);
  EXPECT_EQ(D(1).clone_failed.Load(), 1u);
  EXPECT_EQ(D(0).clone_failed.Load(), 0u);
  FreeAll(Copies(0));
  EXPECT_THAT(Copies(1), SizeIs(0));
  EXPECT_EQ(rte_mbuf_refcnt_read(m), 1);
  rte_pktmbuf_free(m);
  FreeAll(taken);
}

}  // namespace
}  // namespace vswitch::dataplane
