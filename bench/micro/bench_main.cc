// SPDX-License-Identifier: Apache-2.0
//
// main() of micro_bench: starts EAL once (like the unit tests), then runs
// the registered benchmarks. --smoke (stripped before Google Benchmark sees
// the arguments) sets a tiny minimum time and makes Smoke() true.
#include <benchmark/benchmark.h>
#include <rte_eal.h>

#include <cstring>
#include <string>
#include <vector>

#include "bench/micro/bench.h"
#include "test/testing/eal.h"

namespace bench {
namespace {
bool g_smoke = false;
}  // namespace

bool Smoke() { return g_smoke; }

rte_mempool* MakePool(const char* tag, unsigned n) {
  static int seq = 0;
  const std::string name = std::string("bp_") + tag + "_" + std::to_string(seq++);
  return rte_pktmbuf_pool_create(name.c_str(), n, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
}

void PrefillPool(rte_mempool* mp, const std::vector<uint8_t>& frame) {
  std::vector<rte_mbuf*> all;
  while (rte_mbuf* m = rte_pktmbuf_alloc(mp)) {
    std::memcpy(rte_pktmbuf_mtod(m, uint8_t*), frame.data(), frame.size());
    all.push_back(m);
  }
  for (rte_mbuf* m : all) {
    rte_pktmbuf_free(m);
  }
}

}  // namespace bench

int main(int argc, char** argv) {
  std::vector<char*> args;
  std::string min_time = "--benchmark_min_time=0.01";
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--smoke") == 0) {
      bench::g_smoke = true;
    } else {
      args.push_back(argv[i]);
    }
  }
  if (bench::g_smoke) {
    // Inserted first so that an explicit --benchmark_min_time still wins.
    args.insert(args.begin() + 1, min_time.data());
  }
  int n = static_cast<int>(args.size());
  args.push_back(nullptr);
  if (!vswitch::testing::StartEal(argv[0], "bench")) {
    return 1;
  }
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) {
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  rte_eal_cleanup();
  return 0;
}
