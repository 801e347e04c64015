// SPDX-License-Identifier: Apache-2.0
//
// Validator rules for mirror destinations, TAP sessions (tenancy, peering,
// rules) and static neighbors. Each case checks the code and the field path.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lib/status/testing/matchers.h"
#include "vswitch/control/validator.h"

namespace vswitch::control {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using vswitch::testing::IsOk;
using vswitch::testing::StatusIs;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
constexpr auto kNotFound = absl::StatusCode::kNotFound;
constexpr auto kExists = absl::StatusCode::kAlreadyExists;
constexpr auto kPrecondition = absl::StatusCode::kFailedPrecondition;
constexpr auto kDenied = absl::StatusCode::kPermissionDenied;
constexpr auto kExhausted = absl::StatusCode::kResourceExhausted;

v1::VNet MakeVNet(const std::string& name, const std::string& tenant, uint32_t vni) {
  v1::VNet v;
  v.set_name(name);
  v.set_tenant(tenant);
  v.set_vni(vni);
  return v;
}

v1::VPort MakeVm(const std::string& name, const std::string& vnet) {
  v1::VPort p;
  p.set_name(name);
  p.set_kind(v1::VPORT_KIND_VM);
  p.set_vnet(vnet);
  p.set_driver("tap:iface=" + name);
  return p;
}

v1::MirrorDestination MakeDest(const std::string& name, const std::string& vnet) {
  v1::MirrorDestination d;
  d.set_name(name);
  d.set_vnet(vnet);
  d.set_vni(9000);
  d.set_udp_port(4789);
  d.add_collectors("192.0.2.20");
  return d;
}

// Tenant acme: blue <-> green peered, red not peered. Tenant other: grey.
// One VM per VNet (vm-blue, ...), an uplink, a destination per VNet
// (d-blue, ...) and an existing session "existing".
v1::Config BaseConfig() {
  v1::Config c;
  v1::VNet blue = MakeVNet("blue", "acme", 100);
  blue.add_peers("green");
  v1::VNet green = MakeVNet("green", "acme", 200);
  green.add_peers("blue");
  *c.add_vnets() = blue;
  *c.add_vnets() = green;
  *c.add_vnets() = MakeVNet("red", "acme", 300);
  *c.add_vnets() = MakeVNet("grey", "other", 400);
  for (const char* v : {"blue", "green", "red", "grey"}) {
    *c.add_vports() = MakeVm(std::string("vm-") + v, v);
    *c.add_destinations() = MakeDest(std::string("d-") + v, v);
  }
  v1::VPort up;
  up.set_name("up0");
  up.set_kind(v1::VPORT_KIND_UPLINK);
  up.set_driver("af_packet:iface=eth0");
  up.mutable_uplink()->set_ip_cidr("192.0.2.10/24");
  up.mutable_uplink()->set_gateway("192.0.2.1");
  up.mutable_uplink()->set_mtu(1500);
  *c.add_vports() = up;
  v1::TapSession existing;
  existing.set_name("existing");
  existing.add_sources("vm-blue");
  existing.add_destinations("d-blue");
  *c.add_tap_sessions() = existing;
  v1::Neighbor n;
  n.set_ip("192.0.2.1");
  n.set_mac("02:00:00:00:00:01");
  *c.add_neighbors() = n;
  return c;
}

// ---------------------------------------------------------------- destinations

TEST(ValidateDestinationTest, ValidDestinationIsAccepted) {
  v1::MirrorDestination d = MakeDest("d-new", "blue");
  d.add_collectors("198.51.100.7");
  EXPECT_THAT(ValidateDestination(d, BaseConfig(), "destination."), IsOk());
}

// A pcapng destination: a file name in --capture_dir, no collectors.
v1::MirrorDestination PcapngDest(const std::string& file) {
  v1::MirrorDestination d;
  d.set_name("cap");
  d.set_vnet("blue");
  d.mutable_pcapng()->set_file(file);
  return d;
}

TEST(ValidateDestinationTest, PcapngFileNameIsAcceptedWithoutCollectors) {
  EXPECT_THAT(ValidateDestination(PcapngDest("vm1.pcapng"), BaseConfig(), "destination."),
              IsOk());
}

TEST(ValidateDestinationTest, PcapngPathsAndDotNamesAreRefused) {
  const std::vector<std::string> files = {"../x", "a/b", "/etc/passwd", "..", ".", "",
                                          std::string("a\0b", 3), std::string(256, 'a')};
  for (const std::string& file : files) {
    EXPECT_THAT(ValidateDestination(PcapngDest(file), BaseConfig(), "destination."),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("destination.pcapng.file: ")))
        << file;
  }
}

