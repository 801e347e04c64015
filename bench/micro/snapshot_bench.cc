// SPDX-License-Identifier: Apache-2.0
//
// Control plane and TAP filter costs on the real builder, publisher and
// rte_acl contexts:
// - BM_SnapshotBuildPublish: one configuration change's snapshot work with
//   10k static FDB entries and 10 TAP sessions × 100 rules (perf.md P11:
//   < 50 ms), i.e. BuildSnapshot + Publish + reclaim of the old one.
// - BM_AclClassify/N: MatchTapSessions on a burst of 32 keys against one
//   session of N rules (a flow-cache miss pays this once per flow).
#include <benchmark/benchmark.h>
#include <rte_ring.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "bench/micro/bench.h"
#include "vswitch/control/snapshot_builder.h"
#include "vswitch/control/snapshot_publisher.h"
#include "vswitch/dataplane/tap_filter.h"

namespace {

using vswitch::control::DestRings;
using vswitch::control::MacTable;
using vswitch::control::NeighborMap;
using vswitch::control::SnapshotInputs;
using vswitch::control::VportRuntime;
namespace v1 = vswitch::v1;
namespace dataplane = vswitch::dataplane;

// A validated-looking configuration: VNet "bench", an uplink, a source and a
// sink vport, `fdb` static entries, one destination and `sessions` sessions
// of `rules` rules each on the source (UDP destination ports 1..rules).
struct Setup {
  v1::Config config;
  absl::flat_hash_map<std::string, VportRuntime> runtime;
  MacTable learned;
  absl::flat_hash_map<uint32_t, uint16_t> session_slots;
  absl::flat_hash_map<uint32_t, uint16_t> dest_slots;
  absl::flat_hash_map<uint32_t, DestRings> dest_rings;
  NeighborMap neighbors;
  rte_ring* ring = nullptr;

  Setup(int fdb, int sessions, int rules) {
    auto* vn = config.add_vnets();
    vn->set_id(1);
    vn->set_name("bench");
    vn->set_tenant("t");
    vn->set_vni(100);
    AddVport("up0", v1::VPORT_KIND_UPLINK, "", 0)->mutable_uplink()->set_ip_cidr("192.0.2.10/24");
    config.mutable_vports(0)->mutable_uplink()->set_mtu(1500);
    AddVport("src", v1::VPORT_KIND_VM, "bench", 1);
    AddVport("dst", v1::VPORT_KIND_VM, "bench", 2);
    for (int i = 0; i < fdb; ++i) {
      auto* e = config.add_fdb();
      e->set_vnet("bench");
      e->set_mac(absl::StrFormat("02:00:%02x:%02x:%02x:%02x", (i >> 24) & 0xff, (i >> 16) & 0xff,
                                 (i >> 8) & 0xff, i & 0xff));
      e->set_vport("dst");
      e->set_type(v1::FDB_ENTRY_TYPE_STATIC);
    }
    auto* d = config.add_destinations();
    d->set_id(1);
    d->set_name("col1");
    d->set_vnet("bench");
    d->set_vni(5000);
    d->set_udp_port(4789);
    d->add_collectors("192.0.2.2");
    dest_slots[1] = 0;
    static int seq = 0;
    ring = rte_ring_create(absl::StrFormat("bsnap_%d", seq++).c_str(), 1024, SOCKET_ID_ANY,
                           RING_F_SP_ENQ | RING_F_SC_DEQ);
    DestRings rings{};
    rings[0] = ring;
    dest_rings[1] = rings;
    neighbors[(192u << 24) | (2u << 8) | 2u] = {0x02, 0, 0, 0, 0x0c, 0x02};
    for (int s = 0; s < sessions; ++s) {
      auto* ts = config.add_tap_sessions();
      ts->set_id(static_cast<uint32_t>(s + 1));
      ts->set_name(absl::StrFormat("s%d", s));
      ts->add_sources("src");
      ts->add_destinations("col1");
      ts->set_direction(v1::TAP_DIRECTION_TX);
      for (int r = 0; r < rules; ++r) {
        auto* rule = ts->add_rules();
        rule->set_priority(static_cast<uint32_t>(r + 1));
        rule->set_action(v1::TAP_ACTION_ACCEPT);
        rule->set_protocol(17);
        rule->mutable_dst_ports()->set_first(static_cast<uint32_t>(r + 1));
        rule->mutable_dst_ports()->set_last(static_cast<uint32_t>(r + 1));
      }
      session_slots[static_cast<uint32_t>(s + 1)] = static_cast<uint16_t>(s);
    }
  }
  ~Setup() { rte_ring_free(ring); }

