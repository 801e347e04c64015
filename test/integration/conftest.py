# SPDX-License-Identifier: Apache-2.0
"""Fixtures for integration tests: the real vswitchd, the real vsctl, network
namespaces as VMs. Everything a test creates is removed in finalizers, also
when the test fails. All addresses live inside namespaces made here."""

import json
import os
import re
import shutil
import signal
import struct
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

    def __init__(self, workdir, extra_flags=(), netns=None):
        self.workdir = workdir
        # A daemon "host" of its own: it runs inside this network namespace
        # (its ports' kernel interfaces live there); vsctl reaches it through
        # its unix socket, which is on the shared filesystem.
        self.netns = netns
        self.socket = os.path.join(workdir, "vswitchd.sock")
        self.prefix = unique("eal")
        self.log_path = os.path.join(workdir, "vswitchd.log")
        self.flags = [
            f"--socket={self.socket}",
            f"--file_prefix={self.prefix}",
            "--idle_sleep_us=200",
            "--mbufs=8192",
            # Per-daemon persistence: tests never share (or touch the host's) config.
            f"--config={os.path.join(workdir, 'config.textproto')}",
        ] + list(extra_flags)
        self.proc = None

    def start(self):
        self.log = open(self.log_path, "w")
        wrap = ["ip", "netns", "exec", self.netns] if self.netns else []
        self.proc = subprocess.Popen(wrap + [VSWITCHD] + self.flags, stdout=self.log,
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


# ------------------------------------------------------------------ TAP mirroring

class Capture:
    """tcpdump writing every frame of `iface` (inside `ns`, or the root
    namespace when `ns` is None) to a pcap file. start() returns only once
    tcpdump listens; stop() ends it (SIGINT, bounded) and returns the frames'
    bytes in capture order."""

    # No capture outlives this, whatever happens to the test.
    MAX_SECONDS = 300
    BUFFER_KIB = 32768

    def __init__(self, ns, iface, path, bpf=()):
        self.ns, self.iface, self.path, self.bpf = ns, iface, path, list(bpf)
        self.proc = None
        self.err_path = path + ".log"

    def start(self, timeout=10.0):
        # -B: immediate mode makes libpcap use fixed ring slots sized for
        # 64 KiB frames (the interfaces do GSO), so its default 2 MiB ring
        # held only 32 frames and a burst overflowed it (frames lost before
        # the capture, "dropped by kernel"). 32 MiB holds 512.
        cmd = ["timeout", "-s", "INT", "-k", "5", str(self.MAX_SECONDS),
               "tcpdump", "-i", self.iface, "-nn", "-U", "-s", "0", "--immediate-mode",
               "-B", str(self.BUFFER_KIB), "-w", self.path] + self.bpf
        if self.ns is not None:
            cmd = ["ip", "netns", "exec", self.ns.name] + cmd
        self.err = open(self.err_path, "w")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self.err,
                                     start_new_session=True)

        def listening():
            if self.proc.poll() is not None:
                raise AssertionError(f"tcpdump on {self.iface} exited: {self._log()}")
            return "listening on" in self._log()

        wait_for(listening, timeout=timeout, what=f"tcpdump to listen on {self.iface}")
        return self

    def _log(self):
        try:
            with open(self.err_path) as f:
                return f.read()
        except OSError:
            return ""

    def stop(self, timeout=10.0):
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        if self.proc is not None:
            self.err.close()
        # A capture that lost frames would make a count or comparison lie.
        m = re.search(r"(\d+) packets? dropped by kernel", self._log())
        if m and int(m.group(1)) > 0:
            raise AssertionError(f"tcpdump on {self.iface} lost {m.group(1)} frames "
                                 f"(capture buffer): {self._log()}")
        return self.frames()

    def peek(self):
        """The frames written so far, read while tcpdump runs (a record
        still being written is left out)."""
        try:
            with open(self.path, "rb") as f:
                data = f.read()
        except OSError:
            return []
        if len(data) < 24:
            return []
        endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        off, out = 24, []
        while off + 16 <= len(data):
            incl = struct.unpack_from(endian + "I", data, off + 8)[0]
            if off + 16 + incl > len(data):
                break
            out.append(data[off + 16:off + 16 + incl])
            off += 16 + incl
        return out

    def count(self):
        return len(self.peek())

    def settle(self, quiet=0.3, timeout=10.0):
        """Waits until no frame arrived for `quiet` seconds."""
        last = [-1, time.monotonic()]

        def quiet_now():
            n = self.count()
            if n != last[0]:
                last[:] = [n, time.monotonic()]
                return False
            return time.monotonic() - last[1] >= quiet

        wait_for(quiet_now, timeout=timeout, what=f"capture on {self.iface} to go quiet")

    def frames(self):
        from scapy.utils import rdpcap
        if not os.path.exists(self.path) or os.path.getsize(self.path) == 0:
            return []
        return [bytes(p) for p in rdpcap(self.path)]


