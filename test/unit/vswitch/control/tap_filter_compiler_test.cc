// SPDX-License-Identifier: Apache-2.0
//
// CompileTapFilters end to end: API rules -> real rte_acl contexts ->
// dataplane::MatchTapSessions on keys the real parser takes from frames.
#include "vswitch/control/tap_filter_compiler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rte_acl.h>
#include <rte_ip.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "lib/net/ipv6.h"
#include "lib/status/testing/matchers.h"
#include "test/testing/frame_builder.h"
#include "test/testing/mbuf_util.h"
#include "vswitch/dataplane/parser.h"
#include "vswitch/dataplane/snapshot.h"
#include "vswitch/dataplane/tap_filter.h"

namespace vswitch::control {
namespace {

using ::testing::ElementsAre;
using ::testing::SizeIs;
using vswitch::testing::FrameBuilder;
using vswitch::testing::IsOk;
using vswitch::testing::TestIpv6;
using vswitch::testing::TestMac;

// ------------------------------------------------------------ frames

std::vector<uint8_t> L4Frame(uint8_t proto, uint32_t src, uint32_t dst, uint16_t sport,
                             uint16_t dport) {
  return FrameBuilder()
      .Eth(TestMac(2), TestMac(1))
      .EtherType(0x0800)
      .Ipv4({.src = src, .dst = dst, .proto = proto})
      .L4Ports(sport, dport)
      .Fill(16, 0)
      .Build();
}
std::vector<uint8_t> Udp(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport) {
  return L4Frame(17, src, dst, sport, dport);
}
std::vector<uint8_t> Tcp(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport) {
  return L4Frame(6, src, dst, sport, dport);
}
std::vector<uint8_t> Icmp(uint32_t src, uint32_t dst) {
  return FrameBuilder()
      .Eth(TestMac(2), TestMac(1))
      .EtherType(0x0800)
      .Ipv4({.src = src, .dst = dst, .proto = 1})
      .Fill(8, 0)
      .Build();
}
std::vector<uint8_t> Arp() {
  return FrameBuilder()
      .Eth(vswitch::testing::kBroadcast, TestMac(1))
      .EtherType(0x0806)
      .Fill(46, 0)
      .Build();
}

// IPv6: 2001:db8::<n> (TestIpv6), `proto` after an optional extension chain.
std::vector<uint8_t> L4Frame6(uint8_t proto, uint16_t src, uint16_t dst, uint16_t sport,
                              uint16_t dport, bool ext_chain = false) {
  FrameBuilder b;
  b.Eth(TestMac(2), TestMac(1)).EtherType(0x86dd);
  if (ext_chain) {
    b.Ipv6({.src = TestIpv6(src), .dst = TestIpv6(dst), .next_header = 0})
        .Ipv6Options(44)
        .Ipv6Fragment(60, 0)
        .Ipv6Options(proto);
  } else {
    b.Ipv6({.src = TestIpv6(src), .dst = TestIpv6(dst), .next_header = proto});
  }
  return b.L4Ports(sport, dport).Fill(16, 0).Build();
}
std::vector<uint8_t> Udp6(uint16_t src, uint16_t dst, uint16_t sport, uint16_t dport) {
  return L4Frame6(17, src, dst, sport, dport);
}
std::vector<uint8_t> Fragment6(uint8_t proto, uint16_t src, uint16_t dst) {
  return FrameBuilder()
      .Eth(TestMac(2), TestMac(1))
      .EtherType(0x86dd)
      .Ipv6({.src = TestIpv6(src), .dst = TestIpv6(dst), .next_header = 44})
      .Ipv6Fragment(proto, 100 << 3)
      .Fill(24, 0)
      .Build();
}

constexpr uint32_t kA = RTE_IPV4(10, 1, 0, 1);
constexpr uint32_t kB = RTE_IPV4(10, 1, 0, 2);
constexpr uint32_t kC = RTE_IPV4(10, 1, 0, 3);

// ------------------------------------------------------------ API objects

v1::TapRule Rule(uint32_t priority, v1::TapAction action = v1::TAP_ACTION_ACCEPT) {
  v1::TapRule r;
  r.set_priority(priority);
  r.set_action(action);
  return r;
}

v1::TapRule& Ports(v1::TapRule& r, uint32_t proto, uint32_t dfirst, uint32_t dlast,
                   uint32_t sfirst = 0, uint32_t slast = 0) {
  r.set_protocol(proto);
  r.mutable_dst_ports()->set_first(dfirst);
  r.mutable_dst_ports()->set_last(dlast);
  r.mutable_src_ports()->set_first(sfirst);
  r.mutable_src_ports()->set_last(slast);
  return r;
}

v1::TapSession Session(std::vector<v1::TapRule> rules) {
  v1::TapSession s;
  s.set_name("s");
  for (auto& r : rules) {
    *s.add_rules() = r;
  }
  return s;
}

// ------------------------------------------------------------ fixture

struct Masks {
  uint32_t tx;
  uint32_t rx;
};

class TapFilterCompilerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = vswitch::testing::MakeTestPool("tfc", 63);
    ASSERT_NE(pool_, nullptr);
  }
  void TearDown() override {
    snap_.reset();
    for (rte_acl_ctx* c : loose_) {
      rte_acl_free(c);
    }
    EXPECT_EQ(rte_mempool_in_use_count(pool_.get()), 0u);
  }

