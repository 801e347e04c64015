# SPDX-License-Identifier: Apache-2.0
"""Malformed traffic through the running switch (design promise 5: bad
input is counted and changes nothing). Frames made by hand and by scapy's
fuzz() go out of vm1's interface; the project's golden pcaps plus runts
and jumbo frames are replayed by a pcap vport. A TAP session mirrors the
source to the kernel VXLAN collector. Every frame must be either switched
unchanged (L2 needs no valid L3: counted at the receiver) or counted as
dropped with a reason in `show stats`; every switched frame's mirrored copy
arrives at the collector byte-identical (cut to what the uplink MTU
allows); the daemon still answers afterwards and no mbuf leaked."""

import collections
import glob
import os
import random
import struct

from scapy.all import (ARP, Dot1AD, Dot1Q, Ether, ICMP, IP, IPOption_RR, IPv6,
                       IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
                       IPv6ExtHdrRouting, LLC, Raw, SNAP, TCP, UDP, fuzz, rdpcap)

from conftest import (REPO, attach_vm, mempools_in_use, mirror_settled, send_frames, wait_for,
                      wait_mempools_at, wait_neighbor)

MAC1, MAC2 = "02:00:00:00:07:01", "02:00:00:00:07:02"
IP1, IP2 = "10.7.0.1", "10.7.0.2"
VNI = 5000
INNER_MAX = 1500 - 36  # Uplink MTU 1500 minus outer IPv4/UDP/VXLAN.
# The longest frame a TAP vport sends (DPDK-side MTU 1500; the TAP PMD
# takes MTU + 22): longer ones are dropped as `mtu_exceeded`.
TAP_MAX_FRAME = 1522


def multiset(frames):
    return collections.Counter(bytes(f) for f in frames)


def assert_same(expected, got, what):
    e, g = multiset(expected), multiset(got)
    if e != g:
        lines = [f"{what}: expected {sum(e.values())} frames, got {sum(g.values())}"]
        for name, c in (("missing", e - g), ("unexpected", g - e)):
            for f, k in list(c.items())[:8]:
                lines.append(f"  {name} x{k} len {len(f)}: {f[:48].hex()}")
        raise AssertionError("\n".join(lines))


def drops(daemon):
    """Counter of (vport, reason) -> packets dropped, from `show stats`."""
    out = collections.Counter()
    for p in daemon.stats().get("ports", []):
        for x in p.get("drops", []):
            out[(p["name"], x["reason"])] += int(x.get("packets", 0))
    return out


def dropped_since(daemon, before):
    """Drops counted since `before` (a drops() result), zeros left out."""
    now = drops(daemon)
    now.subtract(before)
    return {k: v for k, v in now.items() if v}


def rx_packets(daemon, port):
    return int(daemon.port_stats(port).get("rx_packets", 0))


def wait_count(fn, n, what, timeout=15):
    """Waits until fn() >= n; the error says how far it got."""
    last = [None]

    def reached():
        last[0] = fn()
        return last[0] >= n

    try:
        wait_for(reached, timeout=timeout, what=what)
    except AssertionError as e:
        raise AssertionError(f"{e}: {last[0]} of {n}") from None


def tx_packets(daemon, port):
    return int(daemon.port_stats(port).get("tx_packets", 0))


def check_received(sent, received):
    """Every frame a receiver's kernel saw is one that was sent, unchanged.
    (The receiving kernel itself discards some before a capture sees them,
    e.g. a VLAN tag cut short; the switch's counters account for those.)"""
    extra = multiset(received) - multiset(sent)
    assert not extra, f"frames never sent, or changed: {[f[:32].hex() for f in extra]}"


def check_copies(expected, under):
    """Every copy arrived on the collector's underlay interface (outer
    headers cut off), byte-identical, and nothing else. (Copies once went
    missing here: the capture's own ring overflowed, see Capture.)"""
    assert_same(expected, inner_copies(under), "copies at the collector")


def settle_count(fn, n, timeout=10):
    """Waits (bounded) until fn() >= n, without failing: the assertions
    that follow tell what is missing."""
    try:
        wait_for(lambda: fn() >= n, timeout=timeout)
    except AssertionError:
        pass


