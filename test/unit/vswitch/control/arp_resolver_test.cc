// SPDX-License-Identifier: Apache-2.0
//
// ArpResolver is pure logic over absl::Time values the test passes, plus
// NextHopFor (snapshot_builder), which decides which IP the resolver asks for.
#include "vswitch/control/arp_resolver.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "vswitch/control/snapshot_builder.h"

namespace vswitch::control {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr uint32_t kIp1 = 0xc0000214;  // 192.0.2.20
constexpr uint32_t kIp2 = 0xc0000215;  // 192.0.2.21
constexpr uint32_t kIp3 = 0xc0000216;  // 192.0.2.22
const ArpResolver::Mac kMac1 = {0x02, 0, 0, 0, 0, 1};
const ArpResolver::Mac kMac2 = {0x02, 0, 0, 0, 0, 2};

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

TEST(ArpResolverTest, NewTargetsStartUnresolved) {
  ArpResolver r;
  r.SetTargets({kIp1, kIp2});
  ASSERT_EQ(r.entries().size(), 2u);
  EXPECT_FALSE(r.entries().at(kIp1).resolved);
  EXPECT_FALSE(r.entries().at(kIp2).resolved);
}

TEST(ArpResolverTest, SetTargetsForgetsOthersAndKeepsKnownState) {
  ArpResolver r;
  r.SetTargets({kIp1, kIp2});
  r.Learn(kIp1, kMac1, kT0);
  r.SetTargets({kIp1, kIp3});
  ASSERT_EQ(r.entries().size(), 2u);
  EXPECT_EQ(r.entries().count(kIp2), 0u);
  EXPECT_TRUE(r.entries().at(kIp1).resolved) << "a kept target keeps its MAC";
  EXPECT_EQ(r.entries().at(kIp1).mac, kMac1);
  EXPECT_FALSE(r.entries().at(kIp3).resolved);
}

TEST(ArpResolverTest, EmptyTargetsForgetEverything) {
  ArpResolver r;
  r.SetTargets({kIp1, kIp2});
  r.SetTargets({});
  EXPECT_THAT(r.entries(), IsEmpty());
  EXPECT_THAT(r.Due(kT0), IsEmpty());
}

TEST(ArpResolverTest, LearnReturnsTrueForNewResolution) {
  ArpResolver r;
  r.SetTargets({kIp1});
  EXPECT_TRUE(r.Learn(kIp1, kMac1, kT0));
  EXPECT_TRUE(r.entries().at(kIp1).resolved);
  EXPECT_EQ(r.entries().at(kIp1).mac, kMac1);
  EXPECT_EQ(r.entries().at(kIp1).last_seen, kT0);
}

TEST(ArpResolverTest, LearnSameMacAgainReturnsFalse) {
  ArpResolver r;
  r.SetTargets({kIp1});
  r.Learn(kIp1, kMac1, kT0);
  EXPECT_FALSE(r.Learn(kIp1, kMac1, kT0 + absl::Seconds(5)));
  EXPECT_EQ(r.entries().at(kIp1).last_seen, kT0 + absl::Seconds(5));
}

TEST(ArpResolverTest, LearnMovedMacReturnsTrue) {
  ArpResolver r;
  r.SetTargets({kIp1});
  r.Learn(kIp1, kMac1, kT0);
  EXPECT_TRUE(r.Learn(kIp1, kMac2, kT0 + absl::Seconds(1)));
  EXPECT_EQ(r.entries().at(kIp1).mac, kMac2);
}

TEST(ArpResolverTest, LearnOfNonTargetIsIgnored) {
  ArpResolver r;
  r.SetTargets({kIp1});
  EXPECT_FALSE(r.Learn(kIp2, kMac2, kT0));
  EXPECT_EQ(r.entries().count(kIp2), 0u);
}

TEST(ArpResolverTest, NewTargetIsDueAtOnce) {
  ArpResolver r;
  r.SetTargets({kIp1, kIp2});
  EXPECT_THAT(r.Due(kT0), UnorderedElementsAre(kIp1, kIp2));
  EXPECT_EQ(r.entries().at(kIp1).last_request, kT0);
}

TEST(ArpResolverTest, UnresolvedTargetIsRetriedEverySecond) {
  ArpResolver r;
  r.SetTargets({kIp1});
  EXPECT_THAT(r.Due(kT0), ElementsAre(kIp1));
  EXPECT_THAT(r.Due(kT0), IsEmpty());
  EXPECT_THAT(r.Due(kT0 + absl::Milliseconds(999)), IsEmpty());
  EXPECT_THAT(r.Due(kT0 + absl::Seconds(1)), ElementsAre(kIp1));
  EXPECT_THAT(r.Due(kT0 + absl::Milliseconds(1500)), IsEmpty());
  EXPECT_THAT(r.Due(kT0 + absl::Seconds(2)), ElementsAre(kIp1));
}

TEST(ArpResolverTest, ResolvedTargetIsRefreshedEveryTenSeconds) {
  EXPECT_EQ(ArpResolver::kRefresh, absl::Seconds(10));
  // Three unanswered refreshes, then unresolved.
  EXPECT_GT(ArpResolver::kExpiry, 3 * ArpResolver::kRefresh);
  EXPECT_LT(ArpResolver::kExpiry, 4 * ArpResolver::kRefresh);
  ArpResolver r;
  r.SetTargets({kIp1});
  EXPECT_THAT(r.Due(kT0), ElementsAre(kIp1));
  r.Learn(kIp1, kMac1, kT0 + absl::Milliseconds(10));
  EXPECT_THAT(r.Due(kT0 + absl::Seconds(1)), IsEmpty());
  EXPECT_THAT(r.Due(kT0 + absl::Seconds(9)), IsEmpty());
  EXPECT_THAT(r.Due(kT0 + absl::Seconds(10)), ElementsAre(kIp1));
  EXPECT_THAT(r.Due(kT0 + absl::Seconds(11)), IsEmpty());
  EXPECT_THAT(r.Due(kT0 + absl::Seconds(20)), ElementsAre(kIp1));
}

TEST(ArpResolverTest, OnlyTheDueTargetIsAsked) {
  ArpResolver r;
  r.SetTargets({kIp1, kIp2});
  r.Due(kT0);
  r.Learn(kIp1, kMac1, kT0);
  EXPECT_THAT(r.Due(kT0 + absl::Seconds(1)), ElementsAre(kIp2));
}

TEST(ArpResolverTest, NoWarningBeforeTheFirstRequestHadTimeToBeAnswered) {
  ArpResolver r;
  r.SetTargets({kIp1});
  EXPECT_THAT(r.WarnDue(kT0), IsEmpty()) << "nothing asked yet";
  r.Due(kT0);
  EXPECT_THAT(r.WarnDue(kT0 + ArpResolver::kWarnAfter - absl::Milliseconds(1)), IsEmpty());
}

TEST(ArpResolverTest, UnresolvedTargetIsWarnedOnceAMinute) {
  ArpResolver r;
  r.SetTargets({kIp1});
  r.Due(kT0);
  const absl::Time t = kT0 + ArpResolver::kWarnAfter;
  EXPECT_THAT(r.WarnDue(t), ElementsAre(kIp1));
  EXPECT_THAT(r.WarnDue(t + absl::Seconds(1)), IsEmpty());
  EXPECT_THAT(r.WarnDue(t + absl::Seconds(59)), IsEmpty());
  EXPECT_THAT(r.WarnDue(t + absl::Seconds(60)), ElementsAre(kIp1));
  EXPECT_THAT(r.WarnDue(t + absl::Seconds(61)), IsEmpty());
}

TEST(ArpResolverTest, ResolvedTargetIsNotWarned) {
  ArpResolver r;
  r.SetTargets({kIp1, kIp2});
  r.Due(kT0);
  r.Learn(kIp1, kMac1, kT0);
  EXPECT_THAT(r.WarnDue(kT0 + ArpResolver::kWarnAfter), ElementsAre(kIp2));
}

TEST(ArpResolverTest, SilentNextHopExpires) {
  ArpResolver r;
  r.SetTargets({kIp1});
  r.Learn(kIp1, kMac1, kT0);
  EXPECT_FALSE(r.Expire(kT0 + ArpResolver::kExpiry));
  EXPECT_TRUE(r.Expire(kT0 + ArpResolver::kExpiry + absl::Seconds(1)));
  EXPECT_FALSE(r.entries().at(kIp1).resolved);
  EXPECT_FALSE(r.Expire(kT0 + ArpResolver::kExpiry + absl::Seconds(2))) << "already unresolved";
}

TEST(ArpResolverTest, WarningsDoNotCountAsRequests) {
  ArpResolver r;
  r.SetTargets({kIp1});
  r.WarnDue(kT0);
  EXPECT_THAT(r.Due(kT0), ElementsAre(kIp1));
}

// ------------------------------------------------------------ NextHopFor

v1::UplinkConfig Uplink(const std::string& cidr, const std::string& gateway) {
  v1::UplinkConfig u;
  u.set_ip_cidr(cidr);
  u.set_gateway(gateway);
  return u;
}

TEST(NextHopForTest, OnLinkCollectorIsItsOwnNextHop) {
  EXPECT_EQ(NextHopFor(Uplink("192.0.2.10/24", "192.0.2.1"), kIp1), kIp1);
}

TEST(NextHopForTest, OffLinkCollectorGoesViaGateway) {
  EXPECT_EQ(NextHopFor(Uplink("192.0.2.10/24", "192.0.2.1"), 0xc6336401),  // 198.51.100.1
            0xc0000201u);
}

TEST(NextHopForTest, OffLinkWithoutGatewayHasNoNextHop) {
  EXPECT_EQ(NextHopFor(Uplink("192.0.2.10/24", ""), 0xc6336401), 0u);
}

TEST(NextHopForTest, PrefixBoundaryDecides) {
  const auto up = Uplink("192.0.2.10/25", "192.0.2.1");
  EXPECT_EQ(NextHopFor(up, 0xc000027f), 0xc000027fu);  // 192.0.2.127: on link.
  EXPECT_EQ(NextHopFor(up, 0xc0000280), 0xc0000201u);  // 192.0.2.128: via gateway.
}

}  // namespace
}  // namespace vswitch::control
