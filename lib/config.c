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
#include <ini.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "file.h"
#include "ifname.h"
#include "log.h"
#include "macro.h"
#include "parse.h"
#include "paths.h"

enum section { SEC_NONE, SEC_SCRIPT, SEC_NETWORK, SEC_BRIDGE, SEC_UNKNOWN };

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
	size_t index; /* current network or grant */
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
	a->line = p->section_line;
	return a;
}

static void enter_section(struct parser *p, const char *section)
{
	const char *arg;

	snprintf(p->section_name, sizeof(p->section_name), "%s", section);
	p->section = SEC_UNKNOWN;
	if (streq(section, "script")) {
		p->section = SEC_SCRIPT;
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
		struct qnet_grant *g;
		const char *bad = qnet_ifname_invalid(arg);

		if (bad) {
			report(p, p->section_line, true, "[bridge %s]: %s", arg, bad);
			return;
		}
		for (size_t i = 0; i < p->cfg->n_grants; i++)
			if (streq(p->cfg->grants[i].bridge, arg)) {
				report(p, p->section_line, true, "bridge '%s' defined twice (first at line %u)",
				       arg, p->cfg->grants[i].line);
				return;
			}
		g = grow(p->cfg->grants, &p->cfg->n_grants, sizeof(*g));
		if (!g) {
			p->oom = true;
			return;
		}
		p->cfg->grants = g;
		g = &g[p->cfg->n_grants - 1];
		snprintf(g->bridge, sizeof(g->bridge), "%s", arg);
		g->line = p->section_line;
		p->section = SEC_BRIDGE;
		p->index = p->cfg->n_grants - 1;
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
	} else if (streq(key, "dhcp-range")) {
		char a[32], b[32], extra;

		if (sscanf(value, "%31s %31s %c", a, b, &extra) != 2 ||
		    qnet_addr_parse_ipv4(a, &n->range_start) < 0 || qnet_addr_parse_ipv4(b, &n->range_end) < 0)
			report(p, p->line, true, "dhcp-range: '%s' is not 'FIRST-IP LAST-IP'", value);
	} else if (streq(key, "dns")) {
		if (qnet_parse_bool(value, &n->dns) < 0)
			report(p, p->line, true, "dns: '%s' is not yes or no", value);
	} else if (streq(key, "lease-max")) {
		unsigned long v;

		if (qnet_parse_uint(value, 65535, &v) < 0 || v == 0)
			report(p, p->line, true, "lease-max: '%s' is not a number 1-65535", value);
		else
			n->lease_max = (unsigned)v;
	} else if (streq(key, "host")) {
		char mac[32], ip[32], name[64] = "", extra;
		struct qnet_host h = { 0 };
		struct qnet_host *hosts;
		int k = sscanf(value, "%31s %31s %63s %c", mac, ip, name, &extra);

		if (k < 2 || k > 3 || qnet_addr_parse_mac(mac, h.mac) < 0 || qnet_addr_parse_ipv4(ip, &h.ip) < 0) {
			report(p, p->line, true, "host: '%s' is not 'MAC IP [NAME]' with a unicast MAC", value);
			return;
		}
		for (const char *s = name; *s; s++)
			if (!isalnum((unsigned char)*s) && *s != '-' && *s != '.') {
				report(p, p->line, true, "host: invalid host name '%s'", name);
				return;
			}
		snprintf(h.name, sizeof(h.name), "%s", name);
		hosts = grow(n->hosts, &n->n_hosts, sizeof(*hosts));
		if (!hosts) {
			p->oom = true;
			return;
		}
		n->hosts = hosts;
		hosts[n->n_hosts - 1] = h;
	} else if (streq(key, "forward")) {
		struct qnet_forward f;
		struct qnet_forward *fw;

		if (qnet_addr_parse_forward(value, &f) < 0) {
			report(p, p->line, true, "forward: '%s' is not 'tcp|udp HOSTPORT GUESTIP:PORT'", value);
			return;
		}
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
	else if (streq(key, "isolated")) {
		if (qnet_parse_bool(value, &g->isolated) < 0)
			report(p, p->line, true, "isolated: '%s' is not yes or no", value);
		return;
	} else {
		report(p, p->line, true, "unknown key '%s' in [bridge %s]", key, g->bridge);
		return;
	}
	if (strv_add_words(list, lines, value, p->line) < 0)
		p->oom = true;
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
	case SEC_NETWORK:
		network_key(p, &p->cfg->networks[p->index], key, value);
		break;
	case SEC_BRIDGE:
		bridge_key(p, &p->cfg->grants[p->index], key, value);
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

		if (!in_subnet(n, h->ip) || ip <= net + 1 || ip >= bcast)
			report(p, n->line, true, "[network %s]: host %s is not a guest address of the subnet",
			       n->name, inet_ntoa(h->ip));
		for (size_t j = 0; j < i; j++) {
			if (n->hosts[j].ip.s_addr == h->ip.s_addr)
				report(p, n->line, true, "[network %s]: static IP %s given twice",
				       n->name, inet_ntoa(h->ip));
			if (memcmp(n->hosts[j].mac, h->mac, 6) == 0)
				report(p, n->line, true, "[network %s]: a MAC address is given twice", n->name);
		}
	}
	for (size_t i = 0; i < n->n_forwards; i++) {
		const struct qnet_forward *f = &n->forwards[i];

		if (!in_subnet(n, f->guest) || ntohl(f->guest.s_addr) <= net + 1 ||
		    ntohl(f->guest.s_addr) >= bcast)
			report(p, n->line, true, "[network %s]: forward to %s, which is not a guest address of the subnet",
			       n->name, inet_ntoa(f->guest));
	}
}

static void check_across(struct parser *p)
{
	struct qnet_config *c = p->cfg;

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
		}
		for (size_t k = 0; k < a->n_forwards; k++)
			for (size_t j = 0; j <= i; j++) {
				const struct qnet_network *b = &c->networks[j];
				size_t upto = j == i ? k : b->n_forwards;

				for (size_t l = 0; l < upto; l++)
					if (b->forwards[l].proto == a->forwards[k].proto &&
					    b->forwards[l].host_port == a->forwards[k].host_port)
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
	r = ini_parse_stream(reader, p, handler, p);
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
	check_across(p);
	if (!p->cfg->script_network[0])
		snprintf(p->cfg->script_network, sizeof(p->cfg->script_network), "%s", QNET_DEFAULT_NETWORK);
	p->cfg->n_errors = p->errors;
	return p->errors ? -EINVAL : 0;
}

int qnet_config_parse_buffer(const char *name, const char *buf, size_t len,
			     struct qnet_config **ret, qnet_diag_fn diag, void *userdata)
{
	_cleanup_config_ struct qnet_config *c = calloc(1, sizeof(*c));
	struct parser p = {
		.cfg = c, .file = name, .diag = diag, .userdata = userdata,
		.buf = buf, .pos = buf, .end = buf + len,
	};
	int r;

	if (!c)
		return -ENOMEM;
	r = parse(&p);
	if (r < 0 && r != -EINVAL)
		return r;
	*ret = TAKE_PTR(c);
	return r;
}

int qnet_config_load(const char *path, struct qnet_config **ret, qnet_diag_fn diag, void *userdata)
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
		return qnet_config_parse_buffer(path, "", 0, ret, diag, userdata);
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
	return qnet_config_parse_buffer(path, buf, size, ret, diag, userdata);
}

void qnet_config_free(struct qnet_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_networks; i++) {
		free(c->networks[i].hosts);
		free(c->networks[i].forwards);
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
	}
	free(c->grants);
	free(c->path);
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
