// SPDX-License-Identifier: GPL-2.0-or-later
/* dnsmasq lease files hold what guests told dnsmasq: hostile input. */
#include <stdint.h>
#include <stdlib.h>

#include "leases-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qnet_lease *l = NULL;
	size_t n;

	if (qnet_leases_parse((const char *)data, size, &l, &n) == 0)
		free(l);
	return 0;
}
