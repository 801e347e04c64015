// SPDX-License-Identifier: Apache-2.0
//
// The encap worker on real mbufs and a real uplink ethdev (net_ring: what
// the uplink sends on queue 0 comes back on its own RX queue 0, so a test
// reads the exact chains Poll handed to rte_eth_tx_burst). Copies are made
// by the real MirrorStage. Wire bytes are compared with golden frames in
// test/vectors/ (directory in $VSWITCH_TEST_VECTORS, set by meson); with
// VSWITCH_UPDATE_VECTORS=1 the tests write them instead (then verify them
// with tshark, see test/vectors/README.md).
#include "vswitch/dataplane/encap_worker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_ring.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <random>
#include <string>
#include <vector>

#include "lib/hash/flow_hash.h"
#include "test/testing/frame_builder.h"
#include "test/testing/mbuf_util.h"
#include "test/testing/ring_port.h"
#include "vswitch/dataplane/mirror_meta.h"
#include "vswitch/dataplane/mirror_stage.h"
#include "vswitch/dataplane/snapshot.h"
#include "vswitch/dataplane/tx_batch.h"

namespace vswitch::dataplane {
namespace {

using ::testing::SizeIs;
using vswitch::testing::ChainBytes;
using vswitch::testing::FrameBuilder;
using vswitch::testing::kBroadcast;
using vswitch::testing::Mac;
using vswitch::testing::MbufChain;
using vswitch::testing::MbufFromBytes;
using vswitch::testing::TestMac;

constexpr uint32_t kSessionId = 7;
constexpr uint16_t kSessionSlot = 5;
constexpr uint32_t kDestId = 11;
constexpr uint16_t kDestSlot = 3;
constexpr uint32_t kVni = 5000;
constexpr uint32_t kVportId = 42;
const Mac kUplinkMac = TestMac(0x100);
const Mac kCollectorMac = TestMac(0x200);
const Mac kCollector2Mac = TestMac(0x201);
const Mac kVmA = TestMac(1);
const Mac kVmB = TestMac(2);
constexpr uint32_t kUplinkIp = RTE_IPV4(192, 0, 2, 10);
constexpr uint32_t kCollectorIp = RTE_IPV4(192, 0, 2, 20);
constexpr uint32_t kCollector2Ip = RTE_IPV4(192, 0, 2, 21);

// ------------------------------------------------------------ frame helpers

// A well-formed UDP/IPv4 frame (IP checksum and UDP length right, UDP
// checksum 0), so tshark finds nothing to complain about in the inner frame.
std::vector<uint8_t> InnerUdpFrame(const Mac& dst, const Mac& src, uint32_t src_ip, uint32_t dst_ip,
                                   uint16_t sport, uint16_t dport, size_t payload) {
  std::vector<uint8_t> f = FrameBuilder()
                               .Eth(dst, src)
                               .EtherType(RTE_ETHER_TYPE_IPV4)
                               .Ipv4({.src = src_ip, .dst = dst_ip, .proto = IPPROTO_UDP})
                               .L4Ports(sport, dport)
                               .Fill(4, 0)  // UDP length (patched) + checksum 0.
                               .Fill(payload, 0x5a)
                               .Build();
  for (size_t i = 0; i < payload; ++i) {
    f[42 + i] = static_cast<uint8_t>(i);  // A payload whose bytes differ.
  }
  const auto udp_len = static_cast<uint16_t>(8 + payload);
  f[38] = static_cast<uint8_t>(udp_len >> 8);
  f[39] = static_cast<uint8_t>(udp_len);
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(f.data() + 14);
  ip->hdr_checksum = 0;
  ip->hdr_checksum = rte_ipv4_cksum(ip);
  return f;
}

// A broadcast ARP request from `src` (10.1.0.1 asks for 10.1.0.2), padded to 60.
std::vector<uint8_t> ArpRequest(const Mac& src) {
  std::vector<uint8_t> f =
      FrameBuilder().Eth(kBroadcast, src).EtherType(RTE_ETHER_TYPE_ARP).Build();
  const uint8_t head[] = {0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01};
  f.insert(f.end(), std::begin(head), std::end(head));
  f.insert(f.end(), src.begin(), src.end());
  const uint8_t spa[] = {10, 1, 0, 1};
  f.insert(f.end(), std::begin(spa), std::end(spa));
  f.insert(f.end(), 6, 0);
  const uint8_t tpa[] = {10, 1, 0, 2};
  f.insert(f.end(), std::begin(tpa), std::end(tpa));
  f.resize(60, 0);
  return f;
}

// A frame of a local experimental EtherType (0x88b5) of `len` bytes: cutting
// it leaves nothing a dissector could call malformed.
std::vector<uint8_t> ExperimentalFrame(const Mac& dst, const Mac& src, size_t len) {
  std::vector<uint8_t> f = FrameBuilder().Eth(dst, src).EtherType(0x88b5).Build();
  for (size_t i = f.size(); i < len; ++i) {
    f.push_back(static_cast<uint8_t>(i * 7));
  }
  return f;
}

std::string Hex(const std::vector<uint8_t>& b) {
  std::string out;
  char buf[32];
  for (size_t i = 0; i < b.size(); ++i) {
    if (i % 16 == 0) {
      std::snprintf(buf, sizeof(buf), "\n%04zx:", i);
      out += buf;
    }
    std::snprintf(buf, sizeof(buf), " %02x", b[i]);
    out += buf;
  }
  return out;
}

uint16_t Be16At(const std::vector<uint8_t>& b, size_t off) {
  return static_cast<uint16_t>(b[off] << 8 | b[off + 1]);
}

// ------------------------------------------------------------ pcap (golden)

void PutLe32(std::vector<uint8_t>* b, uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    b->push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
}
void PutLe16(std::vector<uint8_t>* b, uint16_t v) {
  b->push_back(static_cast<uint8_t>(v));
  b->push_back(static_cast<uint8_t>(v >> 8));
}
uint32_t GetLe32(const std::vector<uint8_t>& b, size_t off) {
  return uint32_t{b[off]} | uint32_t{b[off + 1]} << 8 | uint32_t{b[off + 2]} << 16 |
         uint32_t{b[off + 3]} << 24;
}

// Classic pcap, microsecond, Ethernet, one record per frame, timestamps 0.
bool WritePcap(const std::string& path, const std::vector<std::vector<uint8_t>>& frames) {
  std::vector<uint8_t> b;
  PutLe32(&b, 0xa1b2c3d4);
  PutLe16(&b, 2);
  PutLe16(&b, 4);
  PutLe32(&b, 0);
  PutLe32(&b, 0);
  PutLe32(&b, 65535);
  PutLe32(&b, 1);  // LINKTYPE_ETHERNET.
  for (const auto& f : frames) {
    PutLe32(&b, 0);
    PutLe32(&b, 0);
    PutLe32(&b, static_cast<uint32_t>(f.size()));
    PutLe32(&b, static_cast<uint32_t>(f.size()));
    b.insert(b.end(), f.begin(), f.end());
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  return static_cast<bool>(out);
}

// The frames of a classic little-endian pcap file; empty on any error.
std::vector<std::vector<uint8_t>> ReadPcap(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::vector<uint8_t>> frames;
  if (b.size() < 24 || GetLe32(b, 0) != 0xa1b2c3d4 || GetLe32(b, 20) != 1) {
    return frames;
  }
  size_t off = 24;
  while (off + 16 <= b.size()) {
    const uint32_t caplen = GetLe32(b, off + 8);
    off += 16;
    if (off + caplen > b.size()) {
      return {};
    }
    frames.emplace_back(b.begin() + static_cast<long>(off),
                        b.begin() + static_cast<long>(off + caplen));
    off += caplen;
  }
  return frames;
}

// Compares `actual` with the golden file `name`, or writes it in update mode.
void ExpectGolden(const std::string& name, const std::vector<std::vector<uint8_t>>& actual) {
  const char* dir = std::getenv("VSWITCH_TEST_VECTORS");
  ASSERT_NE(dir, nullptr) << "VSWITCH_TEST_VECTORS is not set (meson test sets it)";
  const std::string path = std::string(dir) + "/" + name;
  const char* update = std::getenv("VSWITCH_UPDATE_VECTORS");
  if (update != nullptr && std::strcmp(update, "1") == 0) {
    ASSERT_TRUE(WritePcap(path, actual)) << path;
    std::printf("wrote %s: verify it with tshark (test/vectors/README.md)\n", path.c_str());
    return;
  }
  const auto golden = ReadPcap(path);
  ASSERT_THAT(golden, SizeIs(actual.size())) << "golden file " << path << " missing or unreadable";
  for (size_t i = 0; i < actual.size(); ++i) {
    EXPECT_EQ(Hex(actual[i]), Hex(golden[i])) << name << " frame " << i;
  }
}

// ------------------------------------------------------------ pure helpers

TEST(MaxInnerLenTest, SubtractsIpUdpVxlanOverhead) {
  EXPECT_EQ(MaxInnerLen(1500), 1464u);
  EXPECT_EQ(MaxInnerLen(9000), 8964u);
  EXPECT_EQ(MaxInnerLen(576), 540u);
}

TEST(MaxInnerLenTest, MtuNotAboveOverheadLeavesNothing) {
  EXPECT_EQ(MaxInnerLen(37), 1u);
  EXPECT_EQ(MaxInnerLen(36), 0u);
  EXPECT_EQ(MaxInnerLen(0), 0u);
}

TEST(InnerLenForTest, FrameThatFitsIsKeptWhole) {
  EXPECT_EQ(InnerLenFor(1000, 0, 1500), 1000u);
  EXPECT_EQ(InnerLenFor(1464, 0, 1500), 1464u);
}

TEST(InnerLenForTest, TruncateCutsTheFrame) { EXPECT_EQ(InnerLenFor(1000, 128, 1500), 128u); }

TEST(InnerLenForTest, TruncateLongerThanFrameKeepsFrame) {
  EXPECT_EQ(InnerLenFor(100, 128, 1500), 100u);
  EXPECT_EQ(InnerLenFor(128, 128, 1500), 128u);
}

TEST(InnerLenForTest, MtuCutsBelowTruncate) {
  EXPECT_EQ(InnerLenFor(9000, 0, 1500), 1464u);
  EXPECT_EQ(InnerLenFor(9000, 2000, 1500), 1464u);
  EXPECT_EQ(InnerLenFor(1465, 0, 1500), 1464u);
}

TEST(EncapSrcPortTest, StaysInDynamicRange) {
  uint16_t lo = 65535;
  uint16_t hi = 0;
  std::set<uint16_t> seen;
  for (uint32_t i = 0; i < 100000; ++i) {
    const uint16_t p = EncapSrcPort(hash::SymmetricFlowHash(i, ~i, 1, 2, 17));
    lo = std::min(lo, p);
    hi = std::max(hi, p);
    seen.insert(p);
  }
  EXPECT_GE(lo, 49152);
  EXPECT_LE(hi, 65535);
  EXPECT_GT(seen.size(), 10000u) << "hashes should spread over the range";
}

TEST(EncapSrcPortTest, EndsOfRange) {
  EXPECT_EQ(EncapSrcPort(0), 49152);
  EXPECT_EQ(EncapSrcPort(16383), 65535);
  EXPECT_EQ(EncapSrcPort(16384), 49152);
  EXPECT_EQ(EncapSrcPort(0xffffffffu), 65535);
}

TEST(WriteVxlanHeaderTest, FieldsAreRight) {
  UplinkInfo up;
  up.ip_be = rte_cpu_to_be_32(kUplinkIp);
  std::memcpy(up.mac, kUplinkMac.data(), 6);
  DestInfo d;
  d.vni = 0xabcdef;
  d.udp_port = 8472;
  CollectorInfo c;
  c.ip_be = rte_cpu_to_be_32(kCollectorIp);
  std::memcpy(c.next_hop_mac, kCollectorMac.data(), 6);
  std::vector<uint8_t> h(kVxlanOverhead, 0xee);
  WriteVxlanHeader(h.data(), up, d, c, 50000, 100);

  EXPECT_EQ(std::vector<uint8_t>(h.begin(), h.begin() + 6),
            std::vector<uint8_t>(kCollectorMac.begin(), kCollectorMac.end()));
  EXPECT_EQ(std::vector<uint8_t>(h.begin() + 6, h.begin() + 12),
            std::vector<uint8_t>(kUplinkMac.begin(), kUplinkMac.end()));
  EXPECT_EQ(Be16At(h, 12), 0x0800);
  EXPECT_EQ(h[14], 0x45);
  EXPECT_EQ(Be16At(h, 16), 136) << "IPv4 total length = 20 + 8 + 8 + inner";
  EXPECT_EQ(Be16At(h, 20), 0x4000) << "DF set, no fragment offset";
  EXPECT_EQ(h[22], 64);
  EXPECT_EQ(h[23], IPPROTO_UDP);
  EXPECT_EQ(rte_raw_cksum(h.data() + 14, 20), 0xffff) << "IPv4 header checksum must verify";
  EXPECT_EQ(Be16At(h, 34), 50000);
  EXPECT_EQ(Be16At(h, 36), 8472);
  EXPECT_EQ(Be16At(h, 38), 116) << "UDP length = 8 + 8 + inner";
  EXPECT_EQ(Be16At(h, 40), 0) << "UDP checksum 0";
  EXPECT_EQ(std::vector<uint8_t>(h.begin() + 42, h.end()),
            (std::vector<uint8_t>{0x08, 0, 0, 0, 0xab, 0xcd, 0xef, 0}));
}

TEST(HashToIndexTest, InRangeAndEvenForEveryCollectorCount) {
  std::mt19937 rng(11);
  for (uint32_t n = 1; n <= kMaxCollectors; ++n) {
    std::vector<int> hits(n);
    for (int i = 0; i < 40000; ++i) {
      const uint32_t idx = HashToIndex(static_cast<uint32_t>(rng()), n);
      ASSERT_LT(idx, n);
      ++hits[idx];
    }
    for (uint32_t k = 0; k < n; ++k) {
      EXPECT_NEAR(hits[k], 40000.0 / n, 40000.0 / n * 0.1) << "n " << n << " index " << k;
    }
  }
  EXPECT_EQ(HashToIndex(0xffffffffu, 3), 2u);
  EXPECT_EQ(HashToIndex(0, 3), 0u);
}

// The checksum is computed from the field values; check it against DPDK's
// over the stored header for addresses and lengths across their ranges.
TEST(WriteVxlanHeaderTest, ChecksumMatchesDpdkForAnyAddressAndLength) {
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    UplinkInfo up{};
    up.ip_be = rng();
    DestInfo d{};
    d.vni = 1;
    CollectorInfo c{};
    c.ip_be = i == 0 ? 0xffffffffu : rng();
    const uint32_t inner = i == 1 ? 9000 : rng() % 9001;
    std::vector<uint8_t> h(kVxlanOverhead);
    WriteVxlanHeader(h.data(), up, d, c, 50000, inner);
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(h.data() + 14);
    const uint16_t got = ip->hdr_checksum;
    ip->hdr_checksum = 0;
    ASSERT_EQ(got, rte_ipv4_cksum(ip)) << "src " << up.ip_be << " dst " << c.ip_be << " len "
                                       << inner;
  }
}

TEST(WriteVxlanHeaderTest, MarkedCopyCarriesGbpPolicyId) {
  UplinkInfo up;
  DestInfo d;
  d.vni = 0x123456;
  d.mark_copies = true;
  CollectorInfo c;
  std::vector<uint8_t> h(kVxlanOverhead, 0xee);
  WriteVxlanHeader(h.data(), up, d, c, 50000, 100, CopyPolicyId(kDirToVm, 0x1234));
  // G and I flags, policy id = RX bit | vport id, then the VNI.
  EXPECT_EQ(std::vector<uint8_t>(h.begin() + 42, h.end()),
            (std::vector<uint8_t>{0x88, 0, 0x92, 0x34, 0x12, 0x34, 0x56, 0}));
}

TEST(WriteVxlanHeaderTest, UnmarkedDestinationIgnoresPolicyId) {
  UplinkInfo up;
  DestInfo d;
  d.vni = 7;
  CollectorInfo c;
  std::vector<uint8_t> h(kVxlanOverhead, 0xee);
  WriteVxlanHeader(h.data(), up, d, c, 50000, 100, CopyPolicyId(kDirToVm, 5));
  EXPECT_EQ(std::vector<uint8_t>(h.begin() + 42, h.end()),
            (std::vector<uint8_t>{0x08, 0, 0, 0, 0, 0, 7, 0}));
}

TEST(CopyPolicyIdTest, DirectionBitAndVportId) {
  EXPECT_EQ(CopyPolicyId(kDirFromVm, 3), 0x0003);
  EXPECT_EQ(CopyPolicyId(kDirToVm, 3), 0x8003);
  EXPECT_EQ(CopyPolicyId(kDirToVm, 0x7fff), 0xffff);
}

// ------------------------------------------------------------ flow hash

TEST(SymmetricFlowHashTest, SwappedEndpointsHashTheSame) {
  const uint32_t a = rte_cpu_to_be_32(RTE_IPV4(10, 1, 0, 1));
  const uint32_t b = rte_cpu_to_be_32(RTE_IPV4(10, 1, 0, 2));
  EXPECT_EQ(hash::SymmetricFlowHash(a, b, 1000, 53, 17),
            hash::SymmetricFlowHash(b, a, 53, 1000, 17));
  EXPECT_EQ(hash::SymmetricFlowHash(a, b, 0, 0, 1), hash::SymmetricFlowHash(b, a, 0, 0, 1));
}

class InnerFlowHashTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { pool_ = vswitch::testing::MakeTestPool("ifh", 63).release(); }
  static void TearDownTestSuite() {
    rte_mempool_free(pool_);
    pool_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(pool_, nullptr); }

