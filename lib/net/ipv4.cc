// SPDX-License-Identifier: Apache-2.0
#include "lib/net/ipv4.h"

#include <arpa/inet.h>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"

namespace vswitch::net {

absl::StatusOr<uint32_t> ParseIpv4(std::string_view text) {
  std::string s(text);
  in_addr a{};
  if (inet_pton(AF_INET, s.c_str(), &a) != 1) {
    return absl::InvalidArgumentError(absl::StrFormat("'%s' is not an IPv4 address", s));
  }
  return ntohl(a.s_addr);
}

absl::StatusOr<Ipv4Prefix> ParseIpv4Prefix(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrFormat("'%s' is not an IPv4 prefix (want a.b.c.d/len)", text));
  }
  auto addr = ParseIpv4(text.substr(0, slash));
  if (!addr.ok()) {
    return addr.status();
  }
  uint32_t len = 0;
  std::string len_text(text.substr(slash + 1));
  if (!absl::SimpleAtoi(len_text, &len) || len_text.empty() || len > 32) {
    return absl::InvalidArgumentError(
        absl::StrFormat("'%s': prefix length '%s' is not 0..32", text, len_text));
  }
  return Ipv4Prefix{.addr = *addr, .len = static_cast<uint8_t>(len)};
}

std::string FormatIpv4(uint32_t ip) {
  return absl::StrFormat("%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
}

}  // namespace vswitch::net
