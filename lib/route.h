/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "netlink.h"

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

/* ifindex of the IPv4 default route of the main table with the lowest
 * metric; -ENOENT if there is none. */
int qnet_route_default_ifindex(struct qnet_nl *nl, int *ifindex);

/*
 * Is NET/PREFIX overlapping a route of the main table (default route
 * excepted)? Routes through IGNORE_IFINDEX (our own bridge) do not count.
 * Returns 1 and the device's ifindex, 0 if free, or -errno.
 */
int qnet_route_find_overlap(struct qnet_nl *nl, struct in_addr net, unsigned prefix,
			    int ignore_ifindex, int *ifindex);
/*
 * The same for NET/PREFIX and, if NET6 is not NULL, NET6/PREFIX6 as well,
 * from one dump of both families' routes (a dual-stack network's bring-up
 * pays for one dump, not two). *FAMILY says which one overlapped.
 */
int qnet_route_find_overlap_dual(struct qnet_nl *nl, struct in_addr net, unsigned prefix,
				 const struct in6_addr *net6, unsigned prefix6, int ignore_ifindex,
				 int *ifindex, int *family);

/*
 * The links whose IPv6 configuration came from router advertisements: an
 * RA route (the default route a router advertises, RTPROT_RA) or an
 * address the kernel made from an advertised prefix (SLAAC, IFAPROT_KERNEL_RA).
 * Turning on IPv6 forwarding makes the kernel ignore RAs on such a link
 * unless its accept_ra is 2. *RET (malloc'd, free it) gets their ifindexes,
 * each once; one dump of IPv6 routes and one of IPv6 addresses.
 */
int qnet_route_ipv6_ra_links(struct qnet_nl *nl, int **ret, size_t *n);
