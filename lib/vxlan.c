// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "link.h"
#include "macro.h"
#include "sha256.h"
#include "vxlan.h"

#define ALIAS_PREFIX "qnet network "

void qnet_vxlan_ifname(const char *network, char name[IFNAMSIZ])
{
	uint8_t h[QNET_SHA256_SIZE];

	qnet_sha256(network, strlen(network), h);
	snprintf(name, IFNAMSIZ, "qvx%02x%02x%02x%02x", h[0], h[1], h[2], h[3]);
}

static int set_alias(struct qnet_nl *nl, int ifindex, const char *alias)
{
	_cleanup_nlmsg_ struct nl_msg *msg = qnet_link_msg(RTM_NEWLINK, NLM_F_ACK, AF_UNSPEC, ifindex);

	if (!msg || nla_put_string(msg, IFLA_IFALIAS, alias) < 0)
		return -ENOMEM;
	return qnet_nl_request(nl, msg);
}

int qnet_vxlan_create(struct qnet_nl *nl, const struct qnet_vxlan *v, int *ifindex)
{
	_cleanup_nlmsg_ struct nl_msg *msg =
		qnet_link_msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, AF_UNSPEC, 0);
	struct nlattr *info, *data;
	struct qnet_link l;
	int r;

	char alias[sizeof(ALIAS_PREFIX) + QNET_NAME_MAX];

	snprintf(alias, sizeof(alias), ALIAS_PREFIX "%s", v->network);
	if (!msg || nla_put_string(msg, IFLA_IFNAME, v->name) < 0 ||
	    (v->mtu && nla_put_u32(msg, IFLA_MTU, v->mtu) < 0) ||
	    nla_put_u32(msg, IFLA_MASTER, (uint32_t)v->master) < 0)
		return -ENOMEM;
	info = nla_nest_start(msg, IFLA_LINKINFO);
	if (!info || nla_put_string(msg, IFLA_INFO_KIND, "vxlan") < 0)
		return -ENOMEM;
	data = nla_nest_start(msg, IFLA_INFO_DATA);
	if (!data || nla_put_u32(msg, IFLA_VXLAN_ID, v->vni) < 0 ||
	    nla_put_u16(msg, IFLA_VXLAN_PORT, htons(v->port)) < 0 ||
	    nla_put_u8(msg, IFLA_VXLAN_LEARNING, 1) < 0 ||
	    (v->underlay && nla_put_u32(msg, IFLA_VXLAN_LINK, (uint32_t)v->underlay) < 0))
		return -ENOMEM;
	/* No remote of its own (the flood entries are the remotes), so the
	 * kernel would open an IPv4 socket: the unspecified IPv6 group
	 * makes it an IPv6 device without naming a group. */
	if (v->family == AF_INET6 && nla_put(msg, IFLA_VXLAN_GROUP6, sizeof(struct in6_addr), &in6addr_any) < 0)
		return -ENOMEM;
	nla_nest_end(msg, data);
	nla_nest_end(msg, info);
	r = qnet_nl_request(nl, msg);
	if (r < 0)
		return r;
	r = qnet_link_get(nl, v->name, &l);
	if (r < 0)
		return r;
	/* A new link takes no alias (only a change sets one): it is set
	 * while the device is still down, and without it the device is not
	 * ours, so it goes again. */
	r = set_alias(nl, l.ifindex, alias);
	if (r < 0) {
		(void)qnet_link_delete(nl, l.ifindex);
		return r;
	}
	if (ifindex)
		*ifindex = l.ifindex;
	return 0;
}

/* An RTM_{NEW,DEL}NEIGH of the all-zeros entry for PEER. */
static int flood_msg(struct qnet_nl *nl, int type, int flags, int ifindex, const struct qnet_peer *peer)
{
	struct ndmsg ndm = { .ndm_family = AF_BRIDGE, .ndm_ifindex = ifindex,
			     .ndm_state = NUD_NOARP | NUD_PERMANENT, .ndm_flags = NTF_SELF };
	_cleanup_nlmsg_ struct nl_msg *msg = nlmsg_alloc_simple(type, flags | NLM_F_ACK);
	static const uint8_t zero[6];

	if (!msg || nlmsg_append(msg, &ndm, sizeof(ndm), NLMSG_ALIGNTO) < 0 ||
	    nla_put(msg, NDA_LLADDR, sizeof(zero), zero) < 0 ||
	    (peer->family == AF_INET6 ? nla_put(msg, NDA_DST, sizeof(peer->ip6), &peer->ip6)
				      : nla_put(msg, NDA_DST, sizeof(peer->ip), &peer->ip)) < 0)
		return -ENOMEM;
	return qnet_nl_request(nl, msg);
}

int qnet_vxlan_flood_add(struct qnet_nl *nl, int ifindex, const struct qnet_peer *peer)
{
	/* APPEND: one more remote of the same all-zeros entry; one that is
	 * there already is no change. */
	return flood_msg(nl, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_APPEND, ifindex, peer);
}

int qnet_vxlan_flood_del(struct qnet_nl *nl, int ifindex, const struct qnet_peer *peer)
{
	int r = flood_msg(nl, RTM_DELNEIGH, 0, ifindex, peer);

	return r == -ENOENT ? 0 : r;
}

struct flood_walk {
	int ifindex;
	struct qnet_peer *peers;
	size_t n;
	int r;
};

