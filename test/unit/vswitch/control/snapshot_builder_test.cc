// SPDX-License-Identifier: Apache-2.0
#include "vswitch/control/snapshot_builder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rte_hash.h>
#include <rte_byteorder.h>
#include <cstdio>

#include <atomic>
#include <cstring>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "absl/strings/str_format.h"
#include "lib/net/ipv4.h"
#include "lib/net/mac_address.h"
#include "lib/status/testing/matchers.h"
#include "vswitch/control/validator.h"

namespace vswitch::control {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using vswitch::testing::IsOk;

// DPDK port ids the fake runtime assigns: deliberately not in config order.
constexpr uint16_t kUplinkPort = 0;
constexpr uint16_t kVm1Port = 3;  // blue, up, MAC ...01
constexpr uint16_t kVm2Port = 1;  // blue, admin down
constexpr uint16_t kVm3Port = 2;  // blue, up
constexpr uint16_t kVm4Port = 4;  // red, up
constexpr uint16_t kAbsentPort = 9;

constexpr char kVm1Mac[] = "02:00:00:00:00:01";
constexpr char kVm4Mac[] = "02:00:00:00:00:04";
constexpr char kStaticMac[] = "02:00:00:00:00:aa";

uint64_t MacU64(const char* s) { return net::ParseMac(s)->ToU64(); }

// Each test builds under its own generation: the FDB's rte_hash is named
// after it and rte names are global to the process.
uint64_t UniqueGeneration() {
  static std::atomic<uint64_t> g{1000};
  return g++;
}

class SnapshotBuilderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto* blue = config_.add_vnets();
    blue->set_id(11);
    blue->set_name("blue");
    blue->set_tenant("t1");
    blue->set_vni(100);
    auto* red = config_.add_vnets();
    red->set_id(22);
    red->set_name("red");
    red->set_tenant("t2");
    red->set_vni(200);

    // The builder takes a validated config: the uplink has its settings.
    auto* up = AddVport("up0", v1::VPORT_KIND_UPLINK, "", kUplinkPort, {})->mutable_uplink();
    up->set_ip_cidr("192.0.2.10/24");
    up->set_gateway("192.0.2.1");
    up->set_mtu(1500);
    AddVport("vm1", v1::VPORT_KIND_VM, "blue", kVm1Port, {kVm1Mac});
    AddVport("vm2", v1::VPORT_KIND_VM, "blue", kVm2Port, {"02:00:00:00:00:02"})
        ->set_admin_state(v1::ADMIN_STATE_DOWN);
    AddVport("vm3", v1::VPORT_KIND_VM, "blue", kVm3Port, {})->set_admin_state(v1::ADMIN_STATE_UP);
    AddVport("vm4", v1::VPORT_KIND_VM, "red", kVm4Port, {kVm4Mac});

    auto* fdb = config_.add_fdb();
    fdb->set_vnet("blue");
    fdb->set_mac(kStaticMac);
    fdb->set_vport("vm3");
  }

  v1::VPort* AddVport(const std::string& name, v1::VPortKind kind, const std::string& vnet,
                      uint16_t port, std::vector<std::string> macs) {
    auto* vp = config_.add_vports();
    vp->set_id(static_cast<uint32_t>(config_.vports_size()));
    vp->set_name(name);
    vp->set_kind(kind);
    vp->set_vnet(vnet);
    vp->set_driver("null");
    for (const auto& m : macs) {
      vp->add_vm_macs(m);
    }
    VportRuntime rt;
    rt.port_id = port;
    rt.queue_worker = {0};
    runtime_[name] = rt;
    return vp;
  }

  absl::StatusOr<std::unique_ptr<const dataplane::Snapshot>> Build(
      uint16_t n_workers = 1, const dataplane::Snapshot* previous = nullptr) {
    SnapshotInputs in;
    in.config = &config_;
    in.runtime = &runtime_;
    in.learned = &learned_;
    in.generation = UniqueGeneration();
    in.n_workers = n_workers;
    in.previous = previous;
    return BuildSnapshot(in);
  }

  static uint32_t BucketOf(uint16_t vnet_index, const char* mac) {
    return dataplane::FdbEpochBucket(vnet_index, net::ParseMac(mac)->bytes.data());
  }

  // The FDB value for (vnet_index, mac), or nullopt.
  static std::optional<uintptr_t> Fdb(const dataplane::Snapshot& s, uint16_t vnet_index,
                                      const char* mac) {
    dataplane::FdbKey key{.vnet_index = vnet_index, .mac = {}};
    std::memcpy(key.mac, net::ParseMac(mac)->bytes.data(), 6);
    void* data = nullptr;
    if (rte_hash_lookup_data(s.fdb, &key, &data) < 0) {
      return std::nullopt;
    }
    return reinterpret_cast<uintptr_t>(data);
  }

  v1::Config config_;
  absl::flat_hash_map<std::string, VportRuntime> runtime_;
  MacTable learned_;
};

