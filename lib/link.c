// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <string.h>

#include "link.h"
#include "macro.h"

static void link_freep(struct rtnl_link **l)
{
	if (*l)
		rtnl_link_put(*l);
}
#define _cleanup_link_ __attribute__((cleanup(link_freep)))

static void msg_freep(struct nl_msg **m)
{
	if (*m)
		nlmsg_free(*m);
}
#define _cleanup_msg_ __attribute__((cleanup(msg_freep)))

static void from_rtnl(struct rtnl_link *l, struct qnet_link *ret)
{
	struct nl_addr *mac = rtnl_link_get_addr(l);
	const char *kind = rtnl_link_get_type(l);

	memset(ret, 0, sizeof(*ret));
	ret->ifindex = rtnl_link_get_ifindex(l);
	snprintf(ret->name, sizeof(ret->name), "%s", rtnl_link_get_name(l) ?: "");
	ret->master = rtnl_link_get_master(l);
	ret->mtu = rtnl_link_get_mtu(l);
	ret->flags = rtnl_link_get_flags(l);
	if (mac && nl_addr_get_len(mac) == sizeof(ret->mac))
		memcpy(ret->mac, nl_addr_get_binary_addr(mac), sizeof(ret->mac));
	if (kind)
		snprintf(ret->kind, sizeof(ret->kind), "%s", kind);
	ret->is_bridge = kind && streq(kind, "bridge");
}

static int link_get(struct qnet_nl *nl, int ifindex, const char *name, struct qnet_link *ret)
{
	_cleanup_link_ struct rtnl_link *l = NULL;
	int r;

	r = qnet_nl_result(nl, rtnl_link_get_kernel(nl->sk, ifindex, name, &l));
	if (r == -ENODEV || r == -ENOENT)
		return -ENODEV;
	if (r < 0)
		return r;
	from_rtnl(l, ret);
	return 0;
}

int qnet_link_get(struct qnet_nl *nl, const char *name, struct qnet_link *ret)
{
	return link_get(nl, 0, name, ret);
}

int qnet_link_get_by_index(struct qnet_nl *nl, int ifindex, struct qnet_link *ret)
{
	return link_get(nl, ifindex, NULL, ret);
}

/* RTM_NEWLINK on an existing index changes only what CHANGE carries. */
static int link_change(struct qnet_nl *nl, struct rtnl_link *change)
{
	return qnet_nl_result(nl, rtnl_link_change(nl->sk, change, change, 0));
}

static struct rtnl_link *change_alloc(int ifindex)
{
	struct rtnl_link *c = rtnl_link_alloc();

	if (c)
		rtnl_link_set_ifindex(c, ifindex);
	return c;
}

int qnet_link_set_up(struct qnet_nl *nl, int ifindex, bool up)
{
	_cleanup_link_ struct rtnl_link *c = change_alloc(ifindex);

	if (!c)
		return -ENOMEM;
	if (up)
		rtnl_link_set_flags(c, IFF_UP);
	else
		rtnl_link_unset_flags(c, IFF_UP);
	return link_change(nl, c);
}

int qnet_link_set_master(struct qnet_nl *nl, int ifindex, int master)
{
	_cleanup_link_ struct rtnl_link *c = change_alloc(ifindex);

	if (!c)
		return -ENOMEM;
	rtnl_link_set_master(c, master);
	return link_change(nl, c);
}

int qnet_link_set_mtu(struct qnet_nl *nl, int ifindex, unsigned mtu)
{
	_cleanup_link_ struct rtnl_link *c = change_alloc(ifindex);

	if (!c)
		return -ENOMEM;
	rtnl_link_set_mtu(c, mtu);
	return link_change(nl, c);
}

int qnet_link_set_mac(struct qnet_nl *nl, int ifindex, const uint8_t mac[6])
{
	_cleanup_link_ struct rtnl_link *c = change_alloc(ifindex);
	struct nl_addr *a;

	if (!c)
		return -ENOMEM;
	a = nl_addr_build(AF_LLC, mac, 6);
	if (!a)
		return -ENOMEM;
	rtnl_link_set_addr(c, a);
	nl_addr_put(a);
	return link_change(nl, c);
}

int qnet_link_delete(struct qnet_nl *nl, int ifindex)
{
	_cleanup_link_ struct rtnl_link *c = change_alloc(ifindex);

	if (!c)
		return -ENOMEM;
	return qnet_nl_result(nl, rtnl_link_delete(nl->sk, c));
}

int qnet_bridge_create(struct qnet_nl *nl, const char *name, int *ifindex)
{
	_cleanup_link_ struct rtnl_link *b = rtnl_link_bridge_alloc();
	struct qnet_link l;
	int r;

	if (!b)
		return -ENOMEM;
	rtnl_link_set_name(b, name);
	r = qnet_nl_result(nl, rtnl_link_add(nl->sk, b, NLM_F_CREATE | NLM_F_EXCL));
	if (r < 0)
		return r;
	r = qnet_link_get(nl, name, &l);
	if (r < 0)
		return r;
	if (ifindex)
		*ifindex = l.ifindex;
	return 0;
}

