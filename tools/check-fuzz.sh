#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build the libFuzzer harnesses with clang + ASan + UBSan and run each for a
# bounded time (QNET_FUZZ_SECONDS, default 60 under CI, 15 otherwise) on a
# copy of its corpus. A crash is kept as tests/fuzz/corpus/NAME/crash-* so
# it becomes a regression input, and fails the run.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=${QNET_FUZZ_SECONDS:-$([ "${CI:-}" = true ] && echo 60 || echo 15)}
dir=build-fuzz
if [ ! -d "$dir" ]; then
	CC=clang meson setup "$dir" -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false \
		-De2e=false -Dman=disabled -Dbuildtype=debugoptimized >/dev/null || exit 1
fi
ninja -C "$dir" >/dev/null || { echo "check-fuzz: build failed" >&2; exit 1; }

failed=0 n=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# harness name -> corpus directory, from tests/fuzz/meson.build
while read -r name corpus; do
	n=$((n + 1))
	exe=$dir/tests/fuzz/$name
	[ -x "$exe" ] || { echo "not ok $n - $name: not built"; failed=1; continue; }
	mkdir -p "$work/$name"
	cp -r "tests/fuzz/corpus/$corpus/." "$work/$name/" 2>/dev/null
	if (cd "$work" && timeout $((seconds + 60)) "$OLDPWD/$exe" -max_total_time="$seconds" -max_len=65536 \
		-timeout=10 -rss_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$work/$name-" "$work/$name" >"$work/$name.log" 2>&1); then
		echo "ok $n - $name: $(grep -o 'stat::number_of_executed_units: [0-9]*' "$work/$name.log" | grep -o '[0-9]*$' || echo '?') runs in ${seconds}s"
	else
		echo "not ok $n - $name"
		tail -30 "$work/$name.log" | sed 's/^/# /'
		for crash in "$work/$name-"*; do
			[ -f "$crash" ] && cp "$crash" "tests/fuzz/corpus/$corpus/" && echo "# kept $(basename "$crash") in tests/fuzz/corpus/$corpus/"
		done
		failed=1
	fi
done < <(grep -oE "\['fuzz-[a-z0-9-]+', '[a-z0-9-]+'\]" tests/fuzz/meson.build | tr -d "[]'," )
echo "1..$n"
exit $failed
