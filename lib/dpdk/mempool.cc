// SPDX-License-Identifier: Apache-2.0
#include "lib/dpdk/mempool.h"

#include <rte_errno.h>

#include "lib/dpdk/dpdk_status.h"

namespace vswitch::dpdk {

absl::StatusOr<MempoolPtr> CreatePktPool(const std::string& name, unsigned n, uint16_t data_room,
                                         unsigned cache) {
  rte_mempool* mp =
      rte_pktmbuf_pool_create(name.c_str(), n, cache, /*priv_size=*/0, data_room, SOCKET_ID_ANY);
  if (mp == nullptr) {
    return DpdkError("rte_pktmbuf_pool_create(" + name + ")", rte_errno);
  }
  return MempoolPtr(mp);
}

}  // namespace vswitch::dpdk
