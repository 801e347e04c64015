// SPDX-License-Identifier: Apache-2.0
#include "vswitch/shell/commands.h"

#include <grpcpp/grpcpp.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "glog/logging.h"
#include "lib/file/atomic_file.h"
#include "lib/proto/text_proto.h"
#include "vswitch/api/vswitch.grpc.pb.h"
#include "vswitch/api/vswitch.pb.h"
#include "vswitch/shell/tap_rule_spec.h"

namespace vswitch::shell {
namespace {

using Stub = v1::VSwitch::StubInterface;

// Completes `command` with its RPC. `build(args, Request*)` fills the
// request; `print(args, reply, printer)` prints a successful reply as text
// (--json prints the reply itself). Taking the stub method, rather than a
// free-form handler, is what makes every command exactly one RPC.
template <typename Request, typename Response, typename Build, typename Print>
Command Bind(Command command, Method<Request, Response> method, Build build, Print print) {
  command.request_type = Request::descriptor();
  command.response_type = Response::descriptor();
  command.build_request = [build](const Args& args) {
    auto request = std::make_unique<Request>();
    build(args, request.get());
    return std::unique_ptr<google::protobuf::Message>(std::move(request));
  };
  command.run = [build, method, print](const Args& args, Client& client, Printer& printer) {
    Request request;
    build(args, &request);
    Response reply;
    grpc::Status status = client.Call(method, request, &reply);
    if (!status.ok()) {
      return printer.RpcError(status);
    }
    if (printer.json()) {
      printer.Json(reply);
    } else {
      print(args, reply, printer);
    }
    return kExitOk;
  };
  return command;
}

// For requests without fields.
constexpr auto kNoArgs = [](const Args&, auto*) {};

// Prints a `show` reply with one of the printer's tables.
template <typename Response>
auto Show(void (Printer::*print)(const Response&)) {
  return [print](const Args&, const Response& reply, Printer& printer) { (printer.*print)(reply); };
}

// The driver list of vswitch.proto, for `help add vport` and `help add uplink`.
constexpr char kDriverHelp[] =
    "  tap:iface=NAME          a new kernel TAP interface NAME\n"
    "  af_packet:iface=NAME    attach to an existing kernel interface\n"
    "  pcap:rx_pcap=F,tx_pcap=F|rx_iface=I,tx_iface=I\n"
    "  ring          an in-memory rte_ring pair (tests, benchmarks)\n"
    "  null[:no-rx=1]          discards what it is sent\n"
    "  vhost[:path=SOCKET][,client=1]  a VM over vhost-user (default socket\n"
    "                          <--vhost_dir>/NAME.sock; client=1: QEMU listens)\n";

// Unset (UNSPECIFIED) when `admin` was not given: the daemon's default.
v1::AdminState AdminStateOf(const Args& args) {
  if (!args.Has("admin")) {
    return v1::ADMIN_STATE_UNSPECIFIED;
  }
  return args.Value("admin") == "down" ? v1::ADMIN_STATE_DOWN : v1::ADMIN_STATE_UP;
}

// PeerVNets and UnpeerVNets take the same request.
void BuildPeering(const Args& args, v1::PeerVNetsRequest* request) {
  request->set_vnet_a(args.Value("A"));
  request->set_vnet_b(args.Value("B"));
}

// `add tap-session` and `set tap-session` take the same arguments, the
// whole session; only NAME differs (a new name, or an existing session).
std::vector<ArgSpec> TapSessionArgs(ValueType name_type) {
  using VT = ValueType;
  return {Positional("NAME", name_type),
          Keyword("source", "VPORT", VT::kVPortName, Occurs::kOneOrMore),
          Keyword("destination", "DEST", VT::kDestinationName, Occurs::kOneOrMore),
          Choice("direction", {"rx", "tx", "both"}, Occurs::kOptional),
          Keyword("truncate", "N", VT::kUint32, Occurs::kOptional),
          Keyword("rate", "PPS", VT::kUint64, Occurs::kOptional),
          Keyword("rule", "SPEC", VT::kTapRule, Occurs::kRepeated),
          Flag("disabled")};
}

constexpr char kTapSessionUsage[] =
    "Each `source` is a VM vport to tap (1..64; they may span VNets of one tenant),\n"
    "each `destination` a mirror destination (1..8). `direction` is from the VM's\n"
    "point of view: rx = frames it receives, tx = frames it sends (default both).\n"
    "`truncate` cuts copies to N bytes (0 = whole frame, else 64..65535); `rate`\n"
    "limits copies per second over all destinations (0 = unlimited). A `disabled`\n"
    "session stays configured and mirrors nothing.\n"
    "\n"
    "Each `rule` is one word of comma-separated key=value pairs, e.g.\n"
    "  rule prio=10,action=accept,proto=udp,dport=443\n"
    "Keys:\n"
    "  prio=N                     priority, required; lower is evaluated first\n"
    "  action=accept|reject       default accept\n"
    "  proto=tcp|udp|icmp|sctp|N  IP protocol\n"
    "  src=CIDR, dst=CIDR         IPv4 source and destination prefixes\n"
    "  sport=N|A-B, dport=N|A-B   L4 port or inclusive range (tcp, udp, sctp)\n"
    "  dir=rx|tx|both             only frames of that direction\n"
    "The first rule that matches decides; with rules, what no rule accepts is not\n"
    "mirrored.";

// Fills `session` from the arguments of TapSessionArgs.
void BuildTapSession(const Args& args, v1::TapSession* session) {
  session->set_name(args.Value("NAME"));
  for (const std::string& source : args.Values("source")) {
    session->add_sources(source);
  }
  // Unset (UNSPECIFIED, the daemon's BOTH) when `direction` was not given.
  v1::TapDirection direction = v1::TAP_DIRECTION_UNSPECIFIED;
  if (args.Has("direction")) {
    ParseTapDirection(args.Value("direction"), &direction);
  }
  session->set_direction(direction);
  for (const std::string& spec : args.Values("rule")) {
    absl::StatusOr<v1::TapRule> rule = ParseTapRule(spec);
    // The parser accepted every rule (ValueType::kTapRule).
    CHECK(rule.ok()) << rule.status();
    *session->add_rules() = *std::move(rule);
  }
  session->set_truncate_bytes(args.Uint32("truncate"));
  session->set_rate_limit_pps(args.Uint64("rate"));
  for (const std::string& destination : args.Values("destination")) {
    session->add_destinations(destination);
  }
  session->set_disabled(args.Has("disabled"));
}

// ApplyConfig may create and remove many devices: a longer deadline.
constexpr std::chrono::seconds kLoadDeadline{120};

// Reads and parses FILE of `load` into `request`. Errors: InvalidArgument
// "FILE:LINE:COLUMN: problem" (names the unknown field or bad value), or
// "FILE: cannot read: ..." .
absl::Status ReadConfigFile(const std::string& path, v1::ApplyConfigRequest* request) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: cannot read: %s", path,
                                                      std::strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: cannot read", path));
  }
  return proto::ParseTextProto(text.str(), path, request->mutable_config());
}

