// SPDX-License-Identifier: GPL-2.0-or-later
/* What qnet watch wakes up for (lib/watch.c): nf_tables commits of others
 * that delete something of ours, touch Docker's DOCKER-USER chain or
 * reload firewalld, judged at the commit's NEWGEN; a bridge deleted or
 * taken down. */
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdint.h>
#include <string.h>

#include "nfnl.h"
#include "watch-private.h"
#include "../tap.h"

#define SELF 4242

static union {
	char c[8192];
	uint32_t align;
} buf;
static size_t len, msg;

static void *put(const void *p, size_t n)
{
	char *at = buf.c + len;

	memset(at, 0, NLMSG_ALIGN(n));
	if (p)
		memcpy(at, p, n);
	len += NLMSG_ALIGN(n);
	return at;
}

static void end_msg(void)
{
	((struct nlmsghdr *)(buf.c + msg))->nlmsg_len = (uint32_t)(len - msg);
}

/* An attribute of the message being built (NLA_HDRLEN is aligned already). */
static void attr(uint16_t type, const void *p, size_t n)
{
	struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + n), .nla_type = type };

	put(&a, NLA_HDRLEN);
	put(p, n);
	end_msg();
}

static void str(uint16_t type, const char *s)
{
	attr(type, s, strlen(s) + 1);
}

static void nft(int type, int family)
{
	struct nlmsghdr h = { .nlmsg_type = (uint16_t)((NFNL_SUBSYS_NFTABLES << 8) | type) };
	struct nfgenmsg g = { .nfgen_family = (uint8_t)family, .version = NFNETLINK_V0 };

	msg = len;
	put(&h, sizeof(h));
	put(&g, sizeof(g));
	end_msg();
}

static void newgen(uint32_t pid)
{
	uint32_t be = htonl(pid);

	nft(NFT_MSG_NEWGEN, AF_UNSPEC);
	attr(NFTA_GEN_PROC_PID, &be, sizeof(be));
}

static void link_named(int type, const char *name, const char *kind, unsigned flags, unsigned change)
{
	struct nlmsghdr h = { .nlmsg_type = (uint16_t)type };
	struct ifinfomsg ifi = { .ifi_index = 7, .ifi_flags = flags, .ifi_change = change };
	struct nlattr *info;
	size_t at;

	msg = len;
	put(&h, sizeof(h));
	put(&ifi, sizeof(ifi));
	str(IFLA_IFNAME, name);
	at = len;
	put(&(struct nlattr){ .nla_type = NLA_F_NESTED | IFLA_LINKINFO }, NLA_HDRLEN);
	str(IFLA_INFO_KIND, kind);
	info = (struct nlattr *)(buf.c + at);
	info->nla_len = (uint16_t)(len - at);
}

static void link_msg(int type, const char *kind, unsigned flags, unsigned change)
{
	link_named(type, "qnetbr0", kind, flags, change);
}

static int judge(pid_t self, bool *in_commit)
{
	return qnet_watch_judge_nft(buf.c, len, self, in_commit);
}

