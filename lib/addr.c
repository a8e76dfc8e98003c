// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "macro.h"
#include "parse.h"
#include "sha256.h"

int qnet_addr_parse_ipv4(const char *s, struct in_addr *ret)
{
	/* inet_pton alone accepts only dotted quads: no "10.1" shorthands. */
	return inet_pton(AF_INET, s, ret) == 1 ? 0 : -EINVAL;
}

/* "ADDR/N" of FAMILY, N at most MAX: the address into NET (an in_addr or
 * in6_addr), N into *PREFIX. One parser for both families. */
static int parse_cidr(int family, const char *s, void *net, unsigned max, unsigned *prefix)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	unsigned long len;
	size_t n;

	if (!slash)
		return -EINVAL;
	n = (size_t)(slash - s);
	if (n == 0 || n >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, n);
	addr[n] = '\0';
	/* inet_pton alone: dotted quads only, no "10.1" shorthands; no zones. */
	if (inet_pton(family, addr, net) != 1 || qnet_parse_uint(slash + 1, max, &len) < 0)
		return -EINVAL;
	*prefix = (unsigned)len;
	return 0;
}

int qnet_addr_parse_ipv4_cidr(const char *s, struct in_addr *net, unsigned *prefix)
{
	return parse_cidr(AF_INET, s, net, 32, prefix);
}

int qnet_addr_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;

	if (strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)s[i * 3]) || !isxdigit((unsigned char)s[i * 3 + 1]))
			return -EINVAL;
		mac[i] = (uint8_t)v[i];
	}
	/* A guest NIC needs a unicast address. */
	if (mac[0] & 1)
		return -EINVAL;
	return 0;
}

int qnet_addr_duid_mac(const char *duid, uint8_t mac[6])
{
	uint8_t b[128];
	size_t n = 0;

	for (const char *p = duid;; p += 3) {
		unsigned v;

		if (n == sizeof(b) || !isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]) ||
		    sscanf(p, "%2x", &v) != 1)
			return -EINVAL;
		b[n++] = (uint8_t)v;
		if (!p[2])
			break;
		if (p[2] != ':')
			return -EINVAL;
	}
	/* type 3: type, hardware type, address; type 1: the same with a time between */
	if (n == 10 && b[0] == 0 && b[1] == 3 && b[2] == 0 && b[3] == 1 && !(b[4] & 1))
		memcpy(mac, b + 4, 6);
	else if (n == 14 && b[0] == 0 && b[1] == 1 && b[2] == 0 && b[3] == 1 && !(b[8] & 1))
		memcpy(mac, b + 8, 6);
	else
		return -ENOENT;
	return 0;
}

/* A host= name as a forward's target: not something that looks like an
 * IPv4 address, so a mistyped one is refused rather than looked up. */
static bool forward_name_valid(const char *s)
{
	bool letter = false;

	if (!*s || strlen(s) >= sizeof(((struct qnet_forward *)0)->host))
		return false;
	for (; *s; s++) {
		if (isalpha((unsigned char)*s) || *s == '-')
			letter = true;
		else if (!isdigit((unsigned char)*s) && *s != '.')
			return false;
	}
	return letter;
}

