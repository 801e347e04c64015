// SPDX-License-Identifier: Apache-2.0
//
// Fuzz target: ParseKey (vswitch/dataplane/parser.h) and the PacketKey (and
// IPv6 addresses) it fills, on an arbitrary frame; WalkIpv6 (ipv6.h) on its
// IPv6 header, if it has one. Input: the frame bytes.
//
// The frame sits in a heap buffer of exactly its length, behind a bare
// rte_mbuf header (ParseKey reads only buf_addr, data_off, data_len), so
// AddressSanitizer reports any read past data_len. The key is checked
// against the frame byte by byte, and must not change when bytes follow
// the frame in the buffer. No EAL needed.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "test/fuzz/fuzz_check.h"
#include "vswitch/dataplane/ipv6.h"
#include "vswitch/dataplane/packet_key.h"
#include "vswitch/dataplane/parser.h"

namespace vswitch::dataplane {
namespace {

constexpr uint16_t kInPort = 0x1234;

uint16_t Be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

PacketKey Parse(const uint8_t* buf, uint16_t len, Ipv6Addrs* addrs) {
  rte_mbuf m;
  std::memset(&m, 0, sizeof(m));
  m.buf_addr = const_cast<uint8_t*>(buf);
  m.data_off = 0;
  m.data_len = len;
  m.pkt_len = len;
  PacketKey k;
  ParseKey(&m, kInPort, &k, addrs);
  return k;
}

bool AllZero(const void* p, size_t n) {
  const auto* b = static_cast<const uint8_t*>(p);
  for (size_t i = 0; i < n; ++i) {
    if (b[i] != 0) {
      return false;
    }
  }
  return true;
}

bool IsIpv6ExtHeader(uint8_t nh) {
  return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_FRAGMENT ||
         nh == IPPROTO_DSTOPTS || nh == IPPROTO_AH;
}

// The walk of the `len` bytes at `ip`, which end where the frame does (so
// AddressSanitizer sees any read past them). False if there is no IPv6
// fixed header; else *out is the checked walk.
bool CheckIpv6Walk(const uint8_t* ip, size_t len, Ipv6Walk* out) {
  Ipv6Walk& w = *out;
  const bool valid = len >= 40 && (ip[0] >> 4) == 6;
  FUZZ_CHECK(WalkIpv6(ip, static_cast<uint32_t>(len), &w) == valid, "WalkIpv6 on %zu bytes",
             len);
  if (!valid) {
    return false;
  }
  // RFC 2675: a payload length of 0 with hop-by-hop options is a jumbogram.
  const size_t bound = Be16(ip + 4) == 0 && ip[6] == IPPROTO_HOPOPTS ? len : 40u + Be16(ip + 4);
  FUZZ_CHECK(w.end == std::min(bound, len), "end %u of %zu bytes", w.end, len);
  switch (w.upper) {
    case Ipv6Upper::kKnown:
      FUZZ_CHECK(w.l4_off >= 40 && w.l4_off <= w.end, "l4_off %u, end %u", w.l4_off, w.end);
      FUZZ_CHECK(!IsIpv6ExtHeader(w.proto), "upper layer %u is an extension header", w.proto);
      FUZZ_CHECK((w.l4_off == 40) == (ip[6] == w.proto && !IsIpv6ExtHeader(ip[6])),
                 "l4_off 40 but the fixed header's next header is %u", ip[6]);
      break;
    case Ipv6Upper::kNonFirstFragment:
      FUZZ_CHECK(w.fragment, "a later fragment without a fragment header");
      break;
    case Ipv6Upper::kUnknown:
      FUZZ_CHECK(IsIpv6ExtHeader(ip[6]), "unknown upper layer without extension headers");
      break;
  }
  return true;
}

// An IPv6 key against its header `ip` and the (checked) walk `w`.
void CheckIpv6Key(const uint8_t* ip, const Ipv6Walk& w, const PacketKey& k,
                  const Ipv6Addrs& a) {
  FUZZ_CHECK(std::memcmp(a.src, ip + 8, 16) == 0 && std::memcmp(a.dst, ip + 24, 16) == 0,
             "IPv6 addresses differ from the header");
  auto fold = [](const uint8_t* p) {
    uint32_t x = 0;
    for (int i = 0; i < 16; i += 4) {
      uint32_t word;
      std::memcpy(&word, p + i, 4);
      x ^= word;
    }
    return x;
  };
  FUZZ_CHECK(k.src_ip == fold(ip + 8) && k.dst_ip == fold(ip + 24),
             "IPv6 digests are not the XOR of the address words");
  const uint8_t proto = w.upper == Ipv6Upper::kUnknown ? 0 : w.proto;
  FUZZ_CHECK(k.proto == proto, "proto %u, walk says %u", k.proto, proto);
  FUZZ_CHECK(((k.flags & kKeyFrag) != 0) == w.fragment, "kKeyFrag=%d, walk says %d",
             (k.flags & kKeyFrag) != 0, w.fragment);
  const bool l4 = w.upper == Ipv6Upper::kKnown && (proto == 6 || proto == 17 || proto == 132) &&
                  w.end >= w.l4_off + 4;
  FUZZ_CHECK(((k.flags & kKeyL4) != 0) == l4, "IPv6 kKeyL4=%d, walk says %d",
             (k.flags & kKeyL4) != 0, l4);
  if (l4) {
    FUZZ_CHECK(std::memcmp(&k.src_port, ip + w.l4_off, 2) == 0 &&
                   std::memcmp(&k.dst_port, ip + w.l4_off + 2, 2) == 0,
               "IPv6 ports differ from the L4 header");
  } else {
    FUZZ_CHECK(k.src_port == 0 && k.dst_port == 0, "IPv6 ports set without L4");
  }
}

// What the key must say about `f`, derived from the wire format (802.1Q /
// 802.1ad tags, at most kMaxVlanTags; IPv4 with IHL and total length sane).
void CheckAgainstFrame(const uint8_t* f, size_t len, const PacketKey& k, const Ipv6Addrs& a) {
  FUZZ_CHECK(k.in_port == kInPort, "in_port %u", k.in_port);
  FUZZ_CHECK((k.flags & ~(kKeyL2 | kKeyIpv4 | kKeyIpv6 | kKeyL4 | kKeyFrag)) == 0, "flags %#x",
             k.flags);
  FUZZ_CHECK((k.flags & (kKeyIpv4 | kKeyIpv6)) != (kKeyIpv4 | kKeyIpv6), "both IPv4 and IPv6");
  if (len < 14) {
    PacketKey rest = k;
    rest.in_port = 0;
    FUZZ_CHECK(AllZero(&rest, sizeof(rest)), "runt frame of %zu bytes left key fields set", len);
    return;
  }
  FUZZ_CHECK(k.flags & kKeyL2, "frame of %zu bytes without kKeyL2", len);
  FUZZ_CHECK(std::memcmp(k.dst_mac, f, 6) == 0 && std::memcmp(k.src_mac, f + 6, 6) == 0,
             "MACs differ from the frame");
  size_t off = 14;
  uint16_t et = Be16(f + 12);
  uint16_t tci = 0;
  int tags = 0;
  bool cut_in_tag = false;
  while ((et == 0x8100 || et == 0x88a8) && tags < kMaxVlanTags) {
    if (len < off + 4) {
      cut_in_tag = true;
      break;
    }
    if (tags == 0) {
      tci = Be16(f + off);
    }
    et = Be16(f + off + 2);
    off += 4;
    ++tags;
  }
  FUZZ_CHECK(rte_be_to_cpu_16(k.ether_type) == et, "ether_type %#x, frame says %#x",
             rte_be_to_cpu_16(k.ether_type), et);
  FUZZ_CHECK(rte_be_to_cpu_16(k.vlan_tci) == tci, "vlan_tci %#x, frame says %#x",
             rte_be_to_cpu_16(k.vlan_tci), tci);
  bool ipv4 = !cut_in_tag && et == 0x0800 && len >= off + 20;
  uint32_t ihl = 0;
  uint32_t total = 0;
  if (ipv4) {
    ihl = (f[off] & 0x0f) * 4u;
    total = Be16(f + off + 2);
    ipv4 = (f[off] >> 4) == 4 && ihl >= 20 && total >= ihl && len >= off + ihl;
  }
  FUZZ_CHECK(((k.flags & kKeyIpv4) != 0) == ipv4, "kKeyIpv4=%d, frame says %d",
             (k.flags & kKeyIpv4) != 0, ipv4);
  if (!ipv4) {
    Ipv6Walk w;
    const bool ipv6 = !cut_in_tag && et == 0x86dd && CheckIpv6Walk(f + off, len - off, &w);
    FUZZ_CHECK(((k.flags & kKeyIpv6) != 0) == ipv6, "kKeyIpv6=%d, frame says %d",
               (k.flags & kKeyIpv6) != 0, ipv6);
    if (ipv6) {
      CheckIpv6Key(f + off, w, k, a);
      return;
    }
    FUZZ_CHECK(k.flags == kKeyL2, "flags %#x without IPv4", k.flags);
    FUZZ_CHECK(k.src_ip == 0 && k.dst_ip == 0 && k.proto == 0 && k.src_port == 0 &&
                   k.dst_port == 0,
               "L3/L4 fields set without IPv4");
    return;
  }
  FUZZ_CHECK(std::memcmp(&k.src_ip, f + off + 12, 4) == 0 &&
                 std::memcmp(&k.dst_ip, f + off + 16, 4) == 0,
             "addresses differ from the IPv4 header");
  FUZZ_CHECK(k.proto == f[off + 9], "proto %u, header says %u", k.proto, f[off + 9]);
  const uint16_t frag = Be16(f + off + 6);
  const bool is_frag = (frag & 0x3fff) != 0;
  FUZZ_CHECK(((k.flags & kKeyFrag) != 0) == is_frag, "kKeyFrag=%d, header says %d",
             (k.flags & kKeyFrag) != 0, is_frag);
  const bool l4 = (frag & 0x1fff) == 0 && (k.proto == 6 || k.proto == 17 || k.proto == 132) &&
                  len >= off + ihl + 4 && total >= ihl + 4;
  FUZZ_CHECK(((k.flags & kKeyL4) != 0) == l4, "kKeyL4=%d, frame says %d",
             (k.flags & kKeyL4) != 0, l4);
  if (l4) {
    FUZZ_CHECK(std::memcmp(&k.src_port, f + off + ihl, 2) == 0 &&
                   std::memcmp(&k.dst_port, f + off + ihl + 2, 2) == 0,
               "ports differ from the L4 header");
  } else {
    FUZZ_CHECK(k.src_port == 0 && k.dst_port == 0, "ports set without L4");
  }
}

}  // namespace
}  // namespace vswitch::dataplane

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vswitch::dataplane;
  // A first segment holds at most a uint16_t of data.
  const auto len = static_cast<uint16_t>(size > 65535 ? 65535 : size);
  // Exactly `len` bytes (new[0] is a valid, unreadable allocation).
  std::unique_ptr<uint8_t[]> exact(new uint8_t[len]);
  std::memcpy(exact.get(), data, len);
  Ipv6Addrs a{};
  const PacketKey k = Parse(exact.get(), len, &a);
  CheckAgainstFrame(exact.get(), len, k, a);

  // Bytes after data_len must not matter (they are another packet's, or
  // stale data in the mbuf).
  std::vector<uint8_t> tail(exact.get(), exact.get() + len);
  tail.resize(len + 128u, 0xa5);
  Ipv6Addrs a2{};
  const PacketKey k2 = Parse(tail.data(), len, &a2);
  FUZZ_CHECK(k.Equals(k2), "key depends on bytes after data_len");
  FUZZ_CHECK((k.flags & kKeyIpv6) == 0 || a.Equals(a2),
             "IPv6 addresses depend on bytes after data_len");

  // Equal keys hash equally; the L2 mask keeps exactly what it promises.
  PacketKey copy;
  std::memcpy(&copy, &k, sizeof(copy));
  FUZZ_CHECK(copy.Equals(k) && copy.Hash() == k.Hash(), "Equals/Hash disagree");
  PacketKey l2 = k;
  l2.MaskToL2();
  FUZZ_CHECK(l2.flags == (k.flags & kKeyL2) && l2.src_ip == 0 && l2.dst_ip == 0 &&
                 l2.src_port == 0 && l2.dst_port == 0 && l2.proto == 0,
             "MaskToL2 left L3/L4 state");
  FUZZ_CHECK(std::memcmp(l2.dst_mac, k.dst_mac, 6) == 0 && l2.ether_type == k.ether_type &&
                 l2.vlan_tci == k.vlan_tci && l2.in_port == k.in_port,
             "MaskToL2 changed L2 fields");
  return 0;
}