// `save FILE`: GetConfig, then FILE replaced atomically with the reply in
// the format of vswitchd's --config file (so either can be loaded or used
// as --config).
Command SaveCommand() {
  Command command{
      .words = {"save"},
      .args = {Positional("FILE", ValueType::kFilePath)},
      .help = "Write the running configuration to FILE (protobuf text, as --config).",
      .usage = "FILE is replaced atomically (temp file, fsync, rename) with what GetConfig\n"
               "returns, in the format of vswitchd's --config file: `load FILE` or\n"
               "`vswitchd --config=FILE` restore it. Relative paths are relative to\n"
               "vsctl's working directory (vswitchd's, under --interactive).",
      .rpc = "GetConfig",
      .request_type = v1::GetConfigRequest::descriptor(),
      .response_type = v1::Config::descriptor()};
  command.build_request = [](const Args&) {
    return std::unique_ptr<google::protobuf::Message>(new v1::GetConfigRequest());
  };
  command.run = [](const Args& args, Client& client, Printer& printer) {
    v1::Config config;
    grpc::Status status = client.Call(&Stub::GetConfig, v1::GetConfigRequest(), &config);
    if (!status.ok()) {
      return printer.RpcError(status);
    }
    const std::string& path = args.Value("FILE");
    absl::Status written = file::WriteFileAtomically(
        path,
        proto::TextProtoWithHeader(config,
                                   "# vswitch configuration (vswitch.v1.Config, protobuf text "
                                   "format).\n# Written by `vsctl save`; `vsctl load` applies "
                                   "it.\n"),
        0640, "file");
    if (!written.ok()) {
      printer.err() << "error: " << written.message() << '\n';
      return kExitRpcError;
    }
    if (printer.json()) {
      printer.Json(config);
    } else {
      printer.Line(absl::StrFormat("configuration saved to %s (%d vnets, %d vports, %d "
                                   "sessions)",
                                   path, config.vnets_size(), config.vports_size(),
                                   config.tap_sessions_size()));
    }
    return kExitOk;
  };
  return command;
}