TEST(ValidateDestinationTest, PcapngWithCollectorsOrSmallRotationIsRefused) {
  v1::MirrorDestination d = PcapngDest("f");
  d.add_collectors("192.0.2.2");
  EXPECT_THAT(ValidateDestination(d, BaseConfig(), "destination."),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("destination.collectors")));
  d = PcapngDest("f");
  d.set_vni(5);
  EXPECT_THAT(ValidateDestination(d, BaseConfig(), "destination."),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("destination.vni")));
  d = PcapngDest("f");
  d.mutable_pcapng()->set_rotate_bytes(1023);
  EXPECT_THAT(ValidateDestination(d, BaseConfig(), "destination."),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("destination.pcapng.rotate_bytes")));
}

TEST(ValidateDestinationTest, VniZeroIsInvalid) {
  v1::MirrorDestination d = MakeDest("d-new", "blue");
  d.set_vni(0);
  EXPECT_THAT(ValidateDestination(d, BaseConfig(), "destination."),
              StatusIs(kInvalid, HasSubstr("destination.vni")));
}

TEST(ValidateDestinationTest, VniRangeEnds) {
  v1::MirrorDestination d = MakeDest("d-new", "blue");
  d.set_vni(16777215);
  EXPECT_THAT(ValidateDestination(d, BaseConfig(), "destination."), IsOk());
  d.set_vni(16777216);
  EXPECT_THAT(ValidateDestination(d, BaseConfig(), "destination."),
              StatusIs(kInvalid, AllOf(HasSubstr("destination.vni"), HasSubstr("16777216"))));
}

TEST(ValidateDestinationTest, UdpPortOutOfRangeIsInvalid) {
  v1::MirrorDestination d = MakeDest("d-new", "blue");
  d.set_udp_port(0);
  EXPECT_THAT(ValidateDestination(d, BaseConfig(), "destination."),
              StatusIs(kInvalid, HasSubstr("destination.udp_port")));
  d.set_udp_port(65536);
  EXPECT_THAT(ValidateDestination(d, BaseConfig(), "destination."),
              StatusIs(kInvalid, HasSubstr("destination.udp_port")));
  d.set_udp_port(65535);
  EXPECT_THAT(ValidateDestination(d, BaseConfig(), "destination."), IsOk());
}

TEST(ValidateDestinationTest, NoCollectorIsInvalid) {
  v1::MirrorDestination d = MakeDest("d-new", "blue");
  d.clear_collectors();
  EXPECT_THAT(ValidateDestination(d, BaseConfig(), "destination."),
              StatusIs(kInvalid, HasSubstr("destination.collectors")));
}

TEST(ValidateDestinationTest, EightCollectorsAreAcceptedNineAreNot) {
  v1::MirrorDestination d = MakeDest("d-new", "blue");
  d.clear_collectors();
  for (int i = 1; i <= 8; ++i) {
    d.add_collectors("192.0.2." + std::to_string(100 + i));
  }
  EXPECT_THAT(ValidateDestination(d, BaseConfig(), "destination."), IsOk());
  d.add_collectors("192.0.2.200");
  EXPECT_THAT(ValidateDestination(d, BaseConfig(), "destination."),
              StatusIs(kInvalid, AllOf(HasSubstr("destination.collectors"), HasSubstr("9"))));
}

TEST(ValidateDestinationTest, DuplicateCollectorNamesIndex) {
  v1::MirrorDestination d = MakeDest("d-new", "blue");
  d.add_collectors("192.0.2.30");
  d.add_collectors("192.0.2.20");
  EXPECT_THAT(
      ValidateDestination(d, BaseConfig(), "destination."),
      StatusIs(kInvalid, AllOf(HasSubstr("destination.collectors[2]"), HasSubstr("192.0.2.20"))));
}

