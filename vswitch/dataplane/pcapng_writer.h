// SPDX-License-Identifier: Apache-2.0
//
// A pcapng mirror destination: writes mirror copies to a file in the
// capture directory instead of encapsulating them. Every block is made
// here: the section header, one interface block per source vport (named
// after the vport), and one enhanced packet block (EPB) per copy, whose
// header and trailer go into small buffers of this writer while the frame's
// bytes are handed to writev straight from the copy's segments (no copy of
// the payload). rte_pcapng is not used: rte_pcapng_copy of DPDK 22.11 sets
// the EPB's block and capture lengths from the first segment's data_len and
// pads only that, so a chained frame gave a torn block; it also copies
// with rte_pktmbuf_copy, which walks pkt_len bytes and ran off the end of a
// chain whose segments hold fewer (net_pcap's RX of a record over 65,535
// bytes: SIGSEGV). It names interfaces after the kernel ifindex or "dpdk:N"
// too, and only for the ports that exist when the file is opened.
//
// The writer never trusts a chain: it walks only the segments that exist,
// so the capture length is what the chain holds (at most pkt_len, the
// session's truncation and kMaxCaptureLen), and the original length is
// pkt_len.
//
// Files: the first is FILE, then FILE.1, FILE.2, ...; each open takes the
// first of these names that does not exist (O_CREAT|O_EXCL|O_NOFOLLOW under
// the directory's fd), so a capture is never overwritten and nothing is
// followed out of the directory. Past rotate_bytes the file is closed and
// the next one opened.
//
// Owner: the control side (ConfigStore), which creates it with its
// destination and destroys it after a grace period. Thread: Open() and the
// destructor on the control side; Write() on the encap lcore only (the one
// consumer of the destination's rings), which also rotates.
#pragma once

#include <sys/uio.h>

#include <atomic>
#include <cstdint>

#include <rte_mbuf.h>

#include "vswitch/dataplane/lcore_stats.h"
#include "vswitch/dataplane/snapshot.h"
#include "vswitch/dataplane/tx_batch.h"

namespace vswitch::dataplane {

class PcapngWriter {
 public:
  static constexpr size_t kMaxNameLen = 255;
  // Distinct source vports per file; one more rotates to a new file.
  static constexpr uint32_t kMaxInterfaces = 256;

  // The longest capture of one packet: Wireshark and libpcap refuse a
  // larger packet (WTAP_MAX_PACKET_SIZE_STANDARD, MAXIMUM_SNAPLEN). Longer
  // copies are cut to it and counted as truncated.
  static constexpr uint32_t kMaxCaptureLen = 262144;
  // iovecs per writev (IOV_MAX). A burst that needs more is written with
  // several; one copy of more segments is cut where they run out.
  static constexpr int kMaxIov = 1024;

  // `dir_fd` is the capture directory (duplicated; the caller keeps its
  // own). `file` has been validated (no '/', not "." or "..").
  // `rotate_bytes` 0 = never.
  PcapngWriter(int dir_fd, const char* file, uint64_t rotate_bytes);
  ~PcapngWriter();
  PcapngWriter(const PcapngWriter&) = delete;
  PcapngWriter& operator=(const PcapngWriter&) = delete;

  // Opens the first file. Returns 0, or a negative errno (-EEXIST when no
  // free name is left). Control side, before the writer is published.
  int Open();

  // Hot path (encap lcore). Writes `n` copies (consumed: freed in every
  // case) with one writev (more when their segments exceed kMaxIov).
  // Counts in `dest` and per session slot in `sessions`: sent_packets,
  // sent_bytes (bytes written to the file), truncated (captured less than
  // the frame: the session's truncate_bytes, kMaxCaptureLen, or a chain
  // shorter than its pkt_len), clone_failed (no room for another
  // interface in the file), tx_dropped (the write failed).
  void Write(const Snapshot& snap, rte_mbuf** copies, uint16_t n, MirrorSlotCounters& dest,
             MirrorSlotCounters* sessions);

  // The suffix of the file being written: 0 = FILE, k = FILE.k. Thread: any.
  uint32_t file_index() const { return file_index_.load(std::memory_order_relaxed); }
  // Files opened so far. Thread: any.
  uint32_t files_opened() const { return files_opened_.load(std::memory_order_relaxed); }

 private:
  // Opens the first free name from `next_index_` on and writes the section
  // header. Returns 0 or a negative errno.
  int OpenNext();
  void Close();
  // Wall-clock ns since the epoch of a TSC stamp (MirrorMeta::tsc).
  uint64_t NanosecondsAt(uint64_t tsc) const;
  // The interface id of `vport_id` in the current file; appends its
  // interface block to the pending iovecs when it is new. -1 when the file
  // has no room for another interface.
  int64_t InterfaceFor(const Snapshot& snap, uint32_t vport_id);
  // Writes the pending iovecs and counts the copies they hold; on failure
  // the file is finished and the next one opened. Returns false when the
  // write failed.
  bool FlushPending(MirrorSlotCounters& dest, MirrorSlotCounters* sessions);

  int dir_fd_ = -1;
  int fd_ = -1;
  char file_[kMaxNameLen + 1] = {};
  uint64_t rotate_bytes_;
  uint64_t file_bytes_ = 0;
  // Time base taken in Open(): a TSC value, the wall clock then (ns), TSC Hz.
  uint64_t base_tsc_ = 0;
  uint64_t base_ns_ = 0;
  uint64_t tsc_hz_ = 1;
  uint32_t next_index_ = 0;
  std::atomic<uint32_t> file_index_{0};
  std::atomic<uint32_t> files_opened_{0};
  // Interfaces of the current file: vport ids in IDB order.
  uint32_t n_ifaces_ = 0;
  uint32_t iface_vport_[kMaxInterfaces] = {};
  // Interface blocks built since the last flush (at most one per copy).
  static constexpr size_t kIdbMax = 160;
  uint8_t idb_[kMaxBurst][kIdbMax] = {};
  uint16_t n_idb_ = 0;
  // EPB header (7 words) and trailer (padding, flags option, end of
  // options, length) of each pending copy.
  static constexpr size_t kEpbHeadLen = 28;
  static constexpr size_t kEpbTailMax = 3 + 8 + 4 + 4;
  uint8_t epb_head_[kMaxBurst][kEpbHeadLen] = {};
  uint8_t epb_tail_[kMaxBurst][kEpbTailMax + 1] = {};
  // What the next writev sends, and the copies whose bytes it points at
  // (freed once written), with their session slot and block length.
  iovec iov_[kMaxIov] = {};
  int n_iov_ = 0;
  rte_mbuf* pending_[kMaxBurst] = {};
  uint16_t pending_slot_[kMaxBurst] = {};
  uint32_t pending_len_[kMaxBurst] = {};
  uint16_t n_pending_ = 0;
};

}  // namespace vswitch::dataplane
