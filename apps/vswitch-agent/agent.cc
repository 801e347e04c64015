// SPDX-License-Identifier: Apache-2.0
#include "apps/vswitch-agent/agent.h"

#include <algorithm>
#include <map>
#include <thread>
#include <utility>
#include <vector>

#include <glog/logging.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include "absl/container/btree_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "vswitch/fleet/keyspace.h"

namespace vswitch::agent {
namespace {

constexpr absl::Duration kRpcTimeout = absl::Seconds(30);
constexpr absl::Duration kPoll = absl::Milliseconds(200);

std::string Deterministic(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  m.SerializeToCodedStream(&coded);
  coded.Trim();
  return out;
}

std::unique_ptr<grpc::ClientContext> Context() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + kRpcTimeout));
  return ctx;
}

absl::Status FromGrpc(const grpc::Status& s, const char* call) {
  if (s.ok()) {
    return absl::OkStatus();
  }
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      absl::StrCat("vswitchd ", call, ": ", s.error_message()));
}

bool IsUplink(const v1::VPort& p) { return p.kind() == v1::VPORT_KIND_UPLINK; }

// What of vswitchd's running config the agent owns, without output-only
// fields, so that two reads compare equal unless someone changed it.
std::string OwnedPart(v1::Config config) {
  auto* vports = config.mutable_vports();
  vports->erase(std::remove_if(vports->begin(), vports->end(), IsUplink), vports->end());
  for (v1::VPort& p : *vports) {
    p.clear_port_id();
    p.clear_mac();
    p.clear_link_up();
  }
  config.clear_neighbors();
  return Deterministic(config);
}

void SleepUnless(const std::atomic<bool>& stop, absl::Duration d) {
  const absl::Time until = absl::Now() + d;
  while (!stop && absl::Now() < until) {
    absl::SleepFor(std::min(kPoll, until - absl::Now()));
  }
}

// Whether the refused value at `key` is of an object in `slice`.
bool RelevantTo(const fleet::FleetState& state, const v1::Config& slice, const std::string& key) {
  const fleet::ParsedKey pk = fleet::ParseKey(key);
  auto named = [&](const auto& objects) {
    return std::any_of(objects.begin(), objects.end(),
                       [&](const auto& o) { return o.name() == pk.name; });
  };
  switch (pk.kind) {
    case fleet::KeyKind::kVm: {
      auto vm = state.vms().find(pk.name);
      return named(slice.vports()) ||
             (vm != state.vms().end() &&
              std::any_of(slice.vnets().begin(), slice.vnets().end(),
                          [&](const v1::VNet& v) { return v.name() == vm->second.vnet(); }));
    }
    case fleet::KeyKind::kVnet:
      return named(slice.vnets());
    case fleet::KeyKind::kDestination:
      return named(slice.destinations());
    case fleet::KeyKind::kTap:
      return named(slice.tap_sessions());
    default:
      return false;
  }
}

}  // namespace

ApplyPlan PlanApply(const v1::Config* applied, const v1::Config& next) {
  if (applied == nullptr) {
    return {ApplyPlan::Kind::kApplyConfig, ""};
  }
  v1::Config a = *applied;
  v1::Config b = next;
  a.clear_remote_ports();
  b.clear_remote_ports();
  if (Deterministic(a) != Deterministic(b)) {
    return {ApplyPlan::Kind::kApplyConfig, ""};
  }
  // Remote ports by VNet: a move or a new VM changes one VNet's, which
  // ReplaceRemotePorts carries without the rest of the config.
  std::map<std::string, std::string> before, after;
  for (const v1::RemotePort& p : applied->remote_ports()) {
    before[p.vnet()] += Deterministic(p);
  }
  for (const v1::RemotePort& p : next.remote_ports()) {
    after[p.vnet()] += Deterministic(p);
  }
  std::vector<std::string> changed;
  for (const auto& [vnet, bytes] : after) {
    auto it = before.find(vnet);
    if (it == before.end() || it->second != bytes) {
      changed.push_back(vnet);
    }
  }
  for (const auto& [vnet, bytes] : before) {
    if (!after.contains(vnet)) {
      changed.push_back(vnet);
    }
  }
  if (changed.empty()) {
    return {ApplyPlan::Kind::kNone, ""};
  }
  if (changed.size() == 1) {
    return {ApplyPlan::Kind::kReplaceRemotePorts, changed[0]};
  }
  return {ApplyPlan::Kind::kApplyConfig, ""};
}

