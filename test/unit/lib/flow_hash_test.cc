// SPDX-License-Identifier: Apache-2.0
#include "lib/hash/flow_hash.h"

#include <gtest/gtest.h>

#include <set>

namespace vswitch::hash {
namespace {

constexpr uint32_t kA = 0x0a000001;
constexpr uint32_t kB = 0x0a000002;

TEST(SymmetricFlowHashTest, BothDirectionsHashTheSame) {
  EXPECT_EQ(SymmetricFlowHash(kA, kB, 1234, 80, 6), SymmetricFlowHash(kB, kA, 80, 1234, 6));
}

TEST(SymmetricFlowHashTest, IsDeterministic) {
  EXPECT_EQ(SymmetricFlowHash(kA, kB, 1, 2, 17), SymmetricFlowHash(kA, kB, 1, 2, 17));
}

TEST(SymmetricFlowHashTest, ProtocolChangesHash) {
  EXPECT_NE(SymmetricFlowHash(kA, kB, 1, 2, 6), SymmetricFlowHash(kA, kB, 1, 2, 17));
}

TEST(SymmetricFlowHashTest, PortChangesHash) {
  EXPECT_NE(SymmetricFlowHash(kA, kB, 1, 2, 6), SymmetricFlowHash(kA, kB, 1, 3, 6));
}

TEST(SymmetricFlowHashTest, AddressChangesHash) {
  EXPECT_NE(SymmetricFlowHash(kA, kB, 1, 2, 6), SymmetricFlowHash(kA, kB + 1, 1, 2, 6));
}

TEST(SymmetricFlowHashTest, SpreadsDistinctFlows) {
  std::set<uint32_t> seen;
  for (uint16_t port = 0; port < 1000; ++port) {
    seen.insert(SymmetricFlowHash(kA, kB, port, 443, 6) % 64);
  }
  EXPECT_EQ(seen.size(), 64u) << "1000 flows should reach every one of 64 buckets";
}

}  // namespace
}  // namespace vswitch::hash