  uint32_t HashOf(const std::vector<uint8_t>& frame) {
    rte_mbuf* m = MbufFromBytes(pool_, frame);
    EXPECT_NE(m, nullptr);
    if (m == nullptr) {
      return 0;
    }
    const uint32_t h = InnerFlowHash(m);
    rte_pktmbuf_free(m);
    return h;
  }

  static rte_mempool* pool_;
};
rte_mempool* InnerFlowHashTest::pool_ = nullptr;

constexpr uint32_t kIpA = RTE_IPV4(10, 1, 0, 1);
constexpr uint32_t kIpB = RTE_IPV4(10, 1, 0, 2);

TEST_F(InnerFlowHashTest, Ipv4BothDirectionsHashTheSame) {
  EXPECT_EQ(HashOf(InnerUdpFrame(kVmB, kVmA, kIpA, kIpB, 40000, 53, 20)),
            HashOf(InnerUdpFrame(kVmA, kVmB, kIpB, kIpA, 53, 40000, 20)));
}

TEST_F(InnerFlowHashTest, Ipv4HashIgnoresMacs) {
  EXPECT_EQ(HashOf(InnerUdpFrame(kVmB, kVmA, kIpA, kIpB, 40000, 53, 20)),
            HashOf(InnerUdpFrame(TestMac(9), TestMac(8), kIpA, kIpB, 40000, 53, 20)));
}

TEST_F(InnerFlowHashTest, Ipv4DifferentFlowsHashDifferently) {
  const uint32_t h = HashOf(InnerUdpFrame(kVmB, kVmA, kIpA, kIpB, 40000, 53, 20));
  EXPECT_NE(h, HashOf(InnerUdpFrame(kVmB, kVmA, kIpA, kIpB, 40001, 53, 20)));
  EXPECT_NE(h, HashOf(InnerUdpFrame(kVmB, kVmA, kIpA, RTE_IPV4(10, 1, 0, 3), 40000, 53, 20)));
}

std::vector<uint8_t> Udp6Frame(const Mac& dst, const Mac& src, uint16_t a, uint16_t b,
                               uint16_t sport, uint16_t dport) {
  return FrameBuilder()
      .Eth(dst, src)
      .EtherType(0x86dd)
      .Ipv6({.src = vswitch::testing::TestIpv6(a), .dst = vswitch::testing::TestIpv6(b)})
      .L4Ports(sport, dport)
      .Fill(4, 0)
      .Fill(20, 0)
      .Build();
}

TEST_F(InnerFlowHashTest, Ipv6BothDirectionsHashTheSameAndIgnoreMacs) {
  const uint32_t h = HashOf(Udp6Frame(kVmB, kVmA, 1, 2, 40000, 53));
  EXPECT_EQ(h, HashOf(Udp6Frame(kVmA, kVmB, 2, 1, 53, 40000)));
  EXPECT_EQ(h, HashOf(Udp6Frame(TestMac(9), TestMac(8), 1, 2, 40000, 53)));
}

TEST_F(InnerFlowHashTest, Ipv6DifferentFlowsHashDifferently) {
  const uint32_t h = HashOf(Udp6Frame(kVmB, kVmA, 1, 2, 40000, 53));
  EXPECT_NE(h, HashOf(Udp6Frame(kVmB, kVmA, 1, 2, 40001, 53)));
  EXPECT_NE(h, HashOf(Udp6Frame(kVmB, kVmA, 1, 3, 40000, 53)));
}

TEST_F(InnerFlowHashTest, NonIpBothDirectionsHashTheSame) {
  EXPECT_EQ(HashOf(ExperimentalFrame(kVmB, kVmA, 60)), HashOf(ExperimentalFrame(kVmA, kVmB, 60)));
}

TEST_F(InnerFlowHashTest, NonIpDifferentMacPairsHashDifferently) {
  EXPECT_NE(HashOf(ExperimentalFrame(kVmB, kVmA, 60)),
            HashOf(ExperimentalFrame(TestMac(3), kVmA, 60)));
}

TEST_F(InnerFlowHashTest, ArpHashesOnTheMacPair) {
  // ARP has no IPv4 header: A<->B framed both ways hash the same; a
  // request to broadcast is another MAC pair.
  std::vector<uint8_t> req = ArpRequest(kVmA);
  std::vector<uint8_t> reply = req;
  std::memcpy(reply.data(), kVmA.data(), 6);
  std::memcpy(reply.data() + 6, kVmB.data(), 6);
  std::vector<uint8_t> reply_rev = reply;
  std::memcpy(reply_rev.data(), kVmB.data(), 6);
  std::memcpy(reply_rev.data() + 6, kVmA.data(), 6);
  EXPECT_EQ(HashOf(reply), HashOf(reply_rev));
  EXPECT_NE(HashOf(req), HashOf(reply));
}

// ------------------------------------------------------------ TrimChain

class TrimChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = vswitch::testing::MakeTestPool("trim", 63);
    clones_ = vswitch::testing::MakeTestPool("trim_cl", 63);
    ASSERT_NE(pool_, nullptr);
    ASSERT_NE(clones_, nullptr);
  }
  void TearDown() override {
    EXPECT_EQ(rte_mempool_in_use_count(pool_.get()), 0u);
    EXPECT_EQ(rte_mempool_in_use_count(clones_.get()), 0u);
  }

  // A chain of `n` segments of `seg_len` bytes each (bytes 0, 1, 2, ...).
  rte_mbuf* Chain(int n, uint16_t seg_len) {
    std::vector<uint8_t> bytes(static_cast<size_t>(n) * seg_len);
    for (size_t i = 0; i < bytes.size(); ++i) {
      bytes[i] = static_cast<uint8_t>(i);
    }
    rte_mbuf* head = MbufChain(pool_.get(), bytes, std::vector<size_t>(n, seg_len));
    EXPECT_NE(head, nullptr);
    return head;
  }

  dpdk::MempoolPtr pool_;
  dpdk::MempoolPtr clones_;
};

