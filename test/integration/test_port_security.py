# SPDX-License-Identifier: Apache-2.0
"""Port security through the real daemon: a VM vport given MACs and IPs
sends only from them. vm3 attacks vm1 and vm2 (another VM's MAC, another
VM's address, ARP poisoning); its frames are dropped as spoofed_src on its
own vport, counted there, and vm1/vm2 keep talking; `port-security off`
lets the same attack through again."""

import subprocess
import time

from conftest import attach_vm, wait_for

MAC1, MAC2, MAC3 = "02:00:00:00:05:01", "02:00:00:00:05:02", "02:00:00:00:05:03"
IP1, IP2, IP3 = "10.0.5.1", "10.0.5.2", "10.0.5.3"


def three_vms(d, netns_factory, vm3_extra=()):
    d.vsctl("add", "vnet", "blue", "tenant", "acme", "vni", "100", "prefix", "10.0.5.0/24")
    vms = []
    for name, mac, ip, extra in (("vm1", MAC1, IP1, ()), ("vm2", MAC2, IP2, ()),
                                 ("vm3", MAC3, IP3, vm3_extra)):
        vms.append(attach_vm(d, netns_factory(name), name, "blue", ip, mac,
                             extra=("mac", mac, "ip", ip) + tuple(extra)))
    # A TAP interface sends a frame or so from its first, random MAC before
    # attach_vm gives it the VM's: port security rightly drops that. Count
    # from here on.
    time.sleep(0.5)
    d.vsctl("clear", "stats")
    return vms


def spoofed(d, name):
    st = d.port_stats(name)
    return sum(int(x["packets"]) for x in st.get("drops", []) if x["reason"] == "spoofed_src")


def scapy_send(vm, packet, count=5):
    """Sends `packet` (scapy expression) `count` times out of vm's NIC."""
    vm.ns.exec("/usr/bin/python3", "-c",
               "from scapy.all import Ether, IP, UDP, ARP, Raw, sendp\n"
               f"sendp([{packet}] * {count}, iface='{vm.iface}', verbose=False)\n")


