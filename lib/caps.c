// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Theory of operation: least privilege for qemu-bridge-helper.
 *
 * The helper is started by any local user, installed one of three ways:
 *   - file capability cap_net_admin+ep (preferred): real = effective ids =
 *     the caller; permitted = effective = {CAP_NET_ADMIN}; nothing else.
 *   - setuid root: real ids = the caller, effective and saved uid = 0, and
 *     every capability of the bounding set.
 *   - run by root: every id is 0, every capability.
 * Whatever we start with, we end, before reading any input other than
 * argv, with: all ids = the caller's, permitted = effective = {NET_ADMIN},
 * inheritable = ambient = {}, bounding set empty where we were able to
 * change it (CAP_SETPCAP), no_new_privs, not dumpable, and no fds but 0-2
 * and the socket to QEMU. After that point the process can never regain a
 * uid or a capability: a reviewer can point at the line in main().
 *
 * Three capabilities live a little longer, each dropped by the stage that
 * needs it last: CAP_SETUID (stage 3: setresuid), CAP_SETPCAP (stage 4:
 * bounding set), CAP_SETGID (stage 8: the supplementary groups are kept
 * while the ACL files are read, as QEMU's helper reads them, so a root:kvm
 * 0640 bridge.conf works for members of kvm; then dropped). From stage 3
 * on, CAP_SETGID is only permitted, not effective: the ACL parsers and the
 * user and group lookups run with CAP_NET_ADMIN alone in effect, and stage
 * 8 raises CAP_SETGID for its one setgroups() call. None of them lets the
 * process read or write a file the caller could not.
 *
 * libcap-ng keeps a copy of the sets in the process; every change here is
 * "edit that copy, then capng_apply()", and the kernel's state is read back
 * (capng_get_caps_process) before any decision that depends on it.
 */
#include <cap-ng.h>
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "caps-private.h"
#include "macro.h"

void qnet_caps_caller_done(struct qnet_caller *c)
{
	free(c->groups);
	c->groups = NULL;
	c->n_groups = 0;
}

int qnet_caps_capture_caller(struct qnet_caller *c)
{
	int n;

	*c = (struct qnet_caller){ .uid = getuid(), .gid = getgid() };
	n = getgroups(0, NULL);
	if (n < 0)
		return qnet_negerrno();
	c->groups = calloc((size_t)n + 1, sizeof(gid_t));
	if (!c->groups)
		return -ENOMEM;
	n = getgroups(n, c->groups);
	if (n < 0) {
		int r = qnet_negerrno();

		qnet_caps_caller_done(c);
		return r;
	}
	c->n_groups = (size_t)n;
	return 0;
}

static bool have(capng_type_t set, unsigned cap)
{
	return capng_have_capability(set, cap) > 0;
}

/* Apply the copy in libcap-ng to the process (not the bounding set). */
static int apply_caps(void)
{
	return capng_apply(CAPNG_SELECT_CAPS) < 0 ? -EPERM : 0;
}

/* Drop CAP from the effective and permitted sets: gone for good. */
static int drop_cap(unsigned cap)
{
	if (capng_get_caps_process() < 0)
		return -EIO;
	if (!have(CAPNG_PERMITTED, cap))
		return 0;
	capng_update(CAPNG_DROP, CAPNG_EFFECTIVE | CAPNG_PERMITTED, cap);
	return apply_caps();
}

