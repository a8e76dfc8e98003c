#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# One qnet network across three hosts over the kernel's VXLAN. This
# namespace is the underlay switch (bridge ul); three namespaces are the
# hosts h1 (gateway = yes), h2 and h3 (192.168.50.1-3), each with its own
# qnet.conf, run and state directories; h1 also reaches an "outside"
# namespace (198.51.100.2), its default route. Each host has a veth guest
# attached by qemu-ifup-nat. Guests get their leases from h1's dnsmasq
# (with the overlay's MTU), reach each other across hosts and the outside
# through h1. A rogue namespace on the underlay (192.168.50.9) that sends
# VXLAN of the same VNI is dropped until it is a peer, and again when
# qnet reload takes it out; the reload changes the flood list, not the
# device. Bad input is refused with file:line and leaves nothing.
. "$(dirname "$0")/../lib.sh"
t_netns "$@"
. "$QNET_SRC/tests/integration/vxlan-lib.sh"
for tool in nft /usr/sbin/dnsmasq busybox jq bridge ping; do
	command -v "$tool" >/dev/null || t_skip_all "$tool missing (tools/deps.sh test installs it)"
done
vx_probe || t_skip_all "no VXLAN in this kernel"

B=$QNET_BUILD/helpers
VNI=4242 BR=qnet-ov
UL=("${VX_UL[@]:0:3}")
ROGUE=192.168.50.9 OUT=198.51.100.2

# hosts 1-3 on the underlay bridge ul, H1-H3; "on K CMD" runs CMD as host K
vx_hosts 3 || { t_fail "the underlay and the hosts' namespaces"; t_done; }
# The outside, behind h1.
t_new_ns OUTSIDE
ip link add wan1 type veth peer name wan0 netns "$OUTSIDE"
ip link set wan1 netns "$H1"
on 1 ip addr add 198.51.100.1/24 dev wan1
on 1 ip link set wan1 up
t_in_ns "$OUTSIDE" ip addr add "$OUT/24" dev wan0
t_in_ns "$OUTSIDE" ip link set wan0 up
on 1 ip route add default via "$OUT"

# conf K [EXTRA-LINES]: host K's qnet.conf, its peers the other two.
conf() {
	local k=$1 peers=() i
	for i in 1 2 3; do [ "$i" = "$k" ] || peers+=("${UL[i - 1]}"); done
	cat >"$T_TMP/h$k/etc/qnet.conf" <<EOF
[script]
network = ov

[network ov]
subnet = 10.0.90.0/24
subnet6 = none
vxlan = $VNI
peers = ${peers[*]} ${3:-}
host = 52:54:00:90:00:11 10.0.90.11
host = 52:54:00:90:00:21 10.0.90.21
host = 52:54:00:90:00:31 10.0.90.31
${2:-}
EOF
}
conf 1 "gateway = yes"
conf 2
conf 3

UDHCPC=$T_TMP/udhcpc.script
t_udhcpc_script "$UDHCPC"

# guest N K MAC: guest namespace G<N> whose veth's host end vg<N> is in
# host K, attached there by qemu-ifup-nat as QEMU's TAP would be.
guest() {
	local h=H$2
	t_veth_guest "$1" "$3"
	ip link set "vg$1" netns "${!h}"
	on "$2" "$B/qemu-ifup-nat" "vg$1"
}
dhcp() { # K: one bounded DHCP exchange in guest K
	local pid=G$1
	rm -f "$T_TMP/lease$1"
	LEASE_OUT=$T_TMP/lease$1 t_in_ns "${!pid}" timeout 30 busybox udhcpc -i eth0 -f -q -n -t 8 -T 1 -O mtu \
		-s "$UDHCPC" >/dev/null 2>&1
	cat "$T_TMP/lease$1" 2>/dev/null
}
pings() { # PID ADDR: three bounded tries
	t_in_ns "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1 || t_in_ns "$1" ping -c 2 -W 2 "$2" >/dev/null 2>&1
}
flood_of() { # K: the flood list of host K's VXLAN device, sorted
	on "$1" bridge -j fdb show dev "$(vx_of "$1")" 2>/dev/null |
		jq -r '.[] | select(.mac == "00:00:00:00:00:00") | .dst' | sort | tr '\n' ' ' | sed 's/ $//'
}

