# SPDX-License-Identifier: Apache-2.0
"""Configuration persistence: every accepted change is written to --config
atomically; a restarted daemon (even after kill -9) comes back with the same
configuration; a corrupt file stops the start with exit 2 and is left as it
is; GetConfig/ApplyConfig read and replace the whole configuration."""

import os
import shutil
import signal
import subprocess

import pytest

from conftest import (VSWITCHD, Daemon, attach_vm, grpc_channel, run, unique, wait_for)

MAC1 = "02:00:00:00:00:01"
MAC2 = "02:00:00:00:00:02"
SHOWS = ("vnets", "vports", "fdb", "tap-sessions", "destinations")
RUNTIME_ONLY = ("port_id", "mac", "link_up")


@pytest.fixture
def daemons():
    """daemon(workdir) -> a started Daemon; all are stopped (and their EAL
    runtime directories removed) at the end, also on failure."""
    made = []

    def make(workdir, *flags):
        d = Daemon(str(workdir), flags)
        made.append(d)
        return d.start()

    yield make
    for d in made:
        d.stop()
        shutil.rmtree(f"/var/run/dpdk/{d.prefix}", ignore_errors=True)


def config_state(d):
    """What `vsctl show` prints for the configuration, without run-time
    fields (DPDK port, device MAC, link) and learned FDB entries."""
    out = {}
    for what in SHOWS:
        got = d.vsctl("show", what, json_out=True)
        for vp in got.get("vports", []):
            for k in RUNTIME_ONLY:
                vp.pop(k, None)
        if "entries" in got:
            got["entries"] = [e for e in got["entries"]
                              if e.get("type") != "FDB_ENTRY_TYPE_LEARNED"]
        out[what] = got
    return out


def reattach(vm):
    """The daemon's new TAP interface of `vm` (same name) back into its
    namespace, configured as before."""
    wait_for(lambda: os.path.exists(f"/sys/class/net/{vm.iface}"),
             what=f"{vm.iface} to reappear")
    run(["ip", "link", "set", vm.iface, "netns", vm.ns.name])
    vm.ns.exec("sysctl", "-qw", f"net.ipv6.conf.{vm.iface}.disable_ipv6=1", check=False)
    vm.ns.exec("ip", "link", "set", vm.iface, "address", vm.mac)
    vm.ns.exec("ip", "addr", "add", f"{vm.ip}/24", "dev", vm.iface)
    vm.ns.exec("ip", "link", "set", vm.iface, "up")


def configure_switch(d, netns_factory):
    d.vsctl("add", "vnet", "blue", "tenant", "acme", "vni", "100", "prefix", "10.0.0.0/24")
    d.vsctl("add", "vnet", "red", "tenant", "acme", "vni", "200")
    vm1 = attach_vm(d, netns_factory("vm1"), "vm1", "blue", "10.0.0.1", MAC1)
    vm2 = attach_vm(d, netns_factory("vm2"), "vm2", "blue", "10.0.0.2", MAC2)
    d.vsctl("add", "vport", "vm3", "vnet", "red", "driver", "null:no-rx=1")
    d.vsctl("add", "fdb", "blue", "02:00:00:00:00:AA", "vm2")
    d.vsctl("add", "uplink", "up0", "driver", "null:no-rx=1", "ip", "192.0.2.10/24")
    d.vsctl("add", "destination", "col", "vnet", "blue", "vni", "5000", "collector",
            "192.0.2.2")
    d.vsctl("add", "tap-session", "t1", "source", "vm1", "destination", "col")
    return vm1, vm2


def test_config_survives_kill_9(daemons, netns_factory, tmp_path):
    d1 = daemons(tmp_path)
    vm1, vm2 = configure_switch(d1, netns_factory)
    vm1.ping(vm2.ip)
    before = config_state(d1)
    assert os.path.exists(tmp_path / "config.textproto")

    d1.proc.send_signal(signal.SIGKILL)
    d1.proc.wait(timeout=10)
    # The dead daemon's socket file is still there; the new one replaces it.
    assert os.path.exists(d1.socket)

    d2 = daemons(tmp_path)  # Same --config and socket, new EAL file prefix.
    assert config_state(d2) == before
    # The kernel TAP interfaces died with the first process.
    reattach(vm1)
    reattach(vm2)
    vm1.ping(vm2.ip)
    assert int(d2.port_stats("vm1")["rx_packets"]) >= 3


def test_sigterm_keeps_the_file(daemons, tmp_path):
    d1 = daemons(tmp_path)
    d1.vsctl("add", "vnet", "blue", "tenant", "acme", "vni", "100")
    d1.vsctl("add", "vport", "p1", "vnet", "blue", "driver", "null:no-rx=1")
    before = config_state(d1)
    assert d1.stop() == 0
    # Shutting down removes the devices but is not a configuration change.
    assert "p1" in (tmp_path / "config.textproto").read_text()
    d2 = daemons(tmp_path)
    assert config_state(d2) == before
    # Ids continue above the restored ones.
    d2.vsctl("add", "vport", "p2", "vnet", "blue", "driver", "null:no-rx=1")
    ids = {v["name"]: v["id"] for v in d2.vsctl("show", "vports", json_out=True)["vports"]}
    assert ids["p2"] > ids["p1"]


