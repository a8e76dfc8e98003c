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
#include "portfilter.h"
#include "rate.h"
#include "qnet.h"

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

int cmd_up(int argc, char **argv)
{
	_cleanup_config_ struct qnet_config *cfg = NULL;
	char why[QNET_REASON_MAX] = "";
	int r = cli_parse_plain("up", argc, argv, 1, NULL, NULL);

	if (r < 0)
		return CLI_PARSED_EXIT(r);
	if (network_operand("up", argv[r]) < 0)
		return EXIT_FAILURE;
	if (qnet_config_load(NULL, &cfg, qnet_log_diag, NULL) < 0)
		return EXIT_FAILURE;
	qnet_nat_set_notice(qnet_log_notice, NULL);
	if (qnet_nat_up(cfg, argv[r], why, sizeof(why)) < 0)
		return qnet_error("up: network %s: %s", argv[r], why);
	return EXIT_SUCCESS;
}

int cmd_down(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "force", no_argument, NULL, 'f' },
		{ 0 },
	};
	bool force = false;
	char why[QNET_REASON_MAX] = "";
	int r = cli_parse_plain("down", argc, argv, 1, opts, &force);

	if (r < 0)
		return CLI_PARSED_EXIT(r);
	if (network_operand("down", argv[r]) < 0)
		return EXIT_FAILURE;
	if (qnet_nat_down(argv[r], force, why, sizeof(why)) < 0)
		return qnet_error("down: network %s: %s", argv[r], why);
	return EXIT_SUCCESS;
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
