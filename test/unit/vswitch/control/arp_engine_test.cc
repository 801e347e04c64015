// SPDX-License-Identifier: Apache-2.0
//
// ArpEngine on a real uplink: a net_ring port with three queue pairs (one
// worker: queue 2 is the main lcore's), so what the engine sends on the main
// queue is read back from RX queue 2 and checked byte by byte.
#include "vswitch/control/arp_engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <rte_arp.h>
#include <rte_dev.h>
#include <rte_ethdev.h>

#include <cstring>
#include <string>
#include <vector>

#include "test/testing/mbuf_util.h"
#include "test/testing/ring_port.h"
#include "vswitch/control/config_store.h"

namespace vswitch::control {
namespace {

using ::testing::UnorderedElementsAre;

constexpr const char* kUplinkName = "net_ring_arpe";
constexpr uint16_t kWorkers = 1;
constexpr uint32_t kOurIp = 0xc0000201;        // 192.0.2.1, the uplink's.
constexpr uint32_t kCollector = 0xc0000214;    // 192.0.2.20, inside the prefix.
constexpr uint32_t kStaticHop = 0xc0000215;    // 192.0.2.21, a static neighbor.
const uint8_t kOurMac[6] = {0x02, 0, 0, 0, 0, 0x01};
const uint8_t kCollectorMac[6] = {0x02, 0, 0, 0, 0, 0x20};
const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

v1::Config TestConfig() {
  v1::Config c;
  v1::VPort* up = c.add_vports();
  up->set_name("up");
  up->set_kind(v1::VPORT_KIND_UPLINK);
  up->mutable_uplink()->set_ip_cidr("192.0.2.1/24");
  v1::MirrorDestination* d = c.add_destinations();
  d->set_name("col");
  d->add_collectors("192.0.2.20");
  d->add_collectors("192.0.2.21");
  d->add_collectors("10.9.9.9");  // Outside the prefix, no gateway: no route.
  v1::Neighbor* n = c.add_neighbors();
  n->set_ip("192.0.2.21");
  n->set_mac("02:00:00:00:00:21");
  return c;
}

// An ARP frame from the collector (request for `tip`, or a reply).
rte_mbuf* ArpFrom(rte_mempool* pool, uint16_t op, uint32_t tip) {
  std::vector<uint8_t> b(sizeof(rte_ether_hdr) + sizeof(rte_arp_hdr), 0);
  auto* eth = reinterpret_cast<rte_ether_hdr*>(b.data());
  auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
  memset(eth->dst_addr.addr_bytes, 0xff, 6);
  memcpy(eth->src_addr.addr_bytes, kCollectorMac, 6);
  eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
  arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
  arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
  arp->arp_hlen = 6;
  arp->arp_plen = 4;
  arp->arp_opcode = rte_cpu_to_be_16(op);
  memcpy(arp->arp_data.arp_sha.addr_bytes, kCollectorMac, 6);
  arp->arp_data.arp_sip = rte_cpu_to_be_32(kCollector);
  arp->arp_data.arp_tip = rte_cpu_to_be_32(tip);
  return vswitch::testing::MbufFromBytes(pool, b);
}

class ArpEngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pool_ = vswitch::testing::MakeTestPool("arpe", 255).release();
    ASSERT_NE(pool_, nullptr);
    ASSERT_EQ(rte_dev_probe(kUplinkName), 0);
    ASSERT_EQ(rte_eth_dev_get_port_by_name(kUplinkName, &port_), 0);
    // Queue pair q shares one ring: TX queue 2 (main) comes back on RX 2.
    const uint16_t queues = UplinkMainQueue(kWorkers) + 1;
    rte_eth_conf conf{};
    ASSERT_EQ(rte_eth_dev_configure(port_, queues, queues, &conf), 0);
    for (uint16_t q = 0; q < queues; ++q) {
      ASSERT_EQ(rte_eth_rx_queue_setup(port_, q, 256, SOCKET_ID_ANY, nullptr, pool_), 0);
      ASSERT_EQ(rte_eth_tx_queue_setup(port_, q, 256, SOCKET_ID_ANY, nullptr), 0);
    }
    ASSERT_EQ(rte_eth_dev_start(port_), 0);
    ready_ = true;
  }

  static void TearDownTestSuite() {
    if (ready_) {
      vswitch::testing::FreeAll(Sent());
      vswitch::testing::StopRingPort(port_, kUplinkName);
    }
    rte_mempool_free(pool_);
    pool_ = nullptr;
    ready_ = false;
  }

  void SetUp() override {
    ASSERT_TRUE(ready_) << "uplink port did not start";
    vswitch::testing::FreeAll(Sent());
    VportRuntime& rt = runtime_["up"];
    rt.port_id = port_;
    rt.mac = "02:00:00:00:00:01";
  }

