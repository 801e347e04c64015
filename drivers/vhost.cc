// SPDX-License-Identifier: Apache-2.0
// vhost[:path=SOCKET][,client=1] -> net_vhost: a VM's virtio-net NIC over a
// vhost-user socket. Server mode (default): the switch listens on SOCKET
// (default <--vhost_dir>/<vport>.sock) and QEMU connects; client=1: QEMU
// listens and the switch connects (and reconnects when QEMU restarts).
// Queue pairs are the vport's `queues` (at least one per forwarding lcore is
// configured, because every lcore transmits on its own queue).
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "absl/strings/str_format.h"
#include "drivers/vport_driver.h"

namespace vswitch::drivers {
namespace {

// sockaddr_un::sun_path holds 108 bytes with the terminating NUL.
constexpr size_t kMaxSocketPath = sizeof(sockaddr_un::sun_path) - 1;

absl::Status ValidateSocketPath(std::string_view key, const std::string& path) {
  if (path.empty() || path[0] != '/' || path.back() == '/') {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s '%s': want an absolute socket file path", key, path));
  }
  if (path.size() > kMaxSocketPath) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s '%s': %u characters; a unix socket path has at most %u", key, path, path.size(),
        kMaxSocketPath));
  }
  return absl::OkStatus();
}

absl::Status ValidateVhost(const DriverSpec& spec, bool /*check_host*/) {
  absl::Status st = RequireOnlyKeys(spec, {"path", "client"});
  if (!st.ok()) {
    return st;
  }
  if (const std::string* path = spec.Find("path"); path != nullptr) {
    st = ValidateSocketPath("path", *path);
    if (!st.ok()) {
      return st;
    }
  }
  if (const std::string* client = spec.Find("client");
      client != nullptr && *client != "0" && *client != "1") {
    return absl::InvalidArgumentError(absl::StrFormat("client '%s': want 0 or 1", *client));
  }
  // Host state (a live socket at the path) is checked in PrepareVhost: it
  // depends on the vport name when no path is given.
  return absl::OkStatus();
}

// Server mode: a socket file left by a previous run (crash, kill -9) would
// make bind() fail; remove it unless something still listens there.
absl::Status ClaimServerPath(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) {
    return absl::OkStatus();
  }
  if (!S_ISSOCK(st.st_mode)) {
    return absl::AlreadyExistsError(
        absl::StrFormat("path '%s': exists and is not a socket", path));
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrFormat("socket(): %s", strerror(errno)));
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  path.copy(addr.sun_path, kMaxSocketPath);
  const bool live = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  if (live) {
    return absl::AlreadyExistsError(
        absl::StrFormat("path '%s': another vport or process is listening there", path));
  }
  if (unlink(path.c_str()) != 0) {
    return absl::UnavailableError(
        absl::StrFormat("path '%s': cannot remove the stale socket: %s", path, strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status PrepareVhost(DriverSpec* spec, const BuildContext& ctx) {
  const bool client = spec->Find("client") != nullptr && *spec->Find("client") == "1";
  std::string path;
  if (const std::string* p = spec->Find("path"); p != nullptr) {
    path = *p;
  } else {
    if (ctx.vport_name.empty() || ctx.vhost_dir.empty()) {
      return absl::InvalidArgumentError("driver 'vhost' needs path=SOCKET here");
    }
    path = absl::StrFormat("%s/%s.sock", ctx.vhost_dir, ctx.vport_name);
    absl::Status st = ValidateSocketPath("path (from --vhost_dir)", path);
    if (!st.ok()) {
      return st;
    }
    // One level only: --vhost_dir's parent is the operator's (systemd's
    // RuntimeDirectory makes /run/vswitch itself).
    if (mkdir(std::string(ctx.vhost_dir).c_str(), 0755) != 0 && errno != EEXIST) {
      return absl::UnavailableError(
          absl::StrFormat("--vhost_dir '%s': cannot create: %s", ctx.vhost_dir, strerror(errno)));
    }
  }
  if (!client) {
    absl::Status st = ClaimServerPath(path);
    if (!st.ok()) {
      return st;
    }
  }
  // net_vhost's own keys. Its `queues` is the maximum the guest may enable;
  // each forwarding lcore transmits on its own queue, so at least that many.
  const uint16_t queues = std::max(ctx.rx_queues, ctx.tx_queues);
  spec->args.clear();
  spec->args.emplace_back("iface", path);
  spec->args.emplace_back("queues", absl::StrFormat("%u", std::max<uint16_t>(queues, 1)));
  spec->args.emplace_back("client", client ? "1" : "0");
  return absl::OkStatus();
}

}  // namespace

extern const VportDriver kVhostDriver = {"vhost", "net_vhost", "vhost[:path=SOCKET][,client=1]",
                                         &ValidateVhost, &PrepareVhost, RxQueueModel::kAtLeastTx};

}  // namespace vswitch::drivers
