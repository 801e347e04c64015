// SPDX-License-Identifier: Apache-2.0
//
// The hot-path TAP matcher on real rte_acl contexts built here by hand
// (the control side's compiler has its own test), keys from the real parser.
#include "vswitch/dataplane/tap_filter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rte_acl.h>
#include <rte_ip.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "test/testing/frame_builder.h"
#include "test/testing/mbuf_util.h"
#include "vswitch/dataplane/parser.h"
#include "vswitch/dataplane/snapshot.h"
#include "vswitch/dataplane/tx_batch.h"

namespace vswitch::dataplane {
namespace {

using vswitch::testing::FrameBuilder;
using vswitch::testing::MbufFromBytes;
using vswitch::testing::TestMac;

std::vector<uint8_t> Udp(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport) {
  return FrameBuilder()
      .Eth(TestMac(2), TestMac(1))
      .EtherType(0x0800)
      .Ipv4({.src = src, .dst = dst, .proto = 17})
      .L4Ports(sport, dport)
      .Fill(4, 0)
      .Fill(20, 0)
      .Build();
}

std::vector<uint8_t> Arp() {
  return FrameBuilder()
      .Eth(vswitch::testing::kBroadcast, TestMac(1))
      .EtherType(0x0806)
      .Fill(46, 0)
      .Build();
}

// rte_acl.h, struct rte_acl_field_def: "The loop processes the first input
// byte as part of the setup and then subsequent bytes must be in groups of 4
// consecutive bytes." A field sharing the first input word with the first
// field is never read at classify time and shifts every later byte.
// Both layouts (IPv4, IPv6): the field definitions and the input's size.
struct Layout {
  const char* name;
  std::vector<rte_acl_field_def> defs;
  size_t input_size;
};

std::vector<Layout> Layouts() {
  std::vector<rte_acl_field_def> v4(kNumAclFields);
  GetAclFieldDefs(v4.data());
  std::vector<rte_acl_field_def> v6(kNumAcl6Fields);
  GetAcl6FieldDefs(v6.data());
  return {{"ipv4", v4, sizeof(AclInput)}, {"ipv6", v6, sizeof(AclInput6)}};
}

TEST(AclLayoutTest, FirstInputWordHoldsOnlyTheOneByteFirstField) {
  for (const Layout& l : Layouts()) {
    SCOPED_TRACE(l.name);
    const auto& defs = l.defs;
    EXPECT_EQ(defs[0].size, 1);
    for (size_t f = 1; f < defs.size(); ++f) {
      EXPECT_NE(defs[f].input_index, defs[0].input_index)
          << "field " << f << " shares the first input word with the first field";
      EXPECT_EQ(defs[f].field_index, f);
    }
  }
}

TEST(AclLayoutTest, OtherInputWordsAreFourConsecutiveBytes) {
  for (const Layout& l : Layouts()) {
    SCOPED_TRACE(l.name);
    const auto& defs = l.defs;
    for (size_t f = 1; f < defs.size(); ++f) {
      if (defs[f].input_index == defs[0].input_index) {
        continue;  // Reported by the test above.
      }
      uint32_t lo = defs[f].offset;
      uint32_t hi = defs[f].offset + defs[f].size;
      uint32_t bytes = 0;
      for (size_t g = 1; g < defs.size(); ++g) {
        if (defs[g].input_index == defs[f].input_index) {
          lo = std::min<uint32_t>(lo, defs[g].offset);
          hi = std::max<uint32_t>(hi, defs[g].offset + defs[g].size);
          bytes += defs[g].size;
        }
      }
      EXPECT_EQ(bytes % 4, 0u) << "input word of field " << f;
      EXPECT_EQ(hi - lo, bytes) << "fields of the input word of field " << f
                                << " are not adjacent";
      EXPECT_LE(hi, l.input_size);
    }
  }
}

TEST(FillAclInputTest, Ipv6CopiesAddressesAndPorts) {
  PacketKey k{};
  k.proto = 58;
  k.src_port = rte_cpu_to_be_16(7);
  Ipv6Addrs a;
  for (int i = 0; i < 16; ++i) {
    a.src[i] = static_cast<uint8_t>(i);
    a.dst[i] = static_cast<uint8_t>(0x80 + i);
  }
  AclInput6 in;
  std::memset(&in, 0xee, sizeof(in));
  FillAclInput6(k, a, kAclDirFromVm, &in);
  EXPECT_EQ(in.proto, 58);
  EXPECT_EQ(in.pad[0] | in.pad[1] | in.pad[2], 0);
  EXPECT_EQ(in.meta, rte_cpu_to_be_32(kAclDirFromVm));
  EXPECT_EQ(std::memcmp(in.src, a.src, 16), 0);
  EXPECT_EQ(std::memcmp(in.dst, a.dst, 16), 0);
  EXPECT_EQ(in.src_port, k.src_port);
}

// The direction's encoding is checked by behaviour (DirectionFieldSeparatesTxFromRx).
TEST(FillAclInputTest, CopiesKeyInNetworkOrder) {
  PacketKey k{};
  k.proto = 6;
  k.src_ip = rte_cpu_to_be_32(RTE_IPV4(10, 0, 0, 1));
  k.dst_ip = rte_cpu_to_be_32(RTE_IPV4(10, 0, 0, 2));
  k.src_port = rte_cpu_to_be_16(1234);
  k.dst_port = rte_cpu_to_be_16(80);
  AclInput in;
  std::memset(&in, 0xee, sizeof(in));
  FillAclInput(k, kAclDirToVm, &in);
  EXPECT_EQ(in.proto, 6);
  EXPECT_EQ(in.src_ip, k.src_ip);
  EXPECT_EQ(in.dst_ip, k.dst_ip);
  EXPECT_EQ(in.src_port, k.src_port);
  EXPECT_EQ(in.dst_port, k.dst_port);
}

// Snapshot with three sessions: 0 and 2 without rules, 1 decided by
// category 3 of context 0, which holds hand-made rules.
class MatchTapSessionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = vswitch::testing::MakeTestPool("tf", 127);
    ASSERT_NE(pool_, nullptr);
    snap_ = std::make_unique<Snapshot>();
    snap_->sessions.resize(3);
    snap_->sessions[1].has_rules = true;
    snap_->sessions[1].acl_ctx = 0;
    snap_->sessions[1].acl_category = 3;
    snap_->rules_sessions = 0b010;
    snap_->rx_sessions = 0b111;
  }

