// SPDX-License-Identifier: Apache-2.0
#include "vswitch/dataplane/flow_cache.h"

#include <gtest/gtest.h>

#include <cstring>

namespace vswitch::dataplane {
namespace {

PacketKey KeyFor(uint16_t n) {
  PacketKey k;
  std::memset(&k, 0, sizeof(k));
  k.in_port = 1;
  k.flags = kKeyL2;
  k.src_mac[0] = 0x02;
  k.src_mac[4] = static_cast<uint8_t>(n >> 8);
  k.src_mac[5] = static_cast<uint8_t>(n);
  return k;
}

const Ipv6Addrs kNoV6{};

Action UnicastTo(uint16_t port) {
  return Action{.kind = ActionKind::kUnicast, .out_port = port, .vnet_index = 3};
}

TEST(FlowCacheTest, EmptyCacheMisses) {
  FlowCache cache(64);
  const PacketKey k = KeyFor(1);
  EXPECT_EQ(cache.Lookup(1, k, kNoV6, k.Hash()), nullptr);
}

TEST(FlowCacheTest, LookupAfterInsertHitsWithTheAction) {
  FlowCache cache(64);
  const PacketKey k = KeyFor(1);
  cache.Insert(1, k, kNoV6, k.Hash(), UnicastTo(5), uint64_t{1000} << kLearnTimeShift);
  const FlowEntry* e = cache.Lookup(1, k, kNoV6, k.Hash());
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->action.kind, ActionKind::kUnicast);
  EXPECT_EQ(e->action.out_port, 5);
  EXPECT_EQ(e->action.vnet_index, 3);
  EXPECT_EQ(e->learn_time, 1000u);
}

TEST(FlowCacheTest, DifferentKeyInSameBucketMisses) {
  FlowCache cache(64);
  const PacketKey a = KeyFor(1);
  const PacketKey b = KeyFor(2);
  // Same hash on purpose: only the key comparison can tell them apart.
  cache.Insert(1, a, kNoV6, 42, UnicastTo(5), 0);
  EXPECT_EQ(cache.Lookup(1, b, kNoV6, 42), nullptr);
}

TEST(FlowCacheTest, KeysDifferingOnlyInInPortAreDistinct) {
  FlowCache cache(64);
  PacketKey a = KeyFor(1);
  PacketKey b = a;
  b.in_port = 2;
  cache.Insert(1, a, kNoV6, 42, UnicastTo(5), 0);
  EXPECT_EQ(cache.Lookup(1, b, kNoV6, 42), nullptr);
}

TEST(FlowCacheTest, EntryFromOlderGenerationMisses) {
  FlowCache cache(64);
  const PacketKey k = KeyFor(1);
  cache.Insert(1, k, kNoV6, k.Hash(), UnicastTo(5), 0);
  EXPECT_EQ(cache.Lookup(2, k, kNoV6, k.Hash()), nullptr);
}

TEST(FlowCacheTest, ReinsertUnderNewGenerationHits) {
  FlowCache cache(64);
  const PacketKey k = KeyFor(1);
  cache.Insert(1, k, kNoV6, k.Hash(), UnicastTo(5), 0);
  cache.Insert(2, k, kNoV6, k.Hash(), UnicastTo(6), 0);
  const FlowEntry* e = cache.Lookup(2, k, kNoV6, k.Hash());
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->action.out_port, 6);
}

TEST(FlowCacheTest, FourKeysInOneBucketAllHit) {
  FlowCache cache(64);
  for (uint16_t n = 0; n < FlowCache::kWays; ++n) {
    cache.Insert(1, KeyFor(n), kNoV6, 7, UnicastTo(n), 0);
  }
  for (uint16_t n = 0; n < FlowCache::kWays; ++n) {
    SCOPED_TRACE(n);
    const FlowEntry* e = cache.Lookup(1, KeyFor(n), kNoV6, 7);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->action.out_port, n);
  }
}

TEST(FlowCacheTest, FifthKeyInFullBucketEvictsExactlyOne) {
  FlowCache cache(64);
  for (uint16_t n = 0; n <= FlowCache::kWays; ++n) {
    cache.Insert(1, KeyFor(n), kNoV6, 7, UnicastTo(n), 0);
  }
  EXPECT_NE(cache.Lookup(1, KeyFor(FlowCache::kWays), kNoV6, 7), nullptr);
  int survivors = 0;
  for (uint16_t n = 0; n < FlowCache::kWays; ++n) {
    survivors += cache.Lookup(1, KeyFor(n), kNoV6, 7) != nullptr;
  }
  EXPECT_EQ(survivors, static_cast<int>(FlowCache::kWays) - 1);
}

TEST(FlowCacheTest, EvictionPrefersEntryOfOlderGeneration) {
  FlowCache cache(64);
  cache.Insert(1, KeyFor(0), kNoV6, 7, UnicastTo(0), 0);  // Becomes stale.
  for (uint16_t n = 1; n < FlowCache::kWays; ++n) {
    cache.Insert(2, KeyFor(n), kNoV6, 7, UnicastTo(n), 0);
  }
  cache.Insert(2, KeyFor(100), kNoV6, 7, UnicastTo(100), 0);
  for (uint16_t n = 1; n < FlowCache::kWays; ++n) {
    SCOPED_TRACE(n);
    EXPECT_NE(cache.Lookup(2, KeyFor(n), kNoV6, 7), nullptr);
  }
  EXPECT_NE(cache.Lookup(2, KeyFor(100), kNoV6, 7), nullptr);
}

