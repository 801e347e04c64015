// SPDX-License-Identifier: Apache-2.0
//
// Fuzz target: validation of the configuration-changing RPC requests, as
// ConfigStore runs it before anything changes, on a request decoded from
// the fuzz bytes with the real protobuf wire parser.
//
// Input: byte 0 picks the RPC, the rest is its request message (wire
// format): CreateVNet, AddVPort, AddFdbEntry, CreateMirrorDestination,
// CreateTapSession, UpdateTapSession, SetNeighbor, ApplyConfig. The store
// holds a fixed valid configuration (kBase).
//
// Invariants: a rejected request gets a documented code and a message that
// starts with the request's field ("vport.", "session.", ...); an accepted
// one meets what ConfigStore then relies on without checking (a MAC that
// parses, a VNet that exists) and the whole candidate configuration passes
// ValidateConfig and survives being persisted (text round trip).
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/message_differencer.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "lib/net/mac_address.h"
#include "test/fuzz/fuzz_check.h"
#include "vswitch/api/vswitch.pb.h"
#include "vswitch/control/config_file.h"
#include "vswitch/control/validator.h"

namespace {

using namespace vswitch;

// Every kind of object, valid, so requests meet names, tenants, peerings,
// an uplink, a destination and a session to collide with or refer to.
constexpr char kBase[] = R"pb(
vnets { id: 1 name: "blue" tenant: "t1" vni: 100 prefixes: "10.1.0.0/24" peers: "red" }
vnets { id: 2 name: "red" tenant: "t1" vni: 200 prefixes: "10.2.0.0/24" peers: "blue" }
vnets { id: 3 name: "green" tenant: "t2" vni: 300 }
vports {
  id: 1 name: "up0" kind: VPORT_KIND_UPLINK driver: "null"
  uplink { ip_cidr: "192.0.2.10/24" gateway: "192.0.2.1" mtu: 1500 }
}
vports { id: 2 name: "vm1" vnet: "blue" driver: "ring" vm_macs: "02:00:00:00:00:01" }
vports { id: 3 name: "vm2" vnet: "red" driver: "ring" queues: 2 }
vports { id: 4 name: "vm3" vnet: "green" driver: "null" admin_state: ADMIN_STATE_DOWN }
fdb { vnet: "blue" mac: "02:00:00:00:00:99" vport: "vm1" }
destinations { id: 1 name: "d1" vnet: "blue" vni: 5000 collectors: "192.0.2.20" }
destinations { id: 2 name: "d2" vnet: "red" vni: 5001 udp_port: 8472 collectors: "192.0.2.21" collectors: "192.0.2.22" mark_copies: true }
tap_sessions {
  id: 1 name: "s1" sources: "vm1" destinations: "d1" truncate_bytes: 128
  rules { priority: 10 protocol: 17 dst_ports { first: 53 last: 53 } }
}
tap_sessions { id: 2 name: "s2" sources: "vm2" direction: TAP_DIRECTION_RX destinations: "d2" rate_limit_pps: 1000 }
neighbors { ip: "192.0.2.20" mac: "02:00:00:00:02:00" }
)pb";

v1::Config* g_base = nullptr;

void CheckRejection(const absl::Status& st, const char* prefix) {
  const std::string msg(st.message());
  FUZZ_CHECK(DocumentedValidationCode(st.code()), "undocumented code: %s", st.ToString().c_str());
  FUZZ_CHECK(absl::StartsWith(msg, prefix), "error does not name a field of '%s': %s", prefix,
             msg.c_str());
}

// What Commit() checks and persists.
void CheckAccepted(v1::Config candidate, const char* what) {
  candidate.DiscardUnknownFields();
  const absl::Status st = control::ValidateConfig(candidate);
  FUZZ_CHECK(st.ok(), "%s passed its own validation but the config it makes does not: %s", what,
             st.ToString().c_str());
  auto reread = control::ParseConfigText(control::ConfigToText(candidate), "persisted");
  FUZZ_CHECK(reread.ok(), "%s: persisted config does not parse: %s", what,
             reread.status().ToString().c_str());
  control::NormalizeConfig(&*reread);
  v1::Config normal = candidate;
  control::NormalizeConfig(&normal);
  FUZZ_CHECK(google::protobuf::util::MessageDifferencer::Equals(normal, *reread),
             "%s: persisted config reads back different", what);
}

