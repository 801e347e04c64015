// SPDX-License-Identifier: Apache-2.0
#include "lib/etcd/etcd_client.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <deque>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include <grpcpp/grpcpp.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "lib/etcd/rpc.grpc.pb.h"
#include "lib/etcd/rpc.pb.h"
#include "lib/status/status_macros.h"

namespace vswitch::etcd {
namespace {

namespace pb = ::etcdserverpb;

// etcd's default --max-txn-ops.
constexpr int kMaxTxnOps = 128;
// Keys per Range page: bounds one reply (etcd's default request limit is
// 1.5 MiB per request, replies are unbounded) without many round trips.
constexpr int64_t kPageSize = 1000;
// Watch responses buffered ahead of Next(); beyond it the reader stops
// reading and gRPC flow control holds the server back.
constexpr size_t kMaxQueuedResponses = 64;

// Reads (Range) are idempotent: retry them on another member when one goes
// away. Writes are not retried beyond gRPC's transparent retries (request
// never left the client): a write may have been applied before the member
// died, and Txn callers re-read on a failed compare anyway.
constexpr char kServiceConfig[] = R"({
  "loadBalancingConfig": [{"round_robin": {}}],
  "methodConfig": [{
    "name": [{"service": "etcdserverpb.KV", "method": "Range"}],
    "retryPolicy": {
      "maxAttempts": 3,
      "initialBackoff": "0.05s",
      "maxBackoff": "0.5s",
      "backoffMultiplier": 2,
      "retryableStatusCodes": ["UNAVAILABLE"]
    }
  }]
})";

std::chrono::system_clock::time_point Deadline(absl::Duration timeout) {
  return absl::ToChronoTime(absl::Now() + timeout);
}

// gRPC and absl codes are numerically equal.
absl::Status FromGrpc(const grpc::Status& s, const char* call, const std::string& endpoints) {
  if (s.ok()) {
    return absl::OkStatus();
  }
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      absl::StrCat("etcd ", call, " (", endpoints, "): ", s.error_message()));
}

absl::StatusOr<std::string> ReadFile(const std::string& path, const char* field) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": cannot read ", path));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct HostPort {
  std::string host;  // without brackets
  std::string port;
};

absl::StatusOr<HostPort> ParseEndpoint(std::string ep, size_t index) {
  const std::string field = absl::StrCat("endpoints[", index, "]");
  // Accept etcdctl-style URLs; the scheme is implied by the TLS options.
  for (const char* scheme : {"http://", "https://"}) {
    if (ep.rfind(scheme, 0) == 0) {
      ep = ep.substr(std::string(scheme).size());
    }
  }
  const size_t colon = ep.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": \"", ep, "\" is not host:port"));
  }
  HostPort hp{ep.substr(0, colon), ep.substr(colon + 1)};
  int port = 0;
  if (!absl::SimpleAtoi(hp.port, &port) || port < 1 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": port \"", hp.port, "\" is not in 1..65535"));
  }
  if (hp.host.size() > 2 && hp.host.front() == '[' && hp.host.back() == ']') {
    hp.host = hp.host.substr(1, hp.host.size() - 2);
  }
  return hp;
}

bool IsIp(const std::string& host, int family) {
  unsigned char buf[16];
  return inet_pton(family, host.c_str(), buf) == 1;
}

