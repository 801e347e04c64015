// SPDX-License-Identifier: Apache-2.0
#include "lib/etcd/etcd_client.h"

#include <atomic>
#include <deque>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include <grpcpp/grpcpp.h>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "etcd_rpc.grpc.pb.h"

namespace vswitch::etcd {

Compare Compare::Absent(std::string key) {
  Compare c;
  c.key = std::move(key);
  c.target = Target::kCreateRevision;
  c.result = Result::kEqual;
  c.revision = 0;
  return c;
}

Compare Compare::ModRevision(std::string key, int64_t rev) {
  Compare c;
  c.key = std::move(key);
  c.target = Target::kModRevision;
  c.result = Result::kEqual;
  c.revision = rev;
  return c;
}

Compare Compare::PrefixUnchangedSince(std::string prefix, int64_t rev) {
  Compare c;
  c.range_end = PrefixEnd(prefix);
  c.key = std::move(prefix);
  c.target = Target::kModRevision;
  c.result = Result::kLess;
  c.revision = rev + 1;
  return c;
}

std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  // The next key after every key starting with `prefix`: the last byte that
  // is not 0xff, incremented, with what follows it cut.
  while (!end.empty()) {
    unsigned char last = static_cast<unsigned char>(end.back());
    if (last < 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // Every key (etcd's convention).
}

Op Op::Put(std::string key, std::string value, int64_t lease) {
  Op op;
  op.type = Type::kPut;
  op.key = std::move(key);
  op.value = std::move(value);
  op.lease = lease;
  return op;
}

Op Op::Delete(std::string key) {
  Op op;
  op.type = Type::kDelete;
  op.key = std::move(key);
  return op;
}

Op Op::DeletePrefix(std::string prefix) {
  Op op;
  op.type = Type::kDeletePrefix;
  op.key = std::move(prefix);
  return op;
}

namespace {

constexpr int kMaxTxnOps = 128;  // etcd's default --max-txn-ops.
constexpr int64_t kPageSize = 1000;

absl::Status FromGrpc(const grpc::Status& s, absl::string_view call, const std::string& endpoint) {
  if (s.ok()) {
    return absl::OkStatus();
  }
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      absl::StrCat("etcd ", call, " at ", endpoint, ": ", s.error_message()));
}

// A member down or cut off: another member may answer.
bool Retriable(const grpc::Status& s) {
  return s.error_code() == grpc::StatusCode::UNAVAILABLE ||
         s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
}

KeyValue ToKeyValue(const mvccpb::KeyValue& kv) {
  return KeyValue{.key = kv.key(),
                  .value = kv.value(),
                  .create_revision = kv.create_revision(),
                  .mod_revision = kv.mod_revision(),
                  .lease = kv.lease()};
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": cannot read"));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Member {
  std::string endpoint;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<etcdserverpb::KV::Stub> kv;
  std::unique_ptr<etcdserverpb::Lease::Stub> lease;
  std::unique_ptr<etcdserverpb::Watch::Stub> watch;
};

// gRPC's reconnect back-off of a channel whose member was down grows to
// many seconds whatever its arguments say (seen with 1.51: 13 s after the
// member came back), so a channel that failed is replaced by a fresh one,
// which connects at once.
std::shared_ptr<Member> NewMember(const std::string& endpoint,
                                  const std::shared_ptr<grpc::ChannelCredentials>& creds) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  auto m = std::make_shared<Member>();
  m->endpoint = endpoint;
  m->channel = grpc::CreateCustomChannel(endpoint, creds, args);
  m->kv = etcdserverpb::KV::NewStub(m->channel);
  m->lease = etcdserverpb::Lease::NewStub(m->channel);
  m->watch = etcdserverpb::Watch::NewStub(m->channel);
  return m;
}

class GrpcWatch final : public Watch {
 public:
  GrpcWatch(std::shared_ptr<Member> member, std::string prefix, int64_t start_revision)
      : member_(std::move(member)), endpoint_(member_->endpoint) {
    etcdserverpb::Watch::Stub* stub = member_->watch.get();
    // Without a leader the member cannot know it is behind: end the watch
    // instead of going silent (etcd's WithRequireLeader).
    ctx_.AddMetadata("hasleader", "true");
    stream_ = stub->Watch(&ctx_);
    etcdserverpb::WatchRequest req;
    etcdserverpb::WatchCreateRequest* create = req.mutable_create_request();
    create->set_range_end(PrefixEnd(prefix));
    create->set_key(std::move(prefix));
    create->set_start_revision(start_revision);
    if (!stream_->Write(req)) {
      Finish(absl::UnavailableError(absl::StrCat("etcd Watch at ", endpoint_, ": cannot start")));
      return;
    }
    reader_ = std::thread([this] { ReadLoop(); });
  }

