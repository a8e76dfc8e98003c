#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# qemu-ifup-nat / qemu-ifdown-nat: lifecycle of a NAT network, its nftables
# table read back as JSON, dnsmasq, ip_forward, repair after a flushed
# ruleset or a dead dnsmasq or a kill -9'd QEMU, 32 VMs at once, bad input,
# and foreign firewall state left byte-identical. TAPs made with
# `ip tuntap` stand in for QEMU's.
. "$(dirname "$0")/../lib.sh"
t_netns "$@"
command -v nft >/dev/null || t_skip_all "nft missing (tools/deps.sh test installs nftables)"

UP=$QNET_BUILD/helpers/qemu-ifup-nat
DOWN=$QNET_BUILD/helpers/qemu-ifdown-nat
tap() { ip tuntap add dev "$1" mode tap; }
table_json() { nft -j list table inet "qnet-$1" 2>/dev/null; }
has_table() { nft list table inet "qnet-$1" >/dev/null 2>&1; }
# live (not zombie) dnsmasq processes serving bridge $1
dnsmasq_count() { t_ns_daemons "dnsmasq .*--interface=$1( |$)" | wc -l; }
dnsmasq_pid() { cat "$QNET_RUNDIR/$1.dnsmasq.pid" 2>/dev/null; }
leftovers() { ls -A "$QNET_RUNDIR" | tr '\n' ' '; }
nothing_left() { # DESC BRIDGE NETWORK
	local bad=""
	link_exists "$2" && bad+="bridge "
	has_table "$3" && bad+="table "
	[ "$(dnsmasq_count "$2")" = 0 ] || bad+="dnsmasq "
	[ -z "$(leftovers)" ] || bad+="files:$(leftovers)"
	t_eq "$1: nothing left" "" "$bad"
}

echo 0 > /proc/sys/net/ipv4/ip_forward
# Foreign firewall state that must come through byte-identical.
nft add table inet foreign
nft add chain inet foreign input '{ type filter hook input priority 10; policy accept; }'
nft add rule inet foreign input tcp dport 9999 counter accept
iptables -A INPUT -p tcp --dport 7777 -j ACCEPT 2>/dev/null || t_diag "iptables unavailable"
foreign_before=$(nft list table inet foreign; iptables-save 2>/dev/null | grep -v '^#')

# --- the default network, from an absent qnet.conf ---
tap t1; tap t2
"$UP" t1; rc=$?
t_eq "first qemu-ifup-nat succeeds with no qnet.conf" 0 $rc
t_eq "t1 is on qnetbr0" qnetbr0 "$(link_master t1)"
t_eq "qnetbr0 has the gateway address" 10.0.76.1/24 \
	"$(ip -j addr show dev qnetbr0 | jq -r '.[0].addr_info[] | select(.family=="inet") | "\(.local)/\(.prefixlen)"')"
t_check "qnetbr0 is up (admin)" link_is_up qnetbr0
t_eq "ip_forward switched on" 1 "$(cat /proc/sys/net/ipv4/ip_forward)"
t_eq "one dnsmasq serves qnetbr0" 1 "$(dnsmasq_count qnetbr0)"
pid=$(dnsmasq_pid default)
t_check "dnsmasq's pid file names a live dnsmasq" test -n "$pid" -a "$(cat /proc/$pid/comm 2>/dev/null)" = dnsmasq
args=$(tr '\0' ' ' < /proc/$pid/cmdline)
t_match "dnsmasq answers on the bridge only, with no host config" \
	'--conf-file=/dev/null .*--bind-dynamic .*--interface=qnetbr0 .*--except-interface=lo' "$args"
t_match "dnsmasq: authoritative, no override, leases by MAC (no client-id), lease-max, hostsfile" \
	'--dhcp-no-override --dhcp-authoritative --dhcp-ignore-clid --dhcp-lease-max=253 --dhcp-hostsfile=' "$args"
t_match "dnsmasq: range .2-.254 of the subnet" '--dhcp-range=10.0.76.2,10.0.76.254,' "$args"

