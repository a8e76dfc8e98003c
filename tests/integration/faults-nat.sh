#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Faults in NAT bring-up and teardown: qemu-ifup-nat and qemu-ifdown-nat
# killed with SIGKILL at every step they name (QNET_TEST_KILL_AT, lib/fault.c)
# and the next qemu-ifup-nat, qemu-ifdown-nat or `qnet gc` repairing; a full
# disk under the run and state directories. After each round the kernel's
# state is read back: bridge, addresses, master, our nft table, dnsmasq
# processes, files, ip_forward.
. "$(dirname "$0")/../lib.sh"
t_netns "$@"
command -v nft >/dev/null || t_skip_all "nft missing (tools/deps.sh test installs nftables)"

UP=$QNET_BUILD/helpers/qemu-ifup-nat
DOWN=$QNET_BUILD/helpers/qemu-ifdown-nat
QNET=$QNET_BUILD/helpers/qnet
BR=qnetbr0 NET=default
tap() { ip tuntap add dev "$1" mode tap; }
has_table() { nft list table inet "qnet-$NET" >/dev/null 2>&1; }
dnsmasq_count() { t_ns_daemons "dnsmasq .*--interface=$BR( |$)" | wc -l; }
files() { ls -A "$QNET_RUNDIR" | grep -v '^fill$' | tr '\n' ' ' | sed 's/ $//'; }
gateway() { ip -j addr show dev "$BR" 2>/dev/null | jq -r '.[0].addr_info[]? | select(.family=="inet") | "\(.local)/\(.prefixlen)"'; }

# What is left of the network, as one line ("" when nothing).
leftovers() {
	local bad=""
	link_exists "$BR" && bad+="bridge "
	has_table && bad+="table "
	[ "$(dnsmasq_count)" = 0 ] || bad+="dnsmasq "
	[ -z "$(files)" ] || bad+="files:$(files) "
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 0 ] || bad+="ip_forward "
	printf '%s' "${bad% }"
}
# The whole network, as one line ("" when complete) with TAP $1 attached.
incomplete() {
	local bad=""
	[ "$(link_master "$1")" = "$BR" ] || bad+="master "
	[ "$(gateway)" = 10.0.76.1/24 ] || bad+="gateway "
	link_is_up "$BR" 2>/dev/null || bad+="bridge-down "
	has_table || bad+="table "
	[ "$(dnsmasq_count)" = 1 ] || bad+="dnsmasq=$(dnsmasq_count) "
	[ -f "$QNET_RUNDIR/$NET.state" ] || bad+="state "
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ] || bad+="ip_forward "
	printf '%s' "${bad% }"
}
# run_killed POINT PROG TAP: PROG stopped by SIGKILL at POINT (status 137).
run_killed() {
	local rc
	# (the braces keep bash's "Killed" notice out of the test's stderr)
	{ QNET_TEST_KILL_AT=$1 "$2" "$3"; } 2>/dev/null; rc=$?
	t_eq "$(basename "$2") killed at $1" 137 "$rc"
}

echo 0 >/proc/sys/net/ipv4/ip_forward
tap f1
points_up=$(QNET_TEST_KILL_AT=list "$UP" f1 2>&1 >/dev/null | sed -n 's/^qnet-fault-point: //p')
points_down=$(QNET_TEST_KILL_AT=list "$DOWN" f1 2>&1 >/dev/null | sed -n 's/^qnet-fault-point: //p')
t_eq "listing the steps leaves nothing" "" "$(leftovers)"
t_match "bring-up names its steps, first to last" \
	'nat-up-state-written.*nat-up-bridge-created.*nat-up-firewall-applied.*nat-up-dnsmasq-started.*nat-up-tap-attached' \
	"$(echo $points_up)"
t_match "teardown names its steps, first to last" \
	'nat-down-tap-detached.*nat-down-dnsmasq-stopped.*nat-down-firewall-removed.*nat-down-bridge-deleted' \
	"$(echo $points_down)"
t_diag "bring-up: $(echo $points_up)" "teardown: $(echo $points_down)"

