#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian 12 packages vswitch needs to build, test and demo,
# only those that are missing. Needs root. --fuzz: also what
# scripts/fuzz.sh needs.
set -euo pipefail

PACKAGES=(
  build-essential meson ninja-build pkg-config
  libdpdk-dev dpdk dpdk-dev
  libabsl-dev libgflags-dev libgoogle-glog-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libedit-dev
  python3-pytest python3-scapy python3-grpcio python3-protobuf
  tshark tcpdump iproute2 iputils-ping tmux
  # The vhost-user VM test: QEMU (TCG), a guest kernel with virtio_net
  # modules, busybox for its initramfs; systemd-analyze for the unit test.
  qemu-system-x86 linux-image-cloud-amd64 busybox-static systemd
  # bench/e2e: its chart; callgrind for the micro-benchmark profiles.
  python3-matplotlib valgrind
  # test_access.py: certificates for the TLS listener.
  openssl
  # Rebuilds (CI's clean clones, the demo after a pull) reuse objects.
  ccache
  # test_quickstart.py runs README's commands with sudo as well.
  sudo
  # test_capture_corpus.py: real-world captures shipped as test or example
  # data (small, no dependencies beyond libpcap): gopacket's pcapng test
  # suite and pcaps, pcapfix's damaged captures, dpkt's HTTP/DNS ones.
  golang-github-google-gopacket-dev pcapfix python3-dpkt
  # The fleet (doc/fleet.md): etcd for its tests and demo, and etcd's v3
  # API .proto files, compiled by the build (lib/etcd/gen_protos.py).
  etcd-server etcd-client golang-etcd-server-dev
)
# Optional, not needed by CI: clang and its libFuzzer runtime for
# scripts/fuzz.sh (doc/fuzzing.md).
if [ "${1:-}" = "--fuzz" ]; then
  PACKAGES+=(clang libclang-rt-14-dev)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages (${missing[*]}); run as root" >&2
  exit 1
fi
echo "install-deps: installing ${#missing[@]} packages and what they need: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; the answer does not matter here.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
echo "install-deps: apt-get update"
apt-get update -qq
# Progress from apt's status lines (type:package:percent:text), every 10 %;
# apt's own output goes to a log that is shown when it fails.
log=$(mktemp /tmp/install-deps.XXXXXX)
set +e
apt-get install -y -qq --no-install-recommends -o APT::Status-Fd=3 "${missing[@]}" \
  3>&1 >"$log" 2>&1 | awk -F: '
    $1 == "dlstatus" || $1 == "pmstatus" {
      phase = $1 == "dlstatus" ? "downloading" : "installing"
      p = int($3)
      if (phase != last_phase || p >= last + 10) {
        last_phase = phase; last = p
        printf "install-deps: %s %d%%\n", phase, p; fflush()
      }
    }'
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" -ne 0 ]; then
  cat "$log" >&2
  rm -f "$log"
  echo "install-deps: apt-get install failed ($rc)" >&2
  exit "$rc"
fi
rm -f "$log"
echo "install-deps: done"
