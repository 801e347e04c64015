// SPDX-License-Identifier: Apache-2.0
#include "vswitch/shell/printer.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "glog/logging.h"
#include "google/protobuf/util/json_util.h"
#include "vswitch/shell/text_table.h"

namespace vswitch::shell {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

// A list prints as "a,b"; an empty one as "-" so that columns stay aligned
// and a reader sees the cell is empty on purpose.
std::string JoinOrDash(const google::protobuf::RepeatedPtrField<std::string>& items) {
  return items.empty() ? "-" : absl::StrJoin(items, ",");
}

std::string OrDash(const std::string& text) { return text.empty() ? "-" : text; }

std::string KindName(v1::VPortKind kind) {
  switch (kind) {
    case v1::VPORT_KIND_VM:
      return "vm";
    case v1::VPORT_KIND_UPLINK:
      return "uplink";
    default:
      return "-";
  }
}

std::string AdminName(v1::AdminState state) {
  // UNSPECIFIED means UP (vswitch.proto), so that is what it prints.
  return state == v1::ADMIN_STATE_DOWN ? "down" : "up";
}

std::string FdbTypeName(v1::FdbEntryType type) {
  switch (type) {
    case v1::FDB_ENTRY_TYPE_STATIC:
      return "static";
    case v1::FDB_ENTRY_TYPE_LEARNED:
      return "learned";
    default:
      return "-";
  }
}

// UNSPECIFIED means BOTH for a session (vswitch.proto).
std::string DirectionName(v1::TapDirection direction) {
  switch (direction) {
    case v1::TAP_DIRECTION_RX:
      return "rx";
    case v1::TAP_DIRECTION_TX:
      return "tx";
    default:
      return "both";
  }
}

// 0 is the daemon's default, 4789 (vswitch.proto); print what is in effect.
constexpr uint32_t kDefaultVxlanPort = 4789;

uint64_t DropTotal(const v1::PortStats& port) {
  uint64_t total = 0;
  for (const v1::DropCounter& drop : port.drops()) {
    total += drop.packets();
  }
  return total;
}

// Key/value lines for a reply that is one object.
void PrintFields(std::ostream& out, const Fields& fields) {
  size_t width = 0;
  for (const auto& [key, value] : fields) {
    width = std::max(width, key.size());
  }
  for (const auto& [key, value] : fields) {
    out << key << std::string(width - key.size() + 2, ' ') << value << '\n';
  }
}

void PrintDropTable(std::ostream& out, const v1::Stats& stats, bool only_non_zero) {
  TextTable table({{"REASON"}, {"PACKETS", true}});
  for (const v1::DropCounter& drop : stats.drops()) {
    if (!only_non_zero || drop.packets() != 0) {
      table.AddRow({drop.reason(), absl::StrCat(drop.packets())});
    }
  }
  table.Render(out);
}

// One table of mirror counters; `T` is SessionStats or DestinationStats.
template <typename T>
void PrintMirrorCounters(std::ostream& out, const google::protobuf::RepeatedPtrField<T>& rows) {
  TextTable table({{"NAME"},
                   {"MATCHED", true},
                   {"CLONED", true},
                   {"RING-FULL", true},
                   {"CLONE-FAIL", true},
                   {"RATE-LIM", true},
                   {"NO-NEXTHOP", true},
                   {"TRUNC", true},
                   {"TX-DROP", true},
                   {"SENT-PKTS", true},
                   {"SENT-BYTES", true}});
  for (const T& row : rows) {
    const v1::MirrorCounters& c = row.counters();
    table.AddRow({row.name(), absl::StrCat(c.matched()), absl::StrCat(c.cloned()),
                  absl::StrCat(c.ring_full()), absl::StrCat(c.clone_failed()),
                  absl::StrCat(c.rate_limited()), absl::StrCat(c.no_next_hop()),
                  absl::StrCat(c.truncated()), absl::StrCat(c.tx_dropped()),
                  absl::StrCat(c.sent_packets()), absl::StrCat(c.sent_bytes())});
  }
  table.Render(out);
}

// The two tables have the same columns, so each gets a title line.
void PrintSessionCounters(std::ostream& out, const v1::Stats& stats) {
  out << "tap sessions:\n";
  PrintMirrorCounters(out, stats.sessions());
}

void PrintDestinationCounters(std::ostream& out, const v1::Stats& stats) {
  out << "mirror destinations:\n";
  PrintMirrorCounters(out, stats.destinations());
}

}  // namespace