j=$(table_json default)
rules() { printf '%s' "$j" | jq -c --arg c "$1" '[.nftables[] | select(.rule.chain == $c) | .rule.expr]'; }
t_eq "masquerade keeps TCP/UDP source ports in 1024-65535" 1024-65535 \
	"$(rules postrouting | jq -r '[.[][] | select(.masquerade.port) | .masquerade.port.range | "\(.[0])-\(.[1])"] | first')"
t_eq "masquerade skips 224.0.0.0/24 and 255.255.255.255" '224.0.0.0/24 255.255.255.255' \
	"$(rules postrouting | jq -r '[.[] | select(any(.[]; .return != null or has("return"))) | .[] | .match? | select(.left.payload.field == "daddr") | .right | if type == "object" then "\(.prefix.addr)/\(.prefix.len)" else . end] | join(" ")')"
t_check "masquerade is from the subnet to outside it" \
	jq -e 'any(.[]; any(.[]; .match?.right.prefix?.addr == "10.0.76.0") and any(.[]; .match?.op == "!=") and any(.[]; has("masquerade")))' <<<"$(rules postrouting)"
t_check "forward accepts guests out and established/related back" \
	jq -e 'any(.[]; any(.[]; .match?.left.ct?.key == "state") and any(.[]; has("accept")))' <<<"$(rules forward)"
t_check "input accepts DHCP and DNS from the bridge" \
	jq -e 'any(.[]; any(.[]; .match?.right.set? == [53, 67]) and any(.[]; has("accept")))' <<<"$(rules input)"
t_eq "no port-forward chains without forwards" "" \
	"$(printf '%s' "$j" | jq -r '.nftables[] | select(.chain.name == "prerouting") | .chain.name')"

"$UP" t2
t_eq "second TAP joins the same bridge" "t1 t2" "$(bridge_ports qnetbr0)"
t_eq "still one dnsmasq" 1 "$(dnsmasq_count qnetbr0)"
t_eq "dnsmasq was not restarted" "$pid" "$(dnsmasq_pid default)"
t_eq "one table qnet-default" 1 "$(nft -j list tables | jq '[.nftables[] | select(.table.name == "qnet-default")] | length')"

# --- repair: flushed ruleset, dead dnsmasq ---
nft flush ruleset
tap t3
"$UP" t3
t_check "qemu-ifup-nat puts our table back after nft flush ruleset" has_table default
dead=$(dnsmasq_pid default)
kill -9 "$dead"
t_wait 5 t_pid_dead "$dead"
"$DOWN" t3
t_eq "qemu-ifdown-nat restarts a dead dnsmasq while VMs remain" 1 "$(dnsmasq_count qnetbr0)"
nft flush ruleset
"$DOWN" t3
t_check "qemu-ifdown-nat puts the table back while VMs remain" has_table default
# restore the foreign state the flush removed, for the byte-identical check
nft add table inet foreign
nft add chain inet foreign input '{ type filter hook input priority 10; policy accept; }'
nft add rule inet foreign input tcp dport 9999 counter accept
iptables -A INPUT -p tcp --dport 7777 -j ACCEPT 2>/dev/null

# --- kill -9 of QEMU: its TAP vanishes, no downscript runs ---
ip link del t1
ip link del t2
t_eq "the network outlives its last TAP until someone looks" qnetbr0 "$(link_field qnetbr0 ifname)"
"$DOWN" t1
t_eq "qemu-ifdown-nat of a vanished TAP succeeds" 0 $?
nothing_left "after the last VM was killed" qnetbr0 default
t_eq "ip_forward restored to 0" 0 "$(cat /proc/sys/net/ipv4/ip_forward)"

