// SPDX-License-Identifier: Apache-2.0
#include "vswitch/control/snapshot_builder.h"

#include <cstring>

#include <rte_hash.h>
#include <rte_hash_crc.h>

#include "absl/strings/str_format.h"
#include "lib/dpdk/dpdk_status.h"
#include "lib/net/mac_address.h"

namespace vswitch::control {
namespace {

using dataplane::FdbKey;
using dataplane::Snapshot;

absl::Status AddFdb(rte_hash* fdb, uint16_t vnet_index, const uint8_t* mac, uint16_t port,
                    bool is_static) {
  FdbKey key{.vnet_index = vnet_index, .mac = {}};
  std::memcpy(key.mac, mac, 6);
  int ret = rte_hash_add_key_data(
      fdb, &key, reinterpret_cast<void*>(dataplane::PackFdbValue(port, is_static)));
  if (ret != 0) {
    return dpdk::DpdkError("rte_hash_add_key_data(fdb)", ret);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<const Snapshot>> BuildSnapshot(const SnapshotInputs& in) {
  const v1::Config& config = *in.config;
  auto snap = std::make_unique<Snapshot>();
  snap->generation = in.generation;
  snap->mac_learning = in.mac_learning;
  snap->learn_refresh_cycles = in.learn_refresh_cycles;
  snap->rx_queues.resize(in.n_workers);

  absl::flat_hash_map<std::string, uint16_t> vnet_index;
  absl::flat_hash_map<uint32_t, uint16_t> vnet_index_by_id;
  for (int i = 0; i < config.vnets_size(); ++i) {
    dataplane::VnetInfo v;
    v.id = config.vnets(i).id();
    v.vni = config.vnets(i).vni();
    snap->vnets.push_back(std::move(v));
    vnet_index[config.vnets(i).name()] = static_cast<uint16_t>(i);
    vnet_index_by_id[config.vnets(i).id()] = static_cast<uint16_t>(i);
  }

  size_t n_static = config.fdb_size();
  for (const auto& vp : config.vports()) {
    n_static += vp.vm_macs_size();
    const VportRuntime& rt = in.runtime->at(vp.name());
    dataplane::PortInfo& pi = snap->ports[rt.port_id];
    pi.present = true;
    pi.admin_up = vp.admin_state() != v1::ADMIN_STATE_DOWN;
    pi.is_uplink = vp.kind() == v1::VPORT_KIND_UPLINK;
    pi.vport_id = vp.id();
    if (!pi.is_uplink) {
      pi.vnet_index = vnet_index.at(vp.vnet());
      if (pi.admin_up) {
        snap->vnets[pi.vnet_index].flood_ports.push_back(rt.port_id);
      }
    }
    for (uint16_t q = 0; q < rt.queue_worker.size(); ++q) {
      snap->rx_queues[rt.queue_worker[q]].push_back(dataplane::RxQueue{rt.port_id, q});
    }
  }

  // Table sized for twice the entries (rte_hash wants headroom), at least 1k.
  uint32_t capacity = 1024;
  while (capacity < 2 * (n_static + in.learned->entries().size())) {
    capacity <<= 1;
  }
  const std::string name = absl::StrFormat("fdb_g%u", in.generation);
  rte_hash_parameters params{};
  params.name = name.c_str();
  params.entries = capacity;
  params.key_len = sizeof(FdbKey);
  params.hash_func = rte_hash_crc;
  params.socket_id = SOCKET_ID_ANY;
  snap->fdb = rte_hash_create(&params);
  if (snap->fdb == nullptr) {
    return dpdk::DpdkError("rte_hash_create(" + name + ")", rte_errno);
  }

  // Static entries first; learned ones never override them.
  for (const auto& vp : config.vports()) {
    if (vp.kind() == v1::VPORT_KIND_UPLINK) {
      continue;
    }
    const uint16_t port = in.runtime->at(vp.name()).port_id;
    for (const auto& m : vp.vm_macs()) {
      auto mac = net::ParseMac(m);  // Validated before.
      absl::Status st = AddFdb(snap->fdb, vnet_index.at(vp.vnet()), mac->bytes.data(), port, true);
      if (!st.ok()) {
        return st;
      }
    }
  }
  for (const auto& e : config.fdb()) {
    auto mac = net::ParseMac(e.mac());
    const uint16_t port = in.runtime->at(e.vport()).port_id;
    absl::Status st = AddFdb(snap->fdb, vnet_index.at(e.vnet()), mac->bytes.data(), port, true);
    if (!st.ok()) {
      return st;
    }
  }
  for (const auto& [key, entry] : in.learned->entries()) {
    auto vi = vnet_index_by_id.find(key.first);
    if (vi == vnet_index_by_id.end() || !snap->ports[entry.port].present ||
        snap->ports[entry.port].vnet_index != vi->second) {
      continue;  // Stale: the VNet or port went away.
    }
    uint8_t mac[6];
    for (int b = 0; b < 6; ++b) {
      mac[b] = static_cast<uint8_t>(key.second >> (8 * (5 - b)));
    }
    FdbKey fk{.vnet_index = vi->second, .mac = {}};
    std::memcpy(fk.mac, mac, 6);
    if (rte_hash_lookup(snap->fdb, &fk) >= 0) {
      continue;  // A static entry wins.
    }
    absl::Status st = AddFdb(snap->fdb, vi->second, mac, entry.port, false);
    if (!st.ok()) {
      return st;
    }
  }
  return std::unique_ptr<const Snapshot>(std::move(snap));
}

}  // namespace vswitch::control
