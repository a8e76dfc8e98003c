// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `qnet status`: the bridges qnet manages or is configured for, with their
 * ports as the kernel reports them, and the NAT networks. The JSON form is a
 * stable interface, documented in docs/qnet-status-json.md: fields are only
 * ever added, and "version" changes if one changes meaning.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "config.h"
#include "dnsmasq.h"
#include "json.h"
#include "leases.h"
#include "link.h"
#include "log.h"
#include "macro.h"
#include "nat.h"
#include "netlink.h"
#include "portfilter.h"
#include "rate.h"
#include "state.h"
#include "vxlan.h"
#include "qnet.h"

#define STATUS_JSON_VERSION 1

/* Bridges are listed once, with every reason qnet knows them for. */
enum role {
	ROLE_SCRIPT = 1 << 0,   /* [script] bridge= (qemu-ifup) */
	ROLE_GRANT = 1 << 1,    /* [bridge NAME] (qemu-bridge-helper grants) */
	ROLE_NETWORK = 1 << 2,  /* a NAT network's bridge */
	ROLE_FILTER = 1 << 3,   /* none of the above, but it has filtered ports */
};

static const char *const role_names[] = { "script", "grant", "network", "filter" };

struct bridge_entry {
	char name[IFNAMSIZ];
	unsigned roles;
};

struct status {
	FILE *out;
	bool json;
	struct qnet_json j;
	struct qnet_nl nl;
	const struct qnet_config *cfg;
	struct bridge_entry *bridges;
	size_t n_bridges;
	struct qnet_portfilter_port *filtered; /* every filtered port, read once */
	size_t n_filtered;
};

/* One address anti-spoofing allows a MAC on a bridge. */
struct allowed {
	uint8_t mac[6];
	int family;
	struct in6_addr addr; /* an in_addr in its first bytes for AF_INET */
};

struct allowed_list {
	struct allowed *v;
	size_t n;
};

