// SPDX-License-Identifier: Apache-2.0
#include "vswitch/shell/arg_spec.h"

#include <charconv>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "vswitch/api/vswitch.pb.h"
#include "vswitch/shell/tap_rule_spec.h"

namespace vswitch::shell {
namespace {

// std::from_chars takes no sign, no whitespace and no base prefix, and
// reports overflow: exactly the strictness a request field needs.
template <typename Int>
bool ParseDecimal(const std::string& text, Int* value) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *value);
  return !text.empty() && ec == std::errc() && ptr == end;
}

}  // namespace

ArgSpec Positional(std::string placeholder, ValueType type, Occurs occurs) {
  ArgSpec spec;
  spec.kind = ArgKind::kPositional;
  spec.name = placeholder;
  spec.placeholder = std::move(placeholder);
  spec.type = type;
  spec.occurs = occurs;
  return spec;
}

ArgSpec Keyword(std::string keyword, std::string placeholder, ValueType type, Occurs occurs) {
  ArgSpec spec;
  spec.kind = ArgKind::kKeyword;
  spec.name = std::move(keyword);
  spec.placeholder = std::move(placeholder);
  spec.type = type;
  spec.occurs = occurs;
  return spec;
}

ArgSpec Choice(std::string keyword, std::vector<std::string> choices, Occurs occurs) {
  ArgSpec spec =
      Keyword(std::move(keyword), absl::StrJoin(choices, "|"), ValueType::kChoice, occurs);
  spec.choices = std::move(choices);
  return spec;
}

ArgSpec Flag(std::string keyword) {
  ArgSpec spec;
  spec.kind = ArgKind::kFlag;
  spec.name = std::move(keyword);
  spec.occurs = Occurs::kOptional;
  return spec;
}

std::string Synopsis(const ArgSpec& spec) {
  std::string text;
  switch (spec.kind) {
    case ArgKind::kPositional:
      text = spec.placeholder;
      break;
    case ArgKind::kKeyword:
      text = absl::StrCat(spec.name, " ", spec.placeholder);
      break;
    case ArgKind::kFlag:
      text = spec.name;
      break;
  }
  switch (spec.occurs) {
    case Occurs::kRequired:
      return text;
    case Occurs::kOptional:
      return absl::StrCat("[", text, "]");
    case Occurs::kRepeated:
      return absl::StrCat("[", text, "]...");
    case Occurs::kOneOrMore:
      return absl::StrCat(text, " [", text, "]...");
  }
  return text;
}

bool ParseUint32(const std::string& text, uint32_t* value) { return ParseDecimal(text, value); }

bool ParseUint64(const std::string& text, uint64_t* value) { return ParseDecimal(text, value); }

absl::Status CheckValue(const ArgSpec& spec, const std::string& value) {
  if (spec.type == ValueType::kUint32) {
    uint32_t unused;
    if (!ParseUint32(value, &unused)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: \"%s\" is not an unsigned 32-bit integer", spec.name, value));
    }
  }
  if (spec.type == ValueType::kUint64) {
    uint64_t unused;
    if (!ParseUint64(value, &unused)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: \"%s\" is not an unsigned 64-bit integer", spec.name, value));
    }
  }
  if (spec.type == ValueType::kTapRule) {
    absl::StatusOr<v1::TapRule> rule = ParseTapRule(value);
    if (!rule.ok()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: \"%s\": %s", spec.name, value, rule.status().message()));
    }
  }
  if (spec.type == ValueType::kChoice) {
    for (const std::string& choice : spec.choices) {
      if (value == choice) {
        return absl::OkStatus();
      }
    }
    return absl::InvalidArgumentError(absl::StrFormat("%s: \"%s\" is not one of %s", spec.name,
                                                      value, absl::StrJoin(spec.choices, ", ")));
  }
  return absl::OkStatus();
}

}  // namespace vswitch::shell
