#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Example gRPC client of vswitchd in Python: lists vports (with their
counters) and creates a TAP session, over the daemon's Unix socket.

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


def main(argv=None):
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
    args = ap.parse_args(argv)

    import grpc
    pb2, pb2_grpc = load_stubs(args.stubs, args.proto)
    with grpc.insecure_channel(f"unix:{args.socket}") as channel:
        stub = pb2_grpc.VSwitchStub(channel)
        try:
            {"list-ports": list_ports, "create-tap-session": create_tap_session}[args.command](
                pb2, stub, args)
        except grpc.RpcError as e:
            # The daemon's message names the field and the rule.
            print(f"vswitch_client: {e.code().name}: {e.details()}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