  // Compiles `sessions` into a snapshot whose every session taps both
  // directions; returns the compiler's status.
  absl::Status Compile(const std::vector<v1::TapSession>& sessions) {
    std::vector<const v1::TapSession*> ptrs;
    for (const auto& s : sessions) {
      ptrs.push_back(&s);
    }
    std::vector<AclContexts> contexts;
    const std::string prefix = "tfc" + std::to_string(seq_++);
    absl::Status st = CompileTapFilters(ptrs, prefix, &contexts, &ctx_, &cat_);
    snap_ = std::make_unique<dataplane::Snapshot>();
    n_v4_ = n_v6_ = 0;
    for (const AclContexts& c : contexts) {
      n_v4_ += c.v4 != nullptr;
      n_v6_ += c.v6 != nullptr;
      if (snap_->n_acl < dataplane::kMaxAclContexts) {
        snap_->acl[snap_->n_acl] = c.v4;
        snap_->acl6[snap_->n_acl++] = c.v6;
      } else {
        loose_.push_back(c.v4);
        loose_.push_back(c.v6);
      }
    }
    n_contexts_ = contexts.size();
    for (size_t i = 0; i < sessions.size(); ++i) {
      dataplane::SessionInfo si;
      si.id = static_cast<uint32_t>(i);
      if (i < ctx_.size() && ctx_[i] >= 0) {
        si.has_rules = true;
        si.acl_ctx = static_cast<uint8_t>(ctx_[i]);
        si.acl_category = static_cast<uint8_t>(cat_[i]);
        snap_->rules_sessions |= 1u << i;
      }
      snap_->rx_sessions |= 1u << i;
      snap_->sessions.push_back(si);
    }
    all_ = sessions.size() >= 32 ? ~0u : (1u << sessions.size()) - 1;
    return st;
  }

  Masks Match(const std::vector<uint8_t>& frame) {
    rte_mbuf* m = vswitch::testing::MbufFromBytes(pool_.get(), frame);
    EXPECT_NE(m, nullptr);
    dataplane::PacketKey key;
    dataplane::Ipv6Addrs addrs;
    dataplane::ParseKey(m, 0, &key, &addrs);
    rte_pktmbuf_free(m);
    const dataplane::PacketKey* keys[1] = {&key};
    const dataplane::Ipv6Addrs* addr_ptrs[1] = {&addrs};
    Masks out{0xdeadbeef, 0xdeadbeef};
    dataplane::MatchTapSessions(*snap_, keys, addr_ptrs, 1, all_, &out.tx, &out.rx);
    return out;
  }
  // Both directions agree; returns the TX mask.
  uint32_t Both(const std::vector<uint8_t>& frame) {
    const Masks m = Match(frame);
    EXPECT_EQ(m.tx, m.rx) << "a rule without direction decides TX and RX alike";
    return m.tx;
  }

