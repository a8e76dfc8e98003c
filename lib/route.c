// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <stdint.h>

#include "addr.h"
#include "macro.h"
#include "route-private.h"

typedef void (*route_fn)(const struct qnet_route *rt, void *userdata);

struct route_walk {
	route_fn fn;
	void *userdata;
};

int qnet_route_from_msg(struct nl_msg *msg, struct qnet_route *rt)
{
	/* The kernel's messages are well-formed; checking sizes anyway keeps
	 * a malformed one from being read past its end. */
	static struct nla_policy policy[RTA_MAX + 1] = {
		[RTA_TABLE] = { .type = NLA_U32 },
		[RTA_DST] = { .type = NLA_U32 },
		[RTA_PRIORITY] = { .type = NLA_U32 },
		[RTA_OIF] = { .type = NLA_U32 },
	};
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *tb[RTA_MAX + 1];
	struct rtmsg *rtm;
	uint32_t table;

	if (h->nlmsg_type != RTM_NEWROUTE || !nlmsg_valid_hdr(h, sizeof(*rtm)) ||
	    nlmsg_parse(h, sizeof(*rtm), tb, RTA_MAX, policy) < 0)
		return 0;
	rtm = nlmsg_data(h);
	table = tb[RTA_TABLE] ? nla_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	if (rtm->rtm_family != AF_INET || table != RT_TABLE_MAIN || rtm->rtm_type != RTN_UNICAST ||
	    rtm->rtm_dst_len > 32)
		return 0;
	*rt = (struct qnet_route){ .dst_len = rtm->rtm_dst_len };
	if (tb[RTA_DST])
		rt->dst = nla_get_u32(tb[RTA_DST]);
	if (tb[RTA_PRIORITY])
		rt->priority = nla_get_u32(tb[RTA_PRIORITY]);
	if (tb[RTA_OIF])
		rt->oif = (int)nla_get_u32(tb[RTA_OIF]);
	return 1;
}

static int route_msg(struct nl_msg *msg, void *arg)
{
	struct route_walk *w = arg;
	struct qnet_route rt;

	if (qnet_route_from_msg(msg, &rt) == 1)
		w->fn(&rt, w->userdata);
	return NL_OK;
}

static int route_foreach(struct qnet_nl *nl, route_fn fn, void *userdata)
{
	struct rtmsg rtm = { .rtm_family = AF_INET, .rtm_table = RT_TABLE_MAIN };
	struct route_walk w = { fn, userdata };
	struct nl_msg *msg;
	int r;

	msg = nlmsg_alloc_simple(RTM_GETROUTE, NLM_F_DUMP);
	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	r = qnet_nl_query(nl, msg, route_msg, &w);
	nlmsg_free(msg);
	return r;
}

struct best_default {
	int ifindex;
	uint32_t priority;
};

static void pick_default(const struct qnet_route *rt, void *userdata)
{
	struct best_default *b = userdata;

	if (rt->dst_len != 0 || rt->oif <= 0)
		return;
	if (b->ifindex == 0 || rt->priority < b->priority) {
		b->ifindex = rt->oif;
		b->priority = rt->priority;
	}
}

int qnet_route_default_ifindex(struct qnet_nl *nl, int *ifindex)
{
	struct best_default b = { 0 };
	int r = route_foreach(nl, pick_default, &b);

	if (r < 0)
		return r;
	if (!b.ifindex)
		return -ENOENT;
	*ifindex = b.ifindex;
	return 0;
}

bool qnet_route_overlaps(const struct qnet_route *rt, struct in_addr net, unsigned prefix)
{
	return qnet_addr_ipv4_overlap((struct in_addr){ rt->dst }, rt->dst_len, net, prefix);
}

struct overlap {
	struct in_addr net;
	unsigned prefix;
	int ignore, found;
};

static void check_overlap(const struct qnet_route *rt, void *userdata)
{
	struct overlap *o = userdata;

	if (o->found || rt->dst_len == 0 || rt->oif == o->ignore)
		return;
	if (qnet_route_overlaps(rt, o->net, o->prefix))
		o->found = rt->oif ? rt->oif : -1;
}

int qnet_route_find_overlap(struct qnet_nl *nl, struct in_addr net, unsigned prefix,
			    int ignore_ifindex, int *ifindex)
{
	struct overlap o = { .net = net, .prefix = prefix, .ignore = ignore_ifindex };
	int r;

	r = route_foreach(nl, check_overlap, &o);
	if (r < 0)
		return r;
	if (!o.found)
		return 0;
	*ifindex = o.found > 0 ? o.found : 0;
	return 1;
}
