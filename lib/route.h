/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "netlink.h"

struct nl_msg;

/* An IPv4 route of the main table, as far as we interpret one. */
struct qnet_route {
	uint32_t dst;      /* network byte order */
	unsigned dst_len;  /* 0..32 */
	uint32_t priority;
	int oif;
};

/* Interpret an RTM_NEWROUTE message: 1 for a unicast IPv4 route of the main
 * table (filled in RT), 0 for anything else, malformed messages included. */
int qnet_route_from_msg(struct nl_msg *msg, struct qnet_route *rt);
/* Does RT's destination overlap NET/PREFIX? */
bool qnet_route_overlaps(const struct qnet_route *rt, struct in_addr net, unsigned prefix);

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