// One gRPC target naming every member, so that one channel balances over
// them and fails over. The sockaddr resolvers (ipv4:, ipv6:) take lists of
// literals; host names are resolved once here (dns:/// takes one name only).
absl::StatusOr<std::string> ChannelTarget(const std::vector<HostPort>& eps) {
  if (eps.size() == 1 && !IsIp(eps[0].host, AF_INET) && !IsIp(eps[0].host, AF_INET6)) {
    return absl::StrCat("dns:///", eps[0].host, ":", eps[0].port);
  }
  bool all_v6 = true;
  for (const HostPort& hp : eps) {
    all_v6 = all_v6 && IsIp(hp.host, AF_INET6);
  }
  std::vector<std::string> addrs;
  for (const HostPort& hp : eps) {
    if (all_v6) {
      addrs.push_back(absl::StrCat("[", hp.host, "]:", hp.port));
      continue;
    }
    if (IsIp(hp.host, AF_INET)) {
      addrs.push_back(absl::StrCat(hp.host, ":", hp.port));
      continue;
    }
    if (IsIp(hp.host, AF_INET6)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "endpoints: IPv6 address ", hp.host, " mixed with IPv4 endpoints"));
    }
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (int rc = getaddrinfo(hp.host.c_str(), nullptr, &hints, &res); rc != 0) {
      return absl::UnavailableError(
          absl::StrCat("endpoints: cannot resolve ", hp.host, ": ", gai_strerror(rc)));
    }
    for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
      char ip[INET_ADDRSTRLEN];
      const auto* sin = reinterpret_cast<const sockaddr_in*>(ai->ai_addr);
      if (inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip)) != nullptr) {
        addrs.push_back(absl::StrCat(ip, ":", hp.port));
      }
    }
    freeaddrinfo(res);
  }
  return absl::StrCat(all_v6 ? "ipv6:" : "ipv4:", absl::StrJoin(addrs, ","));
}

KeyValue FromPb(const mvccpb::KeyValue& kv) {
  return KeyValue{.key = kv.key(),
                  .value = kv.value(),
                  .create_revision = kv.create_revision(),
                  .mod_revision = kv.mod_revision(),
                  .lease = kv.lease()};
}

void ToPb(const Compare& c, pb::Compare* out) {
  out->set_key(c.key);
  if (!c.range_end.empty()) {
    out->set_range_end(c.range_end);
  }
  switch (c.result) {
    case Compare::Result::kEqual:
      out->set_result(pb::Compare::EQUAL);
      break;
    case Compare::Result::kNotEqual:
      out->set_result(pb::Compare::NOT_EQUAL);
      break;
    case Compare::Result::kGreater:
      out->set_result(pb::Compare::GREATER);
      break;
    case Compare::Result::kLess:
      out->set_result(pb::Compare::LESS);
      break;
  }
  switch (c.target) {
    case Compare::Target::kCreateRevision:
      out->set_target(pb::Compare::CREATE);
      out->set_create_revision(c.revision);
      break;
    case Compare::Target::kModRevision:
      out->set_target(pb::Compare::MOD);
      out->set_mod_revision(c.revision);
      break;
    case Compare::Target::kValue:
      out->set_target(pb::Compare::VALUE);
      out->set_value(c.value);
      break;
  }
}

void ToPb(const Op& op, pb::RequestOp* out) {
  switch (op.type) {
    case Op::Type::kPut: {
      pb::PutRequest* put = out->mutable_request_put();
      put->set_key(op.key);
      put->set_value(op.value);
      put->set_lease(op.lease);
      break;
    }
    case Op::Type::kDelete:
      out->mutable_request_delete_range()->set_key(op.key);
      break;
    case Op::Type::kDeletePrefix: {
      pb::DeleteRangeRequest* del = out->mutable_request_delete_range();
      del->set_key(op.key);
      del->set_range_end(PrefixEnd(op.key));
      break;
    }
  }
}

// Thread: a reader thread owns the stream (Read, then Finish); Next() and
// Cancel() only touch the queue under mu_ and the context (TryCancel is
// thread-safe). Lifetime: the destructor cancels and joins the reader.
class WatchImpl : public Watch {
 public:
  WatchImpl(std::shared_ptr<pb::Watch::Stub> stub, std::string prefix, int64_t start_revision,
            std::string endpoints)
      : stub_(std::move(stub)),
        prefix_(std::move(prefix)),
        start_revision_(start_revision),
        endpoints_(std::move(endpoints)),
        revision_(start_revision > 0 ? start_revision - 1 : 0) {
    // etcd's WithRequireLeader: a member without a leader ends the stream
    // (Unavailable) instead of keeping a silent watch open.
    ctx_.AddMetadata("hasleader", "true");
    reader_ = std::thread([this] { ReadLoop(); });
  }

  ~WatchImpl() override {
    Cancel();
    reader_.join();
  }

