#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Packets through a NAT network (nat.sh checks the ruleset; this checks that
# it works). This namespace is the "host"; it makes an "outside" namespace
# (veth, 198.51.100.1 here, .2 there, the host's default route) and two
# "guest" namespaces, each holding one end of a veth pair whose host end
# qemu-ifup-nat attaches as it would QEMU's TAP. Guests get leases with
# busybox udhcpc from qnet's dnsmasq, resolve a static host name through
# it, reach a socat server outside that reports the peer address and port
# it sees (masquerade, source ports 1024-65535), and serve a port forward
# reached from outside, from the host (127.0.0.1, the gateway) and from
# the other guest (hairpin). Then: qemu-ifdown-nat removes it all and the
# guest no longer gets out; and the network starts beside another DNS
# server that holds the wildcard address's port 53.
. "$(dirname "$0")/../lib.sh"
t_netns "$@"
for tool in nft /usr/sbin/dnsmasq busybox socat jq; do
	command -v "$tool" >/dev/null || t_skip_all "$tool missing (tools/deps.sh test installs it)"
done

UP=$QNET_BUILD/helpers/qemu-ifup-nat
DOWN=$QNET_BUILD/helpers/qemu-ifdown-nat
GW=10.0.76.1 HOST=198.51.100.1 OUT=198.51.100.2
G1_MAC=52:54:00:00:76:0a G1_IP=10.0.76.10 G2_MAC=52:54:00:00:76:0b
cat >"$QNET_CONFDIR/qnet.conf" <<EOF
[network default]
host = $G1_MAC $G1_IP vm1
forward = tcp 8080 $G1_IP:80
forward = udp 5300 $G1_IP:53
EOF
echo 0 >/proc/sys/net/ipv4/ip_forward

t_outside OUTSIDE "$HOST" "$OUT"

# Servers that answer with the peer's address and port as they see them.
t_serve "$OUTSIDE" TCP-LISTEN:7000,bind=$OUT,fork,reuseaddr SYSTEM:'echo "$SOCAT_PEERADDR $SOCAT_PEERPORT"'
t_serve "$OUTSIDE" UDP-RECVFROM:7001,bind=$OUT,fork SYSTEM:'echo "$SOCAT_PEERADDR $SOCAT_PEERPORT"'
t_check "outside: TCP and UDP servers listen" t_wait 10 eval 't_listens $OUTSIDE 7000 && t_listens $OUTSIDE 7001'

UDHCPC=$T_TMP/udhcpc.script
t_udhcpc_script "$UDHCPC"

