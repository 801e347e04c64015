// SPDX-License-Identifier: Apache-2.0
//
// vxlan.h: the outer header the overlay writes (byte-exact against a frame
// written out by hand here) and ParseOuter's verdict on good and bad
// frames received on the uplink.
#include "vswitch/dataplane/vxlan.h"

#include <gtest/gtest.h>
#include <rte_mbuf.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "test/testing/mbuf_util.h"

namespace vswitch::dataplane {
namespace {

constexpr uint8_t kNextHop[6] = {0x02, 0, 0, 0, 0x10, 0x0a};
constexpr uint8_t kUplinkMac[6] = {0x02, 0, 0, 0, 0x01, 0x00};
const uint32_t kUplinkIp = rte_cpu_to_be_32(RTE_IPV4(192, 0, 2, 1));
const uint32_t kVtepIp = rte_cpu_to_be_32(RTE_IPV4(192, 0, 2, 10));
const uint16_t kPortBe = rte_cpu_to_be_16(4789);

TEST(WriteOuterHeader, MatchesGoldenFrame) {
  uint8_t out[kVxlanOverhead];
  std::memset(out, 0xee, sizeof(out));
  const OuterHeader h{.dst_mac = kNextHop,
                      .src_mac = kUplinkMac,
                      .src_ip_be = kUplinkIp,
                      .dst_ip_be = kVtepIp,
                      .udp_dst_port = 4789,
                      .udp_src_port = 50000,
                      .vni = 0x00abcdef,
                      .vx_flags = kVxlanFlagI};
  WriteOuterHeader(out, h, 64);
  // Written out by hand; the checksum computed offline (RFC 1071).
  const uint8_t golden[kVxlanOverhead] = {
      0x02, 0, 0, 0, 0x10, 0x0a,  // dst: next hop
      0x02, 0, 0, 0, 0x01, 0x00,  // src: uplink
      0x08, 0x00,                 // IPv4
      0x45, 0x00, 0x00, 100,      // v4 ihl 5, tos 0, total 36 + 64
      0x00, 0x00, 0x40, 0x00,     // id 0, DF
      64, 17, 0xb6, 0x7d,         // TTL 64, UDP, checksum
      192, 0, 2, 1,               // src
      192, 0, 2, 10,              // dst
      0xc3, 0x50, 0x12, 0xb5,     // 50000 -> 4789
      0x00, 80, 0x00, 0x00,       // UDP length 16 + 64, no checksum
      0x08, 0x00, 0x00, 0x00,     // I flag
      0xab, 0xcd, 0xef, 0x00,     // VNI
  };
  for (size_t i = 0; i < sizeof(golden); ++i) {
    EXPECT_EQ(out[i], golden[i]) << "byte " << i;
  }
}

// The checksum from the values (not the stored header) verifies for any
// address and length, carries included.
TEST(WriteOuterHeader, ChecksumVerifiesForExtremeValues) {
  for (uint32_t inner : {14u, 1464u, 8950u}) {
    for (uint32_t ip : {0xffffffffu, 0x00000000u, 0xfffe0001u}) {
      uint8_t out[kVxlanOverhead];
      const OuterHeader h{.dst_mac = kNextHop,
                          .src_mac = kUplinkMac,
                          .src_ip_be = rte_cpu_to_be_32(ip),
                          .dst_ip_be = rte_cpu_to_be_32(~ip),
                          .udp_dst_port = 4789,
                          .udp_src_port = 65535,
                          .vni = 1,
                          .vx_flags = kVxlanFlagI};
      WriteOuterHeader(out, h, inner);
      uint32_t sum = 0;
      for (int i = 14; i < 34; i += 2) {
        sum += static_cast<uint32_t>(out[i] << 8 | out[i + 1]);
      }
      sum = (sum & 0xffff) + (sum >> 16);
      sum = (sum & 0xffff) + (sum >> 16);
      EXPECT_EQ(sum, 0xffffu) << "inner " << inner << " ip " << ip;
    }
  }
}

// A VXLAN frame as the uplink receives it, field by field.
struct Outer {
  uint16_t ether_type = 0x0800;
  uint8_t ihl = 5;
  uint8_t proto = 17;
  uint16_t frag = 0x4000;  // DF.
  int total_delta = 0;     // Added to the right IPv4 total length.
  int udp_len_delta = 0;   // Added to the right UDP length.
  uint32_t src = RTE_IPV4(192, 0, 2, 10);
  uint32_t dst = RTE_IPV4(192, 0, 2, 1);
  uint16_t dport = 4789;
  uint32_t flags = 0x08000000;
  uint32_t vni = 1000;
  size_t inner_len = 60;
  size_t pad = 0;  // Bytes after the IPv4 packet.
};

void Put16(std::vector<uint8_t>* b, uint32_t v) {
  b->push_back(static_cast<uint8_t>(v >> 8));
  b->push_back(static_cast<uint8_t>(v));
}
void Put32(std::vector<uint8_t>* b, uint32_t v) {
  Put16(b, v >> 16);
  Put16(b, v & 0xffff);
}

std::vector<uint8_t> Build(const Outer& o) {
  std::vector<uint8_t> b;
  for (const uint8_t* mac : {kUplinkMac, kNextHop}) {
    for (int i = 0; i < 6; ++i) {
      b.push_back(mac[i]);
    }
  }
  Put16(&b, o.ether_type);
  const uint32_t ihl = o.ihl * 4u;
  const uint32_t total = ihl + 16 + static_cast<uint32_t>(o.inner_len);
  b.push_back(static_cast<uint8_t>(0x40 | o.ihl));
  b.push_back(0);
  Put16(&b, static_cast<uint32_t>(static_cast<int>(total) + o.total_delta));
  Put16(&b, 0);
  Put16(&b, o.frag);
  b.push_back(64);
  b.push_back(o.proto);
  Put16(&b, 0);
  Put32(&b, o.src);
  Put32(&b, o.dst);
  for (uint32_t i = 20; i < ihl; ++i) {
    b.push_back(1);  // NOP options.
  }
  Put16(&b, 50000);
  Put16(&b, o.dport);
  Put16(&b, static_cast<uint32_t>(static_cast<int>(total - ihl) + o.udp_len_delta));
  Put16(&b, 0);
  Put32(&b, o.flags);
  Put32(&b, o.vni << 8);
  for (size_t i = 0; i < o.inner_len; ++i) {
    b.push_back(static_cast<uint8_t>(i));
  }
  b.insert(b.end(), o.pad, 0);
  return b;
}

class ParseOuterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { pool_ = vswitch::testing::MakeTestPool("vxlan", 255).release(); }
  static void TearDownTestSuite() {
    rte_mempool_free(pool_);
    pool_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(pool_, nullptr); }

