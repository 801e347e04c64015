// SPDX-License-Identifier: Apache-2.0
//
// Starting the DPDK EAL for a test or benchmark binary. No gtest here, so
// benchmarks can use it too.
#pragma once

namespace vswitch::testing {

// Starts EAL with `--no-huge --no-pci -m 256 -l 0 --log-level=error` and a
// file prefix unique to this binary and process (`<kind>_<binary>_<pid>`),
// so binaries can run in parallel without sharing runtime files. Returns
// false (and prints why) on failure. Thread: main thread, before any other
// DPDK call.
bool StartEal(const char* argv0, const char* kind = "ut");

}  // namespace vswitch::testing
