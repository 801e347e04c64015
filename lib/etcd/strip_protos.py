#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Copies etcd's v3 protos (Debian's golang-etcd-server-dev) into the build
dir, compilable by plain protoc: gogoproto and google.api imports and
options removed (only Go and the HTTP gateway use them), imports pointed at
the copies. Package names stay (etcdserverpb, mvccpb, authpb) so the wire
format and the gRPC method paths are etcd's.

Usage: strip_protos.py OUT_DIR IMPORT_PREFIX rpc.proto kv.proto auth.proto
IMPORT_PREFIX: the copies' path below protoc's --proto_path (lib/etcd).
"""
import os
import re
import sys


def strip_http_options(text):
    # option (google.api.http) = { ... }; spans lines and nests braces
    # (additional_bindings); its strings hold none.
    head = re.compile(r'\s*option \(google\.api\.http\) = \{')
    out = []
    while True:
        m = head.search(text)
        if not m:
            return ''.join(out) + text
        out.append(text[:m.start()])
        depth, i = 1, m.end()
        while depth:
            if i >= len(text):
                sys.exit('strip_protos: unbalanced google.api.http option')
            depth += {'{': 1, '}': -1}.get(text[i], 0)
            i += 1
        if not text.startswith(';', i):
            sys.exit('strip_protos: no ";" after a google.api.http option')
        text = text[i + 1:]


def strip(text, prefix):
    text = re.sub(r'^import "gogoproto/gogo.proto";\n', '', text, flags=re.M)
    text = re.sub(r'^import "google/api/annotations.proto";\n', '', text, flags=re.M)
    text = re.sub(r'^\s*option \(gogoproto\.[a-z_]+\) = [a-z]+;\n', '', text, flags=re.M)
    # Field options: [(gogoproto.x) = y] and lists of them.
    text = re.sub(r'\s*\[\s*\(gogoproto\.[^\]]*\]', '', text)
    text = strip_http_options(text)
    text = text.replace('import "etcd/mvcc/mvccpb/kv.proto";',
                        'import "%s/kv.proto";' % prefix)
    text = text.replace('import "etcd/auth/authpb/auth.proto";',
                        'import "%s/auth.proto";' % prefix)
    if 'gogoproto' in text or 'google.api' in text:
        sys.exit('strip_protos: gogoproto/google.api left after stripping')
    return text


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    out_dir, prefix = sys.argv[1], sys.argv[2]
    for src in sys.argv[3:]:
        with open(src, encoding='utf-8') as f:
            text = strip(f.read(), prefix)
        dst = os.path.join(out_dir, os.path.basename(src))
        with open(dst + '.tmp', 'w', encoding='utf-8') as f:
            f.write(text)
        os.replace(dst + '.tmp', dst)


main()
