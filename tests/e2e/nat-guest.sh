#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A real QEMU guest on qnet's NAT network, through
# script=qemu-ifup-nat,downscript=qemu-ifdown-nat. This namespace is the
# "host"; guest_outside links it by veth to an "outside" namespace with an
# HTTP server. The guest gets a lease from qnet's dnsmasq (a static host
# from qnet.conf) and its IPv6 address by SLAAC (the host line names that
# address, the EUI-64 of its MAC), fetches from the outside server, which
# sees the host's address (masquerade), and serves a page that a client in
# the outside namespace reaches through port forwards of the host: to its
# IPv4 address, to the host line's name (both families) and to its IPv6
# address in brackets. Another DNS server already listens on the wildcard
# address's port 53: qnet's dnsmasq still starts (DHCP, DHCPv6 and RA
# only) and the guest's DNS queries to either gateway address are answered
# by that server. After QEMU exits, nothing of the network remains.
. "$(dirname "$0")/../lib.sh"
t_netns "$@"
. "$QNET_SRC/tests/e2e/guest.sh"
. "$QNET_SRC/tests/integration/tenants-lib.sh" # pf_has, pf_mac
t_on_exit guest_cleanup

UP=$QNET_BUILD/helpers/qemu-ifup-nat
DOWN=$QNET_BUILD/helpers/qemu-ifdown-nat
for tool in "$GUEST_QEMU" /usr/sbin/dnsmasq nft busybox cpio jq; do
	command -v "$tool" >/dev/null || t_skip_all "$tool missing (tools/deps.sh test installs it)"
done

GUEST_IP=10.0.76.50 HOLD=198.51.100.3
# ::IID is that address inside the network's (derived) /64
GUEST_IID6=$(guest_eui64 "$GUEST_MAC")
cat >"$QNET_CONFDIR/qnet.conf" <<EOF
[network default]
host = $GUEST_MAC $GUEST_IP ::$GUEST_IID6 vm1
forward = tcp 8080 $GUEST_IP:80
forward = tcp 8081 vm1:80
forward = tcp 8082 [::$GUEST_IID6]:80
EOF
echo 0 >/proc/sys/net/ipv4/ip_forward
echo 0 >/proc/sys/net/ipv6/conf/all/forwarding
CON=$T_TMP/console

# Another DNS server on 0.0.0.0:53 (a second dnsmasq, as a host's own
# would be); it alone knows wild.test.
/usr/sbin/dnsmasq --conf-file=/dev/null --keep-in-foreground --no-resolv --no-hosts --pid-file= \
	--user=root --port=53 --address=/wild.test/192.0.2.99 >"$T_TMP/wild.log" 2>&1 &
WILD=$!
t_on_exit "kill $WILD"
wild_listens() { ss -Hlun 'sport = :53' | grep -q '0\.0\.0\.0:53'; }
t_check "another DNS server listens on 0.0.0.0:53" t_wait 10 wild_listens

t_check "guest kernel and initramfs built" guest_build
t_check "outside namespace with an HTTP server" guest_outside
# The guest fetches, then serves a page of its own, then waits for $HOLD
# (an address the test adds outside once it has checked the forward).
guest_start "$CON" "tap,id=n0,ifname=qtap0,script=$UP,downscript=$DOWN" \
	"qnet_ipv6=40 qnet_hold=$HOLD $(guest_run "wget -q -O - http://$GUEST_OUTSIDE_ADDR/cgi-bin/whoami;
nslookup wild.test 10.0.76.1 | grep -q 'Address.*192.0.2.99' && echo QNET-DNS-OK;
nslookup wild.test \$QNET_GW6 | grep -q 'Address.*192.0.2.99' && echo QNET-DNS6-OK;
mkdir -p /www && echo QNET-GUEST-WEB >/www/index.html && httpd -p 80 -h /www")"
if guest_wait_marker "$CON" LEASE 150; then t_ok "guest got a DHCP lease from qnet's dnsmasq"; else
	t_fail "guest got a DHCP lease from qnet's dnsmasq"; tr -d '\r' <"$CON" | sed 's/^/# /'; sed 's/^/# /' "$CON.qemu"
fi
t_match "the lease is the static host's address, router the gateway" \
	"^$GUEST_IP/24 router=10\.0\.76\.1( |\$)" "$(guest_marker "$CON" LEASE)"
t_match "qnet's lease file has the guest" "^[0-9]+ $GUEST_MAC $GUEST_IP " \
	"$(cat "$QNET_STATEDIR/default.leases" 2>/dev/null)"
t_check "guest ran its steps and waits for the host" guest_wait_marker "$CON" HOLD 60
t_check "guest pinged the gateway" guest_has_marker "$CON" PING-OK
GW6=$(ip -j -6 addr show dev qnetbr0 scope global | jq -r '.[0].addr_info[0].local // empty')
t_eq "the guest's SLAAC address is the host line's" \
	"$(guest_ip6_full "${GW6%::1}::$GUEST_IID6")" "$(guest_ip6_full "$(guest_marker "$CON" ADDR6 | cut -d/ -f1)")"
