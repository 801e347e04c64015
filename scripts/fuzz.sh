#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs one fuzz target under real libFuzzer for a given time:
#   scripts/fuzz.sh TARGET SECONDS [libFuzzer flags...]
# TARGET: parser_fuzz, encap_fuzz, chain_fuzz, config_text_fuzz, rpc_request_fuzz.
# Builds with Debian's clang into ./build-fuzz (-Dfuzzing=true, ASan +
# UBSan, every library instrumented for coverage), starts from the
# checked-in corpus test/fuzz/corpus/TARGET (read only) and keeps what it
# finds in build-fuzz/corpus/TARGET; a crash is written to
# build-fuzz/artifacts/TARGET-crash-<sha1> and ends the run with status 1.
# See doc/fuzzing.md. Needs root (EAL of encap_fuzz and chain_fuzz; missing packages).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 2 ]; then
  echo "usage: $0 TARGET SECONDS [libFuzzer flags...]" >&2
  exit 2
fi
TARGET=$1
SECONDS_TO_RUN=$2
shift 2
BUILD=${VSWITCH_FUZZ_BUILD:-build-fuzz}
if [ ! -d "test/fuzz/corpus/$TARGET" ]; then
  echo "fuzz: unknown target '$TARGET' (one of: $(ls test/fuzz/corpus | tr '\n' ' '))" >&2
  exit 2
fi

scripts/install-deps.sh --fuzz
if [ ! -f "$BUILD/build.ninja" ]; then
  # fuzzer-no-link: coverage feedback from every library, not only the
  # target; UBSan findings abort like ASan's so libFuzzer keeps the input.
  flags="-fsanitize=fuzzer-no-link -fno-sanitize-recover=all -fno-omit-frame-pointer"
  CC=clang CXX=clang++ meson setup "$BUILD" --buildtype=debugoptimized \
    -Dfuzzing=true -Dbenchmarks=false -Db_sanitize=address,undefined -Db_lundef=false \
    -Dwerror=false -Dcpp_args="$flags" -Dcpp_link_args="-fno-sanitize-recover=all" >/dev/null
fi
ninja -C "$BUILD" "test/fuzz/$TARGET" >/dev/null

mkdir -p "$BUILD/corpus/$TARGET" "$BUILD/artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
# -rss_limit_mb: EAL maps its 256 MB of --no-huge memory up front.
exec "$BUILD/test/fuzz/$TARGET" -max_total_time="$SECONDS_TO_RUN" -print_final_stats=1 \
  -rss_limit_mb=4096 -max_len=10000 -artifact_prefix="$BUILD/artifacts/$TARGET-" "$@" \
  "$BUILD/corpus/$TARGET" "test/fuzz/corpus/$TARGET"
