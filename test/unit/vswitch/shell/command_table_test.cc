// SPDX-License-Identifier: Apache-2.0
//
// The vsctl command table: parsing, request building and help. No RPC is
// made; requests are built with Command::build_request.
#include "vswitch/shell/command_table.h"

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "vswitch/api/vswitch.pb.h"
#include "vswitch/shell/commands.h"
#include "vswitch/shell/printer.h"

namespace vswitch::shell {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

using Words = std::vector<std::string>;

const CommandTable& Table() {
  static const auto* const kTable = new CommandTable(VSwitchCommands());
  return *kTable;
}

// Parses `words` and builds the command's request as `Request`. Fails the
// test if either step fails or the command sends another request type.
template <typename Request>
Request BuildRequest(const Words& words) {
  absl::StatusOr<Invocation> invocation = Table().Parse(words);
  EXPECT_TRUE(invocation.ok()) << invocation.status();
  if (!invocation.ok()) {
    return Request();
  }
  std::unique_ptr<google::protobuf::Message> message =
      invocation->command->build_request(invocation->args);
  const auto* request = google::protobuf::DynamicCastToGenerated<Request>(message.get());
  EXPECT_NE(request, nullptr) << "built a " << message->GetTypeName();
  return request == nullptr ? Request() : *request;
}

// The parse error message for `words`; "" (and a test failure) if it parsed.
std::string ParseError(const Words& words) {
  absl::StatusOr<Invocation> invocation = Table().Parse(words);
  EXPECT_FALSE(invocation.ok());
  EXPECT_EQ(invocation.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(invocation.status().message());
}

// `words` followed by `args`.
Words Concat(Words words, const Words& args) {
  words.insert(words.end(), args.begin(), args.end());
  return words;
}

TEST(CommandTableTest, AddVNetBuildsCreateVNetRequest) {
  v1::CreateVNetRequest request =
      BuildRequest<v1::CreateVNetRequest>({"add", "vnet", "blue", "tenant", "acme", "vni", "100",
                                           "prefix", "10.1.0.0/24", "prefix", "10.2.0.0/24"});
  EXPECT_EQ(request.vnet().name(), "blue");
  EXPECT_EQ(request.vnet().tenant(), "acme");
  EXPECT_EQ(request.vnet().vni(), 100u);
  EXPECT_THAT(request.vnet().prefixes(), ::testing::ElementsAre("10.1.0.0/24", "10.2.0.0/24"));
}

TEST(CommandTableTest, AddVNetArpSuppressionOffSetsDisabled) {
  Words add = {"add", "vnet", "blue", "tenant", "acme", "vni", "100"};
  EXPECT_FALSE(BuildRequest<v1::CreateVNetRequest>(add).vnet().arp_suppression_disabled());
  EXPECT_FALSE(BuildRequest<v1::CreateVNetRequest>(Concat(add, {"arp-suppression", "on"}))
                   .vnet()
                   .arp_suppression_disabled());
  EXPECT_TRUE(BuildRequest<v1::CreateVNetRequest>(Concat(add, {"arp-suppression", "off"}))
                  .vnet()
                  .arp_suppression_disabled());
  EXPECT_THAT(ParseError(Concat(add, {"arp-suppression", "no"})),
              HasSubstr("arp-suppression: \"no\" is not one of on, off"));
}

TEST(CommandTableTest, AddRemotePortBuildsEveryAddressInOrder) {
  v1::AddRemotePortRequest request = BuildRequest<v1::AddRemotePortRequest>(
      {"add", "remote-port", "blue", "02:00:00:00:10:01", "ip", "10.1.0.21", "vtep", "192.0.2.20",
       "ip", "10.1.0.22"});
  EXPECT_EQ(request.port().vnet(), "blue");
  EXPECT_EQ(request.port().mac(), "02:00:00:00:10:01");
  EXPECT_EQ(request.port().vtep(), "192.0.2.20");
  EXPECT_THAT(request.port().ips(), ::testing::ElementsAre("10.1.0.21", "10.1.0.22"));
  EXPECT_THAT(BuildRequest<v1::AddRemotePortRequest>(
                  {"add", "remote-port", "blue", "02:00:00:00:10:01", "vtep", "192.0.2.20"})
                  .port()
                  .ips(),
              ::testing::IsEmpty());
}

TEST(CommandTableTest, AddRemotePortNeedsAVtep) {
  EXPECT_THAT(ParseError({"add", "remote-port", "blue", "02:00:00:00:10:01", "ip", "10.1.0.21"}),
              HasSubstr("missing \"vtep IP\""));
  EXPECT_THAT(ParseError({"add", "remote-port", "blue"}), HasSubstr("missing MAC"));
  EXPECT_THAT(ParseError({"add", "remote-port", "blue", "02:00:00:00:10:01", "vtep", "192.0.2.20",
                          "vtep", "192.0.2.21"}),
              HasSubstr("\"vtep\" given twice"));
}

TEST(CommandTableTest, DelAndShowRemotePortsBuildTheirRequests) {
  v1::RemoveRemotePortRequest del = BuildRequest<v1::RemoveRemotePortRequest>(
      {"del", "remote-port", "blue", "02:00:00:00:10:01"});
  EXPECT_EQ(del.vnet(), "blue");
  EXPECT_EQ(del.mac(), "02:00:00:00:10:01");
  EXPECT_EQ(BuildRequest<v1::ListRemotePortsRequest>({"show", "remote-ports"}).vnet(), "");
  EXPECT_EQ(BuildRequest<v1::ListRemotePortsRequest>({"show", "remote-ports", "blue"}).vnet(),
            "blue");
  BuildRequest<v1::GetStatsRequest>({"show", "vteps"});
  EXPECT_THAT(ParseError({"del", "remote-port", "blue"}), HasSubstr("missing MAC"));
}

// `load remote-ports FILE` is its own command, though `load FILE` is complete
// after one word.
TEST(CommandTableTest, LoadRemotePortsIsNotLoadOfAFileNamedRemotePorts) {
  absl::StatusOr<Invocation> ports = Table().Parse(Words{"load", "remote-ports", "rp.txt"});
  ASSERT_TRUE(ports.ok()) << ports.status();
  EXPECT_EQ(ports->command->rpc, "ReplaceRemotePorts");
  EXPECT_EQ(ports->args.Value("FILE"), "rp.txt");
  absl::StatusOr<Invocation> config = Table().Parse(Words{"load", "vswitch.conf"});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->command->rpc, "ApplyConfig");
  EXPECT_THAT(ParseError({"load", "remote-ports"}), HasSubstr("load remote-ports: missing FILE"));
}

TEST(CommandTableTest, LoadRemotePortsBuildsOneReplaceFromTheFile) {
  std::string path = ::testing::TempDir() + "/remote-ports-build.txt";
  {
    std::ofstream file(path);
    file << "# vnet mac vtep ips\n"
            "blue 02:00:00:00:10:01 192.0.2.20 10.1.0.21 10.1.0.22\n"
            "\n"
            "red  02:00:00:00:20:01 192.0.2.30   # no ips\n"
            "blue\t02:00:00:00:10:02\t192.0.2.30\n";
  }
  v1::ReplaceRemotePortsRequest all =
      BuildRequest<v1::ReplaceRemotePortsRequest>({"load", "remote-ports", path});
  EXPECT_EQ(all.vnet(), "");
  ASSERT_EQ(all.ports_size(), 3);
  EXPECT_EQ(all.ports(0).vnet(), "blue");
  EXPECT_EQ(all.ports(0).mac(), "02:00:00:00:10:01");
  EXPECT_EQ(all.ports(0).vtep(), "192.0.2.20");
  EXPECT_THAT(all.ports(0).ips(), ::testing::ElementsAre("10.1.0.21", "10.1.0.22"));
  EXPECT_EQ(all.ports(1).vnet(), "red");
  EXPECT_THAT(all.ports(1).ips(), ::testing::IsEmpty());
  EXPECT_EQ(all.ports(2).mac(), "02:00:00:00:10:02");

  v1::ReplaceRemotePortsRequest blue =
      BuildRequest<v1::ReplaceRemotePortsRequest>({"load", "remote-ports", path, "vnet", "blue"});
  EXPECT_EQ(blue.vnet(), "blue");
  ASSERT_EQ(blue.ports_size(), 2);
  EXPECT_EQ(blue.ports(1).mac(), "02:00:00:00:10:02");
  std::remove(path.c_str());
}

TEST(CommandTableTest, KeywordsMayComeInAnyOrder) {
  v1::CreateVNetRequest request =
      BuildRequest<v1::CreateVNetRequest>({"add", "vnet", "blue", "vni", "7", "tenant", "acme"});
  EXPECT_EQ(request.vnet().tenant(), "acme");
  EXPECT_EQ(request.vnet().vni(), 7u);
}

TEST(CommandTableTest, AddVPortBuildsVmVPort) {
  v1::AddVPortRequest request = BuildRequest<v1::AddVPortRequest>(
      {"add", "vport", "vm1", "vnet", "blue", "driver", "tap:iface=vm1", "mac", "02:00:00:00:00:01",
       "mac", "02:00:00:00:00:02", "queues", "4", "admin", "down"});
  const v1::VPort& vport = request.vport();
  EXPECT_EQ(vport.name(), "vm1");
  EXPECT_EQ(vport.kind(), v1::VPORT_KIND_VM);
  EXPECT_EQ(vport.vnet(), "blue");
  EXPECT_EQ(vport.driver(), "tap:iface=vm1");
  EXPECT_THAT(vport.vm_macs(), ::testing::ElementsAre("02:00:00:00:00:01", "02:00:00:00:00:02"));
  EXPECT_EQ(vport.queues(), 4u);
  EXPECT_EQ(vport.admin_state(), v1::ADMIN_STATE_DOWN);
  EXPECT_FALSE(vport.has_uplink());
}

TEST(CommandTableTest, AddVPortTakesAddressesAndPortSecurity) {
  v1::AddVPortRequest request = BuildRequest<v1::AddVPortRequest>(
      {"add", "vport", "vm1", "vnet", "blue", "driver", "null", "mac", "02:00:00:00:00:01", "ip",
       "10.1.0.5", "ip", "10.1.0.6", "port-security", "off"});
  EXPECT_THAT(request.vport().ips(), ::testing::ElementsAre("10.1.0.5", "10.1.0.6"));
  EXPECT_TRUE(request.vport().port_security_disabled());
  EXPECT_FALSE(BuildRequest<v1::AddVPortRequest>({"add", "vport", "vm1", "vnet", "blue", "driver",
                                                  "null", "port-security", "on"})
                   .vport()
                   .port_security_disabled());
}

TEST(CommandTableTest, AddVPortLeavesDefaultsToTheDaemon) {
  v1::AddVPortRequest request =
      BuildRequest<v1::AddVPortRequest>({"add", "vport", "vm1", "vnet", "blue", "driver", "null"});
  EXPECT_EQ(request.vport().queues(), 0u);
  EXPECT_EQ(request.vport().admin_state(), v1::ADMIN_STATE_UNSPECIFIED);
}

TEST(CommandTableTest, AddUplinkBuildsUplinkConfig) {
  v1::AddVPortRequest request = BuildRequest<v1::AddVPortRequest>(
      {"add", "uplink", "up0", "driver", "af_packet:iface=eth0", "ip", "192.0.2.10/24", "gateway",
       "192.0.2.1", "mtu", "9000"});
  EXPECT_EQ(request.vport().kind(), v1::VPORT_KIND_UPLINK);
  EXPECT_EQ(request.vport().vnet(), "");
  EXPECT_EQ(request.vport().uplink().ip_cidr(), "192.0.2.10/24");
  EXPECT_EQ(request.vport().uplink().gateway(), "192.0.2.1");
  EXPECT_EQ(request.vport().uplink().mtu(), 9000u);
}

TEST(CommandTableTest, SetVPortAdminBuildsAdminState) {
  EXPECT_EQ(BuildRequest<v1::SetVPortAdminStateRequest>({"set", "vport", "vm1", "admin", "up"})
                .admin_state(),
            v1::ADMIN_STATE_UP);
  EXPECT_EQ(BuildRequest<v1::SetVPortAdminStateRequest>({"set", "vport", "vm1", "admin", "down"})
                .admin_state(),
            v1::ADMIN_STATE_DOWN);
}

TEST(CommandTableTest, PeerVNetBuildsBothNames) {
  v1::PeerVNetsRequest request = BuildRequest<v1::PeerVNetsRequest>({"peer", "vnet", "a", "b"});
  EXPECT_EQ(request.vnet_a(), "a");
  EXPECT_EQ(request.vnet_b(), "b");
}

TEST(CommandTableTest, AddFdbBuildsEntry) {
  v1::AddFdbEntryRequest request =
      BuildRequest<v1::AddFdbEntryRequest>({"add", "fdb", "blue", "02:00:00:00:00:05", "vm1"});
  EXPECT_EQ(request.entry().vnet(), "blue");
  EXPECT_EQ(request.entry().mac(), "02:00:00:00:00:05");
  EXPECT_EQ(request.entry().vport(), "vm1");
}

TEST(CommandTableTest, FlushFdbTakesOptionalVNetAndStaticFlag) {
  v1::FlushFdbRequest all = BuildRequest<v1::FlushFdbRequest>({"flush", "fdb"});
  EXPECT_EQ(all.vnet(), "");
  EXPECT_FALSE(all.include_static());

  // "static" is the flag, not a VNet name, where the VNet may be omitted.
  v1::FlushFdbRequest all_static = BuildRequest<v1::FlushFdbRequest>({"flush", "fdb", "static"});
  EXPECT_EQ(all_static.vnet(), "");
  EXPECT_TRUE(all_static.include_static());

  v1::FlushFdbRequest one = BuildRequest<v1::FlushFdbRequest>({"flush", "fdb", "blue", "static"});
  EXPECT_EQ(one.vnet(), "blue");
  EXPECT_TRUE(one.include_static());
}

TEST(CommandTableTest, ShowFdbTakesOptionalVNet) {
  EXPECT_EQ(BuildRequest<v1::ListFdbRequest>({"show", "fdb"}).vnet(), "");
  EXPECT_EQ(BuildRequest<v1::ListFdbRequest>({"show", "fdb", "blue"}).vnet(), "blue");
}

TEST(CommandTableTest, AddDestinationKeepsEveryCollectorInOrder) {
  v1::CreateMirrorDestinationRequest request = BuildRequest<v1::CreateMirrorDestinationRequest>(
      {"add", "destination", "col", "vnet", "blue", "vni", "5000", "collector", "192.0.2.50",
       "port", "4790", "collector", "192.0.2.51", "collector", "192.0.2.52"});
  const v1::MirrorDestination& destination = request.destination();
  EXPECT_EQ(destination.name(), "col");
  EXPECT_EQ(destination.vnet(), "blue");
  EXPECT_EQ(destination.vni(), 5000u);
  EXPECT_EQ(destination.udp_port(), 4790u);
  EXPECT_THAT(destination.collectors(),
              ::testing::ElementsAre("192.0.2.50", "192.0.2.51", "192.0.2.52"));
}

TEST(CommandTableTest, AddDestinationLeavesPortToTheDaemon) {
  v1::CreateMirrorDestinationRequest request = BuildRequest<v1::CreateMirrorDestinationRequest>(
      {"add", "destination", "col", "vnet", "blue", "vni", "1", "collector", "192.0.2.50"});
  EXPECT_EQ(request.destination().udp_port(), 0u);
  EXPECT_THAT(request.destination().collectors(), ::testing::ElementsAre("192.0.2.50"));
}

// Collectors or a pcapng file: the daemon checks that exactly one is given.
TEST(CommandTableTest, AddDestinationWithPcapngFileBuildsIt) {
  v1::CreateMirrorDestinationRequest request = BuildRequest<v1::CreateMirrorDestinationRequest>(
      {"add", "destination", "cap", "vnet", "blue", "pcapng", "vm1.pcapng", "rotate", "1048576"});
  EXPECT_TRUE(request.destination().has_pcapng());
  EXPECT_EQ(request.destination().pcapng().file(), "vm1.pcapng");
  EXPECT_EQ(request.destination().pcapng().rotate_bytes(), 1048576u);
  EXPECT_EQ(request.destination().vni(), 0u);
  EXPECT_THAT(request.destination().collectors(), ::testing::IsEmpty());
  EXPECT_FALSE(BuildRequest<v1::CreateMirrorDestinationRequest>(
                   {"add", "destination", "col", "vnet", "blue", "vni", "1", "collector", "1.2.3.4"})
                   .destination()
                   .has_pcapng());
}

TEST(CommandTableTest, DelAndShowMirrorObjectsBuildTheirRequests) {
  EXPECT_EQ(BuildRequest<v1::DeleteMirrorDestinationRequest>({"del", "destination", "col"}).name(),
            "col");
  EXPECT_EQ(BuildRequest<v1::DeleteTapSessionRequest>({"del", "tap-session", "s1"}).name(), "s1");
  BuildRequest<v1::ListMirrorDestinationsRequest>({"show", "destinations"});
  BuildRequest<v1::ListTapSessionsRequest>({"show", "tap-sessions"});
  BuildRequest<v1::ListNeighborsRequest>({"show", "neighbors"});
  BuildRequest<v1::GetStatsRequest>({"show", "tap-stats"});
}

// `add tap-session` or `set tap-session` followed by every argument once or
// more, repeated keywords interleaved on purpose.
Words FullTapSession(const std::string& verb) {
  Words words = {verb, "tap-session", "s1"};
  for (const Words& group : {
           Words{"source", "vm1", "destination", "col-a"},
           Words{"source", "vm2", "destination", "col-b"},
           Words{"direction", "tx", "truncate", "128", "rate", "5000000000"},
           Words{"rule", "prio=10,action=accept,proto=udp,dport=443"},
           Words{"rule", "prio=20,action=reject,src=10.0.0.0/8,sport=1000-2000,dir=rx"},
           Words{"disabled"},
       }) {
    words.insert(words.end(), group.begin(), group.end());
  }
  return words;
}

// What FullTapSession() must become, whether created or updated.
void ExpectFullTapSession(const v1::TapSession& session) {
  EXPECT_EQ(session.name(), "s1");
  EXPECT_THAT(session.sources(), ::testing::ElementsAre("vm1", "vm2"));
  EXPECT_THAT(session.destinations(), ::testing::ElementsAre("col-a", "col-b"));
  EXPECT_EQ(session.direction(), v1::TAP_DIRECTION_TX);
  EXPECT_EQ(session.truncate_bytes(), 128u);
  EXPECT_EQ(session.rate_limit_pps(), 5000000000u);  // Needs all 64 bits.
  EXPECT_TRUE(session.disabled());
  ASSERT_EQ(session.rules_size(), 2);
  const v1::TapRule& first = session.rules(0);
  EXPECT_EQ(first.priority(), 10u);
  EXPECT_EQ(first.action(), v1::TAP_ACTION_ACCEPT);
  EXPECT_EQ(first.protocol(), 17u);
  EXPECT_EQ(first.dst_ports().first(), 443u);
  EXPECT_EQ(first.dst_ports().last(), 443u);
  const v1::TapRule& second = session.rules(1);
  EXPECT_EQ(second.priority(), 20u);
  EXPECT_EQ(second.action(), v1::TAP_ACTION_REJECT);
  EXPECT_EQ(second.src_cidr(), "10.0.0.0/8");
  EXPECT_EQ(second.src_ports().first(), 1000u);
  EXPECT_EQ(second.src_ports().last(), 2000u);
  EXPECT_EQ(second.direction(), v1::TAP_DIRECTION_RX);
}

TEST(CommandTableTest, AddTapSessionBuildsEveryField) {
  ExpectFullTapSession(BuildRequest<v1::CreateTapSessionRequest>(FullTapSession("add")).session());
}

TEST(CommandTableTest, SetTapSessionBuildsTheWholeSession) {
  ExpectFullTapSession(BuildRequest<v1::UpdateTapSessionRequest>(FullTapSession("set")).session());
}

// `set` replaces the session: what is not given is sent as the default, so
// a session that was disabled, limited or filtered is no longer.
TEST(CommandTableTest, SetTapSessionSendsDefaultsForWhatIsNotGiven) {
  v1::UpdateTapSessionRequest request = BuildRequest<v1::UpdateTapSessionRequest>(
      {"set", "tap-session", "s1", "source", "vm1", "destination", "col-a"});
  const v1::TapSession& session = request.session();
  EXPECT_EQ(session.name(), "s1");
  EXPECT_THAT(session.sources(), ::testing::ElementsAre("vm1"));
  EXPECT_THAT(session.destinations(), ::testing::ElementsAre("col-a"));
  EXPECT_EQ(session.direction(), v1::TAP_DIRECTION_UNSPECIFIED);
  EXPECT_EQ(session.truncate_bytes(), 0u);
  EXPECT_EQ(session.rate_limit_pps(), 0u);
  EXPECT_EQ(session.rules_size(), 0);
  EXPECT_FALSE(session.disabled());
}

TEST(CommandTableTest, TapSessionDirectionWords) {
  for (const auto& [word, direction] :
       {std::pair{"rx", v1::TAP_DIRECTION_RX}, std::pair{"tx", v1::TAP_DIRECTION_TX},
        std::pair{"both", v1::TAP_DIRECTION_BOTH}}) {
    EXPECT_EQ(
        BuildRequest<v1::CreateTapSessionRequest>(
            {"add", "tap-session", "s1", "source", "vm1", "destination", "d", "direction", word})
            .session()
            .direction(),
        direction);
  }
  EXPECT_THAT(ParseError({"add", "tap-session", "s1", "source", "vm1", "destination", "d",
                          "direction", "in"}),
              HasSubstr("direction: \"in\" is not one of rx, tx, both"));
}

TEST(CommandTableTest, TapSessionNeedsASourceAndADestination) {
  EXPECT_THAT(ParseError({"add", "tap-session", "s1", "destination", "d"}),
              HasSubstr("missing \"source VPORT\""));
  EXPECT_THAT(ParseError({"set", "tap-session", "s1", "source", "vm1"}),
              HasSubstr("missing \"destination DEST\""));
}

TEST(CommandTableTest, BadRuleNamesKeyAndValue) {
  Words command = {"add", "tap-session", "s1", "source", "vm1", "destination", "d", "rule"};
  EXPECT_THAT(ParseError(Concat(command, {"prio=10,proto=udp,dport=44x"})),
              AllOf(StartsWith("add tap-session: rule: \"prio=10,proto=udp,dport=44x\": "),
                    HasSubstr("dport: \"44x\" is not N or A-B")));
  EXPECT_THAT(ParseError(Concat(command, {"prio=10,port=443"})), HasSubstr("unknown key \"port\""));
  EXPECT_THAT(ParseError(Concat(command, {"proto=udp"})), HasSubstr("missing prio=N"));
}

TEST(CommandTableTest, BadRuleIsAUsageErrorWithExitCode2) {
  Client client("/nonexistent/vsctl-test.sock");  // Never dialled: the parse fails first.
  std::ostringstream out, err;
  Printer printer(out, err, /*json=*/false);
  EXPECT_EQ(Table().Execute(Words{"add", "tap-session", "s1", "source", "vm1", "destination", "d",
                                  "rule", "prio=1,colour=red"},
                            client, printer),
            kExitUsage);
  EXPECT_THAT(err.str(), AllOf(StartsWith("error: add tap-session: rule: "),
                               HasSubstr("unknown key \"colour\"")));
  EXPECT_EQ(out.str(), "");
}

TEST(CommandTableTest, RateTakesAnUnsigned64BitInteger) {
  EXPECT_EQ(BuildRequest<v1::CreateTapSessionRequest>({"add", "tap-session", "s1", "source", "vm1",
                                                       "destination", "d", "rate",
                                                       "18446744073709551615"})
                .session()
                .rate_limit_pps(),
            18446744073709551615u);
  EXPECT_THAT(ParseError({"add", "tap-session", "s1", "source", "vm1", "destination", "d", "rate",
                          "18446744073709551616"}),
              HasSubstr("rate: \"18446744073709551616\" is not an unsigned 64-bit integer"));
}

TEST(CommandTableTest, NeighborCommandsBuildIpAndMac) {
  v1::SetNeighborRequest set = BuildRequest<v1::SetNeighborRequest>(
      {"set", "neighbor", "192.0.2.1", "mac", "52:54:00:aa:bb:cc"});
  EXPECT_EQ(set.neighbor().ip(), "192.0.2.1");
  EXPECT_EQ(set.neighbor().mac(), "52:54:00:aa:bb:cc");
  EXPECT_EQ(set.neighbor().state(), "");
  EXPECT_EQ(BuildRequest<v1::DeleteNeighborRequest>({"del", "neighbor", "192.0.2.1"}).ip(),
            "192.0.2.1");
  EXPECT_THAT(ParseError({"set", "neighbor", "192.0.2.1"}), HasSubstr("missing \"mac MAC\""));
}

// The argument of `command_words` named `name`; fails the test if absent.
const ArgSpec* FindArg(const Words& command_words, const std::string& name) {
  for (const Command& command : Table().commands()) {
    if (command.words == command_words) {
      for (const ArgSpec& spec : command.args) {
        if (spec.name == name) {
          return &spec;
        }
      }
    }
  }
  ADD_FAILURE() << "no argument " << name;
  return nullptr;
}

// What a completer will offer: the live names of existing objects.
TEST(CommandTableTest, MirrorArgumentsNameTheirObjectTypes) {
  struct Case {
    Words words;
    std::string arg;
    ValueType type;
  };
  for (const Case& c : std::vector<Case>{
           {{"add", "destination"}, "vnet", ValueType::kVNetName},
           {{"del", "destination"}, "NAME", ValueType::kDestinationName},
           {{"add", "tap-session"}, "NAME", ValueType::kText},
           {{"add", "tap-session"}, "source", ValueType::kVPortName},
           {{"add", "tap-session"}, "destination", ValueType::kDestinationName},
           {{"add", "tap-session"}, "rule", ValueType::kTapRule},
           {{"set", "tap-session"}, "NAME", ValueType::kSessionName},
           {{"set", "tap-session"}, "destination", ValueType::kDestinationName},
           {{"del", "tap-session"}, "NAME", ValueType::kSessionName},
           {{"set", "neighbor"}, "mac", ValueType::kMac},
           {{"add", "remote-port"}, "VNET", ValueType::kVNetName},
           {{"add", "remote-port"}, "MAC", ValueType::kMac},
           {{"del", "remote-port"}, "VNET", ValueType::kVNetName},
           {{"show", "remote-ports"}, "VNET", ValueType::kVNetName},
           {{"load", "remote-ports"}, "FILE", ValueType::kFilePath},
           {{"load", "remote-ports"}, "vnet", ValueType::kVNetName},
       }) {
    const ArgSpec* spec = FindArg(c.words, c.arg);
    ASSERT_NE(spec, nullptr);
    EXPECT_EQ(spec->type, c.type) << c.words[0] << " " << c.words[1] << " " << c.arg;
  }
}

TEST(CommandTableTest, UnknownVerbIsNamed) {
  EXPECT_THAT(ParseError({"frob", "vnet"}), HasSubstr("unknown command \"frob\""));
}

TEST(CommandTableTest, UnknownObjectIsNamedWithTheAlternatives) {
  EXPECT_THAT(ParseError({"add", "vnett", "x"}),
              AllOf(HasSubstr("\"vnett\""), HasSubstr("vnet, vport, uplink, fdb")));
}

TEST(CommandTableTest, VerbAloneIsIncomplete) {
  EXPECT_THAT(ParseError({"show"}), HasSubstr("incomplete command \"show\""));
}

TEST(CommandTableTest, EmptyCommandLineIsAnError) {
  EXPECT_THAT(ParseError({}), HasSubstr("no command"));
}

TEST(CommandTableTest, MissingValueForKeywordIsNamed) {
  EXPECT_THAT(ParseError({"add", "vnet", "blue", "tenant", "acme", "vni"}),
              AllOf(StartsWith("add vnet: "), HasSubstr("missing value for \"vni\"")));
}

TEST(CommandTableTest, MissingRequiredKeywordIsNamed) {
  EXPECT_THAT(ParseError({"add", "vnet", "blue", "tenant", "acme"}),
              HasSubstr("missing \"vni N\""));
}

TEST(CommandTableTest, MissingPositionalIsNamed) {
  EXPECT_THAT(ParseError({"del", "vnet"}), HasSubstr("missing NAME"));
}

TEST(CommandTableTest, BadIntegerNamesKeywordAndValue) {
  for (const char* bad : {"abc", "-1", "+1", "1x", "0x10", "4294967296", ""}) {
    EXPECT_THAT(ParseError({"add", "vnet", "blue", "tenant", "acme", "vni", bad}),
                HasSubstr(std::string("vni: \"") + bad + "\" is not an unsigned 32-bit integer"));
  }
}

TEST(CommandTableTest, LargestUint32Parses) {
  EXPECT_EQ(BuildRequest<v1::CreateVNetRequest>(
                {"add", "vnet", "blue", "tenant", "acme", "vni", "4294967295"})
                .vnet()
                .vni(),
            4294967295u);
}

TEST(CommandTableTest, AdminMustBeUpOrDown) {
  EXPECT_THAT(ParseError({"set", "vport", "vm1", "admin", "sideways"}),
              HasSubstr("admin: \"sideways\" is not one of up, down"));
}

TEST(CommandTableTest, NonRepeatableKeywordGivenTwiceIsNamed) {
  EXPECT_THAT(ParseError({"add", "vnet", "b", "tenant", "t", "vni", "1", "vni", "2"}),
              HasSubstr("\"vni\" given twice"));
}

TEST(CommandTableTest, UnexpectedWordIsNamed) {
  EXPECT_THAT(ParseError({"show", "vnets", "extra"}), HasSubstr("unexpected word \"extra\""));
}

TEST(CommandTableTest, OptionAfterCommandSaysWhereOptionsGo) {
  EXPECT_THAT(ParseError({"show", "vnets", "--json"}), HasSubstr("go before the command"));
}

TEST(CommandTableTest, ErrorsAreOneLine) {
  for (const Words& words :
       {Words{"frob"}, Words{"add"}, Words{"add", "vnet"}, Words{"add", "vnet", "b", "vni", "x"},
        Words{"show", "fdb", "a", "b"}}) {
    EXPECT_THAT(ParseError(words), Not(HasSubstr("\n")));
  }
}

TEST(CommandTableTest, HelpForOneCommandPrintsItsSynopsisAndRpc) {
  std::ostringstream out, err;
  EXPECT_EQ(Table().PrintHelp(Words{"add", "vnet"}, out, err), kExitOk);
  EXPECT_THAT(out.str(), AllOf(StartsWith("usage: add vnet NAME tenant TENANT vni N "
                                          "[prefix CIDR]... [arp-suppression on|off]\n"),
                               HasSubstr("RPC: CreateVNet")));
  EXPECT_EQ(err.str(), "");
}

TEST(CommandTableTest, HelpForACommandThatBeginsAnotherNamesBoth) {
  std::ostringstream out, err;
  EXPECT_EQ(Table().PrintHelp(Words{"load"}, out, err), kExitOk);
  EXPECT_THAT(out.str(), AllOf(StartsWith("usage: load FILE\n"), HasSubstr("RPC: ApplyConfig\n"),
                               HasSubstr("See also:\n  load remote-ports FILE [vnet VNET]\n")));
  std::ostringstream out2;
  EXPECT_EQ(Table().PrintHelp(Words{"load", "remote-ports"}, out2, err), kExitOk);
  EXPECT_THAT(out2.str(), AllOf(StartsWith("usage: load remote-ports FILE [vnet VNET]\n"),
                                HasSubstr("RPC: ReplaceRemotePorts\n"), Not(HasSubstr("See also"))));
}

TEST(CommandTableTest, HelpForAVerbListsItsCommands) {
  std::ostringstream out, err;
  EXPECT_EQ(Table().PrintHelp(Words{"flush"}, out, err), kExitOk);
  EXPECT_THAT(out.str(), HasSubstr("flush fdb [VNET] [static]"));
  EXPECT_THAT(out.str(), Not(HasSubstr("show")));
}

TEST(CommandTableTest, HelpForUnknownCommandIsAUsageError) {
  std::ostringstream out, err;
  EXPECT_EQ(Table().PrintHelp(Words{"frob"}, out, err), kExitUsage);
  EXPECT_THAT(err.str(), HasSubstr("\"frob\""));
}

TEST(CommandTableTest, ExecuteReportsParseErrorsWithExitCode2) {
  Client client("/nonexistent/vsctl-test.sock");  // Never dialled: the parse fails first.
  std::ostringstream out, err;
  Printer printer(out, err, /*json=*/false);
  EXPECT_EQ(Table().Execute(Words{"add", "vnet"}, client, printer), kExitUsage);
  EXPECT_THAT(err.str(), StartsWith("error: add vnet: missing NAME"));
  EXPECT_EQ(out.str(), "");
}

TEST(CommandTableTest, SynopsesMatchTheDocumentedSyntax) {
  std::vector<std::string> synopses;
  for (const Command& command : Table().commands()) {
    synopses.push_back(Synopsis(command));
  }
  EXPECT_THAT(
      synopses,
      ::testing::IsSupersetOf(
          {"add vport NAME vnet VNET driver SPEC [mac MAC]... [ip IP]... [queues N] [admin "
           "up|down] "
           "[port-security on|off]",
           "add uplink NAME driver SPEC ip CIDR [gateway IP] [mtu N]",
           "set vport NAME admin up|down", "add fdb VNET MAC VPORT", "flush fdb [VNET] [static]",
           "add destination NAME vnet VNET [vni N] [collector IP]... [port N] [mark] [in-vnet] [pcapng FILE] "
           "[rotate BYTES]",
           "del destination NAME", "show destinations",
           "add tap-session NAME source VPORT [source VPORT]... destination DEST "
           "[destination DEST]... [direction rx|tx|both] [truncate N] [rate PPS] [rule SPEC]... "
           "[disabled]",
           "set tap-session NAME source VPORT [source VPORT]... destination DEST "
           "[destination DEST]... [direction rx|tx|both] [truncate N] [rate PPS] [rule SPEC]... "
           "[disabled]",
           "del tap-session NAME", "show tap-sessions", "set neighbor IP mac MAC",
           "del neighbor IP", "show neighbors", "show tap-stats", "save FILE", "load FILE"}));
  EXPECT_THAT(synopses,
              ::testing::IsSupersetOf({
                  "add vnet NAME tenant TENANT vni N [prefix CIDR]... [arp-suppression on|off]",
                  "add remote-port VNET MAC vtep IP [ip A]...",
                  "del remote-port VNET MAC",
                  "show remote-ports [VNET]",
                  "show vteps",
                  "load remote-ports FILE [vnet VNET]",
              }));
}

// Every command names a real RPC of vswitch.v1.VSwitch with the request and
// reply types its handler uses, and no two commands share their words.
TEST(CommandTableTest, EveryCommandIsOneRpcOfTheService) {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName("vswitch.v1.VSwitch");
  ASSERT_NE(service, nullptr);
  std::vector<std::vector<std::string>> seen;
  for (const Command& command : Table().commands()) {
    SCOPED_TRACE(Synopsis(command));
    const google::protobuf::MethodDescriptor* method = service->FindMethodByName(command.rpc);
    ASSERT_NE(method, nullptr);
    EXPECT_EQ(method->input_type(), command.request_type);
    EXPECT_EQ(method->output_type(), command.response_type);
    EXPECT_FALSE(command.help.empty());
    EXPECT_THAT(seen, Not(::testing::Contains(command.words)));
    seen.push_back(command.words);
  }
}

TEST(PrinterTest, RpcErrorIsCodeNameAndMessageWithExitCode1) {
  std::ostringstream out, err;
  Printer printer(out, err, /*json=*/false);
  EXPECT_EQ(printer.RpcError(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "vnet.vni: 0")),
            kExitRpcError);
  EXPECT_EQ(err.str(), "error: INVALID_ARGUMENT: vnet.vni: 0\n");
  EXPECT_EQ(out.str(), "");
}

