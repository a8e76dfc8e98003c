#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Tenants on plain bridges (issue 14): filtering is opt-in there, with
# `filter = yes` in [bridge NAME] for ports that qemu-bridge-helper makes
# and that qemu-ifup attaches, and forced by filter-users/filter-groups
# for the callers they name; the addresses a filtered port may use are the
# section's host = entries (qnet runs no DHCP server on a plain bridge).
# Isolation (isolated = yes) for qemu-ifup ports and on a NAT network.
#
# This namespace is the host, with bridges br0 (filter = yes, 192.0.2.1),
# br1 (not filtered), br2 (filter = no, filter-users = root), br4 (filter
# = no, filter-groups = root), br3 (isolated = yes). Guests are
# namespaces behind veths that qemu-ifup attaches; a helper port's guest
# is frames.py writing to the TAP fd helper-client received, as QEMU writes
# a guest's frames. Spoofing is asserted on what the victims received
# (netdev ingress counters, tenants-lib.sh) after a legitimate frame sent
# the same way afterwards arrived, and on neighbour tables.
. "$(dirname "$0")/../lib.sh"
t_netns "$@"
. "$(dirname "$0")/bridge-helper-lib.sh"
. "$(dirname "$0")/tenants-lib.sh"
for tool in nft /usr/sbin/dnsmasq busybox socat jq bridge "$PY"; do
	command -v "$tool" >/dev/null || t_skip_all "$tool missing (tools/deps.sh test installs it)"
done
"$PY" -c 'import scapy' 2>/dev/null || t_skip_all "python3-scapy missing (tools/deps.sh test installs it)"

IFUP=$QNET_BUILD/helpers/qemu-ifup
IFDOWN=$QNET_BUILD/helpers/qemu-ifdown
UP=$QNET_BUILD/helpers/qemu-ifup-nat
DOWN=$QNET_BUILD/helpers/qemu-ifdown-nat
O=$T_TMP/out
HOST=192.0.2.1
A_MAC=52:54:00:00:02:0a A_IP=192.0.2.10
B_MAC=52:54:00:00:02:0b B_IP=192.0.2.11
H_MAC=52:54:00:00:02:0c H_IP=192.0.2.12
N_MAC=52:54:00:00:02:0d N_IP=192.0.2.13 # no host = entry
B_MAC2=52:54:00:00:02:bb H_MAC2=52:54:00:00:02:cc
cat >"$QNET_CONFDIR/qnet.conf" <<EOF
[bridge br0]
filter = yes
host = $A_MAC $A_IP
host = $B_MAC $B_IP
host = $H_MAC $H_IP

[bridge br1]
filter = no
filter-users = nobody

[bridge br2]
filter = no
filter-users = root

[bridge br4]
filter = no
filter-groups = root

[bridge br3]
isolated = yes

[network iso]
bridge = qnet-iso
subnet = 10.0.78.0/24
subnet6 = none
isolated = yes
EOF
printf 'allow br0\nallow br1\nallow br2\nallow br4\n' >"$QNET_CONFDIR/bridge.conf"
for b in br0 br1 br2 br3 br4; do bh_bridge $b; done
ip addr add "$HOST/24" dev br0
ip addr add 198.18.1.1/24 dev br1
ip addr add 198.18.3.1/24 dev br3
# A bridge's MAC follows its ports' unless set: fixed, so frames crafted to
# it keep reaching the host.
for b in br0 br1 br3; do ip link set $b address "$(link_field $b address)"; done
BR0_MAC=$(link_field br0 address) BR1_MAC=$(link_field br1 address)

