// SPDX-License-Identifier: Apache-2.0
//
// The per-packet key the parser extracts and the flow cache matches on.
#pragma once

#include <cstdint>
#include <cstring>

#include <rte_hash_crc.h>

namespace vswitch::dataplane {

// Flags of PacketKey::flags.
inline constexpr uint8_t kKeyL2 = 1 << 0;    // Ethernet header present (>= 14 bytes).
inline constexpr uint8_t kKeyIpv4 = 1 << 1;  // Valid IPv4 header (IHL, lengths checked).
inline constexpr uint8_t kKeyL4 = 1 << 2;    // TCP/UDP ports present (first fragment).
inline constexpr uint8_t kKeyFrag = 1 << 3;  // IPv4 fragment.
// Set alone (without kKeyL2): the mbuf chain is inconsistent (chain_check.h).
inline constexpr uint8_t kKeyBadChain = 1 << 4;
// Valid IPv6 header: src_ip/dst_ip hold Ipv6Digest()s of the addresses, the
// addresses themselves are in the key's Ipv6Addrs (see below); kKeyFrag and
// kKeyL4 as for IPv4, after the extension headers (ipv6.h).
inline constexpr uint8_t kKeyIpv6 = 1 << 5;

// The full IPv6 addresses of a key with kKeyIpv6, kept beside it (a
// per-burst array, a cold array of the flow cache) so that PacketKey stays
// 32 bytes and IPv4/L2 pay nothing for IPv6. Compared only for such keys.
struct Ipv6Addrs {
  uint8_t src[16];
  uint8_t dst[16];

  bool Equals(const Ipv6Addrs& o) const {
    uint64_t a[4], b[4];
    std::memcpy(a, this, sizeof(a));
    std::memcpy(b, &o, sizeof(b));
    return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3])) == 0;
  }
};
static_assert(sizeof(Ipv6Addrs) == 32);

// What an IPv6 key holds in src_ip/dst_ip: its address's four words XORed.
// It only spreads the flow cache's buckets and the collector hash (a pure
// function of the address, so that hash stays symmetric); exactness comes
// from comparing the Ipv6Addrs, so a crafted collision costs no verdict.
inline uint32_t Ipv6Digest(const uint8_t* addr) {
  uint64_t w[2];
  std::memcpy(w, addr, 16);
  const uint64_t x = w[0] ^ w[1];
  return static_cast<uint32_t>(x) ^ static_cast<uint32_t>(x >> 32);
}

// 32 bytes, no padding holes: compared and hashed as four 64-bit words.
// Multi-byte fields are in network byte order, as on the wire.
struct PacketKey {
  uint16_t in_port;
  uint16_t ether_type;  // Inner-most after VLAN tags; 0 if none.
  uint8_t dst_mac[6];
  uint8_t src_mac[6];
  uint32_t src_ip;
  uint32_t dst_ip;
  uint16_t src_port;
  uint16_t dst_port;
  uint8_t proto;
  uint8_t flags;
  uint16_t vlan_tci;  // Outer VLAN TCI or 0.

  bool Equals(const PacketKey& o) const {
    uint64_t a[4], b[4];
    std::memcpy(a, this, sizeof(a));
    std::memcpy(b, &o, sizeof(b));
    return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3])) == 0;
  }

  uint32_t Hash() const {
    uint64_t w[4];
    std::memcpy(w, this, sizeof(w));
    uint32_t h = rte_hash_crc_8byte(w[0], 0x5bd1e995u);
    h = rte_hash_crc_8byte(w[1], h);
    h = rte_hash_crc_8byte(w[2], h);
    return rte_hash_crc_8byte(w[3], h);
  }

  // Keeps only what L2 switching decides on, so many L3 flows between the
  // same MACs share one cache entry when nothing needs L3/L4. With
  // keep_src_ip (a port whose IPv4 sources are checked) the source address
  // and kKeyIpv4 stay, so the check sees them and a cached verdict is per
  // source address; no extra branch either way. kKeyIpv6 goes: an L2 key
  // never needs its Ipv6Addrs compared.
  void MaskToL2(bool keep_src_ip = false) {
    const uint32_t ip_mask = keep_src_ip ? ~uint32_t{0} : 0;
    src_ip &= ip_mask;
    dst_ip = 0;
    src_port = dst_port = 0;
    proto = 0;
    flags &= static_cast<uint8_t>(kKeyL2 | (keep_src_ip ? kKeyIpv4 : 0));
  }
};
static_assert(sizeof(PacketKey) == 32);

}  // namespace vswitch::dataplane
