// SPDX-License-Identifier: Apache-2.0
//
// Starts the DPDK EAL once per test binary, so tests run on real mbufs,
// mempools, rings, hashes and ethdevs instead of fakes.
#pragma once

#include <gtest/gtest.h>

namespace vswitch::testing {

// gtest environment: StartEal (test/testing/eal.h) in SetUp, a fatal
// failure if it fails; rte_eal_cleanup in TearDown. Registered by
// test_main.cc.
class EalEnvironment : public ::testing::Environment {
 public:
  explicit EalEnvironment(const char* argv0) : argv0_(argv0) {}
  void SetUp() override;
  void TearDown() override;

 private:
  const char* argv0_;
  bool started_ = false;
};

}  // namespace vswitch::testing
