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

cases=0 more_permissive=0 stricter=0
while read -r name qemu_want ours_want why; do
	case "$name" in ''|'#'*|bridges) continue ;; esac
	sed "s|@DIR@|/etc/qemu|g" "$CORPUS/$name.conf" >"$BH_ETC/bridge.conf"
	qemu_got= ours_got=
	# Every bridge exists: a helper that fails after its ACL allowed is E.
	for b in "${bridges[@]}"; do
		bh_decide "$O" "$QEMU_BH" "$b" 2>>"$T_TMP/errors"
		qemu_got+=$BH_DECISION
		bh_decide "$O" "$BH" "$b" 2>>"$T_TMP/errors"
		ours_got+=$BH_DECISION
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
