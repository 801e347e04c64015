// SPDX-License-Identifier: Apache-2.0
//
// The forwarder on real mbufs, a hand-built Snapshot with a real rte_hash
// FDB, and real ethdevs (net_ring: what a port sends comes back on its own
// RX queue, so every test can see exactly which ports got what).
#include "vswitch/dataplane/forwarder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

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

namespace vswitch::dataplane {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using vswitch::testing::kBroadcast;
using vswitch::testing::Mac;
using vswitch::testing::MbufBytes;
using vswitch::testing::TestMac;
using vswitch::testing::UdpFrame;

// Ports of the test topology (indexes into ports_).
enum PortIdx : int {
  kA = 0,  // VNet 0 "blue", up.
  kB,      // VNet 0, up.
  kC,      // VNet 0, up.
  kD,      // VNet 1 "red", up: the only port of its VNet.
  kE,      // VNet 0, admin down.
  kU,      // Uplink.
  kNumPorts
};

constexpr uint32_t kBlueId = 100;
constexpr uint32_t kRedId = 200;
constexpr uint16_t kBlue = 0;  // VNet indexes in Snapshot::vnets.
constexpr uint16_t kRed = 1;
// A port id no test port has: absent from every snapshot.
constexpr uint16_t kAbsentPort = RTE_MAX_ETHPORTS - 1;

const Mac kMacA = TestMac(0xa);        // Static on A.
const Mac kMacB = TestMac(0xb);        // Static on B.
const Mac kMacD = TestMac(0xd);        // Static on D (red).
const Mac kMacE = TestMac(0xe);        // Static on E (down).
const Mac kMacLearned = TestMac(0xc);  // Learned on C.
const Mac kMacUnknown = TestMac(0x99);
const Mac kMacNew = TestMac(0x77);

struct FdbAdd {
  uint16_t vnet_index;
  Mac mac;
  uint16_t port;
  bool is_static;
};

class ForwarderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pool_ = vswitch::testing::MakeTestPool("fwd", 4095).release();
    if (pool_ == nullptr) {
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
    pool_ = nullptr;
    ready_ = false;
  }

  static std::string PortName(int i) { return "net_ring_fwd" + std::to_string(i); }