def write_pcap(path, frames):
    """Classic pcap (Ethernet), records as given, 0-byte ones included."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for fr in frames:
            f.write(struct.pack("<IIII", 0, 0, len(fr), len(fr)) + fr)


def hand_made(src=MAC1, dst=MAC2):
    """Frames that are wrong or unusual at every layer, all from `src`."""
    e = Ether(src=src, dst=dst)
    ip = IP(src=IP1, dst=IP2)
    good = bytes(e / ip / UDP(sport=1000, dport=2000) / Raw(b"g" * 30))
    out = []

    def patched(i, value, base=good):
        b = bytearray(base)
        b[i:i + len(value)] = value
        out.append(bytes(b))

    patched(14, b"\x42")                # IHL 2 (< 5).
    patched(14, b"\x4f")                # IHL 15: header longer than the frame.
    patched(14, b"\x65")                # Version 6 under EtherType IPv4.
    patched(16, b"\x00\x05")            # Total length below the header.
    patched(16, b"\xff\xff")            # Total length beyond the frame.
    patched(38, b"\x00\x02")            # UDP length below its header.
    patched(38, b"\xff\xff")            # UDP length beyond the frame.
    patched(24, b"\xde\xad")            # Wrong IPv4 checksum.
    out += [
        good[:15], good[:20], good[:33], good[:36],             # Cut in IPv4 / UDP.
        bytes(e / ip / UDP()),                                  # Runt below 60 bytes.
        bytes(e)[:14],                                          # Ethernet header only.
        bytes(e / IP(src=IP1, dst=IP2, options=[IPOption_RR()]) / UDP() / Raw(b"o" * 8)),
        bytes(e / IP(src=IP1, dst=IP2, flags="MF") / UDP() / Raw(b"f" * 40)),
        bytes(e / IP(src=IP1, dst=IP2, frag=100, proto=6) / Raw(b"f" * 40)),
        bytes(e / ip / TCP(dataofs=15, flags="S")),            # TCP header beyond the frame.
        bytes(e / ip / ICMP(type=3, code=4)),
        bytes(e / Dot1Q(vlan=10) / ip / UDP()),
        bytes(e / Dot1AD(vlan=20) / Dot1Q(vlan=10) / ip / UDP()),       # QinQ.
        bytes(e / Dot1Q(vlan=1) / Dot1Q(vlan=2) / Dot1Q(vlan=3) / ip / UDP()),  # Three tags.
        bytes(e / Dot1Q(vlan=4095, prio=7) / Raw(b"\x08")),    # Tag cut after one byte.
        bytes(e / IPv6(src="fd07::1", dst="fd07::2") / UDP()),
        bytes(e / IPv6(src="fd07::1", dst="fd07::2") / IPv6ExtHdrHopByHop() /
              IPv6ExtHdrRouting() / IPv6ExtHdrDestOpt() / IPv6ExtHdrFragment() / UDP()),
        bytes(e / IPv6(src="fd07::1", dst="fd07::2", plen=4000, nh=0) / Raw(b"\x00" * 6)),
        bytes(Ether(src=src, dst="ff:ff:ff:ff:ff:ff") / ARP(psrc=IP1, pdst=IP2, hwsrc=src)),
        bytes(Ether(src=src, dst="ff:ff:ff:ff:ff:ff") / ARP(hwlen=200, plen=2, op=9)),
        bytes(Ether(src=src, dst="ff:ff:ff:ff:ff:ff") / ARP(ptype=0x86dd))[:30],
        bytes(Ether(src=src, dst=dst, type=60) / LLC() / SNAP() / Raw(b"s" * 20)),  # 802.3.
        bytes(Ether(src=src, dst=dst, type=0x88b5) / Raw(b"\x00" * 100)),
        bytes(Ether(src=src, dst=dst, type=0xffff)),
        bytes(Ether(src=src, dst="01:00:5e:00:00:01") / ip / UDP()),  # Multicast dst.
        # Longer than the MTU: within one mbuf, and longer than one (a TAP
        # vport receives it as a chain: RX scatter).
        bytes(e / ip / UDP() / Raw(b"J" * 1900)),
        bytes(e / ip / UDP() / Raw(b"K" * 8900)),
    ]
    return out


def fuzzed(n, src=MAC1, dst=MAC2, seed=7):
    """scapy fuzz(): every unset field random (lengths, IHL, flags, types)."""
    random.seed(seed)
    templates = [
        lambda: Ether(src=src, dst=dst) / fuzz(IP(src=IP1, dst=IP2) / UDP()),
        lambda: Ether(src=src, dst=dst) / fuzz(IP(src=IP1, dst=IP2) / TCP()),
        lambda: Ether(src=src, dst=dst) / Dot1Q(vlan=5) / fuzz(IP() / ICMP()),
        lambda: Ether(src=src, dst=dst) / fuzz(IPv6() / UDP()),
        lambda: Ether(src=src, dst=dst) / fuzz(ARP()),
        lambda: Ether(src=src, dst=dst) / fuzz(Dot1Q() / IP()),
    ]
    return [bytes(templates[i % len(templates)]()) for i in range(n)]


def bad_sources(dst=MAC2):
    """Frames with a source MAC the switch must refuse (multicast, zero)."""
    return [bytes(Ether(src="01:00:5e:00:00:09", dst=dst) / IP(src=IP1, dst=IP2) / UDP()),
            bytes(Ether(src="00:00:00:00:00:00", dst=dst) / Raw(b"z" * 50))]


def tap_world(d, netns_factory, collector, capture):
    """VNet blue: vm1, vm2 (MTU 9000 so frames over 1500 can be sent), the
    uplink and collector, destination col."""
    d.vsctl("add", "vnet", "blue", "tenant", "acme", "vni", "100", "prefix", "10.7.0.0/24")
    vm1 = attach_vm(d, netns_factory("vm1"), "vm1", "blue", IP1, MAC1)
    vm2 = attach_vm(d, netns_factory("vm2"), "vm2", "blue", IP2, MAC2)
    for vm in (vm1, vm2):
        vm.ns.exec("ip", "link", "set", vm.iface, "mtu", "9000")
    # Without addresses the VMs' kernels answer nothing (ARP, TCP resets,
    # ICMP errors): the switch carries exactly the test's frames.
    for vm in (vm1, vm2):
        vm.ns.exec("ip", "addr", "flush", "dev", vm.iface)
    col = collector(d, vni=VNI)
    d.vsctl("add", "destination", "col", "vnet", "blue", "vni", str(VNI), "collector",
            col.hosts[0].ip)
    wait_neighbor(d, col.hosts[0].ip)
    host = col.hosts[0]
    # Copies as they arrive at the collector host (outer headers on), and
    # as its kernel VXLAN device delivers them.
    c_under = capture(host.ns, host.iface, bpf=["udp", "dst", "port", "4789"])
    c_vx = capture(host.ns, "vx0")
    return vm1, vm2, col, c_under, c_vx


def inner_copies(outer_frames):
    return [f[50:] for f in outer_frames]


def test_malformed_frames_switched_or_counted(vswitchd, netns_factory, collector, capture):
    d = vswitchd
    vm1, vm2, col, c_under, c_vx = tap_world(d, netns_factory, collector, capture)
    d.vsctl("add", "tap-session", "t1", "source", "vm1", "destination", "col",
            "direction", "tx")
    pools = mempools_in_use(d)
    c_vm2 = capture(vm2.ns, vm2.iface)
    good = hand_made() + fuzzed(60)
    bad = bad_sources()
    frames = good + bad
    rx0, tx0, drops0 = rx_packets(d, "vm1"), tx_packets(d, "vm2"), drops(d)
    bytes0 = int(d.port_stats("vm1").get("rx_bytes", 0))

    send_frames(vm1, frames)

    wait_count(lambda: rx_packets(d, "vm1") - rx0, len(frames), "vm1's frames at the switch")
    # Each frame is sent to vm2 (the only other port) or counted as dropped.
    settle_count(lambda: tx_packets(d, "vm2") - tx0 + sum(dropped_since(d, drops0).values()),
                 len(frames))
    c = mirror_settled(d)
    settle_count(c_under.count, len(good))
    c_vm2.settle()
    at_vm2 = c_vm2.stop()
    under = c_under.stop()
    at_vx = c_vx.stop()

    # The daemon is alive and answers.
    d.vsctl("show", "health")
    assert rx_packets(d, "vm1") - rx0 == len(frames)
    # Whole, the 8.9 KB one included: none lost in the device (ierrors).
    vm1_stats = d.port_stats("vm1")
    assert int(vm1_stats.get("rx_bytes", 0)) - bytes0 == sum(len(f) for f in frames)
    assert int(vm1_stats.get("rx_errors", 0)) == 0, vm1_stats
    dropped = dropped_since(d, drops0)
    # A bad source MAC is refused and counted; every other frame is
    # switched, whatever its L3, except those longer than vm2's TAP port
    # takes (MTU 1500 + 22), counted there.
    big = sum(len(f) > TAP_MAX_FRAME for f in good)
    assert big >= 1
    assert dropped.pop(("vm1", "bad_src_mac"), 0) == len(bad)
    assert dropped == {("vm2", "mtu_exceeded"): big}, dropped
    assert tx_packets(d, "vm2") - tx0 == len(good) - big
    check_received(good, at_vm2)
    # The switch sent a copy of every frame (cut to the MTU); each copy
    # that reached the collector is byte-identical.
    expected = [f[:INNER_MAX] for f in good]
    s = c[("session", "t1")]
    assert s["sent_packets"] == len(good)
    assert s["truncated"] == sum(len(f) > INNER_MAX for f in good)
    check_copies(expected, under)
    # What the kernel's VXLAN device passes on is unchanged too (it drops
    # some inner frames itself, e.g. IPv4 cut inside its header).
    assert not (multiset(at_vx) - multiset(expected)), "vx0 delivered a frame never sent"
    wait_mempools_at(d, pools)


MAC_PC = "02:00:00:00:07:0c"


def vector_frames():
    """Every frame of the project's golden pcaps (test/vectors), and the
    inner frame of each (outer headers cut off)."""
    out = []
    for path in sorted(glob.glob(os.path.join(REPO, "test", "vectors", "*.pcap"))):
        for p in rdpcap(path):
            out += [bytes(p), bytes(p)[50:]]
    assert len(out) >= 6, "golden pcaps missing"
    return out


def apply_with(d, grpc_stubs, vports=(), sessions=()):
    """ApplyConfig of the running config plus `vports` and `sessions` (one
    snapshot: a new source vport is tapped from its first frame)."""
    import grpc
    pb, pb_grpc = grpc_stubs
    with grpc.insecure_channel(f"unix:{d.socket}") as ch:
        stub = pb_grpc.VSwitchStub(ch)
        cfg = stub.GetConfig(pb.GetConfigRequest(), timeout=10)
        for vp in vports:
            cfg.vports.add().CopyFrom(vp)
        for s in sessions:
            cfg.tap_sessions.add().CopyFrom(s)
        stub.ApplyConfig(pb.ApplyConfigRequest(config=cfg), timeout=30)


def test_pcap_replay_with_runts_and_jumbos(vswitchd, netns_factory, collector, capture,
                                          grpc_stubs, tmp_path):
    d = vswitchd
    vm1, vm2, col, c_under, c_vx = tap_world(d, netns_factory, collector, capture)
    pb, _ = grpc_stubs
    # To vm1, which never sends: its MAC stays unknown, so these are
    # flooded (to vm1 and vm2).
    runts = [b"", b"\x02", bytes(Ether(src=MAC_PC, dst=MAC1))[:13]]
    good = vector_frames() + hand_made(src=MAC_PC, dst=MAC1) + [
        bytes(Ether(src=MAC_PC, dst=MAC1) / IP(src=IP1, dst=IP2) / UDP() / Raw(b"P" * 8950))]
    bad = bad_sources()
    frames = good + runts + bad
    path = str(tmp_path / "replay.pcap")
    write_pcap(path, frames)
    pools = mempools_in_use(d)
    tx1, tx2, drops0 = tx_packets(d, "vm1"), tx_packets(d, "vm2"), drops(d)
    c_vm1 = capture(vm1.ns, vm1.iface)

    # The pcap vport is added with its session in one change: it replays
    # its file once, from the first poll.
    apply_with(d, grpc_stubs,
               vports=[pb.VPort(name="pc", vnet="blue", driver=f"pcap:rx_pcap={path}")],
               sessions=[pb.TapSession(name="t2", sources=["pc"], destinations=["col"],
                                       direction=pb.TAP_DIRECTION_TX)])

    wait_count(lambda: rx_packets(d, "pc"), len(frames), "the pcap vport's frames")
    # Each good frame is flooded to vm1 and vm2 or counted as dropped.
    settle_count(lambda: tx_packets(d, "vm1") - tx1 + tx_packets(d, "vm2") - tx2 +
                 sum(dropped_since(d, drops0).values()), 2 * len(good) + len(runts) + len(bad))
    c = mirror_settled(d)
    settle_count(c_under.count, len(good))
    c_vm1.settle()
    at_vm1 = c_vm1.stop()
    under = c_under.stop()
    at_vx = c_vx.stop()

    d.vsctl("show", "health")
    assert rx_packets(d, "pc") == len(frames)
    dropped = dropped_since(d, drops0)
    assert dropped.pop(("pc", "runt"), 0) == len(runts)
    assert dropped.pop(("pc", "bad_src_mac"), 0) == len(bad)
    big = sum(len(f) > TAP_MAX_FRAME for f in good)
    assert dropped == {("vm1", "mtu_exceeded"): big, ("vm2", "mtu_exceeded"): big}, dropped
    assert tx_packets(d, "vm1") - tx1 == len(good) - big
    assert tx_packets(d, "vm2") - tx2 == len(good) - big
    check_received(good, at_vm1)
    expected = [f[:INNER_MAX] for f in good]
    s = c[("session", "t2")]
    assert s["sent_packets"] == len(good)
    check_copies(expected, under)
    assert not (multiset(at_vx) - multiset(expected)), "vx0 delivered a frame never sent"
    # The pcap vport is removed again (its file replayed); nothing leaked.
    d.vsctl("del", "tap-session", "t2")
    d.vsctl("del", "vport", "pc")
    # Its receive ring's mbufs are freed with the port: at most the baseline.
    wait_for(lambda: all(n <= pools[k] for k, n in mempools_in_use(d).items()), timeout=10,
             what=f"mempools at most at their baseline {pools}")


def test_jumbos_in_a_burst_cost_only_themselves(vswitchd, netns_factory, capture, tmp_path):
    """A pcap vport hands the forwarder bursts of 32 that mix frames longer
    than vm2's TAP port takes (DPDK-side MTU 1500: up to 1522 bytes) with
    normal ones, unicast and flooded. The TAP PMD stops a TX burst at the
    first frame over its MTU; the switch drops those before TX, counted as
    `mtu_exceeded` on vm2, and every normal frame of the burst is delivered."""
    d = vswitchd
    d.vsctl("add", "vnet", "blue", "tenant", "acme", "vni", "100", "prefix", "10.7.0.0/24")
    vm2 = attach_vm(d, netns_factory("vm2"), "vm2", "blue", IP2, MAC2)
    vm2.ns.exec("ip", "link", "set", vm2.iface, "mtu", "9000")
    vm2.ns.exec("ip", "addr", "flush", "dev", vm2.iface)
    d.vsctl("add", "fdb", "blue", MAC2, "vm2")
    frames, normal, jumbo = [], [], []
    for i in range(96):
        dst = MAC2 if i % 3 else "ff:ff:ff:ff:ff:ff"
        e = Ether(src=MAC_PC, dst=dst) / IP(src=IP1, dst=IP2) / UDP(sport=1000 + i, dport=2000)
        if i % 4 == 1:
            # 1523 bytes (one over), 1.9 KB (one mbuf) and 8 KB (a chain).
            size = (1523 - 42, 1900, 8000)[i % 3]
            f = bytes(e / Raw(b"J" * size))
            jumbo.append(f)
        else:
            f = bytes(e / Raw(b"n" * (18 + i)))
            normal.append(f)
        frames.append(f)
    # Exactly as long as the port takes: delivered.
    edge = bytes(Ether(src=MAC_PC, dst=MAC2) / IP(src=IP1, dst=IP2) / UDP() / Raw(b"E" * 1480))
    assert len(edge) == TAP_MAX_FRAME
    frames.append(edge)
    normal.append(edge)
    path = str(tmp_path / "bursts.pcap")
    write_pcap(path, frames)
    pools = mempools_in_use(d)
    c_vm2 = capture(vm2.ns, vm2.iface)
    drops0 = drops(d)

    d.vsctl("add", "vport", "pc", "vnet", "blue", "driver", f"pcap:rx_pcap={path}")

    wait_count(lambda: rx_packets(d, "pc"), len(frames), "the pcap vport's frames")
    settle_count(lambda: tx_packets(d, "vm2") + sum(dropped_since(d, drops0).values()),
                 len(frames))
    settle_count(c_vm2.count, len(normal))
    c_vm2.settle()
    at_vm2 = c_vm2.stop()
    assert dropped_since(d, drops0) == {("vm2", "mtu_exceeded"): len(jumbo)}
    assert tx_packets(d, "vm2") == len(normal)
    assert_same(normal, at_vm2, "frames at vm2")
    d.vsctl("del", "vport", "pc")
    wait_for(lambda: all(n <= pools[k] for k, n in mempools_in_use(d).items()), timeout=10,
             what=f"mempools at most at their baseline {pools}")
