// SPDX-License-Identifier: Apache-2.0
//
// Helpers shared by the validator's files (validator.cc, validator_tap.cc):
// errors that name the field, and checks several resources use.
// Thread: any (pure functions).
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "lib/net/mac_address.h"

namespace vswitch::control::validator_internal {

inline constexpr uint32_t kMaxVni = (1u << 24) - 1;

inline absl::Status Invalid(const std::string& field, const std::string& msg) {
  return absl::InvalidArgumentError(absl::StrFormat("%s: %s", field, msg));
}

// Re-wraps `st` (keeping its code) with the field in front.
inline absl::Status WithField(const std::string& field, const absl::Status& st) {
  return absl::Status(st.code(), absl::StrFormat("%s: %s", field, st.message()));
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