  ~GrpcWatch() override {
    Cancel();
    if (reader_.joinable()) {
      reader_.join();
    }
  }

  absl::StatusOr<std::vector<Event>> Next(absl::Duration timeout) override {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return !queue_.empty() || !end_.ok();
    };
    mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
    if (!queue_.empty()) {
      std::vector<Event> events = std::move(queue_.front());
      queue_.pop_front();
      return events;
    }
    if (!end_.ok()) {
      return end_;
    }
    return std::vector<Event>{};
  }

  int64_t revision() const override { return revision_.load(); }
  int64_t compact_revision() const override { return compact_revision_.load(); }

  void Cancel() override {
    {
      absl::MutexLock lock(&mu_);
      if (end_.ok()) {
        end_ = absl::CancelledError("watch cancelled");
      }
    }
    ctx_.TryCancel();
  }

 private:
  void Finish(absl::Status s) {
    absl::MutexLock lock(&mu_);
    if (end_.ok()) {
      end_ = std::move(s);
    }
  }

  void ReadLoop() {
    etcdserverpb::WatchResponse resp;
    while (stream_->Read(&resp)) {
      revision_.store(std::max(revision_.load(), resp.header().revision()));
      if (resp.compact_revision() != 0) {
        compact_revision_.store(resp.compact_revision());
        Finish(absl::OutOfRangeError(
            absl::StrCat("etcd Watch at ", endpoint_, ": revision compacted (oldest kept ",
                         resp.compact_revision(), ")")));
        break;
      }
      if (resp.canceled()) {
        Finish(absl::UnavailableError(
            absl::StrCat("etcd Watch at ", endpoint_, ": cancelled by etcd: ",
                         resp.cancel_reason())));
        break;
      }
      if (resp.events_size() == 0) {
        continue;  // The created response, or a progress notification.
      }
      std::vector<Event> events;
      events.reserve(resp.events_size());
      for (const mvccpb::Event& e : resp.events()) {
        events.push_back(Event{.type = e.type() == mvccpb::Event::DELETE ? Event::Type::kDelete
                                                                         : Event::Type::kPut,
                               .kv = ToKeyValue(e.kv())});
      }
      absl::MutexLock lock(&mu_);
      queue_.push_back(std::move(events));
    }
    ctx_.TryCancel();
    const grpc::Status s = stream_->Finish();
    Finish(absl::UnavailableError(absl::StrCat("etcd Watch at ", endpoint_, ": stream ended: ",
                                               s.ok() ? "closed" : s.error_message())));
  }

  const std::shared_ptr<Member> member_;  // Keeps the channel.
  const std::string endpoint_;
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>>
      stream_;
  std::thread reader_;
  std::atomic<int64_t> revision_{0};
  std::atomic<int64_t> compact_revision_{0};
  absl::Mutex mu_;
  std::deque<std::vector<Event>> queue_ ABSL_GUARDED_BY(mu_);
  absl::Status end_ ABSL_GUARDED_BY(mu_);
};

class GrpcClient final : public Client {
 public:
  GrpcClient(const Options& options, std::shared_ptr<grpc::ChannelCredentials> creds)
      : options_(options), creds_(std::move(creds)) {
    for (const std::string& ep : options_.endpoints) {
      members_.push_back(NewMember(ep, creds_));
    }
  }

  absl::StatusOr<RangeResult> GetPrefix(std::string_view prefix, int64_t revision) override {
    RangeResult out;
    etcdserverpb::RangeRequest req;
    req.set_key(std::string(prefix));
    req.set_range_end(PrefixEnd(prefix));
    req.set_limit(kPageSize);
    req.set_revision(revision);
    while (true) {
      etcdserverpb::RangeResponse resp;
      absl::Status s = Call("Range", [&](Member& m, grpc::ClientContext* ctx) {
        return m.kv->Range(ctx, req, &resp);
      });
      if (!s.ok()) {
        return s;
      }
      if (out.revision == 0) {
        out.revision = revision != 0 ? revision : resp.header().revision();
        req.set_revision(out.revision);  // Every page at the first one's revision.
      }
      for (const mvccpb::KeyValue& kv : resp.kvs()) {
        out.kvs.push_back(ToKeyValue(kv));
      }
      if (!resp.more() || resp.kvs_size() == 0) {
        return out;
      }
      req.set_key(resp.kvs(resp.kvs_size() - 1).key() + std::string(1, '\0'));
    }
  }