constexpr uint16_t kBlue = 0;  // Indexes in config order.
constexpr uint16_t kRed = 1;
const absl::Time kNow = absl::FromUnixSeconds(100);

TEST_F(SnapshotBuilderTest, VmMacsAreStaticFdbEntriesOfTheirPort) {
  auto snap = Build();
  ASSERT_THAT(snap, IsOk());
  EXPECT_EQ(Fdb(**snap, kBlue, kVm1Mac), dataplane::PackFdbValue(kVm1Port, true));
  EXPECT_EQ(Fdb(**snap, kRed, kVm4Mac), dataplane::PackFdbValue(kVm4Port, true));
}

TEST_F(SnapshotBuilderTest, VmMacIsOnlyInItsOwnVnet) {
  auto snap = Build();
  ASSERT_THAT(snap, IsOk());
  EXPECT_EQ(Fdb(**snap, kRed, kVm1Mac), std::nullopt);
  EXPECT_EQ(Fdb(**snap, kBlue, kVm4Mac), std::nullopt);
}

TEST_F(SnapshotBuilderTest, StaticFdbEntriesAreInstalled) {
  auto snap = Build();
  ASSERT_THAT(snap, IsOk());
  EXPECT_EQ(Fdb(**snap, kBlue, kStaticMac), dataplane::PackFdbValue(kVm3Port, true));
}

TEST_F(SnapshotBuilderTest, LearnedEntryIsInstalledAsDynamic) {
  learned_.Learn(22, MacU64("02:00:00:00:00:55"), kVm4Port, kNow);
  auto snap = Build();
  ASSERT_THAT(snap, IsOk());
  EXPECT_EQ(Fdb(**snap, kRed, "02:00:00:00:00:55"), dataplane::PackFdbValue(kVm4Port, false));
}

TEST_F(SnapshotBuilderTest, LearnedEntryNeverOverridesVmMac) {
  learned_.Learn(11, MacU64(kVm1Mac), kVm3Port, kNow);
  auto snap = Build();
  ASSERT_THAT(snap, IsOk());
  EXPECT_EQ(Fdb(**snap, kBlue, kVm1Mac), dataplane::PackFdbValue(kVm1Port, true));
}

TEST_F(SnapshotBuilderTest, LearnedEntryNeverOverridesStaticFdbEntry) {
  learned_.Learn(11, MacU64(kStaticMac), kVm1Port, kNow);
  auto snap = Build();
  ASSERT_THAT(snap, IsOk());
  EXPECT_EQ(Fdb(**snap, kBlue, kStaticMac), dataplane::PackFdbValue(kVm3Port, true));
}

TEST_F(SnapshotBuilderTest, LearnedEntryOnPortOfOtherVnetIsSkipped) {
  learned_.Learn(11, MacU64("02:00:00:00:00:66"), kVm4Port, kNow);  // blue MAC on a red port.
  auto snap = Build();
  ASSERT_THAT(snap, IsOk());
  EXPECT_EQ(Fdb(**snap, kBlue, "02:00:00:00:00:66"), std::nullopt);
  EXPECT_EQ(Fdb(**snap, kRed, "02:00:00:00:00:66"), std::nullopt);
}

TEST_F(SnapshotBuilderTest, LearnedEntryOfUnknownVnetIsSkipped) {
  learned_.Learn(99, MacU64("02:00:00:00:00:67"), kVm1Port, kNow);
  auto snap = Build();
  ASSERT_THAT(snap, IsOk());
  EXPECT_EQ(Fdb(**snap, kBlue, "02:00:00:00:00:67"), std::nullopt);
}

TEST_F(SnapshotBuilderTest, LearnedEntryOnAbsentPortIsSkipped) {
  learned_.Learn(11, MacU64("02:00:00:00:00:68"), kAbsentPort, kNow);
  auto snap = Build();
  ASSERT_THAT(snap, IsOk());
  EXPECT_EQ(Fdb(**snap, kBlue, "02:00:00:00:00:68"), std::nullopt);
}

TEST_F(SnapshotBuilderTest, FloodPortsHoldOnlyAdminUpPortsOfTheVnet) {
  auto snap = Build();
  ASSERT_THAT(snap, IsOk());
  ASSERT_EQ((*snap)->vnets.size(), 2u);
  EXPECT_THAT((*snap)->vnets[kBlue].flood_ports, UnorderedElementsAre(kVm1Port, kVm3Port));
  EXPECT_THAT((*snap)->vnets[kRed].flood_ports, ElementsAre(kVm4Port));
}

