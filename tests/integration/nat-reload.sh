#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# qnet reload [NETWORK]: what qnet.conf now says, applied to running NAT
# networks. This namespace is the host, with an "outside" namespace
# (198.51.100.2, the default route) and guest namespaces whose veth host
# ends qemu-ifup-nat attaches as it would QEMU's TAPs. Two TCP streams run
# all along: guest 1 to outside through the masquerade, and outside to
# guest 1 through a port forward; every reload must leave both running
# on the same connection. Checked against the kernel and the packets:
# - forwards added, changed and removed: one transaction that swaps table
#   inet qnet-lab (nft monitor), the map's elements (nft -j), and
#   connections from outside;
# - a host = added, then changed: the hosts file, the same dnsmasq (pid)
#   answering with the new address (a guest's DHCP), the bridge's
#   allow-list (bridge qnet set ip4-IFINDEX) and the guest's traffic;
# - dhcp-range, lease-max, dns: a new dnsmasq with the new values (its
#   command line in /proc, a guest leasing from the wider range) that
#   kept the lease file, and the lease in qnet status --json;
# - bridge, subnet, subnet6 changed: refused in one line, nothing applied;
# - a network down, an unknown one, a qnet.conf with errors;
# - qemu-ifup-nat attaching to a network whose qnet.conf section changed:
#   one line pointing at qnet reload, attached, nothing applied.
. "$(dirname "$0")/../lib.sh"
t_netns "$@"
for tool in nft /usr/sbin/dnsmasq busybox socat jq setsid ss; do
	command -v "$tool" >/dev/null || t_skip_all "$tool missing (tools/deps.sh test installs it)"
done

Q=$QNET_BUILD/helpers/qnet
UP=$QNET_BUILD/helpers/qemu-ifup-nat
DOWN=$QNET_BUILD/helpers/qemu-ifdown-nat
GW=10.0.86.1 HOST=198.51.100.1 OUT=198.51.100.2
G1_MAC=52:54:00:00:86:0a G1_IP=10.0.86.10
G2_MAC=52:54:00:00:86:0b G2_IP=10.0.86.11
G3_MAC=52:54:00:00:86:0c G4_MAC=52:54:00:00:86:0d
C=$QNET_CONFDIR/qnet.conf
O=$T_TMP/out
echo 0 >/proc/sys/net/ipv4/ip_forward

# conf LAB-LINES [OTHER-LINES [IDLE-LINES]]: qnet.conf with these lines
# added to the sections' own (lines separated by \n).
conf() {
	printf '%b' "[network lab]
bridge = labbr
subnet = 10.0.86.0/24
subnet6 = none
host = $G1_MAC $G1_IP vm1
${1:+$1\n}
[network other]
bridge = otherbr
subnet = 10.0.87.0/24
subnet6 = fd00:87::/64
forward = tcp 9080 10.0.87.10:80
${2:+$2\n}
[network idle]
bridge = idlebr
subnet = 10.0.88.0/24
subnet6 = none
${3:+$3\n}" >"$C"
}
# lab's lines as they change, test by test.
# One dynamic address; lease-max above the range's size, which the static
# leases would otherwise count against (dnsmasq's --dhcp-lease-max).
RANGE1='dhcp-range = 10.0.86.100 10.0.86.100\nlease-max = 10'
FWD1="forward = tcp 8080 $G1_IP:80\nforward = tcp 8090 $G1_IP:90"
conf "$RANGE1\n$FWD1"

table_exists() { nft -j list tables | jq -e --arg t "qnet-$1" '.nftables[] | select(.table.name == $t)' >/dev/null; }
pid_is_dnsmasq() { [ -n "$1" ] && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = dnsmasq ] &&
	[ "$(t_pid_state "$1")" != Z ]; }
