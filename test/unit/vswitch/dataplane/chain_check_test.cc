// SPDX-License-Identifier: Apache-2.0
//
// ChainConsistent on real mbuf chains: true exactly when nb_segs segments
// follow one another inside their buffers and add up to pkt_len. The
// chain net_pcap builds from an 80,116-byte record is inconsistent.
#include "vswitch/dataplane/chain_check.h"

#include <gtest/gtest.h>

#include <vector>

#include "test/testing/mbuf_util.h"

namespace vswitch::dataplane {
namespace {

class ChainCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = vswitch::testing::MakeTestPool("cc", 511);
    ASSERT_NE(pool_, nullptr);
  }
  void TearDown() override { EXPECT_EQ(rte_mempool_in_use_count(pool_.get()), 0u); }

  rte_mbuf* Chain(const std::vector<size_t>& cuts) {
    size_t n = 0;
    for (size_t c : cuts) {
      n += c;
    }
    return vswitch::testing::MbufChain(pool_.get(), std::vector<uint8_t>(n, 0x5a), cuts);
  }

  dpdk::MempoolPtr pool_;
};

TEST_F(ChainCheckTest, ConsistentChainsPass) {
  for (const auto& cuts : std::vector<std::vector<size_t>>{
           {0}, {60}, {2048}, {1, 1}, {2048, 0, 7}, {2048, 2048, 2048, 2048, 2048, 2048, 2048, 244}}) {
    rte_mbuf* m = Chain(cuts);
    ASSERT_NE(m, nullptr);
    EXPECT_TRUE(ChainConsistent(m)) << cuts.size() << " segments";
    rte_pktmbuf_free(m);
  }
}

TEST_F(ChainCheckTest, NetPcapChainOfAnOversizedRecordFails) {
  rte_mbuf* m = Chain({2048, 2048, 2048, 2048, 2048, 2048, 2048, 244});
  ASSERT_NE(m, nullptr);
  m->pkt_len = 80116;  // 14,580 held: 80,116 mod 65,536.
  EXPECT_FALSE(ChainConsistent(m));
  rte_pktmbuf_free(m);
}

TEST_F(ChainCheckTest, PktLenShortOfTheSegmentsFails) {
  rte_mbuf* m = Chain({1000, 1000});
  ASSERT_NE(m, nullptr);
  m->pkt_len = 1999;
  EXPECT_FALSE(ChainConsistent(m));
  rte_pktmbuf_free(m);
}

TEST_F(ChainCheckTest, NbSegsDisagreeingWithTheChainFails) {
  rte_mbuf* m = Chain({100, 100, 100});
  ASSERT_NE(m, nullptr);
  m->nb_segs = 2;  // The walk stops after 2: a cycle would end the same way.
  EXPECT_FALSE(ChainConsistent(m));
  m->nb_segs = 4;
  EXPECT_FALSE(ChainConsistent(m));
  m->nb_segs = 3;
  EXPECT_TRUE(ChainConsistent(m));
  rte_pktmbuf_free(m);
}

TEST_F(ChainCheckTest, CycleEndsTheWalk) {
  rte_mbuf* m = Chain({100, 100});
  ASSERT_NE(m, nullptr);
  m->next->next = m;  // A loop: the walk must stop after nb_segs.
  EXPECT_FALSE(ChainConsistent(m));
  m->next->next = nullptr;
  rte_pktmbuf_free(m);
}

TEST_F(ChainCheckTest, BadChainLetsWellFormedSingleSegmentsAndChainsThrough) {
  rte_mbuf* one = Chain({60});
  rte_mbuf* chain = Chain({2048, 100});
  ASSERT_NE(one, nullptr);
  ASSERT_NE(chain, nullptr);
  EXPECT_FALSE(BadChain(one));
  EXPECT_FALSE(BadChain(chain));
  chain->pkt_len = 80000;
  EXPECT_TRUE(BadChain(chain));
  rte_pktmbuf_free(one);
  rte_pktmbuf_free(chain);
}

// One segment whose pkt_len says more than it holds: rte_pktmbuf_copy
// would step to a next segment that does not exist.
TEST_F(ChainCheckTest, SingleSegmentWithPktLenBeyondItsDataIsBad) {
  rte_mbuf* m = Chain({60});
  ASSERT_NE(m, nullptr);
  m->pkt_len = 61;
  EXPECT_TRUE(BadChain(m));
  m->pkt_len = 59;
  EXPECT_TRUE(BadChain(m));
  m->pkt_len = 60;
  m->nb_segs = 2;
  EXPECT_TRUE(BadChain(m));
  m->nb_segs = 1;
  rte_pktmbuf_free(m);
}

TEST_F(ChainCheckTest, SegmentPastItsBufferFails) {
  rte_mbuf* m = Chain({100, 100});
  ASSERT_NE(m, nullptr);
  m->next->data_len = static_cast<uint16_t>(m->next->buf_len);  // Past buf_len from data_off.
  m->pkt_len = 100u + m->next->buf_len;
  EXPECT_FALSE(ChainConsistent(m));
  rte_pktmbuf_free(m);
}

}  // namespace
}  // namespace vswitch::dataplane