// snapshot.h documents VnetInfo::flood_ports as "in port-id order".
TEST_F(SnapshotBuilderTest, FloodPortsAreInPortIdOrder) {
  auto snap = Build();
  ASSERT_THAT(snap, IsOk());
  EXPECT_THAT((*snap)->vnets[kBlue].flood_ports, ElementsAre(kVm3Port, kVm1Port));
}

TEST_F(SnapshotBuilderTest, VnetWithAllPortsDownHasEmptyFloodSet) {
  config_.mutable_vports(4)->set_admin_state(v1::ADMIN_STATE_DOWN);  // vm4
  auto snap = Build();
  ASSERT_THAT(snap, IsOk());
  EXPECT_THAT((*snap)->vnets[kRed].flood_ports, IsEmpty());
}

TEST_F(SnapshotBuilderTest, VnetsCarryIdAndVni) {
  auto snap = Build();
  ASSERT_THAT(snap, IsOk());
  EXPECT_EQ((*snap)->vnets[kBlue].id, 11u);
  EXPECT_EQ((*snap)->vnets[kBlue].vni, 100u);
  EXPECT_EQ((*snap)->vnets[kRed].id, 22u);
  EXPECT_EQ((*snap)->vnets[kRed].vni, 200u);
}

TEST_F(SnapshotBuilderTest, PortsCarryStateAndVnet) {
  auto snap = Build();
  ASSERT_THAT(snap, IsOk());
  const auto& ports = (*snap)->ports;
  EXPECT_TRUE(ports[kVm1Port].present);
  EXPECT_TRUE(ports[kVm1Port].admin_up);
  EXPECT_FALSE(ports[kVm1Port].is_uplink);
  EXPECT_EQ(ports[kVm1Port].vnet_index, kBlue);
  EXPECT_EQ(ports[kVm1Port].vport_id, 2u);
  EXPECT_TRUE(ports[kVm2Port].present);
  EXPECT_FALSE(ports[kVm2Port].admin_up);
  EXPECT_EQ(ports[kVm4Port].vnet_index, kRed);
  EXPECT_TRUE(ports[kUplinkPort].present);
  EXPECT_TRUE(ports[kUplinkPort].is_uplink);
  EXPECT_EQ(ports[kUplinkPort].vnet_index, dataplane::kNoVnet);
  EXPECT_FALSE(ports[kAbsentPort].present);
}

TEST_F(SnapshotBuilderTest, RxQueuesAreAssignedPerWorker) {
  runtime_["vm1"].queue_worker = {0, 1};
  runtime_["vm4"].queue_worker = {1};
  auto snap = Build(/*n_workers=*/2);
  ASSERT_THAT(snap, IsOk());
  const auto& rxq = (*snap)->rx_queues;
  ASSERT_EQ(rxq.size(), 2u);
  auto has = [](const std::vector<dataplane::RxQueue>& v, uint16_t port, uint16_t queue) {
    for (const auto& q : v) {
      if (q.port == port && q.queue == queue) {
        return true;
      }
    }
    return false;
  };
  EXPECT_TRUE(has(rxq[0], kVm1Port, 0));
  EXPECT_TRUE(has(rxq[1], kVm1Port, 1));
  EXPECT_FALSE(has(rxq[0], kVm1Port, 1));
  EXPECT_TRUE(has(rxq[1], kVm4Port, 0));
  EXPECT_FALSE(has(rxq[0], kVm4Port, 0));
  EXPECT_TRUE(has(rxq[0], kVm3Port, 0));
  EXPECT_EQ(rxq[0].size() + rxq[1].size(), 6u);  // Five vports, vm1 with two queues.
}

TEST_F(SnapshotBuilderTest, GenerationAndLearningOptionsAreCopied) {
  SnapshotInputs in;
  in.config = &config_;
  in.runtime = &runtime_;
  in.learned = &learned_;
  in.generation = UniqueGeneration();
  in.mac_learning = false;
  in.learn_refresh_cycles = 12345;
  auto snap = BuildSnapshot(in);
  ASSERT_THAT(snap, IsOk());
  EXPECT_EQ((*snap)->generation, in.generation);
  EXPECT_FALSE((*snap)->mac_learning);
  EXPECT_EQ((*snap)->learn_refresh_cycles, 12345u);
}

TEST_F(SnapshotBuilderTest, CacheTagIsTheGeneration) {
  auto snap = Build();
  ASSERT_THAT(snap, IsOk());
  EXPECT_EQ((*snap)->cache_tag, (*snap)->generation);
}