# --- bring-up ---
t_check "h1 (gateway): qemu-ifup-nat attaches its guest" guest 1 1 52:54:00:90:00:11
t_check "h2: qemu-ifup-nat attaches its guest" guest 2 2 52:54:00:90:00:21
t_check "h3: qemu-ifup-nat attaches its guest" guest 3 3 52:54:00:90:00:31
for k in 1 2 3; do
	vx=$(vx_of "$k")
	t_eq "h$k: one VXLAN device, VNI $VNI, port 4789, learning, a port of $BR" "$VNI 4789 true $BR" \
		"$(on "$k" ip -j -d link show dev "$vx" | jq -r '.[0] | "\(.linkinfo.info_data.id) \(.linkinfo.info_data.port) \(.linkinfo.info_data.learning) \(.master)"')"
	peers=()
	for i in 1 2 3; do [ "$i" = "$k" ] || peers+=("${UL[i - 1]}"); done
	t_eq "h$k: the VXLAN device floods to the other two hosts" "${peers[*]}" "$(flood_of "$k")"
	t_eq "h$k: bridge and guest port have the underlay's MTU less 50" "1450 1450" \
		"$(on "$k" ip -j link show dev "$BR" | jq -r '.[0].mtu') $(on "$k" ip -j link show dev "vg$k" | jq -r '.[0].mtu')"
done
t_eq "h1: the gateway address is on the bridge" "10.0.90.1/24" \
	"$(on 1 ip -j -4 addr show dev "$BR" | jq -r '.[0].addr_info[] | "\(.local)/\(.prefixlen)"')"
for k in 2 3; do
	t_eq "h$k: no address on its bridge" "" "$(on "$k" ip -j -4 addr show dev "$BR" | jq -r '.[0].addr_info[]?.local')"
	t_eq "h$k: no dnsmasq" "" "$(ls "$T_TMP/h$k/run"/*.pid 2>/dev/null)"
	t_eq "h$k: no masquerade, the host not reachable from its bridge" "0 1" \
		"$(on "$k" nft list table inet qnet-ov | grep -c masquerade) $(on "$k" nft list chain inet qnet-ov input | grep -c "iifname \"$BR\" drop")"
done

# --- leases from the gateway host, across hosts ---
for k in 1 2 3; do
	t_eq "guest on h$k: its lease from h1's dnsmasq, router and MTU with it" \
		"10.0.90.${k}1/24 router=10.0.90.1 dns=10.0.90.1 mtu=1450" "$(dhcp "$k")"
done
t_check "guest on h2 pings the gateway on h1" pings "$G2" 10.0.90.1
t_check "guest on h2 pings the guest on h3" pings "$G2" 10.0.90.31
t_check "guest on h3 pings the guest on h1" pings "$G3" 10.0.90.11
t_check "guest on h3 reaches the outside through h1" pings "$G3" "$OUT"
t_check "a 1422-byte ping crosses the overlay unfragmented" \
	t_in_ns "$G2" ping -c 1 -W 2 -M do -s 1422 10.0.90.31
t_check "the host h2 is not reachable from its bridge (link-local)" \
	eval '! t_in_ns "$G2" ping -c 1 -W 1 "$(on 2 ip -j -6 addr show dev '"$BR"' scope link | jq -r ".[0].addr_info[0].local")%eth0" >/dev/null 2>&1'

# --- status ---
J=$(on 2 "$B/qnet" status --json)
t_eq "qnet status on h2: VNI, peers, flood list, gateway elsewhere, MTU" \
	"$VNI 4789 ${UL[0]} ${UL[2]} | ${UL[0]} ${UL[2]} | elsewhere 1450" \
	"$(printf '%s' "$J" | jq -r '.networks[] | select(.name == "ov") | "\(.overlay.vni) \(.overlay.port) \(.overlay.peers | join(" ")) | \(.overlay.fdb | sort | join(" ")) | \(.overlay.gateway) \(.mtu)"')"
