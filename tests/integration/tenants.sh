#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Tenants on the default NAT network (issue 14): filtering is on with no
# configuration at all, so one guest cannot act as another guest or as the
# gateway. This namespace is the "host"; an "outside" namespace is its
# upstream (veth, 198.51.100.2, as in nat-traffic.sh); each "guest" is a
# namespace holding one end of a veth whose host end qemu-ifup-nat
# attaches as it would QEMU's TAP. Guests take leases with a real DHCP
# client (busybox udhcpc) from qnet's dnsmasq, and IPv6 addresses by SLAAC
# from its router advertisements.
#
# Guest B attacks with real tools where there are some (ip addr/link,
# socat, arping, dnsmasq, radvd) and with frames crafted
# by scapy (frames.py) where there are none: IPv4 and IPv6 from A's
# addresses, a new MAC, A's MAC as a fresh port's very first frame,
# forged ARP and NA for the gateway and for A, a rogue DHCP server (also
# one behind an IPv6 first fragment without its UDP header), a DHCP
# release in A's name (whole and in fragments), a rogue RA, router
# solicitations, DHCPv6 requests and duplicate address detection in A's
# or the gateway's name, 802.1Q and other ethertypes. Every attack is asserted on the
# frames the victims saw (netdev ingress counters in their namespaces,
# tenants-lib.sh: watch/seen), after a legitimate "fence" frame sent the
# same way afterwards has arrived, on counters of what B did send (so a 0
# means something), and on kernel state (neighbour tables, the bridge's
# forwarding database, SLAAC addresses and routes), never on our return
# codes. Then legitimate traffic: a renewal, a lease that changes, a
# reboot, a host = guest without DHCP, a guest migrating between two
# ports, IPv6 from the SLAAC address; and the attach race: frames a guest
# sends while qemu-ifup-nat is frozen at each step of the attach are never
# forwarded, and the port is never up without its filter.
. "$(dirname "$0")/../lib.sh"
t_netns "$@"
. "$(dirname "$0")/tenants-lib.sh"
for tool in nft /usr/sbin/dnsmasq /usr/sbin/radvd busybox socat jq arping bridge "$PY"; do
	command -v "$tool" >/dev/null || t_skip_all "$tool missing (tools/deps.sh test installs it)"
done
"$PY" -c 'import scapy' 2>/dev/null || t_skip_all "python3-scapy missing (tools/deps.sh test installs it)"

UP=$QNET_BUILD/helpers/qemu-ifup-nat
DOWN=$QNET_BUILD/helpers/qemu-ifdown-nat
QNET=$QNET_BUILD/helpers/qnet
BR=qnetbr0 GW=10.0.76.1 HOST=198.51.100.1 OUT=198.51.100.2
A_MAC=52:54:00:00:76:0a B_MAC=52:54:00:00:76:0b C_MAC=52:54:00:00:76:0c
E_MAC=52:54:00:00:76:0e H_MAC=52:54:00:00:76:31 S_MAC=52:54:00:00:76:55 M_MAC=52:54:00:00:76:40 R_MAC=52:54:00:00:76:50
B_MAC2=52:54:00:00:76:bb H_IP=10.0.76.31 E_NEW=10.0.76.222
export QNET_MACHINE_ID=$T_TMP/machine-id
echo 0123456789abcdef0123456789abcdef >"$QNET_MACHINE_ID"
cat >"$QNET_CONFDIR/qnet.conf" <<EOF
[network default]
host = $H_MAC $H_IP vmh
EOF
echo 0 >/proc/sys/net/ipv4/ip_forward
echo 0 >/proc/sys/net/ipv6/conf/all/forwarding

# --- the outside, its servers and counters ---
t_outside OUTSIDE "$HOST" "$OUT"
t_serve "$OUTSIDE" TCP-LISTEN:7000,bind=$OUT,fork,reuseaddr SYSTEM:'echo "$SOCAT_PEERADDR $SOCAT_PEERPORT"'
# What reaches the outside is masqueraded to $HOST: told apart by port.
watch "$OUTSIDE" qout1 spoof4 udp dport 7002
watch "$OUTSIDE" qout1 newmac udp dport 7003
watch "$OUTSIDE" qout1 firstmac udp dport 7004
watch "$OUTSIDE" qout1 race udp dport 7005
watch "$OUTSIDE" qout1 fence udp dport 7009
t_check "outside: TCP server listens" t_wait 10 t_listens "$OUTSIDE" 7000

# udhcpc's script: configure the lease, record it in $LEASE_OUT (renamed
# into place: never seen half-written), then log the event to
# $LEASE_OUT.log, so that an event counted there is done; with PROBE set,
# log only (a second client).
UDHCPC=$T_TMP/udhcpc.script
cat >"$UDHCPC" <<'EOF'
#!/bin/sh
[ -n "${PROBE:-}" ] || case $1 in
bound|renew)
	ip -4 addr show dev "$interface" | grep -q "inet $ip/" || {
		ip -4 addr flush dev "$interface"
		ip addr add "$ip/$mask" dev "$interface"
	}
	ip route replace default via "${router%% *}" dev "$interface"
	echo "$ip/$mask server=$serverid router=$router" >"$LEASE_OUT.new"
	mv -f "$LEASE_OUT.new" "$LEASE_OUT" ;;
deconfig) ip -4 addr flush dev "$interface"; rm -f "$LEASE_OUT" ;;
esac
echo "$1 ${ip:-} server=${serverid:-} router=${router:-}" >>"$LEASE_OUT.log"
exit 0
EOF
chmod 755 "$UDHCPC"

