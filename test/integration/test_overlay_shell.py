# SPDX-License-Identifier: Apache-2.0
"""The overlay's shell and Python client against a real daemon: remote ports
added, listed, replaced from a file and removed, the VTEP table, ARP
suppression per VNet, and what `save` keeps. No traffic (the multi-host
tests send it); the uplink is a `null` device, so no VTEP resolves."""

import json
import os
import sys

from conftest import REPO, run

CLIENT = os.path.join(REPO, "apps", "tools", "vswitch_client.py")

MAC_B1 = "02:00:00:00:0b:01"
MAC_B2 = "02:00:00:00:0b:02"
MAC_C1 = "02:00:00:00:0c:01"


def configure(d):
    d.vsctl("add", "uplink", "up0", "driver", "null:no-rx=1", "ip", "192.0.2.10/24")
    d.vsctl("add", "vnet", "blue", "tenant", "acme", "vni", "100", "prefix", "10.1.0.0/24")
    d.vsctl("add", "vnet", "red", "tenant", "acme", "vni", "200", "arp-suppression", "off")


def remote_ports(d, *vnet):
    """(vnet, mac, ips, vtep) of each remote port, sorted (the daemon's order
    is its own)."""
    return sorted((p["vnet"], p["mac"], p["ips"], p["vtep"])
                  for p in d.vsctl("show", "remote-ports", *vnet, json_out=True)["ports"])


def vteps(d):
    return {v["ip"]: v for v in d.vsctl("show", "vteps", json_out=True)["vteps"]}


def test_remote_port_add_show_del(vswitchd):
    d = vswitchd
    configure(d)
    out = d.vsctl("add", "remote-port", "blue", MAC_B1, "vtep", "192.0.2.20", "ip", "10.1.0.21",
                  "ip", "10.1.0.22").stdout
    assert out == f"remote-port {MAC_B1} added to blue (vtep 192.0.2.20)\n"
    d.vsctl("add", "remote-port", "red", MAC_C1, "vtep", "192.0.2.30")
    assert remote_ports(d) == [("blue", MAC_B1, ["10.1.0.21", "10.1.0.22"], "192.0.2.20"),
                               ("red", MAC_C1, [], "192.0.2.30")]
    assert remote_ports(d, "red") == [("red", MAC_C1, [], "192.0.2.30")]
    table = d.vsctl("show", "remote-ports").stdout.splitlines()
    assert table[0].split() == ["VNET", "MAC", "IPS", "VTEP"]
    assert sorted(line.split() for line in table[1:]) == [
        ["blue", MAC_B1, "10.1.0.21,10.1.0.22", "192.0.2.20"], ["red", MAC_C1, "-", "192.0.2.30"]]

    # One row per remote VTEP; nothing answers ARP behind a null uplink.
    v = vteps(d)
    assert sorted(v) == ["192.0.2.20", "192.0.2.30"]
    assert v["192.0.2.20"]["remote_ports"] == 1
    assert v["192.0.2.20"]["state"] != "RESOLVED"
    assert v["192.0.2.20"]["tx_packets"] == "0"  # uint64: a string in proto3 JSON
    rows = d.vsctl("show", "vteps").stdout.splitlines()
    assert rows[0].split() == ["IP", "PORTS", "STATE", "RX-PKTS", "RX-BYTES", "TX-PKTS",
                               "TX-BYTES", "REPLICATED"]
    assert sorted(r.split()[:2] for r in rows[1:]) == [["192.0.2.20", "1"], ["192.0.2.30", "1"]]
    assert "vteps:" in d.vsctl("show", "stats").stdout

    # The daemon's checks, named by field.
    res = d.vsctl("add", "remote-port", "blue", MAC_B1, "vtep", "192.0.2.21", check=False)
    assert res.returncode == 1 and "ALREADY_EXISTS" in res.stderr, res.stderr
    res = d.vsctl("add", "remote-port", "nosuch", MAC_B2, "vtep", "192.0.2.20", check=False)
    assert res.returncode == 1 and "NOT_FOUND" in res.stderr and "nosuch" in res.stderr
    res = d.vsctl("add", "remote-port", "blue", MAC_B2, check=False)
    assert res.returncode == 2 and 'missing "vtep IP"' in res.stderr

    assert d.vsctl("del", "remote-port", "blue", MAC_B1).stdout == \
        f"remote-port {MAC_B1} removed from blue\n"
    assert remote_ports(d) == [("red", MAC_C1, [], "192.0.2.30")]
    assert sorted(vteps(d)) == ["192.0.2.30"]  # A VTEP without remote ports is gone.
    res = d.vsctl("del", "remote-port", "blue", MAC_B1, check=False)
    assert res.returncode == 1 and "NOT_FOUND" in res.stderr