make_guest() { # N MAC: namespace G<N> with eth0, host end vg<N> attached by qemu-ifup-nat
	local n=$1
	t_veth_guest "$n" "$2"
	"$UP" "vg$n"
}
dhcp() { # N: one bounded DHCP exchange in guest N
	local pid=G$1
	rm -f "$T_TMP/lease$1"
	LEASE_OUT=$T_TMP/lease$1 t_in_ns "${!pid}" timeout 20 busybox udhcpc -i eth0 -f -q -n -t 5 -T 1 \
		-s "$UDHCPC" >/dev/null 2>&1
	cat "$T_TMP/lease$1" 2>/dev/null
}
tcp_ask() { # PID HOST PORT [SOCAT-OPTIONS]: the server's one-line answer
	t_in_ns "$1" timeout 10 socat -T 5 - "TCP:$2:$3${4:+,$4}" </dev/null 2>/dev/null
}
udp_ask() { # PID HOST PORT [SOCAT-OPTIONS]: up to 3 tries, as a UDP client retransmits
	local i ans
	for i in 1 2 3; do
		ans=$(echo ping | t_in_ns "$1" timeout 10 socat -T 3 - "UDP:$2:$3${4:+,$4}" 2>/dev/null)
		[ -n "$ans" ] && break
	done
	printf '%s' "$ans"
}
in_range() { local p=${1##* }; [ -n "$p" ] && [ "$p" -ge 1024 ] && [ "$p" -le 65535 ]; }

# --- up: two guests, leases, DNS ---
t_check "qemu-ifup-nat vg1 (creates the network)" make_guest 1 "$G1_MAC"
t_check "qemu-ifup-nat vg2 (joins it)" make_guest 2 "$G2_MAC"
t_eq "both guests' host ends are ports of qnetbr0" "vg1 vg2" "$(bridge_ports qnetbr0)"
t_match "guest 1 got its static lease, router the gateway, DNS the gateway" \
	"^$G1_IP/24 router=$GW dns=$GW\$" "$(dhcp 1)"
lease2=$(dhcp 2)
t_match "guest 2 got a lease from the dynamic range" "^10\.0\.76\.[0-9]+/24 router=$GW " "$lease2"
G2_IP=${lease2%%/*}
t_match "qnet's lease file holds both" \
	"$G1_MAC $G1_IP .*$G2_MAC $G2_IP |$G2_MAC $G2_IP .*$G1_MAC $G1_IP " \
	"$(tr '\n' ' ' <"$QNET_STATEDIR/default.leases" 2>/dev/null)"
t_match "guest 2 resolves the static host vm1 through the gateway (qnet's dnsmasq)" \
	"Address.*: $G1_IP" "$(t_in_ns "$G2" timeout 10 busybox nslookup vm1 "$GW" 2>&1)"
t_match "qnet's dnsmasq (not another server) holds $GW:53" 'dnsmasq' \
	"$(ss -Hlnup "src $GW:53" | head -n1)"

# --- masquerade ---
# Source port 81, not 80: the client's TIME_WAIT socket would keep guest
# 1's server below from binding port 80.
ans=$(tcp_ask "$G1" "$OUT" 7000 sourceport=81)
t_match "TCP from guest (source port 81) is seen outside from $HOST" "^$HOST [0-9]+\$" "$ans"
t_check "and from a source port in 1024-65535 (not 81)" in_range "$ans"
ans=$(udp_ask "$G2" "$OUT" 7001 sourceport=53)
t_match "UDP from guest (source port 53) is seen outside from $HOST" "^$HOST [0-9]+\$" "$ans"
t_check "and from a source port in 1024-65535 (not 53)" in_range "$ans"

# --- port forwards to guest 1 ---
t_serve "$G1" TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo "vm1 $SOCAT_PEERADDR"'
t_serve "$G1" UDP-RECVFROM:53,fork SYSTEM:'echo "vm1-udp $SOCAT_PEERADDR"'
t_check "guest 1: servers listen" t_wait 10 eval 't_listens $G1 80 && t_listens $G1 53'
[ "$T_FAILED" = 0 ] || t_diag "$(cat "$T_TMP/servers.log")"
t_eq "outside -> $HOST:8080 reaches guest 1:80, client address kept" "vm1 $OUT" \
	"$(tcp_ask "$OUTSIDE" "$HOST" 8080)"
t_eq "outside -> $HOST:5300/udp reaches guest 1:53" "vm1-udp $OUT" "$(udp_ask "$OUTSIDE" "$HOST" 5300)"
t_match "host -> 127.0.0.1:8080 reaches guest 1 (route_localnet, masqueraded)" "^vm1 $GW\$" \
	"$(tcp_ask $$ 127.0.0.1 8080)"
t_match "host -> $GW:8080 reaches guest 1" "^vm1 " "$(tcp_ask $$ "$GW" 8080)"
t_match "host -> $HOST:8080 reaches guest 1" "^vm1 " "$(tcp_ask $$ "$HOST" 8080)"
t_eq "guest 2 -> $HOST:8080 (hairpin) reaches guest 1, masqueraded to the gateway" "vm1 $GW" \
	"$(tcp_ask "$G2" "$HOST" 8080)"
t_eq "guest 2 -> $GW:8080 (hairpin) reaches guest 1" "vm1 $GW" "$(tcp_ask "$G2" "$GW" 8080)"
t_eq "an unforwarded port of the host is not forwarded" "" "$(tcp_ask "$OUTSIDE" "$HOST" 8081)"
t_eq "outside cannot open a connection to a guest's address" "" \
	"$(t_in_ns "$OUTSIDE" ip route add 10.0.76.0/24 via "$HOST"; tcp_ask "$OUTSIDE" "$G1_IP" 80)"

# --- down: nothing gets through any more ---
t_check "qemu-ifdown-nat vg1" "$DOWN" vg1
t_check "network still up while vg2 is attached" nft list table inet qnet-default
t_check "qemu-ifdown-nat vg2 (last port: network down)" "$DOWN" vg2
t_check_fail "no qnetbr0" link_exists qnetbr0
t_check_fail "no nft table" nft list table inet qnet-default
t_eq "ip_forward restored to 0" 0 "$(cat /proc/sys/net/ipv4/ip_forward)"
# Put the guest's end back on a bridge with the gateway address by hand:
# without qnet's table and ip_forward, nothing reaches outside.
ip link add qtest type bridge
ip addr add "$GW/24" dev qtest
ip link set qtest up
ip link set vg1 master qtest
ip link set vg1 up
t_wait 5 t_in_ns "$G1" busybox ping -c1 -W1 "$GW" >/dev/null
t_eq "after down: guest 1 no longer reaches outside" "" "$(tcp_ask "$G1" "$OUT" 7000 connect-timeout=2)"
t_eq "after down: $HOST:8080 no longer forwarded" "" "$(tcp_ask "$OUTSIDE" "$HOST" 8080 connect-timeout=2)"
ip link del qtest

# --- another DNS server on 0.0.0.0:53 (UDP and TCP), as a host's own ---
/usr/sbin/dnsmasq --conf-file=/dev/null --keep-in-foreground --no-resolv --no-hosts --pid-file= \
	--user=root --port=53 --address=/wild.test/192.0.2.99 >"$T_TMP/wild.log" 2>&1 &
t_on_exit "kill $!"
wild() { ss -Hlnu 'sport = :53' | grep -q '0\.0\.0\.0:53' && ss -Hlnt 'sport = :53' | grep -q '0\.0\.0\.0:53'; }
t_check "another DNS server listens on 0.0.0.0:53 (UDP and TCP)" t_wait 10 wild
t_check "qemu-ifup-nat vg1 beside it (the network starts)" "$UP" vg1
t_ns_daemons 'dnsmasq .*--interface=qnetbr0' >"$T_TMP/pids"
t_eq "qnet's dnsmasq runs" 1 "$(wc -l <"$T_TMP/pids")"
t_match "guest 1 got its lease again" "^$G1_IP/24 router=$GW dns=$GW\$" "$(dhcp 1)"
t_match "guest 1's DNS query to the gateway is answered" "Address.*: 192\.0\.2\.99" \
	"$(t_in_ns "$G1" timeout 10 busybox nslookup wild.test "$GW" 2>&1)"
ans=$(tcp_ask "$G1" "$OUT" 7000)
t_match "masquerade works beside it" "^$HOST [0-9]+\$" "$ans"
t_check "qemu-ifdown-nat vg1" "$DOWN" vg1
t_check_fail "network gone" link_exists qnetbr0
t_eq "nothing left in the run directory" "" "$(ls -A "$QNET_RUNDIR")"
t_done
