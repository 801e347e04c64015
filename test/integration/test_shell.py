# SPDX-License-Identifier: Apache-2.0
"""The vsctl shell as a person uses it: the interactive prompt in a real
terminal (tmux), Tab completion of command words and live names, help,
history across runs, errors; `vsctl -f` scripts; `vswitchd --interactive`.

Each tmux session runs on a tmux server of its own, on a socket in the
test's temporary directory (-S), killed in a finalizer with everything
still running in it."""

import os
import shlex
import signal
import subprocess

import pytest

from conftest import VSCTL, VSWITCHD, Daemon, run, unique, wait_for


class Terminal:
    """One tmux session of 200x50 running `command` (a shell string)."""

    def __init__(self, socket, command, env=None):
        self.socket = socket
        self.name = unique("sh")
        cmd = ["tmux", "-S", self.socket, "new-session", "-d", "-s", self.name,
               "-x", "200", "-y", "50"]
        for k, v in (env or {}).items():
            cmd += ["-e", f"{k}={v}"]
        run(cmd + [command])

    def tmux(self, *args, check=True):
        return run(["tmux", "-S", self.socket] + list(args), check=check)

    def send(self, *keys):
        """Keys as tmux names them: text, "Tab", "Enter", "Up", "C-d"."""
        self.tmux("send-keys", "-t", self.name, *keys)

    def type_line(self, text):
        self.send(text, "Enter")

    def screen(self):
        res = self.tmux("capture-pane", "-p", "-J", "-S", "-", "-t", self.name, check=False)
        return res.stdout if res.returncode == 0 else ""

    def lines(self):
        return [line.rstrip() for line in self.screen().splitlines()]

    def alive(self):
        return self.tmux("has-session", "-t", self.name, check=False).returncode == 0

    def wait_text(self, text, timeout=10.0):
        try:
            return wait_for(lambda: text in self.screen(), timeout=timeout,
                            what=f"{text!r} on the terminal")
        except AssertionError as e:
            raise AssertionError(f"{e}; screen:\n{self.screen()}") from None

    def wait_line(self, line, timeout=10.0):
        """Waits for a line that reads exactly `line` (trailing spaces aside)."""
        try:
            return wait_for(lambda: line.rstrip() in self.lines(), timeout=timeout,
                            what=f"line {line!r} on the terminal")
        except AssertionError as e:
            raise AssertionError(f"{e}; screen:\n{self.screen()}") from None

    def wait_exit(self, timeout=10.0):
        wait_for(lambda: not self.alive(), timeout=timeout, what="the terminal's program to end")

    def pane_pid(self):
        res = self.tmux("display-message", "-p", "-t", self.name, "#{pane_pid}", check=False)
        return int(res.stdout.strip()) if res.returncode == 0 and res.stdout.strip() else None

    def kill(self):
        self.tmux("kill-server", check=False)
        try:
            os.unlink(self.socket)
        except OSError:
            pass


@pytest.fixture
def terminal(tmp_path_factory):
    """terminal(command, env) -> a Terminal; all are killed at the end."""
    made = []
    sockets = tmp_path_factory.mktemp("tmux")

    def make(command, env=None):
        t = Terminal(str(sockets / f"{len(made)}.sock"), command, env)
        made.append(t)
        return t

    yield make
    for t in made:
        t.kill()


@pytest.fixture
def history(tmp_path):
    return str(tmp_path / "vsctl_history")


def vsctl_prompt(terminal, daemon, history):
    t = terminal(f"{shlex.quote(VSCTL)} --socket {shlex.quote(daemon.socket)}",
                 {"VSCTL_HISTORY": history})
    t.wait_line("vsctl>")
    return t


def test_tab_completes_a_command_word(vswitchd, terminal, history):
    t = vsctl_prompt(terminal, vswitchd, history)
    t.send("sho", "Tab")
    t.wait_line("vsctl> show")
    # The completion ends the word with a space: "health" is the next word.
    t.type_line("health")
    t.wait_text("serving")
    assert "vsctl> show health" in t.lines()


