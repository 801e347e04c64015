// SPDX-License-Identifier: Apache-2.0
//
// VXLAN (RFC 7348) outer headers, written and read on the hot path: by the
// encap worker for mirror copies, by the forwarding lcores for the overlay
// (encap towards a remote VTEP, decap of what the uplink receives).
#pragma once

#include <cstdint>
#include <cstring>

#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>
#include <rte_vxlan.h>

#include "vswitch/dataplane/snapshot.h"

namespace vswitch::dataplane {

inline constexpr uint16_t kVxlanOverhead = kOverlayOverhead;  // Ethernet + IPv4 + UDP + VXLAN.
inline constexpr uint16_t kVxlanIpOverhead = 36;  // The part counted in the uplink MTU.
// VXLAN flags word: I (the VNI is valid).
inline constexpr uint32_t kVxlanFlagI = 0x08000000u;

// What the outer header says, beyond the fixed fields.
struct OuterHeader {
  const uint8_t* dst_mac;  // Next hop.
  const uint8_t* src_mac;  // The uplink's.
  uint32_t src_ip_be;
  uint32_t dst_ip_be;
  uint16_t udp_dst_port;  // Host order.
  uint16_t udp_src_port;  // Host order: the inner flow's entropy.
  uint32_t vni;
  uint32_t vx_flags;  // Host order: kVxlanFlagI, plus G and a policy id for GBP.
};

// Hot path. Writes the 50-byte outer header for `inner_len` bytes of inner
// frame into `out`: IPv4 with DF and TTL 64, UDP without checksum (optional
// for IPv4, RFC 7348). Byte-exact; unit-tested against golden frames.
inline void WriteOuterHeader(uint8_t* out, const OuterHeader& h, uint32_t inner_len) {
  auto* eth = reinterpret_cast<rte_ether_hdr*>(out);
  std::memcpy(eth->dst_addr.addr_bytes, h.dst_mac, 6);
  std::memcpy(eth->src_addr.addr_bytes, h.src_mac, 6);
  eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);

  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(out + sizeof(rte_ether_hdr));
  ip->version_ihl = RTE_IPV4_VHL_DEF;
  ip->type_of_service = 0;
  ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(kVxlanIpOverhead + inner_len));
  ip->packet_id = 0;
  ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
  ip->time_to_live = 64;
  ip->next_proto_id = IPPROTO_UDP;
  ip->src_addr = h.src_ip_be;
  ip->dst_addr = h.dst_ip_be;
  // The checksum from the values, not from the header just stored: reading
  // those small stores back as one vector failed store forwarding and was
  // a third of the encap worker's time.
  const uint32_t src = rte_be_to_cpu_32(h.src_ip_be);
  const uint32_t dst = rte_be_to_cpu_32(h.dst_ip_be);
  uint32_t sum = (RTE_IPV4_VHL_DEF << 8) + kVxlanIpOverhead + inner_len + RTE_IPV4_HDR_DF_FLAG +
                 (64u << 8 | IPPROTO_UDP) + (src >> 16) + (src & 0xffff) + (dst >> 16) +
                 (dst & 0xffff);
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  ip->hdr_checksum = rte_cpu_to_be_16(static_cast<uint16_t>(~sum));

  auto* udp = reinterpret_cast<rte_udp_hdr*>(out + sizeof(rte_ether_hdr) + sizeof(rte_ipv4_hdr));
  udp->src_port = rte_cpu_to_be_16(h.udp_src_port);
  udp->dst_port = rte_cpu_to_be_16(h.udp_dst_port);
  udp->dgram_len = rte_cpu_to_be_16(static_cast<uint16_t>(16 + inner_len));
  udp->dgram_cksum = 0;

  auto* vx = reinterpret_cast<rte_vxlan_hdr*>(out + kVxlanOverhead - sizeof(rte_vxlan_hdr));
  vx->vx_flags = rte_cpu_to_be_32(h.vx_flags);
  vx->vx_vni = rte_cpu_to_be_32(h.vni << 8);
}

