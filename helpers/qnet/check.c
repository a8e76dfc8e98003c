// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `qnet check`: read the configuration the way the programs read it and say
 * everything that is wrong with it, each finding with file:line; and explain
 * a bridge helper decision with the helper's own decision function
 * (qnet_acl_decide_link, lib/acl.h), so the explanation cannot drift from
 * what the helper does.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acl.h"
#include "caps.h"
#include "config.h"
#include "ifname.h"
#include "link.h"
#include "log.h"
#include "macro.h"
#include "paths.h"
#include "qnet.h"

struct check_counts {
	unsigned errors, warnings;
};

struct sink {
	FILE *out;
	struct check_counts *counts;
};

static void print_diag(void *userdata, const char *file, unsigned line, bool is_error, const char *msg)
{
	/* Room for a file's path and a message that may name another one
	 * (an include): nothing is cut. */
	char text[2 * PATH_MAX + 128];
	struct sink *s = userdata;

	if (is_error)
		s->counts->errors++;
	else
		s->counts->warnings++;
	qnet_log_format_location(text, sizeof(text), file, line, "%s: %s", is_error ? "error" : "warning", msg);
	fprintf(s->out, "%s\n", text);
}

/* IPv6 findings that are allowed but deserve a word: a prefix that is not
 * a ULA, and a derived one that cannot be derived. */
static void check_network_ipv6(const struct qnet_config *cfg, const struct qnet_network *n, struct sink *ud)
{
	char msg[512], a[INET6_ADDRSTRLEN];

	if (n->subnet6_from == QNET_SUBNET6_NO_MACHINE_ID) {
		snprintf(msg, sizeof(msg), "[network %s]: %s cannot be read, so no IPv6 prefix can be derived: "
			 "the network is IPv4 only; set subnet6 = a /64, or subnet6 = none", n->name,
			 qnet_paths_machine_id());
		print_diag(ud, cfg->path, n->line, false, msg);
	}
	if (n->subnet6_from != QNET_SUBNET6_SET || qnet_addr_ipv6_is_ula(&n->subnet6))
		return;
	/* Guests leave by NAT66 all the same; what breaks is reaching the
	 * prefix's real holders, and being reached, unless it is routed here. */
	snprintf(msg, sizeof(msg), "[network %s]: subnet6 %s/64 is not a unique local address (fd00::/8): "
		 "unless your router routes it to this host there is no route back to it, and guests cannot "
		 "reach whoever holds it elsewhere; a ULA is safe", n->name,
		 inet_ntop(AF_INET6, &n->subnet6, a, sizeof(a)));
	print_diag(ud, cfg->path, n->subnet6_line, false, msg);
}

static void check_networks(const struct qnet_config *cfg, struct sink *ud)
{
	char msg[QNET_REASON_MAX];

	for (size_t i = 0; i < cfg->n_networks; i++) {
		const struct qnet_network *n = &cfg->networks[i];

		check_network_ipv6(cfg, n, ud);

		const char *cidr, *owner = n->prefix ? qnet_addr_ipv4_clash(n->subnet, n->prefix, &cidr) : NULL;

		if (!owner)
			continue;
		snprintf(msg, sizeof(msg), "[network %s]: subnet overlaps %s %s", n->name, owner, cidr);
		print_diag(ud, cfg->path, n->line, false, msg);
	}
}

/* A deny-users or deny-groups entry that names nobody is most likely a
 * typo, and it denies nobody: say so. Decimal ids need no name. */
static void check_deny_list(const struct qnet_config *cfg, const struct qnet_grant *g, const char *key,
			    char **list, const unsigned *lines, bool groups, struct sink *ud)
{
	char msg[QNET_REASON_MAX], pbuf[QNET_IFNAME_PRINTABLE_SIZE];

	for (size_t i = 0; list && list[i]; i++) {
		int r = qnet_acl_entry_resolves(list[i], groups);

		if (r > 0)
			continue;
		if (r == 0)
			snprintf(msg, sizeof(msg), "[bridge %s]: %s %s: no such %s: this entry denies nobody",
				 g->bridge, key, qnet_ifname_printable(list[i], pbuf), groups ? "group" : "user");
		else
			snprintf(msg, sizeof(msg), "[bridge %s]: %s %s: cannot look it up (%s): the helper denies "
				 "everyone on this bridge while that lasts", g->bridge, key,
				 qnet_ifname_printable(list[i], pbuf), strerror(-r));
		print_diag(ud, cfg->path, lines ? lines[i] : g->line, false, msg);
	}
}

static void check_grants(const struct qnet_config *cfg, struct sink *ud)
{
	for (size_t i = 0; i < cfg->n_grants; i++) {
		const struct qnet_grant *g = &cfg->grants[i];

		check_deny_list(cfg, g, "deny-users", g->deny_users, g->deny_users_line, false, ud);
		check_deny_list(cfg, g, "deny-groups", g->deny_groups, g->deny_groups_line, true, ud);
	}
}

