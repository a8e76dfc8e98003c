/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Links through rtnetlink messages built and parsed with libnl-3's core. A
 * link is looked up by name or index with one RTM_GETLINK request, never by
 * dumping every link: the cost of attaching a TAP must not grow with the
 * number of links on the host. libnl-route-3 is not used: its 70-odd
 * constructors and relocations cost a third of a process start (bench/),
 * paid by every VM start for objects we never use.
 */
#pragma once

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "netlink.h"

struct qnet_link {
	int ifindex;
	char name[IFNAMSIZ];
	int master;          /* ifindex of the master, 0 if none */
	unsigned mtu;
	unsigned flags;      /* IFF_* */
	uint8_t mac[6];
	bool is_bridge;
	char kind[16];       /* rtnl link kind ("bridge", "tun", "veth"), "" if none */
	bool isolated;       /* a bridge port with IFLA_BRPORT_ISOLATED set */
};

/* The link whose name is NAME; -ENODEV if there is none (also when NAME is
 * only another link's alternative name). */
int qnet_link_get(struct qnet_nl *nl, const char *name, struct qnet_link *ret);
/* The link NAME or an alternative name of it refers to, as the kernel
 * resolves names a user typed; RET->name is the link's own name, the one to
 * decide on and to log. -ENODEV if neither exists. */
int qnet_link_resolve(struct qnet_nl *nl, const char *name, struct qnet_link *ret);
int qnet_link_get_by_index(struct qnet_nl *nl, int ifindex, struct qnet_link *ret);

/*
 * How L (as netlink reported it) came by its MAC address: its
 * addr_assign_type, QNET_LINK_ADDR_SET when an administrator set it.
 * rtnetlink does not report it and sysfs does, but /sys may belong to
 * another network namespace: -ESTALE unless sysfs's link of that name has
 * L's ifindex and address. -errno if sysfs cannot be read.
 */
#define QNET_LINK_ADDR_SET 3 /* NET_ADDR_SET; linux/netdevice.h drags in more than this */
int qnet_link_addr_assign_type(const struct qnet_link *l);

/* One RTM_NEWLINK that changes only what it names: MTU 0, master -1, up -1
 * and mac NULL mean "leave as it is"; master 0 detaches. */
struct qnet_link_change {
	int ifindex;
	unsigned mtu;
	int master;
	int up;
	const uint8_t *mac;
};
static inline struct qnet_link_change qnet_link_change_init(int ifindex)
{
	return (struct qnet_link_change){ .ifindex = ifindex, .master = -1, .up = -1 };
}
int qnet_link_change(struct qnet_nl *nl, const struct qnet_link_change *c);

int qnet_link_set_up(struct qnet_nl *nl, int ifindex, bool up);
int qnet_link_set_master(struct qnet_nl *nl, int ifindex, int master); /* 0 detaches */
int qnet_link_set_mtu(struct qnet_nl *nl, int ifindex, unsigned mtu);
int qnet_link_set_mac(struct qnet_nl *nl, int ifindex, const uint8_t mac[6]);
int qnet_link_delete(struct qnet_nl *nl, int ifindex);
/* An rtnetlink message with its ifinfomsg, NULL when out of memory: for
 * a request of a kind of link this module does not know (lib/vxlan.c). */
struct nl_msg;
struct nl_msg *qnet_link_msg(int type, int flags, int family, int ifindex);

/* Create link NAME of rtnl link kind KIND ("bridge", "ifb"), down, and
 * return its ifindex in IFINDEX (if not NULL). -EEXIST if a link of that
 * name exists. */
int qnet_link_create(struct qnet_nl *nl, const char *name, const char *kind, int *ifindex);
/* Create bridge NAME (down, no ports). -EEXIST if a link of that name exists. */
int qnet_link_bridge_create(struct qnet_nl *nl, const char *name, int *ifindex);
/* FN for each link of a set, from the kernel; a non-zero return of FN
 * stops the walk and is returned. */
typedef int (*qnet_link_fn)(const struct qnet_link *l, void *userdata);
/* Ports of a bridge (a dump filtered by IFLA_MASTER). */
int qnet_link_bridge_foreach_port(struct qnet_nl *nl, int bridge, qnet_link_fn fn, void *userdata);
/* Links of rtnl link kind KIND (a dump filtered by kind). */
int qnet_link_foreach_kind(struct qnet_nl *nl, const char *kind, qnet_link_fn fn, void *userdata);
int qnet_link_bridge_count_ports(struct qnet_nl *nl, int bridge);
/* The MACs BRIDGE's forwarding database learned on PORT (not its own,
 * permanent, ones): the first MAX into MACS, how many there are in *N. */
int qnet_link_fdb_learned(struct qnet_nl *nl, int bridge, int port, uint8_t (*macs)[6], size_t max, size_t *n);
int qnet_link_bridge_port_set_isolated(struct qnet_nl *nl, int ifindex, bool isolated);

int qnet_link_add_ipv4(struct qnet_nl *nl, int ifindex, struct in_addr addr, unsigned prefix);
/* ADDR/PREFIX on the link, usable at once (no DAD); -EEXIST if it is there. */
int qnet_link_add_ipv6(struct qnet_nl *nl, int ifindex, const struct in6_addr *addr, unsigned prefix);