// `load FILE`: the whole file is parsed here first (a syntax error or an
// unknown field sends nothing), then applied with one ApplyConfig, which
// validates it whole and changes everything or nothing.
Command LoadCommand() {
  Command command{
      .words = {"load"},
      .args = {Positional("FILE", ValueType::kFilePath)},
      .help = "Replace the running configuration with FILE's, as one change.",
      .usage = "FILE is a vswitch.v1.Config in protobuf text format (`save`, or vswitchd's\n"
               "--config file). It is parsed whole before anything is sent: an error names\n"
               "FILE:LINE:COLUMN and the field. The daemon then validates the whole\n"
               "configuration (errors name the field path, e.g. vports[2].vnet) and applies\n"
               "it as one change (ApplyConfig): objects equal to running ones keep their\n"
               "ids, devices and counters; others are created or removed. On any error\n"
               "nothing changes.",
      .rpc = "ApplyConfig",
      .request_type = v1::ApplyConfigRequest::descriptor(),
      .response_type = v1::ApplyConfigResponse::descriptor()};
  // The one command whose request needs I/O: it reads FILE. nullptr when
  // FILE cannot be read or parsed.
  command.build_request = [](const Args& args) {
    auto request = std::make_unique<v1::ApplyConfigRequest>();
    if (!ReadConfigFile(args.Value("FILE"), request.get()).ok()) {
      return std::unique_ptr<google::protobuf::Message>();
    }
    return std::unique_ptr<google::protobuf::Message>(std::move(request));
  };
  command.run = [](const Args& args, Client& client, Printer& printer) {
    v1::ApplyConfigRequest request;
    if (absl::Status parsed = ReadConfigFile(args.Value("FILE"), &request); !parsed.ok()) {
      printer.err() << "error: " << parsed.message() << '\n';
      return kExitUsage;
    }
    v1::ApplyConfigResponse reply;
    grpc::Status status =
        client.Call(&Stub::ApplyConfig, request, &reply,
                    std::chrono::duration_cast<std::chrono::milliseconds>(kLoadDeadline));
    if (!status.ok()) {
      return printer.RpcError(status);
    }
    if (printer.json()) {
      printer.Json(reply);
    } else {
      printer.Line(absl::StrFormat("configuration loaded from %s (generation %d)",
                                   args.Value("FILE"), reply.snapshot_generation()));
    }
    return kExitOk;
  };
  return command;
}

}  // namespace

