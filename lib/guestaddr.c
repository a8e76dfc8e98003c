// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "guestaddr.h"
#include "log.h"
#include "macro.h"
#include "portfilter.h"
#include "route.h"

/* One address in or out of BRIDGE's list for MAC, WHY naming it. */
static int change(int bridge, const uint8_t mac[6], int family, const void *addr, bool add,
		  char *why, size_t why_size)
{
	char inner[QNET_REASON_MAX] = "", text[INET6_ADDRSTRLEN] = "?", m[QNET_ADDR_MAC_SIZE];
	int r = qnet_portfilter_allow(bridge, mac, family, addr, add, inner, sizeof(inner));

	if (r < 0) {
		inet_ntop(family, addr, text, sizeof(text));
		return qnet_because(why, why_size, r, "cannot %s %s for %s: %s", add ? "allow" : "remove", text,
				    qnet_addr_format_mac(mac, m), inner[0] ? inner : strerror(-r));
	}
	return 0;
}

struct eui64_set {
	struct in6_addr *v;
	size_t n;
	bool oom;
};

static void eui64_set_add(struct eui64_set *s, const struct in6_addr *a)
{
	struct in6_addr *v;

	if (s->oom)
		return;
	for (size_t i = 0; i < s->n; i++)
		if (IN6_ARE_ADDR_EQUAL(&s->v[i], a))
			return;
	v = reallocarray(s->v, s->n + 1, sizeof(*v));
	if (!v) {
		s->oom = true;
		return;
	}
	s->v = v;
	v[s->n++] = *a;
}

struct leftovers {
	const uint8_t *mac;
	struct in6_addr iid; /* MAC's EUI-64 interface identifier on :: */
	struct eui64_set *set;
};

/* An IPv6 address allowed for our MAC with its EUI-64 identifier: one of
 * ours, whichever /64 it was made for. */
static int collect_leftover(const uint8_t mac[6], int family, const void *addr, void *userdata)
{
	struct leftovers *l = userdata;
	const struct in6_addr *a = addr;

	if (family == AF_INET6 && !memcmp(mac, l->mac, 6) && !memcmp(a->s6_addr + 8, l->iid.s6_addr + 8, 8))
		eui64_set_add(l->set, a);
	return 0;
}

int qnet_guestaddr_eui64(struct qnet_nl *nl, int bridge, const uint8_t mac[6], bool add, char *why, size_t why_size)
{
	static const struct in6_addr link_local = { .s6_addr = { 0xfe, 0x80 } };
	_cleanup_free_ struct in6_addr *prefixes = NULL;
	struct eui64_set set = { 0 };
	struct in6_addr a;
	size_t n = 0;
	int r, first = 0;

	r = qnet_route_ipv6_prefixes64(nl, bridge, &prefixes, &n);
	if (r < 0)
		return qnet_because(why, why_size, r, "cannot read the IPv6 addresses of bridge %d: %s", bridge,
				    strerror(-r));
	qnet_portfilter_eui64(mac, &link_local, &a);
	eui64_set_add(&set, &a);
	for (size_t i = 0; i < n; i++) {
		qnet_portfilter_eui64(mac, &prefixes[i], &a);
		eui64_set_add(&set, &a);
	}
	if (!add) {
		/* A /64 the bridge had when the lease began may be gone by now. */
		struct leftovers l = { .mac = mac, .set = &set };

		qnet_portfilter_eui64(mac, &in6addr_any, &l.iid);
		(void)qnet_portfilter_foreach_allowed(bridge, collect_leftover, &l);
	}
	if (set.oom) {
		free(set.v);
		return qnet_because(why, why_size, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < set.n; i++) {
		r = change(bridge, mac, AF_INET6, &set.v[i], add, first ? NULL : why, first ? 0 : why_size);
		if (r < 0 && add) {
			first = r;
			break;
		}
		if (r < 0 && !first)
			first = r;
	}
	free(set.v);
	return first;
}

int qnet_guestaddr_lease(struct qnet_nl *nl, int bridge, const uint8_t mac[6], int family, const void *addr,
			 bool add, char *why, size_t why_size)
{
	int r = change(bridge, mac, family, addr, add, why, why_size), r2;

	if (family != AF_INET || (r < 0 && add))
		return r;
	r2 = qnet_guestaddr_eui64(nl, bridge, mac, add, r < 0 ? NULL : why, r < 0 ? 0 : why_size);
	return r < 0 ? r : r2;
}

int qnet_guestaddr_allow_host(struct qnet_nl *nl, int bridge, const struct qnet_host *h, bool ipv6,
			      char *why, size_t why_size)
{
	int r = 0;

	if (h->ip.s_addr)
		r = change(bridge, h->mac, AF_INET, &h->ip, true, why, why_size);
	if (r == 0 && ipv6 && !IN6_IS_ADDR_UNSPECIFIED(&h->ip6))
		r = change(bridge, h->mac, AF_INET6, &h->ip6, true, why, why_size);
	if (r == 0)
		r = qnet_guestaddr_eui64(nl, bridge, h->mac, true, why, why_size);
	return r;
}
