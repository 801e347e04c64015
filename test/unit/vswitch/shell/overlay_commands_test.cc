// SPDX-License-Identifier: Apache-2.0
//
// The overlay commands run end to end in the shell: command line -> the one
// RPC -> printed reply, against a fake VSwitch service on an in-process
// channel (the daemon's side is tested by the integration tests). The fake
// records each request and answers what the test sets.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "vswitch/api/vswitch.grpc.pb.h"
#include "vswitch/api/vswitch.pb.h"
#include "vswitch/shell/commands.h"

namespace vswitch::shell {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

using Words = std::vector<std::string>;

class FakeVSwitch final : public v1::VSwitch::Service {
 public:
  grpc::Status AddRemotePort(grpc::ServerContext*, const v1::AddRemotePortRequest* request,
                             v1::RemotePort* reply) override {
    add = *request;
    *reply = request->port();
    // The daemon answers with what it stored: a normalised MAC.
    reply->set_mac("02:00:00:00:10:0a");
    return status;
  }
  grpc::Status RemoveRemotePort(grpc::ServerContext*, const v1::RemoveRemotePortRequest* request,
                                v1::RemoveRemotePortResponse*) override {
    remove = *request;
    return status;
  }
  grpc::Status ListRemotePorts(grpc::ServerContext*, const v1::ListRemotePortsRequest* request,
                               v1::ListRemotePortsResponse* reply) override {
    list = *request;
    v1::RemotePort* port = reply->add_ports();
    port->set_vnet("blue");
    port->set_mac("02:00:00:00:10:01");
    port->add_ips("10.1.0.21");
    port->set_vtep("192.0.2.20");
    return status;
  }
  grpc::Status ReplaceRemotePorts(grpc::ServerContext*,
                                  const v1::ReplaceRemotePortsRequest* request,
                                  v1::ReplaceRemotePortsResponse* reply) override {
    ++replace_calls;
    replace = *request;
    reply->set_added(2);
    reply->set_removed(1);
    reply->set_changed(1);
    reply->set_unchanged(5);
    reply->set_snapshot_generation(42);
    return status;
  }
  grpc::Status GetStats(grpc::ServerContext*, const v1::GetStatsRequest*,
                        v1::Stats* reply) override {
    v1::VtepStats* vtep = reply->add_vteps();
    vtep->set_ip("192.0.2.20");
    vtep->set_remote_ports(2);
    vtep->set_state("RESOLVED");
    vtep->set_tx_packets(7);
    vtep->set_replicated(3);
    return status;
  }

  grpc::Status status = grpc::Status::OK;
  v1::AddRemotePortRequest add;
  v1::RemoveRemotePortRequest remove;
  v1::ListRemotePortsRequest list;
  v1::ReplaceRemotePortsRequest replace;
  int replace_calls = 0;
};

class OverlayCommandsTest : public ::testing::Test {
 protected:
  OverlayCommandsTest() {
    grpc::ServerBuilder builder;
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    client_ = std::make_unique<Client>(server_->InProcessChannel(grpc::ChannelArguments()));
  }
  ~OverlayCommandsTest() override { server_->Shutdown(); }

  // Runs one command line; its output lands in out_ and err_.
  int Run(const Words& words, bool json = false) {
    out_.str("");
    err_.str("");
    Printer printer(out_, err_, json);
    return table_.Execute(words, *client_, printer);
  }

  // A file of `text` in the test's temporary directory.
  std::string WriteFile(const std::string& name, const std::string& text) {
    std::string path = ::testing::TempDir() + "/" + name;
    std::ofstream(path) << text;
    files_.push_back(path);
    return path;
  }

  void TearDown() override {
    for (const std::string& path : files_) {
      std::remove(path.c_str());
    }
  }

  FakeVSwitch service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Client> client_;
  CommandTable table_ = VSwitchCommands();
  std::ostringstream out_, err_;
  std::vector<std::string> files_;
};

TEST_F(OverlayCommandsTest, AddRemotePortSendsItAndPrintsWhatTheDaemonStored) {
  EXPECT_EQ(Run({"add", "remote-port", "blue", "02:00:00:00:10:0A", "vtep", "192.0.2.20", "ip",
                 "10.1.0.21"}),
            kExitOk);
  EXPECT_EQ(service_.add.port().mac(), "02:00:00:00:10:0A");
  EXPECT_THAT(service_.add.port().ips(), ElementsAre("10.1.0.21"));
  EXPECT_EQ(out_.str(), "remote-port 02:00:00:00:10:0a added to blue (vtep 192.0.2.20)\n");
  EXPECT_EQ(err_.str(), "");
}

TEST_F(OverlayCommandsTest, DaemonErrorIsPrintedWithExitCode1) {
  service_.status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                 "port.vtep: 192.0.2.10 is this host's uplink IP");
  EXPECT_EQ(Run({"add", "remote-port", "blue", "02:00:00:00:10:0a", "vtep", "192.0.2.10"}),
            kExitRpcError);
  EXPECT_EQ(err_.str(),
            "error: INVALID_ARGUMENT: port.vtep: 192.0.2.10 is this host's uplink IP\n");
  EXPECT_EQ(out_.str(), "");
}

