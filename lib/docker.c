// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Theory of operation. Docker sets the FORWARD policy of iptables' filter
 * table to DROP when it turns ip_forward on. A packet passes a hook only
 * if every base chain on it accepts, so no accept in our table
 * `inet qnet-NAME` saves a NAT network's traffic from that drop. Docker's
 * documented place for rules of others is its DOCKER-USER chain, which
 * FORWARD jumps to first and whose rules Docker never deletes. There, and
 * in no other chain of anybody else's, each NAT network that comes up
 * puts two rules, at the top (Docker appends its RETURN), each with the
 * comment "qnet:NAME":
 *
 *   -i BRIDGE -j ACCEPT                                        guests out
 *   -o BRIDGE -m conntrack --ctstate RELATED,ESTABLISHED,DNAT -j ACCEPT
 *                                            replies, and port forwards
 *
 * They only lift Docker's drop for our bridge: our own table still says
 * what reaches a guest (it rejects everything else), as on a host
 * without Docker.
 *
 * They are written as iptables-nft writes its own (an x_tables conntrack
 * match, the comment in the rule's userdata), not with nft's native ct
 * expression: iptables-nft cannot read that back, and a single rule it
 * cannot read makes `iptables-save` and Docker's own iptables calls on
 * the table fail ("table `filter' is incompatible"). libnftables cannot
 * write an x_tables match, so the rules go in over nfnetlink (nfnl.c);
 * they are found by their comment and deleted by handle through
 * libnftables' JSON (nft.c), which also shows which of ours is which.
 *
 * Idempotent, for every entry point (and qnet watch): list the chain, keep
 * each of our rules that is exactly one we want, delete ours that are not
 * (a duplicate, an old bridge), add what is missing. After Docker
 * recreates its chains or `iptables -F DOCKER-USER`, the next entry puts
 * back exactly the rules that went. When the network goes down exactly
 * its rules go, by handle, and the chain is as Docker had it. Callers
 * hold the network's lock, so two runs for one network never race.
 *
 * IPv6: the same in ip6 filter, where Docker runs ip6tables (--ipv6).
 * Where there is no DOCKER-USER (legacy iptables, another firewall's
 * table) or qnet.conf says [firewall] docker = no, nothing foreign is
 * touched: qnet_docker_describe() says what blocks and the fix.
 */
/* glibc's netinet/in.h before the netfilter headers, or linux/in.h redefines it. */
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"
#include "macro.h"
#include "nfnl.h"
#include "nft.h"
#include "state.h"

#define USER_CHAIN "DOCKER-USER"
#define COMMENT_SIZE (5 + QNET_NAME_MAX + 1) /* "qnet:NAME" */

/* The two families Docker runs iptables in: index 0 ip, 1 ip6. */
static const struct {
	int proto;
	const char *nft, *iptables;
} families[2] = {
	{ NFPROTO_IPV4, "ip", "iptables" },
	{ NFPROTO_IPV6, "ip6", "ip6tables" },
};

static int family_index(const char *nft)
{
	for (int i = 0; i < 2; i++)
		if (streq(nft, families[i].nft))
			return i;
	return -1;
}

static const char *family_name(int proto)
{
	switch (proto) {
	case NFPROTO_IPV4: return "ip";
	case NFPROTO_IPV6: return "ip6";
	case NFPROTO_INET: return "inet";
	case NFPROTO_BRIDGE: return "bridge";
	default: return NULL; /* arp, netdev: no forward hook that carries our traffic */
	}
}

static void add_block(struct qnet_docker_scan *s, const char *family, const char *table, const char *chain)
{
	struct qnet_docker_block *b;

	if (s->n_blocks >= QNET_DOCKER_BLOCKS_MAX)
		return;
	b = &s->block[s->n_blocks++];
	snprintf(b->family, sizeof(b->family), "%s", family);
	snprintf(b->table, sizeof(b->table), "%s", table);
	snprintf(b->chain, sizeof(b->chain), "%s", chain);
}

static int on_chain(const struct qnet_nfnl_attrs *a, void *userdata)
{
	struct qnet_docker_scan *s = userdata;
	const char *family = family_name(a->family);
	char table[64], name[64];
	struct qnet_nfnl_attrs hook;
	uint32_t num, policy;
	int i;

	if (!family || !qnet_nfnl_attr_str(a, NFTA_CHAIN_TABLE, table, sizeof(table)) ||
	    !qnet_nfnl_attr_str(a, NFTA_CHAIN_NAME, name, sizeof(name)))
		return 0;
	i = family_index(family);
	if (i >= 0 && streq(table, "filter") && streq(name, USER_CHAIN))
		s->user_chain[i] = true;
	if (qnet_nfnl_parse_nested(a, NFTA_CHAIN_HOOK, &hook) < 0 || !hook.data[NFTA_HOOK_HOOKNUM] ||
	    hook.len[NFTA_HOOK_HOOKNUM] != 4 || !a->data[NFTA_CHAIN_POLICY] || a->len[NFTA_CHAIN_POLICY] != 4)
		return 0;
	memcpy(&num, hook.data[NFTA_HOOK_HOOKNUM], 4);
	memcpy(&policy, a->data[NFTA_CHAIN_POLICY], 4);
	/* NF_BR_FORWARD is NF_INET_FORWARD's number too. Our own tables
	 * never drop by policy; this is about everyone else's. */
	if (ntohl(num) == NF_INET_FORWARD && ntohl(policy) == NF_DROP && !qnet_state_network_of_table(table, NULL))
		add_block(s, family, table, name);
	return 0;
}

int qnet_docker_scan(struct qnet_docker_scan *ret)
{
	_cleanup_nfnl_ struct qnet_nfnl n = { .fd = -1 };
	int r;

	*ret = (struct qnet_docker_scan){ .n_blocks = 0 };
	r = qnet_nfnl_open(&n, NFPROTO_UNSPEC);
	if (r < 0)
		return r;
	r = qnet_nfnl_dump(&n, NFT_MSG_GETCHAIN, 0, NULL, NULL, on_chain, ret);
	if (r < 0)
		return r;
	/* DOCKER-USER may come after FORWARD in the dump. */
	for (size_t k = 0; k < ret->n_blocks; k++) {
		struct qnet_docker_block *b = &ret->block[k];
		int i = family_index(b->family);

		b->docker = i >= 0 && ret->user_chain[i] && streq(b->table, "filter") && streq(b->chain, "FORWARD");
	}
	/* Hosts whose Docker runs iptables-legacy keep its policy where
	 * nftables cannot see it, and where we cannot write. */
	if (qnet_nft_legacy_filter_loaded() && qnet_nft_legacy_forward_drops() == 1)
		add_block(ret, "", "filter", "FORWARD");
	return 0;
}

/* ---- our rules in one family's DOCKER-USER ---- */

struct ours {
	const char *comment, *bridge;  /* bridge NULL: none of ours is wanted */
	bool have_in, have_out;
	FILE *deletes;                 /* "delete rule ..." for each of ours not wanted */
	const char *family;
};

static bool is_in_rule(const struct qnet_nft_object *o, const char *bridge)
{
	return qnet_nft_object_mentions(o, "iifname") && !qnet_nft_object_mentions(o, "oifname") &&
	       qnet_nft_object_mentions(o, bridge) && !qnet_nft_object_mentions(o, "xt") &&
	       qnet_nft_object_mentions(o, "accept");
}

static bool is_out_rule(const struct qnet_nft_object *o, const char *bridge)
{
	return qnet_nft_object_mentions(o, "oifname") && !qnet_nft_object_mentions(o, "iifname") &&
	       qnet_nft_object_mentions(o, bridge) && qnet_nft_object_mentions(o, "conntrack") &&
	       qnet_nft_object_mentions(o, "accept");
}

static int on_rule(const struct qnet_nft_object *o, void *userdata)
{
	struct ours *u = userdata;

	if (!streq(o->kind, "rule") || !streq(o->chain, USER_CHAIN) || !streq(o->comment, u->comment))
		return 0;
	if (u->bridge && !u->have_in && is_in_rule(o, u->bridge))
		u->have_in = true;
	else if (u->bridge && !u->have_out && is_out_rule(o, u->bridge))
		u->have_out = true;
	else if (o->handle && u->deletes)
		fprintf(u->deletes, "delete rule %s filter %s handle %llu\n", u->family, USER_CHAIN, o->handle);
	return 0;
}

/* List family I's DOCKER-USER and sort our rules (U) out; DELETES, if
 * asked for, gets the script that deletes the unwanted ones. A chain that
 * is gone since the scan has none of ours. */
static int survey(int i, struct ours *u, char **deletes)
{
	_cleanup_free_ char *json = NULL, *err = NULL;
	char cmd[64];
	size_t size = 0;
	int r;

	u->family = families[i].nft;
	u->deletes = deletes ? open_memstream(deletes, &size) : NULL;
	if (deletes && !u->deletes)
		return -ENOMEM;
	snprintf(cmd, sizeof(cmd), "list chain %s filter %s", families[i].nft, USER_CHAIN);
	r = qnet_nft_run(cmd, true, &err, &json);
	if (r == 0 && json)
		r = qnet_nft_json_foreach(json, strlen(json), on_rule, u);
	if (u->deletes && fclose(u->deletes) != 0 && r == 0)
		r = -ENOMEM;
	u->deletes = NULL;
	return r == -ENOENT ? 0 : r;
}

/* The comment that names NETWORK's rules. */
static int comment_of(const char *network, char comment[COMMENT_SIZE])
{
	int n = snprintf(comment, COMMENT_SIZE, "qnet:%s", network);

	return n < 0 || n >= COMMENT_SIZE ? -ENAMETOOLONG : 0;
}

/* NFT_MSG_NEWRULE at the top of family I's DOCKER-USER: BRIDGE in, or
 * (OUT) BRIDGE out for replies and DNATed traffic, as iptables-nft would
 * write `-i BRIDGE -j ACCEPT` or `-o BRIDGE -m conntrack --ctstate
 * RELATED,ESTABLISHED,DNAT -j ACCEPT`, with a counter as each of its
 * rules has, and COMMENT where `-m comment` reads it. */
static void add_rule(struct qnet_nfnl *n, const char *bridge, bool out, const char *comment)
{
	struct xt_conntrack_mtinfo3 ct = {
		.match_flags = XT_CONNTRACK_STATE,
		.state_mask = XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED) | XT_CONNTRACK_STATE_BIT(IP_CT_RELATED) |
			      XT_CONNTRACK_STATE_DNAT,
	};
	char info[XT_ALIGN(sizeof(ct))] = { 0 };
	uint8_t udata[2 + COMMENT_SIZE];
	size_t len = strlen(comment) + 1, exprs;

	memcpy(info, &ct, sizeof(ct));
	/* Without NLM_F_APPEND a rule goes before the chain's first. */
	qnet_nfnl_msg(n, NFT_MSG_NEWRULE, NLM_F_CREATE);
	qnet_nfnl_put_str(n, NFTA_RULE_TABLE, "filter");
	qnet_nfnl_put_str(n, NFTA_RULE_CHAIN, USER_CHAIN);
	exprs = qnet_nfnl_nest(n, NFTA_RULE_EXPRESSIONS);
	qnet_nfnl_expr_meta(n, out ? NFT_META_OIFNAME : NFT_META_IIFNAME, NFT_REG_1);
	/* The name and its NUL: an exact name, as iptables writes it. */
	qnet_nfnl_expr_cmp(n, NFT_REG_1, NFT_CMP_EQ, bridge, strlen(bridge) + 1);
	if (out)
		qnet_nfnl_expr_xt_match(n, "conntrack", 3, info, sizeof(info));
	qnet_nfnl_expr_counter(n);
	qnet_nfnl_expr_verdict(n, NF_ACCEPT, NULL);
	qnet_nfnl_nest_end(n, exprs);
	/* libnftnl's userdata: one TLV, NFTNL_UDATA_RULE_COMMENT (0). */
	udata[0] = 0;
	udata[1] = (uint8_t)len;
	memcpy(udata + 2, comment, len);
	qnet_nfnl_put(n, NFTA_RULE_USERDATA, udata, 2 + len);
}