guest_ns() { local v=G$1; echo "${!v:-}"; }
# The host ends' MACs: fe:..., high and rising, as qemu-bridge-helper makes
# its TAPs', so that the bridge (which takes its lowest port's MAC while
# nobody sets its own) keeps the first port's MAC whatever comes and goes.
# A port with a lower MAC is a case of its own, at the end.
PORT_N=16
port_mac() { PORT_N=$((PORT_N + 1)); printf 'fe:00:00:00:00:%02x' "$PORT_N"; }
# make_guest N MAC [nosix]: namespace G<N>, its eth0 (MAC) the peer of vg<N>,
# which qemu-ifup-nat attaches. Counters on eth0 are added by the caller.
make_guest() {
	local n=$1 pid
	t_new_ns pid
	printf -v "G$n" %s "$pid"
	ip link add "vg$n" address "$(port_mac)" type veth peer name eth0 netns "$pid"
	t_in_ns "$pid" ip link set eth0 address "$2"
	[ "${3:-}" = nosix ] && t_in_ns "$pid" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
	t_in_ns "$pid" ip link set eth0 up
	"$UP" "vg$n"
}
# udhcpc_start N [ARGS]: udhcpc runs in guest N (as a guest's would).
declare -A UDHCPC_PID
udhcpc_start() {
	local n=$1; shift
	rm -f "$T_TMP/lease$n"
	LEASE_OUT=$T_TMP/lease$n nsenter "--net=/proc/$(guest_ns "$n")/ns/net" -- \
		busybox udhcpc -i eth0 -f -t 10 -T 1 -A 1 -s "$UDHCPC" "$@" </dev/null >>"$T_TMP/udhcpc$n.out" 2>&1 &
	UDHCPC_PID[$n]=$!
	t_on_exit "kill ${UDHCPC_PID[$n]}"
}
udhcpc_stop() { kill "${UDHCPC_PID[$1]}" 2>/dev/null; t_wait 5 t_pid_dead "${UDHCPC_PID[$1]}"; }
# lease N: guest N's lease (ADDRESS/LEN server=... router=...), once it has one.
lease() { t_wait 30 test -s "$T_TMP/lease$1" && cat "$T_TMP/lease$1"; }
lease_ip() { local l; l=$(cat "$T_TMP/lease$1" 2>/dev/null); echo "${l%%/*}"; }
events() { grep -c "^$2 " "$T_TMP/lease$1.log" 2>/dev/null; }
# dhcp_probe N: one DISCOVER..ACK exchange from guest N that configures
# nothing: which server answered it.
dhcp_probe() {
	rm -f "$T_TMP/probe$1.log"
	PROBE=1 LEASE_OUT=$T_TMP/probe$1 t_in_ns "$(guest_ns "$1")" timeout 20 busybox udhcpc -i eth0 -f -q -n \
		-t 5 -T 1 -s "$UDHCPC" >/dev/null 2>&1
	sed -n 's/^bound [^ ]* //p' "$T_TMP/probe$1.log" 2>/dev/null | head -n1
}
tcp_ask() { # PID HOST PORT [SOCAT-OPTIONS]: the server's one-line answer
	t_in_ns "$1" timeout 10 socat -T 5 - "TCP:$2:$3${4:+,$4}" </dev/null 2>/dev/null
}
reaches_out() { tcp_ask "$1" "$OUT" 7000 | grep -q "^$HOST "; }
pings() { t_in_ns "$1" busybox ping -c1 -W1 "$2" >/dev/null 2>&1; }
# udp_send PID DEST PORT [SOCAT-OPTIONS]: one datagram
udp_send() { echo x | t_in_ns "$1" timeout 5 socat -u - "UDP-DATAGRAM:$2:$3${4:+,$4}" 2>/dev/null; }
# fence NAME-PID NAME-DEV NAME SEND...: SEND (a command) until counter NAME
# at (PID, DEV) grows: what was sent before it has arrived, or never will.
fence() {
	local pid=$1 dev=$2 name=$3 n i; shift 3
	n=$(seen "$pid" "$dev" "$name")
	for ((i = 0; i < 10; i++)); do
		"$@" >/dev/null 2>&1
		t_wait 1 eval '[ "$(seen "$pid" "$dev" "$name")" -gt "$n" ]' && return 0
	done
	state_dump
	return 1
}
# What the kernel had, for the log, when a check failed.
state_dump() {
	{
		nft list table bridge qnet
		bridge fdb show br $BR
		echo "host:"; ip neigh show dev $BR
		for g in A M3; do
			[ -n "$(guest_ns $g)" ] && echo "$g:" && t_in_ns "$(guest_ns $g)" ip neigh show
		done
	} 2>&1 | sed 's/^/# /' >&2
}
b_fence_bcast() { udp_send "$GB" 10.0.76.255 9 broadcast; }
b_fence_out() { udp_send "$GB" "$OUT" 7009; }

# --- up: guests A and B, leases, IPv6 by SLAAC ---
t_check "qemu-ifup-nat vgA (creates the default network, no configuration of filtering)" make_guest A "$A_MAC"
t_check "qemu-ifup-nat vgB" make_guest B "$B_MAC"
BRIDX=$(ifindex $BR)
# The gateway's MAC: a bridge nobody set the MAC of takes the lowest of its
# ports', so it changes as ports come and go (and the host's IP layer drops
# a frame to a port's MAC as not its own): read it when a frame is made.
gwmac() { link_field $BR address; }
# pin_gw PID: a static neighbour entry for the gateway in guest PID, so
# that what it sends next goes out as it is, never after an ARP of its own
# (which the filter would drop, or which would carry a spoofed address).
pin_gw() { t_in_ns "$1" ip neigh replace "$GW" lladdr "$(gwmac)" dev eth0 nud permanent; }
unpin_gw() { t_in_ns "$1" ip neigh del "$GW" dev eth0; }
t_check "vgA has its filter chain in table bridge qnet (on by default)" pf_has vgA
t_check "vgB too" pf_has vgB
t_check "host = entries are allowed once the network is up: $H_MAC $H_IP" pf_allowed4 $BR "$H_MAC" "$H_IP"
# Victims' counters: what A's eth0 and the host's bridge device receive.
watch "$GA" eth0 arp-gw-b ether saddr "$B_MAC" arp saddr ip "$GW"
watch "$GA" eth0 fence-b ether saddr "$B_MAC" udp dport 9
watch "$GA" eth0 newmac ether saddr "$B_MAC2"
watch "$GA" eth0 dhcp-b ether saddr "$B_MAC" udp sport 67
watch "$GA" eth0 ra-b ether saddr "$B_MAC" icmpv6 type nd-router-advert
watch "$GA" eth0 fence6-b ether saddr "$B_MAC" udp dport 7008
watch "$GA" eth0 vlan-b ether saddr "$B_MAC" ether type 8021q
watch "$GA" eth0 other-b ether saddr "$B_MAC" ether type 0x88b5
watch "$GA" eth0 own-mac ether saddr "$A_MAC"
# What B sends, before the bridge (the host end of its veth).
watch $$ vgB b-arp-gw arp saddr ip "$GW"
watch $$ vgB b-spoof4 udp dport 7002
watch $$ vgB b-newmac ether saddr "$B_MAC2"
watch $$ vgB b-dhcp-server udp sport 67
watch $$ vgB b-ra icmpv6 type nd-router-advert
watch $$ vgB b-na icmpv6 type nd-neighbor-advert
watch $$ vgB b-spoof6 udp dport 7006
watch $$ vgB b-vlan ether type 8021q
watch $$ vgB b-other ether type 0x88b5

udhcpc_start A
udhcpc_start B
t_match "guest A gets a lease from qnet's dnsmasq" "^10\.0\.76\.[0-9]+/24 server=$GW router=$GW\$" "$(lease A)"
t_match "guest B too" "^10\.0\.76\.[0-9]+/24 server=$GW router=$GW\$" "$(lease B)"
A_IP=$(lease_ip A) B_IP=$(lease_ip B)
t_check "A's lease is allowed for A's MAC (the dhcp-script hook, polled)" t_wait 10 pf_allowed4 $BR "$A_MAC" "$A_IP"
t_check "B's lease for B's MAC" t_wait 10 pf_allowed4 $BR "$B_MAC" "$B_IP"
t_check "A pings the gateway" t_wait 10 pings "$GA" "$GW"
t_check "B pings the gateway" t_wait 10 pings "$GB" "$GW"
t_check "A reaches the outside" reaches_out "$GA"
t_check "B reaches the outside" reaches_out "$GB"
t_eq "vgA's filter learned A's MAC from its first frame" "$A_MAC" "$(pf_mac vgA)"
t_eq "vgB's learned B's" "$B_MAC" "$(pf_mac vgB)"
st=$("$QNET" status --json 2>/dev/null)
t_eq "qnet status --json: vgA filtered, its MAC, its lease among its addresses" "true $A_MAC true" \
	"$(jq -r --arg a "$A_IP" '.bridges[] | .ports[]? | select(.name == "vgA") |
		"\(.filter) \(.guest_mac) \(.addresses | index($a) != null)"' <<<"$st")"
# The host's bridge device: what the gateway receives.
watch $$ $BR arp-a-b ether saddr "$B_MAC" arp saddr ip "$A_IP"
watch $$ $BR newmac ether saddr "$B_MAC2"
watch $$ $BR fence-b ether saddr "$B_MAC" udp dport 9
watch $$ $BR spoof6 udp dport 7006
watch $$ $BR fence6-b ether saddr "$B_MAC" udp dport 7008
watch $$ $BR firstmac ether saddr "$A_MAC" udp dport 7004

