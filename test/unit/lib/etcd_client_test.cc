// SPDX-License-Identifier: Apache-2.0
//
// lib/etcd against a real etcd (/usr/bin/etcd) on loopback: members on free
// ports picked here (never 2379/2380), data in a temp dir, killed and
// removed when the fixture ends, also after a failed test.
#include "lib/etcd/etcd_client.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lib/etcd/rpc.grpc.pb.h"
#include "lib/status/testing/matchers.h"

namespace vswitch::etcd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::vswitch::testing::IsOk;
using ::vswitch::testing::StatusIs;

// Free loopback TCP ports, all held open while picking so none repeats.
std::vector<int> FreePorts(int n) {
  std::vector<int> fds;
  std::vector<int> ports;
  for (int i = 0; i < n; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "cannot pick a free port";
      break;
    }
    fds.push_back(fd);
    ports.push_back(ntohs(addr.sin_port));
  }
  for (int fd : fds) {
    close(fd);
  }
  return ports;
}

// Members of one etcd cluster. Lifetime: the destructor kills them and
// removes the data dir.
class EtcdCluster {
 public:
  // tls_dir: serve clients over TLS with ca.pem, server.pem, server.key
  // from there, and require client certificates (signed by ca.pem).
  explicit EtcdCluster(int members, std::string tls_dir = "") : tls_dir_(std::move(tls_dir)) {
    char tmpl[] = "/tmp/etcd_client_test.XXXXXX";
    dir_ = mkdtemp(tmpl) != nullptr ? tmpl : "";
    std::vector<int> ports = FreePorts(2 * members);
    std::vector<std::string> peers;
    for (int i = 0; i < members; ++i) {
      if (ports.size() != 2u * members) {
        return;
      }
      client_ports_.push_back(ports[2 * i]);
      peer_ports_.push_back(ports[2 * i + 1]);
      peers.push_back(absl::StrFormat("m%d=http://127.0.0.1:%d", i, peer_ports_[i]));
    }
    initial_cluster_ = absl::StrJoin(peers, ",");
    pids_.assign(members, -1);
    for (int i = 0; i < members; ++i) {
      Spawn(i);
    }
  }

