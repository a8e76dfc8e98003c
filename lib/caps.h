/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The privilege sequence of a program that needs CAP_NET_ADMIN and nothing
 * else (qemu-bridge-helper; see docs/design.md, *Security model*). Call
 * the stages in this order, each exactly once; each one returns 0 or
 * -errno and the program must exit on failure. See caps.c for the theory
 * of operation. At the end: running a function as another user, for
 * `qnet check`, and reading a file's capabilities, for `qnet doctor`.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct qnet_caller {
	uid_t uid;          /* real ids: who ran us */
	gid_t gid;
	gid_t *groups;      /* supplementary groups at start-up */
	size_t n_groups;
};

void qnet_caps_caller_done(struct qnet_caller *c);
#define _cleanup_caller_ __attribute__((cleanup(qnet_caps_caller_done)))

/* 1. Who called us: real uid, real gid and supplementary groups. */
int qnet_caps_capture_caller(struct qnet_caller *c);
/* 2. Keep CAP_NET_ADMIN (plus, for the next stages only, CAP_SETUID,
 *    CAP_SETGID, CAP_SETPCAP if we were given them); -EPERM if we do not
 *    have CAP_NET_ADMIN. Clears the inheritable and ambient sets. */
int qnet_caps_keep_net_admin(void);
/* 3. Real, effective and saved ids all become the caller's; capabilities
 *    survive; CAP_SETUID is dropped. Supplementary groups are kept. */
int qnet_caps_switch_to_caller(const struct qnet_caller *c);
/* 4. Empty the bounding set where we may (CAP_SETPCAP: setuid-root or run
 *    by root); drops CAP_SETPCAP. *cleared says whether it was done. */
int qnet_caps_clear_bounding(bool *cleared);
/* 5. PR_SET_NO_NEW_PRIVS: nothing we could exec can gain privilege. */
int qnet_caps_no_new_privs(void);
/* 6. Not dumpable: the caller, who owns the process now, cannot ptrace it
 *    or read its memory. */
int qnet_caps_not_dumpable(void);
/* 7. Close every fd but 0-2 and KEEP (-1: none); 0-2 are opened on
 *    /dev/null if the caller left them closed, so no fd we open later can
 *    land on stdout or stderr. */
int qnet_caps_close_fds(int keep);
/* 8. After the ACL files were read with the caller's groups: drop the
 *    supplementary groups and CAP_SETGID where we hold it. *dropped says
 *    whether it was possible (not with only cap_net_admin+ep). */
int qnet_caps_drop_groups(bool *dropped);

/*
 * Not a stage of the above, and not for the helper: run FN(OUT, USERDATA)
 * in a child process whose real, effective and saved ids and supplementary
 * groups are WHO's, with no capability left, so that what FN reads it
 * reads exactly as that user would (`qnet check --user`, run by root). FN
 * fills the SIZE bytes at OUT and returns 0 or -errno; they come back
 * through a pipe. Returns 0 with OUT filled, -EPERM if the child could not
 * take WHO's ids, -EIO if FN failed or the child died, or -errno.
 */
int qnet_caps_run_as(const struct qnet_caller *who, int (*fn)(void *out, void *userdata), void *userdata,
		     void *out, size_t size);

/* What a file's security.capability attribute grants, as `qnet doctor`
 * judges how the helper is installed. */
struct qnet_caps_file {
	bool net_admin;  /* CAP_NET_ADMIN is permitted */
	bool effective;  /* the effective bit: permitted capabilities are raised at exec */
	bool others;     /* other capabilities are permitted too */
};
/* Read FD's attribute and decode it; -ENODATA if it has none. */
int qnet_caps_file_read(int fd, struct qnet_caps_file *ret);
