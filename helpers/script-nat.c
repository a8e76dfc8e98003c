// SPDX-License-Identifier: GPL-2.0-or-later
/* qemu-ifup-nat and qemu-ifdown-nat (see docs/design.md, *What each program does*),
 * apart from script.c so that qemu-ifup never links the NAT code and
 * libnftables. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "ifname.h"
#include "log.h"
#include "macro.h"
#include "nat.h"
#include "script.h"

static int run(int argc, char **argv, bool up)
{
	_cleanup_config_ struct qnet_config *cfg = NULL;
	char why[QNET_REASON_MAX] = "", safe[QNET_IFNAME_PRINTABLE_SIZE];
	const char *network;
	int r;

	r = script_start("IFNAME", 1, argc, argv);
	if (r >= 0)
		return r;
	/* Every network's /64 but this one's is left underived. */
	if (qnet_config_load_flags(NULL, QNET_CONFIG_ONE_NETWORK, &cfg, qnet_log_diag, NULL) < 0)
		return 1;
	network = qnet_nat_network_name(argv[0], cfg);
	(void)qnet_config_network_derive(cfg, network);
	qnet_nat_set_notice(qnet_log_notice, NULL);
	if (!qnet_config_network_name_valid(network))
		return qnet_error("network '%s': invalid name", qnet_ifname_printable(network, safe));
	r = up ? qnet_nat_ifup(cfg, network, argv[1], why, sizeof(why))
	       : qnet_nat_ifdown(cfg, network, argv[1], why, sizeof(why));
	if (r < 0)
		return qnet_error("%s: network %s: %s", argv[1], network, why);
	return 0;
}

int script_ifup_nat(int argc, char **argv)
{
	return run(argc, argv, true);
}

int script_ifdown_nat(int argc, char **argv)
{
	return run(argc, argv, false);
}