TEST(ValidateDestinationTest, NonUnicastCollectorsAreInvalid) {
  for (const char* ip : {"0.0.0.0", "255.255.255.255", "224.0.0.5", "239.1.1.1", "127.0.0.1"}) {
    v1::MirrorDestination d = MakeDest("d-new", "blue");
    d.add_collectors(ip);
    EXPECT_THAT(ValidateDestination(d, BaseConfig(), "destination."),
                StatusIs(kInvalid, AllOf(HasSubstr("destination.collectors[1]"), HasSubstr(ip))))
        << ip;
  }
}

TEST(ValidateDestinationTest, UnparseableCollectorNamesIndex) {
  v1::MirrorDestination d = MakeDest("d-new", "blue");
  d.set_collectors(0, "192.0.2");
  EXPECT_THAT(ValidateDestination(d, BaseConfig(), "destination."),
              StatusIs(kInvalid, HasSubstr("destination.collectors[0]")));
}

TEST(ValidateDestinationTest, UnknownVNetIsNotFound) {
  EXPECT_THAT(ValidateDestination(MakeDest("d-new", "purple"), BaseConfig(), "destination."),
              StatusIs(kNotFound, AllOf(HasSubstr("destination.vnet"), HasSubstr("'purple'"))));
}

TEST(ValidateDestinationTest, DuplicateNameIsAlreadyExists) {
  EXPECT_THAT(ValidateDestination(MakeDest("d-red", "blue"), BaseConfig(), "destination."),
              StatusIs(kExists, AllOf(HasSubstr("destination.name"), HasSubstr("'d-red'"))));
}

TEST(ValidateDestinationTest, BadNameIsInvalid) {
  EXPECT_THAT(ValidateDestination(MakeDest("d new", "blue"), BaseConfig(), "destination."),
              StatusIs(kInvalid, HasSubstr("destination.name")));
}

TEST(ValidateDestinationTest, ThirtyThirdDestinationIsResourceExhausted) {
  v1::Config c = BaseConfig();
  while (c.destinations_size() < 32) {
    *c.add_destinations() = MakeDest("d" + std::to_string(c.destinations_size()), "blue");
  }
  EXPECT_THAT(ValidateDestination(MakeDest("d-new", "blue"), c, "destination."),
              StatusIs(kExhausted, HasSubstr("destination.name")));
}

// ---------------------------------------------------------------- sessions

v1::TapSession MakeSession(const std::string& source, const std::string& dest) {
  v1::TapSession s;
  s.set_name("s-new");
  s.add_sources(source);
  s.add_destinations(dest);
  return s;
}

TEST(ValidateTapSessionTest, SameVNetIsAccepted) {
  EXPECT_THAT(ValidateTapSession(MakeSession("vm-blue", "d-blue"), BaseConfig(), "session."),
              IsOk());
}

TEST(ValidateTapSessionTest, PeeredVNetIsAccepted) {
  EXPECT_THAT(ValidateTapSession(MakeSession("vm-green", "d-blue"), BaseConfig(), "session."),
              IsOk());
  EXPECT_THAT(ValidateTapSession(MakeSession("vm-blue", "d-green"), BaseConfig(), "session."),
              IsOk());
}

TEST(ValidateTapSessionTest, OtherTenantIsPermissionDeniedNamingVport) {
  EXPECT_THAT(ValidateTapSession(MakeSession("vm-grey", "d-blue"), BaseConfig(), "session."),
              StatusIs(kDenied, AllOf(HasSubstr("session.sources[0]"), HasSubstr("'vm-grey'"),
                                      HasSubstr("'other'"), HasSubstr("'acme'"))));
}

TEST(ValidateTapSessionTest, SecondSourceOfOtherTenantIsNamedByIndex) {
  v1::TapSession s = MakeSession("vm-blue", "d-blue");
  s.add_sources("vm-grey");
  EXPECT_THAT(ValidateTapSession(s, BaseConfig(), "session."),
              StatusIs(kDenied, AllOf(HasSubstr("session.sources[1]"), HasSubstr("'vm-grey'"))));
}

TEST(ValidateTapSessionTest, UnpeeredVNetIsFailedPreconditionNamingVport) {
  EXPECT_THAT(ValidateTapSession(MakeSession("vm-red", "d-blue"), BaseConfig(), "session."),
              StatusIs(kPrecondition, AllOf(HasSubstr("session.sources[0]"), HasSubstr("'vm-red'"),
                                            HasSubstr("'d-blue'"))));
}

