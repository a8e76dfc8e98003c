#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Differential: every bridge.conf of tests/acl-corpus/, for every bridge of
# its table, through QEMU's own helper (Debian's qemu-system-common) and
# ours, both as root reading /etc/qemu/bridge.conf (a private bind mount).
# The decisions must be the ones the table says, QEMU's column included, so
# a changed QEMU is noticed too; and ours must never allow where QEMU denies.
. "$(dirname "$0")/../lib.sh"
t_netns "$@"
. "$(dirname "$0")/bridge-helper-lib.sh"

QEMU_BH=${QEMU_BRIDGE_HELPER:-/usr/lib/qemu/qemu-bridge-helper}
CORPUS=$QNET_SRC/tests/acl-corpus
[ -x "$QEMU_BH" ] || t_skip_all "$QEMU_BH missing (Debian package qemu-system-common)"
bh_etc_qemu || t_skip_all "cannot make a private /etc/qemu"
# QEMU follows an include loop until it runs out of fds: make that depth
# the same on every machine.
ulimit -n 1024
O=$T_TMP/out
cd "$T_TMP" || exit 1 # QEMU opens relative includes from here: none exist

read -r -a bridges < <(sed -n 's/^bridges //p' "$CORPUS/expected")
for b in "${bridges[@]}"; do bh_bridge "$b"; done
for f in "$CORPUS"/inc-*.conf; do
	sed "s|@DIR@|/etc/qemu|g" "$f" >"$BH_ETC/$(basename "$f")"
done

# decision HELPER BRIDGE -> A or D; anything but an ACL verdict is a test
# error (E), so a helper failing for another reason is never read as deny.
# Such a failure is retried once (a loaded CI machine made QEMU's helper
# fail that way once in hundreds of runs); its message goes to the log.
decision() {
	local d
	d=$(decision_once "$@")
	if [ "$d" = E ]; then
		echo "$(basename "$1") --br=$2 failed other than by its ACL: $(cat "$O.err" "$O" | tr '\n' ' ')" >&2
		d=$(decision_once "$@")
	fi
	echo "$d"
}
decision_once() {
	bh_run "$O" "$1" --br="$2" --fd=@FD@
	case "$(bh_get "$O" status)/$(bh_get "$O" received)" in
	0/1) echo A ;;
	1/0)
		if grep -Eq 'access denied by acl file|failed to parse default acl file|too long|^qemu-bridge-helper: .*denied' "$O.err"; then
			echo D
		else
			echo E
		fi ;;
	*) echo E ;;
	esac
}

cases=0 more_permissive=0 stricter=0
while read -r name qemu_want ours_want why; do
	case "$name" in ''|'#'*|bridges) continue ;; esac
	sed "s|@DIR@|/etc/qemu|g" "$CORPUS/$name.conf" >"$BH_ETC/bridge.conf"
	qemu_got= ours_got=
	for b in "${bridges[@]}"; do
		qemu_got+=$(decision "$QEMU_BH" "$b" 2>>"$T_TMP/errors")
		ours_got+=$(decision "$BH" "$b" 2>>"$T_TMP/errors")
	done
	cases=$((cases + 1))
	t_eq "qemu decides $name as the table says" "$qemu_want" "$qemu_got"
	t_eq "qnet decides $name as the table says${why:+ (stricter: $why)}" "$ours_want" "$ours_got"
	for ((i = 0; i < ${#bridges[@]}; i++)); do
		if [ "${ours_got:$i:1}" = A ] && [ "${qemu_got:$i:1}" != A ]; then
			more_permissive=$((more_permissive + 1))
			t_diag "MORE PERMISSIVE: $name ${bridges[$i]}"
		fi
	done
	[ "$qemu_got" != "$ours_got" ] && stricter=$((stricter + 1))
done <"$CORPUS/expected"

t_check "the corpus has at least 40 bridge.conf files ($cases)" [ "$cases" -ge 40 ]
t_eq "qnet never allows where QEMU's helper denies" 0 "$more_permissive"
t_diag "$cases cases x ${#bridges[@]} bridges; qnet stricter than QEMU in $stricter cases"
[ -s "$T_TMP/errors" ] && t_diag "retried:" "$(cat "$T_TMP/errors")"
t_done
