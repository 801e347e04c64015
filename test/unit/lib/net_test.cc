// SPDX-License-Identifier: Apache-2.0
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lib/net/ipv4.h"
#include "lib/net/ipv6.h"
#include "lib/net/mac_address.h"
#include "lib/status/testing/matchers.h"

namespace vswitch::net {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using vswitch::testing::IsOk;
using vswitch::testing::StatusIs;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

TEST(ParseMacTest, ParsesColonSeparatedHex) {
  auto mac = ParseMac("02:1a:2b:3c:4d:5e");
  ASSERT_THAT(mac, IsOk());
  EXPECT_THAT(mac->bytes, ElementsAre(0x02, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e));
}

TEST(ParseMacTest, AcceptsUpperCaseAndDashes) {
  auto mac = ParseMac("02-1A-2B-3C-4D-5E");
  ASSERT_THAT(mac, IsOk());
  EXPECT_THAT(mac->bytes, ElementsAre(0x02, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e));
}

TEST(ParseMacTest, WrongLengthIsInvalidAndNamesValue) {
  EXPECT_THAT(ParseMac("02:00:00:00:00"), StatusIs(kInvalid, HasSubstr("'02:00:00:00:00'")));
  EXPECT_THAT(ParseMac("02:00:00:00:00:000"), StatusIs(kInvalid, HasSubstr("not a MAC")));
  EXPECT_THAT(ParseMac(""), StatusIs(kInvalid, HasSubstr("not a MAC")));
}

TEST(ParseMacTest, NonHexDigitIsInvalid) {
  EXPECT_THAT(ParseMac("02:00:00:00:00:0g"), StatusIs(kInvalid, HasSubstr("'02:00:00:00:00:0g'")));
}

TEST(ParseMacTest, WrongSeparatorIsInvalid) {
  EXPECT_THAT(ParseMac("02.00.00.00.00.01"), StatusIs(kInvalid, HasSubstr("not a MAC")));
}

TEST(MacAddressTest, MulticastBitIsLowBitOfFirstByte) {
  EXPECT_TRUE(ParseMac("01:00:5e:00:00:01")->IsMulticast());
  EXPECT_TRUE(ParseMac("ff:ff:ff:ff:ff:ff")->IsMulticast());
  EXPECT_FALSE(ParseMac("02:00:00:00:00:01")->IsMulticast());
}

TEST(MacAddressTest, IsZeroOnlyForAllZero) {
  EXPECT_TRUE(ParseMac("00:00:00:00:00:00")->IsZero());
  EXPECT_FALSE(ParseMac("00:00:00:00:00:01")->IsZero());
}

TEST(MacAddressTest, ToU64IsBigEndian) {
  EXPECT_EQ(ParseMac("01:02:03:04:05:06")->ToU64(), 0x010203040506u);
}

TEST(MacAddressTest, FormatRoundTrips) {
  EXPECT_EQ(FormatMac(*ParseMac("02:1A:2b:3C:4d:5E")), "02:1a:2b:3c:4d:5e");
}

TEST(ParseIpv4Test, ParsesDottedQuadToHostOrder) {
  auto ip = ParseIpv4("192.0.2.10");
  ASSERT_THAT(ip, IsOk());
  EXPECT_EQ(*ip, 0xc000020au);
}

TEST(ParseIpv4Test, OutOfRangeOctetIsInvalid) {
  EXPECT_THAT(ParseIpv4("192.0.2.256"), StatusIs(kInvalid, HasSubstr("'192.0.2.256'")));
}

TEST(ParseIpv4Test, TooFewOctetsIsInvalid) {
  EXPECT_THAT(ParseIpv4("10.1"), StatusIs(kInvalid, HasSubstr("not an IPv4 address")));
}

TEST(ParseIpv4Test, FormatRoundTrips) {
  EXPECT_EQ(FormatIpv4(*ParseIpv4("10.20.30.40")), "10.20.30.40");
}

TEST(ParseIpv4PrefixTest, ParsesAddressAndLength) {
  auto p = ParseIpv4Prefix("10.1.2.3/16");
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->addr, 0x0a010203u);  // Host bits kept.
  EXPECT_EQ(p->len, 16);
  EXPECT_EQ(p->Mask(), 0xffff0000u);
}

TEST(ParseIpv4PrefixTest, LengthZeroAndThirtyTwoAreValid) {
  auto zero = ParseIpv4Prefix("0.0.0.0/0");
  ASSERT_THAT(zero, IsOk());
  EXPECT_EQ(zero->Mask(), 0u);
  auto host = ParseIpv4Prefix("10.0.0.1/32");
  ASSERT_THAT(host, IsOk());
  EXPECT_EQ(host->Mask(), 0xffffffffu);
}

