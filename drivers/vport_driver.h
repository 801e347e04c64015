// SPDX-License-Identifier: Apache-2.0
//
// Vport drivers: a spec string ("tap:iface=vm1") -> DPDK vdev arguments.
// The registry (registry.cc) is the one place that knows which drivers
// exist; each driver file validates its own keys.
// Thread: control side only.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace vswitch::drivers {

struct DriverSpec {
  std::string driver;
  std::vector<std::pair<std::string, std::string>> args;  // In spec order.

  // Value of `key`, or nullptr.
  const std::string* Find(std::string_view key) const;
};

// What to hand to rte_dev_probe.
struct VdevRequest {
  std::string name;     // Unique vdev name, e.g. "net_tap_vs3".
  std::string devargs;  // "net_tap_vs3,iface=vm1".
};

// What a driver may need beyond its spec to build the request.
struct BuildContext {
  std::string_view vport_name;  // Names per-vport defaults (vhost socket).
  std::string_view vhost_dir;   // --vhost_dir: where vhost sockets go by default.
  // Queues the port needs: rx_queues is the vport's `queues` (a minimum),
  // tx_queues one per lcore that sends on it (forwarding lcores; on the
  // uplink also the encap worker and the main lcore's ARP).
  uint16_t rx_queues = 1;
  uint16_t tx_queues = 1;
};

// How a driver's receive queue count relates to what the port asks for.
// Every receive queue the device opens must be polled: a frame the kernel
// or PMD puts into an unpolled one is never read.
enum class RxQueueModel {
  kAsAsked,     // ring, null: the configured count, independent of TX.
  kAtLeastTx,   // tap (one kernel queue serves both directions), vhost (the
                // guest may send on every queue pair it is offered).
  kAllOpened,   // af_packet (one socket per queue pair in a PACKET_FANOUT
                // group, each gets a share of the frames), pcap (one handle
                // per rx_* key): opened at probe, all of them are polled.
};

struct VportDriver {
  const char* name;         // Spec prefix: "tap".
  const char* dpdk_driver;  // DPDK vdev driver: "net_tap".
  const char* usage;        // One line: "tap:iface=NAME".
  // Checks args and, with check_host, the host (that an interface exists or
  // is free: true only for a vport about to be created). Messages name the
  // key and value; the caller prefixes the field.
  absl::Status (*validate)(const DriverSpec& spec, bool check_host);
  // Optional: rewrites the validated args into the vdev's (defaults that
  // depend on the vport, queue counts) and readies the host (directories,
  // stale sockets). Runs only when the device is about to be created.
  // Drivers whose queue counts are fixed at probe (af_packet, pcap) set them
  // here from ctx when the spec does not say, and refuse a count given in
  // the spec that is too small, naming the minimum.
  absl::Status (*prepare)(DriverSpec* spec, const BuildContext& ctx) = nullptr;
  RxQueueModel rx_model = RxQueueModel::kAsAsked;
};

// Receive queues to configure and poll on a device of `model` for a port
// asking for `rx` receive and `tx` transmit queues, when the device offers
// `device_max_rx` (for kAllOpened: how many it opened). May exceed
// device_max_rx only for kAsAsked/kAtLeastTx (the caller then refuses).
uint16_t RxQueuesToPoll(RxQueueModel model, uint16_t rx, uint16_t tx, uint16_t device_max_rx);

// Why a port transmits on `tx` queues, for error messages.
std::string TxQueuesWhy(uint16_t tx);

// "DRIVER[:key=value[,key=value...]]". Syntax errors are InvalidArgument.
absl::StatusOr<DriverSpec> ParseDriverSpec(std::string_view text);

// The driver for spec.driver, or InvalidArgument listing the known ones.
absl::StatusOr<const VportDriver*> FindDriver(std::string_view name);

// Parses, validates (with host checks) and builds the vdev request. `unique` makes the vdev
// name unique in the process (the vport id).
absl::StatusOr<VdevRequest> BuildVdevRequest(std::string_view spec, uint32_t unique,
                                             const BuildContext& ctx = {});

// Parses and validates `spec`; see VportDriver::validate for check_host.
absl::Status ValidateDriverSpec(std::string_view spec, bool check_host);

// Helpers shared by driver files.
absl::Status RequireOnlyKeys(const DriverSpec& spec, const std::vector<std::string>& allowed);
absl::Status ValidateIfaceName(std::string_view key, const std::string& value);

const std::vector<const VportDriver*>& AllDrivers();

}  // namespace vswitch::drivers
