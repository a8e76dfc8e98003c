#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Persistent and on-demand NAT networks. `qnet up NAME` makes NAME
# persistent: its bridge, table inet qnet-NAME and dnsmasq stay whatever
# guests come and go (qemu-ifup-nat/qemu-ifdown-nat, with the network
# chosen by qemu-ifup-nat@NAME or QNET_NETWORK) and whatever qnet gc does,
# until qnet down; a network only guests brought up goes with its last
# one, or with qnet gc once it has no port. qnet status (text, --json)
# says which kind each is; autostart = yes selects the networks of
# qnet up --autostart and qnet down --autostart; allow-users/allow-groups
# in [network NAME] grant its bridge in qnet's qemu-bridge-helper (run as
# nobody, file-capability and setuid copies, as bridge-helper-unpriv.sh
# does). Everything is read back from the kernel (ip -j, nft -j), /proc,
# the pid files and the helper's audit line.
. "$(dirname "$0")/../lib.sh"
t_netns "$@"
. "$(dirname "$0")/bridge-helper-lib.sh"

for tool in jq nft /usr/sbin/dnsmasq setcap; do
	command -v "$tool" >/dev/null || t_skip_all "$tool missing (tools/deps.sh test installs it)"
done
[ -x "$SETPRIV" ] || t_skip_all "setpriv missing"
# qnet.conf is /etc/qemu/qnet.conf of this namespace: the helper's
# privileged copies read only there, and qnet reads the same file.
bh_etc_qemu || t_skip_all "cannot make a private /etc/qemu"
bh_rundir || t_skip_all "cannot make a private /run/qnet"
bh_syslog || t_skip_all "cannot make a private /dev/log"
bh_copies || t_skip_all "cannot install setuid/setcap copies in $T_TMP"

Q=$QNET_BUILD/helpers/qnet
UP=$QNET_BUILD/helpers/qemu-ifup-nat
DOWN=$QNET_BUILD/helpers/qemu-ifdown-nat
E=$BH_ETC
O=$T_TMP/out
cd "$T_TMP" || exit 1
# qemu-ifup-nat@lab, as a distribution installs the instance links.
mkdir -p "$T_TMP/inst"
ln -s "$UP" "$T_TMP/inst/qemu-ifup-nat@lab"
ln -s "$DOWN" "$T_TMP/inst/qemu-ifdown-nat@lab"
UP_LAB=$T_TMP/inst/qemu-ifup-nat@lab
DOWN_LAB=$T_TMP/inst/qemu-ifdown-nat@lab
echo 0 >/proc/sys/net/ipv4/ip_forward

put() { printf '%b' "$2" >"$E/$1"; chown 0:0 "$E/$1"; chmod 644 "$E/$1"; }
# Line numbers below are this text's: [network lab] is line 1, its
# allow-users line 6; od's autostart line 12; [network auto2] line 14,
# its allow-groups line 19.
CONF='[network lab]
bridge = labbr
subnet = 10.0.81.0/24
subnet6 = none
autostart = yes
allow-users = nobody

[network od]
bridge = odbr
subnet = 10.0.82.0/24
subnet6 = none
autostart = no

[network auto2]
bridge = a2br
subnet = 10.0.83.0/24
subnet6 = none
autostart = yes
allow-groups = audio
'
put qnet.conf "$CONF"
put bridge.conf '# no bridge of its own: only qnet.conf grants\n'

table_exists() { nft -j list tables | jq -e --arg t "qnet-$1" '.nftables[] | select(.table.name == $t)' >/dev/null; }
pid_is_dnsmasq() { [ -n "$1" ] && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = dnsmasq ] &&
	[ "$(t_pid_state "$1")" != Z ]; }