// The flow cache treats tag 0 as "empty entry".
TEST_F(SnapshotBuilderTest, CacheTagIsNeverZero) {
  SnapshotInputs in;
  in.config = &config_;
  in.runtime = &runtime_;
  in.learned = &learned_;
  in.generation = 0;
  auto snap = BuildSnapshot(in);
  ASSERT_THAT(snap, IsOk());
  EXPECT_NE((*snap)->cache_tag, 0u);
}

TEST_F(SnapshotBuilderTest, FirstSnapshotTagsEverythingWithItsOwnTag) {
  auto snap = Build();
  ASSERT_THAT(snap, IsOk());
  EXPECT_EQ((*snap)->struct_tag, (*snap)->cache_tag);
  for (uint64_t e : (*snap)->fdb_epoch) {
    EXPECT_EQ(e, (*snap)->cache_tag);
  }
}

TEST_F(SnapshotBuilderTest, UnchangedRebuildKeepsEveryTag) {
  auto a = Build();
  ASSERT_THAT(a, IsOk());
  auto b = Build(1, a->get());
  ASSERT_THAT(b, IsOk());
  EXPECT_GT((*b)->cache_tag, (*a)->cache_tag);
  EXPECT_EQ((*b)->struct_tag, (*a)->struct_tag);
  EXPECT_EQ((*b)->fdb_epoch, (*a)->fdb_epoch);
}

// FDB churn must not flush cached flows of other MACs: only the bucket of
// the changed (VNet, MAC) takes the new tag.
TEST_F(SnapshotBuilderTest, FdbChangeRetagsOnlyItsBucket) {
  auto a = Build();
  ASSERT_THAT(a, IsOk());
  constexpr char kNew[] = "02:00:00:01:07:03";
  auto* fdb = config_.add_fdb();
  fdb->set_vnet("blue");
  fdb->set_mac(kNew);
  fdb->set_vport("vm1");
  auto b = Build(1, a->get());
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ((*b)->struct_tag, (*a)->struct_tag);
  const uint32_t changed = BucketOf(kBlue, kNew);
  for (uint32_t i = 0; i < dataplane::kFdbEpochBuckets; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ((*b)->fdb_epoch[i], i == changed ? (*b)->cache_tag : (*a)->fdb_epoch[i]);
  }
  // Removing it again is a change too.
  config_.mutable_fdb()->RemoveLast();
  auto c = Build(1, b->get());
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ((*c)->fdb_epoch[changed], (*c)->cache_tag);
  EXPECT_EQ((*c)->struct_tag, (*a)->struct_tag);
}

TEST_F(SnapshotBuilderTest, LearnedMacMovingPortRetagsItsBucket) {
  learned_.Learn(11, MacU64("02:00:00:00:00:33"), kVm3Port, kNow);
  auto a = Build();
  ASSERT_THAT(a, IsOk());
  learned_.Learn(11, MacU64("02:00:00:00:00:33"), kVm1Port, kNow);
  auto b = Build(1, a->get());
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ((*b)->fdb_epoch[BucketOf(kBlue, "02:00:00:00:00:33")], (*b)->cache_tag);
  EXPECT_EQ((*b)->struct_tag, (*a)->struct_tag);
}

TEST_F(SnapshotBuilderTest, PortChangeRetagsEveryFlow) {
  auto a = Build();
  ASSERT_THAT(a, IsOk());
  config_.mutable_vports(3)->set_admin_state(v1::ADMIN_STATE_DOWN);  // vm3
  auto b = Build(1, a->get());
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ((*b)->struct_tag, (*b)->cache_tag);
}

TEST_F(SnapshotBuilderTest, PortSecurityCarriesTheVportsMacsAndAddresses) {
  config_.mutable_vports(1)->add_ips("10.1.0.1");  // vm1
  config_.mutable_vports(1)->add_ips("10.1.0.2");
  auto snap = Build();
  ASSERT_THAT(snap, IsOk());
  const dataplane::PortInfo& pi = (*snap)->ports[kVm1Port];
  EXPECT_TRUE(pi.check_src_mac);
  EXPECT_TRUE(pi.check_src_ip);
  const dataplane::PortSecurity& ps = (*snap)->port_security[kVm1Port];
  ASSERT_EQ(ps.n_macs, 1);
  EXPECT_TRUE(ps.HasMac(net::ParseMac(kVm1Mac)->bytes.data()));
  ASSERT_EQ(ps.n_ips, 2);
  EXPECT_EQ(ps.ips_be[0], rte_cpu_to_be_32(0x0a010001));
  EXPECT_EQ(ps.ips_be[1], rte_cpu_to_be_32(0x0a010002));
  // vm4: MACs only; vm3: neither (learns); the uplink: never.
  EXPECT_TRUE((*snap)->ports[kVm4Port].check_src_mac);
  EXPECT_FALSE((*snap)->ports[kVm4Port].check_src_ip);
  EXPECT_FALSE((*snap)->ports[kVm3Port].check_src_mac || (*snap)->ports[kVm3Port].check_src_ip);
  EXPECT_FALSE((*snap)->ports[kUplinkPort].check_src_mac);
}

