// SPDX-License-Identifier: Apache-2.0
//
// FlowCache lookups of bursts of 32 keys: all hits, and all misses, of L2
// keys and of IPv6 5-tuple keys (whose addresses are compared beside the key).
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include "bench/micro/bench.h"
#include "vswitch/dataplane/flow_cache.h"

namespace {

using vswitch::dataplane::Action;
using vswitch::dataplane::ActionKind;
using vswitch::dataplane::FlowCache;
using vswitch::dataplane::FlowEntry;
using vswitch::dataplane::Ipv6Addrs;
using vswitch::dataplane::PacketKey;

constexpr uint32_t kCacheEntries = 65536;
constexpr uint32_t kFlows = 4096;  // Fits the cache: every lookup of them hits.
constexpr uint32_t kBurst = 32;

PacketKey KeyFor(uint32_t n) {
  PacketKey k;
  std::memset(&k, 0, sizeof(k));
  k.in_port = 1;
  k.flags = vswitch::dataplane::kKeyL2;
  k.src_mac[0] = 0x02;
  std::memcpy(&k.src_mac[2], &n, 4);
  return k;
}

// An IPv6 flow n between 2001:db8::1 and 2001:db8::<n>, UDP.
PacketKey Key6For(uint32_t n, Ipv6Addrs* a) {
  PacketKey k = KeyFor(0);
  std::memset(a, 0, sizeof(*a));
  a->src[0] = a->dst[0] = 0x20;
  a->src[1] = a->dst[1] = 0x01;
  a->src[15] = 1;
  std::memcpy(&a->dst[12], &n, 4);
  k.flags |= vswitch::dataplane::kKeyIpv6 | vswitch::dataplane::kKeyL4;
  k.src_ip = vswitch::dataplane::Ipv6Digest(a->src);
  k.dst_ip = vswitch::dataplane::Ipv6Digest(a->dst);
  k.proto = 17;
  k.src_port = 1000;
  k.dst_port = 2000;
  return k;
}

void RunLookups(benchmark::State& state, bool hit, bool ipv6) {
  FlowCache cache(kCacheEntries);
  std::vector<PacketKey> keys(kFlows);
  std::vector<Ipv6Addrs> addrs(kFlows);
  std::vector<uint32_t> hashes(kFlows);
  for (uint32_t i = 0; i < kFlows; ++i) {
    keys[i] = ipv6 ? Key6For(i, &addrs[i]) : KeyFor(i);
    hashes[i] = keys[i].Hash();
    if (hit) {
      cache.Insert(1, keys[i], addrs[i], hashes[i],
                   Action{.kind = ActionKind::kUnicast, .out_port = 2}, 0);
    }
  }
  uint32_t next = 0;
  uint64_t found = 0;
  const uint64_t start = rte_rdtsc();
  for (auto _ : state) {
    for (uint32_t j = 0; j < kBurst; ++j) {
      const uint32_t i = (next + j) & (kFlows - 1);
      FlowEntry* e = cache.Lookup(1, keys[i], addrs[i], hashes[i]);
      found += e != nullptr;
      benchmark::DoNotOptimize(e);
    }
    next = (next + kBurst) & (kFlows - 1);
  }
  const uint64_t cycles = rte_rdtsc() - start;
  const int64_t items = static_cast<int64_t>(state.iterations()) * kBurst;
  bench::ReportPerPacket(state, cycles, items);
  if (hit && found != static_cast<uint64_t>(items)) {
    state.SkipWithError("expected every lookup to hit");
  }
  if (!hit && found != 0) {
    state.SkipWithError("expected every lookup to miss");
  }
}

void BM_FlowCacheHit(benchmark::State& state) { RunLookups(state, true, false); }
void BM_FlowCacheMiss(benchmark::State& state) { RunLookups(state, false, false); }
void BM_FlowCacheHit6(benchmark::State& state) { RunLookups(state, true, true); }
void BM_FlowCacheMiss6(benchmark::State& state) { RunLookups(state, false, true); }
BENCHMARK(BM_FlowCacheHit);
BENCHMARK(BM_FlowCacheMiss);
BENCHMARK(BM_FlowCacheHit6);
BENCHMARK(BM_FlowCacheMiss6);

}  // namespace
