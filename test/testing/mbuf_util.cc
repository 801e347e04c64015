// SPDX-License-Identifier: Apache-2.0
#include "test/testing/mbuf_util.h"

#include <rte_errno.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

namespace vswitch::testing {

dpdk::MempoolPtr MakeTestPool(const std::string& tag, unsigned n, uint16_t data_room) {
  static std::atomic<int> seq{0};
  const std::string name = "tp_" + tag + "_" + std::to_string(seq++);
  auto pool = dpdk::CreatePktPool(name, n, data_room, /*cache=*/0);
  if (!pool.ok()) {
    return nullptr;
  }
  return std::move(*pool);
}

rte_mbuf* MbufFromBytes(rte_mempool* mp, const std::vector<uint8_t>& bytes) {
  return MbufWithHiddenTail(mp, bytes, static_cast<uint16_t>(bytes.size()));
}

rte_mbuf* MbufWithHiddenTail(rte_mempool* mp, const std::vector<uint8_t>& bytes,
                             uint16_t data_len) {
  rte_mbuf* m = rte_pktmbuf_alloc(mp);
  if (m == nullptr || bytes.size() > rte_pktmbuf_tailroom(m) || data_len > bytes.size()) {
    rte_pktmbuf_free(m);
    return nullptr;
  }
  std::memcpy(rte_pktmbuf_mtod(m, uint8_t*), bytes.data(), bytes.size());
  m->data_len = data_len;
  m->pkt_len = data_len;
  return m;
}

rte_mbuf* MbufAtEndOfRoom(rte_mempool* mp, const std::vector<uint8_t>& bytes) {
  rte_mbuf* m = rte_pktmbuf_alloc(mp);
  if (m == nullptr || bytes.size() > m->buf_len) {
    rte_pktmbuf_free(m);
    return nullptr;
  }
  m->data_off = static_cast<uint16_t>(m->buf_len - bytes.size());
  std::memcpy(rte_pktmbuf_mtod(m, uint8_t*), bytes.data(), bytes.size());
  m->data_len = static_cast<uint16_t>(bytes.size());
  m->pkt_len = static_cast<uint32_t>(bytes.size());
  return m;
}

std::vector<uint8_t> MbufBytes(const rte_mbuf* m) {
  const uint8_t* p = rte_pktmbuf_mtod(m, const uint8_t*);
  return std::vector<uint8_t>(p, p + m->data_len);
}

rte_mbuf* MbufChain(rte_mempool* mp, std::span<const uint8_t> bytes,
                    const std::vector<size_t>& seg_lens) {
  rte_mbuf* head = nullptr;
  size_t off = 0;
  for (size_t n : seg_lens) {
    rte_mbuf* m = rte_pktmbuf_alloc(mp);
    if (m == nullptr || n > rte_pktmbuf_tailroom(m) || off + n > bytes.size()) {
      rte_pktmbuf_free(m);
      rte_pktmbuf_free(head);
      return nullptr;
    }
    if (n != 0) {  // An empty span may have no data pointer.
      std::memcpy(rte_pktmbuf_mtod(m, uint8_t*), bytes.data() + off, n);
    }
    m->data_len = static_cast<uint16_t>(n);
    m->pkt_len = static_cast<uint32_t>(n);
    off += n;
    if (head == nullptr) {
      head = m;
    } else if (rte_pktmbuf_chain(head, m) != 0) {  // Too many segments.
      rte_pktmbuf_free(m);
      rte_pktmbuf_free(head);
      return nullptr;
    }
  }
  if (off != bytes.size()) {
    rte_pktmbuf_free(head);
    return nullptr;
  }
  return head;
}

std::vector<uint8_t> ChainBytes(const rte_mbuf* m) {
  std::vector<uint8_t> out;
  for (const rte_mbuf* s = m; s != nullptr; s = s->next) {
    const uint8_t* p = rte_pktmbuf_mtod(s, const uint8_t*);
    out.insert(out.end(), p, p + s->data_len);
  }
  return out;
}

}  // namespace vswitch::testing
