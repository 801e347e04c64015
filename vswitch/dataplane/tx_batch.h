// SPDX-License-Identifier: Apache-2.0
//
// Per-lcore TX staging: packets are grouped per output port during a burst
// and sent with one rte_eth_tx_burst per port. Unsent packets are freed and
// counted; there is no retry loop.
#pragma once

#include <cstdint>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "vswitch/dataplane/lcore_stats.h"
#include "vswitch/dataplane/snapshot.h"

namespace vswitch::dataplane {

inline constexpr uint16_t kMaxBurst = 32;

// Thread: owning worker; hot path.
class TxBatch {
 public:
  // A flood adds at most one copy per input packet to each port, so one
  // burst never holds more than kMaxBurst per port.
  static constexpr uint16_t kCapacity = kMaxBurst;

  explicit TxBatch(uint16_t tx_queue) : tx_queue_(tx_queue) {}

  // Hot path. The caller guarantees fewer than kCapacity staged for `port`
  // since the last Flush().
  void Add(uint16_t port, rte_mbuf* m) {
    PortBuf& b = bufs_[port];
    if (b.n == 0) {
      dirty_[n_dirty_++] = port;
    }
    b.len[b.n] = m->pkt_len;
    b.pkts[b.n++] = m;
  }

  // Hot path. For a port that may get more than kCapacity frames in one
  // burst (the uplink: head-end replicas, overlay frames): a full buffer is
  // sent first.
  void AddChecked(uint16_t port, rte_mbuf* m, LcoreStats* stats) {
    PortBuf& b = bufs_[port];
    if (b.n == kCapacity) {
      Send(port, stats);  // The port stays listed in dirty_.
      b.len[0] = m->pkt_len;
      b.pkts[0] = m;
      b.n = 1;
      return;
    }
    Add(port, m);
  }

  // Hot path. Sends everything staged; frees and counts what the queue refuses.
  void Flush(LcoreStats* stats) {
    for (uint16_t d = 0; d < n_dirty_; ++d) {
      Send(dirty_[d], stats);
    }
    n_dirty_ = 0;
  }

 private:
  // Sends what is staged for `port`.
  void Send(uint16_t port, LcoreStats* stats) {
    PortBuf& b = bufs_[port];
    if (b.n == 0) {
      return;
    }
    const uint16_t sent = rte_eth_tx_burst(port, tx_queue_, b.pkts, b.n);
    uint64_t bytes = 0;
    for (uint16_t i = 0; i < sent; ++i) {
      // Lengths were read at staging: the driver may already have freed
      // the mbuf.
      bytes += b.len[i];
    }
    PortCounters& pc = stats->ports[port];
    pc.tx_packets.Add(sent);
    pc.tx_bytes.Add(bytes);
    if (sent < b.n) {
      pc.drops[static_cast<int>(DropReason::kTxFull)].Add(b.n - sent);
      rte_pktmbuf_free_bulk(&b.pkts[sent], b.n - sent);
    }
    b.n = 0;
  }

  struct PortBuf {
    uint16_t n = 0;
    rte_mbuf* pkts[kCapacity];
    uint32_t len[kCapacity];
  };
  PortBuf bufs_[kMaxPorts];
  uint16_t dirty_[kMaxPorts];
  uint16_t n_dirty_ = 0;
  uint16_t tx_queue_;
};

}  // namespace vswitch::dataplane
