/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lib/route.c's reader of RTM_NEWROUTE messages, exported for its fuzz
 * harness only (tests/fuzz/fuzz-netlink.c); programs ask route.h.
 */
#pragma once

#include "route.h"

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
