// SPDX-License-Identifier: Apache-2.0
#include "test/testing/ring_port.h"

#include <rte_dev.h>
#include <rte_ethdev.h>

#include "absl/strings/str_format.h"
#include "lib/dpdk/dpdk_status.h"

namespace vswitch::testing {

absl::StatusOr<uint16_t> StartRingPort(const std::string& name, rte_mempool* pool) {
  int ret = rte_dev_probe(name.c_str());
  if (ret != 0) {
    return dpdk::DpdkError("rte_dev_probe(" + name + ")", ret);
  }
  uint16_t port = 0;
  ret = rte_eth_dev_get_port_by_name(name.c_str(), &port);
  if (ret != 0) {
    return dpdk::DpdkError("rte_eth_dev_get_port_by_name(" + name + ")", ret);
  }
  rte_eth_conf conf{};
  if ((ret = rte_eth_dev_configure(port, 1, 1, &conf)) != 0 ||
      (ret = rte_eth_rx_queue_setup(port, 0, 1024, SOCKET_ID_ANY, nullptr, pool)) != 0 ||
      (ret = rte_eth_tx_queue_setup(port, 0, 1024, SOCKET_ID_ANY, nullptr)) != 0 ||
      (ret = rte_eth_dev_start(port)) != 0) {
    return dpdk::DpdkError(absl::StrFormat("setting up port %u (%s)", port, name), ret);
  }
  return port;
}

void StopRingPort(uint16_t port_id, const std::string& name) {
  FreeAll(DrainPort(port_id));
  rte_eth_dev_stop(port_id);
  rte_eth_dev_close(port_id);
  rte_eal_hotplug_remove("vdev", name.c_str());
}

std::vector<rte_mbuf*> DrainPort(uint16_t port_id) {
  std::vector<rte_mbuf*> out;
  rte_mbuf* burst[32];
  uint16_t n;
  while ((n = rte_eth_rx_burst(port_id, 0, burst, 32)) > 0) {
    out.insert(out.end(), burst, burst + n);
  }
  return out;
}

void FreeAll(const std::vector<rte_mbuf*>& pkts) {
  for (rte_mbuf* m : pkts) {
    rte_pktmbuf_free(m);
  }
}

}  // namespace vswitch::testing
