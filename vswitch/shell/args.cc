// SPDX-License-Identifier: Apache-2.0
#include "vswitch/shell/args.h"

#include <string>
#include <utility>
#include <vector>

#include "vswitch/shell/arg_spec.h"

namespace vswitch::shell {
namespace {

const std::vector<std::string>& NoValues() {
  static const auto* const kEmpty = new std::vector<std::string>();
  return *kEmpty;
}

}  // namespace

void Args::Add(const std::string& name, std::string value) {
  values_[name].push_back(std::move(value));
}

bool Args::Has(std::string_view name) const { return values_.find(name) != values_.end(); }

const std::string& Args::Value(std::string_view name) const {
  static const auto* const kEmpty = new std::string();
  const std::vector<std::string>& values = Values(name);
  return values.empty() ? *kEmpty : values.front();
}

const std::vector<std::string>& Args::Values(std::string_view name) const {
  auto it = values_.find(name);
  return it == values_.end() ? NoValues() : it->second;
}

uint32_t Args::Uint32(std::string_view name) const {
  uint32_t value = 0;
  if (!ParseUint32(Value(name), &value)) {
    return 0;
  }
  return value;
}

uint64_t Args::Uint64(std::string_view name) const {
  uint64_t value = 0;
  if (!ParseUint64(Value(name), &value)) {
    return 0;
  }
  return value;
}

}  // namespace vswitch::shell