def test_tab_completes_a_live_vport_name(vswitchd, terminal, history):
    vswitchd.vsctl("add", "vnet", "blue", "tenant", "acme", "vni", "100")
    vswitchd.vsctl("add", "vport", "vtab1", "vnet", "blue", "driver", "null")
    vswitchd.vsctl("add", "vport", "other1", "vnet", "blue", "driver", "null")
    t = vsctl_prompt(terminal, vswitchd, history)
    t.send("del vport v", "Tab")
    t.wait_line("vsctl> del vport vtab1")
    t.send("Enter")
    wait_for(lambda: "vtab1" not in vswitchd.vsctl("show", "vports").stdout,
             what="vtab1 to be deleted")
    assert "other1" in vswitchd.vsctl("show", "vports").stdout


def test_tab_lists_several_candidates(vswitchd, terminal, history):
    t = vsctl_prompt(terminal, vswitchd, history)
    t.send("show v", "Tab")
    t.wait_line("vsctl> show v")  # Common prefix "v": nothing to add, so...
    t.send("Tab")
    t.wait_text("vnets")          # ...a second Tab shows the choices.
    t.wait_text("vports")


def test_help_lists_commands_and_explains_one(vswitchd, terminal, history):
    t = vsctl_prompt(terminal, vswitchd, history)
    t.type_line("help")
    t.wait_text("quit | exit")
    screen = t.screen()
    assert "show health" in screen and "del vport NAME" in screen
    t.type_line("help del vport")
    t.wait_text("usage: del vport NAME")
    t.wait_text("RPC: RemoveVPort")


def test_history_is_recalled_after_a_restart(vswitchd, terminal, history):
    t = vsctl_prompt(terminal, vswitchd, history)
    t.type_line("show vnets")
    t.wait_text("ID  NAME")
    t.type_line("quit")
    t.wait_exit()
    assert os.path.exists(history)

    t2 = vsctl_prompt(terminal, vswitchd, history)
    t2.send("Up")
    t2.wait_line("vsctl> show vnets")
    t2.send("Enter")
    t2.wait_text("ID  NAME")
    t2.send("C-d")  # EOF on an empty line ends the shell too.
    t2.wait_exit()


def test_errors_print_and_the_prompt_goes_on(vswitchd, terminal, history):
    t = vsctl_prompt(terminal, vswitchd, history)
    t.type_line("frobnicate now")
    t.wait_text('error: unknown command "frobnicate"')
    t.type_line("del vport nosuch")
    t.wait_text("error: NOT_FOUND:")
    t.type_line("show health")
    t.wait_text("serving")
    assert t.alive()


def line_after(lines, line):
    return lines[lines.index(line) + 1] if line in lines[:-1] else None


def test_ctrl_c_drops_the_line_and_the_prompt_goes_on(vswitchd, terminal, history):
    t = vsctl_prompt(terminal, vswitchd, history)
    t.send("add vnet blue tenant acme vni 100")
    t.wait_line("vsctl> add vnet blue tenant acme vni 100")
    t.send("C-c")
    t.wait_line("vsctl> add vnet blue tenant acme vni 100^C")
    # A new, empty prompt under the dropped line; the line never ran.
    wait_for(lambda: line_after(t.lines(), "vsctl> add vnet blue tenant acme vni 100^C")
             == "vsctl>", what=f"a new prompt after ^C; screen:\n{t.screen()}")
    t.send("C-c")  # On an empty line too.
    t.wait_line("vsctl> ^C")
    t.type_line("show health")
    t.wait_text("serving")
    assert "blue" not in vswitchd.vsctl("show", "vnets").stdout
    t.type_line("quit")
    t.wait_exit()
    with open(history) as f:
        assert "add vnet" not in f.read()


