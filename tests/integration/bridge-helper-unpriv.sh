#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# qemu-bridge-helper as QEMU's users run it: a non-root uid (setpriv)
# against a copy with cap_net_admin+ep and against a setuid-root copy.
# Files come from /etc/qemu (a private bind mount): in these modes
# secure_getenv() hides QNET_CONFDIR, and a test proves it does.
. "$(dirname "$0")/../lib.sh"
t_netns "$@"
. "$(dirname "$0")/bridge-helper-lib.sh"

for tool in jq setcap; do
	command -v $tool >/dev/null || t_skip_all "$tool missing"
done
[ -x "$SETPRIV" ] || t_skip_all "setpriv missing"
bh_etc_qemu || t_skip_all "cannot make a private /etc/qemu"
bh_syslog || t_skip_all "cannot make a private /dev/log"
bh_copies || t_skip_all "cannot install setuid/setcap copies in $T_TMP"
bh_bridge br0 1400
bh_bridge br1 9000
bh_bridge br2
O=$T_TMP/out
cd "$T_TMP" || exit 1

as_nobody_in_audio() { echo "$SETPRIV" --reuid=$NOBODY --regid=$NOBODY --groups=$AUDIO --; }
as_nobody() { echo "$SETPRIV" --reuid=$NOBODY --regid=$NOBODY --clear-groups --; }
as_daemon() { echo "$SETPRIV" --reuid=1 --regid=1 --clear-groups --; }
put() { printf '%b' "$2" >"$BH_ETC/$1"; chown 0:0 "$BH_ETC/$1"; chmod 644 "$BH_ETC/$1"; }

put bridge.conf 'allow br0\n'
put qnet.conf '[bridge br1]\nallow-groups = audio\n\n[bridge br0]\ndeny-users = daemon\n'

# What a caller may try: point the helper at files of its choosing.
mkdir -p "$T_TMP/evil"
printf 'allow all\n' >"$T_TMP/evil/bridge.conf"
export QNET_CONFDIR=$T_TMP/evil

