// SPDX-License-Identifier: Apache-2.0
//
// The immutable switching state the workers read. Built by the control side
// (control/snapshot_builder), published by one atomic store, freed after an
// RCU grace period. Plain C++ plus DPDK handles: no protobuf, no locks.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <vector>

#include <rte_acl.h>
#include <rte_config.h>
#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_ring.h>

namespace vswitch::dataplane {

class PcapngWriter;

inline constexpr uint16_t kMaxPorts = RTE_MAX_ETHPORTS;
inline constexpr uint16_t kNoVnet = 0xffff;
inline constexpr uint16_t kNoPort = 0xffff;
// TAP limits: sessions are bits of a uint32 in the flow cache entry.
inline constexpr int kMaxSessions = 32;
inline constexpr int kMaxDestinations = 32;
inline constexpr int kMaxDestsPerSession = 8;
inline constexpr int kMaxCollectors = 8;
inline constexpr int kMaxWorkers = 16;
// Sessions with filter rules per rte_acl context (one category each).
inline constexpr int kAclCategories = RTE_ACL_MAX_CATEGORIES;
inline constexpr int kMaxAclContexts = kMaxSessions / kAclCategories;

// FDB key: (VNet index in Snapshot::vnets, MAC). 8 bytes, no padding.
struct FdbKey {
  uint16_t vnet_index;
  uint8_t mac[6];
};
static_assert(sizeof(FdbKey) == 8);

// FDB value packed into the rte_hash data pointer.
inline constexpr uintptr_t kFdbStatic = uintptr_t{1} << 16;
inline uintptr_t PackFdbValue(uint16_t port, bool is_static) {
  return port | (is_static ? kFdbStatic : 0);
}
inline uint16_t FdbPort(uintptr_t v) { return static_cast<uint16_t>(v & 0xffff); }
inline bool FdbIsStatic(uintptr_t v) { return (v & kFdbStatic) != 0; }
// A remote port (a VM of this VNet on another host): the low 16 bits are
// then the VTEP's index in Snapshot::vteps, not a DPDK port. Always static.
inline constexpr uintptr_t kFdbRemote = uintptr_t{1} << 17;
inline uintptr_t PackFdbRemote(uint16_t vtep) { return vtep | kFdbStatic | kFdbRemote; }
inline bool FdbIsRemote(uintptr_t v) { return (v & kFdbRemote) != 0; }
inline uint16_t FdbVtep(uintptr_t v) { return static_cast<uint16_t>(v & 0xffff); }

// Overlay limits. VTEP indexes are stable counter slots (LcoreStats::vteps)
// kept by the control side while the VTEP has remote ports.
inline constexpr int kMaxVteps = 4096;
inline constexpr uint16_t kNoVtep = 0xffff;
// Outer Ethernet + IPv4 + UDP + VXLAN.
inline constexpr uint32_t kOverlayOverhead = 50;
inline constexpr uint16_t kDefaultVxlanPort = 4789;

// One DPDK port as the dataplane sees it. Indexed by DPDK port id.
struct PortInfo {
  bool present = false;
  bool admin_up = false;
  bool is_uplink = false;
  uint16_t vnet_index = kNoVnet;
  uint32_t vport_id = 0;
  // Longest frame (pkt_len) the port's device sends. A longer one is dropped
  // before TX (`mtu_exceeded`): the TAP PMD would stop the whole burst at it.
  uint32_t max_frame = UINT32_MAX;
  // Port security (Snapshot::port_security has the allowed sets): the
  // source MAC / IPv4 source of what the VM sends must be its own.
  bool check_src_mac = false;
  bool check_src_ip = false;
};

// Port security limits; the validator refuses more.
inline constexpr int kPortSecMaxMacs = 8;
inline constexpr int kPortSecMaxIps = 8;

// What a secured port may send from. Read on flow-cache misses only.
struct PortSecurity {
  uint8_t n_macs = 0;
  uint8_t n_ips = 0;
  uint8_t macs[kPortSecMaxMacs][6] = {};
  uint32_t ips_be[kPortSecMaxIps] = {};  // Network byte order, as in PacketKey.