# --- two networks side by side, ip_forward restored after the last ---
cat > "$QNET_CONFDIR/qnet.conf" <<'CONF'
[network lab]
bridge = labbr0
subnet = 10.0.77.0/24
dhcp-range = 10.0.77.100 10.0.77.150
dns = no
host = 52:54:00:00:00:10 10.0.77.10 web
forward = tcp 2222 10.0.77.10:22
forward = udp 5353 10.0.77.10:53
CONF
tap a1; tap b1
"$UP" a1
QNET_NETWORK=lab "$UP" b1
t_eq "default and lab are up side by side" "qnetbr0 labbr0" "$(link_master a1) $(link_master b1)"
t_check "two tables" sh -c "nft list table inet qnet-default >/dev/null && nft list table inet qnet-lab >/dev/null"
t_eq "two dnsmasqs" "1 1" "$(dnsmasq_count qnetbr0) $(dnsmasq_count labbr0)"
t_match "lab's dnsmasq: its own range, DNS off" '--dhcp-range=10.0.77.100,10.0.77.150,.*--port=0' \
	"$(tr '\0' ' ' < /proc/$(dnsmasq_pid lab)/cmdline)"
t_eq "static host in the hosts file" "52:54:00:00:00:10,10.0.77.10,web" "$(cat "$QNET_RUNDIR/lab.hosts")"
t_eq "forwards are one map" "tcp 2222 10.0.77.10 22,udp 5353 10.0.77.10 53" \
	"$(table_json lab | jq -r '[.nftables[] | select(.map.name == "forwards") | .map.elem[] | "\(.[0].concat[0]) \(.[0].concat[1]) \(.[1].concat[0]) \(.[1].concat[1])"] | join(",")')"
t_check "DNAT rules in prerouting and output use the map" jq -e \
	'[.nftables[] | select(.rule.chain == "prerouting" or .rule.chain == "output") | .rule.expr[] | select(.dnat.addr.map.data == "@forwards")] | length == 2' <<<"$(table_json lab)"
t_eq "route_localnet on the bridge for forwards from 127.0.0.1" 1 "$(cat /proc/sys/net/ipv4/conf/labbr0/route_localnet)"
printf '\n[network lab2]\nsubnet = 10.0.78.0/24\n' >> "$QNET_CONFDIR/qnet.conf"
sed -i 's/^host = .*/host = 52:54:00:00:00:10 10.0.77.10 web\nhost = 52:54:00:00:00:11 10.0.77.11 db/' "$QNET_CONFDIR/qnet.conf"
tap b2
QNET_NETWORK=lab "$UP" b2 2>"$T_TMP/b2.err"
t_match "a guest of a running network whose qnet.conf changed: one line saying so" \
	"^qemu-ifup-nat: warning: network lab: qnet.conf differs from what runs \(host\): not applied; .qnet reload lab. applies it$" \
	"$(cat "$T_TMP/b2.err")"
t_eq "... and the static host is not applied by it" 1 "$(wc -l < "$QNET_RUNDIR/lab.hosts")"
"$QNET_BUILD/helpers/qnet" reload lab >"$T_TMP/reload.out" 2>&1
t_eq "qnet reload lab: exit 0, says what it applied" "0 network lab: reloaded: host" "$? $(cat "$T_TMP/reload.out")"
t_eq "a static host added at runtime reaches the hosts file by qnet reload" 2 "$(wc -l < "$QNET_RUNDIR/lab.hosts")"
"$DOWN" a1
t_eq "ip_forward stays on while lab is up" 1 "$(cat /proc/sys/net/ipv4/ip_forward)"
QNET_NETWORK=lab "$DOWN" b1
QNET_NETWORK=lab "$DOWN" b2
nothing_left "after both networks" labbr0 lab
t_eq "ip_forward back to 0 after the last network" 0 "$(cat /proc/sys/net/ipv4/ip_forward)"
ip link del a1; ip link del b1; ip link del b2

echo 1 > /proc/sys/net/ipv4/ip_forward
tap c1; "$UP" c1; "$DOWN" c1; ip link del c1
t_eq "ip_forward left at 1 when it was 1 before" 1 "$(cat /proc/sys/net/ipv4/ip_forward)"
echo 0 > /proc/sys/net/ipv4/ip_forward