dpid() { cat "$QNET_RUNDIR/$1.dnsmasq.pid" 2>/dev/null; }
# dnsmasq processes of this namespace serving bridge $1, whatever the pid
# file says.
dnsmasqs() { t_ns_daemons "dnsmasq .*--interface=$1( |\$)" | wc -l; }
# alive NAME BRIDGE: what of network NAME the kernel has, as words.
alive() {
	local s=
	[ "$(ip -j -d link show dev "$2" 2>/dev/null | jq -r '.[0].linkinfo.info_kind // empty')" = bridge ] &&
		s+="bridge "
	table_exists "$1" && s+="table "
	pid_is_dnsmasq "$(dpid "$1")" && [ "$(dnsmasqs "$2")" = 1 ] && s+="dnsmasq"
	echo "${s% }"
}
FULL="bridge table dnsmasq"
# gone NAME BRIDGE: nothing of it is left (kernel, processes, run state).
gone() {
	[ -z "$(alive "$1" "$2")" ] && [ "$(dnsmasqs "$2")" = 0 ] && [ ! -e "$QNET_RUNDIR/$1.state" ]
}
kind() { "$Q" status --json 2>/dev/null | jq -r --arg n "$1" '.networks[] | select(.name == $n) | .kind'; }
status_line() { "$Q" status 2>/dev/null | grep -E "^network $1: "; }
ifindex() { link_field "$1" ifindex; }
tap() { ip tuntap add "$1" mode tap; } # a TAP, as QEMU creates it before its script

# ---- usage: --autostart or one NETWORK ----
for args in "up --autostart lab" "down --autostart lab"; do
	"$Q" $args >"$O" 2>"$O.err"
	t_eq "qnet $args: exit 2, usage on stderr" "2 1" "$? $(grep -c 'usage: qnet' "$O.err")"
done
t_check "... and nothing came up" [ ! -e "$QNET_RUNDIR/lab.state" ]

# ---- down networks ----
t_match "status: a network that is down says so, with no kind" '^network lab: down, bridge labbr,' \
	"$(status_line lab)"
t_eq "status --json: kind is null while it is down" null "$(kind lab)"

# ---- qnet up: persistent ----
"$Q" up lab >"$O" 2>&1
t_eq "qnet up lab: exit 0" 0 $?
t_eq "lab is up: bridge (ip -j), table inet qnet-lab (nft -j), dnsmasq (pid file, /proc)" "$FULL" \
	"$(alive lab labbr)"
LAB_DNSMASQ=$(dpid lab) LAB_IDX=$(ifindex labbr)
t_eq "status --json: kind persistent" persistent "$(kind lab)"
t_match "status: 'up, persistent'" '^network lab: up, persistent, bridge labbr,' "$(status_line lab)"

tap t1
tap t2
t_check "qemu-ifup-nat@lab t1" "$UP_LAB" t1
t_check "QNET_NETWORK=lab qemu-ifup-nat t2" env QNET_NETWORK=lab "$UP" t2
t_eq "both are ports of labbr (ip -j)" "t1 t2" "$(bridge_ports labbr)"
t_check "qemu-ifdown-nat@lab t1" "$DOWN_LAB" t1
t_check "QNET_NETWORK=lab qemu-ifdown-nat t2 (the last guest)" env QNET_NETWORK=lab "$DOWN" t2
t_eq "after its last guest: no port, but the network is all there" "|$FULL" \
	"$(bridge_ports labbr)|$(alive lab labbr)"
t_eq "... the same bridge (ifindex) and the same dnsmasq (pid)" "$LAB_IDX $LAB_DNSMASQ" \
	"$(ifindex labbr) $(dpid lab)"
t_eq "... still persistent" persistent "$(kind lab)"
"$Q" gc >"$O" 2>&1
t_eq "qnet gc: exit 0" 0 $?
t_eq "qnet gc leaves the persistent network without ports: all there, same bridge and dnsmasq" \
	"$FULL $LAB_IDX $LAB_DNSMASQ" "$(alive lab labbr) $(ifindex labbr) $(dpid lab)"
t_check_fail "... and says nothing of removing it" grep -q 'lab: removed' "$O"
# A guest whose QEMU was killed: the TAP goes, no downscript runs.
tap t3
t_check "qemu-ifup-nat@lab t3" "$UP_LAB" t3
ip link del t3
"$Q" gc >/dev/null 2>&1
t_eq "a guest killed (its TAP gone) and qnet gc: the network stays" "$FULL $LAB_IDX $LAB_DNSMASQ" \
	"$(alive lab labbr) $(ifindex labbr) $(dpid lab)"