TEST_F(TrimChainTest, SingleSegmentCloneIsCutOriginalUntouched) {
  rte_mbuf* orig = Chain(1, 200);
  const std::vector<uint8_t> before = ChainBytes(orig);
  rte_mbuf* c = rte_pktmbuf_clone(orig, clones_.get());
  ASSERT_NE(c, nullptr);
  TrimChain(c, 64);
  EXPECT_EQ(c->pkt_len, 64u);
  EXPECT_EQ(c->data_len, 64u);
  EXPECT_EQ(c->nb_segs, 1);
  EXPECT_EQ(ChainBytes(c), std::vector<uint8_t>(before.begin(), before.begin() + 64));
  EXPECT_EQ(orig->pkt_len, 200u);
  EXPECT_EQ(orig->data_len, 200u);
  EXPECT_EQ(ChainBytes(orig), before);
  rte_pktmbuf_free(c);
  EXPECT_EQ(rte_mbuf_refcnt_read(orig), 1);
  rte_pktmbuf_free(orig);
}

TEST_F(TrimChainTest, LengthNotBelowPacketIsNoOp) {
  rte_mbuf* orig = Chain(2, 100);
  rte_mbuf* c = rte_pktmbuf_clone(orig, clones_.get());
  ASSERT_NE(c, nullptr);
  TrimChain(c, 200);
  EXPECT_EQ(c->pkt_len, 200u);
  EXPECT_EQ(c->nb_segs, 2);
  TrimChain(c, 5000);
  EXPECT_EQ(c->pkt_len, 200u);
  EXPECT_EQ(c->nb_segs, 2);
  EXPECT_EQ(rte_mempool_in_use_count(clones_.get()), 2u);
  rte_pktmbuf_free(c);
  rte_pktmbuf_free(orig);
}

