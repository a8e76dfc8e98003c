// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qnet.conf with inih. inih does not tell its handler the line number, so
 * we feed it through our own reader, which counts lines and refuses lines
 * longer than inih's buffer instead of letting inih split them. Unknown
 * sections and keys are errors: a misspelt deny-users must not silently
 * grant access.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config-private.h"
#include "ini-parse.h"
#include "file.h"
#include "ifname.h"
#include "log.h"
#include "macro.h"
#include "parse.h"
#include "paths.h"

enum section { SEC_NONE, SEC_SCRIPT, SEC_FIREWALL, SEC_NETWORK, SEC_BRIDGE, SEC_PORT, SEC_UNKNOWN };

struct parser {
	struct qnet_config *cfg;
	const char *file;
	qnet_diag_fn diag;
	void *userdata;
	const char *buf, *end, *pos; /* input */
	unsigned line;
	unsigned section_line; /* line of the last [header] seen */
	bool new_section;
	unsigned errors;
	bool oom;
	char section_name[256];
	enum section section;
	size_t index; /* current network, grant or port */
	/* rate-in = or rate-out = seen in the current section: rate = then
	 * leaves that direction alone, wherever it comes. */
	bool rate_in_set, rate_out_set;
	int machine_id_read;  /* 0 not yet, 1 read into machine_id, -errno unreadable */
	uint8_t machine_id[16];
	unsigned flags;       /* QNET_CONFIG_* of the caller */
};

static void report(struct parser *p, unsigned line, bool is_error, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void report(struct parser *p, unsigned line, bool is_error, const char *fmt, ...)
{
	char msg[QNET_REASON_MAX];
	va_list ap;

	if (is_error)
		p->errors++;
	if (!p->diag)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->diag(p->userdata, p->file, line, is_error, msg);
}

static const char *ip6(const struct in6_addr *a, char buf[INET6_ADDRSTRLEN])
{
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

/* ---- names ---- */

bool qnet_config_network_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > QNET_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '-' && name[i] != '_')
			return false;
	return true;
}

/* ---- growing arrays ---- */

static void *grow(void *array, size_t *n, size_t size)
{
	char *a = reallocarray(array, *n + 1, size);

	if (!a)
		return NULL;
	memset(a + *n * size, 0, size);
	(*n)++;
	return a;
}

