// SPDX-License-Identifier: Apache-2.0
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "drivers/vport_driver.h"
#include "lib/status/testing/matchers.h"

namespace vswitch::drivers {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using vswitch::testing::IsOk;
using vswitch::testing::StatusIs;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

// ---------------------------------------------------------------- parse

TEST(ParseDriverSpecTest, DriverWithoutArgs) {
  auto spec = ParseDriverSpec("null");
  ASSERT_THAT(spec, IsOk());
  EXPECT_EQ(spec->driver, "null");
  EXPECT_THAT(spec->args, IsEmpty());
}

TEST(ParseDriverSpecTest, ArgsKeepSpecOrder) {
  auto spec = ParseDriverSpec("pcap:tx_pcap=/tmp/b.pcap,rx_pcap=/tmp/a.pcap");
  ASSERT_THAT(spec, IsOk());
  EXPECT_EQ(spec->driver, "pcap");
  EXPECT_THAT(spec->args,
              ElementsAre(Pair("tx_pcap", "/tmp/b.pcap"), Pair("rx_pcap", "/tmp/a.pcap")));
}

TEST(ParseDriverSpecTest, FindReturnsValueOrNull) {
  auto spec = ParseDriverSpec("tap:iface=vm1");
  ASSERT_THAT(spec, IsOk());
  ASSERT_NE(spec->Find("iface"), nullptr);
  EXPECT_EQ(*spec->Find("iface"), "vm1");
  EXPECT_EQ(spec->Find("mac"), nullptr);
}

TEST(ParseDriverSpecTest, MissingDriverNameIsInvalid) {
  EXPECT_THAT(ParseDriverSpec(""), StatusIs(kInvalid, HasSubstr("missing driver")));
  EXPECT_THAT(ParseDriverSpec(":iface=x"),
              StatusIs(kInvalid, AllOf(HasSubstr("':iface=x'"), HasSubstr("missing driver"))));
}

TEST(ParseDriverSpecTest, KeyWithoutValueIsInvalid) {
  EXPECT_THAT(ParseDriverSpec("tap:iface"),
              StatusIs(kInvalid, AllOf(HasSubstr("'iface'"), HasSubstr("not key=value"))));
}

TEST(ParseDriverSpecTest, EmptyValueIsInvalid) {
  EXPECT_THAT(ParseDriverSpec("tap:iface="), StatusIs(kInvalid, HasSubstr("not key=value")));
}

TEST(ParseDriverSpecTest, EmptyKeyIsInvalid) {
  EXPECT_THAT(ParseDriverSpec("tap:=vm1"), StatusIs(kInvalid, HasSubstr("not key=value")));
}

TEST(ParseDriverSpecTest, ColonWithNothingAfterIsInvalid) {
  // "tap:" names a driver and then promises arguments it does not give.
  EXPECT_THAT(ParseDriverSpec("tap:"), StatusIs(kInvalid, HasSubstr("'tap:'")));
}

TEST(ParseDriverSpecTest, TrailingCommaIsInvalid) {
  EXPECT_THAT(ParseDriverSpec("tap:iface=vm1,"),
              StatusIs(kInvalid, AllOf(HasSubstr("'tap:iface=vm1,'"), HasSubstr("trailing"))));
}

TEST(ParseDriverSpecTest, EmptyArgumentBetweenCommasIsInvalid) {
  EXPECT_THAT(ParseDriverSpec("pcap:rx_pcap=a,,tx_pcap=b"),
              StatusIs(kInvalid, HasSubstr("not key=value")));
}

TEST(ParseDriverSpecTest, RepeatedKeyIsInvalid) {
  EXPECT_THAT(ParseDriverSpec("tap:iface=a,iface=b"),
              StatusIs(kInvalid, AllOf(HasSubstr("'iface'"), HasSubstr("repeated"))));
}

TEST(ParseDriverSpecTest, PcapQueueKeysMayRepeat) {
  // net_pcap opens one queue per occurrence (several forwarding lcores need
  // several TX queues); its other keys may not repeat.
  auto spec = ParseDriverSpec("pcap:rx_pcap=/a,tx_pcap=/dev/null,tx_pcap=/dev/null");
  ASSERT_THAT(spec, IsOk());
  EXPECT_EQ(spec->args.size(), 3u);
  EXPECT_THAT(ParseDriverSpec("pcap:rx_pcap=/a,infinite_rx=1,infinite_rx=1"),
              StatusIs(kInvalid, HasSubstr("repeated")));
}

TEST(ParseDriverSpecTest, BlankInValueIsInvalid) {
  EXPECT_THAT(ParseDriverSpec("pcap:rx_pcap=/tmp/a b"),
              StatusIs(kInvalid, AllOf(HasSubstr("'rx_pcap'"), HasSubstr("blank"))));
}

TEST(ParseDriverSpecTest, SemicolonInValueIsInvalid) {
  EXPECT_THAT(ParseDriverSpec("tap:iface=a;rm"), StatusIs(kInvalid, HasSubstr("'iface'")));
}

// ---------------------------------------------------------------- validate

TEST(ValidateDriverSpecTest, KnownDriversAreAccepted) {
  for (const char* spec : {"tap:iface=vm1", "af_packet:iface=eth0", "pcap:rx_pcap=/tmp/a.pcap",
                           "ring", "null", "null:no-rx=1", "vhost",
                           "vhost:path=/run/vm1.sock", "vhost:client=1,path=/tmp/q.sock"}) {
    SCOPED_TRACE(spec);
    EXPECT_THAT(ValidateDriverSpec(spec, /*check_host=*/false), IsOk());
  }
}

TEST(ValidateDriverSpecTest, UnknownDriverIsInvalidAndListsKnownOnes) {
  EXPECT_THAT(ValidateDriverSpec("vdpa:path=/x", false),
              StatusIs(kInvalid, AllOf(HasSubstr("'vdpa'"), HasSubstr("tap"), HasSubstr("vhost"),
                                       HasSubstr("af_packet"), HasSubstr("null"))));
}

TEST(ValidateDriverSpecTest, UnknownKeyIsInvalidAndNamesIt) {
  EXPECT_THAT(ValidateDriverSpec("tap:iface=vm1,mac=02:00:00:00:00:01", false),
              StatusIs(kInvalid, AllOf(HasSubstr("'mac'"), HasSubstr("iface"))));
}

TEST(ValidateDriverSpecTest, RingTakesNoKeys) {
  EXPECT_THAT(ValidateDriverSpec("ring:size=4", false), StatusIs(kInvalid, HasSubstr("'size'")));
}

TEST(ValidateDriverSpecTest, TapWithoutIfaceIsInvalid) {
  EXPECT_THAT(ValidateDriverSpec("tap", false), StatusIs(kInvalid, HasSubstr("iface=NAME")));
}

TEST(ValidateDriverSpecTest, AfPacketWithoutIfaceIsInvalid) {
  EXPECT_THAT(ValidateDriverSpec("af_packet:qpairs=2", false),
              StatusIs(kInvalid, HasSubstr("iface=NAME")));
}

TEST(ValidateDriverSpecTest, IfaceNameLongerThan15IsInvalid) {
  EXPECT_THAT(ValidateDriverSpec("tap:iface=" + std::string(15, 'a'), false), IsOk());
  EXPECT_THAT(ValidateDriverSpec("tap:iface=" + std::string(16, 'a'), false),
              StatusIs(kInvalid, AllOf(HasSubstr("iface"), HasSubstr("1..15"))));
}

TEST(ValidateDriverSpecTest, IfaceNameWithSlashIsInvalid) {
  EXPECT_THAT(ValidateDriverSpec("tap:iface=a/b", false),
              StatusIs(kInvalid, AllOf(HasSubstr("'a/b'"), HasSubstr("'/'"))));
}

TEST(ValidateDriverSpecTest, PcapWithoutArgsIsInvalid) {
  EXPECT_THAT(ValidateDriverSpec("pcap", false), StatusIs(kInvalid, HasSubstr("pcap")));
}

TEST(ValidateDriverSpecTest, TapOnExistingInterfaceIsAlreadyExistsWithHostCheck) {
  // "lo" exists on every Linux host.
  EXPECT_THAT(ValidateDriverSpec("tap:iface=lo", false), IsOk());
  EXPECT_THAT(ValidateDriverSpec("tap:iface=lo", true),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("'lo'")));
}

