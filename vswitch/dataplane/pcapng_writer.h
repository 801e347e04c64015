// SPDX-License-Identifier: Apache-2.0
//
// A pcapng mirror destination: writes mirror copies to a file in the
// capture directory instead of encapsulating them. Packet blocks (EPB:
// captured/original length, direction flags) are made by DPDK's
// rte_pcapng_copy; the section header and one interface block per source
// vport, named after the vport, are written here, because rte_pcapng of DPDK
// 22.11 names interfaces after the kernel ifindex or "dpdk:N" and only for
// the ports that exist when the file is opened (23.11 adds
// rte_pcapng_add_interface; switch to it then).
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
#include <rte_mempool.h>

#include "vswitch/dataplane/lcore_stats.h"
#include "vswitch/dataplane/snapshot.h"
#include "vswitch/dataplane/tx_batch.h"

namespace vswitch::dataplane {

class PcapngWriter {
 public:
  static constexpr size_t kMaxNameLen = 255;
  // Distinct source vports per file; one more rotates to a new file.
  static constexpr uint32_t kMaxInterfaces = 256;

  // `dir_fd` is the capture directory (duplicated; the caller keeps its
  // own). `file` has been validated (no '/', not "." or "..").
  // `rotate_bytes` 0 = never. `pool` makes the packet-block copies.
  PcapngWriter(int dir_fd, const char* file, uint64_t rotate_bytes, rte_mempool* pool);
  ~PcapngWriter();
  PcapngWriter(const PcapngWriter&) = delete;
  PcapngWriter& operator=(const PcapngWriter&) = delete;

  // Opens the first file. Returns 0, or a negative errno (-EEXIST when no
  // free name is left). Control side, before the writer is published.
  int Open();

  // Hot path (encap lcore). Writes `n` copies (consumed: freed in every
  // case) with one writev. Counts in `dest` and per session slot in
  // `sessions`: sent_packets, sent_bytes (bytes written to the file),
  // truncated (cut to the session's truncate_bytes), clone_failed (no mbuf
  // for the packet block), tx_dropped (the write failed).
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
  int64_t InterfaceFor(const Snapshot& snap, uint32_t vport_id, iovec* iov, int* n_iov);

  int dir_fd_ = -1;
  int fd_ = -1;
  char file_[kMaxNameLen + 1] = {};
  uint64_t rotate_bytes_;
  rte_mempool* pool_;
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
  // Interface blocks built during one Write (at most one per copy).
  static constexpr size_t kIdbMax = 160;
  uint8_t idb_[kMaxBurst][kIdbMax] = {};
  uint16_t n_idb_ = 0;
};

}  // namespace vswitch::dataplane