def test_load_remote_ports_replaces_them_as_one_change(vswitchd, tmp_path):
    d = vswitchd
    configure(d)
    d.vsctl("add", "remote-port", "red", MAC_C1, "vtep", "192.0.2.30")
    path = tmp_path / "rp.txt"
    path.write_text("# host B and C\n"
                    f"blue {MAC_B1} 192.0.2.20 10.1.0.21\n"
                    f"blue {MAC_B2} 192.0.2.20\n"
                    "\n"
                    f"red  {MAC_C1} 192.0.2.30   # unchanged\n")
    before = d.vsctl("show", "health", json_out=True)["snapshot_generation"]
    out = d.vsctl("load", "remote-ports", str(path)).stdout
    assert f"remote ports of all vnets loaded from {path}: 2 added, 0 removed, 0 changed, " \
        "1 unchanged" in out, out
    # One change: one new snapshot.
    assert int(d.vsctl("show", "health", json_out=True)["snapshot_generation"]) == int(before) + 1
    assert [p[1] for p in remote_ports(d)] == [MAC_B1, MAC_B2, MAC_C1]

    # Only blue: red's port stays although the file no longer has it.
    path.write_text(f"blue {MAC_B1} 192.0.2.21 10.1.0.21\n"  # moved to another VTEP
                    f"red {MAC_B2} 192.0.2.30\n")           # skipped: another VNet
    out = d.vsctl("load", "remote-ports", str(path), "vnet", "blue").stdout
    assert "remote ports of vnet blue loaded" in out and "0 added, 1 removed, 1 changed, " \
        "0 unchanged" in out and "1 line of other vnets skipped" in out, out
    assert remote_ports(d) == [("blue", MAC_B1, ["10.1.0.21"], "192.0.2.21"),
                               ("red", MAC_C1, [], "192.0.2.30")]

    # JSON: the reply itself.
    reply = d.vsctl("load", "remote-ports", str(path), "vnet", "blue", json_out=True)
    assert (reply["added"], reply["removed"], reply["changed"], reply["unchanged"]) == (0, 0, 0, 1)

    # A short line: nothing is sent, exit 2.
    gen = d.vsctl("show", "health", json_out=True)["snapshot_generation"]
    path.write_text(f"blue {MAC_B1} 192.0.2.20\nblue {MAC_B2}\n")
    res = d.vsctl("load", "remote-ports", str(path), check=False)
    assert res.returncode == 2 and f"{path}:2: expected" in res.stderr, res.stderr
    # The daemon refuses the whole file; vsctl points at the line.
    path.write_text(f"# dup\nblue {MAC_B1} 192.0.2.20\nblue {MAC_B1} 192.0.2.22\n")
    res = d.vsctl("load", "remote-ports", str(path), check=False)
    assert res.returncode == 1 and f"({path}:3)" in res.stderr, res.stderr
    assert d.vsctl("show", "health", json_out=True)["snapshot_generation"] == gen
    assert len(remote_ports(d)) == 2

    # An empty file removes them all.
    path.write_text("# nothing\n")
    assert "0 added, 2 removed" in d.vsctl("load", "remote-ports", str(path)).stdout
    assert remote_ports(d) == []


def test_arp_suppression_per_vnet_and_save_keep_the_overlay(vswitchd, tmp_path):
    d = vswitchd
    configure(d)
    d.vsctl("add", "remote-port", "blue", MAC_B1, "vtep", "192.0.2.20", "ip", "10.1.0.21")
    vnets = {v["name"]: v for v in d.vsctl("show", "vnets", json_out=True)["vnets"]}
    assert vnets["blue"]["arp_suppression_disabled"] is False
    assert vnets["red"]["arp_suppression_disabled"] is True
    rows = {line.split()[1]: line.split()[-1]
            for line in d.vsctl("show", "vnets").stdout.splitlines()[1:]}
    assert rows == {"blue": "on", "red": "off"}
    res = d.vsctl("add", "vnet", "x", "tenant", "acme", "vni", "9", "arp-suppression", "no",
                  check=False)
    assert res.returncode == 2 and 'arp-suppression: "no" is not one of on, off' in res.stderr

    saved = tmp_path / "saved.textproto"
    d.vsctl("save", str(saved))
    text = saved.read_text()
    assert "arp_suppression_disabled: true" in text
    assert "remote_ports {" in text and MAC_B1 in text and "192.0.2.20" in text
    # `load` of the saved file changes nothing.
    d.vsctl("del", "remote-port", "blue", MAC_B1)
    d.vsctl("load", str(saved))
    assert remote_ports(d) == [("blue", MAC_B1, ["10.1.0.21"], "192.0.2.20")]


def client(d, *args, check=True):
    return run([sys.executable, CLIENT, "--socket", d.socket] + list(args), check=check,
               timeout=60)


def test_python_client_remote_ports_and_vteps(vswitchd, tmp_path):
    d = vswitchd
    configure(d)
    out = client(d, "add-remote-port", "blue", MAC_B1, "--vtep", "192.0.2.20", "--ip",
                 "10.1.0.21").stdout
    assert out == f"remote-port {MAC_B1} added to blue (vtep 192.0.2.20)\n"
    assert json.loads(client(d, "list-remote-ports", "--json").stdout) == [
        {"vnet": "blue", "mac": MAC_B1, "ips": ["10.1.0.21"], "vtep": "192.0.2.20"}]
    assert MAC_B1 in client(d, "list-remote-ports", "blue").stdout
    rows = json.loads(client(d, "--json", "vteps").stdout)
    assert [(r["ip"], r["remote_ports"]) for r in rows] == [("192.0.2.20", 1)]
    assert "192.0.2.20" in client(d, "vteps").stdout

    path = tmp_path / "rp.txt"
    path.write_text(f"blue {MAC_B2} 192.0.2.20\nred {MAC_C1} 192.0.2.30\n")
    out = client(d, "replace-remote-ports", str(path)).stdout
    assert "2 added, 1 removed, 0 changed, 0 unchanged" in out, out
    assert [p[1] for p in remote_ports(d)] == [MAC_B2, MAC_C1]
    reply = json.loads(client(d, "replace-remote-ports", str(path), "--vnet", "red",
                              "--json").stdout)
    assert (reply["added"], reply["unchanged"]) == (0, 1)

    client(d, "del-remote-port", "blue", MAC_B2)
    res = client(d, "del-remote-port", "blue", MAC_B2, check=False)
    assert res.returncode == 1 and "NOT_FOUND" in res.stderr
    assert [p[1] for p in remote_ports(d)] == [MAC_C1]
