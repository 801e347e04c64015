// SPDX-License-Identifier: Apache-2.0
//
// The forwarder's overlay path (forwarder_overlay.cc) on real mbufs, real
// net_ring ethdevs (what a port sends comes back on its own RX queue) and a
// hand-built Snapshot with real rte_hash tables: encap to remote VTEPs,
// head-end replication, decap of what the uplink receives, ARP suppression.
#include "vswitch/dataplane/forwarder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "test/testing/frame_builder.h"
#include "test/testing/mbuf_util.h"
#include "test/testing/ring_port.h"
#include "vswitch/dataplane/snapshot.h"
#include "vswitch/dataplane/tx_batch.h"

namespace vswitch::dataplane {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using vswitch::testing::ChainBytes;
using vswitch::testing::kBroadcast;
using vswitch::testing::Mac;
using vswitch::testing::TestMac;
using vswitch::testing::UdpFrame;

using Bytes = std::vector<uint8_t>;

enum PortIdx : int {
  kA = 0,  // VNet 0 "blue".
  kB,      // Blue.
  kC,      // Blue.
  kD,      // VNet 1 "red".
  kU,      // Uplink.
  kNumPorts
};

constexpr uint16_t kBlue = 0;
constexpr uint16_t kRed = 1;
constexpr uint32_t kBlueVni = 1000;
constexpr uint32_t kRedVni = 2000;

const Mac kMacA = TestMac(0xa);
const Mac kMacB = TestMac(0xb);
const Mac kMacC = TestMac(0xc);
const Mac kMacD = TestMac(0xd);
// Remote ports of blue: R0 behind VTEP 0, R1 behind VTEP 1, R2 behind the
// unresolved VTEP 2.
const Mac kMacR0 = TestMac(0x100);
const Mac kMacR1 = TestMac(0x101);
const Mac kMacR2 = TestMac(0x102);
const Mac kMacUnknown = TestMac(0x99);

const Mac kUplinkMac = {0x02, 0, 0, 0, 0x01, 0x00};
const Mac kNextHop0 = {0x02, 0, 0, 0, 0x10, 0x00};
const Mac kNextHop1 = {0x02, 0, 0, 0, 0x10, 0x01};
constexpr uint32_t kUplinkIp = RTE_IPV4(192, 0, 2, 1);  // Host order.
constexpr uint32_t kVtepIp[3] = {RTE_IPV4(192, 0, 2, 10), RTE_IPV4(192, 0, 2, 11),
                                 RTE_IPV4(192, 0, 2, 12)};
constexpr uint32_t kStrangerIp = RTE_IPV4(192, 0, 2, 99);

constexpr uint32_t kIpA = RTE_IPV4(10, 0, 0, 1);   // A's, in the ARP table.
constexpr uint32_t kIpR0 = RTE_IPV4(10, 0, 0, 20);  // R0's, in the ARP table.
constexpr uint32_t kIpNobody = RTE_IPV4(10, 0, 0, 30);

uint16_t Be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t Be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
void Put16(Bytes* b, uint32_t v) {
  b->push_back(static_cast<uint8_t>(v >> 8));
  b->push_back(static_cast<uint8_t>(v));
}
void Put32(Bytes* b, uint32_t v) {
  Put16(b, v >> 16);
  Put16(b, v & 0xffff);
}

// What a VTEP sends us: VXLAN around `inner`, field by field.
struct VxlanFields {
  uint32_t src = kVtepIp[0];
  uint32_t dst = kUplinkIp;
  uint16_t dport = 4789;
  uint32_t vni = kBlueVni;
  uint16_t frag = 0x4000;
  uint32_t flags = 0x08000000;
  int udp_len_delta = 0;
  size_t pad = 0;  // Bytes after the IPv4 packet (a NIC's padding).
};

Bytes Vxlan(const Bytes& inner, const VxlanFields& f = {}) {
  Bytes b(kUplinkMac.begin(), kUplinkMac.end());
  b.insert(b.end(), kNextHop0.begin(), kNextHop0.end());
  Put16(&b, 0x0800);
  const uint32_t total = 36 + static_cast<uint32_t>(inner.size());
  b.push_back(0x45);
  b.push_back(0);
  Put16(&b, total);
  Put16(&b, 0);
  Put16(&b, f.frag);
  b.push_back(64);
  b.push_back(17);
  Put16(&b, 0);
  Put32(&b, f.src);
  Put32(&b, f.dst);
  Put16(&b, 50001);
  Put16(&b, f.dport);
  Put16(&b, static_cast<uint32_t>(static_cast<int>(total - 20) + f.udp_len_delta));
  Put16(&b, 0);
  Put32(&b, f.flags);
  Put32(&b, f.vni << 8);
  b.insert(b.end(), inner.begin(), inner.end());
  b.insert(b.end(), f.pad, 0xee);
  return b;
}

// An Ethernet/IPv4 ARP frame.
Bytes Arp(const Mac& eth_dst, const Mac& sha, uint32_t spa, uint32_t tpa, uint16_t op = 1) {
  Bytes f = vswitch::testing::FrameBuilder().Eth(eth_dst, sha).EtherType(0x0806).Build();
  const uint8_t hdr[] = {0, 1, 8, 0, 6, 4, 0, static_cast<uint8_t>(op)};
  f.insert(f.end(), hdr, hdr + sizeof(hdr));
  f.insert(f.end(), sha.begin(), sha.end());
  Put32(&f, spa);
  f.insert(f.end(), 6, 0);
  Put32(&f, tpa);
  return f;
}

// The parts of an encapsulated frame the uplink sent.
struct Decoded {
  Mac eth_dst{};
  Mac eth_src{};
  uint16_t ether_type = 0;
  uint32_t ip_src = 0;
  uint32_t ip_dst = 0;
  uint16_t ip_total = 0;
  uint16_t frag = 0;
  uint8_t ttl = 0;
  uint8_t proto = 0;
  bool checksum_ok = false;
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint16_t udp_len = 0;
  uint32_t vx_flags = 0;
  uint32_t vni = 0;
  Bytes inner;
};

Decoded Decode(const Bytes& f) {
  Decoded d;
  if (f.size() < 50) {
    ADD_FAILURE() << "encapsulated frame of " << f.size() << " bytes";
    return d;
  }
  std::memcpy(d.eth_dst.data(), &f[0], 6);
  std::memcpy(d.eth_src.data(), &f[6], 6);
  d.ether_type = Be16(&f[12]);
  d.ip_total = Be16(&f[16]);
  d.frag = Be16(&f[20]);
  d.ttl = f[22];
  d.proto = f[23];
  d.ip_src = Be32(&f[26]);
  d.ip_dst = Be32(&f[30]);
  uint32_t sum = 0;
  for (int i = 14; i < 34; i += 2) {
    sum += Be16(&f[i]);
  }
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  d.checksum_ok = f[14] == 0x45 && sum == 0xffff;
  d.sport = Be16(&f[34]);
  d.dport = Be16(&f[36]);
  d.udp_len = Be16(&f[38]);
  d.vx_flags = Be32(&f[42]);
  d.vni = Be32(&f[46]) >> 8;
  d.inner.assign(f.begin() + 50, f.end());
  return d;
}

struct FdbAdd {
  uint16_t vnet_index;
  Mac mac;
  uintptr_t value;
};

class ForwarderOverlayTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pool_ = vswitch::testing::MakeTestPool("ovl", 4095).release();
    headers_ = vswitch::testing::MakeTestPool("ovl_hdr", 1023, 256).release();
    if (pool_ == nullptr || headers_ == nullptr) {
      return;
    }
    for (int i = 0; i < kNumPorts; ++i) {
      auto port = vswitch::testing::StartRingPort(PortName(i), pool_);
      if (!port.ok()) {
        ADD_FAILURE() << port.status();
        return;
      }
      ports_[i] = *port;
    }
    ready_ = true;
  }

  static void TearDownTestSuite() {
    if (ready_) {
      for (int i = 0; i < kNumPorts; ++i) {
        vswitch::testing::StopRingPort(ports_[i], PortName(i));
      }
    }
    rte_mempool_free(pool_);
    rte_mempool_free(headers_);
    pool_ = nullptr;
    headers_ = nullptr;
    ready_ = false;
  }

  static std::string PortName(int i) { return "net_ring_ovl" + std::to_string(i); }

  void SetUp() override {
    ASSERT_TRUE(ready_) << "test ports did not start";
    for (int i = 0; i < kNumPorts; ++i) {
      vswitch::testing::FreeAll(vswitch::testing::DrainPort(ports_[i]));
    }
    leak_check_ = std::make_unique<vswitch::testing::MempoolLeakCheck>(pool_);
    header_leak_check_ = std::make_unique<vswitch::testing::MempoolLeakCheck>(headers_);
    stats_ = std::make_unique<LcoreStats>();
    const std::string ring_name = "ovl_learn_" + std::to_string(seq_++);
    learn_ring_ = rte_ring_create_elem(ring_name.c_str(), sizeof(LearnEvent), 1024, SOCKET_ID_ANY,
                                       RING_F_SP_ENQ | RING_F_SC_DEQ);
    ASSERT_NE(learn_ring_, nullptr);
    const std::string arp_name = "ovl_arp_" + std::to_string(seq_++);
    arp_ring_ =
        rte_ring_create(arp_name.c_str(), 256, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    ASSERT_NE(arp_ring_, nullptr);
    forwarder_ = std::make_unique<Forwarder>(ForwarderContext{.worker = 0,
                                                              .stats = stats_.get(),
                                                              .learn_ring = learn_ring_,
                                                              .arp_ring = arp_ring_,
                                                              .clone_pool = pool_,
                                                              .header_pool = headers_,
                                                              .flow_cache_entries = 1024});
    snap_ = MakeSnapshot();
    ASSERT_NE(snap_, nullptr);
  }

  void TearDown() override {
    for (int i = 0; i < kNumPorts; ++i) {
      vswitch::testing::FreeAll(vswitch::testing::DrainPort(ports_[i]));
    }
    forwarder_.reset();
    snap_.reset();
    rte_ring_free(learn_ring_);
    if (arp_ring_ != nullptr) {
      vswitch::testing::FreeAll(ArpFrames());
      rte_ring_free(arp_ring_);
    }
    // Every mbuf is back: no leak, no double free (references of floods
    // and replicas counted right, on every segment).
    EXPECT_EQ(leak_check_->Leaked(), 0);
    EXPECT_EQ(header_leak_check_->Leaked(), 0);
  }

  static uint64_t NextGeneration() { return static_cast<uint64_t>(seq_++) + 1; }

  static rte_hash* MakeHash(const std::string& name, uint32_t key_len) {
    rte_hash_parameters params{};
    params.name = name.c_str();
    params.entries = 64;
    params.key_len = key_len;
    params.hash_func = rte_hash_crc;
    params.socket_id = SOCKET_ID_ANY;
    rte_hash* h = rte_hash_create(&params);
    if (h == nullptr) {
      ADD_FAILURE() << "rte_hash_create(" << name << ") failed";
    }
    return h;
  }

  static bool Add(rte_hash* h, const void* key, uintptr_t value) {
    const int ret = rte_hash_add_key_data(h, key, reinterpret_cast<void*>(value));
    if (ret != 0) {
      ADD_FAILURE() << "rte_hash_add_key_data: " << ret;
    }
    return ret == 0;
  }

  // Blue: A, B, C here; R0 (VTEP 0), R1 (VTEP 1), R2 (VTEP 2, unresolved)
  // remote. Red: D only, no remote ports.
  std::unique_ptr<Snapshot> MakeSnapshot(const std::vector<FdbAdd>& extra = {}) {
    const uint64_t generation = NextGeneration();
    auto s = std::make_unique<Snapshot>();
    s->generation = generation;
    s->cache_tag = generation;
    s->struct_tag = generation;
    s->learn_refresh_cycles = uint64_t{1} << 24;
    auto port = [&](int idx, uint16_t vnet, bool uplink) {
      PortInfo& p = s->ports[ports_[idx]];
      p.present = true;
      p.admin_up = true;
      p.is_uplink = uplink;
      p.vnet_index = vnet;
      p.vport_id = static_cast<uint32_t>(idx + 1);
    };
    port(kA, kBlue, false);
    port(kB, kBlue, false);
    port(kC, kBlue, false);
    port(kD, kRed, false);
    port(kU, kNoVnet, true);
    s->vnets.resize(2);
    s->vnets[kBlue].id = 100;
    s->vnets[kBlue].vni = kBlueVni;
    s->vnets[kBlue].flood_ports = {ports_[kA], ports_[kB], ports_[kC]};
    s->vnets[kBlue].flood_vteps = {0, 1, 2};
    s->vnets[kRed].id = 200;
    s->vnets[kRed].vni = kRedVni;
    s->vnets[kRed].flood_ports = {ports_[kD]};

    s->uplink.present = true;
    s->uplink.port = ports_[kU];
    s->uplink.mtu = 1500;
    s->uplink.ip_be = rte_cpu_to_be_32(kUplinkIp);
    std::memcpy(s->uplink.mac, kUplinkMac.data(), 6);

    s->vteps.resize(3);
    for (int v = 0; v < 3; ++v) {
      s->vteps[v].ip_be = rte_cpu_to_be_32(kVtepIp[v]);
    }
    s->vteps[0].resolved = true;
    std::memcpy(s->vteps[0].next_hop_mac, kNextHop0.data(), 6);
    s->vteps[1].resolved = true;
    std::memcpy(s->vteps[1].next_hop_mac, kNextHop1.data(), 6);

    const std::string g = std::to_string(generation);
    s->fdb = MakeHash("ovl_fdb_" + g, sizeof(FdbKey));
    s->vtep_by_ip = MakeHash("ovl_vtep_" + g, sizeof(uint32_t));
    s->vnet_by_vni = MakeHash("ovl_vni_" + g, sizeof(uint32_t));
    s->arp_table = MakeHash("ovl_arp_" + g, sizeof(ArpKey));
    if (s->fdb == nullptr || s->vtep_by_ip == nullptr || s->vnet_by_vni == nullptr ||
        s->arp_table == nullptr) {
      return nullptr;
    }
    std::vector<FdbAdd> fdb = {
        {kBlue, kMacA, PackFdbValue(ports_[kA], true)},
        {kBlue, kMacB, PackFdbValue(ports_[kB], true)},
        {kBlue, kMacC, PackFdbValue(ports_[kC], true)},
        {kRed, kMacD, PackFdbValue(ports_[kD], true)},
        {kBlue, kMacR0, PackFdbRemote(0)},
        {kBlue, kMacR1, PackFdbRemote(1)},
        {kBlue, kMacR2, PackFdbRemote(2)},
    };
    fdb.insert(fdb.end(), extra.begin(), extra.end());
    for (const FdbAdd& e : fdb) {
      FdbKey key{.vnet_index = e.vnet_index, .mac = {}};
      std::memcpy(key.mac, e.mac.data(), 6);
      if (!Add(s->fdb, &key, e.value)) {
        return nullptr;
      }
    }
    for (uint16_t v = 0; v < 3; ++v) {
      if (!Add(s->vtep_by_ip, &s->vteps[v].ip_be, v)) {
        return nullptr;
      }
    }
    const uint32_t blue_vni = kBlueVni;
    const uint32_t red_vni = kRedVni;
    if (!Add(s->vnet_by_vni, &blue_vni, kBlue) || !Add(s->vnet_by_vni, &red_vni, kRed)) {
      return nullptr;
    }
    const ArpKey arp_a{.vnet_index = kBlue, .pad = 0, .ip_be = rte_cpu_to_be_32(kIpA)};
    const ArpKey arp_r0{.vnet_index = kBlue, .pad = 0, .ip_be = rte_cpu_to_be_32(kIpR0)};
    if (!Add(s->arp_table, &arp_a, PackMac(kMacA.data())) ||
        !Add(s->arp_table, &arp_r0, PackMac(kMacR0.data()))) {
      return nullptr;
    }
    return s;
  }

  void SendMbufs(int in, rte_mbuf** pkts, uint16_t n) {
    forwarder_->HandleBurst(*snap_, ports_[in], pkts, n, 0);
    forwarder_->Flush();
  }

  void Send(int in, const std::vector<Bytes>& frames) {
    ASSERT_LE(frames.size(), kMaxBurst);
    rte_mbuf* pkts[kMaxBurst];
    for (size_t i = 0; i < frames.size(); ++i) {
      pkts[i] = vswitch::testing::MbufFromBytes(pool_, frames[i]);
      ASSERT_NE(pkts[i], nullptr);
    }
    SendMbufs(in, pkts, static_cast<uint16_t>(frames.size()));
  }

  // All bytes (every segment) of what port `idx` sent; drained and freed.
  std::vector<Bytes> Sent(int idx) {
    std::vector<Bytes> out;
    for (rte_mbuf* m : vswitch::testing::DrainPort(ports_[idx])) {
      if (m->pkt_len != ChainBytes(m).size()) {
        ADD_FAILURE() << "pkt_len " << m->pkt_len << " but segments hold " << ChainBytes(m).size();
      }
      out.push_back(ChainBytes(m));
      rte_pktmbuf_free(m);
    }
    return out;
  }

  std::array<size_t, kNumPorts> SentCounts() {
    std::array<size_t, kNumPorts> n{};
    for (int i = 0; i < kNumPorts; ++i) {
      n[i] = Sent(i).size();
    }
    return n;
  }

  uint64_t Drops(int idx, DropReason r) {
    return stats_->ports[ports_[idx]].drops[static_cast<int>(r)].Load();
  }
  uint64_t TotalDrops(int idx) {
    uint64_t n = 0;
    for (const Counter& c : stats_->ports[ports_[idx]].drops) {
      n += c.Load();
    }
    return n;
  }
  const VtepCounters& Vtep(int v) { return stats_->vteps[v]; }

  std::vector<rte_mbuf*> ArpFrames() {
    std::vector<rte_mbuf*> out;
    void* m = nullptr;
    while (rte_ring_sc_dequeue(arp_ring_, &m) == 0) {
      out.push_back(static_cast<rte_mbuf*>(m));
    }
    return out;
  }

  // Checks one encapsulated frame to VTEP `v` and returns it decoded.
  Decoded ExpectEncap(const Bytes& f, int v, const Bytes& inner, uint32_t vni = kBlueVni) {
    const Decoded d = Decode(f);
    EXPECT_EQ(d.eth_dst, v == 0 ? kNextHop0 : kNextHop1);
    EXPECT_EQ(d.eth_src, kUplinkMac);
    EXPECT_EQ(d.ether_type, 0x0800);
    EXPECT_EQ(d.ip_src, kUplinkIp);
    EXPECT_EQ(d.ip_dst, kVtepIp[v]);
    EXPECT_EQ(d.ip_total, 36 + inner.size());
    EXPECT_EQ(d.frag, 0x4000) << "DF set, not a fragment";
    EXPECT_EQ(d.ttl, 64);
    EXPECT_EQ(d.proto, 17);
    EXPECT_TRUE(d.checksum_ok);
    EXPECT_EQ(d.dport, 4789);
    EXPECT_GE(d.sport, 49152);
    EXPECT_EQ(d.udp_len, 16 + inner.size());
    EXPECT_EQ(d.vx_flags, 0x08000000u);
    EXPECT_EQ(d.vni, vni);
    EXPECT_EQ(d.inner, inner);
    return d;
  }

  static rte_mempool* pool_;
  static rte_mempool* headers_;
  static std::array<uint16_t, kNumPorts> ports_;
  static bool ready_;
  static std::atomic<int> seq_;

  std::unique_ptr<vswitch::testing::MempoolLeakCheck> leak_check_;
  std::unique_ptr<vswitch::testing::MempoolLeakCheck> header_leak_check_;
  std::unique_ptr<LcoreStats> stats_;
  rte_ring* learn_ring_ = nullptr;
  rte_ring* arp_ring_ = nullptr;
  std::unique_ptr<Forwarder> forwarder_;
  std::unique_ptr<Snapshot> snap_;
};

