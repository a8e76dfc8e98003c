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
