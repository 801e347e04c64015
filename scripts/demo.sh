#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The vswitch demo: installs what is missing, builds, and starts two
# "hypervisors": host A and host B, each a network namespace with its own
# vswitchd whose uplink (192.0.2.10, 192.0.2.11) is on one underlay bridge.
# Host A has three "VMs" (network namespaces on TAP vports): vm1 and vm2 in
# VNet blue, vm3 in VNet red with an address in the same subnet; host B has
# vm4 in blue. Each host is told where the other's blue VMs are (remote
# ports). Two packet collectors, each with a Linux kernel VXLAN device: one
# on the underlay (a namespace there), one inside VNet blue (colvm, a VM on
# host B, reached through the overlay). vm1 is tapped to both; vm1 pings vm2
# (works, same host), vm3 (does not: the VNets are isolated) and vm4 on
# host B (works, across the VXLAN overlay); the underlay shows the
# encapsulated frames, the collectors the decapsulated mirrored ones; then
# the counters. Every capture is bounded by a timeout. Everything it creates
# is removed on exit, Ctrl-C included.
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
UND="$TAG-und"
NS=("$TAG-vm1" "$TAG-vm2" "$TAG-vm3" "$TAG-vm4" "$TAG-colvm" "$TAG-col" "$TAG-hA" "$TAG-hB" "$UND")
declare -A PID
declare -A UPLINK_IP=([A]=192.0.2.10 [B]=192.0.2.11)

