/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dnsmasq's lease file, for `qnet status`: one lease per line,
 * "EXPIRY MAC IP HOSTNAME CLIENT-ID" ("*" for no hostname); after a line
 * "duid SERVER-DUID", DHCPv6 leases, "EXPIRY IAID IPV6 HOSTNAME CLIENT-DUID"
 * (IAID decimal, "T" before it for a temporary address). The file is
 * written by a daemon that talks to guests, so every field is checked.
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct qnet_lease {
	int64_t expiry;       /* seconds since the epoch, 0: infinite */
	uint8_t mac[6];       /* IPv6: from a DUID-LL or DUID-LLT of Ethernet, else has_mac false */
	bool has_mac;
	int family;           /* AF_INET or AF_INET6 */
	struct in_addr ip;    /* IPv4 */
	struct in6_addr ip6;  /* IPv6 */
	uint32_t iaid;        /* IPv6 */
	char duid[3 * 128];   /* IPv6: the client's DUID, "xx:xx:...", "" if none or malformed */
	char hostname[64];    /* "" if none; printable ASCII only */
};

/* Load the leases of NETWORK (QNET_STATEDIR/NAME.leases); absent is none. */
int qnet_leases_load(const char *network, struct qnet_lease **ret, size_t *n);
