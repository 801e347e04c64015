# SPDX-License-Identifier: Apache-2.0
"""The systems under test, each started fresh per repetition and stopped
after: vswitchd, dpdk-testpmd and Open vSwitch with DPDK (in a network
namespace of its own). All rates come from one reader: the ethdev counters
over the DPDK telemetry socket of the process."""

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(cmd, check=True, timeout=60, **kw):
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and res.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({res.returncode}): {res.stdout}{res.stderr}")
    return res


def grpc_stubs(cache):
    """Python stubs of vswitch.proto (Debian's protoc and grpc_python_plugin;
    there is no grpc_tools module), cached per schema version."""
    proto = os.path.join(REPO, "vswitch", "api", "vswitch.proto")
    with open(proto, "rb") as f:
        out = os.path.join(cache, "pystubs-" + hashlib.sha1(f.read()).hexdigest()[:12])
    if not os.path.exists(os.path.join(out, "vswitch", "api", "vswitch_pb2_grpc.py")):
        os.makedirs(out, exist_ok=True)
        run(["protoc", f"--proto_path={REPO}", f"--python_out={out}", f"--grpc_out={out}",
             "--plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin", proto])
    sys.path.insert(0, out)
    from vswitch.api import vswitch_pb2, vswitch_pb2_grpc  # noqa: E402
    return vswitch_pb2, vswitch_pb2_grpc


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return ""


def loadavg():
    """The 1, 5 and 15 minute load averages, as strings."""
    try:
        with open("/proc/loadavg") as f:
            return f.read().split()[:3]
    except OSError:
        return []


