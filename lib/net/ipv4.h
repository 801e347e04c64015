// SPDX-License-Identifier: Apache-2.0
//
// IPv4 address and prefix parsing for the control side (host byte order).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace vswitch::net {

struct Ipv4Prefix {
  uint32_t addr = 0;  // Host byte order, as written (host bits kept).
  uint8_t len = 0;    // 0..32.

  uint32_t Mask() const { return len == 0 ? 0 : ~uint32_t{0} << (32 - len); }
  bool Contains(uint32_t ip) const { return (ip & Mask()) == (addr & Mask()); }
};

// "10.0.0.1" -> host-order address.
absl::StatusOr<uint32_t> ParseIpv4(std::string_view text);
// "10.0.0.0/24". Host bits may be set (an interface address); see Ipv4Prefix.
absl::StatusOr<Ipv4Prefix> ParseIpv4Prefix(std::string_view text);
std::string FormatIpv4(uint32_t host_order);

}  // namespace vswitch::net
