// SPDX-License-Identifier: Apache-2.0
//
// RAII for a packet mbuf pool.
#pragma once

#include <memory>
#include <string>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "absl/status/statusor.h"

namespace vswitch::dpdk {

struct MempoolDeleter {
  void operator()(rte_mempool* mp) const { rte_mempool_free(mp); }
};
using MempoolPtr = std::unique_ptr<rte_mempool, MempoolDeleter>;

// Creates a packet pool with `n` mbufs of `data_room` bytes each and a
// per-lcore cache of `cache` (at most n / 8) mbufs.
// Returns ResourceExhausted when the EAL has no memory for it.
absl::StatusOr<MempoolPtr> CreatePktPool(const std::string& name, unsigned n,
                                         uint16_t data_room = RTE_MBUF_DEFAULT_BUF_SIZE,
                                         unsigned cache = 256);

// Mbufs currently taken from `mp` (used by tests to find leaks).
inline unsigned InUse(const rte_mempool* mp) { return rte_mempool_in_use_count(mp); }

}  // namespace vswitch::dpdk