  void SetUp() override {
    ASSERT_TRUE(ready_) << "test ports did not start";
    for (int i = 0; i < kNumPorts; ++i) {
      vswitch::testing::FreeAll(vswitch::testing::DrainPort(ports_[i]));
    }
    leak_check_ = std::make_unique<vswitch::testing::MempoolLeakCheck>(pool_);
    stats_ = std::make_unique<LcoreStats>();
    const std::string ring_name = "fwd_learn_" + std::to_string(seq_++);
    learn_ring_ = rte_ring_create_elem(ring_name.c_str(), sizeof(LearnEvent), 1024, SOCKET_ID_ANY,
                                       RING_F_SP_ENQ | RING_F_SC_DEQ);
    ASSERT_NE(learn_ring_, nullptr);
    const std::string arp_name = "fwd_arp_" + std::to_string(seq_++);
    arp_ring_ =
        rte_ring_create(arp_name.c_str(), 256, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    ASSERT_NE(arp_ring_, nullptr);
    forwarder_ = std::make_unique<Forwarder>(ForwarderContext{.worker = 0,
                                                              .stats = stats_.get(),
                                                              .learn_ring = learn_ring_,
                                                              .arp_ring = arp_ring_,
                                                              .clone_pool = pool_,
                                                              .flow_cache_entries = 1024});
    snap_ = MakeSnapshot(NextGeneration());
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
    // Every mbuf taken by a test is back: no leak, no double free (flood
    // references counted right).
    EXPECT_EQ(leak_check_->Leaked(), 0);
  }

  static uint64_t NextGeneration() { return static_cast<uint64_t>(seq_++) + 1; }

  // The test topology plus `extra` FDB entries.
  std::unique_ptr<Snapshot> MakeSnapshot(uint64_t generation,
                                         const std::vector<FdbAdd>& extra = {}) {
    auto s = std::make_unique<Snapshot>();
    s->generation = generation;
    s->cache_tag = generation;  // Never 0: generations start at 1.
    s->struct_tag = generation;  // Every snapshot of the test may change anything.
    s->learn_refresh_cycles = uint64_t{1} << 24;
    auto port = [&](int idx, uint16_t vnet, bool up, bool uplink) {
      PortInfo& p = s->ports[ports_[idx]];
      p.present = true;
      p.admin_up = up;
      p.is_uplink = uplink;
      p.vnet_index = vnet;
      p.vport_id = static_cast<uint32_t>(idx + 1);
    };
    port(kA, kBlue, true, false);
    port(kB, kBlue, true, false);
    port(kC, kBlue, true, false);
    port(kD, kRed, true, false);
    port(kE, kBlue, false, false);
    port(kU, kNoVnet, true, true);
    s->vnets.resize(2);
    s->vnets[kBlue].id = kBlueId;
    s->vnets[kBlue].vni = 1000;
    s->vnets[kBlue].flood_ports = {ports_[kA], ports_[kB], ports_[kC]};
    s->vnets[kRed].id = kRedId;
    s->vnets[kRed].vni = 2000;
    s->vnets[kRed].flood_ports = {ports_[kD]};

    const std::string name = "fwd_fdb_" + std::to_string(generation);
    rte_hash_parameters params{};
    params.name = name.c_str();
    params.entries = 1024;
    params.key_len = sizeof(FdbKey);
    params.hash_func = rte_hash_crc;
    params.socket_id = SOCKET_ID_ANY;
    s->fdb = rte_hash_create(&params);
    if (s->fdb == nullptr) {
      ADD_FAILURE() << "rte_hash_create(" << name << ") failed";
      return nullptr;
    }
    std::vector<FdbAdd> entries = {
        {kBlue, kMacA, ports_[kA], true},        {kBlue, kMacB, ports_[kB], true},
        {kBlue, kMacE, ports_[kE], true},        {kRed, kMacD, ports_[kD], true},
        {kBlue, kMacLearned, ports_[kC], false},
    };
    entries.insert(entries.end(), extra.begin(), extra.end());
    for (const FdbAdd& e : entries) {
      FdbKey key{.vnet_index = e.vnet_index, .mac = {}};
      std::memcpy(key.mac, e.mac.data(), 6);
      const int ret = rte_hash_add_key_data(
          s->fdb, &key, reinterpret_cast<void*>(PackFdbValue(e.port, e.is_static)));
      if (ret != 0) {
        ADD_FAILURE() << "rte_hash_add_key_data: " << ret;
        return nullptr;
      }
    }
    return s;
  }

  // Sends `frames` as one burst received on DPDK port `in_port`, then flushes.
  void SendOnPortId(uint16_t in_port, const std::vector<std::vector<uint8_t>>& frames,
                    uint64_t now_tsc = 0) {
    ASSERT_LE(frames.size(), kMaxBurst);
    rte_mbuf* pkts[kMaxBurst];
    for (size_t i = 0; i < frames.size(); ++i) {
      pkts[i] = vswitch::testing::MbufFromBytes(pool_, frames[i]);
      ASSERT_NE(pkts[i], nullptr);
    }
    forwarder_->HandleBurst(*snap_, in_port, pkts, static_cast<uint16_t>(frames.size()), now_tsc);
    forwarder_->Flush();
  }
  void Send(int in, const std::vector<std::vector<uint8_t>>& frames, uint64_t now_tsc = 0) {
    SendOnPortId(ports_[in], frames, now_tsc);
  }

  // The frames port `idx` sent, drained from its ring and freed.
  std::vector<std::vector<uint8_t>> Sent(int idx) {
    std::vector<std::vector<uint8_t>> out;
    for (rte_mbuf* m : vswitch::testing::DrainPort(ports_[idx])) {
      out.push_back(MbufBytes(m));
      rte_pktmbuf_free(m);
    }
    return out;
  }

  // How many frames each port sent (drains them).
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
  uint64_t TotalDrops(uint16_t port_id) {
    uint64_t n = 0;
    for (const Counter& c : stats_->ports[port_id].drops) {
      n += c.Load();
    }
    return n;
  }

  std::vector<LearnEvent> LearnEvents() {
    std::vector<LearnEvent> out(64);
    const unsigned n = rte_ring_sc_dequeue_burst_elem(learn_ring_, out.data(), sizeof(LearnEvent),
                                                      static_cast<unsigned>(out.size()), nullptr);
    out.resize(n);
    return out;
  }

  // The mbufs the forwarder handed to the main lcore's ARP ring.
  std::vector<rte_mbuf*> ArpFrames() {
    std::vector<rte_mbuf*> out;
    void* m = nullptr;
    while (rte_ring_sc_dequeue(arp_ring_, &m) == 0) {
      out.push_back(static_cast<rte_mbuf*>(m));
    }
    return out;
  }

  static rte_mempool* pool_;
  static std::array<uint16_t, kNumPorts> ports_;
  static bool ready_;
  static std::atomic<int> seq_;

  std::unique_ptr<vswitch::testing::MempoolLeakCheck> leak_check_;
  std::unique_ptr<LcoreStats> stats_;
  rte_ring* learn_ring_ = nullptr;
  rte_ring* arp_ring_ = nullptr;
  std::unique_ptr<Forwarder> forwarder_;
  std::unique_ptr<Snapshot> snap_;
};

rte_mempool* ForwarderTest::pool_ = nullptr;
std::array<uint16_t, kNumPorts> ForwarderTest::ports_{};
bool ForwarderTest::ready_ = false;
std::atomic<int> ForwarderTest::seq_{0};

// The harness itself: net_ring loops a port's TX back to its own RX.
TEST_F(ForwarderTest, NetRingTxOfPortAppearsOnItsOwnRx) {
  rte_mbuf* m = vswitch::testing::MbufFromBytes(pool_, UdpFrame(kMacB, kMacA));
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(rte_eth_tx_burst(ports_[kB], 0, &m, 1), 1);
  const auto counts = SentCounts();
  EXPECT_EQ(counts[kB], 1u);
  EXPECT_EQ(counts[kA] + counts[kC] + counts[kD] + counts[kE] + counts[kU], 0u);
}

TEST_F(ForwarderTest, KnownUnicastGoesOnlyToItsPort) {
  Send(kA, {UdpFrame(kMacB, kMacA)});
  const auto counts = SentCounts();
  EXPECT_EQ(counts[kB], 1u);
  EXPECT_EQ(counts[kA] + counts[kC] + counts[kD] + counts[kE] + counts[kU], 0u);
}

TEST_F(ForwarderTest, KnownUnicastArrivesUnchanged) {
  const auto frame = UdpFrame(kMacB, kMacA, 1, 2, 100);
  Send(kA, {frame});
  EXPECT_THAT(Sent(kB), ElementsAre(frame));
}

TEST_F(ForwarderTest, KnownUnicastCountsRxAndTx) {
  const auto frame = UdpFrame(kMacB, kMacA);
  Send(kA, {frame, frame, frame});
  EXPECT_EQ(stats_->ports[ports_[kA]].rx_packets.Load(), 3u);
  EXPECT_EQ(stats_->ports[ports_[kA]].rx_bytes.Load(), 3 * frame.size());
  EXPECT_EQ(stats_->ports[ports_[kB]].tx_packets.Load(), 3u);
  EXPECT_EQ(stats_->ports[ports_[kB]].tx_bytes.Load(), 3 * frame.size());
  EXPECT_EQ(stats_->rx_packets.Load(), 3u);
}

TEST_F(ForwarderTest, UnicastToLearnedMacGoesToItsPort) {
  Send(kA, {UdpFrame(kMacLearned, kMacA)});
  const auto counts = SentCounts();
  EXPECT_EQ(counts[kC], 1u);
  EXPECT_EQ(counts[kA] + counts[kB] + counts[kD] + counts[kE] + counts[kU], 0u);
}

TEST_F(ForwarderTest, UnknownUnicastFloodsToOtherUpPortsOfSameVnet) {
  const auto frame = UdpFrame(kMacUnknown, kMacA);
  Send(kA, {frame});
  EXPECT_THAT(Sent(kB), ElementsAre(frame));
  EXPECT_THAT(Sent(kC), ElementsAre(frame));
  EXPECT_THAT(Sent(kA), IsEmpty());
  EXPECT_THAT(Sent(kD), IsEmpty());
  EXPECT_THAT(Sent(kE), IsEmpty());
  EXPECT_THAT(Sent(kU), IsEmpty());
}

TEST_F(ForwarderTest, BroadcastFloodsToOtherUpPortsOfSameVnet) {
  const auto frame = UdpFrame(kBroadcast, kMacB);
  Send(kB, {frame});
  EXPECT_THAT(Sent(kA), ElementsAre(frame));
  EXPECT_THAT(Sent(kC), ElementsAre(frame));
  EXPECT_THAT(Sent(kB), IsEmpty());
  EXPECT_THAT(Sent(kD), IsEmpty());
  EXPECT_THAT(Sent(kE), IsEmpty());
  EXPECT_THAT(Sent(kU), IsEmpty());
}

TEST_F(ForwarderTest, MulticastDestinationFloodsLikeBroadcast) {
  const Mac mcast = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
  Send(kA, {UdpFrame(mcast, kMacA)});
  const auto counts = SentCounts();
  EXPECT_EQ(counts[kB], 1u);
  EXPECT_EQ(counts[kC], 1u);
  EXPECT_EQ(counts[kA] + counts[kD] + counts[kE] + counts[kU], 0u);
}

TEST_F(ForwarderTest, FloodSharesOneMbufWithOneReferencePerPort) {
  std::vector<std::vector<uint8_t>> burst;
  for (uint16_t i = 0; i < kMaxBurst; ++i) {
    burst.push_back(UdpFrame(kBroadcast, kMacA, i, i));
  }
  Send(kA, burst);
  std::vector<rte_mbuf*> at_b = vswitch::testing::DrainPort(ports_[kB]);
  std::vector<rte_mbuf*> at_c = vswitch::testing::DrainPort(ports_[kC]);
  ASSERT_THAT(at_b, SizeIs(kMaxBurst));
  ASSERT_THAT(at_c, SizeIs(kMaxBurst));
  for (size_t i = 0; i < at_b.size(); ++i) {
    EXPECT_EQ(at_b[i], at_c[i]) << "flood copies a packet instead of sharing it";
    EXPECT_EQ(rte_mbuf_refcnt_read(at_b[i]), 2);
  }
  vswitch::testing::FreeAll(at_b);
  vswitch::testing::FreeAll(at_c);
}

TEST_F(ForwarderTest, BroadcastFromOtherVnetNeverReachesBluePorts) {
  Send(kD, {UdpFrame(kBroadcast, kMacD)});
  const auto counts = SentCounts();
  for (int i = 0; i < kNumPorts; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(counts[i], 0u);
  }
}

TEST_F(ForwarderTest, FloodInVnetWithNoOtherPortDropsAsNoOutputPort) {
  Send(kD, {UdpFrame(kBroadcast, kMacD)});
  EXPECT_EQ(Drops(kD, DropReason::kNoOutputPort), 1u);
}

TEST_F(ForwarderTest, UnicastToMacOfOtherVnetFloodsOnlyInOwnVnet) {
  // kMacD is known, but in red: for blue it is unknown unicast.
  Send(kA, {UdpFrame(kMacD, kMacA)});
  const auto counts = SentCounts();
  EXPECT_EQ(counts[kD], 0u);
  EXPECT_EQ(counts[kB], 1u);
  EXPECT_EQ(counts[kC], 1u);
}

TEST_F(ForwarderTest, FdbEntryPointingIntoOtherVnetDrops) {
  const Mac stray = TestMac(0x55);
  snap_ = MakeSnapshot(NextGeneration(), {{kBlue, stray, ports_[kD], true}});
  ASSERT_NE(snap_, nullptr);
  Send(kA, {UdpFrame(stray, kMacA)});
  const auto counts = SentCounts();
  for (int i = 0; i < kNumPorts; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(counts[i], 0u);
  }
  EXPECT_EQ(Drops(kA, DropReason::kUnknownPort), 1u);
}

TEST_F(ForwarderTest, DestinationOnIngressPortDropsAsSamePort) {
  Send(kA, {UdpFrame(kMacA, kMacB)});
  const auto counts = SentCounts();
  for (int i = 0; i < kNumPorts; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(counts[i], 0u);
  }
  EXPECT_EQ(Drops(kA, DropReason::kSamePort), 1u);
}

TEST_F(ForwarderTest, FrameFromAdminDownPortIsDropped) {
  Send(kE, {UdpFrame(kMacB, kMacE), UdpFrame(kBroadcast, kMacE)});
  const auto counts = SentCounts();
  for (int i = 0; i < kNumPorts; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(counts[i], 0u);
  }
  EXPECT_EQ(Drops(kE, DropReason::kPortAdminDown), 2u);
}

TEST_F(ForwarderTest, UnicastToAdminDownPortIsDropped) {
  Send(kA, {UdpFrame(kMacE, kMacA)});
  EXPECT_EQ(SentCounts()[kE], 0u);
  EXPECT_EQ(Drops(kA, DropReason::kPortAdminDown), 1u);
}

TEST_F(ForwarderTest, NonArpFrameFromUplinkIsNotSwitched) {
  Send(kU, {UdpFrame(kBroadcast, kMacUnknown)});
  const auto counts = SentCounts();
  for (int i = 0; i < kNumPorts; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(counts[i], 0u);
  }
  EXPECT_EQ(Drops(kU, DropReason::kUplinkRx), 1u);
  EXPECT_THAT(ArpFrames(), IsEmpty());
}

TEST_F(ForwarderTest, ArpFromUplinkGoesToArpRingNotToVms) {
  const auto arp = vswitch::testing::FrameBuilder()
                       .Eth(kBroadcast, kMacUnknown)
                       .EtherType(0x0806)
                       .Fill(28, 0x01)
                       .Build();
  Send(kU, {arp});
  std::vector<rte_mbuf*> got = ArpFrames();
  ASSERT_THAT(got, SizeIs(1));
  EXPECT_EQ(MbufBytes(got[0]), arp);
  vswitch::testing::FreeAll(got);
  const auto counts = SentCounts();
  for (int i = 0; i < kNumPorts; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(counts[i], 0u);
  }
  EXPECT_EQ(Drops(kU, DropReason::kUplinkRx), 0u);
}

TEST_F(ForwarderTest, FrameFromPortAbsentFromSnapshotIsDropped) {
  SendOnPortId(kAbsentPort, {UdpFrame(kMacB, kMacA)});
  EXPECT_EQ(SentCounts()[kB], 0u);
  EXPECT_EQ(stats_->ports[kAbsentPort].drops[static_cast<int>(DropReason::kUnknownPort)].Load(),
            1u);
}

TEST_F(ForwarderTest, RuntIsDroppedAndCounted) {
  Send(kA, {std::vector<uint8_t>(13, 0xff)});
  const auto counts = SentCounts();
  for (int i = 0; i < kNumPorts; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(counts[i], 0u);
  }
  EXPECT_EQ(Drops(kA, DropReason::kRunt), 1u);
  EXPECT_EQ(TotalDrops(ports_[kA]), 1u);
}

TEST_F(ForwarderTest, RuntDoesNotStopTheRestOfTheBurst) {
  const auto good = UdpFrame(kMacB, kMacA);
  Send(kA, {good, std::vector<uint8_t>(5, 0), good});
  EXPECT_THAT(Sent(kB), ElementsAre(good, good));
  EXPECT_EQ(Drops(kA, DropReason::kRunt), 1u);
}

// A chain that is not what its header says (net_pcap's RX of a record over
// 65,535 bytes: pkt_len 80,116, segments holding 14,580) is dropped at RX as
// bad_chain before anything walks it; consistent chains around it go on.
TEST_F(ForwarderTest, InconsistentChainIsDroppedAsBadChainRestOfBurstGoes) {
  const auto good = UdpFrame(kMacB, kMacA);
  const auto big = UdpFrame(kMacB, kMacA, 1, 2, 14580 - 42);
  ASSERT_EQ(big.size(), 14580u);
  const std::vector<size_t> cuts = {2048, 2048, 2048, 2048, 2048, 2048, 2048, 244};
  rte_mbuf* pkts[7];
  pkts[0] = vswitch::testing::MbufFromBytes(pool_, good);
  pkts[1] = vswitch::testing::MbufChain(pool_, big, cuts);  // pkt_len beyond its segments.
  pkts[2] = vswitch::testing::MbufChain(pool_, big, cuts);  // Consistent: switched.
  pkts[3] = vswitch::testing::MbufChain(pool_, big, cuts);  // pkt_len short of them.
  pkts[4] = vswitch::testing::MbufChain(pool_, big, cuts);  // nb_segs says more.
  pkts[5] = vswitch::testing::MbufFromBytes(pool_, good);
  pkts[6] = vswitch::testing::MbufFromBytes(pool_, good);  // One segment, pkt_len beyond it.
  for (rte_mbuf* m : pkts) {
    ASSERT_NE(m, nullptr);
  }
  pkts[1]->pkt_len = 80116;
  pkts[3]->pkt_len = 14000;
  pkts[4]->nb_segs = 9;
  pkts[6]->pkt_len = 70000;
  forwarder_->HandleBurst(*snap_, ports_[kA], pkts, 7, 0);
  forwarder_->Flush();
  std::vector<std::vector<uint8_t>> at_b;
  for (rte_mbuf* m : vswitch::testing::DrainPort(ports_[kB])) {
    at_b.push_back(vswitch::testing::ChainBytes(m));
    rte_pktmbuf_free(m);
  }
  EXPECT_THAT(at_b, ElementsAre(good, big, good));
  EXPECT_EQ(Drops(kA, DropReason::kBadChain), 4u);
  EXPECT_EQ(TotalDrops(ports_[kA]), 4u);
  EXPECT_EQ(stats_->ports[ports_[kA]].rx_packets.Load(), 7u);
}

TEST_F(ForwarderTest, InconsistentChainOnUplinkIsNotHandedToTheArpRing) {
  std::vector<uint8_t> padded = vswitch::testing::FrameBuilder()
                                    .Eth(kBroadcast, kMacUnknown)
                                    .EtherType(0x0806)
                                    .Fill(28, 0x01)
                                    .Build();
  padded.resize(3000, 0);
  rte_mbuf* m = vswitch::testing::MbufChain(pool_, padded, {2000, 1000});
  ASSERT_NE(m, nullptr);
  m->pkt_len = 70000;
  forwarder_->HandleBurst(*snap_, ports_[kU], &m, 1, 0);
  forwarder_->Flush();
  EXPECT_THAT(ArpFrames(), IsEmpty());
  EXPECT_EQ(Drops(kU, DropReason::kBadChain), 1u);
  EXPECT_EQ(Drops(kU, DropReason::kUplinkRx), 0u);
}

TEST_F(ForwarderTest, MulticastSourceMacIsDropped) {
  const Mac mcast_src = {0x01, 0x00, 0x00, 0x00, 0x00, 0x01};
  Send(kA, {UdpFrame(kMacB, mcast_src)});
  EXPECT_EQ(SentCounts()[kB], 0u);
  EXPECT_EQ(Drops(kA, DropReason::kBadSrcMac), 1u);
  EXPECT_THAT(LearnEvents(), IsEmpty());
}

TEST_F(ForwarderTest, ZeroSourceMacIsDropped) {
  Send(kA, {UdpFrame(kMacB, Mac{})});
  EXPECT_EQ(SentCounts()[kB], 0u);
  EXPECT_EQ(Drops(kA, DropReason::kBadSrcMac), 1u);
}

TEST_F(ForwarderTest, NewSourceMacEmitsLearnEvent) {
  Send(kA, {UdpFrame(kMacB, kMacNew)});
  const auto events = LearnEvents();
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0].vnet_id, kBlueId);
  EXPECT_EQ(events[0].port, ports_[kA]);
  EXPECT_THAT(events[0].mac, ElementsAreArray(kMacNew));
  EXPECT_EQ(stats_->learn_events.Load(), 1u);
}

