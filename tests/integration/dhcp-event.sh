#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# qnet-dhcp-event, run as dnsmasq runs it (argv and environment), and then
# by a real dnsmasq: each lease event read back from the kernel's
# allow-lists (nft -j list set bridge qnet ip4-B / ip6-B, B the bridge's
# ifindex): IPv4 and IPv6 leases, the EUI-64 addresses an IPv4 lease
# brings, removal, bad input refused in one line with nothing changed;
# a NAT network's host = entries and lease file allowed at bring-up and
# after nft flush ruleset, and its lists gone with it.
. "$(dirname "$0")/../lib.sh"
t_netns "$@"
for tool in nft jq busybox /usr/sbin/dnsmasq; do
	command -v "$tool" >/dev/null || t_skip_all "$tool missing"
done

EV=$QNET_BUILD/helpers/qnet-dhcp-event
UP=$QNET_BUILD/helpers/qemu-ifup-nat
DOWN=$QNET_BUILD/helpers/qemu-ifdown-nat
M1=52:54:00:12:34:56 M2=52:54:00:ab:cd:ef M3=52:54:00:00:00:03 M4=52:54:00:00:00:04
# elements FAMILY BRIDGE: the set's elements, "MAC ADDRESS" sorted, one a line
elements() {
	local b
	b=$(link_field "$2" ifindex)
	nft -j list set bridge qnet "ip$1-$b" 2>/dev/null |
		jq -r '.nftables[] | select(.set) | .set.elem[]? | (.elem.val? // .) | .concat | "\(.[0]) \(.[1])"' | sort
}
state() { elements 4 br0; echo --; elements 6 br0; }
has() { elements "$1" "$2" | grep -qxF -- "$3"; }
ev() { env -u QNET_DHCP_BRIDGE DNSMASQ_INTERFACE=br0 "$EV" "$@"; }

ip link add br0 type bridge
ip link set br0 up
ip addr add fd00:1::1/64 dev br0 nodad
ip addr add fd00:2::1/64 dev br0 nodad
ip link add ve0 type veth peer name ve1

# --- IPv4 lease: the address and the MAC's EUI-64 addresses ---
out=$(ev add $M1 10.9.0.10 web1 2>&1); rc=$?
t_eq "add MAC IPv4 HOSTNAME: exit 0, nothing printed" "0 " "$rc $out"
t_check "ip4-B: $M1 may use 10.9.0.10" has 4 br0 "$M1 10.9.0.10"
t_check "ip6-B: its EUI-64 link-local fe80::5054:ff:fe12:3456" has 6 br0 "$M1 fe80::5054:ff:fe12:3456"
t_check "ip6-B: its EUI-64 address in the bridge's first /64" has 6 br0 "$M1 fd00:1::5054:ff:fe12:3456"
t_check "ip6-B: ... and in its second /64" has 6 br0 "$M1 fd00:2::5054:ff:fe12:3456"
t_eq "nothing else: one IPv4 and three IPv6 elements" "1 3" "$(elements 4 br0 | wc -l) $(elements 6 br0 | wc -l)"
before=$(state)
t_eq "old for the same lease (dnsmasq's start): exit 0" 0 "$(ev old $M1 10.9.0.10 web1 >/dev/null 2>&1; echo $?)"
t_eq "... the lists are as they were" "$before" "$(state)"
out=$(env -u DNSMASQ_INTERFACE QNET_DHCP_BRIDGE=br0 "$EV" old $M2 10.9.0.11 2>&1); rc=$?
t_eq "old without DNSMASQ_INTERFACE: the bridge from QNET_DHCP_BRIDGE" "0 " "$rc $out"
t_check "... $M2 may use 10.9.0.11" has 4 br0 "$M2 10.9.0.11"

# --- IPv6 leases: the MAC from DNSMASQ_MAC or from the DUID ---
t_eq "DHCPv6 add with DNSMASQ_MAC: exit 0" 0 \
	"$(DNSMASQ_MAC=$M4 ev add 00:02:00:00:ab:11:01:02 fd00:1::1000 >/dev/null 2>&1; echo $?)"