  ~EtcdCluster() {
    for (size_t i = 0; i < pids_.size(); ++i) {
      Kill(i);
    }
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  // Waits until every member serves linearizable reads (it has a leader).
  ::testing::AssertionResult WaitReady() {
    for (size_t i = 0; i < pids_.size(); ++i) {
      Options o = options();
      o.endpoints = {endpoint(i)};
      o.request_timeout = absl::Seconds(1);
      auto client = Client::Connect(o);
      if (!client.ok()) {
        return ::testing::AssertionFailure() << client.status();
      }
      const absl::Time deadline = absl::Now() + absl::Seconds(15);
      absl::Status last;
      while (!(last = (*client)->Get("/ready").status()).ok()) {
        if (absl::Now() > deadline) {
          return ::testing::AssertionFailure()
                 << "etcd member " << i << " not ready: " << last << "\n" << Log(i);
        }
        absl::SleepFor(absl::Milliseconds(50));
      }
    }
    return ::testing::AssertionSuccess();
  }

  void Kill(size_t i) {
    if (pids_[i] > 0) {
      kill(pids_[i], SIGKILL);
      waitpid(pids_[i], nullptr, 0);
      pids_[i] = -1;
    }
  }

  std::string endpoint(size_t i) const { return absl::StrCat("127.0.0.1:", client_ports_[i]); }
  std::vector<std::string> endpoints() const {
    std::vector<std::string> eps;
    for (size_t i = 0; i < client_ports_.size(); ++i) {
      eps.push_back(endpoint(i));
    }
    return eps;
  }
  size_t size() const { return pids_.size(); }

  // What a client needs to reach the members.
  Options options() const {
    Options o;
    o.endpoints = endpoints();
    if (!tls_dir_.empty()) {
      o.ca_file = tls_dir_ + "/ca.pem";
      o.cert_file = tls_dir_ + "/server.pem";
      o.key_file = tls_dir_ + "/server.key";
    }
    return o;
  }

  std::string Log(size_t i) const {
    std::ifstream in(LogPath(i));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  std::string LogPath(size_t i) const { return absl::StrCat(dir_, "/m", i, ".log"); }

  void Spawn(int i) {
    const char* scheme = tls_dir_.empty() ? "http" : "https";
    std::vector<std::string> args = {
        "/usr/bin/etcd",
        absl::StrCat("--name=m", i),
        absl::StrCat("--data-dir=", dir_, "/m", i),
        absl::StrCat("--listen-client-urls=", scheme, "://127.0.0.1:", client_ports_[i]),
        absl::StrCat("--advertise-client-urls=", scheme, "://127.0.0.1:", client_ports_[i]),
        absl::StrCat("--listen-peer-urls=http://127.0.0.1:", peer_ports_[i]),
        absl::StrCat("--initial-advertise-peer-urls=http://127.0.0.1:", peer_ports_[i]),
        absl::StrCat("--initial-cluster=", initial_cluster_),
        absl::StrCat("--initial-cluster-token=test-", getpid()),
        "--initial-cluster-state=new",
        // Fast elections keep the failover case short.
        "--heartbeat-interval=50",
        "--election-timeout=500",
        "--logger=zap",
        "--log-outputs=stderr",
        "--log-level=warn",
    };
    if (!tls_dir_.empty()) {
      args.push_back(absl::StrCat("--cert-file=", tls_dir_, "/server.pem"));
      args.push_back(absl::StrCat("--key-file=", tls_dir_, "/server.key"));
      args.push_back(absl::StrCat("--trusted-ca-file=", tls_dir_, "/ca.pem"));
      args.push_back("--client-cert-auth");
    }
    std::vector<char*> argv;
    for (std::string& a : args) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    // No ETCD_* from our environment: flags only.
    char path_env[] = "PATH=/usr/bin:/bin";
    char* envp[] = {path_env, nullptr};
    const int log_fd = open(LogPath(i).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid == 0) {
      // Only async-signal-safe calls until exec. The member dies with the
      // test (even on a crash): nothing is left on the box.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) {
        _exit(1);
      }
      if (log_fd >= 0) {
        dup2(log_fd, 1);
        dup2(log_fd, 2);
      }
      execve(argv[0], argv.data(), envp);
      _exit(127);
    }
    if (log_fd >= 0) {
      close(log_fd);
    }
    pids_[i] = pid;
  }

  const std::string tls_dir_;
  std::string dir_;
  std::string initial_cluster_;
  std::vector<int> client_ports_;
  std::vector<int> peer_ports_;
  std::vector<pid_t> pids_;
};

std::unique_ptr<Client> MustConnect(const std::vector<std::string>& endpoints,
                                    absl::Duration timeout = absl::Seconds(5)) {
  Options o;
  o.endpoints = endpoints;
  o.request_timeout = timeout;
  auto client = Client::Connect(o);
  EXPECT_THAT(client.status(), IsOk());
  return client.ok() ? *std::move(client) : nullptr;
}

// Events until `n` arrived or 10 s passed.
std::vector<Event> Collect(Watch& w, size_t n) {
  std::vector<Event> all;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (all.size() < n && absl::Now() < deadline) {
    auto events = w.Next(absl::Milliseconds(500));
    if (!events.ok()) {
      ADD_FAILURE() << events.status();
      break;
    }
    all.insert(all.end(), events->begin(), events->end());
  }
  return all;
}

// One member shared by the tests of the suite; each test uses its own keys.
class EtcdClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cluster_ = new EtcdCluster(1);
    ready_ = cluster_->WaitReady();
    if (ready_) {
      client_ = MustConnect(cluster_->endpoints()).release();
    }
  }
  static void TearDownTestSuite() {
    delete client_;
    client_ = nullptr;
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(ready_);
    ASSERT_NE(client_, nullptr);
  }

  // A Compact RPC (not in the client: the fleet never compacts).
  static void Compact(int64_t revision) {
    auto channel = grpc::CreateChannel(cluster_->endpoint(0), grpc::InsecureChannelCredentials());
    auto kv = etcdserverpb::KV::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    etcdserverpb::CompactionRequest req;
    req.set_revision(revision);
    req.set_physical(true);
    etcdserverpb::CompactionResponse resp;
    grpc::Status s = kv->Compact(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  static EtcdCluster* cluster_;
  static ::testing::AssertionResult ready_;
  static Client* client_;
};

EtcdCluster* EtcdClientTest::cluster_ = nullptr;
::testing::AssertionResult EtcdClientTest::ready_ = ::testing::AssertionFailure();
Client* EtcdClientTest::client_ = nullptr;

TEST(PrefixEndTest, IncrementsTheLastByteBelow0xff) {
  EXPECT_EQ(PrefixEnd("/a/"), "/a0");
  EXPECT_EQ(PrefixEnd("a\xff"), "b");
  EXPECT_EQ(PrefixEnd(""), std::string(1, '\0'));
  EXPECT_EQ(PrefixEnd("\xff\xff"), std::string(1, '\0'));
}

TEST(ConnectTest, RefusesBadEndpoints) {
  Options o;
  EXPECT_THAT(Client::Connect(o).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("endpoints")));
  o.endpoints = {"127.0.0.1:1", "127.0.0.1"};
  EXPECT_THAT(Client::Connect(o).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("endpoints[1]")));
  o.endpoints = {"127.0.0.1:70000"};
  EXPECT_THAT(Client::Connect(o).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("port")));
  o.endpoints = {"127.0.0.1:1"};
  o.ca_file = "/nonexistent/ca.pem";
  EXPECT_THAT(Client::Connect(o).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ca_file")));
}