int main(void)
{
	bool in = false;

	len = 0;
	nft(NFT_MSG_DELTABLE, NFPROTO_INET);
	str(NFTA_TABLE_NAME, "qnet-default");
	newgen(1);
	is_int(judge(SELF, &in), 1, "another process deleting table inet qnet-default wakes the watch");
	ok(!in, "and the commit is over at its NEWGEN");

	len = 0;
	nft(NFT_MSG_DELTABLE, NFPROTO_INET);
	str(NFTA_TABLE_NAME, "qnet-default");
	newgen(SELF);
	is_int(judge(SELF, &in), 0, "our own repair deleting it (to write it anew) does not");

	len = 0;
	nft(NFT_MSG_DELTABLE, NFPROTO_INET);
	str(NFTA_TABLE_NAME, "qnet-default");
	is_int(judge(SELF, &in), 0, "a commit is not judged before its NEWGEN");
	ok(in, "but remembered across reads");
	len = 0;
	newgen(1);
	is_int(judge(SELF, &in), 1, "and judged at the NEWGEN of the next read");

	len = 0;
	nft(NFT_MSG_DELTABLE, NFPROTO_INET);
	str(NFTA_TABLE_NAME, "libvirt_network");
	nft(NFT_MSG_DELTABLE, NFPROTO_IPV4);
	str(NFTA_TABLE_NAME, "qnet-default");
	nft(NFT_MSG_DELTABLE, NFPROTO_INET);
	str(NFTA_TABLE_NAME, "qnet-");
	newgen(1);
	is_int(judge(SELF, &in), 0, "other tables (another name, another family, no network name) do not");

	len = 0;
	nft(NFT_MSG_DELCHAIN, NFPROTO_BRIDGE);
	str(NFTA_CHAIN_TABLE, "qnet");
	str(NFTA_CHAIN_NAME, "port-5-9");
	newgen(1);
	is_int(judge(SELF, &in), 1, "a chain of table bridge qnet deleted does");

	len = 0;
	nft(NFT_MSG_DELRULE, NFPROTO_INET);
	str(NFTA_RULE_TABLE, "qnet-lab");
	str(NFTA_RULE_CHAIN, "forward");
	nft(NFT_MSG_DELSET, NFPROTO_BRIDGE);
	str(NFTA_SET_TABLE, "qnet");
	newgen(1);
	is_int(judge(SELF, &in), 1, "a rule or a set of ours deleted does");

	len = 0;
	nft(NFT_MSG_NEWRULE, NFPROTO_INET);
	str(NFTA_RULE_TABLE, "qnet-default");
	str(NFTA_RULE_CHAIN, "forward");
	nft(NFT_MSG_NEWTABLE, NFPROTO_INET);
	str(NFTA_TABLE_NAME, "qnet-default");
	nft(NFT_MSG_DELSETELEM, NFPROTO_BRIDGE);
	str(NFTA_SET_ELEM_LIST_TABLE, "qnet");
	newgen(1);
	is_int(judge(SELF, &in), 0, "additions to our tables, and set elements (leases that expire), do not");

	len = 0;
	nft(NFT_MSG_DELRULE, NFPROTO_IPV4);
	str(NFTA_RULE_TABLE, "filter");
	str(NFTA_RULE_CHAIN, "DOCKER-USER");
	newgen(1);
	is_int(judge(SELF, &in), 1, "iptables -F DOCKER-USER does");

	len = 0;
	nft(NFT_MSG_DELRULE, NFPROTO_IPV6);
	str(NFTA_RULE_TABLE, "filter");
	str(NFTA_RULE_CHAIN, "DOCKER-USER");
	newgen(1);
	is_int(judge(SELF, &in), 1, "ip6tables -F DOCKER-USER does");

	len = 0;
	nft(NFT_MSG_NEWTABLE, NFPROTO_INET);
	str(NFTA_TABLE_NAME, "firewalld");
	newgen(1);
	is_int(judge(SELF, &in), 1, "firewalld's table made (a firewalld that starts) does");

	len = 0;
	nft(NFT_MSG_NEWCHAIN, NFPROTO_IPV4);
	str(NFTA_CHAIN_TABLE, "filter");
	str(NFTA_CHAIN_NAME, "DOCKER-USER");
	newgen(1);
	is_int(judge(SELF, &in), 1, "a DOCKER-USER chain made anew does");

	len = 0;
	nft(NFT_MSG_DELTABLE, NFPROTO_INET);
	str(NFTA_TABLE_NAME, "firewalld");
	newgen(1);
	is_int(judge(SELF, &in), 1, "a firewalld reload (its table deleted, to be written anew) does");

	len = 0;
	nft(NFT_MSG_DELRULE, NFPROTO_INET);
	str(NFTA_RULE_TABLE, "firewalld");
	str(NFTA_RULE_CHAIN, "filter_FORWARD");
	newgen(1);
	is_int(judge(SELF, &in), 0, "firewalld changing a rule of its own does not");

	len = 0;
	nft(NFT_MSG_DELRULE, NFPROTO_IPV4);
	str(NFTA_RULE_TABLE, "filter");
	str(NFTA_RULE_CHAIN, "FORWARD");
	newgen(1);
	is_int(judge(SELF, &in), 0, "another chain of iptables' filter table does not");

	len = 0;
	nft(NFT_MSG_DELTABLE, NFPROTO_INET);
	str(NFTA_TABLE_NAME, "qnet-default");
	nft(NFT_MSG_NEWGEN, AF_UNSPEC);
	is_int(judge(SELF, &in), 1, "a NEWGEN that names no process is someone else's");

	len = 0;
	link_msg(RTM_DELLINK, "bridge", 0, 0);
	is_int(qnet_watch_judge_link(buf.c, len), 1, "a bridge deleted wakes the watch");
	len = 0;
	link_msg(RTM_NEWLINK, "bridge", 0, IFF_UP);
	is_int(qnet_watch_judge_link(buf.c, len), 1, "a bridge taken down does");
	len = 0;
	link_msg(RTM_NEWLINK, "bridge", IFF_UP, IFF_UP);
	link_msg(RTM_NEWLINK, "bridge", 0, 0);
	link_msg(RTM_DELLINK, "veth", 0, 0);
	is_int(qnet_watch_judge_link(buf.c, len), 0, "a bridge brought up, a bridge's other news, a veth deleted do not");
	len = 0;
	link_named(RTM_DELLINK, "qvx5e1c26b2", "vxlan", 0, 0);
	is_int(qnet_watch_judge_link(buf.c, len), 1, "an overlay's VXLAN device deleted does");
	len = 0;
	link_named(RTM_DELLINK, "vxlan0", "vxlan", 0, 0);
	is_int(qnet_watch_judge_link(buf.c, len), 0, "another VXLAN device deleted does not");

	len = 3;
	memset(buf.c, 0xff, len);
	is_int(qnet_watch_judge_nft(buf.c, len, SELF, &in) + qnet_watch_judge_link(buf.c, len), 0,
	       "a short read is nothing");

	/* The walk of a datagram's messages ends at the first that does not
	 * fit; an unpadded last one is read, and is the last. */
	{
		struct nlmsghdr *h = (struct nlmsghdr *)buf.c;
		size_t off = 0;
		int n = 0;

		memset(buf.c, 0, 64);
		h->nlmsg_len = 17;
		while (qnet_nfnl_next_msg(buf.c, 17, &off) && n < 4)
			n++;
		is_int(n, 1, "an unpadded last message is one message, and the end");
		off = 0;
		h->nlmsg_len = 40;
		ok(!qnet_nfnl_next_msg(buf.c, 20, &off), "a message longer than the read is not one");
		off = 0;
		h->nlmsg_len = 8;
		ok(!qnet_nfnl_next_msg(buf.c, 20, &off), "a length shorter than its header is not one");
		off = 0;
		h->nlmsg_len = 16;
		((struct nlmsghdr *)(buf.c + 16))->nlmsg_len = 0xfffffff0;
		n = 0;
		while (qnet_nfnl_next_msg(buf.c, 64, &off) && n < 4)
			n++;
		is_int(n, 1, "a second header that claims 4 GiB ends the walk");
	}
	return tap_done();
}
