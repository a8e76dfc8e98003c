// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "config-private.h"
#include "macro.h"
#include "../tap.h"

static const char *ip6(const struct in6_addr *a)
{
	static char buf[INET6_ADDRSTRLEN];

	return inet_ntop(AF_INET6, a, buf, sizeof(buf));
}

struct diags {
	unsigned n, errors;
	unsigned last_line;
	char last[512];
};

static void collect(void *userdata, const char *file, unsigned line, bool is_error, const char *msg)
{
	struct diags *d = userdata;

	d->n++;
	d->errors += is_error;
	d->last_line = line;
	snprintf(d->last, sizeof(d->last), "%s", msg);
	printf("# %s:%u: %s\n", file, line, msg);
}

static void count(void *userdata, const char *file, unsigned line, bool is_error, const char *msg)
{
	struct diags *d = userdata;

	d->n++;
	d->errors += is_error;
	d->last_line = line;
	snprintf(d->last, sizeof(d->last), "%s", msg);
}

static bool rates_equal(const struct qnet_rate *a, const struct qnet_rate *b)
{
	return a->in == b->in && a->out == b->out;
}

static bool hosts_equal(const struct qnet_host *a, size_t na, const struct qnet_host *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (memcmp(a[i].mac, b[i].mac, 6) || a[i].ip.s_addr != b[i].ip.s_addr ||
		    !IN6_ARE_ADDR_EQUAL(&a[i].ip6, &b[i].ip6) || !streq(a[i].duid, b[i].duid) ||
		    !streq(a[i].name, b[i].name) || a[i].line != b[i].line)
			return false;
	return true;
}

static bool props_equal(const struct qnet_config_props *a, const struct qnet_config_props *b)
{
	return a->filter == b->filter && a->isolated == b->isolated && a->rate_in == b->rate_in &&
	       a->rate_out == b->rate_out && a->mac_set == b->mac_set && !memcmp(a->mac, b->mac, 6);
}

/*
 * QNET_CONFIG_PORTS_ONLY keeps its promise on TEXT: the same errors, every
 * network, grant and port the same as in FULL, but the IPv6 half of
 * networks whose prefix no check needed, which it leaves underived.
 */
static bool ports_only_agrees(const char *text, int r, const struct qnet_config *full, const struct diags *d)
{
	_cleanup_config_ struct qnet_config *c = NULL;
	struct diags e = { 0 };
	bool same;

	same = qnet_config_parse_buffer_flags("test.conf", text, strlen(text), QNET_CONFIG_PORTS_ONLY, &c,
					      count, &e) == r;
	if (!full || !c)
		return same && !full == !c;
	same = same && e.n == d->n && e.errors == d->errors && e.last_line == d->last_line &&
	       streq(e.last, d->last) && c->n_errors == full->n_errors &&
	       streq(c->script_bridge, full->script_bridge) && streq(c->script_network, full->script_network) &&
	       c->n_networks == full->n_networks && c->n_grants == full->n_grants && c->n_ports == full->n_ports;
	for (size_t i = 0; same && i < c->n_ports; i++) {
		const struct qnet_config_port *a = &c->ports[i], *b = &full->ports[i];

		same = streq(a->ifname, b->ifname) && a->mac_set == b->mac_set && !memcmp(a->mac, b->mac, 6) &&
		       a->line == b->line;
	}
	for (size_t i = 0; same && i < c->n_networks; i++) {
		const struct qnet_network *a = &c->networks[i], *b = &full->networks[i];

		struct qnet_config_props pa, pb;

		qnet_config_port_props(c, a->bridge, NULL, &pa);
		qnet_config_port_props(full, b->bridge, NULL, &pb);
		same = streq(a->name, b->name) && streq(a->bridge, b->bridge) && props_equal(&pa, &pb) &&
		       rates_equal(&a->rate, &b->rate) && hosts_equal(a->hosts, a->n_hosts, b->hosts, b->n_hosts);
		if (a->subnet6_from == QNET_SUBNET6_UNDERIVED)
			same = same && !a->ipv6 && b->subnet6_from != QNET_SUBNET6_SET &&
			       b->subnet6_from != QNET_SUBNET6_NONE;
		else
			same = same && a->subnet6_from == b->subnet6_from && a->ipv6 == b->ipv6 &&
			       IN6_ARE_ADDR_EQUAL(&a->subnet6, &b->subnet6);
	}
	for (size_t i = 0; same && i < c->n_grants; i++) {
		const struct qnet_grant *a = &c->grants[i], *b = &full->grants[i];
		struct qnet_config_props pa, pb;

		qnet_config_port_props(c, a->bridge, NULL, &pa);
		qnet_config_port_props(full, b->bridge, NULL, &pb);
		same = streq(a->bridge, b->bridge) && props_equal(&pa, &pb) &&
		       hosts_equal(a->hosts, a->n_hosts, b->hosts, b->n_hosts);
	}
	return same;
}

static int parse(const char *text, struct qnet_config **c, struct diags *d)
{
	int r;

	memset(d, 0, sizeof(*d));
	*c = NULL;
	r = qnet_config_parse_buffer("test.conf", text, strlen(text), c, collect, d);
	if (!ports_only_agrees(text, r, *c, d))
		ok(false, "QNET_CONFIG_PORTS_ONLY parses the same errors and ports (%.60s...)", text);
	return r;
}

/* A bad file fails, reports exactly one error at LINE, mentioning WORD. */
static void bad(const char *text, unsigned line, const char *word, const char *what)
{
	struct qnet_config *c;
	struct diags d;
	int r = parse(text, &c, &d);

	ok(r == -EINVAL && c && c->n_errors == d.errors && d.errors >= 1 && d.last_line == line &&
	   strstr(d.last, word), "refused: %s (line %u)", what, line);
	qnet_config_free(c);
}

static const char *ip(struct in_addr a)
{
	return inet_ntoa(a);
}

static const uint64_t MBIT = 125000; /* bytes per second */

/* Persistent networks and reload: autostart =, a network's own grant,
 * the parsed text a network records, and what a diff groups. */