t_eq "... persistent" persistent "$(kind lab)"

# ---- on-demand: brought up by a guest ----
tap o1
tap o2
t_check "QNET_NETWORK=od qemu-ifup-nat o1 (brings od up)" env QNET_NETWORK=od "$UP" o1
t_eq "od is up" "$FULL" "$(alive od odbr)"
t_eq "status --json: kind on-demand" on-demand "$(kind od)"
t_match "status: 'up, on-demand'" '^network od: up, on-demand, bridge odbr,' "$(status_line od)"
"$Q" gc >/dev/null 2>&1
t_eq "qnet gc while o1 is attached: od stays, o1 on it" "$FULL odbr" "$(alive od odbr) $(link_master o1)"
ip link del o1
"$Q" gc >"$O" 2>&1
t_eq "o1 gone (QEMU killed), qnet gc: exit 0" 0 $?
t_check "... od is gone: no bridge, no table, no dnsmasq, no state" gone od odbr
t_match "... and gc said it removed it" 'od.*removed' "$(cat "$O")"
t_eq "status --json: kind null once it is down" null "$(kind od)"
t_match "status: 'down'" '^network od: down, bridge odbr,' "$(status_line od)"
t_eq "the persistent network is untouched by that gc" "$FULL $LAB_IDX $LAB_DNSMASQ" \
	"$(alive lab labbr) $(ifindex labbr) $(dpid lab)"

tap o1
t_check "QNET_NETWORK=od qemu-ifup-nat o1" env QNET_NETWORK=od "$UP" o1
t_check "QNET_NETWORK=od qemu-ifup-nat o2" env QNET_NETWORK=od "$UP" o2
t_check "QNET_NETWORK=od qemu-ifdown-nat o1" env QNET_NETWORK=od "$DOWN" o1
t_eq "one guest left: od stays" "$FULL o2" "$(alive od odbr) $(bridge_ports odbr)"
t_check "QNET_NETWORK=od qemu-ifdown-nat o2 (its last guest)" env QNET_NETWORK=od "$DOWN" o2
t_check "... od goes with it" gone od odbr

# ---- qnet up of an on-demand network that is up: it becomes persistent ----
t_check "QNET_NETWORK=od qemu-ifup-nat o1" env QNET_NETWORK=od "$UP" o1
OD_DNSMASQ=$(dpid od) OD_IDX=$(ifindex odbr)
t_eq "od is on-demand" on-demand "$(kind od)"
"$Q" up od >"$O" 2>&1
t_eq "qnet up od (already up, on-demand): exit 0" 0 $?
t_eq "... now persistent" persistent "$(kind od)"
t_eq "... the same bridge and dnsmasq, o1 still on it" "$OD_IDX $OD_DNSMASQ odbr" \
	"$(ifindex odbr) $(dpid od) $(link_master o1)"
t_check "QNET_NETWORK=od qemu-ifdown-nat o1 (its last guest)" env QNET_NETWORK=od "$DOWN" o1
t_eq "... od stays, the same" "$FULL $OD_IDX $OD_DNSMASQ" "$(alive od odbr) $(ifindex odbr) $(dpid od)"
"$Q" gc >/dev/null 2>&1
t_eq "... and after qnet gc too" "$FULL persistent" "$(alive od odbr) $(kind od)"
t_check "qnet down od" "$Q" down od
t_check "... takes it down" gone od odbr

# ---- autostart ----
t_check "QNET_NETWORK=od qemu-ifup-nat o1 (od on-demand, autostart = no)" env QNET_NETWORK=od "$UP" o1
OD_DNSMASQ=$(dpid od)
"$Q" up --autostart >"$O" 2>&1
t_eq "qnet up --autostart: exit 0" 0 $?
t_eq "auto2 (autostart = yes) is up, persistent" "$FULL persistent" "$(alive auto2 a2br) $(kind auto2)"
t_eq "lab (autostart = yes, already up) is untouched: same bridge and dnsmasq, persistent" \
	"$FULL $LAB_IDX $LAB_DNSMASQ persistent" "$(alive lab labbr) $(ifindex labbr) $(dpid lab) $(kind lab)"
