#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Load and faults for bridge mode: 100 TAPs attached and detached in
# parallel rounds; TAPs and bridges deleted while qemu-ifup works on them.
# Every call must succeed (or fail with one clear line when its interface
# vanished) and nothing may be left behind.
. "$(dirname "$0")/../lib.sh"
t_netns "$@"

IFUP=$QNET_BUILD/helpers/qemu-ifup
IFDOWN=$QNET_BUILD/helpers/qemu-ifdown
N=100
ROUNDS=3

ip link add br0 type bridge
ip link set br0 mtu 1450 up
for i in $(seq 1 $N); do echo "tuntap add dev lt$i mode tap"; done > "$T_TMP/batch"
ip -batch "$T_TMP/batch"

for round in $(seq 1 $ROUNDS); do
	seq 1 $N | timeout 120 xargs -P 16 -I{} "$IFUP" lt{} br0 2> "$T_TMP/up.err"
	rc=$?
	t_eq "round $round: $N parallel qemu-ifup all succeed" "0:" "$rc:$(cat "$T_TMP/up.err")"
	t_eq "round $round: br0 has $N ports" $N "$(ip -j link show master br0 | jq length)"
	t_eq "round $round: every port has br0's MTU and is up" $N \
		"$(ip -j link show master br0 | jq '[.[] | select(.mtu == 1450 and (.flags | index("UP")))] | length')"
	seq 1 $N | timeout 120 xargs -P 16 -I{} "$IFDOWN" lt{} 2> "$T_TMP/down.err"
	rc=$?
	t_eq "round $round: $N parallel qemu-ifdown all succeed" "0:" "$rc:$(cat "$T_TMP/down.err")"
	t_eq "round $round: br0 has no ports" 0 "$(ip -j link show master br0 | jq length)"
done
t_eq "no qemu-ifup/ifdown process left" "" "$(t_ns_pids "helpers/qemu-if(up|down) ")"

# A TAP deleted while qemu-ifup attaches it: success or one clear line, never
# a crash, and nothing left on the bridge.
bad=0
for i in $(seq 1 50); do
	ip tuntap add dev race0 mode tap
	"$IFUP" race0 br0 > "$T_TMP/race.out" 2>&1 &
	pid=$!
	ip link del race0
	wait $pid
	rc=$?
	out=$(cat "$T_TMP/race.out")
	if [ $rc = 0 ] && [ -z "$out" ]; then :
	elif [ $rc = 1 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] &&
		printf '%s' "$out" | grep -Eq '^qemu-ifup: race0: (interface does not exist|cannot attach to bridge br0: No such device)'; then :
	else bad=$((bad + 1)); t_diag "round $i: rc=$rc: $out"; fi
	link_exists race0 && ip link del race0
done
t_eq "50 rounds of a TAP vanishing mid-attach: success or one clear error" 0 $bad
t_eq "bridge has no ports after the races" 0 "$(ip -j link show master br0 | jq length)"

# The bridge deleted while qemu-ifup attaches to it: the TAP must not be left
# up and half-attached to something else.
bad=0
ip tuntap add dev race1 mode tap
for i in $(seq 1 30); do
	ip link add brx type bridge
	"$IFUP" race1 brx > "$T_TMP/race.out" 2>&1 &
	pid=$!
	ip link del brx
	wait $pid
	rc=$?
	if [ $rc != 0 ] && [ $rc != 1 ]; then bad=$((bad + 1)); t_diag "round $i: rc=$rc $(cat "$T_TMP/race.out")"; fi
	[ -n "$(link_master race1)" ] && { bad=$((bad + 1)); t_diag "round $i: race1 still has a master"; }
	ip link set race1 down
done
t_eq "30 rounds of a bridge vanishing mid-attach: no crash, no stale master" 0 $bad
t_done
