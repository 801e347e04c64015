# SPDX-License-Identifier: Apache-2.0
"""README's Quick start, run the way it is written: `./scripts/demo.sh` as
root on a box without sudo, `sudo ./scripts/demo.sh`, and a user who is not
root. (`./scripts/run-tests.sh` is the command that runs this file, and
.ci/run runs it verbatim as root.)"""

import os
import re
import shutil
import subprocess
import tempfile

import pytest

from conftest import REPO, BUILD

DEMO_TIMEOUT = 300


def demo_namespaces():
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return {line.split()[0] for line in out.splitlines() if re.match(r"vsd\d+-", line)}


def run_demo(cmd, env):
    before = demo_namespaces()
    res = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=DEMO_TIMEOUT, stdin=subprocess.DEVNULL)
    out = res.stdout + res.stderr
    # Everything the demo made is gone, whatever happened.
    assert demo_namespaces() - before == set(), out
    return res.returncode, out


def check_demo_output(out):
    assert "== ready after" in out
    # vm1 -> vm2 in VNet blue: every ping answered.
    assert re.search(r"3 packets transmitted, 3 received", out), out
    assert "-> no reply: VNet red is isolated from blue" in out, out
    # vm1 on host A -> vm4 on host B across the overlay: every ping answered,
    # VXLAN with VNI 100 between the hosts' uplinks on the underlay.
    assert re.search(r"10\.0\.0\.4 ping statistics ---\n3 packets transmitted, 3 received",
                     out), out
    assert re.search(r"192\.0\.2\.10\.\d+ > 192\.0\.2\.11\.4789: VXLAN.*vni 100\n"
                     r"IP 10\.0\.0\.1 > 10\.0\.0\.4: ICMP echo request", out), out
    # The collector's capture shows vm1's ICMP echo requests and replies.
    assert re.search(r"10\.0\.0\.1 > 10\.0\.0\.2: ICMP echo request", out), out
    assert re.search(r"10\.0\.0\.2 > 10\.0\.0\.1: ICMP echo reply", out), out
    # The collector VM inside VNet blue on host B (tshark's capture on its
    # vx0): the copies of vm1's 3 echo requests to vm4 and vm4's 3 replies,
    # sent by host A through the overlay.
    assert "== what the collector VM colvm" in out, out
    colvm = out.split("== what the collector VM colvm", 1)[1]
    assert re.search(r"10\.0\.0\.1 \S+ 10\.0\.0\.4 +ICMP 98 Echo \(ping\) request", colvm), out
    assert re.search(r"10\.0\.0\.4 \S+ 10\.0\.0\.1 +ICMP 98 Echo \(ping\) reply", colvm), out
    assert "-> the collector VM got copies of 3 echo requests and 3 echo replies of vm1 and vm4" \
        in out, out
    # The underlay capture leaves the collector VM's copies out.
    assert "10.0.0.9" not in out.split("== what crossed the underlay", 1)[1].split("==", 1)[0], out
    assert re.search(r"== demo done in \d+ s", out), out
    assert "== cleaning up" in out


@pytest.fixture
def bare_root_path(tmp_path):
    """A PATH whose first directory holds a `sudo` that fails loudly, so a
    demo that calls sudo as root is caught (a bare Debian box has none)."""
    shim = tmp_path / "shim"
    shim.mkdir()
    sudo = shim / "sudo"
    sudo.write_text("#!/bin/sh\necho 'sudo: command not found (test shim)' >&2\nexit 127\n")
    sudo.chmod(0o755)
    return f"{shim}:{os.environ['PATH']}"


def test_demo_as_root_without_sudo(bare_root_path):
    env = dict(os.environ, PATH=bare_root_path, VSWITCH_BUILD=BUILD)
    rc, out = run_demo(["./scripts/demo.sh"], env)
    assert rc == 0, out
    assert "test shim" not in out
    check_demo_output(out)


def test_demo_with_sudo():
    assert shutil.which("sudo"), "scripts/install-deps.sh installs sudo"
    env = dict(os.environ, VSWITCH_BUILD=BUILD)
    rc, out = run_demo(["sudo", "-E", "./scripts/demo.sh"], env)
    assert rc == 0, out
    check_demo_output(out)