TEST_F(EtcdClientTest, PutGetDelete) {
  auto rev = client_->Put("/t/pgd/k", "v1");
  ASSERT_THAT(rev.status(), IsOk());
  auto kv = client_->Get("/t/pgd/k");
  ASSERT_THAT(kv.status(), IsOk());
  ASSERT_TRUE(kv->has_value());
  EXPECT_EQ((*kv)->value, "v1");
  EXPECT_EQ((*kv)->mod_revision, *rev);
  EXPECT_EQ((*kv)->create_revision, *rev);

  auto del_rev = client_->Delete("/t/pgd/k");
  ASSERT_THAT(del_rev.status(), IsOk());
  EXPECT_GT(*del_rev, *rev);
  kv = client_->Get("/t/pgd/k");
  ASSERT_THAT(kv.status(), IsOk());
  EXPECT_FALSE(kv->has_value());
}

TEST_F(EtcdClientTest, GetPrefixReadsEveryPageAtOneRevision) {
  constexpr int kKeys = 2500;  // three pages
  int64_t last_rev = 0;
  for (int base = 0; base < kKeys; base += 100) {
    std::vector<Op> ops;
    for (int i = base; i < base + 100; ++i) {
      ops.push_back(Op::Put(absl::StrFormat("/t/pages/%05d", i), absl::StrCat(i)));
    }
    auto r = client_->Txn({}, ops);
    ASSERT_THAT(r.status(), IsOk());
    last_rev = r->revision;
  }
  // A key just past the prefix is not part of it.
  ASSERT_THAT(client_->Put("/t/pages0", "x").status(), IsOk());

  auto all = client_->GetPrefix("/t/pages/");
  ASSERT_THAT(all.status(), IsOk());
  ASSERT_EQ(all->kvs.size(), static_cast<size_t>(kKeys));
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_EQ(all->kvs[i].key, absl::StrFormat("/t/pages/%05d", i));
    ASSERT_EQ(all->kvs[i].value, absl::StrCat(i));
  }
  EXPECT_GT(all->revision, last_rev);  // the put of /t/pages0

  // At an older revision: the store as it was, not as it is.
  ASSERT_THAT(client_->Delete("/t/pages/00000").status(), IsOk());
  ASSERT_THAT(client_->Put("/t/pages/99999", "new").status(), IsOk());
  auto old = client_->GetPrefix("/t/pages/", all->revision);
  ASSERT_THAT(old.status(), IsOk());
  EXPECT_EQ(old->revision, all->revision);
  ASSERT_EQ(old->kvs.size(), static_cast<size_t>(kKeys));
  EXPECT_EQ(old->kvs.front().key, "/t/pages/00000");
  EXPECT_EQ(old->kvs.back().key, absl::StrFormat("/t/pages/%05d", kKeys - 1));
}

