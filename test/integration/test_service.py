# SPDX-License-Identifier: Apache-2.0
"""The service as a host installs it: `meson install` into a temporary
root gives a systemd unit that `systemd-analyze verify` accepts (and that
it rejects once broken), the hugepage helper refuses bad settings, and
`vswitchd --check-config FILE` judges a config file without starting."""

import json
import os
import re
import shutil
import time

import pytest

from conftest import BUILD, VSWITCHD, run, unique

UNIT = "vswitchd.service"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """`meson install --destdir` of the build: (destdir, prefix)."""
    dest = str(tmp_path_factory.mktemp("destdir"))
    run(["meson", "install", "-C", BUILD, "--destdir", dest, "--no-rebuild", "--quiet"],
        timeout=120)
    options = json.loads(run(["meson", "introspect", BUILD, "--buildoptions"],
                             timeout=30).stdout)
    prefix = next(o["value"] for o in options if o["name"] == "prefix")
    # The host's own units (sysinit.target, ...) that every service depends
    # on, so verify can resolve them inside the root.
    shutil.copytree("/usr/lib/systemd/system", f"{dest}/usr/lib/systemd/system",
                    symlinks=True, dirs_exist_ok=True)
    yield dest, prefix
    shutil.rmtree(dest, ignore_errors=True)


def verify(root, unit_path):
    """systemd-analyze verify of `unit_path` with `root` as / (ExecStart
    binaries are looked up there): its complaints, "" when it has none.
    It exits 0 after "ignoring" a bad value, so any output counts."""
    res = run(["systemd-analyze", "verify", f"--root={root}", unit_path], check=False,
              timeout=60)
    out = (res.stdout + res.stderr).strip()
    if res.returncode != 0 and not out:
        out = f"exit {res.returncode}"
    return out


def test_installed_unit_points_at_installed_files_and_verifies(installed):
    dest, prefix = installed
    unit_dir = f"{dest}{prefix}/lib/systemd/system"
    unit = open(os.path.join(unit_dir, UNIT)).read()
    for key, path in (("ExecStart", "sbin/vswitchd"),
                      ("ExecStartPre", "libexec/vswitch/vswitchd-prepare")):
        m = re.search(rf"^{key}=(\S+)", unit, re.M)
        assert m, f"{key} missing:\n{unit}"
        assert m.group(1) == f"{prefix}/{path}"
        assert os.access(dest + m.group(1), os.X_OK), f"{m.group(1)} not installed executable"
    for line in ("RuntimeDirectory=vswitch", "StateDirectory=vswitch", "Restart=on-failure",
                 "RestartPreventExitStatus=2", "EnvironmentFile=-"):
        assert line in unit
    env = open(f"{dest}{prefix}/etc/default/vswitchd").read()
    assert "--config=/var/lib/vswitch/config.textproto" in env
    assert "--vhost_dir=/run/vswitch" in env

    assert verify(dest, os.path.join(unit_dir, UNIT)) == ""


def test_installed_agent_unit_verifies(installed):
    """vswitch-agent.service (doc/fleet.md): the installed agent, its
    settings file, after vswitchd; systemd accepts it."""
    dest, prefix = installed
    path = f"{dest}{prefix}/lib/systemd/system/vswitch-agent.service"
    unit = open(path).read()
    m = re.search(r"^ExecStart=(\S+) \$VSWITCH_AGENT_OPTS$", unit, re.M)
    assert m and m.group(1) == f"{prefix}/sbin/vswitch-agent", unit
    assert os.access(dest + m.group(1), os.X_OK)
    for line in ("After=vswitchd.service", "Restart=always", "RestartPreventExitStatus=2",
                 f"EnvironmentFile=-{prefix}/etc/default/vswitch-agent"):
        assert line in unit
    env = open(f"{dest}{prefix}/etc/default/vswitch-agent").read()
    assert re.search(r'^VSWITCH_AGENT_OPTS=".*--etcd=', env, re.M)
    assert verify(dest, path) == ""