cleanup() {
  trap - EXIT INT TERM
  echo "== cleaning up"
  for h in "${!PID[@]}"; do
    local pid=${PID[$h]}
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  for pid in ${TCPDUMP_PID:-} ${TCPDUMP_U_PID:-} ${TCPDUMP_V_PID:-}; do kill -INT "$pid" 2>/dev/null || true; done
  for ns in "${NS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$WORK" "/var/run/dpdk/$TAG-A" "/var/run/dpdk/$TAG-B"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# vsctl HOST ARGS...: the shell of host A's or host B's vswitchd.
vsctl() {
  local h=$1; shift
  echo "[host $h] \$ vsctl $*"
  "$VSCTL_BIN" --socket "$WORK/$h.sock" "$@"
}

echo "== the underlay: namespace $UND with the bridge br0"
ip netns add "$UND"
ip netns exec "$UND" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
ip netns exec "$UND" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
ip -n "$UND" link add br0 type bridge stp_state 0 forward_delay 0
ip -n "$UND" link set br0 up

# host H: a namespace whose veth eth0 is on the underlay bridge, and its
# own vswitchd there (own socket and EAL prefix), uplink af_packet on eth0.
host() {
  local h=$1 ns="$TAG-h$1"
  ip netns add "$ns"
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
  ip -n "$ns" link set lo up
  ip -n "$ns" link add eth0 type veth peer name "${TAG}u$h" netns "$UND"
  ip -n "$ns" link set eth0 up
  ip -n "$UND" link set "${TAG}u$h" master br0
  ip -n "$UND" link set "${TAG}u$h" up
  echo "== starting host $h's vswitchd in namespace $ns (log: $WORK/$h.log)"
  ip netns exec "$ns" "$VSWITCHD" --socket="$WORK/$h.sock" --file_prefix="$TAG-$h" \
    --idle_sleep_us=200 --mbufs=8192 --mem_mb=256 --config="$WORK/$h.textproto" \
    >"$WORK/$h.log" 2>&1 &
  PID[$h]=$!
  for _ in $(seq 300); do
    "$VSCTL_BIN" --socket "$WORK/$h.sock" show health >/dev/null 2>&1 && break
    kill -0 "${PID[$h]}" 2>/dev/null || { cat "$WORK/$h.log"; exit 1; }
    sleep 0.1
  done
  vsctl "$h" add uplink up0 driver af_packet:iface=eth0 ip "${UPLINK_IP[$h]}/24" mtu 1500
}
host A
host B

echo "== configuring"
for h in A B; do vsctl "$h" add vnet blue tenant acme vni 100 prefix 10.0.0.0/24; done
vsctl A add vnet red tenant acme vni 200 prefix 10.0.0.0/24

# vm HOST NAME VNET IP MAC: a namespace behind a TAP vport of HOST (the
# vport only sends from MAC and IP). MTU 1450: the uplink's 1500 less the
# 50 bytes of VXLAN.
vm() {
  local h=$1 name=$2 vnet=$3 ip=$4 mac=$5 ns="$TAG-$2" iface="${TAG}${2}"
  ip netns add "$ns"
  vsctl "$h" add vport "$name" vnet "$vnet" driver "tap:iface=$iface" mac "$mac" ip "$ip"
  for _ in $(seq 100); do ip -n "$TAG-h$h" link show "$iface" >/dev/null 2>&1 && break; sleep 0.05; done
  ip -n "$TAG-h$h" link set "$iface" netns "$ns"
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  ip -n "$ns" link set lo up
  ip -n "$ns" link set "$iface" address "$mac" mtu 1450
  ip -n "$ns" addr add "$ip/24" dev "$iface"
  ip -n "$ns" link set "$iface" up
}
vm A vm1 blue 10.0.0.1 02:00:00:00:01:01
vm A vm2 blue 10.0.0.2 02:00:00:00:01:02
vm A vm3 red  10.0.0.3 02:00:00:00:02:03
vm B vm4 blue 10.0.0.4 02:00:00:00:01:04
# colvm: the collector VM of blue on host B. Its kernel VXLAN device vx0
# decapsulates the copies (VNI 5000) sent to its VNet address; they come
# from host A's uplink address, so reverse path filtering is off.
vm B colvm blue 10.0.0.9 02:00:00:00:01:09
COLVM="$TAG-colvm"
ip netns exec "$COLVM" sysctl -qw net.ipv4.conf.all.rp_filter=0
ip netns exec "$COLVM" sysctl -qw "net.ipv4.conf.${TAG}colvm.rp_filter=0"
ip -n "$COLVM" link add vx0 type vxlan id 5000 dstport 4789 local 10.0.0.9 \
  dev "${TAG}colvm" nolearning
ip -n "$COLVM" link set vx0 up

echo "== the overlay: each host learns where the other's blue VMs are (remote ports)"
vsctl A add remote-port blue 02:00:00:00:01:04 vtep 192.0.2.11 ip 10.0.0.4
vsctl A add remote-port blue 02:00:00:00:01:09 vtep 192.0.2.11 ip 10.0.0.9
vsctl B add remote-port blue 02:00:00:00:01:01 vtep 192.0.2.10 ip 10.0.0.1
vsctl B add remote-port blue 02:00:00:00:01:02 vtep 192.0.2.10 ip 10.0.0.2

echo "== the collector: namespace $TAG-col (192.0.2.2) on the underlay, with a kernel VXLAN device"
COL="$TAG-col"
ip netns add "$COL"
ip netns exec "$COL" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
ip -n "$UND" link add "${TAG}uc" type veth peer name eth0 netns "$COL"
ip -n "$UND" link set "${TAG}uc" master br0
ip -n "$UND" link set "${TAG}uc" up
ip -n "$COL" addr add 192.0.2.2/24 dev eth0
ip -n "$COL" link set eth0 up
ip -n "$COL" link add vx0 type vxlan id 5000 dstport 4789 local 192.0.2.2 dev eth0 nolearning
ip -n "$COL" link set vx0 up
vsctl A add destination collector vnet blue vni 5000 collector 192.0.2.2
vsctl A add tap-session tap-vm1 source vm1 destination collector direction both
echo "== the collector VM: colvm (10.0.0.9, VNet blue, host B), a destination in the VNet"
vsctl A add destination colvm vnet blue vni 5000 collector 10.0.0.9 in-vnet
vsctl A add tap-session tap-vm1-vnet source vm1 destination colvm direction both
vsctl A show vnets
vsctl A show vports
vsctl A show tap-sessions
vsctl A show remote-ports
# Both hosts resolve each other's uplink (the VTEP's next hop) by ARP.
for _ in $(seq 100); do
  "$VSCTL_BIN" --socket "$WORK/A.sock" show vteps | grep -q RESOLVED && break; sleep 0.1
done
# Every capture ends by itself at the latest after 60 s (timeout passes
# the INT that stops it early on to tcpdump).
ip netns exec "$COL" timeout 60 tcpdump -i vx0 -nn -e -l -U -w "$WORK/collector.pcap" \
  2>"$WORK/tcpdump.log" &
TCPDUMP_PID=$!
# The underlay capture leaves out the collector VM's copies (VXLAN inside
# the overlay's VXLAN, inner destination 10.0.0.9): they are shown below.
ip netns exec "$UND" timeout 60 tcpdump -i "${TAG}uA" -nn -l -U -w "$WORK/underlay.pcap" \
  "udp port 4789 and not host 192.0.2.2 and not udp[46:4] = 0x0a000009" \
  2>"$WORK/tcpdump-u.log" &
TCPDUMP_U_PID=$!
# The collector VM: the copies of vm1's pings of vm4, 3 requests and 3
# replies (-c 6).
ip netns exec "$COLVM" timeout 60 tcpdump -i vx0 -nn -l -U -c 6 -w "$WORK/colvm.pcap" \
  icmp and host 10.0.0.4 2>"$WORK/tcpdump-v.log" &
TCPDUMP_V_PID=$!
for _ in $(seq 50); do
  grep -q listening "$WORK/tcpdump.log" 2>/dev/null && grep -q listening "$WORK/tcpdump-u.log" \
    2>/dev/null && grep -q listening "$WORK/tcpdump-v.log" 2>/dev/null && break
  sleep 0.1
done

echo
echo "== vm1 (blue, host A) pings vm2 (blue, host A): expected to work"
ip netns exec "$TAG-vm1" ping -c 3 -i 0.3 -W 1 10.0.0.2
echo
echo "== vm1 (blue) pings 10.0.0.3, vm3's address in red: expected to fail"
if ip netns exec "$TAG-vm1" ping -c 2 -i 0.3 -W 1 10.0.0.3; then
  echo "!! isolation broken: vm1 reached VNet red"; exit 1
else
  echo "-> no reply: VNet red is isolated from blue"
fi
echo
echo "== vm1 (blue, host A) pings vm4 (blue, host B) across the overlay: expected to work"
ip netns exec "$TAG-vm1" ping -c 3 -i 0.3 -W 1 10.0.0.4
sleep 0.5
kill -INT "$TCPDUMP_PID" "$TCPDUMP_U_PID" "$TCPDUMP_V_PID" 2>/dev/null || true
wait "$TCPDUMP_PID" "$TCPDUMP_U_PID" "$TCPDUMP_V_PID" 2>/dev/null || true
TCPDUMP_PID="" TCPDUMP_U_PID="" TCPDUMP_V_PID=""
echo
echo "== what crossed the underlay between the hosts (VXLAN, VNI 100)"
tcpdump -nn -r "$WORK/underlay.pcap" 2>/dev/null
echo
echo "== what the collector received on vx0 (decapsulated copies of vm1's frames)"
tcpdump -nn -e -r "$WORK/collector.pcap" 2>/dev/null
echo
echo "== what the collector VM colvm (VNet blue, host B) received on vx0: copies of"
echo "   vm1's pings of vm4, requests and replies, sent by host A through the overlay"
tshark -n -r "$WORK/colvm.pcap" 2>/dev/null
REQ=$(tshark -n -r "$WORK/colvm.pcap" -Y "icmp.type == 8" 2>/dev/null | wc -l)
REP=$(tshark -n -r "$WORK/colvm.pcap" -Y "icmp.type == 0" 2>/dev/null | wc -l)
echo "-> the collector VM got copies of $REQ echo requests and $REP echo replies of vm1 and vm4"
echo
vsctl A show neighbors
vsctl A show vteps
vsctl B show vteps
vsctl A show fdb
vsctl A show ports
vsctl A show tap-stats
vsctl A show drops
echo
echo "== demo done in $((SECONDS - START)) s"
