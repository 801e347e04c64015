// SPDX-License-Identifier: Apache-2.0
#include "vswitch/control/telemetry.h"

#include <cstdint>
#include <string>

#include <rte_errno.h>
#include <rte_telemetry.h>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include <glog/logging.h>

#include "vswitch/api/vswitch.pb.h"
#include "vswitch/control/config_store.h"

namespace vswitch::control {
namespace {

// Guards g_store: held for a whole callback, so UnregisterTelemetry() waits
// for the one in progress.
absl::Mutex g_mu;
ConfigStore* g_store ABSL_GUARDED_BY(g_mu) = nullptr;
bool g_registered ABSL_GUARDED_BY(g_mu) = false;

// DPDK 22.11 accepts only [A-Za-z0-9_/] in dict keys; object names may also
// hold '.' and '-'. They become '_' (the value's "name" keeps the original).
std::string Key(const std::string& name) {
  std::string key = name.substr(0, RTE_TEL_MAX_STRING_LEN - 1);
  for (char& c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '/';
    if (!ok) {
      c = '_';
    }
  }
  return key;
}

// Adds `inner` under `name`, or frees it when the dict refuses it (full).
void AddContainer(rte_tel_data* d, const std::string& name, rte_tel_data* inner) {
  if (rte_tel_data_add_dict_container(d, Key(name).c_str(), inner, 0) != 0) {
    rte_tel_data_free(inner);
  }
}

void FillPorts(const v1::Stats& stats, rte_tel_data* d) {
  for (const v1::PortStats& p : stats.ports()) {
    rte_tel_data* port = rte_tel_data_alloc();
    if (port == nullptr) {
      return;
    }
    rte_tel_data_start_dict(port);
    rte_tel_data_add_dict_string(port, "name", p.name().c_str());
    rte_tel_data_add_dict_u64(port, "id", p.id());
    rte_tel_data_add_dict_u64(port, "rx_packets", p.rx_packets());
    rte_tel_data_add_dict_u64(port, "rx_bytes", p.rx_bytes());
    rte_tel_data_add_dict_u64(port, "tx_packets", p.tx_packets());
    rte_tel_data_add_dict_u64(port, "tx_bytes", p.tx_bytes());
    uint64_t drops = 0;
    for (const v1::DropCounter& c : p.drops()) {
      drops += c.packets();
    }
    rte_tel_data_add_dict_u64(port, "drops", drops);
    rte_tel_data_add_dict_u64(port, "rx_nombuf", p.rx_nombuf());
    rte_tel_data_add_dict_u64(port, "rx_missed", p.rx_missed());
    rte_tel_data_add_dict_u64(port, "rx_errors", p.rx_errors());
    rte_tel_data_add_dict_u64(port, "tx_errors", p.tx_errors());
    // Non-zero reasons only, as in PortStats.drops.
    for (const v1::DropCounter& c : p.drops()) {
      rte_tel_data_add_dict_u64(port, Key("drops/" + c.reason()).c_str(), c.packets());
    }
    AddContainer(d, p.name(), port);
  }
}

void FillMirror(const std::string& name, uint32_t id, const v1::MirrorCounters& c,
                rte_tel_data* d, const std::string& pcapng_file = "") {
  rte_tel_data* m = rte_tel_data_alloc();
  if (m == nullptr) {
    return;
  }
  rte_tel_data_start_dict(m);
  rte_tel_data_add_dict_string(m, "name", name.c_str());
  rte_tel_data_add_dict_u64(m, "id", id);
  rte_tel_data_add_dict_u64(m, "matched", c.matched());
  rte_tel_data_add_dict_u64(m, "cloned", c.cloned());
  rte_tel_data_add_dict_u64(m, "ring_full", c.ring_full());
  rte_tel_data_add_dict_u64(m, "clone_failed", c.clone_failed());
  rte_tel_data_add_dict_u64(m, "rate_limited", c.rate_limited());
  rte_tel_data_add_dict_u64(m, "no_next_hop", c.no_next_hop());
  rte_tel_data_add_dict_u64(m, "truncated", c.truncated());
  rte_tel_data_add_dict_u64(m, "tx_dropped", c.tx_dropped());
  rte_tel_data_add_dict_u64(m, "sent_packets", c.sent_packets());
  rte_tel_data_add_dict_u64(m, "sent_bytes", c.sent_bytes());
  if (!pcapng_file.empty()) {
    rte_tel_data_add_dict_string(m, "pcapng_file", pcapng_file.c_str());
  }
  AddContainer(d, name, m);
}

void FillSessions(const v1::Stats& stats, rte_tel_data* d) {
  for (const v1::SessionStats& s : stats.sessions()) {
    FillMirror(s.name(), s.id(), s.counters(), d);
  }
}

void FillDestinations(const v1::Stats& stats, rte_tel_data* d) {
  for (const v1::DestinationStats& s : stats.destinations()) {
    FillMirror(s.name(), s.id(), s.counters(), d, s.pcapng_file());
  }
}

void FillDrops(const v1::Stats& stats, rte_tel_data* d) {
  for (const v1::DropCounter& c : stats.drops()) {
    rte_tel_data_add_dict_u64(d, Key(c.reason()).c_str(), c.packets());
  }
}

void FillLcores(const v1::Stats& stats, rte_tel_data* d) {
  for (const v1::LcoreStats& l : stats.lcores()) {
    rte_tel_data* lc = rte_tel_data_alloc();
    if (lc == nullptr) {
      return;
    }
    rte_tel_data_start_dict(lc);
    rte_tel_data_add_dict_string(lc, "role", l.role().c_str());
    rte_tel_data_add_dict_u64(lc, "busy_cycles", l.busy_cycles());
    rte_tel_data_add_dict_u64(lc, "idle_cycles", l.idle_cycles());
    rte_tel_data_add_dict_u64(lc, "bursts", l.bursts());
    rte_tel_data_add_dict_u64(lc, "rx_packets", l.rx_packets());
    rte_tel_data_add_dict_u64(lc, "learn_events", l.learn_events());
    rte_tel_data_add_dict_u64(lc, "learn_ring_full", l.learn_ring_full());
    AddContainer(d, absl::StrFormat("%u", l.lcore_id()), lc);
  }
}

// Keyed by IP ("192_0_2_20": dict keys take no '.'); "ip" has the address.
void FillVteps(const v1::Stats& stats, rte_tel_data* d) {
  for (const v1::VtepStats& v : stats.vteps()) {
    rte_tel_data* t = rte_tel_data_alloc();
    if (t == nullptr) {
      return;
    }
    rte_tel_data_start_dict(t);
    rte_tel_data_add_dict_string(t, "ip", v.ip().c_str());
    rte_tel_data_add_dict_u64(t, "remote_ports", v.remote_ports());
    rte_tel_data_add_dict_string(t, "state", v.state().c_str());
    rte_tel_data_add_dict_u64(t, "rx_packets", v.rx_packets());
    rte_tel_data_add_dict_u64(t, "rx_bytes", v.rx_bytes());
    rte_tel_data_add_dict_u64(t, "tx_packets", v.tx_packets());
    rte_tel_data_add_dict_u64(t, "tx_bytes", v.tx_bytes());
    rte_tel_data_add_dict_u64(t, "replicated", v.replicated());
    AddContainer(d, v.ip(), t);
  }
}

// One telemetry command: a dict filled from a fresh GetStats().
template <void (*Fill)(const v1::Stats&, rte_tel_data*)>
int Handle(const char* /*cmd*/, const char* /*params*/, rte_tel_data* d) {
  absl::MutexLock lock(&g_mu);
  if (g_store == nullptr) {
    return -1;  // Shut down: DPDK answers {"<cmd>": null}.
  }
  const v1::Stats stats = g_store->GetStats();
  rte_tel_data_start_dict(d);
  Fill(stats, d);
  return 0;
}

struct Command {
  const char* name;
  telemetry_cb fn;
  const char* help;
};

constexpr Command kCommands[] = {
    {"/vswitch/ports", &Handle<FillPorts>,
     "Vport counters by name: rx/tx packets and bytes, drops (total and drops/<reason>)."},
    {"/vswitch/sessions", &Handle<FillSessions>, "TAP session counters by name."},
    {"/vswitch/destinations", &Handle<FillDestinations>,
     "Mirror destination counters by name."},
    {"/vswitch/drops", &Handle<FillDrops>, "Dropped packets by reason, over all vports."},
    {"/vswitch/vteps", &Handle<FillVteps>,
     "Remote VTEPs by IP: remote ports, next-hop state, rx/tx packets and bytes, replicated."},
    {"/vswitch/lcores", &Handle<FillLcores>,
     "Worker lcores by id: role, busy/idle cycles, bursts, rx packets."},
};

}  // namespace

bool RegisterTelemetry(ConfigStore* store) {
  absl::MutexLock lock(&g_mu);
  g_store = store;
  if (g_registered) {
    return true;
  }
  bool ok = true;
  for (const Command& c : kCommands) {
    const int ret = rte_telemetry_register_cmd(c.name, c.fn, c.help);
    if (ret != 0) {
      LOG(WARNING) << "rte_telemetry_register_cmd(" << c.name << "): " << rte_strerror(-ret);
      ok = false;
    }
  }
  g_registered = true;
  if (ok) {
    LOG(INFO) << "telemetry: /vswitch/{ports,sessions,destinations,drops,vteps,lcores} registered";
  }
  return ok;
}

void UnregisterTelemetry() {
  absl::MutexLock lock(&g_mu);
  g_store = nullptr;
}

}  // namespace vswitch::control