guest_ns() { local v=G$1; echo "${!v}"; }
# make_guest N MAC BRIDGE [IP/LEN]: namespace G<N>, its eth0 the peer of
# vg<N>, which qemu-ifup attaches to BRIDGE.
make_guest() {
	local n=$1 pid
	t_veth_guest "$n" "$2"
	pid=G$n pid=${!pid}
	[ -n "${4:-}" ] && t_in_ns "$pid" ip addr add "$4" dev eth0
	"$IFUP" "vg$n" "$3"
}
pings() { t_in_ns "$1" busybox ping -c1 -W1 "$2" >/dev/null 2>&1; }
udp_send() { echo x | t_in_ns "$1" timeout 5 socat -u - "UDP-DATAGRAM:$2:$3${4:+,$4}" 2>/dev/null; }
fence() { # PID DEV NAME SEND...: SEND until counter NAME at (PID, DEV) grows
	local pid=$1 dev=$2 name=$3 n i; shift 3
	n=$(seen "$pid" "$dev" "$name")
	for ((i = 0; i < 10; i++)); do
		"$@" >/dev/null 2>&1
		t_wait 1 eval '[ "$(seen "$pid" "$dev" "$name")" -gt "$n" ]' && return 0
	done
	return 1
}
b_fence() { udp_send "$GB" "$HOST" 7009; }
# helper_port OUT BRIDGE FRAMES-ARGS...: qemu-bridge-helper makes a TAP on
# BRIDGE for helper-client, which (with the TAP open) saves the TAP's link
# and table bridge qnet as JSON, then writes the frames into the TAP.
helper_port() {
	local out=$1 br=$2; shift 2
	bh_run "$out" --then /bin/sh -c 'ip -j link show dev "$TAP" >"$0.link";
		nft -j list table bridge qnet >"$0.nft" 2>/dev/null;
		[ $# = 0 ] || exec "$@" --fd "$TAP_FD"' "$out" "$@" -- "$BH" "--br=$br" --fd=@FD@
}
# helper_chain OUT BRIDGE: the chain the TAP had (port-B-P), if it had one
helper_chain() {
	local c
	c="port-$(ifindex "$2")-$(jq -r '.[0].ifindex' "$1.link")"
	jq -e --arg c "$c" '[.nftables[] | .chain? // empty | .name] | index($c) != null' "$1.nft" >/dev/null 2>&1 &&
		echo "$c"
}

# --- br0, filter = yes: ports by qemu-ifup ---
t_check "qemu-ifup vgA br0" make_guest A "$A_MAC" br0 "$A_IP/24"
t_check "qemu-ifup vgB br0" make_guest B "$B_MAC" br0 "$B_IP/24"
t_check "vgA has its filter chain (filter = yes)" pf_has vgA
t_check "vgB too" pf_has vgB
t_check "host = entries of [bridge br0] are allowed on br0" \
	eval 'pf_allowed4 br0 "$A_MAC" "$A_IP" && pf_allowed4 br0 "$B_MAC" "$B_IP"'
t_check "A pings the host" t_wait 10 pings "$GA" "$HOST"
t_check "B pings the host" t_wait 10 pings "$GB" "$HOST"
t_check "A pings B" t_wait 10 pings "$GA" "$B_IP"
t_eq "vgA's filter learned A's MAC" "$A_MAC" "$(pf_mac vgA)"
watch "$GA" eth0 arp-host-b ether saddr "$B_MAC" arp saddr ip "$HOST"
watch "$GA" eth0 fence-b ether saddr "$B_MAC" udp dport 9
watch "$GA" eth0 newmac ether saddr "$B_MAC2"
watch "$GA" eth0 ra-b ether saddr "$B_MAC" icmpv6 type nd-router-advert
watch "$GA" eth0 dhcp-b ether saddr "$B_MAC" udp sport 67
watch "$GA" eth0 h-legit ether saddr "$H_MAC" udp dport 9
watch "$GA" eth0 h-arp ether saddr "$H_MAC" arp saddr ip "$HOST"
watch "$GA" eth0 h-newmac ether saddr "$H_MAC2"
watch $$ br0 spoof4 ip saddr "$A_IP" udp dport 7002
watch $$ br0 arp-a-b ether saddr "$B_MAC" arp saddr ip "$A_IP"
watch $$ br0 newmac ether saddr "$B_MAC2"
watch $$ br0 fence-b ether saddr "$B_MAC" udp dport 7009
watch $$ br0 n-ip ip saddr "$N_IP"
watch $$ vgB b-sent ether saddr "$B_MAC" ip saddr "$A_IP"
watch $$ vgB b-arp arp saddr ip "$HOST"
watch $$ vgB b-newmac ether saddr "$B_MAC2"

# B from A's address; forged ARP for the host and for A; a new MAC; RA, DHCP server
t_in_ns "$GB" ip neigh replace "$HOST" lladdr "$BR0_MAC" dev eth0 nud permanent
t_in_ns "$GB" ip addr add "$A_IP/32" dev eth0
udp_send "$GB" "$HOST" 7002 "bind=$A_IP"
t_in_ns "$GB" ip addr del "$A_IP/32" dev eth0
frames "$GB" --iface eth0 --count 3 --interval 0.5 \
	"Ether(src='$B_MAC', dst='$BR0_MAC')/IP(src='$A_IP', dst='$HOST')/UDP(dport=7002)" \
	"Ether(src='$B_MAC', dst='$A_MAC')/ARP(op=2, hwsrc='$B_MAC', psrc='$HOST', hwdst='$A_MAC', pdst='$A_IP')" \
	"Ether(src='$B_MAC', dst='ff:ff:ff:ff:ff:ff')/ARP(op=1, hwsrc='$B_MAC', psrc='$A_IP', pdst='$A_IP')" \
	"Ether(src='$B_MAC', dst='33:33:00:00:00:01')/IPv6(src='fe80::5054:ff:fe00:20b', dst='ff02::1')/ICMPv6ND_RA()/ICMPv6NDOptPrefixInfo(prefix='2001:db8:bad::', prefixlen=64)" \
	"Ether(src='$B_MAC', dst='ff:ff:ff:ff:ff:ff')/IP(src='$B_IP', dst='255.255.255.255')/UDP(sport=67, dport=68)/BOOTP(op=2, yiaddr='192.0.2.99')" \
	>/dev/null
t_in_ns "$GB" ip link set eth0 address "$B_MAC2"
udp_send "$GB" "$HOST" 7003
udp_send "$GB" "$HOST" 7003
frames "$GB" --iface eth0 --count 2 \
	"Ether(src='$B_MAC2', dst='$BR0_MAC')/IP(src='$B_IP', dst='$HOST')/UDP(dport=7003)" >/dev/null
nb=$(neigh $$ br0 "$B_IP")
t_in_ns "$GB" ip link set eth0 address "$B_MAC"
t_check "br0: B did send 4 from A's address, 3 forged ARP for the host, 3 of a new MAC" \
	eval 'seen_at_least $$ vgB b-sent 4 && seen_at_least $$ vgB b-arp 3 && seen_at_least $$ vgB b-newmac 3'
t_check "(fence: B's own datagram reaches the host)" fence $$ br0 fence-b b_fence
t_check "(fence: B's broadcast reaches A)" fence "$GA" eth0 fence-b udp_send "$GB" 192.0.2.255 9 broadcast
t_eq "br0: nothing from A's address reached the host" 0 "$(seen $$ br0 spoof4)"
t_eq "br0: no ARP claiming the host reached A" 0 "$(seen "$GA" eth0 arp-host-b)"
t_eq "br0: no ARP claiming A reached the host" 0 "$(seen $$ br0 arp-a-b)"
t_eq "br0: nothing of B's new MAC reached A or the host" "0 0" \
	"$(seen "$GA" eth0 newmac) $(seen $$ br0 newmac)"
t_eq "br0: no RA and no DHCP server frame of B reached A" "0 0" \
	"$(seen "$GA" eth0 ra-b) $(seen "$GA" eth0 dhcp-b)"
t_eq "br0: A's neighbour entry for the host is br0's MAC" "$BR0_MAC" "$(neigh "$GA" eth0 "$HOST")"
t_eq "br0: the host's for A is A's MAC" "$A_MAC" "$(neigh $$ br0 "$A_IP")"
t_eq "br0: the host's for B stayed B's MAC while B used another" "$B_MAC" "$nb"

# A guest with no host = entry: a plain bridge has no DHCP server to give
# it an address, so it has none it may use.
t_check "qemu-ifup vgN br0 (a MAC with no host = entry)" make_guest N "$N_MAC" br0 "$N_IP/24"
watch $$ vgN n-sent ip saddr "$N_IP"
t_check_fail "N cannot ping the host from an address no host = entry gives it" t_wait 3 pings "$GN" "$HOST"
t_in_ns "$GN" ip neigh replace "$HOST" lladdr "$BR0_MAC" dev eth0 nud permanent
t_check_fail "not even with a static neighbour entry" t_wait 3 pings "$GN" "$HOST"
t_check "(N did send IPv4)" seen_at_least $$ vgN n-sent 2
t_eq "nothing from N's address reached the host" 0 "$(seen $$ br0 n-ip)"
t_eq "the host has no neighbour entry for N" "" "$(neigh $$ br0 "$N_IP")"

# --- br0: a port made by qemu-bridge-helper ---
# Its guest: a frame from its host = address first (the MAC is learned),
# then from A's address, ARP claiming the host, another MAC; last a
# legitimate frame again, the fence.
helper_port "$O" br0 "$PY" "$FRAMES" --count 3 \
	"Ether(src='$H_MAC', dst='ff:ff:ff:ff:ff:ff')/IP(src='$H_IP', dst='192.0.2.255')/UDP(dport=9)" \
	"Ether(src='$H_MAC', dst='$BR0_MAC')/IP(src='$A_IP', dst='$HOST')/UDP(dport=7002)" \
	"Ether(src='$H_MAC', dst='ff:ff:ff:ff:ff:ff')/ARP(op=2, hwsrc='$H_MAC', psrc='$HOST', pdst='$A_IP')" \
	"Ether(src='$H_MAC2', dst='ff:ff:ff:ff:ff:ff')/IP(src='$H_IP', dst='192.0.2.255')/UDP(dport=9)" \
	"Ether(src='$H_MAC', dst='ff:ff:ff:ff:ff:ff')/IP(src='$H_IP', dst='192.0.2.255')/UDP(dport=9)"
t_eq "helper on br0: the helper succeeded and the frames were written" "0 0" \
	"$(bh_get "$O" status) $(bh_get "$O" then_status)"
t_match "helper on br0: the TAP had its filter chain while QEMU held it" '^port-' "$(helper_chain "$O" br0)"
t_check "helper on br0: the guest's frames from its address reached A (all 6)" \
	t_wait 10 seen_at_least "$GA" eth0 h-legit 6
t_eq "helper on br0: none from A's address reached the host" 0 "$(seen $$ br0 spoof4)"
t_eq "helper on br0: no ARP claiming the host reached A" 0 "$(seen "$GA" eth0 h-arp)"
t_eq "helper on br0: nothing of another MAC reached A" 0 "$(seen "$GA" eth0 h-newmac)"
# The helper is gone when QEMU closes the TAP: the next attach on the bridge
# removes what a port that no longer exists left (lib/portfilter.h).
old=$(jq -r '.[0].ifindex' "$O.link")
helper_port "$O" br0
t_match "helper on br0, a second TAP: its chain" '^port-' "$(helper_chain "$O" br0)"
t_check_fail "and the first TAP's chain is gone" pf_has_ifindex "$(ifindex br0)" "$old"

# --- br1, not filtered: no chain, and spoofing is not stopped there ---
t_check "qemu-ifup vgU br1" make_guest U 52:54:00:00:02:1a br1 198.18.1.10/24
t_check_fail "a qemu-ifup port of a bridge without filter = yes has no chain" pf_has vgU
watch $$ br1 spoof ip saddr 198.18.1.99 udp dport 7002
helper_port "$O" br1 "$PY" "$FRAMES" --count 3 \
	"Ether(src='52:54:00:00:02:1b', dst='$BR1_MAC')/IP(src='198.18.1.99', dst='198.18.1.1')/UDP(dport=7002)"
t_eq "helper on br1: the helper succeeded" 0 "$(bh_get "$O" status)"
t_eq "helper on br1 (filter = no, filter-users names another user): the TAP had no chain" "" \
	"$(helper_chain "$O" br1)"
t_check "(control) what an unfiltered port sends from any address reaches the host" \
	t_wait 10 seen_at_least $$ br1 spoof 3

# --- filter-users, filter-groups force it for their callers ---
helper_port "$O" br2
t_match "br2 (filter = no, filter-users = root): root's helper TAP had a chain" '^port-' "$(helper_chain "$O" br2)"
helper_port "$O" br4
t_match "br4 (filter = no, filter-groups = root): root's helper TAP had a chain" '^port-' "$(helper_chain "$O" br4)"

# --- isolated = yes for qemu-ifup ports ---
I1_MAC=52:54:00:00:03:01 I2_MAC=52:54:00:00:03:02
t_check "qemu-ifup vgI1 br3 (isolated = yes)" make_guest I1 "$I1_MAC" br3 198.18.3.10/24
t_check "qemu-ifup vgI2 br3" make_guest I2 "$I2_MAC" br3 198.18.3.11/24
isolated() { [ "$(bridge -j -d link show dev "$1" | jq -r '.[0].isolated')" = true ]; }
t_check "vgI1 and vgI2 are isolated ports (bridge -d link)" eval 'isolated vgI1 && isolated vgI2'
watch "$GI2" eth0 from-i1 ether saddr "$I1_MAC"
watch "$GI1" eth0 from-i2 ether saddr "$I2_MAC"
t_check "isolated: I1 pings the host" t_wait 10 pings "$GI1" 198.18.3.1
t_check "isolated: I2 pings the host" t_wait 10 pings "$GI2" 198.18.3.1
t_in_ns "$GI1" ip neigh replace 198.18.3.11 lladdr "$I2_MAC" dev eth0 nud permanent
t_check_fail "isolated: I1 cannot ping I2 (even with a static neighbour entry)" t_wait 3 pings "$GI1" 198.18.3.11
t_check_fail "isolated: I2 cannot ping I1" t_wait 3 pings "$GI2" 198.18.3.10
t_check "(fence: I1 still reaches the host)" pings "$GI1" 198.18.3.1
t_eq "isolated: no frame of I1 reached I2, none of I2 reached I1" "0 0" \
	"$(seen "$GI2" eth0 from-i1) $(seen "$GI1" eth0 from-i2)"

# --- isolated = yes on a NAT network (filtered by default too) ---
UDHCPC=$T_TMP/udhcpc.script
cat >"$UDHCPC" <<'EOF'
#!/bin/sh
case $1 in
bound|renew)
	ip -4 addr flush dev "$interface"
	ip addr add "$ip/$mask" dev "$interface"
	echo "$ip" >"$LEASE_OUT" ;;