t_eq "od (autostart = no) is left as it was: on-demand, same dnsmasq" "on-demand $OD_DNSMASQ" \
	"$(kind od) $(dpid od)"
tap a1
t_check "QNET_NETWORK=auto2 qemu-ifup-nat a1" env QNET_NETWORK=auto2 "$UP" a1
A2_DNSMASQ=$(dpid auto2)
"$Q" down --autostart >"$O" 2>&1
rc=$?
t_eq "qnet down --autostart: exit 0" 0 $rc
t_check "... lab (no guest) is down" gone lab labbr
t_eq "... auto2 (a guest attached) stays up, on-demand, a1 on it, same dnsmasq" \
	"$FULL on-demand a2br $A2_DNSMASQ" "$(alive auto2 a2br) $(kind auto2) $(link_master a1) $(dpid auto2)"
t_eq "... one line, saying auto2 is on-demand now" 1 "$(grep -c 'auto2.*on-demand' "$O")"
t_diag "qnet down --autostart said: $(cat "$O")"
t_eq "... od (autostart = no) untouched" "$FULL on-demand $OD_DNSMASQ" "$(alive od odbr) $(kind od) $(dpid od)"
t_check "QNET_NETWORK=auto2 qemu-ifdown-nat a1 (its last guest)" env QNET_NETWORK=auto2 "$DOWN" a1
t_check "... auto2 goes with it" gone auto2 a2br
t_check "QNET_NETWORK=od qemu-ifdown-nat o1" env QNET_NETWORK=od "$DOWN" o1
t_check "... od goes with it" gone od odbr
"$Q" down --autostart >"$O" 2>&1
t_eq "qnet down --autostart with nothing up: exit 0, quiet" "0 " "$? $(cat "$O")"
tap l1
t_check "qemu-ifup-nat@lab l1 (lab on-demand)" "$UP_LAB" l1
LAB_DNSMASQ=$(dpid lab) LAB_IDX=$(ifindex labbr)
t_eq "lab is on-demand" on-demand "$(kind lab)"
"$Q" up --autostart >/dev/null 2>&1
t_eq "qnet up --autostart again: lab and auto2 up, persistent; od not" \
	"$FULL persistent|$FULL persistent|null" "$(alive lab labbr) $(kind lab)|$(alive auto2 a2br) $(kind auto2)|$(kind od)"
t_eq "... lab, on-demand before, the same bridge and dnsmasq, l1 still on it" "$LAB_IDX $LAB_DNSMASQ labbr" \
	"$(ifindex labbr) $(dpid lab) $(link_master l1)"
t_check "qemu-ifdown-nat@lab l1 (its last guest)" "$DOWN_LAB" l1
t_eq "... lab stays (persistent by autostart)" "$FULL persistent" "$(alive lab labbr) $(kind lab)"
ip link del l1
"$Q" down --autostart >/dev/null 2>&1
t_check "qnet down --autostart without guests: lab down" gone lab labbr
t_check "... and auto2" gone auto2 a2br

# ---- qnet check: autostart must be a boolean ----
put qnet.conf "$(printf '%s' "$CONF" | sed 's/^autostart = no$/autostart = maybe/')\n"
"$Q" check >"$O" 2>&1
t_eq "qnet check, autostart = maybe: exit 1" 1 $?
t_match "... the error at its file:line" '^/etc/qemu/qnet.conf:12: error: .*autostart' "$(cat "$O")"
"$Q" up --autostart >"$O" 2>&1
t_eq "qnet up --autostart with that file: exit 1" 1 $?
t_match "... the error with its file:line" 'qnet.conf:12: .*autostart' "$(cat "$O")"
t_check "... and nothing comes up (lab)" gone lab labbr
t_check "... (auto2)" gone auto2 a2br
put qnet.conf "$CONF"

