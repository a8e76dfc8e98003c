// SPDX-License-Identifier: GPL-2.0-or-later
/* bridge.conf as an attacker-controlled buffer: every byte sequence must be
 * parsed or refused, and then decided on, without a crash, a leak or
 * undefined behaviour. Includes name real files; the harness runs as anyone
 * and only root-owned files are followed, so it stays hermetic in practice. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "acl-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const bridges[] = { "br0", "all", "virbr0", "brabcdefghijklm" };
	static const struct qnet_acl_subject who = { .uid = 1000, .gid = 1000, .user = "fuzz" };
	struct qnet_acl *acl = NULL;
	struct qnet_acl_decision d;

	if (qnet_acl_parse_buffer("fuzz", (const char *)data, size, &acl, NULL, NULL) == -ENOMEM)
		return 0;
	for (size_t i = 0; i < sizeof(bridges) / sizeof(bridges[0]); i++)
		qnet_acl_evaluate(acl, NULL, &who, bridges[i], &d);
	qnet_acl_free(acl);
	return 0;
}