TEST_F(ForwarderTest, BurstFromNewSourceEmitsOneLearnEvent) {
  const auto frame = UdpFrame(kMacB, kMacNew);
  Send(kA, {frame, frame, frame, frame});
  EXPECT_THAT(LearnEvents(), SizeIs(1));
}

TEST_F(ForwarderTest, StaticSourceMacEmitsNoLearnEvent) {
  Send(kA, {UdpFrame(kMacB, kMacA)});
  EXPECT_THAT(LearnEvents(), IsEmpty());
}

TEST_F(ForwarderTest, LearnedMacSeenOnOtherPortEmitsLearnEvent) {
  Send(kA, {UdpFrame(kMacB, kMacLearned)});
  const auto events = LearnEvents();
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0].port, ports_[kA]);
  EXPECT_THAT(events[0].mac, ElementsAreArray(kMacLearned));
}

TEST_F(ForwarderTest, LearnedMacOnItsOwnPortIsRefreshedOnlyAfterRefreshInterval) {
  const auto frame = UdpFrame(kMacB, kMacLearned);
  const uint64_t t0 = uint64_t{5} << 24;
  Send(kC, {frame}, t0);
  EXPECT_THAT(LearnEvents(), IsEmpty()) << "first sighting on its own port";
  Send(kC, {frame}, t0 + snap_->learn_refresh_cycles / 2);
  EXPECT_THAT(LearnEvents(), IsEmpty()) << "within the refresh interval";
  // Learn times have a granularity of 2^kLearnTimeShift cycles: go well past.
  Send(kC, {frame}, t0 + 2 * snap_->learn_refresh_cycles);
  const auto events = LearnEvents();
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0].port, ports_[kC]);
}

