// SPDX-License-Identifier: Apache-2.0
//
// The grammar of one command argument. A command's arguments are positional
// placeholders (`NAME`), `keyword value` pairs (`vni N`) and bare flags
// (`static`). The specs are data, not code, so that help, the one-shot parser
// and a later interactive completer all read the same description.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace vswitch::shell {

// What a value is. The shell checks only kUint32, kUint64, kChoice and
// kTapRule (it must, to fill the request); everything else is checked by the
// daemon, the single validator. The other types tell a completer what it can
// offer.
enum class ValueType {
  kText,             // Free text: a new object's name, a tenant, a CIDR, an IP.
  kUint32,           // Decimal 0..4294967295; needed to fill a uint32 field.
  kUint64,           // Decimal 0..18446744073709551615; for a uint64 field.
  kChoice,           // One of ArgSpec::choices, e.g. up|down.
  kVNetName,         // An existing VNet: a completer lists them with ListVNets.
  kVPortName,        // An existing vport or uplink: ListVPorts.
  kDestinationName,  // An existing mirror destination: ListMirrorDestinations.
  kSessionName,      // An existing TAP session: ListTapSessions.
  kMac,              // A MAC address, "02:00:00:00:00:01".
  kDriverSpec,       // "DRIVER[:key=value,...]": a completer can offer drivers.
  kTapRule,          // "prio=10,proto=udp,dport=443": parsed into a TapRule by
                     // ParseTapRule (tap_rule_spec.h).
  kFilePath,         // A local file (save, load): a completer lists the directory.
};

enum class ArgKind {
  kPositional,  // A value in a fixed place right after the command words.
  kKeyword,     // `keyword value`, anywhere after the positionals.
  kFlag,        // A bare keyword with no value.
};

enum class Occurs {
  kRequired,  // Exactly once.
  kOptional,  // Zero or one time.
  kRepeated,  // Zero or more times; the values keep their order.
  // One or more times; the values keep their order. Keywords only.
  kOneOrMore,
};

struct ArgSpec {
  ArgKind kind = ArgKind::kPositional;
  // The keyword itself ("vni"), or for a positional its placeholder ("NAME").
  // Parsed values are looked up by this name (see Args).
  std::string name;
  // Shown for the value in help ("N", "CIDR"); empty for flags.
  std::string placeholder;
  ValueType type = ValueType::kText;
  Occurs occurs = Occurs::kRequired;
  // The accepted words when type is kChoice.
  std::vector<std::string> choices;
};

// Builders that keep the command table readable. Positionals must come
// before keywords in a command, and required ones before optional ones.
ArgSpec Positional(std::string placeholder, ValueType type = ValueType::kText,
                   Occurs occurs = Occurs::kRequired);
ArgSpec Keyword(std::string keyword, std::string placeholder, ValueType type,
                Occurs occurs = Occurs::kRequired);
ArgSpec Choice(std::string keyword, std::vector<std::string> choices,
               Occurs occurs = Occurs::kRequired);
ArgSpec Flag(std::string keyword);

// How the argument reads in a synopsis: "NAME", "[VNET]", "vni N",
// "[prefix CIDR]...", "collector IP [collector IP]...", "[admin up|down]",
// "[static]".
std::string Synopsis(const ArgSpec& spec);

// Checks what the shell must check to build a request (integers, choices,
// TAP rules). Returns InvalidArgument naming the argument and the value,
// else OK.
absl::Status CheckValue(const ArgSpec& spec, const std::string& value);

// Parse a decimal unsigned 32- or 64-bit integer: digits only, no sign, no
// whitespace. Return false when `text` is not one.
bool ParseUint32(const std::string& text, uint32_t* value);
bool ParseUint64(const std::string& text, uint64_t* value);

}  // namespace vswitch::shell