TEST_F(EtcdClientTest, TxnAbsentCompare) {
  auto first = client_->Txn({Compare::Absent("/t/absent/k")}, {Op::Put("/t/absent/k", "a")},
                            {Op::Put("/t/absent/lost", "1")});
  ASSERT_THAT(first.status(), IsOk());
  EXPECT_TRUE(first->succeeded);
  auto second = client_->Txn({Compare::Absent("/t/absent/k")}, {Op::Put("/t/absent/k", "b")},
                             {Op::Put("/t/absent/lost", "1")});
  ASSERT_THAT(second.status(), IsOk());
  EXPECT_FALSE(second->succeeded);
  auto kv = client_->Get("/t/absent/k");
  ASSERT_THAT(kv.status(), IsOk());
  EXPECT_EQ((*kv)->value, "a");
  kv = client_->Get("/t/absent/lost");  // the failure branch ran
  ASSERT_THAT(kv.status(), IsOk());
  EXPECT_TRUE(kv->has_value());
}

TEST_F(EtcdClientTest, TxnModRevisionCompare) {
  auto rev = client_->Put("/t/modrev/k", "1");
  ASSERT_THAT(rev.status(), IsOk());
  auto ok = client_->Txn({Compare::ModRevision("/t/modrev/k", *rev)}, {Op::Put("/t/modrev/k", "2")});
  ASSERT_THAT(ok.status(), IsOk());
  EXPECT_TRUE(ok->succeeded);
  // The key moved on: the same compare fails now.
  auto stale =
      client_->Txn({Compare::ModRevision("/t/modrev/k", *rev)}, {Op::Put("/t/modrev/k", "3")});
  ASSERT_THAT(stale.status(), IsOk());
  EXPECT_FALSE(stale->succeeded);
  // Revision 0 means absent.
  auto absent = client_->Txn({Compare::ModRevision("/t/modrev/none", 0)}, {});
  ASSERT_THAT(absent.status(), IsOk());
  EXPECT_TRUE(absent->succeeded);
}

TEST_F(EtcdClientTest, TxnPrefixUnchangedSince) {
  ASSERT_THAT(client_->Put("/t/since/a", "1").status(), IsOk());
  auto read = client_->GetPrefix("/t/since/");
  ASSERT_THAT(read.status(), IsOk());
  auto write = client_->Txn({Compare::PrefixUnchangedSince("/t/since/", read->revision)},
                            {Op::Put("/t/since/b", "2")});
  ASSERT_THAT(write.status(), IsOk());
  EXPECT_TRUE(write->succeeded);
  // A writer that read before that write must not succeed.
  auto late = client_->Txn({Compare::PrefixUnchangedSince("/t/since/", read->revision)},
                           {Op::Put("/t/since/c", "3")});
  ASSERT_THAT(late.status(), IsOk());
  EXPECT_FALSE(late->succeeded);
  // Writes outside the prefix do not count.
  ASSERT_THAT(client_->Put("/t/since0", "x").status(), IsOk());
  auto again = client_->Txn({Compare::PrefixUnchangedSince("/t/since/", write->revision)},
                            {Op::DeletePrefix("/t/since/")});
  ASSERT_THAT(again.status(), IsOk());
  EXPECT_TRUE(again->succeeded);
  auto left = client_->GetPrefix("/t/since/");
  ASSERT_THAT(left.status(), IsOk());
  EXPECT_THAT(left->kvs, IsEmpty());
}