esac
exit 0
EOF
chmod 755 "$UDHCPC"
nat_guest() { # N MAC: a guest of network iso with a lease
	local pid
	t_veth_guest "$1" "$2"
	pid=G$1 pid=${!pid}
	QNET_NETWORK=iso "$UP" "vg$1" || return 1
	LEASE_OUT=$T_TMP/lease$1 t_in_ns "$pid" timeout 30 busybox udhcpc -i eth0 -f -q -n -t 10 -T 1 \
		-s "$UDHCPC" >/dev/null 2>&1
	test -s "$T_TMP/lease$1"
}
J1_MAC=52:54:00:00:04:01 J2_MAC=52:54:00:00:04:02
t_check "network iso: guest J1 up, with a lease" nat_guest J1 "$J1_MAC"
t_check "network iso: guest J2 up, with a lease" nat_guest J2 "$J2_MAC"
J1_IP=$(cat "$T_TMP/leaseJ1") J2_IP=$(cat "$T_TMP/leaseJ2")
t_check "network iso: both ports isolated and filtered" \
	eval 'isolated vgJ1 && isolated vgJ2 && pf_has vgJ1 && pf_has vgJ2'
watch "$GJ2" eth0 from-j1 ether saddr "$J1_MAC"
t_check "network iso: J1 pings the gateway" t_wait 10 pings "$GJ1" 10.0.78.1
t_check "network iso: J2 pings the gateway" t_wait 10 pings "$GJ2" 10.0.78.1
t_in_ns "$GJ1" ip neigh replace "$J2_IP" lladdr "$J2_MAC" dev eth0 nud permanent
t_check_fail "network iso: J1 cannot ping J2" t_wait 3 pings "$GJ1" "$J2_IP"
t_check_fail "network iso: J2 cannot ping J1" t_wait 3 pings "$GJ2" "$J1_IP"
t_eq "network iso: no frame of J1 reached J2" 0 "$(seen "$GJ2" eth0 from-j1)"
QNET_NETWORK=iso "$DOWN" vgJ1
QNET_NETWORK=iso "$DOWN" vgJ2
t_check_fail "network iso is down after its last port" link_exists qnet-iso

# --- qemu-ifdown removes the rules of its port ---
a=$(ifindex vgA)
"$IFDOWN" vgA br0
t_check_fail "qemu-ifdown vgA: its chain is gone" pf_has_ifindex "$(ifindex br0)" "$a"
t_done