  absl::StatusOr<std::vector<Event>> Next(absl::Duration timeout) override {
    const absl::Time deadline = absl::Now() + timeout;
    absl::MutexLock lock(&mu_);
    while (true) {
      if (cancelled_) {
        return absl::CancelledError(absl::StrCat("etcd Watch of ", prefix_, ": cancelled"));
      }
      if (!terminal_.ok()) {
        return terminal_;
      }
      if (!queue_.empty()) {
        pb::WatchResponse resp = std::move(queue_.front());
        queue_.pop_front();
        cv_.SignalAll();  // room for the reader
        std::optional<std::vector<Event>> events = Take(resp);
        if (!terminal_.ok()) {
          return terminal_;
        }
        if (events.has_value()) {
          return *std::move(events);
        }
        continue;
      }
      if (ended_) {
        terminal_ = StreamEnded();
        return terminal_;
      }
      if (absl::Now() >= deadline) {
        return std::vector<Event>();
      }
      cv_.WaitWithDeadline(&mu_, deadline);
    }
  }

  int64_t revision() const override {
    absl::MutexLock lock(&mu_);
    return revision_;
  }

  int64_t compact_revision() const override {
    absl::MutexLock lock(&mu_);
    return compact_revision_;
  }

  void Cancel() override {
    {
      absl::MutexLock lock(&mu_);
      cancelled_ = true;
      cv_.SignalAll();
    }
    ctx_.TryCancel();
  }

 private:
  void ReadLoop() {
    // Created here, not in the constructor: starting a call may wait for a
    // connection. A TryCancel before this cancels the call on creation.
    std::unique_ptr<grpc::ClientReaderWriter<pb::WatchRequest, pb::WatchResponse>> stream =
        stub_->Watch(&ctx_);
    pb::WatchRequest req;
    pb::WatchCreateRequest* create = req.mutable_create_request();
    create->set_key(prefix_);
    create->set_range_end(PrefixEnd(prefix_));
    create->set_start_revision(start_revision_);
    // Progress notifications come only for a watcher that is caught up:
    // they move revision() to the store's revision when the prefix is idle.
    create->set_progress_notify(true);
    if (stream->Write(req)) {
      pb::WatchResponse resp;
      while (stream->Read(&resp)) {
        absl::MutexLock lock(&mu_);
        while (!cancelled_ && queue_.size() >= kMaxQueuedResponses) {
          cv_.Wait(&mu_);
        }
        // After Cancel, read on (discarding) until the call is done.
        if (!cancelled_) {
          queue_.push_back(std::move(resp));
          cv_.SignalAll();
        }
        resp.Clear();
      }
    }
    grpc::Status status = stream->Finish();
    absl::MutexLock lock(&mu_);
    ended_ = true;
    end_status_ = std::move(status);
    cv_.SignalAll();
  }

  // The events of one response, or nullopt for one that carries none for
  // the caller (the created reply) or that ends the watch (sets terminal_).
  std::optional<std::vector<Event>> Take(const pb::WatchResponse& resp)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (resp.compact_revision() != 0) {
      compact_revision_ = resp.compact_revision();
      terminal_ = absl::OutOfRangeError(absl::StrCat(
          "etcd Watch of ", prefix_, " from revision ", start_revision_,
          ": compacted up to revision ", compact_revision_, "; read again"));
      return std::nullopt;
    }
    if (resp.canceled()) {
      terminal_ = absl::FailedPreconditionError(absl::StrCat(
          "etcd Watch of ", prefix_, " (", endpoints_, "): cancelled by etcd: ",
          resp.cancel_reason()));
      return std::nullopt;
    }
    if (resp.created()) {
      return std::nullopt;
    }
    std::vector<Event> events;
    events.reserve(resp.events_size());
    for (const mvccpb::Event& e : resp.events()) {
      events.push_back(Event{
          .type = e.type() == mvccpb::Event::DELETE ? Event::Type::kDelete : Event::Type::kPut,
          .kv = FromPb(e.kv())});
    }
    // While etcd catches a watcher up it sends chunks whose header revision
    // is the store's, ahead of events still to come: only the last event's
    // revision is safe to resume from. A response without events is a
    // progress notification, sent only to a caught-up watcher.
    const int64_t rev =
        events.empty() ? resp.header().revision() : events.back().kv.mod_revision;
    revision_ = std::max(revision_, rev);
    return events;
  }

  absl::Status StreamEnded() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const std::string msg =
        absl::StrCat("etcd Watch of ", prefix_, " (", endpoints_, "): stream ended: ",
                     end_status_.ok() ? "closed by the server" : end_status_.error_message());
    switch (end_status_.error_code()) {
      case grpc::StatusCode::PERMISSION_DENIED:
        return absl::PermissionDeniedError(msg);
      case grpc::StatusCode::UNAUTHENTICATED:
        return absl::UnauthenticatedError(msg);
      case grpc::StatusCode::INVALID_ARGUMENT:
        return absl::InvalidArgumentError(msg);
      default:
        // Member down, no leader, connection lost: watch again.
        return absl::UnavailableError(msg);
    }
  }

  const std::shared_ptr<pb::Watch::Stub> stub_;
  const std::string prefix_;
  const int64_t start_revision_;
  const std::string endpoints_;
  grpc::ClientContext ctx_;
  std::thread reader_;

  mutable absl::Mutex mu_;
  absl::CondVar cv_;
  std::deque<pb::WatchResponse> queue_ ABSL_GUARDED_BY(mu_);
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status end_status_ ABSL_GUARDED_BY(mu_);
  absl::Status terminal_ ABSL_GUARDED_BY(mu_);
  int64_t revision_ ABSL_GUARDED_BY(mu_);
  int64_t compact_revision_ ABSL_GUARDED_BY(mu_) = 0;
};

