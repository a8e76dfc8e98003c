// SPDX-License-Identifier: GPL-2.0-or-later
/* qnet.conf as an attacker-controlled buffer: every byte sequence must be
 * parsed or refused without a crash, a leak or undefined behaviour. */
#include <stddef.h>
#include <stdint.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qnet_config *c = NULL;

	/* Set on success and on -EINVAL (the errors it records). */
	(void)qnet_config_parse_buffer("fuzz", (const char *)data, size, &c, NULL, NULL);
	qnet_config_free(c);
	return 0;
}
