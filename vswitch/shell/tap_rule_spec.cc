// SPDX-License-Identifier: Apache-2.0
#include "vswitch/shell/tap_rule_spec.h"

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "vswitch/api/vswitch.pb.h"
#include "vswitch/shell/arg_spec.h"

namespace vswitch::shell {
namespace {

// Fills the field of `key` from `value`, or returns InvalidArgument naming
// both.
using Setter = absl::Status (*)(const std::string& key, const std::string& value,
                                v1::TapRule* rule);

struct Key {
  const char* name;
  Setter set;
};

struct ProtocolName {
  const char* name;
  uint32_t number;
};

// IANA protocol numbers of the names `proto=` accepts.
constexpr ProtocolName kProtocols[] = {{"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"sctp", 132}};

absl::Status BadValue(const std::string& key, const std::string& value, const char* expected) {
  return absl::InvalidArgumentError(absl::StrFormat("%s: \"%s\" is not %s", key, value, expected));
}

absl::Status SetPriority(const std::string& key, const std::string& value, v1::TapRule* rule) {
  uint32_t priority;
  if (!ParseUint32(value, &priority)) {
    return BadValue(key, value, "an unsigned 32-bit integer");
  }
  rule->set_priority(priority);
  return absl::OkStatus();
}

absl::Status SetAction(const std::string& key, const std::string& value, v1::TapRule* rule) {
  if (value == "accept") {
    rule->set_action(v1::TAP_ACTION_ACCEPT);
  } else if (value == "reject") {
    rule->set_action(v1::TAP_ACTION_REJECT);
  } else {
    return BadValue(key, value, "one of accept, reject");
  }
  return absl::OkStatus();
}

absl::Status SetProtocol(const std::string& key, const std::string& value, v1::TapRule* rule) {
  for (const ProtocolName& protocol : kProtocols) {
    if (value == protocol.name) {
      rule->set_protocol(protocol.number);
      return absl::OkStatus();
    }
  }
  uint32_t number;
  if (!ParseUint32(value, &number)) {
    return BadValue(key, value, "tcp, udp, icmp, sctp or an unsigned 32-bit integer");
  }
  rule->set_protocol(number);
  return absl::OkStatus();
}

// CIDRs go to the daemon as given: it is the one validator.
absl::Status SetSrc(const std::string&, const std::string& value, v1::TapRule* rule) {
  rule->set_src_cidr(value);
  return absl::OkStatus();
}

absl::Status SetDst(const std::string&, const std::string& value, v1::TapRule* rule) {
  rule->set_dst_cidr(value);
  return absl::OkStatus();
}

// "N" is the range N-N. Whether first <= last <= 65535 is the daemon's check.
absl::Status ParsePortRange(const std::string& key, const std::string& value,
                            v1::PortRange* range) {
  std::vector<std::string> ends = absl::StrSplit(value, absl::MaxSplits('-', 1));
  uint32_t first;
  uint32_t last;
  if (!ParseUint32(ends[0], &first) || !ParseUint32(ends.back(), &last)) {
    return BadValue(key, value, "N or A-B (unsigned 32-bit integers)");
  }
  range->set_first(first);
  range->set_last(last);
  return absl::OkStatus();
}

absl::Status SetSrcPorts(const std::string& key, const std::string& value, v1::TapRule* rule) {
  return ParsePortRange(key, value, rule->mutable_src_ports());
}

absl::Status SetDstPorts(const std::string& key, const std::string& value, v1::TapRule* rule) {
  return ParsePortRange(key, value, rule->mutable_dst_ports());
}

absl::Status SetDirection(const std::string& key, const std::string& value, v1::TapRule* rule) {
  v1::TapDirection direction;
  if (!ParseTapDirection(value, &direction)) {
    return BadValue(key, value, "one of rx, tx, both");
  }
  rule->set_direction(direction);
  return absl::OkStatus();
}

// In the order help and error messages list them.
constexpr Key kKeys[] = {
    {"prio", SetPriority}, {"action", SetAction},  {"proto", SetProtocol}, {"src", SetSrc},
    {"dst", SetDst},       {"sport", SetSrcPorts}, {"dport", SetDstPorts}, {"dir", SetDirection},
};

const Key* FindKey(const std::string& name) {
  for (const Key& key : kKeys) {
    if (name == key.name) {
      return &key;
    }
  }
  return nullptr;
}

std::string KeyList() {
  std::vector<std::string> names;
  for (const Key& key : kKeys) {
    names.push_back(key.name);
  }
  return absl::StrJoin(names, ", ");
}

}  // namespace

absl::StatusOr<v1::TapRule> ParseTapRule(const std::string& spec) {
  v1::TapRule rule;
  std::set<std::string> seen;
  // An empty word has no pairs (rather than one empty pair): it is missing prio.
  std::vector<std::string> pairs;
  if (!spec.empty()) {
    pairs = absl::StrSplit(spec, ',');
  }
  for (const std::string& pair : pairs) {
    if (pair.empty()) {
      return absl::InvalidArgumentError("empty key=value pair (stray comma)");
    }
    std::vector<std::string> key_value = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    const std::string& name = key_value[0];
    if (key_value.size() == 1) {
      return absl::InvalidArgumentError(absl::StrFormat("\"%s\" is not key=value", pair));
    }
    const Key* key = FindKey(name);
    if (key == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrFormat("unknown key \"%s\" (expected one of: %s)", name, KeyList()));
    }
    if (!seen.insert(name).second) {
      return absl::InvalidArgumentError(absl::StrFormat("\"%s\" given twice", name));
    }
    const std::string& value = key_value[1];
    if (value.empty()) {
      return absl::InvalidArgumentError(absl::StrFormat("%s: missing value", name));
    }
    absl::Status status = key->set(name, value, &rule);
    if (!status.ok()) {
      return status;
    }
  }
  if (!seen.contains("prio")) {
    return absl::InvalidArgumentError("missing prio=N");
  }
  return rule;
}

bool ParseTapDirection(const std::string& word, v1::TapDirection* direction) {
  if (word == "rx") {
    *direction = v1::TAP_DIRECTION_RX;
  } else if (word == "tx") {
    *direction = v1::TAP_DIRECTION_TX;
  } else if (word == "both") {
    *direction = v1::TAP_DIRECTION_BOTH;
  } else {
    return false;
  }
  return true;
}

}  // namespace vswitch::shell