// Thread: any (stubs are thread-safe; no mutable state).
class ClientImpl : public Client {
 public:
  ClientImpl(std::shared_ptr<grpc::Channel> channel, std::string endpoints,
             absl::Duration timeout)
      : channel_(std::move(channel)),
        kv_(pb::KV::NewStub(channel_)),
        lease_(pb::Lease::NewStub(channel_)),
        watch_(pb::Watch::NewStub(channel_)),
        endpoints_(std::move(endpoints)),
        timeout_(timeout) {}

  absl::StatusOr<RangeResult> GetPrefix(std::string_view prefix, int64_t revision) override {
    RangeResult result;
    pb::RangeRequest req;
    req.set_key(std::string(prefix));
    req.set_range_end(PrefixEnd(prefix));
    req.set_limit(kPageSize);
    req.set_revision(revision);
    while (true) {
      pb::RangeResponse resp;
      VS_RETURN_IF_ERROR(Call("Range", [&](grpc::ClientContext* ctx) {
        return kv_->Range(ctx, req, &resp);
      }));
      // Later pages are read at the first page's revision: one snapshot.
      if (req.revision() == 0) {
        req.set_revision(resp.header().revision());
      }
      for (const mvccpb::KeyValue& kv : resp.kvs()) {
        result.kvs.push_back(FromPb(kv));
      }
      if (!resp.more() || resp.kvs_size() == 0) {
        break;
      }
      req.set_key(resp.kvs(resp.kvs_size() - 1).key() + std::string(1, '\0'));
    }
    result.revision = req.revision();
    return result;
  }

  absl::StatusOr<std::optional<KeyValue>> Get(std::string_view key) override {
    pb::RangeRequest req;
    req.set_key(std::string(key));
    pb::RangeResponse resp;
    VS_RETURN_IF_ERROR(
        Call("Range", [&](grpc::ClientContext* ctx) { return kv_->Range(ctx, req, &resp); }));
    if (resp.kvs_size() == 0) {
      return std::optional<KeyValue>();
    }
    return std::optional<KeyValue>(FromPb(resp.kvs(0)));
  }

  absl::StatusOr<int64_t> Put(std::string_view key, std::string_view value,
                              int64_t lease) override {
    pb::PutRequest req;
    req.set_key(std::string(key));
    req.set_value(std::string(value));
    req.set_lease(lease);
    pb::PutResponse resp;
    VS_RETURN_IF_ERROR(
        Call("Put", [&](grpc::ClientContext* ctx) { return kv_->Put(ctx, req, &resp); }));
    return resp.header().revision();
  }

  absl::StatusOr<int64_t> Delete(std::string_view key) override {
    pb::DeleteRangeRequest req;
    req.set_key(std::string(key));
    pb::DeleteRangeResponse resp;
    VS_RETURN_IF_ERROR(Call("DeleteRange", [&](grpc::ClientContext* ctx) {
      return kv_->DeleteRange(ctx, req, &resp);
    }));
    return resp.header().revision();
  }

