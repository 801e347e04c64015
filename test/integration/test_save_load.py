# SPDX-License-Identifier: Apache-2.0
"""`vsctl save FILE` / `vsctl load FILE`: save writes the running
configuration (GetConfig) atomically in the --config text format; load parses
the whole file in vsctl (a bad file names FILE:LINE and sends nothing), then
applies it with one ApplyConfig (an invalid config names the field path and
changes nothing). Works one-shot, in `-f script` and at the prompt."""

import os

from conftest import VSCTL, run

SHOWS = ("vnets", "vports", "fdb", "tap-sessions", "destinations", "neighbors")


def shows(d):
    """What `vsctl show` prints for the configuration (text form)."""
    return {what: d.vsctl("show", what).stdout for what in SHOWS}


def configure(d):
    d.vsctl("add", "vnet", "blue", "tenant", "acme", "vni", "100", "prefix", "10.0.0.0/24")
    d.vsctl("add", "vnet", "red", "tenant", "acme", "vni", "200")
    d.vsctl("peer", "vnet", "blue", "red")
    d.vsctl("add", "vport", "p1", "vnet", "blue", "driver", "null:no-rx=1",
            "mac", "02:00:00:00:00:01")
    d.vsctl("add", "vport", "p2", "vnet", "red", "driver", "null:no-rx=1", "admin", "down")
    d.vsctl("add", "fdb", "blue", "02:00:00:00:00:aa", "p1")
    d.vsctl("add", "uplink", "up0", "driver", "null:no-rx=1", "ip", "192.0.2.10/24")
    d.vsctl("set", "neighbor", "192.0.2.2", "mac", "02:00:00:00:00:fe")
    d.vsctl("add", "destination", "col", "vnet", "blue", "vni", "5000", "collector",
            "192.0.2.2")
    d.vsctl("add", "tap-session", "t1", "source", "p1", "destination", "col", "truncate",
            "128", "rule", "prio=10,proto=udp,dport=53")


def test_save_modify_load_restores_show_output(vswitchd, tmp_path):
    d = vswitchd
    configure(d)
    before = shows(d)
    saved = tmp_path / "saved.textproto"
    res = d.vsctl("save", str(saved))
    assert "saved" in res.stdout
    text = saved.read_text()
    assert text.startswith("# vswitch configuration")
    assert '"t1"' in text and "port_id" not in text
    assert not [f for f in os.listdir(tmp_path) if ".tmp." in f]

    # Modify a bit of everything, in place and by adding objects.
    d.vsctl("set", "tap-session", "t1", "source", "p1", "destination", "col", "direction", "rx")
    d.vsctl("set", "vport", "p2", "admin", "up")
    d.vsctl("del", "fdb", "blue", "02:00:00:00:00:aa")
    d.vsctl("unpeer", "vnet", "blue", "red")
    d.vsctl("set", "neighbor", "192.0.2.2", "mac", "02:00:00:00:00:fd")
    d.vsctl("add", "vport", "p3", "vnet", "blue", "driver", "null:no-rx=1")
    d.vsctl("add", "destination", "col2", "vnet", "red", "vni", "6000", "collector",
            "192.0.2.3")
    assert all(shows(d)[w] != before[w] for w in SHOWS)

    res = d.vsctl("load", str(saved))
    assert "loaded" in res.stdout
    after = shows(d)
    assert after == before

    # A deleted object comes back with its settings and a fresh id (ids are
    # never reused).
    d.vsctl("del", "vport", "p2")
    d.vsctl("load", str(saved))
    ports = {v["name"]: v for v in d.vsctl("show", "vports", json_out=True)["vports"]}
    assert set(ports) == {"p1", "p2", "up0"}
    assert ports["p2"]["admin_state"] == "ADMIN_STATE_DOWN"
    after = shows(d)

    # Loading what runs changes nothing, not even the generation.
    d.vsctl("save", str(saved))
    gen = d.vsctl("show", "health", json_out=True)["snapshot_generation"]
    d.vsctl("load", str(saved))
    assert shows(d) == after
    assert d.vsctl("show", "health", json_out=True)["snapshot_generation"] >= gen


def test_load_of_corrupt_file_names_line_and_field_and_sends_nothing(vswitchd, tmp_path):
    d = vswitchd
    configure(d)
    saved = tmp_path / "saved.textproto"
    d.vsctl("save", str(saved))
    before = shows(d)
    gen = d.vsctl("show", "health", json_out=True)["snapshot_generation"]

    lines = saved.read_text().splitlines()
    # An unknown field on a known line.
    n = next(i for i, l in enumerate(lines) if "tenant:" in l)
    bad = tmp_path / "bad.textproto"
    bad.write_text("\n".join(lines[:n] + ["  colour: 3"] + lines[n:]) + "\n")
    res = d.vsctl("load", str(bad), check=False)
    assert res.returncode == 2, res.stderr
    assert f"{bad}:{n + 1}:" in res.stderr and "colour" in res.stderr, res.stderr
    # Cut inside a string: the line is named.
    cut = tmp_path / "cut.textproto"
    data = saved.read_text()
    cut.write_text(data[:data.index('"p2') + 3])
    res = d.vsctl("load", str(cut), check=False)
    assert res.returncode == 2, res.stderr
    assert f"{cut}:{data[:data.index('p2')].count(chr(10)) + 1}:" in res.stderr, res.stderr
    # A missing file.
    res = d.vsctl("load", str(tmp_path / "nosuch"), check=False)
    assert res.returncode == 2 and "nosuch" in res.stderr, res.stderr

    assert shows(d) == before
    assert d.vsctl("show", "health", json_out=True)["snapshot_generation"] == gen


def test_load_of_invalid_config_returns_field_path_and_changes_nothing(vswitchd, tmp_path):
    d = vswitchd
    configure(d)
    before = shows(d)
    gen = d.vsctl("show", "health", json_out=True)["snapshot_generation"]
    bad = tmp_path / "bad.textproto"
    saved = tmp_path / "saved.textproto"
    d.vsctl("save", str(saved))
    bad.write_text(saved.read_text() +
                   'vports { name: "p9" vnet: "green" driver: "null:no-rx=1" }\n')
    res = d.vsctl("load", str(bad), check=False)
    assert res.returncode == 1, res.stderr
    assert "vports[3].vnet" in res.stderr and "green" in res.stderr, res.stderr
    assert res.stderr.startswith("error: NOT_FOUND") or "INVALID_ARGUMENT" in res.stderr
    assert shows(d) == before
    assert d.vsctl("show", "health", json_out=True)["snapshot_generation"] == gen


def test_save_and_load_in_a_script_and_help(vswitchd, tmp_path):
    d = vswitchd
    saved = tmp_path / "sub" / "s.textproto"
    script = tmp_path / "s.vs"
    script.write_text("add vnet blue tenant acme vni 100\n"
                      f"save {saved}\n"
                      "del vnet blue\n"
                      f"load {saved}\n"
                      f"load {tmp_path}/nosuch\n")
    res = run([VSCTL, "--socket", d.socket, "-f", str(script)], check=False)
    assert res.returncode == 2, res.stdout + res.stderr
    assert f"{script}:5:" in res.stderr and "nosuch" in res.stderr, res.stderr
    assert "blue" in d.vsctl("show", "vnets").stdout
    out = d.vsctl("help", "load").stdout
    assert "usage: load FILE" in out and "RPC: ApplyConfig" in out
    assert "usage: save FILE" in d.vsctl("help", "save").stdout