  static int seq_;
  dpdk::MempoolPtr pool_;
  std::unique_ptr<dataplane::Snapshot> snap_;
  std::vector<rte_acl_ctx*> loose_;
  std::vector<int> ctx_;
  std::vector<int> cat_;
  size_t n_contexts_ = 0;
  int n_v4_ = 0;  // Non-null contexts of each family.
  int n_v6_ = 0;
  uint32_t all_ = 0;
};
int TapFilterCompilerTest::seq_ = 0;

// ------------------------------------------------------------ layout

TEST_F(TapFilterCompilerTest, SessionsWithoutRulesNeedNoContext) {
  ASSERT_THAT(Compile({Session({}), Session({})}), IsOk());
  EXPECT_EQ(n_contexts_, 0u);
  EXPECT_THAT(ctx_, ElementsAre(-1, -1));
  EXPECT_THAT(cat_, ElementsAre(-1, -1));
}

TEST_F(TapFilterCompilerTest, SeventeenthRuledSessionOpensSecondContext) {
  std::vector<v1::TapSession> sessions;
  for (int i = 0; i < 20; ++i) {
    sessions.push_back(i == 5 ? Session({}) : Session({Rule(1)}));
  }
  ASSERT_THAT(Compile(sessions), IsOk());
  EXPECT_EQ(n_contexts_, 2u);
  EXPECT_EQ(ctx_[5], -1);
  EXPECT_EQ(cat_[5], -1);
  int ruled = 0;
  for (int i = 0; i < 20; ++i) {
    if (i == 5) {
      continue;
    }
    EXPECT_EQ(ctx_[i], ruled / 16) << "session " << i;
    EXPECT_EQ(cat_[i], ruled % 16) << "session " << i;
    ++ruled;
  }
}

TEST_F(TapFilterCompilerTest, EachOfTwentySessionsMatchesOnlyItsOwnRule) {
  // Session i accepts UDP to port 1000 + i; session 20 has no rules.
  std::vector<v1::TapSession> sessions;
  for (int i = 0; i < 20; ++i) {
    v1::TapRule r = Rule(7);
    sessions.push_back(Session({Ports(r, 17, 1000 + i, 1000 + i)}));
  }
  sessions.push_back(Session({}));
  ASSERT_THAT(Compile(sessions), IsOk());
  ASSERT_EQ(n_contexts_, 2u);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(Both(Udp(kA, kB, 5555, static_cast<uint16_t>(1000 + i))), (1u << i) | (1u << 20))
        << "port " << 1000 + i;
  }
  EXPECT_EQ(Both(Udp(kA, kB, 5555, 999)), 1u << 20);
}

// ------------------------------------------------------------ priorities

TEST_F(TapFilterCompilerTest, LowerPriorityRejectBeatsLaterAccept) {
  v1::TapRule reject = Rule(10, v1::TAP_ACTION_REJECT);
  reject.set_dst_cidr("10.1.0.2/32");
  // Listed accept first: the order in the list must not matter.
  ASSERT_THAT(Compile({Session({Rule(20), reject})}), IsOk());
  EXPECT_EQ(Both(Udp(kA, kB, 1, 2)), 0u);
  EXPECT_EQ(Both(Udp(kA, kC, 1, 2)), 1u);
}