static void test_persistent(void)
{
	struct qnet_config *c, *c2;
	const struct qnet_network *n, *n2;
	const struct qnet_grant *g;
	struct diags d;
	char names[128];
	const char *a = "[network lab]\nsubnet = 10.9.0.0/24\nautostart = yes\nallow-users = alice, bob\n"
			"allow-groups = kvm\n[bridge qnet-lab]\nallow-users = carol\n";

	is_int(parse(a, &c, &d), 0, "autostart and allow-users in [network]");
	n = qnet_config_network(c, "lab");
	ok(n && n->autostart && !qnet_config_network(c, "default")->autostart, "autostart = yes; default no");
	g = qnet_config_grant(c, "qnet-lab");
	ok(g && g->allow_users && streq(g->allow_users[0], "carol") && streq(g->allow_users[1], "alice") &&
	   streq(g->allow_users[2], "bob") && !g->allow_users[3], "the network's users join its bridge's grant");
	ok(g && g->allow_users_line[1] == 4 && g->allow_groups && streq(g->allow_groups[0], "kvm") &&
	   g->allow_groups_line[0] == 5, "... with the lines they were written at");
	ok(c->n_grants == 1 && n && !n->allow_users, "one grant per bridge; the network keeps none");
	ok(c->text_len == strlen(a) && !memcmp(c->text, a, c->text_len), "the parsed text is kept");
	qnet_config_free(c);
	is_int(parse("[network lab]\nbridge = labbr\nsubnet = 10.9.0.0/24\nallow-users = dave\n", &c, &d), 0, "a network grant alone");
	g = qnet_config_grant(c, "labbr");
	ok(g && streq(g->allow_users[0], "dave") && g->line == 1, "becomes the grant of its bridge, at its section");
	qnet_config_free(c);
	bad("[network lab]\nsubnet = 10.9.0.0/24\n\nautostart = maybe\n", 4, "autostart", "autostart = maybe");

	is_int(parse("[network lab]\nsubnet = 10.9.0.0/24\nforward = tcp 22 10.9.0.5:22\n", &c, &d), 0, "diff: a");
	is_int(parse("[network lab]\nsubnet = 10.9.0.0/24\nforward = tcp 22 10.9.0.5:22\n", &c2, &d), 0, "diff: b");
	n = qnet_config_network(c, "lab");
	n2 = qnet_config_network(c2, "lab");
	is_int(qnet_config_network_diff(n, n2), 0, "the same section: no difference");
	qnet_config_free(c2);
	is_int(parse("[network lab]\n# moved\nsubnet = 10.9.0.0/24\nforward = tcp 22 10.9.0.5:22\nautostart = yes\n"
		     "host = 52:54:00:00:00:05 10.9.0.5 web\nrate = 10mbit\ndhcp-range = 10.9.0.10 10.9.0.20\n", &c2, &d),
	       0, "diff: c");
	n2 = qnet_config_network(c2, "lab");
	is_int(qnet_config_network_diff(n, n2),
	       QNET_CONFIG_DIFF_HOSTS | QNET_CONFIG_DIFF_PORTS | QNET_CONFIG_DIFF_DHCP,
	       "lines moved and autostart: none; host, rate and range: each its group");
	is_str(qnet_config_diff_names(qnet_config_network_diff(n, n2), names, sizeof(names)),
	       "dhcp-range/lease-max/dns, host, filter/isolated/rate", "... named");
	qnet_config_free(c2);
	is_int(parse("[network lab]\nsubnet = 10.9.1.0/24\nbridge = x\nsubnet6 = none\nforward = tcp 23 10.9.1.5:22\n",
		     &c2, &d), 0, "diff: d");
	n2 = qnet_config_network(c2, "lab");
	is_int(qnet_config_network_diff(n, n2) & QNET_CONFIG_DIFF_REBUILD,
	       QNET_CONFIG_DIFF_BRIDGE | QNET_CONFIG_DIFF_SUBNET | QNET_CONFIG_DIFF_SUBNET6,
	       "bridge, subnet and subnet6: a rebuild");
	ok(qnet_config_network_diff(n, n2) & QNET_CONFIG_DIFF_FORWARDS, "and the forward");
	qnet_config_free(c2);
	qnet_config_free(c);
}

/* filter, isolated, rate = and [port], issue 14: every key, its default,
 * its errors at their lines, and the precedence qnet_config_port_props()
 * decides for every program. */
