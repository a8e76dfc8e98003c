#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A NAT network beside a real firewalld (Debian's, nftables backend), run
# in this test's network and mount namespaces: its own D-Bus system bus
# (a dbus-daemon on a socket under the test's directory, which our
# programs find through DBUS_SYSTEM_BUS_ADDRESS), tmpfs over /etc/firewalld
# (a copy of the machine's) and /run/firewalld, and /usr/lib/firewalld
# with qnet's zone in it as the package installs it. firewalld rejects
# what its zones do not allow in tables of its own, so without qnet's zone
# a guest gets no lease and reaches nothing (checked with
# [firewall] firewalld = no); with it the guest gets its lease, the
# outside and its port forward. firewalld forgets the zone's bridges on a
# reload and on a restart: qnet watch puts them back within seconds, with
# nobody typing. When the network goes, so does our binding, and
# firewalld's configuration on disk is as it was.
. "$(dirname "$0")/../lib.sh"
t_netns "$@"
for tool in /usr/sbin/firewalld firewall-cmd dbus-daemon; do
	command -v "$tool" >/dev/null || t_skip_all "$tool missing (tools/deps.sh test installs firewalld and dbus-daemon)"
done
. "$(dirname "$0")/docker-lib.sh"

FW=$T_TMP/firewalld
mkdir -p "$FW"
cat >"$FW/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$FW/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
EOF
dbus-daemon --config-file="$FW/bus.conf" --nofork --nopidfile </dev/null >>"$FW/dbus.log" 2>&1 &
t_on_exit "kill $!"
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$FW/bus
t_check "a D-Bus system bus of the test's own" t_wait 10 test -S "$FW/bus"

# firewalld's files, private to this mount namespace.
cp -a /etc/firewalld "$FW/etc"
cp -a /usr/lib/firewalld "$FW/lib"
cp "$QNET_SRC/conf/qnet-firewalld-zone.xml" "$FW/lib/zones/qnet.xml"
mkdir -p /run/firewalld
mount -t tmpfs tmpfs /run/firewalld
mount --bind "$FW/etc" /etc/firewalld
mount --bind "$FW/lib" /usr/lib/firewalld
cp -a "$FW/etc" "$FW/etc.before"

start_firewalld() {
	/usr/sbin/firewalld --nofork --nopid --log-target console </dev/null >>"$FW/firewalld.log" 2>&1 &
	FIREWALLD=$!
	t_on_exit "kill $FIREWALLD"
	t_wait 30 eval 'firewall-cmd --state >/dev/null 2>&1'
}
zone_of() { firewall-cmd --get-zone-of-interface=qnetbr0 2>&1 || true; } # "no zone" on stderr
t_check "firewalld runs, with its nftables table" eval 'start_firewalld && nft list table inet firewalld >/dev/null'
t_match "it knows qnet's zone (from /usr/lib/firewalld/zones/qnet.xml)" "(^| )qnet( |$)" "$(firewall-cmd --get-zones)"

# --- what firewalld does to a NAT network that is not in a zone of its own ---
echo "$CONF_AUTO
[firewall]
firewalld = no" >"$QNET_CONFDIR/qnet.conf"
t_check "with [firewall] firewalld = no: qemu-ifup-nat vg1" "$UP" vg1
t_eq "the bridge is in no zone" "no zone" "$(zone_of)"
t_eq "and firewalld rejects the guest's DHCP: no lease" "" "$(dhcp)"
t_match "qnet doctor says so, and how to fix it" \
	"warn  firewalld: firewalld runs and \[firewall\] firewalld = no" "$("$Q" doctor 2>&1)"
t_check "qemu-ifdown-nat vg1" "$DOWN" vg1

