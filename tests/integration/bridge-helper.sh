#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# qemu-bridge-helper run by root, as QEMU runs it: the TAP it hands over,
# the kernel state behind it, its privileges while it runs, its audit line,
# and every hostile argument and ACL file of issue 4.
. "$(dirname "$0")/../lib.sh"
t_netns "$@"
. "$(dirname "$0")/bridge-helper-lib.sh"

for tool in jq setcap; do
	command -v $tool >/dev/null || t_skip_all "$tool missing"
done
bh_etc_qemu || t_skip_all "cannot make a private /etc/qemu"
bh_syslog || t_skip_all "cannot make a private /dev/log"
bh_bridge br0 1400
bh_bridge br1
O=$T_TMP/out

acl() { printf '%b' "$1" >"$BH_ETC/bridge.conf"; chmod 644 "$BH_ETC/bridge.conf"; }
taps() { ip -j link show type tun | jq -r '.[].ifname' | tr '\n' ' '; }

# --- the TAP handed over, and what the kernel says about it ---------------
acl 'allow br0\n'
bh_run "$O" --hold --leak-fd \
	--then /bin/sh -c 'ip -j link show dev "$TAP" >"$0"' "$T_TMP/link.json" -- \
	"$BH" --use-vnet --br=br0 --fd=@FD@
t_eq "helper_allows_and_sends_tap: helper exits 0" 0 "$(bh_get "$O" status)"
t_eq "helper_sends_exactly_one_fd_with_one_byte" "1 1" "$(bh_get "$O" received) $(bh_get "$O" payload)"
t_eq "helper_tap_is_iff_tap_no_pi (TUNGETIFF)" 1 "$(bh_get "$O" is_tap)"
t_eq "helper_tap_has_vnet_hdr_with_use_vnet" 1 "$(bh_get "$O" vnet_hdr)"
t_eq "helper_prints_nothing_on_success" "" "$(cat "$O.err")"
tap=$(bh_get "$O" tap)
t_eq "helper_tap_master_is_bridge (ip -j)" br0 "$(jq -r '.[0].master' "$T_TMP/link.json")"
t_eq "helper_tap_mtu_is_bridge_mtu" 1400 "$(jq -r '.[0].mtu' "$T_TMP/link.json")"
t_match "helper_tap_mac_starts_with_fe" '^fe:' "$(jq -r '.[0].address' "$T_TMP/link.json")"
t_check "helper_tap_is_up" jq -e '.[0].flags | index("UP") != null' "$T_TMP/link.json"
t_eq "helper_tap_is_gone_when_qemu_closes_it" "" "$(taps)"

# While it runs (blocked sending the fd): CAP_NET_ADMIN only, nothing else.
t_eq "helper_was_held_in_sendmsg" blocked "$(bh_get "$O" hold)"
t_eq "helper_running_capeff_is_net_admin_only" 0000000000001000 "$(bh_get "$O" proc.CapEff)"
t_eq "helper_running_capprm_is_net_admin_only" 0000000000001000 "$(bh_get "$O" proc.CapPrm)"
t_eq "helper_running_capinh_is_empty" 0000000000000000 "$(bh_get "$O" proc.CapInh)"
t_eq "helper_running_capamb_is_empty" 0000000000000000 "$(bh_get "$O" proc.CapAmb)"
t_eq "helper_running_bounding_set_is_empty" 0000000000000000 "$(bh_get "$O" proc.CapBnd)"
t_eq "helper_running_has_no_new_privs" 1 "$(bh_get "$O" proc.NoNewPrivs)"
t_eq "helper_running_has_no_supplementary_groups" "" "$(bh_get "$O" proc.Groups | tr -d ' ')"
fds=$(bh_get "$O" proc.fds | tr ',' '\n' | sed -n '/^[0-2]:/!p' | cut -d: -f2 | sort | tr '\n' ' ')
t_eq "helper_running_holds_only_stdio_socket_and_tun (leaked fd closed)" \
	"/dev/net/tun socket " "$fds"
line=$(bh_audit_line "tap=$tap")
t_match "helper_audits_allow_to_authpriv_info" \
	"^<86>.*qemu-bridge-helper\[[0-9]+\]: uid=0 user=root bridge=br0 tap=$tap allowed by /etc/qemu/bridge.conf:1 \(allow br0\)$" \
	"$line"