rte_mempool* ForwarderOverlayTest::pool_ = nullptr;
rte_mempool* ForwarderOverlayTest::headers_ = nullptr;
std::array<uint16_t, kNumPorts> ForwarderOverlayTest::ports_{};
bool ForwarderOverlayTest::ready_ = false;
std::atomic<int> ForwarderOverlayTest::seq_{0};

// ---- Encap: local VM -> remote port.

TEST_F(ForwarderOverlayTest, UnicastToRemoteMacIsEncapsulatedToItsVtep) {
  const Bytes frame = UdpFrame(kMacR1, kMacA, 1000, 2000, 100);
  Send(kA, {frame});
  const auto at_u = Sent(kU);
  ASSERT_THAT(at_u, SizeIs(1));
  ExpectEncap(at_u[0], 1, frame);
  const auto counts = SentCounts();
  EXPECT_EQ(counts[kA] + counts[kB] + counts[kC] + counts[kD], 0u);
  EXPECT_EQ(Vtep(1).tx_packets.Load(), 1u);
  EXPECT_EQ(Vtep(1).tx_bytes.Load(), 50 + frame.size());
  EXPECT_EQ(Vtep(1).replicated.Load(), 0u);
  EXPECT_EQ(Vtep(0).tx_packets.Load(), 0u);
  EXPECT_EQ(TotalDrops(kA), 0u);
  EXPECT_EQ(stats_->ports[ports_[kU]].tx_packets.Load(), 1u);
}

