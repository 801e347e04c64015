# SPDX-License-Identifier: Apache-2.0
"""IPv6 through the real daemon: dual-stack VMs are namespaces on TAP vports,
the collector a kernel VXLAN device behind the uplink. TAP rules with IPv6
prefixes select IPv6 flows (protocol and ports after extension headers, no
ports for later fragments), never IPv4 ones; the copies reach the collector
byte-identical, judged by tshark; both directions of an IPv6 flow go to one
collector; bad IPv6 rules are refused by name through vsctl."""

import collections
import os
import shlex

from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import (ICMPv6EchoRequest, IPv6, IPv6ExtHdrDestOpt,
                                IPv6ExtHdrFragment, IPv6ExtHdrHopByHop)
from scapy.layers.l2 import Ether
from scapy.packet import Raw

from conftest import (REPO, attach_vm, mempools_in_use, mirror_settled, run, send_frames,
                      static_neighbors, tshark_packets, wait_for, wait_neighbor)
from test_tap import (IP1, IP2, MAC1, MAC2, VNI, assert_accounted, assert_same_frames,
                      multiset, ours, wait_delivered)

IP6_1, IP6_2 = "2001:db8:1::1", "2001:db8:1::2"


def attach_vm6(d, ns, vport, ip, ip6, mac):
    """A dual-stack VM of VNet blue: attach_vm's IPv4 plus `ip6`/64, no DAD
    and no router solicitation (only the test's own frames on the wire)."""
    vm = attach_vm(d, ns, vport, "blue", ip, mac)
    for conf in ("all", "default", vm.iface):
        ns.exec("sysctl", "-qw", f"net.ipv6.conf.{conf}.disable_ipv6=0")
        ns.exec("sysctl", "-qw", f"net.ipv6.conf.{conf}.accept_ra=0")
        ns.exec("sysctl", "-qw", f"net.ipv6.conf.{conf}.router_solicitations=0")
        ns.exec("sysctl", "-qw", f"net.ipv6.conf.{conf}.accept_dad=0")
    ns.exec("ip", "-6", "addr", "add", f"{ip6}/64", "dev", vm.iface, "nodad")
    vm.ip6 = ip6
    return vm


def static_neighbors6(a, b):
    """Permanent ND entries both ways: neither VM sends a solicitation."""
    for x, y in ((a, b), (b, a)):
        x.ns.exec("ip", "-6", "neigh", "replace", y.ip6, "lladdr", y.mac, "dev", x.iface,
                  "nud", "permanent")


def dual_stack_pair(d, netns_factory, collector, ips=("192.0.2.2",)):
    d.vsctl("add", "vnet", "blue", "tenant", "acme", "vni", "100", "prefix", "10.0.0.0/24")
    vm1 = attach_vm6(d, netns_factory("vm1"), "vm1", IP1, IP6_1, MAC1)
    vm2 = attach_vm6(d, netns_factory("vm2"), "vm2", IP2, IP6_2, MAC2)
    static_neighbors(vm1, vm2)
    static_neighbors6(vm1, vm2)
    col = collector(d, ips=ips, vni=VNI)
    args = []
    for ip in ips:
        args += ["collector", ip]
    d.vsctl("add", "destination", "col", "vnet", "blue", "vni", str(VNI), *args)
    for ip in ips:
        wait_neighbor(d, ip)
    return vm1, vm2, col, mempools_in_use(d)


def inner_fields(path):
    """[(ipv6.dst, udp.dstport, ipv6.fraghdr.nxt)] of every decapsulated
    frame in `path` as tshark decodes it ("" where a field is absent; tshark
    does not decode UDP in a fragment it cannot reassemble)."""
    res = run(["tshark", "-r", str(path), "-T", "fields", "-E", "separator=|",
               "-e", "ipv6.dst", "-e", "udp.dstport", "-e", "ipv6.fraghdr.nxt"])
    return [tuple(line.split("|")) for line in res.stdout.splitlines() if line]


def test_ipv6_rule_selects_ipv6_flows_after_extension_headers(vswitchd, netns_factory,
                                                              collector, capture):
    d = vswitchd
    vm1, vm2, col, pools = dual_stack_pair(d, netns_factory, collector)
    # As in doc/tap.md §4.
    d.vsctl("add", "tap-session", "t1", "source", "vm1", "destination", "col",
            "rule", "prio=10,proto=udp,dst=2001:db8:1::2/128,dport=443")
    c_vm2 = capture(vm2.ns, vm2.iface)
    c_vx = capture(col.hosts[0].ns, "vx0")

    def l3(i, *ext):
        p = Ether(src=MAC1, dst=MAC2) / IPv6(src=IP6_1, dst=IP6_2, fl=i)
        for e in ext:
            p = p / e
        return p

    want, other = [], []
    for i in range(6):
        want += [
            bytes(l3(i) / UDP(sport=40000 + i, dport=443) / Raw(b"plain-%d" % i)),
            # Hop-by-hop + destination options before UDP.
            bytes(l3(i, IPv6ExtHdrHopByHop(), IPv6ExtHdrDestOpt()) /
                  UDP(sport=41000 + i, dport=443) / Raw(b"chain-%d" % i)),
            # A first fragment has its ports.
            bytes(l3(i, IPv6ExtHdrFragment(id=i, m=1, offset=0)) /
                  UDP(sport=42000 + i, dport=443) / Raw(b"frag0-%d" % i)),
        ]
        other += [
            bytes(l3(i) / UDP(sport=40000 + i, dport=444) / Raw(b"p444-%d" % i)),
            # A later fragment has no ports: a port rule cannot take it.
            bytes(l3(i, IPv6ExtHdrFragment(id=i, m=0, offset=185, nh=17)) /
                  Raw(b"\x01\xbb" * 8)),
            bytes(l3(i) / ICMPv6EchoRequest(id=7, seq=i)),
            # To another IPv6 address, and the same flow over IPv4.
            bytes(Ether(src=MAC1, dst=MAC2) / IPv6(src=IP6_1, dst="2001:db8:1::3") /
                  UDP(sport=40000 + i, dport=443) / Raw(b"other-%d" % i)),
            bytes(Ether(src=MAC1, dst=MAC2) / IP(src=IP1, dst=IP2, id=i + 1) /
                  UDP(sport=40000 + i, dport=443) / Raw(b"v4-%d" % i)),
        ]
    send_frames(vm1, want + other)
    wait_for(lambda: not multiset(want + other) - multiset(c_vm2.peek()),
             what="all of vm1's frames at vm2 (the primary path is unfiltered)")
    wait_delivered(d, c_vx, c_vm2)
    at_vx = ours(c_vx.stop())
    c_vm2.stop()
    assert_same_frames(want, at_vx)
    # tshark's view of the copies on the wire: IPv6 to vm2, UDP port 443.
    fields = collections.Counter(inner_fields(c_vx.path))
    assert fields == {(IP6_2, "443", ""): 12, (IP6_2, "", "17"): 6}, fields
    assert_accounted(d, pools)