# IPv6: SLAAC from qnet's RA; the MAC's EUI-64 addresses are allowed once
# it has a v4 lease.
# (ip -j lists the addresses a filter left out as {})
first_local='[.[0].addr_info[]? | .local // empty][0] // empty'
GW6=$(ip -j -6 addr show dev $BR scope global | jq -r "$first_local")
GW_LL=$(ip -j -6 addr show dev $BR scope link | jq -r "$first_local")
PREFIX=${GW6%::1}
addr6() { # PID SCOPE: eth0's IPv6 address of that scope that passed DAD
	t_in_ns "$1" ip -j -6 addr show dev eth0 scope "$2" -tentative | jq -r "$first_local"
}
slaac() { addr6 "$1" global | grep -q "^$PREFIX:"; }
t_check "A configures a SLAAC address in the network's /64" t_wait 30 slaac "$GA"
t_check "B too" t_wait 30 slaac "$GB"
A6=$(addr6 "$GA" global) A_LL=$(addr6 "$GA" link) B6=$(addr6 "$GB" global) B_LL=$(addr6 "$GB" link)
t_check "A's EUI-64 global address $A6 is allowed for A's MAC" t_wait 10 pf_allowed6 $BR "$A_MAC" "$A6"
t_check "and its EUI-64 link-local $A_LL" pf_allowed6 $BR "$A_MAC" "$A_LL"
t_check "A pings the gateway $GW6 from its SLAAC address" \
	t_wait 10 t_in_ns "$GA" busybox ping -6 -c1 -W1 -I "$A6" "$GW6"
t_check "A pings the gateway's link-local address" \
	t_wait 10 t_in_ns "$GA" busybox ping -6 -c1 -W1 -I eth0 "$GW_LL"
t_check "B pings the gateway $GW6" t_wait 10 t_in_ns "$GB" busybox ping -6 -c1 -W1 "$GW6"
t_check "the host pings A's SLAAC address" t_wait 10 busybox ping -6 -c1 -W1 "$A6"
# A Linux bridge takes the lowest of its ports' MACs when nobody set its
# own, so the gateway's MAC may change as ports come and go; whatever it
# is, the bridge takes a frame to any of its ports' MACs as its own.
gw_entry() { # PID ADDRESS: "gateway" if PID's neighbour entry for ADDRESS is one of those
	local m
	m=$(neigh "$1" eth0 "$2")
	if [ -n "$m" ] && { link_field $BR address; ip -j link show master $BR | jq -r '.[].address'; } | grep -qix "$m"; then
		echo gateway
	else
		echo "${m:-none}"
	fi
}
t_eq "before the attacks: A's neighbour entry for the gateway is the bridge's MAC" gateway "$(gw_entry "$GA" "$GW")"
t_eq "and the host's for A's address is A's MAC" "$A_MAC" "$(neigh $$ $BR "$A_IP")"
t_eq "A's neighbour entry for the gateway's link-local address is the bridge's MAC" gateway \
	"$(gw_entry "$GA" "$GW_LL")"
t_eq "the host's for A's SLAAC address is A's MAC" "$A_MAC" "$(neigh $$ $BR "$A6")"

# --- attack: B sends from A's IPv4 address ---
pin_gw "$GB"
t_in_ns "$GB" ip addr add "$A_IP/32" dev eth0
udp_send "$GB" "$OUT" 7002 "bind=$A_IP"
udp_send "$GB" "$OUT" 7002 "bind=$A_IP"
t_in_ns "$GB" ip addr del "$A_IP/32" dev eth0
frames "$GB" --iface eth0 --count 3 \
	"Ether(src='$B_MAC', dst='$(gwmac)')/IP(src='$A_IP', dst='$OUT')/UDP(sport=40000, dport=7002)" >/dev/null
unpin_gw "$GB"
t_check "(fence: B's own datagram to the outside arrives)" fence "$OUTSIDE" qout1 fence b_fence_out
t_check "spoofed IPv4: B did send 5 datagrams from A's address" seen_at_least $$ vgB b-spoof4 5
t_eq "spoofed IPv4: none of them reached the outside" 0 "$(seen "$OUTSIDE" qout1 spoof4)"
t_eq "the host's neighbour entry for A is still A's MAC" "$A_MAC" "$(neigh $$ $BR "$A_IP")"

# --- attack: B changes its MAC and keeps talking ---
t_in_ns "$GB" ip link set eth0 address "$B_MAC2"
pin_gw "$GB"
t_in_ns "$GB" busybox ping -c2 -W1 "$GW" >/dev/null 2>&1
udp_send "$GB" "$OUT" 7003
udp_send "$GB" "$OUT" 7003
t_in_ns "$GB" arping -c 2 -w 3 -U -I eth0 -s "$B_IP" "$B_IP" >/dev/null 2>&1
t_check "new MAC: B did send from $B_MAC2" seen_at_least $$ vgB b-newmac 4
# Read before B's own MAC is back (its next frames would undo a change).
nb=$(neigh $$ $BR "$B_IP")
t_in_ns "$GB" ip link set eth0 address "$B_MAC"
unpin_gw "$GB"
t_check "(fence: B, its own MAC back, reaches A and the host)" fence "$GA" eth0 fence-b b_fence_bcast
t_check "(fence: and the outside)" fence "$OUTSIDE" qout1 fence b_fence_out
t_eq "new MAC: nothing of it reached A" 0 "$(seen "$GA" eth0 newmac)"
t_eq "new MAC: nothing reached the host" 0 "$(seen $$ $BR newmac)"
t_eq "new MAC: nothing reached the outside" 0 "$(seen "$OUTSIDE" qout1 newmac)"
t_eq "new MAC: the bridge never learned it" "" "$(fdb_port $BR "$B_MAC2")"
t_eq "new MAC: the host's neighbour entry for B stayed B's MAC" "$B_MAC" "$nb"
t_eq "vgB's filter still allows only B's first MAC" "$B_MAC" "$(pf_mac vgB)"

# --- attack: a fresh port whose very first frame uses A's MAC ---
# Guest D is silent (no IPv6, no DHCP) until it has A's MAC and address.
t_check "qemu-ifup-nat vgD (a new guest, A's MAC, no IPv6)" make_guest D "$A_MAC" nosix
watch $$ vgD d-sent ether saddr "$A_MAC"
t_in_ns "$GD" ip addr add "$A_IP/24" dev eth0
t_in_ns "$GD" ip route add default via "$GW"
pin_gw "$GD"
udp_send "$GD" "$OUT" 7004
udp_send "$GD" "$OUT" 7004
frames "$GD" --iface eth0 --count 2 \
	"Ether(src='$A_MAC', dst='ff:ff:ff:ff:ff:ff')/ARP(op=2, hwsrc='$A_MAC', psrc='$A_IP', pdst='$A_IP')" >/dev/null
t_check "A's MAC on D: D did send" seen_at_least $$ vgD d-sent 4
# Read before A talks again (its next frame would move it back).
t_eq "the bridge still forwards A's MAC to vgA" vgA "$(fdb_port $BR "$A_MAC")"
t_check "(fence: A's own datagram to the outside arrives)" fence "$OUTSIDE" qout1 fence udp_send "$GA" "$OUT" 7009
t_eq "A's MAC on D: nothing reached the outside" 0 "$(seen "$OUTSIDE" qout1 firstmac)"
t_eq "A's MAC on D: nothing reached the host" 0 "$(seen $$ $BR firstmac)"
t_eq "A's MAC on D: A never received its own MAC" 0 "$(seen "$GA" eth0 own-mac)"
t_check "and A still reaches the outside" reaches_out "$GA"
"$DOWN" vgD
t_check_fail "qemu-ifdown-nat vgD removes its chain" pf_has_ifindex "$BRIDX" "$(ifindex vgD)"
ip link del vgD

