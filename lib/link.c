// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "file.h"
#include "link-private.h"
#include "macro.h"
#include "parse.h"

/* The largest request made with it (a VXLAN device's name, kind and
 * data, lib/vxlan.c) is under 160 bytes. */
struct nl_msg *qnet_link_msg(int type, int flags, int family, int ifindex)
{
	struct ifinfomsg ifi = { .ifi_family = (unsigned char)family, .ifi_index = ifindex };
	struct nl_msg *msg = qnet_nl_msg_new(type, flags, 256);

	if (msg && nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/*
 * An RTM_GETLINK that asks for no statistics: qnet_link_from_msg() reads
 * none, and the kernel sums each per-CPU counter to send them. Linux 6.18
 * leaves out the IPv6 and ICMPv6 ones (368 of a bridge's 1880 bytes), for
 * a single link as for a dump, and still sends IFLA_STATS64 and
 * IFLA_STATS; a kernel that skips those too saves more, one that does not
 * know the bit ignores it.
 */
static struct nl_msg *link_get_msg(int flags, int ifindex)
{
	struct nl_msg *msg = qnet_link_msg(RTM_GETLINK, flags, AF_UNSPEC, ifindex);

	if (msg && nla_put_u32(msg, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS) < 0) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int qnet_link_from_msg(struct nl_msg *msg, struct qnet_link *ret)
{
	/* The kernel's messages are well-formed; the policy keeps a malformed
	 * one from being read past its end all the same. */
	static struct nla_policy policy[IFLA_MAX + 1] = {
		[IFLA_IFNAME] = { .type = NLA_STRING, .maxlen = IFNAMSIZ },
		[IFLA_MTU] = { .type = NLA_U32 },
		[IFLA_MASTER] = { .type = NLA_U32 },
		[IFLA_LINKINFO] = { .type = NLA_NESTED },
	};
	static struct nla_policy info_policy[IFLA_INFO_MAX + 1] = {
		[IFLA_INFO_KIND] = { .type = NLA_STRING },
		[IFLA_INFO_SLAVE_KIND] = { .type = NLA_STRING },
		[IFLA_INFO_SLAVE_DATA] = { .type = NLA_NESTED },
	};
	static struct nla_policy brport_policy[IFLA_BRPORT_MAX + 1] = {
		[IFLA_BRPORT_ISOLATED] = { .type = NLA_U8 },
	};
	struct nlattr *tb[IFLA_MAX + 1], *info[IFLA_INFO_MAX + 1], *brport[IFLA_BRPORT_MAX + 1];
	char slave_kind[16] = "";
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct ifinfomsg *ifi;

	if (h->nlmsg_type != RTM_NEWLINK)
		return 0;
	if (!nlmsg_valid_hdr(h, sizeof(*ifi)) || nlmsg_parse(h, sizeof(*ifi), tb, IFLA_MAX, policy) < 0)
		return -EBADMSG;
	ifi = nlmsg_data(h);
	memset(ret, 0, sizeof(*ret));
	ret->ifindex = ifi->ifi_index;
	ret->flags = ifi->ifi_flags;
	if (tb[IFLA_IFNAME])
		nla_strlcpy(ret->name, tb[IFLA_IFNAME], sizeof(ret->name));
	if (tb[IFLA_MASTER])
		ret->master = (int)nla_get_u32(tb[IFLA_MASTER]);
	if (tb[IFLA_MTU])
		ret->mtu = nla_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_ADDRESS] && nla_len(tb[IFLA_ADDRESS]) == sizeof(ret->mac))
		memcpy(ret->mac, nla_data(tb[IFLA_ADDRESS]), sizeof(ret->mac));
	if (tb[IFLA_LINKINFO] && nla_parse_nested(info, IFLA_INFO_MAX, tb[IFLA_LINKINFO], info_policy) == 0) {
		if (info[IFLA_INFO_KIND])
			nla_strlcpy(ret->kind, info[IFLA_INFO_KIND], sizeof(ret->kind));
		if (info[IFLA_INFO_SLAVE_KIND])
			nla_strlcpy(slave_kind, info[IFLA_INFO_SLAVE_KIND], sizeof(slave_kind));
		/* A bridge port's settings come with the link, as `ip -d link`
		 * shows them: no AF_BRIDGE request per port. */
		if (streq(slave_kind, "bridge") && info[IFLA_INFO_SLAVE_DATA] &&
		    nla_parse_nested(brport, IFLA_BRPORT_MAX, info[IFLA_INFO_SLAVE_DATA], brport_policy) == 0 &&
		    brport[IFLA_BRPORT_ISOLATED])
			ret->isolated = nla_get_u8(brport[IFLA_BRPORT_ISOLATED]) != 0;
	}
	ret->is_bridge = streq(ret->kind, "bridge");
	return 1;
}

struct link_reply {
	struct qnet_link *ret;
	int found; /* 1, or -errno of a malformed reply */
};

static int link_reply(struct nl_msg *msg, void *arg)
{
	struct link_reply *p = arg;

	if (p->found == 0)
		p->found = qnet_link_from_msg(msg, p->ret);
	return NL_OK;
}

/* One RTM_GETLINK for one link, by index or by name: never a dump. */
static int link_get(struct qnet_nl *nl, int ifindex, const char *name, struct qnet_link *ret)
{
	_cleanup_nlmsg_ struct nl_msg *msg = link_get_msg(0, ifindex);
	struct link_reply p = { .ret = ret };
	int r;

	if (!msg || (name && nla_put_string(msg, IFLA_IFNAME, name) < 0))
		return -ENOMEM;
	r = qnet_nl_query(nl, msg, link_reply, &p);
	if (r == -ENODEV || r == -ENOENT)
		return -ENODEV;
	if (r < 0)
		return r;
	if (p.found < 0)
		return p.found;
	return p.found ? 0 : -EPROTO;
}

int qnet_link_get(struct qnet_nl *nl, const char *name, struct qnet_link *ret)
{
	int r = link_get(nl, 0, name, ret);

	/* The kernel finds a link by an alternative name too (`ip link
	 * property add dev br0 altname lan0`): a name we own or were given
	 * by QEMU must be the link's own name, or a foreign link would be
	 * taken, reconfigured or deleted for ours. */
	if (r == 0 && !streq(ret->name, name))
		return -ENODEV;
	return r;
}

int qnet_link_resolve(struct qnet_nl *nl, const char *name, struct qnet_link *ret)
{
	return link_get(nl, 0, name, ret);
}

int qnet_link_get_by_index(struct qnet_nl *nl, int ifindex, struct qnet_link *ret)
{
	return link_get(nl, ifindex, NULL, ret);
}

/* The first line of /sys/class/net/NAME/ATTR into BUF. */
static int sysfs_read(const char *name, const char *attr, char *buf, size_t size)
{
	char path[PATH_MAX];
	int r;

	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", name, attr);
	r = qnet_file_read_small(path, buf, size);
	if (r == 0)
		buf[strcspn(buf, "\n")] = '\0';
	return r;
}

int qnet_link_addr_assign_type(const struct qnet_link *l)
{
	char buf[64], mac[QNET_ADDR_MAC_SIZE];
	unsigned long v;
	int r;

	r = sysfs_read(l->name, "ifindex", buf, sizeof(buf));
	if (r < 0)
		return r == -ENOENT ? -ESTALE : r;
	if (qnet_parse_uint(buf, INT32_MAX, &v) < 0 || (int)v != l->ifindex)
		return -ESTALE;
	r = sysfs_read(l->name, "address", buf, sizeof(buf));
	if (r < 0)
		return r;
	if (!streq(buf, qnet_addr_format_mac(l->mac, mac)))
		return -ESTALE;
	r = sysfs_read(l->name, "addr_assign_type", buf, sizeof(buf));
	if (r < 0)
		return r;
	if (qnet_parse_uint(buf, 255, &v) < 0)
		return -EBADMSG;
	return (int)v;
}

int qnet_link_change(struct qnet_nl *nl, const struct qnet_link_change *c)
{
	_cleanup_nlmsg_ struct nl_msg *msg = qnet_link_msg(RTM_NEWLINK, NLM_F_ACK, AF_UNSPEC, c->ifindex);
	struct ifinfomsg *ifi;

	if (!msg)
		return -ENOMEM;
	if (c->up >= 0) {
		ifi = nlmsg_data(nlmsg_hdr(msg));
		ifi->ifi_change = IFF_UP;
		ifi->ifi_flags = c->up ? IFF_UP : 0;
	}
	if ((c->mtu && nla_put_u32(msg, IFLA_MTU, c->mtu) < 0) ||
	    (c->master >= 0 && nla_put_u32(msg, IFLA_MASTER, (uint32_t)c->master) < 0) ||
	    (c->mac && nla_put(msg, IFLA_ADDRESS, 6, c->mac) < 0))
		return -ENOMEM;
	return qnet_nl_request(nl, msg);
}

int qnet_link_set_up(struct qnet_nl *nl, int ifindex, bool up)
{
	struct qnet_link_change c = qnet_link_change_init(ifindex);

	c.up = up;
	return qnet_link_change(nl, &c);
}

int qnet_link_set_master(struct qnet_nl *nl, int ifindex, int master)
{
	struct qnet_link_change c = qnet_link_change_init(ifindex);

	c.master = master;
	return qnet_link_change(nl, &c);
}

int qnet_link_set_mtu(struct qnet_nl *nl, int ifindex, unsigned mtu)
{
	struct qnet_link_change c = qnet_link_change_init(ifindex);

	c.mtu = mtu;
	return qnet_link_change(nl, &c);
}

int qnet_link_set_mac(struct qnet_nl *nl, int ifindex, const uint8_t mac[6])
{
	struct qnet_link_change c = qnet_link_change_init(ifindex);

	c.mac = mac;
	return qnet_link_change(nl, &c);
}

int qnet_link_delete(struct qnet_nl *nl, int ifindex)
{
	_cleanup_nlmsg_ struct nl_msg *msg = qnet_link_msg(RTM_DELLINK, NLM_F_ACK, AF_UNSPEC, ifindex);

	if (!msg)
		return -ENOMEM;
	return qnet_nl_request(nl, msg);
}

int qnet_link_create(struct qnet_nl *nl, const char *name, const char *kind, int *ifindex)
{
	_cleanup_nlmsg_ struct nl_msg *msg =
		qnet_link_msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, AF_UNSPEC, 0);
	struct qnet_link l;
	struct nlattr *info;
	int r;

