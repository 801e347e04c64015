# SPDX-License-Identifier: Apache-2.0
"""Real-world captures through a TAP that mirrors everything: every pcap
and pcapng file that Debian's packages ship as test or example data
(scripts/install-deps.sh installs them: gopacket's pcapng test suite in
both byte orders, with several interfaces, link types, comments, cut
packets; pcapfix's damaged captures; dpkt's HTTP, DNS and truncated ones)
is replayed on a `pcap` vport into a VNet whose other vport (the VM, a
net_pcap writer) a session taps (rx) to a pcapng file and to a VXLAN
collector (the kernel's VXLAN device in a namespace). Then frames derived
from the corpus: cut at every layer, tagged, padded to jumbo size, carried
in 80,116-byte BIG TCP frames.

For every file: vswitchd survives, every frame received is delivered or
dropped with a reason (received = delivered + dropped), and each
destination sent as many copies as the tapped vport was delivered. At the
end tshark reads the pcapng file and the collector's capture without an
error, with as many packets as were delivered.

How a file is replayed: a file libpcap opens is replayed as it is (net_pcap
reads it with libpcap and takes every link type's bytes for Ethernet: what
libpcap reads of it, past a damaged block or an interface it refuses, is
what must arrive). A file with packets of other link types is also
replayed converted to Ethernet (BSD loopback, raw IP, Linux cooked capture:
the IP version or protocol gives the EtherType); packets of a link type
with no Ethernet equivalent are left out of it, and how many is printed. A
file libpcap does not open must be refused by `add vport` with an error
naming the device, and change nothing."""

import collections
import ctypes
import ctypes.util
import glob
import os
import shutil
import struct

import pytest

from conftest import (COLLECTOR_MAC, Capture, Daemon, Netns, mirror_counters, port_counters,
                      run, tshark_packets, unique, wait_for, wait_neighbor, write_pcap_file)

# Debian packages whose data files are the corpus (scripts/install-deps.sh).
CORPUS_GLOBS = {
    "golang-github-google-gopacket-dev": "/usr/share/gocode/src/github.com/google/gopacket/**/*",
    "pcapfix": "/usr/share/doc/pcapfix/examples/*",
    "python3-dpkt": "/usr/share/doc/python3-dpkt/examples/data/*",
}
CAPTURE_EXT = (".pcap", ".pcapng", ".cap", ".pcap.gz", ".pcapng.gz")
SRC_MAC = "02:00:00:00:0c:01"  # Source of converted frames (they had no Ethernet header).
DST_MAC = "02:00:00:00:0c:02"
VNI = 5000
COLLECTOR_IP = "192.0.2.2"
INNER_MAX = 1500 - 36
PCAP_TX_SNAPLEN = 16128  # net_pcap's tx_pcap writes at most this much of a frame.


def corpus_files():
    out = []
    for pkg, pattern in CORPUS_GLOBS.items():
        for path in sorted(glob.glob(pattern, recursive=True)):
            if os.path.isfile(path) and path.endswith(CAPTURE_EXT):
                out.append((pkg, path))
    return out


class _PcapPkthdr(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_usec", ctypes.c_long),
                ("caplen", ctypes.c_uint32), ("len", ctypes.c_uint32)]


_libpcap = ctypes.CDLL(ctypes.util.find_library("pcap") or "libpcap.so.0.8")
_libpcap.pcap_open_offline.restype = ctypes.c_void_p
_libpcap.pcap_open_offline.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
_libpcap.pcap_next_ex.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.POINTER(_PcapPkthdr)),
                                  ctypes.POINTER(ctypes.POINTER(ctypes.c_ubyte))]
_libpcap.pcap_close.argtypes = [ctypes.c_void_p]


def libpcap_frames(path):
    """What libpcap reads of `path`, with the calls net_pcap makes
    (pcap_open_offline, pcap_next_ex until the end, past errors); net_pcap
    takes every link type's bytes for Ethernet. None when libpcap cannot
    open it."""
    err = ctypes.create_string_buffer(256)
    p = _libpcap.pcap_open_offline(path.encode(), err)
    if not p:
        return None
    hdr = ctypes.POINTER(_PcapPkthdr)()
    data = ctypes.POINTER(ctypes.c_ubyte)()
    out = []
    try:
        # net_pcap ends a burst at an error and calls again at the next poll,
        # and libpcap goes on after a bad block: so does this, until the end.
        for _ in range(100000):
            rc = _libpcap.pcap_next_ex(p, ctypes.byref(hdr), ctypes.byref(data))
            if rc == 1:
                out.append(ctypes.string_at(data, hdr.contents.caplen))
            elif rc != -1:
                break
    finally:
        _libpcap.pcap_close(p)
    return out