static void test_tenants(void)
{
	struct qnet_config *c;
	const struct qnet_network *n;
	const struct qnet_grant *g;
	const struct qnet_config_port *port;
	const struct qnet_host *hosts;
	struct qnet_config_props props;
	struct diags d;
	size_t nh;

	is_int(parse("[bridge br0]\nallow-users = alice\n", &c, &d), 0, "tenants: a grant without the new keys");
	n = qnet_config_network(c, "default");
	ok(n && n->filter && !n->isolated && !n->rate.in && !n->rate.out,
	   "a network filters by default, is not isolated, has no rate");
	g = qnet_config_grant(c, "br0");
	ok(g && !g->filter && !g->filter_users && !g->filter_groups && !g->rate.in && !g->rate.out && !g->n_hosts,
	   "a grant does not filter by default, forces it for nobody, has no rate and no hosts");
	ok(!qnet_config_port(c, "tap0") && !qnet_config_port(c, NULL), "no [port] sections: no port is known");
	qnet_config_port_props(c, "qnetbr0", "tap0", &props);
	ok(props.filter && !props.isolated && !props.rate_in && !props.rate_out && !props.mac_set,
	   "a port of the default network, nothing configured: filtered, nothing else");
	qnet_config_port_props(c, "br0", "tap0", &props);
	ok(!props.filter && !props.isolated && !props.rate_in && !props.rate_out && !props.mac_set,
	   "a port of a plain bridge, nothing configured: nothing");
	qnet_config_free(c);

	is_int(parse("[network lab]\nsubnet = 10.9.0.0/24\nbridge = br9\nfilter = no\nisolated = yes\n"
		     "rate = 100mbit\nrate-out = 10mbit\n"
		     "[network fast]\nsubnet = 10.8.0.0/24\nrate-in = 1gbit\nrate = 2mbps\n"
		     "host = 52:54:00:00:08:10 10.8.0.10\n"
		     "[bridge br0]\nfilter = yes\nfilter-users = alice, bob\nfilter-users = carol\n"
		     "filter-groups = kvm\nrate-in = 5mbit\nisolated = on\n"
		     "host = 52:54:00:00:00:01 192.168.1.10 fd00:1::10 web\nhost = 52:54:00:00:00:02 192.168.1.11\n"
		     "host = 52:54:00:00:00:03 fe80::3\n"
		     "[bridge br9]\nfilter = yes\nrate = 1kbps\n"
		     "[bridge qnet-fast]\nrate-out = 20mbit\n"
		     "[port tap-web]\nmac = 52:54:00:00:00:01\n[port vm2]\nmac = 52:54:00:AA:bb:02\n",
		     &c, &d), 0, "every tenant key parses");
	is_int(d.n, 0, "without diagnostics");
	n = qnet_config_network(c, "lab");
	ok(n && !n->filter && n->isolated, "[network] filter = no, isolated = yes");
	ok(n && n->rate.in == 100 * MBIT && n->rate.out == 10 * MBIT, "rate = both ways, rate-out = overrides it");
	n = qnet_config_network(c, "fast");
	ok(n && n->rate.in == 1000 * MBIT && n->rate.out == 2000000,
	   "rate-in = overrides rate = written after it; rate = 2mbps is 2,000,000 bytes/s");
	g = qnet_config_grant(c, "br0");
	ok(g && g->filter && g->isolated && g->rate.in == 5 * MBIT && !g->rate.out,
	   "[bridge] filter, isolated, rate-in alone");
	ok(g && g->filter_users && streq(g->filter_users[0], "alice") && streq(g->filter_users[1], "bob") &&
	   streq(g->filter_users[2], "carol") && !g->filter_users[3] && g->filter_groups &&
	   streq(g->filter_groups[0], "kvm") && !g->filter_groups[1], "filter-users and filter-groups add up");
	ok(g && g->filter_users_line && g->filter_users_line[0] == 15 && g->filter_users_line[1] == 15 &&
	   g->filter_users_line[2] == 16 && g->filter_groups_line && g->filter_groups_line[0] == 17,
	   "each filter-users/-groups entry knows its line");
	ok(g && g->n_hosts == 3 && g->hosts[0].mac[5] == 1 && streq(ip(g->hosts[0].ip), "192.168.1.10") &&
	   streq(ip6(&g->hosts[0].ip6), "fd00:1::10") && streq(g->hosts[0].name, "web") && g->hosts[0].line == 20 &&
	   IN6_IS_ADDR_UNSPECIFIED(&g->hosts[1].ip6) && !g->hosts[2].ip.s_addr &&
	   streq(ip6(&g->hosts[2].ip6), "fe80::3"), "[bridge] host = as in [network], any subnet");
	port = qnet_config_port(c, "vm2");
	ok(port && port->mac_set && port->mac[3] == 0xaa && port->mac[4] == 0xbb && port->line == 30,
	   "[port] mac =, either case");
	ok(qnet_config_port(c, "tap-web") && !qnet_config_port(c, "tap-we"), "a port by its exact name");
	ok(qnet_config_network_of_bridge(c, "br9") == qnet_config_network(c, "lab") &&
	   qnet_config_network_of_bridge(c, "qnetbr0") == qnet_config_network(c, "default") &&
	   !qnet_config_network_of_bridge(c, "br0"), "a network by its bridge");

	/* The precedence. */
	qnet_config_port_props(c, "br9", "tap-web", &props);
	ok(props.filter, "network filter = no, its bridge's grant filter = yes: filtered");
	ok(props.isolated, "network isolated = yes, the grant silent: isolated");
	ok(props.rate_in == 1000 && props.rate_out == 1000, "the grant's rate = replaces the network's both ways");
	ok(props.mac_set && props.mac[5] == 1, "[port TAP] mac = is the guest's MAC");
	qnet_config_port_props(c, "qnet-fast", NULL, &props);
	ok(props.filter && !props.isolated, "network filter = yes, a grant silent on it: filtered");
	ok(props.rate_in == 1000 * MBIT && props.rate_out == 20 * MBIT,
	   "the grant's rate-out replaces the network's, its rate-in stays the network's");
	ok(!props.mac_set, "a TAP without a name (the helper's) has no configured MAC");
	qnet_config_port_props(c, "br0", "vm2", &props);
	ok(props.filter && props.isolated && props.rate_in == 5 * MBIT && !props.rate_out && props.mac_set,
	   "a plain bridge: the grant's values alone");
	qnet_config_port_props(c, "br1", "vm2", &props);
	ok(!props.filter && !props.isolated && !props.rate_in && props.mac_set,
	   "a bridge nothing configures: no filter, the [port] MAC still known");
	hosts = qnet_config_bridge_hosts(c, "br0", &nh);
	ok(g && hosts == g->hosts && nh == 3, "a plain bridge's host = entries are its grant's");
	hosts = qnet_config_bridge_hosts(c, "qnet-fast", &nh);
	n = qnet_config_network(c, "fast");
	ok(n && nh == 1 && hosts == n->hosts, "a network bridge's are its network's");
	hosts = qnet_config_bridge_hosts(c, "br1", &nh);
	ok(!hosts && nh == 0, "a bridge nothing configures has none");
	qnet_config_free(c);

	is_int(parse("[network lab]\nsubnet = 10.9.0.0/24\nfilter = yes\n[bridge qnet-lab]\nfilter = no\n", &c, &d),
	       0, "a grant with filter = no on a filtered network");
	qnet_config_port_props(c, "qnet-lab", NULL, &props);
	ok(props.filter, "a grant's filter = no does not turn the network's filter off");
	qnet_config_free(c);

	bad("[network lab]\nsubnet = 10.9.0.0/24\nfilter = maybe\n", 3, "filter: 'maybe' is not yes or no",
	    "[network] filter = maybe");
	bad("[network lab]\nsubnet = 10.9.0.0/24\nisolated = 2\n", 3, "isolated", "[network] isolated = 2");
	bad("[bridge br0]\nfilter = sometimes\n", 2, "filter", "[bridge] filter = sometimes");
	bad("[network lab]\nsubnet = 10.9.0.0/24\nrate = fast\n", 3, "rate: 'fast' is not a rate", "rate = fast");
	bad("[network lab]\nsubnet = 10.9.0.0/24\nrate-in = 7bit\n", 3, "rate-in", "rate-in below 8 bit/s");
	bad("[network lab]\nsubnet = 10.9.0.0/24\nrate-out = 0\n", 3, "rate-out", "rate-out = 0");
	bad("[bridge br0]\nrate = 99999999999999999999\n", 2, "rate", "a rate over 64 bits");
	bad("[bridge br0]\nrate = mbit\n", 2, "rate", "a rate without a number");
	bad("[bridge br0]\nrate =\n", 2, "rate", "an empty rate");
	bad("[bridge br0]\nrate-in = 100 mbit\n", 2, "rate-in", "a blank inside a rate");
	bad("[bridge br0]\nfilter-user = alice\n", 2, "unknown key", "misspelt filter-users");
	bad("[bridge br0]\nhost = 52:54:00:00:00:01\n", 2, "host", "[bridge] host = without an address");
	bad("[bridge br0]\nhost = 53:54:00:00:00:01 192.168.1.10\n", 2, "MAC", "[bridge] host = multicast MAC");
	bad("[bridge br0]\nhost = 52:54:00:00:00:01 192.168.1.10\nhost = 52:54:00:00:00:01 192.168.1.11\n", 3,
	    "[bridge br0]: MAC 52:54:00:00:00:01 given twice (first at line 2)", "[bridge] host = MAC twice");
	bad("[bridge br0]\nhost = 52:54:00:00:00:01 192.168.1.10\nhost = 52:54:00:00:00:02 192.168.1.10\n", 3,
	    "static IP 192.168.1.10 given twice (first at line 2)", "[bridge] host = IPv4 twice");
	bad("[bridge br0]\nhost = 52:54:00:00:00:01 fd00::1\nhost = 52:54:00:00:00:02 fd00:0::1\n", 3,
	    "static IPv6 fd00::1 given twice", "[bridge] host = IPv6 twice");
	bad("[bridge br0]\nhost = 52:54:00:00:00:01 ::10\n", 2, "in full", "[bridge] host = ::10 (no prefix)");
	bad("[bridge br0]\nhost = 52:54:00:00:00:01 ff02::1\n", 2, "multicast", "[bridge] host = IPv6 multicast");
	bad("[bridge br0]\nhost = 52:54:00:00:00:01 224.0.0.1\n", 2, "unicast", "[bridge] host = IPv4 multicast");
	bad("[bridge br0]\nhost = 52:54:00:00:00:01 127.0.0.1\n", 2, "unicast", "[bridge] host = loopback");
	bad("[bridge br0]\nhost = 52:54:00:00:00:01 255.255.255.255\n", 2, "unicast", "[bridge] host = broadcast");
	bad("[bridge br0]\nhost = 52:54:00:00:00:01 fd00::5 duid=00:01\n", 2, "duid", "[bridge] host = duid=");
	bad("[network lab]\nsubnet = 10.9.0.0/24\n[bridge qnet-lab]\nallow-users = alice\n"
	    "host = 52:54:00:00:00:01 10.9.0.5\n", 5, "give it in [network lab]", "host = in a network bridge's grant");
	bad("[port tap0]\nmac = 52:54:00:00:00:01\n[port tap0]\nmac = 52:54:00:00:00:02\n", 3, "twice",
	    "[port] defined twice");
	bad("[port tap0]\nmac = 52:54:00:00:00:01\n[port tap1]\nmac = 52:54:00:00:00:01\n", 4,
	    "already the MAC of [port tap0]", "one MAC for two ports");
	bad("[port tap0]\nmac = 52:54:00:00:01\n", 2, "mac", "[port] short MAC");
	bad("[port tap0]\nmac = 01:00:5e:00:00:01\n", 2, "unicast", "[port] multicast MAC");
	bad("[port tap0]\nmac-address = 52:54:00:00:00:01\n", 2, "unknown key", "[port] unknown key");
	bad("[port abcdefghijklmnop]\nmac = 52:54:00:00:00:01\n", 1, "15 bytes", "[port] 16-byte name");
	bad("[port a/b]\nmac = 52:54:00:00:00:01\n", 1, "'/'", "[port] name with /");
	bad("\n[port]\nmac = 52:54:00:00:00:01\n", 2, "unknown section", "[port] without a name");
}