/* The words of VALUE appended to *STRV, and LINE to *LINES once for each. */
static int strv_add_words(char ***strv, unsigned **lines, const char *value, unsigned line)
{
	size_t n = 0;
	char **v = *strv;
	_cleanup_free_ char *copy = strdup(value);
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	while (v && v[n])
		n++;
	for (char *w = strtok_r(copy, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save)) {
		char **nv = reallocarray(v, n + 2, sizeof(char *));
		unsigned *nl;

		if (!nv)
			return -ENOMEM;
		v = nv;
		*strv = v;
		nl = reallocarray(*lines, n + 1, sizeof(unsigned));
		if (!nl)
			return -ENOMEM;
		*lines = nl;
		nl[n] = line;
		v[n] = strdup(w);
		if (!v[n])
			return -ENOMEM;
		v[++n] = NULL;
	}
	return 0;
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* *SRC's words (and lines) moved to the end of *DST; *SRC is emptied. */
static int strv_move(char ***dst, unsigned **dst_lines, char ***src, unsigned **src_lines)
{
	size_t n = 0, m = 0;
	char **v;
	unsigned *l;

	while (*dst && (*dst)[n])
		n++;
	while (*src && (*src)[m])
		m++;
	if (!m)
		return 0;
	v = reallocarray(*dst, n + m + 1, sizeof(char *));
	if (!v)
		return -ENOMEM;
	*dst = v;
	l = reallocarray(*dst_lines, n + m, sizeof(unsigned));
	if (!l)
		return -ENOMEM;
	*dst_lines = l;
	memcpy(v + n, *src, m * sizeof(char *));
	memcpy(l + n, *src_lines, m * sizeof(unsigned));
	v[n + m] = NULL;
	free(*src);
	free(*src_lines);
	*src = NULL;
	*src_lines = NULL;
	return 0;
}

/* ---- sections ---- */

static struct qnet_network *network_new(struct parser *p, const char *name)
{
	struct qnet_config *c = p->cfg;
	struct qnet_network *a = grow(c->networks, &c->n_networks, sizeof(*a));

	if (!a) {
		p->oom = true;
		return NULL;
	}
	c->networks = a;
	a = &c->networks[c->n_networks - 1];
	snprintf(a->name, sizeof(a->name), "%s", name);
	a->dns = true;
	a->filter = true;
	a->nat = true;
	a->vxlan_port = QNET_VXLAN_PORT;
	a->line = p->section_line;
	return a;
}

static struct qnet_grant *grant_new(struct parser *p, const char *bridge, unsigned line)
{
	struct qnet_grant *g = grow(p->cfg->grants, &p->cfg->n_grants, sizeof(*g));

	if (!g) {
		p->oom = true;
		return NULL;
	}
	p->cfg->grants = g;
	g = &g[p->cfg->n_grants - 1];
	snprintf(g->bridge, sizeof(g->bridge), "%s", bridge);
	g->line = line;
	return g;
}

/* [network NAME] allow-users/allow-groups become the grant of its bridge,
 * beside a [bridge] section of the same bridge if there is one: the
 * helper has one place to look (lib/acl.c). */
static void network_grant(struct parser *p, struct qnet_network *n)
{
	struct qnet_grant *g;

	if (!n->allow_users && !n->allow_groups)
		return;
	g = (struct qnet_grant *)qnet_config_grant(p->cfg, n->bridge);
	if (!g)
		g = grant_new(p, n->bridge, n->line);
	if (!g)
		return;
	if (strv_move(&g->allow_users, &g->allow_users_line, &n->allow_users, &n->allow_users_line) < 0 ||
	    strv_move(&g->allow_groups, &g->allow_groups_line, &n->allow_groups, &n->allow_groups_line) < 0)
		p->oom = true;
}

/* [KIND ARG] names an interface: ARG must be a valid name, and no earlier
 * section of KIND, at OLD_LINE (0 if none), may have it. */
static bool ifname_section_valid(struct parser *p, const char *kind, const char *arg, unsigned old_line)
{
	const char *bad = qnet_ifname_invalid(arg);

	if (bad)
		report(p, p->section_line, true, "[%s %s]: %s", kind, arg, bad);
	else if (old_line)
		report(p, p->section_line, true, "%s '%s' defined twice (first at line %u)", kind, arg, old_line);
	return !bad && !old_line;
}

static void enter_section(struct parser *p, const char *section)
{
	const char *arg;

	snprintf(p->section_name, sizeof(p->section_name), "%s", section);
	p->section = SEC_UNKNOWN;
	p->rate_in_set = p->rate_out_set = false;
	if (streq(section, "script")) {
		p->section = SEC_SCRIPT;
		return;
	}
	if (streq(section, "firewall")) {
		p->section = SEC_FIREWALL;
		return;
	}
	arg = strchr(section, ' ');
	if (!arg) {
		report(p, p->section_line, true, "unknown section [%s]", section);
		return;
	}
	while (*arg == ' ')
		arg++;
	if (strncmp(section, "network ", 8) == 0) {
		if (!qnet_config_network_name_valid(arg)) {
			report(p, p->section_line, true, "invalid network name '%s' (1-%d of A-Z a-z 0-9 - _)",
			       arg, QNET_NAME_MAX);
			return;
		}
		for (size_t i = 0; i < p->cfg->n_networks; i++)
			if (streq(p->cfg->networks[i].name, arg)) {
				report(p, p->section_line, true, "network '%s' defined twice (first at line %u)",
				       arg, p->cfg->networks[i].line);
				return;
			}
		if (!network_new(p, arg))
			return;
		p->section = SEC_NETWORK;
		p->index = p->cfg->n_networks - 1;
	} else if (strncmp(section, "bridge ", 7) == 0) {
		const struct qnet_grant *old = qnet_config_grant(p->cfg, arg);

		if (!ifname_section_valid(p, "bridge", arg, old ? old->line : 0))
			return;
		if (!grant_new(p, arg, p->section_line))
			return;
		p->section = SEC_BRIDGE;
		p->index = p->cfg->n_grants - 1;
	} else if (strncmp(section, "port ", 5) == 0) {
		const struct qnet_config_port *old = qnet_config_port(p->cfg, arg);
		struct qnet_config_port *port;

		if (!ifname_section_valid(p, "port", arg, old ? old->line : 0))
			return;
		port = grow(p->cfg->ports, &p->cfg->n_ports, sizeof(*port));
		if (!port) {
			p->oom = true;
			return;
		}
		p->cfg->ports = port;
		port = &port[p->cfg->n_ports - 1];
		snprintf(port->ifname, sizeof(port->ifname), "%s", arg);
		port->line = p->section_line;
		p->section = SEC_PORT;
		p->index = p->cfg->n_ports - 1;
	} else {
		report(p, p->section_line, true, "unknown section [%s]", section);
	}
}

static void set_ifname(struct parser *p, char dst[IFNAMSIZ], const char *key, const char *value)
{
	const char *bad = qnet_ifname_invalid(value);

	if (bad)
		report(p, p->line, true, "%s: %s", key, bad);
	else
		snprintf(dst, IFNAMSIZ, "%s", value);
}

static void set_bool(struct parser *p, bool *dst, const char *key, const char *value)
{
	if (qnet_parse_bool(value, dst) < 0)
		report(p, p->line, true, "%s: '%s' is not yes or no", key, value);
}

/* rate =, rate-in =, rate-out = into R: false if KEY is none of them. */
static bool rate_key(struct parser *p, struct qnet_rate *r, const char *key, const char *value)
{
	bool in = streq(key, "rate-in"), out = streq(key, "rate-out");
	uint64_t v;

	if (!in && !out && !streq(key, "rate"))
		return false;
	if (qnet_parse_rate(value, &v) < 0) {
		report(p, p->line, true, "%s: '%s' is not a rate like 100mbit (a whole number, then bit, kbit, "
		       "mbit, gbit, tbit or bps ... tbps; at least 8bit)", key, value);
		return true;
	}
	if (in || (!out && !p->rate_in_set))
		r->in = v;
	if (out || (!in && !p->rate_out_set))
		r->out = v;
	p->rate_in_set |= in;
	p->rate_out_set |= out;
	return true;
}

static void script_key(struct parser *p, const char *key, const char *value)
{
	struct qnet_config *c = p->cfg;

	if (streq(key, "bridge"))
		set_ifname(p, c->script_bridge, key, value);
	else if (streq(key, "network")) {
		if (!qnet_config_network_name_valid(value))
			report(p, p->line, true, "network: invalid network name '%s'", value);
		else
			snprintf(c->script_network, sizeof(c->script_network), "%s", value);
	} else
		report(p, p->line, true, "unknown key '%s' in [script]", key);
}

static void firewall_key(struct parser *p, const char *key, const char *value)
{
	struct qnet_config *c = p->cfg;

	if (streq(key, "firewalld")) {
		if (streq(value, "auto") || streq(value, "no"))
			c->firewalld_no = streq(value, "no");
		else
			report(p, p->line, true, "firewalld: '%s' is neither auto nor no", value);
	} else if (!streq(key, "docker"))
		report(p, p->line, true, "unknown key '%s' in [firewall]", key);
	else if (streq(value, "auto"))
		c->firewall_docker = QNET_FIREWALL_DOCKER_AUTO;
	else if (streq(value, "no"))
		c->firewall_docker = QNET_FIREWALL_DOCKER_NO;
	else
		report(p, p->line, true, "docker: '%s' is neither auto nor no", value);
}

/* What a /64 of subnet6 = must not be, or NULL: prefixes with a meaning of their own. */
static const char *subnet6_reserved(const struct in6_addr *a)
{
	static const uint8_t zero[8];

	if (a->s6_addr[0] == 0xff)
		return "multicast";
	if (a->s6_addr[0] == 0xfe && (a->s6_addr[1] & 0xc0) == 0x80)
		return "link-local";
	/* ::/64 holds ::1 and the IPv4-mapped addresses; it also is how
	 * host = and forward = write an address inside the network's own
	 * prefix (::10), so no network may have it. */
	if (!memcmp(a->s6_addr, zero, 8))
		return "reserved (::/64)";
	return NULL;
}

/* A DUID as "xx:xx:..." (1 to QNET_DUID_MAX bytes of hex) into OUT, lower case. */
static int parse_duid(const char *s, char out[3 * QNET_DUID_MAX])
{
	size_t n = 0;

	for (;;) {
		if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]) || n == QNET_DUID_MAX)
			return -EINVAL;
		out[3 * n] = (char)tolower((unsigned char)s[0]);
		out[3 * n + 1] = (char)tolower((unsigned char)s[1]);
		out[3 * n + 2] = ':';
		n++;
		s += 2;
		if (!*s)
			break;
		if (*s++ != ':')
			return -EINVAL;
	}
	out[3 * n - 1] = '\0';
	return 0;
}

/*
 * "MAC [IPV4] [IPV6] [NAME] [duid=DUID]", the words after the MAC in any
 * order, each at most once, at least one address. An IPv6 address whose
 * first 64 bits are zero (::10) is inside the network's own /64, so it can
 * be written before the prefix is known (a derived one).
 */
static int parse_host(struct parser *p, const char *value, struct qnet_host *h)
{
	_cleanup_free_ char *copy = strdup(value);
	char *save = NULL, *w;
	bool ok = true;

	if (!copy) {
		p->oom = true;
		return -ENOMEM;
	}
	w = strtok_r(copy, " \t", &save);
	if (!w || qnet_addr_parse_mac(w, h->mac) < 0)
		ok = false;
	while (ok && (w = strtok_r(NULL, " \t", &save))) {
		struct in_addr a;

		if (!strncmp(w, "duid=", 5)) {
			if (h->duid[0] || parse_duid(w + 5, h->duid) < 0) {
				report(p, p->line, true, "host: '%s' is not duid=XX:XX:... (1-%d bytes of hex)", w,
				       QNET_DUID_MAX);
				return -EINVAL;
			}
		} else if (strchr(w, ':')) {
			if (!IN6_IS_ADDR_UNSPECIFIED(&h->ip6) || qnet_addr_parse_ipv6(w, &h->ip6) < 0 ||
			    IN6_IS_ADDR_UNSPECIFIED(&h->ip6)) {
				report(p, p->line, true, "host: '%s' is not an IPv6 address (or a second one)", w);
				return -EINVAL;
			}
		} else if (qnet_addr_parse_ipv4(w, &a) == 0) {
			ok = !h->ip.s_addr;
			h->ip = a;
		} else {
			for (const char *c = w; *c; c++)
				if (!isalnum((unsigned char)*c) && *c != '-' && *c != '.') {
					report(p, p->line, true, "host: invalid host name '%s'", w);
					return -EINVAL;
				}
			ok = !h->name[0] && strlen(w) < sizeof(h->name);
			snprintf(h->name, sizeof(h->name), "%s", w);
		}
	}
	if (!ok || (!h->ip.s_addr && IN6_IS_ADDR_UNSPECIFIED(&h->ip6))) {
		report(p, p->line, true, "host: '%s' is not 'MAC IP [IPV6] [NAME] [duid=DUID]' with a unicast MAC",
		       value);
		return -EINVAL;
	}
	return 0;
}

