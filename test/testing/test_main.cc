// SPDX-License-Identifier: Apache-2.0
//
// main() of every unit test binary that needs DPDK: EAL starts once, before
// the first test, through EalEnvironment.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test/testing/eal_environment.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleMock(&argc, argv);
  // gtest owns the environment and deletes it after the last test.
  ::testing::AddGlobalTestEnvironment(new vswitch::testing::EalEnvironment(argv[0]));
  return RUN_ALL_TESTS();
}
