// SPDX-License-Identifier: Apache-2.0
//
// A client of etcd's v3 API over gRPC (the protos of Debian's
// golang-etcd-server-dev, compiled at build time). Only what the fleet
// needs: ranges, transactions, leases, watches. Thread-safe; one channel to
// every endpoint (gRPC picks a reachable one and fails over).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace vswitch::etcd {

struct Options {
  // "host:port" of each member (at least one).
  std::vector<std::string> endpoints;
  // TLS to etcd: set ca_file (and cert_file/key_file for client auth).
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  // Per unary call.
  absl::Duration request_timeout = absl::Seconds(5);
};

struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t lease = 0;
};

struct RangeResult {
  std::vector<KeyValue> kvs;
  // The store's revision the range was read at.
  int64_t revision = 0;
};

// One condition of a transaction (etcd's Compare).
struct Compare {
  enum class Target { kCreateRevision, kModRevision, kValue };
  enum class Result { kEqual, kNotEqual, kGreater, kLess };
  std::string key;
  // Non-empty: the condition holds for every key in [key, range_end).
  std::string range_end;
  Target target = Target::kModRevision;
  Result result = Result::kEqual;
  int64_t revision = 0;  // kCreateRevision, kModRevision
  std::string value;     // kValue

  // The key does not exist (create_revision == 0).
  static Compare Absent(std::string key);
  // The key's mod_revision is `rev` (0: absent).
  static Compare ModRevision(std::string key, int64_t rev);
  // No key under `prefix` was written after revision `rev` (deletes are
  // not seen by a compare: pair it with the keys' own ModRevision). The
  // fleet tool's optimistic concurrency: read at rev, validate, write if
  // nothing changed meanwhile.
  static Compare PrefixUnchangedSince(std::string prefix, int64_t rev);
};

// The end of the range of keys starting with `prefix` (etcd's range_end).
std::string PrefixEnd(std::string_view prefix);

struct Op {
  enum class Type { kPut, kDelete, kDeletePrefix };
  Type type = Type::kPut;
  std::string key;
  std::string value;
  int64_t lease = 0;

  static Op Put(std::string key, std::string value, int64_t lease = 0);
  static Op Delete(std::string key);
  static Op DeletePrefix(std::string prefix);
};

struct TxnResult {
  bool succeeded = false;
  int64_t revision = 0;
};

struct Event {
  enum class Type { kPut, kDelete };
  Type type = Type::kPut;
  KeyValue kv;  // kDelete: key and mod_revision only
};

// A watch of a prefix from a revision. Responses arrive on a gRPC stream;
// Next() hands them out. Requires a leader (etcd's "hasleader" metadata),
// so a member cut off from the cluster ends the watch instead of going
// silent.
class Watch {
 public:
  virtual ~Watch() = default;
  // Waits up to `timeout` for the next batch of events (one watch response;
  // all its events share or increase in revision). Returns:
  //   events (possibly empty on timeout: DeadlineExceeded is not an error
  //     here, an empty vector is returned and revision() is unchanged);
  //   OutOfRange when the start revision was compacted (resync with a
  //     fresh read; compact_revision() says from where);
  //   Unavailable when the stream broke (etcd down, no leader).
  virtual absl::StatusOr<std::vector<Event>> Next(absl::Duration timeout) = 0;
  // Every event of the prefix up to this revision has been returned (resume
  // a broken watch from revision() + 1). It is the last event's revision,
  // or the header revision of a progress notification (etcd sends those
  // only to a caught-up watch); start_revision - 1 before any. Not the
  // header revision of event responses: while etcd catches a watch up, that
  // is the store's revision, ahead of events still to come.
  virtual int64_t revision() const = 0;
  virtual int64_t compact_revision() const = 0;
  // Ends the stream; Next() returns Cancelled after this. Any thread.
  virtual void Cancel() = 0;
};

class Client {
 public:
  static absl::StatusOr<std::unique_ptr<Client>> Connect(const Options& options);
  virtual ~Client() = default;

  // Every key under `prefix` (paginated internally, all pages read at one
  // revision: the first page's, or `revision` when non-zero).
  virtual absl::StatusOr<RangeResult> GetPrefix(std::string_view prefix,
                                                int64_t revision = 0) = 0;
  virtual absl::StatusOr<std::optional<KeyValue>> Get(std::string_view key) = 0;
  // Returns the revision of the write.
  virtual absl::StatusOr<int64_t> Put(std::string_view key, std::string_view value,
                                      int64_t lease = 0) = 0;
  virtual absl::StatusOr<int64_t> Delete(std::string_view key) = 0;
  // At most 128 ops per branch (etcd's default --max-txn-ops).
  virtual absl::StatusOr<TxnResult> Txn(const std::vector<Compare>& compares,
                                        const std::vector<Op>& success,
                                        const std::vector<Op>& failure = {}) = 0;

  // A lease of `ttl` (etcd may round up); returns its id.
  virtual absl::StatusOr<int64_t> LeaseGrant(absl::Duration ttl) = 0;
  // One keep-alive; NotFound when the lease has expired.
  virtual absl::Status LeaseKeepAlive(int64_t lease) = 0;
  virtual absl::Status LeaseRevoke(int64_t lease) = 0;

  // Events of keys under `prefix` after `start_revision` - 1 (i.e. from
  // start_revision on).
  virtual std::unique_ptr<Watch> WatchPrefix(std::string_view prefix, int64_t start_revision) = 0;
};

}  // namespace vswitch::etcd
