#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A real QEMU guest on qnet's default NAT network with no qnet.conf at all,
# through script=qemu-ifup-nat,downscript=qemu-ifdown-nat: the network is
# dual-stack by default. The guest takes an IPv4 lease by DHCP and an IPv6
# address by SLAAC (its kernel's own, from dnsmasq's router advertisement
# for the network's ULA /64; no DHCPv6 client runs), pings both gateways,
# asks the gateway's IPv6 address for its own DHCP name (the DNS server the
# RA advertises), and fetches from an HTTP server in an "outside" namespace
# over IPv4 and IPv6: the server sees the host's outside addresses of both
# families (masquerade, NAT66), never the guest's. The host's uplink, qout0,
# has its IPv6 default route from the outside's router advertisements
# (accept_ra=1): turning forwarding on would make Linux drop that route at
# once, so it must survive the network's bring-up. After QEMU exits, nothing
# of the network remains and both forwarding switches and qout0's accept_ra
# are as they were.
. "$(dirname "$0")/../lib.sh"
t_netns "$@"
. "$QNET_SRC/tests/e2e/guest.sh"
. "$QNET_SRC/tests/integration/tenants-lib.sh" # pf_has, pf_mac
t_on_exit guest_cleanup

UP=$QNET_BUILD/helpers/qemu-ifup-nat
DOWN=$QNET_BUILD/helpers/qemu-ifdown-nat
QNET=$QNET_BUILD/helpers/qnet
for tool in "$GUEST_QEMU" /usr/sbin/dnsmasq nft busybox cpio jq; do
	command -v "$tool" >/dev/null || t_skip_all "$tool missing (tools/deps.sh test installs it)"
done

# bridge_addr6 SCOPE: qnetbr0's IPv6 address of that scope, ADDR/LEN
bridge_addr6() {
	ip -j -6 addr show dev qnetbr0 2>/dev/null |
		jq -r --arg s "$1" '.[0].addr_info[]? | select(.family == "inet6" and .scope == $s) | "\(.local)/\(.prefixlen)"' | head -n1
}
sysctl6() { cat "/proc/sys/net/ipv6/conf/$1/$2"; }
# the gateway of the host's IPv6 default route on qout0 that an RA made
ra_route() { ip -j -6 route show default dev qout0 proto ra | jq -r '.[0].gateway // empty'; }

t_check_fail "no qnet.conf: the built-in default network" test -e "$QNET_CONFDIR/qnet.conf"
echo 0 >/proc/sys/net/ipv4/ip_forward
echo 0 >/proc/sys/net/ipv6/conf/all/forwarding
CON=$T_TMP/console
HOLD=198.51.100.3
t_check "guest kernel and initramfs built" guest_build
GUEST_OUTSIDE_RA=1
t_check "outside namespace with an HTTP server on IPv4 and IPv6, and a router advertising" guest_outside
t_eq "before: the uplink qout0 takes router advertisements (accept_ra=1)" 1 "$(sysctl6 qout0 accept_ra)"
OUT_LL=$(ra_route)
t_match "before: the host's IPv6 default route is qout0's, from the RA" '^fe80:' "$OUT_LL"

# $GW6 is only known once the network is up: the guest asks address 1 of
# its own /64 ($QNET_GW6, guest-init) for its own DHCP name.
guest_start "$CON" "tap,id=n0,ifname=qtap0,script=$UP,downscript=$DOWN" \
	"qnet_ipv6=40 qnet_run_timeout=40 qnet_hostname=qnetvm6 qnet_hold=$HOLD $(guest_run "
wget -q -O - http://$GUEST_OUTSIDE_ADDR/cgi-bin/whoami | sed 's/^QNET-HTTP-FROM/QNET-HTTP4-FROM/';
wget -q -O - 'http://[$GUEST_OUTSIDE_ADDR6]/cgi-bin/whoami' | sed 's/^QNET-HTTP-FROM/QNET-HTTP6-FROM/';
ping6 -c 2 -W 3 $GUEST_OUTSIDE_ADDR6 >/dev/null && echo QNET-PING6-OUT-OK;
echo QNET-GW6-GUESSED \$QNET_GW6;
nslookup qnetvm6 \$QNET_GW6 | sed -n 's/^Address:[[:space:]]*\\(10\\.[0-9.]*\\)\$/QNET-DNS6-ANSWER \\1/p'")"
if guest_wait_marker "$CON" LEASE 150; then t_ok "guest got a DHCP lease from qnet's dnsmasq"; else
	t_fail "guest got a DHCP lease from qnet's dnsmasq"; tr -d '\r' <"$CON" | sed 's/^/# /'; sed 's/^/# /' "$CON.qemu"
