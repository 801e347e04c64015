#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""End-to-end benchmark: vswitchd side by side with dpdk-testpmd and
OVS-DPDK on the same pcap sources, net_null sinks and ethdev counters
(read over each process's DPDK telemetry socket), following
/work/shared/perf.md. Writes JSON results, a markdown report with every
target's ratio (P1-P14) and a PNG chart.

  bench/e2e/run.py [--smoke] [--out doc/benchmarks.md] [--only REGEX]

--smoke: 1 s windows, 1 repetition, a subset touching every scenario kind
(the overlay ones too: encap, decap, 100k remote ports; they raise when
their counter does not move)
(testpmd as the only peer; OVS is skipped: its install and start would
dominate CI), and a JUnit file for CI (--junit)."""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import traffic  # noqa: E402
from systems import (REPO, Ovs, Testpmd, Vswitchd, cpu_model, ensure_ovs,  # noqa: E402
                     grpc_stubs, loadavg, run)

NEIGH_MAC = "02:00:00:00:0c:02"
COLLECTOR = "192.0.2.2"


# ---------------------------------------------------------------- measuring

def snapshot(tel, counters):
    vals = {}
    cache = {}
    for name, (port, field) in counters.items():
        if port not in cache:
            cache[port] = tel.port_stats(port)
        vals[name] = cache[port][field]
    return time.monotonic(), vals


def measure(tel, counters, warm, window, during=None):
    """Rates (packets/s) of each counter over `window` seconds after `warm`
    seconds; `during(window)` runs in the window (the churn load)."""
    time.sleep(warm)
    t0, a = snapshot(tel, counters)
    extra = during(window) if during else time.sleep(window)
    t1, b = snapshot(tel, counters)
    rates = {k: (b[k] - a[k]) / (t1 - t0) for k in counters}
    deltas = {k: b[k] - a[k] for k in counters}
    return rates, deltas, extra


# ---------------------------------------------------------------- vswitchd

def vs_base_config(src_pcap, sink_macs=True, src_specs=None, n_tx=1):
    lines = ["add vnet bench tenant t vni 100 prefix 10.0.0.0/16"]
    for i, (name, pcap, base) in enumerate(src_specs or [("src", src_pcap, 0)]):
        macs = " ".join(f"mac {traffic.src_mac(k, base)}" for k in range(4))
        # net_pcap has one TX queue per tx_pcap; vswitchd wants one per lcore.
        txq = ",tx_pcap=/dev/null" * n_tx if n_tx > 1 else ""
        lines.append(f"add vport {name} vnet bench driver pcap:rx_pcap={pcap},infinite_rx=1"
                     f"{txq} {macs}")
    macs = " ".join(f"mac {traffic.dst_mac(k)}" for k in range(4)) if sink_macs else ""
    lines.append(f"add vport dst vnet bench driver null:no-rx=1 {macs}")
    return lines


def vs_mirror_config():
    return [f"add uplink up0 driver null:no-rx=1 ip 192.0.2.10/24 mtu 1500",
            f"set neighbor {COLLECTOR} mac {NEIGH_MAC}",
            f"add destination col1 vnet bench vni 5000 collector {COLLECTOR}"]


def tap_stats(vs):
    """Mirror counters summed over sessions."""
    j = vs.vsctl("show", "tap-stats", json_out=True)
    total = {}
    for key, val in j.items():
        if not isinstance(val, list) or "session" not in key:
            continue
        for s in val:
            for k, v in s.get("counters", {}).items():
                total[k] = total.get(k, 0) + int(v)
    return total


def drops_total(vs):
    """Packets the switch dropped, all reasons and ports."""
    j = vs.vsctl("show", "stats", json_out=True)
    return sum(int(d.get("packets", 0)) for d in j.get("drops", []))


def rpc_latency(stubs, channel_target, n):
    """Round trips of GetHealth on one channel: (p50, p99, max) in ms."""
    pb2, grpc_pb2 = stubs
    import grpc
    with grpc.insecure_channel(channel_target) as ch:
        stub = grpc_pb2.VSwitchStub(ch)
        stub.GetHealth(pb2.GetHealthRequest(), timeout=10)
        lat = []
        for _ in range(n):
            t = time.perf_counter()
            stub.GetHealth(pb2.GetHealthRequest(), timeout=10)
            lat.append((time.perf_counter() - t) * 1e3)
    lat.sort()
    return {"p50_ms": lat[len(lat) // 2], "p99_ms": lat[int(len(lat) * 0.99) - 1],
            "max_ms": lat[-1], "calls": n}


class Churn:
    """Config changes at `rate`/s over one gRPC channel: per 10 changes,
    4 FDB adds, 4 FDB removes, and one TAP session create/update/delete
    step (the session matches a port no frame uses)."""

    def __init__(self, stubs, target, rate):
        self.pb2, self.grpc_pb2 = stubs
        self.target, self.rate = target, rate

    def __call__(self, window):
        import grpc
        pb2 = self.pb2
        ch = grpc.insecure_channel(self.target)
        stub = self.grpc_pb2.VSwitchStub(ch)
        sess = lambda: pb2.TapSession(  # noqa: E731
            name="churn", sources=["src"], destinations=["col1"],
            rules=[pb2.TapRule(priority=1, protocol=6,
                               dst_ports=pb2.PortRange(first=7, last=7))])
        done = errors = 0
        lat = []
        inflight = []
        t0 = time.monotonic()
        end = t0 + window
        while True:
            now = time.monotonic()
            if now >= end:
                break
            due = t0 + done / self.rate
            if due > now:
                time.sleep(due - now)
            k, group = done % 10, done // 10
            mac = f"02:00:00:01:{group % 256:02x}:{k % 4:02x}"
            t = time.perf_counter()
            if k < 4:
                fut = stub.AddFdbEntry.future(pb2.AddFdbEntryRequest(entry=pb2.FdbEntry(
                    vnet="bench", mac=mac, vport="dst")), timeout=10)
            elif k < 8:
                fut = stub.RemoveFdbEntry.future(
                    pb2.RemoveFdbEntryRequest(vnet="bench", mac=mac), timeout=10)
            else:
                # Session steps must stay in order: wait for what is in flight.
                for f, _ in inflight:
                    errors += f.exception() is not None
                inflight.clear()
                phase = (group * 2 + k - 8) % 3  # create, update, delete, create, ...
                if phase == 0:
                    fut = stub.CreateTapSession.future(
                        pb2.CreateTapSessionRequest(session=sess()), timeout=10)
                elif phase == 1:
                    s = sess()
                    s.rules[0].dst_ports.first = 8
                    s.rules[0].dst_ports.last = 8
                    fut = stub.UpdateTapSession.future(
                        pb2.UpdateTapSessionRequest(session=s), timeout=10)
                else:
                    fut = stub.DeleteTapSession.future(
                        pb2.DeleteTapSessionRequest(name="churn"), timeout=10)
            fut.add_done_callback(lambda f, t=t: lat.append((time.perf_counter() - t) * 1e3))
            inflight.append((fut, t))
            # FDB add/remove of one MAC must not overtake each other either.
            if k in (3, 7) or len(inflight) >= 8:
                for f, _ in inflight:
                    errors += f.exception() is not None
                inflight.clear()
            done += 1
        for f, _ in inflight:
            errors += f.exception() is not None
        elapsed = time.monotonic() - t0
        ch.close()
        lat.sort()
        return {"changes": done, "errors": errors, "changes_per_s": done / elapsed,
                "rpc_p50_ms": lat[len(lat) // 2] if lat else 0,
                "rpc_p99_ms": lat[int(len(lat) * 0.99) - 1] if lat else 0}


def tap_change_latency(stubs, vs, uplink_port, n):
    """ms from an UpdateTapSession reply (reject-all -> copy-all) until the
    uplink's opackets move: the change reached flows already cached."""
    import grpc
    pb2, grpc_pb2 = stubs
    out = []
    with grpc.insecure_channel(f"unix:{vs.socket}") as ch:
        stub = grpc_pb2.VSwitchStub(ch)
        off = pb2.TapSession(name="lat", sources=["src"], destinations=["col1"],
                             rules=[pb2.TapRule(priority=1, action=pb2.TAP_ACTION_REJECT)])
        on = pb2.TapSession(name="lat", sources=["src"], destinations=["col1"])
        stub.CreateTapSession(pb2.CreateTapSessionRequest(session=off), timeout=10)
        for _ in range(n):
            stub.UpdateTapSession(pb2.UpdateTapSessionRequest(session=off), timeout=10)
            time.sleep(0.05)
            base = vs.tel.port_stats(uplink_port)["opackets"]
            time.sleep(0.01)
            if vs.tel.port_stats(uplink_port)["opackets"] != base:
                continue  # still draining: skip this sample
            stub.UpdateTapSession(pb2.UpdateTapSessionRequest(session=on), timeout=10)
            t = time.perf_counter()
            while vs.tel.port_stats(uplink_port)["opackets"] == base:
                if time.perf_counter() - t > 1.0:
                    break
            out.append((time.perf_counter() - t) * 1e3)
        stub.DeleteTapSession(pb2.DeleteTapSessionRequest(name="lat"), timeout=10)
    out.sort()
    return {"p50_ms": out[len(out) // 2] if out else None, "max_ms": out[-1] if out else None,
            "samples": len(out)}


def run_vswitchd(ctx, sc, rep):
    pcap = ctx.pcap(sc.get("flows", 1000), sc["size"])
    mbufs = 65536 if sc.get("flows", 1000) <= 10000 else sc.get("flows") + 262144
    flags = [f"--mbufs={mbufs}", f"--mem_mb={max(1024, mbufs * 6 // 1000 + 1024)}",
             f"--flow_cache_entries={max(65536, sc.get('flows', 1000) * 2)}"]
    flags += sc.get("flags", [])
    vs = Vswitchd(ctx.build, ctx.workdir, f"{sc['id']}_{rep}", flags)
    extra = {}
    try:
        vs.start()
        if sc.get("rpc_idle"):
            extra["rpc_idle"] = rpc_latency(ctx.stubs(), f"unix:{vs.socket}", ctx.rpc_calls)
        specs = None
        if sc.get("two_sources"):
            specs = [("src", pcap, 0), ("src2", ctx.pcap(1000, sc["size"], smac_base=1), 1)]
        lines = vs_base_config(pcap, src_specs=specs, n_tx=2 if specs else 1)
        if sc.get("mirror") or sc.get("churn"):
            lines += vs_mirror_config()
        lines += sc.get("setup", [])
        vs.script(lines)
        counters = {"primary": (vs.port_of("dst"), "opackets"),
                    "source": (vs.port_of("src"), "ipackets")}
        if sc.get("two_sources"):
            counters["source2"] = (vs.port_of("src2"), "ipackets")
        if sc.get("mirror") or sc.get("churn"):
            counters["mirror"] = (vs.port_of("up0"), "opackets")
        during = None
        if sc.get("churn"):
            idle, _, _ = measure(vs.tel, counters, ctx.warm, ctx.window)
            extra["idle_primary"] = idle["primary"]
            during = Churn(ctx.stubs(), f"unix:{vs.socket}", 1000)
        if during:
            counters["sink_oerrors"] = (vs.port_of("dst"), "oerrors")
            drops0 = drops_total(vs)
        rates, deltas, churn = measure(vs.tel, counters, 0 if during else ctx.warm,
                                       ctx.window, during)
        if churn:
            extra["churn"] = churn
            # Dropped by the switch (any reason) or refused by the sink's TX.
            extra["lost"] = drops_total(vs) - drops0 + deltas["sink_oerrors"]
            rates.pop("sink_oerrors")
            extra["tap_change"] = tap_change_latency(ctx.stubs(), vs, vs.port_of("up0"),
                                                     5 if ctx.smoke else 20)
        if sc.get("rpc_load"):
            extra["rpc_load"] = rpc_latency(ctx.stubs(), f"unix:{vs.socket}", ctx.rpc_calls)
        if sc.get("mirror"):
            extra["tap_stats"] = tap_stats(vs)
        if sc.get("two_sources"):
            st = vs.vsctl("show", "stats", json_out=True)
            extra["lcores"] = [{k: l.get(k) for k in ("lcore_id", "role", "rx_packets")}
                               for l in st.get("lcores", [])]
        ctx.tsc_hz = ctx.tsc_hz or int(vs.vsctl("show", "stats", json_out=True).get("tsc_hz", 0))
        return rates, extra
    except Exception:
        try:
            print(vs.read_log(), file=sys.stderr)
        except OSError:
            pass
        raise
    finally:
        vs.stop()


# ---------------------------------------------------------------- peers

def run_testpmd(ctx, sc, rep):
    flows = sc.get("flows", 1000)
    pcap = ctx.pcap(flows, sc["size"])
    mbufs = 65536 if flows <= 10000 else flows + 262144
    tp = Testpmd(ctx.workdir, f"{sc['id']}_{rep}", pcap, sc["mode"], mbufs)
    try:
        tp.start()
        counters = {"source": (0, "ipackets"), "primary": (1, "opackets")}
        rates, _, _ = measure(tp.tel, counters, ctx.warm, ctx.window)
        if sc["mode"] == "rxonly":
            rates["primary"] = rates["source"]
        return rates, {}
    finally:
        tp.stop()


def run_ovs(ctx, sc, rep):
    ensure_ovs()
    pcap = ctx.pcap(1000, sc["size"])
    ovs = Ovs(ctx.workdir, f"o{rep}{sc['id'][-6:]}")
    try:
        ovs.start()
        ovs.vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev")
        ovs.vsctl("add-port", "br0", "p1", "--", "set", "Interface", "p1", "type=dpdk",
                  "options:dpdk-devargs=net_null0,no-rx=1", "ofport_request=2")
        ovs.ofctl("del-flows", "br0")
        mirror = sc.get("mirror")
        if mirror or sc.get("of_tap"):
            ovs.vsctl("add-br", "br-up", "--", "set", "bridge", "br-up", "datapath_type=netdev")
            ovs.vsctl("add-port", "br-up", "up0", "--", "set", "Interface", "up0", "type=dpdk",
                      "options:dpdk-devargs=net_null1,no-rx=1")
            ovs._ns("ip", "addr", "add", "192.0.2.10/24", "dev", "br-up")
            ovs._ns("ip", "link", "set", "br-up", "up")
            ovs.appctl("ovs/route/add", f"{COLLECTOR}/32", "br-up")
            ovs.appctl("tnl/arp/set", "br-up", COLLECTOR, NEIGH_MAC)
            ovs.vsctl("add-port", "br0", "vx0", "--", "set", "Interface", "vx0", "type=vxlan",
                      f"options:remote_ip={COLLECTOR}", "options:key=5000", "ofport_request=3")
            ovs.ofctl("add-flow", "br-up", "actions=NORMAL")
        if sc["ovs"] == "of_simple":
            ovs.ofctl("add-flow", "br0", "in_port=1,actions=output:2")
        elif sc["ovs"] == "normal":
            ovs.ofctl("add-flow", "br0", "actions=NORMAL")
        elif sc["ovs"] == "of_tap":
            ovs.ofctl("add-flow", "br0", "priority=0,in_port=1,actions=output:2")
            for val, mask in traffic.SELECTED_OF_MASKS:
                ovs.ofctl("add-flow", "br0", f"priority=10,in_port=1,udp,tp_dst={val}/{mask:#x},"
                          "actions=output:2,output:3")
        if sc["ovs"] == "normal":
            for k in range(4):
                ovs.appctl("fdb/add", "br0", "p1", "0", traffic.dst_mac(k))
        if mirror:
            ovs.vsctl("--", "--id=@p", "get", "port", "vx0", "--", "--id=@m", "create",
                      "mirror", "name=m0", "select-all=true", "output-port=@p", "--", "set",
                      "bridge", "br0", "mirrors=@m")
        # The source last: OVS 3.1 does not apply a Mirror to flows already in
        # its datapath cache (perf.md), so everything is set before traffic.
        ovs.vsctl("add-port", "br0", "p0", "--", "set", "Interface", "p0", "type=dpdk",
                  f"options:dpdk-devargs=net_pcap0,rx_pcap={pcap},infinite_rx=1",
                  "ofport_request=1", "options:n_rxq_desc=1024")
        ids = ovs.ports()
        counters = {"source": (ids["net_pcap0"], "ipackets"),
                    "primary": (ids["net_null0"], "opackets")}
        if mirror or sc.get("of_tap"):
            counters["mirror"] = (ids["net_null1"], "opackets")
        rates, _, _ = measure(ovs.tel, counters, ctx.warm, ctx.window)
        if os.environ.get("VSBENCH_DEBUG"):
            for cmd in (["dpif/dump-flows", "br0"], ["dpctl/dump-flows"]):
                print(ovs.appctl(*cmd).stdout[:3000], file=sys.stderr)
            print(ovs.vsctl("list", "mirror").stdout, file=sys.stderr)
        return rates, {}
    finally:
        ovs.stop()


# ---------------------------------------------------------------- overlay (P12-P14)

OVL_VNET = "ov"  # short: 100k remote ports in one ReplaceRemotePorts are 3.6 MB
LOCAL_VTEP = "192.0.2.1"
REMOTE_VTEP = "192.0.2.2"
# net_pcap gives its n-th device of a process 02:70:63:61:70:<n>; the decap
# scenarios' uplink is the first pcap device, and the outer frames are
# addressed to it (checked against `show vports` before measuring).
UPLINK_MAC = "02:70:63:61:70:00"
OVL_HIT_PORTS = 1000  # remote MACs the traffic uses (flow f -> remote_mac(f % 1000))


def vxlan_outer():
    return {"src_mac": NEIGH_MAC, "dst_mac": UPLINK_MAC, "src_ip": REMOTE_VTEP,
            "dst_ip": LOCAL_VTEP}


def replace_remote_ports(stubs, target, n):
    """Programs remote ports 0..n-1 (all behind REMOTE_VTEP) in one
    ReplaceRemotePorts: one validation, one snapshot. Returns seconds."""
    import grpc
    pb2, grpc_pb2 = stubs
    req = pb2.ReplaceRemotePortsRequest(vnet=OVL_VNET, ports=[
        pb2.RemotePort(vnet=OVL_VNET, mac=traffic.remote_mac(i), vtep=REMOTE_VTEP)
        for i in range(n)])
    t = time.monotonic()
    with grpc.insecure_channel(target, options=[("grpc.max_send_message_length", -1)]) as ch:
        rsp = grpc_pb2.VSwitchStub(ch).ReplaceRemotePorts(req, timeout=300)
    if rsp.added != n:
        raise RuntimeError(f"ReplaceRemotePorts added {rsp.added} of {n} remote ports")
    return time.monotonic() - t


def run_vs_overlay(ctx, sc, rep):
    """P12/P14 (encap: local VM vport `src` -> remote MACs, rate = the
    uplink's TX) and P13 (decap: VXLAN from the uplink pcap -> local VM
    vport `dst`). Raises when the measured counter does not move, so a
    smoke run fails on a scenario that yields no number."""
    encap = sc["dir"] == "encap"
    n_ports = sc.get("remote_ports", OVL_HIT_PORTS)
    flags = ["--mbufs=65536", "--mem_mb=1024", "--flow_cache_entries=65536"]
    vs = Vswitchd(ctx.build, ctx.workdir, f"{sc['id']}_{rep}", flags)
    extra = {}
    try:
        vs.start()
        target = f"unix:{vs.socket}"
        vnet = [f"add vnet {OVL_VNET} tenant t vni 100 prefix 10.0.0.0/16"]
        neigh = f"set neighbor {REMOTE_VTEP} mac {NEIGH_MAC}"
        if encap:
            pcap = traffic.make_pcap(ctx.cache, 1000, sc["size"], remote_dst=OVL_HIT_PORTS)
            vs.script(vnet + [f"add uplink up0 driver null:no-rx=1 ip {LOCAL_VTEP}/24 mtu 1500",
                              neigh])
            extra["replace_s"] = replace_remote_ports(ctx.stubs(), target, n_ports)
            macs = " ".join(f"mac {traffic.src_mac(k)}" for k in range(4))
            # The source last: every remote port is in the snapshot before traffic.
            vs.script([f"add vport src vnet {OVL_VNET} driver "
                       f"pcap:rx_pcap={pcap},infinite_rx=1 {macs}"])
            counters = {"primary": (vs.port_of("up0"), "opackets"),
                        "source": (vs.port_of("src"), "ipackets")}
        else:
            pcap = traffic.make_vxlan_pcap(ctx.cache, 1000, sc["size"], OVL_HIT_PORTS, 100,
                                           vxlan_outer())
            macs = " ".join(f"mac {traffic.dst_mac(k)}" for k in range(4))
            vs.script(vnet + [f"add vport dst vnet {OVL_VNET} driver null:no-rx=1 {macs}"])
            extra["replace_s"] = replace_remote_ports(ctx.stubs(), target, n_ports)
            vs.script([f"add uplink up0 driver pcap:rx_pcap={pcap},infinite_rx=1 "
                       f"ip {LOCAL_VTEP}/24 mtu 1500", neigh])
            up = [v for v in vs.vsctl("show", "vports", json_out=True).get("vports", [])
                  if v["name"] == "up0"]
            mac = up[0].get("mac", "") if up else ""
            if mac.lower() != UPLINK_MAC:
                raise RuntimeError(f"uplink MAC is {mac!r}, the decap pcap is addressed to "
                                   f"{UPLINK_MAC}")
            counters = {"primary": (vs.port_of("dst"), "opackets"),
                        "source": (vs.port_of("up0"), "ipackets")}
        drops0 = drops_by_reason(vs)
        rates, deltas, _ = measure(vs.tel, counters, ctx.warm, ctx.window)
        drops1 = drops_by_reason(vs)
        extra["drops"] = {k: v - drops0.get(k, 0) for k, v in drops1.items()
                          if v - drops0.get(k, 0)}
        vt = vs.vsctl("show", "vteps", json_out=True, check=False)
        if isinstance(vt, dict):
            extra["vteps"] = vt.get("vteps", vt)
        ctx.tsc_hz = ctx.tsc_hz or int(vs.vsctl("show", "stats", json_out=True).get("tsc_hz", 0))
        if deltas["primary"] <= 0:
            raise RuntimeError(f"{sc['id']}: no packets {'sent on the uplink' if encap else 'delivered'}"
                               f" (source {deltas['source']}, drops {extra['drops']})")
        return rates, extra
    except Exception:
        try:
            print(vs.read_log(), file=sys.stderr)
        except OSError:
            pass
        raise
    finally:
        vs.stop()


def drops_by_reason(vs):
    j = vs.vsctl("show", "stats", json_out=True)
    out = {}
    for d in j.get("drops", []):
        r = d.get("reason", "?")
        out[r] = out.get(r, 0) + int(d.get("packets", 0))
    return out


def run_vs_l2_remote_macs(ctx, sc, rep):
    """Local L2 on the encap scenarios' pcap: the 1k destination MACs are
    static FDB entries of the local sink instead of remote ports."""
    pcap = traffic.make_pcap(ctx.cache, 1000, sc["size"], remote_dst=OVL_HIT_PORTS)
    vs = Vswitchd(ctx.build, ctx.workdir, f"{sc['id']}_{rep}",
                  ["--mbufs=65536", "--mem_mb=1024", "--flow_cache_entries=65536"])
    try:
        vs.start()
        macs = " ".join(f"mac {traffic.src_mac(k)}" for k in range(4))
        vs.script([f"add vnet {OVL_VNET} tenant t vni 100 prefix 10.0.0.0/16",
                   f"add vport dst vnet {OVL_VNET} driver null:no-rx=1"] +
                  [f"add fdb {OVL_VNET} {traffic.remote_mac(i)} dst"
                   for i in range(OVL_HIT_PORTS)] +
                  [f"add vport src vnet {OVL_VNET} driver pcap:rx_pcap={pcap},infinite_rx=1 "
                   f"{macs}"])
        counters = {"primary": (vs.port_of("dst"), "opackets"),
                    "source": (vs.port_of("src"), "ipackets")}
        rates, _, _ = measure(vs.tel, counters, ctx.warm, ctx.window)
        return rates, {}
    finally:
        vs.stop()


def unixctl(path, calls):
    """Runs (method, params) calls over one OVS unixctl connection
    (JSON-RPC), e.g. 1k fdb/add without 1k ovs-appctl processes."""
    import socket as so
    s = so.socket(so.AF_UNIX, so.SOCK_STREAM)
    s.connect(path)
    dec = json.JSONDecoder()
    buf = ""
    try:
        for i, (method, params) in enumerate(calls):
            s.sendall(json.dumps({"method": method, "params": params, "id": i}).encode())
            while True:
                try:
                    msg, end = dec.raw_decode(buf.lstrip())
                    buf = buf.lstrip()[end:]
                    break
                except ValueError:
                    chunk = s.recv(65536)
                    if not chunk:
                        raise RuntimeError("unixctl connection closed")
                    buf += chunk.decode()
            if msg.get("error"):
                raise RuntimeError(f"{method} {params}: {msg['error']}")
    finally:
        s.close()


def run_ovs_overlay(ctx, sc, rep):
    """OVS-DPDK doing P12/P13 the way its userspace tunneling is set up:
    br-int (NORMAL, static fdb entries) with the VM port and a type=vxlan
    port (key 100, remote_ip 192.0.2.2, local_ip 192.0.2.1); the tunnel is
    routed over br-phy (NORMAL), whose internal device holds 192.0.2.1/24
    and MAC UPLINK_MAC and whose DPDK port is the uplink; the VTEP's MAC
    is set with tnl/arp/set."""
    ensure_ovs()
    encap = sc["dir"] == "encap"
    ovs = Ovs(ctx.workdir, f"o{rep}{sc['id'][-6:]}")
    try:
        ovs.start()
        ctl = os.path.join(ovs.dir, "ovs-vswitchd.ctl")
        for br in ("br-int", "br-phy"):
            ovs.vsctl("add-br", br, "--", "set", "bridge", br, "datapath_type=netdev")
        ovs.vsctl("set", "bridge", "br-phy", f"other_config:hwaddr={UPLINK_MAC}")
        ovs._ns("ip", "addr", "add", f"{LOCAL_VTEP}/24", "dev", "br-phy")
        ovs._ns("ip", "link", "set", "br-phy", "up")
        ovs.appctl("ovs/route/add", f"{REMOTE_VTEP}/32", "br-phy")
        ovs.appctl("tnl/arp/set", "br-phy", REMOTE_VTEP, NEIGH_MAC)
        ovs.vsctl("add-port", "br-int", "vx0", "--", "set", "Interface", "vx0", "type=vxlan",
                  f"options:remote_ip={REMOTE_VTEP}", f"options:local_ip={LOCAL_VTEP}",
                  "options:key=100", "ofport_request=3")
        for br in ("br-int", "br-phy"):
            ovs.ofctl("del-flows", br)
            ovs.ofctl("add-flow", br, "actions=NORMAL")
        if encap:
            pcap = traffic.make_pcap(ctx.cache, 1000, sc["size"], remote_dst=OVL_HIT_PORTS)
            ovs.vsctl("add-port", "br-phy", "up0", "--", "set", "Interface", "up0", "type=dpdk",
                      "options:dpdk-devargs=net_null1,no-rx=1")
            fdb = [("fdb/add", ["br-int", "vx0", "0", traffic.remote_mac(i)])
                   for i in range(OVL_HIT_PORTS)]
            fdb.append(("fdb/add", ["br-phy", "up0", "0", NEIGH_MAC]))
            unixctl(ctl, fdb)
            ovs.vsctl("add-port", "br-int", "p0", "--", "set", "Interface", "p0", "type=dpdk",
                      f"options:dpdk-devargs=net_pcap0,rx_pcap={pcap},infinite_rx=1",
                      "ofport_request=1", "options:n_rxq_desc=1024")
            ids = ovs.ports()
            counters = {"source": (ids["net_pcap0"], "ipackets"),
                        "primary": (ids["net_null1"], "opackets")}
        else:
            pcap = traffic.make_vxlan_pcap(ctx.cache, 1000, sc["size"], OVL_HIT_PORTS, 100,
                                           vxlan_outer())
            ovs.vsctl("add-port", "br-int", "p1", "--", "set", "Interface", "p1", "type=dpdk",
                      "options:dpdk-devargs=net_null0,no-rx=1", "ofport_request=2")
            unixctl(ctl, [("fdb/add", ["br-int", "p1", "0", traffic.dst_mac(k)])
                          for k in range(4)])
            ovs.vsctl("add-port", "br-phy", "p0", "--", "set", "Interface", "p0", "type=dpdk",
                      f"options:dpdk-devargs=net_pcap0,rx_pcap={pcap},infinite_rx=1",
                      "options:n_rxq_desc=1024")
            ids = ovs.ports()
            counters = {"source": (ids["net_pcap0"], "ipackets"),
                        "primary": (ids["net_null0"], "opackets")}
        rates, deltas, _ = measure(ovs.tel, counters, ctx.warm, ctx.window)
        if os.environ.get("VSBENCH_DEBUG") or deltas["primary"] <= 0:
            for cmd in (["dpctl/dump-flows"], ["tnl/ports/show"], ["tnl/neigh/show"],
                        ["ovs/route/show"]):
                print(ovs.appctl(*cmd).stdout[:3000], file=sys.stderr)
        if deltas["primary"] <= 0:
            raise RuntimeError(f"{sc['id']}: OVS delivered nothing (source {deltas['source']})")
        return rates, {}
    finally:
        ovs.stop()


# ---------------------------------------------------------------- scenarios

def scenarios(smoke):
    own = ["--encap_lcore=2", "--lcore_cpus=2@0"]
    tap_all = ["add tap-session s1 source src destination col1 direction tx"]
    lo, hi = traffic.SELECTED_DPORTS
    tap20 = [f"add tap-session s1 source src destination col1 direction tx "
             f"rule prio=10,proto=udp,dport={lo}-{hi}"]
    tap10x100 = []
    for s in range(10):
        rules = " ".join(f"rule prio={r + 1},proto=udp,dport={r + 1}" for r in range(100))
        tap10x100.append(f"add tap-session n{s} source src destination col1 direction tx "
                         f"{rules}")
    all_sc = [
        # vswitchd
        dict(id="vs_l2_64", sys="vswitchd", size=64, rpc_idle=True, rpc_load=True),
        dict(id="vs_l2_512", sys="vswitchd", size=512),
        dict(id="vs_l2_imix", sys="vswitchd", size="imix"),
        dict(id="vs_tap100_own_64", sys="vswitchd", size=64, mirror=True, flags=own,
             setup=tap_all),
        dict(id="vs_tap100_il_64", sys="vswitchd", size=64, mirror=True, setup=tap_all),
        dict(id="vs_tap20_il_64", sys="vswitchd", size=64, mirror=True, setup=tap20),
        dict(id="vs_tap10x100_64", sys="vswitchd", size=64, mirror=True, setup=tap10x100),
        dict(id="vs_tap100_il_imix", sys="vswitchd", size="imix", mirror=True, setup=tap_all),
        dict(id="vs_l2_64_1m", sys="vswitchd", size=64, flows=1000000),
        dict(id="vs_churn_64", sys="vswitchd", size=64, churn=True),
        dict(id="vs_2lcore_64", sys="vswitchd", size=64, two_sources=True,
             flags=["--fwd_lcores=1,2", "--lcore_cpus=2@0"]),
        # overlay (P12-P14): 1k flows to/from 1k remote ports of VTEP 192.0.2.2
        dict(id="vs_ovl_encap_64", sys="vs_overlay", dir="encap", size=64),
        dict(id="vs_ovl_decap_64", sys="vs_overlay", dir="decap", size=64),
        dict(id="vs_ovl_encap_64_100k", sys="vs_overlay", dir="encap", size=64,
             remote_ports=100000),
        dict(id="vs_l2_64_rmacs", sys="vs_l2_rmacs", size=64),
        # testpmd
        *[dict(id=f"tp_{m}_{s}", sys="testpmd", mode=m, size=s)
          for m in ("io", "mac", "rxonly") for s in (64, 512, "imix")],
        dict(id="tp_io_64_1m", sys="testpmd", mode="io", size=64, flows=1000000),
        # OVS-DPDK
        dict(id="ovs_of_simple_64", sys="ovs", ovs="of_simple", size=64),
        *[dict(id=f"ovs_normal_{s}", sys="ovs", ovs="normal", size=s) for s in (64, 512, "imix")],
        dict(id="ovs_normal_mirror_64", sys="ovs", ovs="normal", size=64, mirror=True),
        dict(id="ovs_of_tap20_64", sys="ovs", ovs="of_tap", size=64, of_tap=True),
        dict(id="ovs_ovl_enc_64", sys="ovs_overlay", dir="encap", size=64),
        dict(id="ovs_ovl_dec_64", sys="ovs_overlay", dir="decap", size=64),
    ]
    if smoke:
        keep = {"vs_l2_64", "vs_tap100_own_64", "vs_tap100_il_64", "vs_tap20_il_64",
                "vs_tap10x100_64", "vs_tap100_il_imix", "vs_l2_64_1m", "vs_churn_64",
                "vs_2lcore_64", "tp_io_64", "vs_ovl_encap_64", "vs_ovl_decap_64",
                "vs_ovl_encap_64_100k"}
        all_sc = [s for s in all_sc if s["id"] in keep]
        for s in all_sc:
            if s.get("flows") == 1000000:
                s["flows"] = 20000  # the 1M-flow kind, small enough for CI
    return all_sc


RUNNERS = {"vswitchd": run_vswitchd, "testpmd": run_testpmd, "ovs": run_ovs,
           "vs_overlay": run_vs_overlay, "vs_l2_rmacs": run_vs_l2_remote_macs,
           "ovs_overlay": run_ovs_overlay}


class Ctx:
    def __init__(self, args):
        self.smoke = args.smoke
        self.build = args.build
        self.cache = args.cache
        self.warm = args.warm if args.warm is not None else (1.0 if args.smoke else 3.0)
        self.window = args.window if args.window is not None else (1.0 if args.smoke else 10.0)
        self.reps = 1 if args.smoke else args.reps
        self.rpc_calls = 200 if args.smoke else 2000
        self.workdir = tempfile.mkdtemp(prefix="vsbench_")
        self._stubs = None
        self.tsc_hz = 0

    def pcap(self, flows, size, smac_base=0):
        return traffic.make_pcap(self.cache, flows, size, smac_base)

    def stubs(self):
        if self._stubs is None:
            self._stubs = grpc_stubs(self.cache)
        return self._stubs


def summarize(reps):
    out = {}
    keys = set()
    for r in reps:
        keys |= set(r["rates"])
    for k in sorted(keys):
        vals = [r["rates"][k] / 1e6 for r in reps if k in r["rates"]]
        out[k] = {"median": statistics.median(vals), "min": min(vals), "max": max(vals)}
    return out


# ---------------------------------------------------------------- targets

def targets(res, p11):
    def m(sid, key="primary"):
        r = res.get(sid, {}).get("mpps", {}).get(key)
        return r["median"] if r else None

    def ratio(a, b):
        return a / b if a is not None and b else None

    def extra(sid, key):
        reps = res.get(sid, {}).get("reps", [])
        vals = [r["extra"].get(key) for r in reps if r["extra"].get(key) is not None]
        return vals

    rows = []

    def add(pid, what, value, goal, ok, unit="×"):
        rows.append({"id": pid, "what": what, "value": value, "goal": goal,
                     "met": None if value is None else bool(ok(value)), "unit": unit})

    add("P1", "L2 64 B ÷ OVS normal", ratio(m("vs_l2_64"), m("ovs_normal_64")), "≥ 2.0",
        lambda v: v >= 2.0)
    add("P1", "L2 64 B ÷ testpmd io", ratio(m("vs_l2_64"), m("tp_io_64")), "≥ 0.75",
        lambda v: v >= 0.75)
    add("P2", "L2 512 B ÷ OVS normal", ratio(m("vs_l2_512"), m("ovs_normal_512")), "≥ 1.8",
        lambda v: v >= 1.8)
    add("P2", "L2 IMIX ÷ OVS normal", ratio(m("vs_l2_imix"), m("ovs_normal_imix")), "≥ 1.8",
        lambda v: v >= 1.8)
    own = "vs_tap100_own_64"
    add("P3", "TAP 100 % own lcore: primary ÷ no TAP", ratio(m(own), m("vs_l2_64")), "≥ 0.9",
        lambda v: v >= 0.9)
    add("P3", "TAP 100 % own lcore: mirror ÷ primary", ratio(m(own, "mirror"), m(own)),
        "≥ 0.95", lambda v: v >= 0.95)
    add("P3", "TAP 100 % own lcore ÷ OVS normal+mirror",
        ratio(m(own), m("ovs_normal_mirror_64")), "≥ 4", lambda v: v >= 4)
    il = "vs_tap100_il_64"
    add("P4", "TAP 100 % interleaved ÷ OVS normal+mirror",
        ratio(m(il), m("ovs_normal_mirror_64")), "≥ 3", lambda v: v >= 3)
    add("P4", "TAP 100 % interleaved: mirror ÷ primary", ratio(m(il, "mirror"), m(il)),
        "≥ 0.95", lambda v: v >= 0.95)
    t20 = "vs_tap20_il_64"
    add("P5", "TAP 20 % (filter): primary ÷ no TAP", ratio(m(t20), m("vs_l2_64")), "≥ 0.9",
        lambda v: v >= 0.9)
    add("P5", "TAP 20 %: mirror ÷ primary (selected share 0.200)",
        ratio(m(t20, "mirror"), m(t20)), "0.200 ± 1 %", lambda v: abs(v - 0.2) <= 0.002)
    add("P6", "10 sessions × 100 rules matching nothing ÷ no TAP",
        ratio(m("vs_tap10x100_64"), m("vs_l2_64")), "≥ 0.97", lambda v: v >= 0.97)
    imix = "vs_tap100_il_imix"
    add("P7", "IMIX mirror, MTU 1500: mirror ÷ primary", ratio(m(imix, "mirror"), m(imix)),
        "≥ 0.95 (copies truncated, not dropped)", lambda v: v >= 0.95)
    trunc = extra(imix, "tap_stats")
    if trunc:
        dropped = max(t.get("tx_dropped", 0) + t.get("ring_full", 0) + t.get("clone_failed", 0)
                      for t in trunc)
        add("P7", "IMIX mirror: copies truncated (counted) / dropped",
            f"{min(t.get('truncated', 0) for t in trunc)} / {dropped}", "truncated > 0",
            lambda v: int(v.split(" / ")[0]) > 0, unit="")
    add("P8", "1M flows ÷ 1k flows", ratio(m("vs_l2_64_1m"), m("vs_l2_64")), "≥ 0.8",
        lambda v: v >= 0.8)
    ch = res.get("vs_churn_64", {}).get("reps", [])
    if ch:
        rs = sorted(r["rates"]["primary"] / r["extra"]["idle_primary"] for r in ch)
        add("P9", "1,000 changes/s: primary ÷ idle (same process)", rs[len(rs) // 2], "≥ 0.95",
            lambda v: v >= 0.95)
        cps = statistics.median(r["extra"]["churn"]["changes_per_s"] for r in ch)
        add("P9", "changes/s achieved (one gRPC channel)", cps, "≥ 1000 (950 ok)",
            lambda v: v >= 950, unit="/s")
        lost = max(r["extra"]["lost"] for r in ch)
        add("P9", "primary packets lost in the churn window (switch drops + sink oerrors)", lost,
            "≤ 64 (in flight)", lambda v: v <= 64, unit="")
        tc = [r["extra"]["tap_change"]["max_ms"] for r in ch
              if r["extra"]["tap_change"]["max_ms"] is not None]
        add("P9", "TAP change reaches cached flows (max ms after reply)",
            max(tc) if tc else None, "< 10 ms", lambda v: v < 10, unit="ms")
    two = res.get("vs_2lcore_64", {}).get("mpps", {})
    if two and m("vs_l2_64"):
        add("P10", "two fwd lcores ÷ one", ratio(two["primary"]["median"], m("vs_l2_64")),
            "≥ 1.8", lambda v: v >= 1.8)
    enc, dec, big = "vs_ovl_encap_64", "vs_ovl_decap_64", "vs_ovl_encap_64_100k"
    add("P12", "encap VM → remote VM 64 B ÷ OVS vxlan port", ratio(m(enc), m("ovs_ovl_enc_64")),
        "≥ 2", lambda v: v >= 2)
    add("P12", "encap ÷ local L2 (vs_l2_64)", ratio(m(enc), m("vs_l2_64")), "≥ 0.8",
        lambda v: v >= 0.8)
    add("P12", "encap ÷ local L2 on the same frames (1k MACs as static FDB)",
        ratio(m(enc), m("vs_l2_64_rmacs")), "(info)", lambda v: True)
    add("P13", "decap uplink → VM 64 B ÷ OVS vxlan port", ratio(m(dec), m("ovs_ovl_dec_64")),
        "≥ 2", lambda v: v >= 2)
    add("P13", "decap ÷ local L2 (vs_l2_64)", ratio(m(dec), m("vs_l2_64")), "≥ 0.8",
        lambda v: v >= 0.8)
    add("P14", "encap, 100k remote ports ÷ 1k", ratio(m(big), m(enc)), "≥ 0.9",
        lambda v: v >= 0.9)
    if p11:
        add("P11", "snapshot build + publish, 10k FDB + 1k rules", p11.get("build_ms"),
            "< 50 ms", lambda v: v < 50, unit="ms")
    idle = extra("vs_l2_64", "rpc_idle")
    if idle:
        add("P11", "RPC round trip p99 at idle", statistics.median(x["p99_ms"] for x in idle),
            "< 2 ms", lambda v: v < 2, unit="ms")
    return rows


# ---------------------------------------------------------------- P11 micro

def run_p11(ctx):
    binary = os.path.join(ctx.build, "bench", "micro_bench")
    if not os.path.exists(binary):
        return {"error": f"{binary} not built"}
    args = [binary, "--benchmark_filter=BM_SnapshotBuildPublish", "--benchmark_format=json"]
    if ctx.smoke:
        args.insert(1, "--smoke")
    res = run(args, check=False, timeout=600)
    try:
        j = json.loads(res.stdout[res.stdout.index("{"):])
    except ValueError:
        return {"error": res.stderr[-500:]}
    for b in j.get("benchmarks", []):
        if b["name"].startswith("BM_SnapshotBuildPublish"):
            unit = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b.get("time_unit", "ns")]
            return {"name": b["name"], "build_ms": b["real_time"] * unit,
                    "cpu_ms": b["cpu_time"] * unit}
    return {}


# ---------------------------------------------------------------- report

def machine():
    dpdk = run(["pkg-config", "--modversion", "libdpdk"], check=False).stdout.strip()
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "kernel": platform.release(),
            "tsc_mhz": tsc_mhz(), "loadavg": loadavg(), "dpdk": dpdk}


def tsc_mhz():
    # bogomips = 2 × TSC MHz on x86 (no hardware counters in these VMs).
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.lower().startswith("bogomips"):
                return float(line.split(":")[1]) / 2
    return None


def fmt(r):
    return f"{r['median']:.2f} ({r['min']:.2f}–{r['max']:.2f})"


def chart(res, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    ids = [k for k in res if res[k].get("mpps")]
    vals = [res[k]["mpps"]["primary"]["median"] for k in ids]
    errs = [[res[k]["mpps"]["primary"]["median"] - res[k]["mpps"]["primary"]["min"] for k in ids],
            [res[k]["mpps"]["primary"]["max"] - res[k]["mpps"]["primary"]["median"] for k in ids]]
    colors = {"vs": "tab:blue", "tp": "tab:gray", "ovs": "tab:orange"}
    fig, ax = plt.subplots(figsize=(9, 0.32 * len(ids) + 1.2))
    ax.barh(range(len(ids)), vals, xerr=errs, color=[colors[k.split("_")[0]] for k in ids])
    mir = [res[k]["mpps"].get("mirror", {}).get("median") for k in ids]
    for i, v in enumerate(mir):
        if v:
            ax.barh(i, v, height=0.35, color="tab:green")
    ax.set_yticks(range(len(ids)))
    ax.set_yticklabels(ids, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("Mpps delivered (median, min–max); green = mirror copies sent")
    ax.set_title("vswitchd (blue) vs testpmd (gray) vs OVS-DPDK (orange)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write_report(args, ctx, res, rows, p11, mach, started, out):
    base = os.path.splitext(out)[0]
    img_dir = os.path.join(os.path.dirname(out) or ".", "img")
    os.makedirs(img_dir, exist_ok=True)
    png = os.path.join(img_dir, "benchmarks-e2e.png")
    with open(base + ".json", "w") as f:
        json.dump({"machine": mach, "date": started, "command": " ".join(sys.argv),
                   "smoke": ctx.smoke, "warm": ctx.warm, "window": ctx.window, "reps": ctx.reps, "results": res, "targets": rows, "p11": p11}, f, indent=1,
                  default=str)
    chart(res, png)
    if ctx.tsc_hz:
        mach["tsc_mhz"] = ctx.tsc_hz / 1e6
    tsc = mach.get("tsc_mhz") or 0
    L = ["# Benchmarks", "",
         f"Generated by `{' '.join(['bench/e2e/run.py'] + sys.argv[1:])}` on {started} "
         f"(UTC). Method: `perf.md` (pcap source with `infinite_rx`, `net_null` sinks, "
         f"ethdev counters over the DPDK telemetry socket, {ctx.warm:g} s warm-up, "
         f"{ctx.window:g} s window, {ctx.reps} fresh process(es) per row: median (min–max); "
         f"repetition-major: every row's rep 0, then every row's rep 1, ...).",
         "",
         f"Machine: {mach['cpu']}, {mach['cores']} CPUs, kernel {mach['kernel']}, DPDK "
         f"{mach['dpdk']}, TSC ≈ {tsc:.0f} MHz. Load average at the start: "
         f"{' '.join(mach['loadavg'])}, at the end: {' '.join(mach.get('loadavg_end', []))} — the machine is shared with other jobs, so absolute "
         f"numbers are noisy; the ratios come from one run.", "",
         "## Targets", "", "| id | what | measured | target | |", "|---|---|---|---|---|"]
    for r in rows:
        v = r["value"]
        vs = "n/a" if v is None else (f"{v:.3f}{r['unit']}" if isinstance(v, float) else
                                      f"{v}{r['unit']}")
        mark = "—" if r["met"] is None else ("met" if r["met"] else "**missed**")
        L.append(f"| {r['id']} | {r['what']} | {vs} | {r['goal']} | {mark} |")
    L += ["", "## All runs (Mpps)", "",
          "| scenario | primary delivered | source rx | mirror sent | cycles/pkt |",
          "|---|---|---|---|---|"]
    for sid, r in res.items():
        if "error" in r:
            L.append(f"| {sid} | failed: {r['error'][:120]} | | | |")
            continue
        mp = r["mpps"]
        cyc = f"{tsc / mp['primary']['median']:.0f}" if tsc and mp["primary"]["median"] else ""
        L.append(f"| {sid} | {fmt(mp['primary'])} | {fmt(mp['source'])} | "
                 f"{fmt(mp['mirror']) if 'mirror' in mp else ''} | {cyc} |")
    L += ["", f"![chart](img/{os.path.basename(png)})", ""]
    extras = []
    for sid in ("vs_l2_64", "vs_churn_64"):
        for rep in res.get(sid, {}).get("reps", []):
            for k in ("rpc_idle", "rpc_load", "churn", "tap_change", "lost"):
                if k in rep["extra"]:
                    extras.append(f"- `{sid}` {k}: {json.dumps(rep['extra'][k])}")
    for sid in ("vs_ovl_encap_64", "vs_ovl_decap_64", "vs_ovl_encap_64_100k"):
        for rep in res.get(sid, {}).get("reps", []):
            e = {k: rep["extra"][k] for k in ("replace_s", "drops") if k in rep["extra"]}
            if e:
                extras.append(f"- `{sid}` {json.dumps(e)}")
    if p11:
        extras.append(f"- P11 micro-benchmark: {json.dumps(p11)}")
    L += ["## Control plane and churn details", ""] + extras + [""]
    # Sections other runs own (<!-- begin NAME --> ... <!-- end NAME -->: the
    # overlay rows' own run, bench/fleet/run.py --record) survive a full run.
    if os.path.exists(out) and not ctx.smoke:
        with open(out) as f:
            L += [m.group(0) + "\n" for m in re.finditer(
                r"<!-- begin (\S+) -->.*?<!-- end \1 -->", f.read(), re.S)]
    # Hand-written analysis (profiles, what limits a target) kept with the harness.
    notes = os.path.join(HERE, "notes.md")
    if os.path.exists(notes) and not ctx.smoke:
        with open(notes) as f:
            L += [f.read()]
    with open(out, "w") as f:
        f.write("\n".join(L))
    return png


def rewrite_report(args):
    """Markdown and chart again from a run's JSON (e.g. after editing notes.md)."""
    with open(args.report_from) as f:
        j = json.load(f)
    ctx = argparse.Namespace(smoke=j["smoke"], tsc_hz=j["machine"]["tsc_mhz"] * 1e6,
                             warm=j.get("warm", 3.0), window=j.get("window", 10.0),
                             reps=j.get("reps", 3))
    out = args.out or os.path.join(REPO, "doc", "benchmarks.md")
    sys.argv = j["command"].split()
    rows = targets(j["results"], j["p11"])
    write_report(args, ctx, j["results"], rows, j["p11"], j["machine"], j["date"], out)
    print(f"wrote {out}")
    return 0


def write_junit(path, res):
    import xml.etree.ElementTree as ET
    suite = ET.Element("testsuite", name="bench_e2e_smoke")
    for sid, r in res.items():
        case = ET.SubElement(suite, "testcase", classname="bench_e2e", name=sid)
        if "error" in r:
            ET.SubElement(case, "failure", message=r["error"][:200]).text = r.get("trace", "")
        elif not r["mpps"].get("primary", {}).get("median"):
            ET.SubElement(case, "failure", message="no packets delivered")
        elif r.get("needs_mirror") and not r["mpps"].get("mirror", {}).get("median"):
            ET.SubElement(case, "failure", message="no mirror copies sent")
    suite.set("tests", str(len(res)))
    ET.ElementTree(suite).write(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="1 s windows, 1 repetition, a subset")
    ap.add_argument("--out", default=None, help="markdown report (default doc/benchmarks.md; "
                    "smoke: $VSWITCH_BUILD/bench-e2e/benchmarks.md)")
    ap.add_argument("--build", default=os.environ.get("VSWITCH_BUILD",
                                                      os.path.join(REPO, "build")))
    ap.add_argument("--cache", default="/var/tmp/vswitch-bench-cache",
                    help="pcap and stub cache directory")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--warm", type=float, default=None, help="warm-up seconds (3; smoke 1)")
    ap.add_argument("--window", type=float, default=None, help="window seconds (10; smoke 1)")
    ap.add_argument("--only", default=None, help="regex of scenario ids to run")
    ap.add_argument("--junit", default=None, help="write a JUnit XML file (CI)")
    ap.add_argument("--report-from", default=None,
                    help="rewrite the report from this JSON of an earlier run (no runs)")
    args = ap.parse_args()
    if args.report_from:
        return rewrite_report(args)
    if os.geteuid() != 0:
        sys.exit("run.py: needs root (EAL, network namespaces)")
    # The harness, its clients and every main lcore stay on CPU 0; CPU 1 is
    # the forwarding core.
    os.sched_setaffinity(0, {0})
    if args.out is None:
        args.out = (os.path.join(args.build, "bench-e2e", "benchmarks.md") if args.smoke
                    else os.path.join(REPO, "doc", "benchmarks.md"))
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    ctx = Ctx(args)
    started = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M")
    mach = machine()
    res = {}
    scs = scenarios(args.smoke)
    if args.only:
        scs = [s for s in scs if re.search(args.only, s["id"])]
    # Repetition-major: rep 0 of every scenario, then rep 1, ... This VM's
    # speed drifts by up to 25 % over minutes (a noisy host), so the
    # repetitions of the two sides of a ratio are spread over the same
    # stretch of time instead of one side's falling in a slow one.
    reps = {sc["id"]: [] for sc in scs}
    for rep in range(ctx.reps):
        for sc in scs:
            if sc["id"] in res:
                continue  # failed in an earlier repetition
            try:
                t = time.monotonic()
                rates, extra = RUNNERS[sc["sys"]](ctx, sc, rep)
                reps[sc["id"]].append({"rates": rates, "extra": extra})
                print(f"{sc['id']} rep {rep}: " + ", ".join(
                    f"{k} {v / 1e6:.2f} Mpps" for k, v in rates.items()) +
                    f" ({time.monotonic() - t:.0f} s)", flush=True)
            except Exception as e:  # noqa: BLE001 -- a failed scenario is reported, the rest run
                print(f"{sc['id']} FAILED: {e}", file=sys.stderr, flush=True)
                res[sc["id"]] = {"error": str(e), "trace": traceback.format_exc()}
    for sc in scs:
        if sc["id"] not in res:
            res[sc["id"]] = {"mpps": summarize(reps[sc["id"]]), "reps": reps[sc["id"]],
                             "needs_mirror": bool(sc.get("mirror")) and
                             sc["id"] != "vs_tap10x100_64"}
    p11 = run_p11(ctx)
    mach["loadavg_end"] = loadavg()
    rows = targets(res, p11)
    png = write_report(args, ctx, res, rows, p11, mach, started, args.out)
    for r in rows:
        print(f"{r['id']:4} {r['what']}: {r['value']} (target {r['goal']}) "
              f"{'' if r['met'] is None else ('met' if r['met'] else 'MISSED')}")
    print(f"wrote {args.out}, {os.path.splitext(args.out)[0]}.json, {png}")
    if args.junit:
        write_junit(args.junit, res)
    shutil.rmtree(ctx.workdir, ignore_errors=True)
    return 1 if any("error" in r for r in res.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
