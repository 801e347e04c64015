// SPDX-License-Identifier: Apache-2.0
#include "apps/vswitch-fleet/fleet_tool.h"

#include <algorithm>
#include <functional>
#include <map>
#include <utility>
#include <vector>

#include <google/protobuf/util/json_util.h>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "vswitch/api/fleet.pb.h"
#include "vswitch/fleet/fleet_state.h"
#include "vswitch/fleet/keyspace.h"
#include "vswitch/shell/commands.h"
#include "vswitch/shell/printer.h"
#include "vswitch/shell/text_table.h"

namespace vswitch::fleettool {
namespace {

using shell::Args;
using shell::ArgSpec;
using shell::Choice;
using shell::Command;
using shell::Keyword;
using shell::Occurs;
using shell::Positional;
using VT = shell::ValueType;

constexpr int kAttempts = 5;

// The commands taken from vsctl's table: same words, arguments, help and
// request builder.
const std::vector<std::vector<std::string>> kFromVsctl = {
    {"add", "vnet"}, {"add", "destination"}, {"add", "tap-session"}, {"set", "tap-session"}};

std::vector<Command> OwnCommands() {
  std::vector<Command> c;
  auto add = [&](std::vector<std::string> words, std::vector<ArgSpec> args, std::string help,
                 std::string usage = "") {
    c.push_back({.words = std::move(words), .args = std::move(args), .help = std::move(help),
                 .usage = std::move(usage)});
  };
  add({"add", "tenant"}, {Positional("NAME")}, "Create a tenant.");
  add({"del", "tenant"}, {Positional("NAME")}, "Delete a tenant (refused while it has VNets).");
  add({"show", "tenants"}, {}, "List tenants.");
  add({"del", "vnet"}, {Positional("NAME", VT::kVNetName)},
      "Delete a VNet and its VNI claim (refused while VMs, destinations or peerings use it).");
  add({"show", "vnets"}, {}, "List VNets: NAME TENANT VNI PREFIXES PEERS ARP-SUPPRESSION.");
  add({"peer", "vnet"}, {Positional("A", VT::kVNetName), Positional("B", VT::kVNetName)},
      "Peer two VNets of one tenant.");
  add({"unpeer", "vnet"}, {Positional("A", VT::kVNetName), Positional("B", VT::kVNetName)},
      "Remove a peering (refused while a TAP session needs it).");
  add({"add", "vm"},
      {Positional("NAME"), Keyword("vnet", "VNET", VT::kVNetName),
       Keyword("host", "HOST", VT::kText), Keyword("mac", "MAC", VT::kMac, Occurs::kOneOrMore),
       Keyword("ip", "IP", VT::kText, Occurs::kRepeated),
       Keyword("driver", "SPEC", VT::kDriverSpec, Occurs::kOptional),
       Keyword("queues", "N", VT::kUint32, Occurs::kOptional),
       Choice("port-security", {"on", "off"}, Occurs::kOptional)},
      "Place a VM's NIC on a host: a vport there, a remote port on the other hosts.",
      "NAME is unique in the fleet (TAP sessions name VMs wherever they run). HOST is\n"
      "the host's vswitch-agent --host. SPEC is vswitchd's driver spec on that host\n"
      "(default vhost). MACs and IPs are unique in the VNet, IPs inside its prefixes.");
  add({"move", "vm"},
      {Positional("NAME"), Keyword("host", "HOST", VT::kText),
       Keyword("driver", "SPEC", VT::kDriverSpec, Occurs::kOptional)},
      "Move a VM to another host in one write: every host and TAP session follows.");
  add({"del", "vm"}, {Positional("NAME")}, "Remove a VM (refused while a TAP session names it).");
  add({"show", "vms"},
      {Keyword("vnet", "VNET", VT::kVNetName, Occurs::kOptional),
       Keyword("host", "HOST", VT::kText, Occurs::kOptional)},
      "List VMs: NAME VNET HOST MACS IPS DRIVER.");
  add({"del", "destination"}, {Positional("NAME", VT::kDestinationName)},
      "Delete a mirror destination (refused while sessions use it).");
  add({"show", "destinations"}, {}, "List mirror destinations.");
  add({"del", "tap-session"}, {Positional("NAME", VT::kSessionName)}, "Delete a TAP session.");
  add({"show", "tap-sessions"}, {}, "List TAP sessions (sources are VM names).");
  add({"show", "hosts"}, {},
      "Show each host: HOST VTEP STATE APPLIED-REV BEHIND VMS REMOTE-PORTS TAPS ERROR.",
      "BEHIND counts the revisions of the desired state the host has not applied.\n"
      "A host its lease has left shows state down. An agent reports a newer revision\n"
      "at once when its host changed, else at most every --status_interval.");
  add({"show", "errors"}, {},
      "List keys whose value is refused (with the reason) and the first fleet rule broken.");
  return c;
}

std::string ToJson(const google::protobuf::Message& m) {
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(m, &out);
  return out;
}

// One read of /vswitch/v1/: the state, each key's mod revision, and the
// newest revision of the desired state.
struct Read {
  fleet::FleetState state;
  absl::flat_hash_map<std::string, int64_t> mod;
  int64_t revision = 0;
  int64_t desired_revision = 0;
};

absl::StatusOr<Read> ReadFleet(etcd::Client* etcd, bool with_status) {
  absl::StatusOr<etcd::RangeResult> r = etcd->GetPrefix(fleet::kRoot);
  if (!r.ok()) return r.status();
  Read out;
  out.revision = r->revision;
  for (const etcd::KeyValue& kv : r->kvs) {
    (void)out.state.Put(kv.key, kv.value);  // Refused values: in errors().
    out.mod[kv.key] = kv.mod_revision;
    if (fleet::ParseKey(kv.key).kind != fleet::KeyKind::kHostVtep) {
      out.desired_revision = std::max(out.desired_revision, kv.mod_revision);
    }
  }
  if (with_status) {
    absl::StatusOr<etcd::RangeResult> s = etcd->GetPrefix(fleet::kStatusRoot, r->revision);
    if (!s.ok()) return s.status();
    for (const etcd::KeyValue& kv : s->kvs) {
      (void)out.state.Put(kv.key, kv.value);
    }
  }
  return out;
}

// What a write command does to the read state: puts and deletes, and the
// keys whose absence or revision it relies on.
struct Change {
  std::vector<etcd::Op> ops;
  std::vector<std::string> absent;   // Must not exist.
  std::vector<std::string> depends;  // Must be as read.
  std::string done;                  // The success line.
};

using Mutator = std::function<absl::Status(const Read&, Change*)>;

absl::Status NotFound(const std::string& what) {
  return absl::NotFoundError(absl::StrCat(what, " does not exist"));
}

class Runner {
 public:
  Runner(etcd::Client* etcd, shell::Printer* printer) : etcd_(etcd), p_(printer) {}

