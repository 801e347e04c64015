// SPDX-License-Identifier: Apache-2.0
//
// Forwarder::HandleBurst + Flush of 32 known-unicast packets (all flow
// cache hits after the first burst) into a net_null sink, with a snapshot
// built by hand. The measured loop includes taking the 32 mbufs from the
// pool: a real RX burst costs at least that much, and the sink frees them.
// BM_ForwarderChurn: 1,000 UDP flows keyed on the 5-tuple (a filter rule
// exists), and a new snapshot generation every 800 bursts (1,000 changes/s
// at ~26 Mpps): arg 0 = no change, 1 = FDB change in a bucket no flow uses,
// 2 = a change outside the FDB (every cached flow re-decided).
// BM_ForwarderIpv6Flows: BM_ForwarderChurn/0 with the same 1,000 flows over
// IPv6 in frames of the same length (its keys' addresses are compared
// beside the flow cache entries).
#include <benchmark/benchmark.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_ring.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bench/micro/bench.h"
#include "test/testing/frame_builder.h"
#include "vswitch/dataplane/forwarder.h"

namespace {

using vswitch::dataplane::FdbKey;
using vswitch::dataplane::Forwarder;
using vswitch::dataplane::ForwarderContext;
using vswitch::dataplane::kMaxBurst;
using vswitch::dataplane::LcoreStats;
using vswitch::dataplane::LearnEvent;
using vswitch::dataplane::PackFdbValue;
using vswitch::dataplane::PortInfo;
using vswitch::dataplane::Snapshot;

void RunForwarder(benchmark::State& state, uint16_t flows, int churn, bool ipv6 = false) {
  static int seq = 0;
  const int id = seq++;
  const std::string in_name = "net_null_bin" + std::to_string(id);
  const std::string out_name = "net_null_bout" + std::to_string(id);
  rte_mempool* mp = bench::MakePool("fwd", 4095);
  if (mp == nullptr) {
    state.SkipWithError("mempool");
    return;
  }
  uint16_t in_port = 0;
  uint16_t out_port = 0;
  if (bench::StartNullPort(in_name, mp, &in_port) != 0 ||
      bench::StartNullPort(out_name, mp, &out_port) != 0) {
    state.SkipWithError("net_null ports");
    rte_mempool_free(mp);
    return;
  }
  const auto dst = vswitch::testing::TestMac(2);
  // 106 bytes either way; the UDP source port (the flow) at l4.
  const auto frame =
      ipv6 ? vswitch::testing::FrameBuilder()
                 .Eth(dst, vswitch::testing::TestMac(1))
                 .EtherType(0x86dd)
                 .Ipv6({})
                 .L4Ports(1, 2)
                 .Fill(4, 0)
                 .Fill(44, 0xab)
                 .Build()
           : vswitch::testing::UdpFrame(dst, vswitch::testing::TestMac(1), 1, 2, 64);
  const uint32_t l4 = ipv6 ? 54 : 34;
  bench::PrefillPool(mp, frame);

  auto snap = std::make_unique<Snapshot>();
  snap->generation = 1;
  snap->cache_tag = 1;
  snap->struct_tag = 1;
  snap->learn_refresh_cycles = ~uint64_t{0};
  for (uint16_t p : {in_port, out_port}) {
    snap->ports[p] = PortInfo{.present = true, .admin_up = true, .vnet_index = 0};
  }
  snap->vnets.resize(1);
  snap->vnets[0].id = 1;
  snap->vnets[0].flood_ports = {in_port, out_port};
  const std::string fdb_name = "bench_fwd_fdb" + std::to_string(id);
  rte_hash_parameters hp{};
  hp.name = fdb_name.c_str();
  hp.entries = 1024;
  hp.key_len = sizeof(FdbKey);
  hp.hash_func = rte_hash_crc;
  hp.socket_id = SOCKET_ID_ANY;
  snap->fdb = rte_hash_create(&hp);
  FdbKey key{.vnet_index = 0, .mac = {}};
  std::memcpy(key.mac, dst.data(), 6);
  const FdbKey src_key{.vnet_index = 0, .mac = {0x02, 0, 0, 0, 0, 1}};
  if (snap->fdb == nullptr ||
      rte_hash_add_key_data(snap->fdb, &key,
                            reinterpret_cast<void*>(PackFdbValue(out_port, true))) != 0 ||
      rte_hash_add_key_data(snap->fdb, &src_key,
                            reinterpret_cast<void*>(PackFdbValue(in_port, true))) != 0) {
    state.SkipWithError("fdb");
  }

  const std::string ring_name = "bench_learn" + std::to_string(id);
  rte_ring* learn = rte_ring_create_elem(ring_name.c_str(), sizeof(LearnEvent), 1024, SOCKET_ID_ANY,
                                         RING_F_SP_ENQ | RING_F_SC_DEQ);
  auto stats = std::make_unique<LcoreStats>();
  auto fwd = std::make_unique<Forwarder>(ForwarderContext{.worker = 0,
                                                          .stats = stats.get(),
                                                          .learn_ring = learn,
                                                          .clone_pool = mp,
                                                          .flow_cache_entries = flows > 1 ? 65536u : 4096u});
  rte_mbuf* pkts[kMaxBurst];
  const auto len = static_cast<uint16_t>(frame.size());
  snap->key_l3l4 = flows > 1;
  uint16_t flow = 0;
  uint32_t bursts = 0;
  const uint32_t unused_bucket = vswitch::dataplane::FdbEpochBucket(0, dst.data()) ^ 1;
  const uint64_t start = rte_rdtsc();
  for (auto _ : state) {
    if (!bench::AllocFrames(mp, pkts, kMaxBurst, len)) {
      state.SkipWithError("pool empty: a sink is not freeing");
      break;
    }
    if (flows > 1) {
      for (uint16_t i = 0; i < kMaxBurst; ++i) {  // UDP source port = flow.
        uint8_t* udp = rte_pktmbuf_mtod_offset(pkts[i], uint8_t*, l4);
        udp[0] = static_cast<uint8_t>(flow >> 8);
        udp[1] = static_cast<uint8_t>(flow);
        flow = flow + 1 == flows ? 0 : flow + 1;
      }
    }
    if (churn != 0 && ++bursts % 800 == 0) {
      snap->cache_tag = ++snap->generation;
      if (churn == 1) {
        snap->fdb_epoch[unused_bucket] = snap->cache_tag;
      } else {
        snap->struct_tag = snap->cache_tag;
      }
    }
    fwd->HandleBurst(*snap, in_port, pkts, kMaxBurst, 0);
    fwd->Flush();
  }
  const uint64_t cycles = rte_rdtsc() - start;
  const int64_t items = static_cast<int64_t>(state.iterations()) * kMaxBurst;
  bench::ReportPerPacket(state, cycles, items);
  if (stats->ports[out_port].tx_packets.Load() != static_cast<uint64_t>(items)) {
    state.SkipWithError("not every packet reached the sink");
  }

  fwd.reset();
  stats.reset();
  snap.reset();
  rte_ring_free(learn);
  bench::StopNullPort(in_port, in_name);
  bench::StopNullPort(out_port, out_name);
  rte_mempool_free(mp);
}
void BM_ForwarderKnownUnicastBurst(benchmark::State& state) { RunForwarder(state, 1, 0); }
BENCHMARK(BM_ForwarderKnownUnicastBurst);

void BM_ForwarderChurn(benchmark::State& state) {
  RunForwarder(state, 1000, static_cast<int>(state.range(0)));
}
BENCHMARK(BM_ForwarderChurn)->Arg(0)->Arg(1)->Arg(2);

void BM_ForwarderIpv6Flows(benchmark::State& state) { RunForwarder(state, 1000, 0, true); }
BENCHMARK(BM_ForwarderIpv6Flows);

}  // namespace
