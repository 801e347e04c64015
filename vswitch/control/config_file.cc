// SPDX-License-Identifier: Apache-2.0
#include "vswitch/control/config_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include "absl/strings/str_format.h"
#include "lib/net/mac_address.h"
#include "vswitch/control/validator.h"

namespace vswitch::control {
namespace {

// Keeps the first error (later ones are usually consequences of it).
class FirstErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (error_.empty()) {
      // The parser counts from 0; editors count from 1.
      error_ = absl::StrFormat("%d:%d: %s", line + 1, column + 1, message);
    }
  }
  void AddWarning(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
  const std::string& error() const { return error_; }

 private:
  std::string error_;
};

absl::Status Errno(const std::string& what, const std::string& path, int err) {
  return absl::UnavailableError(absl::StrFormat("cannot write config file %s: %s: %s (errno %d)",
                                                path, what, strerror(err), err));
}

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

void NormalizeVPort(v1::VPort* vp) {
  vp->clear_port_id();
  vp->clear_mac();
  vp->clear_link_up();
  if (vp->kind() == v1::VPORT_KIND_UNSPECIFIED) {
    vp->set_kind(v1::VPORT_KIND_VM);
  }
  if (vp->queues() == 0) {
    vp->set_queues(1);
  }
  if (vp->admin_state() == v1::ADMIN_STATE_UNSPECIFIED) {
    vp->set_admin_state(v1::ADMIN_STATE_UP);
  }
  if (vp->kind() == v1::VPORT_KIND_UPLINK && vp->uplink().mtu() == 0) {
    vp->mutable_uplink()->set_mtu(1500);
  }
}

void NormalizeTapSession(v1::TapSession* s) {
  if (s->direction() == v1::TAP_DIRECTION_UNSPECIFIED) {
    s->set_direction(v1::TAP_DIRECTION_BOTH);
  }
  for (auto& r : *s->mutable_rules()) {
    if (r.action() == v1::TAP_ACTION_UNSPECIFIED) {
      r.set_action(v1::TAP_ACTION_ACCEPT);
    }
  }
}

void NormalizeConfig(v1::Config* c) {
  for (auto& vp : *c->mutable_vports()) {
    NormalizeVPort(&vp);
  }
  for (auto& e : *c->mutable_fdb()) {
    e.clear_type();
    e.clear_age_seconds();
    if (auto mac = net::ParseMac(e.mac()); mac.ok()) {
      e.set_mac(net::FormatMac(*mac));
    }
  }
  for (auto& d : *c->mutable_destinations()) {
    if (d.udp_port() == 0) {
      d.set_udp_port(4789);
    }
  }
  for (auto& s : *c->mutable_tap_sessions()) {
    NormalizeTapSession(&s);
  }
  for (auto& n : *c->mutable_neighbors()) {
    n.clear_state();
    if (auto mac = net::ParseMac(n.mac()); mac.ok()) {
      n.set_mac(net::FormatMac(*mac));
    }
  }
}

absl::StatusOr<v1::Config> ParseConfigText(const std::string& text, const std::string& source) {
  google::protobuf::TextFormat::Parser parser;
  FirstErrorCollector errors;
  parser.RecordErrorsTo(&errors);
  v1::Config config;
  if (!parser.ParseFromString(text, &config)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s:%s", source, errors.error().empty() ? std::string("0:0: cannot parse") : errors.error()));
  }
  return config;
}

absl::StatusOr<std::optional<v1::Config>> LoadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    if (err == ENOENT) {
      return std::optional<v1::Config>();
    }
    return absl::UnavailableError(
        absl::StrFormat("%s: cannot read: %s (errno %d)", path, strerror(err), err));
  }
  std::stringstream buf;
  buf << in.rdbuf();
  if (in.bad()) {
    return absl::UnavailableError(absl::StrFormat("%s: cannot read", path));
  }
  absl::StatusOr<v1::Config> config = ParseConfigText(buf.str(), path);
  if (!config.ok()) {
    return config.status();
  }
  NormalizeConfig(&*config);
  if (absl::Status st = ValidateConfig(*config); !st.ok()) {
    return absl::Status(st.code(), absl::StrFormat("%s: %s", path, st.message()));
  }
  return std::optional<v1::Config>(*std::move(config));
}

std::string ConfigToText(const v1::Config& config) {
  std::string text;
  google::protobuf::TextFormat::Printer printer;
  printer.PrintToString(config, &text);
  return "# vswitchd configuration (vswitch.v1.Config, protobuf text format).\n"
         "# Rewritten by vswitchd after every accepted change.\n" +
         text;
}

absl::Status WriteConfigFileAtomically(const v1::Config& config, const std::string& path) {
  const std::string dir = DirOf(path);
  MakeDirs(dir);
  std::string tmp = path + ".tmp.XXXXXX";
  const int fd = mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) {
    return Errno("creating a temporary file in " + dir, path, errno);
  }
  auto fail = [&](const std::string& what) {
    const int err = errno;
    close(fd);
    unlink(tmp.c_str());
    return Errno(what, path, err);
  };
  if (fchmod(fd, 0640) != 0) {
    return fail("fchmod " + tmp);
  }
  if (!WriteAll(fd, ConfigToText(config))) {
    return fail("write " + tmp);
  }
  if (fsync(fd) != 0) {
    return fail("fsync " + tmp);
  }
  if (close(fd) != 0) {
    const int err = errno;
    unlink(tmp.c_str());
    return Errno("close " + tmp, path, err);
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    unlink(tmp.c_str());
    return Errno("rename " + tmp, path, err);
  }
  // The rename itself is durable only once the directory is.
  const int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) {
    return Errno("open directory " + dir, path, errno);
  }
  if (fsync(dfd) != 0) {
    const int err = errno;
    close(dfd);
    return Errno("fsync directory " + dir, path, err);
  }
  close(dfd);
  return absl::OkStatus();
}

}  // namespace vswitch::control