/* host = VALUE parsed and appended to *HOSTS; -errno, reported. */
static int add_host(struct parser *p, struct qnet_host **hosts, size_t *n_hosts, const char *value)
{
	struct qnet_host h = { .line = p->line };
	struct qnet_host *a;
	int r = parse_host(p, value, &h);

	if (r < 0)
		return r;
	a = grow(*hosts, n_hosts, sizeof(*a));
	if (!a) {
		p->oom = true;
		return -ENOMEM;
	}
	*hosts = a;
	a[*n_hosts - 1] = h;
	return 0;
}

/* peers = VALUE: addresses of one family, each once, each a unicast. */
static void parse_peers(struct parser *p, struct qnet_network *n, const char *value)
{
	_cleanup_free_ char *copy = strdup(value);
	char *save = NULL, *first = NULL;

	if (!copy) {
		p->oom = true;
		return;
	}
	free(n->peers);
	n->peers = NULL;
	n->n_peers = 0;
	n->peers_line = p->line;
	for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		struct qnet_peer peer = { .family = strchr(w, ':') ? AF_INET6 : AF_INET };
		struct qnet_peer *a;
		uint32_t ip;

		if (!first)
			first = w;
		if (peer.family == AF_INET6 ? qnet_addr_parse_ipv6(w, &peer.ip6) < 0 : qnet_addr_parse_ipv4(w, &peer.ip) < 0) {
			report(p, p->line, true, "peers: '%s' is not an IPv4 or IPv6 address", w);
			return;
		}
		ip = ntohl(peer.ip.s_addr);
		if (peer.family == AF_INET ? ip >> 24 == 0 || ip >> 24 == 127 || ip >= 0xe0000000
					   : IN6_IS_ADDR_UNSPECIFIED(&peer.ip6) || IN6_IS_ADDR_LOOPBACK(&peer.ip6) ||
					     IN6_IS_ADDR_MULTICAST(&peer.ip6) || IN6_IS_ADDR_V4MAPPED(&peer.ip6) ||
					     /* which link it is on, an address does not say */
					     IN6_IS_ADDR_LINKLOCAL(&peer.ip6)) {
			report(p, p->line, true, "peers: %s is not the unicast address of a host", w);
			return;
		}
		/* One VXLAN device sends over one family: the kernel opens
		 * one socket for it, IPv4 or IPv6. */
		if (n->n_peers && n->peers[0].family != peer.family) {
			report(p, p->line, true, "peers: %s is not of the same family as %s before it: an overlay's "
			       "underlay is IPv4 or IPv6", w, first);
			return;
		}
		for (size_t i = 0; i < n->n_peers; i++)
			if (n->peers[i].ip.s_addr == peer.ip.s_addr && IN6_ARE_ADDR_EQUAL(&n->peers[i].ip6, &peer.ip6)) {
				report(p, p->line, true, "peers: %s given twice", w);
				return;
			}
		if (n->n_peers == QNET_PEERS_MAX) {
			report(p, p->line, true, "peers: more than %d", QNET_PEERS_MAX);
			return;
		}
		a = grow(n->peers, &n->n_peers, sizeof(*a));
		if (!a) {
			p->oom = true;
			return;
		}
		n->peers = a;
		a[n->n_peers - 1] = peer;
	}
	if (!n->n_peers)
		report(p, p->line, true, "peers: no address given");
}

/* The keys of a network that spans hosts, and mtu =; false if KEY is none. */
static bool overlay_key(struct parser *p, struct qnet_network *n, const char *key, const char *value)
{
	unsigned long v;

	if (streq(key, "vxlan")) {
		n->vxlan_line = p->line;
		if (qnet_parse_uint(value, QNET_VXLAN_VNI_MAX, &v) < 0 || v == 0)
			report(p, p->line, true, "vxlan: '%s' is not a VNI 1-%u", value, QNET_VXLAN_VNI_MAX);
		else
			n->vxlan = (uint32_t)v;
	} else if (streq(key, "peers")) {
		parse_peers(p, n, value);
	} else if (streq(key, "underlay")) {
		n->underlay_line = p->line;
		set_ifname(p, n->underlay, key, value);
	} else if (streq(key, "port")) {
		n->port_line = p->line;
		if (qnet_parse_uint(value, 65535, &v) < 0 || v == 0)
			report(p, p->line, true, "port: '%s' is not a UDP port 1-65535", value);
		else
			n->vxlan_port = (uint16_t)v;
	} else if (streq(key, "mtu")) {
		/* 1280: IPv6's minimum; below 576 not even IPv4 works. */
		if (qnet_parse_uint(value, 65535, &v) < 0 || v < 576)
			report(p, p->line, true, "mtu: '%s' is not a number 576-65535", value);
		else
			n->mtu = (unsigned)v;
	} else {
		return false;
	}
	return true;
}

static void network_key(struct parser *p, struct qnet_network *n, const char *key, const char *value)
{
	unsigned before = p->errors;

	if (streq(key, "bridge")) {
		set_ifname(p, n->bridge, key, value);
	} else if (streq(key, "subnet")) {
		if (qnet_addr_parse_ipv4_cidr(value, &n->subnet, &n->prefix) < 0)
			report(p, p->line, true, "subnet: '%s' is not an IPv4 CIDR like 10.0.76.0/24", value);
		else if (n->prefix < 8 || n->prefix > 30)
			report(p, p->line, true, "subnet: prefix /%u out of range (8-30)", n->prefix);
		else if (ntohl(n->subnet.s_addr) & ~qnet_addr_ipv4_mask(n->prefix))
			report(p, p->line, true, "subnet: '%s' has host bits set", value);
	} else if (streq(key, "subnet6")) {
		unsigned len;

		n->subnet6_line = p->line;
		if (streq(value, "none")) {
			n->subnet6_from = QNET_SUBNET6_NONE;
		} else if (qnet_addr_parse_ipv6_cidr(value, &n->subnet6, &len) < 0) {
			report(p, p->line, true, "subnet6: '%s' is not an IPv6 prefix like fd00:76::/64, or none", value);
		} else if (len != 64) {
			/* SLAAC needs exactly 64 bits of interface identifier. */
			report(p, p->line, true, "subnet6: prefix /%u: it must be a /64 (SLAAC needs one)", len);
		} else if (memcmp(n->subnet6.s6_addr + 8, (const uint8_t[8]){ 0 }, 8) != 0) {
			report(p, p->line, true, "subnet6: '%s' has host bits set", value);
		} else if (subnet6_reserved(&n->subnet6)) {
			report(p, p->line, true, "subnet6: '%s' is %s, not a prefix for a network", value,
			       subnet6_reserved(&n->subnet6));
		} else {
			n->subnet6_from = QNET_SUBNET6_SET;
		}
	} else if (streq(key, "dhcp-range")) {
		char a[32], b[32], extra;

		if (sscanf(value, "%31s %31s %c", a, b, &extra) != 2 ||
		    qnet_addr_parse_ipv4(a, &n->range_start) < 0 || qnet_addr_parse_ipv4(b, &n->range_end) < 0)
			report(p, p->line, true, "dhcp-range: '%s' is not 'FIRST-IP LAST-IP'", value);
	} else if (streq(key, "dns")) {
		set_bool(p, &n->dns, key, value);
	} else if (streq(key, "filter")) {
		set_bool(p, &n->filter, key, value);
	} else if (streq(key, "isolated")) {
		set_bool(p, &n->isolated, key, value);
	} else if (streq(key, "autostart")) {
		set_bool(p, &n->autostart, key, value);
	} else if (streq(key, "nat")) {
		n->nat_line = p->line;
		set_bool(p, &n->nat, key, value);
	} else if (streq(key, "gateway")) {
		n->gateway_line = p->line;
		set_bool(p, &n->gateway_set, key, value);
	} else if (overlay_key(p, n, key, value)) {
		/* done */
	} else if (streq(key, "allow-users") || streq(key, "allow-groups")) {
		bool users = streq(key, "allow-users");

		if (strv_add_words(users ? &n->allow_users : &n->allow_groups,
				   users ? &n->allow_users_line : &n->allow_groups_line, value, p->line) < 0)
			p->oom = true;
	} else if (rate_key(p, &n->rate, key, value)) {
		/* done */
	} else if (streq(key, "lease-max")) {
		unsigned long v;

		if (qnet_parse_uint(value, 65535, &v) < 0 || v == 0)
			report(p, p->line, true, "lease-max: '%s' is not a number 1-65535", value);
		else
			n->lease_max = (unsigned)v;
	} else if (streq(key, "host")) {
		(void)add_host(p, &n->hosts, &n->n_hosts, value);
	} else if (streq(key, "forward")) {
		struct qnet_forward f;
		struct qnet_forward *fw;

		if (qnet_addr_parse_forward(value, &f) < 0) {
			report(p, p->line, true, "forward: '%s' is not 'tcp|udp HOSTPORT GUESTIP:PORT', "
			       "'tcp|udp HOSTPORT [GUESTIPV6]:PORT' or 'tcp|udp HOSTPORT HOSTNAME:PORT'", value);
			return;
		}
		f.line = p->line;
		fw = grow(n->forwards, &n->n_forwards, sizeof(*fw));
		if (!fw) {
			p->oom = true;
			return;
		}
		n->forwards = fw;
		fw[n->n_forwards - 1] = f;
	} else {
		report(p, p->line, true, "unknown key '%s' in [network %s]", key, n->name);
	}
	if (p->errors != before)
		n->invalid = true;
}

