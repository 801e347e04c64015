// SPDX-License-Identifier: Apache-2.0
//
// The etcd client against a real etcd (Debian's etcd-server, 3.4) started
// by the test on loopback ports it picks, with its data in a temporary
// folder; killed and removed when the suite ends.
#include "lib/etcd/etcd_client.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace vswitch::etcd {
namespace {

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

class EtcdTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(std::filesystem::temp_directory_path() /
                           absl::StrCat("etcd-client-test-", getpid()));
    std::filesystem::create_directories(*dir_);
    const int client = FreePort();
    const int peer = FreePort();
    endpoint_ = new std::string(absl::StrCat("127.0.0.1:", client));
    pid_ = fork();
    if (pid_ == 0) {
      const std::string curl = absl::StrCat("http://127.0.0.1:", client);
      const std::string purl = absl::StrCat("http://127.0.0.1:", peer);
      const std::string cluster = absl::StrCat("t=", purl);
      const std::string data = *dir_ + "/data";
      const std::string log = *dir_ + "/etcd.log";
      freopen(log.c_str(), "w", stdout);
      freopen(log.c_str(), "a", stderr);
      execl("/usr/bin/etcd", "etcd", "--name", "t", "--data-dir", data.c_str(),
            "--listen-client-urls", curl.c_str(), "--advertise-client-urls", curl.c_str(),
            "--listen-peer-urls", purl.c_str(), "--initial-advertise-peer-urls", purl.c_str(),
            "--initial-cluster", cluster.c_str(), "--log-level", "warn", "--logger", "zap",
            nullptr);
      _exit(127);
    }
    Options o;
    o.endpoints = {*endpoint_};
    o.request_timeout = absl::Seconds(2);
    client_ = Client::Connect(o)->release();
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (!client_->Put("/ready", "1").ok() && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(100));
    }
  }

  static void TearDownTestSuite() {
    delete client_;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    std::filesystem::remove_all(*dir_);
    delete dir_;
    delete endpoint_;
  }

  static std::string* dir_;
  static std::string* endpoint_;
  static pid_t pid_;
  static Client* client_;
};

std::string* EtcdTest::dir_ = nullptr;
std::string* EtcdTest::endpoint_ = nullptr;
pid_t EtcdTest::pid_ = 0;
Client* EtcdTest::client_ = nullptr;

TEST_F(EtcdTest, PutGetDelete) {
  absl::StatusOr<int64_t> rev = client_->Put("/t/a", "1");
  ASSERT_TRUE(rev.ok()) << rev.status();
  auto got = client_->Get("/t/a");
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->value, "1");
  EXPECT_EQ((*got)->mod_revision, *rev);
  ASSERT_TRUE(client_->Delete("/t/a").ok());
  got = client_->Get("/t/a");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
}

TEST_F(EtcdTest, GetPrefixPagesAtOneRevision) {
  std::vector<Op> ops;
  for (int i = 0; i < 2500; ++i) {
    ops.push_back(Op::Put(absl::StrCat("/p/k", 10000 + i), std::to_string(i)));
    if (ops.size() == 128) {
      ASSERT_TRUE(client_->Txn({}, ops).ok());
      ops.clear();
    }
  }
  ASSERT_TRUE(client_->Txn({}, ops).ok());
  ASSERT_TRUE(client_->Put("/pz", "outside").ok());
  absl::StatusOr<RangeResult> r = client_->GetPrefix("/p/");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->kvs.size(), 2500u);
  EXPECT_EQ(r->kvs.front().key, "/p/k10000");
  EXPECT_EQ(r->kvs.back().key, "/p/k12499");
  // At an older revision: what was there then.
  ASSERT_TRUE(client_->Put("/p/new", "x").ok());
  absl::StatusOr<RangeResult> old = client_->GetPrefix("/p/", r->revision);
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->kvs.size(), 2500u);
  EXPECT_EQ(old->revision, r->revision);
  ASSERT_TRUE(client_->Txn({}, {Op::DeletePrefix("/p/")}).ok());
  EXPECT_TRUE(client_->GetPrefix("/p/")->kvs.empty());
}

TEST_F(EtcdTest, TxnCompares) {
  auto first = client_->Txn({Compare::Absent("/x/vni")}, {Op::Put("/x/vni", "blue")});
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->succeeded);
  auto second = client_->Txn({Compare::Absent("/x/vni")}, {Op::Put("/x/vni", "red")});
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->succeeded);
  EXPECT_EQ((*client_->Get("/x/vni"))->value, "blue");

  const int64_t rev = (*client_->Get("/x/vni"))->mod_revision;
  EXPECT_TRUE(client_->Txn({Compare::ModRevision("/x/vni", rev)}, {})->succeeded);
  EXPECT_FALSE(client_->Txn({Compare::ModRevision("/x/vni", rev - 1)}, {})->succeeded);

  // Nothing under /x/ changed since rev: holds; after a write: fails.
  const int64_t now = *client_->Put("/elsewhere", "1");
  EXPECT_TRUE(client_->Txn({Compare::PrefixUnchangedSince("/x/", now)}, {})->succeeded);
  ASSERT_TRUE(client_->Put("/x/other", "1").ok());
  EXPECT_FALSE(client_->Txn({Compare::PrefixUnchangedSince("/x/", now)}, {})->succeeded);
  EXPECT_TRUE(client_->Txn({Compare::PrefixUnchangedSince("/empty/", 1)}, {})->succeeded);

  std::vector<Op> many(129, Op::Put("/x/m", "1"));
  auto refused = client_->Txn({}, many);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(EtcdTest, PrefixEnd) {
  EXPECT_EQ(PrefixEnd("/a/"), "/a0");
  EXPECT_EQ(PrefixEnd(std::string("a\xff", 2)), "b");
}