t_match "qnet status on h1 says the gateway is here" "gateway here" "$(on 1 "$B/qnet" status)"

# --- doctor, and a repair ---
t_match "qnet doctor on h2: the overlay is whole" \
	"ok +overlay.*network ov: VNI $VNI on UDP port 4789, 2 peers \(0 without a route\), MTU 1450, gateway elsewhere" \
	"$(on 2 "$B/qnet" doctor 2>&1)"
on 2 ip link del "$(vx_of 2)"
t_match "qnet doctor on h2: a deleted VXLAN device is a failure" "fail +overlay.*qvx[0-9a-f]{8} is missing" \
	"$(on 2 "$B/qnet" doctor 2>&1)"
t_check "qnet gc on h2 puts it back" on 2 "$B/qnet" gc
t_eq "h2 floods to the other two again" "${UL[0]} ${UL[2]}" "$(flood_of 2)"
t_check "guest on h2 reaches the guest on h3 again" t_wait 5 pings "$G2" 10.0.90.31

# qnet watch on h2 puts a deleted VXLAN device back by itself.
on 2 "$B/qnet" watch >"$T_TMP/watch2.log" 2>&1 &
WATCH=$!
t_on_exit "kill $WATCH"
t_check "qnet watch on h2 starts" t_wait 10 grep -q '^watching' "$T_TMP/watch2.log"
on 2 ip link del "$(vx_of 2)"
t_check "qnet watch puts the VXLAN device back, flooding to both hosts" \
	t_wait 10 eval '[ "$(flood_of 2)" = "${UL[0]} ${UL[2]}" ]'
kill "$WATCH"
t_wait 5 t_pid_dead "$WATCH"

# --- a non-peer cannot inject frames ---
# The rogue: its own VXLAN device of the same VNI flooding to h2, bridged
# with a guest that claims an unused address of the subnet.
t_new_ns RG
ip link add ulr type veth peer name eth0 netns "$RG"
ip link set ulr master ul up
t_in_ns "$RG" ip addr add "$ROGUE/24" dev eth0
t_in_ns "$RG" ip link set eth0 up
t_in_ns "$RG" ip link add rbr type bridge
t_in_ns "$RG" ip link add rvx type vxlan id "$VNI" dstport 4789 local "$ROGUE" nolearning
t_in_ns "$RG" ip link set rvx master rbr up
t_in_ns "$RG" bridge fdb append 00:00:00:00:00:00 dev rvx dst "${UL[1]}"
t_in_ns "$RG" ip addr add 10.0.90.99/24 dev rbr
t_in_ns "$RG" ip link set rbr up
t_check_fail "a non-peer's VXLAN does not reach the guest on h2" pings "$RG" 10.0.90.21
vx2=$(vx_of 2)
idx2=$(on 2 ip -j link show dev "$vx2" | jq -r '.[0].ifindex')
# Made a peer of h2 (and h2 floods to it): its frames pass. The guest on
# h2 has no filter entry for 10.0.90.99's MAC, so it is ARP and the
# guest's reply that say the frames passed: the rogue learns h2's guest.
conf 2 "" "$ROGUE"
t_check "qnet reload on h2 takes the new peer" on 2 "$B/qnet" reload ov
t_eq "h2 floods to the new peer too, the same device" "${UL[0]} ${UL[2]} $ROGUE $idx2" \
	"$(flood_of 2) $(on 2 ip -j link show dev "$vx2" | jq -r '.[0].ifindex')"
t_check "a peer's VXLAN reaches the guest on h2" t_wait 5 pings "$RG" 10.0.90.21
conf 2
t_check "qnet reload on h2 takes the peer out" on 2 "$B/qnet" reload ov
t_eq "h2 floods to the two hosts again" "${UL[0]} ${UL[2]}" "$(flood_of 2)"
t_in_ns "$RG" ip neigh flush dev rbr
t_check_fail "a removed peer's traffic stops" pings "$RG" 10.0.90.21
t_check "the hosts still reach each other" pings "$G2" 10.0.90.31
conf 2 "" "${UL[1]}"
t_match "qnet reload on h2 refuses h2's own address as a peer" "peer ${UL[1]} is an address of this host" \
	"$(on 2 "$B/qnet" reload ov 2>&1)"