  // Read, change, check, write; again if someone wrote in between.
  int Write(const Mutator& mutate) {
    for (int attempt = 0; attempt < kAttempts; ++attempt) {
      absl::StatusOr<Read> read = ReadFleet(etcd_, false);
      if (!read.ok()) return Fail(read.status());
      Change change;
      if (absl::Status s = mutate(*read, &change); !s.ok()) return Fail(s);
      // The state after the change must keep the fleet's rules (those it
      // already broke before are not this write's doing).
      fleet::FleetState after = read->state;
      for (const etcd::Op& op : change.ops) {
        if (op.type == etcd::Op::Type::kPut) {
          if (absl::Status s = after.Put(op.key, op.value); !s.ok()) return Fail(s);
        } else {
          after.Delete(op.key);
        }
      }
      const absl::Status before_rules = fleet::ValidateFleet(read->state);
      const absl::Status after_rules = fleet::ValidateFleet(after);
      if (!after_rules.ok() && after_rules != before_rules) return Fail(after_rules);

      std::vector<etcd::Compare> compares = {
          etcd::Compare::PrefixUnchangedSince(std::string(fleet::kRoot), read->revision)};
      for (const std::string& k : change.absent) {
        compares.push_back(etcd::Compare::Absent(k));
      }
      for (const std::string& k : change.depends) {
        auto it = read->mod.find(k);
        compares.push_back(etcd::Compare::ModRevision(k, it == read->mod.end() ? 0 : it->second));
      }
      for (const etcd::Op& op : change.ops) {
        auto it = read->mod.find(op.key);
        compares.push_back(
            etcd::Compare::ModRevision(op.key, it == read->mod.end() ? 0 : it->second));
      }
      absl::StatusOr<etcd::TxnResult> txn = etcd_->Txn(compares, change.ops);
      if (!txn.ok()) return Fail(txn.status());
      if (txn->succeeded) {
        if (!p_->json()) p_->Line(absl::StrCat(change.done, " (revision ", txn->revision, ")"));
        else p_->out() << "{\"revision\": " << txn->revision << "}\n";
        return shell::kExitOk;
      }
    }
    return Fail(absl::AbortedError(
        absl::StrCat("conflict: the desired state kept changing (", kAttempts, " attempts)")));
  }