TEST_F(EtcdTest, LeaseKeepsAndExpires) {
  absl::StatusOr<int64_t> lease = client_->LeaseGrant(absl::Seconds(2));
  ASSERT_TRUE(lease.ok()) << lease.status();
  ASSERT_TRUE(client_->Put("/l/host", "up", *lease).ok());
  for (int i = 0; i < 4; ++i) {
    absl::SleepFor(absl::Milliseconds(700));
    ASSERT_TRUE(client_->LeaseKeepAlive(*lease).ok());
  }
  EXPECT_TRUE((*client_->Get("/l/host")).has_value());
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while ((*client_->Get("/l/host")).has_value() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_FALSE((*client_->Get("/l/host")).has_value());
  EXPECT_EQ(client_->LeaseKeepAlive(*lease).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(client_->Put("/l/host", "up", *lease).status().code(), absl::StatusCode::kNotFound);

  absl::StatusOr<int64_t> other = client_->LeaseGrant(absl::Seconds(30));
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(client_->Put("/l/other", "up", *other).ok());
  ASSERT_TRUE(client_->LeaseRevoke(*other).ok());
  EXPECT_FALSE((*client_->Get("/l/other")).has_value());
}

TEST_F(EtcdTest, WatchDeliversInOrderAndTimesOut) {
  const int64_t start = *client_->Put("/w/a", "1");
  std::unique_ptr<Watch> w = client_->WatchPrefix("/w/", start);
  ASSERT_TRUE(client_->Put("/w/b", "2").ok());
  ASSERT_TRUE(client_->Delete("/w/a").ok());
  ASSERT_TRUE(client_->Put("/outside", "x").ok());
  std::vector<Event> all;
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (all.size() < 3 && absl::Now() < deadline) {
    auto ev = w->Next(absl::Milliseconds(500));
    ASSERT_TRUE(ev.ok()) << ev.status();
    all.insert(all.end(), ev->begin(), ev->end());
  }
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].kv.key, "/w/a");
  EXPECT_EQ(all[0].kv.value, "1");
  EXPECT_EQ(all[1].kv.key, "/w/b");
  EXPECT_EQ(all[2].type, Event::Type::kDelete);
  EXPECT_EQ(all[2].kv.key, "/w/a");
  EXPECT_GE(w->revision(), all[2].kv.mod_revision);
  // Nothing more: an empty batch after the timeout, not an error.
  const absl::Time t = absl::Now();
  auto none = w->Next(absl::Milliseconds(300));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_GE(absl::Now() - t, absl::Milliseconds(250));
}

TEST_F(EtcdTest, CancelFromAnotherThreadEndsNext) {
  std::unique_ptr<Watch> w = client_->WatchPrefix("/c/", 0);
  std::thread t([&] {
    absl::SleepFor(absl::Milliseconds(200));
    w->Cancel();
  });
  const absl::Time start = absl::Now();
  absl::StatusOr<std::vector<Event>> ev = w->Next(absl::Seconds(10));
  while (ev.ok() && absl::Now() - start < absl::Seconds(10)) {
    ev = w->Next(absl::Seconds(10));
  }
  t.join();
  EXPECT_EQ(ev.status().code(), absl::StatusCode::kCancelled);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(EtcdTest, WatchFromCompactedRevisionIsOutOfRange) {
  const int64_t old = *client_->Put("/k/a", "1");
  ASSERT_TRUE(client_->Put("/k/a", "2").ok());
  const int64_t now = *client_->Put("/k/a", "3");
  const std::string cmd = absl::StrCat("ETCDCTL_API=3 /usr/bin/etcdctl --endpoints=", *endpoint_,
                                       " compact ", now, " >/dev/null 2>&1");
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::unique_ptr<Watch> w = client_->WatchPrefix("/k/", old);
  absl::StatusOr<std::vector<Event>> ev = w->Next(absl::Seconds(5));
  EXPECT_EQ(ev.status().code(), absl::StatusCode::kOutOfRange) << ev.status();
  EXPECT_EQ(w->compact_revision(), now);
}

TEST(EtcdDown, UnreachableIsUnavailableInBoundedTime) {
  Options o;
  o.endpoints = {absl::StrCat("127.0.0.1:", FreePort()), absl::StrCat("127.0.0.1:", FreePort())};
  o.request_timeout = absl::Seconds(1);
  auto client = Client::Connect(o);
  ASSERT_TRUE(client.ok());
  const absl::Time start = absl::Now();
  absl::StatusOr<int64_t> put = (*client)->Put("/a", "1");
  EXPECT_TRUE(put.status().code() == absl::StatusCode::kUnavailable ||
              put.status().code() == absl::StatusCode::kDeadlineExceeded)
      << put.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  std::unique_ptr<Watch> w = (*client)->WatchPrefix("/", 0);
  absl::StatusOr<std::vector<Event>> ev = w->Next(absl::Seconds(3));
  EXPECT_FALSE(ev.ok() && !ev->empty());
}

}  // namespace
}  // namespace vswitch::etcd
