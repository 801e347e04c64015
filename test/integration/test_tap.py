# SPDX-License-Identifier: Apache-2.0
"""TAP mirroring through the real daemon: VMs are namespaces on TAP vports,
the collector is a namespace behind the uplink with a Linux kernel VXLAN
device that decapsulates what the switch sends. Captures inside the VM and
on the collector's VXLAN device are compared byte for byte (design promise
2); the primary path loses nothing while mirroring is slow, blocked or being
reconfigured (promises 1 and 4); TAP across tenants or unpeered VNets is
refused (promise 3)."""

import collections

import pytest
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.l2 import ARP, Ether
from scapy.packet import Raw

from conftest import (COLLECTOR_MAC, MIRROR_COUNTERS, attach_vm, mempools_in_use,
                      mirror_counters, mirror_settled, run, send_frames, static_neighbor,
                      static_neighbors, wait_for, wait_mempools_at, wait_neighbor)

MAC1, MAC2 = "02:00:00:00:01:01", "02:00:00:00:01:02"
IP1, IP2 = "10.0.0.1", "10.0.0.2"
VNI = 5000


# ------------------------------------------------------------------ helpers

def blue_pair(d, netns_factory):
    """VNet blue with vm1 and vm2."""
    d.vsctl("add", "vnet", "blue", "tenant", "acme", "vni", "100", "prefix", "10.0.0.0/24")
    vm1 = attach_vm(d, netns_factory("vm1"), "vm1", "blue", IP1, MAC1)
    vm2 = attach_vm(d, netns_factory("vm2"), "vm2", "blue", IP2, MAC2)
    return vm1, vm2


def tap_setup(d, netns_factory, collector, ips=("192.0.2.2",), dest_ips=None):
    """vm1, vm2 in blue; the uplink and collector(s) at `ips`; destination
    `col` (VNI 5000) to `dest_ips` (default: `ips`), resolved by ARP.
    Returns (vm1, vm2, col, pools): `pools` are the mempools in use at rest
    with every port started, the baseline of assert_accounted()."""
    vm1, vm2 = blue_pair(d, netns_factory)
    col = collector(d, ips=ips, vni=VNI)
    dest_ips = list(dest_ips or ips)
    args = []
    for ip in dest_ips:
        args += ["collector", ip]
    d.vsctl("add", "destination", "col", "vnet", "blue", "vni", str(VNI), *args)
    for ip in dest_ips:
        if ip in ips:
            wait_neighbor(d, ip)
    return vm1, vm2, col, mempools_in_use(d)


def mac_of(frame, off):
    return ":".join(f"{b:02x}" for b in frame[off:off + 6])


def ours(frames, macs=(MAC1, MAC2)):
    """Frames of the test's own VMs (source MAC one of theirs)."""
    return [f for f in frames if mac_of(f, 6) in macs]


def sent_by(frames, mac):
    return [f for f in frames if mac_of(f, 6) == mac]


def received_by(frames, mac):
    return [f for f in frames if mac_of(f, 6) != mac]


def udp_frames(src, dst, n, sport=5555, dport=7777, size=200, tag=b"tap"):
    """n distinct UDP frames src -> dst (each payload carries its index),
    `size` bytes long (Ethernet header included, no FCS)."""
    out = []
    for i in range(n):
        head = Ether(src=src.mac, dst=dst.mac) / IP(src=src.ip, dst=dst.ip, id=i + 1) / UDP(
            sport=sport, dport=dport)
        body = tag + b"-%06d-" % i
        pad = max(0, size - len(head) - len(body))
        out.append(bytes(head / Raw(body + b"x" * pad)))
    return out


def multiset(frames):
    return collections.Counter(bytes(f) for f in frames)


def diff(expected, got):
    """A readable description of what differs between two frame multisets."""
    e, g = multiset(expected), multiset(got)
    missing = e - g
    extra = g - e
    lines = [f"expected {sum(e.values())} frames, got {sum(g.values())}"]
    for name, c in (("missing", missing), ("unexpected", extra)):
        if c:
            lines.append(f"{name}: {sum(c.values())}")
            for f, k in list(c.items())[:5]:
                lines.append(f"  x{k} len {len(f)}: {Ether(f).summary()} {f[:64].hex()}")
    return "\n".join(lines)


def assert_same_frames(expected, got):
    if multiset(expected) != multiset(got):
        raise AssertionError(diff(expected, got))