for mode in cap suid; do
	H=$BH_BIN/helper-$mode

	# allowed by group grant, held in sendmsg to read its state
	bh_run "$O" --hold --then /bin/sh -c 'ip -j -d link show dev "$TAP" >"$0"' "$T_TMP/link.json" -- \
		$(as_nobody_in_audio) "$H" --use-vnet --br=br1 --fd=@FD@
	t_eq "$mode: nobody in group audio is allowed on br1 by allow-groups" "0 1" \
		"$(bh_get "$O" status) $(bh_get "$O" is_tap)"
	t_eq "$mode: tap is on br1 with br1's MTU, up (ip -j)" "br1 9000 true" \
		"$(jq -r '.[0] | "\(.master) \(.mtu) \(.flags | index("UP") != null)"' "$T_TMP/link.json")"
	# Made persistent by its holder (TUNSETPERSIST needs no privilege), the
	# TAP must stay the caller's: an ownerless one anybody could open.
	t_eq "$mode: the TAP is owned by the caller" nobody \
		"$(jq -r '.[0].linkinfo.info_data.user // "none"' "$T_TMP/link.json")"
	t_eq "$mode: running helper has CAP_NET_ADMIN only (eff)" 0000000000001000 "$(bh_get "$O" proc.CapEff)"
	t_eq "$mode: running helper has CAP_NET_ADMIN only (prm)" 0000000000001000 "$(bh_get "$O" proc.CapPrm)"
	t_eq "$mode: running helper inh+amb empty" "0000000000000000 0000000000000000" \
		"$(bh_get "$O" proc.CapInh) $(bh_get "$O" proc.CapAmb)"
	t_eq "$mode: running helper runs as the caller (real, eff, saved, fs)" "$NOBODY $NOBODY $NOBODY $NOBODY" \
		"$(bh_get "$O" proc.Uid)"
	t_eq "$mode: running helper has no_new_privs" 1 "$(bh_get "$O" proc.NoNewPrivs)"
	if [ $mode = suid ]; then
		t_eq "suid: bounding set cleared" 0000000000000000 "$(bh_get "$O" proc.CapBnd)"
		t_eq "suid: supplementary groups dropped after the ACL was read" "" \
			"$(bh_get "$O" proc.Groups | tr -d ' ')"
	else
		# No CAP_SETPCAP/CAP_SETGID in this mode: no_new_privs stands in for
		# the bounding set, and the groups are the caller's own anyway.
		t_eq "cap: groups are the caller's own (cannot be dropped without CAP_SETGID)" "$AUDIO" \
			"$(bh_get "$O" proc.Groups | tr -d ' ')"
	fi
	line=$(bh_audit_line "tap=$(bh_get "$O" tap) ")
	t_match "$mode: allow is audited with uid, user, rule" \
		"^<86>.*uid=$NOBODY user=nobody bridge=br1 tap=tap[0-9]+ allowed by /etc/qemu/qnet.conf:1 \(allow-groups audio\)$" "$line"

	bh_run "$O" $(as_nobody) "$H" --br=br0 --fd=@FD@
	t_eq "$mode: nobody is allowed on br0 by bridge.conf" 0 "$(bh_get "$O" status)"

	bh_run "$O" $(as_nobody) "$H" --br=br1 --fd=@FD@
	t_eq "$mode: nobody outside group audio is denied on br1" "1 0" \
		"$(bh_get "$O" status) $(bh_get "$O" received)"
	t_match "$mode: ... and QNET_CONFDIR was ignored (evil 'allow all' not read)" \
		'denied: no rule allows bridge br1' "$(cat "$O.err")"
	t_match "$mode: denial is audited" \
		"^<84>.*uid=$NOBODY user=nobody bridge=br1 tap=- denied: no rule allows bridge br1$" \
		"$(bh_audit_line "uid=$NOBODY user=nobody bridge=br1 tap=-")"

	bh_run "$O" $(as_daemon) "$H" --br=br0 --fd=@FD@
	t_eq "$mode: deny-users daemon wins over bridge.conf's allow br0" "1 1" \
		"$(bh_get "$O" status) $(wc -l <"$O.err")"
	t_match "$mode: denied user's audit line names the rule" \
		'^<84>.*uid=1 user=daemon bridge=br0 tap=- denied by /etc/qemu/qnet.conf:4 \(deny-users daemon\)$' \
		"$(bh_audit_line 'uid=1 user=daemon bridge=br0')"

	# root:audio 0640, as distributions ship it (root:qemu/root:kvm)
	put bridge.conf 'allow br2\n'; chgrp $AUDIO "$BH_ETC/bridge.conf"; chmod 640 "$BH_ETC/bridge.conf"
	bh_run "$O" $(as_nobody_in_audio) "$H" --br=br2 --fd=@FD@
	t_eq "$mode: root:audio 0640 bridge.conf works for a member of audio" 0 "$(bh_get "$O" status)"
	bh_run "$O" $(as_nobody) "$H" --br=br2 --fd=@FD@
	t_eq "$mode: root:audio 0640 bridge.conf denies a non-member" 1 "$(bh_get "$O" status)"
	t_match "$mode: ... saying which file and why" 'denied: /etc/qemu/bridge.conf: Permission denied' \
		"$(cat "$O.err")"

	put bridge.conf 'allow br2\ninclude /etc/qemu/secret.conf\n'
	put secret.conf 'deny br2\n'; chmod 600 "$BH_ETC/secret.conf"
	bh_run "$O" $(as_nobody) "$H" --br=br2 --fd=@FD@
	t_eq "$mode: an unreadable include denies (QEMU would ignore it and allow)" 1 "$(bh_get "$O" status)"
	t_match "$mode: ... naming the include" \
		'bridge.conf:2: include /etc/qemu/secret.conf: Permission denied' "$(cat "$O.err")"
	rm -f "$BH_ETC/secret.conf"
	put bridge.conf 'allow br0\n'
done

bh_run "$O" $(as_nobody) "$BH_BIN/helper-plain" --br=br0 --fd=@FD@
t_eq "no privilege: exit 1, one line" "1 1" "$(bh_get "$O" status) $(wc -l <"$O.err")"
t_match "no privilege: says it needs CAP_NET_ADMIN and how to install it" \
	"needs CAP_NET_ADMIN: install with 'setcap cap_net_admin\+ep .*qemu-bridge-helper' \(or setuid root\)" \
	"$(cat "$O.err")"
t_eq "no TAP left behind by any failure" "" "$(ip -j link show type tun | jq -r '.[].ifname')"

t_done
