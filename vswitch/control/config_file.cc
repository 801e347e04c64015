// SPDX-License-Identifier: Apache-2.0
#include "vswitch/control/config_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_format.h"
#include "lib/file/atomic_file.h"
#include "lib/net/ipv4.h"
#include "lib/net/mac_address.h"
#include "lib/proto/text_proto.h"
#include "vswitch/control/validator.h"

namespace vswitch::control {

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

void NormalizeRemotePort(v1::RemotePort* rp) {
  if (auto mac = net::ParseMac(rp->mac()); mac.ok()) {
    rp->set_mac(net::FormatMac(*mac));
  }
  for (auto& s : *rp->mutable_ips()) {
    if (auto ip = net::ParseIpv4(s); ip.ok()) {
      s = net::FormatIpv4(*ip);
    }
  }
  if (auto ip = net::ParseIpv4(rp->vtep()); ip.ok()) {
    rp->set_vtep(net::FormatIpv4(*ip));
  }
}

void NormalizeConfig(v1::Config* c) {
  for (auto& rp : *c->mutable_remote_ports()) {
    NormalizeRemotePort(&rp);
  }
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
    if (d.udp_port() == 0 && !d.has_pcapng()) {
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
  v1::Config config;
  if (absl::Status st = proto::ParseTextProto(text, source, &config); !st.ok()) {
    return st;
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
  return proto::TextProtoWithHeader(
      config,
      "# vswitchd configuration (vswitch.v1.Config, protobuf text format).\n"
      "# Rewritten by vswitchd after every accepted change.\n");
}

absl::Status WriteConfigFileAtomically(const v1::Config& config, const std::string& path) {
  return file::WriteFileAtomically(path, ConfigToText(config), 0640, "config file");
}

}  // namespace vswitch::control
