#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# IPv6 on a NAT network, packets and kernel state (nat-traffic.sh does the
# same for IPv4). This namespace is the "host"; an "outside" namespace
# (veth, 2001:db8:ff::/64) is its upstream router, which gives the host
# its own IPv6 by router advertisement (dnsmasq, ra-only), as most hosts
# get theirs. Guests are namespaces holding one end of a veth whose other
# end qemu-ifup-nat attaches. The default network, no subnet6 =: a ULA /64
# derived from the machine-id, SLAAC from qnet's RAs, stateful DHCPv6 with
# a real client (dhclient -6) for a dynamic, a static-by-MAC and a
# static-by-DUID guest, ping of the gateway, NAT66 to outside, port
# forwards over IPv6 (from outside, from the host, hairpin; not from ::1),
# accept_ra kept at 2 on the host's RA-configured uplink while forwarding
# is on, and everything (forwarding, accept_ra) back after the last VM.
. "$(dirname "$0")/../lib.sh"
t_netns "$@"
for tool in nft /usr/sbin/dnsmasq busybox socat jq dhclient; do
	command -v "$tool" >/dev/null || t_skip_all "$tool missing (tools/deps.sh test installs it)"
done

UP=$QNET_BUILD/helpers/qemu-ifup-nat
DOWN=$QNET_BUILD/helpers/qemu-ifdown-nat
QNET=$QNET_BUILD/helpers/qnet
OUT=2001:db8:ff::2
G1_MAC=52:54:00:00:76:0a G2_MAC=52:54:00:00:76:0b G3_MAC=52:54:00:00:76:0c
G3_DUID=00:03:00:01:$G3_MAC # DUID-LL, what dhclient -D LL sends
export QNET_MACHINE_ID=$T_TMP/machine-id
echo 0123456789abcdef0123456789abcdef >"$QNET_MACHINE_ID"
cat >"$QNET_CONFDIR/qnet.conf" <<EOF
[network default]
host = $G1_MAC 10.0.76.10 ::10 vm1
host = $G3_MAC ::30 vm3 duid=$G3_DUID
forward = tcp 8080 vm1:80
forward = udp 5300 [::10]:53
EOF
echo 0 >/proc/sys/net/ipv6/conf/all/forwarding

