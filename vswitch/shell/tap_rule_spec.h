// SPDX-License-Identifier: Apache-2.0
//
// The shell's form of a TAP filter rule: one shell word of comma-separated
// key=value pairs, e.g. "prio=10,action=accept,proto=udp,dport=443", turned
// into a v1::TapRule. Only the syntax is checked here (known keys, numbers
// that fit the field, enum words); CIDRs, ranges and the rest are the
// daemon's to validate. Thread: any; pure functions.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "vswitch/api/vswitch.pb.h"

namespace vswitch::shell {

// The keys, as `help add tap-session` explains them:
//   prio=N                     priority (required)
//   action=accept|reject       default accept
//   proto=tcp|udp|icmp|sctp|N  IP protocol, by name or number
//   src=CIDR, dst=CIDR         IPv4 prefixes
//   sport=N|A-B, dport=N|A-B   L4 port or inclusive range
//   dir=rx|tx|both             restrict the rule to one direction
// Each key at most once; keys and words are lower case. Returns
// InvalidArgument naming the key and the value, e.g.
// `dport: "80-x" is not N or A-B (unsigned 32-bit integers)`, or naming an
// unknown key.
absl::StatusOr<v1::TapRule> ParseTapRule(const std::string& spec);

// "rx", "tx" or "both" as a TapDirection. Returns false for any other word.
bool ParseTapDirection(const std::string& word, v1::TapDirection* direction);

}  // namespace vswitch::shell