t_check "guest pinged its IPv6 router" guest_has_marker "$CON" PING6-OK
t_eq "the outside server saw the host's address, not the guest's (masquerade)" \
	"$GUEST_OUTSIDE_HOST" "$(guest_marker "$CON" HTTP-FROM)"
t_check "the guest's DNS query to the gateway was answered (by the wildcard :53 server)" \
	guest_has_marker "$CON" DNS-OK
t_check "and its query to the IPv6 gateway $GW6 too" guest_has_marker "$CON" DNS6-OK
cmdline=$(tr '\0' ' ' <"/proc/$(cat "$QNET_RUNDIR/default.dnsmasq.pid")/cmdline")
t_match "qnet's dnsmasq serves no DNS (--port=0)" ' --port=0 ' "$cmdline"
t_match "and names the gateway as DNS server by DHCP" ' --dhcp-option=option:dns-server,10\.0\.76\.1 ' "$cmdline"
t_match "and the IPv6 gateway by DHCPv6 and RA (RDNSS)" \
	" --dhcp-option=option6:dns-server,\\[$GW6\\] " "$cmdline"
t_eq "guest's commands exited 0" 0 "$(guest_marker "$CON" RUN-RC)"
t_eq "while running: qtap0 is a port of qnetbr0" qnetbr0 "$(link_master qtap0)"
t_check "while running: qtap0 is filtered (its chain in table bridge qnet, on by default)" pf_has qtap0
t_eq "while running: its filter learned the guest's MAC" "$GUEST_MAC" "$(pf_mac qtap0)"
t_check "while running: our nft table exists" nft list table inet qnet-default
t_eq "while running: ip_forward is on" 1 "$(cat /proc/sys/net/ipv4/ip_forward)"
t_eq "while running: IPv6 forwarding is on" 1 "$(cat /proc/sys/net/ipv6/conf/all/forwarding)"

# A client outside reaches the guest's server through the host's port 8080.
# (bash's /dev/tcp: busybox-static's wget crashes on some hosts.)
http_get() { # HOST PORT: the body of GET /
	timeout 10 bash -c 'exec 3<>"/dev/tcp/$0/$1" && printf "GET / HTTP/1.0\r\n\r\n" >&3 && cat <&3' "$1" "$2" 2>/dev/null |
		tr -d '\r' | sed '1,/^$/d'
}
t_eq "outside client reached the guest's server through the port forward" QNET-GUEST-WEB \
	"$("${GUEST_OUTSIDE_NS[@]}" bash -c "$(declare -f http_get); http_get $GUEST_OUTSIDE_HOST 8080")"
t_eq "the host itself reaches it through 127.0.0.1:8080" QNET-GUEST-WEB "$(http_get 127.0.0.1 8080)"
t_eq "and through the gateway address 10.0.76.1:8080" QNET-GUEST-WEB "$(http_get 10.0.76.1 8080)"
outside_get() { "${GUEST_OUTSIDE_NS[@]}" bash -c "$(declare -f http_get); http_get $1 $2"; }
t_eq "a forward to the host line's name reaches the guest over IPv4" QNET-GUEST-WEB \
	"$(outside_get "$GUEST_OUTSIDE_HOST" 8081)"
t_eq "and over IPv6, from outside to the host's IPv6 address (DNAT66)" QNET-GUEST-WEB \
	"$(outside_get "$GUEST_OUTSIDE_HOST6" 8081)"
t_eq "a forward to [::IID] reaches the guest from outside over IPv6" QNET-GUEST-WEB \
	"$(outside_get "$GUEST_OUTSIDE_HOST6" 8082)"
t_eq "the host itself reaches it through the IPv6 gateway [$GW6]:8081" QNET-GUEST-WEB "$(http_get "$GW6" 8081)"
# Linux cannot DNAT from ::1 to another host (no route_localnet in IPv6):
# qnet leaves [::1] alone, so the connection is refused at once, never hangs.
timeout 10 bash -c 'exec 3<>/dev/tcp/::1/8081' 2>/dev/null
t_eq "[::1]:8081 is the host's own port, refused (not forwarded, not hanging)" 1 "$?"

"${GUEST_OUTSIDE_NS[@]}" ip addr add "$HOLD/32" dev qout1
t_check "guest saw the release" guest_wait_marker "$CON" RELEASED 60
t_check "guest powered off" guest_wait_marker "$CON" DONE 60
guest_wait; rc=$?
t_eq "QEMU exited with status 0 (qemu-ifdown-nat ran)" 0 "$rc"
t_check_fail "after exit: qtap0 is gone" link_exists qtap0
t_check_fail "after exit: no qnetbr0" link_exists qnetbr0
t_check_fail "after exit: no nft table" nft list table inet qnet-default
t_eq "after exit: no dnsmasq" "" "$(t_ns_pids 'dnsmasq .*--interface=qnetbr0')"
t_eq "after exit: ip_forward back to 0" 0 "$(cat /proc/sys/net/ipv4/ip_forward)"
t_eq "after exit: IPv6 forwarding back to 0" 0 "$(cat /proc/sys/net/ipv6/conf/all/forwarding)"
t_eq "after exit: no state, lock or pid file" "" "$(ls -A "$QNET_RUNDIR")"
t_done