@pytest.fixture
def scripts_for_nobody():
    """The scripts in a directory `nobody` can read (a clone may sit under
    /root), with a PATH of only the tools they use before the root check."""
    top = tempfile.mkdtemp(prefix="vsquick")
    try:
        os.chmod(top, 0o755)
        os.mkdir(os.path.join(top, "scripts"))
        for name in ("demo.sh", "run-tests.sh", "as-root.sh"):
            shutil.copy(os.path.join(REPO, "scripts", name), os.path.join(top, "scripts", name))
        bin_dir = os.path.join(top, "bin")
        os.mkdir(bin_dir)
        for tool in ("env", "bash", "id", "basename", "dirname"):
            os.symlink(shutil.which(tool), os.path.join(bin_dir, tool))
        yield top, bin_dir
    finally:
        shutil.rmtree(top, ignore_errors=True)


def test_not_root_without_sudo_is_told_what_is_needed(scripts_for_nobody):
    top, bin_dir = scripts_for_nobody
    for script in ("./scripts/demo.sh", "./scripts/run-tests.sh"):
        res = subprocess.run(["runuser", "-u", "nobody", "--", "/usr/bin/env",
                              f"PATH={bin_dir}", script], cwd=top, capture_output=True,
                             text=True, timeout=30, stdin=subprocess.DEVNULL)
        assert res.returncode == 1, res.stdout + res.stderr
        assert "needs root" in res.stderr, res.stderr
        assert "run it as root, or install sudo" in res.stderr, res.stderr


def test_not_root_with_sudo_runs_itself_again_through_sudo(scripts_for_nobody):
    assert shutil.which("sudo"), "scripts/install-deps.sh installs sudo"
    top, _ = scripts_for_nobody
    # nobody may not use sudo: the script turns to sudo (and says so), which
    # refuses without a terminal to ask a password on; nothing else runs.
    for script in ("./scripts/demo.sh", "./scripts/run-tests.sh"):
        res = subprocess.run(["runuser", "-u", "nobody", "--", script], cwd=top,
                             capture_output=True, text=True, timeout=30,
                             stdin=subprocess.DEVNULL)
        assert res.returncode != 0
        name = os.path.basename(script)
        assert f"{name}: not root; running it again with sudo" in res.stderr, res.stderr
        assert "sudo" in res.stderr.split("running it again with sudo", 1)[1], res.stderr
        assert "==" not in res.stdout, res.stdout


def fleet_demo_namespaces():
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return {line.split()[0] for line in out.splitlines() if re.match(r"vsf\d+-", line)}


def test_fleet_demo(bare_root_path):
    """`./scripts/fleet-demo.sh` (README, doc/fleet.md) as written: a
    3-member etcd cluster, three hosts with their agents, the desired state
    written once; cross-host pings, the collector VM's copies, a move."""
    env = dict(os.environ, PATH=bare_root_path, VSWITCH_BUILD=BUILD)
    before = fleet_demo_namespaces()
    res = subprocess.run(["./scripts/fleet-demo.sh"], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=DEMO_TIMEOUT, stdin=subprocess.DEVNULL)
    out = res.stdout + res.stderr
    assert fleet_demo_namespaces() - before == set(), out
    assert res.returncode == 0, out
    assert out.count("is healthy") == 3, out
    for ip in ("10.0.0.2", "10.0.0.3"):
        assert re.search(rf"{re.escape(ip)} ping statistics ---\n2 packets transmitted, "
                         r"2 received", out), out
    assert "-> the collector VM got 8 copies" in out, out
    assert re.search(r"vm vm2 moved from host B to C \(revision \d+\)", out), out
    assert "-> vm1 reaches vm2 on host C again" in out, out
    hosts = out.rsplit("$ vswitch-fleet show hosts", 1)[1]
    for h in ("A", "B", "C"):
        assert re.search(rf"^{h} +192\.0\.2\.1\d +converged +\d+ +0 ", hosts, re.M), out
    assert re.search(r"== fleet demo done in \d+ s", out), out
    assert "== cleaning up" in out
