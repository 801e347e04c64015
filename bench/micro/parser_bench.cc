// SPDX-License-Identifier: Apache-2.0
//
// ParseKey over a burst of 32 real mbufs (Ethernet + IPv4 + UDP, and the
// same over IPv6 with 0 or 2 extension headers); WalkIpv6 over 32 IPv6
// headers with 0 or 4 extension headers before UDP.
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include "bench/micro/bench.h"
#include "test/testing/frame_builder.h"
#include "vswitch/dataplane/ipv6.h"
#include "vswitch/dataplane/parser.h"
#include "vswitch/dataplane/tx_batch.h"

namespace {

using vswitch::dataplane::Ipv6Addrs;
using vswitch::dataplane::kMaxBurst;
using vswitch::dataplane::PacketKey;

// ParseKey over one burst of `frames` (one each), keys and IPv6 addresses
// into per-burst arrays as the forwarder has them.
void RunParse(benchmark::State& state, const std::vector<std::vector<uint8_t>>& frames) {
  rte_mempool* mp = bench::MakePool("parse", 1023);
  if (mp == nullptr) {
    state.SkipWithError("mempool");
    return;
  }
  rte_mbuf* pkts[kMaxBurst];
  for (uint16_t i = 0; i < kMaxBurst; ++i) {
    pkts[i] = rte_pktmbuf_alloc(mp);
    std::memcpy(rte_pktmbuf_append(pkts[i], frames[i].size()), frames[i].data(),
                frames[i].size());
  }
  PacketKey keys[kMaxBurst];
  Ipv6Addrs addrs[kMaxBurst];
  const uint64_t start = rte_rdtsc();
  for (auto _ : state) {
    for (uint16_t i = 0; i < kMaxBurst; ++i) {
      vswitch::dataplane::ParseKey(pkts[i], 1, &keys[i], &addrs[i]);
    }
    benchmark::DoNotOptimize(keys);
    benchmark::DoNotOptimize(addrs);
    benchmark::ClobberMemory();
  }
  const uint64_t cycles = rte_rdtsc() - start;
  bench::ReportPerPacket(state, cycles, static_cast<int64_t>(state.iterations()) * kMaxBurst);
  rte_pktmbuf_free_bulk(pkts, kMaxBurst);
  rte_mempool_free(mp);
}

void BM_ParseKeyBurst(benchmark::State& state) {
  std::vector<std::vector<uint8_t>> frames;
  for (uint16_t i = 0; i < kMaxBurst; ++i) {
    frames.push_back(vswitch::testing::UdpFrame(vswitch::testing::TestMac(1),
                                                vswitch::testing::TestMac(2), i, 80, 64));
  }
  RunParse(state, frames);
}
BENCHMARK(BM_ParseKeyBurst);

// The same UDP flows over IPv6. Arg: extension headers before UDP (0, or
// hop-by-hop + destination options).
void BM_ParseKeyBurst6(benchmark::State& state) {
  using vswitch::testing::FrameBuilder;
  const bool ext = state.range(0) != 0;
  std::vector<std::vector<uint8_t>> frames;
  for (uint16_t i = 0; i < kMaxBurst; ++i) {
    FrameBuilder b;
    b.Eth(vswitch::testing::TestMac(1), vswitch::testing::TestMac(2)).EtherType(0x86dd);
    if (ext) {
      b.Ipv6({.next_header = 0}).Ipv6Options(60).Ipv6Options(17);
    } else {
      b.Ipv6({});
    }
    frames.push_back(b.L4Ports(i, 80).Fill(4, 0).Fill(64 - 20, 0xab).Build());
  }
  RunParse(state, frames);
}
BENCHMARK(BM_ParseKeyBurst6)->Arg(0)->Arg(2);

// Arg: extension headers (destination options, 8 bytes each) before UDP.
void BM_WalkIpv6Burst(benchmark::State& state) {
  const int ext = static_cast<int>(state.range(0));
  uint8_t hdrs[kMaxBurst][40 + 8 * 8 + 8] = {};
  for (uint16_t i = 0; i < kMaxBurst; ++i) {
    uint8_t* h = hdrs[i];
    h[0] = 0x60;
    h[5] = static_cast<uint8_t>(8 * ext + 8);
    h[6] = static_cast<uint8_t>(ext > 0 ? int{IPPROTO_DSTOPTS} : int{IPPROTO_UDP});
    h[23] = static_cast<uint8_t>(i);
    for (int e = 0; e < ext; ++e) {
      h[40 + 8 * e] = static_cast<uint8_t>(e + 1 < ext ? int{IPPROTO_DSTOPTS} : int{IPPROTO_UDP});
    }
  }
  vswitch::dataplane::Ipv6Walk walks[kMaxBurst];
  const uint64_t start = rte_rdtsc();
  for (auto _ : state) {
    for (uint16_t i = 0; i < kMaxBurst; ++i) {
      vswitch::dataplane::WalkIpv6(hdrs[i], sizeof(hdrs[i]), &walks[i]);
    }
    benchmark::DoNotOptimize(walks);
    benchmark::ClobberMemory();
  }
  const uint64_t cycles = rte_rdtsc() - start;
  bench::ReportPerPacket(state, cycles, static_cast<int64_t>(state.iterations()) * kMaxBurst);
}
BENCHMARK(BM_WalkIpv6Burst)->Arg(0)->Arg(4);

}  // namespace