TEST_F(TrimChainTest, CutInsideSecondSegmentFreesTheRest) {
  rte_mbuf* orig = Chain(3, 100);
  const std::vector<uint8_t> before = ChainBytes(orig);
  rte_mbuf* c = rte_pktmbuf_clone(orig, clones_.get());
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->nb_segs, 3);
  ASSERT_EQ(rte_mempool_in_use_count(clones_.get()), 3u);
  TrimChain(c, 150);
  EXPECT_EQ(c->pkt_len, 150u);
  EXPECT_EQ(c->nb_segs, 2);
  EXPECT_EQ(c->data_len, 100u);
  ASSERT_NE(c->next, nullptr);
  EXPECT_EQ(c->next->data_len, 50u);
  EXPECT_EQ(c->next->next, nullptr);
  EXPECT_EQ(rte_mempool_in_use_count(clones_.get()), 2u) << "the third clone segment is freed";
  EXPECT_EQ(ChainBytes(c), std::vector<uint8_t>(before.begin(), before.begin() + 150));
  // The original chain (shared data) is whole.
  EXPECT_EQ(orig->pkt_len, 300u);
  EXPECT_EQ(orig->nb_segs, 3);
  EXPECT_EQ(ChainBytes(orig), before);
  EXPECT_EQ(rte_mbuf_refcnt_read(orig->next->next), 1) << "freed clone released its reference";
  rte_pktmbuf_free(c);
  rte_pktmbuf_free(orig);
}

