// SPDX-License-Identifier: Apache-2.0
//
// The shell's TAP rule syntax, "prio=10,action=accept,proto=udp,dport=443":
// what each key fills in, and that every mistake names the key and value.
#include "vswitch/shell/tap_rule_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "vswitch/api/vswitch.pb.h"

namespace vswitch::shell {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// Parses `spec`; fails the test and returns an empty rule if it does not parse.
v1::TapRule Parse(const std::string& spec) {
  absl::StatusOr<v1::TapRule> rule = ParseTapRule(spec);
  EXPECT_TRUE(rule.ok()) << spec << ": " << rule.status();
  return rule.ok() ? *rule : v1::TapRule();
}

// The error message for `spec`; "" (and a test failure) if it parsed.
std::string Error(const std::string& spec) {
  absl::StatusOr<v1::TapRule> rule = ParseTapRule(spec);
  EXPECT_FALSE(rule.ok()) << spec << " parsed";
  EXPECT_EQ(rule.status().code(), absl::StatusCode::kInvalidArgument) << spec;
  return std::string(rule.status().message());
}

TEST(TapRuleSpecTest, EveryKeyFillsItsField) {
  v1::TapRule rule = Parse(
      "prio=10,action=reject,proto=tcp,src=10.0.0.0/8,dst=10.1.0.0/16,sport=1000-2000,"
      "dport=443,dir=tx");
  EXPECT_EQ(rule.priority(), 10u);
  EXPECT_EQ(rule.action(), v1::TAP_ACTION_REJECT);
  EXPECT_EQ(rule.protocol(), 6u);
  EXPECT_EQ(rule.src_cidr(), "10.0.0.0/8");
  EXPECT_EQ(rule.dst_cidr(), "10.1.0.0/16");
  EXPECT_EQ(rule.src_ports().first(), 1000u);
  EXPECT_EQ(rule.src_ports().last(), 2000u);
  EXPECT_EQ(rule.dst_ports().first(), 443u);
  EXPECT_EQ(rule.dst_ports().last(), 443u);
  EXPECT_EQ(rule.direction(), v1::TAP_DIRECTION_TX);
}

TEST(TapRuleSpecTest, HelpExampleParses) {
  v1::TapRule rule = Parse("prio=10,action=accept,proto=udp,dport=443");
  EXPECT_EQ(rule.priority(), 10u);
  EXPECT_EQ(rule.action(), v1::TAP_ACTION_ACCEPT);
  EXPECT_EQ(rule.protocol(), 17u);
  EXPECT_EQ(rule.dst_ports().first(), 443u);
  EXPECT_EQ(rule.dst_ports().last(), 443u);
  EXPECT_FALSE(rule.has_src_ports());
}

TEST(TapRuleSpecTest, PrioAloneLeavesDefaultsToTheDaemon) {
  v1::TapRule rule = Parse("prio=0");
  EXPECT_EQ(rule.priority(), 0u);
  // UNSPECIFIED is "accept" for an action and "any" for a direction.
  EXPECT_EQ(rule.action(), v1::TAP_ACTION_UNSPECIFIED);
  EXPECT_EQ(rule.protocol(), 0u);
  EXPECT_EQ(rule.src_cidr(), "");
  EXPECT_EQ(rule.dst_cidr(), "");
  EXPECT_FALSE(rule.has_src_ports());
  EXPECT_FALSE(rule.has_dst_ports());
  EXPECT_EQ(rule.direction(), v1::TAP_DIRECTION_UNSPECIFIED);
}

TEST(TapRuleSpecTest, KeysMayComeInAnyOrder) {
  v1::TapRule rule = Parse("dport=53,proto=udp,prio=7");
  EXPECT_EQ(rule.priority(), 7u);
  EXPECT_EQ(rule.protocol(), 17u);
  EXPECT_EQ(rule.dst_ports().first(), 53u);
}

TEST(TapRuleSpecTest, ProtocolNamesAndNumbers) {
  EXPECT_EQ(Parse("prio=1,proto=tcp").protocol(), 6u);
  EXPECT_EQ(Parse("prio=1,proto=udp").protocol(), 17u);
  EXPECT_EQ(Parse("prio=1,proto=icmp").protocol(), 1u);
  EXPECT_EQ(Parse("prio=1,proto=sctp").protocol(), 132u);
  EXPECT_EQ(Parse("prio=1,proto=47").protocol(), 47u);
}

TEST(TapRuleSpecTest, DirectionWords) {
  EXPECT_EQ(Parse("prio=1,dir=rx").direction(), v1::TAP_DIRECTION_RX);
  EXPECT_EQ(Parse("prio=1,dir=tx").direction(), v1::TAP_DIRECTION_TX);
  EXPECT_EQ(Parse("prio=1,dir=both").direction(), v1::TAP_DIRECTION_BOTH);
}

TEST(TapRuleSpecTest, ActionWords) {
  EXPECT_EQ(Parse("prio=1,action=accept").action(), v1::TAP_ACTION_ACCEPT);
  EXPECT_EQ(Parse("prio=1,action=reject").action(), v1::TAP_ACTION_REJECT);
}

// Only the syntax is the shell's: reversed ranges, ports above 65535 and
// priorities above 65535 go to the daemon, which names the field.
TEST(TapRuleSpecTest, RangesAndLimitsAreTheDaemons) {
  v1::TapRule rule = Parse("prio=70000,sport=2000-1000,dport=0-99999");
  EXPECT_EQ(rule.priority(), 70000u);
  EXPECT_EQ(rule.src_ports().first(), 2000u);
  EXPECT_EQ(rule.src_ports().last(), 1000u);
  EXPECT_EQ(rule.dst_ports().last(), 99999u);
  EXPECT_EQ(Parse("prio=1,src=not-a-cidr").src_cidr(), "not-a-cidr");
}

TEST(TapRuleSpecTest, PrioIsRequired) {
  EXPECT_EQ(Error("proto=udp,dport=53"), "missing prio=N");
  EXPECT_EQ(Error(""), "missing prio=N");
}

TEST(TapRuleSpecTest, UnknownKeyIsNamedWithTheKnownOnes) {
  EXPECT_THAT(Error("prio=1,port=80"),
              AllOf(HasSubstr("unknown key \"port\""),
                    HasSubstr("prio, action, proto, src, dst, sport, dport, dir")));
  // Keys are lower case and the word has no blanks.
  EXPECT_THAT(Error("PRIO=1"), HasSubstr("unknown key \"PRIO\""));
  EXPECT_THAT(Error("prio=1, proto=udp"), HasSubstr("unknown key \" proto\""));
}

TEST(TapRuleSpecTest, BadNumbersNameKeyAndValue) {
  EXPECT_EQ(Error("prio=x"), "prio: \"x\" is not an unsigned 32-bit integer");
  EXPECT_EQ(Error("prio=-1"), "prio: \"-1\" is not an unsigned 32-bit integer");
  EXPECT_EQ(Error("prio=4294967296"), "prio: \"4294967296\" is not an unsigned 32-bit integer");
  EXPECT_EQ(Error("prio=1,proto=gre"),
            "proto: \"gre\" is not tcp, udp, icmp, sctp or an unsigned 32-bit integer");
  for (const char* bad : {"x", "80-", "-80", "1-2-3", "80-x", "0x50", " 80", "80-4294967296"}) {
    EXPECT_EQ(Error(std::string("prio=1,dport=") + bad),
              std::string("dport: \"") + bad + "\" is not N or A-B (unsigned 32-bit integers)");
  }
  EXPECT_EQ(Error("prio=1,sport=abc"), "sport: \"abc\" is not N or A-B (unsigned 32-bit integers)");
}

TEST(TapRuleSpecTest, BadWordsNameKeyAndValue) {
  EXPECT_EQ(Error("prio=1,action=drop"), "action: \"drop\" is not one of accept, reject");
  EXPECT_EQ(Error("prio=1,dir=in"), "dir: \"in\" is not one of rx, tx, both");
}

TEST(TapRuleSpecTest, MalformedPairsAreNamed) {
  EXPECT_EQ(Error("prio=1,udp"), "\"udp\" is not key=value");
  EXPECT_EQ(Error("prio=1,src="), "src: missing value");
  EXPECT_EQ(Error("prio="), "prio: missing value");
  for (const char* bad : {"prio=1,", ",prio=1", "prio=1,,proto=udp", ","}) {
    EXPECT_THAT(Error(bad), HasSubstr("empty key=value pair")) << bad;
  }
}

TEST(TapRuleSpecTest, KeyGivenTwiceIsNamed) {
  EXPECT_EQ(Error("prio=1,dport=80,dport=443"), "\"dport\" given twice");
}

TEST(TapRuleSpecTest, ParseTapDirectionTakesOnlyTheThreeWords) {
  v1::TapDirection direction = v1::TAP_DIRECTION_UNSPECIFIED;
  EXPECT_TRUE(ParseTapDirection("rx", &direction));
  EXPECT_EQ(direction, v1::TAP_DIRECTION_RX);
  EXPECT_TRUE(ParseTapDirection("both", &direction));
  EXPECT_EQ(direction, v1::TAP_DIRECTION_BOTH);
  EXPECT_FALSE(ParseTapDirection("RX", &direction));
  EXPECT_FALSE(ParseTapDirection("", &direction));
  EXPECT_EQ(direction, v1::TAP_DIRECTION_BOTH);
}

}  // namespace
}  // namespace vswitch::shell
