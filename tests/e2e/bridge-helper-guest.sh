#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# End to end, as a user runs it: QEMU started by a non-root user (nobody)
# with -netdev bridge,helper=<our helper, cap_net_admin+ep>. The guest gets
# a DHCP lease from dnsmasq on the bridge and pings the gateway; the TAP is
# a port of the bridge while QEMU runs and gone after; the helper's audit
# line names nobody.
. "$(dirname "$0")/../lib.sh"
t_netns "$@"
. "$QNET_SRC/tests/e2e/guest.sh"
. "$QNET_SRC/tests/integration/bridge-helper-lib.sh"
t_on_exit guest_cleanup

for tool in "$GUEST_QEMU" /usr/sbin/dnsmasq busybox cpio jq setcap; do
	command -v "$tool" >/dev/null || t_skip_all "$tool missing (tools/deps.sh test installs it)"
done
[ -x "$SETPRIV" ] || t_skip_all "setpriv missing"
bh_etc_qemu || t_skip_all "cannot make a private /etc/qemu"
bh_syslog || t_skip_all "cannot make a private /dev/log"
bh_copies || t_skip_all "cannot install a setcap copy"

t_check "guest kernel and initramfs built (world-readable copy)" guest_build "$T_TMP"
t_check "bridge br0 and dnsmasq on it" guest_lan br0 "$T_TMP/leases"
printf 'allow br0\n' >"$BH_ETC/bridge.conf"

CON=$T_TMP/console
: >"$CON"
chown $NOBODY "$CON" # QEMU, as nobody, opens it for writing
GUEST_WRAP=("$SETPRIV" --reuid=$NOBODY --regid=$NOBODY --clear-groups --)
guest_start "$CON" "bridge,id=n0,br=br0,helper=$BH_BIN/helper-cap" "qnet_hold=10.0.2.254"
if guest_wait_marker "$CON" LEASE 150; then t_ok "guest of nobody got a DHCP lease"; else
	t_fail "guest of nobody got a DHCP lease"; t_diag "$(tr -d '\r' <"$CON")" "$(cat "$CON.qemu")"
fi
lease=$(guest_marker "$CON" LEASE)
t_match "dnsmasq's lease file has the guest" "^[0-9]+ $GUEST_MAC ${lease%%/*} " \
	"$(cat "$T_TMP/leases" 2>/dev/null)"
guest_wait_marker "$CON" HOLD 60
t_check "guest pinged the gateway through the helper's TAP" guest_has_marker "$CON" PING-OK
tap=$(bridge_ports br0)
t_match "while running: br0's only port is the helper's TAP" '^tap[0-9]+$' "$tap"
t_eq "while running: the TAP has br0's MTU" "$(link_mtu br0)" "$(link_mtu "$tap")"
t_match "the helper audited nobody's TAP" \
	"uid=$NOBODY user=nobody bridge=br0 tap=$tap allowed by /etc/qemu/bridge.conf:1 \(allow br0\)" \
	"$(bh_audit_line "tap=$tap ")"

ip addr add 10.0.2.254/24 dev br0
t_check "guest powered off" guest_wait_marker "$CON" DONE 60
guest_wait; rc=$?
t_eq "QEMU (run by nobody) exited with status 0" 0 "$rc"
t_eq "after exit: br0 has no ports, the TAP went with QEMU's fd" "" "$(bridge_ports br0)"
t_done