TEST(ValidateDriverSpecTest, AfPacketOnMissingInterfaceIsNotFoundWithHostCheck) {
  EXPECT_THAT(ValidateDriverSpec("af_packet:iface=vsnosuch0", false), IsOk());
  EXPECT_THAT(ValidateDriverSpec("af_packet:iface=vsnosuch0", true),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("'vsnosuch0'")));
}

TEST(FindDriverTest, EveryRegisteredDriverIsFoundByName) {
  ASSERT_FALSE(AllDrivers().empty());
  for (const VportDriver* d : AllDrivers()) {
    SCOPED_TRACE(d->name);
    auto found = FindDriver(d->name);
    ASSERT_THAT(found, IsOk());
    EXPECT_EQ(*found, d);
  }
}

// ---------------------------------------------------------------- vdev request

TEST(BuildVdevRequestTest, NameIsDpdkDriverAndUniqueSuffix) {
  auto req = BuildVdevRequest("null", 7);
  ASSERT_THAT(req, IsOk());
  EXPECT_EQ(req->name, "net_null_vs7");
  EXPECT_EQ(req->devargs, "net_null_vs7");
}

TEST(BuildVdevRequestTest, DevargsCarryArgsInSpecOrder) {
  auto req = BuildVdevRequest("pcap:tx_pcap=/tmp/b.pcap,rx_pcap=/tmp/a.pcap", 3);
  ASSERT_THAT(req, IsOk());
  EXPECT_EQ(req->name, "net_pcap_vs3");
  EXPECT_EQ(req->devargs, "net_pcap_vs3,tx_pcap=/tmp/b.pcap,rx_pcap=/tmp/a.pcap");
}

