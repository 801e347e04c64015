# SPDX-License-Identifier: Apache-2.0
"""L2 switching through the real daemon: ping, VNet isolation with
overlapping IPs, MAC learning and aging, flooding confined to the VNet."""

import subprocess
import time

from conftest import attach_vm, wait_for

MAC1, MAC2, MAC3, MAC4 = ("02:00:00:00:01:01", "02:00:00:00:01:02",
                          "02:00:00:00:02:03", "02:00:00:00:02:04")


def two_vnets(d):
    d.vsctl("add", "vnet", "blue", "tenant", "acme", "vni", "100", "prefix", "10.0.0.0/24")
    d.vsctl("add", "vnet", "red", "tenant", "acme", "vni", "200", "prefix", "10.0.0.0/24")


def test_ping_within_vnet(vswitchd, netns_factory):
    two_vnets(vswitchd)
    vm1 = attach_vm(vswitchd, netns_factory("vm1"), "vm1", "blue", "10.0.0.1", MAC1)
    vm2 = attach_vm(vswitchd, netns_factory("vm2"), "vm2", "blue", "10.0.0.2", MAC2)
    vm1.ping(vm2.ip, count=5)
    s1 = vswitchd.port_stats("vm1")
    s2 = vswitchd.port_stats("vm2")
    # Five echo requests and replies at least, plus ARP.
    assert int(s1["rx_packets"]) >= 6 and int(s2["tx_packets"]) >= 6
    assert int(s2["rx_packets"]) >= 5 and int(s1["tx_packets"]) >= 5


def test_isolation_with_overlapping_ips(vswitchd, netns_factory):
    two_vnets(vswitchd)
    vm1 = attach_vm(vswitchd, netns_factory("vm1"), "vm1", "blue", "10.0.0.1", MAC1)
    vm2 = attach_vm(vswitchd, netns_factory("vm2"), "vm2", "blue", "10.0.0.2", MAC2)
    # red reuses blue's addresses.
    vm3 = attach_vm(vswitchd, netns_factory("vm3"), "vm3", "red", "10.0.0.2", MAC3)
    vm4 = attach_vm(vswitchd, netns_factory("vm4"), "vm4", "red", "10.0.0.1", MAC4)

    cap = vm3.ns.popen("tcpdump", "-i", vm3.iface, "-nn", "-e", "-l", "-c", "200",
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        time.sleep(1.0)  # tcpdump attaches.
        vm1.ping("10.0.0.2", count=3)
        vm4.ping("10.0.0.2", count=3)
    finally:
        cap.terminate()
        out, _ = cap.communicate(timeout=10)

    # Each 10.0.0.2 answered from its own VNet.
    neigh1 = vm1.ns.exec("ip", "neigh", "show", "10.0.0.2").stdout
    neigh4 = vm4.ns.exec("ip", "neigh", "show", "10.0.0.2").stdout
    assert MAC2 in neigh1 and MAC3 not in neigh1
    assert MAC3 in neigh4 and MAC2 not in neigh4
    # Nothing of blue's reached red's vm3.
    assert MAC1 not in out and MAC2 not in out
    assert MAC4 in out  # The capture did work.


def test_learning_and_aging(vswitchd_factory, netns_factory):
    d = vswitchd_factory("--mac_aging_sec=2")
    two_vnets(d)
    vm1 = attach_vm(d, netns_factory("vm1"), "vm1", "blue", "10.0.0.1", MAC1)
    vm2 = attach_vm(d, netns_factory("vm2"), "vm2", "blue", "10.0.0.2", MAC2)
    vm1.ping(vm2.ip, count=2)

    def learned():
        entries = d.vsctl("show", "fdb", "blue", json_out=True).get("entries", [])
        return {e["mac"]: e["vport"] for e in entries if e["type"] == "FDB_ENTRY_TYPE_LEARNED"}

    got = wait_for(lambda: learned() if len(learned()) >= 2 else None, what="2 learned MACs")
    assert got[MAC1] == "vm1" and got[MAC2] == "vm2"
    assert d.vsctl("show", "fdb", "red", json_out=True).get("entries", []) == []

    # Silence the VMs (no ARP refresh), then the entries age out.
    for vm in (vm1, vm2):
        vm.ns.exec("ip", "link", "set", vm.iface, "down")
    wait_for(lambda: learned() == {}, timeout=15, what="learned MACs to age out")


def test_mac_move_relearns(vswitchd, netns_factory):
    two_vnets(vswitchd)
    vm1 = attach_vm(vswitchd, netns_factory("vm1"), "vm1", "blue", "10.0.0.1", MAC1)
    vm2 = attach_vm(vswitchd, netns_factory("vm2"), "vm2", "blue", "10.0.0.2", MAC2)
    vm1.ping(vm2.ip, count=1)
    # vm2's MAC moves to a new vport (a migrated VM).
    vm2.ns.exec("ip", "link", "set", vm2.iface, "down")
    vm5 = attach_vm(vswitchd, netns_factory("vm5"), "vm5", "blue", "10.0.0.2", MAC2)
    vm1.ns.exec("ip", "neigh", "flush", "all")
    vm1.ping("10.0.0.2", count=2)

    def where():
        for e in vswitchd.vsctl("show", "fdb", "blue", json_out=True).get("entries", []):
            if e["mac"] == MAC2:
                return e["vport"]
        return None

    wait_for(lambda: where() == "vm5", what="MAC to move to vm5")


def test_flooding_stays_in_vnet(vswitchd, netns_factory):
    two_vnets(vswitchd)
    vm1 = attach_vm(vswitchd, netns_factory("vm1"), "vm1", "blue", "10.0.0.1", MAC1)
    vm2 = attach_vm(vswitchd, netns_factory("vm2"), "vm2", "blue", "10.0.0.2", MAC2)
    vm3 = attach_vm(vswitchd, netns_factory("vm3"), "vm3", "red", "10.0.0.3", MAC3)
    vswitchd.vsctl("clear", "stats")

    script = (
        "from scapy.all import Ether, IP, UDP, Raw, sendp\n"
        f"b = Ether(src='{MAC1}', dst='ff:ff:ff:ff:ff:ff')/IP(src='10.0.0.1', dst='10.0.0.255')"
        "/UDP(sport=1111, dport=2222)/Raw(b'bcast'*4)\n"
        f"u = Ether(src='{MAC1}', dst='02:00:00:00:99:99')/IP(src='10.0.0.1', dst='10.0.0.99')"
        "/UDP(sport=1111, dport=3333)/Raw(b'unknown'*4)\n"
        f"m = Ether(src='{MAC1}', dst='01:00:5e:01:02:03')/IP(src='10.0.0.1', dst='239.1.2.3')"
        "/UDP(sport=1111, dport=4444)/Raw(b'mcast'*4)\n"
        f"sendp([b, u, m] * 10, iface='{vm1.iface}', verbose=False)\n")
    vm1.ns.exec("/usr/bin/python3", "-c", script)

    def tx(name):
        return int(vswitchd.port_stats(name)["tx_packets"])

    wait_for(lambda: tx("vm2") >= 30, what="30 flooded frames at vm2")
    time.sleep(0.3)
    assert tx("vm3") == 0, "a flooded frame crossed into VNet red"
    assert int(vswitchd.port_stats("vm3")["rx_packets"]) == 0
