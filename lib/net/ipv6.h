// SPDX-License-Identifier: Apache-2.0
//
// IPv6 address and prefix parsing for the control side (network byte order,
// as on the wire and in rte_ipv6_hdr).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace vswitch::net {

using Ipv6Address = std::array<uint8_t, 16>;

struct Ipv6Prefix {
  Ipv6Address addr{};  // As written (host bits kept).
  uint8_t len = 0;     // 0..128.

  // The address with the bits past `len` cleared.
  Ipv6Address Masked() const;
  bool HasHostBits() const { return Masked() != addr; }
  bool Contains(const Ipv6Address& ip) const;
};

// "2001:db8::1" (RFC 4291 text forms, as inet_pton(3) reads them).
absl::StatusOr<Ipv6Address> ParseIpv6(std::string_view text);
// "2001:db8::/32". Host bits may be set (an interface address).
absl::StatusOr<Ipv6Prefix> ParseIpv6Prefix(std::string_view text);
// RFC 5952 form ("2001:db8::1").
std::string FormatIpv6(const Ipv6Address& addr);

// Whether `text` is meant as IPv6 (has a ':'), so that a field taking either
// family reports the right family's error.
inline bool LooksLikeIpv6(std::string_view text) {
  return text.find(':') != std::string_view::npos;
}

}  // namespace vswitch::net
