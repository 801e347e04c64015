# SPDX-License-Identifier: Apache-2.0
"""Who may talk to the API: the UNIX socket is 0660, owner root, group
--socket_group; TCP is served only with TLS (--listen with --tls_cert and
--tls_key, --tls_client_ca for mutual TLS), never in plain text. vsctl
reaches the TCP listener with --server and its TLS flags. Certificates are
made here with openssl; everything listens on 127.0.0.1 only."""

import grp
import os
import socket
import stat
import subprocess

import pytest

from conftest import VSCTL, VSWITCHD, run, unique


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def openssl(*args, cwd):
    run(["openssl"] + list(args), cwd=cwd, timeout=60)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A CA, a server certificate for IP 127.0.0.1, a client certificate,
    and a second CA that signed neither."""
    d = tmp_path_factory.mktemp("pki")
    for ca in ("ca", "otherca"):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", f"{ca}.key", "-out", f"{ca}.pem", "-days", "1",
                "-subj", f"/CN=vswitch test {ca}", cwd=d)
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth"),
                      ("client", "extendedKeyUsage=clientAuth")):
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=d)
        (d / f"{name}.ext").write_text(ext + "\n")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", f"{name}.pem", "-days", "1", "-extfile",
                f"{name}.ext", cwd=d)
    return d


@pytest.fixture
def group_name():
    """A system group made for the test, removed afterwards."""
    name = unique("g")
    run(["groupadd", "--system", name])
    yield name
    run(["groupdel", name], check=False)


def test_socket_mode_owner_and_group(vswitchd_factory, group_name):
    d = vswitchd_factory(f"--socket_group={group_name}")
    st = os.stat(d.socket)
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o660
    assert st.st_uid == 0
    assert st.st_gid == grp.getgrnam(group_name).gr_gid
    d.vsctl("show", "health")


def test_socket_default_group_is_root(vswitchd):
    st = os.stat(vswitchd.socket)
    assert stat.S_IMODE(st.st_mode) == 0o660 and st.st_uid == 0 and st.st_gid == 0


@pytest.mark.parametrize("flags, needle", [
    (["--socket_group=nosuchgroup_vs"], "no such group"),
    (["--listen=127.0.0.1:1"], "--tls_cert"),
    (["--listen=127.0.0.1:1", "--tls_cert=/x.pem"], "--tls_key"),
    (["--tls_cert=/x.pem", "--tls_key=/x.key"], "--listen"),
    (["--listen=127.0.0.1:1", "--tls_cert=/nonexistent.pem", "--tls_key=/nonexistent.key"],
     "/nonexistent"),
])
def test_bad_access_flags_exit_2(tmp_path, flags, needle):
    res = subprocess.run([VSWITCHD, f"--socket={tmp_path}/s.sock", f"--config=",
                          f"--file_prefix={unique('af')}"] + flags,
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert needle in lines[0]


def vsctl_tcp(port, *args, ca=None, cert=None, key=None, json_out=False):
    cmd = [VSCTL, "--server", f"127.0.0.1:{port}"]
    if ca:
        cmd += ["--tls_ca", str(ca)]
    if cert:
        cmd += ["--tls_cert", str(cert), "--tls_key", str(key)]
    return run(cmd + (["--json"] if json_out else []) + list(args), check=False, timeout=30)


def test_tls_listener(vswitchd_factory, pki, grpc_stubs):
    import grpc
    pb2, pb2_grpc = grpc_stubs
    port = free_port()
    d = vswitchd_factory(f"--listen=127.0.0.1:{port}", f"--tls_cert={pki / 'server.pem'}",
                         f"--tls_key={pki / 'server.key'}")
    # vsctl over TLS: changes made there are seen on the UNIX socket.
    res = vsctl_tcp(port, "add", "vnet", "blue", "tenant", "acme", "vni", "100",
                    ca=pki / "ca.pem")
    assert res.returncode == 0, res.stderr
    assert [v["name"] for v in d.vsctl("show", "vnets", json_out=True)["vnets"]] == ["blue"]
    # The system's roots (no --tls_ca) or another CA do not trust the server.
    for ca in (None, pki / "otherca.pem"):
        res = vsctl_tcp(port, "show", "health", ca=ca)
        assert res.returncode == 1 and "UNAVAILABLE" in res.stderr, res.stderr
    # Plain TCP is not served: an insecure gRPC client gets no answer.
    with grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
        with pytest.raises(grpc.RpcError) as e:
            pb2_grpc.VSwitchStub(ch).GetHealth(pb2.GetHealthRequest(), timeout=5)
        assert e.value.code() == grpc.StatusCode.UNAVAILABLE
    # Python's TLS client with the CA works too.
    creds = grpc.ssl_channel_credentials((pki / "ca.pem").read_bytes())
    with grpc.secure_channel(f"127.0.0.1:{port}", creds) as ch:
        assert pb2_grpc.VSwitchStub(ch).GetHealth(pb2.GetHealthRequest(), timeout=10).serving
    d.vsctl("show", "health")  # The daemon is unaffected.


def test_mutual_tls(vswitchd_factory, pki):
    port = free_port()
    vswitchd_factory(f"--listen=127.0.0.1:{port}", f"--tls_cert={pki / 'server.pem'}",
                     f"--tls_key={pki / 'server.key'}", f"--tls_client_ca={pki / 'ca.pem'}")
    res = vsctl_tcp(port, "show", "health", ca=pki / "ca.pem", cert=pki / "client.pem",
                    key=pki / "client.key")
    assert res.returncode == 0, res.stderr
    # Without a client certificate, or with one the CA did not sign: refused.
    res = vsctl_tcp(port, "show", "health", ca=pki / "ca.pem")
    assert res.returncode == 1 and "UNAVAILABLE" in res.stderr, res.stderr
    res = vsctl_tcp(port, "show", "health", ca=pki / "ca.pem", cert=pki / "otherca.pem",
                    key=pki / "otherca.key")
    assert res.returncode == 1 and "UNAVAILABLE" in res.stderr, res.stderr


def test_vsctl_tls_flags_need_server(tmp_path):
    res = run([VSCTL, "--tls_ca", "/x.pem", "show", "health"], check=False)
    assert res.returncode == 2 and "--server" in res.stderr
    res = run([VSCTL, "--server", "127.0.0.1:1", "--tls_ca", str(tmp_path / "none.pem"),
               "show", "health"], check=False)
    assert res.returncode == 2 and "none.pem" in res.stderr