const char *qnet_addr_format_mac(const uint8_t mac[6], char out[QNET_ADDR_MAC_SIZE])
{
	snprintf(out, QNET_ADDR_MAC_SIZE, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
	return out;
}

int qnet_addr_parse_forward(const char *s, struct qnet_forward *ret)
{
	char proto[8], port[8], dest[96], extra;
	char *colon;
	unsigned long hp, gp;

	if (sscanf(s, "%7s %7s %95s %c", proto, port, dest, &extra) != 3)
		return -EINVAL;
	*ret = (struct qnet_forward){ 0 };
	if (streq(proto, "tcp"))
		ret->proto = IPPROTO_TCP;
	else if (streq(proto, "udp"))
		ret->proto = IPPROTO_UDP;
	else
		return -EINVAL;
	colon = strrchr(dest, ':');
	if (!colon)
		return -EINVAL;
	*colon = '\0';
	if (qnet_parse_uint(port, 65535, &hp) < 0 || hp == 0 ||
	    qnet_parse_uint(colon + 1, 65535, &gp) < 0 || gp == 0)
		return -EINVAL;
	if (dest[0] == '[') {
		size_t n = strlen(dest);

		if (n < 3 || dest[n - 1] != ']')
			return -EINVAL;
		dest[n - 1] = '\0';
		if (qnet_addr_parse_ipv6(dest + 1, &ret->guest6) < 0 || IN6_IS_ADDR_UNSPECIFIED(&ret->guest6))
			return -EINVAL;
	} else if (qnet_addr_parse_ipv4(dest, &ret->guest) < 0) {
		if (!forward_name_valid(dest))
			return -EINVAL;
		snprintf(ret->host, sizeof(ret->host), "%s", dest);
	}
	ret->host_port = (uint16_t)hp;
	ret->guest_port = (uint16_t)gp;
	return 0;
}

int qnet_addr_parse_ipv6(const char *s, struct in6_addr *ret)
{
	return inet_pton(AF_INET6, s, ret) == 1 ? 0 : -EINVAL;
}

int qnet_addr_parse_ipv6_cidr(const char *s, struct in6_addr *net, unsigned *prefix)
{
	return parse_cidr(AF_INET6, s, net, 128, prefix);
}

bool qnet_addr_ipv6_overlap(const struct in6_addr *a, unsigned pa, const struct in6_addr *b, unsigned pb)
{
	unsigned bits = pa < pb ? pa : pb, bytes = bits / 8;
	uint8_t mask = (uint8_t)(0xff00 >> (bits % 8));

	if (memcmp(a->s6_addr, b->s6_addr, bytes) != 0)
		return false;
	return bytes == 16 || ((a->s6_addr[bytes] ^ b->s6_addr[bytes]) & mask) == 0;
}

bool qnet_addr_ipv6_is_ula(const struct in6_addr *a)
{
	return (a->s6_addr[0] & 0xfe) == 0xfc;
}

void qnet_addr_ipv6_ula(const uint8_t id[16], const char *name, struct in6_addr *ret)
{
	/* Keyed like systemd's sd_id128_get_machine_app_specific(): the
	 * machine-id is the key, what it is used for the message. */
	static const char what[] = "qnet network ULA prefix\n";
	/* What this process derived already: an attach parses qnet.conf and
	 * the network's running configuration, each with every network of
	 * the host, so each prefix would be computed twice. */
	static struct {
		uint8_t id[16];
		char name[65];
		struct in6_addr prefix;
	} memo[128];
	static unsigned n_memo, next_memo;
	uint8_t msg[sizeof(what) + 64], mac[QNET_SHA256_SIZE];
	size_t n = strnlen(name, 64);

	for (unsigned i = 0; i < n_memo; i++) {
		if (memcmp(memo[i].id, id, 16) == 0 && strncmp(memo[i].name, name, 64) == 0) {
			*ret = memo[i].prefix;
			return;
		}
	}
	memcpy(msg, what, sizeof(what) - 1);
	memcpy(msg + sizeof(what) - 1, name, n);
	qnet_sha256_hmac(id, 16, msg, sizeof(what) - 1 + n, mac);
	memset(ret, 0, sizeof(*ret));
	/* fd00::/8, then the 40-bit global ID and 16-bit subnet ID of RFC
	 * 4193 section 3.1, all pseudo-random: one /48 per network. */
	ret->s6_addr[0] = 0xfd;
	memcpy(&ret->s6_addr[1], mac, 7);
	memcpy(memo[next_memo].id, id, 16);
	memcpy(memo[next_memo].name, name, n);
	memo[next_memo].name[n] = '\0';
	memo[next_memo].prefix = *ret;
	next_memo = (next_memo + 1) % ARRAY_SIZE(memo);
	if (n_memo < ARRAY_SIZE(memo))
		n_memo++;
}

uint32_t qnet_addr_ipv4_mask(unsigned prefix)
{
	return prefix ? ~0u << (32 - prefix) : 0;
}

bool qnet_addr_ipv4_overlap(struct in_addr a, unsigned pa, struct in_addr b, unsigned pb)
{
	uint32_t m = qnet_addr_ipv4_mask(pa < pb ? pa : pb);

	return (ntohl(a.s_addr) & m) == (ntohl(b.s_addr) & m);
}

const char *qnet_addr_ipv4_clash(struct in_addr net, unsigned prefix, const char **cidr)
{
	/* Sharing a subnet with one of these breaks whichever starts second. */
	static const struct {
		uint32_t net;
		unsigned prefix;
		const char *cidr, *owner;
	} others[] = {
		{ 0xc0a87a00, 24, "192.168.122.0/24", "libvirt's default network" },
		{ 0xac110000, 16, "172.17.0.0/16", "Docker's default bridge" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(others); i++)
		if (qnet_addr_ipv4_overlap(net, prefix, (struct in_addr){ htonl(others[i].net) }, others[i].prefix)) {
			*cidr = others[i].cidr;
			return others[i].owner;
		}
	return NULL;
}