  bool HasMac(const uint8_t* mac) const {
    for (uint8_t i = 0; i < n_macs; ++i) {
      if (std::memcmp(macs[i], mac, 6) == 0) {
        return true;
      }
    }
    return false;
  }
  bool HasIp(uint32_t ip_be) const {
    for (uint8_t i = 0; i < n_ips; ++i) {
      if (ips_be[i] == ip_be) {
        return true;
      }
    }
    return false;
  }
};

struct VnetInfo {
  uint32_t id = 0;
  uint32_t vni = 0;
  // Ports that are up, in port-id order: the flood set (minus the in-port).
  std::vector<uint16_t> flood_ports;
  // Head-end replication: VTEPs (indexes into Snapshot::vteps) with at least
  // one remote port of this VNet, in index order. A broadcast, multicast or
  // unknown-unicast frame from a local VM gets one copy to each; one that
  // came from the overlay goes to local ports only (split horizon).
  std::vector<uint16_t> flood_vteps;
  // ARP requests for an address in `arp_table` are answered by the switch.
  bool arp_suppression = true;
};

// A remote host's tunnel endpoint.
struct VtepInfo {
  uint32_t ip_be = 0;  // 0 = unused slot.
  bool resolved = false;
  uint8_t next_hop_mac[6] = {};
};

// ARP suppression table key: (VNet index, IPv4 address in network order).
struct ArpKey {
  uint16_t vnet_index;
  uint16_t pad;
  uint32_t ip_be;
};
static_assert(sizeof(ArpKey) == 8);
// ARP table value: the MAC in the low 48 bits of the rte_hash data pointer.
inline uintptr_t PackMac(const uint8_t* mac) {
  uintptr_t v = 0;
  for (int i = 0; i < 6; ++i) {
    v |= uintptr_t{mac[i]} << (8 * i);
  }
  return v;
}
inline void UnpackMac(uintptr_t v, uint8_t* mac) {
  for (int i = 0; i < 6; ++i) {
    mac[i] = static_cast<uint8_t>(v >> (8 * i));
  }
}

// A TAP session as the dataplane sees it.
struct SessionInfo {
  uint32_t id = 0;
  uint16_t slot = 0;          // Stable counter slot (survives updates).
  uint16_t truncate = 0;      // Inner bytes kept; 0 = whole frame.
  uint64_t rate_pps = 0;      // 0 = unlimited.
  uint8_t n_dests = 0;
  uint8_t dests[kMaxDestsPerSession] = {};  // Indexes into Snapshot::dests.
  bool has_rules = false;
  uint8_t acl_ctx = 0;       // With rules: which context and category decide.
  uint8_t acl_category = 0;
};

struct CollectorInfo {
  uint32_t ip_be = 0;  // Underlay address (or the VM's, in_vnet), network byte order.
  bool resolved = false;
  uint8_t next_hop_mac[6] = {};  // In a VNet: the VM's own MAC.
  // In a VNet (DestInfo::in_vnet): the VM is behind this local port, or
  // (kNoPort) on remote VTEP `vtep`.
  uint16_t local_port = kNoPort;
  uint16_t vtep = kNoVtep;
};

// A mirror destination: its rings (one per forwarding worker, SPSC: worker
// enqueues, the encap worker dequeues) and VXLAN parameters.
struct DestInfo {
  uint32_t id = 0;
  uint16_t slot = 0;
  uint32_t vni = 0;
  uint16_t udp_port = 4789;
  bool mark_copies = false;  // VXLAN-GBP: direction and vport in the policy id.
  uint8_t n_collectors = 0;
  CollectorInfo collectors[kMaxCollectors];
  // Indices of the resolved collectors: a flow whose collector is unresolved
  // fails over to live[HashToIndex(hash, n_live)], while flows of live collectors stay put.
  uint8_t n_live = 0;
  uint8_t live[kMaxCollectors] = {};
  rte_ring* rings[kMaxWorkers] = {};
  // Collectors are VMs of a VNet (MirrorDestination.collectors_in_vnet):
  // each copy is VXLAN from the uplink's address to the VM, sent out of
  // the VM's local port, or wrapped once more (VXLAN with overlay_vni, the
  // collector VNet's VNI) to the VTEP of its host.
  bool in_vnet = false;
  uint32_t overlay_vni = 0;
  // Set for a pcapng destination: copies are written to it instead of
  // being encapsulated. Owned by the control side, like the rings.
  PcapngWriter* pcapng = nullptr;
};

struct UplinkInfo {
  bool present = false;
  uint16_t port = 0;
  uint16_t encap_queue = 0;  // TX queue owned by the encap worker.
  uint16_t mtu = 1500;
  uint32_t ip_be = 0;
  uint8_t mac[6] = {};
  // Source MAC of copies to collector VMs: CopySourceMac(ip_be).
  uint8_t copy_mac[6] = {};
};

// The Ethernet source of TAP copies a host sends to collector VMs inside a
// VNet: 06:76 (locally administered, "v") + its VTEP address. A host that
// decapsulates such a copy knows it is the sending VTEP's own by this MAC
// (no remote port has it), without a table entry per host.
inline void CopySourceMac(uint32_t vtep_ip_be, uint8_t* mac) {
  mac[0] = 0x06;
  mac[1] = 0x76;
  std::memcpy(mac + 2, &vtep_ip_be, 4);
}
inline bool IsCopySourceMacOf(const uint8_t* mac, uint32_t vtep_ip_be) {
  return mac[0] == 0x06 && mac[1] == 0x76 && std::memcmp(mac + 2, &vtep_ip_be, 4) == 0;
}

// A receive queue a worker polls.
struct RxQueue {
  uint16_t port;
  uint16_t queue;
};

// Cached flows are invalidated per part of the state they were decided on,
// so that FDB churn (1,000 changes/s) does not flush unrelated flows: the
// FDB is split into buckets by (VNet, MAC), each stamped with the cache tag
// of the last snapshot that changed an entry in it.
inline constexpr uint32_t kFdbEpochBuckets = 256;
inline uint32_t FdbEpochBucket(uint16_t vnet_index, const uint8_t* mac) {
  return (mac[5] ^ (mac[4] * 7u) ^ (mac[3] * 13u) ^ (mac[2] * 31u) ^ vnet_index * 61u) &
         (kFdbEpochBuckets - 1);
}

struct Snapshot {
  uint64_t generation = 0;
  // Flow-cache tags. cache_tag: this snapshot's (the generation, never 0).
  // A flow cached under tag T is still right here iff T >= struct_tag (last
  // change to anything but the FDB: ports, VNets, TAP, learning) and
  // T >= fdb_epoch of the buckets of its source and destination MACs.
  uint64_t cache_tag = 0;
  uint64_t struct_tag = 0;
  std::array<uint64_t, kFdbEpochBuckets> fdb_epoch{};
  // Control side only: what the next snapshot compares to decide its tags.
  uint64_t struct_digest = 0;
  std::array<uint64_t, kFdbEpochBuckets> fdb_digest{};
  std::array<PortInfo, kMaxPorts> ports{};
  std::array<PortSecurity, kMaxPorts> port_security{};
  // The vport's name per port ("" = none): interface names in pcapng files.
  // Cold: only the encap worker reads it, once per vport per file.
  std::array<std::array<char, 33>, kMaxPorts> vport_names{};
  std::vector<VnetInfo> vnets;
  // (vnet_index, mac) -> PackFdbValue(port, static). Read-only once published.
  rte_hash* fdb = nullptr;
  // rx_queues[w]: the queues worker w polls.
  std::vector<std::vector<RxQueue>> rx_queues;
  bool mac_learning = true;
  // Learned entries are refreshed by a worker at most this often (TSC cycles).
  uint64_t learn_refresh_cycles = 0;

