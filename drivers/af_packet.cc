// SPDX-License-Identifier: Apache-2.0
// af_packet:iface=NAME -> net_af_packet on an existing kernel interface.
#include <net/if.h>

#include "absl/strings/str_format.h"
#include "drivers/vport_driver.h"

namespace vswitch::drivers {
namespace {

absl::Status ValidateAfPacket(const DriverSpec& spec, bool check_host) {
  absl::Status st = RequireOnlyKeys(spec, {"iface", "qpairs", "blocksz", "framesz", "framecnt"});
  if (!st.ok()) {
    return st;
  }
  const std::string* iface = spec.Find("iface");
  if (iface == nullptr) {
    return absl::InvalidArgumentError("driver 'af_packet' needs iface=NAME");
  }
  st = ValidateIfaceName("iface", *iface);
  if (!st.ok()) {
    return st;
  }
  if (check_host && if_nametoindex(iface->c_str()) == 0) {
    return absl::NotFoundError(absl::StrFormat("iface '%s': no such interface", *iface));
  }
  return absl::OkStatus();
}

}  // namespace

extern const VportDriver kAfPacketDriver = {"af_packet", "net_af_packet", "af_packet:iface=NAME",
                                            &ValidateAfPacket};

}  // namespace vswitch::drivers