TEST(ParseIpv4PrefixTest, MissingSlashIsInvalid) {
  EXPECT_THAT(ParseIpv4Prefix("10.0.0.0"), StatusIs(kInvalid, HasSubstr("'10.0.0.0'")));
}

TEST(ParseIpv4PrefixTest, LengthAbove32IsInvalid) {
  EXPECT_THAT(ParseIpv4Prefix("10.0.0.0/33"), StatusIs(kInvalid, HasSubstr("'33'")));
}

TEST(ParseIpv4PrefixTest, EmptyOrNonNumericLengthIsInvalid) {
  EXPECT_THAT(ParseIpv4Prefix("10.0.0.0/"), StatusIs(kInvalid, HasSubstr("prefix length")));
  EXPECT_THAT(ParseIpv4Prefix("10.0.0.0/x"), StatusIs(kInvalid, HasSubstr("'x'")));
  EXPECT_THAT(ParseIpv4Prefix("10.0.0.0/-1"), StatusIs(kInvalid, HasSubstr("prefix length")));
}

TEST(ParseIpv4PrefixTest, BadAddressIsInvalid) {
  EXPECT_THAT(ParseIpv4Prefix("10.0.0/8"), StatusIs(kInvalid, HasSubstr("'10.0.0'")));
}

TEST(Ipv4PrefixTest, ContainsChecksNetworkBitsOnly) {
  auto p = ParseIpv4Prefix("192.0.2.0/24");
  ASSERT_THAT(p, IsOk());
  EXPECT_TRUE(p->Contains(*ParseIpv4("192.0.2.200")));
  EXPECT_FALSE(p->Contains(*ParseIpv4("192.0.3.1")));
}

TEST(ParseIpv6Test, ParsesCompressedFormInNetworkOrder) {
  auto ip = ParseIpv6("2001:db8::a");
  ASSERT_THAT(ip, IsOk());
  EXPECT_EQ((*ip)[0], 0x20);
  EXPECT_EQ((*ip)[1], 0x01);
  EXPECT_EQ((*ip)[3], 0xb8);
  EXPECT_EQ((*ip)[15], 0x0a);
  EXPECT_EQ(FormatIpv6(*ip), "2001:db8::a");
}

TEST(ParseIpv6Test, Ipv4AndGarbageAreInvalidAndNamed) {
  EXPECT_THAT(ParseIpv6("10.0.0.1"), StatusIs(kInvalid, HasSubstr("'10.0.0.1' is not an IPv6")));
  EXPECT_THAT(ParseIpv6("2001:db8:::1"), StatusIs(kInvalid, HasSubstr("'2001:db8:::1'")));
  EXPECT_THAT(ParseIpv6(""), StatusIs(kInvalid, HasSubstr("not an IPv6 address")));
}

TEST(ParseIpv6PrefixTest, ParsesLengthsZeroToOneTwentyEight) {
  auto p = ParseIpv6Prefix("2001:db8:1::/48");
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->len, 48);
  EXPECT_FALSE(p->HasHostBits());
  EXPECT_THAT(ParseIpv6Prefix("::/0"), IsOk());
  EXPECT_THAT(ParseIpv6Prefix("::1/128"), IsOk());
  EXPECT_THAT(ParseIpv6Prefix("::/129"), StatusIs(kInvalid, HasSubstr("'129' is not 0..128")));
  EXPECT_THAT(ParseIpv6Prefix("::/"), StatusIs(kInvalid, HasSubstr("prefix length")));
  EXPECT_THAT(ParseIpv6Prefix("2001:db8::"), StatusIs(kInvalid, HasSubstr("not an IPv6 prefix")));
  EXPECT_THAT(ParseIpv6Prefix("2001:zz::/32"), StatusIs(kInvalid, HasSubstr("'2001:zz::'")));
}

TEST(Ipv6PrefixTest, MaskedClearsBitsPastTheLengthInsideAByte) {
  auto p = ParseIpv6Prefix("2001:db8:ffff::1/36");
  ASSERT_THAT(p, IsOk());
  EXPECT_TRUE(p->HasHostBits());
  EXPECT_EQ(FormatIpv6(p->Masked()), "2001:db8:f000::");
  EXPECT_TRUE(p->Contains(*ParseIpv6("2001:db8:f123::9")));
  EXPECT_FALSE(p->Contains(*ParseIpv6("2001:db8:e000::")));
}

TEST(LooksLikeIpv6Test, AColonMeansIpv6) {
  EXPECT_TRUE(LooksLikeIpv6("::/0"));
  EXPECT_FALSE(LooksLikeIpv6("10.0.0.0/8"));
}

}  // namespace
}  // namespace vswitch::net
