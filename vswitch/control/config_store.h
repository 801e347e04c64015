// SPDX-License-Identifier: Apache-2.0
//
// The single writer of the switch's configuration. Every change (RPC, shell,
// config load, MAC learning) goes through here under one mutex: validate the
// request and the whole candidate config, make any device it needs, build a
// snapshot off to the side, publish it, then commit. A failure before publish
// returns a Status and changes nothing. With persistence, a change method
// then releases the mutex and returns once a write of the file holds the
// change (group commit, ConfigPersister): one write covers every change
// committed while the previous one was in flight, and a failed write rolls
// its changes back.
// The methods are defined by resource: config_store.cc holds the transaction
// (Commit, durability, roll back, shutdown) and stats; config_store_vnets.cc
// VNets and vports; config_store_fdb.cc the FDB and MAC learning;
// config_store_tap.cc mirror destinations and TAP sessions (their rings,
// writers and slots are MirrorResources'); config_store_neighbors.cc static
// neighbors and ARP (ArpEngine); config_store_remote.cc remote ports (the
// overlay); config_store_apply.cc ApplyConfig.
// Thread: any (methods serialise on mu_). Lifetime: the daemon's; Shutdown()
// before the EAL is torn down.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "vswitch/api/vswitch.pb.h"
#include "vswitch/control/arp_engine.h"
#include "vswitch/control/config_persister.h"
#include "vswitch/control/mac_table.h"
#include "vswitch/control/mirror_resources.h"
#include "vswitch/control/port_manager.h"
#include "vswitch/control/snapshot_builder.h"
#include "vswitch/control/snapshot_publisher.h"
#include "vswitch/control/stats.h"
#include "vswitch/dataplane/snapshot.h"

namespace vswitch::control {

struct ConfigStoreOptions {
  uint16_t n_workers = 1;
  bool mac_learning = true;
  absl::Duration mac_aging = absl::Seconds(300);
  // Mbufs for the ARP frames the main lcore sends on the uplink.
  rte_mempool* pool = nullptr;
  // Entries of each (worker, destination) mirror ring; a power of two.
  uint32_t mirror_ring_size = 1024;
  // Where every accepted configuration change is persisted (protobuf text
  // format, written atomically before the change is published). Empty: no
  // persistence.
  std::string config_path;
  // Directory of pcapng destinations' files; created (0750) on first use.
  std::string capture_dir;
};

// Transmit queues of the uplink: one per forwarding worker, then the encap
// worker's, then the main lcore's (ARP).
inline uint16_t UplinkEncapQueue(uint16_t n_workers) { return n_workers; }
inline uint16_t UplinkMainQueue(uint16_t n_workers) { return n_workers + 1; }

class ConfigStore {
 public:
  ConfigStore(const ConfigStoreOptions& opts, SnapshotPublisher* publisher, PortManager* ports,
              StatsCollector* stats);

  // Publishes the first (empty) snapshot.
  absl::Status Start();
  // Removes every vport (devices closed). Workers may still run.
  void Shutdown();

  // Each returns the status codes documented in vswitch.proto.
  absl::StatusOr<v1::VNet> CreateVNet(const v1::VNet& req);
  absl::Status DeleteVNet(const std::string& name);
  v1::ListVNetsResponse ListVNets() const;
  absl::Status PeerVNets(const std::string& a, const std::string& b, bool peer);

  absl::StatusOr<v1::VPort> AddVPort(const v1::VPort& req);
  absl::Status RemoveVPort(const std::string& name);
  v1::ListVPortsResponse ListVPorts() const;
  absl::StatusOr<v1::VPort> SetVPortAdminState(const std::string& name, v1::AdminState state);

  absl::StatusOr<v1::FdbEntry> AddFdbEntry(const v1::FdbEntry& req);
  absl::Status RemoveFdbEntry(const std::string& vnet, const std::string& mac);
  absl::StatusOr<v1::ListFdbResponse> ListFdb(const std::string& vnet) const;
  absl::StatusOr<uint32_t> FlushFdb(const std::string& vnet, bool include_static);

  absl::StatusOr<v1::MirrorDestination> CreateMirrorDestination(const v1::MirrorDestination& req);
  absl::Status DeleteMirrorDestination(const std::string& name);
  v1::ListMirrorDestinationsResponse ListMirrorDestinations() const;

  absl::StatusOr<v1::TapSession> CreateTapSession(const v1::TapSession& req);
  absl::StatusOr<v1::TapSession> UpdateTapSession(const v1::TapSession& req);
  absl::Status DeleteTapSession(const std::string& name);
  v1::ListTapSessionsResponse ListTapSessions() const;

  absl::StatusOr<v1::RemotePort> AddRemotePort(const v1::RemotePort& req);
  absl::Status RemoveRemotePort(const std::string& vnet, const std::string& mac);
  absl::StatusOr<v1::ListRemotePortsResponse> ListRemotePorts(const std::string& vnet) const;
  absl::StatusOr<v1::ReplaceRemotePortsResponse> ReplaceRemotePorts(
      const v1::ReplaceRemotePortsRequest& req);

