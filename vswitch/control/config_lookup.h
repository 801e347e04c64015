// SPDX-License-Identifier: Apache-2.0
//
// Lookups by name in a v1::Config, shared by ConfigStore's resource files.
// Thread: any (pure functions).
#pragma once

#include <string>

#include "vswitch/api/vswitch.pb.h"

namespace vswitch::control {

// Index of the element named `name` in a repeated field, or -1.
template <typename Repeated>
int IndexByName(const Repeated& items, const std::string& name) {
  for (int i = 0; i < items.size(); ++i) {
    if (items.Get(i).name() == name) {
      return i;
    }
  }
  return -1;
}

// The element named `name` of a repeated field, or null.
template <typename T>
const T* FindByName(const google::protobuf::RepeatedPtrField<T>& objs, const std::string& name) {
  for (const T& o : objs) {
    if (o.name() == name) {
      return &o;
    }
  }
  return nullptr;
}

// The uplink vport of `config`, or null.
inline const v1::VPort* FindUplink(const v1::Config& config) {
  for (const auto& vp : config.vports()) {
    if (vp.kind() == v1::VPORT_KIND_UPLINK) {
      return &vp;
    }
  }
  return nullptr;
}

}  // namespace vswitch::control
