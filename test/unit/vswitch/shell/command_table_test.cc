// SPDX-License-Identifier: Apache-2.0
//
// The vsctl command table: parsing, request building and help. No RPC is
// made; requests are built with Command::build_request.
#include "vswitch/shell/command_table.h"

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <sstream>
#include <string>
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

TEST(CommandTableTest, AddVNetBuildsCreateVNetRequest) {
  v1::CreateVNetRequest request =
      BuildRequest<v1::CreateVNetRequest>({"add", "vnet", "blue", "tenant", "acme", "vni", "100",
                                           "prefix", "10.1.0.0/24", "prefix", "10.2.0.0/24"});
  EXPECT_EQ(request.vnet().name(), "blue");
  EXPECT_EQ(request.vnet().tenant(), "acme");
  EXPECT_EQ(request.vnet().vni(), 100u);
  EXPECT_THAT(request.vnet().prefixes(), ::testing::ElementsAre("10.1.0.0/24", "10.2.0.0/24"));
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
                                          "[prefix CIDR]...\n"),
                               HasSubstr("RPC: CreateVNet")));
  EXPECT_EQ(err.str(), "");
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
          {"add vport NAME vnet VNET driver SPEC [mac MAC]... [queues N] [admin up|down]",
           "add uplink NAME driver SPEC ip CIDR [gateway IP] [mtu N]",
           "set vport NAME admin up|down", "add fdb VNET MAC VPORT", "flush fdb [VNET] [static]"}));
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
  std::ostringstream out, err;
  Printer printer(out, err, /*json=*/false);
  printer.PrintVNets(reply);
  EXPECT_EQ(out.str(),
            "ID  NAME  TENANT  VNI  PREFIXES                 PEERS\n"
            " 1  blue  acme    100  10.1.0.0/24,10.2.0.0/24  -\n");
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
