// SPDX-License-Identifier: Apache-2.0
//
// vswitch-agent: one per hypervisor, beside vswitchd. Programs vswitchd
// from the fleet's desired state in etcd (doc/fleet.md).
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <gflags/gflags.h>
#include <glog/logging.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "apps/vswitch-agent/agent.h"
#include "lib/etcd/etcd_client.h"
#include "vswitch/control/validator.h"

DEFINE_string(etcd, "127.0.0.1:2379",
              "etcd members, comma-separated HOST:PORT (http:// or https:// prefixes are "
              "accepted); the agent fails over between them");
DEFINE_string(host, "",
              "this hypervisor's name in the fleet (the `host` of its VMs); default: the "
              "short hostname");
DEFINE_string(socket, "/run/vswitch/vswitchd.sock", "vswitchd's gRPC socket");
DEFINE_string(vtep, "",
              "VTEP IPv4 address to publish; default: the IP of vswitchd's uplink");
DEFINE_uint32(lease_ttl, 10,
              "seconds the host's VTEP and status outlive the agent (etcd lease), 2..3600; "
              "when it expires the other hosts drop this host's VMs");
DEFINE_uint32(status_interval, 5,
              "seconds between status reports and checks that vswitchd runs the applied "
              "state, 1..3600");
DEFINE_string(etcd_ca, "", "PEM CA of etcd's server certificates (enables TLS)");
DEFINE_string(etcd_cert, "", "PEM client certificate for etcd (with --etcd_key)");
DEFINE_string(etcd_key, "", "PEM client key for etcd");

namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop.store(true); }

[[noreturn]] void Exit2(const std::string& message) {
  std::fprintf(stderr, "vswitch-agent: %s\n", message.c_str());
  std::exit(2);
}

std::vector<std::string> ParseEndpoints(const std::string& flag) {
  std::vector<std::string> out;
  for (absl::string_view ep : absl::StrSplit(flag, ',', absl::SkipWhitespace())) {
    absl::ConsumePrefix(&ep, "http://") || absl::ConsumePrefix(&ep, "https://");
    const size_t colon = ep.rfind(':');
    int port = 0;
    if (colon == absl::string_view::npos || colon == 0 ||
        !absl::SimpleAtoi(ep.substr(colon + 1), &port) || port < 1 || port > 65535) {
      Exit2(absl::StrFormat("--etcd: \"%s\" is not HOST:PORT", std::string(ep)));
    }
    out.emplace_back(ep);
  }
  if (out.empty()) {
    Exit2("--etcd: give at least one HOST:PORT");
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage(
      "vswitch-agent --etcd=HOST:PORT[,HOST:PORT...] [--host=NAME] [--socket=PATH]\n"
      "Programs the local vswitchd from the fleet's desired state in etcd (doc/fleet.md).\n"
      "Example: vswitch-agent --etcd=10.0.0.1:2379,10.0.0.2:2379,10.0.0.3:2379 --host=hv1");
  gflags::SetVersionString(VSWITCH_VERSION);
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);
  if (argc > 1) {
    Exit2(absl::StrFormat("unexpected argument \"%s\" (see --help)", argv[1]));
  }

  vswitch::etcd::Options etcd_options;
  etcd_options.endpoints = ParseEndpoints(FLAGS_etcd);
  etcd_options.ca_file = FLAGS_etcd_ca;
  etcd_options.cert_file = FLAGS_etcd_cert;
  etcd_options.key_file = FLAGS_etcd_key;
  // A call stuck on a member without a leader (an election, a partition)
  // must fail over long before the lease runs out: the agent keeps its
  // lease between calls.
  etcd_options.request_timeout =
      std::min(absl::Seconds(5), absl::Seconds(FLAGS_lease_ttl) / 4);
  if (FLAGS_etcd_cert.empty() != FLAGS_etcd_key.empty()) {
    Exit2("--etcd_cert and --etcd_key go together");
  }
  if (!FLAGS_etcd_cert.empty() && FLAGS_etcd_ca.empty()) {
    Exit2("--etcd_cert needs --etcd_ca (TLS)");
  }
  vswitch::agent::AgentOptions options;
  options.host = FLAGS_host;
  if (options.host.empty()) {
    char name[256] = {};
    gethostname(name, sizeof(name) - 1);
    options.host = std::string(name).substr(0, std::string(name).find('.'));
  }
  if (absl::Status s = vswitch::control::ValidateName("--host", options.host); !s.ok()) {
    Exit2(std::string(s.message()));
  }
  options.vtep = FLAGS_vtep;
  if (FLAGS_lease_ttl < 2 || FLAGS_lease_ttl > 3600) {
    Exit2(absl::StrFormat("--lease_ttl=%u: must be 2..3600", FLAGS_lease_ttl));
  }
  if (FLAGS_status_interval < 1 || FLAGS_status_interval > 3600) {
    Exit2(absl::StrFormat("--status_interval=%u: must be 1..3600", FLAGS_status_interval));
  }
  options.lease_ttl = absl::Seconds(FLAGS_lease_ttl);
  options.status_interval = absl::Seconds(FLAGS_status_interval);

  absl::StatusOr<std::unique_ptr<vswitch::etcd::Client>> etcd =
      vswitch::etcd::Client::Connect(etcd_options);
  if (!etcd.ok()) {
    Exit2(absl::StrFormat("--etcd: %s", etcd.status().ToString()));
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  auto channel = grpc::CreateCustomChannel("unix:" + FLAGS_socket,
                                           grpc::InsecureChannelCredentials(), args);
  std::unique_ptr<vswitch::v1::VSwitch::Stub> vswitchd = vswitch::v1::VSwitch::NewStub(channel);

  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  LOG(INFO) << "vswitch-agent " << VSWITCH_VERSION << " host " << options.host << ", etcd "
            << FLAGS_etcd << ", vswitchd unix:" << FLAGS_socket;
  vswitch::agent::Agent agent(options, etcd->get(), vswitchd.get());
  agent.Run(g_stop);
  // The lease is left to expire: an agent restarted within --lease_ttl
  // takes its keys over and the other hosts never notice.
  LOG(INFO) << "stopped";
  return 0;
}
