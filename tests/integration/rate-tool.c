// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rate-tool: drives lib/rate.c for tests/integration/rate.sh.
 *   rate-tool apply PORT IN OUT   bytes/s, 0 = unshaped
 *   rate-tool remove PORT
 *   rate-tool get PORT            prints "in=N out=N"
 *   rate-tool sweep               prints "deleted IFB" per ifb, then "count=N"
 * PORT is an interface name, or @N for ifindex N as it is (one that need
 * not exist). Exit 0, or 1 with one line "rate-tool: ..." on stderr.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "link.h"
#include "log.h"
#include "macro.h"
#include "netlink.h"
#include "rate.h"

static int port_index(struct qnet_nl *nl, const char *arg)
{
	struct qnet_link l;
	int r;

	if (arg[0] == '@')
		return (int)strtol(arg + 1, NULL, 10);
	r = qnet_link_get(nl, arg, &l);
	if (r < 0) {
		fprintf(stderr, "rate-tool: %s: %s\n", arg, strerror(-r));
		exit(1);
	}
	return l.ifindex;
}

static void print_deleted(const char *ifb, void *userdata)
{
	printf("deleted %s\n", ifb);
}

int main(int argc, char **argv)
{
	_cleanup_nl_ struct qnet_nl nl = { 0 };
	char why[QNET_REASON_MAX] = "";
	uint64_t in, out;
	int r;

	if (argc < 2) {
		fprintf(stderr, "rate-tool: usage: apply PORT IN OUT | remove PORT | get PORT | sweep\n");
		return 1;
	}
	r = qnet_nl_open(&nl);
	if (r < 0) {
		fprintf(stderr, "rate-tool: netlink: %s\n", strerror(-r));
		return 1;
	}
	if (streq(argv[1], "apply") && argc == 5) {
		r = qnet_rate_apply(&nl, port_index(&nl, argv[2]), strtoull(argv[3], NULL, 10),
				    strtoull(argv[4], NULL, 10), why, sizeof(why));
		if (r < 0)
			fprintf(stderr, "rate-tool: %s: %s\n", argv[2], why);
	} else if (streq(argv[1], "remove") && argc == 3) {
		r = qnet_rate_remove(&nl, port_index(&nl, argv[2]));
		if (r < 0)
			fprintf(stderr, "rate-tool: %s: %s\n", argv[2], strerror(-r));
	} else if (streq(argv[1], "get") && argc == 3) {
		r = qnet_rate_get(&nl, port_index(&nl, argv[2]), &in, &out);
		if (r < 0)
			fprintf(stderr, "rate-tool: %s: %s\n", argv[2], strerror(-r));
		else
			printf("in=%" PRIu64 " out=%" PRIu64 "\n", in, out);
	} else if (streq(argv[1], "sweep") && argc == 2) {
		r = qnet_rate_sweep(&nl, print_deleted, NULL);
		if (r < 0)
			fprintf(stderr, "rate-tool: sweep: %s\n", strerror(-r));
		else
			printf("count=%d\n", r);
	} else {
		fprintf(stderr, "rate-tool: usage: apply PORT IN OUT | remove PORT | get PORT | sweep\n");
		return 1;
	}
	return r < 0 ? 1 : 0;
}
