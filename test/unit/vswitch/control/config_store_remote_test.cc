// SPDX-License-Identifier: Apache-2.0
//
// ConfigStore's remote ports on a real store: real snapshots published
// through a real SnapshotPublisher, a real (net_null) uplink device, the
// config file written and restored.
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rte_byteorder.h>
#include <rte_hash.h>
#include <rte_mbuf.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/str_format.h"
#include "lib/net/ipv4.h"
#include "lib/net/mac_address.h"
#include "lib/status/testing/matchers.h"
#include "vswitch/control/config_file.h"
#include "vswitch/control/config_store.h"
#include "vswitch/dataplane/lcore_stats.h"

namespace vswitch::control {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using vswitch::testing::IsOk;
using vswitch::testing::StatusIs;

rte_mempool* Pool() {
  static rte_mempool* pool =
      rte_pktmbuf_pool_create("csr_pool", 2047, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  return pool;
}

v1::RemotePort Remote(const std::string& vnet, const std::string& mac, const std::string& vtep,
                      std::vector<std::string> ips = {}) {
  v1::RemotePort rp;
  rp.set_vnet(vnet);
  rp.set_mac(mac);
  rp.set_vtep(vtep);
  for (const auto& ip : ips) {
    rp.add_ips(ip);
  }
  return rp;
}

class ConfigStoreRemoteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> n{0};
    path_ = absl::StrFormat("/tmp/vswitch_csr_%d_%d.conf", getpid(), n++);
    std::remove(path_.c_str());
    store_ = MakeStore();
    ASSERT_THAT(store_->Start(), IsOk());
    v1::VNet blue;
    blue.set_name("blue");
    blue.set_tenant("t1");
    blue.set_vni(100);
    blue.add_prefixes("10.1.0.0/24");
    ASSERT_THAT(store_->CreateVNet(blue).status(), IsOk());
    v1::VNet red = blue;
    red.set_name("red");
    red.set_vni(200);
    red.set_arp_suppression_disabled(true);
    ASSERT_THAT(store_->CreateVNet(red).status(), IsOk());
  }
  void TearDown() override {
    store_->Shutdown();
    std::remove(path_.c_str());
  }

  std::unique_ptr<ConfigStore> MakeStore() {
    auto pub = SnapshotPublisher::Create(1);
    EXPECT_THAT(pub.status(), IsOk());
    publishers_.push_back(std::move(*pub));
    lcores_.push_back(std::make_unique<dataplane::LcoreStats>());
    stats_.push_back(std::make_unique<StatsCollector>(
        std::vector<const dataplane::LcoreStats*>{lcores_.back().get()},
        std::vector<WorkerRef>{{1, "forwarding"}}));
    ports_.push_back(std::make_unique<PortManager>(Pool()));
    return std::make_unique<ConfigStore>(
        ConfigStoreOptions{.n_workers = 1, .pool = nullptr, .config_path = path_, .capture_dir = "/tmp"},
        publishers_.back().get(), ports_.back().get(), stats_.back().get());
  }

  void AddUplink() {
    v1::VPort up;
    up.set_name("up0");
    up.set_kind(v1::VPORT_KIND_UPLINK);
    up.set_driver("null");
    up.mutable_uplink()->set_ip_cidr("192.0.2.10/24");
    up.mutable_uplink()->set_gateway("192.0.2.1");
    ASSERT_THAT(store_->AddVPort(up).status(), IsOk());
  }

  const dataplane::Snapshot& Snap() { return *publishers_.back()->slot().Current(); }

  // The published VTEP index of `ip`, or -1.
  int SlotOf(const std::string& ip) {
    const dataplane::Snapshot& s = Snap();
    if (s.vtep_by_ip == nullptr) {
      return -1;
    }
    const uint32_t key = rte_cpu_to_be_32(*net::ParseIpv4(ip));
    void* data = nullptr;
    if (rte_hash_lookup_data(s.vtep_by_ip, &key, &data) < 0) {
      return -1;
    }
    return static_cast<int>(reinterpret_cast<uintptr_t>(data));
  }

  const v1::VtepStats* FindVtep(const v1::Stats& st, const std::string& ip) {
    for (const auto& v : st.vteps()) {
      if (v.ip() == ip) {
        return &v;
      }
    }
    return nullptr;
  }

  std::string path_;
  std::vector<std::unique_ptr<SnapshotPublisher>> publishers_;
  std::vector<std::unique_ptr<dataplane::LcoreStats>> lcores_;
  std::vector<std::unique_ptr<StatsCollector>> stats_;
  std::vector<std::unique_ptr<PortManager>> ports_;
  std::unique_ptr<ConfigStore> store_;
};

