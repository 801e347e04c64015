// SPDX-License-Identifier: Apache-2.0
//
// EncapWorker::Poll of one burst of 32 mirror copies into a net_null uplink
// (a real ethdev that frees what it sends): dequeue, rate check, inner flow
// hash, truncation check, header mbuf + VXLAN header, TX. The copies are
// made by the real MirrorStage before each Poll and not timed: the time
// (manual) and cycles_per_pkt cover Poll only. Arg: inner frame length.
#include <benchmark/benchmark.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_ring.h>

#include <cstring>
#include <memory>
#include <string>

#include "bench/micro/bench.h"
#include "test/testing/frame_builder.h"
#include "vswitch/dataplane/encap_worker.h"
#include "vswitch/dataplane/mirror_meta.h"
#include "vswitch/dataplane/mirror_stage.h"
#include "vswitch/dataplane/snapshot.h"
#include "vswitch/dataplane/tx_batch.h"

namespace {

using vswitch::dataplane::DestInfo;
using vswitch::dataplane::EncapWorker;
using vswitch::dataplane::kDirFromVm;
using vswitch::dataplane::kMaxBurst;
using vswitch::dataplane::LcoreStats;
using vswitch::dataplane::MirrorStage;
using vswitch::dataplane::SessionInfo;
using vswitch::dataplane::Snapshot;

void BM_EncapPollBurst(benchmark::State& state) {
  static int seq = 0;
  const int id = seq++;
  const auto frame_len = static_cast<size_t>(state.range(0));
  if (vswitch::dataplane::RegisterMirrorMeta() < 0) {
    state.SkipWithError("RegisterMirrorMeta");
    return;
  }
  rte_mempool* mp = bench::MakePool("enc", 1023);
  rte_mempool* clones = bench::MakePool("enc_cl", 1023);
  rte_mempool* headers = bench::MakePool("enc_hdr", 1023);
  const std::string up_name = "net_null_encap" + std::to_string(id);
  uint16_t up = 0;
  if (mp == nullptr || clones == nullptr || headers == nullptr ||
      bench::StartNullPort(up_name, mp, &up) != 0) {
    state.SkipWithError("mempools or net_null uplink");
    rte_mempool_free(mp);
    rte_mempool_free(clones);
    rte_mempool_free(headers);
    return;
  }
  auto frame = vswitch::testing::FrameBuilder()
                   .Eth(vswitch::testing::TestMac(2), vswitch::testing::TestMac(1))
                   .EtherType(0x0800)
                   .Ipv4({})
                   .L4Ports(40000, 53)
                   .Fill(4, 0)
                   .Build();
  frame.resize(frame_len < frame.size() ? frame.size() : frame_len, 0xab);
  bench::PrefillPool(mp, frame);
  rte_mbuf* pkts[kMaxBurst];
  if (!bench::AllocFrames(mp, pkts, kMaxBurst, static_cast<uint16_t>(frame.size()))) {
    state.SkipWithError("alloc");
    bench::StopNullPort(up, up_name);
    return;
  }
  // Different flows, so the hash and the source port vary per packet.
  for (uint16_t i = 0; i < kMaxBurst; ++i) {
    auto* p = rte_pktmbuf_mtod_offset(pkts[i], uint8_t*, 34);
    p[0] = static_cast<uint8_t>(0x90 + i);
  }

  const std::string ring_name = "benc_r" + std::to_string(id);
  rte_ring* ring =
      rte_ring_create(ring_name.c_str(), 256, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
  auto snap = std::make_unique<Snapshot>();
  snap->generation = 1;
  snap->uplink.present = true;
  snap->uplink.port = up;
  snap->uplink.encap_queue = 0;
  snap->uplink.mtu = 1500;
  snap->uplink.ip_be = rte_cpu_to_be_32(RTE_IPV4(192, 0, 2, 10));
  DestInfo d;
  d.vni = 5000;
  d.n_collectors = 1;
  d.collectors[0].ip_be = rte_cpu_to_be_32(RTE_IPV4(192, 0, 2, 20));
  d.collectors[0].resolved = true;
  d.rings[0] = ring;
  snap->dests.push_back(d);
  SessionInfo si;
  si.n_dests = 1;
  snap->sessions.push_back(si);
  auto fwd_stats = std::make_unique<LcoreStats>();
  auto stats = std::make_unique<LcoreStats>();
  MirrorStage stage(0, clones, fwd_stats.get());
  EncapWorker worker(1, headers, stats.get());

  uint64_t cycles = 0;
  uint64_t handled = 0;
  if (ring == nullptr) {
    state.SkipWithError("ring");
  } else {
    for (auto _ : state) {
      const uint64_t now = rte_rdtsc();
      for (uint16_t i = 0; i < kMaxBurst; ++i) {  // Not timed.
        stage.Stage(*snap, pkts[i], 1u, kDirFromVm, 1, now);
      }
      const uint64_t t0 = rte_rdtsc();
      handled += worker.Poll(*snap, t0, kMaxBurst);
      const uint64_t dt = rte_rdtsc() - t0;
      cycles += dt;
      state.SetIterationTime(static_cast<double>(dt) / static_cast<double>(rte_get_tsc_hz()));
    }
  }
  const int64_t items = static_cast<int64_t>(state.iterations()) * kMaxBurst;
  bench::ReportPerPacket(state, cycles, items);
  if (handled != static_cast<uint64_t>(items) ||
      stats->sessions[0].sent_packets.Load() != static_cast<uint64_t>(items)) {
    state.SkipWithError("not every copy reached the uplink");
  }

  snap.reset();
  rte_ring_free(ring);
  bench::StopNullPort(up, up_name);
  rte_pktmbuf_free_bulk(pkts, kMaxBurst);
  rte_mempool_free(headers);
  rte_mempool_free(clones);
  rte_mempool_free(mp);
}
BENCHMARK(BM_EncapPollBurst)->Arg(64)->Arg(1024)->UseManualTime();

}  // namespace
