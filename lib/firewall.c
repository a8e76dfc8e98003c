// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Theory of operation. Each NAT network owns the table `inet qnet-NAME`,
 * one table for both families (a network with subnet6 = none has only the
 * IPv4 rules, and its bridge forwards no IPv6):
 *   - prerouting/output (nat): DNAT of port forwards through one map per
 *     family keyed by protocol and host port, for packets addressed to this
 *     host, from outside, from guests (hairpin) and from the host itself,
 *     127.0.0.1 included (the bridge gets route_localnet for that, see
 *     nat.c) but not ::1 (see ruleset());
 *   - postrouting (nat): masquerade from the subnet to anywhere outside it,
 *     TCP and UDP with source ports kept in 1024-65535, except to
 *     224.0.0.0/24 (link-local multicast is never routed) and to
 *     255.255.255.255 (strict DHCP clients reject rewritten broadcast
 *     replies); this is libvirt's set. DNATed traffic from guests or from
 *     127/8 towards the bridge is masqueraded too, so replies come back
 *     through us. The same from the IPv6 /64 (NAT66);
 *   - forward (filter): guests out, established/related and DNATed traffic
 *     in, guest to guest, the ICMPv6 IPv6 needs; anything else to or from
 *     the bridge is rejected;
 *   - input (filter): DHCP, DNS, DHCPv6 and router/neighbour discovery
 *     from the bridge.
 * Our chains accept, but an accept cannot override a drop in another table
 * on the same hook (Docker's FORWARD policy): docker.c makes room in
 * Docker's DOCKER-USER, and says what it cannot make room in.
 * The whole table is written as one script, "add; delete; add {...}", so
 * nftables swaps it atomically whether or not it existed: there is no
 * moment with half a ruleset. Scripts run through libnftables (nft.c),
 * loaded only when a ruleset is written: a warm qemu-ifup-nat or
 * qemu-ifdown-nat only asks the kernel whether our table exists (one
 * netlink request, qnet_firewall_present).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firewall.h"
#include "macro.h"
#include "netlink.h"
#include "nfnl.h"
#include "nft.h"
#include "state.h"

static const char *ip4(struct in_addr a, char buf[INET_ADDRSTRLEN])
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static const char *ip6(const struct in6_addr *a, char buf[INET6_ADDRSTRLEN])
{
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

/* "add; delete" of both families: the inet table goes whether or not it is
 * there, and so does the ip table of the same name that qnet wrote before
 * it was dual stack (a network up across the upgrade). */
static void delete_tables(FILE *f, const char *table)
{
	fprintf(f, "add table inet %s\ndelete table inet %s\n", table, table);
	fprintf(f, "add table ip %s\ndelete table ip %s\n", table, table);
}

/* The forwards map of one family: "forwards" (IPv4) or "forwards6". */
static void forwards_map(FILE *f, const struct qnet_network *n, bool v6)
{
	char ip[INET6_ADDRSTRLEN];
	bool first = true;

	fprintf(f, "  map forwards%s {\n    type inet_proto . inet_service : %s . inet_service\n"
		   "    elements = {", v6 ? "6" : "", v6 ? "ipv6_addr" : "ipv4_addr");
	for (size_t i = 0; i < n->n_forwards; i++) {
		const struct qnet_forward *fw = &n->forwards[i];

		if (v6 ? IN6_IS_ADDR_UNSPECIFIED(&fw->guest6) : !fw->guest.s_addr)
			continue;
		fprintf(f, "%s %s . %u : %s . %u", first ? "" : ",", fw->proto == IPPROTO_TCP ? "tcp" : "udp",
			fw->host_port, v6 ? ip6(&fw->guest6, ip) : ip4(fw->guest, ip), fw->guest_port);
		first = false;
	}
	fprintf(f, " }\n  }\n");
}

/* An overlay's peers, the only hosts its VXLAN packets may come from. */
static void peers_set(FILE *f, const struct qnet_network *n)
{
	char ip[INET6_ADDRSTRLEN];
	bool v6 = n->n_peers && n->peers[0].family == AF_INET6;

	fprintf(f, "  set peers {\n    type %s\n    elements = {", v6 ? "ipv6_addr" : "ipv4_addr");
	for (size_t i = 0; i < n->n_peers; i++)
		fprintf(f, "%s %s", i ? "," : "", v6 ? ip6(&n->peers[i].ip6, ip) : ip4(n->peers[i].ip, ip));
	fprintf(f, " }\n  }\n");
}

/*
 * VXLAN of the overlay's VNI from anyone but a peer is dropped before
 * the kernel decapsulates it: otherwise any host that can reach our UDP
 * port could put frames on the bridge, as any guest, or as the gateway.
 * The VNI is the 24 bits after the UDP header and 4 bytes of flags, so a
 * network leaves other overlays on the same port to their own tables.
 */
static void overlay_input(FILE *f, const struct qnet_network *n)
{
	bool v6 = n->n_peers && n->peers[0].family == AF_INET6;

	/* The ct expression is there for what it makes the kernel do:
	 * conntrack, and with it reassembly before this hook. An IPv6
	 * datagram is otherwise put together only after it (IPv4's before),
	 * and a later fragment, which has no UDP header to match, would
	 * carry a stranger's VXLAN past the rule. Untracked VXLAN (a raw
	 * table's notrack) is not let in on trust either. */
	if (n->vxlan)
		fprintf(f, "    udp dport %u ct state untracked drop\n"
			   "    udp dport %u @th,96,24 %u %s saddr != @peers drop\n",
			n->vxlan_port, n->vxlan_port, n->vxlan, v6 ? "ip6" : "ip");
}

/* The chains of a network whose gateway is this host: NAT, forwards,
 * what guests may send it; the input chain is left open for the caller
 * to close. */
static void gateway_chains(FILE *f, const struct qnet_network *n, const char *net, const char *net6, bool fw4,
			   bool fw6)
{
	const char *br = n->bridge;

	if (fw4)
		forwards_map(f, n, false);
	if (fw6)
		forwards_map(f, n, true);
	/* In an inet chain a "dnat ip" rule leaves IPv6 packets alone and
	 * "dnat ip6" IPv4 ones: one rule per family, the same map key. */
	if (fw4 || fw6) {
		fprintf(f, "  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n");
		if (fw4)
			fprintf(f, "    fib daddr type local meta l4proto { tcp, udp } dnat ip to meta l4proto . th dport map @forwards\n");
		if (fw6)
			fprintf(f, "    fib daddr type local meta l4proto { tcp, udp } dnat ip6 to meta l4proto . th dport map @forwards6\n");
		fprintf(f, "  }\n  chain output {\n    type nat hook output priority -100; policy accept;\n");
		if (fw4)
			fprintf(f, "    fib daddr type local meta l4proto { tcp, udp } dnat ip to meta l4proto . th dport map @forwards\n");
		/* Not from ::1: IPv6 has no route_localnet, and Linux drops a
		 * packet from the loopback address routed to another host, so a
		 * forward reached through [::1] would hang instead of being
		 * refused; it is answered by the host's own port (or refused). */
		if (fw6)
			fprintf(f, "    ip6 daddr != ::1 fib daddr type local meta l4proto { tcp, udp } dnat ip6 to meta l4proto . th dport map @forwards6\n");
		fprintf(f, "  }\n");
	}
	fprintf(f, "  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n"
		   "    ip saddr %s/%u ip daddr 224.0.0.0/24 return\n"
		   "    ip saddr %s/%u ip daddr 255.255.255.255 return\n"
		   "    ip saddr %s/%u ip daddr != %s/%u meta l4proto { tcp, udp } masquerade to :1024-65535\n"
		   "    ip saddr %s/%u ip daddr != %s/%u masquerade\n"
		   "    oifname \"%s\" ct status dnat ip saddr %s/%u masquerade\n"
		   "    oifname \"%s\" ct status dnat ip saddr 127.0.0.0/8 masquerade\n",
		net, n->prefix, net, n->prefix, net, n->prefix, net, n->prefix,
		net, n->prefix, net, n->prefix, br, net, n->prefix, br);
	/* NAT66: the guests' ULA is not routed beyond this host, so they reach
	 * out from the host's own address, as over IPv4. Link-local and
	 * multicast traffic never reaches this hook routed. */
	if (n->ipv6)
		fprintf(f, "    ip6 saddr %s ip6 daddr != %s meta l4proto { tcp, udp } masquerade to :1024-65535\n"
			   "    ip6 saddr %s ip6 daddr != %s masquerade\n"
			   "    oifname \"%s\" ct status dnat ip6 saddr %s masquerade\n",
			net6, net6, net6, net6, br, net6);
	fprintf(f, "  }\n");
	fprintf(f, "  chain forward {\n    type filter hook forward priority filter; policy accept;\n"
		   "    iifname \"%s\" oifname \"%s\" accept\n"
		   "    iifname \"%s\" ip saddr %s/%u accept\n"
		   "    oifname \"%s\" ip daddr %s/%u ct state established,related accept\n"
		   "    oifname \"%s\" ip daddr %s/%u ct status dnat accept\n",
		br, br, br, net, n->prefix, br, net, n->prefix, br, net, n->prefix);
	/* ICMPv6 errors (packet too big above all: IPv6 routers never
	 * fragment) and echo reach the guests even when conntrack cannot tie
	 * them to a connection; RFC 4890 asks as much of a firewall. */
	if (n->ipv6)
		fprintf(f, "    iifname \"%s\" ip6 saddr %s accept\n"
			   "    oifname \"%s\" ip6 daddr %s ct state established,related accept\n"
			   "    oifname \"%s\" ip6 daddr %s ct status dnat accept\n"
			   "    oifname \"%s\" ip6 daddr %s icmpv6 type { destination-unreachable, packet-too-big, "
			   "time-exceeded, parameter-problem, echo-request } accept\n",
			br, net6, br, net6, br, net6, br, net6);
	fprintf(f, "    oifname \"%s\" reject\n"
		   "    iifname \"%s\" reject\n  }\n", br, br);
	fprintf(f, "  chain input {\n    type filter hook input priority filter; policy accept;\n");
	overlay_input(f, n);
	fprintf(f, "    iifname \"%s\" udp dport { 53, 67 } accept\n"
		   "    iifname \"%s\" tcp dport 53 accept\n", br, br);
	/* Router and neighbour discovery, DHCPv6 and ping of the gateway: what
	 * a guest needs of the host to configure itself and find its router. */
	if (n->ipv6)
		fprintf(f, "    iifname \"%s\" udp dport 547 accept\n"
			   "    iifname \"%s\" icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, "
			   "echo-request } accept\n", br, br);
}

/* The script of TABLE. Built with fprintf into a memstream: no fixed buffers. */
static char *ruleset(const struct qnet_network *n, const char *table)
{
	char net[INET_ADDRSTRLEN], a6[INET6_ADDRSTRLEN], net6[INET6_ADDRSTRLEN + 4] = "";
	const char *br = n->bridge;
	bool fw4 = false, fw6 = false;
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return NULL;
	ip4(n->subnet, net);
	if (n->ipv6)
		snprintf(net6, sizeof(net6), "%s/64", ip6(&n->subnet6, a6));
	for (size_t i = 0; i < n->n_forwards; i++) {
		fw4 |= n->forwards[i].guest.s_addr != 0;
		fw6 |= n->ipv6 && !IN6_IS_ADDR_UNSPECIFIED(&n->forwards[i].guest6);
	}
	delete_tables(f, table);
	fprintf(f, "table inet %s {\n", table);
	if (n->vxlan)
		peers_set(f, n);
	if (!n->gateway_here) {
		/* No gateway on this host: its bridge only bridges (frames
		 * bridged through the forward hook, with br_netfilter, pass),
		 * nothing is routed to or from it, and the host itself is
		 * nobody's to reach from it (the bridge still has an IPv6
		 * link-local address). */
		fprintf(f, "  chain forward {\n    type filter hook forward priority filter; policy accept;\n"
			   "    iifname \"%s\" oifname \"%s\" accept\n"
			   "    iifname \"%s\" drop\n    oifname \"%s\" drop\n  }\n", br, br, br, br);
		fprintf(f, "  chain input {\n    type filter hook input priority filter; policy accept;\n");
		overlay_input(f, n);
		fprintf(f, "    iifname \"%s\" drop\n", br);
	} else {
		gateway_chains(f, n, net, net6, fw4, fw6);
	}
	fprintf(f, "  }\n}\n");
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

int qnet_firewall_apply(const struct qnet_network *n, char *why, size_t why_size)
{
	_cleanup_free_ char *script = NULL, *err = NULL;
	char table[QNET_STATE_TABLE_SIZE];
	int r;

	r = qnet_state_table_name(table, sizeof(table), n->name);
	if (r < 0)
		return r;
	script = ruleset(n, table);
	if (!script)
		return -ENOMEM;
	r = qnet_nft_run(script, false, &err, NULL);
	/* nft's first line says what the kernel or the parser refused; the
	 * lines after it quote our script. */
	if (r < 0 && why_size)
		snprintf(why, why_size, "%.*s", err ? (int)strcspn(err, "\n") : 0, err ? err : "");
	return r;
}

int qnet_firewall_remove(const char *network)
{
	char script[256], table[QNET_STATE_TABLE_SIZE];
	_cleanup_free_ char *err = NULL;
	int r = qnet_state_table_name(table, sizeof(table), network);

	if (r < 0)
		return r;
	/* "add" first makes the delete succeed whether or not the table exists. */
	if (snprintf(script, sizeof(script), "add table inet %s\ndelete table inet %s\n"
		     "add table ip %s\ndelete table ip %s\n", table, table, table, table) >= (int)sizeof(script))
		return -ENAMETOOLONG;
	return qnet_nft_run(script, false, &err, NULL);
}

/*
 * One NFT_MSG_GETTABLE over nfnetlink rather than libnftables: this runs on
 * every warm attach, and libnftables would first read its configuration
 * files and fetch a ruleset cache, several times the cost of the attach.
 */
int qnet_firewall_table_exists(int family, const char *table)
{
	struct nfgenmsg g = { .nfgen_family = (uint8_t)family, .version = NFNETLINK_V0 };
	_cleanup_nl_ struct qnet_nl nl = { 0 };
	struct nl_msg *msg;
	int r;

	r = qnet_nl_open_protocol(&nl, NETLINK_NETFILTER);
	if (r < 0)
		return r;
	msg = nlmsg_alloc_simple((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE, NLM_F_ACK);
	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &g, sizeof(g), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(msg, NFTA_TABLE_NAME, table) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	r = nl_send_auto(nl.sk, msg);
	nlmsg_free(msg);
	if (r >= 0)
		r = nl_wait_for_ack(nl.sk);
	r = qnet_nl_result(&nl, r);
	if (r == 0)
		return 1;
	return r == -ENOENT ? 0 : r;
}

static int count_rule(const struct qnet_nfnl_attrs *a, void *userdata)
{
	(void)a;
	++*(unsigned *)userdata;
	return 0;
}

/* The table with its rules: its input chain, which always has some (a
 * network with a gateway here or not), has a rule (one short dump). A
 * table that nft flush table emptied, or that is missing, is not there. */
int qnet_firewall_present(const char *network)
{
	_cleanup_nfnl_ struct qnet_nfnl n = { .fd = -1 };
	char table[QNET_STATE_TABLE_SIZE];
	unsigned rules = 0;
	int r = qnet_state_table_name(table, sizeof(table), network);

	if (r == 0)
		r = qnet_nfnl_open(&n, NFPROTO_INET);
	if (r == 0)
		r = qnet_nfnl_dump(&n, NFT_MSG_GETRULE, NFTA_RULE_TABLE, table, "input", count_rule, &rules);
	return r < 0 ? r : rules > 0;
}
