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
  uint16_t rx_queues = 1;       // Queues the port will be configured with.
  uint16_t tx_queues = 1;
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
  absl::Status (*prepare)(DriverSpec* spec, const BuildContext& ctx) = nullptr;
};

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
