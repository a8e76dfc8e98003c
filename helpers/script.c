// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ifname.h"
#include "link.h"
#include "log.h"
#include "macro.h"
#include "paths.h"
#include "port.h"
#include "portfilter.h"
#include "rate.h"
#include "route.h"
#include "script.h"

static bool valid_name(const char *what, const char *name)
{
	char safe[QNET_IFNAME_PRINTABLE_SIZE];
	const char *bad = qnet_ifname_invalid(name);

	if (bad)
		qnet_error("%s '%s': %s", what, qnet_ifname_printable(name, safe), bad);
	return !bad;
}

int script_start(const char *synopsis, int max_operands, int argc, char **argv)
{
	char safe[QNET_IFNAME_PRINTABLE_SIZE];

	qnet_log_init(argv[0]);
	if (argc == 2 && (streq(argv[1], "--help") || streq(argv[1], "-h"))) {
		printf("usage: %s %s\n", qnet_log_program(), synopsis);
		return 0;
	}
	if (argc == 2 && streq(argv[1], "--version")) {
		printf("%s (qnet) %s\n", qnet_log_program(), QNET_VERSION);
		return 0;
	}
	/* QEMU passes interface names only; "-x" is a caller's typo, never a
	 * TAP to create a network for. */
	for (int i = 1; i < argc; i++)
		if (argv[i][0] == '-')
			return qnet_error("unknown option '%s' (usage: %s %s)", qnet_ifname_printable(argv[i], safe),
				          qnet_log_program(), synopsis);
	if (argc < 2 || argc > 1 + max_operands)
		return qnet_error("usage: %s %s (QEMU passes the TAP's name)", qnet_log_program(), synopsis);
	return valid_name("interface", argv[1]) ? -1 : 1;
}

/*
 * The bridge carrying the default route, as Debian's /etc/qemu-ifup picks it
 * (`ip route ls | awk '/^default /'`: the main table's IPv4 default route),
 * into *B as the kernel reported it by index: its own name, no second
 * lookup by that name. Where several default routes are, the one of lowest
 * metric the kernel would use (route.h), where Debian's takes the first in
 * `ip route` order whose device is a bridge (qemu-ifup(8)).
 */
static int default_route_bridge(struct qnet_nl *nl, const char *tap, struct qnet_link *b)
{
	int ifindex = 0, r;

	*b = (struct qnet_link){ 0 };
	r = qnet_route_default_ifindex(nl, &ifindex);
	if (r == -ENOENT) {
		qnet_error("%s: no bridge given and there is no default route to find one "
			   "(pass BRIDGE, set QNET_BRIDGE or [script] bridge= in qnet.conf)", tap);
		return r;
	}
	if (r == 0)
		r = qnet_link_get_by_index(nl, ifindex, b);
	if (r < 0) {
		qnet_error("%s: cannot read the default route: %s", tap, strerror(-r));
		return r;
	}
	if (!b->is_bridge) {
		qnet_error("%s: no bridge given and the default route's device %s is not a bridge "
			   "(pass BRIDGE, set QNET_BRIDGE or [script] bridge= in qnet.conf)", tap, b->name);
		return -EMEDIUMTYPE;
	}
	return 0;
}

/*
 * Bridge choice, first match wins: second argument, program instance
 * (qemu-ifup@br1), QNET_BRIDGE, [script] bridge= in qnet.conf, the bridge
 * of the default route. A name someone gave is only a name (0): the caller
 * looks it up. The default route's bridge is known already (1, in *B).
 */
static int choose_bridge(struct qnet_nl *nl, const struct qnet_config *cfg, int argc, char **argv,
			 char bridge[IFNAMSIZ], struct qnet_link *b)
{
	const char *choice = argc > 2 ? argv[2] : qnet_paths_program_instance(argv[0]);
	int r;

	/* An empty QNET_BRIDGE is unset; an empty BRIDGE argument is an error. */
	if (!choice) {
		choice = secure_getenv("QNET_BRIDGE");
		if (choice && !*choice)
			choice = NULL;
	}
	if (choice) {
		if (!valid_name("bridge", choice))
			return -EINVAL;
		snprintf(bridge, IFNAMSIZ, "%s", choice);
		return 0;
	}
	if (cfg->script_bridge[0]) {
		memcpy(bridge, cfg->script_bridge, IFNAMSIZ);
		return 0;
	}
	r = default_route_bridge(nl, argv[1], b);
	return r < 0 ? r : 1;
}

