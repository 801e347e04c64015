#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Fleet scale benchmark (issue 17): a large fleet simulated in a real etcd
cluster against one real vswitch-agent and vswitchd.

The fleet: --hosts hypervisors (h0000 is the real one) with --vms-per-host
VMs each, VNets of --vnet-size VMs spread over the hosts, --sessions TAP
sessions of 5 source VMs each. The other hosts are their VTEP keys only
(under one lease, as an agent would publish them); their agents are not
run. The real host's vswitchd has a net_null uplink (nothing leaves the
machine) and its VMs are net_null vports.

Measured:
  fill          writing the whole desired state (transactions of 128 puts)
  first         agent start -> vswitchd converged at the fill's revision
  resync        agent kill -9, a change while it is away, new agent ->
                converged at that change's revision
  per change    etcd write -> vswitchd runs it (the agent's report in
                GetHealth, polled every --poll-ms), p50/p99 per kind:
                  remote_move  a VM of a VNet this host has moves between
                               two other hosts (ReplaceRemotePorts)
                  tap_update   a TAP session with a source here changes
                               (ApplyConfig)
                  vm_add/vm_del  a VM placed on / removed from this host
                               (ApplyConfig: a vport created / destroyed)
                  elsewhere    a change of VNets this host does not have
                               (no RPC)
                  burst        --burst moves written back to back
  memory        VmRSS/VmHWM of the agent and of vswitchd
  RPC bytes     per change, from the agent's log (--v=1)