TEST(ValidateTapSessionTest, PeeringIsCheckedAgainstEveryDestination) {
  v1::TapSession s = MakeSession("vm-blue", "d-blue");
  s.add_destinations("d-red");
  EXPECT_THAT(
      ValidateTapSession(s, BaseConfig(), "session."),
      StatusIs(kPrecondition, AllOf(HasSubstr("session.sources[0]"), HasSubstr("'d-red'"))));
}

TEST(ValidateTapSessionTest, UplinkAsSourceIsInvalid) {
  EXPECT_THAT(ValidateTapSession(MakeSession("up0", "d-blue"), BaseConfig(), "session."),
              StatusIs(kInvalid, AllOf(HasSubstr("session.sources[0]"), HasSubstr("'up0'"),
                                       HasSubstr("uplink"))));
}

TEST(ValidateTapSessionTest, UnknownSourceIsNotFound) {
  EXPECT_THAT(ValidateTapSession(MakeSession("vm-nope", "d-blue"), BaseConfig(), "session."),
              StatusIs(kNotFound, AllOf(HasSubstr("session.sources[0]"), HasSubstr("'vm-nope'"))));
}

TEST(ValidateTapSessionTest, UnknownDestinationIsNotFound) {
  EXPECT_THAT(
      ValidateTapSession(MakeSession("vm-blue", "d-nope"), BaseConfig(), "session."),
      StatusIs(kNotFound, AllOf(HasSubstr("session.destinations[0]"), HasSubstr("'d-nope'"))));
}

TEST(ValidateTapSessionTest, SourceListedTwiceIsInvalid) {
  v1::TapSession s = MakeSession("vm-blue", "d-blue");
  s.add_sources("vm-blue");
  EXPECT_THAT(ValidateTapSession(s, BaseConfig(), "session."),
              StatusIs(kInvalid, HasSubstr("session.sources[1]")));
}

TEST(ValidateTapSessionTest, DestinationListedTwiceIsInvalid) {
  v1::TapSession s = MakeSession("vm-blue", "d-blue");
  s.add_destinations("d-blue");
  EXPECT_THAT(ValidateTapSession(s, BaseConfig(), "session."),
              StatusIs(kInvalid, HasSubstr("session.destinations[1]")));
}

TEST(ValidateTapSessionTest, NoDestinationIsInvalid) {
  v1::TapSession s = MakeSession("vm-blue", "d-blue");
  s.clear_destinations();
  EXPECT_THAT(ValidateTapSession(s, BaseConfig(), "session."),
              StatusIs(kInvalid, HasSubstr("session.destinations")));
}

TEST(ValidateTapSessionTest, NoSourceIsInvalid) {
  v1::TapSession s = MakeSession("vm-blue", "d-blue");
  s.clear_sources();
  EXPECT_THAT(ValidateTapSession(s, BaseConfig(), "session."),
              StatusIs(kInvalid, HasSubstr("session.sources")));
}

TEST(ValidateTapSessionTest, DuplicateNameIsAlreadyExists) {
  v1::TapSession s = MakeSession("vm-blue", "d-blue");
  s.set_name("existing");
  EXPECT_THAT(ValidateTapSession(s, BaseConfig(), "session."),
              StatusIs(kExists, AllOf(HasSubstr("session.name"), HasSubstr("'existing'"))));
}

TEST(ValidateTapSessionTest, TruncateOneToSixtyThreeIsInvalid) {
  for (uint32_t t : {1u, 14u, 63u}) {
    v1::TapSession s = MakeSession("vm-blue", "d-blue");
    s.set_truncate_bytes(t);
    EXPECT_THAT(ValidateTapSession(s, BaseConfig(), "session."),
                StatusIs(kInvalid,
                         AllOf(HasSubstr("session.truncate_bytes"), HasSubstr(std::to_string(t)))))
        << t;
  }
}

TEST(ValidateTapSessionTest, TruncateZeroSixtyFourAnd65535AreAccepted) {
  for (uint32_t t : {0u, 64u, 65535u}) {
    v1::TapSession s = MakeSession("vm-blue", "d-blue");
    s.set_truncate_bytes(t);
    EXPECT_THAT(ValidateTapSession(s, BaseConfig(), "session."), IsOk()) << t;
  }
  v1::TapSession s = MakeSession("vm-blue", "d-blue");
  s.set_truncate_bytes(65536);
  EXPECT_THAT(ValidateTapSession(s, BaseConfig(), "session."),
              StatusIs(kInvalid, HasSubstr("session.truncate_bytes")));
}

