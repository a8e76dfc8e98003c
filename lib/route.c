// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
	if ((rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6) || table != RT_TABLE_MAIN ||
	    rtm->rtm_type != RTN_UNICAST || rtm->rtm_dst_len > (rtm->rtm_family == AF_INET ? 32 : 128))
		return 0;
	*rt = (struct qnet_route){ .dst_len = rtm->rtm_dst_len, .family = rtm->rtm_family,
				   .protocol = rtm->rtm_protocol };
	if (tb[RTA_DST] && rtm->rtm_family == AF_INET6) {
		if (nla_len(tb[RTA_DST]) != sizeof(rt->dst6))
			return 0;
		memcpy(&rt->dst6, nla_data(tb[RTA_DST]), sizeof(rt->dst6));
	} else if (tb[RTA_DST]) {
		rt->dst = nla_get_u32(tb[RTA_DST]);
	}
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

/* FAMILY AF_UNSPEC: both, in one dump. */
static int route_foreach(struct qnet_nl *nl, int family, route_fn fn, void *userdata)
{
	struct rtmsg rtm = { .rtm_family = (unsigned char)family, .rtm_table = RT_TABLE_MAIN };
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

	if (rt->family != AF_INET || rt->dst_len != 0 || rt->oif <= 0)
		return;
	if (b->ifindex == 0 || rt->priority < b->priority) {
		b->ifindex = rt->oif;
		b->priority = rt->priority;
	}
}

/*
 * A destination no route but a default one matches on any real host:
 * 240.0.0.0/4 is reserved (RFC 1112's class E), never announced, never in
 * a BGP table. Any public address would be covered by a more specific route
 * on a host with a full table, and 0.0.0.0 is not looked up at all (the
 * kernel answers it with a local route).
 */
#define DEFAULT_PROBE 0xF0000001u /* 240.0.0.1 */

struct fib_match {
	struct qnet_route rt;
	int found;
};

static int fib_match_msg(struct nl_msg *msg, void *arg)
{
	struct fib_match *m = arg;

	if (!m->found)
		m->found = qnet_route_from_msg(msg, &m->rt);
	return NL_OK;
}

/*
 * The route the kernel itself would pick for DEFAULT_PROBE, one request
 * and one reply however many routes there are (RTM_F_FIB_MATCH: the
 * matching FIB entry, not a cached dst; RTM_F_LOOKUP_TABLE: the table it
 * came from). 1 with *IFINDEX if that is a single-device unicast default
 * route of the main table; 0 if the lookup cannot tell (no route, a more
 * specific route, another table chosen by policy routing, an unreachable
 * or multipath route, a kernel before 4.13 that ignores the flag): the
 * caller asks the dump then.
 */
static int default_by_lookup(struct qnet_nl *nl, int *ifindex)
{
	struct rtmsg rtm = { .rtm_family = AF_INET, .rtm_dst_len = 32,
			     .rtm_flags = RTM_F_FIB_MATCH | RTM_F_LOOKUP_TABLE };
	_cleanup_nlmsg_ struct nl_msg *msg = qnet_nl_msg_new(RTM_GETROUTE, 0, 64);
	struct fib_match m = { .found = 0 };

	if (!msg || nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0 ||
	    nla_put_u32(msg, RTA_DST, htonl(DEFAULT_PROBE)) < 0)
		return -ENOMEM;
	if (qnet_nl_query(nl, msg, fib_match_msg, &m) < 0 || m.found != 1 || m.rt.family != AF_INET ||
	    m.rt.dst_len != 0 || m.rt.oif <= 0)
		return 0;
	*ifindex = m.rt.oif;
	return 1;
}

int qnet_route_default_ifindex(struct qnet_nl *nl, int *ifindex)
{
	struct best_default b = { 0 };
	int r = default_by_lookup(nl, ifindex);

	if (r != 0)
		return r < 0 ? r : 0;
	r = route_foreach(nl, AF_INET, pick_default, &b);

	if (r < 0)
		return r;
	if (!b.ifindex)
		return -ENOENT;
	*ifindex = b.ifindex;
	return 0;
}

bool qnet_route_overlaps(const struct qnet_route *rt, struct in_addr net, unsigned prefix)
{
	return rt->family == AF_INET && qnet_addr_ipv4_overlap((struct in_addr){ rt->dst }, rt->dst_len, net, prefix);
}

bool qnet_route_overlaps6(const struct qnet_route *rt, const struct in6_addr *net6, unsigned prefix)
{
	return rt->family == AF_INET6 && qnet_addr_ipv6_overlap(&rt->dst6, rt->dst_len, net6, prefix);
}

