// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qnet-dhcp-event: the --dhcp-script of a NAT network's dnsmasq
 * (lib/dnsmasq.c), which runs it as root, one at a time, for each lease
 * it adds, renews, finds at its start or removes. Each lease goes into or
 * out of the allow-list of anti-spoofing on the bridge (lib/guestaddr.h,
 * lib/portfilter.h): a filtered port's guest may use exactly the
 * addresses it leased, and, with an IPv4 lease, the IPv6 addresses it
 * makes from its MAC.
 *
 * What dnsmasq passes is read in dhcp-event.c and refused whole if any
 * field does not parse, before anything changes. The bridge is the one
 * the request came on (DNSMASQ_INTERFACE) or, for the leases dnsmasq
 * reads at its start, the one qnet started it for (QNET_DHCP_BRIDGE);
 * both are read with secure_getenv, as every variable in qnet is. A
 * failure is one line on stderr, which dnsmasq logs, and exit status 1:
 * what was allowed stays a subset of what should be (fail closed), and
 * the next event for the lease, a renewal, puts it right.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "dhcp-event.h"
#include "guestaddr.h"
#include "ifname.h"
#include "link.h"
#include "log.h"
#include "macro.h"
#include "netlink.h"
#include "portfilter.h"

#define MAX_MACS 16 /* MACs one DHCPv6 address is allowed for: a lease has one */

struct owners {
	const struct in6_addr *addr;
	uint8_t mac[MAX_MACS][6];
	size_t n;
};

static int collect_owner(const uint8_t mac[6], int family, const void *addr, void *userdata)
{
	struct owners *o = userdata;

	if (family != AF_INET6 || !IN6_ARE_ADDR_EQUAL(addr, o->addr))
		return 0;
	if (o->n == MAX_MACS)
		return -E2BIG;
	memcpy(o->mac[o->n++], mac, 6);
	return 0;
}

/* A DHCPv6 lease gone whose MAC neither dnsmasq nor its DUID names (a
 * DUID-EN or DUID-UUID read back from the lease file): remove the
 * address for whichever MAC has it. */
static int remove_unowned(int bridge, const struct in6_addr *addr, char *why, size_t why_size)
{
	struct owners o = { .addr = addr };
	int r, first = 0;

	r = qnet_portfilter_foreach_allowed(bridge, collect_owner, &o);
	if (r == -ENOENT)
		return 0; /* no list, nothing in it */
	if (r < 0)
		return qnet_because(why, why_size, r, "cannot read the allow-list of bridge %d: %s", bridge,
				    strerror(-r));
	for (size_t i = 0; i < o.n; i++) {
		char inner[QNET_REASON_MAX] = "";

		r = qnet_portfilter_allow(bridge, o.mac[i], AF_INET6, addr, false, inner, sizeof(inner));
		if (r < 0 && !first)
			first = qnet_because(why, why_size, r, "cannot remove it: %s", inner[0] ? inner : strerror(-r));
	}
	return first;
}

/* The bridge the lease is on, from dnsmasq's environment or ours. */
static const char *lease_bridge(char *why, size_t why_size)
{
	const char *iface = secure_getenv("DNSMASQ_INTERFACE"), *ours = secure_getenv("QNET_DHCP_BRIDGE");
	char a[QNET_IFNAME_PRINTABLE_SIZE], b[QNET_IFNAME_PRINTABLE_SIZE];
	const char *name, *bad;

	if (iface && !*iface)
		iface = NULL;
	if (ours && !*ours)
		ours = NULL;
	/* Our dnsmasq answers on its bridge only (--interface): anything
	 * else is not a lease of the network it was started for. */
	if (iface && ours && !streq(iface, ours)) {
		qnet_because(why, why_size, -EINVAL, "the request came on %s, not on %s (QNET_DHCP_BRIDGE)",
			     qnet_ifname_printable(iface, a), qnet_ifname_printable(ours, b));
		return NULL;
	}
	name = iface ? iface : ours;
	if (!name) {
		qnet_because(why, why_size, -EINVAL, "no bridge: neither DNSMASQ_INTERFACE nor QNET_DHCP_BRIDGE is set");
		return NULL;
	}
	bad = qnet_ifname_invalid(name);
	if (bad) {
		qnet_because(why, why_size, -EINVAL, "bridge '%s': %s", qnet_ifname_printable(name, a), bad);
		return NULL;
	}
	return name;
}

static int run(const struct dhcp_event *ev, const char *bridge_name, char *why, size_t why_size)
{
	_cleanup_nl_ struct qnet_nl nl = { 0 };
	const void *addr = ev->family == AF_INET ? (const void *)&ev->ip : (const void *)&ev->ip6;
	bool add = ev->action == DHCP_EVENT_ALLOW;
	struct qnet_link b;
	int r;

	r = qnet_nl_open(&nl);
	if (r < 0)
		return qnet_because(why, why_size, r, "netlink: %s", strerror(-r));
	r = qnet_link_get(&nl, bridge_name, &b);
	if (r == -ENODEV)
		return qnet_because(why, why_size, r, "bridge %s does not exist", bridge_name);
	if (r < 0)
		return qnet_because(why, why_size, r, "cannot look up bridge %s: %s", bridge_name, strerror(-r));
	if (!b.is_bridge)
		return qnet_because(why, why_size, -EINVAL, "%s is not a bridge", bridge_name);
	if (!ev->mac_known && add)
		return qnet_because(why, why_size, -ENXIO, "its MAC is unknown (no DNSMASQ_MAC, and the DUID "
				    "names none): the guest cannot use the address until dnsmasq knows it");
	if (!ev->mac_known)
		return remove_unowned(b.ifindex, &ev->ip6, why, why_size);
	return qnet_guestaddr_lease(&nl, b.ifindex, ev->mac, ev->family, addr, add, why, why_size);
}

int main(int argc, char **argv)
{
	char why[QNET_REASON_MAX] = "", action[QNET_IFNAME_PRINTABLE_SIZE] = "", id[QNET_IFNAME_PRINTABLE_SIZE] = "",
	     ip[QNET_IFNAME_PRINTABLE_SIZE] = "";
	const char *bridge;
	struct dhcp_event ev;
	int r;

	qnet_log_init(argv[0]);
	if (argc == 2 && (streq(argv[1], "--help") || streq(argv[1], "-h"))) {
		printf("usage: %s add|old|del MAC|DUID ADDRESS [HOSTNAME]  (dnsmasq's --dhcp-script)\n",
		       qnet_log_program());
		return 0;
	}
	if (argc == 2 && streq(argv[1], "--version")) {
		printf("%s (qnet) %s\n", qnet_log_program(), QNET_VERSION);
		return 0;
	}
	/* The lease as every message names it: what dnsmasq passed, made printable. */
	if (argc > 1)
		qnet_ifname_printable(argv[1], action);
	if (argc > 2)
		qnet_ifname_printable(argv[2], id);
	if (argc > 3)
		qnet_ifname_printable(argv[3], ip);
	r = dhcp_event_parse(argc, argv, secure_getenv("DNSMASQ_MAC"), &ev, why, sizeof(why));
	if (r < 0)
		return qnet_error("lease %s %s %s: %s", action, id, ip, why);
	if (ev.action == DHCP_EVENT_IGNORE)
		return 0;
	bridge = lease_bridge(why, sizeof(why));
	if (!bridge)
		return qnet_error("lease %s %s %s: %s", action, id, ip, why);
	r = run(&ev, bridge, why, sizeof(why));
	if (r < 0)
		return qnet_error("lease %s %s %s on %s: %s", action, id, ip, bridge, why);
	return 0;
}
