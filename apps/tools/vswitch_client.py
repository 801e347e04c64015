#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Example gRPC client of vswitchd in Python: lists vports (with their
counters), creates a TAP session and manages the overlay's remote ports,
over the daemon's Unix socket.

The stubs are generated from vswitch/api/vswitch.proto with Debian's tools
(packages protobuf-compiler, protobuf-compiler-grpc, python3-grpcio,
python3-protobuf):

    protoc --proto_path=REPO --python_out=OUT --grpc_out=OUT \\
        --plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin \\
        REPO/vswitch/api/vswitch.proto

This script does that into a temporary directory at start unless --stubs
names a directory that already holds them (OUT above).

Examples:
    vswitch_client.py --socket /run/vswitch/vswitchd.sock list-ports
    vswitch_client.py --socket /run/vswitch/vswitchd.sock create-tap-session t1 \\
        --source vm1 --destination col --direction rx
    vswitch_client.py --socket /run/vswitch/vswitchd.sock add-remote-port blue \\
        02:00:00:00:10:01 --vtep 192.0.2.20 --ip 10.1.0.21
    vswitch_client.py --socket /run/vswitch/vswitchd.sock replace-remote-ports ports.txt
    vswitch_client.py --socket /run/vswitch/vswitchd.sock --json vteps