  int Fail(const absl::Status& s) {
    p_->err() << "error: " << s.message() << "\n";
    return shell::kExitRpcError;
  }

 private:
  etcd::Client* etcd_;
  shell::Printer* p_;
};

std::string Dash(const std::string& s) { return s.empty() ? "-" : s; }

template <typename Map>
std::vector<std::string> Sorted(const Map& m) {
  std::vector<std::string> out;
  for (const auto& [k, v] : m) out.push_back(k);
  std::sort(out.begin(), out.end());
  return out;
}

const Command* Find(const shell::CommandTable& t, const std::vector<std::string>& words) {
  for (const Command& c : t.commands()) {
    if (c.words == words) return &c;
  }
  return nullptr;
}

}  // namespace

shell::CommandTable FleetCommands() {
  const shell::CommandTable vsctl = shell::VSwitchCommands();
  std::vector<Command> own = OwnCommands();
  std::vector<Command> out;
  // Help order: each object's commands together.
  for (const std::vector<std::string>& words : kFromVsctl) {
    const Command* c = Find(vsctl, words);
    Command copy = *c;
    copy.run = nullptr;
    copy.rpc.clear();  // Written to etcd, not sent to a vswitchd.
    out.push_back(std::move(copy));
  }
  for (Command& c : own) out.push_back(std::move(c));
  std::stable_sort(out.begin(), out.end(), [](const Command& a, const Command& b) {
    static const std::vector<std::string> order = {"tenant",      "tenants", "vnet",
                                                   "vnets",       "vm",      "vms",
                                                   "destination", "destinations",
                                                   "tap-session", "tap-sessions",
                                                   "hosts",       "errors"};
    auto rank = [](const Command& c) {
      return std::find(order.begin(), order.end(), c.words[1]) - order.begin();
    };
    return rank(a) < rank(b);
  });
  return shell::CommandTable(std::move(out));
}

FleetTool::FleetTool(etcd::Client* etcd, std::ostream& out, std::ostream& err, bool json)
    : etcd_(etcd), out_(out), err_(err), json_(json), table_(FleetCommands()) {}

int FleetTool::Execute(std::span<const std::string> words) {
  if (!words.empty() && words[0] == "help") {
    if (words.size() == 1) {
      table_.PrintCommandList(out_);
      return shell::kExitOk;
    }
    return table_.PrintHelp(words.subspan(1), out_, err_);
  }
  absl::StatusOr<shell::Invocation> inv = table_.Parse(words);
  if (!inv.ok()) {
    err_ << "error: " << inv.status().message() << "\n";
    return shell::kExitUsage;
  }
  const Command& cmd = *inv->command;
  const Args& a = inv->args;
  const std::string what = absl::StrJoin(cmd.words, " ");
  shell::Printer printer(out_, err_, json_);
  Runner run(etcd_, &printer);
  const std::string name = a.Value(cmd.args.empty() ? "NAME" : cmd.args[0].name);

  // --------------------------------------------------------------- writes
  if (what == "add tenant") {
    return run.Write([&](const Read&, Change* c) {
      fleet::v1::Tenant t;
      t.set_name(name);
      c->absent.push_back(fleet::TenantKey(name));
      c->ops.push_back(etcd::Op::Put(fleet::TenantKey(name), ToJson(t)));
      c->done = absl::StrCat("tenant ", name, " created");
      return absl::OkStatus();
    });
  }
  if (what == "del tenant") {
    return run.Write([&](const Read& r, Change* c) {
      if (!r.state.tenants().contains(name)) return NotFound(absl::StrCat("tenant '", name, "'"));
      for (const auto& [vn, v] : r.state.vnets()) {
        if (v.tenant() == name) {
          return absl::FailedPreconditionError(
              absl::StrFormat("tenant '%s' has vnet '%s'", name, vn));
        }
      }
      c->ops.push_back(etcd::Op::Delete(fleet::TenantKey(name)));
      c->done = absl::StrCat("tenant ", name, " deleted");
      return absl::OkStatus();
    });
  }
  if (what == "add vnet") {
    auto req = cmd.build_request(a);
    vswitch::v1::VNet vnet = static_cast<vswitch::v1::CreateVNetRequest&>(*req).vnet();
    return run.Write([&](const Read& r, Change* c) {
      if (r.state.vnets().contains(vnet.name())) {
        return absl::AlreadyExistsError(absl::StrCat("vnet '", vnet.name(), "' exists"));
      }
      if (auto it = r.state.vni_claims().find(vnet.vni()); it != r.state.vni_claims().end()) {
        return absl::AlreadyExistsError(
            absl::StrFormat("vni %u is taken by vnet '%s'", vnet.vni(), it->second));
      }
      if (!r.state.tenants().contains(vnet.tenant())) {
        return NotFound(absl::StrCat("tenant '", vnet.tenant(), "' (add tenant ", vnet.tenant(),
                                     ")"));
      }
      fleet::v1::VniClaim claim;
      claim.set_vnet(vnet.name());
      // Two operators creating the same VNI: only one claim can be created.
      c->absent = {fleet::VnetKey(vnet.name()), fleet::VniKey(vnet.vni())};
      c->depends = {fleet::TenantKey(vnet.tenant())};
      c->ops.push_back(etcd::Op::Put(fleet::VnetKey(vnet.name()), ToJson(vnet)));
      c->ops.push_back(etcd::Op::Put(fleet::VniKey(vnet.vni()), ToJson(claim)));
      c->done = absl::StrFormat("vnet %s created (vni %u)", vnet.name(), vnet.vni());
      return absl::OkStatus();
    });
  }
  if (what == "del vnet") {
    return run.Write([&](const Read& r, Change* c) {
      auto it = r.state.vnets().find(name);
      if (it == r.state.vnets().end()) return NotFound(absl::StrCat("vnet '", name, "'"));
      if (auto vms = r.state.vms_by_vnet().find(name); vms != r.state.vms_by_vnet().end()) {
        return absl::FailedPreconditionError(
            absl::StrFormat("vnet '%s' has %d VMs (vm '%s', ...)", name, vms->second.size(),
                            *vms->second.begin()));
      }
      for (const auto& [dn, d] : r.state.destinations()) {
        if (d.vnet() == name) {
          return absl::FailedPreconditionError(
              absl::StrFormat("destination '%s' is in vnet '%s'", dn, name));
        }
      }
      for (const auto& [pa, pb] : r.state.peerings()) {
        if (pa == name || pb == name) {
          return absl::FailedPreconditionError(
              absl::StrFormat("vnet '%s' is peered with '%s'", name, pa == name ? pb : pa));
        }
      }
      c->ops.push_back(etcd::Op::Delete(fleet::VnetKey(name)));
      const uint32_t vni = it->second.vni();
      if (auto cl = r.state.vni_claims().find(vni);
          cl != r.state.vni_claims().end() && cl->second == name) {
        c->ops.push_back(etcd::Op::Delete(fleet::VniKey(vni)));
      }
      c->done = absl::StrCat("vnet ", name, " deleted");
      return absl::OkStatus();
    });
  }
  if (what == "peer vnet" || what == "unpeer vnet") {
    const std::string x = a.Value("A"), y = a.Value("B");
    const bool peer = what == "peer vnet";
    return run.Write([&, x, y, peer](const Read& r, Change* c) {
      for (const std::string& v : {x, y}) {
        if (!r.state.vnets().contains(v)) return NotFound(absl::StrCat("vnet '", v, "'"));
      }
      if (x == y) return absl::InvalidArgumentError("a VNet is not peered with itself");
      const bool is = r.state.peerings().contains(std::minmax(x, y));
      const std::string key = fleet::PeeringKey(x, y);
      if (peer) {
        if (is) return absl::AlreadyExistsError(absl::StrFormat("%s and %s are peered", x, y));
        fleet::v1::Peering p;
        p.set_vnet_a(std::min(x, y));
        p.set_vnet_b(std::max(x, y));
        c->depends = {fleet::VnetKey(x), fleet::VnetKey(y)};
        c->ops.push_back(etcd::Op::Put(key, ToJson(p)));
        c->done = absl::StrFormat("vnets %s and %s peered", x, y);
      } else {
        if (!is) return NotFound(absl::StrFormat("a peering of %s and %s", x, y));
        c->ops.push_back(etcd::Op::Delete(key));
        c->done = absl::StrFormat("vnets %s and %s unpeered", x, y);
      }
      return absl::OkStatus();
    });
  }
  if (what == "add vm" || what == "move vm") {
    const bool add = what == "add vm";
    return run.Write([&, add](const Read& r, Change* c) {
      fleet::v1::Vm vm;
      auto it = r.state.vms().find(name);
      if (add) {
        if (it != r.state.vms().end()) {
          return absl::AlreadyExistsError(
              absl::StrFormat("vm '%s' exists (on host %s)", name, it->second.host()));
        }
        vm.set_name(name);
        vm.set_vnet(a.Value("vnet"));
        for (const std::string& m : a.Values("mac")) vm.add_macs(m);
        for (const std::string& ip : a.Values("ip")) vm.add_ips(ip);
        vm.set_driver(a.Has("driver") ? a.Value("driver") : "vhost");
        vm.set_queues(a.Uint32("queues"));
        vm.set_port_security_disabled(a.Value("port-security") == "off");
        c->absent = {fleet::VmKey(name)};
        c->depends = {fleet::VnetKey(vm.vnet())};
      } else {
        if (it == r.state.vms().end()) return NotFound(absl::StrCat("vm '", name, "'"));
        vm = it->second;
        if (vm.host() == a.Value("host") && !a.Has("driver")) {
          return absl::FailedPreconditionError(
              absl::StrFormat("vm '%s' is on host %s already", name, vm.host()));
        }
        if (a.Has("driver")) vm.set_driver(a.Value("driver"));
      }
      const std::string from = vm.host();
      vm.set_host(a.Value("host"));
      // One put: the VM leaves its old host and joins the new one in the
      // same revision.
      c->ops.push_back(etcd::Op::Put(fleet::VmKey(name), ToJson(vm)));
      c->done = add ? absl::StrFormat("vm %s placed on host %s", name, vm.host())
                    : absl::StrFormat("vm %s moved from host %s to %s", name, from, vm.host());
      return absl::OkStatus();
    });
  }
  if (what == "del vm" || what == "del destination" || what == "del tap-session") {
    const std::string key = what == "del vm"            ? fleet::VmKey(name)
                            : what == "del destination" ? fleet::DestinationKey(name)
                                                        : fleet::TapKey(name);
    return run.Write([&, key](const Read& r, Change* c) {
      if (!r.mod.contains(key)) {
        return NotFound(absl::StrCat(cmd.words[1], " '", name, "'"));
      }
      if (what == "del destination") {
        for (const auto& [tn, t] : r.state.taps()) {
          for (const std::string& d : t.destinations()) {
            if (d == name) {
              return absl::FailedPreconditionError(
                  absl::StrFormat("tap-session '%s' uses destination '%s'", tn, name));
            }
          }
        }
      }
      if (what == "del vm") {
        if (auto t = r.state.taps_by_vm().find(name); t != r.state.taps_by_vm().end()) {
          return absl::FailedPreconditionError(absl::StrFormat(
              "tap-session '%s' has vm '%s' as a source", *t->second.begin(), name));
        }
      }
      c->ops.push_back(etcd::Op::Delete(key));
      c->done = absl::StrCat(cmd.words[1], " ", name, " deleted");
      return absl::OkStatus();
    });
  }
  if (what == "add destination") {
    auto req = cmd.build_request(a);
    vswitch::v1::MirrorDestination d =
        static_cast<vswitch::v1::CreateMirrorDestinationRequest&>(*req).destination();
    return run.Write([&](const Read& r, Change* c) {
      if (r.state.destinations().contains(d.name())) {
        return absl::AlreadyExistsError(absl::StrCat("destination '", d.name(), "' exists"));
      }
      if (!r.state.vnets().contains(d.vnet())) {
        return NotFound(absl::StrCat("vnet '", d.vnet(), "'"));
      }
      c->absent = {fleet::DestinationKey(d.name())};
      c->depends = {fleet::VnetKey(d.vnet())};
      c->ops.push_back(etcd::Op::Put(fleet::DestinationKey(d.name()), ToJson(d)));
      c->done = absl::StrCat("destination ", d.name(), " created");
      return absl::OkStatus();
    });
  }
  if (what == "add tap-session" || what == "set tap-session") {
    const bool add = what == "add tap-session";
    auto req = cmd.build_request(a);
    vswitch::v1::TapSession t =
        add ? static_cast<vswitch::v1::CreateTapSessionRequest&>(*req).session()
            : static_cast<vswitch::v1::UpdateTapSessionRequest&>(*req).session();
    return run.Write([&, add](const Read& r, Change* c) {
      const bool exists = r.state.taps().contains(t.name());
      if (add && exists) {
        return absl::AlreadyExistsError(absl::StrCat("tap-session '", t.name(), "' exists"));
      }
      if (!add && !exists) return NotFound(absl::StrCat("tap-session '", t.name(), "'"));
      for (const std::string& s : t.sources()) {
        if (!r.state.vms().contains(s)) return NotFound(absl::StrCat("vm '", s, "'"));
        c->depends.push_back(fleet::VmKey(s));
      }
      for (const std::string& d : t.destinations()) {
        if (!r.state.destinations().contains(d)) {
          return NotFound(absl::StrCat("destination '", d, "'"));
        }
        c->depends.push_back(fleet::DestinationKey(d));
      }
      c->ops.push_back(etcd::Op::Put(fleet::TapKey(t.name()), ToJson(t)));
      c->done = absl::StrCat("tap-session ", t.name(), add ? " created" : " updated");
      return absl::OkStatus();
    });
  }

  // ---------------------------------------------------------------- shows
  absl::StatusOr<Read> read = ReadFleet(etcd_, what == "show hosts" || what == "show errors");
  if (!read.ok()) return run.Fail(read.status());
  const fleet::FleetState& st = read->state;
  if (what == "show tenants") {
    fleet::v1::TenantList list;
    for (const std::string& n : Sorted(st.tenants())) *list.add_tenants() = st.tenants().at(n);
    if (json_) {
      printer.Json(list);
    } else {
      shell::TextTable table({{"NAME"}});
      for (const fleet::v1::Tenant& t : list.tenants()) table.AddRow({t.name()});
      table.Render(out_);
    }
    return shell::kExitOk;
  }
  if (what == "show vnets") {
    vswitch::v1::ListVNetsResponse list;
    for (const std::string& n : Sorted(st.vnets())) {
      vswitch::v1::VNet* v = list.add_vnets();
      *v = st.vnets().at(n);
      for (const auto& [pa, pb] : st.peerings()) {
        if (pa == n) v->add_peers(pb);
        if (pb == n) v->add_peers(pa);
      }
      std::sort(v->mutable_peers()->begin(), v->mutable_peers()->end());
    }
    if (json_) {
      printer.Json(list);
    } else {
      shell::TextTable table({{"NAME"}, {"TENANT"}, {"VNI", true}, {"PREFIXES"}, {"PEERS"},
                              {"ARP-SUPPRESSION"}});
      for (const vswitch::v1::VNet& v : list.vnets()) {
        table.AddRow({v.name(), v.tenant(), absl::StrCat(v.vni()),
                      Dash(absl::StrJoin(v.prefixes(), ",")), Dash(absl::StrJoin(v.peers(), ",")),
                      v.arp_suppression_disabled() ? "off" : "on"});
      }
      table.Render(out_);
    }
    return shell::kExitOk;
  }
  if (what == "show vms") {
    fleet::v1::VmList list;
    for (const std::string& n : Sorted(st.vms())) {
      const fleet::v1::Vm& vm = st.vms().at(n);
      if ((a.Has("vnet") && vm.vnet() != a.Value("vnet")) ||
          (a.Has("host") && vm.host() != a.Value("host"))) {
        continue;
      }
      *list.add_vms() = vm;
    }
    if (json_) {
      printer.Json(list);
    } else {
      shell::TextTable table({{"NAME"}, {"VNET"}, {"HOST"}, {"MACS"}, {"IPS"}, {"DRIVER"}});
      for (const fleet::v1::Vm& vm : list.vms()) {
        table.AddRow({vm.name(), vm.vnet(), vm.host(), absl::StrJoin(vm.macs(), ","),
                      Dash(absl::StrJoin(vm.ips(), ",")), vm.driver()});
      }
      table.Render(out_);
    }
    return shell::kExitOk;
  }
  if (what == "show destinations") {
    vswitch::v1::ListMirrorDestinationsResponse list;
    for (const std::string& n : Sorted(st.destinations())) {
      *list.add_destinations() = st.destinations().at(n);
    }
    if (json_) printer.Json(list);
    else printer.PrintDestinations(list);
    return shell::kExitOk;
  }
  if (what == "show tap-sessions") {
    vswitch::v1::ListTapSessionsResponse list;
    for (const std::string& n : Sorted(st.taps())) *list.add_sessions() = st.taps().at(n);
    if (json_) printer.Json(list);
    else printer.PrintTapSessions(list);
    return shell::kExitOk;
  }
  if (what == "show hosts") {
    fleet::v1::HostList list;
    list.set_desired_revision(read->desired_revision);
    std::map<std::string, int> hosts;
    for (const auto& [h, ip] : st.host_vteps()) hosts[h];
    for (const auto& [h, s] : st.host_status()) hosts[h];
    for (const auto& [h, unused] : hosts) {
      fleet::v1::HostRow* row = list.add_hosts();
      row->set_host(h);
      auto vtep = st.host_vteps().find(h);
      auto status = st.host_status().find(h);
      if (vtep != st.host_vteps().end()) row->set_vtep(vtep->second);
      if (status != st.host_status().end()) {
        const fleet::v1::HostStatus& s = status->second;
        row->set_state(s.state());
        row->set_applied_revision(s.applied_revision());
        row->set_behind(std::max<int64_t>(0, read->desired_revision - s.applied_revision()));
        row->set_vms(s.vms());
        row->set_remote_ports(s.remote_ports());
        row->set_tap_sessions(s.tap_sessions());
        row->set_error(s.error());
      }
      if (vtep == st.host_vteps().end()) row->set_state("down");
    }
    if (json_) {
      printer.Json(list);
    } else {
      shell::TextTable table({{"HOST"}, {"VTEP"}, {"STATE"}, {"APPLIED-REV", true},
                              {"BEHIND", true}, {"VMS", true}, {"REMOTE-PORTS", true},
                              {"TAPS", true}, {"ERROR"}});
      for (const fleet::v1::HostRow& r : list.hosts()) {
        table.AddRow({r.host(), Dash(r.vtep()), Dash(r.state()), absl::StrCat(r.applied_revision()),
                      absl::StrCat(r.behind()), absl::StrCat(r.vms()),
                      absl::StrCat(r.remote_ports()), absl::StrCat(r.tap_sessions()),
                      Dash(r.error())});
      }
      table.Render(out_);
      out_ << "desired state at revision " << list.desired_revision() << "\n";
    }
    return shell::kExitOk;
  }
  if (what == "show errors") {
    fleet::v1::ErrorList list;
    for (const auto& [k, reason] : st.errors()) {
      fleet::v1::ErrorList::KeyError* e = list.add_errors();
      e->set_key(k);
      e->set_reason(reason);
    }
    if (absl::Status s = fleet::ValidateFleet(st); !s.ok()) {
      list.set_violation(std::string(s.message()));
    }
    if (json_) {
      printer.Json(list);
    } else {
      for (const auto& e : list.errors()) out_ << e.key() << ": " << e.reason() << "\n";
      if (!list.violation().empty()) out_ << list.violation() << "\n";
      if (list.errors_size() == 0 && list.violation().empty()) out_ << "no errors\n";
    }
    return shell::kExitOk;
  }
  err_ << "error: " << what << ": not implemented\n";
  return shell::kExitUsage;
}

}  // namespace vswitch::fleettool