TEST_F(SnapshotBuilderTest, PortSecurityOffChecksNothingButKeepsVmMacsStatic) {
  config_.mutable_vports(1)->add_ips("10.1.0.1");
  config_.mutable_vports(1)->set_port_security_disabled(true);
  auto snap = Build();
  ASSERT_THAT(snap, IsOk());
  EXPECT_FALSE((*snap)->ports[kVm1Port].check_src_mac);
  EXPECT_FALSE((*snap)->ports[kVm1Port].check_src_ip);
  EXPECT_EQ((*snap)->port_security[kVm1Port].n_macs, 0);
  auto v = Fdb(**snap, kBlue, kVm1Mac);
  ASSERT_TRUE(v.has_value());
  EXPECT_TRUE(dataplane::FdbIsStatic(*v));
}

// Cached spoofed_src verdicts depend on the allowed sets.
TEST_F(SnapshotBuilderTest, AddressChangeRetagsEveryFlow) {
  config_.mutable_vports(1)->add_ips("10.1.0.1");
  auto a = Build();
  ASSERT_THAT(a, IsOk());
  config_.mutable_vports(1)->set_ips(0, "10.1.0.9");
  auto b = Build(1, a->get());
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ((*b)->struct_tag, (*b)->cache_tag);
  config_.mutable_vports(1)->set_port_security_disabled(true);
  auto c = Build(1, b->get());
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ((*c)->struct_tag, (*c)->cache_tag);
}

TEST_F(SnapshotBuilderTest, ManyLearnedEntriesFitTheTable) {
  for (uint64_t i = 0; i < 5000; ++i) {
    learned_.Learn(11, 0x020000100000 + i, kVm3Port, kNow);
  }
  auto snap = Build();
  ASSERT_THAT(snap, IsOk());
  EXPECT_EQ(rte_hash_count((*snap)->fdb), 5000 + 4);  // + vm1, vm2, vm4 MACs, static.
}


// ------------------------------------------------------------- overlay

class SnapshotOverlayTest : public SnapshotBuilderTest {
 protected:
  void SetUp() override {
    SnapshotBuilderTest::SetUp();
    config_.mutable_vports(1)->add_ips("10.1.0.1");  // vm1
    config_.mutable_vports(3)->add_ips("10.1.0.3");  // vm3: no vm_macs, not in arp_table
    AddRemote("blue", kRemoteA, "192.0.2.20", {"10.1.0.20", "10.1.0.21"});
    AddRemote("blue", kRemoteB, "198.51.100.7", {});
    AddRemote("red", kRemoteA, "192.0.2.20", {"10.1.0.20"});  // Same MAC and IP, other VNet.
    slots_[*net::ParseIpv4("192.0.2.20")] = 2;
    slots_[*net::ParseIpv4("198.51.100.7")] = 0;
    neighbors_[*net::ParseIpv4("192.0.2.20")] = {2, 0, 0, 0, 0, 0x20};
  }

  void AddRemote(const std::string& vnet, const char* mac, const std::string& vtep,
                 std::vector<std::string> ips) {
    auto* r = config_.add_remote_ports();
    r->set_vnet(vnet);
    r->set_mac(mac);
    r->set_vtep(vtep);
    for (const auto& ip : ips) {
      r->add_ips(ip);
    }
  }

  absl::StatusOr<std::unique_ptr<const dataplane::Snapshot>> BuildOverlay(
      const dataplane::Snapshot* previous = nullptr) {
    SnapshotInputs in;
    in.config = &config_;
    in.runtime = &runtime_;
    in.learned = &learned_;
    in.generation = UniqueGeneration();
    in.previous = previous;
    in.neighbors = &neighbors_;
    in.vtep_slots = &slots_;
    return BuildSnapshot(in);
  }

  static std::optional<uintptr_t> Lookup(const rte_hash* h, const void* key) {
    void* data = nullptr;
    if (h == nullptr || rte_hash_lookup_data(h, key, &data) < 0) {
      return std::nullopt;
    }
    return reinterpret_cast<uintptr_t>(data);
  }
  static std::optional<std::string> Arp(const dataplane::Snapshot& s, uint16_t vnet,
                                        const char* ip) {
    const dataplane::ArpKey key{.vnet_index = vnet, .pad = 0,
                                .ip_be = rte_cpu_to_be_32(*net::ParseIpv4(ip))};
    auto v = Lookup(s.arp_table, &key);
    if (!v.has_value()) {
      return std::nullopt;
    }
    uint8_t mac[6];
    dataplane::UnpackMac(*v, mac);
    return net::FormatMac(mac);
  }