TEST(ValidateTapSessionTest, ThirtyThirdSessionIsResourceExhausted) {
  v1::Config c = BaseConfig();
  while (c.tap_sessions_size() < 32) {
    v1::TapSession s = MakeSession("vm-blue", "d-blue");
    s.set_name("s" + std::to_string(c.tap_sessions_size()));
    *c.add_tap_sessions() = s;
  }
  EXPECT_THAT(ValidateTapSession(MakeSession("vm-blue", "d-blue"), c, "session."),
              StatusIs(kExhausted, HasSubstr("session.name")));
}

// ---------------------------------------------------------------- rules

v1::TapSession WithRule(const v1::TapRule& r) {
  v1::TapSession s = MakeSession("vm-blue", "d-blue");
  *s.add_rules() = r;
  return s;
}

TEST(ValidateTapRuleTest, FullRuleIsAccepted) {
  v1::TapRule r;
  r.set_priority(10);
  r.set_action(v1::TAP_ACTION_REJECT);
  r.set_protocol(6);
  r.set_src_cidr("10.1.0.0/16");
  r.set_dst_cidr("10.2.0.7/32");
  r.mutable_src_ports()->set_first(1024);
  r.mutable_src_ports()->set_last(65535);
  r.mutable_dst_ports()->set_first(443);
  r.mutable_dst_ports()->set_last(443);
  r.set_direction(v1::TAP_DIRECTION_RX);
  EXPECT_THAT(ValidateTapSession(WithRule(r), BaseConfig(), "session."), IsOk());
}

TEST(ValidateTapRuleTest, DuplicatePriorityNamesSecondRule) {
  v1::TapSession s = MakeSession("vm-blue", "d-blue");
  s.add_rules()->set_priority(5);
  s.add_rules()->set_priority(6);
  s.add_rules()->set_priority(5);
  EXPECT_THAT(ValidateTapSession(s, BaseConfig(), "session."),
              StatusIs(kInvalid, AllOf(HasSubstr("session.rules[2].priority"), HasSubstr("5"))));
}

TEST(ValidateTapRuleTest, PriorityAbove65535IsInvalid) {
  v1::TapRule r;
  r.set_priority(65536);
  EXPECT_THAT(ValidateTapSession(WithRule(r), BaseConfig(), "session."),
              StatusIs(kInvalid, HasSubstr("session.rules[0].priority")));
}

TEST(ValidateTapRuleTest, PortsWithoutL4ProtocolAreInvalid) {
  for (uint32_t proto : {0u, 1u, 47u}) {
    v1::TapRule r;
    r.set_protocol(proto);
    r.mutable_dst_ports()->set_first(80);
    r.mutable_dst_ports()->set_last(80);
    EXPECT_THAT(ValidateTapSession(WithRule(r), BaseConfig(), "session."),
                StatusIs(kInvalid, HasSubstr("session.rules[0].protocol")))
        << proto;
  }
}

TEST(ValidateTapRuleTest, SourcePortsWithoutL4ProtocolAreInvalid) {
  v1::TapRule r;
  r.mutable_src_ports()->set_first(1);
  r.mutable_src_ports()->set_last(2);
  EXPECT_THAT(ValidateTapSession(WithRule(r), BaseConfig(), "session."),
              StatusIs(kInvalid, HasSubstr("session.rules[0].protocol")));
}

TEST(ValidateTapRuleTest, PortsWithTcpUdpSctpAreAccepted) {
  for (uint32_t proto : {6u, 17u, 132u}) {
    v1::TapRule r;
    r.set_protocol(proto);
    r.mutable_dst_ports()->set_first(80);
    r.mutable_dst_ports()->set_last(90);
    EXPECT_THAT(ValidateTapSession(WithRule(r), BaseConfig(), "session."), IsOk()) << proto;
  }
}