/*
 * What a [bridge] host = may not say, beyond what parse_host() refuses: a
 * plain bridge has no prefix for ::10 to be in, no DHCP server for a DUID
 * to be for, and no address a guest cannot own is a source to allow.
 */
static void check_bridge_host(struct parser *p, const struct qnet_host *h)
{
	uint32_t ip = ntohl(h->ip.s_addr);
	char a[INET6_ADDRSTRLEN];

	if (h->duid[0])
		report(p, p->line, true, "host: duid= means nothing on a plain bridge (qnet runs no DHCPv6 server there)");
	if (h->ip.s_addr && (ip >> 24 == 0 || ip >> 24 == 127 || ip >= 0xe0000000))
		report(p, p->line, true, "host: %s is not a unicast address a guest can have", inet_ntoa(h->ip));
	if (IN6_IS_ADDR_UNSPECIFIED(&h->ip6))
		return;
	if (!memcmp(h->ip6.s6_addr, (const uint8_t[8]){ 0 }, 8))
		report(p, p->line, true, "host: %s: write the IPv6 address in full (a plain bridge has no prefix "
		       "for it to be in)", ip6(&h->ip6, a));
	else if (IN6_IS_ADDR_MULTICAST(&h->ip6))
		report(p, p->line, true, "host: %s is multicast", ip6(&h->ip6, a));
}

static void bridge_key(struct parser *p, struct qnet_grant *g, const char *key, const char *value)
{
	char ***list = NULL;
	unsigned **lines = NULL;

	if (streq(key, "allow-users"))
		list = &g->allow_users, lines = &g->allow_users_line;
	else if (streq(key, "allow-groups"))
		list = &g->allow_groups, lines = &g->allow_groups_line;
	else if (streq(key, "deny-users"))
		list = &g->deny_users, lines = &g->deny_users_line;
	else if (streq(key, "deny-groups"))
		list = &g->deny_groups, lines = &g->deny_groups_line;
	else if (streq(key, "filter-users"))
		list = &g->filter_users, lines = &g->filter_users_line;
	else if (streq(key, "filter-groups"))
		list = &g->filter_groups, lines = &g->filter_groups_line;
	else if (streq(key, "isolated") || streq(key, "filter")) {
		set_bool(p, streq(key, "filter") ? &g->filter : &g->isolated, key, value);
		return;
	} else if (rate_key(p, &g->rate, key, value)) {
		return;
	} else if (streq(key, "host")) {
		if (add_host(p, &g->hosts, &g->n_hosts, value) == 0)
			check_bridge_host(p, &g->hosts[g->n_hosts - 1]);
		return;
	} else {
		report(p, p->line, true, "unknown key '%s' in [bridge %s]", key, g->bridge);
		return;
	}
	if (strv_add_words(list, lines, value, p->line) < 0)
		p->oom = true;
}

static void port_key(struct parser *p, struct qnet_config_port *port, const char *key, const char *value)
{
	char mac[QNET_ADDR_MAC_SIZE];

	if (!streq(key, "mac")) {
		report(p, p->line, true, "unknown key '%s' in [port %s]", key, port->ifname);
		return;
	}
	if (qnet_addr_parse_mac(value, port->mac) < 0) {
		port->mac_set = false;
		report(p, p->line, true, "mac: '%s' is not a unicast MAC address like 52:54:00:12:34:56", value);
		return;
	}
	port->mac_set = true;
	/* Two TAPs claiming one guest MAC: the second one's filter would let
	 * it impersonate the first. */
	for (size_t i = 0; i < p->cfg->n_ports; i++) {
		const struct qnet_config_port *o = &p->cfg->ports[i];

		if (o != port && o->mac_set && !memcmp(o->mac, port->mac, 6))
			report(p, p->line, true, "mac: %s is already the MAC of [port %s] (line %u)",
			       qnet_addr_format_mac(port->mac, mac), o->ifname, o->line);
	}
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
	struct parser *p = user;

	if (p->new_section || !streq(section, p->section_name)) {
		p->new_section = false;
		enter_section(p, section);
	}
	switch (p->section) {
	case SEC_SCRIPT:
		script_key(p, key, value);
		break;
	case SEC_FIREWALL:
		firewall_key(p, key, value);
		break;
	case SEC_NETWORK:
		network_key(p, &p->cfg->networks[p->index], key, value);
		break;
	case SEC_BRIDGE:
		bridge_key(p, &p->cfg->grants[p->index], key, value);
		break;
	case SEC_PORT:
		port_key(p, &p->cfg->ports[p->index], key, value);
		break;
	case SEC_NONE:
		report(p, p->line, true, "key '%s' outside of any section", key);
		break;
	case SEC_UNKNOWN:
		break; /* already reported at the section header */
	}
	return !p->oom;
}

/* inih's reader: one line per call, so p->line is the line being handled. */
static char *reader(char *str, int num, void *stream)
{
	struct parser *p = stream;
	const char *nl;
	size_t len, take;

	if (p->pos >= p->end)
		return NULL;
	p->line++;
	nl = memchr(p->pos, '\n', (size_t)(p->end - p->pos));
	len = nl ? (size_t)(nl - p->pos) : (size_t)(p->end - p->pos);
	take = len;
	if (memchr(p->pos, '\0', len)) {
		report(p, p->line, true, "NUL byte in line");
		take = 0;
	} else if (len + 2 > (size_t)num) {
		report(p, p->line, true, "line longer than %d bytes", num - 2);
		take = 0;
	}
	memcpy(str, p->pos, take);
	for (size_t i = 0; i < take; i++) {
		if (str[i] == ' ' || str[i] == '\t')
			continue;
		if (str[i] == '[') {
			p->section_line = p->line;
			p->new_section = true;
		}
		break;
	}
	str[take] = '\n';
	str[take + 1] = '\0';
	p->pos += len + (nl ? 1 : 0);
	return str;
}

