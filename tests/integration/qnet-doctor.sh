#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# qnet doctor: each finding provoked in this test's own namespaces (network
# and mount) and asserted, with the state it reports read back by other
# tools (ip -j, nft -j, stat, getcap), then undone and seen to be ok again.
. "$(dirname "$0")/../lib.sh"
t_netns "$@"

Q=$QNET_BUILD/helpers/qnet
for tool in jq nft setcap getcap; do
	command -v $tool >/dev/null || t_skip_all "$tool missing"
done
E=$QNET_CONFDIR
O=$T_TMP/out
export QNET_LIBEXECDIR=$T_TMP/libexec
mkdir -p "$QNET_LIBEXECDIR"
# qnet up below starts dnsmasq, whose --dhcp-script is in libexecdir.
cp "$QNET_BUILD/helpers/qnet-dhcp-event" "$QNET_LIBEXECDIR/"
put() { printf '%b' "$2" >"$E/$1"; chown 0:0 "$E/$1"; chmod 644 "$E/$1"; }
doctor() { "$Q" doctor >"$O" 2>"$O.err"; echo $? >"$O.rc"; }
# line CHECK: doctor's line for CHECK ("LEVEL  CHECK: ...")
line() { grep -E "^(ok|warn|fail) +$1: " "$O" | head -n 1; }
level() { line "$1" | cut -d' ' -f1; }

ip link add br0 type bridge && ip link set br0 up
put qnet.conf '[script]\nbridge = br0\n'
put bridge.conf 'allow br0\n'
sysctl -qw net.ipv4.ip_forward=0
doctor
t_eq "healthy namespace: exit 0" 0 "$(cat "$O.rc")"
t_eq "healthy namespace: no failures" "" "$(grep '^fail' "$O")"
t_eq "every line is 'ok|warn|fail  CHECK: FINDING', then the totals" "" \
	"$(grep -vE '^(ok  |warn|fail)  [^:]+: .+$|^[0-9]+ ok, [0-9]+ warnings, [0-9]+ failures$' "$O")"
t_eq "tun: ok" ok "$(level tun)"
t_eq "script bridge br0 (ip -j says it is a bridge): ok" "ok bridge" \
	"$(level 'bridge br0') $(ip -j -d link show br0 | jq -r '.[0].linkinfo.info_kind')"
t_eq "bridge.conf root:root 0644: ok" ok "$(level bridge.conf)"
t_eq "no foreign forward policy: ok" ok "$(level 'forward policy')"

# ---- tun: /dev/net/tun replaced by another device (private mount) ----
mount --bind /dev/null /dev/net/tun
doctor
t_eq "/dev/net/tun is not 10:200: fail" "fail 1" "$(level tun) $(cat "$O.rc")"
t_match "... with the mknod fix" 'mknod -m 0666 /dev/net/tun c 10 200' "$(line tun)"
umount /dev/net/tun

# ---- missing bridge, and a link that is not a bridge ----
ip link add veth0 type veth peer name veth1
put qnet.conf '[script]\nbridge = brgone\n\n[bridge veth0]\nallow-users = root\n\n[bridge brlater]\nallow-users = root\n'
doctor
t_check_fail "brgone really is absent (ip link)" link_exists brgone
t_eq "[script] bridge that does not exist: fail, exit 1" "fail 1" "$(level 'bridge brgone') $(cat "$O.rc")"
t_match "... with the command that creates it" 'fix: ip link add brgone type bridge' "$(line 'bridge brgone')"
t_eq "[bridge] grant for a bridge not there yet: warn" warn "$(level 'bridge brlater')"
t_match "a veth named as a bridge: fail, says what it is" '^fail +bridge veth0: is a veth link, not a bridge' \
	"$(line 'bridge veth0')"
ip link add qnetbr0 type veth peer name qnetbr0p
put qnet.conf '[script]\nbridge = br0\n'
doctor
t_match "the default network's bridge name taken by a veth: fail" \
	'^fail +network default: qnetbr0 is a veth link, not a bridge' "$(line 'network default')"