def session(d, name):
    return mirror_counters(d)[("session", name)]


def wait_delivered(d, cap, *others, name="t1", timeout=10.0):
    """Waits until every copy of session `name` is accounted for, the
    capture `cap` holds at least the copies the daemon sent, and the
    captures `others` went quiet; returns the counters."""
    c = mirror_settled(d)
    want = c[("session", name)]["sent_packets"]
    wait_for(lambda: cap.count() >= want, timeout=timeout,
             what=f"{want} copies at {cap.iface} (has {cap.count()})")
    for o in (cap,) + others:
        o.settle()
    return c


def assert_accounted(d, pools):
    """Once traffic stopped, every copy is accounted for and nothing leaked:
    for each session and destination, cloned = sent + no_next_hop +
    rate_limited + tx_dropped + clone_failed in the encap worker, and
    matched = cloned + ring_full + clone_failed in the clone stage
    (clone_failed covers both stages, so the encap part is bounded by it);
    and the packet, clone and header mempools are back at `pools`, their
    in-use counts at rest before the traffic."""
    assert {"vswitch_pkts", "vswitch_clones", "vswitch_encap_hdrs"} <= set(pools), pools
    counters = mirror_settled(d)
    for key, v in counters.items():
        left = v["sent_packets"] + v["no_next_hop"] + v["rate_limited"] + v["tx_dropped"]
        assert left <= v["cloned"] <= left + v["clone_failed"], (key, v)
        assert v["matched"] >= v["cloned"] + v["ring_full"], (key, v)
        assert v["truncated"] <= v["sent_packets"] + v["tx_dropped"] + v["clone_failed"], (key, v)
    # Each copy counts once for its session and once for its destination.
    for name in MIRROR_COUNTERS:
        by_session = sum(v[name] for (kind, _), v in counters.items() if kind == "session")
        by_dest = sum(v[name] for (kind, _), v in counters.items() if kind == "destination")
        assert by_session == by_dest, (name, counters)
    wait_mempools_at(d, pools)


OUTER_LAYERS = ("Frame ", "Ethernet II", "Internet Protocol Version 4",
                "User Datagram Protocol", "Virtual eXtensible Local Area Network")


def tshark_frames(path):
    """`tshark -V` of a pcap, as one list of top-level blocks (a layer's
    title line and its indented detail) per frame."""
    out = run(["tshark", "-r", path, "-V", "-o", "ip.check_checksum:TRUE",
               "-o", "udp.check_checksum:TRUE"], timeout=60).stdout
    frames = []
    for line in out.splitlines():
        if not line.strip():
            continue
        if line.startswith("Frame "):
            frames.append([])
        if not line.startswith(" "):
            frames[-1].append([line])
        else:
            frames[-1][-1].append(line)
    return [["\n".join(b) for b in f] for f in frames]


def field(block, name):
    for line in block.splitlines():
        line = line.strip()
        if line.startswith(name + ":"):
            return line[len(name) + 1:].strip()
    raise AssertionError(f"no '{name}' in:\n{block}")


def check_outer_headers(path, n, up_mac, next_hop_mac, src_ip, dst_ip, vni=VNI):
    """tshark decodes the outer Ethernet/IPv4/UDP/VXLAN of every frame of
    `path` cleanly, with the values the design asks for. What follows the
    VXLAN header is the (possibly truncated) inner frame: its own errors are
    not the encapsulation's."""
    frames = tshark_frames(path)
    assert len(frames) == n
    for i, blocks in enumerate(frames):
        outer = blocks[:len(OUTER_LAYERS)]
        where = f"outer frame {i + 1}:\n" + "\n".join(outer)
        assert [b.split("\n")[0][:len(t)] for b, t in zip(outer, OUTER_LAYERS)] == \
            list(OUTER_LAYERS), where
        text = "\n".join(outer)
        assert "Malformed" not in text and "Expert Info (Error" not in text, where
        assert "Expert Info (Warning" not in text, where
        frame_len = int(field(outer[0], "Frame Length").split()[0])
        eth, ip, udp, vx = outer[1:]
        assert field(eth, "Destination").split()[0] == next_hop_mac, where
        assert field(eth, "Source").split()[0] == up_mac, where
        assert field(ip, "Source Address") == src_ip, where
        assert field(ip, "Destination Address") == dst_ip, where
        assert ".1.. .... = Don't fragment: Set" in ip, where
        assert "[Header checksum status: Good]" in ip, where
        assert int(field(ip, "Total Length")) == frame_len - 14, where
        assert field(udp, "Destination Port") == "4789", where
        assert 49152 <= int(field(udp, "Source Port")) <= 65535, where
        assert int(field(udp, "Length")) == frame_len - 34, where
        assert field(vx, "VXLAN Network Identifier (VNI)") == str(vni), where
        assert "VXLAN Network ID (VNI): True" in vx, where