Printer::Printer(std::ostream& out, std::ostream& err, bool json)
    : out_(out), err_(err), json_(json) {}

void Printer::Json(const google::protobuf::Message& reply) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(reply, &json, options);
  // Fails only for an Any of an unknown type; vswitch.v1 has none.
  CHECK(status.ok()) << "cannot print " << reply.GetTypeName() << " as JSON: " << status;
  // add_whitespace already ends the document with a newline.
  out_ << json;
}

void Printer::Line(const std::string& text) { out_ << text << '\n'; }

int Printer::RpcError(const grpc::Status& status) {
  err_ << "error: " << StatusCodeName(status.error_code()) << ": " << status.error_message()
       << '\n';
  return 1;
}

void Printer::PrintVersion(const v1::GetVersionResponse& reply) {
  PrintFields(out_, {{"version", reply.version()}, {"dpdk_version", reply.dpdk_version()}});
}

void Printer::PrintHealth(const v1::GetHealthResponse& reply) {
  Fields fields = {
      {"serving", reply.serving() ? "yes" : "no"},
      {"forwarding_lcores", absl::StrCat(reply.forwarding_lcores())},
      {"snapshot_generation", absl::StrCat(reply.snapshot_generation())},
      {"uptime_seconds", absl::StrCat(reply.uptime_seconds())},
      {"config_writes", absl::StrCat(reply.config_writes())},
      {"config_changes_written", absl::StrCat(reply.config_changes_written())},
  };
  // A controller (vswitch-agent) that stopped reporting shows a growing
  // age: the dataplane still runs what it last applied.
  if (reply.has_controller()) {
    const v1::ControllerStatus& c = reply.controller();
    fields.push_back({"controller", c.name()});
    fields.push_back({"controller_connected", c.connected() ? "yes" : "no"});
    fields.push_back({"controller_state", c.state()});
    fields.push_back({"controller_applied_revision", absl::StrCat(c.applied_revision())});
    fields.push_back({"controller_age_seconds", absl::StrCat(c.age_seconds())});
    fields.push_back({"controller_message", c.message().empty() ? "-" : c.message()});
  } else {
    fields.push_back({"controller", "none"});
  }
  PrintFields(out_, fields);
}

void Printer::PrintVNets(const v1::ListVNetsResponse& reply) {
  TextTable table({{"ID", true},
                   {"NAME"},
                   {"TENANT"},
                   {"VNI", true},
                   {"PREFIXES"},
                   {"PEERS"},
                   {"ARP-SUPPRESSION"}});
  for (const v1::VNet& vnet : reply.vnets()) {
    table.AddRow({absl::StrCat(vnet.id()), vnet.name(), vnet.tenant(), absl::StrCat(vnet.vni()),
                  JoinOrDash(vnet.prefixes()), JoinOrDash(vnet.peers()),
                  vnet.arp_suppression_disabled() ? "off" : "on"});
  }
  table.Render(out_);
}

void Printer::PrintVPorts(const v1::ListVPortsResponse& reply) {
  TextTable table({{"ID", true},
                   {"NAME"},
                   {"KIND"},
                   {"VNET"},
                   {"DRIVER"},
                   {"PORT", true},
                   {"MAC"},
                   {"LINK"},
                   {"ADMIN"},
                   {"IPS"},
                   {"PORT-SECURITY"}});
  for (const v1::VPort& vport : reply.vports()) {
    // on: sends only from its vm_macs/ips; off: switched off; -: nothing to check.
    const bool checked = vport.kind() == v1::VPORT_KIND_VM &&
                         (vport.vm_macs_size() > 0 || vport.ips_size() > 0);
    const char* security = vport.port_security_disabled() ? "off" : checked ? "on" : "-";
    table.AddRow({absl::StrCat(vport.id()), vport.name(), KindName(vport.kind()),
                  OrDash(vport.vnet()), vport.driver(), absl::StrCat(vport.port_id()),
                  OrDash(vport.mac()), vport.link_up() ? "up" : "down",
                  AdminName(vport.admin_state()), JoinOrDash(vport.ips()), security});
  }
  table.Render(out_);
}