TEST_F(TapFilterCompilerTest, LowerPriorityAcceptBeatsLaterReject) {
  v1::TapRule accept = Rule(100);
  Ports(accept, 17, 53, 53);
  ASSERT_THAT(Compile({Session({Rule(200, v1::TAP_ACTION_REJECT), accept})}), IsOk());
  EXPECT_EQ(Both(Udp(kA, kB, 40000, 53)), 1u);
  EXPECT_EQ(Both(Udp(kA, kB, 40000, 54)), 0u);
  EXPECT_EQ(Both(Tcp(kA, kB, 40000, 53)), 0u);
}

TEST_F(TapFilterCompilerTest, PriorityZeroBeatsPriority65535) {
  ASSERT_THAT(Compile({Session({Rule(65535), Rule(0, v1::TAP_ACTION_REJECT)})}), IsOk());
  EXPECT_EQ(Both(Udp(kA, kB, 1, 2)), 0u);
  ASSERT_THAT(Compile({Session({Rule(65535, v1::TAP_ACTION_REJECT), Rule(0)})}), IsOk());
  EXPECT_EQ(Both(Udp(kA, kB, 1, 2)), 1u);
}

TEST_F(TapFilterCompilerTest, UnspecifiedActionAccepts) {
  ASSERT_THAT(Compile({Session({Rule(1, v1::TAP_ACTION_UNSPECIFIED)})}), IsOk());
  EXPECT_EQ(Both(Udp(kA, kB, 1, 2)), 1u);
}

TEST_F(TapFilterCompilerTest, PrioritiesAreDecidedPerSession) {
  // Session 0 rejects what session 1 accepts, in the same context.
  v1::TapRule reject = Rule(1, v1::TAP_ACTION_REJECT);
  reject.set_src_cidr("10.1.0.1/32");
  ASSERT_THAT(Compile({Session({reject, Rule(2)}), Session({Rule(5)})}), IsOk());
  EXPECT_EQ(Both(Udp(kA, kB, 1, 2)), 0b10u);
  EXPECT_EQ(Both(Udp(kB, kA, 1, 2)), 0b11u);
}

// ------------------------------------------------------------ fields

TEST_F(TapFilterCompilerTest, DirectionRestrictedRules) {
  v1::TapRule tx = Rule(1);
  tx.set_direction(v1::TAP_DIRECTION_TX);
  v1::TapRule rx = Rule(1);
  rx.set_direction(v1::TAP_DIRECTION_RX);
  v1::TapRule both = Rule(1);
  both.set_direction(v1::TAP_DIRECTION_BOTH);
  ASSERT_THAT(Compile({Session({tx}), Session({rx}), Session({both})}), IsOk());
  const Masks m = Match(Udp(kA, kB, 1, 2));
  EXPECT_EQ(m.tx, 0b101u) << "TX = frames the VM sends";
  EXPECT_EQ(m.rx, 0b110u) << "RX = frames the VM receives";
}

TEST_F(TapFilterCompilerTest, DirectionRejectOnlyInOneDirection) {
  v1::TapRule no_rx = Rule(1, v1::TAP_ACTION_REJECT);
  no_rx.set_direction(v1::TAP_DIRECTION_RX);
  ASSERT_THAT(Compile({Session({no_rx, Rule(2)})}), IsOk());
  const Masks m = Match(Udp(kA, kB, 1, 2));
  EXPECT_EQ(m.tx, 1u);
  EXPECT_EQ(m.rx, 0u);
}

TEST_F(TapFilterCompilerTest, DestinationPortRangeIsInclusive) {
  v1::TapRule r = Rule(1);
  ASSERT_THAT(Compile({Session({Ports(r, 6, 1000, 2000)})}), IsOk());
  EXPECT_EQ(Both(Tcp(kA, kB, 80, 999)), 0u);
  EXPECT_EQ(Both(Tcp(kA, kB, 80, 1000)), 1u);
  EXPECT_EQ(Both(Tcp(kA, kB, 80, 1500)), 1u);
  EXPECT_EQ(Both(Tcp(kA, kB, 80, 2000)), 1u);
  EXPECT_EQ(Both(Tcp(kA, kB, 80, 2001)), 0u);
  EXPECT_EQ(Both(Tcp(kA, kB, 1500, 80)), 0u) << "source port is not the destination range";
  EXPECT_EQ(Both(Udp(kA, kB, 80, 1500)), 0u) << "the rule is TCP only";
}

