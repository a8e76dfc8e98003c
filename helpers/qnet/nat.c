// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `qnet up`, `qnet down` and `qnet gc`: NAT networks without a VM. The work
 * is lib/nat.c's, which qemu-ifup-nat and qemu-ifdown-nat run too; this is
 * argv, the one line on failure and gc's report, which also names each
 * port filter of a port or bridge that no longer exists as it is removed
 * (lib/portfilter.h). qnet watch (watch.c) runs gc's repair on events.
 */
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ifname.h"
#include "log.h"
#include "macro.h"
#include "nat.h"
#include "netlink.h"
#include "paths.h"
#include "portfilter.h"
#include "state.h"
#include "rate.h"
#include "qnet.h"

/* qnet up --autostart: some networks came up, not all. */
#define EXIT_SOME_FAILED 3

static int network_operand(const char *cmd, const char *name)
{
	char safe[QNET_IFNAME_PRINTABLE_SIZE];

	if (!qnet_config_network_name_valid(name)) {
		qnet_error("%s: '%s': not a network name (1-%d of A-Z a-z 0-9 - _)", cmd,
			   qnet_ifname_printable(name, safe), QNET_NAME_MAX);
		return -EINVAL;
	}
	return 0;
}

/* --autostart, or one NETWORK operand: 1 for --autostart, 0 for NETWORK
 * (*NAME), 2 after --help, or an exit status, negated. */
static int network_or_autostart(const char *cmd, int argc, char **argv, const struct option *opts,
				bool *force, const char **name)
{
	bool autostart = false;
	int c;

	optind = 0;
	while ((c = cli_next_option(cmd, argc, argv, opts)) != -1) {
		if (c == 'h')
			return cli_show_help(cmd), 2;
		if (c == 'a')
			autostart = true;
		else if (c == 'f' && force)
			*force = true;
		else
			return cli_usage_error(cmd), -EXIT_USAGE;
	}
	if (argc - optind != (autostart ? 0 : 1)) {
		qnet_error("%s: %s", cmd, autostart ? "--autostart takes no NETWORK" :
			   argc - optind ? "too many operands" : "missing operand");
		return cli_usage_error(cmd), -EXIT_USAGE;
	}
	if (autostart)
		return 1;
	*name = argv[optind];
	return network_operand(cmd, *name) < 0 ? -EXIT_FAILURE : 0;
}

/* qnet.conf, or its errors (each as FILE:LINE, by qnet_log_diag). */
static int load_config(struct qnet_config **cfg)
{
	int r = qnet_config_load(NULL, cfg, qnet_log_diag, NULL);

	if (r == -EINVAL)
		qnet_error("%s: %u error%s: nothing applied", (*cfg)->path, (*cfg)->n_errors,
			   (*cfg)->n_errors == 1 ? "" : "s");
	return r;
}

int cmd_up(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "autostart", no_argument, NULL, 'a' },
		{ 0 },
	};
	_cleanup_config_ struct qnet_config *cfg = NULL;
	char why[QNET_REASON_MAX] = "";
	const char *name = NULL;
	int status = EXIT_SUCCESS;
	int r = network_or_autostart("up", argc, argv, opts, NULL, &name);

	if (r == 2)
		return EXIT_SUCCESS;
	if (r < 0)
		return -r;
	if (load_config(&cfg) < 0)
		return EXIT_FAILURE;
	qnet_nat_set_notice(qnet_log_notice, NULL);
	if (name) {
		if (qnet_nat_up(cfg, name, why, sizeof(why)) < 0)
			return qnet_error("up: network %s: %s", name, why);
		return EXIT_SUCCESS;
	}
	/* Every one that can come up does: one bad network must not keep
	 * the others from the guests that boot with the host. Then the exit
	 * status is 3, not 1: qnet.service takes it for a start (its
	 * SuccessExitStatus), so that reload and stop still work on the
	 * networks that did come up; the lines above are in its journal. */
	for (size_t i = 0; i < cfg->n_networks; i++) {
		const struct qnet_network *n = &cfg->networks[i];

		if (!n->autostart)
			continue;
		why[0] = '\0';
		if (qnet_nat_up(cfg, n->name, why, sizeof(why)) < 0) {
			qnet_error("up: network %s: %s", n->name, why);
			status = EXIT_SOME_FAILED;
		}
	}
	return status;
}

int cmd_down(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "force", no_argument, NULL, 'f' },
		{ "autostart", no_argument, NULL, 'a' },
		{ 0 },
	};
	_cleanup_config_ struct qnet_config *cfg = NULL;
	bool force = false;
	char why[QNET_REASON_MAX] = "";
	const char *name = NULL;
	int status = EXIT_SUCCESS;
	int r = network_or_autostart("down", argc, argv, opts, &force, &name);

	if (r == 2)
		return EXIT_SUCCESS;
	if (r < 0)
		return -r;
	if (name) {
		if (qnet_nat_down(name, force, why, sizeof(why)) < 0)
			return qnet_error("down: network %s: %s", name, why);
		return EXIT_SUCCESS;
	}
	if (load_config(&cfg) < 0)
		return EXIT_FAILURE;
	for (size_t i = 0; i < cfg->n_networks; i++) {
		const struct qnet_network *n = &cfg->networks[i];

		if (!n->autostart || qnet_nat_kind(n->name) == QNET_NAT_DOWN)
			continue;
		why[0] = '\0';
		if (force)
			r = qnet_nat_down(n->name, true, why, sizeof(why));
		else
			r = qnet_nat_release(n->name, why, sizeof(why));
		if (r < 0)
			status = qnet_error("down: network %s: %s", n->name, why);
		else if (r > 0)
			printf("network %s: %d port%s still attached: it is on-demand now and goes with its last guest\n",
			       n->name, r, r == 1 ? "" : "s");
	}
	return status;
}