/* qnet.conf, always: it says what a port of the bridge gets (filter,
 * isolation, rates), and a port must never get less because the file
 * could not be read. Only that: no NAT network's IPv6 prefix. */
static int load_config(struct qnet_config **cfg)
{
	return qnet_config_load_flags(NULL, QNET_CONFIG_PORTS_ONLY, cfg, qnet_log_diag, NULL) < 0 ? -EINVAL : 0;
}

int script_ifup(int argc, char **argv)
{
	_cleanup_nl_ struct qnet_nl nl = { 0 };
	_cleanup_config_ struct qnet_config *cfg = NULL;
	char bridge[IFNAMSIZ], why[QNET_REASON_MAX];
	struct qnet_config_props cp;
	struct qnet_port_props props;
	struct qnet_link b;
	int r;

	r = script_start("IFNAME [BRIDGE]", 2, argc, argv);
	if (r >= 0)
		return r;
	r = qnet_nl_open(&nl);
	if (r < 0)
		return qnet_error("%s: cannot open netlink: %s", argv[1], strerror(-r));
	if (load_config(&cfg) < 0)
		return 1;
	r = choose_bridge(&nl, cfg, argc, argv, bridge, &b);
	if (r < 0)
		return 1;
	/* A bridge a user named may be an alternative name: from here on it
	 * is the bridge's own name and index. */
	r = r == 1 ? 0 : qnet_port_find_bridge(&nl, bridge, true, &b, why, sizeof(why));
	if (r == 0) {
		qnet_config_port_props(cfg, b.name, argv[1], &cp);
		qnet_port_props_from_config(&cp, &props);
		props.hosts = qnet_config_bridge_hosts(cfg, b.name, &props.n_hosts);
		r = qnet_port_attach(&nl, argv[1], &b, &props, why, sizeof(why));
	}
	if (r < 0)
		return qnet_error("%s: %s", argv[1], why);
	return 0;
}

/* The filter and shaping of a port that left BRIDGE, where qnet.conf says
 * its ports have them: off the bridge a filter can never match again, so
 * this is tidiness, and the next attach there or qnet gc does it if we
 * cannot. */
static void forget_port(struct qnet_nl *nl, int bridge, const char *tap)
{
	_cleanup_config_ struct qnet_config *cfg = NULL;
	struct qnet_config_props cp;
	struct qnet_link b, t;

	if (qnet_link_get_by_index(nl, bridge, &b) < 0 || qnet_link_get(nl, tap, &t) < 0 ||
	    qnet_config_load_flags(NULL, QNET_CONFIG_PORTS_ONLY, &cfg, NULL, NULL) < 0)
		return;
	qnet_config_port_props(cfg, b.name, tap, &cp);
	if (cp.filter)
		(void)qnet_portfilter_detach(bridge, t.ifindex);
	if (cp.rate_in || cp.rate_out)
		(void)qnet_rate_remove(nl, t.ifindex);
}

int script_ifdown(int argc, char **argv)
{
	_cleanup_nl_ struct qnet_nl nl = { 0 };
	int was_master = 0;
	int r;

	/* Xen's QEMU passes the bridge too; detaching does not need it. */
	r = script_start("IFNAME [BRIDGE]", 2, argc, argv);
	if (r >= 0)
		return r;
	r = qnet_nl_open(&nl);
	if (r == 0)
		r = qnet_port_detach(&nl, argv[1], &was_master);
	if (r == -ENODEV)
		return 0; /* already gone: nothing to undo */
	if (r == -EPERM || r == -EACCES) {
		/* After -runas QEMU has no privilege left; closing the TAP fd
		 * makes the kernel delete the TAP and its bridge port anyway. */
		qnet_warn("%s: not detached (no CAP_NET_ADMIN); harmless: the kernel removes the port "
			  "when QEMU closes the TAP", argv[1]);
		return 0;
	}
	if (r < 0)
		return qnet_error("%s: cannot detach: %s", argv[1], strerror(-r));
	if (was_master)
		forget_port(&nl, was_master, argv[1]);
	return 0;
}
