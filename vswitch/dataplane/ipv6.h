// SPDX-License-Identifier: Apache-2.0
//
// IPv6 upper-layer lookup: the walk over the extension headers a TAP rule's
// protocol and ports are matched after (RFC 8200 §4). Hot path: bounded,
// header-only, no branch on anything past the bytes it was given.
#pragma once

#include <cstdint>
#include <cstring>

#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_ip.h>

namespace vswitch::dataplane {

// More headers than this is an attack on the parser, not a real chain: the
// frame alone would bound the walk at thousands of 8-byte headers, this
// bounds its cost per packet. The upper layer of a longer chain is unknown.
inline constexpr int kMaxIpv6ExtHeaders = 8;

enum class Ipv6Upper : uint8_t {
  kKnown,             // `proto` is the upper layer; ports at `l4_off` if TCP/UDP/SCTP.
  kNonFirstFragment,  // `proto` is the fragment's next header; no L4 header here.
  kUnknown,           // Chain cut short, too long, or a header's length is bad.
};

struct Ipv6Walk {
  Ipv6Upper upper;
  uint8_t proto;
  bool fragment;    // A fragment header was seen (first or later).
  uint32_t l4_off;  // From the start of the IPv6 header; valid for kKnown.
  uint32_t end;     // 40 + payload length, cut to the bytes given.
};

// Walks the IPv6 header at `ip` with `len` readable bytes. Returns false
// (and leaves `out` alone) if there is no valid fixed header: version 6,
// 40 bytes. Otherwise fills `out`; extension headers must lie inside both
// `len` and the payload length (0 with a hop-by-hop header is a jumbogram,
// RFC 2675: bounded by `len` alone).
inline bool WalkIpv6(const uint8_t* ip, uint32_t len, Ipv6Walk* out) {
  if (len < sizeof(rte_ipv6_hdr) || (ip[0] >> 4) != 6) {
    return false;
  }
  uint16_t payload_be;
  std::memcpy(&payload_be, ip + 4, 2);
  uint8_t nh = ip[6];
  uint32_t end = sizeof(rte_ipv6_hdr) + rte_be_to_cpu_16(payload_be);
  if (payload_be == 0 && nh == IPPROTO_HOPOPTS) {
    end = len;
  }
  if (end > len) {
    end = len;
  }
  out->fragment = false;
  out->end = end;
  uint32_t off = sizeof(rte_ipv6_hdr);
  // One pass more than the bound: it may only find the upper layer.
  for (int i = 0; i <= kMaxIpv6ExtHeaders; ++i) {
    if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING && nh != IPPROTO_DSTOPTS &&
        nh != IPPROTO_AH && nh != IPPROTO_FRAGMENT) {
      out->upper = Ipv6Upper::kKnown;
      out->proto = nh;
      out->l4_off = off;
      return true;
    }
    // Every extension header is at least 8 bytes.
    if (i == kMaxIpv6ExtHeaders || end < off + 8) {
      break;
    }
    uint32_t hlen = (ip[off + 1] + 1u) * 8u;
    if (nh == IPPROTO_AH) {
      hlen = (ip[off + 1] + 2u) * 4u;  // 4-byte units, minus 2 (RFC 4302).
    } else if (nh == IPPROTO_FRAGMENT) {
      out->fragment = true;
      uint16_t fo;
      std::memcpy(&fo, ip + off + 2, 2);
      if ((rte_be_to_cpu_16(fo) & 0xfff8) != 0) {
        out->upper = Ipv6Upper::kNonFirstFragment;
        out->proto = ip[off];
        out->l4_off = 0;
        return true;
      }
      hlen = 8;
    }
    if (end < off + hlen) {
      break;
    }
    nh = ip[off];
    off += hlen;
  }
  // Chain cut short, too long, or a header's length runs past the payload.
  out->upper = Ipv6Upper::kUnknown;
  out->proto = 0;
  out->l4_off = 0;
  return true;
}

}  // namespace vswitch::dataplane