struct overlap {
	struct in_addr net;
	unsigned prefix;
	const struct in6_addr *net6;
	unsigned prefix6;
	int ignore, found, family;
};

static void check_overlap(const struct qnet_route *rt, void *userdata)
{
	struct overlap *o = userdata;

	if (o->found || rt->dst_len == 0 || rt->oif == o->ignore)
		return;
	if ((o->prefix && qnet_route_overlaps(rt, o->net, o->prefix)) ||
	    (o->net6 && qnet_route_overlaps6(rt, o->net6, o->prefix6))) {
		o->found = rt->oif ? rt->oif : -1;
		o->family = rt->family;
	}
}

int qnet_route_find_overlap(struct qnet_nl *nl, struct in_addr net, unsigned prefix,
			    int ignore_ifindex, int *ifindex)
{
	struct overlap o = { .net = net, .prefix = prefix, .ignore = ignore_ifindex };
	int r;

	r = route_foreach(nl, AF_INET, check_overlap, &o);
	if (r < 0)
		return r;
	if (!o.found)
		return 0;
	*ifindex = o.found > 0 ? o.found : 0;
	return 1;
}

int qnet_route_find_overlap_dual(struct qnet_nl *nl, struct in_addr net, unsigned prefix,
				 const struct in6_addr *net6, unsigned prefix6, int ignore_ifindex,
				 int *ifindex, int *family)
{
	struct overlap o = { .net = net, .prefix = prefix, .net6 = net6, .prefix6 = prefix6,
			     .ignore = ignore_ifindex };
	int r;

	r = route_foreach(nl, !net6 ? AF_INET : prefix ? AF_UNSPEC : AF_INET6, check_overlap, &o);
	if (r < 0)
		return r;
	if (!o.found)
		return 0;
	*ifindex = o.found > 0 ? o.found : 0;
	*family = o.family;
	return 1;
}

struct ra_links {
	int *ifindex;
	size_t n;
	bool oom;
};

static void ra_link_add(struct ra_links *l, int ifindex)
{
	int *v;

	if (ifindex <= 0 || l->oom)
		return;
	for (size_t i = 0; i < l->n; i++)
		if (l->ifindex[i] == ifindex)
			return;
	v = reallocarray(l->ifindex, l->n + 1, sizeof(*v));
	if (!v) {
		l->oom = true;
		return;
	}
	l->ifindex = v;
	v[l->n++] = ifindex;
}

static void ra_route(const struct qnet_route *rt, void *userdata)
{
	if (rt->family == AF_INET6 && rt->protocol == RTPROT_RA)
		ra_link_add(userdata, rt->oif);
}

/* An IPv6 address of a link, as far as we interpret one. */
struct address6 {
	int ifindex;
	struct in6_addr addr;
	unsigned prefix;
	unsigned scope;    /* RT_SCOPE_* */
	unsigned protocol; /* IFAPROT_*: IFAPROT_KERNEL_RA for SLAAC */
};

struct address_walk {
	void (*fn)(const struct address6 *a, void *userdata);
	void *userdata;
};

static int address_msg(struct nl_msg *msg, void *arg)
{
	struct address_walk *w = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *tb[IFA_MAX + 1];
	static struct nla_policy policy[IFA_MAX + 1] = {
		[IFA_PROTO] = { .type = NLA_U8 },
	};
	struct ifaddrmsg *ifa;
	struct address6 a;

	if (h->nlmsg_type != RTM_NEWADDR || !nlmsg_valid_hdr(h, sizeof(*ifa)) ||
	    nlmsg_parse(h, sizeof(*ifa), tb, IFA_MAX, policy) < 0)
		return NL_OK;
	ifa = nlmsg_data(h);
	if (ifa->ifa_family != AF_INET6)
		return NL_OK;
	a = (struct address6){ .ifindex = (int)ifa->ifa_index, .prefix = ifa->ifa_prefixlen,
			       .scope = ifa->ifa_scope,
			       .protocol = tb[IFA_PROTO] ? nla_get_u8(tb[IFA_PROTO]) : 0 };
	/* For IPv6, IFA_ADDRESS is the link's own address (IFA_LOCAL is only
	 * there on point-to-point links). */
	if (tb[IFA_ADDRESS] && nla_len(tb[IFA_ADDRESS]) == sizeof(a.addr))
		memcpy(&a.addr, nla_data(tb[IFA_ADDRESS]), sizeof(a.addr));
	w->fn(&a, w->userdata);
	return NL_OK;
}

