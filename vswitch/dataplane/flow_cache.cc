// SPDX-License-Identifier: Apache-2.0
#include "vswitch/dataplane/flow_cache.h"

#include <new>

namespace vswitch::dataplane {

FlowCache::FlowCache(uint32_t entries) {
  uint32_t buckets = 1;
  while (buckets * kWays < entries) {
    buckets <<= 1;
  }
  bucket_mask_ = buckets - 1;
  // Value-initialised: generation 0 marks every entry empty.
  entries_.reset(new FlowEntry[buckets * kWays]());
  addrs6_.reset(new Ipv6Addrs[buckets * kWays]());
}

}  // namespace vswitch::dataplane
