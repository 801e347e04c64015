# SPDX-License-Identifier: Apache-2.0
"""README's "Using it" commands, run as they are written, one by one, with
the daemon's defaults (socket /run/vswitch/vswitchd.sock, --config under
/var/lib/vswitch, EAL prefix "vswitch"). They run inside a network namespace of
the test's own, where `eth1` is a veth to a collector namespace with a kernel
VXLAN device, and inside a mount namespace whose /run and /var/lib/vswitch are
private tmpfs: the host's own files are never touched."""

import os
import re
import subprocess

from conftest import REPO, run, unique

README = os.path.join(REPO, "README.md")


def readme_usage_lines():
    text = open(README).read()
    section = text.split("## Using it", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    lines = []
    for line in block.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        # Drop the trailing comment, keep the command as typed.
        cmd = re.sub(r"\s+#.*$", "", line)
        lines.append(cmd)
    return lines


def script_for(lines):
    """A bash script that runs each README line as written, waits for the
    daemon after the line that starts it, and stops the daemon at exit."""
    out = ["set -u", f"cd {REPO}", "mount -t tmpfs vsreadme /run",
           "mkdir -p /var/lib/vswitch", "mount -t tmpfs vsreadme /var/lib/vswitch",
           "trap 'kill $DAEMON 2>/dev/null; wait $DAEMON 2>/dev/null' EXIT", "rc=0"]
    for line in lines:
        out.append(f"echo '>>> {line}'")
        if line.endswith("&"):
            out.append(line)
            out.append("DAEMON=$!")
            out.append("for i in $(seq 300); do build/apps/vsctl/vsctl show health >/dev/null"
                       " 2>&1 && break; sleep 0.1; done")
            continue
        if re.fullmatch(r"\S*vsctl", line):
            # The interactive shell, given two lines on its input.
            line = f"printf 'show vports\\nquit\\n' | {line}"
        if "add vport vm1" in line:
            out.append(line + " || rc=1")
            # The "VM": vm1tap in this namespace sends UDP to 443 and 80.
            out.append("ip addr add 10.0.0.1/24 dev vm1tap && ip link set vm1tap up"
                       " && ip neigh add 10.0.0.2 lladdr 02:00:00:00:00:02 dev vm1tap")
            continue
        if line.endswith("show tap-stats"):
            # The test's own traffic waits until ARP resolved the collector
            # (copies before that count no_next_hop, slower under ASan).
            out.append("for i in $(seq 150); do build/apps/vsctl/vsctl show neighbors"
                       " | grep -q '192.0.2.2.*RESOLVED' && break; sleep 0.1; done")
            out.append("for port in 443 80 443 80 443; do echo x >/dev/udp/10.0.0.2/$port;"
                       " sleep 0.05; done; sleep 0.5")
        out.append(line + " || rc=1")
    out.append("exit $rc")
    return "\n".join(out) + "\n"


def test_readme_usage_block_runs_as_written(netns_factory, capture, tmp_path):
    from scapy.layers.inet import UDP
    from scapy.layers.l2 import Ether
    lines = readme_usage_lines()
    assert any("af_packet:iface=eth1" in line for line in lines)
    host = netns_factory("rdh")
    col = netns_factory("rdc")
    peer = unique("col")
    run(["ip", "-n", host.name, "link", "add", "eth1", "type", "veth", "peer", "name", peer,
         "netns", col.name])
    run(["ip", "-n", host.name, "link", "set", "eth1", "up"])
    col.exec("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
    run(["ip", "-n", col.name, "addr", "add", "192.0.2.2/24", "dev", peer])
    run(["ip", "-n", col.name, "link", "set", peer, "up"])
    run(["ip", "-n", col.name, "link", "add", "vx0", "type", "vxlan", "id", "5000", "dstport",
         "4789", "local", "192.0.2.2", "dev", peer, "nolearning"])
    run(["ip", "-n", col.name, "link", "set", "vx0", "up"])
    cap = capture(col, "vx0", ["udp"])
    script = tmp_path / "readme.sh"
    script.write_text(script_for(lines))
    res = subprocess.run(["ip", "netns", "exec", host.name, "unshare", "--mount",
                          "--propagation", "private", "bash", str(script)],
                         capture_output=True, text=True, timeout=240)
    frames = cap.stop()
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert "uplink up0 added" in out, out
    assert "tap-session t1 created" in out, out
    assert re.search(r"vm1\s+vm\s+blue", out), out  # the interactive shell's show vports
    # The collector was resolved by ARP on the af_packet uplink and got the
    # copies the rule selects (UDP to 443), not the others.
    ports = [Ether(f)[UDP].dport for f in frames if UDP in Ether(f)]
    assert ports.count(443) == 3 and 80 not in ports, (ports, out)