// RFC 7348 entropy: the outer source port follows the inner 5-tuple, per
// packet even though both flows share one L2 cache entry.
TEST_F(ForwarderOverlayTest, SourcePortDiffersBetweenFlowsAndStaysWithinAFlow) {
  const Bytes f1 = UdpFrame(kMacR0, kMacA, 1000, 2000);
  const Bytes f2 = UdpFrame(kMacR0, kMacA, 1001, 2000);
  Send(kA, {f1, f2, f1});
  const auto at_u = Sent(kU);
  ASSERT_THAT(at_u, SizeIs(3));
  const Decoded d1 = ExpectEncap(at_u[0], 0, f1);
  const Decoded d2 = ExpectEncap(at_u[1], 0, f2);
  const Decoded d3 = ExpectEncap(at_u[2], 0, f1);
  EXPECT_NE(d1.sport, d2.sport);
  EXPECT_EQ(d1.sport, d3.sport);
}

// The outer header goes into the frame's own headroom: no header mbuf.
TEST_F(ForwarderOverlayTest, UnicastEncapUsesTheFramesHeadroom) {
  Send(kA, {UdpFrame(kMacR0, kMacA)});
  std::vector<rte_mbuf*> at_u = vswitch::testing::DrainPort(ports_[kU]);
  ASSERT_THAT(at_u, SizeIs(1));
  EXPECT_EQ(at_u[0]->nb_segs, 1);
  EXPECT_EQ(at_u[0]->pool, pool_);
  vswitch::testing::FreeAll(at_u);
}

