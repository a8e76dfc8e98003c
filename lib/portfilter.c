// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Theory of operation: see portfilter.h for the ruleset, docs/design.md
 * ("Tenants") for why each rule is there. This file only writes it.
 *
 * Names carry ifindexes: B is the bridge's, P the port's. The kernel does
 * not reuse an ifindex, so a rule of a dead port can never apply to a new
 * port with the dead one's name: that is why nothing here is keyed by
 * interface name.
 *
 * Who owns a MAC: owner-B maps a MAC to the first port that sent from it,
 * written from the packet path (dynset "add" never overwrites, and two
 * CPUs racing for the same MAC see one winner), so a guest that waits,
 * silent, until it has seen another guest's MAC cannot take it over. A
 * claim goes with its port: detach, the next attach on the bridge and the
 * sweep delete claims of ports that are gone.
 *
 * Who owns a link-local address: the first MAC that speaks for it, as a
 * source or as the target of its duplicate address detection (which
 * comes before any use): claimed6-B says an address is claimed,
 * owner6-B by which MAC (docs/design.md says why a MAC and not a port).
 * A guest may make its link-local address itself (stable-privacy, RFC
 * 7217), so the network cannot know it in advance; without claims a
 * guest could solicit from a neighbour's address, and the host's
 * neighbour cache would send that neighbour's DHCPv6 replies to it.
 * nft cannot list a rule that compares a map's value with the frame, so
 * ownership is the pair (address . MAC) in a set, not a map. Two MACs
 * whose first frames for one address race on two CPUs may both get it:
 * the address must be known before it was ever used, which the first
 * use itself is what reveals. Claims that are not first come
 * (ll_claim()) have no timeout and replace others'. A port claims at
 * most LL_PER_PORT addresses in CLAIM_TIMEOUT_MS (ll-B-P), so no port
 * fills the sets; an address left unclaimed because they are full after
 * all is dropped, not let through.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "link.h"
#include "log.h"
#include "macro.h"
#include "nfnl.h"
#include "portfilter.h"

#define TABLE QNET_PORTFILTER_TABLE
/* linux/netfilter_bridge.h's; it drags in linux/if.h, which net/if.h (link.h) conflicts with. */
#define NF_BR_PRE_ROUTING 0
#define NAME_SIZE 48
#define PRIORITY (-400) /* before any other bridge filter: nothing sees a forged frame first */
#define OWNER_SIZE 65536
#define LL_PER_PORT 4
/* A link-local claim nothing has used for an hour lapses: a guest that is
 * gone longer than that has left its addresses. */
#define CLAIM_TIMEOUT_MS (3600u * 1000u)

/* nftables' own datatype numbers (NFTA_SET_KEY_TYPE), so that `nft list`
 * shows addresses and interfaces, not integers. */
enum {
	TYPE_VERDICT = 1,
	TYPE_IPADDR = 7,
	TYPE_IP6ADDR = 8,
	TYPE_ETHERADDR = 9,
	TYPE_IFINDEX = 20,
	TYPE_BITS = 6,
};

/* NFTA_SET_USERDATA, as nft writes it: which byte order a key or a value
 * is in. The kernel ignores it; without it nft prints an ifindex (host
 * byte order) backwards. */
enum {
	UDATA_KEYBYTEORDER = 0,
	UDATA_DATABYTEORDER = 1,
	HOST_ENDIAN = 1,
	BIG_ENDIAN_ = 2,
};

/* Registers: an Ethernet address takes two 32-bit registers, so the
 * second field of a concatenation starts at REG32_02. */
#define R_A NFT_REG_1
#define R_B NFT_REG32_02
/* After an IPv6 address (16 bytes from R_A): a MAC (two registers), and
 * another IPv6 address. */
#define R_C NFT_REG32_04
#define R_B6 NFT_REG_3

#define LL NFT_PAYLOAD_LL_HEADER
#define NH NFT_PAYLOAD_NETWORK_HEADER
#define TH NFT_PAYLOAD_TRANSPORT_HEADER

static int because(char *why, size_t why_size, int r, const char *what)
{
	return qnet_because(why, why_size, r, "cannot write nftables table bridge " TABLE " (%s): %s", what,
			    strerror(-r));
}

/* ---- names ---- */

static void name2(char buf[NAME_SIZE], const char *kind, int b)
{
	snprintf(buf, NAME_SIZE, "%s-%d", kind, b);
}

static void name3(char buf[NAME_SIZE], const char *kind, int b, int p)
{
	snprintf(buf, NAME_SIZE, "%s-%d-%d", kind, b, p);
}

/* "KIND-B" or "KIND-B-P" (P NULL for the first) into numbers. */
static bool parse_name(const char *name, const char *kind, int *b, int *p)
{
	size_t k = strlen(kind);
	char *end;
	long v;

	if (strncmp(name, kind, k) != 0 || name[k] != '-')
		return false;
	v = strtol(name + k + 1, &end, 10);
	if (end == name + k + 1 || v <= 0 || v > INT32_MAX)
		return false;
	*b = (int)v;
	if (!p)
		return *end == '\0';
	if (*end != '-')
		return false;
	name = end + 1;
	v = strtol(name, &end, 10);
	if (end == name || *end || v <= 0 || v > INT32_MAX)
		return false;
	*p = (int)v;
	return true;
}

/* ---- objects ---- */