struct port_walk {
	int bridge;
	qnet_port_fn fn;
	void *userdata;
	int result;
};

struct link_parse {
	struct qnet_link *ret;
	int found;
};

static void link_parsed(struct nl_object *obj, void *arg)
{
	struct link_parse *p = arg;

	if (p->found)
		return;
	from_rtnl((struct rtnl_link *)obj, p->ret);
	p->found = 1;
}

int qnet_link_from_msg(struct nl_msg *msg, struct qnet_link *ret)
{
	struct link_parse p = { .ret = ret };
	int type = nlmsg_hdr(msg)->nlmsg_type;
	int r;

	/* nl_msg_parse would hand us any route object; only links are links. */
	if (type != RTM_NEWLINK)
		return 0;
	r = nl_msg_parse(msg, link_parsed, &p);
	if (r < 0)
		return qnet_errno_from_nl(r);
	return p.found;
}

static int port_msg(struct nl_msg *msg, void *arg)
{
	struct port_walk *w = arg;
	struct qnet_link l;
	int r = qnet_link_from_msg(msg, &l);

	if (r < 0) {
		w->result = r;
		return NL_STOP;
	}
	/* Older kernels ignore the IFLA_MASTER filter: check again. */
	if (r == 0 || l.master != w->bridge || !w->fn)
		return NL_OK;
	w->result = w->fn(&l, w->userdata);
	return w->result ? NL_STOP : NL_OK;
}

int qnet_bridge_foreach_port(struct qnet_nl *nl, int bridge, qnet_port_fn fn, void *userdata)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct port_walk w = { .bridge = bridge, .fn = fn, .userdata = userdata };
	_cleanup_msg_ struct nl_msg *msg = NULL;
	struct nl_cb *cb;
	int r;

	msg = nlmsg_alloc_simple(RTM_GETLINK, NLM_F_DUMP);
	if (!msg)
		return -ENOMEM;
	/* The kernel filters the dump by master: we read the bridge's ports, not every link. */
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    nla_put_u32(msg, IFLA_MASTER, (uint32_t)bridge) < 0)
		return -ENOMEM;
	r = nl_send_auto(nl->sk, msg);
	if (r < 0)
		return qnet_nl_result(nl, r);
	cb = qnet_nl_cb_clone(nl);
	if (!cb)
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, port_msg, &w);
	r = nl_recvmsgs(nl->sk, cb);
	nl_cb_put(cb);
	if (w.result)
		return w.result;
	return qnet_nl_result(nl, r);
}

static int count_one(const struct qnet_link *port, void *userdata)
{
	(*(int *)userdata)++;
	return 0;
}

int qnet_bridge_count_ports(struct qnet_nl *nl, int bridge)
{
	int n = 0, r;

	r = qnet_bridge_foreach_port(nl, bridge, count_one, &n);
	return r < 0 ? r : n;
}

int qnet_bridge_port_set_isolated(struct qnet_nl *nl, int ifindex, bool isolated)
{
	struct ifinfomsg ifi = { .ifi_family = AF_BRIDGE, .ifi_index = ifindex };
	_cleanup_msg_ struct nl_msg *msg = NULL;
	struct nlattr *protinfo;
	int r;

	msg = nlmsg_alloc_simple(RTM_SETLINK, NLM_F_ACK);
	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0)
		return -ENOMEM;
	protinfo = nla_nest_start(msg, IFLA_PROTINFO | NLA_F_NESTED);
	if (!protinfo || nla_put_u8(msg, IFLA_BRPORT_ISOLATED, isolated) < 0)
		return -ENOMEM;
	nla_nest_end(msg, protinfo);
	r = nl_send_auto(nl->sk, msg);
	if (r >= 0)
		r = nl_wait_for_ack(nl->sk);
	return qnet_nl_result(nl, r);
}

int qnet_addr_add_ipv4(struct qnet_nl *nl, int ifindex, struct in_addr addr, unsigned prefix)
{
	struct rtnl_addr *a = rtnl_addr_alloc();
	struct nl_addr *local;
	int r;

	if (!a)
		return -ENOMEM;
	local = nl_addr_build(AF_INET, &addr, sizeof(addr));
	if (!local) {
		rtnl_addr_put(a);
		return -ENOMEM;
	}
	nl_addr_set_prefixlen(local, (int)prefix);
	rtnl_addr_set_ifindex(a, ifindex);
	rtnl_addr_set_local(a, local);
	nl_addr_put(local);
	r = qnet_nl_result(nl, rtnl_addr_add(nl->sk, a, 0));
	rtnl_addr_put(a);
	return r;
}
