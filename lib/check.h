/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `qnet check`: read the configuration the way the programs read it and say
 * everything that is wrong with it, each finding with file:line; and explain
 * a bridge helper decision with the helper's own decision function
 * (qnet_acl_decide, lib/acl.h), so the explanation cannot drift from what
 * the helper does.
 */
#pragma once

#include <stdio.h>

#include "acl.h"

struct qnet_check_counts {
	unsigned errors, warnings;
};

/*
 * Parse CONFDIR/qnet.conf and CONFDIR/bridge.conf with its includes. Every
 * finding goes to OUT as "FILE:LINE: error: MESSAGE" (or "warning:"; no
 * ":LINE" when it concerns the whole file), then one summary line.
 * Returns 0 (the counts say whether anything was wrong) or -ENOMEM.
 */
int qnet_check_config(FILE *out, struct qnet_check_counts *counts);

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
int qnet_check_explain(const char *user, const char *bridge, const char *real,
		       struct qnet_acl_decision *out, bool *as_user);