def test_icmpv6_ping_mirrored_both_ways_to_one_collector(vswitchd, netns_factory, collector,
                                                         capture):
    """Kernel ping -6 between the VMs (switched at L2 like IPv4), a TAP on
    vm1 with an ICMPv6 rule: requests (TX) and replies (RX) are copied
    byte-identical, and with two collectors both directions of the ping
    land on the same one (the symmetric hash over IPv6 addresses)."""
    d = vswitchd
    ips = ("192.0.2.2", "192.0.2.3")
    vm1, vm2, col, pools = dual_stack_pair(d, netns_factory, collector, ips=ips)
    d.vsctl("add", "tap-session", "t1", "source", "vm1", "destination", "col",
            "rule", "prio=1,proto=58")
    c_vm = capture(vm1.ns, vm1.iface)
    caps = {h.ip: capture(h.ns, h.vxlan) for h in col.hosts}
    res = vm1.ns.exec("ping", "-6", "-c", "5", "-i", "0.2", "-W", "1", IP6_2, timeout=20)
    assert " 0% packet loss" in res.stdout, res.stdout

    def echo(frames):
        """Echo requests and replies: MLD reports the kernel sends on its
        own schedule may be copied before the captures start."""
        out = []
        for f in frames:
            p = Ether(f)
            if IPv6 in p and p[IPv6].nh == 58 and bytes(p[IPv6].payload)[:1] in (b"\x80", b"\x81"):
                out.append(f)
        return out

    c_vm.settle()
    at_vm = echo(ours(c_vm.stop()))
    assert len(at_vm) == 10, "5 requests and 5 replies"
    mirror_settled(d)
    wait_for(lambda: sum(len(echo(cp.peek())) for cp in caps.values()) >= len(at_vm),
             what=f"{len(at_vm)} echo copies over both collectors")
    for cp in caps.values():
        cp.settle()
    got = {ip: echo(ours(c.stop())) for ip, c in caps.items()}
    assert_same_frames(at_vm, [f for fs in got.values() for f in fs])
    with_echo = [ip for ip, fs in got.items() if fs]
    assert len(with_echo) == 1, f"the ping's copies split over collectors: {with_echo}"
    # tshark decodes the copies as echo requests and replies.
    types = collections.Counter()
    for ip in with_echo:
        path = caps[ip].path
        out = run(["tshark", "-r", path, "-T", "fields", "-e", "icmpv6.type"]).stdout.split()
        types.update(out)
        assert len(tshark_packets(path)) == len(out)
    assert types["128"] == 5 and types["129"] == 5, types
    assert_accounted(d, pools)


def doc_ipv6_examples():
    """[(argv, expected stderr or None)] of every `$ vsctl` line of
    doc/tap.md with an IPv6 prefix, and the `error:` line under it."""
    with open(os.path.join(REPO, "doc", "tap.md")) as f:
        lines = f.read().splitlines()
    out = []
    for i, line in enumerate(lines):
        if line.startswith("$ vsctl ") and "2001:db8" in line:
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            out.append((shlex.split(line[len("$ vsctl "):]),
                        nxt if nxt.startswith("error:") else None))
    return out


def test_doc_ipv6_rules_run_as_written(vswitchd):
    """doc/tap.md §4's IPv6 examples through vsctl: the refused ones give
    the documented error and change nothing; the accepted one is shown
    with its prefixes."""
    d = vswitchd
    d.vsctl("add", "vnet", "blue", "tenant", "acme", "vni", "100")
    d.vsctl("add", "vport", "vm1", "vnet", "blue", "driver", "null")
    d.vsctl("add", "destination", "col1", "vnet", "blue", "vni", "5000",
            "collector", "192.0.2.2")
    examples = doc_ipv6_examples()
    assert len([e for e in examples if e[1]]) == 3 and len(examples) == 4, examples
    for argv, error in examples:
        if error is None:
            continue
        res = d.vsctl(*argv, check=False)
        assert res.returncode == 1, (argv, res.stdout, res.stderr)
        assert res.stderr.strip() == error, (argv, res.stderr)
    assert d.vsctl("show", "tap-sessions", json_out=True).get("sessions", []) == []
    for argv, error in examples:
        if error is None:
            d.vsctl(*argv)
    rules = d.vsctl("show", "tap-sessions", json_out=True)["sessions"][0]["rules"]
    assert [(r["dst_cidr"], r["protocol"]) for r in rules] == \
        [("2001:db8:1::2/128", 17), ("2001:db8:1::2/128", 6)], rules
