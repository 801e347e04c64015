// SPDX-License-Identifier: Apache-2.0
//
// Creates and destroys DPDK ports from vport driver specs (hot-plugged
// vdevs). The only user of drivers/. Thread: control side, serialised by
// the caller (ConfigStore's mutex).
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include <rte_mempool.h>

#include "absl/status/statusor.h"

namespace vswitch::control {

struct PortSpec {
  std::string driver_spec;  // "tap:iface=vm1"
  std::string vport_name;   // Names per-vport defaults (vhost socket path).
  uint32_t unique = 0;      // Makes the vdev name unique (the vport id).
  uint16_t rx_queues = 1;  // The vport's `queues`: a minimum (see PortInfoOut).
  uint16_t tx_queues = 1;  // One per forwarding lcore (+2 on the uplink: encap, ARP).
  uint16_t mtu = 0;        // 0: leave the device's default.
};

struct PortInfoOut {
  uint16_t port_id = 0;
  // Receive queues configured: at least PortSpec::rx_queues; tap and vhost
  // as many as transmit queues, af_packet and pcap every one they opened
  // (drivers::RxQueueModel). All of them must be polled.
  uint16_t rx_queues = 1;
  std::string vdev_name;
  std::string mac;
  // Longest frame the device sends (dataplane::PortInfo::max_frame).
  uint32_t max_frame = UINT32_MAX;
};

class PortManager {
 public:
  // `vhost_dir`: where vhost vports put their sockets by default.
  explicit PortManager(rte_mempool* pool, std::string vhost_dir = "")
      : pool_(pool), vhost_dir_(std::move(vhost_dir)) {}

  // Probes, configures and starts the port. On failure nothing is left
  // behind. Codes: InvalidArgument/NotFound/AlreadyExists (spec),
  // Unavailable (the device refused).
  absl::StatusOr<PortInfoOut> Create(const PortSpec& spec);

  // Stops, closes and unplugs. The caller has made sure no worker polls or
  // sends on it any more (snapshot published without it, grace period over).
  void Destroy(uint16_t port_id, const std::string& vdev_name);

  static bool LinkUp(uint16_t port_id);

 private:
  rte_mempool* pool_;
  std::string vhost_dir_;
};

}  // namespace vswitch::control
