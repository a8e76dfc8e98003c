#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The README's test command: install what is missing, build with -Werror,
# run every suite, then again under ASan+UBSan, then the extra checks
# (tools/check-*.sh). Under CI=true a skipped test fails the run.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }
failures=()

step "dependencies"
bash tools/deps.sh test || { echo "test.sh: installing dependencies failed" >&2; exit 1; }

# Counts results of one meson test run from its JSON log; skips fail under CI.
check_log() {
	local log=$1/meson-logs/testlog.json name=$2
	[ -f "$log" ] || { failures+=("$name: no test log"); return; }
	local skipped
	skipped=$(jq -r 'select(.result == "SKIP") | .name' "$log" | sort -u | tr '\n' ' ')
	if [ -n "$skipped" ]; then
		echo "test.sh: $name: skipped: $skipped"
		[ "${CI:-}" = true ] && failures+=("$name: skipped tests under CI: $skipped")
	fi
	jq -r '.result' "$log" | sort | uniq -c | sed "s/^/    $name: /"
}

run_build() { # NAME BUILDDIR MESON-TEST-ARGS... -- SETUP-ARGS...
	local name=$1 dir=$2; shift 2
	local test_args=() setup_args=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do test_args+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	setup_args=("$@")
	step "$name: configure and build ($dir)"
	if [ -d "$dir" ]; then
		meson setup --reconfigure "$dir" "${setup_args[@]}" >/dev/null || { failures+=("$name: meson setup"); return; }
	else
		meson setup "$dir" "${setup_args[@]}" || { failures+=("$name: meson setup"); return; }
	fi
	ninja -C "$dir" || { failures+=("$name: build"); return; }
	step "$name: meson test ${test_args[*]}"
	meson test -C "$dir" --print-errorlogs "${test_args[@]}" || failures+=("$name: meson test")
	check_log "$dir" "$name"
}

run_build "gcc -Werror" build -- -Dwerror=true
# ASan and UBSan make our programs about six times slower (the bridge
# helper: 35 ms a run against 5.7 ms, measured on the CI machine kind), and
# the timeouts are the plain build's: scaled, not raised for everyone.
run_build "asan+ubsan" build-asan --suite unit --suite integration --suite fuzz --timeout-multiplier 3 -- \
	-Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false -De2e=false -Dman=disabled

for check in tools/check-*.sh; do
	[ -f "$check" ] || continue
	step "$check"
	bash "$check" || failures+=("$check")
done

step "summary"
if [ ${#failures[@]} -gt 0 ]; then
	printf 'FAILED: %s\n' "${failures[@]}"
	exit 1
fi
echo "all checks passed"
