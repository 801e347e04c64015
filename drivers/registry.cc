// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <string>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "drivers/vport_driver.h"

namespace vswitch::drivers {

extern const VportDriver kTapDriver;
extern const VportDriver kAfPacketDriver;
extern const VportDriver kPcapDriver;
extern const VportDriver kRingDriver;
extern const VportDriver kNullDriver;
extern const VportDriver kVhostDriver;

// Explicit list: no static-initialiser registry.
const std::vector<const VportDriver*>& AllDrivers() {
  static const std::vector<const VportDriver*> kAll = {&kTapDriver, &kAfPacketDriver,
                                                       &kPcapDriver, &kRingDriver, &kNullDriver,
                                                       &kVhostDriver};
  return kAll;
}

const std::string* DriverSpec::Find(std::string_view key) const {
  for (const auto& [k, v] : args) {
    if (k == key) {
      return &v;
    }
  }
  return nullptr;
}

absl::StatusOr<DriverSpec> ParseDriverSpec(std::string_view text) {
  DriverSpec spec;
  size_t colon = text.find(':');
  spec.driver = std::string(text.substr(0, colon));
  if (spec.driver.empty()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("'%s': missing driver name (want DRIVER[:key=value,...])", text));
  }
  if (colon == std::string_view::npos) {
    return spec;
  }
  std::string_view rest = text.substr(colon + 1);
  if (rest.empty()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("'%s': nothing after ':' (want DRIVER[:key=value,...])", text));
  }
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view kv = rest.substr(0, comma);
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == kv.size()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("'%s': '%s' is not key=value", text, kv));
    }
    std::string key(kv.substr(0, eq));
    std::string value(kv.substr(eq + 1));
    if (value.find_first_of(" \t;") != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrFormat("'%s': value of '%s' contains a blank or ';'", text, key));
    }
    // net_pcap opens one queue per rx_pcap/tx_pcap/rx_iface/tx_iface given.
    const bool queue_key = spec.driver == "pcap" && (key == "rx_pcap" || key == "tx_pcap" ||
                                                     key == "rx_iface" || key == "tx_iface");
    if (!queue_key && spec.Find(key) != nullptr) {
      return absl::InvalidArgumentError(absl::StrFormat("'%s': key '%s' repeated", text, key));
    }
    spec.args.emplace_back(std::move(key), std::move(value));
    if (comma == std::string_view::npos) {
      break;
    }
    rest = rest.substr(comma + 1);
    if (rest.empty()) {
      return absl::InvalidArgumentError(absl::StrFormat("'%s': trailing ','", text));
    }
  }
  return spec;
}

absl::StatusOr<const VportDriver*> FindDriver(std::string_view name) {
  std::vector<std::string> names;
  for (const VportDriver* d : AllDrivers()) {
    if (name == d->name) {
      return d;
    }
    names.push_back(d->name);
  }
  return absl::InvalidArgumentError(absl::StrFormat("unknown driver '%s' (known: %s)", name,
                                                    absl::StrJoin(names, ", ")));
}

namespace {

struct ParsedSpec {
  DriverSpec spec;
  const VportDriver* driver;
};

// Parses `text` and finds its driver; validates the arguments.
absl::StatusOr<ParsedSpec> ParseAndValidate(std::string_view text, bool check_host) {
  auto spec = ParseDriverSpec(text);
  if (!spec.ok()) {
    return spec.status();
  }
  auto driver = FindDriver(spec->driver);
  if (!driver.ok()) {
    return driver.status();
  }
  absl::Status st = (*driver)->validate(*spec, check_host);
  if (!st.ok()) {
    return st;
  }
  return ParsedSpec{std::move(*spec), *driver};
}

}  // namespace

absl::Status ValidateDriverSpec(std::string_view text, bool check_host) {
  return ParseAndValidate(text, check_host).status();
}

absl::StatusOr<VdevRequest> BuildVdevRequest(std::string_view text, uint32_t unique,
                                             const BuildContext& ctx) {
  auto parsed = ParseAndValidate(text, /*check_host=*/true);
  if (!parsed.ok()) {
    return parsed.status();
  }
  if (parsed->driver->prepare != nullptr) {
    absl::Status st = parsed->driver->prepare(&parsed->spec, ctx);
    if (!st.ok()) {
      return st;
    }
  }
  VdevRequest req;
  req.name = absl::StrFormat("%s_vs%u", parsed->driver->dpdk_driver, unique);
  req.devargs = req.name;
  for (const auto& [k, v] : parsed->spec.args) {
    absl::StrAppendFormat(&req.devargs, ",%s=%s", k, v);
  }
  return req;
}

uint16_t RxQueuesToPoll(RxQueueModel model, uint16_t rx, uint16_t tx, uint16_t device_max_rx) {
  switch (model) {
    case RxQueueModel::kAsAsked:
      return rx;
    case RxQueueModel::kAtLeastTx:
      return std::max(rx, tx);
    case RxQueueModel::kAllOpened:
      return device_max_rx;
  }
  return rx;
}

std::string TxQueuesWhy(uint16_t tx) {
  return absl::StrFormat(
      "it transmits on %u queues: one per forwarding lcore, two more on the uplink (encap "
      "worker, ARP)",
      tx);
}

absl::Status RequireOnlyKeys(const DriverSpec& spec, const std::vector<std::string>& allowed) {
  for (const auto& [k, v] : spec.args) {
    bool ok = false;
    for (const auto& a : allowed) {
      ok |= (k == a);
    }
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrFormat("driver '%s' has no key '%s' (keys: %s)", spec.driver, k,
                          absl::StrJoin(allowed, ", ")));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateIfaceName(std::string_view key, const std::string& value) {
  if (value.empty() || value.size() > 15) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s '%s': interface names are 1..15 characters", key, value));
  }
  for (char c : value) {
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s '%s': character '%c' not allowed", key, value, c));
    }
  }
  return absl::OkStatus();
}

}  // namespace vswitch::drivers
