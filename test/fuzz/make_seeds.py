#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the seed inputs of test/fuzz/corpus/<target>/seed_*: frames made
with scapy and taken from the golden pcaps (test/vectors), config texts, and
RPC requests serialised with the real schema. Inputs libFuzzer found are
kept next to them under their SHA-1 names. Run from anywhere:
    /usr/bin/python3 test/fuzz/make_seeds.py
"""

import glob
import os
import struct
import subprocess
import sys
import tempfile

from scapy.all import (ARP, Dot1AD, Dot1Q, Ether, ICMP, ICMPv6EchoRequest, IP, IPOption_RR, IPv6,
                       IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
                       IPv6ExtHdrRouting, LLC, Raw, SCTP, TCP, UDP, rdpcap)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")

A = "02:00:00:00:00:01"
B = "02:00:00:00:00:02"


def eth(*layers):
    p = Ether(dst=B, src=A)
    for layer in layers:
        p = p / layer
    return bytes(p)


def frames():
    """(name, bytes) of the frames the packet targets start from."""
    ip = IP(src="10.1.0.1", dst="10.1.0.2")
    out = [
        ("udp", eth(ip, UDP(sport=41000, dport=53), Raw(b"q" * 20))),
        ("tcp_syn", eth(ip, TCP(sport=40000, dport=80, flags="S"))),
        ("icmp", eth(ip, ICMP())),
        ("sctp", eth(ip, SCTP(sport=1, dport=2))),
        ("vlan_udp", eth(Dot1Q(vlan=10), ip, UDP())),
        ("qinq_udp", eth(Dot1AD(vlan=20), Dot1Q(vlan=10), ip, UDP())),
        ("three_tags", eth(Dot1Q(vlan=1), Dot1Q(vlan=2), Dot1Q(vlan=3), ip, UDP())),
        ("ip_options", eth(IP(src="10.1.0.1", dst="10.1.0.2", options=[IPOption_RR()]), UDP())),
        ("frag_first", eth(IP(src="10.1.0.1", dst="10.1.0.2", flags="MF"), UDP(), Raw(b"x" * 16))),
        ("frag_later", eth(IP(src="10.1.0.1", dst="10.1.0.2", frag=3), Raw(b"x" * 16))),
        ("ipv6_udp", eth(IPv6(src="fd00::1", dst="fd00::2"), UDP())),
        ("ipv6_ext_chain", eth(IPv6(src="fd00::1", dst="fd00::2"), IPv6ExtHdrHopByHop(),
                               IPv6ExtHdrRouting(), IPv6ExtHdrDestOpt(),
                               IPv6ExtHdrFragment(), UDP())),
        ("ipv6_frag_later", eth(IPv6(src="fd00::1", dst="fd00::2"),
                                IPv6ExtHdrFragment(offset=185, m=0), UDP())),
        ("ipv6_ah_tcp", eth(IPv6(src="fd00::1", dst="fd00::2", nh=51),
                            bytes([6, 4]) + bytes(22), TCP(sport=443, dport=50000))),
        ("ipv6_nine_dest_opts", eth(IPv6(src="fd00::1", dst="fd00::2"),
                                    *[IPv6ExtHdrDestOpt() for _ in range(9)], UDP())),
        ("ipv6_jumbo_hbh", eth(IPv6(src="fd00::1", dst="fd00::2", plen=0),
                               IPv6ExtHdrHopByHop(), UDP())),
        ("ipv6_cut_in_chain", eth(IPv6(src="fd00::1", dst="fd00::2"), IPv6ExtHdrHopByHop(),
                                  IPv6ExtHdrRouting(), UDP())[:14 + 40 + 12]),
        ("vlan_ipv6_tcp", eth(Dot1Q(vlan=7), IPv6(src="fd00::1", dst="fd00::2"),
                              IPv6ExtHdrDestOpt(), TCP(sport=1, dport=2))),
        # The payload length ends inside the UDP ports the frame still has.
        ("ipv6_plen_cuts_ports", eth(IPv6(src="fd00::1", dst="fd00::2", plen=3), UDP())),
        ("ipv6_icmpv6_echo", eth(IPv6(src="fd00::1", dst="fd00::2"), ICMPv6EchoRequest())),
        ("arp_request", bytes(Ether(dst="ff:ff:ff:ff:ff:ff", src=A) /
                              ARP(psrc="10.1.0.1", pdst="10.1.0.2", hwsrc=A))),
        ("arp_bad_hlen", bytes(Ether(dst="ff:ff:ff:ff:ff:ff", src=A) / ARP(hwlen=200, plen=1))),
        ("llc_8023", bytes(Ether(dst=B, src=A, type=40) / LLC() / Raw(b"\0" * 40))),
        ("jumbo_udp", eth(ip, UDP(), Raw(b"j" * 8950))),
    ]
    good = eth(ip, UDP(sport=1, dport=2), Raw(b"p" * 10))
    bad = bytearray(good)
    bad[14] = 0x42  # IHL 2.
    out.append(("bad_ihl", bytes(bad)))
    bad = bytearray(good)
    bad[14] = 0x4f  # IHL 15: 60 bytes, more than the frame has.
    out.append(("ihl_beyond_frame", bytes(bad)))
    bad = bytearray(good)
    bad[16:18] = b"\x00\x0a"  # Total length below IHL.
    out.append(("total_below_ihl", bytes(bad)))
    bad = bytearray(good)
    bad[38:40] = b"\xff\xff"  # UDP length beyond the frame.
    out.append(("bad_udp_len", bytes(bad)))
    bad = bytearray(good)
    bad[14] = 0x65  # Version 6 in an IPv4 EtherType.
    out.append(("ipv4_type_version6", bytes(bad)))
    out += [
        ("cut_in_ip", good[:20]),
        ("cut_in_vlan", eth(Dot1Q(vlan=10))[:16]),
        ("cut_in_l4", good[:36]),
        ("runt_13", good[:13]),
        ("runt_1", good[:1]),
        ("eth_only", good[:14]),
        ("empty", b""),
    ]
    for path in sorted(glob.glob(os.path.join(REPO, "test", "vectors", "*.pcap"))):
        base = os.path.basename(path)[:-5]
        for i, p in enumerate(rdpcap(path)):
            raw = bytes(p)
            out.append((f"{base}_{i}_outer", raw))
            out.append((f"{base}_{i}_inner", raw[50:]))
    return out


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed_" + name), "wb") as f:
        f.write(data)


def packet_seeds():
    fr = frames()
    for name, data in fr:
        write("parser_fuzz", name, data)
    # encap_fuzz: truncate (LE16), MTU byte, segments byte, flags byte, frame.
    variants = [
        ("whole", 0, 0, 0, 0),
        ("trunc128_2seg", 128, 0, 1, 1),
        ("trunc64_4seg", 64, 0, 3, 2),
        ("mtu576_3seg", 0, 0x00, 2, 3),
        ("mtu_min_cut", 0, 1, 1, 0),
        ("trunc1", 1, 0, 0, 1),
    ]
    picks = {"udp", "qinq_udp", "jumbo_udp", "arp_request", "runt_13", "empty",
             "vxlan_truncated_chain_0_inner", "frag_later", "ipv6_ext_chain"}
    for name, data in fr:
        if name not in picks:
            continue
        for vname, trunc, mtu, segs, flags in variants:
            if name != "jumbo_udp" and vname not in ("whole", "trunc128_2seg"):
                continue
            write("encap_fuzz", f"{name}_{vname}",
                  struct.pack("<HBBB", trunc, mtu, segs, flags) + data)


# chain_fuzz: truncate (LE16), frame length (LE24), segments, layout seed,
# lie (mode | (amount - 1) << 2), flags, then the pattern the frame repeats:
# a BIG TCP IPv4 packet inside GENEVE (IPv4 total length 0: it cannot hold
# the size), as Linux captures it with BIG TCP on.
def big_tcp_geneve():
    inner = bytes(Ether(src=A, dst=B) / IP(src="10.1.0.1", dst="10.1.0.2", len=0, flags="DF") /
                  TCP(sport=40000, dport=5201, flags="A"))
    outer = bytes(Ether(src=B, dst=A) / IP(src="192.0.2.1", dst="192.0.2.2", len=0) /
                  UDP(sport=49152, dport=6081, len=0, chksum=0))
    return outer + b"\x00\x00\x65\x58\x00\x00\x01\x00" + inner + bytes(range(256))


def chain_seeds():
    pattern = big_tcp_geneve()
    seeds = [
        # name, truncate, length, segments, seed, lie, flags
        ("netpcap_80116", 0, 14580, 8, 1, 1 | 3 << 2, 1),  # pkt_len 80,116 over 14,580.
        ("netpcap_80116_trunc", 128, 14580, 7, 2, 1 | 3 << 2, 0),
        ("whole_14580", 0, 14580, 8, 3, 0, 1),
        ("whole_60_1seg", 0, 60, 1, 0, 0, 0),
        ("whole_257_2seg", 0, 257, 2, 4, 0, 2),
        ("whole_2049", 0, 2049, 2, 5, 0, 1),
        ("whole_9000_many", 0, 9000, 120, 6, 0, 3),
        ("trunc2100_9000", 2100, 9000, 5, 7, 0, 0),
        ("whole_65535", 0, 65535, 40, 8, 0, 1),
        ("whole_65536", 0, 65536, 33, 9, 0, 0),
        ("whole_80116", 0, 80116, 40, 10, 0, 1),
        ("trunc64_80116", 64, 80116, 199, 11, 0, 2),
        ("whole_262144", 0, 262144, 128, 12, 0, 1),
        ("whole_max", 0, 0xffffff, 0, 13, 0, 0),
        ("empty", 0, 0, 0, 0, 0, 0),
        ("pktlen_plus3", 0, 3000, 3, 14, 2 | 3 << 2, 0),
        ("pktlen_minus1", 0, 3000, 3, 15, 2 | 0 << 2, 1),
        ("pktlen_single_plus", 0, 100, 1, 0, 2 | 1 << 2, 0),
        ("nbsegs_plus", 0, 5000, 4, 16, 3 | 1 << 2, 1),
        ("nbsegs_minus", 0, 5000, 4, 17, 3 | 0 << 2, 0),
        ("nbsegs_single_plus", 0, 64, 1, 0, 3 | 1 << 2, 0),
        ("lie_262144", 0, 262144, 130, 18, 1, 1),
    ]
    for name, trunc, length, segs, seed, lie, flags in seeds:
        ctrl = struct.pack("<H", trunc) + struct.pack("<I", length)[:3] + bytes(
            [segs, seed, lie, flags])
        write("chain_fuzz", name, ctrl + (b"" if name == "empty" else pattern))


BASE_CONFIG = """
vnets { name: "blue" tenant: "t1" vni: 100 prefixes: "10.1.0.0/24" peers: "red" }
vnets { name: "red" tenant: "t1" vni: 200 peers: "blue" }
vports {
  name: "up0" kind: VPORT_KIND_UPLINK driver: "null"
  uplink { ip_cidr: "192.0.2.10/24" gateway: "192.0.2.1" mtu: 9000 }
}
vports { name: "vm1" vnet: "blue" driver: "tap:iface=vsw-t1" vm_macs: "02:00:00:00:00:01" }
vports { name: "vm2" vnet: "red" driver: "ring" queues: 2 admin_state: ADMIN_STATE_DOWN }
fdb { vnet: "blue" mac: "02:00:00:00:00:99" vport: "vm1" }
destinations { name: "d1" vnet: "blue" vni: 5000 collectors: "192.0.2.20" mark_copies: true }
tap_sessions {
  name: "s1" sources: "vm1" destinations: "d1" truncate_bytes: 128 rate_limit_pps: 100
  rules { priority: 1 action: TAP_ACTION_REJECT protocol: 6 src_cidr: "10.1.0.0/24"
          dst_ports { first: 22 last: 22 } direction: TAP_DIRECTION_TX }
}
neighbors { ip: "192.0.2.20" mac: "02:00:00:00:02:00" }
"""


def config_seeds():
    texts = {
        "full": BASE_CONFIG,
        "empty": "",
        "comment_only": "# nothing\n",
        "one_vnet": 'vnets { name: "a" tenant: "t" vni: 1 }\n',
        "syntax_error": 'vnets { name: "a"\n',
        "unknown_field": 'vnets { name: "a" colour: 3 }\n',
        "bad_vni": 'vnets { name: "a" tenant: "t" vni: 16777216 }\n',
        "dup_name": 'vnets { name: "a" tenant: "t" vni: 1 }\nvnets { name: "a" tenant: "t" vni: 2 }\n',
        "peer_missing": 'vnets { name: "a" tenant: "t" vni: 1 peers: "b" }\n',
        "vport_bad_driver": 'vnets { name: "a" tenant: "t" vni: 1 }\n'
                            'vports { name: "p" vnet: "a" driver: "nosuch:x=1" }\n',
        "uplink_bad_mtu": 'vports { name: "u" kind: VPORT_KIND_UPLINK driver: "null" '
                          'uplink { ip_cidr: "192.0.2.1/24" gateway: "192.0.2.254" mtu: 100 } }\n',
        "session_unknown_dest": 'vnets { name: "a" tenant: "t" vni: 1 }\n'
                                'vports { name: "p" vnet: "a" driver: "ring" }\n'
                                'tap_sessions { name: "s" sources: "p" destinations: "x" }\n',
        "neighbor_bad_mac": 'neighbors { ip: "192.0.2.1" mac: "01:00:5e:00:00:01" }\n',
        "escapes": 'vnets { name: "a\\001\\377" tenant: "\\xff" vni: 1 }\n',
        "enum_number": 'vports { name: "p" kind: 7 driver: "ring" }\n',
    }
    for name, text in texts.items():
        write("config_text_fuzz", name, text.encode())
    return texts


def rpc_seeds():
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(["protoc", f"--proto_path={REPO}", f"--python_out={out}",
                        os.path.join(REPO, "vswitch", "api", "vswitch.proto")], check=True)
        sys.path.insert(0, out)
        from google.protobuf import text_format
        from vswitch.api import vswitch_pb2 as pb

        base = text_format.Parse(BASE_CONFIG, pb.Config())
        reqs = [
            ("create_vnet", 0, pb.CreateVNetRequest(vnet=pb.VNet(
                name="new", tenant="t1", vni=400, prefixes=["10.9.0.0/16"]))),
            ("create_vnet_dup_vni", 0, pb.CreateVNetRequest(vnet=pb.VNet(
                name="x", tenant="t1", vni=100))),
            ("add_vport", 1, pb.AddVPortRequest(vport=pb.VPort(
                name="vm9", vnet="blue", driver="ring", vm_macs=["02:00:00:00:00:09"]))),
            ("add_vport_uplink", 1, pb.AddVPortRequest(vport=pb.VPort(
                name="up1", kind=pb.VPORT_KIND_UPLINK, driver="null",
                uplink=pb.UplinkConfig(ip_cidr="192.0.2.11/24", gateway="192.0.2.1")))),
            ("add_vport_pcap", 1, pb.AddVPortRequest(vport=pb.VPort(
                name="pc", vnet="red", driver="pcap:rx_pcap=/nonexistent/x.pcap"))),
            ("add_fdb", 2, pb.AddFdbEntryRequest(entry=pb.FdbEntry(
                vnet="blue", mac="02:AA:bb:cc:dd:ee", vport="vm1"))),
            ("add_fdb_bad_mac", 2, pb.AddFdbEntryRequest(entry=pb.FdbEntry(
                vnet="blue", mac="02-00-00-00-00", vport="vm1"))),
            ("create_dest", 3, pb.CreateMirrorDestinationRequest(destination=pb.MirrorDestination(
                name="d9", vni=77, collectors=["192.0.2.30", "192.0.2.31"], udp_port=6081))),
            ("create_session", 4, pb.CreateTapSessionRequest(session=pb.TapSession(
                name="s9", sources=["vm1"], destinations=["d1"], rules=[pb.TapRule(
                    priority=5, protocol=17, dst_cidr="10.1.0.2/32",
                    src_ports=pb.PortRange(first=1, last=1024))]))),
            ("update_session", 5, pb.UpdateTapSessionRequest(session=pb.TapSession(
                name="s1", sources=["vm1"], destinations=["d1"], truncate_bytes=64))),
            ("set_neighbor", 6, pb.SetNeighborRequest(neighbor=pb.Neighbor(
                ip="192.0.2.20", mac="02:00:00:00:02:01"))),
            ("apply_config", 7, pb.ApplyConfigRequest(config=base)),
            ("apply_empty", 7, pb.ApplyConfigRequest()),
        ]
        for name, sel, msg in reqs:
            write("rpc_request_fuzz", name, bytes([sel]) + msg.SerializeToString())


def overlay_seeds():
    """overlay_fuzz: [direction/segments byte] + frame. Byte 0: bit 0 set =
    sent by VM A, else received on the uplink; bits 1-2 = segments - 1."""
    up, nh = "02:00:00:00:01:00", "02:00:00:00:10:00"
    a, b = "02:00:00:00:00:0a", "02:00:00:00:00:0b"
    r0, r1 = "02:00:00:00:01:00", "02:00:00:00:01:01"
    bc = "ff:ff:ff:ff:ff:ff"
    inner_ip = IP(src="10.0.0.20", dst="10.0.0.1")

    def inner(dst, src, n=30):
        return Ether(dst=dst, src=src) / inner_ip / UDP(sport=7, dport=8) / Raw(b"i" * n)

    def vxlan(frame, src="192.0.2.10", dst="192.0.2.1", dport=4789, vni=1000,
              flags=0x08, frag=0, mf=False, pad=b"", ihl=None, options=None):
        ip = IP(src=src, dst=dst, flags=("MF" if mf else "DF"), frag=frag)
        if options:
            ip = IP(src=src, dst=dst, flags="DF", options=options)
        vx = struct.pack("!B3xI", flags, vni << 8)
        return bytes(Ether(dst=up, src=nh) / ip / UDP(sport=50000, dport=dport) /
                     Raw(vx + bytes(frame))) + pad

    good = vxlan(inner(b, r0))
    bad_udp_len = bytearray(good)
    bad_udp_len[38:40] = struct.pack("!H", struct.unpack("!H", good[38:40])[0] + 2)
    seeds = [
        ("up_to_b", 0, good),
        ("up_to_b_3seg", 4, good),
        ("up_padded", 0, vxlan(inner(b, r0), pad=b"\xee" * 7)),
        ("up_padded_2seg", 2, vxlan(inner(b, r0, 200), pad=b"\xee" * 5)),
        ("up_broadcast", 0, vxlan(inner(bc, r1), src="192.0.2.11")),
        ("up_broadcast_4seg", 6, vxlan(inner(bc, r0, 400))),
        ("up_spoofed", 0, vxlan(inner(b, r1))),
        ("up_local_src", 0, vxlan(inner(b, a))),
        ("up_copy_mac", 0, vxlan(inner(b, "06:76:c0:00:02:0a"))),
        ("up_copy_mac_of_other", 0, vxlan(inner(b, "06:76:c0:00:02:0b"))),
        ("up_transit", 0, vxlan(inner(r1, r0))),
        ("up_unknown_vni", 0, vxlan(inner(b, r0), vni=77)),
        ("up_unknown_vtep", 0, vxlan(inner(b, r0), src="192.0.2.99")),
        ("up_fragment", 0, vxlan(inner(b, r0), mf=True)),
        ("up_frag_offset", 0, vxlan(inner(b, r0), frag=5)),
        ("up_no_i_flag", 0, vxlan(inner(b, r0), flags=0)),
        ("up_bad_udp_len", 0, bytes(bad_udp_len)),
        ("up_truncated", 0, good[:60]),
        ("up_ip_options", 0, vxlan(inner(b, r0), options=[IPOption_RR()])),
        ("up_other_port", 0, vxlan(inner(b, r0), dport=4790)),
        ("up_not_to_us", 0, vxlan(inner(b, r0), dst="192.0.2.2")),
        ("up_arp", 0, bytes(Ether(dst=bc, src=nh) /
                            ARP(psrc="192.0.2.10", pdst="192.0.2.1", hwsrc=nh))),
        ("up_vlan_vxlan", 0, bytes(Ether(dst=up, src=nh) / Dot1Q(vlan=5) /
                                   IP(src="192.0.2.10", dst="192.0.2.1") /
                                   UDP(sport=1, dport=4789) / Raw(good[42:]))),
        ("vm_to_r0", 1, bytes(inner(r0, a))),
        ("vm_to_r1_2seg", 3, bytes(inner(r1, a, 500))),
        ("vm_broadcast", 1, bytes(inner(bc, a))),
        ("vm_broadcast_3seg", 5, bytes(inner(bc, a, 900))),
        ("vm_unknown", 1, bytes(inner("02:00:00:00:00:99", a))),
        ("vm_mtu_edge", 1, bytes(Ether(dst=r0, src=a) / IP() / UDP() / Raw(b"m" * 1422))),
        ("vm_mtu_over", 1, bytes(Ether(dst=r0, src=a) / IP() / UDP() / Raw(b"m" * 1423))),
        ("vm_arp_known", 1, bytes(Ether(dst=bc, src=a) /
                                  ARP(psrc="10.0.0.1", pdst="10.0.0.20", hwsrc=a))),
        ("vm_arp_vlan", 1, bytes(Ether(dst=bc, src=a) / Dot1Q(vlan=3) /
                                 ARP(psrc="10.0.0.1", pdst="10.0.0.20", hwsrc=a))),
        ("vm_arp_gratuitous", 1, bytes(Ether(dst=bc, src=a) /
                                       ARP(psrc="10.0.0.20", pdst="10.0.0.20", hwsrc=a))),
        ("vm_arp_unknown", 1, bytes(Ether(dst=bc, src=a) /
                                    ARP(psrc="10.0.0.1", pdst="10.0.0.99", hwsrc=a))),
        ("vm_to_b", 1, bytes(inner(b, a))),
    ]
    for name, ctl, frame in seeds:
        write("overlay_fuzz", name, bytes([ctl]) + bytes(frame))


def main():
    packet_seeds()
    chain_seeds()
    overlay_seeds()
    config_seeds()
    rpc_seeds()


if __name__ == "__main__":
    main()