TEST(FlowCacheTest, KeysInOtherBucketsAreNotEvicted) {
  FlowCache cache(64);  // 16 buckets: hashes 7 and 8 land in different ones.
  for (uint16_t n = 0; n < FlowCache::kWays; ++n) {
    cache.Insert(1, KeyFor(n), kNoV6, 8, UnicastTo(n), 0);
  }
  for (uint16_t n = 10; n < 10 + 2 * FlowCache::kWays; ++n) {
    cache.Insert(1, KeyFor(n), kNoV6, 7, UnicastTo(n), 0);
  }
  for (uint16_t n = 0; n < FlowCache::kWays; ++n) {
    SCOPED_TRACE(n);
    EXPECT_NE(cache.Lookup(1, KeyFor(n), kNoV6, 8), nullptr);
  }
}

TEST(FlowCacheTest, HashesEqualModuloBucketCountShareABucket) {
  FlowCache cache(16);  // 4 buckets.
  for (uint16_t n = 0; n < FlowCache::kWays; ++n) {
    cache.Insert(1, KeyFor(n), kNoV6, 1, UnicastTo(n), 0);
  }
  cache.Insert(1, KeyFor(99), kNoV6, 1 + 4 * 1000, UnicastTo(99), 0);
  int survivors = 0;
  for (uint16_t n = 0; n < FlowCache::kWays; ++n) {
    survivors += cache.Lookup(1, KeyFor(n), kNoV6, 1) != nullptr;
  }
  EXPECT_EQ(survivors, static_cast<int>(FlowCache::kWays) - 1);
}

TEST(FlowCacheTest, CapacityRoundsUpToPowerOfTwoOfAtLeastOneBucket) {
  EXPECT_EQ(FlowCache(0).capacity(), 4u);
  EXPECT_EQ(FlowCache(1).capacity(), 4u);
  EXPECT_EQ(FlowCache(4).capacity(), 4u);
  EXPECT_EQ(FlowCache(5).capacity(), 8u);
  EXPECT_EQ(FlowCache(64).capacity(), 64u);
  EXPECT_EQ(FlowCache(65).capacity(), 128u);
  EXPECT_EQ(FlowCache(1000).capacity(), 1024u);
}

TEST(FlowCacheTest, EveryEntryOfTheCapacityIsUsable) {
  FlowCache cache(64);
  // Hash n lands in bucket n % 16: four keys per bucket fill it exactly.
  for (uint16_t n = 0; n < cache.capacity(); ++n) {
    cache.Insert(1, KeyFor(n), kNoV6, n, UnicastTo(n), 0);
  }
  for (uint16_t n = 0; n < cache.capacity(); ++n) {
    SCOPED_TRACE(n);
    EXPECT_NE(cache.Lookup(1, KeyFor(n), kNoV6, n), nullptr);
  }
}

// Two IPv6 flows whose addresses XOR to the same digests have equal keys;
// only the addresses beside them tell them apart.
TEST(FlowCacheTest, Ipv6KeysWithEqualDigestsButOtherAddressesMiss) {
  FlowCache cache(64);
  PacketKey k = KeyFor(1);
  k.flags |= kKeyIpv6;
  Ipv6Addrs a{};
  a.src[0] = 0x20;
  a.src[15] = 1;
  a.dst[0] = 0x20;
  a.dst[15] = 2;
  Ipv6Addrs b = a;
  b.src[3] ^= 0x40;  // Words 0 and 1 flipped alike: same Ipv6Digest.
  b.src[7] ^= 0x40;
  ASSERT_EQ(Ipv6Digest(a.src), Ipv6Digest(b.src));
  k.src_ip = Ipv6Digest(a.src);
  k.dst_ip = Ipv6Digest(a.dst);
  cache.Insert(1, k, a, k.Hash(), UnicastTo(5), 0);
  ASSERT_NE(cache.Lookup(1, k, a, k.Hash()), nullptr);
  EXPECT_EQ(cache.Lookup(1, k, b, k.Hash()), nullptr);
  // Inserting b keeps a: they are two entries.
  cache.Insert(1, k, b, k.Hash(), UnicastTo(6), 0);
  ASSERT_NE(cache.Lookup(1, k, a, k.Hash()), nullptr);
  EXPECT_EQ(cache.Lookup(1, k, a, k.Hash())->action.out_port, 5);
  EXPECT_EQ(cache.Lookup(1, k, b, k.Hash())->action.out_port, 6);
}

TEST(FlowCacheTest, KeysWithoutIpv6IgnoreTheAddressesPassed) {
  FlowCache cache(64);
  const PacketKey k = KeyFor(1);
  Ipv6Addrs junk;
  std::memset(&junk, 0xab, sizeof(junk));
  cache.Insert(1, k, junk, k.Hash(), UnicastTo(5), 0);
  EXPECT_NE(cache.Lookup(1, k, kNoV6, k.Hash()), nullptr);
}

}  // namespace
}  // namespace vswitch::dataplane