  static constexpr char kRemoteA[] = "02:00:00:00:0a:01";
  static constexpr char kRemoteB[] = "02:00:00:00:0b:01";
  VtepSlotMap slots_;
  NeighborMap neighbors_;
};

TEST_F(SnapshotOverlayTest, RemotePortsAreStaticRemoteFdbEntriesOfTheirVtep) {
  auto snap = BuildOverlay();
  ASSERT_THAT(snap, IsOk());
  EXPECT_EQ(Fdb(**snap, kBlue, kRemoteA), dataplane::PackFdbRemote(2));
  EXPECT_EQ(Fdb(**snap, kBlue, kRemoteB), dataplane::PackFdbRemote(0));
  EXPECT_EQ(Fdb(**snap, kRed, kRemoteA), dataplane::PackFdbRemote(2));
  EXPECT_EQ(Fdb(**snap, kRed, kRemoteB), std::nullopt);
  const uintptr_t v = *Fdb(**snap, kBlue, kRemoteA);
  EXPECT_TRUE(dataplane::FdbIsRemote(v));
  EXPECT_TRUE(dataplane::FdbIsStatic(v));
  EXPECT_EQ(dataplane::FdbVtep(v), 2);
  EXPECT_FALSE(dataplane::FdbIsRemote(*Fdb(**snap, kBlue, kVm1Mac)));
}

TEST_F(SnapshotOverlayTest, RemotePortWinsOverLearnedEntry) {
  learned_.Learn(11, MacU64(kRemoteB), kVm1Port, kNow);
  auto snap = BuildOverlay();
  ASSERT_THAT(snap, IsOk());
  EXPECT_EQ(Fdb(**snap, kBlue, kRemoteB), dataplane::PackFdbRemote(0));
}

TEST_F(SnapshotOverlayTest, VtepsByStableSlotWithNextHops) {
  neighbors_[*net::ParseIpv4("192.0.2.1")] = {2, 0, 0, 0, 0, 0x01};  // The gateway.
  auto snap = BuildOverlay();
  ASSERT_THAT(snap, IsOk());
  const auto& vteps = (*snap)->vteps;
  ASSERT_EQ(vteps.size(), 3u);  // Max slot + 1; slot 1 is a hole.
  EXPECT_EQ(vteps[1].ip_be, 0u);
  EXPECT_EQ(vteps[2].ip_be, rte_cpu_to_be_32(*net::ParseIpv4("192.0.2.20")));
  EXPECT_TRUE(vteps[2].resolved);  // On the link: its own ARP entry.
  EXPECT_EQ(net::FormatMac(vteps[2].next_hop_mac), "02:00:00:00:00:20");
  EXPECT_EQ(vteps[0].ip_be, rte_cpu_to_be_32(*net::ParseIpv4("198.51.100.7")));
  EXPECT_TRUE(vteps[0].resolved);  // Off the link: the gateway's.
  EXPECT_EQ(net::FormatMac(vteps[0].next_hop_mac), "02:00:00:00:00:01");

  neighbors_.clear();
  snap = BuildOverlay();
  ASSERT_THAT(snap, IsOk());
  EXPECT_FALSE((*snap)->vteps[0].resolved);
  EXPECT_FALSE((*snap)->vteps[2].resolved);
}

TEST_F(SnapshotOverlayTest, VtepByIpAndVnetByVni) {
  auto snap = BuildOverlay();
  ASSERT_THAT(snap, IsOk());
  const uint32_t a = rte_cpu_to_be_32(*net::ParseIpv4("192.0.2.20"));
  const uint32_t b = rte_cpu_to_be_32(*net::ParseIpv4("198.51.100.7"));
  const uint32_t none = rte_cpu_to_be_32(*net::ParseIpv4("192.0.2.99"));
  EXPECT_EQ(Lookup((*snap)->vtep_by_ip, &a), 2u);
  EXPECT_EQ(Lookup((*snap)->vtep_by_ip, &b), 0u);
  EXPECT_EQ(Lookup((*snap)->vtep_by_ip, &none), std::nullopt);
  const uint32_t vni_blue = 100, vni_red = 200, vni_none = 300;
  EXPECT_EQ(Lookup((*snap)->vnet_by_vni, &vni_blue), kBlue);
  EXPECT_EQ(Lookup((*snap)->vnet_by_vni, &vni_red), kRed);
  EXPECT_EQ(Lookup((*snap)->vnet_by_vni, &vni_none), std::nullopt);
}