TEST(BuildVdevRequestTest, TapRequestNamesInterface) {
  auto req = BuildVdevRequest("tap:iface=vsutnew0", 12);
  ASSERT_THAT(req, IsOk());
  EXPECT_EQ(req->devargs, "net_tap_vs12,iface=vsutnew0");
}

TEST(BuildVdevRequestTest, ParseErrorIsReturned) {
  EXPECT_THAT(BuildVdevRequest("tap:iface=a,", 1), StatusIs(kInvalid, HasSubstr("trailing")));
}

TEST(BuildVdevRequestTest, UnknownDriverIsReturned) {
  EXPECT_THAT(BuildVdevRequest("vdpa", 1), StatusIs(kInvalid, HasSubstr("'vdpa'")));
}

TEST(BuildVdevRequestTest, HostCheckIsApplied) {
  EXPECT_THAT(BuildVdevRequest("tap:iface=lo", 1),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("'lo'")));
}

// ---------------------------------------------------------------- vhost

TEST(VhostSpecTest, BadValuesAreInvalidAndNamed) {
  EXPECT_THAT(ValidateDriverSpec("vhost:client=yes", false),
              StatusIs(kInvalid, AllOf(HasSubstr("client 'yes'"), HasSubstr("0 or 1"))));
  EXPECT_THAT(ValidateDriverSpec("vhost:path=vm1.sock", false),
              StatusIs(kInvalid, AllOf(HasSubstr("'vm1.sock'"), HasSubstr("absolute"))));
  EXPECT_THAT(ValidateDriverSpec("vhost:path=/run/", false),
              StatusIs(kInvalid, HasSubstr("'/run/'")));
  EXPECT_THAT(ValidateDriverSpec("vhost:path=/" + std::string(106, 'a'), false), IsOk());
  EXPECT_THAT(ValidateDriverSpec("vhost:path=/" + std::string(107, 'a'), false),
              StatusIs(kInvalid, HasSubstr("at most 107")));
  // Queue pairs are the vport's `queues`, not a driver key.
  EXPECT_THAT(ValidateDriverSpec("vhost:queues=2", false),
              StatusIs(kInvalid, AllOf(HasSubstr("'queues'"), HasSubstr("path, client"))));
}