TEST_F(ForwarderTest, NoLearnEventsWhenMacLearningIsOff) {
  snap_->mac_learning = false;
  Send(kA, {UdpFrame(kMacB, kMacNew), UdpFrame(kMacB, kMacLearned)});
  EXPECT_THAT(LearnEvents(), IsEmpty());
  EXPECT_EQ(SentCounts()[kB], 2u);
}

TEST_F(ForwarderTest, NewGenerationSeesChangedFdbDespiteCachedFlow) {
  const Mac moving = TestMac(0x66);
  snap_ = MakeSnapshot(NextGeneration(), {{kBlue, moving, ports_[kB], true}});
  ASSERT_NE(snap_, nullptr);
  Send(kA, {UdpFrame(moving, kMacA)});
  EXPECT_EQ(SentCounts()[kB], 1u);
  snap_ = MakeSnapshot(NextGeneration(), {{kBlue, moving, ports_[kC], true}});
  ASSERT_NE(snap_, nullptr);
  Send(kA, {UdpFrame(moving, kMacA)});
  const auto counts = SentCounts();
  EXPECT_EQ(counts[kC], 1u);
  EXPECT_EQ(counts[kB], 0u);
}

// A flow cached under generation g1 is checked against the tags of the next
// snapshot, not flushed: here the next FDB says C, and only the tags decide
// whether the cached decision (B) is kept.
class ForwarderCacheTagTest : public ForwarderTest {
 protected:
  // Caches moving -> B under a first snapshot; returns its tag.
  uint64_t CacheFlowToB() {
    snap_ = MakeSnapshot(NextGeneration(), {{kBlue, kMoving, ports_[kB], true}});
    EXPECT_NE(snap_, nullptr);
    Send(kA, {UdpFrame(kMoving, kMacA)});
    EXPECT_EQ(SentCounts()[kB], 1u);
    return snap_->cache_tag;
  }
  // The next snapshot: moving -> C, every part tagged `old` unless changed.
  void MoveToC(uint64_t old) {
    snap_ = MakeSnapshot(NextGeneration(), {{kBlue, kMoving, ports_[kC], true}});
    ASSERT_NE(snap_, nullptr);
    snap_->struct_tag = old;
    snap_->fdb_epoch.fill(old);
  }
  std::array<size_t, kNumPorts> SendAgain() {
    Send(kA, {UdpFrame(kMoving, kMacA)});
    return SentCounts();
  }
  const Mac kMoving = TestMac(0x66);
};

