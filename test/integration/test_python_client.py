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
