#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Exhaustive differential: every byte 0x00-0xff in every position of a
# bridge.conf line, through QEMU's own helper (Debian's qemu-system-common)
# and ours, both as root reading /etc/qemu/bridge.conf (a private bind
# mount, as in bridge-helper-differential.sh). Ours must never allow where
# QEMU's denies. The corpus says why each difference is there; this finds
# the bytes nobody thought of (a '\v' that C's isspace() trims and GLib's
# g_ascii_isspace(), QEMU's, does not).
#
# Two templates, so that both directions are probed: "allow br0" (a byte
# that makes ours read an allow QEMU does not see shows), and "deny br0"
# followed by "allow all" (one that makes ours miss a deny QEMU sees
# shows). The byte goes at the start of the line, inside the keyword, in
# place of, before and after the separator, inside the name, at its end,
# after a '#' (a comment line, and a '#' after the rule), in an include
# path and before it. Each file is asked about br0, and about the name
# with the byte in it where QEMU's rule may have that name and the byte
# can be in an argv string (not NUL).
#
# Speed: no bridge exists and /dev/net/tun is hidden (an empty tmpfs over
# /dev/net in this test's mount namespace), so no decision makes a TAP;
# "allowed, then failed at the next step" is told apart from an ACL denial
# by the helpers' messages (bridge-helper-lib.sh bh_decide "unattached").
# The files are split between workers, one a core, each in a mount
# namespace of its own (nested in this test's) with its own /etc/qemu.
. "$(dirname "$0")/../lib.sh"

# --worker K N OUT: cases K, K+N, K+2N, ... into OUT (see worker below).
if [ "${1:-}" = --worker ]; then
	WORKER=1
else
	WORKER=
	t_netns "$@"
fi
. "$(dirname "$0")/bridge-helper-lib.sh"
# Bytes, not characters: patterns and messages must not depend on a locale.
export LC_ALL=C

