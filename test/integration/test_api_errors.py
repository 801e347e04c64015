# SPDX-License-Identifier: Apache-2.0
"""Bad requests get a precise status naming the field, and change nothing.
Bad flags give exit code 2 and one line."""

import re
import subprocess

import pytest

from conftest import VSWITCHD, unique


def state(d):
    return (d.vsctl("show", "vnets", json_out=True), d.vsctl("show", "vports", json_out=True),
            d.vsctl("show", "fdb", json_out=True))


@pytest.fixture
def configured(vswitchd):
    vswitchd.vsctl("add", "vnet", "blue", "tenant", "acme", "vni", "100")
    vswitchd.vsctl("add", "vport", "p1", "vnet", "blue", "driver", "null:no-rx=1")
    return vswitchd


@pytest.mark.parametrize("args, code, needle", [
    (["add", "vport", "p2", "vnet", "nosuch", "driver", "null"], "NOT_FOUND", "vnet"),
    (["add", "vport", "p1", "vnet", "blue", "driver", "null"], "ALREADY_EXISTS", "p1"),
    (["add", "vnet", "blue", "tenant", "acme", "vni", "300"], "ALREADY_EXISTS", "blue"),
    (["add", "vnet", "green", "tenant", "acme", "vni", "100"], "ALREADY_EXISTS", "vni"),
    (["add", "vnet", "green", "tenant", "acme", "vni", "16777216"], "INVALID_ARGUMENT", "vni"),
    (["add", "vport", "p2", "vnet", "blue", "driver", "null", "mac", "02:00:00:00:00:zz"],
     "INVALID_ARGUMENT", "vm_macs[0]"),
    (["add", "vport", "p2", "vnet", "blue", "driver", "null", "mac", "01:00:5e:00:00:01"],
     "INVALID_ARGUMENT", "unicast"),
    (["add", "vport", "p2", "vnet", "blue", "driver", "null", "ip", "10.0.0"],
     "INVALID_ARGUMENT", "ips[0]: '10.0.0' is not an IPv4 address"),
    (["add", "vport", "p2", "vnet", "blue", "driver", "null", "ip", "10.0.0.5", "ip", "10.0.0.5"],
     "INVALID_ARGUMENT", "ips[1]: '10.0.0.5' listed twice"),
    (["add", "vport", "p2", "vnet", "blue", "driver", "null"]
     + sum((["mac", f"02:00:00:00:07:0{i}"] for i in range(9)), []),
     "INVALID_ARGUMENT", "vm_macs: 9 MACs; port security takes at most 8"),
    (["add", "vport", "p2", "vnet", "blue", "driver", "bogus:x=1"], "INVALID_ARGUMENT", "driver"),
    (["add", "vport", "p2", "vnet", "blue", "driver", "tap:iface"], "INVALID_ARGUMENT", "driver"),
    (["add", "vport", "p2", "vnet", "blue", "driver", "af_packet:iface=nosuchif0"], "NOT_FOUND",
     "nosuchif0"),
    (["add", "fdb", "blue", "02:00:00:00:00:01", "nosuch"], "NOT_FOUND", "vport"),
    (["add", "fdb", "blue", "ff:ff:ff:ff:ff:ff", "p1"], "INVALID_ARGUMENT", "mac"),
    (["add", "fdb", "nosuch", "02:00:00:00:00:01", "p1"], "NOT_FOUND", "vnet"),
    (["del", "vnet", "blue"], "FAILED_PRECONDITION", "p1"),
    (["del", "vport", "nosuch"], "NOT_FOUND", "nosuch"),
    (["add", "uplink", "up0", "driver", "null", "ip", "192.0.2.10/33"], "INVALID_ARGUMENT",
     "ip_cidr"),
    (["add", "uplink", "up0", "driver", "null", "ip", "192.0.2.10/24", "gateway", "198.51.100.1"],
     "INVALID_ARGUMENT", "gateway"),
])
def test_bad_request_changes_nothing(configured, args, code, needle):
    before = state(configured)
    res = configured.vsctl(*args, check=False)
    assert res.returncode == 1, res.stdout + res.stderr
    assert code in res.stderr, res.stderr
    assert needle in res.stderr, res.stderr
    assert state(configured) == before