TEST(PrinterTest, TablesAlignColumns) {
  v1::ListVNetsResponse reply;
  v1::VNet* blue = reply.add_vnets();
  blue->set_id(1);
  blue->set_name("blue");
  blue->set_tenant("acme");
  blue->set_vni(100);
  blue->add_prefixes("10.1.0.0/24");
  blue->add_prefixes("10.2.0.0/24");
  v1::VNet* red = reply.add_vnets();
  red->set_id(2);
  red->set_name("red");
  red->set_tenant("acme");
  red->set_vni(7);
  red->set_arp_suppression_disabled(true);
  std::ostringstream out, err;
  Printer printer(out, err, /*json=*/false);
  printer.PrintVNets(reply);
  EXPECT_EQ(out.str(),
            "ID  NAME  TENANT  VNI  PREFIXES                 PEERS  ARP-SUPPRESSION\n"
            " 1  blue  acme    100  10.1.0.0/24,10.2.0.0/24  -      on\n"
            " 2  red   acme      7  -                        -      off\n");
}

TEST(PrinterTest, RemotePortsShowDashForNoAddresses) {
  v1::ListRemotePortsResponse reply;
  v1::RemotePort* a = reply.add_ports();
  a->set_vnet("blue");
  a->set_mac("02:00:00:00:10:01");
  a->add_ips("10.1.0.21");
  a->add_ips("10.1.0.22");
  a->set_vtep("192.0.2.20");
  v1::RemotePort* b = reply.add_ports();
  b->set_vnet("red");
  b->set_mac("02:00:00:00:10:02");
  b->set_vtep("192.0.2.3");
  std::ostringstream out, err;
  Printer printer(out, err, /*json=*/false);
  printer.PrintRemotePorts(reply);
  EXPECT_EQ(out.str(),
            "VNET  MAC                IPS                  VTEP\n"
            "blue  02:00:00:00:10:01  10.1.0.21,10.1.0.22  192.0.2.20\n"
            "red   02:00:00:00:10:02  -                    192.0.2.3\n");
}