  v1::VPort* AddVport(const std::string& name, v1::VPortKind kind, const std::string& vnet,
                      uint16_t port) {
    auto* vp = config.add_vports();
    vp->set_id(static_cast<uint32_t>(config.vports_size()));
    vp->set_name(name);
    vp->set_kind(kind);
    vp->set_vnet(vnet);
    vp->set_driver("null");
    VportRuntime rt;
    rt.port_id = port;
    rt.queue_worker = {0};
    runtime[name] = rt;
    return vp;
  }

  SnapshotInputs Inputs() {
    static uint64_t gen = 1 << 20;  // rte names derive from it: unique per build
    SnapshotInputs in;
    in.config = &config;
    in.runtime = &runtime;
    in.learned = &learned;
    in.generation = gen++;
    in.session_slots = &session_slots;
    in.dest_slots = &dest_slots;
    in.dest_rings = &dest_rings;
    in.neighbors = &neighbors;
    return in;
  }
};

void BM_SnapshotBuildPublish(benchmark::State& state) {
  const int fdb = bench::Smoke() ? 1000 : static_cast<int>(state.range(0));
  Setup setup(fdb, 10, static_cast<int>(state.range(1)));
  auto publisher = vswitch::control::SnapshotPublisher::Create(1);
  if (!publisher.ok()) {
    state.SkipWithError("SnapshotPublisher::Create");
    return;
  }
  for (auto _ : state) {
    auto snap = vswitch::control::BuildSnapshot(setup.Inputs());
    if (!snap.ok()) {
      state.SkipWithError(std::string(snap.status().message()).c_str());
      break;
    }
    (*publisher)->Publish(*std::move(snap));
    (*publisher)->Reclaim();  // No worker online: the old snapshot goes now.
  }
  state.counters["fdb_entries"] = fdb;
  state.counters["rules"] = 10 * static_cast<double>(state.range(1));
}
BENCHMARK(BM_SnapshotBuildPublish)->Args({10000, 100})->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_AclClassify(benchmark::State& state) {
  const int rules = static_cast<int>(state.range(0));
  Setup setup(0, 1, rules);
  auto snap = vswitch::control::BuildSnapshot(setup.Inputs());
  if (!snap.ok()) {
    state.SkipWithError(std::string(snap.status().message()).c_str());
    return;
  }
  // Keys over destination ports 1..2*rules: half match a rule, half none.
  constexpr int kBurst = 32;
  std::vector<dataplane::PacketKey> keys(1024);
  for (size_t i = 0; i < keys.size(); ++i) {
    dataplane::PacketKey& k = keys[i];
    k = dataplane::PacketKey{};
    k.proto = 17;
    k.flags = dataplane::kKeyIpv4;
    k.src_ip = rte_cpu_to_be_32(0x0a000001);
    k.dst_ip = rte_cpu_to_be_32(0x0a000002);
    k.src_port = rte_cpu_to_be_16(20000);
    k.dst_port = rte_cpu_to_be_16(static_cast<uint16_t>(1 + (i * 7919) % (2 * rules)));
  }
  const dataplane::PacketKey* ptrs[kBurst];
  uint32_t tx[kBurst];
  uint32_t rx[kBurst];
  size_t off = 0;
  uint64_t cycles = 0;
  int64_t n = 0;
  for (auto _ : state) {
    for (int i = 0; i < kBurst; ++i) {
      ptrs[i] = &keys[(off + i) % keys.size()];
    }
    off += kBurst;
    const uint64_t t = rte_rdtsc();
    dataplane::MatchTapSessions(**snap, ptrs, kBurst, 1u, tx, rx);
    cycles += rte_rdtsc() - t;
    benchmark::DoNotOptimize(tx);
    n += kBurst;
  }
  bench::ReportPerPacket(state, cycles, n);
}
BENCHMARK(BM_AclClassify)->Arg(1)->Arg(100)->Arg(1000);

}  // namespace