/* ---- checks across a whole network, after parsing ---- */

static bool in_subnet(const struct qnet_network *n, struct in_addr a)
{
	return qnet_addr_ipv4_overlap(a, 32, n->subnet, n->prefix);
}

/* The host's machine-id (32 hex digits), read once per parse. */
static int machine_id(struct parser *p)
{
	char buf[64];
	int r;

	if (p->machine_id_read)
		return p->machine_id_read;
	r = qnet_file_read_small(qnet_paths_machine_id(), buf, sizeof(buf));
	p->machine_id_read = r < 0 ? r : -EBADMSG;
	if (r < 0 || strcspn(buf, "\n") != 32)
		return p->machine_id_read;
	for (int i = 0; i < 16; i++) {
		unsigned v;

		if (!isxdigit((unsigned char)buf[2 * i]) || !isxdigit((unsigned char)buf[2 * i + 1]) ||
		    sscanf(buf + 2 * i, "%2x", &v) != 1)
			return p->machine_id_read;
		p->machine_id[i] = (uint8_t)v;
	}
	/* systemd writes "uninitialized" until first boot completes; all
	 * zeros is no identity either. */
	if (!memcmp(p->machine_id, (const uint8_t[16]){ 0 }, 16))
		return p->machine_id_read;
	return p->machine_id_read = 1;
}

static bool in_subnet6(const struct qnet_network *n, const struct in6_addr *a)
{
	return qnet_addr_ipv6_overlap(a, 128, &n->subnet6, 64);
}

/* A guest's address of N: in its /64, neither the subnet-router anycast
 * address (::) nor the gateway (::1). */
static bool guest_address6(const struct qnet_network *n, const struct in6_addr *a)
{
	struct in6_addr iid = *a;

	memset(iid.s6_addr, 0, 8);
	return in_subnet6(n, a) && !IN6_IS_ADDR_UNSPECIFIED(&iid) && !IN6_IS_ADDR_LOOPBACK(&iid);
}

/* ::10 (the first 64 bits zero) is N's prefix::10. */
static void complete_address6(const struct qnet_network *n, struct in6_addr *a)
{
	if (!memcmp(a->s6_addr, (const uint8_t[8]){ 0 }, 8))
		memcpy(a->s6_addr, n->subnet6.s6_addr, 8);
}

/*
 * Does any check of this file read N's derived /64? Its hosts' and
 * forwards' IPv6 addresses are completed and checked with it, and
 * check_across() compares it with every other network's (set or derived).
 * For a network without those, reading the machine-id and an HMAC-SHA256
 * (a tenth of all qemu-ifup does) buy only its IPv6 half, which a caller
 * that only attaches ports never reads: skipped, the same file still gets
 * the same errors.
 */
static bool prefix_checked(const struct parser *p, const struct qnet_network *n)
{
	for (size_t i = 0; i < n->n_hosts; i++)
		if (!IN6_IS_ADDR_UNSPECIFIED(&n->hosts[i].ip6))
			return true;
	for (size_t i = 0; i < n->n_forwards; i++)
		if (!IN6_IS_ADDR_UNSPECIFIED(&n->forwards[i].guest6))
			return true;
	/* Compared with another network's /64 that is written out: two
	 * derived ones differ by their names (and an overlay's by its VNI). */
	for (size_t i = 0; i < p->cfg->n_networks; i++)
		if (&p->cfg->networks[i] != n && p->cfg->networks[i].subnet6_from == QNET_SUBNET6_SET)
			return true;
	return false;
}

/* N's IPv6 half from its /64 (gateway ::1, DHCPv6 ::1000 to ::ffff). */
static void set_ipv6(struct qnet_network *n)
{
	n->ipv6 = n->subnet6_from == QNET_SUBNET6_DERIVED || n->subnet6_from == QNET_SUBNET6_SET;
	if (n->ipv6) {
		n->gateway6 = n->range6_start = n->range6_end = n->subnet6;
		n->gateway6.s6_addr[15] = 1;
		n->range6_start.s6_addr[14] = 0x10;
		n->range6_end.s6_addr[14] = n->range6_end.s6_addr[15] = 0xff;
	}
}

const struct qnet_network *qnet_config_network_derive(struct qnet_config *c, const char *name)
{
	struct parser p = { .cfg = c };

	for (size_t i = 0; i < c->n_networks; i++) {
		struct qnet_network *n = &c->networks[i];

		if (!streq(n->name, name))
			continue;
		if (n->subnet6_from == QNET_SUBNET6_UNDERIVED) {
			/* Nothing of it needed the /64 (prefix_checked()), so
			 * the address and range are all there is to add. */
			if (machine_id(&p) > 0) {
				qnet_addr_ipv6_ula(p.machine_id, n->name, &n->subnet6);
				n->subnet6_from = QNET_SUBNET6_DERIVED;
			} else {
				n->subnet6_from = QNET_SUBNET6_NO_MACHINE_ID;
			}
			set_ipv6(n);
		}
		return n;
	}
	return NULL;
}

/*
 * The IPv6 half of network N: its /64 (derived unless subnet6 = set it or
 * turned it off), gateway and DHCPv6 range; static hosts' IPv6 addresses;
 * forwards by host name resolved to that host's addresses of both families.
 */
static void finish_ipv6(struct parser *p, struct qnet_network *n)
{
	char a[INET6_ADDRSTRLEN];

	if (n->subnet6_from == QNET_SUBNET6_DERIVED && n->vxlan) {
		/* Every host of an overlay must agree on its /64, so it
		 * comes from what they share, the VNI, not a machine-id. */
		uint8_t id[16] = { 'q', 'n', 'e', 't', '-', 'v', 'x', 'l', 'a', 'n', 0, 0, 0,
				   (uint8_t)(n->vxlan >> 16), (uint8_t)(n->vxlan >> 8), (uint8_t)n->vxlan };

		qnet_addr_ipv6_ula(id, n->name, &n->subnet6);
	} else if (n->subnet6_from == QNET_SUBNET6_DERIVED) {
		if ((p->flags & QNET_CONFIG_PORTS_ONLY) && !prefix_checked(p, n))
			n->subnet6_from = QNET_SUBNET6_UNDERIVED;
		else if (machine_id(p) > 0)
			qnet_addr_ipv6_ula(p->machine_id, n->name, &n->subnet6);
		else
			n->subnet6_from = QNET_SUBNET6_NO_MACHINE_ID;
	}
	set_ipv6(n);
	for (size_t i = 0; i < n->n_hosts; i++) {
		struct qnet_host *h = &n->hosts[i];

		if (IN6_IS_ADDR_UNSPECIFIED(&h->ip6)) {
			if (h->duid[0])
				report(p, h->line, true, "[network %s]: host with a duid= but no IPv6 address", n->name);
			continue;
		}
		if (!n->ipv6) {
			report(p, h->line, true, "[network %s]: host %s has an IPv6 address, but the network has no IPv6%s",
			       n->name, ip6(&h->ip6, a),
			       n->subnet6_from == QNET_SUBNET6_NONE ? " (subnet6 = none)" : " (no machine-id: set subnet6 =)");
			continue;
		}
		complete_address6(n, &h->ip6);
		if (!guest_address6(n, &h->ip6))
			report(p, h->line, true, "[network %s]: host %s is not a guest address of subnet6 %s/64",
			       n->name, ip6(&h->ip6, a), ip6(&n->subnet6, (char[INET6_ADDRSTRLEN]){ 0 }));
	}
	for (size_t i = 0; i < n->n_forwards; i++) {
		struct qnet_forward *f = &n->forwards[i];
		const struct qnet_host *h = NULL;

		if (f->host[0]) {
			for (size_t j = 0; j < n->n_hosts && !h; j++)
				if (streq(n->hosts[j].name, f->host))
					h = &n->hosts[j];
			if (!h) {
				report(p, f->line, true, "[network %s]: forward to %s, which is no host = name of the network",
				       n->name, f->host);
				continue;
			}
			f->guest = h->ip;
			if (n->ipv6)
				f->guest6 = h->ip6;
			continue;
		}
		if (IN6_IS_ADDR_UNSPECIFIED(&f->guest6))
			continue;
		if (!n->ipv6) {
			report(p, f->line, true, "[network %s]: forward to an IPv6 address, but the network has no IPv6",
			       n->name);
			continue;
		}
		complete_address6(n, &f->guest6);
		if (!guest_address6(n, &f->guest6))
			report(p, f->line, true, "[network %s]: forward to %s, which is not a guest address of subnet6",
			       n->name, ip6(&f->guest6, a));
	}
}

