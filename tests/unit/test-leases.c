// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "leases-private.h"
#include "macro.h"
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
	{
		static const char dual[] =
			"1700000000 52:54:00:12:34:56 10.0.76.10 web1 01:52:54:00:12:34:56\n"
			"duid 00:01:00:01:2c:1f:aa:bb:52:54:00:00:00:01\n"
			"1700000001 1234 fd00::10 web1 00:03:00:01:52:54:00:12:34:56\n"
			"1700000002 T99 fd00::11 * 00:01:00:01:2c:1f:aa:bb:52:54:00:12:34:57\n"
			"0 5 fd00::12 * 00:02:00:00:ab:11:01:02\n"
			"1700000003 52:54:00:12:34:58 fd00::13 mac *\n"
			"1700000004 6 10.0.76.14 four *\n";
		char a[INET6_ADDRSTRLEN];

		is_int(qnet_leases_parse(dual, sizeof(dual) - 1, &l, &n), 0, "a lease file with DHCPv6 leases parses");
		is_int(n, 4, "IPv4 before the duid line, IPv6 after it, malformed lines skipped");
		ok(l && l[0].family == AF_INET && l[0].has_mac, "the IPv4 lease");
		ok(l && l[1].family == AF_INET6 && l[1].iaid == 1234 && l[1].expiry == 1700000001 &&
		   streq(inet_ntop(AF_INET6, &l[1].ip6, a, sizeof(a)), "fd00::10") && streq(l[1].hostname, "web1"),
		   "an IPv6 lease: IAID, address, name");
		ok(l && l[1].has_mac && l[1].mac[5] == 0x56 && streq(l[1].duid, "00:03:00:01:52:54:00:12:34:56"),
		   "its MAC from the client's DUID-LL");
		ok(l && l[2].iaid == 99 && l[2].has_mac && l[2].mac[5] == 0x57, "a temporary address; MAC from a DUID-LLT");
		ok(l && !l[3].has_mac && streq(l[3].duid, "00:02:00:00:ab:11:01:02"), "a DUID-EN names no MAC");
		free(l);
	}
	is_int(qnet_leases_parse("", 0, &l, &n), 0, "empty file");
	is_int(n, 0, "no leases");
	free(l);
	return tap_done();
}
