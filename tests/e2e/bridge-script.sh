#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A real QEMU guest on a bridge through script=qemu-ifup, downscript=qemu-ifdown:
# it gets a DHCP lease from dnsmasq and pings the gateway; while it runs the
# TAP is a port of br0 with br0's MTU; after QEMU exits br0 has no ports and
# the TAP is gone. Also QEMU's side of a failing script and of kill -9.
. "$(dirname "$0")/../lib.sh"
t_netns "$@"
. "$QNET_SRC/tests/e2e/guest.sh"
t_on_exit guest_cleanup

IFUP=$QNET_BUILD/helpers/qemu-ifup
IFDOWN=$QNET_BUILD/helpers/qemu-ifdown
for tool in "$GUEST_QEMU" /usr/sbin/dnsmasq busybox cpio jq; do
	command -v "$tool" >/dev/null || t_skip_all "$tool missing (tools/deps.sh test installs it)"
done

# QEMU execs these like the real thing; they record each call, the TAP's
# state around qemu-ifdown, then hand over to (or exec) ours.
SLOG=$T_TMP/scripts.log
cat >"$T_TMP/ifup" <<EOF
#!/bin/bash
echo "up \$# \$*" >>"$SLOG"
exec "$IFUP" "\$@"
EOF
cat >"$T_TMP/ifdown" <<EOF
#!/bin/bash
state() { ip -j link show dev "\$1" 2>/dev/null | jq -r '.[0] | "master=\(.master // "none") up=\(.flags | index("UP") != null)"'; }
echo "down \$# \$* \$(state "\$1")" >>"$SLOG"
"$IFDOWN" "\$@"; rc=\$?
echo "down-rc \$rc \$(state "\$1")" >>"$SLOG"
exit \$rc
EOF
chmod 755 "$T_TMP/ifup" "$T_TMP/ifdown"
NETDEV="tap,id=n0,ifname=qtap0,script=$T_TMP/ifup,downscript=$T_TMP/ifdown"
CON=$T_TMP/console

t_check "guest kernel and initramfs built" guest_build
t_check "bridge br0 and dnsmasq on it" guest_lan br0 "$T_TMP/leases"
ip link set br0 mtu 1400   # not the TAP's default, so a copied MTU shows
printf '[script]\nbridge = br0\n' >"$QNET_CONFDIR/qnet.conf"

# 1. the whole life of a VM; qnet_hold keeps it running until the checks
# below are done and $GUEST_LAN_HOLD answers. It also fetches a page from a
# server beyond the host (routed, no NAT: the server sees the guest's address).
t_check "outside namespace with an HTTP server" guest_outside
"${GUEST_OUTSIDE_NS[@]}" ip route add 10.0.2.0/24 via "$GUEST_OUTSIDE_HOST"
sysctl -qw net.ipv4.ip_forward=1   # this test's namespace only
guest_start "$CON" "$NETDEV" \
	"qnet_hold=$GUEST_LAN_HOLD $(guest_run "wget -q -O - http://$GUEST_OUTSIDE_ADDR/cgi-bin/whoami")"
if guest_wait_marker "$CON" LEASE 150; then t_ok "guest got a DHCP lease"; else
	t_fail "guest got a DHCP lease"; tr -d '\r' <"$CON" | sed 's/^/# /'; sed 's/^/# /' "$CON.qemu"
fi
lease=$(guest_marker "$CON" LEASE)
ip=${lease%%/*}
t_match "lease is in dnsmasq's range with router 10.0.2.1" '^10\.0\.2\.[0-9]+/24 router=10\.0\.2\.1 ' "$lease"
t_match "dnsmasq's lease file has the guest's MAC and address" \
	"^[0-9]+ $GUEST_MAC $ip " "$(cat "$T_TMP/leases" 2>/dev/null)"
t_check "guest ran its steps and waits for the host" guest_wait_marker "$CON" HOLD 60
t_check "guest pinged the gateway" guest_has_marker "$CON" PING-OK
t_eq "guest reached the outside server, routed through the host" "$ip" "$(guest_marker "$CON" HTTP-FROM)"
t_eq "guest's command exited 0" 0 "$(guest_marker "$CON" RUN-RC)"
t_eq "while running: qtap0's master is br0" br0 "$(link_master qtap0)"
t_eq "while running: qtap0's MTU is br0's" "$(link_mtu br0)" "$(link_mtu qtap0)"
t_check "while running: qtap0 is up" link_is_up qtap0
t_eq "while running: br0's only port is qtap0" qtap0 "$(bridge_ports br0)"
t_eq "bridge learned the guest's MAC on qtap0" qtap0 \
	"$(bridge -j fdb show br br0 | jq -r --arg m "$GUEST_MAC" '.[] | select(.mac == $m) | .ifname' | head -n1)"

guest_release "$GUEST_LAN_HOLD" br0
t_check "guest saw the release" guest_wait_marker "$CON" RELEASED 60
t_check "guest powered off" guest_wait_marker "$CON" DONE 60
guest_wait; rc=$?
t_eq "QEMU exited with status 0" 0 "$rc"
t_eq "after exit: br0 has no ports" "" "$(bridge_ports br0)"
t_check_fail "after exit: qtap0 is gone" link_exists qtap0
t_eq "script ran once, with exactly the TAP name" "up 1 qtap0" "$(grep '^up ' "$SLOG")"
t_eq "downscript ran once while qtap0 was still on br0" "down 1 qtap0 master=br0 up=true" "$(grep '^down ' "$SLOG")"
t_eq "qemu-ifdown detached and downed qtap0 (exit 0)" "down-rc 0 master=none up=false" "$(grep '^down-rc ' "$SLOG")"
ip addr del "$GUEST_LAN_HOLD/32" dev br0

# 2. the script fails: QEMU refuses to start and says why; nothing is left.
: >"$SLOG"
printf '[script]\nbridge = nosuchbr\n' >"$QNET_CONFDIR/qnet.conf"
guest_boot "$CON" "$NETDEV"; rc=$?
t_check "QEMU fails when qemu-ifup fails" test "$rc" -ne 0
# QEMU 7.2 prints the raw wait status (256 for exit 1)
t_match "QEMU reports the script's failure" "network script $T_TMP/ifup failed with status (1|256)\$" \
	"$(grep 'network script' "$CON.qemu")"
t_match "qemu-ifup's one line names the TAP and the bridge" '^qemu-ifup: qtap0: .*nosuchbr' \
	"$(grep '^qemu-ifup:' "$CON.qemu")"
t_check_fail "no qtap0 left behind" link_exists qtap0
t_eq "br0 still has no ports" "" "$(bridge_ports br0)"

# 3. kill -9: no downscript runs; the kernel drops the port with the TAP.
: >"$SLOG"
printf '[script]\nbridge = br0\n' >"$QNET_CONFDIR/qnet.conf"
guest_start "$CON" "$NETDEV"
qtap0_on_br0() { [ "$(link_master qtap0)" = br0 ]; }
qtap0_gone() { ! link_exists qtap0; }
t_check "TAP attached before kill -9" t_wait 60 qtap0_on_br0
qemu=$(cat "/proc/$GUEST_PID/task/$GUEST_PID/children" 2>/dev/null)
t_match "found QEMU's pid" '^[0-9]+ ?$' "$qemu"
kill -KILL "${qemu% }"
guest_wait
t_check "after kill -9: qtap0 is gone" t_wait 10 qtap0_gone
t_eq "after kill -9: br0 has no ports" "" "$(bridge_ports br0)"
t_eq "after kill -9: no downscript ran" "up 1 qtap0" "$(cat "$SLOG")"

t_done