TEST_F(TrimChainTest, CutAtSegmentBoundaryKeepsWholeSegments) {
  rte_mbuf* orig = Chain(3, 100);
  const std::vector<uint8_t> before = ChainBytes(orig);
  rte_mbuf* c = rte_pktmbuf_clone(orig, clones_.get());
  ASSERT_NE(c, nullptr);
  TrimChain(c, 100);
  EXPECT_EQ(c->pkt_len, 100u);
  EXPECT_EQ(c->nb_segs, 1);
  EXPECT_EQ(c->data_len, 100u);
  EXPECT_EQ(c->next, nullptr);
  EXPECT_EQ(rte_mempool_in_use_count(clones_.get()), 1u);
  EXPECT_EQ(ChainBytes(orig), before);
  rte_pktmbuf_free(c);
  EXPECT_EQ(rte_mbuf_refcnt_read(orig), 1);
  rte_pktmbuf_free(orig);
}

TEST_F(TrimChainTest, CutInFirstSegmentOfChainFreesAllOthers) {
  rte_mbuf* orig = Chain(3, 100);
  const std::vector<uint8_t> before = ChainBytes(orig);
  rte_mbuf* c = rte_pktmbuf_clone(orig, clones_.get());
  ASSERT_NE(c, nullptr);
  TrimChain(c, 60);
  EXPECT_EQ(c->pkt_len, 60u);
  EXPECT_EQ(c->nb_segs, 1);
  EXPECT_EQ(c->data_len, 60u);
  EXPECT_EQ(rte_mempool_in_use_count(clones_.get()), 1u);
  EXPECT_EQ(ChainBytes(c), std::vector<uint8_t>(before.begin(), before.begin() + 60));
  EXPECT_EQ(ChainBytes(orig), before);
  rte_pktmbuf_free(c);
  rte_pktmbuf_free(orig);
}

// ------------------------------------------------------------ EncapWorker::Poll

class EncapWorkerTest : public ::testing::Test {
 protected:
  static constexpr const char* kUplinkName = "net_ring_encap_up";

  static void SetUpTestSuite() {
    ASSERT_GE(RegisterMirrorMeta(), 0);
    pool_ = vswitch::testing::MakeTestPool("encap", 4095).release();
    ASSERT_NE(pool_, nullptr);
    auto port = vswitch::testing::StartRingPort(kUplinkName, pool_);
    ASSERT_TRUE(port.ok()) << port.status();
    uplink_ = *port;
    ready_ = true;
  }

  static void TearDownTestSuite() {
    if (ready_) {
      vswitch::testing::StopRingPort(uplink_, kUplinkName);
    }
    rte_mempool_free(pool_);
    pool_ = nullptr;
    ready_ = false;
  }

  void SetUp() override {
    ASSERT_TRUE(ready_) << "uplink port did not start";
    vswitch::testing::FreeAll(vswitch::testing::DrainPort(uplink_));
    clones_ = vswitch::testing::MakeTestPool("encap_cl", 1023);
    headers_ = vswitch::testing::MakeTestPool("encap_hdr", 255);
    ASSERT_NE(clones_, nullptr);
    ASSERT_NE(headers_, nullptr);
    pool_check_ = std::make_unique<vswitch::testing::MempoolLeakCheck>(pool_);
    stats_ = std::make_unique<LcoreStats>();
    fwd_stats_ = std::make_unique<LcoreStats>();
    snap_ = MakeSnapshot(1);
  }

  void TearDown() override {
    vswitch::testing::FreeAll(vswitch::testing::DrainPort(uplink_));
    for (rte_ring* r : rings_) {
      void* obj;
      while (rte_ring_sc_dequeue(r, &obj) == 0) {
        rte_pktmbuf_free(static_cast<rte_mbuf*>(obj));
      }
      rte_ring_free(r);
    }
    rings_.clear();
    snap_.reset();
    EXPECT_EQ(pool_check_->Leaked(), 0);
    EXPECT_EQ(rte_mempool_in_use_count(clones_.get()), 0u) << "a copy leaked";
    EXPECT_EQ(rte_mempool_in_use_count(headers_.get()), 0u) << "a header mbuf leaked";
  }

