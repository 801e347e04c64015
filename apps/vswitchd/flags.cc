// SPDX-License-Identifier: Apache-2.0
#include "apps/vswitchd/flags.h"

#include <grp.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <gflags/gflags.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

DEFINE_string(socket, "/run/vswitch/vswitchd.sock",
              "UNIX socket of the gRPC API (created mode 0660; its directory is created)");
DEFINE_string(file_prefix, "vswitch", "EAL --file-prefix: lets several DPDK processes coexist");
DEFINE_uint32(main_lcore, 0, "lcore of the main thread (gRPC, config, learning, stats)");
DEFINE_string(fwd_lcores, "1", "comma-separated lcores that run a forwarding loop each");
DEFINE_int32(encap_lcore, -1,
             "lcore of the encap worker (TAP mirror encapsulation); -1 = interleaved on the "
             "first forwarding lcore (single-core mode)");
DEFINE_string(hugepages, "auto",
              "auto: use hugepages when hugetlbfs is mounted with free pages, else --no-huge; "
              "on: require them; off: always --no-huge");
DEFINE_uint32(mem_mb, 1024, "EAL memory in MB (-m), 64..65536");
DEFINE_string(eal_args, "", "extra EAL arguments, space-separated (e.g. \"--vdev=...\")");
DEFINE_bool(pci, false, "probe PCI devices (off: EAL gets --no-pci)");
DEFINE_uint32(mbufs, 16384, "mbufs in the packet pool, 1024..4194304");
DEFINE_uint32(idle_sleep_us, 100,
              "forwarding lcores sleep this long after --idle_polls empty polls; 0 = never "
              "(benchmarks), 0..100000");
DEFINE_uint32(idle_polls, 256, "empty polls before an idle sleep, 1..1000000");
DEFINE_uint32(flow_cache_entries, 65536, "flow cache entries per forwarding lcore, 64..16777216");
DEFINE_bool(mac_learning, true, "learn source MACs into the FDB");
DEFINE_uint32(mac_aging_sec, 300, "learned MACs expire after this many seconds idle, 1..86400");
DEFINE_string(config, "/var/lib/vswitch/config.textproto",
              "configuration file (protobuf text format): restored at start, rewritten "
              "atomically after every accepted change; empty = no persistence");
DEFINE_bool(interactive, false,
            "run the vsctl shell (prompt vswitchd> ) on this terminal over --socket; quitting "
            "it stops the daemon");
DEFINE_bool(detach_shell_on_quit, false,
            "with --interactive: quitting the shell leaves the daemon running");
DEFINE_string(capture_dir, "/var/lib/vswitch/captures",
              "directory of pcapng mirror destinations' files (created on first use); "
              "a destination names a file in it, never a path");
DEFINE_string(vhost_dir, "/run/vswitch",
              "directory of the vhost-user sockets of `vhost` vports without path= "
              "(<dir>/<vport>.sock); created if missing");
DEFINE_string(check_config, "",
              "validate this config file (syntax and meaning, no host checks), print OK or the "
              "error, exit 0 or 2; nothing is started");
DEFINE_string(lcore_cpus, "",
              "LCORE@CPU,...: run these lcores on another CPU than their own id (e.g. 2@0 "
              "puts a dedicated encap lcore 2 beside the main lcore on CPU 0); default: "
              "lcore N runs on CPU N");
DEFINE_string(socket_group, "",
              "group that owns --socket (owner root, mode 0660), so its members may use the "
              "API; empty = root's group");
DEFINE_string(listen, "",
              "also serve the API on TCP ADDR:PORT (e.g. 127.0.0.1:9090), TLS only: needs "
              "--tls_cert and --tls_key; empty = UNIX socket only");
DEFINE_string(tls_cert, "", "with --listen: PEM certificate (chain) of the server");
DEFINE_string(tls_key, "", "with --listen: PEM private key of --tls_cert");
DEFINE_string(tls_client_ca, "",
              "with --listen: PEM CA bundle; clients must present a certificate it signed "
              "(mutual TLS); empty = no client certificate asked for");