TEST_F(TapFilterCompilerTest, SourcePortRangeAndHighPorts) {
  v1::TapRule r = Rule(1);
  ASSERT_THAT(Compile({Session({Ports(r, 17, 0, 0, 65000, 65535)})}), IsOk());
  EXPECT_EQ(Both(Udp(kA, kB, 64999, 53)), 0u);
  EXPECT_EQ(Both(Udp(kA, kB, 65000, 53)), 1u);
  EXPECT_EQ(Both(Udp(kA, kB, 65535, 1)), 1u);
}

TEST_F(TapFilterCompilerTest, SinglePortRange) {
  v1::TapRule r = Rule(1);
  ASSERT_THAT(Compile({Session({Ports(r, 6, 443, 443)})}), IsOk());
  EXPECT_EQ(Both(Tcp(kA, kB, 1, 443)), 1u);
  EXPECT_EQ(Both(Tcp(kA, kB, 1, 442)), 0u);
  EXPECT_EQ(Both(Tcp(kA, kB, 1, 444)), 0u);
  EXPECT_EQ(Both(Tcp(kA, kB, 1, 443 + 256)), 0u) << "byte order of the port";
}

TEST_F(TapFilterCompilerTest, SourceCidr) {
  v1::TapRule r = Rule(1);
  r.set_src_cidr("10.1.0.0/16");
  ASSERT_THAT(Compile({Session({r})}), IsOk());
  EXPECT_EQ(Both(Udp(RTE_IPV4(10, 1, 0, 1), kC, 1, 2)), 1u);
  EXPECT_EQ(Both(Udp(RTE_IPV4(10, 1, 255, 255), kC, 1, 2)), 1u);
  EXPECT_EQ(Both(Udp(RTE_IPV4(10, 2, 0, 1), kC, 1, 2)), 0u);
  EXPECT_EQ(Both(Udp(RTE_IPV4(11, 1, 0, 1), kC, 1, 2)), 0u);
  EXPECT_EQ(Both(Udp(kC, RTE_IPV4(10, 2, 0, 1), 1, 2)), 1u) << "source 10.1.0.3 inside";
}

TEST_F(TapFilterCompilerTest, DestinationCidrHostRoute) {
  v1::TapRule r = Rule(1);
  r.set_dst_cidr("192.168.7.9/32");
  ASSERT_THAT(Compile({Session({r})}), IsOk());
  EXPECT_EQ(Both(Udp(kA, RTE_IPV4(192, 168, 7, 9), 1, 2)), 1u);
  EXPECT_EQ(Both(Udp(kA, RTE_IPV4(192, 168, 7, 8), 1, 2)), 0u);
  EXPECT_EQ(Both(Udp(RTE_IPV4(192, 168, 7, 9), kA, 1, 2)), 0u);
}

TEST_F(TapFilterCompilerTest, ZeroLengthPrefixMatchesEveryIpv4) {
  v1::TapRule r = Rule(1);
  r.set_dst_cidr("0.0.0.0/0");
  ASSERT_THAT(Compile({Session({r})}), IsOk());
  EXPECT_EQ(Both(Udp(kA, RTE_IPV4(203, 0, 113, 1), 1, 2)), 1u);
  EXPECT_EQ(Both(Icmp(kA, RTE_IPV4(255, 255, 255, 255))), 1u);
}