@pytest.fixture
def capture(tmp_path):
    """capture(ns, iface, bpf=()) -> a listening Capture; every capture still
    running at the end of the test is stopped, also on failure."""
    started = []

    def start(ns, iface, bpf=()):
        name = f"{len(started):02d}-{iface}.pcap"
        c = Capture(ns, iface, str(tmp_path / name), bpf)
        started.append(c)
        return c.start()

    yield start
    for c in started:
        try:
            c.stop()
        except Exception as e:  # noqa: BLE001 — teardown must reach every capture.
            print(f"stopping capture {c.path}: {e}", file=sys.stderr)


COLLECTOR_MAC = "02:00:00:00:c0:02"


class CollectorHost:
    """One collector address: a namespace, the interface holding the address,
    and a kernel VXLAN device that decapsulates what the switch sends."""

    def __init__(self, ns, iface, ip, vxlan):
        self.ns, self.iface, self.ip, self.vxlan = ns, iface, ip, vxlan


class Collector:
    def __init__(self, uplink, uplink_iface, hosts, wire_ns):
        self.uplink, self.uplink_iface, self.hosts, self.wire_ns = (
            uplink, uplink_iface, hosts, wire_ns)

    @property
    def ips(self):
        return [h.ip for h in self.hosts]

    def host(self, ip):
        for h in self.hosts:
            if h.ip == ip:
                return h
        raise KeyError(ip)


