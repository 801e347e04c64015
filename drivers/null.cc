// SPDX-License-Identifier: Apache-2.0
// null[:no-rx=1,size=N,copy=1] -> net_null: a sink (and optionally a source).
#include "drivers/vport_driver.h"

namespace vswitch::drivers {
namespace {

absl::Status ValidateNull(const DriverSpec& spec, bool /*check_host*/) {
  return RequireOnlyKeys(spec, {"no-rx", "size", "copy"});
}

}  // namespace

extern const VportDriver kNullDriver = {"null", "net_null", "null[:no-rx=1]", &ValidateNull};

}  // namespace vswitch::drivers