t_check "ip6-B: $M4 may use fd00:1::1000" has 6 br0 "$M4 fd00:1::1000"
t_eq "... and no EUI-64 addresses come with an IPv6 lease" "$M4 fd00:1::1000" "$(elements 6 br0 | grep "^$M4 ")"
t_eq "DHCPv6 old without DNSMASQ_MAC, a DUID-LL: exit 0" 0 \
	"$(ev old 00:03:00:01:$M3 fd00:1::1001 >/dev/null 2>&1; echo $?)"
t_check "ip6-B: the MAC the DUID names may use fd00:1::1001" has 6 br0 "$M3 fd00:1::1001"
before=$(state)
t_expect_error "DHCPv6 add whose MAC is unknown (DUID-EN, no DNSMASQ_MAC): one line, exit 1" \
	'^qnet-dhcp-event: lease add 00:02:00:00:ab:11:01:02 fd00:1::1002 on br0: .*MAC is unknown' \
	ev add 00:02:00:00:ab:11:01:02 fd00:1::1002
t_eq "... nothing changed" "$before" "$(state)"
t_eq "DHCPv6 del whose MAC is unknown: exit 0" 0 \
	"$(ev del 00:02:00:00:ab:11:01:02 fd00:1::1000 >/dev/null 2>&1; echo $?)"
t_check_fail "... the address is gone for the MAC that had it" has 6 br0 "$M4 fd00:1::1000"
t_eq "DHCPv6 del with the MAC: exit 0" 0 "$(ev del 00:03:00:01:$M3 fd00:1::1001 >/dev/null 2>&1; echo $?)"
t_check_fail "... gone" has 6 br0 "$M3 fd00:1::1001"

# --- del of an IPv4 lease takes its EUI-64 addresses, also of a /64 since gone ---
ip addr add fd00:3::1/64 dev br0 nodad
ev old $M1 10.9.0.10 web1
t_check "a /64 added to the bridge: the next old allows the EUI-64 address in it" \
	has 6 br0 "$M1 fd00:3::5054:ff:fe12:3456"
ip addr del fd00:3::1/64 dev br0
t_eq "del MAC IPv4: exit 0" 0 "$(ev del $M1 10.9.0.10 web1 >/dev/null 2>&1; echo $?)"
t_check_fail "... the IPv4 address is gone" has 4 br0 "$M1 10.9.0.10"
t_eq "... and every EUI-64 address of $M1, the one of the /64 removed from the bridge too" "" \
	"$(elements 6 br0 | grep "^$M1 ")"
t_check "... another MAC's lease stays" has 4 br0 "$M2 10.9.0.11"
t_eq "del of what is not there: exit 0" 0 "$(ev del $M1 10.9.0.10 >/dev/null 2>&1; echo $?)"

# --- what is not a lease event ---
before=$(state)
for a in "init" "tftp 1234 10.9.0.20 /srv/tftp/pxelinux.0" "arp-add $M1 10.9.0.10" "arp-del $M1 10.9.0.10" \
	"relay-snoop br0 fe80::1 fd00:9::/56"; do
	# shellcheck disable=SC2086 # the words of one event
	out=$(ev $a 2>&1); rc=$?
	t_eq "'${a%% *}' is not ours: exit 0, nothing printed" "0 " "$rc $out"
done
t_eq "... nothing changed" "$before" "$(state)"

# --- bad input: one line naming the lease, exit 1, nothing changed ---
bad() { # DESC REGEX ARGS...
	local d=$1 re=$2; shift 2
	t_expect_error "$d" "^qnet-dhcp-event: lease $re" "$@"
}
bad "a MAC of another hardware type" "add 06-52:54:00:12:34:56 10.9.0.30: .*Ethernet" \
	ev add 06-52:54:00:12:34:56 10.9.0.30
bad "a multicast MAC" "add 53:54:00:12:34:56 10.9.0.30: " ev add 53:54:00:12:34:56 10.9.0.30
bad "an address that is none" "add $M1 10.9.0: '10.9.0' is not an IPv4 or IPv6 address" ev add $M1 10.9.0
bad "no address" "add $M1 : " ev add $M1
bad "a malformed DNSMASQ_MAC" "add 00:02:00:00:ab:11:01:02 fd00:1::1003: DNSMASQ_MAC" \
	env DNSMASQ_MAC=52:54 DNSMASQ_INTERFACE=br0 "$EV" add 00:02:00:00:ab:11:01:02 fd00:1::1003