class Capture:
    """tcpdump on a VM's NIC while the block runs; .out holds what it saw."""

    def __init__(self, vm, bpf):
        self.vm, self.bpf, self.out = vm, bpf, ""

    def __enter__(self):
        self.proc = self.vm.ns.popen("tcpdump", "-i", self.vm.iface, "-nn", "-e", "-l", "-c",
                                     "500", *self.bpf.split(), stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        time.sleep(1.0)  # tcpdump attaches.
        return self

    def __exit__(self, *exc):
        time.sleep(0.5)  # Frames in flight arrive.
        self.proc.terminate()
        self.out, _ = self.proc.communicate(timeout=10)
        return False


def test_legit_vms_are_unaffected(vswitchd, netns_factory):
    vm1, vm2, _ = three_vms(vswitchd, netns_factory)
    table = vswitchd.vsctl("show", "vports").stdout.splitlines()
    assert table[0].split()[-2:] == ["IPS", "PORT-SECURITY"]
    assert [row.split()[-2:] for row in table[1:]] == [[IP1, "on"], [IP2, "on"], [IP3, "on"]]
    vm1.ping(vm2.ip, count=3)
    vm2.ping(vm1.ip, count=3)
    for name in ("vm1", "vm2"):
        assert spoofed(vswitchd, name) == 0
    # A secured vport learns nothing: its MACs are static entries.
    entries = vswitchd.vsctl("show", "fdb", "blue", json_out=True).get("entries", [])
    assert {e["mac"]: e["type"] for e in entries} == {
        m: "FDB_ENTRY_TYPE_STATIC" for m in (MAC1, MAC2, MAC3)}


def test_frames_from_another_vms_mac_are_dropped(vswitchd, netns_factory):
    vm1, vm2, vm3 = three_vms(vswitchd, netns_factory)
    vm1.ping(vm2.ip, count=1)
    # vm3 takes vm2's MAC, as an attacker would, and sends as vm2.
    vm3.ns.exec("ip", "link", "set", vm3.iface, "address", MAC2)
    with Capture(vm1, "udp port 5555") as cap:
        scapy_send(vm3, f"Ether(src='{MAC2}', dst='{MAC1}')/IP(src='{IP2}', dst='{IP1}')"
                        "/UDP(sport=5555, dport=5555)/Raw(b'spoofed-mac')", count=10)
    assert "5555" not in cap.out, "vm1 received frames vm3 sent as vm2"
    assert spoofed(vswitchd, "vm3") >= 10
    # vm1 -> vm2 still reaches vm2, and vm2 only.
    with Capture(vm3, "icmp") as cap3:
        vm1.ns.exec("ip", "neigh", "flush", "all")
        vm1.ping(vm2.ip, count=3)
    assert "ICMP echo request" not in cap3.out
    assert spoofed(vswitchd, "vm1") == 0 and spoofed(vswitchd, "vm2") == 0


def test_ipv4_from_another_address_is_dropped(vswitchd, netns_factory):
    vm1, _, vm3 = three_vms(vswitchd, netns_factory)
    with Capture(vm1, "udp port 5556") as cap:
        scapy_send(vm3, f"Ether(src='{MAC3}', dst='{MAC1}')/IP(src='{IP2}', dst='{IP1}')"
                        "/UDP(sport=5556, dport=5556)/Raw(b'spoofed-ip')", count=10)
        # vm3's own address still gets through.
        scapy_send(vm3, f"Ether(src='{MAC3}', dst='{MAC1}')/IP(src='{IP3}', dst='{IP1}')"
                        "/UDP(sport=5556, dport=5557)/Raw(b'own-ip')", count=2)
    assert f"{IP2}.5556" not in cap.out
    assert f"{IP3}.5556 > {IP1}.5557" in cap.out
    assert spoofed(vswitchd, "vm3") == 10


def poison(vm3):
    """vm3 tells vm1 that vm2's address is at vm3's MAC (ARP reply)."""
    scapy_send(vm3, f"Ether(src='{MAC3}', dst='{MAC1}')/ARP(op=2, hwsrc='{MAC3}', psrc='{IP2}', "
                    f"hwdst='{MAC1}', pdst='{IP1}')", count=5)
    # And to everyone (gratuitous ARP).
    scapy_send(vm3, f"Ether(src='{MAC3}', dst='ff:ff:ff:ff:ff:ff')/ARP(op=1, hwsrc='{MAC3}', "
                    f"psrc='{IP2}', hwdst='00:00:00:00:00:00', pdst='{IP2}')", count=5)


def neighbor_mac(vm, ip):
    return vm.ns.exec("ip", "neigh", "show", ip).stdout


def test_arp_poisoning_is_dropped_and_traffic_not_stolen(vswitchd, netns_factory):
    vm1, vm2, vm3 = three_vms(vswitchd, netns_factory)
    vm1.ping(vm2.ip, count=1)
    time.sleep(1.5)  # Past Linux's ARP locktime: a reply would now override.
    poison(vm3)
    assert spoofed(vswitchd, "vm3") == 10
    assert MAC2 in neighbor_mac(vm1, IP2) and MAC3 not in neighbor_mac(vm1, IP2)
    with Capture(vm3, "icmp") as cap3:
        vm1.ping(vm2.ip, count=3)
    assert "ICMP echo request" not in cap3.out, "vm3 got vm2's traffic"
    # `show drops` lists the reason too.
    assert "spoofed_src" in vswitchd.vsctl("show", "drops").stdout


def test_port_security_off_lets_the_attack_through(vswitchd, netns_factory):
    """The same attack from a vport with port security off: it works, which
    shows both that the attack is real and that the flag turns the checks
    off."""
    vm1, vm2, vm3 = three_vms(vswitchd, netns_factory, vm3_extra=("port-security", "off"))
    vports = {v["name"]: v for v in vswitchd.vsctl("show", "vports", json_out=True)["vports"]}
    assert vports["vm3"]["port_security_disabled"] is True
    assert vports["vm3"]["ips"] == [IP3]
    assert vports["vm1"]["port_security_disabled"] is False
    vm1.ping(vm2.ip, count=1)
    time.sleep(1.5)
    poison(vm3)
    wait_for(lambda: MAC3 in neighbor_mac(vm1, IP2), timeout=5, what="vm1's ARP cache poisoned")
    with Capture(vm3, "icmp") as cap3:
        vm1.ping(vm2.ip, count=2, check=False)
    assert f"{IP1} > {IP2}: ICMP echo request" in cap3.out
    assert spoofed(vswitchd, "vm3") == 0
