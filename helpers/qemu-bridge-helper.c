// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qemu-bridge-helper: QEMU's -netdev bridge helper (see docs/design.md,
 * *The QEMU contract* and *Security model*).
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
 *      QEMU's helper does, then the groups are dropped where we can; on the
 *      bridge of a running NAT network, what the network runs with
 *      (RUNDIR/NAME.conf, root's, read through the same trust checks)
 *      can only make the port stricter, and an unreadable one denies;
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
#include <unistd.h>

#include "acl.h"
#include "bridge-helper-args.h"
#include "caps.h"
#include "config.h"
#include "fdpass.h"
#include "ifname.h"
#include "log.h"
#include "macro.h"
#include "netlink.h"
#include "port.h"
#include "state.h"

#define PROGRAM BRIDGE_HELPER_PROGRAM

/* argv, strictly (bridge-helper-args.c, which the fuzzer runs too); a
 * refusal is our one line on stderr. */
static int parse_args(int argc, char **argv, struct args *a)
{
	char why[QNET_REASON_MAX];
	int r = bridge_helper_parse_args(argc, argv, a, why, sizeof(why));

	if (r < 0)
		qnet_error("%s", why);
	return r;
}

struct running_find {
	const char *bridge;
	char network[QNET_NAME_MAX + 1];
};

static int match_bridge(const char *network, void *userdata)
{
	struct running_find *f = userdata;
	char b[IFNAMSIZ];

	if (qnet_state_bridge(network, b) < 0 || !streq(b, f->bridge))
		return 0;
	snprintf(f->network, sizeof(f->network), "%s", network);
	return 1;
}

/*
 * The configuration of the NAT network that runs on BRIDGE, by its state
 * and whatever qnet.conf says now (lib/nat.c: an edit applies at qnet
 * reload, never at the next attach), into *RET. 1 found, 0 no network
 * runs there (or one recorded none), -errno: it cannot be read, and then
 * no port may come up (fail closed).
 */
static int running_network(const char *bridge, struct qnet_config **ret)
{
	_cleanup_config_ struct qnet_config *c = NULL;
	struct running_find f = { .bridge = bridge };
	char path[PATH_MAX];
	int r = qnet_state_foreach(match_bridge, &f);

	if (r <= 0)
		return r;
	r = qnet_state_path(path, sizeof(path), f.network, QNET_STATE_CONF);
	if (r < 0)
		return r;
	/* A network an earlier qnet brought up recorded none: qnet.conf decides. */
	if (access(path, F_OK) < 0)
		return errno == ENOENT ? 0 : -errno;
	r = qnet_config_load_flags(path, QNET_CONFIG_PORTS_ONLY, &c, NULL, NULL);
	if (r < 0)
		return r;
	if (!qnet_config_network(c, f.network))
		return -EBADMSG;
	*ret = TAKE_PTR(c);
	return 1;
}

/* Of two limits (0: none), the stricter. */
static uint64_t stricter_rate(uint64_t a, uint64_t b)
{
	return a && b ? (a < b ? a : b) : a ? a : b;
}

int main(int argc, char **argv)
{
	_cleanup_caller_ struct qnet_caller caller = { .groups = NULL };
	struct qnet_acl_decision decision;
	struct qnet_acl_subject who;
	_cleanup_close_ int tap_fd = -1;
	_cleanup_nl_ struct qnet_nl nl = { 0 };
	_cleanup_config_ struct qnet_config *cfg = NULL, *run = NULL;
	char tap[IFNAMSIZ], pbuf[QNET_IFNAME_PRINTABLE_SIZE], why_tap[QNET_REASON_MAX], why_bridge[QNET_REASON_MAX];
	char requested[IFNAMSIZ + 16];
	struct qnet_port_props props;
	struct qnet_link bridge;
	const char *real;
	bool found;
	const struct passwd *pw;
	struct args args;
	const char *why;
	int r;

	/* argv[0] is the caller's choice; it would become our syslog ident. */
	qnet_log_init(PROGRAM);
	/* syslog() stamps the audit record with localtime(), which would follow
	 * a TZ the caller chose: the record's time is the host's. */
	unsetenv("TZ");

	/* 1. Record who called us before any id changes. */
	if (qnet_caps_capture_caller(&caller) < 0)
		return qnet_error("cannot read caller's ids");
	/* 2. Keep CAP_NET_ADMIN only (and, briefly, what steps 3, 4 and 8 use). */
	r = qnet_caps_keep_net_admin();
	if (r == -EPERM)
		return qnet_error("needs CAP_NET_ADMIN: install with 'setcap cap_net_admin+ep "
				  QNET_LIBEXECDIR "/" PROGRAM "' (or setuid root)");
	if (r < 0)
		return qnet_error("cannot drop capabilities: %s", strerror(-r));
	/* 3. All ids become the caller's; a setuid-root start is undone here. */
	if ((r = qnet_caps_switch_to_caller(&caller)) < 0)
		return qnet_error("cannot switch to uid %u: %s", caller.uid, strerror(-r));
	/* 4. Nothing we could ever exec may hold more than we do. Whether
	 * the set could be emptied changes nothing below (without
	 * CAP_SETPCAP, step 5 is what covers exec), so the answer is not kept. */
	if ((r = qnet_caps_clear_bounding(&(bool){ false })) < 0)
		return qnet_error("cannot clear bounding set: %s", strerror(-r));
	/* 5. Not even a setuid or file-capability program could change that. */
	if ((r = qnet_caps_no_new_privs()) < 0)
		return qnet_error("PR_SET_NO_NEW_PRIVS: %s", strerror(-r));
	/* 6. The caller now owns this process: no ptrace, no core dump. */
	if ((r = qnet_caps_not_dumpable()) < 0)
		return qnet_error("PR_SET_DUMPABLE: %s", strerror(-r));
	if (parse_args(argc, argv, &args) < 0)
		return EXIT_FAILURE;
	/* 7. No fd of the caller's but stdio and the socket to QEMU. */
	if ((r = qnet_caps_close_fds(args.fd)) < 0)
		return qnet_error("cannot close inherited fds: %s", strerror(-r));
	/* ---- PRIVILEGE BOUNDARY: caller's ids, CAP_NET_ADMIN in effect (and
	 * CAP_SETGID permitted, not effective, until step 8 where we started
	 * with it), nothing else from here. ---- */

	if (!qnet_fdpass_is_unix_socket(args.fd))
		return qnet_error("--fd=%d: not a Unix socket", args.fd);
	why = qnet_ifname_invalid(args.bridge);
	if (why)
		return qnet_error("--br=%s: %s", qnet_ifname_printable(args.bridge, pbuf), why);

	/* The rules are about the bridge itself, so the kernel says which link
	 * the name means (an alternative name resolves too) before anything is
	 * decided; the TAP joins that ifindex and no other. */
	r = qnet_nl_open(&nl);
	if (r < 0)
		return qnet_error("netlink: %s", strerror(-r));
	found = qnet_port_find_bridge(&nl, args.bridge, true, &bridge, why_bridge, sizeof(why_bridge)) == 0;
	real = found ? bridge.name : args.bridge;
	/* " requested=lan0" when the caller named the bridge by another name. */
	snprintf(requested, sizeof(requested), "%s%s", streq(real, args.bridge) ? "" : " requested=",
		 streq(real, args.bridge) ? "" : args.bridge);

	pw = getpwuid(caller.uid);
	who = (struct qnet_acl_subject){
		.uid = caller.uid, .gid = caller.gid, .user = pw ? pw->pw_name : NULL,
		.groups = caller.groups, .n_groups = caller.n_groups,
	};
	r = qnet_acl_decide_link(&who, args.bridge, found ? bridge.name : NULL, &decision);
	if (r < 0)
		return qnet_error("%s: cannot decide: %s", args.bridge, strerror(-r));
	/* A filtered port may use what the bridge's host = entries give:
	 * read while the caller's groups still are ours, as the decision was.
	 * A qnet.conf that cannot be read now denies, as it would have above. */
	if (decision.allowed && decision.filter &&
	    qnet_config_load_flags(NULL, QNET_CONFIG_PORTS_ONLY, &cfg, NULL, NULL) < 0) {
		decision.allowed = false;
		snprintf(decision.reason, sizeof(decision.reason), "%s",
			 "denied: qnet.conf could not be read again for the bridge's host = entries");
	}
	/* A NAT network's bridge: its ports get what the network runs with,
	 * where that is stricter than what qnet.conf says now. */
	if (decision.allowed) {
		struct qnet_config_props rp;

		r = running_network(real, &run);
		if (r < 0) {
			decision.allowed = false;
			snprintf(decision.reason, sizeof(decision.reason),
				 "denied: the running configuration of the NAT network on this bridge cannot be read: %s",
				 strerror(-r));
		} else if (r > 0) {
			qnet_config_port_props(run, real, NULL, &rp);
			decision.filter |= rp.filter;
			decision.isolated |= rp.isolated;
			decision.rate_in = stricter_rate(decision.rate_in, rp.rate_in);
			decision.rate_out = stricter_rate(decision.rate_out, rp.rate_out);
		}
	}
	/* 8. The ACL files are read: the caller's groups have done their job.
	 * Where they cannot be (cap_net_admin+ep gives no CAP_SETGID) they
	 * stay, as they always do in QEMU's helper; nothing below depends on
	 * which case it was, so the answer is not kept. */
	if ((r = qnet_caps_drop_groups(&(bool){ false })) < 0)
		return qnet_error("cannot drop supplementary groups: %s", strerror(-r));

	if (!decision.allowed) {
		qnet_audit(true, "uid=%u user=%s bridge=%s tap=-%s %s", caller.uid,
			   who.user ? who.user : "?", real, requested, decision.reason);
		return EXIT_FAILURE;
	}
	props = (struct qnet_port_props){
		.isolated = decision.isolated,
		.filter = decision.filter,
		.rate_in = decision.rate_in,
		.rate_out = decision.rate_out,
	};
	if (run)
		props.hosts = qnet_config_bridge_hosts(run, real, &props.n_hosts);
	else if (cfg)
		props.hosts = qnet_config_bridge_hosts(cfg, real, &props.n_hosts);
	tap_fd = found ? qnet_port_new_tap(&nl, &bridge, args.use_vnet, &props, caller.uid, tap, why_tap,
					   sizeof(why_tap))
		       : qnet_because(why_tap, sizeof(why_tap), -ENODEV, "%s", why_bridge);
	if (tap_fd < 0) {
		qnet_audit(false, "uid=%u user=%s bridge=%s tap=-%s %s, but failed: %s", caller.uid,
			   who.user ? who.user : "?", real, requested, decision.reason, why_tap);
		return qnet_error("%s", why_tap);
	}
	/* Only the TAP's fd goes on: no netlink socket stays open beside it. */
	qnet_nl_close(&nl);
	qnet_audit(false, "uid=%u user=%s bridge=%s tap=%s%s %s", caller.uid,
		   who.user ? who.user : "?", real, tap, requested, decision.reason);
	r = qnet_fdpass_send(args.fd, tap_fd);
	if (r < 0)
		return qnet_error("%s: cannot send TAP fd over --fd=%d: %s", tap, args.fd,
				  strerror(-r));
	return EXIT_SUCCESS;
}