v1::Stats StatsWithVteps() {
  v1::Stats stats;
  v1::VtepStats* a = stats.add_vteps();
  a->set_ip("192.0.2.20");
  a->set_remote_ports(3);
  a->set_state("RESOLVED");
  a->set_rx_packets(10);
  a->set_rx_bytes(1000);
  a->set_tx_packets(12);
  a->set_tx_bytes(1800);
  a->set_replicated(2);
  v1::VtepStats* b = stats.add_vteps();
  b->set_ip("192.0.2.30");
  b->set_remote_ports(1);
  b->set_state("INCOMPLETE");
  return stats;
}

constexpr char kVtepTable[] =
    "IP          PORTS  STATE       RX-PKTS  RX-BYTES  TX-PKTS  TX-BYTES  REPLICATED\n"
    "192.0.2.20      3  RESOLVED         10      1000       12      1800           2\n"
    "192.0.2.30      1  INCOMPLETE        0         0        0         0           0\n";

TEST(PrinterTest, VtepsPrintOneRowPerVtep) {
  std::ostringstream out, err;
  Printer printer(out, err, /*json=*/false);
  printer.PrintVteps(StatsWithVteps());
  EXPECT_EQ(out.str(), kVtepTable);
}

TEST(PrinterTest, StatsEndWithTheVtepTableWhenThereAreVteps) {
  std::ostringstream out, err;
  Printer printer(out, err, /*json=*/false);
  printer.PrintStats(StatsWithVteps());
  EXPECT_THAT(out.str(), ::testing::EndsWith(std::string("no drops\n\nvteps:\n") + kVtepTable));
  std::ostringstream out2;
  Printer printer2(out2, err, /*json=*/false);
  printer2.PrintStats(v1::Stats());
  EXPECT_THAT(out2.str(), Not(HasSubstr("vteps")));
}

