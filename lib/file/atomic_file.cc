// SPDX-License-Identifier: Apache-2.0
#include "lib/file/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/strings/str_format.h"

namespace vswitch::file {
namespace {

std::string DirOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) {
    return ".";
  }
  return slash == 0 ? "/" : path.substr(0, slash);
}

// mkdir -p; errors are reported by the open that follows.
void MakeDirs(const std::string& dir) {
  std::string partial;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    partial = dir.substr(0, pos);
    if (!partial.empty()) {
      mkdir(partial.c_str(), 0755);
    }
  }
}

bool WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return false;
    }
    off += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

absl::Status WriteFileAtomically(const std::string& path, const std::string& data, mode_t mode,
                                 const std::string& what) {
  auto error = [&](const std::string& step, int err) {
    return absl::UnavailableError(absl::StrFormat("cannot write %s %s: %s: %s (errno %d)", what,
                                                  path, step, strerror(err), err));
  };
  const std::string dir = DirOf(path);
  MakeDirs(dir);
  std::string tmp = path + ".tmp.XXXXXX";
  const int fd = mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) {
    return error("creating a temporary file in " + dir, errno);
  }
  auto fail = [&](const std::string& step) {
    const int err = errno;
    close(fd);
    unlink(tmp.c_str());
    return error(step, err);
  };
  if (fchmod(fd, mode) != 0) {
    return fail("fchmod " + tmp);
  }
  if (!WriteAll(fd, data)) {
    return fail("write " + tmp);
  }
  if (fsync(fd) != 0) {
    return fail("fsync " + tmp);
  }
  if (close(fd) != 0) {
    const int err = errno;
    unlink(tmp.c_str());
    return error("close " + tmp, err);
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    unlink(tmp.c_str());
    return error("rename " + tmp, err);
  }
  // The rename itself is durable only once the directory is.
  const int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) {
    return error("open directory " + dir, errno);
  }
  if (fsync(dfd) != 0) {
    const int err = errno;
    close(dfd);
    return error("fsync directory " + dir, err);
  }
  close(dfd);
  return absl::OkStatus();
}

}  // namespace vswitch::file