  absl::StatusOr<v1::Neighbor> SetNeighbor(const v1::Neighbor& req);
  absl::Status DeleteNeighbor(const std::string& ip);
  v1::ListNeighborsResponse ListNeighbors() const;

  v1::Stats GetStats() const;
  void ClearStats();

  // Main loop: ARP frames received on the uplink (freed here), and the
  // periodic requests for unresolved next hops.
  void HandleArpFrames(rte_mbuf** frames, unsigned n, absl::Time now);
  void TickArp(absl::Time now);

  // Main loop: MAC learning and aging.
  void HandleLearnEvents(const dataplane::LearnEvent* events, size_t n, absl::Time now);
  void AgeMacs(absl::Time now);

  uint64_t generation() const;
  // Group commit of the config file: writes and the changes they held.
  ConfigPersister::Counters persist_counters() const { return persister_.counters(); }
  // The running configuration (what is persisted).
  v1::Config config() const;

  // Replaces the whole configuration as one change. `config` is normalised
  // (defaults as on creation) and validated whole; objects are matched to
  // running ones by name and keep their ids (ids in `config` are ignored;
  // new objects get fresh ones); vports whose device settings (driver,
  // queues, kind, uplink MTU) are unchanged keep their DPDK port and
  // counters. New devices are created first, one snapshot is published,
  // then removed devices are destroyed. Returns the new snapshot generation.
  // Codes: those of ValidateConfig (field paths "vports[1].vnet"), Unavailable
  // (a device, or persisting), ResourceExhausted (counter slots, rings). On
  // error nothing changed.
  absl::StatusOr<uint64_t> ApplyConfig(const v1::Config& config);

  // Startup: applies a configuration read from the config file onto the
  // empty store through the same path as ApplyConfig, keeping the file's ids
  // (next ids continue above them) and without rewriting the file.
  absl::Status RestoreConfig(const v1::Config& config);

 private:
  // Validates `candidate` whole, builds its snapshot, persists it when it
  // differs from config_ (Unavailable when that fails), publishes, commits.
  absl::Status Commit(v1::Config candidate) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The end of every change method: releases mu_ (held by `lock`) and waits
  // until the config file holds every change committed so far. Returns the
  // write's error (Unavailable) when it failed; the change was then rolled
  // back. The caller touches no guarded state afterwards.
  absl::Status ReleaseAndWaitDurable(absl::ReleasableMutexLock& lock)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // ConfigPersister's roll back: re-applies `durable`, returns change_seq_.
  uint64_t RollBack(const v1::Config& durable);
  absl::StatusOr<uint64_t> ApplyConfigLocked(const v1::Config& config, bool restore)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  v1::VPort WithRuntime(const v1::VPort& vp) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  const v1::VNet* FindVNet(const std::string& name) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int FindVPortIndex(const std::string& name) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<uint16_t> AssignQueues(uint16_t n_queues) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status RemoveVPortLocked(const std::string& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Normalises defaults of a session request; keeps `id`.
  static v1::TapSession NormalizedSession(const v1::TapSession& req, uint32_t id);
  std::string SessionUsing(const std::string& field, const std::string& name) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const ConfigStoreOptions opts_;
  SnapshotPublisher* const publisher_;
  PortManager* const ports_;
  StatsCollector* const stats_;

  mutable absl::Mutex mu_;
  v1::Config config_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, VportRuntime> runtime_ ABSL_GUARDED_BY(mu_);
  MacTable learned_ ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  uint32_t next_vnet_id_ ABSL_GUARDED_BY(mu_) = 1;
  uint32_t next_vport_id_ ABSL_GUARDED_BY(mu_) = 1;
  uint32_t next_dest_id_ ABSL_GUARDED_BY(mu_) = 1;
  uint32_t next_session_id_ ABSL_GUARDED_BY(mu_) = 1;
  // Makes vdev names of devices created by ApplyConfig unique (above any
  // vport id, which AddVPort uses).
  uint32_t next_device_unique_ ABSL_GUARDED_BY(mu_) = 0x10000;
  // Off during restore (the file already holds the config) and shutdown
  // (tearing down must not empty the file).
  bool persist_ ABSL_GUARDED_BY(mu_) = true;
  // Number of the last committed change the file must hold (bumped by a
  // commit that changes config_ while persisting).
  uint64_t change_seq_ ABSL_GUARDED_BY(mu_) = 0;
  // TAP's counter slots, rings and pcapng writers.
  MirrorResources mirror_ ABSL_GUARDED_BY(mu_);
  // Stable counter slots of the VTEPs of config_'s remote ports (Commit
  // assigns them: a VTEP keeps its slot while it has remote ports).
  VtepSlotMap vtep_slots_ ABSL_GUARDED_BY(mu_);
  // Next hops of the uplink: static neighbors and ARP.
  ArpEngine arp_ ABSL_GUARDED_BY(mu_);
  // Its hooks take mu_; it is never called with mu_ held.
  ConfigPersister persister_;
};

}  // namespace vswitch::control