TEST(PrinterTest, VtepsJsonHasEveryCounter) {
  std::ostringstream out, err;
  Printer printer(out, err, /*json=*/true);
  printer.Json(StatsWithVteps());
  EXPECT_THAT(out.str(),
              AllOf(HasSubstr("\"vteps\": ["), HasSubstr("\"ip\": \"192.0.2.30\""),
                    HasSubstr("\"remote_ports\": 3"),
                    // uint64 is a string in proto3 JSON.
                    HasSubstr("\"replicated\": \"2\""), HasSubstr("\"state\": \"INCOMPLETE\"")));
}

TEST(PrinterTest, DestinationsShowEveryCollectorAndThePortInEffect) {
  v1::ListMirrorDestinationsResponse reply;
  v1::MirrorDestination* a = reply.add_destinations();
  a->set_id(2);
  a->set_name("col-a");
  a->set_vnet("blue");
  a->set_vni(5000);
  a->set_udp_port(4790);
  a->add_collectors("192.0.2.50");
  a->add_collectors("192.0.2.51");
  v1::MirrorDestination* b = reply.add_destinations();
  b->set_id(3);
  b->set_name("col-b");
  b->set_vnet("red");
  b->set_vni(7);
  b->add_collectors("198.51.100.7");
  std::ostringstream out, err;
  Printer printer(out, err, /*json=*/false);
  printer.PrintDestinations(reply);
  // Port 0 is the daemon's default, 4789.
  EXPECT_EQ(out.str(),
            "ID  NAME   VNET   VNI  PORT  COLLECTORS\n"
            " 2  col-a  blue  5000  4790  192.0.2.50,192.0.2.51\n"
            " 3  col-b  red      7  4789  198.51.100.7\n");
}

