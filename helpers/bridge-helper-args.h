/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qemu-bridge-helper's command line: [--use-vnet] --br=BRIDGE --fd=N, as
 * QEMU passes it. Apart from the program so that tests/fuzz/fuzz-helper-args
 * runs the very same parser. Nothing here prints or allocates: a refusal
 * comes back as the one line the helper prints, so a fuzzer's millions of
 * refusals are silent.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define BRIDGE_HELPER_PROGRAM "qemu-bridge-helper"

/* The parsed command line. BRIDGE points into argv and is not yet
 * validated as an interface name; FD is not yet checked to be open. */
struct args {
	bool use_vnet;
	const char *bridge;
	int fd;
};

/* S, the whole of it, as a decimal fd >= 3: no sign, no blanks, no "3abc".
 * Returns the fd, -EINVAL (not a number), -ERANGE (above INT_MAX) or
 * -EBADF (0, 1 or 2). */
int bridge_helper_parse_fd(const char *s);
/* Parse argv[1..ARGC-1] into A. On refusal returns -EINVAL with the line
 * to print in WHY (the usage, or why --fd= is no fd number), which always
 * fits QNET_REASON_MAX bytes (lib/log.h). */
int bridge_helper_parse_args(int argc, char **argv, struct args *a, char *why, size_t why_size);