def assert_no_primary_drops(d, *vports):
    for name in vports:
        drops = d.port_stats(name).get("drops", [])
        assert not drops, f"{name} dropped primary frames: {drops}"


# ------------------------------------------------------------------ tests

def test_both_directions_byte_identical_exactly_once(vswitchd, netns_factory, collector,
                                                     capture):
    d = vswitchd
    vm1, vm2, col, pools = tap_setup(d, netns_factory, collector)
    static_neighbor(vm2, vm1)  # vm2 sends no ARP; vm1 resolves vm2 by ARP.
    d.vsctl("add", "tap-session", "t1", "source", "vm1", "destination", "col",
            "direction", "both")
    c_vm = capture(vm1.ns, vm1.iface)
    c_vx = capture(col.hosts[0].ns, "vx0")

    vm1.ping(vm2.ip, count=5, interval=0.05)
    send_frames(vm1, udp_frames(vm1, vm2, 40, size=300))
    send_frames(vm2, udp_frames(vm2, vm1, 20, sport=7777, dport=5555, size=90))

    wait_delivered(d, c_vx, c_vm)
    at_vm = ours(c_vm.stop())
    at_vx = ours(c_vx.stop())

    # The traffic did happen as sent: ARP both ways, 5 echoes, 5 replies,
    # 40 + 20 UDP.
    pkts = [Ether(f) for f in at_vm]
    assert sum(ARP in p for p in pkts) == 2
    assert sum(ICMP in p and p[ICMP].type == 8 for p in pkts) == 5
    assert sum(ICMP in p and p[ICMP].type == 0 for p in pkts) == 5
    assert sum(UDP in p and p[UDP].dport == 7777 for p in pkts) == 40
    assert sum(UDP in p and p[UDP].dport == 5555 and IP in p and p[IP].src == IP2
               for p in pkts) == 20
    assert_same_frames(at_vm, at_vx)
    assert session(d, "t1")["sent_packets"] == len(at_vm)
    assert_accounted(d, pools)


def vm_traffic(vm1, vm2):
    """Both ways: ping, and UDP bursts vm1 -> vm2 and vm2 -> vm1."""
    vm1.ping(vm2.ip, count=4, interval=0.05)
    send_frames(vm1, udp_frames(vm1, vm2, 30, size=150))
    send_frames(vm2, udp_frames(vm2, vm1, 30, sport=7777, dport=5555, size=250))


@pytest.mark.parametrize("direction", ["rx", "tx"])
def test_one_direction(vswitchd, netns_factory, collector, capture, direction):
    d = vswitchd
    vm1, vm2, col, pools = tap_setup(d, netns_factory, collector)
    static_neighbors(vm1, vm2)
    d.vsctl("add", "tap-session", "t1", "source", "vm1", "destination", "col",
            "direction", direction)
    c_vm = capture(vm1.ns, vm1.iface)
    c_vx = capture(col.hosts[0].ns, "vx0")
    vm_traffic(vm1, vm2)
    wait_delivered(d, c_vx, c_vm)
    at_vm = ours(c_vm.stop())
    at_vx = ours(c_vx.stop())

    sent, received = sent_by(at_vm, MAC1), received_by(at_vm, MAC1)
    assert len(sent) >= 4 + 30 and len(received) >= 4 + 30
    assert_same_frames(received if direction == "rx" else sent, at_vx)
    assert_accounted(d, pools)


