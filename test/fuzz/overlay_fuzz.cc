// SPDX-License-Identifier: Apache-2.0
//
// Fuzz target: the forwarder's overlay path on an arbitrary frame, on real
// DPDK objects: the real Forwarder, net_ring ports, a Snapshot with two
// local ports and two resolved VTEPs (remote ports R0 behind VTEP 0, R1
// behind VTEP 1) in VNet 1000.
//
// Input: 1 control byte, then the frame.
//   [0] bit 0: 0 = received on the uplink (decap), 1 = sent by VM A
//       (encap, replication, ARP suppression); bits 1-2: segments - 1
//
// Invariants, uplink: nothing goes back out of the uplink; each local port
// gets at most one frame, a slice of the input after its 50+ byte outer
// header, whose source MAC is a remote port of the VTEP whose address is
// the outer source, or that host's copy MAC (no host speaks for another's
// VMs); exactly one of
// delivered / handed to the ARP ring / counted as a drop on the uplink.
// VM A: every uplink frame is a well-formed VXLAN frame to a VTEP (the
// checksum verifies) whose inner bytes are the input; at most one per
// VTEP; B gets the input or nothing; A gets nothing but an ARP reply from
// R0. Always: no mbuf leak in the frame or header pool.
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_ring.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "test/fuzz/fuzz_check.h"
#include "test/testing/eal.h"
#include "test/testing/mbuf_util.h"
#include "test/testing/ring_port.h"
#include "vswitch/dataplane/forwarder.h"
#include "vswitch/dataplane/mirror_meta.h"
#include "vswitch/dataplane/parser.h"
#include "vswitch/dataplane/snapshot.h"

