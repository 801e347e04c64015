# SPDX-License-Identifier: Apache-2.0
"""Real VMs on vhost-user vports: QEMU (TCG) boots the Debian kernel with
an initramfs built here (busybox-static, the virtio-net modules, an /init
that configures the NIC and pings), its virtio-net NIC on a `vhost` vport
with memfd shared memory. The guest pings a namespace VM of its VNet
through vswitchd, a TAP session on the guest's vport delivers its frames
to the kernel VXLAN collector byte-identical, and the vport survives a
guest reset (link down, then up, traffic resumes, counters go on, the
other vport is untouched). Two guests on a server-mode and a client-mode
vport get their network back when vswitchd restarts. Everything is bounded
and cleaned up, QEMU included, also on failure."""

import glob
import os
import shutil
import signal
import socket
import stat
import subprocess
import time

import pytest
from scapy.layers.inet import ICMP, IP
from scapy.layers.l2 import ARP, Ether

from conftest import attach_vm, mempools_in_use, wait_for, wait_mempools_at, wait_neighbor

GUEST_MAC, GUEST_IP = "02:00:00:00:0a:01", "10.0.0.1"
PEER_MAC, PEER_IP = "02:00:00:00:0a:02", "10.0.0.2"
VNI = 5000
PINGS = 4

QEMU = shutil.which("qemu-system-x86_64")
BUSYBOX = "/bin/busybox"
# The guest's NIC drivers; their dependencies come from modules.dep.
MODULES = ("virtio_pci", "virtio_net")
# TCG boots in ~10 s on an idle machine; CI shares 2 CPUs among much else.
BOOT_TIMEOUT = 150
QEMU_MAX_SECONDS = 420  # No QEMU outlives this, whatever happens to the test.


def find_kernel():
    """(vmlinuz, modules dir) of an installed Debian kernel that has the
    virtio-net modules; the cloud flavour first (fewer drivers to probe:
    it boots fastest)."""
    found = []
    for vmlinuz in sorted(glob.glob("/boot/vmlinuz-*")):
        version = vmlinuz[len("/boot/vmlinuz-"):]
        mods = f"/lib/modules/{version}"
        if os.path.exists(os.path.join(mods, "kernel/drivers/net/virtio_net.ko")):
            found.append((("cloud" not in version), vmlinuz, mods))
    if not found:
        return None
    found.sort()
    return found[0][1], found[0][2]


def module_paths(mods_dir):
    """MODULES and what they depend on, in load order (modules.dep lists a
    module's dependencies last-loaded first)."""
    deps = {}
    with open(os.path.join(mods_dir, "modules.dep")) as f:
        for line in f:
            mod, _, rest = line.partition(":")
            deps[mod] = rest.split()
    by_name = {os.path.basename(m)[:-3]: m for m in deps}
    order = []
    for name in MODULES:
        assert name in by_name, f"{name} not in {mods_dir}/modules.dep"
        for m in list(reversed(deps[by_name[name]])) + [by_name[name]]:
            if m not in order:
                order.append(m)
    return [os.path.join(mods_dir, m) for m in order]


# The guest's /init. Every boot: load virtio-net, configure eth0 with
# vstest.ip, ping vstest.peer, report on the serial console; then, with
# vstest.loop, ping the peer once a second for ever ("VSTEST alive"/"dead"),
# else idle until reset or power-off.
INIT = f"""#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
for x in $(cat /proc/cmdline); do
  case "$x" in
    vstest.ip=*) ip="${{x#vstest.ip=}}" ;;
    vstest.peer=*) peer="${{x#vstest.peer=}}" ;;
    vstest.loop) loop=1 ;;
  esac
done
for m in $(cat /lib/modules/order); do insmod /lib/modules/$m || echo "VSTEST insmod $m failed"; done
for i in $(seq 100); do [ -e /sys/class/net/eth0 ] && break; sleep 0.1; done
[ -e /sys/class/net/eth0 ] || echo "VSTEST no eth0"
ip link set eth0 up
ip addr add $ip/24 dev eth0
echo "VSTEST eth0 $(cat /sys/class/net/eth0/address) up queues=$(ls -d /sys/class/net/eth0/queues/rx-* | wc -l)"
# Replies may take a while under TCG; the first echo also waits for ARP.
ping -c {PINGS} -i 0.5 -W 5 $peer > /tmp/ping.out 2>&1
rc=$?
echo "VSTEST ping rc=$rc received=$(grep -c 'bytes from' /tmp/ping.out)"
while [ -n "$loop" ]; do
  if ping -c 1 -W 1 $peer > /dev/null 2>&1; then echo "VSTEST alive"; else echo "VSTEST dead"; fi
  sleep 1
done
while true; do sleep 3600; done
"""


