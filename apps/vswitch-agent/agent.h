// SPDX-License-Identifier: Apache-2.0
//
// vswitch-agent: programs one host's vswitchd from the fleet's desired
// state in etcd. Reads /vswitch/v1/ once, then watches from that revision;
// after each batch of watch responses it computes the host's slice and, if
// it changed, applies it to vswitchd as one change (ApplyConfig, or
// ReplaceRemotePorts when only one VNet's remote ports changed). It keeps
// the host's lease, under which it publishes the host's VTEP and status.
// If etcd is unreachable the dataplane keeps running what was applied; the
// agent says so in vswitchd's `show health` and resyncs when etcd is back.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "lib/etcd/etcd_client.h"
#include "vswitch/api/fleet.pb.h"
#include "vswitch/api/vswitch.grpc.pb.h"
#include "vswitch/fleet/fleet_state.h"

namespace vswitch::agent {

struct AgentOptions {
  // This host's name in the keyspace (Vm.host).
  std::string host;
  // The VTEP IP to publish; empty: the uplink's IP from vswitchd.
  std::string vtep;
  absl::Duration lease_ttl = absl::Seconds(10);
  // How often the agent re-reports its status to vswitchd and checks that
  // vswitchd still runs what it applied (a restarted vswitchd, a vsctl
  // change of an agent-owned object).
  absl::Duration status_interval = absl::Seconds(5);
  // Longest wait between attempts to reach etcd again.
  absl::Duration max_backoff = absl::Seconds(2);
};

// Which RPC carries a change of the slice: the smallest that is still one
// change on vswitchd.
struct ApplyPlan {
  enum class Kind { kNone, kReplaceRemotePorts, kApplyConfig };
  Kind kind = Kind::kNone;
  // kReplaceRemotePorts: the one VNet whose remote ports changed.
  std::string vnet;
};
// `applied` is null before the first apply.
ApplyPlan PlanApply(const v1::Config* applied, const v1::Config& next);

// vswitchd's error for a config names a field ("vports[2].ips[0]: ...");
// the operator needs the etcd key of that object.
std::string ErrorWithKey(const v1::Config& config, const std::string& message);

class Agent {
 public:
  Agent(AgentOptions options, etcd::Client* etcd, v1::VSwitch::StubInterface* vswitchd);

  // Runs until `stop` is set (checked at least every 200 ms).
  void Run(const std::atomic<bool>& stop);

 private:
  // One connection's life: read, apply, watch until the watch fails.
  absl::Status Session(const std::atomic<bool>& stop);
  // Makes sure the host's lease exists and its VTEP key is under it.
  absl::Status EnsureLease();
  absl::Status KeepLease();
  // Reads the uplink and neighbors (which the agent never owns) from
  // vswitchd.
  absl::Status RefreshLocal();
  // Computes the slice at `revision` and applies it if it changed (or if
  // `force`).
  void Reconcile(int64_t revision, bool force);
  // Compares what vswitchd runs with what was applied; re-applies on drift.
  void CheckDrift();
  void Report(bool etcd_connected, const std::string& disconnect_reason = "");

  AgentOptions options_;
  etcd::Client* etcd_;
  v1::VSwitch::StubInterface* vswitchd_;

  fleet::FleetState state_;
  // The uplink vport and neighbors of vswitchd's running config.
  v1::Config local_;
  bool have_local_ = false;
  std::string vtep_ip_;

  int64_t lease_ = 0;
  absl::Time next_keepalive_ = absl::InfinitePast();

  // The last slice vswitchd accepted, and at which revision.
  std::unique_ptr<v1::Config> applied_;
  std::string applied_bytes_;
  int64_t seen_revision_ = 0;
  int64_t applied_revision_ = 0;
  uint64_t snapshot_generation_ = 0;
  // Set when an apply failed: retried at the next status tick.
  bool apply_failed_ = false;
  // What vswitchd held of the agent's objects after the last apply (its
  // own rendering, ids included), to see changes made behind our back.
  std::string running_owned_;
  bool recapture_ = true;

  fleet::v1::HostStatus status_;
  std::string reported_status_;
  int64_t reported_revision_ = -1;
  absl::Time status_written_ = absl::InfinitePast();
  absl::Time next_status_ = absl::InfinitePast();
  std::string message_;
};

}  // namespace vswitch::agent