  OuterVerdict Parse(const std::vector<uint8_t>& frame, ParsedOuter* out = nullptr) {
    rte_mbuf* m = vswitch::testing::MbufFromBytes(pool_, frame);
    EXPECT_NE(m, nullptr);
    if (m == nullptr) {
      return OuterVerdict::kNotForUs;
    }
    ParsedOuter o{};
    const OuterVerdict v = ParseOuter(m, kUplinkIp, kPortBe, &o);
    rte_pktmbuf_free(m);
    if (out != nullptr) {
      *out = o;
    }
    return v;
  }

  static rte_mempool* pool_;
};

rte_mempool* ParseOuterTest::pool_ = nullptr;

TEST_F(ParseOuterTest, GoodFrameGivesSourceVniAndInnerOffset) {
  ParsedOuter o{};
  ASSERT_EQ(Parse(Build({.vni = 0xabcdef}), &o), OuterVerdict::kOk);
  EXPECT_EQ(o.src_ip_be, rte_cpu_to_be_32(RTE_IPV4(192, 0, 2, 10)));
  EXPECT_EQ(o.vni, 0xabcdefu);
  EXPECT_EQ(o.inner_off, 50);
}

TEST_F(ParseOuterTest, IpOptionsMoveTheInnerFrame) {
  ParsedOuter o{};
  ASSERT_EQ(Parse(Build({.ihl = 7}), &o), OuterVerdict::kOk);
  EXPECT_EQ(o.inner_off, 58);
}

TEST_F(ParseOuterTest, PaddingAfterThePacketIsAccepted) {
  EXPECT_EQ(Parse(Build({.pad = 6})), OuterVerdict::kOk);
}

TEST_F(ParseOuterTest, FragmentsAreBad) {
  EXPECT_EQ(Parse(Build({.frag = 0x2000})), OuterVerdict::kBad);  // MF.
  EXPECT_EQ(Parse(Build({.frag = 0x0003})), OuterVerdict::kBad);  // Offset.
  EXPECT_EQ(Parse(Build({.frag = 0x4000 | 0x0001})), OuterVerdict::kBad);
}

TEST_F(ParseOuterTest, UdpLengthOtherThanIpPayloadIsBad) {
  EXPECT_EQ(Parse(Build({.udp_len_delta = 1})), OuterVerdict::kBad);
  EXPECT_EQ(Parse(Build({.udp_len_delta = -1})), OuterVerdict::kBad);
  EXPECT_EQ(Parse(Build({.udp_len_delta = 40000})), OuterVerdict::kBad);
}

TEST_F(ParseOuterTest, IpTotalLengthPastTheFrameIsBad) {
  EXPECT_EQ(Parse(Build({.total_delta = 1, .udp_len_delta = 1})), OuterVerdict::kBad);
}

TEST_F(ParseOuterTest, IpTotalLengthShorterThanTheHeadersIsBad) {
  // Says the packet ends inside the VXLAN header; UDP length agrees.
  EXPECT_EQ(Parse(Build({.total_delta = -60, .udp_len_delta = -60})), OuterVerdict::kBad);
}

TEST_F(ParseOuterTest, MissingIFlagIsBad) {
  EXPECT_EQ(Parse(Build({.flags = 0})), OuterVerdict::kBad);
  EXPECT_EQ(Parse(Build({.flags = 0x80000000})), OuterVerdict::kBad);  // G alone.
}

TEST_F(ParseOuterTest, TruncatedFramesAreBadOrNotOurs) {
  const auto good = Build({});
  // Cut inside the inner Ethernet header, inside VXLAN: ours by port, bad.
  for (size_t len : {60u, 55u, 50u, 45u}) {
    auto cut = good;
    cut.resize(len);
    EXPECT_EQ(Parse(cut), OuterVerdict::kBad) << len;
  }
  // Cut before the UDP port: cannot be told to be ours.
  for (size_t len : {37u, 33u, 14u, 0u}) {
    auto cut = good;
    cut.resize(len);
    EXPECT_EQ(Parse(cut), OuterVerdict::kNotForUs) << len;
  }
}

TEST_F(ParseOuterTest, OtherUdpPortIsNotOurs) {
  EXPECT_EQ(Parse(Build({.dport = 4790})), OuterVerdict::kNotForUs);
  EXPECT_EQ(Parse(Build({.dport = 0x12b5 >> 8 | 0xb500})), OuterVerdict::kNotForUs);
}

TEST_F(ParseOuterTest, OtherDestinationIsNotOurs) {
  EXPECT_EQ(Parse(Build({.dst = RTE_IPV4(192, 0, 2, 2)})), OuterVerdict::kNotForUs);
}

TEST_F(ParseOuterTest, NotUdpOrNotIpv4IsNotOurs) {
  EXPECT_EQ(Parse(Build({.proto = 6})), OuterVerdict::kNotForUs);
  EXPECT_EQ(Parse(Build({.ether_type = 0x86dd})), OuterVerdict::kNotForUs);
  EXPECT_EQ(Parse(Build({.ether_type = 0x0806})), OuterVerdict::kNotForUs);
  auto v6 = Build({});
  v6[14] = 0x65;  // Version 6 in an IPv4 ethertype.
  EXPECT_EQ(Parse(v6), OuterVerdict::kNotForUs);
}

TEST_F(ParseOuterTest, BadIhlIsNotOurs) {
  auto f = Build({});
  f[14] = 0x44;  // IHL 4: no header to read a port from.
  EXPECT_EQ(Parse(f), OuterVerdict::kNotForUs);
}

// Headers split across segments (never from a NIC) are read only from the
// first segment: not guessed at past it.
TEST_F(ParseOuterTest, HeadersSplitAcrossSegmentsAreBad) {
  const auto good = Build({});
  rte_mbuf* m = vswitch::testing::MbufChain(pool_, good, {48, good.size() - 48});
  ASSERT_NE(m, nullptr);
  ParsedOuter o{};
  EXPECT_EQ(ParseOuter(m, kUplinkIp, kPortBe, &o), OuterVerdict::kBad);
  rte_pktmbuf_free(m);
}

}  // namespace
}  // namespace vswitch::dataplane
