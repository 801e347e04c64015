// SPDX-License-Identifier: Apache-2.0
#include "test/testing/eal.h"

#include <libgen.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace vswitch::testing {
namespace {

std::string* g_runtime_dir = nullptr;

// EAL leaves its runtime directory behind; a test run cleans up after itself.
void RemoveRuntimeDir() {
  std::error_code ec;
  std::filesystem::remove_all(*g_runtime_dir, ec);
}

}  // namespace

bool StartEal(const char* argv0, const char* kind) {
  std::string path(argv0 != nullptr ? argv0 : "test");
  std::string base(basename(path.data()));
  // Unique per binary and process: parallel binaries must not share
  // /var/run/dpdk/<prefix> (the second would fail or attach as secondary).
  std::string prefix =
      std::string("--file-prefix=") + kind + "_" + base + "_" + std::to_string(getpid());
  std::vector<std::string> args = {base, "--no-huge", "--no-pci",         "-m", "256", "-l",
                                   "0",  prefix,      "--log-level=error"};
  std::vector<char*> argv;
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  g_runtime_dir = new std::string("/var/run/dpdk/" + prefix.substr(prefix.find('=') + 1));
  std::atexit(RemoveRuntimeDir);
  if (rte_eal_init(static_cast<int>(argv.size()), argv.data()) < 0) {
    std::fprintf(stderr, "rte_eal_init failed: %s\n", rte_strerror(rte_errno));
    return false;
  }
  return true;
}

}  // namespace vswitch::testing