TEST_F(ConfigStoreRemoteTest, AddListRemove) {
  auto added = store_->AddRemotePort(Remote("blue", "02:AA:00:00:00:01", "192.0.2.20", {"10.1.0.5"}));
  ASSERT_THAT(added.status(), IsOk());
  EXPECT_EQ(added->mac(), "02:aa:00:00:00:01");  // Canonical form.
  ASSERT_THAT(store_->AddRemotePort(Remote("red", "02:aa:00:00:00:01", "192.0.2.21")).status(),
              IsOk());  // Same MAC, other VNet.
  auto blue = store_->ListRemotePorts("blue");
  ASSERT_THAT(blue.status(), IsOk());
  ASSERT_EQ(blue->ports_size(), 1);
  EXPECT_EQ(blue->ports(0).vtep(), "192.0.2.20");
  EXPECT_THAT(blue->ports(0).ips(), ElementsAre("10.1.0.5"));
  EXPECT_EQ(store_->ListRemotePorts("")->ports_size(), 2);
  EXPECT_THAT(store_->ListRemotePorts("green").status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("vnet")));

  EXPECT_THAT(store_->AddRemotePort(Remote("blue", "02:aa:00:00:00:01", "192.0.2.22")).status(),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("port.mac")));
  EXPECT_THAT(store_->RemoveRemotePort("blue", "02:aa:00:00:00:01"), IsOk());
  EXPECT_THAT(store_->RemoveRemotePort("blue", "02:aa:00:00:00:01"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("mac")));
  EXPECT_THAT(store_->RemoveRemotePort("green", "02:aa:00:00:00:01"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("vnet")));
  EXPECT_EQ(store_->ListRemotePorts("")->ports_size(), 1);
}

TEST_F(ConfigStoreRemoteTest, DeletingVnetWithRemotePortsFails) {
  ASSERT_THAT(store_->AddRemotePort(Remote("blue", "02:aa:00:00:00:01", "192.0.2.20")).status(),
              IsOk());
  EXPECT_THAT(store_->DeleteVNet("blue"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("remote port")));
  ASSERT_THAT(store_->RemoveRemotePort("blue", "02:aa:00:00:00:01"), IsOk());
  EXPECT_THAT(store_->DeleteVNet("blue"), IsOk());
}

TEST_F(ConfigStoreRemoteTest, ReplaceCountsAndTouchesOnlyItsVnet) {
  v1::ReplaceRemotePortsRequest req;
  req.set_vnet("blue");
  *req.add_ports() = Remote("blue", "02:aa:00:00:00:01", "192.0.2.20");
  *req.add_ports() = Remote("blue", "02:aa:00:00:00:02", "192.0.2.20");
  *req.add_ports() = Remote("", "02:aa:00:00:00:03", "192.0.2.20");  // VNet implied.
  ASSERT_THAT(store_->AddRemotePort(Remote("red", "02:bb:00:00:00:01", "192.0.2.30")).status(),
              IsOk());
  auto r = store_->ReplaceRemotePorts(req);
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_EQ(r->added(), 3u);
  EXPECT_EQ(r->snapshot_generation(), store_->generation());

  req.clear_ports();
  *req.add_ports() = Remote("blue", "02:aa:00:00:00:01", "192.0.2.20");  // unchanged
  *req.add_ports() = Remote("blue", "02:aa:00:00:00:02", "192.0.2.21");  // changed
  *req.add_ports() = Remote("blue", "02:aa:00:00:00:04", "192.0.2.20");  // added; 03 removed
  const uint64_t before = store_->generation();
  r = store_->ReplaceRemotePorts(req);
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_EQ(r->added(), 1u);
  EXPECT_EQ(r->removed(), 1u);
  EXPECT_EQ(r->changed(), 1u);
  EXPECT_EQ(r->unchanged(), 1u);
  EXPECT_EQ(r->snapshot_generation(), before + 1);  // One snapshot.
  EXPECT_EQ(store_->ListRemotePorts("blue")->ports_size(), 3);
  EXPECT_EQ(store_->ListRemotePorts("red")->ports_size(), 1);  // Untouched.

  // Replacing everything.
  v1::ReplaceRemotePortsRequest all;
  *all.add_ports() = Remote("red", "02:bb:00:00:00:09", "192.0.2.30");
  r = store_->ReplaceRemotePorts(all);
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_EQ(r->added(), 1u);
  EXPECT_EQ(r->removed(), 4u);
  EXPECT_EQ(store_->ListRemotePorts("")->ports_size(), 1);
}

