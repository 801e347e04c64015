# SPDX-License-Identifier: Apache-2.0
"""Frames longer than one mbuf, up to the longest a port delivers, and
longer: received on a `pcap` vport (net_pcap scatters a record into a chain
of 2 KB mbufs), switched to a VM vport that a TAP session mirrors to a
pcapng file and to a VXLAN collector (the kernel's VXLAN device in a
namespace). tshark reads every file back.

The issue's frame: an 80,116-byte BIG TCP IPv4 packet inside GENEVE, as
captured on a Linux host with BIG TCP on (its IPv4 total length is 0: the
field cannot hold the size). net_pcap of DPDK 22.11 scatters it with a
uint16_t length: 14,580 bytes in the chain under pkt_len 80,116. Mirrored
to pcapng, rte_pcapng_copy walked off the chain's end and vswitchd died
(SIGSEGV). Now such a chain is dropped at RX as `bad_chain`, and every
consistent chain is switched and mirrored whole."""

import collections
import struct

from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Raw

from conftest import (mirror_settled, port_counters, tshark_packets, wait_for, wait_neighbor,
                      write_pcap_file)

SRC_MAC, VM_MAC = "02:00:00:00:0b:01", "02:00:00:00:0b:02"
VNI = 5000
# net_tap takes at most 1504: a copy keeps the first 1464 bytes of its
# chain, the rest of the chain's clone is freed at encap.
UPLINK_MTU = 1500
INNER_MAX = UPLINK_MTU - 36  # Outer IPv4/UDP/VXLAN.
# The longest frame net_pcap delivers whole: its scatter takes the record's
# length as a uint16_t.
PCAP_MAX_WHOLE = 65535
# net_pcap's tx_pcap writes at most this much of a frame (its
# RTE_ETH_PCAP_SNAPLEN), with the frame's length as the original length.
PCAP_TX_SNAPLEN = 16128


def big_tcp_geneve(size, tag=0):
    """A BIG TCP IPv4 packet in GENEVE, `size` bytes; both IPv4 total
    lengths and the UDP length are 0, as Linux captures them."""
    inner = bytes(Ether(src="02:00:00:00:0a:01", dst="02:00:00:00:0a:02") /
                  IP(src="10.11.0.1", dst="10.11.0.2", len=0, flags="DF") /
                  TCP(sport=40000, dport=5201, flags="A", seq=tag))
    outer = bytes(Ether(src=SRC_MAC, dst=VM_MAC) /
                  IP(src="192.0.2.1", dst="192.0.2.2", len=0, id=tag) /
                  UDP(sport=49152, dport=6081, len=0, chksum=0))
    head = outer + b"\x00\x00\x65\x58\x00\x00\x01\x00" + inner
    body = bytes((i * 7 + tag) & 0xff for i in range(size - len(head)))
    return head + body


def udp_frame(size, tag):
    head = Ether(src=SRC_MAC, dst=VM_MAC) / IP(src="10.11.0.1", dst="10.11.0.2", id=tag) / UDP(
        sport=1000 + tag, dport=2000)
    n = size - len(head)
    return bytes(head / Raw(bytes((i + tag) & 0xff for i in range(n))))


def pcap_world(d, tmp_path, collector=None):
    """VNet blue with the VM vport `vm` (net_pcap writing what it is sent
    to vm_out.pcap; a static FDB entry for its MAC) and a pcapng
    destination `cap`; with `collector`, also the uplink (MTU 1500) and a
    VXLAN destination `col`."""
    d.vsctl("add", "vnet", "blue", "tenant", "acme", "vni", "100")
    out = tmp_path / "vm_out.pcap"
    d.vsctl("add", "vport", "vm", "vnet", "blue", "driver", f"pcap:tx_pcap={out}")
    d.vsctl("add", "fdb", "blue", VM_MAC, "vm")
    d.vsctl("add", "destination", "cap", "vnet", "blue", "pcapng", "vm.pcapng")
    dests = ["destination", "cap"]
    col = None
    if collector is not None:
        col = collector(d, vni=VNI, mtu=UPLINK_MTU)
        d.vsctl("add", "destination", "col", "vnet", "blue", "vni", str(VNI), "collector",
                col.hosts[0].ip)
        wait_neighbor(d, col.hosts[0].ip)
        dests += ["destination", "col"]
    d.vsctl("add", "tap-session", "t", "source", "vm", "direction", "rx", *dests)
    return out, col


def replay(d, tmp_path, frames):
    """Adds the pcap vport `src` replaying `frames` once; returns when all
    are received and each is delivered to vm or dropped, with the
    counters."""
    path = tmp_path / "src.pcap"
    write_pcap_file(path, frames)
    d.vsctl("add", "vport", "src", "vnet", "blue", "driver", f"pcap:rx_pcap={path}")

    def accounted():
        c = port_counters(d)
        src, vm = c["src"], c["vm"]
        return (src["rx"] == len(frames) and
                vm["tx"] + sum(src["drops"].values()) + sum(vm["drops"].values()) ==
                len(frames) and c)
    return wait_for(accounted, timeout=30, what="every frame delivered or dropped")


