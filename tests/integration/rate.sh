#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# lib/rate.c (through rate-tool) on veth ports of a bridge in a private
# netns: a "guest" namespace behind port0 and a peer namespace behind
# uplink0. Kernel state is read back with tc -j and ip -j; the shaping
# itself is measured with iperf3 between the two, in both directions.
. "$(dirname "$0")/../lib.sh"
t_netns "$@"

command -v iperf3 >/dev/null || t_skip_all "iperf3 missing (tools/deps.sh test)"
RATE=$QNET_BUILD/tests/integration/rate-tool

IN=12500000  # 100 Mbit/s toward the guest
OUT=7500000  # 60 Mbit/s from the guest: not IN, so a swap shows

ip link add br0 type bridge
ip link set br0 up
t_new_ns GUEST
t_new_ns PEER
ip link add port0 type veth peer name vg
ip link add uplink0 type veth peer name vp
ip link set vg netns "/proc/$GUEST/ns/net"
ip link set vp netns "/proc/$PEER/ns/net"
t_in_ns "$GUEST" ip addr add 10.14.0.2/24 dev vg
t_in_ns "$GUEST" ip link set vg up
t_in_ns "$PEER" ip addr add 10.14.0.3/24 dev vp
t_in_ns "$PEER" ip link set vp up
ip link set uplink0 master br0 up
ip link set port0 master br0 # down: properties go on before the port is up

ifindex() { ip -j link show dev "$1" | jq -r '.[0].ifindex'; }
PORT=$(ifindex port0)
IFB=qnetifb$PORT

# Our root tbf's rate on DEV, empty if the root is not our tbf.
tbf_rate() {
	tc -j qdisc show dev "$1" root 2>/dev/null |
		jq -r '.[] | select(.kind == "tbf" and .handle == "716e:" and .root) | .options.rate'
}
has_ingress() { tc -j qdisc show dev "$1" ingress 2>/dev/null | jq -e 'any(.[]; .kind == "ingress")' >/dev/null; }
# The devices DEV's ingress filters redirect to, one per filter node.
redirects() {
	tc -j filter show dev "$1" ingress 2>/dev/null |
		jq -r '.[] | .options.actions[]? | select(.kind == "mirred" and .mirred_action == "redirect" and .direction == "egress") | .to_dev' |
		tr '\n' ' ' | sed 's/ $//'
}
link_kind() { ip -j -d link show dev "$1" 2>/dev/null | jq -r '.[0].linkinfo.info_kind // empty'; }
qnet_ifbs() { ip -j link show 2>/dev/null | jq -r '.[].ifname | select(startswith("qnetifb"))' | sort | tr '\n' ' ' | sed 's/ $//'; }

# goodput [-R]: bits/s the receiving end got in a 4 s iperf3 TCP run from
# the guest to the peer (-R: from the peer to the guest), the first
# second left out (slow start, a full bucket). 0 if the run failed.
goodput() {
	local srv bps
	t_in_ns "$PEER" timeout 30 iperf3 -s -1 -B 10.14.0.3 >/dev/null 2>&1 &
	srv=$!
	if ! t_wait 5 t_listens "$PEER" 5201; then
		kill "$srv" 2>/dev/null; echo 0; return
	fi
	bps=$(t_in_ns "$GUEST" timeout 20 iperf3 -c 10.14.0.3 -t 4 -O 1 "$@" -J 2>/dev/null |
		jq -r '.end.sum_received.bits_per_second // 0 | floor')
	wait "$srv" 2>/dev/null
	echo "${bps:-0}"
}
# within_15 MEASURED_BITS RATE_BYTES: MEASURED within 15% of the rate.
within_15() { awk -v m="$1" -v r="$2" 'BEGIN { exit !(m >= 0.85 * r * 8 && m <= 1.15 * r * 8) }'; }
mbit() { awk -v m="$1" 'BEGIN { printf "%.1f Mbit/s", m / 1e6 }'; }

# --- apply on a port that is down, then up ---
out=$("$RATE" apply port0 "$IN" "$OUT" 2>&1); rc=$?
t_eq "apply on a down port succeeds silently" "0:" "$rc:$out"
t_check_fail "the port is still down" link_is_up port0
t_eq "root tbf on the port at the rate toward the guest" "$IN" "$(tbf_rate port0)"
t_check "ingress qdisc on the port" has_ingress port0
t_eq "one ingress filter, redirecting to $IFB" "$IFB" "$(redirects port0)"
t_eq "$IFB is an ifb" ifb "$(link_kind "$IFB")"
t_check "$IFB is up" link_is_up "$IFB"
t_eq "root tbf on $IFB at the rate from the guest" "$OUT" "$(tbf_rate "$IFB")"
t_eq "get reads both rates back" "in=$IN out=$OUT" "$("$RATE" get port0)"