def test_filter_udp_443_only(vswitchd, netns_factory, collector, capture):
    d = vswitchd
    vm1, vm2, col, pools = tap_setup(d, netns_factory, collector)
    static_neighbors(vm1, vm2)
    d.vsctl("add", "tap-session", "t1", "source", "vm1", "destination", "col",
            "rule", "prio=10,action=accept,proto=udp,dport=443")
    c_vm = capture(vm1.ns, vm1.iface)
    c_vm2 = capture(vm2.ns, vm2.iface)
    c_vx = capture(col.hosts[0].ns, "vx0")

    def l3(i):
        return Ether(src=MAC1, dst=MAC2) / IP(src=IP1, dst=IP2, id=100 + i)

    frames = []
    for i in range(8):
        frames += [
            bytes(l3(i) / UDP(sport=40000 + i, dport=443) / Raw(b"u443-%d" % i)),
            bytes(l3(i) / UDP(sport=40000 + i, dport=444) / Raw(b"u444-%d" % i)),
            bytes(l3(i) / TCP(sport=40000 + i, dport=443, flags="S", seq=1000 + i)),
            bytes(l3(i) / ICMP(type=8, id=77, seq=i) / Raw(b"icmp-%d" % i)),
            # UDP with 443 as the source port only: not dport=443.
            bytes(l3(i) / UDP(sport=443, dport=40000 + i) / Raw(b"s443-%d" % i)),
        ]
    send_frames(vm1, frames)
    # vm2's own UDP to vm1's port 443 (an RX copy candidate) matches too.
    back = [bytes(Ether(src=MAC2, dst=MAC1) / IP(src=IP2, dst=IP1, id=200 + i) /
                  UDP(sport=41000 + i, dport=443) / Raw(b"back-%d" % i)) for i in range(4)]
    send_frames(vm2, back)

    # Every frame of every class reached vm2 (the primary path is unfiltered).
    wait_for(lambda: not multiset(frames) - multiset(c_vm2.peek()),
             what="all of vm1's frames at vm2")
    wait_delivered(d, c_vx, c_vm)
    at_vm = ours(c_vm.stop())
    at_vx = ours(c_vx.stop())
    assert not multiset(frames) - multiset(c_vm2.stop())

    def udp443(f):
        p = Ether(f)
        return UDP in p and ICMP not in p and p[UDP].dport == 443

    expected = [f for f in at_vm if udp443(f)]
    assert len(expected) == 8 + 4
    assert len(at_vm) > len(expected) + 3 * 8  # Replies, RSTs, errors: not mirrored.
    assert_same_frames(expected, at_vx)
    assert_accounted(d, pools)


def test_truncation_and_outer_headers(vswitchd, netns_factory, collector, capture):
    d = vswitchd
    vm1, vm2, col, pools = tap_setup(d, netns_factory, collector)
    static_neighbors(vm1, vm2)
    d.vsctl("add", "tap-session", "t1", "source", "vm1", "destination", "col",
            "truncate", "128")
    host = col.hosts[0]
    c_vm = capture(vm1.ns, vm1.iface)
    c_vx = capture(host.ns, "vx0")
    c_up = capture(host.ns, host.iface, bpf=["udp", "dst", "port", "4789"])

    sizes = [60, 127, 128, 129, 200, 600, 1000, 1514]
    frames = []
    for i, size in enumerate(sizes):
        frames += udp_frames(vm1, vm2, 3, sport=6000 + i, size=size)
    send_frames(vm1, frames)
    vm1.ping(vm2.ip, count=3, interval=0.05, check=True)
    vm1.ns.exec("ping", "-c", "2", "-i", "0.05", "-s", "1000", vm2.ip)

    wait_delivered(d, c_vx, c_vm)
    wait_for(lambda: c_up.count() >= c_vx.count(), what="outer frames on the uplink")
    at_vm = ours(c_vm.stop())
    at_vx = ours(c_vx.stop())
    outer = c_up.stop()

    long_ones = [f for f in at_vm if len(f) > 128]
    assert len(long_ones) >= 3 * 5 + 2 * 2
    assert all(len(f) <= 128 for f in at_vx)
    assert_same_frames([f[:128] for f in at_vm], at_vx)
    assert session(d, "t1")["truncated"] == len(long_ones)
    assert len(outer) == len(at_vx)
    up_mac = next(v["mac"] for v in d.vsctl("show", "vports", json_out=True)["vports"]
                  if v["name"] == "up0")
    check_outer_headers(c_up.path, len(outer), up_mac=up_mac, next_hop_mac=COLLECTOR_MAC,
                        src_ip="192.0.2.10", dst_ip=host.ip)
    # The outer source port is a symmetric hash of the inner flow: one port
    # per flow, the same for both of its directions.
    ports = collections.defaultdict(set)
    for f in outer:
        inner = Ether(f[50:])
        if IP in inner:
            l4 = inner[IP].payload
            sp, dp = (l4.sport, l4.dport) if UDP in inner and ICMP not in inner else (0, 0)
            flow = (inner[IP].proto, frozenset([(inner[IP].src, sp), (inner[IP].dst, dp)]))
            ports[flow].add(Ether(f)[UDP].sport)
    assert len(ports) >= len(sizes) + 1
    assert all(len(p) == 1 for p in ports.values()), dict(ports)
    assert_accounted(d, pools)