TEST_F(ForwarderCacheTagTest, FlowOfUnchangedPartsStaysCached) {
  MoveToC(CacheFlowToB());
  EXPECT_EQ(SendAgain()[kB], 1u);
}

TEST_F(ForwarderCacheTagTest, FdbChangeInDestinationBucketReachesCachedFlow) {
  MoveToC(CacheFlowToB());
  snap_->fdb_epoch[FdbEpochBucket(kBlue, kMoving.data())] = snap_->cache_tag;
  const auto counts = SendAgain();
  EXPECT_EQ(counts[kC], 1u);
  EXPECT_EQ(counts[kB], 0u);
}

TEST_F(ForwarderCacheTagTest, FdbChangeInSourceBucketReachesCachedFlow) {
  MoveToC(CacheFlowToB());
  snap_->fdb_epoch[FdbEpochBucket(kBlue, kMacA.data())] = snap_->cache_tag;
  EXPECT_EQ(SendAgain()[kC], 1u);
}

TEST_F(ForwarderCacheTagTest, ChangeOutsideTheFdbReachesCachedFlow) {
  MoveToC(CacheFlowToB());
  snap_->struct_tag = snap_->cache_tag;
  EXPECT_EQ(SendAgain()[kC], 1u);
}

// A flow re-validated under g2 takes g2's tag: a g3 whose FDB changed only
// after g2 keeps it, one that changed in between (tag g2) does not.
TEST_F(ForwarderCacheTagTest, RevalidatedFlowTakesTheNewTag) {
  const uint64_t g1 = CacheFlowToB();
  MoveToC(g1);
  const uint64_t g2 = snap_->cache_tag;
  EXPECT_EQ(SendAgain()[kB], 1u);
  MoveToC(g1);
  snap_->fdb_epoch[FdbEpochBucket(kBlue, kMoving.data())] = g2;
  EXPECT_EQ(SendAgain()[kB], 1u);
}