/* BRIDGE, written at LINE, if helper users can put guests on it while its
 * ports are not filtered: each of those guests can then take another's
 * MAC and addresses. Only a warning: trusting users of a lab bridge may
 * want exactly that. */
static void check_bridge_filtered(const struct qnet_config *cfg, const struct qnet_acl *acl, const char *bridge,
				  unsigned line, struct sink *ud)
{
	const struct qnet_network *n = qnet_config_network_of_bridge(cfg, bridge);
	struct qnet_config_props props;
	char msg[QNET_REASON_MAX];

	qnet_config_port_props(cfg, bridge, NULL, &props);
	if (props.filter || !qnet_acl_may_allow(acl, cfg, bridge))
		return;
	snprintf(msg, sizeof(msg), "bridge %s%s%s%s: the bridge helper lets users attach guests without filtering, "
		 "so its guests can impersonate each other; set filter = yes", bridge, n ? " (network " : "",
		 n ? n->name : "", n ? ")" : "");
	print_diag(ud, cfg->path, line, false, msg);
}

/* Every bridge helper users can reach unfiltered: each [bridge] grant's,
 * and each network's bridge that bridge.conf alone opens to them. */
static void check_filtering(const struct qnet_config *cfg, const struct qnet_acl *acl, struct sink *ud)
{
	for (size_t i = 0; i < cfg->n_grants; i++)
		check_bridge_filtered(cfg, acl, cfg->grants[i].bridge, cfg->grants[i].line, ud);
	for (size_t i = 0; i < cfg->n_networks; i++)
		if (!qnet_config_grant(cfg, cfg->networks[i].bridge))
			check_bridge_filtered(cfg, acl, cfg->networks[i].bridge, cfg->networks[i].line, ud);
}

/*
 * Parse CONFDIR/qnet.conf and CONFDIR/bridge.conf with its includes. Every
 * finding goes to OUT as "FILE:LINE: error: MESSAGE" (or "warning:"; no
 * ":LINE" when it concerns the whole file), then one summary line.
 * Returns 0 (the counts say whether anything was wrong) or -ENOMEM.
 */
static int check_config(FILE *out, struct check_counts *counts)
{
	_cleanup_config_ struct qnet_config *cfg = NULL;
	_cleanup_acl_ struct qnet_acl *acl = NULL;
	char qnet_conf[PATH_MAX], bridge_conf[PATH_MAX];
	struct sink sink = { out, counts }, *ud = &sink;
	int r;

	*counts = (struct check_counts){ 0 };
	if (qnet_paths_join(qnet_conf, sizeof(qnet_conf), qnet_paths_confdir(), "qnet.conf") < 0 ||
	    qnet_paths_join(bridge_conf, sizeof(bridge_conf), qnet_paths_confdir(), "bridge.conf") < 0) {
		print_diag(ud, qnet_paths_confdir(), 0, true, "path too long");
		return 0;
	}

	r = qnet_config_load(qnet_conf, &cfg, print_diag, ud);
	if (r == -ENOMEM)
		return r;
	if (r < 0 && counts->errors == 0)
		print_diag(ud, qnet_conf, 0, true, strerror(-r));
	/* Its errors are reported; what it holds besides means nothing, and
	 * neither is checked further nor counted. */
	if (r < 0)
		qnet_config_free(TAKE_PTR(cfg));
	if (cfg) {
		check_networks(cfg, ud);
		check_grants(cfg, ud);
	}

	r = qnet_acl_load(bridge_conf, &acl, print_diag, ud);
	if (r == -ENOMEM)
		return r;
	if (r == -ENOENT)
		print_diag(ud, bridge_conf, 0, false,
			   "absent: the bridge helper allows only what [bridge] sections of qnet.conf grant");
	else if (r < 0 && r != -EINVAL)
		print_diag(ud, bridge_conf, 0, true, strerror(-r));
	if (cfg)
		check_filtering(cfg, acl, ud);

	fprintf(out, "%s: %zu networks, %zu bridge grants; %s: %zu rules; %u errors, %u warnings\n",
		qnet_conf, cfg ? cfg->n_networks : 0, cfg ? cfg->n_grants : 0,
		bridge_conf, acl ? qnet_acl_rule_count(acl) : 0, counts->errors, counts->warnings);
	return 0;
}

/* The uid of USER: its name, or a number that has no name. */
static int lookup_user(const char *user, struct passwd *pw, char *buf, size_t size)
{
	struct passwd *res = NULL;
	char *end;
	unsigned long uid;
	int r;

	r = getpwnam_r(user, pw, buf, size, &res);
	if (r == 0 && res)
		return 0;
	errno = 0;
	uid = strtoul(user, &end, 10);
	if (!*user || *end || errno || uid > UINT32_MAX - 1)
		return -ESRCH;
	r = getpwuid_r((uid_t)uid, pw, buf, size, &res);
	return r == 0 && res ? 0 : -ESRCH;
}

/* What qnet_caps_run_as() runs: the helper's decision. */
struct decision_args {
	const struct qnet_acl_subject *who;
	const char *bridge, *real;
};

