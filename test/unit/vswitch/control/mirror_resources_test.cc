// SPDX-License-Identifier: Apache-2.0
//
// MirrorResources on real DPDK rings and a real capture directory (a fresh
// one under the test's temporary directory): counter slots, rings per
// worker, pcapng writers and what is refused.
#include "vswitch/control/mirror_resources.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_ring.h>

#include <cstdlib>
#include <string>

#include "lib/status/testing/matchers.h"
#include "vswitch/dataplane/pcapng_writer.h"

namespace vswitch::control {
namespace {

using ::testing::HasSubstr;
using vswitch::testing::StatusIs;

v1::MirrorDestination Dest(uint32_t id, const std::string& file) {
  v1::MirrorDestination d;
  d.set_id(id);
  d.set_name("d" + std::to_string(id));
  if (!file.empty()) {
    d.mutable_pcapng()->set_file(file);
  }
  return d;
}

class MirrorResourcesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "mirror_resources_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    // Not made yet: the first pcapng destination creates it.
    capture_dir_ = root_ + "/captures/a";
  }
  void TearDown() override {
    const int rc = std::system(("rm -rf '" + root_ + "'").c_str());
    EXPECT_EQ(rc, 0);
  }

  std::string root_;
  std::string capture_dir_;
};

TEST(MirrorResourcesSlotTest, FreeSlotIsTheSmallestUnusedUpTo32) {
  MirrorResources::SlotMap slots;
  EXPECT_EQ(MirrorResources::FreeSlot(slots), 0);
  slots[7] = 0;
  slots[9] = 2;
  EXPECT_EQ(MirrorResources::FreeSlot(slots), 1);
  for (uint16_t s = 0; s < 32; ++s) {
    slots[100 + s] = s;
  }
  EXPECT_EQ(MirrorResources::FreeSlot(slots), -1);
}

TEST_F(MirrorResourcesTest, RingsPerWorkerWithoutAWriterForACollectorDestination) {
  MirrorResources mirror(3, 64, capture_dir_);
  absl::StatusOr<DestRings> rings = mirror.CreateRings(Dest(5, ""), "destination", false, "x.");
  ASSERT_TRUE(rings.ok()) << rings.status();
  for (uint16_t w = 0; w < 3; ++w) {
    ASSERT_NE((*rings)[w], nullptr);
    EXPECT_EQ(std::string((*rings)[w]->name), "mr_d5_w" + std::to_string(w));
    EXPECT_EQ(rte_ring_get_capacity((*rings)[w]), 63u);
  }
  EXPECT_EQ((*rings)[3], nullptr);
  EXPECT_EQ(rings->pcapng, nullptr);
  struct stat st;
  EXPECT_NE(stat(capture_dir_.c_str(), &st), 0);  // Only pcapng makes the directory.
  MirrorResources::FreeRings(*rings);
  EXPECT_EQ(rte_ring_lookup("mr_d5_w0"), nullptr);
}

// A pcapng destination makes --capture_dir and opens its file there.
TEST_F(MirrorResourcesTest, PcapngDestinationCreatesTheDirectoryAndItsFile) {
  MirrorResources mirror(1, 64, capture_dir_);
  absl::StatusOr<DestRings> rings =
      mirror.CreateRings(Dest(6, "cap.pcapng"), "destination", false, "destination.");
  ASSERT_TRUE(rings.ok()) << rings.status();
  ASSERT_NE(rings->pcapng, nullptr);
  struct stat st;
  ASSERT_EQ(stat((capture_dir_ + "/cap.pcapng").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_GT(st.st_size, 0);  // The section header block.
  mirror.state().dest_rings[6] = *rings;
  EXPECT_EQ(mirror.PcapngFileIndex(6), 0u);
  EXPECT_EQ(mirror.PcapngFileIndex(7), std::nullopt);
  MirrorResources::FreeRings(*rings);
  mirror.state().dest_rings.clear();
}

TEST_F(MirrorResourcesTest, SymlinkIsRefusedAndNothingStaysAllocated) {
  ASSERT_EQ(mkdir((root_ + "/captures").c_str(), 0750), 0);
  ASSERT_EQ(mkdir(capture_dir_.c_str(), 0750), 0);
  ASSERT_EQ(symlink("/etc/passwd", (capture_dir_ + "/link.pcapng").c_str()), 0);
  MirrorResources mirror(2, 64, capture_dir_);
  absl::StatusOr<DestRings> rings =
      mirror.CreateRings(Dest(8, "link.pcapng"), "destinations", true, "destinations[3].");
  EXPECT_THAT(rings.status(), StatusIs(absl::StatusCode::kInvalidArgument,
                                       HasSubstr("destinations[3].pcapng.file: 'link.pcapng'")));
  EXPECT_THAT(rings.status().message(), HasSubstr("a symbolic link"));
  EXPECT_EQ(rte_ring_lookup("mr_d8_w0"), nullptr);  // Freed on the error.
  EXPECT_EQ(rte_ring_lookup("mr_d8_w1"), nullptr);
}

TEST_F(MirrorResourcesTest, RingNameInUseIsResourceExhaustedNamingTheDestination) {
  MirrorResources mirror(2, 64, capture_dir_);
  rte_ring* taken = rte_ring_create("mr_d9_w1", 64, SOCKET_ID_ANY, 0);
  ASSERT_NE(taken, nullptr);
  absl::StatusOr<DestRings> rings = mirror.CreateRings(Dest(9, ""), "destinations", true, "x.");
  EXPECT_THAT(rings.status(),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("destinations: cannot create mirror ring mr_d9_w1 for 'd9'")));
  EXPECT_EQ(rte_ring_lookup("mr_d9_w0"), nullptr);  // The first one is freed again.
  rte_ring_free(taken);
}

}  // namespace
}  // namespace vswitch::control
