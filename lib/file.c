// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Theory of operation: trusted configuration files.
 *
 * bridge.conf, its includes and qnet.conf decide who gets CAP_NET_ADMIN's
 * work done, and the bridge helper reads them on behalf of a caller who
 * must not be able to influence them. Checking the file alone is not
 * enough: whoever can write a directory on its path can rename entries in
 * it, and so swap in another root-owned file (an old bridge.conf, another
 * package's file that happens to parse) or a directory tree of their own
 * between two lookups. So qnet_file_open_trusted() walks PATH itself, one
 * component at a time from "/":
 *
 *   - each directory is opened with O_PATH|O_NOFOLLOW relative to the one
 *     before and checked with fstat() on that very fd: a directory, not a
 *     symbolic link, owned by root, not writable by group or others;
 *   - the file is opened with O_NOFOLLOW relative to the last directory's
 *     fd and checked the same way (regular, root's, not group/other
 *     writable).
 *
 * Nothing is looked up by name twice, so there is no window between a
 * check and a use: once a directory has passed, only root can change what
 * its entries are, and the next lookup starts from the fd that passed.
 * Symbolic links are refused rather than resolved: following one would
 * make the trust of the file depend on directories outside the walk.
 *
 * Nothing on a FUSE file system passes, whatever fstat() says: there the
 * owner and mode are whatever the FUSE server answers, and fusermount lets
 * a user mount one on any directory or file they may write. Over a
 * user-owned /etc/qemu (or a group-writable bridge.conf) that would report
 * root:root 0755 and turn the very mistake this walk catches into a pass.
 *
 * One exception: a root-owned directory with the sticky bit (/tmp, mode
 * 1777) passes although others may write it. There only an entry's owner
 * (or root) may rename or remove it, and the walk requires every entry
 * below to be root's in turn; what others can do there is add entries of
 * their own, which the walk refuses. (They could also hard-link a
 * root-owned file of someone else's under a name root has yet to create;
 * fs.protected_hardlinks, on by default, forbids linking files one cannot
 * write.) The test suite keeps its files under mktemp -d /tmp/... and
 * relies on this.
 *
 * The walk uses the caller's permissions (search on every directory, read
 * on the file), so it reads nothing the caller could not read.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "file.h"
#include "macro.h"

/* Records that WHERE (PATH itself or, if DIR, a directory on its way) broke
 * RULE (NULL: R says what went wrong); returns R. */
static int refuse(struct qnet_file_refusal *why, const char *where, bool dir, const char *rule, int r)
{
	snprintf(why->where, sizeof(why->where), "%s", where);
	why->dir = dir;
	why->why = rule;
	return r;
}

/* The rule a directory on the way breaks, or NULL. */
static const char *untrusted_dir(const struct stat *st, int *r)
{
	*r = -EPERM;
	if (S_ISLNK(st->st_mode)) {
		*r = -ELOOP;
		return "is a symbolic link";
	}
	if (!S_ISDIR(st->st_mode)) {
		*r = -ENOTDIR;
		return "is not a directory";
	}
	if (st->st_uid != 0)
		return "directory is not owned by root";
	/* Root's sticky directories pass: see the top of this file. */
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(st->st_mode & S_ISVTX))
		return "directory is writable by group or others";
	return NULL;
}

/* The rule FD's file system breaks, or NULL (see the top of this file).
 * -errno in *R if fstatfs() fails: what we cannot see, we do not trust. */
static const char *untrusted_fs(int fd, int *r)
{
	struct statfs sfs;

	/* EMEDIUMTYPE: callers tell it from an owner or mode to fix. */
	*r = -EMEDIUMTYPE;
	if (fstatfs(fd, &sfs) < 0) {
		*r = qnet_negerrno();
		return "cannot tell its file system";
	}
	if (sfs.f_type == FUSE_SUPER_MAGIC)
		return "is on a FUSE file system, whose server, not the kernel, says who owns it";
	return NULL;
}