static int decide(void *out, void *userdata)
{
	const struct decision_args *a = userdata;

	return qnet_acl_decide_link(a->who, a->bridge, a->real, out);
}

/*
 * Would qemu-bridge-helper let USER (a name or a numeric uid) attach to
 * BRIDGE? USER is taken as it would run QEMU after logging in: its uid,
 * primary group and the supplementary groups of the group database. The
 * helper reads the files with its caller's ids, so a file only root can
 * read denies everyone else: when we may (as root), the files are read in a
 * child process running with USER's ids, and *AS_USER is set; otherwise
 * they are read with our own ids.
 * REAL is the bridge's own name when BRIDGE is an alternative name of it
 * (qnet_acl_decide_link), else NULL.
 * Returns 0 with OUT filled, -ESRCH if there is no such user, -errno.
 */
static int check_explain(const char *user, const char *bridge, const char *real,
			 struct qnet_acl_decision *out, bool *as_user)
{
	_cleanup_free_ gid_t *groups = NULL;
	_cleanup_free_ char *buf = NULL;
	struct qnet_acl_subject who;
	struct decision_args args = { &who, bridge, real };
	struct qnet_caller ids;
	struct passwd pw;
	size_t size = 16384;
	int n = 64, r;

	buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	r = lookup_user(user, &pw, buf, size);
	if (r < 0)
		return r;
	/* What QEMU's process would hold after login: initgroups(3) gives it
	 * these groups, and the helper reads the ACL with them. */
	for (int tries = 0; tries < 8; tries++) {
		gid_t *g = realloc(groups, sizeof(gid_t) * (size_t)n);

		if (!g)
			return -ENOMEM;
		groups = g;
		if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) >= 0)
			break;
		if (tries == 7)
			return -ENOMEM;
	}
	who = (struct qnet_acl_subject){
		.uid = pw.pw_uid, .gid = pw.pw_gid, .user = pw.pw_name,
		.groups = groups, .n_groups = (size_t)n,
	};
	*as_user = pw.pw_uid == geteuid() || geteuid() == 0;
	if (geteuid() != 0 || pw.pw_uid == geteuid())
		return qnet_acl_decide_link(&who, bridge, real, out);
	ids = (struct qnet_caller){ .uid = pw.pw_uid, .gid = pw.pw_gid, .groups = groups, .n_groups = (size_t)n };
	return qnet_caps_run_as(&ids, decide, &args, out, sizeof(*out));
}

/* The own name of the link NAME resolves to (NAME itself, or the link
 * NAME is an alternative name of); -errno if there is none. */
static int bridge_real_name(const char *name, char real[IFNAMSIZ])
{
	_cleanup_nl_ struct qnet_nl nl = { 0 };
	struct qnet_link l;
	int r;

	if (qnet_ifname_invalid(name))
		return -EINVAL;
	r = qnet_nl_open(&nl);
	if (r == 0)
		r = qnet_link_resolve(&nl, name, &l);
	if (r == 0)
		memcpy(real, l.name, IFNAMSIZ);
	return r;
}

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "user", required_argument, NULL, 'u' },
		{ "bridge", required_argument, NULL, 'b' },
		{ 0 },
	};
	struct check_counts counts;
	struct qnet_acl_decision d;
	const char *user = NULL, *bridge = NULL;
	bool as_user = false;
	char self[32], real[IFNAMSIZ], alias[IFNAMSIZ + 32] = "";
	int c, r;

	optind = 0;
	while ((c = cli_next_option("check", argc, argv, opts)) != -1)
		switch (c) {
		case 'h': return cli_show_help("check");
		case 'u': user = optarg; break;
		case 'b': bridge = optarg; break;
		default: return cli_usage_error("check");
		}
	if (optind != argc) {
		qnet_error("check: too many operands");
		return cli_usage_error("check");
	}
	if (user && !bridge) {
		qnet_error("check: --user needs --bridge");
		return cli_usage_error("check");
	}

	r = check_config(stdout, &counts);
	if (r < 0)
		return qnet_error("check: %s", strerror(-r));
	if (!bridge)
		return counts.errors ? EXIT_FAILURE : EXIT_SUCCESS;

	if (!user) {
		snprintf(self, sizeof(self), "%u", (unsigned)getuid());
		user = self;
	}
	/* As the helper would: the kernel says which bridge the name means. */
	if (bridge_real_name(bridge, real) == 0 && !streq(real, bridge))
		snprintf(alias, sizeof(alias), " (an alternative name of %s)", real);
	r = check_explain(user, bridge, alias[0] ? real : NULL, &d, &as_user);
	if (r == -ESRCH)
		return qnet_error("check: %s: no such user", user);
	if (r < 0)
		return qnet_error("check: %s", strerror(-r));
	printf("qemu-bridge-helper, user %s, bridge %s%s: %s%s\n", user, bridge, alias, d.reason,
	       as_user ? "" : " (files read with qnet's ids, not the user's: run as root to read them as the helper would)");
	return d.allowed ? EXIT_SUCCESS : EXIT_FAILURE;
}
