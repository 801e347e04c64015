// SPDX-License-Identifier: Apache-2.0
//
// vswitchd's command-line flags (gflags, each with a validator) and the
// parser that turns a bad flag into one line on stderr and exit code 2.
#pragma once

#include <gflags/gflags_declare.h>

DECLARE_string(socket);
DECLARE_string(file_prefix);
DECLARE_uint32(main_lcore);
DECLARE_string(fwd_lcores);
DECLARE_int32(encap_lcore);
DECLARE_string(hugepages);
DECLARE_uint32(mem_mb);
DECLARE_string(eal_args);
DECLARE_bool(pci);
DECLARE_uint32(mbufs);
DECLARE_uint32(idle_sleep_us);
DECLARE_uint32(idle_polls);
DECLARE_uint32(flow_cache_entries);
DECLARE_bool(mac_learning);
DECLARE_uint32(mac_aging_sec);
DECLARE_string(config);
DECLARE_bool(interactive);
DECLARE_bool(detach_shell_on_quit);
DECLARE_string(vhost_dir);
DECLARE_string(check_config);
DECLARE_string(lcore_cpus);
DECLARE_string(capture_dir);
DECLARE_string(socket_group);
DECLARE_string(listen);
DECLARE_string(tls_cert);
DECLARE_string(tls_key);
DECLARE_string(tls_client_ca);

namespace vswitch::app {

// Parses argv into the flags. --help/--version print and exit 0; anything
// wrong (unknown flag, bad value, stray argument) prints one line naming it
// and exits 2.
void ParseFlagsOrExit(int argc, char** argv);

}  // namespace vswitch::app
