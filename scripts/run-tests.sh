#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what is missing, builds, and runs every suite: unit (GoogleTest),
# fuzz replay, micro-benchmark smoke, integration (pytest + scapy in network
# namespaces), end-to-end benchmark smoke, then unit, fuzz and integration
# again on an ASan+UBSan build. Ends with one line "N passed, N failed".
# Needs root: as root it runs as it is; as another user it runs itself again
# with sudo.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/as-root.sh "$0" "$@"
ROOT=$PWD
BUILD=${VSWITCH_BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
export VSWITCH_BUILD="$BUILD"

scripts/install-deps.sh || exit 1
scripts/build.sh || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }

rm -f "$BUILD/meson-logs/testlog.junit.xml" "$BUILD/pytest.junit.xml"
echo "== unit, fuzz and benchmark-smoke suites (meson test)"
meson test -C "$BUILD" --no-rebuild --print-errorlogs \
  --suite unit --suite fuzz --suite bench_smoke
meson_rc=$?

echo "== integration suite (pytest, /usr/bin/python3)"
/usr/bin/python3 -m pytest -q -p no:cacheprovider "$ROOT/test/integration" \
  --junitxml="$BUILD/pytest.junit.xml"
pytest_rc=$?

echo "== end-to-end benchmark smoke (bench/e2e/run.py --smoke: every scenario runs, no thresholds)"
rm -f "$BUILD/bench-e2e.junit.xml"
/usr/bin/python3 bench/e2e/run.py --smoke --build "$BUILD" --junit "$BUILD/bench-e2e.junit.xml"
e2e_rc=$?

echo "== fleet benchmark smoke (bench/fleet/run.py --smoke: etcd, agent, vswitchd; checks, no thresholds)"
rm -f "$BUILD/bench-fleet.junit.xml"
/usr/bin/python3 bench/fleet/run.py --smoke --build "$BUILD" --junit "$BUILD/bench-fleet.junit.xml"
fleet_rc=$?

# The same unit, fuzz-replay and integration suites on an AddressSanitizer +
# UndefinedBehaviorSanitizer build (-O1, no benchmarks; doc/fuzzing.md).
# Every report is written to $ASAN/sanitizer/ and fails the case
# "sanitizer_reports"; UBSan and ASan also abort the process that hit one.
# Not under ASan: the benchmark smokes (they measure speed, and run the code
# the suites run) and test_vhost_qemu.py (minutes of TCG guest boots; its
# frames go through DPDK's vhost library, which is not instrumented).
ASAN=${VSWITCH_ASAN_BUILD:-build-asan}
echo "== sanitizer build ($ASAN: ASan + UBSan) and its unit, fuzz and integration suites"
rm -rf "$ASAN/sanitizer" "$ASAN/meson-logs/testlog.junit.xml" "$ASAN/pytest.junit.xml"
if [ ! -f "$ASAN/build.ninja" ]; then
  meson setup "$ASAN" --buildtype=debugoptimized -Doptimization=1 -Db_sanitize=address,undefined \
    -Db_lundef=false -Dbenchmarks=false >/dev/null
fi
mkdir -p "$ASAN/sanitizer"
asan_rc=0
# ccache (meson uses it when installed) leaves the build directory out of
# the hash of this -g build, so a fresh clone elsewhere reuses its objects.
if CCACHE_NOHASHDIR=1 ninja -C "$ASAN" >"$ASAN/ninja.log" || { tail -40 "$ASAN/ninja.log"; false; }; then
  export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:log_path=$ROOT/$ASAN/sanitizer/asan"
  export LSAN_OPTIONS="suppressions=$ROOT/test/sanitizer/lsan.supp:print_suppressions=0"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$ROOT/$ASAN/sanitizer/ubsan"
  meson test -C "$ASAN" --no-rebuild --print-errorlogs --suite unit --suite fuzz || asan_rc=1
  VSWITCH_BUILD="$ROOT/$ASAN" /usr/bin/python3 -m pytest -q -p no:cacheprovider \
    "$ROOT/test/integration" --ignore="$ROOT/test/integration/test_vhost_qemu.py" \
    --junitxml="$ASAN/pytest.junit.xml" || asan_rc=1
  unset ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS
else
  echo "sanitizer build failed"
  asan_rc=1
fi
/usr/bin/python3 test/sanitizer/report_junit.py "$ASAN/sanitizer" "$ASAN/sanitizer.junit.xml" \
  || asan_rc=1

/usr/bin/python3 scripts/junit_summary.py \
  "$BUILD/meson-logs/testlog.junit.xml" "$BUILD/pytest.junit.xml" "$BUILD/bench-e2e.junit.xml" \
  "$BUILD/bench-fleet.junit.xml" \
  "$ASAN/meson-logs/testlog.junit.xml" "$ASAN/pytest.junit.xml" "$ASAN/sanitizer.junit.xml"
summary_rc=$?
if [ $meson_rc -ne 0 ] || [ $pytest_rc -ne 0 ] || [ $e2e_rc -ne 0 ] || [ $fleet_rc -ne 0 ] ||
  [ $asan_rc -ne 0 ] || [ $summary_rc -ne 0 ]; then
  exit 1
fi