# --- 32 VMs at once ---
for i in $(seq 1 32); do echo "tuntap add dev p$i mode tap"; done > "$T_TMP/batch"
ip -batch "$T_TMP/batch"
seq 1 32 | timeout 120 xargs -P 32 -I{} "$UP" p{} 2> "$T_TMP/par.err"
t_eq "32 parallel qemu-ifup-nat all succeed" "0:" "$?:$(cat "$T_TMP/par.err")"
t_eq "one bridge with 32 ports" 32 "$(ip -j link show master qnetbr0 | jq length)"
t_eq "one dnsmasq" 1 "$(dnsmasq_count qnetbr0)"
t_eq "one table" 1 "$(nft -j list tables | jq '[.nftables[] | select(.table.name == "qnet-default")] | length')"
seq 1 32 | timeout 120 xargs -P 32 -I{} "$DOWN" p{} 2> "$T_TMP/par.err"
t_eq "32 parallel qemu-ifdown-nat all succeed" "0:" "$?:$(cat "$T_TMP/par.err")"
nothing_left "after 32 parallel downs" qnetbr0 default
t_eq "no qemu-if*-nat process left" "" "$(t_ns_pids "helpers/qemu-if(up|down)-nat ")"
for i in $(seq 1 32); do ip link del "p$i"; done

# --- bad input: one line, exit 1, nothing left behind ---
tap e1
t_expect_error "unknown network" "^qemu-ifup-nat: e1: network nosuch: unknown network 'nosuch'" env QNET_NETWORK=nosuch "$UP" e1
nothing_left "after unknown network" qnetbr0 default
ip link add vx0 type veth peer name vx1
ip addr add 10.0.76.5/24 dev vx0
ip link set vx0 up
t_expect_error "overlapping subnet names the device" '^qemu-ifup-nat: e1: network default: subnet 10.0.76.0/24 overlaps a route on vx0' "$UP" e1
nothing_left "after overlapping subnet" qnetbr0 default
ip link del vx0
ip link add qnetbr0 type bridge
t_expect_error "a bridge we did not create is refused" 'bridge qnetbr0 exists but qnet did not create it' "$UP" e1
t_check "and left alone" link_exists qnetbr0
ip link del qnetbr0
# The kernel resolves alternative names too: a foreign bridge that carries
# our bridge's name as one is never taken, configured or deleted for ours.
ip link add foreignbr type bridge
ip link property add dev foreignbr altname qnetbr0
t_expect_error "a link whose alternative name is our bridge's is refused, by its own name" \
	'^qemu-ifup-nat: e1: network default: qnetbr0 is an alternative name of foreignbr; ' "$UP" e1