std::string ErrorWithKey(const v1::Config& config, const std::string& message) {
  // "vports[2].ips[0]: ..." -> the object's key in front.
  const size_t open = message.find('[');
  const size_t close = message.find(']');
  if (open == std::string::npos || close == std::string::npos || close < open) {
    return message;
  }
  // The field starts after the last space before '[' ("vswitchd ApplyConfig: ").
  const size_t space = message.rfind(' ', open);
  const size_t begin = space == std::string::npos ? 0 : space + 1;
  const std::string field = message.substr(begin, open - begin);
  int index = 0;
  if (!absl::SimpleAtoi(message.substr(open + 1, close - open - 1), &index) || index < 0) {
    return message;
  }
  std::string key;
  if (field == "vports" && index < config.vports_size()) {
    key = fleet::VmKey(config.vports(index).name());
  } else if (field == "vnets" && index < config.vnets_size()) {
    key = fleet::VnetKey(config.vnets(index).name());
  } else if (field == "destinations" && index < config.destinations_size()) {
    key = fleet::DestinationKey(config.destinations(index).name());
  } else if (field == "tap_sessions" && index < config.tap_sessions_size()) {
    key = fleet::TapKey(config.tap_sessions(index).name());
  } else if (field == "remote_ports" && index < config.remote_ports_size()) {
    // A remote port is a VM of another host: name it by VNet and MAC.
    const v1::RemotePort& p = config.remote_ports(index);
    key = absl::StrCat("remote port ", p.vnet(), " ", p.mac());
  }
  return key.empty() ? message : absl::StrCat(key, ": ", message);
}

Agent::Agent(AgentOptions options, etcd::Client* etcd, v1::VSwitch::StubInterface* vswitchd)
    : options_(std::move(options)), etcd_(etcd), vswitchd_(vswitchd) {
  status_.set_agent_version(VSWITCH_VERSION);
  status_.set_state("applying");
}

void Agent::Run(const std::atomic<bool>& stop) {
  absl::Duration backoff = absl::Milliseconds(100);
  while (!stop) {
    const absl::Status s = Session(stop);
    if (stop) {
      break;
    }
    // The dataplane keeps what it runs; only the agent's view is stale.
    LOG(WARNING) << "etcd session ended: " << s << "; retrying in " << backoff;
    Report(/*etcd_connected=*/false, s.ToString());
    SleepUnless(stop, backoff);
    backoff = std::min(backoff * 2, options_.max_backoff);
    if (s.code() == absl::StatusCode::kOutOfRange) {
      backoff = absl::Milliseconds(100);  // Compacted: resync at once.
    }
  }
  Report(/*etcd_connected=*/false, "agent stopped");
}

