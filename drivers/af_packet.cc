// SPDX-License-Identifier: Apache-2.0
// af_packet:iface=NAME -> net_af_packet on an existing kernel interface.
//
// net_af_packet opens `qpairs` AF_PACKET sockets at probe, each with one RX
// and one TX ring, all in one PACKET_FANOUT (hash) group: the kernel hands
// each received frame to one socket by flow hash. So the device has as many
// receive as transmit queues, and every one of them must be polled (a frame
// hashed to an unpolled socket is never read: an ARP reply that lands there
// leaves the collector unresolved). Without `qpairs`, the switch opens as
// many pairs as the port needs.
#include <net/if.h>

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "drivers/vport_driver.h"

namespace vswitch::drivers {
namespace {

// The kernel's PACKET_FANOUT group holds at most 256 sockets (older kernels).
constexpr uint32_t kMaxQpairs = 256;

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
  // The PMD reads these with atoi(): "abc" would be 0 and fail the probe
  // with a bare error.
  for (const char* key : {"qpairs", "blocksz", "framesz", "framecnt"}) {
    const std::string* v = spec.Find(key);
    uint32_t n = 0;
    if (v != nullptr && (!absl::SimpleAtoi(*v, &n) || n == 0 ||
                         (std::string_view(key) == "qpairs" && n > kMaxQpairs))) {
      return absl::InvalidArgumentError(
          std::string_view(key) == "qpairs"
              ? absl::StrFormat("qpairs '%s': want 1..%u", *v, kMaxQpairs)
              : absl::StrFormat("%s '%s': want a positive integer", key, *v));
    }
  }
  if (check_host && if_nametoindex(iface->c_str()) == 0) {
    return absl::NotFoundError(absl::StrFormat("iface '%s': no such interface", *iface));
  }
  return absl::OkStatus();
}

absl::Status PrepareAfPacket(DriverSpec* spec, const BuildContext& ctx) {
  const uint16_t needed = std::max<uint16_t>({ctx.rx_queues, ctx.tx_queues, 1});
  const std::string* given = spec->Find("qpairs");
  if (given == nullptr) {
    spec->args.emplace_back("qpairs", absl::StrFormat("%u", needed));
    return absl::OkStatus();
  }
  uint32_t qpairs = 0;
  absl::SimpleAtoi(*given, &qpairs);  // Checked by ValidateAfPacket.
  if (qpairs >= needed) {
    return absl::OkStatus();
  }
  const std::string why =
      ctx.tx_queues >= ctx.rx_queues
          ? TxQueuesWhy(ctx.tx_queues)
          : absl::StrFormat("`queues` asks for %u receive queues", ctx.rx_queues);
  return absl::InvalidArgumentError(absl::StrFormat(
      "qpairs=%u: too few; this port needs at least %u (each queue pair is one receive and "
      "one transmit queue; %s). Leave qpairs out to get %u",
      qpairs, needed, why, needed));
}

}  // namespace

extern const VportDriver kAfPacketDriver = {
    "af_packet",      "net_af_packet",          "af_packet:iface=NAME[,qpairs=N]",
    &ValidateAfPacket, &PrepareAfPacket, RxQueueModel::kAllOpened};

}  // namespace vswitch::drivers
