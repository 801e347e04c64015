// SPDX-License-Identifier: Apache-2.0
#include "test/testing/eal_environment.h"

#include <rte_eal.h>

#include "test/testing/eal.h"

namespace vswitch::testing {

void EalEnvironment::SetUp() {
  started_ = StartEal(argv0_, "ut");
  ASSERT_TRUE(started_) << "EAL did not start; every test needs it";
}

void EalEnvironment::TearDown() {
  if (started_) {
    rte_eal_cleanup();
  }
}

}  // namespace vswitch::testing