  rte_ring* NewRing(unsigned size = 256) {
    const std::string name = "encap_r" + std::to_string(ring_seq_++);
    rte_ring* r = rte_ring_create(name.c_str(), size, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    EXPECT_NE(r, nullptr);
    rings_.push_back(r);
    return r;
  }

  // Uplink up (mtu 1500), one destination (VNI 5000, port 4789, one
  // resolved collector) with `n_workers` rings, one unlimited session.
  std::unique_ptr<Snapshot> MakeSnapshot(uint64_t generation, uint16_t n_workers = 1) {
    auto s = std::make_unique<Snapshot>();
    s->generation = generation;
    s->cache_tag = generation;
    s->struct_tag = generation;
    s->uplink.present = true;
    s->uplink.port = uplink_;
    s->uplink.encap_queue = 0;
    s->uplink.mtu = 1500;
    s->uplink.ip_be = rte_cpu_to_be_32(kUplinkIp);
    std::memcpy(s->uplink.mac, kUplinkMac.data(), 6);
    DestInfo d;
    d.id = kDestId;
    d.slot = kDestSlot;
    d.vni = kVni;
    d.udp_port = 4789;
    d.n_collectors = 1;
    d.collectors[0].ip_be = rte_cpu_to_be_32(kCollectorIp);
    d.collectors[0].resolved = true;
    std::memcpy(d.collectors[0].next_hop_mac, kCollectorMac.data(), 6);
    for (uint16_t w = 0; w < n_workers; ++w) {
      d.rings[w] = NewRing();
    }
    s->dests.push_back(d);
    SessionInfo si;
    si.id = kSessionId;
    si.slot = kSessionSlot;
    si.n_dests = 1;
    si.dests[0] = 0;
    s->sessions.push_back(si);
    return s;
  }

  // Mirrors `m` (then frees the primary: the copy holds its own reference)
  // through the real MirrorStage of forwarding worker `worker`.
  // `sessions`: bits of snap_->sessions (default: the first session).
  void Mirror(rte_mbuf* m, uint16_t worker = 0, uint32_t sessions = 1u) {
    ASSERT_NE(m, nullptr);
    MirrorStage stage(worker, clones_.get(), fwd_stats_.get());
    stage.Stage(*snap_, m, sessions, kDirFromVm, kVportId, rte_rdtsc());
    rte_pktmbuf_free(m);
  }
  void Mirror(const std::vector<uint8_t>& frame, uint16_t worker = 0, uint32_t sessions = 1u) {
    Mirror(MbufFromBytes(pool_, frame), worker, sessions);
  }

  // Everything the uplink sent, as bytes (mbufs freed).
  std::vector<std::vector<uint8_t>> Sent() {
    std::vector<std::vector<uint8_t>> out;
    for (rte_mbuf* m : vswitch::testing::DrainPort(uplink_)) {
      EXPECT_EQ(m->pkt_len, rte_pktmbuf_pkt_len(m));
      const std::vector<uint8_t> b = ChainBytes(m);
      EXPECT_EQ(b.size(), m->pkt_len) << "pkt_len must equal the sum of the segments";
      out.push_back(b);
      rte_pktmbuf_free(m);
    }
    return out;
  }

  uint32_t Poll(EncapWorker& w) { return w.Poll(*snap_, rte_get_tsc_cycles(), 64); }

  const MirrorSlotCounters& Session() const { return stats_->sessions[kSessionSlot]; }
  const MirrorSlotCounters& Dest() const { return stats_->dests[kDestSlot]; }

  static rte_mempool* pool_;
  static uint16_t uplink_;
  static bool ready_;
  static int ring_seq_;
  dpdk::MempoolPtr clones_;
  dpdk::MempoolPtr headers_;
  std::unique_ptr<vswitch::testing::MempoolLeakCheck> pool_check_;
  std::unique_ptr<LcoreStats> stats_;
  std::unique_ptr<LcoreStats> fwd_stats_;
  std::vector<rte_ring*> rings_;
  std::unique_ptr<Snapshot> snap_;
};
rte_mempool* EncapWorkerTest::pool_ = nullptr;
uint16_t EncapWorkerTest::uplink_ = 0;
bool EncapWorkerTest::ready_ = false;
int EncapWorkerTest::ring_seq_ = 0;

TEST_F(EncapWorkerTest, UdpFrameMatchesGolden) {
  // Ports without a Wireshark dissector, so the payload is plain data.
  Mirror(InnerUdpFrame(kVmB, kVmA, kIpA, kIpB, 41000, 42000, 32));
  EncapWorker w(1, headers_.get(), stats_.get());
  EXPECT_EQ(Poll(w), 1u);
  ExpectGolden("vxlan_udp_ipv4.pcap", Sent());
}

TEST_F(EncapWorkerTest, ArpFrameMatchesGolden) {
  Mirror(ArpRequest(kVmA));
  EncapWorker w(1, headers_.get(), stats_.get());
  EXPECT_EQ(Poll(w), 1u);
  ExpectGolden("vxlan_arp.pcap", Sent());
}

// A two-segment primary cut by the session's truncation inside its second
// segment, to a destination with a high VNI and a non-default port.
TEST_F(EncapWorkerTest, TruncatedChainedFrameMatchesGolden) {
  snap_->dests[0].vni = 0xabcdef;
  snap_->dests[0].udp_port = 8472;
  snap_->sessions[0].truncate = 128;
  const std::vector<uint8_t> frame = ExperimentalFrame(kVmB, kVmA, 300);
  rte_mbuf* head = MbufFromBytes(pool_, std::vector<uint8_t>(frame.begin(), frame.begin() + 100));
  rte_mbuf* tail = MbufFromBytes(pool_, std::vector<uint8_t>(frame.begin() + 100, frame.end()));
  ASSERT_NE(head, nullptr);
  ASSERT_NE(tail, nullptr);
  ASSERT_EQ(rte_pktmbuf_chain(head, tail), 0);
  Mirror(head);
  EncapWorker w(1, headers_.get(), stats_.get());
  EXPECT_EQ(Poll(w), 1u);
  const auto sent = Sent();
  ASSERT_THAT(sent, SizeIs(1));
  EXPECT_EQ(sent[0].size(), kVxlanOverhead + 128u);
  EXPECT_EQ(std::vector<uint8_t>(sent[0].begin() + kVxlanOverhead, sent[0].end()),
            std::vector<uint8_t>(frame.begin(), frame.begin() + 128));
  ExpectGolden("vxlan_truncated_chain.pcap", sent);
}

TEST_F(EncapWorkerTest, SentCopyIsCounted) {
  const auto frame = InnerUdpFrame(kVmB, kVmA, kIpA, kIpB, 40000, 53, 32);
  Mirror(frame);
  EncapWorker w(1, headers_.get(), stats_.get());
  Poll(w);
  ASSERT_THAT(Sent(), SizeIs(1));
  const uint64_t wire = kVxlanOverhead + frame.size();
  EXPECT_EQ(Session().sent_packets.Load(), 1u);
  EXPECT_EQ(Session().sent_bytes.Load(), wire);
  EXPECT_EQ(Dest().sent_packets.Load(), 1u);
  EXPECT_EQ(Dest().sent_bytes.Load(), wire);
  EXPECT_EQ(stats_->ports[uplink_].tx_packets.Load(), 1u);
  EXPECT_EQ(stats_->ports[uplink_].tx_bytes.Load(), wire);
  EXPECT_EQ(Session().truncated.Load(), 0u);
  EXPECT_EQ(Session().no_next_hop.Load(), 0u);
}

TEST_F(EncapWorkerTest, CopiesOfEveryWorkerRingAreSent) {
  snap_ = MakeSnapshot(1, 3);
  Mirror(InnerUdpFrame(kVmB, kVmA, kIpA, kIpB, 1, 2, 20), 0);
  Mirror(InnerUdpFrame(kVmB, kVmA, kIpA, kIpB, 3, 4, 20), 2);
  Mirror(InnerUdpFrame(kVmB, kVmA, kIpA, kIpB, 5, 6, 20), 2);
  EncapWorker w(3, headers_.get(), stats_.get());
  EXPECT_EQ(Poll(w), 3u);
  EXPECT_THAT(Sent(), SizeIs(3));
  EXPECT_EQ(Dest().sent_packets.Load(), 3u);
}

TEST_F(EncapWorkerTest, PrimaryIsUntouchedByEncap) {
  const auto frame = InnerUdpFrame(kVmB, kVmA, kIpA, kIpB, 40000, 53, 32);
  rte_mbuf* primary = MbufFromBytes(pool_, frame);
  ASSERT_NE(primary, nullptr);
  MirrorStage stage(0, clones_.get(), fwd_stats_.get());
  snap_->sessions[0].truncate = 64;  // The copy gets cut; the primary must not.
  stage.Stage(*snap_, primary, 1u, kDirFromVm, kVportId, 0);
  EncapWorker w(1, headers_.get(), stats_.get());
  Poll(w);
  EXPECT_EQ(primary->pkt_len, frame.size());
  EXPECT_EQ(primary->data_len, frame.size());
  EXPECT_EQ(ChainBytes(primary), frame);
  ASSERT_THAT(Sent(), SizeIs(1));  // Frees the copy.
  EXPECT_EQ(rte_mbuf_refcnt_read(primary), 1);
  rte_pktmbuf_free(primary);
}

TEST_F(EncapWorkerTest, UnresolvedCollectorCountsNoNextHopAndFreesCopy) {
  snap_->dests[0].collectors[0].resolved = false;
  Mirror(InnerUdpFrame(kVmB, kVmA, kIpA, kIpB, 40000, 53, 32));
  EncapWorker w(1, headers_.get(), stats_.get());
  EXPECT_EQ(Poll(w), 1u);
  EXPECT_THAT(Sent(), SizeIs(0));
  EXPECT_EQ(Session().no_next_hop.Load(), 1u);
  EXPECT_EQ(Dest().no_next_hop.Load(), 1u);
  EXPECT_EQ(Session().sent_packets.Load(), 0u);
  EXPECT_EQ(rte_mempool_in_use_count(clones_.get()), 0u);
  EXPECT_EQ(rte_mempool_in_use_count(headers_.get()), 0u);
}

TEST_F(EncapWorkerTest, AbsentUplinkCountsNoNextHop) {
  snap_->uplink.present = false;
  Mirror(InnerUdpFrame(kVmB, kVmA, kIpA, kIpB, 40000, 53, 32));
  EncapWorker w(1, headers_.get(), stats_.get());
  Poll(w);
  EXPECT_THAT(Sent(), SizeIs(0));
  EXPECT_EQ(Session().no_next_hop.Load(), 1u);
  EXPECT_EQ(Dest().no_next_hop.Load(), 1u);
}

TEST_F(EncapWorkerTest, RateLimitDropsExcessOfOneBurst) {
  // rate 10 pps: bucket of max(rate / 10, kMaxBurst) = 32 tokens. Two
  // worker rings of 32 copies each, polled at one instant: 32 pass.
  snap_ = MakeSnapshot(1, 2);
  snap_->sessions[0].rate_pps = 10;
  EncapWorker w(2, headers_.get(), stats_.get());
  EXPECT_EQ(Poll(w), 0u);  // Takes the snapshot: configures the meter now.
  for (uint16_t worker = 0; worker < 2; ++worker) {
    for (int i = 0; i < kMaxBurst; ++i) {
      Mirror(InnerUdpFrame(kVmB, kVmA, kIpA, kIpB, static_cast<uint16_t>(1000 + i), 53, 20),
             worker);
    }
  }
  EXPECT_EQ(w.Poll(*snap_, rte_get_tsc_cycles(), kMaxBurst), 2u * kMaxBurst);
  EXPECT_THAT(Sent(), SizeIs(kMaxBurst));
  EXPECT_EQ(Session().rate_limited.Load(), uint64_t{kMaxBurst});
  EXPECT_EQ(Dest().rate_limited.Load(), uint64_t{kMaxBurst});
  EXPECT_EQ(Session().sent_packets.Load(), uint64_t{kMaxBurst});
}

TEST_F(EncapWorkerTest, UnlimitedSessionSendsEveryCopy) {
  snap_ = MakeSnapshot(1, 2);
  EncapWorker w(2, headers_.get(), stats_.get());
  for (uint16_t worker = 0; worker < 2; ++worker) {
    for (int i = 0; i < kMaxBurst; ++i) {
      Mirror(InnerUdpFrame(kVmB, kVmA, kIpA, kIpB, static_cast<uint16_t>(1000 + i), 53, 20),
             worker);
    }
  }
  EXPECT_EQ(Poll(w), 2u * kMaxBurst);
  EXPECT_THAT(Sent(), SizeIs(2 * kMaxBurst));
  EXPECT_EQ(Session().rate_limited.Load(), 0u);
}

TEST_F(EncapWorkerTest, SessionTruncationIsCounted) {
  snap_->sessions[0].truncate = 64;
  Mirror(InnerUdpFrame(kVmB, kVmA, kIpA, kIpB, 40000, 53, 200));
  EncapWorker w(1, headers_.get(), stats_.get());
  Poll(w);
  const auto sent = Sent();
  ASSERT_THAT(sent, SizeIs(1));
  EXPECT_EQ(sent[0].size(), kVxlanOverhead + 64u);
  EXPECT_EQ(Be16At(sent[0], 16), kVxlanIpOverhead + 64) << "outer IPv4 total length";
  EXPECT_EQ(Be16At(sent[0], 38), 16 + 64) << "outer UDP length";
  EXPECT_EQ(Session().truncated.Load(), 1u);
  EXPECT_EQ(Dest().truncated.Load(), 1u);
  EXPECT_EQ(Session().sent_bytes.Load(), kVxlanOverhead + 64u);
}

TEST_F(EncapWorkerTest, UplinkMtuCutsTheCopy) {
  snap_->uplink.mtu = 576;
  const auto frame = ExperimentalFrame(kVmB, kVmA, 1000);
  Mirror(frame);
  EncapWorker w(1, headers_.get(), stats_.get());
  Poll(w);
  const auto sent = Sent();
  ASSERT_THAT(sent, SizeIs(1));
  EXPECT_EQ(sent[0].size(), 14u + 576u) << "outer Ethernet + one MTU of IPv4";
  EXPECT_EQ(Be16At(sent[0], 16), 576);
  EXPECT_EQ(std::vector<uint8_t>(sent[0].begin() + kVxlanOverhead, sent[0].end()),
            std::vector<uint8_t>(frame.begin(), frame.begin() + 540));
  EXPECT_EQ(Session().truncated.Load(), 1u);
}

TEST_F(EncapWorkerTest, FrameExactlyAtMtuIsNotTruncated) {
  snap_->uplink.mtu = 576;
  Mirror(ExperimentalFrame(kVmB, kVmA, 540));
  EncapWorker w(1, headers_.get(), stats_.get());
  Poll(w);
  const auto sent = Sent();
  ASSERT_THAT(sent, SizeIs(1));
  EXPECT_EQ(sent[0].size(), 14u + 576u);
  EXPECT_EQ(Session().truncated.Load(), 0u);
}

// A small frame's copy carries its outer header in its own headroom: no
// header mbuf, no chain, and the bytes are the same as a clone's.
TEST_F(EncapWorkerTest, SmallCopyGetsTheHeaderInPlaceWithoutAHeaderMbuf) {
  std::vector<rte_mbuf*> taken;
  while (rte_mbuf* m = rte_pktmbuf_alloc(headers_.get())) {
    taken.push_back(m);
  }
  const auto frame = InnerUdpFrame(kVmB, kVmA, kIpA, kIpB, 40000, 53, 32);
  ASSERT_LE(frame.size(), kCopyMaxLen);
  Mirror(frame);
  EncapWorker w(1, headers_.get(), stats_.get());
  EXPECT_EQ(Poll(w), 1u);
  std::vector<rte_mbuf*> out = vswitch::testing::DrainPort(uplink_);
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_EQ(out[0]->nb_segs, 1);
  EXPECT_EQ(out[0]->pool, clones_.get());
  const std::vector<uint8_t> bytes = ChainBytes(out[0]);
  rte_pktmbuf_free(out[0]);
  ASSERT_EQ(bytes.size(), kVxlanOverhead + frame.size());
  EXPECT_EQ(std::vector<uint8_t>(bytes.begin() + kVxlanOverhead, bytes.end()), frame);
  EXPECT_EQ(Session().clone_failed.Load(), 0u);
  EXPECT_EQ(Session().sent_packets.Load(), 1u);
  vswitch::testing::FreeAll(taken);
}

// A clone (a frame over kCopyMaxLen) needs a header mbuf.
TEST_F(EncapWorkerTest, HeaderPoolExhaustionIsCountedAndCopyFreed) {
  std::vector<rte_mbuf*> taken;
  while (rte_mbuf* m = rte_pktmbuf_alloc(headers_.get())) {
    taken.push_back(m);
  }
  Mirror(InnerUdpFrame(kVmB, kVmA, kIpA, kIpB, 40000, 53, kCopyMaxLen));
  EncapWorker w(1, headers_.get(), stats_.get());
  EXPECT_EQ(Poll(w), 1u);
  EXPECT_THAT(Sent(), SizeIs(0));
  EXPECT_EQ(Session().clone_failed.Load(), 1u);
  EXPECT_EQ(Dest().clone_failed.Load(), 1u);
  EXPECT_EQ(Session().sent_packets.Load(), 0u);
  EXPECT_EQ(rte_mempool_in_use_count(clones_.get()), 0u);
  vswitch::testing::FreeAll(taken);
}

TEST_F(EncapWorkerTest, UplinkQueueFullCountsTxDroppedAndFreesChain) {
  // Fill the uplink's TX ring (net_ring: the ring its RX reads) until it refuses.
  std::vector<rte_mbuf*> filler;
  for (;;) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    ASSERT_NE(m, nullptr);
    if (rte_eth_tx_burst(uplink_, 0, &m, 1) == 0) {
      rte_pktmbuf_free(m);
      break;
    }
    filler.push_back(m);
  }
  ASSERT_FALSE(filler.empty());
  Mirror(InnerUdpFrame(kVmB, kVmA, kIpA, kIpB, 1, 2, 20));
  Mirror(InnerUdpFrame(kVmB, kVmA, kIpA, kIpB, 3, 4, 20));
  EncapWorker w(1, headers_.get(), stats_.get());
  EXPECT_EQ(Poll(w), 2u);
  EXPECT_EQ(Session().tx_dropped.Load(), 2u);
  EXPECT_EQ(Dest().tx_dropped.Load(), 2u);
  EXPECT_EQ(Session().sent_packets.Load(), 0u);
  EXPECT_EQ(Dest().sent_packets.Load(), 0u);
  EXPECT_EQ(stats_->ports[uplink_].tx_packets.Load(), 0u);
  EXPECT_EQ(rte_mempool_in_use_count(headers_.get()), 0u);
  EXPECT_EQ(rte_mempool_in_use_count(clones_.get()), 0u);
  EXPECT_THAT(Sent(), SizeIs(filler.size())) << "only the filler was on the ring";
}

