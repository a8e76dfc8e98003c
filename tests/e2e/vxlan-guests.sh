#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Real QEMU guests on two hosts of one overlay network (vxlan =). This
# namespace is the underlay switch; h1 (gateway = yes) and h2 are host
# namespaces on it (tests/integration/vxlan-lib.sh), each with its own
# qnet.conf, run and state directories. One guest per host, its QEMU
# started inside that host's namespace with script=qemu-ifup-nat: both get
# their leases (their host = addresses) from h1's dnsmasq, the one on h2
# across the overlay and with its MTU, and each pings the other across
# hosts. After each QEMU exits, nothing of the network is left on its host.
. "$(dirname "$0")/../lib.sh"
t_netns "$@"
. "$QNET_SRC/tests/e2e/guest.sh"
. "$QNET_SRC/tests/integration/vxlan-lib.sh"
t_on_exit guest_cleanup

UP=$QNET_BUILD/helpers/qemu-ifup-nat
DOWN=$QNET_BUILD/helpers/qemu-ifdown-nat
for tool in "$GUEST_QEMU" /usr/sbin/dnsmasq nft busybox cpio jq; do
	command -v "$tool" >/dev/null || t_skip_all "$tool missing (tools/deps.sh test installs it)"
done
vx_probe || t_skip_all "no VXLAN in this kernel"

VNI=4243 BR=qnet-ov
MAC1=52:54:00:90:01:11 IP1=10.0.90.11
MAC2=52:54:00:90:01:21 IP2=10.0.90.21
# Guest K waits for HOLD<K> before powering off; the test adds it to h1's
# bridge once it has seen both ping each other, guest 2's first: h1 takes
# the network (its gateway address, dnsmasq) down with its last local
# guest, and guest 2 would then wait for an address no longer there.
HOLD1=10.0.90.254 HOLD2=10.0.90.253
vx_hosts 2 || { t_fail "the underlay and the hosts' namespaces"; t_done; }
for k in 1 2; do
	cat >"$T_TMP/h$k/etc/qnet.conf" <<CONF
[script]
network = ov

[network ov]
subnet = 10.0.90.0/24
subnet6 = none
vxlan = $VNI
peers = ${VX_UL[2 - k]}
host = $MAC1 $IP1
host = $MAC2 $IP2
$([ "$k" = 1 ] && echo "gateway = yes")
CONF
done

# guest K MAC PEER: boot the guest of host K in its namespace; it pings
# PEER until it answers (bounded), then waits for HOLD<K>. Its console is
# $T_TMP/con<K>, its timeout's pid P<K>.
guest() {
	local k=$1 GUEST_WRAP hold=HOLD$1
	vx_wrap "$k" GUEST_WRAP
	GUEST_MAC=$2 guest_start "$T_TMP/con$k" \
		"tap,id=n0,ifname=qtap$k,script=$UP,downscript=$DOWN" \
		"qnet_hold=${!hold} qnet_run_timeout=100 $(guest_run "i=0; until ping -c 1 -W 1 $3 >/dev/null; do
i=\$((i + 1)); [ \$i -ge 60 ] && exit 1; sleep 1; done; echo QNET-PEER-OK $3")"
	printf -v "P$k" %s "$GUEST_PID"
}
con() { tr -d '\r' <"$T_TMP/con$1" | sed 's/^/# /'; sed 's/^/# /' "$T_TMP/con$1.qemu"; }
pid_of() { local v=P$1; echo "${!v}"; }

t_check "guest kernel and initramfs built" guest_build
GUEST_TIMEOUT=240
guest 1 "$MAC1" "$IP2"
guest 2 "$MAC2" "$IP1"
for k in 1 2; do
	if guest_wait_marker "$T_TMP/con$k" LEASE 150 "$(pid_of "$k")"; then t_ok "guest on h$k got a DHCP lease"; else
		t_fail "guest on h$k got a DHCP lease"; con "$k"
	fi
done
t_match "guest on h1: its host = address from h1's dnsmasq (server 10.0.90.1)" \
	"^$IP1/24 router=10\.0\.90\.1 server=10\.0\.90\.1 " "$(guest_marker "$T_TMP/con1" LEASE)"
t_match "guest on h2: its host = address from h1's dnsmasq, across the overlay" \
	"^$IP2/24 router=10\.0\.90\.1 server=10\.0\.90\.1 " "$(guest_marker "$T_TMP/con2" LEASE)"
