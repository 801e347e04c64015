// SPDX-License-Identifier: Apache-2.0
//
// Every reason the dataplane drops a primary packet, in one list. The X-macro
// generates the enum, the counter names (RPC, shell) and telemetry keys.
// Append only: names are API.
#pragma once

#include <cstdint>

#define VS_DROP_REASONS(X)                                                           \
  X(kRunt, "runt")                        /* shorter than an Ethernet header */       \
  X(kBadSrcMac, "bad_src_mac")            /* multicast or zero source MAC */          \
  X(kUnknownPort, "unknown_port")         /* port not (or no longer) in the config */ \
  X(kPortAdminDown, "port_admin_down")    /* in- or out-port administratively down */ \
  X(kUplinkRx, "uplink_rx")               /* uplink frames are not switched */        \
  X(kSamePort, "same_port")               /* destination is the ingress port */       \
  X(kNoOutputPort, "no_output_port")      /* flood in a VNet with no other port */    \
  X(kTxFull, "tx_full")                   /* the output queue refused the frame */   \
  X(kMtuExceeded, "mtu_exceeded")         /* longer than the output port takes */ \
  X(kBadChain, "bad_chain")               /* mbuf chain disagrees with its pkt_len */ \
  X(kSpoofedSrc, "spoofed_src")           /* port security: not the VM's MAC/IP */    \
  X(kUnknownVni, "unknown_vni")           /* overlay: VXLAN for no VNet of this host */ \
  X(kUnknownVtep, "unknown_vtep")         /* overlay: VXLAN from no known VTEP */     \
  X(kOverlaySpoofed, "overlay_spoofed")   /* overlay: inner source MAC not the VTEP's */ \
  X(kBadVxlan, "bad_vxlan")               /* overlay: malformed outer headers */      \
  X(kOverlayMtu, "overlay_mtu")           /* overlay: frame + 50 B over uplink MTU */ \
  X(kVtepUnresolved, "vtep_unresolved")   /* overlay: VTEP's next hop not resolved */ \
  X(kOverlayTransit, "overlay_transit")   /* overlay: decapped frame for a remote MAC */ \
  X(kNoBuffer, "no_buffer")               /* no mbuf for an overlay header */

namespace vswitch::dataplane {

enum class DropReason : uint8_t {
#define VS_DROP_ENUM(name, str) name,
  VS_DROP_REASONS(VS_DROP_ENUM)
#undef VS_DROP_ENUM
      kCount
};

inline constexpr int kNumDropReasons = static_cast<int>(DropReason::kCount);

inline constexpr const char* kDropReasonNames[kNumDropReasons] = {
#define VS_DROP_NAME(name, str) str,
    VS_DROP_REASONS(VS_DROP_NAME)
#undef VS_DROP_NAME
};

inline constexpr const char* DropReasonName(DropReason r) {
  return kDropReasonNames[static_cast<int>(r)];
}

}  // namespace vswitch::dataplane
