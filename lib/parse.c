// SPDX-License-Identifier: GPL-2.0-or-later
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "parse.h"

int qnet_parse_bool(const char *s, bool *ret)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

int qnet_parse_uint(const char *s, unsigned long max, unsigned long *ret)
{
	char *end;
	unsigned long v;

	/* strtoul would take blanks and a sign first. */
	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

int qnet_parse_rate(const char *s, uint64_t *ret)
{
	static const struct {
		const char *name;
		uint64_t per_unit; /* bits per second of 1 of this unit */
	} units[] = {
		{ "", 1 }, { "bit", 1 }, { "kbit", 1000 }, { "mbit", 1000000 },
		{ "gbit", 1000000000 }, { "tbit", 1000000000000 },
		{ "bps", 8 }, { "kbps", 8000 }, { "mbps", 8000000 },
		{ "gbps", 8000000000 }, { "tbps", 8000000000000 },
	};
	uint64_t n = 0;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');

		if (n > (UINT64_MAX - d) / 10)
			return -EINVAL;
		n = n * 10 + d;
	}
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (strcasecmp(p, units[i].name) != 0)
			continue;
		/* In bits first, so that 1bps and 8bit are the same byte. */
		if (n > UINT64_MAX / units[i].per_unit)
			return -EINVAL;
		n *= units[i].per_unit;
		if (n < 8)
			return -EINVAL;
		*ret = n / 8;
		return 0;
	}
	return -EINVAL;
}