t_eq "... and changes nothing" "${UL[0]} ${UL[2]}" "$(flood_of 2)"
conf 2

# --- nft flush ruleset on a member host ---
on 2 nft flush ruleset
t_check "qnet gc on h2 puts the tables back" on 2 "$B/qnet" gc
# nft shows a port's ifindex as its name.
filtered_ports=$(on 2 nft -j list map bridge qnet ports | jq -r '[.nftables[].map? // empty | .elem[]?[0]] | join(" ")')
t_eq "the guest's port is filtered again, the VXLAN port is not" "vg2" "$filtered_ports"
t_check "guest on h2 reaches h3's and the gateway after the repair" \
	eval 't_wait 5 pings "$G2" 10.0.90.31 && pings "$G2" 10.0.90.1'
t_eq "h2's table routes nothing to or from the bridge" 2 \
	"$(on 2 nft list chain inet qnet-ov forward | grep -cE "(iif|oif)name \"$BR\" drop")"

# --- teardown ---
t_check "h3: qnet up makes the overlay persistent" on 3 "$B/qnet" up ov
t_check "h3: qemu-ifdown-nat of its last guest" on 3 "$B/qemu-ifdown-nat" vg3
t_eq "h3: a persistent overlay stays up without guests, flooding" "${UL[0]} ${UL[1]}" "$(flood_of 3)"
t_check "h3: qnet down ov" on 3 "$B/qnet" down ov
for k in 2 3; do
	[ "$k" = 2 ] && t_check "h$k: qemu-ifdown-nat of the last guest" on "$k" "$B/qemu-ifdown-nat" "vg$k"
	t_eq "h$k: bridge and VXLAN device are gone" "" "$(on "$k" ip -o link show type bridge; vx_of "$k")"
done
# The gateway host stays up while the bridge still knows guests behind
# the VXLAN port (the other hosts' guests need its DHCP and NAT), and
# qnet gc takes it down once they have aged out.
t_check "h1: qemu-ifdown-nat of its last guest" on 1 "$B/qemu-ifdown-nat" vg1
t_eq "h1: the gateway stays while the bridge knows other hosts' guests" "qnet-ov 10.0.90.1" \
	"$(on 1 ip -j -4 addr show dev "$BR" | jq -r '.[0] | "\(.ifname) \(.addr_info[0].local)"')"
t_check "h1: qnet gc leaves it while they are known" on 1 "$B/qnet" gc
t_check "... and so it is" on 1 ip link show dev "$BR"
on 1 ip link set dev "$BR" type bridge ageing_time 100 # 1 s
t_check "h1: once they age out, qnet gc takes it down" \
	t_wait 10 eval 'on 1 "$B/qnet" gc >/dev/null; ! on 1 ip link show dev "$BR" >/dev/null 2>&1'
t_eq "h1: bridge, VXLAN device, table and dnsmasq are gone" "" \
	"$(on 1 ip -o link show type bridge; vx_of 1; on 1 nft list tables | grep qnet-ov; ls "$T_TMP/h1/run"/*.pid 2>/dev/null)"

# --- an IPv6 underlay, and nat = no: no gateway on any host ---
for k in 2 3; do
	on "$k" ip -6 addr add "fd00:50::$k/64" dev eth0 nodad
	printf '[script]\nnetwork = iso\n\n[network iso]\nsubnet = 10.0.95.0/24\nsubnet6 = none\nnat = no\nvxlan = 95\npeers = fd00:50::%s\nhost = 52:54:00:95:00:0%s 10.0.95.%s\n' \
		$((5 - k)) "$k" "$k" >"$T_TMP/h$k/etc/qnet.conf"
