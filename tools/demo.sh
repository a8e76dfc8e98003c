#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The README's first command: as root on Debian 12, install what is missing,
# build into build-demo/, then in a private network namespace make a bridge
# with dnsmasq on it and boot a throwaway VM whose TAP QEMU hands to qnet's
# qemu-ifup (script=) and qemu-ifdown (downscript=). Prints the guest's DHCP
# lease and its ping of the gateway. Everything network-side lives in the
# namespace, which dies with this script; the host is never touched.
#
# tools/demo.sh --nat: the same VM on qnet's NAT network "default" instead
# (qemu-ifup-nat, qemu-ifdown-nat, no qnet.conf): qnet makes the bridge,
# firewall table and dnsmasq itself; the guest gets an IPv4 lease by DHCP
# and an IPv6 address by SLAAC, pings both gateways and fetches a page from
# a server in a second namespace ("outside") over both, which sees the
# host's addresses, not the guest's. After the VM, the network is gone.
set -u
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) || exit 1
# t_netns below re-runs "$0" after the cd: make it absolute first
case $0 in /*) ;; *) exec bash "$SRC/tools/demo.sh" "$@" ;; esac
cd "$SRC" || exit 1
export QNET_SRC=$SRC QNET_BUILD=$SRC/build-demo

say() { printf '\n==> %s\n' "$*"; }
die() { printf '\ndemo.sh: %s\n' "$*" >&2; exit 1; }

NAT=0
case ${1:-} in
'') ;;
--nat) NAT=1 ;;
-h|--help) sed -n '3,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
*) die "unknown option '$1' (none for bridge mode, --nat for a NAT network)" ;;
esac

if [ "${QNET_IN_TEST_NETNS:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || die "run me as root (sudo tools/demo.sh): QEMU's TAP, a bridge and dnsmasq need it"
	say "installing what is missing (tools/deps.sh demo)"
	timeout 1800 bash tools/deps.sh demo || die "installing packages failed (see apt's output above)"
	say "building qnet into build-demo/"
	# only the programs the demo runs; no man pages (scdoc is not needed)
	setup=(meson setup build-demo -Dman=disabled)
	[ -f build-demo/build.ninja ] && setup+=(--reconfigure)
	timeout 600 "${setup[@]}" >"$SRC/build-demo.setup.log" 2>&1 ||
		{ cat "$SRC/build-demo.setup.log" >&2; rm -f "$SRC/build-demo.setup.log"; die "meson setup failed"; }
	rm -f "$SRC/build-demo.setup.log"
	targets=(helpers/qemu-ifup helpers/qemu-ifdown)
	[ "$NAT" = 0 ] || targets=(helpers/qemu-ifup-nat helpers/qemu-ifdown-nat)
	timeout 1200 ninja -C build-demo "${targets[@]}" || die "building ${targets[*]} failed"
fi

# Re-runs this script inside `unshare --net --mount` with a scratch dir
# ($T_TMP) and qnet's config/run/state dirs moved there; cleanup on exit.
. tests/lib.sh
t_netns "$@"
. tests/e2e/guest.sh
t_on_exit guest_cleanup
GUEST_TIMEOUT=150
CON=$T_TMP/console

say "preparing the guest: Debian's kernel $(guest_kernel_version) + a busybox initramfs"
guest_build "$T_TMP" || die "could not build the guest (kernel, busybox-static, cpio)"

# show_qemu PREFIX: the QEMU command line guest_start ran
show_qemu() {
	local a
	printf '   %s' "${1:+ $1}"
	for a in "${GUEST_CMD[@]}"; do case $a in *' '*) printf " '%s'" "$a" ;; *) printf ' %s' "$a" ;; esac; done
	echo
	echo "    guest's serial console:"
	tail -n +1 -F --pid="$GUEST_PID" "$CON" 2>/dev/null | tr -d '\r' | sed -u 's/^/    | /' &
	TAIL=$!
	t_on_exit "kill $TAIL"
}
fail() {
	guest_cleanup
	sleep 0.2
	echo "--- QEMU said:" >&2
	cat "$CON.qemu" >&2
	die "$*"
}

if [ "$NAT" = 1 ]; then
	UP=$QNET_BUILD/helpers/qemu-ifup-nat
	DOWN=$QNET_BUILD/helpers/qemu-ifdown-nat
	say "private network namespace, with a second one beyond it (\"outside\": $GUEST_OUTSIDE_ADDR and $GUEST_OUTSIDE_ADDR6, a web server)"
	guest_outside || die "could not set up the outside namespace"
	HOLD=198.51.100.3
	# the guest fetches from the outside over both families; the server
	# answers with the address it saw
	guest_start "$CON" "tap,id=n0,ifname=qtap0,script=$UP,downscript=$DOWN" \
		"qnet_ipv6=40 qnet_run_timeout=40 qnet_hold=$HOLD $(guest_run "
wget -q -O - http://$GUEST_OUTSIDE_ADDR/cgi-bin/whoami | sed 's/^QNET-HTTP-FROM/QNET-HTTP4-FROM/';
wget -q -O - 'http://[$GUEST_OUTSIDE_ADDR6]/cgi-bin/whoami' | sed 's/^QNET-HTTP-FROM/QNET-HTTP6-FROM/'")"
	say "booting a throwaway VM (TCG, no KVM needed) on qnet's NAT network \"default\", no qnet.conf:"
	show_qemu ''
	guest_wait_marker "$CON" LEASE 120 || fail "the guest got no DHCP lease"
	guest_wait_marker "$CON" HOLD 90 || fail "the guest did not finish its steps"
	guest_has_marker "$CON" PING-OK || fail "the guest could not ping its IPv4 gateway"
	guest_has_marker "$CON" ADDR6 || fail "the guest got no IPv6 address by SLAAC"
	guest_has_marker "$CON" PING6-OK || fail "the guest could not ping its IPv6 gateway"
	net=$(printf 'bridge %s: %s; ports: %s' qnetbr0 \
		"$(ip -j addr show dev qnetbr0 | jq -r '[.[0].addr_info[] | select(.scope == "global") | "\(.local)/\(.prefixlen)"] | join(", ")')" \
		"$(bridge_ports qnetbr0)")
	tables=$(nft -j list tables | jq -r '[.nftables[].table? | select(. != null and (.name | startswith("qnet-"))) | "\(.family) \(.name)"] | join(", ")')
	"${GUEST_OUTSIDE_NS[@]}" ip addr add "$HOLD/32" dev qout1
	guest_wait_marker "$CON" RELEASED 60 || fail "the guest did not see the host's go-ahead ($HOLD)"
	guest_wait_marker "$CON" DONE 60 || fail "the guest did not power off"
	guest_wait || fail "QEMU failed"
	wait "$TAIL" 2>/dev/null

	# router ROUTER-LINE: the value of its router= word
	router() { printf '%s\n' "$1" | sed -n 's/.* router=\([^ ]*\).*/\1/p'; }
	lease=$(guest_marker "$CON" LEASE)
	addr6=$(guest_marker "$CON" ADDR6)
	say "while the VM ran, qemu-ifup-nat had brought the network up: $net; nftables: $tables"
	say "the guest's IPv4 address (DHCP from qnet's dnsmasq): ${lease%% *}, router $(router "$lease")"
	say "the guest's IPv6 address (SLAAC from qnet's router advertisement): ${addr6%% *}, router $(router "$addr6")"
	say "the outside server saw the guest come from $(guest_marker "$CON" HTTP4-FROM) and $(guest_marker "$CON" HTTP6-FROM): the host's addresses (masquerade, NAT66)"
	! link_exists qnetbr0 || die "qnetbr0 still exists after QEMU exited"
	! link_exists qtap0 || die "qtap0 still exists after QEMU exited"
	! nft list table inet qnet-default >/dev/null 2>&1 || die "qnet's table still exists after QEMU exited"
	[ -z "$(t_ns_pids 'dnsmasq .*--interface=qnetbr0')" ] || die "qnet's dnsmasq still runs after QEMU exited"
	say "QEMU exited and ran qemu-ifdown-nat: the last guest gone, the bridge, table and dnsmasq are too. The namespaces go with this script. Done."
	exit 0
