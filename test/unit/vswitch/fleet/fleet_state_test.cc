// SPDX-License-Identifier: Apache-2.0
#include "vswitch/fleet/fleet_state.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "vswitch/fleet/keyspace.h"

namespace vswitch::fleet {
namespace {

std::string VmJson(const std::string& name, const std::string& vnet, const std::string& host,
                   const std::string& mac, const std::string& ip) {
  return absl::StrCat(R"({"name":")", name, R"(","vnet":")", vnet, R"(","host":")", host,
                      R"(","macs":[")", mac, R"("],"ips":[")", ip, R"("],"driver":"vhost"})");
}

class FleetStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(s_.Put(TenantKey("acme"), R"({"name":"acme"})").ok());
    ASSERT_TRUE(
        s_.Put(VnetKey("blue"),
               R"({"name":"blue","tenant":"acme","vni":100,"prefixes":["10.1.0.0/24"]})")
            .ok());
    ASSERT_TRUE(s_.Put(VniKey(100), R"({"vnet":"blue"})").ok());
    for (const char* h : {"A", "B", "C"}) {
      ASSERT_TRUE(s_.Put(HostVtepKey(h), absl::StrCat(R"({"ip":"192.0.2.)", h[0] - 'A' + 11,
                                                      R"("})"))
                      .ok());
    }
    ASSERT_TRUE(s_.Put(VmKey("vm1"), VmJson("vm1", "blue", "A", "02:00:00:00:00:01", "10.1.0.1"))
                    .ok());
    ASSERT_TRUE(s_.Put(VmKey("vm2"), VmJson("vm2", "blue", "B", "02:00:00:00:00:02", "10.1.0.2"))
                    .ok());
  }
  FleetState s_;
};

TEST(KeyspaceTest, ParsesEveryKindAndRefusesTheRest) {
  EXPECT_EQ(ParseKey("/vswitch/v1/vms/vm1").kind, KeyKind::kVm);
  EXPECT_EQ(ParseKey("/vswitch/v1/vnis/100").kind, KeyKind::kVni);
  EXPECT_EQ(ParseKey("/vswitch/v1/vnis/0100").kind, KeyKind::kInvalid);
  EXPECT_EQ(ParseKey("/vswitch/v1/vnis/16777216").kind, KeyKind::kInvalid);
  EXPECT_EQ(ParseKey("/vswitch/v1/peerings/a:b").kind, KeyKind::kPeering);
  EXPECT_EQ(ParseKey("/vswitch/v1/peerings/b:a").kind, KeyKind::kInvalid);
  EXPECT_EQ(ParseKey("/vswitch/v1/hosts/hv1/vtep").name, "hv1");
  EXPECT_EQ(ParseKey("/vswitch/status/v1/hv1").kind, KeyKind::kHostStatus);
  EXPECT_EQ(ParseKey("/vswitch/v1/vms/bad name").kind, KeyKind::kInvalid);
  EXPECT_EQ(ParseKey("/other/v1/vms/vm1").kind, KeyKind::kInvalid);
  EXPECT_EQ(PeeringKey("b", "a"), "/vswitch/v1/peerings/a:b");
}

TEST_F(FleetStateTest, RefusedValueKeepsTheLastGoodOneUntilFixed) {
  absl::Status st = s_.Put(VmKey("vm2"), "{not json");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("/vswitch/v1/vms/vm2"), std::string_view::npos);
  EXPECT_EQ(s_.vms().at("vm2").host(), "B");
  EXPECT_TRUE(s_.errors().contains(VmKey("vm2")));
  EXPECT_FALSE(s_.Put(VmKey("vm2"), VmJson("other", "blue", "B", "02:00:00:00:00:02", "10.1.0.2"))
                   .ok());  // Name differs from the key.
  EXPECT_FALSE(s_.Put(VmKey("vm2"), R"({"name":"vm2","bogus":1})").ok());  // Unknown field.
  EXPECT_FALSE(s_.Put(VmKey("vm2"), VmJson("vm2", "blue", "B", "01:00:00:00:00:02", "10.1.0.2"))
                   .ok());  // Multicast MAC.
  ASSERT_TRUE(s_.Put(VmKey("vm2"), VmJson("vm2", "blue", "B", "02:00:00:00:00:02", "10.1.0.2"))
                  .ok());
  EXPECT_FALSE(s_.errors().contains(VmKey("vm2")));
  EXPECT_FALSE(s_.Put("/vswitch/v1/nope/x", "{}").ok());
  s_.Delete("/vswitch/v1/nope/x");
  EXPECT_TRUE(s_.errors().empty());
}

TEST_F(FleetStateTest, IndexesFollowAMove) {
  ASSERT_TRUE(s_.Put(VmKey("vm2"), VmJson("vm2", "blue", "C", "02:00:00:00:00:02", "10.1.0.2"))
                  .ok());
  EXPECT_FALSE(s_.vms_by_host().contains("B"));
  EXPECT_TRUE(s_.vms_by_host().at("C").contains("vm2"));
  s_.Delete(VmKey("vm2"));
  EXPECT_FALSE(s_.vms_by_host().contains("C"));
  EXPECT_EQ(s_.vms_by_vnet().at("blue").size(), 1u);
}

