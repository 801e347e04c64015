// SPDX-License-Identifier: Apache-2.0
//
// Per-copy metadata of a mirrored packet, in an mbuf dynamic field. Written
// on the clone after rte_pktmbuf_clone (which copies the original's fields),
// read by the encap worker.
#pragma once

#include <cstdint>

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

namespace vswitch::dataplane {

inline constexpr uint8_t kDirFromVm = 1;  // API TAP_DIRECTION_TX.
inline constexpr uint8_t kDirToVm = 2;    // API TAP_DIRECTION_RX.

struct MirrorMeta {
  uint32_t session_id;
  uint32_t vport_id;    // The tapped vport.
  uint16_t session_slot;
  uint16_t truncate;    // Inner bytes to keep; 0 = all.
  uint8_t direction;    // kDirFromVm / kDirToVm.
  uint8_t flags;        // kMetaIsCopy.
  uint16_t reserved;
  uint64_t tsc;         // When the copy was made.
};
static_assert(sizeof(MirrorMeta) == 24);

inline constexpr uint8_t kMetaIsCopy = 1;  // Copies are never mirrored again.

// Offset of the dynfield; set once by RegisterMirrorMeta() before any
// worker starts, read-only afterwards.
extern int g_mirror_meta_offset;

// Registers the dynfield. Returns the offset or -1 (rte_errno set).
int RegisterMirrorMeta();

inline MirrorMeta* MirrorMetaOf(rte_mbuf* m) {
  return RTE_MBUF_DYNFIELD(m, g_mirror_meta_offset, MirrorMeta*);
}

}  // namespace vswitch::dataplane