static int delete_unwanted(const char *script, char *why, size_t why_size)
{
	_cleanup_free_ char *err = NULL;
	int r;

	if (!script || !*script)
		return 0;
	r = qnet_nft_run(script, false, &err, NULL);
	/* Gone since we listed it (Docker restarting): what we wanted. */
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		snprintf(why, why_size, "cannot delete a stale rule of ours: %.*s", err ? (int)strcspn(err, "\n") : 0,
			 err ? err : "");
	return r;
}

static int sync_family(int i, const char *network, const char *bridge, char *why, size_t why_size)
{
	_cleanup_nfnl_ struct qnet_nfnl n = { .fd = -1 };
	_cleanup_free_ char *deletes = NULL;
	char comment[COMMENT_SIZE];
	struct ours u = { .comment = comment, .bridge = bridge };
	int added, r;

	r = comment_of(network, comment);
	if (r == 0)
		r = survey(i, &u, &deletes);
	if (r < 0) {
		snprintf(why, why_size, "cannot list chain %s of table %s filter: %s", USER_CHAIN, families[i].nft,
			 strerror(-r));
		return r;
	}
	r = delete_unwanted(deletes, why, why_size);
	if (r < 0 || !bridge || (u.have_in && u.have_out))
		return r;
	r = qnet_nfnl_open(&n, families[i].proto);
	if (r < 0)
		return r;
	qnet_nfnl_begin(&n);
	/* The out rule first, so that the in rule, inserted after it, reads first. */
	if (!u.have_out)
		add_rule(&n, bridge, true, comment);
	if (!u.have_in)
		add_rule(&n, bridge, false, comment);
	added = !u.have_out + !u.have_in;
	r = qnet_nfnl_commit(&n, NULL);
	if (r < 0) {
		snprintf(why, why_size, "cannot add to chain %s of table %s filter: %s", USER_CHAIN, families[i].nft,
			 strerror(-r));
		return r;
	}
	return added;
}

