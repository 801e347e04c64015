// SPDX-License-Identifier: Apache-2.0
//
// Helpers shared by the validator's files (validator.cc, validator_tap.cc,
// validator_remote.cc): errors that name the field, and checks several
// resources use.
// Thread: any (pure functions).
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "lib/net/ipv4.h"
#include "lib/net/mac_address.h"
#include "vswitch/api/vswitch.pb.h"

namespace vswitch::control::validator_internal {

inline constexpr uint32_t kMaxVni = (1u << 24) - 1;

inline absl::Status Invalid(const std::string& field, const std::string& msg) {
  return absl::InvalidArgumentError(absl::StrFormat("%s: %s", field, msg));
}

// Re-wraps `st` (keeping its code) with the field in front.
inline absl::Status WithField(const std::string& field, const absl::Status& st) {
  return absl::Status(st.code(), absl::StrFormat("%s: %s", field, st.message()));
}

// A VNet's prefixes, when given, say where its VMs live: an address (`text`,
// parsed as `ip`) outside them is a typo. InvalidArgument naming `field`.
inline absl::Status CheckInsideVnet(const std::string& field, const v1::VNet& vnet, uint32_t ip,
                                    const std::string& text) {
  bool inside = vnet.prefixes_size() == 0;
  for (const auto& pfx : vnet.prefixes()) {
    auto p = net::ParseIpv4Prefix(pfx);
    inside = inside || (p.ok() && p->Contains(ip));
  }
  if (!inside) {
    return Invalid(field,
                   absl::StrFormat("%s is outside every prefix of VNet '%s'", text, vnet.name()));
  }
  return absl::OkStatus();
}

// A unicast, non-zero MAC, or InvalidArgument naming `field`.
inline absl::StatusOr<net::MacAddress> ParseUnicastMac(const std::string& field,
                                                       const std::string& s) {
  auto mac = net::ParseMac(s);
  if (!mac.ok()) {
    return WithField(field, mac.status());
  }
  if (mac->IsMulticast() || mac->IsZero()) {
    return Invalid(field, absl::StrFormat("'%s' is not a unicast MAC", s));
  }
  return *mac;
}

}  // namespace vswitch::control::validator_internal
