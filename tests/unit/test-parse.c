// SPDX-License-Identifier: GPL-2.0-or-later
/* The value parsers of qnet.conf (lib/parse.h) as a specification. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>

#include "parse.h"
#include "../tap.h"

/* The rate S in bytes/s, or 0 when it is refused. */
static uint64_t rate(const char *s)
{
	uint64_t v = 12345;

	return qnet_parse_rate(s, &v) == 0 ? v : 0;
}

static void refused(const char *s, const char *why)
{
	uint64_t v = 12345;

	ok(qnet_parse_rate(s, &v) == -EINVAL && v == 12345, "rate '%s' is refused: %s", s, why);
}

static void test_rate(void)
{
	ok(rate("100mbit") == 12500000, "100mbit is 12,500,000 bytes/s");
	ok(rate("1kbit") == 125 && rate("1mbit") == 125000 && rate("1gbit") == 125000000 &&
	   rate("1tbit") == 125000000000, "kbit, mbit, gbit, tbit: SI, k = 1000");
	ok(rate("8bit") == 1 && rate("8") == 1, "bit, and a bare number, are bits per second");
	ok(rate("100") == 12, "bits are rounded down to whole bytes, as tc does (100 bit/s = 12 bytes/s)");
	ok(rate("1bps") == 1 && rate("1kbps") == 1000 && rate("1mbps") == 1000000 &&
	   rate("1gbps") == 1000000000 && rate("1tbps") == 1000000000000, "bps ... tbps are bytes per second");
	ok(rate("100MBit") == 12500000 && rate("2KBPS") == 2000 && rate("3Gbps") == 3000000000,
	   "units in any case");
	ok(rate("007kbit") == 875, "leading zeros are a number like any other");
	ok(rate("18446744073709551615bit") == UINT64_MAX / 8, "the largest number of bits");
	ok(rate("2305843009213693951bps") == UINT64_MAX / 8, "the largest number of bytes (in bits, 64 bits)");

	refused("", "no number");
	refused("mbit", "no number before the unit");
	refused("0", "zero");
	refused("0mbit", "zero with a unit");
	refused("7bit", "less than 8 bit/s is no whole byte");
	refused("7", "a bare 7 is 7 bit/s");
	refused("18446744073709551616", "more than 64 bits");
	refused("18446744073709551616bit", "more than 64 bits, with a unit");
	refused("18446744073709552tbit", "more than 64 bits once the unit is applied");
	refused("2305843009213693952bps", "bytes that are more than 64 bits of bits");
	refused("100 mbit", "a blank between number and unit");
	refused(" 100mbit", "a leading blank");
	refused("100mbit ", "a trailing blank");
	refused("+100mbit", "a sign");
	refused("-100mbit", "a negative rate");
	refused("1.5mbit", "a fraction");
	refused("100mb", "a unit tc does not know as a rate");
	refused("100mibit", "IEC units");
	refused("100kbitx", "garbage after the unit");
	refused("0x10", "hexadecimal");
}

static void test_bool(void)
{
	bool b = false;

	ok(qnet_parse_bool("YES", &b) == 0 && b, "YES is true");
	ok(qnet_parse_bool("off", &b) == 0 && !b, "off is false");
	ok(qnet_parse_bool("y", &b) == -EINVAL, "y is refused");
}

int main(void)
{
	test_rate();
	test_bool();
	return tap_done();
}