TEST_F(ConfigStoreRemoteTest, ReplaceErrorsNameTheRequestFieldAndChangeNothing) {
  ASSERT_THAT(store_->AddRemotePort(Remote("blue", "02:aa:00:00:00:01", "192.0.2.20")).status(),
              IsOk());
  const uint64_t gen = store_->generation();
  v1::ReplaceRemotePortsRequest req;
  req.set_vnet("blue");
  *req.add_ports() = Remote("blue", "02:aa:00:00:00:05", "192.0.2.20");
  *req.add_ports() = Remote("red", "02:aa:00:00:00:06", "192.0.2.20");
  EXPECT_THAT(store_->ReplaceRemotePorts(req).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ports[1].vnet")));
  req.mutable_ports(1)->set_vnet("blue");
  req.mutable_ports(1)->set_mac("02:aa:00:00:00:05");
  EXPECT_THAT(store_->ReplaceRemotePorts(req).status(),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("ports[1].mac")));
  req.mutable_ports(1)->set_mac("02:aa:00:00:00:06");
  req.mutable_ports(1)->set_vtep("224.0.0.1");
  EXPECT_THAT(store_->ReplaceRemotePorts(req).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ports[1].vtep")));
  req.set_vnet("green");
  EXPECT_THAT(store_->ReplaceRemotePorts(req).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("vnet")));
  EXPECT_EQ(store_->generation(), gen);
  EXPECT_EQ(store_->ListRemotePorts("blue")->ports(0).mac(), "02:aa:00:00:00:01");
}

TEST_F(ConfigStoreRemoteTest, VtepKeepsItsSlotWhileItHasPorts) {
  ASSERT_THAT(store_->AddRemotePort(Remote("blue", "02:aa:00:00:00:01", "192.0.2.20")).status(),
              IsOk());
  ASSERT_THAT(store_->AddRemotePort(Remote("blue", "02:aa:00:00:00:02", "192.0.2.21")).status(),
              IsOk());
  ASSERT_THAT(store_->AddRemotePort(Remote("red", "02:aa:00:00:00:03", "192.0.2.21")).status(),
              IsOk());
  EXPECT_EQ(SlotOf("192.0.2.20"), 0);
  EXPECT_EQ(SlotOf("192.0.2.21"), 1);
  // .21 loses one of its two ports: keeps slot 1.
  ASSERT_THAT(store_->RemoveRemotePort("blue", "02:aa:00:00:00:02"), IsOk());
  EXPECT_EQ(SlotOf("192.0.2.21"), 1);
  // .20 loses its last: slot 0 is free, and taken by the next new VTEP.
  ASSERT_THAT(store_->RemoveRemotePort("blue", "02:aa:00:00:00:01"), IsOk());
  EXPECT_EQ(SlotOf("192.0.2.20"), -1);
  EXPECT_EQ(SlotOf("192.0.2.21"), 1);
  ASSERT_THAT(store_->AddRemotePort(Remote("blue", "02:aa:00:00:00:04", "192.0.2.22")).status(),
              IsOk());
  EXPECT_EQ(SlotOf("192.0.2.22"), 0);
  EXPECT_EQ(SlotOf("192.0.2.21"), 1);
  ASSERT_EQ(Snap().vteps.size(), 2u);
  EXPECT_EQ(Snap().vteps[0].ip_be, rte_cpu_to_be_32(*net::ParseIpv4("192.0.2.22")));
  // A whole replace keeps the slots of VTEPs still present.
  v1::ReplaceRemotePortsRequest all;
  *all.add_ports() = Remote("red", "02:bb:00:00:00:01", "192.0.2.23");
  *all.add_ports() = Remote("red", "02:bb:00:00:00:02", "192.0.2.21");
  ASSERT_THAT(store_->ReplaceRemotePorts(all).status(), IsOk());
  EXPECT_EQ(SlotOf("192.0.2.21"), 1);
  EXPECT_EQ(SlotOf("192.0.2.23"), 0);
}

