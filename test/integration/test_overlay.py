# SPDX-License-Identifier: Apache-2.0
"""VNets that span hosts (issue 16): three vswitchd "hosts" A, B and C, each
in a network namespace of its own with its own EAL prefix, uplinks
(192.0.2.11-13/24, MTU 1500; A's a TAP device, B's and C's af_packet on
veths) on one underlay bridge,
VM namespaces behind each host's TAP vports. Every host is programmed with
the VMs of the others as remote ports, as a control plane would.

  VNet blue  (tenant acme,   VNI 100, 10.1.0.0/24): a1 on A, b1 on B, c1 on C
  VNet green (tenant globex, VNI 200, 10.1.0.0/24): a2 on A, b2 on B, with
                                                    the same addresses as a1, b1

What crosses the underlay is captured on the bridge's ports (tcpdump) and
read with tshark and scapy. The fabric is built once for the module (3
daemons on a 2-core box); every test counts in deltas and undoes what it
changes."""

import socket
import subprocess
import threading
import time

import pytest
from scapy.layers.inet import ICMP, IP, UDP
from scapy.layers.l2 import ARP, Ether
from scapy.layers.vxlan import VXLAN
from scapy.packet import Raw

from conftest import (Fabric, Vm, grpc_channel, program_overlay, run, send_frames,
                      static_neighbors, wait_for)
from test_churn import _PACED_SENDER

BLUE_VNI, GREEN_VNI, RED_VNI = 100, 200, 300
PREFIX = "10.1.0.0/24"
IP1, IP2, IP3 = "10.1.0.1", "10.1.0.2", "10.1.0.3"


def mac(vnet, n):
    return f"02:00:00:{vnet:02x}:00:{n:02x}"


@pytest.fixture(scope="module")
def fabric(tmp_path_factory):
    f = Fabric(str(tmp_path_factory.mktemp("overlay")))
    try:
        # A's uplink is a TAP device (fragments reach the switch as sent),
        # B's and C's af_packet on veths.
        A = f.add_host(uplink="tap")
        B, C = f.add_host(), f.add_host()
        for h in (A, B, C):
            h.add_vnet("blue", "acme", BLUE_VNI, PREFIX)
        for h in (A, B):
            h.add_vnet("green", "globex", GREEN_VNI, PREFIX)
        f.a1 = A.attach_vm(f.vm_ns("a1"), "a1", "blue", IP1, mac(1, 1))
        f.b1 = B.attach_vm(f.vm_ns("b1"), "b1", "blue", IP2, mac(1, 2))
        f.c1 = C.attach_vm(f.vm_ns("c1"), "c1", "blue", IP3, mac(1, 3))
        f.a2 = A.attach_vm(f.vm_ns("a2"), "a2", "green", IP1, mac(2, 1))
        f.b2 = B.attach_vm(f.vm_ns("b2"), "b2", "green", IP2, mac(2, 2))
        program_overlay([f.a1, f.b1, f.c1, f.a2, f.b2])
        for h in (A, B, C):
            others = {o.ip for o in (A, B, C) if o is not h}
            wait_for(lambda: all(h.vteps().get(ip, {}).get("state") == "RESOLVED"
                                 for ip in others), timeout=20,
                     what=f"host {h.name}'s VTEPs {others} resolved ({h.vteps()})")
        f.A, f.B, f.C = A, B, C
        yield f
    finally:
        f.close()


# ------------------------------------------------------------------ helpers

def vxlan_frames(frames):
    """The scapy packets among `frames` that are VXLAN on UDP 4789."""
    out = []
    for fr in frames:
        p = Ether(fr)
        if UDP in p and p[UDP].dport == 4789 and VXLAN in p:
            out.append(p)
    return out


def inner(p):
    return p[VXLAN].payload


def with_marker(frames, marker):
    return [f for f in frames if marker in bytes(f)]


def udp_with_marker(frames, marker):
    """with_marker, without the ICMP errors that quote a marked datagram."""
    return [f for f in with_marker(frames, marker) if ICMP not in Ether(f)]