t_match "h1's lease file has both guests" "$MAC1 $IP1 .*$MAC2 $IP2 |$MAC2 $IP2 .*$MAC1 $IP1 " \
	"$(tr '\n' ' ' <"$T_TMP/h1/state/ov.leases" 2>/dev/null)"
t_eq "h2 runs no dnsmasq and keeps no leases" "" \
	"$(ls "$T_TMP/h2/run"/*.pid "$T_TMP/h2/state"/*.leases 2>/dev/null)"
t_eq "guest on h2: DHCP told it the overlay's MTU" "mtu=1450" \
	"$(guest_marker "$T_TMP/con2" LEASE | grep -o 'mtu=[^ ]*')"
t_eq "guest on h2: its interface has the overlay's MTU" 1450 "$(guest_marker "$T_TMP/con2" MTU)"
for k in 1 2; do
	if guest_wait_marker "$T_TMP/con$k" HOLD 120 "$(pid_of "$k")"; then t_ok "guest on h$k ran its steps and waits"; else
		t_fail "guest on h$k ran its steps and waits"; con "$k"
	fi
done
t_eq "guest on h2 pinged the guest on h1" "$IP1" "$(guest_marker "$T_TMP/con2" PEER-OK)"
t_eq "guest on h1 pinged the guest on h2" "$IP2" "$(guest_marker "$T_TMP/con1" PEER-OK)"
t_check "guest on h2 pinged its gateway on h1" guest_has_marker "$T_TMP/con2" PING-OK
for k in 1 2; do
	t_eq "while running: h$k's TAP and the VXLAN device are ports of $BR" "qtap$k $(vx_of "$k")" \
		"$(on "$k" ip -j link show master "$BR" | jq -r '[.[].ifname] | sort | join(" ")')"
done
t_match "while running: h2's VXLAN device learned guest 1's MAC behind h1" "^${VX_UL[0]}\$" \
	"$(on 2 bridge -j fdb show dev "$(vx_of 2)" | jq -r --arg m "$MAC1" '.[] | select(.mac == $m) | .dst // empty' | head -n1)"

for k in 2 1; do
	hold=HOLD$k
	on 1 ip addr add "${!hold}/32" dev "$BR"
	t_check "guest on h$k saw the release" guest_wait_marker "$T_TMP/con$k" RELEASED 60 "$(pid_of "$k")"
	t_check "guest on h$k powered off" guest_wait_marker "$T_TMP/con$k" DONE 60 "$(pid_of "$k")"
	guest_wait "$(pid_of "$k")"
	t_eq "QEMU on h$k exited with status 0 (qemu-ifdown-nat ran)" 0 "$?"
	if [ "$k" = 1 ]; then
		# The gateway host keeps the network while its bridge knows
		# guest 2's MAC behind the VXLAN port; qnet gc takes it down
		# once that ages out (1 s here instead of 300).
		t_check "h1 keeps the gateway while guest 2's MAC is known" on 1 ip link show dev "$BR"
		on 1 ip link set dev "$BR" type bridge ageing_time 100
		t_check "h1: qnet gc takes it down once it aged out" \
			t_wait 10 eval 'on 1 "$QNET_BUILD/helpers/qnet" gc >/dev/null; ! on 1 ip link show dev "$BR" >/dev/null 2>&1'
	fi
	t_eq "after exit: no bridge, no qvx device, no TAP on h$k" "" \
		"$(on "$k" ip -o link show type bridge; on "$k" ip -o link show | grep -E ': (qvx|qtap)')"
	t_eq "after exit: no table inet qnet-ov on h$k" "" "$(on "$k" nft list tables | grep qnet-ov)"
	# bridge qnet is shared by every bridge that filters; what stays is
	# its skeleton (the ports map, empty, and the chain that looks it up),
	# if anything
	t_match "after exit: nothing of $BR's in table bridge qnet on h$k" '^(map:ports:0 chain:pre)?$' \
		"$(on "$k" nft -j list table bridge qnet 2>/dev/null | jq -r '[.nftables[] |
			(.map? // empty | "map:\(.name):\(.elem // [] | length)"), (.set? // empty | "set:\(.name)"),
			(.chain? // empty | "chain:\(.name)")] | join(" ")')"
	t_eq "after exit: no state, lock or pid file on h$k" "" "$(ls -A "$T_TMP/h$k/run")"
done
t_done
