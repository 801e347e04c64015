// SPDX-License-Identifier: Apache-2.0
// rte_pcapng is experimental in DPDK 22.11; only this file uses it.
#define ALLOW_EXPERIMENTAL_API 1

#include "vswitch/dataplane/pcapng_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include <rte_cycles.h>
#include <rte_pcapng.h>

#include "vswitch/dataplane/mirror_meta.h"

namespace vswitch::dataplane {
namespace {

// pcapng block types and options (draft-ietf-opsawg-pcapng).
constexpr uint32_t kSectionHeaderBlock = 0x0A0D0D0A;
constexpr uint32_t kByteOrderMagic = 0x1A2B3C4D;
constexpr uint32_t kInterfaceBlock = 1;
constexpr uint32_t kEnhancedPacketBlock = 6;
constexpr uint16_t kOptEnd = 0;
constexpr uint16_t kShbUserAppl = 4;
constexpr uint16_t kIfName = 2;
constexpr uint16_t kIfDescription = 3;
constexpr uint16_t kIfTsresol = 9;
constexpr uint16_t kLinkTypeEthernet = 1;
// rte_pcapng_copy (22.11) stamps nanoseconds since the epoch.
constexpr uint8_t kTsresolNanoseconds = 9;
// Bounded search for a free file name.
constexpr uint32_t kMaxFileIndex = 1000000;

// Appends pcapng blocks to a fixed buffer (little-endian host, as pcapng
// allows any byte order the section header declares).
class BlockBuilder {
 public:
  BlockBuilder(uint8_t* buf, size_t cap) : buf_(buf), cap_(cap) {}
  bool Put(const void* data, size_t len) {
    if (len_ + len > cap_) {
      return false;
    }
    std::memcpy(buf_ + len_, data, len);
    len_ += len;
    return true;
  }
  bool Put32(uint32_t v) { return Put(&v, 4); }
  bool Put16(uint16_t v) { return Put(&v, 2); }
  // One option: code, length, value padded to 32 bits.
  bool Option(uint16_t code, const void* value, uint16_t len) {
    static constexpr uint8_t kZero[4] = {};
    return Put16(code) && Put16(len) && Put(value, len) && Put(kZero, (4 - len % 4) % 4);
  }
  // Ends options and the block: opt_endofopt, trailing length, and the
  // length patched into the header (offset 4).
  bool Finish() {
    if (!Put16(kOptEnd) || !Put16(0) || len_ + 4 > cap_) {
      return false;
    }
    const uint32_t total = static_cast<uint32_t>(len_ + 4);
    Put32(total);
    std::memcpy(buf_ + 4, &total, 4);
    return true;
  }
  size_t size() const { return len_; }