def tshark_fields(path, fields, display="vxlan"):
    """One tuple per packet: the first occurrence (the outer header's) of
    every field."""
    cmd = ["tshark", "-r", str(path), "-Y", display, "-T", "fields", "-E", "occurrence=f",
           "-E", "separator=|"]
    for fl in fields:
        cmd += ["-e", fl]
    res = run(cmd, timeout=60)
    return [tuple(line.split("|")) for line in res.stdout.splitlines() if line.strip()]


def udp_frame(src, dst, sport=4000, dport=9, payload=b"x" * 32, dst_mac=None, src_mac=None,
              src_ip=None):
    return bytes(Ether(src=src_mac or src.mac, dst=dst_mac or dst.mac) /
                 IP(src=src_ip or src.ip, dst=dst.ip) / UDP(sport=sport, dport=dport) /
                 Raw(payload))


def vport_counts(host, name):
    st = host.port_stats(name)
    return {"rx": int(st.get("rx_packets", 0)), "tx": int(st.get("tx_packets", 0)),
            "drops": {x["reason"]: int(x.get("packets", 0)) for x in st.get("drops", [])}}


def delta(after, before):
    return {k: after.get(k, 0) - before.get(k, 0) for k in set(after) | set(before)
            if after.get(k, 0) != before.get(k, 0)}


def underlay_port(fabric, host):
    """The underlay bridge's port towards `host`'s uplink, as a Vm-like
    sender (send_frames on it delivers to the host's uplink)."""
    return Vm(fabric.underlay, host.underlay_if, host.mac, host.ip, None)


def ping_ok(vm, ip, count=3):
    res = vm.ping(ip, count=count, interval=0.2, check=False)
    return res.returncode == 0 and f"{count} received" in res.stdout, res.stdout + res.stderr


SERVER = r"""
import socket, sys, threading
port = int(sys.argv[1])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("0.0.0.0", port))
t = socket.socket()
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("0.0.0.0", port))
t.listen(4)
def udp():
    while True:
        data, peer = u.recvfrom(65535)
        u.sendto(data.upper(), peer)
threading.Thread(target=udp, daemon=True).start()
print("ready", flush=True)
while True:
    c, _ = t.accept()
    total = 0
    while True:
        b = c.recv(65536)
        if not b:
            break
        total += len(b)
    c.sendall(str(total).encode())
    c.close()
"""

CLIENT = r"""
import socket, sys
ip, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(2)
for i in range(5):
    u.sendto(b"hello %d" % i, (ip, port))
    data, _ = u.recvfrom(100)
    assert data == (b"hello %d" % i).upper(), data
t = socket.create_connection((ip, port), timeout=10)
blob = bytes(range(256)) * (n // 256)
t.sendall(blob)
t.shutdown(socket.SHUT_WR)
t.settimeout(10)
print(t.recv(100).decode(), flush=True)
"""


# ------------------------------------------------------------------ tests

def test_vms_ping_across_hosts(fabric):
    A, B = fabric.A, fabric.B
    before = A.vteps()
    for src, dst in ((fabric.a1, fabric.b1), (fabric.b1, fabric.a1), (fabric.a1, fabric.c1),
                     (fabric.c1, fabric.b1), (fabric.a2, fabric.b2)):
        ok, out = ping_ok(src, dst.ip)
        assert ok, f"{src.vport} -> {dst.vport}: {out}"
    v = A.vteps()
    # B has a blue and a green VM, C a blue one.
    assert int(v[B.ip]["remote_ports"]) == 2 and int(v[fabric.C.ip]["remote_ports"]) == 1, v
    for ip in (B.ip, fabric.C.ip):
        assert int(v[ip].get("tx_packets", 0)) > int(before[ip].get("tx_packets", 0)), v
        assert int(v[ip].get("rx_packets", 0)) > int(before[ip].get("rx_packets", 0)), v
    # The shell's table has the per-VTEP columns.
    head = A.vsctl("show", "vteps").stdout.splitlines()[0].split()
    assert head[:3] == ["IP", "PORTS", "STATE"] and "REPLICATED" in head, head
    ports = A.remote_ports("blue")
    assert {p["mac"]: p["vtep"] for p in ports} == {fabric.b1.mac: B.ip,
                                                   fabric.c1.mac: fabric.C.ip}, ports


