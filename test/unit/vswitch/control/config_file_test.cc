// SPDX-License-Identifier: Apache-2.0
#include "vswitch/control/config_file.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <gmock/gmock.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "lib/status/testing/matchers.h"

namespace vswitch::control {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using vswitch::testing::IsOk;
using vswitch::testing::StatusIs;

constexpr char kGood[] = R"pb(
vnets { id: 1 name: "blue" tenant: "t1" vni: 100 prefixes: "10.0.0.0/24" }
vports {
  id: 3
  name: "vm1"
  kind: VPORT_KIND_VM
  vnet: "blue"
  driver: "ring"
  vm_macs: "02:00:00:00:00:01"
  queues: 1
  admin_state: ADMIN_STATE_UP
}
vports { id: 4 name: "vm2" kind: VPORT_KIND_VM vnet: "blue" driver: "ring" queues: 1 }
fdb { vnet: "blue" mac: "02:00:00:00:00:99" vport: "vm2" }
)pb";

// A fresh directory under /tmp, removed with its files at the end.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/config_file_test.XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::string cmd = "rm -rf '" + path_ + "'";
    (void)std::system(cmd.c_str());
  }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  // Names of the entries of the directory (no . and ..).
  std::vector<std::string> Entries() const {
    std::vector<std::string> out;
    DIR* d = opendir(path_.c_str());
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") {
        out.push_back(n);
      }
    }
    closedir(d);
    return out;
  }

 private:
  std::string path_;
};

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ConfigFileTest, GoodTextParses) {
  auto c = ParseConfigText(kGood, "cfg");
  ASSERT_THAT(c.status(), IsOk());
  EXPECT_EQ(c->vnets_size(), 1);
  ASSERT_EQ(c->vports_size(), 2);
  EXPECT_EQ(c->vports(0).id(), 3u);
  EXPECT_EQ(c->vports(1).name(), "vm2");
  EXPECT_EQ(c->fdb(0).vport(), "vm2");
}

TEST(ConfigFileTest, GoodFileLoadsAndValidates) {
  TempDir dir;
  WriteFile(dir.File("c.textproto"), kGood);
  auto c = LoadConfigFile(dir.File("c.textproto"));
  ASSERT_THAT(c.status(), IsOk());
  ASSERT_TRUE(c->has_value());
  EXPECT_EQ((*c)->vports_size(), 2);
}

TEST(ConfigFileTest, MissingFileIsNoConfig) {
  TempDir dir;
  auto c = LoadConfigFile(dir.File("absent.textproto"));
  ASSERT_THAT(c.status(), IsOk());
  EXPECT_FALSE(c->has_value());
}

TEST(ConfigFileTest, SyntaxErrorNamesFileAndLine) {
  TempDir dir;
  const std::string path = dir.File("c.textproto");
  // Line 3 opens a message that never closes.
  WriteFile(path, "vnets { name: \"a\" tenant: \"t\" vni: 1 }\n\nvports { name: \"vm1\"\n");
  auto c = LoadConfigFile(path);
  EXPECT_THAT(c.status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(path + ":4:")));
}

TEST(ConfigFileTest, UnknownFieldNamesLineAndColumn) {
  auto c = ParseConfigText("vnets {\n  name: \"a\"\n  colour: 3\n}\n", "cfg");
  EXPECT_THAT(c.status(), StatusIs(absl::StatusCode::kInvalidArgument,
                                   AllOf(HasSubstr("cfg:3:"), HasSubstr("colour"))));
}

TEST(ConfigFileTest, LoaderAppliesDefaults) {
  TempDir dir;
  WriteFile(dir.File("c.textproto"), kGood);
  auto c = LoadConfigFile(dir.File("c.textproto"));
  ASSERT_THAT(c.status(), IsOk());
  EXPECT_EQ((*c)->vports(1).admin_state(), v1::ADMIN_STATE_UP);
}

TEST(ConfigFileTest, InvalidFieldNamesFieldPath) {
  TempDir dir;
  const std::string path = dir.File("c.textproto");
  std::string text = kGood;
  text += "vports { id: 5 name: \"vm3\" vnet: \"green\" driver: \"ring\" }\n";
  WriteFile(path, text);
  auto c = LoadConfigFile(path);
  EXPECT_THAT(c.status(), StatusIs(absl::StatusCode::kNotFound,
                                   AllOf(HasSubstr(path + ": "), HasSubstr("vports[2].vnet"))));
}

TEST(ConfigFileTest, WriteThenLoadRoundTrips) {
  TempDir dir;
  const std::string path = dir.File("sub/dir/c.textproto");  // Parents are created.
  auto c = ParseConfigText(kGood, "cfg");
  ASSERT_THAT(c.status(), IsOk());
  ASSERT_THAT(WriteConfigFileAtomically(*c, path), IsOk());
  auto back = LoadConfigFile(path);
  ASSERT_THAT(back.status(), IsOk());
  ASSERT_TRUE(back->has_value());
  NormalizeConfig(&*c);  // The loader applies defaults.
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*c, **back));
}

TEST(ConfigFileTest, RewriteReplacesAndLeavesNoTempFile) {
  TempDir dir;
  const std::string path = dir.File("c.textproto");
  auto c = ParseConfigText(kGood, "cfg");
  ASSERT_THAT(c.status(), IsOk());
  ASSERT_THAT(WriteConfigFileAtomically(*c, path), IsOk());
  c->mutable_vports()->DeleteSubrange(1, 1);
  c->clear_fdb();
  ASSERT_THAT(WriteConfigFileAtomically(*c, path), IsOk());
  EXPECT_THAT(ReadFile(path), Not(HasSubstr("vm2")));
  EXPECT_EQ(dir.Entries(), std::vector<std::string>{"c.textproto"});
}

TEST(ConfigFileTest, FailedWriteIsUnavailableNamingPathAndErrno) {
  TempDir dir;
  // A regular file where the directory should be: mkstemp fails with ENOTDIR.
  WriteFile(dir.File("notadir"), "x");
  const std::string path = dir.File("notadir/c.textproto");
  auto c = ParseConfigText(kGood, "cfg");
  ASSERT_THAT(c.status(), IsOk());
  EXPECT_THAT(WriteConfigFileAtomically(*c, path),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr(path), HasSubstr("errno"))));
  EXPECT_EQ(ReadFile(dir.File("notadir")), "x");
}

}  // namespace
}  // namespace vswitch::control