  void TearDown() override { EXPECT_EQ(rte_mempool_in_use_count(pool_.get()), 0u); }

  // Any-valued rule for category `cat` with `action`; fields added by caller.
  static AclRule Rule(int cat, uint32_t priority, uint32_t action) {
    AclRule r{};
    r.data.category_mask = 1u << cat;
    r.data.priority = priority;
    r.data.userdata = action;
    r.field[kAclFieldSport].mask_range.u16 = 0xffff;
    r.field[kAclFieldDport].mask_range.u16 = 0xffff;
    return r;
  }

  void Build(const std::vector<AclRule>& rules) {
    const std::string name = "tf_ctx" + std::to_string(seq_++);
    rte_acl_param p{};
    p.name = name.c_str();
    p.socket_id = SOCKET_ID_ANY;
    p.rule_size = RTE_ACL_RULE_SZ(kNumAclFields);
    p.max_rule_num = static_cast<uint32_t>(rules.size());
    rte_acl_ctx* ctx = rte_acl_create(&p);
    ASSERT_NE(ctx, nullptr);
    snap_->acl[snap_->n_acl++] = ctx;  // Freed by ~Snapshot.
    ASSERT_EQ(rte_acl_add_rules(ctx, reinterpret_cast<const rte_acl_rule*>(rules.data()),
                                static_cast<uint32_t>(rules.size())),
              0);
    rte_acl_config cfg{};
    cfg.num_categories = kAclCategories;
    cfg.num_fields = kNumAclFields;
    GetAclFieldDefs(cfg.defs);
    ASSERT_EQ(rte_acl_build(ctx, &cfg), 0);
  }

  // Parses `frames` and matches them; returns {tx, rx} per frame.
  std::vector<std::pair<uint32_t, uint32_t>> Match(const std::vector<std::vector<uint8_t>>& frames,
                                                   uint32_t tx_candidates) {
    std::vector<PacketKey> keys(frames.size());
    std::vector<Ipv6Addrs> addrs(frames.size());
    std::vector<const PacketKey*> ptrs;
    std::vector<const Ipv6Addrs*> addr_ptrs;
    for (size_t i = 0; i < frames.size(); ++i) {
      rte_mbuf* m = MbufFromBytes(pool_.get(), frames[i]);
      EXPECT_NE(m, nullptr);
      ParseKey(m, 0, &keys[i], &addrs[i]);
      rte_pktmbuf_free(m);
      ptrs.push_back(&keys[i]);
      addr_ptrs.push_back(&addrs[i]);
    }
    std::vector<uint32_t> tx(frames.size(), 0xdeadbeef);
    std::vector<uint32_t> rx(frames.size(), 0xdeadbeef);
    MatchTapSessions(*snap_, ptrs.data(), addr_ptrs.data(), static_cast<uint16_t>(frames.size()),
                     tx_candidates, tx.data(), rx.data());
    std::vector<std::pair<uint32_t, uint32_t>> out;
    for (size_t i = 0; i < frames.size(); ++i) {
      out.emplace_back(tx[i], rx[i]);
    }
    return out;
  }

