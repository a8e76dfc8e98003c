#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The built programs must not import calls that have no place in code that
# runs privileged: shells, PATH lookups, the plain environment, unbounded
# string copies. The bridge helper, which any local user can start, must
# not start any program at all.
set -u
. "$(dirname "$0")/../lib.sh"

forbidden='system|popen|execvp|execlp|execvpe|getenv|strcpy|__strcpy_chk|strcat|__strcat_chk|sprintf|__sprintf_chk|vsprintf|__vsprintf_chk|gets|stpcpy|__stpcpy_chk|tmpnam|mktemp'
helper_forbidden='execv|execve|execl|execle|fexecve|fork|vfork|clone|posix_spawn|posix_spawnp|dlopen'

found_any=0
for exe in "$QNET_BUILD"/helpers/*; do
	[ -f "$exe" ] && [ -x "$exe" ] || continue
	found_any=1
	name=$(basename "$exe")
	imports=$(nm -D --undefined-only "$exe" | awk '{print $NF}' | sed 's/@.*//')
	bad=$(printf '%s\n' "$imports" | grep -Ex "$forbidden" | tr '\n' ' ')
	t_eq "$name imports none of system/popen/exec*p/getenv/strcpy/strcat/sprintf/gets" "" "$bad"
	if [ "$name" = qemu-bridge-helper ]; then
		bad=$(printf '%s\n' "$imports" | grep -Ex "$helper_forbidden" | tr '\n' ' ')
		t_eq "$name starts no program (no exec/fork/spawn/dlopen)" "" "$bad"
	fi
done
[ "$found_any" = 1 ] || t_fail "no programs found in $QNET_BUILD/helpers"
t_done
