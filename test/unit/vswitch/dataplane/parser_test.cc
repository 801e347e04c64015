// SPDX-License-Identifier: Apache-2.0
#include "vswitch/dataplane/parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rte_byteorder.h>

#include <cstring>
#include <vector>

#include "test/testing/frame_builder.h"
#include "test/testing/mbuf_util.h"

namespace vswitch::dataplane {
namespace {

using ::testing::ElementsAreArray;
using vswitch::testing::FrameBuilder;
using vswitch::testing::Ipv4Fields;
using vswitch::testing::Ipv6Fields;
using vswitch::testing::TestIpv6;
using vswitch::testing::Mac;
using vswitch::testing::MbufAtEndOfRoom;
using vswitch::testing::MbufFromBytes;
using vswitch::testing::MbufWithHiddenTail;
using vswitch::testing::TestMac;
using vswitch::testing::UdpFrame;

constexpr uint16_t kInPort = 7;
const Mac kDst = TestMac(0x0102);
const Mac kSrc = TestMac(0x0304);

// Ethernet + IPv4 (20) + UDP; IPv4 header at 14, ports at 34.
constexpr uint32_t kIpOff = 14;
constexpr uint32_t kL4Off = 34;

class ParserTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { pool_ = vswitch::testing::MakeTestPool("parser").release(); }
  static void TearDownTestSuite() {
    rte_mempool_free(pool_);
    pool_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(pool_, nullptr); }

  // Parses `bytes` with data_len cut to `data_len`; the rest of `bytes`
  // stays in the buffer after data_len.
  PacketKey ParseCut(const std::vector<uint8_t>& bytes, uint16_t data_len) {
    rte_mbuf* m = MbufWithHiddenTail(pool_, bytes, data_len);
    EXPECT_NE(m, nullptr);
    PacketKey key;
    std::memset(&key, 0xee, sizeof(key));  // ParseKey must overwrite all of it.
    if (m != nullptr) {
      ParseKey(m, kInPort, &key);
      rte_pktmbuf_free(m);
    }
    return key;
  }
  PacketKey Parse(const std::vector<uint8_t>& bytes) {
    return ParseCut(bytes, static_cast<uint16_t>(bytes.size()));
  }
  // With the IPv6 addresses the key's digests stand for.
  PacketKey Parse6(const std::vector<uint8_t>& bytes, Ipv6Addrs* addrs) {
    rte_mbuf* m = MbufFromBytes(pool_, bytes);
    EXPECT_NE(m, nullptr);
    PacketKey key;
    std::memset(&key, 0xee, sizeof(key));
    if (m != nullptr) {
      ParseKey(m, kInPort, &key, addrs);
      rte_pktmbuf_free(m);
    }
    return key;
  }

