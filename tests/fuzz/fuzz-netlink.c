// SPDX-License-Identifier: GPL-2.0-or-later
/* What we interpret of the kernel's netlink answers: a link (RTM_NEWLINK,
 * through libnl's parser), a route (RTM_NEWROUTE, our own attribute
 * reading), an nf_tables dump message (lib/nfnl.c: attributes, nested
 * attributes and set elements) and the events qnet watch judges
 * (lib/watch.c), from arbitrary bytes. */
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "link-private.h"
#include "nfnl.h"
#include "route-private.h"
#include "watch-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count_elem(const void *key, size_t key_len, const void *value, size_t value_len, void *userdata)
{
	const volatile uint8_t *k = key, *v = value;
	size_t *n = userdata;

	/* Touch every byte we were handed: ASan sees any overrun. */
	for (size_t i = 0; i < key_len; i++)
		(void)k[i];
	for (size_t i = 0; v && i < value_len; i++)
		(void)v[i];
	++*n;
	return 0;
}

static void nfnl(const uint8_t *data, size_t size)
{
	struct qnet_nfnl_attrs a, nested;
	char name[64];
	size_t n = 0;

	if (qnet_nfnl_parse(data, size, &a) < 0)
		return;
	(void)qnet_nfnl_attr_str(&a, 1, name, sizeof(name));
	(void)qnet_nfnl_attr_str(&a, 3, name, sizeof(name));
	for (uint16_t t = 0; t < QNET_NFNL_ATTR_MAX; t++)
		(void)qnet_nfnl_parse_nested(&a, t, &nested);
	(void)qnet_nfnl_foreach_elem(&a, count_elem, &n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nlmsghdr *h;
	struct nl_msg *msg;
	struct qnet_link l;
	struct qnet_route rt;
	struct in_addr net = { .s_addr = htonl(0x0a004c00) };

	if (size > 65536)
		return 0;
	nfnl(data, size);
	{
		/* As recv() hands them over: aligned, in a buffer of their own. */
		uint32_t *copy = malloc(size ? size : 1);
		bool in_commit = false;

		if (copy) {
			memcpy(copy, data, size);
			(void)qnet_watch_judge_nft(copy, size, 1, &in_commit);
			(void)qnet_watch_judge_link(copy, size);
			free(copy);
		}
	}
	if (size < sizeof(*h))
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