TEST_F(SnapshotOverlayTest, ArpTableHasLocalAndRemoteAddressesPerVnet) {
  auto snap = BuildOverlay();
  ASSERT_THAT(snap, IsOk());
  EXPECT_EQ(Arp(**snap, kBlue, "10.1.0.1"), kVm1Mac);
  EXPECT_EQ(Arp(**snap, kBlue, "10.1.0.3"), std::nullopt);  // vm3 has no vm_macs.
  EXPECT_EQ(Arp(**snap, kBlue, "10.1.0.20"), kRemoteA);
  EXPECT_EQ(Arp(**snap, kBlue, "10.1.0.21"), kRemoteA);
  EXPECT_EQ(Arp(**snap, kRed, "10.1.0.20"), kRemoteA);
  EXPECT_EQ(Arp(**snap, kRed, "10.1.0.1"), std::nullopt);
}

TEST_F(SnapshotOverlayTest, FloodVtepsAndArpSuppressionPerVnet) {
  AddRemote("blue", "02:00:00:00:0a:02", "192.0.2.20", {});  // A second port of slot 2.
  config_.mutable_vnets(1)->set_arp_suppression_disabled(true);
  auto snap = BuildOverlay();
  ASSERT_THAT(snap, IsOk());
  EXPECT_THAT((*snap)->vnets[kBlue].flood_vteps, ElementsAre(0, 2));
  EXPECT_THAT((*snap)->vnets[kRed].flood_vteps, ElementsAre(2));
  EXPECT_TRUE((*snap)->vnets[kBlue].arp_suppression);
  EXPECT_FALSE((*snap)->vnets[kRed].arp_suppression);
}

TEST_F(SnapshotOverlayTest, NoOverlayTablesWhenEmpty) {
  config_.clear_remote_ports();
  config_.mutable_vports(1)->clear_ips();
  config_.mutable_vports(3)->clear_ips();
  slots_.clear();
  auto snap = BuildOverlay();
  ASSERT_THAT(snap, IsOk());
  EXPECT_TRUE((*snap)->vteps.empty());
  EXPECT_EQ((*snap)->vtep_by_ip, nullptr);
  EXPECT_EQ((*snap)->arp_table, nullptr);
  EXPECT_NE((*snap)->vnet_by_vni, nullptr);
  EXPECT_THAT((*snap)->vnets[kBlue].flood_vteps, IsEmpty());
}

TEST_F(SnapshotOverlayTest, MovingARemotePortInvalidatesOnlyItsBucket) {
  auto a = BuildOverlay();
  ASSERT_THAT(a, IsOk());
  // kRemoteB moves to the VTEP of slot 2 (which already floods blue); slot
  // 0 keeps a port, now in red.
  config_.mutable_remote_ports(1)->set_vtep("192.0.2.20");
  AddRemote("red", "02:00:00:00:0c:01", "198.51.100.7", {});
  auto b = BuildOverlay(a->get());
  ASSERT_THAT(b, IsOk());
  const uint32_t moved = BucketOf(kBlue, kRemoteB);
  const uint32_t added = BucketOf(kRed, "02:00:00:00:0c:01");
  EXPECT_EQ((*b)->fdb_epoch[moved], (*b)->cache_tag);
  EXPECT_EQ((*b)->fdb_epoch[added], (*b)->cache_tag);
  for (uint32_t i = 0; i < dataplane::kFdbEpochBuckets; ++i) {
    if (i != moved && i != added) {
      EXPECT_EQ((*b)->fdb_epoch[i], (*a)->fdb_epoch[i]) << i;
    }
  }
  // flood_vteps changed (blue lost slot 0, red gained it): structural.
  EXPECT_EQ((*b)->struct_tag, (*b)->cache_tag);
}

TEST_F(SnapshotOverlayTest, SameOverlayKeepsTags) {
  auto a = BuildOverlay();
  ASSERT_THAT(a, IsOk());
  auto b = BuildOverlay(a->get());
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ((*b)->struct_tag, (*a)->struct_tag);
  EXPECT_EQ((*b)->fdb_epoch, (*a)->fdb_epoch);
}

TEST_F(SnapshotOverlayTest, VtepResolutionIsStructural) {
  auto a = BuildOverlay();
  ASSERT_THAT(a, IsOk());
  neighbors_.clear();
  auto b = BuildOverlay(a->get());
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ((*b)->struct_tag, (*b)->cache_tag);
}

