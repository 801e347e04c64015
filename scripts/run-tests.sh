#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what is missing, builds, and runs every suite: unit (GoogleTest),
# fuzz replay, micro-benchmark smoke, integration (pytest + scapy in network
# namespaces), end-to-end benchmark smoke. Ends with one line "N passed, N failed". Needs root.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${VSWITCH_BUILD:-build}
export VSWITCH_BUILD="$ROOT/$BUILD"

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

/usr/bin/python3 scripts/junit_summary.py \
  "$BUILD/meson-logs/testlog.junit.xml" "$BUILD/pytest.junit.xml" "$BUILD/bench-e2e.junit.xml"
summary_rc=$?
if [ $meson_rc -ne 0 ] || [ $pytest_rc -ne 0 ] || [ $e2e_rc -ne 0 ] || [ $summary_rc -ne 0 ]; then
  exit 1
fi