void Printer::PrintFdb(const v1::ListFdbResponse& reply) {
  TextTable table({{"VNET"}, {"MAC"}, {"VPORT"}, {"TYPE"}, {"AGE", true}});
  for (const v1::FdbEntry& entry : reply.entries()) {
    // Only learned entries age; a static entry's age means nothing.
    std::string age =
        entry.type() == v1::FDB_ENTRY_TYPE_LEARNED ? absl::StrCat(entry.age_seconds()) : "-";
    table.AddRow({entry.vnet(), entry.mac(), entry.vport(), FdbTypeName(entry.type()), age});
  }
  table.Render(out_);
}

void Printer::PrintRemotePorts(const v1::ListRemotePortsResponse& reply) {
  TextTable table({{"VNET"}, {"MAC"}, {"IPS"}, {"VTEP"}});
  for (const v1::RemotePort& port : reply.ports()) {
    table.AddRow({port.vnet(), port.mac(), JoinOrDash(port.ips()), port.vtep()});
  }
  table.Render(out_);
}

void Printer::PrintVteps(const v1::Stats& stats) {
  TextTable table({{"IP"},
                   {"PORTS", true},
                   {"STATE"},
                   {"RX-PKTS", true},
                   {"RX-BYTES", true},
                   {"TX-PKTS", true},
                   {"TX-BYTES", true},
                   {"REPLICATED", true}});
  for (const v1::VtepStats& vtep : stats.vteps()) {
    table.AddRow({vtep.ip(), absl::StrCat(vtep.remote_ports()), OrDash(vtep.state()),
                  absl::StrCat(vtep.rx_packets()), absl::StrCat(vtep.rx_bytes()),
                  absl::StrCat(vtep.tx_packets()), absl::StrCat(vtep.tx_bytes()),
                  absl::StrCat(vtep.replicated())});
  }
  table.Render(out_);
}

void Printer::PrintPortStats(const v1::Stats& stats) {
  TextTable table({{"ID", true},
                   {"NAME"},
                   {"RX-PKTS", true},
                   {"RX-BYTES", true},
                   {"TX-PKTS", true},
                   {"TX-BYTES", true},
                   {"DROPS", true},
                   {"DEV-ERRS", true}});
  for (const v1::PortStats& port : stats.ports()) {
    table.AddRow({absl::StrCat(port.id()), port.name(), absl::StrCat(port.rx_packets()),
                  absl::StrCat(port.rx_bytes()), absl::StrCat(port.tx_packets()),
                  absl::StrCat(port.tx_bytes()), absl::StrCat(DropTotal(port)),
                  absl::StrCat(port.rx_nombuf() + port.rx_missed() + port.rx_errors() +
                               port.tx_errors())});
  }
  table.Render(out_);
}

void Printer::PrintLcoreStats(const v1::Stats& stats) {
  TextTable table(
      {{"LCORE", true}, {"ROLE"}, {"BUSY%", true}, {"BURSTS", true}, {"RX-PKTS", true}});
  for (const v1::LcoreStats& lcore : stats.lcores()) {
    uint64_t cycles = lcore.busy_cycles() + lcore.idle_cycles();
    std::string busy =
        cycles == 0
            ? "-"
            : absl::StrFormat("%.1f", 100.0 * lcore.busy_cycles() / static_cast<double>(cycles));
    table.AddRow({absl::StrCat(lcore.lcore_id()), lcore.role(), busy, absl::StrCat(lcore.bursts()),
                  absl::StrCat(lcore.rx_packets())});
  }
  table.Render(out_);
}

