// SPDX-License-Identifier: Apache-2.0
#include "lib/net/mac_address.h"

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace vswitch::net {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

}  // namespace

absl::StatusOr<MacAddress> ParseMac(std::string_view text) {
  MacAddress mac;
  if (text.size() != 17) {
    return absl::InvalidArgumentError(
        absl::StrFormat("'%s' is not a MAC address (want aa:bb:cc:dd:ee:ff)", text));
  }
  for (int i = 0; i < 6; ++i) {
    int hi = HexValue(text[i * 3]);
    int lo = HexValue(text[i * 3 + 1]);
    bool sep_ok = i == 5 || text[i * 3 + 2] == ':' || text[i * 3 + 2] == '-';
    if (hi < 0 || lo < 0 || !sep_ok) {
      return absl::InvalidArgumentError(
          absl::StrFormat("'%s' is not a MAC address (want aa:bb:cc:dd:ee:ff)", text));
    }
    mac.bytes[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return mac;
}

std::string FormatMac(const uint8_t* b) {
  return absl::StrFormat("%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
}

}  // namespace vswitch::net