TEST_F(TapFilterCompilerTest, ProtocolAnyMatchesEveryProtocol) {
  ASSERT_THAT(Compile({Session({Rule(1)})}), IsOk());
  EXPECT_EQ(Both(Udp(kA, kB, 1, 2)), 1u);
  EXPECT_EQ(Both(Tcp(kA, kB, 1, 2)), 1u);
  EXPECT_EQ(Both(Icmp(kA, kB)), 1u);
}

TEST_F(TapFilterCompilerTest, ProtocolRuleMatchesOnlyItsProtocol) {
  v1::TapRule icmp = Rule(1);
  icmp.set_protocol(1);
  ASSERT_THAT(Compile({Session({icmp})}), IsOk());
  EXPECT_EQ(Both(Icmp(kA, kB)), 1u);
  EXPECT_EQ(Both(Udp(kA, kB, 1, 2)), 0u);
  EXPECT_EQ(Both(Tcp(kA, kB, 1, 2)), 0u);
}

TEST_F(TapFilterCompilerTest, AllConditionsMustHold) {
  v1::TapRule r = Rule(1);
  Ports(r, 6, 22, 22);
  r.set_src_cidr("10.1.0.0/24");
  r.set_dst_cidr("10.1.0.2/32");
  ASSERT_THAT(Compile({Session({r})}), IsOk());
  EXPECT_EQ(Both(Tcp(kA, kB, 50000, 22)), 1u);
  EXPECT_EQ(Both(Tcp(kA, kC, 50000, 22)), 0u);
  EXPECT_EQ(Both(Tcp(RTE_IPV4(10, 1, 1, 1), kB, 50000, 22)), 0u);
  EXPECT_EQ(Both(Tcp(kA, kB, 50000, 23)), 0u);
  EXPECT_EQ(Both(Udp(kA, kB, 50000, 22)), 0u);
}

// ------------------------------------------------------------ sessions without rules, non-IP

TEST_F(TapFilterCompilerTest, SessionWithoutRulesMatchesEverything) {
  v1::TapRule r = Rule(1);
  Ports(r, 6, 80, 80);
  ASSERT_THAT(Compile({Session({}), Session({r})}), IsOk());
  EXPECT_EQ(Both(Udp(kA, kB, 1, 2)), 0b01u);
  EXPECT_EQ(Both(Icmp(kA, kB)), 0b01u);
  EXPECT_EQ(Both(Arp()), 0b01u) << "non-IP frames too";
  EXPECT_EQ(Both(Tcp(kA, kB, 1, 80)), 0b11u);
}

TEST_F(TapFilterCompilerTest, SessionWithRulesMirrorsNothingNoRuleAccepts) {
  v1::TapRule r = Rule(1);
  r.set_protocol(6);
  ASSERT_THAT(Compile({Session({r})}), IsOk());
  EXPECT_EQ(Both(Udp(kA, kB, 1, 2)), 0u);
  EXPECT_EQ(Both(Arp()), 0u);
}

TEST_F(TapFilterCompilerTest, RejectOnlySessionMirrorsNothing) {
  ASSERT_THAT(Compile({Session({Rule(1, v1::TAP_ACTION_REJECT)})}), IsOk());
  EXPECT_EQ(Both(Udp(kA, kB, 1, 2)), 0u);
  EXPECT_EQ(Both(Arp()), 0u);
}

TEST_F(TapFilterCompilerTest, NonIpFrameMatchesOnlyConditionFreeRules) {
  v1::TapRule free_rule = Rule(1);
  v1::TapRule proto = Rule(1);
  proto.set_protocol(17);
  v1::TapRule src = Rule(1);
  src.set_src_cidr("10.0.0.0/8");
  v1::TapRule dst = Rule(1);
  dst.set_dst_cidr("10.1.0.0/16");
  v1::TapRule port = Rule(1);
  Ports(port, 17, 67, 68);
  v1::TapRule tx_only = Rule(1);
  tx_only.set_direction(v1::TAP_DIRECTION_TX);
  ASSERT_THAT(Compile({Session({free_rule}), Session({proto}), Session({src}), Session({dst}),
                       Session({port}), Session({tx_only})}),
              IsOk());
  const Masks m = Match(Arp());
  EXPECT_EQ(m.tx, 0b100001u);
  EXPECT_EQ(m.rx, 0b000001u);
}