TEST_F(FleetStateTest, SliceHasLocalVmsAndRemotePortsOfLiveHostsOnly) {
  vswitch::v1::Config local;
  Slice a = ComputeSlice(s_, "A", local);
  ASSERT_EQ(a.config.vports_size(), 1);
  EXPECT_EQ(a.config.vports(0).name(), "vm1");
  ASSERT_EQ(a.config.remote_ports_size(), 1);
  EXPECT_EQ(a.config.remote_ports(0).vtep(), "192.0.2.12");
  EXPECT_EQ(a.config.remote_ports(0).ips(0), "10.1.0.2");
  s_.Delete(HostVtepKey("B"));  // B's lease expired.
  EXPECT_EQ(ComputeSlice(s_, "A", local).config.remote_ports_size(), 0);
  // Equal inputs, byte-equal slices (the agent compares them).
  EXPECT_EQ(ComputeSlice(s_, "A", local).config.SerializeAsString(),
            ComputeSlice(s_, "A", local).config.SerializeAsString());
  EXPECT_EQ(ComputeSlice(s_, "Z", local).config.vnets_size(), 0);
}

TEST_F(FleetStateTest, SessionIsCutToLocalSourcesWithItsDestination) {
  ASSERT_TRUE(s_.Put(DestinationKey("ids"),
                     R"({"name":"ids","vnet":"blue","vni":5000,"collectors":["10.1.0.9"],)"
                     R"("collectors_in_vnet":true})")
                  .ok());
  ASSERT_TRUE(s_.Put(TapKey("t1"),
                     R"({"name":"t1","sources":["vm1","vm2"],"destinations":["ids"]})")
                  .ok());
  Slice b = ComputeSlice(s_, "B", vswitch::v1::Config());
  ASSERT_EQ(b.config.tap_sessions_size(), 1);
  ASSERT_EQ(b.config.tap_sessions(0).sources_size(), 1);
  EXPECT_EQ(b.config.tap_sessions(0).sources(0), "vm2");
  ASSERT_EQ(b.config.destinations_size(), 1);
  EXPECT_EQ(b.config.destinations(0).udp_port(), 4789u);
  EXPECT_EQ(ComputeSlice(s_, "C", vswitch::v1::Config()).config.tap_sessions_size(), 0);
}

TEST_F(FleetStateTest, FleetRulesNameTheKey) {
  EXPECT_TRUE(ValidateFleet(s_).ok());
  ASSERT_TRUE(s_.Put(VmKey("vm3"), VmJson("vm3", "blue", "C", "02:00:00:00:00:01", "10.1.0.3"))
                  .ok());
  absl::Status st = ValidateFleet(s_);
  EXPECT_NE(st.message().find("/vswitch/v1/vms/vm3: macs[0]"), std::string_view::npos) << st;
  s_.Delete(VmKey("vm3"));
  ASSERT_TRUE(s_.Put(VmKey("vm3"), VmJson("vm3", "blue", "C", "02:00:00:00:00:03", "10.9.0.3"))
                  .ok());
  EXPECT_NE(ValidateFleet(s_).message().find("outside every prefix"), std::string_view::npos);
  s_.Delete(VmKey("vm3"));
  ASSERT_TRUE(s_.Put(TenantKey("evil"), R"({"name":"evil"})").ok());
  ASSERT_TRUE(s_.Put(VnetKey("red"), R"({"name":"red","tenant":"evil","vni":200})").ok());
  ASSERT_TRUE(s_.Put(VniKey(200), R"({"vnet":"red"})").ok());
  ASSERT_TRUE(s_.Put(DestinationKey("d"),
                     R"({"name":"d","vnet":"red","vni":1,"collectors":["192.0.2.9"]})")
                  .ok());
  ASSERT_TRUE(s_.Put(TapKey("t"), R"({"name":"t","sources":["vm1"],"destinations":["d"]})").ok());
  EXPECT_NE(ValidateFleet(s_).message().find("tenant 'evil'"), std::string_view::npos);
}

TEST(FleetScaleTest, OneHostsSliceCostsWhatTheHostHas) {
  FleetState s;
  ASSERT_TRUE(s.Put(TenantKey("t"), R"({"name":"t"})").ok());
  for (int v = 0; v < 50; ++v) {
    ASSERT_TRUE(s.Put(VnetKey(absl::StrCat("v", v)),
                      absl::StrCat(R"({"name":"v)", v, R"(","tenant":"t","vni":)", v + 1, "}"))
                    .ok());
  }
  for (int h = 0; h < 1000; ++h) {
    ASSERT_TRUE(s.Put(HostVtepKey(absl::StrCat("h", h)),
                      absl::StrCat(R"({"ip":"10.)", h / 250, ".", h % 250, R"(.1"})"))
                    .ok());
    for (int i = 0; i < 20; ++i) {
      const int n = h * 20 + i;
      const std::string name = absl::StrCat("vm", n);
      ASSERT_TRUE(s.Put(VmKey(name),
                        absl::StrCat(R"({"name":")", name, R"(","vnet":"v)", n % 50,
                                     R"(","host":"h)", h, R"(","macs":["02:00:00:)",
                                     absl::Hex(n >> 16, absl::kZeroPad2), ":",
                                     absl::Hex((n >> 8) & 255, absl::kZeroPad2), ":",
                                     absl::Hex(n & 255, absl::kZeroPad2),
                                     R"("],"driver":"null"})"))
                      .ok());
    }
  }
  const absl::Time t = absl::Now();
  Slice slice = ComputeSlice(s, "h7", vswitch::v1::Config());
  const absl::Duration took = absl::Now() - t;
  EXPECT_EQ(slice.vms, 20u);
  EXPECT_EQ(slice.config.vnets_size(), 20);
  EXPECT_EQ(slice.remote_ports, 20u * 400 - 20);  // Every VM of its 20 VNets elsewhere.
  std::printf("slice of one host in a fleet of 20,000 VMs: %s\n",
              absl::FormatDuration(took).c_str());
}

}  // namespace
}  // namespace vswitch::fleet