ip link set port0 up
t_eq "the port's tbf stays when it comes up" "$IN" "$(tbf_rate port0)"
t_eq "its redirect stays" "$IFB" "$(redirects port0)"

# A TAP, what QEMU's ports are, also when it has several queues (QEMU's
# queues=N): the kernel gives a device its default qdisc (mq for several
# queues) when it comes up only if it has none, so ours stays.
for mode in "" multi_queue; do
	ip tuntap add dev tapr mode tap $mode
	ip link set tapr master br0
	"$RATE" apply tapr "$IN" "$OUT"
	ip link set tapr up
	t_eq "TAP ${mode:-single_queue}: tbf is its root once up" "$IN" "$(tbf_rate tapr)"
	t_eq "TAP ${mode:-single_queue}: get" "in=$IN out=$OUT" "$("$RATE" get tapr)"
	ip link del tapr
done
"$RATE" sweep >/dev/null

# --- the rates measured ---
got=$(goodput -R)
t_diag "toward the guest: $(mbit "$got") for $(mbit $((IN * 8)))"
t_check "toward the guest within 15% of $(mbit $((IN * 8)))" within_15 "$got" "$IN"
got=$(goodput)
t_diag "from the guest: $(mbit "$got") for $(mbit $((OUT * 8)))"
t_check "from the guest within 15% of $(mbit $((OUT * 8)))" within_15 "$got" "$OUT"
pkts=$(tc -j -s qdisc show dev "$IFB" root | jq -r '.[0].packets')
t_check "the guest's packets went through $IFB's tbf ($pkts)" test "${pkts:-0}" -gt 1000

# --- replace (a re-attach), while the port is up ---
"$RATE" apply port0 "$OUT" "$IN"
t_eq "replace: the port's tbf has the new rate" "$OUT" "$(tbf_rate port0)"
t_eq "replace: $IFB's tbf has the new rate" "$IN" "$(tbf_rate "$IFB")"
t_eq "replace: still one redirect" "$IFB" "$(redirects port0)"
t_eq "replace: one ifb" "$IFB" "$(qnet_ifbs)"
"$RATE" apply port0 "$IN" 0
t_eq "replace with no rate from the guest: port's tbf stays" "$IN" "$(tbf_rate port0)"
t_check_fail "and the ingress qdisc is gone" has_ingress port0
t_eq "and the ifb is gone" "" "$(qnet_ifbs)"
t_eq "get: in only" "in=$IN out=0" "$("$RATE" get port0)"
"$RATE" apply port0 0 "$OUT"
t_eq "replace with no rate toward the guest: our tbf is gone" "" "$(tbf_rate port0)"
t_eq "and the redirect is back" "$IFB" "$(redirects port0)"
t_eq "get: out only" "in=0 out=$OUT" "$("$RATE" get port0)"

# --- remove ---
"$RATE" apply port0 "$IN" "$OUT"
out=$("$RATE" remove port0 2>&1); rc=$?
t_eq "remove succeeds silently" "0:" "$rc:$out"
t_eq "remove: no tbf of ours on the port" "" "$(tbf_rate port0)"
t_check_fail "remove: no ingress qdisc" has_ingress port0
t_eq "remove: no ifb" "" "$(qnet_ifbs)"
t_eq "get after remove" "in=0 out=0" "$("$RATE" get port0)"
t_check "remove with nothing to remove succeeds" "$RATE" remove port0
t_check "remove of a port that does not exist succeeds" "$RATE" remove @999999
got=$(goodput)
t_diag "unshaped from the guest: $(mbit "$got")"
t_check "unshaped, the guest sends well above the rate it had" test "$got" -gt $((OUT * 8 * 2))

# --- what is someone else's stays ---
tc qdisc add dev port0 root handle 1: tbf rate 1gbit burst 1mb latency 10ms
tc qdisc add dev port0 ingress
tc filter add dev port0 parent ffff: prio 5 u32 match u32 0 0 classid 1:1
"$RATE" apply port0 0 "$OUT"
t_eq "get does not report someone else's root tbf" "in=0 out=$OUT" "$("$RATE" get port0)"
"$RATE" remove port0
t_eq "remove leaves someone else's root qdisc" "tbf 1:" \
	"$(tc -j qdisc show dev port0 root | jq -r '.[0] | "\(.kind) \(.handle)"')"
t_eq "remove leaves someone else's ingress filter" 5 \
	"$(tc -j filter show dev port0 ingress | jq -r '[.[].pref] | unique | join(" ")')"
t_eq "remove still deletes the ifb" "" "$(qnet_ifbs)"
"$RATE" apply port0 "$IN" 0
t_eq "apply replaces someone else's root qdisc" "$IN" "$(tbf_rate port0)"
"$RATE" remove port0
tc qdisc del dev port0 ingress