  absl::StatusOr<TxnResult> Txn(const std::vector<Compare>& compares,
                                const std::vector<Op>& success,
                                const std::vector<Op>& failure) override {
    // etcd refuses these too, but its error does not say which list.
    for (const auto& [name, n] : {std::pair{"compares", compares.size()},
                                  std::pair{"success", success.size()},
                                  std::pair{"failure", failure.size()}}) {
      if (n > static_cast<size_t>(kMaxTxnOps)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "etcd Txn: ", name, ": ", n, " entries exceed etcd's limit of ", kMaxTxnOps));
      }
    }
    pb::TxnRequest req;
    for (const Compare& c : compares) {
      ToPb(c, req.add_compare());
    }
    for (const Op& op : success) {
      ToPb(op, req.add_success());
    }
    for (const Op& op : failure) {
      ToPb(op, req.add_failure());
    }
    pb::TxnResponse resp;
    VS_RETURN_IF_ERROR(
        Call("Txn", [&](grpc::ClientContext* ctx) { return kv_->Txn(ctx, req, &resp); }));
    return TxnResult{.succeeded = resp.succeeded(), .revision = resp.header().revision()};
  }

  absl::StatusOr<int64_t> LeaseGrant(absl::Duration ttl) override {
    pb::LeaseGrantRequest req;
    // etcd's TTL is whole seconds; round up so a lease never lives shorter.
    req.set_ttl(std::max<int64_t>(1, absl::ToInt64Seconds(absl::Ceil(ttl, absl::Seconds(1)))));
    pb::LeaseGrantResponse resp;
    VS_RETURN_IF_ERROR(Call("LeaseGrant", [&](grpc::ClientContext* ctx) {
      return lease_->LeaseGrant(ctx, req, &resp);
    }));
    if (!resp.error().empty()) {
      return absl::UnavailableError(
          absl::StrCat("etcd LeaseGrant (", endpoints_, "): ", resp.error()));
    }
    return resp.id();
  }

  absl::Status LeaseKeepAlive(int64_t lease) override {
    // One request and reply per call on a short stream: keep-alives are
    // seconds apart, and a stream per call needs no reconnect logic.
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline(timeout_));
    auto stream = lease_->LeaseKeepAlive(&ctx);
    pb::LeaseKeepAliveRequest req;
    req.set_id(lease);
    pb::LeaseKeepAliveResponse resp;
    // The reply is read before half-closing: etcd ends the stream on EOF.
    const bool got = stream->Write(req) && stream->Read(&resp);
    if (got) {
      stream->WritesDone();
    } else {
      ctx.TryCancel();
    }
    grpc::Status status = stream->Finish();
    if (!got) {
      if (status.ok()) {
        return absl::UnavailableError(absl::StrCat("etcd LeaseKeepAlive (", endpoints_,
                                                   "): stream ended without a reply"));
      }
      return FromGrpc(status, "LeaseKeepAlive", endpoints_);
    }
    if (resp.ttl() <= 0) {
      return absl::NotFoundError(absl::StrCat("etcd LeaseKeepAlive: lease ", lease, " expired"));
    }
    return absl::OkStatus();
  }

  absl::Status LeaseRevoke(int64_t lease) override {
    pb::LeaseRevokeRequest req;
    req.set_id(lease);
    pb::LeaseRevokeResponse resp;
    return Call("LeaseRevoke", [&](grpc::ClientContext* ctx) {
      return lease_->LeaseRevoke(ctx, req, &resp);
    });
  }

  std::unique_ptr<Watch> WatchPrefix(std::string_view prefix, int64_t start_revision) override {
    return std::make_unique<WatchImpl>(watch_, std::string(prefix), start_revision, endpoints_);
  }

 private:
  // A unary call with the request deadline; errors name the call.
  template <typename Fn>
  absl::Status Call(const char* name, Fn fn) {
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline(timeout_));
    return FromGrpc(fn(&ctx), name, endpoints_);
  }

  const std::shared_ptr<grpc::Channel> channel_;
  const std::unique_ptr<pb::KV::Stub> kv_;
  const std::unique_ptr<pb::Lease::Stub> lease_;
  const std::shared_ptr<pb::Watch::Stub> watch_;  // shared with the watches
  const std::string endpoints_;                   // for messages
  const absl::Duration timeout_;
};

}  // namespace

