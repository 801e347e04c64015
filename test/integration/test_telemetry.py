# SPDX-License-Identifier: Apache-2.0
"""DPDK telemetry: the /vswitch/... commands answer on the EAL's telemetry
socket, read directly (AF_UNIX SOCK_SEQPACKET) and with Debian's
dpdk-telemetry.py, with the same numbers as `vsctl --json show stats`."""

import json
import os
import socket

from conftest import attach_vm, run, wait_for

MAC1, MAC2 = "02:00:00:00:01:01", "02:00:00:00:01:02"
PORT_FIELDS = ("rx_packets", "rx_bytes", "tx_packets", "tx_bytes")
MIRROR_FIELDS = ("matched", "cloned", "ring_full", "clone_failed", "rate_limited",
                 "no_next_hop", "truncated", "tx_dropped", "sent_packets", "sent_bytes")


def socket_path(d):
    return f"/var/run/dpdk/{d.prefix}/dpdk_telemetry.v2"


def query_socket(d, *commands):
    """Each command's reply, read straight from the telemetry socket."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
        s.settimeout(10)
        s.connect(socket_path(d))
        banner = json.loads(s.recv(1024).decode())
        max_len = banner["max_output_len"]
        assert banner["pid"] == d.proc.pid
        out = []
        for cmd in commands:
            s.send(cmd.encode())
            out.append(json.loads(s.recv(max_len).decode()))
        return out


def query_script(d, *commands):
    """Each command's reply through dpdk-telemetry.py (one JSON line each)."""
    res = run(["dpdk-telemetry.py", "-f", d.prefix], input="\n".join(commands) + "\n")
    # Without a terminal the script prints no banner and no prompt.
    replies = [json.loads(l) for l in res.stdout.splitlines() if l.strip()]
    assert len(replies) == len(commands), res.stdout
    return replies


def settled(stats):
    """Stats without what moves at rest: busy/idle cycles, mempool caches."""
    stats = dict(stats)
    stats.pop("lcores", None)
    stats.pop("mempools", None)
    return stats


def counters_at_rest(d):
    """vsctl's stats once two reads in a row agree (traffic stopped)."""
    last = [None]

    def stable():
        s = settled(d.stats())
        if s == last[0]:
            return s
        last[0] = s
        return None

    wait_for(stable, timeout=15, interval=0.5, what="counters to settle")
    return d.stats()


def by_name(items):
    return {i["name"]: i for i in items}


def test_telemetry_matches_vsctl(vswitchd, netns_factory):
    d = vswitchd
    d.vsctl("add", "vnet", "blue", "tenant", "acme", "vni", "100", "prefix", "10.0.0.0/24")
    vm1 = attach_vm(d, netns_factory("vm1"), "vm1", "blue", "10.0.0.1", MAC1)
    vm2 = attach_vm(d, netns_factory("vm2"), "vm2", "blue", "10.0.0.2", MAC2)
    # A name with '-' and '.': telemetry keys allow only [A-Za-z0-9_/].
    d.vsctl("add", "vport", "sink-1.a", "vnet", "blue", "driver", "null:no-rx=1")
    # No uplink: every copy counts as no_next_hop.
    d.vsctl("add", "destination", "col", "vnet", "blue", "vni", "5000",
            "collector", "192.0.2.2")
    d.vsctl("add", "tap-session", "t1", "source", "vm1", "destination", "col")
    vm1.ping(vm2.ip, count=5)

    cmds = ("/vswitch/ports", "/vswitch/sessions", "/vswitch/destinations",
            "/vswitch/drops", "/vswitch/lcores")
    # A stray frame (a kernel neighbour probe) can land between the reads on a
    # busy machine: compare only reads that vsctl confirms were at rest.
    for _ in range(3):
        stats = counters_at_rest(d)
        direct = query_socket(d, *cmds)
        script = query_script(d, *cmds)
        if settled(d.stats()) == settled(stats):
            break
    else:
        raise AssertionError("counters kept moving while telemetry was read")
    ports = by_name(stats["ports"])
    assert int(ports["vm1"]["rx_packets"]) >= 5

    for replies in (direct, script):
        tel = {cmd: r[cmd] for cmd, r in zip(cmds, replies)}

        assert set(tel["/vswitch/ports"]) == {"vm1", "vm2", "sink_1_a"}
        for key, p in tel["/vswitch/ports"].items():
            want = ports[p["name"]]
            assert p["id"] == int(want["id"])
            for f in PORT_FIELDS:
                assert p[f] == int(want.get(f, 0)), (key, f)
            drops = {c["reason"]: int(c["packets"]) for c in want.get("drops", [])}
            assert p["drops"] == sum(drops.values())
            for reason, n in drops.items():
                assert p[f"drops/{reason}"] == n
        assert tel["/vswitch/ports"]["sink_1_a"]["name"] == "sink-1.a"

        for cmd, section in (("/vswitch/sessions", "sessions"),
                             ("/vswitch/destinations", "destinations")):
            want = by_name(stats.get(section, []))
            assert set(tel[cmd]) == set(want), cmd
            for name, m in tel[cmd].items():
                for f in MIRROR_FIELDS:
                    assert m[f] == int(want[name]["counters"].get(f, 0)), (cmd, name, f)
        # The tapped vm1's frames were copied and, with no uplink, dropped.
        assert tel["/vswitch/sessions"]["t1"]["matched"] >= 5
        assert tel["/vswitch/destinations"]["col"]["no_next_hop"] >= 5

        want_drops = {c["reason"]: int(c.get("packets", 0)) for c in stats["drops"]}
        assert tel["/vswitch/drops"] == want_drops

        lcores = tel["/vswitch/lcores"]
        want_lcores = {str(l["lcore_id"]): l for l in stats["lcores"]}
        assert set(lcores) == set(want_lcores)
        for lid, l in lcores.items():
            assert l["role"] == want_lcores[lid]["role"]
            # Counted at rest: packets and bursts are settled, cycles move.
            for f in ("rx_packets", "learn_events", "learn_ring_full"):
                assert l[f] == int(want_lcores[lid].get(f, 0)), (lid, f)
            assert l["busy_cycles"] + l["idle_cycles"] > 0
        # vm1's and vm2's source MACs were learnt from their frames.
        assert sum(l["learn_events"] for l in lcores.values()) >= 2



def test_telemetry_lists_commands_and_builtins(vswitchd):
    (listing,) = query_socket(vswitchd, "/")
    for cmd in ("/vswitch/ports", "/vswitch/sessions", "/vswitch/destinations",
                "/vswitch/drops", "/vswitch/lcores", "/ethdev/list"):
        assert cmd in listing["/"]
    (help_reply,) = query_socket(vswitchd, "/help,/vswitch/ports")
    assert "rx" in help_reply["/help"]["/vswitch/ports"]
    # Empty switch: empty dicts, every drop reason at zero.
    ports, drops = query_socket(vswitchd, "/vswitch/ports", "/vswitch/drops")
    assert ports == {"/vswitch/ports": {}}
    assert drops["/vswitch/drops"] and set(drops["/vswitch/drops"].values()) == {0}


def test_no_telemetry_flag_means_no_socket(vswitchd_factory):
    d = vswitchd_factory("--eal_args=--no-telemetry")
    assert d.vsctl("show", "health", check=False).returncode == 0
    assert not os.path.exists(socket_path(d))