def test_imix_cut_to_uplink_mtu(vswitchd, netns_factory, collector, capture):
    d = vswitchd
    vm1, vm2, col, pools = tap_setup(d, netns_factory, collector)
    for vm in (vm1, vm2):
        vm.ns.exec("ip", "link", "set", vm.iface, "mtu", "1500")
    static_neighbors(vm1, vm2)
    d.vsctl("add", "tap-session", "t1", "source", "vm1", "destination", "col")
    c_vm = capture(vm1.ns, vm1.iface)
    c_vm2 = capture(vm2.ns, vm2.iface)
    c_vx = capture(col.hosts[0].ns, "vx0")

    sizes = [64, 570, 1514] * 20 + [64] * 20 + [570] * 10
    frames = []
    for i, size in enumerate(sizes):
        frames += udp_frames(vm1, vm2, 1, sport=9000 + i % 7, size=size, tag=b"imix%d" % i)
    assert sorted({len(f) for f in frames}) == [64, 570, 1514]
    send_frames(vm1, frames)

    wait_for(lambda: c_vm2.count() >= len(frames), what="the IMIX at vm2")
    c = wait_delivered(d, c_vx, c_vm)
    at_vm = ours(c_vm.stop())
    at_vx = ours(c_vx.stop())
    at_vm2 = sent_by(c_vm2.stop(), MAC1)

    assert_same_frames(frames, at_vm2)  # Primary: all there, untouched.
    inner_max = 1500 - 36
    assert all(len(f) <= inner_max for f in at_vx)
    assert_same_frames([f[:inner_max] for f in at_vm], at_vx)
    s = c[("session", "t1")]
    n_big = sum(len(f) > inner_max for f in at_vm)
    assert n_big == 20
    assert sum(len(f) == inner_max for f in at_vx) == n_big
    assert s["truncated"] == n_big
    assert s["no_next_hop"] == 0
    assert s["sent_packets"] == len(at_vm)
    assert_accounted(d, pools)


def test_two_collectors_keep_flows_together(vswitchd, netns_factory, collector, capture):
    d = vswitchd
    ips = ("192.0.2.2", "192.0.2.3")
    vm1, vm2, col, pools = tap_setup(d, netns_factory, collector, ips=ips)
    static_neighbors(vm1, vm2)
    d.vsctl("add", "tap-session", "t1", "source", "vm1", "destination", "col")
    caps = {h.ip: capture(h.ns, h.vxlan) for h in col.hosts}

    n_flows = 24
    fwd, rev = [], []
    for i in range(n_flows):
        fwd += udp_frames(vm1, vm2, 3, sport=20000 + i, dport=30000 + i, size=100,
                          tag=b"f%d" % i)
        rev += udp_frames(vm2, vm1, 3, sport=30000 + i, dport=20000 + i, size=100,
                          tag=b"r%d" % i)
    send_frames(vm1, fwd)
    send_frames(vm2, rev)

    c = mirror_settled(d)
    want = c[("session", "t1")]["sent_packets"]
    wait_for(lambda: sum(cp.count() for cp in caps.values()) >= want,
             what=f"{want} copies over both collectors")
    for cp in caps.values():
        cp.settle()
    got = {ip: ours(cp.stop()) for ip, cp in caps.items()}

    where = collections.defaultdict(lambda: collections.defaultdict(int))
    for ip, frames in got.items():
        for f in frames:
            p = Ether(f)
            if UDP in p and ICMP not in p:
                ends = tuple(sorted([(p[IP].src, p[UDP].sport), (p[IP].dst, p[UDP].dport)]))
                where[ends][(ip, p[IP].src)] += 1
    assert len(where) == n_flows
    per_collector = collections.Counter()
    for flow, seen in where.items():
        collectors = {ip for ip, _ in seen}
        assert len(collectors) == 1, f"flow {flow} split over collectors: {dict(seen)}"
        ip = collectors.pop()
        # Both directions, all three frames each, at that one collector.
        assert dict(seen) == {(ip, IP1): 3, (ip, IP2): 3}, (flow, dict(seen))
        per_collector[ip] += 1
    assert set(per_collector) == set(ips), f"flows per collector: {dict(per_collector)}"
    # Nothing lost or doubled overall.
    assert_same_frames(fwd + rev, [f for fs in got.values() for f in fs
                                   if UDP in Ether(f) and ICMP not in Ether(f)])
    assert_accounted(d, pools)


