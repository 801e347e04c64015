# SPDX-License-Identifier: Apache-2.0
"""Seeded traffic pcaps for the end-to-end benchmark (perf.md "Method").

UDP over IPv4; flow i has destination port 10240 + i % 1000 and source port
20000 + i // 1000 (so every flow is a distinct 5-tuple), source MAC/IP
i % 4, destination MAC/IP (i // 4) % 4. Flows with destination port
10240..10439 (exactly 20 % of them) are the ones the "TAP 20 %" filter
selects; 10240/0xff80, 10368/0xffc0 and 10432/0xfff8 are the same set as
OpenFlow masks. Frames are built once per size as bytes and patched per
packet (scapy objects per packet would take minutes for 1M) and written with
scapy's RawPcapWriter. Files are cached by their parameters."""

import hashlib
import os
import random
import struct

DPORT_BASE = 10240
SELECTED_DPORTS = (DPORT_BASE, DPORT_BASE + 199)  # the 20 % the TAP filter selects
# OpenFlow (value, mask) pairs covering exactly SELECTED_DPORTS.
SELECTED_OF_MASKS = ((10240, 0xff80), (10368, 0xffc0), (10432, 0xfff8))
GEN_VERSION = 1


def src_mac(k, base=0):
    return "02:00:00:00:%02x:%02x" % (0x10 + base, k + 1)


def dst_mac(k):
    return "02:00:00:00:20:%02x" % (k + 1)


def src_ip(k, base=0):
    return "10.0.%d.%d" % (0x10 + base, k + 1)


def dst_ip(k):
    return "10.0.32.%d" % (k + 1)


def remote_mac(i):
    """MAC of remote port i (a VM behind VTEP 192.0.2.2), i < 2**24."""
    return "02:00:01:%02x:%02x:%02x" % (i >> 16 & 0xff, i >> 8 & 0xff, i & 0xff)


def _mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(":"))


def _ip_bytes(ip):
    return bytes(int(x) for x in ip.split("."))


def _csum(hdr):
    s = sum(struct.unpack("!10H", hdr))
    s = (s & 0xffff) + (s >> 16)
    s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


# Frame sizes on the wire without FCS: 64 B -> 60 B of pcap data.
IMIX = ((64, 7), (570, 4), (1518, 1))


def frame_sizes(size, n, rng):
    """The frame length (with FCS, as perf.md counts) of each of n packets."""
    if size != "imix":
        return [int(size)] * n
    unit = [s for s, w in IMIX for _ in range(w)]
    out = []
    while len(out) < n:
        block = unit[:]
        rng.shuffle(block)
        out.extend(block)
    return out[:n]


def pcap_path(cache_dir, flows, size, smac_base=0, repeat=None, remote_dst=0):
    repeat = repeat or (4 if flows <= 10000 else 1)
    rd = f"_rd{remote_dst}" if remote_dst else ""
    name = f"v{GEN_VERSION}_f{flows}_s{size}_m{smac_base}_r{repeat}{rd}.pcap"
    return os.path.join(cache_dir, name), repeat