TEST_F(EtcdClientTest, TxnRefusesMoreThan128Ops) {
  std::vector<Op> ops;
  for (int i = 0; i < 129; ++i) {
    ops.push_back(Op::Put(absl::StrCat("/t/many/", i), "v"));
  }
  EXPECT_THAT(client_->Txn({}, ops).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("success")));
  ops.pop_back();
  EXPECT_THAT(client_->Txn({}, ops).status(), IsOk());
}

TEST_F(EtcdClientTest, LeaseKeepAliveAndRevoke) {
  auto lease = client_->LeaseGrant(absl::Seconds(30));
  ASSERT_THAT(lease.status(), IsOk());
  ASSERT_THAT(client_->Put("/t/lease/k", "v", *lease).status(), IsOk());
  auto kv = client_->Get("/t/lease/k");
  ASSERT_THAT(kv.status(), IsOk());
  EXPECT_EQ((*kv)->lease, *lease);
  EXPECT_THAT(client_->LeaseKeepAlive(*lease), IsOk());
  EXPECT_THAT(client_->LeaseRevoke(*lease), IsOk());
  kv = client_->Get("/t/lease/k");
  ASSERT_THAT(kv.status(), IsOk());
  EXPECT_FALSE(kv->has_value());
  EXPECT_THAT(client_->LeaseKeepAlive(*lease), StatusIs(absl::StatusCode::kNotFound, HasSubstr("expired")));
  EXPECT_THAT(client_->LeaseRevoke(*lease), StatusIs(absl::StatusCode::kNotFound, HasSubstr("LeaseRevoke")));
}

TEST_F(EtcdClientTest, KeyUnderLeaseDisappearsAfterExpiry) {
  auto lease = client_->LeaseGrant(absl::Seconds(2));
  ASSERT_THAT(lease.status(), IsOk());
  ASSERT_THAT(client_->Put("/t/expiry/k", "v", *lease).status(), IsOk());
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  bool gone = false;
  while (!gone && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(200));
    auto kv = client_->Get("/t/expiry/k");
    ASSERT_THAT(kv.status(), IsOk());
    gone = !kv->has_value();
  }
  EXPECT_TRUE(gone);
  EXPECT_THAT(client_->LeaseKeepAlive(*lease), StatusIs(absl::StatusCode::kNotFound, HasSubstr("expired")));
}

TEST_F(EtcdClientTest, WatchDeliversPutsAndDeletesInOrder) {
  auto start = client_->Put("/t/watch0", "before");  // outside the prefix
  ASSERT_THAT(start.status(), IsOk());
  std::unique_ptr<Watch> w = client_->WatchPrefix("/t/watch/", *start + 1);
  EXPECT_EQ(w->revision(), *start);
  auto r1 = client_->Put("/t/watch/a", "1");
  auto r2 = client_->Put("/t/watch/b", "2");
  auto r3 = client_->Delete("/t/watch/a");
  ASSERT_THAT(r3.status(), IsOk());
  std::vector<Event> events = Collect(*w, 3);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].type, Event::Type::kPut);
  EXPECT_EQ(events[0].kv.key, "/t/watch/a");
  EXPECT_EQ(events[0].kv.value, "1");
  EXPECT_EQ(events[0].kv.mod_revision, *r1);
  EXPECT_EQ(events[1].type, Event::Type::kPut);
  EXPECT_EQ(events[1].kv.key, "/t/watch/b");
  EXPECT_EQ(events[1].kv.mod_revision, *r2);
  EXPECT_EQ(events[2].type, Event::Type::kDelete);
  EXPECT_EQ(events[2].kv.key, "/t/watch/a");
  EXPECT_EQ(events[2].kv.mod_revision, *r3);
  EXPECT_EQ(w->revision(), *r3);
}