The file of replace-remote-ports has the format of `vsctl load remote-ports`:
one remote port a line, "VNET MAC VTEP [IP]...", '#' starting a comment.
"""

import argparse
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_PROTO = os.path.join(REPO, "vswitch", "api", "vswitch.proto")
GRPC_PLUGIN = "/usr/bin/grpc_python_plugin"


def load_stubs(stubs_dir, proto):
    """Imports vswitch_pb2 and vswitch_pb2_grpc, generating them first when
    `stubs_dir` is None."""
    if stubs_dir is None:
        stubs_dir = tempfile.mkdtemp(prefix="vswitch-stubs-")
        atexit.register(shutil.rmtree, stubs_dir, ignore_errors=True)
        # The proto imports nothing of ours; its path below --proto_path sets
        # the Python package (vswitch.api).
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(proto))))
        res = subprocess.run(
            ["protoc", f"--proto_path={root}", f"--python_out={stubs_dir}",
             f"--grpc_out={stubs_dir}", f"--plugin=protoc-gen-grpc={GRPC_PLUGIN}",
             os.path.abspath(proto)],
            capture_output=True, text=True)
        if res.returncode != 0:
            sys.exit(f"vswitch_client: protoc failed: {res.stderr.strip()}")
    sys.path.insert(0, stubs_dir)
    from vswitch.api import vswitch_pb2, vswitch_pb2_grpc  # noqa: E402
    return vswitch_pb2, vswitch_pb2_grpc


DIRECTIONS = {"rx": "TAP_DIRECTION_RX", "tx": "TAP_DIRECTION_TX", "both": "TAP_DIRECTION_BOTH"}


def list_ports(pb2, stub, args):
    vports = stub.ListVPorts(pb2.ListVPortsRequest(), timeout=args.timeout).vports
    stats = {p.name: p for p in stub.GetStats(pb2.GetStatsRequest(), timeout=args.timeout).ports}
    rows = []
    for vp in vports:
        st = stats.get(vp.name)
        rows.append({
            "name": vp.name,
            "id": vp.id,
            "kind": pb2.VPortKind.Name(vp.kind),
            "vnet": vp.vnet,
            "driver": vp.driver,
            "port_id": vp.port_id,
            "link_up": vp.link_up,
            "vm_macs": list(vp.vm_macs),
            "ips": list(vp.ips),
            # Port security applies to a VM vport with MACs or IPs unless disabled.
            "port_security": (vp.kind == pb2.VPORT_KIND_VM and bool(vp.vm_macs or vp.ips)
                              and not vp.port_security_disabled),
            "rx_packets": st.rx_packets if st else 0,
            "tx_packets": st.tx_packets if st else 0,
        })
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"{'NAME':<16} {'ID':>4} {'KIND':<20} {'VNET':<12} {'LINK':<4} {'RX':>10} {'TX':>10}")
    for r in rows:
        print(f"{r['name']:<16} {r['id']:>4} {r['kind']:<20} {r['vnet']:<12} "
              f"{'up' if r['link_up'] else 'down':<4} {r['rx_packets']:>10} {r['tx_packets']:>10}")


def create_tap_session(pb2, stub, args):
    session = pb2.TapSession(
        name=args.name,
        sources=args.source,
        destinations=args.destination,
        direction=pb2.TapDirection.Value(DIRECTIONS[args.direction]),
        truncate_bytes=args.truncate_bytes,
        rate_limit_pps=args.rate_limit_pps)
    created = stub.CreateTapSession(pb2.CreateTapSessionRequest(session=session),
                                    timeout=args.timeout)
    if args.json:
        from google.protobuf import json_format
        print(json_format.MessageToJson(created, preserving_proto_field_name=True))
    else:
        print(f"created TAP session {created.name} (id {created.id}): "
              f"{', '.join(created.sources)} -> {', '.join(created.destinations)}, "
              f"{pb2.TapDirection.Name(created.direction)}")


def print_message(message):
    from google.protobuf import json_format
    print(json_format.MessageToJson(message, preserving_proto_field_name=True,
                                    including_default_value_fields=True))


def add_remote_port(pb2, stub, args):
    port = pb2.RemotePort(vnet=args.vnet, mac=args.mac, vtep=args.vtep, ips=args.ip or [])
    added = stub.AddRemotePort(pb2.AddRemotePortRequest(port=port), timeout=args.timeout)
    if args.json:
        print_message(added)
    else:
        print(f"remote-port {added.mac} added to {added.vnet or args.vnet} (vtep {added.vtep})")


def del_remote_port(pb2, stub, args):
    stub.RemoveRemotePort(pb2.RemoveRemotePortRequest(vnet=args.vnet, mac=args.mac),
                          timeout=args.timeout)
    if args.json:
        print_message(pb2.RemoveRemotePortResponse())
    else:
        print(f"remote-port {args.mac} removed from {args.vnet}")


def list_remote_ports(pb2, stub, args):
    ports = stub.ListRemotePorts(pb2.ListRemotePortsRequest(vnet=args.vnet or ""),
                                 timeout=args.timeout).ports
    rows = [{"vnet": p.vnet, "mac": p.mac, "ips": list(p.ips), "vtep": p.vtep} for p in ports]
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"{'VNET':<12} {'MAC':<17} {'VTEP':<15} IPS")
    for r in rows:
        print(f"{r['vnet']:<12} {r['mac']:<17} {r['vtep']:<15} {','.join(r['ips']) or '-'}")


class FileError(Exception):
    pass


def parse_remote_ports(text, path, vnet=None):
    """The ports of a `vsctl load remote-ports` file as (vnet, mac, vtep, ips)
    tuples, in file order; with `vnet`, only that VNet's lines. Raises
    FileError("PATH:LINE: ...") for a line of fewer than three words."""
    ports = []
    for number, line in enumerate(text.split("\n"), start=1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if len(words) < 3:
            raise FileError(f"{path}:{number}: expected \"VNET MAC VTEP [IP]...\", "
                            f"got {len(words)} word{'' if len(words) == 1 else 's'}")
        if vnet and words[0] != vnet:
            continue
        ports.append((words[0], words[1], words[2], words[3:]))
    return ports


def replace_remote_ports(pb2, stub, args):
    try:
        with open(args.file, encoding="utf-8") as f:
            ports = parse_remote_ports(f.read(), args.file, args.vnet)
    except OSError as e:
        raise FileError(f"{args.file}: cannot read: {e.strerror}") from e
    request = pb2.ReplaceRemotePortsRequest(vnet=args.vnet or "", ports=[
        pb2.RemotePort(vnet=v, mac=m, vtep=t, ips=ips) for v, m, t, ips in ports])
    reply = stub.ReplaceRemotePorts(request, timeout=max(args.timeout, 60.0))
    if args.json:
        print_message(reply)
    else:
        scope = f"vnet {args.vnet}" if args.vnet else "all vnets"
        print(f"remote ports of {scope} replaced from {args.file}: {reply.added} added, "
              f"{reply.removed} removed, {reply.changed} changed, {reply.unchanged} unchanged "
              f"(generation {reply.snapshot_generation})")


def vteps(pb2, stub, args):
    stats = stub.GetStats(pb2.GetStatsRequest(), timeout=args.timeout)
    rows = [{"ip": v.ip, "remote_ports": v.remote_ports, "state": v.state,
             "rx_packets": v.rx_packets, "rx_bytes": v.rx_bytes, "tx_packets": v.tx_packets,
             "tx_bytes": v.tx_bytes, "replicated": v.replicated} for v in stats.vteps]
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"{'IP':<15} {'PORTS':>5} {'STATE':<10} {'RX-PKTS':>10} {'RX-BYTES':>12} "
          f"{'TX-PKTS':>10} {'TX-BYTES':>12} {'REPLICATED':>10}")
    for r in rows:
        print(f"{r['ip']:<15} {r['remote_ports']:>5} {r['state'] or '-':<10} "
              f"{r['rx_packets']:>10} {r['rx_bytes']:>12} {r['tx_packets']:>10} "
              f"{r['tx_bytes']:>12} {r['replicated']:>10}")


COMMANDS = {
    "list-ports": list_ports,
    "create-tap-session": create_tap_session,
    "add-remote-port": add_remote_port,
    "del-remote-port": del_remote_port,
    "list-remote-ports": list_remote_ports,
    "replace-remote-ports": replace_remote_ports,
    "vteps": vteps,
}


def parser():
    """The command line; no stubs, no daemon needed to build or parse it."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--socket", required=True, help="vswitchd's gRPC Unix socket")
    ap.add_argument("--stubs", help="directory holding generated vswitch/api/vswitch_pb2*.py "
                    "(default: generate them into a temporary directory)")
    ap.add_argument("--proto", default=DEFAULT_PROTO, help="vswitch.proto (default: %(default)s)")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per RPC")
    ap.add_argument("--json", action="store_true", help="print JSON")
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("list-ports", help="vports with their link state and packet counters")
    cs = sub.add_parser("create-tap-session", help="mirror vports' frames to destinations")
    cs.add_argument("name")
    cs.add_argument("--source", action="append", required=True, help="vport (repeatable)")
    cs.add_argument("--destination", action="append", required=True,
                    help="mirror destination (repeatable)")
    cs.add_argument("--direction", choices=sorted(DIRECTIONS), default="both")
    cs.add_argument("--truncate-bytes", type=int, default=0)
    cs.add_argument("--rate-limit-pps", type=int, default=0)
    ar = sub.add_parser("add-remote-port", help="a VM of a VNet on another host, behind its VTEP")
    ar.add_argument("vnet")
    ar.add_argument("mac")
    ar.add_argument("--vtep", required=True, help="underlay IPv4 address of the VM's host")
    ar.add_argument("--ip", action="append", help="IPv4 address of the VM (repeatable)")
    dr = sub.add_parser("del-remote-port", help="remove a remote port")
    dr.add_argument("vnet")
    dr.add_argument("mac")
    lr = sub.add_parser("list-remote-ports", help="remote ports, of one VNet or of all")
    lr.add_argument("vnet", nargs="?")
    rr = sub.add_parser("replace-remote-ports",
                        help="make the remote ports exactly a file's, as one change")
    rr.add_argument("file", help='one "VNET MAC VTEP [IP]..." a line, "#" comments')
    rr.add_argument("--vnet", help="replace only this VNet's remote ports (and read only its "
                    "lines)")
    vt = sub.add_parser("vteps", help="per-VTEP remote ports, next-hop state and overlay counters")
    # --json also after these subcommands; SUPPRESS keeps a global --json.
    for p in (ar, dr, lr, rr, vt):
        p.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                       help="print JSON")
    return ap


def main(argv=None):
    args = parser().parse_args(argv)

    import grpc
    pb2, pb2_grpc = load_stubs(args.stubs, args.proto)
    with grpc.insecure_channel(f"unix:{args.socket}") as channel:
        stub = pb2_grpc.VSwitchStub(channel)
        try:
            COMMANDS[args.command](pb2, stub, args)
        except FileError as e:
            print(f"vswitch_client: {e}", file=sys.stderr)
            return 2
        except grpc.RpcError as e:
            # The daemon's message names the field and the rule.
            print(f"vswitch_client: {e.code().name}: {e.details()}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
