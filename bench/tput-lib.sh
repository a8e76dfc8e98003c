# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# iperf3 goodput between pairs of guest namespaces, for bench/run.sh's
# throughput section and bench/overlay.sh. Source it after tests/lib.sh;
# the caller has die().
#   tput_serve NAME PID ...   an iperf3 server in each guest PID (NAME for
#                             messages), listening before it returns
#   tput_reaches PID ADDR     guest PID reaches ADDR: a TCP connection to a
#                             closed port is refused (there and back; no
#                             ping needed), within 5 s
#   tput_rounds SECTION ROUNDS SECONDS OUT A-NAME A-PID A-ADDR B-NAME B-PID B-ADDR
#                             ROUNDS rounds of SECONDS each for A and B,
#                             ABBA so neither goes first every time; one
#                             row per candidate appended to OUT, as
#                             bench-spawn's: every round's goodput (the
#                             receiver's bits/s), sorted
#   tput_stop                 the servers killed, waited for
# Every wait is bounded.
TPUT_SERVERS=()

tput_serve() {
	local name pid i
	for ((i = 1; i < $#; i += 2)); do
		pid=${*:i+1:1}
		# nsenter execs iperf3: the pid is the server's own
		nsenter "--net=/proc/$pid/ns/net" -- iperf3 -s -p 5201 </dev/null >/dev/null 2>>"$T_TMP/iperf3.log" &
		TPUT_SERVERS+=("$!")
		t_on_exit "kill $!"
	done
	for ((i = 1; i < $#; i += 2)); do
		name=${*:i:1} pid=${*:i+1:1}
		t_wait 10 t_listens "$pid" 5201 ||
			die "iperf3 -s in guest $name does not listen: $(tail -n 3 "$T_TMP/iperf3.log")"
	done
}

tput_refused() { t_in_ns "$1" timeout 1 bash -c "exec 3<>/dev/tcp/$2/9" 2>&1 | grep -q 'Connection refused'; }
tput_reaches() { t_wait 5 tput_refused "$1" "$2"; }

# tput_round NAME CLIENT-PID SERVER-ADDR SECONDS FILE: one iperf3 run, its
# goodput (null if it failed) appended to FILE.
tput_round() {
	local out bps
	out=$(timeout $(($4 + 15)) nsenter "--net=/proc/$2/ns/net" -- iperf3 -c "$3" -p 5201 -t "$4" -J 2>&1)
	bps=$(printf '%s' "$out" | jq -e '.end.sum_received.bits_per_second // empty' 2>/dev/null) || {
		bps=null
		echo "bench/${0##*/}: warning: iperf3 to $3 ($1) failed: $(printf '%s' "$out" | jq -r '.error // empty' 2>/dev/null | head -c 200)" >&2
	}
	jq -nc --arg n "$1" --argjson bps "$bps" '{name: $n, bps: $bps}' >>"$5"
}

tput_rounds() {
	local section=$1 rounds=$2 secs=$3 out=$4 runs=$T_TMP/tput-$1.jsonl i
	shift 4
	: >"$runs"
	for ((i = 0; i < rounds; i++)); do
		if [ $((i % 2)) = 0 ]; then
			tput_round "$1" "$2" "$3" "$secs" "$runs"; tput_round "$4" "$5" "$6" "$secs" "$runs"
		else
			tput_round "$4" "$5" "$6" "$secs" "$runs"; tput_round "$1" "$2" "$3" "$secs" "$runs"
		fi
	done
	jq -sc --arg s "$section" --argjson t "$secs" 'group_by(.name)[] | (map(.bps | select(. != null)) | sort) as $v
		| {section: $s, name: .[0].name, rounds: length, seconds: $t, failed: (length - ($v | length)), bps: $v}' \
		"$runs" >>"$out"
}

tput_stop() {
	local p
	for p in "${TPUT_SERVERS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${TPUT_SERVERS[@]}"; do t_wait 5 t_pid_dead "$p"; done
	TPUT_SERVERS=()
}
