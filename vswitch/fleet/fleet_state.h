// SPDX-License-Identifier: Apache-2.0
//
// The fleet's desired state as read from etcd, kept up to date from a
// watch, and the slice of it one host runs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "vswitch/api/fleet.pb.h"
#include "vswitch/api/vswitch.pb.h"

namespace vswitch::fleet {

class FleetState {
 public:
  // One key's new value (from a read or a watch PUT). The value is parsed
  // (protobuf JSON, unknown fields refused) and checked on its own: the
  // name matches the key, names/MACs/IPs/VNI/driver are well formed (the
  // daemon's field validators). A value that fails leaves the object as it
  // was (its last good value, or absent) and is returned as an error
  // naming the key; it is also kept in errors() until the key is written
  // again validly or deleted. Keys outside the keyspace are errors too.
  absl::Status Put(std::string_view key, std::string_view value);
  void Delete(std::string_view key);
  void Clear();

  // key -> reason, for every key whose current value was refused.
  const absl::btree_map<std::string, std::string>& errors() const { return errors_; }

  const absl::flat_hash_map<std::string, fleet::v1::Tenant>& tenants() const { return tenants_; }
  const absl::flat_hash_map<std::string, vswitch::v1::VNet>& vnets() const { return vnets_; }
  // vni -> VNet name, from the claims.
  const absl::flat_hash_map<uint32_t, std::string>& vni_claims() const { return vni_claims_; }
  const absl::flat_hash_map<std::string, fleet::v1::Vm>& vms() const { return vms_; }
  const absl::flat_hash_map<std::string, vswitch::v1::MirrorDestination>& destinations() const {
    return destinations_;
  }
  const absl::flat_hash_map<std::string, vswitch::v1::TapSession>& taps() const { return taps_; }
  // Each peering once, as (a, b) with a < b.
  const absl::flat_hash_set<std::pair<std::string, std::string>>& peerings() const {
    return peerings_;
  }
  // host -> VTEP IP: the hosts alive (their lease holds).
  const absl::flat_hash_map<std::string, std::string>& host_vteps() const { return host_vteps_; }
  const absl::flat_hash_map<std::string, fleet::v1::HostStatus>& host_status() const {
    return host_status_;
  }

  // Indexes kept with every Put/Delete, so a host's slice costs what the
  // host has, not what the fleet has.
  // vnet -> names of its VMs; host -> names of its VMs.
  const absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>>& vms_by_vnet() const {
    return vms_by_vnet_;
  }
  const absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>>& vms_by_host() const {
    return vms_by_host_;
  }
  // VM name -> names of the TAP sessions naming it as a source.
  const absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>>& taps_by_vm() const {
    return taps_by_vm_;
  }

 private:
  absl::btree_map<std::string, std::string> errors_;
  absl::flat_hash_map<std::string, fleet::v1::Tenant> tenants_;
  absl::flat_hash_map<std::string, vswitch::v1::VNet> vnets_;
  absl::flat_hash_map<uint32_t, std::string> vni_claims_;
  absl::flat_hash_map<std::string, fleet::v1::Vm> vms_;
  absl::flat_hash_map<std::string, vswitch::v1::MirrorDestination> destinations_;
  absl::flat_hash_map<std::string, vswitch::v1::TapSession> taps_;
  absl::flat_hash_set<std::pair<std::string, std::string>> peerings_;
  absl::flat_hash_map<std::string, std::string> host_vteps_;
  absl::flat_hash_map<std::string, fleet::v1::HostStatus> host_status_;
  absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>> vms_by_vnet_;
  absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>> vms_by_host_;
  absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>> taps_by_vm_;
};

// What one host's vswitchd must run.
struct Slice {
  // VNets (with peers), the host's VMs as vports, remote ports (every VM of
  // those VNets on another live host: one per MAC, the first MAC with the
  // VM's ips, vtep = its host's VTEP), the TAP sessions with a source here
  // (sources cut to the local ones) and their destinations; plus, from
  // `local`, the uplink vport and the neighbors (the host's own).
  vswitch::v1::Config config;
  // Objects left out because they reference what does not exist (a VM's
  // VNet, a session's destination, ...): key -> reason.
  absl::btree_map<std::string, std::string> errors;
  uint32_t vms = 0;
  uint32_t remote_ports = 0;
  uint32_t tap_sessions = 0;
};

// Deterministic (objects sorted by name), so that an unchanged slice
// compares equal to the last one applied. VNets of a slice: those of the
// host's VMs, and those of the destinations its sessions use.
Slice ComputeSlice(const FleetState& state, std::string_view host,
                   const vswitch::v1::Config& local);

// The fleet-wide rules a write must keep (the fleet tool checks them before
// it writes; the agent reports violations): each VNet's tenant exists and
// its VNI claim names it; VM MACs and IPs unique in a VNet; a VM's VNet
// exists; a destination's VNet exists; every source of a session and its
// destinations are of one tenant and in the destination's VNet or one
// peered with it; peerings join VNets of one tenant. Returns the first
// violation, naming the key ("/vswitch/v1/taps/t1: destinations[0]: ...").
absl::Status ValidateFleet(const FleetState& state);

}  // namespace vswitch::fleet