namespace {

// The last validator's complaint; printed as the one error line.
std::string& FlagError() {
  static std::string* e = new std::string;
  return *e;
}

bool InRange(const char* flag, uint32_t v, uint32_t lo, uint32_t hi) {
  if (v < lo || v > hi) {
    FlagError() = absl::StrFormat("--%s=%u is out of range %u..%u", flag, v, lo, hi);
    return false;
  }
  return true;
}

bool ValidateLcores(const char* flag, const std::string& v) {
  if (v.empty()) {
    FlagError() = absl::StrFormat("--%s is empty; name at least one lcore", flag);
    return false;
  }
  for (absl::string_view part : absl::StrSplit(v, ',')) {
    uint32_t id = 0;
    if (!absl::SimpleAtoi(part, &id) || id >= 128) {
      FlagError() = absl::StrFormat("--%s=%s: '%s' is not an lcore id 0..127", flag,
                   v.c_str(), std::string(part).c_str());
      return false;
    }
  }
  return true;
}

bool ValidateLcoreCpus(const char* flag, const std::string& v) {
  for (absl::string_view part : absl::StrSplit(v, ',', absl::SkipEmpty())) {
    std::vector<std::string> lc = absl::StrSplit(part, '@');
    uint32_t l = 0;
    uint32_t c = 0;
    if (lc.size() != 2 || !absl::SimpleAtoi(lc[0], &l) || !absl::SimpleAtoi(lc[1], &c) ||
        l >= 128 || c >= 128) {
      FlagError() = absl::StrFormat("--%s=%s: '%s' is not LCORE@CPU (both 0..127)", flag,
                                    v.c_str(), std::string(part).c_str());
      return false;
    }
  }
  return true;
}

bool ValidateHugepages(const char* flag, const std::string& v) {
  if (v != "auto" && v != "on" && v != "off") {
    FlagError() = absl::StrFormat("--%s=%s: want auto, on or off", flag, v.c_str());
    return false;
  }
  return true;
}

bool ValidateSocket(const char* flag, const std::string& v) {
  if (v.empty() || v[0] != '/' || v.size() > 100) {
    FlagError() = absl::StrFormat("--%s=%s: want an absolute path of at most 100 characters",
                 flag, v.c_str());
    return false;
  }
  return true;
}

bool ValidateMainLcore(const char* f, uint32_t v) { return InRange(f, v, 0, 127); }
bool ValidateEncapLcore(const char* f, int32_t v) {
  if (v < -1 || v > 127) {
    FlagError() = absl::StrFormat("--%s=%d is out of range -1..127", f, v);
    return false;
  }
  return true;
}
bool ValidateMem(const char* f, uint32_t v) { return InRange(f, v, 64, 65536); }
bool ValidateMbufs(const char* f, uint32_t v) { return InRange(f, v, 1024, 4194304); }
bool ValidateIdleSleep(const char* f, uint32_t v) { return InRange(f, v, 0, 100000); }
bool ValidateIdlePolls(const char* f, uint32_t v) { return InRange(f, v, 1, 1000000); }
bool ValidateFlowCache(const char* f, uint32_t v) { return InRange(f, v, 64, 16777216); }
bool ValidateAging(const char* f, uint32_t v) { return InRange(f, v, 1, 86400); }
bool ValidateConfigPath(const char* flag, const std::string& v) {
  if (!v.empty() && (v.back() == '/' || v.size() > 4000)) {
    FlagError() = absl::StrFormat("--%s=%s: want a file path (or empty to disable persistence)",
                                  flag, v.c_str());
    return false;
  }
  return true;
}

bool ValidateSocketGroup(const char* flag, const std::string& v) {
  if (!v.empty() && getgrnam(v.c_str()) == nullptr) {
    FlagError() = absl::StrFormat("--%s=%s: no such group", flag, v.c_str());
    return false;
  }
  return true;
}

DEFINE_validator(socket, &ValidateSocket);
DEFINE_validator(socket_group, &ValidateSocketGroup);
DEFINE_validator(main_lcore, &ValidateMainLcore);
DEFINE_validator(fwd_lcores, &ValidateLcores);
DEFINE_validator(encap_lcore, &ValidateEncapLcore);
DEFINE_validator(hugepages, &ValidateHugepages);
DEFINE_validator(mem_mb, &ValidateMem);
DEFINE_validator(mbufs, &ValidateMbufs);
DEFINE_validator(idle_sleep_us, &ValidateIdleSleep);
DEFINE_validator(idle_polls, &ValidateIdlePolls);
DEFINE_validator(flow_cache_entries, &ValidateFlowCache);
DEFINE_validator(mac_aging_sec, &ValidateAging);
DEFINE_validator(config, &ValidateConfigPath);
DEFINE_validator(lcore_cpus, &ValidateLcoreCpus);

// <dir>/<32-character vport name>.sock must fit a unix socket path (107).
bool ValidateVhostDir(const char* flag, const std::string& v) {
  if (v.empty() || v[0] != '/' || v.back() == '/' || v.size() > 69) {
    FlagError() = absl::StrFormat(
        "--%s=%s: want an absolute directory path of at most 69 characters, no trailing '/'",
        flag, v.c_str());
    return false;
  }
  return true;
}
DEFINE_validator(vhost_dir, &ValidateVhostDir);
bool ValidateCaptureDir(const char* flag, const std::string& v) {
  if (v.empty() || v[0] != '/' || v.size() > 4000) {
    FlagError() = absl::StrFormat("--%s=%s: want an absolute directory path", flag, v.c_str());
    return false;
  }
  return true;
}
DEFINE_validator(capture_dir, &ValidateCaptureDir);

[[noreturn]] void Fail(const std::string& msg) {
  std::fprintf(stderr, "vswitchd: %s (see --help)\n", msg.c_str());
  std::exit(2);
}

// TCP is served with TLS or not at all; the TLS flags mean nothing alone.
void CheckTlsFlags() {
  if (!FLAGS_listen.empty()) {
    if (FLAGS_tls_cert.empty() || FLAGS_tls_key.empty()) {
      Fail("--listen=" + FLAGS_listen +
           " needs --tls_cert and --tls_key (the API is never served on plain TCP)");
    }
  } else if (!FLAGS_tls_cert.empty() || !FLAGS_tls_key.empty() || !FLAGS_tls_client_ca.empty()) {
    Fail("--tls_cert, --tls_key and --tls_client_ca need --listen=ADDR:PORT");
  }
  if (FLAGS_tls_cert.empty() != FLAGS_tls_key.empty()) {
    Fail("--tls_cert and --tls_key go together");
  }
}

}  // namespace