# --- attack: forged ARP for the gateway and for A ---
t_in_ns "$GB" ip addr add "$GW/32" dev eth0
t_in_ns "$GB" arping -c 3 -w 4 -U -I eth0 -s "$GW" "$GW" >/dev/null 2>&1
t_in_ns "$GB" arping -c 3 -w 4 -A -I eth0 -s "$GW" "$GW" >/dev/null 2>&1
t_in_ns "$GB" ip addr del "$GW/32" dev eth0
t_in_ns "$GB" ip addr add "$A_IP/32" dev eth0
t_in_ns "$GB" arping -c 3 -w 4 -U -I eth0 -s "$A_IP" "$A_IP" >/dev/null 2>&1
t_in_ns "$GB" ip addr del "$A_IP/32" dev eth0
# and unicast replies, straight at each victim
frames "$GB" --iface eth0 --count 3 --interval 0.5 \
	"Ether(src='$B_MAC', dst='$A_MAC')/ARP(op=2, hwsrc='$B_MAC', psrc='$GW', hwdst='$A_MAC', pdst='$A_IP')" \
	"Ether(src='$B_MAC', dst='$(gwmac)')/ARP(op=2, hwsrc='$B_MAC', psrc='$A_IP', hwdst='$(gwmac)', pdst='$GW')" >/dev/null
t_check "forged ARP: B did send 9 claiming the gateway's address" seen_at_least $$ vgB b-arp-gw 9
t_check "(fence: B's broadcast reaches A)" fence "$GA" eth0 fence-b b_fence_bcast
t_check "(fence: and the host)" fence $$ $BR fence-b b_fence_bcast
t_eq "forged ARP: none claiming the gateway reached A" 0 "$(seen "$GA" eth0 arp-gw-b)"
t_eq "forged ARP: none claiming A reached the host" 0 "$(seen $$ $BR arp-a-b)"
t_eq "A's neighbour entry for the gateway is unchanged" gateway "$(gw_entry "$GA" "$GW")"
f=$T_FAILED
t_eq "the host's neighbour entry for A is unchanged" "$A_MAC" "$(neigh $$ $BR "$A_IP")"
[ "$T_FAILED" = "$f" ] || state_dump
t_check "A still reaches the outside" reaches_out "$GA"

# --- attack: a rogue DHCP server on B ---
nsenter "--net=/proc/$GB/ns/net" -- /usr/sbin/dnsmasq --conf-file=/dev/null --keep-in-foreground \
	--no-resolv --no-hosts --pid-file= --user=root --port=0 --interface=eth0 --bind-interfaces \
	--dhcp-authoritative --dhcp-range=10.0.76.200,10.0.76.210,1h --dhcp-option=3,"$B_IP" \
	--dhcp-leasefile="$T_TMP/rogue.leases" </dev/null >>"$T_TMP/rogue-dhcp.log" 2>&1 &
ROGUE=$!
t_on_exit "kill $ROGUE"
t_check "rogue DHCP: a dnsmasq listens on B's port 67" t_wait 10 t_listens "$GB" 67
t_check "qemu-ifup-nat vgC (a fresh guest)" make_guest C "$C_MAC"
watch "$GC" eth0 dhcp-b ether saddr "$B_MAC" udp sport 67
watch "$GC" eth0 fence-b ether saddr "$B_MAC" udp dport 9
udhcpc_start C
t_match "rogue DHCP: fresh guest C gets its lease from the gateway, router the gateway" \
	"^10\.0\.76\.[0-9]+/24 server=$GW router=$GW\$" "$(lease C)"
t_eq "rogue DHCP: a new DISCOVER from A is answered by the gateway only" "server=$GW router=$GW" \
	"$(dhcp_probe A)"
t_check "rogue DHCP: B's dnsmasq did answer" t_wait 10 seen_at_least $$ vgB b-dhcp-server 1
t_check "(fence: B reaches A)" fence "$GA" eth0 fence-b b_fence_bcast
t_check "(fence: B reaches C)" fence "$GC" eth0 fence-b b_fence_bcast
t_eq "rogue DHCP: no frame from B's port 67 reached A" 0 "$(seen "$GA" eth0 dhcp-b)"
t_eq "rogue DHCP: none reached C" 0 "$(seen "$GC" eth0 dhcp-b)"
t_eq "rogue DHCP: every event of C's client came from the gateway" "" \
	"$(grep -E '^(bound|renew) ' "$T_TMP/leaseC.log" | grep -v "server=$GW ")"
kill "$ROGUE"

# --- attack: DHCP from B that speaks for A, or serves from another port ---
# A server's answer from a source port that is not 67 (clients check only
# the destination), and a client message with A's MAC in chaddr (dnsmasq
# leases by chaddr: a RELEASE would free A's address for B to take).
watch "$GA" eth0 dhcp-b-high ether saddr "$B_MAC" udp dport 68
watch $$ "$BR" chaddr-a ether saddr "$B_MAC" udp dport 67
frames "$GB" --iface eth0 --count 3 --interval 0.2 \
	"Ether(src='$B_MAC', dst='ff:ff:ff:ff:ff:ff')/IP(src='$B_IP', dst='255.255.255.255')/UDP(sport=12345, dport=68)/BOOTP(op=2, yiaddr='$B_IP', chaddr=bytes.fromhex('${A_MAC//:/}'))/DHCP(options=[('message-type', 'offer'), 'end'])" \
	"Ether(src='$B_MAC', dst='ff:ff:ff:ff:ff:ff')/IP(src='0.0.0.0', dst='255.255.255.255')/UDP(sport=68, dport=67)/BOOTP(chaddr=bytes.fromhex('${A_MAC//:/}'))/DHCP(options=[('message-type', 'release'), 'end'])" >/dev/null
# The same release in two fragments, the first too short to hold chaddr.
release_a="raw(UDP(sport=68, dport=67, chksum=0)/BOOTP(chaddr=bytes.fromhex('${A_MAC//:/}'))/DHCP(options=[('message-type', 'release'), 'end']))"
frag4() { # OFFSET MF SLICE
	echo "Ether(src='$B_MAC', dst='ff:ff:ff:ff:ff:ff')/IP(src='0.0.0.0', dst='255.255.255.255', proto=17, id=7, frag=$1, flags=$2)/Raw($release_a[$3])"
}
watch $$ vgB b-frag4 ip frag-off \& 0x3fff != 0
frames "$GB" --iface eth0 --count 3 --interval 0.2 "$(frag4 0 1 :16)" "$(frag4 2 0 16:)" >/dev/null
t_check "B did send 6 fragments of a release in A's name" seen_at_least $$ vgB b-frag4 6
t_check "(fence: B's broadcast reaches A after them)" fence "$GA" eth0 fence-b b_fence_bcast
t_eq "DHCP offer from B's port 12345: none reached A" 0 "$(seen "$GA" eth0 dhcp-b-high)"
t_eq "DHCP with A's MAC in chaddr, from B, whole or in fragments: none reached the host" 0 \
	"$(seen $$ "$BR" chaddr-a)"
t_check "and A still reaches the outside" reaches_out "$GA"

# --- attack: a rogue router advertisement from B ---
cat >"$T_TMP/radvd.conf" <<EOF
interface eth0 {
	AdvSendAdvert on;
	MinRtrAdvInterval 3;
	MaxRtrAdvInterval 4;
	AdvDefaultPreference high;
	prefix 2001:db8:bad::/64 { AdvOnLink on; AdvAutonomous on; };
};
EOF
nsenter "--net=/proc/$GB/ns/net" -- /usr/sbin/radvd -n -C "$T_TMP/radvd.conf" -p "$T_TMP/radvd.pid" \
	-m stderr </dev/null >>"$T_TMP/radvd.log" 2>&1 &
