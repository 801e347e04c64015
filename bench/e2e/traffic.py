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


def pcap_path(cache_dir, flows, size, smac_base=0, repeat=None):
    repeat = repeat or (4 if flows <= 10000 else 1)
    name = f"v{GEN_VERSION}_f{flows}_s{size}_m{smac_base}_r{repeat}.pcap"
    return os.path.join(cache_dir, name), repeat


def make_pcap(cache_dir, flows, size, smac_base=0, repeat=None, seed=42):
    """Returns the path of the pcap (flows × repeat packets), building it
    if the cache has none."""
    from scapy.utils import RawPcapWriter  # imported late: slow import

    os.makedirs(cache_dir, exist_ok=True)
    path, repeat = pcap_path(cache_dir, flows, size, smac_base, repeat)
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
            w.write(dmacs[d] + smacs[s] + b"\x08\x00" + bytes(ip) + udp + body)
    finally:
        w.close()
    os.rename(tmp, path)
    return path