bh_run "$O" "$BH" --br=br0 --fd=@FD@
t_eq "helper_without_use_vnet_has_no_vnet_hdr" "0 0" "$(bh_get "$O" status) $(bh_get "$O" vnet_hdr)"

# QEMU runs a helper= string with a space through /bin/sh -c.
bh_run "$O" --sh "$BH" --use-vnet --br=br0 --fd=@FD@
t_eq "helper_works_through_sh_c" "0 1" "$(bh_get "$O" status) $(bh_get "$O" is_tap)"
# helper="qemu-bridge-helper --use-vnet": QEMU appends its own --use-vnet.
bh_run "$O" --sh "$BH" --use-vnet --use-vnet --fd=@FD@ --br=br0
t_eq "helper_accepts_use_vnet_twice_as_qemu_sends_it" "0 1 1" \
	"$(bh_get "$O" status) $(bh_get "$O" is_tap) $(bh_get "$O" vnet_hdr)"

# --- denied: exit 1, one line, an audit line, no TAP ------------------------
bh_run "$O" "$BH" --br=br1 --fd=@FD@
t_eq "helper_denies_bridge_not_in_acl: exit 1, no fd" "1 0" "$(bh_get "$O" status) $(bh_get "$O" received)"
t_eq "helper_denial_is_one_line" 1 "$(wc -l <"$O.err")"
t_match "helper_denial_says_why" 'denied: no rule allows bridge br1' "$(cat "$O.err")"
t_match "helper_audits_deny_to_authpriv_warning" \
	'^<84>.*qemu-bridge-helper\[[0-9]+\]: uid=0 user=root bridge=br1 tap=- denied: no rule allows bridge br1$' \
	"$(bh_audit_line 'bridge=br1 tap=-')"
t_eq "helper_denial_leaves_no_tap" "" "$(taps)"

# --- hostile arguments: usage or a clear error, exit 1, one line ------------
acl 'allow all\n'
ip link add veth0 type veth peer name veth1
ip tuntap add dev faketap mode tap
expect_fail() { # NAME REGEX HELPER-CLIENT-ARGS...
	local name=$1 re=$2; shift 2
	bh_run "$O" "$@"
	local st; st=$(bh_get "$O" status)
	if [ "$st" = 1 ] && [ "$(wc -l <"$O.err")" = 1 ] && grep -Eq -- "$re" "$O.err" &&
		[ "$(bh_get "$O" received)" = 0 ]; then
		t_ok "$name"
	else
		t_fail "$name"; t_diag "status=$st" "$(cat "$O.err")"
	fi
}
expect_fail "helper_refuses_fd_abc" 'fd=abc: not a file descriptor' "$BH" --br=br0 --fd=abc
expect_fail "helper_refuses_fd_0" 'fd=0: not a file descriptor' "$BH" --br=br0 --fd=0
expect_fail "helper_refuses_fd_2" 'fd=2: not a file descriptor' "$BH" --br=br0 --fd=2
expect_fail "helper_refuses_fd_negative" 'fd=-4:' "$BH" --br=br0 --fd=-4
expect_fail "helper_refuses_fd_trailing_junk" 'fd=@?[0-9]+x:' "$BH" --br=br0 --fd=@FD@x
expect_fail "helper_refuses_fd_empty" 'fd=:' "$BH" --br=br0 --fd=
expect_fail "helper_refuses_fd_overflow" 'fd=99999999999999999999:' "$BH" --br=br0 --fd=99999999999999999999
expect_fail "helper_refuses_fd_not_open" 'fd=77: not a Unix socket' "$BH" --br=br0 --fd=77
echo data >"$T_TMP/regular"
expect_fail "helper_refuses_fd_of_regular_file" 'fd=[0-9]+: not a Unix socket' \
	/bin/sh -c 'exec 7<"$0"; exec "$1" --br=br0 --fd=7' "$T_TMP/regular" "$BH"