namespace vswitch::app {

void ParseFlagsOrExit(int argc, char** argv) {
  gflags::SetUsageMessage("DPDK virtual switch with virtual network TAP.\n  vswitchd [flags]");
  gflags::SetVersionString(VSWITCH_VERSION);
  // gflags exits 1 on a bad flag and prints several lines; we want one line
  // and exit 2, so each flag is set through SetCommandLineOption (which runs
  // the validators without exiting).
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h" || arg == "-help") {
      gflags::ShowUsageWithFlagsRestrict(argv[0], "apps/vswitchd");
      std::exit(0);
    }
    if (arg == "--version") {
      std::printf("vswitchd %s\n", VSWITCH_VERSION);
      std::exit(0);
    }
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
      Fail("unexpected argument '" + arg + "'");
    }
    std::string name = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    // --check-config and --check_config alike; messages keep what was typed.
    const std::string typed = name;
    std::replace(name.begin(), name.end(), '-', '_');
    gflags::CommandLineFlagInfo info;
    if (!gflags::GetCommandLineFlagInfo(name.c_str(), &info)) {
      // --noflag for booleans.
      if (name.compare(0, 2, "no") == 0 && gflags::GetCommandLineFlagInfo(name.c_str() + 2, &info) &&
          info.type == "bool" && !has_value) {
        name = name.substr(2);
        value = "false";
        has_value = true;
      } else {
        Fail("unknown flag --" + typed);
      }
    }
    if (!has_value) {
      if (info.type == "bool") {
        value = "true";
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        Fail("flag --" + typed + " needs a value");
      }
    }
    FlagError().clear();
    if (gflags::SetCommandLineOption(name.c_str(), value.c_str()).empty()) {
      Fail(FlagError().empty()
               ? "invalid value '" + value + "' for --" + typed + " (want " + info.type + ")"
               : FlagError());
    }
  }
  CheckTlsFlags();
}

}  // namespace vswitch::app