	if (!msg || nla_put_string(msg, IFLA_IFNAME, name) < 0)
		return -ENOMEM;
	info = nla_nest_start(msg, IFLA_LINKINFO);
	if (!info || nla_put_string(msg, IFLA_INFO_KIND, kind) < 0)
		return -ENOMEM;
	nla_nest_end(msg, info);
	r = qnet_nl_request(nl, msg);
	if (r < 0)
		return r;
	r = qnet_link_get(nl, name, &l);
	if (r < 0)
		return r;
	if (ifindex)
		*ifindex = l.ifindex;
	return 0;
}

int qnet_link_bridge_create(struct qnet_nl *nl, const char *name, int *ifindex)
{
	return qnet_link_create(nl, name, "bridge", ifindex);
}

struct link_walk {
	int master;       /* only links with this master, if not 0 */
	const char *kind; /* only links of this kind, if not NULL */
	qnet_link_fn fn;
	void *userdata;
	int result;
};

static int walk_msg(struct nl_msg *msg, void *arg)
{
	struct link_walk *w = arg;
	struct qnet_link l;
	int r = qnet_link_from_msg(msg, &l);

	if (r < 0) {
		w->result = r;
		return NL_STOP;
	}
	/* Older kernels ignore the dump's filters, and the kind filter works
	 * only for a kind whose module is loaded: check again. */
	if (r == 0 || (w->master && l.master != w->master) || (w->kind && !streq(l.kind, w->kind)) || !w->fn)
		return NL_OK;
	w->result = w->fn(&l, w->userdata);
	return w->result ? NL_STOP : NL_OK;
}

