#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Generates the C++ gRPC code of etcd's v3 API from the .proto files that
Debian's golang-etcd-server-dev ships (etcd 3.4). Those files import
gogoproto and google.api annotations (Go code generation and the JSON
gateway's routes), which change nothing on the wire: they are stripped, and
the three files are renamed etcd_{kv,auth,rpc}.proto so that the outputs can
sit flat in one build directory (meson's outputs cannot have subfolders).

usage: gen_protos.py PROTOC GRPC_CPP_PLUGIN SRC_ROOT OUTDIR"""

import os
import re
import subprocess
import sys

FILES = {  # ours: theirs, under SRC_ROOT (go.etcd.io/etcd)
    "etcd_kv.proto": "mvcc/mvccpb/kv.proto",
    "etcd_auth.proto": "auth/authpb/auth.proto",
    "etcd_rpc.proto": "etcdserver/etcdserverpb/rpc.proto",
}
IMPORTS = {
    "etcd/mvcc/mvccpb/kv.proto": "etcd_kv.proto",
    "etcd/auth/authpb/auth.proto": "etcd_auth.proto",
}


def strip(text):
    text = re.sub(r'^import "(gogoproto/gogo|google/api/annotations)\.proto";\n', "", text,
                  flags=re.M)
    text = re.sub(r"^option \(gogoproto\.[a-z_]+\) = \w+;\n", "", text, flags=re.M)
    # Route annotations of the JSON gateway: option (google.api.http) = {...};
    text = re.sub(r"option \(google\.api\.http\) = \{.*?\};", "", text, flags=re.S)
    # Field options such as [(gogoproto.nullable) = false]; none in 3.4, but
    # a later package must not leave a dangling reference.
    text = re.sub(r"\s*\[\(gogoproto\.[a-z_]+\) = [^\]]+\]", "", text)
    for theirs, ours in IMPORTS.items():
        text = text.replace(f'import "{theirs}";', f'import "{ours}";')
    if "gogoproto" in text or "google.api" in text:
        sys.exit("gen_protos.py: an annotation was left that this script does not strip")
    return text


def main():
    protoc, plugin, src_root, outdir = sys.argv[1:5]
    for ours, theirs in FILES.items():
        path = os.path.join(src_root, theirs)
        try:
            with open(path) as f:
                text = f.read()
        except OSError as e:
            sys.exit(f"gen_protos.py: {path}: {e.strerror} "
                     "(install golang-etcd-server-dev: scripts/install-deps.sh)")
        with open(os.path.join(outdir, ours), "w") as f:
            f.write(strip(text))
    subprocess.run([protoc, f"--proto_path={outdir}", f"--cpp_out={outdir}",
                    f"--grpc_out={outdir}", f"--plugin=protoc-gen-grpc={plugin}",
                    *[os.path.join(outdir, p) for p in FILES]], check=True)


if __name__ == "__main__":
    main()
