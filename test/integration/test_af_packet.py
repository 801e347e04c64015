# SPDX-License-Identifier: Apache-2.0
"""af_packet ports, as on a hypervisor without a DPDK-bound NIC: the uplink
and the VMs' vports attach to veth ends in the daemon's namespace; the other
ends are in namespaces of their own (the collector, with a kernel VXLAN
device, and the VMs).

net_af_packet opens one socket per queue pair in a PACKET_FANOUT group, and
the kernel hashes every received frame to one of them. The switch used to
poll only the first, so the collector's ARP reply (hashed to another) was
never read: the neighbor stayed INCOMPLETE and every copy counted
no_next_hop; and without qpairs the uplink was refused outright (1 transmit
queue, 3 needed). The switch now opens the queue pairs the port needs and
polls all of them."""

import pytest
from scapy.layers.inet import ICMP, IP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Raw

from conftest import (COLLECTOR_MAC, Vm, mempools_in_use, mirror_settled, neighbors, run,
                      send_frames, static_neighbors, unique, wait_for, wait_neighbor)
from test_tap import (VNI, assert_accounted, assert_same_frames, check_outer_headers, ours,
                      udp_frames)

MAC1, MAC2 = "02:00:00:00:01:01", "02:00:00:00:01:02"
COL_IP = "192.0.2.2"


def veth_into(ns, tag):
    """A veth pair: one end (returned first) in the daemon's namespace, up,
    without IPv6 (the kernel would send router solicitations out of it, and
    an AF_PACKET socket also receives what the host sends); the other born
    inside `ns`, so deleting the namespace deletes both."""
    host, peer = unique(tag + "h"), unique(tag + "p")
    run(["ip", "link", "add", host, "type", "veth", "peer", "name", peer, "netns", ns.name])
    run(["sysctl", "-qw", f"net.ipv6.conf.{host}.disable_ipv6=1"])
    run(["ip", "link", "set", host, "up"])
    return host, peer