v1::ListTapSessionsResponse TwoSessions() {
  v1::ListTapSessionsResponse reply;
  v1::TapSession* s1 = reply.add_sessions();
  s1->set_id(1);
  s1->set_name("s1");
  s1->add_sources("vm1");
  s1->add_sources("vm2");
  s1->set_direction(v1::TAP_DIRECTION_TX);
  s1->set_truncate_bytes(128);
  s1->set_rate_limit_pps(10000);
  s1->add_destinations("col-a");
  v1::TapRule* rule = s1->add_rules();
  rule->set_priority(10);
  rule->mutable_dst_ports()->set_first(443);
  rule->mutable_dst_ports()->set_last(443);
  s1->add_rules()->set_priority(20);
  v1::TapSession* s2 = reply.add_sessions();
  s2->set_id(4);
  s2->set_name("all");
  s2->add_sources("vm3");
  s2->add_destinations("col-a");
  s2->add_destinations("col-b");
  s2->set_disabled(true);
  return reply;
}

TEST(PrinterTest, TapSessionsCountRules) {
  std::ostringstream out, err;
  Printer printer(out, err, /*json=*/false);
  printer.PrintTapSessions(TwoSessions());
  // Direction UNSPECIFIED is BOTH; truncate and rate 0 cut and limit nothing.
  EXPECT_EQ(out.str(),
            "ID  NAME  SOURCES  DIRECTION  RULES  TRUNCATE   RATE  DESTINATIONS  ENABLED\n"
            " 1  s1    vm1,vm2  tx             2       128  10000  col-a         yes\n"
            " 4  all   vm3      both           0         -      -  col-a,col-b   no\n");
}

