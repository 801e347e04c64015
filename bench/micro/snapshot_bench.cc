// SPDX-License-Identifier: Apache-2.0
//
// Control plane and TAP filter costs on the real builder, publisher and
// rte_acl contexts:
// - BM_SnapshotBuildPublish: one configuration change's snapshot work with
//   10k static FDB entries and 10 TAP sessions × 100 rules (perf.md P11:
//   < 50 ms), i.e. BuildSnapshot + Publish + reclaim of the old one.
// - BM_AclClassify/N: MatchTapSessions on a burst of 32 keys against one
//   session of N rules (a flow-cache miss pays this once per flow): UDP
//   port rules on IPv4 keys; BM_AclClassifyCidr4/N and BM_AclClassify6/N
//   rules of a destination prefix and port, on IPv4 and on IPv6 keys.
#include <benchmark/benchmark.h>
#include <rte_ring.h>

#include <algorithm>
#include <cstring>
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

// What rule r (0-based) of a session matches: UDP destination port r + 1,
// and with kCidr4 / kCidr6 also destination 10.(r/256).(r%256).0/24 or
// 2001:db8:0:r::/64.
enum class RuleShape { kPorts, kCidr4, kCidr6 };

// A validated-looking configuration: VNet "bench", an uplink, a source and a
// sink vport, `fdb` static entries, one destination and `sessions` sessions
// of `rules` rules each on the source (of `shape`).
struct Setup {
  v1::Config config;
  absl::flat_hash_map<std::string, VportRuntime> runtime;
  MacTable learned;
  absl::flat_hash_map<uint32_t, uint16_t> session_slots;
  absl::flat_hash_map<uint32_t, uint16_t> dest_slots;
  absl::flat_hash_map<uint32_t, DestRings> dest_rings;
  NeighborMap neighbors;
  rte_ring* ring = nullptr;

  Setup(int fdb, int sessions, int rules, RuleShape shape = RuleShape::kPorts) {
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
        if (shape == RuleShape::kCidr4) {
          rule->set_dst_cidr(absl::StrFormat("10.%d.%d.0/24", r / 256, r % 256));
        } else if (shape == RuleShape::kCidr6) {
          rule->set_dst_cidr(absl::StrFormat("2001:db8:0:%x::/64", r));
        }
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

// Keys of flow i: UDP to port 1 + (i * 7919) % (2 * rules), to the
// destination of that rule under kCidr4/kCidr6: half match a rule, half
// none (their port is past the last rule's).
void RunClassify(benchmark::State& state, RuleShape shape) {
  const int rules = static_cast<int>(state.range(0));
  Setup setup(0, 1, rules, shape);
  auto snap = vswitch::control::BuildSnapshot(setup.Inputs());
  if (!snap.ok()) {
    state.SkipWithError(std::string(snap.status().message()).c_str());
    return;
  }
  constexpr int kBurst = 32;
  std::vector<dataplane::PacketKey> keys(1024);
  std::vector<dataplane::Ipv6Addrs> addrs(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    const int port = 1 + static_cast<int>((i * 7919) % (2 * rules));
    const int r = (port - 1) % rules;  // The rule whose prefix it is in.
    dataplane::PacketKey& k = keys[i];
    k = dataplane::PacketKey{};
    k.proto = 17;
    k.src_port = rte_cpu_to_be_16(20000);
    k.dst_port = rte_cpu_to_be_16(static_cast<uint16_t>(port));
    if (shape == RuleShape::kCidr6) {
      dataplane::Ipv6Addrs& a = addrs[i];
      a = dataplane::Ipv6Addrs{};
      const uint8_t prefix[8] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, static_cast<uint8_t>(r >> 8),
                                 static_cast<uint8_t>(r)};
      std::memcpy(a.src, prefix, 8);
      std::memcpy(a.dst, prefix, 8);
      a.src[15] = 1;
      a.dst[15] = 2;
      k.flags = dataplane::kKeyIpv6;
      k.src_ip = dataplane::Ipv6Digest(a.src);
      k.dst_ip = dataplane::Ipv6Digest(a.dst);
    } else {
      k.flags = dataplane::kKeyIpv4;
      k.src_ip = rte_cpu_to_be_32(0x0a000001);
      k.dst_ip = shape == RuleShape::kCidr4
                     ? rte_cpu_to_be_32(0x0a000002u | static_cast<uint32_t>(r) << 8)
                     : rte_cpu_to_be_32(0x0a000002);
    }
  }
  const dataplane::PacketKey* ptrs[kBurst];
  const dataplane::Ipv6Addrs* addr_ptrs[kBurst];
  uint32_t tx[kBurst];
  uint32_t rx[kBurst];
  size_t off = 0;
  uint64_t cycles = 0;
  int64_t n = 0;
  int64_t accepted = 0;
  for (auto _ : state) {
    for (int i = 0; i < kBurst; ++i) {
      ptrs[i] = &keys[(off + i) % keys.size()];
      addr_ptrs[i] = &addrs[(off + i) % keys.size()];
    }
    off += kBurst;
    const uint64_t t = rte_rdtsc();
    dataplane::MatchTapSessions(**snap, ptrs, addr_ptrs, kBurst, 1u, tx, rx);
    cycles += rte_rdtsc() - t;
    benchmark::DoNotOptimize(tx);
    for (int i = 0; i < kBurst; ++i) {
      accepted += tx[i] & 1;
    }
    n += kBurst;
  }
  bench::ReportPerPacket(state, cycles, n);
  // About half must match, or the benchmark measures the wrong thing.
  if (n > 0 && (accepted * 4 < n || accepted * 4 > 3 * n)) {
    state.SkipWithError(absl::StrFormat("%d of %d keys accepted", accepted, n).c_str());
  }
}

void BM_AclClassify(benchmark::State& state) { RunClassify(state, RuleShape::kPorts); }
void BM_AclClassifyCidr4(benchmark::State& state) { RunClassify(state, RuleShape::kCidr4); }
void BM_AclClassify6(benchmark::State& state) { RunClassify(state, RuleShape::kCidr6); }
BENCHMARK(BM_AclClassify)->Arg(1)->Arg(100)->Arg(1000);
BENCHMARK(BM_AclClassifyCidr4)->Arg(1)->Arg(100)->Arg(1000);
BENCHMARK(BM_AclClassify6)->Arg(1)->Arg(100)->Arg(1000);

}  // namespace
