// SPDX-License-Identifier: Apache-2.0
#include "vswitch/dataplane/pcapng_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include <rte_cycles.h>

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
constexpr uint16_t kEpbFlags = 2;
constexpr uint32_t kEpbInbound = 1;
constexpr uint32_t kEpbOutbound = 2;
constexpr uint16_t kLinkTypeEthernet = 1;
// EPB timestamps are nanoseconds since the epoch.
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

PcapngWriter::PcapngWriter(int dir_fd, const char* file, uint64_t rotate_bytes)
    : dir_fd_(fcntl(dir_fd, F_DUPFD_CLOEXEC, 0)), rotate_bytes_(rotate_bytes) {
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
  // (rte_pcapng_copy of DPDK 22.11 converted with its own base and gave
  // dates centuries ahead here.)
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
  static constexpr char kApp[] = "vswitchd";
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
int64_t PcapngWriter::InterfaceFor(const Snapshot& snap, uint32_t vport_id) {
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
  iov_[n_iov_].iov_base = buf;
  iov_[n_iov_].iov_len = b.size();
  ++n_iov_;
  iface_vport_[n_ifaces_] = vport_id;
  return n_ifaces_++;
}

// Hot path.
uint64_t PcapngWriter::NanosecondsAt(uint64_t tsc) const {
  const uint64_t delta = tsc > base_tsc_ ? tsc - base_tsc_ : 0;
  return base_ns_ + delta / tsc_hz_ * 1000000000ull + delta % tsc_hz_ * 1000000000ull / tsc_hz_;
}

// Hot path (encap lcore).
bool PcapngWriter::FlushPending(MirrorSlotCounters& dest, MirrorSlotCounters* sessions) {
  if (n_iov_ == 0) {
    return true;
  }
  size_t want = 0;
  for (int i = 0; i < n_iov_; ++i) {
    want += iov_[i].iov_len;
  }
  // A short write would leave a torn block: the file is then finished and
  // the next one started.
  const ssize_t written = writev(fd_, iov_, n_iov_);
  const bool ok = written >= 0 && static_cast<size_t>(written) == want;
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < n_pending_; ++i) {
    MirrorSlotCounters& sc = sessions[pending_slot_[i]];
    if (ok) {
      sc.sent_packets.Add(1);
      sc.sent_bytes.Add(pending_len_[i]);
      bytes += pending_len_[i];
    } else {
      sc.tx_dropped.Add(1);
    }
  }
  rte_pktmbuf_free_bulk(pending_, n_pending_);  // Their bytes are in the file now.
  if (ok) {
    dest.sent_packets.Add(n_pending_);
    dest.sent_bytes.Add(bytes);
  } else {
    dest.tx_dropped.Add(n_pending_);
  }
  if (written > 0) {
    file_bytes_ += static_cast<uint64_t>(written);
  }
  n_pending_ = 0;
  n_iov_ = 0;
  n_idb_ = 0;
  if (!ok) {
    Close();
    OpenNext();  // On failure fd_ stays -1 and copies count as tx_dropped.
  }
  return ok;
}

// Hot path (encap lcore).
void PcapngWriter::Write(const Snapshot& snap, rte_mbuf** copies, uint16_t n,
                         MirrorSlotCounters& dest, MirrorSlotCounters* sessions) {
  uint16_t truncated = 0;
  uint16_t failed = 0;
  n_iov_ = 0;
  n_idb_ = 0;
  n_pending_ = 0;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = copies[i];
    const MirrorMeta* meta = MirrorMetaOf(m);
    MirrorSlotCounters& sc = sessions[meta->session_slot];
    // Room for an interface block, the EPB header, the segments and the
    // trailer; else what is pending goes first.
    if (n_pending_ == kMaxBurst || n_iov_ + 3 + static_cast<int>(m->nb_segs) > kMaxIov) {
      FlushPending(dest, sessions);
    }
    if (fd_ < 0) {
      // A failed write or rotation left no file: the copy cannot be written.
      sc.tx_dropped.Add(1);
      dest.tx_dropped.Add(1);
      rte_pktmbuf_free(m);
      continue;
    }
    const int64_t iface = InterfaceFor(snap, meta->vport_id);
    if (iface < 0) {
      sc.clone_failed.Add(1);
      ++failed;
      rte_pktmbuf_free(m);
      continue;
    }
    uint32_t want = m->pkt_len;
    if (meta->truncate != 0 && meta->truncate < want) {
      want = meta->truncate;
    }
    if (want > kMaxCaptureLen) {
      want = kMaxCaptureLen;
    }
    // The segments that exist, never pkt_len on trust; the last iovec is
    // kept for the trailer.
    const int head_iov = n_iov_++;
    uint32_t captured = 0;
    for (const rte_mbuf* seg = m; seg != nullptr && captured < want && n_iov_ < kMaxIov - 1;
         seg = seg->next) {
      const uint32_t take = seg->data_len < want - captured ? seg->data_len : want - captured;
      if (take == 0) {
        continue;
      }
      iov_[n_iov_].iov_base = rte_pktmbuf_mtod(seg, void*);
      iov_[n_iov_].iov_len = take;
      ++n_iov_;
      captured += take;
    }
    if (captured < m->pkt_len) {
      sc.truncated.Add(1);
      ++truncated;
    }
    const uint32_t pad = (4 - captured % 4) % 4;
    const uint32_t total = static_cast<uint32_t>(kEpbHeadLen) + captured + pad + 8 + 4 + 4;
    // EPB words: type, length, interface id, timestamp high and low (ns),
    // captured and original length.
    const uint64_t ns = NanosecondsAt(meta->tsc);
    const uint32_t head[7] = {kEnhancedPacketBlock,         total,
                              static_cast<uint32_t>(iface), static_cast<uint32_t>(ns >> 32),
                              static_cast<uint32_t>(ns),    captured,
                              m->pkt_len};
    uint8_t* h = epb_head_[n_pending_];
    std::memcpy(h, head, sizeof(head));
    iov_[head_iov].iov_base = h;
    iov_[head_iov].iov_len = kEpbHeadLen;
    // The switch's view of the vport: a frame the VM sent came in on it.
    const uint32_t flags = meta->direction == kDirFromVm ? kEpbInbound : kEpbOutbound;
    uint8_t* t = epb_tail_[n_pending_];
    std::memset(t, 0, pad);
    const uint16_t opt[2] = {kEpbFlags, 4};
    std::memcpy(t + pad, opt, 4);
    std::memcpy(t + pad + 4, &flags, 4);
    std::memset(t + pad + 8, 0, 4);  // opt_endofopt.
    std::memcpy(t + pad + 12, &total, 4);
    iov_[n_iov_].iov_base = t;
    iov_[n_iov_].iov_len = pad + 16;
    ++n_iov_;
    pending_[n_pending_] = m;
    pending_slot_[n_pending_] = meta->session_slot;
    pending_len_[n_pending_] = total;
    ++n_pending_;
  }
  dest.truncated.Add(truncated);
  dest.clone_failed.Add(failed);
  if (FlushPending(dest, sessions) && rotate_bytes_ != 0 && file_bytes_ >= rotate_bytes_) {
    Close();
    OpenNext();  // On failure fd_ stays -1 and copies count as tx_dropped.
  }
}

}  // namespace vswitch::dataplane