// A frame without headroom for the outer header gets a header mbuf.
TEST_F(ForwarderOverlayTest, FrameWithoutHeadroomIsEncapsulatedInAHeaderMbuf) {
  const Bytes frame = UdpFrame(kMacR0, kMacA);
  rte_mbuf* m = rte_pktmbuf_alloc(pool_);
  ASSERT_NE(m, nullptr);
  m->data_off = 10;
  std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size())), frame.data(),
              frame.size());
  SendMbufs(kA, &m, 1);
  const auto at_u = Sent(kU);
  ASSERT_THAT(at_u, SizeIs(1));
  ExpectEncap(at_u[0], 0, frame);
}

TEST_F(ForwarderOverlayTest, UnicastToUnresolvedVtepIsDroppedAsVtepUnresolved) {
  Send(kA, {UdpFrame(kMacR2, kMacA)});
  const auto counts = SentCounts();
  for (int i = 0; i < kNumPorts; ++i) {
    EXPECT_EQ(counts[i], 0u) << i;
  }
  EXPECT_EQ(Drops(kA, DropReason::kVtepUnresolved), 1u);
  EXPECT_EQ(Vtep(2).tx_packets.Load(), 0u);
}

TEST_F(ForwarderOverlayTest, UnicastWithoutUplinkIsDroppedAsVtepUnresolved) {
  snap_->uplink.present = false;
  Send(kA, {UdpFrame(kMacR0, kMacA)});
  EXPECT_EQ(SentCounts()[kU], 0u);
  EXPECT_EQ(Drops(kA, DropReason::kVtepUnresolved), 1u);
}

