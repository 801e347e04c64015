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

#include "vswitch/dataplane/packet_key.h"

namespace vswitch::dataplane {

inline constexpr int kMaxVlanTags = 2;

// Hot path. Fills `key` from the first segment of `m`, never reading past its
// data_len. A frame too short for Ethernet gets flags == 0; one whose L3 is
// malformed keeps kKeyL2 only (it is still switched on its L2 header).
inline void ParseKey(const rte_mbuf* m, uint16_t in_port, PacketKey* key) {
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
  if (et != RTE_BE16(RTE_ETHER_TYPE_IPV4) || len < off + sizeof(rte_ipv4_hdr)) {
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
  if ((key->proto == IPPROTO_TCP || key->proto == IPPROTO_UDP || key->proto == IPPROTO_SCTP) &&
      len >= off + 4 && total >= ihl + 4) {
    std::memcpy(&key->src_port, p + off, 2);
    std::memcpy(&key->dst_port, p + off + 2, 2);
    key->flags |= kKeyL4;
  }
}

}  // namespace vswitch::dataplane
