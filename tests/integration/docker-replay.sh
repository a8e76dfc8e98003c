#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A NAT network beside Docker 20.10's start-up rules, restored by hand with
# iptables-nft as dockerd writes them on a host whose ip_forward it turned
# on (the filter table's FORWARD policy DROP, DOCKER-USER with its RETURN,
# DOCKER, DOCKER-ISOLATION-STAGE-1/2 and FORWARD's jumps to them; the nat
# table's DOCKER chain): the checks of docker-lib.sh; the same two rules in
# ip6tables' DOCKER-USER where Docker has one. Then the drops qnet
# must not touch: FORWARD DROP without DOCKER-USER (another firewall), a
# drop in an nftables table of someone else's, legacy iptables. Each time
# qemu-ifup-nat says in one line what blocks and the fix, and the fix it
# names, typed as given, makes the guest reach outside.
# docker-dockerd.sh does the same against a real dockerd.
. "$(dirname "$0")/../lib.sh"
t_netns "$@"
. "$(dirname "$0")/docker-lib.sh"

echo 0 >/proc/sys/net/ipv4/ip_forward
iptables-restore <<'EOF'
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-ISOLATION-STAGE-1 - [0:0]
:DOCKER-ISOLATION-STAGE-2 - [0:0]
:DOCKER-USER - [0:0]
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-ISOLATION-STAGE-1
-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o docker0 -j DOCKER
-A FORWARD -i docker0 ! -o docker0 -j ACCEPT
-A FORWARD -i docker0 -o docker0 -j ACCEPT
-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
-A DOCKER-ISOLATION-STAGE-1 -j RETURN
-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
-A DOCKER-ISOLATION-STAGE-2 -j RETURN
-A DOCKER-USER -j RETURN
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:DOCKER - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
-A DOCKER -i docker0 -j RETURN
COMMIT
EOF
t_eq "Docker 20.10's rules restored (iptables-restore)" 0 "$?"
echo 1 >/proc/sys/net/ipv4/ip_forward # as dockerd leaves it
docker_coexist_checks "replayed Docker 20.10"

# --- two networks: each its own rules; one going down takes only its own ---
printf '%s\n[network lab]\nsubnet = 10.0.77.0/24\n' "$CONF_AUTO" >"$QNET_CONFDIR/qnet.conf"
"$Q" up default >/dev/null 2>&1
"$Q" up lab >/dev/null 2>&1
t_eq "networks default and lab: two rules each in DOCKER-USER" "2 2" \
	"$(ours) $(docker_user | grep -c -- '--comment "\?qnet:lab"\? ')"
t_check "qnet down lab" "$Q" down lab
t_eq "lab down: exactly default's rules are left" "$OURS_AT_TOP" "$(docker_user)"
t_check "qnet down default" "$Q" down default
t_eq "default down too: DOCKER-USER is Docker's own" "$DOCKERS_ONLY" "$(docker_user)"
echo "$CONF_AUTO" >"$QNET_CONFDIR/qnet.conf"

# --- ip6tables too (Docker runs it with --ipv6, and by default since 27) ---
ip6tables-restore <<'EOF'
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER-USER - [0:0]
-A FORWARD -j DOCKER-USER
-A DOCKER-USER -j RETURN
COMMIT
EOF
ip6t_save() { ip6tables-save | grep -v '^#' | sed 's/\[[0-9:]*\]//'; }
before6=$(ip6t_save)
t_check "qemu-ifup-nat vg1 beside ip6tables' DOCKER-USER" "$UP" vg1
t_eq "ip6 filter DOCKER-USER: our two rules at the top too" "$OURS_AT_TOP" "$(ip6tables -S DOCKER-USER)"
t_eq "ip filter DOCKER-USER: ours, once" "$OURS_AT_TOP" "$(docker_user)"
t_check "qemu-ifdown-nat vg1" "$DOWN" vg1
t_eq "ip6tables-save is byte-identical to before" "$before6" "$(ip6t_save)"
ip6tables -F; ip6tables -X; ip6tables -P FORWARD ACCEPT