def prompt_then_shell(terminal, daemon, history, tmp_path):
    """vsctl in a terminal; when it ends, its exit status and the terminal's
    settings (stty -a) land in files."""
    rc, stty = tmp_path / "rc", tmp_path / "stty"
    t = terminal(f"{shlex.quote(VSCTL)} --socket {shlex.quote(daemon.socket)}; "
                 f"echo $? > {rc}; stty -a > {stty}; sleep 600",
                 {"VSCTL_HISTORY": history})
    t.wait_line("vsctl>")
    res = run(["pgrep", "-P", str(t.pane_pid()), "-x", "vsctl"], check=False)
    assert res.stdout.strip(), t.screen()
    return t, int(res.stdout.split()[0]), rc, stty


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_terminating_signal_restores_the_terminal(vswitchd, terminal, history, tmp_path, sig):
    t, pid, rc, stty = prompt_then_shell(terminal, vswitchd, history, tmp_path)
    # Resizes first (SIGWINCH, once delivered to a gRPC thread): the prompt
    # goes on and answers.
    for cols in (120, 160, 200):
        t.tmux("resize-window", "-t", t.name, "-x", str(cols), "-y", "40", check=False)
        os.kill(pid, signal.SIGWINCH)
    t.type_line("show health")
    t.wait_text("serving")
    t.send("show vn")  # A line being edited when the signal comes.
    t.wait_line("vsctl> show vn")
    os.kill(pid, sig)
    wait_for(lambda: stty.exists() and stty.stat().st_size > 0, timeout=20,
             what="vsctl to end and stty to run")
    assert int(rc.read_text()) == 128 + sig  # Died of the signal, as it should.
    settings = stty.read_text().split()
    assert "icanon" in settings and "echo" in settings, settings


def test_ctrl_z_stops_and_fg_resumes_the_prompt(vswitchd, terminal, history, tmp_path):
    t = terminal("bash --norc --noprofile -i", {"VSCTL_HISTORY": history})
    t.type_line("PS1=job-shell$")  # A prompt to wait for (bash sets its own at start).
    t.wait_text("job-shell$")
    t.type_line(f"{shlex.quote(VSCTL)} --socket {shlex.quote(vswitchd.socket)}")
    t.wait_line("vsctl>")
    t.send("C-z")
    t.wait_text("Stopped")
    t.type_line("fg")
    t.send("sho", "Tab")  # Completion works: the terminal is editing again.
    t.wait_text("vsctl> show ")
    t.type_line("health")
    t.wait_text("serving")
    t.type_line("quit")
    t.type_line("echo vsctl-rc=$?")
    t.wait_line("vsctl-rc=0")


def write_script(tmp_path, text):
    path = tmp_path / "script.vs"
    path.write_text(text)
    return str(path)


def test_script_stops_at_the_first_error_with_its_line(vswitchd, tmp_path):
    path = write_script(tmp_path, "# make a VNet\n"
                                  "add vnet blue tenant acme vni 100\n"
                                  "del vport nosuch\n"
                                  "add vnet red tenant acme vni 101\n")
    res = vswitchd.vsctl("-f", path, check=False)
    assert res.returncode == 1, res.stdout + res.stderr
    assert res.stderr.startswith(f"{path}:3: NOT_FOUND"), res.stderr
    assert len(res.stderr.splitlines()) == 1
    vnets = vswitchd.vsctl("show", "vnets").stdout
    assert "blue" in vnets and "red" not in vnets  # Ran up to line 3, not past it.


def test_script_usage_error_exits_2(vswitchd, tmp_path):
    path = write_script(tmp_path, "\n  # indented comment\n\nshow vnets\nadd vnet\n")
    res = vswitchd.vsctl("-f", path, check=False)
    assert res.returncode == 2
    assert res.stderr.startswith(f"{path}:5: add vnet: missing NAME"), res.stderr


def test_script_of_good_commands_exits_0(vswitchd, tmp_path):
    path = write_script(tmp_path, "# all fine\nadd vnet blue tenant acme vni 100\n\nshow vnets\n")
    res = vswitchd.vsctl("-f", path)
    assert "blue" in res.stdout and res.stderr == ""