fi
lease=$(guest_marker "$CON" LEASE)
GUEST_IP=${lease%%/*}
t_match "IPv4: the lease is in 10.0.76.2-254, router the gateway" \
	'^10\.0\.76\.([2-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-4])/24 router=10\.0\.76\.1( |$)' "$lease"
t_eq "the guest's interface takes router advertisements (forwarding off, accept_ra default)" \
	"forwarding=0 accept_ra=1 autoconf=1" "$(guest_marker "$CON" IPV6-CONF)"
if guest_wait_marker "$CON" HOLD 90; then t_ok "guest ran its steps and waits for the host"; else
	t_fail "guest ran its steps and waits for the host"; tr -d '\r' <"$CON" | sed 's/^/# /'
fi
t_check "guest pinged the IPv4 gateway" guest_has_marker "$CON" PING-OK

GW6=$(bridge_addr6 global)
LL6=$(bridge_addr6 link)
PREFIX=$(guest_ip6_full "${GW6%/*}" | cut -d: -f1-4)
t_match "the bridge has the gateway PREFIX::1/64 of a ULA prefix (fdXX::/8)" '^fd[0-9a-f]{2}:[0-9a-f:]*/64$' "$GW6"
t_eq "the gateway is address 1 of its /64" "$PREFIX:0000:0000:0000:0001" "$(guest_ip6_full "${GW6%/*}")"
addr6=$(guest_marker "$CON" ADDR6)
t_match "IPv6: the guest has a global address (SLAAC) and a default router" '^[0-9a-f:]+/64 router=fe80:' "$addr6"
# SLAAC with Debian's default addr_gen_mode: the /64 and the EUI-64 of the MAC
t_eq "the guest's address is the network's /64 and the EUI-64 of its MAC" \
	"$PREFIX:$(guest_eui64 "$GUEST_MAC")" \
	"$(guest_ip6_full "${addr6%%/*}")"
t_eq "the guest's IPv6 default router is the bridge's link-local address (from the RA)" \
	"${LL6%/*}" "$(echo "$addr6" | sed -n 's/.* router=//p')"
t_check "guest pinged its IPv6 router" guest_has_marker "$CON" PING6-OK
t_eq "the outside server saw the host's IPv4 address, not the guest's (masquerade)" \
	"$GUEST_OUTSIDE_HOST" "$(guest_marker "$CON" HTTP4-FROM)"
t_eq "the outside server saw the host's IPv6 address, not the guest's (NAT66)" \
	"$GUEST_OUTSIDE_HOST6" "$(guest_marker "$CON" HTTP6-FROM)"
t_check "the guest pinged the outside server over IPv6" guest_has_marker "$CON" PING6-OUT-OK
t_eq "the guest's ::1 of its /64 (its QNET_GW6) is the bridge's gateway address" \
	"$(guest_ip6_full "${GW6%/*}")" "$(guest_ip6_full "$(guest_marker "$CON" GW6-GUESSED)")"
t_eq "the gateway's IPv6 address answers DNS: the guest's DHCP name is its IPv4 lease" \
	"$GUEST_IP" "$(guest_marker "$CON" DNS6-ANSWER)"

t_eq "while running: qtap0 is a port of qnetbr0" qnetbr0 "$(link_master qtap0)"
t_check "while running: qtap0 is filtered (its chain in table bridge qnet, on by default)" pf_has qtap0
t_eq "while running: its filter learned the guest's MAC" "$GUEST_MAC" "$(pf_mac qtap0)"
t_eq "while running: ip_forward is on" 1 "$(cat /proc/sys/net/ipv4/ip_forward)"
t_eq "while running: IPv6 forwarding is on" 1 "$(sysctl6 all forwarding)"
t_eq "while running: qout0 still takes router advertisements (accept_ra=2 with forwarding on)" \
	2 "$(sysctl6 qout0 accept_ra)"
t_eq "while running: the host kept its IPv6 default route from the RA" "$OUT_LL" "$(ra_route)"
t_match "qemu-ifup-nat said so on its stderr, which QEMU passes on" \
	'^qemu-ifup-nat: warning: qout0: accept_ra set to 2 ' "$(cat "$CON.qemu")"
t_match "while running: qnet's table holds an IPv6 masquerade for the /64" \
	"ip6 saddr $(printf '%s' "${GW6%::1/64}" | sed 's/\./\\./g')::/64 .*masquerade" \
	"$(nft list ruleset 2>/dev/null | tr -s ' \t' ' ')"
J=$("$QNET" status --json 2>/dev/null)
t_eq "qnet status: the network's IPv6 subnet is the bridge's /64, derived" "${GW6%::1/64}::/64 derived" \
	"$(printf '%s' "$J" | jq -r '.networks[] | select(.name == "default") | "\(.subnet6) \(.subnet6_from)"')"

"${GUEST_OUTSIDE_NS[@]}" ip addr add "$HOLD/32" dev qout1
t_check "guest saw the release" guest_wait_marker "$CON" RELEASED 60
t_check "guest powered off" guest_wait_marker "$CON" DONE 60
guest_wait; rc=$?
t_eq "QEMU exited with status 0 (qemu-ifdown-nat ran)" 0 "$rc"
t_check_fail "after exit: qtap0 is gone" link_exists qtap0
t_check_fail "after exit: no qnetbr0" link_exists qnetbr0
t_eq "after exit: no qnet table of any family" "" \
	"$(nft -j list tables 2>/dev/null | jq -r '.nftables[]?.table? | select(. != null and (.name | startswith("qnet-"))) | "\(.family) \(.name)"')"
t_eq "after exit: no dnsmasq" "" "$(t_ns_pids 'dnsmasq .*--interface=qnetbr0')"
t_eq "after exit: ip_forward back to 0" 0 "$(cat /proc/sys/net/ipv4/ip_forward)"
t_eq "after exit: IPv6 forwarding back to 0" 0 "$(sysctl6 all forwarding)"
t_eq "after exit: qout0's accept_ra back to 1" 1 "$(sysctl6 qout0 accept_ra)"
t_eq "after exit: the host's IPv6 default route from the RA is there" "$OUT_LL" "$(ra_route)"
t_eq "after exit: no state, lock or pid file" "" "$(ls -A "$QNET_RUNDIR")"
t_done