// API (vswitch.proto, TapRule): "Frames that are not IPv4 match only rules
// with no protocol, CIDR or port condition." A non-IP key carries address
// 0.0.0.0, so a rule on 0.0.0.0 (e.g. DHCP discovers: src 0.0.0.0/32)
// also takes every ARP and other non-IP frame.
TEST_F(TapFilterCompilerTest, NonIpFrameDoesNotMatchRuleOnAddressZero) {
  v1::TapRule dhcp = Rule(1);
  dhcp.set_src_cidr("0.0.0.0/32");
  ASSERT_THAT(Compile({Session({dhcp})}), IsOk());
  EXPECT_EQ(Both(Udp(0, RTE_IPV4(255, 255, 255, 255), 68, 67)), 1u) << "the DHCP discover";
  EXPECT_EQ(Both(Arp()), 0u) << "an ARP frame has a CIDR condition against it";
}

// ------------------------------------------------------------ IPv6

TEST_F(TapFilterCompilerTest, Ipv6PrefixGoesOnlyToTheIpv6Context) {
  v1::TapRule r = Rule(1);
  r.set_dst_cidr("2001:db8::2/128");
  ASSERT_THAT(Compile({Session({r})}), IsOk());
  EXPECT_EQ(n_v4_, 0);
  EXPECT_EQ(n_v6_, 1);
  EXPECT_EQ(Both(Udp6(1, 2, 5, 6)), 1u);
  EXPECT_EQ(Both(Udp6(1, 3, 5, 6)), 0u);
  EXPECT_EQ(Both(Udp(kA, kB, 5, 6)), 0u) << "an IPv6 rule never takes IPv4";
  EXPECT_EQ(Both(Arp()), 0u);
}

TEST_F(TapFilterCompilerTest, Ipv4PrefixNeverMatchesIpv6) {
  v1::TapRule r = Rule(1);
  r.set_dst_cidr("0.0.0.0/0");
  ASSERT_THAT(Compile({Session({r})}), IsOk());
  EXPECT_EQ(n_v6_, 0);
  EXPECT_EQ(Both(Udp(kA, kB, 5, 6)), 1u);
  EXPECT_EQ(Both(Udp6(1, 2, 5, 6)), 0u);
}

TEST_F(TapFilterCompilerTest, RuleWithoutPrefixMatchesBothFamilies) {
  v1::TapRule r = Rule(1);
  Ports(r, 17, 53, 53);
  ASSERT_THAT(Compile({Session({r})}), IsOk());
  EXPECT_EQ(n_v4_, 1);
  EXPECT_EQ(n_v6_, 1);
  EXPECT_EQ(Both(Udp(kA, kB, 1, 53)), 1u);
  EXPECT_EQ(Both(Udp6(1, 2, 1, 53)), 1u);
  EXPECT_EQ(Both(Udp6(1, 2, 1, 54)), 0u);
  EXPECT_EQ(Both(L4Frame6(6, 1, 2, 1, 53)), 0u);
}