  absl::StatusOr<std::optional<KeyValue>> Get(std::string_view key) override {
    etcdserverpb::RangeRequest req;
    req.set_key(std::string(key));
    etcdserverpb::RangeResponse resp;
    absl::Status s = Call("Range", [&](Member& m, grpc::ClientContext* ctx) {
      return m.kv->Range(ctx, req, &resp);
    });
    if (!s.ok()) {
      return s;
    }
    if (resp.kvs_size() == 0) {
      return std::optional<KeyValue>();
    }
    return std::optional<KeyValue>(ToKeyValue(resp.kvs(0)));
  }

  absl::StatusOr<int64_t> Put(std::string_view key, std::string_view value,
                              int64_t lease) override {
    etcdserverpb::PutRequest req;
    req.set_key(std::string(key));
    req.set_value(std::string(value));
    req.set_lease(lease);
    etcdserverpb::PutResponse resp;
    absl::Status s = Call("Put", [&](Member& m, grpc::ClientContext* ctx) {
      return m.kv->Put(ctx, req, &resp);
    });
    if (!s.ok()) {
      return s;
    }
    return resp.header().revision();
  }

  absl::StatusOr<int64_t> Delete(std::string_view key) override {
    etcdserverpb::DeleteRangeRequest req;
    req.set_key(std::string(key));
    etcdserverpb::DeleteRangeResponse resp;
    absl::Status s = Call("DeleteRange", [&](Member& m, grpc::ClientContext* ctx) {
      return m.kv->DeleteRange(ctx, req, &resp);
    });
    if (!s.ok()) {
      return s;
    }
    return resp.header().revision();
  }

  absl::StatusOr<TxnResult> Txn(const std::vector<Compare>& compares,
                                const std::vector<Op>& success,
                                const std::vector<Op>& failure) override {
    if (success.size() > kMaxTxnOps || failure.size() > kMaxTxnOps) {
      return absl::InvalidArgumentError(absl::StrCat(
          "etcd Txn: ", std::max(success.size(), failure.size()), " operations in one branch, "
          "etcd allows ", kMaxTxnOps));
    }
    etcdserverpb::TxnRequest req;
    for (const Compare& c : compares) {
      etcdserverpb::Compare* pc = req.add_compare();
      pc->set_key(c.key);
      pc->set_range_end(c.range_end);
      switch (c.result) {
        case Compare::Result::kEqual: pc->set_result(etcdserverpb::Compare::EQUAL); break;
        case Compare::Result::kNotEqual: pc->set_result(etcdserverpb::Compare::NOT_EQUAL); break;
        case Compare::Result::kGreater: pc->set_result(etcdserverpb::Compare::GREATER); break;
        case Compare::Result::kLess: pc->set_result(etcdserverpb::Compare::LESS); break;
      }
      switch (c.target) {
        case Compare::Target::kCreateRevision:
          pc->set_target(etcdserverpb::Compare::CREATE);
          pc->set_create_revision(c.revision);
          break;
        case Compare::Target::kModRevision:
          pc->set_target(etcdserverpb::Compare::MOD);
          pc->set_mod_revision(c.revision);
          break;
        case Compare::Target::kValue:
          pc->set_target(etcdserverpb::Compare::VALUE);
          pc->set_value(c.value);
          break;
      }
    }
    auto add_ops = [](const std::vector<Op>& ops,
                      google::protobuf::RepeatedPtrField<etcdserverpb::RequestOp>* out) {
      for (const Op& op : ops) {
        etcdserverpb::RequestOp* r = out->Add();
        if (op.type == Op::Type::kPut) {
          etcdserverpb::PutRequest* put = r->mutable_request_put();
          put->set_key(op.key);
          put->set_value(op.value);
          put->set_lease(op.lease);
        } else {
          etcdserverpb::DeleteRangeRequest* del = r->mutable_request_delete_range();
          del->set_key(op.key);
          if (op.type == Op::Type::kDeletePrefix) {
            del->set_range_end(PrefixEnd(op.key));
          }
        }
      }
    };
    add_ops(success, req.mutable_success());
    add_ops(failure, req.mutable_failure());
    etcdserverpb::TxnResponse resp;
    absl::Status s = Call("Txn", [&](Member& m, grpc::ClientContext* ctx) {
      return m.kv->Txn(ctx, req, &resp);
    });
    if (!s.ok()) {
      return s;
    }
    return TxnResult{.succeeded = resp.succeeded(), .revision = resp.header().revision()};
  }

  absl::StatusOr<int64_t> LeaseGrant(absl::Duration ttl) override {
    etcdserverpb::LeaseGrantRequest req;
    req.set_ttl(std::max<int64_t>(1, absl::ToInt64Seconds(ttl)));
    etcdserverpb::LeaseGrantResponse resp;
    absl::Status s = Call("LeaseGrant", [&](Member& m, grpc::ClientContext* ctx) {
      return m.lease->LeaseGrant(ctx, req, &resp);
    });
    if (!s.ok()) {
      return s;
    }
    if (!resp.error().empty()) {
      return absl::UnavailableError(absl::StrCat("etcd LeaseGrant: ", resp.error()));
    }
    return resp.id();
  }