ip link del qnetbr0
ip link set br0 down
doctor
t_eq "a bridge that is down: warn" warn "$(level 'bridge br0')"
ip link set br0 up

# ---- configuration files ----
chmod 666 "$E/bridge.conf"
doctor
t_eq "bridge.conf is mode 666 (stat)" 666 "$(stat -c %a "$E/bridge.conf")"
t_eq "world-writable bridge.conf: fail, exit 1" "fail 1" "$(level bridge.conf) $(cat "$O.rc")"
t_match "... says why and how to fix" 'writable by group or others.*fix: chown root:root .* chmod go-w' \
	"$(line bridge.conf)"
chmod 600 "$E/bridge.conf"
doctor
t_eq "root:root 0600 bridge.conf: warn (the helper, run by users, cannot read it)" warn "$(level bridge.conf)"
chmod 644 "$E/bridge.conf"
# A directory on the way that others may write: they could swap the file.
chown 65534 "$E"
doctor
t_eq "the configuration directory is owned by nobody (stat)" 65534 "$(stat -c %u "$E")"
t_match "user-owned configuration directory: bridge.conf fails, naming the directory and the fix" \
	"^fail +bridge.conf: $E: directory is not owned by root: .*; fix: chown root $E; chmod go-w $E\$" \
	"$(line bridge.conf)"
t_match "... and qnet.conf, read from it too" "^fail +qnet.conf: $E: directory is not owned by root" \
	"$(line qnet.conf)"
t_eq "... exit 1" 1 "$(cat "$O.rc")"
chown 0 "$E"; chmod 775 "$E"
doctor
t_match "group-writable configuration directory: fail, naming it" \
	"^fail +bridge.conf: $E: directory is writable by group or others: .*; fix: chown root $E; chmod go-w $E\$" \
	"$(line bridge.conf)"
chmod 755 "$E"
doctor
t_eq "root-owned 0755 directory again: bridge.conf ok" ok "$(level bridge.conf)"
put bridge.conf 'allow br0\nalow br1\n'
doctor
t_eq "a config error: fail pointing at qnet check" "fail" "$(level config)"
t_match "... which names the error's file:line" 'bridge.conf:2: error' "$("$Q" check 2>&1)"
put bridge.conf 'allow br0\n'

# ---- the MAC of a bridge the helper hands out TAPs on ----
# A TAP's holder may set its MAC, and a bridge whose own address was never
# set takes its lowest port's: doctor warns unless addr_assign_type is 3
# (NET_ADDR_SET). /sys of the host shows the host's links: mount this
# namespace's own (private mount namespace).
doctor
t_match "without this namespace's /sys: cannot tell, and says why" \
	'^warn +bridge br0 address: cannot tell whether its MAC is fixed: /sys shows another network namespace' \
	"$(line 'bridge br0 address')"
mount -t sysfs sysfs /sys
ip link add brfree type bridge
ip link add brgrant type bridge
put qnet.conf '[script]\nbridge = br0\n\n[bridge brgrant]\nallow-groups = audio\n'
put bridge.conf 'allow br0\n'
doctor
t_eq "br0's MAC was never set: addr_assign_type (sysfs) is not 3" 1 \
	"$([ "$(cat /sys/class/net/br0/addr_assign_type)" != 3 ] && echo 1)"
t_match "bridge.conf allows br0, MAC not fixed: warn, with the fix" \
	"^warn +bridge br0 address: its MAC $(cat /sys/class/net/br0/address) is not fixed .*; fix: ip link set br0 address $(cat /sys/class/net/br0/address) " \
	"$(line 'bridge br0 address')"
t_eq "a [bridge] allow-groups grant, MAC not fixed: warn" warn "$(level 'bridge brgrant address')"
t_eq "a bridge no grant allows is not reported" "" "$(line 'bridge brfree address')"
t_eq "... a warning is no failure: exit 0" 0 "$(cat "$O.rc")"
ip link set br0 address "$(cat /sys/class/net/br0/address)"
doctor
t_eq "after 'ip link set br0 address' addr_assign_type is 3 (sysfs)" 3 "$(cat /sys/class/net/br0/addr_assign_type)"
t_match "... and doctor is content with br0" '^ok +bridge br0 address: .*set by the administrator' \
	"$(line 'bridge br0 address')"
