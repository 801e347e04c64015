# SPDX-License-Identifier: Apache-2.0
"""A TAP collector inside the VNet (issue 16, item 4; Azure's model): the
collector is a VM of VNet blue with a kernel VXLAN device in its namespace.
a1 on host A is tapped; the copies go to the collector VM's vport when it is
on host A, or through the overlay to host B when it is there. The collector
receives both directions of a1's traffic, byte-identical to what a1 sent and
received, and never an outer header of the overlay."""

import pytest

from conftest import program_overlay, send_frames, static_neighbors, wait_for
from test_tap import assert_same_frames, udp_frames

COL_IP, COL_MAC = "10.1.0.9", "02:00:00:01:00:09"
COL_VNI = 5000


def collector_vm(host, fabric):
    """A VM of blue on `host` that decapsulates VXLAN (VNI 5000) with a
    kernel device vx0; its copies come from an underlay address, so reverse
    path filtering is off."""
    ns = fabric.vm_ns("col")
    vm = host.attach_vm(ns, "col", "blue", COL_IP, COL_MAC)
    ns.exec("sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0")
    ns.exec("sysctl", "-qw", f"net.ipv4.conf.{vm.iface}.rp_filter=0")
    ns.exec("ip", "link", "add", "vx0", "type", "vxlan", "id", str(COL_VNI), "dstport", "4789",
            "local", COL_IP, "dev", vm.iface, "nolearning")
    ns.exec("ethtool", "-K", "vx0", "gro", "off", check=False)
    ns.exec("ip", "link", "set", "vx0", "up")
    return vm


@pytest.mark.parametrize("where", ["remote", "local"])
def test_in_vnet_collector_gets_both_directions(multihost, capture, where):
    fabric = multihost(2)
    A, B = fabric.hosts
    for h in (A, B):
        h.add_vnet("blue", "acme", 100, "10.1.0.0/24")
    a1 = A.attach_vm(fabric.vm_ns("a1"), "a1", "blue", "10.1.0.1", "02:00:00:01:00:01")
    b1 = B.attach_vm(fabric.vm_ns("b1"), "b1", "blue", "10.1.0.2", "02:00:00:01:00:02")
    col = collector_vm(B if where == "remote" else A, fabric)
    program_overlay([a1, b1, col])
    wait_for(lambda: A.vteps().get(B.ip, {}).get("state") == "RESOLVED", timeout=20,
             what=f"B's VTEP resolved on A ({A.vteps()})")
    static_neighbors(a1, b1)
    A.vsctl("add", "destination", "c", "vnet", "blue", "vni", str(COL_VNI), "collector", COL_IP,
            "in-vnet")
    A.vsctl("add", "tap-session", "t1", "source", "a1", "destination", "c")
    at_col = capture(col.ns, "vx0")
    under = capture(fabric.underlay, A.underlay_if, ["udp", "dst", "port", "4789"])

    fwd = udp_frames(a1, b1, 8, sport=4001, dport=5001, size=300, tag=b"fwd")
    rev = udp_frames(b1, a1, 8, sport=5001, dport=4001, size=120, tag=b"rev")
    at_b1 = capture(b1.ns, b1.iface, ["udp", "dst", "port", "5001"])
    at_a1 = capture(a1.ns, a1.iface, ["udp", "dst", "port", "4001"])
    send_frames(a1, fwd, gap=0.002)
    send_frames(b1, rev, gap=0.002)
    wait_for(lambda: at_b1.count() >= len(fwd) and at_a1.count() >= len(rev),
             what="both directions delivered")
    assert_same_frames(fwd, at_b1.stop())
    assert_same_frames(rev, at_a1.stop())
    def ours(frames):
        """The copies of the test's UDP frames (not the ICMP errors the VMs
        answer them with, which quote them)."""
        from scapy.layers.inet import ICMP
        from scapy.layers.l2 import Ether
        return [f for f in frames if (b"fwd-" in f or b"rev-" in f) and ICMP not in Ether(f)]

    try:
        wait_for(lambda: len(ours(at_col.peek())) >= len(fwd) + len(rev), timeout=10,
                 what="every copy at the collector VM")
    except AssertionError as e:
        raise AssertionError(f"{e}: {len(ours(at_col.peek()))} there; A: "
                             f"{A.stats().get('sessions')} {A.drops()}; B: {B.drops()} "
                             f"{B.vteps()}; col vport on its host: "
                             f"{col.host.port_stats('col')}") from None
    at_col.settle()
    copies = ours(at_col.stop())
    # Byte-identical copies of the VM's frames, both directions, no outer
    # headers of the overlay inside.
    assert_same_frames(fwd + rev, copies)
    outer = under.stop()
    if where == "remote":
        # The copies crossed the underlay inside the overlay's VXLAN (VNI 100).
        from scapy.layers.l2 import Ether
        from scapy.layers.vxlan import VXLAN
        wrapped = [Ether(f) for f in outer if b"fwd-" in f or b"rev-" in f]
        assert any(p[VXLAN].vni == 100 and VXLAN in p[VXLAN].payload for p in wrapped), \
            [p.summary() for p in wrapped]
    assert A.alive() and B.alive()