/* Networks that span hosts: the keys, what they refuse, and what they mean together. */
static void test_overlay(void)
{
	const struct qnet_network *n, *n2;
	struct qnet_config *c, *c2;
	struct in6_addr ula;
	struct diags d;

	is_int(parse("[network ov]\nsubnet = 10.0.90.0/24\nvxlan = 4242\npeers = 192.0.2.2  192.0.2.3\n", &c, &d), 0,
	       "an overlay member");
	n = qnet_config_network(c, "ov");
	ok(n && n->vxlan == 4242 && n->vxlan_port == 4789 && n->n_peers == 2 && n->peers[0].family == AF_INET &&
	   !strcmp(ip(n->peers[1].ip), "192.0.2.3") && !n->underlay[0] && !n->mtu, "VNI, default port, peers");
	ok(n && !n->gateway_here && n->nat, "a member: the gateway is elsewhere");
	ok(n && n->ipv6, "an overlay is dual-stack by default");
	if (n)
		ula = n->subnet6;
	/* Another machine-id (none): the same /64, which all hosts must share. */
	const char *id = getenv("QNET_MACHINE_ID");
	char *was = strdup(id ? id : "");
	setenv("QNET_MACHINE_ID", "/nonexistent", 1);
	is_int(parse("[network ov]\nsubnet = 10.0.90.0/24\nvxlan = 4242\npeers = 192.0.2.1\ngateway = yes\n", &c2, &d), 0,
	       "the gateway host's section");
	n2 = qnet_config_network(c2, "ov");
	ok(n && n2 && n2->ipv6 && IN6_ARE_ADDR_EQUAL(&n2->subnet6, &ula) && ula.s6_addr[0] == 0xfd,
	   "its /64 comes from the name and VNI, not the machine-id: %s", n2 ? ip6(&n2->subnet6) : "-");
	setenv("QNET_MACHINE_ID", was ? was : "", 1);
	free(was);
	ok(n2 && n2->gateway_here, "gateway = yes: the gateway is here");
	ok(n && n2 && (qnet_config_network_diff(n, n2) & (QNET_CONFIG_DIFF_PEERS | QNET_CONFIG_DIFF_OVERLAY)) ==
	   (QNET_CONFIG_DIFF_PEERS | QNET_CONFIG_DIFF_OVERLAY), "peers and gateway differ");
	qnet_config_free(c2);
	is_int(parse("[network ov]\nsubnet = 10.0.90.0/24\nvxlan = 4242\npeers = 192.0.2.3 192.0.2.9\n", &c2, &d), 0,
	       "another peer list");
	n2 = qnet_config_network(c2, "ov");
	is_int(n && n2 ? (int)qnet_config_network_diff(n, n2) : -1, QNET_CONFIG_DIFF_PEERS,
	       "a new peer list alone is no rebuild");
	qnet_config_free(c2);
	qnet_config_free(c);

	is_int(parse("[network ov]\nsubnet = 10.0.90.0/24\nvxlan = 9\npeers = 2001:db8::2 2001:db8::3\n"
		     "underlay = eth1\nport = 8472\nmtu = 1400\n", &c, &d), 0, "IPv6 peers, underlay, port, mtu");
	n = qnet_config_network(c, "ov");
	ok(n && n->n_peers == 2 && n->peers[0].family == AF_INET6 && !strcmp(ip6(&n->peers[0].ip6), "2001:db8::2") &&
	   !strcmp(n->underlay, "eth1") && n->vxlan_port == 8472 && n->mtu == 1400, "... as given");
	qnet_config_free(c);
	is_int(parse("[network iso]\nsubnet = 10.0.93.0/24\nnat = no\n", &c, &d), 0, "nat = no on one host");
	n = qnet_config_network(c, "iso");
	ok(n && !n->nat && !n->gateway_here, "no gateway anywhere");
	qnet_config_free(c);

	bad("[network ov]\nsubnet = 10.0.90.0/24\nvxlan = 16777216\npeers = 192.0.2.2\n", 3, "VNI", "a VNI out of range");
	bad("[network ov]\nsubnet = 10.0.90.0/24\nvxlan = 0\npeers = 192.0.2.2\n", 3, "VNI", "VNI 0");
	bad("[network ov]\nsubnet = 10.0.90.0/24\nvxlan = 5\n", 3, "peers", "vxlan without peers");
	bad("[network ov]\nsubnet = 10.0.90.0/24\npeers = 192.0.2.2\n", 3, "without vxlan", "peers without vxlan");
	bad("[network ov]\nsubnet = 10.0.90.0/24\ngateway = yes\n", 3, "without vxlan", "gateway without vxlan");
	bad("[network ov]\nsubnet = 10.0.90.0/24\nvxlan = 5\npeers = 192.0.2.2 2001:db8::2\n", 4, "same family",
	    "peers of two families");
	bad("[network ov]\nsubnet = 10.0.90.0/24\nvxlan = 5\npeers = 192.0.2.2 192.0.2.2\n", 4, "twice", "a peer twice");
	bad("[network ov]\nsubnet = 10.0.90.0/24\nvxlan = 5\npeers = 127.0.0.1\n", 4, "unicast", "a loopback peer");
	bad("[network ov]\nsubnet = 10.0.90.0/24\nvxlan = 5\npeers = ff02::1\n", 4, "unicast", "a multicast peer");
	bad("[network ov]\nsubnet = 10.0.90.0/24\nvxlan = 5\npeers = host2\n", 4, "address", "a peer by name");
	bad("[network ov]\nsubnet = 10.0.90.0/24\nvxlan = 5\npeers = fe80::2\n", 4, "unicast", "a link-local peer");
	bad("[network ov]\nsubnet = 10.0.90.0/24\nvxlan = 5\npeers = 192.0.2.2\ngateway = yes\nnat = no\n", 5,
	    "nat = no", "gateway = yes with nat = no");
	bad("[network ov]\nsubnet = 10.0.90.0/24\nvxlan = 5\npeers = 192.0.2.2\nport = 0\n", 5, "port", "port 0");
	bad("[network ov]\nsubnet = 10.0.90.0/24\nmtu = 500\n", 3, "mtu", "an MTU below 576");
	bad("[network ov]\nsubnet = 10.0.90.0/24\nmtu = 1000\n", 1, "1280", "an MTU below 1280 with IPv6");
	bad("[network a]\nsubnet = 10.0.90.0/24\nvxlan = 5\npeers = 192.0.2.2\n"
	    "[network b]\nsubnet = 10.0.91.0/24\nvxlan = 5\npeers = 192.0.2.2\n", 7, "already", "one VNI and port twice");
	is_int(parse("[network a]\nsubnet = 10.0.90.0/24\nvxlan = 5\npeers = 192.0.2.2\n"
		     "[network b]\nsubnet = 10.0.91.0/24\nvxlan = 5\nport = 4790\npeers = 192.0.2.2\n", &c, &d), 0,
	       "one VNI on two ports");
	qnet_config_free(c);
}