static void table_add(struct qnet_nfnl *n)
{
	qnet_nfnl_msg(n, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	qnet_nfnl_put_str(n, NFTA_TABLE_NAME, TABLE);
}

/* A set or map; KEY_LEN and DATA_LEN in bytes (DATA_TYPE 0: a set;
 * TYPE_VERDICT: a verdict map). Adding one that exists is a no-op. */
static void set_add(struct qnet_nfnl *n, const char *name, uint32_t key_type, uint32_t key_len, uint32_t data_type,
		    uint32_t data_len, uint32_t flags, uint32_t size)
{
	uint8_t udata[2 * (2 + sizeof(uint32_t))];
	size_t desc, ulen = 0;
	uint32_t order;

	qnet_nfnl_msg(n, NFT_MSG_NEWSET, NLM_F_CREATE);
	qnet_nfnl_put_str(n, NFTA_SET_TABLE, TABLE);
	qnet_nfnl_put_str(n, NFTA_SET_NAME, name);
	qnet_nfnl_put_be32(n, NFTA_SET_KEY_TYPE, key_type);
	qnet_nfnl_put_be32(n, NFTA_SET_KEY_LEN, key_len);
	if (data_type == TYPE_VERDICT) {
		flags |= NFT_SET_MAP;
		qnet_nfnl_put_be32(n, NFTA_SET_DATA_TYPE, NFT_DATA_VERDICT);
	} else if (data_type) {
		flags |= NFT_SET_MAP;
		qnet_nfnl_put_be32(n, NFTA_SET_DATA_TYPE, data_type);
		qnet_nfnl_put_be32(n, NFTA_SET_DATA_LEN, data_len);
	}
	qnet_nfnl_put_be32(n, NFTA_SET_FLAGS, flags);
	qnet_nfnl_put_be32(n, NFTA_SET_ID, n->seq);
	/* An ifindex is the only value in host byte order here. */
	order = key_type == TYPE_IFINDEX ? HOST_ENDIAN : BIG_ENDIAN_;
	udata[ulen++] = UDATA_KEYBYTEORDER;
	udata[ulen++] = sizeof(order);
	memcpy(udata + ulen, &order, sizeof(order));
	ulen += sizeof(order);
	if (data_type == TYPE_IFINDEX) {
		order = HOST_ENDIAN;
		udata[ulen++] = UDATA_DATABYTEORDER;
		udata[ulen++] = sizeof(order);
		memcpy(udata + ulen, &order, sizeof(order));
		ulen += sizeof(order);
	}
	qnet_nfnl_put(n, NFTA_SET_USERDATA, udata, ulen);
	if (size) {
		desc = qnet_nfnl_nest(n, NFTA_SET_DESC);
		qnet_nfnl_put_be32(n, NFTA_SET_DESC_SIZE, size);
		qnet_nfnl_nest_end(n, desc);
	}
}

static void set_del(struct qnet_nfnl *n, const char *name)
{
	qnet_nfnl_msg(n, NFT_MSG_DELSET, 0);
	qnet_nfnl_put_str(n, NFTA_SET_TABLE, TABLE);
	qnet_nfnl_put_str(n, NFTA_SET_NAME, name);
}

/* A chain; HOOK < 0 for a regular one. EXCL: fail if it exists (two
 * programs creating the same chain at once: one wins, the other retries). */
static void chain_add(struct qnet_nfnl *n, const char *name, int hook)
{
	size_t h;

	qnet_nfnl_msg(n, NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_EXCL);
	qnet_nfnl_put_str(n, NFTA_CHAIN_TABLE, TABLE);
	qnet_nfnl_put_str(n, NFTA_CHAIN_NAME, name);
	if (hook >= 0) {
		h = qnet_nfnl_nest(n, NFTA_CHAIN_HOOK);
		qnet_nfnl_put_be32(n, NFTA_HOOK_HOOKNUM, (uint32_t)hook);
		qnet_nfnl_put_be32(n, NFTA_HOOK_PRIORITY, (uint32_t)PRIORITY);
		qnet_nfnl_nest_end(n, h);
		qnet_nfnl_put_str(n, NFTA_CHAIN_TYPE, "filter");
		qnet_nfnl_put_be32(n, NFTA_CHAIN_POLICY, NF_ACCEPT);
	}
}

static void chain_flush(struct qnet_nfnl *n, const char *name)
{
	qnet_nfnl_msg(n, NFT_MSG_DELRULE, 0);
	qnet_nfnl_put_str(n, NFTA_RULE_TABLE, TABLE);
	qnet_nfnl_put_str(n, NFTA_RULE_CHAIN, name);
}

/* Flush, then delete: a chain must be empty to go. */
static void chain_del(struct qnet_nfnl *n, const char *name)
{
	chain_flush(n, name);
	qnet_nfnl_msg(n, NFT_MSG_DELCHAIN, 0);
	qnet_nfnl_put_str(n, NFTA_CHAIN_TABLE, TABLE);
	qnet_nfnl_put_str(n, NFTA_CHAIN_NAME, name);
}

/* One element of SET: KEY, and for a map DATA (a value) or a jump to CHAIN. */
static void elem(struct qnet_nfnl *n, int type, const char *set, const void *key, size_t key_len, const void *data,
		 size_t data_len, const char *chain)
{
	size_t list, e, k, d, v;

	qnet_nfnl_msg(n, type, type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0);
	qnet_nfnl_put_str(n, NFTA_SET_ELEM_LIST_TABLE, TABLE);
	qnet_nfnl_put_str(n, NFTA_SET_ELEM_LIST_SET, set);
	list = qnet_nfnl_nest(n, NFTA_SET_ELEM_LIST_ELEMENTS);
	e = qnet_nfnl_nest(n, NFTA_LIST_ELEM);
	k = qnet_nfnl_nest(n, NFTA_SET_ELEM_KEY);
	qnet_nfnl_put(n, NFTA_DATA_VALUE, key, key_len);
	qnet_nfnl_nest_end(n, k);
	if (type == NFT_MSG_NEWSETELEM && (data || chain)) {
		d = qnet_nfnl_nest(n, NFTA_SET_ELEM_DATA);
		if (chain) {
			v = qnet_nfnl_nest(n, NFTA_DATA_VERDICT);
			qnet_nfnl_put_be32(n, NFTA_VERDICT_CODE, (uint32_t)NFT_JUMP);
			qnet_nfnl_put_str(n, NFTA_VERDICT_CHAIN, chain);
			qnet_nfnl_nest_end(n, v);
		} else {
			qnet_nfnl_put(n, NFTA_DATA_VALUE, data, data_len);
		}
		qnet_nfnl_nest_end(n, d);
	}
	qnet_nfnl_nest_end(n, e);
	qnet_nfnl_nest_end(n, list);
}

/* ---- rules ---- */

static const uint8_t any6[16] = { 0 }, fe80[8] = { 0xfe, 0x80 };

static size_t rule(struct qnet_nfnl *n, const char *chain)
{
	qnet_nfnl_msg(n, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
	qnet_nfnl_put_str(n, NFTA_RULE_TABLE, TABLE);
	qnet_nfnl_put_str(n, NFTA_RULE_CHAIN, chain);
	return qnet_nfnl_nest(n, NFTA_RULE_EXPRESSIONS);
}

static void end(struct qnet_nfnl *n, size_t exprs, int verdict, const char *chain)
{
	/* Every drop counts what it dropped (nft list shows it): a guest
	 * that cannot talk is first looked for there. It costs nothing on
	 * frames that pass. */
	if (verdict == NF_DROP)
		qnet_nfnl_expr_counter(n);
	if (verdict != NFT_CONTINUE)
		qnet_nfnl_expr_verdict(n, verdict, chain);
	qnet_nfnl_nest_end(n, exprs);
}

static void match(struct qnet_nfnl *n, uint32_t base, uint32_t off, const void *v, uint32_t len, bool equal)
{
	qnet_nfnl_expr_payload(n, base, off, len, R_A);
	qnet_nfnl_expr_cmp(n, R_A, equal ? NFT_CMP_EQ : NFT_CMP_NEQ, v, len);
}

static void ethertype(struct qnet_nfnl *n, uint16_t type)
{
	uint16_t be = htons(type);

	match(n, LL, 12, &be, 2, true);
}

static void l4proto(struct qnet_nfnl *n, uint8_t proto)
{
	qnet_nfnl_expr_meta(n, NFT_META_L4PROTO, R_A);
	qnet_nfnl_expr_cmp(n, R_A, NFT_CMP_EQ, &proto, 1);
}

static void icmp6_type(struct qnet_nfnl *n, uint8_t type)
{
	l4proto(n, IPPROTO_ICMPV6);
	match(n, TH, 0, &type, 1, true);
}

static void udp_port(struct qnet_nfnl *n, uint32_t offset, uint16_t port)
{
	uint16_t be = htons(port);

	l4proto(n, IPPROTO_UDP);
	match(n, TH, offset, &be, 2, true);
}

static void udp_sport(struct qnet_nfnl *n, uint16_t port)
{
	udp_port(n, 0, port);
}

static void udp_dport(struct qnet_nfnl *n, uint16_t port)
{
	udp_port(n, 2, port);
}

/* ether saddr . (BASE+OFF, LEN) not in SET */
static void in_pair(struct qnet_nfnl *n, const char *set, uint32_t base, uint32_t off, uint32_t len, bool in)
{
	qnet_nfnl_expr_payload(n, LL, 6, ETH_ALEN, R_A);
	qnet_nfnl_expr_payload(n, base, off, len, R_B);
	qnet_nfnl_expr_lookup(n, set, R_A, ~0u, !in);
}

static void not_in_pair(struct qnet_nfnl *n, const char *set, uint32_t base, uint32_t off, uint32_t len)
{
	in_pair(n, set, base, off, len, false);
}

static void ip6_src_is(struct qnet_nfnl *n, const void *prefix, uint32_t len)
{
	match(n, NH, 8, prefix, len, true);
}

/* R_A = the link-local address at (BASE, OFF), all 16 bytes of it there:
 * the rule ends unless it is in fe80::/64. */
static void ll_at(struct qnet_nfnl *n, uint32_t base, uint32_t off)
{
	static const uint8_t mask[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t fe80_64[16] = { 0xfe, 0x80 };

	qnet_nfnl_expr_payload(n, base, off, 16, R_A);
	qnet_nfnl_expr_bitwise(n, R_A, R_B6, mask, any6, 16);
	qnet_nfnl_expr_cmp(n, R_B6, NFT_CMP_EQ, fe80_64, 16);
}

/* In CHAIN: ICMPv6 TYPE from a source starting with PREFIX (LEN bytes) is accepted. */
static void icmp6_from(struct qnet_nfnl *n, const char *chain, const void *prefix, uint32_t len, uint8_t type)
{
	size_t r = rule(n, chain);

	ip6_src_is(n, prefix, len);
	icmp6_type(n, type);
	end(n, r, NF_ACCEPT, NULL);
}

/* The table's entry point: every frame from a filtered port jumps to its chain. */
static void base_add(struct qnet_nfnl *n, bool rules_only)
{
	size_t r;

	if (!rules_only) {
		set_add(n, "ports", TYPE_IFINDEX, 4, TYPE_VERDICT, 0, 0, 0);
		chain_add(n, "pre", NF_BR_PRE_ROUTING);
	}
	r = rule(n, "pre");
	qnet_nfnl_expr_meta(n, NFT_META_IIF, R_A);
	qnet_nfnl_expr_lookup(n, "ports", R_A, NFT_REG_VERDICT, false);
	end(n, r, NFT_CONTINUE, NULL);
}

static void bridge_sets_add(struct qnet_nfnl *n, int b)
{
	char name[NAME_SIZE];

	name2(name, "ip4", b);
	set_add(n, name, TYPE_ETHERADDR << TYPE_BITS | TYPE_IPADDR, 8 + 4, 0, 0, 0, 0);
	name2(name, "ip6", b);
	set_add(n, name, TYPE_ETHERADDR << TYPE_BITS | TYPE_IP6ADDR, 8 + 16, 0, 0, 0, 0);
	name2(name, "owner", b);
	set_add(n, name, TYPE_ETHERADDR, ETH_ALEN, TYPE_IFINDEX, 4, NFT_SET_EVAL, OWNER_SIZE);
	name2(name, "claimed6", b);
	set_add(n, name, TYPE_IP6ADDR, 16, 0, 0, NFT_SET_EVAL | NFT_SET_TIMEOUT, OWNER_SIZE);
	name2(name, "owner6", b);
	set_add(n, name, TYPE_IP6ADDR << TYPE_BITS | TYPE_ETHERADDR, 16 + 8, 0, 0, NFT_SET_EVAL | NFT_SET_TIMEOUT,
		OWNER_SIZE);
}

/* What every filtered port of bridge B shares: which frames, and which
 * addresses a MAC may use (ip4-B, ip6-B). RULES_ONLY: the chains are
 * there, empty (qnet_portfilter_refill()). */
static void bridge_chains_add(struct qnet_nfnl *n, int b, bool rules_only)
{
	static const uint8_t arp_ipv4_ether[6] = { 0, 1, 8, 0, 6, 4 }; /* htype 1, ptype IPv4, hlen 6, plen 4 */
	static const uint8_t any4[4] = { 0 }, bcast4[4] = { 255, 255, 255, 255 };
	static const uint8_t dhcp_client[4] = { 0, 68, 0, 67 };
	static const uint8_t arp_request[2] = { 0, 1 };
	char guard[NAME_SIZE], arp[NAME_SIZE], v4[NAME_SIZE], v6[NAME_SIZE], ip4[NAME_SIZE], ip6[NAME_SIZE];
	size_t r;

	name2(guard, "guard", b);
	name2(arp, "arp", b);
	name2(v4, "v4", b);
	name2(v6, "v6", b);
	name2(ip4, "ip4", b);
	name2(ip6, "ip6", b);
	if (!rules_only) {
		chain_add(n, arp, -1);
		chain_add(n, v4, -1);
		chain_add(n, v6, -1);
		chain_add(n, guard, -1);
	}

	/* Only IPv4, ARP, IPv6 and RARP (QEMU's announce after migration);
	 * everything else, VLAN tags and STP included, is no guest's business. */
	r = rule(n, guard);
	ethertype(n, ETH_P_IP);
	end(n, r, NFT_GOTO, v4);
	r = rule(n, guard);
	ethertype(n, ETH_P_ARP);
	end(n, r, NFT_GOTO, arp);
	r = rule(n, guard);
	ethertype(n, ETH_P_IPV6);
	end(n, r, NFT_GOTO, v6);
	r = rule(n, guard);
	ethertype(n, ETH_P_RARP);
	end(n, r, NF_ACCEPT, NULL);
	r = rule(n, guard);
	end(n, r, NF_DROP, NULL);

	/* ARP: Ethernet/IPv4 only; a probe (sender 0.0.0.0) asks, anything
	 * else speaks for its sender address, which must be the MAC's own. */
	r = rule(n, arp);
	match(n, NH, 0, arp_ipv4_ether, 6, false);
	end(n, r, NF_DROP, NULL);
	r = rule(n, arp);
	match(n, NH, 6, arp_request, 2, true);
	match(n, NH, 14, any4, 4, true);
	end(n, r, NF_ACCEPT, NULL);
	r = rule(n, arp);
	not_in_pair(n, ip4, NH, 14, 4);
	end(n, r, NF_DROP, NULL);
	r = rule(n, arp);
	end(n, r, NF_ACCEPT, NULL);

	/* IPv4: never a DHCP server; DHCP from 0.0.0.0 before a lease; else
	 * only the MAC's own addresses. */
	r = rule(n, v4);
	udp_sport(n, 67);
	end(n, r, NF_DROP, NULL);
	/* Nor one from another port: only a server or relay sends to a
	 * client's port 68. */
	r = rule(n, v4);
	udp_dport(n, 68);
	end(n, r, NF_DROP, NULL);
	r = rule(n, v4);
	match(n, NH, 12, any4, 4, true);
	match(n, NH, 16, bcast4, 4, true);
	l4proto(n, IPPROTO_UDP);
	match(n, TH, 0, dhcp_client, 4, true);
	end(n, r, NF_ACCEPT, NULL);
	r = rule(n, v4);
	not_in_pair(n, ip4, NH, 12, 4);
	end(n, r, NF_DROP, NULL);
	r = rule(n, v4);
	end(n, r, NF_ACCEPT, NULL);

	/* IPv6: never a router (RA, redirect) or a DHCPv6 server. */
	r = rule(n, v6);
	icmp6_type(n, 134);
	end(n, r, NF_DROP, NULL);
	r = rule(n, v6);
	icmp6_type(n, 137);
	end(n, r, NF_DROP, NULL);
	r = rule(n, v6);
	udp_sport(n, 547);
	end(n, r, NF_DROP, NULL);
	r = rule(n, v6);
	udp_dport(n, 546);
	end(n, r, NF_DROP, NULL);
	/* From ::, only duplicate address detection (NS) of an address the
	 * port may have (a link-local one its chain has claimed, or one of
	 * its MAC's), and the MLD report that goes with it: detection of a
	 * neighbour's address would make the neighbour give it up. */
	r = rule(n, v6);
	ip6_src_is(n, any6, 16);
	icmp6_type(n, 135);
	ll_at(n, TH, 8);
	end(n, r, NF_ACCEPT, NULL);
	r = rule(n, v6);
	ip6_src_is(n, any6, 16);
	icmp6_type(n, 135);
	in_pair(n, ip6, TH, 8, 16, true);
	end(n, r, NF_ACCEPT, NULL);
	icmp6_from(n, v6, any6, 16, 143);
	r = rule(n, v6);
	ip6_src_is(n, any6, 16);
	end(n, r, NF_DROP, NULL);
	/* A neighbour advertisement speaks for its target: accepted only
	 * where the target is read and is the MAC's (a truncated one would
	 * otherwise pass unread), from a source that is (its link-local one,
	 * which c6-B-P checked, or one of ip6-B). c6-B-P accepted those for a
	 * link-local target the MAC owns already. */
	r = rule(n, v6);
	icmp6_type(n, 136);
	ip6_src_is(n, fe80, 8);
	in_pair(n, ip6, TH, 8, 16, true);
	end(n, r, NF_ACCEPT, NULL);
	r = rule(n, v6);
	icmp6_type(n, 136);
	in_pair(n, ip6, NH, 8, 16, true);
	in_pair(n, ip6, TH, 8, 16, true);
	end(n, r, NF_ACCEPT, NULL);
	r = rule(n, v6);
	icmp6_type(n, 136);
	end(n, r, NF_DROP, NULL);
	/* A link-local source is the MAC's own: c6-B-P claimed it (or
	 * dropped the frame). So a guest asks for a router and a DHCPv6
	 * lease before the network knows any address of its, and one whose
	 * address the network cannot know (stable-privacy) talks from it. */
	r = rule(n, v6);
	ip6_src_is(n, fe80, 8);
	end(n, r, NF_ACCEPT, NULL);
	r = rule(n, v6);
	not_in_pair(n, ip6, NH, 8, 16);
	end(n, r, NF_DROP, NULL);
	r = rule(n, v6);
	end(n, r, NF_ACCEPT, NULL);
}

/* The frames in which a link-local address speaks for a port, each
 * leaving it in R_A: its source, and the target of its duplicate address
 * detection, which a guest sends before it uses the address. */
static void ll_source(struct qnet_nfnl *n)
{
	ll_at(n, NH, 8);
}

static void ll_dad_target(struct qnet_nfnl *n)
{
	ip6_src_is(n, any6, 16);
	icmp6_type(n, 135);
	ll_at(n, TH, 8);
}

static void (*const ll_claims[])(struct qnet_nfnl *n) = { ll_source, ll_dad_target };

/* ICMPv6 TYPE with options from OFF of its header: its first option, if
 * it has one, is a link-layer address option of kind KIND (one unit of
 * 8 bytes: Ethernet), and the address is the port's MAC. Linux takes the
 * first such option wherever it is, and ignores options it does not
 * know, so one behind another (a nonce) would go unread: from an address
 * (not ::, whose DAD carries a nonce and no address) the first option is
 * the one. */
static void nd_option_is_own(struct qnet_nfnl *n, const char *chain, const char *mac, uint8_t type, uint32_t off,
			     uint8_t kind)
{
	const uint8_t opt[2] = { kind, 1 };
	size_t r;

	r = rule(n, chain);
	icmp6_type(n, type);
	match(n, NH, 8, any6, 16, false);
	match(n, TH, off, opt, 2, false);
	end(n, r, NF_DROP, NULL);
	r = rule(n, chain);
	icmp6_type(n, type);
	match(n, TH, off, opt, 2, true);
	qnet_nfnl_expr_payload(n, TH, off + 2, ETH_ALEN, R_A);
	qnet_nfnl_expr_lookup(n, mac, R_A, ~0u, true);
	end(n, r, NF_DROP, NULL);
}

/*
 * Port P's IPv6 chains. p6-B-P: what has no upper-layer header to read
 * goes no further. c6-B-P: each link-local address the frame speaks for
 * is claimed in owner6-B for the frame's MAC (the port's: port-B-P
 * checked it) and must be that MAC's; neighbour discovery's link-layer
 * options are the port's MAC; then v6-B.
 */
static void port6_add(struct qnet_nfnl *n, int b, int p, bool rules_only)
{
	static const uint8_t zero[8] = { 0 }, frag_offset[2] = { 0xff, 0xf8 };
	static const uint8_t nd_first = 133, nd_last = 137, yes = 1;
	char chain[NAME_SIZE], claims[NAME_SIZE], ll[NAME_SIZE], owner6[NAME_SIZE], claimed6[NAME_SIZE];
	char v6[NAME_SIZE], mac[NAME_SIZE];
	size_t r;

	name3(chain, "p6", b, p);
	name3(claims, "c6", b, p);
	name3(ll, "ll", b, p);
	name3(mac, "mac", b, p);
	name2(owner6, "owner6", b);
	name2(claimed6, "claimed6", b);
	name2(v6, "v6", b);
	if (!rules_only) {
		set_add(n, ll, TYPE_IP6ADDR, 16, 0, 0, NFT_SET_EVAL | NFT_SET_TIMEOUT, LL_PER_PORT);
		chain_add(n, claims, -1);
		chain_add(n, chain, -1);
	}

	/* The rest reads the upper-layer header: a first fragment that does
	 * not hold it (RFC 7112), the headers before it pushing it into the
	 * next fragment, would pass every check unread, a rogue DHCPv6
	 * server's reply among them. A later fragment has no such header,
	 * and no host takes it without its first; its source is checked as
	 * any (c6-B-P, v6-B), or a guest could break a neighbour's
	 * reassembly in its name. */
	r = rule(n, chain);
	qnet_nfnl_expr_exthdr(n, IPPROTO_FRAGMENT, 2, 2, R_A);
	qnet_nfnl_expr_bitwise(n, R_A, R_A, frag_offset, zero, 2);
	qnet_nfnl_expr_cmp(n, R_A, NFT_CMP_NEQ, zero, 2);
	end(n, r, NFT_GOTO, claims);
	/* Neighbour discovery in fragments (RFC 6980): its options or
	 * target could be in a later fragment, unread. */
	r = rule(n, chain);
	qnet_nfnl_expr_exthdr(n, IPPROTO_FRAGMENT, 0, 0, R_A);
	qnet_nfnl_expr_cmp(n, R_A, NFT_CMP_EQ, &yes, 1);
	l4proto(n, IPPROTO_ICMPV6);
	qnet_nfnl_expr_payload(n, TH, 0, 1, R_A);
	qnet_nfnl_expr_cmp(n, R_A, NFT_CMP_GTE, &nd_first, 1);
	qnet_nfnl_expr_cmp(n, R_A, NFT_CMP_LTE, &nd_last, 1);
	end(n, r, NF_DROP, NULL);
	/* Eight bytes of the upper-layer header are there (a load past the
	 * end ends the rule), or the frame goes no further. */
	r = rule(n, chain);
	qnet_nfnl_expr_payload(n, TH, 0, 8, R_A);
	qnet_nfnl_expr_bitwise(n, R_A, R_A, zero, zero, 8);
	qnet_nfnl_expr_cmp(n, R_A, NFT_CMP_EQ, zero, 8);
	end(n, r, NFT_GOTO, claims);
	r = rule(n, chain);
	end(n, r, NF_DROP, NULL);

	for (size_t i = 0; i < ARRAY_SIZE(ll_claims); i++) {
		/* Another MAC's: claimed, and not with this one. */
		r = rule(n, claims);
		ll_claims[i](n);
		qnet_nfnl_expr_lookup(n, claimed6, R_A, ~0u, false);
		qnet_nfnl_expr_payload(n, LL, 6, ETH_ALEN, R_C);
		qnet_nfnl_expr_lookup(n, owner6, R_A, ~0u, true);
		end(n, r, NF_DROP, NULL);
		/* Claimed, or its claim kept alive. A dynset into a full set
		 * ends the rule: no room in ll-B-P, no claim. */
		r = rule(n, claims);
		ll_claims[i](n);
		qnet_nfnl_expr_dynset(n, ll, NFT_DYNSET_OP_UPDATE, R_A, ~0u, CLAIM_TIMEOUT_MS);
		qnet_nfnl_expr_dynset(n, claimed6, NFT_DYNSET_OP_UPDATE, R_A, ~0u, CLAIM_TIMEOUT_MS);
		qnet_nfnl_expr_payload(n, LL, 6, ETH_ALEN, R_C);
		qnet_nfnl_expr_dynset(n, owner6, NFT_DYNSET_OP_UPDATE, R_A, ~0u, CLAIM_TIMEOUT_MS);
		end(n, r, NFT_CONTINUE, NULL);
		/* Not claimed (no room): not let through. */
		r = rule(n, claims);
		ll_claims[i](n);
		qnet_nfnl_expr_lookup(n, claimed6, R_A, ~0u, true);
		end(n, r, NF_DROP, NULL);
	}
	/* A solicitation's or advertisement's link-layer option speaks for
	 * the address it comes from or answers for: the port's MAC, or the
	 * host's neighbour cache would send a neighbour's traffic there (and
	 * dnsmasq, which reads that cache, would take the sender for the
	 * neighbour). */
	nd_option_is_own(n, claims, mac, 133, 8, 1);
	nd_option_is_own(n, claims, mac, 135, 24, 1);
	nd_option_is_own(n, claims, mac, 136, 24, 2);
	/* A link-local address the port's MAC owns may answer for itself,
	 * as it may ask (v6-B): a guest whose address the network cannot
	 * know (stable-privacy) stays reachable. */
	r = rule(n, claims);
	ll_source(n);
	icmp6_type(n, 136);
	ll_at(n, TH, 8);
	qnet_nfnl_expr_payload(n, LL, 6, ETH_ALEN, R_C);
	qnet_nfnl_expr_lookup(n, owner6, R_A, ~0u, false);
	end(n, r, NF_ACCEPT, NULL);
	r = rule(n, claims);
	end(n, r, NFT_GOTO, v6);
}

/* Port P's own chain and MAC set, and its entry in ports; RULES_ONLY:
 * only the rules of its chains, which are there, empty. */
static void port_add(struct qnet_nfnl *n, int b, const uint8_t bridge_mac[ETH_ALEN], int p,
		     const struct qnet_portfilter_props *props, bool rules_only)
{
	static const uint8_t group_bit = 0x01, zero = 0, zero_mac[ETH_ALEN] = { 0 };
	static const uint8_t zero16[2] = { 0 }, frag_mask[2] = { 0x3f, 0xff }; /* MF, offset */
	char chain[NAME_SIZE], mac[NAME_SIZE], owner[NAME_SIZE], guard[NAME_SIZE], p6[NAME_SIZE];
	uint32_t key = (uint32_t)p;
	size_t r;

	name3(p6, "p6", b, p);
	name3(chain, "port", b, p);
	name3(mac, "mac", b, p);
	name2(owner, "owner", b);
	name2(guard, "guard", b);
	/* Size 1: the first MAC fills it, and a dynset add into a full set
	 * fails, so no second MAC is ever learned. A configured MAC fills it
	 * before the port carries anything. */
	if (!rules_only)
		set_add(n, mac, TYPE_ETHERADDR, ETH_ALEN, 0, 0, NFT_SET_EVAL, 1);
	if (!rules_only && props && props->mac_set) {
		/* Known before the first frame: the port owns it from now on,
		 * so no other port can claim it first. */
		elem(n, NFT_MSG_NEWSETELEM, mac, props->mac, ETH_ALEN, NULL, 0, NULL);
		elem(n, NFT_MSG_NEWSETELEM, owner, props->mac, ETH_ALEN, &key, sizeof(key), NULL);
	}
	port6_add(n, b, p, rules_only); /* it reads mac-B-P */
	if (!rules_only)
		chain_add(n, chain, -1);
	/* A MAC no guest may be: group (multicast, broadcast), zero, and the
	 * bridge's own, which would make the port's frames look like the
	 * gateway's. Before learning, so that none is ever learned. */
	r = rule(n, chain);
	qnet_nfnl_expr_payload(n, LL, 6, 1, R_A);
	qnet_nfnl_expr_bitwise(n, R_A, R_A, &group_bit, &zero, 1);
	qnet_nfnl_expr_cmp(n, R_A, NFT_CMP_NEQ, &zero, 1);
	end(n, r, NF_DROP, NULL);
	r = rule(n, chain);
	match(n, LL, 6, zero_mac, ETH_ALEN, true);
	end(n, r, NF_DROP, NULL);
	r = rule(n, chain);
	match(n, LL, 6, bridge_mac, ETH_ALEN, true);
	end(n, r, NF_DROP, NULL);
	/* With the MAC known the set is full and this adds nothing; it stays
	 * so that every port's chain is the same, however it got its MAC. */
	r = rule(n, chain);
	qnet_nfnl_expr_payload(n, LL, 6, ETH_ALEN, R_A);
	qnet_nfnl_expr_dynset_add(n, mac, R_A, ~0u);
	end(n, r, NFT_CONTINUE, NULL);
	r = rule(n, chain);
	qnet_nfnl_expr_payload(n, LL, 6, ETH_ALEN, R_A);
	qnet_nfnl_expr_lookup(n, mac, R_A, ~0u, true);
	end(n, r, NF_DROP, NULL);
	/* Claim the MAC for P if no port has; then drop it if another port has. */
	r = rule(n, chain);
	qnet_nfnl_expr_payload(n, LL, 6, ETH_ALEN, R_A);
	qnet_nfnl_expr_immediate(n, R_B, &key, sizeof(key));
	qnet_nfnl_expr_dynset_add(n, owner, R_A, R_B);
	end(n, r, NFT_CONTINUE, NULL);
	r = rule(n, chain);
	qnet_nfnl_expr_payload(n, LL, 6, ETH_ALEN, R_A);
	qnet_nfnl_expr_lookup(n, owner, R_A, R_B, false);
	qnet_nfnl_expr_cmp(n, R_B, NFT_CMP_NEQ, &key, sizeof(key));
	end(n, r, NF_DROP, NULL);
	/* A DHCP request speaks for the MAC in its chaddr (dnsmasq leases by
	 * it): the port's MAC, or a guest could release or take over a
	 * neighbour's lease. */
	/* A fragment too short to hold chaddr would pass the next rule
	 * unread; no DHCP client fragments its requests. */
	r = rule(n, chain);
	ethertype(n, ETH_P_IP);
	udp_dport(n, 67);
	qnet_nfnl_expr_payload(n, NH, 6, 2, R_A);
	qnet_nfnl_expr_bitwise(n, R_A, R_A, frag_mask, zero16, 2);
	qnet_nfnl_expr_cmp(n, R_A, NFT_CMP_NEQ, zero16, 2);
	end(n, r, NF_DROP, NULL);
	r = rule(n, chain);
	ethertype(n, ETH_P_IP);
	udp_dport(n, 67);
	qnet_nfnl_expr_payload(n, TH, 8 + 28, ETH_ALEN, R_A);
	qnet_nfnl_expr_lookup(n, mac, R_A, ~0u, true);
	end(n, r, NF_DROP, NULL);
	/* ARP's sender MAC is the port's MAC too. */
	r = rule(n, chain);
	ethertype(n, ETH_P_ARP);
	qnet_nfnl_expr_payload(n, NH, 8, ETH_ALEN, R_A);
	qnet_nfnl_expr_lookup(n, mac, R_A, ~0u, true);
	end(n, r, NF_DROP, NULL);
	r = rule(n, chain);
	ethertype(n, ETH_P_IPV6);
	end(n, r, NFT_GOTO, p6);
	r = rule(n, chain);
	end(n, r, NFT_GOTO, guard);
	if (!rules_only)
		elem(n, NFT_MSG_NEWSETELEM, "ports", &key, sizeof(key), NULL, 0, chain);
}

/* ---- what the kernel has ---- */

struct ids {
	int *v;
	size_t n;
};

static int ids_add(struct ids *s, int v)
{
	int *a;

	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] == v)
			return 0;
	a = reallocarray(s->v, s->n + 1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	s->v = a;
	s->v[s->n++] = v;
	return 0;
}

static bool ids_has(const struct ids *s, int v)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] == v)
			return true;
	return false;
}