int qnet_caps_keep_net_admin(void)
{
	static const unsigned transitional[] = { CAP_SETUID, CAP_SETGID, CAP_SETPCAP };
	bool keep[ARRAY_SIZE(transitional)];

	if (capng_get_caps_process() < 0)
		return -EIO;
	if (!have(CAPNG_PERMITTED, CAP_NET_ADMIN))
		return -EPERM;
	for (size_t i = 0; i < ARRAY_SIZE(transitional); i++)
		keep[i] = have(CAPNG_PERMITTED, transitional[i]);

	capng_clear(CAPNG_SELECT_CAPS);
	capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_NET_ADMIN);
	for (size_t i = 0; i < ARRAY_SIZE(transitional); i++)
		if (keep[i])
			capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, transitional[i]);
	if (apply_caps() < 0)
		return -EPERM;
	/* Ambient capabilities would survive an execve(); we never exec, but
	 * leave nothing that could. Lowering needs no privilege. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return qnet_negerrno();
	return 0;
}

int qnet_caps_switch_to_caller(const struct qnet_caller *c)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
		return qnet_negerrno();
	if (eu != c->uid || su != c->uid || eg != c->gid || sg != c->gid) {
		/* Without KEEPCAPS, leaving uid 0 empties the permitted set. */
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
			return qnet_negerrno();
		if (setresgid(c->gid, c->gid, c->gid) < 0 || setresuid(c->uid, c->uid, c->uid) < 0)
			return qnet_negerrno();
		if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
			return qnet_negerrno();
	}
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
		return qnet_negerrno();
	if (ru != c->uid || eu != c->uid || su != c->uid ||
	    rg != c->gid || eg != c->gid || sg != c->gid)
		return -EPERM;
	/* Leaving euid 0 cleared the effective set; permitted is intact.
	 * Re-raise from our copy, minus CAP_SETUID which has done its job,
	 * and with CAP_SETGID permitted but not effective: nothing until
	 * stage 8 may use it, so the ACL parsers and NSS never run with it. */
	capng_update(CAPNG_DROP, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_SETUID);
	capng_update(CAPNG_DROP, CAPNG_EFFECTIVE, CAP_SETGID);
	if (apply_caps() < 0)
		return -EPERM;
	if (capng_get_caps_process() < 0)
		return -EIO;
	if (!have(CAPNG_EFFECTIVE, CAP_NET_ADMIN) || have(CAPNG_PERMITTED, CAP_SETUID))
		return -EPERM;
	return 0;
}

int qnet_caps_clear_bounding(bool *cleared)
{
	*cleared = false;
	if (capng_get_caps_process() < 0)
		return -EIO;
	if (!have(CAPNG_EFFECTIVE, CAP_SETPCAP))
		return 0; /* file-capability install: no_new_privs covers exec */
	capng_clear(CAPNG_SELECT_BOUNDS);
	if (capng_apply(CAPNG_SELECT_BOUNDS) < 0)
		return -EPERM;
	*cleared = true;
	return drop_cap(CAP_SETPCAP);
}

int qnet_caps_no_new_privs(void)
{
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? qnet_negerrno() : 0;
}

int qnet_caps_not_dumpable(void)
{
	return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 ? qnet_negerrno() : 0;
}

/* Fallback when close_range(2) is missing: every fd listed in /proc/self/fd. */
static int close_fds_proc(int keep)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (!d)
		return qnet_negerrno();
	while ((de = readdir(d))) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);

		if (*end || end == de->d_name || fd < 3 || fd == keep || fd == dirfd(d))
			continue;
		close((int)fd);
	}
	closedir(d);
	return 0;
}

int qnet_caps_close_fds(int keep)
{
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		int n = open("/dev/null", O_RDWR); /* the lowest free fd: this one */

		if (n < 0)
			return qnet_negerrno();
		if (n != fd)
			return -EBADF;
	}
	if (keep < 3) {
		if (syscall(SYS_close_range, 3U, ~0U, 0) < 0)
			return close_fds_proc(-1);
		return 0;
	}
	if (keep > 3 && syscall(SYS_close_range, 3U, (unsigned)keep - 1, 0) < 0)
		return close_fds_proc(keep);
	if (syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 0) < 0)
		return close_fds_proc(keep);
	return 0;
}

int qnet_caps_drop_groups(bool *dropped)
{
	int r;

	*dropped = false;
	if (capng_get_caps_process() < 0)
		return -EIO;
	if (!have(CAPNG_PERMITTED, CAP_SETGID))
		return 0;
	/* Raised for this one call, then gone from every set. */
	capng_update(CAPNG_ADD, CAPNG_EFFECTIVE, CAP_SETGID);
	r = apply_caps();
	if (r == 0 && setgroups(0, NULL) < 0)
		r = qnet_negerrno();
	if (r == 0)
		*dropped = true;
	return drop_cap(CAP_SETGID) < 0 ? -EPERM : r;
}