/* A dump the kernel filters by W's master or kind: we read those links,
 * not every link. */
static int link_walk(struct qnet_nl *nl, struct link_walk *w)
{
	_cleanup_nlmsg_ struct nl_msg *msg = link_get_msg(NLM_F_DUMP, 0);
	struct nlattr *info;
	int r;

	if (!msg || (w->master && nla_put_u32(msg, IFLA_MASTER, (uint32_t)w->master) < 0))
		return -ENOMEM;
	if (w->kind) {
		info = nla_nest_start(msg, IFLA_LINKINFO);
		if (!info || nla_put_string(msg, IFLA_INFO_KIND, w->kind) < 0)
			return -ENOMEM;
		nla_nest_end(msg, info);
	}
	r = qnet_nl_query(nl, msg, walk_msg, w);
	return w->result ? w->result : r;
}

int qnet_link_bridge_foreach_port(struct qnet_nl *nl, int bridge, qnet_link_fn fn, void *userdata)
{
	struct link_walk w = { .master = bridge, .fn = fn, .userdata = userdata };

	return link_walk(nl, &w);
}

int qnet_link_foreach_kind(struct qnet_nl *nl, const char *kind, qnet_link_fn fn, void *userdata)
{
	struct link_walk w = { .kind = kind, .fn = fn, .userdata = userdata };

	return link_walk(nl, &w);
}

static int count_one(const struct qnet_link *port, void *userdata)
{
	(*(int *)userdata)++;
	return 0;
}

int qnet_link_bridge_count_ports(struct qnet_nl *nl, int bridge)
{
	int n = 0, r;

	r = qnet_link_bridge_foreach_port(nl, bridge, count_one, &n);
	return r < 0 ? r : n;
}

int qnet_link_bridge_port_set_isolated(struct qnet_nl *nl, int ifindex, bool isolated)
{
	_cleanup_nlmsg_ struct nl_msg *msg = qnet_link_msg(RTM_SETLINK, NLM_F_ACK, AF_BRIDGE, ifindex);
	struct nlattr *protinfo;

	if (!msg)
		return -ENOMEM;
	protinfo = nla_nest_start(msg, IFLA_PROTINFO | NLA_F_NESTED);
	if (!protinfo || nla_put_u8(msg, IFLA_BRPORT_ISOLATED, isolated) < 0)
		return -ENOMEM;
	nla_nest_end(msg, protinfo);
	return qnet_nl_request(nl, msg);
}