static void ids_free(struct ids *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

struct pair {
	int b, p;
};

/* What a port may have, in the order they must go: the port's chain
 * jumps to p6, p6 to c6, and they use the sets. */
enum { OBJ_PORT, OBJ_P6, OBJ_C6, OBJ_MAC, OBJ_LL, N_OBJ };
static const struct {
	const char *kind;
	bool chain;
} port_objs[N_OBJ] = {
	[OBJ_PORT] = { "port", true },
	[OBJ_P6] = { "p6", true },
	[OBJ_C6] = { "c6", true },
	[OBJ_MAC] = { "mac", false },
	[OBJ_LL] = { "ll", false },
};

/* What a bridge has besides its ports', in the same sense. */
static const struct {
	const char *kind;
	bool chain;
} bridge_objs[] = {
	{ "guard", true }, { "arp", true }, { "v4", true }, { "v6", true },
	{ "ip4", false },  { "ip6", false }, { "owner", false }, { "owner6", false }, { "claimed6", false },
};

struct ruleset {
	bool base;                          /* chain pre */
	struct ids has[ARRAY_SIZE(bridge_objs)]; /* bridges with each object */
	struct ids bridges;                 /* bridges with any object */
	struct pair *obj[N_OBJ];            /* each port object */
	size_t n_obj[N_OBJ];
};

static void ruleset_free(struct ruleset *rs)
{
	for (size_t i = 0; i < ARRAY_SIZE(rs->has); i++)
		ids_free(&rs->has[i]);
	ids_free(&rs->bridges);
	for (size_t i = 0; i < N_OBJ; i++)
		free(rs->obj[i]);
}

static int pair_add(struct pair **v, size_t *n, int b, int p)
{
	struct pair *a = reallocarray(*v, *n + 1, sizeof(**v));

	if (!a)
		return -ENOMEM;
	*v = a;
	(*v)[(*n)++] = (struct pair){ b, p };
	return 0;
}

static bool rs_has(const struct ruleset *rs, int kind, int b, int p)
{
	for (size_t i = 0; i < rs->n_obj[kind]; i++)
		if (rs->obj[kind][i].b == b && rs->obj[kind][i].p == p)
			return true;
	return false;
}

/* Bridge B's guard chain exists: its shared chains were made. */
static bool rs_guarded(const struct ruleset *rs, int b)
{
	return ids_has(&rs->has[0], b);
}

/* An object called NAME, a chain or not, into RS. */
static int rs_note(struct ruleset *rs, const char *name, bool chain)
{
	int b, p;

	if (chain && streq(name, "pre")) {
		rs->base = true;
		return 0;
	}
	for (size_t i = 0; i < N_OBJ; i++)
		if (port_objs[i].chain == chain && parse_name(name, port_objs[i].kind, &b, &p))
			return pair_add(&rs->obj[i], &rs->n_obj[i], b, p) ?: ids_add(&rs->bridges, b);
	for (size_t i = 0; i < ARRAY_SIZE(bridge_objs); i++)
		if (bridge_objs[i].chain == chain && parse_name(name, bridge_objs[i].kind, &b, NULL))
			return ids_add(&rs->has[i], b) ?: ids_add(&rs->bridges, b);
	return 0;
}

static int on_chain(const struct qnet_nfnl_attrs *a, void *userdata)
{
	char table[NAME_SIZE], name[NAME_SIZE];

	if (!qnet_nfnl_attr_str(a, NFTA_CHAIN_TABLE, table, sizeof(table)) || !streq(table, TABLE) ||
	    !qnet_nfnl_attr_str(a, NFTA_CHAIN_NAME, name, sizeof(name)))
		return 0;
	return rs_note(userdata, name, true);
}

static int on_set(const struct qnet_nfnl_attrs *a, void *userdata)
{
	char table[NAME_SIZE], name[NAME_SIZE];

	if (!qnet_nfnl_attr_str(a, NFTA_SET_TABLE, table, sizeof(table)) || !streq(table, TABLE) ||
	    !qnet_nfnl_attr_str(a, NFTA_SET_NAME, name, sizeof(name)))
		return 0;
	return rs_note(userdata, name, false);
}

static int ruleset_read(struct qnet_nfnl *n, struct ruleset *rs)
{
	int r;

	memset(rs, 0, sizeof(*rs));
	r = qnet_nfnl_dump(n, NFT_MSG_GETCHAIN, NFTA_CHAIN_TABLE, TABLE, NULL, on_chain, rs);
	if (r == 0)
		r = qnet_nfnl_dump(n, NFT_MSG_GETSET, NFTA_SET_TABLE, TABLE, NULL, on_set, rs);
	return r;
}

/* Each port of bridge B (0: of any bridge) with any object, once, with
 * whether it has its chain; FN's non-zero return stops and is returned. */
static int rs_foreach_port(const struct ruleset *rs, int b, int (*fn)(int pb, int p, bool chain, void *userdata),
			   void *userdata)
{
	for (size_t k = 0; k < N_OBJ; k++)
		for (size_t i = 0; i < rs->n_obj[k]; i++) {
			const struct pair *o = &rs->obj[k][i];
			bool seen = false;
			int r;

			if (b && o->b != b)
				continue;
			for (size_t j = 0; j < k && !seen; j++)
				seen = rs_has(rs, (int)j, o->b, o->p);
			for (size_t j = 0; j < i && !seen; j++)
				seen = rs->obj[k][j].b == o->b && rs->obj[k][j].p == o->p;
			if (seen)
				continue;
			r = fn(o->b, o->p, rs_has(rs, OBJ_PORT, o->b, o->p), userdata);
			if (r)
				return r;
		}
	return 0;
}

/* The keys of the map "ports" (filtered ports with their jump). */
static int on_port_elem(const void *key, size_t key_len, const void *data, size_t data_len, void *userdata)
{
	uint32_t p;

	(void)data;
	(void)data_len;
	if (key_len != sizeof(p))
		return -EBADMSG;
	memcpy(&p, key, sizeof(p));
	return ids_add(userdata, (int)p);
}

static int on_port_elems(const struct qnet_nfnl_attrs *a, void *userdata)
{
	return qnet_nfnl_foreach_elem(a, on_port_elem, userdata);
}

/* Who owns what: owner-B (MAC : port) or owner6-B (link-local address .
 * MAC, padded to 8). */
struct claim {
	uint8_t key[16 + 8];
	uint8_t data[ETH_ALEN];
	int port;           /* owner-B's */
};

struct claims {
	const char *kind;   /* "owner" or "owner6" */
	size_t key_len, data_len;
	struct claim *v;
	size_t n;
};

static int on_claim(const void *key, size_t key_len, const void *data, size_t data_len, void *userdata)
{
	struct claims *c = userdata;
	struct claim *a;
	uint32_t p;

	if (key_len != c->key_len || data_len != c->data_len)
		return -EBADMSG;
	a = reallocarray(c->v, c->n + 1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	c->v = a;
	a = &c->v[c->n++];
	*a = (struct claim){ .port = 0 };
	memcpy(a->key, key, key_len);
	if (data_len)
		memcpy(a->data, data, data_len);
	if (data_len == sizeof(p)) {
		memcpy(&p, data, sizeof(p));
		a->port = (int)p;
	}
	return 0;
}

static int on_claims(const struct qnet_nfnl_attrs *a, void *userdata)
{
	return qnet_nfnl_foreach_elem(a, on_claim, userdata);
}

static int read_elems(struct qnet_nfnl *n, const char *set, int (*fn)(const struct qnet_nfnl_attrs *, void *),
		      void *userdata)
{
	return qnet_nfnl_dump(n, NFT_MSG_GETSETELEM, NFTA_SET_ELEM_LIST_TABLE, TABLE, set, fn, userdata);
}

#define CLAIMS_MAC { "owner", ETH_ALEN, sizeof(uint32_t), NULL, 0 }
#define CLAIMS_LL { "owner6", 16 + 8, 0, NULL, 0 }

/* B's claims of C's kind, read before a batch is begun (a dump reuses
 * the buffer). A set a bridge does not have yet is no claims. */
static int claims_read(struct qnet_nfnl *n, int b, struct claims *c)
{
	char owner[NAME_SIZE];

	name2(owner, c->kind, b);
	return read_elems(n, owner, on_claims, c);
}

/* MAC claims C on B of ports not in KEEP, into the batch. (A link-local
 * address is claimed for a MAC, not a port: it follows the guest to its
 * next port, and lapses when unused.) */
static void claims_remove(struct qnet_nfnl *n, int b, const struct claims *c, const struct ids *keep)
{
	char owner[NAME_SIZE];

	name2(owner, c->kind, b);
	for (size_t i = 0; i < c->n; i++)
		if (!ids_has(keep, c->v[i].port))
			elem(n, NFT_MSG_DELSETELEM, owner, c->v[i].key, c->key_len, NULL, 0, NULL);
}

static void claims_free(struct claims *c)
{
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

/* ---- removal ---- */

/* Everything of port P on bridge B that RS and PORTS show, into the batch. */
static void port_remove(struct qnet_nfnl *n, const struct ruleset *rs, const struct ids *ports, int b, int p)
{
	char name[NAME_SIZE];
	uint32_t key = (uint32_t)p;

	if (ids_has(ports, p) && rs_has(rs, OBJ_PORT, b, p))
		elem(n, NFT_MSG_DELSETELEM, "ports", &key, sizeof(key), NULL, 0, NULL);
	for (size_t k = 0; k < N_OBJ; k++) {
		if (!rs_has(rs, (int)k, b, p))
			continue;
		name3(name, port_objs[k].kind, b, p);
		if (port_objs[k].chain)
			chain_del(n, name);
		else
			set_del(n, name);
	}
}

static int collect_port(const struct qnet_link *port, void *userdata)
{
	return ids_add(userdata, port->ifindex);
}

/* The chains of our table that have a rule, by name. */
struct ruled {
	char (*v)[NAME_SIZE];
	size_t n;
};

static int on_rule(const struct qnet_nfnl_attrs *a, void *userdata)
{
	struct ruled *w = userdata;
	char table[NAME_SIZE], chain[NAME_SIZE];
	char (*more)[NAME_SIZE];

	if (!qnet_nfnl_attr_str(a, NFTA_RULE_TABLE, table, sizeof(table)) || !streq(table, TABLE) ||
	    !qnet_nfnl_attr_str(a, NFTA_RULE_CHAIN, chain, sizeof(chain)))
		return 0;
	for (size_t i = 0; i < w->n; i++)
		if (streq(w->v[i], chain))
			return 0;
	more = reallocarray(w->v, w->n + 1, sizeof(*more));
	if (!more)
		return -ENOMEM;
	w->v = more;
	snprintf(w->v[w->n++], NAME_SIZE, "%s", chain);
	return 0;
}

static void ruled_free(struct ruled *w)
{
	free(w->v);
}

static bool empty(const struct ruled *w, const char *chain)
{
	for (size_t i = 0; i < w->n; i++)
		if (streq(w->v[i], chain))
			return false;
	return true;
}

/* ---- the API ---- */

/* Which ports' objects go, in one batch; the ports of B that stay keep
 * their claims. */
struct prune {
	struct qnet_nfnl *n;
	const struct ruleset *rs;
	const struct ids *ports;    /* keys of the map "ports" */
	int b;
	bool (*doomed)(int pb, int p, bool chain, void *userdata);
	void *userdata;
	struct ids keep;
	bool any;
};

static void prune_free(struct prune *pr)
{
	ids_free(&pr->keep);
}

static int prune_one(int pb, int p, bool chain, void *userdata)
{
	struct prune *pr = userdata;

	if (pr->doomed(pb, p, chain, pr->userdata)) {
		port_remove(pr->n, pr->rs, pr->ports, pb, p);
		pr->any = true;
		return 0;
	}
	return pb == pr->b && chain ? ids_add(&pr->keep, p) : 0;
}

/* Prune the ports of bridge B (0: of every bridge) into the batch, then
 * the MAC claims MACS on PR's bridge of ports it does not keep. */
static int prune(struct prune *pr, int b, const struct claims *macs)
{
	int r = rs_foreach_port(pr->rs, b, prune_one, pr);

	if (r < 0)
		return r;
	claims_remove(pr->n, pr->b, macs, &pr->keep);
	return 0;
}

/* KEY out of plain set SET, whether or not it is there (an element that
 * just lapsed, or that another program deleted, would make a plain delete
 * fail the whole batch with ENOENT). */
static void elem_forget(struct qnet_nfnl *n, const char *set, const void *key, size_t len)
{
	elem(n, NFT_MSG_NEWSETELEM, set, key, len, NULL, 0, NULL);
	elem(n, NFT_MSG_DELSETELEM, set, key, len, NULL, 0, NULL);
}

/* KEY in plain set SET for good: without the timeout a claim from the
 * packet path gave it, if it had one. */
static void elem_pin(struct qnet_nfnl *n, const char *set, const void *key, size_t len)
{
	elem_forget(n, set, key, len);
	elem(n, NFT_MSG_NEWSETELEM, set, key, len, NULL, 0, NULL);
}

/* Link-local address LL (16 bytes) is MAC's on bridge B for good, not
 * first come: into the batch, given what LLS (owner6-B) has. Other MACs'
 * claims of it go. */
static void ll_claim(struct qnet_nfnl *n, int b, const uint8_t *ll, const uint8_t mac[ETH_ALEN],
		     const struct claims *lls)
{
	char owner6[NAME_SIZE], claimed6[NAME_SIZE];
	uint8_t key[16 + 8] = { 0 };

	name2(owner6, "owner6", b);
	name2(claimed6, "claimed6", b);
	memcpy(key, ll, 16);
	memcpy(key + 16, mac, ETH_ALEN);
	for (size_t i = 0; i < lls->n; i++)
		if (!memcmp(lls->v[i].key, ll, 16) && memcmp(lls->v[i].key, key, sizeof(key)))
			elem_forget(n, owner6, lls->v[i].key, sizeof(key));
	elem_pin(n, claimed6, ll, 16);
	elem_pin(n, owner6, key, sizeof(key));
}

/* MAC's EUI-64 link-local address. */
static void eui64_ll(const uint8_t mac[ETH_ALEN], uint8_t ll[16])
{
	const struct in6_addr prefix = { .s6_addr = { 0xfe, 0x80 } };
	struct in6_addr a;

	qnet_portfilter_eui64(mac, &prefix, &a);
	memcpy(ll, a.s6_addr, 16);
}

struct attaching {
	int b, p;
	const struct ids *alive;
};

/* P's earlier filter (a re-attach, perhaps on another bridge), and every
 * port of B that is gone, has left B, or lost its chain. */
static bool attach_doomed(int pb, int p, bool chain, void *userdata)
{
	const struct attaching *a = userdata;

	return p == a->p || (pb == a->b && (!chain || !ids_has(a->alive, p)));
}

static int attach_once(struct qnet_nl *nl, struct qnet_nfnl *n, int b, int p,
		       const struct qnet_portfilter_props *props, const char **what, int *in_use_by)
{
	_cleanup_(ruleset_free) struct ruleset rs = { 0 };
	_cleanup_(ids_free) struct ids ports = { NULL, 0 }, alive = { NULL, 0 };
	_cleanup_(claims_free) struct claims macs = CLAIMS_MAC;
	_cleanup_(claims_free) struct claims lls = CLAIMS_LL;
	struct attaching at = { b, p, &alive };
	_cleanup_(prune_free) struct prune pr = { n, &rs, &ports, b, attach_doomed, &at, { NULL, 0 }, false };
	struct qnet_link bridge;
	uint8_t ll[16];
	int r;

	*what = "reading it";
	r = qnet_link_get_by_index(nl, b, &bridge);
	if (r == 0)
		r = ruleset_read(n, &rs);
	if (r == 0 && rs.base)
		r = read_elems(n, "ports", on_port_elems, &ports);
	if (r == 0 && rs_guarded(&rs, b))
		r = claims_read(n, b, &macs) ?: claims_read(n, b, &lls);
	if (r == 0)
		r = qnet_link_bridge_foreach_port(nl, b, collect_port, &alive);
	if (r < 0)
		return r;
	for (size_t i = 0; props && props->mac_set && i < macs.n; i++)
		if (!memcmp(macs.v[i].key, props->mac, ETH_ALEN) && macs.v[i].port != p &&
		    ids_has(&alive, macs.v[i].port)) {
			*in_use_by = macs.v[i].port;
			return -EADDRINUSE;
		}
	/* Reads above, one batch below: nothing is half-applied. */
	qnet_nfnl_begin(n);
	table_add(n);
	if (!rs.base)
		base_add(n, false);
	bridge_sets_add(n, b);
	if (!rs_guarded(&rs, b))
		bridge_chains_add(n, b, false);
	r = prune(&pr, 0, &macs);
	if (r < 0)
		return r;
	/* The bridge's own link-local address (the gateway's, on a NAT
	 * network, whose MAC never changes) is the bridge's, and no port
	 * sends from the bridge's MAC. A configured guest MAC owns its own. */
	eui64_ll(bridge.mac, ll);
	ll_claim(n, b, ll, bridge.mac, &lls);
	if (props && props->mac_set) {
		eui64_ll(props->mac, ll);
		ll_claim(n, b, ll, props->mac, &lls);
	}
	port_add(n, b, bridge.mac, p, props, false);
	*what = "installing the port's rules";
	return qnet_nfnl_commit(n, NULL);
}

static int refill_if_flushed(struct qnet_nl *nl, struct qnet_nfnl *n)
{
	_cleanup_(ruled_free) struct ruled w = { NULL, 0 };
	int r = qnet_nfnl_dump(n, NFT_MSG_GETRULE, NFTA_RULE_TABLE, TABLE, "pre", on_rule, &w);

	if (r < 0 || !empty(&w, "pre"))
		return r;
	r = qnet_portfilter_refill(nl, NULL, NULL);
	return r < 0 ? r : 0;
}

int qnet_portfilter_attach(struct qnet_nl *nl, int bridge, int port, const struct qnet_portfilter_props *p,
			   char *why, size_t why_size)
{
	_cleanup_nfnl_ struct qnet_nfnl n = { .fd = -1 };
	const char *what = "opening nf_tables netlink";
	int r, in_use_by = 0;

	r = qnet_nfnl_open(&n, NFPROTO_BRIDGE);
	/* After nft flush table the other ports' chains are there, empty,
	 * and pass everything: that is put right first. The base chain's
	 * rule tells, in one short dump. */
	if (r == 0) {
		what = "putting back the rules nft flush table took";
		r = refill_if_flushed(nl, &n);
	}
	/* Two programs attaching to one bridge at once may both find its
	 * chains missing; EXCL makes one of them fail, and it reads again. */
	for (int attempt = 0; r == 0 && attempt < 3; attempt++) {
		r = attach_once(nl, &n, bridge, port, p, &what, &in_use_by);
		if (r != -EEXIST && r != -ENOENT && r != -EBUSY)
			break;
	}
	if (r == -EADDRINUSE) {
		char m[QNET_ADDR_MAC_SIZE];

		return qnet_because(why, why_size, r, "MAC %s is already the guest MAC of port %d of this bridge",
				    qnet_addr_format_mac(p->mac, m), in_use_by);
	}
	if (r < 0)
		return because(why, why_size, r, what);
	return 0;
}

static bool always(int pb, int p, bool chain, void *userdata)
{
	(void)pb, (void)p, (void)chain, (void)userdata;
	return true;
}

/* Remove from bridge B the ports DOOMED says, or everything of B when
 * WHOLE_BRIDGE. 1 if anything went, 0 if nothing was there. */
static int remove_ports(struct qnet_nfnl *n, int b, bool (*doomed)(int pb, int p, bool chain, void *userdata),
			void *userdata, bool whole_bridge)
{
	_cleanup_(ruleset_free) struct ruleset rs = { 0 };
	_cleanup_(ids_free) struct ids ports = { NULL, 0 };
	_cleanup_(claims_free) struct claims macs = CLAIMS_MAC;
	_cleanup_(prune_free) struct prune pr = { n, &rs, &ports, b, whole_bridge ? always : doomed, userdata,
						  { NULL, 0 }, false };
	int r;

	r = ruleset_read(n, &rs);
	if (r == 0 && rs.base)
		r = read_elems(n, "ports", on_port_elems, &ports);
	if (r == 0 && !whole_bridge && rs_guarded(&rs, b))
		r = claims_read(n, b, &macs);
	if (r < 0)
		return r;
	if (!ids_has(&rs.bridges, b))
		return 0;
	qnet_nfnl_begin(n);
	r = prune(&pr, b, &macs);
	if (r < 0)
		return r;
	if (whole_bridge) {
		/* In bridge_objs' order: guard jumps to the other chains, and
		 * the chains use the sets. */
		for (size_t i = 0; i < ARRAY_SIZE(bridge_objs); i++) {
			char name[NAME_SIZE];

			if (!ids_has(&rs.has[i], b))
				continue;
			name2(name, bridge_objs[i].kind, b);
			if (bridge_objs[i].chain)
				chain_del(n, name);
			else
				set_del(n, name);
		}
		pr.any = true;
	}
	r = qnet_nfnl_commit(n, NULL);
	return r < 0 ? r : pr.any;
}

static bool is_port(int pb, int p, bool chain, void *userdata)
{
	(void)pb, (void)chain;
	return p == *(int *)userdata;
}

int qnet_portfilter_detach(int bridge, int port)
{
	_cleanup_nfnl_ struct qnet_nfnl n = { .fd = -1 };
	int r = qnet_nfnl_open(&n, NFPROTO_BRIDGE);

	if (r == 0)
		r = remove_ports(&n, bridge, is_port, &port, false);
	return r < 0 ? r : 0;
}

int qnet_portfilter_remove_bridge(int bridge)
{
	_cleanup_nfnl_ struct qnet_nfnl n = { .fd = -1 };
	int r = qnet_nfnl_open(&n, NFPROTO_BRIDGE);

	if (r == 0)
		r = remove_ports(&n, bridge, NULL, NULL, true);
	return r < 0 ? r : 0;
}

int qnet_portfilter_present(int port)
{
	_cleanup_nfnl_ struct qnet_nfnl n = { .fd = -1 };
	_cleanup_(ids_free) struct ids ports = { NULL, 0 };
	int r = qnet_nfnl_open(&n, NFPROTO_BRIDGE);

	if (r == 0)
		r = read_elems(&n, "ports", on_port_elems, &ports);
	return r < 0 ? r : ids_has(&ports, port);
}

int qnet_portfilter_unfiltered(struct qnet_nl *nl, int bridge, int **ret, size_t *n)
{
	_cleanup_nfnl_ struct qnet_nfnl nf = { .fd = -1 };
	_cleanup_(ids_free) struct ids ports = { NULL, 0 }, alive = { NULL, 0 };
	struct ids out = { NULL, 0 };
	int r = qnet_nfnl_open(&nf, NFPROTO_BRIDGE);

	if (r == 0)
		r = read_elems(&nf, "ports", on_port_elems, &ports);
	if (r == 0)
		r = qnet_link_bridge_foreach_port(nl, bridge, collect_port, &alive);
	for (size_t i = 0; r == 0 && i < alive.n; i++)
		if (!ids_has(&ports, alive.v[i]))
			r = ids_add(&out, alive.v[i]);
	if (r < 0) {
		ids_free(&out);
		return r;
	}
	*ret = out.v;
	*n = out.n;
	return 0;
}

void qnet_portfilter_eui64(const uint8_t mac[6], const struct in6_addr *prefix, struct in6_addr *ret)
{
	memcpy(ret->s6_addr, prefix->s6_addr, 8);
	ret->s6_addr[8] = mac[0] ^ 0x02;
	ret->s6_addr[9] = mac[1];
	ret->s6_addr[10] = mac[2];
	ret->s6_addr[11] = 0xff;
	ret->s6_addr[12] = 0xfe;
	ret->s6_addr[13] = mac[3];
	ret->s6_addr[14] = mac[4];
	ret->s6_addr[15] = mac[5];
}

int qnet_portfilter_allow(int bridge, const uint8_t mac[6], int family, const void *addr, bool add,
			  char *why, size_t why_size)
{
	_cleanup_nfnl_ struct qnet_nfnl n = { .fd = -1 };
	_cleanup_(claims_free) struct claims lls = CLAIMS_LL;
	uint8_t key[8 + 16] = { 0 };
	char set[NAME_SIZE], owner6[NAME_SIZE];
	size_t len = family == AF_INET6 ? 16 : 4;
	bool ll = family == AF_INET6 && !memcmp(addr, fe80, 8);
	int r;

	if (family != AF_INET && family != AF_INET6)
		return qnet_because(why, why_size, -EAFNOSUPPORT, "address family %d", family);
	name2(set, family == AF_INET6 ? "ip6" : "ip4", bridge);
	name2(owner6, "owner6", bridge);
	memcpy(key, mac, ETH_ALEN);
	memcpy(key + 8, addr, len);
	r = qnet_nfnl_open(&n, NFPROTO_BRIDGE);
	if (r < 0)
		return because(why, why_size, r, "opening nf_tables netlink");
	/* A link-local address the network gives a MAC (its EUI-64 one) is
	 * that MAC's in owner6-B too, whoever claimed it first. */
	if (ll)
		r = claims_read(&n, bridge, &lls);
	if (r < 0)
		return because(why, why_size, r, owner6);
	qnet_nfnl_begin(&n);
	if (add) {
		table_add(&n);
		bridge_sets_add(&n, bridge);
	}
	if (add)
		elem(&n, NFT_MSG_NEWSETELEM, set, key, 8 + len, NULL, 0, NULL);
	else
		elem_forget(&n, set, key, 8 + len);
	if (ll && add)
		ll_claim(&n, bridge, addr, mac, &lls);
	for (size_t i = 0; ll && !add && i < lls.n; i++)
		if (!memcmp(lls.v[i].key, addr, 16) && !memcmp(lls.v[i].key + 16, mac, ETH_ALEN)) {
			char claimed6[NAME_SIZE];

			name2(claimed6, "claimed6", bridge);
			elem_forget(&n, owner6, lls.v[i].key, 16 + 8);
			elem_forget(&n, claimed6, addr, 16);
		}
	r = qnet_nfnl_commit(&n, NULL);
	if (!add && r == -ENOENT)
		r = 0; /* the table or a set is not there: nothing to take back */
	return r < 0 ? because(why, why_size, r, set) : 0;
}

struct sweep {
	struct qnet_nl *nl;
	int bridge;
};

static bool port_dead(const struct sweep *s, int p)
{
	struct qnet_link l;

	return qnet_link_get_by_index(s->nl, p, &l) < 0 || l.master != s->bridge;
}

/* A port that is gone or has left the bridge, or what is left of a
 * port's filter without its chain. */
static bool dead(int pb, int p, bool chain, void *userdata)
{
	(void)pb;
	return !chain || port_dead(userdata, p);
}

int qnet_portfilter_sweep(struct qnet_nl *nl, void (*report)(int bridge, int port, void *userdata),
			  void *userdata)
{
	_cleanup_nfnl_ struct qnet_nfnl n = { .fd = -1 };
	_cleanup_(ruleset_free) struct ruleset rs = { 0 };
	int r, count = 0;

	r = qnet_nfnl_open(&n, NFPROTO_BRIDGE);
	if (r == 0)
		r = ruleset_read(&n, &rs);
	if (r < 0)
		return r;
	for (size_t i = 0; i < rs.bridges.n; i++) {
		int b = rs.bridges.v[i];
		struct qnet_link l;
		struct sweep s = { nl, b };
		bool gone = qnet_link_get_by_index(nl, b, &l) < 0 || !l.is_bridge;

		for (size_t j = 0; j < rs.n_obj[OBJ_PORT]; j++) {
			const struct pair *o = &rs.obj[OBJ_PORT][j];

			if (o->b == b && (gone || port_dead(&s, o->p))) {
				count++;
				if (report)
					report(b, o->p, userdata);
			}
		}
		if (gone && report)
			report(b, 0, userdata);
		r = remove_ports(&n, b, dead, &s, gone);
		if (r < 0)
			return r;
		count += gone;
	}
	return count;
}

/* ---- rules put back ---- */

/* One round of qnet_portfilter_refill(): what it put back into DONE
 * (bridge, port; port 0 for a bridge's chains), committed. */
static int refill_once(struct qnet_nfnl *n, struct qnet_nl *nl, struct pair **done, size_t *n_done)
{
	_cleanup_(ruleset_free) struct ruleset rs = { 0 };
	_cleanup_(ruled_free) struct ruled w = { NULL, 0 };
	char name[NAME_SIZE];
	int r, count = 0;

	r = ruleset_read(n, &rs);
	if (r == 0 && rs.base)
		r = qnet_nfnl_dump(n, NFT_MSG_GETRULE, NFTA_RULE_TABLE, TABLE, NULL, on_rule, &w);
	if (r < 0 || !rs.base)
		return r;
	/* Every chain of ours has a rule: one without any was flushed (nft
	 * flush table, nft flush chain), and a port whose chain is empty is
	 * not filtered at all. Its sets are there, with what they learned:
	 * only the rules come back. */
	qnet_nfnl_begin(n);
	if (empty(&w, "pre")) {
		chain_flush(n, "pre"); /* a second refill at once adds no second rule */
		base_add(n, true);
		count++;
	}
	for (size_t i = 0; i < rs.has[0].n; i++) {
		int b = rs.has[0].v[i];
		bool refill = false, whole = true;

		for (size_t k = 0; k < ARRAY_SIZE(bridge_objs); k++) {
			if (!bridge_objs[k].chain)
				continue;
			name2(name, bridge_objs[k].kind, b);
			refill |= empty(&w, name);
			whole &= ids_has(&rs.has[k], b);
		}
		if (!refill || !whole)
			continue;
		for (size_t k = 0; k < ARRAY_SIZE(bridge_objs); k++)
			if (bridge_objs[k].chain) {
				name2(name, bridge_objs[k].kind, b);
				chain_flush(n, name);
			}
		bridge_sets_add(n, b);
		bridge_chains_add(n, b, true);
		count++;
		if (pair_add(done, n_done, b, 0) < 0)
			return -ENOMEM;
	}
	for (size_t i = 0; i < rs.n_obj[OBJ_PORT]; i++) {
		int b = rs.obj[OBJ_PORT][i].b, p = rs.obj[OBJ_PORT][i].p;
		struct qnet_link bridge;
		bool refill = false, whole = true;

		for (size_t k = 0; k < N_OBJ; k++) {
			whole &= rs_has(&rs, (int)k, b, p);
			if (port_objs[k].chain) {
				name3(name, port_objs[k].kind, b, p);
				refill |= empty(&w, name);
			}
		}
		/* A port without all its objects, or of a bridge that is gone,
		 * is the sweep's. */
		if (!refill || !whole || !rs_guarded(&rs, b) || qnet_link_get_by_index(nl, b, &bridge) < 0)
			continue;
		for (size_t k = 0; k < N_OBJ; k++)
			if (port_objs[k].chain) {
				name3(name, port_objs[k].kind, b, p);
				chain_flush(n, name);
			}
		bridge_sets_add(n, b);
		port_add(n, b, bridge.mac, p, NULL, true);
		count++;
		if (pair_add(done, n_done, b, p) < 0)
			return -ENOMEM;
	}
	if (!count)
		return 0;
	r = qnet_nfnl_commit(n, NULL);
	return r < 0 ? r : count;
}

int qnet_portfilter_refill(struct qnet_nl *nl, void (*report)(int bridge, int port, void *userdata), void *userdata)
{
	_cleanup_nfnl_ struct qnet_nfnl n = { .fd = -1 };
	_cleanup_free_ struct pair *done = NULL;
	size_t n_done = 0;
	int r = qnet_nfnl_open(&n, NFPROTO_BRIDGE);

	/* What was read may be gone by the commit (a port detached, the
	 * sweep): read again. */
	for (int attempt = 0; r == 0 && attempt < 3; attempt++) {
		n_done = 0;
		r = refill_once(&n, nl, &done, &n_done);
		if (r != -EEXIST && r != -ENOENT && r != -EBUSY)
			break;
	}
	for (size_t i = 0; r > 0 && report && i < n_done; i++)
		report(done[i].b, done[i].p, userdata);
	return r;
}

/* ---- reading, for qnet status ---- */

struct learned {
	uint8_t mac[ETH_ALEN];
	bool known;
};

static int on_mac(const void *key, size_t key_len, const void *data, size_t data_len, void *userdata)
{
	struct learned *l = userdata;

	(void)data;
	(void)data_len;
	if (key_len != ETH_ALEN)
		return -EBADMSG;
	memcpy(l->mac, key, ETH_ALEN);
	l->known = true;
	return 0;
}

static int on_macs(const struct qnet_nfnl_attrs *a, void *userdata)
{
	return qnet_nfnl_foreach_elem(a, on_mac, userdata);
}

int qnet_portfilter_foreach_port(int (*fn)(const struct qnet_portfilter_port *p, void *userdata), void *userdata)
{
	_cleanup_nfnl_ struct qnet_nfnl n = { .fd = -1 };
	_cleanup_(ruleset_free) struct ruleset rs = { 0 };
	int r;

	r = qnet_nfnl_open(&n, NFPROTO_BRIDGE);
	if (r == 0)
		r = ruleset_read(&n, &rs);
	for (size_t i = 0; r == 0 && i < rs.n_obj[OBJ_PORT]; i++) {
		struct qnet_portfilter_port p = { .bridge = rs.obj[OBJ_PORT][i].b, .port = rs.obj[OBJ_PORT][i].p };
		struct learned l = { .known = false };
		char set[NAME_SIZE];

		name3(set, "mac", p.bridge, p.port);
		r = read_elems(&n, set, on_macs, &l);
		if (r < 0)
			break;
		p.mac_known = l.known;
		memcpy(p.mac, l.mac, ETH_ALEN);
		r = fn(&p, userdata);
	}
	return r;
}

struct allowed {
	int family;
	int (*fn)(const uint8_t mac[6], int family, const void *addr, void *userdata);
	void *userdata;
};

static int on_allowed(const void *key, size_t key_len, const void *data, size_t data_len, void *userdata)
{
	struct allowed *a = userdata;

	(void)data;
	(void)data_len;
	if (key_len != (a->family == AF_INET6 ? 8u + 16 : 8u + 4))
		return -EBADMSG;
	return a->fn(key, a->family, (const uint8_t *)key + 8, a->userdata);
}

static int on_allowed_msg(const struct qnet_nfnl_attrs *m, void *userdata)
{
	return qnet_nfnl_foreach_elem(m, on_allowed, userdata);
}

int qnet_portfilter_foreach_allowed(int bridge,
				    int (*fn)(const uint8_t mac[6], int family, const void *addr, void *userdata),
				    void *userdata)
{
	_cleanup_nfnl_ struct qnet_nfnl n = { .fd = -1 };
	struct allowed a = { AF_INET, fn, userdata };
	char set[NAME_SIZE];
	int r;

	r = qnet_nfnl_open(&n, NFPROTO_BRIDGE);
	if (r < 0)
		return r;
	name2(set, "ip4", bridge);
	r = read_elems(&n, set, on_allowed_msg, &a);
	if (r == 0) {
		a.family = AF_INET6;
		name2(set, "ip6", bridge);
		r = read_elems(&n, set, on_allowed_msg, &a);
	}
	return r;
}
