// SPDX-License-Identifier: GPL-2.0-or-later
/* The value parsers of qnet.conf (addresses, numbers, rates, yes/no) and of
 * interface and network names, which also see argv. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "ifname.h"
#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	char printable[QNET_IFNAME_PRINTABLE_SIZE];
	struct qnet_forward f;
	struct in_addr a;
	struct in6_addr a6;
	unsigned prefix;
	unsigned long n;
	uint64_t rate;
	uint8_t mac[6];
	bool b;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)qnet_ifname_invalid(s);
	(void)qnet_ifname_printable(s, printable);
	(void)qnet_addr_parse_ipv4(s, &a);
	if (qnet_addr_parse_ipv4_cidr(s, &a, &prefix) == 0) {
		const char *cidr;

		(void)qnet_addr_ipv4_clash(a, prefix, &cidr);
	}
	if (qnet_addr_parse_ipv6_cidr(s, &a6, &prefix) == 0)
		(void)qnet_addr_ipv6_overlap(&a6, prefix, &a6, 64);
	(void)qnet_addr_parse_ipv6(s, &a6);
	(void)qnet_addr_parse_mac(s, mac);
	(void)qnet_addr_parse_forward(s, &f);
	(void)qnet_parse_bool(s, &b);
	(void)qnet_parse_uint(s, ULONG_MAX, &n);
	(void)qnet_parse_rate(s, &rate);
	(void)qnet_config_network_name_valid(s);
	free(s);
	return 0;
}