TEST(ValidateTapRuleTest, ReversedRangeIsInvalid) {
  v1::TapRule r;
  r.set_protocol(6);
  r.mutable_dst_ports()->set_first(90);
  r.mutable_dst_ports()->set_last(80);
  EXPECT_THAT(
      ValidateTapSession(WithRule(r), BaseConfig(), "session."),
      StatusIs(kInvalid, AllOf(HasSubstr("session.rules[0].dst_ports"), HasSubstr("90-80"))));
}

TEST(ValidateTapRuleTest, PortAbove65535IsInvalid) {
  v1::TapRule r;
  r.set_protocol(17);
  r.mutable_src_ports()->set_first(1);
  r.mutable_src_ports()->set_last(65536);
  EXPECT_THAT(ValidateTapSession(WithRule(r), BaseConfig(), "session."),
              StatusIs(kInvalid, HasSubstr("session.rules[0].src_ports")));
}

TEST(ValidateTapRuleTest, CidrWithHostBitsIsInvalid) {
  v1::TapRule r;
  r.set_src_cidr("10.1.0.1/16");
  EXPECT_THAT(
      ValidateTapSession(WithRule(r), BaseConfig(), "session."),
      StatusIs(kInvalid, AllOf(HasSubstr("session.rules[0].src_cidr"), HasSubstr("10.1.0.1/16"))));
}

TEST(ValidateTapRuleTest, UnparseableCidrIsInvalid) {
  for (const char* bad : {"10.1.0.0/33", "10.1.0/16", "nonsense"}) {
    v1::TapRule r;
    r.set_dst_cidr(bad);
    EXPECT_THAT(ValidateTapSession(WithRule(r), BaseConfig(), "session."),
                StatusIs(kInvalid, HasSubstr("session.rules[0].dst_cidr")))
        << bad;
  }
}

TEST(ValidateTapRuleTest, Ipv6RuleIsAccepted) {
  v1::TapRule r;
  r.set_protocol(6);
  r.set_src_cidr("2001:db8:1::/48");
  r.set_dst_cidr("2001:db8:2::7/128");
  r.mutable_dst_ports()->set_first(443);
  r.mutable_dst_ports()->set_last(443);
  EXPECT_THAT(ValidateTapSession(WithRule(r), BaseConfig(), "session."), IsOk());
  r.set_protocol(58);
  r.clear_dst_ports();
  EXPECT_THAT(ValidateTapSession(WithRule(r), BaseConfig(), "session."), IsOk());
}

TEST(ValidateTapRuleTest, Ipv6CidrWithHostBitsNamesThePrefix) {
  v1::TapRule r;
  r.set_dst_cidr("2001:db8::1/64");
  EXPECT_THAT(ValidateTapSession(WithRule(r), BaseConfig(), "session."),
              StatusIs(kInvalid, AllOf(HasSubstr("session.rules[0].dst_cidr"),
                                       HasSubstr("host bits"), HasSubstr("2001:db8::/64"))));
}

TEST(ValidateTapRuleTest, UnparseableIpv6CidrIsInvalid) {
  for (const char* bad : {"2001:db8::/129", "2001:db8:::/32", "2001:db8::", "::/x"}) {
    v1::TapRule r;
    r.set_src_cidr(bad);
    EXPECT_THAT(ValidateTapSession(WithRule(r), BaseConfig(), "session."),
                StatusIs(kInvalid, HasSubstr("session.rules[0].src_cidr")))
        << bad;
  }
}

TEST(ValidateTapRuleTest, PrefixesOfTwoFamiliesInOneRuleAreInvalid) {
  v1::TapRule r;
  r.set_src_cidr("10.0.0.0/8");
  r.set_dst_cidr("2001:db8::/32");
  EXPECT_THAT(ValidateTapSession(WithRule(r), BaseConfig(), "session."),
              StatusIs(kInvalid, AllOf(HasSubstr("session.rules[0].dst_cidr"),
                                       HasSubstr("one family"))));
}

TEST(ValidateTapRuleTest, IcmpOfTheOtherFamilyIsInvalid) {
  v1::TapRule r;
  r.set_protocol(1);
  r.set_dst_cidr("2001:db8::/32");
  EXPECT_THAT(ValidateTapSession(WithRule(r), BaseConfig(), "session."),
              StatusIs(kInvalid, AllOf(HasSubstr("session.rules[0].protocol"),
                                       HasSubstr("ICMPv6 is 58"))));
  r.set_protocol(58);
  r.set_dst_cidr("10.0.0.0/8");
  EXPECT_THAT(ValidateTapSession(WithRule(r), BaseConfig(), "session."),
              StatusIs(kInvalid, AllOf(HasSubstr("session.rules[0].protocol"),
                                       HasSubstr("ICMP is 1"))));
}