/* No MAC, IPv4 or IPv6 address in two host = lines of [KIND NAME]: one
 * guest per MAC, one guest per address, in a network and on a bridge. */
static void check_hosts_unique(struct parser *p, const char *kind, const char *name,
			       const struct qnet_host *hosts, size_t n)
{
	char a[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < n; i++) {
		const struct qnet_host *h = &hosts[i];

		for (size_t j = 0; j < i; j++) {
			const struct qnet_host *o = &hosts[j];

			if (!memcmp(o->mac, h->mac, 6))
				report(p, h->line, true, "[%s %s]: MAC %s given twice (first at line %u)", kind, name,
				       qnet_addr_format_mac(h->mac, a), o->line);
			if (h->ip.s_addr && o->ip.s_addr == h->ip.s_addr)
				report(p, h->line, true, "[%s %s]: static IP %s given twice (first at line %u)", kind,
				       name, inet_ntoa(h->ip), o->line);
			if (!IN6_IS_ADDR_UNSPECIFIED(&h->ip6) && IN6_ARE_ADDR_EQUAL(&o->ip6, &h->ip6))
				report(p, h->line, true, "[%s %s]: static IPv6 %s given twice (first at line %u)", kind,
				       name, ip6(&h->ip6, a), o->line);
		}
	}
}

/* What the overlay keys say together: who is the gateway, and keys that
 * mean nothing without vxlan =. */
static void finish_overlay(struct parser *p, struct qnet_network *n)
{
	if (!n->vxlan) {
		if (n->peers_line)
			report(p, n->peers_line, true, "[network %s]: peers = without vxlan =", n->name);
		if (n->underlay_line)
			report(p, n->underlay_line, true, "[network %s]: underlay = without vxlan =", n->name);
		if (n->port_line)
			report(p, n->port_line, true, "[network %s]: port = without vxlan =", n->name);
		if (n->gateway_line)
			report(p, n->gateway_line, true, "[network %s]: gateway = without vxlan = (a network on one "
			       "host is its own gateway unless nat = no)", n->name);
		n->gateway_here = n->nat;
		return;
	}
	if (!n->n_peers && !n->peers_line)
		report(p, n->vxlan_line, true, "[network %s]: vxlan = needs peers = (the other hosts' addresses)",
		       n->name);
	if (n->gateway_set && !n->nat)
		report(p, n->gateway_line, true, "[network %s]: gateway = yes with nat = no: a network without "
		       "NAT has no gateway on any host", n->name);
	n->gateway_here = n->gateway_set && n->nat;
}

static void finish_network(struct parser *p, struct qnet_network *n)
{
	uint32_t net, bcast, s, e;

	if (n->invalid)
		return;
	if (!n->bridge[0]) {
		if (streq(n->name, QNET_DEFAULT_NETWORK))
			snprintf(n->bridge, sizeof(n->bridge), "%s", QNET_DEFAULT_NAT_BRIDGE);
		else if (strlen(n->name) + 5 < IFNAMSIZ)
			snprintf(n->bridge, sizeof(n->bridge), "qnet-%s", n->name);
		else
			report(p, n->line, true, "[network %s]: name too long for a default bridge name, set bridge=",
			       n->name);
	}
	if (!n->prefix) {
		if (streq(n->name, QNET_DEFAULT_NETWORK))
			(void)qnet_addr_parse_ipv4_cidr(QNET_DEFAULT_SUBNET, &n->subnet, &n->prefix);
		else {
			report(p, n->line, true, "[network %s]: subnet= is required", n->name);
			return;
		}
	}
	net = ntohl(n->subnet.s_addr);
	bcast = net | ~qnet_addr_ipv4_mask(n->prefix);
	n->gateway.s_addr = htonl(net + 1);
	if (!n->range_start.s_addr) {
		n->range_start.s_addr = htonl(net + 2);
		n->range_end.s_addr = htonl(bcast - 1);
	}
	s = ntohl(n->range_start.s_addr);
	e = ntohl(n->range_end.s_addr);
	if (!in_subnet(n, n->range_start) || !in_subnet(n, n->range_end) || s > e ||
	    s <= net + 1 || e >= bcast)
		report(p, n->line, true, "[network %s]: dhcp-range is not inside the subnet (after the gateway)",
		       n->name);
	if (!n->lease_max)
		n->lease_max = e >= s ? e - s + 1 : 1;
	for (size_t i = 0; i < n->n_hosts; i++) {
		const struct qnet_host *h = &n->hosts[i];
		uint32_t ip = ntohl(h->ip.s_addr);

		if (h->ip.s_addr && (!in_subnet(n, h->ip) || ip <= net + 1 || ip >= bcast))
			report(p, n->line, true, "[network %s]: host %s is not a guest address of the subnet",
			       n->name, inet_ntoa(h->ip));
	}
	finish_overlay(p, n);
	finish_ipv6(p, n);
	/* Whatever the machine-id (a lazy load never reads it): a network
	 * that is to have IPv6 needs 1280, even where it goes without. */
	if (n->mtu && n->subnet6_from != QNET_SUBNET6_NONE && n->mtu < 1280)
		report(p, n->line, true, "[network %s]: mtu %u is below IPv6's 1280 (or set subnet6 = none)",
		       n->name, n->mtu);
	/* After finish_ipv6(): ::5 and PREFIX::5 are the same address. */
	check_hosts_unique(p, "network", n->name, n->hosts, n->n_hosts);
	for (size_t i = 0; i < n->n_forwards; i++) {
		const struct qnet_forward *f = &n->forwards[i];

		if (f->guest.s_addr && (!in_subnet(n, f->guest) || ntohl(f->guest.s_addr) <= net + 1 ||
					ntohl(f->guest.s_addr) >= bcast))
			report(p, n->line, true, "[network %s]: forward to %s, which is not a guest address of the subnet",
			       n->name, inet_ntoa(f->guest));
	}
}

/* A host port is taken per family: "tcp 2222 10.0.76.10:22" and
 * "tcp 2222 [::10]:22" together forward it over both. */
static bool forwards_share_family(const struct qnet_forward *a, const struct qnet_forward *b)
{
	return (a->guest.s_addr && b->guest.s_addr) ||
	       (!IN6_IS_ADDR_UNSPECIFIED(&a->guest6) && !IN6_IS_ADDR_UNSPECIFIED(&b->guest6));
}