/* Is there Docker's drop in family I, per S? */
static bool docker_drops(const struct qnet_docker_scan *s, int i)
{
	for (size_t k = 0; k < s->n_blocks; k++)
		if (s->block[k].docker && family_index(s->block[k].family) == i)
			return true;
	return false;
}

int qnet_docker_allow(const struct qnet_docker_scan *scan, const char *network, const char *bridge,
		      char *why, size_t why_size)
{
	int added = 0, r;

	for (int i = 0; i < 2; i++) {
		if (!docker_drops(scan, i))
			continue;
		r = sync_family(i, network, bridge, why, why_size);
		if (r < 0)
			return r;
		added += r;
	}
	return added;
}

int qnet_docker_missing(const struct qnet_docker_scan *scan, const char *network, const char *bridge)
{
	char comment[COMMENT_SIZE];
	int missing = 0, r;

	r = comment_of(network, comment);
	if (r < 0)
		return r;
	for (int i = 0; i < 2; i++) {
		struct ours u = { .comment = comment, .bridge = bridge };

		if (!docker_drops(scan, i))
			continue;
		r = survey(i, &u, NULL);
		if (r < 0)
			return r;
		missing += !u.have_in + !u.have_out;
	}
	return missing;
}

int qnet_docker_remove(const char *network)
{
	struct qnet_docker_scan s;
	char why[128];
	int r;

	r = qnet_docker_scan(&s);
	for (int i = 0; r >= 0 && i < 2; i++)
		if (s.user_chain[i])
			r = sync_family(i, network, NULL, why, sizeof(why));
	return r < 0 ? r : 0;
}