dpid() { cat "$QNET_RUNDIR/$1.dnsmasq.pid" 2>/dev/null; }
# The forwards map of table inet qnet-NAME as the kernel has it:
# "tcp 8080 10.0.86.10:80" per element, sorted, space-joined.
nft_forwards() {
	nft -j list map inet "qnet-$1" forwards 2>/dev/null | jq -r '.nftables[] | .map? // empty | .elem[]? |
		"\(.[0].concat[0]) \(.[0].concat[1]) \(.[1].concat[0]):\(.[1].concat[1])"' | sort | tr '\n' ' ' |
		sed 's/ $//'
}
# allowed IFINDEX MAC IP [6]: MAC . IP is in the bridge's IPv4 (IPv6)
# allow-list, set ip4-IFINDEX (ip6-IFINDEX) of table bridge qnet.
allowed() {
	nft -j list set bridge qnet "ip${4:-4}-$1" 2>/dev/null | jq -c '.nftables[] | .set? // empty | .elem[]?' |
		grep -F "\"$2\"" | grep -qF "\"$3\""
}
hosts_has() { grep -qiF "$1" "$QNET_RUNDIR/lab.hosts" 2>/dev/null; }
bridge_addr() { ip -j -4 addr show dev "$1" 2>/dev/null | jq -r '[.[0].addr_info[] | "\(.local)/\(.prefixlen)"] | join(" ")'; }
lines() { local n; n=$(wc -l 2>/dev/null <"$1"); echo "${n:-0}"; }

t_outside OUTSIDE "$HOST" "$OUT"
t_serve "$OUTSIDE" TCP-LISTEN:7000,bind=$OUT,fork,reuseaddr SYSTEM:'echo "$SOCAT_PEERADDR"'
# The sink of guest 1's stream: one connection, its bytes to a file.
t_serve "$OUTSIDE" -u TCP-LISTEN:7100,bind=$OUT,reuseaddr "OPEN:$T_TMP/out.stream,creat,append"
t_check "outside: servers listen" t_wait 10 eval 't_listens $OUTSIDE 7000 && t_listens $OUTSIDE 7100'

UDHCPC=$T_TMP/udhcpc.script
t_udhcpc_script "$UDHCPC"
make_guest() { t_veth_guest "$@"; } # N MAC: namespace G<N> with eth0 (MAC), host end vg<N>, not attached
dhcp() { # N [TRIES]: one bounded DHCP exchange in guest N; its "IP/MASK ..." line
	local pid=G$1
	rm -f "$T_TMP/lease$1"
	LEASE_OUT=$T_TMP/lease$1 t_in_ns "${!pid}" timeout 20 busybox udhcpc -i eth0 -f -q -n -t "${2:-5}" -T 1 \
		-s "$UDHCPC" >/dev/null 2>&1
	cat "$T_TMP/lease$1" 2>/dev/null
}
tcp_ask() { # PID HOST PORT: the server's one-line answer, within bounds
	t_in_ns "$1" timeout 10 socat -T 5 - "TCP:$2:$3,connect-timeout=3" </dev/null 2>/dev/null
}

# ---- lab and other up (persistent), guest 1 on lab with its lease ----
t_check "qnet up lab" "$Q" up lab
t_check "qnet up other" "$Q" up other
LAB_IDX=$(link_field labbr ifindex)
make_guest 1 "$G1_MAC"
t_check "QNET_NETWORK=lab qemu-ifup-nat vg1" env QNET_NETWORK=lab "$UP" vg1
t_match "guest 1 gets its host = address" "^$G1_IP/24 router=$GW " "$(dhcp 1)"
for p in 80 81 82; do
	t_serve "$G1" TCP-LISTEN:$p,fork,reuseaddr SYSTEM:"echo vm1-$p \$SOCAT_PEERADDR"
done
t_serve "$G1" -u TCP-LISTEN:90,reuseaddr "OPEN:$T_TMP/in.stream,creat,append"
t_check "guest 1: servers listen" t_wait 10 eval 't_listens $G1 80 && t_listens $G1 81 && t_listens $G1 82 && t_listens $G1 90'
t_eq "the forwards in table inet qnet-lab (nft -j)" "tcp 8080 $G1_IP:80 tcp 8090 $G1_IP:90" "$(nft_forwards lab)"
t_eq "outside -> $HOST:8080 reaches guest 1:80" "vm1-80 $OUT" "$(tcp_ask "$OUTSIDE" "$HOST" 8080)"
t_eq "outside -> $HOST:8081 is not forwarded yet" "" "$(tcp_ask "$OUTSIDE" "$HOST" 8081)"