// Uplink MTU 1500: 1450 bytes of inner IPv4 (a 1464-byte frame) is the most
// the tunnel takes.
TEST_F(ForwarderOverlayTest, FrameOverTheTunnelMtuIsDroppedAsOverlayMtu) {
  const Bytes fits = UdpFrame(kMacR0, kMacA, 1, 2, 1422);
  const Bytes over = UdpFrame(kMacR0, kMacA, 1, 2, 1423);
  ASSERT_EQ(fits.size(), 1464u);
  Send(kA, {fits, over, fits});
  const auto at_u = Sent(kU);
  ASSERT_THAT(at_u, SizeIs(2));
  ExpectEncap(at_u[0], 0, fits);
  EXPECT_EQ(at_u[0].size(), 1514u);
  EXPECT_EQ(Drops(kA, DropReason::kOverlayMtu), 1u);
}

TEST_F(ForwarderOverlayTest, BroadcastOverTheTunnelMtuStillFloodsLocally) {
  const Bytes over = UdpFrame(kBroadcast, kMacA, 1, 2, 1423);
  Send(kA, {over});
  EXPECT_THAT(Sent(kB), ElementsAre(over));
  EXPECT_THAT(Sent(kC), ElementsAre(over));
  EXPECT_THAT(Sent(kU), IsEmpty());
  EXPECT_EQ(Drops(kA, DropReason::kOverlayMtu), 1u);
}

// ---- Head-end replication.

TEST_F(ForwarderOverlayTest, BroadcastGoesToEachLocalPortOnceAndOnceToEachResolvedVtep) {
  const Bytes frame = UdpFrame(kBroadcast, kMacA, 7, 8, 64);
  Send(kA, {frame});
  EXPECT_THAT(Sent(kB), ElementsAre(frame));
  EXPECT_THAT(Sent(kC), ElementsAre(frame));
  EXPECT_THAT(Sent(kA), IsEmpty());
  EXPECT_THAT(Sent(kD), IsEmpty());
  const auto at_u = Sent(kU);
  ASSERT_THAT(at_u, SizeIs(2));
  ExpectEncap(at_u[0], 0, frame);
  ExpectEncap(at_u[1], 1, frame);
  EXPECT_EQ(Vtep(0).replicated.Load() + Vtep(1).replicated.Load(), 2u);
  EXPECT_EQ(Vtep(0).tx_packets.Load(), 1u);
  EXPECT_EQ(Vtep(1).tx_packets.Load(), 1u);
  EXPECT_EQ(Vtep(2).tx_packets.Load(), 0u);
  EXPECT_EQ(Drops(kA, DropReason::kVtepUnresolved), 1u);
}

TEST_F(ForwarderOverlayTest, UnknownUnicastIsReplicatedToo) {
  Send(kA, {UdpFrame(kMacUnknown, kMacA)});
  const auto counts = SentCounts();
  EXPECT_EQ(counts[kB], 1u);
  EXPECT_EQ(counts[kC], 1u);
  EXPECT_EQ(counts[kU], 2u);
}

TEST_F(ForwarderOverlayTest, VnetWithoutRemotePortsIsNotReplicated) {
  snap_->vnets[kRed].flood_ports = {ports_[kD]};
  Send(kD, {UdpFrame(kBroadcast, kMacD)});
  EXPECT_EQ(SentCounts()[kU], 0u);
  EXPECT_EQ(Drops(kD, DropReason::kNoOutputPort), 1u);
}

TEST_F(ForwarderOverlayTest, BroadcastWithOnlyRemoteReceiversGoesToTheVteps) {
  snap_->vnets[kBlue].flood_ports = {ports_[kA]};
  Send(kA, {UdpFrame(kBroadcast, kMacA)});
  const auto counts = SentCounts();
  EXPECT_EQ(counts[kU], 2u);
  EXPECT_EQ(counts[kB] + counts[kC], 0u);
  EXPECT_EQ(Drops(kA, DropReason::kNoOutputPort), 0u);
}

// The replicas' outer headers are chained in front of the one shared frame:
// every segment of a chained frame holds one reference per output.
TEST_F(ForwarderOverlayTest, ChainedBroadcastFloodsAndReplicatesWithoutLeakOrDoubleFree) {
  const Bytes frame = UdpFrame(kBroadcast, kMacA, 3, 4, 300);
  rte_mbuf* pkts[2];
  pkts[0] = vswitch::testing::MbufChain(pool_, frame, {60, 100, frame.size() - 160});
  pkts[1] = vswitch::testing::MbufChain(pool_, frame, {14, frame.size() - 14});
  ASSERT_NE(pkts[0], nullptr);
  ASSERT_NE(pkts[1], nullptr);
  SendMbufs(kA, pkts, 2);
  EXPECT_THAT(Sent(kB), ElementsAre(frame, frame));
  EXPECT_THAT(Sent(kC), ElementsAre(frame, frame));
  const auto at_u = Sent(kU);
  ASSERT_THAT(at_u, SizeIs(4));
  for (const Bytes& f : at_u) {
    EXPECT_EQ(Decode(f).inner, frame);
  }
  // TearDown checks both pools.
}

// The shared frame must outlive every output whatever order they are
// freed in: free the uplink's copies first, then check the local ones.
TEST_F(ForwarderOverlayTest, ReplicasAndLocalCopiesAreFreedInAnyOrder) {
  const Bytes frame = UdpFrame(kBroadcast, kMacA, 3, 4, 300);
  rte_mbuf* m = vswitch::testing::MbufChain(pool_, frame, {100, frame.size() - 100});
  ASSERT_NE(m, nullptr);
  SendMbufs(kA, &m, 1);
  vswitch::testing::FreeAll(vswitch::testing::DrainPort(ports_[kU]));
  std::vector<rte_mbuf*> at_b = vswitch::testing::DrainPort(ports_[kB]);
  ASSERT_THAT(at_b, SizeIs(1));
  EXPECT_EQ(rte_mbuf_refcnt_read(at_b[0]), 2);  // B's and C's.
  EXPECT_EQ(rte_mbuf_refcnt_read(at_b[0]->next), 2);
  EXPECT_EQ(ChainBytes(at_b[0]), frame);
  vswitch::testing::FreeAll(at_b);
  EXPECT_THAT(Sent(kC), ElementsAre(frame));
}

