// SPDX-License-Identifier: Apache-2.0
//
// Completion candidates over the real command table with a fake name
// provider: no daemon, no terminal.
#include "vswitch/shell/completer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "vswitch/shell/commands.h"

namespace vswitch::shell {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

using Words = std::vector<std::string>;

const CommandTable& Table() {
  static const auto* const kTable = new CommandTable(VSwitchCommands());
  return *kTable;
}

// Answers from a fixed map and records what was asked.
class FakeNames : public NameProvider {
 public:
  std::vector<std::string> Names(ValueType type) override {
    asked.push_back(type);
    auto it = names.find(type);
    return it == names.end() ? std::vector<std::string>{} : it->second;
  }

  std::map<ValueType, std::vector<std::string>> names = {
      {ValueType::kVNetName, {"red", "blue"}},
      {ValueType::kVPortName, {"vm2", "vm1", "up0"}},
      {ValueType::kDestinationName, {"col1"}},
      {ValueType::kSessionName, {"s1", "s2"}},
  };
  std::vector<ValueType> asked;
};

std::vector<std::string> Candidates(const Words& words, const std::string& partial) {
  FakeNames names;
  return CompletionCandidates(Table(), words, partial, names);
}

TEST(CompleterTest, PartialVerbCompletesToTheOneVerb) {
  EXPECT_THAT(Candidates({}, "sho"), ElementsAre("show"));
}

TEST(CompleterTest, EmptyLineOffersVerbsAndBuiltins) {
  std::vector<std::string> all = Candidates({}, "");
  EXPECT_THAT(all, Contains("show"));
  EXPECT_THAT(all, Contains("add"));
  EXPECT_THAT(all, Contains("help"));
  EXPECT_THAT(all, Contains("quit"));
  EXPECT_THAT(all, Contains("exit"));
}

TEST(CompleterTest, VerbOffersItsObjectsOnce) {
  std::vector<std::string> objects = Candidates({"del"}, "");
  EXPECT_THAT(objects, Contains("vport"));
  EXPECT_THAT(objects, Contains("vnet"));
  EXPECT_THAT(objects, Not(Contains("show")));
  EXPECT_THAT(Candidates({"show"}, "vp"), ElementsAre("vports"));
}

TEST(CompleterTest, VPortPlaceholderOffersLiveVPortNamesSorted) {
  EXPECT_THAT(Candidates({"del", "vport"}, ""), ElementsAre("up0", "vm1", "vm2"));
  EXPECT_THAT(Candidates({"del", "vport"}, "v"), ElementsAre("vm1", "vm2"));
}

TEST(CompleterTest, AsksOnlyForTheTypeThePlaceholderNames) {
  FakeNames names;
  CompletionCandidates(Table(), Words{"del", "tap-session"}, "", names);
  EXPECT_THAT(names.asked, ElementsAre(ValueType::kSessionName));
}

TEST(CompleterTest, CommandWordsNeverAskForNames) {
  FakeNames names;
  CompletionCandidates(Table(), Words{"show"}, "", names);
  EXPECT_THAT(names.asked, IsEmpty());
}

TEST(CompleterTest, SecondPositionalOffersNamesAgain) {
  EXPECT_THAT(Candidates({"peer", "vnet", "red"}, ""), ElementsAre("blue", "red"));
}

TEST(CompleterTest, CompleteRequiredPositionalsLeadToKeywords) {
  // add vnet NAME tenant TENANT vni N [prefix CIDR]... [arp-suppression on|off]
  EXPECT_THAT(Candidates({"add", "vnet", "green"}, ""),
              UnorderedElementsAre("tenant", "vni", "prefix", "arp-suppression"));
  EXPECT_THAT(Candidates({"add", "vnet", "green", "arp-suppression"}, ""),
              ElementsAre("on", "off"));
}

TEST(CompleterTest, RequiredNewNameOffersNothing) {
  EXPECT_THAT(Candidates({"add", "vnet"}, ""), IsEmpty());
}

TEST(CompleterTest, KeywordValueOffersItsNames) {
  EXPECT_THAT(Candidates({"add", "vport", "vm9", "vnet"}, ""), ElementsAre("blue", "red"));
}

TEST(CompleterTest, UsedKeywordIsNotOfferedAgainButRepeatedOneIs) {
  std::vector<std::string> next =
      Candidates({"add", "vnet", "green", "tenant", "acme", "prefix", "10.0.0.0/24"}, "");
  EXPECT_THAT(next, Not(Contains("tenant")));
  EXPECT_THAT(next, Contains("vni"));
  EXPECT_THAT(next, Contains("prefix"));
}

TEST(CompleterTest, ChoiceKeywordOffersItsChoices) {
  EXPECT_THAT(Candidates({"set", "vport", "vm1", "admin"}, ""), ElementsAre("up", "down"));
  EXPECT_THAT(Candidates({"set", "vport", "vm1", "admin"}, "d"), ElementsAre("down"));
}

TEST(CompleterTest, OptionalPositionalOffersNamesAndKeywords) {
  // flush fdb [VNET] [static]
  EXPECT_THAT(Candidates({"flush", "fdb"}, ""), ElementsAre("blue", "red", "static"));
  EXPECT_THAT(Candidates({"flush", "fdb", "red"}, ""), ElementsAre("static"));
  EXPECT_THAT(Candidates({"flush", "fdb", "static"}, ""), IsEmpty());
}

TEST(CompleterTest, DriverSpecOffersDriverPrefixes) {
  EXPECT_THAT(Candidates({"add", "vport", "vm9", "driver"}, "ta"), ElementsAre("tap:iface="));
}

// `save FILE` / `load FILE` list the typed directory; directories end in
// '/' and are not whole words, so completion goes on inside them.
TEST(CompleterTest, FileArgumentOffersFilesOfTheTypedDirectory) {
  char dir_template[] = "/tmp/vs_completer_XXXXXX";
  const std::string dir = mkdtemp(dir_template);
  std::ofstream(dir + "/saved.textproto") << "";
  std::ofstream(dir + "/.hidden") << "";
  std::filesystem::create_directory(dir + "/sub");
  EXPECT_THAT(Candidates({"load"}, dir + "/s"),
              ElementsAre(dir + "/saved.textproto", dir + "/sub/"));
  EXPECT_THAT(Candidates({"save"}, dir + "/sa"), ElementsAre(dir + "/saved.textproto"));
  EXPECT_THAT(Candidates({"load"}, dir + "/nosuch/x"), IsEmpty());
  EXPECT_FALSE(CompletesWord(dir + "/sub/"));
  EXPECT_TRUE(CompletesWord(dir + "/saved.textproto"));
  std::filesystem::remove_all(dir);
}

TEST(CompleterTest, RemotePortCommandsOfferVNetNamesThenKeywords) {
  EXPECT_THAT(Candidates({"add", "remote-port"}, ""), ElementsAre("blue", "red"));
  EXPECT_THAT(Candidates({"add", "remote-port", "blue", "02:00:00:00:10:01"}, ""),
              ElementsAre("vtep", "ip"));
  EXPECT_THAT(
      Candidates({"add", "remote-port", "blue", "02:00:00:00:10:01", "vtep", "192.0.2.2"}, ""),
      ElementsAre("ip"));
  EXPECT_THAT(Candidates({"del", "remote-port"}, "r"), ElementsAre("red"));
  EXPECT_THAT(Candidates({"show", "remote-ports"}, ""), ElementsAre("blue", "red"));
  EXPECT_THAT(Candidates({"show"}, "vt"), ElementsAre("vteps"));
}

// `load` is a whole command and the start of `load remote-ports`: both
// the next command word and the files are offered, and past it the
// longer command's arguments.
TEST(CompleterTest, LoadOffersRemotePortsAndFiles) {
  EXPECT_THAT(Candidates({"load"}, "remote-p"), ElementsAre("remote-ports"));
  EXPECT_THAT(Candidates({"load", "remote-ports", "rp.txt"}, ""), ElementsAre("vnet"));
  EXPECT_THAT(Candidates({"load", "remote-ports", "rp.txt", "vnet"}, ""),
              ElementsAre("blue", "red"));
  char dir_template[] = "/tmp/vs_completer_XXXXXX";
  const std::string dir = mkdtemp(dir_template);
  std::ofstream(dir + "/rp.txt") << "";
  EXPECT_THAT(Candidates({"load", "remote-ports"}, dir + "/r"), ElementsAre(dir + "/rp.txt"));
  std::filesystem::remove_all(dir);
}

TEST(CompleterTest, HelpCompletesCommandWordsOnly) {
  EXPECT_THAT(Candidates({"help"}, "sho"), ElementsAre("show"));
  EXPECT_THAT(Candidates({"help", "del"}, "vp"), ElementsAre("vport"));
  EXPECT_THAT(Candidates({"help", "del", "vport"}, ""), IsEmpty());
}

TEST(CompleterTest, UnknownCommandOffersNothing) {
  EXPECT_THAT(Candidates({"frobnicate"}, ""), IsEmpty());
}

TEST(CompleterTest, CommonPrefixOfCandidates) {
  EXPECT_EQ(CommonPrefix(Words{"vports", "vnets"}), "v");
  EXPECT_EQ(CommonPrefix(Words{"tap-session", "tap-stats"}), "tap-s");
  EXPECT_EQ(CommonPrefix(Words{}), "");
}

TEST(CompleterTest, DriverPrefixIsNotAWholeWord) {
  EXPECT_FALSE(CompletesWord("tap:iface="));
  EXPECT_TRUE(CompletesWord("show"));
}

TEST(SplitWordsTest, SplitsAtSpacesAndTabs) {
  EXPECT_THAT(SplitWords("  show\tvports  \n"), ElementsAre("show", "vports"));
  EXPECT_THAT(SplitWords("   "), IsEmpty());
}

}  // namespace
}  // namespace vswitch::shell
