# SPDX-License-Identifier: Apache-2.0
"""The Python client example (apps/tools/vswitch_client.py) against a real
daemon: it generates its stubs with protoc and Debian's grpc_python_plugin,
lists the vports and creates a TAP session that vsctl then shows."""

import json
import os
import sys

from conftest import REPO, run

CLIENT = os.path.join(REPO, "apps", "tools", "vswitch_client.py")


def client(d, *args, check=True):
    return run([sys.executable, CLIENT, "--socket", d.socket] + list(args), check=check,
               timeout=60)


def configure(d):
    d.vsctl("add", "vnet", "blue", "tenant", "acme", "vni", "100", "prefix", "10.0.0.0/24")
    d.vsctl("add", "vport", "vm1", "vnet", "blue", "driver", "null:no-rx=1")
    d.vsctl("add", "vport", "vm2", "vnet", "blue", "driver", "null:no-rx=1",
            "mac", "02:00:00:00:00:02", "ip", "10.0.0.2")
    # No uplink or collector needed to configure a session.
    d.vsctl("add", "destination", "col", "vnet", "blue", "vni", "5000",
            "collector", "192.0.2.2")


def test_client_lists_ports_and_creates_session(vswitchd):
    d = vswitchd
    configure(d)

    ports = json.loads(client(d, "--json", "list-ports").stdout)
    assert [p["name"] for p in ports] == ["vm1", "vm2"]
    assert all(p["vnet"] == "blue" and p["kind"] == "VPORT_KIND_VM" for p in ports)
    assert (ports[0]["vm_macs"], ports[0]["ips"], ports[0]["port_security"]) == ([], [], False)
    assert (ports[1]["vm_macs"], ports[1]["ips"], ports[1]["port_security"]) == \
        (["02:00:00:00:00:02"], ["10.0.0.2"], True)
    table = client(d, "list-ports").stdout
    assert "vm1" in table and "vm2" in table

    out = client(d, "create-tap-session", "t1", "--source", "vm1", "--source", "vm2",
                 "--destination", "col", "--direction", "rx").stdout
    assert "created TAP session t1" in out

    sessions = d.vsctl("show", "tap-sessions", json_out=True)["sessions"]
    assert len(sessions) == 1
    s = sessions[0]
    assert s["name"] == "t1"
    assert s["sources"] == ["vm1", "vm2"]
    assert s["destinations"] == ["col"]
    assert s["direction"] == "TAP_DIRECTION_RX"


def test_client_with_pregenerated_stubs_reports_errors(vswitchd, tmp_path):
    d = vswitchd
    configure(d)
    # The documented protoc command, run once; --stubs reuses its output.
    run(["protoc", f"--proto_path={REPO}", f"--python_out={tmp_path}", f"--grpc_out={tmp_path}",
         "--plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin",
         os.path.join(REPO, "vswitch", "api", "vswitch.proto")])
    client(d, "--stubs", str(tmp_path), "create-tap-session", "t1", "--source", "vm1",
           "--destination", "col")
    # A second session of the same name: the daemon's error, exit 1.
    res = client(d, "--stubs", str(tmp_path), "create-tap-session", "t1", "--source", "vm1",
                 "--destination", "col", check=False)
    assert res.returncode == 1
    assert "ALREADY_EXISTS" in res.stderr and "t1" in res.stderr
    # An unknown destination names the field.
    res = client(d, "--stubs", str(tmp_path), "create-tap-session", "t2", "--source", "vm1",
                 "--destination", "nope", check=False)
    assert res.returncode == 1 and "nope" in res.stderr
    names = [s["name"] for s in d.vsctl("show", "tap-sessions", json_out=True)["sessions"]]
    assert names == ["t1"]


# ---- no daemon: the command line and the remote-ports file of the client.

def load_client():
    import importlib.util
    spec = importlib.util.spec_from_file_location("vswitch_client", CLIENT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_client_parses_remote_port_commands():
    c = load_client()
    args = c.parser().parse_args(["--socket", "s", "add-remote-port", "blue", "02:00:00:00:10:01",
                                  "--vtep", "192.0.2.20", "--ip", "10.1.0.21", "--ip",
                                  "10.1.0.22"])
    assert (args.command, args.vnet, args.mac, args.vtep, args.ip) == \
        ("add-remote-port", "blue", "02:00:00:00:10:01", "192.0.2.20", ["10.1.0.21", "10.1.0.22"])
    assert c.COMMANDS[args.command] is c.add_remote_port
    assert c.parser().parse_args(["--socket", "s", "list-remote-ports"]).vnet is None
    # --json before the subcommand or after it; neither overrides the other.
    assert c.parser().parse_args(["--socket", "s", "--json", "list-remote-ports", "blue"]).json
    assert c.parser().parse_args(["--socket", "s", "vteps", "--json"]).json
    assert not c.parser().parse_args(["--socket", "s", "vteps"]).json
    args = c.parser().parse_args(["--socket", "s", "replace-remote-ports", "f.txt", "--vnet", "red"])
    assert (args.file, args.vnet) == ("f.txt", "red")
    for argv in (["add-remote-port", "blue", "02:00:00:00:10:01"],  # --vtep is required
                 ["del-remote-port", "blue"]):
        try:
            c.parser().parse_args(["--socket", "s"] + argv)
            raise AssertionError(f"{argv} parsed")
        except SystemExit as e:
            assert e.code == 2


def test_client_reads_the_vsctl_remote_ports_format():
    c = load_client()
    text = ("# vnet mac vtep ips\n"
            "blue 02:00:00:00:10:01 192.0.2.20 10.1.0.21 10.1.0.22\n"
            "\n"
            "red\t02:00:00:00:20:01\t192.0.2.30  # no ips\n"
            "blue 02:00:00:00:10:02 192.0.2.30\n")
    assert c.parse_remote_ports(text, "rp.txt") == [
        ("blue", "02:00:00:00:10:01", "192.0.2.20", ["10.1.0.21", "10.1.0.22"]),
        ("red", "02:00:00:00:20:01", "192.0.2.30", []),
        ("blue", "02:00:00:00:10:02", "192.0.2.30", [])]
    assert [p[1] for p in c.parse_remote_ports(text, "rp.txt", "blue")] == \
        ["02:00:00:00:10:01", "02:00:00:00:10:02"]
    try:
        c.parse_remote_ports("blue 02:00:00:00:10:01 192.0.2.20\nblue 02:00:00:00:10:02\n",
                             "rp.txt")
        raise AssertionError("short line parsed")
    except c.FileError as e:
        assert str(e) == 'rp.txt:2: expected "VNET MAC VTEP [IP]...", got 2 words'


def test_client_bad_remote_ports_file_sends_nothing(tmp_path):
    bad = tmp_path / "rp.txt"
    bad.write_text("blue 02:00:00:00:10:01\n")
    # No daemon at the socket: the file is refused before any RPC.
    res = run([sys.executable, CLIENT, "--socket", str(tmp_path / "none.sock"),
               "replace-remote-ports", str(bad)], check=False, timeout=60)
    assert res.returncode == 2
    assert f"{bad}:1: expected" in res.stderr
    res = run([sys.executable, CLIENT, "--socket", str(tmp_path / "none.sock"),
               "replace-remote-ports", str(tmp_path / "missing.txt")], check=False, timeout=60)
    assert res.returncode == 2 and "missing.txt: cannot read" in res.stderr