TEST_F(SnapshotOverlayTest, ArpChangeInvalidatesTheVnetsBroadcastBucketOnly) {
  auto a = BuildOverlay();
  ASSERT_THAT(a, IsOk());
  config_.mutable_remote_ports(1)->add_ips("10.1.0.30");  // kRemoteB in blue
  auto b = BuildOverlay(a->get());
  ASSERT_THAT(b, IsOk());
  const uint32_t bcast = BucketOf(kBlue, "ff:ff:ff:ff:ff:ff");
  EXPECT_EQ((*b)->fdb_epoch[bcast], (*b)->cache_tag);
  EXPECT_EQ((*b)->fdb_epoch[BucketOf(kRed, "ff:ff:ff:ff:ff:ff")],
            (*a)->fdb_epoch[BucketOf(kRed, "ff:ff:ff:ff:ff:ff")]);
  EXPECT_EQ((*b)->struct_tag, (*a)->struct_tag);
  EXPECT_EQ(Arp(**b, kBlue, "10.1.0.30"), kRemoteB);
}

TEST_F(SnapshotOverlayTest, AssignVtepSlotsKeepsAndReuses) {
  VtepSlotMap prev{{*net::ParseIpv4("192.0.2.20"), 2}, {*net::ParseIpv4("192.0.2.99"), 0}};
  std::vector<uint16_t> fresh;
  auto s = AssignVtepSlots(config_, prev, &fresh);
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->size(), 2u);
  EXPECT_EQ(s->at(*net::ParseIpv4("192.0.2.20")), 2);    // Kept.
  EXPECT_EQ(s->at(*net::ParseIpv4("198.51.100.7")), 0);  // .99 left: its slot is reused.
  EXPECT_THAT(fresh, ElementsAre(0));
}

// P14's table size: 100k remote ports over 1,000 VTEPs in 10 VNets, one
// address each. Reports the build time (a commit of such a config pays it).
TEST_F(SnapshotOverlayTest, BuildsWith100kRemotePorts) {
  config_.clear_remote_ports();
  for (int v = 0; v < 10; ++v) {
    auto* vn = config_.add_vnets();
    vn->set_id(100 + v);
    vn->set_name(absl::StrFormat("big%d", v));
    vn->set_tenant("t");
    vn->set_vni(1000 + v);
  }
  constexpr int kPorts = 100000;
  for (int i = 0; i < kPorts; ++i) {
    auto* r = config_.add_remote_ports();
    r->set_vnet(absl::StrFormat("big%d", i % 10));
    r->set_mac(absl::StrFormat("02:01:%02x:%02x:%02x:%02x", (i >> 24) & 0xff, (i >> 16) & 0xff,
                               (i >> 8) & 0xff, i & 0xff));
    r->set_vtep(absl::StrFormat("10.200.%d.%d", (i % 1000) / 250, (i % 1000) % 250 + 1));
    r->add_ips(absl::StrFormat("10.%d.%d.%d", 50 + (i >> 16), (i >> 8) & 0xff, i & 0xff));
  }
  std::vector<uint16_t> fresh;
  auto slots = AssignVtepSlots(config_, {}, &fresh);
  ASSERT_THAT(slots, IsOk());
  slots_ = *slots;
  ASSERT_EQ(slots_.size(), 1000u);
  auto a = BuildOverlay();  // Warm-up (page faults of the first big tables).
  ASSERT_THAT(a, IsOk());
  const absl::Time start = absl::Now();
  auto b = BuildOverlay(a->get());
  const absl::Duration took = absl::Now() - start;
  ASSERT_THAT(b, IsOk());
  std::printf("BuildSnapshot with %d remote ports, 1000 VTEPs: %.1f ms\n", kPorts,
              absl::ToDoubleMilliseconds(took));
  // The rest of a commit's cost: the whole-config validation.
  const absl::Time vstart = absl::Now();
  const absl::Status valid = ValidateConfig(config_);
  std::printf("ValidateConfig with %d remote ports: %.1f ms\n", kPorts,
              absl::ToDoubleMilliseconds(absl::Now() - vstart));
  EXPECT_THAT(valid, IsOk());
  EXPECT_EQ(rte_hash_count((*b)->fdb), static_cast<int32_t>(kPorts + 4));
  EXPECT_EQ(rte_hash_count((*b)->arp_table), kPorts + 1);
  EXPECT_EQ((*b)->vnets[2].flood_vteps.size(), 100u);
  EXPECT_EQ((*b)->struct_tag, (*a)->struct_tag);
  EXPECT_EQ((*b)->fdb_epoch, (*a)->fdb_epoch);
  // Generous: a loaded 2-core box. The number is printed above.
  EXPECT_LT(took, absl::Seconds(2));
}

}  // namespace
}  // namespace vswitch::control