TEST_F(ForwarderTest, CachedFlowKeepsForwardingToSamePort) {
  const auto frame = UdpFrame(kMacB, kMacA);
  for (int i = 0; i < 3; ++i) {
    Send(kA, {frame});
  }
  const auto counts = SentCounts();
  EXPECT_EQ(counts[kB], 3u);
  EXPECT_EQ(counts[kC], 0u);
}

TEST_F(ForwarderTest, TxQueueFullFreesAndCountsUnsentFrames) {
  // net_ring holds about 1k frames; 40 bursts of 32 without draining
  // overflow it.
  std::vector<std::vector<uint8_t>> burst(kMaxBurst, UdpFrame(kMacB, kMacA));
  constexpr uint64_t kBursts = 40;
  for (uint64_t i = 0; i < kBursts; ++i) {
    Send(kA, burst);
  }
  const uint64_t sent = stats_->ports[ports_[kB]].tx_packets.Load();
  const uint64_t full = Drops(kB, DropReason::kTxFull);
  EXPECT_GT(full, 0u);
  EXPECT_EQ(sent + full, kBursts * kMaxBurst);
  EXPECT_EQ(Sent(kB).size(), sent);
}

// A frame longer than the output port takes is dropped before TX and
// counted there; the frames around it in the burst still go (the TAP PMD
// would stop the burst at it: doc/reliability.md).
TEST_F(ForwarderTest, UnicastLongerThanOutputPortTakesIsDroppedAsMtuExceeded) {
  const auto small = UdpFrame(kMacB, kMacA);
  const auto exact = UdpFrame(kMacB, kMacA, 1, 2, 58);  // 100 bytes.
  const auto big = UdpFrame(kMacB, kMacA, 1, 2, 59);
  ASSERT_EQ(exact.size(), 100u);
  snap_->ports[ports_[kB]].max_frame = 100;
  Send(kA, {small, big, exact, big, small});
  EXPECT_THAT(Sent(kB), ElementsAre(small, exact, small));
  EXPECT_EQ(Drops(kB, DropReason::kMtuExceeded), 2u);
  EXPECT_EQ(Drops(kB, DropReason::kTxFull), 0u);
  EXPECT_EQ(TotalDrops(ports_[kA]), 0u);
  EXPECT_EQ(stats_->ports[ports_[kB]].tx_packets.Load(), 3u);
}

TEST_F(ForwarderTest, FloodSkipsOnlyThePortsTheFrameIsTooLongFor) {
  const auto big = UdpFrame(kBroadcast, kMacA, 1, 2, 200);
  snap_->ports[ports_[kB]].max_frame = 100;
  Send(kA, {big});
  EXPECT_THAT(Sent(kB), IsEmpty());
  std::vector<rte_mbuf*> at_c = vswitch::testing::DrainPort(ports_[kC]);
  ASSERT_THAT(at_c, SizeIs(1));
  EXPECT_EQ(MbufBytes(at_c[0]), big);
  EXPECT_EQ(rte_mbuf_refcnt_read(at_c[0]), 1) << "a reference was kept for the skipped port";
  vswitch::testing::FreeAll(at_c);
  EXPECT_EQ(Drops(kB, DropReason::kMtuExceeded), 1u);
  EXPECT_EQ(Drops(kC, DropReason::kMtuExceeded), 0u);
}

TEST_F(ForwarderTest, FloodTooLongForEveryPortIsCountedOnEachNotAsNoOutputPort) {
  snap_->ports[ports_[kB]].max_frame = 100;
  snap_->ports[ports_[kC]].max_frame = 100;
  Send(kA, {UdpFrame(kBroadcast, kMacA, 1, 2, 200)});
  const auto counts = SentCounts();
  EXPECT_EQ(counts[kB] + counts[kC], 0u);
  EXPECT_EQ(Drops(kB, DropReason::kMtuExceeded), 1u);
  EXPECT_EQ(Drops(kC, DropReason::kMtuExceeded), 1u);
  EXPECT_EQ(TotalDrops(ports_[kA]), 0u);
}