  static rte_mempool* pool_;
};

rte_mempool* ParserTest::pool_ = nullptr;

std::vector<uint8_t> FrameWithIp(const Ipv4Fields& ip, uint16_t sport = 1111,
                                 uint16_t dport = 2222) {
  return FrameBuilder()
      .Eth(kDst, kSrc)
      .EtherType(0x0800)
      .Ipv4(ip)
      .L4Ports(sport, dport)
      .Fill(12, 0x5a)
      .Build();
}

TEST_F(ParserTest, CompleteUdpFrameFillsEveryField) {
  const PacketKey k = Parse(UdpFrame(kDst, kSrc, 1111, 2222));
  EXPECT_EQ(k.in_port, kInPort);
  EXPECT_EQ(k.flags, kKeyL2 | kKeyIpv4 | kKeyL4);
  EXPECT_THAT(k.dst_mac, ElementsAreArray(kDst));
  EXPECT_THAT(k.src_mac, ElementsAreArray(kSrc));
  EXPECT_EQ(k.ether_type, RTE_BE16(0x0800));
  EXPECT_EQ(k.src_ip, rte_cpu_to_be_32(0x0a000001));
  EXPECT_EQ(k.dst_ip, rte_cpu_to_be_32(0x0a000002));
  EXPECT_EQ(k.proto, 17);
  EXPECT_EQ(k.src_port, rte_cpu_to_be_16(1111));
  EXPECT_EQ(k.dst_port, rte_cpu_to_be_16(2222));
  EXPECT_EQ(k.vlan_tci, 0);
}

TEST_F(ParserTest, TcpFrameGivesPorts) {
  const PacketKey k = Parse(FrameWithIp({.proto = 6}, 80, 443));
  EXPECT_EQ(k.flags, kKeyL2 | kKeyIpv4 | kKeyL4);
  EXPECT_EQ(k.proto, 6);
  EXPECT_EQ(k.src_port, rte_cpu_to_be_16(80));
  EXPECT_EQ(k.dst_port, rte_cpu_to_be_16(443));
}

TEST_F(ParserTest, IcmpFrameHasNoPorts) {
  const PacketKey k = Parse(FrameWithIp({.proto = 1}));
  EXPECT_EQ(k.flags, kKeyL2 | kKeyIpv4);
  EXPECT_EQ(k.src_port, 0);
  EXPECT_EQ(k.dst_port, 0);
}

TEST_F(ParserTest, FramesShorterThanEthernetHeaderHaveNoFlags) {
  const std::vector<uint8_t> frame = UdpFrame(kDst, kSrc);
  for (uint16_t len = 0; len < 14; ++len) {
    SCOPED_TRACE(len);
    const PacketKey k = ParseCut(frame, len);
    EXPECT_EQ(k.flags, 0);
    EXPECT_EQ(k.in_port, kInPort);
    EXPECT_THAT(k.dst_mac, ElementsAreArray(Mac{}));
    EXPECT_THAT(k.src_mac, ElementsAreArray(Mac{}));
    EXPECT_EQ(k.ether_type, 0);
  }
}

TEST_F(ParserTest, EthernetHeaderOnlyGivesL2AndEtherType) {
  const PacketKey k = ParseCut(UdpFrame(kDst, kSrc), 14);
  EXPECT_EQ(k.flags, kKeyL2);
  EXPECT_EQ(k.ether_type, RTE_BE16(0x0800));
  EXPECT_THAT(k.src_mac, ElementsAreArray(kSrc));
  EXPECT_EQ(k.src_ip, 0u);
  EXPECT_EQ(k.proto, 0);
}

TEST_F(ParserTest, NonIpv4EtherTypeKeepsL2Only) {
  const auto frame = FrameBuilder().Eth(kDst, kSrc).EtherType(0x0806).Fill(28, 0x11).Build();
  const PacketKey k = Parse(frame);
  EXPECT_EQ(k.flags, kKeyL2);
  EXPECT_EQ(k.ether_type, RTE_BE16(0x0806));
  EXPECT_EQ(k.src_ip, 0u);
}

TEST_F(ParserTest, VlanTagParsesInnerIpv4AndTci) {
  const auto frame = FrameBuilder()
                         .Eth(kDst, kSrc)
                         .Tag(0x8100, 0x0064)
                         .EtherType(0x0800)
                         .Ipv4({})
                         .L4Ports(5, 6)
                         .Fill(4, 0)
                         .Build();
  const PacketKey k = Parse(frame);
  EXPECT_EQ(k.flags, kKeyL2 | kKeyIpv4 | kKeyL4);
  EXPECT_EQ(k.vlan_tci, RTE_BE16(0x0064));
  EXPECT_EQ(k.ether_type, RTE_BE16(0x0800));
  EXPECT_EQ(k.dst_port, rte_cpu_to_be_16(6));
}

TEST_F(ParserTest, CutVlanTagLeavesTpidAsEtherType) {
  const auto frame = FrameBuilder()
                         .Eth(kDst, kSrc)
                         .Tag(0x8100, 0x0064)
                         .EtherType(0x0800)
                         .Ipv4({})
                         .L4Ports(5, 6)
                         .Build();
  for (uint16_t len = 14; len < 18; ++len) {
    SCOPED_TRACE(len);
    const PacketKey k = ParseCut(frame, len);
    EXPECT_EQ(k.flags, kKeyL2);
    EXPECT_EQ(k.ether_type, RTE_BE16(0x8100));
    EXPECT_EQ(k.vlan_tci, 0);
  }
}

TEST_F(ParserTest, QinqParsesInnerIpv4AndKeepsOuterTci) {
  const auto frame = FrameBuilder()
                         .Eth(kDst, kSrc)
                         .Tag(0x88a8, 0x0123)
                         .Tag(0x8100, 0x0456)
                         .EtherType(0x0800)
                         .Ipv4({})
                         .L4Ports(5, 6)
                         .Fill(4, 0)
                         .Build();
  const PacketKey k = Parse(frame);
  EXPECT_EQ(k.flags, kKeyL2 | kKeyIpv4 | kKeyL4);
  EXPECT_EQ(k.vlan_tci, RTE_BE16(0x0123));
  EXPECT_EQ(k.ether_type, RTE_BE16(0x0800));
  EXPECT_EQ(k.src_port, rte_cpu_to_be_16(5));
}

TEST_F(ParserTest, CutInnerQinqTagLeavesInnerTpidAsEtherType) {
  const auto frame = FrameBuilder()
                         .Eth(kDst, kSrc)
                         .Tag(0x88a8, 0x0123)
                         .Tag(0x8100, 0x0456)
                         .EtherType(0x0800)
                         .Ipv4({})
                         .Build();
  const PacketKey k = ParseCut(frame, 20);
  EXPECT_EQ(k.flags, kKeyL2);
  EXPECT_EQ(k.ether_type, RTE_BE16(0x8100));
  EXPECT_EQ(k.vlan_tci, RTE_BE16(0x0123));
}

TEST_F(ParserTest, ThirdVlanTagIsNotParsed) {
  const auto frame = FrameBuilder()
                         .Eth(kDst, kSrc)
                         .Tag(0x88a8, 1)
                         .Tag(0x8100, 2)
                         .Tag(0x8100, 3)
                         .EtherType(0x0800)
                         .Ipv4({})
                         .L4Ports(5, 6)
                         .Build();
  const PacketKey k = Parse(frame);
  EXPECT_EQ(k.flags, kKeyL2);
  EXPECT_EQ(k.ether_type, RTE_BE16(0x8100));
}

TEST_F(ParserTest, CutIpv4HeaderKeepsL2Only) {
  const auto frame = UdpFrame(kDst, kSrc);
  for (uint16_t len = kIpOff; len < kIpOff + 20; ++len) {
    SCOPED_TRACE(len);
    const PacketKey k = ParseCut(frame, len);
    EXPECT_EQ(k.flags, kKeyL2);
    EXPECT_EQ(k.ether_type, RTE_BE16(0x0800));
    EXPECT_EQ(k.src_ip, 0u);
    EXPECT_EQ(k.dst_ip, 0u);
  }
}

TEST_F(ParserTest, IhlBelowFiveIsRejected) {
  for (uint8_t ihl = 0; ihl < 5; ++ihl) {
    SCOPED_TRACE(ihl);
    const PacketKey k = Parse(FrameWithIp({.ihl = ihl}));
    EXPECT_EQ(k.flags, kKeyL2);
    EXPECT_EQ(k.src_ip, 0u);
  }
}

TEST_F(ParserTest, IhlBeyondDataLenIsRejected) {
  // IHL 15 = 60 bytes of header, but only 40 of them inside data_len.
  const auto frame = FrameWithIp({.ihl = 15});
  const PacketKey k = ParseCut(frame, kIpOff + 40);
  EXPECT_EQ(k.flags, kKeyL2);
  EXPECT_EQ(k.src_ip, 0u);
}

TEST_F(ParserTest, Ipv4OptionsMovePortsBehindThem) {
  const PacketKey k = Parse(FrameWithIp({.ihl = 6}, 0x1234, 0x5678));
  EXPECT_EQ(k.flags, kKeyL2 | kKeyIpv4 | kKeyL4);
  EXPECT_EQ(k.src_port, rte_cpu_to_be_16(0x1234));
  EXPECT_EQ(k.dst_port, rte_cpu_to_be_16(0x5678));
}

TEST_F(ParserTest, TotalLengthBelowIhlIsRejected) {
  const PacketKey k = Parse(FrameWithIp({.total_length = 19}));
  EXPECT_EQ(k.flags, kKeyL2);
  EXPECT_EQ(k.src_ip, 0u);
}

TEST_F(ParserTest, IpVersionOtherThanFourIsRejected) {
  const PacketKey k = Parse(FrameWithIp({.version = 6}));
  EXPECT_EQ(k.flags, kKeyL2);
  EXPECT_EQ(k.src_ip, 0u);
}

TEST_F(ParserTest, FirstFragmentKeepsPorts) {
  const PacketKey k = Parse(FrameWithIp({.frag = 0x2000}, 10, 20));  // MF, offset 0.
  EXPECT_EQ(k.flags, kKeyL2 | kKeyIpv4 | kKeyFrag | kKeyL4);
  EXPECT_EQ(k.src_port, rte_cpu_to_be_16(10));
}

TEST_F(ParserTest, NonFirstFragmentHasNoPorts) {
  for (uint16_t frag : {uint16_t{0x0001}, uint16_t{0x2010}, uint16_t{0x1fff}}) {
    SCOPED_TRACE(frag);
    const PacketKey k = Parse(FrameWithIp({.frag = frag}, 10, 20));
    EXPECT_EQ(k.flags, kKeyL2 | kKeyIpv4 | kKeyFrag);
    EXPECT_EQ(k.src_port, 0);
    EXPECT_EQ(k.dst_port, 0);
  }
}

TEST_F(ParserTest, DontFragmentFlagIsNotAFragment) {
  const PacketKey k = Parse(FrameWithIp({.frag = 0x4000}, 10, 20));
  EXPECT_EQ(k.flags, kKeyL2 | kKeyIpv4 | kKeyL4);
}

TEST_F(ParserTest, CutL4PortsLeaveNoL4) {
  const auto frame = FrameWithIp({}, 10, 20);
  for (uint16_t len = kL4Off; len < kL4Off + 4; ++len) {
    SCOPED_TRACE(len);
    const PacketKey k = ParseCut(frame, len);
    EXPECT_EQ(k.flags, kKeyL2 | kKeyIpv4);
    EXPECT_EQ(k.src_port, 0);
    EXPECT_EQ(k.dst_port, 0);
  }
}

TEST_F(ParserTest, TotalLengthWithoutRoomForPortsLeavesNoL4) {
  const PacketKey k = Parse(FrameWithIp({.total_length = 23}, 10, 20));
  EXPECT_EQ(k.flags, kKeyL2 | kKeyIpv4);
  EXPECT_EQ(k.src_port, 0);
}

// The bytes after data_len are the rest of a real frame in one mbuf and a
// different filler in the other: a parser that looked past data_len would
// give two different keys.
TEST_F(ParserTest, KeyDependsOnlyOnBytesWithinDataLen) {
  const auto frame = FrameBuilder()
                         .Eth(kDst, kSrc)
                         .Tag(0x88a8, 0x0123)
                         .Tag(0x8100, 0x0456)
                         .EtherType(0x0800)
                         .Ipv4({.ihl = 6})
                         .L4Ports(0x1111, 0x2222)
                         .Fill(8, 0x77)
                         .Build();
  for (uint16_t len = 0; len <= frame.size(); ++len) {
    SCOPED_TRACE(len);
    std::vector<uint8_t> other(frame.begin(), frame.begin() + len);
    other.resize(frame.size(), 0xc3);
    const PacketKey a = ParseCut(frame, len);
    const PacketKey b = ParseCut(other, len);
    EXPECT_TRUE(a.Equals(b));
  }
}

TEST_F(ParserTest, FrameEndingAtEndOfDataRoomParses) {
  const auto frame = UdpFrame(kDst, kSrc, 3, 4);
  rte_mbuf* m = MbufAtEndOfRoom(pool_, frame);
  ASSERT_NE(m, nullptr);
  PacketKey at_end;
  ParseKey(m, kInPort, &at_end);
  rte_pktmbuf_free(m);
  EXPECT_TRUE(at_end.Equals(Parse(frame)));
  EXPECT_EQ(at_end.flags, kKeyL2 | kKeyIpv4 | kKeyL4);
}

TEST_F(ParserTest, RuntAtEndOfDataRoomHasNoFlags) {
  const std::vector<uint8_t> runt(13, 0x42);
  rte_mbuf* m = MbufAtEndOfRoom(pool_, runt);
  ASSERT_NE(m, nullptr);
  PacketKey k;
  ParseKey(m, kInPort, &k);
  rte_pktmbuf_free(m);
  EXPECT_EQ(k.flags, 0);
}

TEST_F(ParserTest, OnlyFirstSegmentOfChainIsParsed) {
  const auto frame = UdpFrame(kDst, kSrc);
  rte_mbuf* head = MbufWithHiddenTail(pool_, frame, 10);
  rte_mbuf* tail = MbufFromBytes(pool_, std::vector<uint8_t>(frame.begin() + 10, frame.end()));
  ASSERT_NE(head, nullptr);
  ASSERT_NE(tail, nullptr);
  ASSERT_EQ(rte_pktmbuf_chain(head, tail), 0);
  ASSERT_EQ(head->pkt_len, frame.size());
  PacketKey k;
  ParseKey(head, kInPort, &k);
  rte_pktmbuf_free(head);
  EXPECT_EQ(k.flags, 0);
}

TEST_F(ParserTest, MaskToL2KeepsOnlyL2Fields) {
  PacketKey k = Parse(UdpFrame(kDst, kSrc, 1, 2));
  k.MaskToL2();
  EXPECT_EQ(k.flags, kKeyL2);
  EXPECT_EQ(k.src_ip, 0u);
  EXPECT_EQ(k.dst_port, 0);
  EXPECT_EQ(k.proto, 0);
  EXPECT_THAT(k.src_mac, ElementsAreArray(kSrc));
  EXPECT_TRUE(k.Equals([&] {
    PacketKey o = Parse(UdpFrame(kDst, kSrc, 9, 9));
    o.MaskToL2();
    return o;
  }()));
}

// Port security checks the IPv4 source of some ports on L2 keys.
TEST_F(ParserTest, MaskToL2KeepingSourceIpKeepsOnlyItBesideL2) {
  PacketKey k = Parse(UdpFrame(kDst, kSrc, 1, 2));
  const uint32_t src_ip = k.src_ip;
  ASSERT_NE(src_ip, 0u);
  k.MaskToL2(/*keep_src_ip=*/true);
  EXPECT_EQ(k.flags, kKeyL2 | kKeyIpv4);
  EXPECT_EQ(k.src_ip, src_ip);
  EXPECT_EQ(k.dst_ip, 0u);
  EXPECT_EQ(k.src_port, 0);
  EXPECT_EQ(k.proto, 0);
  EXPECT_TRUE(k.Equals([&] {
    PacketKey o = Parse(UdpFrame(kDst, kSrc, 9, 9));
    o.MaskToL2(true);
    return o;
  }()));
}

// ------------------------------------------------------------ IPv6

std::vector<uint8_t> Udp6(uint16_t sport, uint16_t dport) {
  return FrameBuilder()
      .Eth(kDst, kSrc)
      .EtherType(0x86dd)
      .Ipv6({})
      .L4Ports(sport, dport)
      .Fill(4, 0)
      .Fill(10, 0x5a)
      .Build();
}

TEST_F(ParserTest, Ipv6UdpGivesDigestsAddressesProtocolAndPorts) {
  Ipv6Addrs a;
  const PacketKey k = Parse6(Udp6(1111, 2222), &a);
  EXPECT_EQ(k.flags, kKeyL2 | kKeyIpv6 | kKeyL4);
  EXPECT_EQ(k.ether_type, RTE_BE16(0x86dd));
  EXPECT_THAT(a.src, ElementsAreArray(TestIpv6(1)));
  EXPECT_THAT(a.dst, ElementsAreArray(TestIpv6(2)));
  EXPECT_EQ(k.src_ip, Ipv6Digest(a.src));
  EXPECT_EQ(k.dst_ip, Ipv6Digest(a.dst));
  EXPECT_NE(k.src_ip, k.dst_ip);
  EXPECT_EQ(k.proto, 17);
  EXPECT_EQ(k.src_port, rte_cpu_to_be_16(1111));
  EXPECT_EQ(k.dst_port, rte_cpu_to_be_16(2222));
}

TEST_F(ParserTest, Ipv6PortsAreFoundAfterExtensionHeaders) {
  const auto frame = FrameBuilder()
                         .Eth(kDst, kSrc)
                         .EtherType(0x86dd)
                         .Ipv6({.next_header = 0})
                         .Ipv6Options(44)
                         .Ipv6Fragment(6, 0x0001)  // First fragment, more follow.
                         .L4Ports(80, 443)
                         .Fill(16, 0)
                         .Build();
  Ipv6Addrs a;
  const PacketKey k = Parse6(frame, &a);
  EXPECT_EQ(k.flags, kKeyL2 | kKeyIpv6 | kKeyFrag | kKeyL4);
  EXPECT_EQ(k.proto, 6);
  EXPECT_EQ(k.src_port, rte_cpu_to_be_16(80));
  EXPECT_EQ(k.dst_port, rte_cpu_to_be_16(443));
}

TEST_F(ParserTest, Ipv6LaterFragmentHasProtocolButNoPorts) {
  const auto frame = FrameBuilder()
                         .Eth(kDst, kSrc)
                         .EtherType(0x86dd)
                         .Ipv6({.next_header = 44})
                         .Ipv6Fragment(17, 185 << 3)
                         .L4Ports(80, 443)
                         .Fill(16, 0)
                         .Build();
  Ipv6Addrs a;
  const PacketKey k = Parse6(frame, &a);
  EXPECT_EQ(k.flags, kKeyL2 | kKeyIpv6 | kKeyFrag);
  EXPECT_EQ(k.proto, 17);
  EXPECT_EQ(k.src_port, 0);
}

TEST_F(ParserTest, Ipv6WithUnknownUpperLayerKeepsAddressesOnly) {
  // A destination options header cut by the payload length.
  const auto frame = FrameBuilder()
                         .Eth(kDst, kSrc)
                         .EtherType(0x86dd)
                         .Ipv6({.next_header = 60, .payload_length = 4})
                         .Ipv6Options(17)
                         .L4Ports(1, 2)
                         .Build();
  Ipv6Addrs a;
  const PacketKey k = Parse6(frame, &a);
  EXPECT_EQ(k.flags, kKeyL2 | kKeyIpv6);
  EXPECT_EQ(k.proto, 0);
  EXPECT_THAT(a.dst, ElementsAreArray(TestIpv6(2)));
}

TEST_F(ParserTest, Ipv6WithoutRoomForPortsHasNoL4) {
  const auto frame = FrameBuilder()
                         .Eth(kDst, kSrc)
                         .EtherType(0x86dd)
                         .Ipv6({.payload_length = 3})
                         .L4Ports(1, 2)
                         .Build();
  Ipv6Addrs a;
  EXPECT_EQ(Parse6(frame, &a).flags, kKeyL2 | kKeyIpv6);
}

TEST_F(ParserTest, CutOrBadIpv6HeaderKeepsL2OnlyAndLeavesAddressesAlone) {
  const auto frame = Udp6(1, 2);
  for (uint16_t len = 14; len < 14 + 40; ++len) {
    SCOPED_TRACE(len);
    EXPECT_EQ(ParseCut(frame, len).flags, kKeyL2);
  }
  const auto v4_in_v6 = FrameBuilder()
                            .Eth(kDst, kSrc)
                            .EtherType(0x86dd)
                            .Ipv6({.version = 4})
                            .L4Ports(1, 2)
                            .Build();
  Ipv6Addrs a;
  std::memset(&a, 0x77, sizeof(a));
  EXPECT_EQ(Parse6(v4_in_v6, &a).flags, kKeyL2);
  EXPECT_EQ(a.src[0], 0x77);
}

TEST_F(ParserTest, VlanTaggedIpv6Parses) {
  const auto frame = FrameBuilder()
                         .Eth(kDst, kSrc)
                         .Tag(0x8100, 0x0064)
                         .EtherType(0x86dd)
                         .Ipv6({.next_header = 6})
                         .L4Ports(5, 6)
                         .Fill(16, 0)
                         .Build();
  Ipv6Addrs a;
  const PacketKey k = Parse6(frame, &a);
  EXPECT_EQ(k.flags, kKeyL2 | kKeyIpv6 | kKeyL4);
  EXPECT_EQ(k.vlan_tci, RTE_BE16(0x0064));
  EXPECT_EQ(k.dst_port, rte_cpu_to_be_16(6));
}

TEST_F(ParserTest, Ipv6BytesPastDataLenDoNotChangeTheKey) {
  const auto frame = Udp6(0x1111, 0x2222);
  for (uint16_t len = 0; len <= frame.size(); ++len) {
    SCOPED_TRACE(len);
    std::vector<uint8_t> other(frame.begin(), frame.begin() + len);
    other.resize(frame.size(), 0xc3);
    EXPECT_TRUE(ParseCut(frame, len).Equals(ParseCut(other, len)));
  }
}

TEST_F(ParserTest, MaskToL2DropsIpv6) {
  Ipv6Addrs a;
  PacketKey k = Parse6(Udp6(1, 2), &a);
  k.MaskToL2();
  EXPECT_EQ(k.flags, kKeyL2);
  EXPECT_EQ(k.dst_ip, 0u);
}

}  // namespace
}  // namespace vswitch::dataplane