/* ---- what blocks, and the fix ---- */

/* The iptables commands that make room for BRIDGE in CHAIN: the out rule
 * first, as -I puts each at the top. */
static void iptables_fix(char *fix, size_t size, const char *prefix, const char *iptables, const char *chain,
			 const char *bridge)
{
	snprintf(fix, size, "%s%s -I %s -o %s -m conntrack --ctstate RELATED,ESTABLISHED,DNAT -j ACCEPT && "
		 "%s -I %s -i %s -j ACCEPT", prefix, iptables, chain, bridge, iptables, chain, bridge);
}

void qnet_docker_describe(const struct qnet_docker_block *b, const char *bridge, bool docker_no,
			  char *finding, size_t finding_size, char *fix, size_t fix_size)
{
	static const char effect[] = "the traffic of NAT guests on %s is dropped (out, replies and port forwards), "
				     "and an accept in qnet's table cannot override a drop in another table on the "
				     "same hook";
	char what[256], consequence[256];
	int i = family_index(b->family);

	snprintf(consequence, sizeof(consequence), effect, bridge);
	if (!b->family[0]) {
		snprintf(what, sizeof(what), "the FORWARD policy of legacy iptables (iptables-legacy) is DROP "
			 "(Docker sets this), where qnet cannot write");
		iptables_fix(fix, fix_size, "", "iptables-legacy", "FORWARD", bridge);
	} else {
		snprintf(what, sizeof(what), "chain %s of table %s %s drops forwarded packets by policy%s", b->chain,
			 b->family, b->table, b->docker ? " (Docker's)" : "");
		if (b->docker && docker_no)
			iptables_fix(fix, fix_size, "set docker = auto in [firewall] of qnet.conf, or ",
				     families[i].iptables, USER_CHAIN, bridge);
		else if (i >= 0 && streq(b->table, "filter"))
			/* iptables-nft's table: rules it can read back. */
			iptables_fix(fix, fix_size, "", families[i].iptables, b->chain, bridge);
		else
			snprintf(fix, fix_size, "nft insert rule %s %s %s oifname %s ct state established,related accept && "
				 "nft insert rule %s %s %s oifname %s ct status dnat accept && "
				 "nft insert rule %s %s %s iifname %s accept", b->family, b->table, b->chain, bridge,
				 b->family, b->table, b->chain, bridge, b->family, b->table, b->chain, bridge);
	}
	snprintf(finding, finding_size, "%s: %s", what, consequence);
}
