# SPDX-License-Identifier: Apache-2.0
# Sourced by the scripts that need root (demo.sh, run-tests.sh): as root they
# run as they are (a bare Debian box has no sudo); as another user they run
# themselves again through sudo when it is there, else say what is needed.
# Usage: source scripts/as-root.sh "$0" "$@"
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    echo "$(basename "$1"): not root; running it again with sudo" >&2
    # -E keeps VSWITCH_* settings; the caller's PATH is kept for the tools.
    exec sudo -E env "PATH=$PATH" "$@"
  fi
  echo "$(basename "$1"): needs root (EAL, TAP devices and network namespaces do);" \
    "run it as root, or install sudo" >&2
  exit 1
fi
