// SPDX-License-Identifier: Apache-2.0
#include "vswitch/dataplane/ipv6.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace vswitch::dataplane {
namespace {

// An IPv6 header whose payload length covers `payload`, then `payload`.
std::vector<uint8_t> Ip6(uint8_t next, const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> b(40 + payload.size(), 0);
  std::copy(payload.begin(), payload.end(), b.begin() + 40);
  b[0] = 0x60;
  b[4] = static_cast<uint8_t>(payload.size() >> 8);
  b[5] = static_cast<uint8_t>(payload.size());
  b[6] = next;
  b[7] = 64;
  b[8] = 0xfd;   // src fd00::1
  b[23] = 1;
  b[24] = 0xfd;  // dst fd00::2
  b[39] = 2;
  return b;
}

// An options header (hop-by-hop or destination) of 8 * (units + 1) bytes.
std::vector<uint8_t> Opts(uint8_t next, uint8_t units = 0) {
  std::vector<uint8_t> h(8u * (units + 1u), 0);
  h[0] = next;
  h[1] = units;
  h[2] = 1;  // PadN over the rest.
  h[3] = static_cast<uint8_t>(h.size() - 4);
  return h;
}

std::vector<uint8_t> Frag(uint8_t next, uint16_t offset_units, bool more) {
  const uint16_t v = static_cast<uint16_t>(offset_units << 3 | (more ? 1 : 0));
  return {next, 0, static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v), 0, 0, 0x12, 0x34};
}

const std::vector<uint8_t> kUdp = {0x30, 0x39, 0x00, 0x35, 0, 8, 0, 0};  // 12345 -> 53

