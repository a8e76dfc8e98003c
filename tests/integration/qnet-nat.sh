#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# qnet up/down/gc and status with a real NAT network: a "guest" network
# namespace on the network's bridge takes a DHCP lease (busybox udhcpc),
# and `qnet status --json` must report what the kernel, dnsmasq's lease
# file and the guest itself say. Then the crash cases doctor and gc are for.
. "$(dirname "$0")/../lib.sh"
t_netns "$@"

Q=$QNET_BUILD/helpers/qnet
for tool in jq nft busybox nsenter; do
	command -v $tool >/dev/null || t_skip_all "$tool missing"
done
E=$QNET_CONFDIR
O=$T_TMP/out
put() { printf '%b' "$2" >"$E/$1"; chown 0:0 "$E/$1"; chmod 644 "$E/$1"; }
q() { jq -r "$@" "$O"; }
net() { q --arg n "$1" ".networks[] | select(.name == \$n) | $2"; }
status_json() { "$Q" status --json >"$O" 2>"$O.err"; }
table_exists() { nft -j list tables | jq -e --arg t "qnet-$1" '.nftables[] | select(.table.name == $t)' >/dev/null; }
pid_is_dnsmasq() { [ -n "$1" ] && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = dnsmasq ] &&
	! grep -q '^State:.*Z' "/proc/$1/status"; }
MAC=52:54:00:aa:bb:01

put qnet.conf '[network nat1]\nbridge = natbr\nsubnet = 10.77.0.0/24\nforward = tcp 2222 10.77.0.10:22\n'

# ---- usage and unknown networks ----
"$Q" up nope >"$O" 2>"$O.err"
t_eq "up of an unknown network: exit 1" 1 $?
t_match "... naming it" "network nope: unknown network 'nope'" "$(cat "$O.err")"
"$Q" up 'bad/name' >"$O" 2>"$O.err"
t_eq "up of an invalid name: exit 1" 1 $?

# ---- up ----
"$Q" up nat1 >"$O" 2>"$O.err"
t_eq "qnet up nat1: exit 0, quiet" "0 " "$? $(cat "$O.err")"
t_eq "the bridge exists (ip -j) and is up" "bridge true" \
	"$(ip -j -d link show natbr | jq -r '.[0].linkinfo.info_kind') $(link_is_up natbr && echo true)"
t_check "its nftables table exists (nft -j)" table_exists nat1
DNSMASQ=$(cat "$QNET_RUNDIR/nat1.dnsmasq.pid" 2>/dev/null)
t_check "dnsmasq runs (pid file, /proc)" pid_is_dnsmasq "$DNSMASQ"

# ---- a guest takes a lease ----
# t_new_ns waits until the namespace exists: with $! alone, a busy machine
# could move gv1 before unshare ran, into this namespace.
t_new_ns GUEST
ip link add gv0 type veth peer name gv1
ip link set gv1 address $MAC netns "$GUEST"
ip link set gv0 master natbr up
cat >"$T_TMP/dhcp-script" <<'EOF'
#!/bin/sh
[ "$1" = bound ] && ip addr add "$ip/$mask" dev "$interface"
exit 0
EOF
chmod 755 "$T_TMP/dhcp-script"
nsenter -t "$GUEST" -n ip link set gv1 up
timeout 30 nsenter -t "$GUEST" -n busybox udhcpc -f -q -n -t 10 -T 1 -i gv1 -s "$T_TMP/dhcp-script" \
	-x hostname:guest1 >"$T_TMP/udhcpc.log" 2>&1
GUEST_IP=$(nsenter -t "$GUEST" -n ip -j -4 addr show dev gv1 | jq -r '.[0].addr_info[0].local // empty')
t_match "the guest got an address in 10.77.0.0/24" '^10\.77\.0\.[0-9]+$' "$GUEST_IP"

status_json
t_eq "status --json: exit 0, valid JSON" "0 0" "$? $(jq -e . "$O" >/dev/null; echo $?)"
t_eq "network nat1 is up" true "$(net nat1 .up)"
t_eq "dnsmasq_pid is the running dnsmasq's" "$DNSMASQ" "$(net nat1 .dnsmasq_pid)"
t_eq "natbr's ports are the kernel's" "$(bridge_ports natbr)" \
	"$(q '[.bridges[] | select(.name == "natbr") | .ports[].name] | sort | join(" ")')"