def cpio_newc(entries):
    """A newc cpio archive of (name, mode, data) entries (device nodes as
    (name, mode, (major, minor)))."""
    out = bytearray()

    def pad4():
        out.extend(b"\0" * (-len(out) % 4))

    for ino, (name, mode, data) in enumerate(entries + [("TRAILER!!!", 0, b"")], start=1):
        rmaj, rmin = (data if isinstance(data, tuple) else (0, 0))
        body = b"" if isinstance(data, tuple) else data
        fields = [ino, mode, 0, 0, 1, 0, len(body), 0, 0, rmaj, rmin, len(name) + 1, 0]
        out.extend(b"070701" + b"".join(b"%08X" % f for f in fields))
        out.extend(name.encode() + b"\0")
        pad4()
        out.extend(body)
        pad4()
    return bytes(out)


def build_initramfs(path, mods_dir):
    d, f, c = stat.S_IFDIR | 0o755, stat.S_IFREG | 0o755, stat.S_IFCHR | 0o600
    entries = [(n, d, b"") for n in ("bin", "dev", "proc", "sys", "tmp", "lib", "lib/modules")]
    # The kernel opens /dev/console for /init before devtmpfs exists.
    entries.append(("dev/console", c, (5, 1)))
    entries.append(("bin/busybox", f, open(BUSYBOX, "rb").read()))
    entries.append(("init", f, INIT.encode()))
    mods = module_paths(mods_dir)
    for p in mods:
        entries.append((f"lib/modules/{os.path.basename(p)}", stat.S_IFREG | 0o644,
                        open(p, "rb").read()))
    entries.append(("lib/modules/order", stat.S_IFREG | 0o644,
                    " ".join(os.path.basename(p) for p in mods).encode()))
    with open(path, "wb") as out:
        out.write(cpio_newc(entries))