std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    if (static_cast<unsigned char>(end.back()) < 0xff) {
      end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
      return end;
    }
    end.pop_back();
  }
  // Empty prefix or only 0xff bytes: etcd's "\0" means every key >= key.
  return std::string(1, '\0');
}

Compare Compare::Absent(std::string key) {
  Compare c;
  c.key = std::move(key);
  c.target = Target::kCreateRevision;
  c.result = Result::kEqual;
  c.revision = 0;
  return c;
}

Compare Compare::ModRevision(std::string key, int64_t rev) {
  // etcd compares a missing key as mod_revision 0.
  Compare c;
  c.key = std::move(key);
  c.target = Target::kModRevision;
  c.result = Result::kEqual;
  c.revision = rev;
  return c;
}

Compare Compare::PrefixUnchangedSince(std::string prefix, int64_t rev) {
  // Every key in the range has mod_revision < rev + 1; an empty range holds.
  Compare c;
  c.range_end = PrefixEnd(prefix);
  c.key = std::move(prefix);
  c.target = Target::kModRevision;
  c.result = Result::kLess;
  c.revision = rev + 1;
  return c;
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

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(const Options& options) {
  if (options.endpoints.empty()) {
    return absl::InvalidArgumentError("endpoints: at least one host:port is required");
  }
  if (options.request_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("request_timeout: must be positive");
  }
  std::vector<HostPort> eps;
  for (size_t i = 0; i < options.endpoints.size(); ++i) {
    absl::StatusOr<HostPort> hp = ParseEndpoint(options.endpoints[i], i);
    if (!hp.ok()) {
      return hp.status();
    }
    eps.push_back(*std::move(hp));
  }
  absl::StatusOr<std::string> target = ChannelTarget(eps);
  if (!target.ok()) {
    return target.status();
  }

  grpc::ChannelArguments args;
  args.SetServiceConfigJSON(kServiceConfig);
  // A member that vanishes without closing its connections (partition,
  // power loss) is noticed within ~15 s, also under a quiet watch. etcd's
  // default --grpc-keepalive-min-time is 5 s.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // Range replies are not bounded by etcd; a page of kPageSize keys may
  // exceed gRPC's 4 MiB default.
  args.SetMaxReceiveMessageSize(256 << 20);
  // Reconnect to a restarted member quickly instead of after minutes.
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);

  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (!options.ca_file.empty()) {
    grpc::SslCredentialsOptions ssl;
    absl::StatusOr<std::string> ca = ReadFile(options.ca_file, "ca_file");
    if (!ca.ok()) {
      return ca.status();
    }
    ssl.pem_root_certs = *std::move(ca);
    if (options.cert_file.empty() != options.key_file.empty()) {
      return absl::InvalidArgumentError("cert_file, key_file: give both or neither");
    }
    if (!options.cert_file.empty()) {
      absl::StatusOr<std::string> cert = ReadFile(options.cert_file, "cert_file");
      if (!cert.ok()) {
        return cert.status();
      }
      absl::StatusOr<std::string> key = ReadFile(options.key_file, "key_file");
      if (!key.ok()) {
        return key.status();
      }
      ssl.pem_cert_chain = *std::move(cert);
      ssl.pem_private_key = *std::move(key);
    }
    // A list target has no single host name to check certificates against:
    // the first endpoint's host is used for every member, so each member's
    // certificate must be valid for it (e.g. all members' IPs as SANs).
    if (target->rfind("dns:///", 0) != 0) {
      args.SetSslTargetNameOverride(eps[0].host);
    }
    creds = grpc::SslCredentials(ssl);
  } else if (!options.cert_file.empty() || !options.key_file.empty()) {
    return absl::InvalidArgumentError("cert_file, key_file: need ca_file (TLS)");
  } else {
    creds = grpc::InsecureChannelCredentials();
  }
  std::shared_ptr<grpc::Channel> channel = grpc::CreateCustomChannel(*target, creds, args);
  return std::unique_ptr<Client>(std::make_unique<ClientImpl>(
      std::move(channel), absl::StrJoin(options.endpoints, ","), options.request_timeout));
}

}  // namespace vswitch::etcd