tcp_ask() { # PID HOST PORT [SOCAT-OPTIONS]: the server's one-line answer
	t_in_ns "$1" timeout 10 socat -T 5 - "TCP6:[$2]:$3${4:+,$4}" </dev/null 2>/dev/null
}
udp_ask() { # PID HOST PORT [SOCAT-OPTIONS]
	local i ans
	for i in 1 2 3; do
		ans=$(echo ping | t_in_ns "$1" timeout 10 socat -T 3 - "UDP6:[$2]:$3${4:+,$4}" 2>/dev/null)
		[ -n "$ans" ] && break
	done
	printf '%s' "$ans"
}
# ADDRESS as socat's servers report a peer: [2001:0db8:00ff:...:0001].
full6() {
	local a=$1 l r n i out="" g L R
	if [[ $a == *::* ]]; then l=${a%%::*} r=${a#*::}; else l=$a r=; fi
	IFS=: read -ra L <<<"$l"
	IFS=: read -ra R <<<"$r"
	n=0
	[[ $a == *::* ]] && n=$((8 - ${#L[@]} - ${#R[@]}))
	g=("${L[@]}")
	for ((i = 0; i < n; i++)); do g+=(0); done
	g+=("${R[@]}")
	for i in "${g[@]}"; do out+=$(printf '%04x:' "0x${i:-0}"); done
	echo "[${out%:}]"
}
addr6() { # PID DEV: the global IPv6 addresses of DEV that passed DAD, one a line
	t_in_ns "$1" ip -j -6 addr show dev "$2" scope global -tentative | jq -r '.[0].addr_info[]?.local'
}
has_ra_default() { [ -n "$(ip -j -6 route show default dev qout0 proto ra | jq -r '.[]?.gateway')" ]; }

# --- the outside: an upstream router that advertises 2001:db8:ff::/64 ---
t_new_ns OUTSIDE
ip link add qout0 type veth peer name qout1
ip link set qout1 netns "$OUTSIDE"
ip link set qout0 up
t_in_ns "$OUTSIDE" ip addr add "$OUT/64" dev qout1 nodad
t_in_ns "$OUTSIDE" ip link set qout1 up
# Both ends' link-local addresses past DAD before the router starts: a
# router advertises from its link-local address, and a host takes RAs
# only once its own is usable. Then an RA every 5 s, not only at start.
ll_ready() { ! t_in_ns "$1" ip -6 addr show dev "$2" tentative | grep -q inet6 &&
	t_in_ns "$1" ip -6 addr show dev "$2" scope link | grep -q inet6; }
t_wait 20 ll_ready $$ qout0
t_wait 20 ll_ready "$OUTSIDE" qout1
router() { # start the outside's RA daemon
	nsenter "--net=/proc/$OUTSIDE/ns/net" -- /usr/sbin/dnsmasq --conf-file=/dev/null --keep-in-foreground \
		--no-resolv --no-hosts --pid-file= --user=root --port=0 --interface=qout1 --enable-ra \
		--dhcp-range=2001:db8:ff::,ra-only,64 --ra-param=qout1,5,1800 </dev/null >>"$T_TMP/router.log" 2>&1 &
	ROUTER=$!
	t_on_exit "kill $ROUTER"
}
router
t_check "the host learns its default route from the outside's RA (proto ra)" t_wait 30 has_ra_default
HOST6=$(ip -j -6 addr show dev qout0 scope global | jq -r '[.[0].addr_info[] | .local // "" | select(startswith("2001:db8:ff:"))][0] // empty')
t_match "and a SLAAC address" '^2001:db8:ff:0:' "$HOST6"
t_eq "the uplink's accept_ra is 1 (the kernel's default)" 1 "$(cat /proc/sys/net/ipv6/conf/qout0/accept_ra)"

t_serve "$OUTSIDE" TCP6-LISTEN:7000,bind=[$OUT],fork,reuseaddr SYSTEM:'echo "$SOCAT_PEERADDR $SOCAT_PEERPORT"'
t_check "outside: TCP server listens" t_wait 10 t_listens "$OUTSIDE" 7000

make_guest() { # N MAC: namespace G<N> with eth0, host end vg<N> attached by qemu-ifup-nat
	local n=$1
	t_veth_guest "$n" "$2"
	"$UP" "vg$n" 2>>"$T_TMP/ifup.err"
}

# --- up: the first guest brings the network up ---
t_check "qemu-ifup-nat vg1 (creates the network)" make_guest 1 "$G1_MAC"
t_eq "it said one line: qout0's accept_ra set to 2, and the fix" 1 "$(wc -l <"$T_TMP/ifup.err")"
t_match "the line names the interface and the fix" \
	'^qemu-ifup-nat: warning: qout0: accept_ra set to 2 .*net\.ipv6\.conf\.qout0\.accept_ra = 2 .*subnet6 = none' \
	"$(cat "$T_TMP/ifup.err")"
t_eq "IPv6 forwarding is on" 1 "$(cat /proc/sys/net/ipv6/conf/all/forwarding)"
t_eq "qout0's accept_ra is 2 while it is" 2 "$(cat /proc/sys/net/ipv6/conf/qout0/accept_ra)"
t_check "IPv6 forwarding and accept_ra are recorded under RUNDIR" \
	test -s "$QNET_RUNDIR/ipv6_forward.saved" -a -s "$QNET_RUNDIR/accept_ra.saved"

GW6=$(ip -j -6 addr show dev qnetbr0 scope global | jq -r '.[0].addr_info[0].local // empty')
PREFIX=${GW6%::1}
t_match "qnetbr0 has the gateway PREFIX::1 of a ULA /64 (fd00::/8)" '^fd[0-9a-f]{2}:[0-9a-f:]+::1/64$' \
	"$(ip -j -6 addr show dev qnetbr0 scope global | jq -r '.[0].addr_info[0] | "\(.local)/\(.prefixlen)"')"
t_eq "the prefix is the one qnet status reports" "$PREFIX::/64" \
	"$("$QNET" status --json | jq -r '.networks[0].subnet6')"

# --- the host keeps accepting RAs with forwarding on (accept_ra = 2) ---
kill "$ROUTER"
t_wait 5 t_pid_dead "$ROUTER"
ip -6 route flush dev qout0 proto ra
t_check_fail "(the RA default route removed by hand)" has_ra_default
router
t_check "a new RA from upstream is still accepted: the default route is back" t_wait 30 has_ra_default

# --- SLAAC, ping, NAT66 ---
slaac() { addr6 "$G1" eth0 | grep -q "^$PREFIX:"; }
t_check "guest 1 configures itself by SLAAC in the prefix (no client program)" t_wait 20 slaac
t_match "guest 1's default route is the bridge, learned from qnet's RA" '^fe80::' \
	"$(t_in_ns "$G1" ip -j -6 route show default | jq -r '.[0].gateway // empty')"
t_check "guest 1 pings the gateway $GW6 (busybox ping -6)" \
	t_wait 10 t_in_ns "$G1" busybox ping -6 -c1 -W1 "$GW6"
ans=$(tcp_ask "$G1" "$OUT" 7000)
t_match "TCP from guest 1 is seen outside from the host's own address (NAT66)" "^\\$(full6 "$HOST6") [0-9]+\$" "$ans"
p=${ans##* }
t_check "from a source port in 1024-65535" test "$p" -ge 1024 -a "$p" -le 65535

# --- DHCPv6 (stateful) with a real client ---
# dhclient's script configures the address (dhclient gives it an
# environment of its own); the address is read back from its lease file.
DHSCRIPT=$T_TMP/dhclient.script
cat >"$DHSCRIPT" <<'EOF'
#!/bin/sh
case $reason in
BOUND6|RENEW6|REBIND6) /sbin/ip -6 addr replace "$new_ip6_address/$new_ip6_prefixlen" dev "$interface" nodad ;;
esac
exit 0
EOF
chmod 755 "$DHSCRIPT"
dhcp6() { # N: one bounded DHCPv6 exchange in guest N, its address on stdout
	local pid=G$1
	# The link-local address must have passed DAD before dhclient can bind.
	t_wait 10 sh -c "! nsenter --net=/proc/${!pid}/ns/net -- ip -6 addr show dev eth0 tentative | grep -q inet6"
	t_in_ns "${!pid}" timeout 30 dhclient -6 -1 -D LL -sf "$DHSCRIPT" \
		-lf "$T_TMP/dhclient6-$1.leases" -pf "$T_TMP/dhclient6-$1.pid" eth0 >/dev/null 2>&1
	t_on_exit "kill \$(cat $T_TMP/dhclient6-$1.pid)"
	sed -n 's/^ *iaaddr \([0-9a-f:]*\) {$/\1/p' "$T_TMP/dhclient6-$1.leases" 2>/dev/null | tail -n1
}
t_eq "guest 1 (host = by MAC) gets its static ::10 by DHCPv6" "$PREFIX::10" "$(dhcp6 1)"
t_check "qemu-ifup-nat vg2" make_guest 2 "$G2_MAC"
a2=$(dhcp6 2)
t_match "guest 2 gets an address of the DHCPv6 range ::1000-::ffff" "^$PREFIX::[1-9a-f][0-9a-f]{3}\$" "$a2"
t_check "qemu-ifup-nat vg3" make_guest 3 "$G3_MAC"
t_eq "guest 3 (host = by duid=) gets its static ::30" "$PREFIX::30" "$(dhcp6 3)"
t_match "dnsmasq's lease file holds the IPv6 leases after its duid line" "^duid .*$PREFIX::10 " \
	"$(tr '\n' ' ' <"$QNET_STATEDIR/default.leases")"
st=$("$QNET" status --json)
t_eq "qnet status --json lists the IPv6 leases, MAC from the DUID-LL" \
	"$G1_MAC $PREFIX::10,$G2_MAC $a2,$G3_MAC $PREFIX::30" \
	"$(jq -r '[.networks[0].leases[] | select(.family == 6) | "\(.mac) \(.ip)"] | sort | join(",")' <<<"$st")"
t_match "qnet status (text) shows them" "lease $G1_MAC $PREFIX::10 " "$("$QNET" status)"

# --- qnet doctor ---
doc=$("$QNET" doctor 2>&1)
t_match "doctor: IPv6 forwarding ok" '(^|\n)ok +ipv6 forwarding: 1' "$doc"
t_match "doctor: qout0 keeps its RA-learned IPv6 (accept_ra 2)" 'ok +accept_ra qout0: 2,' "$doc"
t_match "doctor: the derived prefix clashes with no route" "ok +subnet6 default: $PREFIX::/64 \(derived\)" "$doc"
echo 1 >/proc/sys/net/ipv6/conf/qout0/accept_ra
t_match "doctor: accept_ra put back to 1 under forwarding fails, with the fix" \
	'fail +accept_ra qout0: 1 while IPv6 forwarding is on: .*fix: sysctl -w net\.ipv6\.conf\.qout0\.accept_ra=2' \
	"$("$QNET" doctor 2>&1)"
echo 2 >/proc/sys/net/ipv6/conf/qout0/accept_ra
echo 0 >/proc/sys/net/ipv6/conf/all/forwarding
t_match "doctor: IPv6 forwarding reset while the network is up fails" \
	'fail +ipv6 forwarding: 0 while network default is up' "$("$QNET" doctor 2>&1)"
echo 1 >/proc/sys/net/ipv6/conf/all/forwarding

# --- port forwards over IPv6 ---
t_in_ns "$G1" ip addr add 10.0.76.10/24 dev eth0 # (no DHCPv4 client here: its static lease by hand)
t_serve "$G1" TCP6-LISTEN:80,ipv6only=0,fork,reuseaddr SYSTEM:'echo "vm1 $SOCAT_PEERADDR"'
t_serve "$G1" UDP6-RECVFROM:53,fork SYSTEM:'echo "vm1-udp $SOCAT_PEERADDR"'
t_check "guest 1: servers listen" t_wait 10 eval 't_listens $G1 80 && t_listens $G1 53'
t_in_ns "$OUTSIDE" ip -6 route replace default via "$HOST6" dev qout1
t_eq "outside -> [$HOST6]:8080 (forward by host name) reaches guest 1, client address kept" \
	"vm1 $(full6 $OUT)" "$(tcp_ask "$OUTSIDE" "$HOST6" 8080 "bind=[$OUT]")"
t_eq "outside -> [$HOST6]:5300/udp (forward to [::10]) reaches guest 1" "vm1-udp $(full6 $OUT)" \
	"$(udp_ask "$OUTSIDE" "$HOST6" 5300 "bind=[$OUT]")"
t_match "host -> [$GW6]:8080 reaches guest 1" "^vm1 " "$(tcp_ask $$ "$GW6" 8080)"
t_match "host -> [$HOST6]:8080 reaches guest 1" "^vm1 " "$(tcp_ask $$ "$HOST6" 8080)"
t_eq "guest 2 -> [$HOST6]:8080 (hairpin) reaches guest 1, masqueraded to the gateway" \
	"vm1 $(full6 "$GW6")" "$(tcp_ask "$G2" "$HOST6" 8080)"
t_eq "host -> [::1]:8080 is not forwarded (no route_localnet in IPv6)" "" "$(tcp_ask $$ ::1 8080)"
t_eq "outside cannot open a connection to a guest's address" "" \
	"$(t_in_ns "$OUTSIDE" ip -6 route add "$PREFIX::/64" via "$HOST6"; tcp_ask "$OUTSIDE" "$PREFIX::10" 80)"
t_match "the same forward reaches guest 1 over IPv4 (from the host to the gateway)" "^vm1 " \
	"$(t_in_ns $$ timeout 10 socat -T 5 - TCP4:10.0.76.1:8080 </dev/null 2>/dev/null)"

# --- down: everything back ---
for g in 1 2 3; do "$DOWN" "vg$g"; done
t_check_fail "no qnetbr0" link_exists qnetbr0
t_check_fail "no nft table" nft list table inet qnet-default
t_eq "IPv6 forwarding restored to 0" 0 "$(cat /proc/sys/net/ipv6/conf/all/forwarding)"
t_eq "qout0's accept_ra restored to 1" 1 "$(cat /proc/sys/net/ipv6/conf/qout0/accept_ra)"
t_eq "nothing left in the run directory" "" "$(ls -A "$QNET_RUNDIR")"

# --- the prefix: derived from name and machine-id, so stable and per host ---
"$QNET" up default
t_eq "the same machine-id gives the same prefix" "$GW6" \
	"$(ip -j -6 addr show dev qnetbr0 scope global | jq -r '.[0].addr_info[0].local')"
"$QNET" down default
echo fedcba9876543210fedcba9876543210 >"$QNET_MACHINE_ID"
"$QNET" up default
other=$(ip -j -6 addr show dev qnetbr0 scope global | jq -r '.[0].addr_info[0].local')
t_check "another machine-id (another host) gives another ULA prefix" \
	sh -c "[ '$other' != '$GW6' ] && case '$other' in fd*::1) true ;; *) false ;; esac"
"$QNET" down default

# --- subnet6 = none: IPv4 only, and IPv6 forwarding left alone ---
printf '[network default]\nsubnet6 = none\n' >"$QNET_CONFDIR/qnet.conf"
"$QNET" up default 2>"$T_TMP/up.err"
t_eq "subnet6 = none: no IPv6 address on the bridge" "" \
	"$(ip -j -6 addr show dev qnetbr0 scope global | jq -r '.[0].addr_info[]?.local')"
t_eq "and IPv6 forwarding not turned on, accept_ra not touched, nothing said" "0 1 " \
	"$(cat /proc/sys/net/ipv6/conf/all/forwarding) $(cat /proc/sys/net/ipv6/conf/qout0/accept_ra) $(cat "$T_TMP/up.err")"
t_eq "the bridge takes no router advertisements from guests (accept_ra 0)" 0 \
	"$(cat /proc/sys/net/ipv6/conf/qnetbr0/accept_ra)"
t_eq "no IPv6 rules in the table" 0 \
	"$(nft -j list table inet qnet-default | jq '[.nftables[] | select(.rule) | .rule.expr[] | select(.match?.left.payload.protocol? == "ip6")] | length')"
# A rogue guest advertises itself as a router: with IPv6 forwarding off
# the host would take an address and a default route through it.
make_guest 4 52:54:00:00:76:0d
t_in_ns "$G4" ip addr add 2001:db8:bad::2/64 dev eth0 nodad
nsenter "--net=/proc/$G4/ns/net" -- /usr/sbin/dnsmasq --conf-file=/dev/null --keep-in-foreground \
	--no-resolv --no-hosts --pid-file= --user=root --port=0 --interface=eth0 --enable-ra \
	--dhcp-range=2001:db8:bad::,ra-only,64 </dev/null >>"$T_TMP/rogue.log" 2>&1 &
t_on_exit "kill $!"
rogue() { ip -6 addr show dev qnetbr0 | grep -q 2001:db8:bad || ip -6 route show default dev qnetbr0 | grep -q .; }
t_check_fail "a guest's router advertisement gives the host no address or route" t_wait 5 rogue
"$DOWN" vg4
"$QNET" down default 2>/dev/null

# --- bad input: one line naming file:line, nothing created ---
bad() { # DESC REGEX CONF
	printf '%s\n' "$3" >"$QNET_CONFDIR/qnet.conf"
	ip tuntap add dev tbad mode tap
	t_expect_error "$1" "$2" "$UP" tbad
	ip link del tbad
}
bad "a /48 is refused" "^qemu-ifup-nat: $QNET_CONFDIR/qnet.conf:2: subnet6: prefix /48: it must be a /64" \
	"$(printf '[network default]\nsubnet6 = fd00:76::/48')"
bad "a host outside the prefix is refused" \
	"^qemu-ifup-nat: $QNET_CONFDIR/qnet.conf:3: \[network default\]: host fd00:77::5 is not a guest address" \
	"$(printf '[network default]\nsubnet6 = fd00:76::/64\nhost = 52:54:00:00:00:01 fd00:77::5')"
t_check_fail "nothing was created" link_exists qnetbr0
printf '[network default]\nsubnet6 = 2001:db8:76::/64\n' >"$QNET_CONFDIR/qnet.conf"
t_match "qnet check warns of a prefix that is not a ULA, with its line" \
	"qnet.conf:2: warning: \[network default\]: subnet6 2001:db8:76::/64 is not a unique local address" \
	"$("$QNET" check 2>&1)"
t_eq "nothing left in the run directory" "" "$(ls -A "$QNET_RUNDIR")"
t_done