TEST_F(ForwarderOverlayTest, NoHeaderPoolMeansNoReplicas) {
  forwarder_ = std::make_unique<Forwarder>(ForwarderContext{.worker = 0,
                                                            .stats = stats_.get(),
                                                            .learn_ring = learn_ring_,
                                                            .arp_ring = arp_ring_,
                                                            .clone_pool = pool_,
                                                            .flow_cache_entries = 1024});
  Send(kA, {UdpFrame(kBroadcast, kMacA)});
  const auto counts = SentCounts();
  EXPECT_EQ(counts[kB] + counts[kC], 2u);
  EXPECT_EQ(counts[kU], 0u);
}

// ---- TxBatch::AddChecked: the uplink may get more than kCapacity frames
// of one burst.

TEST_F(ForwarderOverlayTest, BurstOfBroadcastsSendsEveryReplica) {
  std::vector<Bytes> burst;
  for (uint16_t i = 0; i < kMaxBurst; ++i) {
    burst.push_back(UdpFrame(kBroadcast, kMacA, i, i));
  }
  Send(kA, burst);
  const auto counts = SentCounts();
  EXPECT_EQ(counts[kB], kMaxBurst);
  EXPECT_EQ(counts[kC], kMaxBurst);
  EXPECT_EQ(counts[kU], 2u * kMaxBurst);
  EXPECT_EQ(stats_->ports[ports_[kU]].tx_packets.Load(), 2u * kMaxBurst);
  EXPECT_EQ(Drops(kU, DropReason::kTxFull), 0u);
}

TEST_F(ForwarderOverlayTest, TxBatchAddCheckedSendsMoreThanCapacityToOnePort) {
  TxBatch tx(0);
  constexpr int kN = 3 * TxBatch::kCapacity + 5;
  for (int i = 0; i < kN; ++i) {
    rte_mbuf* m = vswitch::testing::MbufFromBytes(pool_, UdpFrame(kMacB, kMacA, i, i));
    ASSERT_NE(m, nullptr);
    tx.AddChecked(ports_[kU], m, stats_.get());
  }
  tx.Add(ports_[kB], vswitch::testing::MbufFromBytes(pool_, UdpFrame(kMacB, kMacA)));
  tx.Flush(stats_.get());
  const auto at_u = Sent(kU);
  ASSERT_THAT(at_u, SizeIs(kN));
  for (int i = 0; i < kN; ++i) {
    EXPECT_EQ(at_u[i], UdpFrame(kMacB, kMacA, i, i)) << "out of order at " << i;
  }
  EXPECT_EQ(Sent(kB).size(), 1u);
  EXPECT_EQ(stats_->ports[ports_[kU]].tx_packets.Load(), static_cast<uint64_t>(kN));
  // A second round after the flush starts clean.
  rte_mbuf* m = vswitch::testing::MbufFromBytes(pool_, UdpFrame(kMacB, kMacA));
  tx.AddChecked(ports_[kU], m, stats_.get());
  tx.Flush(stats_.get());
  EXPECT_EQ(Sent(kU).size(), 1u);
}

// ---- Decap: what the uplink receives.

TEST_F(ForwarderOverlayTest, VxlanFromKnownVtepIsDecapsulatedToTheLocalPort) {
  const Bytes inner = UdpFrame(kMacB, kMacR0, 5, 6, 40);
  Send(kU, {Vxlan(inner, {.pad = 7})});
  EXPECT_THAT(Sent(kB), ElementsAre(inner));  // Inner bytes only, padding gone.
  const auto counts = SentCounts();
  for (int i = 0; i < kNumPorts; ++i) {
    EXPECT_EQ(counts[i], 0u) << i;
  }
  EXPECT_EQ(Vtep(0).rx_packets.Load(), 1u);
  EXPECT_EQ(Vtep(0).rx_bytes.Load(), inner.size());
  EXPECT_EQ(TotalDrops(kU), 0u);
  EXPECT_EQ(stats_->ports[ports_[kB]].tx_bytes.Load(), inner.size());
  EXPECT_EQ(rte_ring_count(learn_ring_), 0u) << "a remote MAC must not be learned on a port";
}

TEST_F(ForwarderOverlayTest, DecapOfChainedFrameDeliversTheInnerBytes) {
  const Bytes inner = UdpFrame(kMacC, kMacR1, 5, 6, 200);
  const Bytes outer = Vxlan(inner, {.src = kVtepIp[1], .pad = 3});
  rte_mbuf* m = vswitch::testing::MbufChain(pool_, outer, {80, outer.size() - 80});
  ASSERT_NE(m, nullptr);
  SendMbufs(kU, &m, 1);
  EXPECT_THAT(Sent(kC), ElementsAre(inner));
}

// Padding split over the last two segments (a NIC that keeps the FCS, or
// pads, in a segment of its own): none of it reaches the VM.
TEST_F(ForwarderOverlayTest, DecapTrimsPaddingSpreadOverSegments) {
  const Bytes inner = UdpFrame(kMacB, kMacR0, 5, 6, 40);
  const Bytes outer = Vxlan(inner, {.pad = 6});
  rte_mbuf* m = vswitch::testing::MbufChain(pool_, outer, {outer.size() - 2, 2});
  ASSERT_NE(m, nullptr);
  SendMbufs(kU, &m, 1);
  EXPECT_THAT(Sent(kB), ElementsAre(inner));
  EXPECT_EQ(Vtep(0).rx_bytes.Load(), inner.size());
}

TEST_F(ForwarderOverlayTest, DecappedChainedBroadcastReachesEveryPortWithoutLeak) {
  const Bytes inner = UdpFrame(kBroadcast, kMacR0, 9, 9, 300);
  const Bytes outer = Vxlan(inner);
  rte_mbuf* m = vswitch::testing::MbufChain(pool_, outer, {100, 100, outer.size() - 200});
  ASSERT_NE(m, nullptr);
  SendMbufs(kU, &m, 1);
  EXPECT_THAT(Sent(kA), ElementsAre(inner));
  EXPECT_THAT(Sent(kB), ElementsAre(inner));
  EXPECT_THAT(Sent(kC), ElementsAre(inner));
}

TEST_F(ForwarderOverlayTest, UnknownVniIsDropped) {
  Send(kU, {Vxlan(UdpFrame(kMacB, kMacR0), {.vni = 5555})});
  EXPECT_EQ(SentCounts()[kB], 0u);
  EXPECT_EQ(Drops(kU, DropReason::kUnknownVni), 1u);
  EXPECT_EQ(Vtep(0).rx_packets.Load(), 0u);
}