static int flood_entry(struct nl_msg *msg, void *arg)
{
	static struct nla_policy policy[NDA_MAX + 1] = { [NDA_LLADDR] = { .minlen = 6 } };
	static const uint8_t zero[6];
	struct flood_walk *w = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *tb[NDA_MAX + 1];
	struct qnet_peer peer = { 0 }, *a;
	struct ndmsg *ndm;

	if (h->nlmsg_type != RTM_NEWNEIGH || !nlmsg_valid_hdr(h, sizeof(*ndm)) ||
	    nlmsg_parse(h, sizeof(*ndm), tb, NDA_MAX, policy) < 0)
		return NL_OK;
	ndm = nlmsg_data(h);
	if (ndm->ndm_family != AF_BRIDGE || ndm->ndm_ifindex != w->ifindex || !tb[NDA_LLADDR] || !tb[NDA_DST] ||
	    memcmp(nla_data(tb[NDA_LLADDR]), zero, sizeof(zero)))
		return NL_OK;
	if (nla_len(tb[NDA_DST]) == sizeof(peer.ip6)) {
		peer.family = AF_INET6;
		memcpy(&peer.ip6, nla_data(tb[NDA_DST]), sizeof(peer.ip6));
	} else if (nla_len(tb[NDA_DST]) == sizeof(peer.ip)) {
		peer.family = AF_INET;
		memcpy(&peer.ip, nla_data(tb[NDA_DST]), sizeof(peer.ip));
	} else {
		return NL_OK;
	}
	a = reallocarray(w->peers, w->n + 1, sizeof(*a));
	if (!a) {
		w->r = -ENOMEM;
		return NL_STOP;
	}
	w->peers = a;
	a[w->n++] = peer;
	return NL_OK;
}

int qnet_vxlan_flood_list(struct qnet_nl *nl, int ifindex, struct qnet_peer **ret, size_t *n)
{
	struct ndmsg ndm = { .ndm_family = AF_BRIDGE };
	_cleanup_nlmsg_ struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETNEIGH, NLM_F_DUMP);
	struct flood_walk w = { .ifindex = ifindex };
	int r;

	*ret = NULL;
	*n = 0;
	if (!msg || nlmsg_append(msg, &ndm, sizeof(ndm), NLMSG_ALIGNTO) < 0)
		return -ENOMEM;
	r = qnet_nl_query(nl, msg, flood_entry, &w);
	if (r == 0)
		r = w.r;
	if (r < 0) {
		free(w.peers);
		return r;
	}
	*ret = w.peers;
	*n = w.n;
	return 0;
}

static bool listed(const struct qnet_peer *peers, size_t n, const struct qnet_peer *p)
{
	for (size_t i = 0; i < n; i++)
		if (qnet_config_peer_equal(&peers[i], p))
			return true;
	return false;
}

int qnet_vxlan_flood_set(struct qnet_nl *nl, int ifindex, const struct qnet_peer *peers, size_t n)
{
	_cleanup_free_ struct qnet_peer *now = NULL;
	size_t n_now = 0;
	int r;

	for (size_t i = 0; i < n; i++) {
		r = qnet_vxlan_flood_add(nl, ifindex, &peers[i]);
		if (r < 0)
			return r;
	}
	r = qnet_vxlan_flood_list(nl, ifindex, &now, &n_now);
	for (size_t i = 0; r == 0 && i < n_now; i++)
		if (!listed(peers, n, &now[i]))
			r = qnet_vxlan_flood_del(nl, ifindex, &now[i]);
	return r;
}

struct vxlan_info {
	uint32_t vni;
	uint16_t port;
	char alias[64];
};

static int vxlan_info(struct nl_msg *msg, void *arg)
{
	struct vxlan_info *v = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *tb[IFLA_MAX + 1], *li[IFLA_INFO_MAX + 1], *vx[IFLA_VXLAN_MAX + 1];

	if (h->nlmsg_type != RTM_NEWLINK || nlmsg_parse(h, sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL) < 0)
		return NL_OK;
	if (tb[IFLA_IFALIAS])
		snprintf(v->alias, sizeof(v->alias), "%.*s", nla_len(tb[IFLA_IFALIAS]), (const char *)nla_data(tb[IFLA_IFALIAS]));
	if (!tb[IFLA_LINKINFO] || nla_parse_nested(li, IFLA_INFO_MAX, tb[IFLA_LINKINFO], NULL) < 0 ||
	    !li[IFLA_INFO_KIND] || !li[IFLA_INFO_DATA] || strncmp(nla_data(li[IFLA_INFO_KIND]), "vxlan", 6) ||
	    nla_parse_nested(vx, IFLA_VXLAN_MAX, li[IFLA_INFO_DATA], NULL) < 0)
		return NL_OK;
	if (vx[IFLA_VXLAN_ID] && nla_len(vx[IFLA_VXLAN_ID]) >= 4)
		v->vni = nla_get_u32(vx[IFLA_VXLAN_ID]);
	if (vx[IFLA_VXLAN_PORT] && nla_len(vx[IFLA_VXLAN_PORT]) >= 2)
		v->port = ntohs(nla_get_u16(vx[IFLA_VXLAN_PORT]));
	return NL_OK;
}

int qnet_vxlan_get(struct qnet_nl *nl, int ifindex, const char *network, uint32_t *vni, uint16_t *port,
		   bool *ours)
{
	char alias[sizeof(ALIAS_PREFIX) + QNET_NAME_MAX];
	_cleanup_nlmsg_ struct nl_msg *msg = qnet_link_msg(RTM_GETLINK, 0, AF_UNSPEC, ifindex);
	struct vxlan_info v = { 0 };
	int r;

	if (!msg)
		return -ENOMEM;
	r = qnet_nl_query(nl, msg, vxlan_info, &v);
	if (r < 0)
		return r;
	*vni = v.vni;
	*port = v.port;
	snprintf(alias, sizeof(alias), ALIAS_PREFIX "%s", network);
	*ours = v.vni && streq(v.alias, alias);
	return 0;
}