done
t_check "h2: a guest on the nat = no network" guest 4 2 52:54:00:95:00:02
t_check "h3: a guest on the nat = no network" guest 5 3 52:54:00:95:00:03
t_in_ns "$G4" ip addr add 10.0.95.2/24 dev eth0
t_in_ns "$G5" ip addr add 10.0.95.3/24 dev eth0
for k in 2 3; do
	t_eq "h$k: floods to the other host over IPv6, MTU 1500 less 70" "fd00:50::$((5 - k)) 1430" \
		"$(flood_of "$k") $(on "$k" ip -j link show dev qnet-iso | jq -r '.[0].mtu')"
	t_eq "h$k: no address, no dnsmasq" " | " \
		"$(on "$k" ip -j -4 addr show dev qnet-iso | jq -r '.[0].addr_info[]?.local') | $(ls "$T_TMP/h$k/run"/*.pid 2>/dev/null)"
done
t_check "guests on h2 and h3 reach each other across an IPv6 underlay" pings "$G4" 10.0.95.3
t_check_fail "... and nothing else: there is no gateway" pings "$G4" 10.0.95.1
for k in 2 3; do on "$k" "$B/qemu-ifdown-nat" "vg$((k + 2))"; done
t_eq "both hosts: nothing of it is left" "" "$(on 2 ip -o link show type vxlan; on 3 ip -o link show type vxlan)"

# --- bad input: file:line, one line, nothing created ---
bad() { # DESCRIPTION EXPECTED-REGEX EXTRA-CONF-LINES...
	local d=$1 re=$2 out rc
	shift 2
	{
		printf '[network bad]\nsubnet = 10.0.91.0/24\n'
		printf '%s\n' "$@"
	} >"$T_TMP/h2/etc/qnet.conf"
	ip tuntap add dev tbad mode tap 2>/dev/null
	ip link set tbad netns "$H2" 2>/dev/null
	out=$(on 2 "$B/qemu-ifup-nat" tbad 2>&1)
	rc=$?
	t_check "$d: refused" test "$rc" != 0
	t_match "$d: one line naming file:line" "^qemu-ifup-nat: .*qnet.conf:[0-9]+: .*$re" "$out"
	t_eq "$d: one line" 1 "$(printf '%s\n' "$out" | wc -l)"
	t_eq "$d: nothing was created" "" "$(on 2 ip -o link show type bridge; on 2 ip -o link show type vxlan; on 2 nft list tables | grep qnet-)"
}
bad "a VNI out of range" "VNI 1-16777215" "vxlan = 16777216" "peers = ${UL[0]}" "[script]" "network = bad"
bad "a peer that is our own address" "peer ${UL[1]} is an address of this host" "vxlan = 7" "peers = ${UL[1]}" \
	"[script]" "network = bad"
bad "two networks with the same VNI and port" "VNI 7 on port 4789 is already" "vxlan = 7" "peers = ${UL[0]}" \
	"[network bad2]" "subnet = 10.0.92.0/24" "vxlan = 7" "peers = ${UL[0]}" "[script]" "network = bad"
bad "gateway = yes with nat = no" "gateway = yes with nat = no" "vxlan = 7" "peers = ${UL[0]}" "gateway = yes" \
	"nat = no" "[script]" "network = bad"
bad "an underlay that does not exist" "underlay nosuch0: no such interface" "vxlan = 7" "peers = ${UL[0]}" \
	"underlay = nosuch0" "[script]" "network = bad"
# A device of the name the network's would have, that qnet did not make.
printf '[network bad]\nsubnet = 10.0.91.0/24\nvxlan = 7\npeers = %s\n[script]\nnetwork = bad\n' "${UL[0]}" \
	>"$T_TMP/h2/etc/qnet.conf"
theirs=qvx$(printf bad | sha256sum | cut -c1-8)
on 2 ip link add "$theirs" type vxlan id 7 dstport 4789
out=$(on 2 "$B/qemu-ifup-nat" tbad 2>&1)
t_match "a VXLAN device of our name that is not ours is refused" "$theirs exists but is not the VXLAN device of network bad" "$out"
t_check "... and left alone" on 2 ip link show dev "$theirs"
t_done
