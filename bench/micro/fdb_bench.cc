// SPDX-License-Identifier: Apache-2.0
//
// The slow path's FDB lookup: rte_hash_lookup_bulk_data of 32 FdbKeys in a
// table of 1k or 100k entries (smoke mode caps the table at 1k).
#include <benchmark/benchmark.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "bench/micro/bench.h"
#include "vswitch/dataplane/snapshot.h"

namespace {

using vswitch::dataplane::FdbKey;

constexpr uint32_t kBurst = 32;

FdbKey KeyFor(uint32_t n) {
  FdbKey k{.vnet_index = static_cast<uint16_t>(n % 7), .mac = {}};
  k.mac[0] = 0x02;
  std::memcpy(&k.mac[2], &n, 4);
  return k;
}

void BM_FdbLookupBulk(benchmark::State& state) {
  uint32_t entries = static_cast<uint32_t>(state.range(0));
  if (bench::Smoke()) {
    entries = std::min<uint32_t>(entries, 1000);
  }
  static int seq = 0;
  const std::string name = "bench_fdb_" + std::to_string(seq++);
  rte_hash_parameters p{};
  p.name = name.c_str();
  p.entries = std::max<uint32_t>(1024, 2 * entries);  // Headroom as the builder gives it.
  p.key_len = sizeof(FdbKey);
  p.hash_func = rte_hash_crc;
  p.socket_id = SOCKET_ID_ANY;
  rte_hash* h = rte_hash_create(&p);
  if (h == nullptr) {
    state.SkipWithError("rte_hash_create");
    return;
  }
  for (uint32_t i = 0; i < entries; ++i) {
    const FdbKey k = KeyFor(i);
    if (rte_hash_add_key_data(h, &k, reinterpret_cast<void*>(uintptr_t{i % 32})) != 0) {
      state.SkipWithError("rte_hash_add_key_data");
      rte_hash_free(h);
      return;
    }
  }
  // Lookup keys spread over the table, all present.
  std::vector<FdbKey> keys(4096);
  for (uint32_t i = 0; i < keys.size(); ++i) {
    keys[i] = KeyFor((i * 2654435761u) % entries);
  }
  const void* ptrs[kBurst];
  void* data[kBurst];
  uint64_t hits_total = 0;
  uint32_t next = 0;
  const uint64_t start = rte_rdtsc();
  for (auto _ : state) {
    for (uint32_t j = 0; j < kBurst; ++j) {
      ptrs[j] = &keys[(next + j) & (keys.size() - 1)];
    }
    next += kBurst;
    uint64_t hits = 0;
    rte_hash_lookup_bulk_data(h, ptrs, kBurst, &hits, data);
    hits_total += static_cast<uint64_t>(__builtin_popcountll(hits));
    benchmark::DoNotOptimize(data);
  }
  const uint64_t cycles = rte_rdtsc() - start;
  const int64_t items = static_cast<int64_t>(state.iterations()) * kBurst;
  bench::ReportPerPacket(state, cycles, items);
  state.counters["entries"] = entries;
  if (hits_total != static_cast<uint64_t>(items)) {
    state.SkipWithError("expected every key to be found");
  }
  rte_hash_free(h);
}
BENCHMARK(BM_FdbLookupBulk)->Arg(1000)->Arg(100000);

}  // namespace
