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
	-h|--help) sed -n '3,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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

B=$QNET_BUILD
SPAWN=$B/bench/bench-spawn
IP=$(command -v ip)
if [ "$QUICK" = 1 ]; then N_HELPER=10 N_IFUP=20 N_SCALE=20 N_COLD=3 N_WARM=10 SCALE=(0 100)
else N_HELPER=200 N_IFUP=300 N_SCALE=200 N_COLD=50 N_WARM=200 SCALE=(0 1000 4000); fi

die() { echo "bench/run.sh: $*" >&2; exit 1; }
for f in "$SPAWN" "$B/bench/bench-nothing" "$B/bench/bench-tapfloor" "$B/helpers/qemu-ifup" \
	/usr/lib/qemu/qemu-bridge-helper /etc/qemu-ifup /usr/sbin/brctl /usr/sbin/dnsmasq /usr/sbin/nft; do
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
run nat-warm -n "$N_WARM" \
	warm="$UPNAT bq1|$DOWNNAT bq1" ifup="$B/helpers/qemu-ifup bq0|$DETACH"
"$DOWNNAT" bq2

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

# --- report ---
machine=$(jq -n --arg cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)" \
	--arg kernel "$(uname -r)" --argjson nproc "$(nproc)" \
	--arg date "$(date -u +%Y-%m-%dT%H:%MZ)" \
	--arg buildtype "$(meson introspect --buildoptions "$B" 2>/dev/null | jq -r '.[] | select(.name == "buildtype") | .value')" \
	'{date: $date, cpu: $cpu, nproc: $nproc, kernel: $kernel, buildtype: $buildtype}')
JSON=$(jq -s --argjson machine "$machine" --argjson quick "$QUICK" -f "$SRC/bench/report.jq" "$RESULTS") ||
	die "cannot compute the report"

printf '%s' "$JSON" | jq -r 'def ms: . / 1000 * 100 | round / 100;
	"qnet benchmarks, \(.machine.date), \(.machine.cpu) x\(.machine.nproc), Linux \(.machine.kernel), buildtype \(.machine.buildtype)\(if .quick == 1 then " (--quick: too few rounds to trust)" else "" end)",
	"",
	"| section | candidate | median ms | p95 ms | CPU median ms | CPU p95 ms | peak RSS kB | failed |",
	"|---|---|---:|---:|---:|---:|---:|---:|",
	(.results[] | "| \(.section) | \(.name) | \(.wall_median_us | ms) | \(.wall_p95_us | ms) | \(.cpu_median_us | ms) | \(.cpu_p95_us | ms) | \(.maxrss_kb) | \(.failed) |"),
	"",
	"| target | value | limit | |",
	"|---|---:|---:|---|",
	(.targets[] | "| \(.name) | \(.value * 100 | round / 100) | \(.op) \(.limit) | \(if .met then "met" else "NOT met" end) |"),
	"",
	"Beyond the spawn floor, median ms: qemu-ifup start-up alone \(.info.ifup_ms_beyond_floor.start * 100 | round / 100), qemu-ifup \(.info.ifup_ms_beyond_floor.ours * 100 | round / 100), tutorial \(.info.ifup_ms_beyond_floor.tutorial * 100 | round / 100), Debian'"'"'s \(.info.ifup_ms_beyond_floor.debian * 100 | round / 100).",
	"NAT cold bring-up \(.info.nat_cold_ms * 100 | round / 100) ms dual-stack (\(.info.nat_cold_over_ifup * 10 | round / 10)x plain qemu-ifup), \(.info.nat_cold_ipv4_ms * 100 | round / 100) ms IPv4-only; warm attach \(.info.nat_warm_ms * 100 | round / 100) ms."'
echo
if [ -n "$JSON_OUT" ]; then
	printf '%s\n' "$JSON" >"$JSON_OUT"
else
	printf '%s\n' "$JSON"
fi
