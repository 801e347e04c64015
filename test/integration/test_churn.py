# SPDX-License-Identifier: Apache-2.0
"""Configuration churn under load (promise 4): while a VM sends a known
number of frames to a sink, a gRPC client makes about 1,000 changes a
second (TAP sessions created, updated and deleted, static FDB entries added
and removed, a vport that carries no traffic added and removed). No primary
frame is lost, no mbuf leaks, and every port's counters add up; with
--config persistence too (group commit), where a daemon killed with -9 in
the middle of the churn comes back with every acknowledged change. A TAP
change also reaches a flow that is already in the flow cache."""

import shutil
import signal
import subprocess
import threading
import time

from conftest import (Daemon, attach_vm, grpc_channel, mempools_in_use, mirror_counters,
                      mirror_settled, wait_for, wait_mempools_at)

MAC_SRC = "02:00:00:00:00:01"
SINK_MAC = "02:00:00:00:00:5e"
COLLECTOR = "192.0.2.2"
CHURN_SECONDS = 3.0
# The target is 1,000 changes/s. Under traffic the forwarding lcore takes a
# whole CPU, so on a 2-CPU box the rate depends on what else runs there
# (1,200-1,450/s measured on the shared 2-CPU development VM, below 300/s while
# other builds ran). The assertion is a floor that only a change path that
# blocks on the dataplane would miss; the rate reached is printed.
TARGET_RATE = 1000
MIN_RATE = 150
# With --config every call returns once a write of the file holds its
# change; one write (fsync of file and directory: 4-20 ms on CI's virtual
# disk, the more the busier the box) covers every change accepted while the
# previous one was in flight, so the rate grows with the changes in flight
# (clients) rather than being capped at one change per write. Measured with
# 16 clients under traffic: 390-420/s with the box at load 16 (20 ms
# writes). Asserted: at least 2 changes per write on average (grouping
# works, whatever the disk) and a floor that tolerates a loaded box.
PERSIST_CLIENTS = 16
MIN_RATE_PERSISTED = 200
MIN_CHANGES_PER_WRITE = 2

# Sends one frame repeatedly (the UDP source port varies, so the flow cache
# sees several flows) for `seconds` at about `pps`, in batches; prints how
# many the socket took.
_PACED_SENDER = r"""
import socket, struct, sys, time
iface, frame_hex, pps, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
frame = bytearray(bytes.fromhex(frame_hex))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((iface, 0))
n, batch = 0, 20
t0 = time.monotonic()
while time.monotonic() - t0 < seconds:
    for _ in range(batch):
        struct.pack_into("!H", frame, 34, 1024 + n % 8)  # UDP source port
        s.send(frame)
        n += 1
    ahead = n / pps - (time.monotonic() - t0)
    if ahead > 0:
        time.sleep(ahead)
print(n)
"""


def udp_frame(src_mac, dst_mac):
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether
    return bytes(Ether(dst=dst_mac, src=src_mac) / IP(src="10.0.0.1", dst="10.0.0.94") /
                 UDP(sport=1024, dport=9) / (b"x" * 18))


def configure(d, netns_factory):
    d.vsctl("add", "vnet", "blue", "tenant", "acme", "vni", "100", "prefix", "10.0.0.0/24")
    vm = attach_vm(d, netns_factory("src"), "src", "blue", "10.0.0.1", MAC_SRC)
    # A long kernel queue in the VM: on a loaded CI box the forwarding lcore
    # can be descheduled for tens of ms; the frames wait instead of being
    # dropped by the VM's own kernel before the switch could see them.
    vm.ns.exec("ip", "link", "set", vm.iface, "txqueuelen", "20000")
    # The sink: a null device with a static MAC (unicast, no flooding).
    d.vsctl("add", "vport", "sink", "vnet", "blue", "driver", "null:no-rx=1", "mac", SINK_MAC)
    d.vsctl("add", "uplink", "up0", "driver", "null:no-rx=1", "ip", "192.0.2.10/24")
    d.vsctl("set", "neighbor", COLLECTOR, "mac", "02:00:00:00:c0:02")
    d.vsctl("add", "destination", "col", "vnet", "blue", "vni", "5000", "collector", COLLECTOR)
    return vm