TEST(ValidateTapRuleTest, ProtocolAbove255IsInvalid) {
  v1::TapRule r;
  r.set_protocol(256);
  EXPECT_THAT(ValidateTapSession(WithRule(r), BaseConfig(), "session."),
              StatusIs(kInvalid, HasSubstr("session.rules[0].protocol")));
}

TEST(ValidateTapRuleTest, UnknownActionAndDirectionAreInvalid) {
  v1::TapRule r;
  r.set_action(static_cast<v1::TapAction>(7));
  EXPECT_THAT(ValidateTapSession(WithRule(r), BaseConfig(), "session."),
              StatusIs(kInvalid, HasSubstr("session.rules[0].action")));
  v1::TapRule d;
  d.set_direction(static_cast<v1::TapDirection>(9));
  EXPECT_THAT(ValidateTapSession(WithRule(d), BaseConfig(), "session."),
              StatusIs(kInvalid, HasSubstr("session.rules[0].direction")));
}

TEST(ValidateTapRuleTest, ErrorInSecondRuleNamesItsIndex) {
  v1::TapSession s = MakeSession("vm-blue", "d-blue");
  s.add_rules()->set_priority(1);
  v1::TapRule* r = s.add_rules();
  r->set_priority(2);
  r->set_dst_cidr("10.0.0.1/8");
  EXPECT_THAT(ValidateTapSession(s, BaseConfig(), "tap_sessions[3]."),
              StatusIs(kInvalid, HasSubstr("tap_sessions[3].rules[1].dst_cidr")));
}

// ---------------------------------------------------------------- whole config

TEST(ValidateConfigTapTest, BaseConfigIsValid) {
  EXPECT_THAT(ValidateConfig(BaseConfig()), IsOk());
}

TEST(ValidateConfigTapTest, CrossTenantSessionInConfigNamesItsIndex) {
  v1::Config c = BaseConfig();
  v1::TapSession s = MakeSession("vm-grey", "d-blue");
  *c.add_tap_sessions() = s;
  EXPECT_THAT(ValidateConfig(c), StatusIs(kDenied, HasSubstr("tap_sessions[1].sources[0]")));
}

// ---------------------------------------------------------------- neighbors

v1::Neighbor MakeNeighbor(const std::string& ip, const std::string& mac) {
  v1::Neighbor n;
  n.set_ip(ip);
  n.set_mac(mac);
  return n;
}

TEST(ValidateNeighborTest, ValidNeighborIsAccepted) {
  EXPECT_THAT(
      ValidateNeighbor(MakeNeighbor("192.0.2.20", "02:00:00:00:00:20"), BaseConfig(), "neighbor."),
      IsOk());
}

TEST(ValidateNeighborTest, NonUnicastIpIsInvalid) {
  EXPECT_THAT(
      ValidateNeighbor(MakeNeighbor("224.0.0.1", "02:00:00:00:00:20"), BaseConfig(), "neighbor."),
      StatusIs(kInvalid, HasSubstr("neighbor.ip")));
}

TEST(ValidateNeighborTest, MulticastMacIsInvalid) {
  EXPECT_THAT(
      ValidateNeighbor(MakeNeighbor("192.0.2.20", "01:00:5e:00:00:01"), BaseConfig(), "neighbor."),
      StatusIs(kInvalid, HasSubstr("neighbor.mac")));
  EXPECT_THAT(
      ValidateNeighbor(MakeNeighbor("192.0.2.20", "00:00:00:00:00:00"), BaseConfig(), "neighbor."),
      StatusIs(kInvalid, HasSubstr("neighbor.mac")));
}

TEST(ValidateNeighborTest, SecondNeighborForIpIsAlreadyExists) {
  EXPECT_THAT(
      ValidateNeighbor(MakeNeighbor("192.0.2.1", "02:00:00:00:00:21"), BaseConfig(), "neighbor."),
      StatusIs(kExists, AllOf(HasSubstr("neighbor.ip"), HasSubstr("192.0.2.1"))));
}

}  // namespace
}  // namespace vswitch::control