# A UDP socket (bash's /dev/udp; lo of this namespace) is a socket, but no
# QEMU ever hands one over: nothing of ours may be sent on it.
expect_fail "helper_refuses_fd_of_inet_socket" 'fd=7: not a Unix socket' \
	/bin/bash -c 'exec 7<>/dev/udp/127.0.0.1/9; exec "$0" --br=br0 --fd=7' "$BH"
expect_fail "helper_refuses_missing_br" 'usage' "$BH" --fd=@FD@
expect_fail "helper_refuses_missing_fd" 'usage' "$BH" --br=br0
expect_fail "helper_refuses_repeated_br" 'usage' "$BH" --br=br0 --br=br1 --fd=@FD@
expect_fail "helper_refuses_repeated_fd" 'usage' "$BH" --br=br0 --fd=@FD@ --fd=@FD@
expect_fail "helper_refuses_unknown_argument" 'usage' "$BH" --br=br0 --fd=@FD@ --verbose
expect_fail "helper_refuses_positional_argument" 'usage' "$BH" br0 --br=br0 --fd=@FD@
expect_fail "helper_refuses_br_dotdot_slash" "br=\.\./x: .*'/'" "$BH" --br=../x --fd=@FD@
expect_fail "helper_refuses_br_trailing_space" 'br=br0 : .*whitespace' "$BH" "--br=br0 " --fd=@FD@
expect_fail "helper_refuses_br_16_bytes" 'br=brabcdefghijklmn: .*longer than 15' "$BH" --br=brabcdefghijklmn --fd=@FD@
expect_fail "helper_refuses_br_empty" 'br=: empty' "$BH" --br= --fd=@FD@
expect_fail "helper_refuses_missing_bridge" 'bridge nosuch0 does not exist' "$BH" --br=nosuch0 --fd=@FD@
expect_fail "helper_refuses_veth_as_bridge" 'veth0 is not a bridge \(it is a veth link\)' "$BH" --br=veth0 --fd=@FD@
expect_fail "helper_refuses_tap_as_bridge" 'faketap is not a bridge' "$BH" --br=faketap --fd=@FD@
t_eq "helper_failures_leave_no_tap" "faketap " "$(taps)"
ip link del veth0; ip link del faketap

# --- hostile ACL files: deny, naming the file and the reason ----------------
expect_deny() { # NAME REGEX
	bh_run "$O" "$BH" --br=br0 --fd=@FD@
	if [ "$(bh_get "$O" status)" = 1 ] && [ "$(wc -l <"$O.err")" = 1 ] && grep -Eq -- "$2" "$O.err"; then
		t_ok "$1"
	else
		t_fail "$1"; t_diag "status=$(bh_get "$O" status)" "$(cat "$O.err")"
	fi
}
printf 'allow br0\n' >"$T_TMP/real.conf"
rm -f "$BH_ETC/bridge.conf"; ln -s "$T_TMP/real.conf" "$BH_ETC/bridge.conf"
expect_deny "acl_symlinked_bridge_conf_denies" 'denied: /etc/qemu/bridge.conf: is a symbolic link'
rm -f "$BH_ETC/bridge.conf"
acl 'allow br0\n'; chmod 666 "$BH_ETC/bridge.conf"
expect_deny "acl_world_writable_denies" 'bridge.conf: is writable by group or others'
acl 'allow br0\n'; chown "$NOBODY" "$BH_ETC/bridge.conf"
expect_deny "acl_not_root_owned_denies" 'bridge.conf: is not owned by root'
chown 0 "$BH_ETC/bridge.conf"
acl 'allow br0\ninclude /etc/qemu/loop-a.conf\n'
printf 'include /etc/qemu/loop-b.conf\n' >"$BH_ETC/loop-a.conf"
printf 'include /etc/qemu/loop-a.conf\n' >"$BH_ETC/loop-b.conf"
expect_deny "acl_include_loop_denies" 'loop-b.conf:1: include /etc/qemu/loop-a.conf: include loop'
acl 'allow br0\ninclude /etc/qemu/ww.conf\n'
printf 'deny br1\n' >"$BH_ETC/ww.conf"; chmod 646 "$BH_ETC/ww.conf"
expect_deny "acl_world_writable_include_denies" 'bridge.conf:2: include /etc/qemu/ww.conf: is writable'
{ printf '# '; head -c $((1 << 20)) /dev/zero | tr '\0' x; printf '\nallow br0\n'; } >"$BH_ETC/bridge.conf"
expect_deny "acl_1mib_line_denies" 'bridge.conf:1: line longer than 4094 bytes'
printf 'allow br0\0\n' >"$BH_ETC/bridge.conf"
expect_deny "acl_nul_byte_denies" 'bridge.conf:1: NUL byte'
acl 'allow br0\nallow brabcdefghijklmn\n'
expect_deny "acl_16_byte_name_denies" 'bridge.conf:2: allow .brabcdefghijklmn.: interface name longer than 15'
acl 'allow ../x\nallow br0\n'
expect_deny "acl_dotdot_name_denies" "bridge.conf:1: allow '../x': interface name contains '/'"
acl 'allow br0 \n'
bh_run "$O" "$BH" --br=br0 --fd=@FD@
t_eq "acl_trailing_blank_after_name_is_trimmed_as_in_qemu" 0 "$(bh_get "$O" status)"
seq 1 99999 | sed 's/^/allow b/' >"$BH_ETC/bridge.conf"; echo 'allow br0' >>"$BH_ETC/bridge.conf"
bh_run "$O" "$BH" --br=br0 --fd=@FD@
t_eq "acl_100000_lines_are_read_to_the_end" 0 "$(bh_get "$O" status)"
echo 'deny br0' >>"$BH_ETC/bridge.conf"
expect_deny "acl_100001st_line_deny_wins" 'denied by /etc/qemu/bridge.conf:100001 \(deny br0\)'
printf 'allow br0\n' >"$BH_ETC/bridge.conf"
printf '[bridge br0]\ndeny-users = root\n' >"$BH_ETC/qnet.conf"
expect_deny "qnet_conf_deny_users_wins_over_bridge_conf_allow" 'denied by /etc/qemu/qnet.conf:1 \(deny-users root\)'
printf '[bridge br0]\nallow-users = root\nbogus = 1\n' >"$BH_ETC/qnet.conf"
expect_deny "qnet_conf_error_denies" '/etc/qemu/qnet.conf:3: '
rm -f "$BH_ETC/qnet.conf"