static int add_bridge(struct status *s, const char *name, unsigned role)
{
	struct bridge_entry *b;

	for (size_t i = 0; i < s->n_bridges; i++)
		if (streq(s->bridges[i].name, name)) {
			s->bridges[i].roles |= role;
			return 0;
		}
	b = reallocarray(s->bridges, s->n_bridges + 1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	s->bridges = b;
	b = &s->bridges[s->n_bridges++];
	*b = (struct bridge_entry){ .roles = role };
	snprintf(b->name, sizeof(b->name), "%s", name);
	return 0;
}

static const char *ipv4(struct in_addr a, char out[INET_ADDRSTRLEN])
{
	return inet_ntop(AF_INET, &a, out, INET_ADDRSTRLEN);
}

/* ADDR as text, or NULL (JSON null) for "none": 0.0.0.0 and :: are never a guest's. */
static const char *ipv4_or_null(struct in_addr a, char out[INET6_ADDRSTRLEN])
{
	return a.s_addr ? inet_ntop(AF_INET, &a, out, INET6_ADDRSTRLEN) : NULL;
}

static const char *ipv6_or_null(const struct in6_addr *a, char out[INET6_ADDRSTRLEN])
{
	return IN6_IS_ADDR_UNSPECIFIED(a) ? NULL : inet_ntop(AF_INET6, a, out, INET6_ADDRSTRLEN);
}

static const char *lease_ip(const struct qnet_lease *l, char out[INET6_ADDRSTRLEN])
{
	return l->family == AF_INET6 ? inet_ntop(AF_INET6, &l->ip6, out, INET6_ADDRSTRLEN)
				     : inet_ntop(AF_INET, &l->ip, out, INET6_ADDRSTRLEN);
}

/* BYTES per second as qnet.conf's rate = would say it: "100mbit". */
static const char *format_rate(uint64_t bytes, char buf[32])
{
	static const char *const unit[] = { "bit", "kbit", "mbit", "gbit", "tbit" };
	uint64_t bits = bytes * 8;
	size_t u = 0;

	if (!bytes)
		return "unlimited";
	while (u + 1 < ARRAY_SIZE(unit) && bits % 1000 == 0 && bits >= 1000) {
		bits /= 1000;
		u++;
	}
	snprintf(buf, 32, "%" PRIu64 "%s", bits, unit[u]);
	return buf;
}

/* What PORT is shaped to (0: not), read from the kernel. */
static int port_rates(struct qnet_nl *nl, int port, uint64_t *in, uint64_t *out)
{
	int r = qnet_rate_get(nl, port, in, out);

	return r == -ENODEV ? 0 : r; /* gone since the port list was read */
}

static int collect_filtered(const struct qnet_portfilter_port *p, void *userdata)
{
	struct status *s = userdata;
	struct qnet_portfilter_port *v = reallocarray(s->filtered, s->n_filtered + 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	s->filtered = v;
	v[s->n_filtered++] = *p;
	return 0;
}

static const struct qnet_portfilter_port *filtered_port(const struct status *s, int port)
{
	for (size_t i = 0; i < s->n_filtered; i++)
		if (s->filtered[i].port == port)
			return &s->filtered[i];
	return NULL;
}

static int collect_allowed(const uint8_t mac[6], int family, const void *addr, void *userdata)
{
	struct allowed_list *l = userdata;
	struct allowed *v = reallocarray(l->v, l->n + 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	l->v = v;
	v = &v[l->n++];
	*v = (struct allowed){ .family = family };
	memcpy(v->mac, mac, 6);
	memcpy(&v->addr, addr, family == AF_INET6 ? sizeof(struct in6_addr) : sizeof(struct in_addr));
	return 0;
}

struct port_list {
	struct qnet_link *v;
	size_t n;
};

static int collect_port(const struct qnet_link *port, void *userdata)
{
	struct port_list *l = userdata;
	struct qnet_link *v = reallocarray(l->v, l->n + 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	l->v = v;
	v[l->n++] = *port;
	return 0;
}

static int print_port(struct status *s, const struct qnet_link *port, const struct allowed_list *allowed)
{
	const struct qnet_portfilter_port *f = filtered_port(s, port->ifindex);
	char mac[QNET_ADDR_MAC_SIZE], guest[QNET_ADDR_MAC_SIZE], a[INET6_ADDRSTRLEN];
	bool guest_known = f && f->mac_known;
	uint64_t rate_in, rate_out;
	int r;

	r = port_rates(&s->nl, port->ifindex, &rate_in, &rate_out);
	if (r < 0)
		return r;
	if (guest_known)
		qnet_addr_format_mac(f->mac, guest);
	if (!s->json) {
		/* The ports line as before; a line of its own for a port with
		 * anything more to say. */
		if (!f && !port->isolated && !rate_in && !rate_out)
			return 0;
		fprintf(s->out, "  port %s:", port->name);
		if (f) {
			fprintf(s->out, " filter, guest %s, allowed", guest_known ? guest : "not seen yet");
			for (size_t i = 0, n = 0; guest_known && i < allowed->n; i++)
				if (!memcmp(allowed->v[i].mac, f->mac, 6))
					fprintf(s->out, "%s %s", n++ ? "," : "",
						inet_ntop(allowed->v[i].family, &allowed->v[i].addr, a, sizeof(a)));
			if (!guest_known)
				fputs(" nothing", s->out);
		}
		if (port->isolated)
			fprintf(s->out, "%s isolated", f ? ";" : "");
		if (rate_in || rate_out) {
			char in[32], out[32];

			fprintf(s->out, "%s rate in %s, out %s", f || port->isolated ? ";" : "",
				format_rate(rate_in, in), format_rate(rate_out, out));
		}
		fputc('\n', s->out);
		return 0;
	}
	qnet_addr_format_mac(port->mac, mac);
	qnet_json_object_begin(&s->j);
	qnet_json_member_string(&s->j, "name", port->name);
	qnet_json_member_int(&s->j, "ifindex", port->ifindex);
	qnet_json_member_string(&s->j, "kind", port->kind[0] ? port->kind : NULL);
	qnet_json_member_string(&s->j, "mac", mac);
	qnet_json_member_bool(&s->j, "up", port->flags & IFF_UP);
	qnet_json_member_string(&s->j, "guest_mac", guest_known ? guest : NULL);
	qnet_json_key(&s->j, "addresses");
	qnet_json_array_begin(&s->j);
	for (size_t i = 0; guest_known && i < allowed->n; i++)
		if (!memcmp(allowed->v[i].mac, f->mac, 6))
			qnet_json_string(&s->j, inet_ntop(allowed->v[i].family, &allowed->v[i].addr, a, sizeof(a)));
	qnet_json_array_end(&s->j);
	qnet_json_member_bool(&s->j, "filter", f != NULL);
	qnet_json_member_bool(&s->j, "isolated", port->isolated);
	qnet_json_member_int_or_null(&s->j, "rate_in", rate_in != 0, (int64_t)rate_in);
	qnet_json_member_int_or_null(&s->j, "rate_out", rate_out != 0, (int64_t)rate_out);
	qnet_json_object_end(&s->j);
	return 0;
}

static int print_bridge(struct status *s, const struct bridge_entry *b)
{
	struct port_list ports = { 0 };
	struct allowed_list allowed = { 0 };
	struct qnet_link l;
	bool exists, is_bridge;
	int r;

	r = qnet_link_get(&s->nl, b->name, &l);
	if (r < 0 && r != -ENODEV)
		return r;
	exists = r == 0;
	is_bridge = exists && l.is_bridge;

	if (s->json) {
		qnet_json_object_begin(&s->j);
		qnet_json_member_string(&s->j, "name", b->name);
		qnet_json_key(&s->j, "roles");
		qnet_json_array_begin(&s->j);
		for (size_t i = 0; i < ARRAY_SIZE(role_names); i++)
			if (b->roles & (1u << i))
				qnet_json_string(&s->j, role_names[i]);
		qnet_json_array_end(&s->j);
		qnet_json_member_bool(&s->j, "exists", exists);
		qnet_json_member_bool(&s->j, "is_bridge", is_bridge);
		qnet_json_member_bool(&s->j, "up", exists && (l.flags & IFF_UP));
		qnet_json_member_int_or_null(&s->j, "mtu", exists, l.mtu);
		qnet_json_key(&s->j, "ports");
		qnet_json_array_begin(&s->j);
	} else {
		fprintf(s->out, "bridge %s (", b->name);
		for (size_t i = 0, n = 0; i < ARRAY_SIZE(role_names); i++)
			if (b->roles & (1u << i))
				fprintf(s->out, "%s%s", n++ ? ", " : "", role_names[i]);
		if (!exists)
			fprintf(s->out, "): does not exist");
		else if (!is_bridge)
			fprintf(s->out, "): not a bridge (%s)", l.kind[0] ? l.kind : "unknown kind");
		else
			fprintf(s->out, "): %s, mtu %u, ports:", l.flags & IFF_UP ? "up" : "down", l.mtu);
	}
	/* Names first, then what else each port has: a request made inside
	 * the dump's callback would interleave with the dump on the socket. */
	r = is_bridge ? qnet_link_bridge_foreach_port(&s->nl, l.ifindex, collect_port, &ports) : 0;
	/* A bridge deleted between the two requests has no ports: not an error. */
	if (r == -ENODEV)
		r = 0;
	for (size_t i = 0; r == 0 && !s->json && i < ports.n; i++)
		fprintf(s->out, " %s", ports.v[i].name);
	if (!s->json)
		fputc('\n', s->out);
	for (size_t i = 0; r == 0 && i < ports.n; i++)
		if (filtered_port(s, ports.v[i].ifindex)) {
			/* No list (no lease, no host = yet) allows nothing. */
			r = qnet_portfilter_foreach_allowed(l.ifindex, collect_allowed, &allowed);
			if (r == -ENOENT)
				r = 0;
			break;
		}
	for (size_t i = 0; r == 0 && i < ports.n; i++)
		r = print_port(s, &ports.v[i], &allowed);
	if (s->json) {
		qnet_json_array_end(&s->j);
		qnet_json_object_end(&s->j);
	}
	free(ports.v);
	free(allowed.v);
	return r;
}

static const char *proto_name(uint8_t proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

/* qnet status --json's "subnet6_from": where the network's IPv6 comes from. */
static const char *subnet6_from_name(enum qnet_subnet6 from)
{
	switch (from) {
	case QNET_SUBNET6_DERIVED:
		return "derived";
	case QNET_SUBNET6_SET:
		return "config";
	case QNET_SUBNET6_NONE:
		return "none";
	case QNET_SUBNET6_NO_MACHINE_ID:
		return "no-machine-id";
	case QNET_SUBNET6_UNDERIVED:
		break; /* qnet status loads all of qnet.conf */
	}
	return "none";
}

static const char *kind_name(int kind)
{
	return kind == QNET_NAT_PERSISTENT ? "persistent" : kind == QNET_NAT_ON_DEMAND ? "on-demand" : NULL;
}

/* What runs of an overlay: its VXLAN device, if it is there, and whom
 * it floods to. */
struct overlay_now {
	char dev[IFNAMSIZ];
	bool present;
	unsigned mtu;            /* the bridge's */
	struct qnet_peer *flood; /* malloc'd */
	size_t n_flood;
};

static const char *peer_str(const struct qnet_peer *p, char buf[INET6_ADDRSTRLEN])
{
	return inet_ntop(p->family, p->family == AF_INET6 ? (const void *)&p->ip6 : (const void *)&p->ip, buf,
			 INET6_ADDRSTRLEN);
}

static const char *gateway_role(const struct qnet_network *n)
{
	return !n->nat ? "none" : n->gateway_here ? "here" : "elsewhere";
}

static void print_overlay_json(struct qnet_json *j, const struct qnet_network *n, const struct overlay_now *o)
{
	char a[INET6_ADDRSTRLEN];

	qnet_json_member_bool(j, "nat", n->nat);
	qnet_json_member_int_or_null(j, "mtu", o->mtu > 0, o->mtu);
	qnet_json_key(j, "overlay");
	if (!n->vxlan) {
		qnet_json_null(j);
		return;
	}
	qnet_json_object_begin(j);
	qnet_json_member_int(j, "vni", n->vxlan);
	qnet_json_member_int(j, "port", n->vxlan_port);
	qnet_json_member_string(j, "device", o->dev);
	qnet_json_member_string(j, "underlay", n->underlay[0] ? n->underlay : NULL);
	qnet_json_member_string(j, "gateway", gateway_role(n));
	qnet_json_key(j, "peers");
	qnet_json_array_begin(j);
	for (size_t i = 0; i < n->n_peers; i++)
		qnet_json_string(j, peer_str(&n->peers[i], a));
	qnet_json_array_end(j);
	/* The kernel's flood list, null while the device is not there. */
	qnet_json_key(j, "fdb");
	if (o->present) {
		qnet_json_array_begin(j);
		for (size_t i = 0; i < o->n_flood; i++)
			qnet_json_string(j, peer_str(&o->flood[i], a));
		qnet_json_array_end(j);
	} else {
		qnet_json_null(j);
	}
	qnet_json_object_end(j);
}

static void print_overlay_text(FILE *out, const struct qnet_network *n, bool up, const struct overlay_now *o)
{
	char a[INET6_ADDRSTRLEN];

	if (!n->vxlan) {
		if (!n->nat)
			fprintf(out, "  nat = no: no gateway, guests reach each other only\n");
		return;
	}
	fprintf(out, "  overlay VNI %u, UDP port %u, device %s%s, gateway %s", n->vxlan, n->vxlan_port, o->dev,
		up && !o->present ? " (missing)" : "", gateway_role(n));
	if (o->mtu)
		fprintf(out, ", MTU %u", o->mtu);
	fprintf(out, "\n  peers");
	for (size_t i = 0; i < n->n_peers; i++)
		fprintf(out, " %s", peer_str(&n->peers[i], a));
	if (o->present) {
		fprintf(out, "\n  flooding to");
		for (size_t i = 0; i < o->n_flood; i++)
			fprintf(out, " %s", peer_str(&o->flood[i], a));
		if (!o->n_flood)
			fprintf(out, " nobody");
	}
	fprintf(out, "\n");
}

static void print_network_json(struct status *s, const struct qnet_network *n, bool up, bool configured,
			       pid_t pid, const struct qnet_lease *leases, size_t n_leases,
			       const struct overlay_now *o)
{
	char diff[128];
	unsigned pending = up ? qnet_nat_pending(n) : 0;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], cidr[INET6_ADDRSTRLEN + 4], mac[QNET_ADDR_MAC_SIZE];
	struct qnet_json *j = &s->j;

	snprintf(cidr, sizeof(cidr), "%s/%u", ipv4(n->subnet, a), n->prefix);
	qnet_json_object_begin(j);
	qnet_json_member_string(j, "name", n->name);
	qnet_json_member_string(j, "bridge", n->bridge);
	qnet_json_member_string(j, "subnet", cidr);
	qnet_json_member_string(j, "gateway", ipv4(n->gateway, a));
	qnet_json_key(j, "dhcp_range");
	qnet_json_object_begin(j);
	qnet_json_member_string(j, "start", ipv4(n->range_start, a));
	qnet_json_member_string(j, "end", ipv4(n->range_end, b));
	qnet_json_object_end(j);
	qnet_json_member_bool(j, "dns", n->dns);
	qnet_json_member_int(j, "lease_max", n->lease_max);
	qnet_json_member_bool(j, "up", up);
	qnet_json_member_string(j, "kind", up ? kind_name(qnet_nat_kind(n->name)) : NULL);
	qnet_json_member_string(j, "reload_pending", pending ? qnet_config_diff_names(pending, diff, sizeof(diff)) : NULL);
	qnet_json_member_bool(j, "configured", configured);
	qnet_json_member_int_or_null(j, "dnsmasq_pid", pid > 0, pid);
	qnet_json_key(j, "hosts");
	qnet_json_array_begin(j);
	for (size_t i = 0; i < n->n_hosts; i++) {
		const struct qnet_host *h = &n->hosts[i];

		qnet_addr_format_mac(h->mac, mac);
		qnet_json_object_begin(j);
		qnet_json_member_string(j, "mac", mac);
		qnet_json_member_string(j, "ip", ipv4_or_null(h->ip, a));
		qnet_json_member_string(j, "hostname", h->name[0] ? h->name : NULL);
		qnet_json_member_string(j, "ip6", n->ipv6 ? ipv6_or_null(&h->ip6, b) : NULL);
		qnet_json_member_string(j, "duid", h->duid[0] ? h->duid : NULL);
		qnet_json_object_end(j);
	}
	qnet_json_array_end(j);
	qnet_json_key(j, "forwards");
	qnet_json_array_begin(j);
	for (size_t i = 0; i < n->n_forwards; i++) {
		const struct qnet_forward *f = &n->forwards[i];

		qnet_json_object_begin(j);
		qnet_json_member_string(j, "proto", proto_name(f->proto));
		qnet_json_member_int(j, "host_port", f->host_port);
		qnet_json_member_string(j, "guest", ipv4_or_null(f->guest, a));
		qnet_json_member_int(j, "guest_port", f->guest_port);
		qnet_json_member_string(j, "guest6", n->ipv6 ? ipv6_or_null(&f->guest6, b) : NULL);
		qnet_json_member_string(j, "host", f->host[0] ? f->host : NULL);
		qnet_json_object_end(j);
	}
	qnet_json_array_end(j);
	qnet_json_key(j, "leases");
	qnet_json_array_begin(j);
	for (size_t i = 0; i < n_leases; i++) {
		const struct qnet_lease *l = &leases[i];

		qnet_addr_format_mac(l->mac, mac);
		qnet_json_object_begin(j);
		qnet_json_member_string(j, "mac", l->has_mac ? mac : NULL);
		qnet_json_member_string(j, "ip", lease_ip(l, a));
		qnet_json_member_string(j, "hostname", l->hostname[0] ? l->hostname : NULL);
		qnet_json_member_int_or_null(j, "expires", l->expiry != 0, l->expiry);
		qnet_json_member_int(j, "family", l->family == AF_INET6 ? 6 : 4);
		qnet_json_member_string(j, "duid", l->duid[0] ? l->duid : NULL);
		qnet_json_member_int_or_null(j, "iaid", l->family == AF_INET6, l->iaid);
		qnet_json_object_end(j);
	}
	qnet_json_array_end(j);
	if (n->ipv6)
		snprintf(cidr, sizeof(cidr), "%s/64", inet_ntop(AF_INET6, &n->subnet6, a, sizeof(a)));
	qnet_json_member_string(j, "subnet6", n->ipv6 ? cidr : NULL);
	qnet_json_member_string(j, "gateway6", n->ipv6 ? inet_ntop(AF_INET6, &n->gateway6, a, sizeof(a)) : NULL);
	qnet_json_key(j, "dhcp_range6");
	if (n->ipv6) {
		qnet_json_object_begin(j);
		qnet_json_member_string(j, "start", inet_ntop(AF_INET6, &n->range6_start, a, sizeof(a)));
		qnet_json_member_string(j, "end", inet_ntop(AF_INET6, &n->range6_end, b, sizeof(b)));
		qnet_json_object_end(j);
	} else {
		qnet_json_null(j);
	}
	qnet_json_member_string(j, "subnet6_from", subnet6_from_name(n->subnet6_from));
	print_overlay_json(j, n, o);
	qnet_json_object_end(j);
}

static void print_network_text(struct status *s, const struct qnet_network *n, bool up, bool configured,
			       pid_t pid, const struct qnet_lease *leases, size_t n_leases,
			       const struct overlay_now *o)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], mac[QNET_ADDR_MAC_SIZE], diff[128];
	const char *kind = up ? kind_name(qnet_nat_kind(n->name)) : NULL;
	unsigned pending = up ? qnet_nat_pending(n) : 0;

	fprintf(s->out, "network %s: %s%s%s, bridge %s, subnet %s/%u, gateway %s", n->name, up ? "up" : "down",
		kind ? ", " : "", kind ? kind : "", n->bridge, ipv4(n->subnet, a), n->prefix, ipv4(n->gateway, b));
	if (n->ipv6)
		fprintf(s->out, ", subnet6 %s/64, gateway6 %s", inet_ntop(AF_INET6, &n->subnet6, a, sizeof(a)),
			inet_ntop(AF_INET6, &n->gateway6, b, sizeof(b)));
	if (pid > 0)
		fprintf(s->out, ", dnsmasq pid %d\n", (int)pid);
	else
		fprintf(s->out, up && n->gateway_here ? ", dnsmasq not running\n" : "\n");
	print_overlay_text(s->out, n, up, o);
	if (pending)
		fprintf(s->out, "  qnet.conf differs from what runs (%s): qnet reload %s applies it\n",
			qnet_config_diff_names(pending, diff, sizeof(diff)), n->name);
	if (!configured)
		fprintf(s->out, "  not in qnet.conf any more: it runs as it came up; qnet down %s takes it down\n",
			n->name);
	for (size_t i = 0; i < n->n_hosts; i++) {
		const struct qnet_host *h = &n->hosts[i];

		qnet_addr_format_mac(h->mac, mac);
		fprintf(s->out, "  host %s", mac);
		if (h->ip.s_addr)
			fprintf(s->out, " %s", ipv4(h->ip, a));
		if (n->ipv6 && ipv6_or_null(&h->ip6, a))
			fprintf(s->out, " %s", a);
		fprintf(s->out, " %s\n", h->name);
	}
	for (size_t i = 0; i < n->n_forwards; i++) {
		const struct qnet_forward *f = &n->forwards[i];

		if (f->guest.s_addr)
			fprintf(s->out, "  forward %s %u -> %s:%u\n", proto_name(f->proto), f->host_port,
				ipv4(f->guest, a), f->guest_port);
		if (n->ipv6 && ipv6_or_null(&f->guest6, a))
			fprintf(s->out, "  forward %s %u -> [%s]:%u\n", proto_name(f->proto), f->host_port, a,
				f->guest_port);
	}
	for (size_t i = 0; i < n_leases; i++) {
		time_t t = (time_t)leases[i].expiry;
		char when[32] = "never";
		struct tm tm;

		if (leases[i].expiry && gmtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		qnet_addr_format_mac(leases[i].mac, mac);
		fprintf(s->out, "  lease %s %s %s expires %s\n", leases[i].has_mac ? mac : "-", lease_ip(&leases[i], a),
			leases[i].hostname[0] ? leases[i].hostname : "-", when);
	}
}

static int print_network(struct status *s, const struct qnet_network *n, bool configured)
{
	_cleanup_free_ struct qnet_lease *leases = NULL;
	struct overlay_now o = { .present = false };
	size_t n_leases = 0;
	struct qnet_link l;
	pid_t pid;
	bool up;
	int r;

	r = qnet_link_get(&s->nl, n->bridge, &l);
	if (r < 0 && r != -ENODEV)
		return r;
	up = r == 0 && l.is_bridge;
	if (up && (n->vxlan || n->mtu))
		o.mtu = l.mtu;
	if (n->vxlan) {
		qnet_vxlan_ifname(n->name, o.dev);
		o.present = qnet_link_get(&s->nl, o.dev, &l) == 0;
		if (o.present && (r = qnet_vxlan_flood_list(&s->nl, l.ifindex, &o.flood, &o.n_flood)) < 0)
			return r;
	}
	pid = qnet_dnsmasq_pid(n->name);
	r = qnet_leases_load(n->name, &leases, &n_leases);
	if (r < 0) {
		free(o.flood);
		return r;
	}
	if (s->json)
		print_network_json(s, n, up, configured, pid, leases, n_leases, &o);
	else
		print_network_text(s, n, up, configured, pid, leases, n_leases, &o);
	free(o.flood);
	return 0;
}

static int print_unconfigured(const char *network, void *userdata)
{
	struct status *s = userdata;
	_cleanup_config_ struct qnet_config *run = NULL;
	const struct qnet_network *n;

	if (qnet_config_network(s->cfg, network) || qnet_nat_running(network, &run, &n) < 0)
		return 0;
	return print_network(s, n, false);
}

static int print_all(struct status *s)
{
	const struct qnet_config *c = s->cfg;
	int r;

	if (c->script_bridge[0] && (r = add_bridge(s, c->script_bridge, ROLE_SCRIPT)) < 0)
		return r;
	for (size_t i = 0; i < c->n_grants; i++)
		if ((r = add_bridge(s, c->grants[i].bridge, ROLE_GRANT)) < 0)
			return r;
	for (size_t i = 0; i < c->n_networks; i++)
		if ((r = add_bridge(s, c->networks[i].bridge, ROLE_NETWORK)) < 0)
			return r;
	r = qnet_portfilter_foreach_port(collect_filtered, s);
	if (r == -ENOMEM)
		return r;
	if (r < 0 && r != -ENOENT)
		qnet_warn("cannot read the port filters (nftables table bridge %s): %s", QNET_PORTFILTER_TABLE,
			  strerror(-r));
	for (size_t i = 0; i < s->n_filtered; i++) {
		struct qnet_link l;
		bool known = false;

		/* A filtered port's bridge that qnet.conf does not name (a
		 * helper's port on a bridge whose grant was since removed). */
		if (qnet_link_get_by_index(&s->nl, s->filtered[i].bridge, &l) < 0)
			continue;
		for (size_t k = 0; k < s->n_bridges; k++)
			known |= streq(s->bridges[k].name, l.name);
		if (!known && (r = add_bridge(s, l.name, ROLE_FILTER)) < 0)
			return r;
	}

	if (s->json) {
		qnet_json_object_begin(&s->j);
		qnet_json_member_int(&s->j, "version", STATUS_JSON_VERSION);
		qnet_json_key(&s->j, "bridges");
		qnet_json_array_begin(&s->j);
	}
	for (size_t i = 0; i < s->n_bridges; i++)
		if ((r = print_bridge(s, &s->bridges[i])) < 0)
			return r;
	if (s->json) {
		qnet_json_array_end(&s->j);
		qnet_json_key(&s->j, "networks");
		qnet_json_array_begin(&s->j);
	}
	for (size_t i = 0; i < c->n_networks; i++)
		if ((r = print_network(s, &c->networks[i], true)) < 0)
			return r;
	/* Up, but gone from qnet.conf: shown as it runs. */
	r = qnet_state_foreach(print_unconfigured, s);
	if (r < 0)
		return r;
	if (s->json) {
		qnet_json_array_end(&s->j);
		qnet_json_object_end(&s->j);
		return qnet_json_finish(&s->j);
	}
	return fflush(s->out) == 0 ? 0 : -EIO;
}

/* Everything to OUT, as text or JSON. 0 or -errno (netlink, -ENOMEM, -EIO). */
static int status_print(FILE *out, bool json)
{
	_cleanup_config_ struct qnet_config *cfg = NULL;
	struct status s = { .out = out, .json = json };
	int r;

	r = qnet_config_load(NULL, &cfg, NULL, NULL);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		/* Status is most wanted when something is wrong: show the defaults. */
		qnet_warn("qnet.conf cannot be used (%s; see qnet check): showing the built-in defaults",
			  strerror(-r));
		qnet_config_free(TAKE_PTR(cfg));
		r = qnet_config_parse_buffer("(defaults)", "", 0, &cfg, NULL, NULL);
		if (r < 0)
			return r;
	}
	s.cfg = cfg;
	qnet_json_init(&s.j, out);
	r = qnet_nl_open(&s.nl);
	if (r < 0)
		return r;
	r = print_all(&s);
	qnet_nl_close(&s.nl);
	free(s.bridges);
	free(s.filtered);
	return r;
}

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ 0 },
	};
	bool json = false;
	int r = cli_parse_plain("status", argc, argv, 0, opts, &json);

	if (r < 0)
		return CLI_PARSED_EXIT(r);
	r = status_print(stdout, json);
	if (r < 0)
		return qnet_error("status: %s", strerror(-r));
	return EXIT_SUCCESS;
}