fi

say "private network namespace: bridge br0 $GUEST_LAN_GW/24, dnsmasq serving DHCP on br0 only"
guest_lan br0 "$T_TMP/leases" || die "could not start the bridge and dnsmasq"

IFUP=$QNET_BUILD/helpers/qemu-ifup
IFDOWN=$QNET_BUILD/helpers/qemu-ifdown
export QNET_BRIDGE=br0 # how qemu-ifup picks the bridge here; see qnet.conf(5) for the rest
guest_start "$CON" "tap,id=n0,ifname=qtap0,script=$IFUP,downscript=$IFDOWN" "qnet_hold=$GUEST_LAN_HOLD"
say "booting a throwaway VM (TCG, no KVM needed):"
show_qemu 'QNET_BRIDGE=br0'

guest_wait_marker "$CON" LEASE 120 || fail "the guest got no DHCP lease"
guest_wait_marker "$CON" HOLD 60 || fail "the guest did not finish its ping"
guest_has_marker "$CON" PING-OK || fail "the guest could not ping the gateway $GUEST_LAN_GW"
port="$(ip -j link show master br0 | jq -r '.[] | "\(.ifname), mtu \(.mtu), \(if (.flags | index("UP")) then "up" else "down" end)"')"
# the guest waits for this address to answer before it powers off
guest_release "$GUEST_LAN_HOLD" br0
guest_wait_marker "$CON" RELEASED 60 || fail "the guest did not see the host's go-ahead ($GUEST_LAN_HOLD)"
guest_wait_marker "$CON" DONE 60 || fail "the guest did not power off"
guest_wait || fail "QEMU failed"
wait "$TAIL" 2>/dev/null

lease=$(guest_marker "$CON" LEASE)
say "while the VM ran, qemu-ifup had put its TAP on br0: $port"
say "the guest's DHCP lease: ${lease%% *} from dnsmasq ($(cut -d' ' -f2,3 "$T_TMP/leases"))"
say "the guest's ping of the gateway:"
tr -d '\r' <"$CON" | sed -n '/^PING /,/^round-trip/p' | sed 's/^/    /'
left=$(bridge_ports br0)
[ -z "$left" ] || die "br0 still has ports after QEMU exited: $left"
! link_exists qtap0 || die "qtap0 still exists after QEMU exited"
say "QEMU exited and ran qemu-ifdown: br0 has no ports, qtap0 is gone. The namespace goes with this script. Done."
exit 0
