// SPDX-License-Identifier: Apache-2.0
#include "vswitch/control/mirror_resources.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <glog/logging.h>

#include "absl/strings/str_format.h"
#include "vswitch/dataplane/pcapng_writer.h"

namespace vswitch::control {

int MirrorResources::FreeSlot(const SlotMap& slots) {
  uint32_t used = 0;
  for (const auto& [id, slot] : slots) {
    used |= 1u << slot;
  }
  return used == ~0u ? -1 : __builtin_ctz(~used);
}

absl::StatusOr<DestRings> MirrorResources::CreateRings(const v1::MirrorDestination& d,
                                                       const std::string& field, bool name_dest,
                                                       const std::string& pcapng_prefix) {
  DestRings rings{};
  for (uint16_t w = 0; w < n_workers_; ++w) {
    const std::string name = absl::StrFormat("mr_d%u_w%u", d.id(), w);
    rings[w] = rte_ring_create(name.c_str(), ring_size_, SOCKET_ID_ANY,
                               RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (rings[w] == nullptr) {
      const std::string err = rte_strerror(rte_errno);
      FreeRings(rings);
      return absl::ResourceExhaustedError(
          absl::StrFormat("%s: cannot create mirror ring %s%s: %s", field, name,
                          name_dest ? absl::StrFormat(" for '%s'", d.name()) : "", err));
    }
  }
  if (d.has_pcapng()) {
    if (absl::Status st = OpenPcapng(d, pcapng_prefix, &rings); !st.ok()) {
      FreeRings(rings);
      return st;
    }
  }
  return rings;
}

absl::Status MirrorResources::OpenPcapng(const v1::MirrorDestination& d,
                                         const std::string& prefix, DestRings* rings) {
  const std::string field = prefix + "pcapng.file";
  const std::string& file = d.pcapng().file();
  if (capture_dir_fd_ < 0) {
    // mkdir -p; a failure shows in the open below.
    for (size_t pos = 1; pos != std::string::npos;) {
      pos = capture_dir_.find('/', pos + 1);
      mkdir(capture_dir_.substr(0, pos).c_str(), 0750);
    }
    capture_dir_fd_ = open(capture_dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (capture_dir_fd_ < 0) {
      return absl::UnavailableError(absl::StrFormat("%s: cannot open --capture_dir %s: %s",
                                                    field, capture_dir_, strerror(errno)));
    }
  }
  // The writer never follows a link (O_NOFOLLOW|O_EXCL), but a FILE that
  // is a link or a device is a mistake worth naming.
  struct stat st;
  if (fstatat(capture_dir_fd_, file.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
      !S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: '%s' in %s is %s; refused", field, file, capture_dir_,
        S_ISLNK(st.st_mode) ? "a symbolic link" : "not a regular file"));
  }
  auto writer = std::make_unique<dataplane::PcapngWriter>(
      capture_dir_fd_, file.c_str(), d.pcapng().rotate_bytes());
  if (const int err = writer->Open(); err < 0) {
    return absl::UnavailableError(absl::StrFormat("%s: cannot create '%s' in %s: %s", field, file,
                                                  capture_dir_, strerror(-err)));
  }
  rings->pcapng = writer.release();
  LOG(INFO) << "pcapng destination " << d.name() << " writes " << capture_dir_ << "/" << file;
  return absl::OkStatus();
}

void MirrorResources::FreeRings(const DestRings& rings) {
  delete rings.pcapng;
  for (rte_ring* r : rings) {
    if (r == nullptr) {
      continue;
    }
    void* m = nullptr;
    while (rte_ring_dequeue(r, &m) == 0) {
      rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
    }
    rte_ring_free(r);
  }
}

std::optional<uint32_t> MirrorResources::PcapngFileIndex(uint32_t dest_id) const {
  auto it = state_.dest_rings.find(dest_id);
  if (it == state_.dest_rings.end() || it->second.pcapng == nullptr) {
    return std::nullopt;
  }
  return it->second.pcapng->file_index();
}

}  // namespace vswitch::control
