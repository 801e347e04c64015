// SPDX-License-Identifier: Apache-2.0
//
// vsctl commands for the overlay: remote ports (VMs of a VNet on other
// hosts, behind their host's VTEP) and the per-VTEP counters.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "vswitch/api/vswitch.pb.h"
#include "vswitch/shell/command_groups.h"
#include "vswitch/shell/remote_ports_file.h"

namespace vswitch::shell {
namespace {

// A whole host's worth of remote ports is one validation and one snapshot
// build: allow more than the default deadline.
constexpr std::chrono::seconds kReplaceDeadline{60};

constexpr char kReplaceUsage[] =
    "FILE has one remote port a line, words separated by spaces:\n"
    "  VNET MAC VTEP [IP]...\n"
    "'#' starts a comment. The whole file is read first (a line with fewer than\n"
    "three words sends nothing), then sent as one ReplaceRemotePorts: the remote\n"
    "ports of every VNet (or, with `vnet VNET`, of that VNet only; other VNets'\n"
    "lines are skipped) become exactly the file's. Ports equal to running ones\n"
    "are untouched; on any error nothing changes (the error names the line).\n"
    "A config file named \"remote-ports\" loads with `load ./remote-ports`.";

// `load remote-ports FILE [vnet VNET]`: like `load`, its request needs I/O
// (it reads FILE), so it is written out rather than Bind-ed.
Command LoadRemotePortsCommand() {
  Command command{
      .words = {"load", "remote-ports"},
      .args = {Positional("FILE", ValueType::kFilePath),
               Keyword("vnet", "VNET", ValueType::kVNetName, Occurs::kOptional)},
      .help = "Replace the remote ports (of all VNets, or of one) with FILE's, as one change.",
      .usage = kReplaceUsage,
      .rpc = "ReplaceRemotePorts",
      .request_type = v1::ReplaceRemotePortsRequest::descriptor(),
      .response_type = v1::ReplaceRemotePortsResponse::descriptor()};
  // nullptr when FILE cannot be read or parsed.
  command.build_request = [](const Args& args) {
    absl::StatusOr<RemotePortsFile> file =
        ReadRemotePortsFile(args.Value("FILE"), args.Value("vnet"));
    if (!file.ok()) {
      return std::unique_ptr<google::protobuf::Message>();
    }
    auto request = std::make_unique<v1::ReplaceRemotePortsRequest>();
    request->set_vnet(args.Value("vnet"));
    for (v1::RemotePort& port : file->ports) {
      *request->add_ports() = std::move(port);
    }
    return std::unique_ptr<google::protobuf::Message>(std::move(request));
  };
  command.run = [](const Args& args, Client& client, Printer& printer) {
    const std::string& path = args.Value("FILE");
    absl::StatusOr<RemotePortsFile> file = ReadRemotePortsFile(path, args.Value("vnet"));
    if (!file.ok()) {
      printer.err() << "error: " << file.status().message() << '\n';
      return kExitUsage;
    }
    v1::ReplaceRemotePortsRequest request;
    request.set_vnet(args.Value("vnet"));
    for (const v1::RemotePort& port : file->ports) {
      *request.add_ports() = port;
    }
    v1::ReplaceRemotePortsResponse reply;
    grpc::Status status =
        client.Call(&Stub::ReplaceRemotePorts, request, &reply,
                    std::chrono::duration_cast<std::chrono::milliseconds>(kReplaceDeadline));
    if (!status.ok()) {
      return printer.RpcError(
          grpc::Status(status.error_code(), WithFileLine(status.error_message(), *file, path)));
    }
    if (printer.json()) {
      printer.Json(reply);
      return kExitOk;
    }
    std::string scope = args.Has("vnet") ? "vnet " + args.Value("vnet") : "all vnets";
    std::string skipped = file->skipped == 0
                              ? ""
                              : absl::StrFormat(", %d line%s of other vnets skipped", file->skipped,
                                                file->skipped == 1 ? "" : "s");
    printer.Line(absl::StrFormat(
        "remote ports of %s loaded from %s: %d added, %d removed, %d changed, %d unchanged "
        "(generation %d%s)",
        scope, path, reply.added(), reply.removed(), reply.changed(), reply.unchanged(),
        reply.snapshot_generation(), skipped));
    return kExitOk;
  };
  return command;
}

}  // namespace

void AppendOverlayCommands(std::vector<Command>* c) {
  using VT = ValueType;
  c->push_back(Bind(
      {.words = {"add", "remote-port"},
       .args = {Positional("VNET", VT::kVNetName), Positional("MAC", VT::kMac),
                Keyword("vtep", "IP", VT::kText), Keyword("ip", "A", VT::kText, Occurs::kRepeated)},
       .help = "Add a VM of VNET on another host: frames to MAC go over VXLAN to VTEP.",
       .usage = "`vtep` is the underlay IPv4 address of the host that has the VM (its\n"
                "uplink's IP, not this host's); frames to MAC are VXLAN-encapsulated with\n"
                "the VNet's VNI to it (UDP 4789), and frames decapsulated from it may have\n"
                "MAC as their source. MAC is unicast and unique in the VNet. Each `ip` is an\n"
                "IPv4 address of the VM (at most 8, inside the VNet's prefixes): with ARP\n"
                "suppression on, this switch answers local VMs' ARP requests for it.\n"
                "A local VM that talks to it must use MTU = uplink MTU - 50 (1450 with the\n"
                "default 1500): larger frames are dropped (overlay_mtu), never fragmented.",
       .rpc = "AddRemotePort"},
      &Stub::AddRemotePort,
      [](const Args& args, v1::AddRemotePortRequest* request) {
        v1::RemotePort* port = request->mutable_port();
        port->set_vnet(args.Value("VNET"));
        port->set_mac(args.Value("MAC"));
        port->set_vtep(args.Value("vtep"));
        for (const std::string& ip : args.Values("ip")) {
          port->add_ips(ip);
        }
      },
      [](const Args& args, const v1::RemotePort& port, Printer& printer) {
        // The reply's values: what the daemon stored (e.g. the MAC normalised).
        printer.Line(absl::StrFormat("remote-port %s added to %s (vtep %s)", port.mac(),
                                     port.vnet().empty() ? args.Value("VNET") : port.vnet(),
                                     port.vtep()));
      }));
  c->push_back(Bind(
      {.words = {"del", "remote-port"},
       .args = {Positional("VNET", VT::kVNetName), Positional("MAC", VT::kMac)},
       .help = "Remove a remote port.",
       .rpc = "RemoveRemotePort"},
      &Stub::RemoveRemotePort,
      [](const Args& args, v1::RemoveRemotePortRequest* request) {
        request->set_vnet(args.Value("VNET"));
        request->set_mac(args.Value("MAC"));
      },
      [](const Args& args, const v1::RemoveRemotePortResponse&, Printer& printer) {
        printer.Line(absl::StrFormat("remote-port %s removed from %s", args.Value("MAC"),
                                     args.Value("VNET")));
      }));
  c->push_back(Bind(
      {.words = {"show", "remote-ports"},
       .args = {Positional("VNET", VT::kVNetName, Occurs::kOptional)},
       .help = "List remote ports, of one VNet or of all: VNET MAC IPS VTEP.",
       .rpc = "ListRemotePorts"},
      &Stub::ListRemotePorts,
      [](const Args& args, v1::ListRemotePortsRequest* request) {
        request->set_vnet(args.Value("VNET"));
      },
      Show(&Printer::PrintRemotePorts)));
  c->push_back(LoadRemotePortsCommand());
  c->push_back(
      Bind({.words = {"show", "vteps"},
            .help = "Show each remote VTEP's remote ports, next-hop state and overlay counters.",
            .usage = "One row per VTEP that has remote ports:\n"
                     "  PORTS       its remote ports (over all VNets)\n"
                     "  STATE       its underlay next hop: RESOLVED, STATIC, INCOMPLETE or\n"
                     "              NO_ROUTE; frames to an unresolved VTEP are dropped\n"
                     "              (vtep_unresolved)\n"
                     "  RX-PKTS, RX-BYTES  decapsulated from it and switched (inner bytes)\n"
                     "  TX-PKTS, TX-BYTES  encapsulated to it (outer bytes), replicas included\n"
                     "  REPLICATED  of TX-PKTS, head-end replicas of broadcast, multicast and\n"
                     "              unknown unicast",
            .rpc = "GetStats"},
           &Stub::GetStats, kNoArgs, Show(&Printer::PrintVteps)));
}

}  // namespace vswitch::shell