def quiet(ns):
    ns.exec("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
    ns.exec("sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1")


def af_packet_collector(netns_factory):
    """The collector namespace behind a veth: 192.0.2.2 and a kernel VXLAN
    device vx0 (VNI 5000). Returns (namespace, daemon-side interface,
    collector-side interface)."""
    ns = netns_factory("col")
    quiet(ns)
    up_if, col_if = veth_into(ns, "u")
    ns.exec("ip", "link", "set", col_if, "address", COLLECTOR_MAC)
    ns.exec("ip", "addr", "add", f"{COL_IP}/24", "dev", col_if)
    ns.exec("ip", "link", "set", col_if, "up")
    ns.exec("ip", "link", "add", "vx0", "type", "vxlan", "id", str(VNI), "dstport", "4789",
            "local", COL_IP, "dev", col_if, "nolearning")
    ns.exec("ethtool", "-K", "vx0", "gro", "off", check=False)
    ns.exec("ip", "link", "set", "vx0", "up")
    return ns, up_if, col_if


def af_packet_vm(d, netns_factory, vport, ip, mac):
    """A VM namespace on an af_packet vport (the spec names no qpairs)."""
    ns = netns_factory(vport)
    quiet(ns)
    host, peer = veth_into(ns, "v")
    ns.exec("ip", "link", "set", peer, "address", mac)
    ns.exec("ip", "addr", "add", f"{ip}/24", "dev", peer)
    ns.exec("ip", "link", "set", peer, "up")
    d.vsctl("add", "vport", vport, "vnet", "blue", "driver", f"af_packet:iface={host}")
    return Vm(ns, peer, mac, ip, vport)


def vport(d, name):
    return next(v for v in d.vsctl("show", "vports", json_out=True)["vports"]
                if v["name"] == name)


# netns_factory comes before vswitchd_factory in every signature: fixtures
# are torn down in reverse, so the daemon stops before the veths go away.

def test_readme_uplink_form_resolves_the_collector_by_arp(netns_factory, vswitchd_factory):
    d = vswitchd_factory()
    col_ns, up_if, col_if = af_packet_collector(netns_factory)
    # An explicit qpairs too small for 1 forwarding lcore + encap + ARP is
    # refused, naming the minimum, and changes nothing.
    before = d.vsctl("show", "vports", json_out=True)
    res = d.vsctl("add", "uplink", "up0", "driver", f"af_packet:iface={up_if},qpairs=2", "ip",
                  "192.0.2.10/24", "gateway", "192.0.2.1", check=False)
    assert res.returncode == 1
    assert "INVALID_ARGUMENT" in res.stderr and "qpairs=2" in res.stderr, res.stderr
    assert "at least 3" in res.stderr, res.stderr
    assert d.vsctl("show", "vports", json_out=True) == before

    # README's form, as it is.
    d.vsctl("add", "uplink", "up0", "driver", f"af_packet:iface={up_if}", "ip", "192.0.2.10/24",
            "gateway", "192.0.2.1")
    d.vsctl("add", "vnet", "blue", "tenant", "acme", "vni", "100", "prefix", "10.0.0.0/24")
    d.vsctl("add", "destination", "col", "vnet", "blue", "vni", str(VNI), "collector", COL_IP)
    wait_neighbor(d, COL_IP)
    assert neighbors(d)[COL_IP]["mac"] == COLLECTOR_MAC
    # The reply was read from the uplink, whichever socket it was hashed to.
    assert int(d.port_stats("up0").get("rx_packets", 0)) >= 1, d.port_stats("up0")
    # The collector's kernel knows the uplink's MAC from our request.
    up_mac = vport(d, "up0")["mac"]
    assert up_mac in col_ns.exec("ip", "neigh", "show", "192.0.2.10").stdout


def test_explicit_qpairs_beyond_the_need_are_all_polled(netns_factory, vswitchd_factory):
    """The issue's workaround, qpairs=3, was accepted, yet only the first
    socket was polled: ARP replies hashed to the others were never read.
    With qpairs=4 (one more than needed) the reply is read wherever it lands."""
    d = vswitchd_factory()
    col_ns, up_if, col_if = af_packet_collector(netns_factory)
    d.vsctl("add", "uplink", "up0", "driver", f"af_packet:iface={up_if},qpairs=4", "ip",
            "192.0.2.10/24")
    assert vport(d, "up0")["driver"] == f"af_packet:iface={up_if},qpairs=4"
    d.vsctl("add", "vnet", "blue", "tenant", "acme", "vni", "100", "prefix", "10.0.0.0/24")
    d.vsctl("add", "destination", "col", "vnet", "blue", "vni", str(VNI), "collector", COL_IP)
    wait_neighbor(d, COL_IP)
    # The collector now sends what only an unpolled socket would have kept:
    # 32 flows' worth of frames to the uplink's MAC, hashed over the 4 sockets.
    up_mac = vport(d, "up0")["mac"]
    d.vsctl("clear", "stats")
    frames = [bytes(Ether(src=COLLECTOR_MAC, dst=up_mac) / IP(src=COL_IP, dst="192.0.2.10") /
                    UDP(sport=7000 + i, dport=9) / Raw(b"x" * 20)) for i in range(32)]
    send_frames(Vm(col_ns, col_if, COLLECTOR_MAC, COL_IP, None), frames)
    wait_for(lambda: int(d.port_stats("up0").get("rx_packets", 0)) >= len(frames),
             what=f"all {len(frames)} frames read from the uplink ({d.port_stats('up0')})")


@pytest.mark.parametrize("lcores", [1, 2])
def test_af_packet_uplink_and_vms_mirror_both_directions(netns_factory, capture,
                                                         vswitchd_factory, lcores):
    flags = ("--fwd_lcores=1", ) if lcores == 1 else (
        "--fwd_lcores=1,2", "--lcore_cpus=2@0", "--mbufs=16384")
    d = vswitchd_factory(*flags)
    d.vsctl("add", "vnet", "blue", "tenant", "acme", "vni", "100", "prefix", "10.0.0.0/24")
    vm1 = af_packet_vm(d, netns_factory, "vm1", "10.0.0.1", MAC1)
    vm2 = af_packet_vm(d, netns_factory, "vm2", "10.0.0.2", MAC2)
    col_ns, up_if, col_if = af_packet_collector(netns_factory)
    d.vsctl("add", "uplink", "up0", "driver", f"af_packet:iface={up_if}", "ip", "192.0.2.10/24")
    d.vsctl("add", "destination", "col", "vnet", "blue", "vni", str(VNI), "collector", COL_IP)
    # Resolved by ARP: no static neighbor anywhere on the switch's side.
    wait_neighbor(d, COL_IP)
    static_neighbors(vm1, vm2)
    pools = mempools_in_use(d)
    d.vsctl("add", "tap-session", "t1", "source", "vm1", "destination", "col")
    c_vx = capture(col_ns, "vx0")
    c_up = capture(col_ns, col_if, bpf=["udp", "dst", "port", "4789"])
    d.vsctl("clear", "stats")

    # 16 flows each way: the fanout hash spreads them over the queue pairs
    # (and so, with 2 lcores, over both lcores).
    fwd, rev = [], []
    for i in range(16):
        fwd += udp_frames(vm1, vm2, 3, sport=4000 + i, dport=5000, size=160, tag=b"f%d" % i)
        rev += udp_frames(vm2, vm1, 3, sport=5000, dport=4000 + i, size=90, tag=b"r%d" % i)
    at_vm2 = capture(vm2.ns, vm2.iface, bpf=["udp", "dst", "port", "5000"])
    at_vm1 = capture(vm1.ns, vm1.iface, bpf=["udp", "src", "port", "5000"])
    send_frames(vm1, fwd)
    send_frames(vm2, rev)
    vm1.ping(vm2.ip, count=3, interval=0.05)
    wait_for(lambda: at_vm2.count() >= len(fwd) and at_vm1.count() >= len(rev),
             what="both bursts delivered")
    assert_same_frames(fwd, at_vm2.stop())
    assert_same_frames(rev, at_vm1.stop())

    c = mirror_settled(d)[("session", "t1")]
    assert c["no_next_hop"] == 0, c
    assert c["sent_packets"] >= len(fwd) + len(rev) + 6, c
    wait_for(lambda: c_vx.count() >= c["sent_packets"] and c_up.count() >= c["sent_packets"],
             what="every copy at the collector")
    c_vx.settle()
    got = ours(c_vx.stop())
    udp = [f for f in got if UDP in Ether(f) and ICMP not in Ether(f)]
    assert_same_frames(fwd + rev, udp)
    # (The VMs also answer some UDP with port unreachable: copied too.)
    echoes = [Ether(f) for f in got if ICMP in Ether(f) and Ether(f)[ICMP].type in (0, 8)]
    assert sorted(p[ICMP].type for p in echoes) == [0, 0, 0, 8, 8, 8], [p.summary() for p in echoes]
    outer = c_up.stop()
    assert len(outer) == c["sent_packets"]
    check_outer_headers(c_up.path, len(outer), up_mac=vport(d, "up0")["mac"],
                        next_hop_mac=COLLECTOR_MAC, src_ip="192.0.2.10", dst_ip=COL_IP)

    if lcores == 2:
        lc = d.vsctl("show", "stats", json_out=True)["lcores"]
        assert [int(l["lcore_id"]) for l in lc] == [1, 2], lc
        assert all(int(l.get("rx_packets", 0)) >= 8 for l in lc), lc
    assert_accounted(d, pools)


def test_pcap_iface_uplink_gets_a_send_handle_per_queue(netns_factory, vswitchd_factory):
    """pcap:iface=NAME is one queue pair; the uplink needs 3 transmit queues
    (1 lcore + encap + ARP). It used to be refused; now the switch opens one
    receiving handle (direction in) and 3 sending ones on the interface, and
    the collector resolves."""
    d = vswitchd_factory()
    col_ns, up_if, col_if = af_packet_collector(netns_factory)
    d.vsctl("add", "uplink", "up0", "driver", f"pcap:iface={up_if}", "ip", "192.0.2.10/24")
    d.vsctl("add", "vnet", "blue", "tenant", "acme", "vni", "100", "prefix", "10.0.0.0/24")
    d.vsctl("add", "destination", "col", "vnet", "blue", "vni", str(VNI), "collector", COL_IP)
    wait_neighbor(d, COL_IP)
    assert f"rx_iface_in={up_if},tx_iface={up_if},tx_iface={up_if},tx_iface={up_if}" in \
        d.read_log()
    # phy_mac needs net_pcap's single handle: refused, naming why.
    d.vsctl("del", "vport", "up0")
    res = d.vsctl("add", "uplink", "up0", "driver", f"pcap:iface={up_if},phy_mac=1", "ip",
                  "192.0.2.10/24", check=False)
    assert res.returncode == 1 and "INVALID_ARGUMENT" in res.stderr, res.stderr
    assert "phy_mac=1" in res.stderr and "3 transmit queues" in res.stderr, res.stderr