t_eq "the lease: the guest's MAC, the address the guest has, its host name" "$MAC $GUEST_IP guest1" \
	"$(net nat1 '.leases[] | "\(.mac) \(.ip) \(.hostname)"')"
t_eq "... the expiry is dnsmasq's (lease file)" \
	"$(awk -v m=$MAC '$2 == m { print $1 }' "$QNET_STATEDIR/nat1.leases")" "$(net nat1 '.leases[0].expires')"
t_check "... and in the future" [ "$(net nat1 '.leases[0].expires')" -gt "$(date +%s)" ]
t_eq "forwards from qnet.conf" "tcp 2222 10.77.0.10 22" \
	"$(net nat1 '.forwards[0] | "\(.proto) \(.host_port) \(.guest) \(.guest_port)"')"
"$Q" status >"$O" 2>&1
t_match "text status shows the lease" "lease $MAC $GUEST_IP guest1 expires 20" "$(cat "$O")"

# ---- down refuses while a port is attached ----
"$Q" down nat1 >"$O" 2>"$O.err"
t_eq "qnet down with a port attached: exit 1" 1 $?
t_match "... saying why and what to do" 'port still attached \(use --force' "$(cat "$O.err")"
t_eq "... and the network is untouched (ip -j: gv0 still on natbr)" natbr "$(link_master gv0)"
t_check "... dnsmasq still runs" pid_is_dnsmasq "$DNSMASQ"

# ---- doctor and gc after crashes ----
kill -9 "$DNSMASQ"
t_wait 5 t_pid_dead "$DNSMASQ"
"$Q" doctor >"$O" 2>&1
t_match "doctor: a killed dnsmasq leaves a stale pid file (warn, fix: qnet gc)" \
	"^warn +stale state: .*nat1.dnsmasq.pid names process $DNSMASQ, which is gone; fix: qnet gc" "$(cat "$O")"
"$Q" gc >"$O" 2>&1
t_eq "qnet gc: exit 0" 0 $?
NEW=$(cat "$QNET_RUNDIR/nat1.dnsmasq.pid" 2>/dev/null)
t_check "gc restarted dnsmasq for the network in use (new pid $NEW)" pid_is_dnsmasq "$NEW"
"$Q" doctor >"$O" 2>&1
t_match "doctor: nothing stale after gc" "^ok +stale state: nothing stale" "$(cat "$O")"

# ---- down --force ----
"$Q" down --force nat1 >"$O" 2>"$O.err"
t_eq "qnet down --force: exit 0" 0 $?
t_check_fail "the bridge is gone (ip link)" link_exists natbr
t_check_fail "the table is gone (nft)" table_exists nat1
t_check_fail "dnsmasq is gone" pid_is_dnsmasq "$NEW"
t_check "gv0 still exists, detached" [ -z "$(link_master gv0)" ]

# ---- a bridge deleted behind qnet's back ----
# On-demand (a guest's qemu-ifup-nat brought it up): gc removes the rest.
# A persistent one is built again instead (nat-persistent.sh).
ip tuntap add dev gt0 mode tap
QNET_NETWORK=nat1 "$QNET_BUILD/helpers/qemu-ifup-nat" gt0 >/dev/null 2>&1
ip link del natbr
ip link del gt0
"$Q" doctor >"$O" 2>&1
t_match "doctor: network recorded up, bridge gone: warn" \
	'^warn +stale state: .*nat1.state: network nat1 is recorded up, but its bridge natbr is gone; fix: qnet gc' \
	"$(cat "$O")"
"$Q" gc >"$O" 2>&1
t_eq "qnet gc: exit 0" 0 $?
t_check_fail "gc removed the table" table_exists nat1
t_check "gc removed the state" [ ! -e "$QNET_RUNDIR/nat1.state" ]
"$Q" status --json >"$O" 2>&1
t_eq "status: nat1 down, no dnsmasq" "false null" "$(net nat1 '"\(.up) \(.dnsmasq_pid)"')"
"$Q" down nat1 >"$O" 2>&1
t_eq "qnet down of a network that is down: exit 0" 0 $?
t_done