// A scratch directory, removed with what is in it.
class VhostBuildTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vs_vhost_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::filesystem::remove_all(dir_);
  }
  // A unix socket bound at `path`; listening unless `listen_too` is false
  // (then closed: a stale file as a crashed process leaves it).
  int BindAt(const std::string& path, bool listen_too) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    if (listen_too) {
      EXPECT_EQ(listen(fd, 1), 0);
      return fd;
    }
    close(fd);
    return -1;
  }
  std::string dir_;
};

TEST_F(VhostBuildTest, DefaultPathIsVhostDirAndVportNameAndDirIsCreated) {
  const std::string vhost_dir = dir_ + "/run";
  auto req = BuildVdevRequest(
      "vhost", 4, {.vport_name = "vm1", .vhost_dir = vhost_dir, .rx_queues = 2, .tx_queues = 1});
  ASSERT_THAT(req, IsOk());
  EXPECT_EQ(req->name, "net_vhost_vs4");
  EXPECT_EQ(req->devargs, "net_vhost_vs4,iface=" + vhost_dir + "/vm1.sock,queues=2,client=0");
  EXPECT_TRUE(std::filesystem::is_directory(vhost_dir));
}

TEST_F(VhostBuildTest, QueuesCoverEveryForwardingLcoreAndClientIsPassedOn) {
  auto req = BuildVdevRequest("vhost:client=1,path=/tmp/qemu-vm1.sock", 2,
                              {.vport_name = "vm1", .vhost_dir = "", .rx_queues = 1, .tx_queues = 3});
  ASSERT_THAT(req, IsOk());
  EXPECT_EQ(req->devargs, "net_vhost_vs2,iface=/tmp/qemu-vm1.sock,queues=3,client=1");
}

TEST_F(VhostBuildTest, WithoutPathNeedsTheVportName) {
  EXPECT_THAT(BuildVdevRequest("vhost", 1), StatusIs(kInvalid, HasSubstr("path=SOCKET")));
}

TEST_F(VhostBuildTest, StaleServerSocketIsReplaced) {
  const std::string path = dir_ + "/vm1.sock";
  BindAt(path, /*listen_too=*/false);
  ASSERT_TRUE(std::filesystem::exists(path));
  EXPECT_THAT(BuildVdevRequest("vhost:path=" + path, 1), IsOk());
  EXPECT_FALSE(std::filesystem::exists(path));  // net_vhost binds it anew.
}

TEST_F(VhostBuildTest, LiveServerSocketIsAlreadyExists) {
  const std::string path = dir_ + "/vm1.sock";
  int fd = BindAt(path, /*listen_too=*/true);
  EXPECT_THAT(BuildVdevRequest("vhost:path=" + path, 1),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       AllOf(HasSubstr(path), HasSubstr("listening"))));
  // A client connects to whoever listens: no conflict.
  EXPECT_THAT(BuildVdevRequest("vhost:client=1,path=" + path, 1), IsOk());
  close(fd);
  EXPECT_TRUE(std::filesystem::exists(path));
}

TEST_F(VhostBuildTest, FileThatIsNoSocketIsAlreadyExists) {
  const std::string path = dir_ + "/vm1.sock";
  { std::ofstream(path) << "x"; }
  EXPECT_THAT(BuildVdevRequest("vhost:path=" + path, 1),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("not a socket")));
  EXPECT_TRUE(std::filesystem::exists(path));
}

// ---------------------------------------------------------------- queue counts

// An uplink with one forwarding lcore transmits on 3 queues (lcore, encap,
// ARP); a VM vport with two lcores on 2.
BuildContext Queues(uint16_t rx, uint16_t tx) {
  BuildContext ctx;
  ctx.rx_queues = rx;
  ctx.tx_queues = tx;
  return ctx;
}
const BuildContext kUplink1Lcore = Queues(1, 3);
const BuildContext kVm2Lcores = Queues(1, 2);

