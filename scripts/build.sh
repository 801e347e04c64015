#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Configures (once) and builds vswitch into ./build (release), printing its
# progress every tenth of the steps and every compiler message.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${VSWITCH_BUILD:-build}
if [ ! -f "$BUILD/build.ninja" ]; then
  echo "build: configuring $BUILD (meson, release)"
  meson setup "$BUILD" --buildtype=release >/dev/null
fi
# ninja prints "[done/total] ..." per step when its output is not a
# terminal; keep every tenth and whatever is not a status line (errors).
NINJA_STATUS="[%f/%t] " ninja -C "$BUILD" | awk -v start="$SECONDS" '
  /^\[[0-9]+\/[0-9]+\] / {
    split(substr($1, 2), f, "/"); done = f[1] + 0; total = f[2] + 0
    step = int(done * 10 / total)
    if (step > last || done == total) {
      last = step
      printf "build: %d/%d steps (%d%%)\n", done, total, done * 100 / total
      fflush()
    }
    next
  }
  /^ninja: (Entering|no work)/ { next }
  { print; fflush() }
  END { if (total == 0) print "build: up to date" }'
exit "${PIPESTATUS[0]}"
