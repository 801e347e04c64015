#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The vswitch demo: installs what is missing, builds, starts vswitchd and
# builds three "VMs" (network namespaces on TAP vports): vm1 and vm2 in VNet
# blue, vm3 in VNet red with an address in the same subnet, and a packet
# collector: a namespace behind the uplink with a Linux kernel VXLAN device.
# vm1 is tapped; vm1 pings vm2 (works) and vm3 (does not: the VNets are
# isolated); the collector shows the decapsulated mirrored frames; then the
# counters. Everything it creates is removed on exit, Ctrl-C included.
# Needs root: as root it runs as it is; as another user it runs itself
# again with sudo.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/as-root.sh "$0" "$@"
ROOT=$PWD
START=$SECONDS
# VSWITCH_BUILD may be relative to the repository or absolute.
BUILD=${VSWITCH_BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
export VSWITCH_BUILD="$BUILD"

echo "== installing what is missing (a fresh box: a few minutes)"
scripts/install-deps.sh
echo "== building ($BUILD; a fresh clone: a few minutes, progress below)"
scripts/build.sh
echo "== ready after $((SECONDS - START)) s"

VSWITCHD="$BUILD/apps/vswitchd/vswitchd"
VSCTL_BIN="$BUILD/apps/vsctl/vsctl"
TAG="vsd$$"
WORK=$(mktemp -d /tmp/vswitch-demo.XXXXXX)
SOCK="$WORK/vswitchd.sock"
NS=("$TAG-vm1" "$TAG-vm2" "$TAG-vm3" "$TAG-col")
DAEMON_PID=""

cleanup() {
  trap - EXIT INT TERM
  echo "== cleaning up"
  if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
    kill -TERM "$DAEMON_PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$DAEMON_PID" 2>/dev/null || true
  fi
  for ns in "${NS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$WORK" "/var/run/dpdk/$TAG"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

vsctl() {
  echo "\$ vsctl $*"
  "$VSCTL_BIN" --socket "$SOCK" "$@"
}

echo "== starting vswitchd (log: $WORK/vswitchd.log)"
"$VSWITCHD" --socket="$SOCK" --file_prefix="$TAG" --idle_sleep_us=200 --mbufs=8192 \
  --config="$WORK/config.textproto" >"$WORK/vswitchd.log" 2>&1 &
DAEMON_PID=$!
for _ in $(seq 300); do
  "$VSCTL_BIN" --socket "$SOCK" show health >/dev/null 2>&1 && break
  kill -0 "$DAEMON_PID" 2>/dev/null || { cat "$WORK/vswitchd.log"; exit 1; }
  sleep 0.1
done

echo "== configuring"
vsctl add vnet blue tenant acme vni 100 prefix 10.0.0.0/24
vsctl add vnet red tenant acme vni 200 prefix 10.0.0.0/24

# vm NAME VNET IP MAC: a namespace behind a TAP vport.
vm() {
  local name=$1 vnet=$2 ip=$3 mac=$4 ns="$TAG-$1" iface="${TAG}${1}"
  ip netns add "$ns"
  vsctl add vport "$name" vnet "$vnet" driver "tap:iface=$iface"
  for _ in $(seq 100); do [ -e "/sys/class/net/$iface" ] && break; sleep 0.05; done
  ip link set "$iface" netns "$ns"
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  ip -n "$ns" link set lo up
  ip -n "$ns" link set "$iface" address "$mac"
  ip -n "$ns" addr add "$ip/24" dev "$iface"
  ip -n "$ns" link set "$iface" up
}
vm vm1 blue 10.0.0.1 02:00:00:00:01:01
vm vm2 blue 10.0.0.2 02:00:00:00:01:02
vm vm3 red  10.0.0.3 02:00:00:00:02:03

echo "== the collector: uplink 192.0.2.10 -> namespace $TAG-col (192.0.2.2) with a kernel VXLAN device"
COL="$TAG-col"
ip netns add "$COL"
vsctl add uplink up0 driver "tap:iface=${TAG}up" ip 192.0.2.10/24 mtu 1500
for _ in $(seq 100); do [ -e "/sys/class/net/${TAG}up" ] && break; sleep 0.05; done
ip link set "${TAG}up" netns "$COL"
ip netns exec "$COL" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
ip -n "$COL" addr add 192.0.2.2/24 dev "${TAG}up"
ip -n "$COL" link set "${TAG}up" up
ip -n "$COL" link add vx0 type vxlan id 5000 dstport 4789 local 192.0.2.2 dev "${TAG}up" nolearning
ip -n "$COL" link set vx0 up
vsctl add destination collector vnet blue vni 5000 collector 192.0.2.2
vsctl add tap-session tap-vm1 source vm1 destination collector direction both
vsctl show vnets
vsctl show vports
vsctl show tap-sessions
ip netns exec "$COL" tcpdump -i vx0 -nn -e -l -U -w "$WORK/collector.pcap" 2>"$WORK/tcpdump.log" &
TCPDUMP_PID=$!
for _ in $(seq 50); do grep -q listening "$WORK/tcpdump.log" 2>/dev/null && break; sleep 0.1; done

echo
echo "== vm1 (blue) pings vm2 (blue): expected to work"
ip netns exec "$TAG-vm1" ping -c 3 -i 0.3 -W 1 10.0.0.2
echo
echo "== vm1 (blue) pings 10.0.0.3, vm3's address in red: expected to fail"
if ip netns exec "$TAG-vm1" ping -c 2 -i 0.3 -W 1 10.0.0.3; then
  echo "!! isolation broken: vm1 reached VNet red"; exit 1
else
  echo "-> no reply: VNet red is isolated from blue"
fi
sleep 0.5
kill -INT "$TCPDUMP_PID" 2>/dev/null || true
wait "$TCPDUMP_PID" 2>/dev/null || true
echo
echo "== what the collector received on vx0 (decapsulated copies of vm1's frames)"
tcpdump -nn -e -r "$WORK/collector.pcap" 2>/dev/null
echo
vsctl show neighbors
vsctl show fdb
vsctl show ports
vsctl show tap-stats
vsctl show drops
echo
echo "== demo done in $((SECONDS - START)) s"