def test_bad_rpc_over_grpc_names_field(configured, grpc_stubs):
    import grpc
    from conftest import grpc_channel
    pb2, pb2_grpc = grpc_stubs
    stub = pb2_grpc.VSwitchStub(grpc_channel(configured))
    before = state(configured)
    with pytest.raises(grpc.RpcError) as e:
        stub.AddVPort(pb2.AddVPortRequest(vport=pb2.VPort(
            name="p9", vnet="blue", driver="null", vm_macs=["not-a-mac"])), timeout=10)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "vport.vm_macs[0]" in e.value.details() and "not-a-mac" in e.value.details()
    with pytest.raises(grpc.RpcError) as e:
        stub.CreateVNet(pb2.CreateVNetRequest(vnet=pb2.VNet(name="bad name!", tenant="t", vni=5)),
                        timeout=10)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "vnet.name" in e.value.details()
    assert state(configured) == before


def test_static_fdb_roundtrip(configured):
    configured.vsctl("add", "fdb", "blue", "02:00:00:00:00:AA", "p1")
    entries = configured.vsctl("show", "fdb", "blue", json_out=True)["entries"]
    assert [(e["mac"], e["vport"], e["type"]) for e in entries] == [
        ("02:00:00:00:00:aa", "p1", "FDB_ENTRY_TYPE_STATIC")]
    configured.vsctl("del", "fdb", "blue", "02:00:00:00:00:aa")
    assert configured.vsctl("show", "fdb", "blue", json_out=True).get("entries", []) == []


@pytest.mark.parametrize("flags, needle", [
    (["--bogus"], "--bogus"),
    (["--mem_mb=5"], "--mem_mb"),
    (["--fwd_lcores=1,x"], "--fwd_lcores"),
    (["--idle_sleep_us=abc"], "--idle_sleep_us"),
    (["--hugepages=maybe"], "--hugepages"),
    (["--fwd_lcores=0"], "main lcore"),
    (["--fwd_lcores=97"], "does not exist"),
    (["--encap_lcore=1"], "forwarding lcore"),
    (["stray"], "stray"),
])
def test_bad_flags_exit_2_with_one_line(tmp_path, flags, needle):
    res = subprocess.run([VSWITCHD, f"--socket={tmp_path}/s.sock",
                          f"--file_prefix={unique('bf')}"] + flags,
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert needle in lines[0]


def test_controller_status_checked_then_shown(configured, grpc_stubs):
    """SetControllerStatus (the fleet agent's report): a bad field is
    refused naming it and changes nothing; a good one shows in show health."""
    import grpc
    from conftest import grpc_channel
    pb2, pb2_grpc = grpc_stubs
    stub = pb2_grpc.VSwitchStub(grpc_channel(configured))
    assert re.search(r"^controller +none$", configured.vsctl("show", "health").stdout, re.M)
    for status, field in ((pb2.ControllerStatus(name="a", state="bogus"), "status.state"),
                          (pb2.ControllerStatus(name="", state="converged"), "status.name"),
                          (pb2.ControllerStatus(name="a", state="error", message="x" * 5000),
                           "status.message")):
        with pytest.raises(grpc.RpcError) as e:
            stub.SetControllerStatus(pb2.SetControllerStatusRequest(status=status), timeout=10)
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert field in e.value.details()
    assert not stub.GetHealth(pb2.GetHealthRequest(), timeout=10).HasField("controller")
    stub.SetControllerStatus(pb2.SetControllerStatusRequest(status=pb2.ControllerStatus(
        name="vswitch-agent", connected=True, state="converged", applied_revision=42)), timeout=10)
    out = configured.vsctl("show", "health").stdout
    assert "controller_state" in out and "converged" in out
    assert "controller_applied_revision  42" in out
