# SPDX-License-Identifier: Apache-2.0
"""VPorts at run time: hot add/remove under traffic, admin state, uplink,
af_packet on a veth, clean shutdown."""

import os
import re
import signal
import threading

from conftest import attach_vm, run, unique, wait_for

MAC1, MAC2 = "02:00:00:00:01:01", "02:00:00:00:01:02"


def blue(d):
    d.vsctl("add", "vnet", "blue", "tenant", "acme", "vni", "100")


def test_hot_add_remove_loses_nothing_on_other_vports(vswitchd, netns_factory):
    blue(vswitchd)
    vm1 = attach_vm(vswitchd, netns_factory("vm1"), "vm1", "blue", "10.0.0.1", MAC1)
    vm2 = attach_vm(vswitchd, netns_factory("vm2"), "vm2", "blue", "10.0.0.2", MAC2)
    vm1.ping(vm2.ip, count=2)  # ARP resolved before the measured run.

    result = {}

    def traffic():
        result["ping"] = vm1.ns.exec("ping", "-c", "400", "-i", "0.01", "-W", "2", vm2.ip,
                                     check=False, timeout=60)

    t = threading.Thread(target=traffic)
    t.start()
    churn = 0
    while t.is_alive() and churn < 6:
        iface = unique("h")
        vswitchd.vsctl("add", "vport", "hot", "vnet", "blue", "driver", f"tap:iface={iface}")
        vswitchd.vsctl("del", "vport", "hot")
        churn += 1
    t.join(timeout=90)
    out = result["ping"].stdout
    assert churn >= 3, "traffic ended before the vport churn"
    m = re.search(r"(\d+) packets transmitted, (\d+) received", out)
    assert m, out
    assert m.group(1) == "400" and m.group(2) == "400", out
    assert "hot" not in vswitchd.vsctl("show", "vports").stdout


def test_admin_down_stops_traffic_and_counts(vswitchd, netns_factory):
    blue(vswitchd)
    vm1 = attach_vm(vswitchd, netns_factory("vm1"), "vm1", "blue", "10.0.0.1", MAC1)
    vm2 = attach_vm(vswitchd, netns_factory("vm2"), "vm2", "blue", "10.0.0.2", MAC2)
    vm1.ping(vm2.ip, count=1)
    vswitchd.vsctl("set", "vport", "vm2", "admin", "down")
    res = vm1.ping(vm2.ip, count=2, check=False)
    assert res.returncode != 0
    drops = {d["reason"]: int(d["packets"]) for d in vswitchd.stats()["drops"]}
    assert drops["port_admin_down"] > 0
    vswitchd.vsctl("set", "vport", "vm2", "admin", "up")
    vm1.ping(vm2.ip, count=2)


def test_af_packet_vport_on_veth(vswitchd, netns_factory):
    blue(vswitchd)
    vm1 = attach_vm(vswitchd, netns_factory("vm1"), "vm1", "blue", "10.0.0.1", MAC1)
    ns2 = netns_factory("vm2")
    host_end, vm_end = unique("a"), unique("b")
    run(["ip", "link", "add", host_end, "type", "veth", "peer", "name", vm_end])
    try:
        run(["ip", "link", "set", vm_end, "netns", ns2.name])
        run(["ip", "link", "set", host_end, "up"])
        ns2.exec("ip", "link", "set", vm_end, "address", MAC2)
        ns2.exec("ip", "addr", "add", "10.0.0.2/24", "dev", vm_end)
        ns2.exec("ip", "link", "set", vm_end, "up")
        vswitchd.vsctl("add", "vport", "vm2", "vnet", "blue", "driver",
                       f"af_packet:iface={host_end}")
        vm1.ping("10.0.0.2", count=3)
    finally:
        run(["ip", "link", "del", host_end], check=False)


def test_uplink_and_second_uplink_refused(vswitchd):
    vswitchd.vsctl("add", "uplink", "up0", "driver", "null", "ip", "192.0.2.10/24",
                   "gateway", "192.0.2.1", "mtu", "1500")
    before = vswitchd.vsctl("show", "vports", json_out=True)
    res = vswitchd.vsctl("add", "uplink", "up1", "driver", "null", "ip", "192.0.2.11/24",
                         check=False)
    assert res.returncode == 1
    assert "FAILED_PRECONDITION" in res.stderr and "up0" in res.stderr
    assert vswitchd.vsctl("show", "vports", json_out=True) == before


def test_uplink_mtu_the_device_refuses_is_refused(vswitchd):
    """A TAP uplink takes at most MTU 1504 (the TAP PMD's 1522-byte frames):
    MTU 9000 used to be ignored, leaving copies the PMD then refused. Now
    the uplink is refused, naming the limit, and nothing changes; a device
    with no MTU of its own (null) takes any."""
    before = vswitchd.vsctl("show", "vports", json_out=True)
    iface = unique("up")
    res = vswitchd.vsctl("add", "uplink", "up0", "driver", f"tap:iface={iface}", "ip",
                         "192.0.2.10/24", "mtu", "9000", check=False)
    assert res.returncode == 1
    assert "INVALID_ARGUMENT" in res.stderr and "mtu 9000" in res.stderr, res.stderr
    assert "at most 1504" in res.stderr, res.stderr
    assert vswitchd.vsctl("show", "vports", json_out=True) == before
    assert not os.path.exists(f"/sys/class/net/{iface}")
    vswitchd.vsctl("add", "uplink", "up0", "driver", f"tap:iface={iface}", "ip",
                   "192.0.2.10/24", "mtu", "1504")
    vswitchd.vsctl("del", "vport", "up0")
    vswitchd.vsctl("add", "uplink", "up1", "driver", "null", "ip", "192.0.2.11/24", "mtu", "9000")


def test_sigterm_shuts_down_cleanly(vswitchd_factory, netns_factory):
    d = vswitchd_factory()
    blue(d)
    vm1 = attach_vm(d, netns_factory("vm1"), "vm1", "blue", "10.0.0.1", MAC1)
    assert d.stop(signal.SIGTERM) == 0
    assert not os.path.exists(d.socket)
    # The TAP interface went with the daemon.
    assert vm1.iface not in vm1.ns.exec("ip", "-o", "link").stdout
    assert "stopped" in d.read_log()