# --- killed during bring-up: the next qemu-ifup-nat completes the network,
# qemu-ifdown-nat then removes all of it ---
for p in $points_up; do
	run_killed "$p" "$UP" f1
	"$UP" f1 2>/dev/null
	t_eq "after a kill at $p, the next qemu-ifup-nat succeeds" 0 $?
	t_eq "after a kill at $p, the network is complete" "" "$(incomplete f1)"
	"$DOWN" f1
	t_eq "after a kill at $p, up then down leaves nothing" "" "$(leftovers)"
done

# --- killed during bring-up, then QEMU gone (its TAP with it): qnet gc ---
for p in $points_up; do
	run_killed "$p" "$UP" f1
	ip link del f1
	"$QNET" gc >/dev/null 2>&1
	t_eq "after a kill at $p and the TAP gone, qnet gc exits 0" 0 $?
	t_eq "after a kill at $p and the TAP gone, qnet gc leaves nothing" "" "$(leftovers)"
	tap f1
done

# --- killed during teardown: the next qemu-ifdown-nat finishes it ---
for p in $points_down; do
	"$UP" f1 || t_diag "qemu-ifup-nat f1 failed before a kill at $p"
	run_killed "$p" "$DOWN" f1
	"$DOWN" f1
	t_eq "after a kill at $p, the next qemu-ifdown-nat exits 0" 0 $?
	t_eq "after a kill at $p, the next qemu-ifdown-nat leaves nothing" "" "$(leftovers)"
done

# --- killed during teardown while another VM stays: the network survives.
# Only the detach step is reached (the rest runs after the last port). ---
tap f2
"$UP" f2
reached=""
for p in $points_down; do
	"$UP" f1
	{ QNET_TEST_KILL_AT=$p "$DOWN" f1; } 2>/dev/null
	[ $? = 137 ] && reached+="$p "
	t_eq "kill at $p with another VM up: the other VM's network is intact" "" "$(incomplete f2)"
	"$DOWN" f1
done
t_eq "with another VM up, teardown stops after detaching" "nat-down-tap-detached" "${reached% }"
t_eq "f1 is detached" "" "$(link_master f1)"
t_eq "f2 is the bridge's only port" f2 "$(bridge_ports "$BR")"
"$DOWN" f2
t_eq "the last VM gone, nothing is left" "" "$(leftovers)"

# --- disk full ---
# fill DIR: a small tmpfs over DIR (private mount namespace), filled up.
fill() {
	mount -t tmpfs -o size=64k qnet-full "$1" || return 1
	dd if=/dev/zero of="$1/fill" bs=4k 2>/dev/null
	! dd if=/dev/zero of="$1/fill2" bs=1 count=1 2>/dev/null && rm -f "$1/fill2"
}
for dir in QNET_RUNDIR QNET_STATEDIR; do
	t_check "$dir is a full tmpfs" fill "${!dir}"
	out=$("$UP" f1 2>&1); rc=$?
	if [ "$rc" = 0 ]; then
		# Allowed only if what is needed there fits (dnsmasq's empty lease file).
		t_eq "$dir full: qemu-ifup-nat succeeded, and completely" "" "$(incomplete f1)"
		t_diag "$dir full: qemu-ifup-nat succeeded: $out"
		"$DOWN" f1
	else
		t_eq "$dir full: qemu-ifup-nat exits 1" 1 "$rc"
		t_eq "$dir full: one line of error" 1 "$(printf '%s\n' "$out" | wc -l)"
		t_match "$dir full: the error names the cause" 'No space left on device' "$out"
		t_diag "$dir full: $out"
	fi
	t_eq "$dir full: nothing is left" "" "$(leftovers)"
	rm -f "${!dir}/fill"
	"$UP" f1
	t_eq "$dir with room again: qemu-ifup-nat succeeds" "" "$(incomplete f1)"
	"$DOWN" f1
	t_eq "$dir with room again: teardown leaves nothing" "" "$(leftovers)"
	umount "${!dir}"
done

t_done
