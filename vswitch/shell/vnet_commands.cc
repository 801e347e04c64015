// SPDX-License-Identifier: Apache-2.0
//
// vsctl commands for VNets, vports and the FDB.
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "vswitch/api/vswitch.pb.h"
#include "vswitch/shell/command_groups.h"

namespace vswitch::shell {
namespace {

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
}  // namespace

void AppendVNetCommands(std::vector<Command>* c) {
  using VT = ValueType;
  c->push_back(Bind(
      {.words = {"add", "vnet"},
       .args = {Positional("NAME"), Keyword("tenant", "TENANT", VT::kText),
                Keyword("vni", "N", VT::kUint32),
                Keyword("prefix", "CIDR", VT::kText, Occurs::kRepeated),
                Choice("arp-suppression", {"on", "off"}, Occurs::kOptional)},
       .help = "Create a VNet.",
       .usage = "NAME and TENANT are 1..32 and 1..64 characters of [A-Za-z0-9_.-]; the VXLAN\n"
                "network identifier N is 1..16777215 and unique. Each `prefix` adds an IPv4\n"
                "prefix (\"10.1.0.0/24\") used by TAP filters.\n"
                "With ARP suppression (default on) the switch answers a local VM's ARP\n"
                "request for an address it knows in the VNet (a vport's or remote port's\n"
                "`ip`) instead of flooding it to every host; `arp-suppression off` floods\n"
                "such requests like any broadcast.",
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
        vnet->set_arp_suppression_disabled(args.Value("arp-suppression") == "off");
      },
      [](const Args& args, const v1::VNet& vnet, Printer& printer) {
        printer.Line(absl::StrFormat("vnet %s created (id %d)", args.Value("NAME"), vnet.id()));
      }));
  c->push_back(Bind(
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
  c->push_back(Bind({.words = {"show", "vnets"},
                    .help = "List VNets: ID NAME TENANT VNI PREFIXES PEERS ARP-SUPPRESSION.",
                    .rpc = "ListVNets"},
                   &Stub::ListVNets, kNoArgs, Show(&Printer::PrintVNets)));
  c->push_back(Bind(
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
  c->push_back(Bind({.words = {"unpeer", "vnet"},
                    .args = {Positional("A", VT::kVNetName), Positional("B", VT::kVNetName)},
                    .help = "Remove the peering of two VNets.",
                    .rpc = "UnpeerVNets"},
                   &Stub::UnpeerVNets, BuildPeering,
                   [](const Args& args, const v1::PeerVNetsResponse&, Printer& printer) {
                     printer.Line(absl::StrFormat("vnets %s and %s unpeered", args.Value("A"),
                                                  args.Value("B")));
                   }));
}

void AppendVPortCommands(std::vector<Command>* c) {
  using VT = ValueType;
  c->push_back(Bind(
      {.words = {"add", "vport"},
       .args = {Positional("NAME"), Keyword("vnet", "VNET", VT::kVNetName),
                Keyword("driver", "SPEC", VT::kDriverSpec),
                Keyword("mac", "MAC", VT::kMac, Occurs::kRepeated),
                Keyword("ip", "IP", VT::kText, Occurs::kRepeated),
                Keyword("queues", "N", VT::kUint32, Occurs::kOptional),
                Choice("admin", {"up", "down"}, Occurs::kOptional),
                Choice("port-security", {"on", "off"}, Occurs::kOptional)},
       .help = "Add a VM's vport to a VNet.",
       .usage = std::string("SPEC is \"DRIVER[:key=value[,key=value...]]\":\n") + kDriverHelp +
                "Each `mac` is a MAC of the VM behind the vport; it becomes a static FDB\n"
                "entry. Each `ip` is an IPv4 address of the VM, inside the VNet's prefixes.\n"
                "With macs or ips, port security (default on) drops what the VM sends from\n"
                "another MAC or address (drop reason spoofed_src); `port-security off` lets\n"
                "it send from any and learns its MACs. At most 8 of each.\n"
                "`queues` is 1..16 (default 1); `admin` defaults to up.",
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
        for (const std::string& ip : args.Values("ip")) {
          vport->add_ips(ip);
        }
        vport->set_port_security_disabled(args.Has("port-security") &&
                                          args.Value("port-security") == "off");
        vport->set_queues(args.Uint32("queues"));
        vport->set_admin_state(AdminStateOf(args));
      },
      [](const Args& args, const v1::VPort& vport, Printer& printer) {
        printer.Line(absl::StrFormat("vport %s added (id %d, port %d)", args.Value("NAME"),
                                     vport.id(), vport.port_id()));
      }));
  c->push_back(Bind(
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
  c->push_back(Bind(
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
  c->push_back(Bind(
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
  c->push_back(Bind({.words = {"show", "vports"},
                    .help = "List vports: ID NAME KIND VNET DRIVER PORT MAC LINK ADMIN.",
                    .rpc = "ListVPorts"},
                   &Stub::ListVPorts, kNoArgs, Show(&Printer::PrintVPorts)));
}

void AppendFdbCommands(std::vector<Command>* c) {
  using VT = ValueType;
  c->push_back(Bind(
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
  c->push_back(Bind(
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
  c->push_back(Bind(
      {.words = {"show", "fdb"},
       .args = {Positional("VNET", VT::kVNetName, Occurs::kOptional)},
       .help = "List FDB entries, of one VNet or of all: VNET MAC VPORT TYPE AGE.",
       .usage = "AGE is the seconds since a learned entry was last refreshed.",
       .rpc = "ListFdb"},
      &Stub::ListFdb,
      [](const Args& args, v1::ListFdbRequest* request) { request->set_vnet(args.Value("VNET")); },
      Show(&Printer::PrintFdb)));
  c->push_back(Bind(
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
}

}  // namespace vswitch::shell
