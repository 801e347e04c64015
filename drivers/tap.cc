// SPDX-License-Identifier: Apache-2.0
// tap:iface=NAME -> net_tap: creates kernel TAP interface NAME.
#include <net/if.h>

#include "absl/strings/str_format.h"
#include "drivers/vport_driver.h"

namespace vswitch::drivers {
namespace {

absl::Status ValidateTap(const DriverSpec& spec, bool check_host) {
  absl::Status st = RequireOnlyKeys(spec, {"iface"});
  if (!st.ok()) {
    return st;
  }
  const std::string* iface = spec.Find("iface");
  if (iface == nullptr) {
    return absl::InvalidArgumentError("driver 'tap' needs iface=NAME");
  }
  st = ValidateIfaceName("iface", *iface);
  if (!st.ok()) {
    return st;
  }
  if (check_host && if_nametoindex(iface->c_str()) != 0) {
    return absl::AlreadyExistsError(
        absl::StrFormat("iface '%s': an interface of that name already exists", *iface));
  }
  return absl::OkStatus();
}

}  // namespace

extern const VportDriver kTapDriver = {"tap", "net_tap", "tap:iface=NAME", &ValidateTap, nullptr,
                                       RxQueueModel::kAtLeastTx};

}  // namespace vswitch::drivers
