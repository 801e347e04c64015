// SPDX-License-Identifier: Apache-2.0
// pcap:rx_pcap=FILE,tx_pcap=FILE,... -> net_pcap (arguments passed through).
#include "drivers/vport_driver.h"

namespace vswitch::drivers {
namespace {

absl::Status ValidatePcap(const DriverSpec& spec, bool /*check_host*/) {
  absl::Status st = RequireOnlyKeys(spec, {"rx_pcap", "tx_pcap", "rx_iface", "rx_iface_in",
                                           "tx_iface", "iface", "phy_mac", "infinite_rx"});
  if (!st.ok()) {
    return st;
  }
  if (spec.args.empty()) {
    return absl::InvalidArgumentError(
        "driver 'pcap' needs at least one of rx_pcap, tx_pcap, rx_iface, tx_iface, iface");
  }
  return absl::OkStatus();
}

}  // namespace

extern const VportDriver kPcapDriver = {"pcap", "net_pcap", "pcap:rx_pcap=FILE[,tx_pcap=FILE]",
                                        &ValidatePcap};

}  // namespace vswitch::drivers