TEST(PrinterTest, TapSessionsJsonHasTheRules) {
  std::ostringstream out, err;
  Printer printer(out, err, /*json=*/true);
  printer.Json(TwoSessions());
  EXPECT_THAT(out.str(), AllOf(HasSubstr("\"rules\": ["), HasSubstr("\"priority\": 20"),
                               HasSubstr("\"dst_ports\": {"), HasSubstr("\"first\": 443")));
}

TEST(PrinterTest, NeighborsShowDashForAnUnresolvedMac) {
  v1::ListNeighborsResponse reply;
  v1::Neighbor* gateway = reply.add_neighbors();
  gateway->set_ip("192.0.2.1");
  gateway->set_mac("52:54:00:aa:bb:cc");
  gateway->set_state("RESOLVED");
  v1::Neighbor* collector = reply.add_neighbors();
  collector->set_ip("192.0.2.51");
  collector->set_state("INCOMPLETE");
  std::ostringstream out, err;
  Printer printer(out, err, /*json=*/false);
  printer.PrintNeighbors(reply);
  EXPECT_EQ(out.str(),
            "IP          MAC                STATE\n"
            "192.0.2.1   52:54:00:aa:bb:cc  RESOLVED\n"
            "192.0.2.51  -                  INCOMPLETE\n");
}

