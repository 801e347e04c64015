# SPDX-License-Identifier: Apache-2.0
"""A real etcd cluster for the fleet tests: N members of Debian's etcd 3.4
on loopback, with ports picked free at start (never 2379/2380, where the
system's etcd may listen) and data in a temporary folder. Members can be
killed and started again; close() removes everything, also after a
failure half-way."""

import os
import shutil
import signal
import socket
import subprocess
import time

ETCD = "/usr/bin/etcd"
ETCDCTL = "/usr/bin/etcdctl"


def free_ports(n):
    """n TCP ports free on 127.0.0.1 right now (bound, then released)."""
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


class EtcdCluster:
    def __init__(self, workdir, members=3):
        self.workdir = workdir
        ports = free_ports(2 * members)
        self.client_ports = ports[:members]
        self.peer_ports = ports[members:]
        self.names = [f"m{i}" for i in range(members)]
        self.procs = [None] * members
        self.token = f"vswitch-test-{os.getpid()}-{int(time.time())}"
        self.initial = ",".join(f"{n}=http://127.0.0.1:{p}"
                                for n, p in zip(self.names, self.peer_ports))

    @property
    def endpoints(self):
        """"127.0.0.1:P1,127.0.0.1:P2,..." (every member)."""
        return ",".join(f"127.0.0.1:{p}" for p in self.client_ports)

    def endpoint(self, i):
        return f"127.0.0.1:{self.client_ports[i]}"

    def start_member(self, i, state="new"):
        name = self.names[i]
        data = os.path.join(self.workdir, f"{name}.etcd")
        log = open(os.path.join(self.workdir, f"{name}.log"), "a")
        cport, pport = self.client_ports[i], self.peer_ports[i]
        self.procs[i] = subprocess.Popen(
            [ETCD, "--name", name, "--data-dir", data,
             "--listen-client-urls", f"http://127.0.0.1:{cport}",
             "--advertise-client-urls", f"http://127.0.0.1:{cport}",
             "--listen-peer-urls", f"http://127.0.0.1:{pport}",
             "--initial-advertise-peer-urls", f"http://127.0.0.1:{pport}",
             "--initial-cluster", self.initial, "--initial-cluster-token", self.token,
             "--initial-cluster-state", state,
             # Fast elections: loopback has no latency to speak of.
             "--heartbeat-interval", "50", "--election-timeout", "500",
             "--logger", "zap", "--log-level", "warn"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()

    def start(self, timeout=30):
        for i in range(len(self.names)):
            self.start_member(i)
        self.wait_healthy(timeout=timeout)
        return self

    def etcdctl(self, *args, endpoints=None, check=True, timeout=15, input=None):
        env = dict(os.environ, ETCDCTL_API="3")
        res = subprocess.run([ETCDCTL, f"--endpoints={endpoints or self.endpoints}",
                              "--command-timeout=5s", *args],
                             capture_output=True, text=True, timeout=timeout, env=env,
                             input=input)
        if check and res.returncode != 0:
            raise AssertionError(f"etcdctl {' '.join(args)}: {res.stdout}{res.stderr}")
        return res

    def alive(self):
        return [i for i, p in enumerate(self.procs) if p is not None and p.poll() is None]

    def wait_healthy(self, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            eps = ",".join(self.endpoint(i) for i in self.alive())
            res = self.etcdctl("endpoint", "health", endpoints=eps, check=False) if eps else None
            if res is not None and res.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"etcd not healthy after {timeout}s: "
                                     f"{res.stdout + res.stderr if res else 'no member'}\n"
                                     f"{self.logs()}")
            time.sleep(0.2)

    def kill(self, i, sig=signal.SIGKILL):
        p = self.procs[i]
        if p is not None and p.poll() is None:
            p.send_signal(sig)
            p.wait(timeout=10)
        self.procs[i] = None

    def restart(self, i):
        """Starts a killed member again on its data: it rejoins."""
        self.start_member(i, state="existing")

    def logs(self):
        out = []
        for n in self.names:
            path = os.path.join(self.workdir, f"{n}.log")
            if os.path.exists(path):
                out.append(f"--- {n}\n" + open(path).read()[-3000:])
        return "\n".join(out)

    def close(self):
        for i in range(len(self.procs)):
            try:
                self.kill(i)
            except Exception:
                pass
        for n in self.names:
            shutil.rmtree(os.path.join(self.workdir, f"{n}.etcd"), ignore_errors=True)