bad "a request on another interface than the network's bridge" "add $M1 10.9.0.30: the request came on eth9, not on br0" \
	env DNSMASQ_INTERFACE=eth9 QNET_DHCP_BRIDGE=br0 "$EV" add $M1 10.9.0.30
bad "no bridge named at all" "add $M1 10.9.0.30: no bridge" \
	env -u DNSMASQ_INTERFACE -u QNET_DHCP_BRIDGE "$EV" add $M1 10.9.0.30
bad "a bridge that does not exist" "add $M1 10.9.0.30 on br9: bridge br9 does not exist" \
	env DNSMASQ_INTERFACE=br9 "$EV" add $M1 10.9.0.30
bad "an interface that is not a bridge" "add $M1 10.9.0.30 on ve0: ve0 is not a bridge" \
	env DNSMASQ_INTERFACE=ve0 "$EV" add $M1 10.9.0.30
bad "an interface name that is none" "add $M1 10.9.0.30: bridge 'a/b'" \
	env DNSMASQ_INTERFACE=a/b "$EV" add $M1 10.9.0.30
t_expect_error "a control byte in an argument comes back escaped, still one line" \
	'^qnet-dhcp-event: lease add 52:54:00:12:34:5\? ' ev add $'52:54:00:12:34:5\x01' 10.9.0.30
t_eq "... after all of them nothing changed" "$before" "$(state)"

# --- a NAT network: host = entries and the lease file at bring-up, after a flush ---
ip link del br0
printf '[network lab]\nsubnet = 10.9.1.0/24\nsubnet6 = fd00:9::/64\nbridge = labbr\nhost = %s 10.9.1.10 fd00:9::10 web1\n' \
	"$M1" >"$QNET_CONFDIR/qnet.conf"
now=$(date +%s)
printf '%s %s 10.9.1.50 old-guest *\n%s %s 10.9.1.51 expired *\n' $((now + 3000)) "$M2" $((now - 10)) "$M3" \
	>"$QNET_STATEDIR/lab.leases"
ip tuntap add t1 mode tap
ip tuntap add t2 mode tap
t_eq "qemu-ifup-nat@lab t1: the network comes up" 0 "$(QNET_NETWORK=lab "$UP" t1 >/dev/null 2>&1; echo $?)"
pid=$(cat "$QNET_RUNDIR/lab.dnsmasq.pid" 2>/dev/null)
t_match "dnsmasq runs qnet-dhcp-event from libexecdir, on renewals too" \
	"--dhcp-script=$QNET_BUILD/helpers/qnet-dhcp-event --script-on-renewal" "$(tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null)"
t_check "ip4-B: the host = entry" has 4 labbr "$M1 10.9.1.10"
t_check "ip6-B: its IPv6 address" has 6 labbr "$M1 fd00:9::10"
t_check "ip6-B: its EUI-64 link-local and SLAAC addresses" \
	eval "has 6 labbr '$M1 fe80::5054:ff:fe12:3456' && has 6 labbr '$M1 fd00:9::5054:ff:fe12:3456'"
t_check "ip4-B: the lease of the lease file" t_wait 10 has 4 labbr "$M2 10.9.1.50"
t_check "... with its EUI-64 SLAAC address" has 6 labbr "$M2 fd00:9::5054:ff:feab:cdef"
t_check_fail "... not the expired lease" has 4 labbr "$M3 10.9.1.51"
lists=$(elements 4 labbr; elements 6 labbr)
nft flush ruleset
t_check_fail "nft flush ruleset: the lists are gone" nft list table bridge qnet
t_eq "qemu-ifup-nat@lab t2: exit 0" 0 "$(QNET_NETWORK=lab "$UP" t2 >/dev/null 2>&1; echo $?)"
t_eq "... the lists are back as they were" "$lists" "$(elements 4 labbr; elements 6 labbr)"