Every change is also checked in vswitchd (the moved remote port's VTEP,
the session's truncation, the vport), so a run that measures the wrong
thing fails. --smoke runs a small fleet on one etcd member and checks
only that (no timing targets: speed is never asserted by a test).
"""

import argparse
import json
import math
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "test", "integration"))
sys.path.insert(0, os.path.join(REPO, "bench", "e2e"))

from etcd_cluster import EtcdCluster  # noqa: E402
from systems import Vswitchd, cpu_model, grpc_stubs, loadavg, run, stop_proc  # noqa: E402

ROOT = "/vswitch/v1/"
HOST = "h0000"
TXN_OPS = 128  # etcd's default --max-txn-ops
TARGET_P99_MS = 100.0
TARGET_FIRST_S = 10.0


# ---------------------------------------------------------------- the fleet
class Layout:
    """Names and addresses of the simulated fleet, all derived from
    indexes so that a change can be written without a lookup."""

    def __init__(self, hosts, vms_per_host, vnet_size, sessions, tenants):
        self.hosts, self.vnet_size, self.sessions = hosts, vnet_size, sessions
        self.vms = hosts * vms_per_host
        self.vnets = self.vms // vnet_size
        self.tenants = min(tenants, self.vnets)
        if self.vnets * vnet_size != self.vms:
            raise SystemExit("--hosts x --vms-per-host must be a multiple of --vnet-size")
        if sessions > self.vnets or vnet_size < 5:
            raise SystemExit("every TAP session needs its own VNet of at least 5 VMs")
        self.host_of = [g % hosts for g in range(self.vms)]  # current placement

    @staticmethod
    def host(h):
        return f"h{h:04d}"

    @staticmethod
    def vtep(h):
        return f"10.128.{(h + 1) // 256}.{(h + 1) % 256}"

    @staticmethod
    def vnet(v):
        return f"vn{v:04d}"

    def vnet_value(self, v):
        return {"name": self.vnet(v), "tenant": f"t{v % self.tenants:03d}", "vni": 10000 + v,
                "prefixes": [f"10.{v // 256}.{v % 256}.0/24"]}

    @staticmethod
    def vm(g):
        return f"vm{g:05d}"

    @staticmethod
    def mac(g, base=0):
        g += base
        return f"02:00:{(g >> 24) & 255:02x}:{(g >> 16) & 255:02x}:{(g >> 8) & 255:02x}:{g & 255:02x}"

    def vm_value(self, g, host=None):
        v, j = divmod(g, self.vnet_size)
        return {"name": self.vm(g), "vnet": self.vnet(v), "macs": [self.mac(g)],
                "ips": [f"10.{v // 256}.{v % 256}.{j + 10}"],
                "host": self.host(self.host_of[g] if host is None else host),
                "driver": "null:no-rx=1", "queues": 1}

    def sources(self, k):
        """VM indexes of session k's sources: the first 5 of VNet k."""
        return range(k * self.vnet_size, k * self.vnet_size + 5)

    def tapped_here(self, k):
        return any(self.host_of[g] == 0 for g in self.sources(k))

    def session_value(self, k, truncate=0):
        s = {"name": f"tap{k:04d}", "sources": [self.vm(g) for g in self.sources(k)],
             "direction": "TAP_DIRECTION_BOTH", "destinations": [f"d{k:04d}"]}
        if truncate:
            s["truncate_bytes"] = truncate
        return s

    def destination_value(self, k):
        return {"name": f"d{k:04d}", "vnet": self.vnet(k), "vni": 20000 + k,
                "collectors": [f"10.250.{k // 256}.{k % 256 + 1}"]}

    def local_vnets(self):
        return sorted({g // self.vnet_size for g in range(self.vms) if self.host_of[g] == 0})

    def fill(self):
        """(key, value) of the whole desired state, VTEPs apart."""
        kv = [(f"{ROOT}tenants/t{t:03d}", {"name": f"t{t:03d}"}) for t in range(self.tenants)]
        for v in range(self.vnets):
            kv.append((f"{ROOT}vnets/{self.vnet(v)}", self.vnet_value(v)))
            kv.append((f"{ROOT}vnis/{10000 + v}", {"vnet": self.vnet(v)}))
        kv += [(f"{ROOT}vms/{self.vm(g)}", self.vm_value(g)) for g in range(self.vms)]
        for k in range(self.sessions):
            kv.append((f"{ROOT}destinations/d{k:04d}", self.destination_value(k)))
            kv.append((f"{ROOT}taps/tap{k:04d}", self.session_value(k)))
        return kv


# ---------------------------------------------------------------- stubs
def etcd_stubs(build, cache):
    """Python stubs of etcd's (stripped) API, from the build's copies of
    Debian's protos."""
    out = os.path.join(cache, "etcd-pystubs")
    os.makedirs(out, exist_ok=True)
    run(["protoc", f"--proto_path={build}", f"--python_out={out}", f"--grpc_out={out}",
         "--plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin"] +
        [os.path.join(build, "lib", "etcd", f"{p}.proto") for p in ("rpc", "kv", "auth")])
    sys.path.insert(0, out)
    from lib.etcd import rpc_pb2, rpc_pb2_grpc  # noqa: E402
    return rpc_pb2, rpc_pb2_grpc


class Etcd:
    """The harness's writer: puts in transactions, returns revisions."""

    def __init__(self, stubs, endpoint):
        import grpc
        self.pb, grpc_pb = stubs
        self.ch = grpc.insecure_channel(endpoint)
        self.kv = grpc_pb.KVStub(self.ch)
        self.lease = grpc_pb.LeaseStub(self.ch)

    def put_many(self, kv, lease=0):
        pb = self.pb
        rev = 0
        for i in range(0, len(kv), TXN_OPS):
            ops = [pb.RequestOp(request_put=pb.PutRequest(
                key=k.encode(), value=json.dumps(v).encode(), lease=lease))
                for k, v in kv[i:i + TXN_OPS]]
            rev = self.kv.Txn(pb.TxnRequest(success=ops), timeout=30).header.revision
        return rev

    def put(self, key, value):
        return self.kv.Put(self.pb.PutRequest(key=key.encode(), value=json.dumps(value).encode()),
                           timeout=10).header.revision

    def delete(self, key):
        return self.kv.DeleteRange(self.pb.DeleteRangeRequest(key=key.encode()),
                                   timeout=10).header.revision

    def grant(self, ttl):
        return self.lease.LeaseGrant(self.pb.LeaseGrantRequest(TTL=ttl), timeout=10).ID

    def close(self):
        self.ch.close()


class Poller(threading.Thread):
    """Polls vswitchd's GetHealth every `period` s and keeps, for every
    applied_revision the agent reported, the first time it was seen."""

    def __init__(self, stubs, socket_path, period):
        super().__init__(daemon=True)
        import grpc
        self.pb, grpc_pb = stubs
        self.ch = grpc.insecure_channel(f"unix:{socket_path}")
        self.stub = grpc_pb.VSwitchStub(self.ch)
        self.period = period
        self.seen = []  # (perf_counter, applied_revision, state), rising revisions
        self.cond = threading.Condition()
        self.stopping = False
        self.polls = 0

    def run(self):
        while not self.stopping:
            try:
                c = self.stub.GetHealth(self.pb.GetHealthRequest(), timeout=5).controller
                now = time.perf_counter()
                self.polls += 1
                with self.cond:
                    if not self.seen or c.applied_revision != self.seen[-1][1] or \
                            c.state != self.seen[-1][2]:
                        self.seen.append((now, c.applied_revision, c.state))
                        self.cond.notify_all()
            except Exception:  # vswitchd restarting or slow: keep polling
                pass
            time.sleep(self.period)

    def wait(self, rev, timeout, after=0.0):
        """The first time at or after `after` when the agent reported
        applied_revision >= rev, converged."""
        deadline = time.perf_counter() + timeout
        with self.cond:
            while True:
                for t, r, s in self.seen:
                    if t >= after and r >= rev and s == "converged":
                        return t
                left = deadline - time.perf_counter()
                if left <= 0:
                    last = self.seen[-1] if self.seen else None
                    raise RuntimeError(f"vswitchd did not run revision {rev} within {timeout}s "
                                       f"(last report: {last})")
                self.cond.wait(min(left, 0.5))

    def close(self):
        self.stopping = True
        self.join(timeout=10)
        self.ch.close()


# ---------------------------------------------------------------- processes
class AgentProc:
    def __init__(self, build, workdir, etcd, socket_path):
        self.bin = os.path.join(build, "apps", "vswitch-agent", "vswitch-agent")
        self.log_path = os.path.join(workdir, "agent.log")
        self.args = [self.bin, f"--etcd={etcd}", f"--host={HOST}", f"--socket={socket_path}",
                     "--lease_ttl=10", "--status_interval=5", "--v=1", "--logtostderr"]
        self.proc = None

    def start(self):
        with open(self.log_path, "a") as log:
            self.proc = subprocess.Popen(self.args, stdout=log, stderr=subprocess.STDOUT,
                                         process_group=0)
        return time.perf_counter()

    def stop(self, sig=signal.SIGTERM):
        stop_proc(self.proc, timeout=15, sig=sig)
        self.proc = None

    def applied(self):
        """{revision: (rpc, bytes, ms the RPC took)} of every apply in the log."""
        out = {}
        pat = re.compile(r"applied revision (\d+): (ReplaceRemotePorts|ApplyConfig)\b.*?"
                         r"(\d+) bytes, in ([0-9.]+)(ms|us|s)")
        scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}
        with open(self.log_path) as f:
            for line in f:
                m = pat.search(line)
                if m:
                    out[int(m.group(1))] = (m.group(2), int(m.group(3)),
                                            float(m.group(4)) * scale[m.group(5)])
        return out

    def tail(self):
        with open(self.log_path) as f:
            return f.read()[-3000:]


def memory(pid):
    """VmRSS and VmHWM of a process, MiB."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0]) / 1024
    return out


def pct(vals, p):
    """Nearest-rank percentile."""
    s = sorted(vals)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


# ---------------------------------------------------------------- the run
class Bench:
    def __init__(self, args, workdir):
        self.args, self.workdir = args, workdir
        self.L = Layout(args.hosts, args.vms_per_host, args.vnet_size, args.sessions, args.tenants)
        self.rng = random.Random(17)
        self.res = {"config": {"hosts": args.hosts, "vms": self.L.vms, "vnets": self.L.vnets,
                               "vnet_size": args.vnet_size, "tap_sessions": args.sessions,
                               "tenants": self.L.tenants, "etcd_members": args.etcd_members,
                               "poll_ms": args.poll_ms},
                    "changes": {}, "checks": []}
        self.etcd = self.vs = self.vsw_ch = self.agent = self.writer = self.poller = None
        self.truncate = {}

    def check(self, name, ok, detail=""):
        self.res["checks"].append({"name": name, "ok": bool(ok), "detail": detail})
        if not ok:
            raise RuntimeError(f"check {name} failed: {detail}")

    # -- vswitchd views
    def remote_vtep(self, vnet, mac):
        for p in self.vsw.ListRemotePorts(self.vpb.ListRemotePortsRequest(vnet=vnet),
                                          timeout=10).ports:
            if p.mac.lower() == mac:
                return p.vtep
        return None

    def counts(self):
        vports = [v for v in self.vsw.ListVPorts(self.vpb.ListVPortsRequest(), timeout=30).vports
                  if v.vnet]
        rps = self.vsw.ListRemotePorts(self.vpb.ListRemotePortsRequest(), timeout=30).ports
        sessions = self.vsw.ListTapSessions(self.vpb.ListTapSessionsRequest(), timeout=30).sessions
        return len(vports), len(rps), len(sessions)

    def expected_counts(self):
        L = self.L
        local = [g for g in range(L.vms) if L.host_of[g] == 0]
        vnets = {g // L.vnet_size for g in local}
        remote = sum(1 for g in range(L.vms) if g // L.vnet_size in vnets and L.host_of[g] != 0)
        sessions = sum(1 for k in range(L.sessions) if L.tapped_here(k))
        return len(local), remote, sessions

    # -- steps
    def setup(self):
        import grpc
        a = self.args
        self.etcd = EtcdCluster(self.workdir, a.etcd_members).start()
        vstubs = grpc_stubs(self.workdir)
        self.vpb = vstubs[0]
        self.writer = Etcd(etcd_stubs(a.build, self.workdir), self.etcd.endpoint(0))
        self.vs = Vswitchd(a.build, self.workdir, "fleet", [f"--idle_sleep_us={a.idle_sleep_us}"])
        self.vs.start()
        self.vs.script([f"add uplink up0 driver null:no-rx=1 ip {self.L.vtep(0)}/9 mtu 1500"])
        self.vsw_ch = grpc.insecure_channel(f"unix:{self.vs.socket}",
                                            options=[("grpc.max_receive_message_length", -1)])
        self.vsw = vstubs[1].VSwitchStub(self.vsw_ch)
        self.poller = Poller(vstubs, self.vs.socket, a.poll_ms / 1e3)
        self.poller.start()
        self.agent = AgentProc(a.build, self.workdir, self.etcd.endpoints, self.vs.socket)

    def fill(self):
        L = self.L
        t = time.perf_counter()
        lease = self.writer.grant(24 * 3600)  # the simulated agents' lease, never renewed
        self.writer.put_many([(f"{ROOT}hosts/{L.host(h)}/vtep", {"ip": L.vtep(h)})
                              for h in range(1, L.hosts)], lease=lease)
        kv = L.fill()
        rev = self.writer.put_many(kv)
        self.res["fill"] = {"keys": len(kv) + L.hosts - 1, "seconds": time.perf_counter() - t,
                            "value_bytes": sum(len(json.dumps(v)) for _, v in kv),
                            "revision": rev}
        return rev

    def first_convergence(self, rev):
        t0 = self.agent.start()
        t1 = self.poller.wait(rev, self.args.converge_timeout, after=t0)
        got, want = self.counts(), self.expected_counts()
        self.check("first convergence: vports, remote ports, TAP sessions", got == want,
                   f"vswitchd runs {got}, the slice is {want}")
        applied = self.agent.applied()
        first = applied.get(min((r for r in applied if r >= rev), default=-1), ("?", 0, 0))
        self.res["first"] = {"seconds": t1 - t0, "vports": got[0], "remote_ports": got[1],
                             "tap_sessions": got[2], "rpc": first[0], "rpc_bytes": first[1],
                             "rpc_ms": first[2]}

    def pick_move(self):
        """A VM of a VNet this host has, on another host, and a new host
        for it that is neither this one nor its current one."""
        L = self.L
        v = self.rng.choice(self.local_vnets)
        while True:
            g = v * L.vnet_size + self.rng.randrange(L.vnet_size)
            if L.host_of[g] != 0:
                break
        while True:
            h = self.rng.randrange(1, L.hosts)
            if h != L.host_of[g]:
                return g, h

    def move(self, g, h):
        self.L.host_of[g] = h
        return self.writer.put(f"{ROOT}vms/{self.L.vm(g)}", self.L.vm_value(g))

    def verify_move(self, g):
        L = self.L
        want = L.vtep(L.host_of[g])
        got = self.remote_vtep(L.vnet(g // L.vnet_size), L.mac(g))
        self.check(f"remote port of {L.vm(g)} follows the move", got == want,
                   f"vswitchd has VTEP {got}, etcd says {want}")

    def timed(self, kind, write, verify):
        """One change: its write->running latency, its RPC (from the log)."""
        time.sleep(self.rng.uniform(0.02, 0.06))  # its own watch batch
        t0 = time.perf_counter()
        rev = write()
        tw = time.perf_counter()
        t1 = self.poller.wait(rev, 30)
        verify()
        c = self.res["changes"].setdefault(kind, {"ms": [], "etcd_ms": [], "revs": []})
        c["ms"].append((t1 - t0) * 1e3)
        c["etcd_ms"].append((tw - t0) * 1e3)
        c["revs"].append(rev)

    def changes(self):
        L, a = self.L, self.args
        for _ in range(a.changes):
            g, h = self.pick_move()
            self.timed("remote_move", lambda: self.move(g, h), lambda: self.verify_move(g))
        local_sessions = [k for k in range(L.sessions) if L.tapped_here(k)]
        for i in range(a.changes):
            k = local_sessions[i % len(local_sessions)]
            tr = 0 if self.truncate.get(k) else 128
            self.truncate[k] = tr

            def verify(k=k, tr=tr):
                s = [s for s in self.vsw.ListTapSessions(self.vpb.ListTapSessionsRequest(),
                                                         timeout=10).sessions
                     if s.name == f"tap{k:04d}"]
                self.check(f"tap{k:04d} truncation follows etcd",
                           s and s[0].truncate_bytes == tr,
                           f"vswitchd: {s[0].truncate_bytes if s else 'no session'}, etcd: {tr}")
            self.timed("tap_update", lambda: self.writer.put(
                f"{ROOT}taps/tap{k:04d}", L.session_value(k, tr)), verify)
        v0 = self.local_vnets[0]
        for i in range(a.local_changes):
            name = f"new{i:04d}"
            value = {"name": name, "vnet": L.vnet(v0), "macs": [L.mac(i, base=1 << 30)],
                     "ips": [f"10.{v0 // 256}.{v0 % 256}.{100 + i % 150}"], "host": HOST,
                     "driver": "null:no-rx=1", "queues": 1}

            def has(name=name):
                return any(v.name == name for v in
                           self.vsw.ListVPorts(self.vpb.ListVPortsRequest(), timeout=10).vports)
            self.timed("vm_add", lambda: self.writer.put(f"{ROOT}vms/{name}", value),
                       lambda: self.check(f"vport {name} created", has()))
            self.timed("vm_del", lambda: self.writer.delete(f"{ROOT}vms/{name}"),
                       lambda: self.check(f"vport {name} destroyed", not has()))
        others = [v for v in range(L.vnets) if v not in set(self.local_vnets)]
        for _ in range(a.changes):
            v = self.rng.choice(others)
            g = v * L.vnet_size + self.rng.randrange(L.vnet_size)
            h = self.rng.randrange(1, L.hosts)
            before = self.counts()
            self.timed("elsewhere", lambda: self.move(g, h),
                       lambda: self.check("a change elsewhere leaves this host alone",
                                          self.counts() == before))

    def burst(self):
        """--burst moves written back to back: the agent batches them."""
        moves = [self.pick_move() for _ in range(self.args.burst)]
        writes = []
        t0 = time.perf_counter()
        for g, h in moves:
            writes.append((time.perf_counter(), self.move(g, h)))
        last = self.poller.wait(writes[-1][1], 60)
        for g, _ in moves:
            self.verify_move(g)
        ms = [(self.poller.wait(rev, 1) - t) * 1e3 for t, rev in writes]
        revs = [rev for _, rev in writes]
        applied = self.agent.applied()
        rpcs = [r for r in applied if revs[0] <= r <= revs[-1]]
        self.res["burst"] = {"writes": len(moves), "seconds": last - t0,
                             "write_seconds": writes[-1][0] - t0,
                             "p50_ms": pct(ms, 50), "p99_ms": pct(ms, 99), "max_ms": max(ms),
                             "rpcs": len(rpcs),
                             "rpc_p50_ms": statistics.median([applied[r][2] for r in rpcs])}

    def resync(self):
        self.agent.stop(signal.SIGKILL)
        g, h = self.pick_move()
        rev = self.move(g, h)
        t0 = self.agent.start()
        t1 = self.poller.wait(rev, self.args.converge_timeout, after=t0)
        self.verify_move(g)
        self.res["resync"] = {"seconds": t1 - t0}

    def memory(self):
        return {"agent": memory(self.agent.proc.pid), "vswitchd": memory(self.vs.proc.pid)}

    def summarize(self):
        applied = self.agent.applied()
        allms = []
        for kind, c in self.res["changes"].items():
            ms, etcd_ms, revs = c.pop("ms"), c.pop("etcd_ms"), c.pop("revs")
            allms += ms
            rpcs = [applied[r] for r in revs if r in applied]
            c.update({"n": len(ms), "p50_ms": pct(ms, 50), "p99_ms": pct(ms, 99),
                      "max_ms": max(ms), "etcd_p50_ms": pct(etcd_ms, 50),
                      "rpc_p50_ms": statistics.median([r[2] for r in rpcs]) if rpcs else 0,
                      "rpc": sorted({r[0] for r in rpcs}) or ["none"],
                      "rpc_bytes_median": statistics.median([r[1] for r in rpcs]) if rpcs else 0})
        self.res["all_changes"] = {"n": len(allms), "p50_ms": pct(allms, 50),
                                   "p99_ms": pct(allms, 99), "max_ms": max(allms)}
        self.res["poller"] = {"polls": self.poller.polls}
        self.res["targets"] = {
            "change_p99_under_100ms": self.res["all_changes"]["p99_ms"] < TARGET_P99_MS,
            "first_convergence_under_10s": self.res["first"]["seconds"] < TARGET_FIRST_S}

    def run(self):
        self.setup()
        rev = self.fill()
        self.local_vnets = self.L.local_vnets()
        self.first_convergence(rev)
        self.res["memory_after_first_mib"] = self.memory()
        self.changes()
        self.burst()
        self.resync()
        self.res["memory_mib"] = self.memory()
        self.summarize()
        return self.res

    def close(self):
        for step in (lambda: self.poller and self.poller.close(),
                     lambda: self.agent and self.agent.stop(),
                     lambda: self.writer and self.writer.close(),
                     lambda: self.vsw_ch and self.vsw_ch.close(),
                     lambda: self.vs and self.vs.stop(),
                     lambda: self.etcd and self.etcd.close()):
            try:
                step()
            except Exception as e:  # cleanup goes on
                print(f"cleanup: {e}", file=sys.stderr)


# ---------------------------------------------------------------- reports
def markdown(res, machine):
    c = res["config"]
    lines = [f"Fleet of {c['hosts']} hosts, {c['vms']} VMs in {c['vnets']} VNets of "
             f"{c['vnet_size']} ({c['tenants']} tenants), {c['tap_sessions']} TAP sessions; "
             f"etcd {c['etcd_members']} members on loopback; one real agent + vswitchd "
             f"(host h0000). {machine}.", "",
             f"- fill: {res['fill']['keys']} keys, {res['fill']['value_bytes'] / 1e6:.1f} MB "
             f"of values, {res['fill']['seconds']:.1f} s",
             f"- first convergence: **{res['first']['seconds']:.2f} s** "
             f"({res['first']['vports']} vports, {res['first']['remote_ports']} remote ports, "
             f"{res['first']['tap_sessions']} TAP sessions; one {res['first']['rpc']} of "
             f"{res['first']['rpc_bytes']} bytes that took {res['first']['rpc_ms']:.0f} ms)",
             f"- resync after kill -9 of the agent: {res['resync']['seconds']:.2f} s", "",
             "| change | n | write → running p50 ms | p99 ms | max ms | etcd write p50 ms | "
             "RPC | RPC p50 ms | RPC bytes (median) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for kind, v in res["changes"].items():
        lines.append(f"| {kind} | {v['n']} | {v['p50_ms']:.1f} | {v['p99_ms']:.1f} | "
                     f"{v['max_ms']:.1f} | {v['etcd_p50_ms']:.1f} | {', '.join(v['rpc'])} | "
                     f"{v['rpc_p50_ms']:.1f} | {v['rpc_bytes_median']:.0f} |")
    a, b = res["all_changes"], res["burst"]
    lines += [f"| all | {a['n']} | {a['p50_ms']:.1f} | **{a['p99_ms']:.1f}** | "
              f"{a['max_ms']:.1f} | | | | |",
              f"| burst of {b['writes']} moves | {b['writes']} | {b['p50_ms']:.1f} | "
              f"{b['p99_ms']:.1f} | {b['max_ms']:.1f} | | {b['rpcs']} RPCs | {b['rpc_p50_ms']:.1f} | |",
              "", f"- burst: {b['writes']} writes in {b['write_seconds']:.2f} s, all running "
              f"{(b['seconds'] - b['write_seconds']) * 1e3:.0f} ms after the last", ""]
    m0, m1 = res["memory_after_first_mib"], res["memory_mib"]
    lines.append(f"- memory (VmRSS / VmHWM, MiB): agent {m0['agent']['VmRSS']:.0f} / "
                 f"{m1['agent']['VmHWM']:.0f}, vswitchd {m0['vswitchd']['VmRSS']:.0f} / "
                 f"{m1['vswitchd']['VmHWM']:.0f} (after first convergence / peak at the end)")
    t = res["targets"]
    lines.append(f"- targets: change p99 < {TARGET_P99_MS:.0f} ms "
                 f"{'met' if t['change_p99_under_100ms'] else 'MISSED'}; first convergence "
                 f"< {TARGET_FIRST_S:.0f} s {'met' if t['first_convergence_under_10s'] else 'MISSED'}")
    return "\n".join(lines) + "\n"


def record(path, report):
    """Puts the report into `path` (doc/benchmarks.md) as the section
    between <!-- begin fleet --> and <!-- end fleet -->, replacing the last
    one; bench/e2e/run.py keeps such sections when it rewrites the file."""
    block = ("<!-- begin fleet -->\n"
             f"## Fleet scale (issue 17), {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC\n\n"
             f"Run: `{' '.join(['bench/fleet/run.py'] + sys.argv[1:])}`. Method: "
             "bench/fleet/run.py's help and doc/fleet.md §7; latencies are from the "
             "harness's etcd write (its Put/Txn call) to the first GetHealth poll that "
             "shows the agent's report of that revision, which it sends after vswitchd "
             "accepted the change.\n\n" + report + "<!-- end fleet -->\n")
    text = open(path).read() if os.path.exists(path) else ""
    m = re.search(r"<!-- begin fleet -->.*?<!-- end fleet -->\n?", text, re.S)
    if m:
        text = text[:m.start()] + block + text[m.end():]
    elif "\n## How the scenarios are set up" in text:
        i = text.index("\n## How the scenarios are set up") + 1
        text = text[:i] + block + "\n" + text[i:]
    else:
        text += "\n" + block
    with open(path, "w") as f:
        f.write(text)


def write_junit(path, res, error):
    import xml.etree.ElementTree as ET
    suite = ET.Element("testsuite", name="bench_fleet_smoke")
    for c in res.get("checks", []):
        case = ET.SubElement(suite, "testcase", classname="bench_fleet", name=c["name"])
        if not c["ok"]:
            ET.SubElement(case, "failure", message=c["detail"][:200])
    if error and all(c["ok"] for c in res.get("checks", [])):  # not a failed check's
        case = ET.SubElement(suite, "testcase", classname="bench_fleet", name="run")
        ET.SubElement(case, "failure", message=error[:200]).text = error
    suite.set("tests", str(len(suite)))
    ET.ElementTree(suite).write(path)


def machine():
    etcd = run(["/usr/bin/etcd", "--version"], check=False).stdout.split("\n")[0]
    return (f"{os.cpu_count()} cores ({cpu_model()}), kernel {os.uname().release}, {etcd}, "
            f"{time.strftime('%Y-%m-%d')}")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.environ.get("VSWITCH_BUILD",
                                                      os.path.join(REPO, "build")))
    ap.add_argument("--smoke", action="store_true",
                    help="50 hosts x 4 VMs, VNets of 10, 10 sessions, 1 etcd member, 5 changes "
                         "per kind; checks, no targets")
    ap.add_argument("--hosts", type=int, default=1000)
    ap.add_argument("--vms-per-host", type=int, default=20)
    ap.add_argument("--vnet-size", type=int, default=50)
    ap.add_argument("--sessions", type=int, default=200)
    ap.add_argument("--tenants", type=int, default=100)
    ap.add_argument("--etcd-members", type=int, default=3)
    ap.add_argument("--changes", type=int, default=200, help="changes per kind")
    ap.add_argument("--local-changes", type=int, default=50, help="VMs added to and removed "
                    "from the real host")
    ap.add_argument("--burst", type=int, default=100)
    ap.add_argument("--poll-ms", type=float, default=1.0, help="GetHealth polling period")
    ap.add_argument("--idle_sleep_us", type=int, default=100,
                    help="vswitchd's idle back-off (its default; a 2-core box)")
    ap.add_argument("--converge-timeout", type=float, default=120)
    ap.add_argument("--json", default=None, help="write the results as JSON")
    ap.add_argument("--out", default=None, help="write the markdown report")
    ap.add_argument("--junit", default=None, help="write a JUnit XML file (CI)")
    ap.add_argument("--record", nargs="?", const=os.path.join(REPO, "doc", "benchmarks.md"),
                    default=None, metavar="FILE", help="put the report into FILE's fleet "
                    "section (default doc/benchmarks.md)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    a = ap.parse_args()
    if a.smoke:
        a.hosts, a.vms_per_host, a.vnet_size, a.sessions, a.tenants = 50, 4, 10, 10, 5
        a.etcd_members, a.changes, a.local_changes, a.burst = 1, 5, 2, 10
    workdir = tempfile.mkdtemp(prefix="vswitch-bench-fleet-")
    b = Bench(a, workdir)
    error = None
    load0 = " ".join(loadavg())
    try:
        res = b.run()
    except Exception as e:
        import traceback
        error = f"{e}\n{traceback.format_exc()}"
        if b.agent is not None and os.path.exists(b.agent.log_path):
            error += f"\n--- agent log\n{b.agent.tail()}"
        res = b.res
    finally:
        b.close()
        if not a.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    if a.junit:
        write_junit(a.junit, res, error)
    if error:
        print(error, file=sys.stderr)
        return 1
    report = markdown(res, f"{machine()}; load average {load0} at the start, "
                           f"{' '.join(loadavg())} at the end")
    print(report)
    if a.out:
        with open(a.out, "w") as f:
            f.write(report)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)
    if a.record:
        record(a.record, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