def wait_for(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise RuntimeError(f"timed out after {timeout}s waiting for {what}")


class Telemetry:
    """DPDK telemetry v2 client (SOCK_SEQPACKET, JSON replies)."""

    def __init__(self, prefix):
        self.path = f"/var/run/dpdk/{prefix}/dpdk_telemetry.v2"
        self.sock = None

    def connect(self, timeout=30):
        def try_connect():
            if not os.path.exists(self.path):
                return False
            s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            try:
                s.connect(self.path)
            except OSError:
                s.close()
                return False
            s.recv(4096)  # the greeting (version, pid, max_output_len)
            self.sock = s
            return True

        wait_for(try_connect, timeout, f"telemetry socket {self.path}")
        return self

    def query(self, cmd):
        self.sock.send(cmd.encode())
        data = self.sock.recv(1 << 16)
        return json.loads(data.decode())[cmd.split(",")[0]]

    def port_stats(self, port):
        return self.query(f"/ethdev/stats,{port}")

    def port_ids(self):
        """{device name: port id} of every ethdev."""
        out = {}
        for pid in self.query("/ethdev/list") or []:
            info = self.query(f"/ethdev/info,{pid}")
            out[info["name"]] = pid
        return out

    def close(self):
        if self.sock:
            self.sock.close()
            self.sock = None


def stop_proc(proc, timeout=20, sig=signal.SIGTERM):
    """Sends `sig`; kills the process group if it has not exited in
    `timeout` s."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


class _DpdkApp:
    """A DPDK process of the harness (vswitchd, testpmd): its telemetry
    reader, its process, its log and its EAL runtime directory."""

    def stop(self):
        if self.tel:
            self.tel.close()
        stop_proc(self.proc)
        if self.proc is not None:
            self.log.close()
        shutil.rmtree(f"/var/run/dpdk/{self.prefix}", ignore_errors=True)


class Vswitchd(_DpdkApp):
    def __init__(self, build, workdir, tag, flags=()):
        self.vswitchd = os.path.join(build, "apps", "vswitchd", "vswitchd")
        self.vsctl_bin = os.path.join(build, "apps", "vsctl", "vsctl")
        self.workdir = workdir
        self.socket = os.path.join(workdir, f"{tag}.sock")
        self.prefix = f"vsbench_{tag}"
        self.log_path = os.path.join(workdir, f"{tag}.log")
        self.flags = [f"--socket={self.socket}", f"--file_prefix={self.prefix}",
                      "--idle_sleep_us=0", "--config="] + list(flags)
        self.proc = None
        self.tel = None

    def start(self):
        self.log = open(self.log_path, "w")
        # Same session as the harness (so the same autogroup): started in a
        # session of its own, a busy lcore on CPU 0 starved every harness
        # process (vsctl, gdb) of that CPU for minutes (kernel 6.18, EEVDF
        # with sched_autogroup_enabled=1); its own process group still lets
        # stop_proc kill it whole.
        self.proc = subprocess.Popen([self.vswitchd] + self.flags, stdout=self.log,
                                     stderr=subprocess.STDOUT, process_group=0)
        # EAL's start with a few GB of --no-huge memory (1M flows) takes
        # minutes on a busy host.
        wait_for(lambda: self.proc.poll() is not None or (
            os.path.exists(self.socket) and
            self.vsctl("show", "health", check=False).returncode == 0), 300, "vswitchd")
        if self.proc.poll() is not None:
            raise RuntimeError(f"vswitchd exited {self.proc.returncode}: {self.read_log()}")
        self.tel = Telemetry(self.prefix).connect()
        return self

    def vsctl(self, *args, check=True, json_out=False):
        cmd = [self.vsctl_bin, "--socket", self.socket] + (["--json"] if json_out else []) + \
            list(args)
        try:
            res = run(cmd, check=check)
        except subprocess.TimeoutExpired:
            self.dump_threads(f"vsctl {' '.join(args)} timed out")
            raise
        return json.loads(res.stdout) if json_out and res.returncode == 0 else res

    def dump_threads(self, why):
        """Prints every vswitchd thread's stack (gdb) to stderr: a hung RPC in a
        benchmark is otherwise gone with its process."""
        if self.proc is None or self.proc.poll() is not None or shutil.which("gdb") is None:
            return
        try:
            bt = run(["gdb", "-p", str(self.proc.pid), "-batch", "-ex", "thread apply all bt 12"],
                     check=False, timeout=120).stdout
        except subprocess.TimeoutExpired:
            bt = "(gdb timed out)"
        print(f"--- {why}: vswitchd {self.proc.pid} threads ---\n{bt}", file=sys.stderr)

    def script(self, lines):
        path = os.path.join(self.workdir, "setup.vsctl")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        run([self.vsctl_bin, "--socket", self.socket, "-f", path], timeout=300)

    def port_of(self, vport):
        for v in self.vsctl("show", "vports", json_out=True).get("vports", []):
            if v["name"] == vport:
                return int(v.get("port_id", 0))
        raise RuntimeError(f"no vport {vport}")

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()[-3000:]



class Testpmd(_DpdkApp):
    """dpdk-testpmd as perf.md runs it: port 0 = the pcap source, port 1 =
    net_null sink, one forwarding core on CPU 1."""

    def __init__(self, workdir, tag, pcap, mode, mbufs):
        self.prefix = f"vsbench_{tag}"
        self.log_path = os.path.join(workdir, f"{tag}.log")
        mem = "1024" if mbufs <= 65536 else str(mbufs * 4 // 1000 + 1024)
        self.cmd = ["dpdk-testpmd", "--no-huge", "-m", mem,
                    "--no-pci", "-l", "0-1", "--main-lcore", "0", f"--file-prefix={self.prefix}",
                    f"--vdev=net_pcap0,rx_pcap={pcap},infinite_rx=1",
                    "--vdev=net_null0,no-rx=1", "--", "--nb-cores=1",
                    f"--forward-mode={mode}", f"--total-num-mbufs={mbufs}", "--auto-start",
                    "--stats-period=0"]
        self.proc = None
        self.tel = None

    def start(self):
        self.log = open(self.log_path, "w")
        # Without -i testpmd forwards until its stdin closes or it gets a signal.
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=self.log,
                                     stderr=subprocess.STDOUT, process_group=0)
        # Loading a 1M-frame pcap into mbufs takes minutes on a busy host.
        self.tel = Telemetry(self.prefix).connect(timeout=300)
        wait_for(lambda: self.proc.poll() is not None or
                 (self.tel.port_stats(0) or {}).get("ipackets", 0) > 0, 300,
                 "testpmd to forward")
        if self.proc.poll() is not None:
            raise RuntimeError(f"testpmd exited {self.proc.returncode}")
        return self



OVS_DPDK = "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"


def ensure_ovs():
    """Installs Debian's openvswitch-switch-dpdk when missing (services are
    not started: the harness runs its own daemons)."""
    if os.path.exists(OVS_DPDK):
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run(["apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y",
         "--no-install-recommends", "openvswitch-switch-dpdk"], timeout=1200, env=env)


class Ovs:
    """ovsdb-server + ovs-vswitchd-dpdk in network namespace `ns`, with
    their own run directory and EAL file prefix; everything is torn down
    in stop()."""

    def __init__(self, workdir, tag):
        self.dir = os.path.join(workdir, tag)
        self.ns = f"vsb{tag}"[:15]
        self.prefix = f"vsbench_{tag}"
        self.db_sock = os.path.join(self.dir, "db.sock")
        self.env = dict(os.environ, OVS_RUNDIR=self.dir, OVS_LOGDIR=self.dir, OVS_DBDIR=self.dir,
                        OVS_SYSCONFDIR=self.dir)
        self.tel = None
        self.started = []

    def _ns(self, *cmd, check=True, timeout=60):
        return run(["ip", "netns", "exec", self.ns] + list(cmd), check=check, timeout=timeout,
                   env=self.env)

    def vsctl(self, *args, timeout=60):
        return self._ns("ovs-vsctl", f"--db=unix:{self.db_sock}", "--timeout=50", *args,
                        timeout=timeout)

    def ofctl(self, *args):
        return self._ns("ovs-ofctl", "-O", "OpenFlow13", *args)

    def appctl(self, *args):
        return self._ns("ovs-appctl", "-t", os.path.join(self.dir, "ovs-vswitchd.ctl"), *args)

    def start(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        run(["ip", "netns", "add", self.ns])
        self.started.append("ns")
        self._ns("ip", "link", "set", "lo", "up")
        db = os.path.join(self.dir, "conf.db")
        run(["ovsdb-tool", "create", db, "/usr/share/openvswitch/vswitch.ovsschema"])
        self._ns("ovsdb-server", db, f"--remote=punix:{self.db_sock}",
                 f"--pidfile={self.dir}/ovsdb-server.pid", "--detach",
                 f"--log-file={self.dir}/ovsdb-server.log")
        self.started.append("ovsdb")
        self.vsctl("--no-wait", "init")
        extra = f"--no-huge --legacy-mem -m 2048 --no-pci --file-prefix={self.prefix}"
        self.vsctl("--no-wait", "set", "Open_vSwitch", ".", "other_config:dpdk-init=true",
                   "other_config:dpdk-lcore-mask=0x1", "other_config:pmd-cpu-mask=0x2",
                   f"other_config:dpdk-extra={extra}")
        self._ns(OVS_DPDK, f"unix:{self.db_sock}", f"--pidfile={self.dir}/ovs-vswitchd.pid",
                 "--detach", f"--log-file={self.dir}/ovs-vswitchd.log",
                 f"--unixctl={self.dir}/ovs-vswitchd.ctl", timeout=120)
        self.started.append("vswitchd")
        self.tel = Telemetry(self.prefix).connect(timeout=60)
        return self

    def ports(self):
        return self.tel.port_ids()

    def stop(self):
        if self.tel:
            self.tel.close()
        for what in reversed(self.started):
            if what == "vswitchd":
                _kill_pidfile(os.path.join(self.dir, "ovs-vswitchd.pid"))
            elif what == "ovsdb":
                _kill_pidfile(os.path.join(self.dir, "ovsdb-server.pid"))
            elif what == "ns":
                run(["ip", "netns", "del", self.ns], check=False)
        self.started = []
        shutil.rmtree(f"/var/run/dpdk/{self.prefix}", ignore_errors=True)


def _kill_pidfile(path, timeout=20):
    try:
        with open(path) as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