# --- qnet's zone ---
echo "$CONF_AUTO" >"$QNET_CONFDIR/qnet.conf"
out=$("$UP" vg1 2>&1)
t_eq "qemu-ifup-nat vg1 succeeds and says nothing" "" "$out"
t_eq "firewalld has the bridge in zone qnet" qnet "$(zone_of)"
t_eq "the guest gets its lease" "$G1_IP" "$(dhcp)"
t_eq "the guest reaches the outside" "$HOST" "$(guest_out)"
t_eq "the port forward reaches the guest" "vm1 $OUT" "$(forward_in)"
t_match "the guest asks qnet's DNS (the zone allows dns)" "10\.0\.76\.10" \
	"$(t_in_ns "$G1" timeout 10 busybox nslookup vm1 "$GW" 2>/dev/null)"
t_serve $$ TCP-LISTEN:2222,fork,reuseaddr SYSTEM:'echo host'
t_check "(a service of the host's own listens on :2222)" t_wait 10 t_listens $$ 2222
t_eq "but not the host's other services: firewalld still rejects them" "" "$(tcp_ask "$G1" "$GW" 2222)"
t_match "qnet doctor: the bridge is in zone qnet" "ok    firewalld: firewalld runs; every running NAT network's bridge is in zone qnet" \
	"$("$Q" doctor 2>&1)"
"$UP" vg1 >/dev/null 2>&1
t_eq "a second qemu-ifup-nat leaves it there" qnet "$(zone_of)"

# --- a reload forgets the binding: qnet doctor says so, qnet watch puts it back ---
firewall-cmd --reload >/dev/null
t_eq "firewall-cmd --reload: firewalld forgot the bridge" "no zone" "$(zone_of)"
t_match "qnet doctor names it and the fix" "fail  firewalld: bridge qnetbr0 of network default is in no zone" \
	"$("$Q" doctor 2>&1)"
"$Q" watch >"$T_TMP/watch.log" 2>&1 &
WATCH=$!
t_on_exit "kill $WATCH"
t_check "qnet watch starts" t_wait 10 grep -q '^watching' "$T_TMP/watch.log"
firewall-cmd --reload >/dev/null
t_check "under qnet watch, after a reload the bridge is back in zone qnet within 2 s" \
	t_wait 2 eval '[ "$(zone_of)" = qnet ]'
t_match "the watch said what it put back" "network default: firewalld: bridge qnetbr0 put back in zone qnet" \
	"$(cat "$T_TMP/watch.log")"
t_eq "the guest reaches the outside with nobody typing a command" "$HOST" "$(guest_out)"
t_eq "and the port forward the guest" "vm1 $OUT" "$(forward_in)"

# --- firewalld restarted: it comes up with no bridge in our zone ---
kill "$FIREWALLD"
t_check "firewalld stops" t_wait 20 t_pid_dead "$FIREWALLD"
t_check "firewalld starts again" start_firewalld
t_check "under qnet watch, the restarted firewalld has the bridge in zone qnet within 2 s" \
	t_wait 2 eval '[ "$(zone_of)" = qnet ]'
t_eq "the guest reaches the outside" "$HOST" "$(guest_out)"
kill "$WATCH"
t_check "qnet watch stops" t_wait 10 t_pid_dead "$WATCH"

# --- down: our binding goes, firewalld's configuration is as it was ---
t_check "qemu-ifdown-nat vg1" "$DOWN" vg1
t_eq "firewalld no longer has the bridge in zone qnet" "no zone" "$(zone_of)"
t_eq "nothing of firewalld's configuration on disk changed" "" "$(diff -r "$FW/etc.before" /etc/firewalld)"

# --- no zone qnet (the file is missing): one line, and the network still comes up ---
rm "$FW/lib/zones/qnet.xml"
firewall-cmd --reload >/dev/null
out=$("$UP" vg1 2>&1)
t_eq "without the zone, qemu-ifup-nat vg1 still succeeds" 0 "$?"
t_match "and says in one line what is missing and what to do" \
	"^qemu-ifup-nat: warning: network default: firewalld rejects its guests' traffic, and bridge qnetbr0 is not in firewalld's zone qnet: firewalld has no zone qnet \(qnet's firewalld/zones/qnet.xml, then firewall-cmd --reload\)$" \
	"$out"
t_eq "(one line)" 1 "$(printf '%s\n' "$out" | wc -l)"
t_check "qemu-ifdown-nat vg1" "$DOWN" vg1
t_done