TEST_F(ForwarderTest, MixedBurstReturnsEveryMbuf) {
  vswitch::testing::MempoolLeakCheck check(pool_);
  Send(kA, {UdpFrame(kMacB, kMacA), UdpFrame(kBroadcast, kMacA), UdpFrame(kMacUnknown, kMacA),
            UdpFrame(kMacA, kMacB), std::vector<uint8_t>(3, 0), UdpFrame(kMacE, kMacA),
            UdpFrame(kMacB, Mac{}), UdpFrame(kMacLearned, kMacNew)});
  SentCounts();  // Drains and frees.
  EXPECT_EQ(check.Leaked(), 0);
}

// Port security: A is a VM with MAC kMacA and address 10.0.0.1 (UdpFrame's
// default source); it sends only from them.
class ForwarderPortSecurityTest : public ForwarderTest {
 protected:
  static constexpr uint32_t kIpA = 0x0a000001;  // Host order.
  static constexpr uint32_t kIpB = 0x0a000002;

  void SetUp() override {
    ForwarderTest::SetUp();
    Secure(kA, {kMacA}, {kIpA});
  }

  void Secure(int idx, const std::vector<Mac>& macs, const std::vector<uint32_t>& ips) {
    PortInfo& pi = snap_->ports[ports_[idx]];
    PortSecurity& ps = snap_->port_security[ports_[idx]];
    ps = PortSecurity{};
    for (const Mac& m : macs) {
      std::memcpy(ps.macs[ps.n_macs++], m.data(), 6);
    }
    for (uint32_t ip : ips) {
      ps.ips_be[ps.n_ips++] = rte_cpu_to_be_32(ip);
    }
    pi.check_src_mac = !macs.empty();
    pi.check_src_ip = !ips.empty();
  }

  static std::vector<uint8_t> UdpFrom(const Mac& dst, const Mac& src, uint32_t ip) {
    return vswitch::testing::FrameBuilder()
        .Eth(dst, src)
        .EtherType(0x0800)
        .Ipv4({.src = ip, .dst = kIpB})
        .L4Ports(1000, 2000)
        .Fill(22, 0)
        .Build();
  }

  // An Ethernet/IPv4 ARP request from `eth_src` saying sha/spa.
  static std::vector<uint8_t> Arp(const Mac& eth_src, const Mac& sha, uint32_t spa,
                                  uint16_t op = 1) {
    std::vector<uint8_t> f = vswitch::testing::FrameBuilder()
                                 .Eth(kBroadcast, eth_src)
                                 .EtherType(0x0806)
                                 .Build();
    const uint8_t hdr[] = {0, 1, 8, 0, 6, 4, 0, static_cast<uint8_t>(op)};
    f.insert(f.end(), hdr, hdr + sizeof(hdr));
    f.insert(f.end(), sha.begin(), sha.end());
    for (int s = 24; s >= 0; s -= 8) {
      f.push_back(static_cast<uint8_t>(spa >> s));
    }
    f.insert(f.end(), 6, 0);
    for (int s = 24; s >= 0; s -= 8) {
      f.push_back(static_cast<uint8_t>(kIpB >> s));
    }
    return f;
  }
};

TEST_F(ForwarderPortSecurityTest, LegitTrafficPasses) {
  Send(kA, {UdpFrame(kMacB, kMacA), Arp(kMacA, kMacA, kIpA)});
  const auto counts = SentCounts();
  EXPECT_EQ(counts[kB], 2u);  // The unicast and the flooded ARP.
  EXPECT_EQ(counts[kC], 1u);
  EXPECT_EQ(TotalDrops(ports_[kA]), 0u);
}

TEST_F(ForwarderPortSecurityTest, OtherSourceMacIsDroppedAsSpoofedAndNotLearned) {
  // kMacNew: unknown; kMacB: another VM's (static on B); kMacLearned: learned on C.
  Send(kA, {UdpFrame(kMacB, kMacNew), UdpFrame(kMacLearned, kMacB), UdpFrame(kMacB, kMacLearned)});
  const auto counts = SentCounts();
  for (int i = 0; i < kNumPorts; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(counts[i], 0u);
  }
  EXPECT_EQ(Drops(kA, DropReason::kSpoofedSrc), 3u);
  EXPECT_THAT(LearnEvents(), IsEmpty()) << "a spoofed frame must not move a MAC";
}

TEST_F(ForwarderPortSecurityTest, OtherIpv4SourceIsDroppedAsSpoofed) {
  Send(kA, {UdpFrom(kMacB, kMacA, kIpB), UdpFrom(kMacB, kMacA, 0x0a000063)});
  EXPECT_EQ(SentCounts()[kB], 0u);
  EXPECT_EQ(Drops(kA, DropReason::kSpoofedSrc), 2u);
}

TEST_F(ForwarderPortSecurityTest, UnspecifiedIpv4SourcePassesForDhcp) {
  Send(kA, {UdpFrom(kBroadcast, kMacA, 0)});
  EXPECT_EQ(SentCounts()[kB], 1u);
  EXPECT_EQ(Drops(kA, DropReason::kSpoofedSrc), 0u);
}

// The cache key is masked to L2 when no TAP filter needs L3 (the default
// here): a legit flow between the same MACs must not let a spoofed source
// address through on its cache entry.
TEST_F(ForwarderPortSecurityTest, CachedLegitFlowDoesNotCoverOtherSourceAddress) {
  ASSERT_FALSE(snap_->key_l3l4);
  Send(kA, {UdpFrom(kMacB, kMacA, kIpA)});
  Send(kA, {UdpFrom(kMacB, kMacA, kIpB), UdpFrom(kMacB, kMacA, kIpA)});
  EXPECT_EQ(SentCounts()[kB], 2u);
  EXPECT_EQ(Drops(kA, DropReason::kSpoofedSrc), 1u);
}