absl::Status Agent::RefreshLocal() {
  v1::Config running;
  auto ctx = Context();
  if (absl::Status s = FromGrpc(vswitchd_->GetConfig(ctx.get(), v1::GetConfigRequest(), &running),
                                "GetConfig");
      !s.ok()) {
    return s;
  }
  v1::Config local;
  for (const v1::VPort& p : running.vports()) {
    if (IsUplink(p)) {
      v1::VPort* up = local.add_vports();
      *up = p;
      up->clear_id();
      up->clear_port_id();
      up->clear_mac();
      up->clear_link_up();
    }
  }
  *local.mutable_neighbors() = running.neighbors();
  if (have_local_ && Deterministic(local) != Deterministic(local_)) {
    LOG(INFO) << "vswitchd's uplink or neighbors changed: re-applying the slice";
    apply_failed_ = true;
  }
  local_ = std::move(local);
  have_local_ = true;
  if (recapture_) {
    running_owned_ = OwnedPart(running);
    recapture_ = false;
  } else if (applied_ != nullptr && OwnedPart(running) != running_owned_) {
    LOG(WARNING) << "vswitchd's configuration changed outside the agent (a restart or a vsctl "
                    "change): re-applying the slice";
    apply_failed_ = true;
  }
  if (!options_.vtep.empty()) {
    vtep_ip_ = options_.vtep;
  } else {
    vtep_ip_.clear();
    for (const v1::VPort& p : local_.vports()) {
      const std::string& cidr = p.uplink().ip_cidr();
      vtep_ip_ = cidr.substr(0, cidr.find('/'));
    }
  }
  if (vtep_ip_.empty()) {
    return absl::FailedPreconditionError(
        "vswitchd has no uplink: add one (vsctl add uplink ...) or pass --vtep");
  }
  return absl::OkStatus();
}

absl::Status Agent::EnsureLease() {
  if (lease_ == 0) {
    absl::StatusOr<int64_t> lease = etcd_->LeaseGrant(options_.lease_ttl);
    if (!lease.ok()) {
      return lease.status();
    }
    lease_ = *lease;
    reported_status_.clear();  // The old status key went with the old lease.
  }
  fleet::v1::HostVtep vtep;
  vtep.set_ip(vtep_ip_);
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(vtep, &json);
  absl::StatusOr<int64_t> put = etcd_->Put(fleet::HostVtepKey(options_.host), json, lease_);
  if (!put.ok()) {
    if (put.status().code() == absl::StatusCode::kNotFound) {
      lease_ = 0;  // Expired while we were away: the next try grants one.
    }
    return put.status();
  }
  next_keepalive_ = absl::Now() + options_.lease_ttl / 3;
  return absl::OkStatus();
}

absl::Status Agent::KeepLease() {
  if (absl::Now() < next_keepalive_) {
    return absl::OkStatus();
  }
  absl::Status s = etcd_->LeaseKeepAlive(lease_);
  if (s.code() == absl::StatusCode::kNotFound) {
    // The lease expired (etcd was away longer than its TTL): the other
    // hosts dropped this host's ports; publish again under a new one.
    LOG(WARNING) << "lease " << lease_ << " expired; publishing under a new lease";
    lease_ = 0;
    s = EnsureLease();
  }
  if (s.ok()) {
    next_keepalive_ = absl::Now() + options_.lease_ttl / 3;
  }
  return s;
}