bool HasVNet(const v1::Config& c, const std::string& name) {
  for (const auto& v : c.vnets()) {
    if (v.name() == name) {
      return true;
    }
  }
  return false;
}

template <typename Req>
bool Decode(const uint8_t* data, size_t size, Req* req) {
  return req->ParseFromArray(data, static_cast<int>(size));
}

void CreateVNet(const v1::CreateVNetRequest& req) {
  v1::VNet vnet = req.vnet();
  vnet.clear_id();
  if (vnet.peers_size() > 0) {
    return;  // Refused before validation ("vnet.peers: ...").
  }
  const absl::Status st = control::ValidateVNet(vnet, *g_base, "vnet.");
  if (!st.ok()) {
    return CheckRejection(st, "vnet.");
  }
  vnet.set_id(100);
  v1::Config c = *g_base;
  *c.add_vnets() = vnet;
  CheckAccepted(c, "CreateVNet");
}

void AddVPort(const v1::AddVPortRequest& req) {
  v1::VPort vp = req.vport();
  vp.clear_id();
  control::NormalizeVPort(&vp);
  // check_host=false: a fuzzer must not probe or create host interfaces.
  const absl::Status st = control::ValidateVPort(vp, *g_base, "vport.", false);
  if (!st.ok()) {
    return CheckRejection(st, "vport.");
  }
  vp.set_id(100);
  v1::Config c = *g_base;
  *c.add_vports() = vp;
  CheckAccepted(c, "AddVPort");
}

void AddFdbEntry(const v1::AddFdbEntryRequest& req) {
  v1::FdbEntry e = req.entry();
  e.clear_type();
  e.clear_age_seconds();
  const absl::Status st = control::ValidateFdbEntry(e, *g_base, "entry.");
  if (!st.ok()) {
    return CheckRejection(st, "entry.");
  }
  auto mac = net::ParseMac(e.mac());
  FUZZ_CHECK(mac.ok(), "accepted FDB entry with MAC '%s' that does not parse", e.mac().c_str());
  FUZZ_CHECK(HasVNet(*g_base, e.vnet()), "accepted FDB entry of unknown VNet '%s'",
             e.vnet().c_str());
  e.set_mac(net::FormatMac(*mac));
  v1::Config c = *g_base;
  *c.add_fdb() = e;
  CheckAccepted(c, "AddFdbEntry");
}

void CreateDestination(const v1::CreateMirrorDestinationRequest& req) {
  v1::MirrorDestination d = req.destination();
  d.clear_id();
  if (d.udp_port() == 0) {
    d.set_udp_port(4789);
  }
  const absl::Status st = control::ValidateDestination(d, *g_base, "destination.");
  if (!st.ok()) {
    return CheckRejection(st, "destination.");
  }
  d.set_id(100);
  v1::Config c = *g_base;
  *c.add_destinations() = d;
  CheckAccepted(c, "CreateMirrorDestination");
}

void CreateSession(const v1::CreateTapSessionRequest& req) {
  v1::TapSession s = req.session();
  s.set_id(0);
  control::NormalizeTapSession(&s);
  const absl::Status st = control::ValidateTapSession(s, *g_base, "session.");
  if (!st.ok()) {
    return CheckRejection(st, "session.");
  }
  s.set_id(100);
  v1::Config c = *g_base;
  *c.add_tap_sessions() = s;
  CheckAccepted(c, "CreateTapSession");
}

