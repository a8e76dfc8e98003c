// SPDX-License-Identifier: GPL-2.0-or-later
/* The value parsers of qnet.conf and interface names, which also see argv. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ifname.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	char printable[QNET_PRINTABLE_SIZE];
	struct qnet_forward f;
	struct in_addr a;
	unsigned prefix;
	uint8_t mac[6];
	bool b;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)qnet_ifname_invalid(s);
	(void)qnet_printable(s, printable);
	(void)qnet_parse_cidr(s, &a, &prefix);
	(void)qnet_parse_mac(s, mac);
	(void)qnet_parse_bool(s, &b);
	(void)qnet_parse_forward(s, &f);
	(void)qnet_network_name_valid(s);
	free(s);
	return 0;
}