put bridge.conf 'allow all\ndeny brgrant\n'
doctor
t_eq "allow all: every bridge counts (brfree warns)" warn "$(level 'bridge brfree address')"
t_eq "... but not one a deny rule shuts (deny brgrant)" "" "$(line 'bridge brgrant address')"
ip link del brfree; ip link del brgrant
put qnet.conf '[script]\nbridge = br0\n'
put bridge.conf 'allow br0\n'

# ---- the helper's install mode (copies in QNET_LIBEXECDIR) ----
H=$QNET_LIBEXECDIR/qemu-bridge-helper
doctor
t_eq "helper not installed: warn" warn "$(level helper)"
install -m 0755 "$QNET_BUILD/helpers/qemu-bridge-helper" "$H"
doctor
t_eq "helper without capability or setuid: fail" fail "$(level helper)"
t_match "... fix is setcap" "fix: setcap cap_net_admin\+ep $H" "$(line helper)"
setcap cap_net_admin+ep "$H"
doctor
t_match "getcap agrees the copy has cap_net_admin+ep" 'cap_net_admin[=+]ep' "$(getcap "$H")"
t_eq "helper with cap_net_admin+ep: ok" ok "$(level helper)"
setcap cap_net_admin+p "$H"
doctor
t_eq "cap_net_admin without the effective bit: fail" fail "$(level helper)"
setcap cap_net_admin,cap_sys_admin+ep "$H"
doctor
t_eq "more capabilities than cap_net_admin: warn" warn "$(level helper)"
setcap -r "$H"
chmod 4755 "$H"
doctor
t_eq "setuid-root helper: ok" ok "$(level helper)"
chmod 4777 "$H"
doctor
t_eq "helper writable by others (stat: $(stat -c %a "$H")): fail" fail "$(level helper)"
chmod 0755 "$H"; chown 65534 "$H"
doctor
t_eq "helper not owned by root: fail" fail "$(level helper)"
rm -f "$H"

# ---- subnets ----
ip addr add 10.0.76.5/24 dev veth0
ip link set veth0 up
t_check "the kernel has a 10.0.76.0/24 route on veth0 (ip -j route)" \
	[ "$(ip -j route show 10.0.76.0/24 | jq -r '.[0].dev')" = veth0 ]
doctor
t_eq "default network's subnet overlaps a host route: fail, exit 1" "fail 1" "$(level 'subnet default') $(cat "$O.rc")"
t_match "... naming the device" 'overlaps a route on veth0' "$(line 'subnet default')"
ip addr flush dev veth0
put qnet.conf '[script]\nbridge = br0\n\n[network lv]\nsubnet = 192.168.122.0/24\n'
doctor
t_eq "libvirt's subnet: warn" warn "$(level 'subnet lv')"
put qnet.conf '[script]\nbridge = br0\n'

# ---- ip_forward while a NAT network's bridge is up ----
ip link add qnetbr0 type bridge
doctor
t_eq "ip_forward 0 (sysctl) with network default up: fail" "0 fail" \
	"$(sysctl -n net.ipv4.ip_forward) $(level ip_forward)"
sysctl -qw net.ipv4.ip_forward=1
doctor
t_eq "ip_forward 1: ok" ok "$(level ip_forward)"
ip link del qnetbr0
sysctl -qw net.ipv4.ip_forward=0

# ---- Docker-like forward drop policy in another table ----
nft add table ip filter
nft add chain ip filter FORWARD '{ type filter hook forward priority 0; policy drop; }'
t_eq "nft -j shows the drop policy" drop \
	"$(nft -j list chain ip filter FORWARD | jq -r '.nftables[] | select(.chain) | .chain.policy')"