  static int seq_;
  dpdk::MempoolPtr pool_;
  std::unique_ptr<Snapshot> snap_;
};
int MatchTapSessionsTest::seq_ = 0;

constexpr uint32_t kA = RTE_IPV4(10, 0, 0, 1);
constexpr uint32_t kB = RTE_IPV4(10, 0, 0, 2);

TEST_F(MatchTapSessionsTest, SessionsWithoutRulesTakeAllCandidatesWithoutAcl) {
  snap_->rules_sessions = 0;
  snap_->sessions[1].has_rules = false;
  const auto r = Match({Udp(kA, kB, 1, 2), Arp()}, 0b101);
  for (const auto& [tx, rx] : r) {
    EXPECT_EQ(tx, 0b101u);
    EXPECT_EQ(rx, 0b111u);
  }
}

TEST_F(MatchTapSessionsTest, RuledSessionTakesOnlyAcceptedFrames) {
  AclRule r = Rule(3, 10, kAclAccept);
  r.field[kAclFieldProto].value.u8 = 17;
  r.field[kAclFieldProto].mask_range.u8 = 0xff;
  r.field[kAclFieldDport].value.u16 = 53;  // Rules are host order.
  r.field[kAclFieldDport].mask_range.u16 = 53;
  Build({r});
  const auto res = Match({Udp(kA, kB, 1000, 53), Udp(kA, kB, 1000, 54), Arp()}, 0b111);
  EXPECT_EQ(res[0].first, 0b111u);
  EXPECT_EQ(res[0].second, 0b111u);
  EXPECT_EQ(res[1].first, 0b101u);
  EXPECT_EQ(res[1].second, 0b101u);
  EXPECT_EQ(res[2].first, 0b101u) << "non-IP frames do not match a protocol rule";
  EXPECT_EQ(res[2].second, 0b101u);
}

TEST_F(MatchTapSessionsTest, RejectResultGivesNoCopy) {
  AclRule accept = Rule(3, 10, kAclAccept);
  AclRule reject = Rule(3, 20, kAclReject);  // Higher rte_acl priority wins.
  reject.field[kAclFieldDst].value.u32 = kB;
  reject.field[kAclFieldDst].mask_range.u32 = 32;
  Build({accept, reject});
  const auto res = Match({Udp(kA, kB, 1, 2), Udp(kB, kA, 1, 2)}, 0b111);
  EXPECT_EQ(res[0].first, 0b101u);
  EXPECT_EQ(res[1].first, 0b111u);
}

TEST_F(MatchTapSessionsTest, DirectionFieldSeparatesTxFromRx) {
  AclRule r = Rule(3, 10, kAclAccept);
  r.field[kAclFieldMeta].value.u32 = kAclDirToVm;
  r.field[kAclFieldMeta].mask_range.u32 = 0xff;
  Build({r});
  const auto res = Match({Udp(kA, kB, 1, 2)}, 0b111);
  EXPECT_EQ(res[0].first, 0b101u) << "TX input carries kAclDirFromVm";
  EXPECT_EQ(res[0].second, 0b111u);
}

TEST_F(MatchTapSessionsTest, CandidatesLimitTheResult) {
  Build({Rule(3, 10, kAclAccept)});
  snap_->rx_sessions = 0b001;
  const auto res = Match({Udp(kA, kB, 1, 2)}, 0b100);
  EXPECT_EQ(res[0].first, 0b100u) << "session 1 accepted by its rule but not a TX candidate";
  EXPECT_EQ(res[0].second, 0b001u) << "session 1 taps no RX";
}

TEST_F(MatchTapSessionsTest, FullBurstIsMatchedPerFrame) {
  AclRule r = Rule(3, 10, kAclAccept);
  r.field[kAclFieldProto].value.u8 = 17;
  r.field[kAclFieldProto].mask_range.u8 = 0xff;
  r.field[kAclFieldSport].value.u16 = 100;
  r.field[kAclFieldSport].mask_range.u16 = 115;
  Build({r});
  std::vector<std::vector<uint8_t>> frames;
  for (uint16_t i = 0; i < kMaxBurst; ++i) {
    frames.push_back(Udp(kA, kB, static_cast<uint16_t>(100 + i), 7));
  }
  const auto res = Match(frames, 0b010);
  for (uint16_t i = 0; i < kMaxBurst; ++i) {
    EXPECT_EQ(res[i].first, i < 16 ? 0b010u : 0u) << "frame " << i;
  }
}

}  // namespace
}  // namespace vswitch::dataplane
