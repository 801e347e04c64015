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
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; the answer does not matter here.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