TEST_F(EncapWorkerTest, RateLimitFollowsTheSessionSlotAcrossSnapshots) {
  // Generation 2 puts another (unlimited) session first; the limited one
  // keeps its slot and its meter.
  snap_->sessions[0].rate_pps = 10;
  EncapWorker w(1, headers_.get(), stats_.get());
  EXPECT_EQ(Poll(w), 0u);
  auto next = MakeSnapshot(2);
  SessionInfo other;
  other.id = 8;
  other.slot = 6;
  other.n_dests = 1;
  next->sessions.insert(next->sessions.begin(), other);
  next->sessions[1].rate_pps = 10;
  next->dests[0].rings[0] = snap_->dests[0].rings[0];
  snap_ = std::move(next);
  for (int i = 0; i < kMaxBurst; ++i) {
    Mirror(InnerUdpFrame(kVmB, kVmA, kIpA, kIpB, static_cast<uint16_t>(1000 + i), 53, 20), 0, 0b10);
  }
  const uint64_t now = rte_get_tsc_cycles();
  w.Poll(*snap_, now, kMaxBurst);
  for (int i = 0; i < 8; ++i) {
    Mirror(InnerUdpFrame(kVmB, kVmA, kIpA, kIpB, static_cast<uint16_t>(2000 + i), 53, 20), 0, 0b10);
  }
  Mirror(InnerUdpFrame(kVmB, kVmA, kIpA, kIpB, 3000, 53, 20), 0, 0b01);  // The unlimited one.
  w.Poll(*snap_, now, kMaxBurst);
  EXPECT_THAT(Sent(), SizeIs(kMaxBurst + 1));
  EXPECT_EQ(Session().rate_limited.Load(), 8u);
  EXPECT_EQ(stats_->sessions[6].rate_limited.Load(), 0u);
  EXPECT_EQ(stats_->sessions[6].sent_packets.Load(), 1u);
}

