// SPDX-License-Identifier: Apache-2.0
#include "lib/dpdk/mempool.h"

#include <rte_errno.h>

#include <algorithm>

#include "lib/dpdk/dpdk_status.h"

namespace vswitch::dpdk {

absl::StatusOr<MempoolPtr> CreatePktPool(const std::string& name, unsigned n, uint16_t data_room,
                                         unsigned cache) {
  // DPDK refuses a cache above n / 1.5 (EINVAL); and per-lcore caches that
  // hold much of a small pool strand buffers where no one needs them.
  cache = std::min(cache, n / 8);
  rte_mempool* mp =
      rte_pktmbuf_pool_create(name.c_str(), n, cache, /*priv_size=*/0, data_room, SOCKET_ID_ANY);
  if (mp == nullptr) {
    return DpdkError("rte_pktmbuf_pool_create(" + name + ")", rte_errno);
  }
  return MempoolPtr(mp);
}

}  // namespace vswitch::dpdk