  // What the engine sent on the main queue.
  static std::vector<rte_mbuf*> Sent() {
    std::vector<rte_mbuf*> out;
    rte_mbuf* burst[32];
    uint16_t n;
    while ((n = rte_eth_rx_burst(port_, UplinkMainQueue(kWorkers), burst, 32)) > 0) {
      out.insert(out.end(), burst, burst + n);
    }
    return out;
  }

  static inline rte_mempool* pool_ = nullptr;
  static inline uint16_t port_ = 0;
  static inline bool ready_ = false;
  ArpEngine::Runtime runtime_;
};

TEST_F(ArpEngineTest, RequestsOnlyNextHopsWithoutAStaticNeighbor) {
  ArpEngine engine(pool_, kWorkers);
  const v1::Config config = TestConfig();
  engine.UpdateTargets(config);
  engine.SendDue(config, runtime_, kT0);
  std::vector<rte_mbuf*> sent = Sent();
  ASSERT_EQ(sent.size(), 1u);  // 192.0.2.21 is static, 10.9.9.9 has no route.
  const auto* eth = rte_pktmbuf_mtod(sent[0], const rte_ether_hdr*);
  const auto* arp = reinterpret_cast<const rte_arp_hdr*>(eth + 1);
  EXPECT_EQ(sent[0]->data_len, sizeof(rte_ether_hdr) + sizeof(rte_arp_hdr));
  EXPECT_TRUE(rte_is_broadcast_ether_addr(&eth->dst_addr));
  EXPECT_EQ(memcmp(eth->src_addr.addr_bytes, kOurMac, 6), 0);
  EXPECT_EQ(arp->arp_opcode, RTE_BE16(RTE_ARP_OP_REQUEST));
  EXPECT_EQ(memcmp(arp->arp_data.arp_sha.addr_bytes, kOurMac, 6), 0);
  EXPECT_EQ(rte_be_to_cpu_32(arp->arp_data.arp_sip), kOurIp);
  EXPECT_EQ(rte_be_to_cpu_32(arp->arp_data.arp_tip), kCollector);
  vswitch::testing::FreeAll(sent);
  // Asked: not again within the retry interval.
  engine.SendDue(config, runtime_, kT0 + absl::Milliseconds(100));
  EXPECT_TRUE(Sent().empty());
}

TEST_F(ArpEngineTest, ReplyResolvesAndRequestForOurIpIsAnswered) {
  ArpEngine engine(pool_, kWorkers);
  const v1::Config config = TestConfig();
  engine.UpdateTargets(config);
  vswitch::testing::MempoolLeakCheck leaks(pool_);
  rte_mbuf* frames[2] = {ArpFrom(pool_, RTE_ARP_OP_REPLY, kOurIp),
                         ArpFrom(pool_, RTE_ARP_OP_REQUEST, kOurIp)};
  ASSERT_NE(frames[0], nullptr);
  ASSERT_NE(frames[1], nullptr);
  EXPECT_TRUE(engine.HandleFrames(config, runtime_, frames, 2, kT0));

  const NeighborMap hops = engine.Neighbors(config);
  ASSERT_TRUE(hops.contains(kCollector));
  EXPECT_EQ(memcmp(hops.at(kCollector).data(), kCollectorMac, 6), 0);
  ASSERT_TRUE(hops.contains(kStaticHop));

  std::vector<rte_mbuf*> sent = Sent();
  ASSERT_EQ(sent.size(), 1u);  // The reply to the request only.
  const auto* eth = rte_pktmbuf_mtod(sent[0], const rte_ether_hdr*);
  const auto* arp = reinterpret_cast<const rte_arp_hdr*>(eth + 1);
  EXPECT_EQ(memcmp(eth->dst_addr.addr_bytes, kCollectorMac, 6), 0);
  EXPECT_EQ(arp->arp_opcode, RTE_BE16(RTE_ARP_OP_REPLY));
  EXPECT_EQ(memcmp(arp->arp_data.arp_tha.addr_bytes, kCollectorMac, 6), 0);
  EXPECT_EQ(rte_be_to_cpu_32(arp->arp_data.arp_sip), kOurIp);
  EXPECT_EQ(rte_be_to_cpu_32(arp->arp_data.arp_tip), kCollector);
  vswitch::testing::FreeAll(sent);
  EXPECT_EQ(leaks.Leaked(), 0);  // Received frames are freed by the engine.

  // The same MAC again changes nothing.
  rte_mbuf* again = ArpFrom(pool_, RTE_ARP_OP_REPLY, kOurIp);
  EXPECT_FALSE(engine.HandleFrames(config, runtime_, &again, 1, kT0 + absl::Seconds(1)));
}