/* Each IPv6 address of link IFINDEX (0: of every link), one dump. */
static int address6_foreach(struct qnet_nl *nl, int ifindex, void (*fn)(const struct address6 *a, void *userdata),
			    void *userdata)
{
	struct ifaddrmsg ifa = { .ifa_family = AF_INET6, .ifa_index = (unsigned)ifindex };
	struct address_walk w = { fn, userdata };
	struct nl_msg *msg;
	int r;

	msg = nlmsg_alloc_simple(RTM_GETADDR, NLM_F_DUMP);
	if (!msg || nlmsg_append(msg, &ifa, sizeof(ifa), NLMSG_ALIGNTO) < 0)
		r = -ENOMEM;
	else
		r = qnet_nl_query(nl, msg, address_msg, &w);
	nlmsg_free(msg);
	return r;
}

static void ra_address(const struct address6 *a, void *userdata)
{
	if (a->protocol == IFAPROT_KERNEL_RA)
		ra_link_add(userdata, a->ifindex);
}

int qnet_route_ipv6_ra_links(struct qnet_nl *nl, int **ret, size_t *n)
{
	struct ra_links l = { 0 };
	int r;

	r = route_foreach(nl, AF_INET6, ra_route, &l);
	if (r == 0)
		r = address6_foreach(nl, 0, ra_address, &l);
	if (r == 0 && l.oom)
		r = -ENOMEM;
	if (r < 0) {
		free(l.ifindex);
		return r;
	}
	*ret = l.ifindex;
	*n = l.n;
	return 0;
}

struct prefixes64 {
	int ifindex;
	struct in6_addr *v;
	size_t n;
	bool oom;
};

static void add_prefix64(const struct address6 *a, void *userdata)
{
	struct prefixes64 *p = userdata;
	struct in6_addr net = a->addr, *v;

	/* The dump's ifindex filter is the kernel's to honour (it does since
	 * Linux 5.3 with strict checking, not before): check again. */
	if (p->oom || a->ifindex != p->ifindex || a->scope != RT_SCOPE_UNIVERSE || a->prefix != 64)
		return;
	memset(net.s6_addr + 8, 0, 8);
	for (size_t i = 0; i < p->n; i++)
		if (IN6_ARE_ADDR_EQUAL(&p->v[i], &net))
			return;
	v = reallocarray(p->v, p->n + 1, sizeof(*v));
	if (!v) {
		p->oom = true;
		return;
	}
	p->v = v;
	v[p->n++] = net;
}

int qnet_route_ipv6_prefixes64(struct qnet_nl *nl, int ifindex, struct in6_addr **ret, size_t *n)
{
	struct prefixes64 p = { .ifindex = ifindex };
	int r = address6_foreach(nl, ifindex, add_prefix64, &p);

	if (r == 0 && p.oom)
		r = -ENOMEM;
	if (r < 0) {
		free(p.v);
		return r;
	}
	*ret = p.v;
	*n = p.n;
	return 0;
}

struct lookup {
	int oif;
	unsigned type;
	bool found;
};

static int lookup_msg(struct nl_msg *msg, void *arg)
{
	static struct nla_policy policy[RTA_MAX + 1] = { [RTA_OIF] = { .type = NLA_U32 } };
	struct lookup *l = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *tb[RTA_MAX + 1];

	if (l->found || h->nlmsg_type != RTM_NEWROUTE || !nlmsg_valid_hdr(h, sizeof(struct rtmsg)) ||
	    nlmsg_parse(h, sizeof(struct rtmsg), tb, RTA_MAX, policy) < 0)
		return NL_OK;
	l->found = true;
	l->type = ((struct rtmsg *)nlmsg_data(h))->rtm_type;
	l->oif = tb[RTA_OIF] ? (int)nla_get_u32(tb[RTA_OIF]) : 0;
	return NL_OK;
}

int qnet_route_get(struct qnet_nl *nl, int family, const void *dst, int *oif, bool *local)
{
	size_t len = family == AF_INET6 ? 16 : 4;
	struct rtmsg rtm = { .rtm_family = (unsigned char)family, .rtm_dst_len = (unsigned char)(len * 8) };
	_cleanup_nlmsg_ struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETROUTE, 0);
	struct lookup l = { .found = false };
	int r;

	if (!msg || nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0 || nla_put(msg, RTA_DST, (int)len, dst) < 0)
		return -ENOMEM;
	r = qnet_nl_query(nl, msg, lookup_msg, &l);
	if (r < 0)
		return r;
	if (!l.found)
		return -ENETUNREACH;
	*oif = l.oif;
	*local = l.type == RTN_LOCAL;
	return 0;
}