/* ---- a function run as another user, for qnet check ---- */

/* Exit statuses of qnet_caps_run_as()'s child. */
enum { CHILD_OK, CHILD_NO_IDS = 3, CHILD_FN_FAILED, CHILD_NO_WRITE };

static int write_all(int fd, const void *buf, size_t size)
{
	for (size_t done = 0; done < size;) {
		ssize_t w = write(fd, (const char *)buf + done, size - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -EIO;
		done += (size_t)w;
	}
	return 0;
}

/* SIZE bytes from FD into BUF: how many came before EOF or an error. */
static size_t read_all(int fd, void *buf, size_t size)
{
	size_t got = 0;

	while (got < size) {
		ssize_t n = read(fd, (char *)buf + got, size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

int qnet_caps_run_as(const struct qnet_caller *who, int (*fn)(void *out, void *userdata), void *userdata,
		     void *out, size_t size)
{
	_cleanup_close_ int rd = -1, wr = -1;
	int fds[2], status;
	size_t got;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return qnet_negerrno();
	rd = fds[0];
	wr = fds[1];
	fflush(NULL); /* the child must not inherit (and repeat) buffered output */
	pid = fork();
	if (pid < 0)
		return qnet_negerrno();
	if (pid == 0) {
		qnet_closep(&rd);
		/* Groups first, uid last: each call needs the privilege the next
		 * one gives up. Leaving uid 0 without KEEPCAPS empties every
		 * capability set. */
		if (setgroups(who->n_groups, who->groups) < 0 || setresgid(who->gid, who->gid, who->gid) < 0 ||
		    setresuid(who->uid, who->uid, who->uid) < 0)
			_exit(CHILD_NO_IDS);
		if (fn(out, userdata) < 0)
			_exit(CHILD_FN_FAILED);
		_exit(write_all(wr, out, size) < 0 ? CHILD_NO_WRITE : CHILD_OK);
	}
	qnet_closep(&wr);
	got = read_all(rd, out, size);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return qnet_negerrno();
	if (!WIFEXITED(status) || WEXITSTATUS(status) != CHILD_OK || got != size)
		return WIFEXITED(status) && WEXITSTATUS(status) == CHILD_NO_IDS ? -EPERM : -EIO;
	return 0;
}

/* ---- a file's capabilities (security.capability), for qnet doctor ---- */

int qnet_caps_file_decode(const void *raw, size_t n, struct qnet_caps_file *ret)
{
	uint32_t le[XATTR_CAPS_SZ / sizeof(uint32_t)] = { 0 };
	uint32_t magic, permitted[2] = { 0, 0 };
	unsigned words;

	if (n < XATTR_CAPS_SZ_1)
		return -EINVAL;
	memcpy(le, raw, n < sizeof(le) ? n : sizeof(le));
	magic = le32toh(le[0]);
	switch (magic & VFS_CAP_REVISION_MASK) {
	case VFS_CAP_REVISION_1: words = VFS_CAP_U32_1; break;
	case VFS_CAP_REVISION_2: case VFS_CAP_REVISION_3: words = VFS_CAP_U32_2; break;
	default: return -EINVAL;
	}
	if (n < sizeof(uint32_t) * (1 + 2 * words))
		return -EINVAL;
	for (unsigned i = 0; i < words; i++)
		permitted[i] = le32toh(le[1 + 2 * i]);
	*ret = (struct qnet_caps_file){
		.net_admin = permitted[0] & (1u << CAP_NET_ADMIN),
		.effective = magic & VFS_CAP_FLAGS_EFFECTIVE,
		.others = (permitted[0] & ~(1u << CAP_NET_ADMIN)) || permitted[1],
	};
	return 0;
}

int qnet_caps_file_read(int fd, struct qnet_caps_file *ret)
{
	uint8_t raw[XATTR_CAPS_SZ];
	ssize_t n = fgetxattr(fd, "security.capability", raw, sizeof(raw));

	if (n < 0)
		return errno == ENOTSUP ? -ENODATA : qnet_negerrno();
	return qnet_caps_file_decode(raw, (size_t)n, ret);
}