TEST_F(ForwarderOverlayTest, UnknownSourceVtepIsDropped) {
  Send(kU, {Vxlan(UdpFrame(kMacB, kMacR0), {.src = kStrangerIp})});
  EXPECT_EQ(SentCounts()[kB], 0u);
  EXPECT_EQ(Drops(kU, DropReason::kUnknownVtep), 1u);
}

// No host speaks for another's VMs: R1 lives behind VTEP 1.
TEST_F(ForwarderOverlayTest, InnerSourceOfAnotherVtepIsDroppedAsSpoofed) {
  Send(kU, {Vxlan(UdpFrame(kMacB, kMacR1), {.src = kVtepIp[0]})});
  EXPECT_EQ(SentCounts()[kB], 0u);
  EXPECT_EQ(Drops(kU, DropReason::kOverlaySpoofed), 1u);
}

TEST_F(ForwarderOverlayTest, InnerSourceOfALocalPortIsDroppedAsSpoofed) {
  Send(kU, {Vxlan(UdpFrame(kMacB, kMacA)), Vxlan(UdpFrame(kMacB, kMacUnknown))});
  EXPECT_EQ(SentCounts()[kB], 0u);
  EXPECT_EQ(Drops(kU, DropReason::kOverlaySpoofed), 2u);
}

// A host's TAP copies to a collector VM come from its copy MAC (06:76 +
// its VTEP address): accepted from that VTEP only.
TEST_F(ForwarderOverlayTest, CopyMacIsAcceptedFromItsOwnVtepOnly) {
  const Mac copy0 = {0x06, 0x76, 192, 0, 2, 10};  // VTEP 0's.
  const Bytes inner = UdpFrame(kMacB, copy0);
  Send(kU, {Vxlan(inner, {.src = kVtepIp[0]}), Vxlan(inner, {.src = kVtepIp[1]})});
  EXPECT_THAT(Sent(kB), ElementsAre(inner));
  EXPECT_EQ(Drops(kU, DropReason::kOverlaySpoofed), 1u);
}

// The flow is cached after the legit frame; the same inner frame from
// another VTEP must still be refused (and the legit one still pass).
TEST_F(ForwarderOverlayTest, SpoofedFrameIsDroppedAfterTheLegitFlowIsCached) {
  const Bytes inner = UdpFrame(kMacB, kMacR1);
  Send(kU, {Vxlan(inner, {.src = kVtepIp[1]})});
  EXPECT_EQ(Sent(kB).size(), 1u);
  Send(kU, {Vxlan(inner, {.src = kVtepIp[0]}), Vxlan(inner, {.src = kVtepIp[1]})});
  EXPECT_EQ(Sent(kB).size(), 1u);
  EXPECT_EQ(Drops(kU, DropReason::kOverlaySpoofed), 1u);
  // And the other way round within one burst.
  Send(kU, {Vxlan(inner, {.src = kVtepIp[2]}), Vxlan(inner, {.src = kVtepIp[1]})});
  EXPECT_EQ(Sent(kB).size(), 1u);
  EXPECT_EQ(Drops(kU, DropReason::kOverlaySpoofed), 2u);
}

TEST_F(ForwarderOverlayTest, MalformedVxlanIsDroppedAsBadVxlan) {
  const Bytes inner = UdpFrame(kMacB, kMacR0);
  Bytes truncated = Vxlan(inner);
  truncated.resize(60);
  Send(kU, {Vxlan(inner, {.frag = 0x2000}), Vxlan(inner, {.frag = 0x0010}),
            Vxlan(inner, {.udp_len_delta = 2}), Vxlan(inner, {.flags = 0}), truncated});
  EXPECT_EQ(SentCounts()[kB], 0u);
  EXPECT_EQ(Drops(kU, DropReason::kBadVxlan), 5u);
  EXPECT_EQ(Vtep(0).rx_packets.Load(), 0u);
}

TEST_F(ForwarderOverlayTest, OtherTrafficOnTheUplinkIsNotSwitched) {
  const Bytes inner = UdpFrame(kMacB, kMacR0);
  Send(kU, {Vxlan(inner, {.dport = 4790}), Vxlan(inner, {.dst = RTE_IPV4(192, 0, 2, 2)}),
            UdpFrame(kMacB, kMacR0)});
  const auto counts = SentCounts();
  for (int i = 0; i < kNumPorts; ++i) {
    EXPECT_EQ(counts[i], 0u) << i;
  }
  EXPECT_EQ(Drops(kU, DropReason::kUplinkRx), 3u);
}

TEST_F(ForwarderOverlayTest, ArpOnTheUplinkGoesToTheArpRing) {
  const Bytes arp = Arp(kBroadcast, kNextHop0, kVtepIp[0], kUplinkIp);
  Send(kU, {arp, Vxlan(UdpFrame(kMacB, kMacR0))});
  std::vector<rte_mbuf*> got = ArpFrames();
  ASSERT_THAT(got, SizeIs(1));
  EXPECT_EQ(ChainBytes(got[0]), arp);
  vswitch::testing::FreeAll(got);
  EXPECT_EQ(Sent(kB).size(), 1u);
}

// Split horizon: a host does not relay between VTEPs.
TEST_F(ForwarderOverlayTest, DecappedFrameForARemoteMacIsDroppedAsTransit) {
  Send(kU, {Vxlan(UdpFrame(kMacR1, kMacR0))});
  const auto counts = SentCounts();
  for (int i = 0; i < kNumPorts; ++i) {
    EXPECT_EQ(counts[i], 0u) << i;
  }
  EXPECT_EQ(Drops(kU, DropReason::kOverlayTransit), 1u);
}

TEST_F(ForwarderOverlayTest, DecappedBroadcastGoesToEveryLocalPortOnceAndNeverBack) {
  const Bytes inner = UdpFrame(kBroadcast, kMacR0, 9, 9, 30);
  Send(kU, {Vxlan(inner)});
  EXPECT_THAT(Sent(kA), ElementsAre(inner));
  EXPECT_THAT(Sent(kB), ElementsAre(inner));
  EXPECT_THAT(Sent(kC), ElementsAre(inner));
  EXPECT_THAT(Sent(kD), IsEmpty());
  EXPECT_THAT(Sent(kU), IsEmpty());
  EXPECT_EQ(Vtep(0).tx_packets.Load() + Vtep(1).tx_packets.Load(), 0u);
}