RADVD=$!
t_on_exit "kill $RADVD"
frames "$GB" --iface eth0 --count 2 \
	"Ether(src='$B_MAC', dst='33:33:00:00:00:01')/IPv6(src='$B_LL', dst='ff02::1')/ICMPv6ND_RA(prf=1, routerlifetime=1800)/ICMPv6NDOptSrcLLAddr(lladdr='$B_MAC')/ICMPv6NDOptPrefixInfo(prefix='2001:db8:bad:1::', prefixlen=64, L=1, A=1)" >/dev/null
t_check "rogue RA: B did send 4 (radvd and scapy)" t_wait 20 seen_at_least $$ vgB b-ra 4
t_check "(fence: B reaches A)" fence "$GA" eth0 fence-b b_fence_bcast
t_eq "rogue RA: none reached A" 0 "$(seen "$GA" eth0 ra-b)"
t_eq "rogue RA: A has no address in B's prefixes" "" \
	"$(t_in_ns "$GA" ip -6 addr show dev eth0 | grep 2001:db8:bad)"
t_eq "rogue RA: A has no route of B's" "" \
	"$(t_in_ns "$GA" ip -6 route show | grep -e 2001:db8:bad -e "via $B_LL")"
t_eq "rogue RA: the host neither" "" "$(ip -6 route show | grep -e 2001:db8:bad -e "via $B_LL")"
kill "$RADVD"

# --- attack: a DHCPv6 server's reply behind a first fragment without its UDP header ---
# RFC 7112: the first fragment must hold the upper-layer header; one that
# does not would pass every check that reads it, unread.
frag6() { # OFFSET M PAYLOAD
	echo "Ether(src='$B_MAC', dst='$A_MAC')/IPv6(src='$B_LL', dst='$A_LL')/IPv6ExtHdrFragment(nh=60, offset=$1, m=$2, id=77)/Raw($3)"
}
watch "$GA" eth0 frag6-b ether saddr "$B_MAC" frag frag-off 0
watch $$ vgB b-frag6 frag frag-off 0
frames "$GB" --iface eth0 --count 3 --interval 0.2 \
	"$(frag6 0 1 "raw(IPv6ExtHdrDestOpt(nh=17))")" \
	"$(frag6 1 0 "raw(UDP(sport=547, dport=546, chksum=0)/Raw(bytes([2, 0, 0, 1])))")" >/dev/null
t_check "B did send 3 first fragments" seen_at_least $$ vgB b-frag6 3
t_check "(fence: B reaches A)" fence "$GA" eth0 fence-b b_fence_bcast
t_eq "a first fragment without its upper-layer header: none reached A" 0 "$(seen "$GA" eth0 frag6-b)"
# Neighbour discovery in fragments (RFC 6980): an NA for the gateway
# whose target is in the second fragment.
watch "$GA" eth0 frag-nd-b ether saddr "$B_MAC" frag frag-off 0 icmpv6 type nd-neighbor-advert
na_gw="raw(ICMPv6ND_NA(tgt='$GW_LL', R=1, S=0, O=1)/ICMPv6NDOptDstLLAddr(lladdr='$B_MAC'))"
frag6nd() { # OFFSET M SLICE
	echo "Ether(src='$B_MAC', dst='$A_MAC')/IPv6(src='$B_LL', dst='$A_LL')/IPv6ExtHdrFragment(nh=58, offset=$1, m=$2, id=78)/Raw($na_gw[$3])"
}
frames "$GB" --iface eth0 --count 3 --interval 0.2 "$(frag6nd 0 1 :8)" "$(frag6nd 1 0 8:)" >/dev/null
t_check "(fence: B reaches A)" fence "$GA" eth0 fence-b b_fence_bcast
t_eq "an NA in fragments: none reached A" 0 "$(seen "$GA" eth0 frag-nd-b)"
t_eq "A's neighbour entry for the gateway's link-local address is unchanged" gateway "$(gw_entry "$GA" "$GW_LL")"
t_check "A's own fragmented IPv6 passes: a 3000-byte echo to the gateway" \
	t_in_ns "$GA" busybox ping -6 -c1 -W2 -s 3000 "$GW6"
t_check "and IPv4: a 3000-byte echo" t_in_ns "$GA" busybox ping -c1 -W2 -s 3000 "$GW"
t_check "nft lists table bridge qnet, every rule of it" eval 'nft list table bridge qnet >/dev/null'

# --- attack: IPv6 from A's address, forged NA for the gateway and for A ---
# Fresh entries first: a change of the bridge's MAC (a port came) flushes
# the host's neighbour table.
t_check "the host pings A's SLAAC address, A the gateway's link-local one" \
	eval 'busybox ping -6 -c1 -W2 "$A6" >/dev/null && t_in_ns "$GA" busybox ping -6 -c1 -W2 -I eth0 "$GW_LL" >/dev/null'
# (B's own NAs, answers to A's and the host's NS, are not counted: by target)
for t in "$GW_LL" "$GW6"; do
	watch "$GA" eth0 na-b ether saddr "$B_MAC" icmpv6 type nd-neighbor-advert $(nd_target "$t")
done
for t in "$A6" "$A_LL"; do
	watch $$ $BR na-b ether saddr "$B_MAC" icmpv6 type nd-neighbor-advert $(nd_target "$t")
done
frames "$GB" --iface eth0 --count 3 \
	"Ether(src='$B_MAC', dst='$(gwmac)')/IPv6(src='$A6', dst='$GW6')/UDP(sport=40000, dport=7006)" \
	"Ether(src='$B_MAC', dst='$A_MAC')/IPv6(src='$B_LL', dst='$A_LL')/ICMPv6ND_NA(tgt='$GW_LL', R=1, S=1, O=1)/ICMPv6NDOptDstLLAddr(lladdr='$B_MAC')" \
	"Ether(src='$B_MAC', dst='33:33:00:00:00:01')/IPv6(src='$B_LL', dst='ff02::1')/ICMPv6ND_NA(tgt='$GW6', R=1, S=0, O=1)/ICMPv6NDOptDstLLAddr(lladdr='$B_MAC')" \
	"Ether(src='$B_MAC', dst='$(gwmac)')/IPv6(src='$B_LL', dst='$GW_LL')/ICMPv6ND_NA(tgt='$A6', R=0, S=1, O=1)/ICMPv6NDOptDstLLAddr(lladdr='$B_MAC')" \
	"Ether(src='$B_MAC', dst='$(gwmac)')/IPv6(src='$B_LL', dst='$GW_LL')/ICMPv6ND_NA(tgt='$A_LL', R=0, S=1, O=1)/ICMPv6NDOptDstLLAddr(lladdr='$B_MAC')" \
	"Ether(src='$B_MAC', dst='$(gwmac)')/IPv6(src='$B6', dst='$GW6')/UDP(sport=40000, dport=7008)" \
	"Ether(src='$B_MAC', dst='$A_MAC')/IPv6(src='$B_LL', dst='$A_LL')/UDP(sport=40000, dport=7008)" >/dev/null
t_check "IPv6: B did send 3 datagrams from A's address and 12 forged NAs" \
	eval 'seen_at_least $$ vgB b-spoof6 3 && seen_at_least $$ vgB b-na 12'
t_check "(fence: B's own datagrams, sent after them, reached the host)" t_wait 10 seen_at_least $$ $BR fence6-b 3
t_check "(fence: and A)" t_wait 10 seen_at_least "$GA" eth0 fence6-b 3
t_eq "IPv6 from A's address: none reached the gateway" 0 "$(seen $$ $BR spoof6)"
t_eq "forged NA: none reached A" 0 "$(seen "$GA" eth0 na-b)"
t_eq "forged NA: none reached the host" 0 "$(seen $$ $BR na-b)"
t_eq "A's neighbour entry for the gateway's link-local address is unchanged" gateway \
	"$(gw_entry "$GA" "$GW_LL")"