# A deny-groups entry the group database cannot answer for (here a group
# line over the 1 MiB lookup buffer, so getgrnam_r says ERANGE) denies: an
# allow must never win because a lookup failed. /etc/group is replaced in
# this test's private mount namespace only.
if bh_in_private_ns; then
	{ cat /etc/group; printf 'qnethuge:x:4999:'; seq 1 150000 | sed 's/^/member/' | paste -sd, -; } >"$T_TMP/group"
	mount --bind "$T_TMP/group" /etc/group
	: >"$BH_ETC/bridge.conf"
	printf '[bridge br0]\nallow-users = root\ndeny-groups = qnethuge\n' >"$BH_ETC/qnet.conf"
	expect_deny "qnet_conf_deny_groups_lookup_error_denies" \
		'qnet.conf:1: deny-groups qnethuge: cannot look it up: Numerical result out of range'
	printf '[bridge br0]\nallow-groups = qnethuge root\n' >"$BH_ETC/qnet.conf"
	bh_run "$O" "$BH" --br=br0 --fd=@FD@
	t_eq "qnet_conf_allow_groups_skips_a_lookup_error_and_matches_the_next" 0 "$(bh_get "$O" status)"
	umount /etc/group
	rm -f "$BH_ETC/qnet.conf"
fi


# --- a bridge's alternative name decides and logs as the bridge itself ------
# The kernel resolves altnames wherever a name becomes an ifindex, so
# --br=lan0 reaches br0: the rules about br0 must hold for it.
ip link property add dev br0 altname lan0
acl 'allow all\ndeny br0\n'
bh_run "$O" "$BH" --br=lan0 --fd=@FD@
t_eq "altname_cannot_step_around_deny_of_the_bridge: exit 1, no fd" "1 0" \
	"$(bh_get "$O" status) $(bh_get "$O" received)"
t_match "altname_denial_is_one_line_naming_both_names_and_the_rule" \
	'^qemu-bridge-helper: .*denied: lan0 is an alternative name of bridge br0, and the rules judge them differently: denied by /etc/qemu/bridge.conf:2 \(deny br0\)$' \
	"$(cat "$O.err")"