# --- a real DHCP exchange: dnsmasq runs the program ---
# udhcpc's script configures the lease: a release is sent from it.
UDHCPC=$T_TMP/udhcpc.script
printf '#!/bin/sh\ncase $1 in\nbound|renew) ip addr add "$ip/$mask" dev "$interface" ;;\ndeconfig) ip -4 addr flush dev "$interface" ;;\nesac\nexit 0\n' >"$UDHCPC"
chmod 755 "$UDHCPC"
t_new_ns G
ip link add vg1 type veth peer name eth0 netns "$G"
t_in_ns "$G" ip link set eth0 address "$M3"
t_in_ns "$G" ip link set eth0 up
t_eq "qemu-ifup-nat@lab vg1 (a guest's port)" 0 "$(QNET_NETWORK=lab "$UP" vg1 >/dev/null 2>&1; echo $?)"
t_in_ns "$G" timeout 20 busybox udhcpc -i eth0 -f -q -n -t 5 -T 1 -s "$UDHCPC" >/dev/null 2>&1
lease=$(awk -v m="$M3" '$2 == m { print $3 }' "$QNET_STATEDIR/lab.leases")
t_match "the guest got a lease" '^10\.9\.1\.[0-9]+$' "$lease"
t_check "dnsmasq's add put it in ip4-B" t_wait 10 has 4 labbr "$M3 $lease"
# qnet status: what the port's filter lets its guest do
Q=$QNET_BUILD/helpers/qnet
port=$("$Q" status --json | jq -c '.bridges[] | select(.name == "labbr") | .ports[] | select(.name == "vg1")')
t_eq "qnet status --json, vg1: filter on, the guest's MAC as the filter learned it, not isolated, no rates" \
	"true $M3 false null null" "$(jq -r '"\(.filter) \(.guest_mac) \(.isolated) \(.rate_in) \(.rate_out)"' <<<"$port")"
t_eq "... its addresses are ip4-B's and ip6-B's for that MAC" \
	"$( (elements 4 labbr; elements 6 labbr) | awk -v m="$M3" '$1 == m { print $2 }' | sort | tr '\n' ' ')" \
	"$(jq -r '.addresses[]' <<<"$port" | sort | tr '\n' ' ')"
t_check "... the lease among them" jq -e --arg ip "$lease" '.addresses | index($ip) != null' <<<"$port"
t_match "qnet status (text): vg1's line" "^  port vg1: filter, guest $M3, allowed .*$lease" "$("$Q" status)"

# dnsmasq restarted: its "old" events, which name no interface, put the
# lease back through QNET_DHCP_BRIDGE (the list is not empty, so the
# bring-up's own lease reading does not).
b=$(link_field labbr ifindex)
kill "$(cat "$QNET_RUNDIR/lab.dnsmasq.pid")"
t_wait 5 eval '! kill -0 $(cat "$QNET_RUNDIR/lab.dnsmasq.pid") 2>/dev/null'
nft delete element bridge qnet "ip4-$b" "{ $M3 . $lease }"
t_check_fail "the lease taken out of ip4-B by hand" has 4 labbr "$M3 $lease"
t_eq "qemu-ifup-nat@lab t3 restarts the dead dnsmasq" 0 \
	"$(ip tuntap add t3 mode tap; QNET_NETWORK=lab "$UP" t3 >/dev/null 2>&1; echo $?)"
t_check "dnsmasq's old event at its start put the lease back" t_wait 10 has 4 labbr "$M3 $lease"

# --- qnet gc: the filter of a port that died without its downscript ---
i3=$(link_field t3 ifindex)
t_check "t3 has a filter (its chain in table bridge qnet)" nft list chain bridge qnet "port-$b-$i3"
ip link del t3
out=$("$Q" gc 2>&1); rc=$?
t_eq "qnet gc: exit 0" 0 "$rc"
t_match "... names the filter it removed, on a line of its own" "(^|$(printf '\n'))filter of port $i3 \(bridge $b\): removed: the port was gone($|$(printf '\n'))" "$out"
t_check_fail "... its chain is gone" nft list chain bridge qnet "port-$b-$i3"
t_check "... another port's filter stays" nft list chain bridge qnet "port-$b-$(link_field t2 ifindex)"
t_eq "a second qnet gc finds nothing" "" "$("$Q" gc 2>&1 | grep '^filter')"

# --- teardown takes the bridge's lists with it ---
for t in vg1 t1 t2; do QNET_NETWORK=lab "$DOWN" "$t" >/dev/null 2>&1; done
t_check_fail "network down: labbr is gone" link_exists labbr
t_check_fail "... and so is its ip4-$b" nft list set bridge qnet "ip4-$b"
t_check_fail "... and its ip6-$b" nft list set bridge qnet "ip6-$b"
t_done