TEST_F(ForwarderOverlayTest, DecappedFrameStaysInItsVnet) {
  // kMacD is red's; a blue VNI frame for it is unknown unicast in blue.
  Send(kU, {Vxlan(UdpFrame(kMacD, kMacR0))});
  const auto counts = SentCounts();
  EXPECT_EQ(counts[kD], 0u);
  EXPECT_EQ(counts[kA] + counts[kB] + counts[kC], 3u);
  EXPECT_EQ(counts[kU], 0u);
}

TEST_F(ForwarderOverlayTest, MixedUplinkBurstReturnsEveryMbuf) {
  const Bytes inner = UdpFrame(kMacB, kMacR0);
  Bytes truncated = Vxlan(inner);
  truncated.resize(47);
  Send(kU, {Vxlan(inner), Vxlan(UdpFrame(kBroadcast, kMacR0)), Vxlan(inner, {.vni = 9}),
            Vxlan(inner, {.src = kStrangerIp}), Vxlan(UdpFrame(kMacB, kMacR1)), truncated,
            Vxlan(UdpFrame(kMacR1, kMacR0)), Bytes(5, 0), Vxlan(Bytes(14, 0x02)),
            Arp(kBroadcast, kNextHop0, kVtepIp[0], kUplinkIp)});
  SentCounts();  // Drains and frees; TearDown checks the pools.
}

// ---- ARP suppression.

TEST_F(ForwarderOverlayTest, ArpRequestForKnownAddressIsAnsweredOnTheSamePort) {
  Send(kA, {Arp(kBroadcast, kMacA, kIpA, kIpR0)});
  const auto at_a = Sent(kA);
  ASSERT_THAT(at_a, SizeIs(1));
  const Bytes& r = at_a[0];
  ASSERT_GE(r.size(), 42u);
  EXPECT_TRUE(std::equal(r.begin(), r.begin() + 6, kMacA.begin())) << "eth dst = the asker";
  EXPECT_TRUE(std::equal(r.begin() + 6, r.begin() + 12, kMacR0.begin())) << "eth src = target";
  EXPECT_EQ(Be16(&r[12]), 0x0806);
  EXPECT_EQ(Be16(&r[20]), 2) << "op reply";
  EXPECT_TRUE(std::equal(r.begin() + 22, r.begin() + 28, kMacR0.begin())) << "sha";
  EXPECT_EQ(Be32(&r[28]), kIpR0) << "spa";
  EXPECT_TRUE(std::equal(r.begin() + 32, r.begin() + 38, kMacA.begin())) << "tha";
  EXPECT_EQ(Be32(&r[38]), kIpA) << "tpa";
  const auto counts = SentCounts();
  EXPECT_EQ(counts[kB] + counts[kC] + counts[kU], 0u) << "the request must not be flooded";
  EXPECT_EQ(TotalDrops(kA), 0u);
}

TEST_F(ForwarderOverlayTest, ArpRequestsAreAnsweredEveryTimeNotCached) {
  Send(kA, {Arp(kBroadcast, kMacA, kIpA, kIpR0), Arp(kBroadcast, kMacA, kIpA, kIpNobody),
            Arp(kBroadcast, kMacA, kIpA, kIpR0)});
  EXPECT_EQ(Sent(kA).size(), 2u);
  const auto counts = SentCounts();
  EXPECT_EQ(counts[kB], 1u);  // The one for nobody's address floods.
  EXPECT_EQ(counts[kU], 2u);
}

TEST_F(ForwarderOverlayTest, ArpRequestWithSuppressionOffFloods) {
  snap_->vnets[kBlue].arp_suppression = false;
  Send(kA, {Arp(kBroadcast, kMacA, kIpA, kIpR0)});
  const auto counts = SentCounts();
  EXPECT_EQ(counts[kA], 0u);
  EXPECT_EQ(counts[kB], 1u);
  EXPECT_EQ(counts[kC], 1u);
  EXPECT_EQ(counts[kU], 2u);
}

// RFC 5227 probe (sender 0.0.0.0) for the asker's own address: only another
// holder may answer, the switch must not say "yours".
TEST_F(ForwarderOverlayTest, DuplicateAddressProbeIsFloodedNotAnswered) {
  Send(kA, {Arp(kBroadcast, kMacA, 0, kIpA)});
  const auto counts = SentCounts();
  EXPECT_EQ(counts[kA], 0u);
  EXPECT_EQ(counts[kB], 1u);
  EXPECT_EQ(counts[kU], 2u);
}

// A gratuitous request announces the sender's address (here one the table
// gives to R0: a conflict the VNet must hear about).
TEST_F(ForwarderOverlayTest, GratuitousRequestIsFloodedNotAnswered) {
  Send(kA, {Arp(kBroadcast, kMacA, kIpR0, kIpR0), Arp(kBroadcast, kMacA, kIpA, kIpA)});
  const auto counts = SentCounts();
  EXPECT_EQ(counts[kA], 0u);
  EXPECT_EQ(counts[kB], 2u);
  EXPECT_EQ(counts[kU], 4u);
}

TEST_F(ForwarderOverlayTest, ArpReplyAndUnknownAddressAreForwardedNormally) {
  Send(kA, {Arp(kMacB, kMacA, kIpA, kIpR0, 2), Arp(kBroadcast, kMacA, kIpA, kIpNobody)});
  const auto counts = SentCounts();
  EXPECT_EQ(counts[kA], 0u);
  EXPECT_EQ(counts[kB], 2u);
  EXPECT_EQ(counts[kC], 1u);
}

TEST_F(ForwarderOverlayTest, ArpForAnAddressOfAnotherVnetIsNotAnswered) {
  // D (red) asks for R0's blue address.
  snap_->vnets[kRed].flood_ports = {ports_[kD]};
  Send(kD, {Arp(kBroadcast, kMacD, RTE_IPV4(10, 0, 0, 4), kIpR0)});
  EXPECT_EQ(SentCounts()[kD], 0u);
  EXPECT_EQ(Drops(kD, DropReason::kNoOutputPort), 1u);
}

}  // namespace
}  // namespace vswitch::dataplane
