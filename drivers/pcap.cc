// SPDX-License-Identifier: Apache-2.0
// pcap:rx_pcap=FILE,tx_pcap=FILE,... -> net_pcap.
//
// net_pcap opens its queues at probe, one per key: each rx_pcap, rx_iface,
// rx_iface_in is a receive queue, each tx_pcap, tx_iface a transmit queue;
// iface=NAME is one pair on one handle. Without tx keys it makes one
// dropping transmit queue per receive queue, without rx keys one empty
// receive queue per transmit queue. The port needs a transmit queue per lcore
// that sends on it, so where the spec leaves the count open the switch adds
// the queues (PreparePcap); a count the spec fixes that is too small is
// refused.
#include <algorithm>
#include <set>
#include <string>

#include "absl/strings/str_format.h"
#include "drivers/vport_driver.h"

namespace vswitch::drivers {
namespace {

// RTE_PMD_PCAP_MAX_QUEUES.
constexpr uint16_t kMaxPcapQueues = 16;

bool IsRxKey(const std::string& k) {
  return k == "rx_pcap" || k == "rx_iface" || k == "rx_iface_in";
}
bool IsTxKey(const std::string& k) { return k == "tx_pcap" || k == "tx_iface"; }

absl::Status ValidatePcap(const DriverSpec& spec, bool /*check_host*/) {
  absl::Status st = RequireOnlyKeys(spec, {"rx_pcap", "tx_pcap", "rx_iface", "rx_iface_in",
                                           "tx_iface", "iface", "phy_mac", "infinite_rx"});
  if (!st.ok()) {
    return st;
  }
  bool queue_key = false;
  bool rx_or_tx = false;
  std::set<std::string> rx_ifaces;
  for (const auto& [k, v] : spec.args) {
    queue_key |= IsRxKey(k) || IsTxKey(k) || k == "iface";
    rx_or_tx |= IsRxKey(k) || IsTxKey(k);
    // Two capture handles on one interface both see every frame.
    if ((k == "rx_iface" || k == "rx_iface_in") && !rx_ifaces.insert(v).second) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s '%s': the interface is already a receive queue of this port (each would receive "
          "every frame)",
          k, v));
    }
  }
  if (!queue_key) {
    return absl::InvalidArgumentError(
        "driver 'pcap' needs at least one of rx_pcap, tx_pcap, rx_iface, rx_iface_in, tx_iface, "
        "iface");
  }
  // net_pcap then uses iface alone and silently ignores the rest.
  if (spec.Find("iface") != nullptr && rx_or_tx) {
    return absl::InvalidArgumentError(
        "iface=NAME is a whole receive/transmit pair; it cannot be combined with rx_* or tx_* "
        "keys");
  }
  return absl::OkStatus();
}

absl::Status PreparePcap(DriverSpec* spec, const BuildContext& ctx) {
  const uint16_t tx_needed = std::max<uint16_t>(ctx.tx_queues, 1);
  if (tx_needed > kMaxPcapQueues) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "net_pcap opens at most %u queues; this port needs %u (%s)", kMaxPcapQueues, tx_needed,
        TxQueuesWhy(tx_needed)));
  }
  uint16_t n_rx = 0;
  uint16_t n_tx = 0;
  std::set<std::string> tx_ifaces;
  bool tx_files = false;
  for (const auto& [k, v] : spec->args) {
    n_rx += IsRxKey(k);
    n_tx += IsTxKey(k);
    if (k == "tx_iface") {
      tx_ifaces.insert(v);
    }
    tx_files |= k == "tx_pcap";
  }

  if (const std::string* iface = spec->Find("iface"); iface != nullptr) {
    if (ctx.rx_queues > 1) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "queues %u: iface=%s is one receive queue (rx_iface_in=NAME once is the same)",
          ctx.rx_queues, *iface));
    }
    if (tx_needed == 1) {
      return absl::OkStatus();
    }
    const std::string* phy_mac = spec->Find("phy_mac");
    if (phy_mac != nullptr && *phy_mac != "0") {
      return absl::InvalidArgumentError(absl::StrFormat(
          "phy_mac=%s works only with iface= on a single queue pair; this port needs %u "
          "transmit queues (%s)",
          *phy_mac, tx_needed, TxQueuesWhy(tx_needed)));
    }
    // The same device as separate handles: one capturing what arrives
    // (direction IN, so it does not see the switch's own frames sent on the
    // other handles), one sending per transmit queue.
    const std::string name = *iface;
    spec->args.clear();
    spec->args.emplace_back("rx_iface_in", name);
    for (uint16_t q = 0; q < tx_needed; ++q) {
      spec->args.emplace_back("tx_iface", name);
    }
    return absl::OkStatus();
  }

  if (n_rx > 0 && ctx.rx_queues > n_rx) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "queues %u: net_pcap has one receive queue per rx_pcap/rx_iface/rx_iface_in key; %u "
        "given",
        ctx.rx_queues, n_rx));
  }
  if (n_rx == 0 && ctx.rx_queues > 1) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "queues %u: this port receives nothing (no rx_pcap/rx_iface/rx_iface_in key); leave "
        "queues at 1",
        ctx.rx_queues));
  }
  if (n_tx >= tx_needed) {
    return absl::OkStatus();
  }
  if (n_tx == 0) {
    // net_pcap drops on one queue per receive queue; more such queues
    // exist only as dumpers, here into /dev/null.
    if (n_rx >= tx_needed) {
      return absl::OkStatus();
    }
    for (uint16_t q = 0; q < tx_needed; ++q) {
      spec->args.emplace_back("tx_pcap", "/dev/null");
    }
    return absl::OkStatus();
  }
  if (!tx_files && tx_ifaces.size() == 1) {
    // Another send handle on the same interface changes nothing else.
    const std::string name = *tx_ifaces.begin();
    for (uint16_t q = n_tx; q < tx_needed; ++q) {
      spec->args.emplace_back("tx_iface", name);
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrFormat(
      "tx_pcap/tx_iface: %u given, one per transmit queue; this port needs at least %u (%s). "
      "Give %u (tx_pcap=/dev/null for output nobody needs)",
      n_tx, tx_needed, TxQueuesWhy(tx_needed), tx_needed));
}

}  // namespace

extern const VportDriver kPcapDriver = {"pcap",        "net_pcap",
                                        "pcap:rx_pcap=FILE[,tx_pcap=FILE]",
                                        &ValidatePcap, &PreparePcap,
                                        RxQueueModel::kAllOpened};

}  // namespace vswitch::drivers
