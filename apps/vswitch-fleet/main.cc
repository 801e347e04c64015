// SPDX-License-Identifier: Apache-2.0
//
// vswitch-fleet: writes and shows the fleet's desired state in etcd
// (doc/fleet.md). `vswitch-fleet [OPTIONS] COMMAND [ARGS]`; exit 0 done,
// 1 refused or etcd failed, 2 bad command line. Options are parsed by hand,
// as vsctl's: they stop at the first command word.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "apps/vswitch-fleet/fleet_tool.h"
#include "lib/etcd/etcd_client.h"
#include "vswitch/shell/command_table.h"

namespace {

constexpr char kUsage[] =
    "usage: vswitch-fleet [--etcd=HOST:PORT[,HOST:PORT...]] [TLS...] [--json] COMMAND [ARGS...]\n"
    "       vswitch-fleet [OPTIONS] -f FILE\n"
    "       vswitch-fleet help [VERB [OBJECT]]\n"
    "\n"
    "Writes the fleet's desired state in etcd (validated first, one transaction per\n"
    "command) and shows it; every host's vswitch-agent applies its part.\n"
    "\n"
    "Options, before the command:\n"
    "  --etcd=EPS     etcd members, comma-separated (default: $VSWITCH_ETCD, else\n"
    "                 127.0.0.1:2379)\n"
    "  --etcd_ca=F    PEM CA of etcd's certificates (TLS); --etcd_cert=F --etcd_key=F\n"
    "                 a client certificate\n"
    "  --json         print listings as JSON\n"
    "  -f FILE        run FILE's commands, one per line (# comments); stops at the\n"
    "                 first error: FILE:LINE: ERROR\n"
    "  -h, --help     print this help\n"
    "\n"
    "Example:\n"
    "  vswitch-fleet --etcd=10.0.0.1:2379,10.0.0.2:2379 add vm vm1 vnet blue host hv1 \\\n"
    "    mac 02:00:00:00:01:01 ip 10.1.0.1\n"
    "\n"
    "Commands (vswitch-fleet help VERB OBJECT for one):\n";

int Usage(const std::string& message) {
  std::cerr << "vswitch-fleet: " << message << " (see --help)\n";
  return vswitch::shell::kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const char* env = std::getenv("VSWITCH_ETCD");
  std::string etcd = env != nullptr && *env != '\0' ? env : "127.0.0.1:2379";
  vswitch::etcd::Options options;
  bool json = false;
  std::string script;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string_view flag, std::string* out) {
      if (a.rfind(std::string(flag) + "=", 0) == 0) {
        *out = a.substr(flag.size() + 1);
        return true;
      }
      return false;
    };
    if (value("--etcd", &etcd) || value("--etcd_ca", &options.ca_file) ||
        value("--etcd_cert", &options.cert_file) || value("--etcd_key", &options.key_file)) {
      continue;
    }
    if (a == "--json") {
      json = true;
    } else if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      vswitch::fleettool::FleetCommands().PrintCommandList(std::cout);
      return 0;
    } else if (a == "-f") {
      if (i + 1 >= args.size()) return Usage("-f needs a FILE");
      script = args[++i];
    } else if (a.rfind("-", 0) == 0) {
      return Usage("unknown option " + a);
    } else {
      break;
    }
  }
  std::vector<std::string> words(args.begin() + static_cast<long>(i), args.end());
  if (script.empty() && words.empty()) return Usage("no command");
  if (!script.empty() && !words.empty()) return Usage("-f FILE and a command: give one");
  if (options.cert_file.empty() != options.key_file.empty()) {
    return Usage("--etcd_cert and --etcd_key go together");
  }
  size_t start = 0;
  while (start <= etcd.size()) {
    size_t comma = etcd.find(',', start);
    if (comma == std::string::npos) comma = etcd.size();
    std::string ep = etcd.substr(start, comma - start);
    for (const char* scheme : {"http://", "https://"}) {
      if (ep.rfind(scheme, 0) == 0) ep = ep.substr(std::string(scheme).size());
    }
    if (ep.find(':') == std::string::npos) return Usage("--etcd: \"" + ep + "\" is not HOST:PORT");
    options.endpoints.push_back(ep);
    start = comma + 1;
  }
  auto client = vswitch::etcd::Client::Connect(options);
  if (!client.ok()) {
    std::cerr << "error: " << client.status().message() << "\n";
    return 1;
  }
  vswitch::fleettool::FleetTool tool(client->get(), std::cout, std::cerr, json);
  if (script.empty()) return tool.Execute(words);

  std::ifstream in(script);
  if (!in) {
    std::cerr << "error: " << script << ": cannot read it\n";
    return 1;
  }
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    const size_t hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    std::vector<std::string> w = vswitch::shell::SplitWords(line);
    if (w.empty()) continue;
    if (int rc = tool.Execute(w); rc != 0) {
      std::cerr << script << ":" << n << ": the command above failed\n";
      return rc;
    }
  }
  return 0;
}