# ---- two long TCP streams: a line every 0.1 s, at most 5 minutes ----
# setsid: each is a process group of its own (loop, socat), ended by id;
# nsenter and setsid exec, so $! is the group's leader.
stream() { # NAME PID HOST PORT
	nsenter "--net=/proc/$2/ns/net" -- setsid bash -c 'for ((i = 1; i <= 3000; i++)); do echo "tick $i"; sleep 0.1; done |
		socat -u - "TCP:$0:$1,connect-timeout=5"; echo "exit ${PIPESTATUS[*]}" >"$2"' \
		"$3" "$4" "$T_TMP/stream-$1.exit" </dev/null >/dev/null 2>"$T_TMP/stream-$1.err" &
	printf -v "S_$1" %s $!
	t_on_exit "kill -- -$!"
}
stream out "$G1" "$OUT" 7100        # guest 1 -> outside, masqueraded
stream in "$OUTSIDE" "$HOST" 8090   # outside -> guest 1:90, DNATed
t_check "both streams flow (10 lines each reach their sinks)" \
	t_wait 20 eval '[ "$(lines "$T_TMP/out.stream")" -ge 10 ] && [ "$(lines "$T_TMP/in.stream")" -ge 10 ]'
# The connections as their clients' kernels see them: local port and peer.
conn_out() { t_in_ns "$G1" ss -Htn state established "dst $OUT:7100" | awk '{ print $3, $4 }'; }
conn_in() { t_in_ns "$OUTSIDE" ss -Htn state established "dst $HOST:8090" | awk '{ print $3, $4 }'; }
CONN_OUT=$(conn_out) CONN_IN=$(conn_in)
t_match "guest 1's stream is one established connection" "^$G1_IP:[0-9]+ $OUT:7100\$" "$CONN_OUT"
t_match "outside's stream to the forward is one established connection" "^$OUT:[0-9]+ $HOST:8090\$" "$CONN_IN"
# streams_ok WHAT: both clients still run on their first connection and
# both sinks got 10 more lines since the last call, with no reset.
N_OUT=0 N_IN=0
streams_ok() {
	local a=$N_OUT b=$N_IN
	t_check "$1: both streams still send (10 more lines each)" t_wait 20 eval \
		'[ "$(lines "$T_TMP/out.stream")" -ge $((a + 10)) ] && [ "$(lines "$T_TMP/in.stream")" -ge $((b + 10)) ]'
	t_eq "$1: ... on the same connections, never reset, their clients running" \
		"$CONN_OUT|$CONN_IN|||1 1" \
		"$(conn_out)|$(conn_in)|$(cat "$T_TMP/stream-out.exit" "$T_TMP/stream-in.exit" 2>/dev/null)|$(cat "$T_TMP/stream-out.err" "$T_TMP/stream-in.err")|$(grep -c '^tick 1$' "$T_TMP/out.stream") $(grep -c '^tick 1$' "$T_TMP/in.stream")"
	N_OUT=$(lines "$T_TMP/out.stream") N_IN=$(lines "$T_TMP/in.stream")
}
streams_ok "before any reload"