t_eq "the host's neighbour entry for A's SLAAC address is unchanged" "$A_MAC" "$(neigh $$ $BR "$A6")"
t_eq "the host's neighbour entry for A's link-local address is not B's" "" \
	"$(neigh $$ $BR "$A_LL" | grep -i "$B_MAC")"

# --- attack: B asks in the name of A's or the gateway's link-local address ---
# A router solicitation or a DHCPv6 request from A's link-local address,
# with B's MAC in its option, would make the host's neighbour entry for
# that address B's, and the host's DHCPv6 replies and RAs meant for A go
# to B. Duplicate address detection by B of A's addresses would make A
# give up one still tentative. The first port to speak for a link-local
# address owns it (owner6-B); the gateway's is the bridge's.
t_eq "owner6: A's link-local address is A's MAC's (claimed by its DAD and first use)" "$A_MAC" \
	"$(pf_owner6 $BR "$A_LL")"
t_eq "owner6: the gateway's is the bridge's MAC's" "$(gwmac)" "$(pf_owner6 $BR "$GW_LL")"
read -r A_LL_NS A_LL_NSMAC <<<"$(solicited "$A_LL")"
read -r A6_NS A6_NSMAC <<<"$(solicited "$A6")"
watch $$ vgB b-rs icmpv6 type nd-router-solicit
watch $$ vgB b-dad ip6 saddr :: icmpv6 type nd-neighbor-solicit
watch $$ vgB b-dhcp6 udp dport 547
for a in "$A_LL" "$GW_LL"; do
	watch $$ $BR rs-b ether saddr "$B_MAC" ip6 saddr "$a"