TEST_F(OverlayCommandsTest, DelRemotePort) {
  EXPECT_EQ(Run({"del", "remote-port", "blue", "02:00:00:00:10:01"}), kExitOk);
  EXPECT_EQ(service_.remove.vnet(), "blue");
  EXPECT_EQ(service_.remove.mac(), "02:00:00:00:10:01");
  EXPECT_EQ(out_.str(), "remote-port 02:00:00:00:10:01 removed from blue\n");
}

TEST_F(OverlayCommandsTest, ShowRemotePortsAsTableAndJson) {
  EXPECT_EQ(Run({"show", "remote-ports", "blue"}), kExitOk);
  EXPECT_EQ(service_.list.vnet(), "blue");
  EXPECT_EQ(out_.str(),
            "VNET  MAC                IPS        VTEP\n"
            "blue  02:00:00:00:10:01  10.1.0.21  192.0.2.20\n");
  EXPECT_EQ(Run({"show", "remote-ports"}, /*json=*/true), kExitOk);
  EXPECT_EQ(service_.list.vnet(), "");
  EXPECT_THAT(out_.str(), AllOf(HasSubstr("\"ports\": ["), HasSubstr("\"vtep\": \"192.0.2.20\""),
                                HasSubstr("\"ips\": [")));
}

TEST_F(OverlayCommandsTest, ShowVteps) {
  EXPECT_EQ(Run({"show", "vteps"}), kExitOk);
  EXPECT_EQ(out_.str(),
            "IP          PORTS  STATE     RX-PKTS  RX-BYTES  TX-PKTS  TX-BYTES  REPLICATED\n"
            "192.0.2.20      2  RESOLVED        0         0        7         0           3\n");
}

TEST_F(OverlayCommandsTest, LoadRemotePortsSendsTheFileOnceAndPrintsTheCounts) {
  std::string path = WriteFile("rp-load.txt",
                               "blue 02:00:00:00:10:01 192.0.2.20 10.1.0.21\n"
                               "red 02:00:00:00:20:01 192.0.2.30\n");
  EXPECT_EQ(Run({"load", "remote-ports", path}), kExitOk);
  EXPECT_EQ(service_.replace_calls, 1);
  EXPECT_EQ(service_.replace.vnet(), "");
  ASSERT_EQ(service_.replace.ports_size(), 2);
  EXPECT_EQ(service_.replace.ports(1).vnet(), "red");
  EXPECT_EQ(out_.str(), "remote ports of all vnets loaded from " + path +
                            ": 2 added, 1 removed, 1 changed, 5 unchanged (generation 42)\n");

  EXPECT_EQ(Run({"load", "remote-ports", path, "vnet", "blue"}), kExitOk);
  EXPECT_EQ(service_.replace.vnet(), "blue");
  EXPECT_EQ(service_.replace.ports_size(), 1);
  EXPECT_THAT(out_.str(), HasSubstr("remote ports of vnet blue loaded from "));
  EXPECT_THAT(out_.str(), HasSubstr("(generation 42, 1 line of other vnets skipped)"));

  EXPECT_EQ(Run({"load", "remote-ports", path}, /*json=*/true), kExitOk);
  EXPECT_THAT(out_.str(), AllOf(HasSubstr("\"added\": 2"), HasSubstr("\"unchanged\": 5")));
}

TEST_F(OverlayCommandsTest, LoadRemotePortsWithABadLineSendsNothing) {
  std::string path = WriteFile("rp-bad.txt",
                               "blue 02:00:00:00:10:01 192.0.2.20\n"
                               "blue 02:00:00:00:10:02\n");
  EXPECT_EQ(Run({"load", "remote-ports", path}), kExitUsage);
  EXPECT_EQ(service_.replace_calls, 0);
  EXPECT_EQ(err_.str(), "error: " + path + ":2: expected \"VNET MAC VTEP [IP]...\", got 2 words\n");
  EXPECT_EQ(Run({"load", "remote-ports", "/nonexistent/rp.txt"}), kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("/nonexistent/rp.txt: cannot read"));
  EXPECT_EQ(service_.replace_calls, 0);
}

TEST_F(OverlayCommandsTest, LoadRemotePortsPointsTheDaemonsErrorAtTheLine) {
  std::string path = WriteFile("rp-daemon-error.txt",
                               "# two ports\n"
                               "blue 02:00:00:00:10:01 192.0.2.20\n"
                               "blue 02:00:00:00:10:01 192.0.2.21\n");
  service_.status =
      grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "ports[1].mac: duplicate of ports[0]");
  EXPECT_EQ(Run({"load", "remote-ports", path}), kExitRpcError);
  EXPECT_EQ(err_.str(),
            "error: INVALID_ARGUMENT: ports[1].mac: duplicate of ports[0] (" + path + ":3)\n");
}

}  // namespace
}  // namespace vswitch::shell
