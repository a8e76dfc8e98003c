/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "netlink.h"

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
