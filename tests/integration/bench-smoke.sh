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
t_eq "every section was measured" "crowd filter-ifup filter-nat forwards helper ifup nat-cold nat-warm nets overlay peer-1 peer-n routes scale-0 scale-100 throughput" \
	"$(jq -r '[.results[].section] | unique | join(" ")' "$J" 2>/dev/null)"
t_eq "every candidate ran" "floor ours qemu floor ours debian tutorial start cold cold-ipv4 ifup floor warm ifup floor filtered unfiltered floor filtered unfiltered filtered unfiltered one-host two-hosts floor-none ours-none floor-routes ours-routes floor-one warm-one floor-many warm-many one one-down many many-down concurrent sequential netavark netavark-down qnet qnet-down nodns nodns-down netavark netavark-down qnet qnet-down nodns nodns-down" \
	"$(jq -r '[.results[] | select(.section | startswith("scale") | not) | .name] | join(" ")' "$J" 2>/dev/null)"
t_eq "no call failed" "" "$(jq -r '.results[] | select(.failed > 0) | "\(.section)/\(.name)"' "$J" 2>/dev/null)"
# Numbers, not their size: every bench-spawn and bench-crowd row has a
# positive median wall and CPU time and a peak RSS.
t_eq "every row has numbers" "" \
	"$(jq -r '.results[] | select(.section != "throughput" and .section != "overlay") | select((.wall_median_us | type) != "number" or .wall_median_us <= 0
		or (.cpu_median_us | type) != "number" or (.maxrss_kb | type) != "number" or .maxrss_kb <= 0) | "\(.section)/\(.name)"' "$J" 2>/dev/null)"
t_eq "the quick sizes were measured" '{"routes":1000,"nets":4,"forwards":50,"crowd":10}' "$(jq -c .params "$J" 2>/dev/null)"
t_eq "19 targets, each met or not" 19 "$(jq '[.targets[] | select(.met | type == "boolean")] | length' "$J" 2>/dev/null)"
t_eq "every target has a value" "" "$(jq -r '.targets[] | select((.value | type) != "number") | .name' "$J" 2>/dev/null)"
t_eq "every target beyond the spawn floor has its numbers" "" \
	"$(jq -r '.targets[] | select(.beyond) | select((.beyond.floor_ms | type) != "number" or (.beyond.ms | type) != "number"
		or (.beyond.over_floor | type) != "number" or (.beyond.of_reference | type) != "number") | .name' "$J" 2>/dev/null)"
t_eq "10 targets are given beyond the spawn floor" 10 "$(jq '[.targets[] | select(.beyond)] | length' "$J" 2>/dev/null)"
for row in 'attach with 1000 : 0 routes in the main table \| [0-9.]+ \| <= 1.2' \
	'NAT warm attach with 4 : 1 networks up \| [0-9.]+ \| <= 1.2' \
	'NAT cold bring-up with 50 : 1 forwards \| [0-9.]+ \| <= 1.5' \
	'10 guests at once: attaches failed \| 0 \| <= 0' \
	'10 guests at once / one after another, wall \| [0-9.]+ \| <= 1' \
	'NAT bring-up, 50 forwards: qnet / netavark, wall \| [0-9.]+ \| <= 0.5'; do
	t_check "the table has the row ${row%% \\|*}" grep -Eq "^\| $row \| (met|NOT met) \|\$" "$T_TMP/table"
done
t_check "the table has netavark's and qnet's teardowns at 50 ports" grep -Eq '^\| 50 \| netavark-down \| [0-9.]+ \| [0-9.]+ \| [0-9]+ \|$' "$T_TMP/table"
t_check "the table has qnet without dnsmasq's start-up" grep -Eq '^\| 1 \| nodns \| [0-9.]+ \| [0-9.]+ \| [0-9]+ \|$' "$T_TMP/table"
t_check "each crowd row ran its guests" jq -e '[.results[] | select(.section == "crowd") | .guests == 10 and .rounds == 2] | length == 2 and all' "$J"
t_check "the table names every target" grep -q 'NAT warm attach / plain qemu-ifup' "$T_TMP/table"
t_check "the table has the dual-stack target row" grep -Eq '^\| NAT cold bring-up: dual-stack / IPv4-only \| [0-9.]+ \| <= 1.3 \| (met|NOT met) \|$' "$T_TMP/table"
t_check "each overlay round measured a goodput, on one host and across two" \
	jq -e '[.results[] | select(.section == "overlay") | (.rounds == (.bps | length)) and all(.bps[]; . > 0)] | length == 2 and all' "$J"
t_check "the overlay's ratio is reported" jq -e '.info.overlay_two_hosts_over_one > 0' "$J"
t_check "each throughput round measured a goodput" \
	jq -e '[.results[] | select(.section == "throughput") | (.rounds == (.bps | length)) and all(.bps[]; . > 0)] | length == 2 and all' "$J"
t_check "the table has the filter target rows" grep -Eq '^\| NAT throughput: filtered / unfiltered \| [0-9.]+ \| >= 0.9 \| (met|NOT met) \|$' "$T_TMP/table"
t_check "the machine is recorded" jq -e '.machine.cpu and .machine.kernel and .machine.date' "$J"
t_done
