// SPDX-License-Identifier: Apache-2.0
//
// Bounded L2/L3/L4 parser. Hot path: header-only.
#pragma once

#include <cstdint>
#include <cstring>

#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "vswitch/dataplane/ipv6.h"
#include "vswitch/dataplane/packet_key.h"

namespace vswitch::dataplane {

inline constexpr int kMaxVlanTags = 2;

namespace parser_internal {

// TCP, UDP and SCTP start with the two ports.
inline bool HasPorts(uint8_t proto) {
  return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP;
}

// Hot path. The IPv6 part of ParseKey, at `off` of a frame of `len` bytes
// whose ether type said IPv6.
inline void ParseIpv6(const uint8_t* p, uint32_t off, uint32_t len, PacketKey* key,
                      Ipv6Addrs* addrs) {
  Ipv6Walk w;
  if (!WalkIpv6(p + off, len - off, &w)) {
    return;
  }
  std::memcpy(addrs, p + off + 8, sizeof(*addrs));
  key->src_ip = Ipv6Digest(addrs->src);
  key->dst_ip = Ipv6Digest(addrs->dst);
  key->proto = w.proto;  // 0 when the chain's upper layer is unknown.
  key->flags |= static_cast<uint8_t>(kKeyIpv6 | (w.fragment ? kKeyFrag : 0));
  if (w.upper == Ipv6Upper::kKnown && HasPorts(w.proto) && w.end >= w.l4_off + 4) {
    std::memcpy(&key->src_port, p + off + w.l4_off, 2);
    std::memcpy(&key->dst_port, p + off + w.l4_off + 2, 2);
    key->flags |= kKeyL4;
  }
}

}  // namespace parser_internal

// Hot path. Fills `key` from the first segment of `m`, never reading past its
// data_len; for an IPv6 frame (kKeyIpv6) also `addrs`, which is left alone
// otherwise. A frame too short for Ethernet gets flags == 0; one whose L3 is
// malformed keeps kKeyL2 only (it is still switched on its L2 header).
inline void ParseKey(const rte_mbuf* m, uint16_t in_port, PacketKey* key, Ipv6Addrs* addrs) {
  std::memset(key, 0, sizeof(*key));
  key->in_port = in_port;
  const uint8_t* p = rte_pktmbuf_mtod(m, const uint8_t*);
  const uint32_t len = m->data_len;
  if (len < sizeof(rte_ether_hdr)) {
    return;
  }
  std::memcpy(key->dst_mac, p, 6);
  std::memcpy(key->src_mac, p + 6, 6);
  key->flags = kKeyL2;
  uint32_t off = 12;
  uint16_t et;
  std::memcpy(&et, p + off, 2);
  off += 2;
  for (int i = 0; i < kMaxVlanTags; ++i) {
    if (et != RTE_BE16(RTE_ETHER_TYPE_VLAN) && et != RTE_BE16(RTE_ETHER_TYPE_QINQ)) {
      break;
    }
    if (len < off + 4) {
      key->ether_type = et;
      return;
    }
    if (i == 0) {
      std::memcpy(&key->vlan_tci, p + off, 2);
    }
    std::memcpy(&et, p + off + 2, 2);
    off += 4;
  }
  key->ether_type = et;
  if (et != RTE_BE16(RTE_ETHER_TYPE_IPV4)) {
    if (et == RTE_BE16(RTE_ETHER_TYPE_IPV6)) {  // After IPv4: one compare on its path.
      parser_internal::ParseIpv6(p, off, len, key, addrs);
    }
    return;
  }
  if (len < off + sizeof(rte_ipv4_hdr)) {
    return;
  }
  const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(p + off);
  const uint32_t ihl = (ip->version_ihl & 0x0f) * 4u;
  const uint32_t total = rte_be_to_cpu_16(ip->total_length);
  if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(rte_ipv4_hdr) || total < ihl ||
      len < off + ihl) {
    return;
  }
  std::memcpy(&key->src_ip, &ip->src_addr, 4);
  std::memcpy(&key->dst_ip, &ip->dst_addr, 4);
  key->proto = ip->next_proto_id;
  key->flags |= kKeyIpv4;
  const uint16_t frag = rte_be_to_cpu_16(ip->fragment_offset);
  if ((frag & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0) {
    key->flags |= kKeyFrag;
    if ((frag & RTE_IPV4_HDR_OFFSET_MASK) != 0) {
      return;  // Not the first fragment: no L4 header.
    }
  }
  off += ihl;
  if (parser_internal::HasPorts(key->proto) && len >= off + 4 && total >= ihl + 4) {
    std::memcpy(&key->src_port, p + off, 2);
    std::memcpy(&key->dst_port, p + off + 2, 2);
    key->flags |= kKeyL4;
  }
}

// For callers that need no IPv6 addresses beyond their digests.
inline void ParseKey(const rte_mbuf* m, uint16_t in_port, PacketKey* key) {
  Ipv6Addrs unused;
  ParseKey(m, in_port, key, &unused);
}

}  // namespace vswitch::dataplane