static void check_across(struct parser *p)
{
	struct qnet_config *c = p->cfg;

	for (size_t i = 0; i < c->n_grants; i++) {
		const struct qnet_grant *g = &c->grants[i];
		const struct qnet_network *n = qnet_config_network_of_bridge(c, g->bridge);

		check_hosts_unique(p, "bridge", g->bridge, g->hosts, g->n_hosts);
		/* Its guests take addresses from the network: a second list
		 * of them here would be one nobody reads. */
		if (n && g->n_hosts)
			report(p, g->hosts[0].line, true, "[bridge %s]: host = on the bridge of network %s: "
			       "give it in [network %s]", g->bridge, n->name, n->name);
	}

	for (size_t i = 0; i < c->n_networks; i++) {
		const struct qnet_network *a = &c->networks[i];

		for (size_t j = 0; j < i; j++) {
			const struct qnet_network *b = &c->networks[j];

			if (streq(a->bridge, b->bridge))
				report(p, a->line ? a->line : b->line, true, "[network %s]: bridge %s is already used by network %s",
				       a->name, a->bridge, b->name);
			if (a->prefix && b->prefix && qnet_addr_ipv4_overlap(a->subnet, a->prefix, b->subnet, b->prefix))
				report(p, a->line ? a->line : b->line, true, "[network %s]: subnet overlaps network %s",
				       a->name, b->name);
			if (a->vxlan && a->vxlan == b->vxlan && a->vxlan_port == b->vxlan_port)
				report(p, a->vxlan_line, true, "[network %s]: VNI %u on port %u is already network %s's",
				       a->name, a->vxlan, a->vxlan_port, b->name);
			if (a->ipv6 && b->ipv6 && qnet_addr_ipv6_overlap(&a->subnet6, 64, &b->subnet6, 64))
				report(p, a->subnet6_line ? a->subnet6_line : a->line ? a->line : b->subnet6_line,
				       true, "[network %s]: subnet6 is the same as network %s's", a->name, b->name);
		}
		for (size_t k = 0; k < a->n_forwards; k++)
			for (size_t j = 0; j <= i; j++) {
				const struct qnet_network *b = &c->networks[j];
				size_t upto = j == i ? k : b->n_forwards;

				for (size_t l = 0; l < upto; l++)
					if (b->forwards[l].proto == a->forwards[k].proto &&
					    b->forwards[l].host_port == a->forwards[k].host_port &&
					    forwards_share_family(&b->forwards[l], &a->forwards[k]))
						report(p, a->line, true,
						       "[network %s]: host port %s/%u is already forwarded by network %s",
						       a->name, a->forwards[k].proto == IPPROTO_TCP ? "tcp" : "udp",
						       a->forwards[k].host_port, b->name);
			}
	}
}

static int parse(struct parser *p)
{
	int r;

	p->cfg->path = strdup(p->file);
	if (!p->cfg->path)
		return -ENOMEM;
	/* An empty text (no qnet.conf, the most common case) has nothing for
	 * inih to find: not calling it spares the dynamic loader binding it. */
	r = p->pos < p->end ? qnet_ini_parse_stream(reader, p, handler, p) : 0;
	if (r == QNET_INI_UNAVAILABLE) {
		report(p, 0, true, "cannot parse it: %s", qnet_ini_error());
		return -ELIBACC;
	}
	if (p->oom)
		return -ENOMEM;
	if (r > 0)
		report(p, (unsigned)r, true, "syntax error (expected [section], key = value or a comment)");
	else if (r < 0)
		return -ENOMEM;
	/* The default network exists even when qnet.conf does not mention it. */
	if (!qnet_config_network(p->cfg, QNET_DEFAULT_NETWORK)) {
		p->section_line = 0;
		if (!network_new(p, QNET_DEFAULT_NETWORK))
			return -ENOMEM;
	}
	for (size_t i = 0; i < p->cfg->n_networks; i++)
		finish_network(p, &p->cfg->networks[i]);
	for (size_t i = 0; i < p->cfg->n_networks && !p->oom; i++)
		network_grant(p, &p->cfg->networks[i]);
	if (p->oom)
		return -ENOMEM;
	check_across(p);
	if (!p->cfg->script_network[0])
		snprintf(p->cfg->script_network, sizeof(p->cfg->script_network), "%s", QNET_DEFAULT_NETWORK);
	p->cfg->n_errors = p->errors;
	return p->errors ? -EINVAL : 0;
}

int qnet_config_parse_buffer_flags(const char *name, const char *buf, size_t len, unsigned flags,
				   struct qnet_config **ret, qnet_diag_fn diag, void *userdata)
{
	_cleanup_config_ struct qnet_config *c = calloc(1, sizeof(*c));
	struct parser p = {
		.cfg = c, .file = name, .diag = diag, .userdata = userdata,
		.buf = buf, .pos = buf, .end = buf + len, .flags = flags,
	};
	int r;

	if (!c)
		return -ENOMEM;
	/* One byte more, so that even an empty text is a pointer. */
	c->text = malloc(len + 1);
	if (!c->text)
		return -ENOMEM;
	memcpy(c->text, buf, len);
	c->text[len] = '\0';
	c->text_len = len;
	r = parse(&p);
	if (r < 0 && r != -EINVAL)
		return r;
	*ret = TAKE_PTR(c);
	return r;
}

int qnet_config_parse_buffer(const char *name, const char *buf, size_t len,
			     struct qnet_config **ret, qnet_diag_fn diag, void *userdata)
{
	return qnet_config_parse_buffer_flags(name, buf, len, 0, ret, diag, userdata);
}

int qnet_config_load(const char *path, struct qnet_config **ret, qnet_diag_fn diag, void *userdata)
{
	return qnet_config_load_flags(path, 0, ret, diag, userdata);
}

int qnet_config_load_flags(const char *path, unsigned flags, struct qnet_config **ret, qnet_diag_fn diag,
			   void *userdata)
{
	char def[PATH_MAX];
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *buf = NULL;
	size_t size = 0, len;
	struct qnet_file_refusal why;
	int r;

	if (!path) {
		r = qnet_paths_join(def, sizeof(def), qnet_paths_confdir(), "qnet.conf");
		if (r < 0)
			return r;
		path = def;
	}
	r = qnet_file_open_trusted(path, &f, &why);
	if (r == -ENOENT)
		return qnet_config_parse_buffer_flags(path, "", 0, flags, ret, diag, userdata);
	if (r < 0) {
		if (diag)
			diag(userdata, why.where, 0, true, qnet_file_refusal_reason(&why, r));
		return r;
	}
	/* Whole file in memory: qnet.conf is small, and the reader needs lengths. */
	{
		FILE *m = open_memstream(&buf, &size);
		char chunk[4096];

		if (!m)
			return -ENOMEM;
		while ((len = fread(chunk, 1, sizeof(chunk), f)) > 0)
			if (fwrite(chunk, 1, len, m) != len)
				break;
		r = ferror(f) ? -EIO : 0;
		if (fclose(m) != 0 && r == 0)
			r = -ENOMEM;
		if (r < 0)
			return r;
	}
	return qnet_config_parse_buffer_flags(path, buf, size, flags, ret, diag, userdata);
}