/* fstat() DIR (opened as WHERE) and refuse it if it breaks a rule. */
static int check_dir(int dir, const char *where, struct qnet_file_refusal *why)
{
	const char *rule;
	struct stat st;
	int r;

	if (fstat(dir, &st) < 0)
		return refuse(why, where, true, NULL, qnet_negerrno());
	rule = untrusted_dir(&st, &r);
	if (!rule)
		rule = untrusted_fs(dir, &r);
	return rule ? refuse(why, where, true, rule, r) : 0;
}

int qnet_file_open_trusted(const char *path, FILE **ret, struct qnet_file_refusal *why)
{
	_cleanup_close_ int dir = -1, fd = -1;
	size_t len = strlen(path);
	char buf[PATH_MAX], *name, *slash;
	const char *rule;
	struct stat st;
	FILE *f;
	int r;

	*why = (struct qnet_file_refusal){ .why = NULL };
	/* Every configuration path is absolute; a relative one would start
	 * from a working directory the caller chose. */
	if (path[0] != '/')
		return refuse(why, path, false, "path is not absolute", -EINVAL);
	if (len >= sizeof(buf))
		return refuse(why, path, false, NULL, -ENAMETOOLONG);
	memcpy(buf, path, len + 1);

	dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return refuse(why, "/", true, NULL, qnet_negerrno());
	r = check_dir(dir, "/", why);
	if (r < 0)
		return r;
	/* buf up to each '/' (cut there for the moment) names the directory
	 * being opened, for the reason. */
	for (name = buf + 1; (slash = strchr(name, '/')); name = slash + 1) {
		_cleanup_close_ int next = -1;

		if (slash == name || (slash == name + 1 && name[0] == '.'))
			continue; /* "//" and "/./" stay where they are */
		*slash = '\0';
		/* Not O_DIRECTORY: with O_NOFOLLOW that would make a symlink
		 * ENOTDIR; this way fstat() says what it is. */
		next = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0)
			return refuse(why, buf, true, NULL, qnet_negerrno());
		r = check_dir(next, buf, why);
		if (r < 0)
			return r;
		*slash = '/';
		qnet_closep(&dir);
		dir = TAKE_FD(next);
	}
	if (!*name)
		return refuse(why, path, false, "is not a regular file", -EISDIR);

	fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ELOOP)
			return refuse(why, path, false, "is a symbolic link", -ELOOP);
		return refuse(why, path, false, NULL, qnet_negerrno());
	}
	if (fstat(fd, &st) < 0)
		return refuse(why, path, false, NULL, qnet_negerrno());
	if (!S_ISREG(st.st_mode))
		return refuse(why, path, false, "is not a regular file", -EINVAL);
	if (st.st_uid != 0)
		return refuse(why, path, false, "is not owned by root", -EPERM);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return refuse(why, path, false, "is writable by group or others", -EPERM);
	/* A FUSE mount may sit on the file itself (a user-writable one). */
	rule = untrusted_fs(fd, &r);
	if (rule)
		return refuse(why, path, false, rule, r);
	f = fdopen(fd, "re");
	if (!f)
		return refuse(why, path, false, NULL, qnet_negerrno());
	TAKE_FD(fd);
	*ret = f;
	return 0;
}

const char *qnet_file_refusal_reason(const struct qnet_file_refusal *why, int r)
{
	return why->why ? why->why : strerror(r < 0 ? -r : r);
}

int qnet_file_write_atomic(const char *path, const char *content)
{
	char tmp[PATH_MAX];
	size_t len = strlen(content);
	int n, r = 0;
	_cleanup_close_ int fd = -1;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid());
	if (n < 0 || n >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return qnet_negerrno();
	if (write(fd, content, len) != (ssize_t)len)
		r = errno ? -errno : -ENOSPC;
	else if (fsync(fd) < 0)
		r = qnet_negerrno();
	if (r == 0 && rename(tmp, path) < 0)
		r = qnet_negerrno();
	if (r < 0)
		(void)unlink(tmp);
	return r;
}

int qnet_file_read_small(const char *path, char *buf, size_t size)
{
	/* O_NONBLOCK: a FIFO under a name we read (a pid file) must not hang us. */
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	ssize_t n;

	if (fd < 0)
		return qnet_negerrno();
	n = read(fd, buf, size - 1);
	if (n < 0)
		return qnet_negerrno();
	buf[n] = '\0';
	return 0;
}