TEST(QueueCountTest, AfPacketWithoutQpairsGetsOnePairPerQueueNeeded) {
  // "lo" exists on every Linux host (the host check runs here).
  auto req = BuildVdevRequest("af_packet:iface=lo", 1, kUplink1Lcore);
  ASSERT_THAT(req, IsOk());
  EXPECT_EQ(req->devargs, "net_af_packet_vs1,iface=lo,qpairs=3");
  // `queues` beyond the TX queues: as many pairs.
  req = BuildVdevRequest("af_packet:iface=lo", 1, Queues(4, 3));
  ASSERT_THAT(req, IsOk());
  EXPECT_EQ(req->devargs, "net_af_packet_vs1,iface=lo,qpairs=4");
  req = BuildVdevRequest("af_packet:iface=lo", 1);
  ASSERT_THAT(req, IsOk());
  EXPECT_EQ(req->devargs, "net_af_packet_vs1,iface=lo,qpairs=1");
}

TEST(QueueCountTest, AfPacketQpairsGivenIsKeptWhenEnough) {
  auto req = BuildVdevRequest("af_packet:iface=lo,qpairs=5", 1, kUplink1Lcore);
  ASSERT_THAT(req, IsOk());
  EXPECT_EQ(req->devargs, "net_af_packet_vs1,iface=lo,qpairs=5");
}

TEST(QueueCountTest, AfPacketQpairsTooFewIsInvalidAndNamesTheMinimum) {
  EXPECT_THAT(BuildVdevRequest("af_packet:iface=lo,qpairs=2", 1, kUplink1Lcore),
              StatusIs(kInvalid, AllOf(HasSubstr("qpairs=2"), HasSubstr("at least 3"),
                                       HasSubstr("transmits on 3 queues"))));
  EXPECT_THAT(BuildVdevRequest("af_packet:iface=lo,qpairs=3", 1, Queues(4, 3)),
              StatusIs(kInvalid, AllOf(HasSubstr("at least 4"), HasSubstr("queues"))));
}

TEST(QueueCountTest, AfPacketQpairsMustBeANumberInRange) {
  for (const char* bad : {"0", "abc", "257", "-1"}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(ValidateDriverSpec(std::string("af_packet:iface=lo,qpairs=") + bad, false),
                StatusIs(kInvalid, AllOf(HasSubstr("qpairs"), HasSubstr("1..256"))));
  }
  EXPECT_THAT(ValidateDriverSpec("af_packet:iface=lo,framesz=big", false),
              StatusIs(kInvalid, HasSubstr("framesz 'big'")));
}

TEST(QueueCountTest, PcapIfaceBecomesOneReceiveAndOneSendHandlePerQueue) {
  auto req = BuildVdevRequest("pcap:iface=lo", 2, kUplink1Lcore);
  ASSERT_THAT(req, IsOk());
  EXPECT_EQ(req->devargs,
            "net_pcap_vs2,rx_iface_in=lo,tx_iface=lo,tx_iface=lo,tx_iface=lo");
  // One TX queue is enough: net_pcap's own single-handle pair.
  req = BuildVdevRequest("pcap:iface=lo", 2);
  ASSERT_THAT(req, IsOk());
  EXPECT_EQ(req->devargs, "net_pcap_vs2,iface=lo");
  EXPECT_THAT(BuildVdevRequest("pcap:iface=lo,phy_mac=1", 2, kVm2Lcores),
              StatusIs(kInvalid, AllOf(HasSubstr("phy_mac=1"), HasSubstr("2 transmit queues"))));
  EXPECT_THAT(BuildVdevRequest("pcap:iface=lo", 2, Queues(2, 1)),
              StatusIs(kInvalid, HasSubstr("queues 2")));
}

TEST(QueueCountTest, PcapSourceOnlyGetsDevNullDumpers) {
  auto req = BuildVdevRequest("pcap:rx_pcap=/tmp/a.pcap", 2, kVm2Lcores);
  ASSERT_THAT(req, IsOk());
  EXPECT_EQ(req->devargs, "net_pcap_vs2,rx_pcap=/tmp/a.pcap,tx_pcap=/dev/null,tx_pcap=/dev/null");
  // One lcore: net_pcap's own dropping queue serves.
  req = BuildVdevRequest("pcap:rx_pcap=/tmp/a.pcap", 2);
  ASSERT_THAT(req, IsOk());
  EXPECT_EQ(req->devargs, "net_pcap_vs2,rx_pcap=/tmp/a.pcap");
}

