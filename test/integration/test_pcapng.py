# SPDX-License-Identifier: Apache-2.0
"""pcapng mirror destinations: copies written by the encap lcore with
rte_pcapng into --capture_dir. VMs are namespaces on TAP vports; tshark reads
the files: every frame the VMs exchanged, byte for byte, once per tapped
vport, on an interface named after the vport, with the direction in the
packet's flags (inbound = the VM sent it); truncation keeps the original
length; rotation gives several files, each readable. Bad file names and a
symlink are refused and change nothing."""

import collections
import json
import os
import time

from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Raw

from conftest import attach_vm, mirror_settled, run, send_frames, static_neighbors

MAC1, MAC2 = "02:00:00:00:05:01", "02:00:00:00:05:02"
IP1, IP2 = "10.0.5.1", "10.0.5.2"
INBOUND, OUTBOUND = 1, 2  # EPB flags direction bits (frame.packet_flags_direction).


def udp_frames(src, dst, n, size, sport=5555, dport=7777):
    out = []
    for i in range(n):
        head = Ether(src=src.mac, dst=dst.mac) / IP(src=src.ip, dst=dst.ip, id=i + 1) / UDP(
            sport=sport, dport=dport)
        body = b"pcapng-%06d-" % i
        out.append(bytes(head / Raw(body + b"x" * max(0, size - len(head) - len(body)))))
    return out


def tshark(path):
    """[(interface name, direction, len, cap_len, bytes)] of every packet, as
    tshark reads them; fails if tshark cannot read the file. Timestamps must
    be within a day of now."""
    res = run(["tshark", "-r", str(path), "-T", "json", "-x"], timeout=60)
    out = []
    for p in json.loads(res.stdout or "[]"):
        layers = p["_source"]["layers"]
        frame = layers["frame"]
        assert abs(float(frame["frame.time_epoch"]) - time.time()) < 86400, frame
        out.append((frame["frame.interface_id_tree"]["frame.interface_name"],
                    int(frame["frame.packet_flags_tree"]["frame.packet_flags_direction"], 0),
                    int(frame["frame.len"]), int(frame["frame.cap_len"]),
                    bytes.fromhex(layers["frame_raw"][0])))
    return out


def test_pcapng_both_directions_names_truncation_rotation(vswitchd_factory, netns_factory,
                                                          tmp_path):
    cap_dir = tmp_path / "captures"
    d = vswitchd_factory(f"--capture_dir={cap_dir}")
    d.vsctl("add", "vnet", "blue", "tenant", "acme", "vni", "100", "prefix", "10.0.5.0/24")
    vm1 = attach_vm(d, netns_factory("vm1"), "vm1", "blue", IP1, MAC1)
    vm2 = attach_vm(d, netns_factory("vm2"), "vm2", "blue", IP2, MAC2)
    static_neighbors(vm1, vm2)
    vm1.ping(vm2.ip, count=1)  # Learns both MACs before the TAP starts.

    d.vsctl("add", "destination", "cap", "vnet", "blue", "pcapng", "all.pcapng")
    d.vsctl("add", "destination", "rot", "vnet", "blue", "pcapng", "cut.pcapng",
            "rotate", "1024")
    # UDP only: the kernels' ICMP port-unreachable answers are not the test's.
    d.vsctl("add", "tap-session", "both", "source", "vm1", "source", "vm2",
            "destination", "cap", "rule", "prio=10,proto=udp")
    d.vsctl("add", "tap-session", "cut", "source", "vm1", "direction", "tx",
            "destination", "rot", "truncate", "64", "rule", "prio=10,proto=udp")
    shown = d.vsctl("show", "destinations").stdout
    assert "pcapng:all.pcapng" in shown and "pcapng:cut.pcapng rotate 1024" in shown, shown

    to2 = udp_frames(vm1, vm2, 30, size=200)
    to1 = udp_frames(vm2, vm1, 10, size=120, sport=7777, dport=5555)
    send_frames(vm1, to2)
    send_frames(vm2, to1)
    counters = mirror_settled(d)
    assert counters[("destination", "cap")]["sent_packets"] == 80, counters
    assert counters[("destination", "rot")]["sent_packets"] == 30, counters
    assert counters[("destination", "rot")]["truncated"] == 30, counters
    stats = {s["name"]: s for s in d.stats()["destinations"]}
    assert stats["cap"]["pcapng_file"] == "all.pcapng"
    assert stats["rot"]["pcapng_file"].startswith("cut.pcapng.")
    d.vsctl("del", "tap-session", "both")
    d.vsctl("del", "tap-session", "cut")
    d.vsctl("del", "destination", "cap")  # Closes the file.
    d.vsctl("del", "destination", "rot")

    # Every frame once per tapped vport, byte-identical, on the vport's
    # interface, with the direction seen from the switch port.
    got = collections.Counter((name, dirn, ln, cap, data)
                              for name, dirn, ln, cap, data in tshark(cap_dir / "all.pcapng"))
    want = collections.Counter()
    for f in to2:
        want[("vm1", INBOUND, len(f), len(f), f)] += 1
        want[("vm2", OUTBOUND, len(f), len(f), f)] += 1
    for f in to1:
        want[("vm2", INBOUND, len(f), len(f), f)] += 1
        want[("vm1", OUTBOUND, len(f), len(f), f)] += 1
    assert got == want

    # Rotation: FILE, FILE.1, ... each a complete pcapng file; together
    # the 30 frames vm1 sent, cut to 64 bytes, original length kept.
    files = sorted((p for p in os.listdir(cap_dir) if p.startswith("cut.pcapng")),
                   key=lambda p: int(p.rsplit(".", 1)[1]) if p[-1].isdigit() else 0)
    assert len(files) >= 3, files
    cut = []
    for name in files:
        assert (cap_dir / name).stat().st_size <= 1024 + 600, name
        cut += tshark(cap_dir / name)
    assert sorted(c[4] for c in cut) == sorted(f[:64] for f in to2)
    assert all(c[:4] == ("vm1", INBOUND, 200, 64) for c in cut), cut[:3]