@pytest.mark.parametrize("breakage,complaint", [
    (("ExecStart=", "ExecStart=/nonexistent/vswitchd "), "/nonexistent/vswitchd"),
    (("Restart=on-failure", "Restart=sometimes"), "sometimes"),
    (("RuntimeDirectory=vswitch", "RuntimeDirectory=/run/vswitch"), "RuntimeDirectory"),
])
def test_broken_unit_fails_verify(installed, breakage, complaint):
    """The check can fail: the same unit with a missing binary or a bad
    value is rejected. (With --root, verify loads the unit by name from the
    root's search path, so the broken copy goes to its /etc/systemd/system,
    which takes precedence, and is removed after.)"""
    dest, prefix = installed
    unit = open(f"{dest}{prefix}/lib/systemd/system/{UNIT}").read()
    old, new = breakage
    broken_dir = f"{dest}/etc/systemd/system"
    os.makedirs(broken_dir, exist_ok=True)
    broken = os.path.join(broken_dir, UNIT)
    with open(broken, "w") as f:
        f.write(re.sub(rf"^{re.escape(old)}", lambda m: new, unit, count=1, flags=re.M))
    try:
        assert complaint in verify(dest, broken)
    finally:
        os.unlink(broken)
    assert verify(dest, f"{dest}{prefix}/lib/systemd/system/{UNIT}") == ""


def prepare(installed, **env):
    dest, prefix = installed
    e = {"PATH": os.environ["PATH"]}
    e.update(env)
    return run([f"{dest}{prefix}/libexec/vswitch/vswitchd-prepare"], check=False, env=e)


def test_prepare_without_hugepages_does_nothing(installed):
    res = prepare(installed, VSWITCH_HUGEPAGES="0")
    assert res.returncode == 0, res.stderr
    assert res.stdout == "" and res.stderr == ""


@pytest.mark.parametrize("env,complaint", [
    ({"VSWITCH_HUGEPAGES": "lots"}, "VSWITCH_HUGEPAGES='lots'"),
    ({"VSWITCH_HUGEPAGES": "8", "VSWITCH_HUGEPAGE_KB": "4096"}, "VSWITCH_HUGEPAGE_KB='4096'"),
    ({"VSWITCH_HUGEPAGES": "8", "VSWITCH_SYSFS": "/nonexistent"}, "not available"),
])
def test_prepare_refuses_bad_settings(installed, env, complaint):
    res = prepare(installed, **env)
    assert res.returncode == 2
    assert complaint in res.stderr


# ------------------------------------------------------------ --check-config

VALID = """
vnets { name: "blue" tenant: "acme" vni: 100 prefixes: "10.0.0.0/24" }
vports { name: "vm1" vnet: "blue" driver: "vhost" vm_macs: "02:00:00:00:00:01" }
vports { name: "vm2" vnet: "blue" driver: "vhost:client=1,path=/run/qemu/vm2.sock" queues: 2 }
"""


def check_config(path, *extra):
    prefix = unique("cc")
    t0 = time.monotonic()
    res = run([VSWITCHD, f"--file_prefix={prefix}", "--check-config", str(path), *extra],
              check=False, timeout=30)
    # Nothing was started: no EAL runtime directory for this prefix.
    assert not os.path.exists(f"/var/run/dpdk/{prefix}")
    return res, time.monotonic() - t0


def test_check_config_accepts_a_valid_file(tmp_path):
    f = tmp_path / "config.textproto"
    f.write_text(VALID)
    res, _ = check_config(f)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == f"{f}: OK (1 vnets, 2 vports, 0 tap sessions)"


@pytest.mark.parametrize("text,complaint", [
    # Syntax: file:line:column.
    (VALID + "vports { name: \"vm3\" vnet: blue }\n", ":5:28: Expected string"),
    # Meaning: the field path.
    (VALID.replace('vnet: "blue" driver: "vhost" ', 'vnet: "red" driver: "vhost" '),
     "vports[0].vnet"),
    (VALID.replace('"vhost"', '"vhost:path=vm1.sock"'), "vports[0].driver: path 'vm1.sock'"),
    (VALID.replace("queues: 2", "queues: 99"), "vports[1].queues"),
])
def test_check_config_names_what_is_wrong(tmp_path, text, complaint):
    f = tmp_path / "config.textproto"
    f.write_text(text)
    before = f.read_bytes()
    res, _ = check_config(f)
    assert res.returncode == 2
    assert res.stdout == ""
    line = res.stderr.strip()
    assert "\n" not in line and str(f) in line and complaint in line, line
    assert f.read_bytes() == before


def test_check_config_of_missing_file_fails(tmp_path):
    res, _ = check_config(tmp_path / "nope.textproto")
    assert res.returncode == 2
    assert "no such file" in res.stderr


@pytest.mark.parametrize("flag,complaint", [
    ("--vhost_dir=run/vswitch", "--vhost_dir=run/vswitch: want an absolute directory path"),
    ("--vhost-dir=/" + "d" * 69, "at most 69 characters"),
    ("--check-config", "flag --check-config needs a value"),
])
def test_bad_service_flags_exit_2(flag, complaint):
    res = run([VSWITCHD, flag], check=False, timeout=30)
    assert res.returncode == 2
    assert complaint in res.stderr and res.stderr.count("\n") == 1, res.stderr