/* Reload NAME; one line on what it did or why not. EXIT_* status. */
static int reload_one(const struct qnet_config *cfg, const char *name, bool named)
{
	char why[QNET_REASON_MAX] = "", diff[128];
	unsigned applied;
	int r = qnet_nat_reload(cfg, name, &applied, why, sizeof(why));

	if (r < 0)
		return qnet_error("reload: network %s: %s", name, why);
	if (r == 1) {
		if (named)
			printf("network %s: not up: nothing to reload (qnet.conf applies when it comes up)\n", name);
		return EXIT_SUCCESS;
	}
	if (!applied) {
		printf("network %s: unchanged\n", name);
		return EXIT_SUCCESS;
	}
	printf("network %s: reloaded: %s\n", name,
	       qnet_config_diff_names(applied & ~QNET_CONFIG_DIFF_PORTS, diff, sizeof(diff))[0] ? diff : "nothing to swap");
	if (applied & QNET_CONFIG_DIFF_PORTS)
		printf("network %s: filter/isolated/rate changed: guests attached from now on get it, "
		       "running ones keep theirs\n", name);
	return EXIT_SUCCESS;
}

struct reload_all {
	const struct qnet_config *cfg;
	int status;
};

static int reload_each(const char *network, void *userdata)
{
	struct reload_all *a = userdata;

	/* Up by its state, but gone from qnet.conf: it runs as it was. */
	if (!qnet_config_network(a->cfg, network)) {
		printf("network %s: not in %s any more: it runs as it was (qnet down %s takes it down)\n",
		       network, a->cfg->path, network);
		return 0;
	}
	if (reload_one(a->cfg, network, false) != EXIT_SUCCESS)
		a->status = EXIT_FAILURE;
	return 0;
}

int cmd_reload(int argc, char **argv)
{
	_cleanup_config_ struct qnet_config *cfg = NULL;
	struct reload_all a = { .status = EXIT_SUCCESS };
	int r;

	optind = 0;
	while ((r = cli_next_option("reload", argc, argv, (const struct option[]){
			{ "help", no_argument, NULL, 'h' }, { 0 } })) != -1) {
		if (r == 'h')
			return cli_show_help("reload");
		return cli_usage_error("reload");
	}
	if (argc - optind > 1) {
		qnet_error("reload: too many operands");
		return cli_usage_error("reload");
	}
	if (argc - optind == 1 && network_operand("reload", argv[optind]) < 0)
		return EXIT_FAILURE;
	/* Nothing is applied from a file with errors, to any network. */
	if (load_config(&cfg) < 0)
		return EXIT_FAILURE;
	if (argc - optind == 1)
		return reload_one(cfg, argv[optind], true);
	a.cfg = cfg;
	r = qnet_state_foreach(reload_each, &a);
	if (r < 0)
		return qnet_error("reload: %s: %s", qnet_paths_rundir(), strerror(-r));
	return a.status;
}

static void print_gc_action(const char *network, const char *what, void *userdata)
{
	printf("network %s: %s\n", network, what);
}

/* PORT 0: all of BRIDGE went. Both are ifindexes of links gone. */
static void print_filter_removed(int bridge, int port, void *userdata)
{
	if (port)
		printf("filter of port %d (bridge %d): removed: the port was gone\n", port, bridge);
	else
		printf("filter of bridge %d: removed: the bridge was gone\n", bridge);
}

/* IFINDEX's name, or the number where the link is gone. */
static const char *link_name(int ifindex, char buf[IFNAMSIZ])
{
	if (!if_indextoname((unsigned)ifindex, buf))
		snprintf(buf, IFNAMSIZ, "%d", ifindex);
	return buf;
}

/* PORT 0: the chains BRIDGE's ports share. */
static void print_filter_refilled(int bridge, int port, void *userdata)
{
	char b[IFNAMSIZ], p[IFNAMSIZ];

	if (port)
		printf("filter of port %s of bridge %s: rules put back (its chains were flushed)\n",
		       link_name(port, p), link_name(bridge, b));
	else
		printf("filter of bridge %s: rules put back (its chains were flushed)\n", link_name(bridge, b));
}

static void print_ifb_removed(const char *ifb, void *userdata)
{
	printf("shaping device %s: removed: its port was gone\n", ifb);
}

int cli_repair(const char *cmd, bool collect)
{
	_cleanup_nl_ struct qnet_nl nl = { 0 };
	int r;

	r = (collect ? qnet_nat_gc : qnet_nat_repair)(print_gc_action, NULL);
	if (r < 0)
		return qnet_error("%s: %s", cmd, strerror(-r));
	/* After the networks: a network gc removed leaves its bridge's
	 * filters for this sweep, when the bridge was gone already. */
	r = qnet_nl_open(&nl);
	if (r == 0)
		r = qnet_portfilter_sweep(&nl, print_filter_removed, NULL);
	if (r >= 0)
		r = qnet_portfilter_refill(&nl, print_filter_refilled, NULL);
	if (r < 0)
		return qnet_error("%s: port filters (nftables table bridge %s): %s", cmd, QNET_PORTFILTER_TABLE,
				  strerror(-r));
	r = qnet_rate_sweep(&nl, print_ifb_removed, NULL);
	if (r < 0)
		return qnet_error("%s: shaping devices (%s*): %s", cmd, QNET_RATE_IFB_PREFIX, strerror(-r));
	return EXIT_SUCCESS;
}

int cmd_gc(int argc, char **argv)
{
	int r = cli_parse_plain("gc", argc, argv, 0, NULL, NULL);

	if (r < 0)
		return CLI_PARSED_EXIT(r);
	return cli_repair("gc", true);
}