# ---- allow-users/allow-groups in [network NAME]: the bridge helper ----
as_nobody() { echo "$SETPRIV" --reuid=$NOBODY --regid=$NOBODY --clear-groups --; }
as_nobody_in_audio() { echo "$SETPRIV" --reuid=$NOBODY --regid=$NOBODY --groups=$AUDIO --; }
held_link() { jq -r '.[0] | "\(.master) \(.flags | index("UP") != null)"' "$T_TMP/link.json" 2>/dev/null; }
t_check "qnet up lab" "$Q" up lab
t_check "qnet up od" "$Q" up od
t_check "qnet up auto2" "$Q" up auto2
for mode in cap suid; do
	H=$BH_BIN/helper-$mode
	rm -f "$T_TMP/link.json"
	bh_run "$O" --hold --then /bin/sh -c 'ip -j -d link show dev "$TAP" >"$0"' "$T_TMP/link.json" -- \
		$(as_nobody) "$H" --use-vnet --br=labbr --fd=@FD@
	t_eq "$mode: nobody gets a TAP on labbr (allow-users = nobody in [network lab])" "0 1" \
		"$(bh_get "$O" status) $(bh_get "$O" is_tap)"
	t_eq "$mode: ... the TAP's master is labbr, up (ip -j, while QEMU holds it)" "labbr true" "$(held_link)"
	line=$(bh_audit_line "tap=$(bh_get "$O" tap) ")
	t_match "$mode: ... audited as allowed by [network lab]'s grant" \
		"^<86>.*uid=$NOBODY user=nobody bridge=labbr tap=tap[0-9]+ allowed by /etc/qemu/qnet.conf:(1|6) \(allow-users nobody\)\$" \
		"$line"

	bh_run "$O" $(as_nobody) "$H" --br=odbr --fd=@FD@
	t_eq "$mode: nobody is denied on odbr (od grants nothing)" "1 0" \
		"$(bh_get "$O" status) $(bh_get "$O" received)"
	t_match "$mode: ... audited" "^<84>.*uid=$NOBODY user=nobody bridge=odbr tap=- denied: no rule allows bridge odbr\$" \
		"$(bh_audit_line "uid=$NOBODY user=nobody bridge=odbr tap=-")"

	rm -f "$T_TMP/link.json"
	bh_run "$O" --hold --then /bin/sh -c 'ip -j -d link show dev "$TAP" >"$0"' "$T_TMP/link.json" -- \
		$(as_nobody_in_audio) "$H" --use-vnet --br=a2br --fd=@FD@
	t_eq "$mode: nobody in group audio gets a TAP on a2br (allow-groups = audio in [network auto2])" \
		"0 1 a2br true" "$(bh_get "$O" status) $(bh_get "$O" is_tap) $(held_link)"
	t_match "$mode: ... audited" \
		"^<86>.*uid=$NOBODY user=nobody bridge=a2br tap=tap[0-9]+ allowed by /etc/qemu/qnet.conf:(14|19) \(allow-groups audio\)\$" \
		"$(bh_audit_line "tap=$(bh_get "$O" tap) ")"
done
# The helper's TAPs are tapN; t1, o1, ... are this test's own.
no_tun() { [ -z "$(ip -j link show type tun | jq -r '.[].ifname | select(test("^tap[0-9]+$"))')" ]; }
t_check "no helper TAP is left once QEMU's side closed them" t_wait 10 no_tun
no_tun || t_diag "$(ip -d link show type tun)"
t_eq "lab stays up, persistent, after its helper guests went" "$FULL persistent" \
	"$(alive lab labbr) $(kind lab)"