def test_flows_of_a_dead_collector_fail_over(vswitchd, netns_factory, collector, capture):
    d = vswitchd
    # Nobody owns 192.0.2.99: the flows hashing to it go to 192.0.2.2 instead.
    vm1, vm2, col, _ = tap_setup(d, netns_factory, collector,
                                 dest_ips=("192.0.2.2", "192.0.2.99"))
    static_neighbors(vm1, vm2)
    d.vsctl("add", "tap-session", "t1", "source", "vm1", "destination", "col")
    cap = capture(col.hosts[0].ns, col.hosts[0].vxlan)
    d.vsctl("clear", "stats")
    frames = []
    for i in range(16):
        frames += udp_frames(vm1, vm2, 2, sport=20000 + i, dport=30000 + i, size=100,
                             tag=b"f%d" % i)
    send_frames(vm1, frames)
    c = mirror_settled(d)
    s = c[("session", "t1")]
    assert s["no_next_hop"] == 0, s
    assert s["sent_packets"] >= len(frames)
    wait_for(lambda: cap.count() >= s["sent_packets"], what="every copy at 192.0.2.2")
    got = [f for f in ours(cap.stop()) if UDP in Ether(f) and ICMP not in Ether(f)]
    assert_same_frames(frames, got)


def neighbors_state(d, ip):
    for n in d.vsctl("show", "neighbors", json_out=True).get("neighbors", []):
        if n["ip"] == ip:
            return n.get("state")
    return None


def test_collector_without_route_is_listed(vswitchd, netns_factory, collector):
    d = vswitchd
    tap_setup(d, netns_factory, collector)
    # The uplink (192.0.2.10/24) has no gateway: 10.99.0.1 has no route.
    d.vsctl("add", "destination", "far", "vnet", "blue", "vni", "5001", "collector", "10.99.0.1")
    assert neighbors_state(d, "10.99.0.1") == "NO_ROUTE"
    assert neighbors_state(d, "192.0.2.2") == "RESOLVED"
    d.vsctl("del", "destination", "far")
    assert neighbors_state(d, "10.99.0.1") is None


def test_unreachable_collector_costs_the_vm_nothing(vswitchd, netns_factory, collector,
                                                    capture):
    d = vswitchd
    # Nobody owns 192.0.2.99: its next hop never resolves.
    vm1, vm2, col, pools = tap_setup(d, netns_factory, collector, dest_ips=("192.0.2.99",))
    static_neighbors(vm1, vm2)
    d.vsctl("add", "tap-session", "t1", "source", "vm1", "destination", "col")
    c_vm = capture(vm1.ns, vm1.iface)
    c_vm2 = capture(vm2.ns, vm2.iface, bpf=["udp", "dst", "port", "7777"])
    c_vx = capture(col.hosts[0].ns, "vx0")
    d.vsctl("clear", "stats")

    res = vm1.ping(vm2.ip, count=20, interval=0.02)
    assert " 0% packet loss" in res.stdout, res.stdout
    burst = udp_frames(vm1, vm2, 200, size=120)
    send_frames(vm1, burst)

    wait_for(lambda: c_vm2.count() >= len(burst), what="the burst at vm2")
    c = mirror_settled(d)
    at_vm = ours(c_vm.stop())
    assert_same_frames(burst, c_vm2.stop())
    assert ours(c_vx.stop()) == []
    assert neighbors_state(d, "192.0.2.99") != "RESOLVED"

    s = c[("session", "t1")]
    assert len(at_vm) >= 20 * 2 + 200
    assert s["matched"] == s["cloned"] == len(at_vm)
    assert s["no_next_hop"] == len(at_vm)
    assert s["sent_packets"] == 0
    assert_no_primary_drops(d, "vm1", "vm2")
    assert_accounted(d, pools)


def tap_state(d):
    return {what: d.vsctl("show", what, json_out=True)
            for what in ("tap-sessions", "destinations", "vnets", "vports", "fdb")}