def _eth(ether_type, payload):
    return (bytes.fromhex(DST_MAC.replace(":", "")) + bytes.fromhex(SRC_MAC.replace(":", "")) +
            struct.pack("!H", ether_type) + payload)


def _ip_type(payload):
    v = payload[0] >> 4 if payload else 0
    return 0x0800 if v == 4 else 0x86DD if v == 6 else None


def to_ethernet(linktype, raw):
    """The frame as Ethernet, or None for a link type without one."""
    if linktype == 1:
        return raw
    if linktype in (0, 108) and len(raw) >= 4:  # BSD loopback: host / network order family.
        fam = struct.unpack("<I" if linktype == 0 else "!I", raw[:4])[0]
        et = 0x0800 if fam == 2 else 0x86DD if fam in (10, 24, 28, 30) else None
        return _eth(et, raw[4:]) if et else None
    if linktype in (12, 14, 101, 228, 229):  # Raw IP.
        et = _ip_type(raw) if linktype in (12, 14, 101) else (0x0800 if linktype == 228 else
                                                              0x86DD)
        return _eth(et, raw) if et else None
    if linktype == 113 and len(raw) >= 16:  # Linux cooked (SLL).
        return _eth(struct.unpack_from("!H", raw, 14)[0], raw[16:])
    if linktype == 276 and len(raw) >= 20:  # Linux cooked v2.
        return _eth(struct.unpack_from("!H", raw, 0)[0], raw[20:])
    return None


def scapy_frames(path):
    """[(linktype, raw bytes)] of every packet scapy reads, or None if it
    cannot read the file."""
    from scapy.utils import RawPcapNgReader, RawPcapReader
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
        reader = RawPcapNgReader if magic == b"\x0a\x0d\x0d\x0a" else RawPcapReader
        out = []
        r = reader(path)
        try:
            for data, meta in r:
                # pcapng: the packet's interface's; pcap: the file's.
                out.append((getattr(meta, "linktype", None) or r.linktype, bytes(data)))
        finally:
            r.close()
        return out
    except Exception:  # noqa: BLE001 — any reader failure means "cannot read".
        return None