int main(void)
{
	struct qnet_config *c;
	const struct qnet_network *n;
	const struct qnet_grant *g;
	struct diags d;
	char big[4096];

	/* The derived IPv6 prefixes come from this machine-id, not the host's. */
	char idfile[] = "/tmp/qnet-test-machine-id.XXXXXX";
	int fd = mkstemp(idfile);

	ok(fd >= 0 && write(fd, "0123456789abcdef0123456789abcdef\n", 33) == 33, "a machine-id for the test");
	close(fd);
	setenv("QNET_MACHINE_ID", idfile, 1);

	is_int(parse("", &c, &d), 0, "empty file is a valid configuration");
	n = qnet_config_network(c, "default");
	ok(n != NULL, "default network exists without being configured");
	is_str(n->bridge, "qnetbr0", "default bridge is qnetbr0");
	is_str(ip(n->subnet), "10.0.76.0", "default subnet 10.0.76.0");
	is_int(n->prefix, 24, "default prefix /24");
	is_str(ip(n->gateway), "10.0.76.1", "gateway is .1");
	is_str(ip(n->range_start), "10.0.76.2", "range starts at .2");
	is_str(ip(n->range_end), "10.0.76.254", "range ends at .254");
	ok(n->dns, "dns on by default");
	ok(n->ipv6 && n->subnet6_from == QNET_SUBNET6_DERIVED, "dual stack by default, a derived prefix");
	is_str(ip6(&n->subnet6), "fd5d:2f7d:daee:4eec::", "the ULA /64 of the name and the machine-id");
	is_str(ip6(&n->gateway6), "fd5d:2f7d:daee:4eec::1", "its gateway ::1");
	is_str(ip6(&n->range6_start), "fd5d:2f7d:daee:4eec::1000", "DHCPv6 from ::1000");
	is_str(ip6(&n->range6_end), "fd5d:2f7d:daee:4eec::ffff", "to ::ffff");
	qnet_config_free(c);
	is_int(qnet_config_parse_buffer_flags("test.conf", "", 0, QNET_CONFIG_PORTS_ONLY, &c, NULL, NULL), 0,
	       "an empty file loaded for ports only");
	n = qnet_config_network(c, "default");
	ok(n && !n->ipv6 && n->subnet6_from == QNET_SUBNET6_UNDERIVED && streq(n->bridge, "qnetbr0") && n->filter,
	   "... has the default network's bridge and filter, and no prefix it did not need");
	qnet_config_free(c);
	{
		static const char t[] = "[network default]\nhost = 52:54:00:12:34:56 ::5\n";

		is_int(qnet_config_parse_buffer_flags("test.conf", t, sizeof(t) - 1, QNET_CONFIG_PORTS_ONLY, &c,
						      NULL, NULL), 0, "a host with an IPv6 address, for ports only");
		n = qnet_config_network(c, "default");
		ok(n && n->n_hosts == 1 && n->subnet6_from == QNET_SUBNET6_DERIVED &&
		   streq(ip6(&n->hosts[0].ip6), "fd5d:2f7d:daee:4eec::5"), "... derives the prefix its address is in");
		qnet_config_free(c);
	}
	is_int(parse("", &c, &d), 0, "the empty file again");
	is_str(c->script_network, "default", "[script] network defaults to default");
	is_str(c->script_bridge, "", "[script] bridge unset");
	ok(c->firewall_docker == QNET_FIREWALL_DOCKER_AUTO, "[firewall] docker defaults to auto");
	ok(!c->firewalld_no, "[firewall] firewalld defaults to auto");
	qnet_config_free(c);
	is_int(parse("[firewall]\nfirewalld = no\n", &c, &d), 0, "[firewall] firewalld = no parses");
	ok(c->firewalld_no, "firewalld = no: firewalld's zones are left alone");
	qnet_config_free(c);
	is_int(parse("[firewall]\nfirewalld = no\nfirewalld = auto\n", &c, &d), 0, "firewalld = auto parses");
	ok(!c->firewalld_no, "the last firewalld = wins");
	qnet_config_free(c);

	is_int(parse("[firewall]\ndocker = no\n", &c, &d), 0, "[firewall] docker = no parses");
	ok(c->firewall_docker == QNET_FIREWALL_DOCKER_NO, "docker = no: another table is never touched");
	qnet_config_free(c);
	is_int(parse("[firewall]\ndocker = no\ndocker = auto\n", &c, &d), 0, "docker = auto parses");
	ok(c->firewall_docker == QNET_FIREWALL_DOCKER_AUTO, "the last docker = wins");
	qnet_config_free(c);

	is_int(parse("; comment\n# comment\n[script]\nbridge = br1 ; inline\nnetwork=lab\n"
		     "[network lab]\nsubnet = 192.168.50.0/24\ndhcp-range = 192.168.50.100 192.168.50.150\n"
		     "dns = no\nlease-max = 20\nhost = 52:54:00:12:34:56 192.168.50.10 web1\n"
		     "host = 52:54:00:12:34:57 192.168.50.11\n"
		     "forward = tcp 2222 192.168.50.10:22\nforward = udp 5353 192.168.50.11:53\n"
		     "[bridge br1]\nallow-users = alice, bob\nallow-users = carol\nallow-groups = kvm\n"
		     "deny-users = mallory\nisolated = yes\n", &c, &d), 0, "full example parses");
	is_int(d.n, 0, "no diagnostics on a good file");
	is_str(c->script_bridge, "br1", "[script] bridge");
	is_str(c->script_network, "lab", "[script] network");
	n = qnet_config_network(c, "lab");
	ok(n && streq(n->bridge, "qnet-lab"), "default bridge name for a named network is qnet-NAME");
	ok(n && !n->dns && n->lease_max == 20, "dns = no and lease-max");
	ok(n && streq(ip(n->range_start), "192.168.50.100") && streq(ip(n->range_end), "192.168.50.150"),
	   "dhcp-range");
	ok(n && n->n_hosts == 2 && n->hosts[0].mac[5] == 0x56 && streq(n->hosts[0].name, "web1") &&
	   n->hosts[1].name[0] == '\0', "static hosts");
	ok(n && n->n_forwards == 2 && n->forwards[0].proto == IPPROTO_TCP && n->forwards[0].host_port == 2222 &&
	   n->forwards[0].guest_port == 22 && n->forwards[1].proto == IPPROTO_UDP, "forwards");
	ok(qnet_config_network(c, "default") != NULL, "default still exists next to lab");
	g = qnet_config_grant(c, "br1");
	ok(g && g->allow_users && streq(g->allow_users[0], "alice") && streq(g->allow_users[1], "bob") &&
	   streq(g->allow_users[2], "carol") && !g->allow_users[3], "allow-users accumulate, comma or space");
	ok(g && g->allow_groups && streq(g->allow_groups[0], "kvm") && g->deny_users &&
	   streq(g->deny_users[0], "mallory") && !g->deny_groups && g->isolated, "grants and isolated");
	ok(g && g->allow_users_line && g->allow_users_line[0] == 16 && g->allow_users_line[1] == 16 &&
	   g->allow_users_line[2] == 17 && g->deny_users_line && g->deny_users_line[0] == 19 &&
	   !g->deny_groups_line, "each grant entry knows its line (for qnet check)");
	ok(qnet_config_grant(c, "br0") == NULL, "no grant for an unconfigured bridge");
	qnet_config_free(c);

	bad("[script]\nbrige = br0\n", 2, "unknown key", "misspelt key");
	bad("[firewall]\ndocker = yes\n", 2, "neither auto nor no", "docker = yes is not a value");
	bad("[firewall]\nfirewalld = yes\n", 2, "firewalld: 'yes' is neither auto nor no", "firewalld = yes is not a value");
	bad("[firewall]\ndockers = no\n", 2, "unknown key 'dockers' in [firewall]", "misspelt [firewall] key");
	bad("\n[scripts]\nbridge = br0\n", 2, "unknown section", "unknown section");
	bad("bridge = br0\n", 1, "outside", "key outside a section");
	bad("[script]\nbridge = abcdefghijklmnop\n", 2, "15 bytes", "bridge name of 16 bytes");
	bad("[script]\nbridge = br/0\n", 2, "'/'", "bridge name with /");
	bad("[script]\nthis line has no equals sign\n", 2, "syntax", "syntax error");
	bad("[network lab]\nsubnet = 10.0.0.0\n", 2, "CIDR", "subnet without prefix");
	bad("[network lab]\nsubnet = 10.0.0.0/33\n", 2, "CIDR", "prefix /33");
	bad("[network lab]\nsubnet = 10.0.0.1/24\n", 2, "host bits", "subnet with host bits");
	bad("[network lab]\nsubnet = 10.1/16\n", 2, "CIDR", "shorthand address");
	bad("[network lab]\nsubnet = 10.0.0.0/31\n", 2, "out of range", "prefix /31");
	bad("[network lab]\nsubnet = 10.9.0.0/24\ndhcp-range = 10.9.1.2 10.9.1.50\n", 1, "dhcp-range",
	    "range outside the subnet");
	bad("[network lab]\nsubnet = 10.9.0.0/24\nhost = 52:54:00:12:34 10.9.0.5\n", 3, "MAC", "short MAC");
	bad("[network lab]\nsubnet = 10.9.0.0/24\nhost = 53:54:00:12:34:56 10.9.0.5\n", 3, "MAC", "multicast MAC");
	bad("[network lab]\nsubnet = 10.9.0.0/24\nhost = 52:54:00:12:34:56 10.9.0.5\n"
	    "host = 52:54:00:12:34:57 10.9.0.5\n", 4, "first at line 3", "duplicate static IP, at its line");
	bad("[network lab]\nsubnet = 10.9.0.0/24\nhost = 52:54:00:12:34:56 10.9.0.5\n"
	    "host = 52:54:00:12:34:56 10.9.0.6\n", 4, "MAC 52:54:00:12:34:56 given twice (first at line 3)",
	    "duplicate MAC, at its line");
	bad("[network lab]\nsubnet = 10.9.0.0/24\nforward = tcp 2222 10.9.0.5\n", 3, "forward", "forward without port");
	bad("[network lab]\nsubnet = 10.9.0.0/24\nforward = sctp 2222 10.9.0.5:22\n", 3, "forward", "forward sctp");
	bad("[network lab]\nsubnet = 10.9.0.0/24\nforward = tcp 70000 10.9.0.5:22\n", 3, "forward", "port 70000");
	bad("[network lab]\nsubnet = 10.9.0.0/24\nforward = tcp 2222 10.8.0.5:22\n", 1, "not a guest", "forward outside");
	bad("[network a]\nsubnet = 10.9.0.0/24\nforward = tcp 2222 10.9.0.5:22\n"
	    "[network b]\nsubnet = 10.8.0.0/24\nforward = tcp 2222 10.8.0.5:22\n", 4, "already forwarded",
	    "host port forwarded by two networks");
	bad("[network a]\nsubnet = 10.9.0.0/16\n[network b]\nsubnet = 10.9.5.0/24\n", 3, "overlaps",
	    "overlapping networks");
	bad("[network lab]\nbridge = qnetbr0\nsubnet = 10.9.0.0/24\n", 1, "already used", "bridge used twice");
	bad("[network lab]\ndns = maybe\nsubnet = 10.9.0.0/24\n", 2, "yes or no", "bad boolean");
	bad("[network lab]\nsubnet = 10.9.0.0/24\n[network lab]\nsubnet = 10.8.0.0/24\n", 3, "twice",
	    "network defined twice");
	bad("[network bad/name]\nsubnet = 10.9.0.0/24\n", 1, "invalid network name", "network name with /");
	bad("[network lab]\ndns = yes\n", 1, "required", "named network without subnet");
	bad("[bridge br0]\nallow-user = alice\n", 2, "unknown key", "misspelt grant key");
	bad("[bridge abcdefghijklmnop]\nallow-users = alice\n", 1, "15 bytes", "grant for a 16-byte name");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "[script]\nbridge=", 16);
	bad(big, 2, "longer", "line longer than inih's buffer");
	{
		static const char nul[] = "[script]\nbridge=br0\0x\n";
		/* Outside ok(), which evaluates its condition twice. */
		int r = qnet_config_parse_buffer("t", nul, sizeof(nul) - 1, &c, NULL, NULL);

		ok(r == -EINVAL, "NUL byte in a line is refused");
		qnet_config_free(c);
	}

	/* ---- IPv6 ---- */
	is_int(parse("[network lab]\nsubnet = 10.9.0.0/24\nsubnet6 = fd00:9::/64\n"
		     "host = 52:54:00:12:34:56 10.9.0.5 ::5 web\n"
		     "host = 52:54:00:12:34:57 fd00:9::6 duid=00:03:00:01:52:54:00:12:34:57 v6only\n"
		     "forward = tcp 2222 web:22\nforward = tcp 2223 [::6]:22\nforward = tcp 2224 10.9.0.5:22\n"
		     "forward = tcp 2224 [fd00:9::6]:22\n"
		     "[network off]\nsubnet = 10.8.0.0/24\nsubnet6 = none\n", &c, &d), 0, "IPv6 keys parse");
	is_int(d.n, 0, "without diagnostics");
	n = qnet_config_network(c, "lab");
	ok(n && n->ipv6 && n->subnet6_from == QNET_SUBNET6_SET && streq(ip6(&n->subnet6), "fd00:9::"), "subnet6 =");
	ok(n && streq(ip6(&n->hosts[0].ip6), "fd00:9::5"), "::5 is inside the network's prefix");
	ok(n && !n->hosts[1].ip.s_addr && streq(ip6(&n->hosts[1].ip6), "fd00:9::6") &&
	   streq(n->hosts[1].duid, "00:03:00:01:52:54:00:12:34:57") && streq(n->hosts[1].name, "v6only"),
	   "an IPv6-only host with a DUID");
	ok(n && n->forwards[0].guest.s_addr == htonl(0x0a090005) && streq(ip6(&n->forwards[0].guest6), "fd00:9::5"),
	   "a forward to a host name reaches both of its addresses");
	ok(n && !n->forwards[1].guest.s_addr && streq(ip6(&n->forwards[1].guest6), "fd00:9::6"), "forward to [::6]");
	ok(n && n->forwards[2].host_port == n->forwards[3].host_port, "one host port, once per family");
	n = qnet_config_network(c, "off");
	ok(n && !n->ipv6 && n->subnet6_from == QNET_SUBNET6_NONE, "subnet6 = none: IPv4 only");
	qnet_config_free(c);

	bad("[network lab]\nsubnet = 10.9.0.0/24\nsubnet6 = fd00:9::/48\n", 3, "/64", "a /48");
	bad("[network lab]\nsubnet = 10.9.0.0/24\nsubnet6 = fd00:9::/80\n", 3, "/64", "a /80");
	bad("[network lab]\nsubnet = 10.9.0.0/24\nsubnet6 = fd00:9::1/64\n", 3, "host bits", "host bits");
	bad("[network lab]\nsubnet = 10.9.0.0/24\nsubnet6 = fe80::/64\n", 3, "link-local", "link-local");
	bad("[network lab]\nsubnet = 10.9.0.0/24\nsubnet6 = ::/64\n", 3, "reserved", "::/64");
	bad("[network lab]\nsubnet = 10.9.0.0/24\nsubnet6 = fd00:9::\n", 3, "IPv6 prefix", "no length");
	bad("[network lab]\nsubnet = 10.9.0.0/24\nsubnet6 = fd00:9::/64\nhost = 52:54:00:12:34:56 fd00:8::5\n",
	    4, "not a guest address", "a host outside the prefix");
	bad("[network lab]\nsubnet = 10.9.0.0/24\nsubnet6 = fd00:9::/64\nhost = 52:54:00:12:34:56 ::1\n",
	    4, "not a guest address", "a host on the gateway");
	bad("[network lab]\nsubnet = 10.9.0.0/24\nsubnet6 = fd00:9::/64\nhost = 52:54:00:12:34:56 ::5\n"
	    "host = 52:54:00:12:34:57 fd00:9::5\n", 5, "twice", "a duplicate IPv6 address");
	bad("[network lab]\nsubnet = 10.9.0.0/24\nsubnet6 = none\nhost = 52:54:00:12:34:56 ::5\n",
	    4, "no IPv6", "an IPv6 host on a network without IPv6");
	bad("[network lab]\nsubnet = 10.9.0.0/24\nhost = 52:54:00:12:34:56 10.9.0.5 duid=0g\n", 3, "duid",
	    "a DUID that is not hex");
	bad("[network lab]\nsubnet = 10.9.0.0/24\nhost = 52:54:00:12:34:56 10.9.0.5 duid=00:01\n", 3, "duid",
	    "a DUID without an IPv6 address");
	bad("[network lab]\nsubnet = 10.9.0.0/24\nhost = 52:54:00:12:34:56 ::5 ::6\n", 3, "IPv6",
	    "two IPv6 addresses");
	bad("[network lab]\nsubnet = 10.9.0.0/24\nforward = tcp 2222 web:22\n", 3, "no host", "a forward to no host");
	bad("[network lab]\nsubnet = 10.9.0.0/24\nsubnet6 = fd00:9::/64\nforward = tcp 22 [fd00:8::5]:22\n",
	    4, "not a guest address", "a forward outside the prefix");
	bad("[network a]\nsubnet = 10.9.0.0/24\nsubnet6 = fd00:9::/64\n"
	    "[network b]\nsubnet = 10.8.0.0/24\nsubnet6 = fd00:9::/64\n", 6, "same", "two networks, one prefix");
	bad("[network a]\nsubnet = 10.9.0.0/24\nforward = tcp 2222 [::5]:22\n"
	    "[network b]\nsubnet = 10.8.0.0/24\nforward = tcp 2222 [::5]:22\n", 4, "already forwarded",
	    "a host port forwarded over IPv6 by two networks");

	test_tenants();
	test_overlay();
	test_persistent();

	setenv("QNET_MACHINE_ID", "/nonexistent/machine-id", 1);
	is_int(parse("", &c, &d), 0, "without a machine-id the configuration still loads");
	n = qnet_config_network(c, "default");
	ok(n && !n->ipv6 && n->subnet6_from == QNET_SUBNET6_NO_MACHINE_ID, "and a derived network is IPv4 only");
	qnet_config_free(c);
	bad("[network default]\nhost = 52:54:00:12:34:56 ::5\n", 2, "machine-id",
	    "an IPv6 host where no prefix can be derived");
	unlink(idfile);

	is_int(qnet_config_load("/nonexistent/qnet.conf", &c, NULL, NULL), 0, "missing file is empty config");
	qnet_config_free(c);
	return tap_done();
}