v1::Stats StatsWithMirrorCounters() {
  v1::Stats stats;
  v1::SessionStats* session = stats.add_sessions();
  session->set_name("s1");
  v1::MirrorCounters* c = session->mutable_counters();
  c->set_matched(1);
  c->set_cloned(2);
  c->set_ring_full(3);
  c->set_clone_failed(4);
  c->set_rate_limited(5);
  c->set_no_next_hop(6);
  c->set_truncated(7);
  c->set_tx_dropped(8);
  c->set_sent_packets(9);
  c->set_sent_bytes(10);
  v1::DestinationStats* destination = stats.add_destinations();
  destination->set_name("col-a");
  destination->mutable_counters()->set_sent_bytes(123456789012);
  return stats;
}

constexpr char kMirrorTables[] =
    "tap sessions:\n"
    "NAME  MATCHED  CLONED  RING-FULL  CLONE-FAIL  RATE-LIM  NO-NEXTHOP  TRUNC  TX-DROP  "
    "SENT-PKTS  SENT-BYTES\n"
    "s1          1       2          3           4         5           6      7        8  "
    "        9          10\n"
    "\n"
    "mirror destinations:\n"
    "NAME   MATCHED  CLONED  RING-FULL  CLONE-FAIL  RATE-LIM  NO-NEXTHOP  TRUNC  TX-DROP  "
    "SENT-PKTS    SENT-BYTES\n"
    "col-a        0       0          0           0         0           0      0        0  "
    "        0  123456789012\n";