 private:
  uint8_t* buf_;
  size_t cap_;
  size_t len_ = 0;
};

bool WriteFully(int fd, const uint8_t* data, size_t len) {
  while (len > 0) {
    const ssize_t n = write(fd, data, len);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    data += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

PcapngWriter::PcapngWriter(int dir_fd, const char* file, uint64_t rotate_bytes, rte_mempool* pool)
    : dir_fd_(fcntl(dir_fd, F_DUPFD_CLOEXEC, 0)), rotate_bytes_(rotate_bytes), pool_(pool) {
  std::snprintf(file_, sizeof(file_), "%s", file);
}

PcapngWriter::~PcapngWriter() {
  Close();
  if (dir_fd_ >= 0) {
    close(dir_fd_);
  }
}

int PcapngWriter::Open() {
  if (dir_fd_ < 0) {
    return -EBADF;
  }
  // The copies' TSC stamps become wall-clock time against this base.
  // (rte_pcapng_copy of DPDK 22.11 converts with its own base and gave
  // dates centuries ahead here; the writer sets the EPB time itself.)
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  base_tsc_ = rte_get_tsc_cycles();
  base_ns_ = static_cast<uint64_t>(now.tv_sec) * 1000000000ull + static_cast<uint64_t>(now.tv_nsec);
  tsc_hz_ = rte_get_tsc_hz();
  return OpenNext();
}

void PcapngWriter::Close() {
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
}

int PcapngWriter::OpenNext() {
  char name[kMaxNameLen + 16];
  for (; next_index_ < kMaxFileIndex; ++next_index_) {
    if (next_index_ == 0) {
      std::snprintf(name, sizeof(name), "%s", file_);
    } else {
      std::snprintf(name, sizeof(name), "%s.%u", file_, next_index_);
    }
    fd_ = openat(dir_fd_, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (fd_ >= 0) {
      break;
    }
    if (errno != EEXIST) {
      return -errno;
    }
  }
  if (fd_ < 0) {
    return -EEXIST;
  }
  file_index_.store(next_index_, std::memory_order_relaxed);
  files_opened_.store(files_opened_.load(std::memory_order_relaxed) + 1,
                      std::memory_order_relaxed);
  ++next_index_;
  n_ifaces_ = 0;
  uint8_t buf[128];
  BlockBuilder b(buf, sizeof(buf));
  static constexpr char kApp[] = "vswitchd (rte_pcapng)";
  const uint64_t section_length = ~uint64_t{0};  // Unknown.
  b.Put32(kSectionHeaderBlock);
  b.Put32(0);  // Length, patched by Finish.
  b.Put32(kByteOrderMagic);
  b.Put16(1);  // Version 1.0.
  b.Put16(0);
  b.Put(&section_length, 8);
  b.Option(kShbUserAppl, kApp, sizeof(kApp) - 1);
  b.Finish();
  if (!WriteFully(fd_, buf, b.size())) {
    const int err = errno != 0 ? errno : EIO;
    Close();
    return -err;
  }
  file_bytes_ = b.size();
  return 0;
}

// Hot path, except for the first copy of a vport in a file.
int64_t PcapngWriter::InterfaceFor(const Snapshot& snap, uint32_t vport_id, iovec* iov,
                                   int* n_iov) {
  for (uint32_t i = 0; i < n_ifaces_; ++i) {
    if (iface_vport_[i] == vport_id) {
      return i;
    }
  }
  if (n_ifaces_ == kMaxInterfaces || n_idb_ == kMaxBurst) {
    return -1;
  }
  // The vport's name, if it still exists (a copy may outlive its vport).
  char name[40];
  std::snprintf(name, sizeof(name), "vport-%u", vport_id);
  for (uint16_t p = 0; p < kMaxPorts; ++p) {
    if (snap.ports[p].present && snap.ports[p].vport_id == vport_id &&
        snap.vport_names[p][0] != '\0') {
      std::snprintf(name, sizeof(name), "%s", snap.vport_names[p].data());
      break;
    }
  }
  char descr[64];
  const int descr_len = std::snprintf(descr, sizeof(descr), "vswitch vport id %u", vport_id);
  uint8_t* buf = idb_[n_idb_];
  BlockBuilder b(buf, kIdbMax);
  b.Put32(kInterfaceBlock);
  b.Put32(0);
  b.Put16(kLinkTypeEthernet);
  b.Put16(0);
  b.Put32(0);  // Snap length: no limit.
  b.Option(kIfName, name, static_cast<uint16_t>(std::strlen(name)));
  b.Option(kIfDescription, descr, static_cast<uint16_t>(descr_len));
  b.Option(kIfTsresol, &kTsresolNanoseconds, 1);
  if (!b.Finish()) {
    return -1;
  }
  ++n_idb_;
  iov[*n_iov].iov_base = buf;
  iov[*n_iov].iov_len = b.size();
  ++*n_iov;
  iface_vport_[n_ifaces_] = vport_id;
  return n_ifaces_++;
}

// Hot path.
uint64_t PcapngWriter::NanosecondsAt(uint64_t tsc) const {
  const uint64_t delta = tsc > base_tsc_ ? tsc - base_tsc_ : 0;
  return base_ns_ + delta / tsc_hz_ * 1000000000ull + delta % tsc_hz_ * 1000000000ull / tsc_hz_;
}

// Hot path (encap lcore).
void PcapngWriter::Write(const Snapshot& snap, rte_mbuf** copies, uint16_t n,
                         MirrorSlotCounters& dest, MirrorSlotCounters* sessions) {
  if (fd_ < 0) {
    // A failed rotation left no file: the copies cannot be written.
    for (uint16_t i = 0; i < n; ++i) {
      sessions[MirrorMetaOf(copies[i])->session_slot].tx_dropped.Add(1);
      rte_pktmbuf_free(copies[i]);
    }
    dest.tx_dropped.Add(n);
    return;
  }
  // Segments per block are few (the pool's buffers hold a 2 KB frame), so
  // a burst fits IOV_MAX (1024); a copy that would not is dropped.
  static constexpr int kMaxIov = 1024;
  iovec iov[kMaxIov];
  int n_iov = 0;
  rte_mbuf* blocks[kMaxBurst];
  uint16_t block_slot[kMaxBurst];
  uint32_t block_len[kMaxBurst];
  uint16_t n_blocks = 0;
  n_idb_ = 0;
  uint16_t truncated = 0;
  uint16_t failed = 0;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = copies[i];
    const MirrorMeta* meta = MirrorMetaOf(m);
    MirrorSlotCounters& sc = sessions[meta->session_slot];
    const int64_t iface = InterfaceFor(snap, meta->vport_id, iov, &n_iov);
    // The switch's view of the vport: a frame the VM sent came in on it.
    const rte_pcapng_direction dir =
        meta->direction == kDirFromVm ? RTE_PCAPNG_DIRECTION_IN : RTE_PCAPNG_DIRECTION_OUT;
    const uint32_t snap_len = meta->truncate != 0 ? meta->truncate : UINT32_MAX;
    rte_mbuf* block =
        iface < 0 ? nullptr
                  : rte_pcapng_copy(m->port, 0, m, pool_, snap_len, meta->tsc, dir);
    if (block != nullptr && n_iov + block->nb_segs > kMaxIov) {
      rte_pktmbuf_free(block);
      block = nullptr;
    }
    if (block == nullptr) {
      sc.clone_failed.Add(1);
      ++failed;
      rte_pktmbuf_free(m);
      continue;
    }
    if (meta->truncate != 0 && meta->truncate < m->pkt_len) {
      sc.truncated.Add(1);
      ++truncated;
    }
    rte_pktmbuf_free(m);  // Its bytes are in the block now.
    // The EPB header is at the front; its interface id is ours to set.
    // EPB words: type, length, interface id, timestamp high and low (ns).
    uint32_t* epb = rte_pktmbuf_mtod(block, uint32_t*);
    if (epb[0] == kEnhancedPacketBlock) {
      epb[2] = static_cast<uint32_t>(iface);
      const uint64_t ns = NanosecondsAt(meta->tsc);
      epb[3] = static_cast<uint32_t>(ns >> 32);
      epb[4] = static_cast<uint32_t>(ns);
    }
    for (rte_mbuf* seg = block; seg != nullptr; seg = seg->next) {
      iov[n_iov].iov_base = rte_pktmbuf_mtod(seg, void*);
      iov[n_iov].iov_len = seg->data_len;
      ++n_iov;
    }
    blocks[n_blocks] = block;
    block_slot[n_blocks] = meta->session_slot;
    block_len[n_blocks] = block->pkt_len;
    ++n_blocks;
  }
  dest.truncated.Add(truncated);
  dest.clone_failed.Add(failed);
  if (n_iov <= 0) {
    return;  // Nothing to write (no blocks means no iovecs and vice versa).
  }
  size_t want = 0;
  for (int i = 0; i < n_iov; ++i) {
    want += iov[i].iov_len;
  }
  // One syscall per burst. A short write would leave a torn block: the
  // file is then finished and the next one started.
  ssize_t written = writev(fd_, iov, n_iov);
  const bool ok = written >= 0 && static_cast<size_t>(written) == want;
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < n_blocks; ++i) {
    MirrorSlotCounters& sc = sessions[block_slot[i]];
    if (ok) {
      sc.sent_packets.Add(1);
      sc.sent_bytes.Add(block_len[i]);
      bytes += block_len[i];
    } else {
      sc.tx_dropped.Add(1);
    }
  }
  rte_pktmbuf_free_bulk(blocks, n_blocks);
  if (ok) {
    dest.sent_packets.Add(n_blocks);
    dest.sent_bytes.Add(bytes);
  } else {
    dest.tx_dropped.Add(n_blocks);
  }
  if (written > 0) {
    file_bytes_ += static_cast<uint64_t>(written);
  }
  if (!ok || (rotate_bytes_ != 0 && file_bytes_ >= rotate_bytes_)) {
    Close();
    OpenNext();  // On failure fd_ stays -1 and copies count as tx_dropped.
  }
}

}  // namespace vswitch::dataplane
