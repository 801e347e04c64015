// SPDX-License-Identifier: Apache-2.0
//
// MirrorStage::Stage on a burst of 32 real mbufs: one indirect clone per
// destination, MirrorMeta stamped, enqueued to a big SPSC ring. The encap
// side's work (dequeue + free) happens after each burst and is not timed:
// the time (manual) and cycles_per_pkt cover Stage only. Arg: destinations
// of the session (copies per packet).
#include <benchmark/benchmark.h>
#include <rte_cycles.h>
#include <rte_ring.h>

#include <memory>
#include <string>
#include <vector>

#include "bench/micro/bench.h"
#include "test/testing/frame_builder.h"
#include "vswitch/dataplane/mirror_meta.h"
#include "vswitch/dataplane/mirror_stage.h"
#include "vswitch/dataplane/snapshot.h"
#include "vswitch/dataplane/tx_batch.h"

namespace {

using vswitch::dataplane::DestInfo;
using vswitch::dataplane::kDirFromVm;
using vswitch::dataplane::kMaxBurst;
using vswitch::dataplane::LcoreStats;
using vswitch::dataplane::MirrorStage;
using vswitch::dataplane::SessionInfo;
using vswitch::dataplane::Snapshot;

void BM_MirrorStageBurst(benchmark::State& state) {
  static int seq = 0;
  const int id = seq++;
  const auto n_dests = static_cast<uint8_t>(state.range(0));
  if (vswitch::dataplane::RegisterMirrorMeta() < 0) {
    state.SkipWithError("RegisterMirrorMeta");
    return;
  }
  rte_mempool* mp = bench::MakePool("ms", 1023);
  rte_mempool* clones = bench::MakePool("ms_cl", 4095);
  if (mp == nullptr || clones == nullptr) {
    state.SkipWithError("mempool");
    rte_mempool_free(mp);
    rte_mempool_free(clones);
    return;
  }
  const auto frame = vswitch::testing::UdpFrame(vswitch::testing::TestMac(2),
                                                vswitch::testing::TestMac(1), 1, 2, 64);
  bench::PrefillPool(mp, frame);
  rte_mbuf* pkts[kMaxBurst];
  if (!bench::AllocFrames(mp, pkts, kMaxBurst, static_cast<uint16_t>(frame.size()))) {
    state.SkipWithError("alloc");
    return;
  }

  auto snap = std::make_unique<Snapshot>();
  snap->generation = 1;
  std::vector<rte_ring*> rings;
  SessionInfo si;
  si.id = 1;
  si.slot = 0;
  for (uint8_t d = 0; d < n_dests; ++d) {
    const std::string name = "bms_r" + std::to_string(id) + "_" + std::to_string(d);
    rte_ring* r = rte_ring_create(name.c_str(), 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (r == nullptr) {
      state.SkipWithError("ring");
      break;
    }
    rings.push_back(r);
    DestInfo di;
    di.id = d;
    di.slot = d;
    di.rings[0] = r;
    snap->dests.push_back(di);
    si.dests[si.n_dests++] = d;
  }
  snap->sessions.push_back(si);
  auto stats = std::make_unique<LcoreStats>();
  MirrorStage stage(0, clones, stats.get());

  uint64_t cycles = 0;
  void* drained[kMaxBurst];
  if (rings.size() == n_dests) {
    for (auto _ : state) {
      const uint64_t t0 = rte_rdtsc();
      for (uint16_t i = 0; i < kMaxBurst; ++i) {
        stage.Stage(*snap, pkts[i], 1u, kDirFromVm, 1, t0);
      }
      const uint64_t dt = rte_rdtsc() - t0;
      cycles += dt;
      state.SetIterationTime(static_cast<double>(dt) / static_cast<double>(rte_get_tsc_hz()));
      // The encap worker's side: not timed.
      for (rte_ring* r : rings) {
        const unsigned n = rte_ring_sc_dequeue_burst(r, drained, kMaxBurst, nullptr);
        rte_pktmbuf_free_bulk(reinterpret_cast<rte_mbuf**>(drained), n);
      }
    }
  }
  const int64_t items = static_cast<int64_t>(state.iterations()) * kMaxBurst;
  bench::ReportPerPacket(state, cycles, items);
  state.counters["copies_per_pkt"] = n_dests;
  if (stats->sessions[0].cloned.Load() != static_cast<uint64_t>(items) * n_dests) {
    state.SkipWithError("not every copy was cloned and queued");
  }

  for (rte_ring* r : rings) {
    rte_ring_free(r);
  }
  rte_pktmbuf_free_bulk(pkts, kMaxBurst);
  snap.reset();
  rte_mempool_free(clones);
  rte_mempool_free(mp);
}
BENCHMARK(BM_MirrorStageBurst)->Arg(1)->Arg(2)->Arg(4)->UseManualTime();

}  // namespace