// A prefix ending inside each of the four 32-bit words of the layout, and
// one that ends on a word boundary.
TEST_F(TapFilterCompilerTest, Ipv6PrefixOfEveryWordMatchesItsBitsOnly) {
  struct Case {
    const char* cidr;
    const char* in;
    const char* out;
  };
  const Case cases[] = {
      {"2001:d000::/20", "2001:dfff::1", "2001:e000::1"},
      {"2001:db8:8000::/33", "2001:db8:8000::1", "2001:db8:7fff::1"},
      {"2001:db8::/64", "2001:db8::ffff:1", "2001:db8:0:1::1"},
      {"2001:db8::1:0:0/96", "2001:db8::1:aa:bb", "2001:db8::2:0:0"},
      {"2001:db8::80/121", "2001:db8::ff", "2001:db8::7f"},
      {"::/0", "2001:db8::1", nullptr},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.cidr);
    v1::TapRule r = Rule(1);
    r.set_src_cidr(c.cidr);
    ASSERT_THAT(Compile({Session({r})}), IsOk());
    auto frame = [](const char* src) {
      auto a = *net::ParseIpv6(src);
      vswitch::testing::Ipv6Addr s;
      std::copy(a.begin(), a.end(), s.begin());
      return FrameBuilder()
          .Eth(TestMac(2), TestMac(1))
          .EtherType(0x86dd)
          .Ipv6({.src = s, .next_header = 17})
          .L4Ports(1, 2)
          .Fill(4, 0)
          .Build();
    };
    EXPECT_EQ(Both(frame(c.in)), 1u) << c.in;
    if (c.out != nullptr) {
      EXPECT_EQ(Both(frame(c.out)), 0u) << c.out;
    }
  }
}

TEST_F(TapFilterCompilerTest, Ipv6ProtocolAndPortsAreMatchedAfterTheExtensionChain) {
  v1::TapRule r = Rule(1);
  Ports(r, 6, 443, 443);
  r.set_dst_cidr("2001:db8::/32");
  ASSERT_THAT(Compile({Session({r})}), IsOk());
  EXPECT_EQ(Both(L4Frame6(6, 1, 2, 40000, 443, /*ext_chain=*/true)), 1u);
  EXPECT_EQ(Both(L4Frame6(6, 1, 2, 40000, 444, /*ext_chain=*/true)), 0u);
  EXPECT_EQ(Both(L4Frame6(17, 1, 2, 40000, 443, /*ext_chain=*/true)), 0u);
}

TEST_F(TapFilterCompilerTest, Ipv6LaterFragmentMatchesItsProtocolButNoPortRule) {
  v1::TapRule proto = Rule(1);
  proto.set_protocol(17);
  v1::TapRule port = Rule(1);
  Ports(port, 17, 1, 65535);
  ASSERT_THAT(Compile({Session({proto}), Session({port})}), IsOk());
  EXPECT_EQ(Both(Fragment6(17, 1, 2)), 0b01u);
}

TEST_F(TapFilterCompilerTest, Icmpv6RuleAndPriorityWithinTheIpv6Context) {
  v1::TapRule reject = Rule(5, v1::TAP_ACTION_REJECT);
  reject.set_src_cidr("2001:db8::1/128");
  v1::TapRule icmp6 = Rule(10);
  icmp6.set_protocol(58);
  ASSERT_THAT(Compile({Session({icmp6, reject})}), IsOk());
  EXPECT_EQ(Both(L4Frame6(58, 3, 2, 0x8000, 0)), 1u);
  EXPECT_EQ(Both(L4Frame6(58, 1, 2, 0x8000, 0)), 0u) << "the reject comes first";
  EXPECT_EQ(Both(L4Frame6(17, 3, 2, 1, 2)), 0u);
}

TEST_F(TapFilterCompilerTest, SessionsOfBothFamiliesShareOneGroup) {
  v1::TapRule v4 = Rule(1);
  v4.set_dst_cidr("10.1.0.0/16");
  v1::TapRule v6 = Rule(1);
  v6.set_dst_cidr("2001:db8::/32");
  ASSERT_THAT(Compile({Session({v4}), Session({v6}), Session({Rule(1)})}), IsOk());
  EXPECT_EQ(n_contexts_, 1u);
  EXPECT_EQ(Both(Udp(kA, kB, 1, 2)), 0b101u);
  EXPECT_EQ(Both(Udp6(1, 2, 1, 2)), 0b110u);
  EXPECT_EQ(Both(Arp()), 0b100u);
}

}  // namespace
}  // namespace vswitch::control
