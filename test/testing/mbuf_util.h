// SPDX-License-Identifier: Apache-2.0
//
// Real mbufs for tests: a pool per test suite, mbufs filled from byte
// vectors, and a leak check on the pool's in-use count.
#pragma once

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "lib/dpdk/mempool.h"

namespace vswitch::testing {

// A packet pool with a name unique in the process (rte names are global).
// Cache size 0: every free goes straight back to the ring, so the in-use
// count is exact at any time.
dpdk::MempoolPtr MakeTestPool(const std::string& tag, unsigned n = 2047,
                              uint16_t data_room = RTE_MBUF_DEFAULT_BUF_SIZE);

// A single-segment mbuf holding `bytes` at the default headroom.
// data_len == pkt_len == bytes.size(). Null when the pool is empty.
rte_mbuf* MbufFromBytes(rte_mempool* mp, const std::vector<uint8_t>& bytes);

// Writes all of `bytes` but sets data_len = pkt_len = `data_len` (<= size):
// the bytes after data_len are still there, so a parser that reads past
// data_len sees them and its result changes.
rte_mbuf* MbufWithHiddenTail(rte_mempool* mp, const std::vector<uint8_t>& bytes, uint16_t data_len);

// `bytes` placed so that its last byte is the last byte of the data room:
// nothing of this mbuf lies after it.
rte_mbuf* MbufAtEndOfRoom(rte_mempool* mp, const std::vector<uint8_t>& bytes);

// The first segment's data as a vector.
std::vector<uint8_t> MbufBytes(const rte_mbuf* m);

// `bytes` as a chain of segments of `seg_lens` bytes each, in order (they
// sum to bytes.size(); {0} is one empty segment). Null, with nothing left
// allocated, when the pool runs dry, a segment exceeds its data room or the
// lengths do not add up.
rte_mbuf* MbufChain(rte_mempool* mp, std::span<const uint8_t> bytes,
                    const std::vector<size_t>& seg_lens);

// All bytes of a (possibly chained) mbuf, segment after segment.
std::vector<uint8_t> ChainBytes(const rte_mbuf* m);

// Records the pool's in-use count at construction; Leaked() is the growth
// since then (negative: more returned than taken, i.e. a double free).
class MempoolLeakCheck {
 public:
  explicit MempoolLeakCheck(const rte_mempool* mp)
      : mp_(mp), baseline_(rte_mempool_in_use_count(mp)) {}
  int Leaked() const {
    return static_cast<int>(rte_mempool_in_use_count(mp_)) - static_cast<int>(baseline_);
  }

 private:
  const rte_mempool* mp_;
  unsigned baseline_;
};

}  // namespace vswitch::testing
