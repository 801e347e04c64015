// SPDX-License-Identifier: Apache-2.0
//
// Shared by the micro-benchmarks: smoke mode, cycle counting, test frames.
#pragma once

#include <benchmark/benchmark.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <cstdint>
#include <string>
#include <vector>

namespace bench {

// True when the binary runs with --smoke (CI): benchmarks shrink big
// setups (table sizes) so the whole run takes seconds.
bool Smoke();

// Adds the "cycles_per_pkt" counter: `cycles` TSC cycles spent on `items`
// packets (or lookups). Also sets items processed.
inline void ReportPerPacket(benchmark::State& state, uint64_t cycles, int64_t items) {
  state.SetItemsProcessed(items);
  state.counters["cycles_per_pkt"] =
      benchmark::Counter(items > 0 ? static_cast<double>(cycles) / static_cast<double>(items) : 0);
}

// Probes, configures (1 RX, 1 TX queue) and starts a net_null port `name`
// (a vdev devargs string). Returns 0 or a negative errno.
inline int StartNullPort(const std::string& name, rte_mempool* mp, uint16_t* port) {
  int ret = rte_dev_probe(name.c_str());
  if (ret != 0) {
    return ret;
  }
  if ((ret = rte_eth_dev_get_port_by_name(name.c_str(), port)) != 0) {
    return ret;
  }
  rte_eth_conf conf{};
  if ((ret = rte_eth_dev_configure(*port, 1, 1, &conf)) != 0 ||
      (ret = rte_eth_rx_queue_setup(*port, 0, 512, SOCKET_ID_ANY, nullptr, mp)) != 0 ||
      (ret = rte_eth_tx_queue_setup(*port, 0, 512, SOCKET_ID_ANY, nullptr)) != 0) {
    return ret;
  }
  return rte_eth_dev_start(*port);
}

inline void StopNullPort(uint16_t port, const std::string& name) {
  rte_eth_dev_stop(port);
  rte_eth_dev_close(port);
  rte_eal_hotplug_remove("vdev", name.c_str());
}

// A packet pool with a process-unique name; null on failure.
rte_mempool* MakePool(const char* tag, unsigned n);

// Fills every mbuf of `mp` with `frame`, so an mbuf freshly taken from the
// pool only needs its lengths set (the data room keeps its bytes).
void PrefillPool(rte_mempool* mp, const std::vector<uint8_t>& frame);

// Takes `n` mbufs from a prefilled pool and sets their lengths to `len`.
// Returns false if the pool is empty.
inline bool AllocFrames(rte_mempool* mp, rte_mbuf** pkts, unsigned n, uint16_t len) {
  if (rte_pktmbuf_alloc_bulk(mp, pkts, n) != 0) {
    return false;
  }
  for (unsigned i = 0; i < n; ++i) {
    pkts[i]->data_len = len;
    pkts[i]->pkt_len = len;
  }
  return true;
}

}  // namespace bench