  absl::Status LeaseKeepAlive(int64_t lease) override {
    // One request on the bidi stream per call: a keep-alive every TTL/3 is
    // not worth a stream kept open (and re-opened after every failover).
    etcdserverpb::LeaseKeepAliveResponse resp;
    absl::Status s = Call("LeaseKeepAlive", [&](Member& m, grpc::ClientContext* ctx) {
      auto stream = m.lease->LeaseKeepAlive(ctx);
      etcdserverpb::LeaseKeepAliveRequest req;
      req.set_id(lease);
      if (!stream->Write(req) || !stream->Read(&resp)) {
        ctx->TryCancel();
        grpc::Status f = stream->Finish();
        return f.ok() ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "keep-alive stream closed")
                      : f;
      }
      stream->WritesDone();
      ctx->TryCancel();
      stream->Finish();
      return grpc::Status::OK;
    });
    if (!s.ok()) {
      return s;
    }
    if (resp.ttl() <= 0) {
      return absl::NotFoundError(absl::StrCat("etcd lease ", lease, " has expired"));
    }
    return absl::OkStatus();
  }

  absl::Status LeaseRevoke(int64_t lease) override {
    etcdserverpb::LeaseRevokeRequest req;
    req.set_id(lease);
    etcdserverpb::LeaseRevokeResponse resp;
    return Call("LeaseRevoke", [&](Member& m, grpc::ClientContext* ctx) {
      return m.lease->LeaseRevoke(ctx, req, &resp);
    });
  }

  std::unique_ptr<Watch> WatchPrefix(std::string_view prefix, int64_t start_revision) override {
    std::shared_ptr<Member> m = member(current_.load() % options_.endpoints.size());
    return std::make_unique<GrpcWatch>(std::move(m), std::string(prefix), start_revision);
  }

 private:
  // Tries the member that answered last, then the others in turn: a member
  // down or without a leader fails over to the next.
  template <typename F>
  absl::Status Call(absl::string_view name, F&& f) {
    const size_t n = options_.endpoints.size();
    const size_t first = current_.load();
    grpc::Status last;
    for (size_t i = 0; i < n; ++i) {
      const size_t idx = (first + i) % n;
      std::shared_ptr<Member> m = member(idx);
      grpc::ClientContext ctx;
      ctx.set_deadline(absl::ToChronoTime(absl::Now() + options_.request_timeout));
      last = f(*m, &ctx);
      if (last.ok() || !Retriable(last)) {
        current_.store(idx);
        return FromGrpc(last, name, m->endpoint);
      }
      if (m->channel->GetState(false) != GRPC_CHANNEL_READY) {
        absl::MutexLock lock(&mu_);
        if (members_[idx] == m) {
          members_[idx] = NewMember(m->endpoint, creds_);
        }
      }
    }
    // Next call starts with the next member.
    current_.store((first + 1) % n);
    return absl::Status(
        static_cast<absl::StatusCode>(last.error_code()),
        absl::StrCat("etcd ", name, ": no member answered (", absl::StrJoin(options_.endpoints, ","),
                     "): ", last.error_message()));
  }

  std::shared_ptr<Member> member(size_t i) {
    absl::MutexLock lock(&mu_);
    return members_[i];
  }

  const Options options_;
  const std::shared_ptr<grpc::ChannelCredentials> creds_;
  absl::Mutex mu_;
  std::vector<std::shared_ptr<Member>> members_ ABSL_GUARDED_BY(mu_);
  std::atomic<size_t> current_{0};
};

}  // namespace

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(const Options& options) {
  if (options.endpoints.empty()) {
    return absl::InvalidArgumentError("etcd: no endpoint");
  }
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (!options.ca_file.empty()) {
    grpc::SslCredentialsOptions ssl;
    absl::StatusOr<std::string> ca = ReadFile(options.ca_file);
    if (!ca.ok()) {
      return ca.status();
    }
    ssl.pem_root_certs = *ca;
    if (!options.cert_file.empty()) {
      absl::StatusOr<std::string> cert = ReadFile(options.cert_file);
      absl::StatusOr<std::string> key = ReadFile(options.key_file);
      if (!cert.ok()) return cert.status();
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *cert;
      ssl.pem_private_key = *key;
    }
    creds = grpc::SslCredentials(ssl);
  } else {
    creds = grpc::InsecureChannelCredentials();
  }
  return std::make_unique<GrpcClient>(options, std::move(creds));
}

}  // namespace vswitch::etcd
