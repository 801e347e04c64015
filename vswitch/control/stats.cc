// SPDX-License-Identifier: Apache-2.0
#include "vswitch/control/stats.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "lib/net/ipv4.h"

namespace vswitch::control {

using dataplane::kNumDropReasons;

StatsCollector::StatsCollector(std::vector<const dataplane::LcoreStats*> lcores,
                               std::vector<WorkerRef> workers,
                               std::vector<const rte_mempool*> pools)
    : lcores_(std::move(lcores)),
      workers_(std::move(workers)),
      pools_(std::move(pools)),
      lcore_base_(lcores_.size()) {}

StatsCollector::PortSums StatsCollector::SumPort(uint16_t port) const {
  PortSums s;
  for (const dataplane::LcoreStats* l : lcores_) {
    const dataplane::PortCounters& c = l->ports[port];
    s.rx_packets += c.rx_packets.Load();
    s.rx_bytes += c.rx_bytes.Load();
    s.tx_packets += c.tx_packets.Load();
    s.tx_bytes += c.tx_bytes.Load();
    for (int r = 0; r < kNumDropReasons; ++r) {
      s.drops[r] += c.drops[r].Load();
    }
  }
  rte_eth_stats es{};
  if (rte_eth_dev_is_valid_port(port) && rte_eth_stats_get(port, &es) == 0) {
    s.rx_nombuf = es.rx_nombuf;
    s.rx_missed = es.imissed;
    s.rx_errors = es.ierrors;
    s.tx_errors = es.oerrors;
  }
  return s;
}

StatsCollector::LcoreSums StatsCollector::SumLcore(const dataplane::LcoreStats& s) {
  return LcoreSums{.busy = s.busy_cycles.Load(),
                   .idle = s.idle_cycles.Load(),
                   .bursts = s.bursts.Load(),
                   .rx_packets = s.rx_packets.Load(),
                   .learn_events = s.learn_events.Load(),
                   .learn_ring_full = s.learn_ring_full.Load()};
}

StatsCollector::MirrorSums StatsCollector::SumMirror(int which, uint16_t slot) const {
  MirrorSums s{};
  for (const dataplane::LcoreStats* l : lcores_) {
    const dataplane::MirrorSlotCounters& c = which == 0 ? l->sessions[slot] : l->dests[slot];
    const dataplane::Counter* fields[] = {&c.matched,      &c.cloned,       &c.ring_full,
                                          &c.clone_failed, &c.rate_limited, &c.no_next_hop,
                                          &c.truncated,    &c.tx_dropped,   &c.sent_packets,
                                          &c.sent_bytes};
    for (size_t i = 0; i < s.size(); ++i) {
      s[i] += fields[i]->Load();
    }
  }
  return s;
}

void StatsCollector::FillMirror(const MirrorSums& now, const MirrorSums& base,
                                v1::MirrorCounters* out) {
  out->set_matched(now[0] - base[0]);
  out->set_cloned(now[1] - base[1]);
  out->set_ring_full(now[2] - base[2]);
  out->set_clone_failed(now[3] - base[3]);
  out->set_rate_limited(now[4] - base[4]);
  out->set_no_next_hop(now[5] - base[5]);
  out->set_truncated(now[6] - base[6]);
  out->set_tx_dropped(now[7] - base[7]);
  out->set_sent_packets(now[8] - base[8]);
  out->set_sent_bytes(now[9] - base[9]);
}

StatsCollector::VtepSums StatsCollector::SumVtep(uint16_t slot) const {
  VtepSums s{};
  for (const dataplane::LcoreStats* l : lcores_) {
    const dataplane::VtepCounters& c = l->vteps[slot];
    s[0] += c.rx_packets.Load();
    s[1] += c.rx_bytes.Load();
    s[2] += c.tx_packets.Load();
    s[3] += c.tx_bytes.Load();
    s[4] += c.replicated.Load();
  }
  return s;
}

void StatsCollector::ResetVtepSlot(uint16_t slot) { vtep_base_[slot] = SumVtep(slot); }

void StatsCollector::ResetSessionSlot(uint16_t slot) { session_base_[slot] = SumMirror(0, slot); }

void StatsCollector::ResetDestinationSlot(uint16_t slot) { dest_base_[slot] = SumMirror(1, slot); }

v1::Stats StatsCollector::Collect(const std::vector<PortRef>& ports,
                                  const std::vector<SlotRef>& sessions,
                                  const std::vector<SlotRef>& destinations,
                                  const std::vector<VtepRef>& vteps) const {
  v1::Stats out;
  uint64_t total_drops[kNumDropReasons] = {};
  for (const PortRef& ref : ports) {
    const PortSums now = SumPort(ref.port_id);
    const PortSums& base = port_base_[ref.port_id];
    v1::PortStats* ps = out.add_ports();
    ps->set_name(ref.name);
    ps->set_id(ref.vport_id);
    ps->set_rx_packets(now.rx_packets - base.rx_packets);
    ps->set_rx_bytes(now.rx_bytes - base.rx_bytes);
    ps->set_tx_packets(now.tx_packets - base.tx_packets);
    ps->set_tx_bytes(now.tx_bytes - base.tx_bytes);
    // A device's counters can restart below the baseline (a new device
    // on a reused port before ResetPort); never show a wrapped value.
    auto delta = [](uint64_t n, uint64_t b) { return n >= b ? n - b : n; };
    ps->set_rx_nombuf(delta(now.rx_nombuf, base.rx_nombuf));
    ps->set_rx_missed(delta(now.rx_missed, base.rx_missed));
    ps->set_rx_errors(delta(now.rx_errors, base.rx_errors));
    ps->set_tx_errors(delta(now.tx_errors, base.tx_errors));
    for (int r = 0; r < kNumDropReasons; ++r) {
      const uint64_t d = now.drops[r] - base.drops[r];
      total_drops[r] += d;
      if (d != 0) {
        v1::DropCounter* dc = ps->add_drops();
        dc->set_reason(dataplane::kDropReasonNames[r]);
        dc->set_packets(d);
      }
    }
  }
  for (int r = 0; r < kNumDropReasons; ++r) {
    v1::DropCounter* dc = out.add_drops();
    dc->set_reason(dataplane::kDropReasonNames[r]);
    dc->set_packets(total_drops[r]);
  }
  for (size_t w = 0; w < lcores_.size(); ++w) {
    const LcoreSums now = SumLcore(*lcores_[w]);
    const LcoreSums& base = lcore_base_[w];
    v1::LcoreStats* ls = out.add_lcores();
    ls->set_lcore_id(workers_[w].lcore_id);
    ls->set_role(workers_[w].role);
    ls->set_busy_cycles(now.busy - base.busy);
    ls->set_idle_cycles(now.idle - base.idle);
    ls->set_bursts(now.bursts - base.bursts);
    ls->set_rx_packets(now.rx_packets - base.rx_packets);
    ls->set_learn_events(now.learn_events - base.learn_events);
    ls->set_learn_ring_full(now.learn_ring_full - base.learn_ring_full);
  }
  for (const SlotRef& ref : sessions) {
    v1::SessionStats* ss = out.add_sessions();
    ss->set_name(ref.name);
    ss->set_id(ref.id);
    FillMirror(SumMirror(0, ref.slot), session_base_[ref.slot], ss->mutable_counters());
  }
  for (const SlotRef& ref : destinations) {
    v1::DestinationStats* ds = out.add_destinations();
    ds->set_name(ref.name);
    ds->set_id(ref.id);
    FillMirror(SumMirror(1, ref.slot), dest_base_[ref.slot], ds->mutable_counters());
  }
  for (const VtepRef& ref : vteps) {
    const VtepSums now = SumVtep(ref.slot);
    const VtepSums& base = vtep_base_[ref.slot];
    v1::VtepStats* vs = out.add_vteps();
    vs->set_ip(net::FormatIpv4(ref.ip));
    vs->set_remote_ports(ref.remote_ports);
    vs->set_state(ref.state);
    vs->set_rx_packets(now[0] - base[0]);
    vs->set_rx_bytes(now[1] - base[1]);
    vs->set_tx_packets(now[2] - base[2]);
    vs->set_tx_bytes(now[3] - base[3]);
    vs->set_replicated(now[4] - base[4]);
  }
  for (const rte_mempool* mp : pools_) {
    v1::MempoolStats* ms = out.add_mempools();
    ms->set_name(mp->name);
    ms->set_size(mp->size);
    ms->set_in_use(rte_mempool_in_use_count(mp));
  }
  out.set_tsc_hz(rte_get_tsc_hz());
  return out;
}

void StatsCollector::Clear() {
  for (uint16_t p = 0; p < dataplane::kMaxPorts; ++p) {
    port_base_[p] = SumPort(p);
  }
  for (size_t w = 0; w < lcores_.size(); ++w) {
    lcore_base_[w] = SumLcore(*lcores_[w]);
  }
  for (uint16_t slot = 0; slot < dataplane::kMirrorSlots; ++slot) {
    session_base_[slot] = SumMirror(0, slot);
    dest_base_[slot] = SumMirror(1, slot);
  }
  for (uint16_t slot = 0; slot < dataplane::kVtepSlots; ++slot) {
    vtep_base_[slot] = SumVtep(slot);
  }
}

void StatsCollector::ResetPort(uint16_t port_id) { port_base_[port_id] = SumPort(port_id); }

}  // namespace vswitch::control
