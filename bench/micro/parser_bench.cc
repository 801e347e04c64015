// SPDX-License-Identifier: Apache-2.0
//
// ParseKey over a burst of 32 real mbufs (Ethernet + IPv4 + UDP).
#include <benchmark/benchmark.h>

#include "bench/micro/bench.h"
#include "test/testing/frame_builder.h"
#include "vswitch/dataplane/parser.h"
#include "vswitch/dataplane/tx_batch.h"

namespace {

using vswitch::dataplane::kMaxBurst;
using vswitch::dataplane::PacketKey;

void BM_ParseKeyBurst(benchmark::State& state) {
  rte_mempool* mp = bench::MakePool("parse", 1023);
  if (mp == nullptr) {
    state.SkipWithError("mempool");
    return;
  }
  rte_mbuf* pkts[kMaxBurst];
  for (uint16_t i = 0; i < kMaxBurst; ++i) {
    const auto frame = vswitch::testing::UdpFrame(vswitch::testing::TestMac(1),
                                                  vswitch::testing::TestMac(2), i, 80, 64);
    pkts[i] = rte_pktmbuf_alloc(mp);
    std::memcpy(rte_pktmbuf_append(pkts[i], frame.size()), frame.data(), frame.size());
  }
  PacketKey keys[kMaxBurst];
  const uint64_t start = rte_rdtsc();
  for (auto _ : state) {
    for (uint16_t i = 0; i < kMaxBurst; ++i) {
      vswitch::dataplane::ParseKey(pkts[i], 1, &keys[i]);
    }
    benchmark::DoNotOptimize(keys);
    benchmark::ClobberMemory();
  }
  const uint64_t cycles = rte_rdtsc() - start;
  bench::ReportPerPacket(state, cycles, static_cast<int64_t>(state.iterations()) * kMaxBurst);
  rte_pktmbuf_free_bulk(pkts, kMaxBurst);
  rte_mempool_free(mp);
}
BENCHMARK(BM_ParseKeyBurst);

}  // namespace