TEST_F(EtcdClientTest, WatchFromAnOldRevisionReplaysHistory) {
  auto r1 = client_->Put("/t/replay/a", "1");
  ASSERT_THAT(r1.status(), IsOk());
  ASSERT_THAT(client_->Put("/t/replay/a", "2").status(), IsOk());
  std::unique_ptr<Watch> w = client_->WatchPrefix("/t/replay/", *r1);
  std::vector<Event> events = Collect(*w, 2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kv.value, "1");
  EXPECT_EQ(events[1].kv.value, "2");
}

TEST_F(EtcdClientTest, NextTimesOutWithNoEvents) {
  auto rev = client_->Put("/t/quiet0", "x");
  ASSERT_THAT(rev.status(), IsOk());
  std::unique_ptr<Watch> w = client_->WatchPrefix("/t/quiet/", *rev + 1);
  auto events = w->Next(absl::Milliseconds(300));
  ASSERT_THAT(events.status(), IsOk());
  EXPECT_THAT(*events, IsEmpty());
  EXPECT_EQ(w->revision(), *rev);
}

TEST_F(EtcdClientTest, CancelFromAnotherThreadEndsNext) {
  std::unique_ptr<Watch> w = client_->WatchPrefix("/t/cancel/", 0);
  std::thread canceller([&] {
    absl::SleepFor(absl::Milliseconds(200));
    w->Cancel();
  });
  // Returns long before its timeout (the test's own timeout would say so).
  auto events = w->Next(absl::Seconds(60));
  canceller.join();
  EXPECT_THAT(events.status(), StatusIs(absl::StatusCode::kCancelled, HasSubstr("/t/cancel/")));
  EXPECT_THAT(w->Next(absl::Seconds(1)).status(),
              StatusIs(absl::StatusCode::kCancelled, HasSubstr("cancelled")));
}

TEST_F(EtcdClientTest, WatchDestroyedWhileBusy) {
  // Responses queued and a reader thread blocked: the destructor ends both.
  std::unique_ptr<Watch> w = client_->WatchPrefix("/t/busy/", 0);
  for (int i = 0; i < 100; ++i) {
    ASSERT_THAT(client_->Put(absl::StrCat("/t/busy/", i), "v").status(), IsOk());
  }
  w.reset();
}

// Last of the suite (gtest keeps file order): it compacts the shared
// member's history.
TEST_F(EtcdClientTest, CompactedRevisionIsOutOfRange) {
  auto r1 = client_->Put("/t/compact/k", "1");
  auto r2 = client_->Put("/t/compact/k", "2");
  ASSERT_THAT(r2.status(), IsOk());
  Compact(*r2);
  std::unique_ptr<Watch> w = client_->WatchPrefix("/t/compact/", *r1);
  auto events = w->Next(absl::Seconds(10));
  EXPECT_THAT(events.status(), StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("compacted")));
  EXPECT_EQ(w->compact_revision(), *r2);
  EXPECT_THAT(client_->GetPrefix("/t/compact/", *r1).status(),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("Range")));
}