namespace vswitch::dataplane {
namespace {

constexpr uint16_t kSegRoom = 9600;
constexpr uint32_t kVni = 1000;
const uint8_t kUplinkMac[6] = {0x02, 0, 0, 0, 0x01, 0};
const uint8_t kNextHop[2][6] = {{0x02, 0, 0, 0, 0x10, 0}, {0x02, 0, 0, 0, 0x10, 1}};
const uint8_t kMacA[6] = {0x02, 0, 0, 0, 0, 0x0a};
const uint8_t kMacB[6] = {0x02, 0, 0, 0, 0, 0x0b};
const uint8_t kMacR[2][6] = {{0x02, 0, 0, 0, 0x01, 0x00}, {0x02, 0, 0, 0, 0x01, 0x01}};
constexpr uint32_t kUplinkIp = RTE_IPV4(192, 0, 2, 1);
constexpr uint32_t kVtepIp[2] = {RTE_IPV4(192, 0, 2, 10), RTE_IPV4(192, 0, 2, 11)};
constexpr uint32_t kIpR0 = RTE_IPV4(10, 0, 0, 20);

enum { kA = 0, kB, kU, kNumPorts };

struct Env {
  rte_mempool* pool = nullptr;
  rte_mempool* headers = nullptr;
  uint16_t ports[kNumPorts] = {};
  rte_ring* learn = nullptr;
  rte_ring* arp = nullptr;
  std::unique_ptr<LcoreStats> stats;
  std::unique_ptr<Forwarder> fwd;
  std::unique_ptr<Snapshot> snap;
};
Env* g_env = nullptr;

uint16_t Be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t Be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

rte_hash* MakeHash(const char* name, uint32_t key_len) {
  rte_hash_parameters params{};
  params.name = name;
  params.entries = 64;
  params.key_len = key_len;
  params.hash_func = rte_hash_crc;
  params.socket_id = SOCKET_ID_ANY;
  rte_hash* h = rte_hash_create(&params);
  FUZZ_CHECK(h != nullptr, "rte_hash_create(%s)", name);
  return h;
}

void AddKey(rte_hash* h, const void* key, uintptr_t v) {
  FUZZ_CHECK(rte_hash_add_key_data(h, key, reinterpret_cast<void*>(v)) == 0, "hash add");
}

std::unique_ptr<Snapshot> MakeSnapshot(const Env& env) {
  auto s = std::make_unique<Snapshot>();
  s->generation = s->cache_tag = s->struct_tag = 1;
  for (int i = 0; i < kNumPorts; ++i) {
    PortInfo& p = s->ports[env.ports[i]];
    p.present = p.admin_up = true;
    p.is_uplink = i == kU;
    p.vnet_index = i == kU ? kNoVnet : 0;
  }
  s->vnets.resize(1);
  s->vnets[0].id = 1;
  s->vnets[0].vni = kVni;
  s->vnets[0].flood_ports = {env.ports[kA], env.ports[kB]};
  s->vnets[0].flood_vteps = {0, 1};
  s->uplink.present = true;
  s->uplink.port = env.ports[kU];
  s->uplink.mtu = 1500;
  s->uplink.ip_be = rte_cpu_to_be_32(kUplinkIp);
  std::memcpy(s->uplink.mac, kUplinkMac, 6);
  s->vteps.resize(2);
  s->fdb = MakeHash("ovfz_fdb", sizeof(FdbKey));
  s->vtep_by_ip = MakeHash("ovfz_vtep", 4);
  s->vnet_by_vni = MakeHash("ovfz_vni", 4);
  s->arp_table = MakeHash("ovfz_arp", sizeof(ArpKey));
  auto fdb = [&](const uint8_t* mac, uintptr_t v) {
    FdbKey k{.vnet_index = 0, .mac = {}};
    std::memcpy(k.mac, mac, 6);
    AddKey(s->fdb, &k, v);
  };
  fdb(kMacA, PackFdbValue(env.ports[kA], true));
  fdb(kMacB, PackFdbValue(env.ports[kB], true));
  for (uint16_t v = 0; v < 2; ++v) {
    s->vteps[v].ip_be = rte_cpu_to_be_32(kVtepIp[v]);
    s->vteps[v].resolved = true;
    std::memcpy(s->vteps[v].next_hop_mac, kNextHop[v], 6);
    AddKey(s->vtep_by_ip, &s->vteps[v].ip_be, v);
    fdb(kMacR[v], PackFdbRemote(v));
  }
  const uint32_t vni = kVni;
  AddKey(s->vnet_by_vni, &vni, 0);
  const ArpKey ak{.vnet_index = 0, .pad = 0, .ip_be = rte_cpu_to_be_32(kIpR0)};
  AddKey(s->arp_table, &ak, PackMac(kMacR[0]));
  return s;
}

rte_mbuf* BuildChain(const uint8_t* f, size_t len, int nsegs) {
  std::vector<size_t> cuts;
  size_t left = len;
  for (int s = 0; s < nsegs && left > 0; ++s) {
    size_t n = s == nsegs - 1 ? left : len / static_cast<size_t>(nsegs);
    if (n == 0) {
      n = left;
    }
    if (n > kSegRoom) {
      return nullptr;
    }
    cuts.push_back(n);
    left -= n;
  }
  if (cuts.empty()) {
    cuts.push_back(0);
  }
  rte_mbuf* m = vswitch::testing::MbufChain(g_env->pool, {f, len}, cuts);
  FUZZ_CHECK(m != nullptr, "frame pool empty (an earlier input leaked)");
  return m;
}

std::vector<std::vector<uint8_t>> Drain(int idx) {
  std::vector<std::vector<uint8_t>> out;
  for (rte_mbuf* m : vswitch::testing::DrainPort(g_env->ports[idx])) {
    out.push_back(vswitch::testing::ChainBytes(m));
    FUZZ_CHECK(out.back().size() == m->pkt_len, "pkt_len %u, segments hold %zu", m->pkt_len,
               out.back().size());
    rte_pktmbuf_free(m);
  }
  return out;
}

uint64_t UplinkDrops() {
  uint64_t n = 0;
  for (const Counter& c : g_env->stats->ports[g_env->ports[kU]].drops) {
    n += c.Load();
  }
  return n;
}

void CheckFromUplink(const uint8_t* f, size_t len) {
  FUZZ_CHECK(Drain(kU).empty(), "a decapsulated frame went back to the uplink");
  size_t delivered = 0;
  std::vector<uint8_t> first;
  for (int p : {kA, kB}) {
    const auto got = Drain(p);
    FUZZ_CHECK(got.size() <= 1, "port %d got %zu frames of one", p, got.size());
    if (got.empty()) {
      continue;
    }
    ++delivered;
    const std::vector<uint8_t>& inner = got[0];
    FUZZ_CHECK(len >= 50 && inner.size() >= 14 && inner.size() <= len - 50,
               "inner of %zu bytes from %zu", inner.size(), len);
    const uint32_t ihl = (f[14] & 0x0f) * 4u;
    const size_t off = 14 + ihl + 16;
    FUZZ_CHECK(off + inner.size() <= len && std::memcmp(f + off, inner.data(), inner.size()) == 0,
               "delivered bytes are not the input's inner frame");
    const uint32_t outer_src = Be32(f + 26);
    bool bound = false;
    for (int v = 0; v < 2; ++v) {
      bound |= outer_src == kVtepIp[v] && std::memcmp(inner.data() + 6, kMacR[v], 6) == 0;
    }
    // Or that host's own TAP copies to a collector VM (CopySourceMac).
    bound |= IsCopySourceMacOf(inner.data() + 6, rte_cpu_to_be_32(outer_src)) &&
             (outer_src == kVtepIp[0] || outer_src == kVtepIp[1]);
    FUZZ_CHECK(bound, "inner source is neither a remote port nor the copy MAC of the outer "
                      "source VTEP");
    if (first.empty()) {
      first = inner;
    } else {
      FUZZ_CHECK(first == inner, "flood copies differ");
    }
  }
  std::vector<rte_mbuf*> arp;
  void* m = nullptr;
  while (rte_ring_sc_dequeue(g_env->arp, &m) == 0) {
    arp.push_back(static_cast<rte_mbuf*>(m));
  }
  vswitch::testing::FreeAll(arp);
  const uint64_t drops = UplinkDrops();
  FUZZ_CHECK((delivered != 0 ? 1 : 0) + arp.size() + drops == 1,
             "delivered to %zu ports, %zu to ARP, %lu drops", delivered, arp.size(),
             static_cast<unsigned long>(drops));
}

void CheckFromVm(const uint8_t* f, size_t len) {
  const auto up = Drain(kU);
  FUZZ_CHECK(up.size() <= 2, "%zu uplink frames of one", up.size());
  bool to_vtep[2] = {false, false};
  for (const auto& o : up) {
    FUZZ_CHECK(o.size() == len + 50, "outer %zu for inner %zu", o.size(), len);
    FUZZ_CHECK(len + 36 <= 1500, "a frame over the tunnel MTU was sent");
    const uint8_t* ip = o.data() + 14;
    FUZZ_CHECK(std::memcmp(o.data() + 6, kUplinkMac, 6) == 0 && Be16(o.data() + 12) == 0x0800,
               "outer Ethernet");
    FUZZ_CHECK(ip[0] == 0x45 && Be16(ip + 2) == 36 + len && Be16(ip + 6) == 0x4000 &&
                   ip[8] == 64 && ip[9] == 17,
               "outer IPv4 fields");
    FUZZ_CHECK(rte_raw_cksum(ip, 20) == 0xffff, "outer checksum");
    FUZZ_CHECK(Be32(ip + 12) == kUplinkIp, "outer source");
    int v = Be32(ip + 16) == kVtepIp[0] ? 0 : Be32(ip + 16) == kVtepIp[1] ? 1 : -1;
    FUZZ_CHECK(v >= 0 && std::memcmp(o.data(), kNextHop[v], 6) == 0, "outer destination");
    FUZZ_CHECK(!to_vtep[v], "two frames to VTEP %d", v);
    to_vtep[v] = true;
    const uint8_t* udp = ip + 20;
    FUZZ_CHECK(Be16(udp) >= 49152 && Be16(udp + 2) == 4789 && Be16(udp + 4) == 16 + len,
               "outer UDP");
    FUZZ_CHECK(Be32(udp + 8) == 0x08000000u && Be32(udp + 12) == kVni << 8, "VXLAN header");
    FUZZ_CHECK(std::memcmp(o.data() + 50, f, len) == 0, "inner bytes differ from the frame");
  }
  const auto at_b = Drain(kB);
  FUZZ_CHECK(at_b.size() <= 1, "B got %zu frames of one", at_b.size());
  if (!at_b.empty()) {
    FUZZ_CHECK(at_b[0].size() == len && std::memcmp(at_b[0].data(), f, len) == 0,
               "B got other bytes");
  }
  const auto at_a = Drain(kA);
  FUZZ_CHECK(at_a.size() <= 1, "A got %zu frames of its own one", at_a.size());
  if (!at_a.empty()) {
    const auto& r = at_a[0];
    FUZZ_CHECK(up.empty() && at_b.empty(), "an answered ARP request was forwarded too");
    size_t off = 12;  // The ARP header follows up to kMaxVlanTags + 1 tags (ArpHeaderOf).
    for (int i = 0; i <= kMaxVlanTags && off + 2 <= r.size(); ++i) {
      const uint16_t et = Be16(r.data() + off);
      if (et != 0x8100 && et != 0x88a8) {
        break;
      }
      off += 4;
    }
    FUZZ_CHECK(r.size() == len && off + 2 + 28 <= r.size() && Be16(r.data() + off) == 0x0806,
               "A got a frame of its own that is not ARP");
    const uint8_t* arp = r.data() + off + 2;
    FUZZ_CHECK(Be16(arp + 6) == 2 && std::memcmp(r.data() + 6, kMacR[0], 6) == 0 &&
                   std::memcmp(arp + 8, kMacR[0], 6) == 0 && Be32(arp + 14) == kIpR0 &&
                   std::memcmp(r.data(), f + off + 2 + 8, 6) == 0 &&
                   std::memcmp(arp + 18, f + off + 2 + 8, 6) == 0,
               "A got something other than R0's ARP reply to the asker's sha");
  }
}

}  // namespace
}  // namespace vswitch::dataplane

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  using namespace vswitch;
  using namespace vswitch::dataplane;
  if (!testing::StartEal(*argc > 0 ? (*argv)[0] : "overlay_fuzz", "ofz")) {
    std::abort();
  }
  FUZZ_CHECK(RegisterMirrorMeta() >= 0, "mirror dynfield");
  auto* env = new Env;
  env->pool = testing::MakeTestPool("ofz_pkt", 255, kSegRoom + RTE_PKTMBUF_HEADROOM).release();
  env->headers = testing::MakeTestPool("ofz_hdr", 63, 256).release();
  FUZZ_CHECK(env->pool && env->headers, "pools");
  for (int i = 0; i < kNumPorts; ++i) {
    auto port = testing::StartRingPort("net_ring_ofz" + std::to_string(i), env->pool);
    FUZZ_CHECK(port.ok(), "port: %s", port.status().ToString().c_str());
    env->ports[i] = *port;
  }
  env->learn = rte_ring_create_elem("ofz_learn", sizeof(LearnEvent), 1024, SOCKET_ID_ANY,
                                    RING_F_SP_ENQ | RING_F_SC_DEQ);
  env->arp = rte_ring_create("ofz_arp", 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
  FUZZ_CHECK(env->learn && env->arp, "rings");
  env->snap = MakeSnapshot(*env);
  env->stats = std::make_unique<LcoreStats>();
  g_env = env;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vswitch::dataplane;
  if (size < 1) {
    return 0;
  }
  const bool from_vm = (data[0] & 1) != 0;
  const int nsegs = ((data[0] >> 1) & 3) + 1;
  const uint8_t* f = data + 1;
  const size_t len = size - 1;
  if (len > 4 * kSegRoom) {
    return 0;
  }
  const unsigned pool_base = rte_mempool_in_use_count(g_env->pool);
  const unsigned hdr_base = rte_mempool_in_use_count(g_env->headers);
  rte_mbuf* m = BuildChain(f, len, nsegs);
  if (m == nullptr) {
    return 0;
  }
  // Fresh counters and flow cache per input: every check is of this frame.
  g_env->stats = std::make_unique<LcoreStats>();
  g_env->fwd = std::make_unique<Forwarder>(ForwarderContext{.worker = 0,
                                                            .stats = g_env->stats.get(),
                                                            .learn_ring = g_env->learn,
                                                            .arp_ring = g_env->arp,
                                                            .clone_pool = g_env->pool,
                                                            .header_pool = g_env->headers,
                                                            .flow_cache_entries = 64});
  g_env->fwd->HandleBurst(*g_env->snap, g_env->ports[from_vm ? kA : kU], &m, 1, 0);
  g_env->fwd->Flush();
  if (from_vm) {
    CheckFromVm(f, len);
  } else {
    CheckFromUplink(f, len);
  }
  LearnEvent ev[16];
  while (rte_ring_sc_dequeue_burst_elem(g_env->learn, ev, sizeof(LearnEvent), 16, nullptr) != 0) {
  }
  g_env->fwd.reset();
  FUZZ_CHECK(rte_mempool_in_use_count(g_env->pool) == pool_base, "frame pool: %d leaked",
             static_cast<int>(rte_mempool_in_use_count(g_env->pool)) - static_cast<int>(pool_base));
  FUZZ_CHECK(rte_mempool_in_use_count(g_env->headers) == hdr_base, "header pool: %d leaked",
             static_cast<int>(rte_mempool_in_use_count(g_env->headers)) -
                 static_cast<int>(hdr_base));
  return 0;
}
