// SPDX-License-Identifier: Apache-2.0
//
// MAC address parse/format for the control side. The dataplane works on
// rte_ether_addr directly.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace vswitch::net {

struct MacAddress {
  std::array<uint8_t, 6> bytes{};

  bool IsMulticast() const { return (bytes[0] & 0x01) != 0; }
  bool IsZero() const {
    for (uint8_t b : bytes) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }
  // Low 48 bits, big-endian order: a cheap key for maps.
  uint64_t ToU64() const {
    uint64_t v = 0;
    for (uint8_t b : bytes) {
      v = (v << 8) | b;
    }
    return v;
  }
  friend bool operator==(const MacAddress&, const MacAddress&) = default;
};

// Accepts "aa:bb:cc:dd:ee:ff" (hex, either case; ':' or '-'). The error
// message names the value; callers prefix the field.
absl::StatusOr<MacAddress> ParseMac(std::string_view text);
std::string FormatMac(const uint8_t* bytes);
inline std::string FormatMac(const MacAddress& mac) { return FormatMac(mac.bytes.data()); }

}  // namespace vswitch::net