t_match "altname_deny_is_audited_with_the_real_name_and_the_requested_one" \
	'uid=0 user=root bridge=br0 tap=- requested=lan0 denied: ' "$(bh_audit_line 'requested=lan0')"
acl 'allow lan0\n'
bh_run "$O" "$BH" --br=lan0 --fd=@FD@
t_eq "altname_allowed_by_its_own_name_only_is_denied (stricter than QEMU)" "1 0" \
	"$(bh_get "$O" status) $(bh_get "$O" received)"
acl 'allow all\n'
printf '[bridge br0]\ndeny-users = root\n' >"$BH_ETC/qnet.conf"
bh_run "$O" "$BH" --br=lan0 --fd=@FD@
t_eq "altname_cannot_step_around_deny_users_of_the_bridge" "1 0" "$(bh_get "$O" status) $(bh_get "$O" received)"
t_match "altname_deny_users_names_the_rule" 'deny-users root' "$(cat "$O.err")"
printf '[bridge br0]\nisolated = yes\n' >"$BH_ETC/qnet.conf"
bh_run "$O" --then /bin/sh -c 'bridge -j -d link show dev "$TAP" >"$0"' "$T_TMP/port.json" -- \
	"$BH" --br=lan0 --fd=@FD@
t_eq "altname_allowed_when_both_names_are" 0 "$(bh_get "$O" status)"
t_eq "altname_gets_the_bridge_s_isolation" true "$(jq -r '.[0].isolated' "$T_TMP/port.json")"
t_eq "altname_port_is_on_the_bridge_itself" br0 "$(jq -r '.[0].master' "$T_TMP/port.json")"
t_match "altname_allow_is_audited_with_the_real_name" \
	"bridge=br0 tap=$(bh_get "$O" tap) requested=lan0 allowed by /etc/qemu/bridge.conf:1 \(allow all\)" \
	"$(bh_audit_line "tap=$(bh_get "$O" tap) ")"
rm -f "$BH_ETC/qnet.conf"
ip link property del dev br0 altname lan0

# --- nothing the caller's environment says changes what we print ----------
acl 'allow br0\n'
bh_run "$O" /usr/bin/env NLCB=debug NLDBG=4 "$BH" --br=br0 --fd=@FD@
t_eq "libnl_debug_environment_prints_nothing: success" 0 "$(bh_get "$O" status)"
t_eq "libnl_debug_environment_prints_nothing: stderr is empty" "" "$(cat "$O.err")"
# The audit record's time is the host's, whatever TZ the caller sets (14
# hours and a half away from any real zone of this machine's).
before=$(env -u TZ date '+%H:%M')
bh_run "$O" /usr/bin/env TZ=QNT-14:30 "$BH" --br=br0 --fd=@FD@
after=$(env -u TZ date '+%H:%M')
stamp=$(bh_audit_line "tap=$(bh_get "$O" tap) " | sed -E 's/^<[0-9]+>[A-Z][a-z]{2} [ 0-9]{2} ([0-9]{2}:[0-9]{2}):.*/\1/')
t_check "audit_time_ignores_the_caller_s_TZ ($stamp, host $before-$after)" \
	test "$stamp" = "$before" -o "$stamp" = "$after"
# Bytes the caller chose reach the record escaped: a bridge name may carry
# any byte >= 0x80 (here U+202E RIGHT-TO-LEFT OVERRIDE and a NEL).
bh_run "$O" "$BH" --br=$'br\xe2\x80\xae\xc2\x850' --fd=@FD@
t_eq "audit_of_hostile_name: denied" 1 "$(bh_get "$O" status)"
t_match "audit_escapes_non_ascii_bytes" 'bridge=br\\xe2\\x80\\xae\\xc2\\x850 tap=- denied' \
	"$(bh_audit_line 'bridge=br\\xe2')"
t_check_fail "audit_record_holds_no_byte_outside_printable_ascii" \
	env LC_ALL=C grep -q $'[\x80-\xff]' "$BH_SYSLOG"
t_check_fail "helper_stderr_holds_no_byte_outside_printable_ascii" \
	env LC_ALL=C grep -q $'[\x80-\xff]' "$O.err"

t_done
