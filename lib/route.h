/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "netlink.h"

/*
 * ifindex of the IPv4 default route of the main table with the lowest
 * metric (of those the kernel would use: not one with a TOS, nor one it
 * skips as linkdown), a single-device unicast one; -ENOENT if there is
 * none. One FIB lookup, however large the table; a dump of the main table
 * only where the lookup cannot vouch for its answer (policy routing chose
 * another table, a more specific route matched, no route at all).
 */
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

/*
 * The /64 prefixes of link IFINDEX's global IPv6 addresses (scope
 * universe, unique local addresses included: a NAT network's subnet6),
 * each once, from one dump of IPv6 addresses: where a guest on that link
 * makes its SLAAC addresses. *RET is malloc'd (free it); none is n 0.
 */
int qnet_route_ipv6_prefixes64(struct qnet_nl *nl, int ifindex, struct in6_addr **ret, size_t *n);

/*
 * Where the kernel would send a packet to DST (FAMILY's address): the
 * device (*OIF) and whether DST is one of this host's own addresses
 * (*LOCAL: a local route). -ENETUNREACH (or the kernel's error) when
 * there is no route.
 */
int qnet_route_get(struct qnet_nl *nl, int family, const void *dst, int *oif, bool *local);