done
watch $$ $BR rs-own-b ether saddr "$B_MAC" ip6 saddr "$B_LL" icmpv6 type nd-router-solicit
watch $$ $BR sllao-a-b ether saddr "$B_MAC" icmpv6 type nd-router-solicit @th,64,16 0x0101 @th,80,48 0x${A_MAC//:/}
watch $$ $BR sllao-a-b ether saddr "$B_MAC" icmpv6 type nd-neighbor-solicit @th,192,16 0x0101 @th,208,48 0x${A_MAC//:/}
watch $$ $BR sllao-a-b ether saddr "$B_MAC" icmpv6 type nd-neighbor-solicit @th,192,8 14
watch $$ $BR rs-new-b ether saddr "$B_MAC" ip6 saddr fe80::b0:1 icmpv6 type nd-router-solicit
watch "$GA" eth0 dad-b ether saddr "$B_MAC" ip6 saddr :: icmpv6 type nd-neighbor-solicit
rs_from() { # SOURCE: B solicits a router from SOURCE, B's MAC in the option
	echo "Ether(src='$B_MAC', dst='33:33:00:00:00:02')/IPv6(src='$1', dst='ff02::2')/ICMPv6ND_RS()/ICMPv6NDOptSrcLLAddr(lladdr='$B_MAC')"
}
frames "$GB" --iface eth0 --count 3 \
	"$(rs_from "$A_LL")" "$(rs_from "$GW_LL")" \
	"Ether(src='$B_MAC', dst='33:33:00:01:00:02')/IPv6(src='$A_LL', dst='ff02::1:2')/UDP(sport=546, dport=547)/Raw(b'\x01\x00\x00\x01')" \
	"Ether(src='$B_MAC', dst='$A_LL_NSMAC')/IPv6(src='::', dst='$A_LL_NS')/ICMPv6ND_NS(tgt='$A_LL')" \
	"Ether(src='$B_MAC', dst='$A6_NSMAC')/IPv6(src='::', dst='$A6_NS')/ICMPv6ND_NS(tgt='$A6')" \
	"Ether(src='$B_MAC', dst='33:33:00:00:00:02')/IPv6(src='$B_LL', dst='ff02::2')/ICMPv6ND_RS()/ICMPv6NDOptSrcLLAddr(lladdr='$A_MAC')" \
	"Ether(src='$B_MAC', dst='$(gwmac)')/IPv6(src='$B_LL', dst='$GW_LL')/ICMPv6ND_NS(tgt='$GW_LL')/ICMPv6NDOptSrcLLAddr(lladdr='$A_MAC')" \
	"Ether(src='$B_MAC', dst='$(gwmac)')/IPv6(src='$B_LL', dst='$GW_LL')/ICMPv6ND_NS(tgt='$GW_LL')/ICMPv6NDOptUnknown(type=14, len=1, data=b'nonce!')/ICMPv6NDOptSrcLLAddr(lladdr='$A_MAC')" >/dev/null
t_check "B did send 6 solicitations, 3 DHCPv6 requests and 6 DAD probes in others' names" \
	eval 'seen_at_least $$ vgB b-rs 6 && seen_at_least $$ vgB b-dhcp6 3 && seen_at_least $$ vgB b-dad 6'
b_rs_own() { frames "$GB" --iface eth0 "$(rs_from "$B_LL")" >/dev/null; }
t_check "(fence: B's solicitation from its own link-local address reaches the host)" fence $$ $BR rs-own-b b_rs_own
t_eq "nothing from A's or the gateway's link-local address reached the host from B" 0 "$(seen $$ $BR rs-b)"
t_eq "no DAD probe of B's for A's addresses reached A" 0 "$(seen "$GA" eth0 dad-b)"
t_eq "no solicitation of B's from its own address naming A's MAC reached the host (first option or behind a nonce)" 0 \
	"$(seen $$ $BR sllao-a-b)"
t_eq "the host's neighbour entry for A's link-local address is not B's" "" \
	"$(neigh $$ $BR "$A_LL" | grep -i "$B_MAC")"
t_eq "A kept its addresses" "$A6 $A_LL" "$(addr6 "$GA" global) $(addr6 "$GA" link)"
b_rs_new() { frames "$GB" --iface eth0 "$(rs_from fe80::b0:1)" >/dev/null; }
t_check "a link-local address nobody has is B's once B speaks from it (stable-privacy guests)" \
	fence $$ $BR rs-new-b b_rs_new
t_eq "owner6 says so" "$B_MAC" "$(pf_owner6 $BR fe80::b0:1)"

# --- attack: 802.1Q and other ethertypes ---
# Crafted: this machine's kernel has no 8021q module for a VLAN interface.
# A tagged ARP claiming the gateway, tagged IPv4 on VLAN 5 and priority-
# tagged (VLAN 0) from B's own address, and an ethertype of no IP family.
frames "$GB" --iface eth0 --count 2 \
	"Ether(src='$B_MAC', dst='ff:ff:ff:ff:ff:ff')/Dot1Q(vlan=5)/ARP(op=2, hwsrc='$B_MAC', psrc='$GW', pdst='$A_IP')" \
	"Ether(src='$B_MAC', dst='$A_MAC')/Dot1Q(vlan=5)/IP(src='$B_IP', dst='$A_IP')/UDP(dport=9)" \
	"Ether(src='$B_MAC', dst='ff:ff:ff:ff:ff:ff')/Dot1Q(vlan=0)/IP(src='$B_IP', dst='10.0.76.255')/UDP(dport=9)" \
	"Ether(src='$B_MAC', dst='ff:ff:ff:ff:ff:ff', type=0x88b5)/Raw(b'tenant')" >/dev/null
t_check "802.1Q: B did send 6 tagged frames and 2 of ethertype 0x88b5" \
	eval 'seen_at_least $$ vgB b-vlan 6 && seen_at_least $$ vgB b-other 2'
t_check "(fence: B reaches A)" fence "$GA" eth0 fence-b b_fence_bcast
t_eq "802.1Q: none reached A" 0 "$(seen "$GA" eth0 vlan-b)"
t_eq "other ethertypes: none reached A" 0 "$(seen "$GA" eth0 other-b)"
t_eq "A's neighbour entry for the gateway is unchanged" gateway "$(gw_entry "$GA" "$GW")"
t_check "after every attack, A still reaches the outside" reaches_out "$GA"
t_check "and B, left alone, too" reaches_out "$GB"

# --- legitimate: a DHCP renewal ---
n=$(events A renew)
kill -USR1 "${UDHCPC_PID[A]}"
t_check "renewal: A's client renewed (SIGUSR1)" t_wait 20 eval '[ "$(events A renew)" -gt "$n" ]'
t_eq "renewal: the same address" "$A_IP" "$(lease_ip A)"
t_check "renewal: still allowed" pf_allowed4 $BR "$A_MAC" "$A_IP"
t_check "renewal: A reaches the outside" reaches_out "$GA"

# --- legitimate: a guest reboots (link down, up, DHCP again, same MAC) ---
udhcpc_stop A
t_in_ns "$GA" ip link set eth0 down
t_in_ns "$GA" ip -4 addr flush dev eth0
t_in_ns "$GA" ip link set eth0 up
udhcpc_start A
t_match "reboot: A gets a lease again" "^10\.0\.76\.[0-9]+/24 server=$GW " "$(lease A)"
A_IP=$(lease_ip A)
t_check "reboot: allowed" t_wait 10 pf_allowed4 $BR "$A_MAC" "$A_IP"
t_check "reboot: A pings the gateway" t_wait 10 pings "$GA" "$GW"
t_check "reboot: A reaches the outside" reaches_out "$GA"
t_eq "reboot: vgA's filter still knows A's MAC" "$A_MAC" "$(pf_mac vgA)"

# --- legitimate: a lease that changes (released, then another address) ---
t_check "qemu-ifup-nat vgE" make_guest E "$E_MAC"
udhcpc_start E
t_match "E gets a lease" "^10\.0\.76\.[0-9]+/24 server=$GW " "$(lease E)"
E_OLD=$(lease_ip E)
t_check "E's lease is allowed" t_wait 10 pf_allowed4 $BR "$E_MAC" "$E_OLD"
kill -USR2 "${UDHCPC_PID[E]}" # release
t_check "E released its lease (udhcpc SIGUSR2)" t_wait 10 eval 'grep -q "^deconfig" "$T_TMP/leaseE.log"'
t_check "the released address is no longer allowed for E (hook, polled)" \
	t_wait 10 eval '! pf_allowed4 $BR "$E_MAC" "$E_OLD"'
udhcpc_stop E
udhcpc_start E -r "$E_NEW"
t_match "E asks for and gets another address, $E_NEW" "^$E_NEW/24 server=$GW " "$(lease E)"
t_check "the new address is allowed" t_wait 10 pf_allowed4 $BR "$E_MAC" "$E_NEW"
t_check "E pings the gateway from it" t_wait 10 pings "$GE" "$GW"
t_check "E reaches the outside from it" reaches_out "$GE"
watch $$ $BR e-old ether saddr "$E_MAC" ip saddr "$E_OLD"
watch $$ $BR e-new ether saddr "$E_MAC" ip saddr "$E_NEW" udp dport 7012
frames "$GE" --iface eth0 --count 3 \
	"Ether(src='$E_MAC', dst='$(gwmac)')/IP(src='$E_OLD', dst='$GW')/UDP(dport=7011)" \
	"Ether(src='$E_MAC', dst='$(gwmac)')/IP(src='$E_NEW', dst='$GW')/UDP(dport=7012)" >/dev/null
t_check "(fence: E's datagrams from its new address arrive)" t_wait 10 seen_at_least $$ $BR e-new 3
t_eq "E's datagrams from its old address do not" 0 "$(seen $$ $BR e-old)"

# --- legitimate: a guest whose link-local address the network cannot know ---
# (stable-privacy, RFC 7217, as NetworkManager and systemd-networkd make
# them): it claims its address by its DAD, then asks and answers from it.
t_new_ns GS
ip link add vgS address "$(port_mac)" type veth peer name eth0 netns "$GS"
t_in_ns "$GS" ip link set eth0 address "$S_MAC"
t_in_ns "$GS" sysctl -qw net.ipv6.conf.eth0.stable_secret=2001:db8:1:2:3:4:5:6 net.ipv6.conf.eth0.addr_gen_mode=2
t_in_ns "$GS" ip link set eth0 up
t_check "qemu-ifup-nat vgS (a stable-privacy guest)" "$UP" vgS
t_check "its link-local address passes DAD" t_wait 20 eval '[ -n "$(addr6 "$GS" link)" ]'
S_LL=$(addr6 "$GS" link)
t_check "and is not its MAC's EUI-64 one: $S_LL" eval '! pf_allowed6 $BR "$S_MAC" "$S_LL"'
t_eq "owner6: it is the guest's MAC's" "$S_MAC" "$(pf_owner6 $BR "$S_LL")"
t_check "the guest pings the gateway's link-local address from it (its NS and NA pass)" \
	t_wait 10 t_in_ns "$GS" busybox ping -6 -c1 -W1 -I eth0 "$GW_LL"
t_check "the host pings it" t_wait 10 busybox ping -6 -c1 -W1 "$S_LL%$BR"

# --- legitimate: a guest whose address is a host = entry (no DHCP) ---
t_check "qemu-ifup-nat vgH" make_guest H "$H_MAC"
t_in_ns "$GH" ip addr add "$H_IP/24" dev eth0
t_in_ns "$GH" ip route add default via "$GW"
t_check "host = guest, configured by hand: pings the gateway" t_wait 10 pings "$GH" "$GW"
t_check "and reaches the outside" reaches_out "$GH"
t_check "its SLAAC address is allowed too" t_wait 30 eval 'slaac "$GH" && pf_allowed6 $BR "$H_MAC" "$(addr6 "$GH" global)"'
t_check "and pings the IPv6 gateway from it" t_wait 10 t_in_ns "$GH" busybox ping -6 -c1 -W1 "$GW6"

# --- legitimate: a guest migrating between two ports (same MAC) ---
t_check "qemu-ifup-nat vgM1" make_guest M1 "$M_MAC"
udhcpc_start M1
t_match "M (on vgM1) gets a lease" "^10\.0\.76\.[0-9]+/24 " "$(lease M1)"
M_IP=$(lease_ip M1)
t_check "M's lease is allowed" t_wait 10 pf_allowed4 $BR "$M_MAC" "$M_IP"
t_check "M reaches the outside through vgM1" reaches_out "$GM1"
udhcpc_stop M1
# The guest moves: what it had is now in namespace M2, on a second port.
migrate_to() { # N: guest M's state (MAC, lease, route) in a new namespace G<N>, port vg<N>
	make_guest "$1" "$M_MAC" || return 1
	t_in_ns "$(guest_ns "$1")" ip addr add "$M_IP/24" dev eth0
	t_in_ns "$(guest_ns "$1")" ip route add default via "$GW"
	# QEMU announces a migrated guest with RARP frames from its MAC.
	frames "$(guest_ns "$1")" --iface eth0 --count 3 \
		"Ether(src='$M_MAC', dst='ff:ff:ff:ff:ff:ff', type=0x8035)/ARP(op=3, hwsrc='$M_MAC', hwdst='$M_MAC')" >/dev/null
}
t_check "qemu-ifdown-nat vgM1 (the source port goes)" "$DOWN" vgM1
t_check "qemu-ifup-nat vgM2 (the destination port)" migrate_to M2
t_check "migration: M pings the gateway through vgM2" t_wait 10 pings "$GM2" "$GW"
t_check "migration: M reaches the outside through vgM2" reaches_out "$GM2"
t_eq "migration: the bridge forwards M's MAC to vgM2" vgM2 "$(fdb_port $BR "$M_MAC")"
t_eq "migration: vgM2's filter has M's MAC" "$M_MAC" "$(pf_mac vgM2)"
t_check "migration: M pings the gateway's link-local address from its own (its claim followed its MAC)" \
	t_wait 10 t_in_ns "$GM2" busybox ping -6 -c1 -W1 -I eth0 "$GW_LL"
# Live migration: the destination port comes while the source port lives.
t_check "qemu-ifup-nat vgM3 while vgM2 lives" migrate_to M3
watch $$ vgM3 m3-sent ether saddr "$M_MAC" udp dport 7013
watch $$ $BR m3 ether saddr "$M_MAC" udp dport 7013
watch $$ $BR m2-fence ether saddr "$M_MAC" udp dport 7014
# (crafted: M3's ARP for the gateway is dropped too, so its kernel sends no UDP)
m3_send() {
	frames "$GM3" --iface eth0 --count 2 \
		"Ether(src='$M_MAC', dst='$(gwmac)')/IP(src='$M_IP', dst='$GW')/UDP(dport=7013)" >/dev/null
}
m3_send
t_check "(vgM3 did send)" seen_at_least $$ vgM3 m3-sent 2
t_eq "the bridge still forwards M's MAC to vgM2" vgM2 "$(fdb_port $BR "$M_MAC")"
t_check "(fence: M on vgM2 reaches the host)" fence $$ $BR m2-fence udp_send "$GM2" "$GW" 7014
t_eq "while vgM2 owns M's MAC, nothing from vgM3 gets through" 0 "$(seen $$ $BR m3)"
t_check "qemu-ifdown-nat vgM2 (the source port goes)" "$DOWN" vgM2
t_check "then vgM3's frames get through" fence $$ $BR m3 m3_send
f=$T_FAILED
t_check "then M pings the gateway through vgM3" t_wait 10 pings "$GM3" "$GW"
[ "$T_FAILED" = "$f" ] || state_dump
t_check "and reaches the outside" reaches_out "$GM3"
t_eq "the bridge forwards M's MAC to vgM3" vgM3 "$(fdb_port $BR "$M_MAC")"

# --- the race: no frame passes before the filter exists ---
# The steps of an attach, as the program lists them.
ip link add vgL address "$(port_mac)" type veth peer name vgLp
QNET_TEST_KILL_AT=list "$UP" vgL 2>"$T_TMP/steps" >/dev/null
"$DOWN" vgL
ip link del vgL
STEPS=$(sed -n 's/^qnet-fault-point: //p' "$T_TMP/steps" | grep '^port-' | tr '\n' ' ')
t_match "the attach's steps include port-attached-down and port-up" '(^| )port-attached-down .*port-up( |$)' "$STEPS"
t_new_ns GR
watch "$GA" eth0 race-arp ether saddr "$R_MAC" arp saddr ip "$GW"
watch "$GA" eth0 race-fence ether saddr "$R_MAC" udp dport 67
watch $$ $BR race-ip ether saddr "$R_MAC" ip saddr "$A_IP"
DISCOVER="Ether(src='$R_MAC', dst='ff:ff:ff:ff:ff:ff')/IP(src='0.0.0.0', dst='255.255.255.255')/UDP(sport=68, dport=67)/BOOTP(chaddr=bytes.fromhex('${R_MAC//:/}'), xid=7)/DHCP(options=[('message-type', 'discover'), 'end'])"
for step in $STEPS; do
	ip link add vgR address "$(port_mac)" type veth peer name eth0 netns "$GR"
	t_in_ns "$GR" ip link set eth0 address "$R_MAC"
	t_in_ns "$GR" ip link set eth0 up
	QNET_TEST_STOP_AT=$step "$UP" vgR &
	up=$!
	if ! t_wait 20 eval '[ "$(t_pid_state $up)" = T ]'; then
		t_fail "race: qemu-ifup-nat stops at $step"; kill "$up"; wait "$up"; ip link del vgR; continue
	fi
	state="$(link_master vgR) up=$(link_is_up vgR && echo yes || echo no) filter=$(pf_has vgR && echo yes || echo no)"
	[ "$step" = port-attached-down ] &&
		t_eq "race: stopped at $step, vgR is a port of $BR, down, its filter not there yet" \
			"$BR up=no filter=no" "$state"
	[ "$step" != port-attached-down ] && case $state in
		*up=yes*filter=no) t_fail "race: stopped at $step, vgR is up without its filter" ;;
		*) t_ok "race: stopped at $step, vgR is not up without its filter ($state)" ;;
	esac
	RACE=( # (the gateway's MAC once vgR is a port)
		"Ether(src='$R_MAC', dst='ff:ff:ff:ff:ff:ff')/ARP(op=2, hwsrc='$R_MAC', psrc='$GW', pdst='$A_IP')"
		"Ether(src='$R_MAC', dst='$(gwmac)')/IP(src='$A_IP', dst='$OUT')/UDP(sport=40000, dport=7005)"
	)
	frames "$GR" --iface eth0 --count 20 --interval 0.01 "${RACE[@]}" >/dev/null # while it is stopped
	nsenter "--net=/proc/$GR/ns/net" -- "$PY" "$FRAMES" --iface eth0 --count 100000 --interval 0.001 \
		--duration 30 "${RACE[@]}" >/dev/null &
	flood=$!
	kill -CONT "$up"
	wait "$up"
	t_eq "race ($step): qemu-ifup-nat went on and succeeded" 0 "$?"
	t_eq "race ($step): then vgR is up and filtered" "up=yes filter=yes" \
		"up=$(link_is_up vgR && echo yes || echo no) filter=$(pf_has vgR && echo yes || echo no)"
	kill "$flood"; wait "$flood"
	t_check "race ($step): (fence: R's DHCP discover reaches A)" fence "$GA" eth0 race-fence \
		frames "$GR" --iface eth0 "$DISCOVER"
	t_eq "race ($step): no spoofed frame sent in the window reached A, the host or the outside" "0 0 0" \
		"$(seen "$GA" eth0 race-arp) $(seen $$ $BR race-ip) $(seen "$OUTSIDE" qout1 race)"
	t_eq "race ($step): vgR's filter learned R's MAC" "$R_MAC" "$(pf_mac vgR)"
	"$DOWN" vgR
	ip link del vgR
