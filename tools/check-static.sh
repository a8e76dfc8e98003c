#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Static analysis with zero findings: clang's analyzer (scan-build) and
# cppcheck. A suppression must sit in the code, next to its reason
# (// cppcheck-suppress ID  -- why).
#
# unix.Malloc is off: clang's analyzer (checked with 14 and 16) does not
# run __attribute__((cleanup)) handlers, so every _cleanup_free_ variable
# would be reported as a leak. Leaks are caught instead by LeakSanitizer in
# the ASan suite and the fuzzers, which run the real cleanup code.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
failed=0

scan=$(command -v scan-build-14 || command -v scan-build)
out=$(mktemp -d)
trap 'rm -rf "$out" build-scan' EXIT
rm -rf build-scan
if "$scan" -o "$out" meson setup build-scan -De2e=false -Dman=disabled >/dev/null &&
   "$scan" --status-bugs -o "$out" --exclude /usr -disable-checker unix.Malloc \
	-enable-checker security.insecureAPI.strcpy \
	ninja -C build-scan > "$out/log" 2>&1; then
	echo "ok 1 - scan-build: no findings"
else
	echo "not ok 1 - scan-build"
	grep -E 'warning:|bugs found' "$out/log" | sed 's/^/# /' | head -40
	failed=1
fi

if cppcheck --quiet --error-exitcode=1 --inline-suppr --std=c11 \
	--enable=warning,performance,portability \
	--suppress=missingIncludeSystem -D__GNUC__ -D_GNU_SOURCE \
	-DQNET_VERSION='"0"' -DQNET_CONFDIR='"/etc/qemu"' -DQNET_RUNDIR='"/run/qnet"' \
	-DQNET_STATEDIR='"/var/lib/qnet"' -DQNET_DNSMASQ='"/usr/sbin/dnsmasq"' -DQNET_LIBEXECDIR='"/usr/libexec/qnet"' \
	-I lib lib helpers > "$out/cppcheck" 2>&1; then
	echo "ok 2 - cppcheck: no findings"
else
	echo "not ok 2 - cppcheck"
	sed 's/^/# /' "$out/cppcheck" | head -40
	failed=1
fi
echo "1..2"
exit $failed
