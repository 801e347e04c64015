// SPDX-License-Identifier: Apache-2.0
#include "vswitch/control/mac_table.h"

#include <gtest/gtest.h>

#include "absl/time/time.h"

namespace vswitch::control {
namespace {

constexpr uint32_t kVnet = 7;
constexpr uint64_t kMac = 0x020000000001;
const absl::Time kT0 = absl::FromUnixSeconds(1000);

TEST(MacTableTest, LearnOfNewMacReturnsTrue) {
  MacTable t;
  EXPECT_TRUE(t.Learn(kVnet, kMac, 1, kT0));
  ASSERT_EQ(t.entries().size(), 1u);
  const auto& e = t.entries().at(MacTable::Key{kVnet, kMac});
  EXPECT_EQ(e.port, 1);
  EXPECT_EQ(e.last_seen, kT0);
}

TEST(MacTableTest, RefreshOnSamePortReturnsFalseAndUpdatesLastSeen) {
  MacTable t;
  t.Learn(kVnet, kMac, 1, kT0);
  EXPECT_FALSE(t.Learn(kVnet, kMac, 1, kT0 + absl::Seconds(5)));
  EXPECT_EQ(t.entries().at(MacTable::Key{kVnet, kMac}).last_seen, kT0 + absl::Seconds(5));
}

TEST(MacTableTest, MoveToOtherPortReturnsTrueAndUpdatesPort) {
  MacTable t;
  t.Learn(kVnet, kMac, 1, kT0);
  EXPECT_TRUE(t.Learn(kVnet, kMac, 2, kT0 + absl::Seconds(1)));
  EXPECT_EQ(t.entries().at(MacTable::Key{kVnet, kMac}).port, 2);
  EXPECT_EQ(t.entries().size(), 1u);
}

TEST(MacTableTest, SameMacInTwoVnetsIsTwoEntries) {
  MacTable t;
  EXPECT_TRUE(t.Learn(1, kMac, 1, kT0));
  EXPECT_TRUE(t.Learn(2, kMac, 3, kT0));
  EXPECT_EQ(t.entries().size(), 2u);
  EXPECT_EQ(t.entries().at(MacTable::Key{1, kMac}).port, 1);
  EXPECT_EQ(t.entries().at(MacTable::Key{2, kMac}).port, 3);
}

TEST(MacTableTest, AgeRemovesOnlyStaleEntries) {
  MacTable t;
  t.Learn(kVnet, 1, 1, kT0);
  t.Learn(kVnet, 2, 1, kT0 + absl::Seconds(100));
  t.Learn(kVnet, 3, 1, kT0 + absl::Seconds(250));
  EXPECT_EQ(t.Age(kT0 + absl::Seconds(300), absl::Seconds(150)), 2u);
  ASSERT_EQ(t.entries().size(), 1u);
  EXPECT_TRUE(t.entries().contains(MacTable::Key{kVnet, 3}));
}

TEST(MacTableTest, AgeKeepsEntryExactlyMaxAgeOld) {
  MacTable t;
  t.Learn(kVnet, kMac, 1, kT0);
  EXPECT_EQ(t.Age(kT0 + absl::Seconds(300), absl::Seconds(300)), 0u);
  EXPECT_EQ(t.entries().size(), 1u);
}

TEST(MacTableTest, RefreshedEntrySurvivesAging) {
  MacTable t;
  t.Learn(kVnet, kMac, 1, kT0);
  t.Learn(kVnet, kMac, 1, kT0 + absl::Seconds(200));
  EXPECT_EQ(t.Age(kT0 + absl::Seconds(300), absl::Seconds(150)), 0u);
  EXPECT_EQ(t.entries().size(), 1u);
}

TEST(MacTableTest, RemovePortRemovesOnlyThatPortsEntries) {
  MacTable t;
  t.Learn(1, 10, 1, kT0);
  t.Learn(2, 11, 1, kT0);
  t.Learn(1, 12, 2, kT0);
  EXPECT_EQ(t.RemovePort(1), 2u);
  ASSERT_EQ(t.entries().size(), 1u);
  EXPECT_TRUE(t.entries().contains(MacTable::Key{1, 12}));
}

TEST(MacTableTest, RemoveVNetRemovesOnlyThatVnetsEntries) {
  MacTable t;
  t.Learn(1, 10, 1, kT0);
  t.Learn(1, 11, 2, kT0);
  t.Learn(2, 10, 3, kT0);
  EXPECT_EQ(t.RemoveVNet(1), 2u);
  ASSERT_EQ(t.entries().size(), 1u);
  EXPECT_TRUE(t.entries().contains(MacTable::Key{2, 10}));
}

TEST(MacTableTest, RemoveOfAbsentEntryReturnsFalse) {
  MacTable t;
  t.Learn(kVnet, kMac, 1, kT0);
  EXPECT_FALSE(t.Remove(kVnet, kMac + 1));
  EXPECT_TRUE(t.Remove(kVnet, kMac));
  EXPECT_TRUE(t.entries().empty());
}

TEST(MacTableTest, LearnAfterRemovalIsNewAgain) {
  MacTable t;
  t.Learn(kVnet, kMac, 1, kT0);
  t.RemovePort(1);
  EXPECT_TRUE(t.Learn(kVnet, kMac, 1, kT0));
}

}  // namespace
}  // namespace vswitch::control