done
t_eq "A's neighbour entry for the gateway survived it all" gateway "$(gw_entry "$GA" "$GW")"

# --- a port whose MAC is lower than the gateway's ---
# A guest's ARP entry for the gateway must stay right when another guest's
# TAP comes: a bridge whose MAC nobody set would take the new port's, and
# the host drops what guests still send to the old one (a port's MAC, not
# the bridge's) until their entries expire.
gw_before=$(gwmac)
t_check "(B pings the gateway: its entry for it is fresh)" t_wait 10 pings "$GB" "$GW"
ip link add vgLow address 00:00:5e:00:53:01 type veth peer name vgLowp # (RFC 7042's documentation MACs)
t_check "qemu-ifup-nat vgLow (its MAC 00:00:5e:00:53:01, lower than any other)" "$UP" vgLow
t_eq "the gateway's MAC did not change" "$gw_before" "$(gwmac)"
t_check "B still pings the gateway (its ARP entry for it is still right)" t_wait 3 pings "$GB" "$GW"
"$DOWN" vgLow
ip link del vgLow

# --- down: the rules go with the ports ---
for p in vgA vgB vgC vgE vgH vgS vgM3; do "$DOWN" "$p"; done
t_check_fail "the network is down" link_exists $BR
t_eq "no chain of any port is left in table bridge qnet" "" \
	"$(nft -j list table bridge qnet 2>/dev/null | jq -r '.nftables[] | .chain? // empty | .name | select(startswith("port-"))')"
t_done
