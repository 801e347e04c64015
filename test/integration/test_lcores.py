# SPDX-License-Identifier: Apache-2.0
"""Several forwarding lcores and a dedicated encap lcore, as a hypervisor
host runs it: each VM queue is polled by one of the lcores, every lcore's
mirror ring drains into the one encap lcore, and the copies still reach
the collector byte-identical. Lcores 2 and 3 share CPU 0 with the main
lcore (--lcore_cpus), since this machine has two CPUs."""

from scapy.layers.inet import ICMP, UDP
from scapy.layers.l2 import Ether

from conftest import mirror_settled, send_frames, static_neighbors, wait_for
from test_tap import assert_accounted, assert_same_frames, ours, tap_setup, udp_frames

# Each lcore gets a queue on every port: more receive rings to fill.
FLAGS = ("--fwd_lcores=1,2", "--encap_lcore=3", "--lcore_cpus=2@0,3@0", "--mbufs=32768")


def test_two_forwarding_lcores_and_a_dedicated_encap_lcore(vswitchd_factory, netns_factory,
                                                           collector, capture):
    d = vswitchd_factory(*FLAGS)
    vm1, vm2, col, pools = tap_setup(d, netns_factory, collector)
    static_neighbors(vm1, vm2)
    # Both directions of vm1: its TX copies come from vm1's lcore, its RX
    # copies from vm2's.
    d.vsctl("add", "tap-session", "t1", "source", "vm1", "destination", "col")
    cap = capture(col.hosts[0].ns, col.hosts[0].vxlan)
    d.vsctl("clear", "stats")

    # TAP vports get a queue per forwarding lcore; the kernel spreads flows
    # over them by hash, so 32 flows each way land on both lcores.
    fwd, rev = [], []
    for i in range(32):
        fwd += udp_frames(vm1, vm2, 4, sport=4000 + i, dport=5000, size=150, tag=b"f%d" % i)
        rev += udp_frames(vm2, vm1, 4, sport=5000, dport=4000 + i, size=150, tag=b"r%d" % i)
    at_vm2 = capture(vm2.ns, vm2.iface, bpf=["udp", "dst", "port", "5000"])
    at_vm1 = capture(vm1.ns, vm1.iface, bpf=["udp", "src", "port", "5000"])
    send_frames(vm1, fwd)
    send_frames(vm2, rev)
    wait_for(lambda: at_vm2.count() >= len(fwd) and at_vm1.count() >= len(rev),
             what="both bursts delivered")
    assert_same_frames(fwd, at_vm2.stop())
    assert_same_frames(rev, at_vm1.stop())

    c = mirror_settled(d)[("session", "t1")]
    assert c["sent_packets"] >= len(fwd) + len(rev), c
    wait_for(lambda: cap.count() >= c["sent_packets"], what="every copy at the collector")
    got = [f for f in ours(cap.stop()) if UDP in Ether(f) and ICMP not in Ether(f)]
    assert_same_frames(fwd + rev, got)

    lcores = d.vsctl("show", "stats", json_out=True)["lcores"]
    assert [(int(l["lcore_id"]), l["role"]) for l in lcores] == [
        (1, "forwarding"), (2, "forwarding"), (3, "encap")], lcores
    # Both forwarding lcores polled some of the flows.
    assert all(int(l.get("rx_packets", 0)) >= 8 for l in lcores[:2]), lcores
    assert sum(int(l.get("rx_packets", 0)) for l in lcores[:2]) >= len(fwd) + len(rev)
    assert_accounted(d, pools)