void UpdateSession(const v1::UpdateTapSessionRequest& req) {
  int idx = -1;
  for (int i = 0; i < g_base->tap_sessions_size(); ++i) {
    if (g_base->tap_sessions(i).name() == req.session().name()) {
      idx = i;
    }
  }
  if (idx < 0) {
    return;  // NotFound "session.name: ..." before validation.
  }
  v1::TapSession s = req.session();
  s.set_id(g_base->tap_sessions(idx).id());
  control::NormalizeTapSession(&s);
  v1::Config others = *g_base;
  others.mutable_tap_sessions()->DeleteSubrange(idx, 1);
  const absl::Status st = control::ValidateTapSession(s, others, "session.");
  if (!st.ok()) {
    return CheckRejection(st, "session.");
  }
  v1::Config c = *g_base;
  *c.mutable_tap_sessions(idx) = s;
  CheckAccepted(c, "UpdateTapSession");
}

void SetNeighbor(const v1::SetNeighborRequest& req) {
  v1::Neighbor n = req.neighbor();
  n.clear_state();
  v1::Config c = *g_base;
  c.clear_neighbors();
  for (const auto& old : g_base->neighbors()) {
    if (old.ip() != n.ip()) {
      *c.add_neighbors() = old;
    }
  }
  const absl::Status st = control::ValidateNeighbor(n, c, "neighbor.");
  if (!st.ok()) {
    return CheckRejection(st, "neighbor.");
  }
  auto mac = net::ParseMac(n.mac());
  FUZZ_CHECK(mac.ok(), "accepted neighbor with MAC '%s' that does not parse", n.mac().c_str());
  n.set_mac(net::FormatMac(*mac));
  *c.add_neighbors() = n;
  CheckAccepted(c, "SetNeighbor");
}

void ApplyConfig(const v1::ApplyConfigRequest& req) {
  v1::Config c = req.config();
  control::NormalizeConfig(&c);
  const absl::Status st = control::ValidateConfig(c);
  if (!st.ok()) {
    const std::string msg(st.message());
    FUZZ_CHECK(DocumentedValidationCode(st.code()), "undocumented code: %s", st.ToString().c_str());
    bool named = false;
    for (const char* f :
         {"vnets[", "vports[", "fdb[", "destinations[", "tap_sessions[", "neighbors["}) {
      named |= absl::StartsWith(msg, f);
    }
    FUZZ_CHECK(named, "error does not name the field: %s", msg.c_str());
    return;
  }
  CheckAccepted(c, "ApplyConfig");
}

void Quiet(google::protobuf::LogLevel, const char*, int, const std::string&) {}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(Quiet);
  auto base = control::ParseConfigText(kBase, "base");
  FUZZ_CHECK(base.ok(), "base config: %s", base.status().ToString().c_str());
  control::NormalizeConfig(&*base);
  const absl::Status st = control::ValidateConfig(*base);
  FUZZ_CHECK(st.ok(), "base config invalid: %s", st.ToString().c_str());
  g_base = new v1::Config(*std::move(base));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) {
    return 0;
  }
  const uint8_t* msg = data + 1;
  const size_t n = size - 1;
  switch (data[0] % 8) {
    case 0: {
      v1::CreateVNetRequest r;
      if (Decode(msg, n, &r)) CreateVNet(r);
      break;
    }
    case 1: {
      v1::AddVPortRequest r;
      if (Decode(msg, n, &r)) AddVPort(r);
      break;
    }
    case 2: {
      v1::AddFdbEntryRequest r;
      if (Decode(msg, n, &r)) AddFdbEntry(r);
      break;
    }
    case 3: {
      v1::CreateMirrorDestinationRequest r;
      if (Decode(msg, n, &r)) CreateDestination(r);
      break;
    }
    case 4: {
      v1::CreateTapSessionRequest r;
      if (Decode(msg, n, &r)) CreateSession(r);
      break;
    }
    case 5: {
      v1::UpdateTapSessionRequest r;
      if (Decode(msg, n, &r)) UpdateSession(r);
      break;
    }
    case 6: {
      v1::SetNeighborRequest r;
      if (Decode(msg, n, &r)) SetNeighbor(r);
      break;
    }
    default: {
      v1::ApplyConfigRequest r;
      if (Decode(msg, n, &r)) ApplyConfig(r);
      break;
    }
  }
  return 0;
}
