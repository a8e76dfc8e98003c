#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Load on a NAT network: 100 TAPs attached by qemu-ifup-nat and detached by
# qemu-ifdown-nat, 20 at a time, in two rounds. Every call must succeed;
# while they are attached there is one bridge, one table and one dnsmasq;
# after the last detach nothing is left: no bridge, table, dnsmasq, file,
# process, and ip_forward as it was.
. "$(dirname "$0")/../lib.sh"
t_netns "$@"
command -v nft >/dev/null || t_skip_all "nft missing (tools/deps.sh test installs nftables)"

UP=$QNET_BUILD/helpers/qemu-ifup-nat
DOWN=$QNET_BUILD/helpers/qemu-ifdown-nat
N=100
has_table() { nft list table inet qnet-default >/dev/null 2>&1; }
echo 0 >/proc/sys/net/ipv4/ip_forward
for i in $(seq 1 $N); do echo "tuntap add dev nl$i mode tap"; done >"$T_TMP/batch"
ip -batch "$T_TMP/batch"

for round in 1 2; do
	seq 1 $N | timeout 240 xargs -P 20 -I{} "$UP" nl{} 2>"$T_TMP/up.err"
	rc=$?
	t_eq "round $round: $N parallel qemu-ifup-nat all succeed" "0:" "$rc:$(cat "$T_TMP/up.err")"
	t_eq "round $round: qnetbr0 has $N ports, all up" $N \
		"$(ip -j link show master qnetbr0 | jq '[.[] | select(.flags | index("UP"))] | length')"
	t_eq "round $round: one table" 1 "$(nft -j list tables | jq '[.nftables[] | select(.table.name == "qnet-default")] | length')"
	t_eq "round $round: one dnsmasq" 1 "$(t_ns_daemons 'dnsmasq .*--interface=qnetbr0( |$)' | wc -l)"
	seq 1 $N | timeout 240 xargs -P 20 -I{} "$DOWN" nl{} 2>"$T_TMP/down.err"
	rc=$?
	t_eq "round $round: $N parallel qemu-ifdown-nat all succeed" "0:" "$rc:$(cat "$T_TMP/down.err")"
	t_check_fail "round $round: no bridge left" link_exists qnetbr0
	t_check_fail "round $round: no table left" has_table
	t_eq "round $round: no dnsmasq left" "" "$(t_ns_pids 'dnsmasq .*--interface=qnetbr0( |$)')"
	t_eq "round $round: no state, lock or pid file left" "" "$(ls -A "$QNET_RUNDIR")"
	t_eq "round $round: ip_forward back to 0" 0 "$(cat /proc/sys/net/ipv4/ip_forward)"
	t_eq "round $round: every TAP detached and down" 0 \
		"$(ip -j link show type tun | jq '[.[] | select(.master or (.flags | index("UP")))] | length')"
done
t_eq "no qemu-ifup-nat/ifdown-nat process left" "" "$(t_ns_pids 'helpers/qemu-if(up|down)-nat ')"
t_done
