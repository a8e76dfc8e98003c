// SPDX-License-Identifier: GPL-2.0-or-later
/* IPv6 addresses and prefixes, forwards, and the derivation of a
 * network's ULA prefix (whose value must never change between releases:
 * hosts' guests and firewalls keep it). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "macro.h"
#include "sha256.h"
#include "../tap.h"

/* B as lower-case hex into OUT, which holds 2 * N + 1 bytes. */
static const char *hex(const uint8_t *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 0xf];
	}
	out[2 * n] = '\0';
	return out;
}

static const char *ip6(const struct in6_addr *a, char out[INET6_ADDRSTRLEN])
{
	return inet_ntop(AF_INET6, a, out, INET6_ADDRSTRLEN);
}

int main(void)
{
	static const uint8_t id[16] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
					0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };
	uint8_t key[20], d[QNET_SHA256_SIZE];
	char h[2 * QNET_SHA256_SIZE + 1], a[INET6_ADDRSTRLEN];
	struct in6_addr x, y;
	struct qnet_forward f;
	unsigned len;

	qnet_sha256("abc", 3, d);
	is_str(hex(d, sizeof(d), h), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	       "SHA-256 of abc (FIPS 180-4 example)");
	memset(key, 0x0b, sizeof(key));
	qnet_sha256_hmac(key, sizeof(key), "Hi There", 8, d);
	is_str(hex(d, sizeof(d), h), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
	       "HMAC-SHA-256 (RFC 4231 test case 1)");
	/* The HMAC keeps its last key's pads: another key, a key longer
	 * than a block, then the first again must each get their own. */
	qnet_sha256_hmac("Jefe", 4, "what do ya want for nothing?", 28, d);
	is_str(hex(d, sizeof(d), h), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
	       "HMAC-SHA-256 with another key (RFC 4231 test case 2)");
	{
		uint8_t long_key[131];

		memset(long_key, 0xaa, sizeof(long_key));
		qnet_sha256_hmac(long_key, sizeof(long_key), "Test Using Larger Than Block-Size Key - Hash Key First",
				 54, d);
		is_str(hex(d, sizeof(d), h), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
		       "HMAC-SHA-256 with a key longer than a block (RFC 4231 test case 6)");
	}
	qnet_sha256_hmac(key, sizeof(key), "Hi There", 8, d);
	is_str(hex(d, sizeof(d), h), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
	       "the first key again (RFC 4231 test case 1)");

	qnet_addr_ipv6_ula(id, "default", &x);
	is_str(ip6(&x, a), "fd5d:2f7d:daee:4eec::", "the derived prefix of 'default' for a known machine-id");
	qnet_addr_ipv6_ula(id, "lab", &y);
	is_str(ip6(&y, a), "fd6f:9922:afac:1614::", "another name, another /48 and /64");
	ok(qnet_addr_ipv6_is_ula(&x), "the derived prefix is a ULA");
	qnet_addr_ipv6_ula(id, "default", &x);
	is_str(ip6(&x, a), "fd5d:2f7d:daee:4eec::", "'default' again: the same prefix, remembered or not");
	{
		static const uint8_t other[16] = { 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
						   0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10 };

		qnet_addr_ipv6_ula(other, "default", &y);
		ok(memcmp(&x, &y, sizeof(x)) != 0, "another machine-id, another prefix for the same name");
	}

	is_int(qnet_addr_parse_ipv6_cidr("fd00:76::/64", &x, &len), 0, "IPv6 CIDR parses");
	is_int(len, 64, "its length");
	is_int(qnet_addr_parse_ipv6_cidr("fd00:76::/129", &x, &len), -EINVAL, "/129 refused");
	is_int(qnet_addr_parse_ipv6("fe80::1%eth0", &x), -EINVAL, "a zone is refused");
	is_int(qnet_addr_parse_ipv6("[fd00::1]", &x), -EINVAL, "brackets are refused");
	qnet_addr_parse_ipv6("fd00:76::5", &y);
	qnet_addr_parse_ipv6("fd00:76::", &x);
	ok(qnet_addr_ipv6_overlap(&y, 128, &x, 64), "an address is inside its /64");
	qnet_addr_parse_ipv6("fd00:77::5", &y);
	ok(!qnet_addr_ipv6_overlap(&y, 128, &x, 64), "and not inside another");
	ok(qnet_addr_ipv6_overlap(&y, 128, &x, 15), "a short prefix holds both");
	qnet_addr_parse_ipv6("2001:db8::", &y);
	ok(!qnet_addr_ipv6_is_ula(&y), "2001:db8:: is no ULA");

	is_int(qnet_addr_parse_forward("tcp 2222 [fd00::10]:22", &f), 0, "forward to [IPv6]:port");
	ok(!f.guest.s_addr && f.guest_port == 22 && f.host_port == 2222 && !f.host[0] &&
	   streq(ip6(&f.guest6, a), "fd00::10"), "its fields");
	is_int(qnet_addr_parse_forward("udp 53 web1:53", &f), 0, "forward to a host name");
	ok(streq(f.host, "web1") && !f.guest.s_addr && IN6_IS_ADDR_UNSPECIFIED(&f.guest6), "its name");
	is_int(qnet_addr_parse_forward("tcp 2222 10.0.76.10:22", &f), 0, "forward to IPv4 as before");
	ok(f.guest.s_addr == htonl(0x0a004c0a) && IN6_IS_ADDR_UNSPECIFIED(&f.guest6) && !f.host[0], "its fields");
	is_int(qnet_addr_parse_forward("tcp 2222 10.1:22", &f), -EINVAL, "a shorthand IPv4 is no host name");
	is_int(qnet_addr_parse_forward("tcp 2222 fd00::10:22", &f), -EINVAL, "IPv6 without brackets");
	is_int(qnet_addr_parse_forward("tcp 2222 [::]:22", &f), -EINVAL, "the unspecified address");
	is_int(qnet_addr_parse_forward("tcp 2222 [fd00::10:22", &f), -EINVAL, "an unclosed bracket");
	is_int(qnet_addr_parse_forward("tcp 2222 we/b:22", &f), -EINVAL, "a name with /");
	return tap_done();
}