TEST_F(EncapWorkerTest, BothDirectionsOfAFlowReachTheSameCollectorAndPort) {
  DestInfo& d = snap_->dests[0];
  d.n_collectors = 2;
  d.collectors[1].ip_be = rte_cpu_to_be_32(kCollector2Ip);
  d.collectors[1].resolved = true;
  std::memcpy(d.collectors[1].next_hop_mac, kCollector2Mac.data(), 6);
  EncapWorker w(1, headers_.get(), stats_.get());
  std::set<uint32_t> collectors_used;
  for (uint16_t port = 1000; port < 1016; ++port) {
    Mirror(InnerUdpFrame(kVmB, kVmA, kIpA, kIpB, port, 53, 20));
    Mirror(InnerUdpFrame(kVmA, kVmB, kIpB, kIpA, 53, port, 20));
    Poll(w);
    const auto sent = Sent();
    ASSERT_THAT(sent, SizeIs(2));
    // Outer destination MAC, IPv4 destination and UDP source port agree.
    EXPECT_EQ(std::vector<uint8_t>(sent[0].begin(), sent[0].begin() + 6),
              std::vector<uint8_t>(sent[1].begin(), sent[1].begin() + 6));
    EXPECT_EQ(std::vector<uint8_t>(sent[0].begin() + 30, sent[0].begin() + 34),
              std::vector<uint8_t>(sent[1].begin() + 30, sent[1].begin() + 34));
    EXPECT_EQ(Be16At(sent[0], 34), Be16At(sent[1], 34));
    collectors_used.insert(sent[0][33]);
  }
  EXPECT_EQ(collectors_used.size(), 2u) << "16 flows should use both collectors";
}

TEST_F(EncapWorkerTest, FlowsOfAnUnresolvedCollectorFailOverToAResolvedOne) {
  DestInfo& d = snap_->dests[0];
  d.n_collectors = 2;
  d.collectors[1].ip_be = rte_cpu_to_be_32(kCollector2Ip);  // Not resolved.
  d.n_live = 1;
  d.live[0] = 0;
  EncapWorker w(1, headers_.get(), stats_.get());
  for (uint16_t port = 1000; port < 1016; ++port) {
    Mirror(InnerUdpFrame(kVmB, kVmA, kIpA, kIpB, port, 53, 20));
  }
  Poll(w);
  const auto sent = Sent();
  ASSERT_THAT(sent, SizeIs(16));
  for (const auto& frame : sent) {
    EXPECT_EQ(std::vector<uint8_t>(frame.begin(), frame.begin() + 6),
              std::vector<uint8_t>(kCollectorMac.begin(), kCollectorMac.end()));
  }
  EXPECT_EQ(Session().no_next_hop.Load(), 0u);
}

}  // namespace
}  // namespace vswitch::dataplane