TEST_F(ConfigStoreRemoteTest, ApplyConfigHandlesRemotePorts) {
  v1::Config c = store_->config();
  *c.add_remote_ports() = Remote("blue", "02:AA:00:00:00:01", "192.0.2.20", {"10.1.0.7"});
  *c.add_remote_ports() = Remote("red", "02:aa:00:00:00:02", "192.0.2.20");
  ASSERT_THAT(store_->ApplyConfig(c).status(), IsOk());
  const v1::Config got = store_->config();
  ASSERT_EQ(got.remote_ports_size(), 2);
  EXPECT_EQ(got.remote_ports(0).mac(), "02:aa:00:00:00:01");
  EXPECT_EQ(SlotOf("192.0.2.20"), 0);

  // A clash is named by its index in the config; nothing changes.
  *c.add_remote_ports() = Remote("red", "02:aa:00:00:00:02", "192.0.2.21");
  EXPECT_THAT(store_->ApplyConfig(c).status(),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("remote_ports[2].mac")));
  c.mutable_remote_ports(2)->set_mac("02:aa:00:00:00:03");
  c.mutable_remote_ports(2)->add_ips("10.1.0.7");
  c.mutable_remote_ports(2)->set_vnet("blue");
  EXPECT_THAT(store_->ApplyConfig(c).status(),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("remote_ports[2].ips[0]")));
  EXPECT_EQ(store_->config().remote_ports_size(), 2);

  c.clear_remote_ports();
  ASSERT_THAT(store_->ApplyConfig(c).status(), IsOk());
  EXPECT_EQ(store_->config().remote_ports_size(), 0);
  EXPECT_EQ(Snap().vtep_by_ip, nullptr);
}

TEST_F(ConfigStoreRemoteTest, PersistedAndRestored) {
  ASSERT_THAT(store_->AddRemotePort(Remote("blue", "02:aa:00:00:00:01", "192.0.2.20", {"10.1.0.5"}))
                  .status(),
              IsOk());
  ASSERT_THAT(store_->AddRemotePort(Remote("red", "02:aa:00:00:00:02", "192.0.2.21")).status(),
              IsOk());
  auto file = LoadConfigFile(path_);
  ASSERT_THAT(file.status(), IsOk());
  ASSERT_TRUE(file->has_value());
  ASSERT_EQ((*file)->remote_ports_size(), 2);
  EXPECT_EQ((*file)->remote_ports(0).ips(0), "10.1.0.5");
  EXPECT_TRUE((*file)->vnets(1).arp_suppression_disabled());

  store_->Shutdown();
  store_ = MakeStore();
  ASSERT_THAT(store_->Start(), IsOk());
  ASSERT_THAT(store_->RestoreConfig(**file), IsOk());
  EXPECT_EQ(store_->ListRemotePorts("")->ports_size(), 2);
  EXPECT_EQ(SlotOf("192.0.2.20"), 0);
  EXPECT_EQ(SlotOf("192.0.2.21"), 1);
  EXPECT_FALSE(Snap().vnets[1].arp_suppression);
  EXPECT_TRUE(Snap().vnets[0].arp_suppression);
}

TEST_F(ConfigStoreRemoteTest, VtepNextHopsAreResolvedAndShown) {
  AddUplink();
  ASSERT_THAT(store_->AddRemotePort(Remote("blue", "02:aa:00:00:00:01", "192.0.2.20")).status(),
              IsOk());
  ASSERT_THAT(store_->AddRemotePort(Remote("blue", "02:aa:00:00:00:02", "198.51.100.7")).status(),
              IsOk());
  // The uplink's own address is not a remote VTEP.
  EXPECT_THAT(store_->AddRemotePort(Remote("blue", "02:aa:00:00:00:03", "192.0.2.10")).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("port.vtep")));
  // .20 is on the link; 198.51.100.7 is behind the gateway: both asked by ARP.
  v1::ListNeighborsResponse n = store_->ListNeighbors();
  std::vector<std::string> incomplete;
  for (const auto& e : n.neighbors()) {
    if (e.state() == "INCOMPLETE") {
      incomplete.push_back(e.ip());
    }
  }
  EXPECT_THAT(incomplete, ::testing::UnorderedElementsAre("192.0.2.20", "192.0.2.1"));
  EXPECT_FALSE(Snap().vteps[0].resolved);

  v1::Stats st = store_->GetStats();
  ASSERT_EQ(st.vteps_size(), 2);
  EXPECT_EQ(st.vteps(0).ip(), "192.0.2.20");
  EXPECT_EQ(st.vteps(0).remote_ports(), 1u);
  EXPECT_EQ(st.vteps(0).state(), "INCOMPLETE");

  // A static neighbor for the gateway resolves the far VTEP.
  v1::Neighbor gw;
  gw.set_ip("192.0.2.1");
  gw.set_mac("02:00:00:00:00:fe");
  ASSERT_THAT(store_->SetNeighbor(gw).status(), IsOk());
  const int far = SlotOf("198.51.100.7");
  ASSERT_GE(far, 0);
  EXPECT_TRUE(Snap().vteps[far].resolved);
  EXPECT_EQ(net::FormatMac(Snap().vteps[far].next_hop_mac), "02:00:00:00:00:fe");
  EXPECT_EQ(FindVtep(store_->GetStats(), "198.51.100.7")->state(), "STATIC");
}

