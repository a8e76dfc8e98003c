# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the shell tests: TAP output, a private network namespace, a
# scratch directory, bounded waits. Source it first thing:
#   . "$(dirname "$0")/../lib.sh"; t_netns "$@"
# Environment from meson: QNET_BUILD (build root), QNET_SRC (source root).
set -u

: "${QNET_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${QNET_BUILD:=$QNET_SRC/build}"
T_N=0
T_FAILED=0

t_ok()   { T_N=$((T_N + 1)); echo "ok $T_N - $*"; }
t_fail() { T_N=$((T_N + 1)); T_FAILED=$((T_FAILED + 1)); echo "not ok $T_N - $*"; }
t_diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
# t_check DESC CMD...: passes when CMD exits 0. CMD's stdout (jq -e prints
# "true") would break the TAP stream, so it goes to stderr.
t_check() { local d=$1; shift; if "$@" >&2; then t_ok "$d"; else t_fail "$d"; fi; }
# t_check_fail DESC CMD...: passes when CMD exits non-zero.
t_check_fail() { local d=$1; shift; if "$@" >&2; then t_fail "$d"; else t_ok "$d"; fi; }
# t_eq DESC EXPECTED ACTUAL
t_eq() {
	if [ "$2" = "$3" ]; then t_ok "$1"; else t_fail "$1"; t_diag "expected: $2" "actual:   $3"; fi
}
# t_match DESC REGEX TEXT (extended regex, whole text)
t_match() {
	if printf '%s' "$3" | grep -Eq -- "$2"; then t_ok "$1"; else t_fail "$1"; t_diag "wanted /$2/ in:" "$3"; fi
}
# t_expect_error DESC REGEX CMD...: CMD fails the way our programs must on
# bad input: exit status 1 and exactly one line, matching REGEX.
t_expect_error() {
	local desc=$1 re=$2 out rc; shift 2
	out=$("$@" 2>&1); rc=$?
	if [ "$rc" = 1 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && printf '%s' "$out" | grep -Eq -- "$re"; then
		t_ok "$desc"
	else
		t_fail "$desc"; t_diag "rc=$rc" "$out"
	fi
}
# A skip is a hole in coverage: under CI it fails the run.
t_skip_all() {
	if [ "${CI:-}" = true ]; then echo "1..1"; echo "not ok 1 - skipped under CI: $*"; exit 1; fi
	echo "1..0 # SKIP $*"; exit 77
}
t_done() { echo "1..$T_N"; [ "$T_FAILED" -eq 0 ]; exit $?; }

# Re-run the calling script in a new network namespace (and a private mount
# namespace, so bind mounts over /etc/qemu or /run never reach the host).
t_netns() {
	if [ "${QNET_IN_TEST_NETNS:-}" != 1 ]; then
		[ "$(id -u)" = 0 ] || t_skip_all "needs root for network namespaces"
		command -v unshare >/dev/null || t_skip_all "unshare missing"
		QNET_IN_TEST_NETNS=1 exec unshare --net --mount --propagation private -- bash "$0" "$@"
	fi
	ip link set lo up
	T_TMP=$(mktemp -d /tmp/qnet-test.XXXXXX)
	chmod 755 "$T_TMP"
	export QNET_CONFDIR=$T_TMP/etc QNET_RUNDIR=$T_TMP/run QNET_STATEDIR=$T_TMP/state
	# What our programs start from libexecdir (dnsmasq's --dhcp-script,
	# qnet-dhcp-event) is the build's, not an installed copy.
	export QNET_LIBEXECDIR=$QNET_BUILD/helpers
	mkdir -p "$QNET_CONFDIR" "$QNET_RUNDIR" "$QNET_STATEDIR"
	trap 't_cleanup' EXIT
}

T_CLEANUP=()
t_on_exit() { T_CLEANUP+=("$*"); }
t_cleanup() {
	local i ns p
	for ((i = ${#T_CLEANUP[@]} - 1; i >= 0; i--)); do eval "${T_CLEANUP[$i]}" >/dev/null 2>&1 || true; done
	# A test that failed half-way may leave a daemon of ours (dnsmasq) in
	# its namespace, keeping it alive: nothing in it outlives the test.
	if [ "${QNET_IN_TEST_NETNS:-}" = 1 ]; then
		ns=$(readlink /proc/$$/ns/net)
		for p in /proc/[0-9]*; do
			p=${p#/proc/}
			[ "$p" = $$ ] || [ "$p" = "$BASHPID" ] && continue
			[ "$(readlink "/proc/$p/ns/net" 2>/dev/null)" = "$ns" ] && kill "$p" 2>/dev/null
		done
	fi
	[ -n "${T_TMP:-}" ] && rm -rf "$T_TMP"
}

# t_wait SECONDS CMD...: poll CMD every 50 ms until it succeeds or time runs out.
t_wait() {
	local deadline=$((SECONDS + $1)); shift
	while ! "$@"; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

# t_pid_state PID: the state letter in /proc/PID/stat (R, S, D, Z, ...),
# empty if there is no such process. The name before it may hold spaces
# and ')', so the state follows the last ") ", as lib/proc.c reads it.
t_pid_state() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	s=${s##*) }
	echo "${s%% *}"
}
# t_pid_dead PID: PID has finished dying: it is gone or a zombie (what
# lib/proc.c calls not alive). Wait for this after a kill, not for the
# process to drop out of t_ns_pids: a killed process loses its command
# line and namespaces early in its exit, then runs on in the kernel for
# milliseconds (closing its files, its sockets still bound) before it is
# a zombie, and qnet rightly still sees it as running.
t_pid_dead() {
	case $(t_pid_state "$1") in
	'' | Z | X | x) return 0 ;;
	*) return 1 ;;
	esac
}

# Pids of processes whose command line matches the extended regex $1 and
# that live in this test's network namespace: tests run in parallel, each
# in its own namespace, and must not see each other's processes. Zombies
# (an orphaned daemon's exit not yet reaped by PID 1) do not count.
t_ns_pids() {
	local ns p
	ns=$(readlink /proc/$$/ns/net)
	for p in $(pgrep -f -- "$1"); do
		[ "$p" = $$ ] && continue
		[ "$(readlink "/proc/$p/ns/net" 2>/dev/null)" = "$ns" ] || continue
		[ "$(t_pid_state "$p")" = Z ] && continue
		echo "$p"
	done
}

# t_ns_daemons REGEX: t_ns_pids REGEX less the children of one of them:
# a dnsmasq with a --dhcp-script forks a helper that runs the script,
# keeps its parent's command line and lives and dies with it.
t_ns_daemons() {
	local pids p s
	pids=$(t_ns_pids "$1")
	for p in $pids; do
		s=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		s=${s##*) }
		s=${s#* } # the state; the parent's pid follows
		printf '%s\n' $pids | grep -qx "${s%% *}" && continue
		echo "$p"
	done
}

# t_new_ns VAR: sets VAR to the pid of a process that holds a new network
# namespace of its own (lo up), killed at exit: a "guest" or an "outside"
# host inside this test's namespace. Locals carry a prefix: VAR is the
# caller's and must not be one of ours.
t_new_ns() {
	local _ns_self _ns_i _ns_pid
	unshare --net -- sleep 600 </dev/null >/dev/null 2>&1 &
	_ns_pid=$!
	t_on_exit "kill $_ns_pid"
	_ns_self=$(readlink /proc/self/ns/net)
	for ((_ns_i = 0; _ns_i < 100; _ns_i++)); do
		[ "$(readlink "/proc/$_ns_pid/ns/net" 2>/dev/null)" != "$_ns_self" ] && break
		sleep 0.02
	done
	nsenter "--net=/proc/$_ns_pid/ns/net" -- ip link set lo up
	printf -v "$1" %s "$_ns_pid"
}
# t_reap_ns PID: kill every process in PID's network namespace but PID.
# What a namespace of t_new_ns started (a host's dnsmasq) keeps it alive,
# and t_cleanup only looks in the test's own, so a test that stops
# half-way would leave it running.
t_reap_ns() {
	local _rn_ns _rn_p
	_rn_ns=$(readlink "/proc/$1/ns/net") || return 0
	for _rn_p in /proc/[0-9]*; do
		_rn_p=${_rn_p#/proc/}
		[ "$_rn_p" = "$1" ] && continue
		[ "$(readlink "/proc/$_rn_p/ns/net" 2>/dev/null)" = "$_rn_ns" ] && kill "$_rn_p" 2>/dev/null
	done
	return 0
}
# t_outside VAR HOST OUT: sets VAR to a new "outside" namespace (t_new_ns)
# joined to this one by a veth, qout0 here with HOST/24, qout1 there with
# OUT/24, and this namespace's default route through OUT.
t_outside() {
	local _out_pid
	t_new_ns _out_pid
	ip link add qout0 type veth peer name qout1
	ip link set qout1 netns "$_out_pid"
	ip addr add "$2/24" dev qout0
	ip link set qout0 up
	nsenter "--net=/proc/$_out_pid/ns/net" -- ip addr add "$3/24" dev qout1
	nsenter "--net=/proc/$_out_pid/ns/net" -- ip link set qout1 up
	ip route add default via "$3" dev qout0
	printf -v "$1" %s "$_out_pid"
}
# t_veth_guest N MAC: a guest namespace (t_new_ns), its pid in G<N>, whose
# eth0 (MAC, up) is the peer of vg<N> here, which is attached to nothing
# yet. Locals carry a prefix, as in t_new_ns.
t_veth_guest() {
	local _vg_pid
	t_new_ns _vg_pid
	printf -v "G$1" %s "$_vg_pid"
	ip link add "vg$1" type veth peer name eth0 netns "$_vg_pid"
	t_in_ns "$_vg_pid" ip link set eth0 address "$2"
	t_in_ns "$_vg_pid" ip link set eth0 up
}
# t_udhcpc_script FILE: a script for busybox udhcpc -s that configures the
# lease on its interface and writes "IP/MASK router=R dns=D" to $LEASE_OUT,
# and " mtu=M" after it when the lease has an MTU (udhcpc -O mtu), which
# it gives the interface too.
t_udhcpc_script() {
	cat >"$1" <<'EOF'
#!/bin/sh
case $1 in
bound|renew)
	ip -4 addr flush dev "$interface"
	ip addr add "$ip/$mask" dev "$interface"
	[ -n "$mtu" ] && ip link set "$interface" mtu "$mtu"
	ip route replace default via "${router%% *}" dev "$interface"
	echo "$ip/$mask router=$router dns=$dns${mtu:+ mtu=$mtu}" >"$LEASE_OUT.new"
	mv -f "$LEASE_OUT.new" "$LEASE_OUT" ;; # a reader never sees it half-written
deconfig) ip -4 addr flush dev "$interface" ;;
esac
exit 0
EOF
	chmod 755 "$1"
}
# t_in_ns PID CMD...: CMD in the network namespace of PID.
t_in_ns() { local pid=$1; shift; nsenter "--net=/proc/$pid/ns/net" -- "$@"; }
# t_serve PID SOCAT-ARGS...: a socat server in namespace PID, in the
# background, killed at exit; nsenter execs it, so the pid killed is the
# server's own. Its errors go to $T_TMP/servers.log.
t_serve() {
	local pid=$1; shift
	nsenter "--net=/proc/$pid/ns/net" -- socat "$@" </dev/null >/dev/null 2>>"$T_TMP/servers.log" &
	t_on_exit "kill $!"
}
# t_listens PID PORT: something in namespace PID listens on PORT (TCP or UDP).
t_listens() { t_in_ns "$1" ss -Hlntu "sport = :$2" | grep -q .; }

# Kernel state read back independently of qnet, through iproute2's JSON.
link_field() { ip -j link show dev "$1" 2>/dev/null | jq -r ".[0].$2 // empty"; }
link_master() { link_field "$1" master; }
link_mtu() { link_field "$1" mtu; }
link_exists() { ip link show dev "$1" >/dev/null 2>&1; }
link_is_up() { ip -j link show dev "$1" | jq -e '.[0].flags | index("UP") != null' >/dev/null; }
bridge_ports() { ip -j link show master "$1" 2>/dev/null | jq -r '.[].ifname' | sort | tr '\n' ' ' | sed 's/ $//'; }
