# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the bridge-helper tests; source after tests/lib.sh and t_netns,
# i.e. inside the test's own network and mount namespace. Nothing here may
# touch the host: every mount below is made in that private namespace.

BH=$QNET_BUILD/helpers/qemu-bridge-helper
HC=$QNET_BUILD/tests/integration/helper-client
SINK=$QNET_BUILD/tests/integration/syslog-sink
SETPRIV=$(command -v setpriv || echo /usr/bin/setpriv)
NOBODY=65534
AUDIO=29 # a group every Debian system has

bh_in_private_ns() {
	[ "${QNET_IN_TEST_NETNS:-}" = 1 ] && [ -n "${T_TMP:-}" ]
}

# bh_bridge NAME [MTU]: a bridge, up.
bh_bridge() {
	ip link add "$1" type bridge && ip link set "$1" mtu "${2:-1500}" up
}

# /etc/qemu becomes $BH_ETC (root-owned, 0755) for this namespace only, so
# setuid and file-capability runs, whose secure_getenv() ignores
# QNET_CONFDIR, read our files. /etc/qemu may not exist on the host: then a
# private overlay of /etc gets it, and the host's /etc is never written.
bh_etc_qemu() {
	bh_in_private_ns || return 1
	BH_ETC=$T_TMP/etc-qemu
	mkdir -p "$BH_ETC" && chmod 755 "$BH_ETC" || return 1
	if [ ! -d /etc/qemu ]; then
		mkdir -p "$T_TMP/etc-up" "$T_TMP/etc-work"
		mount -t overlay qnet-etc \
			-o "lowerdir=/etc,upperdir=$T_TMP/etc-up,workdir=$T_TMP/etc-work" /etc || return 1
		[ "$(stat -f -c %T /etc/)" = overlayfs ] || return 1
		mkdir /etc/qemu || return 1
	fi
	mount --bind "$BH_ETC" /etc/qemu || return 1
	export QNET_CONFDIR=/etc/qemu
}

# The run directory where the helper, setuid or with a file capability,
# looks for the NAT networks that run (secure_getenv() ignores QNET_RUNDIR
# too): $QNET_RUNDIR bound over the built-in /run/qnet for this namespace
# only. Where /run/qnet does not exist, a private tmpfs over /run gets it,
# and the host's /run is never written.
bh_rundir() {
	bh_in_private_ns || return 1
	if [ ! -d /run/qnet ]; then
		mount -t tmpfs -o mode=755 qnet-run /run || return 1
		mkdir /run/qnet || return 1
	fi
	mount --bind "$QNET_RUNDIR" /run/qnet || return 1
	export QNET_RUNDIR=/run/qnet
}

# A /dev/log of our own (syslog-sink) over a private overlay of /dev, so the
# helper's authpriv lines land in $BH_SYSLOG whether or not the host runs a
# syslog daemon. The host's /dev is the overlay's read-only lower layer.
bh_syslog() {
	bh_in_private_ns || return 1
	mkdir -p "$T_TMP/dev-up" "$T_TMP/dev-work"
	mount -t overlay qnet-dev \
		-o "lowerdir=/dev,upperdir=$T_TMP/dev-up,workdir=$T_TMP/dev-work" /dev || return 1
	[ "$(stat -f -c %T /dev/)" = overlayfs ] || return 1
	rm -f /dev/log
	BH_SYSLOG=$T_TMP/syslog
	: >"$BH_SYSLOG"
	"$SINK" /dev/log "$BH_SYSLOG" 600 &
	BH_SINK_PID=$!
	t_on_exit "kill $BH_SINK_PID"
	t_wait 5 test -S /dev/log
}

# The last syslog line mentioning WORD (bounded wait: datagrams are async).
bh_audit_line() {
	local i
	for i in $(seq 1 40); do
		grep -a -- "$1" "$BH_SYSLOG" | tail -n 1 | grep . && return 0
		sleep 0.05
	done
	return 1
}

# Copies of the helper, installed the three ways users install it, in a
# directory an unprivileged uid can reach.
bh_copies() {
	BH_BIN=$T_TMP/bin
	mkdir -p "$BH_BIN" && chmod 755 "$BH_BIN"
	install -m 0755 "$BH" "$BH_BIN/helper-plain"
	install -m 0755 "$BH" "$BH_BIN/helper-cap"
	setcap cap_net_admin+ep "$BH_BIN/helper-cap" || return 1
	install -o root -m 4755 "$BH" "$BH_BIN/helper-suid"
}

# bh_run OUT [client options] -- HELPER ARGS...: run the helper through
# helper-client; key=value lines to OUT, the helper's stderr to OUT.err.
# Returns helper-client's status (0 TAP received, 2 helper failed).
bh_run() {
	local out=$1; shift
	"$HC" "$@" >"$out" 2>"$out.err"
}

# bh_get OUT KEY: a value from helper-client's output.
bh_get() {
	sed -n "s/^$2=//p" "$1" | head -n 1
}

# bh_decide OUT HELPER BRIDGE [unattached]: what HELPER (QEMU's or ours,
# run as we are through helper-client, reading /etc/qemu/bridge.conf)
# decides for BRIDGE, in BH_DECISION: A allowed, D denied by the ACL (or,
# ours, the name refused before it: QEMU refuses 16+ bytes the same way),
# E anything else. E is a test error: a helper failing for another reason
# must never be read as a deny. It is retried once (a loaded CI machine
# made QEMU's helper fail that way once in hundreds of runs) and its
# messages go to stderr. With "unattached", BRIDGE need not exist and
# /dev/net/tun may be absent, so a decision costs no TAP: failing at the
# first step after an allow (QEMU opens /dev/net/tun, then asks for the
# bridge's MTU; ours looks for the bridge) is A. Builtins only: the
# exhaustive test makes tens of thousands of decisions.
bh_decide() {
	local q
	bh_decide_once "$@"
	[ "$BH_DECISION" = E ] || return 0
	printf -v q %q "$3"
	printf '%s --br=%s failed other than by its ACL: %s\n' "${2##*/}" "$q" "$BH_OUTPUT" >&2
	bh_decide_once "$@"
}

bh_decide_once() {
	local out=$1 helper=$2 bridge=$3 unattached=${4:-} line status=- received=- denied= failed=
	BH_DECISION=E BH_OUTPUT=
	bh_run "$out" "$helper" --br="$bridge" --fd=@FD@
	while IFS= read -r line || [ -n "$line" ]; do
		case $line in
		status=*) status=${line#status=} ;;
		received=*) received=${line#received=} ;;
		esac
		BH_OUTPUT+="$line "
	done <"$out"
	while IFS= read -r line || [ -n "$line" ]; do
		case $line in
		'access denied by acl file' | 'failed to parse default acl file '* | \
			"name \`"*"' too long: "* | \
			'qemu-bridge-helper: uid='*' denied'* | \
			'qemu-bridge-helper: --br='*': '*'interface name'*)
			denied=1 ;;
		'failed to open /dev/net/tun: '* | "failed to get mtu of bridge \`"* | \
			'qemu-bridge-helper: bridge '*' does not exist')
			[ -n "$unattached" ] && failed=1 ;;
		esac
		BH_OUTPUT+="$line "
	done <"$out.err"
	case $status/$received/$denied/$failed in
	0/1//) BH_DECISION=A ;;
	1/0/1/) BH_DECISION=D ;;
	1/0//1) BH_DECISION=A ;;
	esac
}
