// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "leases-private.h"
#include "../tap.h"

int main(void)
{
	static const char file[] =
		"1700000000 52:54:00:12:34:56 10.0.76.10 web1 01:52:54:00:12:34:56\n"
		"0 52:54:00:12:34:57 10.0.76.11 * *\n"
		"1700000000 52:54:00:12:34:58 10.0.76.12 ev\x1bil *\n"
		"duid 00:01:00:01:2c:1f:aa:bb\n"
		"1700000000 52:54:00:12:34:59 10.0.76.300 bad *\n"
		"-5 52:54:00:12:34:5a 10.0.76.13 neg *\n"
		"1700000000 52:54:00:12:34:5b 10.0.76.14";
	struct qnet_lease *l = NULL;
	size_t n = 0;

	is_int(qnet_leases_parse(file, sizeof(file) - 1, &l, &n), 0, "a lease file parses");
	is_int(n, 3, "three well-formed leases, malformed lines skipped");
	ok(l && l[0].expiry == 1700000000 && l[0].mac[5] == 0x56, "expiry and MAC");
	is_str(l ? inet_ntoa(l[0].ip) : NULL, "10.0.76.10", "IP");
	is_str(l ? l[0].hostname : NULL, "web1", "hostname");
	is_str(l ? l[1].hostname : NULL, "", "'*' is no hostname");
	ok(l && l[1].expiry == 0, "expiry 0 is infinite");
	is_str(l ? l[2].hostname : NULL, "ev?il", "control bytes in a guest's hostname are replaced");
	free(l);
	is_int(qnet_leases_parse("", 0, &l, &n), 0, "empty file");
	is_int(n, 0, "no leases");
	free(l);
	return tap_done();
}