TEST(PrinterTest, TapStatsPrintsSessionsThenDestinations) {
  std::ostringstream out, err;
  Printer printer(out, err, /*json=*/false);
  printer.PrintTapStats(StatsWithMirrorCounters());
  EXPECT_EQ(out.str(), kMirrorTables);
}

TEST(PrinterTest, StatsEndWithTheMirrorTablesWhenThereAreAny) {
  std::ostringstream out, err;
  Printer printer(out, err, /*json=*/false);
  printer.PrintStats(StatsWithMirrorCounters());
  EXPECT_THAT(out.str(), ::testing::EndsWith(std::string("no drops\n\n") + kMirrorTables));
}

TEST(PrinterTest, StatsOmitEmptyMirrorTables) {
  std::ostringstream out, err;
  Printer printer(out, err, /*json=*/false);
  printer.PrintStats(v1::Stats());
  EXPECT_THAT(out.str(), ::testing::EndsWith("no drops\n"));
  EXPECT_THAT(out.str(), AllOf(Not(HasSubstr("tap sessions")), Not(HasSubstr("destinations"))));

  v1::Stats only_destinations = StatsWithMirrorCounters();
  only_destinations.clear_sessions();
  std::ostringstream out2;
  Printer printer2(out2, err, /*json=*/false);
  printer2.PrintStats(only_destinations);
  EXPECT_THAT(out2.str(),
              AllOf(Not(HasSubstr("tap sessions")), HasSubstr("no drops\n\nmirror destinations:")));
}

TEST(PrinterTest, JsonKeepsFieldNamesAndZeros) {
  v1::FlushFdbResponse reply;
  std::ostringstream out, err;
  Printer printer(out, err, /*json=*/true);
  printer.Json(reply);
  EXPECT_THAT(out.str(), HasSubstr("\"removed\": 0"));
}

}  // namespace
}  // namespace vswitch::shell