def refused(d, code, needle, *args):
    """The command fails with `code` naming `needle`, and changes nothing."""
    before = tap_state(d)
    res = d.vsctl(*args, check=False)
    assert res.returncode == 1, f"{args} was accepted: {res.stdout}"
    assert code in res.stderr, res.stderr
    assert f"'{needle}'" in res.stderr, res.stderr
    assert tap_state(d) == before, f"{args} changed the configuration"
    return res.stderr


def test_tap_across_tenants_and_vnets_refused(vswitchd):
    d = vswitchd
    d.vsctl("add", "vnet", "blue", "tenant", "acme", "vni", "100")
    d.vsctl("add", "vnet", "red", "tenant", "acme", "vni", "200")
    d.vsctl("add", "vnet", "green", "tenant", "globex", "vni", "300")
    d.vsctl("add", "vnet", "taps", "tenant", "acme", "vni", "400")
    d.vsctl("add", "vport", "vm1", "vnet", "blue", "driver", "null:no-rx=1")
    d.vsctl("add", "vport", "vm3", "vnet", "green", "driver", "null:no-rx=1")
    d.vsctl("add", "vport", "vm4", "vnet", "red", "driver", "null:no-rx=1")
    d.vsctl("add", "destination", "col", "vnet", "blue", "vni", str(VNI),
            "collector", "192.0.2.2")
    d.vsctl("add", "destination", "col2", "vnet", "taps", "vni", "5001",
            "collector", "192.0.2.3")
    d.vsctl("add", "tap-session", "t1", "source", "vm1", "destination", "col")

    # Another tenant's VM: refused, on create and on update.
    refused(d, "PERMISSION_DENIED", "vm3",
            "add", "tap-session", "t2", "source", "vm3", "destination", "col")
    refused(d, "PERMISSION_DENIED", "vm3",
            "set", "tap-session", "t1", "source", "vm1", "source", "vm3", "destination", "col")
    # Same tenant, VNet not peered with the destination's: refused.
    refused(d, "FAILED_PRECONDITION", "vm4",
            "add", "tap-session", "t3", "source", "vm4", "destination", "col")
    refused(d, "FAILED_PRECONDITION", "vm1",
            "add", "tap-session", "t3", "source", "vm1", "destination", "col2")
    # Peering makes it legal.
    d.vsctl("peer", "vnet", "blue", "red")
    d.vsctl("add", "tap-session", "t3", "source", "vm4", "destination", "col")
    d.vsctl("peer", "vnet", "blue", "taps")
    d.vsctl("add", "tap-session", "t4", "source", "vm1", "destination", "col2")
    sessions = {s["name"]: s for s in d.vsctl("show", "tap-sessions", json_out=True)["sessions"]}
    assert sessions["t3"]["sources"] == ["vm4"] and sessions["t3"]["destinations"] == ["col"]
    assert set(sessions) == {"t1", "t3", "t4"}

    # Objects in use cannot go away, nor can the peering t3 relies on.
    refused(d, "FAILED_PRECONDITION", "col", "del", "destination", "col")
    refused(d, "FAILED_PRECONDITION", "col2", "del", "destination", "col2")
    refused(d, "FAILED_PRECONDITION", "vm1", "del", "vport", "vm1")
    refused(d, "FAILED_PRECONDITION", "vm4", "del", "vport", "vm4")
    refused(d, "FAILED_PRECONDITION", "taps", "del", "vnet", "taps")
    refused(d, "FAILED_PRECONDITION", "blue", "del", "vnet", "blue")
    refused(d, "FAILED_PRECONDITION", "vm4", "unpeer", "vnet", "blue", "red")

    # Once the session is gone, they can.
    d.vsctl("del", "tap-session", "t4")
    d.vsctl("del", "destination", "col2")
    d.vsctl("del", "vnet", "taps")