TEST_F(ForwarderPortSecurityTest, Ipv4WithUnparsableHeaderIsDroppedOnPortWithAddresses) {
  const auto bad_ihl = vswitch::testing::FrameBuilder()
                           .Eth(kMacB, kMacA)
                           .EtherType(0x0800)
                           .Ipv4({.src = kIpA, .ihl = 3})
                           .Fill(20, 0)
                           .Build();
  Send(kA, {bad_ihl});
  EXPECT_EQ(SentCounts()[kB], 0u);
  EXPECT_EQ(Drops(kA, DropReason::kSpoofedSrc), 1u);
}

TEST_F(ForwarderPortSecurityTest, ArpWithOtherSenderIpOrMacIsDropped) {
  Send(kA, {Arp(kMacA, kMacA, kIpB), Arp(kMacA, kMacB, kIpA), Arp(kMacA, kMacA, kIpB, 2)});
  const auto counts = SentCounts();
  EXPECT_EQ(counts[kB] + counts[kC], 0u);
  EXPECT_EQ(Drops(kA, DropReason::kSpoofedSrc), 3u);
}

TEST_F(ForwarderPortSecurityTest, ArpProbeWithUnspecifiedSenderPasses) {
  Send(kA, {Arp(kMacA, kMacA, 0)});
  EXPECT_EQ(SentCounts()[kB], 1u);
}

// ARP frames of one MAC pair share a flow key, but the key holds no sender
// fields: every ARP frame is judged on its own.
TEST_F(ForwarderPortSecurityTest, ArpVerdictIsNotCachedAcrossFramesOfOneKey) {
  Send(kA, {Arp(kMacA, kMacA, kIpA), Arp(kMacA, kMacA, kIpB)});
  Send(kA, {Arp(kMacA, kMacA, kIpB), Arp(kMacA, kMacA, kIpA)});
  EXPECT_EQ(SentCounts()[kB], 2u);
  EXPECT_EQ(Drops(kA, DropReason::kSpoofedSrc), 2u);
}

TEST_F(ForwarderPortSecurityTest, ShortOrNonIpv4ArpIsDropped) {
  auto short_arp = Arp(kMacA, kMacA, kIpA);
  short_arp.resize(14 + 20);
  auto other_proto = Arp(kMacA, kMacA, kIpA);
  other_proto[16] = 0x86;  // ptype 0x86dd.
  other_proto[17] = 0xdd;
  Send(kA, {short_arp, other_proto});
  EXPECT_EQ(SentCounts()[kB], 0u);
  EXPECT_EQ(Drops(kA, DropReason::kSpoofedSrc), 2u);
}

TEST_F(ForwarderPortSecurityTest, ArpBehindVlanTagIsJudgedOnItsSender) {
  auto tagged = [](uint32_t spa) {
    auto f = Arp(kMacA, kMacA, spa);
    const uint8_t tag[] = {0x81, 0x00, 0x00, 0x05};
    f.insert(f.begin() + 12, tag, tag + 4);
    return f;
  };
  Send(kA, {tagged(kIpA), tagged(kIpB)});
  EXPECT_EQ(SentCounts()[kB], 1u);
  EXPECT_EQ(Drops(kA, DropReason::kSpoofedSrc), 1u);
}

TEST_F(ForwarderPortSecurityTest, SecurityOffPassesEverythingAndLearns) {
  Secure(kA, {}, {});
  Send(kA, {UdpFrom(kMacB, kMacNew, kIpB), Arp(kMacA, kMacB, kIpB)});
  EXPECT_EQ(SentCounts()[kB], 2u);
  EXPECT_EQ(TotalDrops(ports_[kA]), 0u);
  EXPECT_THAT(LearnEvents(), SizeIs(1));
}

// A legit flow's decision is cached: its packets pay no check on a cache
// hit. (The allowed set is changed in place, without new tags, only to show
// that the hit path does not look at it.)
TEST_F(ForwarderPortSecurityTest, CachedLegitFlowIsNotCheckedAgain) {
  Send(kA, {UdpFrame(kMacB, kMacA)});
  snap_->port_security[ports_[kA]].n_macs = 0;
  Send(kA, {UdpFrame(kMacB, kMacA)});
  EXPECT_EQ(SentCounts()[kB], 2u);
  EXPECT_EQ(Drops(kA, DropReason::kSpoofedSrc), 0u);
}

TEST_F(ForwarderPortSecurityTest, SecuredPortNeverLearnsOrRefreshes) {
  // C's own MAC is a learned entry: secured, C sends from it but keeps no
  // learning alive (it is the operator's list now, not the FDB's).
  Secure(kC, {kMacLearned}, {});
  const uint64_t t0 = uint64_t{5} << 24;
  Send(kC, {UdpFrame(kMacB, kMacLearned)}, t0);
  Send(kC, {UdpFrame(kMacB, kMacLearned)}, t0 + 4 * snap_->learn_refresh_cycles);
  EXPECT_EQ(SentCounts()[kB], 2u);
  EXPECT_THAT(LearnEvents(), IsEmpty());
}

TEST_F(ForwarderPortSecurityTest, PortWithOnlyAddressesStillLearnsItsMac) {
  Secure(kB, {}, {kIpB});
  Send(kB, {UdpFrom(kMacA, kMacNew, kIpB)});
  EXPECT_EQ(SentCounts()[kA], 1u);
  const auto events = LearnEvents();
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0].port, ports_[kB]);
}

}  // namespace
}  // namespace vswitch::dataplane