# ---- the helper follows what lab runs with, not an edit waiting for reload ----
put qnet.conf "$(printf '%s' "$CONF" | sed 's/^allow-users = nobody$/allow-users = nobody\nfilter = no/')\n"
for mode in cap suid; do
	H=$BH_BIN/helper-$mode
	rm -f "$T_TMP/link.json" "$T_TMP/link.json.chains"
	bh_run "$O" --hold --then /bin/sh -c 'ip -j -d link show dev "$TAP" >"$0"; nft -j list chains bridge >"$0.chains"' \
		"$T_TMP/link.json" -- $(as_nobody) "$H" --use-vnet --br=labbr --fd=@FD@
	t_eq "$mode: filter = no waiting for a reload: nobody gets a TAP on labbr" "0 1" \
		"$(bh_get "$O" status) $(bh_get "$O" is_tap)"
	tapidx=$(jq -r '.[0].ifindex' "$T_TMP/link.json" 2>/dev/null)
	t_check "$mode: ... filtered all the same, as lab runs (nft chain port-$(ifindex labbr)-$tapidx)" \
		jq -e --arg c "port-$(ifindex labbr)-$tapidx" '.nftables[] | select(.chain.name == $c)' "$T_TMP/link.json.chains"
done
put qnet.conf "$CONF"

put qnet.conf "$(printf '%s' "$CONF" | grep -v '^allow-')\n"

for mode in cap suid; do
	H=$BH_BIN/helper-$mode
	bh_run "$O" $(as_nobody) "$H" --br=labbr --fd=@FD@
	t_eq "$mode: without allow-users, nobody is denied on labbr" "1 0" \
		"$(bh_get "$O" status) $(bh_get "$O" received)"
	t_match "$mode: ... saying so" 'denied: no rule allows bridge labbr' "$(cat "$O.err")"
	t_match "$mode: ... audited" "^<84>.*uid=$NOBODY user=nobody bridge=labbr tap=- denied: no rule allows bridge labbr\$" \
		"$(bh_audit_line "uid=$NOBODY user=nobody bridge=labbr tap=-")"
	bh_run "$O" $(as_nobody_in_audio) "$H" --br=a2br --fd=@FD@
	t_eq "$mode: without allow-groups, nobody in audio is denied on a2br" "1 0" \
		"$(bh_get "$O" status) $(bh_get "$O" received)"
done
t_eq "no port on labbr from the denials" "" "$(bridge_ports labbr)"

# ---- a persistent network's bridge deleted: built again ----
ip link del labbr
"$Q" gc >"$O" 2>&1
t_eq "bridge of persistent lab deleted, qnet gc: exit 0" 0 $?
t_match "... says it built it again" "network lab: bridge labbr was gone: the network is persistent, so it was built again" \
	"$(cat "$O")"
t_eq "... bridge, table and dnsmasq there again, persistent" "$FULL persistent" "$(alive lab labbr) $(kind lab)"
t_check "... a new bridge (another ifindex)" [ "$(ifindex labbr)" != "$LAB_IDX" ]

# ---- up, but taken out of qnet.conf: status shows it as it runs ----
put qnet.conf "$(printf '%s' "$CONF" | sed '/^\[network lab\]/,/^$/d')\n"
"$Q" status >"$O" 2>&1
t_match "status: lab, gone from qnet.conf, shown as it runs" \
	"network lab: up, persistent, bridge labbr, subnet 10.0.81.0/24" "$(cat "$O")"
t_match "... saying it is not in qnet.conf" "not in qnet.conf any more: it runs as it came up; qnet down lab takes it down" \
	"$(cat "$O")"
"$Q" status --json >"$O" 2>&1
t_eq "status --json: lab, configured false, kind persistent" "false persistent" \
	"$(jq -r '.networks[] | select(.name == "lab") | "\(.configured) \(.kind)"' "$O")"
put qnet.conf "$CONF"

# ---- everything down: nothing left ----
for n in lab od auto2; do "$Q" down "$n" >/dev/null 2>&1; done
t_check "all down: lab" gone lab labbr
t_check "all down: od" gone od odbr
t_check "all down: auto2" gone auto2 a2br
t_eq "ip_forward restored to 0" 0 "$(cat /proc/sys/net/ipv4/ip_forward)"
t_eq "nothing left in the run directory" "" "$(ls -A "$QNET_RUNDIR")"
t_done