absl::Status Agent::Session(const std::atomic<bool>& stop) {
  if (absl::Status s = RefreshLocal(); !s.ok()) {
    message_ = s.ToString();
    return s;
  }
  if (absl::Status s = EnsureLease(); !s.ok()) {
    return s;
  }
  absl::StatusOr<etcd::RangeResult> all = etcd_->GetPrefix(fleet::kRoot);
  if (!all.ok()) {
    return all.status();
  }
  state_.Clear();
  for (const etcd::KeyValue& kv : all->kvs) {
    if (absl::Status s = state_.Put(kv.key, kv.value); !s.ok()) {
      LOG(WARNING) << "refused: " << s.message();
    }
  }
  LOG(INFO) << "read " << all->kvs.size() << " keys at revision " << all->revision;
  seen_revision_ = all->revision;
  Reconcile(all->revision, /*force=*/true);
  Report(/*etcd_connected=*/true);

  std::unique_ptr<etcd::Watch> watch = etcd_->WatchPrefix(fleet::kRoot, all->revision + 1);
  while (!stop) {
    absl::StatusOr<std::vector<etcd::Event>> events = watch->Next(kPoll);
    if (!events.ok()) {
      watch->Cancel();
      return events.status();
    }
    size_t n = events->size();
    // Everything already queued is one batch: one change on vswitchd.
    while (!events->empty()) {
      for (const etcd::Event& e : *events) {
        if (e.type == etcd::Event::Type::kPut) {
          if (absl::Status s = state_.Put(e.kv.key, e.kv.value); !s.ok()) {
            LOG(WARNING) << "refused: " << s.message();
          }
        } else {
          state_.Delete(e.kv.key);
        }
      }
      events = watch->Next(absl::ZeroDuration());
      if (!events.ok()) {
        break;  // Applied what came; the next Next() reports the break.
      }
      n += events->size();
    }
    if (n > 0) {
      seen_revision_ = std::max(seen_revision_, watch->revision());
      Reconcile(seen_revision_, /*force=*/false);
      Report(/*etcd_connected=*/true);
    }
    if (absl::Status s = KeepLease(); !s.ok()) {
      watch->Cancel();
      return s;
    }
    if (absl::Now() >= next_status_) {
      CheckDrift();
      Report(/*etcd_connected=*/true);
    }
  }
  watch->Cancel();
  return absl::CancelledError("stopped");
}

void Agent::CheckDrift() {
  if (absl::Status s = RefreshLocal(); !s.ok()) {
    message_ = s.ToString();
    apply_failed_ = true;
    status_.set_state("error");
    return;
  }
  if (apply_failed_) {
    Reconcile(seen_revision_, /*force=*/true);
  }
}

void Agent::Reconcile(int64_t revision, bool force) {
  fleet::Slice slice = fleet::ComputeSlice(state_, options_.host, local_);
  std::string bytes = Deterministic(slice.config);
  status_.set_vms(slice.vms);
  status_.set_remote_ports(slice.remote_ports);
  status_.set_tap_sessions(slice.tap_sessions);
  // Refused values of objects this host runs (they run on their last good
  // value) are this host's to report as well; the rest of the fleet's are
  // vswitch-fleet show errors' business.
  absl::btree_map<std::string, std::string> errors = slice.errors;
  for (const auto& [key, reason] : state_.errors()) {
    if (RelevantTo(state_, slice.config, key)) errors.emplace(key, reason);
  }
  const std::string slice_error =
      errors.empty() ? ""
                     : absl::StrCat(errors.begin()->first, ": ", errors.begin()->second,
                                    errors.size() > 1
                                        ? absl::StrCat(" (and ", errors.size() - 1, " more)")
                                        : "");
  const bool full = force || apply_failed_ || applied_ == nullptr;
  if (!full && bytes == applied_bytes_) {
    applied_revision_ = revision;  // Nothing of this host changed...
    message_ = slice_error;        // ...but a value of it may have been refused.
    status_.set_state(slice_error.empty() ? "converged" : "error");
    return;
  }
  const ApplyPlan plan = full ? ApplyPlan{ApplyPlan::Kind::kApplyConfig, ""}
                              : PlanApply(applied_.get(), slice.config);
  absl::Status s;
  const absl::Time start = absl::Now();
  std::string what;  // For the log: which RPC, how many bytes (a walk of the request).
  if (plan.kind == ApplyPlan::Kind::kReplaceRemotePorts) {
    v1::ReplaceRemotePortsRequest req;
    req.set_vnet(plan.vnet);
    for (const v1::RemotePort& p : slice.config.remote_ports()) {
      if (p.vnet() == plan.vnet) {
        *req.add_ports() = p;
      }
    }
    if (VLOG_IS_ON(1)) {
      what = absl::StrCat("ReplaceRemotePorts of ", plan.vnet, ", ", req.ports_size(),
                          " ports, ", req.ByteSizeLong(), " bytes");
    }
    v1::ReplaceRemotePortsResponse resp;
    auto ctx = Context();
    s = FromGrpc(vswitchd_->ReplaceRemotePorts(ctx.get(), req, &resp), "ReplaceRemotePorts");
    if (s.ok()) {
      snapshot_generation_ = resp.snapshot_generation();
    }
  } else if (plan.kind == ApplyPlan::Kind::kApplyConfig) {
    v1::ApplyConfigRequest req;
    *req.mutable_config() = slice.config;
    if (VLOG_IS_ON(1)) what = absl::StrCat("ApplyConfig, ", req.ByteSizeLong(), " bytes");
    v1::ApplyConfigResponse resp;
    auto ctx = Context();
    s = FromGrpc(vswitchd_->ApplyConfig(ctx.get(), req, &resp), "ApplyConfig");
    if (s.ok()) {
      snapshot_generation_ = resp.snapshot_generation();
    }
  }
  if (!s.ok()) {
    // vswitchd validated the whole change and refused it: it runs the
    // last slice it accepted. Retried at the next status tick.
    apply_failed_ = true;
    message_ = ErrorWithKey(slice.config, std::string(s.message()));
    status_.set_state("error");
    LOG(WARNING) << "apply at revision " << revision << " refused: " << message_;
    return;
  }
  // bench/fleet/run.py reads this line (RPC bytes per change).
  VLOG(1) << "applied revision " << revision << ": " << what << ", in " << absl::Now() - start;
  applied_ = std::make_unique<v1::Config>(std::move(slice.config));
  applied_bytes_ = std::move(bytes);
  applied_revision_ = revision;
  apply_failed_ = false;
  recapture_ = true;
  message_ = slice_error;
  status_.set_state(slice_error.empty() ? "converged" : "error");
  status_.set_applied_at(absl::ToUnixSeconds(absl::Now()));
}

