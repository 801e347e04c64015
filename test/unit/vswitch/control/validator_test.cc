// SPDX-License-Identifier: Apache-2.0
#include "vswitch/control/validator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "lib/status/testing/matchers.h"

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

v1::VNet MakeVNet(const std::string& name, uint32_t vni) {
  v1::VNet v;
  v.set_name(name);
  v.set_tenant("tenant-1");
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

v1::VPort MakeUplink(const std::string& name) {
  v1::VPort p;
  p.set_name(name);
  p.set_kind(v1::VPORT_KIND_UPLINK);
  p.set_driver("af_packet:iface=eth0");
  p.mutable_uplink()->set_ip_cidr("192.0.2.10/24");
  p.mutable_uplink()->set_gateway("192.0.2.1");
  p.mutable_uplink()->set_mtu(1500);
  return p;
}

// blue (vni 100) and red (vni 200); vm1 in blue with one MAC; an uplink.
v1::Config BaseConfig() {
  v1::Config c;
  *c.add_vnets() = MakeVNet("blue", 100);
  *c.add_vnets() = MakeVNet("red", 200);
  v1::VPort vm1 = MakeVm("vm1", "blue");
  vm1.add_vm_macs("02:00:00:00:00:01");
  *c.add_vports() = vm1;
  *c.add_vports() = MakeUplink("up0");
  return c;
}

// ---------------------------------------------------------------- names

TEST(ValidateNameTest, AcceptsAllowedCharacters) {
  EXPECT_THAT(ValidateName("x.name", "a-Z_0.9"), IsOk());
}

TEST(ValidateNameTest, EmptyNameIsInvalid) {
  EXPECT_THAT(ValidateName("x.name", ""), StatusIs(kInvalid, HasSubstr("x.name")));
}

TEST(ValidateNameTest, NameOf33CharactersIsInvalid) {
  EXPECT_THAT(ValidateName("x.name", std::string(32, 'a')), IsOk());
  EXPECT_THAT(ValidateName("x.name", std::string(33, 'a')),
              StatusIs(kInvalid, HasSubstr(std::string(33, 'a'))));
}

TEST(ValidateNameTest, NameWithSlashIsInvalid) {
  EXPECT_THAT(ValidateName("x.name", "a/b"),
              StatusIs(kInvalid, AllOf(HasSubstr("x.name"), HasSubstr("'a/b'"))));
}

// ---------------------------------------------------------------- VNet

TEST(ValidateVNetTest, ValidVNetIsAccepted) {
  EXPECT_THAT(ValidateVNet(MakeVNet("green", 300), BaseConfig(), "vnet."), IsOk());
}

TEST(ValidateVNetTest, BadNameNamesField) {
  EXPECT_THAT(ValidateVNet(MakeVNet("bad name", 300), BaseConfig(), "vnet."),
              StatusIs(kInvalid, AllOf(HasSubstr("vnet.name"), HasSubstr("'bad name'"))));
}

TEST(ValidateVNetTest, DuplicateNameIsAlreadyExists) {
  EXPECT_THAT(ValidateVNet(MakeVNet("blue", 300), BaseConfig(), "vnet."),
              StatusIs(kExists, AllOf(HasSubstr("vnet.name"), HasSubstr("'blue'"))));
}

TEST(ValidateVNetTest, EmptyTenantIsInvalid) {
  v1::VNet v = MakeVNet("green", 300);
  v.set_tenant("");
  EXPECT_THAT(ValidateVNet(v, BaseConfig(), "vnet."), StatusIs(kInvalid, HasSubstr("vnet.tenant")));
}

TEST(ValidateVNetTest, TenantWithBadCharacterIsInvalid) {
  v1::VNet v = MakeVNet("green", 300);
  v.set_tenant("acme corp");
  EXPECT_THAT(ValidateVNet(v, BaseConfig(), "vnet."),
              StatusIs(kInvalid, AllOf(HasSubstr("vnet.tenant"), HasSubstr("'acme corp'"))));
}

TEST(ValidateVNetTest, TenantOf65CharactersIsInvalid) {
  v1::VNet v = MakeVNet("green", 300);
  v.set_tenant(std::string(64, 't'));
  EXPECT_THAT(ValidateVNet(v, BaseConfig(), "vnet."), IsOk());
  v.set_tenant(std::string(65, 't'));
  EXPECT_THAT(ValidateVNet(v, BaseConfig(), "vnet."), StatusIs(kInvalid, HasSubstr("vnet.tenant")));
}

TEST(ValidateVNetTest, VniZeroIsInvalid) {
  EXPECT_THAT(ValidateVNet(MakeVNet("green", 0), BaseConfig(), "vnet."),
              StatusIs(kInvalid, AllOf(HasSubstr("vnet.vni"), HasSubstr("0 is not in"))));
}

TEST(ValidateVNetTest, VniAbove24BitsIsInvalid) {
  EXPECT_THAT(ValidateVNet(MakeVNet("green", 16777215), BaseConfig(), "vnet."), IsOk());
  EXPECT_THAT(ValidateVNet(MakeVNet("green", 16777216), BaseConfig(), "vnet."),
              StatusIs(kInvalid, AllOf(HasSubstr("vnet.vni"), HasSubstr("16777216"))));
}

TEST(ValidateVNetTest, VniUsedByOtherVNetIsAlreadyExists) {
  EXPECT_THAT(ValidateVNet(MakeVNet("green", 200), BaseConfig(), "vnet."),
              StatusIs(kExists, AllOf(HasSubstr("vnet.vni"), HasSubstr("'red'"))));
}

TEST(ValidateVNetTest, UnparseablePrefixNamesIndex) {
  v1::VNet v = MakeVNet("green", 300);
  v.add_prefixes("10.0.0.0/24");
  v.add_prefixes("10.1.0.0/33");
  EXPECT_THAT(ValidateVNet(v, BaseConfig(), "vnet."),
              StatusIs(kInvalid, AllOf(HasSubstr("vnet.prefixes[1]"), HasSubstr("33"))));
}

TEST(ValidateVNetTest, PrefixWithHostBitsIsInvalid) {
  v1::VNet v = MakeVNet("green", 300);
  v.add_prefixes("10.0.0.1/24");
  EXPECT_THAT(ValidateVNet(v, BaseConfig(), "vnet."),
              StatusIs(kInvalid, AllOf(HasSubstr("vnet.prefixes[0]"), HasSubstr("host bits"))));
}

TEST(ValidateVNetTest, PeeringWithItselfIsInvalid) {
  v1::VNet v = MakeVNet("green", 300);
  v.add_peers("green");
  EXPECT_THAT(ValidateVNet(v, BaseConfig(), "vnet."),
              StatusIs(kInvalid, HasSubstr("vnet.peers[0]")));
}

TEST(ValidateVNetTest, PeerListedTwiceIsInvalid) {
  v1::VNet v = MakeVNet("green", 300);
  v.add_peers("blue");
  v.add_peers("blue");
  EXPECT_THAT(ValidateVNet(v, BaseConfig(), "vnet."),
              StatusIs(kInvalid, AllOf(HasSubstr("vnet.peers[1]"), HasSubstr("'blue'"))));
}

// ---------------------------------------------------------------- VPort

TEST(ValidateVPortTest, ValidVmIsAccepted) {
  v1::VPort p = MakeVm("vm2", "blue");
  p.add_vm_macs("02:00:00:00:00:02");
  EXPECT_THAT(ValidateVPort(p, BaseConfig(), "vport.", false), IsOk());
}

TEST(ValidateVPortTest, BadNameNamesField) {
  EXPECT_THAT(ValidateVPort(MakeVm("", "blue"), BaseConfig(), "vport.", false),
              StatusIs(kInvalid, HasSubstr("vport.name")));
}

TEST(ValidateVPortTest, DuplicateNameIsAlreadyExists) {
  v1::VPort p = MakeVm("vm1", "blue");
  p.set_driver("tap:iface=other");
  EXPECT_THAT(ValidateVPort(p, BaseConfig(), "vport.", false),
              StatusIs(kExists, AllOf(HasSubstr("vport.name"), HasSubstr("'vm1'"))));
}

TEST(ValidateVPortTest, BadDriverSpecIsInvalidAndNamesDriverField) {
  v1::VPort p = MakeVm("vm2", "blue");
  p.set_driver("tap:iface");
  EXPECT_THAT(ValidateVPort(p, BaseConfig(), "vport.", false),
              StatusIs(kInvalid, AllOf(HasSubstr("vport.driver"), HasSubstr("tap:iface"))));
}

TEST(ValidateVPortTest, UnknownDriverIsInvalid) {
  v1::VPort p = MakeVm("vm2", "blue");
  p.set_driver("vdpa:path=/tmp/x");
  EXPECT_THAT(ValidateVPort(p, BaseConfig(), "vport.", false),
              StatusIs(kInvalid, AllOf(HasSubstr("vport.driver"), HasSubstr("'vdpa'"))));
}

TEST(ValidateVPortTest, DriverSpecUsedByOtherVportIsAlreadyExists) {
  v1::VPort p = MakeVm("vm2", "blue");
  p.set_driver("tap:iface=vm1");
  EXPECT_THAT(ValidateVPort(p, BaseConfig(), "vport.", false),
              StatusIs(kExists, AllOf(HasSubstr("vport.driver"), HasSubstr("'vm1'"))));
}

TEST(ValidateVPortTest, ArgumentlessDriverMayRepeat) {
  v1::Config c = BaseConfig();
  c.mutable_vports(0)->set_driver("null");
  v1::VPort p = MakeVm("vm2", "blue");
  p.set_driver("null");
  EXPECT_THAT(ValidateVPort(p, c, "vport.", false), IsOk());
}

TEST(ValidateVPortTest, MoreThan16QueuesIsInvalid) {
  v1::VPort p = MakeVm("vm2", "blue");
  p.set_queues(16);
  EXPECT_THAT(ValidateVPort(p, BaseConfig(), "vport.", false), IsOk());
  p.set_queues(17);
  EXPECT_THAT(ValidateVPort(p, BaseConfig(), "vport.", false),
              StatusIs(kInvalid, AllOf(HasSubstr("vport.queues"), HasSubstr("17"))));
}

TEST(ValidateVPortTest, UnknownAdminStateIsInvalid) {
  v1::VPort p = MakeVm("vm2", "blue");
  p.set_admin_state(static_cast<v1::AdminState>(7));
  EXPECT_THAT(ValidateVPort(p, BaseConfig(), "vport.", false),
              StatusIs(kInvalid, AllOf(HasSubstr("vport.admin_state"), HasSubstr("7"))));
}

TEST(ValidateVPortTest, UnknownKindIsInvalid) {
  v1::VPort p = MakeVm("vm2", "blue");
  p.set_kind(v1::VPORT_KIND_UNSPECIFIED);
  EXPECT_THAT(ValidateVPort(p, BaseConfig(), "vport.", false),
              StatusIs(kInvalid, HasSubstr("vport.kind")));
}

TEST(ValidateVPortTest, VmWithUplinkSettingsIsInvalid) {
  v1::VPort p = MakeVm("vm2", "blue");
  p.mutable_uplink()->set_ip_cidr("192.0.2.10/24");
  EXPECT_THAT(ValidateVPort(p, BaseConfig(), "vport.", false),
              StatusIs(kInvalid, HasSubstr("vport.uplink")));
}

TEST(ValidateVPortTest, VmWithoutVnetIsInvalid) {
  EXPECT_THAT(ValidateVPort(MakeVm("vm2", ""), BaseConfig(), "vport.", false),
              StatusIs(kInvalid, HasSubstr("vport.vnet")));
}

TEST(ValidateVPortTest, VmInUnknownVnetIsNotFound) {
  EXPECT_THAT(ValidateVPort(MakeVm("vm2", "green"), BaseConfig(), "vport.", false),
              StatusIs(kNotFound, AllOf(HasSubstr("vport.vnet"), HasSubstr("'green'"))));
}

TEST(ValidateVPortTest, UnparseableVmMacNamesIndexAndValue) {
  v1::VPort p = MakeVm("vm2", "blue");
  p.add_vm_macs("zz:00:00:00:00:02");
  EXPECT_THAT(
      ValidateVPort(p, BaseConfig(), "vport.", false),
      StatusIs(kInvalid, AllOf(HasSubstr("vport.vm_macs[0]"), HasSubstr("zz:00:00:00:00:02"))));
}

TEST(ValidateVPortTest, MulticastVmMacIsInvalid) {
  v1::VPort p = MakeVm("vm2", "blue");
  p.add_vm_macs("02:00:00:00:00:02");
  p.add_vm_macs("01:00:5e:00:00:01");
  EXPECT_THAT(ValidateVPort(p, BaseConfig(), "vport.", false),
              StatusIs(kInvalid, AllOf(HasSubstr("vport.vm_macs[1]"), HasSubstr("unicast"))));
}

TEST(ValidateVPortTest, ZeroVmMacIsInvalid) {
  v1::VPort p = MakeVm("vm2", "blue");
  p.add_vm_macs("00:00:00:00:00:00");
  EXPECT_THAT(ValidateVPort(p, BaseConfig(), "vport.", false),
              StatusIs(kInvalid, HasSubstr("vport.vm_macs[0]")));
}

TEST(ValidateVPortTest, VmMacListedTwiceIsInvalid) {
  v1::VPort p = MakeVm("vm2", "blue");
  p.add_vm_macs("02:00:00:00:00:02");
  p.add_vm_macs("02-00-00-00-00-02");  // Same MAC, other spelling.
  EXPECT_THAT(ValidateVPort(p, BaseConfig(), "vport.", false),
              StatusIs(kInvalid, AllOf(HasSubstr("vport.vm_macs[1]"), HasSubstr("twice"))));
}

TEST(ValidateVPortTest, VmMacOfOtherVportInSameVnetIsAlreadyExists) {
  v1::VPort p = MakeVm("vm2", "blue");
  p.add_vm_macs("02:00:00:00:00:01");
  EXPECT_THAT(ValidateVPort(p, BaseConfig(), "vport.", false),
              StatusIs(kExists, AllOf(HasSubstr("vport.vm_macs[0]"), HasSubstr("'vm1'"))));
}

TEST(ValidateVPortTest, VmMacOfVportInOtherVnetIsAccepted) {
  v1::VPort p = MakeVm("vm2", "red");
  p.add_vm_macs("02:00:00:00:00:01");
  EXPECT_THAT(ValidateVPort(p, BaseConfig(), "vport.", false), IsOk());
}

TEST(ValidateVPortTest, VmMacOfStaticFdbEntryIsAlreadyExists) {
  v1::Config c = BaseConfig();
  auto* e = c.add_fdb();
  e->set_vnet("blue");
  e->set_mac("02:00:00:00:00:09");
  e->set_vport("vm1");
  v1::VPort p = MakeVm("vm2", "blue");
  p.add_vm_macs("02:00:00:00:00:09");
  EXPECT_THAT(ValidateVPort(p, c, "vport.", false),
              StatusIs(kExists, HasSubstr("vport.vm_macs[0]")));
}

// ---------------------------------------------------------------- uplink

v1::Config ConfigWithoutUplink() {
  v1::Config c = BaseConfig();
  c.mutable_vports()->RemoveLast();
  return c;
}

TEST(ValidateUplinkTest, ValidUplinkIsAccepted) {
  EXPECT_THAT(ValidateVPort(MakeUplink("up1"), ConfigWithoutUplink(), "vport.", false), IsOk());
}

TEST(ValidateUplinkTest, SecondUplinkIsFailedPrecondition) {
  v1::VPort p = MakeUplink("up1");
  p.set_driver("af_packet:iface=eth1");
  EXPECT_THAT(ValidateVPort(p, BaseConfig(), "vport.", false),
              StatusIs(kPrecondition, AllOf(HasSubstr("vport.kind"), HasSubstr("'up0'"))));
}

TEST(ValidateUplinkTest, UplinkInVnetIsInvalid) {
  v1::VPort p = MakeUplink("up1");
  p.set_vnet("blue");
  EXPECT_THAT(ValidateVPort(p, ConfigWithoutUplink(), "vport.", false),
              StatusIs(kInvalid, HasSubstr("vport.vnet")));
}

TEST(ValidateUplinkTest, UplinkWithVmMacsIsInvalid) {
  v1::VPort p = MakeUplink("up1");
  p.add_vm_macs("02:00:00:00:00:05");
  EXPECT_THAT(ValidateVPort(p, ConfigWithoutUplink(), "vport.", false),
              StatusIs(kInvalid, HasSubstr("vport.vm_macs")));
}

TEST(ValidateUplinkTest, UplinkWithoutSettingsIsInvalid) {
  v1::VPort p = MakeUplink("up1");
  p.clear_uplink();
  EXPECT_THAT(ValidateVPort(p, ConfigWithoutUplink(), "vport.", false),
              StatusIs(kInvalid, HasSubstr("vport.uplink")));
}

TEST(ValidateUplinkTest, UnparseableIpCidrIsInvalid) {
  v1::VPort p = MakeUplink("up1");
  p.mutable_uplink()->set_ip_cidr("192.0.2.300/24");
  EXPECT_THAT(
      ValidateVPort(p, ConfigWithoutUplink(), "vport.", false),
      StatusIs(kInvalid, AllOf(HasSubstr("vport.uplink.ip_cidr"), HasSubstr("192.0.2.300"))));
}

TEST(ValidateUplinkTest, NetworkAddressAsIpCidrIsInvalid) {
  v1::VPort p = MakeUplink("up1");
  p.mutable_uplink()->set_ip_cidr("192.0.2.0/24");
  EXPECT_THAT(
      ValidateVPort(p, ConfigWithoutUplink(), "vport.", false),
      StatusIs(kInvalid, AllOf(HasSubstr("vport.uplink.ip_cidr"), HasSubstr("192.0.2.0/24"))));
}

TEST(ValidateUplinkTest, HostRouteIpCidrIsInvalid) {
  v1::VPort p = MakeUplink("up1");
  p.mutable_uplink()->set_ip_cidr("192.0.2.10/32");
  p.mutable_uplink()->clear_gateway();
  EXPECT_THAT(ValidateVPort(p, ConfigWithoutUplink(), "vport.", false),
              StatusIs(kInvalid, HasSubstr("vport.uplink.ip_cidr")));
}

// The rule is "a host address"; the broadcast address of the prefix is not one.
TEST(ValidateUplinkTest, BroadcastAddressAsIpCidrIsInvalid) {
  v1::VPort p = MakeUplink("up1");
  p.mutable_uplink()->set_ip_cidr("192.0.2.255/24");
  EXPECT_THAT(
      ValidateVPort(p, ConfigWithoutUplink(), "vport.", false),
      StatusIs(kInvalid, AllOf(HasSubstr("vport.uplink.ip_cidr"), HasSubstr("192.0.2.255/24"))));
}

TEST(ValidateUplinkTest, UnparseableGatewayIsInvalid) {
  v1::VPort p = MakeUplink("up1");
  p.mutable_uplink()->set_gateway("gw");
  EXPECT_THAT(ValidateVPort(p, ConfigWithoutUplink(), "vport.", false),
              StatusIs(kInvalid, AllOf(HasSubstr("vport.uplink.gateway"), HasSubstr("'gw'"))));
}

TEST(ValidateUplinkTest, GatewayOutsidePrefixIsInvalid) {
  v1::VPort p = MakeUplink("up1");
  p.mutable_uplink()->set_gateway("198.51.100.1");
  EXPECT_THAT(
      ValidateVPort(p, ConfigWithoutUplink(), "vport.", false),
      StatusIs(kInvalid, AllOf(HasSubstr("vport.uplink.gateway"), HasSubstr("198.51.100.1"))));
}

TEST(ValidateUplinkTest, GatewayEqualToOwnAddressIsInvalid) {
  v1::VPort p = MakeUplink("up1");
  p.mutable_uplink()->set_gateway("192.0.2.10");
  EXPECT_THAT(ValidateVPort(p, ConfigWithoutUplink(), "vport.", false),
              StatusIs(kInvalid, HasSubstr("vport.uplink.gateway")));
}

TEST(ValidateUplinkTest, MtuOutOfRangeIsInvalid) {
  v1::VPort p = MakeUplink("up1");
  p.mutable_uplink()->set_mtu(575);
  EXPECT_THAT(ValidateVPort(p, ConfigWithoutUplink(), "vport.", false),
              StatusIs(kInvalid, AllOf(HasSubstr("vport.uplink.mtu"), HasSubstr("575"))));
  p.mutable_uplink()->set_mtu(9001);
  EXPECT_THAT(ValidateVPort(p, ConfigWithoutUplink(), "vport.", false),
              StatusIs(kInvalid, AllOf(HasSubstr("vport.uplink.mtu"), HasSubstr("9001"))));
}

// ---------------------------------------------------------------- FDB

v1::FdbEntry MakeFdb(const std::string& vnet, const std::string& mac, const std::string& vport) {
  v1::FdbEntry e;
  e.set_vnet(vnet);
  e.set_mac(mac);
  e.set_vport(vport);
  return e;
}

TEST(ValidateFdbEntryTest, ValidEntryIsAccepted) {
  EXPECT_THAT(ValidateFdbEntry(MakeFdb("blue", "02:00:00:00:00:09", "vm1"), BaseConfig(), "entry."),
              IsOk());
}

TEST(ValidateFdbEntryTest, UnknownVnetIsNotFound) {
  EXPECT_THAT(
      ValidateFdbEntry(MakeFdb("green", "02:00:00:00:00:09", "vm1"), BaseConfig(), "entry."),
      StatusIs(kNotFound, AllOf(HasSubstr("entry.vnet"), HasSubstr("'green'"))));
}

TEST(ValidateFdbEntryTest, BadMacIsInvalid) {
  EXPECT_THAT(ValidateFdbEntry(MakeFdb("blue", "02:00:00:00:00", "vm1"), BaseConfig(), "entry."),
              StatusIs(kInvalid, AllOf(HasSubstr("entry.mac"), HasSubstr("02:00:00:00:00"))));
}

TEST(ValidateFdbEntryTest, BroadcastMacIsInvalid) {
  EXPECT_THAT(ValidateFdbEntry(MakeFdb("blue", "ff:ff:ff:ff:ff:ff", "vm1"), BaseConfig(), "entry."),
              StatusIs(kInvalid, HasSubstr("entry.mac")));
}

TEST(ValidateFdbEntryTest, UnknownVportIsNotFound) {
  EXPECT_THAT(ValidateFdbEntry(MakeFdb("blue", "02:00:00:00:00:09", "vm9"), BaseConfig(), "entry."),
              StatusIs(kNotFound, AllOf(HasSubstr("entry.vport"), HasSubstr("'vm9'"))));
}

TEST(ValidateFdbEntryTest, VportOfOtherVnetIsFailedPrecondition) {
  EXPECT_THAT(ValidateFdbEntry(MakeFdb("red", "02:00:00:00:00:09", "vm1"), BaseConfig(), "entry."),
              StatusIs(kPrecondition, AllOf(HasSubstr("entry.vport"), HasSubstr("'red'"))));
}

TEST(ValidateFdbEntryTest, MacAlreadyStaticIsAlreadyExists) {
  EXPECT_THAT(ValidateFdbEntry(MakeFdb("blue", "02:00:00:00:00:01", "vm1"), BaseConfig(), "entry."),
              StatusIs(kExists, AllOf(HasSubstr("entry.mac"), HasSubstr("'vm1'"))));
}

// ---------------------------------------------------------------- whole config

TEST(ValidateConfigTest, BaseConfigIsValid) { EXPECT_THAT(ValidateConfig(BaseConfig()), IsOk()); }

TEST(ValidateConfigTest, EmptyConfigIsValid) { EXPECT_THAT(ValidateConfig(v1::Config()), IsOk()); }

TEST(ValidateConfigTest, DuplicateVnetNameNamesSecondIndex) {
  v1::Config c = BaseConfig();
  *c.add_vnets() = MakeVNet("blue", 300);
  EXPECT_THAT(ValidateConfig(c), StatusIs(kExists, HasSubstr("vnets[2].name")));
}

TEST(ValidateConfigTest, BadVniNamesIndex) {
  v1::Config c = BaseConfig();
  c.mutable_vnets(1)->set_vni(0);
  EXPECT_THAT(ValidateConfig(c), StatusIs(kInvalid, HasSubstr("vnets[1].vni")));
}

TEST(ValidateConfigTest, SymmetricPeeringWithLaterVnetIsValid) {
  v1::Config c = BaseConfig();
  c.mutable_vnets(0)->add_peers("red");
  c.mutable_vnets(1)->add_peers("blue");
  EXPECT_THAT(ValidateConfig(c), IsOk());
}

TEST(ValidateConfigTest, PeerThatDoesNotExistIsNotFound) {
  v1::Config c = BaseConfig();
  c.mutable_vnets(1)->add_peers("green");
  EXPECT_THAT(ValidateConfig(c),
              StatusIs(kNotFound, AllOf(HasSubstr("vnets[1].peers[0]"), HasSubstr("'green'"))));
}

TEST(ValidateConfigTest, OneSidedPeeringIsInvalid) {
  v1::Config c = BaseConfig();
  c.mutable_vnets(0)->add_peers("red");
  EXPECT_THAT(ValidateConfig(c),
              StatusIs(kInvalid, AllOf(HasSubstr("vnets[0].peers[0]"), HasSubstr("symmetric"))));
}

TEST(ValidateConfigTest, VportInUnknownVnetNamesIndex) {
  v1::Config c = BaseConfig();
  *c.add_vports() = MakeVm("vm2", "green");
  EXPECT_THAT(ValidateConfig(c),
              StatusIs(kNotFound, AllOf(HasSubstr("vports[2].vnet"), HasSubstr("'green'"))));
}

TEST(ValidateConfigTest, VportInUnknownVnetAtIndexOneNamesIndexOne) {
  v1::Config c = BaseConfig();
  c.mutable_vports(1)->Clear();
  *c.mutable_vports(1) = MakeVm("vm2", "nope");
  EXPECT_THAT(ValidateConfig(c), StatusIs(kNotFound, HasSubstr("vports[1].vnet")));
}

TEST(ValidateConfigTest, SecondUplinkIsFailedPrecondition) {
  v1::Config c = BaseConfig();
  v1::VPort up = MakeUplink("up1");
  up.set_driver("af_packet:iface=eth1");
  *c.add_vports() = up;
  EXPECT_THAT(ValidateConfig(c), StatusIs(kPrecondition, HasSubstr("vports[2].kind")));
}

TEST(ValidateConfigTest, DuplicateVportNameIsAlreadyExists) {
  v1::Config c = BaseConfig();
  v1::VPort p = MakeVm("vm1", "red");
  p.set_driver("tap:iface=other");
  *c.add_vports() = p;
  EXPECT_THAT(ValidateConfig(c), StatusIs(kExists, HasSubstr("vports[2].name")));
}

TEST(ValidateConfigTest, BadDriverSpecIsInvalid) {
  v1::Config c = BaseConfig();
  c.mutable_vports(0)->set_driver("tap:iface=a,");
  EXPECT_THAT(ValidateConfig(c), StatusIs(kInvalid, HasSubstr("vports[0].driver")));
}

TEST(ValidateConfigTest, FdbEntryDuplicatingVmMacNamesIndex) {
  v1::Config c = BaseConfig();
  *c.add_fdb() = MakeFdb("blue", "02:00:00:00:00:08", "vm1");
  *c.add_fdb() = MakeFdb("blue", "02:00:00:00:00:01", "vm1");
  EXPECT_THAT(ValidateConfig(c), StatusIs(kExists, HasSubstr("fdb[1].mac")));
}

TEST(ValidateConfigTest, TwoFdbEntriesForSameMacConflict) {
  v1::Config c = BaseConfig();
  *c.add_fdb() = MakeFdb("blue", "02:00:00:00:00:08", "vm1");
  *c.add_fdb() = MakeFdb("blue", "02:00:00:00:00:08", "vm1");
  EXPECT_THAT(ValidateConfig(c), StatusIs(kExists, HasSubstr("fdb[1].mac")));
}

// ---------------------------------------------------------------- port security

// vm2 in blue (prefix 10.1.0.0/24 when `prefixed`) with `ips`.
v1::Config PortSecurityConfig(bool prefixed) {
  v1::Config c = BaseConfig();
  if (prefixed) {
    c.mutable_vnets(0)->add_prefixes("10.1.0.0/24");
  }
  c.mutable_vports(0)->add_ips("10.1.0.1");
  return c;
}

v1::VPort VmWithIps(const std::vector<std::string>& ips) {
  v1::VPort p = MakeVm("vm2", "blue");
  p.add_vm_macs("02:00:00:00:00:02");
  for (const auto& ip : ips) {
    p.add_ips(ip);
  }
  return p;
}

TEST(ValidatePortSecurityTest, AddressesInsideThePrefixAreAccepted) {
  EXPECT_THAT(ValidateVPort(VmWithIps({"10.1.0.2", "10.1.0.3"}), PortSecurityConfig(true),
                            "vport.", false),
              IsOk());
}

TEST(ValidatePortSecurityTest, AnyUnicastAddressIsAcceptedInVnetWithoutPrefixes) {
  EXPECT_THAT(ValidateVPort(VmWithIps({"192.0.2.7"}), PortSecurityConfig(false), "vport.", false),
              IsOk());
}

TEST(ValidatePortSecurityTest, UnparsableAddressNamesIndex) {
  EXPECT_THAT(ValidateVPort(VmWithIps({"10.1.0.2", "10.1.0"}), PortSecurityConfig(true), "vport.",
                            false),
              StatusIs(kInvalid, HasSubstr("vport.ips[1]")));
}

TEST(ValidatePortSecurityTest, NonUnicastAddressIsInvalid) {
  for (const char* ip : {"0.0.0.0", "255.255.255.255", "224.0.0.1", "127.0.0.1"}) {
    SCOPED_TRACE(ip);
    EXPECT_THAT(ValidateVPort(VmWithIps({ip}), PortSecurityConfig(false), "vport.", false),
                StatusIs(kInvalid, AllOf(HasSubstr("vport.ips[0]"), HasSubstr(ip))));
  }
}

TEST(ValidatePortSecurityTest, AddressListedTwiceIsInvalid) {
  EXPECT_THAT(ValidateVPort(VmWithIps({"10.1.0.2", "10.1.0.2"}), PortSecurityConfig(true),
                            "vport.", false),
              StatusIs(kInvalid, AllOf(HasSubstr("vport.ips[1]"), HasSubstr("twice"))));
}

TEST(ValidatePortSecurityTest, AddressOutsideTheVnetPrefixesIsInvalid) {
  EXPECT_THAT(ValidateVPort(VmWithIps({"10.2.0.2"}), PortSecurityConfig(true), "vport.", false),
              StatusIs(kInvalid, AllOf(HasSubstr("vport.ips[0]"), HasSubstr("outside"),
                                       HasSubstr("'blue'"))));
}

TEST(ValidatePortSecurityTest, AddressOfAnotherVportOfTheVnetIsAlreadyExists) {
  EXPECT_THAT(ValidateVPort(VmWithIps({"10.1.0.1"}), PortSecurityConfig(true), "vport.", false),
              StatusIs(kExists, AllOf(HasSubstr("vport.ips[0]"), HasSubstr("'vm1'"))));
}

TEST(ValidatePortSecurityTest, SameAddressInAnotherVnetIsAccepted) {
  v1::VPort p = MakeVm("vm2", "red");
  p.add_ips("10.1.0.1");
  EXPECT_THAT(ValidateVPort(p, PortSecurityConfig(false), "vport.", false), IsOk());
}

TEST(ValidatePortSecurityTest, NineAddressesAreTooMany) {
  std::vector<std::string> ips;
  for (int i = 2; i < 11; ++i) {
    ips.push_back("10.1.0." + std::to_string(i));
  }
  EXPECT_THAT(ValidateVPort(VmWithIps(ips), PortSecurityConfig(true), "vport.", false),
              StatusIs(kInvalid, AllOf(HasSubstr("vport.ips"), HasSubstr("at most 8"))));
}

TEST(ValidatePortSecurityTest, NineMacsNeedPortSecurityOff) {
  v1::VPort p = MakeVm("vm2", "blue");
  for (int i = 0; i < 9; ++i) {
    p.add_vm_macs("02:00:00:00:01:0" + std::to_string(i));
  }
  EXPECT_THAT(ValidateVPort(p, BaseConfig(), "vport.", false),
              StatusIs(kInvalid, AllOf(HasSubstr("vport.vm_macs"), HasSubstr("at most 8"),
                                       HasSubstr("port_security_disabled"))));
  p.set_port_security_disabled(true);
  EXPECT_THAT(ValidateVPort(p, BaseConfig(), "vport.", false), IsOk());
}

TEST(ValidatePortSecurityTest, UplinkTakesNoAddresses) {
  v1::Config c = BaseConfig();
  c.mutable_vports()->RemoveLast();
  v1::VPort up = MakeUplink("up1");
  up.add_ips("10.1.0.9");
  EXPECT_THAT(ValidateVPort(up, c, "vport.", false), StatusIs(kInvalid, HasSubstr("vport.ips")));
}

TEST(ValidatePortSecurityTest, DuplicateAddressInWholeConfigNamesSecondVport) {
  v1::Config c = PortSecurityConfig(true);
  *c.add_vports() = VmWithIps({"10.1.0.1"});
  EXPECT_THAT(ValidateConfig(c), StatusIs(kExists, HasSubstr("vports[2].ips[0]")));
}


// ---------------------------------------------------------- remote ports

v1::RemotePort MakeRemote(const std::string& vnet, const std::string& mac,
                          const std::string& vtep) {
  v1::RemotePort r;
  r.set_vnet(vnet);
  r.set_mac(mac);
  r.set_vtep(vtep);
  return r;
}

// BaseConfig plus vm1's address, a prefix on blue, a static entry and one
// remote port.
v1::Config RemoteBase() {
  v1::Config c = BaseConfig();
  c.mutable_vnets(0)->add_prefixes("10.1.0.0/24");
  c.mutable_vports(0)->add_ips("10.1.0.1");
  v1::FdbEntry* e = c.add_fdb();
  e->set_vnet("blue");
  e->set_mac("02:00:00:00:00:aa");
  e->set_vport("vm1");
  v1::RemotePort r = MakeRemote("blue", "02:00:00:00:01:01", "192.0.2.20");
  r.add_ips("10.1.0.20");
  *c.add_remote_ports() = r;
  return c;
}

TEST(ValidateRemotePortTest, ValidPortIsAccepted) {
  v1::RemotePort r = MakeRemote("blue", "02:00:00:00:01:02", "198.51.100.7");
  r.add_ips("10.1.0.21");
  r.add_ips("10.1.0.22");
  EXPECT_THAT(ValidateRemotePort(r, RemoteBase(), "port."), IsOk());
  EXPECT_THAT(ValidateConfig(RemoteBase()), IsOk());
}

TEST(ValidateRemotePortTest, VnetMustExist) {
  EXPECT_THAT(ValidateRemotePort(MakeRemote("green", "02:00:00:00:01:02", "192.0.2.20"),
                                 RemoteBase(), "port."),
              StatusIs(kNotFound, HasSubstr("port.vnet")));
  EXPECT_THAT(ValidateRemotePort(MakeRemote("", "02:00:00:00:01:02", "192.0.2.20"), RemoteBase(),
                                 "port."),
              StatusIs(kInvalid, HasSubstr("port.vnet")));
}

TEST(ValidateRemotePortTest, MacMustBeUnicast) {
  for (const char* mac : {"01:00:5e:00:00:01", "00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff", "zz"}) {
    EXPECT_THAT(ValidateRemotePort(MakeRemote("blue", mac, "192.0.2.20"), RemoteBase(), "port."),
                StatusIs(kInvalid, HasSubstr("port.mac")))
        << mac;
  }
}

TEST(ValidateRemotePortTest, MacMustBeUniqueInTheVnet) {
  const v1::Config c = RemoteBase();
  // A vport's VM MAC, a static entry, another remote port.
  for (const char* mac : {"02:00:00:00:00:01", "02:00:00:00:00:AA", "02:00:00:00:01:01"}) {
    EXPECT_THAT(ValidateRemotePort(MakeRemote("blue", mac, "192.0.2.21"), c, "port."),
                StatusIs(kExists, HasSubstr("port.mac")))
        << mac;
    // Fine in another VNet.
    EXPECT_THAT(ValidateRemotePort(MakeRemote("red", mac, "192.0.2.21"), c, "port."), IsOk());
  }
}

TEST(ValidateRemotePortTest, IpsAreCheckedAndUniqueInTheVnet) {
  const v1::Config c = RemoteBase();
  auto with_ip = [](const std::string& vnet, const std::string& ip) {
    v1::RemotePort r = MakeRemote(vnet, "02:00:00:00:01:09", "192.0.2.21");
    r.add_ips("10.1.0.50");
    r.add_ips(ip);
    return r;
  };
  EXPECT_THAT(ValidateRemotePort(with_ip("blue", "10.1.0.300"), c, "port."),
              StatusIs(kInvalid, HasSubstr("port.ips[1]")));
  EXPECT_THAT(ValidateRemotePort(with_ip("blue", "224.0.0.5"), c, "port."),
              StatusIs(kInvalid, HasSubstr("port.ips[1]")));
  EXPECT_THAT(ValidateRemotePort(with_ip("blue", "10.1.0.50"), c, "port."),
              StatusIs(kInvalid, AllOf(HasSubstr("port.ips[1]"), HasSubstr("twice"))));
  EXPECT_THAT(ValidateRemotePort(with_ip("blue", "10.2.0.1"), c, "port."),
              StatusIs(kInvalid, AllOf(HasSubstr("port.ips[1]"), HasSubstr("outside"))));
  // vm1's address, another remote port's address.
  EXPECT_THAT(ValidateRemotePort(with_ip("blue", "10.1.0.1"), c, "port."),
              StatusIs(kExists, AllOf(HasSubstr("port.ips[1]"), HasSubstr("vm1"))));
  EXPECT_THAT(ValidateRemotePort(with_ip("blue", "10.1.0.20"), c, "port."),
              StatusIs(kExists, HasSubstr("port.ips[1]")));
  // red has no prefixes and none of these addresses.
  EXPECT_THAT(ValidateRemotePort(with_ip("red", "10.1.0.1"), c, "port."), IsOk());
  v1::RemotePort many = MakeRemote("red", "02:00:00:00:01:09", "192.0.2.21");
  for (int i = 1; i <= 9; ++i) {
    many.add_ips(absl::StrFormat("10.9.0.%d", i));
  }
  EXPECT_THAT(ValidateRemotePort(many, c, "port."), StatusIs(kInvalid, HasSubstr("port.ips")));
}

TEST(ValidateRemotePortTest, VtepMustBeARemoteUnicastAddress) {
  const v1::Config c = RemoteBase();
  for (const char* vtep : {"", "x", "0.0.0.0", "127.0.0.1", "224.0.0.1", "239.1.1.1",
                           "255.255.255.255", "240.0.0.1", "192.0.2.10"}) {
    EXPECT_THAT(ValidateRemotePort(MakeRemote("blue", "02:00:00:00:01:09", vtep), c, "port."),
                StatusIs(kInvalid, HasSubstr("port.vtep")))
        << vtep;
  }
  // Without an uplink, .10 is just another host.
  v1::Config no_uplink = c;
  no_uplink.mutable_vports()->RemoveLast();
  EXPECT_THAT(ValidateRemotePort(MakeRemote("blue", "02:00:00:00:01:09", "192.0.2.10"), no_uplink,
                                 "port."),
              IsOk());
}

TEST(ValidateRemotePortTest, AtMost4096Vteps) {
  v1::Config c = BaseConfig();
  for (int i = 0; i < 4096; ++i) {
    v1::RemotePort* r = c.add_remote_ports();
    r->set_vnet("red");
    r->set_mac(absl::StrFormat("02:00:00:01:%02x:%02x", i >> 8, i & 0xff));
    r->set_vtep(absl::StrFormat("10.200.%d.%d", i >> 8, (i & 0xff) + 0));
  }
  // 10.200.x.0 is fine as a host (not a prefix); every VTEP is distinct.
  ASSERT_THAT(ValidateConfig(c), IsOk());
  EXPECT_THAT(ValidateRemotePort(MakeRemote("red", "02:00:00:02:00:00", "10.201.0.1"), c, "port."),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("port.vtep")));
  // A VTEP already in use is no new one.
  EXPECT_THAT(ValidateRemotePort(MakeRemote("red", "02:00:00:02:00:00", "10.200.0.1"), c, "port."),
              IsOk());
  *c.add_remote_ports() = MakeRemote("red", "02:00:00:02:00:00", "10.201.0.1");
  EXPECT_THAT(ValidateConfig(c),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("remote_ports[4096].vtep")));
}

