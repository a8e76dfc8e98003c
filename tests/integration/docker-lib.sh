# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by docker-replay.sh (Docker 20.10's rules restored by hand) and
# docker-dockerd.sh (a real dockerd): sourced after tests/lib.sh's
# t_netns, once the caller's Docker has set up its rules. This namespace
# is the host, with an "outside" namespace (198.51.100.2, the default
# route) serving the peer address it sees, and a guest namespace whose
# veth's host end qemu-ifup-nat attaches as it would QEMU's TAP; the guest
# takes its lease (a host = entry) with busybox udhcpc.
#
# docker_coexist_checks WHAT: with Docker's FORWARD policy DROP and its
# DOCKER-USER in place, a NAT guest reaches outside and a port forward
# reaches it, through exactly two rules of ours at the top of
# DOCKER-USER; they come back, exactly the missing ones, after
# iptables -F DOCKER-USER; when the network goes down (qnet up made it
# persistent: qnet down) iptables-save is byte-identical to Docker's own;
# with [firewall] docker = no nothing is written and qemu-ifup-nat says
# why in one line.
for tool in nft iptables iptables-save /usr/sbin/dnsmasq busybox socat jq; do
	command -v "$tool" >/dev/null || t_skip_all "$tool missing (tools/deps.sh test installs it)"
done

UP=$QNET_BUILD/helpers/qemu-ifup-nat
DOWN=$QNET_BUILD/helpers/qemu-ifdown-nat
Q=$QNET_BUILD/helpers/qnet
GW=10.0.76.1 HOST=198.51.100.1 OUT=198.51.100.2
G1_MAC=52:54:00:00:76:0a G1_IP=10.0.76.10
CONF_AUTO="[network default]
host = $G1_MAC $G1_IP vm1
forward = tcp 8080 $G1_IP:80"
echo "$CONF_AUTO" >"$QNET_CONFDIR/qnet.conf"

# iptables' own view of its tables, counters left out.
ipt_save() { iptables-save | grep -v '^#' | sed 's/\[[0-9:]*\]//'; }
# DOCKER-USER as iptables lists it.
docker_user() { iptables -S DOCKER-USER; }
ours() { docker_user | grep -c -- '--comment "\?qnet:default"\? '; }
OUR_IN='-A DOCKER-USER -i qnetbr0 -m comment --comment "qnet:default" -j ACCEPT'
OUR_OUT='-A DOCKER-USER -o qnetbr0 -m conntrack --ctstate RELATED,ESTABLISHED,DNAT -m comment --comment "qnet:default" -j ACCEPT'
# DOCKER-USER with our rules at the top, and as Docker leaves it.
OURS_AT_TOP="-N DOCKER-USER
$OUR_IN
$OUR_OUT
-A DOCKER-USER -j RETURN"
DOCKERS_ONLY="-N DOCKER-USER
-A DOCKER-USER -j RETURN"

t_outside OUTSIDE "$HOST" "$OUT"
t_serve "$OUTSIDE" TCP-LISTEN:7000,bind=$OUT,fork,reuseaddr SYSTEM:'echo "$SOCAT_PEERADDR"'

UDHCPC=$T_TMP/udhcpc.script
t_udhcpc_script "$UDHCPC"

t_new_ns G1
ip link add vg1 type veth peer name eth0 netns "$G1"
t_in_ns "$G1" ip link set eth0 address "$G1_MAC"
t_in_ns "$G1" ip link set eth0 up
t_serve "$G1" TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo "vm1 $SOCAT_PEERADDR"'

dhcp() {
	rm -f "$T_TMP/lease"
	LEASE_OUT=$T_TMP/lease t_in_ns "$G1" timeout 20 busybox udhcpc -i eth0 -f -q -n -t 5 -T 1 \
		-s "$UDHCPC" >/dev/null 2>&1
	sed 's|/.*||' "$T_TMP/lease" 2>/dev/null
}
tcp_ask() { # PID HOST PORT: the server's one-line answer, within bounds
	t_in_ns "$1" timeout 10 socat -T 5 - "TCP:$2:$3,connect-timeout=3" </dev/null 2>/dev/null
}
guest_out() { tcp_ask "$G1" "$OUT" 7000; }
forward_in() { tcp_ask "$OUTSIDE" "$HOST" 8080; }

