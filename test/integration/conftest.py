# SPDX-License-Identifier: Apache-2.0
"""Fixtures for integration tests: the real vswitchd, the real vsctl, network
namespaces as VMs. Everything a test creates is removed in finalizers, also
when the test fails. All addresses live inside namespaces made here."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("VSWITCH_BUILD", os.path.join(REPO, "build"))
VSWITCHD = os.path.join(BUILD, "apps", "vswitchd", "vswitchd")
VSCTL = os.path.join(BUILD, "apps", "vsctl", "vsctl")
PROTO = os.path.join(REPO, "vswitch", "api", "vswitch.proto")

RUN_ID = uuid.uuid4().hex[:4]
_counter = [0]


def unique(tag):
    """A short unique name (interface names are limited to 15 characters)."""
    _counter[0] += 1
    return f"v{RUN_ID}{_counter[0]:02d}{tag}"[:15]


def run(cmd, check=True, timeout=30, **kw):
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and res.returncode != 0:
        raise AssertionError(f"{cmd} failed ({res.returncode}): {res.stdout}{res.stderr}")
    return res


def wait_for(pred, timeout=10.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Daemon:
    """One vswitchd process with its own socket and EAL file prefix."""

    def __init__(self, workdir, extra_flags=()):
        self.workdir = workdir
        self.socket = os.path.join(workdir, "vswitchd.sock")
        self.prefix = unique("eal")
        self.log_path = os.path.join(workdir, "vswitchd.log")
        self.flags = [
            f"--socket={self.socket}",
            f"--file_prefix={self.prefix}",
            "--idle_sleep_us=200",
            "--mbufs=8192",
        ] + list(extra_flags)
        self.proc = None

    def start(self):
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([VSWITCHD] + self.flags, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(lambda: self.proc.poll() is not None or self.ready(), timeout=30,
                 what="vswitchd to serve its socket")
        if self.proc.poll() is not None:
            raise AssertionError(f"vswitchd exited {self.proc.returncode}:\n{self.read_log()}")
        return self

    def ready(self):
        if not os.path.exists(self.socket):
            return False
        return self.vsctl("show", "health", check=False).returncode == 0

    def vsctl(self, *args, check=True, json_out=False, timeout=30):
        cmd = [VSCTL, "--socket", self.socket] + (["--json"] if json_out else []) + list(args)
        res = run(cmd, check=check, timeout=timeout)
        if json_out and res.returncode == 0:
            return json.loads(res.stdout)
        return res

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.log.close()
        return self.proc.returncode

    def read_log(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return ""

    def stats(self):
        return self.vsctl("show", "stats", json_out=True)

    def port_stats(self, name):
        for p in self.stats().get("ports", []):
            if p["name"] == name:
                return p
        raise AssertionError(f"no stats for port {name}")


@pytest.fixture
def vswitchd_factory(tmp_path_factory):
    daemons = []

    def make(*flags):
        d = Daemon(str(tmp_path_factory.mktemp("vsd")), flags)
        daemons.append(d)
        return d.start()

    yield make
    for d in daemons:
        rc = d.stop()
        if rc not in (0, None):
            print(f"vswitchd exited {rc}; log:\n{d.read_log()}", file=sys.stderr)
        # EAL's runtime directory of this prefix.
        shutil.rmtree(f"/var/run/dpdk/{d.prefix}", ignore_errors=True)


@pytest.fixture
def vswitchd(vswitchd_factory):
    return vswitchd_factory()


class Netns:
    """A network namespace standing for a VM."""

    def __init__(self, name):
        self.name = name
        run(["ip", "netns", "add", name])
        self.exec("ip", "link", "set", "lo", "up")

    def exec(self, *cmd, check=True, timeout=30):
        return run(["ip", "netns", "exec", self.name] + list(cmd), check=check, timeout=timeout)

    def popen(self, *cmd, **kw):
        return subprocess.Popen(["ip", "netns", "exec", self.name] + list(cmd), **kw)

    def delete(self):
        run(["ip", "netns", "del", self.name], check=False)


@pytest.fixture
def netns_factory():
    made = []

    def make(tag):
        ns = Netns(unique(tag))
        made.append(ns)
        return ns

    yield make
    for ns in made:
        ns.delete()


class Vm:
    def __init__(self, ns, iface, mac, ip, vport):
        self.ns, self.iface, self.mac, self.ip, self.vport = ns, iface, mac, ip, vport

    def ping(self, ip, count=3, interval=0.2, timeout=10, check=True):
        return self.ns.exec("ping", "-c", str(count), "-i", str(interval), "-W", "1", ip,
                            check=check, timeout=timeout + count * interval + 5)


def attach_vm(daemon, ns, vport, vnet, ip, mac, prefix_len=24, extra=()):
    """Adds a TAP vport for `ns`, moves its kernel interface into the
    namespace and configures it like a VM's NIC."""
    iface = unique("t")
    daemon.vsctl("add", "vport", vport, "vnet", vnet, "driver", f"tap:iface={iface}", *extra)
    wait_for(lambda: os.path.exists(f"/sys/class/net/{iface}"), what=f"{iface} to appear")
    run(["ip", "link", "set", iface, "netns", ns.name])
    ns.exec("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
    ns.exec("sysctl", "-qw", f"net.ipv6.conf.{iface}.disable_ipv6=1", check=False)
    ns.exec("ip", "link", "set", iface, "address", mac)
    ns.exec("ip", "addr", "add", f"{ip}/{prefix_len}", "dev", iface)
    ns.exec("ip", "link", "set", iface, "up")
    return Vm(ns, iface, mac, ip, vport)


@pytest.fixture(scope="session")
def grpc_stubs(tmp_path_factory):
    """Python stubs generated from the proto with Debian's protoc plugin."""
    out = str(tmp_path_factory.mktemp("stubs"))
    run(["protoc", f"--proto_path={REPO}", f"--python_out={out}", f"--grpc_out={out}",
         "--plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin", PROTO])
    sys.path.insert(0, out)
    from vswitch.api import vswitch_pb2, vswitch_pb2_grpc  # noqa: E402
    return vswitch_pb2, vswitch_pb2_grpc


def grpc_channel(daemon):
    import grpc
    return grpc.insecure_channel(f"unix:{daemon.socket}")
