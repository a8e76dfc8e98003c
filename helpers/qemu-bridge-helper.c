// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qemu-bridge-helper: QEMU's -netdev bridge helper (DESIGN §1 and §5).
 *
 * Theory of operation. QEMU runs `qemu-bridge-helper [--use-vnet]
 * --br=BRIDGE --fd=N` with a socketpair end as fd N; we create a TAP, put
 * it on BRIDGE and send its fd back over N, then exit. Any local user can
 * run us, installed with cap_net_admin+ep, setuid root, or by root; the
 * caller controls argv, environment, fds, rlimits and signals, so:
 *   1. the privilege steps come first, in the order below, and after the
 *      line marked "PRIVILEGE BOUNDARY" the process holds CAP_NET_ADMIN and
 *      nothing else, runs with the caller's ids, and cannot regain anything
 *      (lib/caps.c explains each step);
 *   2. only then is input looked at: argv strictly, the fd checked to be a
 *      socket, the bridge name validated;
 *   3. the ACL (lib/acl.h) is read with the caller's uid, gid and groups, as
 *      QEMU's helper does, then the groups are dropped where we can;
 *   4. every decision leaves one authpriv syslog line.
 * Paths are compiled in; the environment can only move them in tests,
 * through secure_getenv(), which is empty in a setuid or file-capability run.
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "caps.h"
#include "fdpass.h"
#include "ifname.h"
#include "log.h"
#include "macro.h"
#include "netlink.h"
#include "port.h"

#define PROGRAM "qemu-bridge-helper"

struct args {
	bool use_vnet;
	const char *bridge;
	int fd;
};

static int usage(void)
{
	qnet_error("usage: " PROGRAM " [--use-vnet] --br=BRIDGE --fd=N");
	return EXIT_FAILURE;
}

/* The whole string is a decimal fd >= 3: no sign, no blanks, no "3abc". */
static int parse_fd(const char *s)
{
	long v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (*s - '0');
		if (v > INT_MAX)
			return -ERANGE;
	}
	return v >= 3 ? (int)v : -EBADF;
}

/* QEMU passes --br= and --fd= once; a repeat is a caller playing games.
 * --use-vnet may repeat: QEMU appends it to a helper= string with a space
 * even when the string already has it. */
