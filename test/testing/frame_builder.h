// SPDX-License-Identifier: Apache-2.0
//
// Builds Ethernet frames byte by byte for tests, including malformed ones
// (bad IHL, short total_length, cut headers) that a real stack never sends.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace vswitch::testing {

using Mac = std::array<uint8_t, 6>;

inline constexpr Mac kBroadcast = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

// A locally administered unicast MAC 02:00:00:00:<hi>:<lo>.
constexpr Mac TestMac(uint16_t n) {
  return Mac{0x02, 0x00, 0x00, 0x00, static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)};
}

struct Ipv4Fields {
  uint32_t src = 0x0a000001;  // Host order.
  uint32_t dst = 0x0a000002;
  uint8_t proto = 17;
  uint8_t version = 4;
  uint8_t ihl = 5;  // In 32-bit words; options are zero-filled.
  // -1: patched in Build() to the bytes from the IPv4 header to the end.
  int total_length = -1;
  uint16_t frag = 0;  // Flags + fragment offset, host order (0x2000 = MF).
};

using Ipv6Addr = std::array<uint8_t, 16>;

// 2001:db8::<hi>:<lo> (RFC 3849 documentation prefix).
constexpr Ipv6Addr TestIpv6(uint16_t n) {
  return Ipv6Addr{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                  static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)};
}

struct Ipv6Fields {
  Ipv6Addr src = TestIpv6(1);
  Ipv6Addr dst = TestIpv6(2);
  uint8_t next_header = 17;
  uint8_t version = 6;
  // -1: patched in Build() to the bytes after the fixed header.
  int payload_length = -1;
};

// All multi-byte fields are written in network byte order.
class FrameBuilder {
 public:
  FrameBuilder& Eth(const Mac& dst, const Mac& src);
  FrameBuilder& Tag(uint16_t tpid, uint16_t tci);  // A VLAN/QinQ tag.
  FrameBuilder& EtherType(uint16_t et);
  FrameBuilder& Ipv4(const Ipv4Fields& f);
  FrameBuilder& Ipv6(const Ipv6Fields& f);
  // An 8-byte hop-by-hop or destination options header (PadN inside).
  FrameBuilder& Ipv6Options(uint8_t next_header);
  // A fragment header; `offset_flags` host order (offset << 3 | M).
  FrameBuilder& Ipv6Fragment(uint8_t next_header, uint16_t offset_flags);
  FrameBuilder& L4Ports(uint16_t src, uint16_t dst);  // First 4 bytes of UDP/TCP.
  FrameBuilder& Fill(size_t n, uint8_t value);
  std::vector<uint8_t> Build() const;

 private:
  void Put16(uint16_t v);
  std::vector<uint8_t> b_;
  int ip_off_ = -1;
  bool auto_total_ = false;
  int ip6_off_ = -1;
  bool auto_payload_ = false;
};

// dst/src Ethernet + IPv4 + UDP ports (8-byte UDP header) + `payload` bytes.
std::vector<uint8_t> UdpFrame(const Mac& dst, const Mac& src, uint16_t sport = 1000,
                              uint16_t dport = 2000, size_t payload = 18);

}  // namespace vswitch::testing
