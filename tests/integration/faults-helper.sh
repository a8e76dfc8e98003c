#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Faults around qemu-bridge-helper, each checked from the kernel's side (no
# TAP may outlive a failed or killed helper): /dev/net/tun missing, a low
# RLIMIT_NOFILE, the bridge deleted and re-created while helpers run, QEMU's
# end of the socket closed early, SIGKILL at random moments, and 100 round
# trips in parallel.
. "$(dirname "$0")/../lib.sh"
t_netns "$@"
. "$(dirname "$0")/bridge-helper-lib.sh"

command -v prlimit >/dev/null || t_skip_all "prlimit missing (util-linux)"
bh_etc_qemu || t_skip_all "cannot make a private /etc/qemu"
bh_syslog || t_skip_all "cannot make a private /dev/log"
bh_bridge br0
printf 'allow br0\n' >"$BH_ETC/bridge.conf"
chmod 644 "$BH_ETC/bridge.conf"
O=$T_TMP/out
PRLIMIT=$(command -v prlimit)

taps() { ip -j link show type tun 2>/dev/null | jq -r '.[].ifname' | tr '\n' ' ' | sed 's/ $//'; }
lines() { grep -c '' "$1"; }
# failed_cleanly DESC: the last bh_run failed the way the helper must fail:
# exit 1, no fd sent, one line on stderr naming the program.
failed_cleanly() {
	local ok=1
	[ "$(bh_get "$O" status)" = 1 ] || ok=0
	[ "$(bh_get "$O" received)" = 0 ] || ok=0
	[ "$(lines "$O.err")" = 1 ] || ok=0
	grep -q '^qemu-bridge-helper: ' "$O.err" || ok=0
	if [ "$ok" = 1 ]; then t_ok "$1"; else t_fail "$1"; t_diag "$(cat "$O" "$O.err")"; fi
}

# --- /dev/net/tun missing (a private tmpfs over /dev/net) ---
mount -t tmpfs qnet-nonet /dev/net
bh_run "$O" "$BH" --br=br0 --fd=@FD@
failed_cleanly "no /dev/net/tun: exit 1, one line, no fd"
t_match "no /dev/net/tun: the error names it" '/dev/net/tun' "$(cat "$O.err")"
t_diag "no /dev/net/tun: $(cat "$O.err")"
t_eq "no /dev/net/tun: no TAP left" "" "$(taps)"
umount /dev/net

# --- RLIMIT_NOFILE from 4 to 8: fail closed or succeed, never half. QEMU's
# socket is moved to fd 3 first, as it would be below QEMU's own limit. ---
for n in 4 5 6 8; do
	bh_run "$O" --sh exec "3>&@FD@" "@FD@>&-;" "$PRLIMIT" --nofile="$n:$n" -- "$BH" --br=br0 --fd=3
	if [ "$(bh_get "$O" status)" = 0 ]; then
		t_eq "RLIMIT_NOFILE=$n: succeeded with a TAP" 1 "$(bh_get "$O" is_tap)"
		t_diag "RLIMIT_NOFILE=$n: succeeded"
	elif grep -q 'error while loading shared libraries' "$O.err"; then
		# No fd left for ld.so to open our libraries: nothing of ours ran.
		t_eq "RLIMIT_NOFILE=$n: ld.so refuses to start it: 127, one line, no fd" "127 1 0" \
			"$(bh_get "$O" status) $(lines "$O.err") $(bh_get "$O" received)"
		t_diag "RLIMIT_NOFILE=$n: $(cat "$O.err")"
	else
		failed_cleanly "RLIMIT_NOFILE=$n: exit 1, one line, no fd"
		t_diag "RLIMIT_NOFILE=$n: $(cat "$O.err")"
	fi
	t_eq "RLIMIT_NOFILE=$n: no TAP left" "" "$(taps)"
done

# --- QEMU's end closed before the helper sends ---
for i in 1 2 3; do
	bh_run "$O" --close-early "$BH" --br=br0 --fd=@FD@
	failed_cleanly "socket closed early ($i): exit 1, one line, not a signal"
done
t_diag "socket closed early: $(cat "$O.err")"
t_eq "socket closed early: no TAP left" "" "$(taps)"

# --- SIGKILL at random moments, 50 rounds ---
killed=0 sent=0
for i in $(seq 1 50); do
	bh_run "$O" --kill-after=$((RANDOM % 60000)) "$BH" --br=br0 --fd=@FD@
	[ -n "$(bh_get "$O" status_signal)" ] && killed=$((killed + 1))
	[ "$(bh_get "$O" received)" = 1 ] && sent=$((sent + 1))
done
t_diag "SIGKILL rounds: $killed of 50 killed mid-way, $sent had sent the TAP first"
t_eq "after 50 SIGKILL rounds: no TAP left" "" "$(taps)"
t_eq "after 50 SIGKILL rounds: br0 has no ports" "" "$(bridge_ports br0)"

# --- br0 deleted and re-created while 50 helpers run ---
(
	for i in $(seq 1 300); do
		ip link del br0 2>/dev/null
		ip link add br0 type bridge 2>/dev/null && ip link set br0 up 2>/dev/null
		[ -e "$T_TMP/stop" ] && break
	done
) &
churn=$!
good=0 clean=0 bad=0
for i in $(seq 1 50); do
	bh_run "$O" "$BH" --br=br0 --fd=@FD@
	if [ "$(bh_get "$O" status)" = 0 ] && [ "$(bh_get "$O" received)" = 1 ]; then
		good=$((good + 1))
	elif [ "$(bh_get "$O" status)" = 1 ] && [ "$(bh_get "$O" received)" = 0 ] && [ "$(lines "$O.err")" = 1 ]; then
		clean=$((clean + 1)); why=$(cat "$O.err")
	else
		bad=$((bad + 1)); t_diag "bridge churn round $i:" "$(cat "$O" "$O.err")"
	fi
done
touch "$T_TMP/stop"; wait "$churn"
t_diag "bridge churn: $good succeeded, $clean failed with one line, e.g.: ${why:-}"
t_eq "bridge churn: every round succeeded or failed cleanly" 0 "$bad"
t_eq "bridge churn: no TAP left" "" "$(taps)"
ip link show br0 >/dev/null 2>&1 || bh_bridge br0

# --- 100 round trips, 20 at a time ---
ok=0
for batch in 1 2 3 4 5; do
	pids=()
	for i in $(seq 1 20); do
		bh_run "$O.$batch.$i" --then /bin/sh -c \
			'ip -j link show dev "$TAP" | grep -q "\"master\":\"br0\""' -- \
			"$BH" --br=br0 --fd=@FD@ &
		pids+=($!)
	done
	wait "${pids[@]}" # (not a bare wait: syslog-sink runs in the background too)
	for i in $(seq 1 20); do
		[ "$(bh_get "$O.$batch.$i" status)" = 0 ] && [ "$(bh_get "$O.$batch.$i" then_status)" = 0 ] &&
			ok=$((ok + 1))
	done
done
t_eq "100 parallel round trips: each TAP arrived attached to br0" 100 "$ok"
t_eq "100 parallel round trips: no TAP left" "" "$(taps)"
t_eq "100 parallel round trips: br0 has no ports" "" "$(bridge_ports br0)"
t_eq "no helper process left" "" "$(t_ns_pids 'qemu-bridge-helper --br')"

t_done