TEST(QueueCountTest, PcapTxIfaceIsRepeatedTxFileIsNot) {
  auto req = BuildVdevRequest("pcap:rx_iface_in=lo,tx_iface=lo", 2, kVm2Lcores);
  ASSERT_THAT(req, IsOk());
  EXPECT_EQ(req->devargs, "net_pcap_vs2,rx_iface_in=lo,tx_iface=lo,tx_iface=lo");
  EXPECT_THAT(BuildVdevRequest("pcap:tx_pcap=/tmp/b.pcap", 2, kVm2Lcores),
              StatusIs(kInvalid, AllOf(HasSubstr("1 given"), HasSubstr("at least 2"))));
  EXPECT_THAT(BuildVdevRequest("pcap:tx_pcap=/tmp/b.pcap,tx_pcap=/tmp/c.pcap", 2, kVm2Lcores),
              IsOk());
}

TEST(QueueCountTest, PcapQueuesBeyondItsReceiveKeysIsInvalid) {
  EXPECT_THAT(BuildVdevRequest("pcap:rx_pcap=/tmp/a.pcap", 2, Queues(2, 1)),
              StatusIs(kInvalid, AllOf(HasSubstr("queues 2"), HasSubstr("1 given"))));
  EXPECT_THAT(BuildVdevRequest("pcap:tx_pcap=/tmp/b.pcap", 2, Queues(2, 1)),
              StatusIs(kInvalid, HasSubstr("receives nothing")));
}

TEST(QueueCountTest, PcapSpecsNetPcapWouldMisreadAreInvalid) {
  EXPECT_THAT(ValidateDriverSpec("pcap:phy_mac=1", false),
              StatusIs(kInvalid, HasSubstr("at least one of")));
  EXPECT_THAT(ValidateDriverSpec("pcap:iface=lo,tx_pcap=/tmp/b.pcap", false),
              StatusIs(kInvalid, HasSubstr("cannot be combined")));
  EXPECT_THAT(ValidateDriverSpec("pcap:rx_iface=lo,rx_iface_in=lo", false),
              StatusIs(kInvalid, AllOf(HasSubstr("rx_iface_in 'lo'"), HasSubstr("every frame"))));
}

TEST(QueueCountTest, RxQueuesToPollFollowTheDriversModel) {
  EXPECT_EQ(RxQueuesToPoll(RxQueueModel::kAsAsked, 1, 3, 16), 1);
  EXPECT_EQ(RxQueuesToPoll(RxQueueModel::kAtLeastTx, 1, 3, 16), 3);
  EXPECT_EQ(RxQueuesToPoll(RxQueueModel::kAtLeastTx, 4, 3, 16), 4);
  // af_packet with qpairs=3: all three sockets of the fanout group.
  EXPECT_EQ(RxQueuesToPoll(RxQueueModel::kAllOpened, 1, 3, 3), 3);
  EXPECT_EQ(RxQueuesToPoll(RxQueueModel::kAllOpened, 1, 1, 5), 5);
}

TEST(QueueCountTest, EveryDriverWithProbeTimeQueuesPollsAllOfThem) {
  for (const char* name : {"af_packet", "pcap"}) {
    auto d = FindDriver(name);
    ASSERT_THAT(d, IsOk());
    EXPECT_EQ((*d)->rx_model, RxQueueModel::kAllOpened) << name;
    EXPECT_NE((*d)->prepare, nullptr) << name;
  }
  for (const char* name : {"tap", "vhost"}) {
    auto d = FindDriver(name);
    ASSERT_THAT(d, IsOk());
    EXPECT_EQ((*d)->rx_model, RxQueueModel::kAtLeastTx) << name;
  }
}

}  // namespace
}  // namespace vswitch::drivers
