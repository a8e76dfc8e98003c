/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who may attach a TAP to which bridge: the one decision, shared by
 * qemu-bridge-helper and `qnet check --user U --bridge B`.
 *
 * Two sources, read in this order:
 *   CONFDIR/bridge.conf  QEMU's format: "allow NAME", "deny NAME", "allow all",
 *                        "deny all", "include /ABS/PATH", "#" comments.
 *   CONFDIR/qnet.conf    [bridge NAME] allow-users, allow-groups, deny-users,
 *                        deny-groups (lib/config.h struct qnet_grant).
 *
 * Decision: a matching deny in either file wins over every allow; otherwise a
 * matching allow in either file allows; otherwise denied. Any error in any
 * file, included files too, denies. On every file QEMU's helper accepts
 * without error, bridge.conf alone decides exactly as QEMU decides; we are
 * stricter, never more permissive, where QEMU is unsafe:
 *   - an error in an included file denies (QEMU ignores it), so does a
 *     missing or unreadable include, a relative include path (QEMU resolves
 *     it against the caller's working directory), an include loop and
 *     includes nested deeper than QNET_ACL_MAX_DEPTH;
 *   - every file must be regular, root-owned, not group/world-writable and
 *     not a symlink, and every directory above it root's, not a symlink
 *     and not group/world-writable unless sticky (lib/file.h);
 *   - NUL bytes and lines longer than QNET_ACL_MAX_LINE are errors (QEMU
 *     splits long lines and cuts at NUL);
 *   - "allow " or "deny " with only blanks after it is an error (QEMU adds
 *     a rule for the empty name), and so is a name that is not a valid
 *     interface name (qnet_ifname_invalid: 16+ bytes, '/', ':', blanks).
 * An absent bridge.conf is no rules (QEMU denies everything); an absent
 * qnet.conf is no grants.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "log.h"

#define QNET_ACL_MAX_DEPTH 8     /* bridge.conf itself is depth 0 */
#define QNET_ACL_MAX_LINE 4094   /* QEMU reads lines into char[4096] with fgets */

/* The caller, as captured before the helper dropped privileges. */
struct qnet_acl_subject {
	uid_t uid;
	gid_t gid;               /* real gid */
	const char *user;        /* name of uid, NULL if it has none */
	const gid_t *groups;     /* supplementary groups */
	size_t n_groups;
};

struct qnet_acl_decision {
	bool allowed;
	/* The port's properties: qnet_config_port_props() for the bridge,
	 * and filter forced when a filter-users or filter-groups entry of its
	 * [bridge] grant names the caller. Set whenever qnet.conf could be
	 * read, allowed or not. */
	bool isolated;
	bool filter;
	uint64_t rate_in, rate_out; /* bytes/s toward / from the guest, 0 none */
	char file[PATH_MAX];     /* the file that decided, "" if nothing matched */
	unsigned line;           /* its line (a grant: its [bridge] header), 0 if none */
	char rule[96];           /* the rule: "allow br0", "deny all", "deny-groups kvm" */
	/* One line for humans and the audit log:
	 *   "allowed by /etc/qemu/bridge.conf:3 (allow br0)"
	 *   "denied by /etc/qemu/qnet.conf:7 (deny-users alice)"
	 *   "denied: /etc/qemu/bridge.conf:4: unknown command 'alow'"
	 *   "denied: no rule allows bridge br1" */
	char reason[QNET_REASON_MAX];
};

/* A parsed bridge.conf with its includes flattened in file order. */
struct qnet_acl;

/*
 * Parse PATH (bridge.conf syntax, includes followed). Every problem goes to
 * DIAG first (all of them, each with file:line); DIAG may be NULL. Returns:
 *   0        *RET is the ACL;
 *   -EINVAL  anything was wrong, an untrusted or unreadable PATH or include
 *            too: *RET is set all the same, to an ACL that records its
 *            errors and denies every request with the first of them;
 *            free it as on success;
 *   -ENOENT  PATH itself does not exist (no rules: QEMU denies everything):
 *            *RET is not set;
 *   -ENOMEM  *RET is not set.
 * qnet_config_load() (lib/config.h) sets *RET on -EINVAL in the same way.
 * Where it differs: it returns the -errno of a file it cannot trust or
 * read, and does not set *RET then. An ACL with errors fails closed by
 * itself, so every problem is one -EINVAL, and what it holds is still
 * wanted: the helper's denial names its first error, qnet check counts its
 * rules, qnet doctor judges bridges by them.
 */
int qnet_acl_load(const char *path, struct qnet_acl **ret, qnet_diag_fn diag, void *userdata);
void qnet_acl_free(struct qnet_acl *acl);
void qnet_acl_freep(struct qnet_acl **acl);
#define _cleanup_acl_ __attribute__((cleanup(qnet_acl_freep)))
size_t qnet_acl_rule_count(const struct qnet_acl *acl);

/*
 * Could the helper let anyone onto BRIDGE? True when an allow rule of ACL
 * (allow BRIDGE, allow all) or an allow-users/allow-groups entry of CFG's
 * [bridge BRIDGE] names it and no deny rule of ACL (deny BRIDGE, deny all)
 * shuts everyone out. Errors in the files are ignored: they deny only until
 * they are fixed. For qnet doctor, which warns about such bridges.
 */
bool qnet_acl_may_allow(const struct qnet_acl *acl, const struct qnet_config *cfg, const char *bridge);

/*
 * Does ENTRY of a deny-users or allow-users list (GROUPS false), or of a
 * -groups list (GROUPS true), name anyone? 1 yes (a decimal id always
 * does), 0 no such user or group, -errno when the database could not say.
 * For qnet check: a misspelt deny-users entry silently denies nobody.
 */
int qnet_acl_entry_resolves(const char *entry, bool groups);

/*
 * THE decision, as the helper makes it: load CONFDIR/bridge.conf and
 * CONFDIR/qnet.conf (lib/paths.h) and judge WHO on the bridge the caller
 * named REQUESTED, whose own name (the name the kernel reports for the
 * ifindex the TAP will join) is REAL; NULL or equal when no alternative
 * name is involved. A file that cannot be read or parsed denies, and OUT
 * says which and why. Allowed only if both names are; OUT then describes
 * the decision for REAL. If the two names are judged differently, denied,
 * and OUT->reason says so. The port's properties are the stricter of the
 * two names' (filter or isolated if either is, the lower rate). Returns 0
 * whenever OUT holds a decision, -ENOMEM otherwise. (The evaluation
 * itself, on rules already parsed, is acl-private.h's qnet_acl_evaluate().)
 */
int qnet_acl_decide_link(const struct qnet_acl_subject *who, const char *requested, const char *real,
			 struct qnet_acl_decision *out);