def _ns_quiet(ns):
    """No IPv6 (no router solicitations, MLD or DAD on the wire)."""
    ns.exec("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
    ns.exec("sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1")


@pytest.fixture
def collector(netns_factory):
    """collector(daemon, ips=("192.0.2.2",), vni=5000, ...) -> Collector.

    Adds the uplink `up0` (192.0.2.10/24) on a TAP interface and builds the
    packet collector(s) behind it, each with a kernel VXLAN device `vx0`
    (VNI `vni`, `port`; VXLAN-GBP accepted with `gbp`) that decapsulates
    what the switch sends:
      - one address: the uplink's kernel interface is moved into the
        collector namespace and gets the address;
      - several: the uplink's interface is a port of a Linux bridge in a
        "wire" namespace, and each address is a collector namespace of its
        own behind a veth pair on that bridge (the kernel refuses two VXLAN
        devices with the same VNI and port in one namespace).
    Waits until the daemon lists every collector address RESOLVED by ARP when
    `resolve` is set. The namespaces (and every interface in them) are
    deleted by netns_factory's finalizer; veths and VXLAN devices are deleted
    here first."""
    made = []

    def make(daemon, ips=("192.0.2.2",), vni=5000, port=4789, mtu=1500,
             uplink_ip="192.0.2.10/24", resolve=False, gbp=False):
        up_if = unique("up")
        daemon.vsctl("add", "uplink", "up0", "driver", f"tap:iface={up_if}", "ip", uplink_ip,
                     "mtu", str(mtu))
        wait_for(lambda: os.path.exists(f"/sys/class/net/{up_if}"), what=f"{up_if} to appear")
        hosts = []
        wire = None
        if len(ips) == 1:
            ns = netns_factory("col")
            _ns_quiet(ns)
            run(["ip", "link", "set", up_if, "netns", ns.name])
            # The TAP PMD gives the kernel side the DPDK port's MAC; a
            # distinct one tells the next hop from the uplink in outer headers.
            ns.exec("ip", "link", "set", up_if, "address", COLLECTOR_MAC)
            ns.exec("ip", "addr", "add", f"{ips[0]}/24", "dev", up_if)
            ns.exec("ip", "link", "set", up_if, "up")
            hosts.append(CollectorHost(ns, up_if, ips[0], "vx0"))
        else:
            wire = netns_factory("wire")
            _ns_quiet(wire)
            run(["ip", "link", "set", up_if, "netns", wire.name])
            # Else the bridge takes the switch's MAC (the TAP PMD gives the
            # kernel side the same one) for its own and never forwards to it.
            wire.exec("ip", "link", "set", up_if, "address", "02:00:00:00:c0:fe")
            wire.exec("ip", "link", "add", "br0", "type", "bridge", "stp_state", "0",
                      "forward_delay", "0")
            wire.exec("ip", "link", "set", up_if, "master", "br0")
            wire.exec("ip", "link", "set", up_if, "up")
            for i, ip in enumerate(ips):
                ns = netns_factory(f"col{i}")
                _ns_quiet(ns)
                a, b = unique("wa"), unique("wb")
                wire.exec("ip", "link", "add", a, "type", "veth", "peer", "name", b,
                          "netns", ns.name)
                wire.exec("ip", "link", "set", a, "master", "br0")
                wire.exec("ip", "link", "set", a, "up")
                ns.exec("ip", "addr", "add", f"{ip}/24", "dev", b)
                ns.exec("ip", "link", "set", b, "up")
                hosts.append(CollectorHost(ns, b, ip, "vx0"))
            wire.exec("ip", "link", "set", "br0", "up")
        for h in hosts:
            h.ns.exec("ip", "link", "add", h.vxlan, "type", "vxlan", "id", str(vni), "dstport",
                      str(port), "local", h.ip, "dev", h.iface, "nolearning",
                      *(["gbp"] if gbp else []))
            # No GRO: the capture on vx0 sees each decapsulated frame as it came.
            h.ns.exec("ethtool", "-K", h.vxlan, "gro", "off", check=False)
            h.ns.exec("ip", "link", "set", h.vxlan, "up")
        c = Collector("up0", up_if, hosts, wire)
        made.append(c)
        if resolve:
            for ip in ips:
                wait_neighbor(daemon, ip)
        return c

    yield make
    for c in made:
        for h in c.hosts:
            h.ns.exec("ip", "link", "del", h.vxlan, check=False)
            if c.wire_ns is not None:
                h.ns.exec("ip", "link", "del", h.iface, check=False)


def neighbors(daemon):
    return {n["ip"]: n for n in daemon.vsctl("show", "neighbors", json_out=True)
            .get("neighbors", [])}


def wait_neighbor(daemon, ip, state="RESOLVED", timeout=15.0):
    """Waits until the uplink's next hop `ip` is in `state`."""
    return wait_for(lambda: neighbors(daemon).get(ip, {}).get("state") == state,
                    timeout=timeout, what=f"neighbor {ip} to be {state}")


MIRROR_COUNTERS = ("matched", "cloned", "ring_full", "clone_failed", "rate_limited",
                   "no_next_hop", "truncated", "tx_dropped", "sent_packets", "sent_bytes")


def mirror_counters(daemon):
    """{("session"|"destination", name): {counter: int}} from `show stats`."""
    st = daemon.stats()
    out = {}
    for kind, key in (("session", "sessions"), ("destination", "destinations")):
        for s in st.get(key, []):
            c = s.get("counters", {})
            out[(kind, s["name"])] = {k: int(c.get(k, 0)) for k in MIRROR_COUNTERS}
    return out


def mirror_settled(daemon, timeout=10.0):
    """Waits until every copy cloned so far has left the encap worker (sent
    or dropped for a counted reason) and returns the counters.

    Every selected copy ends in exactly one of: sent_packets, no_next_hop,
    rate_limited, tx_dropped, ring_full, clone_failed (clone_failed covers
    both the clone in the forwarding stage and the header mbuf in the encap
    worker). So matched equals their sum once nothing is in flight."""

    def settled():
        c = mirror_counters(daemon)
        for v in c.values():
            if v["matched"] != (v["sent_packets"] + v["no_next_hop"] + v["rate_limited"] +
                                v["tx_dropped"] + v["ring_full"] + v["clone_failed"]):
                return None
        return c

    try:
        return wait_for(settled, timeout=timeout, interval=0.1,
                        what="every mirror copy to be sent or counted as dropped")
    except AssertionError as e:
        raise AssertionError(f"{e}; counters: {mirror_counters(daemon)}") from None


_SENDER = r"""
import socket, struct, sys, time
iface, path, gap = sys.argv[1], sys.argv[2], float(sys.argv[3])
with open(path, "rb") as f:
    data = f.read()
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((iface, 0))
off = n = 0
while off < len(data):
    (length,) = struct.unpack_from("!I", data, off)
    off += 4
    s.send(data[off:off + length])
    off += length
    n += 1
    if gap:
        time.sleep(gap)
print(n)
"""


def send_frames(vm, frames, gap=0.0002, timeout=60):
    """Sends each frame (bytes, e.g. bytes(scapy_packet)) once, in order, out
    of the VM's interface with an AF_PACKET socket; `gap` seconds between
    frames keeps the kernel's queues from overflowing."""
    fd, path = tempfile.mkstemp(prefix="frames-", suffix=".bin")
    try:
        with os.fdopen(fd, "wb") as f:
            for fr in frames:
                f.write(struct.pack("!I", len(fr)) + bytes(fr))
        res = vm.ns.exec("/usr/bin/python3", "-c", _SENDER, vm.iface, path, str(gap),
                         timeout=timeout)
        assert int(res.stdout.strip()) == len(frames), res.stdout + res.stderr
    finally:
        os.unlink(path)


def static_neighbor(vm, other):
    """A permanent ARP entry in `vm` for `other`: the kernel sends no ARP
    for it (no requests, no probes), so captures hold only the test's own
    frames."""
    vm.ns.exec("ip", "neigh", "replace", other.ip, "lladdr", other.mac, "dev", vm.iface,
               "nud", "permanent")


def static_neighbors(a, b):
    """static_neighbor both ways: neither VM sends ARP for the other."""
    static_neighbor(a, b)
    static_neighbor(b, a)


def mempools_in_use(daemon):
    """{mempool name: buffers in use} from `show stats` (packets, clones,
    encap headers)."""
    return {m["name"]: int(m.get("in_use", 0))
            for m in daemon.stats().get("mempools", [])}


def wait_mempools_at(daemon, baseline, timeout=10.0):
    """Waits until every mempool's in-use count is back at `baseline` (taken
    at rest): no mbuf, clone or header leaked."""
    try:
        wait_for(lambda: mempools_in_use(daemon) == baseline, timeout=timeout, interval=0.1,
                 what="mempools back at their baseline")
    except AssertionError as e:
        raise AssertionError(f"{e}: baseline {baseline}, now {mempools_in_use(daemon)}") from None


# ------------------------------------------------------------ capture files

def write_pcap_file(path, frames, snaplen=262144):
    """Classic little-endian pcap (Ethernet), every record whole. The
    default snap length is what tcpdump on Linux writes; libpcap cuts a
    record longer than the header's snap length when reading."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, snaplen, 1))
        for fr in frames:
            f.write(struct.pack("<IIII", 0, 0, len(fr), len(fr)) + bytes(fr))


def tshark_packets(path, timeout=120):
    """[(frame.len, frame.cap_len, bytes)] of every packet of a pcap or
    pcapng file as tshark reads it; fails if tshark reports any error
    (a torn block, a bad length) or exits non-zero."""
    res = run(["tshark", "-r", str(path), "-T", "json", "-x"], check=False, timeout=timeout)
    err = [ln for ln in res.stderr.splitlines()
           if ln.strip() and not ln.startswith('Running as user "root"')]
    assert res.returncode == 0 and not err, \
        f"tshark -r {path}: rc {res.returncode}: {res.stderr[-2000:]}"
    out = []
    for p in json.loads(res.stdout or "[]"):
        layers = p["_source"]["layers"]
        frame = layers["frame"]
        out.append((int(frame["frame.len"]), int(frame["frame.cap_len"]),
                    bytes.fromhex(layers["frame_raw"][0])))
    return out


def port_counters(daemon):
    """{vport name: {"rx": rx_packets, "tx": tx_packets, "drops": {reason: n}}}
    from `vsctl --json show stats`."""
    out = {}
    for p in daemon.stats().get("ports", []):
        out[p["name"]] = {
            "rx": int(p.get("rx_packets", 0)),
            "tx": int(p.get("tx_packets", 0)),
            "drops": {x["reason"]: int(x.get("packets", 0)) for x in p.get("drops", [])
                      if int(x.get("packets", 0))},
        }
    return out


# ------------------------------------------------------------ multi-host overlay

UNDERLAY_PREFIX = "192.0.2"
OVERLAY_VM_MTU = 1450  # uplink MTU 1500 - 50 bytes of VXLAN.


def host_ip(index):
    """The uplink (VTEP) address of host `index` (1, 2, ...): 192.0.2.1x."""
    return f"{UNDERLAY_PREFIX}.{10 + index}"


class Host:
    """One hypervisor: a network namespace holding one vswitchd whose uplink
    `up0` is an af_packet vport on `uplink_if`, a veth whose peer
    `underlay_if` is a port of the underlay bridge."""

    def __init__(self, fabric, index, name, ns, daemon, uplink_if, underlay_if, mac):
        self.fabric, self.index, self.name = fabric, index, name
        self.ns, self.daemon = ns, daemon
        self.uplink_if, self.underlay_if, self.mac = uplink_if, underlay_if, mac
        self.ip = host_ip(index)
        self.vms = []
        self.vnets = set()

    def vsctl(self, *args, **kw):
        return self.daemon.vsctl(*args, **kw)

    def stats(self):
        return self.daemon.stats()

    def port_stats(self, name):
        return self.daemon.port_stats(name)

    def drops(self):
        """{reason: packets} over all ports (the totals of `show stats`)."""
        return {x["reason"]: int(x.get("packets", 0)) for x in self.stats().get("drops", [])}

    def vteps(self):
        """{vtep ip: VtepStats dict} from `show vteps --json`."""
        out = self.vsctl("show", "vteps", json_out=True)
        return {v["ip"]: v for v in out.get("vteps", [])}

    def remote_ports(self, vnet=None):
        out = self.vsctl("show", "remote-ports", *([vnet] if vnet else []), json_out=True)
        return out.get("ports", out.get("remote_ports", []))

    def add_vnet(self, name, tenant, vni, prefix=None, *extra):
        self.vsctl("add", "vnet", name, "tenant", tenant, "vni", str(vni),
                   *(["prefix", prefix] if prefix else []), *extra)
        self.vnets.add(name)

    def add_remote_port(self, vnet, mac, vtep, *ips):
        args = ["add", "remote-port", vnet, mac, "vtep", vtep]
        for ip in ips:
            args += ["ip", ip]
        return self.vsctl(*args)

    def attach_vm(self, vm_ns, vport, vnet, ip, mac, prefix_len=24, mtu=OVERLAY_VM_MTU,
                  security=True, extra=()):
        """attach_vm for a daemon inside a namespace: the TAP vport's kernel
        interface is born in the host's namespace and moved from there into
        the VM's. With `security` the vport is given the VM's MAC and IP
        (port security; the switch also answers ARP for the IP)."""
        iface = unique("t")
        sec = ("mac", mac, "ip", ip) if security else ()
        self.vsctl("add", "vport", vport, "vnet", vnet, "driver", f"tap:iface={iface}", *sec,
                   *extra)
        wait_for(lambda: self.ns.exec("ip", "link", "show", iface, check=False).returncode == 0,
                 what=f"{iface} to appear in {self.ns.name}")
        self.ns.exec("ip", "link", "set", iface, "netns", vm_ns.name)
        _ns_quiet(vm_ns)
        vm_ns.exec("ip", "link", "set", iface, "address", mac)
        vm_ns.exec("ip", "link", "set", iface, "mtu", str(mtu))
        vm_ns.exec("ip", "addr", "add", f"{ip}/{prefix_len}", "dev", iface)
        vm_ns.exec("ip", "link", "set", iface, "up")
        vm = Vm(vm_ns, iface, mac, ip, vport)
        vm.host, vm.vnet = self, vnet
        self.vms.append(vm)
        return vm

    def alive(self):
        return (self.daemon.proc.poll() is None and
                self.vsctl("show", "health", check=False).returncode == 0)


class Fabric:
    """N hosts on one box: an underlay namespace with the Linux bridge br0,
    and per host a namespace with its vswitchd, uplink 192.0.2.1x/24 (MTU
    `mtu`) on a veth to the bridge, and VM namespaces behind its TAP vports.
    close() removes everything (daemons first, then the namespaces), also
    after a failure half-way."""

    def __init__(self, workdir, daemon_flags=()):
        self.workdir = workdir
        self.daemon_flags = list(daemon_flags)
        self.hosts = []
        self.namespaces = []
        self.underlay = self.netns("und")
        _ns_quiet(self.underlay)
        self.underlay.exec("ip", "link", "add", "br0", "type", "bridge", "stp_state", "0",
                           "forward_delay", "0")
        self.underlay.exec("ip", "link", "set", "br0", "up")

    def netns(self, tag):
        ns = Netns(unique(tag))
        self.namespaces.append(ns)
        return ns

    def add_host(self, name=None, mtu=1500, flags=(), uplink="af_packet"):
        """uplink "af_packet": on the veth eth0 of the host's namespace,
        whose peer is on the bridge (the kernel gives an af_packet socket
        only whole datagrams: it reassembles IP fragments first). "tap": a
        TAP device whose kernel side is moved into the underlay namespace
        and bridged (frames reach the switch as they were sent)."""
        index = len(self.hosts) + 1
        name = name or chr(ord("A") + index - 1)
        ns = self.netns(f"h{name}")
        _ns_quiet(ns)
        mac = f"02:00:00:00:0a:{index:02x}"
        und_if = unique(f"u{name}")
        if uplink == "af_packet":
            up_if = "eth0"
            ns.exec("ip", "link", "add", up_if, "address", mac, "mtu", str(mtu), "type", "veth",
                    "peer", "name", und_if, "netns", self.underlay.name)
            ns.exec("ip", "link", "set", up_if, "up")
            driver = f"af_packet:iface={up_if}"
        elif uplink == "tap":
            up_if = und_if
            driver = f"tap:iface={up_if}"
        else:
            raise ValueError(f"uplink {uplink!r}")
        workdir = os.path.join(self.workdir, f"host{name}")
        os.makedirs(workdir, exist_ok=True)
        d = Daemon(workdir, ["--config=", "--mem_mb=256"] + self.daemon_flags + list(flags),
                   netns=ns.name)
        h = Host(self, index, name, ns, d, up_if, und_if, mac)
        self.hosts.append(h)
        d.start()
        h.vsctl("add", "uplink", "up0", "driver", driver, "ip", f"{h.ip}/24", "mtu", str(mtu))
        if uplink == "tap":
            wait_for(lambda: ns.exec("ip", "link", "show", up_if, check=False).returncode == 0,
                     what=f"{up_if} to appear in {ns.name}")
            ns.exec("ip", "link", "set", up_if, "netns", self.underlay.name)
            # The TAP PMD gives the kernel side the port's own MAC: the
            # bridge would take it for its own and never forward to it.
            self.underlay.exec("ip", "link", "set", und_if, "address",
                               f"02:00:00:00:0b:{index:02x}")
            h.mac = next(v["mac"] for v in h.vsctl("show", "vports", json_out=True)["vports"]
                         if v["name"] == "up0")
        self.underlay.exec("ip", "link", "set", und_if, "mtu", str(mtu))
        self.underlay.exec("ip", "link", "set", und_if, "master", "br0")
        self.underlay.exec("ip", "link", "set", und_if, "up")
        return h

    def vm_ns(self, tag):
        return self.netns(tag)

    def close(self):
        for h in self.hosts:
            rc = h.daemon.stop()
            if rc not in (0, None):
                print(f"vswitchd of host {h.name} exited {rc}; log:\n{h.daemon.read_log()}",
                      file=sys.stderr)
            shutil.rmtree(f"/var/run/dpdk/{h.daemon.prefix}", ignore_errors=True)
        # VMs and hosts first: their veths' peers are in the underlay.
        for ns in reversed(self.namespaces):
            ns.delete()


def program_overlay(vms):
    """Programs every host of `vms` with every VM of another host as a
    remote port (the VM's VNet, MAC and IP, the other host's uplink IP),
    where the host has that VNet (add_vnet)."""
    for h in {vm.host for vm in vms}:
        for vm in vms:
            if vm.host is not h and vm.vnet in h.vnets:
                h.add_remote_port(vm.vnet, vm.mac, vm.host.ip, vm.ip)


@pytest.fixture
def multihost(tmp_path_factory):
    """multihost(n, mtu=1500, flags=(), uplinks=()) -> Fabric with hosts A,
    B, ... up, each with its uplink (uplinks[i]: "af_packet", the default,
    or "tap"); torn down at the end of the test."""
    fabrics = []

    def make(n=2, mtu=1500, flags=(), uplinks=()):
        f = Fabric(str(tmp_path_factory.mktemp("fabric")))
        fabrics.append(f)
        for i in range(n):
            f.add_host(mtu=mtu, flags=flags,
                       uplink=uplinks[i] if i < len(uplinks) else "af_packet")
        return f

    yield make
    for f in fabrics:
        f.close()