def test_issue_big_tcp_frame_to_rx_tapped_vm_with_pcapng(vswitchd_factory, tmp_path):
    cap_dir = tmp_path / "captures"
    d = vswitchd_factory(f"--capture_dir={cap_dir}")
    out, _ = pcap_world(d, tmp_path)
    big = big_tcp_geneve(80116)
    before, after = udp_frame(200, 1), udp_frame(9000, 2)
    frames = [before, big, after, udp_frame(60, 3)]

    c = replay(d, tmp_path, frames)
    assert d.proc.poll() is None, f"vswitchd died: {d.proc.returncode}\n{d.read_log()[-3000:]}"
    d.vsctl("show", "health")
    # The frame whose chain lies is dropped with its reason; the rest of
    # the burst is switched.
    assert c["src"]["drops"] == {"bad_chain": 1}, c
    assert c["vm"]["tx"] == 3 and not c["vm"]["drops"], c
    shown = d.vsctl("show", "drops").stdout
    assert any(line.split() == ["bad_chain", "1"] for line in shown.splitlines()), shown
    m = mirror_settled(d)
    assert m[("destination", "cap")]["sent_packets"] == 3, m
    assert m[("session", "t")]["matched"] == 3, m
    delivered = [f for f in frames if f is not big]
    d.vsctl("del", "tap-session", "t")
    d.vsctl("del", "destination", "cap")  # Closes the file.
    d.vsctl("del", "vport", "vm")  # Closes its pcap.
    assert [(ln, data) for ln, _, data in tshark_packets(cap_dir / "vm.pcapng")] == \
        [(len(f), f) for f in delivered]
    assert [(ln, data) for ln, _, data in tshark_packets(out)] == \
        [(len(f), f[:PCAP_TX_SNAPLEN]) for f in delivered]


def test_chains_of_every_size_mirrored_to_pcapng_and_vxlan(vswitchd_factory, collector, capture,
                                                        tmp_path):
    cap_dir = tmp_path / "captures"
    d = vswitchd_factory(f"--capture_dir={cap_dir}")
    out, col = pcap_world(d, tmp_path, collector)
    host = col.hosts[0]
    c_under = capture(host.ns, host.iface, bpf=["udp", "dst", "port", str(4789)])
    # One mbuf holds 2048 bytes: 1 to 32 segments, at and around the
    # boundaries, up to the longest net_pcap delivers; then longer ones,
    # which net_pcap of DPDK 22.11 hands over as lying chains.
    whole = [udp_frame(n, i) for i, n in enumerate(
        (60, 1514, 2047, 2048, 2049, 4095, 4097, 8950, 9000, 16385, 32771, 40000, 65534,
         PCAP_MAX_WHOLE))]
    longer = [big_tcp_geneve(80116, 1), big_tcp_geneve(200000, 2), big_tcp_geneve(262144, 3)]
    frames = whole + longer

    c = replay(d, tmp_path, frames)
    assert d.proc.poll() is None, f"vswitchd died: {d.proc.returncode}\n{d.read_log()[-3000:]}"
    bad = c["src"]["drops"].get("bad_chain", 0)
    # received = delivered + dropped with a reason; only the longer ones may
    # be bad chains (all three are with DPDK 22.11).
    assert set(c["src"]["drops"]) <= {"bad_chain"} and not c["vm"]["drops"], c
    assert c["vm"]["tx"] + bad == len(frames) and c["vm"]["tx"] >= len(whole), c
    m = mirror_settled(d)
    delivered = c["vm"]["tx"]
    assert m[("session", "t")]["matched"] == 2 * delivered, m
    assert m[("destination", "cap")]["sent_packets"] == delivered, m
    assert m[("destination", "col")]["sent_packets"] == delivered, m
    assert m[("destination", "col")]["truncated"] >= sum(len(f) > INNER_MAX for f in whole), m
    wait_for(lambda: c_under.count() >= delivered, timeout=10, what="the copies at the collector")
    c_under.settle()
    c_under.stop()
    d.vsctl("del", "tap-session", "t")
    d.vsctl("del", "destination", "cap")
    d.vsctl("del", "vport", "vm")

    # pcapng: every delivered frame whole, original length = frame length.
    got = tshark_packets(cap_dir / "vm.pcapng")
    assert len(got) == delivered
    for ln, cap_len, data in got:
        assert ln == len(data) == cap_len, (ln, cap_len, len(data))
    assert collections.Counter(data for _, _, data in got) >= collections.Counter(whole)
    # What the VM vport sent is what was mirrored (as much as net_pcap writes).
    sent = tshark_packets(out)
    assert collections.Counter((ln, data) for ln, _, data in sent) == \
        collections.Counter((ln, data[:PCAP_TX_SNAPLEN]) for ln, _, data in got)
    # VXLAN: each copy cut to the uplink MTU, the frame's first bytes,
    # with IPv4/UDP lengths that agree (tshark decodes the outer headers).
    under = tshark_packets(c_under.path)
    assert len(under) == delivered
    inner = collections.Counter(data[50:] for _, _, data in under)
    assert inner >= collections.Counter(f[:INNER_MAX] for f in whole), "copies differ"
    for _, _, data in under:
        ip_len, = struct.unpack_from("!H", data, 16)
        udp_len, = struct.unpack_from("!H", data, 38)
        assert ip_len == len(data) - 14 and udp_len == ip_len - 20, (len(data), ip_len, udp_len)