int qnet_link_add_ipv4(struct qnet_nl *nl, int ifindex, struct in_addr addr, unsigned prefix)
{
	struct ifaddrmsg ifa = { .ifa_family = AF_INET, .ifa_prefixlen = (unsigned char)prefix,
				 .ifa_index = (unsigned)ifindex };
	_cleanup_nlmsg_ struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWADDR, NLM_F_CREATE | NLM_F_ACK);
	/* What `ip addr add A/P brd +` sets: the subnet's broadcast address. */
	struct in_addr brd = { addr.s_addr | htonl(prefix >= 31 ? 0 : UINT32_MAX >> prefix) };

	if (!msg || nlmsg_append(msg, &ifa, sizeof(ifa), NLMSG_ALIGNTO) < 0 ||
	    nla_put(msg, IFA_LOCAL, sizeof(addr), &addr) < 0 ||
	    nla_put(msg, IFA_ADDRESS, sizeof(addr), &addr) < 0 ||
	    (prefix < 31 && nla_put(msg, IFA_BROADCAST, sizeof(brd), &brd) < 0))
		return -ENOMEM;
	return qnet_nl_request(nl, msg);
}

int qnet_link_add_ipv6(struct qnet_nl *nl, int ifindex, const struct in6_addr *addr, unsigned prefix)
{
	/* No duplicate address detection: the prefix is the network's own and
	 * the bridge is its only router, and DAD would leave the address
	 * tentative (dnsmasq unable to bind it) until the first port brings
	 * the bridge's carrier up and a second has passed. */
	struct ifaddrmsg ifa = { .ifa_family = AF_INET6, .ifa_prefixlen = (unsigned char)prefix,
				 .ifa_flags = IFA_F_NODAD, .ifa_index = (unsigned)ifindex };
	_cleanup_nlmsg_ struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWADDR, NLM_F_CREATE | NLM_F_ACK);

	if (!msg || nlmsg_append(msg, &ifa, sizeof(ifa), NLMSG_ALIGNTO) < 0 ||
	    nla_put(msg, IFA_LOCAL, sizeof(*addr), addr) < 0 ||
	    nla_put(msg, IFA_ADDRESS, sizeof(*addr), addr) < 0)
		return -ENOMEM;
	return qnet_nl_request(nl, msg);
}

struct fdb_walk {
	int bridge, port;
	uint8_t (*macs)[6];
	size_t max, n;
};

static int fdb_msg(struct nl_msg *msg, void *userdata)
{
	struct fdb_walk *w = userdata;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *tb[NDA_MAX + 1];
	const struct ndmsg *nd;

	if (!nlmsg_valid_hdr(h, sizeof(*nd)) || nlmsg_parse(h, sizeof(*nd), tb, NDA_MAX, NULL) < 0)
		return NL_OK;
	nd = nlmsg_data(h);
	/* What the bridge learned on the port: the bridge's entries (they
	 * name it as NDA_MASTER), not its own addresses (permanent), not the
	 * port device's own list (NTF_SELF). */
	if (nd->ndm_ifindex != w->port || (nd->ndm_flags & NTF_SELF) || (nd->ndm_state & NUD_PERMANENT) ||
	    !tb[NDA_MASTER] || nla_len(tb[NDA_MASTER]) != 4 || (int)nla_get_u32(tb[NDA_MASTER]) != w->bridge ||
	    !tb[NDA_LLADDR] || nla_len(tb[NDA_LLADDR]) != 6)
		return NL_OK;
	if (w->n < w->max)
		memcpy(w->macs[w->n], nla_data(tb[NDA_LLADDR]), 6);
	w->n++;
	return NL_OK;
}

int qnet_link_fdb_learned(struct qnet_nl *nl, int bridge, int port, uint8_t (*macs)[6], size_t max, size_t *n)
{
	struct ndmsg nd = { .ndm_family = AF_BRIDGE, .ndm_ifindex = port };
	_cleanup_nlmsg_ struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETNEIGH, NLM_F_DUMP);
	struct fdb_walk w = { .bridge = bridge, .port = port, .macs = macs, .max = max };
	int r;

	if (!msg || nlmsg_append(msg, &nd, sizeof(nd), NLMSG_ALIGNTO) < 0 ||
	    nla_put_u32(msg, NDA_MASTER, (uint32_t)bridge) < 0)
		return -ENOMEM;
	r = qnet_nl_query(nl, msg, fdb_msg, &w);
	*n = w.n;
	return r;
}