  // TAP. Bits are indexes into `sessions`.
  std::vector<SessionInfo> sessions;
  std::vector<DestInfo> dests;
  std::array<uint32_t, kMaxPorts> port_tx_sessions{};  // Sessions tapping TX of port.
  std::array<uint32_t, kMaxPorts> port_rx_sessions{};  // Sessions tapping RX of port.
  uint32_t rx_sessions = 0;     // Union of port_rx_sessions.
  uint32_t rules_sessions = 0;  // Sessions with filter rules (decided by ACL).
  // Flows must be keyed on L3/L4 because a filter looks at them.
  bool key_l3l4 = false;
  // Context i of each family decides the sessions whose acl_ctx is i; null
  // when none of their rules can match that family (tap_filter.h).
  rte_acl_ctx* acl[kMaxAclContexts] = {};
  rte_acl_ctx* acl6[kMaxAclContexts] = {};
  uint8_t n_acl = 0;
  UplinkInfo uplink;

  // Overlay. vteps[i] is VTEP index i (holes have ip_be 0).
  std::vector<VtepInfo> vteps;
  // VXLAN received on the uplink: outer source IPv4 (4 bytes, network
  // order) -> VTEP index as the data pointer; VNI (uint32_t, host order) ->
  // VNet index. Null when the tables would be empty.
  rte_hash* vtep_by_ip = nullptr;
  rte_hash* vnet_by_vni = nullptr;
  // ArpKey -> PackMac(mac): local vports' ips (their first vm_mac) and
  // remote ports' ips. Null when empty.
  rte_hash* arp_table = nullptr;
  // UDP destination port of the overlay (and of decapsulation).
  uint16_t vxlan_port = kDefaultVxlanPort;

  Snapshot() = default;
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;
  ~Snapshot() {
    for (rte_hash* h : {fdb, vtep_by_ip, vnet_by_vni, arp_table}) {
      if (h != nullptr) {
        rte_hash_free(h);
      }
    }
    for (uint8_t i = 0; i < n_acl; ++i) {
      rte_acl_free(acl[i]);
      rte_acl_free(acl6[i]);
    }
  }
};

// The published pointer. Thread: Publish from the control side only;
// Current() from any thread.
class SnapshotSlot {
 public:
  // Hot path: one acquire load.
  const Snapshot* Current() const { return current_.load(std::memory_order_acquire); }
  // Returns the previous snapshot; the caller retires it after a grace period.
  const Snapshot* Exchange(const Snapshot* next) {
    return current_.exchange(next, std::memory_order_acq_rel);
  }

 private:
  std::atomic<const Snapshot*> current_{nullptr};
};

// A MAC learn (or refresh) event, worker -> main lcore.
struct LearnEvent {
  uint32_t vnet_id;
  uint16_t port;
  uint8_t mac[6];
  uint32_t pad;
};
static_assert(sizeof(LearnEvent) == 16);

}  // namespace vswitch::dataplane
