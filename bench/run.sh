#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/run.sh [--quick] [--json FILE]: qnet side by side with what users run
# today, in one run, in a network and mount namespace of its own (as root).
# Prints a table, then one JSON document (to FILE with --json). Machines are
# noisy: read the ratios, which hold within one run, not absolute times.
#
#   helper   ours vs QEMU's /usr/lib/qemu/qemu-bridge-helper vs the kernel
#            floor (bench-tapfloor), as QEMU runs a helper: fork+exec, fd
#            received, TAP closed; both helpers read "allow br0" from
#            /etc/qemu/bridge.conf (a private bind mount)
#   ifup     qemu-ifup vs Debian's /etc/qemu-ifup vs a tutorial script vs the
#            spawn floor (bench-nothing), each attaching a detached TAP; and
#            "start", qemu-ifup --version: our start-up alone, no work
#   scale    qemu-ifup with 0, 1000 and 4000 other links in the namespace
#   nat      qemu-ifup-nat cold (first VM: bridge, nft table, dnsmasq) on
#            the default network, dual-stack (its ULA /64, RA, DHCPv6,
#            NAT66), vs the same bring-up IPv4-only (subnet6 = none), and
#            warm (another VM already up), each vs plain qemu-ifup
#   filter   what per-port anti-spoofing costs, filtered beside unfiltered:
#            qemu-ifup-nat warm attach on a network with the default filter
#            vs one with filter = no; qemu-ifup on a bridge with filter = yes
#            vs one without; and iperf3 TCP between two veth guests of each
#            of those two networks ("throughput", rounds interleaved)
#   routes   qemu-ifup with 0 and 100,000 routes in the main table, each
#            in a namespace of its own, interleaved in one bench-spawn run
#   nets     qemu-ifup-nat warm attach with 1 and with 64 NAT networks up,
#            each in a namespace (and qnet.conf) of its own, interleaved
#   forwards qemu-ifup-nat cold bring-up, and teardown, with 1 and with
#            1,000 forwards
#   crowd    100 qemu-ifup-nat starting at once on one network that is up
#            vs the same 100 one after another (bench-crowd), all checked
#            to be ports of the bridge
#   peer     netavark setup/teardown (podman's stack, Debian's netavark)
#            of a bridge with masquerade and 1 and 1,000 port mappings vs
#            qnet's cold bring-up and teardown with as many forwards, and
#            qnet with a dnsmasq stub ("nodns": netavark runs no DHCP)
# --quick: every section, with 1,000 routes, 4 networks, 50 forwards, 10
# guests at once, netavark with 50 port mappings.
#   overlay  iperf3 TCP between two guests of one overlay network on two
#            hosts (VXLAN) and on one (bench/overlay.sh), as a ratio
# Built with -Dbuildtype=release in build-bench/ unless QNET_BUILD is set.
set -u
# t_netns re-runs "$0" after the cd below: make it absolute first.
case $0 in /*) ;; *) exec bash "$(realpath "$0")" "$@" ;; esac

QUICK=0 JSON_OUT=
args=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ;;
	--json) JSON_OUT=$(realpath -m "${2:?--json needs a file}"); shift ;;
	-h|--help) sed -n '3,40p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench/run.sh: unknown option '$1' (--quick, --json FILE)" >&2; exit 2 ;;
	esac
	shift
done
cd "$(dirname "$0")/.."
SRC=$PWD

if [ "${QNET_IN_TEST_NETNS:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "bench/run.sh: needs root (network namespaces, TAPs)" >&2; exit 1; }
	if [ -z "${QNET_BUILD:-}" ]; then
		export QNET_BUILD=$SRC/build-bench
		if [ ! -f "$QNET_BUILD/build.ninja" ]; then
			meson setup "$QNET_BUILD" -Dbuildtype=release -Dman=disabled -De2e=false >/dev/null ||
				{ echo "bench/run.sh: meson setup failed" >&2; exit 1; }
		fi
		ninja -C "$QNET_BUILD" >/dev/null || { echo "bench/run.sh: build failed" >&2; exit 1; }
	fi
	export QNET_BUILD
fi
. "$SRC/tests/lib.sh"
t_netns "${args[@]}"
. "$SRC/tests/integration/bridge-helper-lib.sh"
. "$SRC/bench/tput-lib.sh"

B=$QNET_BUILD
SPAWN=$B/bench/bench-spawn
IP=$(command -v ip)
# --quick keeps every section with small sizes: CI runs it on 2 cores.
if [ "$QUICK" = 1 ]; then N_HELPER=10 N_IFUP=20 N_SCALE=20 N_COLD=3 N_WARM=10 SCALE=(0 100) N_TPUT=2 T_TPUT=1
	N_ROUTES=1000 N_NETS=4 N_FWD=50 N_CROWD=10 N_CROWD_ROUNDS=2 N_PEER_ROUNDS1=2 N_PEER_ROUNDSN=1
else N_HELPER=200 N_IFUP=300 N_SCALE=200 N_COLD=50 N_WARM=200 SCALE=(0 1000 4000) N_TPUT=6 T_TPUT=3
	N_ROUTES=100000 N_NETS=64 N_FWD=1000 N_CROWD=100 N_CROWD_ROUNDS=6 N_PEER_ROUNDS1=10 N_PEER_ROUNDSN=1; fi

die() { echo "bench/run.sh: $*" >&2; exit 1; }
for f in "$SPAWN" "$B/bench/bench-nothing" "$B/bench/bench-tapfloor" "$B/helpers/qemu-ifup" \
	/usr/lib/qemu/qemu-bridge-helper /etc/qemu-ifup /usr/sbin/brctl /usr/sbin/dnsmasq /usr/sbin/nft \
	/usr/bin/iperf3 "$B/bench/bench-crowd" "$B/bench/bench-dnsmasq-stub" /usr/lib/podman/netavark /usr/sbin/iptables-save; do
	[ -x "$f" ] || die "$f missing (tools/deps.sh test installs what is needed)"
done

# Debian's script looks in /sys/class/net: a sysfs of this namespace's own.
mount -t sysfs sysfs /sys || die "cannot mount a private sysfs"
bh_etc_qemu || die "cannot make a private /etc/qemu"
printf 'allow br0\n' >"$BH_ETC/bridge.conf"
chmod 644 "$BH_ETC/bridge.conf"
# The helper's audit lines go to a /dev/log of ours, as to journald on a host.
bh_syslog || die "cannot make a private /dev/log"

# br0 carries the default route, as Debian's /etc/qemu-ifup expects.
ip link add br0 type bridge && ip addr add 10.77.0.1/24 dev br0 && ip link set br0 up &&
	ip route add default via 10.77.0.254 dev br0 onlink || die "cannot set up br0"
ip tuntap add dev bq0 mode tap || die "cannot create a TAP"
TUTORIAL=$T_TMP/tutorial-ifup
printf '#!/bin/sh\nip link set "$1" up\nbrctl addif br0 "$1"\n' >"$TUTORIAL"
chmod 755 "$TUTORIAL"
DETACH="$IP link set dev bq0 nomaster down"

RESULTS=$T_TMP/results.jsonl
: >"$RESULTS"
# run SECTION SPAWN-ARGS...: one interleaved bench-spawn run, tagged.
run() {
	local section=$1 out; shift
	out=$("$SPAWN" "$@") || die "bench-spawn failed in $section"
	printf '%s\n' "$out" | jq -c --arg s "$section" '. + {section: $s}' >>"$RESULTS"
	printf '%s\n' "$out" | jq -e 'select(.failed > 0)' >/dev/null &&
		echo "bench/run.sh: warning: failures in $section: $(printf '%s' "$out" | jq -c 'select(.failed > 0) | .name')" >&2
	return 0
}

echo "bench/run.sh: helper ($N_HELPER round trips each, interleaved)" >&2
run helper -n "$N_HELPER" -b br0 \
	floor="$B/bench/bench-tapfloor" ours="$B/helpers/qemu-bridge-helper" qemu=/usr/lib/qemu/qemu-bridge-helper

echo "bench/run.sh: ifup ($N_IFUP calls each)" >&2
run ifup -n "$N_IFUP" -r "$DETACH" \
	floor="$B/bench/bench-nothing bq0" ours="$B/helpers/qemu-ifup bq0" \
	debian="/etc/qemu-ifup bq0" tutorial="$TUTORIAL bq0" \
	start="$B/helpers/qemu-ifup --version"

echo "bench/run.sh: nat cold ($N_COLD, dual-stack and IPv4-only) and warm ($N_WARM)" >&2
ip tuntap add dev bq1 mode tap && ip tuntap add dev bq2 mode tap && ip tuntap add dev bq3 mode tap ||
	die "cannot create TAPs"
UPNAT=$B/helpers/qemu-ifup-nat DOWNNAT=$B/helpers/qemu-ifdown-nat
# The default network is dual-stack (no qnet.conf says otherwise); its ULA
# comes from the machine-id, so a host without one gets one of ours.
if [ ! -r /etc/machine-id ]; then
	echo 0123456789abcdef0123456789abcdef >"$T_TMP/machine-id"
	export QNET_MACHINE_ID=$T_TMP/machine-id
fi
# The IPv4-only twin: the default network's settings but subnet6 = none, on
# a subnet and bridge of its own (two networks never share them), picked by
# instance name as a user would (qemu-ifup-nat@v4only).
printf '[network v4only]\nsubnet = 10.0.79.0/24\nsubnet6 = none\n' >"$QNET_CONFDIR/qnet.conf"
UP4=$T_TMP/qemu-ifup-nat@v4only DOWN4=$T_TMP/qemu-ifdown-nat@v4only
ln -s "$UPNAT" "$UP4" && ln -s "$DOWNNAT" "$DOWN4" || die "cannot link the v4only instances"
# Measure what the names say: one has an IPv6 gateway, the other none.
has6() { [ -n "$(ip -6 -o addr show dev "$1" scope global 2>/dev/null)" ]; }
"$UPNAT" bq1 || die "qemu-ifup-nat bq1 failed"
has6 qnetbr0 || die "the default network came up without IPv6: no dual-stack bring-up to measure"
"$DOWNNAT" bq1 || die "qemu-ifdown-nat bq1 failed"
"$UP4" bq3 || die "qemu-ifup-nat@v4only bq3 failed"
! has6 qnet-v4only || die "the subnet6 = none network came up with IPv6"
"$DOWN4" bq3 || die "qemu-ifdown-nat@v4only bq3 failed"
# cold: every call brings the network up; its reset takes it down again.
run nat-cold -n "$N_COLD" -w 1 \
	cold="$UPNAT bq1|$DOWNNAT bq1" cold-ipv4="$UP4 bq3|$DOWN4 bq3" ifup="$B/helpers/qemu-ifup bq0|$DETACH"
"$UPNAT" bq2 || die "qemu-ifup-nat bq2 failed"
# Warm attaches reset as QEMU does, with the downscript, which also removes
# the port's filter: a TAP left with its filter would make the next attach
# replace it, and an nf_tables batch that deletes makes closing its socket
# wait for an RCU grace period, which no VM's attach pays (QEMU's TAP is
# new).
run nat-warm -n "$N_WARM" floor="$B/bench/bench-nothing bq1" \
	warm="$UPNAT bq1|$DOWNNAT bq1" ifup="$B/helpers/qemu-ifup bq0|$DETACH"
"$DOWNNAT" bq2

# --- filter: anti-spoofing's cost, each filtered beside the same unfiltered ---
# Two networks alike but for the filter, both up at once so that rounds
# interleave: default (filtered, as every NAT network is unless told) and
# nofilter (filter = no). Each has two veth guests with fixed MACs and the
# addresses their host = lines give them; they keep the networks up for
# the attach rounds and carry the throughput runs. And two plain bridges:
# br1 with [bridge br1] filter = yes, br2 without a section.
cat >>"$QNET_CONFDIR/qnet.conf" <<EOF

[network default]
host = 52:54:00:76:00:11 10.0.76.11
host = 52:54:00:76:00:12 10.0.76.12

[network nofilter]
subnet = 10.0.81.0/24
filter = no
host = 52:54:00:81:00:11 10.0.81.11
host = 52:54:00:81:00:12 10.0.81.12

[bridge br1]
filter = yes
EOF
UPF=$T_TMP/qemu-ifup-nat@default DOWNF=$T_TMP/qemu-ifdown-nat@default
UPU=$T_TMP/qemu-ifup-nat@nofilter DOWNU=$T_TMP/qemu-ifdown-nat@nofilter
ln -s "$UPNAT" "$UPF" && ln -s "$DOWNNAT" "$DOWNF" && ln -s "$UPNAT" "$UPU" && ln -s "$DOWNNAT" "$DOWNU" ||
	die "cannot link the default and nofilter instances"
# filtered PORT: the port has a filter in table bridge qnet.
filtered() {
	nft -j list map bridge qnet ports 2>/dev/null |
		jq -e --arg p "$1" '[.nftables[].map? // empty | .elem[]?[0]] | index($p) != null' >/dev/null
}
# guest NAME UP MAC ADDR/24: a veth guest in a namespace of its own (its
# pid in G_NAME), its host end NAME attached by UP (a qemu-ifup-nat).
guest() {
	local pid
	t_new_ns pid
	printf -v "G_$1" %s "$pid"
	ip link add "$1" type veth peer name eth0 netns "$pid" &&
		t_in_ns "$pid" ip link set eth0 address "$3" && t_in_ns "$pid" ip addr add "$4" dev eth0 &&
		t_in_ns "$pid" ip link set eth0 up || die "cannot make the guest $1"
	"$2" "$1" || die "$2 $1 failed"
}
guest vf1 "$UPF" 52:54:00:76:00:11 10.0.76.11/24
guest vf2 "$UPF" 52:54:00:76:00:12 10.0.76.12/24
guest vu1 "$UPU" 52:54:00:81:00:11 10.0.81.11/24
guest vu2 "$UPU" 52:54:00:81:00:12 10.0.81.12/24
# Measure what the names say.
filtered vf1 && filtered vf2 || die "the default network's guests came up without a filter"
! filtered vu1 && ! filtered vu2 || die "the filter = no network's guests came up filtered"

ip tuntap add dev bq4 mode tap && ip tuntap add dev bq5 mode tap && ip tuntap add dev bq6 mode tap &&
	ip tuntap add dev bq7 mode tap || die "cannot create TAPs"
ip link add br1 type bridge && ip link set br1 up && ip link add br2 type bridge && ip link set br2 up ||
	die "cannot create br1 and br2"
"$B/helpers/qemu-ifup" bq6 br1 && "$B/helpers/qemu-ifup" bq7 br2 || die "qemu-ifup on br1 or br2 failed"
filtered bq6 || die "qemu-ifup left its port on br1 (filter = yes) unfiltered"
! filtered bq7 || die "qemu-ifup filtered its port on br2 (no filter = yes)"
"$B/helpers/qemu-ifdown" bq6 && "$B/helpers/qemu-ifdown" bq7 || die "qemu-ifdown bq6 or bq7 failed"
echo "bench/run.sh: filter: attach ($N_WARM, NAT warm and qemu-ifup)" >&2
run filter-nat -n "$N_WARM" floor="$B/bench/bench-nothing bq4" filtered="$UPF bq4|$DOWNF bq4" unfiltered="$UPU bq5|$DOWNU bq5"
run filter-ifup -n "$N_WARM" floor="$B/bench/bench-nothing bq6" \
	filtered="$B/helpers/qemu-ifup bq6 br1|$B/helpers/qemu-ifdown bq6" \
	unfiltered="$B/helpers/qemu-ifup bq7 br2|$B/helpers/qemu-ifdown bq7"

echo "bench/run.sh: filter: throughput ($N_TPUT rounds of ${T_TPUT} s iperf3 TCP each, interleaved)" >&2
# Each network's second guest serves (bench/tput-lib.sh).
tput_serve vf2 "$G_vf2" vu2 "$G_vu2"
# The guests reach each other (ARP passes the filter; the first frames
# teach the ports their MACs).
tput_reaches "$G_vu1" 10.0.81.12 || die "the filter = no network's guests cannot reach each other"
tput_reaches "$G_vf1" 10.0.76.12 ||
	die "the default network's guests cannot reach each other: are their host = addresses allowed? $(nft list set bridge qnet "ip4-$(cat /sys/class/net/qnetbr0/ifindex)" 2>&1 | tr -s '\n\t' '  ')"
tput_rounds throughput "$N_TPUT" "$T_TPUT" "$RESULTS" \
	filtered "$G_vf1" 10.0.76.12 unfiltered "$G_vu1" 10.0.81.12 || die "cannot read iperf3's results"
jq -e 'select(.section == "throughput" and .failed > 0)' "$RESULTS" >/dev/null &&
	echo "bench/run.sh: warning: failures in throughput" >&2
tput_stop
for g in vf1 vf2; do "$DOWNF" "$g"; done
for g in vu1 vu2; do "$DOWNU" "$g"; done

# --- overlay: two guests across hosts over VXLAN beside the same pair on one ---
echo "bench/run.sh: overlay: throughput ($N_TPUT rounds of ${T_TPUT} s iperf3 TCP each, interleaved)" >&2
bash "$SRC/bench/overlay.sh" "$N_TPUT" "$T_TPUT" "$RESULTS" || die "bench/overlay.sh failed"

base=$(ip -o link show | wc -l) # lo, br0 and the TAPs above
for n in "${SCALE[@]}"; do
	echo "bench/run.sh: scale: $n other links" >&2
	have=$(ip -o link show | wc -l)
	want=$((base + n))
	if [ "$have" -lt "$want" ]; then
		seq "$have" $((want - 1)) | sed 's/^/link add qb/; s/$/ type bridge/' | ip -batch - ||
			die "cannot create $n bridges"
	fi
	run "scale-$n" -n "$N_SCALE" -r "$DETACH" \
		floor="$B/bench/bench-nothing bq0" ours="$B/helpers/qemu-ifup bq0"
done
# The extra links go with the namespace (the kernel removes them after we exit).

# --- scale: routes, NAT networks, forwards, a crowd of guests ---
# ns_env DIR: the words that give a command the qnet.conf, run-state and
# state directories under DIR (bench-spawn's VAR=VALUE words, env(1)'s).
ns_env() { printf 'QNET_CONFDIR=%s/etc QNET_RUNDIR=%s/run QNET_STATEDIR=%s/state' "$1" "$1" "$1"; }
# inst NAME: qemu-ifup-nat@NAME and qemu-ifdown-nat@NAME in $T_TMP.
inst() {
	[ -e "$T_TMP/qemu-ifup-nat@$1" ] && return 0
	ln -s "$UPNAT" "$T_TMP/qemu-ifup-nat@$1" && ln -s "$DOWNNAT" "$T_TMP/qemu-ifdown-nat@$1" ||
		die "cannot link the $1 instances"
}

# routes: the same attach in two namespaces alike (br0 with the default
# route, a TAP) but for N_ROUTES more /24s via the gateway in the second's
# main table, a full BGP table on a hypervisor. Two namespaces, not one
# measured before and after adding the routes, so that one bench-spawn
# run interleaves them (its "@PATH" word: each child joins its namespace
# before execv, the same few microseconds for both).
echo "bench/run.sh: routes: attach with 0 and $N_ROUTES routes in the main table ($N_SCALE calls each)" >&2
route_ns() {
	local pid
	t_new_ns pid
	printf -v "$1" %s "$pid"
	t_in_ns "$pid" ip -batch - <<-EOF || die "cannot set up the namespace $1"
	link add br0 type bridge
	addr add 10.77.0.1/24 dev br0
	link set br0 up
	route add default via 10.77.0.254 dev br0 onlink
	tuntap add dev bq0 mode tap
	EOF
}
route_ns R_NONE
route_ns R_MANY
# 16.0.0.0/24, 16.0.1.0/24, ...: public-looking prefixes, as a BGP table's
# are, in a namespace that sends nothing anywhere.
awk -v n="$N_ROUTES" 'BEGIN { for (i = 0; i < n; i++)
	printf "route add %d.%d.%d.0/24 via 10.77.0.254 dev br0\n", 16 + int(i / 65536), int(i / 256) % 256, i % 256 }' |
	t_in_ns "$R_MANY" ip -batch - || die "cannot add $N_ROUTES routes"
have=$(t_in_ns "$R_MANY" ip -4 route show table main | wc -l)
[ "$have" -gt "$N_ROUTES" ] || die "the routes namespace has $have routes, not $N_ROUTES and more"
RN="@/proc/$R_NONE/ns/net" RM="@/proc/$R_MANY/ns/net"
run routes -n "$N_SCALE" \
	floor-none="$RN $B/bench/bench-nothing bq0" ours-none="$RN $B/helpers/qemu-ifup bq0|$RN $DETACH" \
	floor-routes="$RM $B/bench/bench-nothing bq0" ours-routes="$RM $B/helpers/qemu-ifup bq0|$RM $DETACH"
kill "$R_NONE" "$R_MANY" 2>/dev/null

# nets: a warm attach to network n0 in a namespace where it is the only
# NAT network (configured and up) and in one where N_NETS are, each
# network with a guest's TAP keeping it up. Each namespace has a qnet.conf
# and run-state of its own (bench-spawn's VAR=VALUE words), so the two
# interleave in one run like the routes above.
echo "bench/run.sh: nets: NAT warm attach with 1 and $N_NETS networks up ($N_WARM calls each)" >&2
nets_ns() { # VAR COUNT
	local pid dir=$T_TMP/nets-$2 k
	t_new_ns pid
	printf -v "$1" %s "$pid"
	t_on_exit "t_reap_ns $pid"
	mkdir -p "$dir/etc" "$dir/run" "$dir/state" || die "cannot make $dir"
	for ((k = 0; k < $2; k++)); do
		inst "n$k"
		printf '[network n%d]\nsubnet = 10.1.%d.0/24\n\n' "$k" "$k"
	done >"$dir/etc/qnet.conf"
	for ((k = 0; k < $2; k++)); do
		t_in_ns "$pid" ip tuntap add dev "t$k" mode tap &&
			t_in_ns "$pid" env $(ns_env "$dir") "$T_TMP/qemu-ifup-nat@n$k" "t$k" ||
			die "qemu-ifup-nat@n$k t$k failed in the namespace of $2 networks"
	done
	t_in_ns "$pid" ip tuntap add dev wq mode tap || die "cannot create a TAP"
}
nets_ns N_ONE 1
nets_ns N_MANY "$N_NETS"
up=$(t_in_ns "$N_MANY" ip -o link show type bridge | wc -l)
[ "$up" = "$N_NETS" ] || die "$up bridges up in the namespace of $N_NETS networks"
E1="@/proc/$N_ONE/ns/net $(ns_env "$T_TMP/nets-1")" EM="@/proc/$N_MANY/ns/net $(ns_env "$T_TMP/nets-$N_NETS")"
run nets -n "$N_WARM" \
	floor-one="$E1 $B/bench/bench-nothing wq" warm-one="$E1 $T_TMP/qemu-ifup-nat@n0 wq|$E1 $T_TMP/qemu-ifdown-nat@n0 wq" \
	floor-many="$EM $B/bench/bench-nothing wq" warm-many="$EM $T_TMP/qemu-ifup-nat@n0 wq|$EM $T_TMP/qemu-ifdown-nat@n0 wq"
for pair in "N_ONE 1" "N_MANY $N_NETS"; do
	set -- $pair
	pid=${!1}
	for ((k = 0; k < $2; k++)); do
		t_in_ns "$pid" env $(ns_env "$T_TMP/nets-$2") "$T_TMP/qemu-ifdown-nat@n$k" "t$k" ||
			echo "bench/run.sh: warning: qemu-ifdown-nat@n$k t$k failed" >&2
	done
	t_reap_ns "$pid"
	kill "$pid" 2>/dev/null
done

# forwards: a cold bring-up (and, -T, the teardown after its last guest)
# of a network with 1 forward and of one with N_FWD, each with a qnet.conf
# of its own, so that neither parses the other's forwards.
echo "bench/run.sh: forwards: NAT cold bring-up with 1 and $N_FWD forwards ($N_COLD each)" >&2
fwd_conf() { # NAME SUBNET-PREFIX COUNT
	mkdir -p "$T_TMP/fwd-$1/etc" || die "cannot make $T_TMP/fwd-$1"
	{
		printf '[network %s]\nsubnet = %s.0/24\nsubnet6 = none\n' "$1" "$2"
		awk -v n="$3" -v g="$2.10" 'BEGIN { for (i = 0; i < n; i++) printf "forward = tcp %d %s:%d\n", 20000 + i, g, 80 + i % 1000 }'
	} >"$T_TMP/fwd-$1/etc/qnet.conf"
	inst "$1"
}
fwd_conf fw1 10.0.90 1
fwd_conf fwn 10.0.91 "$N_FWD"
ip tuntap add dev bq8 mode tap && ip tuntap add dev bq9 mode tap || die "cannot create TAPs"
F1="QNET_CONFDIR=$T_TMP/fwd-fw1/etc" FN="QNET_CONFDIR=$T_TMP/fwd-fwn/etc"
env "$FN" "$T_TMP/qemu-ifup-nat@fwn" bq9 || die "qemu-ifup-nat@fwn (with $N_FWD forwards) failed"
# Measure what the names say: its table has the last forward's port.
last=$((20000 + N_FWD - 1))
nft list table inet qnet-fwn | grep -qw "$last"
has=$?
env "$FN" "$T_TMP/qemu-ifdown-nat@fwn" bq9 || die "qemu-ifdown-nat@fwn failed"
[ "$has" = 0 ] || die "the network with $N_FWD forwards came up without its forward of port $last"
run forwards -n "$N_COLD" -w 1 -T \
	one="$F1 $T_TMP/qemu-ifup-nat@fw1 bq8|$F1 $T_TMP/qemu-ifdown-nat@fw1 bq8" \
	many="$FN $T_TMP/qemu-ifup-nat@fwn bq9|$FN $T_TMP/qemu-ifdown-nat@fwn bq9"

# crowd: N_CROWD guests starting at once on one network that is up (a
# guest keeps it up), against the same N_CROWD attaching one after
# another, rounds alternating (ABBA); after each, all are detached again,
# untimed. Both are bench-crowd: fork+exec as QEMU does, bounded waits.
echo "bench/run.sh: crowd: $N_CROWD guests at once and one after another ($N_CROWD_ROUNDS rounds each)" >&2
printf '\n[network crowd]\nsubnet = 10.0.92.0/22\n' >>"$QNET_CONFDIR/qnet.conf"
inst crowd
ip tuntap add dev cq0 mode tap || die "cannot create a TAP"
CROWD=()
for ((k = 1; k <= N_CROWD; k++)); do CROWD+=("cg$k"); done
printf 'tuntap add dev %s mode tap\n' "${CROWD[@]}" | ip -batch - || die "cannot create $N_CROWD TAPs"
"$T_TMP/qemu-ifup-nat@crowd" cq0 || die "qemu-ifup-nat@crowd cq0 failed"
: >"$T_TMP/crowd.jsonl"
crowd_round() { # NAME PARALLEL
	local out ports
	out=$("$B/bench/bench-crowd" -j "$2" -t 120 "$1" "$T_TMP/qemu-ifup-nat@crowd" "${CROWD[@]}") ||
		die "bench-crowd failed ($1)"
	printf '%s\n' "$out" >>"$T_TMP/crowd.jsonl"
	# The bench's own check: every guest's TAP is a port of the bridge.
	ports=$(ip -o link show master qnet-crowd | grep -c ' cg[0-9]*:')
	[ "$ports" = "$N_CROWD" ] || die "$1: $ports of $N_CROWD TAPs are ports of qnet-crowd: $(printf '%s' "$out")"
	"$B/bench/bench-crowd" -j 1 -t 120 detach "$T_TMP/qemu-ifdown-nat@crowd" "${CROWD[@]}" |
		jq -e '.failed == 0' >/dev/null || die "qemu-ifdown-nat of the crowd failed"
}
for ((i = 0; i < N_CROWD_ROUNDS; i++)); do
	if [ $((i % 2)) = 0 ]; then
		crowd_round sequential 1; crowd_round concurrent "$N_CROWD"
	else
		crowd_round concurrent "$N_CROWD"; crowd_round sequential 1
	fi
done
"$T_TMP/qemu-ifdown-nat@crowd" cq0 || echo "bench/run.sh: warning: qemu-ifdown-nat@crowd cq0 failed" >&2
jq -sc 'group_by(.name)[] | (map(.wall_us) | sort) as $w | (map(.cpu_us) | sort) as $c
	| {section: "crowd", name: .[0].name, guests: .[0].guests, rounds: length, failed: (map(.failed) | add),
	   wall_median_us: ($w | .[(length - 1) / 2 | floor]), wall_p95_us: $w[-1],
	   cpu_median_us: ($c | .[(length - 1) / 2 | floor]), cpu_p95_us: $c[-1], maxrss_kb: (map(.maxrss_kb) | max)}' \
	"$T_TMP/crowd.jsonl" >>"$RESULTS" || die "cannot read bench-crowd's results"

# peer: the same bring-up with Debian's netavark (podman's network stack):
# a bridge with masquerade and N port mappings, `netavark setup` of a
# container namespace, beside qnet's cold qemu-ifup-nat with N forwards,
# and (-T) each one's teardown. netavark starts no DHCP server: "nodns"
# is qnet with dnsmasq replaced by bench-dnsmasq-stub, which daemonises
# at once, so it shows qnet's own cost without dnsmasq's start-up (the
# stub's fork+exec still in it). netavark's firewall driver is iptables
# (1.4 has no nftables driver; Debian's iptables is iptables-nft), and it
# is kept off the system bus (firewalld's, were one running, is the
# host's): DBUS_SYSTEM_BUS_ADDRESS points nowhere and /run/dbus is
# empty here. netavark runs one iptables process per rule, so at N_PEER
# its rounds take minutes: fewer of them, and no warm-up.
echo "bench/run.sh: peer: netavark and qnet with 1 ($N_PEER_ROUNDS1 rounds) and $N_FWD port mappings ($N_PEER_ROUNDSN)" >&2
[ -d /run/dbus ] && { mount -t tmpfs -o mode=755 tmpfs /run/dbus || die "cannot hide /run/dbus"; }
NV=/usr/lib/podman/netavark
t_new_ns NVC
mkdir -p "$T_TMP/netavark" "$T_TMP/nodns" || die "cannot make netavark's directory"
cp "$B/bench/bench-dnsmasq-stub" "$T_TMP/nodns/dnsmasq" || die "cannot copy the dnsmasq stub"
nv_json() { # COUNT FILE
	jq -n --argjson n "$1" '{container_id: "51c0de5e0f6d6c8f0a9c1d6d2b1e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e", container_name: "bench",
		port_mappings: [range(0; $n) | {host_ip: "", container_port: (80 + . % 1000), host_port: (30000 + .), range: 1, protocol: "tcp"}],
		networks: {bench: {static_ips: ["10.88.0.10"], interface_name: "eth0"}},
		network_info: {bench: {name: "bench", id: "2f259bab93aaaaa2542ba43ef33eb990d0999ee1b9924b557b7be53c0b7a1bb9",
			driver: "bridge", network_interface: "nvbr0", subnets: [{subnet: "10.88.0.0/24", gateway: "10.88.0.1"}],
			ipv6_enabled: false, internal: false, dns_enabled: false, ipam_options: {driver: "host-local"}}}}' >"$2"
}
nv_json 1 "$T_TMP/netavark/one.json"
nv_json "$N_FWD" "$T_TMP/netavark/many.json"
NVENV="NETAVARK_FW=iptables DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent"
nv() { printf '%s %s --config %s --file %s %s /proc/%s/ns/net' "$NVENV" "$NV" "$T_TMP/netavark" "$T_TMP/netavark/$1.json" "$2" "$NVC"; }
# Measure what the names say: masquerade and every port mapping there,
# then nothing left after the teardown.
env $NVENV "$NV" --config "$T_TMP/netavark" --file "$T_TMP/netavark/one.json" setup "/proc/$NVC/ns/net" >/dev/null ||
	die "netavark setup failed"
iptables-save -t nat | grep -q MASQUERADE && iptables-save -t nat | grep -q 'dport 30000 .*DNAT' ||
	die "netavark set up no masquerade or port mapping: $(iptables-save -t nat | head -c 400)"
env $NVENV "$NV" --config "$T_TMP/netavark" --file "$T_TMP/netavark/one.json" teardown "/proc/$NVC/ns/net" >/dev/null ||
	die "netavark teardown failed"
! link_exists nvbr0 || die "netavark teardown left its bridge"
NODNS="QNET_DNSMASQ=$T_TMP/nodns/dnsmasq"
run peer-1 -n "$N_PEER_ROUNDS1" -w 1 -T \
	netavark="$(nv one setup)|$(nv one teardown)" \
	qnet="$F1 $T_TMP/qemu-ifup-nat@fw1 bq8|$F1 $T_TMP/qemu-ifdown-nat@fw1 bq8" \
	nodns="$F1 $NODNS $T_TMP/qemu-ifup-nat@fw1 bq8|$F1 $NODNS $T_TMP/qemu-ifdown-nat@fw1 bq8"
run peer-n -n "$N_PEER_ROUNDSN" -w 0 -T \
	netavark="$(nv many setup)|$(nv many teardown)" \
	qnet="$FN $T_TMP/qemu-ifup-nat@fwn bq9|$FN $T_TMP/qemu-ifdown-nat@fwn bq9" \
	nodns="$FN $NODNS $T_TMP/qemu-ifup-nat@fwn bq9|$FN $NODNS $T_TMP/qemu-ifdown-nat@fwn bq9"
n=$(iptables-save -t nat | grep -c 'dport 3[0-9]* ')
[ "$n" = 0 ] || echo "bench/run.sh: warning: netavark's teardown left $n port mapping rules" >&2

# --- report ---
machine=$(jq -n --arg cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)" \
	--arg kernel "$(uname -r)" --argjson nproc "$(nproc)" \
	--arg date "$(date -u +%Y-%m-%dT%H:%MZ)" \
	--arg buildtype "$(meson introspect --buildoptions "$B" 2>/dev/null | jq -r '.[] | select(.name == "buildtype") | .value')" \
	'{date: $date, cpu: $cpu, nproc: $nproc, kernel: $kernel, buildtype: $buildtype}')
params=$(jq -n --argjson routes "$N_ROUTES" --argjson nets "$N_NETS" --argjson forwards "$N_FWD" \
	--argjson crowd "$N_CROWD" '{routes: $routes, nets: $nets, forwards: $forwards, crowd: $crowd}')
JSON=$(jq -s --argjson machine "$machine" --argjson quick "$QUICK" --argjson params "$params" -f "$SRC/bench/report.jq" "$RESULTS") ||
	die "cannot compute the report"

printf '%s' "$JSON" | jq -r '.params as $params | def ms: . / 1000 * 100 | round / 100;
	def n2: if . == null then "-" else . * 100 | round / 100 end;
	def gbit: if . == null then "-" else . / 1e9 * 100 | round / 100 end;
	"qnet benchmarks, \(.machine.date), \(.machine.cpu) x\(.machine.nproc), Linux \(.machine.kernel), buildtype \(.machine.buildtype)\(if .quick == 1 then " (--quick: too few rounds to trust)" else "" end)",
	"",
	"| section | candidate | median ms | p95 ms | CPU median ms | CPU p95 ms | peak RSS kB | failed |",
	"|---|---|---:|---:|---:|---:|---:|---:|",
	(.results[] | select(.wall_median_us) | "| \(.section) | \(.name) | \(.wall_median_us | ms) | \(.wall_p95_us | ms) | \(.cpu_median_us | ms) | \(.cpu_p95_us | ms) | \(.maxrss_kb) | \(.failed) |"),
	"",
	"| section | candidate | median Gbit/s | min Gbit/s | max Gbit/s | rounds | s each | failed |",
	"|---|---|---:|---:|---:|---:|---:|---:|",
	(.results[] | select(.section == "throughput" or .section == "overlay") | "| \(.section) | \(.name) | \(.bps_median | gbit) | \(.bps[0] | gbit) | \(.bps[-1] | gbit) | \(.rounds) | \(.seconds) | \(.failed) |"),
	"",
	"| target | value | limit | |",
	"|---|---:|---:|---|",
	(.targets[] | "| \(.name) | \(if .value == null then "-" elif .value < 0.1 and .value > 0 then .value * 10000 | round / 10000 else .value * 100 | round / 100 end) | \(.op) \(.limit) | \(if .met then "met" else "NOT met" end) |"),
	"",
	"Targets that depend on the cost of a process start, in work beyond their section'"'"'s spawn floor (median ms minus the floor'"'"'s); \"share\" is that work over the reference'"'"'s (Debian'"'"'s /etc/qemu-ifup, \(.info.debian_beyond_floor_ms | n2) ms here; for the helper QEMU'"'"'s, beyond the kernel floor):",
	"",
	"| target | floor ms | beyond floor ms | compared with, beyond floor ms | ratio beyond floor | over floor | share of reference |",
	"|---|---:|---:|---:|---:|---:|---:|",
	(.targets[] | select(.beyond) | .beyond as $b | "| \(.name) | \($b.floor_ms | n2) | \($b.ms | n2) | \($b.base_ms | n2) | \($b.ratio | n2) | \($b.over_floor | n2) | \($b.of_reference | n2) |"),
	"",
	"netavark beside qnet (median wall / CPU ms, peak RSS kB; -down is the teardown; nodns is qnet with a dnsmasq stub: netavark runs no DHCP server):",
	"",
	"| ports | candidate | wall ms | CPU ms | peak RSS kB |",
	"|---:|---|---:|---:|---:|",
	(.info.peer | to_entries[] | (.key | split("/")) as [$s, $n] | "| \(if $s == "peer-1" then 1 else $params.forwards end) | \($n) | \(.value.wall_ms | n2) | \(.value.cpu_ms | n2) | \(.value.maxrss_kb) |"),
	"",
	"Beyond the spawn floor, median ms: qemu-ifup start-up alone \(.info.ifup_ms_beyond_floor.start * 100 | round / 100), qemu-ifup \(.info.ifup_ms_beyond_floor.ours * 100 | round / 100), tutorial \(.info.ifup_ms_beyond_floor.tutorial * 100 | round / 100), Debian'"'"'s \(.info.ifup_ms_beyond_floor.debian * 100 | round / 100).",
	"NAT cold bring-up \(.info.nat_cold_ms * 100 | round / 100) ms dual-stack (\(.info.nat_cold_over_ifup * 10 | round / 10)x plain qemu-ifup), \(.info.nat_cold_ipv4_ms * 100 | round / 100) ms IPv4-only; warm attach \(.info.nat_warm_ms * 100 | round / 100) ms.",
	"Filtering adds \(.info.filter_ms_added.nat.wall * 100 | round / 100) ms (CPU \(.info.filter_ms_added.nat.cpu * 100 | round / 100) ms) to a NAT warm attach, \(.info.filter_ms_added.ifup.wall * 100 | round / 100) ms (CPU \(.info.filter_ms_added.ifup.cpu * 100 | round / 100) ms) to qemu-ifup'"'"'s; throughput filtered \(.info.throughput_gbit.filtered * 100 | round / 100) Gbit/s, unfiltered \(.info.throughput_gbit.unfiltered * 100 | round / 100) Gbit/s.",
	"An overlay network across two hosts (VXLAN over a veth underlay) keeps \(.info.overlay_two_hosts_over_one | n2)x the goodput of the same two guests on one host: \(.info.overlay_gbit.two_hosts | n2) Gbit/s against \(.info.overlay_gbit.one_host | n2)."'
echo
if [ -n "$JSON_OUT" ]; then
	printf '%s\n' "$JSON" >"$JSON_OUT"
else
	printf '%s\n' "$JSON"
fi