static int parse_args(int argc, char **argv, struct args *a)
{
	bool seen_fd = false;

	*a = (struct args){ .fd = -1 };
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (streq(arg, "--use-vnet")) {
			a->use_vnet = true;
		} else if (!strncmp(arg, "--br=", 5) && !a->bridge) {
			a->bridge = arg + 5;
		} else if (!strncmp(arg, "--fd=", 5) && !seen_fd) {
			char pbuf[QNET_PRINTABLE_SIZE];

			seen_fd = true;
			a->fd = parse_fd(arg + 5);
			if (a->fd < 0) {
				qnet_error("--fd=%s: not a file descriptor number >= 3",
					   qnet_printable(arg + 5, pbuf));
				return -EINVAL;
			}
		} else {
			return usage(), -EINVAL;
		}
	}
	if (!a->bridge || !seen_fd)
		return usage(), -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	_cleanup_caller_ struct qnet_caller caller = { .groups = NULL };
	struct qnet_acl_decision decision;
	struct qnet_acl_subject who;
	_cleanup_close_ int tap_fd = -1;
	_cleanup_nl_ struct qnet_nl nl = { 0 };
	char tap[IFNAMSIZ], pbuf[QNET_PRINTABLE_SIZE], why_tap[256];
	const struct passwd *pw;
	bool bounding_cleared, groups_dropped;
	struct args args;
	const char *why;
	int r;

	/* argv[0] is the caller's choice; it would become our syslog ident. */
	qnet_log_init(PROGRAM);

	/* 1. Record who called us before any id changes. */
	if (qnet_caps_capture_caller(&caller) < 0)
		return qnet_error("cannot read caller's ids"), EXIT_FAILURE;
	/* 2. Keep CAP_NET_ADMIN only (and, briefly, what steps 3, 4 and 8 use). */
	r = qnet_caps_keep_net_admin();
	if (r == -EPERM)
		return qnet_error("needs CAP_NET_ADMIN: install with 'setcap cap_net_admin+ep "
				  QNET_LIBEXECDIR "/" PROGRAM "' (or setuid root)"), EXIT_FAILURE;
	if (r < 0)
		return qnet_error("cannot drop capabilities: %s", strerror(-r)), EXIT_FAILURE;
	/* 3. All ids become the caller's; a setuid-root start is undone here. */
	if ((r = qnet_caps_switch_to_caller(&caller)) < 0)
		return qnet_error("cannot switch to uid %u: %s", caller.uid, strerror(-r)), EXIT_FAILURE;
	/* 4. Nothing we could ever exec may hold more than we do. */
	if ((r = qnet_caps_clear_bounding(&bounding_cleared)) < 0)
		return qnet_error("cannot clear bounding set: %s", strerror(-r)), EXIT_FAILURE;
	/* 5. Not even a setuid or file-capability program could change that. */
	if ((r = qnet_caps_no_new_privs()) < 0)
		return qnet_error("PR_SET_NO_NEW_PRIVS: %s", strerror(-r)), EXIT_FAILURE;
	/* 6. The caller now owns this process: no ptrace, no core dump. */
	if ((r = qnet_caps_not_dumpable()) < 0)
		return qnet_error("PR_SET_DUMPABLE: %s", strerror(-r)), EXIT_FAILURE;
	if (parse_args(argc, argv, &args) < 0)
		return EXIT_FAILURE;
	/* 7. No fd of the caller's but stdio and the socket to QEMU. */
	if ((r = qnet_caps_close_fds(args.fd)) < 0)
		return qnet_error("cannot close inherited fds: %s", strerror(-r)), EXIT_FAILURE;
	/* ---- PRIVILEGE BOUNDARY: caller's ids, CAP_NET_ADMIN in effect (and
	 * CAP_SETGID permitted, not effective, until step 8 where we started
	 * with it), nothing else from here. ---- */

	if (!qnet_fd_is_socket(args.fd))
		return qnet_error("--fd=%d: not a socket", args.fd), EXIT_FAILURE;
	why = qnet_ifname_invalid(args.bridge);
	if (why)
		return qnet_error("--br=%s: %s", qnet_printable(args.bridge, pbuf), why), EXIT_FAILURE;

	pw = getpwuid(caller.uid);
	who = (struct qnet_acl_subject){
		.uid = caller.uid, .gid = caller.gid, .user = pw ? pw->pw_name : NULL,
		.groups = caller.groups, .n_groups = caller.n_groups,
	};
	r = qnet_acl_decide(&who, args.bridge, &decision);
	if (r < 0)
		return qnet_error("%s: cannot decide: %s", args.bridge, strerror(-r)), EXIT_FAILURE;
	/* 8. The ACL files are read: the caller's groups have done their job. */
	if ((r = qnet_caps_drop_groups(&groups_dropped)) < 0)
		return qnet_error("cannot drop supplementary groups: %s", strerror(-r)), EXIT_FAILURE;

	if (!decision.allowed) {
		qnet_audit(true, "uid=%u user=%s bridge=%s tap=- %s", caller.uid,
			   who.user ? who.user : "?", args.bridge, decision.reason);
		return EXIT_FAILURE;
	}
	r = qnet_nl_open(&nl);
	if (r < 0)
		return qnet_error("netlink: %s", strerror(-r)), EXIT_FAILURE;
	tap_fd = qnet_port_new_tap(&nl, args.bridge, args.use_vnet, decision.isolated, tap,
				   why_tap, sizeof(why_tap));
	if (tap_fd < 0) {
		qnet_audit(false, "uid=%u user=%s bridge=%s tap=- %s, but failed: %s", caller.uid,
			   who.user ? who.user : "?", args.bridge, decision.reason, why_tap);
		return qnet_error("%s", why_tap), EXIT_FAILURE;
	}
	/* Only the TAP's fd goes on: no netlink socket stays open beside it. */
	qnet_nl_close(&nl);
	qnet_audit(false, "uid=%u user=%s bridge=%s tap=%s %s", caller.uid,
		   who.user ? who.user : "?", args.bridge, tap, decision.reason);
	r = qnet_fd_send(args.fd, tap_fd);
	if (r < 0)
		return qnet_error("%s: cannot send TAP fd over --fd=%d: %s", tap, args.fd,
				  strerror(-r)), EXIT_FAILURE;
	return EXIT_SUCCESS;
}