class Guest:
    """One QEMU process: its serial console in a file, its monitor on a
    unix socket."""

    def __init__(self, workdir, name, chardev, mac, args, queues, kernel, initrd):
        self.serial = os.path.join(workdir, f"{name}-serial.log")
        self.monitor = os.path.join(workdir, f"{name}-monitor.sock")
        cmd = [
            "timeout", "-s", "KILL", str(QEMU_MAX_SECONDS), QEMU,
            # Linux enables one queue pair per vCPU.
            "-accel", "tcg", "-cpu", "max", "-smp", str(queues), "-m", "256",
            "-object", "memory-backend-memfd,id=mem,size=256M,share=on",
            "-numa", "node,memdev=mem",
            "-chardev", f"socket,id=chr0,{chardev}",
            "-netdev", f"vhost-user,id=net0,chardev=chr0,queues={queues}",
            # vectors=0 (INTx, no MSI-X): QEMU 7.2 without KVM segfaults in
            # msix_set_vector_notifiers when vhost-user starts with MSI-X.
            "-device", f"virtio-net-pci,netdev=net0,mac={mac},vectors=0,mq={'on' if queues > 1 else 'off'}",
            "-kernel", kernel, "-initrd", initrd,
            "-append", "console=ttyS0 quiet ipv6.disable=1 panic=-1 mitigations=off " + args,
            "-display", "none", "-no-user-config", "-nodefaults",
            "-serial", f"file:{self.serial}",
            "-monitor", f"unix:{self.monitor},server=on,wait=off",
        ]
        self.log = open(os.path.join(workdir, f"{name}-qemu.log"), "w")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def console(self):
        try:
            with open(self.serial, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def markers(self, prefix):
        return [line.strip() for line in self.console().splitlines()
                if line.startswith(prefix)]

    def wait_marker(self, prefix, count, timeout=BOOT_TIMEOUT):
        def seen():
            if self.proc.poll() is not None:
                raise AssertionError(f"QEMU exited {self.proc.returncode}: {self.qemu_log()}\n"
                                     f"console:\n{self.console()}")
            m = self.markers(prefix)
            return m if len(m) >= count else None

        try:
            return wait_for(seen, timeout=timeout, interval=0.5,
                            what=f"{count}x '{prefix}' on the guest's console")
        except AssertionError as e:
            raise AssertionError(f"{e}\nconsole:\n{self.console()[-3000:]}") from None

    def qemu_log(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def hmp(self, command):
        """One human monitor command."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(self.monitor)
        try:
            s.sendall(command.encode() + b"\n")
            time.sleep(0.5)
        finally:
            s.close()

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.log.close()


@pytest.fixture
def guest_factory(tmp_path):
    """guest(chardev, ip=, peer=, mac=, loop=False, queues=1) -> a booting
    Guest (with `queues` queue pairs and as many vCPUs);
    `chardev` is QEMU's socket chardev options for the vhost-user socket
    ("path=...,reconnect=1": the switch listens; "path=...,server=on,
    wait=off": QEMU does). QEMU is killed and the initramfs removed at the
    end, also on failure."""
    if QEMU is None:
        pytest.fail("qemu-system-x86_64 missing: run scripts/install-deps.sh")
    kernel = find_kernel()
    if kernel is None:
        pytest.fail("no kernel with virtio_net under /boot: run scripts/install-deps.sh")
    initrd = str(tmp_path / "initramfs.cpio")
    build_initramfs(initrd, kernel[1])
    made = []

    def make(chardev, ip=GUEST_IP, peer=PEER_IP, mac=GUEST_MAC, loop=False, queues=1):
        args = f"vstest.ip={ip} vstest.peer={peer}" + (" vstest.loop" if loop else "")
        g = Guest(str(tmp_path), f"g{len(made)}", chardev, mac, args, queues, kernel[0],
                  initrd)
        made.append(g)
        return g

    yield make
    for g in made:
        g.stop()
    if os.path.exists(initrd):
        os.unlink(initrd)


def vport(d, name):
    for vp in d.vsctl("show", "vports", json_out=True).get("vports", []):
        if vp["name"] == name:
            return vp
    raise AssertionError(f"no vport {name}")


def link_up(d, name):
    return bool(vport(d, name).get("link_up", False))


def counters(d, name):
    p = d.port_stats(name)
    return {k: int(p.get(k, 0)) for k in ("rx_packets", "tx_packets", "rx_bytes", "tx_bytes")}


def ours(frames):
    macs = (GUEST_MAC, PEER_MAC)
    return [f for f in frames
            if ":".join(f"{b:02x}" for b in f[6:12]) in macs]


def test_guest_pings_through_vhost_and_is_mirrored_and_survives_reset(
        vswitchd_factory, netns_factory, collector, capture, guest_factory, tmp_path):
    vhost_dir = str(tmp_path / "vhost")
    d = vswitchd_factory(f"--vhost_dir={vhost_dir}")
    d.vsctl("add", "vnet", "blue", "tenant", "acme", "vni", "100", "prefix", "10.0.0.0/24")
    d.vsctl("add", "vport", "guest", "vnet", "blue", "driver", "vhost")
    sock = os.path.join(vhost_dir, "guest.sock")
    assert stat.S_ISSOCK(os.stat(sock).st_mode)
    assert not link_up(d, "guest")  # No VM yet.
    peer = attach_vm(d, netns_factory("peer"), "peer", "blue", PEER_IP, PEER_MAC)
    col = collector(d, ips=("192.0.2.2",), vni=VNI)
    d.vsctl("add", "destination", "col", "vnet", "blue", "vni", str(VNI), "collector",
            "192.0.2.2")
    wait_neighbor(d, "192.0.2.2")
    d.vsctl("add", "tap-session", "t1", "source", "guest", "destination", "col",
            "direction", "both")
    # The peer answers without ARP; the guest resolves the peer by ARP.
    peer.ns.exec("ip", "neigh", "replace", GUEST_IP, "lladdr", GUEST_MAC, "dev", peer.iface,
                 "nud", "permanent")
    pools = mempools_in_use(d)
    c_peer = capture(peer.ns, peer.iface)
    c_vx = capture(col.hosts[0].ns, "vx0")

    # ---- first boot: the link comes up with the guest's virtio driver.
    g = guest_factory(f"path={sock},reconnect=1")
    assert g.wait_marker("VSTEST eth0", 1) == [f"VSTEST eth0 {GUEST_MAC} up queues=1"]
    wait_for(lambda: link_up(d, "guest"), timeout=30, what="the guest's vport link up")
    ping = g.wait_marker("VSTEST ping", 1)
    assert ping[0] == f"VSTEST ping rc=0 received={PINGS}", g.console()[-2000:]

    # What the peer saw of the guest (and sent it) reached the collector
    # byte for byte, each frame once.
    def delivered():
        return len(ours(c_vx.peek())) >= len(ours(c_peer.peek())) > 0
    wait_for(delivered, timeout=20, what="every mirrored frame at the collector")
    c_peer.settle()
    c_vx.settle()
    at_peer = ours(c_peer.stop())
    at_vx = ours(c_vx.stop())
    pkts = [Ether(f) for f in at_peer]
    requests = [p for p in pkts if ICMP in p and p[ICMP].type == 8]
    assert len(requests) == PINGS
    for p in requests:
        assert (p[Ether].src, p[IP].src, p[IP].dst) == (GUEST_MAC, GUEST_IP, PEER_IP)
    assert sum(ICMP in p and p[ICMP].type == 0 for p in pkts) == PINGS
    assert any(ARP in p and p[ARP].psrc == GUEST_IP for p in pkts)
    assert sorted(at_peer) == sorted(at_vx), "collector frames differ from the wire's"

    before = counters(d, "guest")
    peer_before = counters(d, "peer")
    peer_vport = vport(d, "peer")
    assert before["rx_packets"] >= PINGS + 1 and before["tx_packets"] >= PINGS

    # ---- reset: the virtio device goes away and comes back.
    g.hmp("system_reset")
    g.wait_marker("VSTEST eth0", 2)
    ping = g.wait_marker("VSTEST ping", 2)
    assert ping[1] == f"VSTEST ping rc=0 received={PINGS}", g.console()[-2000:]
    wait_for(lambda: link_up(d, "guest"), timeout=30, what="the guest's vport link up again")
    after = counters(d, "guest")
    # Counters went on from where they were (not reset with the device).
    assert after["rx_packets"] >= before["rx_packets"] + PINGS
    assert after["tx_packets"] >= before["tx_packets"] + PINGS
    # The other vport never noticed: same port and state, its counters
    # only grew (by the pings it answered).
    assert vport(d, "peer") == peer_vport
    peer_after = counters(d, "peer")
    assert all(peer_after[k] >= peer_before[k] for k in peer_after)
    assert peer_after["rx_packets"] >= peer_before["rx_packets"] + PINGS

    # ---- power-off: the vport goes down and stays; nothing leaked.
    g.stop()
    wait_for(lambda: not link_up(d, "guest"), timeout=30, what="the guest's vport link down")
    wait_mempools_at(d, pools)
    assert d.vsctl("show", "health").returncode == 0
    peer.ping(GUEST_IP, count=1, check=False)  # Sent into a vport with no guest: dropped.
    assert d.proc.poll() is None
    log = d.read_log()
    assert log.count("link up") >= 2 and log.count("link down") >= 2, log[-3000:]


def test_guests_reconnect_after_switch_restart(vswitchd_factory, guest_factory, tmp_path):
    """A crash and restart (as systemd's Restart=on-failure does): two
    guests ping each other through the switch, one on a two-queue
    server-mode vport (QEMU reconnects), one on a client-mode vport (the
    switch reconnects to QEMU's socket). vswitchd is killed (-9: its
    socket file stays behind) and started again with its persisted config;
    both links come up and the pings go through again, with no action on
    the VMs."""
    vhost_dir = str(tmp_path / "vhost")
    qemu_sock = str(tmp_path / "g1-qemu.sock")
    d = vswitchd_factory(f"--vhost_dir={vhost_dir}")
    d.vsctl("add", "vnet", "blue", "tenant", "acme", "vni", "100", "prefix", "10.0.0.0/24")
    d.vsctl("add", "vport", "g0", "vnet", "blue", "driver", "vhost", "queues", "2")
    d.vsctl("add", "vport", "g1", "vnet", "blue", "driver", f"vhost:client=1,path={qemu_sock}")
    g0 = guest_factory(f"path={vhost_dir}/g0.sock,reconnect=1", ip=GUEST_IP, peer=PEER_IP,
                       mac=GUEST_MAC, loop=True, queues=2)
    g1 = guest_factory(f"path={qemu_sock},server=on,wait=off", ip=PEER_IP, peer=GUEST_IP,
                       mac=PEER_MAC, loop=True)
    assert g0.wait_marker("VSTEST eth0", 1) == [f"VSTEST eth0 {GUEST_MAC} up queues=2"]
    for g in (g0, g1):
        g.wait_marker("VSTEST ping", 1)
    wait_for(lambda: link_up(d, "g0") and link_up(d, "g1"), timeout=30, what="both links up")
    for g in (g0, g1):
        g.wait_marker("VSTEST alive", 2)

    dead = len(g0.markers("VSTEST dead"))
    assert d.stop(sig=signal.SIGKILL) == -signal.SIGKILL
    assert stat.S_ISSOCK(os.stat(f"{vhost_dir}/g0.sock").st_mode)  # Stale now.
    # The guests notice: their pings fail while the switch is away.
    g0.wait_marker("VSTEST dead", dead + 1, timeout=60)
    alive = [len(g.markers("VSTEST alive")) for g in (g0, g1)]
    d.start()
    wait_for(lambda: link_up(d, "g0") and link_up(d, "g1"), timeout=60,
             what="both links up after the restart")
    for g, n in zip((g0, g1), alive):
        g.wait_marker("VSTEST alive", n + 3, timeout=90)
    assert [vp["name"] for vp in d.vsctl("show", "vports", json_out=True)["vports"]] == [
        "g0", "g1"]