# --- drops qnet has no hook in: it touches nothing, says what and how ---
# warned DESC REGEX-OF-FIX: qemu-ifup-nat vg1 warns in exactly one line
# that ends in a fix; the fix is left in $FIX.
warned() {
	local out
	out=$("$UP" vg1 2>&1)
	t_match "$1: qemu-ifup-nat warns in one line, naming the fix" "^qemu-ifup-nat: warning: network default: $2" "$out"
	t_eq "$1: ... exactly one line" 1 "$(printf '%s\n' "$out" | wc -l)"
	FIX=${out##*; fix: }
}
# fixed DESC: typing $FIX as given lets the guest out; then the network goes down.
fixed() {
	t_eq "$1: the guest is blocked before the fix" "" "$(guest_out)"
	t_check "$1: the fix runs as given: $FIX" eval "$FIX"
	t_eq "$1: after the fix the guest reaches outside" "$HOST" "$(guest_out)"
	t_eq "$1: and the port forward reaches the guest" "vm1 $OUT" "$(forward_in)"
	t_check "$1: qemu-ifdown-nat vg1" "$DOWN" vg1
}

iptables-restore <<'EOF'
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
COMMIT
EOF
iptables -X; iptables -t nat -X
before=$(ipt_save)
warned "FORWARD DROP, no DOCKER-USER" \
	"chain FORWARD of table ip filter drops forwarded packets by policy: .*; fix: iptables -I FORWARD -o qnetbr0 -m conntrack --ctstate RELATED,ESTABLISHED,DNAT -j ACCEPT && iptables -I FORWARD -i qnetbr0 -j ACCEPT\$"
t_eq "FORWARD DROP, no DOCKER-USER: iptables untouched" "$before" "$(ipt_save)"
dhcp >/dev/null
fixed "FORWARD DROP, no DOCKER-USER"
iptables -F FORWARD
iptables -P FORWARD ACCEPT

nft add table inet guard
nft add chain inet guard gfwd '{ type filter hook forward priority 10; policy drop; }'
before=$(nft list table inet guard)
warned "a drop in another nftables table" \
	"chain gfwd of table inet guard drops forwarded packets by policy: .*; fix: nft insert rule inet guard gfwd oifname qnetbr0 ct state established,related accept && nft insert rule inet guard gfwd oifname qnetbr0 ct status dnat accept && nft insert rule inet guard gfwd iifname qnetbr0 accept\$"
t_eq "a drop in another nftables table: that table untouched" "$before" "$(nft list table inet guard)"
t_match "qnet doctor fails it with the same fix" \
	"^fail +forward policy inet guard gfwd: chain gfwd of table inet guard drops forwarded packets by policy: .*; fix: $(printf '%s' "$FIX" | sed 's/[][\.*^$()+?{}|]/\\&/g')\$" \
	"$("$Q" doctor 2>&1)"
fixed "a drop in another nftables table"
nft delete table inet guard

if command -v iptables-legacy >/dev/null && iptables-legacy -P FORWARD DROP 2>/dev/null; then
	warned "legacy iptables FORWARD DROP" \
		"the FORWARD policy of legacy iptables \(iptables-legacy\) is DROP .*; fix: iptables-legacy -I FORWARD -o qnetbr0 -m conntrack --ctstate RELATED,ESTABLISHED,DNAT -j ACCEPT && iptables-legacy -I FORWARD -i qnetbr0 -j ACCEPT\$"
	t_eq "legacy iptables FORWARD DROP: nothing added to iptables-nft" "" "$(iptables -S FORWARD | grep qnetbr0)"
	fixed "legacy iptables FORWARD DROP"
	iptables-legacy -F; iptables-legacy -P FORWARD ACCEPT
else
	t_fail "iptables-legacy missing or unusable (Debian package iptables)"
fi
t_eq "nothing left in the run directory" "" "$(ls -A "$QNET_RUNDIR")"
t_done