// Hot path. `hdr`, whose data holds the outer header just written, becomes
// the first segment of a chain that goes on with `m` (shared, never written).
inline void ChainHeader(rte_mbuf* hdr, rte_mbuf* m, uint32_t inner_len) {
  hdr->data_len = kVxlanOverhead;
  hdr->pkt_len = kVxlanOverhead + inner_len;
  hdr->next = m;
  hdr->nb_segs = static_cast<uint16_t>(1 + m->nb_segs);
}

enum class OuterVerdict : uint8_t {
  kNotForUs,  // Not VXLAN to this VTEP: ARP, or "uplink_rx".
  kBad,       // VXLAN to this VTEP that is malformed: "bad_vxlan".
  kOk,
};

struct ParsedOuter {
  uint32_t src_ip_be;
  uint32_t vni;
  uint16_t inner_off;  // Bytes before the inner frame.
};

// Hot path. Is `m` VXLAN to `our_ip_be`:`udp_port_be`, and well formed? The
// outer headers must be untagged and in the first segment (they always are
// from a NIC), IPv4 unfragmented with consistent lengths, the UDP length
// the IP payload's, the VXLAN I flag set and an inner Ethernet header
// present. Anything else to our port is refused, never guessed at.
inline OuterVerdict ParseOuter(const rte_mbuf* m, uint32_t our_ip_be, uint16_t udp_port_be,
                               ParsedOuter* out) {
  const uint8_t* p = rte_pktmbuf_mtod(m, const uint8_t*);
  const uint32_t len = m->data_len;
  constexpr uint32_t kL3 = sizeof(rte_ether_hdr);
  if (len < kL3 + sizeof(rte_ipv4_hdr)) {
    return OuterVerdict::kNotForUs;
  }
  uint16_t et;
  std::memcpy(&et, p + 12, 2);
  const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(p + kL3);
  if (et != RTE_BE16(RTE_ETHER_TYPE_IPV4) || ip->next_proto_id != IPPROTO_UDP ||
      ip->dst_addr != our_ip_be || (ip->version_ihl >> 4) != 4) {
    return OuterVerdict::kNotForUs;
  }
  const uint32_t ihl = (ip->version_ihl & 0x0f) * 4u;
  if (ihl < sizeof(rte_ipv4_hdr) || len < kL3 + ihl + sizeof(rte_udp_hdr)) {
    return OuterVerdict::kNotForUs;  // Cannot tell its port: not ours to judge.
  }
  const auto* udp = reinterpret_cast<const rte_udp_hdr*>(p + kL3 + ihl);
  if (udp->dst_port != udp_port_be) {
    return OuterVerdict::kNotForUs;
  }
  const uint32_t total = rte_be_to_cpu_16(ip->total_length);
  const uint32_t inner_off = kL3 + ihl + sizeof(rte_udp_hdr) + sizeof(rte_vxlan_hdr);
  const uint16_t frag = rte_be_to_cpu_16(ip->fragment_offset);
  if ((frag & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0 ||
      total + kL3 > m->pkt_len || rte_be_to_cpu_16(udp->dgram_len) != total - ihl ||
      inner_off + sizeof(rte_ether_hdr) > kL3 + total || len < inner_off + sizeof(rte_ether_hdr)) {
    return OuterVerdict::kBad;
  }
  const auto* vx = reinterpret_cast<const rte_vxlan_hdr*>(p + kL3 + ihl + sizeof(rte_udp_hdr));
  if ((rte_be_to_cpu_32(vx->vx_flags) & kVxlanFlagI) == 0) {
    return OuterVerdict::kBad;
  }
  out->src_ip_be = ip->src_addr;
  out->vni = rte_be_to_cpu_32(vx->vx_vni) >> 8;
  out->inner_off = static_cast<uint16_t>(inner_off);
  return OuterVerdict::kOk;
}

}  // namespace vswitch::dataplane
