// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qemu-bridge-helper's argv (helpers/bridge-helper-args.c), which any local
 * user chooses: the input, split at its NUL bytes, is argv[1...] (at most
 * MAX_ARGS of them; the rest is dropped). Besides no crash, no leak and no
 * undefined behaviour, what the helper relies on must hold: a parse that
 * succeeds has a bridge taken from a --br= argument and an fd >= 3; one
 * that fails says why in one line that fit its buffer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bridge-helper-args.h"
#include "log.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool from_br_argument(const char *bridge, char **argv, int argc)
{
	for (int i = 1; i < argc; i++)
		if (!strncmp(argv[i], "--br=", 5) && bridge == argv[i] + 5)
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2], why[QNET_REASON_MAX];
	char *buf = malloc(size + 1);
	struct args a;
	int argc = 0, r;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = (char *)BRIDGE_HELPER_PROGRAM;
	for (char *p = buf; p < buf + size && argc <= MAX_ARGS; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;

	memset(why, 0, sizeof(why));
	r = bridge_helper_parse_args(argc, argv, &a, why, sizeof(why));
	if (r == 0) {
		if (!a.bridge || !from_br_argument(a.bridge, argv, argc) || a.fd < 3)
			abort();
	} else {
		size_t len = strnlen(why, sizeof(why));

		if (r != -EINVAL || len == 0 || len >= sizeof(why) - 1 || memchr(why, '\n', len))
			abort();
	}
	/* Each argument as a --fd= value too: a number is all digits. */
	for (int i = 1; i < argc; i++) {
		int fd = bridge_helper_parse_fd(argv[i]);

		if (fd >= 0 && (fd < 3 || !argv[i][0] || strspn(argv[i], "0123456789") != strlen(argv[i]) ||
				fd != (int)strtol(argv[i], NULL, 10)))
			abort();
	}
	free(buf);
	return 0;
}