void Printer::PrintStats(const v1::Stats& stats) {
  PrintPortStats(stats);
  out_ << '\n';
  PrintLcoreStats(stats);
  out_ << '\n';
  bool any_drop = std::any_of(stats.drops().begin(), stats.drops().end(),
                              [](const v1::DropCounter& drop) { return drop.packets() != 0; });
  if (any_drop) {
    PrintDropTable(out_, stats, /*only_non_zero=*/true);
  } else {
    out_ << "no drops\n";
  }
  if (!stats.sessions().empty()) {
    out_ << '\n';
    PrintSessionCounters(out_, stats);
  }
  if (!stats.destinations().empty()) {
    out_ << '\n';
    PrintDestinationCounters(out_, stats);
  }
  if (!stats.vteps().empty()) {
    out_ << "\nvteps:\n";
    PrintVteps(stats);
  }
}

void Printer::PrintDrops(const v1::Stats& stats) {
  PrintDropTable(out_, stats, /*only_non_zero=*/false);
}

void Printer::PrintDestinations(const v1::ListMirrorDestinationsResponse& reply) {
  TextTable table(
      {{"ID", true}, {"NAME"}, {"VNET"}, {"VNI", true}, {"PORT", true}, {"COLLECTORS"}});
  for (const v1::MirrorDestination& destination : reply.destinations()) {
    if (destination.has_pcapng()) {
      const uint64_t rotate = destination.pcapng().rotate_bytes();
      table.AddRow({absl::StrCat(destination.id()), destination.name(), destination.vnet(), "-",
                    "-",
                    absl::StrCat("pcapng:", destination.pcapng().file(),
                                 rotate == 0 ? "" : absl::StrCat(" rotate ", rotate))});
      continue;
    }
    uint32_t port = destination.udp_port() == 0 ? kDefaultVxlanPort : destination.udp_port();
    table.AddRow({absl::StrCat(destination.id()), destination.name(), destination.vnet(),
                  absl::StrCat(destination.vni()), absl::StrCat(port),
                  JoinOrDash(destination.collectors())});
  }
  table.Render(out_);
}

void Printer::PrintTapSessions(const v1::ListTapSessionsResponse& reply) {
  TextTable table({{"ID", true},
                   {"NAME"},
                   {"SOURCES"},
                   {"DIRECTION"},
                   {"RULES", true},
                   {"TRUNCATE", true},
                   {"RATE", true},
                   {"DESTINATIONS"},
                   {"ENABLED"}});
  for (const v1::TapSession& session : reply.sessions()) {
    // 0 means "whole frame" and "unlimited": nothing is cut or limited.
    std::string truncate =
        session.truncate_bytes() == 0 ? "-" : absl::StrCat(session.truncate_bytes());
    std::string rate = session.rate_limit_pps() == 0 ? "-" : absl::StrCat(session.rate_limit_pps());
    table.AddRow({absl::StrCat(session.id()), session.name(), JoinOrDash(session.sources()),
                  DirectionName(session.direction()), absl::StrCat(session.rules_size()), truncate,
                  rate, JoinOrDash(session.destinations()), session.disabled() ? "no" : "yes"});
  }
  table.Render(out_);
}

void Printer::PrintNeighbors(const v1::ListNeighborsResponse& reply) {
  TextTable table({{"IP"}, {"MAC"}, {"STATE"}});
  for (const v1::Neighbor& neighbor : reply.neighbors()) {
    table.AddRow({neighbor.ip(), OrDash(neighbor.mac()), OrDash(neighbor.state())});
  }
  table.Render(out_);
}

void Printer::PrintTapStats(const v1::Stats& stats) {
  PrintSessionCounters(out_, stats);
  out_ << '\n';
  PrintDestinationCounters(out_, stats);
}

std::string StatusCodeName(grpc::StatusCode code) {
  // gRPC and absl share the canonical code numbers (see lib/status).
  std::string name = absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
  return name.empty() ? absl::StrCat(static_cast<int>(code)) : name;
}

}  // namespace vswitch::shell