TEST_F(ArpEngineTest, ListShowsStaticResolvedIncompleteAndUnroutable) {
  ArpEngine engine(pool_, kWorkers);
  const v1::Config config = TestConfig();
  engine.UpdateTargets(config);
  std::vector<std::string> rows;
  const v1::ListNeighborsResponse before = engine.List(config);
  for (const auto& n : before.neighbors()) {
    rows.push_back(n.ip() + " " + n.state());
  }
  EXPECT_THAT(rows, UnorderedElementsAre("192.0.2.21 STATIC", "192.0.2.20 INCOMPLETE",
                                         "10.9.9.9 NO_ROUTE"));
  rte_mbuf* reply = ArpFrom(pool_, RTE_ARP_OP_REPLY, kOurIp);
  engine.HandleFrames(config, runtime_, &reply, 1, kT0);
  rows.clear();
  const v1::ListNeighborsResponse after = engine.List(config);
  for (const auto& n : after.neighbors()) {
    rows.push_back(n.ip() + " " + n.state() + " " + n.mac());
  }
  EXPECT_THAT(rows, UnorderedElementsAre("192.0.2.21 STATIC 02:00:00:00:00:21",
                                         "192.0.2.20 RESOLVED 02:00:00:00:00:20",
                                         "10.9.9.9 NO_ROUTE "));
}

TEST_F(ArpEngineTest, WithoutAnUplinkNothingIsSentAndFramesAreFreed) {
  ArpEngine engine(pool_, kWorkers);
  v1::Config config = TestConfig();
  config.clear_vports();
  engine.UpdateTargets(config);
  engine.SendDue(config, runtime_, kT0);
  vswitch::testing::MempoolLeakCheck leaks(pool_);
  rte_mbuf* request = ArpFrom(pool_, RTE_ARP_OP_REQUEST, kOurIp);
  EXPECT_FALSE(engine.HandleFrames(config, runtime_, &request, 1, kT0));
  EXPECT_TRUE(Sent().empty());
  EXPECT_EQ(leaks.Leaked(), 0);
}


// VTEPs of remote ports are next hops like collectors: asked for (once per
// next hop), resolved by a reply (a change to republish), listed, and
// shown NO_ROUTE when the uplink cannot reach them.
TEST_F(ArpEngineTest, VtepNextHopsAreResolvedLikeCollectors) {
  ArpEngine engine(pool_, kWorkers);
  v1::Config config;
  v1::VPort* up = config.add_vports();
  up->set_name("up");
  up->set_kind(v1::VPORT_KIND_UPLINK);
  up->mutable_uplink()->set_ip_cidr("192.0.2.1/24");
  for (const char* vtep : {"192.0.2.20", "10.9.9.9"}) {  // On the link; no route.
    for (int i = 0; i < 2; ++i) {
      v1::RemotePort* rp = config.add_remote_ports();
      rp->set_vnet("blue");
      rp->set_mac(i == 0 ? "02:00:00:00:0a:01" : "02:00:00:00:0a:02");
      rp->set_vtep(vtep);
    }
  }
  engine.UpdateTargets(config);
  EXPECT_EQ(engine.NextHopState(config, kCollector), "INCOMPLETE");
  EXPECT_EQ(engine.NextHopState(config, 0x0a090909), "NO_ROUTE");
  engine.SendDue(config, runtime_, kT0);
  std::vector<rte_mbuf*> sent = Sent();
  ASSERT_EQ(sent.size(), 1u);  // 192.0.2.20 once, though two ports use it.
  const auto* arp = reinterpret_cast<const rte_arp_hdr*>(
      rte_pktmbuf_mtod(sent[0], const rte_ether_hdr*) + 1);
  EXPECT_EQ(rte_be_to_cpu_32(arp->arp_data.arp_tip), kCollector);
  vswitch::testing::FreeAll(sent);

  rte_mbuf* reply = ArpFrom(pool_, RTE_ARP_OP_REPLY, kOurIp);
  EXPECT_TRUE(engine.HandleFrames(config, runtime_, &reply, 1, kT0));
  EXPECT_TRUE(engine.Neighbors(config).contains(kCollector));
  EXPECT_EQ(engine.NextHopState(config, kCollector), "RESOLVED");
  std::vector<std::string> rows;
  const v1::ListNeighborsResponse listed = engine.List(config);
  for (const auto& n : listed.neighbors()) {
    rows.push_back(n.ip() + " " + n.state());
  }
  EXPECT_THAT(rows, UnorderedElementsAre("192.0.2.20 RESOLVED", "10.9.9.9 NO_ROUTE"));

  // Without remote ports the VTEP is no longer a target.
  config.clear_remote_ports();
  engine.UpdateTargets(config);
  EXPECT_EQ(engine.List(config).neighbors_size(), 0);
}

}  // namespace
}  // namespace vswitch::control