def make_pcap(cache_dir, flows, size, smac_base=0, repeat=None, seed=42, remote_dst=0):
    """Returns the path of the pcap (flows × repeat packets), building it
    if the cache has none. remote_dst=N: flow f goes to remote_mac(f % N)
    (the overlay's encap scenarios) instead of one of the 4 local MACs."""
    from scapy.utils import RawPcapWriter  # imported late: slow import

    os.makedirs(cache_dir, exist_ok=True)
    path, repeat = pcap_path(cache_dir, flows, size, smac_base, repeat, remote_dst)
    if os.path.exists(path):
        return path
    rng = random.Random(seed)
    n = flows * repeat
    order = []
    for _ in range(repeat):
        perm = list(range(flows))
        rng.shuffle(perm)
        order.extend(perm)
    sizes = frame_sizes(size, n, rng)
    smacs = [_mac_bytes(src_mac(k, smac_base)) for k in range(4)]
    dmacs = [_mac_bytes(dst_mac(k)) for k in range(4)]
    sips = [_ip_bytes(src_ip(k, smac_base)) for k in range(4)]
    dips = [_ip_bytes(dst_ip(k)) for k in range(4)]
    payload = bytes(range(256)) * 6
    tmp = path + ".tmp"
    w = RawPcapWriter(tmp, linktype=1, sync=False)
    try:
        for i, f in enumerate(order):
            wire = sizes[i] - 4  # without FCS
            s, d = f % 4, (f // 4) % 4
            ip_len = wire - 14
            ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, ip_len, 0, 0x4000, 64, 17, 0,
                                       sips[s], dips[d]))
            struct.pack_into("!H", ip, 10, _csum(bytes(ip)))
            udp = struct.pack("!HHHH", 20000 + f // 1000, DPORT_BASE + f % 1000, ip_len - 20, 0)
            body = payload[: ip_len - 28]
            dmac = _mac_bytes(remote_mac(f % remote_dst)) if remote_dst else dmacs[d]
            w.write(dmac + smacs[s] + b"\x08\x00" + bytes(ip) + udp + body)
    finally:
        w.close()
    os.rename(tmp, path)
    return path


VXLAN_PORT = 4789


def vxlan_pcap_path(cache_dir, flows, size, remote_src, vni, outer):
    tag = hashlib.sha1(repr((outer, vni)).encode()).hexdigest()[:8]
    return os.path.join(cache_dir,
                        f"v{GEN_VERSION}_vx_f{flows}_s{size}_rs{remote_src}_{tag}.pcap")


def make_vxlan_pcap(cache_dir, flows, size, remote_src, vni, outer, seed=42):
    """The decap source: what a remote VTEP sends. Inner frames as make_pcap's
    (1k 5-tuples, `size` B with FCS) but from remote_mac(f % remote_src) to
    the 4 local MACs dst_mac(k), each in VXLAN (VNI `vni`, UDP dst 4789,
    source port from the flow, as a VTEP picks it) in IPv4 from outer["src_ip"]
    to outer["dst_ip"], Ethernet outer["src_mac"] -> outer["dst_mac"]."""
    from scapy.utils import RawPcapWriter

    os.makedirs(cache_dir, exist_ok=True)
    path = vxlan_pcap_path(cache_dir, flows, size, remote_src, vni, outer)
    if os.path.exists(path):
        return path
    rng = random.Random(seed)
    order = []
    for _ in range(4):
        perm = list(range(flows))
        rng.shuffle(perm)
        order.extend(perm)
    dmacs = [_mac_bytes(dst_mac(k)) for k in range(4)]
    dips = [_ip_bytes(dst_ip(k)) for k in range(4)]
    o_eth = _mac_bytes(outer["dst_mac"]) + _mac_bytes(outer["src_mac"]) + b"\x08\x00"
    o_src, o_dst = _ip_bytes(outer["src_ip"]), _ip_bytes(outer["dst_ip"])
    payload = bytes(range(256)) * 6
    tmp = path + ".tmp"
    w = RawPcapWriter(tmp, linktype=1, sync=False)
    try:
        for f in order:
            wire = int(size) - 4
            d = (f // 4) % 4
            ip_len = wire - 14
            ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, ip_len, 0, 0x4000, 64, 17, 0,
                                       _ip_bytes("10.0.%d.%d" % (64 + f // 250 % 64, f % 250 + 1)),
                                       dips[d]))
            struct.pack_into("!H", ip, 10, _csum(bytes(ip)))
            udp = struct.pack("!HHHH", 20000 + f // 1000, DPORT_BASE + f % 1000, ip_len - 20, 0)
            inner = (dmacs[d] + _mac_bytes(remote_mac(f % remote_src)) + b"\x08\x00" +
                     bytes(ip) + udp + payload[: ip_len - 28])
            vx = struct.pack("!II", 0x08000000, vni << 8)
            oudp_len = 8 + len(vx) + len(inner)
            oip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + oudp_len, 0, 0x4000, 64,
                                        17, 0, o_src, o_dst))
            struct.pack_into("!H", oip, 10, _csum(bytes(oip)))
            # UDP checksum 0 (allowed for VXLAN over IPv4, RFC 7348).
            oudp = struct.pack("!HHHH", 49152 + (f * 2654435761 >> 8) % 16384, VXLAN_PORT,
                               oudp_len, 0)
            w.write(o_eth + bytes(oip) + oudp + vx + inner)
    finally:
        w.close()
    os.rename(tmp, path)
    return path
