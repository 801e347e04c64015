// SPDX-License-Identifier: Apache-2.0
//
// Checks the fuzz targets that build mbuf chains share.
#pragma once

#include <cstdint>
#include <vector>

#include <rte_mbuf.h>

#include "test/fuzz/fuzz_check.h"
#include "test/testing/mbuf_util.h"

// The chain's bytes, after checking that its segments lie inside their
// buffers and add up to pkt_len and nb_segs.
inline std::vector<uint8_t> CheckedChainBytes(const rte_mbuf* m) {
  uint32_t sum = 0;
  uint16_t segs = 0;
  for (const rte_mbuf* s = m; s != nullptr; s = s->next) {
    FUZZ_CHECK(uint32_t{s->data_off} + s->data_len <= s->buf_len,
               "segment data (off %u len %u) overruns its buffer of %u", s->data_off,
               s->data_len, s->buf_len);
    sum += s->data_len;
    ++segs;
  }
  FUZZ_CHECK(sum == m->pkt_len, "pkt_len %u, segments hold %u", m->pkt_len, sum);
  FUZZ_CHECK(segs == m->nb_segs, "nb_segs %u, chain has %u", m->nb_segs, segs);
  return vswitch::testing::ChainBytes(m);
}
