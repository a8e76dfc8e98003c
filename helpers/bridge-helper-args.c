// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "bridge-helper-args.h"
#include "ifname.h"
#include "log.h"
#include "macro.h"

#define USAGE "usage: " BRIDGE_HELPER_PROGRAM " [--use-vnet] --br=BRIDGE --fd=N"

int bridge_helper_parse_fd(const char *s)
{
	long v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (*s - '0');
		if (v > INT_MAX)
			return -ERANGE;
	}
	return v >= 3 ? (int)v : -EBADF;
}

/* QEMU passes --br= and --fd= once; a repeat is a caller playing games.
 * --use-vnet may repeat: QEMU appends it to a helper= string with a space
 * even when the string already has it. */
int bridge_helper_parse_args(int argc, char **argv, struct args *a, char *why, size_t why_size)
{
	bool seen_fd = false;

	*a = (struct args){ .fd = -1 };
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (streq(arg, "--use-vnet")) {
			a->use_vnet = true;
		} else if (!strncmp(arg, "--br=", 5) && !a->bridge) {
			a->bridge = arg + 5;
		} else if (!strncmp(arg, "--fd=", 5) && !seen_fd) {
			char pbuf[QNET_IFNAME_PRINTABLE_SIZE];

			seen_fd = true;
			a->fd = bridge_helper_parse_fd(arg + 5);
			if (a->fd < 0)
				return qnet_because(why, why_size, -EINVAL, "--fd=%s: not a file descriptor number >= 3",
						    qnet_ifname_printable(arg + 5, pbuf));
		} else {
			return qnet_because(why, why_size, -EINVAL, USAGE);
		}
	}
	if (!a->bridge || !seen_fd)
		return qnet_because(why, why_size, -EINVAL, USAGE);
	return 0;
}
