#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/overlay.sh ROUNDS SECONDS OUTFILE: what crossing hosts costs an
# overlay network (vxlan =), as iperf3 TCP goodput between two veth guests
# of one network "ov": "one-host", both guests on h1's bridge, against
# "two-hosts", one guest on h1 and one on h2, their frames in VXLAN over a
# veth underlay. h1 and h2 are host namespaces on an underlay bridge in
# this namespace (tests/integration/vxlan-lib.sh), h1 the gateway; filter
# on (the default), each guest's address its host = line's, every port at
# the overlay's MTU. ROUNDS rounds of SECONDS each, interleaved ABBA.
# Appends one line per arrangement to OUTFILE, the shape of bench/run.sh's
# throughput rows:
#   {"section":"overlay","name":"one-host","rounds":N,"seconds":S,"failed":F,"bps":[sorted bits/s]}
# Nothing on stdout; errors and warnings on stderr.
#
# bench/run.sh runs it (a process, not sourced) in its own namespace, after
# t_netns; run alone (as root, QNET_BUILD set), it makes a namespace first.
# Either way it leaves nothing behind in the namespace it runs in.
set -u
case $0 in /*) ;; *) exec bash "$(realpath "$0")" "$@" ;; esac
[ $# = 3 ] || { echo "usage: bench/overlay.sh ROUNDS SECONDS OUTFILE" >&2; exit 2; }
ROUNDS=$1 SECS=$2 OUT=$(realpath -m "$3")
case $ROUNDS$SECS in *[!0-9]*) echo "bench/overlay.sh: ROUNDS and SECONDS are whole numbers" >&2; exit 2 ;; esac
[ "$ROUNDS" -ge 1 ] && [ "$SECS" -ge 1 ] || { echo "bench/overlay.sh: ROUNDS and SECONDS are at least 1" >&2; exit 2; }
SRC=$(cd "$(dirname "$0")/.." && pwd)
: "${QNET_BUILD:?bench/overlay.sh: QNET_BUILD not set}"
export QNET_BUILD

. "$SRC/tests/lib.sh"
die() { echo "bench/overlay.sh: $*" >&2; exit 1; }
# Alone: t_netns re-runs this script in a namespace of its own (the
# variable tells the re-run so). Else the namespace is bench/run.sh's,
# where t_cleanup would kill everything, run.sh too: only what we started
# goes.
if [ "${QNET_IN_TEST_NETNS:-}" != 1 ]; then
	export QNET_OVERLAY_OWN_NS=1
	t_netns "$ROUNDS" "$SECS" "$OUT"
elif [ "${QNET_OVERLAY_OWN_NS:-}" = 1 ]; then
	t_netns "$ROUNDS" "$SECS" "$OUT"
else
	T_TMP=$(mktemp -d /tmp/qnet-overlay.XXXXXX) || die "no scratch directory"
	chmod 755 "$T_TMP"
fi
trap 'ov_cleanup' EXIT
. "$SRC/tests/integration/vxlan-lib.sh"
. "$SRC/bench/tput-lib.sh"

B=$QNET_BUILD/helpers
UP=$B/qemu-ifup-nat DOWN=$B/qemu-ifdown-nat
for f in "$UP" "$DOWN" /usr/bin/iperf3 /usr/sbin/dnsmasq /usr/sbin/nft; do
	[ -x "$f" ] || die "$f missing (tools/deps.sh test installs what is needed)"
done
for n in ul ul1 ul2; do
	! ip link show dev "$n" >/dev/null 2>&1 || die "this namespace already has a link $n"
done

ATTACHED=() # "K PORT" of each guest port qemu-ifup-nat attached
ov_cleanup() {
	local a i
	for ((i = ${#ATTACHED[@]} - 1; i >= 0; i--)); do
		a=${ATTACHED[$i]}
		on "${a% *}" "$DOWN" "${a#* }" >/dev/null 2>&1
	done
	# T_CLEANUP has vx_hosts' t_reap_ns of each host: a dnsmasq left by a
	# failed bring-up would keep h1's namespace alive.
	for ((i = ${#T_CLEANUP[@]} - 1; i >= 0; i--)); do eval "${T_CLEANUP[$i]}" >/dev/null 2>&1 || true; done
	T_CLEANUP=()
	ip link del ul >/dev/null 2>&1
	for i in 1 2; do ip link del "ul$i" >/dev/null 2>&1; done
	if [ "${QNET_OVERLAY_OWN_NS:-}" = 1 ]; then t_cleanup; else rm -rf "$T_TMP"; fi
}

vx_probe || die "no VXLAN in this kernel"
vx_hosts 2 >/dev/null 2>&1 || die "cannot build the hosts' namespaces"

# Four guests of one network: o1, o2 on h1 (one-host), t1 on h1 and t2 on
# h2 (two-hosts). NAME HOST MAC ADDR.
GUESTS=("o1 1 52:54:00:90:02:11 10.0.90.11" "o2 1 52:54:00:90:02:12 10.0.90.12"
	"t1 1 52:54:00:90:02:21 10.0.90.21" "t2 2 52:54:00:90:02:22 10.0.90.22")
for k in 1 2; do
	{
		printf '[script]\nnetwork = ov\n\n[network ov]\nsubnet = 10.0.90.0/24\nsubnet6 = none\nvxlan = 4244\npeers = %s\n' "${VX_UL[2 - k]}"
		[ "$k" = 1 ] && printf 'gateway = yes\n'
		for g in "${GUESTS[@]}"; do
			read -r _ _ mac addr <<<"$g"
			printf 'host = %s %s\n' "$mac" "$addr"
		done
	} >"$T_TMP/h$k/etc/qnet.conf"
done

# guest NAME HOST MAC ADDR: a veth guest (its pid in G_NAME) whose host end
# NAME, in host HOST, qemu-ifup-nat attached; its eth0 at its port's MTU.
guest() {
	local pid hpid=H$2 mtu
	t_new_ns pid
	printf -v "G_$1" %s "$pid"
	ip link add "$1" type veth peer name eth0 netns "$pid" &&
		ip link set "$1" netns "${!hpid}" &&
		t_in_ns "$pid" ip link set eth0 address "$3" || die "cannot make the guest $1"
	on "$2" "$UP" "$1" >/dev/null || die "qemu-ifup-nat $1 failed on h$2"
	ATTACHED+=("$2 $1")
	mtu=$(on "$2" ip -j link show dev "$1" | jq -r '.[0].mtu')
	t_in_ns "$pid" ip link set eth0 mtu "$mtu" && t_in_ns "$pid" ip addr add "$4/24" dev eth0 &&
		t_in_ns "$pid" ip link set eth0 up || die "cannot configure the guest $1"
}
for g in "${GUESTS[@]}"; do
	# shellcheck disable=SC2086  # four words
	guest $g
done
# Measure what the names say: the same overlay MTU on both hosts, and
# h2's bridge reaches h1 only through the VXLAN device.
[ "$(on 1 ip -j link show dev qnet-ov | jq -r '.[0].mtu')" = 1450 ] &&
	[ "$(on 2 ip -j link show dev qnet-ov | jq -r '.[0].mtu')" = 1450 ] ||
	die "the overlay's bridges are not at 1450 (underlay 1500 less VXLAN's 50)"
[ -n "$(vx_of 1)" ] && [ -n "$(vx_of 2)" ] || die "a host has no VXLAN device"

# As bench/run.sh's throughput (bench/tput-lib.sh): each pair's second
# guest serves.
# shellcheck disable=SC2154  # G_* set by guest
{
	tput_serve o2 "$G_o2" t2 "$G_t2"
	tput_reaches "$G_o1" 10.0.90.12 || die "the guests on h1 cannot reach each other"
	tput_reaches "$G_t1" 10.0.90.22 || die "the guest on h1 cannot reach the guest on h2 across the overlay"
	# group_by sorts by name: one-host, then two-hosts
	tput_rounds overlay "$ROUNDS" "$SECS" "$OUT" one-host "$G_o1" 10.0.90.12 two-hosts "$G_t1" 10.0.90.22 ||
		die "cannot write $OUT"
}
tput_stop
exit 0
