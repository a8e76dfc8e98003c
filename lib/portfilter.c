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

/* Flush, then delete: a chain must be empty to go. */
static void chain_del(struct qnet_nfnl *n, const char *name)
{
	qnet_nfnl_msg(n, NFT_MSG_DELRULE, 0);
	qnet_nfnl_put_str(n, NFTA_RULE_TABLE, TABLE);
	qnet_nfnl_put_str(n, NFTA_RULE_CHAIN, name);
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
static void not_in_pair(struct qnet_nfnl *n, const char *set, uint32_t base, uint32_t off, uint32_t len)
{
	qnet_nfnl_expr_payload(n, LL, 6, ETH_ALEN, R_A);
	qnet_nfnl_expr_payload(n, base, off, len, R_B);
	qnet_nfnl_expr_lookup(n, set, R_A, ~0u, true);
}

static void ip6_src_is(struct qnet_nfnl *n, const void *prefix, uint32_t len)
{
	match(n, NH, 8, prefix, len, true);
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
static void base_add(struct qnet_nfnl *n)
{
	size_t r;

	set_add(n, "ports", TYPE_IFINDEX, 4, TYPE_VERDICT, 0, 0, 0);
	chain_add(n, "pre", NF_BR_PRE_ROUTING);
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
}

/* What every filtered port of bridge B shares: which frames, and which
 * addresses a MAC may use (ip4-B, ip6-B). */
static void bridge_chains_add(struct qnet_nfnl *n, int b)
{
	static const uint8_t arp_ipv4_ether[6] = { 0, 1, 8, 0, 6, 4 }; /* htype 1, ptype IPv4, hlen 6, plen 4 */
	static const uint8_t any4[4] = { 0 }, bcast4[4] = { 255, 255, 255, 255 };
	static const uint8_t dhcp_client[4] = { 0, 68, 0, 67 }, dhcp6_client[4] = { 0x02, 0x22, 0x02, 0x23 };
	static const uint8_t any6[16] = { 0 }, fe80[8] = { 0xfe, 0x80 };
	static const uint8_t arp_request[2] = { 0, 1 };
	char guard[NAME_SIZE], arp[NAME_SIZE], v4[NAME_SIZE], v6[NAME_SIZE], ip4[NAME_SIZE], ip6[NAME_SIZE];
	size_t r;

	name2(guard, "guard", b);
	name2(arp, "arp", b);
	name2(v4, "v4", b);
	name2(v6, "v6", b);
	name2(ip4, "ip4", b);
	name2(ip6, "ip6", b);
	chain_add(n, arp, -1);
	chain_add(n, v4, -1);
	chain_add(n, v6, -1);
	chain_add(n, guard, -1);

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
	/* From ::, only duplicate address detection (NS) and the MLD report
	 * that goes with it. */
	icmp6_from(n, v6, any6, 16, 135);
	icmp6_from(n, v6, any6, 16, 143);
	r = rule(n, v6);
	ip6_src_is(n, any6, 16);
	end(n, r, NF_DROP, NULL);
	/* Before the network knows its addresses a guest may still ask for a
	 * router, report multicast listening and ask for a DHCPv6 lease from
	 * any link-local address: none of these speaks for an address. */
	icmp6_from(n, v6, fe80, 8, 133);
	icmp6_from(n, v6, fe80, 8, 143);
	icmp6_from(n, v6, fe80, 8, 131);
	r = rule(n, v6);
	ip6_src_is(n, fe80, 8);
	l4proto(n, IPPROTO_UDP);
	match(n, TH, 0, dhcp6_client, 4, true);
	end(n, r, NF_ACCEPT, NULL);
	r = rule(n, v6);
	not_in_pair(n, ip6, NH, 8, 16);
	end(n, r, NF_DROP, NULL);
	/* A neighbour advertisement speaks for its target. */
	r = rule(n, v6);
	icmp6_type(n, 136);
	not_in_pair(n, ip6, TH, 8, 16);
	end(n, r, NF_DROP, NULL);
	r = rule(n, v6);
	end(n, r, NF_ACCEPT, NULL);
}

/* Port P's own chain and MAC set, and its entry in ports. */
static void port_add(struct qnet_nfnl *n, int b, const uint8_t bridge_mac[ETH_ALEN], int p,
		     const struct qnet_portfilter_props *props)
{
	static const uint8_t group_bit = 0x01, zero = 0, zero_mac[ETH_ALEN] = { 0 };
	char chain[NAME_SIZE], mac[NAME_SIZE], owner[NAME_SIZE], guard[NAME_SIZE];
	uint32_t key = (uint32_t)p;
	size_t r;

	name3(chain, "port", b, p);
	name3(mac, "mac", b, p);
	name2(owner, "owner", b);
	name2(guard, "guard", b);
	/* Size 1: the first MAC fills it, and a dynset add into a full set
	 * fails, so no second MAC is ever learned. A configured MAC fills it
	 * before the port carries anything. */
	set_add(n, mac, TYPE_ETHERADDR, ETH_ALEN, 0, 0, NFT_SET_EVAL, 1);
	if (props && props->mac_set) {
		/* Known before the first frame: the port owns it from now on,
		 * so no other port can claim it first. */
		elem(n, NFT_MSG_NEWSETELEM, mac, props->mac, ETH_ALEN, NULL, 0, NULL);
		elem(n, NFT_MSG_NEWSETELEM, owner, props->mac, ETH_ALEN, &key, sizeof(key), NULL);
	}
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
	end(n, r, NFT_GOTO, guard);
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

struct ruleset {
	bool base;                  /* chain pre */
	struct ids guards;          /* bridges with their guard chain */
	struct ids bridges;         /* bridges with any object */
	struct pair *ports;         /* port chains */
	size_t n_ports;
	struct pair *macs;          /* MAC sets */
	size_t n_macs;
};

static void ruleset_free(struct ruleset *rs)
{
	ids_free(&rs->guards);
	ids_free(&rs->bridges);
	free(rs->ports);
	free(rs->macs);
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

static int on_chain(const struct qnet_nfnl_attrs *a, void *userdata)
{
	struct ruleset *rs = userdata;
	char table[NAME_SIZE], name[NAME_SIZE];
	int b, p;

	if (!qnet_nfnl_attr_str(a, NFTA_CHAIN_TABLE, table, sizeof(table)) || !streq(table, TABLE) ||
	    !qnet_nfnl_attr_str(a, NFTA_CHAIN_NAME, name, sizeof(name)))
		return 0;
	if (streq(name, "pre"))
		rs->base = true;
	else if (parse_name(name, "guard", &b, NULL))
		return ids_add(&rs->guards, b) ?: ids_add(&rs->bridges, b);
	else if (parse_name(name, "port", &b, &p))
		return pair_add(&rs->ports, &rs->n_ports, b, p) ?: ids_add(&rs->bridges, b);
	else if (parse_name(name, "arp", &b, NULL) || parse_name(name, "v4", &b, NULL) ||
		 parse_name(name, "v6", &b, NULL))
		return ids_add(&rs->bridges, b);
	return 0;
}

static int on_set(const struct qnet_nfnl_attrs *a, void *userdata)
{
	struct ruleset *rs = userdata;
	char table[NAME_SIZE], name[NAME_SIZE];
	int b, p;

	if (!qnet_nfnl_attr_str(a, NFTA_SET_TABLE, table, sizeof(table)) || !streq(table, TABLE) ||
	    !qnet_nfnl_attr_str(a, NFTA_SET_NAME, name, sizeof(name)))
		return 0;
	if (parse_name(name, "mac", &b, &p))
		return pair_add(&rs->macs, &rs->n_macs, b, p) ?: ids_add(&rs->bridges, b);
	if (parse_name(name, "ip4", &b, NULL) || parse_name(name, "ip6", &b, NULL) ||
	    parse_name(name, "owner", &b, NULL))
		return ids_add(&rs->bridges, b);
	return 0;
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

struct claim {
	uint8_t mac[ETH_ALEN];
	int port;
};

struct claims {
	struct claim *v;
	size_t n;
};

static int on_claim(const void *key, size_t key_len, const void *data, size_t data_len, void *userdata)
{
	struct claims *c = userdata;
	struct claim *a;
	uint32_t p;

	if (key_len != ETH_ALEN || data_len != sizeof(p))
		return -EBADMSG;
	a = reallocarray(c->v, c->n + 1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	c->v = a;
	memcpy(c->v[c->n].mac, key, ETH_ALEN);
	memcpy(&p, data, sizeof(p));
	c->v[c->n++].port = (int)p;
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

/* ---- removal ---- */

/* Everything of port P on bridge B that RS and PORTS show, into the batch. */
static void port_remove(struct qnet_nfnl *n, const struct ruleset *rs, const struct ids *ports, int b, int p)
{
	char name[NAME_SIZE];
	uint32_t key = (uint32_t)p;

	if (ids_has(ports, p))
		elem(n, NFT_MSG_DELSETELEM, "ports", &key, sizeof(key), NULL, 0, NULL);
	for (size_t i = 0; i < rs->n_ports; i++)
		if (rs->ports[i].b == b && rs->ports[i].p == p) {
			name3(name, "port", b, p);
			chain_del(n, name);
		}
	for (size_t i = 0; i < rs->n_macs; i++)
		if (rs->macs[i].b == b && rs->macs[i].p == p) {
			name3(name, "mac", b, p);
			set_del(n, name);
		}
}

/* B's MAC claims, read before a batch is begun (a dump reuses the buffer). */
static int claims_read(struct qnet_nfnl *n, int b, struct claims *c)
{
	char owner[NAME_SIZE];

	name2(owner, "owner", b);
	return read_elems(n, owner, on_claims, c);
}

/* Claims C on B of ports not in KEEP, into the batch. */
static void claims_remove(struct qnet_nfnl *n, int b, const struct claims *c, const struct ids *keep)
{
	char owner[NAME_SIZE];

	name2(owner, "owner", b);
	for (size_t i = 0; i < c->n; i++)
		if (!ids_has(keep, c->v[i].port))
			elem(n, NFT_MSG_DELSETELEM, owner, c->v[i].mac, ETH_ALEN, NULL, 0, NULL);
}

static void claims_free(struct claims *c)
{
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

static int collect_port(const struct qnet_link *port, void *userdata)
{
	return ids_add(userdata, port->ifindex);
}

/* ---- the API ---- */

static int attach_once(struct qnet_nl *nl, struct qnet_nfnl *n, int b, int p,
		       const struct qnet_portfilter_props *props, const char **what, int *in_use_by)
{
	_cleanup_(ruleset_free) struct ruleset rs = { 0 };
	_cleanup_(ids_free) struct ids ports = { NULL, 0 }, alive = { NULL, 0 }, keep = { NULL, 0 };
	_cleanup_(claims_free) struct claims claims = { NULL, 0 };
	struct qnet_link bridge;
	int r;

	*what = "reading it";
	r = qnet_link_get_by_index(nl, b, &bridge);
	if (r == 0)
		r = ruleset_read(n, &rs);
	if (r == 0 && rs.base)
		r = read_elems(n, "ports", on_port_elems, &ports);
	if (r == 0 && ids_has(&rs.guards, b))
		r = claims_read(n, b, &claims);
	if (r == 0)
		r = qnet_link_bridge_foreach_port(nl, b, collect_port, &alive);
	if (r < 0)
		return r;
	for (size_t i = 0; props && props->mac_set && i < claims.n; i++)
		if (!memcmp(claims.v[i].mac, props->mac, ETH_ALEN) && claims.v[i].port != p &&
		    ids_has(&alive, claims.v[i].port)) {
			*in_use_by = claims.v[i].port;
			return -EADDRINUSE;
		}
	/* Reads above, one batch below: nothing is half-applied. */
	qnet_nfnl_begin(n);
	table_add(n);
	if (!rs.base)
		base_add(n);
	bridge_sets_add(n, b);
	if (!ids_has(&rs.guards, b))
		bridge_chains_add(n, b);
	/* P's earlier filter (a re-attach) and every port of B that is gone
	 * or has left B. */
	for (size_t i = 0; i < rs.n_ports; i++) {
		int q = rs.ports[i].p, qb = rs.ports[i].b;

		if (q == p || (qb == b && !ids_has(&alive, q)))
			port_remove(n, &rs, &ports, qb, q);
		else if (qb == b && ids_add(&keep, q) < 0)
			return -ENOMEM;
	}
	for (size_t i = 0; i < rs.n_macs; i++) {
		const struct pair *m = &rs.macs[i];
		bool has_chain = false;

		for (size_t j = 0; j < rs.n_ports; j++)
			has_chain |= rs.ports[j].b == m->b && rs.ports[j].p == m->p;
		if (m->b == b && !has_chain) { /* a set whose chain went */
			char name[NAME_SIZE];

			name3(name, "mac", b, m->p);
			set_del(n, name);
		}
	}
	claims_remove(n, b, &claims, &keep);
	port_add(n, b, bridge.mac, p, props);
	*what = "installing the port's rules";
	return qnet_nfnl_commit(n, NULL);
}

int qnet_portfilter_attach(struct qnet_nl *nl, int bridge, int port, const struct qnet_portfilter_props *p,
			   char *why, size_t why_size)
{
	_cleanup_nfnl_ struct qnet_nfnl n = { .fd = -1 };
	const char *what = "opening nf_tables netlink";
	int r, in_use_by = 0;

	r = qnet_nfnl_open(&n, NFPROTO_BRIDGE);
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

static int remove_ports(struct qnet_nfnl *n, int b, bool (*doomed)(int p, void *userdata), void *userdata,
			bool whole_bridge)
{
	_cleanup_(ruleset_free) struct ruleset rs = { 0 };
	_cleanup_(ids_free) struct ids ports = { NULL, 0 }, keep = { NULL, 0 };
	_cleanup_(claims_free) struct claims claims = { NULL, 0 };
	char name[NAME_SIZE];
	bool any = false;
	int r;

	r = ruleset_read(n, &rs);
	if (r == 0 && rs.base)
		r = read_elems(n, "ports", on_port_elems, &ports);
	if (r == 0 && !whole_bridge && ids_has(&rs.guards, b))
		r = claims_read(n, b, &claims);
	if (r < 0)
		return r;
	if (!ids_has(&rs.bridges, b))
		return 0;
	qnet_nfnl_begin(n);
	for (size_t i = 0; i < rs.n_ports; i++) {
		if (rs.ports[i].b != b)
			continue;
		if (whole_bridge || doomed(rs.ports[i].p, userdata)) {
			port_remove(n, &rs, &ports, b, rs.ports[i].p);
			any = true;
		} else if (ids_add(&keep, rs.ports[i].p) < 0) {
			return -ENOMEM;
		}
	}
	if (whole_bridge) {
		for (size_t i = 0; i < rs.n_macs; i++)
			if (rs.macs[i].b == b) {
				bool done = false;

				for (size_t j = 0; j < rs.n_ports; j++)
					done |= rs.ports[j].b == b && rs.ports[j].p == rs.macs[i].p;
				if (!done) {
					name3(name, "mac", b, rs.macs[i].p);
					set_del(n, name);
				}
			}
		if (ids_has(&rs.guards, b)) {
			static const char *const chains[] = { "guard", "arp", "v4", "v6" };

			/* guard jumps to the other three: it goes first. */
			for (size_t i = 0; i < ARRAY_SIZE(chains); i++) {
				name2(name, chains[i], b);
				chain_del(n, name);
			}
		}
		name2(name, "ip4", b);
		set_del(n, name);
		name2(name, "ip6", b);
		set_del(n, name);
		name2(name, "owner", b);
		set_del(n, name);
		any = true;
	} else {
		claims_remove(n, b, &claims, &keep);
	}
	r = qnet_nfnl_commit(n, NULL);
	return r < 0 ? r : any;
}

static bool is_port(int p, void *userdata)
{
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
	uint8_t key[8 + 16] = { 0 };
	char set[NAME_SIZE];
	size_t len = family == AF_INET6 ? 16 : 4;
	int r;

	if (family != AF_INET && family != AF_INET6)
		return qnet_because(why, why_size, -EAFNOSUPPORT, "address family %d", family);
	name2(set, family == AF_INET6 ? "ip6" : "ip4", bridge);
	memcpy(key, mac, ETH_ALEN);
	memcpy(key + 8, addr, len);
	r = qnet_nfnl_open(&n, NFPROTO_BRIDGE);
	if (r < 0)
		return because(why, why_size, r, "opening nf_tables netlink");
	qnet_nfnl_begin(&n);
	if (add) {
		table_add(&n);
		bridge_sets_add(&n, bridge);
	}
	elem(&n, add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM, set, key, 8 + len, NULL, 0, NULL);
	r = qnet_nfnl_commit(&n, NULL);
	if (!add && r == -ENOENT)
		r = 0; /* not there: nothing to take back */
	return r < 0 ? because(why, why_size, r, set) : 0;
}

struct sweep {
	struct qnet_nl *nl;
	int bridge;
};

static bool dead(int p, void *userdata)
{
	struct sweep *s = userdata;
	struct qnet_link l;

	return qnet_link_get_by_index(s->nl, p, &l) < 0 || l.master != s->bridge;
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

		for (size_t j = 0; j < rs.n_ports; j++)
			if (rs.ports[j].b == b && (gone || dead(rs.ports[j].p, &s))) {
				count++;
				if (report)
					report(b, rs.ports[j].p, userdata);
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
	for (size_t i = 0; r == 0 && i < rs.n_ports; i++) {
		struct qnet_portfilter_port p = { .bridge = rs.ports[i].b, .port = rs.ports[i].p };
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
