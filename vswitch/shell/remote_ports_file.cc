// SPDX-License-Identifier: Apache-2.0
#include "vswitch/shell/remote_ports_file.h"

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "vswitch/api/vswitch.pb.h"
#include "vswitch/shell/arg_spec.h"

namespace vswitch::shell {

absl::StatusOr<RemotePortsFile> ParseRemotePorts(const std::string& text, const std::string& path,
                                                 const std::string& vnet) {
  RemotePortsFile file;
  int line_number = 0;
  for (absl::string_view piece : absl::StrSplit(text, '\n')) {
    ++line_number;
    std::string line(piece);
    if (size_t hash = line.find('#'); hash != std::string::npos) {
      line.resize(hash);
    }
    std::vector<std::string> words =
        absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (words.empty()) {
      continue;
    }
    if (words.size() < 3) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s:%d: expected \"VNET MAC VTEP [IP]...\", got %d word%s", path,
                          line_number, words.size(), words.size() == 1 ? "" : "s"));
    }
    if (!vnet.empty() && words[0] != vnet) {
      ++file.skipped;
      continue;
    }
    v1::RemotePort& port = file.ports.emplace_back();
    port.set_vnet(words[0]);
    port.set_mac(words[1]);
    port.set_vtep(words[2]);
    for (size_t i = 3; i < words.size(); ++i) {
      port.add_ips(words[i]);
    }
    file.lines.push_back(line_number);
  }
  return file;
}

absl::StatusOr<RemotePortsFile> ReadRemotePortsFile(const std::string& path,
                                                    const std::string& vnet) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: cannot read: %s", path, std::strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: cannot read", path));
  }
  return ParseRemotePorts(text.str(), path, vnet);
}

std::string WithFileLine(const std::string& message, const RemotePortsFile& file,
                         const std::string& path) {
  // Only the request's own field "ports[i]": a "remote_ports[i]" would
  // index the whole configuration, not the file.
  size_t at = message.find("ports[");
  while (at != std::string::npos && at > 0 &&
         (std::isalnum(static_cast<unsigned char>(message[at - 1])) || message[at - 1] == '_')) {
    at = message.find("ports[", at + 1);
  }
  if (at == std::string::npos) {
    return message;
  }
  const size_t start = at + std::strlen("ports[");
  const size_t end = message.find(']', start);
  uint32_t index = 0;
  if (end == std::string::npos || !ParseUint32(message.substr(start, end - start), &index) ||
      index >= file.lines.size()) {
    return message;
  }
  return absl::StrFormat("%s (%s:%d)", message, path, file.lines[index]);
}

}  // namespace vswitch::shell