# --- failures leave nothing ---
before=$(tc -j qdisc show; ip -j link show)
out=$("$RATE" apply @999999 "$IN" "$OUT" 2>&1); rc=$?
t_eq "apply to an ifindex that does not exist fails" 1 "$rc"
t_match "and names it" 'ifindex 999999' "$out"
t_eq "and changes nothing" "$before" "$(tc -j qdisc show; ip -j link show)"

ip link add name big index 123456789 type veth peer name big-p
out=$("$RATE" apply big "$IN" "$OUT" 2>&1); rc=$?
t_eq "apply to a port whose ifb name would not fit fails" 1 "$rc"
t_match "and says why" 'ifindex 123456789 is too large for an ifb name' "$out"
t_eq "and its tbf toward the guest is undone" "" "$(tbf_rate big)"
t_check_fail "and it has no ingress qdisc" has_ingress big
ip link add name big2 index 99999999 type veth peer name big2-p
t_check "the longest ifindex that fits works" "$RATE" apply big2 "$IN" "$OUT"
t_eq "its ifb is qnetifb99999999" ifb "$(link_kind qnetifb99999999)"
"$RATE" remove big2

ip link add name "$IFB" type veth peer name squat-p
out=$("$RATE" apply port0 "$IN" "$OUT" 2>&1); rc=$?
t_eq "apply when $IFB is taken by another kind of link fails" 1 "$rc"
t_match "and names the link" "$IFB exists and is not an ifb" "$out"
t_eq "and leaves no tbf on the port" "" "$(tbf_rate port0)"
t_check_fail "and no ingress qdisc" has_ingress port0
t_eq "and leaves the other link alone" veth "$(link_kind "$IFB")"
"$RATE" apply port0 "$OUT" 0
"$RATE" apply port0 "$IN" "$OUT" 2>/dev/null
t_eq "a failed re-apply puts back the port's previous rate" "in=$OUT out=0" "$("$RATE" get port0)"
ip link del "$IFB"
"$RATE" remove port0

# --- sweep ---
ip link add port1 type veth peer name port1-p
P1=$(ifindex port1)
"$RATE" apply port0 "$IN" "$OUT"
"$RATE" apply port1 "$IN" "$OUT"
ip link del port1
t_eq "deleting a port leaves its ifb" "$(printf '%s\n' "$IFB" "qnetifb$P1" | sort | tr '\n' ' ' | sed 's/ $//')" \
	"$(qnet_ifbs)"
out=$("$RATE" sweep); rc=$?
t_eq "sweep deletes the ifb of the port that is gone, only" "0:deleted qnetifb$P1 count=1" \
	"$rc:$(echo $out)"
t_eq "the live port's ifb stays" "$IFB" "$(qnet_ifbs)"
t_eq "and the live port is still shaped" "in=$IN out=$OUT" "$("$RATE" get port0)"
t_eq "a second sweep finds nothing" "count=0" "$("$RATE" sweep)"
ip link add qnetifb0123 type ifb
t_eq "sweep ignores an ifb whose name is not one we write" "count=0" "$("$RATE" sweep)"
t_check "and leaves it" link_exists qnetifb0123
ip link del qnetifb0123
"$RATE" remove port0

# --- qnet.conf: [bridge] rate-in/rate-out through qemu-ifup and qemu-ifdown ---
# The same port, attached the way QEMU's script= does it: the rates come
# from qnet.conf and are in place before the port comes up.
ip link set port0 nomaster down
printf '[bridge br0]\nrate-in = 100mbit\nrate-out = 60mbit\n' >"$QNET_CONFDIR/qnet.conf"
t_check "qemu-ifup port0 br0 with [bridge br0] rate-in/rate-out" "$QNET_BUILD/helpers/qemu-ifup" port0 br0
t_eq "qnet.conf's rates are on the port" "in=$IN out=$OUT" "$("$RATE" get port0)"
t_check "and the port is up" link_is_up port0
got=$(goodput -R)
t_check "qnet.conf rate-in: toward the guest within 15% of 100 Mbit/s ($(mbit "$got"))" within_15 "$got" "$IN"
got=$(goodput)
t_check "qnet.conf rate-out: from the guest within 15% of 60 Mbit/s ($(mbit "$got"))" within_15 "$got" "$OUT"
t_check "qemu-ifdown port0" "$QNET_BUILD/helpers/qemu-ifdown" port0
t_eq "qemu-ifdown removes the shaping and the ifb" "in=0 out=0:" "$("$RATE" get port0):$(qnet_ifbs)"
printf '[bridge br0]\nrate = oops\n' >"$QNET_CONFDIR/qnet.conf"
t_check_fail "a bad rate in qnet.conf stops qemu-ifup" "$QNET_BUILD/helpers/qemu-ifup" port0 br0
t_check_fail "and the port was not attached" eval '[ "$(ip -j link show port0 | jq -r ".[0].master // empty")" = br0 ]'

t_done