# ---- nft monitor: which commits touch table inet qnet-lab ----
nft monitor >"$T_TMP/monitor" 2>&1 &
MON=$!
t_on_exit "kill $MON"
PROBE=0
# mark: a commit of ours the monitor has seen, so what came before it is
# in the file. Tried again while the monitor has not subscribed yet (or is
# slow to, under load): at most 20 times, 2 s each.
mark() {
	local i
	PROBE=$((PROBE + 1))
	for ((i = 0; i < 20; i++)); do
		nft add table ip "qnet-test-probe$PROBE" && nft delete table ip "qnet-test-probe$PROBE"
		t_wait 2 grep -q "^delete table ip qnet-test-probe$PROBE\$" "$T_TMP/monitor" && return 0
	done
	return 1
}
t_check "nft monitor runs" mark
# swaps: SWAPS becomes "N S": N commits since the last mark touched
# table inet qnet-lab, S of them deleted and added it (a swap). Not in a
# command substitution: PROBE must count on.
swaps() {
	mark || t_diag "nft monitor did not see probe $PROBE"
	SWAPS=$(awk -v p="qnet-test-probe$((PROBE - 1))" -v q="qnet-test-probe$PROBE" '
		$0 ~ "^delete table ip " p "$" { on = 1; next }
		$0 ~ "^add table ip " q "$" { on = 0 }
		!on { next }
		/^add table inet qnet-lab$/ { add = 1; touched = 1 }
		/^delete table inet qnet-lab$/ { del = 1; touched = 1 }
		/ inet qnet-lab / { touched = 1 }
		/^# new generation/ { if (touched) { n++; if (add && del) s++ } add = del = touched = 0 }
		END { print n + 0, s + 0 }' "$T_TMP/monitor")
}

# ---- qemu-ifup-nat after qnet.conf changed: said, not applied ----
FWD2="forward = tcp 8080 $G1_IP:80\nforward = tcp 8090 $G1_IP:90\nforward = tcp 8081 $G1_IP:81"
HOST2="host = $G2_MAC $G2_IP vm2"
conf "$RANGE1\n$FWD2\n$HOST2"
make_guest 2 "$G2_MAC"
out=$(QNET_NETWORK=lab "$UP" vg2 2>&1)
t_eq "qemu-ifup-nat vg2 on lab with a changed qnet.conf: exit 0, attached (ip -j)" "0 labbr" "$? $(link_master vg2)"
t_eq "... one line" 1 "$(printf '%s\n' "$out" | wc -l)"
t_match "... pointing at qnet reload" 'qnet reload' "$out"
t_eq "... the new forward is not in the table" "tcp 8080 $G1_IP:80 tcp 8090 $G1_IP:90" "$(nft_forwards lab)"
t_check_fail "... the new host is not in the hosts file" hosts_has "$G2_MAC"
t_check_fail "... nor in the bridge's allow-list" allowed "$LAB_IDX" "$G2_MAC" "$G2_IP"
t_eq "... nor is outside -> $HOST:8081 forwarded" "" "$(tcp_ask "$OUTSIDE" "$HOST" 8081)"
"$Q" gc >/dev/null 2>&1
t_eq "qnet gc (a repair) applies none of it either" "tcp 8080 $G1_IP:80 tcp 8090 $G1_IP:90" \
	"$(nft_forwards lab)"
t_check_fail "... nor the host" hosts_has "$G2_MAC"
DNSMASQ=$(dpid lab)

# ---- reload: a forward and a host added ----
swaps
"$Q" reload lab >"$O" 2>"$O.err"
t_eq "qnet reload lab (forward and host added): exit 0, nothing on stderr" "0 " "$? $(cat "$O.err")"
t_eq "... the forwards are the new ones (nft -j)" "tcp 8080 $G1_IP:80 tcp 8081 $G1_IP:81 tcp 8090 $G1_IP:90" \
	"$(nft_forwards lab)"
swaps
t_eq "... by one transaction that swapped table inet qnet-lab (nft monitor)" "1 1" "$SWAPS"
t_eq "outside -> $HOST:8081 now reaches guest 1:81" "vm1-81 $OUT" "$(tcp_ask "$OUTSIDE" "$HOST" 8081)"
t_eq "outside -> $HOST:8080 still reaches guest 1:80" "vm1-80 $OUT" "$(tcp_ask "$OUTSIDE" "$HOST" 8080)"
t_check "the hosts file has the new host" hosts_has "$G2_MAC"
t_eq "dnsmasq is the same process (pid file, /proc)" "$DNSMASQ yes" \
	"$(dpid lab) $(pid_is_dnsmasq "$DNSMASQ" && echo yes)"
t_check "the new host's MAC . address is in the bridge's allow-list (set ip4-$LAB_IDX)" \
	allowed "$LAB_IDX" "$G2_MAC" "$G2_IP"
t_match "guest 2 gets the new host's address from that dnsmasq (it re-read its hosts)" \
	"^$G2_IP/24 router=$GW " "$(dhcp 2)"
t_match "guest 2 reaches outside from it (the allow-list lets it through)" "^$HOST\$" \
	"$(tcp_ask "$G2" "$OUT" 7000)"
streams_ok "after the first reload"
"$Q" status >"$O" 2>&1
t_match "qnet status shows the new forward" "forward tcp 8081 -> $G1_IP:81" "$(cat "$O")"
"$Q" status --json >"$O" 2>&1
t_eq "qnet status --json: lab's forwards" "tcp 8080 $G1_IP 80 tcp 8090 $G1_IP 90 tcp 8081 $G1_IP 81" \
	"$(jq -r '.networks[] | select(.name == "lab") | [.forwards[] | "\(.proto) \(.host_port) \(.guest) \(.guest_port)"] | join(" ")' "$O")"
"$Q" reload lab >"$O" 2>&1
t_eq "qnet reload lab again, nothing changed: exit 0" 0 $?
swaps
t_eq "... no commit touched table inet qnet-lab" "0 0" "$SWAPS"

# ---- reload: a forward changed, one removed, a host changed ----
FWD3="forward = tcp 8090 $G1_IP:90\nforward = tcp 8081 $G1_IP:82"
HOST3="host = $G2_MAC 10.0.86.12 vm2"
conf "$RANGE1\n$FWD3\n$HOST3"
"$Q" reload lab >"$O" 2>&1
t_eq "qnet reload lab (8081 now to port 82, 8080 removed, vm2 now .12): exit 0" 0 $?
t_eq "... the hosts file has vm2's new address, not its old one" "1 0" \
	"$(grep -ci "^$G2_MAC,10\.0\.86\.12," "$QNET_RUNDIR/lab.hosts") $(grep -ci "^$G2_MAC,10\.0\.86\.11," "$QNET_RUNDIR/lab.hosts")"
t_check "... the new address is in the allow-list" allowed "$LAB_IDX" "$G2_MAC" 10.0.86.12
t_eq "... the same dnsmasq (SIGHUP, not a restart)" "$DNSMASQ yes" \
	"$(dpid lab) $(pid_is_dnsmasq "$DNSMASQ" && echo yes)"
t_eq "... the forwards (nft -j)" "tcp 8081 $G1_IP:82 tcp 8090 $G1_IP:90" "$(nft_forwards lab)"
swaps
t_eq "... by one table swap" "1 1" "$SWAPS"
t_eq "outside -> $HOST:8081 reaches guest 1:82 now" "vm1-82 $OUT" "$(tcp_ask "$OUTSIDE" "$HOST" 8081)"
t_eq "outside -> $HOST:8080 is not forwarded any more" "" "$(tcp_ask "$OUTSIDE" "$HOST" 8080)"
streams_ok "after the second reload"
t_match "qnet status shows the changed forward" "forward tcp 8081 -> $G1_IP:82" "$("$Q" status 2>&1)"
t_check_fail "... and not the removed one" eval '"$Q" status 2>&1 | grep -q "forward tcp 8080 "'

# ---- reload: dhcp-range and lease-max, a new dnsmasq with the leases kept ----
make_guest 3 "$G3_MAC"
make_guest 4 "$G4_MAC"
t_check "QNET_NETWORK=lab qemu-ifup-nat vg3" env QNET_NETWORK=lab "$UP" vg3
t_match "guest 3 takes the range's one address" '^10\.0\.86\.100/24 ' "$(dhcp 3)"
lease3() { awk -v m="$G3_MAC" '$2 == m { print $3 }' "$QNET_STATEDIR/lab.leases" 2>/dev/null; }
t_eq "guest 3's lease is in the lease file" 10.0.86.100 "$(lease3)"
conf "dhcp-range = 10.0.86.100 10.0.86.120\nlease-max = 10\n$FWD3\n$HOST3"
out=$(QNET_NETWORK=lab "$UP" vg4 2>&1)
t_eq "dhcp-range widened, qemu-ifup-nat vg4: exit 0, attached" "0 labbr" "$? $(link_master vg4)"
t_eq "... one line pointing at qnet reload" "1 1" "$(printf '%s\n' "$out" | wc -l) $(printf '%s\n' "$out" | grep -c 'qnet reload')"
t_eq "... the same dnsmasq, with the old range (/proc)" "$DNSMASQ 1" \
	"$(dpid lab) $(tr '\0' '\n' <"/proc/$DNSMASQ/cmdline" | grep -c -- '^--dhcp-range=10\.0\.86\.100,10\.0\.86\.100,')"
t_eq "guest 4 gets no lease: the range that runs is full" "" "$(dhcp 4 3)"
"$Q" reload lab >"$O" 2>&1
t_eq "qnet reload lab (dhcp-range widened): exit 0" 0 $?
NEW=$(dpid lab)
t_check "... a new dnsmasq runs (pid file, /proc)" pid_is_dnsmasq "$NEW"
t_check "... not the old one" [ "$NEW" != "$DNSMASQ" ]
t_check "... the old one is gone" t_wait 5 t_pid_dead "$DNSMASQ"
t_eq "... one dnsmasq for labbr" 1 "$(t_ns_daemons 'dnsmasq .*--interface=labbr( |$)' | wc -l)"
t_match "... with the new range (its command line)" '--dhcp-range=10\.0\.86\.100,10\.0\.86\.120,' \
	"$(tr '\0' ' ' <"/proc/$NEW/cmdline")"
t_eq "guest 3's lease is still in the lease file" 10.0.86.100 "$(lease3)"
"$Q" status --json >"$O" 2>&1
t_eq "... and in qnet status --json" "10.0.86.100" \
	"$(jq -r --arg m "$G3_MAC" '.networks[] | select(.name == "lab") | .leases[] | select(.mac == $m) | .ip' "$O")"
t_match "guest 4 now leases from the wider range" '^10\.0\.86\.(10[1-9]|11[0-9]|120)/24 ' "$(dhcp 4)"
t_match "guest 3 still reaches outside (its address still allowed)" "^$HOST\$" "$(tcp_ask "$G3" "$OUT" 7000)"
t_check "the hosts file still has both hosts" eval 'hosts_has "$G1_MAC" && hosts_has "$G2_MAC"'
t_eq "the forwards untouched by a DHCP change" "tcp 8081 $G1_IP:82 tcp 8090 $G1_IP:90" "$(nft_forwards lab)"
swaps
t_eq "... no table swap" "0 0" "$SWAPS"
streams_ok "after the dnsmasq restart"
DNSMASQ=$NEW
conf "dhcp-range = 10.0.86.100 10.0.86.120\nlease-max = 50\n$FWD3\n$HOST3"
"$Q" reload lab >"$O" 2>&1
t_eq "qnet reload lab (lease-max): exit 0" 0 $?
NEW=$(dpid lab)
t_eq "... a new dnsmasq with --dhcp-lease-max=50 (/proc)" "yes yes 1" \
	"$(pid_is_dnsmasq "$NEW" && echo yes) $([ "$NEW" != "$DNSMASQ" ] && echo yes) $(tr '\0' '\n' <"/proc/$NEW/cmdline" | grep -cx -- --dhcp-lease-max=50)"
t_eq "... guest 3's lease kept" 10.0.86.100 "$(lease3)"
DNSMASQ=$NEW
LAB_CONF="dhcp-range = 10.0.86.100 10.0.86.120\nlease-max = 50\ndns = no\n$FWD3\n$HOST3"
conf "$LAB_CONF"
"$Q" reload lab >"$O" 2>&1
t_eq "qnet reload lab (dns = no): exit 0" 0 $?
NEW=$(dpid lab)
t_eq "... a new dnsmasq without DNS (--port=0, /proc)" "yes yes 1" \
	"$(pid_is_dnsmasq "$NEW" && echo yes) $([ "$NEW" != "$DNSMASQ" ] && echo yes) $(tr '\0' '\n' <"/proc/$NEW/cmdline" | grep -cx -- --port=0)"
t_eq "... nothing of it listens on $GW:53 any more" "" "$(ss -Hlnu "src $GW:53")"
t_eq "... guest 3's lease kept" 10.0.86.100 "$(lease3)"
DNSMASQ=$NEW

# ---- bridge, subnet, subnet6: refused, nothing applied ----
cp "$C" "$T_TMP/good.conf"
for change in 'subnet = 10.0.86.0/25' 'bridge = labbr2' 'subnet6 = fd00:86:0:1::/64'; do
	key=${change%% *}
	# The changed key replaces the section's own; a forward and a host
	# come in the same edit.
	conf "$LAB_CONF\nforward = tcp 8099 $G1_IP:81\nhost = 52:54:00:00:86:0e 10.0.86.14 vm5"
	sed -i "0,/^$key = .*/s||$change|" "$C"
	"$Q" check >"$O" 2>&1 || t_diag "qnet check of the edit ($change) fails: $(cat "$O")"
	"$Q" reload lab >"$O" 2>"$O.err"
	t_eq "$key changed: qnet reload lab exits 1" 1 $?
	t_eq "... one line on stderr" 1 "$(wc -l <"$O.err")"
	t_match "... naming the network and qnet down/qnet up" 'lab.*qnet down.*qnet up|lab.*qnet up.*qnet down' \
		"$(cat "$O.err")"
	t_eq "... the forward of the same edit is not applied (nft -j)" "tcp 8081 $G1_IP:82 tcp 8090 $G1_IP:90" \
		"$(nft_forwards lab)"
	swaps
	t_eq "... no commit touched the table" "0 0" "$SWAPS"
	t_check_fail "... the host of the same edit not in the hosts file" hosts_has 52:54:00:00:86:0e
	t_check_fail "... nor in the allow-list" allowed "$LAB_IDX" 52:54:00:00:86:0e 10.0.86.14
	t_eq "... the bridge as it was: labbr (same ifindex), $GW/24, no labbr2, no IPv6 global" \
		"$LAB_IDX $GW/24 no " \
		"$(link_field labbr ifindex) $(bridge_addr labbr) $(link_exists labbr2 || echo no) $(ip -j -6 addr show dev labbr scope global | jq -r '.[0].addr_info[]?.local')"
	t_eq "... the same dnsmasq" "$DNSMASQ" "$(dpid lab)"
done
streams_ok "after the refused reloads"

# ---- usage: exit 2, usage on stderr (as qnet-check.sh holds every command to) ----
for args in "reload lab other" "reload --frob"; do
	"$Q" $args >"$O" 2>"$O.err"
	t_eq "qnet $args: exit 2, usage on stderr, nothing on stdout" "2 1 0" \
		"$? $(grep -c 'usage: qnet' "$O.err") $(wc -c <"$O")"
done
"$Q" reload --help >"$O" 2>&1
t_eq "qnet reload --help: exit 0, its usage" "0 1" "$? $(grep -c '^usage: qnet reload' "$O")"

# ---- a network that is down, one that does not exist ----
cp "$T_TMP/good.conf" "$C"
"$Q" reload idle >"$O" 2>&1
t_eq "qnet reload idle (down): exit 0, one line" "0 1" "$? $(wc -l <"$O")"
t_diag "it said: $(cat "$O")"
t_eq "... and idle stays down: no idlebr, no table, nothing in the run directory" "no no " \
	"$(link_exists idlebr || echo no) $(table_exists idle || echo no) $(compgen -G "$QNET_RUNDIR/idle.*")"
t_expect_error "qnet reload nope: one error line, exit 1" 'nope' "$Q" reload nope

# ---- qnet.conf with errors: all listed, nothing applied anywhere ----
# Lines: lab's autostart = maybe, other's bad forward, idle's bad key.
conf "$LAB_CONF\nforward = tcp 8085 $G1_IP:81\nautostart = maybe" \
	"forward = tcp 9081 10.0.87.10:81\nforward = tcp 99999 10.0.87.10:80" 'bogus = 1'
bad1=$(grep -n '^autostart = maybe$' "$C" | cut -d: -f1)
bad2=$(grep -n '^forward = tcp 99999 ' "$C" | cut -d: -f1)
bad3=$(grep -n '^bogus = 1$' "$C" | cut -d: -f1)
OTHER_FWD=$(nft_forwards other)
for what in "" lab; do
	"$Q" reload $what >"$O" 2>&1
	t_eq "qnet reload ${what:-(all)} with 3 errors in qnet.conf: exit 1" 1 $?
	t_check "... each error with file:line ($bad1, $bad2, $bad3)" eval \
		'grep -q "qnet.conf:$bad1: " "$O" && grep -q "qnet.conf:$bad2: " "$O" && grep -q "qnet.conf:$bad3: " "$O"'
	t_eq "... lab's new forward not applied" "tcp 8081 $G1_IP:82 tcp 8090 $G1_IP:90" "$(nft_forwards lab)"
	t_eq "... nor other's" "$OTHER_FWD" "$(nft_forwards other)"
	swaps
	t_eq "... no commit touched lab's table" "0 0" "$SWAPS"
done
[ "$T_FAILED" = 0 ] || t_diag "$(cat "$O")"

# ---- qnet reload (all): every up network ----
WEB_MAC=52:54:00:00:87:0a OTHER_IDX=$(link_field otherbr ifindex)
conf "$LAB_CONF\nforward = tcp 8085 $G1_IP:81" "forward = tcp 9081 10.0.87.10:81\nhost = $WEB_MAC 10.0.87.10 ::10 web"
"$Q" reload >"$O" 2>&1
t_eq "qnet reload (all up networks): exit 0" 0 $?
t_check "... other's new host: its IPv4 address in otherbr's allow-list (set ip4-$OTHER_IDX)" \
	allowed "$OTHER_IDX" "$WEB_MAC" 10.0.87.10
t_check "... and its IPv6 one (set ip6-$OTHER_IDX)" allowed "$OTHER_IDX" "$WEB_MAC" fd00:87::10 6
t_check "... and in other's hosts file" grep -qi "^$WEB_MAC,10\.0\.87\.10," "$QNET_RUNDIR/other.hosts"
t_eq "... lab's new forward (nft -j)" "tcp 8081 $G1_IP:82 tcp 8085 $G1_IP:81 tcp 8090 $G1_IP:90" \
	"$(nft_forwards lab)"
t_eq "... other's new forward (nft -j)" "tcp 9080 10.0.87.10:80 tcp 9081 10.0.87.10:81" "$(nft_forwards other)"
t_eq "... idle (down) stays down" "no no" "$(link_exists idlebr || echo no) $(table_exists idle || echo no)"
t_eq "outside -> $HOST:8085 reaches guest 1:81" "vm1-81 $OUT" "$(tcp_ask "$OUTSIDE" "$HOST" 8085)"
"$Q" status >"$O" 2>&1
t_check "qnet status shows both networks' new forwards" eval \
	'grep -q "forward tcp 8085 -> $G1_IP:81" "$O" && grep -q "forward tcp 9081 -> 10.0.87.10:81" "$O"'
streams_ok "after reloading all"

# ---- down: the streams' end, and nothing left ----
for s in $S_out $S_in; do kill -- "-$s" 2>/dev/null; done
for g in 1 2 3 4; do QNET_NETWORK=lab "$DOWN" "vg$g"; done
t_eq "lab without guests stays (persistent)" labbr "$(link_exists labbr && echo labbr)"
t_check "qnet down lab" "$Q" down lab
t_check "qnet down other" "$Q" down other
t_check_fail "no labbr" link_exists labbr
t_check_fail "no table inet qnet-lab" table_exists lab
t_check "no dnsmasq of lab" t_pid_dead "$DNSMASQ"
t_eq "ip_forward restored to 0" 0 "$(cat /proc/sys/net/ipv4/ip_forward)"
t_eq "nothing left in the run directory" "" "$(ls -A "$QNET_RUNDIR")"
t_done