TEST(ValidateRemotePortTest, ConfigErrorsNameTheRemotePort) {
  v1::Config c = RemoteBase();
  *c.add_remote_ports() = MakeRemote("blue", "02:00:00:00:01:01", "192.0.2.22");
  EXPECT_THAT(ValidateConfig(c), StatusIs(kExists, HasSubstr("remote_ports[1].mac")));
  c.mutable_remote_ports(1)->set_mac("02:00:00:00:00:01");  // vm1's, declared before.
  EXPECT_THAT(ValidateConfig(c), StatusIs(kExists, HasSubstr("remote_ports[1].mac")));
  c.mutable_remote_ports(1)->set_vnet("nope");
  EXPECT_THAT(ValidateConfig(c), StatusIs(kNotFound, HasSubstr("remote_ports[1].vnet")));
}

TEST(ValidateRemotePortTest, VportAndFdbEntryCannotTakeARemotePortsMacOrIp) {
  const v1::Config c = RemoteBase();
  v1::VPort vm = MakeVm("vm9", "blue");
  vm.add_vm_macs("02:00:00:00:01:01");
  EXPECT_THAT(ValidateVPort(vm, c, "vport.", false),
              StatusIs(kExists, HasSubstr("vport.vm_macs[0]")));
  vm.set_vm_macs(0, "02:00:00:00:01:99");
  vm.add_ips("10.1.0.20");
  EXPECT_THAT(ValidateVPort(vm, c, "vport.", false), StatusIs(kExists, HasSubstr("vport.ips[0]")));
  v1::FdbEntry e;
  e.set_vnet("blue");
  e.set_mac("02:00:00:00:01:01");
  e.set_vport("vm1");
  EXPECT_THAT(ValidateFdbEntry(e, c, "entry."), StatusIs(kExists, HasSubstr("entry.mac")));
}

}  // namespace
}  // namespace vswitch::control
