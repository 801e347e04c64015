// SPDX-License-Identifier: Apache-2.0
// ring -> net_ring: an in-process rte_ring pair (tests, benchmarks).
#include "drivers/vport_driver.h"

namespace vswitch::drivers {
namespace {

absl::Status ValidateRing(const DriverSpec& spec, bool /*check_host*/) {
  return RequireOnlyKeys(spec, {});
}

}  // namespace

extern const VportDriver kRingDriver = {"ring", "net_ring", "ring", &ValidateRing};

}  // namespace vswitch::drivers