def test_port_security_fields_survive_a_restart(daemons, tmp_path):
    d1 = daemons(tmp_path)
    d1.vsctl("add", "vnet", "blue", "tenant", "acme", "vni", "100", "prefix", "10.0.6.0/24")
    d1.vsctl("add", "vport", "p1", "vnet", "blue", "driver", "null:no-rx=1",
             "mac", "02:00:00:00:06:01", "ip", "10.0.6.1", "ip", "10.0.6.11")
    d1.vsctl("add", "vport", "p2", "vnet", "blue", "driver", "null:no-rx=1",
             "mac", "02:00:00:00:06:02", "ip", "10.0.6.2", "port-security", "off")
    before = config_state(d1)
    ports = {v["name"]: v for v in before["vports"]["vports"]}
    assert ports["p1"]["ips"] == ["10.0.6.1", "10.0.6.11"]
    assert ports["p2"]["port_security_disabled"] is True
    assert d1.stop() == 0
    d2 = daemons(tmp_path)
    assert config_state(d2) == before
    # The restored addresses are enforced by the validator too.
    res = d2.vsctl("add", "vport", "p3", "vnet", "blue", "driver", "null:no-rx=1",
                   "ip", "10.0.6.11", check=False)
    assert res.returncode == 1
    assert "ALREADY_EXISTS: vport.ips[0]: 10.0.6.11 is already an address of vport 'p1'" in res.stderr


def refused_start(tmp_path, config_path):
    """Starts vswitchd on `config_path`, which must stop it with exit 2 and
    one line on stderr; returns that line."""
    prefix = unique("bad")
    try:
        res = subprocess.run([VSWITCHD, f"--socket={tmp_path}/refused.sock",
                              f"--file_prefix={prefix}", f"--config={config_path}"],
                             capture_output=True, text=True, timeout=60)
    finally:
        shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    return lines[0]


def test_truncated_config_exits_2_and_is_left_alone(daemons, tmp_path):
    d = daemons(tmp_path)
    d.vsctl("add", "vnet", "blue", "tenant", "acme", "vni", "100")
    d.vsctl("add", "vport", "p1", "vnet", "blue", "driver", "null:no-rx=1")
    d.vsctl("add", "vport", "p2", "vnet", "blue", "driver", "null:no-rx=1")
    assert d.stop() == 0
    path = tmp_path / "config.textproto"
    data = path.read_bytes()
    cut = data[:data.index(b"p2") + 2]  # Ends inside the string "p2".
    path.write_bytes(cut)
    line = refused_start(tmp_path, path)
    line_no = cut.count(b"\n") + 1
    assert f"{path}:{line_no}:" in line, line
    assert path.read_bytes() == cut
    assert not [f for f in os.listdir(tmp_path) if ".tmp." in f]


def test_invalid_config_file_names_field(tmp_path):
    path = tmp_path / "config.textproto"
    text = ('vnets { id: 1 name: "blue" tenant: "acme" vni: 100 }\n'
            'vports { id: 1 name: "p1" vnet: "blue" driver: "null" }\n'
            'vports { id: 2 name: "p2" vnet: "green" driver: "null" }\n')
    path.write_text(text)
    line = refused_start(tmp_path, path)
    assert str(path) in line and "vports[1].vnet" in line, line
    assert path.read_text() == text


def test_failed_write_refuses_the_change(daemons, tmp_path):
    cfg_dir = tmp_path / "cfg"
    d = daemons(tmp_path, f"--config={cfg_dir}/config.textproto")
    d.vsctl("add", "vnet", "blue", "tenant", "acme", "vni", "100")
    before = config_state(d)
    # The config directory becomes a regular file: no temp file can be made.
    shutil.rmtree(cfg_dir)
    cfg_dir.write_text("not a directory")
    res = d.vsctl("add", "vnet", "red", "tenant", "acme", "vni", "200", check=False)
    assert res.returncode == 1
    assert "UNAVAILABLE" in res.stderr, res.stderr
    assert f"{cfg_dir}/config.textproto" in res.stderr and "errno" in res.stderr, res.stderr
    assert config_state(d) == before
    cfg_dir.unlink()
    d.vsctl("add", "vnet", "red", "tenant", "acme", "vni", "200")
    assert "red" in (cfg_dir / "config.textproto").read_text()


@pytest.fixture
def stub(grpc_stubs):
    pb2, pb2_grpc = grpc_stubs

    def make(daemon):
        return pb2_grpc.VSwitchStub(grpc_channel(daemon))

    return make


