/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lib/route.c's reader of RTM_NEWROUTE messages, exported for its fuzz
 * harness only (tests/fuzz/fuzz-netlink.c); programs ask route.h.
 */
#pragma once

#include "route.h"

struct nl_msg;

/* A route of the main table, as far as we interpret one. */
struct qnet_route {
	uint32_t dst;      /* IPv4, network byte order */
	unsigned dst_len;  /* 0..32, or 0..128 for IPv6 */
	uint32_t priority;
	int oif;
	int family;        /* AF_INET or AF_INET6 */
	struct in6_addr dst6; /* IPv6 */
	unsigned protocol; /* RTPROT_*: RTPROT_RA if a router advertisement made it */
};

/* Interpret an RTM_NEWROUTE message: 1 for a unicast IPv4 or IPv6 route of
 * the main table (filled in RT), 0 for anything else, malformed messages
 * included. */
int qnet_route_from_msg(struct nl_msg *msg, struct qnet_route *rt);
/* Does RT's destination overlap NET/PREFIX? (false for an IPv6 route) */
bool qnet_route_overlaps(const struct qnet_route *rt, struct in_addr net, unsigned prefix);
/* Does RT's destination overlap NET6/PREFIX? (false for an IPv4 route) */
bool qnet_route_overlaps6(const struct qnet_route *rt, const struct in6_addr *net6, unsigned prefix);
