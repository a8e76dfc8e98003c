// SPDX-License-Identifier: GPL-2.0-or-later
/* What we interpret of the kernel's netlink answers: a link (RTM_NEWLINK,
 * through libnl's parser) and a route (RTM_NEWROUTE, our own attribute
 * reading), from arbitrary bytes. */
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "link-private.h"
#include "route-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nlmsghdr *h;
	struct nl_msg *msg;
	struct qnet_link l;
	struct qnet_route rt;
	struct in_addr net = { .s_addr = htonl(0x0a004c00) };

	if (size < sizeof(*h) || size > 65536)
		return 0;
	h = calloc(1, NLMSG_ALIGN(size));
	if (!h)
		return 0;
	memcpy(h, data, size);
	h->nlmsg_len = (uint32_t)size; /* the socket layer guarantees this much */
	/* Both message types for every input, so each parser sees all bytes. */
	for (int i = 0; i < 2; i++) {
		h->nlmsg_type = i ? RTM_NEWROUTE : RTM_NEWLINK;
		msg = nlmsg_convert(h);
		if (!msg)
			break;
		(void)qnet_link_from_msg(msg, &l);
		if (qnet_route_from_msg(msg, &rt) == 1)
			(void)qnet_route_overlaps(&rt, net, 24);
		nlmsg_free(msg);
	}
	free(h);
	return 0;
}