doctor
t_eq "foreign forward chain with policy drop: fail, exit 1" "fail 1" \
	"$(level 'forward policy ip filter FORWARD') $(cat "$O.rc")"
t_match "... explains that our accept cannot override it" 'cannot override a drop in another table' \
	"$(line 'forward policy ip filter FORWARD')"
nft add rule ip filter FORWARD iifname qnetbr0 accept
doctor
t_eq "the chain accepts qnet's bridge in a rule: warn" warn "$(level 'forward policy ip filter FORWARD')"
nft add table bridge f
nft add chain bridge f brfwd '{ type filter hook forward priority 0; policy drop; }'
doctor
t_eq "bridge-family forward drop: fail too" fail "$(level 'forward policy bridge f brfwd')"
nft add table inet qnet-default
nft add chain inet qnet-default qfwd '{ type filter hook forward priority 0; policy drop; }'
t_eq "nft -j shows our table's drop policy" drop \
	"$(nft -j list chain inet qnet-default qfwd | jq -r '.nftables[] | select(.chain) | .chain.policy')"
doctor
t_eq "our own tables are not reported" "" "$(line 'forward policy inet qnet-default')"
nft flush ruleset
doctor
t_eq "ruleset flushed: ok" ok "$(level 'forward policy')"

# ---- the same with legacy iptables, where libnftables cannot see it ----
if command -v iptables-legacy >/dev/null; then
	iptables-legacy -P FORWARD DROP
	t_eq "iptables-legacy -S shows the drop policy" "-P FORWARD DROP" "$(iptables-legacy -S FORWARD | head -n 1)"
	doctor
	t_eq "legacy iptables FORWARD policy DROP: fail" "fail 1" \
		"$(level 'forward policy iptables-legacy') $(cat "$O.rc")"
	iptables-legacy -P FORWARD ACCEPT
	doctor
	t_eq "legacy iptables FORWARD policy ACCEPT: ok" ok "$(level 'forward policy iptables-legacy')"
	iptables-legacy -F; iptables-legacy -X
else
	t_fail "iptables-legacy missing (Debian package iptables)"
fi

# ---- stale state: dead dnsmasq pid file, state of a network whose bridge is gone ----
mkdir -p "$QNET_RUNDIR"
sleep 0 & dead=$!; wait "$dead"
t_check_fail "pid $dead is gone (kill -0)" kill -0 "$dead"
echo "$dead" >"$QNET_RUNDIR/default.dnsmasq.pid"
echo $$ >"$QNET_RUNDIR/lab.dnsmasq.pid"
doctor
t_match "dead dnsmasq pid file: warn, with qnet gc as the fix" \
	"^warn +stale state: .*default.dnsmasq.pid names process $dead, which is gone; fix: qnet gc" "$(cat "$O")"
t_eq "a live pid file is not reported" "" "$(grep 'lab.dnsmasq.pid' "$O")"
rm -f "$QNET_RUNDIR"/*.pid
"$Q" up default >/dev/null 2>&1
t_check "qnet up default made its bridge (ip link)" link_exists qnetbr0
doctor
t_eq "a network that is whole is not stale" "ok" "$(level 'stale state')"
nft delete table inet qnet-default # what nft flush ruleset does to it
doctor
t_match "network up without its nftables table: warn, fix named" \
	'^warn +stale state: network default is up, but its nftables table qnet-default is gone .*; fix: qnet up default ' \
	"$(cat "$O")"
"$Q" up default >/dev/null 2>&1
t_check "qnet up (as the next qemu-ifup-nat would) put the table back (nft list)" \
	nft list table inet qnet-default
ip link del qnetbr0
doctor
t_match "state of a network whose bridge is gone: warn" \
	'^warn +stale state: .*/default.state: network default is recorded up, but its bridge qnetbr0 is gone; fix: qnet gc' \
	"$(cat "$O")"
"$Q" gc >/dev/null 2>&1
doctor
t_eq "... not after qnet gc" "ok" "$(level 'stale state')"
t_done
