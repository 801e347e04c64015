#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The fleet demo (doc/fleet.md): installs what is missing, builds, starts a
# 3-member etcd cluster on loopback and three "hypervisors" A, B, C (each a
# network namespace with its own vswitchd, uplinks 192.0.2.11-13 on one
# underlay bridge) with a vswitch-agent each. The desired state is written
# once with vswitch-fleet: tenant acme, VNet blue (VNI 100), vm1 on A, vm2
# on B, vm3 on C, a collector VM colvm on C inside blue, a TAP of vm1. The
# agents program their hosts; vm1 pings vm2 and vm3 across the overlay and
# colvm receives the copies. Then vm2 moves from B to C with one command,
# and the ping resumes. Everything it creates is removed on exit, Ctrl-C
# included. Needs root: as another user it runs itself again with sudo.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/as-root.sh "$0" "$@"
ROOT=$PWD
START=$SECONDS
BUILD=${VSWITCH_BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
export VSWITCH_BUILD="$BUILD"

echo "== installing what is missing (a fresh box: a few minutes)"
scripts/install-deps.sh
echo "== building ($BUILD)"
scripts/build.sh
echo "== ready after $((SECONDS - START)) s"

VSWITCHD="$BUILD/apps/vswitchd/vswitchd"
VSCTL_BIN="$BUILD/apps/vsctl/vsctl"
AGENT="$BUILD/apps/vswitch-agent/vswitch-agent"
FLEET_BIN="$BUILD/apps/vswitch-fleet/vswitch-fleet"
TAG="vsf$$"
WORK=$(mktemp -d /tmp/vswitch-fleet-demo.XXXXXX)
UND="$TAG-und"
HOSTS=(A B C)
declare -A UPLINK_IP=([A]=192.0.2.11 [B]=192.0.2.12 [C]=192.0.2.13)
declare -A PID
ETCD_PIDS=()
NS=("$UND")

cleanup() {
  trap - EXIT INT TERM
  echo "== cleaning up"
  for pid in "${PID[@]}" "${ETCD_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PID[@]}" "${ETCD_PIDS[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  [ -n "${TCPDUMP_PID:-}" ] && kill -INT "$TCPDUMP_PID" 2>/dev/null || true
  for ns in "${NS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  for h in "${HOSTS[@]}"; do rm -rf "/var/run/dpdk/$TAG-$h"; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Three etcd members on loopback ports picked free now (the system's etcd,
# if any, keeps 2379/2380).
read -r -a PORTS < <(/usr/bin/python3 -c '
import socket
s = [socket.socket() for _ in range(6)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')
CLUSTER="m0=http://127.0.0.1:${PORTS[3]},m1=http://127.0.0.1:${PORTS[4]},m2=http://127.0.0.1:${PORTS[5]}"
ETCD_EPS="127.0.0.1:${PORTS[0]},127.0.0.1:${PORTS[1]},127.0.0.1:${PORTS[2]}"
echo "== etcd: 3 members on $ETCD_EPS (data in $WORK)"
for i in 0 1 2; do
  etcd --name "m$i" --data-dir "$WORK/m$i.etcd" \
    --listen-client-urls "http://127.0.0.1:${PORTS[$i]}" \
    --advertise-client-urls "http://127.0.0.1:${PORTS[$i]}" \
    --listen-peer-urls "http://127.0.0.1:${PORTS[$((i + 3))]}" \
    --initial-advertise-peer-urls "http://127.0.0.1:${PORTS[$((i + 3))]}" \
    --initial-cluster "$CLUSTER" --initial-cluster-token "$TAG" \
    --logger zap --log-level warn >"$WORK/etcd-m$i.log" 2>&1 &
  ETCD_PIDS+=($!)
done
for _ in $(seq 100); do
  ETCDCTL_API=3 etcdctl --endpoints="$ETCD_EPS" endpoint health >/dev/null 2>&1 && break
  sleep 0.2
done
ETCDCTL_API=3 etcdctl --endpoints="$ETCD_EPS" endpoint health

# fleet ARGS...: the desired state, written once for the whole fleet.
fleet() {
  echo "\$ vswitch-fleet $*"
  "$FLEET_BIN" --etcd="$ETCD_EPS" "$@"
}
vsctl() {
  local h=$1; shift
  echo "[host $h] \$ vsctl $*"
  "$VSCTL_BIN" --socket "$WORK/$h.sock" "$@"
}

echo "== the underlay: namespace $UND with the bridge br0"
ip netns add "$UND"
ip netns exec "$UND" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
ip -n "$UND" link add br0 type bridge stp_state 0 forward_delay 0
ip -n "$UND" link set br0 up

for h in "${HOSTS[@]}"; do
  ns="$TAG-h$h"
  NS+=("$ns")
  ip netns add "$ns"
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  ip -n "$ns" link set lo up
  ip -n "$ns" link add eth0 type veth peer name "${TAG}u$h" netns "$UND"
  ip -n "$ns" link set eth0 up
  ip -n "$UND" link set "${TAG}u$h" master br0
  ip -n "$UND" link set "${TAG}u$h" up
  echo "== host $h: vswitchd in namespace $ns, uplink ${UPLINK_IP[$h]}"
  ip netns exec "$ns" "$VSWITCHD" --socket="$WORK/$h.sock" --file_prefix="$TAG-$h" \
    --idle_sleep_us=200 --mbufs=8192 --mem_mb=256 --config= >"$WORK/$h.log" 2>&1 &
  PID[$h]=$!
  for _ in $(seq 300); do
    "$VSCTL_BIN" --socket "$WORK/$h.sock" show health >/dev/null 2>&1 && break
    kill -0 "${PID[$h]}" 2>/dev/null || { cat "$WORK/$h.log"; exit 1; }
    sleep 0.1
  done
  # The uplink and its neighbors stay the host's own; the agent owns the rest.
  vsctl "$h" add uplink up0 driver af_packet:iface=eth0 ip "${UPLINK_IP[$h]}/24"
  echo "== host $h: vswitch-agent --host=$h (log: $WORK/agent-$h.log)"
  "$AGENT" --etcd="$ETCD_EPS" --host="$h" --socket="$WORK/$h.sock" --lease_ttl=5 \
    --status_interval=1 >"$WORK/agent-$h.log" 2>&1 &
  PID[agent$h]=$!
done

echo "== the desired state, once for the fleet"
fleet add tenant acme
fleet add vnet blue tenant acme vni 100 prefix 10.0.0.0/24
fleet add vm vm1 vnet blue host A mac 02:00:00:00:01:01 ip 10.0.0.1 driver tap:iface=${TAG}vm1
fleet add vm vm2 vnet blue host B mac 02:00:00:00:01:02 ip 10.0.0.2 driver tap:iface=${TAG}vm2
fleet add vm vm3 vnet blue host C mac 02:00:00:00:01:03 ip 10.0.0.3 driver tap:iface=${TAG}vm3
fleet add vm colvm vnet blue host C mac 02:00:00:00:01:09 ip 10.0.0.9 driver tap:iface=${TAG}col
fleet add destination ids vnet blue vni 5000 collector 10.0.0.9 in-vnet
fleet add tap-session tap-vm1 source vm1 destination ids direction both

# plug VM HOST IP MAC IFACE: the VM's namespace takes the TAP interface the
# agent had HOST's vswitchd create (MTU 1450: 1500 less 50 bytes of VXLAN).
plug() {
  local vm=$1 h=$2 ip=$3 mac=$4 iface=$5 ns="$TAG-$1"
  if ! ip netns list | grep -qw "$ns"; then
    ip netns add "$ns"; NS+=("$ns")
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip -n "$ns" link set lo up
  fi
  for _ in $(seq 200); do ip -n "$TAG-h$h" link show "$iface" >/dev/null 2>&1 && break; sleep 0.05; done
  ip -n "$TAG-h$h" link set "$iface" netns "$ns"
  ip -n "$ns" link set "$iface" address "$mac" mtu 1450
  ip -n "$ns" addr add "$ip/24" dev "$iface"
  ip -n "$ns" link set "$iface" up
}
plug vm1 A 10.0.0.1 02:00:00:00:01:01 "${TAG}vm1"
plug vm2 B 10.0.0.2 02:00:00:00:01:02 "${TAG}vm2"
plug vm3 C 10.0.0.3 02:00:00:00:01:03 "${TAG}vm3"
plug colvm C 10.0.0.9 02:00:00:00:01:09 "${TAG}col"
COLVM="$TAG-colvm"
ip netns exec "$COLVM" sysctl -qw net.ipv4.conf.all.rp_filter=0
ip netns exec "$COLVM" sysctl -qw "net.ipv4.conf.${TAG}col.rp_filter=0"
ip -n "$COLVM" link add vx0 type vxlan id 5000 dstport 4789 local 10.0.0.9 \
  dev "${TAG}col" nolearning
ip -n "$COLVM" link set vx0 up

# converged: every host has applied the newest desired state.
converged() {
  for _ in $(seq 150); do
    "$FLEET_BIN" --etcd="$ETCD_EPS" --json show hosts | /usr/bin/python3 -c '
import json, sys
h = json.load(sys.stdin).get("hosts", [])
sys.exit(0 if len(h) == 3 and all(x.get("state") == "converged" and int(x.get("behind", 0)) == 0
                                  for x in h) else 1)' && return 0
    sleep 0.2
  done
  echo "!! the fleet did not converge"; return 1
}
converged
fleet show hosts
fleet show vms
for h in "${HOSTS[@]}"; do vsctl "$h" show remote-ports; done
vsctl A show health

ip netns exec "$COLVM" timeout 60 tcpdump -i vx0 -nn -l -U -c 8 -w "$WORK/colvm.pcap" \
  icmp 2>"$WORK/tcpdump.log" &
TCPDUMP_PID=$!
for _ in $(seq 50); do grep -q listening "$WORK/tcpdump.log" 2>/dev/null && break; sleep 0.1; done
echo
echo "== vm1 (host A) pings vm2 (host B) and vm3 (host C) across the overlay"
ip netns exec "$TAG-vm1" ping -c 2 -i 0.3 -W 1 10.0.0.2
ip netns exec "$TAG-vm1" ping -c 2 -i 0.3 -W 1 10.0.0.3
sleep 0.5
kill -INT "$TCPDUMP_PID" 2>/dev/null || true
wait "$TCPDUMP_PID" 2>/dev/null || true
TCPDUMP_PID=""
echo
echo "== what the collector VM colvm (host C) received: copies of vm1's pings"
tshark -n -r "$WORK/colvm.pcap" 2>/dev/null
COPIES=$(tshark -n -r "$WORK/colvm.pcap" -Y icmp 2>/dev/null | wc -l)
echo "-> the collector VM got $COPIES copies of vm1's echo requests and replies"

echo
echo "== vm2 moves from host B to host C: one write; every host follows"
T0=$SECONDS
fleet move vm vm2 host C driver tap:iface=${TAG}vm2b
plug vm2 C 10.0.0.2 02:00:00:00:01:02 "${TAG}vm2b"
converged
for _ in $(seq 50); do
  ip netns exec "$TAG-vm1" ping -c 1 -W 1 10.0.0.2 >/dev/null 2>&1 && break
done
echo "-> vm1 reaches vm2 on host C again ($((SECONDS - T0)) s after the move command)"
ip netns exec "$TAG-vm1" ping -c 2 -i 0.3 -W 1 10.0.0.2
fleet show vms
fleet show hosts
vsctl A show remote-ports
echo
echo "== fleet demo done in $((SECONDS - START)) s"