void Agent::Report(bool etcd_connected, const std::string& disconnect_reason) {
  status_.set_applied_revision(applied_revision_);
  status_.set_snapshot_generation(snapshot_generation_);
  status_.set_error(status_.state() == "converged" ? "" : message_);
  v1::SetControllerStatusRequest req;
  v1::ControllerStatus* c = req.mutable_status();
  c->set_name("vswitch-agent");
  c->set_connected(etcd_connected);
  c->set_state(etcd_connected ? status_.state() : "disconnected");
  c->set_applied_revision(applied_revision_);
  c->set_message(etcd_connected ? status_.error()
                                : absl::StrCat("etcd unreachable, running revision ",
                                               applied_revision_, ": ", disconnect_reason)
                                      .substr(0, 4096));
  v1::SetControllerStatusResponse resp;
  auto ctx = Context();
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  if (grpc::Status s = vswitchd_->SetControllerStatus(ctx.get(), req, &resp); !s.ok()) {
    VLOG(1) << "SetControllerStatus: " << s.error_message();
  }
  next_status_ = absl::Now() + options_.status_interval;
  if (!etcd_connected || lease_ == 0) {
    return;
  }
  // Written when it says something new; a bare revision advance (changes
  // of other hosts) at most once per status interval, so that a change
  // touching few hosts does not make the whole fleet write.
  fleet::v1::HostStatus without_revision = status_;
  without_revision.clear_applied_revision();
  without_revision.clear_applied_at();
  const std::string key_bytes = Deterministic(without_revision);
  const bool news = key_bytes != reported_status_;
  if (!news && (applied_revision_ == reported_revision_ ||
                absl::Now() - status_written_ < options_.status_interval)) {
    return;
  }
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(status_, &json);
  if (absl::StatusOr<int64_t> put = etcd_->Put(fleet::HostStatusKey(options_.host), json, lease_);
      put.ok()) {
    reported_status_ = key_bytes;
    reported_revision_ = applied_revision_;
    status_written_ = absl::Now();
  } else {
    VLOG(1) << "status put: " << put.status();
  }
}

}  // namespace vswitch::agent