def test_pcapng_bad_names_and_symlinks_are_refused(vswitchd_factory, tmp_path):
    cap_dir = tmp_path / "captures"
    cap_dir.mkdir()
    outside = tmp_path / "outside.pcapng"
    os.symlink(outside, cap_dir / "evil.pcapng")
    d = vswitchd_factory(f"--capture_dir={cap_dir}")
    d.vsctl("add", "vnet", "blue", "tenant", "acme", "vni", "100")
    before = d.vsctl("show", "destinations").stdout
    for name, why in (("../x.pcapng", "'/'"), ("a/b", "'/'"), ("..", "not a file name"),
                      (".", "not a file name")):
        res = d.vsctl("add", "destination", "c", "vnet", "blue", "pcapng", name, check=False)
        assert res.returncode == 1, res.stderr
        assert "INVALID_ARGUMENT: destination.pcapng.file:" in res.stderr and why in res.stderr, \
            res.stderr
    res = d.vsctl("add", "destination", "c", "vnet", "blue", "pcapng", "evil.pcapng",
                  check=False)
    assert res.returncode == 1 and "destination.pcapng.file" in res.stderr, res.stderr
    assert "symbolic link" in res.stderr, res.stderr
    assert not outside.exists()
    res = d.vsctl("add", "destination", "c", "vnet", "blue", "pcapng", "x.pcapng",
                  "collector", "192.0.2.2", check=False)
    assert res.returncode == 1 and "destination.collectors" in res.stderr, res.stderr
    res = d.vsctl("add", "destination", "c", "vnet", "blue", "pcapng", "x.pcapng",
                  "rotate", "10", check=False)
    assert res.returncode == 1 and "destination.pcapng.rotate_bytes" in res.stderr, res.stderr
    assert d.vsctl("show", "destinations").stdout == before
    assert sorted(os.listdir(cap_dir)) == ["evil.pcapng"]

    # A good one is created, persisted and listed; an existing FILE is never
    # overwritten: the next free name is used.
    (cap_dir / "ok.pcapng").write_bytes(b"old capture")
    d.vsctl("add", "destination", "c", "vnet", "blue", "pcapng", "ok.pcapng")
    assert (cap_dir / "ok.pcapng").read_bytes() == b"old capture"
    assert (cap_dir / "ok.pcapng.1").exists()
    with open(os.path.join(d.workdir, "config.textproto")) as f:
        assert 'file: "ok.pcapng"' in f.read()