QEMU_BH=${QEMU_BRIDGE_HELPER:-/usr/lib/qemu/qemu-bridge-helper}
TEMPLATES=(allow deny)
# Positions: name, then the line as printf format fragments before and
# after the byte, then the bridge name with the byte in it as the text
# before and after it ("-" when there is no such name: the byte is not
# in the name QEMU would read).
POSITIONS=(
	'start||VERB br0|-|-'
	'keyword|V1|V2 br0|-|-'
	'as-separator|VERB|br0|-|-'
	'before-separator|VERB| br0|-|-'
	'after-space|VERB |br0||br0'
	'after-tab|VERB\t|br0||br0'
	'in-name|VERB b|r0|b|r0'
	'end|VERB br0||br0|'
	'comment|#|VERB br0|-|-'
	'after-rule-comment|VERB br0 #||br0 #|'
	'include-path|include /etc/qemu/iVERB|.conf|-|-'
	'include-before-path|include |/etc/qemu/iVERB.conf|-|-'
)
N_CASES=$((${#TEMPLATES[@]} * ${#POSITIONS[@]} * 256))

# The table checks itself: where a position has a bridge name, it is the
# name QEMU reads from the line when the byte is a plain letter.
positions_consistent() {
	local spec name lpre lsuf cpre csuf line
	for spec in "${POSITIONS[@]}"; do
		IFS='|' read -r name lpre lsuf cpre csuf <<<"$spec"
		[ "$cpre" = - ] && continue
		printf -v line "${lpre//VERB/allow}x$lsuf"
		[ "${line/$'\t'/ }" = "allow ${cpre}x$csuf" ] || { echo "position $name: $line"; return 1; }
	done
}

# The include files in ETC (a future /etc/qemu): iVERB.conf, and
# iVERB<byte>.conf for every byte a file name can hold (not NUL; '/' makes
# iVERB a directory holding .conf), each holding "VERB br0", root-owned
# and 0644 as ours requires. A relative include (the byte before the path,
# not trimmed) names nothing: cwd is an empty directory.
make_includes() {
	local etc=$1 v i hex x
	for v in "${TEMPLATES[@]}"; do
		mkdir -p "$etc/i$v" && chmod 755 "$etc/i$v" || return 1
		printf '%s br0\n' "$v" >"$etc/i$v.conf" || return 1
		for ((i = 1; i < 256; i++)); do
			printf -v hex %02x "$i"
			printf -v x "\\x$hex"
			printf '%s br0\n' "$v" >"$etc/i$v$x.conf" || return 1
		done
	done
	chmod -R go-w "$etc" && chown -R 0:0 "$etc"
}

# One case: template T, position P, byte B (0..255); one line per decision
# into the worker's output: "QEMU OURS template position byte bridge".
run_case() {
	local t=$1 p=$2 b=$3 name lpre lsuf cpre csuf hex x fmt cand q
	local v=${TEMPLATES[$t]} spec=${POSITIONS[$p]} bridges=(br0) d_qemu d_ours
	IFS='|' read -r name lpre lsuf cpre csuf <<<"$spec"
	lpre=${lpre//VERB/$v} lsuf=${lsuf//VERB/$v}
	lpre=${lpre/V1/${v:0:2}} lsuf=${lsuf/V2/${v:2}}
	printf -v hex %02x "$b"
	fmt="$lpre\\x$hex$lsuf\\n"
	[ "$v" = deny ] && fmt+='allow all\n'
	# shellcheck disable=SC2059 # the format is the file: \xHH, \t, \n
	printf "$fmt" >/etc/qemu/bridge.conf
	if [ "$cpre" != - ] && [ "$b" != 0 ]; then
		printf -v x "\\x$hex"
		bridges+=("$cpre$x$csuf")
	fi
	for cand in "${bridges[@]}"; do
		bh_decide "$W_OUT.o" "$QEMU_BH" "$cand" unattached 2>>"$W_OUT.errors"
		d_qemu=$BH_DECISION
		bh_decide "$W_OUT.o" "$BH" "$cand" unattached 2>>"$W_OUT.errors"
		d_ours=$BH_DECISION
		printf -v q %q "$cand"
		echo "$d_qemu $d_ours $v $name 0x$hex $q"
	done
}

# Worker K of N: its own mount namespace (we were started by unshare), so
# its /etc/qemu is its own directory; cases K, K+N, ... to W_OUT. The
# bind mount over /etc/qemu goes with that namespace: stacked in the
# test's, it would keep $BH_ETC from being removed.
worker() {
	local k=$1 n=$2 c t p b
	W_OUT=$3
	mount --bind "$W_OUT.etc" /etc/qemu || return 1
	cd "$W_OUT.cwd" || return 1 # QEMU opens relative includes from here
	for ((c = k; c < N_CASES; c += n)); do
		t=$((c / (${#POSITIONS[@]} * 256)))
		p=$((c / 256 % ${#POSITIONS[@]}))
		b=$((c % 256))
		run_case "$t" "$p" "$b"
	done >"$W_OUT"
}

if [ -n "$WORKER" ]; then
	worker "$2" "$3" "$4"
	exit
fi

[ -x "$QEMU_BH" ] || t_skip_all "$QEMU_BH missing (Debian package qemu-system-common)"
bh_etc_qemu || t_skip_all "cannot make a private /etc/qemu"
# Our helper's audit lines (thousands) go to a sink, not the host's syslog.
bh_syslog || t_skip_all "cannot make a private /dev/log"
if [ -d /dev/net ]; then
	mount -t tmpfs -o mode=755 qnet-no-tun /dev/net || t_skip_all "cannot hide /dev/net/tun"
fi
# One worker a core, at most 4: each decision is two short processes.
NPROC=$(nproc 2>/dev/null || echo 2)
[ "$NPROC" -ge 1 ] 2>/dev/null || NPROC=2
[ "$NPROC" -le 4 ] || NPROC=4
make_includes "$BH_ETC" || t_skip_all "cannot make the include files"
for ((k = 0; k < NPROC; k++)); do
	out=$T_TMP/worker$k
	mkdir -p "$out.etc" "$out.cwd" && chmod 755 "$out.etc" && make_includes "$out.etc" ||
		t_skip_all "cannot make $out.etc"
done
mkdir -p "$T_TMP/control.cwd" || t_skip_all "cannot make $T_TMP/control.cwd"

t_check "each position's bridge name is the name QEMU reads" positions_consistent
t_check "no /dev/net/tun in this namespace: no decision makes a TAP" test ! -e /dev/net/tun

# Controls: the templates themselves, so the harness is seen to tell A
# from D in both helpers before thousands of decisions are counted.
W_OUT=$T_TMP/control
cd "$W_OUT.cwd" || exit 1
control() {
	# shellcheck disable=SC2059 # the format is the file
	printf "$1" >/etc/qemu/bridge.conf
	bh_decide "$W_OUT.o" "$QEMU_BH" "$2" unattached 2>>"$W_OUT.errors"
	t_eq "control: QEMU's helper on '$1' --br=$2" "$3" "$BH_DECISION"
	bh_decide "$W_OUT.o" "$BH" "$2" unattached 2>>"$W_OUT.errors"
	t_eq "control: ours on '$1' --br=$2" "$3" "$BH_DECISION"
}
control 'allow br0\n' br0 A
control 'allow br0\n' br1 D
control 'deny br0\nallow all\n' br0 D
control 'deny br0\nallow all\n' br1 A
control 'include /etc/qemu/iallow.conf\n' br0 A
control 'include /etc/qemu/ideny.conf\nallow all\n' br0 D

start=$SECONDS
pids=()
for ((k = 0; k < NPROC; k++)); do
	unshare --mount --propagation private -- bash "$0" --worker "$k" "$NPROC" "$T_TMP/worker$k" &
	pids+=($!)
done
failed_workers=0
for pid in "${pids[@]}"; do wait "$pid" || failed_workers=$((failed_workers + 1)); done
elapsed=$((SECONDS - start))
t_eq "every worker ran to its end ($NPROC workers)" 0 "$failed_workers"

decisions=0 more_permissive=0 stricter=0 errors=0 qemu_allowed=0 qemu_denied=0 shown=0
for ((k = 0; k < NPROC; k++)); do
	while read -r qemu ours v name byte bridge; do
		decisions=$((decisions + 1))
		case $qemu in A) qemu_allowed=$((qemu_allowed + 1)) ;; D) qemu_denied=$((qemu_denied + 1)) ;; esac
		if [ "$qemu" = E ] || [ "$ours" = E ]; then
			errors=$((errors + 1))
			[ $((shown++)) -lt 20 ] && t_diag "ERROR: '$v br0', $byte at $name, --br=$bridge: QEMU $qemu, ours $ours"
		elif [ "$ours" = A ] && [ "$qemu" = D ]; then
			more_permissive=$((more_permissive + 1))
			[ $((shown++)) -lt 20 ] && t_diag "MORE PERMISSIVE: '$v br0', $byte at $name, --br=$bridge"
		elif [ "$ours" = D ] && [ "$qemu" = A ]; then
			stricter=$((stricter + 1))
		fi
	done <"$T_TMP/worker$k"
done

# Every case asks about br0, the ones with the byte in the name (not NUL) one more.
want=$((N_CASES + ${#TEMPLATES[@]} * 255 * $(printf '%s\n' "${POSITIONS[@]}" | grep -vc -- '|-|-$')))
t_eq "every case was decided ($want decisions)" "$want" "$decisions"
t_eq "no helper failed other than by its ACL" 0 "$errors"
t_check "QEMU's helper both allowed ($qemu_allowed) and denied ($qemu_denied)" \
	test "$qemu_allowed" -gt 0 -a "$qemu_denied" -gt 0
t_eq "qnet never allows where QEMU's helper denies" 0 "$more_permissive"
t_diag "$decisions decisions ($N_CASES files) checked in ${elapsed}s by $NPROC workers;" \
	"qnet stricter than QEMU in $stricter of them"
retried=$(cat "$T_TMP"/*.errors 2>/dev/null)
[ -n "$retried" ] && t_diag "retried:" "$(head -n 20 <<<"$retried")"
t_done