// Member id of the leader, asked of member `i`, and member i's own id.
std::pair<uint64_t, uint64_t> LeaderAndSelf(const EtcdCluster& cluster, size_t i) {
  auto channel = grpc::CreateChannel(cluster.endpoint(i), grpc::InsecureChannelCredentials());
  auto m = etcdserverpb::Maintenance::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  etcdserverpb::StatusResponse resp;
  grpc::Status s = m->Status(&ctx, etcdserverpb::StatusRequest(), &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return {resp.leader(), resp.header().member_id()};
}

TEST(EtcdClusterTest, SurvivesTheLeaderAndFailsWhenAllAreDown) {
  EtcdCluster cluster(3);
  ASSERT_TRUE(cluster.WaitReady());
  std::unique_ptr<Client> client = MustConnect(cluster.endpoints(), absl::Seconds(2));
  ASSERT_NE(client, nullptr);
  ASSERT_THAT(client->Put("/c/k", "0").status(), IsOk());

  // The hard case: the leader goes, an election follows.
  size_t leader = 0;
  for (size_t i = 0; i < cluster.size(); ++i) {
    auto [leader_id, self] = LeaderAndSelf(cluster, i);
    if (leader_id == self) {
      leader = i;
    }
  }
  cluster.Kill(leader);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  absl::Status last;
  while (!(last = client->Put("/c/k", "1").status()).ok() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_THAT(last, IsOk());
  // Once a leader is elected, calls keep going to the live members.
  for (int i = 0; i < 20; ++i) {
    ASSERT_THAT(client->Put("/c/k", absl::StrCat(i)).status(), IsOk());
    auto kv = client->Get("/c/k");
    ASSERT_THAT(kv.status(), IsOk());
    EXPECT_EQ((*kv)->value, absl::StrCat(i));
  }

  std::unique_ptr<Watch> w = client->WatchPrefix("/c/", 0);
  ASSERT_THAT(w->Next(absl::Milliseconds(200)).status(), IsOk());
  for (size_t i = 0; i < cluster.size(); ++i) {
    cluster.Kill(i);
  }
  EXPECT_THAT(client->Put("/c/k", "down").status(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("Put")));
  EXPECT_THAT(client->GetPrefix("/c/").status(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("Range")));
  EXPECT_THAT(w->Next(absl::Seconds(10)).status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("Watch")));
}

// A CA and one certificate for 127.0.0.1 (server and client use) in a
// temp dir; removed with the object.
class TestCertificates {
 public:
  TestCertificates() {
    char tmpl[] = "/tmp/etcd_client_tls.XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      return;
    }
    dir_ = tmpl;
    std::ofstream(dir_ + "/ext.cnf")
        << "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n";
    const std::string script = absl::StrCat(
        "cd ", dir_, " && ",
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes ",
        "-keyout ca.key -out ca.pem -days 1 -subj /CN=test-ca && ",
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes ",
        "-keyout server.key -out server.csr -subj /CN=127.0.0.1 && ",
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial ",
        "-out server.pem -days 1 -extfile ext.cnf");
    ok_ = std::system(absl::StrCat("(", script, ") >", dir_, "/openssl.log 2>&1").c_str()) == 0;
  }
  ~TestCertificates() {
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }
  bool ok() const { return ok_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  bool ok_ = false;
};

TEST(EtcdTlsTest, ConnectsWithAClientCertificate) {
  TestCertificates certs;
  ASSERT_TRUE(certs.ok());
  EtcdCluster cluster(1, certs.dir());
  ASSERT_TRUE(cluster.WaitReady());
  Options o = cluster.options();
  o.request_timeout = absl::Seconds(2);
  auto client = Client::Connect(o);
  ASSERT_THAT(client.status(), IsOk());
  ASSERT_THAT((*client)->Put("/tls/k", "v").status(), IsOk());
  auto kv = (*client)->Get("/tls/k");
  ASSERT_THAT(kv.status(), IsOk());
  EXPECT_EQ((*kv)->value, "v");

  // etcd requires a client certificate: without one, no call gets through.
  o.cert_file.clear();
  o.key_file.clear();
  auto anonymous = Client::Connect(o);
  ASSERT_THAT(anonymous.status(), IsOk());
  EXPECT_FALSE((*anonymous)->Get("/tls/k").ok());
}

}  // namespace
}  // namespace vswitch::etcd