CommandTable VSwitchCommands() {
  using VT = ValueType;
  std::vector<Command> c;

  // ------------------------------------------------------------ daemon
  c.push_back(Bind({.words = {"show", "version"},
                    .help = "Show the daemon's version and the DPDK version it runs on.",
                    .rpc = "GetVersion"},
                   &Stub::GetVersion, kNoArgs, Show(&Printer::PrintVersion)));
  c.push_back(Bind({.words = {"show", "health"},
                    .help = "Show whether the daemon serves, its forwarding lcores and uptime.",
                    .rpc = "GetHealth"},
                   &Stub::GetHealth, kNoArgs, Show(&Printer::PrintHealth)));

  // ------------------------------------------------------------ vnets
  c.push_back(Bind(
      {.words = {"add", "vnet"},
       .args = {Positional("NAME"), Keyword("tenant", "TENANT", VT::kText),
                Keyword("vni", "N", VT::kUint32),
                Keyword("prefix", "CIDR", VT::kText, Occurs::kRepeated)},
       .help = "Create a VNet.",
       .usage = "NAME and TENANT are 1..32 and 1..64 characters of [A-Za-z0-9_.-]; the VXLAN\n"
                "network identifier N is 1..16777215 and unique. Each `prefix` adds an IPv4\n"
                "prefix (\"10.1.0.0/24\") used by TAP filters.",
       .rpc = "CreateVNet"},
      &Stub::CreateVNet,
      [](const Args& args, v1::CreateVNetRequest* request) {
        v1::VNet* vnet = request->mutable_vnet();
        vnet->set_name(args.Value("NAME"));
        vnet->set_tenant(args.Value("tenant"));
        vnet->set_vni(args.Uint32("vni"));
        for (const std::string& prefix : args.Values("prefix")) {
          vnet->add_prefixes(prefix);
        }
      },
      [](const Args& args, const v1::VNet& vnet, Printer& printer) {
        printer.Line(absl::StrFormat("vnet %s created (id %d)", args.Value("NAME"), vnet.id()));
      }));
  c.push_back(Bind(
      {.words = {"del", "vnet"},
       .args = {Positional("NAME", VT::kVNetName)},
       .help = "Delete a VNet.",
       .usage = "Refused (FAILED_PRECONDITION) while vports still belong to it.",
       .rpc = "DeleteVNet"},
      &Stub::DeleteVNet,
      [](const Args& args, v1::DeleteVNetRequest* request) {
        request->set_name(args.Value("NAME"));
      },
      [](const Args& args, const v1::DeleteVNetResponse&, Printer& printer) {
        printer.Line(absl::StrFormat("vnet %s deleted", args.Value("NAME")));
      }));
  c.push_back(Bind({.words = {"show", "vnets"},
                    .help = "List VNets: ID NAME TENANT VNI PREFIXES PEERS.",
                    .rpc = "ListVNets"},
                   &Stub::ListVNets, kNoArgs, Show(&Printer::PrintVNets)));
  c.push_back(Bind(
      {.words = {"peer", "vnet"},
       .args = {Positional("A", VT::kVNetName), Positional("B", VT::kVNetName)},
       .help = "Peer two VNets.",
       .usage = "Peering is symmetric. It allows TAP sessions across the two VNets; L2\n"
                "frames never cross.",
       .rpc = "PeerVNets"},
      &Stub::PeerVNets, BuildPeering,
      [](const Args& args, const v1::PeerVNetsResponse&, Printer& printer) {
        printer.Line(absl::StrFormat("vnets %s and %s peered", args.Value("A"), args.Value("B")));
      }));
  c.push_back(Bind({.words = {"unpeer", "vnet"},
                    .args = {Positional("A", VT::kVNetName), Positional("B", VT::kVNetName)},
                    .help = "Remove the peering of two VNets.",
                    .rpc = "UnpeerVNets"},
                   &Stub::UnpeerVNets, BuildPeering,
                   [](const Args& args, const v1::PeerVNetsResponse&, Printer& printer) {
                     printer.Line(absl::StrFormat("vnets %s and %s unpeered", args.Value("A"),
                                                  args.Value("B")));
                   }));

  // ------------------------------------------------------------ vports
  c.push_back(Bind(
      {.words = {"add", "vport"},
       .args = {Positional("NAME"), Keyword("vnet", "VNET", VT::kVNetName),
                Keyword("driver", "SPEC", VT::kDriverSpec),
                Keyword("mac", "MAC", VT::kMac, Occurs::kRepeated),
                Keyword("queues", "N", VT::kUint32, Occurs::kOptional),
                Choice("admin", {"up", "down"}, Occurs::kOptional)},
       .help = "Add a VM's vport to a VNet.",
       .usage = std::string("SPEC is \"DRIVER[:key=value[,key=value...]]\":\n") + kDriverHelp +
                "Each `mac` is a MAC of the VM behind the vport; it becomes a static FDB\n"
                "entry. `queues` is 1..16 (default 1); `admin` defaults to up.",
       .rpc = "AddVPort"},
      &Stub::AddVPort,
      [](const Args& args, v1::AddVPortRequest* request) {
        v1::VPort* vport = request->mutable_vport();
        vport->set_name(args.Value("NAME"));
        vport->set_kind(v1::VPORT_KIND_VM);
        vport->set_vnet(args.Value("vnet"));
        vport->set_driver(args.Value("driver"));
        for (const std::string& mac : args.Values("mac")) {
          vport->add_vm_macs(mac);
        }
        vport->set_queues(args.Uint32("queues"));
        vport->set_admin_state(AdminStateOf(args));
      },
      [](const Args& args, const v1::VPort& vport, Printer& printer) {
        printer.Line(absl::StrFormat("vport %s added (id %d, port %d)", args.Value("NAME"),
                                     vport.id(), vport.port_id()));
      }));
  c.push_back(Bind(
      {.words = {"add", "uplink"},
       .args = {Positional("NAME"), Keyword("driver", "SPEC", VT::kDriverSpec),
                Keyword("ip", "CIDR", VT::kText),
                Keyword("gateway", "IP", VT::kText, Occurs::kOptional),
                Keyword("mtu", "N", VT::kUint32, Occurs::kOptional)},
       .help = "Add the uplink vport (at most one), which carries mirrored traffic.",
       .usage = std::string("SPEC is \"DRIVER[:key=value[,key=value...]]\":\n") + kDriverHelp +
                "`ip` is the host's underlay address with its prefix length\n"
                "(\"192.0.2.10/24\"), `gateway` the default gateway inside it, `mtu`\n"
                "576..9000 (default 1500).",
       .rpc = "AddVPort"},
      &Stub::AddVPort,
      [](const Args& args, v1::AddVPortRequest* request) {
        v1::VPort* vport = request->mutable_vport();
        vport->set_name(args.Value("NAME"));
        vport->set_kind(v1::VPORT_KIND_UPLINK);
        vport->set_driver(args.Value("driver"));
        v1::UplinkConfig* uplink = vport->mutable_uplink();
        uplink->set_ip_cidr(args.Value("ip"));
        uplink->set_gateway(args.Value("gateway"));
        uplink->set_mtu(args.Uint32("mtu"));
      },
      [](const Args& args, const v1::VPort& vport, Printer& printer) {
        printer.Line(absl::StrFormat("uplink %s added (id %d, port %d)", args.Value("NAME"),
                                     vport.id(), vport.port_id()));
      }));
  c.push_back(Bind(
      {.words = {"del", "vport"},
       .args = {Positional("NAME", VT::kVPortName)},
       .help = "Remove a vport or the uplink.",
       .rpc = "RemoveVPort"},
      &Stub::RemoveVPort,
      [](const Args& args, v1::RemoveVPortRequest* request) {
        request->set_name(args.Value("NAME"));
      },
      [](const Args& args, const v1::RemoveVPortResponse&, Printer& printer) {
        printer.Line(absl::StrFormat("vport %s removed", args.Value("NAME")));
      }));
  c.push_back(Bind(
      {.words = {"set", "vport"},
       .args = {Positional("NAME", VT::kVPortName), Choice("admin", {"up", "down"})},
       .help = "Set a vport's admin state.",
       .usage = "A vport that is down neither receives nor sends; its frames count as drop\n"
                "reason \"port_admin_down\".",
       .rpc = "SetVPortAdminState"},
      &Stub::SetVPortAdminState,
      [](const Args& args, v1::SetVPortAdminStateRequest* request) {
        request->set_name(args.Value("NAME"));
        request->set_admin_state(AdminStateOf(args));
      },
      [](const Args& args, const v1::VPort&, Printer& printer) {
        printer.Line(absl::StrFormat("vport %s admin %s", args.Value("NAME"), args.Value("admin")));
      }));
  c.push_back(Bind({.words = {"show", "vports"},
                    .help = "List vports: ID NAME KIND VNET DRIVER PORT MAC LINK ADMIN.",
                    .rpc = "ListVPorts"},
                   &Stub::ListVPorts, kNoArgs, Show(&Printer::PrintVPorts)));

  // ------------------------------------------------------------ stats
  c.push_back(Bind({.words = {"show", "ports"},
                    .help = "Show each vport's counters: packets, bytes and drops.",
                    .rpc = "GetStats"},
                   &Stub::GetStats, kNoArgs, Show(&Printer::PrintPortStats)));
  c.push_back(Bind({.words = {"show", "stats"},
                    .help = "Show port counters, lcore load, the non-zero drop reasons and "
                            "TAP counters.",
                    .usage = "BUSY% is busy cycles over busy plus idle cycles since the last\n"
                             "`clear stats`. The TAP session and mirror destination tables\n"
                             "(see `help show tap-stats`) are printed when there are any.",
                    .rpc = "GetStats"},
                   &Stub::GetStats, kNoArgs, Show(&Printer::PrintStats)));
  c.push_back(Bind({.words = {"show", "drops"},
                    .help = "Show every drop reason with its total over all ports.",
                    .rpc = "GetStats"},
                   &Stub::GetStats, kNoArgs, Show(&Printer::PrintDrops)));
  c.push_back(
      Bind({.words = {"show", "tap-stats"},
            .help = "Show the mirror counters of each TAP session and each mirror destination.",
            .usage = "A table with one row per TAP session (summed over lcores and destinations),\n"
                     "then one with a row per mirror destination (summed over sessions):\n"
                     "  MATCHED     copies the filters selected\n"
                     "  CLONED      copies cloned and queued to the encap worker\n"
                     "  RING-FULL   dropped: the mirror ring was full\n"
                     "  CLONE-FAIL  dropped: no mbuf for the clone or the header\n"
                     "  RATE-LIM    dropped by the session's rate limit\n"
                     "  NO-NEXTHOP  dropped: the collector's next hop is not resolved\n"
                     "  TRUNC       sent cut (truncate or uplink MTU)\n"
                     "  TX-DROP     dropped: the uplink queue refused them\n"
                     "  SENT-PKTS, SENT-BYTES  sent on the uplink (encapsulated bytes)",
            .rpc = "GetStats"},
           &Stub::GetStats, kNoArgs, Show(&Printer::PrintTapStats)));
  c.push_back(Bind({.words = {"clear", "stats"},
                    .help = "Make every counter read zero from now on.",
                    .rpc = "ClearStats"},
                   &Stub::ClearStats, kNoArgs,
                   [](const Args&, const v1::ClearStatsResponse&, Printer& printer) {
                     printer.Line("stats cleared");
                   }));

  // ------------------------------------------------------------ fdb
  c.push_back(Bind(
      {.words = {"add", "fdb"},
       .args = {Positional("VNET", VT::kVNetName), Positional("MAC", VT::kMac),
                Positional("VPORT", VT::kVPortName)},
       .help = "Add a static FDB entry: frames to MAC in VNET go to VPORT.",
       .usage = "VPORT is a VM vport of the same VNet; MAC is unicast.",
       .rpc = "AddFdbEntry"},
      &Stub::AddFdbEntry,
      [](const Args& args, v1::AddFdbEntryRequest* request) {
        v1::FdbEntry* entry = request->mutable_entry();
        entry->set_vnet(args.Value("VNET"));
        entry->set_mac(args.Value("MAC"));
        entry->set_vport(args.Value("VPORT"));
      },
      [](const Args& args, const v1::FdbEntry&, Printer& printer) {
        printer.Line(absl::StrFormat("fdb entry %s %s -> %s added", args.Value("VNET"),
                                     args.Value("MAC"), args.Value("VPORT")));
      }));
  c.push_back(Bind(
      {.words = {"del", "fdb"},
       .args = {Positional("VNET", VT::kVNetName), Positional("MAC", VT::kMac)},
       .help = "Remove an FDB entry.",
       .rpc = "RemoveFdbEntry"},
      &Stub::RemoveFdbEntry,
      [](const Args& args, v1::RemoveFdbEntryRequest* request) {
        request->set_vnet(args.Value("VNET"));
        request->set_mac(args.Value("MAC"));
      },
      [](const Args& args, const v1::RemoveFdbEntryResponse&, Printer& printer) {
        printer.Line(
            absl::StrFormat("fdb entry %s %s removed", args.Value("VNET"), args.Value("MAC")));
      }));
  c.push_back(Bind(
      {.words = {"show", "fdb"},
       .args = {Positional("VNET", VT::kVNetName, Occurs::kOptional)},
       .help = "List FDB entries, of one VNet or of all: VNET MAC VPORT TYPE AGE.",
       .usage = "AGE is the seconds since a learned entry was last refreshed.",
       .rpc = "ListFdb"},
      &Stub::ListFdb,
      [](const Args& args, v1::ListFdbRequest* request) { request->set_vnet(args.Value("VNET")); },
      Show(&Printer::PrintFdb)));
  c.push_back(Bind(
      {.words = {"flush", "fdb"},
       .args = {Positional("VNET", VT::kVNetName, Occurs::kOptional), Flag("static")},
       .help = "Remove learned FDB entries (and static ones with `static`).",
       .usage = "Without VNET, flushes every VNet.",
       .rpc = "FlushFdb"},
      &Stub::FlushFdb,
      [](const Args& args, v1::FlushFdbRequest* request) {
        request->set_vnet(args.Value("VNET"));
        request->set_include_static(args.Has("static"));
      },
      [](const Args&, const v1::FlushFdbResponse& reply, Printer& printer) {
        printer.Line(absl::StrFormat("%d entries removed", reply.removed()));
      }));

  // ------------------------------------------------------------ mirroring
  c.push_back(Bind(
      {.words = {"add", "destination"},
       .args = {Positional("NAME"), Keyword("vnet", "VNET", VT::kVNetName),
                Keyword("vni", "N", VT::kUint32, Occurs::kOptional),
                Keyword("collector", "IP", VT::kText, Occurs::kRepeated),
                Keyword("port", "N", VT::kUint32, Occurs::kOptional), Flag("mark"),
                Keyword("pcapng", "FILE", VT::kText, Occurs::kOptional),
                Keyword("rotate", "BYTES", VT::kUint64, Occurs::kOptional)},
       .help = "Create a mirror destination: VXLAN to collectors, or a local pcapng file.",
       .usage = "Two kinds:\n"
                "  add destination NAME vnet VNET vni N collector IP [collector IP]... [port N]\n"
                "                  [mark]\n"
                "  add destination NAME vnet VNET pcapng FILE [rotate BYTES]\n"
                "VNET is the VNet the destination belongs to: every source of a session\n"
                "sending here must be in it or in a VNet peered with it, of the same tenant.\n"
                "VXLAN: N is the VXLAN network identifier of the copies (1..16777215). Each\n"
                "`collector` is an underlay IPv4 address (1..8); with several, a symmetric\n"
                "flow hash picks one. `port` is the UDP destination port (default 4789).\n"
                "`mark` tags each copy with its direction and source vport in the VXLAN-GBP\n"
                "Group Policy ID (bit 15 = received by the VM, bits 0..14 = vport id); the\n"
                "collector must accept VXLAN-GBP.\n"
                "pcapng: FILE is a file name in vswitchd's --capture_dir (no '/', not '..');\n"
                "`rotate` starts a new file (FILE.1, FILE.2, ...) once one passes BYTES\n"
                "(0 = never, else at least 1024). Copies are written by the encap lcore.",
       .rpc = "CreateMirrorDestination"},
      &Stub::CreateMirrorDestination,
      [](const Args& args, v1::CreateMirrorDestinationRequest* request) {
        v1::MirrorDestination* destination = request->mutable_destination();
        destination->set_name(args.Value("NAME"));
        destination->set_vnet(args.Value("vnet"));
        destination->set_vni(args.Uint32("vni"));
        destination->set_udp_port(args.Uint32("port"));
        destination->set_mark_copies(args.Has("mark"));
        for (const std::string& collector : args.Values("collector")) {
          destination->add_collectors(collector);
        }
        if (args.Has("pcapng")) {
          destination->mutable_pcapng()->set_file(args.Value("pcapng"));
          destination->mutable_pcapng()->set_rotate_bytes(args.Uint64("rotate"));
        }
      },
      [](const Args& args, const v1::MirrorDestination& destination, Printer& printer) {
        printer.Line(absl::StrFormat("destination %s created (id %d)", args.Value("NAME"),
                                     destination.id()));
      }));
  c.push_back(Bind(
      {.words = {"del", "destination"},
       .args = {Positional("NAME", VT::kDestinationName)},
       .help = "Delete a mirror destination.",
       .rpc = "DeleteMirrorDestination"},
      &Stub::DeleteMirrorDestination,
      [](const Args& args, v1::DeleteMirrorDestinationRequest* request) {
        request->set_name(args.Value("NAME"));
      },
      [](const Args& args, const v1::DeleteMirrorDestinationResponse&, Printer& printer) {
        printer.Line(absl::StrFormat("destination %s deleted", args.Value("NAME")));
      }));
  c.push_back(Bind({.words = {"show", "destinations"},
                    .help = "List mirror destinations: ID NAME VNET VNI PORT COLLECTORS (or pcapng:FILE).",
                    .rpc = "ListMirrorDestinations"},
                   &Stub::ListMirrorDestinations, kNoArgs, Show(&Printer::PrintDestinations)));
  c.push_back(Bind(
      {.words = {"add", "tap-session"},
       .args = TapSessionArgs(VT::kText),
       .help = "Create a TAP session: mirror frames of vports to mirror destinations.",
       .usage = kTapSessionUsage,
       .rpc = "CreateTapSession"},
      &Stub::CreateTapSession,
      [](const Args& args, v1::CreateTapSessionRequest* request) {
        BuildTapSession(args, request->mutable_session());
      },
      [](const Args& args, const v1::TapSession& session, Printer& printer) {
        printer.Line(
            absl::StrFormat("tap-session %s created (id %d)", args.Value("NAME"), session.id()));
      }));
  c.push_back(Bind(
      {.words = {"set", "tap-session"},
       .args = TapSessionArgs(VT::kSessionName),
       .help = "Replace a TAP session's settings with the ones given (same id, counters kept).",
       .usage = std::string("Everything not given takes its default: sources, destinations and\n"
                            "rules are exactly the ones listed, and the session is enabled\n"
                            "unless `disabled` is given.\n\n") +
                kTapSessionUsage,
       .rpc = "UpdateTapSession"},
      &Stub::UpdateTapSession,
      [](const Args& args, v1::UpdateTapSessionRequest* request) {
        BuildTapSession(args, request->mutable_session());
      },
      [](const Args& args, const v1::TapSession&, Printer& printer) {
        printer.Line(absl::StrFormat("tap-session %s updated", args.Value("NAME")));
      }));
  c.push_back(Bind(
      {.words = {"del", "tap-session"},
       .args = {Positional("NAME", VT::kSessionName)},
       .help = "Delete a TAP session.",
       .rpc = "DeleteTapSession"},
      &Stub::DeleteTapSession,
      [](const Args& args, v1::DeleteTapSessionRequest* request) {
        request->set_name(args.Value("NAME"));
      },
      [](const Args& args, const v1::DeleteTapSessionResponse&, Printer& printer) {
        printer.Line(absl::StrFormat("tap-session %s deleted", args.Value("NAME")));
      }));
  c.push_back(
      Bind({.words = {"show", "tap-sessions"},
            .help = "List TAP sessions: ID NAME SOURCES DIRECTION RULES TRUNCATE RATE "
                    "DESTINATIONS ENABLED.",
            .usage = "RULES is the number of rules; `vsctl --json show tap-sessions` prints them.",
            .rpc = "ListTapSessions"},
           &Stub::ListTapSessions, kNoArgs, Show(&Printer::PrintTapSessions)));

  // ------------------------------------------------------------ neighbors
  c.push_back(Bind(
      {.words = {"set", "neighbor"},
       .args = {Positional("IP"), Keyword("mac", "MAC", VT::kMac)},
       .help = "Set a static next-hop MAC for an underlay IP (overrides ARP).",
       .rpc = "SetNeighbor"},
      &Stub::SetNeighbor,
      [](const Args& args, v1::SetNeighborRequest* request) {
        v1::Neighbor* neighbor = request->mutable_neighbor();
        neighbor->set_ip(args.Value("IP"));
        neighbor->set_mac(args.Value("mac"));
      },
      [](const Args& args, const v1::Neighbor&, Printer& printer) {
        printer.Line(absl::StrFormat("neighbor %s set to %s", args.Value("IP"), args.Value("mac")));
      }));
  c.push_back(Bind(
      {.words = {"del", "neighbor"},
       .args = {Positional("IP")},
       .help = "Delete a static neighbor; the IP is resolved by ARP again.",
       .rpc = "DeleteNeighbor"},
      &Stub::DeleteNeighbor,
      [](const Args& args, v1::DeleteNeighborRequest* request) {
        request->set_ip(args.Value("IP"));
      },
      [](const Args& args, const v1::DeleteNeighborResponse&, Printer& printer) {
        printer.Line(absl::StrFormat("neighbor %s deleted", args.Value("IP")));
      }));
  c.push_back(
      Bind({.words = {"show", "neighbors"},
            .help = "List the uplink's next hops: IP MAC STATE.",
            .usage = "STATE is STATIC (set neighbor), RESOLVED (by ARP) or INCOMPLETE (no reply).",
            .rpc = "ListNeighbors"},
           &Stub::ListNeighbors, kNoArgs, Show(&Printer::PrintNeighbors)));

  // ------------------------------------------------------------ configuration
  c.push_back(SaveCommand());
  c.push_back(LoadCommand());

  return CommandTable(std::move(c));
}

}  // namespace vswitch::shell
