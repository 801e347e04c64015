// SPDX-License-Identifier: Apache-2.0
//
// The values of one parsed command line, keyed by ArgSpec::name ("NAME",
// "vni", "static"). Made by CommandTable::Parse, read by a command's request
// builder. Thread: any; plain value type.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace vswitch::shell {

class Args {
 public:
  // Appends a value of `name`; a flag is stored as its own word.
  void Add(const std::string& name, std::string value);

  bool Has(std::string_view name) const;
  // The first value of `name`, or "" when it was not given.
  const std::string& Value(std::string_view name) const;
  // Every value of `name` in command-line order; empty when not given.
  const std::vector<std::string>& Values(std::string_view name) const;
  // Value(name) as an integer, or 0 when not given. Precondition: the
  // parser checked the value (ValueType::kUint32).
  uint32_t Uint32(std::string_view name) const;
  // The same for ValueType::kUint64.
  uint64_t Uint64(std::string_view name) const;

 private:
  std::map<std::string, std::vector<std::string>, std::less<>> values_;
};

}  // namespace vswitch::shell
