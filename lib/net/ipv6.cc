// SPDX-License-Identifier: Apache-2.0
#include "lib/net/ipv6.h"

#include <arpa/inet.h>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"

namespace vswitch::net {

Ipv6Address Ipv6Prefix::Masked() const {
  Ipv6Address out = addr;
  for (int i = 0; i < 16; ++i) {
    const int bits = len - 8 * i;  // Bits of byte i inside the prefix.
    if (bits <= 0) {
      out[i] = 0;
    } else if (bits < 8) {
      out[i] &= static_cast<uint8_t>(0xff << (8 - bits));
    }
  }
  return out;
}

bool Ipv6Prefix::Contains(const Ipv6Address& ip) const {
  Ipv6Prefix p{.addr = ip, .len = len};
  return p.Masked() == Masked();
}

absl::StatusOr<Ipv6Address> ParseIpv6(std::string_view text) {
  std::string s(text);
  Ipv6Address a{};
  if (inet_pton(AF_INET6, s.c_str(), a.data()) != 1) {
    return absl::InvalidArgumentError(absl::StrFormat("'%s' is not an IPv6 address", s));
  }
  return a;
}

absl::StatusOr<Ipv6Prefix> ParseIpv6Prefix(std::string_view text) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrFormat("'%s' is not an IPv6 prefix (want addr/len, as 2001:db8::/32)", text));
  }
  auto addr = ParseIpv6(text.substr(0, slash));
  if (!addr.ok()) {
    return addr.status();
  }
  uint32_t len = 0;
  std::string len_text(text.substr(slash + 1));
  if (len_text.empty() || !absl::SimpleAtoi(len_text, &len) || len > 128) {
    return absl::InvalidArgumentError(
        absl::StrFormat("'%s': prefix length '%s' is not 0..128", text, len_text));
  }
  return Ipv6Prefix{.addr = *addr, .len = static_cast<uint8_t>(len)};
}

std::string FormatIpv6(const Ipv6Address& addr) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, addr.data(), buf, sizeof(buf));
  return buf;
}

}  // namespace vswitch::net