t_eq "e1 was not put on the foreign bridge" "" "$(link_master e1)"
t_eq "the foreign bridge has no address of ours" "" "$(ip -j addr show dev foreignbr | jq -r '.[0].addr_info[]?.local')"
t_check_fail "no table was made for it" has_table default
t_check "qemu-ifdown-nat e1 succeeds" "$DOWN" e1
t_check "and leaves the foreign bridge alone" link_exists foreignbr
ip link del foreignbr
t_expect_error "dnsmasq missing" "^qemu-ifup-nat: e1: network default: dnsmasq /nonexistent/dnsmasq: No such file" env QNET_DNSMASQ=/nonexistent/dnsmasq "$UP" e1
nothing_left "after dnsmasq missing (rolled back)" qnetbr0 default
printf '#!/bin/sh\nexit 3\n' > "$T_TMP/bad-dnsmasq"; chmod 755 "$T_TMP/bad-dnsmasq"
t_expect_error "dnsmasq failing to start" 'dnsmasq failed to start \(exit status 3' env QNET_DNSMASQ="$T_TMP/bad-dnsmasq" "$UP" e1
nothing_left "after dnsmasq failed (rolled back)" qnetbr0 default
t_eq "e1 untouched by every failure" "" "$(link_master e1)"
t_eq "ip_forward untouched by every failure" 0 "$(cat /proc/sys/net/ipv4/ip_forward)"
bad_conf() { # DESC CONF REGEX
	printf '%b' "$2" > "$QNET_CONFDIR/qnet.conf"
	t_expect_error "$1" "^qemu-ifup-nat: $QNET_CONFDIR/qnet.conf:[0-9]+: $3" env QNET_NETWORK=x "$UP" e1
}
bad_conf "malformed CIDR" '[network x]\nsubnet = 10.0.0.0/33\n' 'subnet'
bad_conf "range outside the subnet" '[network x]\nsubnet = 10.9.0.0/24\ndhcp-range = 10.8.0.2 10.8.0.9\n' '.*dhcp-range'
bad_conf "bad MAC" '[network x]\nsubnet = 10.9.0.0/24\nhost = 52:54:00:zz:00:01 10.9.0.5\n' 'host'
bad_conf "duplicate static IP" '[network x]\nsubnet = 10.9.0.0/24\nhost = 52:54:00:00:00:01 10.9.0.5\nhost = 52:54:00:00:00:02 10.9.0.5\n' '.*given twice'
bad_conf "malformed forward" '[network x]\nsubnet = 10.9.0.0/24\nforward = tcp 22\n' 'forward'
bad_conf "host port forwarded by another network" '[network x]\nsubnet = 10.9.0.0/24\nforward = tcp 22 10.9.0.5:22\n[network y]\nsubnet = 10.8.0.0/24\nforward = tcp 22 10.8.0.5:22\n' '.*already forwarded by network x'
bad_conf "bridge name too long" '[network x]\nsubnet = 10.9.0.0/24\nbridge = abcdefghijklmnopq\n' 'bridge: interface name longer than 15 bytes'
nothing_left "after bad configurations" qnetbr0 default
rm -f "$QNET_CONFDIR/qnet.conf"
t_expect_error "no argument" '^qemu-ifup-nat: usage' "$UP"
t_expect_error "bad interface name" "^qemu-ifup-nat: interface 'a/b'" "$UP" a/b
t_expect_error "an option QEMU never passes" "^qemu-ifup-nat: unknown option '--frob'" "$UP" --frob
t_expect_error "ifdown-nat: unknown option" "^qemu-ifdown-nat: unknown option '-x'" "$DOWN" -x
t_expect_error "a TAP that does not exist" '^qemu-ifup-nat: nosuch: network default: interface does not exist' "$UP" nosuch
nothing_left "after a missing TAP (no network built for it)" qnetbr0 default

# --- ifdown-nat leaves a TAP on another bridge alone ---
tap f1; tap f2
ip link add otherbr type bridge
ip link set f2 master otherbr
t_check "qemu-ifup-nat f1" "$UP" f1
t_check "qemu-ifdown-nat f2 (a port of otherbr) succeeds" "$DOWN" f2
t_eq "and f2 stays on otherbr" otherbr "$(link_master f2)"
t_eq "the network keeps f1" qnetbr0 "$(link_master f1)"
t_check "qemu-ifdown-nat f1" "$DOWN" f1
nothing_left "after f1 left" qnetbr0 default
ip link del otherbr; ip link del f1; ip link del f2

# --- gc of a network that is up but no longer in qnet.conf ---
printf '[network gone]\nsubnet = 10.0.77.0/24\nbridge = gonebr\n' >"$QNET_CONFDIR/qnet.conf"
tap g1
t_check "qemu-ifup-nat g1 on network gone" env QNET_NETWORK=gone "$UP" g1
ip link del g1 # QEMU killed: the TAP went, no downscript ran
ip link del gonebr # and an admin removed the bridge by hand
rm -f "$QNET_CONFDIR/qnet.conf"
t_match "qnet gc (the network is not in qnet.conf any more) removes it" 'gone.*removed' \
	"$("$QNET_BUILD/helpers/qnet" gc 2>&1)"
nothing_left "gc removed the rest of the unconfigured network (state, table, dnsmasq)" gonebr gone
t_eq "gc restored ip_forward" 0 "$(cat /proc/sys/net/ipv4/ip_forward)"

foreign_after=$(nft list table inet foreign; iptables-save 2>/dev/null | grep -v '^#')
t_eq "foreign nft table and iptables rule are byte-identical" "$foreign_before" "$foreign_after"
t_done