def derived_frames(frames):
    """Malformed and oversized frames made from real ones: each cut inside
    every header, VLAN-tagged twice, padded to a 9000-byte jumbo, and a few
    carried whole in 80,116-byte BIG TCP/GENEVE frames (a lying chain when
    net_pcap reads it)."""
    out = []
    for i, f in enumerate(frames[:150]):
        for cut in (0, 1, 13, 14, 15, 20, 34, 38, 41):
            if cut < len(f):
                out.append(f[:cut])
        if len(f) >= 14:
            out.append(f[:12] + b"\x81\x00\x00\x0a\x88\xa8\x00\x14" + f[12:])
            out.append(f + bytes(9000 - len(f)) if len(f) < 9000 else f)
        if i % 25 == 0 and len(f) >= 14:
            head = _eth(0x0800, bytes.fromhex("4500000000000000401100000a0c00010a0c0002") +
                        struct.pack("!HHHH", 49152, 6081, 0, 0) + b"\x00\x00\x65\x58\x00\x00\x01\x00")
            body = f * (80116 // len(f) + 1)
            out.append((head + body)[:80116])
    return out


class World:
    """One daemon for the whole corpus: VNet blue, the tapped VM vport `vm`
    (net_pcap writing to vm_out.pcap), destinations `cap` (pcapng) and `col`
    (VXLAN to a kernel VXLAN device), session `all` (rx on vm, both
    destinations), a capture on the collector's interface."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.cap_dir = os.path.join(tmp, "captures")
        os.makedirs(os.path.join(tmp, "vsd"))
        self.d = Daemon(os.path.join(tmp, "vsd"), [f"--capture_dir={self.cap_dir}"])
        self.ns = None
        self.cap = None
        self.delivered = 0
        self.notes = []

    def start(self):
        d = self.d.start()
        self.ns = Netns(unique("col"))
        self.ns.exec("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
        self.ns.exec("sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1")
        up_if = unique("up")
        d.vsctl("add", "uplink", "up0", "driver", f"tap:iface={up_if}", "ip", "192.0.2.10/24")
        wait_for(lambda: os.path.exists(f"/sys/class/net/{up_if}"), what=f"{up_if} to appear")
        run(["ip", "link", "set", up_if, "netns", self.ns.name])
        self.ns.exec("ip", "link", "set", up_if, "address", COLLECTOR_MAC)
        self.ns.exec("ip", "addr", "add", f"{COLLECTOR_IP}/24", "dev", up_if)
        self.ns.exec("ip", "link", "set", up_if, "up")
        self.ns.exec("ip", "link", "add", "vx0", "type", "vxlan", "id", str(VNI), "dstport",
                     "4789", "local", COLLECTOR_IP, "dev", up_if, "nolearning")
        self.ns.exec("ip", "link", "set", "vx0", "up")
        d.vsctl("add", "vnet", "blue", "tenant", "acme", "vni", "100")
        self.out = os.path.join(self.tmp, "vm_out.pcap")
        d.vsctl("add", "vport", "vm", "vnet", "blue", "driver", f"pcap:tx_pcap={self.out}")
        d.vsctl("add", "destination", "cap", "vnet", "blue", "pcapng", "all.pcapng")
        d.vsctl("add", "destination", "col", "vnet", "blue", "vni", str(VNI), "collector",
                COLLECTOR_IP)
        wait_neighbor(d, COLLECTOR_IP)
        d.vsctl("add", "tap-session", "all", "source", "vm", "direction", "rx", "destination",
                "cap", "destination", "col")
        self.cap = Capture(self.ns, up_if, os.path.join(self.tmp, "under.pcap"),
                           ["udp", "dst", "port", "4789"]).start()
        return self

    def alive(self):
        return self.d.proc.poll() is None

    def stop(self):
        if self.cap is not None:
            try:
                self.cap.stop()
            except AssertionError as e:
                print(f"collector capture: {e}")
        rc = self.d.stop()
        if rc not in (0, None):
            print(f"vswitchd exited {rc}; log:\n{self.d.read_log()[-5000:]}")
        shutil.rmtree(f"/var/run/dpdk/{self.d.prefix}", ignore_errors=True)
        if self.ns is not None:
            self.ns.delete()

    def replay(self, frames, path=None):
        """Replays `path` (or `frames`, written to a pcap file) on a new pcap
        vport `src`; checks the accounting once it settled; removes `src`."""
        d = self.d
        if path is None:
            path = os.path.join(self.tmp, "replay.pcap")
            write_pcap_file(path, frames)
        before = port_counters(d)
        m_before = mirror_counters(d)
        vm0 = before["vm"]
        d.vsctl("add", "vport", "src", "vnet", "blue", "driver", f"pcap:rx_pcap={path}")
        n = len(frames)

        def settled():
            if not self.alive():
                raise AssertionError(f"vswitchd died ({self.d.proc.returncode}):\n"
                                     f"{self.d.read_log()[-3000:]}")
            c = port_counters(d)
            src, vm = c["src"], c["vm"]
            dropped = sum(src["drops"].values()) + sum(vm["drops"].values()) - sum(
                vm0["drops"].values())
            return src["rx"] == n and vm["tx"] - vm0["tx"] + dropped == n and c
        try:
            c = wait_for(settled, timeout=20, what="every frame delivered or dropped")
        except AssertionError as e:
            raise AssertionError(f"{e}: {port_counters(d)}") from None
        delivered = c["vm"]["tx"] - vm0["tx"]
        m = wait_for(lambda: self._mirrored(m_before, delivered), timeout=10,
                     what="the copies of every delivered frame")
        d.vsctl("del", "vport", "src")
        self.delivered += delivered
        return c["src"], delivered, m

    def _mirrored(self, before, delivered):
        now = mirror_counters(self.d)
        out = {}
        for dest in ("cap", "col"):
            a, b = now[("destination", dest)], before[("destination", dest)]
            diff = {k: a[k] - b[k] for k in a}
            if diff["sent_packets"] + diff["tx_dropped"] + diff["ring_full"] + \
                    diff["clone_failed"] + diff["no_next_hop"] < delivered:
                return None
            out[dest] = diff
        return out


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = World(str(tmp_path_factory.mktemp("corpus")))
    try:
        yield w.start()
    finally:
        w.stop()


def check_accounting(src, delivered, n, mirrored):
    reasons = set(src["drops"])
    known = {"runt", "bad_src_mac", "same_port", "no_output_port", "bad_chain",
             "mtu_exceeded", "tx_full"}
    assert reasons <= known, f"drops without a known reason: {src['drops']}"
    assert delivered + sum(src["drops"].values()) <= n
    for dest, diff in mirrored.items():
        # mirrored = delivered on the tapped port, every copy sent.
        assert diff["matched"] == delivered and diff["sent_packets"] == delivered, (dest, diff)


FILES = corpus_files()


@pytest.mark.parametrize("pkg,path", FILES or [("missing", "")],
                         ids=[os.path.relpath(p, "/usr/share") for _, p in FILES] or ["missing"])
def test_replay_capture_file(world, pkg, path):
    assert FILES, f"no corpus: install {', '.join(CORPUS_GLOBS)} (scripts/install-deps.sh)"
    raw = libpcap_frames(path)
    if raw is None:
        # libpcap does not open it: `add vport` refuses it and nothing changes.
        before = world.d.vsctl("show", "vports", json_out=True)
        res = world.d.vsctl("add", "vport", "src", "vnet", "blue", "driver",
                            f"pcap:rx_pcap={path}", check=False)
        assert res.returncode == 1 and "creating device" in res.stderr, res.stderr
        assert world.d.vsctl("show", "vports", json_out=True) == before
        world.d.vsctl("show", "health")
    else:
        src, delivered, m = world.replay(raw, path=path)
        check_accounting(src, delivered, len(raw), m)
    packets = scapy_frames(path)
    if packets is not None and any(lt != 1 for lt, _ in packets):
        converted = [to_ethernet(lt, b) for lt, b in packets]
        left_out = sum(f is None for f in converted)
        converted = [f for f in converted if f is not None]
        if left_out:
            world.notes.append(f"{path}: {left_out} packets of a link type without Ethernet "
                               f"left out of the converted replay")
            print(world.notes[-1])
        if converted:
            src, delivered, m = world.replay(converted)
            check_accounting(src, delivered, len(converted), m)
    assert world.alive()


def test_replay_frames_derived_from_the_corpus(world):
    real = []
    for _, path in FILES:
        real += libpcap_frames(path) or []
    assert real, "no corpus frames"
    frames = derived_frames(real)
    for i in range(0, len(frames), 400):
        part = frames[i:i + 400]
        src, delivered, m = world.replay(part)
        check_accounting(src, delivered, len(part), m)
    assert world.alive()


def test_mirrors_of_the_whole_corpus_are_readable(world):
    """Last: tshark reads both mirrors, one copy per delivered frame."""
    d = world.d
    wait_for(lambda: world.cap.count() >= world.delivered, timeout=15,
             what=f"{world.delivered} copies at the collector")
    world.cap.settle()
    world.cap.stop()
    under = world.cap.path
    world.cap = None
    d.vsctl("del", "tap-session", "all")
    d.vsctl("del", "destination", "cap")  # Closes the file.
    d.vsctl("del", "vport", "vm")
    got = tshark_packets(os.path.join(world.cap_dir, "all.pcapng"))
    assert len(got) == world.delivered
    for ln, cap_len, data in got:
        assert cap_len == len(data) <= ln
    sent = tshark_packets(world.out)
    assert collections.Counter(data for _, _, data in sent) == \
        collections.Counter(data[:PCAP_TX_SNAPLEN] for _, _, data in got)
    copies = tshark_packets(under)
    assert len(copies) == world.delivered
    assert collections.Counter(data[50:] for _, _, data in copies) == \
        collections.Counter(data[:INNER_MAX] for _, _, data in got)
    if world.notes:
        print("\n".join(world.notes))