std::vector<uint8_t> Cat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (const auto& p : parts) {
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

Ipv6Walk Walk(const std::vector<uint8_t>& b, size_t len = SIZE_MAX) {
  Ipv6Walk w{};
  w.proto = 0xee;
  EXPECT_TRUE(WalkIpv6(b.data(), static_cast<uint32_t>(std::min(len, b.size())), &w));
  return w;
}

TEST(WalkIpv6, NoExtensionHeaders) {
  const auto b = Ip6(IPPROTO_UDP, kUdp);
  const Ipv6Walk w = Walk(b);
  EXPECT_EQ(w.upper, Ipv6Upper::kKnown);
  EXPECT_EQ(w.proto, IPPROTO_UDP);
  EXPECT_EQ(w.l4_off, 40u);
  EXPECT_EQ(w.end, b.size());
  EXPECT_FALSE(w.fragment);
}

TEST(WalkIpv6, EveryExtensionHeaderKindInOneChain) {
  // Hop-by-hop, routing (type 4, 24 bytes), destination options, AH (24
  // bytes), fragment (first), destination options, then TCP.
  std::vector<uint8_t> routing(24, 0);
  routing[0] = IPPROTO_DSTOPTS;
  routing[1] = 2;
  routing[2] = 4;
  std::vector<uint8_t> ah(24, 0);
  ah[0] = IPPROTO_FRAGMENT;
  ah[1] = 4;  // (4 + 2) * 4 = 24
  const std::vector<uint8_t> tcp = {0x01, 0xbb, 0xc3, 0x50, 0, 0, 0, 0};
  const auto b = Ip6(IPPROTO_HOPOPTS, Cat({Opts(IPPROTO_ROUTING, 1), routing,
                                           Opts(IPPROTO_AH), ah, Frag(IPPROTO_DSTOPTS, 0, true),
                                           Opts(IPPROTO_TCP), tcp}));
  const Ipv6Walk w = Walk(b);
  EXPECT_EQ(w.upper, Ipv6Upper::kKnown);
  EXPECT_EQ(w.proto, IPPROTO_TCP);
  EXPECT_EQ(w.l4_off, 40u + 16 + 24 + 8 + 24 + 8 + 8);
  EXPECT_TRUE(w.fragment);
  EXPECT_EQ(b[w.l4_off], 0x01);
}

TEST(WalkIpv6, LaterFragmentHasNoPortsButKeepsItsProtocol) {
  const auto b = Ip6(IPPROTO_FRAGMENT, Cat({Frag(IPPROTO_UDP, 185, false), kUdp}));
  const Ipv6Walk w = Walk(b);
  EXPECT_EQ(w.upper, Ipv6Upper::kNonFirstFragment);
  EXPECT_EQ(w.proto, IPPROTO_UDP);
  EXPECT_TRUE(w.fragment);
}

TEST(WalkIpv6, FirstFragmentHasPorts) {
  const auto b = Ip6(IPPROTO_FRAGMENT, Cat({Frag(IPPROTO_UDP, 0, true), kUdp}));
  const Ipv6Walk w = Walk(b);
  EXPECT_EQ(w.upper, Ipv6Upper::kKnown);
  EXPECT_EQ(w.proto, IPPROTO_UDP);
  EXPECT_EQ(w.l4_off, 48u);
}

TEST(WalkIpv6, NoNextHeaderAndEspAreUpperLayers) {
  EXPECT_EQ(Walk(Ip6(IPPROTO_NONE, {})).proto, IPPROTO_NONE);
  const Ipv6Walk w = Walk(Ip6(IPPROTO_DSTOPTS, Cat({Opts(IPPROTO_ESP), kUdp})));
  EXPECT_EQ(w.upper, Ipv6Upper::kKnown);
  EXPECT_EQ(w.proto, IPPROTO_ESP);
}

TEST(WalkIpv6, ChainCutByTheBufferOrThePayloadLengthIsUnknown) {
  const auto b = Ip6(IPPROTO_HOPOPTS, Cat({Opts(IPPROTO_DSTOPTS, 1), Opts(IPPROTO_UDP), kUdp}));
  // Every cut inside the two option headers leaves the upper layer unknown.
  for (size_t len = 40; len < 40 + 16 + 8; ++len) {
    EXPECT_EQ(Walk(b, len).upper, Ipv6Upper::kUnknown) << len;
  }
  EXPECT_EQ(Walk(b, 40 + 24).upper, Ipv6Upper::kKnown);
  // A payload length shorter than the chain: the bytes past it are not read.
  auto shortened = b;
  shortened[5] = 20;
  EXPECT_EQ(Walk(shortened).upper, Ipv6Upper::kUnknown);
  EXPECT_EQ(Walk(shortened).end, 60u);
}

TEST(WalkIpv6, TooManyExtensionHeadersIsUnknown) {
  std::vector<uint8_t> chain;
  for (int i = 0; i < kMaxIpv6ExtHeaders; ++i) {
    const auto h = Opts(IPPROTO_DSTOPTS);
    chain.insert(chain.end(), h.begin(), h.end());
  }
  const auto h = Opts(IPPROTO_UDP);
  chain.insert(chain.end(), h.begin(), h.end());
  const auto b = Ip6(IPPROTO_DSTOPTS, Cat({chain, kUdp}));
  EXPECT_EQ(Walk(b).upper, Ipv6Upper::kUnknown);
  // One fewer is walked to the end.
  const auto ok = Ip6(IPPROTO_DSTOPTS,
                      Cat({std::vector<uint8_t>(chain.begin() + 8, chain.end()), kUdp}));
  EXPECT_EQ(Walk(ok).proto, IPPROTO_UDP);
}

TEST(WalkIpv6, JumbogramIsBoundedByTheBuffer) {
  auto b = Ip6(IPPROTO_HOPOPTS, Cat({Opts(IPPROTO_UDP), kUdp}));
  b[4] = b[5] = 0;
  const Ipv6Walk w = Walk(b);
  EXPECT_EQ(w.proto, IPPROTO_UDP);
  EXPECT_EQ(w.end, b.size());
}

TEST(WalkIpv6, NotIpv6) {
  Ipv6Walk w{};
  auto b = Ip6(IPPROTO_UDP, kUdp);
  EXPECT_FALSE(WalkIpv6(b.data(), 39, &w));
  b[0] = 0x45;
  EXPECT_FALSE(WalkIpv6(b.data(), static_cast<uint32_t>(b.size()), &w));
}

}  // namespace
}  // namespace vswitch::dataplane
