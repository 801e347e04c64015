// SPDX-License-Identifier: Apache-2.0
//
// vsctl commands for mirror destinations, TAP sessions and the neighbors
// of the uplink.
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "glog/logging.h"
#include "vswitch/api/vswitch.pb.h"
#include "vswitch/shell/command_groups.h"
#include "vswitch/shell/tap_rule_spec.h"

namespace vswitch::shell {
namespace {

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
    "  proto=tcp|udp|icmp|sctp|N  IP protocol (ICMPv6: 58; IPv6: after extension headers)\n"
    "  src=CIDR, dst=CIDR         IPv4 or IPv6 source and destination prefixes\n"
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

}  // namespace

void AppendTapCommands(std::vector<Command>* c) {
  using VT = ValueType;
  c->push_back(Bind(
      {.words = {"add", "destination"},
       .args = {Positional("NAME"), Keyword("vnet", "VNET", VT::kVNetName),
                Keyword("vni", "N", VT::kUint32, Occurs::kOptional),
                Keyword("collector", "IP", VT::kText, Occurs::kRepeated),
                Keyword("port", "N", VT::kUint32, Occurs::kOptional), Flag("mark"),
                Flag("in-vnet"), Keyword("pcapng", "FILE", VT::kText, Occurs::kOptional),
                Keyword("rotate", "BYTES", VT::kUint64, Occurs::kOptional)},
       .help = "Create a mirror destination: VXLAN to collectors, or a local pcapng file.",
       .usage = "Two kinds:\n"
                "  add destination NAME vnet VNET vni N collector IP [collector IP]... [port N]\n"
                "                  [mark] [in-vnet]\n"
                "  add destination NAME vnet VNET pcapng FILE [rotate BYTES]\n"
                "VNET is the VNet the destination belongs to: every source of a session\n"
                "sending here must be in it or in a VNet peered with it, of the same tenant.\n"
                "VXLAN: N is the VXLAN network identifier of the copies (1..16777215). Each\n"
                "`collector` is an underlay IPv4 address (1..8); with several, a symmetric\n"
                "flow hash picks one. `port` is the UDP destination port (default 4789).\n"
                "`mark` tags each copy with its direction and source vport in the VXLAN-GBP\n"
                "Group Policy ID (bit 15 = received by the VM, bits 0..14 = vport id); the\n"
                "collector must accept VXLAN-GBP. `in-vnet`: the collectors are addresses of\n"
                "VMs inside VNET (a vport's or a remote port's ips), reached through the VNet:\n"
                "out of the VM's vport, or through the overlay to its host.\n"
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
        destination->set_collectors_in_vnet(args.Has("in-vnet"));
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
  c->push_back(Bind(
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
  c->push_back(Bind({.words = {"show", "destinations"},
                    .help = "List mirror destinations: ID NAME VNET VNI PORT COLLECTORS (or pcapng:FILE).",
                    .rpc = "ListMirrorDestinations"},
                   &Stub::ListMirrorDestinations, kNoArgs, Show(&Printer::PrintDestinations)));
  c->push_back(Bind(
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
  c->push_back(Bind(
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
  c->push_back(Bind(
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
  c->push_back(
      Bind({.words = {"show", "tap-sessions"},
            .help = "List TAP sessions: ID NAME SOURCES DIRECTION RULES TRUNCATE RATE "
                    "DESTINATIONS ENABLED.",
            .usage = "RULES is the number of rules; `vsctl --json show tap-sessions` prints them.",
            .rpc = "ListTapSessions"},
           &Stub::ListTapSessions, kNoArgs, Show(&Printer::PrintTapSessions)));

  // ------------------------------------------------------------ neighbors
  c->push_back(Bind(
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
  c->push_back(Bind(
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
  c->push_back(
      Bind({.words = {"show", "neighbors"},
            .help = "List the uplink's next hops: IP MAC STATE.",
            .usage = "STATE is STATIC (set neighbor), RESOLVED (by ARP) or INCOMPLETE (no reply).",
            .rpc = "ListNeighbors"},
           &Stub::ListNeighbors, kNoArgs, Show(&Printer::PrintNeighbors)));
}

}  // namespace vswitch::shell