void qnet_config_free(struct qnet_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_networks; i++) {
		free(c->networks[i].hosts);
		free(c->networks[i].forwards);
		free(c->networks[i].peers);
		strv_free(c->networks[i].allow_users);
		strv_free(c->networks[i].allow_groups);
		free(c->networks[i].allow_users_line);
		free(c->networks[i].allow_groups_line);
	}
	free(c->networks);
	for (size_t i = 0; i < c->n_grants; i++) {
		strv_free(c->grants[i].allow_users);
		strv_free(c->grants[i].allow_groups);
		strv_free(c->grants[i].deny_users);
		strv_free(c->grants[i].deny_groups);
		free(c->grants[i].allow_users_line);
		free(c->grants[i].allow_groups_line);
		free(c->grants[i].deny_users_line);
		free(c->grants[i].deny_groups_line);
		strv_free(c->grants[i].filter_users);
		strv_free(c->grants[i].filter_groups);
		free(c->grants[i].filter_users_line);
		free(c->grants[i].filter_groups_line);
		free(c->grants[i].hosts);
	}
	free(c->grants);
	free(c->ports);
	free(c->path);
	free(c->text);
	free(c);
}

void qnet_config_freep(struct qnet_config **c)
{
	qnet_config_free(*c);
}

const struct qnet_network *qnet_config_network(const struct qnet_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_networks; i++)
		if (streq(c->networks[i].name, name))
			return &c->networks[i];
	return NULL;
}

const struct qnet_grant *qnet_config_grant(const struct qnet_config *c, const char *bridge)
{
	for (size_t i = 0; i < c->n_grants; i++)
		if (streq(c->grants[i].bridge, bridge))
			return &c->grants[i];
	return NULL;
}

const struct qnet_config_port *qnet_config_port(const struct qnet_config *c, const char *ifname)
{
	for (size_t i = 0; ifname && i < c->n_ports; i++)
		if (streq(c->ports[i].ifname, ifname))
			return &c->ports[i];
	return NULL;
}

const struct qnet_network *qnet_config_network_of_bridge(const struct qnet_config *c, const char *bridge)
{
	for (size_t i = 0; i < c->n_networks; i++)
		if (streq(c->networks[i].bridge, bridge))
			return &c->networks[i];
	return NULL;
}

void qnet_config_port_props(const struct qnet_config *c, const char *bridge, const char *tap,
			    struct qnet_config_props *ret)
{
	const struct qnet_network *n = qnet_config_network_of_bridge(c, bridge);
	const struct qnet_grant *g = qnet_config_grant(c, bridge);
	const struct qnet_config_port *port = qnet_config_port(c, tap);

	*ret = (struct qnet_config_props){ 0 };
	if (n) {
		ret->filter = n->filter;
		ret->isolated = n->isolated;
		ret->rate_in = n->rate.in;
		ret->rate_out = n->rate.out;
	}
	/* A grant can only add protection to what the network says, never
	 * take the network's away: its filter = no is not the network's. */
	if (g) {
		ret->filter |= g->filter;
		ret->isolated |= g->isolated;
		if (g->rate.in)
			ret->rate_in = g->rate.in;
		if (g->rate.out)
			ret->rate_out = g->rate.out;
	}
	if (port && port->mac_set) {
		ret->mac_set = true;
		memcpy(ret->mac, port->mac, 6);
	}
}

const struct qnet_host *qnet_config_bridge_hosts(const struct qnet_config *c, const char *bridge, size_t *n)
{
	const struct qnet_network *net = qnet_config_network_of_bridge(c, bridge);
	const struct qnet_grant *g = net ? NULL : qnet_config_grant(c, bridge);

	*n = net ? net->n_hosts : g ? g->n_hosts : 0;
	return net ? net->hosts : g ? g->hosts : NULL;
}

static bool hosts_equal(const struct qnet_host *a, const struct qnet_host *b)
{
	return !memcmp(a->mac, b->mac, sizeof(a->mac)) && a->ip.s_addr == b->ip.s_addr &&
	       IN6_ARE_ADDR_EQUAL(&a->ip6, &b->ip6) && streq(a->duid, b->duid) && streq(a->name, b->name);
}

static bool forwards_equal(const struct qnet_forward *a, const struct qnet_forward *b)
{
	return a->proto == b->proto && a->host_port == b->host_port && a->guest.s_addr == b->guest.s_addr &&
	       a->guest_port == b->guest_port && IN6_ARE_ADDR_EQUAL(&a->guest6, &b->guest6) &&
	       streq(a->host, b->host);
}

bool qnet_config_peer_equal(const struct qnet_peer *a, const struct qnet_peer *b)
{
	return a->family == b->family && a->ip.s_addr == b->ip.s_addr && IN6_ARE_ADDR_EQUAL(&a->ip6, &b->ip6);
}

unsigned qnet_config_network_diff(const struct qnet_network *a, const struct qnet_network *b)
{
	unsigned d = 0;

	if (!streq(a->bridge, b->bridge))
		d |= QNET_CONFIG_DIFF_BRIDGE;
	if (a->subnet.s_addr != b->subnet.s_addr || a->prefix != b->prefix)
		d |= QNET_CONFIG_DIFF_SUBNET;
	if (a->ipv6 != b->ipv6 || (a->ipv6 && !IN6_ARE_ADDR_EQUAL(&a->subnet6, &b->subnet6)))
		d |= QNET_CONFIG_DIFF_SUBNET6;
	if (a->range_start.s_addr != b->range_start.s_addr || a->range_end.s_addr != b->range_end.s_addr ||
	    a->lease_max != b->lease_max || a->dns != b->dns)
		d |= QNET_CONFIG_DIFF_DHCP;
	if (a->n_hosts != b->n_hosts)
		d |= QNET_CONFIG_DIFF_HOSTS;
	for (size_t i = 0; !(d & QNET_CONFIG_DIFF_HOSTS) && i < a->n_hosts; i++)
		if (!hosts_equal(&a->hosts[i], &b->hosts[i]))
			d |= QNET_CONFIG_DIFF_HOSTS;
	if (a->n_forwards != b->n_forwards)
		d |= QNET_CONFIG_DIFF_FORWARDS;
	for (size_t i = 0; !(d & QNET_CONFIG_DIFF_FORWARDS) && i < a->n_forwards; i++)
		if (!forwards_equal(&a->forwards[i], &b->forwards[i]))
			d |= QNET_CONFIG_DIFF_FORWARDS;
	if (a->filter != b->filter || a->isolated != b->isolated || a->rate.in != b->rate.in ||
	    a->rate.out != b->rate.out)
		d |= QNET_CONFIG_DIFF_PORTS;
	if (a->vxlan != b->vxlan || a->vxlan_port != b->vxlan_port || !streq(a->underlay, b->underlay) ||
	    a->mtu != b->mtu || a->gateway_here != b->gateway_here || a->nat != b->nat)
		d |= QNET_CONFIG_DIFF_OVERLAY;
	/* One device sends over one family: another needs another device. */
	if (a->n_peers && b->n_peers && a->peers[0].family != b->peers[0].family)
		d |= QNET_CONFIG_DIFF_OVERLAY;
	if (a->n_peers != b->n_peers)
		d |= QNET_CONFIG_DIFF_PEERS;
	for (size_t i = 0; !(d & QNET_CONFIG_DIFF_PEERS) && i < a->n_peers; i++)
		if (!qnet_config_peer_equal(&a->peers[i], &b->peers[i]))
			d |= QNET_CONFIG_DIFF_PEERS;
	return d;
}

const char *qnet_config_diff_names(unsigned diff, char *buf, size_t size)
{
	static const char *const names[] = {
		"bridge", "subnet", "subnet6", "dhcp-range/lease-max/dns", "host", "forward",
		"filter/isolated/rate", "vxlan/port/underlay/mtu/gateway/nat", "peers",
	};
	size_t len = 0;

	if (size)
		buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (diff & (1u << i) && len < size)
			len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? ", " : "", names[i]);
	return buf;
}