class InteractiveDaemon:
    """vswitchd --interactive in a terminal. Its exit code lands in a file
    when it exits; its log (glog on stderr) stays on the terminal."""

    def __init__(self, terminal, workdir, *flags):
        self.daemon = Daemon(workdir, ["--interactive", *flags])
        self.rc_path = os.path.join(workdir, "rc")
        cmd = " ".join(shlex.quote(a) for a in [VSWITCHD] + self.daemon.flags)
        self.term = terminal(f"{cmd}; echo $? > {shlex.quote(self.rc_path)}; sleep 600",
                             {"VSCTL_HISTORY": os.path.join(workdir, "history")})
        wait_for(lambda: os.path.exists(self.rc_path) or self.daemon.ready(), timeout=30,
                 what="vswitchd --interactive to serve its socket")
        if os.path.exists(self.rc_path):
            raise AssertionError(f"vswitchd exited:\n{self.term.screen()}")

    def rc(self):
        try:
            with open(self.rc_path) as f:
                text = f.read().strip()
            return int(text) if text else None
        except OSError:
            return None

    def pid(self):
        pane = self.term.pane_pid()
        if pane is None:
            return None
        res = run(["pgrep", "-P", str(pane), "-x", "vswitchd"], check=False)
        return int(res.stdout.split()[0]) if res.stdout.strip() else None

    def cleanup(self):
        pid = self.pid()
        if pid is not None and self.rc() is None:
            os.kill(pid, signal.SIGTERM)
            try:
                wait_for(lambda: self.rc() is not None, timeout=20, what="vswitchd to stop")
            except AssertionError:
                os.kill(pid, signal.SIGKILL)
        subprocess.run(["rm", "-rf", f"/var/run/dpdk/{self.daemon.prefix}"], check=False)


@pytest.fixture
def interactive_daemon(terminal, tmp_path_factory):
    made = []

    def make(*flags):
        d = InteractiveDaemon(terminal, str(tmp_path_factory.mktemp("vsi")), *flags)
        made.append(d)
        return d

    yield make
    for d in made:
        d.cleanup()


def test_vswitchd_interactive_answers_and_quit_stops_it(interactive_daemon):
    d = interactive_daemon()
    t = d.term
    t.wait_text("vswitchd> ")
    t.type_line("show health")
    # The column width follows the longest key; only the words matter.
    wait_for(lambda: ["serving", "yes"] in [line.split() for line in t.lines()],
             what="serving yes on the terminal")
    t.type_line("quit")
    wait_for(lambda: d.rc() is not None, timeout=30, what="vswitchd to exit")
    assert d.rc() == 0, t.screen()
    assert not os.path.exists(d.daemon.socket)


def test_vswitchd_detach_shell_on_quit_keeps_serving(interactive_daemon):
    d = interactive_daemon("--detach_shell_on_quit")
    t = d.term
    t.wait_text("vswitchd> ")
    t.type_line("quit")
    wait_for(lambda: "vswitchd> quit" in t.lines(), what="the quit to be echoed")
    assert d.rc() is None
    assert d.daemon.vsctl("show", "health").returncode == 0
    os.kill(d.pid(), signal.SIGTERM)
    wait_for(lambda: d.rc() is not None, timeout=30, what="vswitchd to exit on SIGTERM")
    assert d.rc() == 0
    assert not os.path.exists(d.daemon.socket)


def test_save_and_load_at_the_prompt_with_file_completion(vswitchd, terminal, history,
                                                          tmp_path):
    vswitchd.vsctl("add", "vnet", "blue", "tenant", "acme", "vni", "100")
    saved = tmp_path / "saved-config.textproto"
    t = vsctl_prompt(terminal, vswitchd, history)
    t.type_line(f"save {saved}")
    t.wait_text(f"configuration saved to {saved}")
    vswitchd.vsctl("del", "vnet", "blue")
    # Tab completes the file name in its directory.
    t.send(f"load {tmp_path}/saved-c", "Tab")
    t.wait_line(f"vsctl> load {saved}")
    t.send("Enter")
    t.wait_text(f"configuration loaded from {saved}")
    assert "blue" in vswitchd.vsctl("show", "vnets").stdout