TEST_F(ConfigStoreRemoteTest, VtepCountersClearAndRestartOnSlotReuse) {
  ASSERT_THAT(store_->AddRemotePort(Remote("blue", "02:aa:00:00:00:01", "192.0.2.20")).status(),
              IsOk());
  dataplane::VtepCounters& c = lcores_.back()->vteps[SlotOf("192.0.2.20")];
  c.tx_packets.Add(5);
  c.tx_bytes.Add(500);
  c.rx_packets.Add(2);
  c.rx_bytes.Add(120);
  c.replicated.Add(1);
  v1::Stats st = store_->GetStats();
  const v1::VtepStats* v = FindVtep(st, "192.0.2.20");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->state(), "NO_ROUTE");  // No uplink.
  EXPECT_EQ(v->tx_packets(), 5u);
  EXPECT_EQ(v->tx_bytes(), 500u);
  EXPECT_EQ(v->rx_packets(), 2u);
  EXPECT_EQ(v->rx_bytes(), 120u);
  EXPECT_EQ(v->replicated(), 1u);
  // The overlay's drop reasons are listed (drop_reasons.h's X-macro).
  std::vector<std::string> reasons;
  for (const auto& d : st.drops()) {
    reasons.push_back(d.reason());
  }
  EXPECT_THAT(reasons, ::testing::IsSupersetOf({"unknown_vni", "unknown_vtep", "overlay_spoofed",
                                                "bad_vxlan", "overlay_mtu", "vtep_unresolved",
                                                "overlay_transit"}));
  store_->ClearStats();
  c.tx_packets.Add(1);
  EXPECT_EQ(FindVtep(store_->GetStats(), "192.0.2.20")->tx_packets(), 1u);
  // Another VTEP takes the slot: it starts from zero.
  ASSERT_THAT(store_->RemoveRemotePort("blue", "02:aa:00:00:00:01"), IsOk());
  ASSERT_THAT(store_->AddRemotePort(Remote("blue", "02:aa:00:00:00:02", "192.0.2.29")).status(),
              IsOk());
  ASSERT_EQ(SlotOf("192.0.2.29"), 0);
  st = store_->GetStats();
  ASSERT_EQ(st.vteps_size(), 1);
  EXPECT_EQ(st.vteps(0).tx_packets(), 0u);
  EXPECT_EQ(st.vteps(0).tx_bytes(), 0u);
}


// P14's table size through the whole store: one Replace of 100k ports, then
// one single add on top (the cost of a change at that size). Prints both.
TEST_F(ConfigStoreRemoteTest, HundredThousandRemotePorts) {
  v1::ReplaceRemotePortsRequest req;
  req.set_vnet("red");  // No prefixes checked against 10.x addresses below.
  store_->ApplyConfig([&] {
    v1::Config c = store_->config();
    c.mutable_vnets(1)->clear_prefixes();
    return c;
  }()).IgnoreError();
  constexpr int kPorts = 100000;
  for (int i = 0; i < kPorts; ++i) {
    *req.add_ports() = Remote("red",
                              absl::StrFormat("02:01:%02x:%02x:%02x:%02x", (i >> 24) & 0xff,
                                              (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff),
                              absl::StrFormat("10.200.%d.%d", (i % 1000) / 250, i % 250 + 1),
                              {absl::StrFormat("10.%d.%d.%d", 50 + (i >> 16), (i >> 8) & 0xff,
                                               i & 0xff)});
  }
  absl::Time start = absl::Now();
  auto r = store_->ReplaceRemotePorts(req);
  const absl::Duration replace = absl::Now() - start;
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_EQ(r->added(), static_cast<uint32_t>(kPorts));
  start = absl::Now();
  ASSERT_THAT(store_->AddRemotePort(Remote("red", "02:02:00:00:00:01", "10.200.9.9")).status(),
              IsOk());
  const absl::Duration add = absl::Now() - start;
  std::printf("ReplaceRemotePorts of %d ports: %.0f ms; AddRemotePort on top: %.0f ms\n", kPorts,
              absl::ToDoubleMilliseconds(replace), absl::ToDoubleMilliseconds(add));
  EXPECT_EQ(store_->GetStats().vteps_size(), 1001);
}

}  // namespace
}  // namespace vswitch::control