def test_rule_updates_lose_no_primary_packet(vswitchd, netns_factory, collector):
    import threading
    d = vswitchd
    vm1, vm2, col, pools = tap_setup(d, netns_factory, collector)
    static_neighbors(vm1, vm2)
    rules_a = ["rule", "prio=10,action=accept,proto=icmp"]
    rules_b = ["rule", "prio=10,action=reject,proto=udp,dport=1-1023",
               "rule", "prio=20,action=accept,dir=tx"]
    base = ["tap-session", "t1", "source", "vm1", "destination", "col"]
    d.vsctl("add", *base, *rules_a)
    d.vsctl("clear", "stats")

    errors = []
    done = threading.Event()

    def churn():
        try:
            for i in range(100):
                d.vsctl("set", *base, *(rules_b if i % 2 == 0 else rules_a))
        except Exception as e:  # noqa: BLE001 — reported by the main thread.
            errors.append(e)
        finally:
            done.set()

    t = threading.Thread(target=churn)
    t.start()
    rounds = []
    try:
        # Pings run for as long as the updates do (at least one round).
        while not rounds or not done.is_set():
            res = vm1.ns.exec("ping", "-c", "300", "-i", "0.01", "-W", "1", vm2.ip,
                              check=False, timeout=60)
            rounds.append(res.stdout)
    finally:
        t.join(timeout=120)
    assert not errors, errors
    for out in rounds:
        assert "300 packets transmitted, 300 received" in out, out
    assert_no_primary_drops(d, "vm1", "vm2")

    sessions = d.vsctl("show", "tap-sessions", json_out=True)["sessions"]
    assert [r["protocol"] for r in sessions[0]["rules"]] == [1]  # The last update: rules_a.
    c = mirror_settled(d)[("session", "t1")]
    # Mirroring went on under every rule set: ICMP (a), everything vm1 sent (b).
    assert c["sent_packets"] >= 300, f"too few copies while the rules changed: {c}"
    assert_accounted(d, pools)


def test_two_tapped_vms_each_copy_once(vswitchd, netns_factory, collector, capture):
    d = vswitchd
    vm1, vm2, col, pools = tap_setup(d, netns_factory, collector)
    static_neighbors(vm1, vm2)
    d.vsctl("add", "tap-session", "t1", "source", "vm1", "source", "vm2", "destination", "col",
            "direction", "both")
    c_vm = capture(vm1.ns, vm1.iface)
    c_vx = capture(col.hosts[0].ns, "vx0")
    vm1.ping(vm2.ip, count=5, interval=0.05)
    wait_delivered(d, c_vx, c_vm)
    at_vm = ours(c_vm.stop())
    at_vx = ours(c_vx.stop())

    assert len(at_vm) == 10
    # The sender's TX copy and the receiver's RX copy: each frame twice,
    # never more (copies are not mirrored again).
    assert_same_frames(at_vm * 2, at_vx)
    assert_accounted(d, pools)


def test_marked_copies_carry_direction_and_vport(vswitchd, netns_factory, collector, capture):
    """A destination created with `mark` (mark_copies) puts each copy's
    direction and source vport in the VXLAN-GBP group policy id; a kernel
    VXLAN device with `gbp` still decapsulates them."""
    d = vswitchd
    vm1, vm2 = blue_pair(d, netns_factory)
    col = collector(d, vni=VNI, gbp=True)
    d.vsctl("add", "destination", "col", "vnet", "blue", "vni", str(VNI), "collector",
            "192.0.2.2", "mark")
    shown = d.vsctl("show", "destinations", json_out=True)["destinations"]
    assert [x.get("mark_copies") for x in shown] == [True]
    wait_neighbor(d, "192.0.2.2")
    ids = {v["name"]: v["id"] for v in d.vsctl("show", "vports", json_out=True)["vports"]}
    static_neighbors(vm1, vm2)
    d.vsctl("add", "tap-session", "t1", "source", "vm1", "source", "vm2", "destination", "col")
    outer = capture(col.hosts[0].ns, col.hosts[0].iface, bpf=("udp", "port", "4789"))
    inner = capture(col.hosts[0].ns, "vx0")

    vm1.ping(vm2.ip, count=3, interval=0.05)
    wait_delivered(d, inner)
    frames = outer.stop()
    decapsulated = ours(inner.stop())

    # Each echo gives vm1's TX copy and vm2's RX copy; each reply the reverse.
    want = {("tx", ids["vm1"], 8), ("rx", ids["vm2"], 8), ("tx", ids["vm2"], 0),
            ("rx", ids["vm1"], 0)}
    seen = []
    for f in frames:
        vx = f[42:50]
        assert vx[0] == 0x88, f"flags {vx[0]:#x}: G and I expected"
        gpid = int.from_bytes(vx[2:4], "big")
        inner_frame = Ether(f[50:])
        if ICMP not in inner_frame:
            continue
        seen.append(("rx" if gpid & 0x8000 else "tx", gpid & 0x7fff, inner_frame[ICMP].type))
    assert set(seen) == want, seen
    assert len(seen) == 12  # 3 echoes and 3 replies, two copies each.
    # The GBP-aware kernel device accepted every copy.
    assert sum(ICMP in Ether(f) for f in decapsulated) == 12