docker_coexist_checks() {
	local what=$1 before out
	t_match "$what: Docker's FORWARD policy is DROP" '^-P FORWARD DROP$' "$(iptables -S FORWARD | head -n1)"
	t_eq "$what: DOCKER-USER holds only Docker's RETURN" "$DOCKERS_ONLY" "$(docker_user)"
	before=$(ipt_save)

	# --- up: our two rules at the top, iptables still reads its table ---
	out=$("$UP" vg1 2>&1)
	t_eq "$what: qemu-ifup-nat vg1 succeeds and says nothing" "" "$out"
	t_eq "$what: DOCKER-USER: our in and out rules at the top, Docker's RETURN last" "$OURS_AT_TOP" "$(docker_user)"
	t_check_fail "$what: iptables-save still reads the table (no 'incompatible')" \
		eval 'iptables-save 2>&1 | grep -qi incompatible'
	t_eq "$what: nothing else in iptables changed" \
		"$(printf '%s\n' "$before" | grep -v '^-A DOCKER-USER -j RETURN$')" \
		"$(ipt_save | grep -v -e '^-A DOCKER-USER' )"
	t_eq "$what: the guest gets its lease" "$G1_IP" "$(dhcp)"
	t_eq "$what: the guest reaches outside, masqueraded" "$HOST" "$(guest_out)"
	t_check "$what: the guest's server listens" t_wait 10 t_listens "$G1" 80
	t_eq "$what: outside -> $HOST:8080 (port forward) reaches the guest" "vm1 $OUT" "$(forward_in)"
	t_match "$what: qnet doctor: Docker's drop is taken care of" \
		"^ok +forward policy ip filter FORWARD: .*\(Docker's\); each NAT network accepts its bridge in DOCKER-USER" \
		"$("$Q" doctor 2>&1)"

	# --- idempotent: every entry repairs, none duplicates ---
	"$UP" vg1 >/dev/null 2>&1
	"$Q" up default >/dev/null 2>&1
	"$Q" gc >/dev/null 2>&1
	t_eq "$what: qemu-ifup-nat, qnet up, qnet gc again: still exactly two rules of ours" 2 "$(ours)"

	# --- iptables -F DOCKER-USER (as a firewall script would) ---
	iptables -F DOCKER-USER
	iptables -A DOCKER-USER -j RETURN
	t_eq "$what: after iptables -F DOCKER-USER the guest no longer reaches outside" "" "$(guest_out)"
	t_match "$what: ... and qnet doctor says which network lost its rules" \
		"^warn +forward policy ip filter FORWARD: .*network default is up without all its rules in DOCKER-USER.*; fix: qnet up default" \
		"$("$Q" doctor 2>&1)"
	"$UP" vg1 >/dev/null 2>&1
	t_eq "$what: the next qemu-ifup-nat puts both back, at the top" "$OURS_AT_TOP" "$(docker_user)"
	t_eq "$what: the guest reaches outside again" "$HOST" "$(guest_out)"
	t_eq "$what: and the port forward reaches it again" "vm1 $OUT" "$(forward_in)"
	iptables -D DOCKER-USER -o qnetbr0 -m conntrack --ctstate RELATED,ESTABLISHED,DNAT \
		-m comment --comment qnet:default -j ACCEPT
	"$Q" up default >/dev/null 2>&1
	t_eq "$what: one rule deleted: qnet up puts back exactly that one" "-N DOCKER-USER
$OUR_OUT
$OUR_IN
-A DOCKER-USER -j RETURN" "$(docker_user)"

	# --- down: exactly Docker's own again. qnet up above made the network
	# persistent: its last guest leaves it up, rules and all, until qnet down ---
	t_check "$what: qemu-ifdown-nat vg1 (last port)" "$DOWN" vg1
	t_eq "$what: ... the network stays up (persistent since qnet up) with its two rules" "qnetbr0 2" \
		"$(link_exists qnetbr0 && echo qnetbr0) $(ours)"
	t_check "$what: qnet down default" "$Q" down default
	t_check_fail "$what: qnetbr0 is gone" link_exists qnetbr0
	t_eq "$what: iptables-save is byte-identical to Docker's own" "$before" "$(ipt_save)"

	# --- docker = no: another table is never touched ---
	printf '[firewall]\ndocker = no\n%s\n' "$CONF_AUTO" >"$QNET_CONFDIR/qnet.conf"
	out=$("$UP" vg1 2>&1)
	t_match "$what: docker = no: qemu-ifup-nat warns in one line what blocks and the fix" \
		"^qemu-ifup-nat: (warning: )?network default: chain FORWARD of table ip filter drops forwarded packets by policy \(Docker's\): .*; fix: set docker = auto in \[firewall\] of qnet.conf, or iptables -I DOCKER-USER -o qnetbr0 -m conntrack --ctstate RELATED,ESTABLISHED,DNAT -j ACCEPT && iptables -I DOCKER-USER -i qnetbr0 -j ACCEPT\$" \
		"$out"
	t_eq "$what: ... one line" 1 "$(printf '%s\n' "$out" | wc -l)"
	t_eq "$what: docker = no: iptables untouched while the network is up" "$before" "$(ipt_save)"
	t_eq "$what: docker = no: the guest is blocked, as the line says" "" "$(guest_out)"
	t_match "$what: qnet doctor says the same, as a failure" \
		"^fail +forward policy ip filter FORWARD: chain FORWARD of table ip filter drops forwarded packets by policy \(Docker's\): .*; fix: set docker = auto" \
		"$("$Q" doctor 2>&1)"
	t_check "$what: qemu-ifdown-nat vg1" "$DOWN" vg1
	t_eq "$what: iptables-save still Docker's own" "$before" "$(ipt_save)"
	echo "$CONF_AUTO" >"$QNET_CONFDIR/qnet.conf"
}