def start_sender(vm, pps, seconds):
    frame = udp_frame(MAC_SRC, SINK_MAC).hex()
    return vm.ns.popen("/usr/bin/python3", "-c", _PACED_SENDER, vm.iface, frame, str(pps),
                       str(seconds), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def kernel_tx(vm):
    """(tx_packets, tx_dropped) of the VM's kernel interface: what it handed
    to the switch's TAP device and what the kernel itself dropped."""
    base = f"/sys/class/net/{vm.iface}/statistics"
    res = vm.ns.exec("cat", f"{base}/tx_packets", f"{base}/tx_dropped")
    tx, dropped = (int(x) for x in res.stdout.split())
    return tx, dropped


class Churner:
    """Makes changes through the real gRPC API, several in flight, until
    stopped; every one must succeed. `acked` is the state its changes made
    as far as the daemon acknowledged them ({("session", name): "tx" or
    "both", ("fdb", mac): "sink", ("vport", name): "blue"}); `pending` is
    that state plus the change in flight when a call failed."""

    def __init__(self, d, pb2, pb2_grpc):
        self.d, self.pb2 = d, pb2
        self.channel = grpc_channel(d)
        self.stub = pb2_grpc.VSwitchStub(self.channel)
        self.changes = 0
        self.errors = []
        self.acked = {}
        self.pending = None
        self.touched = set()
        self.stop = threading.Event()

    def ops(self, k):
        """The k-th cycle's changes, in an order that is valid whatever
        ran before (each cycle uses its own names), each with the key and
        value it sets in the state (None: removes it)."""
        pb2, s = self.pb2, self.stub
        name, mac = f"c{k}", "02:01:00:%02x:%02x:%02x" % ((k >> 16) & 255, (k >> 8) & 255, k & 255)
        session = pb2.TapSession(name=name, sources=["src"], destinations=["col"])
        yield s.CreateTapSession, pb2.CreateTapSessionRequest(session=session), \
            ("session", name), "both"
        session.direction = pb2.TAP_DIRECTION_TX
        session.truncate_bytes = 128
        yield s.UpdateTapSession, pb2.UpdateTapSessionRequest(session=session), \
            ("session", name), "tx"
        yield s.AddFdbEntry, pb2.AddFdbEntryRequest(entry=pb2.FdbEntry(
            vnet="blue", mac=mac, vport="sink")), ("fdb", mac), "sink"
        yield s.DeleteTapSession, pb2.DeleteTapSessionRequest(name=name), ("session", name), None
        yield s.RemoveFdbEntry, pb2.RemoveFdbEntryRequest(vnet="blue", mac=mac), ("fdb", mac), None
        if k % 20 == 0:
            yield s.AddVPort, pb2.AddVPortRequest(vport=pb2.VPort(
                name=f"idle{k}", vnet="blue", driver="null:no-rx=1")), ("vport", f"idle{k}"), "blue"
            yield s.RemoveVPort, pb2.RemoveVPortRequest(name=f"idle{k}"), \
                ("vport", f"idle{k}"), None

    def run(self, k, step):
        while not self.stop.is_set():
            for method, req, key, value in self.ops(k):
                self.touched.add(key)
                after = dict(self.acked)
                if value is None:
                    after.pop(key, None)
                else:
                    after[key] = value
                try:
                    method(req, timeout=30)
                except Exception as e:  # noqa: BLE001 — asserted by the test.
                    self.errors.append(f"cycle {k}: {e!r}")
                    self.pending = after
                    return
                self.acked = after
                self.changes += 1
            k += step


def churn(d, pb2, pb2_grpc, seconds, first_k, clients=2, during=None):
    """`clients` clients, each cycling through its own names, so a change is
    usually waiting while another one commits. `during()`, if given, runs
    after `seconds` instead of stopping the clients (and errors are then
    the caller's to judge). Returns (changes/second, churners)."""
    churners = [Churner(d, pb2, pb2_grpc) for _ in range(clients)]
    threads = [threading.Thread(target=c.run, args=(first_k + off, clients))
               for off, c in enumerate(churners)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(seconds)
    if during is not None:
        during()
    for c in churners:
        c.stop.set()
    for t in threads:
        t.join(timeout=60)
    elapsed = time.monotonic() - t0
    for c in churners:
        c.channel.close()
    if during is None:
        errors = [e for c in churners for e in c.errors]
        assert not errors, errors
    return sum(c.changes for c in churners) / elapsed, churners


def churn_under_traffic(d, vm, pb2, pb2_grpc, clients):
    """Churns while the VM sends; asserts that no primary frame was lost,
    counters add up, nothing of the churn is left and no mbuf leaked.
    Returns (changes/s under traffic, changes/s without)."""
    # What this machine does without traffic, for the message below.
    idle_rate, _ = churn(d, pb2, pb2_grpc, 1.0, first_k=1_000_000, clients=clients)
    # The baseline at rest: the TAP device's receive ring holds its buffers.
    wait_for(lambda: mempools_in_use(d)["vswitch_pkts"] > 0, what="pools in use")
    time.sleep(0.5)
    base_pools = mempools_in_use(d)
    d.vsctl("clear", "stats")
    kernel_before = kernel_tx(vm)

    sender = start_sender(vm, pps=8000, seconds=CHURN_SECONDS + 1.0)
    time.sleep(0.5)  # Traffic first, then the churn.
    rate, _ = churn(d, pb2, pb2_grpc, CHURN_SECONDS, first_k=0, clients=clients)
    out, err = sender.communicate(timeout=60)
    assert sender.returncode == 0, err
    sent = int(out.strip())
    print(f"churn: {rate:.0f} changes/s under {sent} frames; {idle_rate:.0f}/s without traffic "
          f"(target {TARGET_RATE}/s, {clients} clients)")

    kernel_after = kernel_tx(vm)
    handed = kernel_after[0] - kernel_before[0]
    assert kernel_after[1] == kernel_before[1], "the VM's kernel dropped frames itself"
    assert handed == sent, (handed, sent)

    def all_through():
        return int(d.port_stats("sink").get("tx_packets", 0)) >= sent
    try:
        wait_for(all_through, timeout=15, what="the sink to count every frame")
    except AssertionError:
        pass  # Reported with the counters below.
    src, sink = d.port_stats("src"), d.port_stats("sink")
    # 0 primary frames lost: all sent arrived at the sink, none dropped.
    assert int(src.get("rx_packets", 0)) == sent, (sent, src)
    assert int(sink.get("tx_packets", 0)) == sent, (sent, sink)
    for p in (src, sink):
        assert not p.get("drops") and not int(p.get("rx_nombuf", 0)), p
    # Counters add up over the VM ports (mirror copies leave on the uplink).
    vm_ports = [p for p in d.stats()["ports"] if p["name"] != "up0"]
    rx = sum(int(p.get("rx_packets", 0)) for p in vm_ports)
    tx = sum(int(p.get("tx_packets", 0)) for p in vm_ports)
    drops = sum(int(x["packets"]) for p in vm_ports for x in p.get("drops", []))
    assert rx == tx + drops, (rx, tx, drops, vm_ports)
    # No session, FDB entry or vport of the churn is left; no mbuf leaked.
    assert not d.vsctl("show", "tap-sessions", json_out=True).get("sessions")
    assert [v["name"] for v in d.vsctl("show", "vports", json_out=True)["vports"]] == [
        "src", "sink", "up0"]
    mirror_settled(d)
    wait_mempools_at(d, base_pools)
    return rate, idle_rate


def test_churn_under_load_loses_nothing(vswitchd_factory, netns_factory, grpc_stubs):
    pb2, pb2_grpc = grpc_stubs
    # Without persistence: the switch's own rate (test below: with it).
    d = vswitchd_factory("--config=")
    vm = configure(d, netns_factory)
    rate, idle_rate = churn_under_traffic(d, vm, pb2, pb2_grpc, clients=2)
    assert rate >= MIN_RATE, (
        f"only {rate:.0f} changes/s under traffic, {idle_rate:.0f}/s without "
        f"(target {TARGET_RATE}/s, floor {MIN_RATE}/s)")


def churned_state(config):
    """The part of a vswitch.v1.Config the churn makes, in Churner's terms."""
    state = {}
    for s in config.tap_sessions:
        if s.name.startswith("c"):
            state[("session", s.name)] = "tx" if s.truncate_bytes == 128 else "both"
    for e in config.fdb:
        if e.mac.startswith("02:01:"):
            state[("fdb", e.mac)] = e.vport
    for v in config.vports:
        if v.name.startswith("idle"):
            state[("vport", v.name)] = v.vnet
    return state


def without_churn(config):
    """`config` without the objects the churn makes."""
    out = type(config)()
    out.CopyFrom(config)
    sessions = [x for x in out.tap_sessions if not x.name.startswith("c")]
    fdb = [x for x in out.fdb if not x.mac.startswith("02:01:")]
    vports = [x for x in out.vports if not x.name.startswith("idle")]
    for field, keep in ((out.tap_sessions, sessions), (out.fdb, fdb), (out.vports, vports)):
        keep = [type(x).FromString(x.SerializeToString()) for x in keep]
        del field[:]
        field.extend(keep)
    return out


def test_persisted_churn_loses_nothing_and_survives_kill_9(tmp_path, netns_factory,
                                                           grpc_stubs):
    pb2, pb2_grpc = grpc_stubs
    daemons = []

    def start():
        daemons.append(Daemon(str(tmp_path)).start())  # --config in tmp_path.
        return daemons[-1]

    try:
        d = start()
        vm = configure(d, netns_factory)
        health0 = d.vsctl("show", "health", json_out=True)
        # Many clients: while one write is in flight, the changes of the
        # others queue for the next one.
        rate, idle_rate = churn_under_traffic(d, vm, pb2, pb2_grpc, clients=PERSIST_CLIENTS)
        health = d.vsctl("show", "health", json_out=True)
        writes = int(health["config_writes"]) - int(health0.get("config_writes", 0))
        written = (int(health["config_changes_written"]) -
                   int(health0.get("config_changes_written", 0)))
        print(f"persisted churn: {written} changes in {writes} writes of the config file")
        assert writes > 0 and written >= MIN_CHANGES_PER_WRITE * writes, (writes, written)
        assert rate >= MIN_RATE_PERSISTED, (
            f"only {rate:.0f} persisted changes/s under traffic, {idle_rate:.0f}/s without "
            f"(target {TARGET_RATE}/s, floor {MIN_RATE_PERSISTED}/s)")

        # kill -9 in the middle of the churn: the restarted daemon has every
        # change the clients got an answer for, and at most the one each had
        # in flight.
        def kill():
            d.proc.send_signal(signal.SIGKILL)
            d.proc.wait(timeout=10)

        stub = pb2_grpc.VSwitchStub(grpc_channel(d))
        base = without_churn(stub.GetConfig(pb2.GetConfigRequest(), timeout=10))
        _, churners = churn(d, pb2, pb2_grpc, 1.5, first_k=2_000_000, clients=PERSIST_CLIENTS,
                            during=kill)
        assert sum(c.changes for c in churners) > 0
        d2 = start()
        stub = pb2_grpc.VSwitchStub(grpc_channel(d2))
        config = stub.GetConfig(pb2.GetConfigRequest(), timeout=10)
        restored = churned_state(config)
        for c in churners:
            mine = {k: v for k, v in restored.items() if k in c.touched}
            assert mine == c.acked or mine == c.pending, (mine, c.acked, c.pending)
        touched = set().union(*(c.touched for c in churners))
        assert set(restored) <= touched, set(restored) - touched
        assert without_churn(config) == base
    finally:
        for dd in daemons:
            dd.stop()
            shutil.rmtree(f"/var/run/dpdk/{dd.prefix}", ignore_errors=True)


def test_tap_change_reaches_a_cached_flow(vswitchd, netns_factory):
    d = vswitchd
    vm = configure(d, netns_factory)
    sender = start_sender(vm, pps=2000, seconds=8.0)
    try:
        wait_for(lambda: int(d.port_stats("sink").get("tx_packets", 0)) > 200,
                 what="the flow to run (and be cached)")

        def matched():
            return mirror_counters(d).get(("session", "t1"), {}).get("matched", 0)

        def grows(what):
            m0 = matched()
            wait_for(lambda: matched() > m0 + 100, timeout=5, what=f"mirroring to {what}")

        def still(what):
            time.sleep(0.2)  # Copies staged before the change.
            m0 = matched()
            time.sleep(0.5)
            assert matched() == m0, f"mirroring did not {what}"

        d.vsctl("add", "tap-session", "t1", "source", "src", "destination", "col")
        grows("start for the running flow")
        d.vsctl("set", "tap-session", "t1", "source", "src", "destination", "col", "disabled")
        still("stop when the session was disabled")
        d.vsctl("set", "tap-session", "t1", "source", "src", "destination", "col")
        grows("resume when the session was enabled")
        # A filter that rejects the flow's UDP port.
        d.vsctl("set", "tap-session", "t1", "source", "src", "destination", "col",
                "rule", "prio=10,action=reject,proto=udp")
        still("stop under a rejecting rule")
    finally:
        sender.kill()
        sender.wait(timeout=10)
