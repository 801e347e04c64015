// SPDX-License-Identifier: Apache-2.0
//
// Whether an mbuf chain is what its header says. A PMD may hand over a
// chain whose segments hold fewer bytes than its pkt_len: net_pcap of DPDK
// 22.11 scatters a record longer than one mbuf with a uint16_t length, so
// an 80,116-byte record (a BIG TCP frame captured on Linux) arrives as 7
// segments holding 14,580 bytes under pkt_len 80,116. Whatever walks
// pkt_len bytes of such a chain (rte_pktmbuf_copy, rte_pktmbuf_read, a PMD's
// TX) runs off its end, so the forwarder drops it at RX (`bad_chain`).
#pragma once

#include <cstdint>

#include <rte_mbuf.h>

namespace vswitch::dataplane {

// True when exactly nb_segs segments follow one another, each inside its
// buffer, and their data_len add up to pkt_len. The walk stops after
// nb_segs segments, so a cycle ends it too.
inline bool ChainConsistent(const rte_mbuf* m) {
  uint32_t sum = 0;
  uint16_t segs = 0;
  for (const rte_mbuf* s = m; s != nullptr; s = s->next) {
    if (segs == m->nb_segs ||
        static_cast<uint32_t>(s->data_off) + s->data_len > s->buf_len) {
      return false;
    }
    ++segs;
    sum += s->data_len;
  }
  return segs == m->nb_segs && sum == m->pkt_len;
}

// Hot path. Whether `m` must be dropped as bad_chain. A well-formed single
// segment (nb_segs 1, pkt_len == data_len: fields of the mbuf's first cache
// line, the one the PMD just wrote) costs one branch; anything else, a
// chain or a single segment whose pkt_len is not its data_len, is walked.
inline bool BadChain(const rte_mbuf* m) {
  return ((m->pkt_len ^ m->data_len) | (m->nb_segs ^ 1u)) != 0 && !ChainConsistent(m);
}

}  // namespace vswitch::dataplane