def test_udp_and_tcp_across_hosts(fabric):
    a1, b1 = fabric.a1, fabric.b1
    server = b1.ns.popen("/usr/bin/python3", "-c", SERVER, "7000", stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline().strip() == "ready", server.stderr.read()
        n = 256 * 2000  # 512 KB: hundreds of full 1450-byte segments.
        res = a1.ns.exec("/usr/bin/python3", "-c", CLIENT, b1.ip, "7000", str(n), check=False,
                         timeout=60)
        assert res.returncode == 0, res.stdout + res.stderr
        assert res.stdout.strip() == str(n), res.stdout
    finally:
        server.kill()
        server.wait(timeout=10)


def test_outer_headers(fabric, capture):
    A, B, a1, b1 = fabric.A, fabric.B, fabric.a1, fabric.b1
    static_neighbors(a1, b1)
    cap = capture(fabric.underlay, A.underlay_if, ["udp", "dst", "port", "4789"])
    marker = b"outer-headers"
    flows = 16
    frames = [udp_frame(a1, b1, sport=5000 + i, payload=marker + b"%02d" % i)
              for i in range(flows) for _ in range(2)]
    frames += [udp_frame(b1, a1, sport=6000, payload=marker + b"rev")]
    send_frames(a1, frames[:-1])
    send_frames(b1, frames[-1:])
    wait_for(lambda: len(udp_with_marker(cap.peek(), marker)) >= len(frames),
             what="every frame encapsulated on the underlay")
    cap.settle()
    got = udp_with_marker(cap.stop(), marker)
    assert len(got) == len(frames), len(got)
    rows = tshark_fields(cap.path, ["eth.src", "eth.dst", "ip.src", "ip.dst", "ip.flags.df",
                                    "udp.srcport", "udp.dstport", "vxlan.vni"],
                         display=f"vxlan && !icmp && frame contains \"{marker.decode()}\"")
    assert len(rows) == len(frames), rows
    fwd = [r for r in rows if r[2] == A.ip]
    rev = [r for r in rows if r[2] == B.ip]
    assert len(fwd) == 2 * flows and len(rev) == 1, rows
    for r in fwd:
        assert r[:4] == (A.mac, B.mac, A.ip, B.ip), r
    assert rev[0][:4] == (B.mac, A.mac, B.ip, A.ip), rev
    for r in rows:
        assert r[4] in ("1", "True") and r[6] == "4789" and r[7] == str(BLUE_VNI), r
    # Entropy: the outer source port follows the inner flow, the same for
    # both frames of a flow, and differs between flows.
    by_flow = {}
    for p in vxlan_frames(got):
        if p[IP].src == A.ip:
            by_flow.setdefault(inner(p)[UDP].sport, set()).add(p[UDP].sport)
    assert all(len(s) == 1 for s in by_flow.values()), by_flow
    distinct = {next(iter(s)) for s in by_flow.values()}
    assert len(distinct) >= flows // 2, by_flow
    # The inner frame is the VM's, byte for byte.
    sent = {bytes(Ether(f)[Raw].load): f for f in frames}
    for p in vxlan_frames(got):
        assert bytes(inner(p)) == sent[bytes(inner(p)[Raw].load)]


def test_same_addresses_in_another_vnet_stay_isolated(fabric, capture):
    a1, a2, b1, b2 = fabric.a1, fabric.a2, fabric.b1, fabric.b2
    cap_u = capture(fabric.underlay, fabric.A.underlay_if, ["udp", "dst", "port", "4789"])
    at_b1 = capture(b1.ns, b1.iface, ["icmp"])
    at_b2 = capture(b2.ns, b2.iface, ["icmp"])
    # Both VMs of A ping 10.1.0.2: each reaches the VM of its own VNet only.
    for vm in (a1, a2):
        vm.ns.exec("ip", "neigh", "flush", "dev", vm.iface)
        ok, out = ping_ok(vm, IP2)
        assert ok, out
    assert fabric.b1.mac in a1.ns.exec("ip", "neigh", "show", IP2).stdout
    assert fabric.b2.mac in a2.ns.exec("ip", "neigh", "show", IP2).stdout
    # A frame of blue addressed to green's MAC is flooded in blue only:
    # b2 never sees it.
    marker = b"cross-tenant"
    send_frames(a1, [udp_frame(a1, b2, payload=marker, dst_mac=b2.mac)] * 3)
    time.sleep(0.5)
    cap_u.settle()
    b1_icmp = [Ether(f) for f in at_b1.stop()]
    b2_icmp = [Ether(f) for f in at_b2.stop()]
    assert b1_icmp and b2_icmp
    assert all(p.src == a1.mac or p.dst == a1.mac for p in b1_icmp), [p.summary() for p in b1_icmp]
    assert all(p.src == a2.mac or p.dst == a2.mac for p in b2_icmp), [p.summary() for p in b2_icmp]
    outer = vxlan_frames(cap_u.stop())
    for p in outer:
        vni, src = p[VXLAN].vni, Ether(bytes(inner(p))).src
        assert vni == (BLUE_VNI if src in (a1.mac, b1.mac) else GREEN_VNI), p.summary()
    assert {p[VXLAN].vni for p in outer} == {BLUE_VNI, GREEN_VNI}
    # The cross-tenant frame went out in blue (VNI 100), if at all.
    assert all(p[VXLAN].vni == BLUE_VNI for p in outer if marker in bytes(p))


def test_arp_for_a_remote_vm_is_answered_locally(fabric, capture):
    a1, b1 = fabric.a1, fabric.b1
    a1.ns.exec("ip", "neigh", "flush", "dev", a1.iface)
    cap_u = capture(fabric.underlay, fabric.A.underlay_if)
    at_b1 = capture(b1.ns, b1.iface, ["arp"])
    ok, out = ping_ok(a1, b1.ip, count=2)
    assert ok, out
    # a1 learned b1's MAC from the reply the switch made.
    assert b1.mac in a1.ns.exec("ip", "neigh", "show", b1.ip).stdout
    time.sleep(0.3)
    frames = [Ether(f) for f in cap_u.stop()]
    arp_plain = [p for p in frames if ARP in p and p[ARP].pdst == b1.ip]
    arp_inner = [p for p in frames if VXLAN in p and ARP in inner(p)]
    assert not arp_plain and not arp_inner, [p.summary() for p in arp_plain + arp_inner]
    # The echo crossed, so the capture was live.
    assert any(VXLAN in p and ICMP in inner(p) for p in frames), [p.summary() for p in frames]
    assert not [Ether(f) for f in at_b1.stop() if Ether(f)[ARP].psrc == a1.ip]


def test_broadcast_reaches_every_host_of_the_vnet_once(fabric, capture):
    A, B, C = fabric.A, fabric.B, fabric.C
    a1, b1, c1, b2 = fabric.a1, fabric.b1, fabric.c1, fabric.b2
    marker = b"broadcast-once"
    n = 5
    cap_u = capture(fabric.underlay, A.underlay_if, ["udp", "dst", "port", "4789"])
    at = {vm.vport: capture(vm.ns, vm.iface, ["udp"]) for vm in (b1, c1, b2)}
    before = A.vteps()
    frames = [bytes(Ether(src=a1.mac, dst="ff:ff:ff:ff:ff:ff") /
                    IP(src=a1.ip, dst="10.1.0.255") / UDP(sport=7777, dport=7777) /
                    Raw(marker + b"%d" % i)) for i in range(n)]
    send_frames(a1, frames, gap=0.01)
    wait_for(lambda: len(with_marker(cap_u.peek(), marker)) >= 2 * n,
             what="the replicas on the underlay")
    time.sleep(0.5)
    cap_u.settle()
    outer = vxlan_frames(with_marker(cap_u.stop(), marker))
    by_vtep = {}
    for p in outer:
        assert p[IP].src == A.ip and p[VXLAN].vni == BLUE_VNI, p.summary()
        by_vtep[p[IP].dst] = by_vtep.get(p[IP].dst, 0) + 1
    # One copy per other VTEP of blue, per frame.
    assert by_vtep == {B.ip: n, C.ip: n}, by_vtep
    got = {name: len(with_marker(c.stop(), marker)) for name, c in at.items()}
    assert got == {"b1": n, "c1": n, "b2": 0}, got
    after = A.vteps()
    for ip in (B.ip, C.ip):
        rep = int(after[ip].get("replicated", 0)) - int(before[ip].get("replicated", 0))
        assert rep == n, (ip, before[ip], after[ip])


def test_port_security_on_overlay_ports(fabric, capture):
    A, B, a1, b1, c1 = fabric.A, fabric.B, fabric.a1, fabric.b1, fabric.c1
    marker = b"spoof"
    cap_u = capture(fabric.underlay, A.underlay_if, ["udp", "dst", "port", "4789"])
    at_b1 = capture(b1.ns, b1.iface)
    before = vport_counts(A, "a1")["drops"]
    spoofs = ([udp_frame(a1, b1, payload=marker + b"mac", src_mac="02:00:00:01:00:99")] * 5 +
              [udp_frame(a1, b1, payload=marker + b"ip", src_ip="10.1.0.99")] * 5 +
              # ARP announcing b1's address with a1's MAC (poisoning).
              [bytes(Ether(src=a1.mac, dst="ff:ff:ff:ff:ff:ff") /
                     ARP(op=2, hwsrc=a1.mac, psrc=b1.ip, hwdst="ff:ff:ff:ff:ff:ff",
                         pdst=b1.ip) / Raw(marker + b"arp"))] * 5)
    send_frames(a1, spoofs, gap=0.005)
    wait_for(lambda: delta(vport_counts(A, "a1")["drops"], before).get("spoofed_src", 0) >= 15,
             what=f"15 spoofed_src drops on a1 ({vport_counts(A, 'a1')})")
    ok, out = ping_ok(a1, b1.ip)
    assert ok, out
    time.sleep(0.3)
    assert not with_marker(cap_u.stop(), marker)
    assert not with_marker(at_b1.stop(), marker)
    assert delta(vport_counts(A, "a1")["drops"], before) == {"spoofed_src": 15}
    # b1 still knows a1's true MAC... and its own address is b1's.
    assert a1.mac not in b1.ns.exec("ip", "neigh", "show", b1.ip).stdout

    # From the underlay: B's VTEP sends a frame whose inner source is c1's
    # MAC (a remote port of C): A drops it as overlay_spoofed.
    at_a1 = capture(a1.ns, a1.iface, ["udp"])
    drops0 = A.drops()
    forged = bytes(Ether(src=B.mac, dst=A.mac) / IP(src=B.ip, dst=A.ip, flags="DF") /
                   UDP(sport=50000, dport=4789) / VXLAN(vni=BLUE_VNI, flags=0x08) /
                   Ether(src=c1.mac, dst=a1.mac) / IP(src=c1.ip, dst=a1.ip) /
                   UDP(sport=1, dport=9) / Raw(marker + b"overlay"))
    send_frames(underlay_port(fabric, A), [forged] * 4)
    wait_for(lambda: delta(A.drops(), drops0).get("overlay_spoofed", 0) >= 4,
             what=f"4 overlay_spoofed drops on A ({delta(A.drops(), drops0)})")
    time.sleep(0.2)
    assert not with_marker(at_a1.stop(), marker)
    assert delta(A.drops(), drops0) == {"overlay_spoofed": 4}


def _vxlan(src_ip, dst_ip, vni, inner_frame, src_mac, dst_mac, sport=50001):
    return (Ether(src=src_mac, dst=dst_mac) / IP(src=src_ip, dst=dst_ip, flags="DF") /
            UDP(sport=sport, dport=4789) / VXLAN(vni=vni, flags=0x08) / inner_frame)


def test_unknown_and_malformed_outer_headers_are_counted(fabric, capture):
    A, B, a1, b1 = fabric.A, fabric.B, fabric.a1, fabric.b1
    marker = b"malformed"
    inner_frame = (Ether(src=b1.mac, dst=a1.mac) / IP(src=b1.ip, dst=a1.ip) /
                   UDP(sport=1, dport=9) / Raw(marker))
    good = _vxlan(B.ip, A.ip, BLUE_VNI, inner_frame, B.mac, A.mac)

    def raw_ip_udp(udp_payload, udp_len=None, flags="DF", frag=0):
        """Outer headers built by hand so the lengths can lie."""
        u = UDP(sport=50002, dport=4789, len=udp_len) / Raw(udp_payload)
        if udp_len is not None:
            u[UDP].chksum = 0
        return bytes(Ether(src=B.mac, dst=A.mac) / IP(src=B.ip, dst=A.ip, flags=flags,
                                                       frag=frag) / u)

    vxlan_bytes = bytes(good[VXLAN])
    cases = [
        ("unknown VNI", "unknown_vni", bytes(_vxlan(B.ip, A.ip, 999, inner_frame, B.mac, A.mac))),
        ("unknown VTEP", "unknown_vtep",
         bytes(_vxlan("192.0.2.77", A.ip, BLUE_VNI, inner_frame, B.mac, A.mac))),
        ("truncated VXLAN header", "bad_vxlan", raw_ip_udp(vxlan_bytes[:4])),
        ("UDP length beyond the IP packet", "bad_vxlan",
         raw_ip_udp(vxlan_bytes, udp_len=len(vxlan_bytes) + 8 + 200)),
        ("VXLAN I flag clear", "bad_vxlan", raw_ip_udp(b"\x00" + vxlan_bytes[1:])),
        ("first fragment", "bad_vxlan", raw_ip_udp(vxlan_bytes, flags="MF")),
        ("VXLAN header without an inner frame", "bad_vxlan", raw_ip_udp(vxlan_bytes[:8])),
    ]
    at_a1 = capture(a1.ns, a1.iface, ["udp"])
    sender = underlay_port(fabric, A)
    wrong = []
    for label, reason, frame in cases:
        d0 = A.drops()
        send_frames(sender, [frame] * 3, gap=0.002)
        try:
            wait_for(lambda: delta(A.drops(), d0).get(reason, 0) >= 3, timeout=3,
                     what=f"3 {reason} drops")
        except AssertionError:
            pass  # Reported below with what was counted.
        got = delta(A.drops(), d0)
        if got != {reason: 3}:
            wrong.append((label, f"expected {reason} x3", got))
        assert A.alive(), A.daemon.read_log()
    assert not wrong, wrong
    # None reached the VM; the honest frame still does; a1 <-> b1 works.
    d0 = A.drops()
    send_frames(sender, [bytes(good)] * 2)
    wait_for(lambda: len(with_marker(at_a1.peek(), marker)) >= 2, what="the honest frame at a1")
    time.sleep(0.2)
    assert len(with_marker(at_a1.stop(), marker)) == 2
    assert delta(A.drops(), d0) == {}
    ok, out = ping_ok(a1, b1.ip)
    assert ok, out


def test_overlay_mtu(fabric):
    A, a1, b1 = fabric.A, fabric.a1, fabric.b1
    a1.ns.exec("ip", "link", "set", a1.iface, "mtu", "1500")
    try:
        before = vport_counts(A, "a1")["drops"]
        # 1500 bytes of IP: 1550 with the outer headers, more than the uplink's MTU.
        res = a1.ns.exec("ping", "-c", "3", "-i", "0.2", "-W", "1", "-M", "do", "-s", "1472",
                         b1.ip, check=False, timeout=20)
        assert "0 received" in res.stdout, res.stdout
        wait_for(lambda: delta(vport_counts(A, "a1")["drops"], before).get("overlay_mtu", 0)
                 >= 3, what="3 overlay_mtu drops")
        assert delta(vport_counts(A, "a1")["drops"], before) == {"overlay_mtu": 3}
        # 1450 bytes of IP: exactly 1500 outside.
        res = a1.ns.exec("ping", "-c", "3", "-i", "0.2", "-W", "1", "-M", "do", "-s", "1422",
                         b1.ip, check=False, timeout=20)
        assert "3 received" in res.stdout, res.stdout
        assert delta(vport_counts(A, "a1")["drops"], before) == {"overlay_mtu": 3}
    finally:
        a1.ns.exec("ip", "link", "set", a1.iface, "mtu", "1450")


UDP_SINK = r"""
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
s.bind(("0.0.0.0", 9))
print("ready", flush=True)
while True:
    s.recv(2048)
"""

CHURN_SECONDS = 3.0
CHURN_RATE = 1000
MIN_CHURN_RATE = 150  # As test_churn: a floor only a blocking change path misses.


def test_remote_port_churn_under_cross_host_traffic(fabric, grpc_stubs):
    pb2, pb2_grpc = grpc_stubs
    A, B, C, a1, b1 = fabric.A, fabric.B, fabric.C, fabric.a1, fabric.b1
    A.add_vnet("red", "acme", RED_VNI, "10.3.0.0/16")
    sinks = [vm.ns.popen("/usr/bin/python3", "-c", UDP_SINK, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True) for vm in (a1, b1)]
    channel = grpc_channel(A.daemon)
    try:
        for s in sinks:
            assert s.stdout.readline().strip() == "ready", s.stderr.read()
        stub = pb2_grpc.VSwitchStub(channel)
        a_before = {n: vport_counts(A, n) for n in ("a1", "up0")}
        b_before = vport_counts(B, "b1")
        drops_a, drops_b = A.drops(), B.drops()
        senders = [vm.ns.popen("/usr/bin/python3", "-c", _PACED_SENDER, vm.iface,
                               udp_frame(vm, peer).hex(), "1500", str(CHURN_SECONDS + 1.0),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                   for vm, peer in ((a1, b1), (b1, a1))]
        time.sleep(0.5)
        errors, done = [], [0]
        stop = threading.Event()

        def churn(first, step, rate):
            # Paced: change k is due at k/rate seconds from the start.
            k, t0 = 0, time.monotonic()
            while not stop.is_set():
                i = first + k * step
                m = "02:03:%02x:%02x:%02x:01" % ((i >> 16) & 255, (i >> 8) & 255, i & 255)
                port = pb2.RemotePort(vnet="red", mac=m, vtep=(B.ip, C.ip)[i % 2],
                                      ips=["10.3.%d.%d" % ((i >> 8) & 255, i & 255)])
                try:
                    stub.AddRemotePort(pb2.AddRemotePortRequest(port=port), timeout=30)
                    stub.RemoveRemotePort(pb2.RemoveRemotePortRequest(vnet="red", mac=m),
                                          timeout=30)
                except Exception as e:  # noqa: BLE001 — asserted below.
                    errors.append(repr(e))
                    return
                done[0] += 2
                k += 1
                ahead = 2 * k / rate - (time.monotonic() - t0)
                if ahead > 0:
                    time.sleep(ahead)

        threads = [threading.Thread(target=churn, args=(i, 2, CHURN_RATE / 2)) for i in range(2)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        time.sleep(CHURN_SECONDS)
        stop.set()
        for t in threads:
            t.join(timeout=60)
        rate = done[0] / (time.monotonic() - t0)
        sent = []
        for s in senders:
            out, err = s.communicate(timeout=60)
            assert s.returncode == 0, err
            sent.append(int(out.strip()))
        print(f"remote-port churn: {rate:.0f} changes/s while {sent} frames crossed "
              f"(target {CHURN_RATE}/s)")
        assert not errors, errors[:5]
        assert rate >= MIN_CHURN_RATE, rate

        sent_a, sent_b = sent
        wait_for(lambda: (vport_counts(B, "b1")["tx"] - b_before["tx"] >= sent_a and
                          vport_counts(A, "a1")["tx"] - a_before["a1"]["tx"] >= sent_b),
                 timeout=15, what="every frame delivered")
        a1_now, b1_now = vport_counts(A, "a1"), vport_counts(B, "b1")
        assert a1_now["rx"] - a_before["a1"]["rx"] == sent_a
        assert b1_now["tx"] - b_before["tx"] == sent_a
        assert b1_now["rx"] - b_before["rx"] == sent_b
        assert a1_now["tx"] - a_before["a1"]["tx"] == sent_b
        assert delta(A.drops(), drops_a) == {} and delta(B.drops(), drops_b) == {}
        assert not A.remote_ports("red")
    finally:
        stop_all = [p for p in sinks]
        for p in stop_all:
            p.kill()
            p.wait(timeout=10)
        channel.close()
        A.vsctl("del", "vnet", "red", check=False)
