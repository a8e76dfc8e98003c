/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Addresses as qnet reads and compares them: IPv4 and IPv6 addresses and
 * subnets, MAC addresses, and port forwards to a guest's address. The contract:
 *   - pure functions of their arguments (no I/O, no global state), so each
 *     can be fuzzed on its own (tests/fuzz/fuzz-values.c);
 *   - a parser reads the whole NUL-terminated string and returns 0 with
 *     *ret filled, or -EINVAL (what it wrote to *ret is then undefined);
 *     it never accepts a prefix of the string or a shorthand;
 *   - struct in_addr and struct in6_addr are in network byte order, as the
 *     kernel and inet_ntop() want them; masks and other arithmetic are in
 *     host order;
 *     a prefix length is a bit count;
 *   - what is IPv4-only says ipv4 in its name; IPv6 functions will say
 *     ipv6 and have the same shapes.
 * Numbers and yes/no values are parse.h's.
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * A host port forwarded to a guest's: "tcp 2222 10.0.76.10:22" (IPv4),
 * "tcp 2222 [fd00::10]:22" (IPv6), or "tcp 2222 web1:22", a host= name,
 * which reaches the addresses that host has, of either family.
 */
struct qnet_forward {
	uint8_t proto;          /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t host_port;
	struct in_addr guest;   /* 0.0.0.0: no IPv4 target */
	uint16_t guest_port;
	struct in6_addr guest6; /* ::, no IPv6 target */
	char host[64];          /* the host= name it was given as, "" for an address:
				 * qnet.conf (config.c) fills guest and guest6 from it */
	unsigned line;          /* its line in qnet.conf (config.c), 0 if not from a file */
};

/* A dotted quad only: inet_aton's "10.1" and the like are refused. */
int qnet_addr_parse_ipv4(const char *s, struct in_addr *ret);
/* "A.B.C.D/N", N 0..32. Host bits set are the caller's to judge. */
int qnet_addr_parse_ipv4_cidr(const char *s, struct in_addr *net, unsigned *prefix);
/* "xx:xx:xx:xx:xx:xx" (hex, either case), unicast only: it names a guest NIC. */
int qnet_addr_parse_mac(const char *s, uint8_t mac[6]);
/* A DHCPv6 client's DUID as dnsmasq writes it ("00:03:00:01:52:54:...",
 * 1 to 127 bytes of two hex digits, ':' between): 0 and the MAC it names
 * for a DUID-LL or DUID-LLT of a unicast Ethernet address; -ENOENT for a
 * well-formed DUID that names none (DUID-EN, DUID-UUID, another hardware
 * type); -EINVAL if it is malformed. MAC is written only on success. */
int qnet_addr_duid_mac(const char *duid, uint8_t mac[6]);
/* "tcp|udp HOSTPORT GUEST:PORT", blank-separated, ports 1..65535; GUEST an
 * IPv4 address, an IPv6 address in brackets or a host name (letters,
 * digits, '-' and '.', not all digits and dots). */
int qnet_addr_parse_forward(const char *s, struct qnet_forward *ret);

/* inet_pton's IPv6 forms, no zone ("%eth0"), no brackets. */
int qnet_addr_parse_ipv6(const char *s, struct in6_addr *ret);
/* "ADDR/N", N 0..128. Host bits set are the caller's to judge. */
int qnet_addr_parse_ipv6_cidr(const char *s, struct in6_addr *net, unsigned *prefix);
/* Do A/PA and B/PB share any address? */
bool qnet_addr_ipv6_overlap(const struct in6_addr *a, unsigned pa, const struct in6_addr *b, unsigned pb);
/* A unique local address (fc00::/7, RFC 4193): never routed on the Internet. */
bool qnet_addr_ipv6_is_ula(const struct in6_addr *a);
/* The /64 of network NAME on the host whose machine-id is ID, RFC 4193
 * style: fd00::/8 and 56 bits of HMAC-SHA-256(ID, NAME). The same on every
 * boot and reinstall of the host (the machine-id is kept), different on
 * another host, and the id cannot be worked back from it. */
void qnet_addr_ipv6_ula(const uint8_t id[16], const char *name, struct in6_addr *ret);
/* MAC as "xx:xx:xx:xx:xx:xx", lower case, the way sysfs, ip(8) and
 * dnsmasq's files write it, into OUT; returns OUT. */
#define QNET_ADDR_MAC_SIZE 18
const char *qnet_addr_format_mac(const uint8_t mac[6], char out[QNET_ADDR_MAC_SIZE]);

/* The netmask of a PREFIX (0..32) bit prefix, in host byte order. */
uint32_t qnet_addr_ipv4_mask(unsigned prefix);
/* Do A/PA and B/PB share any address? */
bool qnet_addr_ipv4_overlap(struct in_addr a, unsigned pa, struct in_addr b, unsigned pb);
/* The default network of another manager that NET/PREFIX overlaps (libvirt's
 * 192.168.122.0/24, Docker's 172.17.0.0/16): its owner, and its CIDR in
 * *cidr; NULL if none. */
const char *qnet_addr_ipv4_clash(struct in_addr net, unsigned prefix, const char **cidr);