def test_apply_config_with_invalid_field_changes_nothing(daemons, tmp_path, grpc_stubs, stub):
    import grpc
    pb2, _ = grpc_stubs
    d = daemons(tmp_path)
    d.vsctl("add", "vnet", "blue", "tenant", "acme", "vni", "100")
    d.vsctl("add", "vport", "p1", "vnet", "blue", "driver", "null:no-rx=1")
    s = stub(d)
    running = s.GetConfig(pb2.GetConfigRequest(), timeout=10)
    assert [v.name for v in running.vports] == ["p1"]
    file_before = (tmp_path / "config.textproto").read_bytes()
    state_before = config_state(d)
    gen_before = int(d.vsctl("show", "health", json_out=True)["snapshot_generation"])

    bad = pb2.Config()
    bad.CopyFrom(running)
    bad.vports.add(name="p2", vnet="nosuch", driver="null:no-rx=1")
    with pytest.raises(grpc.RpcError) as e:
        s.ApplyConfig(pb2.ApplyConfigRequest(config=bad), timeout=10)
    assert e.value.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT)
    assert "vports[1].vnet" in e.value.details(), e.value.details()

    bad = pb2.Config()
    bad.CopyFrom(running)
    bad.vnets[0].vni = 16777216
    with pytest.raises(grpc.RpcError) as e:
        s.ApplyConfig(pb2.ApplyConfigRequest(config=bad), timeout=10)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "vnets[0].vni" in e.value.details(), e.value.details()

    assert s.GetConfig(pb2.GetConfigRequest(), timeout=10) == running
    assert config_state(d) == state_before
    assert (tmp_path / "config.textproto").read_bytes() == file_before
    gen = int(d.vsctl("show", "health", json_out=True)["snapshot_generation"])
    assert gen == gen_before


def test_apply_config_adds_and_removes_vports(daemons, tmp_path, netns_factory, grpc_stubs,
                                              stub):
    pb2, _ = grpc_stubs
    d = daemons(tmp_path)
    d.vsctl("add", "vnet", "blue", "tenant", "acme", "vni", "100", "prefix", "10.0.0.0/24")
    vm1 = attach_vm(d, netns_factory("vm1"), "vm1", "blue", "10.0.0.1", MAC1)
    vm2 = attach_vm(d, netns_factory("vm2"), "vm2", "blue", "10.0.0.2", MAC2)
    d.vsctl("add", "vport", "old", "vnet", "blue", "driver", "null:no-rx=1")
    vm1.ping(vm2.ip)
    ports_before = {v["name"]: v for v in d.vsctl("show", "vports", json_out=True)["vports"]}
    rx_before = int(d.port_stats("vm1")["rx_packets"])
    assert rx_before >= 3

    s = stub(d)
    cfg = s.GetConfig(pb2.GetConfigRequest(), timeout=10)
    keep = [v for v in cfg.vports if v.name != "old"]
    del cfg.vports[:]
    cfg.vports.extend(keep)
    # The id asked for is ignored: new objects get fresh ids.
    cfg.vports.add(id=999, name="new", vnet="blue", driver="null:no-rx=1")
    resp = s.ApplyConfig(pb2.ApplyConfigRequest(config=cfg), timeout=30)
    assert resp.snapshot_generation > 0

    ports = {v["name"]: v for v in d.vsctl("show", "vports", json_out=True)["vports"]}
    assert set(ports) == {"vm1", "vm2", "new"}
    for name in ("vm1", "vm2"):
        assert ports[name]["id"] == ports_before[name]["id"]
        assert ports[name].get("port_id", 0) == ports_before[name].get("port_id", 0)
    assert ports["new"]["id"] not in (999, ports_before["old"]["id"])
    assert ports["new"]["id"] > max(v["id"] for v in ports_before.values())
    # The untouched vport kept its device, so its counters did not restart.
    assert int(d.port_stats("vm1")["rx_packets"]) >= rx_before
    vm1.ping(vm2.ip)
    assert int(d.port_stats("vm1")["rx_packets"]) >= rx_before + 3
    text = (tmp_path / "config.textproto").read_text()
    assert '"new"' in text and '"old"' not in text

    # Applying the running config again changes nothing.
    running = s.GetConfig(pb2.GetConfigRequest(), timeout=10)
    s.ApplyConfig(pb2.ApplyConfigRequest(config=running), timeout=30)
    assert s.GetConfig(pb2.GetConfigRequest(), timeout=10) == running
    assert {v["name"]: v.get("port_id", 0)
            for v in d.vsctl("show", "vports", json_out=True)["vports"]} == {
                n: v.get("port_id", 0) for n, v in ports.items()}


def test_unknown_request_fields_never_reach_the_file(daemons, tmp_path, grpc_stubs, stub):
    """A newer client's field (here 13, unknown to this schema) is ignored:
    it must not be persisted, or the next start could not read the file."""
    pb2, _ = grpc_stubs
    d1 = daemons(tmp_path)
    vnet = pb2.VNet(name="blue", tenant="acme", vni=100).SerializeToString()
    vnet += b"\x6a\x0b10.9.0.0/16"  # Field 13, length-delimited.
    request = pb2.CreateVNetRequest.FromString(b"\x0a" + bytes([len(vnet)]) + vnet)
    stub(d1).CreateVNet(request, timeout=10)
    before = config_state(d1)
    assert "10.9.0.0" not in (tmp_path / "config.textproto").read_text()
    assert d1.stop() == 0
    d2 = daemons(tmp_path)
    assert config_state(d2) == before
