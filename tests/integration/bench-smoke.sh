#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/run.sh --quick still runs: every section measured, no candidate
# failed, every target reported. Times are never asserted (a test on a
# noisy machine cannot), so this only keeps the benchmark from rotting.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || t_skip_all "needs root (bench/run.sh makes namespaces and TAPs)"
T_TMP=$(mktemp -d /tmp/qnet-bench-smoke.XXXXXX)
trap 'rm -rf "$T_TMP"' EXIT

bash "$QNET_SRC/bench/run.sh" --quick --json "$T_TMP/bench.json" >"$T_TMP/table" 2>"$T_TMP/err"
rc=$?
t_eq "bench/run.sh --quick exits 0" 0 "$rc"
[ "$rc" = 0 ] || t_diag "$(tail -n 20 "$T_TMP/err")"
J=$T_TMP/bench.json
t_check "the JSON parses" jq -e . "$J"
t_eq "every section was measured" "filter-ifup filter-nat helper ifup nat-cold nat-warm scale-0 scale-100 throughput" \
	"$(jq -r '[.results[].section] | unique | join(" ")' "$J" 2>/dev/null)"
t_eq "every candidate ran" "floor ours qemu floor ours debian tutorial start cold cold-ipv4 ifup warm ifup filtered unfiltered filtered unfiltered filtered unfiltered" \
	"$(jq -r '[.results[] | select(.section | startswith("scale") | not) | .name] | join(" ")' "$J" 2>/dev/null)"
t_eq "no call failed" "" "$(jq -r '.results[] | select(.failed > 0) | "\(.section)/\(.name)"' "$J" 2>/dev/null)"
t_eq "13 targets, each met or not" 13 "$(jq '[.targets[] | select(.met | type == "boolean")] | length' "$J" 2>/dev/null)"
t_check "the table names every target" grep -q 'NAT warm attach / plain qemu-ifup' "$T_TMP/table"
t_check "the table has the dual-stack target row" grep -Eq '^\| NAT cold bring-up: dual-stack / IPv4-only \| [0-9.]+ \| <= 1.3 \| (met|NOT met) \|$' "$T_TMP/table"
t_check "each throughput round measured a goodput" \
	jq -e '[.results[] | select(.section == "throughput") | (.rounds == (.bps | length)) and all(.bps[]; . > 0)] | length == 2 and all' "$J"
t_check "the table has the filter target rows" grep -Eq '^\| NAT throughput: filtered / unfiltered \| [0-9.]+ \| >= 0.9 \| (met|NOT met) \|$' "$T_TMP/table"
t_check "the machine is recorded" jq -e '.machine.cpu and .machine.kernel and .machine.date' "$J"
t_done
